"""kernel/wire/ip6.py: smoltcp's four tests (deconstruct, construct, parse, emit) per header."""
from __future__ import annotations

import pytest

from kernel.wire.ip6 import (IP6OPT_ACTION, IP6OPT_PAD1, IP6OPT_PADN, IP6OPT_RTALERT,
                             IPPROTO, IPPROTO_DONE, IPPROTO_FRAGMENT, IPPROTO_ICMPV6,
                             IPPROTO_UDP, Malformed, Truncated, ip6_frag_repr, ip6_lasthdr,
                             ip6_option, ip6_options_emit, ip6_options_parse, ip6_opts_repr,
                             ip6_packet, ip6_repr, ip6_rthdr_repr)
from kernel.wire.in6 import inet_pton6

SRC = inet_pton6("2001:db8::1")
DST = inet_pton6("2001:db8::2")
PACKET = bytes.fromhex("6b812345000c3a40" "20010db8000000000000000000000001"
                       "20010db8000000000000000000000002" "80004d481234000161626364")
HBH_RTALERT = bytes.fromhex("3a00050200000100")       # scapy: HopByHop(nh=58)/RouterAlert(0)
FRAG = bytes.fromhex("110005c9deadbeef")             # nh 17, offset 185*8, M, id


def test_freebsd_protocol_numbers():
    assert IPPROTO.ICMPV6 == 58 and IPPROTO.FRAGMENT == 44 and IPPROTO.MH == 135
    assert IPPROTO_DONE == 257


def test_rfc8200_3_deconstruct():
    p = ip6_packet.new_checked(PACKET)
    assert (p.version, p.traffic_class, p.flow_label) == (6, 0xB8, 0x12345)
    assert (p.payload_len, p.next_header, p.hop_limit) == (12, IPPROTO_ICMPV6, 64)
    assert p.src_addr == SRC and p.dst_addr == DST and p.payload == PACKET[40:]


def test_rfc8200_3_construct():
    b = bytearray(40)
    ip6_repr(SRC, DST, IPPROTO_ICMPV6, 12, 64, 0xB8, 0x12345).emit(b)
    assert bytes(b) == PACKET[:40]


def test_rfc8200_3_parse():
    r = ip6_repr.parse(PACKET)
    assert r == ip6_repr(SRC, DST, 58, 12, 64, 0xB8, 0x12345)


def test_rfc8200_3_emit_roundtrip():
    r = ip6_repr.parse(PACKET)
    assert r.to_bytes() == PACKET[:40] and r.buffer_len() == 40


@pytest.mark.parametrize("buf,exc", [
    (PACKET[:39], Truncated),                          # shorter than the header
    (PACKET[:45], Truncated),                          # payload length beyond the buffer
    (bytes([0x4B]) + PACKET[1:], Malformed),           # version 4
])
def test_malformed_headers_raise_value_errors(buf, exc):
    with pytest.raises(exc):
        ip6_repr.parse(buf)


def test_rfc8200_4_2_options_deconstruct_and_action_bits():
    r = ip6_opts_repr.parse(HBH_RTALERT)
    assert r.nxt == 58 and r.options == (ip6_option(IP6OPT_RTALERT, b"\x00\x00"),)
    assert ip6_option(0x3E).action == IP6OPT_ACTION.SKIP
    assert ip6_option(0x7E).action == IP6OPT_ACTION.DISCARD
    assert ip6_option(0xBE).action == IP6OPT_ACTION.DISCARD_ICMP
    assert ip6_option(0xFE).action == IP6OPT_ACTION.DISCARD_ICMP_UNLESS_MULTICAST
    assert ip6_option(0x3E | 0x20).mutable


def test_rfc8200_4_2_options_construct_pads_to_8_octets():
    assert ip6_opts_repr(58, (ip6_option(IP6OPT_RTALERT, b"\x00\x00"),)).to_bytes() == HBH_RTALERT
    # Pad1 for one byte, PadN for more
    assert ip6_options_emit([ip6_option(0x1E, b"\0\0\0")]) == bytes.fromhex("1e03000000") + b"\x00"
    assert ip6_options_emit([]) == bytes((IP6OPT_PADN, 4)) + bytes(4)


def test_rfc8200_4_2_options_parse_keeps_or_drops_padding():
    body = bytes((IP6OPT_PAD1, IP6OPT_PADN, 1, 0, 0x1E, 0))
    assert ip6_options_parse(body) == (ip6_option(0x1E),)
    assert len(ip6_options_parse(body, keep_padding=True)) == 3


def test_rfc8200_4_2_options_emit_roundtrip():
    r = ip6_opts_repr(17, (ip6_option(0xC9, bytes(16)),))
    assert ip6_opts_repr.parse(r.to_bytes()) == r and r.buffer_len() % 8 == 0


@pytest.mark.parametrize("body", [bytes((0x1E,)), bytes((0x1E, 5, 0, 0))])
def test_option_overrunning_the_header_is_truncated(body):
    with pytest.raises(Truncated):
        ip6_options_parse(body)


def test_rfc8200_4_5_fragment_four_tests():
    r = ip6_frag_repr.parse(FRAG)                                   # parse
    assert r == ip6_frag_repr(IPPROTO_UDP, 185 * 8, True, 0xDEADBEEF)
    assert (r.offset, r.more, r.atomic) == (1480, True, False)      # deconstruct
    assert ip6_frag_repr(17, 1480, True, 0xDEADBEEF).to_bytes() == FRAG   # construct/emit
    assert ip6_frag_repr(17, 0, False, 1).atomic                     # RFC 6946
    with pytest.raises(Malformed):
        ip6_frag_repr(17, 3, False, 1).to_bytes()                   # not a multiple of 8


def test_rfc8200_4_4_routing_header_four_tests():
    raw = bytes((58, 2, 0, 1)) + bytes(4) + DST
    r = ip6_rthdr_repr.parse(raw)
    assert (r.nxt, r.type, r.segleft, r.addresses) == (58, 0, 1, (DST,))
    assert r.to_bytes() == raw
    assert ip6_rthdr_repr.type2(58, SRC).to_bytes() == bytes((58, 2, 2, 1)) + bytes(4) + SRC
    with pytest.raises(Truncated):
        ip6_rthdr_repr.parse(raw[:16])


def test_ip6_lasthdr_walks_to_the_upper_layer_and_stops_at_later_fragments():
    pkt = bytearray(PACKET[:40]) + HBH_RTALERT + PACKET[40:]
    pkt[6] = 0
    assert ip6_lasthdr(pkt) == (48, IPPROTO_ICMPV6)
    frag2 = bytearray(PACKET[:40]) + FRAG + bytes(16)
    frag2[6] = IPPROTO_FRAGMENT
    assert ip6_lasthdr(frag2) == (40, IPPROTO_FRAGMENT)
    assert ip6_lasthdr(b"\x60" * 10) == (-1, -1)
