"""<netinet6/in6.h>: IPv6 addresses, scopes and ``sockaddr_in6``.

Shared by the kernel and userland.  Addresses are 16-byte ``bytes``.  Scope
zones (RFC 4007) are not embedded in the address, as KAME did inside the
kernel: the zone id travels in ``sockaddr_in6.sin6_scope_id``.  The textual
form (RFC 4291 section 2.2, RFC 5952 canonical output, RFC 4007 section 11
``%zone``) is parsed and printed here.
"""
from __future__ import annotations

import ipaddress
import struct
from dataclasses import dataclass
from enum import IntEnum

AF_INET = 2
AF_INET6 = 28                      # FreeBSD's value
SIN6_LEN = 28

IN6ADDR_ANY = bytes(16)
IN6ADDR_LOOPBACK = bytes(15) + b"\x01"
IN6ADDR_LINKLOCAL_ALLNODES = bytes.fromhex("ff020000000000000000000000000001")
IN6ADDR_LINKLOCAL_ALLROUTERS = bytes.fromhex("ff020000000000000000000000000002")
IN6ADDR_LINKLOCAL_ALLV2ROUTERS = bytes.fromhex("ff020000000000000000000000000016")
IN6ADDR_NODELOCAL_ALLNODES = bytes.fromhex("ff010000000000000000000000000001")


class IPV6_ADDR_SCOPE(IntEnum):
    """Scope values (RFC 4291 2.7, RFC 4007)."""

    NODELOCAL = 0x01               # interface-local
    INTFACELOCAL = 0x01
    LINKLOCAL = 0x02
    SITELOCAL = 0x05
    ORGLOCAL = 0x08
    GLOBAL = 0x0E


def IN6_IS_ADDR_UNSPECIFIED(a: bytes) -> bool:
    return a == IN6ADDR_ANY


def IN6_IS_ADDR_LOOPBACK(a: bytes) -> bool:
    return a == IN6ADDR_LOOPBACK


def IN6_IS_ADDR_MULTICAST(a: bytes) -> bool:
    return a[0] == 0xFF


def IN6_IS_ADDR_LINKLOCAL(a: bytes) -> bool:
    return a[0] == 0xFE and (a[1] & 0xC0) == 0x80


def IN6_IS_ADDR_SITELOCAL(a: bytes) -> bool:
    return a[0] == 0xFE and (a[1] & 0xC0) == 0xC0


def IN6_IS_ADDR_V4MAPPED(a: bytes) -> bool:
    return a[:12] == bytes(10) + b"\xff\xff"


def IN6_IS_ADDR_MC_LINKLOCAL(a: bytes) -> bool:
    return a[0] == 0xFF and (a[1] & 0x0F) == IPV6_ADDR_SCOPE.LINKLOCAL


def IN6_IS_ADDR_MC_INTFACELOCAL(a: bytes) -> bool:
    return a[0] == 0xFF and (a[1] & 0x0F) == IPV6_ADDR_SCOPE.INTFACELOCAL


def in6_addrscope(a: bytes) -> int:
    """The scope of an address (RFC 4007 section 4; KAME in6_addrscope).

    Plain ints (the IPV6_ADDR_SCOPE values): this runs several times per packet."""
    b0 = a[0]
    if b0 == 0xFF:
        return a[1] & 0x0F
    if b0 == 0xFE:
        b1 = a[1] & 0xC0
        if b1 == 0x80:
            return 0x02                     # LINKLOCAL
        if b1 == 0xC0:
            return 0x05                     # SITELOCAL
    elif b0 == 0 and a == IN6ADDR_LOOPBACK:
        return 0x02                         # RFC 4007 4: loopback is link-local (lo0)
    return 0x0E                             # GLOBAL


def in6_is_scoped(a: bytes) -> bool:
    """True for addresses whose zone must be known: link-local unicast and
    interface- or link-local multicast (and the loopback address, link-local
    per RFC 4007 4)."""
    b0 = a[0]
    if b0 == 0xFE:
        return a[1] & 0xC0 == 0x80
    if b0 == 0xFF:
        return 1 <= a[1] & 0x0F <= 2
    return b0 == 0 and a == IN6ADDR_LOOPBACK


def in6_solicited_node(a: bytes) -> bytes:
    """ff02::1:ffXX:XXXX for ``a`` (RFC 4291 2.7.1)."""
    return bytes.fromhex("ff0200000000000000000001ff") + a[13:16]


def in6_prefix_mask(plen: int) -> bytes:
    if not 0 <= plen <= 128:
        raise ValueError(f"prefix length {plen}: expected 0..128")
    return ((((1 << plen) - 1) << (128 - plen)) if plen else 0).to_bytes(16, "big")


def in6_mask(a: bytes, plen: int) -> bytes:
    """``a`` with all bits after the first ``plen`` cleared."""
    if plen >= 128:
        return bytes(a)
    v = int.from_bytes(a, "big") & int.from_bytes(in6_prefix_mask(plen), "big")
    return v.to_bytes(16, "big")


def in6_are_prefix_equal(a: bytes, b: bytes, plen: int) -> bool:
    return in6_mask(a, plen) == in6_mask(b, plen)


def in6_matchlen(a: bytes, b: bytes) -> int:
    """Number of leading bits in common (KAME in6_matchlen)."""
    x = int.from_bytes(a, "big") ^ int.from_bytes(b, "big")
    return 128 - x.bit_length()


def in6_mask2len(mask: bytes) -> int:
    """Prefix length of a contiguous mask; -1 if the mask is not contiguous."""
    v = int.from_bytes(mask, "big")
    plen = 128 - (((~v) & ((1 << 128) - 1)).bit_length())
    return plen if in6_prefix_mask(plen) == mask else -1


def inet_pton6(text: str) -> bytes:
    """Parse an IPv6 address (no zone); ValueError names what was expected."""
    try:
        return ipaddress.IPv6Address(text).packed
    except ValueError:
        raise ValueError(f"{text}: expected an IPv6 address") from None


def inet_ntop6(a: bytes) -> str:
    """RFC 5952 canonical text (compressed, lower case)."""
    if len(a) != 16:
        raise ValueError("IPv6 address must be 16 bytes")
    return str(ipaddress.IPv6Address(bytes(a)))


def split_zone(text: str) -> tuple[str, str]:
    """``fe80::1%em0`` -> (``fe80::1``, ``em0``); no zone -> (text, "")."""
    addr, sep, zone = text.partition("%")
    return addr, zone


@dataclass(frozen=True)
class sockaddr_in6:
    """``struct sockaddr_in6`` (RFC 3493 3.3; 28 bytes with BSD's sin6_len)."""

    sin6_addr: bytes = IN6ADDR_ANY
    sin6_port: int = 0
    sin6_flowinfo: int = 0
    sin6_scope_id: int = 0

    sin6_len = SIN6_LEN
    sin6_family = AF_INET6
    _fmt = struct.Struct("!BBHI16sI")

    def pack(self) -> bytes:
        """The 28-byte BSD layout (len, family, port, flowinfo, addr, scope id).

        sin6_port and sin6_flowinfo are in network byte order; sin6_scope_id is
        host order on BSD, stored here big-endian too (the routing socket and
        PF_KEY are the only consumers, and both sides use this module).
        """
        return self._fmt.pack(SIN6_LEN, AF_INET6, self.sin6_port, self.sin6_flowinfo,
                              self.sin6_addr, self.sin6_scope_id)

    @classmethod
    def unpack(cls, data: bytes, off: int = 0) -> "sockaddr_in6":
        if len(data) - off < SIN6_LEN:
            raise ValueError("sockaddr_in6: truncated")
        ln, fam, port, flow, addr, scope = cls._fmt.unpack_from(data, off)
        if fam != AF_INET6 or ln < SIN6_LEN:
            raise ValueError("sockaddr_in6: bad length or family")
        return cls(addr, port, flow, scope)

    def __str__(self) -> str:
        s = inet_ntop6(self.sin6_addr)
        if self.sin6_scope_id:
            s += f"%{self.sin6_scope_id}"
        return f"[{s}]:{self.sin6_port}" if self.sin6_port else s
