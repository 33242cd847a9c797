"""UDP over IPv4 (kernel/netinet/udp_usrreq.py): RFC 768 and RFC 1122 4.1 through
the socket layer, between two hosts."""
from __future__ import annotations

import struct

import pytest

from kernel.kern.uipc_socket import sobind
from kernel.wire import errno as E
from kernel.wire.in_ import (IP_ADD_MEMBERSHIP, IP_DROP_MEMBERSHIP, IP_MULTICAST_IF,
                             IP_RECVDSTADDR, IP_RECVTTL,
                             IPPROTO_IP, ip_mreq, sockaddr_in)
from kernel.wire.ip import ip_repr
from kernel.wire.ip6 import IPPROTO_UDP
from kernel.wire.socket import SO_BROADCAST, SOL_SOCKET
from kernel.wire.udp import udp_repr
from tests.kernel.netinet.ip_lab import A


def bound(h, port: int, addr: str = "0.0.0.0"):
    so = h.socket()
    sobind(so, sockaddr_in(A(addr), port), None)
    return so


def dgram(payload: bytes = b"hello", sum_: bool = True, src: str = "10.0.0.1",
          dst: str = "10.0.0.2", dport: int = 7000) -> bytes:
    from kernel.wire.ip import in4_cksum_data
    u = bytearray(udp_repr(1234, dport, payload).to_bytes())
    if sum_:
        ck = in4_cksum_data(A(src), A(dst), IPPROTO_UDP, bytes(u))
        struct.pack_into("!H", u, 6, ck or 0xFFFF)
    return ip_repr(A(src), A(dst), IPPROTO_UDP, bytes(u)).to_bytes()


def test_rfc768_datagram_between_two_hosts(net):
    a, b = net.a, net.b
    srv = bound(b, 7000)
    cli = a.socket()
    assert a.sendto(cli, b"hello", "10.0.0.2", 7000) == 5
    net.run()
    data, frm, _ = b.recv(srv)
    assert data == b"hello" and frm.sin_addr == A("10.0.0.1") and frm.sin_port >= 49152
    u = net.logs["lan0"].ip(IPPROTO_UDP)[0]
    assert u[12:16] == A("10.0.0.1")                     # the source of the route's interface
    assert b.recv(srv) is None
    assert b.k.udpstat.udps_ipackets == 1 and a.k.udpstat.udps_opackets == 1


def test_rfc768_zero_checksum_means_none_and_is_accepted(net):
    """RFC 768: "An all zero transmitted checksum value means that the transmitter
    generated no checksum"."""
    b = net.b
    srv = bound(b, 7000)
    b.inject(dgram(sum_=False))
    assert b.recv(srv)[0] == b"hello" and b.k.udpstat.udps_nosum == 1


@pytest.mark.parametrize("mangle,counter", [
    (lambda p: p[:-1] + bytes([p[-1] ^ 1]), "udps_badsum"),       # RFC 1122 4.1.3.4
    (lambda p: p[:20] + p[20:24] + struct.pack("!H", 99) + p[26:], "udps_badlen"),
    (lambda p: p[:20] + p[20:24] + struct.pack("!H", 7) + p[26:], "udps_badlen"),
])
def test_rfc1122_4_1_3_4_bad_checksum_or_length_is_discarded(net, mangle, counter):
    """RFC 1122 4.1.3.4: "If a UDP datagram is received with a checksum that is non-
    zero and invalid, UDP MUST silently discard the datagram"."""
    b = net.b
    srv = bound(b, 7000)
    b.inject(mangle(dgram()))
    assert b.recv(srv) is None and getattr(b.k.udpstat, counter) == 1
    net.run()
    assert net.logs["lan0"].ip() == []


def test_truncated_udp_header_is_dropped(net):
    b = net.b
    b.inject(ip_repr(A("10.0.0.1"), A("10.0.0.2"), IPPROTO_UDP, b"\x04\xd2\x1b").to_bytes())
    assert b.k.udpstat.udps_hdrops == 1
    net.run()
    assert net.logs["lan0"].ip() == []


def test_rfc768_udp_length_shorter_than_ip_trims_the_datagram(net):
    b = net.b
    srv = bound(b, 7000)
    udp = dgram(b"hello")[20:]
    b.inject(ip_repr(A("10.0.0.1"), A("10.0.0.2"), IPPROTO_UDP, udp + b"junk").to_bytes())
    assert b.recv(srv)[0] == b"hello"


def test_broadcast_needs_so_broadcast(net):
    """ip_output: a broadcast destination without SO_BROADCAST is EACCES."""
    a, b = net.a, net.b
    srv = bound(b, 7000)
    cli = a.socket()
    assert a.sendto(cli, b"all", "10.0.0.255", 7000) == -E.EACCES
    a.setopt(cli, SOL_SOCKET, SO_BROADCAST, 1)
    assert a.sendto(cli, b"all", "10.0.0.255", 7000) == 3
    assert a.sendto(cli, b"all!", "255.255.255.255", 7000) == 4
    net.run()
    assert [b.recv(srv)[0], b.recv(srv)[0]] == [b"all", b"all!"]
    frames = net.logs["lan0"].of_type(0x0800)
    assert all(f[:6] == b"\xff" * 6 for f in frames)
    # a simplex interface hears its own broadcast through the loopback copy
    mine = bound(a, 7000)
    a.sendto(cli, b"me too", "10.0.0.255", 7000)
    net.run()
    assert a.recv(mine)[0] == b"me too"


def test_rfc1112_7_multicast_to_members_only(net):
    """RFC 1112 7.1: a socket receives a group's datagrams once it joined it
    (IP_ADD_MEMBERSHIP) on the receiving interface; the NIC filter is programmed."""
    a, b = net.a, net.b
    srv = bound(b, 7000)
    cli = a.socket()
    assert a.sendto(cli, b"m0", "239.1.1.1", 7000) == -E.ENETUNREACH   # no route, no IF
    a.setopt(cli, IPPROTO_IP, IP_MULTICAST_IF, A("10.0.0.1"))
    a.sendto(cli, b"m1", "239.1.1.1", 7000)
    net.run()
    assert b.recv(srv) is None
    b.setopt(srv, IPPROTO_IP, IP_ADD_MEMBERSHIP, ip_mreq(A("239.1.1.1"), A("10.0.0.2")))
    assert b.ifp().if_findmulti(bytes.fromhex("01005e010101")) is not None
    a.sendto(cli, b"m2", "239.1.1.1", 7000)
    net.run()
    assert b.recv(srv)[0] == b"m2"
    u = net.logs["lan0"].ip(IPPROTO_UDP)[-1]
    assert u[8] == 1                                           # RFC 1112 6.1: TTL 1
    b.setopt(srv, IPPROTO_IP, IP_DROP_MEMBERSHIP, ip_mreq(A("239.1.1.1"), A("10.0.0.2")))
    assert b.ifp().if_findmulti(bytes.fromhex("01005e010101")) is None
    a.sendto(cli, b"m3", "239.1.1.1", 7000)
    net.run()
    assert b.recv(srv) is None                                 # the link-layer filter drops it


def test_recvdstaddr_and_recvttl(net):
    a, b = net.a, net.b
    srv = bound(b, 7000)
    b.setopt(srv, IPPROTO_IP, IP_RECVDSTADDR, 1)
    b.setopt(srv, IPPROTO_IP, IP_RECVTTL, 1)
    a.sendto(a.socket(), b"x", "10.0.0.2", 7000)
    net.run()
    _d, _f, control = b.recv(srv)
    assert (IPPROTO_IP, IP_RECVDSTADDR, A("10.0.0.2")) in control
    assert (IPPROTO_IP, IP_RECVTTL, bytes([64])) in control


def test_bind_rules(net):
    a = net.a
    so = a.socket()
    with pytest.raises(OSError) as e:
        sobind(so, sockaddr_in(A("10.0.0.9"), 5000), None)    # not ours
    assert e.value.errno == E.EADDRNOTAVAIL
    bound(a, 5000)
    with pytest.raises(OSError) as e:
        sobind(a.socket(), sockaddr_in(A("10.0.0.1"), 5000), None)
    assert e.value.errno == E.EADDRINUSE


def test_udp_loopback_to_our_own_address_and_127_0_0_1(net):
    a = net.a
    srv = bound(a, 7000)
    cli = a.socket()
    assert a.sendto(cli, b"self", "10.0.0.1", 7000) == 4
    assert a.sendto(cli, b"lo", "127.0.0.1", 7000) == 2
    net.run()
    got = [a.recv(srv), a.recv(srv)]
    assert [g[0] for g in got] == [b"self", b"lo"]
    assert got[1][1].sin_addr == A("127.0.0.1")
    assert net.logs["lan0"].ip(IPPROTO_UDP) == []
