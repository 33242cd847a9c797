"""Destination options header input (sys/netinet6/dest6.c).

RFC 8200 4.6: the destination options header carries options for the
destination(s) only; its options are processed as in 4.2 — Pad1 and PadN
skipped, an unrecognized option acted on by the two high-order bits of its
type (``ip6_unknown_opt``: skip; discard; discard and send Parameter
Problem code 2; the same unless the destination was multicast).  The home
address option (RFC 6275 6.3) is Mobile IPv6's and comes with mip6.  The
header stays in the mbuf in front of the next one: ``ip6_savecontrol``
(ip6_output.py) hands it to the sockets that set IPV6_RECVDSTOPTS (RFC 3542 4).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from kernel.kern.uipc_mbuf import mbuf
from kernel.netinet6.ip6_input import ip6_process_opts
from kernel.netinet6.ip6_var import IP6_EXTHDR_CHECK
from kernel.wire.ip6 import IPPROTO_DONE

if TYPE_CHECKING:  # pragma: no cover
    from kernel.kern.init_main import Kernel


def dest6_input(k: "Kernel", m: mbuf, off: int, proto: int) -> int:
    """inet6sw[IPPROTO_DSTOPTS]: returns the next header, its offset in ``k.ip6.ip6_nxtoff``."""
    dstoptlen = IP6_EXTHDR_CHECK(k, m, off)
    if dstoptlen < 0:
        return IPPROTO_DONE
    nxt = m.buf[m.off + off]
    if ip6_process_opts(k, m, off + 2, dstoptlen - 2, False) is None:
        return IPPROTO_DONE
    k.ip6.ip6_nxtoff = off + dstoptlen
    return nxt
