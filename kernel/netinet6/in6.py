"""IPv6 interface addresses: add, remove, look up, ioctls (sys/netinet6/in6.c).

``in6_update_ifa`` adds or changes an address (BSD's SIOCAIFADDR_IN6 path
and what SLAAC and in6_ifattach call): it joins the solicited-node and
all-nodes groups on the interface (RFC 4861 7.2.1, RFC 4291 2.8), installs
the interface route of its prefix and the local host route (through lo0),
sets the lifetimes (RFC 4862 5.5.4) and starts DAD (RFC 4862 5.4).
``in6_purgeaddr`` undoes all of that.  Interface routes are reference
counted: an address and an on-link prefix from an RA may both want
``2001:db8::/64`` on em0.

Lookups the rest of netinet6 uses:

- ``in6ifa_ifwithaddr(k, addr, zone)``: is ``addr`` (in ``zone``) ours?
- ``in6ifa_ifpwithaddr(ifp, addr)``: an address of ``ifp`` equal to ``addr``
- ``in6ifa_ifpforlinklocal(ifp, ignoreflags)``: ``ifp``'s link-local address
- ``in6_ifawithifp(ifp, dst)``: an address of ``ifp`` to send to ``dst`` from
- ``in6m_lookup(ifp, group)``: have we joined ``group`` on ``ifp``?

``in6_control(k, cmd, data, ifp)`` answers the interface ioctls ifconfig and
ndp use and returns a BSD errno (0 on success); the ND ones go to
``nd6.nd6_ioctl``.
"""
from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any, Optional

from kernel.kern.kern_sysctl import SYSCTL_INT
from kernel.netinet6.in6_var import (IFA_ROUTE, IFA_RTSELF, IFA6_IS_DEPRECATED, IFA6_IS_INVALID,
                                     IN6_IFAUPDATE_DADDELAY, in6_ifaddr, in6_init_address_ltimes,
                                     in6_multi, time_uptime)
from kernel.wire import errno as bsd_errno
from kernel.wire.in6 import (IN6_IS_ADDR_LINKLOCAL, IN6_IS_ADDR_MULTICAST,
                             IN6_IS_ADDR_UNSPECIFIED, IN6ADDR_LINKLOCAL_ALLNODES,
                             IN6ADDR_NODELOCAL_ALLNODES, in6_addrscope, in6_is_scoped, in6_mask,
                             in6_mask2len, in6_matchlen, in6_prefix_mask, in6_solicited_node,
                             sockaddr_in6)
from kernel.wire.in6_var import (IN6_IFF_ANYCAST, IN6_IFF_AUTOCONF, IN6_IFF_DEPRECATED,
                                 IN6_IFF_DETACHED, IN6_IFF_DUPLICATED, IN6_IFF_NODAD,
                                 IN6_IFF_NOTREADY, IN6_IFF_PREFER_SOURCE, IN6_IFF_TEMPORARY,
                                 IN6_IFF_TENTATIVE, ND6_IFF_IFDISABLED, ND6_IFF_NO_DAD,
                                 SIOCAIFADDR_IN6, SIOCDIFADDR_IN6,
                                 SIOCGIFADDR_IN6, SIOCGIFAFLAG_IN6, SIOCGIFALIFETIME_IN6,
                                 SIOCGIFDSTADDR_IN6, SIOCGIFNETMASK_IN6, in6_addrlifetime)
from kernel.wire.net_if import IFF, IFT
from kernel.wire.route import (RTF_HOST, RTF_LOCAL, RTF_STATIC, RTM_ADD, RTM_DELADDR, RTM_DELETE,
                               RTM_NEWADDR, sockaddr_dl)

if TYPE_CHECKING:  # pragma: no cover
    from kernel.kern.init_main import Kernel

_SETTABLE_FLAGS = (IN6_IFF_ANYCAST | IN6_IFF_NODAD | IN6_IFF_AUTOCONF | IN6_IFF_TEMPORARY
                   | IN6_IFF_PREFER_SOURCE | IN6_IFF_DEPRECATED | IN6_IFF_DETACHED)
MAX_RTR_SOLICITATION_DELAY = 1     # seconds (RFC 4861 10)
SEC = 1_000_000_000


class in6_state:
    """BSD's in6 globals for one kernel (``k.in6``)."""

    def __init__(self) -> None:
        self.in6_ifaddrhead: list[in6_ifaddr] = []              # all addresses, in order added
        self.in6_ifaddrhash: dict[bytes, list[in6_ifaddr]] = {}  # by address
        self.in6_multi: dict[tuple[int, bytes], in6_multi] = {}  # (if_index, group)
        self.in6_ifroutes: dict[tuple[int, bytes, int], int] = {}  # interface routes: refs
        self.in6_maxmtu = 0
        # fn(k, RTM_NEWADDR | RTM_DELADDR, ia) on every address added or removed:
        # the routing socket (rt_newaddrmsg)
        self.in6_addr_listeners: list[Any] = []


def in6_init(k: "Kernel") -> None:
    """SYSINIT: the address list (and its aliases ``k.in6_ifaddrhead``)."""
    st = in6_state()
    k.in6 = st
    k.in6_ifaddrhead = st.in6_ifaddrhead
    SYSCTL_INT(k, "net.inet6.ip6.maxmtu", st, "in6_maxmtu", "Largest link MTU", rw=False)
    from kernel.netinet6.in6_src import addrsel_policy_init
    addrsel_policy_init(k)        # FreeBSD's ip6_init: the address selection policy table


def _st(k: "Kernel") -> in6_state:
    st = getattr(k, "in6", None)
    if st is None:
        in6_init(k)
        st = k.in6
    return st


# -- lookups ----------------------------------------------------------------------------------
def in6ifa_ifwithaddr(k: "Kernel", addr: bytes, zone: int) -> Optional[in6_ifaddr]:
    """The address ``addr`` if it is one of ours: for a scoped address only on
    the interface ``zone`` names (RFC 4007); ``zone`` 0 matches any interface."""
    lst = k.in6.in6_ifaddrhash.get(addr if type(addr) is bytes else bytes(addr))
    if not lst:
        return None
    if zone == 0 or not in6_is_scoped(addr):
        return lst[0]
    for ia in lst:
        if ia.ia_ifp.if_index == zone:
            return ia
    return None


def in6ifa_ifpwithaddr(ifp: Any, addr: bytes) -> Optional[in6_ifaddr]:
    """The address ``addr`` of interface ``ifp``, or None."""
    lst = _st(ifp.kernel).in6_ifaddrhash.get(bytes(addr))
    if lst:
        for ia in lst:
            if ia.ia_ifp is ifp:
                return ia
    return None


def in6ifa_ifpforlinklocal(ifp: Any, ignoreflags: int = 0) -> Optional[in6_ifaddr]:
    """A link-local address of ``ifp`` without any of ``ignoreflags``."""
    for ia in _st(ifp.kernel).in6_ifaddrhead:
        if ia.ia_ifp is ifp and IN6_IS_ADDR_LINKLOCAL(ia.ia_addr) and not ia.ia6_flags & ignoreflags:
            return ia
    return None


def in6_ifaddrs(k: "Kernel", ifp: Any = None) -> list[in6_ifaddr]:
    """The addresses of ``ifp`` (all if None), in the order they were added."""
    return [ia for ia in _st(k).in6_ifaddrhead if ifp is None or ia.ia_ifp is ifp]


def in6_ifawithifp(ifp: Any, dst: bytes) -> Optional[in6_ifaddr]:
    """An address of ``ifp`` to use as the source towards ``dst`` (KAME).

    Not anycast, tentative, duplicated or detached.  Prefers the same scope
    as ``dst`` and, there, a preferred (not deprecated) address with the
    longest common prefix; then a preferred address of any scope; then a
    deprecated one of the same scope, then of any scope.
    """
    k = ifp.kernel
    dscope = in6_addrscope(dst)
    best: Optional[in6_ifaddr] = None
    blen = -1
    anyscope: Optional[in6_ifaddr] = None
    dep_same: Optional[in6_ifaddr] = None
    dep_any: Optional[in6_ifaddr] = None
    for ia in _st(k).in6_ifaddrhead:
        if ia.ia_ifp is not ifp:
            continue
        if ia.ia6_flags & (IN6_IFF_ANYCAST | IN6_IFF_NOTREADY | IN6_IFF_DETACHED):
            continue
        same = in6_addrscope(ia.ia_addr) == dscope
        if ia.ia6_flags & IN6_IFF_DEPRECATED:
            if same and dep_same is None:
                dep_same = ia
            if dep_any is None:
                dep_any = ia
            continue
        if same:
            ml = in6_matchlen(ia.ia_addr, dst)
            if ml > blen:
                best, blen = ia, ml
        elif anyscope is None:
            anyscope = ia
    return best or anyscope or dep_same or dep_any


# -- multicast groups: the records live in in6_mcast.py, MLD reports them --------------------
def in6m_lookup(ifp: Any, addr: bytes) -> Optional[in6_multi]:
    """Have we joined group ``addr`` on ``ifp``?"""
    return ifp.kernel.in6.in6_multi.get((ifp.if_index, addr if type(addr) is bytes else bytes(addr)))


def in6_addmulti(ifp: Any, addr: bytes) -> Optional[in6_multi]:
    """A join of the kernel's own (reference counted); see in6_joingroup."""
    return in6_joingroup(ifp, addr)


def in6_delmulti(in6m: in6_multi) -> None:
    """Drop one kernel join of ``in6m``."""
    in6_leavegroup(in6m.in6m_ifp, in6m.in6m_addr)


def in6_joingroup(ifp: Any, addr: bytes, delay: int = 0) -> Optional[in6_multi]:
    """Join ``addr`` on ``ifp`` any-source: the first join programs the
    link-layer filter (RFC 2464 7 mapping, ``if_addmulti``) and MLD reports
    it after ``delay`` ns (in6_mcast.in6_joingroup)."""
    from kernel.netinet6 import in6_mcast
    return in6_mcast.in6_joingroup(ifp, addr, delay)


def in6_leavegroup(ifp: Any, addr: bytes) -> None:
    from kernel.netinet6 import in6_mcast
    in6_mcast.in6_leavegroup(ifp, addr)


def _groups_of(ia: in6_ifaddr) -> tuple[bytes, ...]:
    """The groups an address makes the interface join: its solicited-node
    group (RFC 4861 7.2.1: "MUST join the solicited-node multicast address"),
    all-nodes link- and interface-local (RFC 4291 2.8)."""
    if ia.ia_ifp.if_flags & IFF.LOOPBACK:
        return (IN6ADDR_NODELOCAL_ALLNODES,)
    if ia.ia6_flags & IN6_IFF_ANYCAST:
        return (IN6ADDR_LINKLOCAL_ALLNODES, IN6ADDR_NODELOCAL_ALLNODES)
    return (in6_solicited_node(ia.ia_addr), IN6ADDR_LINKLOCAL_ALLNODES, IN6ADDR_NODELOCAL_ALLNODES)


# -- routes ---------------------------------------------------------------------------------
def _rtrequest(k: "Kernel", req: int, dst: bytes, plen: int, gateway: Any = None, flags: int = 0,
               ifp: Any = None, zone: int = 0, ifa: Any = None) -> tuple[int, Any]:
    if getattr(k, "rt", None) is None:
        return bsd_errno.ENETUNREACH, None        # no routing table (a kernel without route_init)
    from kernel.net import route
    return route.rtrequest(k, req, dst, plen, gateway, flags, ifp, zone, ifa)


def in6_ifroute_add(ifp: Any, prefix: bytes, plen: int, ifa: Any = None) -> int:
    """Take a reference on the interface route ``prefix/plen`` on ``ifp`` (add it
    on the first).  ``link#N`` as gateway, no RTF_GATEWAY: on-link."""
    k = ifp.kernel
    st = _st(k)
    prefix = in6_mask(prefix, plen)
    key = (ifp.if_index, prefix, plen)
    n = st.in6_ifroutes.get(key, 0)
    st.in6_ifroutes[key] = n + 1
    if n:
        return 0
    zone = ifp.if_index if in6_is_scoped(prefix) else 0
    err, _ = _rtrequest(k, RTM_ADD, prefix, plen, sockaddr_dl(ifp.if_index, int(ifp.if_type)),
                        0, ifp, zone, ifa)
    if err and err != bsd_errno.EEXIST:
        k.count("in6_ifroute_add_failed")
    return err


def in6_ifroute_del(ifp: Any, prefix: bytes, plen: int) -> None:
    k = ifp.kernel
    st = _st(k)
    prefix = in6_mask(prefix, plen)
    key = (ifp.if_index, prefix, plen)
    n = st.in6_ifroutes.get(key, 0)
    if n <= 0:
        return
    if n > 1:
        st.in6_ifroutes[key] = n - 1
        return
    del st.in6_ifroutes[key]
    zone = ifp.if_index if in6_is_scoped(prefix) else 0
    _rtrequest(k, RTM_DELETE, prefix, plen, None, 0, ifp, zone)


def _localroute(ia: in6_ifaddr, add: bool) -> None:
    """The host route of our own address, through the loopback interface
    (FreeBSD's ``in6_ifaddloop``: ``addr link#N UHS lo0``)."""
    ifp = ia.ia_ifp
    k = ifp.kernel
    lo = getattr(k, "loif", None) or ifp
    zone = ifp.if_index if in6_is_scoped(ia.ia_addr) else 0
    if add:
        if not k.nd6.nd6_useloopback and lo is not ifp:
            return                        # net.inet6.icmp6.nd6_useloopback=0
        err, _ = _rtrequest(k, RTM_ADD, ia.ia_addr, 128, sockaddr_dl(ifp.if_index, int(ifp.if_type)),
                            RTF_HOST | RTF_STATIC | RTF_LOCAL, lo, zone, ia)
        if err == 0:
            ia.ifa_flags |= IFA_RTSELF
    elif ia.ifa_flags & IFA_RTSELF:
        # Another interface may hold the same global address: keep its route.
        if not any(o is not ia and o.ia_addr == ia.ia_addr and o.ia_zone == ia.ia_zone
                   for o in _st(k).in6_ifaddrhash.get(ia.ia_addr, ())):
            _rtrequest(k, RTM_DELETE, ia.ia_addr, 128, None, 0, None, zone)
        ia.ifa_flags &= ~IFA_RTSELF


# -- adding and removing addresses ------------------------------------------------------------
def in6if_do_dad(ifp: Any) -> bool:
    """Whether addresses of ``ifp`` need DAD (loopback: no; ND6_IFF_NO_DAD: no)."""
    from kernel.netinet6.nd6 import ND_IFINFO
    if ifp.if_flags & IFF.LOOPBACK or ifp.if_type != IFT.ETHER:
        return False
    if ND_IFINFO(ifp).flags & ND6_IFF_NO_DAD:
        return False
    return ifp.kernel.nd6.ip6_dad_count > 0


def in6_update_ifa(ifp: Any, ifra: Any, ia: Optional[in6_ifaddr] = None, flags: int = 0) -> int:
    """Add the address of ``ifra`` (an ``in6_aliasreq``) to ``ifp``, or update
    ``ia``.  Returns a BSD errno."""
    k = ifp.kernel
    st = _st(k)
    from kernel.netinet6 import nd6, nd6_nbr
    sa = ifra.ifra_addr
    if not isinstance(sa, sockaddr_in6) or len(sa.sin6_addr) != 16:
        return bsd_errno.EINVAL
    addr = bytes(sa.sin6_addr)
    if IN6_IS_ADDR_MULTICAST(addr) or IN6_IS_ADDR_UNSPECIFIED(addr):
        return bsd_errno.EINVAL
    # RFC 4007: a scoped address lives in the zone of its interface.
    zone = ifp.if_index if in6_is_scoped(addr) else 0
    if zone and sa.sin6_scope_id and sa.sin6_scope_id != zone:
        return bsd_errno.EINVAL
    # Because the IPv6 address architecture is classless, a new address needs
    # a prefix length (mask), and a mask must be contiguous.
    mask = ifra.ifra_prefixmask
    if mask is not None:
        plen = in6_mask2len(bytes(mask.sin6_addr))
        if plen <= 0:
            return bsd_errno.EINVAL
    elif ia is None:
        return bsd_errno.EINVAL
    else:
        plen = ia.ia_prefixlen
    if ifra.ifra_dstaddr is not None and ifp.if_flags & IFF.POINTOPOINT and plen != 128:
        nd6.nd6_log(k, "in6_update_ifa: prefixlen should be 128 when dstaddr is specified\n")
        return bsd_errno.EINVAL
    lt = copy.copy(ifra.ifra_lifetime) if ifra.ifra_lifetime is not None else in6_addrlifetime()
    if lt.ia6t_pltime > lt.ia6t_vltime:
        return bsd_errno.EINVAL                 # lifetime consistency
    if lt.ia6t_vltime == 0:
        nd6.nd6_log(k, f"in6_update_ifa: valid lifetime is 0 for {sockaddr_in6(addr)}\n")
        if ia is None:
            return 0                            # nothing to do
    if ia is not None and mask is not None and plen != ia.ia_prefixlen:
        if ia.ia6_flags & IN6_IFF_AUTOCONF:
            return bsd_errno.EINVAL             # an autoconf address keeps its prefix length
    hostIsNew = ia is None
    now = time_uptime(k)
    if ia is None:
        ia = in6_ifaddr(addr, ifp, plen, 0, zone)
        ia.ia6_createtime = now
        st.in6_ifaddrhead.append(ia)
        st.in6_ifaddrhash.setdefault(addr, []).append(ia)
    elif plen != ia.ia_prefixlen:
        if ia.ifa_flags & IFA_ROUTE:
            in6_ifroute_del(ifp, ia.ia_addr, ia.ia_prefixlen)
            ia.ifa_flags &= ~IFA_ROUTE
        ia.ia_prefixlen = plen
        ia.ia_prefixmask = in6_prefix_mask(plen)
    if ifra.ifra_dstaddr is not None:
        ia.ia_dstaddr = bytes(ifra.ifra_dstaddr.sin6_addr)
    ia.ia6_updatetime = now
    ia.ia6_lifetime = lt
    in6_init_address_ltimes(lt, now)
    # Keep TENTATIVE/DUPLICATED of an existing address; take the settable flags.
    ia.ia6_flags = (ia.ia6_flags & (IN6_IFF_TENTATIVE | IN6_IFF_DUPLICATED)) \
        | (ifra.ifra_flags & _SETTABLE_FLAGS)
    if ifra.ifra_flags & IN6_IFF_DEPRECATED or lt.ia6t_pltime == 0:
        # Make the address deprecated now (RFC 4862 5.5.4).
        lt.ia6t_pltime = 0
        lt.ia6t_preferred = now
        ia.ia6_flags |= IN6_IFF_DEPRECATED
    ndi = nd6.ND_IFINFO(ifp)
    if hostIsNew and (in6if_do_dad(ifp) and not ifra.ifra_flags & IN6_IFF_NODAD
                      or ndi.flags & ND6_IFF_IFDISABLED and not ifp.if_flags & IFF.LOOPBACK):
        # RFC 4862 5.4: "an address ... is tentative" until DAD succeeds; DAD
        # also waits for ND6_IFF_IFDISABLED to be cleared.
        ia.ia6_flags |= IN6_IFF_TENTATIVE
    if hostIsNew:
        sol = in6_solicited_node(ia.ia_addr)
        for g in _groups_of(ia):
            # RFC 4862 5.4.2: "the node SHOULD delay joining the solicited-node
            # multicast address by a random delay" — its MLD report waits, DAD after it.
            d = k.platform.rng.randrange(MAX_RTR_SOLICITATION_DELAY * SEC) \
                if flags & IN6_IFAUPDATE_DADDELAY and g == sol else 0
            in6_joingroup(ifp, g, d)
        _localroute(ia, True)
    if plen < 128 and not ia.ifa_flags & IFA_ROUTE and not ia.ia6_flags & IN6_IFF_AUTOCONF:
        # The prefix of a manually configured address is on-link.  (Autoconf
        # addresses get theirs from the Prefix Information's L flag.)
        in6_ifroute_add(ifp, ia.ia_addr, plen, ia)
        ia.ifa_flags |= IFA_ROUTE
    elif plen == 128 and ia.ia_dstaddr is not None and ifp.if_flags & IFF.POINTOPOINT \
            and not ia.ifa_flags & IFA_ROUTE:
        # KAME: "If a new destination address is specified for a point-to-point
        # interface, install a route to the destination as an interface direct route."
        in6_ifroute_add(ifp, ia.ia_dstaddr, 128, ia)
        ia.ifa_flags |= IFA_ROUTE
    if hostIsNew:
        in6_newaddrmsg(ia, RTM_NEWADDR)
    if hostIsNew and ia.ia6_flags & IN6_IFF_TENTATIVE:
        delay = 0
        if flags & IN6_IFAUPDATE_DADDELAY:
            # RFC 4862 5.4.2: a random delay before the first NS
            delay = k.platform.rng.randrange(MAX_RTR_SOLICITATION_DELAY * k.hz)
        nd6_nbr.nd6_dad_start(ia, delay)
    return 0


def in6_purgeaddr(ia: in6_ifaddr) -> None:
    """Remove an address: stop DAD, leave its groups, remove its routes."""
    ifp = ia.ia_ifp
    k = ifp.kernel
    st = _st(k)
    if ia not in st.in6_ifaddrhead:
        return
    from kernel.netinet6 import nd6_nbr
    nd6_nbr.nd6_dad_stop(ia)
    _localroute(ia, False)
    if ia.ifa_flags & IFA_ROUTE:
        if ia.ia_prefixlen == 128 and ia.ia_dstaddr is not None \
                and ifp.if_flags & IFF.POINTOPOINT:
            in6_ifroute_del(ifp, ia.ia_dstaddr, 128)        # the peer's host route
        else:
            in6_ifroute_del(ifp, ia.ia_addr, ia.ia_prefixlen)
        ia.ifa_flags &= ~IFA_ROUTE
    for g in _groups_of(ia):
        in6_leavegroup(ifp, g)
    st.in6_ifaddrhead.remove(ia)
    lst = st.in6_ifaddrhash.get(ia.ia_addr)
    if lst is not None and ia in lst:
        lst.remove(ia)
        if not lst:
            del st.in6_ifaddrhash[ia.ia_addr]
    pr = ia.ia6_ndpr
    if pr is not None:
        ia.ia6_ndpr = None
        pr.ndpr_addrcnt = max(0, pr.ndpr_addrcnt - 1)
    in6_newaddrmsg(ia, RTM_DELADDR)


def in6_newaddrmsg(ia: in6_ifaddr, cmd: int) -> None:
    """Tell the listeners (the routing socket) an address came or went."""
    k = ia.ia_ifp.kernel
    for fn in list(_st(k).in6_addr_listeners):
        fn(k, cmd, ia)


def in6_purgeif(ifp: Any) -> None:
    """Remove every IPv6 address of ``ifp``."""
    for ia in in6_ifaddrs(ifp.kernel, ifp):
        in6_purgeaddr(ia)


def in6_ifaddr_lifetimes(k: "Kernel", now: int) -> None:
    """nd6_timer's address part (RFC 4862 5.5.4): an address whose valid
    lifetime ran out is removed; one whose preferred lifetime ran out is
    deprecated; one a new RA made preferred again is not."""
    for ia in list(_st(k).in6_ifaddrhead):
        if IFA6_IS_INVALID(ia, now):
            in6_purgeaddr(ia)
        elif IFA6_IS_DEPRECATED(ia, now):
            ia.ia6_flags |= IN6_IFF_DEPRECATED
        elif ia.ia6_lifetime.ia6t_pltime != 0:
            ia.ia6_flags &= ~IN6_IFF_DEPRECATED


# -- interface up ------------------------------------------------------------------------------
def in6_if_up(ifp: Any) -> None:
    """The interface came up (BSD's ``if_up`` -> ``in6_if_up``): attach IPv6
    (link-local address, RFC 4862 5.3) and start DAD on every tentative
    address, the first NS after a random delay (RFC 4862 5.4.2)."""
    from kernel.netinet6 import in6_ifattach, mld6, nd6_nbr
    mld6.mld_ifup(ifp)                  # reports of the groups joined while it was down
    in6_ifattach.in6_ifattach(ifp)
    k = ifp.kernel
    for ia in in6_ifaddrs(k, ifp):
        if ia.ia6_flags & IN6_IFF_TENTATIVE:
            delay = k.platform.rng.randrange(MAX_RTR_SOLICITATION_DELAY * k.hz)
            nd6_nbr.nd6_dad_start(ia, delay)


def in6_if_down(ifp: Any) -> None:
    """The interface went down: DAD stops, and every address becomes tentative
    again so that DAD runs when the interface is initialized again (RFC 4862
    5.4); the neighbor cache of the interface is flushed."""
    from kernel.netinet6 import nd6, nd6_nbr
    dad = in6if_do_dad(ifp)
    for ia in in6_ifaddrs(ifp.kernel, ifp):
        nd6_nbr.nd6_dad_stop(ia)
        if dad and not ia.ia6_flags & (IN6_IFF_DUPLICATED | IN6_IFF_ANYCAST | IN6_IFF_NODAD):
            ia.ia6_flags |= IN6_IFF_TENTATIVE
    for ln in [ln for ln in ifp.kernel.nd6.llinfo.values() if ln.ln_ifp is ifp]:
        nd6.nd6_free(ln)


# -- ioctls -----------------------------------------------------------------------------------
def _find_ia(ifp: Any, sa: Any) -> Optional[in6_ifaddr]:
    if not isinstance(sa, sockaddr_in6):
        return None
    ia = in6ifa_ifpwithaddr(ifp, bytes(sa.sin6_addr))
    if ia is not None and ia.ia_zone and sa.sin6_scope_id and sa.sin6_scope_id != ia.ia_zone:
        return None
    return ia


def in6_control(k: "Kernel", cmd: int, data: Any, ifp: Any) -> int:
    """The IPv6 interface ioctls (``in6_control``); returns a BSD errno.

    ``data`` is the request struct of kernel/wire/in6_var.py; results are
    written into it.  ``ifp`` is the interface the request names (None:
    looked up by the name in ``data``).
    """
    from kernel.netinet6 import nd6
    if cmd in nd6.ND6_IOCTLS:
        return nd6.nd6_ioctl(k, cmd, data, ifp)
    if ifp is None:
        name = getattr(data, "ifra_name", None) or getattr(data, "ifr_name", None) or ""
        ifp = k.ifunit(name) if name else None
        if ifp is None:
            return bsd_errno.ENXIO
    if cmd == SIOCAIFADDR_IN6:
        return in6_update_ifa(ifp, data, _find_ia(ifp, data.ifra_addr), 0)
    ia = _find_ia(ifp, getattr(data, "ifr_addr", None))
    if cmd == SIOCDIFADDR_IN6:
        if ia is None:
            return bsd_errno.EADDRNOTAVAIL
        in6_purgeaddr(ia)
        return 0
    if cmd in (SIOCGIFAFLAG_IN6, SIOCGIFALIFETIME_IN6, SIOCGIFADDR_IN6, SIOCGIFNETMASK_IN6,
               SIOCGIFDSTADDR_IN6):
        if ia is None:
            return bsd_errno.EADDRNOTAVAIL
        if cmd == SIOCGIFAFLAG_IN6:
            data.ifru_flags6 = ia.ia6_flags
        elif cmd == SIOCGIFALIFETIME_IN6:
            # Absolute times in time_uptime seconds (boot time is 0 in kamebox).
            data.ifru_lifetime = copy.copy(ia.ia6_lifetime)
        elif cmd == SIOCGIFADDR_IN6:
            data.ifr_addr = ia.ia_sockaddr
        elif cmd == SIOCGIFNETMASK_IN6:
            data.ifr_addr = sockaddr_in6(ia.ia_prefixmask)
        else:
            if ia.ia_dstaddr is None:
                return bsd_errno.EADDRNOTAVAIL
            data.ifr_dstaddr = sockaddr_in6(ia.ia_dstaddr, 0, 0, ia.ia_zone)
        return 0
    return bsd_errno.EOPNOTSUPP


__all__ = ["in6_init", "in6ifa_ifwithaddr", "in6ifa_ifpwithaddr", "in6ifa_ifpforlinklocal",
           "in6_ifawithifp", "in6_ifaddrs", "in6m_lookup", "in6_addmulti", "in6_delmulti",
           "in6_update_ifa", "in6_purgeaddr", "in6_purgeif", "in6_if_up", "in6_if_down",
           "in6_control", "in6_ifroute_add", "in6_ifroute_del", "IFA_ROUTE"]
