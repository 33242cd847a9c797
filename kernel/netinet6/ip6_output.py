"""IPv6 output (sys/netinet6/ip6_output.c).

``ip6_output(k, m, opt, ro, flags, im6o, inp, zone)`` sends a packet whose
IPv6 header the caller filled in (source, destination, hop limit, next
header): it inserts the extension headers of ``opt`` (RFC 8200 4.1 order),
sets the payload length, checks the source (RFC 4291 2.5.2, 2.7), picks the
interface and next hop — ``im6o.im6o_multicast_ifp`` or the zone for
multicast, the routing table (``rtalloc1``) or the zone (RFC 4007) for
unicast — loops packets to our own addresses back to ``ip6_input``, loops a
copy of multicast back when we joined the group, fragments to the path MTU
(RFC 8200 4.5, 5; never an atomic fragment, RFC 8021) and hands each packet
to ``nd6_output_ifp``.  Returns 0 or a BSD errno; every drop bumps a field of
``k.ip6stat``.

The socket side of RFC 3542 is here too, as in BSD: ``ip6_ctloutput``
(IPPROTO_IPV6 options), ``ip6_setpktopt``/``ip6_setpktopts`` (sticky options
and the ancillary data of one send, which wins for that packet: RFC 3542 6),
the options' effect on output (IPV6_NEXTHOP 6.8, the IPV6_PKTINFO interface
6.7, a type 0 routing header, IPV6_DONTFRAG 11.2, IPV6_USE_MIN_MTU 11.1) and
``ip6_savecontrol`` (what the IPV6_RECV* options deliver, extension headers
included).  See docs/addrsel.md.
"""
from __future__ import annotations

import struct
from typing import TYPE_CHECKING, Any, Optional

from kernel.wire import errno
from kernel.kern.uipc_mbuf import M_BCAST, M_LOOP, M_MCAST, MLEADING, mbuf
from kernel.net.if_loop import lo_bpf_mtap
from kernel.net.route import rtalloc1
from kernel.netinet6.ip6_input import in6_ifaddr_for, in6_joined, ip6_input
from kernel.netinet6 import in6_mcast as _in6_mcast, nd6 as _nd6
from kernel.netinet6.in6_pcb import (IN6P_DSTOPTS, IN6P_HOPLIMIT, IN6P_HOPOPTS, IN6P_MTU,
                                     IN6P_PKTINFO, IN6P_RTHDR, IN6P_TCLASS)
from kernel.netinet6.ip6_var import (IP6PO_DONTFRAG, IP6PO_MINMTU_ALL, IP6PO_MINMTU_DISABLE,
                                     IP6PO_MINMTU_MCASTONLY, IPV6_FORWARDING, IPV6_MINMTU, IPV6_UNSPECSRC,
                                     ip6_pktopts)
from kernel.wire import in6_sockopt as o
from kernel.wire.in6 import IN6ADDR_ANY, IN6ADDR_LOOPBACK, sockaddr_in6
from kernel.wire.in6_sockopt import (IPPROTO_IPV6, IPV6_HOPLIMIT, IPV6_PKTINFO, IPV6_TCLASS,
                                     cmsg_int, in6_pktinfo_pack)
from kernel.wire.ip6 import (IP6_FRAG_LEN, IP6_HDR_LEN, IP6F_MORE_FRAG, IPPROTO_AH, IPPROTO_DSTOPTS,
                             IPPROTO_FRAGMENT, IPPROTO_HOPOPTS, IPPROTO_ROUTING,
                             IPV6_MAXPACKET, IPV6_MMTU, IPV6_RTHDR_TYPE_0, ip6_exthdr_len,
                             ip6_frag)
from kernel.wire.net_if import IFF
from kernel.wire.route import RTF_BLACKHOLE, RTF_GATEWAY, RTF_HOST, RTF_LOCAL, RTF_REJECT

if TYPE_CHECKING:  # pragma: no cover
    from kernel.kern.init_main import Kernel

_IFF_LOOPBACK = int(IFF.LOOPBACK)
_IFF_MULTICAST = int(IFF.MULTICAST)
_srcdst = struct.Struct("16s16s").unpack_from     # the IPv6 header's addresses, at +8


def _scoped(a: bytes) -> bool:
    """Link-local unicast, loopback, or interface/link-local multicast (RFC 4007)."""
    if a[0] == 0xFE:
        return a[1] & 0xC0 == 0x80
    if a[0] == 0xFF:
        return 1 <= a[1] & 0x0F <= 2
    return a == IN6ADDR_LOOPBACK


def ifnet_byindex(k: "Kernel", idx: int) -> Any:
    for ifp in k.ifnet:
        if ifp.if_index == idx:
            return ifp
    return None


def in6_linkmtu(ifp: Any) -> int:
    """IN6_LINKMTU of nd6.py: an RA's MTU option, else the interface MTU."""
    return _nd6.IN6_LINKMTU(ifp)


def nd6_output(ifp: Any, origifp: Any, m: mbuf, nexthop: bytes) -> int:
    """``nd6_output_ifp`` of nd6.py: resolve the next hop and send."""
    return _nd6.nd6_output_ifp(ifp, origifp, m, nexthop)


# -- the entry point --------------------------------------------------------------------------
def ip6_output(k: "Kernel", m: mbuf, opt: Any = None, ro: Any = None, flags: int = 0,
               im6o: Any = None, inp: Any = None, zone: int = 0) -> int:
    """Send the IPv6 packet ``m`` (see the module docstring); returns 0 or an errno."""
    st = k.ip6stat
    if m.m_len < IP6_HDR_LEN:
        st.ip6s_odropped += 1
        return errno.EINVAL
    if opt is not None and (opt.ip6po_hbh or opt.ip6po_rthdr or opt.ip6po_dest2):
        ip6_insert_exthdrs(m, opt)
    b = m.buf
    o = m.off
    plen = m.m_len - IP6_HDR_LEN
    if plen > IPV6_MAXPACKET:
        st.ip6s_odropped += 1                   # no jumbograms (RFC 2675) on our links
        return errno.EMSGSIZE
    b[o + 4] = plen >> 8
    b[o + 5] = plen & 0xFF
    src, dst = _srcdst(b, o + 8)
    if not flags & IPV6_FORWARDING:
        st.ip6s_localout += 1
    # Source address validation (KAME): :: only when asked for (DAD, MLD),
    # never a multicast address (RFC 4291 2.7).
    if (src == IN6ADDR_ANY and not flags & IPV6_UNSPECSRC) or src[0] == 0xFF:
        st.ip6s_badscope += 1
        return errno.EOPNOTSUPP
    pktinfo = opt.ip6po_pktinfo if opt is not None else None
    if not zone and pktinfo is not None and pktinfo.ipi6_ifindex:
        zone = pktinfo.ipi6_ifindex              # RFC 3542 6.1: the outgoing interface
    ipsec = getattr(k, "ipsec6_output", None)    # netipsec: RFC 4301 5.1 (ipsec6_output)
    if ipsec is not None and (r := ipsec(k, m, flags, inp, zone)) is not None:
        return r

    rt = None
    if dst[0] == 0xFF:
        # -- multicast ------------------------------------------------------------------
        m.m_flags = (m.m_flags & ~M_BCAST) | M_MCAST
        # RFC 3542 6.7: IPV6_PKTINFO's interface first, then IPV6_MULTICAST_IF
        ifp = ifnet_byindex(k, pktinfo.ipi6_ifindex) if pktinfo is not None and \
            pktinfo.ipi6_ifindex else None
        if ifp is None and im6o is not None:
            ifp = im6o.im6o_multicast_ifp
        if ifp is None and zone:
            ifp = ifnet_byindex(k, zone)
        if ifp is None and not _scoped(dst):
            rt = rtalloc1(k, dst, 0)
            ifp = rt.rt_ifp if rt is not None else None
        if ifp is None or not ifp.if_flags & _IFF_MULTICAST:
            st.ip6s_noroute += 1
            return errno.ENETUNREACH
        if im6o is not None:
            b[o + 7] = im6o.im6o_multicast_hlim
        loop = im6o.im6o_multicast_loop if im6o is not None else 1
        if loop and in6_joined(ifp, dst):
            # We belong to the group on the outgoing interface and the sender
            # did not forbid loopback: loop back a copy (ip6_mloopback).
            ip6_mloopback(k, ifp, m)
        # "Multicasts with a hoplimit of zero may be looped back, above, but must
        # not be transmitted on a network"; nor interface-local ones (RFC 4291 2.7).
        if b[o + 7] == 0 or ifp.if_flags & _IFF_LOOPBACK or dst[1] & 0x0F == 1:
            return 0
        nexthop = dst
    else:
        # -- unicast --------------------------------------------------------------------
        m.m_flags &= ~(M_BCAST | M_MCAST)
        # _scoped(dst), a unicast one: link-local or loopback
        scoped = (dst[0] == 0xFE and dst[1] & 0xC0 == 0x80) or dst == IN6ADDR_LOOPBACK
        if scoped and not zone and dst != IN6ADDR_LOOPBACK:
            st.ip6s_badscope += 1                # RFC 4007 6: a scoped destination needs its zone
            return errno.EHOSTUNREACH
        dzone = zone if scoped else 0
        if ro is not None and ro.ro_rt is not None and ro.ro_gen == k.rt.rt_gen \
                and ro.ro_dst == dst and ro.ro_zone == dzone:
            rt = ro.ro_rt
        else:
            rt = rtalloc1(k, dst, dzone)
            if ro is not None:
                ro.ro_rt, ro.ro_dst, ro.ro_zone, ro.ro_gen = rt, dst, dzone, k.rt.rt_gen
        if rt is None or rt.rt_flags & RTF_LOCAL or rt.rt_ifp is not None and \
                rt.rt_ifp.if_flags & _IFF_LOOPBACK:
            # To one of our own addresses (their host routes are RTF_LOCAL,
            # through lo0): back in through the interface of the address.
            ia = rt.rt_ifa if rt is not None and rt.rt_ifa is not None else \
                in6_ifaddr_for(k, dst, dzone)
            if ia is not None:
                return ip6_loopback(k, ia.ia_ifp, m)
        if rt is None:
            ifp = ifnet_byindex(k, dzone) if scoped and dzone else None
            if ifp is None and (opt is None or opt.ip6po_nexthop is None):
                st.ip6s_noroute += 1
                return errno.EHOSTUNREACH
            nexthop = dst                        # link-local: on the link of its zone
        else:
            if rt.rt_flags & RTF_REJECT:
                st.ip6s_noroute += 1
                return errno.EHOSTDOWN if rt.rt_flags & RTF_HOST else errno.EHOSTUNREACH
            if rt.rt_flags & RTF_BLACKHOLE:
                st.ip6s_odropped += 1
                return 0
            ifp = rt.rt_ifp
            if ifp is None:
                st.ip6s_noroute += 1
                return errno.EHOSTUNREACH
            gw = rt.rt_gateway
            nexthop = gw if rt.rt_flags & RTF_GATEWAY and isinstance(gw, bytes) else dst
        if opt is not None and (opt.ip6po_nexthop is not None or pktinfo is not None):
            r = ip6_optroute(k, opt, pktinfo, ifp, nexthop)
            if type(r) is int:
                st.ip6s_noroute += 1
                return r
            ifp, nexthop = r

    # -- path MTU, fragmentation --------------------------------------------------------
    # IN6_LINKMTU(ifp) of nd6.py: an RA's MTU option if one was accepted, else if_mtu
    linkmtu = ifp.if_mtu
    nd = getattr(ifp.kernel, "nd6", None)
    if nd is not None:
        ndi = nd.nd_ifinfo.get(ifp.if_index)
        if ndi is not None and ndi.linkmtu and ndi.linkmtu < linkmtu:
            linkmtu = ndi.linkmtu
    mtu = linkmtu
    if rt is not None and rt.rt_mtu and rt.rt_mtu < mtu:
        mtu = rt.rt_mtu                          # RFC 8201: learnt from Packet Too Big
    mlen = m.m_len
    if mlen <= IPV6_MMTU and mlen <= mtu:
        return _nd6.nd6_output_ifp(ifp, ifp, m, nexthop)    # fits whatever the options say
    if mtu > IPV6_MMTU:
        minmtu = opt.ip6po_minmtu if opt is not None else -1
        if flags & IPV6_MINMTU or minmtu == IP6PO_MINMTU_ALL or (
                dst[0] == 0xFF and minmtu != IP6PO_MINMTU_DISABLE):
            mtu = IPV6_MMTU                      # RFC 3542 11.1 IPV6_USE_MIN_MTU
    if mlen <= mtu:
        return _nd6.nd6_output_ifp(ifp, ifp, m, nexthop)
    if opt is not None and opt.ip6po_flags & IP6PO_DONTFRAG:
        # RFC 3542 11.2: IPV6_DONTFRAG — too big for the link: EMSGSIZE, and the
        # MTU as IPV6_PATHMTU to an IPV6_RECVPATHMTU socket (KAME); bigger than
        # the path MTU only: send, and let the path answer.
        if m.m_len > linkmtu:
            st.ip6s_cantfrag += 1
            if inp is not None and inp.in6p_flags & IN6P_MTU:
                from kernel.netinet6.in6_pcb import ip6_notify_pmtu
                ip6_notify_pmtu(inp, dst, mtu)
            return errno.EMSGSIZE
        return nd6_output(ifp, ifp, m, nexthop)
    if flags & IPV6_FORWARDING:
        st.ip6s_cantfrag += 1                    # RFC 8200 5: routers do not fragment
        return errno.EMSGSIZE
    return ip6_fragment(k, ifp, m, mtu, nexthop)


def ip6_optroute(k: "Kernel", opt: Any, pktinfo: Any, ifp: Any, nexthop: bytes) -> Any:
    """The options of a unicast packet over its route: (ifp, next hop), or an errno.

    RFC 3542 6.8: IPV6_NEXTHOP replaces the next hop, which must be a neighbor
    — on-link, not behind a gateway (KAME selectroute: EHOSTUNREACH); its
    interface is the outgoing one.  RFC 3542 6.7: an interface named by
    IPV6_PKTINFO must be the one the packet leaves by (KAME: EHOSTUNREACH)."""
    nh = opt.ip6po_nexthop
    if nh is not None:
        nha = getattr(nh, "sin6_addr", nh)
        if _scoped(nha):
            nzone = getattr(nh, "sin6_scope_id", 0) or (
                pktinfo.ipi6_ifindex if pktinfo is not None else 0) or (
                ifp.if_index if ifp is not None else 0)
            nifp = ifnet_byindex(k, nzone) if nzone else None
        else:
            nrt = rtalloc1(k, nha, 0)
            nifp = None if nrt is None or nrt.rt_flags & (RTF_GATEWAY | RTF_REJECT) \
                else nrt.rt_ifp
        if nifp is None:
            return errno.EHOSTUNREACH
        ifp, nexthop = nifp, nha
    if pktinfo is not None and pktinfo.ipi6_ifindex and ifp.if_index != pktinfo.ipi6_ifindex:
        return errno.EHOSTUNREACH
    return ifp, nexthop


# -- extension headers from packet options ------------------------------------------------------
def ip6_insert_exthdrs(m: mbuf, opt: Any) -> None:
    """Insert the extension headers of ``opt`` after the IPv6 header in the order
    of RFC 8200 4.1: hop-by-hop, destination options (before a routing header),
    routing, destination options.

    A type 0 routing header is given as RFC 3542 7 builds it — the hops still
    to visit, the final destination in the IPv6 header: the first of them
    becomes the IPv6 destination and the final destination the routing
    header's last address (KAME ip6_output; RFC 8200 4.4's view from the
    source)."""
    hdrs: list[tuple[int, bytes]] = []
    rth0: Optional[bytearray] = None
    if opt.ip6po_hbh:
        hdrs.append((IPPROTO_HOPOPTS, bytes(opt.ip6po_hbh)))
    if opt.ip6po_rthdr:
        if opt.ip6po_dest1:
            hdrs.append((IPPROTO_DSTOPTS, bytes(opt.ip6po_dest1)))
        rth0 = bytearray(opt.ip6po_rthdr)
        hdrs.append((IPPROTO_ROUTING, rth0))
    if opt.ip6po_dest2:
        hdrs.append((IPPROTO_DSTOPTS, bytes(opt.ip6po_dest2)))
    if not hdrs:
        return
    b = m.buf
    o = m.off
    hdr = bytearray(b[o:o + IP6_HDR_LEN])
    if rth0 is not None and rth0[2] == IPV6_RTHDR_TYPE_0 and rth0[3]:
        n = rth0[1] // 2                         # addresses in the header
        segleft = rth0[3]
        first = 8 + 16 * (n - segleft)
        final = bytes(hdr[24:40])
        hdr[24:40] = rth0[first:first + 16]
        rth0[first:8 + 16 * (n - 1)] = rth0[first + 16:8 + 16 * n]
        rth0[8 + 16 * (n - 1):8 + 16 * n] = final
    last_nxt = hdr[6]
    ext = bytearray()
    hdr[6] = hdrs[0][0]
    for i, (_t, h) in enumerate(hdrs):
        h = bytearray(h)
        h[0] = hdrs[i + 1][0] if i + 1 < len(hdrs) else last_nxt
        ext += h
    n = m.m_prepend(len(ext))
    b = m.buf
    b[n:n + IP6_HDR_LEN] = hdr
    b[n + IP6_HDR_LEN:n + IP6_HDR_LEN + len(ext)] = ext


def ip6_unfragpart(m: mbuf) -> tuple[int, int]:
    """(length of the unfragmentable part, offset of the Next Header byte to
    rewrite) — RFC 8200 4.5: "all headers up to and including the Routing
    header if present, else the Hop-by-Hop Options header if present"."""
    b = m.buf
    o = m.off
    view = memoryview(b)[o:o + m.m_len]
    try:
        nxt = view[6]
        nxtpos = 6
        pos = IP6_HDR_LEN
        # the last offset that ends the unfragmentable part, and its Next Header byte
        end, endnxt = IP6_HDR_LEN, 6
        while True:
            if nxt not in (IPPROTO_HOPOPTS, IPPROTO_DSTOPTS, IPPROTO_ROUTING):
                break
            if nxt == IPPROTO_HOPOPTS and pos != IP6_HDR_LEN:
                break                            # RFC 8200 4.1: only right after the IPv6 header
            ln = ip6_exthdr_len(nxt, view, pos)
            if ln < 0:
                break
            nxtpos = pos
            pos += ln
            if nxt in (IPPROTO_HOPOPTS, IPPROTO_ROUTING):
                end, endnxt = pos, nxtpos
            nxt = view[nxtpos]
        return end, endnxt
    finally:
        view.release()


def ip6_fragment(k: "Kernel", ifp: Any, m: mbuf, mtu: int, nexthop: bytes) -> int:
    """Fragment ``m`` to ``mtu`` and send the fragments (RFC 8200 4.5)."""
    st = k.ip6stat
    unfraglen, nxtpos = ip6_unfragpart(m)
    # RFC 8200 4.5: fragments are multiples of 8 octets, except the last.
    flen = (mtu - unfraglen - IP6_FRAG_LEN) & ~7
    if flen < 8:
        st.ip6s_cantfrag += 1
        return errno.EMSGSIZE
    b = m.buf
    o = m.off
    unfrag = bytearray(b[o:o + unfraglen])
    nxt = unfrag[nxtpos]
    unfrag[nxtpos] = IPPROTO_FRAGMENT
    ident = k.platform.rng.getrandbits(32)      # RFC 7739: unpredictable identifications
    payload = bytes(b[o + unfraglen:o + m.m_len])
    total = len(payload)
    err = 0
    nfrag = 0
    off = 0
    while off < total:
        chunk = payload[off:off + flen]
        more = off + len(chunk) < total
        n = unfraglen + IP6_FRAG_LEN + len(chunk)
        buf = bytearray(MLEADING + n)
        p = MLEADING
        buf[p:p + unfraglen] = unfrag
        plen = n - IP6_HDR_LEN
        buf[p + 4] = plen >> 8
        buf[p + 5] = plen & 0xFF
        ip6_frag.pack_into(buf, p + unfraglen, nxt, 0, off | (IP6F_MORE_FRAG if more else 0), ident)
        buf[p + unfraglen + IP6_FRAG_LEN:p + n] = chunk
        mf = mbuf()
        mf.buf = buf
        mf.off = MLEADING
        mf.m_len = n
        mf.m_flags = m.m_flags
        mf.m_tags = list(m.m_tags) if m.m_tags else None
        e = nd6_output(ifp, ifp, mf, nexthop)
        if e and not err:
            err = e
        nfrag += 1
        off += len(chunk)
    st.ip6s_ofragments += nfrag
    if err:
        st.ip6s_odropped += 1
    else:
        st.ip6s_fragmented += 1
    return err


# -- loopback ---------------------------------------------------------------------------------
def _loop_input(arg: tuple) -> None:
    ifp, m = arg
    ip6_input(ifp, m)


def _loop_stats(k: "Kernel", m: mbuf) -> None:
    lo = getattr(k, "loif", None)
    if lo is not None:
        d = lo.if_data
        d.ifi_opackets += 1
        d.ifi_ipackets += 1
        d.ifi_obytes += m.m_len
        d.ifi_ibytes += m.m_len


def ip6_loopback(k: "Kernel", ifp: Any, m: mbuf) -> int:
    """A packet to one of our addresses: back to ip6_input as a new event (BSD's
    if_simloop through netisr), received on the address's interface."""
    m.rcvif = ifp
    m.m_flags |= M_LOOP
    _loop_stats(k, m)
    lo_bpf_mtap(ifp, m, 0x86DD)            # tcpdump -i lo0 sees it (looutput's bpf tap)
    k.platform.call_later(0, _loop_input, (ifp, m))
    return 0


def ip6_mloopback(k: "Kernel", ifp: Any, m: mbuf) -> None:
    """Loop a copy of a multicast packet back to our own listeners (ip6_mloopback)."""
    c = m.m_dup()
    c.rcvif = ifp
    c.m_flags |= M_LOOP | M_MCAST
    _loop_stats(k, c)
    k.platform.call_later(0, _loop_input, (ifp, c))


# -- socket options (ip6_ctloutput, ip6_setmoptions, ip6_setpktopt) ---------------------------
def _intopt(v: Any) -> int:
    if isinstance(v, bool) or not isinstance(v, int):
        if isinstance(v, (bytes, bytearray)) and len(v) == 4:
            return int.from_bytes(v, "little", signed=True)
        raise OSError(errno.EINVAL, "integer option expected")
    return v


def _moptions(inp: Any) -> Any:
    from kernel.netinet6.ip6_var import ip6_moptions
    if inp.in6p_moptions is None:
        inp.in6p_moptions = ip6_moptions()
    return inp.in6p_moptions


def _pktopts(inp: Any) -> Any:
    if inp.in6p_outputopts is None:
        inp.in6p_outputopts = ip6_pktopts()
    return inp.in6p_outputopts


_RECVFLAGS = None


def _recvflags() -> dict[int, int]:
    global _RECVFLAGS
    if _RECVFLAGS is None:
        from kernel.netinet6 import in6_pcb as p
        _RECVFLAGS = {o.IPV6_RECVPKTINFO: p.IN6P_PKTINFO, o.IPV6_RECVHOPLIMIT: p.IN6P_HOPLIMIT,
                      o.IPV6_RECVTCLASS: p.IN6P_TCLASS, o.IPV6_RECVPATHMTU: p.IN6P_MTU,
                      o.IPV6_RECVHOPOPTS: p.IN6P_HOPOPTS, o.IPV6_RECVDSTOPTS: p.IN6P_DSTOPTS,
                      o.IPV6_RECVRTHDR: p.IN6P_RTHDR, o.IPV6_V6ONLY: p.IN6P_IPV6_V6ONLY,
                      o.IPV6_AUTOFLOWLABEL: p.IN6P_AUTOFLOWLABEL}
    return _RECVFLAGS


# The packet options: sticky (setsockopt) or per packet (ancillary data), RFC 3542 6-9, 11
_EXTHDR_ATTR = {o.IPV6_HOPOPTS: "ip6po_hbh", o.IPV6_DSTOPTS: "ip6po_dest2",
                o.IPV6_RTHDR: "ip6po_rthdr", o.IPV6_RTHDRDSTOPTS: "ip6po_dest1"}
_PKTOPTS = frozenset((o.IPV6_PKTINFO, o.IPV6_HOPLIMIT, o.IPV6_TCLASS, o.IPV6_DONTFRAG,
                      o.IPV6_USE_MIN_MTU, o.IPV6_PREFER_TEMPADDR, o.IPV6_NEXTHOP)) \
    | frozenset(_EXTHDR_ATTR)


def _exthdr(val: Any) -> bytes:
    """An extension header as the application gave it: a whole header, its
    length a multiple of 8 that its Hdr Ext Len field agrees with (RFC 8200 4.3)."""
    hdr = bytes(val)
    if len(hdr) < 8 or len(hdr) != (hdr[1] + 1) << 3:
        raise ValueError("bad extension header length")
    return hdr


def ip6_setpktopt(k: Any, po: ip6_pktopts, name: int, val: Any, sticky: bool,
                  td: Any = None) -> int:
    """Set one packet option in ``po`` (FreeBSD ip6_setpktopt): 0 or an errno.

    ``val`` is what setsockopt(2) got (``sticky``) or the bytes of a control
    message.  An empty sticky value removes the option (RFC 3542 6)."""
    from kernel.kern.kern_proc import priv_check
    from kernel.netinet6 import in6 as _in6m
    if name == o.IPV6_PKTINFO:
        if val is None or (sticky and not isinstance(val, o.in6_pktinfo) and not val):
            po.ip6po_pktinfo = None
            return 0
        pi = val if isinstance(val, o.in6_pktinfo) else o.in6_pktinfo.unpack(val)
        if len(pi.ipi6_addr) != 16:
            return errno.EINVAL
        if sticky and pi.ipi6_ifindex == 0 and pi.ipi6_addr == IN6ADDR_ANY:
            po.ip6po_pktinfo = None             # RFC 3542 6: that clears the sticky option
            return 0
        if pi.ipi6_ifindex and ifnet_byindex(k, pi.ipi6_ifindex) is None:
            return errno.ENXIO                   # RFC 3542 6.1: no such interface
        if pi.ipi6_addr != IN6ADDR_ANY:
            # RFC 3542 6.1: the source must be one of our unicast addresses
            ia = _in6m.in6ifa_ifwithaddr(k, bytes(pi.ipi6_addr), pi.ipi6_ifindex)
            if pi.ipi6_addr[0] == 0xFF or ia is None or ia.ia6_flags & (0x01 | 0x02 | 0x04):
                return errno.EADDRNOTAVAIL
        po.ip6po_pktinfo = pi
    elif name == o.IPV6_HOPLIMIT:
        if sticky:
            return errno.ENOPROTOOPT             # RFC 3542 deprecated the sticky hop limit
        v = _intopt(val)
        if not -1 <= v <= 255:
            return errno.EINVAL
        po.ip6po_hlim = v
    elif name == o.IPV6_TCLASS:
        v = _intopt(val)
        if not -1 <= v <= 255:
            return errno.EINVAL                  # RFC 3542 6.5: -1 is the default
        po.ip6po_tclass = v
    elif name == o.IPV6_DONTFRAG:
        if _intopt(val):
            po.ip6po_flags |= IP6PO_DONTFRAG
        else:
            po.ip6po_flags &= ~IP6PO_DONTFRAG
    elif name == o.IPV6_USE_MIN_MTU:
        v = _intopt(val)
        if v not in (-1, 0, 1):
            return errno.EINVAL                  # RFC 3542 11.1
        po.ip6po_minmtu = v
    elif name == o.IPV6_PREFER_TEMPADDR:
        v = _intopt(val)
        if v not in (-1, 0, 1):
            return errno.EINVAL
        po.ip6po_prefer_tempaddr = v
    elif name == o.IPV6_NEXTHOP:
        err = priv_check(td)                     # FreeBSD: PRIV_NETINET_SETHDROPTS
        if err:
            return err
        if val is None or (sticky and not isinstance(val, sockaddr_in6) and not val):
            po.ip6po_nexthop = None
            return 0
        sa = val if isinstance(val, sockaddr_in6) else sockaddr_in6.unpack(bytes(val))
        if sa.sin6_addr[0] == 0xFF or sa.sin6_addr == IN6ADDR_ANY:
            return errno.EINVAL                  # RFC 3542 6.8: a unicast neighbor
        po.ip6po_nexthop = sa
    else:
        attr = _EXTHDR_ATTR[name]
        if name != o.IPV6_RTHDR:
            err = priv_check(td)                 # FreeBSD: no unprivileged HbH/Dst options
            if err:
                return err
        if val is None or (sticky and not val):
            setattr(po, attr, None)
            return 0
        hdr = _exthdr(val)
        if name == o.IPV6_RTHDR:
            # RFC 3542 7: type 0 only; an even length (16-octet addresses), and
            # Segments Left at most the number of addresses (RFC 8200 4.4).
            if hdr[2] != IPV6_RTHDR_TYPE_0 or hdr[1] == 0 or hdr[1] % 2 or hdr[3] > hdr[1] // 2:
                return errno.EINVAL
        setattr(po, attr, hdr)
    return 0


def ip6_getpktopt(po: Any, name: int) -> Any:
    """The value getsockopt(2) answers for a sticky packet option (FreeBSD ip6_getpcbopt)."""
    if name == o.IPV6_PKTINFO:
        return po.ip6po_pktinfo if po is not None and po.ip6po_pktinfo else o.in6_pktinfo()
    if name == o.IPV6_TCLASS:
        return po.ip6po_tclass if po is not None else -1
    if name == o.IPV6_DONTFRAG:
        return 1 if po is not None and po.ip6po_flags & IP6PO_DONTFRAG else 0
    if name == o.IPV6_USE_MIN_MTU:
        return po.ip6po_minmtu if po is not None else IP6PO_MINMTU_MCASTONLY
    if name == o.IPV6_PREFER_TEMPADDR:
        return po.ip6po_prefer_tempaddr if po is not None else -1
    if name == o.IPV6_NEXTHOP:
        nh = po.ip6po_nexthop if po is not None else None
        return nh if isinstance(nh, sockaddr_in6) else (sockaddr_in6(nh) if nh else b"")
    hdr = getattr(po, _EXTHDR_ATTR[name]) if po is not None else None
    return bytes(hdr) if hdr else b""


def ip6_ctloutput(so: Any, sopt: Any) -> int:
    """IPPROTO_IPV6-level socket options (RFC 3493 5.2, RFC 3542); 0 or an errno."""
    inp = so.so_pcb
    if inp is None:
        return errno.EINVAL
    if sopt.sopt_level != o.IPPROTO_IPV6:
        return errno.ENOPROTOOPT if sopt.sopt_level != 0xFFFF else 0   # SOL_SOCKET: nothing to add
    name, val = sopt.sopt_name, sopt.sopt_val
    k = so.so_kernel
    flags = _recvflags()
    try:
        if sopt.sopt_dir == 1:                      # SOPT_SET
            if name in _PKTOPTS:
                return ip6_setpktopt(k, _pktopts(inp), name, val, True, sopt.sopt_td)
            if name in flags:
                if name == o.IPV6_V6ONLY and (inp.in6p_lport or inp.in6p_laddr != IN6ADDR_ANY):
                    return errno.EINVAL             # only before bind(2) (FreeBSD, KAME)
                if _intopt(val):
                    inp.in6p_flags |= flags[name]
                else:
                    inp.in6p_flags &= ~flags[name]
            elif name == o.IPV6_UNICAST_HOPS:
                v = _intopt(val)
                if not -1 <= v <= 255:
                    return errno.EINVAL
                inp.in6p_hops = v
            elif name == o.IPV6_MULTICAST_HOPS:
                v = _intopt(val)
                if not -1 <= v <= 255:
                    return errno.EINVAL
                _moptions(inp).im6o_multicast_hlim = k.ip6.ip6_defmcasthlim if v == -1 else v
            elif name == o.IPV6_MULTICAST_LOOP:
                v = _intopt(val)
                if v not in (0, 1):
                    return errno.EINVAL
                _moptions(inp).im6o_multicast_loop = v
            elif name == o.IPV6_MULTICAST_IF:
                v = _intopt(val)
                if v == 0:
                    _moptions(inp).im6o_multicast_ifp = None
                else:
                    ifp = ifnet_byindex(k, v)
                    if ifp is None or not ifp.if_flags & _IFF_MULTICAST:
                        return errno.EADDRNOTAVAIL
                    _moptions(inp).im6o_multicast_ifp = ifp
            elif name in _in6_mcast.IP6_MCAST_SOCKOPTS:
                # group memberships and source filters (RFC 3493 5.2, RFC 3678)
                return _in6_mcast.ip6_setmoptions(k, inp, name, val)
            elif name == o.IPV6_IPSEC_POLICY:
                # KAME: the socket's own IPsec policy (ipsec6_set_policy)
                from kernel.netipsec.ipsec import ipsec_pcbctloutput
                return ipsec_pcbctloutput(so, inp, "in6p_sp", sopt)
            else:
                return errno.ENOPROTOOPT        # IPV6_CHECKSUM: raw sockets (rip6_ctloutput)
            return 0
        # SOPT_GET
        if name in flags:
            sopt.sopt_val = 1 if inp.in6p_flags & flags[name] else 0
        elif name in _PKTOPTS and name != o.IPV6_HOPLIMIT:
            sopt.sopt_val = ip6_getpktopt(inp.in6p_outputopts, name)
        elif name == o.IPV6_UNICAST_HOPS:
            sopt.sopt_val = inp.in6p_hops if inp.in6p_hops >= 0 else k.ip6.ip6_defhlim
        elif name == o.IPV6_MULTICAST_HOPS:
            im = inp.in6p_moptions
            sopt.sopt_val = im.im6o_multicast_hlim if im is not None else k.ip6.ip6_defmcasthlim
        elif name == o.IPV6_MULTICAST_LOOP:
            im = inp.in6p_moptions
            sopt.sopt_val = im.im6o_multicast_loop if im is not None else 1
        elif name == o.IPV6_MULTICAST_IF:
            im = inp.in6p_moptions
            ifp = im.im6o_multicast_ifp if im is not None else None
            sopt.sopt_val = ifp.if_index if ifp is not None else 0
        elif name == _in6_mcast.IPV6_MSFILTER:
            err, sopt.sopt_val = _in6_mcast.ip6_getmoptions(k, inp, name, val)   # getsourcefilter(3)
            return err
        elif name == o.IPV6_IPSEC_POLICY:
            from kernel.netipsec.ipsec import ipsec_pcbctloutput    # ipsec6_get_policy
            return ipsec_pcbctloutput(so, inp, "in6p_sp", sopt)
        elif name == o.IPV6_PATHMTU:
            # RFC 3542 11.4: the path MTU to the peer of a connected socket
            if inp.in6p_faddr == IN6ADDR_ANY:
                return errno.ENOTCONN
            rt = rtalloc1(k, inp.in6p_faddr, inp.in6p_fzone)
            ifp = rt.rt_ifp if rt is not None else ifnet_byindex(k, inp.in6p_fzone)
            if ifp is None:
                return errno.EHOSTUNREACH
            mtu = in6_linkmtu(ifp)
            if rt is not None and rt.rt_mtu:
                mtu = min(mtu, rt.rt_mtu)
            sopt.sopt_val = o.ip6_mtuinfo(sockaddr_in6(inp.in6p_faddr, inp.in6p_fport, 0,
                                                       inp.in6p_fzone), mtu)
        else:
            return errno.ENOPROTOOPT
        return 0
    except OSError as e:
        return e.errno or errno.EINVAL
    except (TypeError, ValueError, AttributeError):
        return errno.EINVAL


_SAVEFLAGS = IN6P_PKTINFO | IN6P_HOPLIMIT | IN6P_TCLASS | IN6P_HOPOPTS | IN6P_DSTOPTS | IN6P_RTHDR
_EXTFLAGS = IN6P_HOPOPTS | IN6P_DSTOPTS | IN6P_RTHDR


def ip6_savecontrol(inp: Any, m: mbuf, hlim: int, dst: bytes, tclass: int,
                    off: int = 0) -> Optional[list]:
    """The ancillary data a socket asked to receive (RFC 3542 6): IPV6_PKTINFO,
    IPV6_HOPLIMIT, IPV6_TCLASS, and the extension headers of the packet —
    IPV6_HOPOPTS, IPV6_DSTOPTS, IPV6_RTHDR, one message per header, in the
    order they came (RFC 3542 4).

    ``m`` is the whole packet from its IPv6 header and ``off`` the offset of
    the upper-layer header: the extension headers the input path went through
    are still in the mbuf in front of it (a reassembled packet without its
    Fragment header), and are walked from the IPv6 header as FreeBSD's
    ip6_savecontrol does."""
    f = inp.in6p_flags
    if not f & _SAVEFLAGS:
        return None
    out = []
    if f & IN6P_PKTINFO:
        ifp = m.rcvif
        out.append((IPPROTO_IPV6, IPV6_PKTINFO,
                    in6_pktinfo_pack(dst, ifp.if_index if ifp is not None else 0)))
    if f & IN6P_HOPLIMIT:
        out.append((IPPROTO_IPV6, IPV6_HOPLIMIT, cmsg_int(hlim)))
    if f & IN6P_TCLASS:
        out.append((IPPROTO_IPV6, IPV6_TCLASS, cmsg_int(tclass)))
    if f & _EXTFLAGS and off > IP6_HDR_LEN:
        b = m.buf
        base = m.off
        end = min(off, m.m_len)
        nxt = b[base + 6]
        pos = IP6_HDR_LEN
        while pos + 2 <= end:
            if nxt == IPPROTO_AH:
                ln = (b[base + pos + 1] + 2) << 2
            elif nxt in (IPPROTO_HOPOPTS, IPPROTO_DSTOPTS, IPPROTO_ROUTING):
                ln = (b[base + pos + 1] + 1) << 3
            else:
                break
            if pos + ln > end:
                break
            if nxt == IPPROTO_HOPOPTS:
                # RFC 8200 4.1: only right after the IPv6 header
                if pos == IP6_HDR_LEN and f & IN6P_HOPOPTS:
                    out.append((IPPROTO_IPV6, o.IPV6_HOPOPTS, bytes(b[base + pos:base + pos + ln])))
            elif nxt == IPPROTO_DSTOPTS:
                if f & IN6P_DSTOPTS:
                    out.append((IPPROTO_IPV6, o.IPV6_DSTOPTS, bytes(b[base + pos:base + pos + ln])))
            elif nxt == IPPROTO_ROUTING:
                if f & IN6P_RTHDR:
                    out.append((IPPROTO_IPV6, o.IPV6_RTHDR, bytes(b[base + pos:base + pos + ln])))
            nxt = b[base + pos]
            pos += ln
    return out or None


def ip6_setpktopts(control: Optional[list], sticky: Any, k: Any = None,
                   td: Any = None) -> tuple[int, Any, int]:
    """Ancillary data of one send (RFC 3542 6-9, 11) over the sticky options:
    per-packet values win, for this packet only (RFC 3542 6).

    Returns (errno, ip6_pktopts or None, hop limit from IPV6_HOPLIMIT or -1)."""
    if not control:
        return 0, sticky, -1
    po = ip6_pktopts()
    if sticky is not None:
        for n in ip6_pktopts.__slots__:
            setattr(po, n, getattr(sticky, n))
    po.ip6po_hlim = -1
    try:
        for level, ctype, data in control:
            if level != o.IPPROTO_IPV6:
                return errno.EINVAL, None, -1
            if ctype not in _PKTOPTS:
                return errno.ENOPROTOOPT, None, -1
            if ctype in (o.IPV6_HOPLIMIT, o.IPV6_TCLASS, o.IPV6_DONTFRAG, o.IPV6_USE_MIN_MTU,
                         o.IPV6_PREFER_TEMPADDR):
                if len(data) != 4:
                    return errno.EINVAL, None, -1
            elif not data:
                return errno.EINVAL, None, -1
            err = ip6_setpktopt(k, po, ctype, data, False, td)
            if err:
                return err, None, -1
    except (ValueError, TypeError, struct.error):
        return errno.EINVAL, None, -1
    return 0, po, po.ip6po_hlim
