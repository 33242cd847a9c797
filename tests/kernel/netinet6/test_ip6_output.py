"""kernel/netinet6/ip6_output.py and ip6_forward.py over real em NICs in virtual time."""
from __future__ import annotations

from kernel.wire import errno
import subprocess

import pytest

from emu.wire.pcap import PcapWriter
from kernel.net.route import rtalloc1, rtrequest
from kernel.netinet6.ip6_var import (IP6PO_DONTFRAG, IPV6_MINMTU, IPV6_UNSPECSRC, ip6_moptions,
                                     ip6_pktopts)
from kernel.wire.icmp6 import (ICMP6_DST_UNREACH, ICMP6_ECHO_REPLY, ICMP6_ECHO_REQUEST,
                               ICMP6_PACKET_TOO_BIG, ICMP6_TIME_EXCEEDED, icmp6_hdr)
from kernel.wire.ip6 import (IP6F_MORE_FRAG, IP6F_OFF_MASK, IPPROTO_DSTOPTS, IPPROTO_FRAGMENT,
                             IPPROTO_HOPOPTS, IPPROTO_ICMPV6, IPPROTO_ROUTING, ip6_frag)
from kernel.wire.route import RTF_BLACKHOLE, RTF_REJECT, RTM_ADD
from tests.conftest import require_tool
from tests.kernel.netinet6.ip6_lab import A, Net6, echo_body, ip6_packet

A_ADDR, B_ADDR = "2001:db8::a", "2001:db8::b"
SA, SB = A(A_ADDR), A(B_ADDR)




def fragments(pkts):
    """(offset, more, ident, length) of each fragment among IPv6 packets."""
    out = []
    for p in pkts:
        if p[6] == IPPROTO_FRAGMENT:
            nxt, _r, offlg, ident = ip6_frag.unpack_from(p, 40)
            out.append((offlg & IP6F_OFF_MASK, bool(offlg & IP6F_MORE_FRAG), ident, len(p)))
    return out


# -- fragmentation, reassembly, a 4000-byte echo --------------------------------------------------
def test_rfc8200_4_5_a_4000_byte_echo_is_fragmented_reassembled_and_answered(net):
    assert net.a.echo(A_ADDR, B_ADDR, 4000 - 48) == 0
    net.run()
    wire = net.logs["lan0"].ip6()
    req = [f for p, f in zip(wire, fragments(wire)) if p[8:24] == SA]
    rep = [f for p, f in zip(wire, fragments(wire)) if p[8:24] == SB]
    # 3960 bytes of ICMPv6 in 1448-byte pieces (1500 - 40 - 8, rounded down to 8)
    assert [(o, m, n) for o, m, _i, n in req] == [(0, True, 1496), (1448, True, 1496), (2896, False, 1112)]
    assert len({i for *_x, i, _n in req}) == 1
    assert [(o, m) for o, m, _i, _n in rep] == [(0, True), (1448, True), (2896, False)]
    assert net.a.ip6stat.ip6s_fragmented == 1 and net.a.ip6stat.ip6s_ofragments == 3
    assert net.b.ip6stat.ip6s_reassembled == 1 and net.a.ip6stat.ip6s_reassembled == 1
    assert net.a.icmp6stat.icp6s_inhist[ICMP6_ECHO_REPLY] == 1


def test_rfc8200_4_5_unfragmentable_part_keeps_hop_by_hop_and_routing_headers(net):
    opt = ip6_pktopts()
    opt.ip6po_hbh = bytes((0, 0, 1, 4, 0, 0, 0, 0))
    opt.ip6po_dest1 = bytes((0, 0, 1, 4, 0, 0, 0, 0))
    opt.ip6po_rthdr = bytes((0, 2, 0, 0)) + bytes(4) + SB          # RH0, segments left 0
    opt.ip6po_dest2 = bytes((0, 0, 1, 4, 0, 0, 0, 0))
    assert net.a.echo(A_ADDR, B_ADDR, 3000, opt=opt) == 0
    net.run()
    first = [p for p in net.logs["lan0"].ip6() if p[8:24] == SA][0]
    # IPv6 | HBH | DST | RH | FRAG | (DST ICMPv6 ...): RFC 8200 4.1 order, 4.5 split
    assert (first[6], first[40], first[48], first[56]) == \
        (IPPROTO_HOPOPTS, IPPROTO_DSTOPTS, IPPROTO_ROUTING, IPPROTO_FRAGMENT)
    assert first[80] == IPPROTO_DSTOPTS and first[88] == IPPROTO_ICMPV6
    assert net.b.icmp6stat.icp6s_inhist[ICMP6_ECHO_REQUEST] == 1     # walked and reassembled


def test_rfc3542_11_2_ipv6_dontfrag_gives_emsgsize(net):
    opt = ip6_pktopts()
    opt.ip6po_flags |= IP6PO_DONTFRAG
    assert net.a.echo(A_ADDR, B_ADDR, 3000, opt=opt) == errno.EMSGSIZE
    assert net.a.ip6stat.ip6s_cantfrag == 1
    assert net.a.echo(A_ADDR, B_ADDR, 1000, opt=opt) == 0


def test_rfc3542_11_1_use_min_mtu_fragments_to_1280(net):
    assert net.a.echo(A_ADDR, B_ADDR, 1400, ) == 0          # fits 1500: not fragmented
    assert net.a.send(ip6_packet(SA, SB, IPPROTO_ICMPV6, echo_body(SA, SB, bytes(1400))),
                      flags=IPV6_MINMTU) == 0
    net.run()
    fr = fragments([p for p in net.logs["lan0"].ip6() if p[8:24] == SA])
    assert [(o, n) for o, _m, _i, n in fr] == [(0, 1280), (1232, 224)]


def test_rfc8021_no_atomic_fragments_are_generated(net):
    net.a.echo(A_ADDR, B_ADDR, 1452)                          # exactly 1500 bytes
    net.run()
    assert fragments(net.logs["lan0"].ip6()) == []


# -- output checks -----------------------------------------------------------------------------
def test_unspecified_source_needs_ipv6_unspecsrc(net):
    pkt = ip6_packet(A("::"), A("ff02::1:ff00:b"), IPPROTO_ICMPV6, echo_body(A("::"), A("ff02::1:ff00:b")))
    im6o = ip6_moptions(net.a.ifp(), 255, 0)
    assert net.a.send(pkt, im6o=im6o) == errno.EOPNOTSUPP and net.a.ip6stat.ip6s_badscope == 1
    assert net.a.send(pkt, im6o=im6o, flags=IPV6_UNSPECSRC) == 0
    net.run()
    (p,) = [p for p in net.logs["lan0"].ip6() if p[24:40] == A("ff02::1:ff00:b")]
    assert p[7] == 255                                          # im6o's hop limit


def test_rfc4007_6_scoped_destination_without_zone_is_refused(net):
    assert net.a.echo("fe80::a", "fe80::b") == errno.EHOSTUNREACH
    assert net.a.ip6stat.ip6s_badscope == 1
    assert net.a.echo("fe80::a", "fe80::b", zone=net.a.ifp().if_index) == 0


def test_no_route_reject_and_blackhole(net):
    assert net.a.echo(A_ADDR, "2001:db9::1") == errno.EHOSTUNREACH
    assert net.a.ip6stat.ip6s_noroute == 1
    rtrequest(net.a.k, RTM_ADD, A("2001:db9::"), 32, None, RTF_REJECT)
    rtrequest(net.a.k, RTM_ADD, A("2001:dba::"), 32, None, RTF_BLACKHOLE)
    assert net.a.echo(A_ADDR, "2001:db9::1") == errno.EHOSTUNREACH
    assert net.a.echo(A_ADDR, "2001:dba::1") == 0
    net.run()
    assert net.logs["lan0"].ip6() == []


def test_packet_to_our_own_address_is_looped_back(net):
    assert net.a.echo(A_ADDR, A_ADDR) == 0
    net.run()
    st = net.a.icmp6stat
    assert st.icp6s_inhist[ICMP6_ECHO_REQUEST] == 1 and st.icp6s_inhist[ICMP6_ECHO_REPLY] == 1
    assert net.logs["lan0"].ip6() == []


def test_multicast_goes_out_im6o_interface_and_loops_back_to_members(net):
    net.a.join("ff02::1")
    net.b.join("ff02::1")
    pkt = ip6_packet(A("fe80::a"), A("ff02::1"), IPPROTO_ICMPV6, echo_body(A("fe80::a"), A("ff02::1")))
    assert net.a.send(pkt, im6o=ip6_moptions(net.a.ifp(), 1, 1)) == 0
    net.run()
    # b answers on the wire, a answers its own looped copy
    assert net.b.icmp6stat.icp6s_inhist[ICMP6_ECHO_REQUEST] == 1
    assert net.a.icmp6stat.icp6s_inhist[ICMP6_ECHO_REQUEST] == 1
    # without loopback, and with hop limit 0 nothing leaves the host
    assert net.a.send(pkt, im6o=ip6_moptions(net.a.ifp(), 0, 0)) == 0
    net.run()
    assert net.a.icmp6stat.icp6s_inhist[ICMP6_ECHO_REQUEST] == 1
    assert net.b.icmp6stat.icp6s_inhist[ICMP6_ECHO_REQUEST] == 1


def test_multicast_without_interface_is_enetunreach(net):
    pkt = ip6_packet(SA, A("ff02::1"), IPPROTO_ICMPV6, echo_body(SA, A("ff02::1")))
    assert net.a.send(pkt) == errno.ENETUNREACH and net.a.ip6stat.ip6s_noroute == 1


# -- Packet Too Big updates the path MTU ----------------------------------------------------------
def test_rfc8201_packet_too_big_updates_path_mtu_and_later_packets_fit(net):
    net.a.route("2001:db8:99::", 48, "fe80::b")
    far = "2001:db8:99::1"
    big = ip6_packet(SA, A(far), IPPROTO_ICMPV6, echo_body(SA, A(far), bytes(1400)))
    # b plays the router whose next link is 1280: it returns the packet in a PTB
    ptb = icmp6_hdr.pack(ICMP6_PACKET_TOO_BIG, 0, 0, 1280) + big[:1232]
    from tests.kernel.netinet6.ip6_lab import with_cksum
    net.b.send(ip6_packet(SB, SA, IPPROTO_ICMPV6, with_cksum(SB, SA, IPPROTO_ICMPV6, ptb)))
    net.run()
    assert rtalloc1(net.a.k, A(far)).rt_mtu == 1280
    net.a.echo(A_ADDR, far, 1400)
    net.run()
    fr = fragments([p for p in net.logs["lan0"].ip6() if p[8:24] == SA])
    assert [n for *_x, n in fr] == [1280, 224] and net.a.icmp6stat.icp6s_pmtuchg == 1


# -- through a router: A - R - B with a 1280-byte second link ---------------------------------------
@pytest.fixture
def routed(monkeypatch):
    n = Net6(monkeypatch)
    n.segment("lan0")
    n.segment("lan1", mtu=1280)
    a = n.host("a", "lan0")
    r = n.host("r", "lan0", "lan1")
    b = n.host("b", "lan1")
    assert r.ifp(1).if_setmtu(1280) == 0 and b.ifp(0).if_setmtu(1280) == 0
    a.addr("2001:db8:a::a")
    a.addr("fe80::a")
    r.addr("2001:db8:a::1", i=0)
    r.addr("fe80::1", i=0)
    r.addr("2001:db8:b::1", i=1)
    r.addr("fe80::1", i=1)
    b.addr("2001:db8:b::b")
    b.addr("fe80::b")
    a.route("::", 0, "fe80::1")
    b.route("::", 0, "fe80::1")
    a.neighbor("fe80::1", r)
    b.neighbor("fe80::1", r, j=1)
    r.neighbor("2001:db8:a::a", a, i=0)
    r.neighbor("2001:db8:b::b", b, i=1)
    r.k.ip6.ip6_forwarding = 1
    n.run()
    n.a, n.r, n.b = a, r, b
    yield n
    assert n.panics() == []


def test_router_forwards_and_decrements_the_hop_limit(routed):
    routed.a.echo("2001:db8:a::a", "2001:db8:b::b", 100, hlim=10)
    routed.run()
    (p,) = [p for p in routed.logs["lan1"].ip6() if p[8:24] == A("2001:db8:a::a")]
    assert p[7] == 9 and routed.r.ip6stat.ip6s_forward == 2      # request and reply
    assert routed.a.icmp6stat.icp6s_inhist[ICMP6_ECHO_REPLY] == 1


def test_rfc4443_3_3_hop_limit_exhausted_is_time_exceeded_code_0(routed):
    routed.a.echo("2001:db8:a::a", "2001:db8:b::b", 100, hlim=1)
    routed.run()
    assert routed.a.icmp6stat.icp6s_inhist[ICMP6_TIME_EXCEEDED] == 1
    assert routed.logs["lan1"].ip6() == []


def test_rfc4443_3_1_no_route_is_destination_unreachable_code_0(routed):
    routed.a.echo("2001:db8:a::a", "2001:db8:c::c", 100)
    routed.run()
    (p,) = routed.logs["lan0"].icmp6(ICMP6_DST_UNREACH)
    assert p[41] == 0 and routed.r.ip6stat.ip6s_noroute == 1


def test_rfc8201_router_packet_too_big_then_source_fragments_to_1280(routed, tmp_path):
    cap = PcapWriter(str(tmp_path / "lan0.pcap"))
    routed.segs["lan0"].add_capture(cap)
    routed.a.echo("2001:db8:a::a", "2001:db8:b::b", 1400, seq=1)
    routed.run()
    assert routed.a.icmp6stat.icp6s_inhist[ICMP6_PACKET_TOO_BIG] == 1
    assert rtalloc1(routed.a.k, A("2001:db8:b::b")).rt_mtu == 1280
    routed.a.echo("2001:db8:a::a", "2001:db8:b::b", 1400, seq=2)
    routed.run()
    # the second request crossed in 1280-byte fragments; b's reply was fragmented by b
    assert routed.b.ip6stat.ip6s_reassembled == 1 and routed.b.ip6stat.ip6s_fragmented == 1
    assert routed.a.icmp6stat.icp6s_inhist[ICMP6_ECHO_REPLY] == 1
    cap.close()
    tshark = require_tool("tshark")
    r = subprocess.run([tshark, "-r", str(tmp_path / "lan0.pcap"), "-o", "udp.check_checksum:TRUE",
                        "-Y", '_ws.expert.severity >= "Warning"', "-T", "fields",
                        "-e", "frame.number", "-e", "_ws.expert.message"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and r.stdout.strip() == "", r.stdout
    r = subprocess.run([tshark, "-r", str(tmp_path / "lan0.pcap"), "-T", "fields",
                        "-e", "icmpv6.type", "-e", "icmpv6.mtu"],
                       capture_output=True, text=True, timeout=120)
    lines = [l.split("\t") for l in r.stdout.split("\n") if l.strip()]
    assert ["2,128", "1280"] in lines and any(l[0] == "129" for l in lines)


def test_two_host_echo_and_fragments_pcap_is_clean_in_tshark(net, tmp_path):
    cap = PcapWriter(str(tmp_path / "lan0.pcap"))
    net.segs["lan0"].add_capture(cap)
    net.a.echo(A_ADDR, B_ADDR, 56)
    net.a.echo(A_ADDR, B_ADDR, 4000)
    net.a.echo("fe80::a", "fe80::b", 8, zone=net.a.ifp().if_index)
    net.run()
    cap.close()
    tshark = require_tool("tshark")
    r = subprocess.run([tshark, "-r", str(tmp_path / "lan0.pcap"), "-o", "udp.check_checksum:TRUE",
                        "-Y", '_ws.expert.severity >= "Warning"', "-T", "fields",
                        "-e", "frame.number", "-e", "_ws.expert.message"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and r.stdout.strip() == "", r.stdout
    r = subprocess.run([tshark, "-r", str(tmp_path / "lan0.pcap"), "-T", "fields",
                        "-e", "icmpv6.type", "-e", "icmpv6.checksum.status"],
                       capture_output=True, text=True, timeout=120)
    rows = [l.split("\t") for l in r.stdout.split("\n") if l.strip() and l.split("\t")[0]]
    assert sorted(t for t, _s in rows) == ["128"] * 3 + ["129"] * 3
    assert all(s == "1" for _t, s in rows)                   # checksum good


def test_rfc4443_3_1_link_local_source_beyond_scope_is_code_2(routed):
    from kernel.wire.icmp6 import ICMP6_DST_UNREACH_BEYONDSCOPE
    routed.r.neighbor("fe80::a", routed.a, i=0)
    routed.a.echo("fe80::a", "2001:db8:b::b", 10, zone=0)
    routed.run()
    (p,) = routed.logs["lan0"].icmp6(ICMP6_DST_UNREACH)
    assert p[41] == ICMP6_DST_UNREACH_BEYONDSCOPE and p[24:40] == A("fe80::a")
    assert routed.r.ip6stat.ip6s_badscope == 1 and routed.logs["lan1"].ip6() == []


def test_forwarding_off_means_not_ours_is_dropped(routed):
    routed.r.k.ip6.ip6_forwarding = 0
    routed.a.echo("2001:db8:a::a", "2001:db8:b::b", 10)
    routed.run()
    assert routed.r.ip6stat.ip6s_cantforward == 1 and routed.logs["lan1"].ip6() == []


def test_sysctl_exposes_the_counters_and_tunables(net):
    from kernel.kern.kern_sysctl import sysctl_lookup
    net.a.echo(A_ADDR, B_ADDR)
    net.run()
    assert sysctl_lookup(net.a.k, "net.inet6.ip6.stats")["ip6s_localout"] == 1
    assert sysctl_lookup(net.b.k, "net.inet6.icmp6.stats")["icp6s_inhist"][ICMP6_ECHO_REQUEST] == 1
    assert sysctl_lookup(net.a.k, "net.inet6.ip6.hlim") == 64
    assert sysctl_lookup(net.a.k, "net.inet6.ip6.forwarding", 1) == 0 and net.a.k.ip6.ip6_forwarding == 1
    with pytest.raises(OSError):
        sysctl_lookup(net.a.k, "net.inet6.ip6.mtudisc_timeout", 60)      # RFC 8201 5.3: >= 5 min


def test_rfc4862_5_4_5_input_on_an_interface_with_ipv6_disabled_is_dropped(net):
    from kernel.netinet6 import nd6
    from kernel.wire.in6_var import ND6_IFF_IFDISABLED
    nd6.ND_IFINFO(net.b.ifp()).flags |= ND6_IFF_IFDISABLED
    net.a.echo(A_ADDR, B_ADDR)
    net.run()
    assert net.b.k.stats["ip6_input_ifdisabled"] == 1 and net.b.ip6stat.ip6s_delivered == 0


def test_same_seed_same_frames(monkeypatch):
    def run():
        n = Net6(monkeypatch, seed=7)
        n.segment("lan0")
        a = n.host("a", "lan0")
        b = n.host("b", "lan0")
        a.addr(A_ADDR)
        b.addr(B_ADDR)
        a.neighbor(B_ADDR, b)
        b.neighbor(A_ADDR, a)
        a.echo(A_ADDR, B_ADDR, 5000)
        n.run()
        return n.logs["lan0"].frames
    assert run() == run()
