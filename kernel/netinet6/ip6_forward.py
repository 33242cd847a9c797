"""IPv6 forwarding (sys/netinet6/ip6_forward.c) — the plain version.

A router (net.inet6.ip6.forwarding=1) forwards a packet that is not for
it: never a multicast, link-layer multicast/broadcast or unspecified-source
packet (KAME); hop limit exhausted -> Time Exceeded code 0 (RFC 4443 3.3,
RFC 8200 3); no route -> Destination Unreachable code 0, a reject route ->
code 6 (RFC 4443 3.1); leaving the zone of a scoped source -> code 2 (RFC
4007 9, RFC 4443 3.1); too big for the next link -> Packet Too Big with its
MTU (RFC 8200 5, RFC 4443 3.2: routers do not fragment).  Redirects (RFC
4861 8.2) and multicast forwarding come with the forwarding issue.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from kernel.kern.uipc_mbuf import M_BCAST, M_MCAST, mbuf
from kernel.net.route import rtalloc1
from kernel.wire.icmp6 import (ICMP6_DST_UNREACH, ICMP6_DST_UNREACH_BEYONDSCOPE,
                               ICMP6_DST_UNREACH_NOROUTE, ICMP6_DST_UNREACH_REJECT,
                               ICMP6_PACKET_TOO_BIG, ICMP6_TIME_EXCEED_TRANSIT,
                               ICMP6_TIME_EXCEEDED)
from kernel.wire.in6 import IN6ADDR_ANY, in6_is_scoped
from kernel.wire.ip6 import IPV6_HLIMDEC
from kernel.wire.route import RTF_BLACKHOLE, RTF_GATEWAY, RTF_REJECT

if TYPE_CHECKING:  # pragma: no cover
    from kernel.kern.init_main import Kernel


def ip6_forward(k: "Kernel", m: mbuf, srcrt: int = 0) -> None:
    """Forward ``m`` (starting at its IPv6 header, received on ``m.rcvif``)."""
    from kernel.netinet6.icmp6 import icmp6_error
    from kernel.netinet6.ip6_output import in6_linkmtu, nd6_output
    st = k.ip6stat
    b = m.buf
    o = m.off
    src = bytes(b[o + 8:o + 24])
    dst = bytes(b[o + 24:o + 40])
    # KAME: "Do not forward packets to multicast destination (should be handled
    # by ip6_mforward()).  Do not forward packets with unspecified source."
    if m.m_flags & (M_BCAST | M_MCAST) or dst[0] == 0xFF or src == IN6ADDR_ANY:
        st.ip6s_cantforward += 1
        return
    rcvif = m.rcvif
    # RFC 4291 2.5.6: "Routers must not forward any packets with Link-Local
    # source or destination addresses to other links" — a link-local
    # destination that is not ours has nowhere to go.
    if in6_is_scoped(dst):
        st.ip6s_badscope += 1
        st.ip6s_cantforward += 1
        return
    # RFC 8200 3 / RFC 4443 3.3: the hop limit is decremented by each node
    # that forwards; at zero the packet is discarded with Time Exceeded code 0.
    if b[o + 7] <= IPV6_HLIMDEC:
        st.ip6s_cantforward += 1
        icmp6_error(k, m, ICMP6_TIME_EXCEEDED, ICMP6_TIME_EXCEED_TRANSIT, 0)
        return
    rt = rtalloc1(k, dst, 0)
    if rt is None:
        st.ip6s_noroute += 1
        st.ip6s_cantforward += 1
        icmp6_error(k, m, ICMP6_DST_UNREACH, ICMP6_DST_UNREACH_NOROUTE, 0)
        return
    if rt.rt_flags & RTF_BLACKHOLE:
        st.ip6s_cantforward += 1
        return
    if rt.rt_flags & RTF_REJECT or rt.rt_ifp is None:
        st.ip6s_noroute += 1
        st.ip6s_cantforward += 1
        icmp6_error(k, m, ICMP6_DST_UNREACH, ICMP6_DST_UNREACH_REJECT, 0)
        return
    ifp = rt.rt_ifp
    # RFC 4007 9 / RFC 4443 3.1 code 2: a scoped source must not leave its zone.
    if in6_is_scoped(src) and ifp is not rcvif:
        st.ip6s_badscope += 1
        st.ip6s_cantforward += 1
        icmp6_error(k, m, ICMP6_DST_UNREACH, ICMP6_DST_UNREACH_BEYONDSCOPE, 0)
        return
    mtu = in6_linkmtu(ifp)
    if rt.rt_mtu and rt.rt_mtu < mtu:
        mtu = rt.rt_mtu
    if m.m_len > mtu:
        # RFC 4443 3.2: "A Packet Too Big MUST be sent by a router in response to
        # a packet that it cannot forward because the packet is larger than the
        # MTU of the outgoing link."
        st.ip6s_cantforward += 1
        icmp6_error(k, m, ICMP6_PACKET_TOO_BIG, 0, mtu)
        return
    b[o + 7] -= IPV6_HLIMDEC
    gw = rt.rt_gateway
    nexthop = gw if rt.rt_flags & RTF_GATEWAY and isinstance(gw, bytes) else dst
    m.rcvif = None
    if nd6_output(ifp, ifp, m, nexthop):
        st.ip6s_cantforward += 1
    else:
        st.ip6s_forward += 1
