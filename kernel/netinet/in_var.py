"""IPv4 interface addresses and multicast memberships (sys/netinet/in_var.h).

``in_ifaddr`` is one IPv4 address of an interface: the address (4 bytes),
its subnet mask and subnet (as ints, the way in_var.h keeps
``ia_subnetmask``/``ia_subnet``), the broadcast address of a broadcast
interface or the peer of a point-to-point one, and per-address counters.
The kernel keeps them in ``k.in_ifaddrhead`` with a hash by address
(``INADDR_HASH``) for the input path.

``in_multi`` is one group joined on an interface, reference counted
(``in_addmulti``/``in_delmulti`` in in.py); the first join reaches the link
layer through ``ifp.if_addmulti`` with the RFC 1112 6.4 mapping.  The
records the kernel makes are in_mcast.py's subclass, with the listeners'
source filters and the IGMPv3 state (igmp.py, RFC 3376).
"""
from __future__ import annotations

from typing import Any, Optional

from kernel.netinet6.in6_var import IFA_ROUTE, IFA_RTSELF  # noqa: F401 - <net/if_var.h> flags
from kernel.wire.in_ import INADDR_ANY, in_len2mask, inet_ntop4, sockaddr_in


class in_ifaddr:
    """``struct in_ifaddr``."""

    __slots__ = ("ia_addr", "ia_ifp", "ia_prefixlen", "ia_subnetmask", "ia_subnet",
                 "ia_broadaddr", "ia_dstaddr", "ifa_flags", "ifa_ipackets", "ifa_ibytes",
                 "ifa_opackets", "ifa_obytes")

    def __init__(self, addr: bytes, ifp: Any, prefixlen: int = 32) -> None:
        self.ia_addr: bytes = bytes(addr)
        self.ia_ifp = ifp
        self.ia_prefixlen = prefixlen
        self.ia_subnetmask = 0
        self.ia_subnet = 0
        self.ia_broadaddr: bytes = INADDR_ANY
        self.ia_dstaddr: Optional[bytes] = None     # the peer of a point-to-point link
        self.ifa_flags = 0
        self.ifa_ipackets = 0
        self.ifa_ibytes = 0
        self.ifa_opackets = 0
        self.ifa_obytes = 0
        self.in_setmask(prefixlen)

    def in_setmask(self, prefixlen: int) -> None:
        self.ia_prefixlen = prefixlen
        self.ia_subnetmask = int.from_bytes(in_len2mask(prefixlen), "big")
        self.ia_subnet = int.from_bytes(self.ia_addr, "big") & self.ia_subnetmask

    @property
    def ia_sockmask(self) -> bytes:
        return self.ia_subnetmask.to_bytes(4, "big")

    @property
    def ia_sockaddr(self) -> sockaddr_in:
        return sockaddr_in(self.ia_addr)

    def ia_contains(self, addr: bytes) -> bool:
        """Is ``addr`` on this address's subnet (``ia_subnet == addr & ia_subnetmask``)?"""
        return int.from_bytes(addr, "big") & self.ia_subnetmask == self.ia_subnet

    def __repr__(self) -> str:
        return (f"<in_ifaddr {inet_ntop4(self.ia_addr)}/{self.ia_prefixlen}"
                f" on {self.ia_ifp.if_xname}>")


class in_multi:
    """``struct in_multi``: a group joined on an interface, reference counted."""

    __slots__ = ("inm_addr", "inm_ifp", "inm_refcount", "inm_lladdr")

    def __init__(self, addr: bytes, ifp: Any, lladdr: Optional[bytes]) -> None:
        self.inm_addr = bytes(addr)
        self.inm_ifp = ifp
        self.inm_refcount = 1
        self.inm_lladdr = lladdr

    def __repr__(self) -> str:
        return (f"<in_multi {inet_ntop4(self.inm_addr)} on {self.inm_ifp.if_xname}"
                f" refs={self.inm_refcount}>")
