"""kernel/netinet6/mld6.py (with igmp.py's mcast_host): the MLDv2 host, MLDv1 compatibility.

A V6Lab host "a" on a segment with a tap, which plays the MLD querier and
the other listeners.  Times are virtual; the host joins through a socket
(RFC 3678 options) unless the test is about the kernel's own joins.
"""
from __future__ import annotations

import pytest

from kernel.kern.kern_sysctl import sysctl_lookup
from kernel.wire.icmp6 import MLD_LISTENER_DONE, MLD_LISTENER_REPORT, MLDV2_LISTENER_REPORT
from kernel.wire.in6 import in6_solicited_node
from kernel.wire.in6_sockopt import IPV6_JOIN_GROUP, IPV6_LEAVE_GROUP, ipv6_mreq
from kernel.wire.in_mcast import (IPV6_MSFILTER, MCAST_EXCLUDE, MCAST_INCLUDE, MCAST_JOIN_GROUP,
                                  MCAST_JOIN_SOURCE_GROUP, MCAST_LEAVE_GROUP, msfilterreq)
from kernel.wire.in6 import sockaddr_in6
from kernel.wire.mld6 import (MLD_ALLOW_NEW_SOURCES, MLD_CHANGE_TO_EXCLUDE_MODE,
                              MLD_CHANGE_TO_INCLUDE_MODE, MLD_MODE_IS_EXCLUDE, MLD_MODE_IS_INCLUDE,
                              MLD_VERSION_1, MLD_VERSION_2, MldV1Message, MldV2Query,
                              mld_mrc_encode)
from tests.kernel.netinet6.mld_lab import a  # noqa: F401 - the fixture
from tests.kernel.netinet6.mld_lab import (ALL_MLDV2_ROUTERS, ALL_NODES, A, gsreq, greq,
                                           mld_frame, mld_seen, setopt, udp6, v1_query, v2_query)
from tests.kernel.netinet6.nd6_harness import A_LL, A_MAC, MS, SEC, T_LL

G = "ff15::1:2"
G2 = "ff15::1:3"
S1, S2, S3 = "2001:db8::1", "2001:db8::2", "2001:db8::3"




def ifinfo(h):
    (info,) = [i for i in sysctl_lookup(h.kernel, "net.inet6.mld.ifinfo")
               if i.mli_ifindex == h.ifp.if_index]
    return info


def reports(lab, since=0):
    return [s for s in mld_seen(lab.tap, since) if s.type == MLDV2_LISTENER_REPORT]


def test_rfc3810_6_1_join_sends_a_state_change_report_at_once_then_robustness_retransmissions(lab, a):
    """RFC 3810 6.1: "the node immediately transmits a State Change Report"
    (a join is INCLUDE {} -> EXCLUDE {}: CHANGE_TO_EXCLUDE_MODE), "retransmitted
    [Robustness Variable] - 1 more times, at intervals chosen at random from the
    range (0, [Unsolicited Report Interval])" — RV 2, interval 1 s."""
    so = udp6(a)
    t0 = lab.sched.now
    setopt(so, MCAST_JOIN_GROUP, greq(a, G))
    lab.run(1 * MS)
    first = reports(lab)
    assert [s.records() for s in first] == [[(MLD_CHANGE_TO_EXCLUDE_MODE, A(G), ())]]
    assert first[0].t - t0 < 1 * MS
    lab.run(5 * SEC)
    seen = reports(lab)
    assert len(seen) == 2 and seen[1].records() == seen[0].records()
    assert 0 < seen[1].t - seen[0].t <= 1 * SEC
    assert a.kernel.mldstat.mlds_snd_reports >= 2


def test_rfc3810_5_reports_have_link_local_source_hop_limit_1_router_alert_to_ff02_16(lab, a):
    """RFC 3810 5: "All MLDv2 messages described in this document MUST be sent
    with a link-local IPv6 Source Address, an IPv6 Hop Limit of 1, and an IPv6
    Router Alert option in a Hop-by-Hop Options header"; 5.2.14: Reports go to
    FF02::16."""
    setopt(udp6(a), MCAST_JOIN_GROUP, greq(a, G))
    lab.run(10 * MS)
    (s,) = reports(lab)
    assert (s.src, s.dst, s.hlim, s.ra) == (A_LL, ALL_MLDV2_ROUTERS, 1, True)
    assert s.edst == bytes.fromhex("333300000016")


def test_rfc3810_6_1_leave_is_to_in_empty_retransmitted_and_the_link_layer_group_goes(lab, a):
    """RFC 3810 6.1: leaving is EXCLUDE {} -> INCLUDE {}: CHANGE_TO_INCLUDE_MODE
    with no sources, [Robustness Variable] times; the NIC filter loses the group."""
    so = udp6(a)
    setopt(so, IPV6_JOIN_GROUP, ipv6_mreq(A(G), a.ifp.if_index))
    lab.run(3 * SEC)
    assert a.ifp.if_findmulti(bytes.fromhex("333300010002")) is not None
    t = lab.sched.now
    setopt(so, IPV6_LEAVE_GROUP, ipv6_mreq(A(G), a.ifp.if_index))
    assert a.ifp.if_findmulti(bytes.fromhex("333300010002")) is None
    lab.run(3 * SEC)
    leaves = reports(lab, t)
    assert [s.records() for s in leaves] == [[(MLD_CHANGE_TO_INCLUDE_MODE, A(G), ())]] * 2


def test_rfc3810_6_1_source_list_change_sends_allow_then_merges_later_changes(lab, a):
    """RFC 3810 6.1: "INCLUDE (A) -> INCLUDE (B): ALLOW (B-A), BLOCK (A-B)"; a
    change while retransmissions are pending is sent at once, with the sources
    still due their retransmissions."""
    so = udp6(a)
    t = lab.sched.now
    setopt(so, MCAST_JOIN_SOURCE_GROUP, gsreq(a, G, S1))
    setopt(so, MCAST_JOIN_SOURCE_GROUP, gsreq(a, G, S2))
    lab.run(5 * SEC)
    seen = [s.records() for s in reports(lab, t)]
    assert seen[0] == [(MLD_ALLOW_NEW_SOURCES, A(G), (A(S1),))]
    assert seen[1] == [(MLD_ALLOW_NEW_SOURCES, A(G), (A(S1), A(S2)))]
    # S1 was due one more, S2 two more: {S1, S2} once more, then S2 alone
    assert seen[2:] == [[(MLD_ALLOW_NEW_SOURCES, A(G), (A(S2),))]]


def test_rfc3810_6_2_general_query_answered_within_max_response_delay_with_current_state(lab, a):
    """RFC 3810 6.2: the response to a General Query goes after "a random value
    in the range [0, Maximum Response Delay]" and (6.3) holds a Current State
    Record for every group: MODE_IS_EXCLUDE for an any-source join; ff02::1 is
    never reported (RFC 3810 6)."""
    so = udp6(a)
    setopt(so, MCAST_JOIN_GROUP, greq(a, G))
    setopt(so, MCAST_JOIN_SOURCE_GROUP, gsreq(a, G2, S1))
    lab.run(3 * SEC)
    t = lab.sched.now
    lab.tap.send(mld_frame(v2_query(mrd_ms=2000)))
    lab.run(3 * SEC)
    (s,) = reports(lab, t)
    assert 0 < s.t - t <= 2 * SEC
    assert sorted(s.records()) == sorted([
        (MLD_MODE_IS_EXCLUDE, A(G), ()),
        (MLD_MODE_IS_INCLUDE, A(G2), (A(S1),)),
        (MLD_MODE_IS_EXCLUDE, in6_solicited_node(A_LL), ())])
    assert all(r[1] != ALL_NODES for r in s.records())
    assert a.kernel.mldstat.mlds_rcv_gen_queries == 1


@pytest.mark.parametrize("mode,sources,query,answer", [
    (MCAST_INCLUDE, (S1, S2), (S2, S3), (S2,)),          # INCLUDE (A): IS_IN (A*B)
    (MCAST_EXCLUDE, (S1,), (S1, S3), (S3,)),             # EXCLUDE (A): IS_IN (B-A)
    (MCAST_INCLUDE, (S1,), (S3,), None),                 # nothing to say: no response
])
def test_rfc3810_6_3_address_and_source_specific_query_answer(lab, a, mode, sources, query, answer):
    """RFC 3810 6.3: the answer to a Multicast Address and Source Specific Query
    about sources B: "INCLUDE (A): IS_IN (A*B)", "EXCLUDE (A): IS_IN (B-A)";
    an empty answer is not sent."""
    so = udp6(a)
    setopt(so, MCAST_JOIN_GROUP, greq(a, G))
    setopt(so, IPV6_MSFILTER, msfilterreq(a.ifp.if_index, sockaddr_in6(A(G)), mode, len(sources),
                                          tuple(sockaddr_in6(A(s)) for s in sources)))
    lab.run(3 * SEC)
    t = lab.sched.now
    lab.tap.send(mld_frame(v2_query(G, query, mrd_ms=500), dst=A(G)))
    lab.run(2 * SEC)
    got = [s.records() for s in reports(lab, t)]
    if answer is None:
        assert got == []
    else:
        assert got == [[(MLD_MODE_IS_INCLUDE, A(G), tuple(A(x) for x in answer))]]
        (s,) = reports(lab, t)
        assert s.t - t <= 500 * MS
    assert a.kernel.mldstat.mlds_rcv_gsr_queries == 1


def test_rfc3810_6_2_rule_1_a_pending_general_response_sooner_absorbs_a_group_query(lab, a):
    """RFC 3810 6.2 rule 1: "If there is a pending response to a previous General
    Query scheduled sooner than the selected delay, no additional response needs
    to be scheduled." """
    setopt(udp6(a), MCAST_JOIN_GROUP, greq(a, G))
    lab.run(3 * SEC)
    t = lab.sched.now
    lab.tap.send(mld_frame(v2_query(mrd_ms=1)))                 # due within 1 ms
    lab.tap.send(mld_frame(v2_query(G, mrd_ms=5000), dst=A(G)))
    lab.run(6 * SEC)
    assert len(reports(lab, t)) == 1


def test_rfc3810_9_1_host_adopts_the_queriers_robustness_variable(lab, a):
    """RFC 3810 5.1.8/9.1: the host uses the QRV of the last Query: with QRV 3 a
    join is reported three times."""
    lab.tap.send(mld_frame(v2_query(mrd_ms=10, qrv=3)))
    lab.run(1 * SEC)
    t = lab.sched.now
    setopt(udp6(a), MCAST_JOIN_GROUP, greq(a, G))
    lab.run(5 * SEC)
    assert len(reports(lab, t)) == 3


def test_rfc3810_8_2_1_mldv1_query_switches_to_v1_then_back_after_older_version_querier_present(lab, a):
    """RFC 3810 8.2.1: an MLDv1 Query puts the interface in MLDv1 mode (reports
    are RFC 2710 Reports to the group, answered within the Maximum Response
    Delay) for the Older Version Querier Present Timeout — RV * QI + QRI = 2 *
    125 + 10 = 260 s (9.12) — then the host is MLDv2 again."""
    so = udp6(a)
    setopt(so, MCAST_JOIN_GROUP, greq(a, G))
    lab.run(3 * SEC)
    t = lab.sched.now
    lab.tap.send(mld_frame(v1_query(mrd_ms=1000)))
    lab.run(2 * SEC)
    v1 = [s for s in mld_seen(lab.tap, t) if s.type == MLD_LISTENER_REPORT]
    assert sorted(s.msg.addr for s in v1) == sorted([A(G), in6_solicited_node(A_LL)])
    assert all(s.dst == s.msg.addr and s.hlim == 1 and s.ra and s.t - t <= SEC for s in v1)
    info = ifinfo(a)
    assert info.mli_version == MLD_VERSION_1 and 250 <= info.mli_v1_timer <= 260
    # a join in MLDv1 mode: an MLDv1 Report at once, one more within 10 s (RFC 2710 4)
    t = lab.sched.now
    setopt(so, MCAST_JOIN_GROUP, greq(a, G2))
    lab.run(11 * SEC)
    assert [s.msg.addr for s in mld_seen(lab.tap, t)] == [A(G2), A(G2)]
    lab.run(250 * SEC)
    info = ifinfo(a)
    assert info.mli_version == MLD_VERSION_2
    t = lab.sched.now
    setopt(so, MCAST_LEAVE_GROUP, greq(a, G2))
    lab.run(10 * MS)
    assert [s.type for s in mld_seen(lab.tap, t)] == [MLDV2_LISTENER_REPORT]


def test_rfc3810_8_2_1_mldv2_queries_are_ignored_in_mldv1_mode(lab, a):
    setopt(udp6(a), MCAST_JOIN_GROUP, greq(a, G))
    lab.tap.send(mld_frame(v1_query(mrd_ms=1)))
    lab.run(3 * SEC)
    t = lab.sched.now
    lab.tap.send(mld_frame(v2_query(mrd_ms=100)))
    lab.run(1 * SEC)
    assert mld_seen(lab.tap, t) == []
    assert a.kernel.mldstat.mlds_rcv_v2_queries == 1


def test_rfc2710_4_report_suppression_by_another_listeners_report(lab, a):
    """RFC 2710 4: "If the node receives another node's Report from an interface
    for a multicast address while it has a timer running for that same address
    on that interface, it stops its timer and does not send a Report"; then,
    not being the last reporter, it sends no Done when it leaves."""
    so = udp6(a)
    setopt(so, MCAST_JOIN_GROUP, greq(a, G))
    lab.tap.send(mld_frame(v1_query(mrd_ms=1)))        # MLDv1 mode
    lab.run(12 * SEC)
    t = lab.sched.now
    lab.tap.send(mld_frame(v1_query(G, mrd_ms=5000), dst=A(G)))
    lab.run(1 * MS)
    other = MldV1Message(MLD_LISTENER_REPORT, A(G))
    lab.tap.send(mld_frame(other, dst=A(G), src=A("fe80::77")))
    lab.run(6 * SEC)
    assert [s for s in mld_seen(lab.tap, t) if s.src == A_LL] == []
    setopt(so, MCAST_LEAVE_GROUP, greq(a, G))
    lab.run(1 * SEC)
    assert [s for s in mld_seen(lab.tap, t) if s.src == A_LL] == []


def test_rfc2710_4_last_reporter_sends_done_to_all_routers_when_it_leaves(lab, a):
    """RFC 2710 4: "When a node ceases to listen ... it SHOULD send a Done
    message to the link-scope all-routers address (FF02::2)" if it was the last
    to report."""
    so = udp6(a)
    lab.tap.send(mld_frame(v1_query(mrd_ms=1)))
    lab.run(1 * SEC)
    setopt(so, MCAST_JOIN_GROUP, greq(a, G))
    lab.run(12 * SEC)
    t = lab.sched.now
    setopt(so, MCAST_LEAVE_GROUP, greq(a, G))
    lab.run(10 * MS)
    (s,) = mld_seen(lab.tap, t)
    assert (s.type, s.dst, s.msg.addr, s.hlim, s.ra) == (MLD_LISTENER_DONE, A("ff02::2"), A(G), 1, True)


def test_rfc3810_6_interface_local_and_all_nodes_groups_are_never_reported(lab, a):
    """RFC 3810 6: "MLD messages are never sent for multicast addresses whose
    scope is 0 (reserved) or 1 (node-local)"; ff02::1 is a special case, never
    reported (RFC 2710 5)."""
    so = udp6(a)
    setopt(so, MCAST_JOIN_GROUP, greq(a, "ff01::1:5"))
    lab.run(3 * SEC)
    assert reports(lab) == []
    lab.tap.send(mld_frame(v2_query(mrd_ms=100)))
    lab.run(1 * SEC)
    groups = {r[1] for s in reports(lab) for r in s.records()}
    assert A("ff01::1:5") not in groups and ALL_NODES not in groups and groups


def test_rfc3590_4_and_rfc4862_5_4_2_report_from_unspecified_before_the_dad_ns(lab):
    """RFC 4862 5.4.2: the node joins the solicited-node group of a tentative
    address before its DAD NS — and the join is reported (RFC 3810 6.1) from
    the unspecified address, as no link-local address is ready (RFC 3590 4);
    the report goes before the Neighbor Solicitation."""
    h = lab.host6("a", A_MAC)
    lab.settle()
    sol = in6_solicited_node(A_LL)
    reps = [s for s in reports(lab) if any(r[1] == sol for r in s.records())]
    assert reps and reps[0].src == bytes(16) and reps[0].records()[0][0] == MLD_CHANGE_TO_EXCLUDE_MODE
    (ns,) = [t for t, p in lab.tap.icmp6(135)]
    assert reps[0].t < ns
    assert h.kernel.mldstat.mlds_snd_reports >= 2


@pytest.mark.parametrize("frame,counter", [
    (lambda: mld_frame(v2_query(), hlim=255), "mlds_rcv_badttl"),          # RFC 3810 5.1.14
    (lambda: mld_frame(v2_query(), ra=False), "mlds_rcv_nora"),            # no Router Alert
    (lambda: mld_frame(v2_query(), src=A("2001:db8::9")), "mlds_rcv_badqueries"),  # not link-local
    (lambda: mld_frame(v2_query().emit(T_LL, ALL_NODES)[:26]), "mlds_rcv_badqueries"),  # 26 octets
    (lambda: mld_frame(v2_query(None, (S1,))), "mlds_rcv_badqueries"),    # general, with sources
    (lambda: mld_frame(v2_query(G)), "mlds_rcv_badqueries"),              # specific, to ff02::1
    (lambda: mld_frame(v2_query().emit(T_LL, ALL_NODES)[:24] + bytes((0, 0x7d, 0, 9)) + bytes(16)),
     "mlds_rcv_badqueries"),                                               # 9 sources, 1 present
    (lambda: mld_frame(MldV1Message(MLD_LISTENER_REPORT, A(G)), dst=A(G2)), "mlds_rcv_badreports"),
])
def test_rfc3810_5_1_14_malformed_mld_is_dropped_and_counted(lab, a, frame, counter):
    """RFC 3810 5.1.14: "If any of these checks fails, the packet is dropped";
    8.1: Queries of other lengths "MUST be silently ignored"."""
    setopt(udp6(a), MCAST_JOIN_GROUP, greq(a, G2))
    setopt(udp6(a), MCAST_JOIN_GROUP, greq(a, G))
    lab.run(3 * SEC)
    t = lab.sched.now
    lab.tap.send(frame())
    lab.run(3 * SEC)
    assert getattr(a.kernel.mldstat, counter) == 1
    assert reports(lab, t) == [] and lab.panics() == []


def test_rfc3810_5_2_15_a_long_source_list_is_split_across_reports_that_fit_the_mtu(lab, a):
    """RFC 3810 5.2.15: a report must fit the link MTU; records with too many
    sources are split (1500 octets: 89 sources per record)."""
    so = udp6(a)
    sysctl_lookup(a.kernel, "net.inet6.ip6.mcast.maxsocksrc", 200)
    sysctl_lookup(a.kernel, "net.inet6.ip6.mcast.maxgrpsrc", 200)
    setopt(so, MCAST_JOIN_GROUP, greq(a, G))
    srcs = tuple(sockaddr_in6(A(f"2001:db8::{i:x}")) for i in range(1, 101))
    t = lab.sched.now
    setopt(so, IPV6_MSFILTER, msfilterreq(a.ifp.if_index, sockaddr_in6(A(G)), MCAST_INCLUDE, 100, srcs))
    lab.run(1 * MS)
    first = [s for s in reports(lab, t) if s.records()[0][0] == MLD_CHANGE_TO_INCLUDE_MODE]
    # EXCLUDE {} -> INCLUDE {100}: TO_IN, split in two records in two reports
    assert [len(s.records()[0][2]) for s in first] == [89, 11]
    assert all(len(f) <= 1514 for _, f in lab.tap.frames)


def test_mld_v2enable_0_makes_an_rfc2710_host(lab, a):
    sysctl_lookup(a.kernel, "net.inet6.mld.v2enable", 0)
    t = lab.sched.now
    setopt(udp6(a), MCAST_JOIN_GROUP, greq(a, G))
    lab.run(10 * MS)
    (s,) = mld_seen(lab.tap, t)
    assert s.type == MLD_LISTENER_REPORT and s.msg.addr == A(G)


def test_mld_capture_of_a_join_query_and_leave_is_clean_in_tshark(lab, a, tmp_path):
    """The messages as Wireshark decodes them (the suite runs tshark on the file)."""
    lab.seg.capture_to(tmp_path / "mld.pcap")
    so = udp6(a)
    setopt(so, MCAST_JOIN_SOURCE_GROUP, gsreq(a, G, S1))
    setopt(so, MCAST_JOIN_GROUP, greq(a, G2))
    lab.run(2 * SEC)
    # a Maximum Response Code of 40 s needs the exponential form (RFC 3810 5.1.3)
    lab.tap.send(mld_frame(MldV2Query(bytes(16), mld_mrc_encode(40000))))
    lab.tap.send(mld_frame(v2_query(G, (S1, S3), mrd_ms=100), dst=A(G)))
    lab.run(45 * SEC)
    lab.tap.send(mld_frame(v1_query(mrd_ms=100)))
    lab.run(2 * SEC)
    setopt(so, MCAST_LEAVE_GROUP, greq(a, G2))
    lab.run(1 * SEC)
    assert lab.panics() == []
    assert a.kernel.mldstat.mlds_snd_reports >= 6


def test_rfc4862_5_4_2_a_delayed_join_reports_after_its_random_delay_and_dad_waits_for_it(lab, a):
    """RFC 4862 5.4.2: for an address configured from a Router Advertisement
    "the node SHOULD delay joining the solicited-node multicast address by a
    random delay between 0 and MAX_RTR_SOLICITATION_DELAY" — the join's MLD
    report waits, and the DAD NS goes after it (FreeBSD's in6_update_ifa)."""
    from kernel.netinet6 import in6
    from kernel.netinet6.in6_var import IN6_IFAUPDATE_DADDELAY
    from kernel.wire.in6 import in6_prefix_mask
    from kernel.wire.in6_var import in6_addrlifetime, in6_aliasreq
    addr = A("2001:db8::77")
    sol = in6_solicited_node(addr)
    t = lab.sched.now
    req = in6_aliasreq("em0", sockaddr_in6(addr), ifra_prefixmask=sockaddr_in6(in6_prefix_mask(64)),
                       ifra_lifetime=in6_addrlifetime())
    assert in6.in6_update_ifa(a.ifp, req, None, IN6_IFAUPDATE_DADDELAY) == 0
    assert in6.in6m_lookup(a.ifp, sol) is not None             # joined (and filtered) at once
    lab.run(3 * SEC)
    rep = [s for s in reports(lab, t) if (MLD_CHANGE_TO_EXCLUDE_MODE, sol, ()) in s.records()]
    (ns,) = [tt for tt, p in lab.tap.icmp6(135) if tt > t and p.icmp[8:24] == addr]
    assert len(rep) == 2 and rep[0].src == A_LL               # from the ready link-local address
    assert t < rep[0].t < ns <= t + 2 * SEC


def test_groups_joined_while_the_interface_is_down_are_reported_when_it_comes_up(lab, a):
    """A report cannot leave a down interface; when it comes up (in6_if_up) the
    groups are reported as joins (and the NIC filter had them all along)."""
    from kernel.wire.net_if import IFF
    assert a.setflags(off=IFF.UP) == 0
    setopt(udp6(a), MCAST_JOIN_GROUP, greq(a, G))
    assert a.ifp.if_findmulti(bytes.fromhex("333300010002")) is not None
    lab.run(3 * SEC)
    assert reports(lab) == []
    t = lab.sched.now
    lab.up6(a)
    lab.run(10 * MS)
    assert [(MLD_CHANGE_TO_EXCLUDE_MODE, A(G), ())] in [s.records() for s in reports(lab, t)]
