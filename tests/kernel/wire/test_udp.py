"""kernel/wire/udp.py: the UDP header over IPv6."""
from __future__ import annotations

import pytest

from kernel.wire.in6 import inet_pton6
from kernel.wire.ip6 import Malformed, Truncated
from kernel.wire.udp import udp_packet, udp_repr

SRC = inet_pton6("2001:db8::1")
DST = inet_pton6("2001:db8::2")
DGRAM = bytes.fromhex("04d20035000d5b8668656c6c6f")        # scapy: UDP(1234, 53)/"hello"


def test_deconstruct():
    p = udp_packet.new_checked(DGRAM)
    assert (p.src_port, p.dst_port, p.length, p.checksum, p.payload) == (1234, 53, 13, 0x5B86, b"hello")


def test_construct():
    assert udp_repr(1234, 53, b"hello").to_bytes(SRC, DST) == DGRAM


def test_parse():
    assert udp_repr.parse(DGRAM, SRC, DST) == udp_repr(1234, 53, b"hello")


def test_emit_roundtrip_and_zero_checksum_sent_as_all_ones():
    r = udp_repr(1, 2, b"")
    b = r.to_bytes(SRC, DST)
    assert udp_repr.parse(b, SRC, DST) == r
    # find a payload whose checksum computes to zero: it must go out as 0xFFFF
    for i in range(70000):
        p = i.to_bytes(3, "big")
        raw = udp_repr(7, 7, p).to_bytes(SRC, DST)
        if raw[6:8] == b"\xff\xff":
            assert udp_repr.parse(raw, SRC, DST).payload == p
            break
    else:  # pragma: no cover
        pytest.fail("no zero-checksum datagram found")


@pytest.mark.parametrize("raw,exc", [
    (DGRAM[:7], Truncated),
    (DGRAM[:4] + b"\x00\x07" + DGRAM[6:], Malformed),        # length below the header
    (DGRAM[:4] + b"\x00\x20" + DGRAM[6:], Truncated),        # length beyond the buffer
    (DGRAM[:6] + b"\x00\x00" + DGRAM[8:], Malformed),        # RFC 8200 8.1: zero checksum
])
def test_malformed(raw, exc):
    with pytest.raises(exc):
        udp_repr.parse(raw, SRC, DST)
