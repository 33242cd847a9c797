"""IPv6 multicast memberships with source filters; the RFC 3678 socket API (sys/netinet6/in6_mcast.c).

The IPv6 twin of kernel/netinet/in_mcast.py, whose family-independent parts
it uses (the per-socket ``in_mfilter`` — FreeBSD's ``in6_mfilter`` —, the
RFC 3810 4.2 merge, the membership operations):

- **Per socket** (``ip6_moptions.im6o_memberships``): ``(group, ifp)``
  memberships carrying the socket's filter, changed by IPV6_JOIN_GROUP /
  IPV6_LEAVE_GROUP (RFC 3493 5.2, any-source), MCAST_JOIN_GROUP,
  MCAST_LEAVE_GROUP, MCAST_JOIN_SOURCE_GROUP, MCAST_LEAVE_SOURCE_GROUP,
  MCAST_BLOCK_SOURCE, MCAST_UNBLOCK_SOURCE (RFC 3678 5.1) and IPV6_MSFILTER
  (setsourcefilter/getsourcefilter, RFC 3678 5.2); ``im6o_mc_filter`` tells
  UDP whether a datagram passes the socket's filter.
- **Per interface** (``in6_multi`` in ``k.in6.in6_multi``): the merged
  filter of the listeners; the first join programs the link layer with the
  RFC 2464 7 mapping (33:33 + the low 32 bits) through ``if_addmulti``, so
  the driver hears SIOCADDMULTI and rebuilds its hardware filter.
- **MLD** (mld6.py) reports every change of the merged state.

The kernel's own joins (the solicited-node and all-nodes groups of each
address, RFC 4861 7.2.1, RFC 4291 2.8) are any-source listeners too:
``in6_joingroup(ifp, group, delay)``, ``in6_leavegroup``.  A scoped group
(interface- or link-local) needs its interface: joining one by route is
EADDRNOTAVAIL (RFC 4007).  Limits: net.inet6.ip6.mcast.maxsocksrc sources
per socket and group, maxgrpsrc per interface group, IPV6_MAX_MEMBERSHIPS.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from kernel.netinet import in_mcast as _mc
from kernel.netinet.in_mcast import MC_SLOTS, MCAST_PASS, in_mfilter, mc_group  # noqa: F401
from kernel.netinet6 import in6_var as _in6_var
from kernel.wire import errno as E
from kernel.wire.in6 import AF_INET6, IN6_IS_ADDR_MULTICAST, in6_is_scoped, sockaddr_in6
from kernel.wire.in6_sockopt import IPV6_JOIN_GROUP, IPV6_LEAVE_GROUP, ipv6_mreq
from kernel.wire.in_mcast import (IPV6_MAX_GROUP_SRC_FILTER, IPV6_MAX_MEMBERSHIPS,
                                  IPV6_MAX_SOCK_SRC_FILTER, IPV6_MSFILTER, MCAST_BLOCK_SOURCE,
                                  MCAST_EXCLUDE, MCAST_JOIN_GROUP, MCAST_JOIN_SOURCE_GROUP,
                                  MCAST_LEAVE_GROUP, MCAST_LEAVE_SOURCE_GROUP,
                                  MCAST_UNBLOCK_SOURCE)
from kernel.wire.net_if import IFF, IFT

if TYPE_CHECKING:  # pragma: no cover
    from kernel.kern.init_main import Kernel

_IFF_MULTICAST = int(IFF.MULTICAST)
in6_mfilter = in_mfilter        # FreeBSD's struct in6_mfilter: the same filter


class in6_multi(mc_group, _in6_var.in6_multi):
    """``struct in6_multi`` with its listeners' filters and MLD state."""

    __slots__ = MC_SLOTS
    MC_P = "in6m_"


def _lladdr(group: bytes, ifp: Any) -> Optional[bytes]:
    if ifp.if_type == IFT.ETHER:
        from kernel.wire.ethernet import ether_map_ipv6_multicast
        return ether_map_ipv6_multicast(group)      # RFC 2464 7
    return None


def _sin6(sa: Any) -> Optional[bytes]:
    if isinstance(sa, sockaddr_in6) and len(sa.sin6_addr) == 16:
        return bytes(sa.sin6_addr)
    return None


def in6p_lookup_mcast_ifp(k: Any, idx: int, group: bytes, sa: Any = None) -> tuple[int, Any]:
    """The interface of a membership request: by index (or the zone of the
    group's sockaddr), else — a global group only — by the route to the group."""
    if not idx and isinstance(sa, sockaddr_in6):
        idx = sa.sin6_scope_id
    if idx:
        for ifp in k.ifnet:
            if ifp.if_index == idx:
                if not ifp.if_flags & _IFF_MULTICAST:
                    return E.EADDRNOTAVAIL, None
                return 0, ifp
        return E.ENXIO, None
    if in6_is_scoped(group):
        return E.EADDRNOTAVAIL, None    # RFC 4007: a scoped group needs its interface
    from kernel.net.route import rtalloc1
    rt = rtalloc1(k, group, 0)
    ifp = rt.rt_ifp if rt is not None else None
    if ifp is None or not ifp.if_flags & _IFF_MULTICAST:
        return E.EADDRNOTAVAIL, None
    return 0, ifp


IN6_FAMILY = _mc.mcast_family(AF_INET6, "net.inet6.ip6.mcast.", "in6_mcast",
                              (IPV6_MAX_MEMBERSHIPS, IPV6_MAX_GROUP_SRC_FILTER,
                               IPV6_MAX_SOCK_SRC_FILTER),
                              lambda k: k.in6.in6_multi, _lladdr,
                              lambda k: getattr(k, "mld", None), in6_multi, _sin6,
                              lambda a: len(a) == 16 and IN6_IS_ADDR_MULTICAST(a),
                              in6p_lookup_mcast_ifp, lambda a: sockaddr_in6(a))


def in6_mcast_init(k: "Kernel") -> None:
    """Called by mld_init: the tunables and sysctl nodes (net.inet6.ip6.mcast)."""
    _mc.mc_sysctl_init(IN6_FAMILY, k)


# -- the kernel's own joins (in6.c's callers) ---------------------------------------------------
def in6_joingroup(ifp: Any, group: bytes, delay: int = 0) -> Optional[in6_multi]:
    """Join ``group`` any-source on behalf of the kernel; MLD reports it after
    ``delay`` ns (FreeBSD's in6_joingroup(ifp, addr, &error, delay))."""
    if len(group) != 16 or not IN6_IS_ADDR_MULTICAST(group):
        return None
    return _mc.mc_join(IN6_FAMILY, ifp, bytes(group), in_mfilter(MCAST_EXCLUDE, (), True), delay)


def in6_leavegroup(ifp: Any, group: bytes) -> None:
    """Drop one of the kernel's joins of ``group`` on ``ifp``."""
    g = ifp.kernel.in6.in6_multi.get((ifp.if_index, bytes(group)))
    if g is not None:
        _mc.mc_kernel_leave(IN6_FAMILY, g)


# -- socket options (ip6_setmoptions, ip6_getmoptions) -------------------------------------------
IP6_MCAST_SOCKOPTS = (IPV6_JOIN_GROUP, IPV6_LEAVE_GROUP, MCAST_JOIN_GROUP, MCAST_LEAVE_GROUP,
                      MCAST_JOIN_SOURCE_GROUP, MCAST_LEAVE_SOURCE_GROUP, MCAST_BLOCK_SOURCE,
                      MCAST_UNBLOCK_SOURCE, IPV6_MSFILTER)


def ip6_setmoptions(k: Any, inp: Any, name: int, val: Any) -> int:
    """The membership options of IPPROTO_IPV6 (in6p_join_group, in6p_leave_group,
    in6p_block_unblock_source, in6p_set_source_filters); 0 or an errno."""
    from kernel.netinet6.ip6_var import ip6_moptions
    if inp.in6p_moptions is None:
        inp.in6p_moptions = ip6_moptions(None, k.ip6.ip6_defmcasthlim,
                                         IN6_FAMILY.limits(k).mc_loop)
    mships = inp.in6p_moptions.im6o_memberships
    if name not in (IPV6_JOIN_GROUP, IPV6_LEAVE_GROUP):
        return _mc.mc_setsockopt(IN6_FAMILY, k, mships, name, val, IPV6_MSFILTER)
    # RFC 3493 5.2: "join a multicast group on a specified local interface.
    # If the interface index is specified as 0, the kernel chooses"
    if not isinstance(val, ipv6_mreq) or not isinstance(val.ipv6mr_multiaddr, bytes) \
            or not IN6_FAMILY.is_mcast(val.ipv6mr_multiaddr):
        return E.EINVAL
    group = bytes(val.ipv6mr_multiaddr)
    err, ifp = in6p_lookup_mcast_ifp(k, val.ipv6mr_interface, group)
    if err:
        return err
    return _mc.mc_group_op(IN6_FAMILY, k, mships, ifp, group, None,
                           "join" if name == IPV6_JOIN_GROUP else "leave")


def ip6_getmoptions(k: Any, inp: Any, name: int, val: Any) -> tuple[int, Any]:
    """IPV6_MSFILTER get (getsourcefilter(3)): (errno, msfilterreq)."""
    im6o = inp.in6p_moptions
    return _mc.mc_getsockopt(IN6_FAMILY, k, im6o.im6o_memberships if im6o is not None else [], val)


def ip6_freemoptions(im6o: Any) -> None:
    """The socket closes: leave its groups (ip6_freemoptions)."""
    if im6o is not None:
        _mc.mc_freemoptions(IN6_FAMILY, im6o.im6o_memberships)


def im6o_mc_filter(im6o: Any, ifp: Any, group: bytes, src: bytes) -> int:
    """Does the socket with options ``im6o`` take a datagram from ``src`` to
    ``group`` received on ``ifp``?  MCAST_PASS, MCAST_NOTGMEMBER or MCAST_NOTSMEMBER."""
    return _mc.mc_filter(im6o.im6o_memberships if im6o is not None else None, ifp, group, src)


__all__ = ["in6_multi", "in6_mfilter", "IN6_FAMILY", "in6_mcast_init", "in6_joingroup",
           "in6_leavegroup", "ip6_setmoptions", "ip6_getmoptions", "ip6_freemoptions",
           "im6o_mc_filter", "IP6_MCAST_SOCKOPTS", "MCAST_PASS", "in6p_lookup_mcast_ifp"]
