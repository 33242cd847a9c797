"""The PCB lists for ``netstat -a``, IPv4's half (FreeBSD's udp_pcblist, rip_pcblist
in sys/netinet/udp_usrreq.c and raw_ip.c).

FreeBSD keeps IPv4 and IPv6 sockets in one list per protocol and tells them
apart by ``inp_vflag`` (INP_IPV4, INP_IPV6); kamebox keeps ``k.udbinfo4`` /
``k.ripcbinfo4`` apart from IPv6's ``k.udbinfo`` / ``k.ripcbinfo``.  So
``in_pcblist_init`` (a SYSINIT after netinet6's ``in6_pcblist_init``)
installs ``sysctl net.inet.udp.pcblist`` and ``net.inet.raw.pcblist`` as
FreeBSD has them: one ``xinpcb``-like record per socket of both families —
the IPv4 ones (these), then the IPv6 ones (``kernel/netinet6/in6_pcblist.py``).
An IPv4 record: ``inp_vflag`` INP_IPV4, the protocol, local and foreign
address (4 bytes) and port (host order), the socket type and the bytes
waiting in its receive and send buffers.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kernel.kern.kern_sysctl import CTLTYPE_STRUCT, SYSCTL_PROC

if TYPE_CHECKING:  # pragma: no cover
    from kernel.kern.init_main import Kernel

INP_IPV4 = 0x1                   # inp_vflag (netinet/in_pcb.h)
IPPROTO_UDP = 17


def xinpcb4(inp: Any, proto: int) -> dict[str, Any]:
    """The record of one IPv4 PCB (``struct xinpcb``: ``xi_inp`` and ``xi_socket``)."""
    so = inp.inp_socket
    return {"inp_vflag": INP_IPV4, "xso_protocol": proto,
            "inp_laddr": bytes(inp.inp_laddr), "inp_lport": inp.inp_lport,
            "inp_faddr": bytes(inp.inp_faddr), "inp_fport": inp.inp_fport,
            "so_type": so.so_type if so is not None else 0,
            "so_rcv_cc": so.so_rcv.sb_cc if so is not None else 0,
            "so_snd_cc": so.so_snd.sb_cc if so is not None else 0}


def udp_pcblist4(k: "Kernel") -> list[dict[str, Any]]:
    info = getattr(k, "udbinfo4", None)
    return [xinpcb4(inp, IPPROTO_UDP) for inp in (info.ipi_list if info is not None else ())]


def rip_pcblist4(k: "Kernel") -> list[dict[str, Any]]:
    info = getattr(k, "ripcbinfo4", None)
    return [xinpcb4(inp, inp.inp_ip_p) for inp in (info.ipi_list if info is not None else ())]


def udp_pcblist(k: "Kernel") -> list[dict[str, Any]]:
    """``net.inet.udp.pcblist``: every UDP socket, IPv4 and IPv6."""
    from kernel.netinet6 import in6_pcblist
    return udp_pcblist4(k) + in6_pcblist.udp_pcblist(k)


def rip_pcblist(k: "Kernel") -> list[dict[str, Any]]:
    """``net.inet.raw.pcblist``: every raw socket, IPv4 and IPv6."""
    from kernel.netinet6 import in6_pcblist
    return rip_pcblist4(k) + in6_pcblist.rip_pcblist(k)


def in_pcblist_init(k: "Kernel") -> None:
    """SYSINIT: the pcblist sysctl nodes, over both families."""
    SYSCTL_PROC(k, "net.inet.udp.pcblist", CTLTYPE_STRUCT, lambda: udp_pcblist(k),
                descr="List of active UDP sockets")
    SYSCTL_PROC(k, "net.inet.raw.pcblist", CTLTYPE_STRUCT, lambda: rip_pcblist(k),
                descr="List of active raw IP sockets")


__all__ = ["in_pcblist_init", "udp_pcblist", "rip_pcblist", "udp_pcblist4", "rip_pcblist4",
           "xinpcb4", "INP_IPV4"]
