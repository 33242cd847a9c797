"""The software loopback interface lo0 (sys/net/if_loop.c).

``loattach(k)`` creates ``lo0`` — IFF_LOOPBACK, IFF_MULTICAST, MTU 16384 —
brings it up and gives it ``::1`` and ``fe80::1%lo0`` (in6_ifattach).
``k.loif`` is BSD's ``V_loif``.  It is a pseudo-device SYSINIT
(``PSEUDO_SYSINITS`` in init_main.py, FreeBSD's SI_SUB_PSEUDO), run after
autoconfiguration has attached the NICs, as in FreeBSD: em0 is interface 1,
em1 2, ..., and lo0 takes the next index (``ifconfig -l``: ``em0 lo0``).

``looutput(ifp, m, dst, ethertype)`` hands the packet back to the protocol's
input routine (the one registered for ``ethertype``) as a new softnet event,
with ``M_LOOP`` set and ``rcvif = ifp``.  As in FreeBSD, ``nd6_output_ifp``
calls lo0's output with the *original* interface (the one the destination
address belongs to) as ``ifp``, so the packet arrives on that interface:
``fe80::1%em0`` sent to itself comes in on em0.

bpf: lo0 is attached as DLT_NULL, whose link header is the 4-byte address
family in host order.  ``lo_bpf_mtap(ifp, m, ethertype)`` shows a looped
packet to lo0's listeners once (if.c ``if_simloop``: "passes to lo0's BPF,
even in case of IPv6, where ifp != lo0"; multicast looped on another
interface is not shown); ``looutput`` calls it.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kernel.kern.uipc_mbuf import M_LOOP, M_MCAST, mbuf
from kernel.net.bpf import bpf_mtap2, bpfattach
from kernel.net.if_var import ifnet, if_attach
from kernel.netinet6 import in6
from kernel.wire import errno as bsd_errno
from kernel.wire.bpf import DLT_NULL
from kernel.wire.socket import AF_INET, AF_INET6
from kernel.wire.net_if import IFF, IFT
from kernel.wire.sockio import SIOCADDMULTI, SIOCDELMULTI, SIOCSIFFLAGS, SIOCSIFMTU

if TYPE_CHECKING:  # pragma: no cover
    from kernel.kern.init_main import Kernel

LOMTU = 16384
LOMTU_MAX = 65536
_ETHERTYPE_AF = {0x86DD: AF_INET6, 0x0800: AF_INET}


def loattach(k: "Kernel") -> ifnet:
    """SYSINIT (after the devices): create lo0 and bring it up with its IPv6 addresses."""
    ifp = ifnet(k, "lo", 0)
    ifp.if_type = IFT.LOOP
    ifp.if_mtu = LOMTU
    ifp.if_flags = int(IFF.LOOPBACK | IFF.MULTICAST)
    ifp.if_output = looutput
    ifp.if_ioctl = loioctl
    if_attach(ifp)
    bpfattach(ifp, DLT_NULL, 4)        # sizeof(u_int32_t): the address family
    k.loif = ifp
    ifp.if_flags |= int(IFF.UP | IFF.DRV_RUNNING)
    in6.in6_if_up(ifp)
    return ifp


def looutput(ifp: Any, m: mbuf, dst: Any, ethertype: int) -> int:
    """Loop ``m`` back: counted on lo0, received on ``ifp`` in a new event."""
    k = ifp.kernel
    lo = getattr(k, "loif", None) or ifp
    if not lo.if_flags & IFF.UP:
        lo.if_data.ifi_oerrors += 1
        return bsd_errno.ENETDOWN
    proto = k.ether_protos.get(int(ethertype))
    lo.if_data.ifi_opackets += 1
    lo.if_data.ifi_obytes += m.m_len
    if proto is None:
        lo.if_data.ifi_noproto += 1
        return bsd_errno.EAFNOSUPPORT
    m.m_flags |= M_LOOP
    m.rcvif = ifp
    if lo.if_bpf is not None:
        lo_bpf_mtap(ifp, m, ethertype)
    k.platform.call_later(0, _loinput, (lo, ifp, m, proto))
    return 0


def lo_bpf_mtap(ifp: Any, m: mbuf, ethertype: int) -> None:
    """Show a packet looped back on ``ifp`` to lo0's bpf listeners, behind its
    DLT_NULL header (bpf_mtap2 with the address family, if_simloop)."""
    lo = getattr(ifp.kernel, "loif", None)
    if lo is None or lo.if_bpf is None:
        return
    if m.m_flags & M_MCAST and lo is not ifp:
        return                          # multicast loopback is not shown on lo0
    af = _ETHERTYPE_AF.get(int(ethertype), 0)
    bpf_mtap2(lo, af.to_bytes(4, "little"), m, False)


def _loinput(arg: tuple) -> None:
    lo, ifp, m, proto = arg
    lo.if_data.ifi_ipackets += 1
    lo.if_data.ifi_ibytes += m.m_len
    proto(ifp, m)


def loioctl(ifp: Any, cmd: int, data: Any) -> int:
    if cmd == SIOCSIFFLAGS:
        return 0
    if cmd in (SIOCADDMULTI, SIOCDELMULTI):
        return 0                      # everything is received anyway
    if cmd == SIOCSIFMTU:
        if not isinstance(data, int) or not 0 < data <= LOMTU_MAX:
            return bsd_errno.EINVAL
        ifp.if_mtu = data
        return 0
    return bsd_errno.EINVAL
