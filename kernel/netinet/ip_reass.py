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

from collections import OrderedDict
from typing import TYPE_CHECKING, Any, Optional

from kernel.kern.uipc_mbuf import MLEADING, mbuf
from kernel.netinet.ip_var import m_frombuf
from kernel.wire.icmp import ICMP_TIMXCEED, ICMP_TIMXCEED_REASS
from kernel.wire.ip import (IP_DF, IP_FRAG_TIMEOUT_SEC, IP_MAXPACKET, IP_MF, IP_OFFMASK,
                            IP_RF, IP_SUM_OFF, ip_header_cksum)

if TYPE_CHECKING:  # pragma: no cover
    from kernel.kern.init_main import Kernel

SEC = 1_000_000_000


class ipq:
    """``struct ipq``: one datagram being reassembled."""

    __slots__ = ("ipq_key", "ipq_frags", "ipq_nfrags", "ipq_total", "ipq_hdr", "ipq_first",
                 "ipq_timer", "ipq_rcvif", "ipq_flags")

    def __init__(self, key: tuple) -> None:
        self.ipq_key = key
        self.ipq_frags: list[list[Any]] = []        # [start, end, data], sorted, disjoint
        self.ipq_nfrags = 0
        self.ipq_total = -1                         # payload length, once the last is in
        self.ipq_hdr: Optional[bytearray] = None    # the header of the offset-zero fragment
        self.ipq_first: Optional[bytes] = None      # that fragment, for Time Exceeded
        self.ipq_timer: Any = None
        self.ipq_rcvif: Any = None
        self.ipq_flags = 0


class ipq_state:
    """``k.ipq``: the reassembly queue, oldest datagram first."""

    def __init__(self) -> None:
        self.ipq: "OrderedDict[tuple, ipq]" = OrderedDict()
        self.nfrags = 0                             # fragments queued, all datagrams


def ip_reass_init(k: "Kernel") -> None:
    k.ipq = ipq_state()


def ip_freef(k: "Kernel", q: ipq) -> None:
    """Forget a datagram: stop its timer, give its fragments back."""
    st = k.ipq
    if st.ipq.get(q.ipq_key) is q:
        del st.ipq[q.ipq_key]
    st.nfrags -= q.ipq_nfrags
    if q.ipq_timer is not None:
        q.ipq_timer.callout_stop()
    q.ipq_frags = []
    q.ipq_nfrags = 0


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
        st.ips_fragdropped += 1 + (q.ipq_nfrags if q is not None else 0)
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
            st.ips_fragtimeout += old.ipq_nfrags
            ip_freef(k, old)
    mf = v.ip_maxfrags
    if mf == 0 or (mf > 0 and rq.nfrags >= mf):
        st.ips_fragdropped += 1
        return None
    if q is None:
        q = ipq(key)
        q.ipq_rcvif = m.rcvif
        q.ipq_flags = m.m_flags
        rq.ipq[key] = q
        q.ipq_timer = k.callout()
        q.ipq_timer.callout_reset_ns(IP_FRAG_TIMEOUT_SEC * SEC, ip_reass_timeout, (k, q))
    if v.ip_maxfragsperpacket >= 0 and q.ipq_nfrags + 1 > v.ip_maxfragsperpacket:
        st.ips_fragdropped += q.ipq_nfrags + 1
        ip_freef(k, q)
        return None
    # The last fragment fixes the length; nothing may lie beyond it.
    if not more:
        if (q.ipq_total >= 0 and q.ipq_total != fe) or any(f[1] > fe for f in q.ipq_frags):
            st.ips_fragdropped += 1
            return None
    elif q.ipq_total >= 0 and fe > q.ipq_total:
        st.ips_fragdropped += 1
        return None
    data = bytes(b[o + hlen:o + m.m_len])
    frags = q.ipq_frags
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
            q.ipq_nfrags -= 1
            rq.nfrags -= 1
            st.ips_fragdropped += 1
            continue
        frags[i] = [fe, e, d[fe - s:]]
        break
    frags.insert(i, [fs, fe, data])
    q.ipq_nfrags += 1
    rq.nfrags += 1
    if not more:
        q.ipq_total = fe
    if ip_off & IP_OFFMASK == 0:
        # RFC 791 3.2: the header of the reassembled datagram is the first fragment's
        q.ipq_hdr = bytearray(b[o:o + hlen])
        q.ipq_first = bytes(b[o:o + m.m_len])
        q.ipq_rcvif = m.rcvif
        q.ipq_flags = m.m_flags
    if q.ipq_hdr is None or q.ipq_total < 0:
        return None
    nxt = 0
    for s, e, _d in frags:
        if s != nxt:
            return None                          # a hole
        nxt = e
    if nxt != q.ipq_total:
        return None
    # Complete.
    hdr = q.ipq_hdr
    hl = len(hdr)
    total = hl + q.ipq_total
    nb = bytearray(MLEADING + total)
    nb[MLEADING:MLEADING + hl] = hdr
    pos = MLEADING + hl
    for _s, _e, d in frags:
        nb[pos:pos + len(d)] = d
        pos += len(d)
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
    n = m_frombuf(nb, h, total, q.ipq_flags, q.ipq_rcvif)
    ip_freef(k, q)
    st.ips_reassembled += 1
    return n


def ip_reass_timeout(arg: tuple) -> None:
    """The reassembly time is up for one datagram (ip_slowtimo)."""
    k, q = arg
    if k.ipq.ipq.get(q.ipq_key) is not q:
        return
    k.ipstat.ips_fragtimeout += q.ipq_nfrags
    first = q.ipq_first
    ifp = q.ipq_rcvif
    flags = q.ipq_flags
    ip_freef(k, q)
    if first is not None:
        # RFC 1122 3.3.2: "an ICMP Time Exceeded message sent to the source host
        # (if fragment zero has been received)"
        m = mbuf(first)
        m.rcvif = ifp
        m.m_flags = flags
        from kernel.netinet.ip_icmp import icmp_error
        icmp_error(k, m, ICMP_TIMXCEED, ICMP_TIMXCEED_REASS)


def ip_drain(k: "Kernel") -> int:
    """Give back every queued fragment (memory pressure); returns how many."""
    n = 0
    for q in list(k.ipq.ipq.values()):
        n += q.ipq_nfrags
        k.ipstat.ips_fragdropped += q.ipq_nfrags
        ip_freef(k, q)
    return n
