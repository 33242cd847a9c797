"""<netinet/ip.h>: the IPv4 header and its options.

RFC 791 3.1 (the header: version, IHL, type of service, total length,
identification, flags DF/MF, fragment offset, TTL, protocol, header
checksum, addresses, options), RFC 1122 3.2.1 (what a host checks of it),
RFC 1071 (the checksum).  Options (RFC 791 3.1): End of Option List and
No-Operation are one octet; every other option is type, length, data, and a
length below 2 or beyond the header makes the header malformed.  The high
bit of the type is the "copied" flag: fragments carry the options that have
it (RFC 791 3.2).

As in kernel/wire/ip6.py: a precompiled ``struct.Struct`` (``ip_hdr``) for
the kernel's hot path; for everyone else a view (:class:`ip_packet`, checked
once) and a frozen value (:class:`ip_repr`) with ``parse``, ``buffer_len``
and ``emit``.  ``in4_cksum`` is the upper-layer checksum over the IPv4
pseudo-header (RFC 768, RFC 793 3.1).  IPPROTO_* numbers are in ip6.py
(<netinet/in.h> has one list for both).
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import IntEnum
from typing import Union

from kernel.wire.in_cksum import in_cksum, in_cksum_fold
from kernel.wire.ip6 import Malformed, Truncated

Buffer = Union[bytes, bytearray, memoryview]

IPVERSION = 4
IP_HDR_LEN = 20                  # sizeof(struct ip) without options
IP_MAXPACKET = 65535             # maximum packet size (RFC 791 3.1: Total Length is 16 bits)
MAX_IPOPTLEN = 40                # the IHL field allows 60 octets of header

# ip_off (RFC 791 3.1: "Flags: 3 bits"; "Fragment Offset: 13 bits")
IP_RF = 0x8000                   # reserved fragment flag, must be zero
IP_DF = 0x4000                   # don't fragment
IP_MF = 0x2000                   # more fragments
IP_OFFMASK = 0x1FFF              # fragment offset, in 8-octet units

MAXTTL = 255
IPDEFTTL = 64                    # RFC 1700 / FreeBSD net.inet.ip.ttl
IPTTLDEC = 1                     # RFC 1812 5.3.1: a router decrements TTL by one
IP_MSS = 576                     # RFC 791 3.1: every host must accept 576-octet datagrams
IPFRAGTTL = 60                   # BSD: 60 slow-timeout ticks (PR_SLOWHZ 2) = 30 seconds
IP_FRAG_TIMEOUT_SEC = IPFRAGTTL // 2
IP_DEFAULT_MULTICAST_TTL = 1     # RFC 1112 6.1
IP_DEFAULT_MULTICAST_LOOP = 1

# struct ip: ip_vhl, ip_tos, ip_len, ip_id, ip_off, ip_ttl, ip_p, ip_sum, ip_src, ip_dst
ip_hdr = struct.Struct("!BBHHHBBH4s4s")
IP_SUM_OFF = 10                  # offset of ip_sum in the header


# -- options (RFC 791 3.1) ------------------------------------------------------------------
class IPOPT(IntEnum):
    EOL = 0               # end of option list
    NOP = 1               # no operation
    RR = 7                # record packet route
    TS = 68               # timestamp
    SECURITY = 130        # provide s,c,h,tcc (RFC 1108)
    LSRR = 131            # loose source route
    SATID = 136           # satnet id
    SSRR = 137            # strict source route
    RA = 148              # router alert (RFC 2113)


IPOPT_EOL = 0
IPOPT_NOP = 1
IPOPT_RR = 7
IPOPT_TS = 68
IPOPT_SECURITY = 130
IPOPT_LSRR = 131
IPOPT_SATID = 136
IPOPT_SSRR = 137
IPOPT_RA = 148
# offsets within an option
IPOPT_OPTVAL = 0
IPOPT_OLEN = 1
IPOPT_OFFSET = 2
IPOPT_MINOFF = 4                 # the smallest pointer of RR, LSRR, SSRR (RFC 791 3.1)
IPOPT_TS_MINOFF = 5              # the smallest pointer of a timestamp option


def IPOPT_COPIED(o: int) -> bool:
    """RFC 791 3.1: the copied flag, "1 = copied" into all fragments."""
    return bool(o & 0x80)


def ip_options_walk(opts: Buffer) -> list[tuple[int, int, int]]:
    """The options of an IPv4 header as (offset within ``opts``, type, length).

    Raises :class:`Malformed` for an option whose length is below 2 or runs
    past the end (so a walk always terminates); stops at End of Option List.
    """
    out = []
    i = 0
    n = len(opts)
    while i < n:
        t = opts[i]
        if t == IPOPT_EOL:
            break
        if t == IPOPT_NOP:
            out.append((i, t, 1))
            i += 1
            continue
        if i + 1 >= n:
            raise Malformed(f"IPv4 option {t} at {i}: no room for its length")
        ln = opts[i + 1]
        if ln < 2 or i + ln > n:
            raise Malformed(f"IPv4 option {t} at {i}: length {ln} is not within 2..{n - i}")
        out.append((i, t, ln))
        i += ln
    return out


# -- the checksums -------------------------------------------------------------------------
def ip_header_cksum(buf: Buffer, off: int, hlen: int) -> int:
    """RFC 791 3.1: "the 16 bit one's complement of the one's complement sum of all
    16 bit words in the header" — 0 when verifying a correct header."""
    mv = memoryview(buf)
    try:
        return in_cksum(mv[off:off + hlen])
    finally:
        mv.release()


def in4_cksum(buf: Buffer, ipoff: int, proto: int, off: int, length: int) -> int:
    """The upper-layer checksum of a packet in ``buf`` over the IPv4 pseudo-header
    (source, destination, zero, protocol, length: RFC 768, RFC 793 3.1); BSD's
    ``in4_cksum(m, nxt, off, len)``.  Offsets are into ``buf``."""
    mv = memoryview(buf)
    v = int.from_bytes(mv[ipoff + 12:ipoff + 20], "big") + length + proto
    p = int.from_bytes(mv[off:off + length], "big")
    mv.release()
    if length & 1:
        p <<= 8
    return in_cksum_fold(v + p)


def in4_cksum_data(src: bytes, dst: bytes, proto: int, data: Buffer) -> int:
    """Checksum of an upper-layer packet ``data`` between ``src`` and ``dst``."""
    v = int.from_bytes(data, "big")
    if len(data) & 1:
        v <<= 8
    return in_cksum_fold(int.from_bytes(src + dst, "big") + len(data) + proto + v)


# -- view and value -------------------------------------------------------------------------
class ip_packet:
    """A view of an IPv4 packet: ``check_len`` once, then read."""

    __slots__ = ("buf",)

    def __init__(self, buf: Buffer) -> None:
        self.buf = buf

    @classmethod
    def new_checked(cls, buf: Buffer) -> "ip_packet":
        p = cls(buf)
        p.check_len()
        return p

    def check_len(self) -> None:
        n = len(self.buf)
        if n < IP_HDR_LEN:
            raise Truncated(f"IPv4 header needs {IP_HDR_LEN} bytes, got {n}")
        if self.version != IPVERSION:
            raise Malformed(f"IPv4 version {self.version}")
        if self.header_len < IP_HDR_LEN:
            raise Malformed(f"IPv4 header length {self.header_len} is below {IP_HDR_LEN}")
        if self.header_len > n:
            raise Truncated(f"IPv4 header length {self.header_len} exceeds the {n} bytes present")
        if self.total_len < self.header_len:
            raise Malformed(f"IPv4 total length {self.total_len} is below the header length")
        if self.total_len > n:
            raise Truncated(f"IPv4 total length {self.total_len} exceeds the {n} bytes present")

    @property
    def version(self) -> int:
        return self.buf[0] >> 4

    @property
    def header_len(self) -> int:
        return (self.buf[0] & 0x0F) << 2

    @property
    def tos(self) -> int:
        return self.buf[1]

    @property
    def total_len(self) -> int:
        return (self.buf[2] << 8) | self.buf[3]

    @property
    def ident(self) -> int:
        return (self.buf[4] << 8) | self.buf[5]

    @property
    def frag_off(self) -> int:
        """The flags and fragment offset word (``ip_off``)."""
        return (self.buf[6] << 8) | self.buf[7]

    @property
    def ttl(self) -> int:
        return self.buf[8]

    @property
    def protocol(self) -> int:
        return self.buf[9]

    @property
    def checksum(self) -> int:
        return (self.buf[10] << 8) | self.buf[11]

    @property
    def src_addr(self) -> bytes:
        return bytes(self.buf[12:16])

    @property
    def dst_addr(self) -> bytes:
        return bytes(self.buf[16:20])

    @property
    def options(self) -> bytes:
        return bytes(self.buf[IP_HDR_LEN:self.header_len])

    @property
    def payload(self) -> bytes:
        return bytes(self.buf[self.header_len:self.total_len])


@dataclass(frozen=True)
class ip_repr:
    """A checked IPv4 packet (RFC 791 3.1).  Defaults: TTL 64, TOS 0, no options;
    ``off`` is the flags and fragment offset word."""

    src: bytes
    dst: bytes
    protocol: int
    payload: bytes = b""
    ttl: int = IPDEFTTL
    tos: int = 0
    ident: int = 0
    off: int = 0
    options: bytes = b""

    @classmethod
    def parse(cls, buf: Buffer, verify: bool = True) -> "ip_repr":
        p = ip_packet.new_checked(buf)
        if verify and ip_header_cksum(buf, 0, p.header_len) != 0:
            raise Malformed("IPv4 header checksum mismatch")
        ip_options_walk(p.options)
        return cls(p.src_addr, p.dst_addr, p.protocol, p.payload, p.ttl, p.tos, p.ident,
                   p.frag_off, p.options)

    def header_len(self) -> int:
        return IP_HDR_LEN + ((len(self.options) + 3) & ~3)

    def buffer_len(self) -> int:
        return self.header_len() + len(self.payload)

    def emit(self, buf: bytearray | memoryview, off: int = 0) -> None:
        hlen = self.header_len()
        n = hlen + len(self.payload)
        if n > IP_MAXPACKET or hlen > IP_HDR_LEN + MAX_IPOPTLEN:
            raise Malformed(f"IPv4 packet of {n} bytes with a {hlen}-byte header")
        ip_hdr.pack_into(buf, off, 0x40 | (hlen >> 2), self.tos, n, self.ident, self.off,
                         self.ttl, self.protocol, 0, self.src, self.dst)
        opts = self.options.ljust(hlen - IP_HDR_LEN, b"\0")
        buf[off + IP_HDR_LEN:off + hlen] = opts
        ck = ip_header_cksum(buf, off, hlen)
        buf[off + IP_SUM_OFF] = ck >> 8
        buf[off + IP_SUM_OFF + 1] = ck & 0xFF
        buf[off + hlen:off + n] = self.payload

    def to_bytes(self) -> bytes:
        b = bytearray(self.buffer_len())
        self.emit(b, 0)
        return bytes(b)

