"""<netinet6/in6_var.h>, address selection part: the policy table entry and its ioctls.

RFC 6724 2.1: the policy table maps an address (by longest matching prefix)
to a precedence and a label; source selection (kernel/netinet6/in6_src.py)
and destination ordering (getaddrinfo, userland/libc_net.py) both read it.
``struct in6_addrpolicy`` crosses the syscall boundary as the dataclass here:
SIOCAADDRCTL_POLICY / SIOCDADDRCTL_POLICY (ioctls on an AF_INET6 socket,
what ``ip6addrctl add``/``delete`` send) and the sysctl
``net.inet6.ip6.addrctlpolicy`` (a list of them: what ``ip6addrctl show``
and getaddrinfo read).  Values and layout are FreeBSD's (amd64):
``sizeof(struct in6_addrpolicy)`` is 72 (two sockaddr_in6, two ints, a u_quad_t).

Kept apart from kernel/wire/in6_var.py only so that the two can be edited
independently; the names are BSD's.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field

from kernel.wire.in6 import in6_prefix_mask, inet_pton6, sockaddr_in6
from kernel.wire.sockio import _IOW

SIZEOF_IN6_ADDRPOLICY = 72
SIOCAADDRCTL_POLICY = _IOW("u", 108, SIZEOF_IN6_ADDRPOLICY)     # 0x80487568
SIOCDADDRCTL_POLICY = _IOW("u", 109, SIZEOF_IN6_ADDRPOLICY)     # 0x80487569

ADDR_LABEL_NOTAPP = -1        # in6_src.c: the label of "no policy matched"

# kamebox: an address flag for RFC 6724 5 Rule 4 ("Prefer home addresses"),
# set by Mobile IPv6 on a mobile node's home address (FreeBSD has none: its
# Rule 4 is a TODO).  Outside FreeBSD's IN6_IFF_* bits.
IN6_IFF_HOME = 0x800

# RFC 6724 2.1: the default policy table (prefix, prefix length, precedence, label)
RFC6724_DEFAULT_POLICY: tuple[tuple[str, int, int, int], ...] = (
    ("::1", 128, 50, 0),
    ("::", 0, 40, 1),
    ("::ffff:0:0", 96, 35, 4),
    ("2002::", 16, 30, 2),
    ("2001::", 32, 5, 5),
    ("fc00::", 7, 3, 13),
    ("::", 96, 1, 3),
    ("fec0::", 10, 1, 11),
    ("3ffe::", 16, 1, 12),
)

_layout = struct.Struct("<28s28siiQ")


@dataclass
class in6_addrpolicy:
    """``struct in6_addrpolicy``: prefix (``addr`` under ``addrmask``), precedence,
    label and how often the entry was used."""

    addr: sockaddr_in6 = field(default_factory=sockaddr_in6)
    addrmask: sockaddr_in6 = field(default_factory=sockaddr_in6)
    preced: int = 0
    label: int = 0
    use: int = 0

    def pack(self) -> bytes:
        return _layout.pack(self.addr.pack(), self.addrmask.pack(), self.preced, self.label,
                            self.use)

    @classmethod
    def unpack(cls, data: bytes) -> "in6_addrpolicy":
        if len(data) < SIZEOF_IN6_ADDRPOLICY:
            raise ValueError("in6_addrpolicy: 72 bytes expected")
        a, m, p, lab, use = _layout.unpack_from(data, 0)
        return cls(sockaddr_in6.unpack(a), sockaddr_in6.unpack(m), p, lab, use)

    @classmethod
    def of(cls, prefix: str, plen: int, preced: int, label: int) -> "in6_addrpolicy":
        """An entry from ``prefix/plen`` text (as ip6addrctl and the rc script write them)."""
        return cls(sockaddr_in6(inet_pton6(prefix)), sockaddr_in6(in6_prefix_mask(plen)),
                   preced, label)


__all__ = ["in6_addrpolicy", "SIOCAADDRCTL_POLICY", "SIOCDADDRCTL_POLICY",
           "SIZEOF_IN6_ADDRPOLICY", "ADDR_LABEL_NOTAPP", "IN6_IFF_HOME", "RFC6724_DEFAULT_POLICY"]
