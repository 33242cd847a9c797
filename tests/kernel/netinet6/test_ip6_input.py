"""kernel/netinet6/ip6_input.py, dest6.py, route6.py, raw_ip6.py: validation and the header chain.

Packets are injected into host a's em0 (``Host.inject``); ICMPv6 errors a
sends go out on the wire to b, whose MAC a has as its neighbor.
"""
from __future__ import annotations

import random

import pytest

from kernel.wire.icmp6 import (ICMP6_ECHO_REPLY, ICMP6_PARAM_PROB,
                               ICMP6_PARAMPROB_HEADER, ICMP6_PARAMPROB_NEXTHEADER,
                               ICMP6_PARAMPROB_OPTION, icmp6_hdr)
from kernel.wire.ip6 import (IPPROTO_DSTOPTS, IPPROTO_HOPOPTS, IPPROTO_ICMPV6, IPPROTO_NONE,
                             IPPROTO_ROUTING)
from tests.kernel.netinet6.ip6_lab import A, Net6, echo_body, ip6_packet

A_ADDR = "2001:db8::a"
B_ADDR = "2001:db8::b"
SA, SB = A(A_ADDR), A(B_ADDR)


@pytest.fixture
def net(monkeypatch):
    n = Net6(monkeypatch)
    n.segment("lan0")
    a = n.host("a", "lan0")
    b = n.host("b", "lan0")
    a.addr(A_ADDR)
    b.addr(B_ADDR)
    a.addr("fe80::a")
    b.addr("fe80::b")
    a.neighbor(B_ADDR, b)
    a.neighbor("fe80::b", b)
    b.neighbor(A_ADDR, a)
    n.run()
    n.a, n.b = a, b
    yield n
    assert n.panics() == []


def errors(net, type=None):
    """ICMPv6 errors (and replies) host a sent: (type, code, param, invoking packet)."""
    out = []
    for p in net.logs["lan0"].icmp6():
        if p[8:24] in (SA, A("fe80::a")):
            t, c, _ck, param = icmp6_hdr.unpack_from(p, 40)
            if type is None or t == type:
                out.append((t, c, param, p[48:]))
    return out


def hdr_chain(*hdrs: tuple[int, bytes], last: int, payload: bytes, src=SB, dst=SA) -> bytes:
    """IPv6 + extension headers (type, body without the Next Header byte) + payload."""
    types = [t for t, _ in hdrs] + [last]
    ext = b"".join(bytes((types[i + 1],)) + body for i, (_t, body) in enumerate(hdrs))
    return ip6_packet(src, dst, types[0], ext + payload)


def opts(*tlvs: bytes) -> bytes:
    """An options header body (after the Next Header byte): length byte, options, padding."""
    body = b"".join(tlvs)
    pad = (-(2 + len(body))) % 8
    if pad == 1:
        body += b"\x00"
    elif pad:
        body += bytes((1, pad - 2)) + bytes(pad - 2)
    return bytes(((2 + len(body)) // 8 - 1,)) + body


def test_rfc4443_4_2_echo_request_injected_is_answered(net):
    net.a.inject(ip6_packet(SB, SA, IPPROTO_ICMPV6, echo_body(SB, SA)))
    net.run()
    assert [e[0] for e in errors(net)] == [ICMP6_ECHO_REPLY]
    assert net.a.ip6stat.ip6s_delivered == 1 and net.a.icmp6stat.icp6s_reflect == 1


@pytest.mark.parametrize("mutate,counter", [
    (lambda p: p[:39], "ip6s_toosmall"),
    (lambda p: bytes((0x40,)) + p[1:], "ip6s_badvers"),                     # RFC 8200 3
    (lambda p: p[:4] + b"\x01\x00" + p[6:], "ip6s_tooshort"),              # plen > packet
    (lambda p: p[:8] + A("ff02::1") + p[24:], "ip6s_badscope"),            # RFC 4291 2.7
    (lambda p: p[:8] + A("::1") + p[24:], "ip6s_badscope"),                # RFC 4291 2.5.3
    (lambda p: p[:24] + A("::1") + p[40:], "ip6s_badscope"),
    (lambda p: p[:24] + A("::") + p[40:], "ip6s_badscope"),                # RFC 4291 2.5.2
    (lambda p: p[:8] + A("::ffff:10.0.0.1") + p[24:], "ip6s_badscope"),    # RFC 4942 2.2
    (lambda p: p[:24] + A("ff01::1") + p[40:], "ip6s_badscope"),           # RFC 4291 2.7 if-local
    (lambda p: p[:24] + A("ff00::1") + p[40:], "ip6s_badscope"),           # scope 0 reserved
    (lambda p: p[:24] + A("ff02::1:2") + p[40:], "ip6s_notmember"),
    (lambda p: p[:24] + A("2001:db8::99") + p[40:], "ip6s_cantforward"),   # not ours, not a router
])
def test_rfc8200_3_and_rfc4291_invalid_packets_are_dropped_and_counted(net, mutate, counter):
    pkt = ip6_packet(SB, SA, IPPROTO_ICMPV6, echo_body(SB, SA))
    before = getattr(net.a.ip6stat, counter)
    net.a.inject(mutate(pkt))
    net.run()
    assert getattr(net.a.ip6stat, counter) == before + 1
    assert net.a.ip6stat.ip6s_delivered == 0 and errors(net) == []


def test_rfc8200_3_bytes_beyond_the_payload_length_are_trimmed(net):
    net.a.inject(ip6_packet(SB, SA, IPPROTO_ICMPV6, echo_body(SB, SA)) + b"trailer")
    net.run()
    (t, _c, _p, body), = errors(net)
    assert t == ICMP6_ECHO_REPLY and body.endswith(b"ping")


def test_rfc4862_5_4_packet_to_a_tentative_address_is_discarded(net):
    net.a.addr("2001:db8::7", flags=0x02, route=False)
    net.a.inject(ip6_packet(SB, A("2001:db8::7"), IPPROTO_ICMPV6, echo_body(SB, A("2001:db8::7"))))
    net.run()
    assert net.a.ip6stat.ip6s_notready == 1 and errors(net) == []


def test_rfc8200_4_hop_by_hop_not_first_is_parameter_problem_code_1(net):
    """RFC 8200 4.1: "The Hop-by-Hop Options header ... is restricted to appear
    immediately after an IPv6 header only."  A node that meets it elsewhere treats
    it as an unrecognized Next Header: Parameter Problem code 1 pointing at it."""
    pkt = hdr_chain((IPPROTO_DSTOPTS, opts()), (IPPROTO_HOPOPTS, opts()), last=IPPROTO_ICMPV6,
                    payload=echo_body(SB, SA))
    net.a.inject(pkt)
    net.run()
    (t, c, ptr, inv), = errors(net)
    assert (t, c, ptr) == (ICMP6_PARAM_PROB, ICMP6_PARAMPROB_NEXTHEADER, 40)
    assert inv == pkt and net.a.ip6stat.ip6s_badoptions == 1


def test_rfc8200_4_3_hop_by_hop_first_is_processed_then_the_rest(net):
    pkt = hdr_chain((IPPROTO_HOPOPTS, opts(b"\x05\x02\x00\x00")), last=IPPROTO_ICMPV6,
                    payload=echo_body(SB, SA))
    net.a.inject(pkt)
    net.run()
    assert [e[0] for e in errors(net)] == [ICMP6_ECHO_REPLY]


@pytest.mark.parametrize("hdr", [IPPROTO_HOPOPTS, IPPROTO_DSTOPTS])
@pytest.mark.parametrize("opttype,dst,reply", [
    (0x1E, A_ADDR, "reply"),              # 00: skip over this option
    (0x5E, A_ADDR, None),                 # 01: discard the packet
    (0x9E, A_ADDR, "error"),              # 10: discard, Parameter Problem code 2
    (0x9E, "ff02::1", "error"),           # 10: ... even if the destination is multicast
    (0xDE, A_ADDR, "error"),              # 11: discard, code 2 only if not multicast
    (0xDE, "ff02::1", None),
])
def test_rfc8200_4_2_unrecognized_option_action_bits(net, hdr, opttype, dst, reply):
    net.a.join("ff02::1")
    d = A(dst)
    pkt = hdr_chain((hdr, opts(bytes((opttype, 2, 0, 0)))), last=IPPROTO_ICMPV6,
                    payload=echo_body(SB, d), dst=d)
    net.a.inject(pkt, mcast=d[0] == 0xFF)
    net.run()
    got = errors(net)
    if reply == "reply":
        assert [e[0] for e in got] == [ICMP6_ECHO_REPLY]
    elif reply == "error":
        # "pointing to the unrecognized Option Type"
        assert [(e[0], e[1], e[2]) for e in got] == [(ICMP6_PARAM_PROB, ICMP6_PARAMPROB_OPTION, 42)]
    else:
        assert got == []
    if reply != "reply":
        assert net.a.ip6stat.ip6s_badoptions == 1


def test_rfc2711_router_alert_with_bad_length_is_parameter_problem_code_0(net):
    pkt = hdr_chain((IPPROTO_HOPOPTS, opts(b"\x05\x03\x00\x00\x00")), last=IPPROTO_ICMPV6,
                    payload=echo_body(SB, SA))
    net.a.inject(pkt)
    net.run()
    assert [(e[0], e[1], e[2]) for e in errors(net)] == [(ICMP6_PARAM_PROB, ICMP6_PARAMPROB_HEADER, 43)]


@pytest.mark.parametrize("plen,jumbo_opt,err_ptr,counter", [
    (0, b"", 4, "ip6s_badoptions"),                                    # RFC 2675 3: must be present
    (None, b"\xc2\x04\x00\x01\x00\x00", 42, "ip6s_badoptions"),        # with a payload length
    (0, b"\xc2\x04\x00\x00\xff\xff", 44, "ip6s_badoptions"),           # jumbo length <= 65535
    (0, b"\xc2\x04\x00\x01\x00\x00", None, "ip6s_tooshort"),           # longer than the packet
])
def test_rfc2675_jumbo_payload_checks(net, plen, jumbo_opt, err_ptr, counter):
    hbh = opts(jumbo_opt) if jumbo_opt else opts()
    body = bytes((IPPROTO_ICMPV6,)) + hbh + echo_body(SB, SA)
    net.a.inject(ip6_packet(SB, SA, IPPROTO_HOPOPTS, body, plen=plen))
    net.run()
    assert getattr(net.a.ip6stat, counter) == 1
    got = [(e[0], e[1], e[2]) for e in errors(net)]
    assert got == ([] if err_ptr is None else [(ICMP6_PARAM_PROB, ICMP6_PARAMPROB_HEADER, err_ptr)])


@pytest.mark.parametrize("hdr", [IPPROTO_HOPOPTS, IPPROTO_DSTOPTS])
@pytest.mark.parametrize("body,counter", [
    (bytes((0,)) + b"\x1e\x09" + bytes(4), "ip6s_toosmall"),     # option data overruns the header
    (bytes((0,)) + bytes(5) + b"\x1e", "ip6s_toosmall"),        # no room for the length byte
    (bytes((3,)) + bytes(6), "ip6s_tooshort"),                   # header longer than the packet
])
def test_malformed_options_headers_are_dropped_and_counted(net, hdr, body, counter):
    pkt = ip6_packet(SB, SA, hdr, bytes((IPPROTO_NONE,)) + body)
    net.a.inject(pkt)
    net.run()
    assert getattr(net.a.ip6stat, counter) == 1 and errors(net) == []


def test_zero_length_options_and_pad1_runs_are_accepted(net):
    pkt = hdr_chain((IPPROTO_DSTOPTS, opts(b"\x01\x00", b"\x00\x00", b"\x1e\x00", b"\x00")),
                    last=IPPROTO_ICMPV6, payload=echo_body(SB, SA))
    net.a.inject(pkt)
    net.run()
    assert [e[0] for e in errors(net)] == [ICMP6_ECHO_REPLY]


def test_huge_extension_header_chain_is_dropped_at_hdrnestlimit(net):
    hdrs = [(IPPROTO_DSTOPTS, opts())] * 40
    net.a.inject(hdr_chain(*hdrs, last=IPPROTO_ICMPV6, payload=echo_body(SB, SA)))
    net.run()
    assert net.a.ip6stat.ip6s_toomanyhdr == 1 and errors(net) == []
    # under the limit, the same chain is walked
    net.a.inject(hdr_chain(*hdrs[:10], last=IPPROTO_ICMPV6, payload=echo_body(SB, SA)))
    net.run()
    assert [e[0] for e in errors(net)] == [ICMP6_ECHO_REPLY]


def test_rfc5095_routing_header_type_0_with_segments_left_is_refused(net):
    """RFC 5095 3: RH0 is treated as an unrecognized routing type; RFC 8200 4.4:
    with Segments Left non-zero, Parameter Problem code 0 pointing to the type."""
    rh0 = bytes((2, 0, 1)) + bytes(4) + SB
    pkt = hdr_chain((IPPROTO_ROUTING, rh0), last=IPPROTO_ICMPV6, payload=echo_body(SB, SA))
    net.a.inject(pkt)
    net.run()
    assert [(e[0], e[1], e[2]) for e in errors(net)] == [(ICMP6_PARAM_PROB, ICMP6_PARAMPROB_HEADER, 42)]
    assert net.a.ip6stat.ip6s_badoptions == 1 and net.a.k.stats["route6_rh0_refused"] == 1


@pytest.mark.parametrize("rhtype", [0, 2, 3, 253])
def test_rfc8200_4_4_routing_header_with_segments_left_zero_is_ignored(net, rhtype):
    rh = bytes((2, rhtype, 0)) + bytes(4) + SB
    pkt = hdr_chain((IPPROTO_ROUTING, rh), last=IPPROTO_ICMPV6, payload=echo_body(SB, SA))
    net.a.inject(pkt)
    net.run()
    assert [e[0] for e in errors(net)] == [ICMP6_ECHO_REPLY]


def test_rfc8200_4_unrecognized_next_header_is_parameter_problem_code_1(net):
    pkt = hdr_chain((IPPROTO_DSTOPTS, opts()), last=253, payload=b"data" * 4)
    net.a.inject(pkt)
    net.run()
    assert [(e[0], e[1], e[2]) for e in errors(net)] == [(ICMP6_PARAM_PROB, ICMP6_PARAMPROB_NEXTHEADER, 40)]
    assert net.a.k.rip6stat.rip6s_nosock == 1


def test_rfc8200_4_7_no_next_header_is_ignored_silently(net):
    net.a.inject(ip6_packet(SB, SA, IPPROTO_NONE, b"ignored"))
    net.run()
    assert errors(net) == [] and net.a.k.rip6stat.rip6s_nosock == 1


def test_random_corruption_of_valid_packets_never_panics(net):
    """No byte sequence from the wire may raise out of the kernel."""
    rng = random.Random(4443)
    seeds = [
        ip6_packet(SB, SA, IPPROTO_ICMPV6, echo_body(SB, SA)),
        hdr_chain((IPPROTO_HOPOPTS, opts(b"\x05\x02\x00\x00")), (IPPROTO_DSTOPTS, opts(b"\xc9\x02ab")),
                  (IPPROTO_ROUTING, bytes((2, 0, 1)) + bytes(4) + SB), last=IPPROTO_ICMPV6,
                  payload=echo_body(SB, SA)),
        hdr_chain((44, bytes((0, 0, 1)) + b"\x12\x34\x56\x78"), last=IPPROTO_ICMPV6,
                  payload=echo_body(SB, SA) + bytes(8)),
        ip6_packet(SB, SA, IPPROTO_ICMPV6, bytes((1, 4, 0, 0, 0, 0, 0, 0)) +
                   ip6_packet(SA, SB, 17, bytes(16))),
        ip6_packet(SB, SA, IPPROTO_ICMPV6, bytes((2, 0, 0, 0, 0, 0, 5, 0)) +
                   ip6_packet(SA, SB, 17, bytes(16))),
    ]
    for _ in range(3000):
        p = bytearray(rng.choice(seeds))
        for _ in range(rng.randrange(1, 6)):
            op = rng.randrange(4)
            if op == 0 and p:
                p[rng.randrange(len(p))] = rng.randrange(256)
            elif op == 1:
                del p[rng.randrange(len(p) + 1):]
            elif op == 2 and len(p) > 41:
                p[rng.randrange(4, 8)] = rng.randrange(256)      # lengths, next header, hop limit
            else:
                p += bytes(rng.randrange(64))
        net.a.inject(bytes(p), mcast=rng.random() < 0.1)
    net.run_s(70)                                          # reassembly timers too
    assert net.panics() == []
    st = net.a.ip6stat
    assert st.ip6s_total == 3000


def test_random_corruption_with_forwarding_sockets_and_fragments_never_panics(net):
    """The same, through ip6_forward, UDP and raw sockets, reassembly and PTB input."""
    from kernel.kern.uipc_socket import sobind, socreate
    from kernel.wire.in6 import AF_INET6, sockaddr_in6
    from kernel.wire.ip6 import ip6_frag
    from kernel.wire.udp import udp_repr
    net.a.k.ip6.ip6_forwarding = 1
    net.a.route("::", 0, "fe80::b")
    so = socreate(net.a.k, AF_INET6, 2, 0, None)
    sobind(so, sockaddr_in6(SA, 53), None)
    socreate(net.a.k, AF_INET6, 3, IPPROTO_ICMPV6, None)
    socreate(net.a.k, AF_INET6, 3, 200, None)
    rng = random.Random(8200)
    udp = udp_repr(1000, 53, b"q" * 30).to_bytes(SB, SA)
    big = echo_body(SB, SA, bytes(100))
    seeds = [
        ip6_packet(SB, SA, 17, udp),
        ip6_packet(SB, A("2001:db8:5::1"), IPPROTO_ICMPV6, echo_body(SB, A("2001:db8:5::1"))),
        ip6_packet(SB, SA, 44, ip6_frag.pack(58, 0, 0 | 1, 9) + big[:56]),
        ip6_packet(SB, SA, 44, ip6_frag.pack(58, 0, 56, 9) + big[56:]),
        ip6_packet(SB, SA, 200, b"raw" * 5),
        ip6_packet(SB, SA, IPPROTO_ICMPV6, bytes((2, 0, 0, 0, 0, 0, 5, 0x10)) +
                   ip6_packet(SA, A("2001:db8:5::1"), 17, udp_repr(53, 9, b"x").to_bytes(SA, SB))),
    ]
    for _ in range(3000):
        p = bytearray(rng.choice(seeds))
        for _ in range(rng.randrange(1, 5)):
            op = rng.randrange(4)
            if op == 0 and p:
                p[rng.randrange(len(p))] = rng.randrange(256)
            elif op == 1:
                del p[rng.randrange(len(p) + 1):]
            elif op == 2 and len(p) > 48:
                p[rng.randrange(40, 48)] = rng.randrange(256)
            else:
                p += bytes(rng.randrange(32))
        net.a.inject(bytes(p), mcast=rng.random() < 0.05)
    net.run_s(70)
    assert net.panics() == [] and net.a.ip6stat.ip6s_total == 3000
