"""ICMPv6 (sys/netinet6/icmp6.c).

RFC 4443: ``icmp6_input`` checks length and checksum (2.3), answers Echo
Requests (4.1, 4.2) from the address they were sent to (2.2), hands
Neighbor Discovery (RFC 4861), MLD (RFC 2710, RFC 3810) and Redirect
messages to their modules — found by name at call time, so ND and MLD land
on their own — and turns error messages (3) into notifications of the
upper layers (``pr_ctlinput``).  A Packet Too Big lowers the path MTU
(RFC 8201 4) in a host route that expires (RFC 8201 5.3).

``icmp6_error`` applies RFC 4443 2.4: no error about an ICMPv6 error or a
Redirect (e.1), about a packet to a multicast address or sent as link-layer
multicast or broadcast (e.2-e.4, except Packet Too Big and Parameter
Problem code 2), or about a packet whose source is not a unicast address
(e.5); errors are rate limited (f) by a token bucket of
``net.inet6.icmp6.errppslimit`` per second (default 100, 0 none, -1 no
limit), and no error exceeds the minimum MTU (c).  Counters: ``k.icmp6stat``
with FreeBSD's names.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from kernel.kern.kern_sysctl import SYSCTL_INT, SYSCTL_STRUCT
from kernel.kern.uipc_mbuf import M_BCAST, M_LOOP, M_MCAST, mbuf
from kernel.net.route import rt_pmtu_update, rtalloc1
from kernel.netinet6.ip6_input import in6_ifaddr_for
from kernel.netinet6.ip6_output import _scoped, ip6_output
from kernel.netinet6 import in6_src as _in6_src, nd6 as _nd6, raw_ip6 as _raw_ip6
from kernel.netinet6.ip6_var import ip6ctlparam, netinet6_func
from kernel.wire.icmp6 import (ICMP6_DST_UNREACH, ICMP6_ECHO_REPLY, ICMP6_ECHO_REQUEST,
                               ICMP6_HDR_LEN, ICMP6_PACKET_TOO_BIG, ICMP6_PARAM_PROB,
                               ICMP6_PARAMPROB_NEXTHEADER, ICMP6_PARAMPROB_OPTION,
                               ICMP6_TIME_EXCEEDED, ICMPV6_PLD_MAXLEN, MLD_LISTENER_DONE,
                               MLD_LISTENER_QUERY, MLD_LISTENER_REPORT, MLDV2_LISTENER_REPORT,
                               ND_NEIGHBOR_ADVERT, ND_NEIGHBOR_SOLICIT, ND_REDIRECT,
                               ND_ROUTER_ADVERT, ND_ROUTER_SOLICIT, icmp6_hdr)
from kernel.wire.in_cksum import in6_cksum
from kernel.wire.in6 import IN6ADDR_LOOPBACK, in6_is_scoped, sockaddr_in6
from kernel.wire.ip6 import IP6_HDR_LEN, IPPROTO_DONE, IPPROTO_ICMPV6, IPV6_MMTU, ip6_hdr, ip6_lasthdr

if TYPE_CHECKING:  # pragma: no cover
    from kernel.kern.init_main import Kernel

SEC = 1_000_000_000
MLD_MINLEN = 24                  # struct mld_hdr (RFC 2710 3)
_NOTREADY = 0x02 | 0x04          # IN6_IFF_TENTATIVE | IN6_IFF_DUPLICATED
_ANYCAST = 0x01                  # IN6_IFF_ANYCAST

# sys/protosw.h: the commands pr_ctlinput gets
PRC_MSGSIZE = 5
PRC_HOSTDEAD = 6
PRC_UNREACH_NET = 8
PRC_UNREACH_HOST = 9
PRC_UNREACH_PROTOCOL = 10
PRC_UNREACH_PORT = 11
PRC_UNREACH_SRCFAIL = 13
PRC_TIMXCEED_INTRANS = 18
PRC_TIMXCEED_REASS = 19
PRC_PARAMPROB = 20
PRC_UNREACH_ADMIN_PROHIB = 21
PRC_NCMDS = 22

# ICMPv6 input -> (module names to search, handler) (docs/kernel.md); the
# handler is called as fn(k, m, off, icmp6len).
ICMP6_ND_HANDLERS: dict[int, tuple[tuple[str, ...], str]] = {
    ND_ROUTER_SOLICIT: (("nd6_rtr", "nd6"), "nd6_rs_input"),
    ND_ROUTER_ADVERT: (("nd6_rtr", "nd6"), "nd6_ra_input"),
    ND_NEIGHBOR_SOLICIT: (("nd6_nbr", "nd6"), "nd6_ns_input"),
    ND_NEIGHBOR_ADVERT: (("nd6_nbr", "nd6"), "nd6_na_input"),
    ND_REDIRECT: (("nd6_rtr", "nd6", "icmp6_redirect"), "icmp6_redirect_input"),
    MLD_LISTENER_QUERY: (("mld6",), "mld_input"),
    MLD_LISTENER_REPORT: (("mld6",), "mld_input"),
    MLD_LISTENER_DONE: (("mld6",), "mld_input"),
    MLDV2_LISTENER_REPORT: (("mld6",), "mld_input"),
}
_MLD_TYPES = (MLD_LISTENER_QUERY, MLD_LISTENER_REPORT, MLD_LISTENER_DONE, MLDV2_LISTENER_REPORT)


class icmp6stat:
    """``struct icmp6stat`` (FreeBSD netinet/icmp6.h), the outerrhist members flat
    under their ``icp6s_o*`` names."""

    __slots__ = (
        "icp6s_error",            # calls to icmp6_error
        "icp6s_canterror",        # no error because old was icmp error or so
        "icp6s_toofreq",          # no error because of rate limitation
        "icp6s_outhist",          # [256]
        "icp6s_badcode",          # icmp6_code out of range
        "icp6s_tooshort",         # packet < sizeof(struct icmp6_hdr)
        "icp6s_checksum",         # bad checksum
        "icp6s_badlen",           # calculated bound mismatch
        "icp6s_reflect",          # number of responses
        "icp6s_inhist",           # [256]
        "icp6s_nd_toomanyopt",    # too many ND options
        "icp6s_odst_unreach_noroute", "icp6s_odst_unreach_admin",
        "icp6s_odst_unreach_beyondscope", "icp6s_odst_unreach_addr",
        "icp6s_odst_unreach_noport", "icp6s_opacket_too_big", "icp6s_otime_exceed_transit",
        "icp6s_otime_exceed_reassembly", "icp6s_oparamprob_header",
        "icp6s_oparamprob_nextheader", "icp6s_oparamprob_option", "icp6s_oredirect",
        "icp6s_ounknown",
        "icp6s_pmtuchg",          # path MTU changes
        "icp6s_nd_badopt",        # bad ND options
        "icp6s_badns",            # bad neighbor solicitation
        "icp6s_badna",            # bad neighbor advertisement
        "icp6s_badrs",            # bad router solicitation
        "icp6s_badra",            # bad router advertisement
        "icp6s_badredirect",      # bad redirect message
        "icp6s_overflowdefrtr",   # too many default routers
        "icp6s_overflowprfx",     # too many prefixes
        "icp6s_overflownndp",     # too many neighbour entries
        "icp6s_overflowredirect",  # too many redirects
        "icp6s_invlhlim",         # invalid hop limit
        # kamebox: the reasons FreeBSD leaves uncounted
        "icp6s_nohandler",        # ND/MLD message with no handler in this kernel
        "icp6s_nosrc",            # no source address for a reply or an error
        "icp6s_badptb",           # Packet Too Big below the minimum MTU (RFC 8201 4)
    )

    def __init__(self) -> None:
        for n in self.__slots__:
            setattr(self, n, [0] * 256 if n in ("icp6s_outhist", "icp6s_inhist") else 0)

    def as_dict(self) -> dict[str, Any]:
        return {n: (list(v) if isinstance(v := getattr(self, n), list) else v)
                for n in self.__slots__}


class icmp6_vars:
    """ICMPv6 tunables and the error token bucket (``k.icmp6``)."""

    def __init__(self) -> None:
        self.icmp6errppslim = 100       # net.inet6.icmp6.errppslimit
        self.icmp6_tokens = 100 * SEC   # token bucket: one error costs SEC
        self.icmp6_tokens_last = 0


def icmp6_init(k: "Kernel") -> None:
    k.icmp6stat = icmp6stat()
    k.icmp6 = icmp6_vars()
    SYSCTL_INT(k, "net.inet6.icmp6.errppslimit", k.icmp6, "icmp6errppslim",
               "Maximum ICMPv6 error messages per second (0: none, -1: no limit)")
    SYSCTL_INT(k, "net.inet6.icmp6.mtudisc_hiwat", k.ip6, "ip6_mtudisc_hiwat",
               "Maximum path MTU host routes")
    SYSCTL_STRUCT(k, "net.inet6.icmp6.stats", lambda: k.icmp6stat,
                  "ICMPv6 statistics (struct icmp6stat)")


# -- input ---------------------------------------------------------------------------------------
def icmp6_input(k: "Kernel", m: mbuf, off: int, proto: int) -> int:
    """inet6sw[IPPROTO_ICMPV6]."""
    st = k.icmp6stat
    icmp6len = m.m_len - off
    if icmp6len < ICMP6_HDR_LEN:
        st.icp6s_tooshort += 1
        return IPPROTO_DONE
    # RFC 4443 2.3: the checksum covers the message and the pseudo-header.
    if in6_cksum(m.buf, m.off, IPPROTO_ICMPV6, m.off + off, icmp6len) != 0:
        st.icp6s_checksum += 1
        return IPPROTO_DONE
    b = m.buf
    base = m.off + off
    itype = b[base]
    code = b[base + 1]
    st.icp6s_inhist[itype] += 1

    if itype == ICMP6_ECHO_REQUEST:
        if code != 0:
            st.icp6s_badcode += 1
            return IPPROTO_DONE
        if k.rip6_pcbs:
            _raw_ip6.icmp6_rip6_input(k, m, off)
            n = m.m_dup()
        else:
            n = m
        # RFC 4443 4.2: the reply carries the identifier, sequence number and
        # data of the request.
        n.buf[n.off + off] = ICMP6_ECHO_REPLY
        st.icp6s_reflect += 1
        st.icp6s_outhist[ICMP6_ECHO_REPLY] += 1
        icmp6_reflect(k, n, off, k.ip6.ip6_dstifaddr, _ECHO_CKSUM_DELTA)
        return IPPROTO_DONE

    if itype == ICMP6_ECHO_REPLY:
        if code != 0:
            st.icp6s_badcode += 1
            return IPPROTO_DONE
        if k.rip6_pcbs:
            _raw_ip6.icmp6_rip6_input(k, m, off)
        return IPPROTO_DONE

    if itype < 128:
        # RFC 4443 2.4 (a), (b): errors go to the upper layer of the invoking packet.
        prc = _icmp6_prc(itype, code)
        if prc < 0:
            st.icp6s_badcode += 1
            return IPPROTO_DONE
        if icmp6_notify_error(k, m, off, icmp6len, prc):
            icmp6_rip6_input(k, m, off)
        return IPPROTO_DONE

    handler = ICMP6_ND_HANDLERS.get(itype)
    if handler is not None:
        if itype in _MLD_TYPES and icmp6len < MLD_MINLEN:
            st.icp6s_badlen += 1
            return IPPROTO_DONE
        mods, fname = handler
        fn = None
        for mod in mods:
            fn = netinet6_func(mod, fname)
            if fn is not None:
                break
        if fn is None:
            st.icp6s_nohandler += 1
        else:
            # ND validates its messages itself (RFC 4861 7.1, 6.1, 8.1) and
            # counts them in icp6s_badns ...; it gets a copy, raw sockets the original.
            fn(k, m.m_dup(), off, icmp6len)
    # RFC 4443 2.4 (b): unknown informational messages are discarded (after raw sockets).
    icmp6_rip6_input(k, m, off)
    return IPPROTO_DONE


def _icmp6_prc(itype: int, code: int) -> int:
    """The PRC_* command for an error message; -1 for a bad code (KAME's table)."""
    if itype == ICMP6_DST_UNREACH:
        return {0: PRC_UNREACH_NET, 1: PRC_UNREACH_ADMIN_PROHIB, 2: PRC_UNREACH_HOST,
                3: PRC_HOSTDEAD, 4: PRC_UNREACH_PORT, 5: PRC_UNREACH_ADMIN_PROHIB,
                6: PRC_UNREACH_NET, 7: PRC_UNREACH_SRCFAIL}.get(code, -1)
    if itype == ICMP6_PACKET_TOO_BIG:
        return PRC_MSGSIZE                      # RFC 4443 3.2: code set to 0, ignored
    if itype == ICMP6_TIME_EXCEEDED:
        return {0: PRC_TIMXCEED_INTRANS, 1: PRC_TIMXCEED_REASS}.get(code, -1)
    if itype == ICMP6_PARAM_PROB:
        return PRC_UNREACH_PROTOCOL if code == ICMP6_PARAMPROB_NEXTHEADER else (
            PRC_PARAMPROB if code <= 3 else -1)
    return PRC_NCMDS        # RFC 4443 2.4 (a): an unknown error type still goes up


def icmp6_notify_error(k: "Kernel", m: mbuf, off: int, icmp6len: int, prc: int) -> bool:
    """Tell the upper layer of the invoking packet (KAME icmp6_notify_error).

    Returns False when the message is too short to be used (counted)."""
    st = k.icmp6stat
    if icmp6len < ICMP6_HDR_LEN + IP6_HDR_LEN:
        st.icp6s_tooshort += 1
        return False
    b = m.buf
    ip6off = off + ICMP6_HDR_LEN                 # the invoking packet, from its IPv6 header
    itype, code, _ck, param = icmp6_hdr.unpack_from(b, m.off + off)
    _f, _plen, _nxt, _h, esrc, edst = ip6_hdr.unpack_from(b, m.off + ip6off)
    view = memoryview(b)[m.off + ip6off:m.off + m.m_len]
    try:
        upoff, nxt = ip6_lasthdr(view, 0)
    finally:
        view.release()
    ifp = m.rcvif
    zone = ifp.if_index if ifp is not None and in6_is_scoped(edst) else 0
    ip6cp = ip6ctlparam(m, (itype, code, param), ip6off, ip6off + upoff, esrc, edst, nxt, zone)
    if itype == ICMP6_PACKET_TOO_BIG:
        ip6cp.ip6c_cmdarg = param
        icmp6_mtudisc_update(k, ip6cp)
    ctl = k.inet6_ctlinput[nxt] if 0 <= nxt < 256 else None
    if ctl is not None:
        ctl(k, prc, sockaddr_in6(edst, 0, 0, zone), ip6cp)
    return True


def icmp6_mtudisc_update(k: "Kernel", ip6cp: ip6ctlparam) -> None:
    """RFC 8201 4: lower the path MTU to the invoking packet's destination."""
    st = k.icmp6stat
    mtu = ip6cp.ip6c_cmdarg
    # RFC 8201 4: "If a node receives a Packet Too Big message reporting a
    # next-hop MTU that is less than the IPv6 minimum link MTU, it must discard it."
    if mtu < IPV6_MMTU:
        st.icp6s_badptb += 1
        return
    # The invoking packet must be one we sent (its source is ours), or anyone
    # could shrink our path MTUs.
    src = ip6cp.ip6c_src
    szone = ip6cp.ip6c_zone if in6_is_scoped(src) else 0
    if in6_ifaddr_for(k, src, szone) is None:
        k.count("icmp6_ptb_notours")
        return
    dst = ip6cp.ip6c_dst
    rt = rtalloc1(k, dst, ip6cp.ip6c_zone)
    if rt is None:
        k.count("icmp6_ptb_noroute")
        return
    cur = rt.rt_mtu or (rt.rt_ifp.if_mtu if rt.rt_ifp is not None else 0)
    # RFC 8201 4: "A node MUST NOT increase its estimate of the Path MTU in
    # response to the contents of a Packet Too Big message."
    if cur and mtu >= cur:
        return
    expire = k.now() // SEC + k.ip6.ip6_mtudisc_timeout     # RFC 8201 5.3
    if rt_pmtu_update(k, dst, ip6cp.ip6c_zone, mtu, expire, k.ip6.ip6_mtudisc_hiwat) is None:
        k.count("icmp6_ptb_nohostroute")
        return
    st.icp6s_pmtuchg += 1


# -- raw sockets (raw_ip6.c delivers; here only the hook) ---------------------------------------------
def _raw_listeners(k: "Kernel") -> bool:
    return bool(k.rip6_pcbs)


def icmp6_rip6_input(k: "Kernel", m: mbuf, off: int) -> None:
    """Deliver to raw ICMPv6 sockets, through their ICMP6_FILTER (RFC 3542 3.2)."""
    if k.rip6_pcbs:
        _raw_ip6.icmp6_rip6_input(k, m, off)


# -- output: reflect, errors -----------------------------------------------------------------------
def icmp6_selectsrc(k: "Kernel", dst: bytes, zone: int, ifp: Any) -> Optional[bytes]:
    """A source address for an ICMPv6 message to ``dst`` (RFC 4443 2.2 (b))."""
    return _in6_src.in6_selectsrc(k, dst, zone, ifp=ifp)


def _selecthlim(k: "Kernel", ifp: Any) -> int:
    """KAME in6_selecthlim: the interface's CurHopLimit from RAs, else net.inet6.ip6.hlim."""
    if ifp is not None:
        ndi = k.nd6.nd_ifinfo.get(ifp.if_index) or _nd6.ND_IFINFO(ifp)
        if ndi.chlim:
            return ndi.chlim
    return k.ip6.ip6_defhlim


# The checksum of a verified Echo Request turned into its Reply: the type byte
# (at an even offset, so weighing 2**8 in the 16-bit word sum) went from 128 to
# 129, and the pseudo-header sum is the same when the reply goes from the
# request's destination to its source (a sum does not care about the order).
# RFC 1624 3: an incremental update gives the value a full computation gives.
_ECHO_CKSUM_DELTA = (ICMP6_ECHO_REPLY - ICMP6_ECHO_REQUEST) << 8


def icmp6_reflect(k: "Kernel", m: mbuf, off: int, ia: Any = None,
                  cksum_delta: Optional[int] = None) -> None:
    """Send the ICMPv6 message at ``off`` in ``m`` back to the packet's source.

    Extension headers between the IPv6 header and the message are removed;
    the source is the address the packet was sent to if that is one of our
    unicast, non-anycast addresses (RFC 4443 2.2 (a)), else a selected one
    (2.2 (b)).  ``ia`` is that address when the caller knows it (echo input:
    ip6_input found it).  The checksum is computed and the packet sent with
    ip6_output.  ``cksum_delta`` (echo input): the message's checksum was
    verified and its word sum grew by that much since (RFC 1624 3), so the new
    checksum follows from the old one when the source is the old destination.
    """
    st = k.icmp6stat
    if off > IP6_HDR_LEN:
        # Move the IPv6 header forward over the extension headers.
        b = m.buf
        o = m.off
        b[o + off - IP6_HDR_LEN:o + off] = b[o:o + IP6_HDR_LEN]
        m.m_adj(off - IP6_HDR_LEN)
        off = IP6_HDR_LEN
    b = m.buf
    o = m.off
    _f, _p, _n, _h, osrc, odst = ip6_hdr.unpack_from(b, o)
    ifp = m.rcvif
    zone = ifp.if_index if ifp is not None and _scoped(osrc) else 0
    src: Optional[bytes] = None
    if odst[0] != 0xFF:
        if ia is None:
            dzone = ifp.if_index if ifp is not None and (in6_is_scoped(odst) or odst == IN6ADDR_LOOPBACK) else 0
            ia = in6_ifaddr_for(k, odst, dzone)
        if ia is not None and not ia.ia6_flags & (_ANYCAST | _NOTREADY):
            src = odst                       # RFC 4443 2.2 (a)
    if src is None:
        src = icmp6_selectsrc(k, osrc, zone, ifp)   # RFC 4443 2.2 (b)
        if src is None:
            st.icp6s_nosrc += 1
            return
    plen = m.m_len - IP6_HDR_LEN
    ip6_hdr.pack_into(b, o, 0x60000000, plen, IPPROTO_ICMPV6, _selecthlim(k, ifp), src, osrc)
    p = o + off + 2
    if cksum_delta is not None and src == odst:
        # RFC 1624 3: HC' = ~(~HC + m' - m); in6_cksum_fold's value for a sum
        # congruent to the new one (never all zero: the next header is in it).
        r = (cksum_delta - (b[p] << 8 | b[p + 1])) % 0xFFFF
        ck = 0xFFFF - r if r else 0
    else:
        b[p] = 0
        b[p + 1] = 0
        ck = in6_cksum(b, o, IPPROTO_ICMPV6, o + off, plen)
    b[p] = ck >> 8
    b[p + 1] = ck & 0xFF
    m.m_flags &= ~(M_BCAST | M_MCAST | M_LOOP)
    ip6_output(k, m, None, None, 0, None, None, zone)


_ERRSTAT = {
    (ICMP6_DST_UNREACH, 0): "icp6s_odst_unreach_noroute",
    (ICMP6_DST_UNREACH, 1): "icp6s_odst_unreach_admin",
    (ICMP6_DST_UNREACH, 2): "icp6s_odst_unreach_beyondscope",
    (ICMP6_DST_UNREACH, 3): "icp6s_odst_unreach_addr",
    (ICMP6_DST_UNREACH, 4): "icp6s_odst_unreach_noport",
    (ICMP6_PACKET_TOO_BIG, 0): "icp6s_opacket_too_big",
    (ICMP6_TIME_EXCEEDED, 0): "icp6s_otime_exceed_transit",
    (ICMP6_TIME_EXCEEDED, 1): "icp6s_otime_exceed_reassembly",
    (ICMP6_PARAM_PROB, 0): "icp6s_oparamprob_header",
    (ICMP6_PARAM_PROB, 1): "icp6s_oparamprob_nextheader",
    (ICMP6_PARAM_PROB, 2): "icp6s_oparamprob_option",
    (ND_REDIRECT, 0): "icp6s_oredirect",
}


def icmp6_errcount(st: icmp6stat, type: int, code: int) -> None:
    name = _ERRSTAT.get((type, code), "icp6s_ounknown")
    setattr(st, name, getattr(st, name) + 1)


def icmp6_ratelimit(k: "Kernel") -> bool:
    """RFC 4443 2.4 (f): True if this error must not be sent (token bucket of
    errppslimit tokens, refilled at errppslimit per second)."""
    v = k.icmp6
    lim = v.icmp6errppslim
    if lim < 0:
        return False
    if lim == 0:
        return True
    now = k.now()
    cap = lim * SEC
    tokens = min(cap, v.icmp6_tokens + (now - v.icmp6_tokens_last) * lim)
    v.icmp6_tokens_last = now
    if tokens < SEC:
        v.icmp6_tokens = tokens
        return True
    v.icmp6_tokens = tokens - SEC
    return False


def icmp6_error(k: "Kernel", m: mbuf, type: int, code: int, param: int) -> None:
    """Send an ICMPv6 error about the packet in ``m`` (which starts at its IPv6
    header) to its source; ``m`` belongs to ICMPv6 afterwards."""
    st = k.icmp6stat
    st.icp6s_error += 1
    icmp6_errcount(st, type, code)
    if m.m_len < IP6_HDR_LEN:
        st.icp6s_tooshort += 1
        return
    b = m.buf
    o = m.off
    _f, _p, _n, _h, osrc, odst = ip6_hdr.unpack_from(b, o)
    # RFC 4443 2.4 (e.2)-(e.4): not about a packet to a multicast address or sent
    # as link-layer multicast or broadcast — except Packet Too Big and Parameter
    # Problem code 2 (the option type said so, ip6_unknown_opt decided).
    if ((m.m_flags & (M_BCAST | M_MCAST)) or odst[0] == 0xFF) and not (
            type == ICMP6_PACKET_TOO_BIG or (type == ICMP6_PARAM_PROB and code == ICMP6_PARAMPROB_OPTION)):
        st.icp6s_canterror += 1
        return
    # RFC 4443 2.4 (e.5): not about a packet whose source does not uniquely
    # identify a single node: unspecified, multicast (or a known anycast).
    if osrc == bytes(16) or osrc[0] == 0xFF:
        st.icp6s_canterror += 1
        return
    # RFC 4443 2.4 (e.1): not about an ICMPv6 error message, nor a Redirect
    # (KAME: a Redirect is treated as an error here).
    view = memoryview(b)[o:o + m.m_len]
    try:
        upoff, nxt = ip6_lasthdr(view, 0)
        if nxt == IPPROTO_ICMPV6 and upoff >= 0 and upoff < m.m_len:
            t = view[upoff]
            if t < ICMP6_ECHO_REQUEST or t == ND_REDIRECT:
                st.icp6s_canterror += 1
                return
    finally:
        view.release()
    # RFC 4443 2.4 (f): rate limitation.
    if icmp6_ratelimit(k):
        st.icp6s_toofreq += 1
        return
    # RFC 4443 2.4 (c): "as much of invoking packet as possible without the
    # ICMPv6 packet exceeding the minimum IPv6 MTU".
    if m.m_len > ICMPV6_PLD_MAXLEN:
        m.m_adj(ICMPV6_PLD_MAXLEN - m.m_len)
    n = m.m_prepend(IP6_HDR_LEN + ICMP6_HDR_LEN)
    b = m.buf
    # The new header: reflect() swaps in the addresses; it needs the old ones.
    ip6_hdr.pack_into(b, n, 0x60000000, 0, IPPROTO_ICMPV6, 0, osrc, odst)
    icmp6_hdr.pack_into(b, n + IP6_HDR_LEN, type, code, 0, param & 0xFFFFFFFF)
    m.m_flags &= ~(M_BCAST | M_MCAST)
    st.icp6s_outhist[type] += 1
    icmp6_reflect(k, m, IP6_HDR_LEN)

