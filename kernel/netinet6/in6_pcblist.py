"""The PCB lists for ``netstat -a`` (FreeBSD's udp_pcblist, rip_pcblist sysctls).

``sysctl net.inet.udp.pcblist`` and ``net.inet.raw.pcblist`` return one
``xinpcb``-like record per socket of ``k.udbinfo`` / ``k.ripcbinfo``: its
addresses and ports (host order), zones, the protocol, and the bytes waiting
in its receive and send buffers.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kernel.kern.kern_sysctl import CTLTYPE_STRUCT, SYSCTL_PROC

if TYPE_CHECKING:  # pragma: no cover
    from kernel.kern.init_main import Kernel

INP_IPV6 = 0x2                   # inp_vflag
IPPROTO_UDP = 17


def xinpcb(inp: Any, proto: int) -> dict[str, Any]:
    so = inp.in6p_socket
    return {"inp_vflag": INP_IPV6, "xso_protocol": proto,
            "in6p_laddr": bytes(inp.in6p_laddr), "inp_lport": inp.in6p_lport,
            "in6p_lzone": inp.in6p_lzone,
            "in6p_faddr": bytes(inp.in6p_faddr), "inp_fport": inp.in6p_fport,
            "in6p_fzone": inp.in6p_fzone,
            "so_type": so.so_type if so is not None else 0,
            "so_rcv_cc": so.so_rcv.sb_cc if so is not None else 0,
            "so_snd_cc": so.so_snd.sb_cc if so is not None else 0}


def udp_pcblist(k: "Kernel") -> list[dict[str, Any]]:
    info = getattr(k, "udbinfo", None)
    return [xinpcb(inp, IPPROTO_UDP) for inp in (info.ipi_list if info is not None else ())]


def rip_pcblist(k: "Kernel") -> list[dict[str, Any]]:
    info = getattr(k, "ripcbinfo", None)
    return [xinpcb(inp, inp.in6p_ip6_nxt) for inp in (info.ipi_list if info is not None else ())]


def in6_pcblist_init(k: "Kernel") -> None:
    """SYSINIT: the pcblist sysctl nodes."""
    SYSCTL_PROC(k, "net.inet.udp.pcblist", CTLTYPE_STRUCT, lambda: udp_pcblist(k),
                descr="List of active UDP sockets")
    SYSCTL_PROC(k, "net.inet.raw.pcblist", CTLTYPE_STRUCT, lambda: rip_pcblist(k),
                descr="List of active raw IP sockets")
