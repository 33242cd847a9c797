"""route(8): manually manipulate the routing tables (sbin/route/route.c, FreeBSD 10).

``route add|delete|change|get [-inet|-inet6] [-host|-net] DST[/len]
[-netmask M] [-prefixlen N] GATEWAY`` (``default``, ``-interface IF``, ``-ifp
IF``, ``-ifa ADDR``, ``-mtu``, ``-expire``, ``-static``, ``-reject``,
``-blackhole`` ...), ``route monitor`` and ``route flush [-inet|-inet6]``.
route talks to the kernel only through a PF_ROUTE socket: it writes an
``rt_msghdr`` with its sockaddrs and, for ``get``, reads the answer that
carries its pid and sequence number.

Built as FreeBSD's is with INET and INET6: the address family is ``-inet``
unless ``-inet6`` (``-6``) or ``-link`` is given.  An IPv4 destination is
read as route.c's getaddr does — ``192.0.2.0/24``, ``10/8``, a dotted quad
whose host part (under its class, inet_lnaof) is zero as a network with the
mask inet_makenetandmask guesses (``-net`` for any), else a host, else a
name of /etc/hosts; ``bad address: X`` if none fits.
"""
from __future__ import annotations

from typing import Any, Optional

from kernel.wire.errno import EADDRINUSE, EBUSY, EEXIST, ENOBUFS, EPERM, ESRCH, strerror
from kernel.wire.in6 import IN6ADDR_ANY, sockaddr_in6
from kernel.wire.in_ import INADDR_ANY, in_classlen, inet_aton, inet_ntop4, sockaddr_in
from kernel.wire.route import (AF_LINK, IF_MSGHDR_LEN, IFA_MSGHDR_LEN, PF_ROUTE,
                               RT_MSGHDR_LEN, RTA_DST, RTA_GATEWAY, RTA_IFP, RTA_NETMASK,
                               RTAX_DST, RTAX_GATEWAY, RTAX_GENMASK, RTAX_IFA, RTAX_IFP,
                               RTAX_MAX, RTAX_NETMASK, RTF_BLACKHOLE, RTF_GATEWAY, RTF_HOST,
                               RTF_PROTO1, RTF_PROTO2, RTF_PROTO3, RTF_REJECT, RTF_STATIC,
                               RTF_UP, RTF_XRESOLVE, RTM_ADD, RTM_CHANGE, RTM_DELADDR,
                               RTM_DELETE, RTM_GET, RTM_IFANNOUNCE, RTM_IFINFO, RTM_NEWADDR,
                               RTM_NEWMADDR, RTM_DELMADDR, RTM_VERSION, RTV_EXPIRE,
                               RTV_HOPCOUNT, RTV_MTU, RTV_RPIPE, RTV_RTT, RTV_RTTVAR,
                               RTV_SPIPE, RTV_SSTHRESH, ifa_msghdr, if_msghdr, rt_addrs_unpack,
                               rt_msg_build, rt_msg_common, rt_msg_split, rt_msghdr,
                               sockaddr_dl)
from userland import libc

AF_INET = 2
AF_INET6 = 28
SOCK_RAW = 3
SOCK_DGRAM = 2
SHUT_RD = 0
SOL_SOCKET = 0xFFFF
SO_SETFIB = 0x1014
RTF_ANNOUNCE = RTF_PROTO2
RTF_STICKY = 0x10000000
RTV_WEIGHT = 0x100

EX_USAGE = 64
EX_DATAERR = 65
EX_NOHOST = 68
EX_OSERR = 71
EX_NOPERM = 77

KEYWORDS = ("add", "blackhole", "change", "cloning", "del", "delete", "dst", "expire",
            "flush", "gateway", "genmask", "get", "host", "hopcount", "iface", "interface",
            "ifa", "ifp", "inet", "inet6", "link", "lock", "lockrest", "mask", "monitor",
            "mtu", "net", "netmask", "nostatic", "nostick", "prefixlen", "proto1", "proto2",
            "proto3", "proxy", "recvpipe", "reject", "rtt", "rttvar", "sa", "sendpipe",
            "show", "ssthresh", "static", "sticky", "weight", "x25", "xns", "xresolve",
            "fib", "4", "6")
# The keywords that set or clear one route flag (route.c newroute's K_REJECT ... K_NOSTICK).
_SET_FLAGS = {"reject": RTF_REJECT, "blackhole": RTF_BLACKHOLE, "proto1": RTF_PROTO1,
              "proto2": RTF_PROTO2, "proto3": RTF_PROTO3, "xresolve": RTF_XRESOLVE,
              "static": RTF_STATIC, "sticky": RTF_STICKY}
_CLEAR_FLAGS = {"nostatic": RTF_STATIC, "nostick": RTF_STICKY}

MSGTYPES = ["", "RTM_ADD: Add Route", "RTM_DELETE: Delete Route",
            "RTM_CHANGE: Change Metrics or flags", "RTM_GET: Report Metrics",
            "RTM_LOSING: Kernel Suspects Partitioning",
            "RTM_REDIRECT: Told to use different route",
            "RTM_MISS: Lookup failed on this address", "RTM_LOCK: fix specified metrics",
            "RTM_OLDADD: caused by SIOCADDRT", "RTM_OLDDEL: caused by SIOCDELRT",
            "RTM_RESOLVE: Route created by cloning",
            "RTM_NEWADDR: address being added to iface",
            "RTM_DELADDR: address being removed from iface",
            "RTM_IFINFO: iface status change",
            "RTM_NEWMADDR: new multicast group membership on iface",
            "RTM_DELMADDR: multicast group membership removed from iface",
            "RTM_IFANNOUNCE: interface arrival/departure",
            "RTM_IEEE80211: IEEE 802.11 wireless event"]

# printb tables of route.c: (bit number, name) in the order of the C strings
METRICNAMES = [(9, "weight"), (8, "rttvar"), (7, "rtt"), (6, "ssthresh"), (5, "sendpipe"),
               (4, "recvpipe"), (3, "expire"), (1, "mtu")]
ROUTEFLAGS = [(1, "UP"), (2, "GATEWAY"), (3, "HOST"), (4, "REJECT"), (5, "DYNAMIC"),
              (6, "MODIFIED"), (7, "DONE"), (10, "XRESOLVE"), (11, "LLINFO"), (12, "STATIC"),
              (13, "BLACKHOLE"), (15, "PROTO2"), (16, "PROTO1"), (17, "PRCLONING"),
              (18, "WASCLONED"), (19, "PROTO3"), (21, "PINNED"), (22, "LOCAL"),
              (23, "BROADCAST"), (24, "MULTICAST"), (29, "STICKY")]
IFNETFLAGS = [(1, "UP"), (2, "BROADCAST"), (3, "DEBUG"), (4, "LOOPBACK"), (5, "PTP"),
              (6, "b6"), (7, "RUNNING"), (8, "NOARP"), (9, "PPROMISC"), (10, "ALLMULTI"),
              (11, "OACTIVE"), (12, "SIMPLEX"), (13, "LINK0"), (14, "LINK1"), (15, "LINK2"),
              (16, "MULTICAST")]
ADDRNAMES = [(1, "DST"), (2, "GATEWAY"), (3, "NETMASK"), (4, "GENMASK"), (5, "IFP"),
             (6, "IFA"), (7, "AUTHOR"), (8, "BRD")]


INADDR_NONE = 0xFFFFFFFF


def inet_network(text: str) -> int:
    """inet_network(3): up to four parts (decimal, 0 octal, 0x hex), each at
    most 255, as a number in host order (``192.0.2`` is 0xc00002);
    INADDR_NONE if ``text`` is not one."""
    parts = text.split(".")
    if not 1 <= len(parts) <= 4:
        return INADDR_NONE
    val = 0
    for p in parts:
        base, digits = 10, p
        if digits[:1] == "0" and len(digits) > 1:
            base, digits = 8, digits[1:]
        if digits[:1] in ("x", "X"):
            base, digits = 16, digits[1:]
        if digits == "" and base != 8:
            return INADDR_NONE
        try:
            v = int(digits, base) if digits else 0
        except ValueError:
            return INADDR_NONE
        if v > 0xFF:
            return INADDR_NONE
        val = (val << 8) | v
    return val


def inet_lnaof(a: bytes) -> int:
    """inet_lnaof(3): the host part of ``a`` under its class (C for D and E)."""
    return int.from_bytes(a, "big") & ((1 << (32 - min(in_classlen(a), 24))) - 1)


def printb(b: int, bits: list[tuple[int, str]]) -> str:
    """route.c printb: ``<UP,GATEWAY>``, nothing for 0."""
    names = [n for i, n in bits if b & (1 << (i - 1))]
    return "<%s>" % ",".join(names) if names else ""


class Route:
    def __init__(self) -> None:
        self.nflag = self.qflag = self.tflag = self.debugonly = False
        self.verbose = False
        self.af = 0
        self.so: dict[int, Any] = {}       # so[RTAX_*]
        self.rtm_addrs = 0
        self.rt_metrics = dict(rmx_locks=0, rmx_mtu=0, rmx_hopcount=0, rmx_expire=0,
                               rmx_recvpipe=0, rmx_sendpipe=0, rmx_ssthresh=0, rmx_rtt=0,
                               rmx_rttvar=0, rmx_pksent=0, rmx_filler=[0, 0, 0, 0])
        self.rtm_inits = 0
        self.locking = self.lockrest = False
        self.s = -1
        self.pid = 0
        self.uid = 0
        self.seq = 0
        self.defaultfib = 0

    # -- usage and names ------------------------------------------------------------------
    def usage(self, cp: Optional[str] = None) -> None:
        if cp is not None:
            libc.warnx("bad keyword: %s", cp)
        libc.errx(EX_USAGE, "usage: route [-46dnqtv] command [[modifiers] args]")

    def routename(self, sa: Any) -> str:
        if sa is None or sa == b"":
            return "default" if not self.nflag else ""
        if isinstance(sa, sockaddr_in):
            if sa.sin_addr == INADDR_ANY:
                return "default"
            if not self.nflag:
                try:
                    host = libc.getnameinfo(sockaddr_in(sa.sin_addr), libc.NI_NAMEREQD)[0]
                    return libc.trimdomain(host)
                except OSError:
                    pass
            return inet_ntop4(sa.sin_addr)
        if isinstance(sa, sockaddr_in6):
            if not self.nflag and sa.sin6_addr == IN6ADDR_ANY:
                return "default"
            try:
                host = libc.getnameinfo(sockaddr_in6(sa.sin6_addr, 0, 0, sa.sin6_scope_id),
                                        libc.NI_NUMERICHOST if self.nflag else 0)[0]
            except OSError as e:
                libc.warnx("getnameinfo(): %s", libc.gai_strerror(e.errno or 0))
                return "invalid"
            return libc.trimdomain(host)
        if isinstance(sa, sockaddr_dl):
            if not sa.sdl_name and not sa.sdl_lladdr:
                return "link#%d" % sa.sdl_index
            return libc.link_ntoa(sa)
        if isinstance(sa, (bytes, bytearray)) and len(sa) >= 2:
            words = [int.from_bytes(sa[i:i + 2], "little") for i in range(2, len(sa) - 1, 2)]
            return "(%d)" % sa[1] + "".join(" %x" % w for w in words)
        return "invalid"

    def netname(self, sa: Any) -> str:
        if isinstance(sa, sockaddr_in):
            i = int.from_bytes(sa.sin_addr, "big")
            if i == 0:
                return "default"
            # no networks(5) database: the number, without its trailing zero bytes
            n = 1 if i & 0xFFFFFF == 0 else 2 if i & 0xFFFF == 0 else 3 if i & 0xFF == 0 else 4
            return ".".join(str(b) for b in sa.sin_addr[:n])
        if isinstance(sa, sockaddr_in6):
            try:
                return libc.getnameinfo(sockaddr_in6(sa.sin6_addr, 0, 0, sa.sin6_scope_id),
                                        libc.NI_NUMERICHOST if self.nflag else 0)[0]
            except OSError:
                return "invalid"
        return self.routename(sa)

    # -- building a request --------------------------------------------------------------------
    def keyword(self, cp: str) -> str:
        return cp if cp in KEYWORDS else ""

    def set_metric(self, value: str, key: str) -> None:
        which = {"mtu": ("rmx_mtu", RTV_MTU), "hopcount": ("rmx_hopcount", RTV_HOPCOUNT),
                 "expire": ("rmx_expire", RTV_EXPIRE), "recvpipe": ("rmx_recvpipe", RTV_RPIPE),
                 "sendpipe": ("rmx_sendpipe", RTV_SPIPE),
                 "ssthresh": ("rmx_ssthresh", RTV_SSTHRESH), "rtt": ("rmx_rtt", RTV_RTT),
                 "rttvar": ("rmx_rttvar", RTV_RTTVAR), "weight": ("rmx_filler", RTV_WEIGHT)}
        field, flag = which[key]
        self.rtm_inits |= flag
        if self.lockrest or self.locking:
            self.rt_metrics["rmx_locks"] |= flag
        self.locking = False
        try:
            v = int(value, 0)
        except ValueError:
            libc.errc(EX_USAGE, 22, "%s", value)          # EINVAL
            return
        if flag & RTV_EXPIRE and value[:1] in "+-":
            v += libc.time()
        if field == "rmx_filler":
            self.rt_metrics["rmx_filler"][0] = v & 0xFFFFFFFF
        else:
            self.rt_metrics[field] = v & 0xFFFFFFFF

    def prefixlen(self, s: str) -> int:
        n = libc.atoi(s)
        self.rtm_addrs |= RTA_NETMASK
        if self.af == 0:
            self.af = AF_INET
        if self.af not in (AF_INET, AF_INET6):
            libc.errx(EX_OSERR, "prefixlen not supported in this af")
        top = 32 if self.af == AF_INET else 128
        if n < 0 or n > top:
            libc.errx(EX_USAGE, "%s: invalid prefixlen", s)
        mask = ((((1 << n) - 1) << (top - n)) if n else 0).to_bytes(top // 8, "big")
        self.so[RTAX_NETMASK] = sockaddr_in(mask) if self.af == AF_INET else sockaddr_in6(mask)
        return -1 if n == top else n

    def inet_makenetandmask(self, net: int, bits: int) -> None:
        """route.c inet_makenetandmask: destination ``net`` (its most significant
        byte first), netmask ``/bits`` or, with none given, the CIDR guess —
        as many bytes as ``net`` has up to its last nonzero one."""
        self.rtm_addrs |= RTA_NETMASK
        if net > 0:
            while net & 0xFF000000 == 0:         # "MSB of net should be meaningful"
                net <<= 8
        if bits == 0 and net != 0:
            i = next(i for i in range(4) if net & (0xFF << (8 * i)))
            bits = 32 - i * 8
        mask = ((0xFFFFFFFF << (32 - min(bits, 32))) & 0xFFFFFFFF) if bits else 0
        self.so[RTAX_DST] = sockaddr_in(net.to_bytes(4, "big"))
        self.so[RTAX_NETMASK] = sockaddr_in(mask.to_bytes(4, "big"))

    def inet_getaddr(self, idx: int, s: str, forcenet: bool, forcehost: bool) -> int:
        """getaddr's AF_INET part: 1 if ``s`` is a host address."""
        if "/" in s and idx == RTAX_DST:
            q, _, bits = s.partition("/")
            val = inet_network(q)
            if val != INADDR_NONE:
                try:
                    b = int(bits, 0) if bits else 0        # strtoul(q+1, 0, 0)
                except ValueError:
                    b = libc.atoi(bits)
                self.inet_makenetandmask(val, b)
                return 0
        if idx != RTAX_DST or not forcenet:
            a = inet_aton(s)
            if a is not None:
                if idx != RTAX_DST or forcehost or inet_lnaof(a) != 0:
                    self.so[idx] = sockaddr_in(a)
                    return 1
                self.inet_makenetandmask(int.from_bytes(a, "big"), 0)
                return 0
        if idx == RTAX_DST and not forcehost:
            val = inet_network(s)
            if val != INADDR_NONE:
                self.inet_makenetandmask(val, 0)
                return 0
        try:                                           # gethostbyname(3)
            res = libc.getaddrinfo(s, None, libc.addrinfo(ai_family=AF_INET,
                                                          ai_socktype=SOCK_DGRAM))
        except OSError:
            libc.errx(EX_NOHOST, "bad address: %s", s)
            return 0
        self.so[idx] = sockaddr_in(res[0].ai_addr.sin_addr)
        return 1

    def inet6_makenetandmask(self, sa: sockaddr_in6, plen: Optional[str]) -> int:
        if plen is None:
            a = sa.sin6_addr
            if a == IN6ADDR_ANY and sa.sin6_scope_id == 0:
                plen = "0"
            elif a[0] & 0xE0 == 0x20 and a[8:] == bytes(8):
                plen = "64"                       # aggregatable global unicast, RFC 2374
        if plen is None or plen == "128":
            return 1
        self.rtm_addrs |= RTA_NETMASK
        self.prefixlen(plen)
        return 0

    def getaddr(self, idx: int, s: str, interface: bool, forcenet: bool = False,
                forcehost: bool = False) -> int:
        """Interpret ``s`` as an address for slot ``idx``: 1 if a host address."""
        if self.af == 0:
            self.af = AF_INET
        self.rtm_addrs |= 1 << idx
        if idx == RTAX_GATEWAY and interface:
            sdl = None
            try:
                ifap = libc.getifaddrs()
            except OSError:
                libc.err(EX_OSERR, "getifaddrs")
                return 0
            for ifa in ifap:
                if isinstance(ifa.ifa_addr, sockaddr_dl) and ifa.ifa_name == s:
                    sdl = ifa.ifa_addr
            if sdl is None:
                libc.errx(EX_DATAERR, "interface '%s' does not exist", s)
            self.so[idx] = sdl
            return 1
        fam = AF_LINK if idx == RTAX_IFP else self.af
        if s == "default":
            zero = {AF_INET: sockaddr_in, AF_INET6: sockaddr_in6}.get(fam, sockaddr_dl)()
            if idx == RTAX_DST:
                self.so[RTAX_DST] = zero
                self.getaddr(RTAX_NETMASK, s, False)
            else:
                self.so[idx] = zero
            return 0
        if fam == AF_LINK:
            self.so[idx] = sockaddr_dl(0, 0, s) if not s.isdigit() else sockaddr_dl(int(s))
            return 1
        if fam == AF_INET:
            return self.inet_getaddr(idx, s, forcenet, forcehost)
        q = None
        if idx == RTAX_DST and "/" in s:
            s, _, q = s.partition("/")
        try:
            res = libc.getaddrinfo(s, None, libc.addrinfo(ai_family=AF_INET6,
                                                          ai_socktype=SOCK_DGRAM))
        except OSError as e:
            libc.errx(EX_OSERR, "%s: %s", s, libc.gai_strerror(e.errno or 0))
            return 0
        sa = res[0].ai_addr
        sa = sockaddr_in6(sa.sin6_addr, 0, 0, sa.sin6_scope_id)
        self.so[idx] = sa
        if idx == RTAX_DST:
            return self.inet6_makenetandmask(sa, q)
        return 0

    def newroute(self, args: list[str]) -> int:
        cmd = args[0]
        if self.uid != 0 and not self.debugonly and not self.tflag:
            libc.errx(EX_NOPERM, "must be root to alter routing table")
        dest: Optional[str] = None
        gateway: Optional[str] = None
        flags = RTF_STATIC
        ishost = forcenet = forcehost = interface = proxy = False
        if cmd[0] not in "gs":
            libc.shutdown(self.s, SHUT_RD)      # don't want to read back our messages
        i = 1
        while i < len(args):
            a = args[i]
            if a.startswith("-"):
                key = self.keyword(a[1:])

                def nextarg() -> str:
                    nonlocal i
                    if i + 1 >= len(args):
                        self.usage(None)
                    i += 1
                    return args[i]
                if key == "link":
                    self.af = AF_LINK
                elif key in ("6", "inet6"):
                    self.af = AF_INET6
                elif key in ("iface", "interface"):
                    interface = True
                elif key in _SET_FLAGS:
                    flags |= _SET_FLAGS[key]
                elif key in _CLEAR_FLAGS:
                    flags &= ~_CLEAR_FLAGS[key]
                elif key == "lock":
                    self.locking = True
                elif key == "lockrest":
                    self.lockrest = True
                elif key == "host":
                    forcehost = True
                elif key == "proxy":
                    proxy = True
                elif key == "fib":
                    v = nextarg()
                    if v not in ("0", "default", "all"):
                        libc.errx(EX_USAGE, "invalid fib number: %s", v)
                elif key == "ifa":
                    self.getaddr(RTAX_IFA, nextarg(), interface)
                elif key == "ifp":
                    self.getaddr(RTAX_IFP, nextarg(), interface)
                elif key == "genmask":
                    self.getaddr(RTAX_GENMASK, nextarg(), interface)
                elif key == "gateway":
                    gateway = nextarg()
                    self.getaddr(RTAX_GATEWAY, gateway, interface)
                elif key == "dst":
                    dest = nextarg()
                    if self.getaddr(RTAX_DST, dest, interface, forcenet, forcehost):
                        ishost = True
                elif key == "netmask":
                    self.getaddr(RTAX_NETMASK, nextarg(), interface)
                    forcenet = True
                elif key == "net":
                    forcenet = True
                elif key == "prefixlen":
                    if self.prefixlen(nextarg()) == -1:
                        forcenet = False
                        ishost = True
                    else:
                        forcenet = True
                        ishost = False
                elif key in ("mtu", "hopcount", "expire", "recvpipe", "sendpipe", "ssthresh",
                             "rtt", "rttvar", "weight"):
                    self.set_metric(nextarg(), key)
                elif key in ("4", "inet"):
                    self.af = AF_INET
                else:
                    self.usage(a[1:])
            else:
                if not self.rtm_addrs & RTA_DST:
                    dest = a
                    if self.getaddr(RTAX_DST, a, interface, forcenet, forcehost):
                        ishost = True
                elif not self.rtm_addrs & RTA_GATEWAY:
                    gateway = a
                    self.getaddr(RTAX_GATEWAY, a, interface)
                else:
                    self.getaddr(RTAX_NETMASK, a, interface)
                    forcenet = True
            i += 1
        if RTAX_DST not in self.so:
            libc.warnx("destination parameter required")
            self.usage(None)
        mask = self.so.get(RTAX_NETMASK)
        if mask is not None and type(mask) is not type(self.so[RTAX_DST]):
            libc.warnx("destination and netmask family need to be the same")
            self.usage(None)
        if forcehost:
            ishost = True
            if self.af == AF_INET6:
                self.rtm_addrs &= ~RTA_NETMASK
                self.so.pop(RTAX_NETMASK, None)
        if forcenet:
            ishost = False
        flags |= RTF_UP
        if ishost:
            flags |= RTF_HOST
        if not interface:
            flags |= RTF_GATEWAY
        if proxy:
            flags |= RTF_ANNOUNCE
        dest = dest or ""
        gateway = gateway or ""
        ok, errno_ = self.rtmsg(cmd[0], flags)
        if cmd[0] in "gs":
            return 0 if ok else 1
        if self.qflag:
            return 0 if ok else 1
        what = "host" if ishost else "net"
        if ok:
            line = "%s %s %s" % (cmd, what, dest)
            if gateway:
                line += ": gateway %s" % gateway
            libc.printf("%s\n", line)
            return 0
        line = "%s %s %s" % (cmd, what, dest)
        if gateway:
            line += ": gateway %s" % gateway
        line += " fib %d" % self.defaultfib
        msg = {ESRCH: "not in table", EBUSY: "entry in use", ENOBUFS: "not enough memory",
               EADDRINUSE: "gateway uses the same route",
               EEXIST: "route already in table"}.get(errno_, strerror(errno_))
        libc.printf("%s: %s\n", line, msg)
        return 1

    def sodump(self, sa: Any, which: str) -> None:
        if isinstance(sa, sockaddr_in):
            libc.printf("%s: inet %s; ", which, inet_ntop4(sa.sin_addr))
        elif isinstance(sa, sockaddr_dl):
            libc.printf("%s: link %s; ", which, libc.link_ntoa(sa))
        elif isinstance(sa, sockaddr_in6):
            libc.printf("%s: inet6 %s; ", which, libc.inet_ntop(AF_INET6, sa.sin6_addr))

    def rtmsg(self, cmd: str, flags: int) -> tuple[bool, int]:
        """Write the request; for ``get`` read and print the answer.
        Returns (success, errno)."""
        if cmd == "a":
            rtype = RTM_ADD
        elif cmd == "c":
            rtype = RTM_CHANGE
        elif cmd in "gs":
            rtype = RTM_GET
            if RTAX_IFP not in self.so:
                self.so[RTAX_IFP] = sockaddr_dl()
                self.rtm_addrs |= RTA_IFP
        else:
            rtype = RTM_DELETE
        self.seq += 1
        addrs = {i: self.so[i] for i in range(RTAX_MAX)
                 if self.rtm_addrs & (1 << i) and i in self.so and i <= RTAX_IFA}
        if self.verbose:
            for i, name in ((RTAX_DST, "RTA_DST"), (RTAX_GATEWAY, "RTA_GATEWAY"),
                            (RTAX_NETMASK, "RTA_NETMASK"), (RTAX_GENMASK, "RTA_GENMASK"),
                            (RTAX_IFP, "RTA_IFP"), (RTAX_IFA, "RTA_IFA")):
                if i in addrs:
                    self.sodump(addrs[i], name)
        msg = rt_msg_build(rtype, addrs, rtm_flags=flags, rtm_seq=self.seq,
                           rtm_rmx=self.rt_metrics, rtm_inits=self.rtm_inits)
        if self.verbose:
            self.print_rtmsg(msg)
        if self.debugonly:
            return True, 0
        err = self.rtsock_write(msg, "writing to routing socket")
        if err is not None:
            return False, err
        if rtype == RTM_GET:
            while True:
                try:
                    buf = libc.read(self.s, 2048)
                except OSError:
                    libc.warn("read from routing socket")
                    return True, 0
                if not buf:
                    return True, 0
                if len(buf) >= RT_MSGHDR_LEN:
                    h = rt_msghdr.parse(buf[:RT_MSGHDR_LEN])
                    if h.rtm_seq == self.seq and h.rtm_pid == self.pid:
                        break
            self.print_getmsg(buf)
        return True, 0

    # -- printing messages ---------------------------------------------------------------------
    def print_getmsg(self, buf: bytes) -> None:
        libc.printf("   route to: %s\n", self.routename(self.so.get(RTAX_DST)))
        h = rt_msghdr.parse(buf[:RT_MSGHDR_LEN])
        if h.rtm_version != RTM_VERSION:
            libc.warnx("routing message version %d not understood", h.rtm_version)
            return
        if h.rtm_msglen > len(buf):
            libc.warnx("message length mismatch, in packet %d, returned %d",
                       h.rtm_msglen, len(buf))
            return
        if h.rtm_errno:
            libc.warnc(h.rtm_errno, "message indicates error %d", h.rtm_errno)
            return
        try:
            sp = rt_addrs_unpack(h.rtm_addrs, buf[:h.rtm_msglen], RT_MSGHDR_LEN)
        except ValueError:
            sp = {}
        ifp = sp.get(RTAX_IFP)
        if not isinstance(ifp, sockaddr_dl) or not ifp.sdl_name:
            ifp = None
        if RTAX_DST in sp:
            libc.printf("destination: %s\n", self.routename(sp[RTAX_DST]))
        if RTAX_NETMASK in sp:
            nflag, self.nflag = self.nflag, True        # the mask is always numeric
            libc.printf("       mask: %s\n", self.routename(sp[RTAX_NETMASK]))
            self.nflag = nflag
        if RTAX_GATEWAY in sp and h.rtm_flags & RTF_GATEWAY:
            libc.printf("    gateway: %s\n", self.routename(sp[RTAX_GATEWAY]))
        libc.printf("        fib: %u\n", self.defaultfib)
        if ifp is not None:
            libc.printf("  interface: %s\n", ifp.sdl_name)
        libc.printf("      flags: %s", printb(h.rtm_flags, ROUTEFLAGS))
        rmx = h.rtm_rmx

        def lock(bit: int) -> str:
            return "L" if rmx.rmx_locks & bit else " "
        libc.printf("\n%9s %9s %9s %9s %9s %10s %9s\n", "recvpipe", "sendpipe", "ssthresh",
                    "rtt,msec", "mtu   ", "weight", "expire")
        libc.printf("%8u%s ", rmx.rmx_recvpipe, lock(RTV_RPIPE))
        libc.printf("%8u%s ", rmx.rmx_sendpipe, lock(RTV_SPIPE))
        libc.printf("%8u%s ", rmx.rmx_ssthresh, lock(RTV_SSTHRESH))
        libc.printf("%8u%s ", (rmx.rmx_rtt + 500) // 1000, lock(RTV_RTT))
        libc.printf("%8u%s ", rmx.rmx_mtu, lock(RTV_MTU))
        libc.printf("%8u%s ", rmx.rmx_filler[0], lock(RTV_WEIGHT))
        now = libc.time() if rmx.rmx_expire > 0 else 0
        libc.printf("%8d%s\n", rmx.rmx_expire - now, lock(RTV_EXPIRE))
        ign = RTA_DST | RTA_GATEWAY | RTA_NETMASK | RTA_IFP | (1 << RTAX_IFA) | 0x80
        if self.verbose:
            self.pmsg_common(h, buf)
        elif h.rtm_addrs & ~ign:
            libc.printf("sockaddrs: %s\n", printb(h.rtm_addrs, ADDRNAMES))

    def pmsg_addrs(self, buf: bytes, off: int, addrs: int) -> None:
        if addrs == 0:
            libc.putchar("\n")
            return
        libc.printf("\nsockaddrs: %s\n", printb(addrs, ADDRNAMES))
        try:
            sas = rt_addrs_unpack(addrs, buf, off)
        except ValueError:
            libc.printf("\n%s: truncated route message, only %u bytes left\n",
                        "pmsg_addrs", max(0, len(buf) - off))
            return
        for i in range(RTAX_MAX):
            if addrs & (1 << i) and i in sas:
                libc.printf(" %s", self.routename(sas[i]))
        libc.putchar("\n")
        libc.fflush(libc.stdout)

    def pmsg_common(self, h: Any, buf: bytes) -> None:
        libc.printf("\nlocks: %s", printb(h.rtm_rmx.rmx_locks, METRICNAMES))
        libc.printf(" inits: %s", printb(h.rtm_inits, METRICNAMES))
        if len(buf) > RT_MSGHDR_LEN:
            self.pmsg_addrs(buf[:h.rtm_msglen], RT_MSGHDR_LEN, h.rtm_addrs)
        else:
            libc.fflush(libc.stdout)

    def rtsock_write(self, msg: bytes, what: str) -> Optional[int]:
        """Write a message to the routing socket: None, or the errno after warn(3)
        with ``what`` (err(3), exiting, for EPERM)."""
        try:
            libc.write(self.s, msg)
        except OSError as e:
            if e.errno == EPERM:
                libc.err(1, what)
            libc.warn(what)
            return e.errno or 0
        return None

    def print_rtmsg(self, buf: bytes) -> None:
        if not self.verbose:
            return
        try:
            msglen, version, rtype = rt_msg_common(buf)
        except ValueError:
            return
        if version != RTM_VERSION:
            libc.printf("routing message version %d not understood\n", version)
            return
        if rtype < len(MSGTYPES):
            libc.printf("%s: ", MSGTYPES[rtype])
        else:
            libc.printf("unknown type %d: ", rtype)
        libc.printf("len %d, ", msglen)
        buf = buf[:msglen] if msglen <= len(buf) else buf
        if rtype == RTM_IFINFO:
            if len(buf) < IF_MSGHDR_LEN:
                return self._badlen(len(buf))
            h = if_msghdr.parse(buf[:IF_MSGHDR_LEN])
            state = {1: "down", 2: "up"}.get(h.ifm_data.ifi_link_state, "unknown")
            libc.printf("if# %d, link: %s, flags:%s", h.ifm_index, state,
                        printb(h.ifm_flags, IFNETFLAGS))
            self.pmsg_addrs(buf, IF_MSGHDR_LEN, h.ifm_addrs)
        elif rtype in (RTM_NEWADDR, RTM_DELADDR):
            if len(buf) < IFA_MSGHDR_LEN:
                return self._badlen(len(buf))
            h = ifa_msghdr.parse(buf[:IFA_MSGHDR_LEN])
            libc.printf("metric %d, flags:%s", h.ifam_metric, printb(h.ifam_flags, ROUTEFLAGS))
            self.pmsg_addrs(buf, IFA_MSGHDR_LEN, h.ifam_addrs)
        elif rtype in (RTM_NEWMADDR, RTM_DELMADDR, RTM_IFANNOUNCE):
            libc.putchar("\n")
        else:
            if len(buf) < RT_MSGHDR_LEN:
                return self._badlen(len(buf))
            h = rt_msghdr.parse(buf[:RT_MSGHDR_LEN])
            libc.printf("pid: %d, seq %d, errno %d, flags:%s", h.rtm_pid, h.rtm_seq,
                        h.rtm_errno, printb(h.rtm_flags & 0xFFFFFFFF, ROUTEFLAGS))
            self.pmsg_common(h, buf)

    def _badlen(self, n: int) -> None:
        libc.printf("\n%s: truncated route message, only %u bytes left\n", "print_rtmsg", n)

    def monitor(self, args: list[str]) -> int:
        for a in args[1:]:
            if not a.startswith("-") or self.keyword(a[1:]) != "fib":
                self.usage(a)
        self.verbose = True
        while True:
            try:
                buf = libc.read(self.s, 2048)
            except OSError:
                buf = b""
            now = libc.time()
            libc.printf("\ngot message of size %d on %s", len(buf), libc.ctime(now))
            self.print_rtmsg(buf)

    def flushroutes(self, args: list[str]) -> int:
        if self.uid != 0 and not self.debugonly and not self.tflag:
            libc.errx(EX_NOPERM, "must be root to alter routing table")
        libc.shutdown(self.s, SHUT_RD)
        af = 0
        for a in args[1:]:
            if not a.startswith("-"):
                self.usage(a)
            key = self.keyword(a[1:])
            if key in ("6", "inet6"):
                af = AF_INET6
            elif key in ("4", "inet"):
                af = AF_INET
            elif key == "link":
                af = AF_LINK
            else:
                self.usage(a)
        try:
            dump = libc.sysctlbyname("net.route.dump")
            msgs = rt_msg_split(dump)
        except (OSError, ValueError):
            libc.err(EX_OSERR, "route-sysctl-get")
            return 1
        if self.verbose:
            libc.printf("Examining routing table from sysctl\n")
        seqno = 0
        for msg in msgs:
            if self.verbose:
                self.print_rtmsg(msg)
            h = rt_msghdr.parse(msg[:RT_MSGHDR_LEN])
            if not h.rtm_flags & RTF_GATEWAY:
                continue
            sas = rt_addrs_unpack(h.rtm_addrs, msg, RT_MSGHDR_LEN)
            dst = sas.get(RTAX_DST)
            if af and not ((af == AF_INET6 and isinstance(dst, sockaddr_in6))
                           or (af == AF_INET and isinstance(dst, sockaddr_in))):
                continue
            if self.debugonly:
                continue
            f = {key: v for key, v in h.items() if not key.startswith("_")}
            f.update(rtm_type=RTM_DELETE, rtm_seq=seqno)
            out = rt_msghdr.build(f) + msg[RT_MSGHDR_LEN:]
            if self.rtsock_write(out, "write to routing socket") is not None:
                libc.printf("got only %d for rlen\n", -1)
                break
            seqno += 1
            if self.qflag:
                continue
            if self.verbose:
                self.print_rtmsg(out)
            else:
                name = self.routename(dst) if h.rtm_flags & RTF_HOST else self.netname(dst)
                libc.printf("%-20.20s %-20.20s -fib %-3d done\n", name,
                            self.routename(sas.get(RTAX_GATEWAY)), self.defaultfib)
        return 0


def main(argv: list[str]) -> int:
    r = Route()
    if len(argv) < 2:
        r.usage(None)
        return EX_USAGE
    opts, args = libc.getopt(argv, "46nqdtv")
    for o, _ in opts:
        if o == "4":
            r.af = AF_INET
        elif o == "6":
            r.af = AF_INET6
        elif o == "n":
            r.nflag = True
        elif o == "q":
            r.qflag = True
        elif o == "v":
            r.verbose = True
        elif o == "t":
            r.tflag = True
        elif o == "d":
            r.debugonly = True
        else:
            r.usage(None)
            return EX_USAGE
    r.pid = libc.getpid()
    r.uid = libc.geteuid()
    try:
        if r.tflag:
            r.s = libc.open("/dev/null", 1)
        else:
            r.s = libc.socket(PF_ROUTE, SOCK_RAW, 0)
    except OSError:
        libc.err(EX_OSERR, "socket")
        return EX_OSERR
    if not r.tflag:
        try:
            libc.setsockopt(r.s, SOL_SOCKET, SO_SETFIB, r.defaultfib)
        except OSError:
            pass
    if args:
        key = r.keyword(args[0])
        if key in ("get", "show"):
            r.uid = 0
            return r.newroute(args)
        if key in ("change", "add", "del", "delete"):
            return r.newroute(args)
        if key == "monitor":
            return r.monitor(args)
        if key == "flush":
            return r.flushroutes(args)
    r.usage(args[0] if args else None)
    return EX_USAGE
