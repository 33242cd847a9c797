"""IPv6 input (sys/netinet6/ip6_input.c).

``ip6_init`` is the SYSINIT of the IPv6 core: tunables and counters, the
protocol switch ``k.inet6sw``, reassembly and ICMPv6 state, sysctl nodes,
and ``ip6_input`` registered for ethertype 0x86DD.

``ip6_input(ifp, m)`` validates the header (RFC 8200 3; RFC 4291 2.5.3,
2.5.5.2 and 2.7 for addresses that must not appear on a link), decides
whether the packet is ours (``in6ifa_ifwithaddr``, ``in6m_lookup``),
processes the hop-by-hop options header — only directly after the IPv6
header (RFC 8200 4.1) — and hands the rest of the header chain to the
protocol switch one header at a time, or to ``ip6_forward`` when we are a
router and the packet is not ours.  ``ip6_process_hopopts`` and
``ip6_unknown_opt`` (RFC 8200 4.2 option processing, shared with dest6) and
``ip6_get_prevhdr`` live here, as in BSD.

Every drop bumps a field of ``k.ip6stat``.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from kernel.kern.kern_sysctl import SYSCTL_INT, SYSCTL_STRUCT
from kernel.kern.uipc_mbuf import M_BCAST, M_LOOP, M_MCAST, mbuf
from kernel.net.if_ethersubr import ether_register
from kernel.netinet6 import in6 as _in6, nd6 as _nd6
from kernel.netinet6.ip6_var import ip6_vars, ip6stat, ia_addr_of, rip6stat
from kernel.wire.ethernet import ETHERTYPE
from kernel.wire.icmp6 import (ICMP6_PARAM_PROB, ICMP6_PARAMPROB_HEADER,
                               ICMP6_PARAMPROB_NEXTHEADER, ICMP6_PARAMPROB_OPTION)
from kernel.wire.in6 import IN6ADDR_ANY, IN6ADDR_LOOPBACK
from kernel.wire.ip6 import (IP6_HDR_LEN, IP6OPT_JUMBO, IP6OPT_JUMBO_LEN, IP6OPT_MINLEN,
                             IP6OPT_PAD1, IP6OPT_PADN, IP6OPT_RTALERT, IP6OPT_RTALERT_LEN,
                             IP6OPT_RTALERT_MLD, IP6OPT_TYPE_DISCARD, IP6OPT_TYPE_FORCEICMP,
                             IP6OPT_TYPE_MASK, IP6OPT_TYPE_SKIP,
                             IPPROTO_DONE, IPPROTO_HOPOPTS, IPV6_MAXPACKET, ip6_exthdr_len,
                             ip6_hdr)
from kernel.wire.net_if import IFF

if TYPE_CHECKING:  # pragma: no cover
    from kernel.kern.init_main import Kernel

_IFF_LOOPBACK = int(IFF.LOOPBACK)
_V4MAPPED = bytes(10) + b"\xff\xff"
_NOTREADY = 0x02 | 0x04          # IN6_IFF_TENTATIVE | IN6_IFF_DUPLICATED
_ND6_IFF_IFDISABLED = _nd6.ND6_IFF_IFDISABLED


# -- SYSINIT -------------------------------------------------------------------------------
def ip6_init(k: "Kernel") -> None:
    """Set up the IPv6 core of kernel ``k`` (BSD ip6_init, frag6_init, icmp6_init)."""
    from kernel.netinet6 import frag6, icmp6, in6_proto

    if getattr(k, "rt", None) is None:
        from kernel.net.route import route_init
        route_init(k)
    k.ip6 = ip6_vars()
    k.ip6stat = ip6stat()
    k.rip6stat = rip6stat()
    in6_proto.in6_proto_init(k)
    frag6.frag6_init(k)
    icmp6.icmp6_init(k)
    ip = "net.inet6.ip6."
    v = k.ip6
    SYSCTL_INT(k, ip + "forwarding", v, "ip6_forwarding", "Enable IPv6 forwarding between interfaces",
               check=lambda x: x in (0, 1))
    SYSCTL_INT(k, ip + "redirect", v, "ip6_sendredirects", "Send ICMPv6 redirects")
    SYSCTL_INT(k, ip + "hlim", v, "ip6_defhlim", "Default hop limit",
               check=lambda x: 0 < x <= 255)
    SYSCTL_INT(k, ip + "defmcasthlim", v, "ip6_defmcasthlim", "Default multicast hop limit",
               check=lambda x: 0 <= x <= 255)
    SYSCTL_INT(k, ip + "maxfragpackets", v, "ip6_maxfragpackets",
               "Maximum datagrams in reassembly (-1: no limit, 0: no reassembly)")
    SYSCTL_INT(k, ip + "maxfrags", v, "ip6_maxfrags",
               "Maximum fragments queued for reassembly (-1: no limit, 0: none)")
    SYSCTL_INT(k, ip + "maxfragsperpacket", v, "ip6_maxfragsperpacket",
               "Maximum fragments in one datagram", check=lambda x: x >= 0)
    SYSCTL_INT(k, ip + "hdrnestlimit", v, "ip6_hdrnestlimit",
               "Maximum headers processed in one packet (0: no limit)", check=lambda x: x >= 0)
    SYSCTL_INT(k, ip + "v6only", v, "ip6_v6only", "Bind AF_INET6 sockets to IPv6 only")
    SYSCTL_INT(k, ip + "auto_flowlabel", v, "ip6_auto_flowlabel", "Put a flow label on sent packets")
    SYSCTL_INT(k, ip + "use_deprecated", v, "ip6_use_deprecated",
               "Allow deprecated addresses as source")
    SYSCTL_INT(k, ip + "mtudisc_timeout", v, "ip6_mtudisc_timeout",
               "Seconds before a path MTU learnt from Packet Too Big expires",
               check=lambda x: x >= 300)     # RFC 8201 5.3: not before 5 minutes
    SYSCTL_STRUCT(k, ip + "stats", lambda: k.ip6stat, "IPv6 statistics (struct ip6stat)")
    SYSCTL_STRUCT(k, "net.inet6.ip6.rip6stats", lambda: k.rip6stat,
                  "Raw IPv6 statistics (struct rip6stat)")
    ether_register(k, int(ETHERTYPE.IPV6), ip6_input)


# -- is it for us? ---------------------------------------------------------------------------
def in6_ifaddr_for(k: "Kernel", dst: bytes, zone: int) -> Any:
    """Our address ``dst`` in ``zone`` (``in6ifa_ifwithaddr`` of in6.py), or None."""
    return _in6.in6ifa_ifwithaddr(k, dst, zone)


def in6_joined(ifp: Any, group: bytes) -> bool:
    """Have we joined ``group`` on ``ifp`` (``in6m_lookup`` of in6.py)?"""
    return _in6.in6m_lookup(ifp, group) is not None


# -- input -------------------------------------------------------------------------------------
def ip6_input(ifp: Any, m: mbuf) -> None:
    """Receive one IPv6 packet; ``m`` starts at the IPv6 header (netisr context)."""
    k = ifp.kernel
    st = k.ip6stat
    st.ip6s_total += 1
    m.rcvif = ifp
    if m.m_len < IP6_HDR_LEN:
        st.ip6s_toosmall += 1
        return
    buf = m.buf
    o = m.off
    flow, plen, nxt, _hlim, src, dst = ip6_hdr.unpack_from(buf, o)
    if flow >> 28 != 6:
        st.ip6s_badvers += 1                    # RFC 8200 3: Version = 6
        return
    st.ip6s_nxthist[nxt] += 1
    # RFC 4862 5.4.5: IPv6 disabled on the interface (a duplicate link-local
    # address, or the administrator): drop what arrives (FreeBSD ND6_IFF_IFDISABLED).
    ndi = k.nd6.nd_ifinfo.get(ifp.if_index)          # nd6_ifdisabled(ifp)
    if ndi is not None and ndi.flags & _ND6_IFF_IFDISABLED:
        k.count("ip6_input_ifdisabled")
        return
    # RFC 4291 2.7: "Multicast addresses must not be used as source addresses";
    # RFC 4291 2.5.2: the unspecified address "must not be used as the
    # destination address of IPv6 packets".
    if src[0] == 0xFF or dst == IN6ADDR_ANY:
        st.ip6s_badscope += 1
        return
    looped = (ifp.if_flags & _IFF_LOOPBACK) or (m.m_flags & M_LOOP)
    if not looped:
        # RFC 4291 2.5.3: the loopback address "must never be sent outside a
        # single node" and a packet to it "must never be accepted" from an interface.
        if src == IN6ADDR_LOOPBACK or dst == IN6ADDR_LOOPBACK:
            st.ip6s_badscope += 1
            return
        # RFC 4291 2.7: interface-local multicast "is useful only for loopback
        # transmission of multicast".
        if dst[0] == 0xFF and dst[1] & 0x0F == 1:
            st.ip6s_badscope += 1
            return
    # KAME: IPv4-mapped addresses on the wire may bypass IPv4 filters (RFC 4942 2.2).
    if (src[0] == 0 and src[:12] == _V4MAPPED) or (dst[0] == 0 and dst[:12] == _V4MAPPED):
        st.ip6s_badscope += 1
        return
    # RFC 4291 2.7: multicast scope 0 is reserved.
    if dst[0] == 0xFF and dst[1] & 0x0F == 0:
        st.ip6s_badscope += 1
        return

    # RFC 8200 3: Payload Length.  A packet shorter than it says is dropped,
    # one longer is trimmed.  Zero with a hop-by-hop header may mean a jumbogram
    # (RFC 2675), checked after the options.
    jumbo_candidate = plen == 0 and nxt == IPPROTO_HOPOPTS
    if not jumbo_candidate:
        if m.m_len - IP6_HDR_LEN < plen:
            st.ip6s_tooshort += 1
            return
        if m.m_len > IP6_HDR_LEN + plen:
            m.m_len = IP6_HDR_LEN + plen

    # Ours?
    ip6 = k.ip6
    ia = None
    if dst[0] == 0xFF:
        m.m_flags |= M_MCAST
        ours = _in6.in6m_lookup(ifp, dst) is not None
        if not ours and not ip6.ip6_forwarding:
            st.ip6s_notmember += 1              # ip6_input: not a member of the group
            return
    else:
        zone = ifp.if_index if (dst[0] == 0xFE and dst[1] & 0xC0 == 0x80) or dst == IN6ADDR_LOOPBACK else 0
        ia = _in6.in6ifa_ifwithaddr(k, dst, zone)
        if ia is not None:
            if ia.ia6_flags & _NOTREADY:
                # RFC 4862 5.4: "packets addressed to a tentative address
                # should be silently discarded"
                st.ip6s_notready += 1
                return
            ours = True
        else:
            ours = False
            if not ip6.ip6_forwarding:
                st.ip6s_cantforward += 1        # not ours and we are not a router
                return

    off = IP6_HDR_LEN
    rtalert = -1
    if nxt == IPPROTO_HOPOPTS:
        # RFC 8200 4.3: examined by every node on the path, first of all.
        r = ip6_hopopts_input(k, m, off, plen)
        if r is None:
            return
        nxt, off, jumbo, rtalert = r
        if jumbo_candidate:
            # RFC 2675 3: payload length 0 and a hop-by-hop header: a Jumbo
            # Payload option MUST be present.
            if jumbo == 0:
                st.ip6s_badoptions += 1
                _icmp6_error(k, m, ICMP6_PARAM_PROB, ICMP6_PARAMPROB_HEADER, 4)
                return
            if m.m_len - IP6_HDR_LEN < jumbo:
                st.ip6s_tooshort += 1
                return
            if m.m_len > IP6_HDR_LEN + jumbo:
                m.m_len = IP6_HDR_LEN + jumbo
        # RFC 2711: a router passes MLD with router alert to its own MLD.
        if rtalert == IP6OPT_RTALERT_MLD and ip6.ip6_forwarding:
            ours = True

    if not ours:
        if dst[0] == 0xFF:
            m.m_flags &= ~M_MCAST
            st.ip6s_notmember += 1      # no multicast routing: not a member, not forwarded
            return
        from kernel.netinet6.ip6_forward import ip6_forward
        ip6_forward(k, m, 0)
        return

    st.ip6s_delivered += 1
    ip6.ip6_dstifaddr = ia if dst[0] != 0xFF else None
    ip6_deliver(k, m, off, nxt)


def ip6_deliver(k: "Kernel", m: mbuf, off: int, nxt: int) -> None:
    """Walk the header chain through the protocol switch (the tail of ip6_input)."""
    st = k.ip6stat
    ip6 = k.ip6
    sw = k.inet6sw
    limit = ip6.ip6_hdrnestlimit
    nest = 0
    in_reject = getattr(k, "ipsec6_in_reject", None)
    while nxt != IPPROTO_DONE:
        nest += 1
        if limit and nest > limit:
            st.ip6s_toomanyhdr += 1             # a chain of headers too long to walk
            return
        if m.m_len < off:
            st.ip6s_tooshort += 1
            return
        if in_reject is not None and in_reject(k, m, off, nxt):
            return                              # netipsec: RFC 4301 5.2 (ipsec6_in_reject)
        ip6.ip6_nxtoff = -1
        r = sw[nxt](k, m, off, nxt)
        if r == IPPROTO_DONE:
            return
        off = ip6.ip6_nxtoff
        if off < 0:
            raise RuntimeError(f"inet6sw[{nxt}] returned header {r} without setting ip6_nxtoff")
        nxt = r


# -- hop-by-hop options (ip6_hopopts_input, ip6_process_hopopts) ----------------------------------
def ip6_hopopts_input(k: "Kernel", m: mbuf, off: int,
                      plen: int) -> Optional[tuple[int, int, int, int]]:
    """Process the hop-by-hop options header at ``off``.

    Returns (next header, offset after the header, jumbo payload length or 0,
    router alert value or -1), or None when the packet was dropped (counted,
    and an ICMPv6 error sent where RFC 8200 4.2 asks for one).
    """
    st = k.ip6stat
    if m.m_len < off + 8:
        st.ip6s_tooshort += 1
        return None
    b = m.buf
    base = m.off + off
    nxt = b[base]
    hbhlen = (b[base + 1] + 1) << 3
    if m.m_len < off + hbhlen:
        st.ip6s_tooshort += 1
        return None
    r = ip6_process_opts(k, m, off + 2, hbhlen - 2, True, plen)
    if r is None:
        return None
    jumbo, rtalert = r
    return nxt, off + hbhlen, jumbo, rtalert


def ip6_process_opts(k: "Kernel", m: mbuf, optoff: int, optlen: int, hbh: bool,
                     plen: int = 0) -> Optional[tuple[int, int]]:
    """Walk the options of a hop-by-hop (``hbh``) or destination options header.

    ``optoff`` is the offset of the first option from the IPv6 header.
    Returns (jumbo payload length or 0, router alert value or -1), or None
    when the packet was dropped.
    """
    st = k.ip6stat
    b = m.buf
    base = m.off
    i = optoff
    end = optoff + optlen
    jumbo = 0
    rtalert = -1
    while i < end:
        t = b[base + i]
        if t == IP6OPT_PAD1:                    # RFC 8200 4.2: Pad1 is one octet, no length
            i += 1
            continue
        if end - i < IP6OPT_MINLEN:
            st.ip6s_toosmall += 1               # an option without room for its length
            return None
        ln = b[base + i + 1]
        if i + 2 + ln > end:
            st.ip6s_toosmall += 1               # option data overruns the header
            return None
        if t == IP6OPT_PADN:
            pass
        elif hbh and t == IP6OPT_RTALERT:
            # RFC 2711 2.1: Opt Data Len = 2
            if ln != IP6OPT_RTALERT_LEN - 2:
                st.ip6s_badoptions += 1
                _icmp6_error(k, m, ICMP6_PARAM_PROB, ICMP6_PARAMPROB_HEADER, i + 1)
                return None
            rtalert = (b[base + i + 2] << 8) | b[base + i + 3]
        elif hbh and t == IP6OPT_JUMBO:
            # RFC 2675 2: Opt Data Len = 4
            if ln != IP6OPT_JUMBO_LEN - 2:
                st.ip6s_badoptions += 1
                _icmp6_error(k, m, ICMP6_PARAM_PROB, ICMP6_PARAMPROB_HEADER, i + 1)
                return None
            # RFC 2675 3: "the Payload Length field in the IPv6 header must be set to zero"
            if plen != 0:
                st.ip6s_badoptions += 1
                _icmp6_error(k, m, ICMP6_PARAM_PROB, ICMP6_PARAMPROB_HEADER, i)
                return None
            jl = int.from_bytes(b[base + i + 2:base + i + 6], "big")
            # RFC 2675 3: the jumbo length must be > 65535; and one option only (KAME)
            if jumbo or jl <= IPV6_MAXPACKET:
                st.ip6s_badoptions += 1
                _icmp6_error(k, m, ICMP6_PARAM_PROB, ICMP6_PARAMPROB_HEADER, i + 2)
                return None
            jumbo = jl
        else:
            if not ip6_unknown_opt(k, m, t, i):
                return None
        i += 2 + ln
    return jumbo, rtalert


def ip6_unknown_opt(k: "Kernel", m: mbuf, opttype: int, off: int) -> bool:
    """RFC 8200 4.2: act on an unrecognized option by the two high-order bits of its type.

    ``off`` is the option's offset from the IPv6 header (the ICMP pointer).
    Returns True to skip the option, False when the packet was dropped.
    """
    action = opttype & IP6OPT_TYPE_MASK
    if action == IP6OPT_TYPE_SKIP:              # 00: skip over this option
        return True
    k.ip6stat.ip6s_badoptions += 1
    if action == IP6OPT_TYPE_DISCARD:           # 01: discard the packet
        return False
    if action == IP6OPT_TYPE_FORCEICMP:
        # 10: discard, and regardless of whether the destination was a multicast
        # address, send an ICMP Parameter Problem, Code 2, pointing to the type.
        _icmp6_error(k, m, ICMP6_PARAM_PROB, ICMP6_PARAMPROB_OPTION, off)
        return False
    # 11 (IP6OPT_TYPE_ICMP): discard, and only if the destination was not a
    # multicast address, send an ICMP Parameter Problem, Code 2.
    if m.buf[m.off + 24] != 0xFF and not m.m_flags & (M_BCAST | M_MCAST):
        _icmp6_error(k, m, ICMP6_PARAM_PROB, ICMP6_PARAMPROB_OPTION, off)
    return False


def ip6_get_prevhdr(m: mbuf, off: int) -> int:
    """Offset (from the IPv6 header) of the Next Header field that names the header at ``off``."""
    if off <= IP6_HDR_LEN:
        return 6
    b = m.buf
    base = m.off
    nxt = b[base + 6]
    pos = IP6_HDR_LEN
    view = memoryview(b)[base:base + m.m_len]
    try:
        while pos < off:
            ln = ip6_exthdr_len(nxt, view, pos)
            if ln < 0 or pos + ln > off:
                break
            if pos + ln == off:
                return pos
            nxt = view[pos]
            pos += ln
    finally:
        view.release()
    return 6


def ip6_hbh_notfirst(k: "Kernel", m: mbuf, off: int, nxt: int) -> int:
    """inet6sw[IPPROTO_HOPOPTS]: a hop-by-hop header anywhere but first.

    RFC 8200 4.1: "The Hop-by-Hop Options header ... is restricted to appear
    immediately after an IPv6 header only"; RFC 8200 4: a node that meets an
    unrecognized Next Header value sends Parameter Problem code 1 pointing at
    it — which is what BSD does, finding no protocol for 0.
    """
    k.ip6stat.ip6s_badoptions += 1
    _icmp6_error(k, m, ICMP6_PARAM_PROB, ICMP6_PARAMPROB_NEXTHEADER, ip6_get_prevhdr(m, off))
    return IPPROTO_DONE


def _icmp6_error(k: "Kernel", m: mbuf, type: int, code: int, param: int) -> None:
    from kernel.netinet6.icmp6 import icmp6_error
    icmp6_error(k, m, type, code, param)


def ip6_ours_ifaddr(k: "Kernel", m: mbuf) -> Any:
    """The in6_ifaddr the packet in ``m`` was sent to, if it is one of our unicast
    addresses (BSD ip6_getdstifaddr)."""
    dst = bytes(m.buf[m.off + 24:m.off + 40])
    if dst[0] == 0xFF:
        return None
    ifp = m.rcvif
    zone = ifp.if_index if ifp is not None and ((dst[0] == 0xFE and dst[1] & 0xC0 == 0x80)
                                               or dst == IN6ADDR_LOOPBACK) else 0
    ia = in6_ifaddr_for(k, dst, zone)
    if ia is not None and ia_addr_of(ia) != dst:    # pragma: no cover - defensive
        return None
    return ia
