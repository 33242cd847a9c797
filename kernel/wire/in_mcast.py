"""<netinet/in.h> multicast source filter API (RFC 3678), shared by IPv4 and IPv6.

RFC 3678 5: the protocol-independent options ``MCAST_JOIN_GROUP``,
``MCAST_LEAVE_GROUP``, ``MCAST_JOIN_SOURCE_GROUP``,
``MCAST_LEAVE_SOURCE_GROUP``, ``MCAST_BLOCK_SOURCE``,
``MCAST_UNBLOCK_SOURCE`` with ``group_req`` / ``group_source_req`` (an
interface index and sockaddrs), at level IPPROTO_IP or IPPROTO_IPV6; RFC
3678 4.1: the IPv4 options ``IP_ADD_SOURCE_MEMBERSHIP`` ... with
``ip_mreq_source``; RFC 3678 5.2: ``setsourcefilter``/``getsourcefilter``,
which FreeBSD's libc builds on the ``IP_MSFILTER``/``IPV6_MSFILTER`` option
carrying a ``__msfilterreq``.  FreeBSD's values and limits
(``in_mcast.c``/``in6_mcast.c``: ``IP_MAX_SOCK_SRC_FILTER`` ...).

``ifmcaddr`` is one multicast membership of an interface as the kernel
exports it (``net.inet.ip.mcast.filters``, ``net.inet6.ip6.mcast.filters``,
``net.link.ifmalist``): what FreeBSD's getifmaddrs(3) returns, with the
filter mode and sources of the ``mcast.filters`` sysctls and the reference
count of the link-layer list.  Values cross the syscall boundary as these
Python values (docs/kernel.md, "Sockets and syscalls").
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MCAST_UNDEFINED = 0          # fmode: not yet defined
MCAST_INCLUDE = 1            # fmode: include these source(s)
MCAST_EXCLUDE = 2            # fmode: exclude these source(s)

IP_MSFILTER = 74             # __msfilterreq; set/get IP multicast source filter
IPV6_MSFILTER = 74           # the same at IPPROTO_IPV6
MCAST_JOIN_GROUP = 80        # group_req; join a group (ASM)
MCAST_LEAVE_GROUP = 81       # group_req; leave it
MCAST_JOIN_SOURCE_GROUP = 82   # group_source_req; join a source-specific group
MCAST_LEAVE_SOURCE_GROUP = 83  # group_source_req; leave a source
MCAST_BLOCK_SOURCE = 84      # group_source_req; block a source (ASM)
MCAST_UNBLOCK_SOURCE = 85    # group_source_req; unblock it

IP_MAX_MEMBERSHIPS = 4095    # per socket (in_mcast.c)
IP_MAX_GROUP_SRC_FILTER = 512  # sources per group per interface (net.inet.ip.mcast.maxgrpsrc)
IP_MAX_SOCK_SRC_FILTER = 128   # sources per group per socket (net.inet.ip.mcast.maxsocksrc)
IPV6_MAX_MEMBERSHIPS = 4095
IPV6_MAX_GROUP_SRC_FILTER = 512
IPV6_MAX_SOCK_SRC_FILTER = 128


def mc_fp_decode(code: int, bits: int) -> int:
    """The floating-point form of RFC 3376 4.1.1/4.1.7 (8-bit codes) and RFC 3810
    5.1.3/5.1.9 (16-bit Maximum Response Code, 8-bit QQIC): below 2**(bits-1)
    the value itself, else exp = the 3 bits after the top one, mant = the rest,
    value = (mant | 1 << mantbits) << (exp + 3)."""
    if code < 1 << (bits - 1):
        return code
    m = bits - 4
    return ((code & ((1 << m) - 1)) | 1 << m) << (((code >> m) & 0x7) + 3)


def mc_fp_encode(v: int, bits: int) -> int:
    """The code of ``v`` (the largest representable value that does not exceed it)."""
    if v < 1 << (bits - 1):
        return max(v, 0)
    m = bits - 4
    for exp in range(7, -1, -1):
        mant = (v >> (exp + 3)) - (1 << m)
        if 0 <= mant < 1 << m:
            return 1 << (bits - 1) | exp << m | mant
    return (1 << bits) - 1


@dataclass(frozen=True)
class group_req:
    """RFC 3678 5.1: ``gr_interface`` (index, 0: by route) and ``gr_group``
    (a ``sockaddr_in`` or ``sockaddr_in6``)."""

    gr_interface: int
    gr_group: Any


@dataclass(frozen=True)
class group_source_req:
    """RFC 3678 5.1: interface, group and source sockaddrs."""

    gsr_interface: int
    gsr_group: Any
    gsr_source: Any


@dataclass(frozen=True)
class ip_mreq_source:
    """RFC 3678 4.1.2: ``IP_ADD_SOURCE_MEMBERSHIP`` ... : group, source and the
    address of the interface (INADDR_ANY: by route)."""

    imr_multiaddr: bytes
    imr_sourceaddr: bytes
    imr_interface: bytes = bytes(4)


@dataclass(frozen=True)
class msfilterreq:
    """FreeBSD's ``struct __msfilterreq`` (IP_MSFILTER/IPV6_MSFILTER): the
    interface, the group sockaddr, the filter mode and the source sockaddrs.
    On a get, the caller's ``msfr_nsrcs`` bounds how many sources come back;
    the answer carries the mode, the sources and in ``msfr_nsrcs`` their total."""

    msfr_ifindex: int
    msfr_group: Any
    msfr_fmode: int = MCAST_UNDEFINED
    msfr_nsrcs: int = 0
    msfr_srcs: tuple[Any, ...] = ()


@dataclass(frozen=True)
class ifmcaddr:
    """One multicast membership of an interface (see the module docstring)."""

    ifma_index: int
    ifma_name: str
    ifma_family: int             # AF_INET, AF_INET6 or AF_LINK
    ifma_addr: bytes             # the group: 4, 16 or 6 octets
    ifma_lladdr: bytes = b""     # the link-layer group it maps to (network-layer entries)
    ifma_refcount: int = 0
    ifma_fmode: int = MCAST_UNDEFINED
    ifma_sources: tuple[bytes, ...] = ()


__all__ = ["mc_fp_decode", "mc_fp_encode", "MCAST_UNDEFINED", "MCAST_INCLUDE", "MCAST_EXCLUDE", "IP_MSFILTER", "IPV6_MSFILTER",
           "MCAST_JOIN_GROUP", "MCAST_LEAVE_GROUP", "MCAST_JOIN_SOURCE_GROUP",
           "MCAST_LEAVE_SOURCE_GROUP", "MCAST_BLOCK_SOURCE", "MCAST_UNBLOCK_SOURCE",
           "IP_MAX_MEMBERSHIPS", "IP_MAX_GROUP_SRC_FILTER", "IP_MAX_SOCK_SRC_FILTER",
           "IPV6_MAX_MEMBERSHIPS", "IPV6_MAX_GROUP_SRC_FILTER", "IPV6_MAX_SOCK_SRC_FILTER",
           "group_req", "group_source_req", "ip_mreq_source", "msfilterreq", "ifmcaddr"]
