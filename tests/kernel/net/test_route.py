"""kernel/net/route.py: the routing table — longest prefix, zones, errors, expiry, listeners."""
from __future__ import annotations

from kernel.wire import errno

from emu.machine import Machine
from emu.sched import SEC, Scheduler
from kernel.kern.init_main import Kernel
from kernel.net.if_var import ifnet, if_attach
from kernel.net.route import (rt_dump, rt_pmtu_update, rtalloc1, route_init, rtlookup,
                              rtrequest)
from kernel.wire.in6 import inet_pton6
from kernel.wire.route import (RTF_DYNAMIC, RTF_GATEWAY, RTF_HOST, RTF_REJECT, RTF_STATIC,
                               RTF_UP, RTM_ADD, RTM_CHANGE, RTM_DELETE, sockaddr_dl)

A = inet_pton6


def kernel_with_ifs(n=2):
    s = Scheduler()
    m = Machine(s, "h", 1 << 20)
    k = Kernel(m.platform)
    route_init(k)
    ifs = []
    for i in range(n):
        ifp = ifnet(k, "em", i)
        if_attach(ifp)
        ifs.append(ifp)
    return s, k, ifs


def test_longest_prefix_wins_and_default_route_catches_the_rest():
    _, k, (em0, em1) = kernel_with_ifs()
    assert rtrequest(k, RTM_ADD, A("::"), 0, A("fe80::1"), RTF_GATEWAY | RTF_STATIC, em0, zone=1)[0] == 0
    assert rtrequest(k, RTM_ADD, A("2001:db8::"), 32, sockaddr_dl(2), 0, em1)[0] == 0
    assert rtrequest(k, RTM_ADD, A("2001:db8:1::"), 48, A("fe80::2"), RTF_GATEWAY, em1)[0] == 0
    assert rtalloc1(k, A("2001:db8:1::5")).rt_prefixlen == 48
    assert rtalloc1(k, A("2001:db8:2::5")).rt_prefixlen == 32
    rt = rtalloc1(k, A("2001:4860::1"))
    assert rt.rt_prefixlen == 0 and rt.rt_flags & RTF_GATEWAY and rt.rt_ifp is em0
    assert rt.flags_str() == "UGS"


def test_rfc4007_link_local_routes_are_per_zone_and_never_match_global_routes():
    _, k, (em0, em1) = kernel_with_ifs()
    rtrequest(k, RTM_ADD, A("::"), 0, A("2001:db8::1"), RTF_GATEWAY, em0)
    rtrequest(k, RTM_ADD, A("fe80::"), 64, sockaddr_dl(1), 0, em0)
    rtrequest(k, RTM_ADD, A("fe80::"), 64, sockaddr_dl(2), 0, em1)
    assert rtalloc1(k, A("fe80::9"), 1).rt_ifp is em0
    assert rtalloc1(k, A("fe80::9"), 2).rt_ifp is em1
    assert rtalloc1(k, A("fe80::9"), 3) is None          # not the default route
    # RFC 4007 6: a scoped prefix needs its zone
    assert rtrequest(k, RTM_ADD, A("fe80::"), 64, None, 0, None)[0] == errno.EINVAL


def test_rtrequest_errors_are_bsds():
    _, k, (em0, _) = kernel_with_ifs()
    assert rtrequest(k, RTM_ADD, A("2001:db8::"), 64, None, 0, em0)[0] == 0
    assert rtrequest(k, RTM_ADD, A("2001:db8::"), 64, None, 0, em0)[0] == errno.EEXIST
    assert rtrequest(k, RTM_DELETE, A("2001:db9::"), 64)[0] == errno.ESRCH
    assert rtrequest(k, RTM_CHANGE, A("2001:db9::"), 64, mtu=1400)[0] == errno.ESRCH
    assert rtrequest(k, RTM_ADD, A("2001:db8::"), 129, None, 0, em0)[0] == errno.EINVAL
    assert rtrequest(k, RTM_ADD, b"\x20", 64, None, 0, em0)[0] == errno.EINVAL
    # a gateway nobody knows how to reach
    assert rtrequest(k, RTM_ADD, A("2001:db9::"), 64, A("2001:dead::1"), RTF_GATEWAY)[0] == errno.ENETUNREACH
    # ... but a reject route needs no interface
    assert rtrequest(k, RTM_ADD, A("2001:db9::"), 64, None, RTF_REJECT)[0] == 0


def test_destination_is_masked_and_host_routes_get_rtf_host():
    _, k, (em0, _) = kernel_with_ifs()
    _, rt = rtrequest(k, RTM_ADD, A("2001:db8::1234"), 64, None, 0, em0)
    assert rt.rt_dst == A("2001:db8::") and rt.rt_flags == RTF_UP
    _, rt = rtrequest(k, RTM_ADD, A("2001:db8::1"), 128, None, 0, em0)
    assert rt.rt_flags & RTF_HOST
    assert rtlookup(k, A("2001:db8::"), 64) is not None and rtlookup(k, A("2001:db8::"), 63) is None


def test_gateway_interface_is_found_through_the_route_to_the_gateway():
    _, k, (em0, em1) = kernel_with_ifs()
    rtrequest(k, RTM_ADD, A("2001:db8::"), 64, sockaddr_dl(2), 0, em1)
    err, rt = rtrequest(k, RTM_ADD, A("::"), 0, A("2001:db8::1"), RTF_GATEWAY)
    assert err == 0 and rt.rt_ifp is em1


def test_delete_change_and_cache_invalidation():
    _, k, (em0, em1) = kernel_with_ifs()
    rtrequest(k, RTM_ADD, A("2001:db8::"), 64, None, 0, em0)
    assert rtalloc1(k, A("2001:db8::1")).rt_ifp is em0
    rtrequest(k, RTM_CHANGE, A("2001:db8::"), 64, ifp=em1, mtu=1400)
    rt = rtalloc1(k, A("2001:db8::1"))
    assert rt.rt_ifp is em1 and rt.rt_mtu == 1400
    rtrequest(k, RTM_DELETE, A("2001:db8::"), 64)
    assert rtalloc1(k, A("2001:db8::1")) is None and len(k.rt) == 0


def test_listeners_hear_every_change():
    _, k, (em0, _) = kernel_with_ifs()
    heard = []
    k.rt.rt_listeners.append(lambda k, t, rt, e: heard.append((t, rt.rt_prefixlen)))
    rtrequest(k, RTM_ADD, A("2001:db8::"), 64, None, 0, em0)
    rtrequest(k, RTM_CHANGE, A("2001:db8::"), 64, mtu=1300)
    rtrequest(k, RTM_DELETE, A("2001:db8::"), 64)
    assert heard == [(RTM_ADD, 64), (RTM_CHANGE, 64), (RTM_DELETE, 64)]


def test_rfc8201_5_3_path_mtu_host_route_is_cloned_and_expires():
    s, k, (em0, _) = kernel_with_ifs()
    rtrequest(k, RTM_ADD, A("::"), 0, A("fe80::1"), RTF_GATEWAY, em0, zone=1)
    heard = []
    k.rt.rt_listeners.append(lambda k, t, rt, e: heard.append(t))
    rt = rt_pmtu_update(k, A("2001:db8::5"), 0, 1400, expire=600)
    assert rt.rt_prefixlen == 128 and rt.rt_flags & RTF_DYNAMIC and rt.rt_gateway == A("fe80::1")
    assert rtalloc1(k, A("2001:db8::5")).rt_mtu == 1400
    assert rtalloc1(k, A("2001:db8::6")).rt_mtu == 0
    s.run_for(599 * SEC)
    assert rtalloc1(k, A("2001:db8::5")).rt_mtu == 1400
    s.run_for(2 * SEC)
    assert rtalloc1(k, A("2001:db8::5")).rt_prefixlen == 0
    assert heard == [RTM_ADD, RTM_DELETE]


def test_path_mtu_routes_are_bounded():
    _, k, (em0, _) = kernel_with_ifs()
    rtrequest(k, RTM_ADD, A("::"), 0, A("fe80::1"), RTF_GATEWAY, em0, zone=1)
    for i in range(3):
        assert rt_pmtu_update(k, A(f"2001:db8::{i + 1}"), 0, 1400, 600, maxdynamic=3) is not None
    assert rt_pmtu_update(k, A("2001:db8::99"), 0, 1400, 600, maxdynamic=3) is None


def test_rt_dump_lists_longest_prefix_first():
    _, k, (em0, _) = kernel_with_ifs()
    for p, l in (("::", 0), ("2001:db8::", 64), ("2001:db8::1", 128)):
        rtrequest(k, RTM_ADD, A(p), l, None, 0, em0)
    assert [rt.rt_prefixlen for rt in rt_dump(k)] == [128, 64, 0]
