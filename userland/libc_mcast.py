"""libc: multicast source filters and interface memberships (lib/libc/net/sourcefilter.c, getifmaddrs.c).

RFC 3678 5.2: ``setsourcefilter``/``getsourcefilter`` (any family) and 4.2
``setipv4sourcefilter``/``getipv4sourcefilter``, built as FreeBSD's libc
builds them on the ``IP_MSFILTER``/``IPV6_MSFILTER`` socket options with a
``__msfilterreq`` (kernel/wire/in_mcast.py): the get passes the request in
and reads the answer back.  Errors are OSError with the kernel's errno.

``getifmaddrs()`` returns the multicast memberships of every interface, as
FreeBSD's getifmaddrs(3) does — per interface its IPv4 groups, its IPv6
groups, then its link-layer groups — read from ``net.inet.ip.mcast.filters``,
``net.inet6.ip6.mcast.filters`` and ``net.link.ifmalist``; each entry also
carries the group's filter mode and sources and the reference count.
"""
from __future__ import annotations

from typing import Any, Optional

from kernel.wire.in6 import AF_INET6, sockaddr_in6
from kernel.wire.in6_sockopt import IPPROTO_IPV6
from kernel.wire.in_ import AF_INET, IPPROTO_IP, sockaddr_in
from kernel.wire.in_mcast import IP_MSFILTER, IPV6_MSFILTER, IP_MAX_SOCK_SRC_FILTER, ifmcaddr, msfilterreq
from userland.libc_sys import getsockopt, setsockopt, sysctlbyname

ifmaddrs = ifmcaddr             # <ifaddrs.h>'s struct ifmaddrs, with kamebox's extra fields


def _level(group: Any) -> tuple[int, int]:
    if isinstance(group, sockaddr_in6):
        return IPPROTO_IPV6, IPV6_MSFILTER
    if isinstance(group, sockaddr_in):
        return IPPROTO_IP, IP_MSFILTER
    from kernel.wire.errno import EAFNOSUPPORT
    raise OSError(EAFNOSUPPORT, "setsourcefilter: group is not an Internet sockaddr")


def setsourcefilter(s: int, interface: int, group: Any, fmode: int, slist: list[Any]) -> None:
    """RFC 3678 5.2.1: set the filter mode and source list of a joined group."""
    level, name = _level(group)
    setsockopt(s, level, name, msfilterreq(interface, group, fmode, len(slist), tuple(slist)))


def getsourcefilter(s: int, interface: int, group: Any,
                    numsrc: int = IP_MAX_SOCK_SRC_FILTER) -> tuple[int, int, list[Any]]:
    """RFC 3678 5.2.2: (filter mode, number of sources, the first ``numsrc`` sources)."""
    level, name = _level(group)
    r = getsockopt(s, level, name, msfilterreq(interface, group, 0, numsrc))
    return r.msfr_fmode, r.msfr_nsrcs, list(r.msfr_srcs)


def setipv4sourcefilter(s: int, interface: bytes, group: bytes, fmode: int,
                        slist: list[bytes]) -> None:
    """RFC 3678 4.2.1: the IPv4 form; the interface is named by its address."""
    setsourcefilter(s, _v4index(interface), sockaddr_in(group), fmode,
                    [sockaddr_in(a) for a in slist])


def getipv4sourcefilter(s: int, interface: bytes, group: bytes,
                        numsrc: int = IP_MAX_SOCK_SRC_FILTER) -> tuple[int, int, list[bytes]]:
    mode, n, srcs = getsourcefilter(s, _v4index(interface), sockaddr_in(group), numsrc)
    return mode, n, [a.sin_addr for a in srcs]


def _v4index(addr: bytes) -> int:
    """The index of the interface with IPv4 address ``addr`` (0 for INADDR_ANY: by route)."""
    if addr == bytes(4):
        return 0
    from userland.libc_net import getifaddrs, if_nametoindex
    for ifa in getifaddrs():
        if isinstance(ifa.ifa_addr, sockaddr_in) and ifa.ifa_addr.sin_addr == addr:
            return if_nametoindex(ifa.ifa_name)
    from kernel.wire.errno import EADDRNOTAVAIL
    raise OSError(EADDRNOTAVAIL, "no interface with that address")


def getifmaddrs() -> list[ifmaddrs]:
    """getifmaddrs(3) (see the module docstring)."""
    entries: list[ifmaddrs] = []
    for node in ("net.inet.ip.mcast.filters", "net.inet6.ip6.mcast.filters", "net.link.ifmalist"):
        try:
            entries += list(sysctlbyname(node))
        except OSError:
            continue                    # a kernel without that family
    fam_order = {AF_INET: 0, AF_INET6: 1}
    return sorted(entries, key=lambda e: (e.ifma_index, fam_order.get(e.ifma_family, 2)))


def freeifmaddrs(ifmap: Optional[list[ifmaddrs]]) -> None:
    """Nothing to free in Python; here for programs written as their C originals."""


__all__ = ["setsourcefilter", "getsourcefilter", "setipv4sourcefilter", "getipv4sourcefilter",
           "getifmaddrs", "freeifmaddrs", "ifmaddrs"]
