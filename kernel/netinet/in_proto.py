"""The inet protocol switch and domain (sys/netinet/in_proto.c).

``k.inetsw`` is the input side, indexed by protocol: BSD's
``ip_protox[p]`` followed to ``inetsw[].pr_input``, called as
``k.inetsw[p](k, m, off, p)`` with ``m`` at the IP header and ``off`` the
header length (the same signature as IPv6's ``k.inet6sw``).  Protocols
nobody claims go to ``rip_input``.  ``k.inet_ctlinput[p]`` is the
``pr_ctlinput`` of each protocol, ``fn(k, cmd, sockaddr_in, quoted_ip)``,
for ICMP errors.  A later protocol (IGMP, a 6-in-4 tunnel's
IPPROTO_IPV6, IPsec) claims its number with ``in_proto_register``.

``inetdomain`` declares the protocols to the socket layer
(kernel/kern/uipc_domain.py): UDP, raw ICMP, raw IPPROTO_RAW and the raw
wildcard.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Optional

from kernel.kern import uipc_domain as ud
from kernel.netinet import in_gif, ip_icmp, raw_ip, udp_usrreq
from kernel.wire.in_ import AF_INET
from kernel.wire.ip6 import IPPROTO_ICMP, IPPROTO_IPV4, IPPROTO_IPV6, IPPROTO_RAW, IPPROTO_UDP
from kernel.wire.socket import SOCK_DGRAM, SOCK_RAW

if TYPE_CHECKING:  # pragma: no cover
    from kernel.kern.init_main import Kernel

_FLAGS = ud.PR_ATOMIC | ud.PR_ADDR

# (type, protocol, pr_input, pr_ctlinput, pr_ctloutput, pr_usrreqs)
INETSW: list[tuple[int, int, Any, Any, Any, Any]] = [
    (SOCK_DGRAM, IPPROTO_UDP, udp_usrreq.udp_input, udp_usrreq.udp_ctlinput,
     udp_usrreq.udp_ctloutput, udp_usrreq.udp_usrreqs),
    (SOCK_RAW, IPPROTO_RAW, raw_ip.rip_input, raw_ip.rip_ctlinput, raw_ip.rip_ctloutput,
     raw_ip.rip_usrreqs),
    (SOCK_RAW, IPPROTO_ICMP, ip_icmp.icmp_input, None, raw_ip.rip_ctloutput,
     raw_ip.rip_usrreqs),
    # tunnels (encap4_input): gif(4) claims what its endpoints match, raw sockets the rest
    (SOCK_RAW, IPPROTO_IPV4, in_gif.in_gif_input, None, raw_ip.rip_ctloutput,
     raw_ip.rip_usrreqs),
    (SOCK_RAW, IPPROTO_IPV6, in_gif.in_gif_input, None, raw_ip.rip_ctloutput,
     raw_ip.rip_usrreqs),
    # the raw wildcard: any other protocol
    (SOCK_RAW, 0, raw_ip.rip_input, raw_ip.rip_ctlinput, raw_ip.rip_ctloutput,
     raw_ip.rip_usrreqs),
]


def in_proto_register(k: "Kernel", proto: int, pr_input: Callable[..., Any],
                      pr_ctlinput: Optional[Callable[..., Any]] = None) -> None:
    """Claim protocol ``proto`` (ipproto_register): ``pr_input(k, m, off, proto)``."""
    k.inetsw[proto] = pr_input
    if pr_ctlinput is not None:
        k.inet_ctlinput[proto] = pr_ctlinput


def in_proto_init(k: "Kernel") -> None:
    """Build the input switch of ``k``, initialize the protocols, register the
    inet domain for sockets."""
    sw: list[Callable[..., Any]] = [raw_ip.rip_input] * 256
    ctl: list[Optional[Callable[..., Any]]] = [None] * 256
    for _t, proto, inp, ctlin, _co, _u in INETSW:
        if proto:
            sw[proto] = inp
            ctl[proto] = ctlin
    k.inetsw = sw
    k.inet_ctlinput = ctl
    ip_icmp.icmp_init(k)
    udp_usrreq.udp_init(k)
    raw_ip.rip_init(k)
    if ud.pffinddomain(k, AF_INET) is None:
        entries = [ud.protosw(t, p, _FLAGS, u, pr_input=i, pr_ctlinput=c, pr_ctloutput=co,
                              pr_name=getattr(i, "__name__", ""))
                   for (t, p, i, c, co, u) in INETSW]
        ud.domain_add(k, ud.domain(AF_INET, "internet", entries))
