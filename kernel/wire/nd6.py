"""<netinet/icmp6.h> ND part: Neighbor Discovery messages and options.

RFC 4861 section 4: Router Solicitation (4.1), Router Advertisement (4.2),
Neighbor Solicitation (4.3), Neighbor Advertisement (4.4), Redirect (4.5), and
the options of section 4.6 (source/target link-layer address, prefix
information, redirected header, MTU); plus the Nonce option (RFC 3971 5.3.2,
used by enhanced DAD, RFC 7527), Route Information (RFC 4191 2.3) and
RDNSS/DNSSL (RFC 8106 5.1/5.2), which are parsed but not acted on by the
kernel.

Two layers, as in smoltcp:

- precompiled ``struct.Struct`` headers (``nd_neighbor_solicit`` ...) and
  :func:`nd6_options`, the option-list walker the kernel uses on its hot path
  (KAME's ``nd6_option_init``/``nd6_option``/``nd6_options``): it returns an
  :class:`nd_opts` (BSD's ``union nd_opts``) holding the raw bytes of each
  option, or raises :class:`NdOptError` for a list that must be dropped
  (a zero-length option, an option running past the end of the message);
- frozen dataclasses (``NeighborSolicit``, ``PrefixInformation`` ...) with
  ``parse``/``buffer_len``/``emit``, for tests, userland (rtadvd, ndp, rtsold)
  and the kernel's output side.

The messages are ICMPv6 bodies: bytes start at the ICMPv6 type.  Checksums
are computed over the RFC 8200 8.1 pseudo-header by :func:`nd6_cksum` when
``emit`` is given the source and destination addresses.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, fields
from enum import IntEnum
from typing import Any, ClassVar, Optional, Union

from kernel.wire.icmp6 import (ND_NEIGHBOR_ADVERT, ND_NEIGHBOR_SOLICIT, ND_REDIRECT,
                               ND_ROUTER_ADVERT, ND_ROUTER_SOLICIT)
from kernel.wire.in_cksum import in6_cksum_data
from kernel.wire.ip6 import IPPROTO_ICMPV6

# -- RFC 4861 4.2: Router Advertisement flags (nd_ra_flags_reserved) -------------
ND_RA_FLAG_MANAGED = 0x80          # M: addresses via DHCPv6
ND_RA_FLAG_OTHER = 0x40            # O: other configuration via DHCPv6
ND_RA_FLAG_HA = 0x20               # H: home agent (RFC 6275 7.1)
ND_RA_FLAG_RTPREF_MASK = 0x18      # Prf: default router preference (RFC 4191 2.2)
ND_RA_FLAG_RTPREF_HIGH = 0x08
ND_RA_FLAG_RTPREF_MEDIUM = 0x00
ND_RA_FLAG_RTPREF_LOW = 0x18
ND_RA_FLAG_RTPREF_RSV = 0x10       # reserved: MUST be treated as medium (RFC 4191 2.2)

# -- RFC 4861 4.4: Neighbor Advertisement flags (first 32-bit word) ----------------
ND_NA_FLAG_ROUTER = 0x80000000
ND_NA_FLAG_SOLICITED = 0x40000000
ND_NA_FLAG_OVERRIDE = 0x20000000

# -- RFC 4861 4.6.2: Prefix Information flags ------------------------------------
ND_OPT_PI_FLAG_ONLINK = 0x80       # L
ND_OPT_PI_FLAG_AUTO = 0x40         # A
ND_OPT_PI_FLAG_ROUTER = 0x20       # R (RFC 6275 7.2)

ND_INFINITE_LIFETIME = 0xFFFFFFFF  # RFC 4861 4.6.2: all one bits = infinity


class ND_OPT(IntEnum):
    """Option types (RFC 4861 4.6 and the IANA registry)."""

    SOURCE_LINKADDR = 1
    TARGET_LINKADDR = 2
    PREFIX_INFORMATION = 3
    REDIRECTED_HEADER = 4
    MTU = 5
    NONCE = 14                  # RFC 3971 5.3.2
    ROUTE_INFO = 24             # RFC 4191 2.3
    RDNSS = 25                  # RFC 8106 5.1
    DNSSL = 31                  # RFC 8106 5.2


ND_OPT_SOURCE_LINKADDR = ND_OPT.SOURCE_LINKADDR
ND_OPT_TARGET_LINKADDR = ND_OPT.TARGET_LINKADDR
ND_OPT_PREFIX_INFORMATION = ND_OPT.PREFIX_INFORMATION
ND_OPT_REDIRECTED_HEADER = ND_OPT.REDIRECTED_HEADER
ND_OPT_MTU = ND_OPT.MTU
ND_OPT_NONCE = ND_OPT.NONCE
ND_OPT_ROUTE_INFO = ND_OPT.ROUTE_INFO
ND_OPT_RDNSS = ND_OPT.RDNSS
ND_OPT_DNSSL = ND_OPT.DNSSL

# -- fixed parts (RFC 4861 4.1-4.5) ------------------------------------------------
nd_router_solicit = struct.Struct("!BBHI")                # type code cksum reserved: 8
nd_router_advert = struct.Struct("!BBHBBHII")             # ... curhop flags lifetime reach retrans: 16
nd_neighbor_solicit = struct.Struct("!BBHI16s")           # ... reserved target: 24
nd_neighbor_advert = struct.Struct("!BBHI16s")            # ... flags+reserved target: 24
nd_redirect = struct.Struct("!BBHI16s16s")                # ... reserved target dst: 40
nd_opt_hdr = struct.Struct("!BB")
nd_opt_prefix_info = struct.Struct("!BBBBIII16s")         # 32 bytes, nd_opt_pi_len == 4
nd_opt_mtu = struct.Struct("!BBHI")                       # 8 bytes, nd_opt_mtu_len == 1
nd_opt_route_info = struct.Struct("!BBBBI")               # 8 bytes + prefix (0/8/16)
nd_opt_rdnss = struct.Struct("!BBHI")                     # 8 bytes + addresses
_u16 = struct.Struct("!H")

ND_RS_MINLEN = nd_router_solicit.size      # RFC 4861 6.1.1: 8 or more octets
ND_RA_MINLEN = nd_router_advert.size       # RFC 4861 6.1.2: 16 or more octets
ND_NS_MINLEN = nd_neighbor_solicit.size    # RFC 4861 7.1.1: 24 or more octets
ND_NA_MINLEN = nd_neighbor_advert.size     # RFC 4861 7.1.2: 24 or more octets
ND_REDIRECT_MINLEN = nd_redirect.size      # RFC 4861 8.1: 40 or more octets

ND6_MAXNDOPT = 10                          # FreeBSD nd6_maxndopt: options walked per message


# -- checksum -------------------------------------------------------------------------
def nd6_cksum(src: bytes, dst: bytes, icmp6: bytes | bytearray | memoryview) -> int:
    """The ICMPv6 checksum of ``icmp6`` (RFC 4443 2.3) with the RFC 8200 8.1
    pseudo-header.  With the checksum field zero this is the value to store;
    over a message with a correct checksum it is 0."""
    return in6_cksum_data(src, dst, IPPROTO_ICMPV6, icmp6)


# -- option-list walker (kernel hot path) ---------------------------------------------
class NdOptError(ValueError):
    """The option list is malformed: the whole message must be dropped."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class nd_opts:
    """BSD's ``union nd_opts``: the raw bytes of each option found, by type.

    Single options keep the first occurrence (a duplicate is counted in
    ``dup``); prefix information, route information, RDNSS and DNSSL keep all.
    """

    __slots__ = ("src_lladdr", "tgt_lladdr", "redirected_header", "mtu", "nonce",
                 "prefix_info", "route_info", "rdnss", "dnssl", "unknown", "dup",
                 "count", "toomany")

    def __init__(self) -> None:
        self.src_lladdr: Optional[bytes] = None
        self.tgt_lladdr: Optional[bytes] = None
        self.redirected_header: Optional[bytes] = None
        self.mtu: Optional[bytes] = None
        self.nonce: Optional[bytes] = None
        self.prefix_info: list[bytes] = []
        self.route_info: list[bytes] = []
        self.rdnss: list[bytes] = []
        self.dnssl: list[bytes] = []
        self.unknown = 0
        self.dup = 0
        self.count = 0
        self.toomany = False


_SINGLE = {ND_OPT.SOURCE_LINKADDR: "src_lladdr", ND_OPT.TARGET_LINKADDR: "tgt_lladdr",
           ND_OPT.REDIRECTED_HEADER: "redirected_header", ND_OPT.MTU: "mtu",
           ND_OPT.NONCE: "nonce"}
_MULTI = {ND_OPT.PREFIX_INFORMATION: "prefix_info", ND_OPT.ROUTE_INFO: "route_info",
          ND_OPT.RDNSS: "rdnss", ND_OPT.DNSSL: "dnssl"}


def nd6_option(buf: bytes | bytearray | memoryview, off: int, end: int) -> int:
    """The length in octets of the option at ``off`` (KAME ``nd6_option``: one
    step of the walk over ``buf[off:end]``), checked before anyone reads it.

    Raises :class:`NdOptError` when RFC 4861 4.6 requires the packet to be
    dropped: "Nodes MUST silently discard an ND packet that contains an option
    with length zero" (reason ``"zero length"``), and when the option runs past
    the end of the message or the message ends inside an option header
    (``"overrun"``).
    """
    if off + 2 > end:                                     # no room for the header
        raise NdOptError("overrun")
    olen = buf[off + 1] << 3
    if olen == 0:                                         # RFC 4861 4.6: length 0
        raise NdOptError("zero length")
    if off + olen > end:
        raise NdOptError("overrun")
    return olen


def nd6_options(buf: bytes | bytearray | memoryview, off: int, end: int,
                maxndopt: int = ND6_MAXNDOPT) -> nd_opts:
    """Walk the options in ``buf[off:end]`` with :func:`nd6_option` and sort
    them into an :class:`nd_opts` (KAME ``nd6_option_init`` + ``nd6_options``).

    A malformed list raises :class:`NdOptError` (see :func:`nd6_option`).
    More than ``maxndopt`` options: the rest are not looked at and ``toomany``
    is set (FreeBSD counts icp6s_nd_toomanyopt and keeps what it found).
    Unknown options are skipped (RFC 4861 4.6: "MUST silently ignore ... and
    continue processing the message").
    """
    opts = nd_opts()
    if off < 0 or end > len(buf) or off > end:
        raise NdOptError("overrun")
    count = 0
    while off < end:
        olen = nd6_option(buf, off, end)
        if count >= maxndopt:
            opts.toomany = True
            break
        count += 1
        otype = buf[off]
        raw = bytes(buf[off:off + olen])
        name = _SINGLE.get(otype)
        if name is not None:
            if getattr(opts, name) is None:
                setattr(opts, name, raw)
            else:
                opts.dup += 1                              # "duplicated ND6 option found"
        else:
            lst = _MULTI.get(otype)
            if lst is not None:
                getattr(opts, lst).append(raw)
            else:
                opts.unknown += 1
        off += olen
    opts.count = count
    return opts


def nd_opt_lladdr_of(raw: bytes, addrlen: int = 6) -> Optional[bytes]:
    """The link-layer address in a source/target link-layer address option,
    or None when the option's length does not fit ``addrlen`` (RFC 4861 4.6.1;
    for Ethernet, RFC 2464 8: length 1, 6 octets)."""
    if len(raw) != (addrlen + 2 + 7) & ~7:
        return None
    return raw[2:2 + addrlen]


def nd_opt_len(bodylen: int) -> int:
    """The length in octets of an option whose type and length octets are
    followed by ``bodylen`` octets: RFC 4861 4.6, "in units of 8 octets"."""
    return (bodylen + 2 + 7) & ~7


def nd_opt_pack(otype: int, body: bytes) -> bytes:
    """An option of type ``otype``: type, length, ``body``, zero padding to a
    multiple of 8 octets."""
    n = nd_opt_len(len(body))
    return bytes((otype, n >> 3)) + body + bytes(n - 2 - len(body))


def nd_opt_lladdr(otype: int, lladdr: bytes) -> bytes:
    """Build a source (1) or target (2) link-layer address option, padded to 8."""
    return nd_opt_pack(otype, lladdr)


# -- option values ---------------------------------------------------------------------
def _check_hdr(data: bytes, otype: int, minlen: int) -> int:
    if len(data) < 2 or data[0] != otype:
        raise ValueError(f"ND option {otype}: wrong type or truncated")
    olen = data[1] << 3
    if olen == 0:
        raise ValueError(f"ND option {otype}: length 0")
    if olen < minlen or olen > len(data):
        raise ValueError(f"ND option {otype}: bad length {olen}")
    return olen


class _BytesOption:
    """An option whose body is ``_RESERVED`` zero octets and one byte string
    (the dataclass's only field), padded to 8 octets (RFC 4861 4.6)."""

    TYPE: ClassVar[int] = 0
    _RESERVED: ClassVar[int] = 0

    def _body(self) -> bytes:
        return getattr(self, fields(self)[0].name)  # type: ignore[arg-type]

    @classmethod
    def parse(cls, data: bytes):  # type: ignore[no-untyped-def]
        olen = _check_hdr(data, cls.TYPE, 8)
        return cls(bytes(data[2 + cls._RESERVED:olen]))  # type: ignore[call-arg]

    def buffer_len(self) -> int:
        return nd_opt_len(self._RESERVED + len(self._body()))

    def emit(self) -> bytes:
        return nd_opt_pack(self.TYPE, bytes(self._RESERVED) + self._body())


@dataclass(frozen=True)
class SourceLinkAddr(_BytesOption):
    """RFC 4861 4.6.1, type 1."""

    lladdr: bytes
    TYPE: ClassVar[int] = ND_OPT.SOURCE_LINKADDR


@dataclass(frozen=True)
class TargetLinkAddr(SourceLinkAddr):
    """RFC 4861 4.6.1, type 2."""

    TYPE: ClassVar[int] = ND_OPT.TARGET_LINKADDR


@dataclass(frozen=True)
class PrefixInformation:
    """RFC 4861 4.6.2, type 3, length 4."""

    prefix: bytes
    prefix_len: int = 64
    flags: int = ND_OPT_PI_FLAG_ONLINK | ND_OPT_PI_FLAG_AUTO
    valid_time: int = 2592000          # RFC 4861 6.2.1 AdvValidLifetime default: 30 days
    preferred_time: int = 604800       # AdvPreferredLifetime default: 7 days
    TYPE: ClassVar[int] = ND_OPT.PREFIX_INFORMATION

    @property
    def onlink(self) -> bool:
        return bool(self.flags & ND_OPT_PI_FLAG_ONLINK)

    @property
    def autonomous(self) -> bool:
        return bool(self.flags & ND_OPT_PI_FLAG_AUTO)

    @classmethod
    def parse(cls, data: bytes) -> "PrefixInformation":
        _check_hdr(data, cls.TYPE, 32)
        if data[1] != 4:                   # RFC 4861 4.6.2: Length 4
            raise ValueError("prefix information: length must be 4")
        _, _, plen, flags, vt, pt, _, prefix = nd_opt_prefix_info.unpack_from(data)
        if plen > 128:
            raise ValueError("prefix information: prefix length > 128")
        return cls(prefix, plen, flags, vt, pt)

    def buffer_len(self) -> int:
        return 32

    def emit(self) -> bytes:
        return nd_opt_prefix_info.pack(self.TYPE, 4, self.prefix_len, self.flags,
                                       self.valid_time, self.preferred_time, 0, self.prefix)


@dataclass(frozen=True)
class RedirectedHeader(_BytesOption):
    """RFC 4861 4.6.3, type 4: as much of the redirected packet as fits."""

    data: bytes
    TYPE: ClassVar[int] = ND_OPT.REDIRECTED_HEADER
    _RESERVED: ClassVar[int] = 6                    # 6 reserved octets


@dataclass(frozen=True)
class Mtu:
    """RFC 4861 4.6.4, type 5, length 1."""

    mtu: int
    TYPE: ClassVar[int] = ND_OPT.MTU

    @classmethod
    def parse(cls, data: bytes) -> "Mtu":
        _check_hdr(data, cls.TYPE, 8)
        if data[1] != 1:
            raise ValueError("MTU option: length must be 1")
        return cls(nd_opt_mtu.unpack_from(data)[3])

    def buffer_len(self) -> int:
        return 8

    def emit(self) -> bytes:
        return nd_opt_mtu.pack(self.TYPE, 1, 0, self.mtu)


@dataclass(frozen=True)
class Nonce(_BytesOption):
    """RFC 3971 5.3.2, type 14: a random nonce (enhanced DAD, RFC 7527)."""

    nonce: bytes
    TYPE: ClassVar[int] = ND_OPT.NONCE


@dataclass(frozen=True)
class RouteInfo:
    """RFC 4191 2.3, type 24 (parsed; a host with Type A behaviour ignores it)."""

    prefix: bytes
    prefix_len: int
    preference: int = ND_RA_FLAG_RTPREF_MEDIUM      # in the 0x18 bits of the flags
    lifetime: int = ND_INFINITE_LIFETIME
    TYPE: ClassVar[int] = ND_OPT.ROUTE_INFO

    @classmethod
    def parse(cls, data: bytes) -> "RouteInfo":
        olen = _check_hdr(data, cls.TYPE, 8)
        if olen > 24:
            raise ValueError("route information: length > 3")
        _, ln, plen, flags, life = nd_opt_route_info.unpack_from(data)
        # RFC 4191 2.3: Length 1, 2 or 3 depending on the prefix length.
        if plen > 128 or (plen > 64 and ln < 3) or (plen > 0 and ln < 2):
            raise ValueError("route information: length too small for the prefix length")
        prefix = bytes(data[8:olen]) + bytes(16 - (olen - 8))
        return cls(prefix, plen, flags & ND_RA_FLAG_RTPREF_MASK, life)

    def buffer_len(self) -> int:
        return 8 + (0 if self.prefix_len == 0 else 8 if self.prefix_len <= 64 else 16)

    def emit(self) -> bytes:
        n = self.buffer_len()
        return (nd_opt_route_info.pack(self.TYPE, n >> 3, self.prefix_len,
                                       self.preference & ND_RA_FLAG_RTPREF_MASK, self.lifetime)
                + self.prefix[:n - 8])


@dataclass(frozen=True)
class Rdnss:
    """RFC 8106 5.1, type 25: recursive DNS servers (for userland; the kernel skips it)."""

    addresses: tuple[bytes, ...]
    lifetime: int = 0xFFFFFFFF
    TYPE: ClassVar[int] = ND_OPT.RDNSS

    @classmethod
    def parse(cls, data: bytes) -> "Rdnss":
        olen = _check_hdr(data, cls.TYPE, 24)
        if (data[1] - 1) % 2:       # RFC 8106 5.1: minimum 3, (len-1)/2 addresses
            raise ValueError("RDNSS: length must be odd")
        life = nd_opt_rdnss.unpack_from(data)[3]
        return cls(tuple(bytes(data[o:o + 16]) for o in range(8, olen, 16)), life)

    def buffer_len(self) -> int:
        return 8 + 16 * len(self.addresses)

    def emit(self) -> bytes:
        return (nd_opt_rdnss.pack(self.TYPE, self.buffer_len() >> 3, 0, self.lifetime)
                + b"".join(self.addresses))


@dataclass(frozen=True)
class Dnssl:
    """RFC 8106 5.2, type 31: DNS search list (names in RFC 1035 3.1 encoding)."""

    domains: tuple[str, ...]
    lifetime: int = 0xFFFFFFFF
    TYPE: ClassVar[int] = ND_OPT.DNSSL

    @classmethod
    def parse(cls, data: bytes) -> "Dnssl":
        olen = _check_hdr(data, cls.TYPE, 16)
        life = nd_opt_rdnss.unpack_from(data)[3]
        names: list[str] = []
        off, labels = 8, []
        while off < olen:
            n = data[off]
            if n == 0:
                if labels:
                    names.append(".".join(labels))
                    labels = []
                off += 1                      # a zero ends a name, or pads the option
                continue
            if n > 63 or off + 1 + n > olen:
                raise ValueError("DNSSL: bad label")
            labels.append(bytes(data[off + 1:off + 1 + n]).decode("ascii", "replace"))
            off += 1 + n
        if labels:
            raise ValueError("DNSSL: unterminated name")
        return cls(tuple(names), life)

    def _names(self) -> bytes:
        out = b""
        for d in self.domains:
            for label in d.strip(".").split("."):
                out += bytes((len(label),)) + label.encode("ascii")
            out += b"\x00"
        return out

    def buffer_len(self) -> int:
        return 8 + ((len(self._names()) + 7) & ~7)

    def emit(self) -> bytes:
        names = self._names()
        n = self.buffer_len()
        return nd_opt_rdnss.pack(self.TYPE, n >> 3, 0, self.lifetime) + names + bytes(n - 8 - len(names))


@dataclass(frozen=True)
class UnknownOption:
    """An option this module does not know: kept as type and body."""

    type: int
    data: bytes = b""

    @classmethod
    def parse(cls, data: bytes) -> "UnknownOption":
        olen = _check_hdr(data, data[0] if data else 0, 8)
        return cls(data[0], bytes(data[2:olen]))

    def buffer_len(self) -> int:
        return nd_opt_len(len(self.data))

    def emit(self) -> bytes:
        return nd_opt_pack(self.type, self.data)


NdOption = Union[SourceLinkAddr, TargetLinkAddr, PrefixInformation, RedirectedHeader, Mtu,
                 Nonce, RouteInfo, Rdnss, Dnssl, UnknownOption]

_OPTION_CLASSES: dict[int, type] = {
    ND_OPT.SOURCE_LINKADDR: SourceLinkAddr, ND_OPT.TARGET_LINKADDR: TargetLinkAddr,
    ND_OPT.PREFIX_INFORMATION: PrefixInformation, ND_OPT.REDIRECTED_HEADER: RedirectedHeader,
    ND_OPT.MTU: Mtu, ND_OPT.NONCE: Nonce, ND_OPT.ROUTE_INFO: RouteInfo,
    ND_OPT.RDNSS: Rdnss, ND_OPT.DNSSL: Dnssl,
}


def parse_options(data: bytes, maxndopt: int = 1 << 30) -> tuple[NdOption, ...]:
    """Parse an option list into values, walking it with :func:`nd6_option`
    as the kernel does; ValueError (NdOptError for the walk) for anything malformed."""
    out: list[NdOption] = []
    off = 0
    n = len(data)
    while off < n:
        olen = nd6_option(data, off, n)
        if len(out) >= maxndopt:
            break
        cls = _OPTION_CLASSES.get(data[off], UnknownOption)
        out.append(cls.parse(data[off:off + olen]))
        off += olen
    return tuple(out)


def emit_options(options: tuple[NdOption, ...]) -> bytes:
    return b"".join(o.emit() for o in options)


# -- message values -----------------------------------------------------------------------
class _NdMessage:
    """Shared parse/emit plumbing: fixed part + options; the checksum is set by
    ``emit(src, dst)`` (left zero without addresses).

    ``_HDR`` is the fixed part (type, code, checksum, then the message's own
    fields); ``_FIELDS`` names the dataclass field each of those holds
    (None: reserved, zero on output); ``_MASKS`` keeps only the defined bits."""

    TYPE: ClassVar[int] = 0
    MINLEN: ClassVar[int] = 8
    _HDR: ClassVar[struct.Struct]
    _FIELDS: ClassVar[tuple[Optional[str], ...]] = ()
    _MASKS: ClassVar[dict[str, int]] = {}

    @classmethod
    def parse(cls, data: bytes):  # type: ignore[no-untyped-def]
        cls._check(data)
        _, code, _, *fixed = cls._HDR.unpack_from(data)
        kw = {name: cls._masked(name, v) for name, v in zip(cls._FIELDS, fixed) if name}
        return cls(**kw, options=parse_options(bytes(data[cls.MINLEN:])), code=code)

    @classmethod
    def _masked(cls, name: str, value: Any) -> Any:
        mask = cls._MASKS.get(name)
        return value if mask is None else value & mask

    def _fixed(self) -> bytes:
        vals = [self._masked(name, getattr(self, name)) if name else 0 for name in self._FIELDS]
        return self._HDR.pack(self.TYPE, self.code, 0, *vals)  # type: ignore[attr-defined]

    def buffer_len(self) -> int:
        return self.MINLEN + sum(o.buffer_len() for o in self.options)  # type: ignore[attr-defined]

    def emit(self, src: Optional[bytes] = None, dst: Optional[bytes] = None) -> bytes:
        b = bytearray(self._fixed() + emit_options(self.options))  # type: ignore[attr-defined]
        if src is not None and dst is not None:
            _u16.pack_into(b, 2, nd6_cksum(src, dst, b))
        return bytes(b)

    @classmethod
    def _check(cls, data: bytes) -> None:
        if len(data) < cls.MINLEN:
            raise ValueError(f"ND type {cls.TYPE}: shorter than {cls.MINLEN} octets")
        if data[0] != cls.TYPE:
            raise ValueError(f"ND: type {data[0]}, expected {cls.TYPE}")

    def option(self, cls: type) -> Optional[NdOption]:
        for o in self.options:  # type: ignore[attr-defined]
            if type(o) is cls:
                return o
        return None


@dataclass(frozen=True)
class RouterSolicit(_NdMessage):
    """RFC 4861 4.1."""

    options: tuple[NdOption, ...] = ()
    code: int = 0
    TYPE: ClassVar[int] = ND_ROUTER_SOLICIT
    MINLEN: ClassVar[int] = ND_RS_MINLEN
    _HDR: ClassVar[struct.Struct] = nd_router_solicit
    _FIELDS: ClassVar[tuple[Optional[str], ...]] = (None,)


@dataclass(frozen=True)
class RouterAdvert(_NdMessage):
    """RFC 4861 4.2."""

    cur_hop_limit: int = 64
    flags: int = 0
    router_lifetime: int = 1800        # seconds
    reachable_time: int = 0            # ms, 0 = unspecified
    retrans_timer: int = 0             # ms, 0 = unspecified
    options: tuple[NdOption, ...] = ()
    code: int = 0
    TYPE: ClassVar[int] = ND_ROUTER_ADVERT
    MINLEN: ClassVar[int] = ND_RA_MINLEN
    _HDR: ClassVar[struct.Struct] = nd_router_advert
    _FIELDS: ClassVar[tuple[Optional[str], ...]] = (
        "cur_hop_limit", "flags", "router_lifetime", "reachable_time", "retrans_timer")


@dataclass(frozen=True)
class NeighborSolicit(_NdMessage):
    """RFC 4861 4.3."""

    target: bytes = bytes(16)
    options: tuple[NdOption, ...] = ()
    code: int = 0
    TYPE: ClassVar[int] = ND_NEIGHBOR_SOLICIT
    MINLEN: ClassVar[int] = ND_NS_MINLEN
    _HDR: ClassVar[struct.Struct] = nd_neighbor_solicit
    _FIELDS: ClassVar[tuple[Optional[str], ...]] = (None, "target")


@dataclass(frozen=True)
class NeighborAdvert(_NdMessage):
    """RFC 4861 4.4 (``flags`` holds the R/S/O bits as ND_NA_FLAG_*)."""

    target: bytes = bytes(16)
    flags: int = 0
    options: tuple[NdOption, ...] = ()
    code: int = 0
    TYPE: ClassVar[int] = ND_NEIGHBOR_ADVERT
    MINLEN: ClassVar[int] = ND_NA_MINLEN
    _HDR: ClassVar[struct.Struct] = nd_neighbor_advert
    _FIELDS: ClassVar[tuple[Optional[str], ...]] = ("flags", "target")
    _MASKS: ClassVar[dict[str, int]] = {"flags": 0xE0000000}     # R, S, O; the rest reserved

    @property
    def router(self) -> bool:
        return bool(self.flags & ND_NA_FLAG_ROUTER)

    @property
    def solicited(self) -> bool:
        return bool(self.flags & ND_NA_FLAG_SOLICITED)

    @property
    def override(self) -> bool:
        return bool(self.flags & ND_NA_FLAG_OVERRIDE)


@dataclass(frozen=True)
class Redirect(_NdMessage):
    """RFC 4861 4.5."""

    target: bytes = bytes(16)
    destination: bytes = bytes(16)
    options: tuple[NdOption, ...] = ()
    code: int = 0
    TYPE: ClassVar[int] = ND_REDIRECT
    MINLEN: ClassVar[int] = ND_REDIRECT_MINLEN
    _HDR: ClassVar[struct.Struct] = nd_redirect
    _FIELDS: ClassVar[tuple[Optional[str], ...]] = (None, "target", "destination")


NdMessage = Union[RouterSolicit, RouterAdvert, NeighborSolicit, NeighborAdvert, Redirect]
_MESSAGES: dict[int, type] = {c.TYPE: c for c in (RouterSolicit, RouterAdvert, NeighborSolicit,
                                                   NeighborAdvert, Redirect)}


def parse_nd(data: bytes) -> NdMessage:
    """Parse any ND message by its ICMPv6 type (ValueError if not ND or malformed)."""
    if not data:
        raise ValueError("ND: empty message")
    cls = _MESSAGES.get(data[0])
    if cls is None:
        raise ValueError(f"ND: type {data[0]} is not a Neighbor Discovery message")
    return cls.parse(data)


