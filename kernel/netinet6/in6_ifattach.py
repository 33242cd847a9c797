"""Attaching IPv6 to an interface: interface identifier and link-local address
(sys/netinet6/in6_ifattach.c).

RFC 4291 2.5.1 and appendix A: the modified EUI-64 interface identifier of
an IEEE 802 interface is its 48-bit MAC with ``ff:fe`` inserted in the
middle and the universal/local bit inverted.  RFC 4862 5.3: when an
interface becomes enabled, a link-local address is formed from ``fe80::/64``
and that identifier, and DAD runs on it (RFC 4862 5.4; in6_update_ifa starts
it, after a random delay).  The loopback interface gets ``::1`` and
``fe80::1`` (no DAD).

``in6_ifattach(ifp)`` is idempotent: it is called by ``in6_if_up`` every
time the interface comes up, and adds a link-local address only when
``ND6_IFF_AUTO_LINKLOCAL`` is set, IPv6 is not disabled on the interface and
it has no link-local address yet.

An interface without an IEEE 802 address (a gif tunnel) borrows the
identifier of another interface, or makes one from the host name, as KAME's
``get_ifid`` does.
"""
from __future__ import annotations

import hashlib
from typing import Any, Optional

from kernel.netinet6.in6_var import IN6_IFAUPDATE_DADDELAY
from kernel.wire import errno as bsd_errno
from kernel.wire.in6 import IN6ADDR_LOOPBACK, in6_prefix_mask, sockaddr_in6
from kernel.wire.in6_var import (IN6_IFF_NODAD, ND6_IFF_AUTO_LINKLOCAL, ND6_IFF_IFDISABLED,
                                 in6_addrlifetime, in6_aliasreq)
from kernel.wire.net_if import IFF, IFT, LinkState

LINKLOCAL_PREFIX = bytes.fromhex("fe80000000000000")
EUI64_GBIT = 0x01           # group/individual bit of the first octet
EUI64_UBIT = 0x02           # universal/local bit: inverted in the modified EUI-64


def in6_eui64(mac: bytes) -> bytes:
    """The modified EUI-64 interface identifier of a 48-bit MAC (RFC 4291 appendix A)."""
    if len(mac) != 6:
        raise ValueError("in6_eui64: a 48-bit MAC address is needed")
    return bytes((mac[0] ^ EUI64_UBIT,)) + mac[1:3] + b"\xff\xfe" + mac[3:6]


def in6_get_hw_ifid(ifp: Any) -> Optional[bytes]:
    """The interface identifier from the hardware address, or None when the
    interface has none usable (not IEEE 802, all zeros, a group address)."""
    if ifp.if_type == IFT.GIF:
        # KAME: "RFC2893 says: 'SHOULD use IPv4 address as ifid source'.
        # however, IPv4 address is not very suitable as unique identifier
        # source (can be renumbered).  we don't do this."  (RFC 4213 3.7 says
        # the same as RFC 2893.)  A gif borrows another interface's identifier.
        return None
    if ifp.if_type != IFT.ETHER:
        return None
    mac = bytes(ifp.if_addr or b"")
    if len(mac) != 6 or mac == bytes(6) or mac[0] & EUI64_GBIT:
        return None
    return in6_eui64(mac)


def in6_get_rand_ifid(k: Any) -> Optional[bytes]:
    """KAME get_rand_ifid: an identifier from the MD5 digest of the host name
    (at least three letters), universal/local bit "local", group bit clear,
    then the modified EUI-64 inversion (RFC 4291 appendix A)."""
    name = (getattr(k, "hostname", "") or "").encode()
    if len(name) < 3:
        return None
    d = bytearray(hashlib.md5(name).digest()[:8])
    d[0] = (d[0] & ~EUI64_GBIT | EUI64_UBIT) ^ EUI64_UBIT
    return bytes(d)


def in6_get_ifid(ifp: Any, altifp: Any = None) -> Optional[bytes]:
    """An interface identifier for ``ifp``: its own hardware one, else
    ``altifp``'s, else any other interface's, else one from the host name
    (in6_get_ifid)."""
    ifid = in6_get_hw_ifid(ifp)
    if ifid is not None:
        return ifid
    if altifp is not None:
        ifid = in6_get_hw_ifid(altifp)
        if ifid is not None:
            return ifid
    for other in ifp.kernel.ifnet:
        if other is ifp:
            continue
        ifid = in6_get_hw_ifid(other)
        if ifid is not None:
            return ifid
    return in6_get_rand_ifid(ifp.kernel)


def in6_ifattach_linklocal(ifp: Any, altifp: Any = None) -> int:
    """Add ``fe80::<ifid>/64`` (RFC 4862 5.3); loopback gets ``fe80::1``."""
    from kernel.netinet6 import in6
    if ifp.if_flags & IFF.LOOPBACK:
        ifid = bytes(7) + b"\x01"
    else:
        ifid = in6_get_ifid(ifp, altifp)
        if ifid is None:
            ifp.kernel.printf(f"{ifp.if_xname}: no ifid available\n")
            return bsd_errno.EINVAL
    ifra = in6_aliasreq(ifp.if_xname, sockaddr_in6(LINKLOCAL_PREFIX + ifid, 0, 0, ifp.if_index),
                        ifra_prefixmask=sockaddr_in6(in6_prefix_mask(64)),
                        ifra_lifetime=in6_addrlifetime())
    if ifp.if_flags & IFF.LOOPBACK:
        ifra.ifra_flags |= IN6_IFF_NODAD
    # RFC 4862 5.4.2: the first DAD NS goes after a random delay.
    return in6.in6_update_ifa(ifp, ifra, None, IN6_IFAUPDATE_DADDELAY)


def in6_ifattach_loopback(ifp: Any) -> int:
    """``::1/128`` on the loopback interface (RFC 4291 2.5.3)."""
    from kernel.netinet6 import in6
    ifra = in6_aliasreq(ifp.if_xname, sockaddr_in6(IN6ADDR_LOOPBACK),
                        ifra_prefixmask=sockaddr_in6(in6_prefix_mask(128)),
                        ifra_flags=IN6_IFF_NODAD, ifra_lifetime=in6_addrlifetime())
    return in6.in6_update_ifa(ifp, ifra, None, 0)


def in6_ifattach(ifp: Any, altifp: Any = None) -> None:
    """Make ``ifp`` an IPv6 interface (ND parameters, zones, addresses)."""
    from kernel.netinet6 import in6, nd6, scope6
    k = ifp.kernel
    ndi = nd6.ND_IFINFO(ifp)
    scope6.scope6_ifattach(ifp)
    # If the link layer is not multicast capable, there is no IPv6 on it.
    if not ifp.if_flags & IFF.MULTICAST:
        nd6.nd6_log(k, f"{ifp.if_xname} is not multicast capable, IPv6 not enabled\n")
        return
    if ifp.if_flags & IFF.LOOPBACK and in6.in6ifa_ifwithaddr(k, IN6ADDR_LOOPBACK, 0) is None:
        in6_ifattach_loopback(ifp)
    if not ndi.flags & ND6_IFF_IFDISABLED and ndi.flags & ND6_IFF_AUTO_LINKLOCAL:
        if in6.in6ifa_ifpforlinklocal(ifp, 0) is None:
            in6_ifattach_linklocal(ifp, altifp)
    st = k.in6
    if st.in6_maxmtu < ifp.if_mtu:
        st.in6_maxmtu = ifp.if_mtu
    if in6_link_event not in ifp.link_state_hooks:
        ifp.link_state_hooks.append(in6_link_event)


def in6_link_event(ifp: Any, state: Any) -> None:
    """The link came (back) up: run DAD for the addresses still tentative
    (RFC 4862 5.4: DAD when an interface is (re)attached to a link)."""
    from kernel.netinet6 import in6
    if state == LinkState.UP and ifp.if_flags & IFF.UP and hasattr(ifp.kernel, "nd6"):
        in6.in6_if_up(ifp)


def in6_ifdetach(ifp: Any) -> None:
    """Remove IPv6 from ``ifp``: addresses, neighbors, routers, prefixes, routes."""
    from kernel.netinet6 import in6, nd6, scope6
    k = ifp.kernel
    in6.in6_purgeif(ifp)
    nd6.nd6_purge(ifp)
    for key in [key for key in k.in6.in6_multi if key[0] == ifp.if_index]:
        in6m = k.in6.in6_multi.pop(key)
        if in6m.in6m_lladdr is not None:
            ifp.if_delmulti(in6m.in6m_lladdr)
    if getattr(k, "rt", None) is not None:
        from kernel.net import route
        route.rt_ifdetach(k, ifp)
    k.nd6.nd_ifinfo.pop(ifp.if_index, None)
    scope6.scope6_ifdetach(ifp)
