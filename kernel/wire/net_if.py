"""<net/if.h> and <net/if_types.h>: interface flags, link states, interface types.

Shared by the kernel (kernel/net/if.py) and userland (ifconfig, netstat).
Values are FreeBSD's.
"""
from __future__ import annotations

from dataclasses import dataclass, field
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

# if_flags above 16 bits (FreeBSD <net/if.h>): ifconfig's ``promisc`` sets PPROMISC,
# the kernel turns it into PROMISC (ifpromisc).
IFF_PPROMISC = 0x20000
IFF_MONITOR = 0x40000
IFF_STATICARP = 0x80000

# The flag bits the user may not change with SIOCSIFFLAGS (IFF_CANTCHANGE).
IFF_CANTCHANGE = int(IFF.BROADCAST | IFF.POINTOPOINT | IFF.DRV_RUNNING | IFF.DRV_OACTIVE
                     | IFF.SIMPLEX | IFF.MULTICAST | IFF.ALLMULTI | IFF.PROMISC
                     | IFF.LOOPBACK) | 0x200000       # | IFF_DYING


@dataclass
class ifreq:
    """``struct ifreq`` (SIOCGIFFLAGS, SIOCSIFFLAGS, SIOCGIFMTU, SIOCSIFMTU,
    SIOCGIFINDEX, SIOCGIFMETRIC ...).  BSD's union ``ifr_ifru`` becomes
    separate fields; ``ifr_flags``/``ifr_flagshigh`` are the low and high 16
    bits of the interface flags, as in FreeBSD."""

    ifr_name: str = ""
    ifr_flags: int = 0
    ifr_flagshigh: int = 0
    ifr_mtu: int = 0
    ifr_metric: int = 0
    ifr_index: int = 0


# <net/if_media.h>: the media words ifconfig prints ("Ethernet autoselect (1000baseT
# <full-duplex>)").
IFM_ETHER = 0x00000020
IFM_AUTO = 0
IFM_MANUAL = 1
IFM_NONE = 2
IFM_10_T = 3
IFM_100_TX = 6
IFM_1000_T = 16
IFM_10G_T = 26
IFM_FDX = 0x00100000
IFM_HDX = 0x00200000
IFM_TMASK = 0x0000001F          # media subtype
IFM_NMASK = 0x000000E0          # network type
IFM_OMASK = 0x0000FF00          # type-specific options
IFM_GMASK = 0x0FF00000          # global options (duplex)
IFM_AVALID = 0x00000001
IFM_ACTIVE = 0x00000002


def IFM_TYPE(x: int) -> int:
    return x & IFM_NMASK


def IFM_SUBTYPE(x: int) -> int:
    return x & IFM_TMASK


def IFM_OPTIONS(x: int) -> int:
    return x & (IFM_OMASK | IFM_GMASK)


IFM_ETHER_SUBTYPE_NAMES = {IFM_AUTO: "autoselect", IFM_MANUAL: "manual", IFM_NONE: "none",
                           IFM_10_T: "10baseT/UTP", IFM_100_TX: "100baseTX",
                           IFM_1000_T: "1000baseT", IFM_10G_T: "10Gbase-T"}
IFM_SHARED_OPTION_NAMES = [(IFM_FDX, "full-duplex"), (IFM_HDX, "half-duplex")]


@dataclass
class ifmediareq:
    """``struct ifmediareq`` (SIOCGIFMEDIA): the current and active media words,
    the link status (IFM_AVALID, IFM_ACTIVE) and the supported media list."""

    ifm_name: str = ""
    ifm_current: int = 0
    ifm_mask: int = 0
    ifm_status: int = 0
    ifm_active: int = 0
    ifm_ulist: list[int] = field(default_factory=list)

    @property
    def ifm_count(self) -> int:
        return len(self.ifm_ulist)


@dataclass
class ifgroupreq:
    """``struct ifgroupreq`` (SIOCGIFGROUP): the groups an interface is in."""

    ifgr_name: str = ""
    ifgr_groups: list[str] = field(default_factory=list)


# link states as ``struct if_data`` carries them (LINK_STATE_*)
LINK_STATE_UNKNOWN = 0
LINK_STATE_DOWN = 1
LINK_STATE_UP = 2


@dataclass
class if_clonereq:
    """``struct if_clonereq`` (SIOCIFGCLONERS, ``ifconfig -C``): ``ifcr_count``
    is how many names the caller has room for (0: only ask the total);
    the kernel fills ``ifcr_total`` and up to ``ifcr_count`` names."""

    ifcr_total: int = 0
    ifcr_count: int = 0
    ifcr_buffer: list[str] = field(default_factory=list)
