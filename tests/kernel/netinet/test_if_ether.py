"""ARP (kernel/netinet/if_ether.py): RFC 826 and RFC 1122 2.3.2 between two hosts
in virtual time, and malformed packets dropped and counted."""
from __future__ import annotations

import struct

import pytest

from emu.sched import MS, SEC
from kernel.netinet import if_ether
from kernel.netinet.if_ether import LLE_REJECT, LLE_VALID, arplookup
from kernel.wire import errno as E
from kernel.wire.icmp import ICMP_ECHO, ICMP_ECHOREPLY
from kernel.wire.if_arp import ARPOP_REPLY, ARPOP_REQUEST, arp_repr
from tests.kernel.netinet.ip_lab import A, Net4

MAC_X = bytes.fromhex("020000000999")


def arp(op: int, sha: bytes, spa: str, tpa: str, tha: bytes = bytes(6)) -> bytes:
    return arp_repr(op, sha, A(spa), tha, A(tpa)).to_bytes()


def test_rfc826_request_for_our_address_gets_a_reply_to_the_sender(net):
    """RFC 826: "Swap hardware and protocol fields, putting the local hardware and
    protocol addresses in the sender fields.  Set the ar$op field to ares_op$REPLY.
    Send the packet to the (new) target hardware address"."""
    a, b = net.a, net.b
    assert a.ping("10.0.0.2") == 0
    net.run()
    log = net.logs["lan0"]
    req = [f for f in log.arp(ARPOP_REQUEST) if f[28:32] == A("10.0.0.1")
           and f[38:42] == A("10.0.0.2")]
    rep = log.arp(ARPOP_REPLY)
    assert len(req) == 1 and req[0][:6] == b"\xff" * 6           # broadcast
    assert len(rep) == 1
    r = arp_repr.parse(rep[0][14:])
    assert rep[0][:6] == a.macs[0]                               # unicast to the asker
    assert (r.sha, r.spa, r.tha, r.tpa) == (b.macs[0], A("10.0.0.2"), a.macs[0], A("10.0.0.1"))
    assert a.arpstat.rxreplies == 1 and b.arpstat.txreplies == 1
    assert b.icmpstat.icps_inhist[ICMP_ECHO] == 1 and a.icmpstat.icps_inhist[ICMP_ECHOREPLY] == 1
    # RFC 826: the target merges the sender too, so b answers without asking
    assert arplookup(b.ifp(), A("10.0.0.1")).la_lladdr == a.macs[0]
    assert b.arpstat.txrequests == 1                             # only its gratuitous ARP


def test_rfc826_merge_updates_an_entry_but_adds_one_only_when_we_are_the_target(net):
    """RFC 826: "If the pair <protocol type, sender protocol address> is already in
    my translation table, update the sender hardware address field ... ?Am I the
    target protocol address? Yes: If Merge_flag is false, add the triplet"."""
    a, b = net.a, net.b
    # a request from 10.0.0.7 for 10.0.0.8: not for b, b has no entry: nothing added
    b.inject_arp(arp(ARPOP_REQUEST, MAC_X, "10.0.0.7", "10.0.0.8"))
    assert arplookup(b.ifp(), A("10.0.0.7")) is None
    # the same sender asking for b: added, and answered
    b.inject_arp(arp(ARPOP_REQUEST, MAC_X, "10.0.0.7", "10.0.0.2"))
    assert arplookup(b.ifp(), A("10.0.0.7")).la_lladdr == MAC_X
    assert b.arpstat.txreplies == 1
    # now a request for someone else with a new MAC updates the entry (logged as moved)
    new = bytes.fromhex("020000000aaa")
    b.inject_arp(arp(ARPOP_REQUEST, new, "10.0.0.7", "10.0.0.8"))
    assert arplookup(b.ifp(), A("10.0.0.7")).la_lladdr == new
    assert b.arpstat.rxmoved == 1
    assert "arp: 10.0.0.7 moved from 02:00:00:00:09:99 to 02:00:00:00:0a:aa on em0\n" \
        in b.k.msgbuf
    net.run()


def test_rfc1122_2_3_2_2_hold_queue_keeps_the_latest_packet(net):
    """RFC 1122 2.3.2.2: "The link layer SHOULD save (rather than discard) at least
    one (the latest) packet of each set of packets destined to the same unresolved
    IP address, and transmit the saved packet when the address has been resolved."
    (BSD: net.link.ether.inet.maxhold = 1.)"""
    a, b = net.a, net.b
    for seq in range(3):
        assert a.ping("10.0.0.2", seq=seq) == 0                  # held, not an error
    assert a.arpstat.dropped == 2 and a.arpstat.txrequests == 2  # gratuitous + this one
    net.run()
    echoes = net.logs["lan0"].icmp(ICMP_ECHO)
    assert [struct.unpack_from("!H", e, 6)[0] for e in echoes] == [2]
    assert a.icmpstat.icps_inhist[ICMP_ECHOREPLY] == 1


def test_rfc1122_2_3_2_1_retransmit_once_a_second_then_host_down_for_20_seconds(net):
    """RFC 1122 2.3.2.1: an implementation "MUST provide a mechanism to prevent ARP
    flooding (repeatedly sending an ARP Request for the same IP address, at a high
    rate)" — at most one a second.  After net.link.ether.inet.maxtries (5)
    unanswered requests the host is down for host_down_time (20 s): sends fail
    with EHOSTDOWN (FreeBSD's RTF_REJECT), nothing is asked; then it is forgotten."""
    a = net.a
    log = net.logs["lan0"]
    t0 = net.sched.now
    assert a.ping("10.0.0.99") == 0
    net.run_s(4.5)
    assert a.ping("10.0.0.99", seq=1) == 0                       # still resolving: held
    net.run_s(1)
    reqs = [(t - t0) // MS for t, f in log.frames if f[12:14] == b"\x08\x06"
            and f[38:42] == A("10.0.0.99")]
    assert reqs == [0, 1000, 2000, 3000, 4000]
    la = arplookup(a.ifp(), A("10.0.0.99"))
    assert la.la_flags & LLE_REJECT and not la.la_flags & LLE_VALID
    assert a.arpstat.timeouts == 1 and a.arpstat.dropped == 2    # both held packets
    assert a.ping("10.0.0.99", seq=2) == E.EHOSTDOWN
    assert a.arpstat.refused == 1
    net.run_s(15)
    assert a.ping("10.0.0.99", seq=3) == E.EHOSTDOWN
    net.run_s(5)
    assert arplookup(a.ifp(), A("10.0.0.99")) is None            # the 20 seconds are up
    assert a.ping("10.0.0.99", seq=4) == 0                       # asked again
    assert len([f for _, f in log.frames if f[38:42] == A("10.0.0.99")
                and f[12:14] == b"\x08\x06"]) == 6


def test_unresolvable_gateway_is_ehostunreach(routed):
    """A next hop that does not answer is EHOSTUNREACH (FreeBSD: "rt == rt0 ?
    EHOSTDOWN : EHOSTUNREACH"), the destination itself EHOSTDOWN."""
    a = routed.a
    a.route("192.0.2.0", 24, "10.0.1.77")
    assert a.ping("192.0.2.1") == 0
    routed.run_s(5.5)
    assert a.ping("192.0.2.1") == E.EHOSTUNREACH


def test_rfc1122_2_3_2_1_entry_expires_after_max_age(net):
    """RFC 1122 2.3.2.1: cache entries time out; FreeBSD keeps a resolved one
    net.link.ether.inet.max_age (20 minutes) after it was learnt."""
    a = net.a
    a.ping("10.0.0.2")
    net.run()
    la = arplookup(a.ifp(), A("10.0.0.2"))
    assert la.la_flags & LLE_VALID
    assert la.la_expire == net.sched.now // SEC + 1200
    net.run_s(1199)
    assert arplookup(a.ifp(), A("10.0.0.2")) is la
    net.run_s(2)
    assert arplookup(a.ifp(), A("10.0.0.2")) is None
    assert a.arpstat.timeouts >= 1


def test_active_entry_is_refreshed_before_it_expires(net):
    """FreeBSD's la_preempt: sending to an entry in its last seconds asks again,
    so the answer renews it without a gap."""
    a = net.a
    a.ping("10.0.0.2")
    net.run()
    la = arplookup(a.ifp(), A("10.0.0.2"))
    net.run_s(1198)
    before = a.arpstat.txrequests
    a.ping("10.0.0.2", seq=1)
    net.run()
    assert a.arpstat.txrequests == before + 1
    assert arplookup(a.ifp(), A("10.0.0.2")) is la
    assert la.la_expire >= net.sched.now // SEC + 1199


def test_gratuitous_arp_announces_a_new_address():
    """FreeBSD arp_ifinit: a new address is announced with a request whose sender
    and target are the address; our own address has a permanent entry."""
    n = Net4()
    n.segment("lan0")
    h = n.host("h", "lan0")
    h.addr("10.9.0.1", 16)
    n.run()
    g = n.logs["lan0"].arp(ARPOP_REQUEST)
    assert len(g) == 1 and g[0][:6] == b"\xff" * 6
    r = arp_repr.parse(g[0][14:])
    assert (r.sha, r.spa, r.tpa) == (h.macs[0], A("10.9.0.1"), A("10.9.0.1"))
    la = arplookup(h.ifp(), A("10.9.0.1"))
    assert la.la_expire == 0 and la.la_lladdr == h.macs[0]
    assert n.panics() == []


def test_duplicate_address_is_logged_and_defended(net):
    """FreeBSD: "arp: %*D is using my IP address %s on %s!", counted in dupips,
    and the request answered with our hardware address."""
    b = net.b
    b.inject_arp(arp(ARPOP_REQUEST, MAC_X, "10.0.0.2", "10.0.0.2"))
    assert b.arpstat.dupips == 1
    assert "arp: 02:00:00:00:09:99 is using my IP address 10.0.0.2 on em0!\n" in b.k.msgbuf
    net.run()
    rep = [f for f in net.logs["lan0"].arp(ARPOP_REPLY) if f[:6] == MAC_X]
    assert len(rep) == 1 and arp_repr.parse(rep[0][14:]).sha == b.macs[0]
    assert arplookup(b.ifp(), A("10.0.0.2")).la_lladdr == b.macs[0]


def test_permanent_entry_is_not_modified(net):
    b = net.b
    if_ether.arp_add_static(b.ifp(), A("10.0.0.7"), MAC_X)
    b.inject_arp(arp(ARPOP_REPLY, bytes.fromhex("020000000bbb"), "10.0.0.7", "10.0.0.2",
                     b.macs[0]))
    assert arplookup(b.ifp(), A("10.0.0.7")).la_lladdr == MAC_X
    assert b.arpstat.rxpermanent == 1
    assert ("arp: 02:00:00:00:0b:bb attempts to modify permanent entry for 10.0.0.7 on em0\n"
            in b.k.msgbuf)


def test_sender_not_on_the_network_gets_no_entry(net):
    """FreeBSD 8 in_lltable_rtcheck: "IPv4 address: \\"%s\\" is not on the network"."""
    b = net.b
    b.inject_arp(arp(ARPOP_REQUEST, MAC_X, "192.0.2.7", "10.0.0.2"))
    assert arplookup(b.ifp(), A("192.0.2.7")) is None
    assert b.arpstat.rxnotonnet == 1


def test_cache_is_bounded(net):
    a = net.a
    a.k.arp.arp_maxentries = 8
    for i in range(20):
        a.ping(f"10.0.0.{100 + i}")
    assert len(a.k.arp.llinfo) <= 8
    assert a.arpstat.overflow >= 12
    assert arplookup(a.ifp(), A("10.0.0.1")) is not None         # our own stays


def _ar(hrd=1, pro=0x0800, hln=6, pln=4, op=1, tail=None) -> bytes:
    head = struct.pack("!HHBBH", hrd, pro, hln, pln, op)
    body = MAC_X + A("10.0.0.7") + bytes(6) + A("10.0.0.2") if tail is None else tail
    return head + body


@pytest.mark.parametrize("pkt,counter", [
    (b"\x00\x01\x08\x00", "rxtooshort"),                                  # runt header
    (_ar(hrd=0x1234), "rxbadhrd"),                                        # not Ethernet
    (_ar(pro=0x86DD, pln=16, tail=bytes(44)), "rxbadpro"),               # not IPv4
    (_ar(hln=8, tail=bytes(24)), "rxbadlen"),                             # 8-byte hw addresses
    (_ar(tail=MAC_X + A("10.0.0.7")), "rxtooshort"),                      # addresses cut off
    (_ar(tail=b"\x01\x00\x5e\x00\x00\x01" + A("10.0.0.7") + bytes(6) + A("10.0.0.2")),
     "rxbadsha"),                                                         # multicast sender
    (_ar(tail=b"\xff" * 6 + A("10.0.0.7") + bytes(6) + A("10.0.0.2")), "rxbadsha"),
    (_ar(tail=MAC_X + A("224.0.0.1") + bytes(6) + A("10.0.0.2")), "rxbadspa"),
    (_ar(tail=MAC_X + A("127.0.0.1") + bytes(6) + A("10.0.0.2")), "rxbadspa"),
])
def test_malformed_arp_is_dropped_and_counted(net, pkt, counter):
    b = net.b
    before = b.arpstat.as_dict()
    b.inject_arp(pkt)
    after = b.arpstat.as_dict()
    assert after[counter] == before[counter] + 1
    assert after["txreplies"] == before["txreplies"]
    assert arplookup(b.ifp(), A("10.0.0.7")) is None


def test_arp_from_ourselves_is_ignored(net):
    b = net.b
    b.inject_arp(arp(ARPOP_REQUEST, b.macs[0], "10.0.0.7", "10.0.0.2"))
    assert b.arpstat.rxfromself == 1 and b.arpstat.txreplies == 0


def test_arp_probe_from_0_0_0_0_is_answered_without_an_entry(net):
    """RFC 5227 2.1.1: a probe's sender address is zero; the owner answers,
    no cache entry is made for 0.0.0.0."""
    b = net.b
    b.inject_arp(arp(ARPOP_REQUEST, MAC_X, "0.0.0.0", "10.0.0.2"))
    assert arplookup(b.ifp(), A("0.0.0.0")) is None
    assert b.arpstat.txreplies == 1
