"""<net/if_arp.h> and <netinet/if_ether.h>: the ARP packet (RFC 826).

RFC 826 "Packet format": hardware type (ar$hrd), protocol type (ar$pro),
the byte lengths of each hardware and protocol address (ar$hln, ar$pln),
opcode (ar$op), then sender hardware and protocol address and target
hardware and protocol address.  For IPv4 over Ethernet (``struct
ether_arp``) the lengths are 6 and 4 and the packet is 28 bytes.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import IntEnum
from typing import Union

from kernel.wire.ip6 import Malformed, Truncated

Buffer = Union[bytes, bytearray, memoryview]


class ARPHRD(IntEnum):
    """ar$hrd: hardware address spaces (IANA "Hardware Types")."""

    ETHER = 1            # Ethernet (10Mb)
    IEEE802 = 6          # token-ring, and IEEE 802 networks
    ARCNET = 7
    FRELAY = 15
    IEEE1394 = 24
    INFINIBAND = 32


class ARPOP(IntEnum):
    """ar$op (RFC 826; RFC 903 RARP; RFC 2390 InARP)."""

    REQUEST = 1
    REPLY = 2
    REVREQUEST = 3
    REVREPLY = 4
    INVREQUEST = 8
    INVREPLY = 9


ARPHRD_ETHER = 1
ARPHRD_IEEE802 = 6
ARPOP_REQUEST = 1
ARPOP_REPLY = 2

# struct arphdr: ar_hrd, ar_pro, ar_hln, ar_pln, ar_op
arphdr = struct.Struct("!HHBBH")
ARPHDR_LEN = 8
# struct ether_arp: the header, then ar_sha, ar_spa, ar_tha, ar_tpa
ether_arp = struct.Struct("!HHBBH6s4s6s4s")
ETHER_ARP_LEN = 28


def arphdr_len(hln: int, pln: int) -> int:
    """The length of an ARP packet with these address lengths (``arphdr_len2``)."""
    return ARPHDR_LEN + 2 * hln + 2 * pln


@dataclass(frozen=True)
class arp_repr:
    """A checked ARP packet for IPv4 over Ethernet (RFC 826)."""

    op: int
    sha: bytes
    spa: bytes
    tha: bytes = bytes(6)
    tpa: bytes = bytes(4)
    hrd: int = ARPHRD_ETHER
    pro: int = 0x0800

    @classmethod
    def parse(cls, buf: Buffer) -> "arp_repr":
        if len(buf) < ARPHDR_LEN:
            raise Truncated(f"ARP header needs {ARPHDR_LEN} bytes, got {len(buf)}")
        hrd, pro, hln, pln, op = arphdr.unpack_from(buf, 0)
        if hln != 6 or pln != 4:
            raise Malformed(f"ARP address lengths {hln}/{pln}, expected 6/4 (Ethernet, IPv4)")
        if len(buf) < ETHER_ARP_LEN:
            raise Truncated(f"ARP packet needs {ETHER_ARP_LEN} bytes, got {len(buf)}")
        _h, _p, _hl, _pl, _op, sha, spa, tha, tpa = ether_arp.unpack_from(buf, 0)
        return cls(op, sha, spa, tha, tpa, hrd, pro)

    def buffer_len(self) -> int:
        return ETHER_ARP_LEN

    def emit(self, buf: bytearray | memoryview, off: int = 0) -> None:
        if len(self.sha) != 6 or len(self.tha) != 6 or len(self.spa) != 4 or len(self.tpa) != 4:
            raise Malformed("ARP for IPv4 over Ethernet has 6-byte and 4-byte addresses")
        ether_arp.pack_into(buf, off, self.hrd, self.pro, 6, 4, self.op, self.sha, self.spa,
                            self.tha, self.tpa)

    def to_bytes(self) -> bytes:
        b = bytearray(ETHER_ARP_LEN)
        self.emit(b, 0)
        return bytes(b)
