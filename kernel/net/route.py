"""The routing table (sys/net/route.c, sys/net/route.h), IPv6 only for now.

One table per kernel, ``k.rt`` (set by ``route_init``).  BSD keeps routes in
a radix tree; here a dict per prefix length, keyed by the masked destination
and the zone, probed from the longest prefix in use down — with a per-(dst,
zone) cache of answers that any change to the table clears.

Scoped destinations (RFC 4007: link-local unicast, interface- and link-local
multicast) carry their zone, the interface index, in the key: ``fe80::/64``
on em0 and on em1 are two routes, and a link-local destination never
matches a global route such as the default route.  Global destinations have
zone 0.

``rtrequest(k, RTM_ADD | RTM_DELETE | RTM_CHANGE, ...)`` changes the table
(EEXIST, ESRCH, EINVAL as in BSD) and tells the listeners in
``k.rt.rt_listeners`` — the routing socket — with ``fn(k, rtm_type, rt,
error)`` (BSD's ``rt_missmsg``).  ``rtalloc1(k, dst, zone)`` is the
longest-prefix lookup.  A route with ``rt_expire`` (seconds of uptime) is
deleted when it expires: path MTU entries (RFC 8201 5.3) and redirects.
"""
from __future__ import annotations

from kernel.wire import errno
from typing import Any, Callable, Optional

from kernel.wire.in6 import in6_is_scoped, in6_prefix_mask, inet_ntop6
from kernel.wire.route import (RTF_BLACKHOLE, RTF_DYNAMIC, RTF_GATEWAY, RTF_HOST,
                               RTF_LETTERS, RTF_REJECT, RTF_UP, RTM_ADD, RTM_CHANGE,
                               RTM_DELETE, rt_flags_letters)

SEC = 1_000_000_000
RT_CACHE_MAX = 4096            # answers remembered by rtalloc1 before the cache is reset

_ALL = (1 << 128) - 1


class rtentry:
    """``struct rtentry`` for an IPv6 destination.

    ``rt_gateway`` is the next hop's address (16 bytes) for RTF_GATEWAY
    routes, a ``sockaddr_dl`` (the link) for interface routes, or None.
    ``rt_mtu`` is ``rt_rmx.rmx_mtu`` (0: the interface's), ``rt_expire`` is
    ``rmx_expire`` (uptime in seconds, 0: never).
    """

    __slots__ = ("rt_dst", "rt_prefixlen", "rt_zone", "rt_gateway", "rt_ifp", "rt_ifa",
                 "rt_flags", "rt_expire", "rt_mtu", "rt_use", "rt_refcnt", "rt_hopcount",
                 "rt_locks", "rt_llinfo", "rt_key")

    def __init__(self, dst: bytes, prefixlen: int, zone: int = 0) -> None:
        self.rt_dst = dst
        self.rt_prefixlen = prefixlen
        self.rt_zone = zone
        self.rt_gateway: Any = None
        self.rt_ifp: Any = None
        self.rt_ifa: Any = None
        self.rt_flags = 0
        self.rt_expire = 0
        self.rt_mtu = 0
        self.rt_use = 0
        self.rt_refcnt = 0
        self.rt_hopcount = 0
        self.rt_locks = 0
        self.rt_llinfo: Any = None      # link-layer info a protocol hangs on the route
        self.rt_key: tuple[int, int] = (0, 0)

    @property
    def rt_mask(self) -> bytes:
        return in6_prefix_mask(self.rt_prefixlen)

    def flags_str(self) -> str:
        return rt_flags_letters(self.rt_flags)

    def __repr__(self) -> str:
        z = f"%{self.rt_zone}" if self.rt_zone else ""
        gw = self.rt_gateway
        gws = inet_ntop6(gw) if isinstance(gw, (bytes, bytearray)) and len(gw) == 16 else str(gw)
        ifn = getattr(self.rt_ifp, "if_xname", None)
        return (f"<rtentry {inet_ntop6(self.rt_dst)}{z}/{self.rt_prefixlen} gw {gws} "
                f"{self.flags_str()} {ifn}>")


class route_in6:
    """``struct route_in6``: a route cached by its user (a pcb, ip6_forward)."""

    __slots__ = ("ro_rt", "ro_dst", "ro_zone", "ro_gen")

    def __init__(self) -> None:
        self.ro_rt: Optional[rtentry] = None
        self.ro_dst = b""
        self.ro_zone = 0
        self.ro_gen = -1


class rtable:
    """One kernel's IPv6 routing table."""

    def __init__(self) -> None:
        # prefix length -> {(dst >> (128 - plen), zone): rtentry}
        self.rt_tables: dict[int, dict[tuple[int, int], rtentry]] = {}
        self.rt_plens: list[int] = []        # prefix lengths in use, longest first
        self.rt_cache: dict[tuple[bytes, int], Optional[rtentry]] = {}
        self.rt_gen = 0                      # bumped on every change (route_in6 validity)
        self.rt_count = 0
        self.rt_listeners: list[Callable[[Any, int, rtentry, int], None]] = []
        self.rt_timer: Any = None            # callout deleting expired routes
        self.rt_timer_at = 0

    def __len__(self) -> int:
        return self.rt_count

    def __iter__(self):
        return iter(rt_dump_entries(self))


def route_init(k: Any) -> None:
    """SYSINIT: the routing table of this kernel."""
    k.rt = rtable()


def _scoped(a: bytes) -> bool:
    """RFC 4007: link-local unicast, loopback, interface- and link-local multicast
    (``in6_is_scoped``, inlined for the lookup path)."""
    b0 = a[0]
    if b0 == 0xFE:
        return a[1] & 0xC0 == 0x80
    if b0 == 0xFF:
        return 1 <= a[1] & 0x0F <= 2
    return b0 == 0 and a == _LOOPBACK


_LOOPBACK = bytes(15) + b"\x01"


def _zone_for(dst: bytes, zone: int) -> int:
    return zone if _scoped(dst) else 0


def _uptime(k: Any) -> int:
    return k.now() // SEC


def rt_changed(t: rtable) -> None:
    t.rt_gen += 1
    if t.rt_cache:
        t.rt_cache.clear()


def rt_missmsg(k: Any, rtm_type: int, rt: rtentry, error: int = 0) -> None:
    """Tell the listeners (the routing socket) about a change: ``fn(k, type, rt, error)``."""
    for fn in list(k.rt.rt_listeners):
        fn(k, rtm_type, rt, error)


# -- lookup ----------------------------------------------------------------------------
def rtalloc1(k: Any, dst: bytes, zone: int = 0) -> Optional[rtentry]:
    """The longest-prefix route to ``dst`` in ``zone`` that is up, or None.

    ``zone`` only matters for scoped destinations (RFC 4007); expired routes
    are deleted on the way.  Counts a use of the route (``rt_use``).
    """
    t: rtable = k.rt
    z = zone if zone and _scoped(dst) else 0
    ck = (dst, z)
    rt = t.rt_cache.get(ck, False)
    if rt is False:
        rt = None
        v = int.from_bytes(dst, "big")
        tables = t.rt_tables
        for plen in t.rt_plens:
            r = tables[plen].get((v >> (128 - plen), z))
            if r is not None and r.rt_flags & RTF_UP:
                rt = r
                break
        if len(t.rt_cache) >= RT_CACHE_MAX:
            t.rt_cache.clear()
        t.rt_cache[ck] = rt
    if rt is not None:
        if rt.rt_expire and rt.rt_expire <= _uptime(k):
            rt_expire_now(k)
            return rtalloc1(k, dst, zone)
        rt.rt_use += 1
    return rt


def rtlookup(k: Any, dst: bytes, prefixlen: int, zone: int = 0) -> Optional[rtentry]:
    """The route with exactly this destination, prefix length and zone (RTM_GET with a mask)."""
    if not 0 <= prefixlen <= 128 or len(dst) != 16:
        return None
    v = int.from_bytes(dst, "big")
    tbl = k.rt.rt_tables.get(prefixlen)
    if tbl is None:
        return None
    return tbl.get((v >> (128 - prefixlen), _zone_for(dst, zone)))


# -- changes ---------------------------------------------------------------------------
def rtrequest(k: Any, req: int, dst: bytes, prefixlen: int = 128, gateway: Any = None,
              flags: int = 0, ifp: Any = None, zone: int = 0, ifa: Any = None, mtu: int = 0,
              expire: int = 0) -> tuple[int, Optional[rtentry]]:
    """Add, delete or change a route (BSD ``rtrequest``).

    Returns ``(errno, rtentry)``: EINVAL for a bad destination or prefix
    length (or a scoped destination without zone or interface), EEXIST when
    adding a route that exists, ESRCH when deleting or changing one that does
    not, ENETUNREACH when no interface can be found for the gateway.
    """
    t: rtable = k.rt
    if not isinstance(dst, (bytes, bytearray)) or len(dst) != 16 or not 0 <= prefixlen <= 128:
        return errno.EINVAL, None
    dst = bytes(dst)
    v = int.from_bytes(dst, "big") & (_ALL ^ ((1 << (128 - prefixlen)) - 1))
    mdst = v.to_bytes(16, "big")                 # rt_maskedcopy
    if in6_is_scoped(mdst):
        if not zone and ifp is not None:
            zone = ifp.if_index
        if not zone:
            return errno.EINVAL, None            # RFC 4007 6: a scoped prefix needs its zone
    else:
        zone = 0
    key = (v >> (128 - prefixlen), zone)
    old = t.rt_tables.get(prefixlen, {}).get(key)

    if req == RTM_ADD:
        if old is not None:
            return errno.EEXIST, None
        if ifp is None and isinstance(gateway, (bytes, bytearray)) and len(gateway) == 16:
            gzone = zone if in6_is_scoped(gateway) else 0
            grt = rtalloc1(k, bytes(gateway), gzone)    # ifa_ifwithroute: how to reach it
            if grt is not None and not grt.rt_flags & RTF_GATEWAY:
                ifp = grt.rt_ifp
            elif gzone:
                ifp = next((i for i in k.ifnet if i.if_index == gzone), None)
        if ifp is None and not flags & (RTF_REJECT | RTF_BLACKHOLE):
            return errno.ENETUNREACH, None
        rt = rtentry(mdst, prefixlen, zone)
        rt.rt_key = key
        rt.rt_gateway = bytes(gateway) if isinstance(gateway, bytearray) else gateway
        rt.rt_ifp = ifp
        rt.rt_ifa = ifa
        rt.rt_flags = flags | RTF_UP | (RTF_HOST if prefixlen == 128 else 0)
        rt.rt_mtu = mtu
        rt.rt_expire = expire
        rt_insert(t, rt)
        if expire:
            _rt_timer_arm(k, expire)
        rt_missmsg(k, RTM_ADD, rt)
        return 0, rt
    return rt_delete_or_change(k, t, req, old, rt_missmsg, gateway, flags, ifp, ifa, mtu,
                               expire)


def rt_insert(t: Any, rt: rtentry) -> None:
    """Put a new route (its ``rt_key`` set) into table ``t``, of either family."""
    tbl = t.rt_tables.get(rt.rt_prefixlen)
    if tbl is None:
        tbl = t.rt_tables[rt.rt_prefixlen] = {}
        t.rt_plens = sorted(t.rt_tables, reverse=True)
    tbl[rt.rt_key] = rt
    t.rt_count += 1
    rt_changed(t)


def rt_delete_or_change(k: Any, t: Any, req: int, old: Optional[rtentry],
                        missmsg: Callable[[Any, int, rtentry], None], gateway: Any,
                        flags: int, ifp: Any, ifa: Any, mtu: int,
                        expire: int = 0) -> tuple[int, Optional[rtentry]]:
    """RTM_DELETE and RTM_CHANGE of ``rtrequest`` on table ``t`` (either family):
    ESRCH when the route is not there; ``missmsg`` tells the routing socket."""
    if req not in (RTM_DELETE, RTM_CHANGE):
        return errno.EOPNOTSUPP, None
    if old is None:
        return errno.ESRCH, None
    if req == RTM_DELETE:
        _rt_remove(t, old)
        missmsg(k, RTM_DELETE, old)
        return 0, old
    if gateway is not None:
        old.rt_gateway = bytes(gateway) if isinstance(gateway, bytearray) else gateway
    if ifp is not None:
        old.rt_ifp = ifp
    if ifa is not None:
        old.rt_ifa = ifa
    if flags:
        host = old.rt_prefixlen == len(old.rt_dst) * 8
        old.rt_flags = flags | RTF_UP | (RTF_HOST if host else 0)
    if mtu:
        old.rt_mtu = mtu
    if expire:
        old.rt_expire = expire
        _rt_timer_arm(k, expire)
    rt_changed(t)
    missmsg(k, RTM_CHANGE, old)
    return 0, old


def _rt_remove(t: rtable, rt: rtentry) -> None:
    tbl = t.rt_tables.get(rt.rt_prefixlen)
    if tbl is None or tbl.get(rt.rt_key) is not rt:
        return
    del tbl[rt.rt_key]
    rt.rt_flags &= ~RTF_UP
    t.rt_count -= 1
    if not tbl:
        del t.rt_tables[rt.rt_prefixlen]
        t.rt_plens = sorted(t.rt_tables, reverse=True)
    rt_changed(t)


def rt_ifdetach(k: Any, ifp: Any) -> int:
    """Delete every route through ``ifp`` (if_detach); returns how many."""
    gone = [rt for rt in rt_dump_entries(k.rt) if rt.rt_ifp is ifp]
    for rt in gone:
        _rt_remove(k.rt, rt)
        rt_missmsg(k, RTM_DELETE, rt)
    return len(gone)


# -- expiry (BSD's rt_timer queues, in6_rtqtimo, in6_mtutimo) ------------------------------
def _rt_timer_arm(k: Any, expire: int) -> None:
    t: rtable = k.rt
    if t.rt_timer is None:
        t.rt_timer = k.callout()
    if t.rt_timer.callout_pending() and t.rt_timer_at <= expire:
        return
    t.rt_timer_at = expire
    delay = max(0, expire * SEC - k.now())
    t.rt_timer.callout_reset_ns(delay, _rt_timer_fire, k)


def _rt_timer_fire(k: Any) -> None:
    rt_expire_now(k)


def rt_expire_now(k: Any) -> int:
    """Delete the routes whose ``rt_expire`` has passed; re-arm for the next one."""
    t: rtable = k.rt
    now = _uptime(k)
    gone = [rt for rt in rt_dump_entries(t) if rt.rt_expire and rt.rt_expire <= now]
    for rt in gone:
        _rt_remove(t, rt)
        rt_missmsg(k, RTM_DELETE, rt)
    nxt = min((rt.rt_expire for rt in rt_dump_entries(t) if rt.rt_expire), default=0)
    if nxt:
        if t.rt_timer is not None:
            t.rt_timer.callout_stop()
        _rt_timer_arm(k, nxt)
    return len(gone)


# -- path MTU (RFC 8201) ------------------------------------------------------------------
def rt_pmtu_update(k: Any, dst: bytes, zone: int, mtu: int, expire: int,
                   maxdynamic: int = 0) -> Optional[rtentry]:
    """Record the path MTU to ``dst`` in a host route (KAME's icmp6_mtudisc_clone).

    A network route is cloned into an RTF_DYNAMIC host route with the same
    gateway and interface; a host route already there just gets the MTU.
    ``maxdynamic`` bounds the number of dynamic routes (0: no bound).
    Returns the route, or None when there is no route to ``dst`` or the
    bound is reached.
    """
    rt = rtalloc1(k, dst, zone)
    if rt is None or rt.rt_flags & (RTF_REJECT | RTF_BLACKHOLE):
        return None
    if rt.rt_prefixlen != 128:
        if maxdynamic and sum(1 for r in k.rt.rt_tables.get(128, {}).values()
                              if r.rt_flags & RTF_DYNAMIC) >= maxdynamic:
            return None
        gw = rt.rt_gateway
        err, nrt = rtrequest(k, RTM_ADD, dst, 128, gw, (rt.rt_flags & RTF_GATEWAY) | RTF_DYNAMIC,
                             rt.rt_ifp, zone, rt.rt_ifa, mtu=mtu, expire=expire)
        return nrt if err == 0 else None
    rt.rt_mtu = mtu
    if rt.rt_flags & RTF_DYNAMIC and expire:
        rt.rt_expire = expire
        _rt_timer_arm(k, expire)
    rt_changed(k.rt)
    return rt


# -- listing (netstat -rn, the routing socket's sysctl dump) ------------------------------------
def rt_dump_entries(t: rtable) -> list[rtentry]:
    """All routes, longest prefix first, then by destination and zone."""
    out: list[rtentry] = []
    for plen in t.rt_plens:
        out.extend(sorted(t.rt_tables[plen].values(), key=lambda r: (r.rt_dst, r.rt_zone)))
    return out


def rt_dump(k: Any) -> list[rtentry]:
    return rt_dump_entries(k.rt)


__all__ = ["rtentry", "route_in6", "rtable", "route_init", "rtalloc1", "rtlookup", "rtrequest",
           "rt_missmsg", "rt_ifdetach", "rt_expire_now", "rt_pmtu_update", "rt_dump",
           "RTF_LETTERS"]
