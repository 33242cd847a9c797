"""The fragment reassembly queue: what sys/netinet/ip_reass.c and sys/netinet6/frag6.c
both keep.

Each family holds the datagrams being reassembled in a table keyed by their
identity (oldest first), counts the fragments queued in all datagrams (for the
``maxfrags`` limit), runs one callout per datagram for the reassembly timeout
(RFC 791 3.2 / RFC 1122 3.3.2; RFC 8200 4.5), and once a datagram is whole
copies its pieces behind the header into a fresh buffer.  That bookkeeping is
here; what the two RFCs decide differently — RFC 791's trimming of overlaps
against RFC 5722's discarding of the datagram, the header fix-ups, the
counters and the ICMP errors — stays in ip_reass.py and frag6.py.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Optional

from kernel.kern.uipc_mbuf import MLEADING, mbuf

if TYPE_CHECKING:  # pragma: no cover
    from kernel.kern.init_main import Kernel

SEC = 1_000_000_000


class fragq:
    """One datagram being reassembled: the part ``struct ipq`` and ``struct ip6q`` share."""

    __slots__ = ("fq_key", "fq_frags", "fq_nfrag", "fq_total", "fq_first", "fq_timer",
                 "fq_rcvif", "fq_flags")

    def __init__(self, key: tuple) -> None:
        self.fq_key = key
        self.fq_frags: list[Any] = []               # (start, end, data) of each fragment
        self.fq_nfrag = 0
        self.fq_total = -1                          # payload length, once the last is in
        self.fq_first: Optional[bytes] = None       # the offset-zero fragment, for Time Exceeded
        self.fq_timer: Any = None
        self.fq_rcvif: Any = None
        self.fq_flags = 0


class fragq_table:
    """A reassembly queue: the datagrams, oldest first, and the fragments queued in all."""

    def __init__(self) -> None:
        self.fq: dict[tuple, Any] = {}
        self.fq_nfrags = 0

    def fragq_enter(self, k: "Kernel", q: Optional[fragq], key: tuple, m: mbuf,
                    new: Callable[[tuple], fragq], maxfrags: int, timeout_sec: int,
                    expired: Callable[["Kernel", int, Optional[mbuf]], None]
                    ) -> Optional[fragq]:
        """Where the fragment in ``m`` goes: None when ``maxfrags`` fragments are queued
        in all (0: none allowed; <0: no limit), else its datagram — ``q``, or when that
        is None a new ``new(key)``, queued with its reassembly timer started.  When the
        timer runs out the datagram is forgotten and ``expired(k, n, first)`` told how
        many fragments timed out and, if the offset-zero fragment was in, that fragment
        as an mbuf (interface and flags restored) for the Time Exceeded error."""
        if maxfrags == 0 or (maxfrags > 0 and self.fq_nfrags >= maxfrags):
            return None
        if q is None:
            q = new(key)
            q.fq_rcvif = m.rcvif
            q.fq_flags = m.m_flags
            self.fq[key] = q
            q.fq_timer = k.callout()
            q.fq_timer.callout_reset_ns(timeout_sec * SEC, fragq_timeout, (k, self, q, expired))
        return q

    def fragq_free(self, q: fragq) -> None:
        """Forget a datagram: stop its timer, give its fragments back."""
        if self.fq.get(q.fq_key) is q:
            del self.fq[q.fq_key]
        self.fq_nfrags -= q.fq_nfrag
        if q.fq_timer is not None:
            q.fq_timer.callout_stop()
        q.fq_frags = []
        q.fq_nfrag = 0

    def fragq_toomany(self, q: fragq, maxperpacket: int) -> int:
        """The per-datagram limit: when one more fragment would pass ``maxperpacket``
        (<0: no limit), drop the datagram whole and return how many fragments went
        (its own and the new one); else 0."""
        if maxperpacket >= 0 and q.fq_nfrag + 1 > maxperpacket:
            n = q.fq_nfrag + 1
            self.fragq_free(q)
            return n
        return 0

    def fragq_drain(self) -> int:
        """Give back every queued fragment (memory pressure); returns how many."""
        n = 0
        for q in list(self.fq.values()):
            n += q.fq_nfrag
            self.fragq_free(q)
        return n


def fragq_timeout(arg: tuple) -> None:
    """The reassembly time is up for one datagram (ip_slowtimo, frag6_slowtimo)."""
    k, rq, q, expired = arg
    if rq.fq.get(q.fq_key) is not q:
        return
    n = q.fq_nfrag
    first = q.fq_first
    ifp = q.fq_rcvif
    flags = q.fq_flags
    rq.fragq_free(q)
    m = None
    if first is not None:
        m = mbuf(first)
        m.rcvif = ifp
        m.m_flags = flags
    expired(k, n, m)


def fragq_build(hdr: Any, frags: list[Any], plen: int) -> bytearray:
    """The whole datagram: ``hdr`` and then the data of ``frags`` (in order, tiling
    ``plen`` octets), behind MLEADING octets of leading space."""
    nb = bytearray(MLEADING + len(hdr) + plen)
    pos = MLEADING + len(hdr)
    nb[MLEADING:pos] = hdr
    for _s, _e, d in frags:
        nb[pos:pos + len(d)] = d
        pos += len(d)
    return nb
