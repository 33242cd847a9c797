"""<netinet/ip_icmp.h>: the ICMP header, message types and codes.

RFC 792 (the messages: Destination Unreachable, Time Exceeded, Parameter
Problem, Source Quench, Redirect, Echo, Timestamp, Information), RFC 950
(Address Mask), RFC 1256 (router discovery), RFC 1191 (the Next-Hop MTU in a
"fragmentation needed" message), RFC 1812 5.2.7.1 (codes 13-15).  The
checksum covers the whole ICMP message, without a pseudo-header (RFC 792).

An error message carries the invoking datagram's IP header and at least its
first 64 bits of data (RFC 792); ``ICMP_ADVLENMIN`` is that minimum.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import IntEnum
from typing import Union

from kernel.wire.in_cksum import in_cksum
from kernel.wire.ip import IP_HDR_LEN
from kernel.wire.ip6 import Malformed, Truncated

Buffer = Union[bytes, bytearray, memoryview]


class ICMPType(IntEnum):
    """ICMP message types with the names of the RFCs that define them."""

    ECHO_REPLY = 0                   # RFC 792
    DESTINATION_UNREACHABLE = 3      # RFC 792
    SOURCE_QUENCH = 4                # RFC 792, deprecated by RFC 6633
    REDIRECT = 5                     # RFC 792
    ALTERNATE_HOST_ADDRESS = 6
    ECHO = 8                         # RFC 792
    ROUTER_ADVERTISEMENT = 9         # RFC 1256
    ROUTER_SOLICITATION = 10         # RFC 1256
    TIME_EXCEEDED = 11               # RFC 792
    PARAMETER_PROBLEM = 12           # RFC 792
    TIMESTAMP = 13                   # RFC 792
    TIMESTAMP_REPLY = 14             # RFC 792
    INFORMATION_REQUEST = 15         # RFC 792
    INFORMATION_REPLY = 16           # RFC 792
    ADDRESS_MASK_REQUEST = 17        # RFC 950
    ADDRESS_MASK_REPLY = 18          # RFC 950


class ICMPUnreachCode(IntEnum):
    """RFC 792 (0-5), RFC 1122 3.2.2.1 (6-12), RFC 1812 5.2.7.1 (13-15)."""

    NET_UNREACHABLE = 0
    HOST_UNREACHABLE = 1
    PROTOCOL_UNREACHABLE = 2
    PORT_UNREACHABLE = 3
    FRAGMENTATION_NEEDED_AND_DF_SET = 4
    SOURCE_ROUTE_FAILED = 5
    DESTINATION_NETWORK_UNKNOWN = 6
    DESTINATION_HOST_UNKNOWN = 7
    SOURCE_HOST_ISOLATED = 8
    NETWORK_ADMINISTRATIVELY_PROHIBITED = 9
    HOST_ADMINISTRATIVELY_PROHIBITED = 10
    NETWORK_UNREACHABLE_FOR_TOS = 11
    HOST_UNREACHABLE_FOR_TOS = 12
    COMMUNICATION_ADMINISTRATIVELY_PROHIBITED = 13
    HOST_PRECEDENCE_VIOLATION = 14
    PRECEDENCE_CUTOFF_IN_EFFECT = 15


# The BSD names (<netinet/ip_icmp.h>), as plain ints for the hot path.
ICMP_ECHOREPLY = 0
ICMP_UNREACH = 3
ICMP_UNREACH_NET = 0
ICMP_UNREACH_HOST = 1
ICMP_UNREACH_PROTOCOL = 2
ICMP_UNREACH_PORT = 3
ICMP_UNREACH_NEEDFRAG = 4
ICMP_UNREACH_SRCFAIL = 5
ICMP_UNREACH_NET_UNKNOWN = 6
ICMP_UNREACH_HOST_UNKNOWN = 7
ICMP_UNREACH_ISOLATED = 8
ICMP_UNREACH_NET_PROHIB = 9
ICMP_UNREACH_HOST_PROHIB = 10
ICMP_UNREACH_TOSNET = 11
ICMP_UNREACH_TOSHOST = 12
ICMP_UNREACH_FILTER_PROHIB = 13
ICMP_UNREACH_HOST_PRECEDENCE = 14
ICMP_UNREACH_PRECEDENCE_CUTOFF = 15
ICMP_SOURCEQUENCH = 4
ICMP_REDIRECT = 5
ICMP_REDIRECT_NET = 0
ICMP_REDIRECT_HOST = 1
ICMP_REDIRECT_TOSNET = 2
ICMP_REDIRECT_TOSHOST = 3
ICMP_ALTHOSTADDR = 6
ICMP_ECHO = 8
ICMP_ROUTERADVERT = 9
ICMP_ROUTERSOLICIT = 10
ICMP_TIMXCEED = 11
ICMP_TIMXCEED_INTRANS = 0
ICMP_TIMXCEED_REASS = 1
ICMP_PARAMPROB = 12
ICMP_PARAMPROB_ERRATPTR = 0
ICMP_PARAMPROB_OPTABSENT = 1
ICMP_PARAMPROB_LENGTH = 2
ICMP_TSTAMP = 13
ICMP_TSTAMPREPLY = 14
ICMP_IREQ = 15
ICMP_IREQREPLY = 16
ICMP_MASKREQ = 17
ICMP_MASKREPLY = 18
ICMP_MAXTYPE = 40                    # FreeBSD: the last type icmpstat histograms count

ICMP_MINLEN = 8                      # abs minimum: type, code, checksum, 4 bytes
ICMP_TSLEN = 8 + 3 * 4               # timestamp
ICMP_MASKLEN = 12                    # address mask
ICMP_ADVLENMIN = 8 + IP_HDR_LEN + 8  # min: ICMP header + IP header + 64 bits of data


def ICMP_ADVLEN(quoted_hlen: int) -> int:
    """The length an error message needs to quote a header of ``quoted_hlen`` bytes."""
    return 8 + quoted_hlen + 8


def ICMP_INFOTYPE(t: int) -> bool:
    """The query (non-error) types: an ICMP error may be sent about these (RFC 1122 3.2.2)."""
    return t in (ICMP_ECHOREPLY, ICMP_ECHO, ICMP_ROUTERADVERT, ICMP_ROUTERSOLICIT,
                 ICMP_TSTAMP, ICMP_TSTAMPREPLY, ICMP_IREQ, ICMP_IREQREPLY,
                 ICMP_MASKREQ, ICMP_MASKREPLY)


# struct icmp: type, code, cksum, then the 4-byte "rest of header" (id/seq, pptr,
# gwaddr, or unused and next-hop MTU)
icmp_hdr = struct.Struct("!BBHI")
icmp_echo = struct.Struct("!BBHHH")           # ... icmp_id, icmp_seq


def icmp_cksum_into(buf: bytearray | memoryview, off: int, length: int) -> None:
    """Compute the checksum of the ``length``-byte ICMP message at ``off`` (RFC 792:
    "the 16-bit one's complement of the one's complement sum of the ICMP message
    starting with the ICMP Type") and store it in place."""
    buf[off + 2] = buf[off + 3] = 0
    mv = memoryview(buf)
    try:
        ck = in_cksum(mv[off:off + length])
    finally:
        mv.release()
    buf[off + 2] = ck >> 8
    buf[off + 3] = ck & 0xFF


@dataclass(frozen=True)
class icmp_repr:
    """A checked ICMP message: type, code, the 32-bit word after the checksum
    (``rest``) and the data (for an error, the quoted datagram)."""

    type: int
    code: int = 0
    rest: int = 0
    data: bytes = b""

    @classmethod
    def parse(cls, buf: Buffer, verify: bool = True) -> "icmp_repr":
        if len(buf) < ICMP_MINLEN:
            raise Truncated(f"ICMP header needs {ICMP_MINLEN} bytes, got {len(buf)}")
        if verify and in_cksum(buf) != 0:
            raise Malformed("ICMP checksum mismatch")
        t, c, _ck, rest = icmp_hdr.unpack_from(buf, 0)
        return cls(t, c, rest, bytes(buf[ICMP_MINLEN:]))

    @classmethod
    def echo(cls, type: int, ident: int, seq: int, data: bytes = b"") -> "icmp_repr":
        """An Echo or Echo Reply (RFC 792): identifier and sequence number in ``rest``."""
        return cls(type, 0, ((ident & 0xFFFF) << 16) | (seq & 0xFFFF), data)

    @property
    def ident(self) -> int:
        return self.rest >> 16

    @property
    def seq(self) -> int:
        return self.rest & 0xFFFF

    def buffer_len(self) -> int:
        return ICMP_MINLEN + len(self.data)

    def emit(self, buf: bytearray | memoryview, off: int = 0) -> None:
        n = self.buffer_len()
        icmp_hdr.pack_into(buf, off, self.type, self.code, 0, self.rest & 0xFFFFFFFF)
        buf[off + ICMP_MINLEN:off + n] = self.data
        icmp_cksum_into(buf, off, n)

    def to_bytes(self) -> bytes:
        b = bytearray(self.buffer_len())
        self.emit(b, 0)
        return bytes(b)
