"""gif(4) tunnels with an outer IPv6 header (sys/netinet6/in6_gif.c, KAME).

RFC 2473 (Generic Packet Tunneling in IPv6): an IPv6 packet (next header 41)
or an IPv4 packet (next header 4) is carried inside an IPv6 packet from the
tunnel entry point (the gif's local end) to the exit point (its remote end).

``in6_gif_output(ifp, family, m)`` prepends the outer header: version 6,
the inner packet's traffic class (KAME's ECN_NOCARE: copied), flow label 0,
hop limit ``net.inet6.ip6.gifhlim`` (GIF_HLIM, 30), the tunnel's source and
destination, and hands the packet to ``ip6_output``.  How the outer packet
is fragmented follows ``net.inet6.ip6.gifpmtu`` (NetBSD's name for the
choice KAME made at compile time):

- 0 (default, KAME and FreeBSD): with IPV6_MINMTU, fragments of at most 1280
  octets, "to avoid path MTU discovery" for the outer path; every inner
  packet that fits the gif MTU goes through.
- 1: the path MTU of the outer path, as Packet Too Big messages about the
  tunnel packets taught it (RFC 8201: the host route ``icmp6_mtudisc_update``
  clones).  RFC 2473 8.2: a Packet Too Big about a tunnel packet lowers the
  tunnel MTU, and the original packets that no longer fit learn it from the
  entry point.  RFC 2473 7.1: an inner IPv6 packet bigger than the tunnel MTU
  (the path MTU less the 40-octet tunnel header) and bigger than 1280 is
  dropped with a Packet Too Big carrying max(1280, tunnel MTU) to its
  source; a smaller one is encapsulated and the tunnel packet fragmented.

``in6_gif_input(k, m, off, proto)`` is the ``inet6sw`` entry of next
headers 41 and 4 (FreeBSD's encap6_input with gif_encapcheck6 and
gif_validate6): the tunnel whose local end is the outer destination and
whose remote end is the outer source gets the inner packet.  RFC 4213 3.6,
applied to IPv6 tunnels too: a packet to our end of a tunnel from another
source is discarded, without an ICMP error.  KAME's ingress filter: the
outer source must be routed through the interface the packet came in on
(off with IFF_LINK2 on the gif).  Packets no tunnel claims go to
raw IPv6 sockets (``rip6_input``), as encap6_input does.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kernel.kern.kern_sysctl import SYSCTL_INT
from kernel.kern.uipc_mbuf import mbuf
from kernel.net import if_gif as _gif
from kernel.net.route import rtalloc1
from kernel.netinet6 import ip6_output as _ip6_output, nd6 as _nd6
from kernel.netinet6.ip6_var import IPV6_MINMTU
from kernel.wire import errno as E
from kernel.wire.icmp6 import ICMP6_PACKET_TOO_BIG
from kernel.wire.in6 import in6_is_scoped
from kernel.wire.ip import IP_HDR_LEN
from kernel.wire.ip6 import (IP6_HDR_LEN, IPPROTO_DONE, IPPROTO_IPV4, IPPROTO_IPV6, IPV6_MMTU,
                             ip6_hdr)
from kernel.wire.net_if import IFF

if TYPE_CHECKING:  # pragma: no cover
    from kernel.kern.init_main import Kernel

AF_INET = 2
AF_INET6 = 28
GIF_HLIM = 30
GIF_PMTU_MINMTU = 0         # fragment the tunnel packets to 1280 (IPV6_MINMTU)
GIF_PMTU_OUTERMTU = 1       # fragment to the path MTU of the outer path

_IFF_UP = int(IFF.UP)


def in6_gif_init(k: "Kernel") -> None:
    """gif's IPv6 tunables (gifattach calls it)."""
    g = k.gif
    g.ip6_gif_hlim = GIF_HLIM
    SYSCTL_INT(k, "net.inet6.ip6.gifhlim", g, "ip6_gif_hlim",
               "Default hop limit for encapsulated packets", check=lambda v: 0 <= v <= 255)
    SYSCTL_INT(k, "net.inet6.ip6.gifpmtu", g, "ip6_gif_pmtu",
               "Fragment gif tunnel packets to 1280 (0) or to the outer path MTU (1)",
               check=lambda v: v in (GIF_PMTU_MINMTU, GIF_PMTU_OUTERMTU))


# -- output --------------------------------------------------------------------------------------
def _inner(m: mbuf, family: int) -> tuple[int, int]:
    """(next header, traffic class) of the inner packet, or (-1, 0) if it is not one."""
    b = m.buf
    o = m.off
    if family == AF_INET:
        if m.m_len < IP_HDR_LEN or b[o] >> 4 != 4:
            return -1, 0
        return IPPROTO_IPV4, b[o + 1]
    if family == AF_INET6:
        if m.m_len < IP6_HDR_LEN or b[o] >> 4 != 6:
            return -1, 0
        return IPPROTO_IPV6, ((b[o] & 0x0F) << 4) | (b[o + 1] >> 4)
    return -2, 0


def in6_gif_pathmtu(k: "Kernel", sc: Any, zone: int) -> int:
    """The path MTU towards the tunnel's remote end: a learnt one (RFC 8201
    host route) or the link MTU of the route's interface; 0 without a route."""
    return _gif.gif_route_mtu(rtalloc1(k, sc.gif_pdst, zone), _nd6.IN6_LINKMTU)


def in6_gif_output(ifp: Any, family: int, m: mbuf) -> int:
    """Encapsulate the ``family`` packet ``m`` in IPv6 and send it; an errno."""
    k = ifp.kernel
    g = k.gif
    st = g.gifstat
    sc = ifp.if_softc
    proto, tclass = _inner(m, family)
    if proto == -2:
        st.gifs_afnosupport += 1
        return E.EAFNOSUPPORT
    if proto < 0:
        st.gifs_badinner += 1
        return E.EINVAL
    zone = sc.gif_zone if in6_is_scoped(sc.gif_pdst) else 0
    flags = IPV6_MINMTU
    if g.ip6_gif_pmtu == GIF_PMTU_OUTERMTU:
        flags = 0
        if family == AF_INET6 and m.m_len > IPV6_MMTU:
            pmtu = in6_gif_pathmtu(k, sc, zone)
            tunmtu = pmtu - IP6_HDR_LEN
            if pmtu and m.m_len > tunmtu:
                # RFC 2473 7.1 (a): "the entry-point node discards the packet and
                # sends an ICMPv6 'Packet Too Big' message to the source address of
                # the original packet with the recommended MTU size field set to
                # ... MAX (IPv6 minimum link MTU, tunnel MTU)".
                from kernel.netinet6.icmp6 import icmp6_error
                st.gifs_toobig += 1
                icmp6_error(k, m, ICMP6_PACKET_TOO_BIG, 0, max(IPV6_MMTU, tunmtu))
                return E.EMSGSIZE
        # RFC 2473 7.1 (b): smaller packets are encapsulated, and the tunnel
        # packet fragmented to the path MTU by ip6_output.
    n = m.m_prepend(IP6_HDR_LEN)
    # RFC 2473 3.1, 6: the tunnel header's source is the entry point, its
    # destination the exit point, its hop limit the tunnel's; KAME copies the
    # traffic class (ECN_NOCARE) and leaves the flow label 0.
    ip6_hdr.pack_into(m.buf, n, 0x60000000 | (tclass << 20), 0, proto, g.ip6_gif_hlim,
                      sc.gif_psrc, sc.gif_pdst)
    m.rcvif = None
    return _ip6_output.ip6_output(k, m, None, sc.gif_ro6, flags, None, None, zone)


# -- input ----------------------------------------------------------------------------------------
def in6_gif_input(k: "Kernel", m: mbuf, off: int, proto: int) -> int:
    """``k.inet6sw[41]`` and ``k.inet6sw[4]``: decapsulate for the tunnel the
    outer addresses name, or hand the packet to raw sockets."""
    b = m.buf
    o = m.off
    src = bytes(b[o + 8:o + 24])
    dst = bytes(b[o + 24:o + 40])
    rcvif = m.rcvif
    zone = rcvif.if_index if rcvif is not None and in6_is_scoped(src) else 0
    from kernel.netinet6.raw_ip6 import rip6_input
    sc, rv = _gif.gif_input_match(k, AF_INET6, src, dst, zone, m, off, proto, k.ip6stat,
                                  "ip6s_nogif", rip6_input)
    if sc is None:
        return rv
    # KAME gif_validate6: "ingress filters on outer source"
    if _gif.gif_ingress_ok(sc, m, lambda: rtalloc1(k, src, zone)):
        _gif.gif_decap(sc.gif_if, m, off, proto)
    return IPPROTO_DONE


__all__ = ["in6_gif_init", "in6_gif_output", "in6_gif_input", "in6_gif_pathmtu", "GIF_HLIM",
           "GIF_PMTU_MINMTU", "GIF_PMTU_OUTERMTU"]
