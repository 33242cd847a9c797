"""A lab for ND tests: hosts with an em NIC on one segment, plus a tap.

``V6Lab`` builds :class:`tests.drivers.em_lab.EmHost` machines (device model,
em(4) driver, booted kernel), attaches IPv6 to them (``ip6_init`` when the
kernel config did not, then ``in6_if_up`` when the interface comes up) and
puts a :class:`Tap` on the segment: a passive port that records every frame
on the wire and injects hand-made ones — the "other node" of a test.

Frame helpers build and take apart Ethernet + IPv6 + ICMPv6 (checksums
right unless asked otherwise) so tests read like the RFC's message layouts.
"""
from __future__ import annotations

from typing import Optional

from emu.sched import MS, SEC  # noqa: F401 - re-exported for the tests
from kernel.kern.uipc_mbuf import mbuf
from kernel.netinet6 import in6, nd6
from kernel.wire.ethernet import ETHERTYPE, ether_map_ipv6_multicast
from kernel.wire.in6 import inet_pton6
from kernel.wire.in_cksum import in6_cksum_data
from kernel.wire.ip6 import IPPROTO_ICMPV6, ip6_hdr
from kernel.wire.nd6 import (ND_OPT_SOURCE_LINKADDR, ND_OPT_TARGET_LINKADDR, NeighborAdvert,
                             NeighborSolicit, nd_opt_lladdr)
from tests.drivers.em_lab import EmHost, EmLab

A_MAC = bytes.fromhex("020000000a01")
B_MAC = bytes.fromhex("020000000b01")
T_MAC = bytes.fromhex("02000000ee01")        # the tap's own address ("node T")
ALLNODES_MAC = bytes.fromhex("333300000001")


def ll_of(mac: bytes) -> bytes:
    """fe80::<modified EUI-64 of mac>."""
    return bytes.fromhex("fe80000000000000") + bytes((mac[0] ^ 2,)) + mac[1:3] + b"\xff\xfe" + mac[3:]


A_LL = ll_of(A_MAC)
B_LL = ll_of(B_MAC)
T_LL = ll_of(T_MAC)


class Tap:
    """A passive port on the segment: sees every frame, can send any."""

    def __init__(self, lab: "V6Lab") -> None:
        self.lab = lab
        self.frames: list[tuple[int, bytes]] = []
        self.port = lab.seg.attach(self, "tap")

    def receive_frame(self, frame: bytes) -> None:
        self.frames.append((self.lab.sched.now, bytes(frame)))

    def link_changed(self, up: bool) -> None:
        pass

    def send(self, frame: bytes) -> None:
        assert self.port.transmit(frame)

    def icmp6(self, itype: Optional[int] = None) -> list[tuple[int, "Pkt"]]:
        """(time, packet) of every ICMPv6 frame seen (of type ``itype``)."""
        out = []
        for t, f in self.frames:
            p = Pkt.parse(f)
            if p is not None and (itype is None or p.icmp[0] == itype):
                out.append((t, p))
        return out

    def clear(self) -> None:
        self.frames.clear()


class Pkt:
    """An Ethernet + IPv6 + ICMPv6 frame, taken apart."""

    def __init__(self, edst: bytes, esrc: bytes, hlim: int, src: bytes, dst: bytes, icmp: bytes) -> None:
        self.edst, self.esrc, self.hlim, self.src, self.dst, self.icmp = edst, esrc, hlim, src, dst, icmp

    @classmethod
    def parse(cls, f: bytes) -> Optional["Pkt"]:
        if len(f) < 54 or f[12:14] != b"\x86\xdd" or f[20] != IPPROTO_ICMPV6:
            return None
        plen = int.from_bytes(f[18:20], "big")
        return cls(f[0:6], f[6:12], f[21], f[22:38], f[38:54], f[54:54 + plen])

    def __repr__(self) -> str:
        from kernel.wire.in6 import inet_ntop6
        return f"<Pkt {self.icmp[0]} {inet_ntop6(self.src)} -> {inet_ntop6(self.dst)}>"


def ip6_packet(src: bytes, dst: bytes, icmp: bytes, hlim: int = 255, cksum: bool = True,
               nxt: int = IPPROTO_ICMPV6) -> bytes:
    body = bytearray(icmp)
    if cksum and nxt == IPPROTO_ICMPV6 and len(body) >= 4:
        body[2:4] = b"\0\0"
        c = in6_cksum_data(src, dst, IPPROTO_ICMPV6, bytes(body))
        body[2:4] = c.to_bytes(2, "big")
    return ip6_hdr.pack(6 << 28, len(body), nxt, hlim, src, dst) + bytes(body)


def frame(esrc: bytes, src: bytes, dst: bytes, icmp: bytes, hlim: int = 255, edst: Optional[bytes] = None,
          cksum: bool = True) -> bytes:
    """An Ethernet frame carrying ``icmp`` from ``src`` to ``dst``."""
    if edst is None:
        edst = ether_map_ipv6_multicast(dst) if dst[0] == 0xFF else A_MAC
    return edst + esrc + int(ETHERTYPE.IPV6).to_bytes(2, "big") + ip6_packet(src, dst, icmp, hlim, cksum)


def ns_body(target: bytes, sllao: Optional[bytes] = None, extra: bytes = b"", code: int = 0) -> bytes:
    b = NeighborSolicit(target, code=code).emit()
    if sllao is not None:
        b += nd_opt_lladdr(ND_OPT_SOURCE_LINKADDR, sllao)
    return b + extra


def na_body(target: bytes, flags: int, tllao: Optional[bytes] = None, extra: bytes = b"",
            code: int = 0) -> bytes:
    b = NeighborAdvert(target, flags, code=code).emit()
    if tllao is not None:
        b += nd_opt_lladdr(ND_OPT_TARGET_LINKADDR, tllao)
    return b + extra


class V6Lab(EmLab):
    """An EmLab whose hosts run IPv6, with a tap on the segment."""

    def __init__(self, seed: int = 1, **kw) -> None:
        super().__init__(seed, **kw)
        self.tap = Tap(self)

    def host6(self, name: str, mac: bytes, up: bool = True, **kw) -> EmHost:
        h = self.host(name, mac, **kw)
        k = h.kernel
        if getattr(k, "ip6", None) is None:
            from kernel.netinet6.ip6_input import ip6_init
            ip6_init(k)
        if up:
            self.up6(h)
        return h

    def up6(self, h: EmHost) -> None:
        h.up()
        in6.in6_if_up(h.ifp)

    def settle(self, seconds: float = 3.0) -> None:
        """Long enough for the default DAD (delay < 1 s, one NS, 1 s wait)."""
        self.run(int(seconds * SEC))


def send_ip6(h: EmHost, src: bytes, dst: bytes, icmp: bytes, zone: int = 0, hlim: int = 64) -> int:
    """ip6_output of an ICMPv6 message from host ``h``."""
    from kernel.netinet6.ip6_output import ip6_output
    return ip6_output(h.kernel, mbuf(ip6_packet(src, dst, icmp, hlim)), zone=zone)


def echo_request(ident: int = 1, seq: int = 1, data: bytes = b"kamebox") -> bytes:
    return bytes((128, 0, 0, 0)) + ident.to_bytes(2, "big") + seq.to_bytes(2, "big") + data


def addr(text: str) -> bytes:
    return inet_pton6(text)


def entry(h: EmHost, a: bytes):
    return nd6.nd6_lookup(h.ifp, a)


__all__ = ["V6Lab", "Tap", "Pkt", "frame", "ip6_packet", "ns_body", "na_body", "send_ip6",
           "echo_request", "addr", "entry", "A_MAC", "B_MAC", "T_MAC", "A_LL", "B_LL", "T_LL",
           "ll_of", "MS", "SEC", "ALLNODES_MAC"]
