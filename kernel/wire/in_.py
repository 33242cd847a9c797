"""<netinet/in.h> for IPv4: ``sockaddr_in``, dotted-quad text, address classes,
the IPPROTO_IP socket options.

(``in`` is a Python keyword, so this module is ``in_``.)  The IPv6 side is
kernel/wire/in6.py.  Inside the kernel an IPv4 address is a 4-byte ``bytes``
in network order.  The address tests follow RFC 1122 3.2.1.3 (0/8 "this
network", 127/8 loopback, limited broadcast), RFC 1112 4 (class D,
multicast), RFC 3927 (169.254/16 link-local) and RFC 1112 / RFC 3376 for the
well-known groups.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass

AF_INET = 2
INADDR_ANY = bytes(4)
INADDR_LOOPBACK = bytes((127, 0, 0, 1))
INADDR_BROADCAST = b"\xff\xff\xff\xff"
INADDR_NONE = INADDR_BROADCAST
INADDR_UNSPEC_GROUP = bytes((224, 0, 0, 0))
INADDR_ALLHOSTS_GROUP = bytes((224, 0, 0, 1))      # RFC 1112 4: all hosts, permanent
INADDR_ALLRTRS_GROUP = bytes((224, 0, 0, 2))
INADDR_ALLRPTS_GROUP = bytes((224, 0, 0, 22))     # RFC 3376 4.2.14: IGMPv3 reports
INADDR_MAX_LOCAL_GROUP = bytes((224, 0, 0, 255))
IN_LOOPBACKNET = 127
IPPROTO_IP = 0


# -- address classes (BSD's IN_* macros, on 4-byte addresses) --------------------------------
def IN_MULTICAST(a: bytes) -> bool:
    """Class D, 224/4 (RFC 1112 4)."""
    return a[0] & 0xF0 == 0xE0


def IN_EXPERIMENTAL(a: bytes) -> bool:
    """Class E, 240/4, and the limited broadcast address within it."""
    return a[0] & 0xF0 == 0xF0


IN_BADCLASS = IN_EXPERIMENTAL


def IN_ZERONET(a: bytes) -> bool:
    """0/8: "this network" (RFC 1122 3.2.1.3 (a), (b)); a source only."""
    return a[0] == 0


def IN_LOOPBACK(a: bytes) -> bool:
    """127/8 (RFC 1122 3.2.1.3 (g)): never on a wire."""
    return a[0] == IN_LOOPBACKNET


def IN_LINKLOCAL(a: bytes) -> bool:
    """169.254/16 (RFC 3927)."""
    return a[0] == 169 and a[1] == 254


def IN_LOCAL_GROUP(a: bytes) -> bool:
    """224.0.0/24: link-local groups, never forwarded (RFC 5771)."""
    return a[0] == 224 and a[1] == 0 and a[2] == 0


def in_classlen(a: bytes) -> int:
    """The prefix length of the address's class (RFC 791 2.3), the default netmask
    of an address configured without one: 8 (A), 16 (B), 24 (C), else 32."""
    if a[0] < 128:
        return 8
    if a[0] < 192:
        return 16
    if a[0] < 224:
        return 24
    return 32


def in_len2mask(plen: int) -> bytes:
    """The netmask of a prefix length (0..32)."""
    if not 0 <= plen <= 32:
        raise ValueError(f"IPv4 prefix length {plen} is not within 0..32")
    return ((0xFFFFFFFF << (32 - plen)) & 0xFFFFFFFF).to_bytes(4, "big")


def in_mask2len(mask: bytes) -> int:
    """The prefix length of a contiguous netmask; -1 if it is not one."""
    if len(mask) != 4:
        return -1
    v = int.from_bytes(mask, "big")
    inv = (~v) & 0xFFFFFFFF
    if inv & (inv + 1):
        return -1
    return 32 - inv.bit_length()


# -- IPPROTO_IP socket options (FreeBSD's values) ---------------------------------------------
IP_OPTIONS = 1              # buf/ip_opts; set/get IP options
IP_HDRINCL = 2              # int; header is included with data
IP_TOS = 3                  # int; IP type of service and preced.
IP_TTL = 4                  # int; IP time to live
IP_RECVOPTS = 5             # bool; receive all IP opts w/dgram
IP_RECVRETOPTS = 6          # bool; receive IP opts for response
IP_RECVDSTADDR = 7          # bool; receive IP dst addr w/dgram
IP_SENDSRCADDR = IP_RECVDSTADDR
IP_RETOPTS = 8              # ip_opts; set/get IP options
IP_MULTICAST_IF = 9         # struct in_addr; set/get IP multicast i/f
IP_MULTICAST_TTL = 10       # u_char; set/get IP multicast ttl
IP_MULTICAST_LOOP = 11      # u_char; set/get IP multicast loopback
IP_ADD_MEMBERSHIP = 12      # ip_mreq; add an IP group membership
IP_DROP_MEMBERSHIP = 13     # ip_mreq; drop an IP group membership
IP_PORTRANGE = 19           # int; range to choose for unspec port
IP_RECVIF = 20              # bool; receive reception if w/dgram
IP_IPSEC_POLICY = 21        # struct; get/set security policy (KAME)
IP_ONESBCAST = 23           # bool: send all-ones broadcast
IP_RECVTTL = 65             # bool; receive IP TTL w/dgram
IP_MINTTL = 66              # minimum TTL for packet or drop
IP_DONTFRAG = 67            # don't fragment packet
IP_RECVTOS = 68             # bool; receive IP TOS w/dgram
IP_ADD_SOURCE_MEMBERSHIP = 70   # join a source-specific group (RFC 3678)
IP_DROP_SOURCE_MEMBERSHIP = 71  # drop a single source
IP_BLOCK_SOURCE = 72            # block a source
IP_UNBLOCK_SOURCE = 73          # unblock a source
IP_MAX_MEMBERSHIPS = 4095       # per socket


@dataclass(frozen=True)
class ip_mreq:
    """``struct ip_mreq`` (IP_ADD_MEMBERSHIP, IP_DROP_MEMBERSHIP): the group and
    the address of the interface to join it on (INADDR_ANY: by route)."""

    imr_multiaddr: bytes
    imr_interface: bytes = INADDR_ANY


def inet_pton4(text: str) -> bytes:
    """Strict dotted quad (inet_pton(3): exactly four decimal parts, 0..255)."""
    parts = text.split(".")
    if len(parts) != 4:
        raise ValueError(f"{text}: expected an IPv4 address")
    out = bytearray()
    for p in parts:
        if not p.isdigit() or len(p) > 3 or (len(p) > 1 and p[0] == "0"):
            raise ValueError(f"{text}: expected an IPv4 address")
        v = int(p)
        if v > 255:
            raise ValueError(f"{text}: expected an IPv4 address")
        out.append(v)
    return bytes(out)


def inet_aton(text: str) -> bytes | None:
    """inet_aton(3): ``a.b.c.d``, ``a.b.c`` (c 16 bits), ``a.b`` (b 24 bits) or
    ``a`` (32 bits), each part decimal, octal (leading 0) or hex (0x); None if
    ``text`` is not one.  (inet_pton is the strict dotted quad.)"""
    parts = text.split(".")
    if not 1 <= len(parts) <= 4:
        return None
    vals = []
    for p in parts:
        try:
            if p[:2].lower() == "0x":
                v = int(p[2:], 16) if p[2:] else 0
            elif len(p) > 1 and p[0] == "0":
                v = int(p, 8)
            else:
                v = int(p, 10) if p.isdigit() else -1
        except ValueError:
            return None
        if v < 0:
            return None
        vals.append(v)
    last = vals.pop()
    if any(v > 255 for v in vals) or last >= 1 << (8 * (4 - len(vals))):
        return None
    return bytes(vals) + last.to_bytes(4 - len(vals), "big")


def inet_ntop4(a: bytes) -> str:
    if len(a) != 4:
        raise ValueError("IPv4 address must be 4 bytes")
    return ".".join(str(b) for b in a)


@dataclass(frozen=True)
class sockaddr_in:
    """``struct sockaddr_in`` (16 bytes with BSD's sin_len)."""

    sin_addr: bytes = INADDR_ANY
    sin_port: int = 0

    sin_len = 16
    sin_family = AF_INET
    _fmt = struct.Struct("!BBH4s8x")

    def pack(self) -> bytes:
        return self._fmt.pack(16, AF_INET, self.sin_port, self.sin_addr)

    @classmethod
    def unpack(cls, data: bytes, off: int = 0) -> "sockaddr_in":
        if len(data) - off < 16:
            raise ValueError("sockaddr_in: truncated")
        ln, fam, port, addr = cls._fmt.unpack_from(data, off)
        if fam != AF_INET:
            raise ValueError("sockaddr_in: bad family")
        return cls(addr, port)

    def __str__(self) -> str:
        s = inet_ntop4(self.sin_addr)
        return f"{s}:{self.sin_port}" if self.sin_port else s
