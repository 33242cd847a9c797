"""IPv6 interface addresses and multicast memberships (sys/netinet6/in6_var.h).

``in6_ifaddr`` is one IPv6 address of an interface: the address (16 bytes,
its zone beside it, see scope6.py), prefix length and mask, the
``IN6_IFF_*`` flags and the lifetimes of RFC 4862 5.5.4.  The kernel keeps
them in ``k.in6_ifaddrhead`` (BSD's ``in6_ifaddrhead``), with a hash by
address for ``in6ifa_ifwithaddr`` on the input path.

``in6_multi`` is one network-layer group joined on an interface, reference
counted (``in6_addmulti``/``in6_delmulti`` in in6.py); joining reaches the
link layer through ``ifp.if_addmulti`` with the RFC 2464 7 mapping.

The structs userland sees (``in6_aliasreq``, ``in6_addrlifetime``,
``nd_ifinfo`` ...) and the flag values are in ``kernel/wire/in6_var.py`` and
re-exported here, as <netinet6/in6_var.h> has both.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from kernel.wire.in6 import (IPV6_ADDR_SCOPE, in6_addrscope, in6_prefix_mask, inet_ntop6,
                             sockaddr_in6)
from kernel.wire.in6_var import (IN6_IFF_ANYCAST, IN6_IFF_AUTOCONF, IN6_IFF_DEPRECATED,  # noqa: F401
                                 IN6_IFF_DETACHED, IN6_IFF_DUPLICATED, IN6_IFF_NODAD,
                                 IN6_IFF_NOTREADY, IN6_IFF_PREFER_SOURCE, IN6_IFF_TEMPORARY,
                                 IN6_IFF_TENTATIVE, ND6_INFINITE_LIFETIME, in6_addrlifetime)

if TYPE_CHECKING:  # pragma: no cover
    from kernel.kern.init_main import Kernel

SEC = 1_000_000_000

# ifa_flags
IFA_ROUTE = 0x01          # the interface (prefix) route is installed
IFA_RTSELF = 0x04         # the local host route is installed

# in6_update_ifa flags
IN6_IFAUPDATE_DADDELAY = 0x1   # first DAD NS after a random delay (RFC 4862 5.4.2)


def time_uptime(k: "Kernel") -> int:
    """Seconds since boot (BSD's ``time_uptime``), from the virtual clock."""
    return k.now() // SEC


class in6_ifaddr:
    """``struct in6_ifaddr``."""

    __slots__ = ("ia_addr", "ia_ifp", "ia_prefixlen", "ia_prefixmask", "ia_dstaddr",
                 "ia6_flags", "ia6_lifetime", "ia6_createtime", "ia6_updatetime",
                 "ia6_ndpr", "ia_zone", "ifa_flags", "ia_prefix_route")

    def __init__(self, addr: bytes, ifp: Any, prefixlen: int = 128, flags: int = 0,
                 zone: int = 0) -> None:
        self.ia_addr: bytes = bytes(addr)
        self.ia_ifp = ifp
        self.ia_prefixlen = prefixlen
        self.ia_prefixmask: bytes = in6_prefix_mask(prefixlen)
        self.ia_dstaddr: Optional[bytes] = None
        self.ia6_flags = flags
        self.ia6_lifetime = in6_addrlifetime()
        self.ia6_createtime = 0
        self.ia6_updatetime = 0
        self.ia6_ndpr: Any = None          # the nd_prefix an autoconf address came from
        self.ia_zone = zone                # the zone of the address (0 for global scope)
        self.ifa_flags = 0
        self.ia_prefix_route: Any = None   # (prefix, plen) of the interface route we added

    # -- views ---------------------------------------------------------------------------
    @property
    def ia_sockaddr(self) -> sockaddr_in6:
        return sockaddr_in6(self.ia_addr, 0, 0, self.ia_zone)

    @property
    def ia_scope(self) -> int:
        return in6_addrscope(self.ia_addr)

    @property
    def ia_islinklocal(self) -> bool:
        return self.ia_scope == IPV6_ADDR_SCOPE.LINKLOCAL

    def __repr__(self) -> str:
        z = f"%{self.ia_ifp.if_xname}" if self.ia_zone else ""
        return (f"<in6_ifaddr {inet_ntop6(self.ia_addr)}{z}/{self.ia_prefixlen}"
                f" on {self.ia_ifp.if_xname} flags={self.ia6_flags:#x}>")


def IFA6_IS_DEPRECATED(ia: in6_ifaddr, now: int) -> bool:
    """The preferred lifetime has run out (RFC 4862 5.5.4); ``now`` is time_uptime."""
    lt = ia.ia6_lifetime
    return lt.ia6t_pltime != ND6_INFINITE_LIFETIME and lt.ia6t_preferred < now


def IFA6_IS_INVALID(ia: in6_ifaddr, now: int) -> bool:
    """The valid lifetime has run out: the address must go (RFC 4862 5.5.4)."""
    lt = ia.ia6_lifetime
    return lt.ia6t_vltime != ND6_INFINITE_LIFETIME and lt.ia6t_expire < now


def in6_init_address_ltimes(lt: in6_addrlifetime, now: int) -> None:
    """Turn the relative lifetimes into absolute times (0 = infinite)."""
    lt.ia6t_expire = 0 if lt.ia6t_vltime == ND6_INFINITE_LIFETIME else now + lt.ia6t_vltime
    lt.ia6t_preferred = 0 if lt.ia6t_pltime == ND6_INFINITE_LIFETIME else now + lt.ia6t_pltime


def in6_lifetime_remaining(ia: in6_ifaddr, now: int) -> tuple[int, int]:
    """(valid, preferred) seconds left, ND6_INFINITE_LIFETIME for infinite."""
    lt = ia.ia6_lifetime
    inf = ND6_INFINITE_LIFETIME
    v = inf if lt.ia6t_vltime == inf else max(0, lt.ia6t_expire - now)
    p = inf if lt.ia6t_pltime == inf else max(0, lt.ia6t_preferred - now)
    return v, p


class in6_multi:
    """``struct in6_multi``: a group joined on an interface, reference counted.

    The records the kernel makes are in6_mcast.py's subclass, which adds the
    listeners' source filters and the MLD state (mld6.py, RFC 2710/3810).
    """

    __slots__ = ("in6m_addr", "in6m_ifp", "in6m_refcount", "in6m_lladdr", "in6m_state",
                 "in6m_timer")

    def __init__(self, addr: bytes, ifp: Any, lladdr: Optional[bytes]) -> None:
        self.in6m_addr = bytes(addr)
        self.in6m_ifp = ifp
        self.in6m_refcount = 1
        self.in6m_lladdr = lladdr
        self.in6m_state = 0
        self.in6m_timer = 0

    def __repr__(self) -> str:
        return (f"<in6_multi {inet_ntop6(self.in6m_addr)}%{self.in6m_ifp.if_xname}"
                f" refs={self.in6m_refcount}>")
