"""kernel/netinet6/udp6_usrreq.py, raw_ip6.py, in6_pcb.py, ip6_ctloutput: UDP and raw ICMPv6 sockets.

The sockets are made in kernel context (``socreate`` with no process) and
read without blocking after the lab has run.
"""
from __future__ import annotations

import pytest

from kernel.kern.uipc_socket import (SOPT_GET, SOPT_SET, sobind, soclose, soconnect, socreate,
                                     sogetopt, soreceive, sosend, sosetopt, sockopt)
from kernel.wire import errno
from kernel.wire.icmp6 import (ICMP6_DST_UNREACH, ICMP6_ECHO_REPLY, ICMP6_ECHO_REQUEST,
                               ICMP6_FILTER, ICMP6_FILTER_SETBLOCKALL, ICMP6_FILTER_SETPASS,
                               icmp6_echo_repr, icmp6_filter)
from kernel.wire.in6 import AF_INET6, sockaddr_in6
from kernel.wire.in6_sockopt import (IPPROTO_IPV6, IPV6_CHECKSUM, IPV6_HOPLIMIT,
                                     IPV6_JOIN_GROUP, IPV6_MULTICAST_HOPS, IPV6_MULTICAST_IF,
                                     IPV6_PKTINFO, IPV6_RECVHOPLIMIT, IPV6_RECVPKTINFO,
                                     IPV6_UNICAST_HOPS, cmsg_int, cmsg_int_value, in6_pktinfo,
                                     ipv6_mreq)
from kernel.wire.in_cksum import in6_cksum
from kernel.wire.ip6 import IPPROTO_ICMPV6, IPPROTO_UDP
from kernel.wire.socket import MSG_DONTWAIT, SOCK_DGRAM, SOCK_RAW, SOL_SOCKET, SO_REUSEPORT
from tests.kernel.netinet6.ip6_lab import A, Net6

A_ADDR, B_ADDR = "2001:db8::a", "2001:db8::b"
SA, SB = A(A_ADDR), A(B_ADDR)




def udp(h):
    return socreate(h.k, AF_INET6, SOCK_DGRAM, 0, None)


def recv(so, n=2048):
    return soreceive(so, n, MSG_DONTWAIT, None)


def setopt(so, level, name, val):
    sosetopt(so, sockopt(SOPT_SET, level, name, val))


def getopt(so, level, name):
    return sogetopt(so, sockopt(SOPT_GET, level, name))


# -- UDP ------------------------------------------------------------------------------------
def test_udp_datagram_between_two_hosts_with_source_address_and_port(net):
    srv = udp(net.b)
    sobind(srv, sockaddr_in6(SB, 5353), None)
    cli = udp(net.a)
    assert sosend(cli, sockaddr_in6(SB, 5353), b"hello", None, 0, None) == 5
    net.run()
    data, frm, ctl, flags = recv(srv)
    assert data == b"hello" and frm.sin6_addr == SA and 49152 <= frm.sin6_port <= 65535
    # the reply goes back to the ephemeral port
    sosend(srv, frm, b"world", None, 0, None)
    net.run()
    assert recv(cli)[0] == b"world"
    (p,) = [p for p in net.logs["lan0"].ip6() if p[8:24] == SA]
    assert p[6] == IPPROTO_UDP and in6_cksum(p, 0, IPPROTO_UDP, 40, len(p) - 40) == 0
    assert net.a.k.udpstat.udps_opackets == 1 and net.b.k.udpstat.udps_ipackets == 1


def test_rfc4443_3_1_udp_to_a_closed_port_is_port_unreachable_and_connected_socket_hears_it(net):
    cli = udp(net.a)
    soconnect(cli, sockaddr_in6(SB, 9), None)
    sosend(cli, None, b"x", None, 0, None)
    net.run()
    assert net.b.k.udpstat.udps_noport == 1
    (p,) = net.logs["lan0"].icmp6(ICMP6_DST_UNREACH)
    assert p[41] == 4
    with pytest.raises(OSError) as e:
        recv(cli)
    assert e.value.errno == errno.ECONNREFUSED


@pytest.mark.parametrize("mutate,counter", [
    (lambda u: u[:4] + b"\x00\x20" + u[6:], "udps_badlen"),
    (lambda u: u[:6] + b"\x00\x00" + u[8:], "udps_nosum"),          # RFC 8200 8.1
    (lambda u: u[:-1] + bytes((u[-1] ^ 1,)), "udps_badsum"),
    (lambda u: u[:5], "udps_hdrops"),
])
def test_malformed_udp_is_dropped_and_counted(net, mutate, counter):
    from kernel.wire.udp import udp_repr
    from tests.kernel.netinet6.ip6_lab import ip6_packet
    srv = udp(net.a)
    sobind(srv, sockaddr_in6(SA, 7), None)
    u = udp_repr(1000, 7, b"payload").to_bytes(SB, SA)
    net.a.inject(ip6_packet(SB, SA, IPPROTO_UDP, mutate(u)))
    net.run()
    assert getattr(net.a.k.udpstat, counter) == 1
    with pytest.raises(OSError) as e:
        recv(srv)
    assert e.value.errno == errno.EWOULDBLOCK


def test_rfc3493_3_7_bind_rules(net):
    s1, s2 = udp(net.a), udp(net.a)
    sobind(s1, sockaddr_in6(SA, 4000), None)
    with pytest.raises(OSError) as e:
        sobind(s2, sockaddr_in6(b"\0" * 16, 4000), None)
    assert e.value.errno == errno.EADDRINUSE
    with pytest.raises(OSError) as e:
        sobind(s2, sockaddr_in6(A("2001:db8::99"), 4001), None)     # not ours
    assert e.value.errno == errno.EADDRNOTAVAIL
    s3, s4 = udp(net.a), udp(net.a)
    for s in (s3, s4):
        sosetopt(s, sockopt(SOPT_SET, SOL_SOCKET, SO_REUSEPORT, 1))
        sobind(s, sockaddr_in6(b"\0" * 16, 4002), None)
    soclose(s1, None)
    sobind(s2, sockaddr_in6(SA, 4000), None)                       # free again


def test_rfc3542_pktinfo_and_hoplimit_are_received_and_sent(net):
    srv = udp(net.b)
    sobind(srv, sockaddr_in6(b"\0" * 16, 7000), None)
    setopt(srv, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1)
    setopt(srv, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1)
    cli = udp(net.a)
    setopt(cli, IPPROTO_IPV6, IPV6_UNICAST_HOPS, 33)
    assert getopt(cli, IPPROTO_IPV6, IPV6_UNICAST_HOPS) == 33
    sosend(cli, sockaddr_in6(SB, 7000), b"1", None, 0, None)
    sosend(cli, sockaddr_in6(SB, 7000), b"2", [(IPPROTO_IPV6, IPV6_HOPLIMIT, cmsg_int(7))], 0, None)
    net.run()
    _d, _f, ctl, _fl = recv(srv)
    got = {t: v for _l, t, v in ctl}
    assert in6_pktinfo.unpack(got[IPV6_PKTINFO]) == in6_pktinfo(SB, net.b.ifp().if_index)
    assert cmsg_int_value(got[IPV6_HOPLIMIT]) == 33
    _d, _f, ctl, _fl = recv(srv)
    assert cmsg_int_value({t: v for _l, t, v in ctl}[IPV6_HOPLIMIT]) == 7


def test_link_local_destination_needs_its_zone(net):
    cli = udp(net.a)
    with pytest.raises(OSError) as e:
        sosend(cli, sockaddr_in6(A("fe80::b"), 9), b"x", None, 0, None)
    assert e.value.errno == errno.EADDRNOTAVAIL
    srv = udp(net.b)
    sobind(srv, sockaddr_in6(A("fe80::b"), 9, 0, net.b.ifp().if_index), None)
    sosend(cli, sockaddr_in6(A("fe80::b"), 9, 0, net.a.ifp().if_index), b"x", None, 0, None)
    net.run()
    data, frm, _c, _f = recv(srv)
    assert data == b"x" and frm.sin6_addr == A("fe80::a") and frm.sin6_scope_id == net.b.ifp().if_index


def test_multicast_join_hops_and_delivery(net):
    group = A("ff02::1:3")
    ifb = net.b.ifp().if_index
    srv = udp(net.b)
    sobind(srv, sockaddr_in6(b"\0" * 16, 5355), None)
    with pytest.raises(OSError) as e:
        setopt(srv, IPPROTO_IPV6, IPV6_JOIN_GROUP, ipv6_mreq(group, 0))     # scoped: needs if
    assert e.value.errno == errno.EADDRNOTAVAIL
    setopt(srv, IPPROTO_IPV6, IPV6_JOIN_GROUP, ipv6_mreq(group, ifb))
    net.fakes.groups.add((id(net.b.k), ifb, group))      # the fake in6m_lookup does not see in6.py's
    cli = udp(net.a)
    setopt(cli, IPPROTO_IPV6, IPV6_MULTICAST_IF, net.a.ifp().if_index)
    setopt(cli, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, 255)
    sosend(cli, sockaddr_in6(group, 5355), b"llmnr", None, 0, None)
    net.run()
    assert recv(srv)[0] == b"llmnr"
    (p,) = [p for p in net.logs["lan0"].ip6() if p[24:40] == group]
    assert p[7] == 255 and p[8:24] == A("fe80::a")


# -- raw ICMPv6 (ping6) -----------------------------------------------------------------------
def test_raw_icmpv6_socket_pings_and_receives_the_reply_without_ipv6_header(net):
    so = socreate(net.a.k, AF_INET6, SOCK_RAW, IPPROTO_ICMPV6, None)
    setopt(so, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1)
    f = icmp6_filter()
    ICMP6_FILTER_SETBLOCKALL(f)
    ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, f)
    setopt(so, IPPROTO_ICMPV6, ICMP6_FILTER, f)
    assert getopt(so, IPPROTO_ICMPV6, ICMP6_FILTER) == f
    req = icmp6_echo_repr(ICMP6_ECHO_REQUEST, 77, 1, b"abc").to_bytes()   # checksum 0: kernel's job
    sosend(so, sockaddr_in6(SB), req, None, 0, None)
    net.run()
    data, frm, ctl, _f = recv(so)
    assert frm.sin6_addr == SB and data[0] == ICMP6_ECHO_REPLY and data[4:] == b"\x00\x4d\x00\x01abc"
    assert cmsg_int_value(ctl[0][2]) == 64
    # RFC 3542 3.1: the kernel computed the checksum of what we sent
    (p,) = [p for p in net.logs["lan0"].icmp6(ICMP6_ECHO_REQUEST)]
    assert in6_cksum(p, 0, IPPROTO_ICMPV6, 40, len(p) - 40) == 0
    assert net.a.icmp6stat.icp6s_outhist[ICMP6_ECHO_REQUEST] == 1 and net.a.ip6stat.ip6s_rawout == 1
    # the filter kept the request a itself answered out of the socket
    with pytest.raises(OSError):
        recv(so)


def test_rfc3542_3_1_ipv6_checksum_cannot_be_set_on_icmpv6_sockets(net):
    so = socreate(net.a.k, AF_INET6, SOCK_RAW, IPPROTO_ICMPV6, None)
    with pytest.raises(OSError) as e:
        setopt(so, IPPROTO_IPV6, IPV6_CHECKSUM, 2)
    assert e.value.errno == errno.EINVAL


def test_raw_socket_of_another_protocol_gets_it_and_stops_the_parameter_problem(net):
    so = socreate(net.a.k, AF_INET6, SOCK_RAW, 253, None)
    setopt(so, IPPROTO_IPV6, IPV6_CHECKSUM, 0)
    from tests.kernel.netinet6.ip6_lab import ip6_packet, with_cksum
    body = with_cksum(SB, SA, 253, b"\x00\x00experiment", at=0)
    net.a.inject(ip6_packet(SB, SA, 253, body))
    net.a.inject(ip6_packet(SB, SA, 253, b"\x12\x34bad-checksum"))
    net.run()
    assert recv(so)[0] == body
    assert net.a.k.rip6stat.rip6s_badsum == 1 and net.logs["lan0"].icmp6() == []


def test_rfc4007_6_raw_send_to_a_global_address_with_a_zone_is_einval_and_sends_nothing(net):
    """RFC 4007 6: a zone index is for scoped addresses; a global destination
    carrying one is refused (EINVAL) — on the raw socket's fast path too — and
    the same destination without it, or a link-local one with its zone, is sent."""
    so = socreate(net.a.k, AF_INET6, SOCK_RAW, IPPROTO_ICMPV6, None)
    req = icmp6_echo_repr(ICMP6_ECHO_REQUEST, 5, 1, b"z").to_bytes()
    with pytest.raises(OSError) as e:
        sosend(so, sockaddr_in6(SB, 0, 0, net.a.ifp().if_index), req, None, 0, None)
    assert e.value.errno == errno.EINVAL and net.a.ip6stat.ip6s_rawout == 0
    with pytest.raises(OSError) as e:
        sosend(so, sockaddr_in6(A("fe80::b")), req, None, 0, None)    # scoped, no zone
    assert e.value.errno == errno.EADDRNOTAVAIL and net.a.ip6stat.ip6s_rawout == 0
    sosend(so, sockaddr_in6(SB), req, None, 0, None)
    sosend(so, sockaddr_in6(A("fe80::b"), 0, 0, net.a.ifp().if_index), req, None, 0, None)
    net.run()
    assert [p[24:40] for p in net.logs["lan0"].icmp6(ICMP6_ECHO_REQUEST)] == [SB, A("fe80::b")]
    assert net.a.ip6stat.ip6s_rawout == 2
