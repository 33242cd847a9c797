"""The inet6 protocol switch and domain (sys/netinet6/in6_proto.c).

``k.inet6sw`` is the input side, indexed by next header: BSD's
``ip6_protox[nxt]`` followed to ``inet6sw[].pr_input``, called as
``k.inet6sw[nxt](k, m, off, nxt)`` (docs/kernel.md).  Protocols nobody
claims go to ``rip6_input``; a hop-by-hop header that is not first goes to
``ip6_hbh_notfirst`` (RFC 8200 4.1).  ``k.inet6_ctlinput[nxt]`` is the
``pr_ctlinput`` of each protocol, for ICMPv6 errors.

``inet6domain`` declares the protocols to the socket layer
(kernel/kern/uipc_domain.py).  An entry is named by "module:function" so
that a protocol whose module has not landed yet (udp6_usrreq, raw sockets)
is simply left out.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Optional

from kernel.netinet6.ip6_var import netinet6_func
from kernel.wire.in6 import AF_INET6
from kernel.wire.ip6 import (IPPROTO_DSTOPTS, IPPROTO_FRAGMENT, IPPROTO_HOPOPTS, IPPROTO_ICMPV6,
                             IPPROTO_IPV4, IPPROTO_IPV6, IPPROTO_RAW, IPPROTO_ROUTING,
                             IPPROTO_UDP)

if TYPE_CHECKING:  # pragma: no cover
    from kernel.kern.init_main import Kernel

SOCK_DGRAM = 2
SOCK_RAW = 3
PR_ATOMIC = 0x01
PR_ADDR = 0x02

# (type, protocol, flags, pr_input, pr_ctlinput, pr_ctloutput, pr_usrreqs), by "module:name"
INET6SW: list[tuple[int, int, int, str, str, str, str]] = [
    (SOCK_DGRAM, IPPROTO_UDP, PR_ATOMIC | PR_ADDR, "udp6_usrreq:udp6_input",
     "udp6_usrreq:udp6_ctlinput", "udp6_usrreq:udp6_ctloutput", "udp6_usrreq:udp6_usrreqs"),
    (SOCK_RAW, IPPROTO_RAW, PR_ATOMIC | PR_ADDR, "raw_ip6:rip6_input",
     "raw_ip6:rip6_ctlinput", "raw_ip6:rip6_ctloutput", "raw_ip6:rip6_usrreqs"),
    (SOCK_RAW, IPPROTO_ICMPV6, PR_ATOMIC | PR_ADDR, "icmp6:icmp6_input",
     "raw_ip6:rip6_ctlinput", "raw_ip6:rip6_ctloutput", "raw_ip6:rip6_usrreqs"),
    (SOCK_RAW, IPPROTO_DSTOPTS, PR_ATOMIC | PR_ADDR, "dest6:dest6_input", "", "", ""),
    (SOCK_RAW, IPPROTO_ROUTING, PR_ATOMIC | PR_ADDR, "route6:route6_input", "", "", ""),
    (SOCK_RAW, IPPROTO_FRAGMENT, PR_ATOMIC | PR_ADDR, "frag6:frag6_input", "", "", ""),
    # tunnels (encap6_input): gif(4) claims what its endpoints match, raw sockets the rest
    (SOCK_RAW, IPPROTO_IPV6, PR_ATOMIC | PR_ADDR, "in6_gif:in6_gif_input", "",
     "raw_ip6:rip6_ctloutput", "raw_ip6:rip6_usrreqs"),
    (SOCK_RAW, IPPROTO_IPV4, PR_ATOMIC | PR_ADDR, "in6_gif:in6_gif_input", "",
     "raw_ip6:rip6_ctloutput", "raw_ip6:rip6_usrreqs"),
    # the raw wildcard: any other protocol
    (SOCK_RAW, 0, PR_ATOMIC | PR_ADDR, "raw_ip6:rip6_input", "raw_ip6:rip6_ctlinput",
     "raw_ip6:rip6_ctloutput", "raw_ip6:rip6_usrreqs"),
]


def _resolve(ref: str) -> Optional[Callable[..., Any]]:
    if not ref:
        return None
    mod, _, name = ref.partition(":")
    return netinet6_func(mod, name)


def in6_proto_register(k: "Kernel", proto: int, pr_input: Callable[..., Any],
                       pr_ctlinput: Optional[Callable[..., Any]] = None) -> None:
    """Claim next header ``proto`` (ip6proto_register): ``pr_input(k, m, off, nxt)``."""
    k.inet6sw[proto] = pr_input
    if pr_ctlinput is not None:
        k.inet6_ctlinput[proto] = pr_ctlinput


def in6_proto_init(k: "Kernel") -> None:
    """Build the input switch of ``k`` and register the inet6 domain for sockets."""
    from kernel.netinet6.ip6_input import ip6_hbh_notfirst
    from kernel.netinet6.raw_ip6 import rip6_input
    sw: list[Callable[..., Any]] = [rip6_input] * 256
    ctl: list[Optional[Callable[..., Any]]] = [None] * 256
    protosws = []
    for typ, proto, flags, inp, ctlin, ctlout, usr in INET6SW:
        fin = _resolve(inp)
        if fin is None:
            continue
        fctl = _resolve(ctlin)
        if proto:
            sw[proto] = fin
            ctl[proto] = fctl
        protosws.append((typ, proto, flags, fin, fctl, _resolve(ctlout), _resolve(usr)))
    sw[IPPROTO_HOPOPTS] = ip6_hbh_notfirst     # RFC 8200 4.1: only right after the IPv6 header
    k.inet6sw = sw
    k.inet6_ctlinput = ctl
    k.inet6_protosw = protosws
    for init in ("udp6_usrreq:udp6_init", "raw_ip6:rip6_init"):
        f = _resolve(init)
        if f is not None:
            f(k)
    try:
        from kernel.kern import uipc_domain as ud
    except ImportError:                          # pragma: no cover - no socket layer
        return
    entries = [ud.protosw(t, p, f, u, pr_input=i, pr_ctlinput=c, pr_ctloutput=co,
                          pr_name=getattr(i, "__name__", ""))
               for (t, p, f, i, c, co, u) in protosws]
    if ud.pffinddomain(k, AF_INET6) is None:
        ud.domain_add(k, ud.domain(AF_INET6, "internet6", entries))
