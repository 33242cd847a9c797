"""Helpers for the MLD and IPv6 multicast tests: a V6Lab host, its sockets, and the tap's view of MLD.

The tap (nd6_harness.Tap) plays the querier and the other listeners: it
sends hand-made MLD messages (``mld_frame``: Hop-by-Hop header with Router
Alert, Hop Limit 1, link-local source unless told otherwise) and reads what
the host sends (``mld_seen``: every frame whose IPv6 packet carries MLD,
taken apart).
"""
from __future__ import annotations

from dataclasses import dataclass

import pytest
from typing import Any, Optional

from kernel.kern.uipc_socket import (SOPT_GET, SOPT_SET, socreate, sogetopt, sockopt, sosetopt)
from kernel.wire.ethernet import ETHERTYPE, ether_map_ipv6_multicast
from kernel.wire.icmp6 import MLD_LISTENER_QUERY, MLD_LISTENER_REPORT, MLDV2_LISTENER_REPORT
from kernel.wire.in6 import AF_INET6, IN6ADDR_LINKLOCAL_ALLNODES, inet_pton6, sockaddr_in6
from kernel.wire.in6_sockopt import IPPROTO_IPV6
from kernel.wire.in_cksum import in6_cksum_data
from kernel.wire.in_mcast import group_req, group_source_req
from kernel.wire.ip6 import IPPROTO_HOPOPTS, IPPROTO_ICMPV6, ip6_hdr
from kernel.wire.mld6 import MldV1Message, MldV2Query, MldV2Report, mld_hbh_router_alert
from kernel.wire.socket import SOCK_DGRAM
from tests.kernel.netinet6.nd6_harness import T_LL, T_MAC

A = inet_pton6
ALL_NODES = IN6ADDR_LINKLOCAL_ALLNODES
ALL_MLDV2_ROUTERS = A("ff02::16")


@dataclass
class Seen:
    """One MLD message the tap saw."""

    t: int
    edst: bytes
    src: bytes
    dst: bytes
    hlim: int
    ra: bool                       # a hop-by-hop header with Router Alert value 0 (MLD)
    type: int
    msg: Any                       # MldV2Report or MldV1Message

    def records(self) -> list[tuple[int, bytes, tuple[bytes, ...]]]:
        return [(r.type, r.addr, r.sources) for r in self.msg.records]


def mld_seen(tap: Any, since: int = 0) -> list[Seen]:
    out = []
    for t, f in tap.frames:
        if t < since or len(f) < 62 or f[12:14] != b"\x86\xdd":
            continue
        nxt, hlim = f[20], f[21]
        off = 54
        ra = False
        if nxt == IPPROTO_HOPOPTS:
            ra = f[56:60] == b"\x05\x02\x00\x00"
            nxt = f[54]
            off = 54 + (f[55] + 1) * 8
        if nxt != IPPROTO_ICMPV6 or f[off] not in (MLD_LISTENER_REPORT, 132, MLDV2_LISTENER_REPORT):
            continue
        body = f[off:]
        msg = MldV2Report.parse(body) if f[off] == MLDV2_LISTENER_REPORT else MldV1Message.parse(body)
        out.append(Seen(t, f[:6], f[22:38], f[38:54], hlim, ra, f[off], msg))
    return out


def mld_frame(body_of: Any, dst: bytes = ALL_NODES, src: bytes = T_LL, hlim: int = 1,
              ra: bool = True, esrc: bytes = T_MAC) -> bytes:
    """An Ethernet frame with an MLD message; ``body_of`` is a wire value (its
    ``emit(src, dst)`` gives the checksummed body) or raw bytes."""
    if hasattr(body_of, "emit"):
        body = body_of.emit(src, dst)
    else:                          # raw bytes (a malformed message): the checksum made right
        b = bytearray(body_of)
        b[2:4] = b"\0\0"
        b[2:4] = in6_cksum_data(src, dst, IPPROTO_ICMPV6, bytes(b)).to_bytes(2, "big")
        body = bytes(b)
    if ra:
        payload = mld_hbh_router_alert(IPPROTO_ICMPV6) + body
        nxt = IPPROTO_HOPOPTS
    else:
        payload, nxt = body, IPPROTO_ICMPV6
    ip = ip6_hdr.pack(6 << 28, len(payload), nxt, hlim, src, dst) + payload
    return ether_map_ipv6_multicast(dst) + esrc + int(ETHERTYPE.IPV6).to_bytes(2, "big") + ip


def v2_query(group: Optional[str] = None, sources: tuple[str, ...] = (), mrd_ms: int = 1000,
             qrv: int = 2, qqic: int = 125) -> MldV2Query:
    return MldV2Query(A(group) if group else bytes(16), mrd_ms, tuple(A(s) for s in sources),
                      False, qrv, qqic)


def v1_query(group: Optional[str] = None, mrd_ms: int = 1000) -> MldV1Message:
    return MldV1Message(MLD_LISTENER_QUERY, A(group) if group else bytes(16), mrd_ms)


# -- the host of the tests -------------------------------------------------------------------
@pytest.fixture
def a(lab: Any) -> Any:
    """Host a of a V6Lab, up, its link-local address through DAD; the tap's view cleared."""
    from tests.kernel.netinet6.nd6_harness import A_MAC
    h = lab.host6("a", A_MAC)
    lab.settle()
    lab.tap.clear()
    return h


# -- sockets ----------------------------------------------------------------------------------
def udp6(h: Any) -> Any:
    return socreate(h.kernel, AF_INET6, SOCK_DGRAM, 0, None)


def setopt(so: Any, name: int, val: Any, level: int = IPPROTO_IPV6) -> None:
    sosetopt(so, sockopt(SOPT_SET, level, name, val))


def getopt(so: Any, name: int, val: Any = None, level: int = IPPROTO_IPV6) -> Any:
    return sogetopt(so, sockopt(SOPT_GET, level, name, val))


def greq(h: Any, group: str) -> group_req:
    return group_req(h.ifp.if_index, sockaddr_in6(A(group)))


def gsreq(h: Any, group: str, source: str) -> group_source_req:
    return group_source_req(h.ifp.if_index, sockaddr_in6(A(group)), sockaddr_in6(A(source)))


__all__ = ["a", "A", "Seen", "mld_seen", "mld_frame", "v2_query", "v1_query", "udp6", "setopt",
           "getopt", "greq", "gsreq", "ALL_NODES", "ALL_MLDV2_ROUTERS"]
