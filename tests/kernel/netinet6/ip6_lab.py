"""Hosts for the IPv6 core tests: em NICs on segments, addresses configured by hand.

The IPv6 core finds ND's functions by name at call time (docs/kernel.md).
:class:`V6Fakes` puts a layer in front of them, for the test only:
addresses, groups and neighbors are kept in tables here and consulted first
(``in6ifa_ifwithaddr``, ``in6m_lookup``, ``in6_ifawithifp``,
``nd6_output_ifp``, source selection's ``in6_src_candidates``); anything not
in the tables goes to the real ND functions.  So these tests do not depend on DAD or address resolution.

:class:`Net6` builds the machines (each with its em NICs, the em driver and
a kernel booted with the real SYSINITS) on one scheduler, and
:class:`FrameLog` records every frame put on a segment.
"""
from __future__ import annotations

import importlib
import struct
import sys
import types
from typing import Any, Optional

from drivers.if_em import em_driver
from emu.devices.em import E1000
from emu.machine import Machine
from emu.sched import MS, SEC, Scheduler
from emu.wire.segment import Segment
from kernel.kern.init_main import Kernel, KernelConfig
from kernel.kern.uipc_mbuf import mbuf
from kernel.net.route import rtrequest
from kernel.netinet6.ip6_input import ip6_input
from kernel.netinet6.ip6_output import ip6_output
from kernel.wire.ethernet import ETHERTYPE, ether_map_ipv6_multicast
from kernel.wire.icmp6 import icmp6_echo_repr
from kernel.wire.in6 import in6_addrscope, in6_is_scoped, in6_mask, inet_pton6
from kernel.wire.in_cksum import in6_cksum_data
from kernel.wire.ip6 import IPPROTO_ICMPV6, ip6_hdr
from kernel.wire.net_if import IFF
from kernel.wire.route import RTF_HOST, RTF_LOCAL, RTF_STATIC, RTM_ADD, sockaddr_dl

A = inet_pton6
ETH_IPV6 = int(ETHERTYPE.IPV6)


class FakeIa:
    """What the IPv6 core reads of an ``in6_ifaddr``."""

    def __init__(self, addr: bytes, ifp: Any, plen: int, flags: int) -> None:
        self.ia_addr = addr
        self.ia_ifp = ifp
        self.ia_prefixlen = plen
        self.ia6_flags = flags


def _module(monkeypatch: Any, name: str) -> types.ModuleType:
    full = "kernel.netinet6." + name
    try:
        return importlib.import_module(full)
    except ModuleNotFoundError:
        mod = types.ModuleType(full)
        monkeypatch.setitem(sys.modules, full, mod)
        return mod


class V6Fakes:
    """Address, group and neighbor tables in front of in6.py and nd6.py."""

    def __init__(self, monkeypatch: Any) -> None:
        self.addrs: dict[int, list[FakeIa]] = {}         # id(kernel) -> addresses
        self.groups: set[tuple[int, int, bytes]] = set()  # (id(kernel), ifindex, group)
        self.neigh: dict[tuple[int, int, bytes], bytes] = {}
        self.resolved: list[tuple[str, bytes]] = []       # (ifname, next hop) handed to the link
        in6 = _module(monkeypatch, "in6")
        nd6 = _module(monkeypatch, "nd6")
        real_ifwithaddr = getattr(in6, "in6ifa_ifwithaddr", None)
        real_lookup = getattr(in6, "in6m_lookup", None)
        real_ifawithifp = getattr(in6, "in6_ifawithifp", None)
        real_output = getattr(nd6, "nd6_output_ifp", None)

        def in6ifa_ifwithaddr(k: Any, addr: bytes, zone: int) -> Any:
            for ia in self.addrs.get(id(k), ()):
                if ia.ia_addr == addr and (not zone or not in6_is_scoped(addr)
                                           or ia.ia_ifp.if_index == zone):
                    return ia
            return real_ifwithaddr(k, addr, zone) if real_ifwithaddr else None

        def in6m_lookup(ifp: Any, addr: bytes) -> Any:
            if (id(ifp.kernel), ifp.if_index, bytes(addr)) in self.groups:
                return True
            return real_lookup(ifp, addr) if real_lookup else None

        def in6_ifawithifp(ifp: Any, dst: bytes) -> Any:
            scope = in6_addrscope(dst)
            mine = [ia for ia in self.addrs.get(id(ifp.kernel), ())
                    if ia.ia_ifp is ifp and not ia.ia6_flags & 0x07]
            for ia in mine:
                if in6_addrscope(ia.ia_addr) == scope:
                    return ia
            if mine:
                return mine[0]
            return real_ifawithifp(ifp, dst) if real_ifawithifp else None

        def nd6_output_ifp(ifp: Any, origifp: Any, m: mbuf, dst: bytes) -> int:
            self.resolved.append((ifp.if_xname, bytes(dst)))
            if dst[0] == 0xFF:
                return ifp.if_output(ifp, m, ether_map_ipv6_multicast(dst), ETH_IPV6)
            mac = self.neigh.get((id(ifp.kernel), ifp.if_index, bytes(dst)))
            if mac is not None:
                return ifp.if_output(ifp, m, mac, ETH_IPV6)
            return real_output(ifp, origifp, m, dst) if real_output else 65  # EHOSTUNREACH

        src = _module(monkeypatch, "in6_src")
        real_candidates = getattr(src, "in6_src_candidates", None)

        def in6_src_candidates(k: Any) -> list:
            # source selection walks every address of the node: ours come first
            real = real_candidates(k) if real_candidates else []
            return self.addrs.get(id(k), []) + list(real)

        monkeypatch.setattr(src, "in6_src_candidates", in6_src_candidates, raising=False)
        monkeypatch.setattr(in6, "in6ifa_ifwithaddr", in6ifa_ifwithaddr, raising=False)
        monkeypatch.setattr(in6, "in6m_lookup", in6m_lookup, raising=False)
        monkeypatch.setattr(in6, "in6_ifawithifp", in6_ifawithifp, raising=False)
        monkeypatch.setattr(nd6, "nd6_output_ifp", nd6_output_ifp, raising=False)


class FrameLog:
    """A capture writer that keeps (time, frame) in memory."""

    closed = False

    def __init__(self) -> None:
        self.frames: list[tuple[int, bytes]] = []

    def write_frame(self, key: Any, ts_ns: int, frame: bytes) -> None:
        self.frames.append((ts_ns, bytes(frame)))

    def ip6(self) -> list[bytes]:
        """The IPv6 packets, without their Ethernet header."""
        return [f[14:] for _, f in self.frames if f[12:14] == b"\x86\xdd"]

    def icmp6(self, type: Optional[int] = None) -> list[bytes]:
        """IPv6 packets whose (first) next header is ICMPv6, optionally of one type."""
        return [p for p in self.ip6() if p[6] == IPPROTO_ICMPV6 and (type is None or p[40] == type)]


class Host:
    """One machine: em NICs (em0, em1 ...) on the given segments, a booted kernel."""

    def __init__(self, net: "Net6", name: str, segs: list[Segment]) -> None:
        self.net = net
        self.name = name
        self.machine = Machine(net.sched, name, 16 << 20)
        self.macs: list[bytes] = []
        for i, seg in enumerate(segs):
            net.mac_serial += 1
            mac = bytes((2, 0, 0, 0, net.mac_serial >> 8, net.mac_serial & 0xFF))
            dev = E1000(mac, name=f"{name}.em{i}")
            self.machine.plug(dev)
            dev.connect(seg.attach(dev, name=f"{name}.em{i}"))
            self.macs.append(mac)
        self.kernel = Kernel(self.machine.platform, KernelConfig(devices=[em_driver]))
        self.kernel.boot()
        for i in range(len(segs)):
            ifp = self.ifp(i)
            assert ifp.if_setflags(ifp.if_flags | IFF.UP) == 0

    @property
    def k(self) -> Kernel:
        return self.kernel

    def ifp(self, i: int = 0) -> Any:
        ifp = self.kernel.ifunit(f"em{i}")
        assert ifp is not None
        return ifp

    # -- configuration -------------------------------------------------------------------
    def addr(self, text: str, plen: int = 64, i: int = 0, flags: int = 0, route: bool = True) -> bytes:
        a = A(text)
        ifp = self.ifp(i)
        ia = FakeIa(a, ifp, plen, flags)
        self.net.fakes.addrs.setdefault(id(self.kernel), []).append(ia)
        # the local host route, as in6.py makes it (FreeBSD: "addr link#N UHS lo0")
        lo = getattr(self.kernel, "loif", None) or ifp
        err, _ = rtrequest(self.kernel, RTM_ADD, a, 128, sockaddr_dl(ifp.if_index, 6),
                           RTF_HOST | RTF_STATIC | RTF_LOCAL, lo,
                           ifp.if_index if in6_is_scoped(a) else 0, ia)
        assert err in (0, 17)
        if route and plen < 128:
            err, _ = rtrequest(self.kernel, RTM_ADD, in6_mask(a, plen), plen,
                               sockaddr_dl(ifp.if_index, 6), 0, ifp)
            assert err in (0, 17)
        return a

    def join(self, group: str, i: int = 0) -> None:
        ifp = self.ifp(i)
        g = A(group)
        self.net.fakes.groups.add((id(self.kernel), ifp.if_index, g))
        ifp.if_addmulti(ether_map_ipv6_multicast(g))

    def neighbor(self, text: str, other: "Host", j: int = 0, i: int = 0) -> None:
        self.net.fakes.neigh[(id(self.kernel), self.ifp(i).if_index, A(text))] = other.macs[j]

    def route(self, prefix: str, plen: int, gw: str, i: int = 0) -> None:
        ifp = self.ifp(i)
        err, _ = rtrequest(self.kernel, RTM_ADD, A(prefix), plen, A(gw), 0x2, ifp,
                           ifp.if_index if in6_is_scoped(A(gw)) else 0)
        assert err == 0

    # -- sending ---------------------------------------------------------------------------
    def echo(self, src: str, dst: str, size: int = 56, ident: int = 0x4242, seq: int = 1,
             zone: int = 0, hlim: int = 64, opt: Any = None) -> int:
        """ping6: an Echo Request with ``size`` bytes of data through ip6_output."""
        s, d = A(src), A(dst)
        data = bytes((i & 0xFF) for i in range(size))
        body = icmp6_echo_repr(128, ident, seq, data).to_bytes(s, d)
        return self.send(ip6_packet(s, d, IPPROTO_ICMPV6, body, hlim), zone, opt)

    def send(self, pkt: bytes, zone: int = 0, opt: Any = None, flags: int = 0, im6o: Any = None) -> int:
        return ip6_output(self.kernel, mbuf(pkt), opt, None, flags, im6o, None, zone)

    def inject(self, pkt: bytes, i: int = 0, mcast: bool = False) -> None:
        """Hand ``pkt`` to ip6_input as if em``i`` had received it."""
        m = mbuf(pkt)
        if mcast:
            m.m_flags |= 0x20
        ip6_input(self.ifp(i), m)

    @property
    def ip6stat(self) -> Any:
        return self.kernel.ip6stat

    @property
    def icmp6stat(self) -> Any:
        return self.kernel.icmp6stat


class Net6:
    """A scheduler, segments and hosts; ``assert_no_panic`` at the end."""

    def __init__(self, monkeypatch: Any, seed: int = 1) -> None:
        self.sched = Scheduler(seed)
        self.fakes = V6Fakes(monkeypatch)
        self.segs: dict[str, Segment] = {}
        self.logs: dict[str, FrameLog] = {}
        self.hosts: list[Host] = []
        self.mac_serial = 0

    def segment(self, name: str, mtu: int = 1500) -> Segment:
        seg = Segment(self.sched, name, latency_ns=1000, mtu=mtu)
        log = FrameLog()
        seg.add_capture(log)
        self.segs[name] = seg
        self.logs[name] = log
        return seg

    def host(self, name: str, *segs: str) -> Host:
        h = Host(self, name, [self.segs[s] for s in segs])
        self.hosts.append(h)
        return h

    def run(self, ns: int = 10 * MS) -> None:
        self.sched.run_for(ns)

    def run_s(self, s: float) -> None:
        self.sched.run_for(int(s * SEC))

    def panics(self) -> list[str]:
        return [f"{h.name}: {h.machine.panicked}\n{h.machine.console_text()}"
                for h in self.hosts if h.machine.panicked is not None]


def ip6_packet(src: bytes, dst: bytes, nxt: int, payload: bytes, hlim: int = 64,
               plen: Optional[int] = None) -> bytes:
    """An IPv6 header (payload length from ``payload`` unless given) and the payload."""
    return ip6_hdr.pack(0x60000000, len(payload) if plen is None else plen, nxt, hlim,
                        src, dst) + payload


def echo_body(src: bytes, dst: bytes, data: bytes = b"ping", ident: int = 1, seq: int = 1) -> bytes:
    return icmp6_echo_repr(128, ident, seq, data).to_bytes(src, dst)


def with_cksum(src: bytes, dst: bytes, nxt: int, body: bytes, at: int = 2) -> bytes:
    """``body`` with its checksum (at offset ``at``) over the pseudo-header filled in."""
    b = bytearray(body)
    b[at:at + 2] = b"\0\0"
    struct.pack_into("!H", b, at, in6_cksum_data(src, dst, nxt, bytes(b)))
    return bytes(b)
