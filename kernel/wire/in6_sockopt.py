"""<netinet6/in6.h> socket options: IPV6_* numbers and the structures they carry.

RFC 3493 5.2 (IPV6_UNICAST_HOPS, IPV6_MULTICAST_*, IPV6_JOIN_GROUP,
IPV6_V6ONLY), RFC 3542 (advanced API: IPV6_PKTINFO, IPV6_HOPLIMIT,
IPV6_RECV*, IPV6_CHECKSUM, IPV6_DONTFRAG, IPV6_USE_MIN_MTU, IPV6_PATHMTU;
ICMP6_FILTER is in icmp6.py), with FreeBSD's values.  Option values cross the
syscall boundary as Python values (ints, ``ipv6_mreq``, ``in6_pktinfo``);
ancillary data crosses as bytes in the host layout (little-endian, as a
FreeBSD/amd64), which ``pack``/``unpack`` give.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Union

from kernel.wire.in6 import IN6ADDR_ANY, sockaddr_in6

Buffer = Union[bytes, bytearray, memoryview]

IPPROTO_IPV6 = 41            # the option level
IPV6_UNICAST_HOPS = 4
IPV6_MULTICAST_IF = 9
IPV6_MULTICAST_HOPS = 10
IPV6_MULTICAST_LOOP = 11
IPV6_JOIN_GROUP = 12
IPV6_LEAVE_GROUP = 13
IPV6_PORTRANGE = 14
IPV6_CHECKSUM = 26
IPV6_V6ONLY = 27
IPV6_IPSEC_POLICY = 28
IPV6_RTHDRDSTOPTS = 35
IPV6_RECVPKTINFO = 36
IPV6_RECVHOPLIMIT = 37
IPV6_RECVRTHDR = 38
IPV6_RECVHOPOPTS = 39
IPV6_RECVDSTOPTS = 40
IPV6_USE_MIN_MTU = 42
IPV6_RECVPATHMTU = 43
IPV6_PATHMTU = 44
IPV6_PKTINFO = 46
IPV6_HOPLIMIT = 47
IPV6_NEXTHOP = 48
IPV6_HOPOPTS = 49
IPV6_DSTOPTS = 50
IPV6_RTHDR = 51
IPV6_RECVTCLASS = 57
IPV6_AUTOFLOWLABEL = 59
IPV6_TCLASS = 61
IPV6_DONTFRAG = 62
IPV6_PREFER_TEMPADDR = 63

IPV6_PORTRANGE_DEFAULT = 0
IPV6_PORTRANGE_HIGH = 1
IPV6_PORTRANGE_LOW = 2

_pktinfo = struct.Struct("<16sI")
_int = struct.Struct("<i")


@dataclass(frozen=True)
class in6_pktinfo:
    """RFC 3542 6.1: source/destination address and interface index."""

    ipi6_addr: bytes = IN6ADDR_ANY
    ipi6_ifindex: int = 0

    def pack(self) -> bytes:
        return _pktinfo.pack(self.ipi6_addr, self.ipi6_ifindex)

    @classmethod
    def unpack(cls, data: Buffer) -> "in6_pktinfo":
        if len(data) < _pktinfo.size:
            raise ValueError("in6_pktinfo: 20 bytes expected")
        a, i = _pktinfo.unpack_from(data, 0)
        return cls(a, i)


@dataclass(frozen=True)
class ipv6_mreq:
    """RFC 3493 5.2: IPV6_JOIN_GROUP / IPV6_LEAVE_GROUP."""

    ipv6mr_multiaddr: bytes
    ipv6mr_interface: int = 0


@dataclass(frozen=True)
class ip6_mtuinfo:
    """RFC 3542 11.3: IPV6_PATHMTU: the destination and its path MTU."""

    ip6m_addr: sockaddr_in6
    ip6m_mtu: int

    def pack(self) -> bytes:
        return self.ip6m_addr.pack() + struct.pack("<I", self.ip6m_mtu)

    @classmethod
    def unpack(cls, data: Buffer) -> "ip6_mtuinfo":
        if len(data) < 32:
            raise ValueError("ip6_mtuinfo: 32 bytes expected")
        return cls(sockaddr_in6.unpack(bytes(data[:28])), struct.unpack_from("<I", data, 28)[0])


def in6_pktinfo_pack(addr: bytes, ifindex: int) -> bytes:
    """The 20 bytes of an IPV6_PKTINFO control message (ip6_savecontrol's hot path)."""
    return _pktinfo.pack(addr, ifindex)


def cmsg_int(v: int) -> bytes:
    """An int in ancillary data (IPV6_HOPLIMIT, IPV6_TCLASS)."""
    return _int.pack(v)


def cmsg_int_value(data: Buffer) -> int:
    if len(data) < 4:
        raise ValueError("an int needs 4 bytes")
    return _int.unpack_from(data, 0)[0]
