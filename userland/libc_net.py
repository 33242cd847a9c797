"""libc: names and addresses (lib/libc/net, lib/libc/inet).

inet_pton/inet_ntop, getaddrinfo/getnameinfo (numeric addresses with
``%zone``, the names of /etc/hosts, the services of /etc/services — there is
no resolver), and the interface index functions, which read the
``net.link.ifnames`` sysctl.  Re-exported by userland/libc.py.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from kernel.wire.errno import EAFNOSUPPORT, strerror
from kernel.wire.fcntl import O_RDONLY
from kernel.wire.in6 import (
    IN6_IS_ADDR_LINKLOCAL, IN6_IS_ADDR_MC_INTFACELOCAL, IN6_IS_ADDR_MC_LINKLOCAL,
    inet_ntop6, inet_pton6, sockaddr_in6, split_zone,
)
from kernel.wire.in_ import inet_ntop4, inet_pton4, sockaddr_in
from kernel.wire.socket import AF_INET, AF_INET6, AF_UNSPEC, SOCK_DGRAM, SOCK_RAW, SOCK_STREAM
from userland.libc_sys import close, open, read, sysctlbyname


# -- interfaces ----------------------------------------------------------------------------
def if_nameindex() -> list[tuple[int, str]]:
    """if_nameindex(3): [(index, name)] of every interface."""
    try:
        return [tuple(x) for x in sysctlbyname("net.link.ifnames")]  # type: ignore[misc]
    except OSError:
        return []


def if_nametoindex(name: str) -> int:
    """if_nametoindex(3): 0 if there is no such interface."""
    for idx, n in if_nameindex():
        if n == name:
            return idx
    return 0


def if_indextoname(index: int) -> Optional[str]:
    for idx, n in if_nameindex():
        if idx == index:
            return n
    return None


@dataclass
class ifaddrs:
    """One entry of getifaddrs(3): an interface's link-level address
    (``sockaddr_dl``; ``ifa_data`` is its ``if_data`` as a dict) or one of its
    addresses (``sockaddr_in`` — its netmask and, in ``ifa_dstaddr``, its
    broadcast address or point-to-point peer as ``sockaddr_in`` too — or
    ``sockaddr_in6``; per-address counters)."""

    ifa_name: str
    ifa_flags: int
    ifa_addr: Any
    ifa_netmask: Any = None
    ifa_dstaddr: Any = None
    ifa_data: Optional[dict] = None


def getifaddrs() -> list[ifaddrs]:
    """getifaddrs(3), from the routing sysctl NET_RT_IFLIST (``net.route.iflist``):
    per interface its AF_LINK entry first, then its addresses (IPv4, then IPv6)."""
    from kernel.wire import route as rt
    out: list[ifaddrs] = []
    name, flags = "", 0
    for msg in rt.rt_msg_split(sysctlbyname("net.route.iflist")):
        mtype = rt.rt_msg_common(msg)[2]
        if mtype == rt.RTM_IFINFO:
            h = rt.if_msghdr.parse(msg[:rt.IF_MSGHDR_LEN])
            sdl = rt.rt_addrs_unpack(h.ifm_addrs, msg, rt.IF_MSGHDR_LEN).get(rt.RTAX_IFP)
            name = sdl.sdl_name if sdl is not None else (if_indextoname(h.ifm_index) or "")
            flags = h.ifm_flags
            data = {key: v for key, v in h.ifm_data.items() if not key.startswith("_")}
            out.append(ifaddrs(name, flags, sdl, None, None, data))
        elif mtype == rt.RTM_NEWADDR:
            h = rt.ifa_msghdr.parse(msg[:rt.IFA_MSGHDR_LEN])
            addrs = rt.rt_addrs_unpack(h.ifam_addrs, msg, rt.IFA_MSGHDR_LEN)
            out.append(ifaddrs(name, flags, addrs.get(rt.RTAX_IFA), addrs.get(rt.RTAX_NETMASK),
                               addrs.get(rt.RTAX_BRD),
                               {"ifi_mtu": 0, "ifi_ipackets": 0, "ifi_opackets": 0,
                                "ifi_ibytes": 0, "ifi_obytes": 0}))
    return out


def ether_ntoa(e: bytes) -> str:
    """ether_ntoa(3): ``02:00:00:00:12:01``."""
    return ":".join(f"{b:02x}" for b in e)


def ether_aton(a: str) -> Optional[bytes]:
    """ether_aton(3): six hex octets separated by colons; None if it is not one."""
    parts = a.split(":")
    if len(parts) != 6 or not all(1 <= len(p) <= 2 for p in parts):
        return None
    try:
        return bytes(int(p, 16) for p in parts)
    except ValueError:
        return None


def link_ntoa(sdl: Any) -> str:
    """link_ntoa(3): ``em0:2.0.0.0.12.1``."""
    from kernel.wire.route import link_ntoa as _link_ntoa
    return _link_ntoa(sdl)


# -- addresses -----------------------------------------------------------------------------
def inet_pton(af: int, text: str) -> Optional[bytes]:
    """inet_pton(3): the address, None if ``text`` is not one; EAFNOSUPPORT for ``af``."""
    try:
        if af == AF_INET6:
            return inet_pton6(text) if "%" not in text else None
        if af == AF_INET:
            return inet_pton4(text)
    except ValueError:
        return None
    raise OSError(EAFNOSUPPORT, strerror(EAFNOSUPPORT))


def inet_ntop(af: int, addr: bytes) -> str:
    if af == AF_INET6:
        return inet_ntop6(addr)
    if af == AF_INET:
        return inet_ntop4(addr)
    raise OSError(EAFNOSUPPORT, strerror(EAFNOSUPPORT))


# netdb.h
AI_PASSIVE = 0x00000001
AI_CANONNAME = 0x00000002
AI_NUMERICHOST = 0x00000004
AI_NUMERICSERV = 0x00000008
AI_ALL = 0x00000100
AI_V4MAPPED_CFG = 0x00000200
AI_ADDRCONFIG = 0x00000400
AI_V4MAPPED = 0x00000800
NI_NOFQDN = 0x00000001
NI_NUMERICHOST = 0x00000002
NI_NAMEREQD = 0x00000004
NI_NUMERICSERV = 0x00000008
NI_DGRAM = 0x00000010
NI_NUMERICSCOPE = 0x00000020
NI_MAXHOST = 1025
NI_MAXSERV = 32

EAI_AGAIN = 2
EAI_BADFLAGS = 3
EAI_FAIL = 4
EAI_FAMILY = 5
EAI_MEMORY = 6
EAI_NONAME = 8
EAI_SERVICE = 9
EAI_SOCKTYPE = 10
EAI_SYSTEM = 11
EAI_BADHINTS = 12
EAI_PROTOCOL = 13
EAI_OVERFLOW = 14

_GAI_MSG = {
    0: "Success",
    1: "Address family for hostname not supported",
    EAI_AGAIN: "Temporary failure in name resolution",
    EAI_BADFLAGS: "Invalid value for ai_flags",
    EAI_FAIL: "Non-recoverable failure in name resolution",
    EAI_FAMILY: "ai_family not supported",
    EAI_MEMORY: "Memory allocation failure",
    7: "No address associated with hostname",
    EAI_NONAME: "hostname nor servname provided, or not known",
    EAI_SERVICE: "servname not supported for ai_socktype",
    EAI_SOCKTYPE: "ai_socktype not supported",
    EAI_SYSTEM: "System error returned in errno",
    EAI_BADHINTS: "Invalid value for hints",
    EAI_PROTOCOL: "Resolved protocol is unknown",
    EAI_OVERFLOW: "Argument buffer overflow",
}

IPPROTO_TCP = 6
IPPROTO_UDP = 17


def gai_strerror(code: int) -> str:
    return _GAI_MSG.get(code, "Unknown error")


class gaierror(OSError):
    """getaddrinfo/getnameinfo failure: ``errno`` is the EAI_* code."""

    def __init__(self, code: int) -> None:
        super().__init__(code, gai_strerror(code))


@dataclass
class addrinfo:
    ai_flags: int = 0
    ai_family: int = AF_UNSPEC
    ai_socktype: int = 0
    ai_protocol: int = 0
    ai_addr: Any = None
    ai_canonname: Optional[str] = None

    @property
    def ai_addrlen(self) -> int:
        return 28 if self.ai_family == AF_INET6 else 16


def _etc_lines(path: str) -> list[list[str]]:
    """The whitespace-split, comment-stripped lines of an /etc file ([] if none)."""
    try:
        fd = open(path, O_RDONLY)
    except OSError:
        return []
    chunks = []
    try:
        while True:
            b = read(fd, 65536)
            if not b:
                break
            chunks.append(b)
    finally:
        close(fd)
    out = []
    for line in b"".join(chunks).decode("utf-8", "replace").splitlines():
        line = line.split("#", 1)[0].split()
        if line:
            out.append(line)
    return out


def _parse_numeric(host: str) -> Optional[tuple[int, Any]]:
    """(family, sockaddr without port) for a numeric host, None otherwise."""
    addr, zone = split_zone(host)
    try:
        a6 = inet_pton6(addr)
    except ValueError:
        a6 = None
    if a6 is not None:
        scope = 0
        if zone:
            scope = int(zone) if zone.isdigit() else if_nametoindex(zone)
            if scope == 0:
                raise gaierror(EAI_NONAME)
        return AF_INET6, sockaddr_in6(a6, 0, 0, scope)
    if zone:
        return None
    try:
        return AF_INET, sockaddr_in(inet_pton4(host), 0)
    except ValueError:
        return None


def _service(serv: Optional[str], socktype: int, proto: int, numeric: bool) -> Optional[int]:
    if serv is None or serv == "":
        return 0
    if str(serv).isdigit():
        port = int(serv)
        if port > 65535:
            raise gaierror(EAI_SERVICE)
        return port
    if numeric:
        raise gaierror(EAI_NONAME)
    if socktype == SOCK_RAW:
        raise gaierror(EAI_SERVICE)
    want = "udp" if socktype == SOCK_DGRAM or proto == IPPROTO_UDP else \
        "tcp" if socktype == SOCK_STREAM or proto == IPPROTO_TCP else None
    for f in _etc_lines("/etc/services"):
        if len(f) >= 2 and "/" in f[1] and (serv == f[0] or serv in f[2:]):
            port, _, p = f[1].partition("/")
            if want is None or p == want:
                return int(port)
    raise gaierror(EAI_SERVICE)


def getaddrinfo(host: Optional[str], serv: Optional[str] = None,
                hints: Optional[addrinfo] = None) -> list[addrinfo]:
    """getaddrinfo(3) for numeric addresses (``fe80::1%em0``) and the names
    of /etc/hosts; raises ``gaierror`` (EAI_NONAME, EAI_FAMILY, ...)."""
    h = hints or addrinfo()
    family, flags = h.ai_family, h.ai_flags
    if family not in (AF_UNSPEC, AF_INET, AF_INET6):
        raise gaierror(EAI_FAMILY)
    if h.ai_socktype not in (0, SOCK_STREAM, SOCK_DGRAM, SOCK_RAW):
        raise gaierror(EAI_SOCKTYPE)
    if host is None and serv is None:
        raise gaierror(EAI_NONAME)
    if h.ai_socktype:
        kinds = [(h.ai_socktype, h.ai_protocol or {SOCK_STREAM: IPPROTO_TCP,
                                                   SOCK_DGRAM: IPPROTO_UDP}.get(h.ai_socktype, 0))]
    else:
        kinds = [(SOCK_DGRAM, IPPROTO_UDP), (SOCK_STREAM, IPPROTO_TCP)]
        if serv is None:
            kinds.append((SOCK_RAW, 0))
    addrs: list[tuple[int, Any]] = []
    canon = host
    if host is None:
        if flags & AI_PASSIVE:
            addrs = [(AF_INET6, sockaddr_in6()), (AF_INET, sockaddr_in())]
        else:
            addrs = [(AF_INET6, sockaddr_in6(bytes(15) + b"\x01")),
                     (AF_INET, sockaddr_in(bytes((127, 0, 0, 1))))]
    else:
        num = _parse_numeric(host)
        if num is not None:
            addrs = [num]
        elif flags & AI_NUMERICHOST:
            raise gaierror(EAI_NONAME)
        else:
            name = host.lower()
            for f in _etc_lines("/etc/hosts"):
                if name in (x.lower() for x in f[1:]):
                    n = _parse_numeric(f[0])
                    if n is not None:
                        addrs.append(n)
                        if canon == host:
                            canon = f[1]
    addrs = [a for a in addrs if family in (AF_UNSPEC, a[0])]
    if not addrs:
        raise gaierror(EAI_NONAME)
    out = []
    for fam, sa in addrs:
        for socktype, proto in kinds:
            port = _service(serv, socktype, proto, bool(flags & AI_NUMERICSERV))
            if fam == AF_INET6:
                a = sockaddr_in6(sa.sin6_addr, port, 0, sa.sin6_scope_id)
            else:
                a = sockaddr_in(sa.sin_addr, port)
            out.append(addrinfo(flags, fam, socktype, proto, a,
                                canon if flags & AI_CANONNAME and not out else None))
    return out


def getnameinfo(sa: Any, flags: int = 0) -> tuple[str, str]:
    """getnameinfo(3): (host, service) — numeric, or names from /etc/hosts and
    /etc/services; a scoped IPv6 address gets its zone (``fe80::1%em0``)."""
    if isinstance(sa, sockaddr_in6):
        addr = inet_ntop6(sa.sin6_addr)
        a = sa.sin6_addr
        if sa.sin6_scope_id and (IN6_IS_ADDR_LINKLOCAL(a) or IN6_IS_ADDR_MC_LINKLOCAL(a)
                                 or IN6_IS_ADDR_MC_INTFACELOCAL(a)):
            zone = None if flags & NI_NUMERICSCOPE else if_indextoname(sa.sin6_scope_id)
            addr += f"%{zone or sa.sin6_scope_id}"
        port = sa.sin6_port
        raw = sa.sin6_addr
    elif isinstance(sa, sockaddr_in):
        addr = inet_ntop4(sa.sin_addr)
        port = sa.sin_port
        raw = sa.sin_addr
    else:
        raise gaierror(EAI_FAMILY)
    host = addr
    if not flags & NI_NUMERICHOST:
        found = None
        for f in _etc_lines("/etc/hosts"):
            if len(f) >= 2:
                n = _parse_numeric(f[0]) if "%" not in f[0] else None
                if n is not None and getattr(n[1], "sin6_addr", getattr(n[1], "sin_addr", None)) == raw:
                    found = f[1]
                    break
        if found is None and flags & NI_NAMEREQD:
            raise gaierror(EAI_NONAME)
        if found is not None:
            host = found.split(".", 1)[0] if flags & NI_NOFQDN else found
    serv = str(port)
    if not flags & NI_NUMERICSERV and port:
        want = "udp" if flags & NI_DGRAM else "tcp"
        for f in _etc_lines("/etc/services"):
            if len(f) >= 2 and f[1] == f"{port}/{want}":
                serv = f[0]
                break
    return host, serv


def getnameinfo_host(sa: Any, flags: int = 0) -> str:
    """The host part of getnameinfo(3) for ``sa``, or the address as
    inet_ntop(3) writes it when getnameinfo fails: how netstat (route.c's
    routename) and ndp show an address — ``flags`` NI_NUMERICHOST with -n."""
    try:
        return getnameinfo(sa, flags)[0]
    except OSError:
        if isinstance(sa, sockaddr_in):
            return inet_ntop4(sa.sin_addr)
        return inet_ntop6(sa.sin6_addr)


# -- protocols (lib/libc/net/getprotoent.c: /etc/protocols) ------------------------------------
@dataclass
class protoent:
    p_name: str
    p_aliases: list[str]
    p_proto: int


def _protocols() -> list[protoent]:
    out = []
    for f in _etc_lines("/etc/protocols"):
        if len(f) >= 2 and f[1].isdigit():
            out.append(protoent(f[0], f[2:], int(f[1])))
    return out


def getprotobyname(name: str) -> Optional[protoent]:
    """getprotobyname(3): the /etc/protocols entry with that name or alias."""
    for p in _protocols():
        if name == p.p_name or name in p.p_aliases:
            return p
    return None


def getprotobynumber(proto: int) -> Optional[protoent]:
    """getprotobynumber(3): the first /etc/protocols entry with that number."""
    for p in _protocols():
        if p.p_proto == proto:
            return p
    return None


__all__ = ["protoent", "getprotobyname", "getprotobynumber",
           "inet_pton", "inet_ntop", "getaddrinfo", "getnameinfo", "getnameinfo_host",
           "gai_strerror", "gaierror",
           "addrinfo", "if_nameindex", "if_nametoindex", "if_indextoname",
           "ifaddrs", "getifaddrs", "ether_ntoa", "ether_aton", "link_ntoa",
           "AI_PASSIVE", "AI_CANONNAME", "AI_NUMERICHOST", "AI_NUMERICSERV", "AI_ALL",
           "AI_V4MAPPED_CFG", "AI_ADDRCONFIG", "AI_V4MAPPED", "NI_NOFQDN", "NI_NUMERICHOST",
           "NI_NAMEREQD", "NI_NUMERICSERV", "NI_DGRAM", "NI_NUMERICSCOPE", "NI_MAXHOST",
           "NI_MAXSERV", "EAI_AGAIN", "EAI_BADFLAGS", "EAI_FAIL", "EAI_FAMILY", "EAI_MEMORY",
           "EAI_NONAME", "EAI_SERVICE", "EAI_SOCKTYPE", "EAI_SYSTEM", "EAI_BADHINTS",
           "EAI_PROTOCOL", "EAI_OVERFLOW", "IPPROTO_TCP", "IPPROTO_UDP"]
