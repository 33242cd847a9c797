"""Routing header input (sys/netinet6/route6.c).

RFC 8200 4.4: with Segments Left zero, an unrecognized routing type is
ignored and the next header processed; with Segments Left non-zero the
packet is discarded and a Parameter Problem code 0 sent pointing at the
Routing Type.  RFC 5095 3: type 0 is deprecated and treated exactly as an
unrecognized type ("IPv6 nodes MUST NOT process RH0 in packets whose
addressed destination lies within the node").  Type 2 (RFC 6275 6.4) is
Mobile IPv6's and comes with mip6; until then it is unrecognized too.  A
header with Segments Left zero stays in the mbuf: ``ip6_savecontrol``
(ip6_output.py) hands it to the sockets that set IPV6_RECVRTHDR (RFC 3542 4).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from kernel.kern.uipc_mbuf import mbuf
from kernel.netinet6.ip6_var import IP6_EXTHDR_CHECK
from kernel.wire.icmp6 import ICMP6_PARAM_PROB, ICMP6_PARAMPROB_HEADER
from kernel.wire.ip6 import IPPROTO_DONE, IPV6_RTHDR_TYPE_0, ip6_rthdr

if TYPE_CHECKING:  # pragma: no cover
    from kernel.kern.init_main import Kernel


def route6_input(k: "Kernel", m: mbuf, off: int, proto: int) -> int:
    """inet6sw[IPPROTO_ROUTING]: returns the next header, its offset in ``k.ip6.ip6_nxtoff``."""
    rhlen = IP6_EXTHDR_CHECK(k, m, off)
    if rhlen < 0:
        return IPPROTO_DONE
    nxt, _ln, rhtype, segleft = ip6_rthdr.unpack_from(m.buf, m.off + off)
    if segleft == 0:
        # RFC 8200 4.4: "If Segments Left is zero, the node must ignore the
        # Routing header and proceed to process the next header in the packet."
        k.ip6.ip6_nxtoff = off + rhlen
        return nxt
    # RFC 8200 4.4 / RFC 5095 3 (type 0 is refused like any unknown type):
    # "the node must discard the packet and send an ICMP Parameter Problem,
    # Code 0, message to the packet's Source Address, pointing to the
    # unrecognized Routing Type."
    k.ip6stat.ip6s_badoptions += 1
    if rhtype == IPV6_RTHDR_TYPE_0:
        k.count("route6_rh0_refused")
    from kernel.netinet6.icmp6 import icmp6_error
    icmp6_error(k, m, ICMP6_PARAM_PROB, ICMP6_PARAMPROB_HEADER, off + 2)
    return IPPROTO_DONE
