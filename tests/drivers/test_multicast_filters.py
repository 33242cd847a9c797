"""A join on a socket, end to end, on both NIC models: socket option -> in6_mcast/in_mcast ->
if_addmulti -> SIOCADDMULTI -> the driver's hardware filter (em: MTA bit, re: MAR bit) —
and the imprecision of that filter, which the kernel's software filter covers.

The hash positions come from the datasheets (the tests' own copies:
``mta_position`` of docs/hw/em.md §5.3, ``mar_bit`` of docs/hw/re.md §5.2),
not from the drivers.  Host b listens; host a puts hand-made UDP datagrams
on the wire (ETHERTYPE_IPV6 / ETHERTYPE_IP frames through ether_output).
"""
from __future__ import annotations

from typing import Any

import pytest

from kernel.kern.uipc_socket import (SOPT_SET, sobind, socreate, soreceive, sockopt, sosetopt)
from kernel.netinet6.in6 import in6_if_up
from kernel.wire.ethernet import ETHERTYPE, ether_map_ipv4_multicast, ether_map_ipv6_multicast
from kernel.wire.in6 import AF_INET6, inet_pton6, sockaddr_in6
from kernel.wire.in6_sockopt import IPPROTO_IPV6
from kernel.wire.in_ import AF_INET, IP_ADD_MEMBERSHIP, IPPROTO_IP, inet_pton4, ip_mreq, sockaddr_in
from kernel.wire.in_cksum import in_cksum
from kernel.wire.in_mcast import MCAST_JOIN_GROUP, MCAST_LEAVE_GROUP, group_req
from kernel.wire.ip import ip_hdr
from kernel.wire.ip6 import IPPROTO_UDP, ip6_hdr
from kernel.wire.socket import MSG_DONTWAIT, SOCK_DGRAM
from kernel.wire.sockio import SIOCADDMULTI, SIOCDELMULTI
from kernel.wire.udp import udp_repr
from tests.drivers.re_lab import MS, SEC, ReLab
from tests.drivers.test_if_em import MTA0, mta_position
from tests.drivers.test_if_re import mar, mar_bit

G = inet_pton6("ff15::1:2")
SRC6 = inet_pton6("fe80::a")
PORT = 5000


def hw_bit(h: Any, mac: bytes) -> bool:
    """Is the bit of ``mac`` set in the NIC's multicast hash filter (read from the device)?"""
    if h.model == "em":
        idx, bit = mta_position(mac)
        return bool(h.reg4(MTA0 + 4 * idx) >> bit & 1)
    return bool(mar(h) >> mar_bit(mac) & 1)


def same_bucket(h: Any, m1: bytes, m2: bytes) -> bool:
    if h.model == "em":
        return mta_position(m1) == mta_position(m2)
    return mar_bit(m1) == mar_bit(m2)


def colliding_group(h: Any, group: bytes) -> bytes:
    """Another IPv6 group whose link-layer address falls in the same hash bucket."""
    mac = ether_map_ipv6_multicast(group)
    for n in range(1, 1 << 16):
        other = group[:12] + bytes((0, 1, n >> 8, n & 0xFF))
        om = ether_map_ipv6_multicast(other)
        if om != mac and same_bucket(h, om, mac):
            return other
    raise AssertionError("no colliding group")


def other_bucket_group(h: Any, group: bytes) -> bytes:
    """An IPv6 group in a bucket no joined group has set."""
    for n in range(1, 1 << 16):
        other = group[:12] + bytes((0, 2, n >> 8, n & 0xFF))
        if not hw_bit(h, ether_map_ipv6_multicast(other)):
            return other
    raise AssertionError("no group in another bucket")


def udp6_frame(dst: bytes, data: bytes) -> bytes:
    u = udp_repr(40000, PORT, data).to_bytes(SRC6, dst)
    return ip6_hdr.pack(6 << 28, len(u), IPPROTO_UDP, 1, SRC6, dst) + u


def udp4_frame(dst: bytes, data: bytes) -> bytes:
    u = udp_repr(40000, PORT, data).to_bytes()
    hdr = bytearray(ip_hdr.pack(0x45, 0, 20 + len(u), 1, 0, 1, IPPROTO_UDP, 0,
                                inet_pton4("10.0.0.1"), dst))
    hdr[10:12] = in_cksum(bytes(hdr)).to_bytes(2, "big")
    return bytes(hdr) + u


def received(so: Any) -> list[bytes]:
    out = []
    while True:
        try:
            out.append(soreceive(so, 2048, MSG_DONTWAIT, None)[0])
        except OSError:
            return out


@pytest.fixture(params=["em", "re"])
def nics(request):
    lab = ReLab()
    a, b = lab.pair(request.param, request.param)
    in6_if_up(b.ifp)
    calls: list[tuple[int, Any]] = []
    ioctl = b.ifp.if_ioctl

    def spy(ifp: Any, cmd: int, data: Any) -> int:
        calls.append((cmd, data))
        return ioctl(ifp, cmd, data)
    b.ifp.if_ioctl = spy
    b.calls = calls
    yield lab, a, b
    assert lab.panics() == []


def test_ipv6_join_on_a_socket_reaches_the_driver_and_the_nic_hash_filter(nics):
    """RFC 3678 MCAST_JOIN_GROUP on a UDP socket: the driver gets SIOCADDMULTI
    for 33:33:00:01:00:02 (RFC 2464 7) and sets its hash bit; a datagram to
    the group passes the NIC and reaches the socket; the leave is SIOCDELMULTI
    and clears the bit."""
    lab, a, b = nics
    mac = ether_map_ipv6_multicast(G)
    assert not hw_bit(b, mac)
    so = socreate(b.kernel, AF_INET6, SOCK_DGRAM, 0, None)
    sobind(so, sockaddr_in6(bytes(16), PORT), None)
    sosetopt(so, sockopt(SOPT_SET, IPPROTO_IPV6, MCAST_JOIN_GROUP,
                         group_req(b.ifp.if_index, sockaddr_in6(G))))
    assert (SIOCADDMULTI, mac) in b.calls
    assert hw_bit(b, mac)
    a.send(mac, udp6_frame(G, b"to the group"), int(ETHERTYPE.IPV6))
    lab.run(2 * MS)
    assert received(so) == [b"to the group"]
    sosetopt(so, sockopt(SOPT_SET, IPPROTO_IPV6, MCAST_LEAVE_GROUP,
                         group_req(b.ifp.if_index, sockaddr_in6(G))))
    assert (SIOCDELMULTI, mac) in b.calls and not hw_bit(b, mac)


def test_a_group_the_hash_lets_through_is_dropped_by_ether_input_and_counted(nics):
    """The hash filter is imprecise (em §5.3, re §5.2): a group that was not
    joined but shares the joined group's bucket passes the NIC — and the
    kernel's software filter in ether_input drops it (``ether_mcast_filtered``);
    a group in another bucket is dropped by the NIC itself ("filter mismatch")."""
    lab, a, b = nics
    so = socreate(b.kernel, AF_INET6, SOCK_DGRAM, 0, None)
    sobind(so, sockaddr_in6(bytes(16), PORT), None)
    sosetopt(so, sockopt(SOPT_SET, IPPROTO_IPV6, MCAST_JOIN_GROUP,
                         group_req(b.ifp.if_index, sockaddr_in6(G))))
    lab.run(1 * MS)
    coll = colliding_group(b, G)
    cmac = ether_map_ipv6_multicast(coll)
    assert hw_bit(b, cmac) and b.ifp.if_findmulti(cmac) is None
    mismatch = b.dev.drops["filter mismatch"]
    filtered = b.kernel.stats.get("ether_mcast_filtered", 0)
    a.send(cmac, udp6_frame(coll, b"colliding"), int(ETHERTYPE.IPV6))
    lab.run(1.1 * SEC)
    assert b.dev.drops["filter mismatch"] == mismatch               # the NIC let it through
    assert b.kernel.stats["ether_mcast_filtered"] == filtered + 1   # the kernel did not
    far = other_bucket_group(b, G)
    a.send(ether_map_ipv6_multicast(far), udp6_frame(far, b"far"), int(ETHERTYPE.IPV6))
    lab.run(1.1 * SEC)
    assert b.dev.drops["filter mismatch"] == mismatch + 1
    assert b.kernel.stats["ether_mcast_filtered"] == filtered + 1
    assert received(so) == []


def test_ipv4_join_programs_the_rfc1112_mapping_into_the_nic(nics):
    """IP_ADD_MEMBERSHIP: 239.1.2.3 -> 01:00:5e:01:02:03 (RFC 1112 6.4) in the
    hash filter; the datagram to the group reaches the socket."""
    from kernel.netinet.in_ import in_aifaddr
    lab, a, b = nics
    assert in_aifaddr(b.ifp, inet_pton4("10.0.0.2"), 24) == 0
    grp = inet_pton4("239.1.2.3")
    mac = ether_map_ipv4_multicast(grp)
    so = socreate(b.kernel, AF_INET, SOCK_DGRAM, 0, None)
    sobind(so, sockaddr_in(bytes(4), PORT), None)
    sosetopt(so, sockopt(SOPT_SET, IPPROTO_IP, IP_ADD_MEMBERSHIP,
                         ip_mreq(grp, inet_pton4("10.0.0.2"))))
    assert mac == bytes.fromhex("01005e010203")
    assert (SIOCADDMULTI, mac) in b.calls and hw_bit(b, mac)
    a.send(mac, udp4_frame(grp, b"v4 group"), int(ETHERTYPE.IP))
    lab.run(2 * MS)
    assert received(so) == [b"v4 group"]
