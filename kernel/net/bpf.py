"""The Berkeley Packet Filter device (sys/net/bpf.c, sys/net/bpfdesc.h).

A driver or link layer announces an interface with ``bpfattach(ifp, dlt,
hdrlen)`` — ``ether_ifattach`` as DLT_EN10MB with its 14-byte header, lo0 as
DLT_NULL with a 4-byte address family — and hands every frame it receives or
sends to ``bpf_mtap(ifp, m, outgoing)`` (``bpf_mtap2`` prepends a header that
is not in the mbuf, lo0's family).  The call sites test ``ifp.if_bpf is not
None`` first: the attribute is the interface's ``bpf_if`` only while some
descriptor listens (FreeBSD's ``bpf_peers_present`` folded into the pointer),
so an interface nobody watches pays one attribute test per packet.

Opening ``/dev/bpf`` (cloning: every open is a new descriptor) or one of
``/dev/bpf0`` .. ``/dev/bpf3`` (one open at a time, EBUSY otherwise, as the
old fixed units) gives a ``bpf_d`` with a *store* and a *hold* buffer of
``bd_bufsize`` bytes (``net.bpf.bufsize``, 4096; BIOCSBLEN before BIOCSETIF
asks for another, clamped to [BPF_MINBUFSIZE, ``net.bpf.maxbufsize``]).

- **Tap** (``catchpacket``): a packet that passes the direction check is
  counted (``bd_rcount``, BIOCGSTATS ``bs_recv``); the filter decides how many
  bytes to keep (0: none); the record — a ``bpf_hdr`` with the virtual
  wall-clock time (microtime), caplen, datalen and ``bh_hdrlen``, padding,
  then the bytes — goes into the store buffer at the next BPF_WORDALIGN
  boundary.  When it does not fit, the store buffer becomes the hold buffer
  (ROTATE_BUFFERS) and the reader is woken; if the hold buffer is still
  unread the packet is dropped and counted (``bd_dcount``, ``bs_drop``).  So
  a descriptor never holds more than two buffers: memory is bounded.
- **Read** (``bpfread``): the size must be the buffer size (EINVAL).  The
  hold buffer is returned whole; without one the reader sleeps until the
  store buffer fills, or — in immediate mode (BIOCIMMEDIATE) as soon as it is
  not empty, or when the read timeout (BIOCSRTIMEOUT) expires — takes the
  store buffer (an empty timeout returns 0 bytes).  Non-blocking: EWOULDBLOCK.
  A descriptor without an interface (or whose interface went away): ENXIO.
- **select/poll**: readable when the hold buffer is full, or in immediate
  mode (or once the read timeout expired during the select) when the store
  buffer has something; the timeout is started by the poll (BPF_WAITING ->
  BPF_TIMED_OUT).
- **Promiscuous mode** (BIOCPROMISC) is a reference on ``ifpromisc``
  (kernel/net/if_var.py), dropped when the descriptor detaches.
- **Direction** (BIOCSDIRECTION, old name BIOCSSEESENT): BPF_D_IN,
  BPF_D_INOUT (default), BPF_D_OUT.
- **Write** injects a frame through the interface's output (``ether_output``
  with the header's destination and type; with BIOCSHDRCMPLT the source
  address of the header is kept); EMSGSIZE beyond the MTU, EPERM when the
  write filter (BIOCSETWF) rejects it.

Sysctls: ``net.bpf.bufsize``, ``net.bpf.maxbufsize``, ``net.bpf.maxinsns``
and ``net.bpf.stats`` (one entry per descriptor, FreeBSD's ``xbpf_d``).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from kernel.kern.kern_descrip import DTYPE_VNODE, file, fileops
from kernel.kern.kern_proc import pfind
from kernel.kern.kern_sig import pgsignal, psignal
from kernel.kern.kern_synch import tsleep, wakeup
from kernel.kern.kern_sysctl import SYSCTL_INT, SYSCTL_PROC
from kernel.kern.kern_time import nanotime
from kernel.kern.kern_timeout import TICK_NS
from kernel.kern.sys_generic import selrecord, selwakeup
from kernel.kern.uipc_mbuf import mbuf
from kernel.kern.vfs import cdevsw, make_dev, vn_stat
from kernel.net.bpf_filter import bpf_filter, bpf_validate
from kernel.net.if_var import ifpromisc
from kernel.wire.bpf import (
    BIOCFLUSH, BIOCGBLEN, BIOCGDIRECTION, BIOCGDLT, BIOCGDLTLIST, BIOCGETIF, BIOCGHDRCMPLT,
    BIOCGRSIG, BIOCGRTIMEOUT, BIOCGSTATS, BIOCIMMEDIATE, BIOCPROMISC, BIOCSBLEN,
    BIOCSDIRECTION, BIOCSDLT, BIOCSETF, BIOCSETIF, BIOCSETWF, BIOCSHDRCMPLT, BIOCSRSIG,
    BIOCSRTIMEOUT, BIOCVERSION, BPF_D_IN, BPF_D_INOUT, BPF_D_OUT, BPF_DEFAULTBUFSIZE,
    BPF_HDR_PACKED, BPF_MAXBUFSIZE, BPF_MAXINSNS, BPF_MINBUFSIZE, BPF_WORDALIGN, DLT_EN10MB,
    DLT_NULL, SIZEOF_BPF_HDR, _hdr, bpf_dltlist, bpf_insn, bpf_program, bpf_stat, bpf_version,
)
from kernel.wire.errno import (
    EBUSY, EINTR, EINVAL, EMSGSIZE, ENETDOWN, ENOMEM, ENXIO, EPERM, ERESTART, EWOULDBLOCK,
    EAFNOSUPPORT, oserror,
)
from kernel.wire.fcntl import FNONBLOCK
from kernel.wire.ioctl import FIOASYNC, FIOGETOWN, FIONBIO, FIONREAD, FIOSETOWN
from kernel.wire.net_if import IFF, ifreq
from kernel.wire.poll import POLLHUP, POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM
from kernel.wire.signal import NSIG, SIGIO
from kernel.wire.socket import AF_INET, AF_INET6
from kernel.wire.stat import stat
from kernel.wire.sysctl import CTLTYPE_STRUCT
from kernel.wire.time import timeval

if TYPE_CHECKING:  # pragma: no cover
    from kernel.kern.init_main import Kernel
    from kernel.kern.kern_proc import proc
    from kernel.net.if_var import ifnet

NBPF_UNITS = 4                    # /dev/bpf0 .. /dev/bpf3 besides the cloning /dev/bpf

# bd_state: the read timeout as seen by select/poll
BPF_IDLE = 0                      # no select in progress
BPF_WAITING = 1                   # waiting for the read timeout in select
BPF_TIMED_OUT = 2                 # the read timeout expired in select

_U32 = 0xFFFFFFFF
_AF_ETHERTYPE = {AF_INET6: 0x86DD, AF_INET: 0x0800}    # DLT_NULL writes (lo0)


class bpf_if:
    """``struct bpf_if``: one attached interface and its listening descriptors."""

    __slots__ = ("bif_ifp", "bif_dlt", "bif_hdrlen", "bif_dlist")

    def __init__(self, ifp: "ifnet", dlt: int, hdrlen: int) -> None:
        self.bif_ifp = ifp
        self.bif_dlt = dlt
        # The record header is padded so that the network header behind the
        # link header of hdrlen bytes is long-aligned.
        self.bif_hdrlen = BPF_WORDALIGN(hdrlen + SIZEOF_BPF_HDR) - hdrlen
        self.bif_dlist: list[bpf_d] = []

    def __repr__(self) -> str:
        return f"<bpf_if {self.bif_ifp.if_xname} dlt={self.bif_dlt} d={len(self.bif_dlist)}>"


class bpf_d:
    """``struct bpf_d``: one open /dev/bpf."""

    def __init__(self, k: "Kernel", bufsize: int, pid: int, unit: Optional[int]) -> None:
        self.bd_kernel = k
        self.bd_unit = unit
        self.bd_pid = pid
        self.bd_bufsize = bufsize
        self.bd_sbuf = bytearray()        # store buffer (bd_slen == len(bd_sbuf))
        self.bd_slen = 0
        self.bd_hbuf: Optional[bytearray] = None   # hold buffer, full, waiting for read
        self.bd_hlen = 0
        self.bd_bif: Optional[bpf_if] = None
        self.bd_rtout = 0                 # read timeout, ns (0: none)
        self.bd_rfilter: Optional[list[bpf_insn]] = None
        self.bd_wfilter: Optional[list[bpf_insn]] = None
        self.bd_promisc = 0
        self.bd_immediate = 0
        self.bd_hdrcmplt = 0
        self.bd_direction = BPF_D_INOUT
        self.bd_state = BPF_IDLE
        self.bd_callout = k.callout()
        self.bd_async = 0
        self.bd_sig = SIGIO
        self.bd_sigio = 0                 # pid (> 0) or -pgid to signal (FIOSETOWN)
        self.bd_rcount = 0                # packets that passed the direction check
        self.bd_dcount = 0                # dropped: no room
        self.bd_fcount = 0                # accepted by the filter
        self.bd_sel: set = set()

    def __repr__(self) -> str:
        ifn = self.bd_bif.bif_ifp.if_xname if self.bd_bif else "-"
        return f"<bpf_d {ifn} slen={self.bd_slen} hlen={self.bd_hlen}>"


class bpf_softc:
    """The per-kernel state of bpf: attached interfaces, tunables, descriptors."""

    def __init__(self) -> None:
        self.bpf_iflist: list[bpf_if] = []
        self.bpf_bufsize = BPF_DEFAULTBUFSIZE
        self.bpf_maxbufsize = BPF_MAXBUFSIZE
        self.bpf_maxinsns = BPF_MAXINSNS
        self.bpf_dlist: list[bpf_d] = []          # every open descriptor (net.bpf.stats)
        self.bpf_units_busy: set[int] = set()


# -- attach/detach of interfaces (bpfattach, bpfdetach) -----------------------------------
def bpfattach(ifp: "ifnet", dlt: int, hdrlen: int) -> Optional[bpf_if]:
    """Make ``ifp`` visible to /dev/bpf with link type ``dlt`` and a link
    header of ``hdrlen`` bytes.  Nothing happens in a kernel without bpf."""
    st: Optional[bpf_softc] = getattr(ifp.kernel, "bpf", None)
    if st is None:
        return None
    bp = bpf_if(ifp, dlt, hdrlen)
    st.bpf_iflist.append(bp)
    return bp


def bpfdetach(ifp: "ifnet") -> None:
    """The interface goes away: its descriptors lose it (reads give ENXIO)."""
    st: Optional[bpf_softc] = getattr(ifp.kernel, "bpf", None)
    if st is None:
        return
    for bp in [b for b in st.bpf_iflist if b.bif_ifp is ifp]:
        st.bpf_iflist.remove(bp)
        for d in list(bp.bif_dlist):
            bpf_detachd(d)
            bpf_wakeup(d)
    ifp.if_bpf = None


def bpf_attachd(d: bpf_d, bp: bpf_if) -> None:
    d.bd_bif = bp
    bp.bif_dlist.append(d)
    bp.bif_ifp.if_bpf = bp                # peers present: the taps start calling us


def bpf_detachd(d: bpf_d) -> None:
    bp = d.bd_bif
    if bp is None:
        return
    d.bd_bif = None
    if d in bp.bif_dlist:
        bp.bif_dlist.remove(d)
    ifp = bp.bif_ifp
    if not bp.bif_dlist and ifp.if_bpf is bp:
        ifp.if_bpf = None                 # nobody listens: back to one attribute test
    if d.bd_promisc:
        d.bd_promisc = 0
        err = ifpromisc(ifp, 0)
        if err and err != ENXIO:
            ifp.kernel.printf(f"{ifp.if_xname}: bpf_detach: ifpromisc failed ({err})\n")


def reset_d(d: bpf_d) -> None:
    """Discard both buffers and zero the counters (BIOCFLUSH, BIOCSETF, BIOCSETIF)."""
    d.bd_hbuf = None
    d.bd_hlen = 0
    d.bd_sbuf = bytearray()
    d.bd_slen = 0
    d.bd_rcount = 0
    d.bd_dcount = 0
    d.bd_fcount = 0


def _rotate(d: bpf_d) -> None:
    """ROTATE_BUFFERS: the store buffer becomes the hold buffer."""
    d.bd_hbuf = d.bd_sbuf
    d.bd_hlen = d.bd_slen
    d.bd_sbuf = bytearray()
    d.bd_slen = 0


def bpf_wakeup(d: bpf_d) -> None:
    """Wake the readers and selectors of ``d`` (and signal it with FIOASYNC)."""
    if d.bd_state == BPF_WAITING:
        d.bd_callout.callout_stop()
        d.bd_state = BPF_IDLE
    k = d.bd_kernel
    wakeup(k, d)
    if d.bd_async and d.bd_sig and d.bd_sigio:
        if d.bd_sigio > 0:
            p = pfind(k, d.bd_sigio)
            if p is not None:
                psignal(p, d.bd_sig)
        else:
            pgsignal(k, -d.bd_sigio, d.bd_sig)
    selwakeup(d.bd_sel)


def bpf_timed_out(d: bpf_d) -> None:
    """The read timeout of a select ran out: what is stored becomes readable."""
    if d.bd_state == BPF_WAITING:
        d.bd_state = BPF_TIMED_OUT
        if d.bd_slen:
            bpf_wakeup(d)


# -- the taps ------------------------------------------------------------------------------
def bpf_mtap(ifp: "ifnet", m: mbuf, outgoing: bool = False) -> None:
    """Show packet ``m`` (starting at its link header) to the listeners of ``ifp``;
    ``outgoing`` for frames the host sends.  Callers test ``ifp.if_bpf`` first."""
    bp = ifp.if_bpf
    if bp is None:
        return
    off = m.off
    _tap(bp, bytes(m.buf[off:off + m.m_len]), outgoing)


def bpf_mtap2(ifp: "ifnet", data: bytes, m: mbuf, outgoing: bool = False) -> None:
    """As bpf_mtap with ``data`` (a link header that is not in ``m``) in front."""
    bp = ifp.if_bpf
    if bp is None:
        return
    off = m.off
    _tap(bp, bytes(data) + bytes(m.buf[off:off + m.m_len]), outgoing)


def bpf_tap(ifp: "ifnet", pkt: bytes, outgoing: bool = False) -> None:
    """A packet in one contiguous buffer (``bpf_tap``)."""
    bp = ifp.if_bpf
    if bp is not None:
        _tap(bp, bytes(pkt), outgoing)


def _tap(bp: bpf_if, pkt: bytes, outgoing: bool) -> None:
    pktlen = len(pkt)
    tv: Optional[timeval] = None
    for d in bp.bif_dlist:
        if d.bd_direction == (BPF_D_IN if outgoing else BPF_D_OUT):
            continue                      # not the direction this descriptor sees
        d.bd_rcount += 1
        slen = bpf_filter(d.bd_rfilter, pkt, pktlen, pktlen)
        if slen:
            d.bd_fcount += 1
            if tv is None:
                tv = timeval.from_ns(nanotime(d.bd_kernel))   # microtime, once per packet
            catchpacket(d, pkt, pktlen, slen, tv)


def catchpacket(d: bpf_d, pkt: bytes, pktlen: int, snaplen: int, tv: timeval) -> None:
    """Append one record to the store buffer, rotating or dropping when it is full."""
    bp = d.bd_bif
    assert bp is not None
    hdrlen = bp.bif_hdrlen
    totlen = hdrlen + min(snaplen, pktlen)
    if totlen > d.bd_bufsize:
        totlen = d.bd_bufsize
    if totlen < hdrlen:
        d.bd_dcount += 1                  # a buffer smaller than one record header
        return
    curlen = BPF_WORDALIGN(d.bd_slen)
    if curlen + totlen > d.bd_bufsize:
        # This packet would overflow the store buffer: rotate the buffers if
        # the hold buffer was read, and wake the reader; else drop it.
        if d.bd_hbuf is not None:
            d.bd_dcount += 1
            return
        _rotate(d)
        bpf_wakeup(d)
        curlen = 0
    elif d.bd_immediate or d.bd_state == BPF_TIMED_OUT:
        # Immediate mode, or the read timeout already expired during a
        # select: a packet came, so the reader should be woken up.
        bpf_wakeup(d)
    caplen = totlen - hdrlen
    sb = d.bd_sbuf
    if curlen > len(sb):
        sb += bytes(curlen - len(sb))
    sb += _hdr.pack(tv.tv_sec, tv.tv_usec, caplen, pktlen, hdrlen)
    sb += bytes(hdrlen - BPF_HDR_PACKED)
    sb += pkt[:caplen]
    d.bd_slen = len(sb)


# -- the character device and its file operations -------------------------------------------
def _bpf_ready(d: bpf_d) -> bool:
    return bool(d.bd_hlen or ((d.bd_immediate or d.bd_state == BPF_TIMED_OUT) and d.bd_slen))


def _intarg(data: Any) -> int:
    if type(data) is bool:
        return int(data)
    if type(data) is not int:
        raise oserror(EINVAL)
    return data


class bpfops(fileops):
    """read, write, ioctl, poll, stat and close of an open /dev/bpf (bpfread ...)."""

    def fo_read(self, fp: file, n: int, flags: int, td: "proc") -> bytes:
        d: bpf_d = fp.f_data
        if n != d.bd_bufsize:
            raise oserror(EINVAL)         # reads must be of the buffer size
        if d.bd_state == BPF_WAITING:
            d.bd_callout.callout_stop()
        timed_out = d.bd_state == BPF_TIMED_OUT
        d.bd_state = BPF_IDLE
        k = d.bd_kernel
        while d.bd_hbuf is None:
            if (d.bd_immediate or timed_out) and d.bd_slen:
                _rotate(d)                # packets arrived: return what is there
                break
            if d.bd_bif is None:
                raise oserror(ENXIO)      # no interface (any more): rebind first
            if fp.f_flag & FNONBLOCK:
                raise oserror(EWOULDBLOCK)
            err = tsleep(k, d, d.bd_rtout, "bpf")
            if err in (EINTR, ERESTART):
                raise oserror(err)
            if err == EWOULDBLOCK:
                # The read timeout: return what is in the buffers, maybe nothing.
                if d.bd_hbuf is not None:
                    break
                if not d.bd_slen:
                    return b""
                _rotate(d)
                break
        hb = d.bd_hbuf
        data = bytes(hb[:d.bd_hlen]) if hb is not None else b""
        d.bd_hbuf = None                  # the hold buffer is free again
        d.bd_hlen = 0
        return data

    def fo_write(self, fp: file, data: bytes, flags: int, td: "proc") -> int:
        d: bpf_d = fp.f_data
        bp = d.bd_bif
        if bp is None:
            raise oserror(ENXIO)
        ifp = bp.bif_ifp
        if not ifp.if_flags & IFF.UP:
            raise oserror(ENETDOWN)
        if not data:
            return 0
        hlen = 14 if bp.bif_dlt == DLT_EN10MB else 4
        if len(data) < hlen:
            raise oserror(EPERM)
        if len(data) - hlen > ifp.if_mtu:
            raise oserror(EMSGSIZE)
        if d.bd_wfilter is not None and not bpf_filter(d.bd_wfilter, data, len(data), len(data)):
            raise oserror(EPERM)          # the write filter refuses it
        if bp.bif_dlt == DLT_EN10MB:
            from kernel.net.if_ethersubr import ether_output    # it imports us
            m = mbuf(data[14:])
            etype = (data[12] << 8) | data[13]
            src = bytes(data[6:12]) if d.bd_hdrcmplt else None
            err = ether_output(ifp, m, bytes(data[0:6]), etype, src)
        else:
            etype = _AF_ETHERTYPE.get(int.from_bytes(data[:4], "little"))
            if etype is None:
                raise oserror(EAFNOSUPPORT)
            err = ifp.if_output(ifp, mbuf(data[4:]), None, etype)
        if err:
            raise oserror(err)
        return len(data)

    def fo_ioctl(self, fp: file, cmd: int, data: Any, td: "proc") -> Any:
        d: bpf_d = fp.f_data
        if d.bd_state == BPF_WAITING:
            d.bd_callout.callout_stop()
        d.bd_state = BPF_IDLE
        return bpfioctl(d, cmd, data, td)

    def fo_poll(self, fp: file, events: int, td: Optional["proc"]) -> int:
        d: bpf_d = fp.f_data
        if d.bd_bif is None:
            return events & (POLLHUP | POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM)
        revents = events & (POLLOUT | POLLWRNORM)
        if events & (POLLIN | POLLRDNORM):
            if _bpf_ready(d):
                revents |= events & (POLLIN | POLLRDNORM)
            else:
                selrecord(td, d.bd_sel)
                # Start the read timeout if necessary.
                if d.bd_rtout > 0 and d.bd_state == BPF_IDLE:
                    d.bd_callout.callout_reset_ns(d.bd_rtout, bpf_timed_out, d)
                    d.bd_state = BPF_WAITING
        return revents

    def fo_stat(self, fp: file, td: "proc") -> stat:
        return vn_stat(fp.f_vnode)

    def fo_close(self, fp: file, td: Optional["proc"]) -> None:
        d: bpf_d = fp.f_data
        if d.bd_state == BPF_WAITING:
            d.bd_callout.callout_stop()
        d.bd_state = BPF_IDLE
        bpf_detachd(d)
        reset_d(d)
        st: Optional[bpf_softc] = getattr(d.bd_kernel, "bpf", None)
        if st is not None:
            if d in st.bpf_dlist:
                st.bpf_dlist.remove(d)
            if d.bd_unit is not None:
                st.bpf_units_busy.discard(d.bd_unit)
        selwakeup(d.bd_sel)


BPFOPS = bpfops()


def bpf_setf(d: bpf_d, fp: Any, wfilter: bool = False) -> int:
    """BIOCSETF/BIOCSETWF: install (or remove) a filter program."""
    if not isinstance(fp, bpf_program):
        return EINVAL
    if fp.bf_insns is None:
        if fp.bf_len != 0:
            return EINVAL
        insns = None
    else:
        st: bpf_softc = d.bd_kernel.bpf
        flen = fp.bf_len
        if type(flen) is not int or flen > st.bpf_maxinsns or flen < 0:
            return EINVAL
        try:
            insns = [bpf_insn(*ins) for ins in list(fp.bf_insns)[:flen]]
        except (TypeError, ValueError):
            return EINVAL                 # copyin of something that is no program
        if len(insns) != flen or not bpf_validate(insns, flen):
            return EINVAL
    if wfilter:
        d.bd_wfilter = insns
    else:
        d.bd_rfilter = insns
        reset_d(d)
    return 0


def bpf_setif(d: bpf_d, ifr: Any) -> int:
    """BIOCSETIF: attach to the interface named in ``ifr`` (ENXIO if none has bpf)."""
    if not isinstance(ifr, ifreq) or not isinstance(ifr.ifr_name, str):
        return EINVAL
    st: bpf_softc = d.bd_kernel.bpf
    for bp in st.bpf_iflist:
        if bp.bif_ifp.if_xname == ifr.ifr_name:
            if bp is not d.bd_bif:
                bpf_detachd(d)
                bpf_attachd(d, bp)
            reset_d(d)
            return 0
    return ENXIO


def _rtimeout_ns(tv: Any) -> int:
    if not isinstance(tv, timeval) and not (isinstance(tv, tuple) and len(tv) == 2):
        raise oserror(EINVAL)
    sec, usec = tv
    if type(sec) is not int or type(usec) is not int or sec < 0 or not 0 <= usec < 1_000_000:
        raise oserror(EINVAL)             # itimerfix
    ns = sec * 1_000_000_000 + usec * 1000
    return -(-ns // TICK_NS) * TICK_NS    # whole ticks (tvtohz), at least one if non-zero


def bpfioctl(d: bpf_d, cmd: int, data: Any, td: Optional["proc"]) -> Any:
    """The BIOC* requests (bpfioctl); the answer of _IOR requests is returned."""
    bp = d.bd_bif
    st: bpf_softc = d.bd_kernel.bpf
    if cmd == FIONREAD:
        return d.bd_slen + d.bd_hlen
    if cmd == BIOCGBLEN:
        return d.bd_bufsize
    if cmd == BIOCSBLEN:
        if bp is not None:
            raise oserror(EINVAL)         # too late: the buffers are in use
        size = _intarg(data)
        if size > st.bpf_maxbufsize:
            size = st.bpf_maxbufsize
        elif size < BPF_MINBUFSIZE:
            size = BPF_MINBUFSIZE
        d.bd_bufsize = size
        return size
    if cmd in (BIOCSETF, BIOCSETWF):
        err = bpf_setf(d, data, cmd == BIOCSETWF)
        if err:
            raise oserror(err)
        return 0
    if cmd == BIOCFLUSH:
        reset_d(d)
        return 0
    if cmd == BIOCPROMISC:
        if bp is None:
            raise oserror(EINVAL)         # no interface attached yet
        if not d.bd_promisc:
            err = ifpromisc(bp.bif_ifp, 1)
            if err:
                raise oserror(err)
            d.bd_promisc = 1
        return 0
    if cmd == BIOCGDLT:
        if bp is None:
            raise oserror(EINVAL)
        return bp.bif_dlt
    if cmd == BIOCGDLTLIST:
        if bp is None:
            raise oserror(EINVAL)
        dlts = [b.bif_dlt for b in st.bpf_iflist if b.bif_ifp is bp.bif_ifp]
        if isinstance(data, bpf_dltlist) and data.bfl_len:
            if len(dlts) > data.bfl_len:
                raise oserror(ENOMEM)
            return bpf_dltlist(len(dlts), dlts)
        return bpf_dltlist(len(dlts), [] if isinstance(data, bpf_dltlist) else dlts)
    if cmd == BIOCSDLT:
        if bp is None:
            raise oserror(EINVAL)
        if _intarg(data) != bp.bif_dlt:
            raise oserror(EINVAL)
        return 0
    if cmd == BIOCGETIF:
        if bp is None:
            raise oserror(EINVAL)
        return ifreq(ifr_name=bp.bif_ifp.if_xname)
    if cmd == BIOCSETIF:
        err = bpf_setif(d, data)
        if err:
            raise oserror(err)
        return 0
    if cmd == BIOCSRTIMEOUT:
        d.bd_rtout = _rtimeout_ns(data)
        return 0
    if cmd == BIOCGRTIMEOUT:
        return timeval.from_ns(d.bd_rtout)
    if cmd == BIOCGSTATS:
        return bpf_stat(d.bd_rcount & _U32, d.bd_dcount & _U32)
    if cmd == BIOCIMMEDIATE:
        d.bd_immediate = _intarg(data)
        return 0
    if cmd == BIOCVERSION:
        return bpf_version()
    if cmd == BIOCGHDRCMPLT:
        return d.bd_hdrcmplt
    if cmd == BIOCSHDRCMPLT:
        d.bd_hdrcmplt = 1 if _intarg(data) else 0
        return 0
    if cmd == BIOCGDIRECTION:
        return d.bd_direction
    if cmd == BIOCSDIRECTION:
        v = _intarg(data)
        if v not in (BPF_D_IN, BPF_D_INOUT, BPF_D_OUT):
            raise oserror(EINVAL)
        d.bd_direction = v
        return 0
    if cmd == BIOCGRSIG:
        return d.bd_sig
    if cmd == BIOCSRSIG:
        sig = _intarg(data)
        if not 0 <= sig < NSIG:
            raise oserror(EINVAL)
        d.bd_sig = sig
        return 0
    if cmd == FIONBIO:
        return 0                          # sys_ioctl keeps FNONBLOCK in f_flag
    if cmd == FIOASYNC:
        d.bd_async = 1 if data else 0
        return 0
    if cmd == FIOSETOWN:
        d.bd_sigio = _intarg(data)
        return 0
    if cmd == FIOGETOWN:
        return d.bd_sigio
    raise oserror(EINVAL)


class bpf_cdev(cdevsw):
    """/dev/bpf (``unit`` None: cloning) or /dev/bpfN (one open at a time)."""

    def __init__(self, unit: Optional[int] = None) -> None:
        self.unit = unit
        self.d_name = "bpf" if unit is None else f"bpf{unit}"

    def d_open(self, vp: Any, fflags: int, oflags: int, td: Optional["proc"]) -> file:
        k = vp.v_kernel
        st: Optional[bpf_softc] = getattr(k, "bpf", None)
        if st is None:
            raise oserror(ENXIO)
        if self.unit is not None:
            if self.unit in st.bpf_units_busy:
                raise oserror(EBUSY)
            st.bpf_units_busy.add(self.unit)
        d = bpf_d(k, st.bpf_bufsize, td.p_pid if td is not None else 0, self.unit)
        st.bpf_dlist.append(d)
        return file(DTYPE_VNODE, fflags & 0xFFFF, d, BPFOPS, vp)


def _xbpf_d(d: bpf_d) -> dict[str, Any]:
    """One entry of net.bpf.stats (FreeBSD's ``struct xbpf_d``, what netstat -B shows)."""
    return {"bd_promisc": d.bd_promisc, "bd_immediate": d.bd_immediate,
            "bd_hdrcmplt": d.bd_hdrcmplt, "bd_direction": d.bd_direction,
            "bd_async": d.bd_async, "bd_rcount": d.bd_rcount, "bd_dcount": d.bd_dcount,
            "bd_fcount": d.bd_fcount, "bd_sig": d.bd_sig, "bd_slen": d.bd_slen,
            "bd_hlen": d.bd_hlen, "bd_bufsize": d.bd_bufsize, "bd_pid": d.bd_pid,
            "bd_ifname": d.bd_bif.bif_ifp.if_xname if d.bd_bif else ""}


def bpf_init(k: "Kernel") -> None:
    """SYSINIT (bpf_drvinit): the device nodes and the net.bpf sysctls."""
    st = bpf_softc()
    k.bpf = st
    make_dev(k, bpf_cdev(None), "bpf", 0o600)
    for unit in range(NBPF_UNITS):
        make_dev(k, bpf_cdev(unit), f"bpf{unit}", 0o600)
    SYSCTL_INT(k, "net.bpf.bufsize", st, "bpf_bufsize", "Default bpf buffer size",
               check=lambda v: BPF_MINBUFSIZE <= v <= st.bpf_maxbufsize)
    SYSCTL_INT(k, "net.bpf.maxbufsize", st, "bpf_maxbufsize", "Maximum bpf buffer size",
               check=lambda v: BPF_MINBUFSIZE <= v <= 1 << 24)
    SYSCTL_INT(k, "net.bpf.maxinsns", st, "bpf_maxinsns", "Maximum bpf program instructions",
               check=lambda v: 1 <= v <= 1 << 16)
    SYSCTL_PROC(k, "net.bpf.stats", CTLTYPE_STRUCT, lambda: [_xbpf_d(d) for d in st.bpf_dlist],
                descr="bpf statistics portal")


__all__ = ["bpf_init", "bpfattach", "bpfdetach", "bpf_mtap", "bpf_mtap2", "bpf_tap",
           "bpf_if", "bpf_d", "bpf_softc", "catchpacket", "bpfioctl", "BPFOPS", "DLT_NULL"]
