"""<sys/socket.h>: address families, socket types, options, flags, msghdr.

FreeBSD values throughout (AF_INET6 is 28, SOL_SOCKET is 0xffff).  Shared by
the kernel and userland.  Sockaddrs cross the syscall boundary as objects
(``sockaddr_in6`` from kernel/wire/in6.py); ``msghdr`` carries the pieces of
``sendmsg``/``recvmsg`` with control messages as ``(level, type, bytes)``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

# Address families (sys/socket.h)
AF_UNSPEC = 0
AF_UNIX = 1
AF_LOCAL = AF_UNIX
AF_INET = 2
AF_IMPLINK = 3
AF_PUP = 4
AF_CHAOS = 5
AF_NETBIOS = 6
AF_ISO = 7
AF_ECMA = 8
AF_DATAKIT = 9
AF_CCITT = 10
AF_SNA = 11
AF_DECnet = 12
AF_DLI = 13
AF_LAT = 14
AF_HYLINK = 15
AF_APPLETALK = 16
AF_ROUTE = 17
AF_LINK = 18
pseudo_AF_XTP = 19
AF_COIP = 20
AF_CNT = 21
pseudo_AF_RTIP = 22
AF_IPX = 23
AF_SIP = 24
pseudo_AF_PIP = 25
AF_ISDN = 26
pseudo_AF_KEY = 27              # PF_KEY (RFC 2367) uses this value on FreeBSD
AF_INET6 = 28
AF_NATM = 29
AF_ATM = 30
pseudo_AF_HDRCMPLT = 31
AF_NETGRAPH = 32
AF_SLOW = 33
AF_SCLUSTER = 34
AF_ARP = 35
AF_BLUETOOTH = 36
AF_MAX = 37

PF_UNSPEC = AF_UNSPEC
PF_UNIX = AF_UNIX
PF_LOCAL = AF_LOCAL
PF_INET = AF_INET
PF_ROUTE = AF_ROUTE
PF_LINK = AF_LINK
PF_KEY = pseudo_AF_KEY
PF_INET6 = AF_INET6
PF_MAX = AF_MAX

# Socket types
SOCK_STREAM = 1
SOCK_DGRAM = 2
SOCK_RAW = 3
SOCK_RDM = 4
SOCK_SEQPACKET = 5
# Flags or'ed into the type argument of socket(2) (FreeBSD 10+)
SOCK_CLOEXEC = 0x10000000
SOCK_NONBLOCK = 0x20000000

# Option level for socket-level options
SOL_SOCKET = 0xFFFF

# Option flags per socket (so_options)
SO_DEBUG = 0x0001
SO_ACCEPTCONN = 0x0002
SO_REUSEADDR = 0x0004
SO_KEEPALIVE = 0x0008
SO_DONTROUTE = 0x0010
SO_BROADCAST = 0x0020
SO_USELOOPBACK = 0x0040
SO_LINGER = 0x0080
SO_OOBINLINE = 0x0100
SO_REUSEPORT = 0x0200
SO_TIMESTAMP = 0x0400
SO_NOSIGPIPE = 0x0800
SO_ACCEPTFILTER = 0x1000
SO_BINTIME = 0x2000
# Other options, not kept in so_options
SO_SNDBUF = 0x1001
SO_RCVBUF = 0x1002
SO_SNDLOWAT = 0x1003
SO_RCVLOWAT = 0x1004
SO_SNDTIMEO = 0x1005
SO_RCVTIMEO = 0x1006
SO_ERROR = 0x1007
SO_TYPE = 0x1008
SO_LABEL = 0x1009
SO_PEERLABEL = 0x1010
SO_LISTENQLIMIT = 0x1011
SO_LISTENQLEN = 0x1012
SO_LISTENINCQLEN = 0x1013
SO_SETFIB = 0x1014
SO_USER_COOKIE = 0x1015
SO_PROTOCOL = 0x1016
SO_PROTOTYPE = SO_PROTOCOL
SO_DOMAIN = 0x1019

SOMAXCONN = 128

# Flags for send/recv
MSG_OOB = 0x1
MSG_PEEK = 0x2
MSG_DONTROUTE = 0x4
MSG_EOR = 0x8
MSG_TRUNC = 0x10
MSG_CTRUNC = 0x20
MSG_WAITALL = 0x40
MSG_DONTWAIT = 0x80
MSG_EOF = 0x100
MSG_NOTIFICATION = 0x2000
MSG_NBIO = 0x4000
MSG_COMPAT = 0x8000
MSG_NOSIGNAL = 0x20000

# shutdown(2)
SHUT_RD = 0
SHUT_WR = 1
SHUT_RDWR = 2

# Control message types at SOL_SOCKET
SCM_RIGHTS = 0x01
SCM_TIMESTAMP = 0x02
SCM_CREDS = 0x03
SCM_BINTIME = 0x04

# CMSG_* arithmetic of an LP64 FreeBSD (amd64): 12-byte header, 8-byte alignment.
_CMSG_HDRLEN = 12
_ALIGNBYTES = 7


def _ALIGN(n: int) -> int:
    return (n + _ALIGNBYTES) & ~_ALIGNBYTES


def CMSG_LEN(length: int) -> int:
    return _ALIGN(_CMSG_HDRLEN) + length


def CMSG_SPACE(length: int) -> int:
    return _ALIGN(_CMSG_HDRLEN) + _ALIGN(length)


def cmsg_space(control: Optional[list[tuple[int, int, bytes]]]) -> int:
    """Bytes a control list takes in a msg_control buffer."""
    if not control:
        return 0
    return sum(CMSG_SPACE(len(c[2])) for c in control)


@dataclass
class linger:
    """``struct linger`` for SO_LINGER."""

    l_onoff: int = 0
    l_linger: int = 0


@dataclass
class msghdr:
    """``struct msghdr`` for sendmsg/recvmsg.

    ``msg_iov`` is a list of buffers: bytes-like for sendmsg, writable
    (``bytearray``/``memoryview``) for recvmsg, which scatters the datagram
    into them.  ``msg_control`` is a list of ``(level, type, data)``;
    ``msg_controllen`` is the room recvmsg may fill (as in C: 0 means no
    control data wanted, and MSG_CTRUNC is set if some was dropped).
    recvmsg sets ``msg_name``, ``msg_control``, ``msg_flags``.
    """

    msg_name: Any = None
    msg_iov: list = field(default_factory=list)
    msg_control: list = field(default_factory=list)
    msg_controllen: int = 0
    msg_flags: int = 0

    @property
    def msg_iovlen(self) -> int:
        return len(self.msg_iov)


def sa_family(sa: Any) -> int:
    """The family of a sockaddr object (``sa->sa_family``); AF_UNSPEC if unknown."""
    for attr in ("sin6_family", "sin_family", "sa_family", "sdl_family", "sun_family"):
        v = getattr(sa, attr, None)
        if v is not None:
            return int(v)
    return AF_UNSPEC


def sa_len(sa: Any) -> int:
    """The length of a sockaddr object (``sa->sa_len``), 16 if it does not say."""
    for attr in ("sin6_len", "sin_len", "sa_len", "sdl_len", "sun_len"):
        v = getattr(sa, attr, None)
        if v is not None:
            return int(v)
    return 16
