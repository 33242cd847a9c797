"""<net/if.h> and <net/if_types.h>: interface flags, link states, interface types.

Shared by the kernel (kernel/net/if.py) and userland (ifconfig, netstat).
Values are FreeBSD's.
"""
from __future__ import annotations

from enum import IntEnum, IntFlag


class IFF(IntFlag):
    """if_flags (FreeBSD <net/if.h>)."""

    UP = 0x1
    BROADCAST = 0x2
    DEBUG = 0x4
    LOOPBACK = 0x8
    POINTOPOINT = 0x10
    NEEDSEPOCH = 0x20
    DRV_RUNNING = 0x40
    NOARP = 0x80
    PROMISC = 0x100
    ALLMULTI = 0x200
    DRV_OACTIVE = 0x400
    SIMPLEX = 0x800
    LINK0 = 0x1000
    LINK1 = 0x2000
    LINK2 = 0x4000
    MULTICAST = 0x8000


# ifconfig prints flags in this order, with these names.
IFF_NAMES = [
    (IFF.UP, "UP"), (IFF.BROADCAST, "BROADCAST"), (IFF.DEBUG, "DEBUG"),
    (IFF.LOOPBACK, "LOOPBACK"), (IFF.POINTOPOINT, "POINTOPOINT"),
    (IFF.DRV_RUNNING, "RUNNING"), (IFF.NOARP, "NOARP"), (IFF.PROMISC, "PROMISC"),
    (IFF.ALLMULTI, "ALLMULTI"), (IFF.DRV_OACTIVE, "OACTIVE"), (IFF.SIMPLEX, "SIMPLEX"),
    (IFF.LINK0, "LINK0"), (IFF.LINK1, "LINK1"), (IFF.LINK2, "LINK2"),
    (IFF.MULTICAST, "MULTICAST"),
]


class LinkState(IntEnum):
    UNKNOWN = 0
    DOWN = 1
    UP = 2


class IFT(IntEnum):
    """<net/if_types.h>"""

    ETHER = 0x06
    LOOP = 0x18
    GIF = 0xF0


IFNAMSIZ = 16
