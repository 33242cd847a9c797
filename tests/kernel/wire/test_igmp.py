"""kernel/wire/igmp.py: IGMP messages (RFC 2236 2, RFC 3376 4).

The four tests over byte vectors for the Version 3 Query, the Version 3
Report and the Version 2 Report; the floating-point codes; RFC 3376 7.1's
query versions; malformed messages raise ValueError.  The checksums of the
vectors were computed apart from kernel/wire/in_cksum.py.
"""
from __future__ import annotations

import pytest

from kernel.wire.igmp import (IGMP_ALLOW_NEW_SOURCES, IGMP_CHANGE_TO_EXCLUDE_MODE,
                              IGMP_v2_HOST_MEMBERSHIP_REPORT, IgmpGroupRecord, IgmpMessage,
                              IgmpV3Query, IgmpV3Report, igmp_code_decode, igmp_code_encode,
                              igmp_hdr, igmp_query_version, igmpv3_grec_hdr, igmpv3_query_tail,
                              igmpv3_report_hdr)

G, G2, S = bytes((239, 1, 2, 3)), bytes((232, 1, 1, 1)), bytes((10, 0, 0, 7))
# General Query: Max Resp Code 100 (10 s), QRV 2, QQIC 125 (RFC 3376 4.1)
QUERY = bytes.fromhex("1164ec1e00000000027d0000")
# Report: CHANGE_TO_EXCLUDE_MODE 239.1.2.3, ALLOW_NEW_SOURCES 232.1.1.1 {10.0.0.7} (4.2)
REPORT = bytes.fromhex("2200f0ed00000002" "04000000ef010203" "05000001e8010101" "0a000007")
V2REPORT = bytes.fromhex("1600f8faef010203")


def test_rfc3376_4_1_query_deconstruct():
    assert igmp_hdr.unpack_from(QUERY) == (0x11, 100, 0xEC1E, bytes(4))
    assert igmpv3_query_tail.unpack_from(QUERY, 8) == (2, 125, 0)


def test_rfc3376_4_1_query_construct():
    b = bytearray(12)
    igmp_hdr.pack_into(b, 0, 0x11, 100, 0xEC1E, bytes(4))
    igmpv3_query_tail.pack_into(b, 8, 2, 125, 0)
    assert bytes(b) == QUERY


def test_rfc3376_4_1_query_parse():
    q = IgmpV3Query.parse(QUERY)
    assert (q.group, q.max_resp_time, q.qrv, q.qqi, q.sources) == (bytes(4), 100, 2, 125, ())


def test_rfc3376_4_1_query_emit():
    assert IgmpV3Query(bytes(4), 100).emit() == QUERY
    q = IgmpV3Query(G, 10, (S,), True, 3)
    assert IgmpV3Query.parse(q.emit()) == q


def test_rfc3376_4_2_report_deconstruct():
    assert igmpv3_report_hdr.unpack_from(REPORT) == (0x22, 0, 0xF0ED, 0, 2)
    assert igmpv3_grec_hdr.unpack_from(REPORT, 8) == (IGMP_CHANGE_TO_EXCLUDE_MODE, 0, 0, G)
    assert igmpv3_grec_hdr.unpack_from(REPORT, 16) == (IGMP_ALLOW_NEW_SOURCES, 0, 1, G2)


def test_rfc3376_4_2_report_construct():
    b = bytearray(len(REPORT))
    igmpv3_report_hdr.pack_into(b, 0, 0x22, 0, 0xF0ED, 0, 2)
    igmpv3_grec_hdr.pack_into(b, 8, IGMP_CHANGE_TO_EXCLUDE_MODE, 0, 0, G)
    igmpv3_grec_hdr.pack_into(b, 16, IGMP_ALLOW_NEW_SOURCES, 0, 1, G2)
    b[24:28] = S
    assert bytes(b) == REPORT


def test_rfc3376_4_2_report_parse():
    assert IgmpV3Report.parse(REPORT).records == (
        IgmpGroupRecord(IGMP_CHANGE_TO_EXCLUDE_MODE, G), IgmpGroupRecord(IGMP_ALLOW_NEW_SOURCES, G2, (S,)))


def test_rfc3376_4_2_report_emit():
    r = IgmpV3Report((IgmpGroupRecord(IGMP_CHANGE_TO_EXCLUDE_MODE, G),
                      IgmpGroupRecord(IGMP_ALLOW_NEW_SOURCES, G2, (S,))))
    assert r.emit() == REPORT and r.buffer_len() == len(REPORT)


def test_rfc2236_2_v2_report_parse_and_emit():
    assert IgmpMessage.parse(V2REPORT) == IgmpMessage(IGMP_v2_HOST_MEMBERSHIP_REPORT, G)
    assert IgmpMessage(IGMP_v2_HOST_MEMBERSHIP_REPORT, G).emit() == V2REPORT


@pytest.mark.parametrize("code,v", [(100, 100), (0x80, 128), (0xFF, 31744)])
def test_rfc3376_4_1_1_max_resp_code(code, v):
    """RFC 3376 4.1.1: "If Max Resp Code >= 128, Max Resp Code represents a
    floating-point value": (mant | 0x10) << (exp + 3)."""
    assert igmp_code_decode(code) == v and igmp_code_encode(v) == code


@pytest.mark.parametrize("length,code,version", [(8, 0, 1), (8, 100, 2), (12, 100, 3), (40, 0, 3),
                                                 (10, 100, 0), (9, 0, 0)])
def test_rfc3376_7_1_query_version_distinctions(length, code, version):
    """RFC 3376 7.1: v1 = 8 octets and code 0; v2 = 8 octets, non-zero code; v3
    >= 12 octets; others "MUST be silently ignored"."""
    assert igmp_query_version(length, code) == version


@pytest.mark.parametrize("cls,data", [(IgmpV3Query, QUERY[:11]), (IgmpV3Query, QUERY[:10] + b"\0\2" + S),
                                      (IgmpV3Report, REPORT[:26]), (IgmpMessage, V2REPORT[:7])])
def test_malformed_igmp_raises_valueerror(cls, data):
    with pytest.raises(ValueError):
        cls.parse(data)
