"""<netinet/icmp6.h>: the ICMPv6 header, message types and codes, ICMP6_FILTER.

RFC 4443 (2.1 message format, 3 error messages, 4 informational messages,
2.3 checksum over the RFC 8200 8.1 pseudo-header); type numbers of the
messages other RFCs define on top of ICMPv6, so every part of the kernel
imports them from here: MLD (RFC 2710, RFC 3810), ND (RFC 4861), router
renumbering (RFC 2894), node information (RFC 4620), Mobile IPv6 (RFC 6275
6.5-6.8); RFC 7112 adds Parameter Problem code 3.  RFC 3542 3.2: the
ICMP6_FILTER socket option of raw ICMPv6 sockets (``struct icmp6_filter``,
256 bits, a set bit passes the type, as in BSD).
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import IntEnum
from typing import Union

from kernel.wire.in_cksum import in6_cksum_data
from kernel.wire.ip6 import IP6_HDR_LEN, IPPROTO_ICMPV6, IPV6_MMTU, Malformed, Truncated

Buffer = Union[bytes, bytearray, memoryview]


class ICMP6Type(IntEnum):
    """ICMPv6 message types, with the names of the RFCs that define them."""

    DESTINATION_UNREACHABLE = 1      # RFC 4443 3.1
    PACKET_TOO_BIG = 2               # RFC 4443 3.2
    TIME_EXCEEDED = 3                # RFC 4443 3.3
    PARAMETER_PROBLEM = 4            # RFC 4443 3.4
    PRIVATE_EXPERIMENTATION_100 = 100
    PRIVATE_EXPERIMENTATION_101 = 101
    RESERVED_ERROR_EXPANSION = 127
    ECHO_REQUEST = 128               # RFC 4443 4.1
    ECHO_REPLY = 129                 # RFC 4443 4.2
    MULTICAST_LISTENER_QUERY = 130   # RFC 2710 3.6 / RFC 3810 5.1
    MULTICAST_LISTENER_REPORT = 131  # RFC 2710 (MLDv1)
    MULTICAST_LISTENER_DONE = 132    # RFC 2710
    ROUTER_SOLICITATION = 133        # RFC 4861 4.1
    ROUTER_ADVERTISEMENT = 134       # RFC 4861 4.2
    NEIGHBOR_SOLICITATION = 135      # RFC 4861 4.3
    NEIGHBOR_ADVERTISEMENT = 136     # RFC 4861 4.4
    REDIRECT = 137                   # RFC 4861 4.5
    ROUTER_RENUMBERING = 138         # RFC 2894
    NODE_INFORMATION_QUERY = 139     # RFC 4620
    NODE_INFORMATION_REPLY = 140     # RFC 4620
    INVERSE_ND_SOLICITATION = 141    # RFC 3122
    INVERSE_ND_ADVERTISEMENT = 142   # RFC 3122
    VERSION_2_MULTICAST_LISTENER_REPORT = 143   # RFC 3810 5.2
    HOME_AGENT_ADDRESS_DISCOVERY_REQUEST = 144  # RFC 6275 6.5
    HOME_AGENT_ADDRESS_DISCOVERY_REPLY = 145    # RFC 6275 6.6
    MOBILE_PREFIX_SOLICITATION = 146            # RFC 6275 6.7
    MOBILE_PREFIX_ADVERTISEMENT = 147           # RFC 6275 6.8
    PRIVATE_EXPERIMENTATION_200 = 200
    PRIVATE_EXPERIMENTATION_201 = 201
    RESERVED_INFO_EXPANSION = 255


class ICMP6DstUnreachCode(IntEnum):
    """RFC 4443 3.1 (codes 5 and 6 from RFC 4443, 7 from RFC 6554)."""

    NO_ROUTE_TO_DESTINATION = 0
    ADMINISTRATIVELY_PROHIBITED = 1
    BEYOND_SCOPE_OF_SOURCE_ADDRESS = 2
    ADDRESS_UNREACHABLE = 3
    PORT_UNREACHABLE = 4
    SOURCE_ADDRESS_FAILED_POLICY = 5
    REJECT_ROUTE_TO_DESTINATION = 6
    ERROR_IN_SOURCE_ROUTING_HEADER = 7


class ICMP6TimeExceededCode(IntEnum):
    """RFC 4443 3.3."""

    HOP_LIMIT_EXCEEDED_IN_TRANSIT = 0
    FRAGMENT_REASSEMBLY_TIME_EXCEEDED = 1


class ICMP6ParamProbCode(IntEnum):
    """RFC 4443 3.4; code 3 is RFC 7112's."""

    ERRONEOUS_HEADER_FIELD = 0
    UNRECOGNIZED_NEXT_HEADER = 1
    UNRECOGNIZED_IPV6_OPTION = 2
    FIRST_FRAGMENT_INCOMPLETE_HEADER_CHAIN = 3


# The BSD names (<netinet/icmp6.h>), as plain ints for the hot path.
ICMP6_DST_UNREACH = 1
ICMP6_PACKET_TOO_BIG = 2
ICMP6_TIME_EXCEEDED = 3
ICMP6_PARAM_PROB = 4
ICMP6_INFOMSG_MASK = 0x80            # all informational messages have this bit
ICMP6_ECHO_REQUEST = 128
ICMP6_ECHO_REPLY = 129
MLD_LISTENER_QUERY = 130
MLD_LISTENER_REPORT = 131
MLD_LISTENER_DONE = 132
MLD_LISTENER_REDUCTION = MLD_LISTENER_DONE   # KAME's name
ND_ROUTER_SOLICIT = 133
ND_ROUTER_ADVERT = 134
ND_NEIGHBOR_SOLICIT = 135
ND_NEIGHBOR_ADVERT = 136
ND_REDIRECT = 137
ICMP6_ROUTER_RENUMBERING = 138
ICMP6_NI_QUERY = 139
ICMP6_NI_REPLY = 140
IND_SOLICIT = 141
IND_ADVERT = 142
MLDV2_LISTENER_REPORT = 143
MLD_MTRACE_RESP = 200                # KAME: mtrace response (to sender)
MLD_MTRACE = 201
MIP6_HA_DISCOVERY_REQUEST = 144
MIP6_HA_DISCOVERY_REPLY = 145
MIP6_PREFIX_SOLICIT = 146
MIP6_PREFIX_ADVERT = 147
ICMP6_MAXTYPE = 255

ICMP6_DST_UNREACH_NOROUTE = 0
ICMP6_DST_UNREACH_ADMIN = 1
ICMP6_DST_UNREACH_BEYONDSCOPE = 2
ICMP6_DST_UNREACH_ADDR = 3
ICMP6_DST_UNREACH_NOPORT = 4
ICMP6_DST_UNREACH_POLICY = 5
ICMP6_DST_UNREACH_REJECT = 6
ICMP6_DST_UNREACH_SRCROUTE = 7
ICMP6_TIME_EXCEED_TRANSIT = 0
ICMP6_TIME_EXCEED_REASSEMBLY = 1
ICMP6_PARAMPROB_HEADER = 0
ICMP6_PARAMPROB_NEXTHEADER = 1
ICMP6_PARAMPROB_OPTION = 2
ICMP6_PARAMPROB_FRAGHDRCHAIN = 3     # RFC 7112

ICMP6_HDR_LEN = 8
ICMPV6_PLD_MAXLEN = IPV6_MMTU - IP6_HDR_LEN - ICMP6_HDR_LEN   # RFC 4443 2.4 (c): 1232

# struct icmp6_hdr: type, code, cksum, and the 32-bit data word
icmp6_hdr = struct.Struct("!BBHI")
# echo: type, code, cksum, id, seq
icmp6_echo_hdr = struct.Struct("!BBHHH")


def ICMP6_IS_ERROR(t: int) -> bool:
    """RFC 4443 2.1: error messages have types 0-127."""
    return t < 128


# -- messages: values with parse/emit ------------------------------------------------
class _icmp6_msg_repr:
    """What the message values share: ``emit`` writes the header (``_emit_hdr``), the
    body (``_body``) and, given the addresses, the checksum (RFC 4443 2.3)."""

    def buffer_len(self) -> int:
        raise NotImplementedError

    def _emit_hdr(self, buf: bytearray | memoryview, off: int) -> None:
        raise NotImplementedError

    def _body(self, n: int) -> bytes:
        raise NotImplementedError

    def emit(self, buf: bytearray | memoryview, off: int = 0, src: bytes | None = None,
             dst: bytes | None = None) -> None:
        n = self.buffer_len()
        self._emit_hdr(buf, off)
        buf[off + ICMP6_HDR_LEN:off + n] = self._body(n - ICMP6_HDR_LEN)
        if src is not None and dst is not None:
            ck = in6_cksum_data(src, dst, IPPROTO_ICMPV6, bytes(buf[off:off + n]))
            struct.pack_into("!H", buf, off + 2, ck)

    def to_bytes(self, src: bytes | None = None, dst: bytes | None = None) -> bytes:
        b = bytearray(self.buffer_len())
        self.emit(b, 0, src, dst)
        return bytes(b)


@dataclass(frozen=True)
class icmp6_echo_repr(_icmp6_msg_repr):
    """Echo Request (128) or Echo Reply (129) (RFC 4443 4.1, 4.2)."""

    type: int
    ident: int
    seq: int
    data: bytes = b""
    code: int = 0

    def buffer_len(self) -> int:
        return ICMP6_HDR_LEN + len(self.data)

    def _emit_hdr(self, buf: bytearray | memoryview, off: int) -> None:
        icmp6_echo_hdr.pack_into(buf, off, self.type, self.code, 0, self.ident, self.seq)

    def _body(self, n: int) -> bytes:
        return self.data


@dataclass(frozen=True)
class icmp6_error_repr(_icmp6_msg_repr):
    """An error message (RFC 4443 3): type 1-4, code, the 32-bit parameter (unused,
    MTU or pointer) and as much of the invoking packet as fits in 1280 bytes."""

    type: int
    code: int
    param: int = 0
    invoking: bytes = b""

    def buffer_len(self) -> int:
        return ICMP6_HDR_LEN + min(len(self.invoking), ICMPV6_PLD_MAXLEN)

    def _emit_hdr(self, buf: bytearray | memoryview, off: int) -> None:
        icmp6_hdr.pack_into(buf, off, self.type, self.code, 0, self.param & 0xFFFFFFFF)

    def _body(self, n: int) -> bytes:
        return self.invoking[:n]


@dataclass(frozen=True)
class icmp6_other_repr:
    """Any other message: type, code, the 32-bit word and the body (ND, MLD ... are
    parsed by their own modules)."""

    type: int
    code: int
    word: int = 0
    body: bytes = b""


def icmp6_parse(buf: Buffer, src: bytes | None = None, dst: bytes | None = None):
    """Parse an ICMPv6 message; with ``src``/``dst`` the checksum is verified
    (RFC 4443 2.3).  Returns an echo, error or other repr."""
    if len(buf) < ICMP6_HDR_LEN:
        raise Truncated(f"ICMPv6 header needs {ICMP6_HDR_LEN} bytes, got {len(buf)}")
    if src is not None and dst is not None and in6_cksum_data(src, dst, IPPROTO_ICMPV6, buf) != 0:
        raise Malformed("ICMPv6 checksum mismatch")
    t, code, _ck, word = icmp6_hdr.unpack_from(buf, 0)
    if t in (ICMP6_ECHO_REQUEST, ICMP6_ECHO_REPLY):
        return icmp6_echo_repr(t, word >> 16, word & 0xFFFF, bytes(buf[ICMP6_HDR_LEN:]), code)
    if t in (ICMP6_DST_UNREACH, ICMP6_PACKET_TOO_BIG, ICMP6_TIME_EXCEEDED, ICMP6_PARAM_PROB):
        return icmp6_error_repr(t, code, word, bytes(buf[ICMP6_HDR_LEN:]))
    return icmp6_other_repr(t, code, word, bytes(buf[ICMP6_HDR_LEN:]))


# -- ICMP6_FILTER (RFC 3542 3.2) ---------------------------------------------------------
ICMP6_FILTER = 18                    # the socket option (IPPROTO_ICMPV6 level)
_filt = struct.Struct("<8I")         # host byte order of a little-endian BSD


class icmp6_filter:
    """``struct icmp6_filter``: 256 bits, one per type; a set bit lets the type pass."""

    __slots__ = ("icmp6_filt",)

    def __init__(self, words: list[int] | None = None) -> None:
        self.icmp6_filt = list(words) if words is not None else [0xFFFFFFFF] * 8

    def pack(self) -> bytes:
        return _filt.pack(*self.icmp6_filt)

    @classmethod
    def unpack(cls, data: Buffer) -> "icmp6_filter":
        if len(data) < _filt.size:
            raise Truncated("icmp6_filter needs 32 bytes")
        return cls(list(_filt.unpack_from(data, 0)))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, icmp6_filter) and self.icmp6_filt == other.icmp6_filt

    def __repr__(self) -> str:
        passing = [t for t in range(256) if ICMP6_FILTER_WILLPASS(t, self)]
        return f"<icmp6_filter pass {len(passing)} types>"


def ICMP6_FILTER_SETPASSALL(f: icmp6_filter) -> None:
    f.icmp6_filt = [0xFFFFFFFF] * 8


def ICMP6_FILTER_SETBLOCKALL(f: icmp6_filter) -> None:
    f.icmp6_filt = [0] * 8


def ICMP6_FILTER_SETPASS(t: int, f: icmp6_filter) -> None:
    f.icmp6_filt[(t & 0xFF) >> 5] |= 1 << (t & 31)


def ICMP6_FILTER_SETBLOCK(t: int, f: icmp6_filter) -> None:
    f.icmp6_filt[(t & 0xFF) >> 5] &= ~(1 << (t & 31)) & 0xFFFFFFFF


def ICMP6_FILTER_WILLPASS(t: int, f: icmp6_filter) -> bool:
    return bool(f.icmp6_filt[(t & 0xFF) >> 5] & (1 << (t & 31)))


def ICMP6_FILTER_WILLBLOCK(t: int, f: icmp6_filter) -> bool:
    return not ICMP6_FILTER_WILLPASS(t, f)
