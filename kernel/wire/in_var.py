"""<netinet/in_var.h> and the AF_INET requests of <sys/sockio.h>: the IPv4
interface address ioctls and their structs.

Shared by the kernel (``in_control``) and userland (ifconfig ``inet``).
ioctl numbers are FreeBSD's, encoded as <sys/ioccom.h> does with FreeBSD 6's
``sizeof`` on amd64: ``struct ifreq`` 32, ``struct in_aliasreq`` 16 + 3 * 16.
Arguments cross the syscall boundary as these dataclasses; an ``_IOWR``
request fills the fields of the object it was given (BSD's copyout).

``in_ifreq`` is ``struct ifreq`` with the members of its union that
AF_INET requests use (``ifr_addr``, ``ifr_dstaddr``, ``ifr_broadaddr``);
``ifr_addr`` picks the address of the interface a request is about (the
first one when it is INADDR_ANY), as FreeBSD's in_control does.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from kernel.wire.in_ import sockaddr_in
from kernel.wire.sockio import SIZEOF_IFREQ, _IOW, _IOWR

SIZEOF_IN_ALIASREQ = 16 + 3 * 16

SIOCDIFADDR = _IOW("i", 25, SIZEOF_IFREQ)             # 0x80206919: delete IF addr
SIOCAIFADDR = _IOW("i", 26, SIZEOF_IN_ALIASREQ)       # 0x8040691a: add/chg IF alias
SIOCGIFADDR = _IOWR("i", 33, SIZEOF_IFREQ)            # 0xc0206921: get ifnet address
SIOCGIFDSTADDR = _IOWR("i", 34, SIZEOF_IFREQ)         # 0xc0206922: get p-p address
SIOCGIFBRDADDR = _IOWR("i", 35, SIZEOF_IFREQ)         # 0xc0206923: get broadcast addr
SIOCGIFNETMASK = _IOWR("i", 37, SIZEOF_IFREQ)         # 0xc0206925: get net addr mask


@dataclass
class in_aliasreq:
    """``struct in_aliasreq`` (SIOCAIFADDR): the address, and optionally the
    broadcast address (the destination on a point-to-point link:
    ``ifra_dstaddr``) and the netmask.  None is BSD's ``sin_len == 0``:
    not given (an address without a mask gets its class's, RFC 791 2.3)."""

    ifra_name: str = ""
    ifra_addr: sockaddr_in = field(default_factory=sockaddr_in)
    ifra_broadaddr: Optional[sockaddr_in] = None
    ifra_mask: Optional[sockaddr_in] = None

    @property
    def ifra_dstaddr(self) -> Optional[sockaddr_in]:
        return self.ifra_broadaddr


@dataclass
class in_ifreq:
    """``struct ifreq`` for SIOCDIFADDR, SIOCGIFADDR, SIOCGIFNETMASK,
    SIOCGIFBRDADDR, SIOCGIFDSTADDR."""

    ifr_name: str = ""
    ifr_addr: sockaddr_in = field(default_factory=sockaddr_in)
    ifr_dstaddr: Optional[sockaddr_in] = None
    ifr_broadaddr: Optional[sockaddr_in] = None
