"""kernel/wire/ip.py: the IPv4 header (RFC 791 3.1), checked against scapy's bytes."""
from __future__ import annotations

import pytest

from kernel.wire.in_ import inet_pton4
from kernel.wire.ip import (IP_DF, IPOPT_RR, Malformed, Truncated, in4_cksum, in4_cksum_data,
                            ip_options_walk, ip_packet, ip_repr)

A = inet_pton4
# scapy: IP(src=10.0.0.1, dst=10.0.0.2, id=0x1234, flags=DF)/ICMP(id=0x4242, seq=7)/"hello"
PKT = bytes.fromhex("4500002112344000400114a60a0000010a000002080071e44242000768656c6c6f")
# scapy: IP(..., id=1, ttl=9, options=[IPOption_RR(pointer=4, routers=["0.0.0.0"])])/ICMP(0, 1, 2)
OPTS = bytes.fromhex("4700002400010000090190cf0a0000010a00000207070400000000000000fffc00010002")


def test_deconstruct():
    p = ip_packet.new_checked(PKT)
    assert (p.version, p.header_len, p.tos, p.total_len, p.ident, p.frag_off, p.ttl,
            p.protocol, p.checksum) == (4, 20, 0, 33, 0x1234, IP_DF, 64, 1, 0x14A6)
    assert (p.src_addr, p.dst_addr, p.payload) == (A("10.0.0.1"), A("10.0.0.2"), PKT[20:])


def test_construct():
    r = ip_repr(A("10.0.0.1"), A("10.0.0.2"), 1, PKT[20:], 64, 0, 0x1234, IP_DF)
    assert r.to_bytes() == PKT
    rr = ip_repr(A("10.0.0.1"), A("10.0.0.2"), 1, OPTS[28:], 9, 0, 1, 0, bytes.fromhex("07070400000000"))
    assert rr.to_bytes() == OPTS


def test_parse():
    assert ip_repr.parse(PKT) == ip_repr(A("10.0.0.1"), A("10.0.0.2"), 1, PKT[20:], 64, 0,
                                         0x1234, IP_DF)
    r = ip_repr.parse(OPTS)
    assert r.options == bytes.fromhex("0707040000000000")
    assert ip_options_walk(r.options) == [(0, IPOPT_RR, 7)]


def test_emit_roundtrip():
    r = ip_repr(A("192.0.2.1"), A("198.51.100.7"), 17, b"x" * 11, 3, 0x10, 99, 0x2001)
    assert ip_repr.parse(r.to_bytes()) == r


@pytest.mark.parametrize("raw,exc", [
    (PKT[:19], Truncated),
    (bytes([0x65]) + PKT[1:], Malformed),                       # version 6
    (bytes([0x44]) + PKT[1:], Malformed),                       # IHL 4
    (bytes([0x46]) + PKT[1:], Malformed),                       # IHL 6: checksum then wrong
    (PKT[:2] + b"\x00\x13" + PKT[4:], Malformed),               # total length < header
    (PKT[:2] + b"\x00\x30" + PKT[4:], Truncated),               # total length > buffer
    (PKT[:11] + b"\x00" + PKT[12:], Malformed),                 # checksum
])
def test_malformed(raw, exc):
    with pytest.raises(exc):
        ip_repr.parse(raw)


@pytest.mark.parametrize("opts", [b"\x07\x00", b"\x07\x01\x00\x00", b"\x07\x09\x00\x00", b"\x01\x07"])
def test_option_walk_rejects_lengths_that_would_loop_or_overrun(opts):
    with pytest.raises(Malformed):
        ip_options_walk(opts)


def test_pseudo_header_checksum():
    """RFC 768: the UDP checksum covers the pseudo-header; the two helpers agree
    and a datagram with its checksum in place sums to zero."""
    udp = bytearray(bytes.fromhex("04d20035000d0000") + b"hello")
    ck = in4_cksum_data(A("10.0.0.1"), A("10.0.0.2"), 17, bytes(udp))
    udp[6:8] = ck.to_bytes(2, "big")
    pkt = ip_repr(A("10.0.0.1"), A("10.0.0.2"), 17, bytes(udp)).to_bytes()
    assert in4_cksum(pkt, 0, 17, 20, len(udp)) == 0
