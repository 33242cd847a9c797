"""libc: stdio, err(3), getopt(3), syslog(3), atoi(3) (lib/libc/stdio, gen, stdlib).

Per-process state (the FILE buffers, openlog's settings) lives in the
process's user memory (``getcurrent().vm``), as C keeps it in static storage.
Re-exported by userland/libc.py.
"""
from __future__ import annotations

from typing import Any, Optional, Union

from kernel.wire.errno import EBADF, EINVAL, strerror
from kernel.wire.fcntl import O_APPEND, O_CREAT, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY
from kernel.wire.syslog import *  # noqa: F403 - <syslog.h> is part of libc's interface
from kernel.wire.syslog import (
    LOG_ERR, LOG_FAC, LOG_FACMASK, LOG_KERN, LOG_NOTICE, LOG_PERROR, LOG_PID, LOG_PRIMASK,
    LOG_USER,
)
from userland.libc_sys import (
    _MONTHS, _vm, close, errno, exit, gethostname, getpid, getprogname, gmtime, isatty, open,
    read, time, write,
)


# -- stdio ---------------------------------------------------------------------------------
BUFSIZ = 1024
_IOFBF = 0
_IOLBF = 1
_IONBF = 2
EOF = -1


class FILE:
    """A stdio stream on a descriptor."""

    def __init__(self, fd: int, mode: int = _IOFBF) -> None:
        self.fd = fd
        self.mode = mode
        self.wbuf = bytearray()
        self.rbuf = bytearray()
        self.eof = False
        self.error = False

    def write(self, data: Union[bytes, str]) -> None:
        if isinstance(data, str):
            data = data.encode("utf-8", "replace")
        self.wbuf += data
        if self.mode == _IONBF or len(self.wbuf) >= BUFSIZ * 4:
            self.flush()
        elif self.mode == _IOLBF and b"\n" in data:
            self.flush()

    def flush(self) -> None:
        while self.wbuf:
            try:
                n = write(self.fd, bytes(self.wbuf))
            except OSError:
                self.error = True
                self.wbuf.clear()
                raise
            del self.wbuf[:n]

    def _fill(self) -> bool:
        if self.eof:
            return False
        _flush_linebuffered()
        b = read(self.fd, BUFSIZ * 4)
        if not b:
            self.eof = True
            return False
        self.rbuf += b
        return True

    def readline(self) -> bytes:
        while b"\n" not in self.rbuf:
            if not self._fill():
                break
        i = self.rbuf.find(b"\n")
        n = len(self.rbuf) if i < 0 else i + 1
        line = bytes(self.rbuf[:n])
        del self.rbuf[:n]
        return line

    def read(self, n: int = -1) -> bytes:
        while n < 0 or len(self.rbuf) < n:
            if not self._fill():
                break
        if n < 0:
            n = len(self.rbuf)
        out = bytes(self.rbuf[:n])
        del self.rbuf[:n]
        return out


class _StdStream:
    """``stdin``/``stdout``/``stderr``: stand for the running process's own stream."""

    def __init__(self, fd: int, name: str) -> None:
        self.fd = fd
        self.name = name

    def __repr__(self) -> str:
        return f"<{self.name}>"


stdin = _StdStream(0, "stdin")
stdout = _StdStream(1, "stdout")
stderr = _StdStream(2, "stderr")


def _stdio() -> list[FILE]:
    vm = _vm()
    files = getattr(vm, "stdio", None)
    if files is None:
        tty = isatty(1)
        files = [FILE(0, _IOLBF), FILE(1, _IOLBF if tty else _IOFBF), FILE(2, _IONBF)]
        vm.stdio = files
        vm.stdio_flush = _stdio_flush_all
        if not getattr(vm, "stdio_atexit", False):
            vm.stdio_atexit = True
            vm.vm_atexit.insert(0, _stdio_flush_all)    # runs last, as libc's cleanup
    return files


def _file(stream: Any) -> FILE:
    if isinstance(stream, _StdStream):
        return _stdio()[stream.fd]
    if isinstance(stream, FILE):
        return stream
    raise OSError(EBADF, strerror(EBADF))


def _flush_linebuffered() -> None:
    vm = _vm()
    files = getattr(vm, "stdio", None)
    if files is not None and files[1].mode == _IOLBF and files[1].wbuf:
        try:
            files[1].flush()
        except OSError:
            pass


def _stdio_flush_all() -> None:
    vm = _vm()
    for f in list(getattr(vm, "stdio", None) or []) + list(getattr(vm, "fopen_files", [])):
        try:
            f.flush()
        except OSError:
            pass


def setvbuf(stream: Any, mode: int) -> None:
    _file(stream).mode = mode


def setlinebuf(stream: Any) -> None:
    setvbuf(stream, _IOLBF)


def setbuf(stream: Any, buf: Any = None) -> None:
    setvbuf(stream, _IONBF if buf is None else _IOFBF)


def fflush(stream: Any = None) -> None:
    if stream is None:
        _stdio_flush_all()
    else:
        _file(stream).flush()


def _fmt(fmt: Union[str, bytes], args: tuple) -> Union[str, bytes]:
    return fmt % args if args or "%" in (fmt if isinstance(fmt, str) else fmt.decode("latin-1")) \
        else fmt


def printf(fmt: str, *args: Any) -> None:
    """printf(3) with Python's %-formatting (the C conversions it shares)."""
    _stdio()[1].write(_fmt(fmt, args))


def fprintf(stream: Any, fmt: str, *args: Any) -> None:
    _file(stream).write(_fmt(fmt, args))


def sprintf(fmt: str, *args: Any) -> str:
    return _fmt(fmt, args)  # type: ignore[return-value]


def puts(s: str) -> None:
    _stdio()[1].write(s + "\n")


def fputs(s: Union[str, bytes], stream: Any) -> None:
    _file(stream).write(s)


def putchar(c: Union[str, int]) -> None:
    _stdio()[1].write(chr(c) if isinstance(c, int) else c)


def fputc(c: Union[str, int], stream: Any) -> None:
    _file(stream).write(chr(c) if isinstance(c, int) else c)


def fwrite(data: bytes, stream: Any) -> int:
    _file(stream).write(data)
    return len(data)


def fgets(stream: Any = stdin) -> Optional[str]:
    """One line (with its newline), None at end of file."""
    line = _file(stream).readline()
    return line.decode("utf-8", "replace") if line else None


def fread(n: int, stream: Any = stdin) -> bytes:
    return _file(stream).read(n)


def feof(stream: Any) -> bool:
    f = _file(stream)
    return f.eof and not f.rbuf


def fileno(stream: Any) -> int:
    return _file(stream).fd


def fdopen(fd: int, mode: str = "r") -> FILE:
    f = FILE(fd, _IOFBF)
    vm = _vm()
    if not hasattr(vm, "fopen_files"):
        vm.fopen_files = []
    vm.fopen_files.append(f)
    _stdio()
    return f


def fopen(path: str, mode: str = "r") -> FILE:
    """fopen(3): modes r, w, a, r+, w+, a+ (OSError on failure)."""
    base = mode.replace("b", "")
    flags = {"r": O_RDONLY, "w": O_WRONLY | O_CREAT | O_TRUNC, "a": O_WRONLY | O_CREAT | O_APPEND,
             "r+": O_RDWR, "w+": O_RDWR | O_CREAT | O_TRUNC,
             "a+": O_RDWR | O_CREAT | O_APPEND}.get(base)
    if flags is None:
        raise OSError(EINVAL, strerror(EINVAL))
    return fdopen(open(path, flags, 0o666), mode)


def fclose(stream: FILE) -> None:
    try:
        stream.flush()
    finally:
        vm = _vm()
        try:
            vm.fopen_files.remove(stream)
        except (AttributeError, ValueError):
            pass
        close(stream.fd)


# -- err(3), perror(3) -----------------------------------------------------------------------
def _errmsg(code: Optional[int], fmt: Optional[str], args: tuple) -> None:
    f = _stdio()
    f[1].flush() if f[1].mode != _IOFBF else None
    out = getprogname() + ": "
    if fmt is not None:
        out += _fmt(fmt, args)  # type: ignore[operator]
        if code is not None:
            out += ": "
    if code is not None:
        out += strerror(code)
    f[2].write(out + "\n")


def err(eval: int, fmt: Optional[str] = None, *args: Any) -> None:
    """err(3): "prog: fmt: strerror(errno)" on stderr, then exit(eval)."""
    _errmsg(errno(), fmt, args)
    exit(eval)


def errc(eval: int, code: int, fmt: Optional[str] = None, *args: Any) -> None:
    _errmsg(code, fmt, args)
    exit(eval)


def errx(eval: int, fmt: Optional[str] = None, *args: Any) -> None:
    """errx(3): "prog: fmt" on stderr, then exit(eval)."""
    _errmsg(None, fmt, args)
    exit(eval)


def warn(fmt: Optional[str] = None, *args: Any) -> None:
    _errmsg(errno(), fmt, args)


def warnc(code: int, fmt: Optional[str] = None, *args: Any) -> None:
    _errmsg(code, fmt, args)


def warnx(fmt: Optional[str] = None, *args: Any) -> None:
    _errmsg(None, fmt, args)


def perror(s: Optional[str] = None) -> None:
    msg = strerror(errno())
    _stdio()[2].write(f"{s}: {msg}\n" if s else msg + "\n")


# -- getopt(3) -------------------------------------------------------------------------------
def getopt(argv: list[str], optstring: str) -> tuple[list[tuple[str, Optional[str]]], list[str]]:
    """BSD getopt(3) over ``argv`` (argv[0] is the program name).

    Returns ([(option, argument or None)], operands).  An unknown option or a
    missing argument gives ("?", None) after printing BSD's message
    ("ping6: illegal option -- z"), unless ``optstring`` starts with ":"
    (then ":" for a missing argument, silently).
    """
    quiet = optstring.startswith(":")
    opts: list[tuple[str, Optional[str]]] = []
    i = 1
    while i < len(argv):
        a = argv[i]
        if a == "--":
            i += 1
            break
        if not a.startswith("-") or a == "-":
            break
        j = 1
        while j < len(a):
            c = a[j]
            pos = optstring.find(c) if c != ":" else -1
            if pos < 0:
                if not quiet:
                    fprintf(stderr, "%s: illegal option -- %s\n", getprogname(), c)
                opts.append(("?", None))
                j += 1
                continue
            if pos + 1 < len(optstring) and optstring[pos + 1] == ":":
                if j + 1 < len(a):
                    opts.append((c, a[j + 1:]))
                elif i + 1 < len(argv):
                    i += 1
                    opts.append((c, argv[i]))
                else:
                    if not quiet:
                        fprintf(stderr, "%s: option requires an argument -- %s\n",
                                getprogname(), c)
                    opts.append((":" if quiet else "?", None))
                break
            opts.append((c, None))
            j += 1
        i += 1
    return opts, argv[i:]


# -- syslog(3) -------------------------------------------------------------------------------
def openlog(ident: Optional[str] = None, logopt: int = 0, facility: int = LOG_USER) -> None:
    vm = _vm()
    vm.log_ident = ident
    vm.log_opt = logopt
    vm.log_facility = facility


def closelog() -> None:
    pass


def setlogmask(mask: int) -> int:
    vm = _vm()
    old = getattr(vm, "log_mask", 0xFF)
    if mask:
        vm.log_mask = mask
    return old


def LOG_MASK(pri: int) -> int:
    return 1 << pri


def LOG_UPTO(pri: int) -> int:
    return (1 << (pri + 1)) - 1


def syslog(priority: int, fmt: str, *args: Any) -> None:
    """syslog(3), with the routing of FreeBSD's default syslog.conf: notice
    and above (and every kernel message) to /var/log/messages, err and above
    to the console too; LOG_PERROR also copies to stderr."""
    vm = _vm()
    pri = priority & LOG_PRIMASK
    if not getattr(vm, "log_mask", 0xFF) & (1 << pri):
        return
    fac = priority & LOG_FACMASK or getattr(vm, "log_facility", LOG_USER)
    ident = getattr(vm, "log_ident", None) or getprogname()
    opt = getattr(vm, "log_opt", 0)
    text = (fmt % args if args else fmt).replace("%m", strerror(errno()))
    tag = f"{ident}[{getpid()}]" if opt & LOG_PID else ident
    if opt & LOG_PERROR:
        _stdio()[2].write(f"{tag}: {text}\n")
    tm = gmtime(time())
    stamp = f"{_MONTHS[tm.tm_mon - 1]} {tm.tm_mday:2d} {tm.tm_hour:02d}:{tm.tm_min:02d}:{tm.tm_sec:02d}"
    host = gethostname().split(".", 1)[0]
    line = f"{stamp} {host} {tag}: {text}\n".encode("utf-8", "replace")
    if pri <= LOG_NOTICE or LOG_FAC(fac) == LOG_FAC(LOG_KERN):
        try:
            fd = open("/var/log/messages", O_WRONLY | O_APPEND | O_CREAT, 0o644)
            try:
                write(fd, line)
            finally:
                close(fd)
        except OSError:
            pass
    if pri <= LOG_ERR:
        try:
            fd = open("/dev/console", O_WRONLY | 0x8000)      # O_NOCTTY
            try:
                write(fd, line)
            finally:
                close(fd)
        except OSError:
            pass


# -- stdlib ----------------------------------------------------------------------------------
def atoi(s: str) -> int:
    """atoi(3) (lib/libc/stdlib): the leading decimal digits after white space and
    a sign, 0 if there are none."""
    s = s.strip()
    sign, i, n = 1, 0, 0
    if s[:1] in ("+", "-"):
        sign = -1 if s[0] == "-" else 1
        i = 1
    while i < len(s) and s[i].isdigit():
        n = n * 10 + int(s[i])
        i += 1
    return sign * n


__all__ = ["BUFSIZ", "EOF", "FILE", "stdin", "stdout", "stderr", "setvbuf", "setlinebuf",
           "setbuf", "fflush", "printf", "fprintf", "sprintf", "puts", "fputs", "putchar",
           "fputc", "fwrite", "fgets", "fread", "feof", "fileno", "fdopen", "fopen", "fclose",
           "err", "errc", "errx", "warn", "warnc", "warnx", "perror", "getopt", "openlog",
           "closelog", "setlogmask", "LOG_MASK", "LOG_UPTO", "syslog", "atoi"]
__all__ += [n for n in dir() if n.startswith("LOG_") and n not in __all__]
