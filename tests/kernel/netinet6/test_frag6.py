"""kernel/netinet6/frag6.py: reassembly (RFC 8200 4.5, RFC 5722, RFC 6946, RFC 7112) and its limits."""
from __future__ import annotations

import pytest

from kernel.kern.kern_sysctl import sysctl_lookup
from kernel.wire.icmp6 import (ICMP6_ECHO_REPLY, ICMP6_PARAM_PROB, ICMP6_TIME_EXCEEDED,
                               icmp6_hdr)
from kernel.wire.ip6 import IPPROTO_FRAGMENT, IPPROTO_ICMPV6, ip6_frag
from tests.kernel.netinet6.ip6_lab import A, Net6, echo_body, ip6_packet

A_ADDR, B_ADDR = "2001:db8::a", "2001:db8::b"
SA, SB = A(A_ADDR), A(B_ADDR)


@pytest.fixture
def net(monkeypatch):
    n = Net6(monkeypatch)
    n.segment("lan0")
    a = n.host("a", "lan0")
    b = n.host("b", "lan0")
    a.addr(A_ADDR)
    b.addr(B_ADDR)
    a.neighbor(B_ADDR, b)
    b.neighbor(A_ADDR, a)
    n.run()
    n.a, n.b = a, b
    yield n
    assert n.panics() == []


def frags(payload: bytes, cuts: list[int], ident=0x1234, nxt=IPPROTO_ICMPV6, src=SB, dst=SA):
    """Fragments of ``payload`` cut at the byte offsets ``cuts`` (multiples of 8)."""
    bounds = [0] + cuts + [len(payload)]
    out = []
    for i in range(len(bounds) - 1):
        s, e = bounds[i], bounds[i + 1]
        more = 1 if e < len(payload) else 0
        fh = ip6_frag.pack(nxt, 0, s | more, ident)
        out.append(ip6_packet(src, dst, IPPROTO_FRAGMENT, fh + payload[s:e]))
    return out


def frag_at(payload_piece: bytes, off: int, more: bool, ident=0x1234, nxt=IPPROTO_ICMPV6):
    fh = ip6_frag.pack(nxt, 0, off | (1 if more else 0), ident)
    return ip6_packet(SB, SA, IPPROTO_FRAGMENT, fh + payload_piece)


def sent_by_a(net, type=None):
    out = []
    for p in net.logs["lan0"].icmp6(type):
        if p[8:24] == SA:
            t, c, _ck, param = icmp6_hdr.unpack_from(p, 40)
            out.append((t, c, param, p[48:]))
    return out


ECHO = echo_body(SB, SA, bytes(range(200)))


@pytest.mark.parametrize("order", [[0, 1, 2], [2, 0, 1], [1, 2, 0]])
def test_rfc8200_4_5_fragments_in_any_order_are_reassembled(net, order):
    fs = frags(ECHO, [64, 128])
    for i in order:
        net.a.inject(fs[i])
    net.run()
    st = net.a.ip6stat
    assert st.ip6s_fragments == 3 and st.ip6s_reassembled == 1
    (t, _c, _p, body), = sent_by_a(net)
    assert t == ICMP6_ECHO_REPLY and body == bytes(range(200))
    assert net.a.k.frag6.frag6_nfrags == 0 and not net.a.k.frag6.ip6q


def test_rfc5722_overlapping_fragments_discard_datagram(net):
    """RFC 8200 4.5: "If any of the fragments being reassembled overlap with any
    other fragments ... reassembly of that packet must be abandoned and all the
    fragments that have been received for that packet must be discarded, and no
    ICMP error messages should be sent." """
    net.a.inject(frag_at(ECHO[:64], 0, True))
    net.a.inject(frag_at(ECHO[56:120], 56, True))        # overlaps bytes 56-63
    net.a.inject(frag_at(ECHO[120:], 120, False))
    net.run_s(61)
    st = net.a.ip6stat
    assert st.ip6s_fragoverlap == 1 and st.ip6s_fragdropped == 2 and st.ip6s_reassembled == 0
    # the third fragment started a new datagram, which then timed out — without an
    # error, since its first fragment never came
    assert st.ip6s_fragtimeout == 1 and sent_by_a(net) == []


def test_rfc5722_4_exact_duplicate_fragment_is_dropped_alone(net):
    fs = frags(ECHO, [64, 128])
    net.a.inject(fs[0])
    net.a.inject(fs[0])
    net.a.inject(fs[1])
    net.a.inject(fs[2])
    net.run()
    st = net.a.ip6stat
    assert st.ip6s_fragdropped == 1 and st.ip6s_reassembled == 1
    assert [e[0] for e in sent_by_a(net)] == [ICMP6_ECHO_REPLY]


def test_rfc6946_atomic_fragment_processed_in_isolation(net):
    """RFC 6946 5: offset 0 and M = 0: processed in isolation from any other fragment."""
    net.a.inject(frags(ECHO, [64])[0])                    # a queued first fragment, same id
    atomic = ip6_packet(SB, SA, IPPROTO_FRAGMENT, ip6_frag.pack(IPPROTO_ICMPV6, 0, 0, 0x1234) + ECHO)
    net.a.inject(atomic)
    net.run()
    st = net.a.ip6stat
    assert st.ip6s_atomicfrags == 1 and st.ip6s_reassembled == 0
    assert [e[0] for e in sent_by_a(net)] == [ICMP6_ECHO_REPLY]
    assert len(net.a.k.frag6.ip6q) == 1                    # the queued datagram is untouched


def test_rfc8200_4_5_fragment_length_not_multiple_of_8_is_param_problem_to_payload_length(net):
    net.a.inject(frag_at(ECHO[:60], 0, True))
    net.run()
    assert [(t, c, p) for t, c, p, _ in sent_by_a(net)] == [(ICMP6_PARAM_PROB, 0, 4)]
    assert net.a.ip6stat.ip6s_fragbadlen == 1


def test_rfc8200_4_5_reassembled_length_over_65535_is_param_problem_to_fragment_offset(net):
    net.a.inject(frag_at(bytes(64), 65528, False))
    net.run()
    assert [(t, c, p) for t, c, p, _ in sent_by_a(net)] == [(ICMP6_PARAM_PROB, 0, 42)]


def test_rfc7112_first_fragment_without_upper_layer_header_is_param_problem_code_3(net):
    # the first fragment ends inside a destination options header
    dstopts = bytes((IPPROTO_ICMPV6, 3)) + bytes(30)
    net.a.inject(frag_at(dstopts[:16], 0, True, nxt=60))
    net.run()
    assert [(t, c, p) for t, c, p, _ in sent_by_a(net)] == [(ICMP6_PARAM_PROB, 3, 0)]
    assert net.a.ip6stat.ip6s_fraghdrchain == 1


def test_rfc8200_4_5_reassembly_timeout_sends_time_exceeded_code_1_after_first_fragment(net):
    fs = frags(ECHO, [64, 128])
    net.a.inject(fs[0])
    net.a.inject(fs[2])
    net.run_s(59.9)
    assert sent_by_a(net) == [] and len(net.a.k.frag6.ip6q) == 1
    net.run_s(0.2)
    (t, c, p, inv), = sent_by_a(net)
    assert (t, c, p) == (ICMP6_TIME_EXCEEDED, 1, 0) and inv == fs[0]    # about the first fragment
    assert net.a.ip6stat.ip6s_fragtimeout == 2 and net.a.k.frag6.frag6_nfrags == 0


def test_rfc8200_4_5_reassembly_timeout_without_first_fragment_sends_nothing(net):
    fs = frags(ECHO, [64, 128])
    net.a.inject(fs[1])
    net.a.inject(fs[2])
    net.run_s(61)
    assert sent_by_a(net) == [] and net.a.ip6stat.ip6s_fragtimeout == 2


def test_reassembly_queue_is_bounded_by_maxfragpackets(net):
    sysctl_lookup(net.a.k, "net.inet6.ip6.maxfragpackets", 3)
    for ident in range(5):
        net.a.inject(frags(ECHO, [64], ident=ident)[0])
    st = net.a.ip6stat
    assert len(net.a.k.frag6.ip6q) == 3 and st.ip6s_fragoverflow == 2
    sysctl_lookup(net.a.k, "net.inet6.ip6.maxfragpackets", 0)        # no reassembly at all
    net.a.inject(frags(ECHO, [64], ident=99)[0])
    assert st.ip6s_fragoverflow == 3


def test_reassembly_queue_is_bounded_by_maxfrags(net):
    sysctl_lookup(net.a.k, "net.inet6.ip6.maxfrags", 4)
    for ident in range(3):
        for f in frags(ECHO, [64, 128], ident=ident)[:2]:
            net.a.inject(f)
    assert net.a.k.frag6.frag6_nfrags == 4 and net.a.ip6stat.ip6s_fragoverflow == 2


def test_datagram_of_too_many_fragments_is_dropped_whole(net):
    sysctl_lookup(net.a.k, "net.inet6.ip6.maxfragsperpacket", 4)
    payload = echo_body(SB, SA, bytes(400))
    fs = frags(payload, [64, 128, 192, 256, 320])
    for f in fs:
        net.a.inject(f)
    net.run()
    st = net.a.ip6stat
    # the fifth fragment took the four queued ones with it; the sixth starts afresh
    assert st.ip6s_reassembled == 0 and st.ip6s_fragdropped == 5
    assert net.a.k.frag6.frag6_nfrags == 1


def test_last_fragment_disagreeing_on_the_end_is_an_overlap(net):
    net.a.inject(frag_at(ECHO[:64], 0, True))
    net.a.inject(frag_at(ECHO[128:], 128, False))
    net.a.inject(frag_at(ECHO[64:128] + bytes(80), 64, True))    # beyond the end
    assert net.a.ip6stat.ip6s_fragoverlap == 1 and not net.a.k.frag6.ip6q
