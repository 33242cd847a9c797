"""<sys/sockio.h>: socket and interface ioctl numbers (FreeBSD values).

Encoded as in <sys/ioccom.h>: _IOW(g, n, t) = IOC_IN | (sizeof(t) << 16) | (g << 8) | n.
"""
from __future__ import annotations

IOCPARM_MASK = 0x1FFF
IOC_VOID = 0x20000000
IOC_OUT = 0x40000000
IOC_IN = 0x80000000
IOC_INOUT = IOC_IN | IOC_OUT

SIZEOF_IFREQ = 32


def _IOC(inout: int, group: str, num: int, length: int) -> int:
    return inout | ((length & IOCPARM_MASK) << 16) | (ord(group) << 8) | num


def _IOW(group: str, num: int, length: int) -> int:
    return _IOC(IOC_IN, group, num, length)


def _IOWR(group: str, num: int, length: int) -> int:
    return _IOC(IOC_INOUT, group, num, length)


SIOCSIFFLAGS = _IOW("i", 16, SIZEOF_IFREQ)       # 0x80206910
SIOCGIFFLAGS = _IOWR("i", 17, SIZEOF_IFREQ)      # 0xc0206911
SIOCADDMULTI = _IOW("i", 49, SIZEOF_IFREQ)       # 0x80206931
SIOCDELMULTI = _IOW("i", 50, SIZEOF_IFREQ)       # 0x80206932
SIOCGIFMTU = _IOWR("i", 51, SIZEOF_IFREQ)        # 0xc0206933
SIOCSIFMTU = _IOW("i", 52, SIZEOF_IFREQ)         # 0x80206934

SIZEOF_IFMEDIAREQ = 48         # amd64: name, 5 ints, pointer
SIZEOF_IFGROUPREQ = 40

SIOCGIFMETRIC = _IOWR("i", 23, SIZEOF_IFREQ)     # 0xc0206917
SIOCSIFMETRIC = _IOW("i", 24, SIZEOF_IFREQ)      # 0x80206918
SIOCGIFINDEX = _IOWR("i", 32, SIZEOF_IFREQ)      # 0xc0206920
SIOCGIFMEDIA = _IOWR("i", 56, SIZEOF_IFMEDIAREQ)  # 0xc0306938
SIOCGIFGROUP = _IOWR("i", 136, SIZEOF_IFGROUPREQ)  # 0xc0286988

# Cloned interfaces (net/if_clone.c: ``ifconfig gif0 create``, ``ifconfig -C``).
SIZEOF_IF_CLONEREQ = 16        # amd64: int total, int count, char *buffer
SIOCIFDESTROY = _IOW("i", 121, SIZEOF_IFREQ)          # 0x80206979
SIOCIFCREATE = _IOWR("i", 122, SIZEOF_IFREQ)          # 0xc020697a
SIOCIFCREATE2 = _IOWR("i", 124, SIZEOF_IFREQ)         # 0xc020697c
SIOCIFGCLONERS = _IOWR("i", 120, SIZEOF_IF_CLONEREQ)  # 0xc0106978

# Tunnel endpoints of gif(4) (``ifconfig gif0 tunnel A B``): SIOCSIFPHYADDR takes
# a ``struct ifaliasreq`` (kernel/wire/in_var.py ``in_aliasreq``, 16 + 3 * 16),
# the others a ``struct ifreq`` (``in_ifreq``).  The IPv6 ones are in in6_var.py.
SIZEOF_IFALIASREQ = 64
SIOCSIFPHYADDR = _IOW("i", 70, SIZEOF_IFALIASREQ)     # 0x80406946
SIOCGIFPSRCADDR = _IOWR("i", 71, SIZEOF_IFREQ)        # 0xc0206947
SIOCGIFPDSTADDR = _IOWR("i", 72, SIZEOF_IFREQ)        # 0xc0206948
SIOCDIFPHYADDR = _IOW("i", 73, SIZEOF_IFREQ)          # 0x80206949
