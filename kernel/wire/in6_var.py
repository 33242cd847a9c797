"""<netinet6/in6_var.h> and <netinet6/nd6.h>: the IPv6 interface ioctls and their structs.

Shared by the kernel (``in6_control``) and userland (ifconfig, ndp, rtsold).
ioctl numbers are FreeBSD's (amd64), encoded as <sys/ioccom.h> does, with the
``sizeof`` of each struct as FreeBSD lays it out on amd64 (noted beside it).
Arguments cross the syscall boundary as these dataclasses; an ``_IOWR`` ioctl
fills the fields of the object it was given (BSD's copyout).

Address flags (IN6_IFF_*), per-interface ND flags (ND6_IFF_*) and neighbor
cache states (ND6_LLINFO_*) are here too, since ifconfig and ndp print them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from kernel.wire.in6 import IN6ADDR_ANY, sockaddr_in6
from kernel.wire.sockio import _IOW, _IOWR

ND6_INFINITE_LIFETIME = 0xFFFFFFFF

# sizeof on FreeBSD amd64:
#   in6_ifreq   = 16 (name) + 272 (union; its largest member is struct icmp6_ifstat)
#   in6_aliasreq= 16 + 3 * 28 (sockaddr_in6) + 4 (flags) + 24 (in6_addrlifetime) + 4 (vhid), 8-aligned
#   in6_ndireq  = 16 + 56 (struct nd_ifinfo)
#   in6_nbrinfo = 16 + 16 + 8 (long asked) + 3 * 4, 8-aligned
#   in6_drlist  = 16 + 10 * 40 (DRLSTSIZ defrouters)
#   in6_prlist  = 16 + 10 * 208 (PRLSTSIZ prefixes with DRLSTSIZ advertising routers each)
SIZEOF_IN6_IFREQ = 288
SIZEOF_IN6_ALIASREQ = 136
SIZEOF_IN6_NDIREQ = 72
SIZEOF_IN6_NBRINFO = 56
SIZEOF_IN6_DRLIST = 416
SIZEOF_IN6_PRLIST = 2096
DRLSTSIZ = 10
PRLSTSIZ = 10

SIOCDIFADDR_IN6 = _IOW("i", 25, SIZEOF_IN6_IFREQ)           # 0x81206919
SIOCAIFADDR_IN6 = _IOW("i", 27, SIZEOF_IN6_ALIASREQ)        # 0x8088691b
SIOCGIFADDR_IN6 = _IOWR("i", 33, SIZEOF_IN6_IFREQ)          # 0xc1206921
SIOCGIFDSTADDR_IN6 = _IOWR("i", 34, SIZEOF_IN6_IFREQ)       # 0xc1206922
SIOCGIFNETMASK_IN6 = _IOWR("i", 37, SIZEOF_IN6_IFREQ)       # 0xc1206925
SIOCGIFAFLAG_IN6 = _IOWR("i", 73, SIZEOF_IN6_IFREQ)         # 0xc1206949
SIOCGDRLST_IN6 = _IOWR("i", 74, SIZEOF_IN6_DRLIST)          # 0xc1a0694a
SIOCGPRLST_IN6 = _IOWR("i", 75, SIZEOF_IN6_PRLIST)          # 0xc830694b
SIOCSNDFLUSH_IN6 = _IOWR("i", 77, SIZEOF_IN6_IFREQ)         # 0xc120694d
SIOCGNBRINFO_IN6 = _IOWR("i", 78, SIZEOF_IN6_NBRINFO)       # 0xc038694e
SIOCSPFXFLUSH_IN6 = _IOWR("i", 79, SIZEOF_IN6_IFREQ)        # 0xc120694f
SIOCSRTRFLUSH_IN6 = _IOWR("i", 80, SIZEOF_IN6_IFREQ)        # 0xc1206950
SIOCGIFALIFETIME_IN6 = _IOWR("i", 81, SIZEOF_IN6_IFREQ)     # 0xc1206951
SIOCSIFINFO_FLAGS = _IOWR("i", 87, SIZEOF_IN6_NDIREQ)       # 0xc0486957
SIOCGIFINFO_IN6 = _IOWR("i", 108, SIZEOF_IN6_NDIREQ)        # 0xc048696c
SIOCSIFINFO_IN6 = _IOWR("i", 109, SIZEOF_IN6_NDIREQ)        # 0xc048696d

# -- in6_ifaddr flags (ia6_flags) ---------------------------------------------------------
IN6_IFF_ANYCAST = 0x01          # anycast address
IN6_IFF_TENTATIVE = 0x02        # tentative address (RFC 4862 5.4)
IN6_IFF_DUPLICATED = 0x04       # DAD detected a duplicate
IN6_IFF_DETACHED = 0x08         # may be detached from the link
IN6_IFF_DEPRECATED = 0x10       # preferred lifetime expired (RFC 4862 5.5.4)
IN6_IFF_NODAD = 0x20            # don't perform DAD on this address
IN6_IFF_AUTOCONF = 0x40         # autoconfigurable address (SLAAC)
IN6_IFF_TEMPORARY = 0x80        # temporary (anonymous) address (RFC 4941)
IN6_IFF_PREFER_SOURCE = 0x100   # preferred address for source selection
IN6_IFF_NOTREADY = IN6_IFF_TENTATIVE | IN6_IFF_DUPLICATED

# ifconfig prints them in this order, with these words.
IN6_IFF_NAMES = [
    (IN6_IFF_ANYCAST, "anycast"), (IN6_IFF_TENTATIVE, "tentative"),
    (IN6_IFF_DUPLICATED, "duplicated"), (IN6_IFF_DETACHED, "detached"),
    (IN6_IFF_DEPRECATED, "deprecated"), (IN6_IFF_AUTOCONF, "autoconf"),
    (IN6_IFF_TEMPORARY, "temporary"), (IN6_IFF_PREFER_SOURCE, "prefer_source"),
]

# -- nd_ifinfo flags ------------------------------------------------------------------------
ND6_IFF_PERFORMNUD = 0x1
ND6_IFF_ACCEPT_RTADV = 0x2
ND6_IFF_PREFER_SOURCE = 0x4
ND6_IFF_IFDISABLED = 0x8            # IPv6 operation is disabled (RFC 4862 5.4.5)
ND6_IFF_DONT_SET_IFROUTE = 0x10
ND6_IFF_AUTO_LINKLOCAL = 0x20
ND6_IFF_NO_RADR = 0x40
ND6_IFF_NO_PREFER_IFACE = 0x80
ND6_IFF_NO_DAD = 0x100

ND6_IFF_NAMES = [
    (ND6_IFF_PERFORMNUD, "PERFORMNUD"), (ND6_IFF_ACCEPT_RTADV, "ACCEPT_RTADV"),
    (ND6_IFF_PREFER_SOURCE, "PREFER_SOURCE"), (ND6_IFF_IFDISABLED, "IFDISABLED"),
    (ND6_IFF_DONT_SET_IFROUTE, "DONT_SET_IFROUTE"), (ND6_IFF_AUTO_LINKLOCAL, "AUTO_LINKLOCAL"),
    (ND6_IFF_NO_RADR, "NO_RADR"), (ND6_IFF_NO_PREFER_IFACE, "NO_PREFER_IFACE"),
    (ND6_IFF_NO_DAD, "NO_DAD"),
]

# -- neighbor cache states (RFC 4861 7.3.2) ------------------------------------------------
ND6_LLINFO_PURGE = -3
ND6_LLINFO_NOSTATE = -2
ND6_LLINFO_INCOMPLETE = 0
ND6_LLINFO_REACHABLE = 1
ND6_LLINFO_STALE = 2
ND6_LLINFO_DELAY = 3
ND6_LLINFO_PROBE = 4

# -- prefix origin, default router preference (ndp -p / -r print them) --------------------
PR_ORIG_RA = 0
PR_ORIG_RR = 1
PR_ORIG_STATIC = 2
PR_ORIG_KERNEL = 3

NDPRF_ONLINK = 0x1
NDPRF_DETACHED = 0x2


@dataclass
class in6_addrlifetime:
    """Address lifetimes: ``expire``/``preferred`` are absolute (time_uptime
    seconds, 0 = infinite), ``vltime``/``pltime`` relative seconds as given."""

    ia6t_expire: int = 0
    ia6t_preferred: int = 0
    ia6t_vltime: int = ND6_INFINITE_LIFETIME
    ia6t_pltime: int = ND6_INFINITE_LIFETIME


@dataclass
class in6_aliasreq:
    """SIOCAIFADDR_IN6: add or change an address (``ifconfig em0 inet6 2001:db8::1 prefixlen 64``)."""

    ifra_name: str = ""
    ifra_addr: sockaddr_in6 = field(default_factory=sockaddr_in6)
    ifra_dstaddr: Optional[sockaddr_in6] = None
    ifra_prefixmask: Optional[sockaddr_in6] = None
    ifra_flags: int = 0
    ifra_lifetime: in6_addrlifetime = field(default_factory=in6_addrlifetime)
    ifra_vhid: int = 0


@dataclass
class in6_ifreq:
    """SIOCDIFADDR_IN6, SIOCGIFAFLAG_IN6, SIOCGIFALIFETIME_IN6, flush requests.

    BSD's union ``ifr_ifru`` becomes separate fields: the address goes in,
    the flags or lifetime come out.
    """

    ifr_name: str = ""
    ifr_addr: sockaddr_in6 = field(default_factory=sockaddr_in6)
    ifr_dstaddr: Optional[sockaddr_in6] = None
    ifru_flags6: int = 0
    ifru_lifetime: in6_addrlifetime = field(default_factory=in6_addrlifetime)


@dataclass
class nd_ifinfo:
    """Per-interface ND parameters (``struct nd_ifinfo``); times in milliseconds
    except ``reachable`` (ms too) and ``recalctm`` (seconds)."""

    linkmtu: int = 0                 # LinkMTU from an RA (0 = not advertised)
    maxmtu: int = 0                  # upper bound: the interface MTU
    basereachable: int = 30000       # BaseReachableTime (RFC 4861 10: REACHABLE_TIME)
    reachable: int = 30000           # ReachableTime, randomized (RFC 4861 6.3.2)
    retrans: int = 1000              # RetransTimer (RFC 4861 10: RETRANS_TIMER)
    flags: int = ND6_IFF_PERFORMNUD
    recalctm: int = 0                # seconds until ReachableTime is recomputed
    chlim: int = 64                  # CurHopLimit
    initialized: int = 0


@dataclass
class in6_ndireq:
    """SIOCGIFINFO_IN6 / SIOCSIFINFO_IN6 (``ndp -i em0``)."""

    ifname: str = ""
    ndi: nd_ifinfo = field(default_factory=nd_ifinfo)


@dataclass
class in6_nbrinfo:
    """SIOCGNBRINFO_IN6: one neighbor cache entry (``ndp fe80::1%em0``)."""

    ifname: str = ""
    addr: bytes = IN6ADDR_ANY
    asked: int = 0
    isrouter: int = 0
    state: int = 0
    expire: int = 0                  # time_uptime seconds, 0 = none


@dataclass
class in6_defrouter:
    """One default router, as sysctl net.inet6.icmp6.nd6_drlist returns it."""

    rtaddr: sockaddr_in6 = field(default_factory=sockaddr_in6)
    flags: int = 0                   # the RA flags byte (preference bits 0x18)
    rtlifetime: int = 0              # seconds
    expire: int = 0                  # time_uptime seconds
    if_index: int = 0


@dataclass
class in6_prefix:
    """One prefix list entry, as sysctl net.inet6.icmp6.nd6_prlist returns it."""

    prefix: sockaddr_in6 = field(default_factory=sockaddr_in6)
    raflags_onlink: int = 0
    raflags_autonomous: int = 0
    prefixlen: int = 0
    origin: int = PR_ORIG_RA
    vltime: int = 0
    pltime: int = 0
    expire: int = 0
    flags: int = 0                   # NDPRF_*
    refcnt: int = 0                  # addresses formed from it
    if_index: int = 0
    advrtrs: list[sockaddr_in6] = field(default_factory=list)


@dataclass
class in6_drlist:
    """SIOCGDRLST_IN6 (KAME): up to DRLSTSIZ default routers."""

    ifname: str = ""
    defrouter: list[in6_defrouter] = field(default_factory=list)


@dataclass
class in6_prlist:
    """SIOCGPRLST_IN6 (KAME): up to PRLSTSIZ prefixes."""

    ifname: str = ""
    prefix: list[in6_prefix] = field(default_factory=list)


# ND default interface (``ndp -I``): amd64 sizeof(struct in6_ndifreq) = 16 + 8
SIZEOF_IN6_NDIFREQ = 24
SIOCSDEFIFACE_IN6 = _IOWR("i", 85, SIZEOF_IN6_NDIFREQ)     # 0xc0186955
SIOCGDEFIFACE_IN6 = _IOWR("i", 86, SIZEOF_IN6_NDIFREQ)     # 0xc0186956


@dataclass
class in6_ndifreq:
    """SIOCSDEFIFACE_IN6 / SIOCGDEFIFACE_IN6: the default interface for
    scoped destinations given without a zone (0: none)."""

    ifname: str = ""
    ifindex: int = 0


# Tunnel endpoints of gif(4) over IPv6 (``ifconfig gif0 tunnel 2001:db8::1 2001:db8::2``):
# SIOCSIFPHYADDR_IN6 takes an ``in6_aliasreq`` (ifra_addr: local, ifra_dstaddr:
# remote), the others an ``in6_ifreq`` whose ``ifr_addr`` the answer fills.
SIOCSIFPHYADDR_IN6 = _IOW("i", 62, SIZEOF_IN6_ALIASREQ)     # 0x8088693e
SIOCGIFPSRCADDR_IN6 = _IOWR("i", 63, SIZEOF_IN6_IFREQ)      # 0xc120693f
SIOCGIFPDSTADDR_IN6 = _IOWR("i", 64, SIZEOF_IN6_IFREQ)      # 0xc1206940
