"""gif(4) tunnels with an outer IPv4 header (sys/netinet/in_gif.c, KAME).

Two encapsulations share it: IPv6 in IPv4, protocol 41 — RFC 4213's
configured tunnel, the way IPv6 sites were joined over IPv4 networks — and
IPv4 in IPv4, protocol 4 (RFC 2003).

``in_gif_output(ifp, family, m)`` prepends the outer header and hands the
packet to ``ip_output``: TTL ``net.inet.ip.gifttl`` (GIF_TTL, 30; RFC 4213
3.5 leaves the value to the implementation, RFC 2003 3.1 asks for one that
reaches the far end), the inner TOS / traffic class copied (RFC 2003 3.1;
KAME's ECN_NOCARE), source and destination the tunnel's ends (RFC 4213
3.5).  The inner packet's hop limit or TTL is not touched: the tunnel is
one hop (RFC 4213 3.3).  Fragmentation:

- IPv6 inside: RFC 4213 3.2.1's static tunnel MTU.  The gif MTU (1280 by
  default, the value RFC 4213 3.2.1 recommends) bounds the inner packets,
  and the Don't Fragment bit of the outer header is not set, so
  ``ip_output`` fragments tunnel packets bigger than the outer link.
- IPv4 inside: RFC 2003 3.1, "if the Don't Fragment bit is set in the inner
  IP header, it MUST be set in the outer IP header"; a packet with DF that
  cannot cross the tunnel in one piece gets "fragmentation needed and DF
  set" with the tunnel's MTU (RFC 2003 5.1, RFC 1191).

``in_gif_input(k, m, off, proto)`` is the ``inetsw`` entry of protocols 4
and 41 (FreeBSD's encap4_input with gif_encapcheck4 and gif_validate4): the
tunnel whose local end is the outer destination and whose remote end is the
outer source gets the inner packet.  RFC 4213 3.6: "The decapsulating node
MUST verify that the tunnel source address is correct before further
processing packets"; a packet to our end of a tunnel from another source is
discarded without an ICMP error.  KAME's checks on the outer source follow:
martians (0/8, 127/8, 255/8, multicast, a broadcast address of ours) and
the ingress filter (the route back to the source leaves through the
interface the packet came in on; IFF_LINK2 on the gif turns it off).
Packets no tunnel claims go to raw sockets (``rip_input``).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kernel.kern.kern_sysctl import SYSCTL_INT
from kernel.kern.uipc_mbuf import mbuf
from kernel.net import if_gif as _gif
from kernel.netinet import in_rmx, ip_output as _ip_output
from kernel.wire import errno as E
from kernel.wire.icmp import ICMP_UNREACH, ICMP_UNREACH_NEEDFRAG
from kernel.wire.ip import IP_DF, IP_HDR_LEN, ip_hdr
from kernel.wire.ip6 import IP6_HDR_LEN, IPPROTO_DONE, IPPROTO_IPV4, IPPROTO_IPV6
from kernel.wire.net_if import IFF

if TYPE_CHECKING:  # pragma: no cover
    from kernel.kern.init_main import Kernel

AF_INET = 2
AF_INET6 = 28
GIF_TTL = 30

_IFF_UP = int(IFF.UP)
_IFF_BROADCAST = int(IFF.BROADCAST)


def in_gif_init(k: "Kernel") -> None:
    """gif's IPv4 tunable (gifattach calls it)."""
    g = k.gif
    g.ip_gif_ttl = GIF_TTL
    SYSCTL_INT(k, "net.inet.ip.gifttl", g, "ip_gif_ttl", "TTL of gif(4) tunnel packets",
               check=lambda v: 1 <= v <= 255)


# -- output --------------------------------------------------------------------------------------
def in_gif_pathmtu(k: "Kernel", sc: Any) -> int:
    """The MTU towards the tunnel's remote end (a route's, else its interface's)."""
    if getattr(k, "rt_inet", None) is None:
        return 0
    return _gif.gif_route_mtu(in_rmx.in_rtalloc(k, sc.gif_pdst), _if_mtu)


def _if_mtu(ifp: Any) -> int:
    return ifp.if_mtu


def in_gif_output(ifp: Any, family: int, m: mbuf) -> int:
    """Encapsulate the ``family`` packet ``m`` in IPv4 and send it; an errno."""
    k = ifp.kernel
    g = k.gif
    st = g.gifstat
    sc = ifp.if_softc
    b = m.buf
    o = m.off
    if family == AF_INET:
        if m.m_len < IP_HDR_LEN or b[o] >> 4 != 4:
            st.gifs_badinner += 1
            return E.EINVAL
        proto = IPPROTO_IPV4
        tos = b[o + 1]
        # RFC 2003 3.1: DF copied from the inner header
        df = ((b[o + 6] << 8) | b[o + 7]) & IP_DF
    elif family == AF_INET6:
        if m.m_len < IP6_HDR_LEN or b[o] >> 4 != 6:
            st.gifs_badinner += 1
            return E.EINVAL
        proto = IPPROTO_IPV6
        tos = ((b[o] & 0x0F) << 4) | (b[o + 1] >> 4)
        df = 0                     # RFC 4213 3.2.1: static tunnel MTU, DF not set
    else:
        st.gifs_afnosupport += 1
        return E.EAFNOSUPPORT
    if df:
        mtu = in_gif_pathmtu(k, sc)
        if mtu and m.m_len + IP_HDR_LEN > mtu:
            # RFC 2003 5.1: the encapsulator answers a packet with DF that is too
            # big for the tunnel with "fragmentation needed", the tunnel MTU in it.
            from kernel.netinet.ip_icmp import icmp_error
            st.gifs_toobig += 1
            icmp_error(k, m, ICMP_UNREACH, ICMP_UNREACH_NEEDFRAG, 0, mtu - IP_HDR_LEN)
            return E.EMSGSIZE
    total = m.m_len + IP_HDR_LEN
    n = m.m_prepend(IP_HDR_LEN)
    # RFC 4213 3.5 / RFC 2003 3.1: version 4, the inner TOS, our TTL, protocol
    # 41 or 4, the tunnel's ends; ip_output sets the identification and checksum.
    ip_hdr.pack_into(m.buf, n, 0x45, tos, total, 0, df, g.ip_gif_ttl, proto, 0,
                     sc.gif_psrc, sc.gif_pdst)
    return _ip_output.ip_output(k, m, None, sc.gif_ro, 0, None, None)


# -- input ----------------------------------------------------------------------------------------
def _martian(k: "Kernel", src: bytes) -> bool:
    """KAME gif_validate4: "martian filters on outer source"."""
    if 224 <= src[0] < 240 or src[0] in (0, 127, 255):
        return True
    inet = getattr(k, "inet", None)
    if inet is not None:
        # "reject packets with broadcast on source"
        for ia in inet.in_ifaddrhead:
            if ia.ia_ifp.if_flags & _IFF_BROADCAST and ia.ia_broadaddr == src:
                return True
    return False


def in_gif_input(k: "Kernel", m: mbuf, off: int, proto: int) -> int:
    """``k.inetsw[4]`` and ``k.inetsw[41]``: decapsulate for the tunnel the
    outer addresses name, or hand the packet to raw sockets."""
    b = m.buf
    o = m.off
    src = bytes(b[o + 12:o + 16])
    dst = bytes(b[o + 16:o + 20])
    from kernel.netinet.raw_ip import rip_input
    sc, rv = _gif.gif_input_match(k, AF_INET, src, dst, 0, m, off, proto, k.ipstat,
                                  "ips_nogif", rip_input)
    if sc is None:
        return rv
    st = k.gif.gifstat
    gifp = sc.gif_if
    if _martian(k, src):
        st.gifs_martian += 1
        gifp.if_data.ifi_iqdrops += 1
        return IPPROTO_DONE
    # KAME gif_validate4: "ingress filters on outer source"
    if not _gif.gif_ingress_ok(sc, m, lambda: in_rmx.in_rtalloc(k, src)):
        return IPPROTO_DONE
    if off < IP_HDR_LEN or off > m.m_len:
        st.gifs_badinner += 1
        return IPPROTO_DONE
    _gif.gif_decap(gifp, m, off, proto)
    return IPPROTO_DONE


__all__ = ["in_gif_init", "in_gif_output", "in_gif_input", "in_gif_pathmtu", "GIF_TTL"]
