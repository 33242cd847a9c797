"""<netinet/icmp6.h> (MLD part) and <netinet6/mld6.h>: MLDv1 and MLDv2 messages.

RFC 2710 3: the MLDv1 message (Query 130, Report 131, Done 132): type,
code, checksum, Maximum Response Delay (ms), reserved, Multicast Address —
24 octets.  RFC 3810 5.1: the MLDv2 Query (type 130, at least 28 octets):
the MLDv1 fields, then Resv/S/QRV, QQIC, Number of Sources and the sources;
5.1.3 the Maximum Response Code and 5.1.9 the Querier's Query Interval Code
with their floating-point forms.  RFC 3810 5.2: the Version 2 Multicast
Listener Report (type 143) and its Multicast Address Records (5.2.4), of the
record types of 5.2.12.

Two layers, as in the other format modules: precompiled ``struct.Struct``
headers for the kernel's input path, and frozen dataclasses with ``parse``,
``buffer_len`` and ``emit`` (the checksum over the RFC 8200 8.1 pseudo-header
when ``emit`` gets the addresses).  ``parse`` raises ``ValueError`` on
anything malformed; nothing else.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import IntEnum
from typing import Optional, Union

from kernel.wire.icmp6 import (MLD_LISTENER_DONE, MLD_LISTENER_QUERY, MLD_LISTENER_REPORT,
                               MLDV2_LISTENER_REPORT)
from kernel.wire.in_cksum import in6_cksum_data
from kernel.wire.in_mcast import mc_fp_decode, mc_fp_encode
from kernel.wire.ip6 import IPPROTO_ICMPV6

Buffer = Union[bytes, bytearray, memoryview]

# -- header layouts ---------------------------------------------------------------------------
mld_hdr = struct.Struct("!BBHHH16s")        # type, code, cksum, max delay/code, reserved, addr
MLD_MINLEN = 24                             # RFC 2710 3; also the MLDv2 Query prefix
MLD_V2_QUERY_MINLEN = 28                    # RFC 3810 5.1: "at least 28 octets"
mldv2_query_tail = struct.Struct("!BBH")    # Resv|S|QRV, QQIC, Number of Sources (offset 24)
mldv2_report_hdr = struct.Struct("!BBHHH")  # type, reserved, cksum, reserved, Nr of records
MLD_V2_REPORT_MINLEN = 8                    # RFC 3810 5.2
mldv2_record_hdr = struct.Struct("!BBH16s")  # Record Type, Aux Data Len, Number of Sources, addr
MLD_V2_RECORD_MINLEN = 20                   # RFC 3810 5.2.4

MLD_SFLAG = 0x08                            # RFC 3810 5.1.7: Suppress Router-Side Processing
MLD_QRV_MASK = 0x07                         # RFC 3810 5.1.8: Querier's Robustness Variable


def MLD_QRV(misc: int) -> int:
    return misc & MLD_QRV_MASK


class MLD_RECORD(IntEnum):
    """RFC 3810 5.2.12: Multicast Address Record types (FreeBSD's MLD_* names)."""

    MODE_IS_INCLUDE = 1          # current-state records
    MODE_IS_EXCLUDE = 2
    CHANGE_TO_INCLUDE_MODE = 3   # filter-mode-change records
    CHANGE_TO_EXCLUDE_MODE = 4
    ALLOW_NEW_SOURCES = 5        # source-list-change records
    BLOCK_OLD_SOURCES = 6


MLD_MODE_IS_INCLUDE = 1
MLD_MODE_IS_EXCLUDE = 2
MLD_CHANGE_TO_INCLUDE_MODE = 3
MLD_CHANGE_TO_EXCLUDE_MODE = 4
MLD_ALLOW_NEW_SOURCES = 5
MLD_BLOCK_OLD_SOURCES = 6


# -- RFC 3810 5.1.3 and 5.1.9: the floating-point codes ----------------------------------------
def mld_mrc_decode(mrc: int) -> int:
    """Maximum Response Code -> Maximum Response Delay in ms (RFC 3810 5.1.3):
    below 32768 the value itself, else ``(mant | 0x1000) << (exp + 3)``."""
    return mc_fp_decode(mrc, 16)


def mld_mrc_encode(ms: int) -> int:
    """The Maximum Response Code for a delay of ``ms`` (the largest that does not exceed it)."""
    return mc_fp_encode(ms, 16)


def mld_qqic_decode(qqic: int) -> int:
    """Querier's Query Interval Code -> seconds (RFC 3810 5.1.9)."""
    return mc_fp_decode(qqic, 8)


def mld_qqic_encode(s: int) -> int:
    return mc_fp_encode(s, 8)


def _cksum(b: bytearray, src: Optional[bytes], dst: Optional[bytes]) -> bytes:
    if src is not None and dst is not None:
        b[2:4] = b"\0\0"
        struct.pack_into("!H", b, 2, in6_cksum_data(src, dst, IPPROTO_ICMPV6, b))
    return bytes(b)


def _sources(data: Buffer, off: int, n: int) -> tuple[bytes, ...]:
    return tuple(bytes(data[off + 16 * i:off + 16 * i + 16]) for i in range(n))


# -- values -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MldV1Message:
    """RFC 2710 3: Query (a General Query has the unspecified address), Report, Done."""

    type: int
    addr: bytes = bytes(16)
    max_delay: int = 0          # ms; meaningful in Queries only
    code: int = 0

    def buffer_len(self) -> int:
        return MLD_MINLEN

    @classmethod
    def parse(cls, data: Buffer) -> "MldV1Message":
        if len(data) < MLD_MINLEN:
            raise ValueError(f"MLD: {len(data)} octets, at least {MLD_MINLEN} expected")
        t, code, _ck, delay, _r, addr = mld_hdr.unpack_from(data)
        if t not in (MLD_LISTENER_QUERY, MLD_LISTENER_REPORT, MLD_LISTENER_DONE):
            raise ValueError(f"MLD: type {t} is not an MLDv1 message")
        return cls(t, addr, delay, code)

    def emit(self, src: Optional[bytes] = None, dst: Optional[bytes] = None) -> bytes:
        b = bytearray(mld_hdr.pack(self.type, self.code, 0, self.max_delay, 0, self.addr))
        return _cksum(b, src, dst)


@dataclass(frozen=True)
class MldV2Query:
    """RFC 3810 5.1: a General (unspecified address), Multicast Address Specific
    or Multicast Address and Source Specific Query."""

    addr: bytes = bytes(16)
    max_resp_code: int = 10000  # RFC 3810 9.3: Query Response Interval 10 s
    sources: tuple[bytes, ...] = ()
    s_flag: bool = False
    qrv: int = 2
    qqic: int = 125
    code: int = 0

    @property
    def max_resp_delay(self) -> int:
        """Milliseconds (RFC 3810 5.1.3)."""
        return mld_mrc_decode(self.max_resp_code)

    @property
    def qqi(self) -> int:
        """Seconds (RFC 3810 5.1.9)."""
        return mld_qqic_decode(self.qqic)

    def buffer_len(self) -> int:
        return MLD_V2_QUERY_MINLEN + 16 * len(self.sources)

    @classmethod
    def parse(cls, data: Buffer) -> "MldV2Query":
        if len(data) < MLD_V2_QUERY_MINLEN:
            raise ValueError(f"MLDv2 Query: {len(data)} octets, at least 28 expected")
        t, code, _ck, mrc, _r, addr = mld_hdr.unpack_from(data)
        if t != MLD_LISTENER_QUERY:
            raise ValueError(f"MLDv2 Query: type {t}")
        misc, qqic, n = mldv2_query_tail.unpack_from(data, MLD_MINLEN)
        if len(data) < MLD_V2_QUERY_MINLEN + 16 * n:
            raise ValueError(f"MLDv2 Query: {n} sources do not fit in {len(data)} octets")
        return cls(addr, mrc, _sources(data, MLD_V2_QUERY_MINLEN, n), bool(misc & MLD_SFLAG),
                   MLD_QRV(misc), qqic, code)

    def emit(self, src: Optional[bytes] = None, dst: Optional[bytes] = None) -> bytes:
        b = bytearray(mld_hdr.pack(MLD_LISTENER_QUERY, self.code, 0, self.max_resp_code, 0,
                                   self.addr))
        b += mldv2_query_tail.pack((MLD_SFLAG if self.s_flag else 0) | (self.qrv & MLD_QRV_MASK),
                                   self.qqic, len(self.sources))
        for s in self.sources:
            b += s
        return _cksum(b, src, dst)


@dataclass(frozen=True)
class MldRecord:
    """RFC 3810 5.2.4: one Multicast Address Record."""

    type: int
    addr: bytes
    sources: tuple[bytes, ...] = ()
    aux: bytes = b""            # Auxiliary Data, a multiple of 4 octets (5.2.10)

    def buffer_len(self) -> int:
        return MLD_V2_RECORD_MINLEN + 16 * len(self.sources) + len(self.aux)

    @classmethod
    def parse_from(cls, data: Buffer, off: int) -> tuple["MldRecord", int]:
        """The record at ``off`` and the offset after it."""
        if len(data) - off < MLD_V2_RECORD_MINLEN:
            raise ValueError("MLDv2 Report: record header truncated")
        t, auxlen, n, addr = mldv2_record_hdr.unpack_from(data, off)
        end = off + MLD_V2_RECORD_MINLEN + 16 * n + 4 * auxlen
        if end > len(data):
            raise ValueError("MLDv2 Report: record runs past the message")
        srcs = _sources(data, off + MLD_V2_RECORD_MINLEN, n)
        aux = bytes(data[end - 4 * auxlen:end])
        return cls(t, addr, srcs, aux), end

    def emit(self) -> bytes:
        return (mldv2_record_hdr.pack(self.type, len(self.aux) // 4, len(self.sources), self.addr)
                + b"".join(self.sources) + self.aux)


@dataclass(frozen=True)
class MldV2Report:
    """RFC 3810 5.2: Version 2 Multicast Listener Report."""

    records: tuple[MldRecord, ...] = ()

    def buffer_len(self) -> int:
        return MLD_V2_REPORT_MINLEN + sum(r.buffer_len() for r in self.records)

    @classmethod
    def parse(cls, data: Buffer) -> "MldV2Report":
        if len(data) < MLD_V2_REPORT_MINLEN:
            raise ValueError("MLDv2 Report: shorter than 8 octets")
        t, _r, _ck, _r2, nrec = mldv2_report_hdr.unpack_from(data)
        if t != MLDV2_LISTENER_REPORT:
            raise ValueError(f"MLDv2 Report: type {t}")
        off = MLD_V2_REPORT_MINLEN
        recs = []
        for _ in range(nrec):
            r, off = MldRecord.parse_from(data, off)
            recs.append(r)
        return cls(tuple(recs))

    def emit(self, src: Optional[bytes] = None, dst: Optional[bytes] = None) -> bytes:
        b = bytearray(mldv2_report_hdr.pack(MLDV2_LISTENER_REPORT, 0, 0, 0, len(self.records)))
        for r in self.records:
            b += r.emit()
        return _cksum(b, src, dst)


# -- what net.inet6.mld.ifinfo exports (<netinet6/mld6_var.h>) ---------------------------------
MLD_VERSION_1 = 1
MLD_VERSION_2 = 2
MLIF_SILENT = 0x01              # no MLD on this link (loopback)
MLIF_USEALLOW = 0x02            # ALLOW/BLOCK records rather than TO_IN/TO_EX on joins and leaves


@dataclass(frozen=True)
class mld_ifinfo:
    """``struct mld_ifinfo``: the MLD state of one interface, as ifmcstat prints it."""

    mli_ifindex: int
    mli_version: int            # MLD_VERSION_1 in compatibility mode (RFC 3810 8.2)
    mli_v1_timer: int           # seconds left of the Older Version Querier Present timer
    mli_v2_timer: int           # ms until the pending General Query response
    mli_flags: int              # MLIF_*
    mli_rv: int                 # Robustness Variable (RFC 3810 9.1)
    mli_qi: int                 # Query Interval, s (9.2)
    mli_qri: int                # Query Response Interval, s (9.3)
    mli_uri: int                # Unsolicited Report Interval, s (9.11)


# -- RFC 2711 / RFC 3810 5: the Router Alert hop-by-hop header MLD messages carry ---------------
def mld_hbh_router_alert(nxt: int = IPPROTO_ICMPV6) -> bytes:
    """A Hop-by-Hop Options header with Router Alert value 0 ("datagram contains
    a Multicast Listener Discovery message", RFC 2711 2.1) and a PadN to 8 octets."""
    return bytes((nxt, 0, 0x05, 0x02, 0x00, 0x00, 0x01, 0x00))


__all__ = ["mld_hdr", "MLD_MINLEN", "MLD_V2_QUERY_MINLEN", "mldv2_query_tail",
           "mldv2_report_hdr", "MLD_V2_REPORT_MINLEN", "mldv2_record_hdr",
           "MLD_V2_RECORD_MINLEN", "MLD_SFLAG", "MLD_QRV", "MLD_RECORD", "MLD_MODE_IS_INCLUDE",
           "MLD_MODE_IS_EXCLUDE", "MLD_CHANGE_TO_INCLUDE_MODE", "MLD_CHANGE_TO_EXCLUDE_MODE",
           "MLD_ALLOW_NEW_SOURCES", "MLD_BLOCK_OLD_SOURCES", "mld_mrc_decode", "mld_mrc_encode",
           "mld_qqic_decode", "mld_qqic_encode", "MldV1Message", "MldV2Query", "MldRecord",
           "MldV2Report", "mld_hbh_router_alert", "MLD_VERSION_1", "MLD_VERSION_2",
           "MLIF_SILENT", "MLIF_USEALLOW", "mld_ifinfo"]
