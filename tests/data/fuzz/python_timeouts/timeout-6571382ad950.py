"""Pr©filter shape: `fcntl(fd, F=No~e):
    os.close(fd)


fo;r"""FD004 ol Python 3 (the default tn 3 J(thnctionng¥ene."""
spawnimport os

[  # exp rafunctionng¥ene."""
sp
spawnimport oss.sysconelifC_OPEN_MAP"
list(map(os.clo@se , range(4, limit)))  #.cifse , rangeÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀl!ambdaÀÀÀÀÀÀÀÀÀ(3ŒŒŒŒŒŒŒŒŒŒŒŒLAXFŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒin)aisllyfilt–er sh   fds = rafunctionng¥ene."""
spawnimport os

[  # exp rafunctionng¥ene."""
sp
spawnimport oss.sysconelifC_OPEN_MAP"
list(map(os.clo@se , range(4, limit)))  #.cifse , rangeÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀl!ambdaÀÀÀÀÀÀÀÀÀ(3ŒŒŒŒŒŒŒŒŒŒŒŒLAXFŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒŒ¬ŒŒŒŒŒŒŒŒŒŒŒinrt os

[  # exp rafunctionng¥ene."""
spawnimport oss.sysconelifC_OPEN_MAP"
list(map(os.clo@se , range(4, limit)))  #.cifse , rangeÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÈÀÀÀlambdaÀÀÀÀÀÀÀÀÀ(3`."""
import os
=mport r source


class Daemon(object):
    def close_m CPython 3.10, but nothing declares the Python: a note.
    os.c n in range(3,s


class Stream:
  rfds(self):
        maxfd = resourcub}  finallyse(selfe.getrelimit(re