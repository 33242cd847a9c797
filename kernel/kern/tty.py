"""Terminals: the console and capture ttys (sys/kern/tty.c, tty_tty.c, kern/tty_cons.c).

A :class:`tty` has an input queue fed by the front (``tty_input(k, data)``)
through a small canonical line discipline (ICANON: lines, erase, kill, ^D
for end of file; ISIG: ^C sends SIGINT, ^\\ SIGQUIT and ^T SIGINFO to the
foreground process group) and an output sink.  A process reading an empty
tty sleeps until a line comes (or gets EAGAIN if non-blocking).

- ``k.console`` is ``/dev/console``: output goes to the machine's console
  (``k.platform.console_write``).
- :class:`capture` is a pseudo-terminal for the front: output collects in a
  buffer (``cap.text()``), input can be given up front and ends with EOF.
  The front runs a command with ``stdout=cap, stderr=cap`` to make a
  transcript; a capture is a tty, so stdio line-buffers as on a terminal.

ECHO is off by default: the front's console does its own line editing.
"""
from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any, Callable, Optional

from kernel.kern.kern_descrip import DTYPE_VNODE, file, fileops, intarg
from kernel.kern.kern_proc import pgfind
from kernel.kern.kern_sig import pgsignal
from kernel.kern.kern_synch import tsleep, wakeup
from kernel.kern.sys_generic import selrecord, selwakeup
from kernel.kern.vfs import cdevsw, make_dev, vn_stat
from kernel.wire.errno import EAGAIN, EFAULT, EINVAL, ENOTTY, ENXIO, EPERM, oserror
from kernel.wire.fcntl import FNONBLOCK, FREAD, FWRITE, O_NOCTTY
from kernel.wire.ioctl import (
    ECHO, ECHOCTL, FIONREAD, ICANON, ISIG, NOFLSH, TIOCGETA, TIOCGPGRP,
    TIOCGWINSZ, TIOCNOTTY, TIOCOUTQ, TIOCSCTTY, TIOCSETA, TIOCSPGRP, TIOCSTI, TIOCSWINSZ,
    termios, winsize,
)
from kernel.wire.poll import POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM
from kernel.wire.signal import SIGINFO, SIGINT, SIGQUIT, SIGWINCH
from kernel.wire.stat import S_IFCHR, stat

if TYPE_CHECKING:  # pragma: no cover
    from kernel.kern.init_main import Kernel
    from kernel.kern.kern_proc import proc

TTYHOG = 8192          # input beyond this is dropped (tty.c)

# control characters (c_cc defaults)
VINTR = 0x03
VQUIT = 0x1C
VSTATUS = 0x14
VEOF = 0x04
VERASE = 0x7F
VERASE2 = 0x08
VKILL = 0x15


class tty:
    """``struct tty`` with its line discipline."""

    def __init__(self, k: "Kernel", name: str, output: Callable[[bytes], None]) -> None:
        self.t_kernel = k
        self.t_name = name
        self.t_output = output
        self.t_termios = termios()
        self.t_winsize = winsize()
        self.t_canq: deque[bytes] = deque()   # complete lines; b"" is an end of file
        self.t_rawq = bytearray()              # the line being typed
        self.t_inclosed = False                # no more input ever: reads return EOF
        self.t_pgrp = 0                        # foreground process group
        self.t_session = 0
        self.t_rsel: set = set()
        self.t_drops = 0

    def __repr__(self) -> str:
        return f"<tty {self.t_name} pgrp={self.t_pgrp}>"

    # -- input (the front types) ---------------------------------------------------
    def input(self, data: bytes | str) -> None:
        """Characters typed at the terminal (ttyinput)."""
        if isinstance(data, str):
            data = data.encode()
        lflag = self.t_termios.c_lflag
        for c in data:
            if lflag & ISIG and c in (VINTR, VQUIT, VSTATUS):
                sig = SIGINT if c == VINTR else SIGQUIT if c == VQUIT else SIGINFO
                if c != VSTATUS and not lflag & NOFLSH:
                    self.t_rawq.clear()
                    self.t_canq.clear()
                if lflag & ECHO and lflag & ECHOCTL:
                    self._echo(b"^" + bytes([c + 0x40]) + b"\n")
                self.signal(sig)
                continue
            if lflag & ICANON:
                if c == 0x0D:
                    c = 0x0A                       # ICRNL
                if c in (VERASE, VERASE2):
                    if self.t_rawq:
                        self.t_rawq.pop()
                        if lflag & ECHO:
                            self._echo(b"\b \b")
                    continue
                if c == VKILL:
                    self.t_rawq.clear()
                    continue
                if c == VEOF:
                    self.t_canq.append(bytes(self.t_rawq))
                    self.t_rawq.clear()
                    continue
            if self._queued() >= TTYHOG:
                self.t_drops += 1
                continue
            self.t_rawq.append(c)
            if lflag & ECHO:
                self._echo(bytes([c]))
            if lflag & ICANON and c == 0x0A:
                self.t_canq.append(bytes(self.t_rawq))
                self.t_rawq.clear()
        if self.readable():
            self._wakeup_readers()

    def close_input(self) -> None:
        """No more input: readers get end of file once the queue is drained."""
        self.t_inclosed = True
        self._wakeup_readers()

    def signal(self, sig: int) -> None:
        """Send ``sig`` to the foreground process group (^C and friends)."""
        if self.t_pgrp:
            pgsignal(self.t_kernel, self.t_pgrp, sig)

    def _echo(self, b: bytes) -> None:
        self.t_output(b)

    def _queued(self) -> int:
        return len(self.t_rawq) + sum(len(x) for x in self.t_canq)

    def _wakeup_readers(self) -> None:
        selwakeup(self.t_rsel)
        wakeup(self.t_kernel, self)

    def readable(self) -> bool:
        if self.t_canq or self.t_inclosed:
            return True
        return bool(self.t_rawq) and not self.t_termios.c_lflag & ICANON

    def available(self) -> int:
        if self.t_termios.c_lflag & ICANON:
            return sum(len(x) for x in self.t_canq)
        return len(self.t_rawq)

    # -- read/write ------------------------------------------------------------------
    def read(self, n: int, nonblock: bool) -> bytes:
        k = self.t_kernel
        while True:
            if self.t_termios.c_lflag & ICANON:
                if self.t_canq:
                    chunk = self.t_canq[0]
                    if chunk == b"":
                        self.t_canq.popleft()
                        return b""
                    data = chunk[:n]
                    if len(data) == len(chunk):
                        self.t_canq.popleft()
                    else:
                        self.t_canq[0] = chunk[n:]
                    return data
                if self.t_rawq and self.t_inclosed:
                    data = bytes(self.t_rawq[:n])
                    del self.t_rawq[:n]
                    return data
            elif self.t_rawq:
                data = bytes(self.t_rawq[:n])
                del self.t_rawq[:n]
                return data
            if self.t_inclosed:
                return b""
            if nonblock:
                raise oserror(EAGAIN)
            err = tsleep(k, self, 0, "ttyin")
            if err:
                raise oserror(err)

    def write(self, data: bytes) -> int:
        self.t_output(data)
        return len(data)


class capture(tty):
    """A pseudo-terminal whose output the front collects (for transcripts).

    ``input`` is what the program reads; the input ends there (EOF) unless
    ``interactive`` is true, in which case the front keeps feeding ``input()``.
    ``tee`` also copies the output to the machine's console.
    """

    def __init__(self, k: "Kernel", input: bytes | str = b"", interactive: bool = False,
                 tee: bool = False, name: Optional[str] = None) -> None:
        k.ptscount = getattr(k, "ptscount", -1) + 1
        self.buf = bytearray()
        console = k.platform.console_write

        def out(b: bytes) -> None:
            self.buf += b
            if tee:
                console(b)

        super().__init__(k, name or f"pts/{k.ptscount}", out)
        if input:
            self.input(input)
        if not interactive:
            self.t_inclosed = True

    def getvalue(self) -> bytes:
        return bytes(self.buf)

    def text(self) -> str:
        return self.buf.decode("utf-8", "replace")

    def clear(self) -> None:
        self.buf.clear()


# -- file operations on a tty ---------------------------------------------------------
class ttyops(fileops):
    def fo_read(self, fp: file, n: int, flags: int, td: "proc") -> bytes:
        return fp.f_data.read(n, bool(fp.f_flag & FNONBLOCK))

    def fo_write(self, fp: file, data: bytes, flags: int, td: "proc") -> int:
        return fp.f_data.write(data)

    def fo_ioctl(self, fp: file, cmd: int, data: Any, td: "proc") -> Any:
        tp: tty = fp.f_data
        if cmd == TIOCGETA:
            t = tp.t_termios
            return termios(t.c_iflag, t.c_oflag, t.c_cflag, t.c_lflag, t.c_ispeed, t.c_ospeed)
        if cmd == TIOCSETA:
            if not isinstance(data, termios):
                raise oserror(EFAULT)
            tp.t_termios = termios(data.c_iflag, data.c_oflag, data.c_cflag, data.c_lflag,
                                   data.c_ispeed, data.c_ospeed)
            return 0
        if cmd == TIOCGPGRP:
            return tp.t_pgrp
        if cmd == TIOCSPGRP:
            if type(data) is not int or data <= 0:
                raise oserror(EINVAL)
            if not pgfind(tp.t_kernel, data):
                raise oserror(EPERM)
            tp.t_pgrp = data
            return 0
        if cmd == TIOCGWINSZ:
            w = tp.t_winsize
            return winsize(w.ws_row, w.ws_col, w.ws_xpixel, w.ws_ypixel)
        if cmd == TIOCSWINSZ:
            if not isinstance(data, winsize):
                raise oserror(EFAULT)
            tp.t_winsize = winsize(data.ws_row, data.ws_col, data.ws_xpixel, data.ws_ypixel)
            tp.signal(SIGWINCH)
            return 0
        if cmd == TIOCSCTTY:
            if td.p_sid != td.p_pid or td.p_ttyp is not None:
                raise oserror(EPERM)
            td.p_ttyp = tp
            tp.t_session = td.p_sid
            tp.t_pgrp = td.p_pgid
            return 0
        if cmd == TIOCNOTTY:
            if td.p_ttyp is not tp:
                raise oserror(ENOTTY)
            td.p_ttyp = None
            return 0
        if cmd == TIOCSTI:
            tp.input(bytes([intarg(data) & 0xFF]))
            return 0
        if cmd == FIONREAD:
            return tp.available()
        if cmd == TIOCOUTQ:
            return 0
        return super().fo_ioctl(fp, cmd, data, td)

    def fo_poll(self, fp: file, events: int, td: Optional["proc"]) -> int:
        tp: tty = fp.f_data
        rev = events & (POLLOUT | POLLWRNORM)
        if events & (POLLIN | POLLRDNORM):
            if tp.readable():
                rev |= events & (POLLIN | POLLRDNORM)
            else:
                selrecord(td, tp.t_rsel)
        return rev

    def fo_stat(self, fp: file, td: "proc") -> stat:
        vp = fp.f_vnode
        if vp is not None:
            return vn_stat(vp)
        return stat(st_mode=S_IFCHR | 0o620, st_rdev=1)


TTYOPS = ttyops()


def tty_file(tp: tty, fflags: int = FREAD | FWRITE, vp: Any = None) -> file:
    """A new open file on ``tp`` (one reference)."""
    return file(DTYPE_VNODE, fflags, tp, TTYOPS, vp)


def tty_acquire_ctty(tp: tty, td: Optional["proc"]) -> None:
    """A session leader without a terminal that opens one gets it (tty_open)."""
    if td is not None and td.p_sid == td.p_pid and td.p_ttyp is None and not tp.t_session:
        td.p_ttyp = tp
        tp.t_session = td.p_sid
        tp.t_pgrp = td.p_pgid


class _ttydev(cdevsw):
    def __init__(self, tp: tty) -> None:
        self.d_name = tp.t_name
        self.tp = tp

    def d_open(self, vp: Any, fflags: int, oflags: int, td: Optional["proc"]) -> file:
        if not oflags & O_NOCTTY:
            tty_acquire_ctty(self.tp, td)
        return tty_file(self.tp, fflags & 0xFFFF, vp)


class _cttydev(cdevsw):
    """``/dev/tty``: the controlling terminal of the opening process."""

    d_name = "tty"

    def d_open(self, vp: Any, fflags: int, oflags: int, td: Optional["proc"]) -> file:
        if td is None or td.p_ttyp is None:
            raise oserror(ENXIO)
        return tty_file(td.p_ttyp, fflags & 0xFFFF)


def tty_input(k: "Kernel", data: bytes | str, tp: Optional[tty] = None) -> None:
    """The front types ``data`` at the console (or at ``tp``)."""
    (tp or k.console).input(data)


def tty_init(k: "Kernel") -> None:
    """SYSINIT: the console tty and its device nodes."""
    k.console = tty(k, "console", k.platform.console_write)
    k.console_vnode = make_dev(k, _ttydev(k.console), "console", 0o600)
    make_dev(k, _cttydev(), "tty", 0o666)
