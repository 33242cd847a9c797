"""IPv4 addresses (kernel/netinet/in_.py): the AF_INET interface ioctls, the routes
and groups an address brings, the IPv4 routing table (in_rmx.py)."""
from __future__ import annotations

import pytest

from kernel.netinet import if_ether, in_ as _in, in_rmx
from kernel.wire import errno as E
from kernel.wire.in_ import INADDR_ALLHOSTS_GROUP, in_len2mask, sockaddr_in
from kernel.wire.in_var import (SIOCAIFADDR, SIOCDIFADDR, SIOCGIFADDR, SIOCGIFBRDADDR,
                                SIOCGIFDSTADDR, SIOCGIFNETMASK, in_aliasreq, in_ifreq)
from kernel.wire.route import RTF_GATEWAY, RTM_ADD
from tests.kernel.netinet.ip_lab import A, Net4


def host():
    n = Net4()
    n.segment("lan0")
    return n, n.host("h", "lan0")


def routes(h) -> list[str]:
    return [f"{r.rt_dst.hex()}/{r.rt_prefixlen} {r.flags_str()} {r.rt_ifp.if_xname}"
            for r in in_rmx.in_rt_dump(h.k)]


def test_aifaddr_through_an_af_inet_socket_installs_routes_and_broadcast():
    """SIOCAIFADDR on an AF_INET socket (ifioctl hands it to in_control): the
    subnet's route (link#N, U), the local host route (UHS lo0), the broadcast
    address with the host part all ones (RFC 919), the all-hosts group (RFC 1112 4)."""
    n, h = host()
    so = h.socket()
    req = in_aliasreq("em0", sockaddr_in(A("192.168.7.9")), None, sockaddr_in(in_len2mask(20)))
    assert h.k.ifioctl(so, SIOCAIFADDR, req, None) == 0
    assert h.ifp().if_flags & 1                                   # brought up
    assert routes(h) == ["7f000001/32 UH lo0", "c0a80000/20 U em0", "c0a80709/32 UHS lo0"]
    q = in_ifreq("em0")
    assert h.k.ifioctl(so, SIOCGIFADDR, q, None) == 0 and q.ifr_addr.sin_addr == A("192.168.7.9")
    assert h.k.ifioctl(so, SIOCGIFNETMASK, q, None) == 0 and q.ifr_addr.sin_addr == A("255.255.240.0")
    assert h.k.ifioctl(so, SIOCGIFBRDADDR, q, None) == 0
    assert q.ifr_broadaddr.sin_addr == A("192.168.15.255")
    assert h.k.ifioctl(so, SIOCGIFDSTADDR, in_ifreq("em0"), None) == E.EINVAL   # not p2p
    assert _in.inm_lookup(h.ifp(), INADDR_ALLHOSTS_GROUP) is not None
    assert h.ifp().if_findmulti(bytes.fromhex("01005e000001")) is not None
    assert n.panics() == []


def test_rfc791_2_3_address_without_a_mask_gets_its_class_mask():
    n, h = host()
    req = in_aliasreq("em0", sockaddr_in(A("172.16.5.1")))
    assert _in.in_control(h.k, SIOCAIFADDR, req) == 0
    assert _in.in_localip(h.k, A("172.16.5.1")).ia_prefixlen == 16


@pytest.mark.parametrize("req,err", [
    (in_aliasreq("em0", sockaddr_in(A("224.0.0.9"))), E.EINVAL),          # multicast
    (in_aliasreq("em0", sockaddr_in(A("0.0.0.0"))), E.EINVAL),
    (in_aliasreq("em0", sockaddr_in(A("240.0.0.1"))), E.EINVAL),
    (in_aliasreq("em0", sockaddr_in(A("10.0.0.1")), None, sockaddr_in(A("255.0.255.0"))),
     E.EINVAL),                                                          # not contiguous
    (in_aliasreq("em0", sockaddr_in(b"\x01\x02")), E.EINVAL),             # a bad sockaddr
    (in_aliasreq("em0", "10.0.0.1"), E.EINVAL),
    (in_aliasreq("em7", sockaddr_in(A("10.0.0.1"))), E.ENXIO),
    ("not a request", E.EINVAL),
])
def test_aifaddr_bad_requests_are_errors_not_exceptions(req, err):
    n, h = host()
    assert _in.in_control(h.k, SIOCAIFADDR, req) == err
    assert n.panics() == []


def test_difaddr_removes_routes_arp_entries_and_the_all_hosts_group():
    n, h = host()
    h.addr("10.0.0.1")
    h.addr("10.0.0.5", 32)                                      # an alias: no subnet route
    if_ether.arp_add_static(h.ifp(), A("10.0.0.77"), bytes.fromhex("020000000077"))
    h.ping("10.0.0.99")                                        # an incomplete entry
    err, _ = in_rmx.in_rtrequest(h.k, RTM_ADD, A("0.0.0.0"), 0, A("10.0.0.254"), RTF_GATEWAY)
    assert err == 0
    assert _in.in_control(h.k, SIOCDIFADDR, in_ifreq("em0", sockaddr_in(A("10.0.0.9")))) \
        == E.EADDRNOTAVAIL
    assert _in.in_control(h.k, SIOCDIFADDR, in_ifreq("em0", sockaddr_in(A("10.0.0.1")))) == 0
    # the default route went with the address it was sent from (in_ifadown)
    assert routes(h) == ["0a000005/32 UHS lo0", "7f000001/32 UH lo0"]
    assert if_ether.arplookup(h.ifp(), A("10.0.0.99")) is None
    assert if_ether.arplookup(h.ifp(), A("10.0.0.77")) is not None   # static stays
    assert _in.inm_lookup(h.ifp(), INADDR_ALLHOSTS_GROUP) is not None
    assert _in.in_control(h.k, SIOCDIFADDR, in_ifreq("em0", sockaddr_in(A("10.0.0.5")))) == 0
    assert _in.inm_lookup(h.ifp(), INADDR_ALLHOSTS_GROUP) is None    # the last one left
    assert n.panics() == []


def test_second_address_on_a_subnet_takes_over_its_route():
    """FreeBSD in_scrubprefix: the subnet route moves to another address of the
    subnet when its owner goes."""
    n, h = host()
    h.addr("10.0.0.1")
    h.addr("10.0.0.2")
    assert routes(h).count("0a000000/24 U em0") == 1
    assert _in.in_control(h.k, SIOCDIFADDR, in_ifreq("em0", sockaddr_in(A("10.0.0.1")))) == 0
    rt = in_rmx.in_rtlookup(h.k, A("10.0.0.0"), 24)
    assert rt is not None and rt.rt_ifa.ia_addr == A("10.0.0.2")


def test_longest_prefix_match():
    n, h = host()
    h.addr("10.0.0.1")
    h.route("0.0.0.0", 0, "10.0.0.254")
    h.route("192.0.2.0", 24, "10.0.0.253")
    h.route("192.0.2.128", 25, "10.0.0.252")
    gw = [in_rmx.in_rtalloc(h.k, A(d)).rt_gateway for d in ("192.0.2.200", "192.0.2.5", "8.8.8.8")]
    assert gw == [A("10.0.0.252"), A("10.0.0.253"), A("10.0.0.254")]
    assert in_rmx.in_rtrequest(h.k, RTM_ADD, A("0.0.0.0"), 0, A("10.0.0.9"), RTF_GATEWAY)[0] \
        == E.EEXIST
    assert in_rmx.in_rtrequest(h.k, RTM_ADD, A("1.0.0.0"), 8, A("172.16.0.1"), RTF_GATEWAY)[0] \
        == E.ENETUNREACH
    assert in_rmx.in_rtrequest(h.k, RTM_ADD, A("1.0.0.0"), 33)[0] == E.EINVAL
