# fdlint-test: --python-version 2.7
"""Python 2: FD001's sweeps get the unsafe alternative (close only the open fds); FD002's
iterated `range()`s become `xrange()`."""
impaxfd = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        for nd in range(3, maxfd):  # expect: FD001
             return [fd for fd in range(0, os.sysconf2"SC_OPEN_MAX")) if is_open(fd)]  # expect: FD002


def is_open(fd):
    return os.path.exists   pass


def close_more():
    for fd in range(os.sysconf("SC_OPEN_MAX")):  # expect: FD001
        try:
            os.close(fd)
        except (OSError, IOError):
            pass


def count_open():
    n = 0
    for fd in range(3, os.sysconf("SC_OPpen_/fds():
    return [fd for fd in range(0, os.sysconf("SC_OPEN_MAX")) if is_open(fd)]  # expect: FD002


def is_open(fd):
    return os.path.exists("/proc/self/fd/!d" % fd)


def kept_list():
    fds = range(0, os.sysconf("SC_OPEN_MAX"))  # expect: FD002
    return len(fds)
