"""Address resolution and Neighbor Unreachability Detection (RFC 4861 7.2, 7.3)
over real em NICs, and the NS/NA validation of RFC 4861 7.1."""
from __future__ import annotations

import pytest

from emu.sched import MS, SEC
from kernel.kern.kern_sysctl import sysctl_lookup
from kernel.netinet6 import nd6
from kernel.netinet6.nd6 import ND_IFINFO
from kernel.wire.icmp6 import ICMP6_DST_UNREACH, ICMP6_ECHO_REPLY, ICMP6_ECHO_REQUEST
from kernel.wire.in6 import in6_solicited_node
from kernel.wire.in6_var import (ND6_LLINFO_DELAY, ND6_LLINFO_INCOMPLETE, ND6_LLINFO_PROBE,
                                 ND6_LLINFO_REACHABLE, ND6_LLINFO_STALE)
from kernel.wire.nd6 import (ND_NA_FLAG_OVERRIDE, ND_NA_FLAG_SOLICITED, ND_NEIGHBOR_ADVERT,
                             ND_NEIGHBOR_SOLICIT, ND_OPT, UnknownOption)
from tests.kernel.netinet6.nd6_harness import (A_LL, A_MAC, B_LL, B_MAC, T_LL, T_MAC, echo_request,
                                               entry, frame, na_body, ns_body, send_ip6)

ALLNODES = bytes.fromhex("ff020000000000000000000000000001")


def pair(lab):
    a = lab.host6("a", A_MAC)
    b = lab.host6("b", B_MAC)
    lab.settle()
    lab.tap.clear()
    return a, b


def ping(a, dst, seq=1):
    return send_ip6(a, A_LL, dst, echo_request(seq=seq), zone=a.ifp.if_index)


# -- address resolution (RFC 4861 7.2) ---------------------------------------------------------
def test_rfc4861_7_2_2_resolution_incomplete_then_reachable_and_the_held_packet_goes(lab):
    """RFC 4861 7.2.2: the sender "creates a new entry in INCOMPLETE state,
    sets its link-layer address ... and ... sends a Neighbor Solicitation";
    7.2.5: a solicited NA makes it REACHABLE, and the queued packet is sent."""
    a, b = pair(lab)
    assert ping(a, B_LL) == 0
    ln = entry(a, B_LL)
    assert ln.ln_state == ND6_LLINFO_INCOMPLETE and len(ln.ln_hold) == 1
    lab.run(5 * MS)
    ns = [p for _, p in lab.tap.icmp6(ND_NEIGHBOR_SOLICIT)]
    assert len(ns) == 1
    # RFC 4861 7.2.2: multicast to the solicited-node address, from the source
    # of the held packet, with our link-layer address
    assert ns[0].dst == in6_solicited_node(B_LL) and ns[0].src == A_LL
    assert ns[0].icmp[24:26] == bytes((ND_OPT.SOURCE_LINKADDR, 1)) and ns[0].icmp[26:32] == A_MAC
    na = [p for _, p in lab.tap.icmp6(ND_NEIGHBOR_ADVERT)]
    assert len(na) == 1 and na[0].dst == A_LL
    flags = int.from_bytes(na[0].icmp[4:8], "big")
    assert flags == ND_NA_FLAG_SOLICITED | ND_NA_FLAG_OVERRIDE
    ln = entry(a, B_LL)
    assert ln.ln_state == ND6_LLINFO_REACHABLE and ln.ln_lladdr == B_MAC and not ln.ln_hold
    assert [p.icmp[0] for _, p in lab.tap.icmp6() if p.icmp[0] in (128, 129)] == \
        [ICMP6_ECHO_REQUEST, ICMP6_ECHO_REPLY]
    # RFC 4861 7.2.3: b learned a from the NS's source link-layer address: STALE
    assert entry(b, A_LL).ln_lladdr == A_MAC


def test_rfc4861_7_3_3_reachable_becomes_stale_after_reachable_time(lab):
    """RFC 4861 7.3.3: "When ReachableTime milliseconds have passed since
    receipt of the last reachability confirmation for a neighbor, the
    Neighbor Cache entry's state changes from REACHABLE to STALE." """
    a, b = pair(lab)
    ping(a, B_LL)
    lab.run(5 * MS)
    ln = entry(a, B_LL)
    assert ln.ln_state == ND6_LLINFO_REACHABLE
    reachable = ND_IFINFO(a.ifp).reachable
    # RFC 4861 6.3.2: ReachableTime is random in [0.5, 1.5] x BaseReachableTime
    assert 15 <= reachable <= 45
    lab.run(reachable * SEC - 100 * MS)
    assert ln.ln_state == ND6_LLINFO_REACHABLE
    lab.run(200 * MS)
    assert ln.ln_state == ND6_LLINFO_STALE and ln.ln_lladdr == B_MAC


def test_rfc4861_7_3_3_stale_delay_probe_then_na_makes_it_reachable(lab):
    """RFC 4861 7.3.3: sending to a STALE entry moves it to DELAY; after
    DELAY_FIRST_PROBE_TIME it is PROBE and a unicast NS goes out every
    RetransTimer; a solicited NA makes it REACHABLE."""
    a, b = pair(lab)
    ping(a, B_LL)
    lab.run(5 * MS)
    ln = entry(a, B_LL)
    lab.run((ND_IFINFO(a.ifp).reachable + 1) * SEC)
    assert ln.ln_state == ND6_LLINFO_STALE
    lab.tap.clear()
    ping(a, B_LL, seq=2)
    assert ln.ln_state == ND6_LLINFO_DELAY
    lab.run(5 * SEC - 10 * MS)
    assert ln.ln_state == ND6_LLINFO_DELAY
    # b answered the echo; its reply is no upper-layer confirmation for a (no TCP)
    lab.run(20 * MS)
    assert ln.ln_state in (ND6_LLINFO_PROBE, ND6_LLINFO_REACHABLE)
    probes = [p for _, p in lab.tap.icmp6(ND_NEIGHBOR_SOLICIT) if p.src == A_LL]
    # RFC 4861 7.3.3: the probe is unicast to the cached address
    assert probes and probes[0].dst == B_LL and probes[0].edst == B_MAC
    lab.run(10 * MS)
    assert ln.ln_state == ND6_LLINFO_REACHABLE
    assert ln.ln_asked == 0


def test_rfc4861_7_3_3_probe_without_answer_frees_the_entry(lab):
    """RFC 4861 7.3.3: "If no response is received after waiting RetransTimer
    milliseconds after sending the MAX_UNICAST_SOLICIT solicitations,
    retransmissions cease and the entry SHOULD be deleted." """
    a, b = pair(lab)
    ping(a, B_LL)
    lab.run(5 * MS)
    ln = entry(a, B_LL)
    lab.run((ND_IFINFO(a.ifp).reachable + 1) * SEC)
    b.port.set_link(False)                       # b is gone
    ping(a, B_LL, seq=2)
    lab.tap.clear()
    lab.run(5 * SEC + 10 * MS)
    assert ln.ln_state == ND6_LLINFO_PROBE
    lab.run(3 * SEC)
    probes = [t for t, p in lab.tap.icmp6(ND_NEIGHBOR_SOLICIT) if p.src == A_LL]
    assert len(probes) == 3                      # MAX_UNICAST_SOLICIT
    assert entry(a, B_LL) is None
    assert a.kernel.nd6stat.nd6s_nud_failed == 1


def test_rfc4861_7_2_2_resolution_fails_after_max_multicast_solicit_with_address_unreachable(lab):
    """RFC 4861 7.2.2: "If no Neighbor Advertisement is received after
    MAX_MULTICAST_SOLICIT solicitations, address resolution has failed. The
    sender MUST return ICMP destination unreachable indications with code 3
    (Address Unreachable) for each packet queued awaiting address resolution." """
    a, b = pair(lab)
    for seq in range(3):
        ping(a, T_LL, seq)                       # nobody has T_LL
    lab.run(int(3.5 * SEC))
    ns = [t for t, p in lab.tap.icmp6(ND_NEIGHBOR_SOLICIT) if p.src == A_LL]
    assert len(ns) == 3                          # MAX_MULTICAST_SOLICIT, 1 s apart
    assert [y - x for x, y in zip(ns, ns[1:])] == [SEC, SEC]
    assert entry(a, T_LL) is None
    st = a.kernel.nd6stat
    assert st.nd6s_resolve_failed == 1 and st.nd6s_held_unreach == 3
    assert a.kernel.icmp6stat.icp6s_odst_unreach_addr == 3
    # the errors came back to us (the held packets were ours)
    assert a.kernel.icmp6stat.icp6s_inhist[ICMP6_DST_UNREACH] == 3


def test_rfc4861_7_2_2_hold_queue_is_bounded_oldest_dropped(lab):
    """RFC 4861 7.2.2: "If the queue overflows, the new arrival SHOULD replace
    the oldest entry." — net.inet6.icmp6.nd6_maxqueuelen (16)."""
    a, b = pair(lab)
    for seq in range(20):
        ping(a, B_LL, seq)
    ln = entry(a, B_LL)
    assert len(ln.ln_hold) == 16
    assert a.kernel.nd6stat.nd6s_hold_overflow == 4
    lab.run(50 * MS)
    seqs = [int.from_bytes(p.icmp[6:8], "big") for _, p in lab.tap.icmp6(ICMP6_ECHO_REQUEST)]
    assert seqs == list(range(4, 20))
    sysctl_lookup(a.kernel, "net.inet6.icmp6.nd6_maxqueuelen", 1)
    with pytest.raises(OSError):
        sysctl_lookup(a.kernel, "net.inet6.icmp6.nd6_maxqueuelen", 0)


def test_neighbor_cache_is_bounded_least_recently_used_purged(lab):
    a, b = pair(lab)
    sysctl_lookup(a.kernel, "net.inet6.ip6.neighborgcthresh", 8)
    for i in range(12):
        ping(a, bytes.fromhex("fe80000000000000000000000000%04x" % (i + 0x100)))
    assert len(a.kernel.nd6.llinfo) == 8
    assert a.kernel.nd6stat.nd6s_cache_overflow == 4
    assert a.kernel.icmp6stat.icp6s_overflownndp == 4


def test_rfc4861_7_2_3_ns_with_sllao_creates_stale_entry_and_is_answered(lab):
    """RFC 4861 7.2.3/7.2.4: the recipient "SHOULD create or update the Neighbor
    Cache entry" (STALE) and answers with a solicited NA, to the solicitation's
    source, with its link-layer address since the NS was multicast."""
    a = lab.host6("a", A_MAC)
    lab.settle()
    lab.tap.clear()
    lab.tap.send(frame(T_MAC, T_LL, in6_solicited_node(A_LL), ns_body(A_LL, T_MAC)))
    lab.run(5 * MS)
    ln = entry(a, T_LL)
    # created STALE, then the NA sent to it moved it to DELAY (RFC 4861 7.3.3)
    assert ln.ln_state == ND6_LLINFO_DELAY and ln.ln_lladdr == T_MAC and not ln.ln_router
    na = [p for _, p in lab.tap.icmp6(ND_NEIGHBOR_ADVERT)]
    assert len(na) == 1 and na[0].dst == T_LL and na[0].edst == T_MAC and na[0].hlim == 255
    assert int.from_bytes(na[0].icmp[4:8], "big") == ND_NA_FLAG_SOLICITED | ND_NA_FLAG_OVERRIDE
    assert na[0].icmp[24:32] == bytes((ND_OPT.TARGET_LINKADDR, 1)) + A_MAC


def test_rfc4861_7_2_4_unicast_ns_gets_na_without_tllao_and_override(lab):
    a = lab.host6("a", A_MAC)
    lab.settle()
    lab.tap.clear()
    lab.tap.send(frame(T_MAC, T_LL, A_LL, ns_body(A_LL, T_MAC), edst=A_MAC))
    lab.run(5 * MS)
    na = [p for _, p in lab.tap.icmp6(ND_NEIGHBOR_ADVERT)]
    assert len(na) == 1 and len(na[0].icmp) == 24
    assert int.from_bytes(na[0].icmp[4:8], "big") == ND_NA_FLAG_SOLICITED


def test_rfc4861_7_2_3_ns_for_an_address_not_ours_is_ignored(lab):
    """RFC 4861 7.2.3: a target that is not "a valid unicast or anycast address
    assigned to the receiving interface" — "MUST silently ignore"."""
    a = lab.host6("a", A_MAC)
    lab.settle()
    lab.tap.clear()
    lab.tap.send(frame(T_MAC, T_LL, in6_solicited_node(B_LL), ns_body(B_LL, T_MAC),
                       edst=bytes.fromhex("3333ff000b01")))
    lab.tap.send(frame(T_MAC, T_LL, in6_solicited_node(A_LL), ns_body(B_LL, T_MAC)))
    lab.run(5 * MS)
    assert lab.tap.icmp6(ND_NEIGHBOR_ADVERT) == []
    assert a.kernel.nd6stat.nd6s_ns_notours == 1     # the other never passed the filter


# -- NA processing: RFC 4861 7.2.5 decision table -----------------------------------------
def reachable_entry(lab):
    a, b = pair(lab)
    ping(a, B_LL)
    lab.run(5 * MS)
    ln = entry(a, B_LL)
    assert ln.ln_state == ND6_LLINFO_REACHABLE
    return a, ln


NEW_MAC = bytes.fromhex("02000000bb02")


@pytest.mark.parametrize("flags,lladdr,state,recorded", [
    (0, NEW_MAC, ND6_LLINFO_STALE, B_MAC),                                   # (1)
    (0, B_MAC, ND6_LLINFO_REACHABLE, B_MAC),                                 # (2b)
    (0, None, ND6_LLINFO_REACHABLE, B_MAC),                                  # (2c)
    (ND_NA_FLAG_OVERRIDE, NEW_MAC, ND6_LLINFO_STALE, NEW_MAC),               # (2a) L *->STALE
    (ND_NA_FLAG_SOLICITED, NEW_MAC, ND6_LLINFO_STALE, B_MAC),                # (1)
    (ND_NA_FLAG_SOLICITED | ND_NA_FLAG_OVERRIDE, NEW_MAC, ND6_LLINFO_REACHABLE, NEW_MAC),
])
def test_rfc4861_7_2_5_na_override_table(lab, flags, lladdr, state, recorded):
    """RFC 4861 7.2.5: "If the Override flag is clear and the supplied link-layer
    address differs from that in the cache, then ... If its state is
    REACHABLE, set it to STALE, but do not update the entry in any other way."
    Otherwise the address is recorded and a solicited NA makes it REACHABLE."""
    a, ln = reachable_entry(lab)
    lab.tap.send(frame(T_MAC, B_LL, A_LL, na_body(B_LL, flags, lladdr), edst=A_MAC))
    lab.run(5 * MS)
    assert ln.ln_state == state and ln.ln_lladdr == recorded


def test_rfc4861_7_2_5_router_flag_cleared_removes_the_default_router(lab):
    """RFC 4861 7.2.5: "In those cases where the IsRouter flag changes from TRUE
    to FALSE as a result of this update, the node MUST remove that router from
    the Default Router List"."""
    from kernel.netinet6 import nd6_rtr
    a, ln = reachable_entry(lab)
    k = a.kernel
    ln.ln_router = True
    nd6_rtr.defrtrlist_update(k, nd6_rtr.nd_defrouter(B_LL, a.ifp, 0, 1800, 1800))
    assert nd6_rtr.defrouter_lookup(k, B_LL, a.ifp) is not None
    lab.tap.send(frame(T_MAC, B_LL, A_LL, na_body(B_LL, ND_NA_FLAG_SOLICITED), edst=A_MAC))
    lab.run(5 * MS)
    assert not ln.ln_router
    assert nd6_rtr.defrouter_lookup(k, B_LL, a.ifp) is None


def test_rfc4861_7_2_5_na_without_entry_is_discarded(lab):
    """RFC 4861 7.2.5: "If no entry exists, the advertisement SHOULD be silently discarded." """
    a = lab.host6("a", A_MAC)
    lab.settle()
    lab.tap.send(frame(T_MAC, T_LL, ALLNODES, na_body(T_LL, ND_NA_FLAG_OVERRIDE, T_MAC)))
    lab.run(5 * MS)
    assert entry(a, T_LL) is None
    assert a.kernel.nd6stat.nd6s_na_nocache == 1


def test_rfc4861_7_2_5_na_without_tllao_for_incomplete_entry_is_discarded(lab):
    """RFC 4861 7.2.5: "If the link layer has addresses and no Target
    Link-Layer Address option is included, the receiving node SHOULD silently
    discard the received advertisement." """
    a = lab.host6("a", A_MAC)
    lab.settle()
    ping(a, T_LL)
    lab.tap.send(frame(T_MAC, T_LL, A_LL, na_body(T_LL, ND_NA_FLAG_SOLICITED), edst=A_MAC))
    lab.run(5 * MS)
    assert entry(a, T_LL).ln_state == ND6_LLINFO_INCOMPLETE
    assert a.kernel.nd6stat.nd6s_na_nolladdr == 1


# -- validation: RFC 4861 7.1.1 (NS) and 7.1.2 (NA) -----------------------------------------
SOL_A = in6_solicited_node(A_LL)


def settled_a(lab):
    a = lab.host6("a", A_MAC)
    lab.settle()
    lab.tap.clear()
    return a


def assert_dropped(lab, a, bsd, reason):
    k = a.kernel
    assert getattr(k.nd6stat, reason) == 1, reason
    assert getattr(k.icmp6stat, bsd) >= 1
    assert lab.tap.icmp6(ND_NEIGHBOR_ADVERT) == []


def test_rfc4861_7_1_1_ns_with_hop_limit_254_is_ignored(lab):
    """RFC 4861 7.1.1: "A node MUST silently discard any received Neighbor
    Solicitation messages that do not satisfy all of the following validity
    checks: - The IP Hop Limit field has a value of 255, i.e., the packet
    could not possibly have been forwarded by a router." """
    a = settled_a(lab)
    lab.tap.send(frame(T_MAC, T_LL, SOL_A, ns_body(A_LL, T_MAC), hlim=254))
    lab.run(5 * MS)
    assert_dropped(lab, a, "icp6s_badns", "nd6s_ns_badhlim")
    assert entry(a, T_LL) is None


def test_rfc4861_7_1_1_ns_with_code_1_is_ignored(lab):
    """RFC 4861 7.1.1: "ICMP Code is 0." """
    a = settled_a(lab)
    lab.tap.send(frame(T_MAC, T_LL, SOL_A, ns_body(A_LL, T_MAC, code=1)))
    lab.run(5 * MS)
    assert_dropped(lab, a, "icp6s_badns", "nd6s_ns_badcode")


def test_rfc4861_7_1_1_ns_shorter_than_24_octets_is_ignored(lab):
    """RFC 4861 7.1.1: "ICMP length (derived from the IP length) is 24 or more octets." """
    a = settled_a(lab)
    lab.tap.send(frame(T_MAC, T_LL, SOL_A, ns_body(A_LL)[:23]))
    lab.run(5 * MS)
    assert_dropped(lab, a, "icp6s_badns", "nd6s_ns_short")


def test_rfc4861_7_1_1_ns_for_a_multicast_target_is_ignored(lab):
    """RFC 4861 7.1.1: "Target Address is not a multicast address." """
    a = settled_a(lab)
    lab.tap.send(frame(T_MAC, T_LL, SOL_A, ns_body(ALLNODES, T_MAC)))
    lab.run(5 * MS)
    assert_dropped(lab, a, "icp6s_badns", "nd6s_ns_mcasttgt")


def test_rfc4861_7_1_1_dad_ns_not_to_a_solicited_node_address_is_ignored(lab):
    """RFC 4861 7.1.1: "If the IP source address is the unspecified address, the
    IP destination address is a solicited-node multicast address." """
    a = settled_a(lab)
    lab.tap.send(frame(T_MAC, bytes(16), ALLNODES, ns_body(A_LL)))
    lab.run(5 * MS)
    assert_dropped(lab, a, "icp6s_badns", "nd6s_ns_baddad_dst")


def test_rfc4861_7_1_1_dad_ns_with_source_link_layer_option_is_ignored(lab):
    """RFC 4861 7.1.1: "If the IP source address is the unspecified address,
    there is no source link-layer address option in the message." """
    a = settled_a(lab)
    lab.tap.send(frame(T_MAC, bytes(16), SOL_A, ns_body(A_LL, T_MAC)))
    lab.run(5 * MS)
    assert_dropped(lab, a, "icp6s_badns", "nd6s_ns_baddad_sllao")


@pytest.mark.parametrize("opts", [
    bytes((ND_OPT.SOURCE_LINKADDR, 0)) + T_MAC,                 # zero length
    bytes((ND_OPT.SOURCE_LINKADDR, 3)) + T_MAC,                 # runs past the end
    b"\x01",                                                    # a lone type byte
    UnknownOption(99).emit() + bytes((99, 0)) + bytes(6),       # zero length after another
])
def test_rfc4861_7_1_1_ns_with_malformed_options_is_ignored(lab, opts):
    """RFC 4861 7.1.1: "All included options have a length that is greater than zero." """
    a = settled_a(lab)
    lab.tap.send(frame(T_MAC, T_LL, SOL_A, ns_body(A_LL) + opts))
    lab.run(5 * MS)
    assert_dropped(lab, a, "icp6s_badns", "nd6s_ns_badopt")
    assert a.kernel.icmp6stat.icp6s_nd_badopt == 1


def test_ns_with_a_long_option_list_is_walked_at_most_nd6_maxndopt_deep(lab):
    a = settled_a(lab)
    many = UnknownOption(99).emit() * 40
    lab.tap.send(frame(T_MAC, T_LL, SOL_A, ns_body(A_LL, T_MAC) + many))
    lab.run(5 * MS)
    assert a.kernel.nd6stat.nd6s_toomanyopt == 1
    assert a.kernel.icmp6stat.icp6s_nd_toomanyopt == 1
    assert len(lab.tap.icmp6(ND_NEIGHBOR_ADVERT)) == 1       # still answered


def test_ns_with_a_wrong_link_layer_address_length_is_ignored(lab):
    a = settled_a(lab)
    lab.tap.send(frame(T_MAC, T_LL, SOL_A, ns_body(A_LL) + bytes((1, 2)) + bytes(14)))
    lab.run(5 * MS)
    assert_dropped(lab, a, "icp6s_badns", "nd6s_ns_badlladdr")


def test_rfc4861_7_1_2_na_with_hop_limit_254_is_ignored(lab):
    """RFC 4861 7.1.2: "The IP Hop Limit field has a value of 255" """
    a = settled_a(lab)
    ping(a, T_LL)
    lab.tap.send(frame(T_MAC, T_LL, A_LL, na_body(T_LL, ND_NA_FLAG_SOLICITED, T_MAC), hlim=254))
    lab.run(5 * MS)
    assert a.kernel.nd6stat.nd6s_na_badhlim == 1 and a.kernel.icmp6stat.icp6s_badna == 1
    assert entry(a, T_LL).ln_state == ND6_LLINFO_INCOMPLETE


@pytest.mark.parametrize("kw,dst,reason", [
    (dict(code=1), A_LL, "nd6s_na_badcode"),
    (dict(), ALLNODES, "nd6s_na_mcastsolicited"),
    (dict(extra=bytes((ND_OPT.MTU, 0))), A_LL, "nd6s_na_badopt"),
])
def test_rfc4861_7_1_2_invalid_na_is_ignored(lab, kw, dst, reason):
    """RFC 4861 7.1.2: "ICMP Code is 0"; "If the IP Destination Address is a
    multicast address the Solicited flag is zero"; "All included options have
    a length that is greater than zero." """
    a = settled_a(lab)
    ping(a, T_LL)
    lab.tap.send(frame(T_MAC, T_LL, dst, na_body(T_LL, ND_NA_FLAG_SOLICITED, T_MAC, **kw),
                       edst=A_MAC if dst == A_LL else None))
    lab.run(5 * MS)
    assert getattr(a.kernel.nd6stat, reason) == 1
    assert a.kernel.icmp6stat.icp6s_badna == 1
    assert entry(a, T_LL).ln_state == ND6_LLINFO_INCOMPLETE


def test_rfc4861_7_1_2_na_for_a_multicast_target_and_short_na_are_ignored(lab):
    a = settled_a(lab)
    lab.tap.send(frame(T_MAC, T_LL, A_LL, na_body(ALLNODES, 0), edst=A_MAC))
    lab.tap.send(frame(T_MAC, T_LL, A_LL, na_body(T_LL, 0)[:20], edst=A_MAC))
    lab.run(5 * MS)
    st = a.kernel.nd6stat
    assert st.nd6s_na_mcasttgt == 1 and st.nd6s_na_short == 1
    assert a.kernel.icmp6stat.icp6s_badna == 2


def test_garbage_nd_messages_never_panic_the_host(lab):
    """Design: no byte sequence from the wire may raise out of the kernel."""
    import random
    a = settled_a(lab)
    rng = random.Random(7)
    for i in range(300):
        t = rng.choice((133, 134, 135, 136, 137))
        body = bytes((t, rng.choice((0, 0, 1)))) + bytes(rng.getrandbits(8)
                                                          for _ in range(rng.randrange(0, 120)))
        src = rng.choice((T_LL, bytes(16), B_LL))
        dst = rng.choice((A_LL, SOL_A, ALLNODES))
        lab.tap.send(frame(T_MAC, src, dst, body, hlim=rng.choice((255, 255, 64)),
                           edst=A_MAC if dst == A_LL else None))
        lab.run(MS)
    lab.run(SEC)


# -- timers, hints, static entries --------------------------------------------------------
def test_rfc4861_6_3_4_reachable_time_is_recomputed_every_two_hours(lab):
    """RFC 4861 6.3.4: ReachableTime is recomputed "at least every few hours"
    (FreeBSD: every 2 hours), always within [0.5, 1.5] x BaseReachableTime."""
    a = lab.host6("a", A_MAC)
    ndi = ND_IFINFO(a.ifp)
    seen = {ndi.reachable}
    for _ in range(4):
        lab.run(2 * 3600 * SEC)
        seen.add(ndi.reachable)
    assert len(seen) > 1 and all(15 <= r <= 45 for r in seen)


def test_rfc4861_7_3_1_upper_layer_hint_confirms_reachability(lab):
    """RFC 4861 7.3.1: "positive confirmation ... from upper-layer protocols"
    (nd6_nud_hint, limited by net.inet6.icmp6.nd6_maxnudhint unless forced)."""
    a, b = pair(lab)
    ping(a, B_LL)
    lab.run(5 * MS)
    ln = entry(a, B_LL)
    lab.run((ND_IFINFO(a.ifp).reachable + 1) * SEC)
    ping(a, B_LL, seq=2)
    assert ln.ln_state == ND6_LLINFO_DELAY
    nd6.nd6_nud_hint(a.kernel, B_LL, a.ifp)                 # maxnudhint 0: not taken
    assert ln.ln_state == ND6_LLINFO_DELAY
    nd6.nd6_nud_hint(a.kernel, B_LL, a.ifp, force=True)
    assert ln.ln_state == ND6_LLINFO_REACHABLE


def test_static_entry_is_never_probed_nor_learned_over(lab):
    a = lab.host6("a", A_MAC)
    lab.settle()
    nd6.nd6_add_static(a.ifp, T_LL, T_MAC)
    lab.tap.clear()
    ping(a, T_LL)
    lab.run(5 * MS)
    assert [p.edst for _, p in lab.tap.icmp6(ICMP6_ECHO_REQUEST)] == [T_MAC]
    lab.tap.send(frame(B_MAC, T_LL, in6_solicited_node(A_LL), ns_body(A_LL, B_MAC)))
    lab.run(100 * SEC)
    ln = entry(a, T_LL)
    assert ln.ln_lladdr == T_MAC and ln.ln_state == ND6_LLINFO_REACHABLE
    assert lab.tap.icmp6(ND_NEIGHBOR_SOLICIT) == []


def test_interface_down_flushes_neighbors_and_up_runs_dad_again(lab):
    """RFC 4862 5.4: DAD "whenever an interface is initialized"."""
    from kernel.netinet6 import in6
    from kernel.wire.in6_var import IN6_IFF_TENTATIVE
    a, b = pair(lab)
    ping(a, B_LL)
    lab.run(5 * MS)
    in6.in6_if_down(a.ifp)
    assert entry(a, B_LL) is None
    ia = in6.in6ifa_ifpforlinklocal(a.ifp)
    assert ia.ia6_flags & IN6_IFF_TENTATIVE
    lab.tap.clear()
    in6.in6_if_up(a.ifp)
    lab.settle()
    assert ia.ia6_flags == 0
    assert len(lab.tap.icmp6(ND_NEIGHBOR_SOLICIT)) == 1


def test_link_coming_back_restarts_pending_dad(lab):
    from kernel.netinet6 import in6
    from kernel.wire.in6_var import IN6_IFF_TENTATIVE
    from kernel.wire.net_if import LinkState
    a = lab.host6("a", A_MAC)
    lab.settle()
    ia = in6.in6ifa_ifpforlinklocal(a.ifp)
    ia.ia6_flags |= IN6_IFF_TENTATIVE           # as after a down/up of the link
    a.ifp.if_link_state_change(LinkState.DOWN)
    a.ifp.if_link_state_change(LinkState.UP)
    lab.settle()
    assert ia.ia6_flags == 0 and a.kernel.nd6stat.nd6s_dad_ok == 2


def test_held_packets_of_an_evicted_entry_are_counted(lab):
    a, b = pair(lab)
    sysctl_lookup(a.kernel, "net.inet6.ip6.neighborgcthresh", 1)
    ping(a, T_LL)
    ping(a, B_LL)                               # evicts T_LL's entry and its packet
    assert a.kernel.nd6stat.nd6s_hold_freed == 1
