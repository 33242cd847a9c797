"""gif(4): the generic tunnel interface (kernel/net/if_gif.py, kernel/netinet6/in6_gif.py,
kernel/netinet/in_gif.py, kernel/net/if_clone.py).

Two hosts, alice and bob, on one segment ``wan`` with both address families
(2001:db8::1/64 and 192.0.2.1/24 on alice's em0, ::2 and .2 on bob's), and a
third, carol (::3, .3), who is no tunnel end.  The tests configure tunnels
through the kernel's own entry points (if_clone_create, the tunnel ioctls,
in6_control/in_control) and send through ip6_output/ip_output; the wire is
captured.
"""
from __future__ import annotations

import struct
from typing import Any, Optional

import pytest

from emu.lab import Lab
from emu.sched import SEC
from kernel.kern.kern_sysctl import sysctl_lookup
from kernel.kern.uipc_mbuf import mbuf
from kernel.net import if_clone
from kernel.net.if_gif import GIF_MTU
from kernel.net.if_ioctl import if_setflags_user, if_tunnel_ioctl
from kernel.netinet import in_
from kernel.netinet.ip_input import ip_input
from kernel.netinet.ip_output import ip_output
from kernel.netinet6 import in6
from kernel.netinet6.ip6_input import ip6_input
from kernel.netinet6.ip6_output import ip6_output
from kernel.wire import errno as E
from kernel.wire.icmp import ICMP_ECHO, ICMP_ECHOREPLY, icmp_repr
from kernel.wire.icmp6 import ICMP6_ECHO_REPLY, ICMP6_ECHO_REQUEST, ICMP6_PACKET_TOO_BIG, \
    icmp6_echo_repr
from kernel.wire.in6 import inet_pton6, sockaddr_in6
from kernel.wire.in6_var import (SIOCAIFADDR_IN6, SIOCGIFPDSTADDR_IN6, SIOCGIFPSRCADDR_IN6,
                                 SIOCSIFPHYADDR_IN6, in6_addrlifetime, in6_aliasreq, in6_ifreq)
from kernel.wire.in_ import in_len2mask, inet_pton4, sockaddr_in
from kernel.wire.in_var import SIOCAIFADDR, in_aliasreq, in_ifreq
from kernel.wire.ip import ip_repr
from kernel.wire.ip6 import IPPROTO_FRAGMENT, IPPROTO_ICMPV6, IPPROTO_IPV4, IPPROTO_IPV6, ip6_hdr
from kernel.wire.net_if import IFF
from kernel.wire.route import RTF_HOST, RTM_ADD, sockaddr_dl
from kernel.wire.sockio import (SIOCDIFPHYADDR, SIOCGIFPSRCADDR, SIOCSIFMTU, SIOCSIFPHYADDR)

A6 = inet_pton6
A4 = inet_pton4
OUTER6 = {"alice": "2001:db8::1", "bob": "2001:db8::2", "carol": "2001:db8::3"}
OUTER4 = {"alice": "192.0.2.1", "bob": "192.0.2.2", "carol": "192.0.2.3"}
INNER6 = {"alice": "2001:db8:ffff::1", "bob": "2001:db8:ffff::2"}
INNER4 = {"alice": "10.0.0.1", "bob": "10.0.0.2"}
PEER = {"alice": "bob", "bob": "alice"}


class Wire:
    """Every frame put on the segment."""

    closed = False

    def __init__(self) -> None:
        self.frames: list[bytes] = []

    def write_frame(self, key: Any, ts: int, frame: bytes) -> None:
        self.frames.append(bytes(frame))

    def ip6(self, nxt: Optional[int] = None) -> list[bytes]:
        return [f[14:] for f in self.frames
                if f[12:14] == b"\x86\xdd" and (nxt is None or f[14 + 6] == nxt)]

    def ip4(self, proto: Optional[int] = None) -> list[bytes]:
        out = []
        for f in self.frames:
            if f[12:14] == b"\x08\x00" and (proto is None or f[14 + 9] == proto):
                out.append(f[14:14 + struct.unpack_from("!H", f, 16)[0]])
        return out


class Site:
    """One host of the lab, configured through the kernel's entry points."""

    def __init__(self, lab: Lab, name: str) -> None:
        self.lab = lab
        self.name = name
        self.lm = lab.machines[name]

    @property
    def k(self) -> Any:
        return self.lm.kernel

    def ifp(self, name: str) -> Any:
        ifp = self.k.ifunit(name)
        assert ifp is not None, name
        return ifp

    def up(self, name: str) -> None:
        ifp = self.ifp(name)
        assert if_setflags_user(ifp, ifp.if_flags | int(IFF.UP)) == 0

    def addr6(self, ifname: str, addr: str, plen: int = 64, dst: Optional[str] = None) -> int:
        req = in6_aliasreq(ifname, sockaddr_in6(A6(addr)),
                           sockaddr_in6(A6(dst)) if dst else None,
                           sockaddr_in6(in6.in6_prefix_mask(plen)), 0, in6_addrlifetime())
        return in6.in6_control(self.k, SIOCAIFADDR_IN6, req, self.ifp(ifname))

    def addr4(self, ifname: str, addr: str, plen: int = 24, dst: Optional[str] = None) -> int:
        req = in_aliasreq(ifname, sockaddr_in(A4(addr)), sockaddr_in(A4(dst)) if dst else None,
                          sockaddr_in(in_len2mask(plen)))
        return in_.in_control(self.k, SIOCAIFADDR, req, self.ifp(ifname), None)

    def create(self, name: str = "gif0") -> tuple[int, str]:
        return if_clone.if_clone_create(self.k, name)

    def tunnel(self, gif: str, src: str, dst: str, zone: int = 0) -> int:
        if ":" in src:
            req: Any = in6_aliasreq(gif, sockaddr_in6(A6(src), 0, 0, zone),
                                    sockaddr_in6(A6(dst), 0, 0, zone))
            cmd = SIOCSIFPHYADDR_IN6
        else:
            req = in_aliasreq(gif, sockaddr_in(A4(src)), sockaddr_in(A4(dst)))
            cmd = SIOCSIFPHYADDR
        return if_tunnel_ioctl(self.ifp(gif), cmd, req, None)

    def sysctl(self, name: str, value: int) -> None:
        sysctl_lookup(self.k, name, value)

    # -- sending -----------------------------------------------------------------------------
    def echo6(self, src: str, dst: str, size: int = 56, seq: int = 1, hlim: int = 64) -> int:
        s, d = A6(src), A6(dst)
        body = icmp6_echo_repr(ICMP6_ECHO_REQUEST, 0x4242, seq, bytes(i & 0xFF for i in range(size))
                               ).to_bytes(s, d)
        pkt = ip6_hdr.pack(0x60000000, len(body), IPPROTO_ICMPV6, hlim, s, d) + body
        return ip6_output(self.k, mbuf(pkt))

    def echo4(self, src: str, dst: str, size: int = 56, df: bool = False) -> int:
        body = icmp_repr.echo(ICMP_ECHO, 0x4242, 1, bytes(i & 0xFF for i in range(size))).to_bytes()
        pkt = ip_repr(A4(src), A4(dst), 1, body, 64, 0, 0, 0x4000 if df else 0).to_bytes()
        m = mbuf(pkt[20:])
        off = m.m_prepend(20)
        m.buf[off:off + 20] = pkt[:20]
        return ip_output(self.k, m)

    def replies6(self) -> int:
        return self.k.icmp6stat.icp6s_inhist[ICMP6_ECHO_REPLY]

    def replies4(self) -> int:
        return self.k.icmpstat.icps_inhist[ICMP_ECHOREPLY]

    @property
    def gifstat(self) -> Any:
        return self.k.gif.gifstat


class Wan:
    def __init__(self) -> None:
        self.lab = Lab(seed=7)
        seg = self.lab.segment("wan")
        self.wire = Wire()
        seg.add_capture(self.wire)
        for n in ("alice", "bob", "carol"):
            self.lab.machine(n, nics=[("em", seg)])
        self.lab.boot()
        self.sites = {n: Site(self.lab, n) for n in ("alice", "bob", "carol")}
        for n, s in self.sites.items():
            s.up("em0")
            assert s.addr6("em0", OUTER6[n]) == 0
            assert s.addr4("em0", OUTER4[n]) == 0
        self.run(3 * SEC)                          # DAD
        self.wire.frames.clear()

    @property
    def alice(self) -> Site:
        return self.sites["alice"]

    @property
    def bob(self) -> Site:
        return self.sites["bob"]

    @property
    def carol(self) -> Site:
        return self.sites["carol"]

    def run(self, ns: int = SEC // 10) -> None:
        self.lab.run_for(ns)

    def tunnel(self, outer: str, name: str = "gif0", inner6: bool = True,
               inner4: bool = True) -> None:
        """gif ``name`` between alice and bob, the outer family ``inet`` or ``inet6``."""
        ends = OUTER6 if outer == "inet6" else OUTER4
        for n in ("alice", "bob"):
            s = self.sites[n]
            assert s.create(name) == (0, name)
            assert s.tunnel(name, ends[n], ends[PEER[n]]) == 0
            if inner6:
                assert s.addr6(name, INNER6[n], 128, INNER6[PEER[n]]) == 0
            if inner4:
                assert s.addr4(name, INNER4[n], 32, INNER4[PEER[n]]) == 0
            s.up(name)
        self.settle()

    def settle(self) -> None:
        """Let the MLD state-change reports of the new gif (its groups, as on
        FreeBSD: gif is IFF_MULTICAST, RFC 3810 6.1 with RV=2 retransmissions)
        cross the tunnel, then start counting afresh: the tests count the
        packets they send, not the reports."""
        self.run(5 * SEC)
        self.wire.frames.clear()
        for s in self.sites.values():
            s.k.gif.gifstat = type(s.k.gif.gifstat)()
            s.k.ip6stat.ip6s_nogif = 0
            for ifp in s.k.ifnet:
                if ifp.if_dname == "gif":
                    ifp.if_data = type(ifp.if_data)()

    def panics(self) -> list[str]:
        return [f"{n}: {s.lm.machine.panicked}" for n, s in self.sites.items()
                if s.lm.machine.panicked is not None]


@pytest.fixture
def wan():
    w = Wan()
    yield w
    assert w.panics() == []


def _inner6(pkt: bytes, off: int) -> tuple[int, bytes, bytes, int]:
    """(next header, source, destination, hop limit) of the IPv6 header at ``off``."""
    _f, _p, nxt, hlim, src, dst = ip6_hdr.unpack_from(pkt, off)
    return nxt, src, dst, hlim


# -- the four encapsulations ------------------------------------------------------------------
def test_rfc2473_3_1_ipv6_in_ipv6_echo_crosses_the_tunnel_as_next_header_41(wan):
    """RFC 2473 3.1: the original packet follows a tunnel IPv6 header whose
    source is the entry point and destination the exit point; the hop limit of
    the tunnel header is the tunnel's (net.inet6.ip6.gifhlim, 30), the
    original packet's is not touched (the tunnel is one hop)."""
    wan.tunnel("inet6")
    before = wan.alice.replies6()
    assert wan.alice.echo6(INNER6["alice"], INNER6["bob"]) == 0
    wan.run()
    assert wan.alice.replies6() == before + 1
    outer = [p for p in wan.wire.ip6(IPPROTO_IPV6) if p[8:24] == A6(OUTER6["alice"])]
    assert len(outer) == 1
    nxt, src, dst, hlim = _inner6(outer[0], 0)
    assert (src, dst, hlim) == (A6(OUTER6["alice"]), A6(OUTER6["bob"]), 30)
    assert _inner6(outer[0], 40) == (IPPROTO_ICMPV6, A6(INNER6["alice"]), A6(INNER6["bob"]), 64)
    gif = wan.alice.ifp("gif0")
    assert (gif.if_data.ifi_opackets, gif.if_data.ifi_ipackets) == (1, 1)
    assert wan.bob.ifp("gif0").if_data.ifi_ipackets == 1


def test_gifhlim_sysctl_sets_the_tunnel_hop_limit(wan):
    wan.tunnel("inet6")
    wan.alice.sysctl("net.inet6.ip6.gifhlim", 7)
    wan.alice.echo6(INNER6["alice"], INNER6["bob"])
    wan.run()
    assert [p[7] for p in wan.wire.ip6(IPPROTO_IPV6) if p[8:24] == A6(OUTER6["alice"])] == [7]


def test_rfc4213_3_5_ipv6_in_ipv4_configured_tunnel_is_protocol_41_ttl_30_df_clear(wan):
    """RFC 4213 3.5: Protocol 41, the tunnel's ends as source and destination,
    a TTL chosen by the implementation (net.inet.ip.gifttl, 30); 3.2.1 static
    tunnel MTU: the Don't Fragment bit is not set."""
    wan.tunnel("inet")
    before = wan.alice.replies6()
    assert wan.alice.echo6(INNER6["alice"], INNER6["bob"]) == 0
    wan.run()
    assert wan.alice.replies6() == before + 1
    (pkt,) = [p for p in wan.wire.ip4(IPPROTO_IPV6) if p[12:16] == A4(OUTER4["alice"])]
    assert (pkt[8], pkt[16:20]) == (30, A4(OUTER4["bob"]))
    assert struct.unpack_from("!H", pkt, 6)[0] & 0x4000 == 0
    assert _inner6(pkt, 20)[:3] == (IPPROTO_ICMPV6, A6(INNER6["alice"]), A6(INNER6["bob"]))


def test_rfc2473_ipv4_in_ipv6_is_next_header_4(wan):
    wan.tunnel("inet6")
    before = wan.alice.replies4()
    assert wan.alice.echo4(INNER4["alice"], INNER4["bob"]) == 0
    wan.run()
    assert wan.alice.replies4() == before + 1
    (pkt,) = [p for p in wan.wire.ip6(IPPROTO_IPV4) if p[8:24] == A6(OUTER6["alice"])]
    assert pkt[40] >> 4 == 4 and pkt[40 + 16:40 + 20] == A4(INNER4["bob"])


def test_rfc2003_3_1_ipv4_in_ipv4_copies_the_inner_dont_fragment_bit(wan):
    """RFC 2003 3.1: "if the Don't Fragment bit is set in the inner IP header,
    it MUST be set in the outer IP header"."""
    wan.tunnel("inet")
    before = wan.alice.replies4()
    assert wan.alice.echo4(INNER4["alice"], INNER4["bob"], df=True) == 0
    wan.run()                                   # (ARP holds one packet at a time)
    assert wan.alice.echo4(INNER4["alice"], INNER4["bob"], df=False) == 0
    wan.run()
    assert wan.alice.replies4() == before + 2
    sent = [p for p in wan.wire.ip4(IPPROTO_IPV4) if p[12:16] == A4(OUTER4["alice"])]
    assert [struct.unpack_from("!H", p, 6)[0] & 0x4000 for p in sent] == [0x4000, 0]


def test_rfc2003_5_1_inner_ipv4_with_df_too_big_for_the_tunnel_gets_needfrag(wan):
    """RFC 2003 5.1: a datagram with DF that the tunnel cannot carry whole is
    answered with "fragmentation needed" carrying the tunnel's MTU."""
    wan.tunnel("inet")
    gif = wan.alice.ifp("gif0")
    assert gif.if_ioctl(gif, SIOCSIFMTU, 1500) == 0
    before = wan.alice.k.icmpstat.icps_outhist[3]
    assert wan.alice.echo4(INNER4["alice"], INNER4["bob"], size=1460, df=True) != 0
    assert wan.alice.gifstat.gifs_toobig == 1
    assert wan.alice.k.icmpstat.icps_outhist[3] == before + 1


# -- decapsulation checks ------------------------------------------------------------------------
def _tunnel6_packet(outer_src: str, outer_dst: str, inner: bytes, nxt: int = IPPROTO_IPV6) -> bytes:
    return ip6_hdr.pack(0x60000000, len(inner), nxt, 30, A6(outer_src), A6(outer_dst)) + inner


def _echo6_packet(src: str, dst: str) -> bytes:
    s, d = A6(src), A6(dst)
    body = icmp6_echo_repr(ICMP6_ECHO_REQUEST, 7, 1, b"x").to_bytes(s, d)
    return ip6_hdr.pack(0x60000000, len(body), IPPROTO_ICMPV6, 64, s, d) + body


def _from_bob() -> bytes:
    """A tunnel packet from bob's end to alice's holding an echo request."""
    return _tunnel6_packet(OUTER6["bob"], OUTER6["alice"],
                           _echo6_packet(INNER6["bob"], INNER6["alice"]))


def test_rfc4213_3_6_packet_from_another_outer_source_is_discarded_without_icmp(wan):
    """RFC 4213 3.6: "Packets for which the IPv4 source address does not match
    MUST be discarded and an ICMP message SHOULD NOT be generated" — carol
    sends to alice's tunnel end, as if she were bob."""
    wan.tunnel("inet6")
    a = wan.alice
    errs = sum(a.k.icmp6stat.icp6s_outhist[:128])
    pkt = _tunnel6_packet(OUTER6["carol"], OUTER6["alice"],
                          _echo6_packet(INNER6["bob"], INNER6["alice"]))
    assert ip6_output(wan.carol.k, mbuf(pkt)) == 0
    wan.run()
    assert a.gifstat.gifs_wrongsrc == 1
    assert a.k.ip6stat.ip6s_nogif == 1
    assert a.ifp("gif0").if_data.ifi_ipackets == 0
    assert a.k.icmp6stat.icp6s_inhist[ICMP6_ECHO_REQUEST] == 0
    assert sum(a.k.icmp6stat.icp6s_outhist[:128]) == errs          # no error sent
    # the same from bob is taken
    assert ip6_output(wan.bob.k, mbuf(_tunnel6_packet(
        OUTER6["bob"], OUTER6["alice"], _echo6_packet(INNER6["bob"], INNER6["alice"])))) == 0
    wan.run()
    assert a.k.icmp6stat.icp6s_inhist[ICMP6_ECHO_REQUEST] == 1


def test_rfc4213_3_6_ipv4_tunnel_refuses_another_outer_source(wan):
    wan.tunnel("inet")
    inner = _echo6_packet(INNER6["bob"], INNER6["alice"])
    pkt = ip_repr(A4(OUTER4["carol"]), A4(OUTER4["alice"]), IPPROTO_IPV6, inner, 30).to_bytes()
    m = mbuf(pkt[20:])
    off = m.m_prepend(20)
    m.buf[off:off + 20] = pkt[:20]
    assert ip_output(wan.carol.k, m) == 0
    wan.run()
    assert wan.alice.gifstat.gifs_wrongsrc == 1
    assert wan.alice.k.ipstat.ips_nogif == 1
    assert wan.alice.k.icmp6stat.icp6s_inhist[ICMP6_ECHO_REQUEST] == 0


def test_kame_ingress_filter_wants_the_outer_source_routed_back_via_the_receiving_interface(wan):
    """KAME gif_validate6: a tunnel packet whose outer source is not reached
    through the interface it came in on is dropped; IFF_LINK2 turns the
    filter off."""
    wan.tunnel("inet6")
    a = wan.alice
    pkt = _from_bob()
    ip6_input(a.ifp("lo0"), mbuf(pkt))           # as if it had come in on lo0
    wan.run()
    assert a.gifstat.gifs_ingress == 1
    assert a.k.icmp6stat.icp6s_inhist[ICMP6_ECHO_REQUEST] == 0
    gif = a.ifp("gif0")
    assert if_setflags_user(gif, gif.if_flags | int(IFF.LINK2)) == 0
    ip6_input(a.ifp("lo0"), mbuf(pkt))
    wan.run()
    assert a.gifstat.gifs_ingress == 1
    assert a.k.icmp6stat.icp6s_inhist[ICMP6_ECHO_REQUEST] == 1


@pytest.mark.parametrize("src", ["::1", "::10.0.0.1", "::ffff:10.0.0.1", "ff02::1"])
def test_rfc4213_3_6_decapsulated_packet_with_an_invalid_ipv6_source_is_discarded(wan, src):
    """RFC 4213 3.6: "the node MUST silently discard a packet with an invalid
    IPv6 source address": multicast, loopback, IPv4-compatible, IPv4-mapped."""
    wan.tunnel("inet6")
    pkt = _tunnel6_packet(OUTER6["bob"], OUTER6["alice"], _echo6_packet(src, INNER6["alice"]))
    assert ip6_output(wan.bob.k, mbuf(pkt)) == 0
    wan.run()
    assert wan.alice.gifstat.gifs_badsrc == 1
    assert wan.alice.k.icmp6stat.icp6s_inhist[ICMP6_ECHO_REQUEST] == 0


def test_packet_for_no_tunnel_goes_to_raw_sockets_with_parameter_problem(wan):
    """encap6_input: what no gif claims is rip6_input's (no socket: Parameter
    Problem, unrecognized next header)."""
    pkt = _from_bob()
    assert ip6_output(wan.bob.k, mbuf(pkt)) == 0
    wan.run()
    assert wan.alice.gifstat.gifs_nomatch == 1
    assert wan.alice.k.icmp6stat.icp6s_outhist[4] == 1             # ICMP6_PARAM_PROB


@pytest.mark.parametrize("inner, nxt", [
    (b"", IPPROTO_IPV6),                                   # nothing inside
    (b"\x60" + bytes(20), IPPROTO_IPV6),                   # a truncated IPv6 header
    (b"\x45" + bytes(39), IPPROTO_IPV6),                   # IPv4 where 41 says IPv6
    (b"\x60" + bytes(39), IPPROTO_IPV4),                   # IPv6 where 4 says IPv4
    (b"\x45" + bytes(10), IPPROTO_IPV4),                   # a truncated IPv4 header
])
def test_malformed_inner_packets_are_counted_never_raise(wan, inner, nxt):
    wan.tunnel("inet6")
    pkt = _tunnel6_packet(OUTER6["bob"], OUTER6["alice"], inner, nxt)
    ip6_input(wan.alice.ifp("em0"), mbuf(pkt))
    wan.run()
    assert wan.alice.gifstat.gifs_badinner == 1
    assert wan.panics() == []


def test_malformed_ipv4_tunnel_packets_are_counted_never_raise(wan):
    wan.tunnel("inet")
    for inner in (b"", b"\x60" + bytes(10), b"\x45" + bytes(40)):
        pkt = ip_repr(A4(OUTER4["bob"]), A4(OUTER4["alice"]), IPPROTO_IPV6, inner, 30).to_bytes()
        ip_input(wan.alice.ifp("em0"), mbuf(pkt))
    wan.run()
    assert wan.alice.gifstat.gifs_badinner == 3


def test_tunnel_that_is_down_drops_what_arrives_for_it(wan):
    wan.tunnel("inet6")
    gif = wan.alice.ifp("gif0")
    assert if_setflags_user(gif, gif.if_flags & ~int(IFF.UP)) == 0
    assert ip6_output(wan.bob.k, mbuf(_tunnel6_packet(
        OUTER6["bob"], OUTER6["alice"], _echo6_packet(INNER6["bob"], INNER6["alice"])))) == 0
    wan.run()
    assert wan.alice.gifstat.gifs_ifdown == 1
    assert wan.alice.k.ip6stat.ip6s_nogif == 1


def test_output_without_tunnel_or_down_is_enetdown(wan):
    a = wan.alice
    assert a.create() == (0, "gif0")
    assert a.addr6("gif0", INNER6["alice"], 128, INNER6["bob"]) == 0
    a.up("gif0")
    wan.settle()                   # its MLD reports have no tunnel either
    assert a.echo6(INNER6["alice"], INNER6["bob"]) == E.ENETDOWN
    assert a.gifstat.gifs_notunnel == 1
    assert a.ifp("gif0").if_data.ifi_oerrors == 1


# -- nesting ---------------------------------------------------------------------------------------
def test_max_nesting_drops_a_tunnel_routed_through_itself_with_a_log_line(wan):
    """A tunnel whose outer destination is routed through the gif itself would
    recurse for ever: gif_output refuses beyond net.link.gif.max_nesting (1)."""
    wan.tunnel("inet6")
    a = wan.alice
    from kernel.net.route import rtrequest
    gif = a.ifp("gif0")
    err, _ = rtrequest(a.k, RTM_ADD, A6(OUTER6["bob"]), 128, sockaddr_dl(gif.if_index, 0xF0),
                       RTF_HOST, gif)
    assert err == 0
    assert a.echo6(INNER6["alice"], INNER6["bob"]) == E.EIO
    assert a.gifstat.gifs_nesting == 1
    assert "gif_output: recursively called too many times(2)\n" in a.lm.machine.console_text()
    assert a.k.gif.gif_called == 0


def test_nested_tunnel_needs_max_nesting_2(wan):
    """gif1 runs between the inner addresses of gif0: two headers deep."""
    wan.tunnel("inet6", inner4=False)
    inner = {"alice": "2001:db8:eeee::1", "bob": "2001:db8:eeee::2"}
    for n in ("alice", "bob"):
        s = wan.sites[n]
        assert s.create("gif1") == (0, "gif1")
        assert s.tunnel("gif1", INNER6[n], INNER6[PEER[n]]) == 0
        assert s.addr6("gif1", inner[n], 128, inner[PEER[n]]) == 0
        s.up("gif1")
    wan.settle()
    a = wan.alice
    assert a.echo6(inner["alice"], inner["bob"]) == E.EIO
    assert a.gifstat.gifs_nesting == 1
    for s in (wan.alice, wan.bob):
        s.sysctl("net.link.gif.max_nesting", 2)
    before = a.replies6()
    assert a.echo6(inner["alice"], inner["bob"]) == 0
    wan.run()
    assert a.replies6() == before + 1
    (pkt,) = [p for p in wan.wire.ip6(IPPROTO_IPV6) if p[8:24] == A6(OUTER6["alice"])]
    assert _inner6(pkt, 40)[0] == IPPROTO_IPV6                     # 41 in 41
    assert _inner6(pkt, 80)[1:3] == (A6(inner["alice"]), A6(inner["bob"]))


# -- MTU ---------------------------------------------------------------------------------------
def test_rfc4213_3_2_tunnel_packets_are_fragmented_by_the_outer_ipv6_layer(wan):
    """KAME in6_gif_output (net.inet6.ip6.gifpmtu=0): tunnel packets go out in
    fragments of at most 1280 octets; the exit point reassembles them."""
    wan.tunnel("inet6")
    before = wan.alice.replies6()
    assert wan.alice.echo6(INNER6["alice"], INNER6["bob"], size=GIF_MTU - 48) == 0   # 1280 inner
    wan.run()
    assert wan.alice.replies6() == before + 1
    frags = [p for p in wan.wire.ip6(IPPROTO_FRAGMENT) if p[8:24] == A6(OUTER6["alice"])]
    assert len(frags) == 2 and all(len(p) <= 1280 for p in frags)
    assert frags[0][40] == IPPROTO_IPV6                              # the fragment's next header
    assert wan.bob.k.ip6stat.ip6s_reassembled == 1


def test_rfc4213_3_2_1_outer_ipv4_is_fragmented_when_the_link_is_smaller(wan):
    """RFC 4213 3.2.1: with DF clear the IPv4 layer fragments the tunnel packet."""
    wan.tunnel("inet")
    em0 = wan.alice.ifp("em0")
    assert em0.if_setmtu(1280) == 0
    wan.alice.echo6(INNER6["alice"], INNER6["bob"])       # resolve bob (ARP holds one packet)
    wan.run()
    wan.wire.frames.clear()
    before = wan.alice.replies6()
    assert wan.alice.echo6(INNER6["alice"], INNER6["bob"], size=GIF_MTU - 48) == 0
    wan.run()
    assert wan.alice.replies6() == before + 1
    frags = [p for p in wan.wire.ip4(IPPROTO_IPV6) if p[12:16] == A4(OUTER4["alice"])]
    assert len(frags) == 2
    assert struct.unpack_from("!H", frags[0], 6)[0] & 0x2000                # MF
    assert all(len(p) <= 1280 for p in frags)


def test_rfc4443_3_2_router_answers_a_packet_bigger_than_the_tunnel_with_ptb_tunnel_mtu(wan):
    """A router forwarding into gif0 (MTU 1280) answers a 1400-octet packet with
    Packet Too Big carrying the tunnel MTU (ip6_forward uses the gif's MTU)."""
    wan.tunnel("inet6")
    _route_behind_bob(wan)
    big = _echo6_packet(OUTER6["carol"], "2001:db8:b::1")[:-1] + bytes(1400 - 49)
    big = bytearray(big)
    struct.pack_into("!H", big, 4, len(big) - 40)
    assert ip6_output(wan.carol.k, mbuf(bytes(big))) == 0
    wan.run()
    ptb = [p for p in wan.wire.ip6(IPPROTO_ICMPV6) if p[40] == ICMP6_PACKET_TOO_BIG]
    assert len(ptb) == 1
    assert ptb[0][24:40] == A6(OUTER6["carol"])
    assert struct.unpack_from("!I", ptb[0], 44)[0] == GIF_MTU


def _route_behind_bob(wan: Wan) -> None:
    """alice forwards 2001:db8:b::/64 into the tunnel (gateway: bob's tunnel
    address); carol sends there through alice."""
    from kernel.net.route import rtrequest
    wan.alice.sysctl("net.inet6.ip6.forwarding", 1)
    assert rtrequest(wan.alice.k, RTM_ADD, A6("2001:db8:b::"), 64, A6(INNER6["bob"]), 0x2)[0] == 0
    assert rtrequest(wan.carol.k, RTM_ADD, A6("2001:db8:b::"), 64, A6(OUTER6["alice"]), 0x2,
                     wan.carol.ifp("em0"))[0] == 0


def _ptb_from_the_path(wan: Wan, mtu: int) -> None:
    """A router on the outer path tells alice her tunnel packets to bob are too big."""
    quoted = _tunnel6_packet(OUTER6["alice"], OUTER6["bob"],
                             _echo6_packet(INNER6["alice"], INNER6["bob"]))
    s, d = A6(OUTER6["carol"]), A6(OUTER6["alice"])
    body = bytearray(struct.pack("!BBHI", ICMP6_PACKET_TOO_BIG, 0, 0, mtu) + quoted)
    from kernel.wire.in_cksum import in6_cksum_data
    struct.pack_into("!H", body, 2, in6_cksum_data(s, d, IPPROTO_ICMPV6, bytes(body)))
    pkt = ip6_hdr.pack(0x60000000, len(body), IPPROTO_ICMPV6, 64, s, d) + bytes(body)
    assert ip6_output(wan.carol.k, mbuf(pkt)) == 0
    wan.run()


def test_rfc2473_8_2_ptb_for_the_outer_path_sets_the_fragment_size_with_gifpmtu_1(wan):
    """net.inet6.ip6.gifpmtu=1: the outer path MTU a Packet Too Big taught
    (RFC 8201) is what tunnel packets are fragmented to."""
    wan.tunnel("inet6")
    a = wan.alice
    a.sysctl("net.inet6.ip6.gifpmtu", 1)
    assert a.echo6(INNER6["alice"], INNER6["bob"], size=GIF_MTU - 48) == 0
    wan.run()
    assert not [p for p in wan.wire.ip6(IPPROTO_FRAGMENT) if p[8:24] == A6(OUTER6["alice"])]
    _ptb_from_the_path(wan, 1300)
    wan.wire.frames.clear()
    before = a.replies6()
    assert a.echo6(INNER6["alice"], INNER6["bob"], size=GIF_MTU - 48) == 0
    wan.run()
    assert a.replies6() == before + 1
    frags = [p for p in wan.wire.ip6(IPPROTO_FRAGMENT) if p[8:24] == A6(OUTER6["alice"])]
    assert len(frags) == 2 and 1280 < max(len(p) for p in frags) <= 1300


def test_rfc2473_7_1_inner_packet_bigger_than_the_tunnel_mtu_gets_ptb_from_the_entry_point(wan):
    """RFC 2473 7.1 (a): an original packet bigger than the tunnel MTU (path MTU
    less the tunnel header) and than 1280 is dropped with a Packet Too Big of
    MAX(1280, tunnel MTU); (b) one of 1280 or less is encapsulated and the
    tunnel packet fragmented to the path MTU."""
    wan.tunnel("inet6")
    a = wan.alice
    a.sysctl("net.inet6.ip6.gifpmtu", 1)
    gif = a.ifp("gif0")
    assert gif.if_ioctl(gif, SIOCSIFMTU, 1460) == 0
    _ptb_from_the_path(wan, 1300)                  # tunnel MTU 1260
    _route_behind_bob(wan)
    for size, want in ((1400, 1280), (1280, None)):
        wan.wire.frames.clear()
        pkt = bytearray(_echo6_packet(OUTER6["carol"], "2001:db8:b::1")[:-1] + bytes(size - 49))
        struct.pack_into("!H", pkt, 4, len(pkt) - 40)
        assert ip6_output(wan.carol.k, mbuf(bytes(pkt))) == 0
        wan.run()
        ptb = [p for p in wan.wire.ip6(IPPROTO_ICMPV6) if p[40] == ICMP6_PACKET_TOO_BIG]
        if want is None:
            assert ptb == []
            frags = [p for p in wan.wire.ip6(IPPROTO_FRAGMENT) if p[8:24] == A6(OUTER6["alice"])]
            assert len(frags) == 2 and max(len(p) for p in frags) <= 1300
        else:
            assert [(p[24:40], struct.unpack_from("!I", p, 44)[0]) for p in ptb] == \
                [(A6(OUTER6["carol"]), want)]
    assert a.gifstat.gifs_toobig == 1


# -- cloning, ioctls, addresses -------------------------------------------------------------
def test_if_clone_create_takes_the_lowest_free_unit_and_destroy_purges(wan):
    a = wan.alice
    assert a.create("gif") == (0, "gif0")
    assert a.create("gif") == (0, "gif1")
    assert a.create("gif1") == (E.EEXIST, "gif1")
    assert a.create("gifx")[0] == E.EINVAL
    assert a.create("gif01")[0] == E.EINVAL
    assert a.create("tun0")[0] == E.EINVAL
    gif0 = a.ifp("gif0")
    assert (gif0.if_mtu, gif0.if_flags) == (GIF_MTU, int(IFF.POINTOPOINT | IFF.MULTICAST))
    assert gif0.if_groups == ["gif"]
    assert a.tunnel("gif0", OUTER6["alice"], OUTER6["bob"]) == 0
    assert a.addr6("gif0", INNER6["alice"], 128, INNER6["bob"]) == 0
    a.up("gif0")
    from kernel.net.route import rtalloc1
    assert rtalloc1(a.k, A6(INNER6["bob"]), 0).rt_ifp is gif0
    assert if_clone.if_clone_destroy(a.k, "gif0") == 0
    assert a.k.ifunit("gif0") is None
    assert in6.in6ifa_ifwithaddr(a.k, A6(INNER6["alice"]), 0) is None
    assert rtalloc1(a.k, A6(INNER6["bob"]), 0) is None or \
        rtalloc1(a.k, A6(INNER6["bob"]), 0).rt_ifp is not gif0
    assert if_clone.if_clone_destroy(a.k, "gif0") == E.ENXIO
    assert if_clone.if_clone_destroy(a.k, "em0") == E.EINVAL
    assert a.create("gif") == (0, "gif0")          # the unit is free again
    # the tunnel of the destroyed gif0 does not block a new one with the same ends
    assert a.tunnel("gif0", OUTER6["alice"], OUTER6["bob"]) == 0


def test_gif_ioctl_checks_what_it_is_given(wan):
    a = wan.alice
    a.create("gif0")
    a.create("gif1")
    gif = a.ifp("gif0")
    assert gif.if_ioctl(gif, SIOCSIFMTU, 1279) == E.EINVAL
    assert gif.if_ioctl(gif, SIOCSIFMTU, 8193) == E.EINVAL
    assert gif.if_ioctl(gif, SIOCSIFMTU, "1400") == E.EINVAL
    assert gif.if_ioctl(gif, SIOCSIFMTU, 8192) == 0
    # SIOCSIFPHYADDR with IPv6 ends: "check sa_family looks sane for the cmd"
    req = in_aliasreq("gif0", sockaddr_in6(A6(OUTER6["alice"])), sockaddr_in6(A6(OUTER6["bob"])))
    assert if_tunnel_ioctl(gif, SIOCSIFPHYADDR, req, None) == E.EAFNOSUPPORT
    req6 = in6_aliasreq("gif0", sockaddr_in(A4(OUTER4["alice"])), sockaddr_in(A4(OUTER4["bob"])))
    assert if_tunnel_ioctl(gif, SIOCSIFPHYADDR_IN6, req6, None) == E.EAFNOSUPPORT
    assert if_tunnel_ioctl(gif, SIOCSIFPHYADDR, "gif0", None) == E.EINVAL
    assert a.tunnel("gif0", "0.0.0.0", OUTER4["bob"]) == E.EADDRNOTAVAIL
    assert a.tunnel("gif0", "fe80::1", "fe80::2") == E.EINVAL        # no zone
    idx = a.ifp("em0").if_index
    assert a.tunnel("gif0", "fe80::1", "fe80::2", zone=idx) == 0
    assert a.tunnel("gif0", OUTER4["alice"], OUTER4["bob"]) == 0
    # no parallel tunnels, unless net.link.gif.parallel_tunnels
    assert a.tunnel("gif1", OUTER4["alice"], OUTER4["bob"]) == E.EADDRNOTAVAIL
    a.sysctl("net.link.gif.parallel_tunnels", 1)
    assert a.tunnel("gif1", OUTER4["alice"], OUTER4["bob"]) == 0
    # the getters answer in the tunnel's family only
    r = in_ifreq("gif0")
    assert if_tunnel_ioctl(gif, SIOCGIFPSRCADDR, r, None) == 0
    assert r.ifr_addr.sin_addr == A4(OUTER4["alice"])
    assert if_tunnel_ioctl(gif, SIOCGIFPSRCADDR_IN6, in6_ifreq("gif0"), None) == E.EADDRNOTAVAIL
    assert if_tunnel_ioctl(gif, SIOCDIFPHYADDR, in_ifreq("gif0"), None) == 0
    assert if_tunnel_ioctl(gif, SIOCGIFPSRCADDR, in_ifreq("gif0"), None) == E.EADDRNOTAVAIL
    assert not gif.if_flags & IFF.DRV_RUNNING
    # an Ethernet interface is no tunnel
    assert if_tunnel_ioctl(a.ifp("em0"), SIOCGIFPSRCADDR, in_ifreq("em0"), None) == E.EINVAL
    assert a.tunnel("gif0", OUTER6["alice"], OUTER6["bob"]) == 0
    r6 = in6_ifreq("gif0")
    assert if_tunnel_ioctl(gif, SIOCGIFPDSTADDR_IN6, r6, None) == 0
    assert r6.ifr_addr == sockaddr_in6(A6(OUTER6["bob"]))


def test_kame_gif_link_local_address_borrows_the_ethernet_interface_identifier(wan):
    """KAME in6_ifattach: a gif has no hardware address; its link-local address
    takes the interface identifier of the first interface that has one."""
    a = wan.alice
    a.create("gif0")
    a.up("gif0")
    lls = [ia.ia_addr for ia in in6.in6_ifaddrs(a.k, a.ifp("gif0"))]
    em0 = [ia.ia_addr for ia in in6.in6_ifaddrs(a.k, a.ifp("em0")) if ia.ia_addr[0] == 0xFE]
    assert lls == [A6("fe80::")[:8] + em0[0][8:]]


def test_point_to_point_inet6_address_needs_prefixlen_128_and_routes_its_peer(wan):
    """KAME in6_update_ifa: a destination on a point-to-point interface wants
    prefix length 128, and gets a host route through the interface."""
    a = wan.alice
    a.create("gif0")
    assert a.addr6("gif0", INNER6["alice"], 64, INNER6["bob"]) == E.EINVAL
    assert a.addr6("gif0", INNER6["alice"], 128, INNER6["bob"]) == 0
    from kernel.net.route import rtalloc1
    rt = rtalloc1(a.k, A6(INNER6["bob"]), 0)
    assert rt is not None and rt.rt_ifp is a.ifp("gif0") and rt.rt_prefixlen == 128
    ia = in6.in6ifa_ifwithaddr(a.k, A6(INNER6["alice"]), 0)
    in6.in6_purgeaddr(ia)
    rt = rtalloc1(a.k, A6(INNER6["bob"]), 0)
    assert rt is None or rt.rt_ifp is not a.ifp("gif0")


def test_bpf_sees_the_inner_packets_behind_a_dlt_null_header(wan):
    """gifattach0: bpfattach(ifp, DLT_NULL, sizeof(u_int)); gif_output and
    gif_input tap the inner packet behind its address family."""
    from kernel.net.bpf import bpf_attachd, bpf_d
    from kernel.wire.bpf import DLT_NULL
    wan.tunnel("inet6")
    a = wan.alice
    gif = a.ifp("gif0")
    (bp,) = [b for b in a.k.bpf.bpf_iflist if b.bif_ifp is gif]
    assert bp.bif_dlt == DLT_NULL
    d = bpf_d(a.k, 4096, 0, None)
    bpf_attachd(d, bp)
    a.echo6(INNER6["alice"], INNER6["bob"])
    wan.run()
    assert d.bd_rcount == 2                        # the request out, the reply in
    af6 = (28).to_bytes(4, "little")
    assert bytes(d.bd_sbuf).count(af6 + b"\x60") == 2
    assert a.replies6() == 1
    if_clone.if_clone_destroy(a.k, "gif0")
    assert not [b for b in a.k.bpf.bpf_iflist if b.bif_ifp is gif]
