"""ifmcstat(8): dump the multicast group memberships (usr.sbin/ifmcstat/ifmcstat.c).

``ifmcstat [-i interface] [-f inet|inet6|link] [-v]``: per interface, the
groups it joined, as FreeBSD's ifmcstat prints them from getifmaddrs(3) —
the interface's primary address of each family (its first IPv4 address,
its link-local IPv6 address) once, with the IGMP or MLD state of the link
(``net.inet.igmp.ifinfo``, ``net.inet6.mld.ifinfo``: version, flags,
Robustness Variable and intervals; with ``-vv`` the timers), then each
group with its filter mode (``net.inet[6].ip[6].mcast.filters``; with
``-v`` its sources) and the link-layer group it maps to::

    em0:
    	inet 10.0.0.1
    	igmpv3 rv 2 qi 125 qri 10 uri 1
    		group 224.0.0.1 mode exclude
    			mcast-macaddr 01:00:5e:00:00:01
    	inet6 fe80::ff:fe00:a01%em0 scopeid 0x1
    	mldv2 flags=2<USEALLOW> rv 2 qi 125 qri 10 uri 1
    		group ff15::1:2 mode include srcs 2001:db8::1
    			mcast-macaddr 33:33:00:01:00:02

With ``-v`` the link-layer groups follow, with their reference counts as
FreeBSD's kvm backend prints them (``link 02:00:00:00:0a:01``, then
``group 33:33:00:00:00:01 refcnt 2``).  Groups of a family the interface has
no primary address of are not shown, as in FreeBSD.  Errors: an unknown
interface (``em9: unknown interface``, exit 68), an unknown family (exit
64), usage (exit 64).
"""
from __future__ import annotations

from typing import Any, Optional

from kernel.wire.igmp import IGMP_VERSION_3
from kernel.wire.in6 import (AF_INET6, IN6_IS_ADDR_LINKLOCAL, IN6_IS_ADDR_MC_INTFACELOCAL,
                             IN6_IS_ADDR_MC_LINKLOCAL, inet_ntop6, sockaddr_in6)
from kernel.wire.in_ import AF_INET, inet_ntop4, sockaddr_in
from kernel.wire.in_mcast import MCAST_EXCLUDE, MCAST_INCLUDE, MCAST_UNDEFINED
from kernel.wire.mld6 import MLD_VERSION_2
from kernel.wire.route import AF_LINK, sockaddr_dl
from userland import libc
from userland.libc import stderr

EX_OK = 0
EX_USAGE = 64
EX_NOHOST = 68
EX_OSERR = 71

INM_MODES = {MCAST_UNDEFINED: "undefined", MCAST_INCLUDE: "include", MCAST_EXCLUDE: "exclude"}
IGMP_FLAGS = "\020\1SILENT\2LOOPBACK"
MLD_FLAGS = "\020\1SILENT\2USEALLOW"


def usage() -> None:
    libc.fprintf(stderr, "usage: ifmcstat [-i interface] [-f address family] [-v]\n")
    libc.exit(EX_USAGE)


def printb(s: str, v: int, bits: str) -> str:
    """The ``%b`` form of the BSD tools: ``flags=2<USEALLOW>``."""
    out = f"{s}={v:o}" if bits[0] == "\010" else f"{s}={v:x}"
    names = []
    i = 1
    while i < len(bits):
        bit = ord(bits[i])
        j = i + 1
        while j < len(bits) and ord(bits[j]) > 32:
            j += 1
        if v & (1 << (bit - 1)):
            names.append(bits[i + 1:j])
        i = j
    return out + "<" + ",".join(names) + ">"


def hexname(b: bytes) -> str:
    """getnameinfo(3) of a sockaddr_dl: the link-layer address, ``%02x`` with colons."""
    return ":".join(f"{x:02x}" for x in b)


def inet6_n2a(addr: bytes, scope_id: int) -> str:
    return libc.getnameinfo(sockaddr_in6(addr, 0, 0, scope_id), libc.NI_NUMERICHOST)[0]


def _scope_of(addr: bytes, ifindex: int) -> int:
    """The sin6_scope_id the kernel gives a scoped group or address (RFC 4007)."""
    if IN6_IS_ADDR_LINKLOCAL(addr) or IN6_IS_ADDR_MC_LINKLOCAL(addr) \
            or IN6_IS_ADDR_MC_INTFACELOCAL(addr):
        return ifindex
    return 0


class Ifmcstat:
    def __init__(self) -> None:
        self.ifindex = 0
        self.af = 0
        self.vflag = 0
        self.igmp: dict[int, Any] = {}
        self.mld: dict[int, Any] = {}

    def _ifinfo(self) -> None:
        for node, table, key in (("net.inet.igmp.ifinfo", self.igmp, "igi_ifindex"),
                                 ("net.inet6.mld.ifinfo", self.mld, "mli_ifindex")):
            try:
                for info in libc.sysctlbyname(node):
                    table[getattr(info, key)] = info
            except OSError:
                pass

    def ifinfo_line(self, proto: str, p: str, info: Any, maxv: int, bits: str,
                    timers: tuple[str, ...]) -> str:
        """in_ifinfo / in6_ifinfo: ``igmpv3 rv 2 qi 125 qri 10 uri 1`` (``p`` is
        the prefix of the fields: ``igi_`` or ``mli_``)."""
        v = getattr(info, p + "version")
        line = "\t" + (f"{proto}v{v}" if 1 <= v <= maxv else f"{proto}v?({v})")
        flags = getattr(info, p + "flags")
        if flags:
            line += printb(" flags", flags, bits)
        if v == maxv:
            line += " rv %u qi %u qri %u uri %u" % tuple(getattr(info, p + f)
                                                       for f in ("rv", "qi", "qri", "uri"))
        if self.vflag >= 2:
            line += "".join(f" {t}timer {getattr(info, f'{p}{t}_timer')}" for t in timers)
        return line + "\n"

    def primary(self, ifas: list[Any], name: str, family: int) -> Optional[Any]:
        """The interface's first address of ``family`` (for IPv6 the link-local one)."""
        for ifa in ifas:
            if ifa.ifa_name != name or ifa.ifa_addr is None:
                continue
            a = ifa.ifa_addr
            if family == AF_INET and isinstance(a, sockaddr_in):
                return a
            if family == AF_INET6 and isinstance(a, sockaddr_in6) and IN6_IS_ADDR_LINKLOCAL(a.sin6_addr):
                return a
            if family == AF_LINK and isinstance(a, sockaddr_dl):
                return a
        return None

    def sources(self, ma: Any) -> str:
        """`` mode include`` and, with -v, `` srcs a,b``."""
        out = f" mode {INM_MODES.get(ma.ifma_fmode, f'({ma.ifma_fmode})')}"
        if self.vflag and ma.ifma_sources:
            ntop = inet_ntop4 if ma.ifma_family == AF_INET else inet_ntop6
            out += " srcs " + ",".join(ntop(s) for s in ma.ifma_sources)
        return out

    def run(self) -> int:
        try:
            ifas = libc.getifaddrs()
            ifmas = libc.getifmaddrs()
        except OSError:
            libc.warn("getifmaddrs")
            return -1
        self._ifinfo()
        lastifindex = 0
        lastifasa: Any = None
        for ma in ifmas:
            if self.ifindex and ma.ifma_index != self.ifindex:
                continue
            if self.af and ma.ifma_family != self.af:
                continue
            if ma.ifma_index != lastifindex:
                lastifindex = ma.ifma_index
                lastifasa = None
                libc.printf("%s:\n", ma.ifma_name)
            pifasa = self.primary(ifas, ma.ifma_name, ma.ifma_family)
            if pifasa is None:
                continue                        # primary address not found
            if not self.vflag and ma.ifma_family == AF_LINK:
                continue
            if pifasa != lastifasa:
                libc.printf("%s", self.primary_line(pifasa, ma.ifma_index))
                lastifasa = pifasa
            libc.printf("%s", self.group_lines(ma))
        return 0

    def primary_line(self, sa: Any, idx: int) -> str:
        if isinstance(sa, sockaddr_in):
            line = f"\tinet {inet_ntop4(sa.sin_addr)}\n"
            igi = self.igmp.get(idx)
            return line + (self.ifinfo_line("igmp", "igi_", igi, IGMP_VERSION_3, IGMP_FLAGS,
                                            ("v1", "v2", "v3")) if igi is not None else "")
        if isinstance(sa, sockaddr_in6):
            line = f"\tinet6 {inet6_n2a(sa.sin6_addr, sa.sin6_scope_id)}"
            if sa.sin6_scope_id:
                line += f" scopeid 0x{sa.sin6_scope_id:x}"
            mli = self.mld.get(idx)
            return line + "\n" + (self.ifinfo_line("mld", "mli_", mli, MLD_VERSION_2, MLD_FLAGS,
                                                   ("v1", "v2")) if mli is not None else "")
        return f"\tlink {hexname(sa.sdl_lladdr)}\n"

    def group_lines(self, ma: Any) -> str:
        if ma.ifma_family == AF_LINK:
            # the link-layer list with its references (FreeBSD's kvm format)
            return f"\t\tgroup {hexname(ma.ifma_addr)} refcnt {ma.ifma_refcount}\n"
        if ma.ifma_family == AF_INET6:
            scope = _scope_of(ma.ifma_addr, ma.ifma_index)
            line = f"\t\tgroup {inet6_n2a(ma.ifma_addr, scope)}"
            if scope:
                line += f" scopeid 0x{scope:x}"
        else:
            line = f"\t\tgroup {inet_ntop4(ma.ifma_addr)}"
        line += self.sources(ma) + "\n"
        if ma.ifma_lladdr:
            line += f"\t\t\tmcast-macaddr {hexname(ma.ifma_lladdr)}\n"
        return line


def main(argv: list[str]) -> int:
    m = Ifmcstat()
    opts, args = libc.getopt(argv, "i:f:vM:N:")
    for o, a in opts:
        if o == "i":
            m.ifindex = libc.if_nametoindex(a or "")
            if m.ifindex == 0:
                libc.fprintf(stderr, "%s: unknown interface\n", a)
                libc.exit(EX_NOHOST)
        elif o == "f":
            fam = {"inet": AF_INET, "inet6": AF_INET6, "link": AF_LINK}.get(a or "")
            if fam is None:
                libc.fprintf(stderr, "%s: unknown address family\n", a)
                libc.exit(EX_USAGE)
            m.af = fam
        elif o == "v":
            m.vflag += 1
        elif o in ("M", "N"):
            pass                                # kvm(3) files: the sysctl backend only
        else:
            usage()
    if m.af == AF_LINK and m.vflag:
        usage()
    return EX_OSERR if m.run() != 0 else EX_OK
