"""kernel/wire/mld6.py: MLDv1 (RFC 2710 3) and MLDv2 (RFC 3810 5) messages.

The four tests over byte vectors (deconstruct, construct, parse, emit) for
the Query, the Version 2 Report and the MLDv1 Report; the floating-point
Maximum Response Code and QQIC; malformed messages raise ValueError.  The
checksums of the vectors were computed apart from kernel/wire/in_cksum.py.
"""
from __future__ import annotations

import pytest

from kernel.wire.in6 import inet_pton6
from kernel.wire.mld6 import (MLD_ALLOW_NEW_SOURCES, MLD_CHANGE_TO_EXCLUDE_MODE, MldRecord,
                              MldV1Message, MldV2Query, MldV2Report, mld_hbh_router_alert,
                              mld_hdr, mld_mrc_decode, mld_mrc_encode, mld_qqic_decode,
                              mld_qqic_encode, mldv2_query_tail, mldv2_record_hdr,
                              mldv2_report_hdr)

A = inet_pton6
LL, ALLNODES, V2RTRS = A("fe80::1"), A("ff02::1"), A("ff02::16")
G, G2, S = A("ff15::1:2"), A("ff15::1:3"), A("2001:db8::1")

# General Query: Maximum Response Code 10000 (10 s), QRV 2, QQIC 125, no sources (RFC 3810 5.1)
QUERY = bytes.fromhex("82005696" "27100000" + "00" * 16 + "027d0000")
# Report: CHANGE_TO_EXCLUDE_MODE ff15::1:2, ALLOW_NEW_SOURCES ff15::1:3 {2001:db8::1} (RFC 3810 5.2)
REPORT = bytes.fromhex("8f003dfa00000002"
                       "04000000" "ff150000000000000000000000010002"
                       "05000001" "ff150000000000000000000000010003"
                       "20010db8000000000000000000000001")
# MLDv1 Report of ff15::1:2 (RFC 2710 3), to the group
V1REPORT = bytes.fromhex("83007ff900000000ff150000000000000000000000010002")


def test_rfc3810_5_1_query_deconstruct():
    t, code, ck, mrc, _r, addr = mld_hdr.unpack_from(QUERY)
    assert (t, code, ck, mrc, addr) == (130, 0, 0x5696, 10000, bytes(16))
    assert mldv2_query_tail.unpack_from(QUERY, 24) == (0x02, 125, 0)


def test_rfc3810_5_1_query_construct():
    b = bytearray(28)
    mld_hdr.pack_into(b, 0, 130, 0, 0x5696, 10000, 0, bytes(16))
    mldv2_query_tail.pack_into(b, 24, 0x02, 125, 0)
    assert bytes(b) == QUERY


def test_rfc3810_5_1_query_parse():
    q = MldV2Query.parse(QUERY)
    assert (q.addr, q.max_resp_delay, q.qrv, q.s_flag, q.qqi, q.sources) == (bytes(16), 10000, 2,
                                                                             False, 125, ())


def test_rfc3810_5_1_query_emit_with_checksum():
    assert MldV2Query(bytes(16), 10000, (), False, 2, 125).emit(LL, ALLNODES) == QUERY
    with_srcs = MldV2Query(G, 500, (S,), True, 3)
    assert MldV2Query.parse(with_srcs.emit()) == with_srcs and with_srcs.buffer_len() == 44


def test_rfc3810_5_2_report_deconstruct():
    assert mldv2_report_hdr.unpack_from(REPORT) == (143, 0, 0x3DFA, 0, 2)
    assert mldv2_record_hdr.unpack_from(REPORT, 8) == (MLD_CHANGE_TO_EXCLUDE_MODE, 0, 0, G)
    assert mldv2_record_hdr.unpack_from(REPORT, 28) == (MLD_ALLOW_NEW_SOURCES, 0, 1, G2)


def test_rfc3810_5_2_report_construct():
    b = bytearray(len(REPORT))
    mldv2_report_hdr.pack_into(b, 0, 143, 0, 0x3DFA, 0, 2)
    mldv2_record_hdr.pack_into(b, 8, MLD_CHANGE_TO_EXCLUDE_MODE, 0, 0, G)
    mldv2_record_hdr.pack_into(b, 28, MLD_ALLOW_NEW_SOURCES, 0, 1, G2)
    b[48:64] = S
    assert bytes(b) == REPORT


def test_rfc3810_5_2_report_parse():
    r = MldV2Report.parse(REPORT)
    assert r.records == (MldRecord(MLD_CHANGE_TO_EXCLUDE_MODE, G), MldRecord(MLD_ALLOW_NEW_SOURCES, G2, (S,)))


def test_rfc3810_5_2_report_emit_with_checksum():
    r = MldV2Report((MldRecord(MLD_CHANGE_TO_EXCLUDE_MODE, G), MldRecord(MLD_ALLOW_NEW_SOURCES, G2, (S,))))
    assert r.emit(LL, V2RTRS) == REPORT and r.buffer_len() == len(REPORT)


def test_rfc2710_3_v1_report_parse_and_emit():
    assert mld_hdr.unpack_from(V1REPORT)[:3] == (131, 0, 0x7FF9)
    assert MldV1Message.parse(V1REPORT) == MldV1Message(131, G)
    assert MldV1Message(131, G).emit(LL, G) == V1REPORT


@pytest.mark.parametrize("code,ms", [(0, 0), (32767, 32767), (0x8000, 32768), (0x8388, 40000),
                                     (0xFFFF, 8387584)])
def test_rfc3810_5_1_3_maximum_response_code(code, ms):
    """RFC 3810 5.1.3: "If Maximum Response Code >= 32768, Maximum Response Code
    represents a floating-point value": (mant | 0x1000) << (exp + 3)."""
    assert mld_mrc_decode(code) == ms
    assert mld_mrc_encode(ms) == code


@pytest.mark.parametrize("code,s", [(125, 125), (0x80, 128), (0xFF, 31744)])
def test_rfc3810_5_1_9_qqic(code, s):
    assert mld_qqic_decode(code) == s and mld_qqic_encode(s) == code


@pytest.mark.parametrize("data", [
    QUERY[:27],                                   # shorter than 28 octets
    QUERY[:26] + b"\x00\x02" + S,                 # 2 sources announced, 1 present
    REPORT[:60],                                  # a record runs past the end
    REPORT[:7],
    bytes((131,)) + QUERY[1:],                    # not a query
])
def test_malformed_mld_raises_valueerror(data):
    cls = MldV2Report if data[0] == 143 else MldV2Query
    with pytest.raises(ValueError):
        cls.parse(data)


def test_rfc2711_router_alert_hop_by_hop_header():
    """RFC 2711 2.1: option type 5, length 2, value 0 (MLD); 8 octets with PadN."""
    assert mld_hbh_router_alert() == bytes.fromhex("3a00050200000100")
