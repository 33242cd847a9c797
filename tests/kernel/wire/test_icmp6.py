"""kernel/wire/icmp6.py: types and codes, echo and error messages, ICMP6_FILTER."""
from __future__ import annotations

import pytest

from kernel.wire.icmp6 import (ICMP6_FILTER_SETBLOCK, ICMP6_FILTER_SETBLOCKALL,
                               ICMP6_FILTER_SETPASS, ICMP6_FILTER_SETPASSALL,
                               ICMP6_FILTER_WILLBLOCK, ICMP6_FILTER_WILLPASS, ICMP6Type,
                               ICMP6ParamProbCode, ICMPV6_PLD_MAXLEN, MLDV2_LISTENER_REPORT,
                               ND_NEIGHBOR_SOLICIT, ND_REDIRECT, ND_ROUTER_ADVERT,
                               icmp6_echo_repr, icmp6_error_repr, icmp6_filter, icmp6_other_repr,
                               icmp6_parse)
from kernel.wire.in6 import inet_pton6
from kernel.wire.ip6 import Malformed, Truncated

SRC = inet_pton6("2001:db8::1")
DST = inet_pton6("2001:db8::2")
ECHO = bytes.fromhex("80004d481234000161626364")


def test_type_numbers_of_rfc4443_and_the_protocols_on_top():
    assert ICMP6Type.PACKET_TOO_BIG == 2 and ICMP6Type.ECHO_REPLY == 129
    assert (ND_ROUTER_ADVERT, ND_NEIGHBOR_SOLICIT, ND_REDIRECT, MLDV2_LISTENER_REPORT) == \
        (134, 135, 137, 143)
    assert ICMP6ParamProbCode.FIRST_FRAGMENT_INCOMPLETE_HEADER_CHAIN == 3


def test_rfc4443_4_1_echo_deconstruct_and_parse():
    r = icmp6_parse(ECHO, SRC, DST)
    assert r == icmp6_echo_repr(128, 0x1234, 1, b"abcd")


def test_rfc4443_4_1_echo_construct_and_emit():
    assert icmp6_echo_repr(128, 0x1234, 1, b"abcd").to_bytes(SRC, DST) == ECHO


def test_rfc4443_2_3_bad_checksum_and_short_messages_are_rejected():
    with pytest.raises(Malformed):
        icmp6_parse(ECHO[:-1] + b"e", SRC, DST)
    with pytest.raises(Truncated):
        icmp6_parse(ECHO[:7])


def test_rfc4443_2_4_c_error_is_cut_to_the_minimum_mtu():
    big = bytes(2000)
    e = icmp6_error_repr(1, 4, 0, big)
    assert e.buffer_len() == 8 + ICMPV6_PLD_MAXLEN == 1240
    raw = e.to_bytes(SRC, DST)
    assert icmp6_parse(raw, SRC, DST) == icmp6_error_repr(1, 4, 0, bytes(ICMPV6_PLD_MAXLEN))


def test_other_messages_parse_as_type_code_word_body():
    assert icmp6_parse(bytes((135, 0, 0, 0, 0, 0, 0, 0)) + bytes(16)) == \
        icmp6_other_repr(135, 0, 0, bytes(16))


def test_rfc3542_3_2_icmp6_filter_macros():
    f = icmp6_filter()
    assert all(ICMP6_FILTER_WILLPASS(t, f) for t in range(256))
    ICMP6_FILTER_SETBLOCKALL(f)
    ICMP6_FILTER_SETPASS(129, f)
    assert ICMP6_FILTER_WILLPASS(129, f) and ICMP6_FILTER_WILLBLOCK(128, f)
    ICMP6_FILTER_SETBLOCK(129, f)
    assert ICMP6_FILTER_WILLBLOCK(129, f)
    ICMP6_FILTER_SETPASSALL(f)
    assert icmp6_filter.unpack(f.pack()) == f and len(f.pack()) == 32
