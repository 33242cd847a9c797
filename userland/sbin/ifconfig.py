"""ifconfig(8): configure network interface parameters (sbin/ifconfig: ifconfig.c,
af_link.c, af_inet.c, af_inet6.c, af_nd6.c, ifmedia.c, ifgroup.c).

``ifconfig`` / ``ifconfig -a`` show every interface, ``ifconfig em0`` one,
``ifconfig -l`` lists the names; ``ifconfig em0 inet 192.0.2.1/24``,
``ifconfig em0 inet 192.0.2.1 netmask 255.255.255.0 [broadcast B]
[alias|-alias|delete]`` (SIOCAIFADDR / SIOCDIFADDR on an AF_INET socket;
without ``alias`` the new address replaces the interface's first one, as
FreeBSD's does), ``ifconfig em0 inet6 2001:db8::1 prefixlen
64 [alias|-alias|delete]``, ``up``, ``down``, ``mtu N``, ``metric N``,
``promisc``, ``inet6 [-]ifdisabled``, ``inet6 [-]accept_rtadv`` and the other
ND flags, address flags (``anycast``, ``tentative``, ``deprecated``,
``autoconf``, ``prefer_source``) and lifetimes (``pltime``, ``vltime``;
shown with ``-L``: seconds left, ``infty`` for an infinite one).  The
``media:`` and ``status:`` lines are what SIOCGIFMEDIA answers: the link the
NIC reports, ``no carrier`` when the cable is out.
Everything goes through ioctls on a socket; the list of interfaces and
addresses comes from getifaddrs(3).  The status looks as FreeBSD's:

    em0: flags=8843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST> metric 0 mtu 1500
    \tether 02:00:00:00:12:01
    \tinet 192.0.2.1 netmask 0xffffff00 broadcast 192.0.2.255
    \tinet6 fe80::ff:fe00:1201%em0 prefixlen 64 scopeid 0x2
    \tmedia: Ethernet autoselect (1000baseT <full-duplex>)
    \tstatus: active
    \tnd6 options=21<PERFORMNUD,AUTO_LINKLOCAL>

Cloned interfaces — ``ifconfig gif0 create``, ``destroy``, ``ifconfig -C`` —
are ifconfig_ifclone.py (ifclone.c); tunnel endpoints — ``tunnel A B``,
``deletetunnel`` and the ``tunnel inet[6] A --> B`` status line — are
ifconfig_tunnel.py.

The address family is ``inet`` unless another is named (FreeBSD's default),
so an IPv6 address needs ``inet6``.  Unlike FreeBSD, lines end without the
trailing blank af_inet.c and af_inet6.c leave after the last word.
"""
from __future__ import annotations

from typing import Any, Callable, Optional

from kernel.wire.errno import EADDRNOTAVAIL, ENXIO, EPERM
from kernel.wire.in6 import IN6_IS_ADDR_LINKLOCAL, sockaddr_in6
from kernel.wire.in_ import inet_aton, inet_ntop4, sockaddr_in
from kernel.wire.in_var import SIOCAIFADDR, SIOCDIFADDR, in_aliasreq, in_ifreq
from kernel.wire.in6_var import (IN6_IFF_ANYCAST, IN6_IFF_AUTOCONF, IN6_IFF_DEPRECATED,
                                 IN6_IFF_DETACHED, IN6_IFF_DUPLICATED, IN6_IFF_PREFER_SOURCE,
                                 IN6_IFF_TEMPORARY, IN6_IFF_TENTATIVE, ND6_IFF_ACCEPT_RTADV,
                                 ND6_IFF_AUTO_LINKLOCAL, ND6_IFF_IFDISABLED, ND6_IFF_NO_DAD,
                                 ND6_IFF_NO_PREFER_IFACE, ND6_IFF_NO_RADR, ND6_IFF_PERFORMNUD,
                                 ND6_INFINITE_LIFETIME, SIOCAIFADDR_IN6,
                                 SIOCDIFADDR_IN6, SIOCGDEFIFACE_IN6, SIOCGIFAFLAG_IN6,
                                 SIOCGIFALIFETIME_IN6, SIOCGIFINFO_IN6, SIOCSDEFIFACE_IN6,
                                 SIOCSIFINFO_IN6, in6_addrlifetime, in6_aliasreq, in6_ifreq,
                                 in6_ndifreq, in6_ndireq)
from kernel.wire.net_if import (IFF, IFF_PPROMISC, IFM_ACTIVE, IFM_AVALID, IFM_ETHER,
                                IFM_ETHER_SUBTYPE_NAMES, IFM_SHARED_OPTION_NAMES, IFM_SUBTYPE,
                                IFM_TYPE, IFT, ifgroupreq, ifmediareq, ifreq)
from kernel.wire.route import AF_LINK, sockaddr_dl
from kernel.wire.sockio import (SIOCGIFFLAGS, SIOCGIFGROUP, SIOCGIFMEDIA, SIOCGIFMETRIC,
                                SIOCGIFMTU, SIOCSIFFLAGS, SIOCSIFMETRIC, SIOCSIFMTU)
from userland import libc
from userland.libc import stderr
from userland.sbin import ifconfig_ifclone, ifconfig_tunnel

AF_INET = 2
AF_INET6 = 28
SOCK_DGRAM = 2

IFFBITS = [(0x1, "UP"), (0x2, "BROADCAST"), (0x4, "DEBUG"), (0x8, "LOOPBACK"),
           (0x10, "POINTOPOINT"), (0x40, "RUNNING"), (0x80, "NOARP"), (0x100, "PROMISC"),
           (0x200, "ALLMULTI"), (0x400, "OACTIVE"), (0x800, "SIMPLEX"), (0x1000, "LINK0"),
           (0x2000, "LINK1"), (0x4000, "LINK2"), (0x8000, "MULTICAST"),
           (0x20000, "PPROMISC"), (0x40000, "MONITOR"), (0x80000, "STATICARP")]
ND6BITS = [(0x1, "PERFORMNUD"), (0x2, "ACCEPT_RTADV"), (0x4, "PREFER_SOURCE"),
           (0x8, "IFDISABLED"), (0x10, "DONT_SET_IFROUTE"), (0x20, "AUTO_LINKLOCAL"),
           (0x40, "NO_RADR"), (0x80, "NO_PREFER_IFACE"), (0x100, "NO_DAD"),
           (0x8000, "DEFAULTIF")]
IN6_FLAG_WORDS = [(IN6_IFF_ANYCAST, "anycast"), (IN6_IFF_TENTATIVE, "tentative"),
                  (IN6_IFF_DUPLICATED, "duplicated"), (IN6_IFF_DETACHED, "detached"),
                  (IN6_IFF_DEPRECATED, "deprecated"), (IN6_IFF_AUTOCONF, "autoconf"),
                  (IN6_IFF_TEMPORARY, "temporary"), (IN6_IFF_PREFER_SOURCE, "prefer_source")]

# address families ifconfig knows: name -> af
AFS = {"inet6": AF_INET6, "inet": AF_INET, "link": AF_LINK, "ether": AF_LINK,
       "lladdr": AF_LINK}

# which request slot an address goes to (ifconfig.h)
RIDADDR, ADDR, MASK, DSTADDR = 0, 1, 2, 3


def printb(s: str, v: int, bits: list[tuple[int, str]]) -> str:
    """The kernel's %b: ``flags=8843<UP,BROADCAST,...>``."""
    names = [n for b, n in bits if v & b]
    return "%s=%x<%s>" % (s, v, ",".join(names))


def in6_prefixlen(mask: bytes) -> int:
    """af_inet6.c prefix(): the length of a contiguous mask, 0 otherwise."""
    v = int.from_bytes(mask, "big")
    plen = 128 - ((~v) & ((1 << 128) - 1)).bit_length()
    return plen if v == (((1 << plen) - 1) << (128 - plen) if plen else 0) else 0


def prefix_mask(plen: int) -> bytes:
    return ((((1 << plen) - 1) << (128 - plen)) if plen else 0).to_bytes(16, "big")


class Ifconfig:
    def __init__(self) -> None:
        self.name = ""
        self.verbose = 0
        self.supmedia = False
        self.ip6lifetime = 0
        # the deferred address operation (ifconfig.c's globals)
        self.setaddr = 0
        self.setmask = 0
        self.doalias = 0
        self.clearaddr = 0
        self.newaddr = 1
        self.explicit_prefix = False
        self.addreq = in6_aliasreq()
        self.addr: Optional[sockaddr_in6] = None
        self.mask: Optional[sockaddr_in6] = None
        self.dstaddr: Optional[sockaddr_in6] = None
        self.ifra_flags = 0
        self.vltime = ND6_INFINITE_LIFETIME
        self.pltime = ND6_INFINITE_LIFETIME
        self.s = -1
        self.af = AF_INET6                  # the family the addresses are of
        # af_inet.c's sintab: ridreq.ifr_addr, addreq.ifra_addr, ifra_mask, ifra_broadaddr
        self.sin: dict[int, Optional[sockaddr_in]] = {RIDADDR: None, ADDR: None, MASK: None,
                                                      DSTADDR: None}

    # -- errors ------------------------------------------------------------------------------
    def Perror(self, cmd: str) -> None:
        e = libc.errno()
        if e == ENXIO:
            libc.errx(1, "%s: no such interface", cmd)
        elif e == EPERM:
            libc.errx(1, "%s: permission denied", cmd)
        else:
            libc.err(1, "%s", cmd)

    def ioctl(self, cmd: int, data: Any) -> Any:
        return libc.ioctl(self.s, cmd, data)

    # -- status --------------------------------------------------------------------------------
    def status(self, af: Optional[int], ents: list[Any]) -> None:
        ifa = ents[0]
        allfamilies = af is None
        s = self.s
        out = "%s: %s" % (self.name, printb("flags", ifa.ifa_flags & 0xFFFFFFFF, IFFBITS))
        try:
            r = libc.ioctl(s, SIOCGIFMETRIC, ifreq(self.name))
            out += " metric %d" % r.ifr_metric
        except OSError:
            pass
        try:
            r = libc.ioctl(s, SIOCGIFMTU, ifreq(self.name))
            out += " mtu %d" % r.ifr_mtu
        except OSError:
            pass
        libc.printf("%s\n", out)
        ifconfig_tunnel.tunnel_status(self)         # tunnel_status(s): gif(4) endpoints
        for ent in ents:
            fam = self._family(ent.ifa_addr)
            if fam is None:
                continue
            if allfamilies or af == fam or (af == AF_LINK and fam == AF_LINK):
                if fam == AF_LINK:
                    self.link_status(ent)
                elif fam == AF_INET:
                    self.in_status(ent)
                elif fam == AF_INET6:
                    self.in6_status(ent)
        if allfamilies:
            self.group_status()
            self.media_status()
            self.nd6_status()
        elif af == AF_INET6:
            self.nd6_status()

    @staticmethod
    def _family(sa: Any) -> Optional[int]:
        if isinstance(sa, sockaddr_dl):
            return AF_LINK
        if isinstance(sa, sockaddr_in6):
            return AF_INET6
        if isinstance(sa, sockaddr_in):
            return AF_INET
        return None

    @staticmethod
    def in_status(ifa: Any) -> None:
        """af_inet.c in_status: ``inet A [--> P] netmask 0x... [broadcast B]``."""
        null = sockaddr_in()
        sin = ifa.ifa_addr
        line = "\tinet %s " % inet_ntop4(sin.sin_addr)
        if ifa.ifa_flags & IFF.POINTOPOINT:
            dst = ifa.ifa_dstaddr if isinstance(ifa.ifa_dstaddr, sockaddr_in) else null
            line += "--> %s " % inet_ntop4(dst.sin_addr)
        mask = ifa.ifa_netmask if isinstance(ifa.ifa_netmask, sockaddr_in) else null
        line += "netmask 0x%x " % int.from_bytes(mask.sin_addr, "big")
        if ifa.ifa_flags & IFF.BROADCAST:
            brd = ifa.ifa_dstaddr
            if isinstance(brd, sockaddr_in) and brd.sin_addr != null.sin_addr:
                line += "broadcast %s" % inet_ntop4(brd.sin_addr)
        libc.printf("%s\n", line.rstrip(" "))

    def link_status(self, ifa: Any) -> None:
        """af_link.c: ``ether`` for an Ethernet address, ``lladdr`` for others."""
        sdl = ifa.ifa_addr
        if not sdl.sdl_lladdr:
            return
        if sdl.sdl_type == IFT.ETHER and len(sdl.sdl_lladdr) == 6:
            libc.printf("\tether %s\n", libc.ether_ntoa(sdl.sdl_lladdr))
        else:
            libc.printf("\tlladdr %s\n", libc.link_ntoa(sdl).split(":", 1)[-1])

    def in6_status(self, ifa: Any) -> None:
        """af_inet6.c in6_status: one ``inet6`` line per address."""
        sin = ifa.ifa_addr
        try:
            s6 = libc.socket(AF_INET6, SOCK_DGRAM, 0)
        except OSError:
            libc.warn("socket(AF_INET6,SOCK_DGRAM)")
            return
        try:
            try:
                flags6 = libc.ioctl(s6, SIOCGIFAFLAG_IN6, in6_ifreq(self.name, sin)).ifru_flags6
            except OSError:
                libc.warn("ioctl(SIOCGIFAFLAG_IN6)")
                return
            try:
                lt = libc.ioctl(s6, SIOCGIFALIFETIME_IN6,
                                in6_ifreq(self.name, sin)).ifru_lifetime
            except OSError:
                libc.warn("ioctl(SIOCGIFALIFETIME_IN6)")
                return
        finally:
            libc.close(s6)
        try:
            host = libc.getnameinfo(sin, libc.NI_NUMERICHOST)[0]
        except OSError:
            host = libc.inet_ntop(AF_INET6, sin.sin6_addr)
        line = "\tinet6 %s" % host
        if ifa.ifa_flags & IFF.POINTOPOINT and isinstance(ifa.ifa_dstaddr, sockaddr_in6):
            line += " --> %s" % libc.getnameinfo(ifa.ifa_dstaddr, libc.NI_NUMERICHOST)[0]
        mask = ifa.ifa_netmask
        line += " prefixlen %d" % in6_prefixlen(mask.sin6_addr if mask is not None else bytes(16))
        for bit, word in IN6_FLAG_WORDS:
            if flags6 & bit:
                line += " " + word
        if sin.sin6_scope_id:
            line += " scopeid 0x%x" % sin.sin6_scope_id
        # af_inet6.c: the lifetimes only with -L, and only when one of them ends
        if self.ip6lifetime and (lt.ia6t_preferred or lt.ia6t_expire):
            now = libc.clock_gettime(libc.CLOCK_MONOTONIC).tv_sec
            for word, t in (("pltime", lt.ia6t_preferred), ("vltime", lt.ia6t_expire)):
                line += " " + word
                if t:
                    line += " %s" % ("0" if t < now else str(t - now))
                else:
                    line += " infty"
        libc.printf("%s\n", line)

    def group_status(self) -> None:
        """ifgroup.c: ``groups:`` (the group ``all`` is not shown)."""
        try:
            r = libc.ioctl(self.s, SIOCGIFGROUP, ifgroupreq(self.name))
        except OSError:
            return
        groups = [g for g in r.ifgr_groups if g != "all"]
        if groups:
            libc.printf("\tgroups: %s\n", " ".join(groups))

    @staticmethod
    def media_word(w: int, toptype: bool) -> str:
        """ifmedia.c print_media_word."""
        if IFM_TYPE(w) != IFM_ETHER:
            return "<unknown type>"
        out = "Ethernet " if toptype else ""
        sub = IFM_ETHER_SUBTYPE_NAMES.get(IFM_SUBTYPE(w))
        if sub is None:
            return out + "unknown subtype"
        out += sub
        opts = [n for bit, n in IFM_SHARED_OPTION_NAMES if w & bit]
        if opts:
            out += " <%s>" % ",".join(opts)
        return out

    @staticmethod
    def media_word_ifconfig(w: int) -> str:
        """ifmedia.c print_media_word_ifconfig (``ifconfig -m``)."""
        sub = IFM_ETHER_SUBTYPE_NAMES.get(IFM_SUBTYPE(w), "unknown subtype")
        out = "media " + sub
        opts = [n for bit, n in IFM_SHARED_OPTION_NAMES if w & bit]
        if opts:
            out += " mediaopt " + ",".join(opts)
        return out

    def media_status(self) -> None:
        try:
            ifmr = libc.ioctl(self.s, SIOCGIFMEDIA, ifmediareq(self.name))
        except OSError:
            return
        if not ifmr.ifm_ulist:
            libc.warnx("%s: no media types?", self.name)
            return
        line = "\tmedia: " + self.media_word(ifmr.ifm_current, True)
        if ifmr.ifm_active != ifmr.ifm_current:
            line += " (%s)" % self.media_word(ifmr.ifm_active, False)
        libc.printf("%s\n", line)
        if ifmr.ifm_status & IFM_AVALID:
            if IFM_TYPE(ifmr.ifm_active) == IFM_ETHER:
                st = "active" if ifmr.ifm_status & IFM_ACTIVE else "no carrier"
            else:
                st = "active" if ifmr.ifm_status & IFM_ACTIVE else "inactive"
            libc.printf("\tstatus: %s\n", st)
        if self.supmedia:
            libc.printf("\tsupported media:\n")
            for w in ifmr.ifm_ulist:
                libc.printf("\t\t%s\n", self.media_word_ifconfig(w))

    def nd6_status(self) -> None:
        """af_nd6.c nd6_status: ``nd6 options=...``."""
        try:
            s6 = libc.socket(AF_INET6, SOCK_DGRAM, 0)
        except OSError:
            return
        try:
            try:
                nd = libc.ioctl(s6, SIOCGIFINFO_IN6, in6_ndireq(self.name))
            except OSError:
                libc.warn("ioctl(SIOCGIFINFO_IN6)")
                return
            isdefif = 0
            try:
                r = libc.ioctl(s6, SIOCGDEFIFACE_IN6, in6_ndifreq("lo0"))
                isdefif = int(r.ifindex != 0 and r.ifindex == libc.if_nametoindex(self.name))
            except OSError:
                pass
        finally:
            libc.close(s6)
        flags = nd.ndi.flags
        if flags == 0 and not isdefif:
            return
        libc.printf("%s\n", printb("\tnd6 options", flags | (isdefif << 15), ND6BITS))

    # -- changing things -----------------------------------------------------------------------
    def setifflags(self, vname: str, value: int) -> None:
        try:
            r = libc.ioctl(self.s, SIOCGIFFLAGS, ifreq(self.name))
        except OSError:
            self.Perror("ioctl (SIOCGIFFLAGS)")
            libc.exit(1)
            return
        flags = (r.ifr_flags & 0xFFFF) | (r.ifr_flagshigh << 16)
        if value < 0:
            flags &= ~(-value)
        else:
            flags |= value
        try:
            libc.ioctl(self.s, SIOCSIFFLAGS,
                       ifreq(self.name, ifr_flags=flags & 0xFFFF, ifr_flagshigh=flags >> 16))
        except OSError:
            self.Perror(vname)

    def setifmtu(self, val: str) -> None:
        try:
            libc.ioctl(self.s, SIOCSIFMTU, ifreq(self.name, ifr_mtu=libc.atoi(val)))
        except OSError:
            libc.warn("ioctl (set mtu)")

    def setifmetric(self, val: str) -> None:
        try:
            libc.ioctl(self.s, SIOCSIFMETRIC, ifreq(self.name, ifr_metric=libc.atoi(val)))
        except OSError:
            libc.warn("ioctl (set metric)")

    def setnd6flags(self, d: int) -> None:
        try:
            nd = libc.ioctl(self.s, SIOCGIFINFO_IN6, in6_ndireq(self.name))
        except OSError:
            libc.warn("ioctl(SIOCGIFINFO_IN6)")
            return
        if d < 0:
            nd.ndi.flags &= ~(-d)
        else:
            nd.ndi.flags |= d
        try:
            libc.ioctl(self.s, SIOCSIFINFO_IN6, nd)
        except OSError:
            libc.warn("ioctl(SIOCSIFINFO_IN6)")

    def setnd6defif(self, d: int) -> None:
        idx = libc.if_nametoindex(self.name)
        req = in6_ndifreq("lo0")
        if d < 0:
            try:
                cur = libc.ioctl(self.s, SIOCGDEFIFACE_IN6, in6_ndifreq("lo0"))
            except OSError:
                libc.warn("ioctl(SIOCGDEFIFACE_IN6)")
                return
            if cur.ifindex != idx:
                return                              # not the default interface
            req.ifindex = 0
        else:
            req.ifindex = idx
        try:
            libc.ioctl(self.s, SIOCSDEFIFACE_IN6, req)
        except OSError:
            libc.warn("ioctl(SIOCSDEFIFACE_IN6)")

    def setip6flags(self, flag: int) -> None:
        if flag < 0:
            self.ifra_flags &= ~(-flag)
        else:
            self.ifra_flags |= flag

    def setip6lifetime(self, cmd: str, val: Optional[str]) -> None:
        try:
            v = int(val or "", 0)
            if v < 0:
                raise ValueError
        except ValueError:
            libc.errx(1, "invalid %s", cmd)
            return
        if cmd == "vltime":
            self.vltime = v & 0xFFFFFFFF
        else:
            self.pltime = v & 0xFFFFFFFF

    def in6_getprefix(self, plen: str, which: int) -> None:
        n = libc.atoi(plen)
        if n < 0 or n > 128:
            libc.errx(1, "%s: bad value", plen)
        mask = sockaddr_in6(prefix_mask(128 if n == 0 else n))
        if which == MASK:
            self.mask = mask

    def in6_getaddr(self, s: str, which: int) -> None:
        if which == ADDR or which == RIDADDR:
            if "/" in s:
                s, _, plen = s.rpartition("/")
                self.in6_getprefix(plen, MASK)
                self.explicit_prefix = True
        sa = None
        try:
            ai = libc.getaddrinfo(s, None, libc.addrinfo(ai_family=AF_INET6))
            sa = ai[0].ai_addr
        except OSError:
            a = libc.inet_pton(AF_INET6, s)
            if a is None:
                libc.errx(1, "%s: bad value", s)
                return
            sa = sockaddr_in6(a)
        if which == DSTADDR:
            self.dstaddr = sa
        else:
            self.addr = sa

    def getaddr(self, addr: str, which: int) -> None:
        """afp->af_getaddr of the family the command is about."""
        if self.af == AF_INET:
            self.in_getaddr(addr, which)
        else:
            self.in6_getaddr(addr, which)

    def setifaddr(self, addr: str) -> None:
        self.setaddr += 1
        if self.doalias == 0:
            self.clearaddr = 1
        self.getaddr(addr, ADDR if self.doalias >= 0 else RIDADDR)

    def notealias(self, param: int) -> None:
        if self.setaddr and self.doalias == 0 and param < 0:
            self.sin[RIDADDR] = self.sin[ADDR]     # "ifconfig em0 inet A -alias": delete A
        self.doalias = param
        if param < 0:
            self.clearaddr = 1
            self.newaddr = 0
        else:
            self.clearaddr = 0

    def setip6eui64(self) -> None:
        if self.addr is None or self.addr.sin6_addr[8:] != bytes(8):
            libc.errx(1, "interface index is already filled")
            return
        ll = None
        for ifa in libc.getifaddrs():
            a = ifa.ifa_addr
            if ifa.ifa_name == self.name and isinstance(a, sockaddr_in6) \
                    and IN6_IS_ADDR_LINKLOCAL(a.sin6_addr):
                ll = a.sin6_addr
                break
        if ll is None:
            libc.errx(1, "could not determine link local address")
            return
        self.addr = sockaddr_in6(self.addr.sin6_addr[:8] + ll[8:], 0, 0, self.addr.sin6_scope_id)

    def commands(self) -> dict[str, tuple[int, Callable[..., None]]]:
        """name -> (parameter: 0 none, 1 NEXTARG, handler)."""
        c: dict[str, tuple[int, Callable[..., None]]] = {}

        def flag(name: str, value: int) -> None:
            c[name] = (0, lambda v=value, n=name: self.setifflags(n, v))
        for name, value in (("up", int(IFF.UP)), ("down", -int(IFF.UP)),
                            ("arp", -int(IFF.NOARP)), ("-arp", int(IFF.NOARP)),
                            ("debug", int(IFF.DEBUG)), ("-debug", -int(IFF.DEBUG)),
                            ("promisc", IFF_PPROMISC), ("-promisc", -IFF_PPROMISC),
                            ("link0", int(IFF.LINK0)), ("-link0", -int(IFF.LINK0)),
                            ("link1", int(IFF.LINK1)), ("-link1", -int(IFF.LINK1)),
                            ("link2", int(IFF.LINK2)), ("-link2", -int(IFF.LINK2))):
            flag(name, value)
        for name, param in (("add", 1), ("alias", 1), ("-alias", -1), ("delete", -1),
                            ("remove", -1)):
            c[name] = (0, lambda p=param: self.notealias(p))
        c["mtu"] = (1, self.setifmtu)
        c["metric"] = (1, self.setifmetric)
        c["netmask"] = (1, self._netmask)
        c["broadcast"] = (1, self._broadcast)
        c["prefixlen"] = (1, self._prefixlen)
        for name, value in (("anycast", IN6_IFF_ANYCAST), ("tentative", IN6_IFF_TENTATIVE),
                            ("-tentative", -IN6_IFF_TENTATIVE),
                            ("deprecated", IN6_IFF_DEPRECATED),
                            ("-deprecated", -IN6_IFF_DEPRECATED),
                            ("autoconf", IN6_IFF_AUTOCONF), ("-autoconf", -IN6_IFF_AUTOCONF),
                            ("prefer_source", IN6_IFF_PREFER_SOURCE),
                            ("-prefer_source", -IN6_IFF_PREFER_SOURCE)):
            c[name] = (0, lambda v=value: self.setip6flags(v))
        for name, value in (("accept_rtadv", ND6_IFF_ACCEPT_RTADV),
                            ("no_radr", ND6_IFF_NO_RADR),
                            ("ifdisabled", ND6_IFF_IFDISABLED), ("nud", ND6_IFF_PERFORMNUD),
                            ("auto_linklocal", ND6_IFF_AUTO_LINKLOCAL),
                            ("no_prefer_iface", ND6_IFF_NO_PREFER_IFACE),
                            ("no_dad", ND6_IFF_NO_DAD)):
            c[name] = (0, lambda v=value: self.setnd6flags(v))
            c["-" + name] = (0, lambda v=value: self.setnd6flags(-v))
        c["defaultif"] = (0, lambda: self.setnd6defif(1))
        c["-defaultif"] = (0, lambda: self.setnd6defif(-1))
        c["pltime"] = (1, lambda v: self.setip6lifetime("pltime", v))
        c["vltime"] = (1, lambda v: self.setip6lifetime("vltime", v))
        c["eui64"] = (0, self.setip6eui64)
        c.update(ifconfig_ifclone.commands(self))   # create, destroy (ifclone.c)
        c.update(ifconfig_tunnel.commands(self))    # tunnel, deletetunnel
        return c

    def _prefixlen(self, v: str) -> None:
        if self.af == AF_INET6:          # af_inet.c has no af_getprefix: ignored for inet
            self.in6_getprefix(v, MASK)
        self.explicit_prefix = True

    def _broadcast(self, v: str) -> None:
        """``broadcast 192.0.2.255`` (setifbroadaddr)."""
        if self.af == AF_INET:
            self.in_getaddr(v, DSTADDR)
        elif self.af == AF_INET6:
            self.in6_getaddr(v, DSTADDR)

    def in_getaddr(self, s: str, which: int) -> None:
        """af_inet.c in_getaddr: a dotted quad (any inet_aton(3) form) or a name
        of /etc/hosts; for the address, ``/masklen`` sets the netmask too."""
        shown = s
        if which == ADDR and "/" in s:
            s, _, width = s.rpartition("/")
            errstr = None
            if not width[:1].isdigit():
                errstr = "invalid"
            elif not width.isdigit():
                errstr = "invalid"
            elif int(width) > 32:
                errstr = "too large"
            if errstr is not None:
                libc.errx(1, "%s: bad value (width %s)", shown, errstr)
                return
            n = int(width)
            self.sin[MASK] = sockaddr_in(((0xFFFFFFFF << (32 - n)) & 0xFFFFFFFF).to_bytes(4, "big"))
        a = inet_aton(s)
        if a is None:
            try:
                ai = libc.getaddrinfo(s, None, libc.addrinfo(ai_family=AF_INET))
                a = ai[0].ai_addr.sin_addr
            except OSError:
                libc.errx(1, "%s: bad value", s)
                return
        self.sin[which] = sockaddr_in(a)

    def _netmask(self, v: str) -> None:
        """``netmask 255.255.255.0`` / ``netmask 0xffffff00`` for inet,
        ``netmask ffff:ffff:ffff:ffff::`` for inet6 (setifnetmask)."""
        self.setmask += 1
        if self.af == AF_INET:
            self.in_getaddr(v, MASK)
            return
        a = libc.inet_pton(AF_INET6, v)
        if a is None:
            libc.errx(1, "%s: bad value", v)
            return
        self.mask = sockaddr_in6(a)
        self.explicit_prefix = True

    def ifconfig(self, args: list[str], af: Optional[int]) -> int:
        """Carry out the parameters after the interface name (ifconfig.c ifconfig())."""
        fam = af if af is not None else AF_INET      # af_getbyname("inet")
        self.af = fam
        s4 = -1
        if fam != AF_INET6 and fam != AF_LINK:
            try:
                s4 = libc.socket(fam, SOCK_DGRAM, 0)
            except OSError:
                libc.err(1, "socket(family %u,SOCK_DGRAM", fam)
                return 1
        try:
            self.s = libc.socket(AF_INET6, SOCK_DGRAM, 0)
        except OSError:
            libc.err(1, "socket(family %u,SOCK_DGRAM", AF_INET6)
            return 1
        cmds = self.commands()
        i = 0
        while i < len(args):
            word = args[i]
            ent = cmds.get(word)
            if ent is None:
                if fam == AF_LINK:
                    libc.errx(1, "%s: bad value", word)
                    return 1
                if self.setaddr and self.doalias >= 0 and (
                        self.addr is not None or self.sin[ADDR] is not None):
                    self.getaddr(word, DSTADDR)                # setifdstaddr
                else:
                    self.setifaddr(word)
            else:
                param, fn = ent
                if param == 2:                       # NEXTARG2: tunnel SRC DST
                    if i + 2 >= len(args):
                        libc.errx(1, "'%s' requires 2 arguments", word)
                        return 1
                    fn(args[i + 1], args[i + 2])
                    i += 2
                elif param:
                    if i + 1 >= len(args):
                        libc.errx(1, "'%s' requires argument", word)
                        return 1
                    fn(args[i + 1])
                    i += 1
                else:
                    fn()
            i += 1
        if fam == AF_INET:
            self.in_commit(s4)
            libc.close(s4)
            libc.close(self.s)
            return 0
        if s4 >= 0:
            libc.close(s4)
        # in6_postproc: all prefixes are 64 unless told
        if not self.explicit_prefix and self.mask is None:
            self.mask = sockaddr_in6(prefix_mask(64))
        if self.clearaddr and self.addr is not None:
            try:
                libc.ioctl(self.s, SIOCDIFADDR_IN6, in6_ifreq(self.name, self.addr))
            except OSError as e:
                if not (e.errno == EADDRNOTAVAIL and self.doalias >= 0):
                    self.Perror("ioctl (SIOCDIFADDR)")
        if self.newaddr and (self.setaddr or self.setmask) and self.addr is not None:
            req = in6_aliasreq(self.name, self.addr, self.dstaddr, self.mask, self.ifra_flags,
                               in6_addrlifetime(0, 0, self.vltime, self.pltime))
            try:
                libc.ioctl(self.s, SIOCAIFADDR_IN6, req)
            except OSError:
                self.Perror("ioctl (SIOCAIFADDR)")
        libc.close(self.s)
        return 0


    def in_commit(self, s4: int) -> None:
        """The deferred address change of ifconfig(): SIOCDIFADDR of the address
        named by ``-alias``/``delete`` (or, to replace it, of the first one:
        ``ifr_addr`` INADDR_ANY), then SIOCAIFADDR."""
        if self.clearaddr:
            rid = self.sin[RIDADDR] if self.doalias < 0 else None
            try:
                libc.ioctl(s4, SIOCDIFADDR, in_ifreq(self.name, rid or sockaddr_in()))
            except OSError as e:
                if not (e.errno == EADDRNOTAVAIL and self.doalias >= 0):
                    self.Perror("ioctl (SIOCDIFADDR)")
        if self.newaddr and (self.setaddr or self.setmask):
            req = in_aliasreq(self.name, self.sin[ADDR] or sockaddr_in(), self.sin[DSTADDR],
                              self.sin[MASK])
            try:
                libc.ioctl(s4, SIOCAIFADDR, req)
            except OSError:
                self.Perror("ioctl (SIOCAIFADDR)")


def usage() -> int:
    libc.fprintf(stderr,
                 "usage: ifconfig [-L] interface address_family [address [dest_address]]\n"
                 "                [parameters]\n"
                 "       ifconfig interface create\n"
                 "       ifconfig -a [-L] [-d] [-m] [-u] [-v] [address_family]\n"
                 "       ifconfig -l [-d] [-u] [address_family]\n"
                 "       ifconfig [-L] [-d] [-m] [-u] [-v]\n")
    libc.exit(1)
    return 1


def main(argv: list[str]) -> int:
    ic = Ifconfig()
    all_ = downonly = uponly = namesonly = 0
    clone_flag = 0
    opts, args = libc.getopt(argv, "aCdklmnuvL")
    for o, _ in opts:
        if o == "C":
            clone_flag = 1
        elif o == "a":
            all_ += 1
        elif o == "d":
            downonly += 1
        elif o == "l":
            namesonly += 1
        elif o == "m":
            ic.supmedia = True
        elif o == "u":
            uponly += 1
        elif o == "v":
            ic.verbose += 1
        elif o == "L":
            ic.ip6lifetime += 1
        elif o in ("k", "n"):
            pass
        else:
            return usage()
    if namesonly and (all_ or ic.supmedia):
        return usage()
    if uponly and downonly:
        return usage()
    if clone_flag:
        # -C must be solitary
        if all_ or ic.supmedia or uponly or downonly or namesonly or args:
            return usage()
        ifconfig_ifclone.list_cloners()
        return 0
    if not namesonly and not args:
        all_ = 1
    af: Optional[int] = None
    afname: Optional[str] = None
    ifname: Optional[str] = None
    if all_ or namesonly:
        if len(args) > 1:
            return usage()
        if args:
            afname = args[0]
            af = AFS.get(afname)
            if af is None:
                return usage()
            args = []
    else:
        ifname = args[0]
        args = args[1:]
        if libc.if_nametoindex(ifname) == 0:
            if not (args and args[0] in ("create", "plumb")):
                libc.errx(1, "interface %s does not exist", ifname)
                return 1
            # "We must special-case the `create' command right here as we would
            # otherwise fail when trying to find the interface."
            ic.name = ifname
            ifconfig_ifclone.clone_create(ic)
            ifname = ic.name
            args = args[1:]
            if not args:
                return 0
    if args and args[0] in AFS:
        afname = args[0]
        af = AFS[afname]
        args = args[1:]
    try:
        ifap = libc.getifaddrs()
    except OSError:
        libc.err(1, "getifaddrs")
        return 1
    # group the entries by interface, in the order getifaddrs gives them
    order: list[str] = []
    by_name: dict[str, list[Any]] = {}
    for ifa in ifap:
        if ifa.ifa_name not in by_name:
            order.append(ifa.ifa_name)
            by_name[ifa.ifa_name] = []
        by_name[ifa.ifa_name].append(ifa)
    names_out = []
    try:
        s = libc.socket(AF_INET6, SOCK_DGRAM, 0)
    except OSError:
        libc.err(1, "socket(family %u,SOCK_DGRAM)", AF_INET6)
        return 1
    for name in order:
        if ifname is not None and name != ifname:
            continue
        ents = by_name[name]
        flags = ents[0].ifa_flags
        if downonly and flags & IFF.UP:
            continue
        if uponly and not flags & IFF.UP:
            continue
        if namesonly:
            if afname is not None:
                if afname == "ether":
                    sdl = ents[0].ifa_addr
                    if not (isinstance(sdl, sockaddr_dl) and sdl.sdl_type == IFT.ETHER
                            and len(sdl.sdl_lladdr) == 6):
                        continue
                elif not any(Ifconfig._family(e.ifa_addr) == af for e in ents):
                    continue
            names_out.append(name)
            continue
        ic.name = name
        if args:
            libc.close(s)
            return ic.ifconfig(args, af)
        ic.s = s
        ic.status(af, ents)
    if namesonly:
        libc.printf("%s\n", " ".join(names_out))
    libc.close(s)
    return 0
