"""kernel/wire/icmp.py: ICMP messages (RFC 792), checked against scapy's bytes."""
from __future__ import annotations

import pytest

from kernel.wire.icmp import (ICMP_ECHO, ICMP_ECHOREPLY, ICMP_INFOTYPE, ICMP_PARAMPROB,
                              ICMP_TIMXCEED, ICMP_UNREACH, ICMP_UNREACH_PORT, icmp_repr)
from kernel.wire.ip6 import Malformed, Truncated

# scapy: ICMP(type=8, id=0x4242, seq=7)/"hello"
ECHO = bytes.fromhex("080071e44242000768656c6c6f")
# scapy: ICMP(type=3, code=3)/IP(src=10.0.0.2, dst=10.0.0.1)/"12345678"
UNREACH = bytes.fromhex("03032c28000000004500001c00010000400066df0a0000020a0000013132333435363738")


def test_deconstruct():
    r = icmp_repr.parse(ECHO)
    assert (r.type, r.code, r.ident, r.seq, r.data) == (ICMP_ECHO, 0, 0x4242, 7, b"hello")


def test_construct():
    assert icmp_repr.echo(ICMP_ECHO, 0x4242, 7, b"hello").to_bytes() == ECHO
    assert icmp_repr(ICMP_UNREACH, ICMP_UNREACH_PORT, 0, UNREACH[8:]).to_bytes() == UNREACH


def test_parse():
    assert icmp_repr.parse(UNREACH) == icmp_repr(ICMP_UNREACH, ICMP_UNREACH_PORT, 0, UNREACH[8:])


def test_emit_roundtrip():
    r = icmp_repr(ICMP_PARAMPROB, 0, 21 << 24, bytes(28))
    assert icmp_repr.parse(r.to_bytes()) == r


@pytest.mark.parametrize("raw,exc", [(ECHO[:7], Truncated), (ECHO[:-1] + b"x", Malformed)])
def test_malformed(raw, exc):
    with pytest.raises(exc):
        icmp_repr.parse(raw)


def test_infotype_tells_queries_from_errors():
    """RFC 1122 3.2.2: no error about an error; queries are not errors."""
    assert ICMP_INFOTYPE(ICMP_ECHO) and ICMP_INFOTYPE(ICMP_ECHOREPLY)
    assert not ICMP_INFOTYPE(ICMP_UNREACH) and not ICMP_INFOTYPE(ICMP_TIMXCEED)
