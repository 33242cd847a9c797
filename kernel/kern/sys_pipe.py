"""Pipes (sys/kern/sys_pipe.c).

pipe(2) gives two descriptors on one buffer of PIPE_SIZE bytes: writes
block when it is full (EAGAIN if non-blocking), reads block when it is
empty and return end of file once the write end is closed; writing with no
reader gives EPIPE and SIGPIPE.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from kernel.kern.kern_descrip import DTYPE_PIPE, file, fileops, finstall, fdclose
from kernel.kern.kern_sig import psignal
from kernel.kern.kern_synch import tsleep, wakeup
from kernel.kern.sys_generic import selrecord, selwakeup
from kernel.wire.errno import EAGAIN, EPIPE, oserror
from kernel.wire.fcntl import FNONBLOCK, FREAD, FWRITE
from kernel.wire.ioctl import FIONREAD
from kernel.wire.poll import POLLHUP, POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM
from kernel.wire.signal import SIGPIPE
from kernel.wire.stat import S_IFIFO, stat

if TYPE_CHECKING:  # pragma: no cover
    from kernel.kern.init_main import Kernel
    from kernel.kern.kern_proc import proc

PIPE_SIZE = 16384
PIPE_BUF = 512            # writes up to this size are atomic


class pipe:
    """The shared buffer of a pipe and the state of its two ends."""

    def __init__(self, k: "Kernel") -> None:
        self.k = k
        self.buf = bytearray()
        self.readers = 1
        self.writers = 1
        self.rsel: set = set()
        self.wsel: set = set()

    def wake_readers(self) -> None:
        selwakeup(self.rsel)
        wakeup(self.k, (self, "r"))

    def wake_writers(self) -> None:
        selwakeup(self.wsel)
        wakeup(self.k, (self, "w"))


class pipeops(fileops):
    def fo_read(self, fp: file, n: int, flags: int, td: "proc") -> bytes:
        p: pipe = fp.f_data
        while not p.buf:
            if p.writers == 0:
                return b""
            if fp.f_flag & FNONBLOCK:
                raise oserror(EAGAIN)
            err = tsleep(p.k, (p, "r"), 0, "piperd")
            if err:
                raise oserror(err)
        data = bytes(p.buf[:n])
        del p.buf[:n]
        p.wake_writers()
        return data

    def fo_write(self, fp: file, data: bytes, flags: int, td: "proc") -> int:
        p: pipe = fp.f_data
        done = 0
        while done < len(data):
            if p.readers == 0:
                psignal(td, SIGPIPE)
                if done:
                    return done
                raise oserror(EPIPE)
            room = PIPE_SIZE - len(p.buf)
            left = len(data) - done
            if room <= 0 or (left <= PIPE_BUF and room < left):
                if fp.f_flag & FNONBLOCK:
                    if done:
                        return done
                    raise oserror(EAGAIN)
                err = tsleep(p.k, (p, "w"), 0, "pipewr")
                if err:
                    if done:
                        return done
                    raise oserror(err)
                continue
            chunk = data[done:done + room]
            p.buf += chunk
            done += len(chunk)
            p.wake_readers()
        return done

    def fo_ioctl(self, fp: file, cmd: int, data: Any, td: "proc") -> Any:
        if cmd == FIONREAD:
            return len(fp.f_data.buf) if fp.f_flag & FREAD else 0
        return super().fo_ioctl(fp, cmd, data, td)

    def fo_poll(self, fp: file, events: int, td: Optional["proc"]) -> int:
        p: pipe = fp.f_data
        rev = 0
        if fp.f_flag & FREAD and events & (POLLIN | POLLRDNORM):
            if p.buf or p.writers == 0:
                rev |= events & (POLLIN | POLLRDNORM)
            if p.writers == 0:
                rev |= POLLHUP
        if fp.f_flag & FWRITE and events & (POLLOUT | POLLWRNORM):
            if p.readers == 0:
                rev |= POLLHUP
            elif PIPE_SIZE - len(p.buf) >= PIPE_BUF:
                rev |= events & (POLLOUT | POLLWRNORM)
        if not rev:
            if fp.f_flag & FREAD:
                selrecord(td, p.rsel)
            if fp.f_flag & FWRITE:
                selrecord(td, p.wsel)
        return rev

    def fo_stat(self, fp: file, td: "proc") -> stat:
        return stat(st_mode=S_IFIFO | 0o600, st_size=len(fp.f_data.buf), st_blksize=PIPE_SIZE)

    def fo_close(self, fp: file, td: Optional["proc"]) -> None:
        p: pipe = fp.f_data
        if fp.f_flag & FREAD:
            p.readers -= 1
            p.wake_writers()
        if fp.f_flag & FWRITE:
            p.writers -= 1
            p.wake_readers()


PIPEOPS = pipeops()


def sys_pipe(td: "proc") -> tuple[int, int]:
    """pipe(2): (read end, write end)."""
    p = pipe(td.p_kernel)
    rfd = finstall(td, file(DTYPE_PIPE, FREAD, p, PIPEOPS))
    try:
        wfd = finstall(td, file(DTYPE_PIPE, FWRITE, p, PIPEOPS))
    except OSError:
        fdclose(td, rfd)
        raise
    return rfd, wfd
