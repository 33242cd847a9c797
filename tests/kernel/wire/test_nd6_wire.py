"""kernel/wire/nd6.py: ND messages and options (RFC 4861 4, RFC 4191, RFC 8106, RFC 3971).

Each message has the four smoltcp tests over a byte vector — deconstruct
(the header structs read the fields), construct (the structs write them),
parse (bytes -> value), emit (value -> bytes) — and the option walker gets
the malformed lists RFC 4861 4.6 says must be dropped.
"""
from __future__ import annotations

import pytest

from kernel.wire.in6 import inet_pton6
from kernel.wire.nd6 import (ND_NA_FLAG_OVERRIDE, ND_NA_FLAG_ROUTER, ND_NA_FLAG_SOLICITED,
                             ND_OPT, ND_OPT_PI_FLAG_AUTO, ND_OPT_PI_FLAG_ONLINK,
                             ND_RA_FLAG_MANAGED, ND_RA_FLAG_OTHER, ND_RA_FLAG_RTPREF_HIGH, Dnssl,
                             Mtu, NdOptError, NeighborAdvert, NeighborSolicit, Nonce,
                             PrefixInformation, Rdnss, RedirectedHeader, Redirect, RouteInfo,
                             RouterAdvert, RouterSolicit, SourceLinkAddr, TargetLinkAddr,
                             UnknownOption, nd6_cksum, nd6_options, nd_neighbor_advert,
                             nd_neighbor_solicit, nd_opt_lladdr_of, nd_router_advert, parse_nd)

SRC = inet_pton6("fe80::1")
DST = inet_pton6("ff02::1:ff00:2")
TGT = inet_pton6("fe80::2")
MAC = bytes.fromhex("020000000001")

# NS for fe80::2 from fe80::1 with a source link-layer address option (RFC 4861 4.3, 4.6.1)
NS_BYTES = bytes.fromhex("87007a9700000000" "fe800000000000000000000000000002" "0101020000000001")
# NA, flags S|O, target fe80::2, target link-layer address
NA_BYTES = bytes.fromhex("8800000060000000" "fe800000000000000000000000000002" "0201020000000002")
# RA: hop limit 64, M|O|Prf=high, lifetime 1800, reachable 30000, retrans 1000,
# prefix 2001:db8:1::/64 L|A 86400/14400, MTU 1400
RA_BYTES = bytes.fromhex(
    "8600000040c80708" "00007530000003e8"
    "030440c0000151800000384000000000" "20010db8000100000000000000000000"
    "0501000000000578")


def test_rfc4861_4_3_ns_deconstruct():
    t, code, ck, res, target = nd_neighbor_solicit.unpack_from(NS_BYTES)
    assert (t, code, ck, res, target) == (135, 0, 0x7A97, 0, TGT)
    assert nd_opt_lladdr_of(NS_BYTES[24:32]) == MAC


def test_rfc4861_4_3_ns_construct():
    b = bytearray(32)
    nd_neighbor_solicit.pack_into(b, 0, 135, 0, 0x7A97, 0, TGT)
    b[24:32] = bytes((1, 1)) + MAC
    assert bytes(b) == NS_BYTES


def test_rfc4861_4_3_ns_parse():
    ns = NeighborSolicit.parse(NS_BYTES)
    assert ns.target == TGT and ns.code == 0
    assert ns.options == (SourceLinkAddr(MAC),)


def test_rfc4861_4_3_ns_emit_with_checksum():
    ns = NeighborSolicit(TGT, (SourceLinkAddr(MAC),))
    assert ns.buffer_len() == 32
    assert ns.emit(SRC, DST) == NS_BYTES
    assert nd6_cksum(SRC, DST, NS_BYTES) == 0          # a correct checksum sums to zero


def test_rfc4861_4_4_na_deconstruct_construct_parse_emit():
    _, _, _, flags, target = nd_neighbor_advert.unpack_from(NA_BYTES)
    assert flags == ND_NA_FLAG_SOLICITED | ND_NA_FLAG_OVERRIDE and target == TGT
    b = bytearray(24)
    nd_neighbor_advert.pack_into(b, 0, 136, 0, 0, flags, TGT)
    assert bytes(b) == NA_BYTES[:24]
    na = NeighborAdvert.parse(NA_BYTES)
    assert na.solicited and na.override and not na.router
    assert na.options == (TargetLinkAddr(bytes.fromhex("020000000002")),)
    assert NeighborAdvert(TGT, ND_NA_FLAG_SOLICITED | ND_NA_FLAG_OVERRIDE,
                          (TargetLinkAddr(bytes.fromhex("020000000002")),)).emit() == NA_BYTES


def test_rfc4861_4_4_na_reserved_bits_are_ignored_on_parse_and_zero_on_emit():
    b = bytearray(NA_BYTES)
    b[4:8] = (ND_NA_FLAG_ROUTER | 0x1234).to_bytes(4, "big")
    na = NeighborAdvert.parse(bytes(b))
    assert na.flags == ND_NA_FLAG_ROUTER
    assert na.emit()[4:8] == ND_NA_FLAG_ROUTER.to_bytes(4, "big")


def test_rfc4861_4_2_ra_deconstruct_construct_parse_emit():
    _, _, _, chl, flags, life, reach, retrans = nd_router_advert.unpack_from(RA_BYTES)
    assert (chl, life, reach, retrans) == (64, 1800, 30000, 1000)
    assert flags == ND_RA_FLAG_MANAGED | ND_RA_FLAG_OTHER | ND_RA_FLAG_RTPREF_HIGH
    ra = RouterAdvert.parse(RA_BYTES)
    pi = ra.option(PrefixInformation)
    assert pi == PrefixInformation(inet_pton6("2001:db8:1::"), 64,
                                   ND_OPT_PI_FLAG_ONLINK | ND_OPT_PI_FLAG_AUTO, 86400, 14400)
    assert pi.onlink and pi.autonomous
    assert ra.option(Mtu) == Mtu(1400)
    again = RouterAdvert(64, flags, 1800, 30000, 1000, (pi, Mtu(1400)))
    assert again.emit() == RA_BYTES
    assert again.buffer_len() == len(RA_BYTES)


def test_rfc4861_4_1_rs_and_4_5_redirect_round_trip():
    rs = RouterSolicit((SourceLinkAddr(MAC),))
    b = rs.emit(SRC, inet_pton6("ff02::2"))
    assert b[0] == 133 and len(b) == 16
    assert RouterSolicit.parse(b) == rs
    inner = bytes(range(40)) + b"payload"
    rd = Redirect(inet_pton6("fe80::99"), inet_pton6("2001:db8::5"),
                  (TargetLinkAddr(MAC), RedirectedHeader(inner)))
    raw = rd.emit(SRC, inet_pton6("fe80::3"))
    assert len(raw) == 40 + 8 + 8 + 48
    back = Redirect.parse(raw)
    assert back.target == rd.target and back.destination == rd.destination
    assert back.option(RedirectedHeader).data[:len(inner)] == inner   # padded to 8
    assert parse_nd(raw) == back


def test_rfc4191_2_3_route_information_and_rfc8106_rdnss_dnssl_round_trip():
    for ri in (RouteInfo(bytes(16), 0), RouteInfo(inet_pton6("2001:db8::"), 48, 0x08, 600),
               RouteInfo(inet_pton6("2001:db8:0:0:1::"), 80, 0x18, 60)):
        assert RouteInfo.parse(ri.emit()) == ri
    r = Rdnss((inet_pton6("2001:db8::53"), inet_pton6("2001:db8::54")), 300)
    assert r.buffer_len() == 40 and Rdnss.parse(r.emit()) == r
    d = Dnssl(("example.com", "lab.kame.net"), 300)
    assert Dnssl.parse(d.emit()) == d
    n = Nonce(bytes.fromhex("0102030405060708090a0b0c0d0e"))
    assert Nonce.parse(n.emit()) == n


def test_rfc4191_2_3_route_information_length_too_small_for_prefix_is_rejected():
    bad = bytes((24, 1, 64, 0)) + (600).to_bytes(4, "big")       # /64 needs length >= 2
    with pytest.raises(ValueError):
        RouteInfo.parse(bad)


def test_rfc4861_4_6_2_prefix_information_with_wrong_length_is_rejected():
    raw = PrefixInformation(inet_pton6("2001:db8::")).emit()
    bad = bytes((3, 3)) + raw[2:24]
    with pytest.raises(ValueError):
        PrefixInformation.parse(bad)


def test_rfc4861_4_6_option_walker_finds_each_option():
    opts = (SourceLinkAddr(MAC).emit() + PrefixInformation(inet_pton6("2001:db8::")).emit()
            + PrefixInformation(inet_pton6("2001:db8:1::")).emit() + Mtu(1500).emit()
            + UnknownOption(200, b"xyz").emit() + SourceLinkAddr(b"\x02" * 6).emit())
    o = nd6_options(opts, 0, len(opts))
    assert nd_opt_lladdr_of(o.src_lladdr) == MAC        # the first one is kept ...
    assert o.dup == 1                                   # ... a second one counted
    assert len(o.prefix_info) == 2 and o.mtu == Mtu(1500).emit() and o.unknown == 1
    assert o.count == 6 and not o.toomany


def test_rfc4861_4_6_option_with_length_zero_is_an_error():
    """RFC 4861 4.6: "Nodes MUST silently discard an ND packet that contains an
    option with length zero." """
    opts = SourceLinkAddr(MAC).emit() + bytes((ND_OPT.MTU, 0)) + bytes(6)
    with pytest.raises(NdOptError) as e:
        nd6_options(opts, 0, len(opts))
    assert e.value.reason == "zero length"


@pytest.mark.parametrize("opts", [
    bytes((1, 2)) + MAC,                       # says 16 bytes, has 8
    SourceLinkAddr(MAC).emit() + b"\x05",      # a lone type byte at the end
    bytes((3, 4)) + bytes(20),                 # prefix information cut short
])
def test_rfc4861_4_6_truncated_option_is_an_error(opts):
    with pytest.raises(NdOptError) as e:
        nd6_options(opts, 0, len(opts))
    assert e.value.reason == "overrun"


def test_option_walker_stops_after_maxndopt_options():
    opts = UnknownOption(250).emit() * 50
    o = nd6_options(opts, 0, len(opts), maxndopt=10)
    assert o.toomany and o.count == 10


def test_option_walker_bounds_are_checked():
    with pytest.raises(NdOptError):
        nd6_options(b"\x01\x01" + MAC, 0, 100)
    assert nd6_options(b"", 0, 0).count == 0


def test_parse_rejects_short_messages_and_wrong_types():
    with pytest.raises(ValueError):
        NeighborSolicit.parse(NS_BYTES[:23])
    with pytest.raises(ValueError):
        NeighborSolicit.parse(NA_BYTES)
    with pytest.raises(ValueError):
        parse_nd(bytes((128, 0, 0, 0)))


def test_emitted_messages_match_scapy():
    scapy = pytest.importorskip("scapy.all")
    p = (scapy.IPv6(src="fe80::1", dst="ff02::1") /
         scapy.ICMPv6ND_RA(chlim=64, M=1, O=1, prf=1, routerlifetime=1800, reachabletime=30000,
                           retranstimer=1000) /
         scapy.ICMPv6NDOptPrefixInfo(prefix="2001:db8:1::", prefixlen=64, L=1, A=1,
                                     validlifetime=86400, preferredlifetime=14400) /
         scapy.ICMPv6NDOptMTU(mtu=1400))
    raw = scapy.raw(p)
    ra = RouterAdvert.parse(raw[40:])
    assert ra.emit(inet_pton6("fe80::1"), inet_pton6("ff02::1")) == raw[40:]
