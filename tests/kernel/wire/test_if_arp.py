"""kernel/wire/if_arp.py: the ARP packet (RFC 826), checked against scapy's bytes."""
from __future__ import annotations

import pytest

from kernel.wire.if_arp import ARPOP_REPLY, ARPOP_REQUEST, arp_repr
from kernel.wire.in_ import inet_pton4
from kernel.wire.ip6 import Malformed, Truncated

A = inet_pton4
MAC = bytes.fromhex("020000001201")
# scapy: ARP(op=1, hwsrc=02:00:00:00:12:01, psrc=10.0.0.1, pdst=10.0.0.2)
REQ = bytes.fromhex("00010800060400010200000012010a0000010000000000000a000002")


def test_deconstruct():
    r = arp_repr.parse(REQ)
    assert (r.hrd, r.pro, r.op, r.sha, r.spa, r.tha, r.tpa) == (
        1, 0x0800, ARPOP_REQUEST, MAC, A("10.0.0.1"), bytes(6), A("10.0.0.2"))


def test_construct():
    assert arp_repr(ARPOP_REQUEST, MAC, A("10.0.0.1"), bytes(6), A("10.0.0.2")).to_bytes() == REQ


def test_parse():
    assert arp_repr.parse(REQ + b"\0" * 18) == arp_repr(ARPOP_REQUEST, MAC, A("10.0.0.1"),
                                                       bytes(6), A("10.0.0.2"))


def test_emit_roundtrip():
    r = arp_repr(ARPOP_REPLY, MAC, A("192.0.2.1"), bytes.fromhex("020000000002"), A("192.0.2.2"))
    assert arp_repr.parse(r.to_bytes()) == r


@pytest.mark.parametrize("raw,exc", [
    (REQ[:7], Truncated), (REQ[:27], Truncated),
    (REQ[:4] + b"\x08\x04" + REQ[6:], Malformed),                  # 8-byte hardware addresses
])
def test_malformed(raw, exc):
    with pytest.raises(exc):
        arp_repr.parse(raw)
