"""Raw IPv4 sockets (kernel/netinet/raw_ip.py): what ping needs, IP_HDRINCL."""
from __future__ import annotations

import pytest

from kernel.kern.uipc_socket import soconnect
from kernel.wire import errno as E
from kernel.wire.icmp import ICMP_ECHO, ICMP_ECHOREPLY, icmp_repr
from kernel.wire.in_ import IP_HDRINCL, IP_TTL, IPPROTO_IP, sockaddr_in
from kernel.wire.ip import ip_repr
from kernel.wire.ip6 import IPPROTO_ICMP
from tests.kernel.netinet.ip_lab import A


def test_icmp_raw_socket_sends_what_it_is_given_and_gets_replies_with_the_ip_header(net):
    """A raw socket's payload gets an IP header (TTL from IP_TTL); the kernel
    leaves the ICMP checksum to the sender (ping computes it); replies arrive
    whole, IP header included."""
    a = net.a
    so = a.socket(3, IPPROTO_ICMP)
    a.setopt(so, IPPROTO_IP, IP_TTL, 7)
    echo = icmp_repr.echo(ICMP_ECHO, 0x1111, 3, b"12345678").to_bytes()
    assert a.sendto(so, echo, "10.0.0.2") == len(echo)
    net.run()
    out = net.logs["lan0"].ip(IPPROTO_ICMP)[0]
    assert out[8] == 7 and out[20:] == echo and out[12:16] == A("10.0.0.1")
    data, frm, _ = a.recv(so)
    assert frm.sin_addr == A("10.0.0.2")
    assert data[9] == IPPROTO_ICMP and data[20] == ICMP_ECHOREPLY
    assert icmp_repr.parse(data[20:]).seq == 3


def test_hdrincl_sends_the_callers_header_and_checks_it(net):
    a = net.a
    so = a.socket(3, 253)
    a.setopt(so, IPPROTO_IP, IP_HDRINCL, 1)
    p = bytearray(ip_repr(A("10.0.0.1"), A("10.0.0.2"), 253, b"experiment", 33).to_bytes())
    p[4:6] = b"\0\0"                                   # a zero id is filled in
    assert a.sendto(so, bytes(p), "10.0.0.2") == len(p)
    assert a.sendto(so, bytes(p[:-1]), "10.0.0.2") == -E.EINVAL      # ip_len must match
    assert a.sendto(so, bytes(p[:10]), "10.0.0.2") == -E.EINVAL
    net.run()
    sent = net.logs["lan0"].ip(253)
    assert len(sent) == 1 and sent[0][8] == 33 and sent[0][4:6] != b"\0\0"
    assert a.ipstat.ips_rawout == 1


def test_raw_socket_for_a_protocol_stops_the_protocol_unreachable(net):
    b = net.b
    so = b.socket(3, 253)
    b.inject(ip_repr(A("10.0.0.1"), A("10.0.0.2"), 253, b"hi").to_bytes())
    data, _frm, _ = b.recv(so)
    assert data[20:] == b"hi" and b.ipstat.ips_noproto == 0
    net.run()
    assert net.logs["lan0"].ip(IPPROTO_ICMP) == []


def test_connected_raw_socket_only_hears_its_peer(net):
    b = net.b
    so = b.socket(3, 253)
    soconnect(so, sockaddr_in(A("10.0.0.9")), None)
    b.inject(ip_repr(A("10.0.0.1"), A("10.0.0.2"), 253, b"hi").to_bytes())
    assert b.recv(so) is None


def test_raw_socket_rejects_a_bad_address(net):
    a = net.a
    so = a.socket(3, IPPROTO_ICMP)
    from kernel.kern.uipc_socket import sosend
    with pytest.raises(OSError) as e:
        sosend(so, sockaddr_in(b"\x01\x02", 0), b"x", None, 0, None)
    assert e.value.errno == E.EINVAL
    with pytest.raises(OSError) as e:
        sosend(so, "10.0.0.2", b"x", None, 0, None)
    assert e.value.errno == E.EAFNOSUPPORT
