"""A router forwarding (kernel/netinet6/ip6_forward.py): hop limit, Packet Too Big,
scope, redirects (RFC 8200 3, 5; RFC 4443 3; RFC 4007 9; RFC 4861 8).

The lab, built in code and configured with the userland programs::

    a 2001:db8:a::a --- lan0 ---+--- r em0 2001:db8:a::1      r em1 2001:db8:b::1 --- lan1 --- b
    d 2001:db8:d::d ------'     |          2001:db8:d::1
                                +--- r2 em0 2001:db8:a::2     r2 em1 2001:db8:c::1 --- lan2 --- c

a's default router is r (by its link-local address, as SLAAC would have it);
r reaches 2001:db8:c::/64 through r2, on the link the packets came from:
the case for a redirect.  d (2001:db8:d::d) is on lan0 too, with a prefix that
only r knows is on that link: a redirect to the destination itself.  A tap on
lan0 sends hand-made frames.
"""
from __future__ import annotations

import struct

import pytest

from emu.lab import Lab, program_table
from emu.sched import MS, SEC
from kernel.kern.uipc_mbuf import mbuf
from kernel.netinet6.ip6_output import ip6_output
from kernel.wire.ethernet import ETHERTYPE
from kernel.wire.icmp6 import (ICMP6_DST_UNREACH, ICMP6_DST_UNREACH_BEYONDSCOPE, ICMP6_ECHO_REQUEST,
                               ICMP6_PACKET_TOO_BIG, ICMP6_TIME_EXCEEDED, ND_REDIRECT)
from kernel.wire.in6 import inet_pton6
from kernel.wire.in_cksum import in6_cksum_data
from kernel.wire.ip6 import IPPROTO_ICMPV6
from kernel.wire.nd6 import (ND_OPT_REDIRECTED_HEADER, ND_OPT_TARGET_LINKADDR, PrefixInformation,
                             Redirect, RouterAdvert, SourceLinkAddr, TargetLinkAddr, parse_nd)
from tests.kernel.netinet6.ip6_lab import FrameLog, echo_body, ip6_packet

A = inet_pton6
MAC = {"a": "020000000a01", "r0": "020000000101", "r1": "020000000102", "r20": "020000000201",
       "r21": "020000000202", "b": "020000000b01", "c": "020000000c01", "d": "020000000d01",
       "tap": "02000000ee01"}
R_LL, R2_LL, A_LL = "fe80::ff:fe00:101", "fe80::ff:fe00:201", "fe80::ff:fe00:a01"
TAP_LL = "fe80::ff:fe00:ee01"


class Tap:
    """A port on a segment that sends hand-made frames."""

    def __init__(self, seg) -> None:
        self.port = seg.attach(self, "tap")

    def receive_frame(self, frame: bytes) -> None:
        pass

    def link_changed(self, up: bool) -> None:
        pass

    def send(self, edst: str, pkt: bytes) -> None:
        assert self.port.transmit(bytes.fromhex(edst) + bytes.fromhex(MAC["tap"])
                                  + int(ETHERTYPE.IPV6).to_bytes(2, "big") + pkt)


class Routed:
    def __init__(self) -> None:
        lab = self.lab = Lab(seed=1)
        lab.programs = program_table()
        self.logs = {}
        segs = {}
        for n in ("lan0", "lan1", "lan2"):
            segs[n] = lab.segment(n)
            self.logs[n] = FrameLog()
            segs[n].add_capture(self.logs[n])
        m = {k: bytes.fromhex(v) for k, v in MAC.items()}
        lab.machine("a", nics=[("em", segs["lan0"], m["a"])])
        lab.machine("r", nics=[("em", segs["lan0"], m["r0"]), ("em", segs["lan1"], m["r1"])])
        lab.machine("r2", nics=[("em", segs["lan0"], m["r20"]), ("em", segs["lan2"], m["r21"])])
        lab.machine("b", nics=[("em", segs["lan1"], m["b"])])
        lab.machine("c", nics=[("em", segs["lan2"], m["c"])])
        lab.machine("d", nics=[("em", segs["lan0"], m["d"])])
        self.tap = Tap(segs["lan0"])
        lab.boot()
        self.sh("a", "ifconfig em0 inet6 2001:db8:a::a prefixlen 64 up")
        self.sh("r", "ifconfig em0 inet6 2001:db8:a::1 prefixlen 64 up")
        self.sh("r", "ifconfig em1 inet6 2001:db8:b::1 prefixlen 64 up")
        self.sh("r2", "ifconfig em0 inet6 2001:db8:a::2 prefixlen 64 up")
        self.sh("r2", "ifconfig em1 inet6 2001:db8:c::1 prefixlen 64 up")
        self.sh("b", "ifconfig em0 inet6 2001:db8:b::b prefixlen 64 up")
        self.sh("c", "ifconfig em0 inet6 2001:db8:c::c prefixlen 64 up")
        self.sh("d", "ifconfig em0 inet6 2001:db8:d::d prefixlen 64 up")
        self.sh("r", "ifconfig em0 inet6 2001:db8:d::1 prefixlen 64 alias")
        lab.run_for(3 * SEC)                                    # DAD
        self.sh("r", "sysctl -q net.inet6.ip6.forwarding=1")
        self.sh("r2", "sysctl -q net.inet6.ip6.forwarding=1")
        self.sh("a", f"route -q add -inet6 default {R_LL}%em0")
        self.sh("b", "route -q add -inet6 default fe80::ff:fe00:102%em0")
        self.sh("c", "route -q add -inet6 default fe80::ff:fe00:202%em0")
        self.sh("r", f"route -q add -inet6 2001:db8:c:: -prefixlen 64 {R2_LL}%em0")
        self.sh("r2", f"route -q add -inet6 default {R_LL}%em0")
        self.sh("d", f"route -q add -inet6 default {R_LL}%em0")

    def sh(self, host: str, line: str) -> str:
        status, out = self.lab.run_command(host, line)
        assert status == 0, f"{host}: {line}: {out}"
        return out

    def k(self, host: str):
        return self.lab.machines[host].kernel

    def icmp6(self, seg: str, itype: int) -> list[bytes]:
        return self.logs[seg].icmp6(itype)

    def clear(self) -> None:
        for log in self.logs.values():
            log.frames.clear()


@pytest.fixture
def net():
    n = Routed()
    yield n
    assert [h for h, lm in n.lab.machines.items() if lm.machine.panicked] == []


# -- hop limit, size, scope ---------------------------------------------------------------------
def test_rfc8200_3_the_hop_limit_is_decremented_by_each_router(net):
    """RFC 8200 3: "Decremented by 1 by each node that forwards the packet.\""""
    net.sh("a", "ping6 -c 1 -h 5 2001:db8:b::b")
    (req,) = [p for p in net.logs["lan1"].icmp6(ICMP6_ECHO_REQUEST)]
    assert req[7] == 4 and net.k("r").ip6stat.ip6s_forward == 2         # request and reply


def test_rfc4443_3_3_hop_limit_1_is_time_exceeded_code_0(net):
    """RFC 4443 3.3: "If a router receives a packet with a Hop Limit of zero, or
    if a router decrements a packet's Hop Limit to zero, it MUST discard the
    packet and originate an ICMPv6 Time Exceeded message with Code 0"."""
    net.clear()
    status, out = net.lab.run_command("a", "ping6 -v -c 1 -h 1 2001:db8:b::b")
    assert status == 2 and "64 bytes from 2001:db8:a::1: Time to live exceeded\n" in out
    assert net.logs["lan1"].ip6() == []                                 # not forwarded
    (te,) = net.icmp6("lan0", ICMP6_TIME_EXCEEDED)
    assert te[41] == 0 and te[8:24] == A("2001:db8:a::1") and te[48 + 7] == 1
    st = net.k("r").ip6stat
    assert st.ip6s_cantforward == 1 and st.ip6s_forward == 0
    assert net.k("r").icmp6stat.icp6s_otime_exceed_transit == 1


def test_rfc8200_5_a_packet_larger_than_the_outgoing_link_mtu_gets_packet_too_big(net):
    """RFC 8200 5: a router never fragments; RFC 4443 3.2: "A Packet Too Big MUST
    be sent by a router in response to a packet that it cannot forward because
    the packet is larger than the MTU of the outgoing link", the MTU field
    being "The Maximum Transmission Unit of the next-hop link"."""
    net.sh("r", "ifconfig em1 mtu 1280")
    net.sh("b", "ifconfig em0 mtu 1280")
    net.clear()
    status, out = net.lab.run_command("a", "ping6 -v -m -c 1 -s 1400 2001:db8:b::b")
    assert "from 2001:db8:a::1: Packet too big mtu = 1280\n" in out
    (ptb,) = net.icmp6("lan0", ICMP6_PACKET_TOO_BIG)
    assert struct.unpack_from("!I", ptb, 44)[0] == 1280 and len(ptb) <= 1280
    assert net.logs["lan1"].ip6() == []
    assert net.k("r").ip6stat.ip6s_cantforward == 1
    # the source learns the path MTU and fragments: no packet over 1280 crosses lan1
    assert net.lab.run_command("a", "ping6 -m -c 1 -s 1400 2001:db8:b::b")[0] == 0
    assert net.logs["lan1"].ip6() and max(len(p) for p in net.logs["lan1"].ip6()) <= 1280


def test_rfc4007_9_link_local_source_is_not_forwarded_to_another_link_code_2(net):
    """RFC 4007 9: a router "MUST NOT forward" a packet out of the zone of its
    source; RFC 4443 3.1: Destination Unreachable code 2, "beyond scope of
    source address"."""
    a = net.k("a")
    pkt = ip6_packet(A(A_LL), A("2001:db8:b::b"), IPPROTO_ICMPV6,
                     echo_body(A(A_LL), A("2001:db8:b::b")))
    net.clear()
    assert ip6_output(a, mbuf(pkt)) == 0
    net.lab.run_for(10 * MS)
    (du,) = net.icmp6("lan0", ICMP6_DST_UNREACH)
    assert du[41] == ICMP6_DST_UNREACH_BEYONDSCOPE and du[24:40] == A(A_LL)
    assert du[8:24] == A(R_LL)                          # from the link of the source
    assert net.logs["lan1"].ip6() == []
    st = net.k("r").ip6stat
    assert st.ip6s_badscope == 1 and st.ip6s_cantforward == 1


@pytest.mark.parametrize("src,dst,why", [
    ("2001:db8:a::99", "fe80::ff:fe00:b01", "link-local destination (RFC 4291 2.5.6)"),
    ("::", "2001:db8:b::b", "unspecified source"),
])
def test_rfc4291_2_5_6_link_local_destination_or_unspecified_source_is_not_forwarded(net, src,
                                                                                     dst, why):
    net.clear()
    net.tap.send(MAC["r0"], ip6_packet(A(src), A(dst), IPPROTO_ICMPV6, echo_body(A(src), A(dst))))
    net.lab.run_for(10 * MS)
    assert net.logs["lan1"].ip6() == [], why
    assert net.icmp6("lan0", ICMP6_DST_UNREACH) == []            # silently
    assert net.k("r").ip6stat.ip6s_cantforward == 1


def test_rfc4443_3_1_out_an_interface_that_is_down_is_address_unreachable_code_3(net):
    """What nd6_output would refuse (the link is down): FreeBSD's ip6_forward
    answers Destination Unreachable code 3, "address unreachable"."""
    net.sh("r", "ifconfig em1 down")
    net.clear()
    status, out = net.lab.run_command("a", "ping6 -v -c 1 2001:db8:b::b")
    assert status == 2 and "64 bytes from 2001:db8:a::1: Destination Host Unreachable\n" in out
    assert net.k("r").ip6stat.ip6s_cantforward == 1 and net.logs["lan1"].ip6() == []


def test_net_inet6_ip6_forwarding_0_stops_forwarding(net):
    net.sh("r", "sysctl -q net.inet6.ip6.forwarding=0")
    net.clear()
    assert net.lab.run_command("a", "ping6 -c 1 2001:db8:b::b")[0] == 2
    assert net.logs["lan1"].ip6() == [] and net.k("r").ip6stat.ip6s_cantforward == 1


# -- redirects (RFC 4861 8.2, 8.3) -----------------------------------------------------------------
def redirects(net) -> list[tuple[bytes, Redirect]]:
    out = []
    for p in net.icmp6("lan0", ND_REDIRECT):
        plen = struct.unpack_from("!H", p, 4)[0]
        assert in6_cksum_data(p[8:24], p[24:40], IPPROTO_ICMPV6, p[40:40 + plen]) == 0
        out.append((p, parse_nd(p[40:40 + plen])))
    return out


def test_rfc4861_8_2_redirect_to_a_better_router_with_its_link_layer_address(net):
    """RFC 4861 8.2: the packet leaves by the interface it came in on, its source
    is a neighbor: "the Target Address field: ... If the target is a router,
    that router's link-local address MUST be used"; "Destination Address field:
    the destination address of the invoking IP packet"; "Target Link-Layer
    Address option: link-layer address of the target, if known"; "Redirected
    Header: as much of the forwarded packet as can fit without the redirect
    packet exceeding the minimum MTU"; from the link-local address of the
    interface, hop limit 255 (4.5)."""
    net.sh("r", f"ping6 -c 1 {R2_LL}%em0")                      # r knows r2's address now
    net.clear()
    net.sh("a", "ping6 -c 1 2001:db8:c::c")
    ((p, rd),) = redirects(net)
    assert p[8:24] == A(R_LL) and p[24:40] == A("2001:db8:a::a") and p[7] == 255
    assert rd.code == 0 and rd.target == A(R2_LL) and rd.destination == A("2001:db8:c::c")
    assert rd.option(TargetLinkAddr).lladdr == bytes.fromhex(MAC["r20"])
    inner = rd.options[1].data
    assert rd.options[0].TYPE == ND_OPT_TARGET_LINKADDR
    assert rd.options[1].TYPE == ND_OPT_REDIRECTED_HEADER
    assert inner[8:24] == A("2001:db8:a::a") and inner[24:40] == A("2001:db8:c::c")
    assert inner[7] == 63 and inner[40] == ICMP6_ECHO_REQUEST      # the packet as forwarded
    r = net.k("r")
    assert r.ip6stat.ip6s_redirectsent == 1 and r.icmp6stat.icp6s_outhist[ND_REDIRECT] == 1
    assert r.icmp6stat.icp6s_oredirect == 1


def test_rfc4861_8_3_the_host_accepts_the_redirect_and_uses_the_new_first_hop(net):
    """RFC 4861 8.3: the host "MUST update its Destination Cache accordingly so
    that subsequent traffic goes to the specified target"."""
    net.sh("a", "ping6 -c 1 2001:db8:c::c")
    routes = net.sh("a", "netstat -rn -f inet6").splitlines()
    assert any(l.split()[:4] == ["2001:db8:c::c", f"{R2_LL}%em0", "UGHD", "em0"] for l in routes)
    fwd = net.k("r").ip6stat.ip6s_forward
    net.clear()
    net.sh("a", "ping6 -c 3 2001:db8:c::c")
    assert net.k("r").ip6stat.ip6s_forward == fwd                   # r no longer in the path
    assert net.k("r").ip6stat.ip6s_redirectsent == 1                 # so no second redirect
    to_c = [f for _, f in net.logs["lan0"].frames
            if f[6:12] == bytes.fromhex(MAC["a"]) and f[38:54] == A("2001:db8:c::c")]
    assert len(to_c) == 3 and all(f[:6] == bytes.fromhex(MAC["r20"]) for f in to_c)


def test_rfc4861_8_2_redirect_to_an_on_link_destination(net):
    """RFC 4861 8.2: "If the target is a host, the target address field MUST be
    set to the same value as the Destination Address field"; the host then
    sends to the destination directly (RFC 4861 8.3: "the destination is
    on-link")."""
    net.clear()
    net.sh("a", "ping6 -c 1 2001:db8:d::d")
    ((_p, rd),) = [x for x in redirects(net) if x[0][24:40] == A("2001:db8:a::a")]
    assert rd.target == rd.destination == A("2001:db8:d::d")
    routes = net.sh("a", "netstat -rn -f inet6").splitlines()
    assert any(l.split()[:4] == ["2001:db8:d::d", "link#1", "UHD", "em0"] for l in routes), routes
    net.clear()
    net.sh("a", "ping6 -c 1 2001:db8:d::d")
    to_d = [f for _, f in net.logs["lan0"].frames
            if f[6:12] == bytes.fromhex(MAC["a"]) and f[38:54] == A("2001:db8:d::d")]
    assert to_d and all(f[:6] == bytes.fromhex(MAC["d"]) for f in to_d)


def test_rfc4861_8_2_target_link_layer_address_only_if_known(net):
    """The first packet to r2 waits for address resolution: r does not know
    r2's link-layer address when it sends the redirect, so no option."""
    net.clear()
    net.sh("a", "ping6 -c 1 2001:db8:c::c")
    ((_p, rd),) = redirects(net)
    assert rd.option(TargetLinkAddr) is None and rd.options[0].TYPE == ND_OPT_REDIRECTED_HEADER


@pytest.mark.parametrize("known", [False, True])
def test_rfc4861_8_2_redirect_never_exceeds_the_minimum_mtu(net, known):
    """The Redirected Header carries as much of a large packet as fits in 1280
    octets, in a multiple of 8 octets (RFC 4861 4.6.3)."""
    if known:
        net.sh("r", f"ping6 -c 1 {R2_LL}%em0")
    net.sh("a", "sysctl -q net.inet6.icmp6.rediraccept=0")
    net.clear()
    net.sh("a", "ping6 -m -c 1 -s 1400 2001:db8:c::c")
    ((p, rd),) = redirects(net)
    assert len(p) == 1280
    rh = rd.options[-1]
    assert rh.TYPE == ND_OPT_REDIRECTED_HEADER and len(rh.data) % 8 == 0
    assert len(rh.data) == (1184 if known else 1192)
    assert rh.data[8:40] == A("2001:db8:a::a") + A("2001:db8:c::c")


def test_rfc4861_8_2_redirects_are_rate_limited(net):
    """RFC 4861 8.2: "A router MUST limit the rate at which Redirect messages are
    sent" — with ICMPv6's token bucket (net.inet6.icmp6.errppslimit), as
    FreeBSD's icmp6_redirect_output.  The host ignores the redirects
    (rediraccept=0), so every echo goes through r."""
    net.sh("a", "sysctl -q net.inet6.icmp6.rediraccept=0")
    net.sh("r", "sysctl -q net.inet6.icmp6.errppslimit=1")
    net.clear()
    net.sh("a", "ping6 -c 5 -i 0.1 2001:db8:c::c")
    assert len(redirects(net)) == 1
    st, ic = net.k("r").ip6stat, net.k("r").icmp6stat
    assert st.ip6s_redirectsent == 5 and ic.icp6s_toofreq == 4
    assert ic.icp6s_outhist[ND_REDIRECT] == 1
    net.lab.run_for(SEC)                                # a token again
    net.sh("a", "ping6 -c 1 2001:db8:c::c")
    assert len(redirects(net)) == 2
    assert net.k("a").nd6stat.nd6s_rd_ignored == 2


def test_net_inet6_ip6_redirect_0_sends_no_redirect(net):
    net.sh("r", "sysctl -q net.inet6.ip6.redirect=0")
    net.clear()
    net.sh("a", "ping6 -c 2 2001:db8:c::c")
    assert redirects(net) == [] and net.k("r").ip6stat.ip6s_redirectsent == 0
    assert net.k("r").ip6stat.ip6s_forward == 2


def test_rfc4861_8_2_no_redirect_when_the_source_is_not_a_neighbor(net):
    """A packet from c (behind r2) to b goes r2 -> r over lan0 and leaves r on
    lan1: no redirect.  One from c to a neighbour of lan0 through r comes in
    and out of em0, but c is not on lan0: no redirect either."""
    net.sh("r2", "route -q delete -inet6 2001:db8:a:: -prefixlen 64")
    net.sh("r2", f"route -q add -inet6 2001:db8:a::a {R_LL}%em0")   # a via r: a detour
    net.clear()
    net.sh("c", "ping6 -c 1 2001:db8:a::a")
    # (a's reply to c does get a redirect: a is r's neighbour)
    assert [rd for _p, rd in redirects(net) if rd.destination == A("2001:db8:a::a")] == []
    assert net.k("r").stats.get("icmp6_redirect_notneighbor") == 1


# -- routers do not learn from RAs and redirects ---------------------------------------------------
def test_rfc4861_6_3_4_and_8_1_a_router_accepts_neither_ras_nor_redirects(net):
    """RFC 4861 6.3.4 and 8.1 are host behaviour; FreeBSD: "Receiving RA is
    allowed if ip6_forwarding==0 *and* ND6_IFF_ACCEPT_RTADV is set"."""
    net.sh("r", "ifconfig em0 inet6 accept_rtadv")
    ra = RouterAdvert(options=(SourceLinkAddr(bytes.fromhex(MAC["tap"])),
                               PrefixInformation(A("2001:db8:77::"), 64))).emit(
        A(TAP_LL), A("ff02::1"))
    net.tap.send("333300000001", ip6_packet(A(TAP_LL), A("ff02::1"), IPPROTO_ICMPV6, ra, 255))
    rd = Redirect(A("fe80::ff:fe00:201"), A("2001:db8:c::c")).emit(A(TAP_LL), A("2001:db8:a::1"))
    net.tap.send(MAC["r0"], ip6_packet(A(TAP_LL), A("2001:db8:a::1"), IPPROTO_ICMPV6, rd, 255))
    net.lab.run_for(10 * MS)
    r = net.k("r")
    assert r.nd6stat.nd6s_ra_router == 1 and r.nd6stat.nd6s_rd_ignored == 1
    assert net.sh("r", "ndp -r") == "" and "2001:db8:77" not in net.sh("r", "ifconfig em0")
