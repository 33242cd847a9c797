"""IPv4 interface addresses: add, remove, look up, ioctls (sys/netinet/in.c).

(``in`` is a Python keyword, so this module is ``in_``.)

``in_control(k, cmd, data, ifp, td)`` answers the AF_INET interface ioctls
(SIOCAIFADDR, SIOCDIFADDR, SIOCGIFADDR, SIOCGIFNETMASK, SIOCGIFBRDADDR,
SIOCGIFDSTADDR, the structs of kernel/wire/in_var.py) and returns a BSD
errno.  Adding an address (``in_ifinit``) brings the interface up (as
ether_ioctl's SIOCSIFADDR does), computes subnet and broadcast address —
the mask of the address's class when none is given (RFC 791 2.3), the
all-ones host part for broadcast (RFC 919, RFC 922) — installs the
interface route of the subnet (``link#N``; on a point-to-point link the
host route to the peer, on loopback the host route to the address) and the
local host route through lo0, joins the all-hosts group on the first
address of a multicast interface (RFC 1112 4: "membership ... is
permanent") and announces the address with a gratuitous ARP request.
``in_purgeaddr`` undoes all of that; the interface route of a subnet that
another address of the interface still has moves to that address
(``in_scrubprefix``).  The listeners in ``k.inet.in_addr_listeners`` (the
routing socket) hear of each address added or changed (RTM_NEWADDR) and
removed (RTM_DELADDR) as ``fn(k, cmd, ia)``.

Lookups the rest of netinet uses: ``in_localip`` (one of our addresses),
``ifa_ifwithaddr`` (ours or one of our broadcast addresses),
``ifa_ifwithnet`` (an address whose subnet holds a destination),
``ifaof_ifpforaddr``, ``IFP_TO_IA``, ``in_broadcast``, ``in_canforward``,
``inm_lookup`` (have we joined a group on an interface) with
``in_addmulti``/``in_delmulti`` (reference counted; the link layer hears of
the first join and the last leave through ``if_addmulti``/``if_delmulti``,
RFC 1112 6.4 mapping); the records, their source filters and IGMPv3 live in
in_mcast.py and igmp.py.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from kernel.netinet import in_rmx
from kernel.netinet.in_var import IFA_ROUTE, IFA_RTSELF, in_ifaddr, in_multi
from kernel.wire import errno as E
from kernel.wire.in_ import (INADDR_ALLHOSTS_GROUP, INADDR_ANY, INADDR_BROADCAST, IN_EXPERIMENTAL,
                             IN_LOOPBACK, IN_MULTICAST, IN_ZERONET, in_classlen, in_mask2len,
                             sockaddr_in)
from kernel.wire.in_var import (SIOCAIFADDR, SIOCDIFADDR, SIOCGIFADDR, SIOCGIFBRDADDR,
                                SIOCGIFDSTADDR, SIOCGIFNETMASK, in_aliasreq, in_ifreq)
from kernel.wire.net_if import IFF
from kernel.wire.route import (RTF_HOST, RTF_LOCAL, RTF_STATIC, RTM_ADD, RTM_DELADDR,
                               RTM_DELETE, RTM_NEWADDR, sockaddr_dl)

if TYPE_CHECKING:  # pragma: no cover
    from kernel.kern.init_main import Kernel

_IFF_BROADCAST = int(IFF.BROADCAST)
_IFF_LOOPBACK = int(IFF.LOOPBACK)
_IFF_POINTOPOINT = int(IFF.POINTOPOINT)
_IFF_MULTICAST = int(IFF.MULTICAST)
IN_RFC3021_MASK = 0xFFFFFFFE     # a /31 has no broadcast address (RFC 3021 2.2)
LOOPBACK_ADDR = bytes((127, 0, 0, 1))


class in_state:
    """in.c's globals for one kernel (``k.inet``)."""

    def __init__(self) -> None:
        self.in_ifaddrhead: list[in_ifaddr] = []             # all addresses, in order added
        self.in_ifaddrhash: dict[bytes, list[in_ifaddr]] = {}  # INADDR_HASH
        self.in_multihead: dict[tuple[int, bytes], in_multi] = {}
        self.in_addr_listeners: list[Any] = []               # fn(k, RTM_NEWADDR|DELADDR, ia)


def in_addr_notify(k: "Kernel", cmd: int, ia: in_ifaddr) -> None:
    """Tell the listeners (rtsock's rt_newaddrmsg) an address came or went."""
    for fn in list(k.inet.in_addr_listeners):
        fn(k, cmd, ia)


def in_init(k: "Kernel") -> None:
    """SYSINIT: the address list (``k.inet``, alias ``k.in_ifaddrhead``) and the
    AF_INET routing table."""
    if getattr(k, "inet", None) is not None:
        return
    st = in_state()
    k.inet = st
    k.in_ifaddrhead = st.in_ifaddrhead
    in_rmx.in_rtable_init(k)


def in_loattach(k: "Kernel") -> int:
    """Pseudo-device SYSINIT after loattach: 127.0.0.1/8 on lo0, as FreeBSD's
    /etc/rc.d/netif does (``ifconfig lo0 inet 127.0.0.1``)."""
    lo = getattr(k, "loif", None)
    if lo is None or in_localip(k, LOOPBACK_ADDR) is not None:
        return 0
    return in_aifaddr(lo, LOOPBACK_ADDR, 8)


# -- lookups ------------------------------------------------------------------------------
def in_localip(k: "Kernel", addr: bytes) -> Optional[in_ifaddr]:
    """``addr`` if it is one of our addresses (any interface: the weak host model)."""
    lst = k.inet.in_ifaddrhash.get(addr)
    return lst[0] if lst else None


def in_ifaddrs(k: "Kernel", ifp: Any = None) -> list[in_ifaddr]:
    """The addresses of ``ifp`` (all if None), in the order they were added."""
    return [ia for ia in k.inet.in_ifaddrhead if ifp is None or ia.ia_ifp is ifp]


def IFP_TO_IA(ifp: Any) -> Optional[in_ifaddr]:
    """The first IPv4 address of ``ifp``."""
    for ia in ifp.kernel.inet.in_ifaddrhead:
        if ia.ia_ifp is ifp:
            return ia
    return None


def ifa_ifwithaddr(k: "Kernel", addr: bytes) -> Optional[in_ifaddr]:
    """Our address ``addr``, or the address whose broadcast address it is."""
    ia = in_localip(k, addr)
    if ia is not None:
        return ia
    for ia in k.inet.in_ifaddrhead:
        if ia.ia_ifp.if_flags & _IFF_BROADCAST and ia.ia_broadaddr == addr:
            return ia
    return None


def ifa_ifwithdstaddr(k: "Kernel", addr: bytes) -> Optional[in_ifaddr]:
    """The address of the point-to-point link whose peer is ``addr``."""
    for ia in k.inet.in_ifaddrhead:
        if ia.ia_ifp.if_flags & _IFF_POINTOPOINT and ia.ia_dstaddr == addr:
            return ia
    return None


def ifa_ifwithnet(k: "Kernel", addr: bytes) -> Optional[in_ifaddr]:
    """The address whose subnet holds ``addr``, the most specific one."""
    best = None
    for ia in k.inet.in_ifaddrhead:
        if ia.ia_ifp.if_flags & _IFF_POINTOPOINT:
            continue
        if ia.ia_contains(addr) and (best is None or ia.ia_prefixlen > best.ia_prefixlen):
            best = ia
    return best


def ifaof_ifpforaddr(ifp: Any, addr: bytes) -> Optional[in_ifaddr]:
    """An address of ``ifp`` to reach ``addr`` from: on its subnet (or its
    point-to-point peer), else the first address of ``ifp``."""
    first = None
    for ia in ifp.kernel.inet.in_ifaddrhead:
        if ia.ia_ifp is not ifp:
            continue
        if first is None:
            first = ia
        if ia.ia_dstaddr == addr or (ia.ia_dstaddr is None and ia.ia_contains(addr)):
            return ia
    return first


def in_broadcast(addr: bytes, ifp: Any) -> bool:
    """Is ``addr`` a broadcast address on ``ifp``?  The limited broadcast and
    0.0.0.0, a subnet's all-ones broadcast address, and the old all-zeros one
    — except on a /31 (RFC 3021) and a /32."""
    if addr == INADDR_BROADCAST or addr == INADDR_ANY:
        return True
    if ifp is None or not ifp.if_flags & _IFF_BROADCAST:
        return False
    t = int.from_bytes(addr, "big")
    for ia in ifp.kernel.inet.in_ifaddrhead:
        if ia.ia_ifp is not ifp or ia.ia_subnetmask == 0xFFFFFFFF:
            continue
        if addr == ia.ia_broadaddr or (ia.ia_subnetmask != IN_RFC3021_MASK and t == ia.ia_subnet):
            return True
    return False


def in_canforward(addr: bytes) -> bool:
    """May a packet to ``addr`` be forwarded?  Not to multicast (no multicast
    routing), class E, 0/8 or 127/8 (RFC 1812 5.3.7, 4.2.2.11)."""
    return not (IN_MULTICAST(addr) or IN_EXPERIMENTAL(addr) or IN_ZERONET(addr)
                or IN_LOOPBACK(addr))


def in_localaddr(k: "Kernel", addr: bytes) -> bool:
    """Is ``addr`` on a directly connected subnet?"""
    return any(ia.ia_contains(addr) for ia in k.inet.in_ifaddrhead)


# -- multicast groups ------------------------------------------------------------------------
def inm_lookup(ifp: Any, group: bytes) -> Optional[in_multi]:
    """IN_LOOKUP_MULTI: have we joined ``group`` on ``ifp``?"""
    return ifp.kernel.inet.in_multihead.get((ifp.if_index, group))


def in_addmulti(ifp: Any, group: bytes) -> Optional[in_multi]:
    """Join ``group`` on ``ifp`` for the kernel (reference counted): the first
    join programs the link-layer filter (RFC 1112 6.4: 01:00:5e and the low
    23 bits) and IGMP reports it (in_mcast.in_joingroup)."""
    from kernel.netinet import in_mcast
    return in_mcast.in_joingroup(ifp, group)


def in_delmulti(inm: in_multi) -> None:
    """Drop a kernel reference; the last one leaves the group and tells the link layer."""
    from kernel.netinet import in_mcast
    in_mcast.in_leavegroup_kernel(inm)


def in_leavegroup(ifp: Any, group: bytes) -> None:
    inm = inm_lookup(ifp, group)
    if inm is not None:
        in_delmulti(inm)


# -- routes --------------------------------------------------------------------------------
def _sdl(ifp: Any) -> sockaddr_dl:
    return sockaddr_dl(ifp.if_index, int(ifp.if_type))


def in_addprefix(ia: in_ifaddr) -> int:
    """The route that makes the address's subnet (or peer) reachable: a host
    route on loopback and point-to-point links, else the subnet route —
    unless another address of the interface already installed it."""
    ifp = ia.ia_ifp
    k = ifp.kernel
    if ifp.if_flags & _IFF_LOOPBACK:
        dst, plen, flags = ia.ia_addr, 32, RTF_HOST
    elif ifp.if_flags & _IFF_POINTOPOINT:
        if ia.ia_dstaddr is None:
            return 0
        dst, plen, flags = ia.ia_dstaddr, 32, RTF_HOST
    else:
        if ia.ia_prefixlen == 32:
            return 0                   # a /32 alias: no subnet of its own
        dst, plen, flags = ia.ia_subnet.to_bytes(4, "big"), ia.ia_prefixlen, 0
        for o in k.inet.in_ifaddrhead:
            if o is not ia and o.ifa_flags & IFA_ROUTE and o.ia_prefixlen == plen \
                    and o.ia_subnet == ia.ia_subnet and o.ia_dstaddr is None:
                return 0               # FreeBSD in_addprefix: "already have one"
    err, _rt = in_rmx.in_rtrequest(k, RTM_ADD, dst, plen, _sdl(ifp), flags, ifp, ia)
    if err == 0:
        ia.ifa_flags |= IFA_ROUTE
    elif err != E.EEXIST:
        k.count("in_addprefix_failed")
    return err if err != E.EEXIST else 0


def in_scrubprefix(ia: in_ifaddr) -> None:
    """Remove the address's interface route; if another address of the same
    subnet exists, the route moves to it (FreeBSD in_scrubprefix)."""
    if not ia.ifa_flags & IFA_ROUTE:
        return
    ia.ifa_flags &= ~IFA_ROUTE
    ifp = ia.ia_ifp
    k = ifp.kernel
    if ifp.if_flags & (_IFF_LOOPBACK | _IFF_POINTOPOINT):
        dst, plen = (ia.ia_addr if ifp.if_flags & _IFF_LOOPBACK else ia.ia_dstaddr), 32
    else:
        dst, plen = ia.ia_subnet.to_bytes(4, "big"), ia.ia_prefixlen
    in_rmx.in_rtrequest(k, RTM_DELETE, dst, plen)
    if plen == 32:
        return
    for o in k.inet.in_ifaddrhead:
        if o is not ia and o.ia_prefixlen == plen and o.ia_subnet == ia.ia_subnet \
                and o.ia_dstaddr is None and not o.ia_ifp.if_flags & _IFF_POINTOPOINT:
            if in_rmx.in_rtrequest(k, RTM_ADD, dst, plen, _sdl(o.ia_ifp), 0, o.ia_ifp, o)[0] == 0:
                o.ifa_flags |= IFA_ROUTE
            return


def _localroute(ia: in_ifaddr, add: bool) -> None:
    """The host route of our own address through lo0 (FreeBSD's ifa_add_loopback_route:
    ``addr link#N UHS lo0``); loopback interfaces have their host route already."""
    ifp = ia.ia_ifp
    k = ifp.kernel
    if ifp.if_flags & _IFF_LOOPBACK:
        return
    lo = getattr(k, "loif", None) or ifp
    if add:
        err, _ = in_rmx.in_rtrequest(k, RTM_ADD, ia.ia_addr, 32, _sdl(ifp),
                                     RTF_HOST | RTF_STATIC | RTF_LOCAL, lo, ia)
        if err == 0:
            ia.ifa_flags |= IFA_RTSELF
    elif ia.ifa_flags & IFA_RTSELF:
        ia.ifa_flags &= ~IFA_RTSELF
        rt = in_rmx.in_rtlookup(k, ia.ia_addr, 32)
        other = next((o for o in k.inet.in_ifaddrhash.get(ia.ia_addr, ()) if o is not ia), None)
        if rt is None or rt.rt_ifa is not ia:
            return
        if other is None:
            in_rmx.in_rtrequest(k, RTM_DELETE, ia.ia_addr, 32)
        else:                           # the same address on another interface keeps it
            in_rmx.in_rtrequest(k, RTM_DELETE, ia.ia_addr, 32)
            in_rmx.in_rtrequest(k, RTM_ADD, ia.ia_addr, 32, _sdl(other.ia_ifp),
                                RTF_HOST | RTF_STATIC | RTF_LOCAL, lo, other)
            other.ifa_flags |= IFA_RTSELF


# -- adding and removing addresses ------------------------------------------------------------
def _bad_unicast(addr: bytes) -> bool:
    return addr == INADDR_ANY or IN_MULTICAST(addr) or IN_EXPERIMENTAL(addr)


def in_aifaddr(ifp: Any, addr: bytes, plen: Optional[int] = None,
               broadaddr: Optional[bytes] = None, dstaddr: Optional[bytes] = None) -> int:
    """Add ``addr`` to ``ifp`` or change its mask/broadcast/peer (SIOCAIFADDR).
    ``plen`` None keeps an existing address's mask, or takes the class's
    (RFC 791 2.3) for a new one.  Returns a BSD errno."""
    k = ifp.kernel
    st = k.inet
    if len(addr) != 4 or _bad_unicast(addr):
        return E.EINVAL
    if plen is not None and not 0 <= plen <= 32:
        return E.EINVAL
    if ifp.if_flags & _IFF_POINTOPOINT and dstaddr is None:
        return E.EDESTADDRREQ
    ia = next((o for o in st.in_ifaddrhash.get(addr, ()) if o.ia_ifp is ifp), None)
    new = ia is None
    if new:
        ia = in_ifaddr(addr, ifp, in_classlen(addr) if plen is None else plen)
        st.in_ifaddrhead.append(ia)
        st.in_ifaddrhash.setdefault(ia.ia_addr, []).append(ia)
    else:
        # the routes go and come back with the new mask or peer (in_ifscrub)
        in_scrubprefix(ia)
        if plen is not None:
            ia.in_setmask(plen)
    if ifp.if_flags & _IFF_POINTOPOINT:
        ia.ia_dstaddr = bytes(dstaddr)
    err = in_ifinit(ifp, ia, new, broadaddr if ifp.if_flags & _IFF_BROADCAST else None)
    in_addr_notify(k, RTM_NEWADDR, ia)
    return err


def in_ifinit(ifp: Any, ia: in_ifaddr, new: bool, broadaddr: Optional[bytes] = None) -> int:
    """Initialize an address: interface up, broadcast address, routes, the
    all-hosts group, gratuitous ARP (in.c in_ifinit, if_ether.c arp_ifinit)."""
    k = ifp.kernel
    if not ifp.if_flags & IFF.UP:
        # ether_ioctl(SIOCSIFADDR): "ifp->if_flags |= IFF_UP; ifp->if_init(...)"
        from kernel.net import if_ioctl
        if_ioctl.if_setflags_user(ifp, ifp.if_flags | int(IFF.UP))
    if ifp.if_flags & _IFF_BROADCAST:
        if broadaddr is not None:
            ia.ia_broadaddr = bytes(broadaddr)
        elif ia.ia_subnetmask == IN_RFC3021_MASK:
            ia.ia_broadaddr = INADDR_BROADCAST    # a /31 has none (RFC 3021 2.2)
        else:
            # RFC 919 / RFC 922: the host part all ones
            ia.ia_broadaddr = (ia.ia_subnet | (~ia.ia_subnetmask & 0xFFFFFFFF)).to_bytes(4, "big")
    err = in_addprefix(ia)
    if new:
        _localroute(ia, True)
        if ifp.if_flags & _IFF_MULTICAST and sum(1 for o in in_ifaddrs(k, ifp)) == 1:
            # RFC 1112 4: "the all-hosts group ... membership is permanent"
            in_addmulti(ifp, INADDR_ALLHOSTS_GROUP)
    if getattr(k, "arp", None) is not None:
        from kernel.netinet import if_ether
        if_ether.arp_ifinit(ifp, ia)
    return err


def in_purgeaddr(ia: in_ifaddr) -> None:
    """Remove an address: its routes (and every route it was the source of,
    in_ifadown), its ARP entries, the all-hosts group with the last address."""
    ifp = ia.ia_ifp
    k = ifp.kernel
    st = k.inet
    if ia not in st.in_ifaddrhead:
        return
    in_scrubprefix(ia)
    _localroute(ia, False)
    in_rmx.in_rt_delete_if(k, lambda rt: rt.rt_ifa is ia)
    st.in_ifaddrhead.remove(ia)
    lst = st.in_ifaddrhash.get(ia.ia_addr)
    if lst is not None and ia in lst:
        lst.remove(ia)
        if not lst:
            del st.in_ifaddrhash[ia.ia_addr]
    if getattr(k, "arp", None) is not None:
        from kernel.netinet import if_ether
        if_ether.arp_ifscrub(ifp, ia)
    if IFP_TO_IA(ifp) is None:
        in_leavegroup(ifp, INADDR_ALLHOSTS_GROUP)
    in_addr_notify(k, RTM_DELADDR, ia)


def in_purgeif(ifp: Any) -> None:
    """Remove every IPv4 address of ``ifp``."""
    for ia in in_ifaddrs(ifp.kernel, ifp):
        in_purgeaddr(ia)


# -- ioctls --------------------------------------------------------------------------------------
def _valid_sin(sa: Any, optional: bool = False) -> bool:
    if sa is None:
        return optional
    return (isinstance(sa, sockaddr_in) and isinstance(sa.sin_addr, bytes)
            and len(sa.sin_addr) == 4 and type(sa.sin_port) is int)


def _valid(cmd: int, data: Any) -> bool:
    """Is ``data`` a well-formed argument for ``cmd`` (what a process handed in)?"""
    if cmd == SIOCAIFADDR:
        return (isinstance(data, in_aliasreq) and isinstance(data.ifra_name, str)
                and _valid_sin(data.ifra_addr) and _valid_sin(data.ifra_broadaddr, True)
                and _valid_sin(data.ifra_mask, True))
    return isinstance(data, in_ifreq) and isinstance(data.ifr_name, str) \
        and _valid_sin(data.ifr_addr)


def in_control(k: "Kernel", cmd: int, data: Any, ifp: Any = None, td: Any = None) -> int:
    """The AF_INET interface ioctls (``in_control``); returns a BSD errno.

    Results are written into ``data``.  ``ifp`` is the interface the request
    names (None: looked up by the name in ``data``)."""
    if cmd not in (SIOCAIFADDR, SIOCDIFADDR, SIOCGIFADDR, SIOCGIFNETMASK, SIOCGIFBRDADDR,
                   SIOCGIFDSTADDR):
        return E.EOPNOTSUPP
    if not _valid(cmd, data):
        return E.EINVAL
    if ifp is None:
        name = data.ifra_name if cmd == SIOCAIFADDR else data.ifr_name
        ifp = k.ifunit(name) if name else None
        if ifp is None:
            return E.ENXIO
    if cmd in (SIOCAIFADDR, SIOCDIFADDR):
        from kernel.kern.kern_proc import priv_check
        err = priv_check(td)
        if err:
            return err
    if cmd == SIOCAIFADDR:
        mask = data.ifra_mask
        plen = None
        if mask is not None:
            plen = in_mask2len(mask.sin_addr)
            if plen < 0:
                return E.EINVAL             # a mask must be contiguous
        other = data.ifra_broadaddr.sin_addr if data.ifra_broadaddr is not None else None
        if ifp.if_flags & _IFF_POINTOPOINT:
            return in_aifaddr(ifp, data.ifra_addr.sin_addr, plen, None, other)
        return in_aifaddr(ifp, data.ifra_addr.sin_addr, plen, other, None)
    want = data.ifr_addr.sin_addr
    mine = in_ifaddrs(k, ifp)
    ia = next((o for o in mine if o.ia_addr == want), None)
    if cmd == SIOCDIFADDR:
        if ia is None and want == INADDR_ANY and mine:
            ia = mine[0]        # no address named: the first one (ifconfig em0 inet NEW)
        if ia is None:
            return E.EADDRNOTAVAIL
        in_purgeaddr(ia)
        return 0
    if ia is None and mine:
        ia = mine[0]                       # "the first one on the interface"
    if ia is None:
        return E.EADDRNOTAVAIL
    if cmd == SIOCGIFADDR:
        data.ifr_addr = ia.ia_sockaddr
    elif cmd == SIOCGIFNETMASK:
        data.ifr_addr = sockaddr_in(ia.ia_sockmask)
    elif cmd == SIOCGIFBRDADDR:
        if not ifp.if_flags & _IFF_BROADCAST:
            return E.EINVAL
        data.ifr_broadaddr = sockaddr_in(ia.ia_broadaddr)
    else:
        if not ifp.if_flags & _IFF_POINTOPOINT or ia.ia_dstaddr is None:
            return E.EINVAL
        data.ifr_dstaddr = sockaddr_in(ia.ia_dstaddr)
    return 0


__all__ = ["in_init", "in_loattach", "in_localip", "in_ifaddrs", "IFP_TO_IA", "ifa_ifwithaddr",
           "ifa_ifwithdstaddr", "ifa_ifwithnet", "ifaof_ifpforaddr", "in_broadcast",
           "in_canforward", "in_localaddr", "inm_lookup", "in_addmulti", "in_delmulti",
           "in_leavegroup", "in_aifaddr", "in_ifinit", "in_purgeaddr", "in_purgeif",
           "in_control", "in_addprefix", "in_scrubprefix", "in_addr_notify"]
