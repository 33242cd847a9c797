"""IPv6 fragment reassembly (sys/netinet6/frag6.c).

RFC 8200 4.5: fragments with the same source, destination and
identification are put back together within 60 seconds of the first to
arrive; the unfragmentable part and next header come from the fragment
with offset zero.  On top of it:

- RFC 5722 (now in RFC 8200 4.5): if any fragments overlap, the whole
  datagram is discarded and no ICMP error is sent.  An exact duplicate
  (same offset, same length, same bytes) is dropped alone, as RFC 5722 4
  allows.
- RFC 6946: an atomic fragment (offset 0, M clear) is processed in
  isolation, never queued.
- RFC 7112 5: a first fragment without the whole header chain is dropped
  with Parameter Problem code 3.
- Bounded memory, as FreeBSD: at most ``ip6_maxfragpackets`` datagrams in
  reassembly, ``ip6_maxfrags`` fragments in all and
  ``ip6_maxfragsperpacket`` per datagram (sysctl net.inet6.ip6.*).

Counters (``k.ip6stat``): ``ip6s_fragments`` per fragment received,
``ip6s_fragdropped`` per fragment dropped for any reason other than the two
below, ``ip6s_fragoverflow`` per fragment refused by a limit,
``ip6s_fragtimeout`` per fragment of a datagram that timed out; kamebox
adds the reasons ``ip6s_fragoverlap`` (datagrams), ``ip6s_fragbadlen`` and
``ip6s_fraghdrchain`` (fragments).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from kernel.kern.kern_sysctl import CTLTYPE_INT, SYSCTL_PROC
from kernel.kern.uipc_mbuf import MLEADING, mbuf
from kernel.net.reassq import fragq, fragq_build, fragq_table
from kernel.wire.icmp6 import (ICMP6_PARAM_PROB, ICMP6_PARAMPROB_FRAGHDRCHAIN,
                               ICMP6_PARAMPROB_HEADER, ICMP6_TIME_EXCEED_REASSEMBLY,
                               ICMP6_TIME_EXCEEDED)
from kernel.wire.ip6 import (IP6_FRAG_LEN, IP6_HDR_LEN, IP6F_MORE_FRAG, IP6F_OFF_MASK,
                             IP6F_RESERVED_MASK, IPPROTO_DONE, IPPROTO_ESP, IPPROTO_ICMPV6,
                             IPPROTO_NONE, IPPROTO_TCP, IPPROTO_UDP, IPV6_FRAG_TIMEOUT_SEC,
                             IPV6_MAXPACKET, ip6_exthdr_len, ip6_frag)

if TYPE_CHECKING:  # pragma: no cover
    from kernel.kern.init_main import Kernel

# RFC 7112: how much of each upper-layer header the first fragment must hold.
_UPPER_MIN = {IPPROTO_ICMPV6: 4, IPPROTO_UDP: 8, IPPROTO_TCP: 20, IPPROTO_ESP: 8}


class ip6q(fragq):
    """``struct ip6q``: one datagram being reassembled; ``fq_frags`` holds
    ``(offset, end, data)`` in arrival order, ``fq_total`` the fragmentable length."""

    __slots__ = ("ip6q_unfrag", "ip6q_nxt", "ip6q_bytes")

    def __init__(self, key: tuple) -> None:
        super().__init__(key)
        self.ip6q_unfrag: Optional[bytearray] = None  # unfragmentable part of the first fragment
        self.ip6q_nxt = -1                            # next header from the first fragment
        self.ip6q_bytes = 0


class frag6_state(fragq_table):
    """``k.frag6``: the reassembly queue (``ip6q``; ``frag6_nfrags`` fragments in all)."""

    @property
    def ip6q(self) -> dict[tuple, ip6q]:
        return self.fq

    @property
    def frag6_nfrags(self) -> int:
        return self.fq_nfrags


def frag6_init(k: "Kernel") -> None:
    k.frag6 = frag6_state()
    SYSCTL_PROC(k, "net.inet6.ip6.frag6_nfrags", CTLTYPE_INT, lambda: k.frag6.frag6_nfrags,
                descr="Fragments in the reassembly queue")
    SYSCTL_PROC(k, "net.inet6.ip6.frag6_npackets", CTLTYPE_INT, lambda: len(k.frag6.ip6q),
                descr="Datagrams in the reassembly queue")


def _drop_fragment(k: "Kernel", why: str = "") -> int:
    k.ip6stat.ip6s_fragdropped += 1
    if why:
        setattr(k.ip6stat, why, getattr(k.ip6stat, why) + 1)
    return IPPROTO_DONE


def frag6_freef(k: "Kernel", q: ip6q) -> None:
    """Forget a datagram: stop its timer, give its fragments back."""
    k.frag6.fragq_free(q)


def _hdrchain_complete(buf: Any, base: int, end: int, pos: int, nxt: int) -> bool:
    """RFC 7112: does the fragment hold every header through the upper-layer one?"""
    view = memoryview(buf)[base:end]
    try:
        for _ in range(64):
            if nxt == IPPROTO_NONE:
                return True
            need = _UPPER_MIN.get(nxt)
            if need is not None:
                return end - base - pos >= need
            ln = ip6_exthdr_len(nxt, view, pos)
            if ln < 0:
                # An extension header cut short, or an upper layer we do not
                # know the size of (its first byte must at least be here).
                return nxt not in (0, 43, 44, 51, 60, 135) and pos < end - base
            nxt = view[pos]
            pos += ln
        return False
    finally:
        view.release()


def frag6_input(k: "Kernel", m: mbuf, off: int, proto: int) -> int:
    """inet6sw[IPPROTO_FRAGMENT]: queue a fragment; on the last one, rebuild the
    datagram in ``m`` and return its next header (offset in ``k.ip6.ip6_nxtoff``)."""
    st = k.ip6stat
    ip6 = k.ip6
    st.ip6s_fragments += 1
    if m.m_len < off + IP6_FRAG_LEN:
        st.ip6s_tooshort += 1
        return _drop_fragment(k)
    b = m.buf
    base = m.off
    fnxt, _res, offlg, ident = ip6_frag.unpack_from(b, base + off)

    # RFC 6946 5: "A host that receives an IPv6 packet that includes a Fragment
    # Header with the 'Fragment Offset' equal to 0 and the 'M' flag equal to 0
    # MUST process such packet in isolation from any other packets/fragments."
    if offlg & ~IP6F_RESERVED_MASK == 0:
        st.ip6s_atomicfrags += 1
        ip6.ip6_nxtoff = off + IP6_FRAG_LEN
        return fnxt

    fragoff = offlg & IP6F_OFF_MASK
    more = offlg & IP6F_MORE_FRAG
    fstart = off + IP6_FRAG_LEN
    fraglen = m.m_len - fstart
    # RFC 8200 4.5: "If the length of a fragment ... is not a multiple of 8
    # octets and the M flag of that fragment is 1, then that fragment must be
    # discarded and an ICMP Parameter Problem, Code 0, message should be sent
    # ... pointing to the Payload Length field of the fragment packet."
    if more and fraglen & 7:
        _drop_fragment(k, "ip6s_fragbadlen")
        _icmp6_error(k, m, ICMP6_PARAM_PROB, ICMP6_PARAMPROB_HEADER, 4)
        return IPPROTO_DONE
    # RFC 8200 4.5: "If the length and offset of a fragment are such that the
    # Payload Length of the packet reassembled from that fragment would exceed
    # 65,535 octets, then that fragment must be discarded and an ICMP Parameter
    # Problem, Code 0, message should be sent ... pointing to the Fragment
    # Offset field of the fragment packet."
    if off - IP6_HDR_LEN + fragoff + fraglen > IPV6_MAXPACKET:
        _drop_fragment(k)
        _icmp6_error(k, m, ICMP6_PARAM_PROB, ICMP6_PARAMPROB_HEADER, off + 2)
        return IPPROTO_DONE
    # RFC 7112 5: "If the first fragment does not include all headers through
    # an Upper-Layer header, then that fragment should be discarded and an ICMP
    # Parameter Problem, Code 3, message should be sent ... with the Pointer
    # field set to zero."
    if fragoff == 0 and not _hdrchain_complete(b, base, base + m.m_len, fstart, fnxt):
        _drop_fragment(k, "ip6s_fraghdrchain")
        _icmp6_error(k, m, ICMP6_PARAM_PROB, ICMP6_PARAMPROB_FRAGHDRCHAIN, 0)
        return IPPROTO_DONE

    src = bytes(b[base + 8:base + 24])
    dst = bytes(b[base + 24:base + 40])
    ifp = m.rcvif
    scoped = (src[0] == 0xFE and src[1] & 0xC0 == 0x80) or (dst[0] == 0xFE and dst[1] & 0xC0 == 0x80) \
        or (dst[0] == 0xFF and dst[1] & 0x0F <= 2)
    key = (src, dst, ident, ifp.if_index if scoped and ifp is not None else 0)
    f = k.frag6
    q = f.ip6q.get(key)
    if q is None:
        # Bounded queue (FreeBSD frag6.c): datagrams, then fragments in all.
        mp = ip6.ip6_maxfragpackets
        if mp == 0 or (mp > 0 and len(f.ip6q) >= mp):
            st.ip6s_fragoverflow += 1
            return IPPROTO_DONE
    # RFC 8200 4.5: "within 60 seconds of the reception of the
    # first-arriving fragment of that packet"
    q = f.fragq_enter(k, q, key, m, ip6q, ip6.ip6_maxfrags, IPV6_FRAG_TIMEOUT_SEC,
                      frag6_timeout)
    if q is None:
        st.ip6s_fragoverflow += 1
        return IPPROTO_DONE

    fend = fragoff + fraglen
    data = bytes(b[base + fstart:base + m.m_len])
    # Consistency with the last fragment: nothing may lie beyond the end.
    if (q.fq_total >= 0 and (fend > q.fq_total or (not more and fend != q.fq_total))) or \
            (not more and any(e > fend for _s, e, _d in q.fq_frags)):
        return _overlap(k, q)
    for s, e, d in q.fq_frags:
        if s == fragoff and e == fend and d == data:
            return _drop_fragment(k)          # RFC 5722 4: an exact duplicate, dropped alone
        if fragoff < e and s < fend or (s == fragoff and e == fend):
            return _overlap(k, q)

    # Per-datagram limit: a datagram of too many fragments is dropped whole.
    n = f.fragq_toomany(q, ip6.ip6_maxfragsperpacket)
    if n:
        st.ip6s_fragdropped += n
        return IPPROTO_DONE

    q.fq_frags.append((fragoff, fend, data))
    q.fq_nfrag += 1
    q.ip6q_bytes += fraglen
    f.fq_nfrags += 1
    if not more:
        q.fq_total = fend
    if fragoff == 0:
        # RFC 8200 4.5: "The Unfragmentable Part of the reassembled packet
        # consists of all headers up to, but not including, the Fragment
        # header of the first fragment packet" and the Next Header of its last
        # header "is obtained from the Next Header field of the first
        # fragment's Fragment header".
        from kernel.netinet6.ip6_input import ip6_get_prevhdr
        unfrag = bytearray(b[base:base + off])
        unfrag[ip6_get_prevhdr(m, off)] = fnxt
        q.ip6q_unfrag = unfrag
        q.ip6q_nxt = fnxt
        q.fq_first = bytes(b[base:base + m.m_len])
        q.fq_rcvif = ifp
        q.fq_flags = m.m_flags

    if q.ip6q_unfrag is None or q.fq_total < 0 or q.ip6q_bytes != q.fq_total:
        return IPPROTO_DONE

    # Complete: no overlaps and every byte up to the end, so the pieces tile.
    unfrag = q.ip6q_unfrag
    plen = len(unfrag) - IP6_HDR_LEN + q.fq_total
    frags = sorted(q.fq_frags)
    nxt = q.ip6q_nxt
    frag6_freef(k, q)
    if plen > IPV6_MAXPACKET:
        st.ip6s_fragdropped += len(frags)
        return IPPROTO_DONE
    total = len(unfrag) + q.fq_total
    nb = fragq_build(unfrag, frags, q.fq_total)
    nb[MLEADING + 4] = plen >> 8
    nb[MLEADING + 5] = plen & 0xFF
    m.buf = nb
    m.off = MLEADING
    m.m_len = total
    m.rcvif = q.fq_rcvif
    st.ip6s_reassembled += 1
    ip6.ip6_nxtoff = len(unfrag)
    return nxt


def _overlap(k: "Kernel", q: ip6q) -> int:
    """RFC 8200 4.5 (RFC 5722 3): "If any of the fragments being reassembled
    overlap with any other fragments being reassembled for the same packet,
    reassembly of that packet must be abandoned and all the fragments that
    have been received for that packet must be discarded, and no ICMP error
    messages should be sent." """
    st = k.ip6stat
    st.ip6s_fragoverlap += 1
    st.ip6s_fragdropped += q.fq_nfrag + 1
    frag6_freef(k, q)
    return IPPROTO_DONE


def frag6_timeout(k: "Kernel", n: int, m: Optional[mbuf]) -> None:
    """The 60 seconds were up for a datagram of ``n`` fragments (frag6_slowtimo)."""
    k.ip6stat.ip6s_fragtimeout += n
    if m is not None:
        # RFC 8200 4.5: "If the first fragment (i.e., the one with a Fragment
        # Offset of zero) has been received, an ICMP Time Exceeded -- Fragment
        # Reassembly Time Exceeded message should be sent to the source of that
        # fragment."
        _icmp6_error(k, m, ICMP6_TIME_EXCEEDED, ICMP6_TIME_EXCEED_REASSEMBLY, 0)


def frag6_drain(k: "Kernel") -> int:
    """Give back every queued fragment (memory pressure); returns how many."""
    n = k.frag6.fragq_drain()
    k.ip6stat.ip6s_fragdropped += n
    return n


def _icmp6_error(k: "Kernel", m: mbuf, type: int, code: int, param: int) -> None:
    from kernel.netinet6.icmp6 import icmp6_error
    icmp6_error(k, m, type, code, param)
