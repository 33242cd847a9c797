"""Ethernet input and output (sys/net/if_ethersubr.c).

``ether_ifattach`` gives an interface its link-layer address and the Ethernet
``if_input``/``if_output``.  ``ether_input`` classifies the frame
(``M_BCAST``/``M_MCAST``), filters multicast in software — the NIC's hash
filter is imprecise, so a group whose hash collides with a joined one passes
the hardware and is dropped here unless the interface is ALLMULTI or
PROMISC — and hands the payload to the protocol registered for the ethertype
(``ether_demux``/netisr).  ``ether_output`` prepends the header and queues the
frame for the driver's ``if_start``.

bpf (kernel/net/bpf.py): ``ether_ifattach`` attaches the interface as
DLT_EN10MB; ``ether_input`` shows each frame of an interface that is up to
the listeners before the software multicast filter or the promiscuous
"not for us" check drops it, as FreeBSD's ``BPF_MTAP`` in ether_input does;
``ether_output`` shows each frame it queues for the driver.  Both cost one
attribute test (``ifp.if_bpf``) when nobody listens.
"""
from __future__ import annotations

from typing import Callable

from kernel.kern.uipc_mbuf import M_BCAST, M_MCAST, M_PROMISC, mbuf
from kernel.net.bpf import bpf_mtap, bpfattach
from kernel.net.if_var import ifnet, if_attach
from kernel.wire.bpf import DLT_EN10MB
from kernel.wire import errno
from kernel.wire.ethernet import ETHER_BROADCAST, ETHER_HDR_LEN, ETHERMTU, ether_header
from kernel.wire.net_if import IFF, IFT, LinkState

_eh = ether_header
_IFF_PROMISC_ALLMULTI = int(IFF.PROMISC | IFF.ALLMULTI)
_IFF_UP = int(IFF.UP)
_IFF_PROMISC = int(IFF.PROMISC)


def ether_ifattach(ifp: ifnet, lla: bytes) -> None:
    """Attach an Ethernet interface with link-layer address ``lla``."""
    ifp.if_type = IFT.ETHER
    ifp.if_addr = bytes(lla)
    ifp.if_hdrlen = ETHER_HDR_LEN
    ifp.if_mtu = ETHERMTU
    ifp.if_flags |= int(IFF.BROADCAST | IFF.SIMPLEX | IFF.MULTICAST)
    ifp.if_input = ether_input
    ifp.if_output = ether_output
    if_attach(ifp)
    bpfattach(ifp, DLT_EN10MB, ETHER_HDR_LEN)
    ifp.kernel.printf(f"{ifp.if_xname}: Ethernet address: {lla.hex(':')}\n")


def ether_input(ifp: ifnet, m: mbuf) -> None:
    """Receive one frame from a driver (interrupt context)."""
    k = ifp.kernel
    ifd = ifp.if_data
    if m.m_len < ETHER_HDR_LEN:
        ifd.ifi_ierrors += 1
        k.count("ether_input_runt")
        return
    if not (ifp.if_flags & _IFF_UP):
        ifd.ifi_iqdrops += 1           # if_ethersubr.c: drop if interface is down
        return
    buf = m.buf
    off = m.off
    ifd.ifi_ipackets += 1
    ifd.ifi_ibytes += m.m_len
    group = buf[off] & 0x01            # group bit of the destination
    mcast = None
    if group:
        dst = bytes(buf[off:off + 6])
        if dst == ETHER_BROADCAST:
            m.m_flags |= M_BCAST
        else:
            m.m_flags |= M_MCAST
            ifd.ifi_imcasts += 1
            mcast = dst
    if ifp.if_bpf is not None:         # BPF_MTAP: tap the frame off here for bpf
        bpf_mtap(ifp, m, False)
    if group:
        # Software multicast filter behind the imprecise hardware hash.
        if (mcast is not None and not (ifp.if_flags & _IFF_PROMISC_ALLMULTI)
                and ifp.if_findmulti(mcast) is None):
            ifd.ifi_iqdrops += 1
            k.count("ether_mcast_filtered")
            return
    elif ifp.if_flags & _IFF_PROMISC and bytes(buf[off:off + 6]) != ifp.if_addr:
        m.m_flags |= M_PROMISC         # for bpf only; not for us
        k.count("ether_promisc_notforus")
        return
    ether_demux(ifp, m)


def ether_demux(ifp: ifnet, m: mbuf) -> None:
    """Strip the header and dispatch on the ethertype (netisr_dispatch)."""
    etype = (m.buf[m.off + 12] << 8) | m.buf[m.off + 13]
    proto = ifp.kernel.ether_protos.get(etype)
    if proto is None:
        ifp.if_data.ifi_noproto += 1
        return
    n = ETHER_HDR_LEN if m.m_len >= ETHER_HDR_LEN else m.m_len    # m_adj(m, ETHER_HDR_LEN)
    m.off += n
    m.m_len -= n
    proto(ifp, m)


def ether_output(ifp: ifnet, m: mbuf, dst: bytes, ethertype: int,
                 src: bytes | None = None) -> int:
    """Prepend an Ethernet header and queue the frame (ether_output_frame).

    ``src`` is the source address of a header that is complete already (a
    bpf write with BIOCSHDRCMPLT, FreeBSD's pseudo_AF_HDRCMPLT); otherwise
    the interface's own.  Returns 0 or an errno (ENETDOWN when the interface
    is down, ENOBUFS when the send queue is full — counted in ifi_oqdrops).
    """
    if not (ifp.if_flags & _IFF_UP) or ifp.if_link_state == LinkState.DOWN:
        ifp.if_data.ifi_oerrors += 1
        return errno.ENETDOWN
    off = m.m_prepend(ETHER_HDR_LEN)
    _eh.pack_into(m.buf, off, dst, ifp.if_addr if src is None else src, ethertype)
    if dst[0] & 0x01 and dst != ETHER_BROADCAST:
        ifp.if_data.ifi_omcasts += 1
    ifq = ifp.if_snd                   # IF_ENQUEUE (ifqueue.enqueue inline)
    if len(ifq.q) >= ifq.ifq_maxlen:
        ifq.ifq_drops += 1
        ifp.if_data.ifi_oqdrops += 1
        return errno.ENOBUFS
    ifq.q.append(m)
    if ifp.if_bpf is not None:         # BPF_MTAP of the frame handed to the driver
        bpf_mtap(ifp, m, True)
    if ifp.if_start is not None:
        ifp.if_start(ifp)
    return 0


def ether_register(kernel, ethertype: int, proto: Callable[[ifnet, mbuf], None]) -> None:
    """Register the input routine of a protocol (netisr_register)."""
    kernel.ether_protos[ethertype] = proto
