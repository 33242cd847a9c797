"""<netinet/ip6.h> and <netinet/in.h> IPPROTO_*: the IPv6 header and its extension headers.

RFC 8200 3 (the header), 4.2 (options: Pad1, PadN, the action in the two
high-order bits of the option type, the "may change en route" bit), 4.3
(hop-by-hop), 4.4 (routing), 4.5 (fragment), 4.6 (destination options);
RFC 2711 (router alert), RFC 2675 (jumbo payload), RFC 6275 6.3/6.4 (home
address option, type 2 routing header).

Two ways in, as in smoltcp's ``wire``: precompiled ``struct.Struct`` layouts
(``ip6_hdr``, ``ip6_frag`` ...) for the kernel's hot path, and for everyone
else a view (:class:`ip6_packet`: bounds-checked once, then accessors that
cannot fail) plus frozen value classes (``*_repr``) with ``parse``,
``buffer_len`` and ``emit``.  Malformed input raises :class:`Truncated` or
:class:`Malformed` (both ``ValueError``).
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import IntEnum
from typing import Union

Buffer = Union[bytes, bytearray, memoryview]


class Truncated(ValueError):
    """The buffer is shorter than the header (or a length field) says."""


class Malformed(ValueError):
    """A field has a value the format does not allow."""


# -- <netinet/in.h>: protocol numbers (FreeBSD's values) ----------------------
class IPPROTO(IntEnum):
    HOPOPTS = 0          # RFC 8200 4.3
    ICMP = 1
    IGMP = 2
    IPV4 = 4
    TCP = 6
    UDP = 17
    IPV6 = 41            # RFC 2473 tunnelling
    ROUTING = 43         # RFC 8200 4.4
    FRAGMENT = 44        # RFC 8200 4.5
    GRE = 47
    ESP = 50             # RFC 4303
    AH = 51              # RFC 4302
    ICMPV6 = 58          # RFC 4443
    NONE = 59            # RFC 8200 4.7: no next header
    DSTOPTS = 60         # RFC 8200 4.6
    PIM = 103
    IPCOMP = 108
    SCTP = 132
    MH = 135             # RFC 6275 6.1: mobility header
    RAW = 255


IPPROTO_IP = 0
IPPROTO_HOPOPTS = 0
IPPROTO_ICMP = 1
IPPROTO_IGMP = 2
IPPROTO_IPV4 = 4
IPPROTO_TCP = 6
IPPROTO_UDP = 17
IPPROTO_IPV6 = 41
IPPROTO_ROUTING = 43
IPPROTO_FRAGMENT = 44
IPPROTO_GRE = 47
IPPROTO_ESP = 50
IPPROTO_AH = 51
IPPROTO_ICMPV6 = 58
IPPROTO_NONE = 59
IPPROTO_DSTOPTS = 60
IPPROTO_PIM = 103
IPPROTO_IPCOMP = 108
IPPROTO_SCTP = 132
IPPROTO_MH = 135
IPPROTO_RAW = 255
IPPROTO_MAX = 256
IPPROTO_DONE = 257       # FreeBSD: "last return value of *_input(), meaning 'all job for
                         # this pkt is done'"

# -- <netinet/ip6.h> -------------------------------------------------------------
IPV6_VERSION = 0x60
IPV6_VERSION_MASK = 0xF0
IPV6_FLOWINFO_MASK = 0x0FFFFFFF     # traffic class + flow label, in host order of ip6_flow
IPV6_FLOWLABEL_MASK = 0x000FFFFF
IPV6_MMTU = 1280                    # RFC 8200 5: minimum link MTU
IPV6_MAXPACKET = 65535              # ip6 max packet size without Jumbo payload
IPV6_MAXOPTHDR = 2048
IPV6_DEFHLIM = 64                   # default hop limit
IPV6_MAXHLIM = 255
IPV6_HLIMDEC = 1
IPV6_FRAGTTL = 120                  # BSD: 60 s in 500 ms slow-timeout ticks (RFC 8200 4.5)
IPV6_FRAG_TIMEOUT_SEC = 60          # RFC 8200 4.5: "within 60 seconds"

IP6_HDR_LEN = 40
# struct ip6_hdr: ip6_flow (version 4, traffic class 8, flow label 20), plen, nxt, hlim, src, dst
ip6_hdr = struct.Struct("!IHBB16s16s")
ip6_hdr_fixed = struct.Struct("!IHBB")          # the first 8 bytes only
ip6_ext = struct.Struct("!BB")                  # ip6e_nxt, ip6e_len (8-octet units, minus 1)
# struct ip6_rthdr: nxt, len, type, segleft (RFC 8200 4.4)
ip6_rthdr = struct.Struct("!BBBB")
# struct ip6_frag: nxt, reserved, offlg, ident (RFC 8200 4.5)
ip6_frag = struct.Struct("!BBHI")
IP6_FRAG_LEN = 8
IP6F_OFF_MASK = 0xFFF8
IP6F_RESERVED_MASK = 0x0006
IP6F_MORE_FRAG = 0x0001

# Routing header types
IPV6_RTHDR_TYPE_0 = 0               # RFC 5095: deprecated
IPV6_RTHDR_TYPE_2 = 2               # RFC 6275 6.4
IPV6_RTHDR_LOOSE = 0
IPV6_RTHDR_STRICT = 1

# -- options (RFC 8200 4.2) ------------------------------------------------------
IP6OPT_PAD1 = 0x00                  # 00 0 00000
IP6OPT_PADN = 0x01                  # 00 0 00001
IP6OPT_JUMBO = 0xC2                 # 11 0 00010 (RFC 2675)
IP6OPT_NSAP_ADDR = 0xC3
IP6OPT_TUNNEL_LIMIT = 0x04          # RFC 2473
IP6OPT_ROUTER_ALERT = 0x05          # 00 0 00101 (RFC 2711)
IP6OPT_RTALERT = IP6OPT_ROUTER_ALERT
IP6OPT_CALIPSO = 0x07               # RFC 5570
IP6OPT_QUICK_START = 0x26           # RFC 4782
IP6OPT_HOME_ADDRESS = 0xC9          # RFC 6275 6.3
IP6OPT_JUMBO_LEN = 6
IP6OPT_RTALERT_LEN = 4
IP6OPT_RTALERT_MLD = 0              # RFC 2711: datagram contains an MLD message
IP6OPT_RTALERT_RSVP = 1
IP6OPT_RTALERT_ACTNET = 2
IP6OPT_MINLEN = 2
IP6OPT_TYPE_MASK = 0xC0
# RFC 8200 4.2: action when the option type is not recognized
IP6OPT_TYPE_SKIP = 0x00             # 00 - skip over this option
IP6OPT_TYPE_DISCARD = 0x40          # 01 - discard the packet
IP6OPT_TYPE_FORCEICMP = 0x80        # 10 - discard, ICMP Parameter Problem code 2 even if multicast
IP6OPT_TYPE_ICMP = 0xC0             # 11 - discard, ICMP code 2 only if not multicast
IP6OPT_MUTABLE = 0x20               # RFC 8200 4.2: option data may change en route


def IP6OPT_TYPE(o: int) -> int:
    """The action bits of an option type (RFC 8200 4.2)."""
    return o & IP6OPT_TYPE_MASK


class IP6OPT_ACTION(IntEnum):
    """RFC 8200 4.2, the highest-order two bits of an unrecognized option's type."""

    SKIP = 0x00
    DISCARD = 0x40
    DISCARD_ICMP = 0x80              # "regardless of whether ... multicast"
    DISCARD_ICMP_UNLESS_MULTICAST = 0xC0


EXTHDR_TYPES = frozenset((IPPROTO_HOPOPTS, IPPROTO_ROUTING, IPPROTO_FRAGMENT,
                          IPPROTO_DSTOPTS, IPPROTO_AH, IPPROTO_ESP, IPPROTO_MH))


# -- the IPv6 header: view and value --------------------------------------------
class ip6_packet:
    """A view of an IPv6 packet (smoltcp ``Ipv6Packet``): ``check_len`` once, then read."""

    __slots__ = ("buf",)

    def __init__(self, buf: Buffer) -> None:
        self.buf = buf

    @classmethod
    def new_checked(cls, buf: Buffer) -> "ip6_packet":
        p = cls(buf)
        p.check_len()
        return p

    def check_len(self) -> None:
        if len(self.buf) < IP6_HDR_LEN:
            raise Truncated(f"IPv6 header needs {IP6_HDR_LEN} bytes, got {len(self.buf)}")
        if len(self.buf) < IP6_HDR_LEN + self.payload_len:
            raise Truncated(f"payload length {self.payload_len} exceeds the "
                            f"{len(self.buf) - IP6_HDR_LEN} bytes present")

    @property
    def version(self) -> int:
        return self.buf[0] >> 4

    @property
    def traffic_class(self) -> int:
        return ((self.buf[0] & 0x0F) << 4) | (self.buf[1] >> 4)

    @property
    def flow_label(self) -> int:
        return ((self.buf[1] & 0x0F) << 16) | (self.buf[2] << 8) | self.buf[3]

    @property
    def payload_len(self) -> int:
        return (self.buf[4] << 8) | self.buf[5]

    @property
    def next_header(self) -> int:
        return self.buf[6]

    @property
    def hop_limit(self) -> int:
        return self.buf[7]

    @property
    def src_addr(self) -> bytes:
        return bytes(self.buf[8:24])

    @property
    def dst_addr(self) -> bytes:
        return bytes(self.buf[24:40])

    @property
    def payload(self) -> bytes:
        return bytes(self.buf[IP6_HDR_LEN:IP6_HDR_LEN + self.payload_len])


@dataclass(frozen=True)
class ip6_repr:
    """A checked IPv6 header (RFC 8200 3).  Defaults: hop limit 64, class and label 0."""

    src: bytes
    dst: bytes
    nxt: int
    payload_len: int
    hlim: int = IPV6_DEFHLIM
    tclass: int = 0
    flowlabel: int = 0

    @classmethod
    def parse(cls, buf: Buffer) -> "ip6_repr":
        p = ip6_packet.new_checked(buf)
        if p.version != 6:
            raise Malformed(f"IP version {p.version}, expected 6")
        return cls(p.src_addr, p.dst_addr, p.next_header, p.payload_len, p.hop_limit,
                   p.traffic_class, p.flow_label)

    def buffer_len(self) -> int:
        return IP6_HDR_LEN

    def emit(self, buf: bytearray | memoryview, off: int = 0) -> None:
        flow = 0x60000000 | ((self.tclass & 0xFF) << 20) | (self.flowlabel & IPV6_FLOWLABEL_MASK)
        ip6_hdr.pack_into(buf, off, flow, self.payload_len, self.nxt, self.hlim, self.src, self.dst)

    def to_bytes(self) -> bytes:
        b = bytearray(IP6_HDR_LEN)
        self.emit(b)
        return bytes(b)


# -- options ---------------------------------------------------------------------
@dataclass(frozen=True)
class ip6_option:
    """One option TLV (RFC 8200 4.2).  Pad1 has no length or data."""

    type: int
    data: bytes = b""

    @property
    def action(self) -> IP6OPT_ACTION:
        return IP6OPT_ACTION(self.type & IP6OPT_TYPE_MASK)

    @property
    def mutable(self) -> bool:
        return bool(self.type & IP6OPT_MUTABLE)

    def buffer_len(self) -> int:
        return 1 if self.type == IP6OPT_PAD1 else 2 + len(self.data)


def ip6_options_parse(data: Buffer, keep_padding: bool = False) -> tuple[ip6_option, ...]:
    """Parse the options area of a hop-by-hop or destination options header."""
    out: list[ip6_option] = []
    i, n = 0, len(data)
    while i < n:
        t = data[i]
        if t == IP6OPT_PAD1:
            if keep_padding:
                out.append(ip6_option(IP6OPT_PAD1))
            i += 1
            continue
        if i + 2 > n:
            raise Truncated(f"option {t:#04x} at {i}: no room for its length byte")
        ln = data[i + 1]
        if i + 2 + ln > n:
            raise Truncated(f"option {t:#04x} at {i}: {ln} data bytes overrun the header")
        if keep_padding or t != IP6OPT_PADN:
            out.append(ip6_option(t, bytes(data[i + 2:i + 2 + ln])))
        i += 2 + ln
    return tuple(out)


def ip6_options_emit(options: tuple[ip6_option, ...] | list[ip6_option], hdrlen_base: int = 2) -> bytes:
    """Encode options, padded with Pad1/PadN so that ``hdrlen_base`` + result is a
    multiple of 8 (RFC 8200 4.2; the base is the 2-byte Next Header/Length)."""
    b = bytearray()
    for o in options:
        if o.type == IP6OPT_PAD1:
            b.append(0)
        else:
            if len(o.data) > 255:
                raise Malformed("option data longer than 255 bytes")
            b += bytes((o.type, len(o.data))) + o.data
    pad = (-(hdrlen_base + len(b))) % 8
    if pad == 1:
        b.append(IP6OPT_PAD1)
    elif pad > 1:
        b += bytes((IP6OPT_PADN, pad - 2)) + bytes(pad - 2)
    return bytes(b)


# -- hop-by-hop and destination options headers -------------------------------------
@dataclass(frozen=True)
class ip6_opts_repr:
    """A hop-by-hop (RFC 8200 4.3) or destination options (4.6) header."""

    nxt: int
    options: tuple[ip6_option, ...] = ()

    @classmethod
    def parse(cls, buf: Buffer) -> "ip6_opts_repr":
        if len(buf) < 8:
            raise Truncated("options header needs at least 8 bytes")
        ln = (buf[1] + 1) * 8
        if len(buf) < ln:
            raise Truncated(f"options header says {ln} bytes, {len(buf)} present")
        return cls(buf[0], ip6_options_parse(buf[2:ln]))

    def body(self) -> bytes:
        return ip6_options_emit(self.options)

    def buffer_len(self) -> int:
        return 2 + len(self.body())

    def emit(self, buf: bytearray | memoryview, off: int = 0) -> None:
        body = self.body()
        total = 2 + len(body)
        buf[off] = self.nxt
        buf[off + 1] = total // 8 - 1
        buf[off + 2:off + total] = body

    def to_bytes(self) -> bytes:
        b = bytearray(self.buffer_len())
        self.emit(b)
        return bytes(b)


# -- routing header ------------------------------------------------------------------
@dataclass(frozen=True)
class ip6_rthdr_repr:
    """A routing header (RFC 8200 4.4): type, segments left and the type-specific data
    (for type 0 and 2: 4 reserved bytes then addresses)."""

    nxt: int
    type: int
    segleft: int
    data: bytes = bytes(4)

    @classmethod
    def parse(cls, buf: Buffer) -> "ip6_rthdr_repr":
        if len(buf) < 8:
            raise Truncated("routing header needs at least 8 bytes")
        ln = (buf[1] + 1) * 8
        if len(buf) < ln:
            raise Truncated(f"routing header says {ln} bytes, {len(buf)} present")
        return cls(buf[0], buf[2], buf[3], bytes(buf[4:ln]))

    @property
    def addresses(self) -> tuple[bytes, ...]:
        """The addresses of a type 0 or type 2 header (after 4 reserved bytes)."""
        a = self.data[4:]
        return tuple(a[i:i + 16] for i in range(0, len(a) - 15, 16))

    @classmethod
    def type2(cls, nxt: int, home_addr: bytes) -> "ip6_rthdr_repr":
        """RFC 6275 6.4: segments left 1, one address (the home address)."""
        return cls(nxt, IPV6_RTHDR_TYPE_2, 1, bytes(4) + home_addr)

    def buffer_len(self) -> int:
        return 4 + len(self.data)

    def emit(self, buf: bytearray | memoryview, off: int = 0) -> None:
        total = self.buffer_len()
        if total % 8:
            raise Malformed("routing header length must be a multiple of 8")
        ip6_rthdr.pack_into(buf, off, self.nxt, total // 8 - 1, self.type, self.segleft)
        buf[off + 4:off + total] = self.data

    def to_bytes(self) -> bytes:
        b = bytearray(self.buffer_len())
        self.emit(b)
        return bytes(b)


# -- fragment header -------------------------------------------------------------------
@dataclass(frozen=True)
class ip6_frag_repr:
    """A fragment header (RFC 8200 4.5).  ``offset`` is in bytes (a multiple of 8)."""

    nxt: int
    offset: int
    more: bool
    ident: int
    reserved: int = 0                   # the 8-bit field and the 2 reserved bits, for parse

    @classmethod
    def parse(cls, buf: Buffer) -> "ip6_frag_repr":
        if len(buf) < IP6_FRAG_LEN:
            raise Truncated("fragment header needs 8 bytes")
        nxt, res, offlg, ident = ip6_frag.unpack_from(buf, 0)
        return cls(nxt, offlg & IP6F_OFF_MASK, bool(offlg & IP6F_MORE_FRAG), ident,
                   (res << 8) | (offlg & IP6F_RESERVED_MASK))

    @property
    def atomic(self) -> bool:
        """RFC 6946: offset 0 and M clear."""
        return self.offset == 0 and not self.more

    def buffer_len(self) -> int:
        return IP6_FRAG_LEN

    def emit(self, buf: bytearray | memoryview, off: int = 0) -> None:
        if self.offset & 7 or not 0 <= self.offset <= IP6F_OFF_MASK:
            raise Malformed(f"fragment offset {self.offset}: a multiple of 8 up to 65528")
        ip6_frag.pack_into(buf, off, self.nxt, 0, self.offset | (IP6F_MORE_FRAG if self.more else 0),
                           self.ident)

    def to_bytes(self) -> bytes:
        b = bytearray(IP6_FRAG_LEN)
        self.emit(b)
        return bytes(b)


def ip6_exthdr_len(nxt: int, buf: Buffer, off: int) -> int:
    """Length of the extension header ``nxt`` at ``off``; -1 if it is not one we can
    walk over (upper layer, ESP, no next header) or it is truncated."""
    if len(buf) - off < 2:
        return -1
    if nxt == IPPROTO_FRAGMENT:
        return IP6_FRAG_LEN if len(buf) - off >= IP6_FRAG_LEN else -1
    if nxt == IPPROTO_AH:
        ln = (buf[off + 1] + 2) << 2
    elif nxt in (IPPROTO_HOPOPTS, IPPROTO_ROUTING, IPPROTO_DSTOPTS, IPPROTO_MH):
        ln = (buf[off + 1] + 1) << 3
    else:
        return -1
    return ln if len(buf) - off >= ln else -1


def ip6_lasthdr(buf: Buffer, off: int = 0, limit: int = 64) -> tuple[int, int]:
    """Walk the header chain of the packet starting at ``off`` (the IPv6 header).

    Returns ``(offset, nxt)`` of the last header reached: the upper-layer
    header, or the first one that cannot be walked (a non-first fragment,
    ESP, a truncated header) — KAME's ``ip6_lasthdr``.  (-1, -1) if even the
    IPv6 header is missing.
    """
    if len(buf) - off < IP6_HDR_LEN:
        return -1, -1
    nxt = buf[off + 6]
    pos = off + IP6_HDR_LEN
    for _ in range(limit):
        if nxt == IPPROTO_FRAGMENT:
            if len(buf) - pos < IP6_FRAG_LEN:
                return pos, nxt
            _, _, offlg, _ = ip6_frag.unpack_from(buf, pos)
            if offlg & IP6F_OFF_MASK:
                return pos, nxt           # not the first fragment: the rest is unknown
        ln = ip6_exthdr_len(nxt, buf, pos)
        if ln < 0:
            return pos, nxt
        nxt = buf[pos]
        pos += ln
    return pos, nxt

