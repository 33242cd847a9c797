"""Socket buffers and socket state changes (sys/kern/uipc_socket2.c, sys/sys/sockbuf.h).

A ``sockbuf`` is a queue of records, each ``[addr, m, control, cc, mbcnt]``:
appending and removing a record is O(1).  Limits are BSD's: ``sb_hiwat``
bytes of data (plus, as BSD counts them, the address and control bytes),
and ``sb_mbmax`` bytes of mbuf storage (each record is charged MSIZE per
mbuf and MCLBYTES per cluster), so a flood of tiny datagrams is bounded too.

Protocols call, from input (interrupt context)::

    if not sbappendaddr(so.so_rcv, from_sin6, m, control):
        udpstat.udps_fullsock += 1        # the caller counts the drop
    else:
        sorwakeup(so)

``sorwakeup``/``sowwakeup`` wake the readers/writers sleeping in the buffer
and the select/poll waiters.  ``soisconnected`` and friends move the state
machine of connection-oriented sockets.
"""
from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any, Optional

from kernel.kern.kern_proc import pfind
from kernel.kern.kern_sig import pgsignal, psignal
from kernel.kern.kern_synch import tsleep, wakeup
from kernel.kern.sys_generic import selwakeup
from kernel.wire.errno import ENOBUFS
from kernel.wire.signal import SIGIO
from kernel.wire.socket import SOL_SOCKET, sa_len

if TYPE_CHECKING:  # pragma: no cover
    from kernel.kern.uipc_mbuf import mbuf
    from kernel.kern.uipc_socket import socket

MSIZE = 256
MHLEN = 200                # data that fits in a plain mbuf
MCLBYTES = 2048
SB_EFFICIENCY = 8          # sb_mbmax = sb_hiwat * this, at most sb_max

# sb_flags
SB_LOCK = 0x01
SB_WANT = 0x02
SB_WAIT = 0x04             # someone is waiting for data/space
SB_SEL = 0x08              # someone is selecting
SB_ASYNC = 0x10            # ASYNC I/O, need signals
SB_UPCALL = 0x20           # someone wants an upcall
SB_NOINTR = 0x40           # operations not interruptible
SB_AUTOSIZE = 0x800

# sb_state
SBS_CANTSENDMORE = 0x0010  # can't send more data to peer
SBS_CANTRCVMORE = 0x0020   # can't receive more data from peer
SBS_RCVATMARK = 0x0040     # at mark on input

# so_state
SS_NOFDREF = 0x0001
SS_ISCONNECTED = 0x0002
SS_ISCONNECTING = 0x0004
SS_ISDISCONNECTING = 0x0008
SS_NBIO = 0x0100
SS_ASYNC = 0x0200
SS_ISCONFIRMING = 0x0400
SS_ISDISCONNECTED = 0x2000

# so_qstate
SQ_INCOMP = 0x0800
SQ_COMP = 0x1000

_salen_cache: dict[type, int] = {}


def _salen(sa: Any) -> int:
    t = type(sa)
    n = _salen_cache.get(t)
    if n is None:
        n = _salen_cache[t] = sa_len(sa)
    return n


def _ctllen(control: Any) -> int:
    n = 0
    for c in control:
        n += 16 + ((len(c[2]) + 7) & ~7)          # CMSG_SPACE on LP64
    return n


def _mbcnt(dlen: int) -> int:
    """mbuf storage BSD would charge for ``dlen`` bytes of data."""
    if dlen <= MHLEN:
        return MSIZE
    return MSIZE + MCLBYTES * ((dlen + MCLBYTES - 1) // MCLBYTES)


class sockbuf:
    """``struct sockbuf``."""

    __slots__ = ("sb_mb", "sb_cc", "sb_ctl", "sb_hiwat", "sb_lowat", "sb_mbcnt", "sb_mbmax",
                 "sb_flags", "sb_state", "sb_timeo", "sb_sel", "sb_so")

    def __init__(self, so: "socket") -> None:
        self.sb_mb: deque[list] = deque()
        self.sb_cc = 0             # bytes in the buffer (data + addresses + control)
        self.sb_ctl = 0            # of which addresses and control
        self.sb_hiwat = 0
        self.sb_lowat = 0
        self.sb_mbcnt = 0
        self.sb_mbmax = 0
        self.sb_flags = 0
        self.sb_state = 0
        self.sb_timeo = 0          # ns; 0 = wait forever (SO_RCVTIMEO/SO_SNDTIMEO)
        self.sb_sel: set = set()   # select/poll waiters (selinfo)
        self.sb_so = so

    def __len__(self) -> int:
        return len(self.sb_mb)

    def sbavail(self) -> int:
        """Data bytes in the buffer (FIONREAD)."""
        return self.sb_cc - self.sb_ctl


def sbspace(sb: sockbuf) -> int:
    """Room left: the smaller of bytes and mbuf storage (may be negative)."""
    a = sb.sb_hiwat - sb.sb_cc
    b = sb.sb_mbmax - sb.sb_mbcnt
    return a if a < b else b


def sbappendaddr(sb: sockbuf, asa: Any, m: "mbuf", control: Optional[list] = None) -> bool:
    """Queue datagram ``m`` from ``asa`` with ``control`` [(level, type, bytes)].

    Returns False (and queues nothing) when the buffer is full.
    """
    dlen = m.m_len
    ctl = 0
    mbcnt = MSIZE if dlen <= MHLEN else _mbcnt(dlen)
    if asa is not None:
        n = _salen_cache.get(type(asa))
        ctl = n if n is not None else _salen(asa)
        mbcnt += MSIZE
    if control:
        ctl += _ctllen(control)
        mbcnt += MSIZE
    cc = dlen + ctl
    if cc > sb.sb_hiwat - sb.sb_cc or mbcnt > sb.sb_mbmax - sb.sb_mbcnt:
        return False
    sb.sb_mb.append([asa, m, control, cc, mbcnt])
    sb.sb_cc += cc
    sb.sb_ctl += ctl
    sb.sb_mbcnt += mbcnt
    return True


def sbappendcontrol(sb: sockbuf, m: "mbuf", control: Optional[list]) -> bool:
    """Queue ``m`` with control data and no address."""
    return sbappendaddr(sb, None, m, control)


def sbappendrecord(sb: sockbuf, m: "mbuf") -> None:
    """Queue ``m`` as a record of its own (no check: the caller checked space)."""
    dlen = m.m_len
    mbcnt = _mbcnt(dlen)
    sb.sb_mb.append([None, m, None, dlen, mbcnt])
    sb.sb_cc += dlen
    sb.sb_mbcnt += mbcnt


def sbappend(sb: sockbuf, m: "mbuf") -> None:
    """Append stream data (no record boundary is kept for the reader)."""
    sbappendrecord(sb, m)


def sbdroprecord(sb: sockbuf) -> Optional[list]:
    """Remove and return the first record."""
    if not sb.sb_mb:
        return None
    rec = sb.sb_mb.popleft()
    sb.sb_cc -= rec[3]
    sb.sb_ctl -= rec[3] - rec[1].m_len
    sb.sb_mbcnt -= rec[4]
    return rec


def sbdrop(sb: sockbuf, n: int) -> None:
    """Drop ``n`` bytes of data from the front (stream sockets)."""
    while n > 0 and sb.sb_mb:
        rec = sb.sb_mb[0]
        m = rec[1]
        if m.m_len <= n:
            n -= m.m_len
            sbdroprecord(sb)
            continue
        m.m_adj(n)
        rec[3] -= n
        sb.sb_cc -= n
        n = 0


def sbflush(sb: sockbuf) -> None:
    sb.sb_mb.clear()
    sb.sb_cc = sb.sb_ctl = sb.sb_mbcnt = 0


def sbreserve(sb: sockbuf, cc: int, sb_max: int) -> int:
    """Set the buffer's limits to ``cc`` bytes: 0 or ENOBUFS (beyond kern.ipc.maxsockbuf)."""
    if cc <= 0 or cc > sb_max * MCLBYTES // (MSIZE + MCLBYTES):
        return ENOBUFS
    sb.sb_hiwat = cc
    sb.sb_mbmax = min(cc * SB_EFFICIENCY, sb_max)
    if sb.sb_lowat > sb.sb_hiwat:
        sb.sb_lowat = sb.sb_hiwat
    return 0


def soreserve(so: "socket", sndcc: int, rcvcc: int) -> int:
    """Reserve buffer space at attach: 0 or ENOBUFS."""
    sb_max = so.so_kernel.sb_max
    if sbreserve(so.so_snd, sndcc, sb_max) or sbreserve(so.so_rcv, rcvcc, sb_max):
        return ENOBUFS
    if so.so_rcv.sb_lowat == 0:
        so.so_rcv.sb_lowat = 1
    if so.so_snd.sb_lowat == 0:
        so.so_snd.sb_lowat = MCLBYTES
    if so.so_snd.sb_lowat > so.so_snd.sb_hiwat:
        so.so_snd.sb_lowat = so.so_snd.sb_hiwat
    return 0


def sbwait(sb: sockbuf) -> int:
    """Sleep until the buffer changes (or SO_*TIMEO): 0, EWOULDBLOCK, EINTR, ERESTART."""
    sb.sb_flags |= SB_WAIT
    return tsleep(sb.sb_so.so_kernel, sb, sb.sb_timeo, "sbwait",
                  catch=not sb.sb_flags & SB_NOINTR)


def sorwakeup(so: "socket") -> None:
    sb = so.so_rcv
    if sb.sb_sel:
        selwakeup(sb.sb_sel)
    if sb.sb_flags & (SB_WAIT | SB_ASYNC):
        _sbwakeup(so, sb)


def sowwakeup(so: "socket") -> None:
    sb = so.so_snd
    if sb.sb_sel:
        selwakeup(sb.sb_sel)
    if sb.sb_flags & (SB_WAIT | SB_ASYNC):
        _sbwakeup(so, sb)


def _sbwakeup(so: "socket", sb: sockbuf) -> None:
    """Wake the sleepers of ``sb``; SIGIO if the socket is async."""
    if sb.sb_flags & SB_WAIT:
        sb.sb_flags &= ~SB_WAIT
        wakeup(so.so_kernel, sb)
    if sb.sb_flags & SB_ASYNC and so.so_sigio:
        _pgsigio(so)


def _pgsigio(so: "socket") -> None:
    k = so.so_kernel
    if so.so_sigio > 0:
        p = pfind(k, so.so_sigio)
        if p is not None:
            psignal(p, SIGIO)
    else:
        pgsignal(k, -so.so_sigio, SIGIO)


# -- state changes ------------------------------------------------------------------
def soisconnecting(so: "socket") -> None:
    so.so_state &= ~(SS_ISCONNECTED | SS_ISDISCONNECTING)
    so.so_state |= SS_ISCONNECTING


def soisconnected(so: "socket") -> None:
    so.so_state &= ~(SS_ISCONNECTING | SS_ISDISCONNECTING | SS_ISCONFIRMING)
    so.so_state |= SS_ISCONNECTED
    head = so.so_head
    if head is not None and so.so_qstate & SQ_INCOMP:
        head.so_incomp.remove(so)
        head.so_incqlen -= 1
        so.so_qstate = SQ_COMP
        head.so_comp.append(so)
        head.so_qlen += 1
        sorwakeup(head)
        wakeup(head.so_kernel, head)
    else:
        wakeup(so.so_kernel, so)
        sorwakeup(so)
        sowwakeup(so)


def soisdisconnecting(so: "socket") -> None:
    so.so_state &= ~SS_ISCONNECTING
    so.so_state |= SS_ISDISCONNECTING
    so.so_rcv.sb_state |= SBS_CANTRCVMORE
    so.so_snd.sb_state |= SBS_CANTSENDMORE
    wakeup(so.so_kernel, so)
    sorwakeup(so)
    sowwakeup(so)


def soisdisconnected(so: "socket") -> None:
    so.so_state &= ~(SS_ISCONNECTING | SS_ISCONNECTED | SS_ISDISCONNECTING)
    so.so_state |= SS_ISDISCONNECTED
    so.so_rcv.sb_state |= SBS_CANTRCVMORE
    so.so_snd.sb_state |= SBS_CANTSENDMORE
    sbflush(so.so_snd)
    wakeup(so.so_kernel, so)
    sorwakeup(so)
    sowwakeup(so)


def socantsendmore(so: "socket") -> None:
    so.so_snd.sb_state |= SBS_CANTSENDMORE
    sowwakeup(so)


def socantrcvmore(so: "socket") -> None:
    so.so_rcv.sb_state |= SBS_CANTRCVMORE
    sorwakeup(so)


def sonewconn(head: "socket", connstatus: int = 0) -> Optional["socket"]:
    """A new socket for a connection arriving on listening socket ``head``
    (None when the queue is full or the protocol refuses)."""
    from kernel.kern.uipc_socket import socket as socket_t   # noqa: PLC0415 - cycle
    if head.so_qlen + head.so_incqlen > 3 * head.so_qlimit // 2:
        return None
    so = socket_t(head.so_kernel, head.so_type, head.so_proto)
    so.so_options = head.so_options & ~0x0002          # not SO_ACCEPTCONN
    so.so_linger = head.so_linger
    so.so_state = head.so_state | SS_NOFDREF
    so.so_cred = head.so_cred
    so.so_head = head
    if soreserve(so, head.so_snd.sb_hiwat, head.so_rcv.sb_hiwat):
        return None
    attach = head.so_proto.pr_usrreqs.pru_attach
    if attach is None or attach(so, 0, None):
        return None
    head.so_kernel.numopensockets += 1
    if connstatus:
        so.so_qstate = SQ_COMP
        head.so_comp.append(so)
        head.so_qlen += 1
        sorwakeup(head)
        wakeup(head.so_kernel, head)
        so.so_state |= connstatus
    else:
        so.so_qstate = SQ_INCOMP
        head.so_incomp.append(so)
        head.so_incqlen += 1
    return so


def sbcreatecontrol(data: bytes, type: int, level: int = SOL_SOCKET) -> tuple[int, int, bytes]:
    """One control message ``(level, type, data)``."""
    return (level, type, bytes(data))
