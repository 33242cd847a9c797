"""libc: the RFC 3542 helpers for IPv6 extension headers (lib/libc/net/ip6opt.c, rthdr.c).

Options headers (RFC 3542 10; the options of RFC 8200 4.2) —
``inet6_opt_init``, ``inet6_opt_append``, ``inet6_opt_finish``,
``inet6_opt_set_val`` build a Hop-by-Hop or Destination Options header;
``inet6_opt_next``, ``inet6_opt_find``, ``inet6_opt_get_val`` walk one
(IPV6_HOPOPTS / IPV6_DSTOPTS ancillary data or sticky options).  Routing
headers (RFC 3542 7; type 0 of RFC 2460 4.4) — ``inet6_rth_space``,
``inet6_rth_init``, ``inet6_rth_add``, ``inet6_rth_reverse``,
``inet6_rth_segments``, ``inet6_rth_getaddr``.

C hands out pointers into the caller's buffer; here the buffer is a
``bytearray`` and the "pointer" a ``memoryview`` into it: ``inet6_opt_append``
returns ``(offset, databuf)`` where C sets ``*databufp``, and the walkers
return the type, length and data with the offset.  Results and error values
(-1, None for NULL) are C's, computed as FreeBSD's libc does: an option is
padded (Pad1 or PadN) so that ``offset + 2 + len`` is a multiple of its
``align`` — which puts the option's last ``align``-sized field on its
natural boundary, the layouts of RFC 2460 Appendix B.
"""
from __future__ import annotations

from typing import Optional, Union

Buffer = Union[bytearray, memoryview]

IP6OPT_PAD1 = 0x00
IP6OPT_PADN = 0x01
IPV6_RTHDR_TYPE_0 = 0


# -- options headers (RFC 3542 10) ---------------------------------------------------------------
def inet6_opt_init(extbuf: Optional[Buffer], extlen: int) -> int:
    """10.1: the length of the empty header (2); sets Hdr Ext Len when ``extbuf``
    is given, whose length must be a positive multiple of 8 (else -1)."""
    if extbuf is not None:
        if extlen <= 0 or extlen % 8 or extlen > len(extbuf):
            return -1
        extbuf[1] = (extlen >> 3) - 1
    return 2                                    # Next Header and Hdr Ext Len


def inet6_opt_append(extbuf: Optional[Buffer], extlen: int, offset: int, type: int, optlen: int,
                     align: int) -> tuple[int, Optional[memoryview]]:
    """10.2: the length of the header with one more option (padding first), and
    a view on the option's data (None without ``extbuf``); (-1, None) if the
    option is invalid or does not fit."""
    # "the option type must have a value from 2 to 255" (0 and 1 are Pad1, PadN)
    if type < 2 or type > 255:
        return -1, None
    if optlen < 0 or optlen > 255:               # the Opt Data Len
        return -1, None
    # "The align parameter must have a value of 1, 2, 4, or 8 ... can not exceed len"
    if align not in (1, 2, 4, 8) or align > optlen:
        return -1, None
    currentlen = offset + 2 + optlen
    padlen = (align - currentlen % align) % align
    currentlen += padlen
    if extlen and currentlen > extlen:
        return -1, None
    if extbuf is None:
        return currentlen, None
    if currentlen > extlen:
        return -1, None
    p = offset
    if padlen == 1:
        extbuf[p] = IP6OPT_PAD1
        p += 1
    elif padlen > 0:
        extbuf[p] = IP6OPT_PADN
        extbuf[p + 1] = padlen - 2
        extbuf[p + 2:p + padlen] = bytes(padlen - 2)
        p += padlen
    extbuf[p] = type
    extbuf[p + 1] = optlen
    return currentlen, memoryview(extbuf)[p + 2:p + 2 + optlen]


def inet6_opt_finish(extbuf: Optional[Buffer], extlen: int, offset: int) -> int:
    """10.3: the header length rounded up to 8 octets, with the padding written
    when ``extbuf`` is given (-1 if it does not fit)."""
    updatelen = (1 + ((offset - 1) | 7)) if offset > 0 else 0
    if extbuf is not None:
        if updatelen > extlen:
            return -1
        padlen = updatelen - offset
        if padlen == 1:
            extbuf[offset] = IP6OPT_PAD1
        elif padlen > 0:
            extbuf[offset] = IP6OPT_PADN
            extbuf[offset + 1] = padlen - 2
            extbuf[offset + 2:updatelen] = bytes(padlen - 2)
    return updatelen


def inet6_opt_set_val(databuf: memoryview, offset: int, val: bytes, vallen: int = -1) -> int:
    """10.4: copy ``val`` into the option data at ``offset``; the offset after it."""
    n = len(val) if vallen < 0 else vallen
    databuf[offset:offset + n] = bytes(val[:n])
    return offset + n


def _optlen(buf: Buffer, p: int, lim: int) -> int:
    """The length of the option at ``p`` (type, length and data), 0 if it overruns."""
    if buf[p] == IP6OPT_PAD1:
        return 1
    if p + 1 >= lim:
        return 0
    n = buf[p + 1] + 2
    return n if p + n <= lim else 0


def inet6_opt_next(extbuf: Buffer, extlen: int,
                   offset: int) -> tuple[int, int, int, Optional[memoryview]]:
    """10.5: the option after ``offset`` (0: the first), skipping padding:
    (offset after it, type, data length, data), or (-1, 0, 0, None)."""
    if extlen == 0 or extlen % 8 or extlen > len(extbuf):
        return -1, 0, 0, None
    p = 2 if offset == 0 else offset
    while p < extlen:
        n = _optlen(extbuf, p, extlen)
        if n == 0:
            break
        if extbuf[p] not in (IP6OPT_PAD1, IP6OPT_PADN):
            return p + n, extbuf[p], n - 2, memoryview(extbuf)[p + 2:p + n]
        p += n
    return -1, 0, 0, None


def inet6_opt_find(extbuf: Buffer, extlen: int, offset: int,
                   type: int) -> tuple[int, int, Optional[memoryview]]:
    """10.6: the next option of ``type`` after ``offset``: (offset after it,
    data length, data), or (-1, 0, None)."""
    if extlen == 0 or extlen % 8 or extlen > len(extbuf):
        return -1, 0, None
    p = 2 if offset == 0 else offset
    while p < extlen:
        n = _optlen(extbuf, p, extlen)
        if n == 0:
            break
        if extbuf[p] == type:
            return p + n, n - 2, memoryview(extbuf)[p + 2:p + n]
        p += n
    return -1, 0, None


def inet6_opt_get_val(databuf: Buffer, offset: int, vallen: int) -> tuple[int, bytes]:
    """10.7: (offset after the value, the ``vallen`` octets at ``offset``)."""
    return offset + vallen, bytes(databuf[offset:offset + vallen])


# -- routing headers (RFC 3542 7) ----------------------------------------------------------------
def inet6_rth_space(type: int, segments: int) -> int:
    """7.1: octets for a routing header of ``type`` with ``segments`` addresses
    (0 for an unsupported type or a bad count)."""
    if type != IPV6_RTHDR_TYPE_0 or segments < 0 or segments > 127:
        return 0
    return 8 + 16 * segments


def inet6_rth_init(bp: Buffer, bp_len: int, type: int, segments: int) -> Optional[Buffer]:
    """7.2: an empty routing header in ``bp`` (Hdr Ext Len for ``segments``
    addresses, Segments Left 0); None when the type or the room is wrong."""
    space = inet6_rth_space(type, segments)
    if space == 0 or bp_len < space or len(bp) < space:
        return None
    bp[:space] = bytes(space)
    bp[1] = segments * 2                         # in 8-octet units: two per address
    bp[2] = type
    return bp


def inet6_rth_add(bp: Buffer, addr: bytes) -> int:
    """7.3: add ``addr`` after the addresses already there (Segments Left counts
    them); -1 for a bad type or a full header."""
    if bp[2] != IPV6_RTHDR_TYPE_0 or len(addr) != 16:
        return -1
    n = bp[3]
    if n >= bp[1] // 2:
        return -1
    p = 8 + 16 * n
    bp[p:p + 16] = addr
    bp[3] = n + 1
    return 0


def inet6_rth_reverse(in_: Buffer, out: Buffer) -> int:
    """7.4: the header that takes datagrams back along the route ``in_`` came by:
    the addresses in reverse order, Segments Left all of them (``in_`` and
    ``out`` may be the same buffer); -1 for a bad header."""
    if in_[2] != IPV6_RTHDR_TYPE_0 or in_[1] % 2:
        return -1
    segments = in_[1] // 2
    n = (in_[1] + 1) << 3
    hdr = bytearray(in_[:n])
    addrs = [bytes(hdr[8 + 16 * i:24 + 16 * i]) for i in range(segments)]
    hdr[3] = segments
    for i, a in enumerate(reversed(addrs)):
        hdr[8 + 16 * i:24 + 16 * i] = a
    out[:n] = hdr
    return 0


def inet6_rth_segments(bp: Buffer) -> int:
    """7.5: the number of addresses in the header, -1 for a bad one."""
    if bp[2] != IPV6_RTHDR_TYPE_0 or bp[1] % 2:
        return -1
    return bp[1] // 2


def inet6_rth_getaddr(bp: Buffer, index: int) -> Optional[memoryview]:
    """7.6: the address at ``index`` (0 first), None out of range."""
    n = inet6_rth_segments(bp)
    if n < 0 or index < 0 or index >= n:
        return None
    return memoryview(bp)[8 + 16 * index:24 + 16 * index]


__all__ = ["inet6_opt_init", "inet6_opt_append", "inet6_opt_finish", "inet6_opt_set_val",
           "inet6_opt_next", "inet6_opt_find", "inet6_opt_get_val", "inet6_rth_space",
           "inet6_rth_init", "inet6_rth_add", "inet6_rth_reverse", "inet6_rth_segments",
           "inet6_rth_getaddr", "IP6OPT_PAD1", "IP6OPT_PADN", "IPV6_RTHDR_TYPE_0"]
