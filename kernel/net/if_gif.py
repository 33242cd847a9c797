"""The generic tunnel interface gif(4) (sys/net/if_gif.c, KAME).

A gif interface is a cloned, point-to-point interface (IFF_POINTOPOINT |
IFF_MULTICAST, MTU ``GIF_MTU`` = 1280) that carries IPv6 and IPv4 packets
inside IPv6 or IPv4 packets between two tunnel endpoints:

    ifconfig gif0 create
    ifconfig gif0 tunnel 192.0.2.1 192.0.2.2           # SIOCSIFPHYADDR (outer IPv4)
    ifconfig gif0 inet6 tunnel 2001:db8::1 2001:db8::2 # SIOCSIFPHYADDR_IN6 (outer IPv6)
    ifconfig gif0 inet6 2001:db8:ffff::1 2001:db8:ffff::2 prefixlen 128 up

The four combinations are RFC 4213's configured tunnel (IPv6 in IPv4,
protocol 41), RFC 2473's generic packet tunnelling in IPv6 (IPv6 or IPv4 in
IPv6, next header 41 or 4) and RFC 2003's IP in IP (protocol 4).  The outer
header is built by ``in_gif_output`` (kernel/netinet/in_gif.py) or
``in6_gif_output`` (kernel/netinet6/in6_gif.py); on input those files
find the tunnel whose endpoints the outer header names (``gif_encapcheck``)
and hand the inner packet to ``gif_input``, which queues it to ``ip6_input``
or ``ip_input`` as received on the gif interface.

``gif_output`` (the interface's ``if_output``, reached through
``nd6_output_ifp`` and ``ether_output_inet``) dispatches on the family of the
packet (the ethertype it is handed) and on the family of the tunnel.  It
counts how deep it is nested: a tunnel whose outer packets are routed
through a gif (itself, by mistake, or another tunnel) calls it again, and
beyond ``net.link.gif.max_nesting`` (``MAX_GIF_NEST``, 1: no nesting, as
KAME ships it) the packet is dropped with ``gif_output: recursively called
too many times(N)`` in the log.

The link-local address of a gif interface borrows the interface identifier
of a hardware interface (KAME's in6_ifattach, not RFC 4213 3.7's IPv4
address).  Two tunnels with the same endpoints are refused (EADDRNOTAVAIL)
unless ``net.link.gif.parallel_tunnels`` is set.  IFF_LINK2 turns KAME's
ingress filter on the outer source off (in_gif.py, in6_gif.py).

bpf sees the inner packets of a gif (DLT_NULL: a 4-byte address family in
host order, then the packet), going out in ``gif_output`` and coming in in
``gif_input``.  Every drop is counted in ``k.gif.gifstat`` (``net.link.gif.stats``);
the packets and bytes a tunnel carries are in its ``if_data``.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Optional

from kernel.kern.kern_sysctl import SYSCTL_INT, SYSCTL_STRUCT
from kernel.kern.subr_prf import LOG_NOTICE, log
from kernel.kern.uipc_mbuf import M_BCAST, M_LOOP, M_MCAST, mbuf
from kernel.net.bpf import bpf_mtap2, bpfattach, bpfdetach
from kernel.net.if_clone import if_clone, if_clone_attach
from kernel.net.if_var import if_attach, if_detach, if_purgeaddrs, ifnet
from kernel.net.route import route_in6
from kernel.netinet import in_gif as _in_gif
from kernel.netinet.in_rmx import route_in
from kernel.netinet.ip_input import ip_input
from kernel.netinet6 import in6_gif as _in6_gif
from kernel.netinet6.ip6_input import ip6_input
from kernel.wire import errno as E
from kernel.wire.bpf import DLT_NULL
from kernel.wire.ethernet import ETHERTYPE
from kernel.wire.ip6 import IPPROTO_DONE
from kernel.wire.in6 import IN6ADDR_ANY, in6_is_scoped, sockaddr_in6
from kernel.wire.in6_var import (SIOCGIFPDSTADDR_IN6, SIOCGIFPSRCADDR_IN6, SIOCSIFPHYADDR_IN6,
                                 in6_aliasreq, in6_ifreq)
from kernel.wire.in_ import INADDR_ANY, sockaddr_in
from kernel.wire.in_var import in_aliasreq, in_ifreq
from kernel.wire.net_if import IFF, IFT
from kernel.wire.sockio import (SIOCADDMULTI, SIOCDELMULTI, SIOCDIFPHYADDR, SIOCGIFPDSTADDR,
                                SIOCGIFPSRCADDR, SIOCSIFFLAGS, SIOCSIFMTU, SIOCSIFPHYADDR)

if TYPE_CHECKING:  # pragma: no cover
    from kernel.kern.init_main import Kernel

AF_INET = 2
AF_INET6 = 28
_IPPROTO_IPV6 = 41                           # IPv6 inside; 4 (IPPROTO_IPV4): IPv4 inside

GIF_MTU = 1280          # default MTU (net/if_gif.h)
GIF_MTU_MIN = 1280      # minimum MTU: IPv6's minimum link MTU (RFC 8200 5)
GIF_MTU_MAX = 8192      # maximum MTU
MAX_GIF_NEST = 1        # "we don't allow any nestings by default"

_ETHERTYPE_IP = int(ETHERTYPE.IP)
_ETHERTYPE_IPV6 = int(ETHERTYPE.IPV6)
_IFF_UP = int(IFF.UP)
_IFF_RUNNING = int(IFF.DRV_RUNNING)
_IFF_LINK2 = int(IFF.LINK2)


class gifstat:
    """Why gif dropped packets (kamebox's counters; FreeBSD only counts
    ``if_oerrors``/``if_iqdrops``)."""

    __slots__ = ("gifs_nesting", "gifs_notunnel", "gifs_afnosupport", "gifs_badinner",
                 "gifs_toobig", "gifs_nomatch", "gifs_wrongsrc", "gifs_ifdown",
                 "gifs_ingress", "gifs_martian", "gifs_badsrc")

    def __init__(self) -> None:
        self.gifs_nesting = 0        # output: nested deeper than net.link.gif.max_nesting
        self.gifs_notunnel = 0       # output: interface down or no tunnel endpoints
        self.gifs_afnosupport = 0    # output: a family gif does not carry
        self.gifs_badinner = 0       # the inner packet is truncated or of the wrong version
        self.gifs_toobig = 0         # output: too big for the tunnel MTU, error sent back
        self.gifs_nomatch = 0        # input: no tunnel has these endpoints (to raw sockets)
        self.gifs_wrongsrc = 0       # input: our tunnel end, another source (RFC 4213 3.6)
        self.gifs_ifdown = 0         # input: the tunnel it belongs to is down
        self.gifs_ingress = 0        # input: outer source not routed via the receiving interface
        self.gifs_martian = 0        # input: outer IPv4 source cannot be a tunnel end
        self.gifs_badsrc = 0         # input: invalid inner IPv6 source (RFC 4213 3.6)


class gif_softc:
    """``struct gif_softc``: the tunnel endpoints and the cached outer routes."""

    __slots__ = ("gif_if", "gif_family", "gif_psrc", "gif_pdst", "gif_zone", "gif_ro",
                 "gif_ro6")

    def __init__(self) -> None:
        self.gif_if: Any = None
        self.gif_family = 0                  # AF_INET, AF_INET6, or 0: no tunnel
        self.gif_psrc = b""                  # local endpoint (4 or 16 bytes)
        self.gif_pdst = b""                  # remote endpoint
        self.gif_zone = 0                    # zone of link-local IPv6 endpoints
        self.gif_ro = route_in()
        self.gif_ro6 = route_in6()

    def __repr__(self) -> str:
        return f"<gif_softc {getattr(self.gif_if, 'if_xname', '?')} af={self.gif_family}>"


class gif_state:
    """gif's globals for one kernel (``k.gif``), with the sysctl tunables."""

    def __init__(self) -> None:
        self.gif_softc_list: list[gif_softc] = []
        self.max_gif_nesting = MAX_GIF_NEST          # net.link.gif.max_nesting
        self.parallel_tunnels = 0                    # net.link.gif.parallel_tunnels
        self.ip_gif_ttl = 30                         # net.inet.ip.gifttl (in_gif.c GIF_TTL)
        self.ip6_gif_hlim = 30                       # net.inet6.ip6.gifhlim (GIF_HLIM)
        self.ip6_gif_pmtu = 0                        # net.inet6.ip6.gifpmtu (in6_gif.py)
        self.gif_called = 0                          # gif_output's nesting depth
        self.gifstat = gifstat()
        self.gif_cloner: Optional[if_clone] = None


# -- attach: the cloner and the tunables (gifmodevent MOD_LOAD) ---------------------------------
def gifattach(k: "Kernel") -> None:
    """PSEUDO SYSINIT: register the ``gif`` cloner and gif's sysctl nodes."""
    if getattr(k, "gif", None) is not None:
        return
    g = gif_state()
    k.gif = g
    g.gif_cloner = if_clone("gif", gif_clone_create, gif_clone_destroy)
    if_clone_attach(k, g.gif_cloner)
    SYSCTL_INT(k, "net.link.gif.max_nesting", g, "max_gif_nesting", "Max nested tunnels",
               check=lambda v: v >= 0)
    SYSCTL_INT(k, "net.link.gif.parallel_tunnels", g, "parallel_tunnels",
               "Allow parallel tunnels?", check=lambda v: v in (0, 1))
    SYSCTL_STRUCT(k, "net.link.gif.stats", lambda: g.gifstat, "gif statistics")
    _in_gif.in_gif_init(k)
    _in6_gif.in6_gif_init(k)


def gif_clone_create(k: "Kernel", ifc: if_clone, unit: int) -> int:
    """Make gif``unit`` (gifattach0): point-to-point, multicast, MTU 1280, no
    link-level address; down and without a tunnel until configured."""
    sc = gif_softc()
    ifp = ifnet(k, "gif", unit, sc)
    sc.gif_if = ifp
    ifp.if_type = IFT.GIF
    ifp.if_mtu = GIF_MTU
    ifp.if_flags = int(IFF.POINTOPOINT | IFF.MULTICAST)
    ifp.if_addr = b""
    ifp.if_hdrlen = 0
    ifp.if_output = gif_output
    ifp.if_ioctl = gif_ioctl
    if_attach(ifp)
    bpfattach(ifp, DLT_NULL, 4)            # sizeof(u_int32_t): the address family
    k.gif.gif_softc_list.append(sc)
    return 0


def gif_clone_destroy(ifp: Any) -> int:
    """Take gif``N`` away: its tunnel, its addresses and routes, the interface."""
    k = ifp.kernel
    sc = ifp.if_softc
    gif_delete_tunnel(sc)
    if ifp.if_flags & _IFF_UP:
        from kernel.net.if_ioctl import if_down
        if_down(ifp)
    if_purgeaddrs(ifp)
    bpfdetach(ifp)
    if_detach(ifp)
    if sc in k.gif.gif_softc_list:
        k.gif.gif_softc_list.remove(sc)
    return 0


# -- bpf: DLT_NULL, a 4-byte address family in host order before the packet ----------------------
def _bpf_tap(ifp: Any, m: mbuf, af: int, outgoing: bool) -> None:
    """bpf_mtap2 with the family as the link header (the caller tests if_bpf)."""
    bpf_mtap2(ifp, af.to_bytes(4, "little"), m, outgoing)


# -- tunnel endpoints --------------------------------------------------------------------------
def gif_set_tunnel(sc: gif_softc, family: int, src: bytes, dst: bytes, zone: int = 0) -> int:
    """Give the interface its outer source and destination (gif_set_tunnel)."""
    ifp = sc.gif_if
    g = ifp.kernel.gif
    for sc2 in g.gif_softc_list:
        if sc2 is sc or sc2.gif_family != family:
            continue
        # "Disallow parallel tunnels unless instructed otherwise."
        if not g.parallel_tunnels and sc2.gif_psrc == src and sc2.gif_pdst == dst \
                and sc2.gif_zone == zone:
            return E.EADDRNOTAVAIL
    sc.gif_family = family
    sc.gif_psrc = bytes(src)
    sc.gif_pdst = bytes(dst)
    sc.gif_zone = zone
    gif_clear_cache(sc)
    ifp.if_flags |= _IFF_RUNNING
    return 0


def gif_delete_tunnel(sc: gif_softc) -> None:
    """Forget the endpoints (SIOCDIFPHYADDR, ``ifconfig gif0 deletetunnel``)."""
    sc.gif_family = 0
    sc.gif_psrc = sc.gif_pdst = b""
    sc.gif_zone = 0
    gif_clear_cache(sc)
    if sc.gif_if is not None:
        sc.gif_if.if_flags &= ~_IFF_RUNNING


def gif_clear_cache(sc: gif_softc) -> None:
    sc.gif_ro = route_in()
    sc.gif_ro6 = route_in6()


def _sin(sa: Any) -> Optional[bytes]:
    if isinstance(sa, sockaddr_in) and isinstance(sa.sin_addr, bytes) and len(sa.sin_addr) == 4:
        return sa.sin_addr
    return None


def _sin6(sa: Any) -> Optional[tuple[bytes, int]]:
    if isinstance(sa, sockaddr_in6) and isinstance(sa.sin6_addr, bytes) \
            and len(sa.sin6_addr) == 16 and type(sa.sin6_scope_id) is int:
        return sa.sin6_addr, sa.sin6_scope_id
    return None


def _phyaddr(data: Any, req: type, conv: Callable[[Any], Any], other: type
             ) -> tuple[int, Any, Any]:
    """SIOCSIFPHYADDR(_IN6)'s checks of its ``req``: (0, source, destination) as
    ``conv`` makes them of the two sockaddrs, or (errno, None, None)."""
    if not isinstance(data, req):
        return E.EINVAL, None, None
    src, dst = conv(data.ifra_addr), conv(data.ifra_dstaddr)
    if src is None or dst is None:
        # "sa_family must be equal" / "check sa_family looks sane for the cmd"
        return (E.EAFNOSUPPORT if isinstance(data.ifra_addr, other) else E.EINVAL), None, None
    return 0, src, dst


def gif_ioctl(ifp: Any, cmd: int, data: Any) -> int:
    """The interface's ioctls (gif_ioctl); a BSD errno."""
    sc: gif_softc = ifp.if_softc
    if cmd in (SIOCSIFFLAGS, SIOCADDMULTI, SIOCDELMULTI):
        return 0                                   # if_ioctl did the work; no filter to program
    if cmd == SIOCSIFMTU:
        if type(data) is not int or not GIF_MTU_MIN <= data <= GIF_MTU_MAX:
            return E.EINVAL
        ifp.if_mtu = data
        return 0
    if cmd == SIOCSIFPHYADDR:
        err, src, dst = _phyaddr(data, in_aliasreq, _sin, sockaddr_in6)
        if err:
            return err
        if src == INADDR_ANY or dst == INADDR_ANY:
            return E.EADDRNOTAVAIL
        return gif_set_tunnel(sc, AF_INET, src, dst)
    if cmd == SIOCSIFPHYADDR_IN6:
        err, s6, d6 = _phyaddr(data, in6_aliasreq, _sin6, sockaddr_in)
        if err:
            return err
        (src, szone), (dst, dzone) = s6, d6
        if src == IN6ADDR_ANY or dst == IN6ADDR_ANY:
            return E.EADDRNOTAVAIL
        zone = 0
        if in6_is_scoped(src) or in6_is_scoped(dst):
            # RFC 4007: scoped endpoints need their zone, and the same one
            zone = dzone or szone
            if not zone or (szone and dzone and szone != dzone) \
                    or not any(i.if_index == zone for i in ifp.kernel.ifnet):
                return E.EINVAL
        return gif_set_tunnel(sc, AF_INET6, src, dst, zone)
    if cmd == SIOCDIFPHYADDR:
        gif_delete_tunnel(sc)
        return 0
    if cmd in (SIOCGIFPSRCADDR, SIOCGIFPDSTADDR):
        if not isinstance(data, in_ifreq):
            return E.EINVAL
        if sc.gif_family != AF_INET:
            return E.EADDRNOTAVAIL
        data.ifr_addr = sockaddr_in(sc.gif_psrc if cmd == SIOCGIFPSRCADDR else sc.gif_pdst)
        return 0
    if cmd in (SIOCGIFPSRCADDR_IN6, SIOCGIFPDSTADDR_IN6):
        if not isinstance(data, in6_ifreq):
            return E.EINVAL
        if sc.gif_family != AF_INET6:
            return E.EADDRNOTAVAIL
        a = sc.gif_psrc if cmd == SIOCGIFPSRCADDR_IN6 else sc.gif_pdst
        data.ifr_addr = sockaddr_in6(a, 0, 0, sc.gif_zone if in6_is_scoped(a) else 0)
        return 0
    return E.EINVAL


# -- output --------------------------------------------------------------------------------------
def gif_output(ifp: Any, m: mbuf, dst: Any, ethertype: int) -> int:
    """``if_output`` of a gif interface: encapsulate ``m`` (an IPv6 packet
    when ``ethertype`` is ETHERTYPE_IPV6, IPv4 for ETHERTYPE_IP) and send it
    to the tunnel's far end.  Returns 0 or an errno."""
    k = ifp.kernel
    g = k.gif
    st = g.gifstat
    ifd = ifp.if_data
    g.gif_called += 1
    try:
        # "gif may cause infinite recursion calls when misconfigured.  We'll
        # prevent this by introducing upper limit."
        if g.gif_called > g.max_gif_nesting:
            log(k, LOG_NOTICE,
                f"gif_output: recursively called too many times({g.gif_called})\n")
            st.gifs_nesting += 1
            ifd.ifi_oerrors += 1
            return E.EIO
        m.m_flags &= ~(M_BCAST | M_MCAST)
        sc: gif_softc = ifp.if_softc
        if not ifp.if_flags & _IFF_UP or not sc.gif_family:
            st.gifs_notunnel += 1
            ifd.ifi_oerrors += 1
            return E.ENETDOWN
        if ethertype == _ETHERTYPE_IPV6:
            af = AF_INET6
        elif ethertype == _ETHERTYPE_IP:
            af = AF_INET
        else:
            st.gifs_afnosupport += 1
            ifd.ifi_oerrors += 1
            return E.EAFNOSUPPORT
        if ifp.if_bpf is not None:
            _bpf_tap(ifp, m, af, True)
        ifd.ifi_opackets += 1
        ifd.ifi_obytes += m.m_len
        if sc.gif_family == AF_INET:
            err = _in_gif.in_gif_output(ifp, af, m)
        else:
            err = _in6_gif.in6_gif_output(ifp, af, m)
        if err:
            ifd.ifi_oerrors += 1
        return err
    finally:
        g.gif_called -= 1


# -- input ---------------------------------------------------------------------------------------
_V4COMPAT_PREFIX = bytes(12)
_V4MAPPED_PREFIX = bytes(10) + b"\xff\xff"


def gif_route_mtu(rt: Any, linkmtu: Callable[[Any], int]) -> int:
    """The MTU towards a tunnel's remote end over the route ``rt``: its learnt path MTU
    where that is below ``linkmtu`` of its interface; 0 without a route."""
    if rt is None or rt.rt_ifp is None:
        return 0
    mtu = linkmtu(rt.rt_ifp)
    if rt.rt_mtu and rt.rt_mtu < mtu:
        mtu = rt.rt_mtu
    return mtu


def gif_ingress_ok(sc: gif_softc, m: mbuf, rtalloc: Callable[[], Any]) -> bool:
    """KAME gif_validate4/gif_validate6 "ingress filters on outer source": unless the
    tunnel has IFF_LINK2, the route back to the outer source (``rtalloc()``) must go
    out the interface the packet came in on; else the packet is counted and dropped."""
    gifp = sc.gif_if
    if gifp.if_flags & _IFF_LINK2 or m.m_flags & M_LOOP:
        return True                       # from this host to itself: no wire was involved
    rt = rtalloc()
    if rt is not None and rt.rt_ifp is m.rcvif:
        return True
    gifp.kernel.gif.gifstat.gifs_ingress += 1
    gifp.if_data.ifi_iqdrops += 1
    return False


def gif_validate_inner6(m: mbuf) -> bool:
    """RFC 4213 3.6: "After the decapsulation the node MUST silently discard a
    packet with an invalid IPv6 source address": multicast, loopback,
    IPv4-compatible (but :: for DAD) and IPv4-mapped addresses."""
    src = bytes(m.buf[m.off + 8:m.off + 24])
    if src[0] == 0xFF:
        return False
    if src[:12] == _V4COMPAT_PREFIX:
        return src == IN6ADDR_ANY                  # ::1 and ::a.b.c.d are not sources
    return src[:12] != _V4MAPPED_PREFIX


def gif_input(ifp: Any, m: mbuf, af: int) -> None:
    """The inner packet ``m`` (at its IP header) of tunnel ``ifp``: queued to
    the network layer as received on the gif interface (gif_input: netisr
    queue, not a direct call, so that nested tunnels cannot recurse)."""
    k = ifp.kernel
    st = k.gif.gifstat
    if not ifp.if_flags & _IFF_UP:
        st.gifs_ifdown += 1
        ifp.if_data.ifi_iqdrops += 1
        return
    if af == AF_INET6 and not gif_validate_inner6(m):
        st.gifs_badsrc += 1
        ifp.if_data.ifi_iqdrops += 1
        return
    m.rcvif = ifp
    m.m_flags &= ~(M_BCAST | M_MCAST | M_LOOP)
    if ifp.if_bpf is not None:
        _bpf_tap(ifp, m, af, False)
    ifp.if_data.ifi_ipackets += 1
    ifp.if_data.ifi_ibytes += m.m_len
    k.platform.call_later(0, _gif_netisr, (ip6_input if af == AF_INET6 else ip_input, ifp, m))


def gif_decap(ifp: Any, m: mbuf, off: int, proto: int) -> None:
    """Strip the outer header (``off`` octets) of a packet for tunnel ``ifp`` and
    hand the inner one to :func:`gif_input` if it is what next header ``proto``
    (41: IPv6, else 4: IPv4) says; a truncated or mislabelled inner packet is
    counted (``gifs_badinner``, ``ifi_ierrors``).  Shared by in_gif_input and
    in6_gif_input once they have matched the tunnel."""
    m.m_adj(off)
    if proto == _IPPROTO_IPV6:
        need, version, af = 40, 6, AF_INET6
    else:
        need, version, af = 20, 4, AF_INET
    if m.m_len < need or m.buf[m.off] >> 4 != version:
        ifp.kernel.gif.gifstat.gifs_badinner += 1
        ifp.if_data.ifi_ierrors += 1
        return
    gif_input(ifp, m, af)


def _gif_netisr(arg: tuple) -> None:
    proto, ifp, m = arg
    if ifp.kernel.ifunit(ifp.if_xname) is not ifp:
        return                                      # destroyed meanwhile
    proto(ifp, m)


def gif_lookup(k: "Kernel", family: int, src: bytes, dst: bytes,
               zone: int = 0) -> tuple[Optional[gif_softc], bool]:
    """gif_encapcheck's address match for an outer packet from ``src`` to
    ``dst``: (the tunnel whose local end is ``dst`` and remote end ``src``,
    whether some tunnel has ``dst`` as its local end at all)."""
    g = getattr(k, "gif", None)
    if g is None:
        return None, False
    local = False
    for sc in g.gif_softc_list:
        if sc.gif_family != family or sc.gif_psrc != dst:
            continue
        if family == AF_INET6 and sc.gif_zone and zone and sc.gif_zone != zone:
            continue
        local = True
        if sc.gif_pdst == src:
            return sc, True
    return None, local


def gif_input_match(k: "Kernel", family: int, src: bytes, dst: bytes, zone: int, m: mbuf,
                    off: int, proto: int, nogif: Any, nogif_field: str,
                    raw_input: Any) -> tuple[Optional[gif_softc], int]:
    """The first steps of in_gif_input and in6_gif_input: ``(tunnel, 0)`` when
    the packet is for a tunnel that is up; otherwise ``(None, result)`` with
    the packet dealt with — dropped and counted (in ``gifstat`` and in
    ``nogif_field`` of the family's ``nogif`` statistics) or given to the raw
    sockets by ``raw_input`` when no tunnel has its destination as local end."""
    sc, ours = gif_lookup(k, family, src, dst, zone)
    g = getattr(k, "gif", None)
    if sc is None:
        if ours:
            # RFC 4213 3.6: "Packets for which the IPv4 source address does not
            # match MUST be discarded and an ICMP message SHOULD NOT be
            # generated" (the same for an IPv6 tunnel's end).
            g.gifstat.gifs_wrongsrc += 1
            setattr(nogif, nogif_field, getattr(nogif, nogif_field) + 1)
            return None, IPPROTO_DONE
        if g is not None:
            g.gifstat.gifs_nomatch += 1
        return None, raw_input(k, m, off, proto)
    gifp = sc.gif_if
    if not gifp.if_flags & _IFF_UP:
        g.gifstat.gifs_ifdown += 1
        gifp.if_data.ifi_iqdrops += 1
        # KAME in{,6}_gif_input: "no gif" or down
        setattr(nogif, nogif_field, getattr(nogif, nogif_field) + 1)
        return None, IPPROTO_DONE
    return sc, 0


__all__ = ["gifattach", "gif_clone_create", "gif_clone_destroy", "gif_output", "gif_input",
           "gif_ioctl", "gif_set_tunnel", "gif_delete_tunnel", "gif_lookup", "gif_input_match",
           "gif_softc",
           "gifstat", "GIF_MTU", "GIF_MTU_MIN", "GIF_MTU_MAX", "MAX_GIF_NEST"]
