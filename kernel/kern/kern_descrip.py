"""File descriptors (sys/kern/kern_descrip.c, sys/sys/file.h, sys/sys/filedesc.h).

A process's ``filedesc`` maps small integers to open ``file`` objects.  A
``file`` is typed (vnode, socket, pipe) and dispatches through its
``fileops`` (``fo_read``, ``fo_write``, ``fo_ioctl``, ``fo_poll``,
``fo_stat``, ``fo_close``); several descriptors, in one or many processes,
may share one file (dup, inheritance), which is closed when the last
reference goes (``closef``).

O_NONBLOCK lives in ``f_flag``; fcntl(F_SETFL) also tells the object with
FIONBIO, as BSD does, so a socket's SS_NBIO follows.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from kernel.wire.errno import (
    EBADF, EINVAL, EMFILE, ENOTTY, EOPNOTSUPP, ESPIPE, oserror,
)
from kernel.wire.fcntl import (
    F_DUPFD, F_DUPFD_CLOEXEC, F_GETFD, F_GETFL, F_GETOWN, F_SETFD, F_SETFL, F_SETOWN,
    FASYNC, FCNTLFLAGS, FD_CLOEXEC, FNONBLOCK, OFLAGS,
)
from kernel.wire.ioctl import FIOASYNC, FIONBIO
from kernel.wire.stat import stat

if TYPE_CHECKING:  # pragma: no cover
    from kernel.kern.kern_proc import proc

# f_type (sys/file.h)
DTYPE_VNODE = 1
DTYPE_SOCKET = 2
DTYPE_PIPE = 3
DTYPE_FIFO = 4
DTYPE_KQUEUE = 5
DTYPE_PTS = 10

UF_EXCLOSE = 0x01     # close on exec


class fileops:
    """The operations of one kind of file; subclasses override what they support."""

    def fo_read(self, fp: "file", n: int, flags: int, td: "proc") -> bytes:
        raise oserror(EOPNOTSUPP)

    def fo_write(self, fp: "file", data: bytes, flags: int, td: "proc") -> int:
        raise oserror(EOPNOTSUPP)

    def fo_ioctl(self, fp: "file", cmd: int, data: Any, td: "proc") -> Any:
        """FIONBIO/FIOASYNC succeed on anything (fcntl F_SETFL relies on it)."""
        if cmd == FIONBIO or cmd == FIOASYNC:
            return 0
        raise oserror(ENOTTY)

    def fo_poll(self, fp: "file", events: int, td: Optional["proc"]) -> int:
        return 0

    def fo_stat(self, fp: "file", td: "proc") -> stat:
        return stat()

    def fo_close(self, fp: "file", td: Optional["proc"]) -> None:
        return None

    def fo_seek(self, fp: "file", offset: int, whence: int) -> int:
        raise oserror(ESPIPE)


class file:
    """``struct file``: an open file, shared by the descriptors that name it."""

    __slots__ = ("f_type", "f_flag", "f_offset", "f_data", "f_ops", "f_count", "f_vnode")

    def __init__(self, ftype: int, flag: int, data: Any, ops: fileops, vnode: Any = None) -> None:
        self.f_type = ftype
        self.f_flag = flag
        self.f_offset = 0
        self.f_data = data
        self.f_ops = ops
        self.f_count = 1
        self.f_vnode = vnode

    def __repr__(self) -> str:
        return f"<file type={self.f_type} flag={self.f_flag:#x} refs={self.f_count} {self.f_data!r}>"


def intarg(v: Any) -> int:
    """An integer argument from userland (copyin): EINVAL if it is not one."""
    if type(v) is int:
        return v
    if isinstance(v, bool):
        return int(v)
    raise oserror(EINVAL)


def fhold(fp: file) -> file:
    fp.f_count += 1
    return fp


def closef(fp: file, td: Optional["proc"]) -> None:
    """Drop one reference; close the object with the last."""
    fp.f_count -= 1
    if fp.f_count <= 0:
        fp.f_ops.fo_close(fp, td)


class filedesc:
    """``struct filedesc``: the descriptor table, cwd and umask of a process."""

    __slots__ = ("fd_ofiles", "fd_ofileflags", "fd_cdir", "fd_cmask", "fd_lastfile")

    def __init__(self, cdir: Any) -> None:
        self.fd_ofiles: list[Optional[file]] = []
        self.fd_ofileflags: list[int] = []
        self.fd_cdir = cdir
        self.fd_cmask = 0o022

    def fdcopy(self) -> "filedesc":
        """A copy for a new process: same files (one more reference each)."""
        fdp = filedesc(self.fd_cdir)
        fdp.fd_cmask = self.fd_cmask
        fdp.fd_ofiles = list(self.fd_ofiles)
        fdp.fd_ofileflags = list(self.fd_ofileflags)
        for fp in fdp.fd_ofiles:
            if fp is not None:
                fp.f_count += 1
        return fdp

    def open_fds(self) -> list[int]:
        return [i for i, fp in enumerate(self.fd_ofiles) if fp is not None]


def fdalloc(td: "proc", want: int = 0) -> int:
    """The lowest free descriptor >= ``want`` (EMFILE past kern.maxfilesperproc)."""
    fdp = td.p_fd
    files = fdp.fd_ofiles
    limit = td.p_kernel.maxfilesperproc
    i = want
    while i < len(files) and files[i] is not None:
        i += 1
    if i >= limit:
        raise oserror(EMFILE)
    while len(files) <= i:
        files.append(None)
        fdp.fd_ofileflags.append(0)
    return i


def fdinstall_at(td: "proc", fd: int, fp: file, cloexec: bool = False) -> None:
    """Put ``fp`` (the caller's reference) at descriptor ``fd``, closing what was there."""
    fdp = td.p_fd
    while len(fdp.fd_ofiles) <= fd:
        fdp.fd_ofiles.append(None)
        fdp.fd_ofileflags.append(0)
    old = fdp.fd_ofiles[fd]
    fdp.fd_ofiles[fd] = fp
    fdp.fd_ofileflags[fd] = UF_EXCLOSE if cloexec else 0
    if old is not None:
        closef(old, td)


def finstall(td: "proc", fp: file, want: int = 0, cloexec: bool = False) -> int:
    """Give ``fp`` (whose reference the caller passes on) a descriptor."""
    fd = fdalloc(td, want)
    td.p_fd.fd_ofiles[fd] = fp
    td.p_fd.fd_ofileflags[fd] = UF_EXCLOSE if cloexec else 0
    return fd


def fget(td: "proc", fd: int) -> file:
    """The file of descriptor ``fd`` (EBADF if none)."""
    try:
        fp = td.p_fd.fd_ofiles[fd]
    except (IndexError, TypeError):
        raise oserror(EBADF) from None
    if fp is None or type(fd) is not int or fd < 0:
        raise oserror(EBADF)
    return fp


def fdclose(td: "proc", fd: int) -> None:
    fp = fget(td, fd)
    fdp = td.p_fd
    fdp.fd_ofiles[fd] = None
    fdp.fd_ofileflags[fd] = 0
    closef(fp, td)


def fdfree(td: "proc") -> None:
    """Close every descriptor of an exiting process."""
    fdp = td.p_fd
    if fdp is None:
        return
    files = fdp.fd_ofiles
    fdp.fd_ofiles = []
    fdp.fd_ofileflags = []
    for fp in files:
        if fp is not None:
            closef(fp, td)


def fdcloseexec(td: "proc") -> None:
    fdp = td.p_fd
    for i, fl in enumerate(fdp.fd_ofileflags):
        if fl & UF_EXCLOSE and fdp.fd_ofiles[i] is not None:
            fdclose(td, i)


def do_dup(td: "proc", old: int, new: int, exact: bool, cloexec: bool = False) -> int:
    """dup (lowest free >= ``new``) or dup2 (exactly ``new``, closing what was there)."""
    fp = fget(td, old)
    if type(new) is not int or new < 0 or new >= td.p_kernel.maxfilesperproc:
        raise oserror(EBADF if exact else EINVAL)
    if not exact:
        fd = fdalloc(td, new)
        td.p_fd.fd_ofiles[fd] = fhold(fp)
        td.p_fd.fd_ofileflags[fd] = UF_EXCLOSE if cloexec else 0
        return fd
    if new != old:
        fdinstall_at(td, new, fhold(fp), cloexec)
    return new


# -- syscalls -------------------------------------------------------------------
def sys_close(td: "proc", fd: int) -> int:
    fdclose(td, fd)
    return 0


def sys_dup(td: "proc", fd: int) -> int:
    return do_dup(td, fd, 0, exact=False)


def sys_dup2(td: "proc", old: int, new: int) -> int:
    return do_dup(td, old, new, exact=True)


def sys_getdtablesize(td: "proc") -> int:
    return td.p_kernel.maxfilesperproc


def sys_fcntl(td: "proc", fd: int, cmd: int, arg: Any = 0) -> Any:
    fp = fget(td, fd)
    fdp = td.p_fd
    if cmd == F_DUPFD or cmd == F_DUPFD_CLOEXEC:
        return do_dup(td, fd, arg, exact=False, cloexec=cmd == F_DUPFD_CLOEXEC)
    if cmd == F_GETFD:
        return FD_CLOEXEC if fdp.fd_ofileflags[fd] & UF_EXCLOSE else 0
    if cmd == F_SETFD:
        fdp.fd_ofileflags[fd] = UF_EXCLOSE if intarg(arg) & FD_CLOEXEC else 0
        return 0
    if cmd == F_GETFL:
        return OFLAGS(fp.f_flag)
    if cmd == F_SETFL:
        if type(arg) is not int:
            raise oserror(EINVAL)
        newflag = (fp.f_flag & ~FCNTLFLAGS) | (arg & FCNTLFLAGS)
        nb = 1 if newflag & FNONBLOCK else 0
        fp.f_ops.fo_ioctl(fp, FIONBIO, nb, td)
        try:
            fp.f_ops.fo_ioctl(fp, FIOASYNC, 1 if newflag & FASYNC else 0, td)
        except OSError:
            if newflag & FASYNC:
                fp.f_ops.fo_ioctl(fp, FIONBIO, 1 if fp.f_flag & FNONBLOCK else 0, td)
                raise
        fp.f_flag = newflag
        return 0
    if cmd == F_GETOWN:
        return getattr(fp.f_data, "so_sigio", 0) or 0
    if cmd == F_SETOWN:
        if hasattr(fp.f_data, "so_sigio"):
            fp.f_data.so_sigio = intarg(arg)
            return 0
        raise oserror(ENOTTY)
    raise oserror(EINVAL)


def sys_fstat(td: "proc", fd: int) -> stat:
    fp = fget(td, fd)
    return fp.f_ops.fo_stat(fp, td)
