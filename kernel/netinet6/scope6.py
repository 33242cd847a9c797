"""Scoped addresses: zone ids per interface (sys/netinet6/scope6.c, RFC 4007).

KAME embedded the zone id of a link-local address in its second 16-bit word
inside the kernel.  kamebox does not (docs/kernel.md, "Addresses and zones"):
an address is 16 bytes and its zone travels beside it.  So ``in6_setscope``
*returns* the zone of an address on an interface instead of writing it into
the address, and ``in6_clearscope`` has nothing to clear.

RFC 4007 6: the zone of an interface-local or link-local address is the index
of the interface; the zone of global scope is 0.  Each interface gets a
``scope6_id`` (its zone per scope) when IPv6 attaches to it; ``sid_default``
is the default zone per scope (``ndp -I``), used when
``net.inet6.ip6.use_defzone`` is set.
"""
from __future__ import annotations

from kernel.wire import errno
from typing import TYPE_CHECKING, Any, Optional

from kernel.kern.kern_sysctl import SYSCTL_INT
from kernel.wire.in6 import (IN6_IS_ADDR_LOOPBACK, IN6_IS_ADDR_MULTICAST, IPV6_ADDR_SCOPE,
                             in6_addrscope, sockaddr_in6)

if TYPE_CHECKING:  # pragma: no cover
    from kernel.kern.init_main import Kernel

IPV6_ADDR_SCOPE_INTFACELOCAL = IPV6_ADDR_SCOPE.INTFACELOCAL
IPV6_ADDR_SCOPE_LINKLOCAL = IPV6_ADDR_SCOPE.LINKLOCAL
IPV6_ADDR_SCOPE_SITELOCAL = IPV6_ADDR_SCOPE.SITELOCAL
IPV6_ADDR_SCOPE_GLOBAL = IPV6_ADDR_SCOPE.GLOBAL


class scope6_id:
    """Zone ids of one interface, indexed by scope value (``struct scope6_id``)."""

    __slots__ = ("s6id_list",)

    def __init__(self) -> None:
        self.s6id_list = [0] * 16


class scope6_state:
    """The per-kernel part: default zones and ``ip6_use_defzone``."""

    __slots__ = ("sid_default", "ip6_use_defzone", "ifsid")

    def __init__(self) -> None:
        self.sid_default = scope6_id()
        self.ip6_use_defzone = 0
        self.ifsid: dict[int, scope6_id] = {}     # if_index -> zones


def scope6_init(k: "Kernel") -> None:
    """SYSINIT: default zones, the use_defzone knob."""
    k.scope6 = scope6_state()
    SYSCTL_INT(k, "net.inet6.ip6.use_defzone", k.scope6, "ip6_use_defzone",
               "Use the default scope zone when none is specified")


def _state(k: "Kernel") -> scope6_state:
    st = getattr(k, "scope6", None)
    if st is None:
        st = scope6_state()
        k.scope6 = st
    return st


def scope6_ifattach(ifp: Any) -> scope6_id:
    """RFC 4007 6: interface-local and link-local zones are the interface index.
    Sites are not configured (one site, zone 1, as FreeBSD without MULTI_SCOPE)."""
    sid = scope6_id()
    sid.s6id_list[IPV6_ADDR_SCOPE_INTFACELOCAL] = ifp.if_index
    sid.s6id_list[IPV6_ADDR_SCOPE_LINKLOCAL] = ifp.if_index
    sid.s6id_list[IPV6_ADDR_SCOPE_SITELOCAL] = 1
    _state(ifp.kernel).ifsid[ifp.if_index] = sid
    return sid


def scope6_ifdetach(ifp: Any) -> None:
    _state(ifp.kernel).ifsid.pop(ifp.if_index, None)


def in6_getscopezone(ifp: Any, scope: int) -> int:
    """The zone of ``scope`` on ``ifp`` (0 for global scope)."""
    if scope in (IPV6_ADDR_SCOPE_INTFACELOCAL, IPV6_ADDR_SCOPE_LINKLOCAL):
        return ifp.if_index
    sid = _state(ifp.kernel).ifsid.get(ifp.if_index)
    if sid is None or not 0 <= scope < 16:
        return 0
    return sid.s6id_list[scope]


def in6_setscope(addr: bytes, ifp: Any) -> int:
    """The zone id ``addr`` has on ``ifp`` (KAME ``in6_setscope`` returned it in
    ``*ret_id`` and embedded it; here it is only returned).  Loopback ``::1``
    is link-local scope (RFC 4007 4) and lives on the loopback interface."""
    scope = in6_addrscope(addr)
    if IN6_IS_ADDR_LOOPBACK(addr):
        return ifp.if_index
    return in6_getscopezone(ifp, scope)


def in6_clearscope(addr: bytes) -> bool:
    """Nothing is embedded, so nothing is cleared (False, as KAME when the
    address carried no zone)."""
    return False


def scope6_addr2default(k: "Kernel", addr: bytes) -> int:
    """The default zone for ``addr``'s scope (0 if none configured)."""
    if IN6_IS_ADDR_LOOPBACK(addr):
        lo = getattr(k, "loif", None)
        return lo.if_index if lo is not None else 0
    scope = in6_addrscope(addr)
    return _state(k).sid_default.s6id_list[scope]


def scope6_setdefault(k: "Kernel", ifp: Optional[Any]) -> None:
    """``ndp -I em0``: make ``ifp``'s zones the defaults (None clears them)."""
    d = _state(k).sid_default
    if ifp is None:
        d.s6id_list[IPV6_ADDR_SCOPE_LINKLOCAL] = 0
        d.s6id_list[IPV6_ADDR_SCOPE_INTFACELOCAL] = 0
    else:
        d.s6id_list[IPV6_ADDR_SCOPE_LINKLOCAL] = ifp.if_index
        d.s6id_list[IPV6_ADDR_SCOPE_INTFACELOCAL] = ifp.if_index


def in6_addr2zoneid(ifp: Any, addr: bytes) -> int:
    return in6_setscope(addr, ifp)


def sa6_checkzone(k: "Kernel", sa6: sockaddr_in6) -> tuple[int, sockaddr_in6]:
    """Validate (and complete) the zone of a socket address (scope6.c).

    Returns ``(0, sa6)`` with ``sin6_scope_id`` filled in where it can be
    determined, or ``(EINVAL/EADDRNOTAVAIL, sa6)``: a global address must not
    carry a zone (EINVAL); a scoped one needs one, from the caller, from lo0
    for ``::1``, or from the defaults with ``use_defzone`` (else EADDRNOTAVAIL).
    """
    addr = sa6.sin6_addr
    scope = in6_addrscope(addr)
    st = _state(k)
    if scope == IPV6_ADDR_SCOPE_GLOBAL:
        return (errno.EINVAL if sa6.sin6_scope_id else 0), sa6
    if IN6_IS_ADDR_MULTICAST(addr) and scope not in (IPV6_ADDR_SCOPE_LINKLOCAL,
                                                     IPV6_ADDR_SCOPE_INTFACELOCAL):
        if sa6.sin6_scope_id == 0 and st.ip6_use_defzone:
            sa6 = _with_zone(sa6, st.sid_default.s6id_list[scope])
        return 0, sa6
    if IN6_IS_ADDR_LOOPBACK(addr):
        lo = getattr(k, "loif", None)
        if lo is not None:
            if sa6.sin6_scope_id == 0:
                return 0, _with_zone(sa6, lo.if_index)
            if sa6.sin6_scope_id != lo.if_index:
                return errno.EADDRNOTAVAIL, sa6
    if sa6.sin6_scope_id != 0:
        return 0, sa6
    if st.ip6_use_defzone:
        sa6 = _with_zone(sa6, st.sid_default.s6id_list[scope])
    return (0 if sa6.sin6_scope_id else errno.EADDRNOTAVAIL), sa6


def sa6_embedscope(k: "Kernel", sa6: sockaddr_in6) -> tuple[int, sockaddr_in6]:
    """KAME's name for checking a zone before use: the zone must name an
    existing interface (ENXIO otherwise)."""
    err, sa6 = sa6_checkzone(k, sa6)
    if err:
        return err, sa6
    zone = sa6.sin6_scope_id
    if zone and in6_addrscope(sa6.sin6_addr) in (IPV6_ADDR_SCOPE_LINKLOCAL,
                                                  IPV6_ADDR_SCOPE_INTFACELOCAL):
        if not any(ifp.if_index == zone for ifp in k.ifnet):
            return errno.ENXIO, sa6
    return 0, sa6


def _with_zone(sa6: sockaddr_in6, zone: int) -> sockaddr_in6:
    return sockaddr_in6(sa6.sin6_addr, sa6.sin6_port, sa6.sin6_flowinfo, zone)
