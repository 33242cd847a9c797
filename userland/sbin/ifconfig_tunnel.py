"""ifconfig(8)'s tunnel endpoints (sbin/ifconfig: ifconfig.c settunnel and
deletetunnel, af_inet.c in_set_tunnel and in_status_tunnel, af_inet6.c
in6_set_tunnel and in6_status_tunnel).

``ifconfig gif0 tunnel 192.0.2.1 192.0.2.2`` sets the outer IPv4 endpoints
(SIOCSIFPHYADDR), ``ifconfig gif0 inet6 tunnel 2001:db8::1 2001:db8::2`` the
outer IPv6 ones (SIOCSIFPHYADDR_IN6): as in FreeBSD, the request is the one
of the address family the command is about (``inet`` unless another is
named), so IPv6 endpoints without ``inet6`` get ``SIOCSIFPHYADDR: Address
family not supported by protocol family``.  ``deletetunnel`` removes them
(SIOCDIFPHYADDR).  The status shows them below the flags line:

    \ttunnel inet 192.0.2.1 --> 192.0.2.2
    \ttunnel inet6 2001:db8::1 --> 2001:db8::2

userland/sbin/ifconfig.py calls these.
"""
from __future__ import annotations

from typing import Any

from kernel.wire.in6 import sockaddr_in6
from kernel.wire.in6_var import (SIOCGIFPDSTADDR_IN6, SIOCGIFPSRCADDR_IN6, SIOCSIFPHYADDR_IN6,
                                 in6_aliasreq, in6_ifreq)
from kernel.wire.in_ import sockaddr_in
from kernel.wire.in_var import in_aliasreq, in_ifreq
from kernel.wire.net_if import ifreq
from kernel.wire.sockio import SIOCDIFPHYADDR, SIOCGIFPDSTADDR, SIOCGIFPSRCADDR, SIOCSIFPHYADDR
from userland import libc

AF_INET = 2
AF_INET6 = 28
AF_LINK = 18
AF_NAMES = {AF_INET: "inet", AF_INET6: "inet6", AF_LINK: "link"}


def _resolve(text: str) -> Any:
    try:
        return libc.getaddrinfo(text, None)[0].ai_addr
    except OSError as e:
        libc.errx(1, "error in parsing address string: %s", e.strerror)
        return None


def settunnel(ic: Any, src: str, dst: str) -> None:
    """``tunnel SRC DST``: the af_settunnel of the command's family."""
    if ic.af not in (AF_INET, AF_INET6):
        libc.warnx("address family %s does not support tunnel setup",
                   AF_NAMES.get(ic.af, str(ic.af)))
        return
    srcsa = _resolve(src)
    dstsa = _resolve(dst)
    if type(srcsa) is not type(dstsa):
        libc.errx(1, "source and destination address families do not match")
        return
    if ic.af == AF_INET:
        # in_set_tunnel: the addresses go in whatever family they are; the
        # kernel refuses a family that is not the request's.
        req: Any = in_aliasreq(ic.name, srcsa, dstsa)
        cmd, what = SIOCSIFPHYADDR, "SIOCSIFPHYADDR"
    else:
        req = in6_aliasreq(ic.name, srcsa, dstsa)
        cmd, what = SIOCSIFPHYADDR_IN6, "SIOCSIFPHYADDR_IN6"
    try:
        libc.ioctl(ic.s, cmd, req)
    except OSError:
        libc.warn("%s", what)


def deletetunnel(ic: Any) -> None:
    try:
        libc.ioctl(ic.s, SIOCDIFPHYADDR, ifreq(ic.name))
    except OSError:
        libc.err(1, "SIOCDIFPHYADDR")


def in_status_tunnel(ic: Any) -> None:
    _status_tunnel(ic, "inet", SIOCGIFPSRCADDR, SIOCGIFPDSTADDR, in_ifreq, sockaddr_in)


def in6_status_tunnel(ic: Any) -> None:
    _status_tunnel(ic, "inet6", SIOCGIFPSRCADDR_IN6, SIOCGIFPDSTADDR_IN6, in6_ifreq, sockaddr_in6)


def _status_tunnel(ic: Any, af: str, psrc: int, pdst: int, req: type, sa: type) -> None:
    """The ``tunnel <af> src --> dst`` line, if the interface has ``af`` endpoints."""
    try:
        src = libc.ioctl(ic.s, psrc, req(ic.name)).ifr_addr
        dst = libc.ioctl(ic.s, pdst, req(ic.name)).ifr_addr
    except OSError:
        return
    if not isinstance(src, sa) or not isinstance(dst, sa):
        return
    libc.printf("\ttunnel %s %s --> %s\n", af, _numeric(src), _numeric(dst))


def _numeric(sa: Any) -> str:
    try:
        return libc.getnameinfo(sa, libc.NI_NUMERICHOST)[0]
    except OSError:
        return ""


def tunnel_status(ic: Any) -> None:
    """af_all_tunnel_status: each family's tunnel line (at most one answers)."""
    in_status_tunnel(ic)
    in6_status_tunnel(ic)


def commands(ic: Any) -> dict[str, tuple[int, Any]]:
    """``tunnel`` (two arguments) and ``deletetunnel`` for ifconfig's command table."""
    return {"tunnel": (2, lambda src, dst: settunnel(ic, src, dst)),
            "deletetunnel": (0, lambda: deletetunnel(ic))}


__all__ = ["settunnel", "deletetunnel", "tunnel_status", "commands"]
