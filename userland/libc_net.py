"""libc: names and addresses (lib/libc/net, lib/libc/inet).

inet_pton/inet_ntop, getaddrinfo/getnameinfo (numeric addresses with
``%zone``, the names of /etc/hosts, the services of /etc/services — there is
no resolver), and the interface index functions, which read the
``net.link.ifnames`` sysctl.  Re-exported by userland/libc.py.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Optional

from kernel.wire.errno import EAFNOSUPPORT, strerror
from kernel.wire.in6 import (
    IN6_IS_ADDR_LINKLOCAL, IN6_IS_ADDR_MC_INTFACELOCAL, IN6_IS_ADDR_MC_LINKLOCAL,
    inet_ntop6, inet_pton6, sockaddr_in6, split_zone,
)
from kernel.wire.in_ import inet_ntop4, inet_pton4, sockaddr_in
from kernel.wire.socket import AF_INET, AF_INET6, AF_UNSPEC, SOCK_DGRAM, SOCK_RAW, SOCK_STREAM
from userland.libc_sys import read_file, sysctlbyname


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
    data = read_file(path)
    if data is None:
        return []
    out = []
    for line in data.decode("utf-8", "replace").splitlines():
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
    num = None
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
    # FreeBSD: for an active open of a name (not a numeric address), the list in
    # the order of RFC 6724 6; the canonical name stays on the head entry.
    if not flags & AI_PASSIVE and host is not None and num is None and len(addrs) > 1:
        out = rfc6724_sort(out)
        if flags & AI_CANONNAME:
            for i, ai in enumerate(out):
                ai.ai_canonname = canon if i == 0 else None
    return out


# -- RFC 6724 6: the order of getaddrinfo's answers (FreeBSD getaddrinfo.c reorder) -------------
_SCOPE_LINKLOCAL, _SCOPE_GLOBAL = 0x02, 0x0E
_V4MAPPED = bytes(10) + b"\xff\xff"
_TUNNEL_IFTYPES = (0xF0, 0xD7, 0x83)        # IFT_GIF, IFT_STF, IFT_TUNNEL
_IN6_IFF_DEPRECATED = 0x10
_IN6_IFF_HOME = 0x800                      # kernel/wire/in6_addrsel.py (Mobile IPv6)


@dataclass
class _aio:
    """One answer and what the rules need to know of it (FreeBSD's ``struct ai_order``)."""

    ai: addrinfo
    index: int
    dst6: bytes                     # the destination as IPv6 (IPv4 as IPv4-mapped, RFC 6724 2)
    dstscope: int
    dstpolicy: Optional[tuple[int, int]]        # (precedence, label), None: no entry matched
    src: Any = None                 # Source(D), None when undefined (Rule 1)
    srcscope: int = 0
    srcpolicy: Optional[tuple[int, int]] = None
    # about Source(D)'s interface address, looked up when a rule first needs it
    srcflags: Optional[int] = None
    native: Optional[bool] = None
    matchlen: Optional[int] = None


def _as6(sa: Any) -> bytes:
    if isinstance(sa, sockaddr_in6):
        return bytes(sa.sin6_addr)
    return _V4MAPPED + bytes(sa.sin_addr)


def _addrscope(sa: Any) -> int:
    """RFC 6724 3.1 (IPv6: RFC 4007's scopes) and 3.2: IPv4 loopback and
    autoconfiguration (169.254/16) addresses are link-local, the rest global."""
    if isinstance(sa, sockaddr_in6):
        a = sa.sin6_addr
        if a[0] == 0xFF:
            return a[1] & 0x0F
        if a[0] == 0xFE and a[1] & 0xC0 == 0x80 or a == bytes(15) + b"\x01":
            return _SCOPE_LINKLOCAL
        if a[0] == 0xFE and a[1] & 0xC0 == 0xC0:
            return 0x05
        return _SCOPE_GLOBAL
    a = sa.sin_addr
    if a[0] == 127 or a[:2] == b"\xa9\xfe":
        return _SCOPE_LINKLOCAL
    return _SCOPE_GLOBAL


def _policy_table() -> list[tuple[int, int, int, int, int]]:
    """The kernel's policy table (sysctl net.inet6.ip6.addrctlpolicy) as
    (prefix, mask, prefix length, precedence, label); [] if there is none."""
    try:
        pols = sysctlbyname("net.inet6.ip6.addrctlpolicy") or []
    except OSError:
        return []
    out = []
    for p in pols:
        m = int.from_bytes(p.addrmask.sin6_addr, "big")
        out.append((int.from_bytes(p.addr.sin6_addr, "big") & m, m, bin(m).count("1"),
                    p.preced, p.label))
    return out


def _match_policy(table: list, a6: bytes) -> Optional[tuple[int, int]]:
    """RFC 6724 2.1: the longest matching prefix of the table."""
    v = int.from_bytes(a6, "big")
    best, bestlen = None, -1
    for prefix, mask, plen, preced, label in table:
        if v & mask == prefix and plen > bestlen:
            best, bestlen = (preced, label), plen
    return best


def _masklen(m: Any) -> int:
    if isinstance(m, sockaddr_in6):
        return bin(int.from_bytes(m.sin6_addr, "big")).count("1")
    if isinstance(m, sockaddr_in):
        return bin(int.from_bytes(m.sin_addr, "big")).count("1")
    return 0


class _srcinfo:
    """What the kernel knows of the source addresses, asked only when a rule
    needs it: getifaddrs (name, prefix length, interface type) and the
    address flags (SIOCGIFAFLAG_IN6)."""

    def __init__(self) -> None:
        self._ifas: Optional[list] = None

    def ifas(self) -> list:
        if self._ifas is None:
            try:
                self._ifas = getifaddrs()
            except OSError:
                self._ifas = []
        return self._ifas

    def entry(self, src: Any) -> Optional[ifaddrs]:
        a6 = _as6(src)
        for ifa in self.ifas():
            a = ifa.ifa_addr
            if type(a) is type(src) and _as6(a) == a6 and \
                    getattr(a, "sin6_scope_id", 0) in (0, getattr(src, "sin6_scope_id", 0)):
                return ifa
        return None

    def flags(self, aio: _aio) -> int:
        if aio.srcflags is None:
            aio.srcflags = 0
            src = aio.src
            if isinstance(src, sockaddr_in6):
                # a scoped source names its interface; a global one is looked up
                name = if_indextoname(src.sin6_scope_id) if src.sin6_scope_id else None
                if name is None:
                    ifa = self.entry(src)
                    name = ifa.ifa_name if ifa is not None else None
                if name:
                    aio.srcflags = _in6_addrflags(name, src)
        return aio.srcflags

    def native(self, aio: _aio) -> bool:
        if aio.native is None:
            ifa = self.entry(aio.src)
            aio.native = True
            if ifa is not None:
                for e in self.ifas():
                    if e.ifa_name == ifa.ifa_name and hasattr(e.ifa_addr, "sdl_type"):
                        aio.native = e.ifa_addr.sdl_type not in _TUNNEL_IFTYPES
                        break
        return aio.native

    def matchlen(self, aio: _aio) -> int:
        """RFC 6724 2.2: CommonPrefixLen(Source(D), D), up to the source's prefix length."""
        if aio.matchlen is None:
            ifa = self.entry(aio.src)
            v6 = isinstance(aio.src, sockaddr_in6)
            width = 128 if v6 else 32
            plen = _masklen(ifa.ifa_netmask) if ifa is not None else width
            s, d = _as6(aio.src), aio.dst6
            if not v6:
                s, d = s[12:], d[12:]
            n = width - (int.from_bytes(s, "big") ^ int.from_bytes(d, "big")).bit_length()
            aio.matchlen = min(n, plen)
        return aio.matchlen


def _in6_addrflags(name: str, src: sockaddr_in6) -> int:
    """The IN6_IFF_* flags of our address ``src`` on interface ``name`` (0 if unknown)."""
    from kernel.wire.in6_var import SIOCGIFAFLAG_IN6, in6_ifreq
    from userland.libc_sys import close, ioctl, socket
    try:
        s = socket(AF_INET6, SOCK_DGRAM, IPPROTO_UDP)
    except OSError:
        return 0
    try:
        req = in6_ifreq(name, sockaddr_in6(src.sin6_addr, 0, 0, src.sin6_scope_id))
        return int(ioctl(s, SIOCGIFAFLAG_IN6, req).ifru_flags6)
    except (OSError, AttributeError, TypeError):
        return 0
    finally:
        close(s)


def _set_source(aio: _aio, table: list, cache: dict) -> None:
    """Source(D): connect a UDP socket to D and ask its name (FreeBSD set_source)."""
    from userland.libc_sys import close, connect, getsockname, socket
    sa = aio.ai.ai_addr
    fam = aio.ai.ai_family
    key = (fam, aio.dst6, getattr(sa, "sin6_scope_id", 0))
    if key not in cache:
        src = None
        try:
            s = socket(fam, SOCK_DGRAM, IPPROTO_UDP)
        except OSError:
            s = -1
        if s >= 0:
            try:
                connect(s, sockaddr_in6(sa.sin6_addr, 1, 0, sa.sin6_scope_id)
                        if fam == AF_INET6 else sockaddr_in(sa.sin_addr, 1))
                src = getsockname(s)
            except OSError:
                src = None                      # no route, no address: unusable (Rule 1)
            finally:
                close(s)
        cache[key] = src
    src = cache[key]
    if src is not None:
        aio.src = src
        aio.srcscope = _addrscope(src)
        aio.srcpolicy = _match_policy(table, _as6(src))


def _comp_dst(d1: _aio, d2: _aio, info: _srcinfo) -> int:
    """RFC 6724 6: -1 to prefer ``d1`` (DA), 1 to prefer ``d2`` (DB)."""
    if d1.dst6 == d2.dst6 and d1.src == d2.src:
        return -1 if d1.index < d2.index else 1  # one address, several socket types: Rule 10
    # Rule 1: Avoid unusable destinations.
    if (d1.src is None) != (d2.src is None):
        return 1 if d1.src is None else -1
    if d1.src is not None:
        # Rule 2: Prefer matching scope.
        m1, m2 = d1.dstscope == d1.srcscope, d2.dstscope == d2.srcscope
        if m1 != m2:
            return -1 if m1 else 1
        # Rule 3: Avoid deprecated addresses.
        dep1 = bool(info.flags(d1) & _IN6_IFF_DEPRECATED)
        dep2 = bool(info.flags(d2) & _IN6_IFF_DEPRECATED)
        if dep1 != dep2:
            return 1 if dep1 else -1
        # Rule 4: Prefer home addresses.
        h1, h2 = bool(info.flags(d1) & _IN6_IFF_HOME), bool(info.flags(d2) & _IN6_IFF_HOME)
        if h1 != h2:
            return -1 if h1 else 1
        # Rule 5: Prefer matching label.
        l1 = d1.srcpolicy is not None and d1.dstpolicy is not None and \
            d1.srcpolicy[1] == d1.dstpolicy[1]
        l2 = d2.srcpolicy is not None and d2.dstpolicy is not None and \
            d2.srcpolicy[1] == d2.dstpolicy[1]
        if l1 != l2:
            return -1 if l1 else 1
    # Rule 6: Prefer higher precedence.
    p1 = d1.dstpolicy[0] if d1.dstpolicy is not None else -1
    p2 = d2.dstpolicy[0] if d2.dstpolicy is not None else -1
    if p1 != p2:
        return -1 if p1 > p2 else 1
    if d1.src is not None:
        # Rule 7: Prefer native transport.
        n1, n2 = info.native(d1), info.native(d2)
        if n1 != n2:
            return -1 if n1 else 1
    # Rule 8: Prefer smaller scope.
    if d1.dstscope != d2.dstscope:
        return -1 if d1.dstscope < d2.dstscope else 1
    # Rule 9: Use longest matching prefix (DA and DB of the same family).
    if d1.src is not None and d1.ai.ai_family == d2.ai.ai_family:
        ml1, ml2 = info.matchlen(d1), info.matchlen(d2)
        if ml1 != ml2:
            return -1 if ml1 > ml2 else 1
    # Rule 10: Otherwise, leave the order unchanged.
    return -1 if d1.index < d2.index else (1 if d1.index > d2.index else 0)


def rfc6724_sort(ais: list[addrinfo]) -> list[addrinfo]:
    """``ais`` in the order of RFC 6724 6 (destination address selection), with
    the kernel's policy table and the source addresses the kernel would use."""
    table = _policy_table()
    cache: dict = {}
    aios = []
    for i, ai in enumerate(ais):
        d6 = _as6(ai.ai_addr)
        aio = _aio(ai, i, d6, _addrscope(ai.ai_addr), _match_policy(table, d6))
        _set_source(aio, table, cache)
        aios.append(aio)
    info = _srcinfo()
    aios.sort(key=functools.cmp_to_key(lambda x, y: _comp_dst(x, y, info)))
    return [a.ai for a in aios]


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
