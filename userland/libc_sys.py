"""libc: the syscall shim and the system call wrappers (lib/libc/sys, lib/libc/gen).

Programs import userland/libc.py, which re-exports this module with
libc_net.py and libc_stdio.py.

A program is ``main(argv: list[str]) -> int`` written against this module
only (and the shared headers in kernel/wire).  ``syscall(num, *args)`` traps
into the kernel of the process that is running: the process's greenlet
carries its trap gate (``getcurrent().trap``) and its user memory
(``getcurrent().vm``), where this library keeps what C keeps in static
storage — stdio buffers, the environment, atexit handlers.

Errors are ``OSError`` with BSD errno values (kernel/wire/errno.py);
``err``/``warn`` print them as BSD's err(3) does (``ping6: sendmsg: No route
to host``).  Output goes through a small stdio: stdout is line-buffered on a
terminal and fully buffered otherwise, stderr is unbuffered, and everything
is flushed at exit.  Never use Python's ``print``: it bypasses the process.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Optional, Union

from greenlet import getcurrent

from kernel.wire import syscall as _S
from kernel.wire.errno import EINTR, EINVAL, ENOENT, strerror
from kernel.wire.fcntl import (  # noqa: F401 - <fcntl.h> comes with libc
    O_APPEND, O_CREAT, O_DIRECTORY, O_NONBLOCK, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY, SEEK_CUR,
    SEEK_END, SEEK_SET,
)
from kernel.wire.in6 import sockaddr_in6  # noqa: F401 - for programs
from kernel.wire.in_ import sockaddr_in  # noqa: F401
from kernel.wire.ioctl import TIOCGETA
from kernel.wire.signal import SA_RESTART, SIG_DFL, SIG_IGN, SIGABRT, sigaction_t  # noqa: F401
from kernel.wire.socket import AF_INET, AF_INET6, AF_UNSPEC  # noqa: F401
from kernel.wire.stat import dirent, stat
from kernel.wire.sysctl import (
    CTL_SYSCTL_GET, CTL_SYSCTL_NEXT, CTL_SYSCTL_OIDDESCR, CTL_SYSCTL_OIDFMT,
)
from kernel.wire.time import (
    CLOCK_MONOTONIC, CLOCK_REALTIME, ITIMER_REAL, NSEC_PER_SEC, itimerval, timespec, timeval,
    to_ns,
)
from kernel.wire.wait import WEXITSTATUS, WIFEXITED, W_EXITCODE  # noqa: F401 - for programs

# -- the trap ------------------------------------------------------------------------------


def _trap() -> Callable[..., Any]:
    try:
        return getcurrent().trap
    except AttributeError:
        raise RuntimeError("libc: not running in a kamebox process") from None


def syscall(num: int, *args: Any) -> Any:
    """Trap into the kernel: system call ``num`` of kernel/wire/syscall.py."""
    return _trap()(num, *args)


def _vm() -> Any:
    try:
        return getcurrent().vm
    except AttributeError:
        raise RuntimeError("libc: not running in a kamebox process") from None


def errno() -> int:
    """The error being handled (C's ``errno``): the errno of the OSError in
    flight, else the last one libc recorded."""
    e = sys.exc_info()[1]
    if isinstance(e, OSError) and e.errno is not None:
        return e.errno
    return getattr(_vm(), "errno", 0)


def _seterrno(e: int) -> None:
    _vm().errno = e


def _stdio_flush_all() -> None:
    """Flush the stdio buffers (before exec, spawn, daemon): stdio installs it."""
    fn = getattr(_vm(), "stdio_flush", None)
    if fn is not None:
        fn()


# -- process -------------------------------------------------------------------------------
def getpid() -> int:
    return _trap()(_S.SYS_getpid)


def getppid() -> int:
    return _trap()(_S.SYS_getppid)


def getuid() -> int:
    return _trap()(_S.SYS_getuid)


def geteuid() -> int:
    return _trap()(_S.SYS_geteuid)


def getgid() -> int:
    return _trap()(_S.SYS_getgid)


def getegid() -> int:
    return _trap()(_S.SYS_getegid)


def getlogin() -> str:
    return _trap()(_S.SYS_getlogin)


def getpgrp() -> int:
    return _trap()(_S.SYS_getpgrp)


def setpgid(pid: int, pgid: int) -> None:
    _trap()(_S.SYS_setpgid, pid, pgid)


def setsid() -> int:
    return _trap()(_S.SYS_setsid)


def kill(pid: int, sig: int) -> None:
    _trap()(_S.SYS_kill, pid, sig)


def raise_(sig: int) -> None:
    """raise(3) (``raise`` is a Python keyword)."""
    kill(getpid(), sig)


def abort() -> None:
    """abort(3): SIGABRT, not catchable for good: the process dumps core."""
    sigaction(SIGABRT, sigaction_t(SIG_DFL))
    kill(getpid(), SIGABRT)
    _exit(134)


def signal(sig: int, handler: Any) -> Any:
    """signal(3), BSD semantics: the handler stays installed and interrupted
    system calls restart (SA_RESTART).  Returns the previous handler."""
    old = _trap()(_S.SYS_sigaction, sig, sigaction_t(handler, SA_RESTART, 0))
    return old.sa_handler


def sigaction(sig: int, act: Optional[sigaction_t] = None) -> sigaction_t:
    """sigaction(2): install ``act`` if given; return the previous action."""
    return _trap()(_S.SYS_sigaction, sig, act)


def sigprocmask(how: int, mask: Optional[int] = None) -> int:
    return _trap()(_S.SYS_sigprocmask, how, mask)


def sigsuspend(mask: int) -> None:
    _trap()(_S.SYS_sigsuspend, mask)


def pause() -> None:
    """pause(3): sleep until a signal (raises OSError EINTR)."""
    sigsuspend(sigprocmask(1, 0))


def setitimer(which: int, value: Optional[itimerval]) -> itimerval:
    return _trap()(_S.SYS_setitimer, which, value)


def getitimer(which: int) -> itimerval:
    return _trap()(_S.SYS_getitimer, which)


def alarm(seconds: int) -> int:
    """alarm(3): SIGALRM in ``seconds``; returns the seconds left of the previous alarm."""
    old = setitimer(ITIMER_REAL, itimerval(timeval(), timeval(int(seconds), 0)))
    left = old.it_value
    return left.tv_sec + (1 if left.tv_usec else 0)


def atexit(fn: Callable[[], None]) -> None:
    _vm().vm_atexit.append(fn)


def _run_atexit() -> None:
    vm = _vm()
    fns, vm.vm_atexit = vm.vm_atexit, []
    for fn in reversed(fns):
        fn()


def exit(status: int = 0) -> None:
    """exit(3): atexit handlers (stdio is flushed there), then _exit."""
    _run_atexit()
    _exit(status)


def _exit(status: int) -> None:
    _trap()(_S.SYS_exit, status)


def execve(path: str, argv: list[str], env: Optional[dict[str, str]] = None) -> None:
    """execve(2): never returns on success."""
    _stdio_flush_all()
    _trap()(_S.SYS_execve, path, argv, environ() if env is None else env)


def execv(path: str, argv: list[str]) -> None:
    execve(path, argv, None)


def _search_path(file: str) -> str:
    if "/" in file:
        return file
    for d in (getenv("PATH") or "/bin:/usr/bin").split(":"):
        cand = f"{d or '.'}/{file}"
        try:
            access(cand, 1)
            return cand
        except OSError:
            continue
    raise OSError(ENOENT, strerror(ENOENT))


def execvp(file: str, argv: list[str]) -> None:
    execve(_search_path(file), argv, None)


def posix_spawn(path: str, argv: list[str], env: Optional[dict[str, str]] = None,
                file_actions: Optional[list[tuple]] = None,
                attrs: Optional[dict[str, Any]] = None) -> int:
    """posix_spawn(3): start ``path`` as a child; returns its pid.

    ``file_actions``: [("open", fd, path, oflags, mode), ("close", fd),
    ("dup2", fd, newfd)]; ``attrs``: {"setpgroup": pgid, "setsid": True, ...}.
    """
    _stdio_flush_all()
    return _trap()(_S.SYS_kb_spawn, path, list(argv), environ() if env is None else env,
                   file_actions, attrs)


def posix_spawnp(file: str, argv: list[str], env: Optional[dict[str, str]] = None,
                 file_actions: Optional[list[tuple]] = None,
                 attrs: Optional[dict[str, Any]] = None) -> int:
    return posix_spawn(_search_path(file), argv, env, file_actions, attrs)


def wait4(pid: int = -1, options: int = 0) -> tuple[int, int]:
    """wait4(2): (pid, status)."""
    return _trap()(_S.SYS_wait4, pid, options)


def waitpid(pid: int, options: int = 0) -> tuple[int, int]:
    return wait4(pid, options)


def wait() -> tuple[int, int]:
    return wait4(-1, 0)


def system(command: str) -> int:
    """system(3): run ``command`` with /bin/sh; the wait status."""
    try:
        pid = posix_spawn("/bin/sh", ["sh", "-c", command])
    except OSError:
        return W_EXITCODE(127, 0)
    while True:
        try:
            return waitpid(pid)[1]
        except OSError as e:
            if e.errno != EINTR:
                raise


def daemon(nochdir: int = 0, noclose: int = 0) -> None:
    """daemon(3): detach from the terminal and go on in the background; the
    process that called it exits 0 (its parent, a shell or rc, goes on)."""
    _stdio_flush_all()
    _trap()(_S.SYS_kb_daemon)
    setsid()
    if not nochdir:
        chdir("/")
    if not noclose:
        fd = open("/dev/null", O_RDWR)
        for i in (0, 1, 2):
            dup2(fd, i)
        if fd > 2:
            close(fd)
        vm = _vm()
        vm.stdio = None


def getprogname() -> str:
    vm = _vm()
    name = getattr(vm, "progname", None)
    if name is None:
        argv = vm.vm_argv
        name = argv[0].rsplit("/", 1)[-1] if argv and argv[0] else "?"
        vm.progname = name
    return name


def setprogname(name: str) -> None:
    _vm().progname = name.rsplit("/", 1)[-1]


def environ() -> dict[str, str]:
    """The process's environment (the dict itself: changes are setenv)."""
    return _vm().vm_env


def getenv(name: str) -> Optional[str]:
    return _vm().vm_env.get(name)


def setenv(name: str, value: str, overwrite: int = 1) -> None:
    if not name or "=" in name:
        raise OSError(EINVAL, strerror(EINVAL))
    env = _vm().vm_env
    if overwrite or name not in env:
        env[name] = str(value)


def unsetenv(name: str) -> None:
    _vm().vm_env.pop(name, None)


# -- files ---------------------------------------------------------------------------------
def open(path: str, flags: int = O_RDONLY, mode: int = 0o666) -> int:  # noqa: A001
    return _trap()(_S.SYS_open, path, flags, mode)


def close(fd: int) -> None:
    _trap()(_S.SYS_close, fd)


def read(fd: int, n: int) -> bytes:
    return _trap()(_S.SYS_read, fd, n)


def read_all(fd: int) -> bytes:
    """What is left on ``fd``: read(2) to end of file (kamebox's, not BSD's)."""
    chunks = []
    while True:
        b = read(fd, 65536)
        if not b:
            return b"".join(chunks)
        chunks.append(b)


def read_file(path: str) -> Optional[bytes]:
    """The whole of the file ``path``, None if it cannot be opened; a read error
    still raises (kamebox's, not BSD's)."""
    try:
        fd = open(path, O_RDONLY)
    except OSError:
        return None
    try:
        return read_all(fd)
    finally:
        close(fd)


def write(fd: int, data: Union[bytes, str]) -> int:
    if isinstance(data, str):
        data = data.encode("utf-8", "replace")
    return _trap()(_S.SYS_write, fd, data)


def readv(fd: int, iov: list) -> int:
    return _trap()(_S.SYS_readv, fd, iov)


def writev(fd: int, iov: list) -> int:
    return _trap()(_S.SYS_writev, fd, iov)


def lseek(fd: int, offset: int, whence: int = SEEK_SET) -> int:
    return _trap()(_S.SYS_lseek, fd, offset, whence)


def dup(fd: int) -> int:
    return _trap()(_S.SYS_dup, fd)


def dup2(fd: int, newfd: int) -> int:
    return _trap()(_S.SYS_dup2, fd, newfd)


def pipe() -> tuple[int, int]:
    """pipe(2): (read end, write end)."""
    return _trap()(_S.SYS_pipe)


def fcntl(fd: int, cmd: int, arg: Any = 0) -> Any:
    return _trap()(_S.SYS_fcntl, fd, cmd, arg)


def ioctl(fd: int, cmd: int, data: Any = None) -> Any:
    """ioctl(2): returns the result (the filled-in struct, or an int)."""
    return _trap()(_S.SYS_ioctl, fd, cmd, data)


def fstat(fd: int) -> stat:
    return _trap()(_S.SYS_fstat, fd)


def stat_(path: str) -> stat:
    """stat(2) (named ``stat_`` beside the ``stat`` struct)."""
    return _trap()(_S.SYS_stat, path)


def lstat(path: str) -> stat:
    return _trap()(_S.SYS_lstat, path)


def access(path: str, mode: int = 0) -> None:
    _trap()(_S.SYS_access, path, mode)


def mkdir(path: str, mode: int = 0o777) -> None:
    _trap()(_S.SYS_mkdir, path, mode)


def rmdir(path: str) -> None:
    _trap()(_S.SYS_rmdir, path)


def unlink(path: str) -> None:
    _trap()(_S.SYS_unlink, path)


def rename(src: str, dst: str) -> None:
    _trap()(_S.SYS_rename, src, dst)


def chdir(path: str) -> None:
    _trap()(_S.SYS_chdir, path)


def getcwd() -> str:
    return _trap()(_S.SYS___getcwd)


def chmod(path: str, mode: int) -> None:
    _trap()(_S.SYS_chmod, path, mode)


def truncate(path: str, length: int) -> None:
    _trap()(_S.SYS_truncate, path, length)


def ftruncate(fd: int, length: int) -> None:
    _trap()(_S.SYS_ftruncate, fd, length)


def umask(mask: int) -> int:
    return _trap()(_S.SYS_umask, mask)


def fsync(fd: int) -> None:
    _trap()(_S.SYS_fsync, fd)


def isatty(fd: int) -> bool:
    try:
        ioctl(fd, TIOCGETA)
        return True
    except OSError:
        return False


class DIR:
    """An open directory stream (opendir(3))."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self._buf: list[dirent] = []
        self._eof = False


def opendir(path: str) -> DIR:
    return DIR(open(path, O_RDONLY | O_DIRECTORY))


def readdir(d: DIR) -> Optional[dirent]:
    if not d._buf and not d._eof:
        d._buf = list(_trap()(_S.SYS_getdirentries, d.fd, 4096))
        if not d._buf:
            d._eof = True
    return d._buf.pop(0) if d._buf else None


def closedir(d: DIR) -> None:
    close(d.fd)


def select(rlist: Iterable[int], wlist: Iterable[int] = (), xlist: Iterable[int] = (),
           timeout: Any = None) -> tuple[list[int], list[int], list[int]]:
    """select(2) on lists of descriptors; ``timeout``: None (forever), seconds,
    a timeval or a timespec.  Returns the ready descriptors of each list."""
    return _trap()(_S.SYS_select, list(rlist), list(wlist), list(xlist), _timeout_ns(timeout))


def _timeout_ns(t: Any) -> Optional[int]:
    """A duration given as seconds (int or float), timeval or timespec -> ns."""
    if t is None:
        return None
    if isinstance(t, (int, float)) and not isinstance(t, bool):
        return to_ns(float(t))
    return to_ns(t)


def poll(fds: list, timeout: int = -1) -> int:
    """poll(2) on a list of ``pollfd``; ``timeout`` in milliseconds (-1: forever)."""
    try:
        trap = getcurrent().trap             # _trap() inline: poll is ping6 -f's every turn
    except AttributeError:
        trap = _trap()
    return trap(_S.SYS_poll, fds, timeout)


# -- time ----------------------------------------------------------------------------------
def clock_gettime(clock_id: int = CLOCK_REALTIME) -> timespec:
    return _trap()(_S.SYS_clock_gettime, clock_id)


def gettimeofday() -> timeval:
    try:
        trap = getcurrent().trap
    except AttributeError:
        trap = _trap()
    return trap(_S.SYS_gettimeofday)


def time() -> int:
    return clock_gettime(CLOCK_REALTIME).tv_sec


def nanosleep(req: Any) -> None:
    """nanosleep(2): ``req`` a timespec or seconds; OSError EINTR on a signal."""
    _trap()(_S.SYS_nanosleep, _timeout_ns(req))


def sleep(seconds: Union[int, float]) -> int:
    """sleep(3): returns the whole seconds not slept if a signal interrupted it."""
    ns = to_ns(float(seconds))
    start = clock_gettime(CLOCK_MONOTONIC).to_ns()
    try:
        _trap()(_S.SYS_nanosleep, ns)
    except OSError as e:
        if e.errno != EINTR:
            raise
        left = start + ns - clock_gettime(CLOCK_MONOTONIC).to_ns()
        return max(0, -(-left // NSEC_PER_SEC))
    return 0


def usleep(usec: int) -> None:
    nanosleep(timespec.from_ns(int(usec) * 1000))


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def gmtime(t: int) -> Any:
    """The broken-down UTC time of ``t`` (hosts keep UTC)."""
    import time as _pytime   # pure arithmetic; never the wall clock
    return _pytime.gmtime(int(t))


localtime = gmtime


def ctime(t: int) -> str:
    """ctime(3): "Sun Jan  1 00:00:00 2006\\n"."""
    tm = gmtime(t)
    return (f"{_DAYS[tm.tm_wday]} {_MONTHS[tm.tm_mon - 1]} {tm.tm_mday:2d} "
            f"{tm.tm_hour:02d}:{tm.tm_min:02d}:{tm.tm_sec:02d} {tm.tm_year}\n")


def strftime(fmt: str, tm: Any) -> str:
    import time as _pytime   # noqa: PLC0415 - formatting only
    return _pytime.strftime(fmt.replace("%e", f"{tm.tm_mday:2d}"), tm)


# -- sockets -------------------------------------------------------------------------------
def socket(domain: int, type: int, protocol: int = 0) -> int:  # noqa: A002
    return _trap()(_S.SYS_socket, domain, type, protocol)


def socketpair(domain: int, type: int, protocol: int = 0) -> tuple[int, int]:  # noqa: A002
    return _trap()(_S.SYS_socketpair, domain, type, protocol)


def bind(s: int, addr: Any) -> None:
    _trap()(_S.SYS_bind, s, addr)


def connect(s: int, addr: Any) -> None:
    _trap()(_S.SYS_connect, s, addr)


def listen(s: int, backlog: int = 128) -> None:
    _trap()(_S.SYS_listen, s, backlog)


def accept(s: int) -> tuple[int, Any]:
    """accept(2): (new descriptor, peer address)."""
    return _trap()(_S.SYS_accept, s, 0)


def sendto(s: int, data: bytes, flags: int = 0, to: Any = None) -> int:
    return _trap()(_S.SYS_sendto, s, data, flags, to)


def send(s: int, data: bytes, flags: int = 0) -> int:
    return _trap()(_S.SYS_sendto, s, data, flags, None)


def recvfrom(s: int, n: int, flags: int = 0) -> tuple[bytes, Any]:
    """recvfrom(2): (data, source address)."""
    return _trap()(_S.SYS_recvfrom, s, n, flags)


def recv(s: int, n: int, flags: int = 0) -> bytes:
    return _trap()(_S.SYS_recvfrom, s, n, flags)[0]


def sendmsg(s: int, msg: Any, flags: int = 0) -> int:
    try:
        trap = getcurrent().trap
    except AttributeError:
        trap = _trap()
    return trap(_S.SYS_sendmsg, s, msg, flags)


def recvmsg(s: int, msg: Any, flags: int = 0) -> int:
    """recvmsg(2): fills ``msg`` (kernel/wire/socket.msghdr); returns the byte count."""
    try:
        trap = getcurrent().trap
    except AttributeError:
        trap = _trap()
    return trap(_S.SYS_recvmsg, s, msg, flags)


def getsockopt(s: int, level: int, name: int, value: Any = None) -> Any:
    """getsockopt(2); ``value`` is what the buffer holds going in, for the
    options that read a request (IP_MSFILTER, IPV6_MSFILTER)."""
    if value is None:
        return _trap()(_S.SYS_getsockopt, s, level, name)
    return _trap()(_S.SYS_getsockopt, s, level, name, value)


def setsockopt(s: int, level: int, name: int, value: Any) -> None:
    _trap()(_S.SYS_setsockopt, s, level, name, value)


def getsockname(s: int) -> Any:
    return _trap()(_S.SYS_getsockname, s)


def getpeername(s: int) -> Any:
    return _trap()(_S.SYS_getpeername, s)


def shutdown(s: int, how: int) -> None:
    _trap()(_S.SYS_shutdown, s, how)


# -- sysctl --------------------------------------------------------------------------------
def sysctlbyname(name: str, newval: Any = None) -> Any:
    """sysctlbyname(3): the value of ``name`` (the old one if ``newval`` is set)."""
    return _trap()(_S.SYS___sysctl, name, newval, CTL_SYSCTL_GET)


def sysctl_list(prefix: str = "") -> list[tuple[str, int]]:
    """The leaves below ``prefix`` with their kinds (what ``sysctl -a`` walks)."""
    return _trap()(_S.SYS___sysctl, prefix, None, CTL_SYSCTL_NEXT)


def sysctl_kind(name: str) -> int:
    """The node's CTLTYPE_* | CTLFLAG_* (sysctl's oidfmt)."""
    return _trap()(_S.SYS___sysctl, name, None, CTL_SYSCTL_OIDFMT)


def sysctl_descr(name: str) -> str:
    return _trap()(_S.SYS___sysctl, name, None, CTL_SYSCTL_OIDDESCR)


# -- arc4random(3) -------------------------------------------------------------------------
def _arc4() -> Any:
    """The process's generator, stirred from the kernel's KERN_ARND (``kern.arandom``)
    as FreeBSD's arc4_stir does: deterministic for a given lab seed."""
    vm = _vm()
    g = getattr(vm, "arc4", None)
    if g is None:
        import random as _random      # a PRNG seeded from the kernel: no wall clock, no OS entropy
        g = vm.arc4 = _random.Random(bytes(sysctlbyname("kern.arandom")))
    return g


def arc4random() -> int:
    """arc4random(3): a random 32-bit number."""
    return _arc4().getrandbits(32)


def arc4random_uniform(upper_bound: int) -> int:
    """arc4random_uniform(3): uniform in [0, upper_bound) (0 if upper_bound < 2)."""
    return _arc4().randrange(upper_bound) if upper_bound >= 2 else 0


def arc4random_buf(n: int) -> bytes:
    return bytes(_arc4().getrandbits(8) for _ in range(n))


def gethostname() -> str:
    return sysctlbyname("kern.hostname")


def sethostname(name: str) -> None:
    sysctlbyname("kern.hostname", name)


def trimdomain(host: str) -> str:
    """trimdomain(3) (libutil): ``host`` without its domain when that is this
    host's own (everything after the first dot of gethostname)."""
    try:
        domain = gethostname().partition(".")[2]
    except OSError:
        domain = ""
    head, dot, rest = host.partition(".")
    return head if dot and domain and rest == domain else host


@dataclass(frozen=True)
class utsname:
    sysname: str
    nodename: str
    release: str
    version: str
    machine: str


def uname() -> utsname:
    return utsname(sysctlbyname("kern.ostype"), sysctlbyname("kern.hostname"),
                   sysctlbyname("kern.osrelease"), sysctlbyname("kern.version"),
                   sysctlbyname("hw.machine"))


# Everything defined here, and the constants and structs of the headers it includes.
__all__ = [n for n, v in list(globals().items())
           if not n.startswith("__") and n not in ("sys", "dataclass", "getcurrent")
           and (getattr(v, "__module__", None) == __name__ or n.isupper()
                or n in ("strerror", "sigaction_t", "stat", "dirent", "timespec", "timeval",
                         "itimerval", "sockaddr_in6", "sockaddr_in", "to_ns"))]
