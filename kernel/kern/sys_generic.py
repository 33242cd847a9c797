"""read, write, ioctl, select and poll over any kind of file (sys/kern/sys_generic.c).

select/poll use BSD's selinfo protocol: an object that is not ready records
the polling thread in its ``selinfo`` (a set) with ``selrecord``; the code
that makes it ready calls ``selwakeup``, which wakes the thread, and the scan
runs again.  Timeouts are virtual time.  A signal ends the wait with EINTR
(select and poll are never restarted).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from kernel.kern.kern_descrip import UF_EXCLOSE, fget
from kernel.kern.kern_synch import tsleep, wakeup
from kernel.wire.errno import EBADF, EFAULT, EINTR, EINVAL, ERESTART, oserror
from kernel.wire.fcntl import FASYNC, FNONBLOCK, FREAD, FWRITE
from kernel.wire.ioctl import FIOASYNC, FIOCLEX, FIONBIO, FIONCLEX
from kernel.wire.poll import POLLNVAL, POLLRDBAND, POLLRDNORM, POLLWRNORM

if TYPE_CHECKING:  # pragma: no cover
    from kernel.kern.kern_proc import proc

_BYTES = (bytes, bytearray, memoryview)


# -- selinfo ----------------------------------------------------------------------
def selrecord(td: Optional["proc"], sel: set) -> None:
    """Record that ``td`` waits for the object owning ``sel`` (no-op if td is None)."""
    if td is not None and td not in sel:
        sel.add(td)
        td.td_selq.append(sel)


def selwakeup(sel: set) -> None:
    """Wake every thread selecting on the object owning ``sel``."""
    if not sel:
        return
    tds = list(sel)
    sel.clear()
    for td in tds:
        wakeup(td.p_kernel, td.td_selchan)


def seldrop(td: "proc") -> None:
    for sel in td.td_selq:
        sel.discard(td)
    td.td_selq.clear()


# -- read/write -------------------------------------------------------------------
def _count(n: Any) -> int:
    if type(n) is not int or n < 0:
        raise oserror(EINVAL)
    return n


def sys_read(td: "proc", fd: int, n: int) -> bytes:
    fp = fget(td, fd)
    if not fp.f_flag & FREAD:
        raise oserror(EBADF)
    return fp.f_ops.fo_read(fp, _count(n), 0, td)


def sys_write(td: "proc", fd: int, data: Any) -> int:
    fp = fget(td, fd)
    if not fp.f_flag & FWRITE:
        raise oserror(EBADF)
    if type(data) is not bytes:
        if not isinstance(data, _BYTES):
            raise oserror(EFAULT)
        data = bytes(data)
    return fp.f_ops.fo_write(fp, data, 0, td)


def sys_readv(td: "proc", fd: int, iov: list) -> int:
    """readv(2): scatter one read into the writable buffers of ``iov``."""
    try:
        lens = [len(b) for b in iov]
    except TypeError:
        raise oserror(EFAULT) from None
    data = sys_read(td, fd, sum(lens))
    return copyout_iov(data, iov)


def copyout_iov(data: bytes, iov: list) -> int:
    if len(iov) == 1 and type(iov[0]) is bytearray:
        # One buffer (recvmsg's usual case): same-length slice assignment, no resize.
        b = iov[0]
        n = len(b) if len(b) < len(data) else len(data)
        b[:n] = data[:n] if n < len(data) else data
        return n
    off = 0
    try:
        for b in iov:
            if off >= len(data):
                break
            n = min(len(b), len(data) - off)
            memoryview(b).cast("B")[:n] = data[off:off + n]
            off += n
    except (TypeError, ValueError):
        raise oserror(EFAULT) from None
    return off


def sys_writev(td: "proc", fd: int, iov: list) -> int:
    try:
        data = b"".join(bytes(b) for b in iov)
    except TypeError:
        raise oserror(EFAULT) from None
    return sys_write(td, fd, data)


# -- ioctl --------------------------------------------------------------------------
def sys_ioctl(td: "proc", fd: int, cmd: int, data: Any = None) -> Any:
    """ioctl(2): returns what the object returns (the filled-in struct for
    _IOR/_IOWR commands), 0 when it returns nothing."""
    fp = fget(td, fd)
    if type(cmd) is not int:
        raise oserror(EINVAL)
    if cmd == FIONCLEX:
        td.p_fd.fd_ofileflags[fd] &= ~UF_EXCLOSE
        return 0
    if cmd == FIOCLEX:
        td.p_fd.fd_ofileflags[fd] |= UF_EXCLOSE
        return 0
    if cmd == FIONBIO:
        if data:
            fp.f_flag |= FNONBLOCK
        else:
            fp.f_flag &= ~FNONBLOCK
    elif cmd == FIOASYNC:
        if data:
            fp.f_flag |= FASYNC
        else:
            fp.f_flag &= ~FASYNC
    rv = fp.f_ops.fo_ioctl(fp, cmd, data, td)
    return 0 if rv is None else rv


# -- select/poll ----------------------------------------------------------------------
def _pollwait(td: "proc", entries: list, timo_ns: Optional[int], wmesg: str) -> list[int]:
    """Scan ``entries`` ([(file or None, events)]) until one is ready or time is up.

    Returns the revents of each entry.  ``timo_ns`` None waits forever, 0 polls.
    """
    k = td.p_kernel
    deadline = None if timo_ns is None else k.now() + timo_ns
    record: Optional["proc"] = td if timo_ns != 0 else None
    while True:
        out = []
        ready = 0
        for fp, events in entries:
            if fp is None:
                rev = POLLNVAL
            elif events:
                rev = fp.f_ops.fo_poll(fp, events, record)
            else:
                rev = 0
            if rev:
                ready += 1
            out.append(rev)
        if ready or record is None:
            seldrop(td)
            return out
        if deadline is None:
            err = tsleep(k, td.td_selchan, 0, wmesg)
        else:
            left = deadline - k.now()
            err = tsleep(k, td.td_selchan, left, wmesg) if left > 0 else 1
        seldrop(td)
        if err in (EINTR, ERESTART):
            raise oserror(EINTR)
        if err:                          # timed out: one last look, recording nothing
            record = None


def _timo(timeout_ns: Any) -> Optional[int]:
    if timeout_ns is None:
        return None
    if type(timeout_ns) is not int or timeout_ns < 0:
        raise oserror(EINVAL)
    return timeout_ns


_SELFLAGS = (POLLRDNORM, POLLWRNORM, POLLRDBAND)


def sys_select(td: "proc", rfds: Any, wfds: Any, efds: Any,
               timeout_ns: Optional[int] = None) -> tuple[list[int], list[int], list[int]]:
    """select(2) on lists of descriptors; returns the ready ones of each list."""
    timo = _timo(timeout_ns)
    sets = []
    for s in (rfds, wfds, efds):
        if s is None:
            sets.append([])
            continue
        try:
            sets.append([int(fd) for fd in s])
        except (TypeError, ValueError):
            raise oserror(EFAULT) from None
    entries = []
    index = []
    for which, fds in enumerate(sets):
        for fd in fds:
            entries.append((fget(td, fd), _SELFLAGS[which]))
            index.append((which, fd))
    revs = _pollwait(td, entries, timo, "select")
    res: tuple[list[int], list[int], list[int]] = ([], [], [])
    for (which, fd), rev in zip(index, revs):
        if rev:
            res[which].append(fd)
    return res


def sys_poll(td: "proc", fds: list, timeout_ms: int = -1) -> int:
    """poll(2): fills in each pollfd's ``revents``; returns how many have some."""
    if type(timeout_ms) is not int:
        raise oserror(EINVAL)
    timo = None if timeout_ms < 0 else timeout_ms * 1_000_000
    entries = []
    try:
        for pfd in fds:
            fd = pfd.fd
            events = int(pfd.events)
            if type(fd) is not int:
                raise TypeError
            if fd < 0:
                entries.append((_NOFILE, 0))
                continue
            try:
                fp = fget(td, fd)
            except OSError:
                fp = None
            entries.append((fp, events))
    except (TypeError, ValueError, AttributeError):
        raise oserror(EFAULT) from None
    revs = _pollwait(td, entries, timo, "poll")
    n = 0
    for pfd, rev in zip(fds, revs):
        pfd.revents = rev
        if rev:
            n += 1
    return n


# A pollfd with a negative fd: scanned with no events, so its revents stay 0.
_NOFILE: Any = object()
