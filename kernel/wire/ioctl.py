"""<sys/ioctl.h>: the file (filio.h) and terminal (ttycom.h) ioctls.

Socket and interface ioctls are in kernel/wire/sockio.py.  Encoded as in
<sys/ioccom.h>; FreeBSD values.
"""
from __future__ import annotations

from dataclasses import dataclass

from kernel.wire.sockio import IOC_IN, IOC_OUT, IOC_VOID, IOCPARM_MASK, _IOC


def _IO(g: str, n: int) -> int:
    return _IOC(IOC_VOID, g, n, 0)


def _IOR(g: str, n: int, length: int) -> int:
    return _IOC(IOC_OUT, g, n, length)


def _IOW(g: str, n: int, length: int) -> int:
    return _IOC(IOC_IN, g, n, length)


def IOCGROUP(cmd: int) -> str:
    return chr((cmd >> 8) & 0xFF)


def IOCPARM_LEN(cmd: int) -> int:
    return (cmd >> 16) & IOCPARM_MASK


# <sys/filio.h>
FIOCLEX = _IO("f", 1)
FIONCLEX = _IO("f", 2)
FIONREAD = _IOR("f", 127, 4)          # 0x4004667f
FIONBIO = _IOW("f", 126, 4)           # 0x8004667e
FIOASYNC = _IOW("f", 125, 4)          # 0x8004667d
FIOSETOWN = _IOW("f", 124, 4)
FIOGETOWN = _IOR("f", 123, 4)

# <sys/ttycom.h>
SIZEOF_TERMIOS = 44
TIOCGETA = _IOR("t", 19, SIZEOF_TERMIOS)   # 0x402c7413
TIOCSETA = _IOW("t", 20, SIZEOF_TERMIOS)   # 0x802c7414
TIOCSCTTY = _IO("t", 97)
TIOCGWINSZ = _IOR("t", 104, 8)
TIOCSWINSZ = _IOW("t", 103, 8)
TIOCSPGRP = _IOW("t", 118, 4)
TIOCGPGRP = _IOR("t", 119, 4)
TIOCNOTTY = _IO("t", 113)
TIOCOUTQ = _IOR("t", 115, 4)
TIOCSTI = _IOW("t", 114, 1)

# termios c_lflag bits (sys/termios.h)
ECHOKE = 0x00000001
ECHOE = 0x00000002
ECHOK = 0x00000004
ECHO = 0x00000008
ECHONL = 0x00000010
ECHOPRT = 0x00000020
ECHOCTL = 0x00000040
ISIG = 0x00000080
ICANON = 0x00000100
IEXTEN = 0x00000400
NOFLSH = 0x80000000


@dataclass
class termios:
    """The part of ``struct termios`` the console tty uses."""

    c_iflag: int = 0
    c_oflag: int = 0
    c_cflag: int = 0
    c_lflag: int = ICANON | ISIG
    c_ispeed: int = 9600
    c_ospeed: int = 9600


@dataclass
class winsize:
    ws_row: int = 24
    ws_col: int = 80
    ws_xpixel: int = 0
    ws_ypixel: int = 0
