"""Neighbor Solicitation and Advertisement, Duplicate Address Detection (sys/netinet6/nd6_nbr.c).

RFC 4861 7.1.1/7.1.2 (validation), 7.2.3-7.2.5 (processing), 7.2.2/7.2.4
(sending); RFC 4862 5.4 (DAD) with the nonce of RFC 7527 (enhanced DAD).

Input handlers are called by icmp6_input as ``nd6_ns_input(k, m, off, icmp6len)``:
``m`` starts at the IPv6 header, ``off`` is the offset of the ICMPv6 header and
``icmp6len`` its length to the end of the packet; the checksum was checked.
Whatever fails validation is dropped silently and counted twice: in
icmp6stat as BSD does (``icp6s_badns``, ``icp6s_badna``) and in nd6stat
under the reason (``nd6s_ns_badhlim`` ...).

Output goes through ``ip6_output`` with hop limit 255 (RFC 4861 7.1: "The IP
Hop Limit field has a value of 255, i.e., the packet could not possibly have
been forwarded by a router"), multicast without loopback.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from kernel.kern.uipc_mbuf import M_LOOP, mbuf
from kernel.netinet6.in6_var import IN6_IFF_ANYCAST, IN6_IFF_DUPLICATED, IN6_IFF_NODAD, \
    IN6_IFF_TENTATIVE, in6_ifaddr
from kernel.netinet6.ip6_var import IPV6_UNSPECSRC
from kernel.netinet6.nd6 import (LLE_STATIC, MS, ND6STAT_INC, ND_IFINFO, nd6_cache_lladdr,
                                 nd6_flush_hold, nd6_input_bad, nd6_input_check,
                                 nd6_input_options, nd6_llinfo_settimer, nd6_log, nd6_lookup,
                                 nd6_opt_lladdr, icmp6_outhist)
from kernel.wire import errno as bsd_errno
from kernel.wire.in6 import (IN6_IS_ADDR_LINKLOCAL, IN6_IS_ADDR_MULTICAST, IN6_IS_ADDR_UNSPECIFIED,
                             IN6ADDR_ANY, IN6ADDR_LINKLOCAL_ALLNODES, in6_is_scoped,
                             in6_solicited_node, inet_ntop6)
from kernel.wire.in6_var import (ND6_IFF_IFDISABLED, ND6_IFF_NO_DAD, ND6_LLINFO_INCOMPLETE,
                                 ND6_LLINFO_REACHABLE, ND6_LLINFO_STALE)
from kernel.wire.ip6 import IP6_HDR_LEN, IPPROTO_ICMPV6, IPV6_VERSION, ip6_hdr
from kernel.wire.nd6 import (ND_NA_FLAG_OVERRIDE, ND_NA_FLAG_ROUTER, ND_NA_FLAG_SOLICITED,
                             ND_NA_MINLEN, ND_NEIGHBOR_ADVERT, ND_NEIGHBOR_SOLICIT, ND_NS_MINLEN,
                             ND_OPT_SOURCE_LINKADDR, ND_OPT_TARGET_LINKADDR, Nonce, nd6_cksum,
                             nd_neighbor_advert, nd_neighbor_solicit, nd_opt_lladdr)
from kernel.wire.net_if import IFF, IFT, LinkState

if TYPE_CHECKING:  # pragma: no cover
    from kernel.kern.init_main import Kernel

ND_OPT_NONCE_LEN = 6            # RFC 7527 4.1: "at least 6 octets" of random data
DAD_MAXTRY = 15                 # NS we try to send for one DAD before giving up
_SOLICITED_NODE_PREFIX = bytes.fromhex("ff0200000000000000000001ff")    # RFC 4291 2.7.1


# -- helpers ---------------------------------------------------------------------------------
def _ip6_addrs(m: mbuf) -> tuple[bytes, bytes]:
    """(source, destination) of the IPv6 header at the front of ``m``."""
    b, o = m.buf, m.off
    return bytes(b[o + 8:o + 24]), bytes(b[o + 24:o + 40])


def nd6_ifptomac(ifp: Any) -> Optional[bytes]:
    """The link-layer address to put in ND options, if the link has one."""
    if ifp.if_type == IFT.ETHER and ifp.if_addr:
        return ifp.if_addr
    return None


def in6ifa_ifpwithaddr(ifp: Any, addr: bytes) -> Optional[in6_ifaddr]:
    from kernel.netinet6 import in6
    return in6.in6ifa_ifpwithaddr(ifp, addr)


def nd6_build(src: bytes, dst: bytes, icmp6: bytes, hlim: int = 255) -> mbuf:
    """An IPv6 packet carrying the ND message ``icmp6`` (checksum filled in)."""
    body = bytearray(icmp6)
    body[2:4] = b"\x00\x00"
    ck = nd6_cksum(src, dst, body)
    body[2] = ck >> 8
    body[3] = ck & 0xFF
    hdr = ip6_hdr.pack(IPV6_VERSION << 24, len(body), IPPROTO_ICMPV6, hlim, src, dst)
    return mbuf(hdr + bytes(body))


def nd6_moptions(ifp: Any) -> Any:
    """Multicast options for ND output: out ``ifp``, hop limit 255, no loopback."""
    from kernel.netinet6.ip6_var import ip6_moptions
    return ip6_moptions(ifp, 255, 0)


def nd6_ip6_output(ifp: Any, m: mbuf, dst: bytes, flags: int = 0) -> int:
    """Send an ND packet built by nd6_build through ip6_output on ``ifp``."""
    k = ifp.kernel
    from kernel.netinet6 import ip6_output as ip6_output_mod
    im6o = nd6_moptions(ifp) if IN6_IS_ADDR_MULTICAST(dst) else None
    zone = ifp.if_index if in6_is_scoped(dst) else 0
    return ip6_output_mod.ip6_output(k, m, None, None, flags, im6o, None, zone)


# -- Neighbor Solicitation -------------------------------------------------------------------
def nd6_ns_input(k: "Kernel", m: mbuf, off: int, icmp6len: int) -> None:
    """Receive a Neighbor Solicitation (RFC 4861 7.1.1, 7.2.3; RFC 4862 5.4.3)."""
    # RFC 4861 7.1.1: "The IP Hop Limit field has a value of 255", "ICMP Code
    # is 0", "ICMP length (derived from the IP length) is 24 or more octets"
    why = nd6_input_check(m, off, icmp6len, ND_NS_MINLEN)
    if why is not None:
        return nd6_input_bad(k, m, "nd6s_ns_" + why)
    ifp = m.rcvif
    saddr6, daddr6 = _ip6_addrs(m)
    taddr6 = nd_neighbor_solicit.unpack_from(m.buf, m.off + off)[4]
    # RFC 4861 7.1.1: "Target Address is not a multicast address"
    if IN6_IS_ADDR_MULTICAST(taddr6):
        return nd6_input_bad(k, m, "nd6s_ns_mcasttgt")
    # RFC 4861 7.1.1: "If the IP source address is the unspecified address,
    # the IP destination address is a solicited-node multicast address."
    dad = IN6_IS_ADDR_UNSPECIFIED(saddr6)
    if dad and daddr6[:13] != _SOLICITED_NODE_PREFIX:
        return nd6_input_bad(k, m, "nd6s_ns_baddad_dst")
    # RFC 4861 7.1.1: "All included options have a length that is greater than zero."
    ndopts = nd6_input_options(k, m, off, icmp6len, ND_NS_MINLEN)
    if ndopts is None:
        return nd6_input_bad(k, m, "nd6s_ns_badopt")
    lladdr = nd6_opt_lladdr(ifp, ndopts.src_lladdr)
    if ndopts.src_lladdr is not None:
        # RFC 4861 7.1.1: "If the IP source address is the unspecified address,
        # there is no source link-layer address option in the message."
        if dad:
            return nd6_input_bad(k, m, "nd6s_ns_baddad_sllao")
        if lladdr is None:
            return nd6_input_bad(k, m, "nd6s_ns_badlladdr")

    # Attaching target link-layer address to the NA?  (RFC 4861 7.2.4)
    #
    #   NS IP dst is unicast/anycast        MAY omit (KAME: do not add)
    #   NS IP dst is solicited-node mcast   MUST add
    tlladdr = IN6_IS_ADDR_MULTICAST(daddr6)

    # Target address must be either (1) a valid unicast or anycast address of
    # the receiving interface, or (2) a tentative one on which DAD runs.
    ifa = in6ifa_ifpwithaddr(ifp, taddr6)
    if ifa is None:
        # RFC 4861 7.2.3: "If the Target Address is not ... assigned to the
        # receiving interface ... the solicitation ... MUST silently ignore."
        ND6STAT_INC(k, "nd6s_ns_notours")
        return
    if ifa.ia6_flags & IN6_IFF_DUPLICATED:
        ND6STAT_INC(k, "nd6s_ns_duplicated")
        return
    if saddr6 == taddr6 and not dad:
        # Someone uses our address as its source: we cannot answer ourselves.
        ND6STAT_INC(k, "nd6s_ns_fromself")
        nd6_log(k, f"nd6_ns_input: duplicate IP6 address {inet_ntop6(saddr6)}\n")
        return
    anycast = bool(ifa.ia6_flags & IN6_IFF_ANYCAST)

    # We have a neighbor solicitation whose target is one of our addresses.
    #
    #   src addr    how to process?
    #   ---         ---
    #   multicast   of course, invalid (rejected in ip6_input)
    #   unicast     somebody is doing address resolution -> ignore (if tentative)
    #   unspec      duplicate address detection
    if ifa.ia6_flags & IN6_IFF_TENTATIVE:
        # RFC 4862 5.4.3: "If the source address of the Neighbor Solicitation is
        # the unspecified address, the solicitation is from a node performing
        # Duplicate Address Detection" — else it "MUST be silently ignored".
        ND6STAT_INC(k, "nd6s_ns_tentative")
        if dad:
            nonce = ndopts.nonce[2:] if ndopts.nonce is not None else None
            nd6_dad_ns_input(ifa, nonce, looped=bool(m.m_flags & M_LOOP))
        return

    router = ND_NA_FLAG_ROUTER if getattr(getattr(k, "ip6", None), "ip6_forwarding", 0) else 0
    override = 0 if (anycast or not tlladdr) else ND_NA_FLAG_OVERRIDE
    if dad:
        # RFC 4861 7.2.4: "If the source of the solicitation is the unspecified
        # address, the node MUST set the Solicited flag to zero and multicast
        # the advertisement to the all-nodes address."  No cache entry.
        nd6_na_output(ifp, IN6ADDR_LINKLOCAL_ALLNODES, taddr6, override | router, tlladdr)
        return
    nd6_cache_lladdr(ifp, saddr6, lladdr, ND_NEIGHBOR_SOLICIT, 0)
    nd6_na_output(ifp, saddr6, taddr6, override | router | ND_NA_FLAG_SOLICITED, tlladdr)


def nd6_ns_output(ifp: Any, daddr6: Optional[bytes], taddr6: bytes, ln: Any,
                  nonce: Optional[bytes]) -> int:
    """Send a Neighbor Solicitation for ``taddr6`` (RFC 4861 7.2.2, RFC 4862 5.4.2).

    ``daddr6`` None means the solicited-node group of the target (resolution
    and DAD); a unicast ``daddr6`` is a NUD probe.  ``nonce`` marks a DAD NS:
    source ``::``, no source link-layer address, a Nonce option (RFC 7527).
    """
    k = ifp.kernel
    if IN6_IS_ADDR_MULTICAST(taddr6):
        return bsd_errno.EINVAL
    dst = daddr6 if daddr6 is not None else in6_solicited_node(taddr6)
    dad = nonce is not None
    if dad:
        # RFC 4862 5.4.2: "the source address of the ... solicitation is the
        # unspecified address"
        src = IN6ADDR_ANY
    else:
        # RFC 4861 7.2.2: "If the source address of the packet prompting the
        # solicitation is the same as one of the addresses assigned to the
        # outgoing interface, that address SHOULD be placed in the IP Source
        # Address of the outgoing solicitation.  Otherwise, any one of the
        # addresses assigned to the interface should be used."
        src = None
        if ln is not None and ln.ln_hold:
            hm = ln.ln_hold[0]
            if hm.m_len >= IP6_HDR_LEN:
                hsrc = bytes(hm.buf[hm.off + 8:hm.off + 24])
                ia = in6ifa_ifpwithaddr(ifp, hsrc)
                if ia is not None and not ia.ia6_flags & (IN6_IFF_TENTATIVE | IN6_IFF_DUPLICATED):
                    src = hsrc
        if src is None:
            from kernel.netinet6 import in6
            ia = in6.in6_ifawithifp(ifp, dst)
            if ia is None:
                ND6STAT_INC(k, "nd6s_ns_nosrc")
                nd6_log(k, f"nd6_ns_output: no source address for {inet_ntop6(taddr6)}\n")
                return bsd_errno.EADDRNOTAVAIL
            src = ia.ia_addr
    body = nd_neighbor_solicit.pack(ND_NEIGHBOR_SOLICIT, 0, 0, 0, taddr6)
    #                               spec        implementation
    #   DAD packet                  MUST NOT    do not add the option
    #   no link-layer address       impossible  do not add the option
    #   multicast NS                MUST add    add the option
    #   unicast NS                  SHOULD add  add the option
    mac = nd6_ifptomac(ifp)
    if not dad and mac is not None:
        body += nd_opt_lladdr(ND_OPT_SOURCE_LINKADDR, mac)
    if dad and nonce:
        body += Nonce(nonce).emit()                 # RFC 7527 4.1
    m = nd6_build(src, dst, body)
    icmp6_outhist(k, ND_NEIGHBOR_SOLICIT)
    return nd6_ip6_output(ifp, m, dst, IPV6_UNSPECSRC if dad else 0)


# -- Neighbor Advertisement ------------------------------------------------------------------
def nd6_na_input(k: "Kernel", m: mbuf, off: int, icmp6len: int) -> None:
    """Receive a Neighbor Advertisement (RFC 4861 7.1.2, 7.2.5; RFC 4862 5.4.4)."""
    # RFC 4861 7.1.2: "The IP Hop Limit field has a value of 255", "ICMP Code
    # is 0", "ICMP length (derived from the IP length) is 24 or more octets"
    why = nd6_input_check(m, off, icmp6len, ND_NA_MINLEN)
    if why is not None:
        return nd6_input_bad(k, m, "nd6s_na_" + why)
    daddr6 = _ip6_addrs(m)[1]
    _, _, _, flags, taddr6 = nd_neighbor_advert.unpack_from(m.buf, m.off + off)
    is_router = bool(flags & ND_NA_FLAG_ROUTER)
    is_solicited = bool(flags & ND_NA_FLAG_SOLICITED)
    is_override = bool(flags & ND_NA_FLAG_OVERRIDE)
    # RFC 4861 7.1.2: "Target Address is not a multicast address"
    if IN6_IS_ADDR_MULTICAST(taddr6):
        return nd6_input_bad(k, m, "nd6s_na_mcasttgt")
    # RFC 4861 7.1.2: "If the IP Destination Address is a multicast address
    # the Solicited flag is zero."
    if IN6_IS_ADDR_MULTICAST(daddr6) and is_solicited:
        return nd6_input_bad(k, m, "nd6s_na_mcastsolicited")
    # RFC 4861 7.1.2: "All included options have a length that is greater than zero."
    ndopts = nd6_input_options(k, m, off, icmp6len, ND_NA_MINLEN)
    if ndopts is None:
        return nd6_input_bad(k, m, "nd6s_na_badopt")
    ifp = m.rcvif
    lladdr = nd6_opt_lladdr(ifp, ndopts.tgt_lladdr)
    if lladdr is None and ndopts.tgt_lladdr is not None:
        return nd6_input_bad(k, m, "nd6s_na_badlladdr")

    ifa = in6ifa_ifpwithaddr(ifp, taddr6)
    # Target address matches one of my interface addresses.
    #
    # If my address is tentative, this means that there's somebody already
    # using the same address as mine.  This indicates DAD failure (RFC 4862
    # 5.4.4).  Otherwise, process as defined in RFC 4861.
    if ifa is not None:
        if m.m_flags & M_LOOP:
            # Our own advertisement looped back.  (FreeBSD compares the target
            # link-layer address with its own, which would hide a twin with
            # the same MAC; kamebox knows a looped packet by M_LOOP.)
            ND6STAT_INC(k, "nd6s_na_loop")
            return
        if ifa.ia6_flags & IN6_IFF_TENTATIVE:
            nd6_dad_na_input(ifa)
            return
        ND6STAT_INC(k, "nd6s_na_ours")
        k.printf(f"nd6_na_input: duplicate IP6 address {inet_ntop6(taddr6)}\n")
        return

    # RFC 4861 7.2.5: "If no entry exists, the advertisement SHOULD be silently discarded."
    ln = nd6_lookup(ifp, taddr6)
    if ln is None or ln.ln_flags & LLE_STATIC:  # no entry, or a static one (ndp -s)
        ND6STAT_INC(k, "nd6s_na_nocache")
        return

    ndi = ND_IFINFO(ifp)
    if ln.ln_state == ND6_LLINFO_INCOMPLETE:
        # RFC 4861 7.2.5: "If the link layer has addresses and no Target
        # Link-Layer Address option is included, the receiving node SHOULD
        # silently discard the received advertisement."
        if lladdr is None:
            ND6STAT_INC(k, "nd6s_na_nolladdr")
            return
        # "Otherwise, the receiving node performs the following steps: It
        # records the link-layer address ... If the advertisement's Solicited
        # flag is set, the state of the entry is set to REACHABLE; otherwise,
        # it is set to STALE. ... It sets the IsRouter flag ..."
        ln.ln_lladdr = bytes(lladdr)
        if is_solicited:
            ln.ln_state = ND6_LLINFO_REACHABLE
            ln.ln_byhint = 0
            nd6_llinfo_settimer(ln, ndi.reachable * 1_000_000_000)
        else:
            ln.ln_state = ND6_LLINFO_STALE
            nd6_llinfo_settimer(ln, k.nd6.nd6_gctimer * 1_000_000_000)
        ln.ln_router = is_router
    else:
        llchange = lladdr is not None and lladdr != ln.ln_lladdr
        # This is VERY complex.  Look at it with care.  (RFC 4861 7.2.5)
        #
        # override solicit lladdr llchange  action
        #                                   (L: record lladdr)
        #
        #   0       0       n       --      (2c)
        #   0       0       y       n       (2b) L
        #   0       0       y       y       (1)    REACHABLE->STALE
        #   0       1       n       --      (2c)   *->REACHABLE
        #   0       1       y       n       (2b) L *->REACHABLE
        #   0       1       y       y       (1)    REACHABLE->STALE
        #   1       0       n       --      (2a)
        #   1       0       y       n       (2a) L
        #   1       0       y       y       (2a) L *->STALE
        #   1       1       n       --      (2a)   *->REACHABLE
        #   1       1       y       n       (2a) L *->REACHABLE
        #   1       1       y       y       (2a) L *->REACHABLE
        if not is_override and llchange:                              # (1)
            # RFC 4861 7.2.5: "If the Override flag is clear and the supplied
            # link-layer address differs from that in the cache, then ... if
            # its state is REACHABLE, set it to STALE, but do not update the
            # entry in any other way."
            if ln.ln_state == ND6_LLINFO_REACHABLE:
                ln.ln_state = ND6_LLINFO_STALE
                nd6_llinfo_settimer(ln, k.nd6.nd6_gctimer * 1_000_000_000)
            return
        # (2a) override, (2b) same address, (2c) no address
        if lladdr is not None:
            ln.ln_lladdr = bytes(lladdr)
        if is_solicited:
            ln.ln_state = ND6_LLINFO_REACHABLE
            ln.ln_byhint = 0
            nd6_llinfo_settimer(ln, ndi.reachable * 1_000_000_000)
        elif lladdr is not None and llchange:
            ln.ln_state = ND6_LLINFO_STALE
            nd6_llinfo_settimer(ln, k.nd6.nd6_gctimer * 1_000_000_000)
        if ln.ln_router and not is_router:
            # RFC 4861 7.2.5: "In those cases where the IsRouter flag changes
            # from TRUE to FALSE ... the node MUST remove that router from the
            # Default Router List and update the Destination Cache entries."
            from kernel.netinet6 import nd6_rtr
            dr = nd6_rtr.defrouter_lookup(k, taddr6, ifp)
            if dr is not None:
                nd6_rtr.defrtrlist_del(k, dr)
            else:
                nd6_rtr.rt6_flush(k, taddr6, ifp)
        ln.ln_router = is_router
    ln.ln_asked = 0
    nd6_flush_hold(ln)


def nd6_na_output(ifp: Any, daddr6: bytes, taddr6: bytes, flags: int, tlladdr: bool,
                  sdl0: Optional[bytes] = None) -> int:
    """Send a Neighbor Advertisement (RFC 4861 7.2.4).

    ``daddr6`` unspecified means "reply to DAD": all-nodes, Solicited clear.
    ``tlladdr`` says whether to include our link-layer address; without it
    the Override flag is cleared (KAME).
    """
    k = ifp.kernel
    if IN6_IS_ADDR_UNSPECIFIED(daddr6):
        daddr6 = IN6ADDR_LINKLOCAL_ALLNODES
        flags &= ~ND_NA_FLAG_SOLICITED
    # Select a source whose scope is the same as that of the destination.
    from kernel.netinet6 import in6
    ia = in6.in6_ifawithifp(ifp, daddr6)
    if ia is None:
        ND6STAT_INC(k, "nd6s_ns_nosrc")
        return bsd_errno.EADDRNOTAVAIL
    body = b""
    mac = sdl0 if sdl0 is not None else nd6_ifptomac(ifp)
    if tlladdr and mac is not None:
        body = nd_opt_lladdr(ND_OPT_TARGET_LINKADDR, mac)
    else:
        flags &= ~ND_NA_FLAG_OVERRIDE
    icmp = nd_neighbor_advert.pack(ND_NEIGHBOR_ADVERT, 0, 0, flags & 0xE0000000, taddr6) + body
    m = nd6_build(ia.ia_addr, daddr6, icmp)
    icmp6_outhist(k, ND_NEIGHBOR_ADVERT)
    return nd6_ip6_output(ifp, m, daddr6, 0)


# -- Duplicate Address Detection (RFC 4862 5.4) ----------------------------------------------
class dadq:
    """One DAD in progress (``struct dadq``)."""

    __slots__ = ("dad_ifa", "dad_count", "dad_ns_tcount", "dad_ns_ocount", "dad_ns_icount",
                 "dad_na_icount", "dad_ns_lcount", "dad_nonce", "dad_timer_ch")

    def __init__(self, ifa: in6_ifaddr, count: int) -> None:
        self.dad_ifa = ifa
        self.dad_count = count           # NS to send (DupAddrDetectTransmits)
        self.dad_ns_tcount = 0           # tries to send
        self.dad_ns_ocount = 0           # NS sent
        self.dad_ns_icount = 0           # DAD NS received from others
        self.dad_na_icount = 0           # NA received for the address
        self.dad_ns_lcount = 0           # our own NS looped back
        self.dad_nonce: Optional[bytes] = None
        self.dad_timer_ch = ifa.ia_ifp.kernel.callout()


def nd6_dad_find(ifa: in6_ifaddr) -> Optional[dadq]:
    for dp in ifa.ia_ifp.kernel.nd6.dadq:
        if dp.dad_ifa is ifa:
            return dp
    return None


def nd6_dad_start(ifa: in6_ifaddr, delay: int = 0) -> None:
    """Start DAD for a tentative address; the first NS goes after ``delay``
    ticks (RFC 4862 5.4.2: a random delay when it is the first message after
    the interface came up), the rest RetransTimer apart."""
    ifp = ifa.ia_ifp
    k = ifp.kernel
    nd = k.nd6
    if not ifa.ia6_flags & IN6_IFF_TENTATIVE:
        return
    ndi = ND_IFINFO(ifp)
    # No DAD when it is off (dad_count 0, ND6_IFF_NO_DAD, IN6_IFF_NODAD), for
    # anycast (RFC 4862 5.4: "MUST NOT be performed on anycast addresses"),
    # and on links without ND (loopback).
    if (ifa.ia6_flags & (IN6_IFF_ANYCAST | IN6_IFF_NODAD) or nd.ip6_dad_count <= 0
            or ndi.flags & ND6_IFF_NO_DAD or ifp.if_flags & IFF.LOOPBACK
            or ifp.if_type != IFT.ETHER):
        ifa.ia6_flags &= ~IN6_IFF_TENTATIVE
        return
    if not ifp.if_flags & IFF.UP:
        return                          # in6_if_up starts it
    if ndi.flags & ND6_IFF_IFDISABLED:
        return
    if nd6_dad_find(ifa) is not None:
        return                          # DAD already in progress
    # RFC 4862 5.4.2: the MLD report of the solicited-node join goes first.
    from kernel.netinet6.mld6 import mld_dad_delay
    delay = max(delay, mld_dad_delay(ifa))
    dp = dadq(ifa, nd.ip6_dad_count)
    nd.dadq.append(dp)
    nd6_log(k, f"{ifp.if_xname}: starting DAD for {inet_ntop6(ifa.ia_addr)}\n")
    dp.dad_timer_ch.callout_reset(delay, nd6_dad_timer, dp)


def nd6_dad_stop(ifa: in6_ifaddr) -> None:
    """Forget the DAD of ``ifa`` (address removed, interface down)."""
    dp = nd6_dad_find(ifa)
    if dp is None:
        return
    dp.dad_timer_ch.callout_stop()
    ifa.ia_ifp.kernel.nd6.dadq.remove(dp)


def nd6_dad_timer(dp: dadq) -> None:
    ifa = dp.dad_ifa
    ifp = ifa.ia_ifp
    k = ifp.kernel
    nd = k.nd6
    if dp not in nd.dadq:
        return
    if ifa.ia6_flags & IN6_IFF_DUPLICATED or not ifa.ia6_flags & IN6_IFF_TENTATIVE:
        nd.dadq.remove(dp)
        return
    if ND_IFINFO(ifp).flags & ND6_IFF_IFDISABLED:
        nd.dadq.remove(dp)
        return
    if dp.dad_ns_tcount > DAD_MAXTRY:
        k.printf(f"{ifp.if_xname}: could not run DAD, driver problem?\n")
        nd.dadq.remove(dp)
        return
    if dp.dad_ns_ocount < dp.dad_count:
        # We have more NS to go.  RFC 4862 5.4.2: "... DupAddrDetectTransmits
        # ... separated by RetransTimer milliseconds".
        nd6_dad_ns_output(dp)
        dp.dad_timer_ch.callout_reset_ns(ND_IFINFO(ifp).retrans * MS, nd6_dad_timer, dp)
        return
    # We have transmitted enough DAD packets; see what we've got.
    if dp.dad_na_icount or dp.dad_ns_icount:
        nd6_dad_duplicated(ifa, dp)
        return
    # RFC 4862 5.4: no duplicate — the address is no longer tentative.
    ifa.ia6_flags &= ~IN6_IFF_TENTATIVE
    ND6STAT_INC(k, "nd6s_dad_ok")
    nd6_log(k, f"{ifp.if_xname}: DAD complete for {inet_ntop6(ifa.ia_addr)} - no duplicates found\n")
    nd.dadq.remove(dp)


def nd6_dad_ns_output(dp: dadq) -> None:
    ifa = dp.dad_ifa
    ifp = ifa.ia_ifp
    k = ifp.kernel
    dp.dad_ns_tcount += 1
    if not ifp.if_flags & IFF.UP or ifp.if_link_state == LinkState.DOWN:
        return                          # counted as a try, not as sent; the timer tries again
    dp.dad_ns_ocount += 1
    if k.nd6.ip6_dad_enhanced:
        # RFC 7527 4.1: a fresh random nonce in each DAD NS, to recognize our
        # own NS if the link loops it back.
        dp.dad_nonce = bytes(k.platform.rng.getrandbits(8) for _ in range(ND_OPT_NONCE_LEN))
    else:
        dp.dad_nonce = b""
    nd6_ns_output(ifp, None, ifa.ia_addr, None, dp.dad_nonce)


def nd6_dad_ns_input(ifa: in6_ifaddr, nonce: Optional[bytes], looped: bool = False) -> None:
    """A DAD NS for our tentative address arrived (RFC 4862 5.4.3)."""
    k = ifa.ia_ifp.kernel
    dp = nd6_dad_find(ifa)
    if dp is None:
        return
    # RFC 4862 5.4.3 / RFC 7527 4.2: our own NS, looped back, is not a duplicate.
    if looped or (nonce is not None and dp.dad_nonce and nonce == dp.dad_nonce):
        dp.dad_ns_lcount += 1
        ND6STAT_INC(k, "nd6s_dad_loopback")
        return
    dp.dad_ns_icount += 1


def nd6_dad_na_input(ifa: in6_ifaddr) -> None:
    """RFC 4862 5.4.4: "If the target address is tentative, the tentative
    address is not unique."""
    dp = nd6_dad_find(ifa)
    if dp is None:
        return
    dp.dad_na_icount += 1
    nd6_dad_duplicated(ifa, dp)


def nd6_dad_duplicated(ifa: in6_ifaddr, dp: dadq) -> None:
    """RFC 4862 5.4.5: the address is a duplicate — mark it, tell the operator,
    and for a hardware-derived link-local address disable IPv6 on the interface."""
    ifp = ifa.ia_ifp
    k = ifp.kernel
    ND6STAT_INC(k, "nd6s_dad_dup")
    k.printf(f"{ifp.if_xname}: DAD detected duplicate IPv6 address {inet_ntop6(ifa.ia_addr)}: "
             f"NS in/out/loopback={dp.dad_ns_icount}/{dp.dad_ns_ocount}/{dp.dad_ns_lcount}, "
             f"NA in={dp.dad_na_icount}\n")
    ifa.ia6_flags &= ~IN6_IFF_TENTATIVE
    ifa.ia6_flags |= IN6_IFF_DUPLICATED
    dp.dad_timer_ch.callout_stop()
    if dp in k.nd6.dadq:
        k.nd6.dadq.remove(dp)
    k.printf(f"{ifp.if_xname}: DAD complete for {inet_ntop6(ifa.ia_addr)} - duplicate found\n")
    k.printf(f"{ifp.if_xname}: manual intervention required\n")
    # RFC 4862 5.4.5: "If the address is a link-local address formed from an
    # interface identifier based on the hardware address, which is supposed
    # to be uniquely assigned (e.g., EUI-64 for an Ethernet interface), IP
    # operation on the interface SHOULD be disabled."
    if IN6_IS_ADDR_LINKLOCAL(ifa.ia_addr) and ifp.if_type == IFT.ETHER:
        from kernel.netinet6 import in6_ifattach
        if ifa.ia_addr[8:] == in6_ifattach.in6_get_hw_ifid(ifp):
            ND_IFINFO(ifp).flags |= ND6_IFF_IFDISABLED
            k.printf(f"{ifp.if_xname}: possible hardware address duplication detected, "
                     f"disable IPv6\n")
