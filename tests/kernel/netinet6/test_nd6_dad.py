"""Link-local addresses and Duplicate Address Detection over real em NICs
(RFC 4291 2.5.1 / appendix A, RFC 4862 5.3, 5.4, RFC 7527)."""
from __future__ import annotations

from emu.sched import MS, SEC
from kernel.netinet6 import in6
from kernel.netinet6.in6_ifattach import in6_eui64
from kernel.netinet6.nd6 import ND_IFINFO
from kernel.wire.in6 import in6_solicited_node, inet_ntop6
from kernel.wire.in6_var import (IN6_IFF_DUPLICATED, IN6_IFF_TENTATIVE, ND6_IFF_IFDISABLED,
                                 SIOCSIFINFO_FLAGS, in6_ndireq)
from kernel.wire.nd6 import ND_NA_FLAG_OVERRIDE, ND_NEIGHBOR_ADVERT, ND_NEIGHBOR_SOLICIT, ND_OPT
from tests.kernel.netinet6.nd6_harness import A_LL, A_MAC, B_LL, T_MAC, frame, na_body, ns_body

UNSPEC = bytes(16)
ALLNODES = bytes.fromhex("ff020000000000000000000000000001")


def ll_ia(h):
    return in6.in6ifa_ifpforlinklocal(h.ifp)


def test_rfc4291_appendix_a_modified_eui64_inverts_the_universal_local_bit():
    """RFC 4291 appendix A: "34-56-78-9A-BC-DE" becomes "36-56-78-FF-FE-9A-BC-DE"."""
    assert in6_eui64(bytes.fromhex("3456789abcde")) == bytes.fromhex("365678fffe9abcde")
    assert in6_eui64(bytes.fromhex("020000000a01")) == bytes.fromhex("000000fffe000a01")


def test_rfc4862_5_3_link_local_address_is_fe80_and_the_interface_identifier(lab):
    """RFC 4862 5.3: "A link-local address is formed by combining the well-known
    link-local prefix FE80::0 [...] with an interface identifier"."""
    a = lab.host6("a", A_MAC)
    ia = ll_ia(a)
    assert ia.ia_addr == A_LL and inet_ntop6(ia.ia_addr) == "fe80::ff:fe00:a01"
    assert ia.ia_prefixlen == 64 and ia.ia_zone == a.ifp.if_index
    # RFC 4861 7.2.1: the solicited-node group is joined at the link layer
    assert a.ifp.if_findmulti(bytes.fromhex("3333ff000a01")) is not None
    assert in6.in6m_lookup(a.ifp, in6_solicited_node(A_LL)) is not None


def test_rfc4862_5_4_dad_completes_after_delay_plus_dad_count_retrans_timers(lab):
    """RFC 4862 5.4: the address is tentative until DupAddrDetectTransmits NS,
    RetransTimer apart, drew no answer; the first after a random delay in
    [0, MAX_RTR_SOLICITATION_DELAY] (5.4.2)."""
    a = lab.host6("a", A_MAC)
    t0 = lab.sched.now
    assert ll_ia(a).ia6_flags & IN6_IFF_TENTATIVE
    lab.run(1000 * MS)                              # the random delay is below 1 s
    ns = lab.tap.icmp6(ND_NEIGHBOR_SOLICIT)
    assert len(ns) == 1
    t_ns, p = ns[0]
    assert 0 <= t_ns - t0 < SEC
    # RFC 4862 5.4.2: source unspecified, destination solicited-node, hop limit 255
    assert p.src == UNSPEC and p.dst == in6_solicited_node(A_LL) and p.hlim == 255
    assert p.icmp[8:24] == A_LL
    opts = p.icmp[24:]
    assert opts[0] == ND_OPT.NONCE            # RFC 7527 nonce; no source link-layer option
    assert ll_ia(a).ia6_flags & IN6_IFF_TENTATIVE
    retrans = ND_IFINFO(a.ifp).retrans * MS
    lab.run(t_ns + retrans - lab.sched.now - MS)
    assert ll_ia(a).ia6_flags & IN6_IFF_TENTATIVE      # not before RetransTimer has passed
    lab.run(2 * MS)
    assert not ll_ia(a).ia6_flags & IN6_IFF_TENTATIVE
    assert a.kernel.nd6stat.nd6s_dad_ok == 1


def test_rfc4862_5_1_dad_count_sends_that_many_solicitations(lab):
    """RFC 4862 5.1: DupAddrDetectTransmits solicitations (sysctl net.inet6.ip6.dad_count)."""
    from kernel.kern.kern_sysctl import sysctl_lookup
    a = lab.host6("a", A_MAC, up=False)
    sysctl_lookup(a.kernel, "net.inet6.ip6.dad_count", 3)
    lab.up6(a)
    lab.run(int(4.5 * SEC))
    times = [t for t, _ in lab.tap.icmp6(ND_NEIGHBOR_SOLICIT)]
    assert len(times) == 3
    assert [b - a_ for a_, b in zip(times, times[1:])] == [SEC, SEC]
    assert not ll_ia(a).ia6_flags & IN6_IFF_TENTATIVE


def test_rfc4862_5_4_dad_count_zero_skips_dad(lab):
    from kernel.kern.kern_sysctl import sysctl_lookup
    a = lab.host6("a", A_MAC, up=False)
    sysctl_lookup(a.kernel, "net.inet6.ip6.dad_count", 0)
    lab.up6(a)
    assert not ll_ia(a).ia6_flags & IN6_IFF_TENTATIVE
    lab.run(2 * SEC)
    assert lab.tap.icmp6(ND_NEIGHBOR_SOLICIT) == []


def test_rfc4862_5_4_5_twin_mac_is_detected_and_ipv6_disabled(lab):
    """RFC 4862 5.4.5: "If the address is a link-local address formed from an
    interface identifier based on the hardware address [...] IP operation on
    the interface SHOULD be disabled." """
    a = lab.host6("a", A_MAC)
    lab.settle()
    assert ll_ia(a).ia6_flags == 0
    twin = lab.host6("twin", A_MAC)             # a second device with the same MAC
    lab.settle()
    ia = ll_ia(twin)
    assert ia.ia6_flags & IN6_IFF_DUPLICATED and not ia.ia6_flags & IN6_IFF_TENTATIVE
    assert ND_IFINFO(twin.ifp).flags & ND6_IFF_IFDISABLED
    out = twin.machine.console_text()
    assert ("em0: DAD detected duplicate IPv6 address fe80::ff:fe00:a01: "
            "NS in/out/loopback=0/1/0, NA in=1") in out
    assert "em0: possible hardware address duplication detected, disable IPv6" in out
    assert twin.kernel.nd6stat.nd6s_dad_dup == 1
    # a (the owner) answered with an NA to all-nodes, Solicited clear (RFC 4861 7.2.4)
    na = [p for _, p in lab.tap.icmp6(ND_NEIGHBOR_ADVERT)]
    assert na and na[0].dst == ALLNODES
    flags = int.from_bytes(na[0].icmp[4:8], "big")
    assert flags == ND_NA_FLAG_OVERRIDE
    assert ll_ia(a).ia6_flags == 0              # the owner keeps its address
    # IPv6 is off on the twin: nothing more leaves it
    n = len(lab.tap.frames)
    from kernel.netinet6.nd6 import nd6_output_ifp
    from kernel.kern.uipc_mbuf import mbuf
    assert nd6_output_ifp(twin.ifp, twin.ifp, mbuf(bytes(60)), B_LL) != 0
    assert twin.kernel.nd6stat.nd6s_out_disabled == 1
    lab.run(SEC)
    assert len(lab.tap.frames) == n


def test_rfc4862_5_4_3_simultaneous_dad_both_see_a_duplicate(lab):
    """RFC 4862 5.4.3: a DAD NS from another node for our tentative address
    means the address is not unique — for both nodes."""
    a = lab.host6("a", A_MAC, up=False)
    b = lab.host6("b", A_MAC, up=False)
    # same random delay cannot be forced, so start DAD by hand at the same time
    for h in (a, b):
        h.up()
        from kernel.netinet6.in6_ifattach import in6_ifattach
        in6_ifattach(h.ifp)          # address added, DAD started with a random delay
    lab.settle()
    assert ll_ia(a).ia6_flags & IN6_IFF_DUPLICATED
    assert ll_ia(b).ia6_flags & IN6_IFF_DUPLICATED
    assert "NS in/out/loopback=1/1/0, NA in=0" in a.machine.console_text()


def test_rfc7527_own_looped_back_ns_is_not_a_duplicate(lab):
    """RFC 4862 5.4.3 / RFC 7527 4.2: a DAD NS carrying our own nonce is our NS
    looped back and MUST NOT make the address a duplicate."""
    a = lab.host6("a", A_MAC)
    lab.run(1000 * MS)
    _, p = lab.tap.icmp6(ND_NEIGHBOR_SOLICIT)[0]
    lab.tap.send(frame(T_MAC, p.src, p.dst, p.icmp))        # reflect it back
    lab.settle()
    assert ll_ia(a).ia6_flags == 0
    assert a.kernel.nd6stat.nd6s_dad_loopback == 1


def test_rfc4862_5_4_3_dad_ns_from_another_node_makes_it_a_duplicate(lab):
    a = lab.host6("a", A_MAC)
    lab.run(10 * MS)
    lab.tap.send(frame(T_MAC, UNSPEC, in6_solicited_node(A_LL), ns_body(A_LL)))
    lab.settle()
    assert ll_ia(a).ia6_flags & IN6_IFF_DUPLICATED


def test_rfc4862_5_4_4_na_for_a_tentative_address_is_a_duplicate(lab):
    a = lab.host6("a", A_MAC)
    lab.run(10 * MS)
    lab.tap.send(frame(T_MAC, B_LL, ALLNODES, na_body(A_LL, ND_NA_FLAG_OVERRIDE, T_MAC)))
    lab.run(10 * MS)
    assert ll_ia(a).ia6_flags & IN6_IFF_DUPLICATED
    assert "NA in=1" in a.machine.console_text()


def test_rfc4862_5_4_3_ns_with_unicast_source_for_tentative_address_is_ignored(lab):
    """RFC 4862 5.4.3: a solicitation for a tentative address from a node doing
    address resolution "MUST be silently ignored" — no NA, no duplicate."""
    a = lab.host6("a", A_MAC)
    lab.run(10 * MS)
    lab.tap.send(frame(T_MAC, B_LL, in6_solicited_node(A_LL), ns_body(A_LL, T_MAC)))
    lab.settle()
    assert ll_ia(a).ia6_flags == 0
    assert lab.tap.icmp6(ND_NEIGHBOR_ADVERT) == []


def test_rfc4862_5_4_5_ifdisabled_stays_while_the_link_local_is_duplicated(lab):
    a = lab.host6("a", A_MAC)
    lab.settle()
    twin = lab.host6("twin", A_MAC)
    lab.settle()
    req = in6_ndireq("em0")
    req.ndi.flags = ND_IFINFO(twin.ifp).flags & ~ND6_IFF_IFDISABLED
    assert in6.in6_control(twin.kernel, SIOCSIFINFO_FLAGS, req, twin.ifp) == 0
    assert ND_IFINFO(twin.ifp).flags & ND6_IFF_IFDISABLED
    assert "Cannot enable an interface with a link-local address marked duplicate" in \
        twin.machine.console_text()
    # once the duplicate is removed, IPv6 comes back with a fresh DAD
    in6.in6_purgeaddr(ll_ia(twin))
    assert in6.in6_control(twin.kernel, SIOCSIFINFO_FLAGS, req, twin.ifp) == 0
    assert not ND_IFINFO(twin.ifp).flags & ND6_IFF_IFDISABLED
    assert ll_ia(twin).ia6_flags & IN6_IFF_TENTATIVE
    lab.settle()
    assert ll_ia(twin).ia6_flags & IN6_IFF_DUPLICATED        # a still owns it


def test_interface_up_again_does_not_add_a_second_link_local(lab):
    a = lab.host6("a", A_MAC)
    lab.settle()
    in6.in6_if_up(a.ifp)
    assert [ia.ia_addr for ia in in6.in6_ifaddrs(a.kernel, a.ifp)] == [A_LL]


def test_loopback_has_localhost_and_fe80_1_without_dad(lab):
    a = lab.host6("a", A_MAC)
    lo = a.kernel.loif
    addrs = {inet_ntop6(ia.ia_addr): ia for ia in in6.in6_ifaddrs(a.kernel, lo)}
    assert set(addrs) == {"::1", "fe80::1"}
    assert all(ia.ia6_flags & IN6_IFF_TENTATIVE == 0 for ia in addrs.values())
    assert in6.in6ifa_ifwithaddr(a.kernel, bytes(15) + b"\x01", lo.if_index) is addrs["::1"]
