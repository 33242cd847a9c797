"""<net/ethernet.h>: the Ethernet header, ethertypes and address helpers.

IEEE 802.3 / RFC 894 framing; RFC 2464 section 7 maps IPv6 multicast to
33:33:xx:xx:xx:xx; RFC 1112 section 6.4 maps IPv4 multicast to 01:00:5e.
"""
from __future__ import annotations

import struct
from enum import IntEnum

ETHER_ADDR_LEN = 6
ETHER_TYPE_LEN = 2
ETHER_HDR_LEN = 14
ETHER_CRC_LEN = 4
ETHER_MIN_LEN = 64          # with CRC
ETHER_MAX_LEN = 1518        # with CRC
ETHERMTU = ETHER_MAX_LEN - ETHER_HDR_LEN - ETHER_CRC_LEN  # 1500
ETHERMIN = ETHER_MIN_LEN - ETHER_HDR_LEN - ETHER_CRC_LEN  # 46

ETHER_BROADCAST = b"\xff" * 6

ether_header = struct.Struct("!6s6sH")


class ETHERTYPE(IntEnum):
    IP = 0x0800
    ARP = 0x0806
    VLAN = 0x8100
    IPV6 = 0x86DD
    LOOPBACK = 0x9000
    LOCAL_EXP1 = 0x88B5   # IEEE 802 local experimental ethertype 1 (tests, examples)
    LOCAL_EXP2 = 0x88B6


def ETHER_IS_MULTICAST(addr: bytes) -> bool:
    """The group bit: least significant bit of the first octet."""
    return bool(addr[0] & 0x01)


def ether_sprintf(addr: bytes) -> str:
    return ":".join(f"{b:02x}" for b in addr)


def ether_aton(text: str) -> bytes:
    """Parse ``xx:xx:xx:xx:xx:xx``; raise ValueError naming what was expected."""
    parts = text.split(":")
    if len(parts) != 6:
        raise ValueError(f"{text!r}: expected an Ethernet address xx:xx:xx:xx:xx:xx")
    try:
        out = bytes(int(p, 16) for p in parts)
    except ValueError:
        raise ValueError(f"{text!r}: expected an Ethernet address xx:xx:xx:xx:xx:xx") from None
    return out


def ether_map_ipv6_multicast(addr16: bytes) -> bytes:
    """RFC 2464 section 7: 33:33 followed by the last 32 bits of the IPv6 group."""
    return b"\x33\x33" + bytes(addr16[12:16])


def ether_map_ipv4_multicast(addr4: bytes) -> bytes:
    """RFC 1112 section 6.4: 01:00:5e followed by the low 23 bits of the group."""
    return bytes((0x01, 0x00, 0x5E, addr4[1] & 0x7F, addr4[2], addr4[3]))
