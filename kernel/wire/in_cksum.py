"""The Internet checksum (sys/netinet/in_cksum.c, sys/netinet6/in6_cksum.c).

RFC 1071: the 16-bit one's complement of the one's complement sum of the
data taken as 16-bit words.  RFC 8200 8.1: upper-layer checksums over IPv6
(ICMPv6, UDP, TCP) also cover a pseudo-header of source address,
destination address, upper-layer packet length (32 bits) and next header.

The sum is computed without a loop: the data is read as one big integer
(``int.from_bytes``) and reduced modulo 0xFFFF.  Since 2**16 == 1 (mod 0xFFFF),
that residue is the one's complement sum of the 16-bit words (RFC 1071 2(B):
the sum is independent of byte grouping), folded; only "all zero" and
"negative zero" share residue 0, and they are told apart by the value itself.
Partial sums are plain ints and add up in any order (RFC 1071 2(C): parallel
summation), so the pseudo-header is summed apart from the payload.
"""
from __future__ import annotations

from typing import Union

Buffer = Union[bytes, bytearray, memoryview]

_M = 0xFFFF


def in_cksum_sum(data: Buffer) -> int:
    """The partial sum of ``data`` as an int congruent to its word sum (mod 0xFFFF).

    An odd trailing byte is padded with a zero octet (RFC 1071 4.1).
    """
    v = int.from_bytes(data, "big")
    if len(data) & 1:
        v <<= 8
    return v


def in_cksum_fold(total: int) -> int:
    """Turn a partial sum into the checksum field value (one's complement)."""
    r = total % _M
    if r:
        return _M - r
    return 0 if total else _M       # "negative zero" sum -> 0; all-zero data -> 0xFFFF


def in_cksum(data: Buffer, initial: int = 0) -> int:
    """RFC 1071 checksum of ``data``; 0 when ``data`` already holds a correct checksum."""
    v = int.from_bytes(data, "big")
    if len(data) & 1:
        v <<= 8
    return in_cksum_fold(v + initial)


def in6_cksum_phdr(src: bytes, dst: bytes, length: int, nxt: int) -> int:
    """Partial sum of the RFC 8200 8.1 pseudo-header.

    The 32-bit length contributes its two words and the next header the low
    byte of the last word; modulo 0xFFFF, ``length + nxt`` is the same sum.
    """
    return int.from_bytes(src + dst, "big") + length + nxt


def in6_cksum(buf: Buffer, ip6off: int, nxt: int, off: int, length: int) -> int:
    """The upper-layer checksum of a packet in ``buf`` (BSD ``in6_cksum(m, nxt, off, len)``).

    ``ip6off`` is where the IPv6 header starts (its source and destination are
    the pseudo-header's), ``off`` where the upper-layer header starts and
    ``length`` how many bytes it covers; all offsets are into ``buf``.  Returns
    the value for the checksum field; verifying a received packet, 0 means good.
    """
    mv = memoryview(buf)
    v = (int.from_bytes(mv[ip6off + 8:ip6off + 40], "big") + length + nxt)
    p = int.from_bytes(mv[off:off + length], "big")
    mv.release()
    if length & 1:
        p <<= 8
    return in_cksum_fold(v + p)


def in6_cksum_data(src: bytes, dst: bytes, nxt: int, data: Buffer) -> int:
    """Checksum of an upper-layer packet ``data`` between ``src`` and ``dst``."""
    return in_cksum_fold(in6_cksum_phdr(src, dst, len(data), nxt) + in_cksum_sum(data))


__all__ = ["in_cksum", "in_cksum_sum", "in_cksum_fold", "in6_cksum", "in6_cksum_phdr",
           "in6_cksum_data"]
