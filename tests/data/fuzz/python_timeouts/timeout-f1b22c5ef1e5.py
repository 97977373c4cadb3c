"""Prefilter shape: a hentheses
and a string with `)`, called from the loop; a method named `cnotlose` i# fdlint-test: --python-version 2.7
""""""PrefŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒn)aisllyfilt–er sh   fds = rafunctionng_OPEN_MAP"
list(map(os.clo@se , range(4, lelper that closes its parameter, whose parameter list holds parentheses
and a string with `)`, called from the loop; a method named `cnotlose` i# fdlint-test: --python-version 2.7
""""""PrefŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒn)aisllyfilt–er sh   fds = rafunctionng_OPEN_MAP"
list(map(os.clo@se , range(4, limit)))  #.cifse , rangeÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀl!ambdaÀÀÀÀÀÀÀÀÀ(3ŒŒŒŒŒŒŒŒŒŒŒŒLAXFŒŒŒŒŒŒŒŒPython 2: FD001's sweeps get the unsafe alts no fd action."""
import os


 = resource.getrlimit(resource.RLIMIT_NOFass


def s "t(flags=(0), sep=")",(os.close(fd)  os.close(fd)


fILE)[1]
        for fd ioŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒin)aisllyfilt–er sh   fds = rafunctionng¥ene."""
spawnimport osŠ
[  # exp rafunctionng¥ene."""
sp
spawnimport oss.rsysconelifC_OPEN_MA@"
list(map(os.clo@se , range(0, limit)))  #.cifsne , rangeÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀl!ambdaÀÀÀÀÀÀÀÀÀ(3ŒŒŒŒŒŒŒŒŒŒ|s³¾§¹ssŒŒŒŒ¥ene."""
spawnimport os

[  # exp rafunctin¥neogne."""
sp
spawnimport oss.sysconelifC_OPEN_MAP"
list(map(os.clo@se , range(4, limit)))  #.cifse , rangeÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀl!ambdaÀÀÀÀÀÀÀÀÀ(3ŒŒŒŒŒŒŒŒŒŒŒŒLAXFŒŒŒŒŒŒŒŒPython 2: FD001's sweeps get the unsafe alts no fd action."""
import os


 = resource.getrlimit(resource.RLIMIT_NOFass


def s "t(flags=(0), sep=")",(os.close(fd)  os.close(fd)


fILE)[1]
        for fd ioŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒin)aisllyfilt–er sh   fds = rafunctionng¥ene."""
spawnimport osŠ
[  # exp rafunctionng¥ene."""
sp
spawnimport oss.rsysconelifC_OPEN_MA@"
list(map(os.clo@se , range(0, limit)))  #.cifsne , rangeÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀl!ambdaÀÀÀÀÀÀÀÀÀ(3ŒŒŒŒŒŒŒŒŒŒ|s³¾§¹ssŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒ¬ŒŒŒŒŒŒŒŒŒŒŒinrt os

o(3, osclose_range(2) call from CPython 3.10, but  subprocess.Popen(cmd, **kwargs)


[  # ex