"""ndp(8): control/diagnose IPv6 neighbor discovery protocol (usr.sbin/ndp/ndp.c,
KAME, as in FreeBSD 10).

``ndp -a`` (the neighbor cache), ``ndp [-n] host``, ``ndp -c`` (flush),
``ndp -d host``, ``ndp -s host ether [temp] [proxy]``, ``ndp -p`` (prefix
list), ``ndp -r`` (default routers), ``ndp -i em0 [[-]nud ...]`` (per-interface
ND parameters), ``ndp -I [em0|delete]`` (the default interface), ``-P``,
``-R``, ``-H`` (flush prefixes, routers, harmonize), ``-A wait``, ``-t``.

As in FreeBSD, the cache is read with the routing sysctl (``net.route.llinfo``,
NET_RT_FLAGS) and SIOCGNBRINFO_IN6; entries are set and deleted with
RTF_LLDATA messages on a routing socket; the lists come from the
``net.inet6.icmp6.nd6_drlist`` and ``nd6_prlist`` sysctls.  Expiry times in
kamebox's ND structures are ``time_uptime`` seconds, so ndp compares them with
CLOCK_MONOTONIC.
"""
from __future__ import annotations

from typing import Any, Optional

from kernel.wire.errno import ESRCH
from kernel.wire.in6 import (IN6_IS_ADDR_LINKLOCAL, IN6_IS_ADDR_MC_LINKLOCAL,
                             IN6_IS_ADDR_MULTICAST, sockaddr_in6)
from kernel.wire.in6_var import (ND6_IFF_ACCEPT_RTADV, ND6_IFF_AUTO_LINKLOCAL,
                                 ND6_IFF_IFDISABLED, ND6_IFF_NO_PREFER_IFACE,
                                 ND6_IFF_PERFORMNUD, ND6_INFINITE_LIFETIME, ND6_LLINFO_DELAY,
                                 ND6_LLINFO_INCOMPLETE, ND6_LLINFO_NOSTATE, ND6_LLINFO_PROBE,
                                 ND6_LLINFO_REACHABLE, ND6_LLINFO_STALE, NDPRF_DETACHED,
                                 NDPRF_ONLINK, SIOCGDEFIFACE_IN6, SIOCGIFINFO_IN6,
                                 SIOCGNBRINFO_IN6, SIOCSDEFIFACE_IN6, SIOCSIFINFO_IN6,
                                 SIOCSNDFLUSH_IN6, SIOCSPFXFLUSH_IN6, SIOCSRTRFLUSH_IN6,
                                 in6_nbrinfo, in6_ndifreq, in6_ndireq)
from kernel.wire.net_if import IFT
from kernel.wire.route import (PF_ROUTE, RT_MSGHDR_LEN, RTAX_DST,
                               RTAX_GATEWAY, RTF_GATEWAY, RTF_HOST, RTF_LLINFO, RTF_PINNED,
                               RTF_PROTO2, RTF_STATIC, RTM_ADD, RTM_DELETE, RTM_GET,
                               RTV_EXPIRE, rt_addrs_unpack, rt_msg_build, rt_msg_split,
                               rt_msghdr, sockaddr_dl)
from kernel.wire.time import CLOCK_MONOTONIC
from userland import libc
from userland.libc import stderr

AF_INET6 = 28
SOCK_DGRAM = 2
SOCK_RAW = 3
RTF_LLDATA = RTF_LLINFO
RTF_ANNOUNCE = RTF_PROTO2
ND_RA_FLAG_MANAGED = 0x80
ND_RA_FLAG_OTHER = 0x40
ND_RA_FLAG_RTPREF_MASK = 0x18
W_ADDR = 36
W_LL = 17
W_IF = 6
RTPREF_STR = ("medium", "high", "rsv", "low")
_STATE_LETTER = {ND6_LLINFO_NOSTATE: "N", ND6_LLINFO_INCOMPLETE: "I",
                 ND6_LLINFO_REACHABLE: "R", ND6_LLINFO_STALE: "S", ND6_LLINFO_DELAY: "D",
                 ND6_LLINFO_PROBE: "P"}
_ETHER_TYPES = (IFT.ETHER,)
# ndp -i: the words for the ND6_IFF_* flags, in the order ndp prints them
ND6_IFF_WORDS = (("disabled", ND6_IFF_IFDISABLED), ("nud", ND6_IFF_PERFORMNUD),
                 ("accept_rtadv", ND6_IFF_ACCEPT_RTADV), ("auto_linklocal", ND6_IFF_AUTO_LINKLOCAL),
                 ("no_prefer_iface", ND6_IFF_NO_PREFER_IFACE))


def sec2str(total: int) -> str:
    days, hours = total // 3600 // 24, (total // 3600) % 24
    mins, secs = (total // 60) % 60, total % 60
    out = ""
    first = True
    if days:
        first = False
        out += "%dd" % days
    if not first or hours:
        first = False
        out += "%dh" % hours
    if not first or mins:
        out += "%dm" % mins
    return out + "%ds" % secs


def _uptime() -> int:
    return libc.clock_gettime(CLOCK_MONOTONIC).tv_sec


def socket6() -> int:
    """The AF_INET6 datagram socket ndp's ioctls go through; ``err(1, "socket")``
    when there is none."""
    try:
        return libc.socket(AF_INET6, SOCK_DGRAM, 0)
    except OSError:
        libc.err(1, "socket")
        raise                                   # not reached: err() exits


def ioctl_or_err(s: int, cmd: int, arg: Any, what: str) -> Any:
    """ndp.c's ``if (ioctl(s, cmd, arg) < 0) err(1, "ioctl(<what>)")``."""
    try:
        return libc.ioctl(s, cmd, arg)
    except OSError:
        libc.err(1, "ioctl(%s)", what)
        raise                                   # not reached: err() exits


def sysctl_list(name: str, mib: str) -> list:
    """The router or prefix list; ``err(1, "sysctl(<mib>)")`` when it cannot be read."""
    try:
        return libc.sysctlbyname(name)
    except OSError:
        libc.err(1, "sysctl(%s)", mib)
        raise                                   # not reached: err() exits


class Ndp:
    def __init__(self) -> None:
        self.nflag = False
        self.tflag = False
        self.repeat = 0
        self.s = -1
        self.pid = 0
        self.seq = 0
        self.found_entry = False
        self.flags = 0
        self.expire_time = 0

    def usage(self) -> None:
        libc.printf("usage: ndp [-nt] hostname\n")
        libc.printf("       ndp [-nt] -a | -c | -p | -r | -H | -P | -R\n")
        libc.printf("       ndp [-nt] -A wait\n")
        libc.printf("       ndp [-nt] -d hostname\n")
        libc.printf("       ndp [-nt] -f filename\n")
        libc.printf("       ndp [-nt] -i interface [flags...]\n")
        libc.printf("       ndp [-nt] -I [interface|delete]\n")
        libc.printf("       ndp [-nt] -s nodename etheraddr [temp] [proxy]\n")
        libc.exit(1)

    def getsocket(self) -> None:
        if self.s < 0:
            try:
                self.s = libc.socket(PF_ROUTE, SOCK_RAW, 0)
            except OSError:
                libc.err(1, "socket")

    def nameof(self, sin: sockaddr_in6) -> str:
        return libc.getnameinfo_host(sin, libc.NI_NUMERICHOST if self.nflag else 0)

    def getaddr(self, host: str) -> Optional[sockaddr_in6]:
        try:
            res = libc.getaddrinfo(host, None, libc.addrinfo(ai_family=AF_INET6))
        except OSError as e:
            libc.fprintf(stderr, "ndp: %s: %s\n", host, libc.gai_strerror(e.errno or 0))
            return None
        sa = res[0].ai_addr
        return sockaddr_in6(sa.sin6_addr, 0, 0, sa.sin6_scope_id)

    # -- the routing socket ------------------------------------------------------------------
    def rtmsg(self, cmd: int, addrs: dict[int, Any], flags: int = 0,
              rmx_expire: int = 0, raw: Optional[bytes] = None) -> Optional[tuple[Any, dict]]:
        """Write a message and read our answer: (header, sockaddrs)."""
        self.seq += 1
        if raw is not None:
            h = rt_msghdr.parse(raw[:RT_MSGHDR_LEN])
            f = {k: v for k, v in h.items() if not k.startswith("_")}
            f.update(rtm_type=cmd, rtm_seq=self.seq, rtm_flags=h.rtm_flags | flags)
            msg = rt_msghdr.build(f) + raw[RT_MSGHDR_LEN:]
        else:
            rmx = dict(rmx_locks=0, rmx_mtu=0, rmx_hopcount=0, rmx_expire=rmx_expire,
                       rmx_recvpipe=0, rmx_sendpipe=0, rmx_ssthresh=0, rmx_rtt=0,
                       rmx_rttvar=0, rmx_pksent=0, rmx_filler=[0, 0, 0, 0])
            msg = rt_msg_build(cmd, addrs, rtm_flags=flags, rtm_seq=self.seq, rtm_rmx=rmx,
                               rtm_inits=RTV_EXPIRE if rmx_expire else 0)
        try:
            libc.write(self.s, msg)
        except OSError as e:
            if e.errno != ESRCH or cmd != RTM_DELETE:
                libc.err(1, "writing to routing socket")
        while True:
            try:
                buf = libc.read(self.s, 2048)
            except OSError:
                libc.fprintf(stderr, "ndp: read from routing socket: %s\n",
                             libc.strerror(libc.errno()))
                return None
            if len(buf) < RT_MSGHDR_LEN:
                return None
            h = rt_msghdr.parse(buf[:RT_MSGHDR_LEN])
            if h.rtm_seq == self.seq and h.rtm_pid == self.pid:
                try:
                    sas = rt_addrs_unpack(h.rtm_addrs, buf[:h.rtm_msglen], RT_MSGHDR_LEN)
                except ValueError:
                    sas = {}
                return h, {"raw": buf[:h.rtm_msglen], **sas}

    def rtget(self, host: str, sin: sockaddr_in6, flags: int = 0) -> tuple[Any, dict, bool]:
        """RTM_GET for ``sin`` (named ``host``): the answer's header and
        sockaddrs, and whether it is about ``sin`` itself rather than a route
        that covers it.  ``errx(1, "RTM_GET(host) failed")`` without an answer."""
        got = self.rtmsg(RTM_GET, {RTAX_DST: sin}, flags)
        if got is None:
            libc.errx(1, "RTM_GET(%s) failed", host)
            raise AssertionError("not reached: errx() exits")
        h, sas = got
        rdst = sas.get(RTAX_DST)
        return h, sas, isinstance(rdst, sockaddr_in6) and rdst.sin6_addr == sin.sin6_addr

    # -- set / get / delete -----------------------------------------------------------------
    def set(self, args: list[str]) -> int:
        host, eaddr = args[0], args[1]
        self.getsocket()
        sin = self.getaddr(host)
        if sin is None:
            return 1
        ea = libc.ether_aton(eaddr)
        if ea is None:
            libc.fprintf(stderr, "ndp: invalid Ethernet address '%s'\n", eaddr)
            ea = b""
        self.flags = self.expire_time = 0
        for a in args[2:]:
            if a.startswith("temp"):
                self.expire_time = libc.time() + 20 * 60
            elif a.startswith("proxy"):
                self.flags |= RTF_ANNOUNCE
        h, sas, found = self.rtget(host, sin, self.flags)
        sdl = sas.get(RTAX_GATEWAY)
        if found:
            if not (isinstance(sdl, sockaddr_dl) and not h.rtm_flags & RTF_GATEWAY
                    and sdl.sdl_type in _ETHER_TYPES):
                libc.fprintf(stderr, "set: cannot configure a new entry\n")
                return 1
        if not isinstance(sdl, sockaddr_dl):
            libc.printf("cannot intuit interface index and type for %s\n", host)
            return 1
        gw = sockaddr_dl(sdl.sdl_index, sdl.sdl_type, "", ea)
        self.rtmsg(RTM_ADD, {RTAX_DST: sin, RTAX_GATEWAY: gw},
                   self.flags | RTF_HOST | RTF_STATIC | RTF_LLDATA, self.expire_time)
        return 0

    def get(self, host: str) -> None:
        sin = self.getaddr(host)
        if sin is None:
            return
        self.dump(sin, False)
        if not self.found_entry:
            libc.printf("%s (%s) -- no entry\n", host, self.nameof(sin))
            libc.exit(1)

    def delete(self, host: str) -> int:
        self.getsocket()
        sin = self.getaddr(host)
        if sin is None:
            return 1
        h, sas, found = self.rtget(host, sin)
        sdl = sas.get(RTAX_GATEWAY)
        if found:
            if not (isinstance(sdl, sockaddr_dl) and not h.rtm_flags & RTF_GATEWAY):
                libc.fprintf(stderr, "delete: cannot delete non-NDP entry\n")
                return 1
        if not isinstance(sdl, sockaddr_dl):
            libc.printf("cannot locate %s\n", host)
            return 1
        # the answer goes back as RTM_DELETE, its destination the neighbor's address
        raw = sas["raw"]
        msg = raw[:RT_MSGHDR_LEN] + sin.pack() + raw[RT_MSGHDR_LEN + 28:]
        got = self.rtmsg(RTM_DELETE, {}, RTF_LLDATA, raw=msg)
        if got is not None:
            h2, sas2 = got
            d = sas2.get(RTAX_DST)
            name = self.nameof(d) if isinstance(d, sockaddr_in6) else host
            libc.printf("%s (%s) deleted\n", host, name)
        return 0

    # -- the cache ----------------------------------------------------------------------------
    def getnbrinfo(self, addr: bytes, ifindex: int, warning: bool) -> Optional[in6_nbrinfo]:
        s = socket6()
        try:
            return libc.ioctl(s, SIOCGNBRINFO_IN6,
                              in6_nbrinfo(libc.if_indextoname(ifindex) or "", addr))
        except OSError:
            if warning:
                libc.warn("ioctl(SIOCGNBRINFO_IN6)")
            return None
        finally:
            libc.close(s)

    @staticmethod
    def ether_str(sdl: sockaddr_dl) -> str:
        if len(sdl.sdl_lladdr) == 6:
            return libc.ether_ntoa(sdl.sdl_lladdr)
        if sdl.sdl_lladdr:
            return ".".join("%x" % b for b in sdl.sdl_lladdr)
        return "(incomplete)"

    def ts_print(self) -> str:
        tv = libc.gettimeofday()
        s = tv.tv_sec % 86400
        return "%02d:%02d:%02d.%06u " % (s // 3600, (s % 3600) // 60, s % 60, tv.tv_usec)

    def dump(self, addr: Optional[sockaddr_in6], cflag: bool) -> None:
        if not self.tflag and not cflag:
            libc.printf("%-*.*s %-*.*s %*.*s %-9.9s %1s %5s\n", W_ADDR, W_ADDR, "Neighbor",
                        W_LL, W_LL, "Linklayer Address", W_IF, W_IF, "Netif", "Expire", "S",
                        "Flags")
        while True:
            try:
                msgs = rt_msg_split(libc.sysctlbyname("net.route.llinfo"))
            except OSError:
                libc.err(1, "sysctl(PF_ROUTE estimate)")
                return
            except ValueError:
                msgs = []
            for msg in msgs:
                self.dump_entry(msg, addr, cflag)
            if not self.repeat:
                return
            libc.printf("\n")
            libc.fflush(libc.stdout)
            libc.sleep(self.repeat)

    def dump_entry(self, msg: bytes, addr: Optional[sockaddr_in6], cflag: bool) -> None:
        h = rt_msghdr.parse(msg[:RT_MSGHDR_LEN])
        try:
            sas = rt_addrs_unpack(h.rtm_addrs, msg, RT_MSGHDR_LEN)
        except ValueError:
            return
        sin, sdl = sas.get(RTAX_DST), sas.get(RTAX_GATEWAY)
        if not isinstance(sdl, sockaddr_dl) or not isinstance(sin, sockaddr_in6):
            return
        if not h.rtm_flags & RTF_HOST:
            return
        if addr is not None:
            if sin.sin6_addr != addr.sin6_addr or sin.sin6_scope_id != addr.sin6_scope_id:
                return
            self.found_entry = True
        elif IN6_IS_ADDR_MULTICAST(sin.sin6_addr):
            return
        if (IN6_IS_ADDR_LINKLOCAL(sin.sin6_addr) or IN6_IS_ADDR_MC_LINKLOCAL(sin.sin6_addr)) \
                and sin.sin6_scope_id == 0:
            sin = sockaddr_in6(sin.sin6_addr, 0, 0, sdl.sdl_index)
        host_buf = self.nameof(sin)
        if cflag:
            if not h.rtm_flags & RTF_PINNED:
                self.delete(host_buf)
            return
        line = self.ts_print() if self.tflag else ""
        ll = self.ether_str(sdl)
        addrwidth = max(len(host_buf), W_ADDR)
        llwidth = max(len(ll), W_ADDR + W_LL - addrwidth)
        ifname = libc.if_indextoname(sdl.sdl_index) or "?"
        ifwidth = max(len(ifname), W_ADDR + W_LL + W_IF - addrwidth - llwidth)
        line += "%-*.*s %-*.*s %*.*s" % (addrwidth, addrwidth, host_buf, llwidth, llwidth, ll,
                                         ifwidth, ifwidth, ifname)
        isrouter = prbs = 0
        nbi = self.getnbrinfo(sin.sin6_addr, sdl.sdl_index, True)
        if nbi is not None:
            now = _uptime()
            if nbi.expire > now:
                line += " %-9.9s" % sec2str(nbi.expire - now)
            elif nbi.expire == 0:
                line += " %-9.9s" % "permanent"
            else:
                line += " %-9.9s" % "expired"
            line += " " + _STATE_LETTER.get(nbi.state, "?")
            isrouter = nbi.isrouter
            prbs = nbi.asked
        else:
            libc.warnx("failed to get neighbor information")
            line += "  "
        flgbuf = ("R" if isrouter else "") + ("p" if h.rtm_flags & RTF_ANNOUNCE else "")
        line += " " + flgbuf
        if prbs:
            line += " %d" % prbs
        libc.printf("%s\n", line)

    # -- per-interface information ----------------------------------------------------------
    def ifinfo(self, ifname: str, args: list[str]) -> None:
        s = socket6()
        nd = ioctl_or_err(s, SIOCGIFINFO_IN6, in6_ndireq(ifname), "SIOCGIFINFO_IN6")
        ND = nd.ndi
        newflags = ND.flags
        for cp in args:
            clear = cp.startswith("-")
            if clear:
                cp = cp[1:]
            for word, bit in ND6_IFF_WORDS:
                if cp == word:
                    newflags = newflags & ~bit if clear else newflags | bit
            for word, attr in (("basereachable", "basereachable"), ("retrans", "retrans"),
                               ("curhlim", "chlim")):
                setattr(ND, attr, 0)             # unspecified
                if cp.startswith(word):
                    if "=" not in cp:
                        libc.err(1, "syntax error in %s field", word)
                    try:
                        setattr(ND, attr, int(cp.split("=", 1)[1], 0))
                    except ValueError:
                        setattr(ND, attr, 0)
            ND.flags = newflags
            ioctl_or_err(s, SIOCSIFINFO_IN6, nd, "SIOCSIFINFO_IN6")
        if not ND.initialized:
            libc.errx(1, "%s: not initialized yet", ifname)
        nd = ioctl_or_err(s, SIOCGIFINFO_IN6, in6_ndireq(ifname), "SIOCGIFINFO_IN6")
        ND = nd.ndi
        out = "linkmtu=%d" % ND.linkmtu
        out += ", maxmtu=%d" % ND.maxmtu
        out += ", curhlim=%d" % ND.chlim
        out += ", basereachable=%ds%dms" % (ND.basereachable // 1000, ND.basereachable % 1000)
        out += ", reachable=%ds" % ND.reachable
        out += ", retrans=%ds%dms" % (ND.retrans // 1000, ND.retrans % 1000)
        if ND.flags:
            out += "\nFlags: "
            for word, bit in ND6_IFF_WORDS:
                if ND.flags & bit:
                    out += word + " "
        libc.printf("%s\n", out)
        libc.close(s)

    # -- router and prefix lists ------------------------------------------------------------
    def rtrlist(self) -> None:
        for p in sysctl_list("net.inet6.icmp6.nd6_drlist", "ICMPV6CTL_ND6_DRLIST"):
            host = self.nameof(p.rtaddr)
            line = "%s if=%s" % (host, libc.if_indextoname(p.if_index) or "")
            line += ", flags=%s%s" % ("M" if p.flags & ND_RA_FLAG_MANAGED else "",
                                      "O" if p.flags & ND_RA_FLAG_OTHER else "")
            line += ", pref=%s" % RTPREF_STR[((p.flags & ND_RA_FLAG_RTPREF_MASK) >> 3) & 3]
            if p.expire == 0:
                line += ", expire=Never"
            else:
                line += ", expire=%s" % sec2str(p.expire - _uptime())
            libc.printf("%s\n", line)

    def plist(self) -> None:
        for p in sysctl_list("net.inet6.icmp6.nd6_prlist", "ICMPV6CTL_ND6_PRLIST"):
            try:
                name = libc.getnameinfo(p.prefix, libc.NI_NUMERICHOST)[0]
            except OSError:
                name = "?"
            libc.printf("%s/%d if=%s\n", name, p.prefixlen,
                        libc.if_indextoname(p.if_index) or "")
            now = _uptime()
            line = "flags=%s%s%s%s" % ("L" if p.raflags_onlink else "",
                                       "A" if p.raflags_autonomous else "",
                                       "O" if p.flags & NDPRF_ONLINK else "",
                                       "D" if p.flags & NDPRF_DETACHED else "")
            line += (" vltime=infinity" if p.vltime == ND6_INFINITE_LIFETIME
                     else " vltime=%d" % p.vltime)
            line += (", pltime=infinity" if p.pltime == ND6_INFINITE_LIFETIME
                     else ", pltime=%d" % p.pltime)
            if p.expire == 0:
                line += ", expire=Never"
            elif p.expire >= now:
                line += ", expire=%s" % sec2str(p.expire - now)
            else:
                line += ", expired"
            line += ", ref=%d" % p.refcnt
            libc.printf("%s\n", line)
            if p.advrtrs:
                libc.printf("  advertised by\n")
                for sin6 in p.advrtrs:
                    rname = self.nameof(sin6)
                    nbi = self.getnbrinfo(sin6.sin6_addr, p.if_index, False)
                    if nbi is None:
                        st = "no neighbor state"
                    elif nbi.state in (ND6_LLINFO_REACHABLE, ND6_LLINFO_STALE,
                                       ND6_LLINFO_DELAY, ND6_LLINFO_PROBE):
                        st = "reachable"
                    else:
                        st = "unreachable"
                    libc.printf("    %s (%s)\n", rname, st)
            else:
                libc.printf("  No advertising router\n")

    def flush_ioctl(self, cmd: int, what: str) -> None:
        s = socket6()
        ioctl_or_err(s, cmd, "lo0", what)                 # dummy
        libc.close(s)

    def setdefif(self, ifname: str) -> None:
        if ifname.lower() == "delete":
            idx = 0
        else:
            idx = libc.if_nametoindex(ifname)
            if idx == 0:
                libc.err(1, "failed to resolve i/f index for %s", ifname)
        s = socket6()
        ioctl_or_err(s, SIOCSDEFIFACE_IN6, in6_ndifreq("lo0", idx), "SIOCSDEFIFACE_IN6")
        libc.close(s)

    def getdefif(self) -> None:
        s = socket6()
        r = ioctl_or_err(s, SIOCGDEFIFACE_IN6, in6_ndifreq("lo0"), "SIOCGDEFIFACE_IN6")
        if r.ifindex == 0:
            libc.printf("No default interface.\n")
        else:
            name = libc.if_indextoname(r.ifindex)
            if name is None:
                libc.err(1, "failed to resolve ifname for index %lu", r.ifindex)
            libc.printf("ND default interface = %s\n", name)
        libc.close(s)

    def file(self, name: str) -> int:
        try:
            fp = libc.fopen(name, "r")
        except OSError:
            libc.err(1, "cannot open %s", name)
            return 1
        retval = 0
        while True:
            line = libc.fgets(fp)
            if line is None:
                break
            line = line.split("#", 1)[0]
            words = line.split()[:5]
            if not words:
                continue
            if len(words) < 2:
                libc.warnx("bad line: %s", line)
                retval = 1
                continue
            if self.set(words):
                retval = 1
        libc.fclose(fp)
        return retval


# modes that take no operands, and the flush ioctls of -H, -P, -R
_NOARGS = frozenset("acdprHPR")
_FLUSH = {"H": (SIOCSNDFLUSH_IN6, "SIOCSNDFLUSH_IN6"), "P": (SIOCSPFXFLUSH_IN6, "SIOCSPFXFLUSH_IN6"),
          "R": (SIOCSRTRFLUSH_IN6, "SIOCSRTRFLUSH_IN6")}


def main(argv: list[str]) -> int:
    n = Ndp()
    n.pid = libc.getpid()
    mode = ""
    arg: Optional[str] = None
    opts, args = libc.getopt(argv, "acd:f:Ii:nprstA:HPR")
    for o, a in opts:
        if o in ("a", "c", "p", "r", "H", "P", "R", "s", "I"):
            if mode:
                n.usage()
            mode = o
            arg = None
        elif o == "f":
            libc.exit(1 if n.file(a or "") else 0)
        elif o in ("d", "i"):
            if mode:
                n.usage()
            mode = o
            arg = a
        elif o == "n":
            n.nflag = True
        elif o == "t":
            n.tflag = True
        elif o == "A":
            if mode:
                n.usage()
            mode = "a"
            n.repeat = libc.atoi(a or "")
            if n.repeat < 0:
                n.usage()
        else:
            n.usage()
    if mode in _NOARGS and args:
        n.usage()
    if mode in ("a", "c"):
        n.dump(None, mode == "c")
    elif mode == "d":
        n.delete(arg or "")
    elif mode == "I":
        if len(args) > 1:
            n.usage()
        elif len(args) == 1:
            if args[0] == "delete" or libc.if_nametoindex(args[0]):
                n.setdefif(args[0])
            else:
                libc.errx(1, "invalid interface %s", args[0])
        n.getdefif()
    elif mode == "p":
        n.plist()
    elif mode == "i":
        n.ifinfo(arg or "", args)
    elif mode == "r":
        n.rtrlist()
    elif mode == "s":
        if len(args) < 2 or len(args) > 4:
            n.usage()
        libc.exit(1 if n.set(args) else 0)
    elif mode in _FLUSH:
        n.flush_ioctl(*_FLUSH[mode])
    else:
        if len(args) != 1:
            n.usage()
        n.get(args[0])
    return 0


__all__ = ["main", "sec2str"]
