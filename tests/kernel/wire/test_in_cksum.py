"""kernel/wire/in_cksum.py: RFC 1071 and the RFC 8200 8.1 pseudo-header."""
from __future__ import annotations

import random

from kernel.wire.in_cksum import (in6_cksum, in6_cksum_data, in_cksum, in_cksum_fold,
                                  in_cksum_sum)

ECHO = bytes.fromhex("6b812345000c3a4020010db800000000000000000000000120010db8000000000000"
                     "000000000002" "80004d481234000161626364")


def reference(data: bytes) -> int:
    """RFC 1071 4.1, word by word."""
    if len(data) & 1:
        data += b"\0"
    s = 0
    for i in range(0, len(data), 2):
        s += (data[i] << 8) | data[i + 1]
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def test_rfc1071_matches_word_by_word_sum_for_all_lengths():
    r = random.Random(7)
    for n in range(0, 300):
        d = bytes(r.getrandbits(8) for _ in range(n))
        assert in_cksum(d) == reference(d), n


def test_rfc1071_4_1_example_words():
    # RFC 1071 3: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2 (one's complement 220d)
    assert in_cksum(bytes.fromhex("0001f203f4f5f6f7")) == 0x220D


def test_all_zero_and_negative_zero_are_told_apart():
    assert in_cksum(b"\0\0") == 0xFFFF == reference(b"\0\0")
    assert in_cksum(b"\xff\xff") == 0 == reference(b"\xff\xff")
    assert in_cksum_fold(0) == 0xFFFF and in_cksum_fold(0xFFFF) == 0


def test_rfc8200_8_1_pseudo_header_checksum_of_a_received_echo_verifies_to_zero():
    assert in6_cksum(ECHO, 0, 58, 40, len(ECHO) - 40) == 0
    bad = bytearray(ECHO)
    bad[-1] ^= 1
    assert in6_cksum(bad, 0, 58, 40, len(bad) - 40) != 0


def test_in6_cksum_data_computes_the_field_value():
    body = bytearray(ECHO[40:])
    body[2:4] = b"\0\0"
    assert in6_cksum_data(ECHO[8:24], ECHO[24:40], 58, body) == 0x4D48


def test_partial_sums_add_in_any_order():
    a, b = b"\x12\x34\x56\x78", b"\x9a\xbc"
    assert in_cksum_fold(in_cksum_sum(a) + in_cksum_sum(b)) == in_cksum(a + b)
