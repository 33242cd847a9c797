"""IPv4 fragment reassembly (sys/netinet/ip_reass.c; ip_input.c before FreeBSD 11).

RFC 791 3.2: fragments with the same source, destination, protocol and
identification are put back together; the header comes from the fragment
with offset zero.  Overlaps are resolved as BSD does (RFC 791 lets the
receiver choose): data already queued in front of a new fragment wins, the
new fragment wins over what follows it (partly covered fragments are
trimmed, wholly covered ones dropped).  On top of it:

- a fragment with More Fragments set must carry a multiple of 8 octets
  (RFC 791 3.1: offsets count 8-octet units) — else ``ips_toosmall``;
- a datagram that would grow beyond 65535 octets is dropped whole
  (``ips_toolong``: the "ping of death");
- bounded memory as FreeBSD: ``net.inet.ip.maxfragpackets`` datagrams in
  reassembly (the oldest goes when a new one does not fit),
  ``maxfrags`` fragments in all, ``maxfragsperpacket`` per datagram;
- RFC 1122 3.3.2: after the reassembly timeout (30 seconds, FreeBSD's
  IPFRAGTTL) "the partially-reassembled datagram MUST be discarded and an
  ICMP Time Exceeded message sent to the source host (if fragment zero has
  been received)".

Counters (``k.ipstat``): ``ips_fragments`` per fragment received,
``ips_fragdropped`` per fragment dropped, ``ips_fragtimeout`` per fragment
of a datagram that timed out or was evicted, ``ips_reassembled``.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from kernel.kern.uipc_mbuf import MLEADING, mbuf
from kernel.net.reassq import fragq, fragq_build, fragq_table
from kernel.netinet.ip_var import m_frombuf
from kernel.wire.icmp import ICMP_TIMXCEED, ICMP_TIMXCEED_REASS
from kernel.wire.ip import (IP_DF, IP_FRAG_TIMEOUT_SEC, IP_MAXPACKET, IP_MF, IP_OFFMASK,
                            IP_RF, IP_SUM_OFF, ip_header_cksum)

if TYPE_CHECKING:  # pragma: no cover
    from kernel.kern.init_main import Kernel


class ipq(fragq):
    """``struct ipq``: one datagram being reassembled; ``fq_frags`` holds
    ``[start, end, data]``, sorted and disjoint."""

    __slots__ = ("ipq_hdr",)

    def __init__(self, key: tuple) -> None:
        super().__init__(key)
        self.ipq_hdr: Optional[bytearray] = None    # the header of the offset-zero fragment


class ipq_state(fragq_table):
    """``k.ipq``: the reassembly queue, oldest datagram first (``ipq``)."""

    @property
    def ipq(self) -> dict[tuple, ipq]:
        return self.fq


def ip_reass_init(k: "Kernel") -> None:
    k.ipq = ipq_state()


def ip_freef(k: "Kernel", q: ipq) -> None:
    """Forget a datagram: stop its timer, give its fragments back."""
    k.ipq.fragq_free(q)


def ip_reass(k: "Kernel", m: mbuf, hlen: int) -> Optional[mbuf]:
    """Queue the fragment in ``m`` (which starts at its IP header); return the
    whole datagram when this fragment completes it, else None."""
    st = k.ipstat
    v = k.ip
    rq = k.ipq
    st.ips_fragments += 1
    b = m.buf
    o = m.off
    ip_off = (b[o + 6] << 8) | b[o + 7]
    more = ip_off & IP_MF
    fs = (ip_off & IP_OFFMASK) << 3
    flen = m.m_len - hlen
    if more and (flen == 0 or flen & 7):
        # RFC 791 3.1: "the fragment offset is measured in units of 8 octets"
        st.ips_toosmall += 1
        st.ips_fragdropped += 1
        return None
    fe = fs + flen
    key = (bytes(b[o + 12:o + 16]), bytes(b[o + 16:o + 20]), (b[o + 4] << 8) | b[o + 5], b[o + 9])
    q = rq.ipq.get(key)
    if hlen + fe > IP_MAXPACKET:
        st.ips_toolong += 1                     # the datagram would be too long
        st.ips_fragdropped += 1 + (q.fq_nfrag if q is not None else 0)
        if q is not None:
            ip_freef(k, q)
        return None
    if q is None:
        mp = v.ip_maxfragpackets
        if mp == 0:
            st.ips_fragdropped += 1              # no reassembly at all
            return None
        while 0 < mp <= len(rq.ipq):
            # at the limit: the oldest datagram goes (FreeBSD ip_reass)
            old = next(iter(rq.ipq.values()))
            st.ips_fragtimeout += old.fq_nfrag
            ip_freef(k, old)
    q = rq.fragq_enter(k, q, key, m, ipq, v.ip_maxfrags, IP_FRAG_TIMEOUT_SEC, ip_reass_timeout)
    if q is None:
        st.ips_fragdropped += 1
        return None
    n = rq.fragq_toomany(q, v.ip_maxfragsperpacket)
    if n:
        st.ips_fragdropped += n
        return None
    # The last fragment fixes the length; nothing may lie beyond it.
    if not more:
        if (q.fq_total >= 0 and q.fq_total != fe) or any(f[1] > fe for f in q.fq_frags):
            st.ips_fragdropped += 1
            return None
    elif q.fq_total >= 0 and fe > q.fq_total:
        st.ips_fragdropped += 1
        return None
    data = bytes(b[o + hlen:o + m.m_len])
    frags = q.fq_frags
    i = 0
    while i < len(frags) and frags[i][0] < fs:
        i += 1
    # "If there is a preceding segment, it may provide some of our data
    # already.  If so, drop the data from the incoming segment."
    if i > 0 and frags[i - 1][1] > fs:
        cut = frags[i - 1][1] - fs
        if cut >= fe - fs:
            st.ips_fragdropped += 1             # wholly a duplicate
            return None
        data = data[cut:]
        fs += cut
    # "While we overlap succeeding segments trim them or, if they are
    # completely covered, dequeue them."
    while i < len(frags) and frags[i][0] < fe:
        s, e, d = frags[i]
        if e <= fe:
            del frags[i]
            q.fq_nfrag -= 1
            rq.fq_nfrags -= 1
            st.ips_fragdropped += 1
            continue
        frags[i] = [fe, e, d[fe - s:]]
        break
    frags.insert(i, [fs, fe, data])
    q.fq_nfrag += 1
    rq.fq_nfrags += 1
    if not more:
        q.fq_total = fe
    if ip_off & IP_OFFMASK == 0:
        # RFC 791 3.2: the header of the reassembled datagram is the first fragment's
        q.ipq_hdr = bytearray(b[o:o + hlen])
        q.fq_first = bytes(b[o:o + m.m_len])
        q.fq_rcvif = m.rcvif
        q.fq_flags = m.m_flags
    if q.ipq_hdr is None or q.fq_total < 0:
        return None
    nxt = 0
    for s, e, _d in frags:
        if s != nxt:
            return None                          # a hole
        nxt = e
    if nxt != q.fq_total:
        return None
    # Complete.
    hdr = q.ipq_hdr
    hl = len(hdr)
    total = hl + q.fq_total
    nb = fragq_build(hdr, frags, q.fq_total)
    h = MLEADING
    nb[h + 2] = total >> 8
    nb[h + 3] = total & 0xFF
    off = ((hdr[6] << 8) | hdr[7]) & (IP_DF | IP_RF)
    nb[h + 6] = off >> 8
    nb[h + 7] = off & 0xFF
    nb[h + IP_SUM_OFF] = nb[h + IP_SUM_OFF + 1] = 0
    ck = ip_header_cksum(nb, h, hl)
    nb[h + IP_SUM_OFF] = ck >> 8
    nb[h + IP_SUM_OFF + 1] = ck & 0xFF
    n = m_frombuf(nb, h, total, q.fq_flags, q.fq_rcvif)
    ip_freef(k, q)
    st.ips_reassembled += 1
    return n


def ip_reass_timeout(k: "Kernel", n: int, m: Optional[mbuf]) -> None:
    """The reassembly time was up for a datagram of ``n`` fragments (ip_slowtimo)."""
    k.ipstat.ips_fragtimeout += n
    if m is not None:
        # RFC 1122 3.3.2: "an ICMP Time Exceeded message sent to the source host
        # (if fragment zero has been received)"
        from kernel.netinet.ip_icmp import icmp_error
        icmp_error(k, m, ICMP_TIMXCEED, ICMP_TIMXCEED_REASS)


def ip_drain(k: "Kernel") -> int:
    """Give back every queued fragment (memory pressure); returns how many."""
    n = k.ipq.fragq_drain()
    k.ipstat.ips_fragdropped += n
    return n
