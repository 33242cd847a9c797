"""The IPv4 routing table (sys/netinet/in_rmx.c, the AF_INET head of sys/net/route.c).

kernel/net/route.py is the IPv6 table (128-bit keys, RFC 4007 zones in the
key); IPv4 has its own here, as BSD keeps one radix head per address family
(``rt_tables[AF_INET]``): ``k.rt_inet``, set by ``in_rtable_init``.  Same
shape as route.py — a dict per prefix length keyed by the masked
destination, probed from the longest prefix in use down, with a cache of
answers any change clears — and the same ``rtentry`` (route.py's class, with
a 4-byte ``rt_dst``); route.py's ``rt_insert``, ``rt_delete_or_change`` and
``_rt_remove`` serve both tables.

``in_rtrequest(k, RTM_ADD | RTM_DELETE | RTM_CHANGE, ...)`` changes the
table (EEXIST, ESRCH, EINVAL, ENETUNREACH as in BSD) and tells the
listeners in ``k.rt_inet.rt_listeners`` — the routing socket — with
``fn(k, rtm_type, rt, error)`` (BSD's ``rt_missmsg``); ``in_rtalloc(k, dst)``
is the longest-prefix lookup.  The routes in.c installs are interface routes
(gateway ``link#N``), host routes of our own addresses through lo0
(``RTF_LOCAL``) and, on a point-to-point link, the host route to the peer.

``sysctl net.route.inet.dump`` is FreeBSD's NET_RT_DUMP for AF_INET: an
RTM_GET message per route, for ``netstat -rn -f inet``.
"""
from __future__ import annotations

from typing import Any, Optional

from kernel.kern.kern_sysctl import CTLTYPE_STRUCT, SYSCTL_PROC
from kernel.net.route import _rt_remove as _remove, rt_delete_or_change, rt_insert, rtentry
from kernel.wire import errno
from kernel.wire.in_ import in_len2mask, inet_ntop4, sockaddr_in
from kernel.wire.route import (RTAX_DST, RTAX_GATEWAY, RTAX_IFA, RTAX_IFP, RTAX_NETMASK,
                               RTF_BLACKHOLE, RTF_GATEWAY, RTF_HOST, RTF_REJECT, RTF_UP,
                               RTM_ADD, RTM_CHANGE, RTM_DELETE, RTM_GET, rt_msg_build,
                               sockaddr_dl)

RT_CACHE_MAX = 4096
_ALL = 0xFFFFFFFF
RT_WEIGHT_DEFAULT = 1


class rtentry_in(rtentry):
    """``struct rtentry`` for an IPv4 destination: ``rt_gateway`` is the next
    hop's address (4 bytes) for RTF_GATEWAY routes, a ``sockaddr_dl`` (the
    link) otherwise; ``rt_ifa`` the ``in_ifaddr`` whose address is the source
    of what the route carries."""

    __slots__ = ()

    @property
    def rt_mask(self) -> bytes:
        return in_len2mask(self.rt_prefixlen)

    def __repr__(self) -> str:
        gw = self.rt_gateway
        gws = inet_ntop4(gw) if isinstance(gw, bytes) and len(gw) == 4 else str(gw)
        ifn = getattr(self.rt_ifp, "if_xname", None)
        return (f"<rtentry {inet_ntop4(self.rt_dst)}/{self.rt_prefixlen} gw {gws} "
                f"{self.flags_str()} {ifn}>")


class route_in:
    """``struct route``: a route cached by its user (a pcb)."""

    __slots__ = ("ro_rt", "ro_dst", "ro_gen")

    def __init__(self) -> None:
        self.ro_rt: Optional[rtentry_in] = None
        self.ro_dst = b""
        self.ro_gen = -1


class rtable_in:
    """One kernel's IPv4 routing table."""

    def __init__(self) -> None:
        self.rt_tables: dict[int, dict[int, rtentry_in]] = {}   # plen -> {dst >> (32-plen): rt}
        self.rt_plens: list[int] = []                           # in use, longest first
        self.rt_cache: dict[bytes, Optional[rtentry_in]] = {}
        self.rt_gen = 0                                         # bumped on every change
        self.rt_count = 0
        self.rt_listeners: list[Any] = []                       # fn(k, rtm_type, rt, error)

    def __len__(self) -> int:
        return self.rt_count


def in_rtable_init(k: Any) -> None:
    """The AF_INET routing table of this kernel and its sysctl dump."""
    if getattr(k, "rt_inet", None) is not None:
        return
    k.rt_inet = rtable_in()
    SYSCTL_PROC(k, "net.route.inet.dump", CTLTYPE_STRUCT, lambda: sysctl_dump_inet(k),
                descr="The IPv4 routing table as RTM_GET messages (NET_RT_DUMP, AF_INET)")


def in_rt_missmsg(k: Any, rtm_type: int, rt: rtentry_in, error: int = 0) -> None:
    """Tell the listeners (the routing socket) about a change (``rt_missmsg``)."""
    for fn in list(k.rt_inet.rt_listeners):
        fn(k, rtm_type, rt, error)


# -- lookup ----------------------------------------------------------------------------------
def in_rtalloc(k: Any, dst: bytes) -> Optional[rtentry_in]:
    """The longest-prefix route to ``dst`` that is up, or None (``rtalloc1``)."""
    t: rtable_in = k.rt_inet
    rt = t.rt_cache.get(dst, False)
    if rt is False:
        rt = None
        v = int.from_bytes(dst, "big")
        tables = t.rt_tables
        for plen in t.rt_plens:
            r = tables[plen].get(v >> (32 - plen))
            if r is not None and r.rt_flags & RTF_UP:
                rt = r
                break
        if len(t.rt_cache) >= RT_CACHE_MAX:
            t.rt_cache.clear()
        t.rt_cache[bytes(dst)] = rt
    if rt is not None:
        rt.rt_use += 1
    return rt


def in_rtlookup(k: Any, dst: bytes, prefixlen: int) -> Optional[rtentry_in]:
    """The route with exactly this destination and prefix length."""
    if not 0 <= prefixlen <= 32 or len(dst) != 4:
        return None
    tbl = k.rt_inet.rt_tables.get(prefixlen)
    if tbl is None:
        return None
    return tbl.get(int.from_bytes(dst, "big") >> (32 - prefixlen))


# -- changes ---------------------------------------------------------------------------------
def in_rtrequest(k: Any, req: int, dst: bytes, prefixlen: int = 32, gateway: Any = None,
                 flags: int = 0, ifp: Any = None, ifa: Any = None,
                 mtu: int = 0) -> tuple[int, Optional[rtentry_in]]:
    """Add, delete or change an IPv4 route (BSD ``rtrequest``): ``(errno, rtentry)``.

    A route through a gateway (4 bytes) without an interface takes the
    interface of the route to the gateway, and as ``rt_ifa`` our address on
    that interface's subnet (``ifa_ifwithroute``/``ifaof_ifpforaddr``).
    """
    t: rtable_in = k.rt_inet
    if not isinstance(dst, (bytes, bytearray)) or len(dst) != 4 or not 0 <= prefixlen <= 32:
        return errno.EINVAL, None
    v = int.from_bytes(dst, "big") & ((_ALL << (32 - prefixlen)) & _ALL)
    key = v >> (32 - prefixlen)
    old = t.rt_tables.get(prefixlen, {}).get(key)

    if req == RTM_ADD:
        if old is not None:
            return errno.EEXIST, None
        if isinstance(gateway, bytearray):
            gateway = bytes(gateway)
        if isinstance(gateway, bytes) and len(gateway) == 4 and (ifp is None or ifa is None):
            grt = in_rtalloc(k, gateway)
            if grt is not None and not grt.rt_flags & RTF_GATEWAY:
                ifp = ifp or grt.rt_ifp
            if ifp is not None and ifa is None:
                from kernel.netinet import in_ as _in
                ifa = _in.ifaof_ifpforaddr(ifp, gateway)
        if ifp is None and not flags & (RTF_REJECT | RTF_BLACKHOLE):
            return errno.ENETUNREACH, None
        rt = rtentry_in(v.to_bytes(4, "big"), prefixlen, 0)
        rt.rt_key = key
        rt.rt_gateway = gateway
        rt.rt_ifp = ifp
        rt.rt_ifa = ifa
        rt.rt_flags = flags | RTF_UP | (RTF_HOST if prefixlen == 32 else 0)
        rt.rt_mtu = mtu
        rt_insert(t, rt)
        in_rt_missmsg(k, RTM_ADD, rt)
        return 0, rt
    return rt_delete_or_change(k, t, req, old, in_rt_missmsg, gateway, flags, ifp, ifa, mtu)


def in_rt_delete_if(k: Any, match: Any) -> int:
    """Delete every route for which ``match(rt)`` holds (in_ifadown, if_detach);
    returns how many."""
    gone = [rt for rt in in_rt_dump(k) if match(rt)]
    for rt in gone:
        _remove(k.rt_inet, rt)
        in_rt_missmsg(k, RTM_DELETE, rt)
    return len(gone)


# -- listing ---------------------------------------------------------------------------------
def in_rt_dump(k: Any) -> list[rtentry_in]:
    """All routes in the order of a radix tree walk: by destination, the more
    specific of equal destinations first."""
    t: rtable_in = k.rt_inet
    out = [rt for tbl in t.rt_tables.values() for rt in tbl.values()]
    out.sort(key=lambda r: (r.rt_dst, -r.rt_prefixlen))
    return out


def in_rt_msg(k: Any, rt: rtentry_in, rtm_type: int = RTM_GET, with_ifp: bool = True,
              **fields: Any) -> bytes:
    """A routing message describing ``rt``: destination, gateway, netmask (not
    for a host route) and, ``with_ifp``, the interface and its address
    (rt_msg2); ``fields`` are more ``rt_msghdr`` fields (``rtm_flags``,
    ``rtm_seq``, ``rtm_pid`` ...)."""
    addrs: dict[int, Any] = {RTAX_DST: sockaddr_in(rt.rt_dst)}
    gw = rt.rt_gateway
    if isinstance(gw, bytes) and len(gw) == 4:
        addrs[RTAX_GATEWAY] = sockaddr_in(gw)
    elif isinstance(gw, sockaddr_dl):
        addrs[RTAX_GATEWAY] = gw
    elif rt.rt_ifp is not None:
        addrs[RTAX_GATEWAY] = sockaddr_dl(rt.rt_ifp.if_index, int(rt.rt_ifp.if_type))
    if rt.rt_prefixlen != 32:
        addrs[RTAX_NETMASK] = sockaddr_in(rt.rt_mask)
    ifp = rt.rt_ifp
    if with_ifp and ifp is not None:
        addrs[RTAX_IFP] = sockaddr_dl(ifp.if_index, int(ifp.if_type), ifp.if_xname,
                                      bytes(ifp.if_addr or b""))
    if with_ifp and rt.rt_ifa is not None:
        addrs[RTAX_IFA] = sockaddr_in(rt.rt_ifa.ia_addr)
    mtu = rt.rt_mtu or (ifp.if_mtu if ifp is not None else 0)
    rmx = dict(rmx_locks=rt.rt_locks & 0xFFFFFFFF, rmx_mtu=mtu & 0xFFFFFFFF,
               rmx_hopcount=rt.rt_hopcount & 0xFFFFFFFF, rmx_expire=0, rmx_recvpipe=0,
               rmx_sendpipe=0, rmx_ssthresh=0, rmx_rtt=0, rmx_rttvar=0,
               rmx_pksent=rt.rt_use & 0xFFFFFFFF, rmx_filler=[RT_WEIGHT_DEFAULT, 0, 0, 0])
    fields.setdefault("rtm_flags", rt.rt_flags)
    fields.setdefault("rtm_index", ifp.if_index if ifp is not None else 0)
    fields.setdefault("rtm_rmx", rmx)
    return rt_msg_build(rtm_type, addrs, **fields)


def sysctl_dump_inet(k: Any) -> bytes:
    """NET_RT_DUMP for AF_INET: an RTM_GET message per route."""
    return b"".join(in_rt_msg(k, rt) for rt in in_rt_dump(k))


__all__ = ["rtentry_in", "route_in", "rtable_in", "in_rtable_init", "in_rtalloc", "in_rtlookup",
           "in_rtrequest", "in_rt_missmsg", "in_rt_delete_if", "in_rt_dump", "in_rt_msg",
           "sysctl_dump_inet", "RTM_ADD", "RTM_DELETE", "RTM_CHANGE"]
