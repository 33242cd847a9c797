"""Router Advertisements on a host: default routers, prefixes, SLAAC, lifetimes,
MTU, redirects (RFC 4861 6, 8; RFC 4862 5.5; RFC 4191 2.2) over real em NICs.

The router is the tap ("node T", fe80::ff:fe00:ee01): it sends hand-made RAs.
"""
from __future__ import annotations

import pytest

from emu.sched import MS, SEC
from kernel.kern.kern_sysctl import sysctl_lookup
from kernel.net.route import rtalloc1, rtlookup
from kernel.netinet6 import in6, nd6_rtr
from kernel.netinet6.nd6 import IN6_LINKMTU, ND_IFINFO
from kernel.wire.in6 import inet_ntop6, inet_pton6
from kernel.wire.in6_var import (IN6_IFF_AUTOCONF, IN6_IFF_DEPRECATED, IN6_IFF_TENTATIVE,
                                 ND6_IFF_ACCEPT_RTADV, ND6_LLINFO_STALE, SIOCSIFINFO_FLAGS,
                                 in6_ndireq)
from kernel.wire.nd6 import (ND_OPT_PI_FLAG_AUTO, ND_OPT_PI_FLAG_ONLINK, ND_RA_FLAG_RTPREF_HIGH,
                             ND_RA_FLAG_RTPREF_LOW, ND_ROUTER_SOLICIT, Mtu, PrefixInformation,
                             Redirect, RedirectedHeader, RouterAdvert, SourceLinkAddr,
                             TargetLinkAddr)
from kernel.wire.route import RTF_DYNAMIC, RTF_GATEWAY, RTF_HOST
from tests.kernel.netinet6.nd6_harness import (A_LL, A_MAC, B_LL, B_MAC, T_LL, T_MAC, entry, frame,
                                               ll_of)

ALLNODES = bytes.fromhex("ff020000000000000000000000000001")
PFX = inet_pton6("2001:db8:1::")
A_GLOBAL = inet_pton6("2001:db8:1::ff:fe00:a01")
L_A = ND_OPT_PI_FLAG_ONLINK | ND_OPT_PI_FLAG_AUTO
T2_MAC = bytes.fromhex("02000000ee02")
T2_LL = ll_of(T2_MAC)


def ra(lifetime=1800, flags=0, opts=(), src_mac=T_MAC, chl=0, reach=0, retrans=0, code=0):
    o = (SourceLinkAddr(src_mac),) + tuple(opts) if src_mac is not None else tuple(opts)
    return RouterAdvert(chl, flags, lifetime, reach, retrans, o, code).emit()


def pi(prefix=PFX, plen=64, flags=L_A, vltime=86400, pltime=14400):
    return PrefixInformation(prefix, plen, flags, vltime, pltime)


def send_ra(lab, body, src=T_LL, mac=T_MAC, hlim=255, dst=ALLNODES):
    lab.tap.send(frame(mac, src, dst, body, hlim=hlim, edst=A_MAC if dst[0] != 0xFF else None))
    lab.run(5 * MS)


def host(lab, accept=True):
    a = lab.host6("a", A_MAC, up=False)
    if accept:
        sysctl_lookup(a.kernel, "net.inet6.ip6.accept_rtadv", 1)
    lab.up6(a)
    lab.settle()
    lab.tap.clear()
    return a


def autoconf(a):
    return [ia for ia in in6.in6_ifaddrs(a.kernel, a.ifp) if ia.ia6_flags & IN6_IFF_AUTOCONF]


def default_gw(a):
    rt = rtlookup(a.kernel, bytes(16), 0, 0)
    return rt.rt_gateway if rt is not None else None


# -- SLAAC and the default route ------------------------------------------------------------
def test_rfc4862_5_5_3_ra_with_prefix_gives_an_address_and_a_default_route(lab):
    """RFC 4862 5.5.3 (d): "form an address ... by combining the advertised
    prefix with an interface identifier"; RFC 4861 6.3.4: the router goes on
    the Default Router List and the L prefix is on-link."""
    a = host(lab)
    send_ra(lab, ra(opts=(pi(),)))
    ias = autoconf(a)
    assert [inet_ntop6(ia.ia_addr) for ia in ias] == ["2001:db8:1::ff:fe00:a01"]
    ia = ias[0]
    assert ia.ia_prefixlen == 64 and ia.ia6_flags & IN6_IFF_TENTATIVE
    # RFC 4862 5.5.4: lifetimes from the option
    assert (ia.ia6_lifetime.ia6t_vltime, ia.ia6_lifetime.ia6t_pltime) == (86400, 14400)
    # the default route to the router, on em0
    assert default_gw(a) == T_LL
    rt = rtalloc1(a.kernel, inet_pton6("2001:db8:99::1"), 0)
    assert rt.rt_flags & RTF_GATEWAY and rt.rt_ifp is a.ifp
    # the on-link route of the prefix
    rt = rtalloc1(a.kernel, inet_pton6("2001:db8:1::42"), 0)
    assert rt.rt_prefixlen == 64 and not rt.rt_flags & RTF_GATEWAY and rt.rt_ifp is a.ifp
    # the router's link-layer address, and IsRouter (RFC 4861 6.3.4)
    ln = entry(a, T_LL)
    assert ln.ln_lladdr == T_MAC and ln.ln_router and ln.ln_state == ND6_LLINFO_STALE
    lab.settle()
    assert ia.ia6_flags == IN6_IFF_AUTOCONF                   # DAD done
    dr = nd6_rtr.defrouter_list(a.kernel)
    assert len(dr) == 1 and dr[0].rtaddr.sin6_addr == T_LL and dr[0].rtlifetime == 1800
    pr = nd6_rtr.prefix_list(a.kernel)
    assert len(pr) == 1 and pr[0].prefixlen == 64 and pr[0].refcnt == 1


def test_ra_is_ignored_without_accept_rtadv(lab):
    a = host(lab, accept=False)
    send_ra(lab, ra(opts=(pi(),)))
    assert autoconf(a) == [] and default_gw(a) is None
    assert a.kernel.nd6stat.nd6s_ra_ignored == 1
    # ifconfig em0 inet6 accept_rtadv
    req = in6_ndireq("em0")
    req.ndi.flags = ND_IFINFO(a.ifp).flags | ND6_IFF_ACCEPT_RTADV
    assert in6.in6_control(a.kernel, SIOCSIFINFO_FLAGS, req, a.ifp) == 0
    send_ra(lab, ra(opts=(pi(),)))
    assert len(autoconf(a)) == 1


def test_rfc4862_5_5_3_a_second_ra_refreshes_rather_than_adds(lab):
    a = host(lab)
    send_ra(lab, ra(opts=(pi(),)))
    lab.run(100 * SEC)
    send_ra(lab, ra(opts=(pi(vltime=90000, pltime=20000),)))
    ias = autoconf(a)
    assert len(ias) == 1
    assert ias[0].ia6_lifetime.ia6t_vltime == 90000 and ias[0].ia6_lifetime.ia6t_pltime == 20000


def test_rfc4862_5_5_3_d_prefix_length_other_than_64_forms_no_address(lab):
    """RFC 4862 5.5.3 (d): "If the sum of the prefix length and interface
    identifier length does not equal 128 bits, the Prefix Information option
    MUST be ignored." (for autoconfiguration; the prefix is still on-link)"""
    a = host(lab)
    send_ra(lab, ra(opts=(pi(plen=48),)))
    assert autoconf(a) == []
    assert a.kernel.nd6stat.nd6s_pi_badplen == 1
    assert rtalloc1(a.kernel, inet_pton6("2001:db8:1:7::1"), 0).rt_prefixlen == 48


def test_rfc4862_5_5_3_b_link_local_prefix_is_ignored(lab):
    """RFC 4862 5.5.3 (b): "If the prefix is the link-local prefix, silently
    ignore the Prefix Information option." """
    a = host(lab)
    send_ra(lab, ra(opts=(pi(prefix=inet_pton6("fe80::")),)))
    assert autoconf(a) == [] and nd6_rtr.prefix_list(a.kernel) == []
    assert a.kernel.nd6stat.nd6s_pi_linklocal == 1


def test_rfc4862_5_5_3_c_preferred_lifetime_above_valid_is_ignored(lab):
    """RFC 4862 5.5.3 (c): "If the preferred lifetime is greater than the valid
    lifetime, silently ignore the Prefix Information option." """
    a = host(lab)
    send_ra(lab, ra(opts=(pi(vltime=100, pltime=200),)))
    assert autoconf(a) == [] and nd6_rtr.prefix_list(a.kernel) == []
    assert a.kernel.nd6stat.nd6s_pi_badlifetime == 1


def test_rfc4862_5_5_3_a_prefix_without_autonomous_flag_forms_no_address(lab):
    a = host(lab)
    send_ra(lab, ra(opts=(pi(flags=ND_OPT_PI_FLAG_ONLINK),)))
    assert autoconf(a) == []
    assert rtalloc1(a.kernel, inet_pton6("2001:db8:1::9"), 0).rt_prefixlen == 64


def test_rfc4862_5_5_4_address_is_deprecated_then_removed_in_virtual_time(lab):
    """RFC 4862 5.5.4: "A preferred address becomes deprecated when its
    preferred lifetime expires.  An invalid address is removed" when the valid
    lifetime expires."""
    a = host(lab)
    send_ra(lab, ra(lifetime=0, opts=(pi(vltime=30, pltime=10),)))
    ia = autoconf(a)[0]
    lab.run(9 * SEC)
    assert not ia.ia6_flags & IN6_IFF_DEPRECATED
    lab.run(3 * SEC)
    assert ia.ia6_flags & IN6_IFF_DEPRECATED
    lab.run(17 * SEC)
    assert autoconf(a) == [ia]
    lab.run(3 * SEC)
    assert autoconf(a) == []
    assert in6.in6ifa_ifwithaddr(a.kernel, A_GLOBAL, 0) is None
    assert rtalloc1(a.kernel, inet_pton6("2001:db8:1::9"), 0) is None   # prefix gone too
    assert nd6_rtr.prefix_list(a.kernel) == []


def test_rfc4862_5_5_4_a_new_ra_makes_a_deprecated_address_preferred_again(lab):
    a = host(lab)
    send_ra(lab, ra(opts=(pi(vltime=3600, pltime=5),)))
    ia = autoconf(a)[0]
    lab.run(8 * SEC)
    assert ia.ia6_flags & IN6_IFF_DEPRECATED
    send_ra(lab, ra(opts=(pi(vltime=3600, pltime=600),)))
    lab.run(2 * SEC)
    assert not ia.ia6_flags & IN6_IFF_DEPRECATED


@pytest.mark.parametrize("first,second,expect", [
    (3 * 3600, 3600, 7200),            # 3. remaining 3 h > 2 h: reset to 2 hours
    (3 * 3600, 5 * 3600, 5 * 3600),    # 1. advertised > 2 hours: taken
    (3600, 600, 3600),                 # 2. remaining <= 2 h: ignored (minus elapsed)
    (3600, 5400, 5400),                # 1. greater than RemainingLifetime: taken
    (3600, 0, 3600),                   # 2. a zero valid lifetime cannot kill it either
])
def test_rfc4862_5_5_3_e_two_hour_rule(lab, first, second, expect):
    """RFC 4862 5.5.3 (e): "1. If the received Valid Lifetime is greater than 2
    hours or greater than RemainingLifetime, set the valid lifetime of the
    corresponding address to the advertised Valid Lifetime.  2. If
    RemainingLifetime is less than or equal to 2 hours, ignore the Prefix
    Information option with regards to the valid lifetime ...  3. Otherwise,
    reset the valid lifetime of the corresponding address to 2 hours." """
    a = host(lab)
    send_ra(lab, ra(opts=(pi(vltime=first, pltime=min(first, 600)),)))
    ia = autoconf(a)[0]
    send_ra(lab, ra(opts=(pi(vltime=second, pltime=min(second, 300)),)))
    now = lab.sched.now // SEC
    remaining = ia.ia6_lifetime.ia6t_expire - now
    assert abs(remaining - expect) <= 1
    assert ia in autoconf(a)


def test_rfc4861_6_3_4_router_lifetime_zero_removes_the_router_and_default_route(lab):
    """RFC 4861 6.3.4: "If the address is already present in the host's Default
    Router List and the received Router Lifetime value is zero, immediately
    time-out the entry" """
    a = host(lab)
    send_ra(lab, ra())
    assert default_gw(a) == T_LL
    send_ra(lab, ra(lifetime=0))
    assert default_gw(a) is None and nd6_rtr.defrouter_list(a.kernel) == []


def test_rfc4861_6_3_5_router_lifetime_expires_in_virtual_time(lab):
    a = host(lab)
    send_ra(lab, ra(lifetime=20))
    lab.run(19 * SEC)
    assert default_gw(a) == T_LL
    lab.run(3 * SEC)
    assert default_gw(a) is None


def test_rfc4191_2_2_high_preference_router_is_chosen(lab):
    """RFC 4191 2.2 / RFC 4861 6.3.6: among (probably) reachable routers the one
    with the highest preference becomes the default."""
    a = host(lab)
    send_ra(lab, ra(flags=ND_RA_FLAG_RTPREF_LOW))
    assert default_gw(a) == T_LL
    send_ra(lab, ra(flags=ND_RA_FLAG_RTPREF_HIGH, src_mac=T2_MAC), src=T2_LL, mac=T2_MAC)
    assert default_gw(a) == T2_LL
    assert [nd6_rtr.rtpref(d) for d in a.kernel.nd6.nd_defrouter] == [1, -1]
    # the high one leaves: back to the low one
    send_ra(lab, ra(lifetime=0, src_mac=T2_MAC), src=T2_LL, mac=T2_MAC)
    assert default_gw(a) == T_LL


def test_rfc4861_6_3_6_a_reachable_router_is_kept_over_an_unknown_one(lab):
    a = host(lab)
    send_ra(lab, ra())
    send_ra(lab, ra(src_mac=None), src=T2_LL, mac=T2_MAC)          # no SLLAO: unknown
    assert default_gw(a) == T_LL


@pytest.mark.parametrize("kw,reason", [
    (dict(src=inet_pton6("2001:db8::1")), "nd6s_ra_badsrc"),
    (dict(hlim=254), "nd6s_ra_badhlim"),
])
def test_rfc4861_6_1_2_ra_from_a_non_link_local_source_or_forwarded_is_ignored(lab, kw, reason):
    """RFC 4861 6.1.2: "IP Source Address is a link-local address. Routers must
    use their link-local address as the source for Router Advertisement"; "The
    IP Hop Limit field has a value of 255" """
    a = host(lab)
    send_ra(lab, ra(opts=(pi(),)), **kw)
    assert autoconf(a) == [] and default_gw(a) is None
    assert getattr(a.kernel.nd6stat, reason) == 1 and a.kernel.icmp6stat.icp6s_badra == 1


@pytest.mark.parametrize("body,reason", [
    (ra(code=1), "nd6s_ra_badcode"),
    (ra()[:15], "nd6s_ra_short"),
    (ra() + bytes((5, 0)) + bytes(6), "nd6s_ra_badopt"),
    (ra() + bytes((3, 5)) + bytes(30), "nd6s_ra_badopt"),
    (ra(src_mac=None) + bytes((1, 2)) + bytes(14), "nd6s_ra_badlladdr"),
])
def test_rfc4861_6_1_2_malformed_ra_is_ignored(lab, body, reason):
    """RFC 4861 6.1.2: "ICMP Code is 0"; "ICMP length (derived from the IP
    length) is 16 or more octets"; "All included options have a length that is
    greater than zero." """
    a = host(lab)
    send_ra(lab, body)
    assert default_gw(a) is None
    assert getattr(a.kernel.nd6stat, reason) == 1 and a.kernel.icmp6stat.icp6s_badra == 1


def test_rfc4861_4_6_2_prefix_option_with_wrong_length_is_skipped_not_fatal(lab):
    a = host(lab)
    bad = bytes((3, 3)) + PrefixInformation(PFX).emit()[2:24]
    send_ra(lab, ra(opts=()) + bad + pi(prefix=inet_pton6("2001:db8:2::")).emit())
    assert [inet_ntop6(ia.ia_addr) for ia in autoconf(a)] == ["2001:db8:2::ff:fe00:a01"]
    assert a.kernel.nd6stat.nd6s_pi_badlen == 1


def test_rfc4861_6_3_4_mtu_option_within_bounds_sets_the_link_mtu(lab):
    """RFC 4861 6.3.4: "hosts SHOULD copy the option's value into LinkMTU so
    long as the value is greater than or equal to the minimum link MTU [IPv6]
    and does not exceed the maximum LinkMTU value" """
    a = host(lab)
    send_ra(lab, ra(opts=(Mtu(1400),)))
    assert IN6_LINKMTU(a.ifp) == 1400
    send_ra(lab, ra(opts=(Mtu(1000),)))
    send_ra(lab, ra(opts=(Mtu(9000),)))
    assert IN6_LINKMTU(a.ifp) == 1400
    assert a.kernel.nd6stat.nd6s_mtu_bad == 2


def test_rfc4861_6_3_4_hop_limit_reachable_and_retrans_from_the_ra(lab):
    """RFC 4861 6.3.4: CurHopLimit, BaseReachableTime (a new random
    ReachableTime) and RetransTimer come from non-zero RA fields."""
    a = host(lab)
    ndi = ND_IFINFO(a.ifp)
    send_ra(lab, ra(chl=128, reach=60000, retrans=2000))
    assert ndi.chlim == 128 and ndi.basereachable == 60000 and ndi.retrans == 2000
    assert 30 <= ndi.reachable <= 90
    # a lower hop limit is refused, as FreeBSD does (and logged)
    send_ra(lab, ra(chl=3))
    assert ndi.chlim == 128 and a.kernel.nd6stat.nd6s_ra_lowhlim == 1
    assert "RA with a lower CurHopLimit" in a.machine.console_text()
    # zero means "unspecified": nothing changes
    send_ra(lab, ra())
    assert ndi.basereachable == 60000 and ndi.retrans == 2000


def test_too_many_prefixes_are_bounded_per_interface(lab):
    a = host(lab)
    sysctl_lookup(a.kernel, "net.inet6.ip6.maxifprefixes", 2)
    opts = tuple(pi(prefix=inet_pton6(f"2001:db8:{i}::")) for i in range(1, 5))
    send_ra(lab, ra(opts=opts))
    assert len(nd6_rtr.prefix_list(a.kernel)) == 2
    assert a.kernel.nd6stat.nd6s_pr_overflow == 2
    assert a.kernel.icmp6stat.icp6s_overflowprfx == 2


# -- Router Solicitation -------------------------------------------------------------------
def test_rfc4861_6_3_7_rs_goes_to_all_routers_with_our_link_layer_address(lab):
    """RFC 4861 6.3.7: an RS to all-routers; "the Source Link-Layer Address
    option ... SHOULD be included" from a valid address, "MUST NOT" from ::."""
    a = host(lab)
    assert nd6_rtr.nd6_rs_output(a.ifp) == 0
    lab.run(5 * MS)
    (t, p), = lab.tap.icmp6(ND_ROUTER_SOLICIT)
    assert p.src == A_LL and p.dst == inet_pton6("ff02::2") and p.hlim == 255
    assert p.icmp[8:16] == bytes((1, 1)) + A_MAC


def test_rfc4861_6_2_6_a_host_ignores_router_solicitations(lab):
    a = host(lab)
    body = bytes((133, 0, 0, 0, 0, 0, 0, 0)) + SourceLinkAddr(T_MAC).emit()
    send_ra(lab, body, dst=inet_pton6("ff02::2"))
    assert entry(a, T_LL) is None


# -- Redirect (RFC 4861 8) ------------------------------------------------------------------
def redirect_host(lab):
    a = host(lab)
    send_ra(lab, ra(opts=(pi(),)))
    lab.settle()
    return a


def redirect(target, dst, mac=B_MAC, code=0):
    return Redirect(target, dst, (TargetLinkAddr(mac), RedirectedHeader(bytes(48))), code).emit()


def test_rfc4861_8_3_redirect_to_a_better_router_installs_a_host_route(lab):
    """RFC 4861 8.3: "the host MUST update its Destination Cache so that
    subsequent traffic goes to the specified Target Address"."""
    a = redirect_host(lab)
    far = inet_pton6("2001:db8:99::7")
    send_ra(lab, redirect(B_LL, far), dst=A_GLOBAL)
    rt = rtlookup(a.kernel, far, 128, 0)
    assert rt is not None and rt.rt_gateway == B_LL
    assert rt.rt_flags & (RTF_HOST | RTF_GATEWAY | RTF_DYNAMIC) == RTF_HOST | RTF_GATEWAY | RTF_DYNAMIC
    assert rt.rt_expire > 0
    # RFC 4861 8.3: the target's link-layer address is cached, IsRouter set
    ln = entry(a, B_LL)
    assert ln.ln_lladdr == B_MAC and ln.ln_router


def test_rfc4861_8_3_redirect_to_the_destination_itself_makes_it_on_link(lab):
    a = redirect_host(lab)
    dst = inet_pton6("2001:db8:77::5")
    send_ra(lab, redirect(dst, dst), dst=A_GLOBAL)
    rt = rtlookup(a.kernel, dst, 128, 0)
    assert rt is not None and not rt.rt_flags & RTF_GATEWAY and rt.rt_ifp is a.ifp
    assert entry(a, dst).ln_lladdr == B_MAC


@pytest.mark.parametrize("kw,body_kw,reason", [
    (dict(src=B_LL, mac=B_MAC), {}, "nd6s_rd_notgw"),
    (dict(src=inet_pton6("2001:db8:1::1")), {}, "nd6s_rd_badsrc"),
    (dict(hlim=64), {}, "nd6s_rd_badhlim"),
    ({}, dict(code=1), "nd6s_rd_badcode"),
    ({}, dict(dst=inet_pton6("ff0e::1")), "nd6s_rd_mcastdst"),
    ({}, dict(target=inet_pton6("2001:db8:5::5")), "nd6s_rd_badtgt"),
])
def test_rfc4861_8_1_invalid_redirects_are_ignored(lab, kw, body_kw, reason):
    """RFC 4861 8.1: "The IP source address of the Redirect is the same as the
    current first-hop router for the specified ICMP Destination Address";
    link-local source; hop limit 255; code 0; destination not multicast;
    target link-local or equal to the destination."""
    a = redirect_host(lab)
    far = inet_pton6("2001:db8:99::7")
    args = dict(target=B_LL, dst=far, code=0)
    args.update(body_kw)
    send_ra(lab, redirect(args["target"], args["dst"], code=args["code"]), dst=A_GLOBAL, **kw)
    assert rtlookup(a.kernel, far, 128, 0) is None
    assert getattr(a.kernel.nd6stat, reason) == 1
    assert a.kernel.icmp6stat.icp6s_badredirect == 1


def test_redirects_are_ignored_with_rediraccept_0(lab):
    a = redirect_host(lab)
    sysctl_lookup(a.kernel, "net.inet6.icmp6.rediraccept", 0)
    far = inet_pton6("2001:db8:99::7")
    send_ra(lab, redirect(B_LL, far), dst=A_GLOBAL)
    assert rtlookup(a.kernel, far, 128, 0) is None
    assert a.kernel.nd6stat.nd6s_rd_ignored == 1


def test_an_active_default_routers_entry_is_not_garbage_collected(lab):
    a = host(lab)
    sysctl_lookup(a.kernel, "net.inet6.icmp6.nd6_gctimer", 10)
    send_ra(lab, ra(lifetime=60))
    lab.run(30 * SEC)
    assert entry(a, T_LL) is not None and default_gw(a) == T_LL
    lab.run(40 * SEC)                      # the router is gone, so is its entry
    assert default_gw(a) is None
    lab.run(20 * SEC)
    assert entry(a, T_LL) is None


def test_prefix_and_router_flush_ioctls(lab):
    from kernel.wire.in6_var import SIOCSPFXFLUSH_IN6, SIOCSRTRFLUSH_IN6, in6_ifreq
    a = host(lab)
    send_ra(lab, ra(opts=(pi(),)))
    assert in6.in6_control(a.kernel, SIOCSRTRFLUSH_IN6, in6_ifreq("em0"), None) == 0
    assert default_gw(a) is None and nd6_rtr.defrouter_list(a.kernel) == []
    assert in6.in6_control(a.kernel, SIOCSPFXFLUSH_IN6, in6_ifreq("em0"), None) == 0
    assert autoconf(a) == [] and nd6_rtr.prefix_list(a.kernel) == []
    assert rtalloc1(a.kernel, inet_pton6("2001:db8:1::9"), 0) is None


def test_in6_ifdetach_forgets_everything_of_the_interface(lab):
    from kernel.netinet6.in6_ifattach import in6_ifdetach
    a = host(lab)
    send_ra(lab, ra(opts=(pi(),)))
    in6_ifdetach(a.ifp)
    assert in6.in6_ifaddrs(a.kernel, a.ifp) == []
    assert default_gw(a) is None and nd6_rtr.prefix_list(a.kernel) == []
    assert entry(a, T_LL) is None
    assert [m for m in a.ifp.if_multiaddrs] == []


def test_two_slaac_hosts_talk_on_link_and_send_off_link_traffic_to_the_router(lab):
    from kernel.wire.icmp6 import ICMP6_ECHO_REPLY, ICMP6_ECHO_REQUEST
    from tests.kernel.netinet6.nd6_harness import echo_request, send_ip6
    a = lab.host6("a", A_MAC, up=False)
    b = lab.host6("b", B_MAC, up=False)
    for h in (a, b):
        sysctl_lookup(h.kernel, "net.inet6.ip6.accept_rtadv", 1)
        lab.up6(h)
    lab.settle()
    send_ra(lab, ra(opts=(pi(),)))
    lab.settle()
    b_global = inet_pton6("2001:db8:1::ff:fe00:b01")
    assert in6.in6ifa_ifwithaddr(b.kernel, b_global, 0).ia6_flags == IN6_IFF_AUTOCONF
    lab.tap.clear()
    assert send_ip6(a, A_GLOBAL, b_global, echo_request()) == 0
    lab.run(10 * MS)
    assert b.kernel.icmp6stat.icp6s_inhist[ICMP6_ECHO_REQUEST] == 1
    assert a.kernel.icmp6stat.icp6s_inhist[ICMP6_ECHO_REPLY] == 1
    lab.tap.clear()
    far = inet_pton6("2001:db8:99::1")
    assert send_ip6(a, A_GLOBAL, far, echo_request()) == 0
    lab.run(10 * MS)
    (t, p), = lab.tap.icmp6(ICMP6_ECHO_REQUEST)
    assert p.dst == far and p.edst == T_MAC          # through the default router
