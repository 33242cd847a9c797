"""Forwarding (ip_forward in kernel/netinet/ip_input.py): RFC 1812 on a router
between two segments, in virtual time."""
from __future__ import annotations

import struct

from kernel.wire.icmp import (ICMP_ECHO, ICMP_ECHOREPLY, ICMP_TIMXCEED, ICMP_TIMXCEED_INTRANS,
                              ICMP_UNREACH, ICMP_UNREACH_HOST, ICMP_UNREACH_NEEDFRAG)
from kernel.wire.ip import IP_DF, IP_MF
from kernel.wire.ip6 import IPPROTO_ICMP
from tests.kernel.netinet.ip_lab import A


def test_rfc1812_5_3_1_forwarded_packet_has_its_ttl_decremented(routed):
    a, r, b = routed.a, routed.r, routed.b
    assert a.ping("10.0.2.1", ttl=64) == 0
    routed.run()
    there = routed.logs["lan2"].icmp(ICMP_ECHO)
    assert len(there) == 1
    echo_ip = routed.logs["lan2"].ip(IPPROTO_ICMP)[0]
    assert echo_ip[8] == 63
    assert routed.logs["lan1"].ip(IPPROTO_ICMP)[-1][8] == 63      # the reply, 64 - 1
    assert a.icmpstat.icps_inhist[ICMP_ECHOREPLY] == 1
    assert r.ipstat.ips_forward == 2 and r.ipstat.ips_delivered == 0


def test_rfc1812_5_3_1_ttl_expiry_is_time_exceeded_from_the_router(routed):
    """RFC 1812 5.3.1: a datagram whose TTL would reach zero is discarded and "the
    router MUST generate an ICMP Time Exceeded message" — quoting the original
    header (with its TTL as received) and 64 bits of data (RFC 792)."""
    a, r = routed.a, routed.r
    a.ping("10.0.2.1", ttl=1, seq=9)
    routed.run()
    te = routed.logs["lan1"].icmp(ICMP_TIMXCEED)
    assert len(te) == 1 and te[0][1] == ICMP_TIMXCEED_INTRANS
    assert len(te[0]) == 8 + 20 + 8
    quoted = te[0][8:]
    assert quoted[8] == 1 and quoted[16:20] == A("10.0.2.1") and quoted[20] == ICMP_ECHO
    assert struct.unpack_from("!H", quoted, 26)[0] == 9
    ip = [p for p in routed.logs["lan1"].ip(IPPROTO_ICMP) if p[20] == ICMP_TIMXCEED][0]
    assert ip[12:16] == A("10.0.1.254") and ip[16:20] == A("10.0.1.1")
    assert routed.logs["lan2"].ip() == []
    assert r.icmpstat.icps_outhist[ICMP_TIMXCEED] == 1
    assert a.icmpstat.icps_inhist[ICMP_TIMXCEED] == 1


def test_rfc1812_5_2_7_1_no_route_is_host_unreachable(routed):
    """RFC 1812 5.2.7.1: without a route the router sends Destination Unreachable;
    it "SHOULD NOT generate Code 0 (Network Unreachable)" but Host Unreachable."""
    a, r = routed.a, routed.r
    a.ping("192.0.2.9")
    routed.run()
    un = routed.logs["lan1"].icmp(ICMP_UNREACH)
    assert len(un) == 1 and un[0][1] == ICMP_UNREACH_HOST
    assert r.ipstat.ips_noroute == 1


def test_rfc1191_df_too_big_for_the_next_hop_is_fragmentation_needed_with_its_mtu():
    """RFC 1191 4: "fragmentation needed and DF set" carries the next-hop MTU."""
    from tests.kernel.netinet.ip_lab import Net4
    n = Net4()
    n.segment("lan1")
    n.segment("lan2")
    a = n.host("a", "lan1")
    r = n.host("r", "lan1", "lan2")
    b = n.host("b", "lan2")
    a.addr("10.0.1.1")
    r.addr("10.0.1.254", i=0)
    r.addr("10.0.2.254", i=1)
    b.addr("10.0.2.1")
    a.route("0.0.0.0", 0, "10.0.1.254")
    b.route("0.0.0.0", 0, "10.0.2.254")
    r.k.ip.ipforwarding = 1
    r.ifp(1).if_mtu = 1000                     # a smaller link behind the router
    n.run()
    a.ping("10.0.2.1", size=1200, df=True)
    n.run()
    nf = n.logs["lan1"].icmp(ICMP_UNREACH)
    assert len(nf) == 1 and nf[0][1] == ICMP_UNREACH_NEEDFRAG
    assert struct.unpack_from("!H", nf[0], 6)[0] == 1000
    assert r.ipstat.ips_cantfrag == 1 and n.logs["lan2"].ip(IPPROTO_ICMP) == []
    # without DF the router fragments, b reassembles and answers (r has resolved b
    # first: ARP holds one packet, and would keep only the last fragment)
    r.ping("10.0.2.1")
    n.run()
    a.ping("10.0.2.1", size=1200, seq=2)
    n.run()
    frags = [f for f in n.logs["lan2"].ip(IPPROTO_ICMP) if f[12:16] == A("10.0.1.1")]
    assert len(frags) == 2 and all(len(f) <= 1000 for f in frags)
    assert b.ipstat.ips_reassembled == 1
    assert a.icmpstat.icps_inhist[ICMP_ECHOREPLY] == 1
    assert n.panics() == []


def test_router_fragments_keep_df_clear_and_mf_on_all_but_the_last(routed):
    a, r = routed.a, routed.r
    r.ifp(1).if_mtu = 576
    r.ping("10.0.2.1")
    routed.run()
    a.ping("10.0.2.1", size=1400)
    routed.run()
    frags = [f for f in routed.logs["lan2"].ip(IPPROTO_ICMP) if f[12:16] == A("10.0.1.1")]
    offs = [struct.unpack_from("!H", f, 6)[0] for f in frags]
    assert len(frags) == 3
    assert [o & IP_MF for o in offs] == [IP_MF, IP_MF, 0] and not any(o & IP_DF for o in offs)
    assert [(o & 0x1FFF) * 8 for o in offs] == [0, 552, 1104]
    assert r.ipstat.ips_fragmented == 1 and r.ipstat.ips_ofragments == 3


def test_forwarding_off_means_cantforward(routed):
    routed.r.k.ip.ipforwarding = 0
    routed.a.ping("10.0.2.1")
    routed.run()
    assert routed.r.ipstat.ips_cantforward == 1 and routed.logs["lan2"].ip() == []


def test_rfc1812_5_3_5_broadcasts_are_not_forwarded(routed):
    r = routed.r
    from kernel.wire.icmp import icmp_repr
    from kernel.wire.ip import ip_repr
    body = icmp_repr.echo(ICMP_ECHO, 1, 1, b"x").to_bytes()
    r.inject(ip_repr(A("10.0.1.1"), A("10.0.9.9"), IPPROTO_ICMP, body).to_bytes(), bcast=True)
    r.inject(ip_repr(A("10.0.1.1"), A("127.0.0.9"), IPPROTO_ICMP, body).to_bytes())
    assert r.ipstat.ips_cantforward == 1 and r.ipstat.ips_badaddr == 1
    routed.run()
    assert routed.logs["lan2"].ip() == []
