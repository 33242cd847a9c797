"""kernel/netinet/igmp.py and in_mcast.py: the IGMPv3 host (RFC 3376) with IGMPv1/v2 compatibility.

Host a (10.0.0.1/24) of the ``net`` fixture joins through IPv4 sockets;
queries and other members' reports are handed to its ip_input as if em0
had received them (``inject``); what it sends is read off lan0.
"""
from __future__ import annotations

import struct

import pytest

from kernel.kern.kern_sysctl import sysctl_lookup
from kernel.wire.igmp import (IGMP_ALLOW_NEW_SOURCES, IGMP_BLOCK_OLD_SOURCES,
                              IGMP_CHANGE_TO_EXCLUDE_MODE, IGMP_CHANGE_TO_INCLUDE_MODE,
                              IGMP_HOST_LEAVE_MESSAGE, IGMP_HOST_MEMBERSHIP_QUERY,
                              IGMP_MODE_IS_EXCLUDE, IGMP_MODE_IS_INCLUDE, IGMP_VERSION_2,
                              IGMP_VERSION_3, IGMP_v1_HOST_MEMBERSHIP_REPORT,
                              IGMP_v2_HOST_MEMBERSHIP_REPORT, IGMP_v3_HOST_MEMBERSHIP_REPORT,
                              IP_ROUTER_ALERT_OPTION, IgmpMessage, IgmpV3Query, IgmpV3Report)
from kernel.wire.in_ import (IP_ADD_MEMBERSHIP, IP_ADD_SOURCE_MEMBERSHIP, IP_BLOCK_SOURCE,
                             IP_DROP_MEMBERSHIP, IPPROTO_IP, ip_mreq, sockaddr_in)
from kernel.wire.in_cksum import in_cksum
from kernel.wire.in_mcast import (IP_MSFILTER, MCAST_INCLUDE, MCAST_JOIN_GROUP, group_req,
                                  ip_mreq_source, msfilterreq)
from kernel.wire.ip import ip_hdr, ip_header_cksum
from kernel.wire.ip6 import IPPROTO_IGMP
from kernel.wire.socket import SOCK_DGRAM
from tests.kernel.netinet.ip_lab import A, MS, SEC

G = "239.1.2.3"
S1, S2 = "10.0.0.7", "10.0.0.8"
ALLHOSTS = "224.0.0.1"


def igmp_packet(body: bytes, dst: str = ALLHOSTS, src: str = "10.0.0.254", ttl: int = 1,
                ra: bool = True) -> bytes:
    opt = IP_ROUTER_ALERT_OPTION if ra else b""
    hl = 20 + len(opt)
    hdr = bytearray(ip_hdr.pack(0x40 | hl >> 2, 0xC0, hl + len(body), 0, 0, ttl, IPPROTO_IGMP, 0,
                                A(src), A(dst)) + opt)
    hdr[10:12] = ip_header_cksum(hdr, 0, hl).to_bytes(2, "big")
    return bytes(hdr) + body


def sent(net, since=0):
    """(time, IP header length, TTL, dst, the IGMP message) of what a sent."""
    out = []
    for t, f in net.logs["lan0"].frames:
        if t < since or f[12:14] != b"\x08\x00" or f[23] != IPPROTO_IGMP or f[26:30] != A("10.0.0.1"):
            continue
        hl = (f[14] & 0x0F) << 2
        ln = struct.unpack_from("!H", f, 16)[0]
        out.append((t, hl, f[22], f[30:34], f[14 + hl:14 + ln], f[34:14 + hl]))
    return out


def v3_records(msgs):
    return [[(r.type, r.group, r.sources) for r in IgmpV3Report.parse(m[4]).records]
            for m in msgs if m[4][0] == IGMP_v3_HOST_MEMBERSHIP_REPORT]


def ifinfo(h):
    """net.inet.igmp.ifinfo of em0."""
    (info,) = [i for i in sysctl_lookup(h.k, "net.inet.igmp.ifinfo") if i.igi_ifindex == h.ifp().if_index]
    return info


def udp4(h):
    return h.socket(SOCK_DGRAM)


def join(h, so, group=G):
    h.setopt(so, IPPROTO_IP, IP_ADD_MEMBERSHIP, ip_mreq(A(group), A("10.0.0.1")))


def test_rfc3376_5_1_join_sends_to_ex_to_224_0_0_22_with_ttl_1_and_router_alert(net):
    """RFC 3376 5.1: a join is a change to EXCLUDE {}: CHANGE_TO_EXCLUDE_MODE,
    sent at once and [Robustness Variable] - 1 more times within the
    [Unsolicited Report Interval] (1 s, 8.11); 4: TTL 1 and the Router Alert
    option; 4.2.14: "sent with an IP destination address of 224.0.0.22"."""
    a = net.a
    t = net.sched.now
    join(a, udp4(a))
    net.run(3 * SEC)
    msgs = sent(net, t)
    assert v3_records(msgs) == [[(IGMP_CHANGE_TO_EXCLUDE_MODE, A(G), ())]] * 2
    assert all((hl, ttl, dst, opt) == (24, 1, A("224.0.0.22"), IP_ROUTER_ALERT_OPTION)
               for _t, hl, ttl, dst, _m, opt in msgs)
    assert msgs[0][0] - t < MS and msgs[1][0] - msgs[0][0] <= SEC
    assert a.ifp().if_findmulti(bytes.fromhex("01005e010203")) is not None   # RFC 1112 6.4


def test_rfc3376_5_1_source_joins_block_and_leave(net):
    """RFC 3376 5.1: INCLUDE {} -> INCLUDE {S1}: ALLOW (S1); an any-source socket
    blocking S2: EXCLUDE {} -> EXCLUDE {S2}: BLOCK (S2); the last leave: TO_IN {}."""
    a = net.a
    ssm = udp4(a)
    t = net.sched.now
    a.setopt(ssm, IPPROTO_IP, IP_ADD_SOURCE_MEMBERSHIP,
             ip_mreq_source(A("232.1.1.1"), A(S1), A("10.0.0.1")))
    net.run(1 * MS)
    assert v3_records(sent(net, t)) == [[(IGMP_ALLOW_NEW_SOURCES, A("232.1.1.1"), (A(S1),))]]
    asm = udp4(a)
    join(a, asm)
    net.run(3 * SEC)
    t = net.sched.now
    a.setopt(asm, IPPROTO_IP, IP_BLOCK_SOURCE, ip_mreq_source(A(G), A(S2), A("10.0.0.1")))
    net.run(1 * MS)
    assert v3_records(sent(net, t)) == [[(IGMP_BLOCK_OLD_SOURCES, A(G), (A(S2),))]]
    net.run(3 * SEC)
    t = net.sched.now
    a.setopt(asm, IPPROTO_IP, IP_DROP_MEMBERSHIP, ip_mreq(A(G), A("10.0.0.1")))
    net.run(1 * MS)
    assert v3_records(sent(net, t)) == [[(IGMP_CHANGE_TO_INCLUDE_MODE, A(G), ())]]
    assert a.ifp().if_findmulti(bytes.fromhex("01005e010203")) is None


def test_rfc3376_5_2_general_query_answered_within_max_resp_time(net):
    """RFC 3376 5.2: the response to a General Query goes within the Max Resp
    Time (here 2 s: code 20) with a Current State Record per group; 224.0.0.1
    is never reported (RFC 2236 6)."""
    a = net.a
    so = udp4(a)
    join(a, so)
    a.setopt(so, IPPROTO_IP, IP_ADD_SOURCE_MEMBERSHIP,
             ip_mreq_source(A("232.1.1.1"), A(S1), A("10.0.0.1")))
    net.run(3 * SEC)
    t = net.sched.now
    a.inject(igmp_packet(IgmpV3Query(bytes(4), 20).emit()), mcast=True)
    net.run(3 * SEC)
    msgs = sent(net, t)
    assert len(msgs) == 1 and 0 < msgs[0][0] - t <= 2 * SEC
    assert sorted(v3_records(msgs)[0]) == [(IGMP_MODE_IS_INCLUDE, A("232.1.1.1"), (A(S1),)),
                                           (IGMP_MODE_IS_EXCLUDE, A(G), ())]
    assert a.k.igmpstat.igps_rcv_v3_queries == 1 and a.k.igmpstat.igps_rcv_gen_queries == 1


def test_rfc3376_5_2_group_and_source_specific_query(net):
    """RFC 3376 5.2: to a Group-and-Source-Specific Query about B, an INCLUDE (A)
    member answers IS_IN (A*B)."""
    a = net.a
    so = udp4(a)
    for s in (S1, S2):
        a.setopt(so, IPPROTO_IP, IP_ADD_SOURCE_MEMBERSHIP, ip_mreq_source(A(G), A(s), A("10.0.0.1")))
    net.run(3 * SEC)
    t = net.sched.now
    a.inject(igmp_packet(IgmpV3Query(A(G), 10, (A(S2), A("10.0.0.9"))).emit(), dst=G), mcast=True)
    net.run(2 * SEC)
    assert v3_records(sent(net, t)) == [[(IGMP_MODE_IS_INCLUDE, A(G), (A(S2),))]]
    assert a.k.igmpstat.igps_rcv_gsr_queries == 1


def test_rfc3376_7_2_1_v2_querier_switches_to_v2_reports_and_leave_then_back_to_v3(net):
    """RFC 3376 7.2.1: a Version 2 Query starts the IGMPv2 Querier Present timer
    (RV * QI + QRI = 260 s, 8.12): reports are Version 2 Reports to the group
    (RFC 2236 3), a leave sends a Leave Group to 224.0.0.2 when we reported
    last; when the timer runs out the host is IGMPv3 again."""
    a = net.a
    so = udp4(a)
    join(a, so)
    net.run(3 * SEC)
    t = net.sched.now
    a.inject(igmp_packet(IgmpMessage(IGMP_HOST_MEMBERSHIP_QUERY, bytes(4), 10).emit()), mcast=True)
    net.run(2 * SEC)
    msgs = sent(net, t)
    assert [(m[4][0], m[3], m[4][4:8]) for m in msgs] == [(IGMP_v2_HOST_MEMBERSHIP_REPORT, A(G), A(G))]
    assert msgs[0][0] - t <= SEC and msgs[0][5] == IP_ROUTER_ALERT_OPTION
    info = ifinfo(a)
    assert info.igi_version == IGMP_VERSION_2 and 250 <= info.igi_v2_timer <= 260
    t = net.sched.now
    a.setopt(so, IPPROTO_IP, IP_DROP_MEMBERSHIP, ip_mreq(A(G), A("10.0.0.1")))
    net.run(1 * MS)
    assert [(m[4][0], m[3], m[4][4:8]) for m in sent(net, t)] == [
        (IGMP_HOST_LEAVE_MESSAGE, A("224.0.0.2"), A(G))]
    net.run(260 * SEC)
    assert ifinfo(a).igi_version == IGMP_VERSION_3


def test_rfc2236_3_report_suppression_and_rfc1112_v1_has_no_leave(net):
    """RFC 2236 3: another member's report for the group stops our timer; in
    IGMPv1 mode (RFC 3376 7.2.1) reports are Version 1 Reports and nothing is
    sent on leaving (RFC 1112 has no Leave)."""
    a = net.a
    so = udp4(a)
    join(a, so)
    net.run(3 * SEC)
    t = net.sched.now
    a.inject(igmp_packet(IgmpMessage(IGMP_HOST_MEMBERSHIP_QUERY, bytes(4), 50).emit()), mcast=True)
    net.run(1 * MS)
    a.inject(igmp_packet(IgmpMessage(IGMP_v2_HOST_MEMBERSHIP_REPORT, A(G)).emit(), dst=G,
                         src="10.0.0.9"), mcast=True)
    net.run(6 * SEC)
    assert sent(net, t) == []
    a.inject(igmp_packet(IgmpMessage(IGMP_HOST_MEMBERSHIP_QUERY, bytes(4), 0).emit(), ra=False),
             mcast=True)                                       # a Version 1 Query: code 0
    net.run(11 * SEC)
    assert [(m[4][0], m[1]) for m in sent(net, t)] == [(IGMP_v1_HOST_MEMBERSHIP_REPORT, 20)]
    t = net.sched.now
    a.setopt(so, IPPROTO_IP, IP_DROP_MEMBERSHIP, ip_mreq(A(G), A("10.0.0.1")))
    net.run(1 * SEC)
    assert sent(net, t) == []


def test_rfc2236_6_all_systems_group_is_never_reported(net):
    """RFC 2236 6: "The all-systems group (address 224.0.0.1) is handled as a
    special case ... never sends a report for that group" — joined, silent."""
    a = net.a
    assert a.ifp().if_findmulti(bytes.fromhex("01005e000001")) is not None
    join(a, udp4(a))
    net.run(3 * SEC)
    t = net.sched.now
    a.inject(igmp_packet(IgmpV3Query(bytes(4), 5).emit()), mcast=True)
    net.run(2 * SEC)
    assert [[r[1] for r in rs] for rs in v3_records(sent(net, t))] == [[A(G)]]
    assert all(r[1] != A(ALLHOSTS) for rs in v3_records(sent(net)) for r in rs)


@pytest.mark.parametrize("pkt,counter", [
    (lambda: igmp_packet(IgmpV3Query(bytes(4), 5).emit(), ttl=2), "igps_rcv_badttl"),
    (lambda: igmp_packet(IgmpV3Query(bytes(4), 5).emit()[:4] + b"\0\0\0\1"), "igps_rcv_badsum"),
    (lambda: igmp_packet(b"\x11\x05"), "igps_rcv_tooshort"),
    (lambda: igmp_packet(_fix(IgmpV3Query(bytes(4), 5).emit()[:10])), "igps_rcv_badqueries"),
    (lambda: igmp_packet(IgmpV3Query(A(G), 5).emit()), "igps_rcv_badqueries"),   # specific, to 224.0.0.1
    (lambda: igmp_packet(_fix(IgmpV3Query(bytes(4), 5).emit()[:10] + b"\0\x09")),
     "igps_rcv_badqueries"),                                                    # 9 sources, none there
    (lambda: igmp_packet(IgmpMessage(IGMP_v2_HOST_MEMBERSHIP_REPORT, A(G)).emit(), dst="239.9.9.9"),
     "igps_rcv_badreports"),
])
def test_rfc3376_malformed_igmp_is_dropped_and_counted(net, pkt, counter):
    a = net.a
    so = udp4(a)
    join(a, so)
    a.setopt(so, IPPROTO_IP, IP_ADD_MEMBERSHIP, ip_mreq(A("239.9.9.9"), A("10.0.0.1")))
    a.inject(igmp_packet(IgmpMessage(IGMP_HOST_MEMBERSHIP_QUERY, bytes(4), 10).emit()), mcast=True)
    net.run(20 * SEC)                                    # (IGMPv2 mode for the report case)
    t = net.sched.now
    a.inject(pkt(), mcast=True)
    net.run(3 * SEC)
    assert getattr(a.k.igmpstat, counter) == 1
    assert [m for m in sent(net, t) if m[4][0] == IGMP_v3_HOST_MEMBERSHIP_REPORT] == []
    assert net.panics() == []


def _fix(msg: bytes) -> bytes:
    """Recompute the IGMP checksum of a hand-cut message."""
    b = bytearray(msg)
    b[2:4] = b"\0\0"
    b[2:4] = in_cksum(bytes(b)).to_bytes(2, "big")
    return bytes(b)


def test_rfc3678_ip_msfilter_and_mcast_join_group_for_ipv4(net):
    """RFC 3678 5.1/5.2 for AF_INET: MCAST_JOIN_GROUP, then setsourcefilter
    (IP_MSFILTER) to INCLUDE {S1}: EXCLUDE {} -> INCLUDE {S1}: TO_IN (S1)."""
    a = net.a
    so = udp4(a)
    idx = a.ifp().if_index
    a.setopt(so, IPPROTO_IP, MCAST_JOIN_GROUP, group_req(idx, sockaddr_in(A(G))))
    net.run(3 * SEC)
    t = net.sched.now
    a.setopt(so, IPPROTO_IP, IP_MSFILTER, msfilterreq(idx, sockaddr_in(A(G)), MCAST_INCLUDE, 1,
                                                      (sockaddr_in(A(S1)),)))
    net.run(1 * MS)
    assert v3_records(sent(net, t)) == [[(IGMP_CHANGE_TO_INCLUDE_MODE, A(G), (A(S1),))]]


def test_igmp_capture_is_clean_in_tshark(net, tmp_path):
    net.segs["lan0"].capture_to(tmp_path / "igmp.pcap")
    a = net.a
    so = udp4(a)
    join(a, so)
    a.setopt(so, IPPROTO_IP, IP_ADD_SOURCE_MEMBERSHIP, ip_mreq_source(A("232.1.1.1"), A(S1), A("10.0.0.1")))
    a.inject(igmp_packet(IgmpV3Query(bytes(4), 10).emit()), mcast=True)
    net.run(2 * SEC)
    a.inject(igmp_packet(IgmpMessage(IGMP_HOST_MEMBERSHIP_QUERY, bytes(4), 10).emit()), mcast=True)
    net.run(2 * SEC)
    a.setopt(so, IPPROTO_IP, IP_DROP_MEMBERSHIP, ip_mreq(A(G), A("10.0.0.1")))
    net.run(1 * SEC)
    assert a.k.igmpstat.igps_snd_reports >= 5
