"""RFC 3542 on IPv6 sockets, between two hosts: ancillary data sent and received
(IPV6_PKTINFO, IPV6_HOPLIMIT, IPV6_TCLASS, IPV6_HOPOPTS, IPV6_DSTOPTS, IPV6_RTHDR,
IPV6_NEXTHOP), sticky options against per-packet ones, IPV6_RECVPATHMTU after a
Packet Too Big, IPV6_V6ONLY, IPV6_DONTFRAG and IPV6_USE_MIN_MTU
(kernel/netinet6/ip6_output.py, udp6_usrreq.py, raw_ip6.py, in6_pcb.py).

Host a has 2001:db8::a, 2001:db8::a2 and fe80::a on em0 (lan0), fe80::a1 on em1
(lan1); b has 2001:db8::b, 2001:db8::b2 and fe80::b.  Extension headers are built with libc's
inet6_opt_* / inet6_rth_* (RFC 3542 7, 10).
"""
from __future__ import annotations

import pytest

from kernel.kern.kern_sysctl import sysctl_lookup
from kernel.kern.uipc_socket import (SOPT_GET, SOPT_SET, sobind, soconnect, socreate, sogetopt,
                                     soreceive, sosend, sosetopt, sockopt)
from kernel.wire import errno
from kernel.wire.icmp6 import ICMP6_PACKET_TOO_BIG, ICMP6_PARAM_PROB
from kernel.wire.in6 import AF_INET6, sockaddr_in6
from kernel.wire.in6_sockopt import (
    IPPROTO_IPV6, IPV6_DONTFRAG, IPV6_DSTOPTS, IPV6_HOPLIMIT, IPV6_HOPOPTS, IPV6_MULTICAST_IF,
    IPV6_NEXTHOP, IPV6_PATHMTU, IPV6_PKTINFO, IPV6_RECVDSTOPTS, IPV6_RECVHOPLIMIT,
    IPV6_RECVHOPOPTS, IPV6_RECVPATHMTU, IPV6_RECVPKTINFO, IPV6_RECVRTHDR, IPV6_RECVTCLASS,
    IPV6_RTHDR, IPV6_TCLASS, IPV6_UNICAST_HOPS, IPV6_USE_MIN_MTU, IPV6_V6ONLY, cmsg_int,
    cmsg_int_value, in6_pktinfo, ip6_mtuinfo)
from kernel.wire.ip6 import IPPROTO_DSTOPTS, IPPROTO_HOPOPTS, IPPROTO_ROUTING, IPPROTO_UDP
from kernel.wire.socket import MSG_DONTWAIT, SOCK_DGRAM, SOCK_RAW
from tests.kernel.netinet6.ip6_lab import A, Net6, ip6_packet, with_cksum
from userland import libc_ip6 as L

SA, SA2, SB, SB2 = A("2001:db8::a"), A("2001:db8::a2"), A("2001:db8::b"), A("2001:db8::b2")
PORT = 7000


@pytest.fixture
def net(monkeypatch):
    n = Net6(monkeypatch)
    n.segment("lan0")
    n.segment("lan1")
    a = n.host("a", "lan0", "lan1")
    b = n.host("b", "lan0")
    a.addr("fe80::a1", i=1)
    for h, addrs in ((a, ("2001:db8::a", "2001:db8::a2", "fe80::a")),
                     (b, ("2001:db8::b", "2001:db8::b2", "fe80::b"))):
        for x in addrs:
            h.addr(x)
    for x in ("2001:db8::b", "2001:db8::b2", "fe80::b"):
        a.neighbor(x, b)
    for x in ("2001:db8::a", "2001:db8::a2", "fe80::a"):
        b.neighbor(x, a)
    n.run()
    n.a, n.b = a, b
    yield n
    assert n.panics() == []


def udp(h):
    return socreate(h.k, AF_INET6, SOCK_DGRAM, 0, None)


def setopt(so, name, val):
    sosetopt(so, sockopt(SOPT_SET, IPPROTO_IPV6, name, val))


def getopt(so, name):
    return sogetopt(so, sockopt(SOPT_GET, IPPROTO_IPV6, name))


def server(net, *recvopts):
    so = udp(net.b)
    sobind(so, sockaddr_in6(bytes(16), PORT), None)
    for o in recvopts:
        setopt(so, o, 1)
    return so


def recv(so):
    data, frm, ctl, _flags = soreceive(so, 65536, MSG_DONTWAIT, None)
    return data, frm, ctl or []


def cmsgs(ctl, ctype):
    return [v for lvl, t, v in ctl if lvl == IPPROTO_IPV6 and t == ctype]


def sent(net, seg="lan0"):
    """The UDP packets (and their extension headers) put on segment ``seg``."""
    return [p for p in net.logs[seg].ip6() if p[6] in (IPPROTO_UDP, IPPROTO_HOPOPTS,
                                                        IPPROTO_DSTOPTS, IPPROTO_ROUTING)]


def errno_of(fn):
    try:
        fn()
    except OSError as e:
        return e.errno
    return 0


def opts_header(nxt=0, opt_type=0x1E, value=b"kame"):
    """A Hop-by-Hop / Destination Options header with one option whose type says
    "skip over this option" (RFC 8200 4.2, high bits 00)."""
    n = L.inet6_opt_init(None, 0)
    n, _ = L.inet6_opt_append(None, 0, n, opt_type, len(value), 1)
    extlen = L.inet6_opt_finish(None, 0, n)
    buf = bytearray(extlen)
    buf[0] = nxt
    n = L.inet6_opt_init(buf, extlen)
    n, data = L.inet6_opt_append(buf, extlen, n, opt_type, len(value), 1)
    L.inet6_opt_set_val(data, 0, value)
    L.inet6_opt_finish(buf, extlen, n)
    return bytes(buf)


def rthdr(*hops, segleft=None):
    space = L.inet6_rth_space(0, len(hops))
    bp = bytearray(space)
    L.inet6_rth_init(bp, space, 0, len(hops))
    for h in hops:
        L.inet6_rth_add(bp, h)
    if segleft is not None:
        bp[3] = segleft
    return bytes(bp)


# -- each ancillary type, sent and received -------------------------------------------------------
def test_rfc3542_6_1_pktinfo_chooses_the_source_and_reports_destination_and_interface(net):
    srv = server(net, IPV6_RECVPKTINFO)
    cli = udp(net.a)
    sosend(cli, sockaddr_in6(SB, PORT), b"x",
           [(IPPROTO_IPV6, IPV6_PKTINFO, in6_pktinfo(SA2, net.a.ifp(0).if_index).pack())], 0, None)
    net.run()
    data, frm, ctl = recv(srv)
    assert frm.sin6_addr == SA2
    assert [in6_pktinfo.unpack(v) for v in cmsgs(ctl, IPV6_PKTINFO)] == \
        [in6_pktinfo(SB, net.b.ifp().if_index)]


def test_rfc3542_6_3_hop_limit_and_6_5_traffic_class_are_sent_and_received(net):
    srv = server(net, IPV6_RECVHOPLIMIT, IPV6_RECVTCLASS)
    cli = udp(net.a)
    sosend(cli, sockaddr_in6(SB, PORT), b"x", [(IPPROTO_IPV6, IPV6_HOPLIMIT, cmsg_int(9)),
                                               (IPPROTO_IPV6, IPV6_TCLASS, cmsg_int(0xB8))], 0, None)
    net.run()
    (p,) = sent(net)
    assert p[7] == 9 and ((p[0] & 0x0F) << 4 | p[1] >> 4) == 0xB8
    _d, _f, ctl = recv(srv)
    assert [cmsg_int_value(v) for v in cmsgs(ctl, IPV6_HOPLIMIT)] == [9]
    assert [cmsg_int_value(v) for v in cmsgs(ctl, IPV6_TCLASS)] == [0xB8]


def test_rfc3542_9_hop_by_hop_options_are_sent_and_received_as_a_whole_header(net):
    srv = server(net, IPV6_RECVHOPOPTS)
    hbh = opts_header()
    cli = udp(net.a)
    sosend(cli, sockaddr_in6(SB, PORT), b"x", [(IPPROTO_IPV6, IPV6_HOPOPTS, hbh)], 0, None)
    net.run()
    (p,) = sent(net)
    assert p[6] == IPPROTO_HOPOPTS and p[40] == IPPROTO_UDP and p[41:40 + len(hbh)] == hbh[1:]
    _d, _f, ctl = recv(srv)
    assert cmsgs(ctl, IPV6_HOPOPTS) == [bytes((IPPROTO_UDP,)) + hbh[1:]]


def test_rfc3542_9_destination_options_survive_fragmentation_and_reassembly(net):
    """The Destination Options header after the Fragment header is delivered from
    the reassembled packet."""
    srv = server(net, IPV6_RECVDSTOPTS)
    dst = opts_header(value=b"after-fragment")
    cli = udp(net.a)
    sosend(cli, sockaddr_in6(SB, PORT), bytes(3000), [(IPPROTO_IPV6, IPV6_DSTOPTS, dst)], 0, None)
    net.run()
    assert len(net.logs["lan0"].ip6()) >= 3 and net.b.k.ip6stat.ip6s_reassembled == 1
    data, _f, ctl = recv(srv)
    assert len(data) == 3000
    assert cmsgs(ctl, IPV6_DSTOPTS) == [bytes((IPPROTO_UDP,)) + dst[1:]]


def test_rfc3542_7_routing_header_with_nothing_left_is_delivered_as_ancillary_data(net):
    """RFC 8200 4.4: with Segments Left 0 the header is ignored and the packet
    goes up; the receiver gets it (RECVRTHDR) and inet6_rth_reverse makes the
    way back."""
    srv = server(net, IPV6_RECVRTHDR)
    rh = rthdr(A("2001:db8:77::1"), segleft=0)
    cli = udp(net.a)
    sosend(cli, sockaddr_in6(SB, PORT), b"x", [(IPPROTO_IPV6, IPV6_RTHDR, rh)], 0, None)
    net.run()
    (p,) = sent(net)
    assert p[24:40] == SB and p[6] == IPPROTO_ROUTING
    _d, _f, ctl = recv(srv)
    (got,) = cmsgs(ctl, IPV6_RTHDR)
    assert got == bytes((IPPROTO_UDP,)) + rh[1:]
    back = bytearray(len(got))
    assert L.inet6_rth_reverse(got, back) == 0 and back[3] == 1


def test_rfc3542_7_type_0_hops_go_first_and_rfc5095_refuses_to_process_them(net):
    """The application names the hops still to visit and the final destination:
    the first hop becomes the IPv6 destination, the final one the header's last
    address (KAME).  The hop (b) must not process RH0 (RFC 5095 3): Parameter
    Problem code 0 pointing at the Routing Type, nothing delivered."""
    srv = server(net, IPV6_RECVRTHDR)
    cli = udp(net.a)
    sosend(cli, sockaddr_in6(SB, PORT), b"x", [(IPPROTO_IPV6, IPV6_RTHDR, rthdr(SB2))], 0, None)
    net.run()
    (p,) = [p for p in sent(net) if p[8:24] == SA]
    assert p[24:40] == SB2 and p[40 + 3] == 1 and p[48:64] == SB
    (pp,) = net.logs["lan0"].icmp6(ICMP6_PARAM_PROB)
    assert pp[41] == 0 and int.from_bytes(pp[44:48], "big") == 40 + 2
    assert errno_of(lambda: recv(srv)) == errno.EWOULDBLOCK


def test_rfc3542_6_8_nexthop_sends_to_the_neighbor_named(net):
    """A destination without a route, through an on-link next hop: the frame goes
    to b's link-layer address; b, no router, drops it."""
    cli = udp(net.a)
    nh = sockaddr_in6(SB)
    far = sockaddr_in6(A("2001:db8:99::1"), PORT)
    assert errno_of(lambda: sosend(cli, far, b"x", None, 0, None)) == errno.EHOSTUNREACH
    sosend(cli, far, b"x", [(IPPROTO_IPV6, IPV6_NEXTHOP, nh.pack())], 0, None)
    net.run()
    assert ("em0", SB) in net.fakes.resolved
    (p,) = sent(net)
    assert p[24:40] == A("2001:db8:99::1") and net.b.k.ip6stat.ip6s_cantforward == 1
    setopt(cli, IPV6_NEXTHOP, nh)                                    # sticky
    assert getopt(cli, IPV6_NEXTHOP) == nh
    sosend(cli, far, b"y", None, 0, None)
    net.run()
    assert net.b.k.ip6stat.ip6s_cantforward == 2
    net.a.route("2001:db8:55::", 48, "fe80::b")
    gw = sockaddr_in6(A("2001:db8:55::1")).pack()                   # behind a gateway: no neighbor
    assert errno_of(lambda: sosend(cli, far, b"z", [(IPPROTO_IPV6, IPV6_NEXTHOP, gw)], 0, None)) \
        == errno.EHOSTUNREACH


# -- sticky and per-packet ------------------------------------------------------------------------
def test_rfc3542_6_ancillary_data_overrides_the_sticky_option_for_that_packet_only(net):
    srv = server(net, IPV6_RECVTCLASS, IPV6_RECVDSTOPTS, IPV6_RECVHOPLIMIT)
    cli = udp(net.a)
    d1, d2 = opts_header(value=b"sticky"), opts_header(value=b"per-packet")
    setopt(cli, IPV6_TCLASS, 0x20)
    setopt(cli, IPV6_DSTOPTS, d1)
    setopt(cli, IPV6_UNICAST_HOPS, 40)
    assert getopt(cli, IPV6_TCLASS) == 0x20 and getopt(cli, IPV6_DSTOPTS) == d1
    to = sockaddr_in6(SB, PORT)
    sosend(cli, to, b"1", [(IPPROTO_IPV6, IPV6_TCLASS, cmsg_int(0x40))], 0, None)
    sosend(cli, to, b"2", [(IPPROTO_IPV6, IPV6_DSTOPTS, d2),
                           (IPPROTO_IPV6, IPV6_HOPLIMIT, cmsg_int(5))], 0, None)
    sosend(cli, to, b"3", None, 0, None)
    net.run()
    got = []
    for _ in range(3):
        _d, _f, ctl = recv(srv)
        got.append((cmsg_int_value(cmsgs(ctl, IPV6_TCLASS)[0]), cmsgs(ctl, IPV6_DSTOPTS)[0][2:],
                    cmsg_int_value(cmsgs(ctl, IPV6_HOPLIMIT)[0])))
    assert got == [(0x40, d1[2:], 40), (0x20, d2[2:], 5), (0x20, d1[2:], 40)]
    setopt(cli, IPV6_DSTOPTS, b"")                                   # removes it
    assert getopt(cli, IPV6_DSTOPTS) == b""


def test_rfc3542_6_7_the_pktinfo_interface_comes_before_ipv6_multicast_if(net):
    cli = udp(net.a)
    setopt(cli, IPV6_MULTICAST_IF, net.a.ifp(1).if_index)
    group = sockaddr_in6(A("ff02::1:3"), PORT)
    sosend(cli, group, b"x", None, 0, None)
    sosend(cli, group, b"y", [(IPPROTO_IPV6, IPV6_PKTINFO,
                               in6_pktinfo(bytes(16), net.a.ifp(0).if_index).pack())], 0, None)
    net.run()
    assert len(sent(net, "lan1")) == 1 and len(sent(net, "lan0")) == 1


def test_rfc3542_option_errors(net):
    cli = udp(net.a)
    to = sockaddr_in6(SB, PORT)

    def send(*ctl):
        return errno_of(lambda: sosend(cli, to, b"x", list(ctl), 0, None))
    assert send((IPPROTO_IPV6, IPV6_PKTINFO, in6_pktinfo(A("2001:db8::99")).pack())) == \
        errno.EADDRNOTAVAIL                                          # not ours
    assert send((IPPROTO_IPV6, IPV6_PKTINFO, in6_pktinfo(SA, 99).pack())) == errno.ENXIO
    assert send((IPPROTO_IPV6, IPV6_HOPOPTS, opts_header()[:-1])) == errno.EINVAL
    assert send((IPPROTO_IPV6, IPV6_RTHDR, bytes((0, 2, 1, 1)) + bytes(20))) == errno.EINVAL
    assert send((IPPROTO_IPV6, IPV6_RTHDR, rthdr(SB2, segleft=2))) == errno.EINVAL
    assert send((IPPROTO_IPV6, IPV6_TCLASS, cmsg_int(256))) == errno.EINVAL
    assert send((IPPROTO_IPV6, IPV6_HOPLIMIT, b"\x01")) == errno.EINVAL
    assert send((IPPROTO_IPV6, 999, b"")) == errno.ENOPROTOOPT
    assert send((41 + 1, IPV6_TCLASS, cmsg_int(1))) == errno.EINVAL
    assert errno_of(lambda: setopt(cli, IPV6_HOPLIMIT, 5)) == errno.ENOPROTOOPT   # not sticky
    assert errno_of(lambda: setopt(cli, IPV6_USE_MIN_MTU, 2)) == errno.EINVAL
    assert net.a.k.udpstat.udps_opackets == 0


# -- path MTU -------------------------------------------------------------------------------------
def test_rfc3542_11_3_recvpathmtu_delivers_the_mtu_of_a_packet_too_big(net):
    cli = udp(net.a)
    setopt(cli, IPV6_RECVPATHMTU, 1)
    soconnect(cli, sockaddr_in6(SB, PORT), None)
    sosend(cli, None, bytes(1400), None, 0, None)
    net.run()
    (p,) = sent(net)
    router = A("2001:db8::1")
    body = bytes((ICMP6_PACKET_TOO_BIG, 0, 0, 0)) + (1280).to_bytes(4, "big") + p[:1232]
    net.a.inject(ip6_packet(router, SA, 58, with_cksum(router, SA, 58, body)))
    net.run()
    data, frm, ctl = recv(cli)
    (mi,) = [ip6_mtuinfo.unpack(v) for v in cmsgs(ctl, IPV6_PATHMTU)]
    assert data == b"" and mi.ip6m_addr.sin6_addr == SB and mi.ip6m_mtu == 1280
    assert getopt(cli, IPV6_PATHMTU).ip6m_mtu == 1280                 # RFC 3542 11.4


def test_rfc3542_11_2_dontfrag_too_big_for_the_link_is_emsgsize_and_tells_the_mtu(net):
    cli = udp(net.a)
    setopt(cli, IPV6_DONTFRAG, 1)
    setopt(cli, IPV6_RECVPATHMTU, 1)
    assert getopt(cli, IPV6_DONTFRAG) == 1
    to = sockaddr_in6(SB, PORT)
    assert errno_of(lambda: sosend(cli, to, bytes(2000), None, 0, None)) == errno.EMSGSIZE
    net.run()
    assert sent(net) == [] and net.a.k.ip6stat.ip6s_cantfrag == 1
    _d, _f, ctl = recv(cli)
    assert ip6_mtuinfo.unpack(cmsgs(ctl, IPV6_PATHMTU)[0]).ip6m_mtu == 1500
    setopt(cli, IPV6_DONTFRAG, 0)
    sosend(cli, to, bytes(2000), None, 0, None)                      # fragmented now
    assert errno_of(lambda: sosend(cli, to, bytes(2000),
                                   [(IPPROTO_IPV6, IPV6_DONTFRAG, cmsg_int(1))], 0, None)) \
        == errno.EMSGSIZE
    net.run()
    assert [p[6] for p in net.logs["lan0"].ip6() if p[8:24] == SA] == [44, 44]   # two fragments


def test_rfc3542_11_1_use_min_mtu_fragments_to_1280(net):
    cli = udp(net.a)
    to = sockaddr_in6(SB, PORT)
    sosend(cli, to, bytes(1400), None, 0, None)
    sosend(cli, to, bytes(1400), [(IPPROTO_IPV6, IPV6_USE_MIN_MTU, cmsg_int(1))], 0, None)
    net.run()
    sizes = [len(p) for p in net.logs["lan0"].ip6() if p[8:24] == SA]
    assert sizes[0] == 40 + 8 + 1400 and max(sizes[1:]) <= 1280 and len(sizes) == 3
    setopt(cli, IPV6_USE_MIN_MTU, 1)
    assert getopt(cli, IPV6_USE_MIN_MTU) == 1


# -- IPV6_V6ONLY ----------------------------------------------------------------------------------
def test_rfc3493_5_3_v6only_default_comes_from_the_sysctl_and_is_fixed_at_bind(net):
    so = udp(net.a)
    assert getopt(so, IPV6_V6ONLY) == 1                              # net.inet6.ip6.v6only=1
    sysctl_lookup(net.a.k, "net.inet6.ip6.v6only", 0)
    so2 = udp(net.a)
    assert getopt(so2, IPV6_V6ONLY) == 0
    setopt(so2, IPV6_V6ONLY, 1)
    sobind(so2, sockaddr_in6(bytes(16), 5000), None)
    assert errno_of(lambda: setopt(so2, IPV6_V6ONLY, 0)) == errno.EINVAL   # only before bind


def test_rfc3493_5_3_a_v6only_socket_refuses_ipv4_mapped_addresses(net):
    mapped = sockaddr_in6(bytes(10) + b"\xff\xff" + bytes((192, 0, 2, 1)), PORT)
    so = udp(net.a)
    assert errno_of(lambda: soconnect(so, mapped, None)) == errno.EINVAL
    assert errno_of(lambda: sosend(so, mapped, b"x", None, 0, None)) == errno.EINVAL
    assert errno_of(lambda: sobind(so, mapped, None)) == errno.EADDRNOTAVAIL
    setopt(so, IPV6_V6ONLY, 0)            # kamebox keeps the families apart (in6_pcb.py)
    assert errno_of(lambda: sosend(so, mapped, b"x", None, 0, None)) == errno.EAFNOSUPPORT


# -- raw sockets ----------------------------------------------------------------------------------
def test_rfc3542_3_raw_icmpv6_socket_gets_the_hop_by_hop_header_of_an_echo(net):
    from kernel.wire.icmp6 import ICMP6_ECHO_REQUEST, icmp6_echo_repr
    b = socreate(net.b.k, AF_INET6, SOCK_RAW, 58, None)
    sosetopt(b, sockopt(SOPT_SET, IPPROTO_IPV6, IPV6_RECVHOPOPTS, 1))
    a = socreate(net.a.k, AF_INET6, SOCK_RAW, 58, None)
    hbh = opts_header(value=b"raw")
    setopt(a, IPV6_HOPOPTS, hbh)
    echo = icmp6_echo_repr(ICMP6_ECHO_REQUEST, 1, 1, b"ping").to_bytes(SA, SB)
    sosend(a, sockaddr_in6(SB), echo, None, 0, None)
    net.run()
    data, frm, ctl = recv(b)
    assert data[0] == ICMP6_ECHO_REQUEST and frm.sin6_addr == SA
    assert cmsgs(ctl, IPV6_HOPOPTS) == [bytes((58,)) + hbh[1:]]
