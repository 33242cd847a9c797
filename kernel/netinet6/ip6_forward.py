"""IPv6 forwarding (sys/netinet6/ip6_forward.c).

A router (``net.inet6.ip6.forwarding=1``; ip6_input calls us only then)
forwards a packet that is not for it, in FreeBSD's order:

- never a packet to a multicast address, sent as link-layer multicast or
  broadcast, or from the unspecified address (KAME; multicast sources were
  dropped by ip6_input, RFC 4291 2.7), nor one to a link-local address that
  is not ours (RFC 4291 2.5.6: "Routers must not forward any packets with
  Link-Local source or destination addresses to other links");
- the hop limit: at 1 or less, Time Exceeded code 0 (RFC 8200 3, RFC 4443
  3.3), else decremented;
- IPsec (netipsec's ``ipsec6_forward``, FreeBSD's IPSEC_FORWARD): a packet
  the inbound SPD wanted protected and that came unprotected is dropped
  (``in_polvio``, ``ip6s_cantforward``, RFC 4301 5.2); one the outbound SPD
  protects — tunnel mode on a security gateway — leaves through
  ipsec6_output instead (RFC 4301 5.1) and is not counted in ``ip6s_forward``;
- the route: none, Destination Unreachable code 0; a reject route, code 6
  (RFC 4443 3.1); a blackhole route, a silent drop;
- the zone of the source (RFC 4007 9): a scoped source must not leave the
  zone it came from, Destination Unreachable code 2 "beyond scope of source
  address" (RFC 4443 3.1);
- the size: a packet larger than the outgoing link MTU is never forwarded —
  routers do not fragment (RFC 8200 5) — but answered with Packet Too Big
  carrying that MTU (RFC 4443 3.2);
- a redirect (RFC 4861 8.2) when the packet leaves by the interface it came
  in on and was not source routed, and the route is not itself a redirect
  (RTF_DYNAMIC|RTF_MODIFIED): ``icmp6_redirect_output`` (nd6_rtr.py, beside
  the redirect input) sends it, rate limited;
- ``nd6_output`` to the next hop; a link that is down or disabled gets
  Destination Unreachable code 3 instead.

Counters (``k.ip6stat``): ``ip6s_forward``, ``ip6s_cantforward``,
``ip6s_noroute``, ``ip6s_badscope``, ``ip6s_redirectsent`` (packets
forwarded back onto their own link, as FreeBSD counts them); the ICMPv6
ones (``icp6s_oredirect``, ``icp6s_otime_exceed_transit`` ...) are bumped
by icmp6_error and the redirect output.  Multicast forwarding (ip6_mforward)
is not done.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kernel.kern.uipc_mbuf import M_BCAST, M_MCAST, mbuf
from kernel.net.route import rtalloc1
from kernel.netinet6 import nd6 as _nd6
from kernel.wire.icmp6 import (ICMP6_DST_UNREACH, ICMP6_DST_UNREACH_ADDR,
                               ICMP6_DST_UNREACH_BEYONDSCOPE, ICMP6_DST_UNREACH_NOROUTE,
                               ICMP6_DST_UNREACH_REJECT, ICMP6_PACKET_TOO_BIG,
                               ICMP6_TIME_EXCEED_TRANSIT, ICMP6_TIME_EXCEEDED, ICMPV6_PLD_MAXLEN)
from kernel.wire.in6 import IN6ADDR_ANY, in6_is_scoped
from kernel.wire.ip6 import IPV6_HLIMDEC
from kernel.wire.net_if import IFF
from kernel.wire.route import RTF_BLACKHOLE, RTF_DYNAMIC, RTF_GATEWAY, RTF_MODIFIED, RTF_REJECT

if TYPE_CHECKING:  # pragma: no cover
    from kernel.kern.init_main import Kernel

_IFF_UP = int(IFF.UP)
_IFF_POINTOPOINT = int(IFF.POINTOPOINT)


def _error(k: "Kernel", m: mbuf, type: int, code: int, param: int) -> None:
    from kernel.netinet6.icmp6 import icmp6_error
    icmp6_error(k, m, type, code, param)


def ip6_forward(k: "Kernel", m: mbuf, srcrt: int = 0) -> None:
    """Forward ``m`` (starting at its IPv6 header, received on ``m.rcvif``);
    ``srcrt``: the packet was source routed through us (no redirect then)."""
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
    # RFC 4291 2.5.6: a link-local destination that is not ours has nowhere
    # to go (FreeBSD's destination scope check: the zone may not change).
    if in6_is_scoped(dst):
        st.ip6s_badscope += 1
        st.ip6s_cantforward += 1
        return
    # RFC 8200 3 / RFC 4443 3.3: "decremented by 1 by each node that forwards
    # the packet"; at zero it is discarded with Time Exceeded code 0.
    if b[o + 7] <= IPV6_HLIMDEC:
        st.ip6s_cantforward += 1
        _error(k, m, ICMP6_TIME_EXCEEDED, ICMP6_TIME_EXCEED_TRANSIT, 0)
        return
    b[o + 7] -= IPV6_HLIMDEC
    # RFC 4301 5.1, 5.2 (FreeBSD's IPSEC_FORWARD): the inbound policy check,
    # then the outbound SPD — a security gateway's tunnel takes the packet.
    ipsec = getattr(k, "ipsec6_forward", None)
    if ipsec is not None and (r := ipsec(k, m)) is not None:
        if r:
            st.ip6s_cantforward += 1
        return
    rt = rtalloc1(k, dst, 0)
    if rt is None:
        st.ip6s_noroute += 1
        st.ip6s_cantforward += 1
        _error(k, m, ICMP6_DST_UNREACH, ICMP6_DST_UNREACH_NOROUTE, 0)
        return
    flags = rt.rt_flags
    if flags & RTF_BLACKHOLE:
        st.ip6s_cantforward += 1
        return
    ifp = rt.rt_ifp
    if flags & RTF_REJECT or ifp is None:
        # RFC 4443 3.1 code 6: "reject route to destination"
        st.ip6s_noroute += 1
        st.ip6s_cantforward += 1
        _error(k, m, ICMP6_DST_UNREACH, ICMP6_DST_UNREACH_REJECT, 0)
        return
    # RFC 4007 9: "a router MUST NOT forward a packet whose source address is
    # scoped beyond the zone the packet would be sent to"; RFC 4443 3.1 code 2
    # "beyond scope of source address".
    if ifp is not rcvif and in6_is_scoped(src):
        st.ip6s_badscope += 1
        st.ip6s_cantforward += 1
        _error(k, m, ICMP6_DST_UNREACH, ICMP6_DST_UNREACH_BEYONDSCOPE, 0)
        return
    # RFC 8200 5: the packet must fit the link it goes out on; routers do not
    # fragment.  RFC 4443 3.2: "A Packet Too Big MUST be sent by a router in
    # response to a packet that it cannot forward because the packet is larger
    # than the MTU of the outgoing link."  (A route's own MTU set by the
    # administrator counts too; path MTUs this router learnt for its own
    # traffic, RTF_DYNAMIC host routes, do not.)
    mtu = _nd6.IN6_LINKMTU(ifp)
    if rt.rt_mtu and rt.rt_mtu < mtu and not flags & RTF_DYNAMIC:
        mtu = rt.rt_mtu
    if m.m_len > mtu:
        st.ip6s_cantforward += 1
        _error(k, m, ICMP6_PACKET_TOO_BIG, 0, mtu)
        return
    gw = rt.rt_gateway
    nexthop = gw if flags & RTF_GATEWAY and isinstance(gw, bytes) else dst
    # RFC 4861 8.2: back out the interface it came in on, not source routed,
    # and not forwarded by a route that a redirect made: perhaps the source
    # should be told of a better first hop.
    redirect = (k.ip6.ip6_sendredirects and ifp is rcvif and not srcrt
                and not flags & (RTF_DYNAMIC | RTF_MODIFIED))
    if redirect and ifp.if_flags & _IFF_POINTOPOINT:
        # KAME: in and out the same point-to-point link is a routing loop.
        st.ip6s_cantforward += 1
        _error(k, m, ICMP6_DST_UNREACH, ICMP6_DST_UNREACH_ADDR, 0)
        return
    if not ifp.if_flags & _IFF_UP or _nd6.nd6_ifdisabled(ifp):
        # What nd6_output would refuse (ENETDOWN): FreeBSD's "default:" case,
        # Destination Unreachable code 3.
        st.ip6s_cantforward += 1
        _error(k, m, ICMP6_DST_UNREACH, ICMP6_DST_UNREACH_ADDR, 0)
        return
    mcopy: Any = None
    if redirect:
        # the invoking packet for the Redirected Header, as FreeBSD's m_copy
        mcopy = mbuf(bytes(b[o:o + min(m.m_len, ICMPV6_PLD_MAXLEN)]))
        mcopy.rcvif = rcvif
    m.rcvif = None
    if _nd6.nd6_output_ifp(ifp, ifp, m, nexthop):
        st.ip6s_cantforward += 1
        return
    st.ip6s_forward += 1
    if mcopy is not None:
        st.ip6s_redirectsent += 1
        from kernel.netinet6 import nd6_rtr
        nd6_rtr.icmp6_redirect_output(k, mcopy, rt)
