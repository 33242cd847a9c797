"""Fragmentation on output (ip_output.py) and reassembly (ip_reass.py): RFC 791
3.2, RFC 1122 3.3.2, with bounded memory."""
from __future__ import annotations

import struct

from kernel.wire import errno as E
from kernel.wire.icmp import (ICMP_ECHO, ICMP_ECHOREPLY, ICMP_TIMXCEED, ICMP_TIMXCEED_REASS,
                              icmp_repr)
from kernel.wire.ip import IP_MF, ip_repr
from kernel.wire.ip6 import IPPROTO_ICMP
from tests.kernel.netinet.ip_lab import A

DATA = bytes(i & 0xFF for i in range(3000))


def datagram(ident: int = 0x4321, data: bytes = DATA, src: str = "10.0.0.1",
             dst: str = "10.0.0.2") -> bytes:
    """An Echo of ``data`` as its payload (ICMP header included), not yet cut."""
    return icmp_repr.echo(ICMP_ECHO, 5, 1, data).to_bytes()


def frag(payload: bytes, start: int, end: int, more: bool, ident: int = 0x4321,
         src: str = "10.0.0.1", dst: str = "10.0.0.2", options: bytes = b"") -> bytes:
    off = (start >> 3) | (IP_MF if more else 0)
    return ip_repr(A(src), A(dst), IPPROTO_ICMP, payload[start:end], 64, 0, ident, off,
                   options).to_bytes()


def resolve(net) -> None:
    net.a.ping("10.0.0.2", seq=99)
    net.run()


def test_rfc791_3_2_large_datagram_is_fragmented_and_reassembled(net):
    """RFC 791 3.2: fragments of a multiple of 8 octets, MF on all but the last,
    the same identification; the receiver puts them back together."""
    resolve(net)
    a, b = net.a, net.b
    assert a.ping("10.0.0.2", size=3000, seq=1) == 0
    net.run()
    frags = [p for p in net.logs["lan0"].ip(IPPROTO_ICMP) if p[12:16] == A("10.0.0.1")
             and struct.unpack_from("!H", p, 6)[0] & 0x3FFF]
    offs = [struct.unpack_from("!H", p, 6)[0] for p in frags]
    assert [len(p) for p in frags] == [1500, 1500, 20 + 3008 - 2 * 1480]
    assert [(o & 0x1FFF) * 8 for o in offs] == [0, 1480, 2960]
    assert [bool(o & IP_MF) for o in offs] == [True, True, False]
    assert len({p[4:6] for p in frags}) == 1
    assert a.ipstat.ips_fragmented == 1 and a.ipstat.ips_ofragments == 3
    assert b.ipstat.ips_reassembled == 1 and b.ipstat.ips_fragments == 3
    assert a.ipstat.ips_reassembled == 1                       # the reply came back cut too
    assert a.icmpstat.icps_inhist[ICMP_ECHOREPLY] == 2


def test_df_larger_than_the_mtu_is_emsgsize(net):
    """ip_fragment: "Fragmentation not allowed" — EMSGSIZE, ips_cantfrag."""
    assert net.a.ping("10.0.0.2", size=1600, df=True) == E.EMSGSIZE
    assert net.a.ipstat.ips_cantfrag == 1


def test_rfc791_fragments_out_of_order_with_duplicates_and_overlaps(net):
    """RFC 791: the receiver reassembles whatever the order; BSD keeps the data
    already queued before a new fragment and lets it win over what follows."""
    b = net.b
    pl = datagram()
    b.inject(frag(pl, 2000, 3008, False))
    b.inject(frag(pl, 1000, 2000, True))
    b.inject(frag(pl, 1000, 2000, True))                        # a duplicate
    b.inject(frag(pl, 992, 1504, True))                         # overlapping, front trimmed
    assert b.ipstat.ips_reassembled == 0
    b.inject(frag(pl, 0, 1000, True))
    assert b.ipstat.ips_reassembled == 1 and b.ipstat.ips_fragdropped >= 1
    net.run()
    assert b.icmpstat.icps_reflect == 1 and b.icmpstat.icps_checksum == 0


def test_rfc1122_3_3_2_reassembly_timeout_sends_time_exceeded_if_fragment_zero_came(net):
    """RFC 1122 3.3.2: "If this timeout expires, the partially-reassembled datagram
    MUST be discarded and an ICMP Time Exceeded message sent to the source host (if
    fragment zero has been received)."  FreeBSD's timeout is 30 seconds."""
    b = net.b
    pl = datagram()
    b.inject(frag(pl, 0, 1480, True))
    b.inject(frag(pl, 2000, 3008, False, ident=7))             # another datagram, no fragment 0
    net.run_s(29.9)
    assert len(b.k.ipq.ipq) == 2
    net.run_s(0.2)
    assert len(b.k.ipq.ipq) == 0 and b.ipstat.ips_fragtimeout == 2
    te = net.logs["lan0"].icmp(ICMP_TIMXCEED)
    assert len(te) == 1 and te[0][1] == ICMP_TIMXCEED_REASS
    assert struct.unpack_from("!H", te[0], 8 + 4)[0] == 0x4321  # about the first one


def test_rfc791_mf_fragment_not_a_multiple_of_8_is_dropped(net):
    b = net.b
    b.inject(frag(datagram(), 0, 1001, True))
    assert b.ipstat.ips_toosmall == 1 and b.ipstat.ips_fragdropped == 1
    assert len(b.k.ipq.ipq) == 0


def test_datagram_longer_than_65535_is_dropped_whole(net):
    """The "ping of death": fragments that would make a datagram beyond 65535
    octets (RFC 791 3.1: Total Length is 16 bits) are dropped with the rest."""
    b = net.b
    pl = bytes(8) * 1000
    b.inject(frag(pl, 0, 1480, True, ident=9))
    b.inject(ip_repr(A("10.0.0.1"), A("10.0.0.2"), IPPROTO_ICMP, bytes(64), 64, 0, 9,
                     (65528 >> 3)).to_bytes())
    assert b.ipstat.ips_toolong == 1 and len(b.k.ipq.ipq) == 0


def test_reassembly_is_bounded(net):
    """FreeBSD: net.inet.ip.maxfragpackets datagrams (the oldest goes), and
    maxfragsperpacket fragments in one datagram."""
    b = net.b
    b.k.ip.ip_maxfragpackets = 4
    pl = datagram()
    for ident in range(10):
        b.inject(frag(pl, 0, 8, True, ident=ident))
    assert len(b.k.ipq.ipq) == 4 and b.ipstat.ips_fragtimeout == 6
    b.k.ip.ip_maxfragsperpacket = 3
    for i in range(4):
        b.inject(frag(pl, 16 + 8 * i, 24 + 8 * i, True, ident=100))
    assert (A("10.0.0.1"), A("10.0.0.2"), 100, IPPROTO_ICMP) not in b.k.ipq.ipq
    assert b.ipstat.ips_fragdropped >= 4


def test_later_fragments_carry_only_the_copied_options(net):
    """RFC 791 3.2: options with the copied flag go into every fragment, the
    others only into the first."""
    from kernel.kern.uipc_mbuf import mbuf
    from kernel.netinet.ip_output import ip_fragment
    a = net.a
    opts = bytes([0x94, 4, 0, 0, 7, 7, 4]) + bytes(4) + bytes([0])   # router alert, RR
    p = ip_repr(A("10.0.0.1"), A("10.0.0.2"), IPPROTO_ICMP, bytes(2000), options=opts).to_bytes()
    frags = ip_fragment(a.k, mbuf(p), 32, 1000)
    hls = [(f.buf[f.off] & 0x0F) * 4 for f in frags]
    assert hls[0] == 32 and all(h == 24 for h in hls[1:])
    assert bytes(frags[1].buf[frags[1].off + 20:frags[1].off + 24]) == bytes([0x94, 4, 0, 0])
