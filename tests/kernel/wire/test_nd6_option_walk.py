"""The one ND option walker (kernel/wire/nd6.py nd6_option, KAME's
nd6_option): the kernel's nd6_options and the values' parse_options step
through a list with it, so they accept and reject the same lists (RFC 4861 4.6)."""
from __future__ import annotations

import pytest

from kernel.wire.nd6 import (ND_OPT, Mtu, NdOptError, Nonce, RedirectedHeader, SourceLinkAddr,
                             UnknownOption, nd6_option, nd6_options, nd_opt_len, nd_opt_pack,
                             parse_options)

MAC = bytes.fromhex("020000000a01")


def test_rfc4861_4_6_nd6_option_gives_the_length_in_octets():
    opts = SourceLinkAddr(MAC).emit() + Mtu(1500).emit()
    assert nd6_option(opts, 0, len(opts)) == 8 and nd6_option(opts, 8, len(opts)) == 8


@pytest.mark.parametrize("opts, reason", [
    (bytes((ND_OPT.MTU, 0)) + bytes(6), "zero length"),      # RFC 4861 4.6: length 0
    (bytes((ND_OPT.SOURCE_LINKADDR, 2)) + MAC, "overrun"),   # says 16, has 8
    (b"\x05", "overrun"),                                     # a lone type octet
])
def test_rfc4861_4_6_kernel_walk_and_value_parse_reject_alike(opts, reason):
    """RFC 4861 4.6: "Nodes MUST silently discard an ND packet that contains an
    option with length zero." """
    data = SourceLinkAddr(MAC).emit() + opts
    errors = []
    for walk in (lambda: nd6_option(opts, 0, len(opts)), lambda: nd6_options(data, 0, len(data)),
                 lambda: parse_options(data)):
        with pytest.raises(NdOptError) as e:
            walk()
        errors.append(e.value.reason)
    assert errors == [reason] * 3


def test_both_walks_stop_after_maxndopt_options():
    data = UnknownOption(99).emit() * 12
    assert len(parse_options(data, maxndopt=10)) == 10
    o = nd6_options(data, 0, len(data), 10)
    assert o.count == 10 and o.toomany and o.unknown == 10


@pytest.mark.parametrize("body", [b"", b"x", MAC, bytes(6), bytes(7), bytes(14)])
def test_rfc4861_4_6_options_are_padded_to_8_octets(body):
    """RFC 4861 4.6: "The length of the option (including the type and length
    fields) in units of 8 octets." """
    raw = nd_opt_pack(99, body)
    assert len(raw) % 8 == 0 and len(raw) == nd_opt_len(len(body)) and raw[1] == len(raw) // 8
    assert raw[2:2 + len(body)] == body and raw[2 + len(body):] == bytes(len(raw) - 2 - len(body))
    for v in (UnknownOption(99, body), Nonce(body), RedirectedHeader(body), SourceLinkAddr(body)):
        assert len(v.emit()) == v.buffer_len() and v.buffer_len() % 8 == 0
    assert RedirectedHeader(body).emit()[2:8] == bytes(6)           # RFC 4861 4.6.3: reserved
