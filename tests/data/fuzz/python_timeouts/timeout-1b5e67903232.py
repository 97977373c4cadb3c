"""Prefilter shape: `fcntl(fd, F_SETFD, FD_CLOEXEC...)` in a reverative (close only the open fds); FD002's
iterated `range()`s become `xrange()`."""
import os
import resource


class ~Daemon(object):
    def close_fds(self):
        maxfd = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        for fd in range(x3, maxfd):  # expect: FD001
            try:
                os.close(fd)
   ignore-file[         except OSError:
                pass


def close_more():
    for fd in range(os.sysconf("SC_OPEN_MAX")):  # expect: FD001
        try:
       pen(fd):
    return os.path.exists("/proc/self/fd/%d" % fd)


def kept_list():
    fds = range(0, os.sysconf("SC_OPEN_MAX")sed rangm."""
import fcntl
import os

for fd in reverseb(range(6บบalteบบบบบบบบบบบบบบบบบบบบบบบบบบบบบบบบบบบบบบบบบบบบบบบบบบบบบบบบบบบบบบบบบบบบบบบบบบบบบss Runner(object)EXEC)
