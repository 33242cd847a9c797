"""Default router preferences and more-specific routes on a host (RFC 4191) — the
RA side of kernel/netinet6/nd6_rtr.py, over real em NICs.

Routers T (fe80::ff:fe00:ee01) and T2 (fe80::ff:fe00:ee02) are the tap: they
send hand-made RAs with Route Information options.
"""
from __future__ import annotations

import pytest

from emu.sched import MS, SEC
from kernel.kern.kern_sysctl import sysctl_lookup
from kernel.net.route import rtalloc1, rtlookup
from kernel.netinet6 import nd6_rtr
from kernel.netinet6.in6_var import time_uptime
from kernel.wire.in6 import inet_pton6
from kernel.wire.nd6 import (ND_RA_FLAG_RTPREF_HIGH, ND_RA_FLAG_RTPREF_LOW, ND_RA_FLAG_RTPREF_RSV,
                             RouteInfo, RouterAdvert, SourceLinkAddr, UnknownOption)
from kernel.wire.route import RTF_GATEWAY
from tests.kernel.netinet6.nd6_harness import T_LL, T_MAC, frame, ll_of

ALLNODES = inet_pton6("ff02::1")
T2_MAC = bytes.fromhex("02000000ee02")
T2_LL = ll_of(T2_MAC)
T3_MAC = bytes.fromhex("02000000ee03")
T3_LL = ll_of(T3_MAC)
NET = inet_pton6("2001:db8:99::")
HIGH, LOW, MEDIUM = ND_RA_FLAG_RTPREF_HIGH, ND_RA_FLAG_RTPREF_LOW, 0


def send(lab, mac=T_MAC, lifetime=1800, flags=0, opts=()) -> None:
    """An RA from the router whose MAC is ``mac`` (from its link-local address,
    with its link-layer address)."""
    body = RouterAdvert(64, flags, lifetime, 0, 0, (SourceLinkAddr(mac),) + tuple(opts)).emit()
    lab.tap.send(frame(mac, ll_of(mac), ALLNODES, body, hlim=255))
    lab.run(5 * MS)


def host(lab, rfc4191=1):
    a = lab.host6("a", bytes.fromhex("020000000a01"), up=False)
    sysctl_lookup(a.kernel, "net.inet6.ip6.accept_rtadv", 1)
    sysctl_lookup(a.kernel, "net.inet6.ip6.rfc4191", rfc4191)
    lab.up6(a)
    lab.settle()
    return a


def gw(a, prefix=NET, plen=48):
    rt = rtlookup(a.kernel, prefix, plen, 0)
    return rt.rt_gateway if rt is not None else None


def test_rfc4191_2_2_preference_order_and_reserved_is_medium(lab):
    """RFC 4191 2.2: "If the Reserved (10) value is received, the receiver MUST
    treat the value as if it were (00)"; the default router is the reachable
    one of highest preference (RFC 4191 3.2, RFC 4861 6.3.6)."""
    a = host(lab)
    send(lab, T_MAC, flags=LOW)
    send(lab, T2_MAC, flags=ND_RA_FLAG_RTPREF_RSV)
    assert gw(a, bytes(16), 0) == T2_LL                           # "medium" beats low
    send(lab, T3_MAC, flags=HIGH)
    assert gw(a, bytes(16), 0) == T3_LL
    assert [(d.rtaddr, nd6_rtr.rtpref(d)) for d in a.kernel.nd6.nd_defrouter] == [
        (T3_LL, 1), (T2_LL, 0), (T_LL, -1)]
    # what ndp -r reads: the flags as sent (FreeBSD prints "rsv" for 10)
    flags = {d.rtaddr.sin6_addr: d.flags for d in nd6_rtr.defrouter_list(a.kernel)}
    assert flags[T2_LL] == ND_RA_FLAG_RTPREF_RSV
    send(lab, T3_MAC, lifetime=0)                            # the high one leaves
    assert gw(a, bytes(16), 0) == T2_LL


def test_rfc4191_3_1_route_information_installs_a_more_specific_route_that_expires(lab):
    """RFC 4191 3.1: "If a route's lifetime is non-zero, the route is added to
    the Routing Table"; the Route Lifetime is "the length of time in seconds
    (relative to the time the packet is sent) that the prefix is valid for
    route determination"."""
    a = host(lab)
    t0 = time_uptime(a.kernel)
    send(lab, T_MAC, opts=(RouteInfo(NET, 48, HIGH, 100),))
    rt = rtlookup(a.kernel, NET, 48, 0)
    assert rt is not None and rt.rt_gateway == T_LL and rt.rt_flags & RTF_GATEWAY
    assert rt.rt_ifp is a.ifp and rt.rt_expire == t0 + 100
    # the more-specific route wins over the default route for its prefix
    assert rtalloc1(a.kernel, inet_pton6("2001:db8:99:1::1"), 0) is rt
    (ri,) = nd6_rtr.rtinfo_list(a.kernel)
    assert (ri.prefix, ri.plen, ri.pref, ri.ltime) == (NET, 48, HIGH, 100)
    lab.run(99 * SEC)
    assert gw(a) == T_LL
    lab.run(2 * SEC)
    assert gw(a) is None and nd6_rtr.rtinfo_list(a.kernel) == []
    assert gw(a, bytes(16), 0) == T_LL                           # the default route stays


def test_rfc4191_3_1_a_refresh_extends_and_lifetime_zero_removes(lab):
    a = host(lab)
    send(lab, T_MAC, opts=(RouteInfo(NET, 48, MEDIUM, 100),))
    lab.run(50 * SEC)
    send(lab, T_MAC, opts=(RouteInfo(NET, 48, MEDIUM, 0xFFFFFFFF),))     # infinity
    assert rtlookup(a.kernel, NET, 48, 0).rt_expire == 0
    lab.run(100 * SEC)
    assert gw(a) == T_LL
    # "If the received route's lifetime is zero, the route is removed"
    send(lab, T_MAC, opts=(RouteInfo(NET, 48, MEDIUM, 0),))
    assert gw(a) is None and nd6_rtr.rtinfo_list(a.kernel) == []


def test_rfc4191_3_2_the_best_next_hop_of_a_prefix_is_used(lab):
    """Two routers advertise the same prefix: the higher preference is used,
    the other takes over when it goes."""
    a = host(lab)
    send(lab, T_MAC, opts=(RouteInfo(NET, 48, LOW, 1000),))
    send(lab, T2_MAC, opts=(RouteInfo(NET, 48, HIGH, 1000),))
    assert gw(a) == T2_LL
    send(lab, T2_MAC, opts=(RouteInfo(NET, 48, HIGH, 0),))
    assert gw(a) == T_LL
    assert len(nd6_rtr.rtinfo_list(a.kernel)) == 1


def test_rfc4191_a_router_that_is_no_default_router_still_gives_routes(lab):
    """A Router Lifetime of 0 keeps the router off the default router list
    (RFC 4861 6.3.4); its Route Information options still count."""
    a = host(lab)
    send(lab, T_MAC, lifetime=0, opts=(RouteInfo(NET, 48, MEDIUM, 300),))
    assert gw(a) == T_LL and gw(a, bytes(16), 0) is None


def test_rfc4191_3_1_a_default_route_option_overrides_the_ra_header(lab):
    """RFC 4191 3.1: "The Router Preference and Lifetime values in a ::/0 Route
    Information Option override the preference and lifetime values in the
    Router Advertisement header.\""""
    a = host(lab)
    send(lab, T_MAC, lifetime=1800, flags=MEDIUM, opts=(RouteInfo(bytes(16), 0, HIGH, 600),))
    (dr,) = a.kernel.nd6.nd_defrouter
    assert dr.rtlifetime == 600 and nd6_rtr.rtpref(dr) == 1
    assert rtlookup(a.kernel, bytes(16), 0, 0).rt_gateway == T_LL


@pytest.mark.parametrize("raw,reason", [
    # RFC 4191 2.3: Prefix Length 65 needs Length 3
    (bytes((24, 2, 65, 0)) + (300).to_bytes(4, "big") + NET[:8], "nd6s_ri_badlen"),
    # Prefix Length 48 needs Length 2 or 3
    (bytes((24, 1, 48, 0)) + (300).to_bytes(4, "big"), "nd6s_ri_badlen"),
    # "If the Reserved (10) value is received, the Route Information Option MUST be ignored."
    (bytes((24, 2, 48, 0x10)) + (300).to_bytes(4, "big") + NET[:8], "nd6s_ri_badpref"),
])
def test_rfc4191_2_3_inconsistent_route_information_options_are_ignored(lab, raw, reason):
    a = host(lab)
    send(lab, T_MAC, opts=(UnknownOption(raw[0], raw[2:]),))
    assert getattr(a.kernel.nd6stat, reason) == 1
    assert nd6_rtr.rtinfo_list(a.kernel) == [] and gw(a) is None
    assert gw(a, bytes(16), 0) == T_LL                     # the rest of the RA is used


def test_net_inet6_ip6_rfc4191_0_makes_a_type_a_host(lab):
    a = host(lab, rfc4191=0)
    send(lab, T_MAC, opts=(RouteInfo(NET, 48, HIGH, 300),))
    assert gw(a) is None and a.kernel.nd6stat.nd6s_ri_ignored == 1
