"""kernel/netinet6/icmp6.py: echo, RFC 4443 2.4 error rules, ND/MLD dispatch, Packet Too Big."""
from __future__ import annotations

import sys

import pytest

from kernel.kern.kern_sysctl import sysctl_lookup
from kernel.net.route import rtalloc1
from kernel.netinet6 import icmp6 as icmp6_mod
from kernel.wire.icmp6 import (ICMP6_DST_UNREACH, ICMP6_ECHO_REPLY, ICMP6_PACKET_TOO_BIG,
                               ICMP6_PARAM_PROB, ICMP6_PARAMPROB_NEXTHEADER, ICMP6_TIME_EXCEEDED,
                               MLD_LISTENER_QUERY, ND_NEIGHBOR_SOLICIT, ND_REDIRECT, icmp6_hdr)
from kernel.wire.in_cksum import in6_cksum
from kernel.wire.ip6 import IPPROTO_DSTOPTS, IPPROTO_ICMPV6, IPPROTO_UDP, IPV6_MMTU
from tests.kernel.netinet6.ip6_lab import A, Net6, echo_body, ip6_packet, with_cksum

A_ADDR, B_ADDR = "2001:db8::a", "2001:db8::b"
SA, SB = A(A_ADDR), A(B_ADDR)
LLA, LLB = A("fe80::a"), A("fe80::b")


@pytest.fixture
def net(monkeypatch):
    n = Net6(monkeypatch)
    n.segment("lan0")
    a = n.host("a", "lan0")
    b = n.host("b", "lan0")
    for h, g, ll in ((a, A_ADDR, "fe80::a"), (b, B_ADDR, "fe80::b")):
        h.addr(g)
        h.addr(ll)
    a.neighbor(B_ADDR, b)
    a.neighbor("fe80::b", b)
    b.neighbor(A_ADDR, a)
    b.neighbor("fe80::a", a)
    n.run()
    n.a, n.b = a, b
    yield n
    assert n.panics() == []


def sent_by(net, who, type=None):
    """ICMPv6 messages from ``who``'s addresses on the wire: (src, dst, type, code, param, body)."""
    mine = {a.ia_addr for a in net.fakes.addrs[id(who.k)]}
    out = []
    for p in net.logs["lan0"].icmp6(type):
        if p[8:24] in mine:
            t, c, _ck, param = icmp6_hdr.unpack_from(p, 40)
            out.append((p[8:24], p[24:40], t, c, param, p[48:]))
    return out


def unknown_nxt(src=SB, dst=SA, size=8):
    """A packet with next header 253: a's answer is Parameter Problem code 1."""
    return ip6_packet(src, dst, 253, bytes(size))


# -- echo ---------------------------------------------------------------------------------------
def test_rfc4443_4_2_echo_reply_over_em_between_two_hosts(net):
    assert net.b.echo(B_ADDR, A_ADDR, 56, ident=7, seq=3) == 0
    net.run()
    (src, dst, t, c, param, body), = sent_by(net, net.a)
    assert (src, dst, t, c, param >> 16, param & 0xFFFF) == (SA, SB, ICMP6_ECHO_REPLY, 0, 7, 3)
    assert body == bytes(range(56))
    reply = net.logs["lan0"].icmp6(ICMP6_ECHO_REPLY)[0]
    assert in6_cksum(reply, 0, IPPROTO_ICMPV6, 40, len(reply) - 40) == 0
    assert net.b.icmp6stat.icp6s_inhist[ICMP6_ECHO_REPLY] == 1
    assert net.a.icmp6stat.icp6s_outhist[ICMP6_ECHO_REPLY] == 1


def test_rfc4443_2_2_a_reply_source_is_the_address_the_request_was_sent_to(net):
    net.a.addr("2001:db8::a2")
    net.b.neighbor("2001:db8::a2", net.a)
    net.b.echo(B_ADDR, "2001:db8::a2")
    net.b.echo("fe80::b", "fe80::a", zone=net.b.ifp().if_index)
    net.run()
    assert [(s, d) for s, d, *_ in sent_by(net, net.a)] == [(A("2001:db8::a2"), SB), (LLA, LLB)]


def test_rfc4443_2_2_b_reply_to_multicast_comes_from_a_unicast_address(net):
    net.a.join("ff02::1")
    net.b.echo("fe80::b", "ff02::1", zone=net.b.ifp().if_index)
    net.run()
    (src, dst, t, *_), = sent_by(net, net.a)
    assert (src, dst, t) == (LLA, LLB, ICMP6_ECHO_REPLY)


def test_rfc4443_2_2_b_reply_to_anycast_comes_from_a_unicast_address(net):
    net.a.addr("2001:db8::", flags=0x01, route=False)        # subnet-router anycast
    net.b.neighbor("2001:db8::", net.a)
    net.b.echo(B_ADDR, "2001:db8::")
    net.run()
    (src, *_), = sent_by(net, net.a)
    assert src == SA


@pytest.mark.parametrize("mutate,counter", [
    (lambda body: body[:-1] + bytes((body[-1] ^ 1,)), "icp6s_checksum"),      # RFC 4443 2.3
    (lambda body: body[:7], "icp6s_tooshort"),
    (lambda body: bytes((128, 1)) + body[2:], "icp6s_badcode"),
])
def test_bad_messages_are_dropped_and_counted(net, mutate, counter):
    body = mutate(echo_body(SB, SA))
    if counter == "icp6s_badcode":
        body = with_cksum(SB, SA, IPPROTO_ICMPV6, body)
    net.a.inject(ip6_packet(SB, SA, IPPROTO_ICMPV6, body))
    net.run()
    assert getattr(net.a.icmp6stat, counter) == 1 and sent_by(net, net.a) == []


# -- RFC 4443 2.4 ----------------------------------------------------------------------------
def test_rfc4443_2_4_c_error_carries_the_invoking_packet_up_to_1280_bytes(net):
    pkt = unknown_nxt(size=1400)
    net.a.inject(pkt)
    net.run()
    wire = net.logs["lan0"].icmp6(ICMP6_PARAM_PROB)
    assert len(wire) == 1 and len(wire[0]) == IPV6_MMTU
    assert wire[0][48:] == pkt[:IPV6_MMTU - 48]
    assert in6_cksum(wire[0], 0, IPPROTO_ICMPV6, 40, IPV6_MMTU - 40) == 0


@pytest.mark.parametrize("inner_type", [ICMP6_DST_UNREACH, ICMP6_TIME_EXCEEDED, ND_REDIRECT])
def test_rfc4443_2_4_e_1_no_error_about_an_error_or_a_redirect(net, inner_type):
    inner = with_cksum(SB, SA, IPPROTO_ICMPV6, bytes((inner_type, 0)) + bytes(46))
    # an unknown destination option (action 11) would earn Parameter Problem code 2
    dst = bytes((IPPROTO_ICMPV6, 0, 0xDE, 4)) + bytes(4)
    net.a.inject(ip6_packet(SB, SA, IPPROTO_DSTOPTS, dst + inner))
    net.run()
    assert sent_by(net, net.a) == []
    assert net.a.icmp6stat.icp6s_canterror == 1 and net.a.icmp6stat.icp6s_error == 1


def test_rfc4443_2_4_e_1_errors_about_informational_messages_are_sent(net):
    dst = bytes((IPPROTO_ICMPV6, 0, 0xDE, 4)) + bytes(4)
    net.a.inject(ip6_packet(SB, SA, IPPROTO_DSTOPTS, dst + echo_body(SB, SA)))
    net.run()
    assert [m[2] for m in sent_by(net, net.a)] == [ICMP6_PARAM_PROB]


def test_rfc4443_2_4_e_no_error_about_multicast_destination(net):
    net.a.join("ff02::1")
    net.a.inject(unknown_nxt(dst=A("ff02::1")), mcast=True)
    net.run()
    assert sent_by(net, net.a) == [] and net.a.icmp6stat.icp6s_canterror == 1


def test_rfc4443_2_4_e_3_no_error_about_link_layer_multicast(net):
    net.a.inject(unknown_nxt(), mcast=True)                # unicast IPv6 in a multicast frame
    net.run()
    assert sent_by(net, net.a) == [] and net.a.icmp6stat.icp6s_canterror == 1


def test_rfc4443_2_4_e_2_exceptions_packet_too_big_and_option_code_2(net):
    net.a.join("ff02::1")
    # action 10: Parameter Problem code 2 even to a multicast destination
    dst = bytes((IPPROTO_ICMPV6, 0, 0x9E, 4)) + bytes(4)
    net.a.inject(ip6_packet(SB, A("ff02::1"), IPPROTO_DSTOPTS, dst + echo_body(SB, A("ff02::1"))),
                 mcast=True)
    net.run()
    (src, _d, t, c, ptr, _b), = sent_by(net, net.a)
    assert (t, c, ptr) == (ICMP6_PARAM_PROB, 2, 42) and src == SA


@pytest.mark.parametrize("src", ["::", "ff02::1"])
def test_rfc4443_2_4_e_5_no_error_about_a_packet_from_a_non_unicast_source(net, src):
    from kernel.kern.uipc_mbuf import mbuf
    m = mbuf(unknown_nxt(src=A(src)))
    m.rcvif = net.a.ifp()
    icmp6_mod.icmp6_error(net.a.k, m, ICMP6_PARAM_PROB, ICMP6_PARAMPROB_NEXTHEADER, 6)
    net.run()
    assert sent_by(net, net.a) == [] and net.a.icmp6stat.icp6s_canterror == 1


def test_rfc4443_2_4_f_errors_are_rate_limited_by_errppslimit(net):
    assert sysctl_lookup(net.a.k, "net.inet6.icmp6.errppslimit", 10) == 100
    for _ in range(50):
        net.a.inject(unknown_nxt())
    net.run()
    st = net.a.icmp6stat
    assert len(sent_by(net, net.a)) == 10 and st.icp6s_toofreq == 40 and st.icp6s_error == 50
    net.run_s(0.5)                                     # half a second refills 5 tokens
    for _ in range(50):
        net.a.inject(unknown_nxt())
    net.run()
    assert len(sent_by(net, net.a)) == 15
    sysctl_lookup(net.a.k, "net.inet6.icmp6.errppslimit", 0)      # none at all
    net.run_s(2)
    net.a.inject(unknown_nxt())
    net.run()
    assert len(sent_by(net, net.a)) == 15


# -- dispatch to ND and MLD ---------------------------------------------------------------------
def test_nd_messages_go_to_the_nd_module_by_name(net, monkeypatch):
    from kernel.netinet6 import nd6_nbr
    calls = []
    monkeypatch.setattr(nd6_nbr, "nd6_ns_input",
                        lambda k, m, off, ln: calls.append((k, m.m_len, off, ln)))
    ns = with_cksum(SB, SA, IPPROTO_ICMPV6, bytes((ND_NEIGHBOR_SOLICIT, 0)) + bytes(6) + SA)
    net.a.inject(ip6_packet(SB, SA, IPPROTO_ICMPV6, ns, hlim=255))
    net.run()
    assert calls == [(net.a.k, 64, 40, 24)]
    assert net.a.icmp6stat.icp6s_inhist[ND_NEIGHBOR_SOLICIT] == 1


def test_a_message_without_handler_is_counted(net, monkeypatch):
    monkeypatch.delitem(sys.modules, "kernel.netinet6.mld6", raising=False)
    monkeypatch.setattr(icmp6_mod, "ICMP6_ND_HANDLERS",
                        {**icmp6_mod.ICMP6_ND_HANDLERS, MLD_LISTENER_QUERY: (("nosuchmod",), "mld_input")})
    q = with_cksum(LLB, A("ff02::1"), IPPROTO_ICMPV6, bytes((MLD_LISTENER_QUERY, 0)) + bytes(22))
    net.a.join("ff02::1")
    net.a.inject(ip6_packet(LLB, A("ff02::1"), IPPROTO_ICMPV6, q, hlim=1), mcast=True)
    net.run()
    assert net.a.icmp6stat.icp6s_nohandler == 1


def test_short_mld_message_is_badlen(net):
    q = with_cksum(LLB, A("ff02::1"), IPPROTO_ICMPV6, bytes((MLD_LISTENER_QUERY, 0)) + bytes(10))
    net.a.join("ff02::1")
    net.a.inject(ip6_packet(LLB, A("ff02::1"), IPPROTO_ICMPV6, q, hlim=1), mcast=True)
    net.run()
    assert net.a.icmp6stat.icp6s_badlen == 1


# -- errors in: upper-layer notification, Packet Too Big -------------------------------------------
def invoking(size=1500, src=SA, dst=A("2001:db8:99::1")):
    return ip6_packet(src, dst, IPPROTO_UDP, bytes(size - 40))


def error_msg(type, code, param, inner, src=SB, dst=SA):
    body = with_cksum(src, dst, IPPROTO_ICMPV6,
                      icmp6_hdr.pack(type, code, 0, param) + inner[:1232])
    return ip6_packet(src, dst, IPPROTO_ICMPV6, body)


def test_errors_are_passed_to_the_upper_layer_ctlinput(net):
    got = []
    net.a.k.inet6_ctlinput[IPPROTO_UDP] = lambda k, cmd, sa, ip6cp: got.append(
        (cmd, sa.sin6_addr, ip6cp.ip6c_nxt, ip6cp.ip6c_off))
    net.a.inject(error_msg(ICMP6_DST_UNREACH, 4, 0, invoking(100)))
    net.run()
    assert got == [(icmp6_mod.PRC_UNREACH_PORT, A("2001:db8:99::1"), IPPROTO_UDP, 88)]


def test_rfc8201_4_packet_too_big_lowers_the_path_mtu_in_a_host_route(net):
    net.a.route("::", 0, "fe80::b")
    dst = A("2001:db8:99::1")
    net.a.inject(error_msg(ICMP6_PACKET_TOO_BIG, 0, 1400, invoking()))
    net.run()
    rt = rtalloc1(net.a.k, dst)
    assert rt.rt_prefixlen == 128 and rt.rt_mtu == 1400 and net.a.icmp6stat.icp6s_pmtuchg == 1
    # RFC 8201 4: "A node MUST NOT increase its estimate of the Path MTU in
    # response to the contents of a Packet Too Big message."
    net.a.inject(error_msg(ICMP6_PACKET_TOO_BIG, 0, 1450, invoking()))
    net.run()
    assert rtalloc1(net.a.k, dst).rt_mtu == 1400 and net.a.icmp6stat.icp6s_pmtuchg == 1
    # RFC 8201 5.3: the estimate is kept for net.inet6.ip6.mtudisc_timeout (600 s)
    net.run_s(601)
    assert rtalloc1(net.a.k, dst).rt_prefixlen == 0


def test_rfc8201_4_packet_too_big_below_the_minimum_mtu_is_discarded(net):
    net.a.route("::", 0, "fe80::b")
    net.a.inject(error_msg(ICMP6_PACKET_TOO_BIG, 0, 1000, invoking()))
    net.run()
    assert rtalloc1(net.a.k, A("2001:db8:99::1")).rt_mtu == 0
    assert net.a.icmp6stat.icp6s_badptb == 1 and net.a.icmp6stat.icp6s_pmtuchg == 0


def test_packet_too_big_about_a_packet_we_did_not_send_is_ignored(net):
    net.a.route("::", 0, "fe80::b")
    net.a.inject(error_msg(ICMP6_PACKET_TOO_BIG, 0, 1300, invoking(src=A("2001:db8::77"))))
    net.run()
    assert rtalloc1(net.a.k, A("2001:db8:99::1")).rt_mtu == 0
    assert net.a.k.stats["icmp6_ptb_notours"] == 1


def test_truncated_error_message_is_tooshort(net):
    net.a.inject(error_msg(ICMP6_DST_UNREACH, 0, 0, invoking()[:20]))
    net.run()
    assert net.a.icmp6stat.icp6s_tooshort == 1


def test_every_nd_handler_of_the_dispatch_table_is_found():
    from kernel.netinet6.ip6_var import netinet6_func
    for itype in (133, 134, 135, 136, 137):
        mods, fname = icmp6_mod.ICMP6_ND_HANDLERS[itype]
        assert any(netinet6_func(m, fname) for m in mods), (itype, fname)


def _echo_with_last_word(w: int, ck_as_ffff: bool = False) -> bytes:
    """An Echo Request from b to a whose data ends with the 16-bit word ``w``;
    a checksum of 0 written as 0xFFFF (the other zero) with ``ck_as_ffff``."""
    body = bytearray(with_cksum(SB, SA, IPPROTO_ICMPV6, echo_body(SB, SA, b"pi" + w.to_bytes(2, "big"))))
    if ck_as_ffff:
        assert body[2:4] == b"\0\0"
        body[2:4] = b"\xff\xff"
    return ip6_packet(SB, SA, IPPROTO_ICMPV6, bytes(body))


def test_rfc4443_4_2_reply_checksum_is_the_full_computation_whatever_the_request(net):
    """RFC 4443 2.3 / RFC 1624 3: the reply's checksum (updated from the verified
    request's) is the value a full computation gives, edge values included."""
    ck0 = icmp6_hdr.unpack_from(with_cksum(SB, SA, IPPROTO_ICMPV6, echo_body(SB, SA, b"pi\0\0")), 0)[2]
    words = [0, 1, 0xFFFF, 0x1234, ck0, (ck0 - 256) % 0xFFFF, (ck0 - 255) % 0xFFFF,
             (ck0 + 1) % 0xFFFF]
    pkts = [_echo_with_last_word(w) for w in words] + [_echo_with_last_word(ck0, True)]
    for p in pkts:
        net.a.inject(p)
    net.run()
    replies = net.logs["lan0"].icmp6(ICMP6_ECHO_REPLY)
    assert len(replies) == len(pkts)
    for r in replies:
        full = bytearray(r)
        full[42:44] = b"\0\0"
        assert r[42:44] == in6_cksum(full, 0, IPPROTO_ICMPV6, 40, len(r) - 40).to_bytes(2, "big")
