"""Protocol domains and the protocol switch (sys/kern/uipc_domain.c,
sys/sys/protosw.h, sys/sys/domain.h).

A subsystem describes its protocols with ``protosw`` entries and registers
them, in its SYSINIT, as one ``domain``::

    inet6domain = domain(AF_INET6, "internet6", [
        protosw(SOCK_DGRAM, IPPROTO_UDP, PR_ATOMIC | PR_ADDR, udp6_usrreqs,
                pr_ctloutput=ip6_ctloutput),
        protosw(SOCK_RAW, IPPROTO_RAW, PR_ATOMIC | PR_ADDR, rip6_usrreqs,
                pr_ctloutput=rip6_ctloutput),
    ])
    domain_add(k, inet6domain)

``domain_add`` only registers: each subsystem initialises its own state in
its SYSINIT.  socket(2) finds the entry with ``pffindproto`` (by protocol
and type) or ``pffindtype`` (the first of that type when protocol is 0).

``pr_usrreqs`` are the socket's requests to the protocol, BSD's signatures
with ``td`` the calling process (None when the kernel itself calls).  They
return 0 or an errno, or raise ``OSError``; ``pru_sockaddr`` and
``pru_peeraddr`` return the address; ``pru_control`` returns 0, an errno, or
the result object of an ioctl that returns one.  A request left None is not
supported (EOPNOTSUPP).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Optional

from kernel.kern.kern_sysctl import SYSCTL_INT
from kernel.wire.socket import SOCK_RAW, SOMAXCONN

if TYPE_CHECKING:  # pragma: no cover
    from kernel.kern.init_main import Kernel

# pr_flags
PR_ATOMIC = 0x01          # exchange atomic messages only
PR_ADDR = 0x02            # addresses given with messages
PR_CONNREQUIRED = 0x04    # connection required by protocol
PR_WANTRCVD = 0x08        # want PRU_RCVD calls
PR_RIGHTS = 0x10          # passes capabilities
PR_IMPLOPCL = 0x20        # implied open/close
PR_LASTHDR = 0x40         # enforce ipsec policy; last header

# flags of pru_send
PRUS_OOB = 0x1
PRUS_EOF = 0x2
PRUS_MORETOCOME = 0x4

_USRREQS = ("pru_abort", "pru_accept", "pru_attach", "pru_bind", "pru_connect",
            "pru_connect2", "pru_control", "pru_detach", "pru_disconnect", "pru_listen",
            "pru_peeraddr", "pru_rcvd", "pru_rcvoob", "pru_send", "pru_sense",
            "pru_shutdown", "pru_sockaddr", "pru_close", "pru_sosend", "pru_soreceive",
            "pru_sopoll")


class pr_usrreqs:
    """``struct pr_usrreqs``: the user requests a protocol implements.

    ``pru_attach(so, proto, td)``, ``pru_detach(so)``, ``pru_bind(so, nam, td)``,
    ``pru_connect(so, nam, td)``, ``pru_connect2(so1, so2)``,
    ``pru_disconnect(so)``, ``pru_listen(so, backlog, td)``,
    ``pru_accept(so) -> nam``, ``pru_send(so, flags, m, nam, control, td)``,
    ``pru_rcvd(so, flags)``, ``pru_shutdown(so)``, ``pru_abort(so)``,
    ``pru_close(so)``, ``pru_control(so, cmd, data, ifp, td)``,
    ``pru_sockaddr(so) -> nam``, ``pru_peeraddr(so) -> nam``.
    """

    __slots__ = _USRREQS

    def __init__(self, **requests: Callable[..., Any]) -> None:
        for name in _USRREQS:
            setattr(self, name, requests.pop(name, None))
        if requests:
            raise TypeError(f"pr_usrreqs: unknown requests {sorted(requests)}")


class protosw:
    """``struct protosw``: one protocol of a domain."""

    __slots__ = ("pr_type", "pr_domain", "pr_protocol", "pr_flags", "pr_usrreqs",
                 "pr_input", "pr_output", "pr_ctlinput", "pr_ctloutput", "pr_init", "pr_name")

    def __init__(self, pr_type: int, pr_protocol: int = 0, pr_flags: int = 0,
                 pr_usrreqs: Optional[pr_usrreqs] = None, *,
                 pr_input: Optional[Callable[..., Any]] = None,
                 pr_output: Optional[Callable[..., Any]] = None,
                 pr_ctlinput: Optional[Callable[..., Any]] = None,
                 pr_ctloutput: Optional[Callable[..., Any]] = None,
                 pr_init: Optional[Callable[..., Any]] = None,
                 pr_name: str = "") -> None:
        self.pr_type = pr_type
        self.pr_domain: Optional[domain] = None
        self.pr_protocol = pr_protocol
        self.pr_flags = pr_flags
        self.pr_usrreqs = pr_usrreqs
        self.pr_input = pr_input
        self.pr_output = pr_output
        self.pr_ctlinput = pr_ctlinput
        self.pr_ctloutput = pr_ctloutput
        self.pr_init = pr_init
        self.pr_name = pr_name

    def __repr__(self) -> str:
        fam = self.pr_domain.dom_name if self.pr_domain else "?"
        return f"<protosw {fam} type={self.pr_type} proto={self.pr_protocol} {self.pr_name}>"


class domain:
    """``struct domain``: an address family and its protocols."""

    __slots__ = ("dom_family", "dom_name", "dom_protosw")

    def __init__(self, family: int, name: str, protosws: list[protosw]) -> None:
        self.dom_family = family
        self.dom_name = name
        self.dom_protosw = list(protosws)
        for pr in self.dom_protosw:
            pr.pr_domain = self

    def __repr__(self) -> str:
        return f"<domain {self.dom_name} family={self.dom_family}>"


def domain_add(k: "Kernel", dom: domain) -> None:
    """Register ``dom`` on this kernel (BSD's DOMAIN_SET / domain_add)."""
    doms = k.__dict__.setdefault("domains", [])
    for d in doms:
        if d is dom:
            return
        if d.dom_family == dom.dom_family:
            raise ValueError(f"domain_add: family {dom.dom_family} already has {d.dom_name}")
    doms.append(dom)


def pffinddomain(k: "Kernel", family: int) -> Optional[domain]:
    for dom in getattr(k, "domains", ()):
        if dom.dom_family == family:
            return dom
    return None


def pffindtype(k: "Kernel", family: int, type: int) -> Optional[protosw]:
    dom = pffinddomain(k, family)
    if dom is None:
        return None
    for pr in dom.dom_protosw:
        if pr.pr_type and pr.pr_type == type:
            return pr
    return None


def pffindproto(k: "Kernel", family: int, protocol: int, type: int) -> Optional[protosw]:
    """The entry for (protocol, type); a wildcard raw entry (protocol 0) matches
    any protocol for SOCK_RAW."""
    dom = pffinddomain(k, family)
    if dom is None:
        return None
    maybe = None
    for pr in dom.dom_protosw:
        if pr.pr_protocol == protocol and pr.pr_type == type:
            return pr
        if type == SOCK_RAW and pr.pr_type == SOCK_RAW and pr.pr_protocol == 0 and maybe is None:
            maybe = pr
    return maybe


def domaininit(k: "Kernel") -> None:
    """SYSINIT: the (empty) domain list and the kern.ipc knobs."""
    k.__dict__.setdefault("domains", [])
    k.sb_max = 256 * 1024          # kern.ipc.maxsockbuf (SB_MAX)
    k.somaxconn = SOMAXCONN
    k.numopensockets = 0
    SYSCTL_INT(k, "kern.ipc.maxsockbuf", k, "sb_max", "Maximum socket buffer size",
               check=lambda v: v >= 4096)
    SYSCTL_INT(k, "kern.ipc.somaxconn", k, "somaxconn",
               "Maximum pending socket connection queue size", check=lambda v: 1 <= v <= 65535)
    SYSCTL_INT(k, "kern.ipc.numopensockets", k, "numopensockets",
               "Number of open sockets", rw=False)
