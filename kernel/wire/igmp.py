"""<netinet/igmp.h>: IGMP messages, versions 1, 2 and 3.

RFC 1112 appendix I and RFC 2236 2: the 8-octet message (type, Max Response
Time in 1/10 s — 0 in a Version 1 Query —, checksum, Group Address); RFC
2236 adds the Version 2 Report (0x16) and Leave Group (0x17).  RFC 3376 4.1:
the Version 3 Membership Query (at least 12 octets: Resv/S/QRV, QQIC, Number
of Sources, the sources), 4.1.1 the Max Resp Code and 4.1.7 the QQIC with
their floating-point forms; 4.2: the Version 3 Membership Report (type 0x22)
and its Group Records (4.2.4) of the types of 4.2.12.  RFC 3376 7.1: a Query
is Version 1 if 8 octets long with Max Resp Code 0, Version 2 if 8 octets
with a non-zero code, Version 3 if at least 12 octets (``igmp_query_version``).

The checksum is the Internet checksum of the whole IGMP message (RFC 3376
4.1.2).  ``parse`` raises ``ValueError`` on anything malformed.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import IntEnum
from typing import Union

from kernel.wire.in_cksum import in_cksum
from kernel.wire.in_mcast import mc_fp_decode, mc_fp_encode

Buffer = Union[bytes, bytearray, memoryview]

IGMP_HOST_MEMBERSHIP_QUERY = 0x11      # RFC 1112, 2236, 3376: Membership Query
IGMP_v1_HOST_MEMBERSHIP_REPORT = 0x12  # RFC 1112
IGMP_DVMRP = 0x13
IGMP_v2_HOST_MEMBERSHIP_REPORT = 0x16  # RFC 2236
IGMP_HOST_LEAVE_MESSAGE = 0x17         # RFC 2236
IGMP_v3_HOST_MEMBERSHIP_REPORT = 0x22  # RFC 3376 4.2

igmp_hdr = struct.Struct("!BBH4s")      # type, max resp code, cksum, group
IGMP_MINLEN = 8
IGMP_V3_QUERY_MINLEN = 12
igmpv3_query_tail = struct.Struct("!BBH")  # Resv|S|QRV, QQIC, Number of Sources (offset 8)
igmpv3_report_hdr = struct.Struct("!BBHHH")  # type, reserved, cksum, reserved, Nr of records
IGMP_V3_REPORT_MINLEN = 8
igmpv3_grec_hdr = struct.Struct("!BBH4s")  # Record Type, Aux Data Len, Number of Sources, group
IGMP_V3_GRECORD_MINLEN = 8

IGMP_V3_SFLAG = 0x08                   # RFC 3376 4.1.5
IGMP_V3_QRV_MASK = 0x07                # RFC 3376 4.1.6

IGMP_VERSION_1 = 1
IGMP_VERSION_2 = 2
IGMP_VERSION_3 = 3
IGIF_SILENT = 0x01                     # no IGMP on this interface (loopback)
IGIF_LOOPBACK = 0x02


class IGMP_RECORD(IntEnum):
    """RFC 3376 4.2.12: Group Record types."""

    MODE_IS_INCLUDE = 1
    MODE_IS_EXCLUDE = 2
    CHANGE_TO_INCLUDE_MODE = 3
    CHANGE_TO_EXCLUDE_MODE = 4
    ALLOW_NEW_SOURCES = 5
    BLOCK_OLD_SOURCES = 6


IGMP_MODE_IS_INCLUDE = 1
IGMP_MODE_IS_EXCLUDE = 2
IGMP_CHANGE_TO_INCLUDE_MODE = 3
IGMP_CHANGE_TO_EXCLUDE_MODE = 4
IGMP_ALLOW_NEW_SOURCES = 5
IGMP_BLOCK_OLD_SOURCES = 6


# -- RFC 3376 4.1.1 and 4.1.7: the floating-point codes -----------------------------------------
def igmp_code_decode(code: int) -> int:
    """Max Resp Code (1/10 s) or QQIC (s) -> value: below 128 the code itself,
    else ``(mant | 0x10) << (exp + 3)``."""
    return mc_fp_decode(code, 8)


def igmp_code_encode(v: int) -> int:
    """The code of a value (the largest representable that does not exceed it)."""
    return mc_fp_encode(v, 8)


def igmp_query_version(igmplen: int, code: int) -> int:
    """RFC 3376 7.1: the version of a Query of ``igmplen`` octets (0: ignore it)."""
    if igmplen == IGMP_MINLEN:
        return IGMP_VERSION_1 if code == 0 else IGMP_VERSION_2
    if igmplen >= IGMP_V3_QUERY_MINLEN:
        return IGMP_VERSION_3
    return 0                            # "MUST be silently ignored" (e.g. 10 octets)


def _cksum(b: bytearray) -> bytes:
    b[2:4] = b"\0\0"
    struct.pack_into("!H", b, 2, in_cksum(b))
    return bytes(b)


def _sources(data: Buffer, off: int, n: int) -> tuple[bytes, ...]:
    return tuple(bytes(data[off + 4 * i:off + 4 * i + 4]) for i in range(n))


@dataclass(frozen=True)
class IgmpMessage:
    """The 8-octet message: Version 1/2 Query, Version 1/2 Report, Leave Group."""

    type: int
    group: bytes = bytes(4)
    code: int = 0               # Max Resp Time in 1/10 s (Version 2 Query)

    def buffer_len(self) -> int:
        return IGMP_MINLEN

    @classmethod
    def parse(cls, data: Buffer) -> "IgmpMessage":
        if len(data) < IGMP_MINLEN:
            raise ValueError(f"IGMP: {len(data)} octets, at least 8 expected")
        t, code, _ck, group = igmp_hdr.unpack_from(data)
        return cls(t, group, code)

    def emit(self) -> bytes:
        return _cksum(bytearray(igmp_hdr.pack(self.type, self.code, 0, self.group)))


@dataclass(frozen=True)
class IgmpV3Query:
    """RFC 3376 4.1: General, Group-Specific or Group-and-Source-Specific Query."""

    group: bytes = bytes(4)
    max_resp_code: int = 100    # RFC 3376 8.3: Query Response Interval 10 s
    sources: tuple[bytes, ...] = ()
    s_flag: bool = False
    qrv: int = 2
    qqic: int = 125

    @property
    def max_resp_time(self) -> int:
        """Tenths of a second (RFC 3376 4.1.1)."""
        return igmp_code_decode(self.max_resp_code)

    @property
    def qqi(self) -> int:
        return igmp_code_decode(self.qqic)

    def buffer_len(self) -> int:
        return IGMP_V3_QUERY_MINLEN + 4 * len(self.sources)

    @classmethod
    def parse(cls, data: Buffer) -> "IgmpV3Query":
        if len(data) < IGMP_V3_QUERY_MINLEN:
            raise ValueError("IGMPv3 Query: shorter than 12 octets")
        t, code, _ck, group = igmp_hdr.unpack_from(data)
        if t != IGMP_HOST_MEMBERSHIP_QUERY:
            raise ValueError(f"IGMPv3 Query: type {t:#x}")
        misc, qqic, n = igmpv3_query_tail.unpack_from(data, IGMP_MINLEN)
        if len(data) < IGMP_V3_QUERY_MINLEN + 4 * n:
            raise ValueError(f"IGMPv3 Query: {n} sources do not fit in {len(data)} octets")
        return cls(group, code, _sources(data, IGMP_V3_QUERY_MINLEN, n),
                   bool(misc & IGMP_V3_SFLAG), misc & IGMP_V3_QRV_MASK, qqic)

    def emit(self) -> bytes:
        b = bytearray(igmp_hdr.pack(IGMP_HOST_MEMBERSHIP_QUERY, self.max_resp_code, 0,
                                    self.group))
        b += igmpv3_query_tail.pack((IGMP_V3_SFLAG if self.s_flag else 0)
                                    | (self.qrv & IGMP_V3_QRV_MASK), self.qqic, len(self.sources))
        for s in self.sources:
            b += s
        return _cksum(b)


@dataclass(frozen=True)
class IgmpGroupRecord:
    """RFC 3376 4.2.4: one Group Record."""

    type: int
    group: bytes
    sources: tuple[bytes, ...] = ()
    aux: bytes = b""

    def buffer_len(self) -> int:
        return IGMP_V3_GRECORD_MINLEN + 4 * len(self.sources) + len(self.aux)

    @classmethod
    def parse_from(cls, data: Buffer, off: int) -> tuple["IgmpGroupRecord", int]:
        if len(data) - off < IGMP_V3_GRECORD_MINLEN:
            raise ValueError("IGMPv3 Report: group record header truncated")
        t, auxlen, n, group = igmpv3_grec_hdr.unpack_from(data, off)
        end = off + IGMP_V3_GRECORD_MINLEN + 4 * n + 4 * auxlen
        if end > len(data):
            raise ValueError("IGMPv3 Report: group record runs past the message")
        return cls(t, group, _sources(data, off + IGMP_V3_GRECORD_MINLEN, n),
                   bytes(data[end - 4 * auxlen:end])), end

    def emit(self) -> bytes:
        return (igmpv3_grec_hdr.pack(self.type, len(self.aux) // 4, len(self.sources), self.group)
                + b"".join(self.sources) + self.aux)


@dataclass(frozen=True)
class IgmpV3Report:
    """RFC 3376 4.2: Version 3 Membership Report."""

    records: tuple[IgmpGroupRecord, ...] = ()

    def buffer_len(self) -> int:
        return IGMP_V3_REPORT_MINLEN + sum(r.buffer_len() for r in self.records)

    @classmethod
    def parse(cls, data: Buffer) -> "IgmpV3Report":
        if len(data) < IGMP_V3_REPORT_MINLEN:
            raise ValueError("IGMPv3 Report: shorter than 8 octets")
        t, _r, _ck, _r2, n = igmpv3_report_hdr.unpack_from(data)
        if t != IGMP_v3_HOST_MEMBERSHIP_REPORT:
            raise ValueError(f"IGMPv3 Report: type {t:#x}")
        off = IGMP_V3_REPORT_MINLEN
        recs = []
        for _ in range(n):
            r, off = IgmpGroupRecord.parse_from(data, off)
            recs.append(r)
        return cls(tuple(recs))

    def emit(self) -> bytes:
        b = bytearray(igmpv3_report_hdr.pack(IGMP_v3_HOST_MEMBERSHIP_REPORT, 0, 0, 0,
                                             len(self.records)))
        for r in self.records:
            b += r.emit()
        return _cksum(b)


# RFC 2113 / RFC 3376 4: the IP Router Alert option IGMPv2 and v3 messages carry.
IP_ROUTER_ALERT_OPTION = bytes((0x94, 0x04, 0x00, 0x00))


@dataclass(frozen=True)
class igmp_ifinfo:
    """``struct igmp_ifinfo`` (<netinet/igmp_var.h>), as net.inet.igmp.ifinfo exports it."""

    igi_ifindex: int
    igi_version: int            # the compatibility mode (RFC 3376 7.2.1)
    igi_v1_timer: int           # seconds left of the IGMPv1 Querier Present timer
    igi_v2_timer: int           # seconds left of the IGMPv2 Querier Present timer
    igi_v3_timer: int           # ms until the pending General Query response
    igi_flags: int              # IGIF_*
    igi_rv: int                 # Robustness Variable (RFC 3376 8.1)
    igi_qi: int                 # Query Interval, s (8.2)
    igi_qri: int                # Query Response Interval, s (8.3)
    igi_uri: int                # Unsolicited Report Interval, s (8.11)


__all__ = [n for n in dir() if n.startswith(("IGMP", "igmp", "Igmp", "IGIF", "IP_ROUTER"))]
