"""Hosts for the IPv4 tests: em NICs on segments, addresses configured through
the SIOCAIFADDR ioctl (``in_control``), routes through ``in_rtrequest``.

Kernels boot with init_main's SYSINITS; the IPv4 SYSINITs (``ip_init``,
``arp_init``, ``in_loattach``) are called here when the list does not have
them yet.  :class:`FrameLog` records every frame put on a segment.
"""
from __future__ import annotations

import struct
from typing import Any, Optional

from emu.sched import MS, SEC, Scheduler
from emu.wire.segment import Segment
from kernel.kern.init_main import Kernel
from kernel.kern.uipc_mbuf import M_BCAST, M_MCAST, mbuf
from kernel.netinet import if_ether, in_ as _in, in_rmx, ip_input as _ip_input
from kernel.netinet.ip_output import ip_output
from kernel.wire.icmp import ICMP_ECHO, icmp_repr
from kernel.wire.in_ import in_len2mask, inet_pton4, sockaddr_in
from kernel.wire.in_var import SIOCAIFADDR, in_aliasreq
from kernel.wire.ip import ip_repr
from kernel.wire.ip6 import IPPROTO_ICMP
from kernel.wire.route import RTF_GATEWAY, RTM_ADD
from kernel.wire.socket import AF_INET
from tests.kernel.netinet6.ip6_lab import FrameLog as _FrameLog6, Host as _Host6, Net6

A = inet_pton4
ETH_IP = 0x0800
ETH_ARP = 0x0806


def inet_up(k: Kernel) -> None:
    """The IPv4 SYSINITs, unless the kernel already ran them."""
    if getattr(k, "ip", None) is None:
        _ip_input.ip_init(k)
    if getattr(k, "arp", None) is None:
        if_ether.arp_init(k)
    _in.in_loattach(k)


class FrameLog(_FrameLog6):
    """ip6_lab's capture writer (every (time, frame) in memory), read as IPv4 and ARP."""

    def of_type(self, ethertype: int) -> list[bytes]:
        return [f for _, f in self.frames if struct.unpack_from("!H", f, 12)[0] == ethertype]

    def ip(self, proto: Optional[int] = None) -> list[bytes]:
        """The IPv4 packets without their Ethernet header and padding (of one protocol)."""
        return [f[14:14 + struct.unpack_from("!H", f, 16)[0]] for f in self.of_type(ETH_IP)
                if proto is None or f[14 + 9] == proto]

    def arp(self, op: Optional[int] = None) -> list[bytes]:
        return [f for f in self.of_type(ETH_ARP) if op is None or struct.unpack_from("!H", f, 20)[0] == op]

    def icmp(self, type: Optional[int] = None) -> list[bytes]:
        """ICMP messages (from the ICMP header on) of one type."""
        out = []
        for p in self.ip(IPPROTO_ICMP):
            hl = (p[0] & 0x0F) << 2
            if type is None or p[hl] == type:
                out.append(p[hl:])
        return out


class Host(_Host6):
    """One machine: em NICs (em0, em1 ...) on the given segments, up, a booted
    kernel with IPv4 (ip6_lab's Host, configured for IPv4)."""

    def __init__(self, net: "Net4", name: str, segs: list[Segment]) -> None:
        super().__init__(net, name, segs)     # type: ignore[arg-type]
        inet_up(self.k)

    # -- configuration -------------------------------------------------------------------
    def addr(self, text: str, plen: int = 24, i: int = 0) -> bytes:
        """``ifconfig em<i> inet text/plen`` through the ioctl."""
        req = in_aliasreq(f"em{i}", sockaddr_in(A(text)), None, sockaddr_in(in_len2mask(plen)))
        err = _in.in_control(self.k, SIOCAIFADDR, req, None, None)
        assert err == 0, err
        return A(text)

    def route(self, prefix: str, plen: int, gw: str) -> None:
        err, _ = in_rmx.in_rtrequest(self.k, RTM_ADD, A(prefix), plen, A(gw), RTF_GATEWAY)
        assert err == 0, err

    # -- sending --------------------------------------------------------------------------------
    def send(self, pkt: bytes, flags: int = 0) -> int:
        """Hand a whole IPv4 packet (header filled in) to ip_output as raw output."""
        from kernel.netinet.ip_var import IP_RAWOUTPUT
        return ip_output(self.k, mbuf(pkt), None, None, IP_RAWOUTPUT | flags)

    def ping(self, dst: str, size: int = 56, ident: int = 0x4242, seq: int = 0, ttl: int = 64,
             src: str = "0.0.0.0", df: bool = False) -> int:
        """An ICMP Echo through ip_output, as a raw socket would send it."""
        data = bytes(i & 0xFF for i in range(size))
        body = icmp_repr.echo(ICMP_ECHO, ident, seq, data).to_bytes()
        pkt = ip_repr(A(src), A(dst), IPPROTO_ICMP, body, ttl, 0, 0, 0x4000 if df else 0).to_bytes()
        m = mbuf(pkt[20:])
        off = m.m_prepend(20)
        m.buf[off:off + 20] = pkt[:20]
        return ip_output(self.k, m)

    def inject(self, pkt: bytes, i: int = 0, bcast: bool = False, mcast: bool = False) -> None:
        """Hand ``pkt`` to ip_input as if em``i`` had received it."""
        m = mbuf(pkt)
        if bcast:
            m.m_flags |= M_BCAST
        if mcast:
            m.m_flags |= M_MCAST
        _ip_input.ip_input(self.ifp(i), m)

    def inject_arp(self, pkt: bytes, i: int = 0) -> None:
        m = mbuf(pkt)
        m.m_flags |= M_BCAST
        if_ether.arpintr(self.ifp(i), m)

    # -- sockets (the kernel's socket layer, as a process would use it) ---------------------
    def socket(self, type: int = 2, proto: int = 0) -> Any:
        from kernel.kern.uipc_socket import socreate
        return socreate(self.k, AF_INET, type, proto, None)

    @staticmethod
    def setopt(so: Any, level: int, name: int, val: Any) -> None:
        from kernel.kern.uipc_socket import SOPT_SET, sockopt, sosetopt
        sosetopt(so, sockopt(SOPT_SET, level, name, val))

    @staticmethod
    def sendto(so: Any, data: bytes, addr: Optional[str] = None, port: int = 0) -> int:
        """sosend; returns the bytes sent or the errno (negative)."""
        from kernel.kern.uipc_socket import sosend
        try:
            return sosend(so, sockaddr_in(A(addr), port) if addr else None, data, None, 0, None)
        except OSError as e:
            return -e.errno

    @staticmethod
    def recv(so: Any) -> Optional[tuple[bytes, Any, list]]:
        """One datagram without waiting: (data, from, control), or None."""
        from kernel.kern.uipc_socket import soreceive
        from kernel.wire.socket import MSG_DONTWAIT
        try:
            data, frm, control, _f = soreceive(so, 65536, MSG_DONTWAIT, None)
        except OSError:
            return None
        return data, frm, control

    @property
    def ipstat(self) -> Any:
        return self.k.ipstat

    @property
    def icmpstat(self) -> Any:
        return self.k.icmpstat

    @property
    def arpstat(self) -> Any:
        return self.k.arpstat


class Net4(Net6):
    """A scheduler, segments and hosts (ip6_lab's Net6 without its ND fakes)."""

    def __init__(self, seed: int = 1) -> None:
        self.sched = Scheduler(seed)
        self.segs: dict[str, Segment] = {}
        self.logs: dict[str, FrameLog] = {}
        self.hosts: list[Host] = []
        self.mac_serial = 0

    def segment(self, name: str, mtu: int = 1500) -> Segment:
        seg = super().segment(name, mtu)
        seg.remove_capture(self.logs[name])      # Net6's log, for IPv6: ours reads IPv4
        log = self.logs[name] = FrameLog()
        seg.add_capture(log)
        return seg

    def host(self, name: str, *segs: str) -> Host:
        h = Host(self, name, [self.segs[s] for s in segs])
        self.hosts.append(h)
        return h


def mac_of(h: Host, i: int = 0) -> bytes:
    return h.macs[i]


__all__ = ["A", "Net4", "Host", "FrameLog", "inet_up", "MS", "SEC", "ETH_IP", "ETH_ARP"]
