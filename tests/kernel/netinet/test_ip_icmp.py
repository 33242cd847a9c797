"""ICMP (kernel/netinet/ip_icmp.py): RFC 792 and RFC 1122 3.2.2 — echo, the
errors and when they must not be sent, the rate limit, malformed messages."""
from __future__ import annotations

import struct

import pytest

from kernel.kern.uipc_mbuf import M_BCAST, mbuf
from kernel.netinet.ip_icmp import icmp_error
from kernel.wire.icmp import (ICMP_ECHO, ICMP_ECHOREPLY, ICMP_UNREACH, ICMP_UNREACH_PORT,
                              ICMP_UNREACH_PROTOCOL, icmp_repr)
from kernel.wire import errno as E
from kernel.wire.in_cksum import in_cksum
from kernel.wire.ip import ip_repr
from kernel.wire.ip6 import IPPROTO_ICMP, IPPROTO_UDP
from kernel.wire.udp import udp_repr
from tests.kernel.netinet.ip_lab import A


def pkt(proto: int, body: bytes, src: str = "10.0.0.1", dst: str = "10.0.0.2",
        off: int = 0) -> bytes:
    return ip_repr(A(src), A(dst), proto, body, 64, 0, 0x77, off).to_bytes()


def udp(dport: int = 9, src: str = "10.0.0.1", dst: str = "10.0.0.2", off: int = 0) -> bytes:
    return pkt(IPPROTO_UDP, udp_repr(1234, dport, b"hello").to_bytes(), src, dst, off)


def resolve(net) -> None:
    """Both hosts know each other's link-layer address (ARP holds one packet only)."""
    net.b.ping("10.0.0.1", seq=999)
    net.run()


def errors(net, type: int = ICMP_UNREACH) -> list[bytes]:
    net.run()
    return net.logs["lan0"].icmp(type)


def test_rfc1122_3_2_2_6_echo_reply_from_the_address_pinged_with_the_data_echoed(net):
    """RFC 792: "The data received in the echo message must be returned in the echo
    reply message"; RFC 1122 3.2.2.6: "MUST implement an ICMP Echo server"."""
    body = icmp_repr.echo(ICMP_ECHO, 0xBEEF, 42, b"payload!").to_bytes()
    net.b.inject(pkt(IPPROTO_ICMP, body))
    net.run()
    rep = [p for p in net.logs["lan0"].ip(IPPROTO_ICMP) if p[20] == ICMP_ECHOREPLY]
    assert len(rep) == 1
    assert rep[0][12:16] == A("10.0.0.2") and rep[0][16:20] == A("10.0.0.1")
    r = icmp_repr.parse(rep[0][20:])
    assert (r.ident, r.seq, r.data) == (0xBEEF, 42, b"payload!")
    assert net.b.icmpstat.icps_reflect == 1


def test_rfc1122_3_2_2_1_port_unreachable_quotes_the_header_and_8_bytes(net):
    """RFC 1122 3.2.2.1, 4.1.3.1: a datagram for a port nobody has gets Port
    Unreachable, quoting "the internet header plus the first 64 bits" (RFC 792)."""
    p = udp()
    net.b.inject(p)
    un = errors(net)
    assert len(un) == 1 and un[0][1] == ICMP_UNREACH_PORT
    assert un[0][8:] == p[:28]
    assert in_cksum(un[0]) == 0
    assert net.b.k.udpstat.udps_noport == 1


def test_rfc1122_3_2_2_1_protocol_unreachable_for_an_unknown_protocol(net):
    net.b.inject(pkt(200, b"whatever"))
    un = errors(net)
    assert len(un) == 1 and un[0][1] == ICMP_UNREACH_PROTOCOL
    assert net.b.ipstat.ips_noproto == 1 and net.b.ipstat.ips_delivered == 0


@pytest.mark.parametrize("mangle,flags,counter", [
    (lambda p: p, 0, None),                                           # the control case
    (lambda p: udp(dst="10.0.0.255"), 0, "icps_canterror"),           # an IP broadcast
    (lambda p: udp(dst="255.255.255.255"), 0, "icps_canterror"),
    (lambda p: udp(dst="224.0.0.1"), 0, "icps_canterror"),            # an IP multicast
    (lambda p: p, M_BCAST, "icps_canterror"),                         # a link-layer broadcast
    (lambda p: udp(off=3), 0, "icps_canterror"),                      # a non-initial fragment
    (lambda p: udp(src="0.0.0.0"), 0, "icps_badaddr"),                # no single host
    (lambda p: udp(src="240.0.0.1"), 0, "icps_badaddr"),
])
def test_rfc1122_3_2_2_no_error_about_broadcast_multicast_fragments_or_bad_sources(
        net, mangle, flags, counter):
    """RFC 1122 3.2.2: "An ICMP error message MUST NOT be sent as the result of
    receiving ... a datagram destined to an IP broadcast or IP multicast address,
    or a datagram sent as a link-layer broadcast, or a non-initial fragment, or a
    datagram whose source address does not define a single host"."""
    b = net.b
    resolve(net)
    m = mbuf(mangle(udp()))
    m.rcvif = b.ifp()
    m.m_flags |= flags
    icmp_error(b.k, m, ICMP_UNREACH, ICMP_UNREACH_PORT)
    un = errors(net)
    if counter is None:
        assert len(un) == 1
    else:
        assert un == [] and getattr(b.icmpstat, counter) == 1


def test_rfc1122_3_2_2_no_error_about_a_link_layer_broadcast(net):
    net.b.inject(udp(), bcast=True)
    assert errors(net) == []
    assert net.b.k.udpstat.udps_noportbcast == 1


def test_rfc1122_3_2_2_no_error_about_an_icmp_error(net):
    """"... MUST NOT be sent as the result of receiving: an ICMP error message"."""
    b = net.b
    resolve(net)
    inner = udp(src="10.0.0.2", dst="10.0.0.1")
    err = icmp_repr(ICMP_UNREACH, ICMP_UNREACH_PORT, 0, inner[:28]).to_bytes()
    m = mbuf(pkt(IPPROTO_ICMP, err))
    m.rcvif = b.ifp()
    icmp_error(b.k, m, ICMP_UNREACH, ICMP_UNREACH_PROTOCOL)
    assert b.icmpstat.icps_oldicmp == 1 and errors(net) == []
    # an Echo is not an error: an error about it may be sent
    m = mbuf(pkt(IPPROTO_ICMP, icmp_repr.echo(ICMP_ECHO, 1, 1, b"12345678").to_bytes()))
    m.rcvif = b.ifp()
    icmp_error(b.k, m, ICMP_UNREACH, ICMP_UNREACH_PROTOCOL)
    assert len(errors(net)) == 1


def test_icmplim_rate_limits_port_unreachables_and_says_so(net):
    """FreeBSD badport_bandlim: at most net.inet.icmp.icmplim responses a second;
    "Limiting icmp unreach response from N to M packets/sec" the next second."""
    b = net.b
    resolve(net)
    b.k.icmp.icmplim = 5
    for _ in range(12):
        b.inject(udp())
    assert len(errors(net)) == 5 and b.icmpstat.icps_toofreq == 7
    net.run_s(1)
    b.inject(udp())
    assert "Limiting icmp unreach response from 12 to 5 packets/sec\n" in b.k.msgbuf
    assert len(errors(net)) == 6


def test_icmp_error_to_a_connected_udp_socket_is_econnrefused(net):
    """RFC 1122 4.1.3.3: "UDP MUST pass to the application layer all ICMP error
    messages that it receives from the IP layer" — on a connected socket as
    ECONNREFUSED (BSD's inetctlerrmap)."""
    from kernel.kern.uipc_socket import soconnect
    from kernel.wire.in_ import sockaddr_in
    a = net.a
    so = a.socket()
    soconnect(so, sockaddr_in(A("10.0.0.2"), 9), None)
    assert a.sendto(so, b"ping") == 4
    net.run()
    assert so.so_error == E.ECONNREFUSED
    assert a.sendto(so, b"ping") == -E.ECONNREFUSED            # reported once, on the next send
    assert so.so_error == 0


@pytest.mark.parametrize("body,counter", [
    (b"\x08\x00\x00", "icps_tooshort"),                                     # < 8 octets
    (icmp_repr.echo(ICMP_ECHO, 1, 1, b"x").to_bytes()[:-1] + b"y", "icps_checksum"),
    (icmp_repr(ICMP_UNREACH, 3, 0, bytes(10)).to_bytes(), "icps_badlen"),  # quote too short
    (icmp_repr(ICMP_UNREACH, 3, 0, bytes([0x41]) + bytes(27)).to_bytes(), "icps_badlen"),  # IHL 1
    (icmp_repr(ICMP_UNREACH, 99, 0, bytes(28)).to_bytes(), "icps_badcode"),
    (icmp_repr(11, 7, 0, bytes(28)).to_bytes(), "icps_badcode"),
])
def test_malformed_icmp_is_dropped_and_counted(net, body, counter):
    b = net.b
    b.inject(pkt(IPPROTO_ICMP, body))
    assert getattr(b.icmpstat, counter) == 1
    net.run()
    assert net.logs["lan0"].ip(IPPROTO_ICMP) == []


def test_quoted_datagram_goes_to_the_protocol_of_the_quoted_header(net):
    """icmp_input hands an error to the pr_ctlinput of the quoted protocol, and to
    raw sockets; a quoted multicast destination is discarded."""
    a = net.a
    raw = a.socket(3, IPPROTO_ICMP)
    inner = udp(src="10.0.0.1", dst="224.0.0.9")
    a.inject(pkt(IPPROTO_ICMP, icmp_repr(ICMP_UNREACH, 3, 0, inner[:28]).to_bytes(),
                 src="10.0.0.2", dst="10.0.0.1"))
    assert a.icmpstat.icps_badcode == 1 and a.recv(raw) is None
    inner = udp(src="10.0.0.1", dst="10.0.0.2")
    a.inject(pkt(IPPROTO_ICMP, icmp_repr(ICMP_UNREACH, 3, 0, inner[:28]).to_bytes(),
                 src="10.0.0.2", dst="10.0.0.1"))
    got = a.recv(raw)
    assert got is not None and got[0][20] == ICMP_UNREACH
    assert struct.unpack_from("!H", got[0], 2)[0] == len(got[0])   # the whole packet, header too
