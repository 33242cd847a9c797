"""Router and prefix discovery, SLAAC, redirects — the host side (sys/netinet6/nd6_rtr.c).

RFC 4861 6.1.2 (RA validation), 6.3.4 (processing an RA: default router
list, CurHopLimit, BaseReachableTime, RetransTimer, on-link prefixes, MTU),
6.3.6 (default router selection) with RFC 4191 2.2 preferences, 6.3.7
(sending RS); RFC 4862 5.5.3 (address autoconfiguration from Prefix
Information, the "two hours" rule) and 5.5.4 (lifetimes); RFC 4861 8.1/8.3
(accepting redirects, ``icmp6_redirect_input``) and 8.2 (a router sending
them, ``icmp6_redirect_output``) — icmp6.c in BSD, here beside the rest of
ND.  RAs and redirects are for hosts: with net.inet6.ip6.forwarding set
both are ignored (RFC 4861 6.2.7, 8.1).

One default route is installed, to the best router (``defrouter_select``),
with ``rtrequest(k, RTM_ADD, ::, 0, router, RTF_GATEWAY, ifp)``.  An on-link
prefix holds a reference on its interface route (in6.in6_ifroute_add), and
an autoconfigured address remembers its prefix (``ia6_ndpr``).

RFC 4191 (a type C host while ``net.inet6.ip6.rfc4191`` is 1, type A at 0):
the Prf bits of the RA header rank the default routers (reserved 10 counts
as medium, 2.2); Route Information options (2.3) become more-specific
routes (``nd_rtinfo``, one per prefix and router) with their lifetimes, the
best next hop of each prefix installed as an RTF_GATEWAY route that expires
with the option (3.1, 3.2); a ::/0 option overrides the RA header's
preference and lifetime (3.1).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from kernel.kern.kern_sysctl import CTLTYPE_STRUCT, SYSCTL_INT, SYSCTL_PROC, sysctl_find
from kernel.kern.uipc_mbuf import mbuf
from kernel.netinet6.in6_var import in6_lifetime_remaining, time_uptime
from kernel.netinet6.nd6 import (ICMP6STAT_INC, MAX_REACHABLE_TIME, ND6STAT_INC, ND_COMPUTE_RTIME,
                                 ND_IFINFO, ND_REDIRECT_ONLINK, ND_REDIRECT_ROUTER,
                                 icmp6_outhist, nd6_cache_lladdr, nd6_input_bad, nd6_input_check,
                                 nd6_input_options, nd6_is_addr_neighbor, nd6_is_reachable,
                                 nd6_log, nd6_lookup, nd6_opt_lladdr)
from kernel.wire.in6 import (IN6_IS_ADDR_LINKLOCAL, IN6_IS_ADDR_MULTICAST, IN6_IS_ADDR_UNSPECIFIED,
                             IN6ADDR_ANY, IN6ADDR_LINKLOCAL_ALLROUTERS, in6_is_scoped, in6_mask,
                             inet_ntop6, sockaddr_in6)
from kernel.wire.in6_var import (IN6_IFF_ANYCAST, IN6_IFF_AUTOCONF, IN6_IFF_NOTREADY,
                                 IN6_IFF_TEMPORARY,
                                 ND6_IFF_ACCEPT_RTADV, ND6_IFF_IFDISABLED, ND6_INFINITE_LIFETIME,
                                 NDPRF_ONLINK, PR_ORIG_RA, in6_addrlifetime, in6_aliasreq,
                                 in6_defrouter, in6_prefix)
from kernel.wire.ip6 import IP6_HDR_LEN
from kernel.wire.nd6 import (ND_OPT_PI_FLAG_AUTO, ND_OPT_PI_FLAG_ONLINK, ND_OPT_SOURCE_LINKADDR,
                             ND_OPT_TARGET_LINKADDR, ND_RA_FLAG_RTPREF_MASK,
                             ND_RA_FLAG_RTPREF_RSV, ND_RA_MINLEN, ND_REDIRECT,
                             ND_REDIRECT_MINLEN, ND_ROUTER_ADVERT, ND_ROUTER_SOLICIT, ND_RS_MINLEN,
                             RedirectedHeader, nd_opt_lladdr, nd_opt_mtu, nd_opt_prefix_info,
                             nd_redirect, nd_router_advert, nd_router_solicit)
from kernel.wire.route import (RTF_DYNAMIC, RTF_GATEWAY, RTF_HOST, RTF_MODIFIED, RTF_STATIC,
                               RTM_ADD, RTM_CHANGE, RTM_DELETE)

if TYPE_CHECKING:  # pragma: no cover
    from kernel.kern.init_main import Kernel

TWOHOUR = 2 * 60 * 60               # RFC 4862 5.5.3 (e)
IPV6_MMTU = 1280
ICMP6_REDIRTIMEOUT = 10 * 60        # seconds a redirect route lives (FreeBSD icmp6_redirtimeout)
ND6_IFID_LEN = 64                   # bits of a modified EUI-64 interface identifier


# -- the lists -------------------------------------------------------------------------------
class nd_defrouter:
    """One default router (``struct nd_defrouter``)."""

    __slots__ = ("rtaddr", "ifp", "raflags", "rtlifetime", "expire", "installed")

    def __init__(self, rtaddr: bytes, ifp: Any, raflags: int, rtlifetime: int, expire: int) -> None:
        self.rtaddr = rtaddr
        self.ifp = ifp
        self.raflags = raflags
        self.rtlifetime = rtlifetime
        self.expire = expire              # time_uptime seconds
        self.installed = False

    def __repr__(self) -> str:
        return (f"<nd_defrouter {inet_ntop6(self.rtaddr)}%{self.ifp.if_xname} pref={rtpref(self)}"
                f" lifetime={self.rtlifetime}{' installed' if self.installed else ''}>")


class nd_prefix:
    """One prefix list entry (``struct nd_prefix``)."""

    __slots__ = ("ndpr_ifp", "ndpr_prefix", "ndpr_plen", "ndpr_vltime", "ndpr_pltime",
                 "ndpr_expire", "ndpr_preferred", "ndpr_lastupdate", "ndpr_raf_onlink",
                 "ndpr_raf_auto", "ndpr_stateflags", "ndpr_addrcnt", "ndpr_advrtrs",
                 "ndpr_origin")

    def __init__(self, ifp: Any, prefix: bytes, plen: int) -> None:
        self.ndpr_ifp = ifp
        self.ndpr_prefix = in6_mask(prefix, plen)
        self.ndpr_plen = plen
        self.ndpr_vltime = 0
        self.ndpr_pltime = 0
        self.ndpr_expire = 0               # time_uptime seconds, 0 = never
        self.ndpr_preferred = 0
        self.ndpr_lastupdate = 0
        self.ndpr_raf_onlink = False
        self.ndpr_raf_auto = False
        self.ndpr_stateflags = 0
        self.ndpr_addrcnt = 0              # autoconfigured addresses formed from it
        self.ndpr_advrtrs: list[nd_defrouter] = []
        self.ndpr_origin = PR_ORIG_RA

    def __repr__(self) -> str:
        return (f"<nd_prefix {inet_ntop6(self.ndpr_prefix)}/{self.ndpr_plen} on "
                f"{self.ndpr_ifp.if_xname} vltime={self.ndpr_vltime} pltime={self.ndpr_pltime}"
                f"{' onlink' if self.ndpr_stateflags & NDPRF_ONLINK else ''}>")


def in6_init_prefix_ltimes(pr: nd_prefix, now: int) -> bool:
    """Absolute expiry times of a prefix; False when pltime > vltime."""
    if pr.ndpr_pltime > pr.ndpr_vltime:
        return False
    pr.ndpr_preferred = 0 if pr.ndpr_pltime == ND6_INFINITE_LIFETIME else now + pr.ndpr_pltime
    pr.ndpr_expire = 0 if pr.ndpr_vltime == ND6_INFINITE_LIFETIME else now + pr.ndpr_vltime
    return True


def nd6_rtr_sysctl_init(k: "Kernel") -> None:
    """sysctl net.inet6.icmp6.nd6_drlist / nd6_prlist (what ``ndp -r``/``-p``
    read in FreeBSD) and the redirect timeout."""
    SYSCTL_PROC(k, "net.inet6.icmp6.nd6_drlist", CTLTYPE_STRUCT, lambda: defrouter_list(k),
                descr="Default router list")
    SYSCTL_PROC(k, "net.inet6.icmp6.nd6_prlist", CTLTYPE_STRUCT, lambda: prefix_list(k),
                descr="Prefix list")
    k.nd6.icmp6_redirtimeout = ICMP6_REDIRTIMEOUT
    k.nd6.ip6_rfc4191 = 1
    k.nd6.nd_rtinfo = []
    SYSCTL_INT(k, "net.inet6.ip6.rfc4191", k.nd6, "ip6_rfc4191",
               "Install more-specific routes from RA Route Information options (RFC 4191)",
               check=lambda v: v in (0, 1))
    try:
        sysctl_find(k, "net.inet6.icmp6.redirtimeout")
    except OSError:
        SYSCTL_INT(k, "net.inet6.icmp6.redirtimeout", k.nd6, "icmp6_redirtimeout",
                   "Delay in seconds before expiring redirect route", check=lambda v: v >= 0)


def defrouter_list(k: "Kernel", ifp: Any = None) -> list[in6_defrouter]:
    return [in6_defrouter(sockaddr_in6(dr.rtaddr, 0, 0, dr.ifp.if_index), dr.raflags,
                          dr.rtlifetime, dr.expire, dr.ifp.if_index)
            for dr in k.nd6.nd_defrouter if ifp is None or dr.ifp is ifp]


def prefix_list(k: "Kernel", ifp: Any = None) -> list[in6_prefix]:
    out = []
    for pr in k.nd6.nd_prefix:
        if ifp is not None and pr.ndpr_ifp is not ifp:
            continue
        zone = pr.ndpr_ifp.if_index if in6_is_scoped(pr.ndpr_prefix) else 0
        out.append(in6_prefix(sockaddr_in6(pr.ndpr_prefix, 0, 0, zone), int(pr.ndpr_raf_onlink),
                              int(pr.ndpr_raf_auto), pr.ndpr_plen, pr.ndpr_origin, pr.ndpr_vltime,
                              pr.ndpr_pltime, pr.ndpr_expire, pr.ndpr_stateflags, pr.ndpr_addrcnt,
                              pr.ndpr_ifp.if_index,
                              [sockaddr_in6(dr.rtaddr, 0, 0, dr.ifp.if_index)
                               for dr in pr.ndpr_advrtrs]))
    return out


# -- Router Solicitation ---------------------------------------------------------------------
def nd6_rs_input(k: "Kernel", m: mbuf, off: int, icmp6len: int) -> None:
    """A Router Solicitation (RFC 4861 6.1.1, 6.2.6).  A host ignores it
    (RFC 4861 6.2.6 is router behaviour); a router caches the solicitor's
    link-layer address (rtadvd answers from userland)."""
    if not getattr(getattr(k, "ip6", None), "ip6_forwarding", 0):
        ND6STAT_INC(k, "nd6s_rs_ignored")
        return
    b, o = m.buf, m.off
    hlim, saddr6 = b[o + 7], bytes(b[o + 8:o + 24])
    if hlim != 255 or icmp6len < ND_RS_MINLEN or b[o + off + 1] != 0:
        ICMP6STAT_INC(k, "icp6s_badrs")
        return
    if IN6_IS_ADDR_UNSPECIFIED(saddr6):
        return                           # RFC 4861 6.2.6: no cache entry for ::
    ndopts = nd6_input_options(k, m, off, icmp6len, ND_RS_MINLEN)
    if ndopts is None:
        ICMP6STAT_INC(k, "icp6s_badrs")
        return
    if ndopts.src_lladdr is not None:
        ll = nd6_opt_lladdr(m.rcvif, ndopts.src_lladdr)
        if ll is None:
            ICMP6STAT_INC(k, "icp6s_badrs")
            return
        nd6_cache_lladdr(m.rcvif, saddr6, ll, ND_ROUTER_SOLICIT, 0)


def nd6_rs_output(ifp: Any) -> int:
    """Send a Router Solicitation to all-routers (RFC 4861 6.3.7): from a
    usable link-local address with our link-layer address, or from ``::``
    without it ("MUST NOT be included if the Source Address is the unspecified
    address").  rtsold does the same from userland through a raw socket."""
    from kernel.netinet6 import in6, nd6_nbr
    k = ifp.kernel
    ia = in6.in6ifa_ifpforlinklocal(ifp, IN6_IFF_NOTREADY)
    src = ia.ia_addr if ia is not None else IN6ADDR_ANY
    body = nd_router_solicit.pack(ND_ROUTER_SOLICIT, 0, 0, 0)
    mac = nd6_nbr.nd6_ifptomac(ifp)
    if ia is not None and mac is not None:
        body += nd_opt_lladdr(ND_OPT_SOURCE_LINKADDR, mac)
    m = nd6_nbr.nd6_build(src, IN6ADDR_LINKLOCAL_ALLROUTERS, body)
    icmp6_outhist(k, ND_ROUTER_SOLICIT)
    from kernel.netinet6.ip6_var import IPV6_UNSPECSRC
    return nd6_nbr.nd6_ip6_output(ifp, m, IN6ADDR_LINKLOCAL_ALLROUTERS,
                                  IPV6_UNSPECSRC if ia is None else 0)


# -- Router Advertisement --------------------------------------------------------------------
def nd6_ra_input(k: "Kernel", m: mbuf, off: int, icmp6len: int) -> None:
    """Receive a Router Advertisement (RFC 4861 6.1.2, 6.3.4; RFC 4862 5.5.3)."""
    ifp = m.rcvif
    b, o = m.buf, m.off
    saddr6, daddr6 = bytes(b[o + 8:o + 24]), bytes(b[o + 24:o + 40])
    nd = k.nd6
    ndi = ND_IFINFO(ifp)
    # We only accept RAs when ND6_IFF_ACCEPT_RTADV is on for the interface.
    if not ndi.flags & ND6_IFF_ACCEPT_RTADV or ndi.flags & ND6_IFF_IFDISABLED:
        ND6STAT_INC(k, "nd6s_ra_ignored")
        return
    # RFC 4861 6.3.4 is host behaviour: a router does not configure itself
    # from other routers' RAs (it may check them for consistency, 6.2.7 —
    # rtadvd does, from userland).  FreeBSD: "Receiving RA is allowed if
    # ip6_forwarding==0 *and* ND6_IFF_ACCEPT_RTADV is set".
    if getattr(getattr(k, "ip6", None), "ip6_forwarding", 0):
        ND6STAT_INC(k, "nd6s_ra_router")
        return
    # RFC 4861 6.1.2: "IP Source Address is a link-local address.", "The IP
    # Hop Limit field has a value of 255", "ICMP Code is 0.", "ICMP length
    # (derived from the IP length) is 16 or more octets."
    why = nd6_input_check(m, off, icmp6len, ND_RA_MINLEN, llsrc=True)
    if why is not None:
        return nd6_input_bad(k, m, "nd6s_ra_" + why)
    _, _, _, curhop, raflags, rltime, reachable, retrans = nd_router_advert.unpack_from(b, o + off)
    # RFC 4861 6.1.2: "All included options have a length that is greater than zero."
    ndopts = nd6_input_options(k, m, off, icmp6len, ND_RA_MINLEN)
    if ndopts is None:
        return nd6_input_bad(k, m, "nd6s_ra_badopt")
    lladdr = nd6_opt_lladdr(ifp, ndopts.src_lladdr)
    if lladdr is None and ndopts.src_lladdr is not None:
        return nd6_input_bad(k, m, "nd6s_ra_badlladdr")
    now = time_uptime(k)
    mcast = IN6_IS_ADDR_MULTICAST(daddr6)

    # -- Route Information options (RFC 4191 2.3), checked once --
    rtinfos = rtinfo_options(k, ndopts.route_info) if ndopts.route_info else []
    # RFC 4191 3.1: "The Router Preference and Lifetime values in a ::/0
    # Route Information Option override the preference and lifetime values
    # in the Router Advertisement header."
    for prefix, plen, pref, life in rtinfos:
        if plen == 0:
            raflags = (raflags & ~ND_RA_FLAG_RTPREF_MASK) | pref
            rltime = life
    # -- the default router list (RFC 4861 6.3.4) --
    dr = defrtrlist_update(k, nd_defrouter(saddr6, ifp, raflags, rltime,
                                           0 if rltime == ND6_INFINITE_LIFETIME else now + rltime))
    # RFC 4861 6.3.4: "If the received Reachable Time value is non-zero, the
    # host SHOULD set its BaseReachableTime variable to the received value.
    # If the new value differs from the previous value, the host SHOULD
    # re-compute a new random ReachableTime value."
    if reachable and reachable <= MAX_REACHABLE_TIME and reachable != ndi.basereachable:
        ndi.basereachable = reachable
        ndi.reachable = ND_COMPUTE_RTIME(k, reachable)
        ndi.recalctm = nd.nd6_recalc_reachtm_interval
    # RFC 4861 6.3.4: "The RetransTimer variable SHOULD be copied from the
    # Retrans Timer field, if the received value is non-zero."
    if retrans:
        ndi.retrans = retrans
    # RFC 4861 6.3.4: "If the received Cur Hop Limit value is non-zero, the
    # host SHOULD set its CurHopLimit variable to the received value."
    # FreeBSD only ever raises it, so a rogue RA cannot make the host's
    # packets die on the way; kamebox does the same.
    if curhop:
        if ndi.chlim < curhop:
            ndi.chlim = curhop
        elif ndi.chlim != curhop:
            ND6STAT_INC(k, "nd6s_ra_lowhlim")
            k.printf(f"RA with a lower CurHopLimit sent from {inet_ntop6(saddr6)} on "
                     f"{ifp.if_xname} (current = {ndi.chlim}, received = {curhop}). Ignored.\n")

    # -- prefixes --
    for raw in ndopts.prefix_info:
        # RFC 4861 4.6.2: Length 4
        if raw[1] != 4:
            ND6STAT_INC(k, "nd6s_pi_badlen")
            continue
        _, _, plen, pflags, vltime, pltime, _, prefix = nd_opt_prefix_info.unpack_from(raw)
        if plen > 128:
            ND6STAT_INC(k, "nd6s_pi_badlen")
            continue
        # RFC 4861 6.3.4: "If the prefix is the link-local prefix, silently
        # ignore the Prefix Information option" (RFC 4862 5.5.3 (b) too).
        if IN6_IS_ADDR_LINKLOCAL(prefix):
            ND6STAT_INC(k, "nd6s_pi_linklocal")
            continue
        if IN6_IS_ADDR_MULTICAST(prefix):
            ND6STAT_INC(k, "nd6s_pi_mcast")
            continue
        # RFC 4862 5.5.3 (c): "If the preferred lifetime is greater than the
        # valid lifetime, silently ignore the Prefix Information option."
        if pltime > vltime:
            ND6STAT_INC(k, "nd6s_pi_badlifetime")
            continue
        prelist_update(k, ifp, prefix, plen, bool(pflags & ND_OPT_PI_FLAG_ONLINK),
                       bool(pflags & ND_OPT_PI_FLAG_AUTO), vltime, pltime, dr, mcast)

    # -- MTU (RFC 4861 6.3.4) --
    if ndopts.mtu is not None and ndopts.mtu[1] == 1:
        mtu = nd_opt_mtu.unpack_from(ndopts.mtu)[3]
        maxmtu = ndi.maxmtu if ndi.maxmtu and ndi.maxmtu < ifp.if_mtu else ifp.if_mtu
        # "so long as the value is greater than or equal to the minimum link
        # MTU [IPv6] and does not exceed the maximum LinkMTU value"
        if IPV6_MMTU <= mtu <= maxmtu:
            ndi.linkmtu = mtu
        else:
            ND6STAT_INC(k, "nd6s_mtu_bad")
            nd6_log(k, f"nd6_ra_input: bogus mtu option mtu={mtu} sent from {inet_ntop6(saddr6)}, "
                       f"ignoring\n")

    # -- the router's link-layer address (RFC 4861 6.3.4) --
    if lladdr is not None:
        nd6_cache_lladdr(ifp, saddr6, lladdr, ND_ROUTER_ADVERT, 0)
    else:
        ln = nd6_lookup(ifp, saddr6)
        if ln is not None:
            ln.ln_router = True      # RFC 4861 6.3.4: "the IsRouter flag ... MUST be set to TRUE"

    # -- more-specific routes (RFC 4191 3.1), after the neighbor cache so that
    # the router's reachability is known when the best route is chosen --
    for prefix, plen, pref, life in rtinfos:
        if plen:
            rtinfo_update(k, ifp, saddr6, prefix, plen, pref, life, now)


# -- default routers (RFC 4861 6.3.4, 6.3.6; RFC 4191) -----------------------------------------
def rtpref(dr: nd_defrouter) -> int:
    """RFC 4191 2.2 preference: high 1, medium 0, low -1; reserved (10) is medium."""
    p = dr.raflags & ND_RA_FLAG_RTPREF_MASK
    return {0x08: 1, 0x18: -1}.get(p, 0)


def defrouter_lookup(k: "Kernel", addr: bytes, ifp: Any) -> Optional[nd_defrouter]:
    nd = getattr(k, "nd6", None)
    if nd is None:
        return None
    for dr in nd.nd_defrouter:
        if dr.rtaddr == addr and dr.ifp is ifp:
            return dr
    return None


def _defrouter_insert(k: "Kernel", dr: nd_defrouter) -> None:
    """Keep the list sorted by preference, best first, newest last among equals."""
    lst = k.nd6.nd_defrouter
    p = rtpref(dr)
    for i, o in enumerate(lst):
        if rtpref(o) < p:
            lst.insert(i, dr)
            return
    lst.append(dr)


def defrtrlist_update(k: "Kernel", new: nd_defrouter) -> Optional[nd_defrouter]:
    dr = defrouter_lookup(k, new.rtaddr, new.ifp)
    if dr is not None:
        if new.rtlifetime == 0:
            # RFC 4861 6.3.4: "If the address is already present ... and the
            # received Router Lifetime value is zero, immediately time-out the entry"
            defrtrlist_del(k, dr)
            return None
        oldpref = rtpref(dr)
        dr.raflags = new.raflags
        dr.rtlifetime = new.rtlifetime
        dr.expire = new.expire
        if rtpref(dr) != oldpref:
            k.nd6.nd_defrouter.remove(dr)
            _defrouter_insert(k, dr)
            defrouter_select(k)
        return dr
    # RFC 4861 6.3.4: "If the address is not already present ... and the
    # advertisement's Router Lifetime is non-zero, create a new entry"
    if new.rtlifetime == 0:
        return None
    if sum(1 for d in k.nd6.nd_defrouter if d.ifp is new.ifp) >= k.nd6.ip6_maxifdefrouters:
        ND6STAT_INC(k, "nd6s_dr_overflow")
        ICMP6STAT_INC(k, "icp6s_overflowdefrtr")
        return None
    _defrouter_insert(k, new)
    defrouter_select(k)
    return new


def defrtrlist_del(k: "Kernel", dr: nd_defrouter) -> None:
    nd = k.nd6
    if dr not in nd.nd_defrouter:
        return
    if dr.installed:
        defrouter_delreq(k, dr)
    nd.nd_defrouter.remove(dr)
    for pr in nd.nd_prefix:
        if dr in pr.ndpr_advrtrs:
            pr.ndpr_advrtrs.remove(dr)
    defrouter_select(k)


def defrouter_addreq(k: "Kernel", dr: nd_defrouter) -> None:
    """Install the default route through ``dr``."""
    if getattr(k, "rt", None) is None:
        dr.installed = True
        return
    from kernel.net import route
    err, _ = route.rtrequest(k, RTM_ADD, IN6ADDR_ANY, 0, dr.rtaddr, RTF_GATEWAY, dr.ifp, 0)
    if err == 0:
        dr.installed = True
    else:
        k.count("defrouter_addreq_failed")        # e.g. a static default route exists


def defrouter_delreq(k: "Kernel", dr: nd_defrouter) -> None:
    dr.installed = False
    if getattr(k, "rt", None) is None:
        return
    from kernel.net import route
    rt = route.rtlookup(k, IN6ADDR_ANY, 0, 0)
    if rt is not None and not rt.rt_flags & RTF_STATIC and rt.rt_gateway == dr.rtaddr \
            and rt.rt_ifp is dr.ifp:
        route.rtrequest(k, RTM_DELETE, IN6ADDR_ANY, 0)


def defrouter_select(k: "Kernel") -> None:
    """Choose the default router (RFC 4861 6.3.6, RFC 4191 2.2).

    "Routers that are reachable or probably reachable (i.e., in any state
    other than INCOMPLETE) SHOULD be preferred over routers whose
    reachability is unknown or suspect"; among those the highest preference
    (the list is sorted by it).  "When no routers on the list are known to be
    reachable or probably reachable, routers SHOULD be selected in a
    round-robin fashion."  An installed reachable router stays unless the
    new one has a higher preference.
    """
    nd = getattr(k, "nd6", None)
    if nd is None:
        return
    selected = None
    installed = None
    for dr in nd.nd_defrouter:
        if ND_IFINFO(dr.ifp).flags & ND6_IFF_IFDISABLED:
            continue
        if selected is None and nd6_is_reachable(nd6_lookup(dr.ifp, dr.rtaddr)):
            selected = dr
        if dr.installed and installed is None:
            installed = dr
    usable = [dr for dr in nd.nd_defrouter if not ND_IFINFO(dr.ifp).flags & ND6_IFF_IFDISABLED]
    if selected is None:
        if not usable:
            selected = None
        elif installed is None or installed not in usable or usable.index(installed) + 1 >= len(usable):
            selected = usable[0]
        else:
            selected = usable[usable.index(installed) + 1]
    elif installed is not None and nd6_is_reachable(nd6_lookup(installed.ifp, installed.rtaddr)) \
            and rtpref(selected) <= rtpref(installed):
        selected = installed
    if installed is not None and installed is not selected:
        defrouter_delreq(k, installed)
    for dr in nd.nd_defrouter:                    # at most one installed
        if dr.installed and dr is not selected:
            defrouter_delreq(k, dr)
    if selected is not None and not selected.installed:
        defrouter_addreq(k, selected)
    # Reachability decides between the next hops of a more-specific route too.
    rtinfo_select(k)


def defrouter_expire(k: "Kernel", now: int) -> None:
    """nd6_timer: routers whose lifetime ran out leave the list."""
    for dr in list(k.nd6.nd_defrouter):
        if dr.expire and dr.expire < now:
            defrtrlist_del(k, dr)


def defrouter_reset(k: "Kernel") -> None:
    for dr in k.nd6.nd_defrouter:
        if dr.installed:
            defrouter_delreq(k, dr)


# -- prefixes (RFC 4861 6.3.4 on-link, RFC 4862 5.5.3 autoconf) ---------------------------------
def nd6_prefix_lookup(k: "Kernel", prefix: bytes, plen: int, ifp: Any) -> Optional[nd_prefix]:
    p = in6_mask(prefix, plen)
    for pr in k.nd6.nd_prefix:
        if pr.ndpr_ifp is ifp and pr.ndpr_plen == plen and pr.ndpr_prefix == p:
            return pr
    return None


def nd6_prefix_onlink(pr: nd_prefix) -> None:
    from kernel.netinet6 import in6
    if pr.ndpr_stateflags & NDPRF_ONLINK:
        return
    in6.in6_ifroute_add(pr.ndpr_ifp, pr.ndpr_prefix, pr.ndpr_plen)
    pr.ndpr_stateflags |= NDPRF_ONLINK


def nd6_prefix_offlink(pr: nd_prefix) -> None:
    from kernel.netinet6 import in6
    if not pr.ndpr_stateflags & NDPRF_ONLINK:
        return
    in6.in6_ifroute_del(pr.ndpr_ifp, pr.ndpr_prefix, pr.ndpr_plen)
    pr.ndpr_stateflags &= ~NDPRF_ONLINK


def prelist_remove(k: "Kernel", pr: nd_prefix) -> None:
    """The prefix is gone: off-link now; the entry stays while addresses
    formed from it exist (their own lifetimes rule them, RFC 4862 5.5.4)."""
    pr.ndpr_vltime = 0
    pr.ndpr_pltime = 0
    nd6_prefix_offlink(pr)
    pr.ndpr_advrtrs.clear()
    if pr.ndpr_addrcnt == 0 and pr in k.nd6.nd_prefix:
        k.nd6.nd_prefix.remove(pr)


def prelist_expire(k: "Kernel", now: int) -> None:
    """nd6_timer: prefixes whose valid lifetime ran out (RFC 4861 6.3.5)."""
    for pr in list(k.nd6.nd_prefix):
        if pr.ndpr_vltime == 0 or (pr.ndpr_expire and pr.ndpr_expire < now):
            prelist_remove(k, pr)


def prelist_update(k: "Kernel", ifp: Any, prefix: bytes, plen: int, onlink: bool, auto: bool,
                   vltime: int, pltime: int, dr: Optional[nd_defrouter], mcast: bool) -> None:
    """One Prefix Information option of an RA (KAME ``prelist_update``)."""
    now = time_uptime(k)
    pr = nd6_prefix_lookup(k, prefix, plen, ifp)
    if pr is not None:
        # RFC 4861 6.3.4: "If the prefix is already present in the host's
        # Prefix List ..., reset its invalidation timer to the Valid Lifetime
        # ... If the new Lifetime value is zero, time-out the prefix
        # immediately."  The L and A bits are never cleared by an RA.
        if onlink:
            pr.ndpr_raf_onlink = True
            pr.ndpr_vltime = vltime
            pr.ndpr_pltime = pltime
            in6_init_prefix_ltimes(pr, now)
            pr.ndpr_lastupdate = now
        if auto:
            pr.ndpr_raf_auto = True
        if onlink and vltime and not pr.ndpr_stateflags & NDPRF_ONLINK:
            nd6_prefix_onlink(pr)
        if dr is not None and dr not in pr.ndpr_advrtrs:
            pr.ndpr_advrtrs.append(dr)
    else:
        # RFC 4861 6.3.4: "If the prefix is not already present in the Prefix
        # List, and the Prefix Information option's Valid Lifetime field is
        # non-zero, create a new entry"
        if vltime == 0 or not (onlink or auto):
            return
        if sum(1 for p in k.nd6.nd_prefix if p.ndpr_ifp is ifp) >= k.nd6.ip6_maxifprefixes:
            ND6STAT_INC(k, "nd6s_pr_overflow")
            ICMP6STAT_INC(k, "icp6s_overflowprfx")
            return
        pr = nd_prefix(ifp, prefix, plen)
        pr.ndpr_raf_onlink = onlink
        pr.ndpr_raf_auto = auto
        pr.ndpr_vltime = vltime
        pr.ndpr_pltime = pltime
        pr.ndpr_lastupdate = now
        in6_init_prefix_ltimes(pr, now)
        if dr is not None:
            pr.ndpr_advrtrs.append(dr)
        k.nd6.nd_prefix.append(pr)
        if onlink:
            nd6_prefix_onlink(pr)

    # -- RFC 4862 5.5.3: address autoconfiguration --
    # (a) "If the Autonomous flag is not set, silently ignore the Prefix Information option."
    if not auto:
        if pr.ndpr_vltime == 0 and onlink:
            prelist_remove(k, pr)
        return
    from kernel.netinet6 import in6
    found = False
    for ia in in6.in6_ifaddrs(k, ifp):
        if not ia.ia6_flags & IN6_IFF_AUTOCONF or ia.ia6_ndpr is not pr:
            continue
        if ia.ia6_flags & IN6_IFF_TEMPORARY:
            continue
        found = True
        # (e) "If the advertised prefix is equal to the prefix of an address
        # configured by stateless autoconfiguration in the list, the preferred
        # lifetime of the address is reset to the Preferred Lifetime in the
        # received advertisement.  The specific action to perform for the
        # valid lifetime of the address depends on the Valid Lifetime in the
        # received advertisement and the remaining time to the valid lifetime
        # expiration of the previously autoconfigured address."
        remaining, _ = in6_lifetime_remaining(ia, now)
        lt = in6_addrlifetime(ia.ia6_lifetime.ia6t_expire, ia.ia6_lifetime.ia6t_preferred,
                              remaining, pltime)
        if vltime > TWOHOUR or vltime > remaining:
            # "1. If the received Valid Lifetime is greater than 2 hours or
            # greater than RemainingLifetime, set the valid lifetime of the
            # corresponding address to the advertised Valid Lifetime."
            lt.ia6t_vltime = vltime
        elif remaining <= TWOHOUR:
            # "2. If RemainingLifetime is less than or equal to 2 hours, ignore
            # the Prefix Information option with regards to the valid lifetime,
            # unless the Router Advertisement ... has been authenticated"
            ND6STAT_INC(k, "nd6s_pi_twohour")
        else:
            # "3. Otherwise, reset the valid lifetime of the corresponding
            # address to 2 hours."
            lt.ia6t_vltime = TWOHOUR
            ND6STAT_INC(k, "nd6s_pi_twohour")
        # The 2 hour rule is not imposed for the preferred lifetime.
        if lt.ia6t_vltime != ND6_INFINITE_LIFETIME and (
                lt.ia6t_pltime == ND6_INFINITE_LIFETIME or lt.ia6t_pltime > lt.ia6t_vltime):
            lt.ia6t_pltime = lt.ia6t_vltime
        from kernel.netinet6.in6_var import in6_init_address_ltimes
        in6_init_address_ltimes(lt, now)
        ia.ia6_lifetime = lt
        ia.ia6_updatetime = now
    if not found and vltime:
        # (d) "If the prefix advertised is not equal to the prefix of an
        # address configured by stateless autoconfiguration already in the
        # list ... and if the Valid Lifetime is not 0, form an address"
        in6_ifadd(k, pr, vltime, pltime, mcast)
    if pr.ndpr_vltime == 0 and pr.ndpr_addrcnt == 0:
        prelist_remove(k, pr)


def in6_ifadd(k: "Kernel", pr: nd_prefix, vltime: int, pltime: int, mcast: bool) -> Any:
    """Form an address from prefix ``pr`` and the interface identifier of
    the link-local address (RFC 4862 5.5.3 (d))."""
    from kernel.netinet6 import in6
    from kernel.netinet6.in6_var import IN6_IFAUPDATE_DADDELAY
    ifp = pr.ndpr_ifp
    ib = in6.in6ifa_ifpforlinklocal(ifp, 0)
    if ib is None:
        nd6_log(k, f"in6_ifadd: {ifp.if_xname} has no link-local address\n")
        ND6STAT_INC(k, "nd6s_pi_badplen")
        return None
    # RFC 4862 5.5.3 (d): "If the sum of the prefix length and interface
    # identifier length does not equal 128 bits, the Prefix Information option
    # MUST be ignored."
    if pr.ndpr_plen + ND6_IFID_LEN != 128:
        ND6STAT_INC(k, "nd6s_pi_badplen")
        nd6_log(k, f"in6_ifadd: wrong prefixlen for {ifp.if_xname} "
                   f"(prefix={pr.ndpr_plen} ifid={ND6_IFID_LEN})\n")
        return None
    addr = pr.ndpr_prefix[:8] + ib.ia_addr[8:]
    ifra = in6_aliasreq(ifp.if_xname, sockaddr_in6(addr),
                        ifra_prefixmask=sockaddr_in6(bytes.fromhex("ff" * 8) + bytes(8)),
                        ifra_flags=IN6_IFF_AUTOCONF,
                        ifra_lifetime=in6_addrlifetime(0, 0, vltime, min(pltime, vltime)))
    err = in6.in6_update_ifa(ifp, ifra, None, IN6_IFAUPDATE_DADDELAY if mcast else 0)
    if err:
        nd6_log(k, f"in6_ifadd: failed to make ifaddr {inet_ntop6(addr)} on {ifp.if_xname} "
                   f"(errno={err})\n")
        return None
    ia = in6.in6ifa_ifpwithaddr(ifp, addr)
    if ia is not None:
        ia.ia6_ndpr = pr
        pr.ndpr_addrcnt += 1
    return ia


def nd6_rtr_purge(k: "Kernel", ifp: Any) -> None:
    """Forget the routers and prefixes learned on ``ifp``."""
    nd = k.nd6
    for dr in [d for d in nd.nd_defrouter if d.ifp is ifp]:
        defrtrlist_del(k, dr)
    for pr in [p for p in nd.nd_prefix if p.ndpr_ifp is ifp]:
        nd6_prefix_offlink(pr)
        nd.nd_prefix.remove(pr)
    for ri in [r for r in getattr(nd, "nd_rtinfo", ()) if r.ifp is ifp]:
        rtinfo_del(k, ri)


def rt6_flush(k: "Kernel", gateway: bytes, ifp: Any) -> None:
    """Delete the dynamic routes through ``gateway`` on ``ifp`` (redirects,
    path MTU clones): the neighbor is gone or no longer a router."""
    if getattr(k, "rt", None) is None:
        return
    from kernel.net import route
    for rt in route.rt_dump(k):
        if (rt.rt_flags & RTF_GATEWAY and rt.rt_flags & RTF_DYNAMIC and rt.rt_ifp is ifp
                and rt.rt_gateway == gateway):
            route.rtrequest(k, RTM_DELETE, rt.rt_dst, rt.rt_prefixlen, None, 0, ifp, rt.rt_zone)
    # The router may have been the next hop of more-specific routes (RFC 4191 3.2).
    rtinfo_select(k)


# -- more-specific routes (RFC 4191 2.3, 3.1, 3.2) ----------------------------------------------
class nd_rtinfo:
    """One route learnt from a Route Information option (RFC 4191 3.1: "Entries
    in the Routing Table have a prefix, prefix length, preference value,
    lifetime, and next-hop router")."""

    __slots__ = ("prefix", "plen", "rtaddr", "ifp", "pref", "ltime", "expire", "installed")

    def __init__(self, prefix: bytes, plen: int, rtaddr: bytes, ifp: Any) -> None:
        self.prefix = prefix
        self.plen = plen
        self.rtaddr = rtaddr
        self.ifp = ifp
        self.pref = 0                     # the Prf bits (ND_RA_FLAG_RTPREF_*)
        self.ltime = 0
        self.expire = 0                   # time_uptime seconds, 0 = never
        self.installed = False

    def __repr__(self) -> str:
        return (f"<nd_rtinfo {inet_ntop6(self.prefix)}/{self.plen} via "
                f"{inet_ntop6(self.rtaddr)}%{self.ifp.if_xname} pref={self.pref:#x} "
                f"ltime={self.ltime}{' installed' if self.installed else ''}>")


def _prf(bits: int) -> int:
    """The 2-bit signed preference: high 1, medium 0, low -1 (RFC 4191 2.1)."""
    return {0x08: 1, 0x18: -1}.get(bits & ND_RA_FLAG_RTPREF_MASK, 0)


def rtinfo_options(k: "Kernel", raws: list[bytes]) -> list[tuple[bytes, int, int, int]]:
    """The valid Route Information options of an RA as (prefix, prefix length,
    Prf bits, lifetime); none when net.inet6.ip6.rfc4191 is 0 (a type A host)."""
    if not getattr(k.nd6, "ip6_rfc4191", 1):
        ND6STAT_INC(k, "nd6s_ri_ignored")
        return []
    out = []
    for raw in raws:
        olen, plen, flags = raw[1], raw[2], raw[3]
        # RFC 4191 2.3: "The Length field is 1, 2, or 3 depending on the Prefix
        # Length.  If Prefix Length is greater than 64, then Length must be 3.
        # If Prefix Length is greater than 0, then Length must be 2 or 3."
        # "If the Length field is not consistent with the Prefix Length, the
        # option MUST be ignored."
        if olen > 3 or plen > 128 or (plen > 64 and olen < 3) or (plen > 0 and olen < 2):
            ND6STAT_INC(k, "nd6s_ri_badlen")
            continue
        # RFC 4191 2.3: "If the Reserved (10) value is received, the Route
        # Information Option MUST be ignored."
        pref = flags & ND_RA_FLAG_RTPREF_MASK
        if pref == ND_RA_FLAG_RTPREF_RSV:
            ND6STAT_INC(k, "nd6s_ri_badpref")
            continue
        life = int.from_bytes(raw[4:8], "big")
        prefix = in6_mask(bytes(raw[8:8 * olen]) + bytes(24 - 8 * olen), plen)
        out.append((prefix, plen, pref, life))
    return out


def rtinfo_lookup(k: "Kernel", prefix: bytes, plen: int, rtaddr: bytes,
                  ifp: Any) -> Optional[nd_rtinfo]:
    for ri in k.nd6.nd_rtinfo:
        if ri.plen == plen and ri.prefix == prefix and ri.rtaddr == rtaddr and ri.ifp is ifp:
            return ri
    return None


def rtinfo_update(k: "Kernel", ifp: Any, rtaddr: bytes, prefix: bytes, plen: int, pref: int,
                  life: int, now: int) -> None:
    """RFC 4191 3.1: "A route is located in the Routing Table based on the
    prefix, prefix length, and next-hop router.  If the received route's
    lifetime is zero, the route is removed from the Routing Table if present.
    If a route's lifetime is non-zero, the route is added to the Routing
    Table if not present and the route's lifetime and preference is updated
    if the route is already present.\""""
    nd = k.nd6
    ri = rtinfo_lookup(k, prefix, plen, rtaddr, ifp)
    if life == 0:
        if ri is not None:
            rtinfo_del(k, ri)
        return
    if ri is None:
        if sum(1 for r in nd.nd_rtinfo if r.ifp is ifp) >= nd.ip6_maxifprefixes:
            ND6STAT_INC(k, "nd6s_ri_overflow")
            return
        ri = nd_rtinfo(prefix, plen, rtaddr, ifp)
        nd.nd_rtinfo.append(ri)
    ri.ltime = life
    ri.expire = 0 if life == ND6_INFINITE_LIFETIME else now + life
    if ri.pref != pref:
        ri.pref = pref
    rtinfo_select(k, prefix, plen)
    if ri.installed:
        _rtinfo_settime(k, ri)


def rtinfo_del(k: "Kernel", ri: nd_rtinfo) -> None:
    nd = k.nd6
    if ri in nd.nd_rtinfo:
        nd.nd_rtinfo.remove(ri)
    if ri.installed:
        _rtinfo_delreq(k, ri)
    rtinfo_select(k, ri.prefix, ri.plen)


def rtinfo_expire(k: "Kernel", now: int) -> None:
    """nd6_timer: routes whose Route Lifetime ran out leave the table."""
    for ri in list(getattr(k.nd6, "nd_rtinfo", ())):
        if ri.expire and ri.expire <= now:
            rtinfo_del(k, ri)


def rtinfo_select(k: "Kernel", prefix: Optional[bytes] = None, plen: int = -1) -> None:
    """Install, for each prefix (or the one given), the route through the best
    next hop.  RFC 4191 3.2, as RFC 4861 6.3.6 for default routers: routers
    that are reachable or probably reachable first, then the highest
    preference, then the route learnt first; an installed route stays unless
    a better one appears."""
    nd = getattr(k, "nd6", None)
    lst = getattr(nd, "nd_rtinfo", None) if nd is not None else None
    if not lst and prefix is None:
        return
    # (a dict, not a set: routes change in the same order on every run)
    keys = [(prefix, plen)] if prefix is not None else list(dict.fromkeys(
        (r.prefix, r.plen) for r in lst))
    for key in keys:
        cands = [r for r in lst or () if (r.prefix, r.plen) == key
                 and not ND_IFINFO(r.ifp).flags & ND6_IFF_IFDISABLED]
        best = None
        rank = None
        for r in cands:
            reach = nd6_is_reachable(nd6_lookup(r.ifp, r.rtaddr))
            rr = (reach, _prf(r.pref), r.installed)
            if rank is None or rr > rank:
                best, rank = r, rr
        for r in lst or ():
            if (r.prefix, r.plen) == key and r.installed and r is not best:
                _rtinfo_delreq(k, r)
        if best is not None and not best.installed:
            _rtinfo_addreq(k, best)


def _rtinfo_addreq(k: "Kernel", ri: nd_rtinfo) -> None:
    if getattr(k, "rt", None) is None:
        return
    from kernel.net import route
    if route.rtlookup(k, ri.prefix, ri.plen, 0) is not None:
        # A route of its own (static, on-link, another protocol's) wins.
        k.count("rtinfo_addreq_exists")
        return
    expire = ri.expire
    err, _ = route.rtrequest(k, RTM_ADD, ri.prefix, ri.plen, ri.rtaddr, RTF_GATEWAY, ri.ifp, 0,
                             None, 0, expire)
    if err == 0:
        ri.installed = True
    else:
        k.count("rtinfo_addreq_failed")


def _rtinfo_settime(k: "Kernel", ri: nd_rtinfo) -> None:
    """The installed route expires with the option's lifetime (netstat -rn shows it)."""
    from kernel.net import route
    rt = route.rtlookup(k, ri.prefix, ri.plen, 0)
    if rt is None or rt.rt_gateway != ri.rtaddr or rt.rt_ifp is not ri.ifp:
        ri.installed = False
        return
    if rt.rt_expire != ri.expire:
        if ri.expire:
            route.rtrequest(k, RTM_CHANGE, ri.prefix, ri.plen, None, 0, None, 0, None, 0,
                            ri.expire)
        else:
            rt.rt_expire = 0                      # now infinite
            route.rt_changed(k.rt)


def _rtinfo_delreq(k: "Kernel", ri: nd_rtinfo) -> None:
    ri.installed = False
    if getattr(k, "rt", None) is None:
        return
    from kernel.net import route
    rt = route.rtlookup(k, ri.prefix, ri.plen, 0)
    if rt is not None and rt.rt_gateway == ri.rtaddr and rt.rt_ifp is ri.ifp \
            and not rt.rt_flags & RTF_STATIC:
        route.rtrequest(k, RTM_DELETE, ri.prefix, ri.plen)


def rtinfo_list(k: "Kernel") -> list[nd_rtinfo]:
    return list(getattr(k.nd6, "nd_rtinfo", ()))


# -- Redirect (RFC 4861 8.1, 8.3) -------------------------------------------------------------
def icmp6_redirect_input(k: "Kernel", m: mbuf, off: int, icmp6len: int) -> None:
    """Accept a Redirect: a better first hop (router case) or the destination
    itself (on-link case) — a host route RTF_DYNAMIC, expiring."""
    ifp = m.rcvif
    b, o = m.buf, m.off
    src6 = bytes(b[o + 8:o + 24])
    # If we are a router, we don't update routes from redirects.
    if getattr(getattr(k, "ip6", None), "ip6_forwarding", 0) or not k.nd6.icmp6_rediraccept:
        ND6STAT_INC(k, "nd6s_rd_ignored")
        return
    # RFC 4861 8.1: "IP Source Address is a link-local address.", "The IP Hop
    # Limit field has a value of 255", "ICMP Code is 0.", "ICMP length
    # (derived from the IP length) is 40 or more octets."
    why = nd6_input_check(m, off, icmp6len, ND_REDIRECT_MINLEN, llsrc=True)
    if why is not None:
        return nd6_input_bad(k, m, "nd6s_rd_" + why)
    _, _, _, _, redtgt6, reddst6 = nd_redirect.unpack_from(b, o + off)
    # "The ICMP Destination Address field in the redirect message does not
    # contain a multicast address."
    if IN6_IS_ADDR_MULTICAST(reddst6):
        return nd6_input_bad(k, m, "nd6s_rd_mcastdst")
    # "The ICMP Target Address is either a link-local address (when redirected
    # to a router) or the same as the ICMP Destination Address (when
    # redirected to the on-link destination)."
    is_router = IN6_IS_ADDR_LINKLOCAL(redtgt6)
    is_onlink = redtgt6 == reddst6
    if not is_router and not is_onlink:
        return nd6_input_bad(k, m, "nd6s_rd_badtgt")
    # "The IP source address of the Redirect is the same as the current
    # first-hop router for the specified ICMP Destination Address."
    zone = ifp.if_index if in6_is_scoped(reddst6) else 0
    rt = None
    if getattr(k, "rt", None) is not None:
        from kernel.net import route
        rt = route.rtalloc1(k, reddst6, zone)
    if rt is None or not rt.rt_flags & RTF_GATEWAY or rt.rt_gateway != src6 or rt.rt_ifp is not ifp:
        return nd6_input_bad(k, m, "nd6s_rd_notgw")
    # "All included options have a length that is greater than zero."
    ndopts = nd6_input_options(k, m, off, icmp6len, ND_REDIRECT_MINLEN)
    if ndopts is None:
        return nd6_input_bad(k, m, "nd6s_rd_badopt")
    lladdr = nd6_opt_lladdr(ifp, ndopts.tgt_lladdr)
    if lladdr is None and ndopts.tgt_lladdr is not None:
        return nd6_input_bad(k, m, "nd6s_rd_badlladdr")
    # RFC 4861 8.3: update the neighbor cache for the target ...
    nd6_cache_lladdr(ifp, redtgt6, lladdr, ND_REDIRECT,
                     ND_REDIRECT_ONLINK if is_onlink else ND_REDIRECT_ROUTER)
    # ... and the destination cache: a host route to the destination.
    from kernel.net import route
    expire = time_uptime(k) + k.nd6.icmp6_redirtimeout if k.nd6.icmp6_redirtimeout else 0
    host = route.rtlookup(k, reddst6, 128, zone)
    gw = None if is_onlink else redtgt6
    flags = RTF_HOST | RTF_DYNAMIC | (0 if is_onlink else RTF_GATEWAY)
    if host is not None:
        if not host.rt_flags & RTF_DYNAMIC:
            return                           # a static host route wins
        route.rtrequest(k, RTM_DELETE, reddst6, 128, None, 0, ifp, zone)
        flags |= RTF_MODIFIED
    route.rtrequest(k, RTM_ADD, reddst6, 128, gw, flags, ifp, zone, None, 0, expire)


def icmp6_redirect_output(k: "Kernel", m0: mbuf, rt: Any) -> None:
    """Send a Redirect about ``m0``, a copy of a packet just forwarded back
    onto the link it came from through route ``rt`` (RFC 4861 8.2; icmp6.c
    in BSD).  The message (RFC 4861 4.5) goes from our link-local address
    with hop limit 255 to the packet's source, and carries the target's
    link-layer address if we know it and as much of the packet as fits in a
    Redirected Header option without exceeding the minimum MTU."""
    from kernel.netinet6 import icmp6, in6, nd6_nbr
    ICMP6STAT_INC(k, "icp6s_oredirect")            # FreeBSD: icmp6_errcount(ND_REDIRECT, 0)
    # if we are not router, we don't send icmp6 redirect
    if not getattr(getattr(k, "ip6", None), "ip6_forwarding", 0) or rt is None:
        return
    ifp = rt.rt_ifp
    if ifp is None or m0.m_len < 40:
        return
    b, o = m0.buf, m0.off
    src, dst = bytes(b[o + 8:o + 24]), bytes(b[o + 24:o + 40])
    # RFC 4861 8.2: "The Source Address field of the packet identifies a
    # neighbor", "The Destination Address of the packet is not a multicast address"
    if not nd6_is_addr_neighbor(ifp, src):
        k.count("icmp6_redirect_notneighbor")
        return
    if IN6_IS_ADDR_MULTICAST(dst):
        return
    # RFC 4861 8.2: "A router MUST limit the rate at which Redirect messages
    # are sent" — the token bucket of the ICMPv6 errors (errppslimit), as
    # FreeBSD's icmp6_redirect_output uses icmp6_ratelimit.
    if icmp6.icmp6_ratelimit(k):
        ICMP6STAT_INC(k, "icp6s_toofreq")
        return
    # RFC 4861 4.5: "Source Address MUST be the link-local address assigned to
    # the interface from which this message is sent."
    ia = in6.in6ifa_ifpforlinklocal(ifp, IN6_IFF_NOTREADY | IN6_IFF_ANYCAST)
    if ia is None:
        k.count("icmp6_redirect_nolinklocal")
        return
    if rt.rt_flags & RTF_GATEWAY:
        # RFC 4861 8.2: "If the target is a router, that router's link-local
        # address MUST be used."
        target = rt.rt_gateway
        if not isinstance(target, bytes) or not IN6_IS_ADDR_LINKLOCAL(target):
            k.count("icmp6_redirect_gwnotll")
            return
    else:
        # "If the target is a host, the target address field MUST be set to
        # the same value as the Destination Address field."
        target = dst
    body = nd_redirect.pack(ND_REDIRECT, 0, 0, 0, target, dst)
    # "Target Link-Layer Address option: link-layer address of the target, if known."
    ln = nd6_lookup(ifp, target)
    if ln is not None and ln.ln_lladdr is not None:
        body += nd_opt_lladdr(ND_OPT_TARGET_LINKADDR, ln.ln_lladdr)
    # "Redirected Header: as much of the forwarded packet as can fit without the
    # redirect packet exceeding the minimum MTU required to support IPv6"; the
    # option is a multiple of 8 octets: pad what fits, truncate what does not.
    room = (IPV6_MMTU - IP6_HDR_LEN - len(body) - 8) & ~7
    data = bytes(b[o:o + m0.m_len])
    if room >= 8:
        if len(data) > room:
            data = data[:room]
        body += RedirectedHeader(data + bytes(-len(data) % 8)).emit()
    m = nd6_nbr.nd6_build(ia.ia_addr, src, body)
    icmp6_outhist(k, ND_REDIRECT)
    nd6_nbr.nd6_ip6_output(ifp, m, src)


__all__ = ["nd6_rs_input", "nd6_rs_output", "nd6_ra_input", "icmp6_redirect_input",
           "defrouter_lookup", "defrouter_select", "defrtrlist_update", "defrtrlist_del",
           "prelist_update", "nd6_prefix_lookup", "in6_ifadd", "nd_defrouter", "nd_prefix",
           "rt6_flush", "rtpref", "TWOHOUR", "icmp6_redirect_output", "nd_rtinfo",
           "rtinfo_update", "rtinfo_select", "rtinfo_expire", "rtinfo_list"]
