"""IPv4 input (kernel/netinet/ip_input.py): RFC 791 / RFC 1122 3.2.1 header checks,
options, which packets are ours — every malformed packet dropped and counted."""
from __future__ import annotations

import struct

import pytest

from kernel.netinet import in_ as _in
from kernel.wire.icmp import (ICMP_ECHO, ICMP_ECHOREPLY, ICMP_PARAMPROB, ICMP_UNREACH,
                              ICMP_UNREACH_FILTER_PROHIB, icmp_repr)
from kernel.wire.ip import ip_header_cksum, ip_repr
from kernel.wire.ip6 import IPPROTO_ICMP
from tests.kernel.netinet.ip_lab import A

SRC, DST = "10.0.0.1", "10.0.0.2"


def echo(src: str = SRC, dst: str = DST, ttl: int = 64, options: bytes = b"", seq: int = 1,
         off: int = 0) -> bytes:
    body = icmp_repr.echo(ICMP_ECHO, 7, seq, b"abcdefgh").to_bytes()
    return ip_repr(A(src), A(dst), IPPROTO_ICMP, body, ttl, 0, 0x1234, off, options).to_bytes()


def recksum(p: bytes) -> bytes:
    b = bytearray(p)
    hl = (b[0] & 0x0F) << 2
    b[10:12] = b"\0\0"
    ck = ip_header_cksum(b, 0, hl)
    b[10:12] = ck.to_bytes(2, "big")
    return bytes(b)


def replies(net) -> int:
    net.run()
    return len(net.logs["lan0"].icmp(ICMP_ECHOREPLY))


def test_rfc791_valid_echo_is_delivered_and_answered(net):
    net.b.inject(echo())
    assert net.b.ipstat.ips_delivered == 1
    assert replies(net) == 1


@pytest.mark.parametrize("mangle,counter", [
    (lambda p: p[:19], "ips_tooshort"),                                  # shorter than a header
    (lambda p: recksum(bytes([0x65]) + p[1:]), "ips_badvers"),           # RFC 791 3.1: version 4
    (lambda p: recksum(bytes([0x44]) + p[1:]), "ips_badhlen"),           # IHL 4 < 5
    (lambda p: recksum(bytes([0x4F]) + p[1:]), "ips_badhlen"),           # IHL 60 > packet
    (lambda p: p[:10] + bytes([p[10] ^ 0xFF]) + p[11:], "ips_badsum"),   # RFC 1122 3.2.1.2
    (lambda p: recksum(p[:2] + struct.pack("!H", 19) + p[4:]), "ips_badlen"),
    (lambda p: recksum(p[:2] + struct.pack("!H", len(p) + 1) + p[4:]), "ips_tooshort"),
    (lambda p: recksum(p[:12] + A("127.0.0.1") + p[16:]), "ips_badaddr"),  # RFC 1122 3.2.1.3 (g)
    (lambda p: recksum(p[:12] + A("224.0.0.5") + p[16:]), "ips_badaddr"),  # multicast source
    (lambda p: recksum(p[:12] + A("255.255.255.255") + p[16:]), "ips_badaddr"),
])
def test_rfc1122_3_2_1_malformed_headers_are_silently_discarded(net, mangle, counter):
    """RFC 1122 3.2.1.1-3: a bad version, header length, checksum or length, or an
    invalid source address: discarded silently, counted."""
    b = net.b
    b.inject(mangle(echo()))
    assert getattr(b.ipstat, counter) == 1
    assert b.ipstat.ips_delivered == 0
    assert replies(net) == 0
    assert b.icmpstat.icps_error == 0


def test_rfc791_link_padding_beyond_total_length_is_trimmed(net):
    p = echo() + b"\0" * 10                       # Ethernet pads short frames
    net.b.inject(p)
    assert net.b.ipstat.ips_delivered == 1 and net.b.icmpstat.icps_checksum == 0
    assert replies(net) == 1


def test_rfc1122_3_2_1_8_unknown_options_are_ignored(net):
    """RFC 1122 3.2.1.8: "The IP layer MUST ignore IP options it does not understand"."""
    net.b.inject(echo(options=bytes([0x9E, 4, 0, 0])))      # an unknown option, length 4
    assert net.b.ipstat.ips_delivered == 1
    assert replies(net) == 1


@pytest.mark.parametrize("opts,pointer", [
    (bytes([0x9E, 0, 0, 0]), 21),          # length 0: would loop forever
    (bytes([0x9E, 1, 0, 0]), 21),          # length 1
    (bytes([0x9E, 9, 0, 0]), 21),          # runs past the header
    (bytes([1, 1, 1, 0x9E]), 24),          # no room for the length
    (bytes([7, 3, 2, 0]), 22),             # record route with a pointer below 4
    (bytes([68, 3, 5, 0]), 21),            # timestamp shorter than 4
    (bytes([68, 4, 5, 0x02]), 23),         # timestamp with flag 2
])
def test_rfc791_bad_option_is_a_parameter_problem_pointing_at_it(net, opts, pointer):
    """RFC 792 Parameter Problem: "the pointer identifies the octet of the original
    datagram's header where the error was detected"."""
    b = net.b
    b.inject(echo(options=opts))
    assert b.ipstat.ips_badoptions == 1 and b.ipstat.ips_delivered == 0
    net.run()
    pp = net.logs["lan0"].icmp(ICMP_PARAMPROB)
    assert len(pp) == 1 and pp[0][4] == pointer
    assert pp[0][8:8 + 24] == echo(options=opts)[:24]            # the header quoted


def test_rfc7126_source_routed_packet_to_a_host_is_dropped_silently(net):
    b = net.b
    b.inject(echo(options=bytes([131, 7, 4]) + A("10.0.0.9") + bytes(1)))
    assert b.ipstat.ips_cantforward == 1 and b.ipstat.ips_delivered == 0
    assert replies(net) == 0 and b.icmpstat.icps_error == 0


def test_process_options_2_refuses_packets_with_options(net):
    b = net.b
    b.k.ip.ip_doopts = 2
    b.inject(echo(options=bytes([1, 1, 1, 0])))
    net.run()
    un = net.logs["lan0"].icmp(ICMP_UNREACH)
    assert len(un) == 1 and un[0][1] == ICMP_UNREACH_FILTER_PROHIB
    b.k.ip.ip_doopts = 0                                          # ignore them
    b.inject(echo(options=bytes([0x9E, 0, 0, 0])))
    assert b.ipstat.ips_delivered == 1


def test_rfc1122_3_3_4_2_weak_host_model_and_check_interface():
    """RFC 1122 3.3.4.2: a host may accept a packet for any of its addresses on
    any interface (weak ES); net.inet.ip.check_interface makes it strong."""
    from tests.kernel.netinet.ip_lab import Net4
    n = Net4()
    n.segment("lan0")
    n.segment("lan1")
    h = n.host("h", "lan0", "lan1")
    h.addr("10.0.0.2", i=0)
    h.addr("10.1.0.2", i=1)
    n.run()
    h.inject(echo(dst="10.1.0.2"), i=0)
    assert h.ipstat.ips_delivered == 1
    h.k.ip.ip_checkinterface = 1
    h.inject(echo(dst="10.1.0.2"), i=0)
    assert h.ipstat.ips_delivered == 1 and h.ipstat.ips_cantforward == 1
    assert n.panics() == []


def test_not_ours_and_not_a_router_is_cantforward(net):
    net.b.inject(echo(dst="10.0.0.77"))
    assert net.b.ipstat.ips_cantforward == 1 and net.b.ipstat.ips_delivered == 0


def test_rfc1112_multicast_only_for_groups_we_joined(net):
    """RFC 1112 4: the all-hosts group is joined with the first address; others
    only when asked (ips_notmember)."""
    b = net.b
    b.k.icmp.icmpbmcastecho = 1
    b.inject(echo(dst="224.0.0.1"), mcast=True)
    assert b.ipstat.ips_delivered == 1
    b.inject(echo(dst="224.1.2.3"), mcast=True)
    assert b.ipstat.ips_notmember == 1
    _in.in_addmulti(b.ifp(), A("224.1.2.3"))
    b.inject(echo(dst="224.1.2.3"), mcast=True)
    assert b.ipstat.ips_delivered == 2


def test_broadcast_echo_is_ignored_unless_bmcastecho(net):
    """RFC 1122 3.2.2.6: "An ICMP Echo Request destined to an IP broadcast or IP
    multicast address MAY be silently discarded" (FreeBSD's default)."""
    b = net.b
    b.inject(echo(dst="10.0.0.255"), bcast=True)
    assert b.ipstat.ips_delivered == 1 and b.icmpstat.icps_bmcastecho == 1
    b.inject(echo(dst="255.255.255.255"), bcast=True)
    assert b.icmpstat.icps_bmcastecho == 2
    b.inject(echo(dst="10.0.0.255"))                   # a directed broadcast sent link-unicast
    assert b.icmpstat.icps_bmcastecho == 3
    assert replies(net) == 0
    b.k.icmp.icmpbmcastecho = 1
    b.inject(echo(dst="10.0.0.255"), bcast=True)
    assert replies(net) == 1
    rep = net.logs["lan0"].ip(IPPROTO_ICMP)[-1]
    assert rep[12:16] == A("10.0.0.2")          # answered from the subnet's address


def test_rfc1122_3_2_1_7_ttl_0_to_us_is_accepted(net):
    """RFC 1122 3.2.1.7: "A host MUST NOT discard a datagram just because it was
    received with TTL less than 2"."""
    net.b.inject(echo(ttl=0))
    assert replies(net) == 1
