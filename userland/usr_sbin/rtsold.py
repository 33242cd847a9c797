"""rtsold(8), rtsol(8): router solicitation daemon (usr.sbin/rtsold: rtsold.c, rtsol.c,
if.c, rtsock.c, dump.c; KAME, as in FreeBSD 9).

For each interface (named, or ``-a``: every up, multicast, non-loopback one
with IPv6 enabled and ``accept_rtadv`` set) rtsold sends Router
Solicitations (RFC 4861 4.1, 6.3.7) from a raw ICMPv6 socket to ff02::2 with
hop limit 255 (IPV6_HOPLIMIT) out of that interface (IPV6_PKTINFO), with a
Source Link-layer Address option: after a random delay of up to
MAX_RTR_SOLICITATION_DELAY (1 s), up to MAX_RTR_SOLICITATIONS (3) of them
RTR_SOLICITATION_INTERVAL (4 s) apart, until a Router Advertisement comes
(its ICMP6_FILTER passes only RAs; it checks hop limit 255 and a
link-local source, RFC 4861 6.1.2).  The kernel itself processes the RA
(nd6_ra_input: default router, prefixes, SLAAC addresses) — rtsold only
asks for it, and hands RDNSS/DNSSL options (RFC 6106) to resolvconf(8)
(``-R``) and the O flag to ``-O script``.

Per interface the state machine of rtsold.c: DOWN / TENTATIVE (waiting for
the interface to be up and its link-local address to leave DAD, checked
every second), DELAY, PROBE, IDLE.  In IDLE, a change of the link status
(carrier, read with SIOCGIFMEDIA) starts a new solicitation: rtsold learns
of it from the routing socket (RTM_IFINFO), where KAME's rtsold polls it
with ``-m``.

``rtsold`` daemonizes (``-f``: stays in the foreground, messages to stderr
instead of syslog) and writes /var/run/rtsold.pid (``-p``); ``-1`` exits
after one round.  ``rtsol`` is ``rtsold -f1`` (the SMALL build of FreeBSD):
it exits when every interface got an RA, or after the last solicitation's
wait.  ``-d``/``-D`` show more messages; SIGUSR1 dumps the state to
/var/run/rtsold.dump.  ``-F`` sets accept_rtadv on the interfaces itself.
"""
from __future__ import annotations

import struct
from typing import Any, Optional

from kernel.wire.errno import EINTR, ENETDOWN
from kernel.wire.icmp6 import (ICMP6_FILTER, ICMP6_FILTER_SETBLOCKALL, ICMP6_FILTER_SETPASS,
                               ND_ROUTER_ADVERT, ND_ROUTER_SOLICIT, icmp6_filter)
from kernel.wire.in6 import IN6_IS_ADDR_LINKLOCAL, inet_pton6, sockaddr_in6
from kernel.wire.in6_sockopt import (IPPROTO_IPV6, IPV6_HOPLIMIT, IPV6_PKTINFO,
                                     IPV6_RECVHOPLIMIT, IPV6_RECVPKTINFO, cmsg_int,
                                     cmsg_int_value, in6_pktinfo)
from kernel.wire.in6_var import (IN6_IFF_DUPLICATED, IN6_IFF_NOTREADY, ND6_IFF_ACCEPT_RTADV,
                                 ND6_IFF_IFDISABLED, SIOCGIFAFLAG_IN6, SIOCGIFINFO_IN6,
                                 SIOCSIFINFO_IN6, in6_ifreq, in6_ndireq)
from kernel.wire.ip6 import IPPROTO_ICMPV6
from kernel.wire.net_if import (IFF, IFM_ACTIVE, IFM_AVALID, ifmediareq, ifreq)
from kernel.wire.poll import POLLIN, pollfd
from kernel.wire.route import (AF_LINK, IF_MSGHDR_LEN, PF_ROUTE, RTM_IFINFO, if_msghdr,
                               rt_msg_common)
from kernel.wire.signal import SIGUSR1
from kernel.wire.socket import AF_INET6, SOCK_DGRAM, SOCK_RAW, msghdr
from kernel.wire.sockio import SIOCGIFFLAGS, SIOCGIFMEDIA, SIOCSIFFLAGS
from userland import libc
from userland.libc import stderr
from userland.usr_sbin.ndp import sec2str as ndp_sec2str

# protocol constants (RFC 4861 10)
MAX_RTR_SOLICITATION_DELAY = 1      # second
RTR_SOLICITATION_INTERVAL = 4       # seconds
MAX_RTR_SOLICITATIONS = 3           # times
# implementation dependent constants in seconds
PROBE_INTERVAL = 60
DADRETRY = 10
MILLION = 1000000

IFS_IDLE, IFS_DELAY, IFS_PROBE, IFS_DOWN, IFS_TENTATIVE = range(5)
IFSTATSTR = ("IDLE", "DELAY", "PROBE", "DOWN", "TENTATIVE")
ND_OPT_SOURCE_LINKADDR = 1
ND_OPT_RDNSS = 25
ND_OPT_DNSSL = 31
ND_RA_FLAG_OTHER = 0x40
DNSINFO_ORIGIN_LABEL = "slaac"
ALLROUTERS = inet_pton6("ff02::2")
TM_MAX = (0x7FFFFFFF, 0x7FFFFFFF)     # no timer
LOG_EMERG, LOG_ALERT, LOG_CRIT, LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO, LOG_DEBUG = range(8)

_rs = struct.Struct("!BBHI")          # struct nd_router_solicit
_ra = struct.Struct("!BBHBBHII")      # struct nd_router_advert


def _tv() -> tuple[int, int]:
    t = libc.gettimeofday()
    return t.tv_sec, t.tv_usec


def _tvadd(a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int]:
    s, u = a[0] + b[0], a[1] + b[1]
    if u >= MILLION:
        s, u = s + 1, u - MILLION
    return s, u


def _tvsub(a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int]:
    s, u = a[0] - b[0], a[1] - b[1]
    if u < 0:
        s, u = s - 1, u + MILLION
    return s, u


class ifinfo:
    """``struct ifinfo`` (rtsold.h): one interface being solicited."""

    def __init__(self, ifname: str, index: int, lladdr: Optional[bytes]) -> None:
        self.ifname = ifname
        self.index = index
        self.linkid = index             # XXX: assume interface IDs as link IDs
        self.lladdr = lladdr
        self.active = 0
        self.mediareqok = 1
        self.probeinterval = 0
        self.probetimer = 0
        self.state = IFS_DOWN
        self.probes = 0
        self.dadcount = 0
        self.timer: tuple[int, int] = (0, 0)
        self.expire: tuple[int, int] = TM_MAX
        self.racnt = 0
        self.otherconfig = 0
        self.rs_data = b""
        self.rainfo: dict[bytes, list[tuple[int, str, tuple[int, int]]]] = {}
        self.rdnss_received = False


class Rtsold:
    def __init__(self, small: bool) -> None:
        self.small = small
        self.fflag = small
        self.once = small
        self.Fflag = self.aflag = self.uflag = False
        self.dflag = 0
        self.mobile_node = False
        self.log_upto = LOG_NOTICE
        self.otherconf_script: Optional[str] = None
        self.resolvconf_script: Optional[str] = "/sbin/resolvconf"
        self.pidfilename = "/var/run/rtsold.pid"
        self.dumpfilename = "/var/run/rtsold.dump"
        self.do_dump = False
        self.iflist: list[ifinfo] = []
        self.s = -1
        self.rtsock = -1

    # -- messages -----------------------------------------------------------------------
    def warnmsg(self, priority: int, func: str, msg: str, *args: Any) -> None:
        text = msg % args if args else msg
        if self.fflag:
            if priority <= self.log_upto:
                libc.fprintf(stderr, "%s\n", text)
        else:
            libc.syslog(priority, "<%s> %s", func, text)

    def ioctl_warn(self, priority: int, func: str, s: int, cmd: int, arg: Any, what: str) -> Any:
        """ioctl(2); when it fails, ``ioctl(WHAT): error`` said as warnmsg says it
        and None returned."""
        try:
            return libc.ioctl(s, cmd, arg)
        except OSError as e:
            self.warnmsg(priority, func, "ioctl(%s): %s", what, libc.strerror(e.errno))
            return None

    def sec2str(self, total: tuple[int, int]) -> str:
        if total == TM_MAX:
            return "infinity"
        now = _tv()
        return ndp_sec2str(total[0] + total[1] // MILLION - now[0] - now[1] // MILLION)

    # -- interfaces (if.c) ----------------------------------------------------------------
    def if_nametosdl(self, name: str) -> Optional[tuple[int, Optional[bytes]]]:
        """(index, link-layer address) of ``name`` from getifaddrs, None if unknown."""
        for ifa in libc.getifaddrs():
            sdl = ifa.ifa_addr
            if ifa.ifa_name == name and getattr(sdl, "sdl_family", None) == AF_LINK:
                return sdl.sdl_index, bytes(sdl.sdl_lladdr) or None
        return None

    def interface_up(self, name: str) -> int:
        """Bring ``name`` up; 0 when ready, IFS_TENTATIVE while its link-local
        address is in DAD, -1 otherwise."""
        try:
            s = libc.socket(AF_INET6, SOCK_DGRAM, 0)
        except OSError as e:
            self.warnmsg(LOG_WARNING, "interface_up", "socket(AF_INET6, SOCK_DGRAM): %s",
                         libc.strerror(e.errno))
            return -1
        try:
            ifr = self.ioctl_warn(LOG_WARNING, "interface_up", s, SIOCGIFFLAGS, ifreq(name),
                                  "SIOCGIFFLAGS")
            if ifr is None:
                return -1
            flags = (ifr.ifr_flags & 0xFFFF) | (ifr.ifr_flagshigh << 16)
            if not flags & IFF.UP:
                flags |= IFF.UP
                self.ioctl_warn(LOG_ERR, "interface_up", s, SIOCSIFFLAGS,
                                ifreq(name, ifr_flags=flags & 0xFFFF, ifr_flagshigh=flags >> 16),
                                "SIOCSIFFLAGS")
                return -1
            nd = self.ioctl_warn(LOG_WARNING, "interface_up", s, SIOCGIFINFO_IN6,
                                 in6_ndireq(name), "SIOCGIFINFO_IN6")
            if nd is None:
                return -1
        finally:
            libc.close(s)
        if nd.ndi.flags & ND6_IFF_IFDISABLED:
            self.warnmsg(LOG_DEBUG, "interface_up", "%s is disabled", name)
            return -1
        self.warnmsg(LOG_DEBUG, "interface_up", "checking if %s is ready...", name)
        llflag = self.get_llflag(name)
        if llflag < 0:
            self.warnmsg(LOG_WARNING, "interface_up", "get_llflag() failed, anyway I'll try")
            return 0
        if not llflag & IN6_IFF_NOTREADY:
            self.warnmsg(LOG_DEBUG, "interface_up", "%s is ready", name)
            return 0
        self.warnmsg(LOG_DEBUG, "interface_up", "%s is tentative", name)
        if llflag & IN6_IFF_DUPLICATED:
            self.warnmsg(LOG_WARNING, "interface_up", "%s is duplicated", name)
        return IFS_TENTATIVE

    def get_llflag(self, name: str) -> int:
        """The flags of ``name``'s link-local address (-1 if it has none)."""
        try:
            s = libc.socket(AF_INET6, SOCK_DGRAM, 0)
        except OSError:
            return -1
        try:
            for ifa in libc.getifaddrs():
                a = ifa.ifa_addr
                if ifa.ifa_name != name or not isinstance(a, sockaddr_in6):
                    continue
                if not IN6_IS_ADDR_LINKLOCAL(a.sin6_addr):
                    continue
                try:
                    return libc.ioctl(s, SIOCGIFAFLAG_IN6, in6_ifreq(name, a)).ifru_flags6
                except OSError as e:
                    self.warnmsg(LOG_ERR, "get_llflag", "ioctl(SIOCGIFAFLAG_IN6): %s",
                                 libc.strerror(e.errno))
                    return -1
        finally:
            libc.close(s)
        return -1

    def interface_status(self, ifi: ifinfo) -> int:
        """1 if the interface is up with a carrier, 0 if not."""
        try:
            s = libc.socket(AF_INET6, SOCK_DGRAM, 0)
        except OSError:
            return 0
        try:
            try:
                ifr = libc.ioctl(s, SIOCGIFFLAGS, ifreq(ifi.ifname))
            except OSError as e:
                self.warnmsg(LOG_ERR, "interface_status", "ioctl(SIOCGIFFLAGS) on %s: %s",
                             ifi.ifname, libc.strerror(e.errno))
                return -1
            if not ifr.ifr_flags & IFF.UP:
                return 0
            if not ifi.mediareqok:
                return 1
            try:
                ifmr = libc.ioctl(s, SIOCGIFMEDIA, ifmediareq(ifi.ifname))
            except OSError:
                ifi.mediareqok = 0
                return 1
        finally:
            libc.close(s)
        if ifmr.ifm_status & IFM_AVALID:
            return 1 if ifmr.ifm_status & IFM_ACTIVE else 0
        return 1

    def lladdropt(self, ifi: ifinfo) -> bytes:
        """The Source Link-layer Address option (RFC 4861 4.6.1), b"" if none."""
        if not ifi.lladdr:
            return b""
        n = 2 + len(ifi.lladdr)
        units = (n + 7) // 8
        return bytes((ND_OPT_SOURCE_LINKADDR, units)) + ifi.lladdr + bytes(units * 8 - n)

    def make_packet(self, ifi: ifinfo) -> None:
        opt = self.lladdropt(ifi)
        if not opt:
            self.warnmsg(LOG_INFO, "make_packet", "link-layer address option has null length"
                         " on %s. Treat as not included.", ifi.ifname)
        ifi.rs_data = _rs.pack(ND_ROUTER_SOLICIT, 0, 0, 0) + opt

    def find_ifinfo(self, index: int) -> Optional[ifinfo]:
        for ifi in self.iflist:
            if ifi.index == index:
                return ifi
        return None

    def ifconfig(self, ifname: str) -> int:
        """Start soliciting on ``ifname`` (rtsold.c's ifconfig)."""
        sdl = self.if_nametosdl(ifname)
        if sdl is None:
            self.warnmsg(LOG_ERR, "ifconfig", "failed to get link layer information for %s",
                         ifname)
            return -1
        index, lladdr = sdl
        if self.find_ifinfo(index):
            self.warnmsg(LOG_ERR, "ifconfig", "interface %s was already configured", ifname)
            return -1
        if self.Fflag:
            try:
                s = libc.socket(AF_INET6, SOCK_DGRAM, 0)
            except OSError:
                self.warnmsg(LOG_ERR, "ifconfig", "socket() failed.")
                return -1
            try:
                try:
                    nd = libc.ioctl(s, SIOCGIFINFO_IN6, in6_ndireq(ifname))
                except OSError:
                    self.warnmsg(LOG_ERR, "ifconfig", "cannot get accept_rtadv flag")
                    return -1
                nd.ndi.flags |= ND6_IFF_ACCEPT_RTADV
                try:
                    libc.ioctl(s, SIOCSIFINFO_IN6, in6_ndireq(ifname, nd.ndi))
                except OSError:
                    self.warnmsg(LOG_ERR, "ifconfig", "cannot set accept_rtadv flag")
                    return -1
            finally:
                libc.close(s)
        ifi = ifinfo(ifname, index, lladdr)
        self.make_packet(ifi)
        ifi.mediareqok = 1
        ifi.active = self.interface_status(ifi)
        if not ifi.mediareqok:
            ifi.probeinterval = PROBE_INTERVAL
        flags = self.interface_up(ifname)
        ifi.state = IFS_DELAY if flags == 0 else IFS_TENTATIVE if flags == IFS_TENTATIVE \
            else IFS_DOWN
        self.rtsol_timer_update(ifi)
        self.iflist.append(ifi)
        return 0

    def autoifprobe(self) -> list[str]:
        """The interfaces suitable for sending an RS."""
        out: list[str] = []
        s = -1
        if not self.Fflag:
            try:
                s = libc.socket(AF_INET6, SOCK_DGRAM, 0)
            except OSError:
                self.warnmsg(LOG_ERR, "autoifprobe", "socket")
                libc.exit(1)
        try:
            for ifa in libc.getifaddrs():
                f = ifa.ifa_flags
                if not f & IFF.UP or f & IFF.POINTOPOINT or f & IFF.LOOPBACK:
                    continue
                if not f & IFF.MULTICAST or not isinstance(ifa.ifa_addr, sockaddr_in6):
                    continue
                if ifa.ifa_name in out:
                    continue
                if not self.Fflag:
                    try:
                        nd = libc.ioctl(s, SIOCGIFINFO_IN6, in6_ndireq(ifa.ifa_name))
                    except OSError:
                        self.warnmsg(LOG_ERR, "autoifprobe", "ioctl(SIOCGIFINFO_IN6)")
                        libc.exit(1)
                    if nd.ndi.flags & ND6_IFF_IFDISABLED:
                        continue
                    if not nd.ndi.flags & ND6_IFF_ACCEPT_RTADV:
                        continue
                if out and self.dflag > 1:
                    self.warnmsg(LOG_WARNING, "autoifprobe", "multiple interfaces found")
                out.append(ifa.ifa_name)
        finally:
            if s >= 0:
                libc.close(s)
        if self.dflag > 0:
            for n in out:
                self.warnmsg(LOG_WARNING, "autoifprobe", "probing %s", n)
        return out

    # -- the socket (rtsol.c) -------------------------------------------------------------
    def sockopen(self) -> int:
        try:
            s = libc.socket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6)
        except OSError as e:
            self.warnmsg(LOG_ERR, "sockopen", "socket: %s", libc.strerror(e.errno))
            return -1
        for opt, name in ((IPV6_RECVPKTINFO, "IPV6_RECVPKTINFO"),
                          (IPV6_RECVHOPLIMIT, "IPV6_RECVHOPLIMIT")):
            try:
                libc.setsockopt(s, IPPROTO_IPV6, opt, 1)
            except OSError as e:
                self.warnmsg(LOG_ERR, "sockopen", "%s: %s", name, libc.strerror(e.errno))
                libc.exit(1)
        # specify to accept only router advertisements on the socket
        filt = icmp6_filter()
        ICMP6_FILTER_SETBLOCKALL(filt)
        ICMP6_FILTER_SETPASS(ND_ROUTER_ADVERT, filt)
        try:
            libc.setsockopt(s, IPPROTO_ICMPV6, ICMP6_FILTER, filt)
        except OSError as e:
            self.warnmsg(LOG_ERR, "sockopen", "setsockopt(ICMP6_FILTER): %s",
                         libc.strerror(e.errno))
            return -1
        return s

    def sendpacket(self, ifi: ifinfo) -> None:
        dst = sockaddr_in6(ALLROUTERS, 0, 0, ifi.linkid)
        control = [(IPPROTO_IPV6, IPV6_PKTINFO, in6_pktinfo(bytes(16), ifi.index).pack()),
                   (IPPROTO_IPV6, IPV6_HOPLIMIT, cmsg_int(255))]
        self.warnmsg(LOG_DEBUG, "sendpacket", "send RS on %s, whose state is %d",
                     ifi.ifname, ifi.state)
        try:
            i = libc.sendmsg(self.s, msghdr(dst, [ifi.rs_data], control), 0)
            err = 0
        except OSError as e:
            i, err = -1, e.errno
        if i != len(ifi.rs_data):
            # ENETDOWN is not so serious, especially when using several
            # network cards on a mobile node. We ignore it.
            if err != ENETDOWN or self.dflag > 0:
                self.warnmsg(LOG_ERR, "sendpacket", "sendmsg on %s: %s", ifi.ifname,
                             libc.strerror(err))
        ifi.probes += 1

    def rtsol_input(self, s: int) -> None:
        buf = bytearray(1500)
        m = msghdr(None, [buf], [], 64)
        try:
            msglen = libc.recvmsg(s, m, 0)
        except OSError as e:
            self.warnmsg(LOG_ERR, "rtsol_input", "recvmsg: %s", libc.strerror(e.errno))
            return
        ifindex = 0
        hlim = None
        for level, ctype, data in m.msg_control:
            if level == IPPROTO_IPV6 and ctype == IPV6_PKTINFO and len(data) == 20:
                ifindex = in6_pktinfo.unpack(data).ipi6_ifindex
            elif level == IPPROTO_IPV6 and ctype == IPV6_HOPLIMIT and len(data) == 4:
                hlim = cmsg_int_value(data)
        if ifindex == 0:
            self.warnmsg(LOG_ERR, "rtsol_input", "failed to get receiving interface")
            return
        if hlim is None:
            self.warnmsg(LOG_ERR, "rtsol_input", "failed to get receiving hop limit")
            return
        if msglen < _ra.size:
            self.warnmsg(LOG_INFO, "rtsol_input", "packet size(%d) is too short", msglen)
            return
        frm = m.msg_name
        src = libc.inet_ntop(AF_INET6, frm.sin6_addr) if isinstance(frm, sockaddr_in6) else "?"
        ifname = libc.if_indextoname(ifindex) or "?"
        itype, code = buf[0], buf[1]
        if itype != ND_ROUTER_ADVERT:
            self.warnmsg(LOG_ERR, "rtsol_input", "invalid icmp type(%d) from %s on %s", itype,
                         src, ifname)
            return
        if code != 0:
            self.warnmsg(LOG_INFO, "rtsol_input", "invalid icmp code(%d) from %s on %s", code,
                         src, ifname)
            return
        if hlim != 255:
            self.warnmsg(LOG_INFO, "rtsol_input", "invalid RA with hop limit(%d) from %s on %s",
                         hlim, src, ifname)
            return
        if not isinstance(frm, sockaddr_in6) or not IN6_IS_ADDR_LINKLOCAL(frm.sin6_addr):
            self.warnmsg(LOG_INFO, "rtsol_input",
                         "invalid RA with non link-local source from %s on %s", src, ifname)
            return
        ifi = self.find_ifinfo(ifindex)
        if ifi is None:
            self.warnmsg(LOG_INFO, "rtsol_input", "received RA from %s on an unexpected IF(%s)",
                         src, ifname)
            return
        self.warnmsg(LOG_DEBUG, "rtsol_input", "received RA from %s on %s, state is %d",
                     src, ifi.ifname, ifi.state)
        flags = buf[5]
        # Process the "O bit" (RFC 4862 5.5.3)
        if flags & ND_RA_FLAG_OTHER and not ifi.otherconfig:
            self.warnmsg(LOG_DEBUG, "rtsol_input", "OtherConfigFlag on %s is turned on",
                         ifi.ifname)
            ifi.otherconfig = 1
            if self.otherconf_script:
                self.call_script([self.otherconf_script, ifi.ifname], None)
        self.ra_options(ifi, frm.sin6_addr, bytes(buf[_ra.size:msglen]))
        ifi.racnt += 1
        if ifi.state == IFS_PROBE:
            ifi.state = IFS_IDLE
            ifi.probes = 0
            self.rtsol_timer_update(ifi)

    def ra_options(self, ifi: ifinfo, src: bytes, opts: bytes) -> None:
        """RDNSS and DNSSL options (RFC 6106) for resolvconf."""
        now = _tv()
        entries: list[tuple[int, str, tuple[int, int]]] = []
        off = 0
        while off + 2 <= len(opts):
            otype, olen = opts[off], opts[off + 1] * 8
            if olen == 0 or off + olen > len(opts):
                break
            body = opts[off:off + olen]
            if otype == ND_OPT_RDNSS:
                if opts[off + 1] < 3:
                    self.warnmsg(LOG_INFO, "rtsol_input", "too short RDNSS optionin RA from "
                                 "%s was ignored.", libc.inet_ntop(AF_INET6, src))
                else:
                    life = struct.unpack_from("!I", body, 4)[0]
                    for a in range(8, olen - 15, 16):
                        ns = libc.inet_ntop(AF_INET6, body[a:a + 16])
                        if IN6_IS_ADDR_LINKLOCAL(body[a:a + 16]):
                            ns += "%" + ifi.ifname
                        entries.append((ND_OPT_RDNSS, ns, _tvadd(now, (life, 0))))
            elif otype == ND_OPT_DNSSL:
                if opts[off + 1] < 2:
                    self.warnmsg(LOG_INFO, "rtsol_input", "too short DNSSL optionin RA from "
                                 "%s was ignored.", libc.inet_ntop(AF_INET6, src))
                else:
                    life = struct.unpack_from("!I", body, 4)[0]
                    p = 8
                    while p < olen and body[p]:
                        labels = []
                        while p < olen and body[p]:
                            n = body[p] & 0x3F
                            labels.append(body[p + 1:p + 1 + n].decode("ascii", "replace"))
                            p += 1 + n
                        p += 1
                        entries.append((ND_OPT_DNSSL, ".".join(labels), _tvadd(now, (life, 0))))
            off += olen
        ifi.rainfo[src] = entries
        self.ra_opt_handler(ifi)

    def ra_opt_handler(self, ifi: ifinfo) -> None:
        now = _tv()
        ns: list[str] = []
        search: list[str] = []
        for entries in ifi.rainfo.values():
            for otype, msg, expire in entries:
                if now > expire:
                    continue
                if otype == ND_OPT_RDNSS:
                    ns.append("nameserver %s\n" % msg)
                elif len(search) < 6:
                    search.append(msg)
        lines = ns + (["search %s \n" % " ".join(search)] if search else [])
        rsid = "%s:%s" % (ifi.ifname, DNSINFO_ORIGIN_LABEL)
        if self.resolvconf_script is None:
            return
        if lines:
            ifi.rdnss_received = True
            self.call_script([self.resolvconf_script, "-a", rsid], "".join(lines))
        elif ifi.rdnss_received:
            ifi.rdnss_received = False
            self.call_script([self.resolvconf_script, "-d", rsid], None)

    def call_script(self, argv: list[str], stdin_text: Optional[str]) -> None:
        try:
            st = libc.lstat(argv[0])
        except OSError as e:
            self.warnmsg(LOG_NOTICE, "safefile", "lstat failed: %s", libc.strerror(e.errno))
            self.warnmsg(LOG_ERR, "call_script", 'script "%s" cannot be executed safely', argv[0])
            return
        del st
        actions: list[tuple] = [("open", 1, "/dev/null", libc.O_WRONLY, 0),
                                ("open", 2, "/dev/null", libc.O_WRONLY, 0)]
        rfd = wfd = -1
        if stdin_text is not None:
            rfd, wfd = libc.pipe()
            actions = [("dup2", rfd, 0), ("close", rfd), ("close", wfd)] + actions
        else:
            actions = [("open", 0, "/dev/null", libc.O_RDONLY, 0)] + actions
        try:
            pid = libc.posix_spawn(argv[0], argv, file_actions=actions)
        except OSError as e:
            self.warnmsg(LOG_ERR, "call_script", "child: exec failed: %s",
                         libc.strerror(e.errno))
            pid = -1
        if rfd >= 0:
            libc.close(rfd)
            if pid > 0:
                try:
                    libc.write(wfd, stdin_text or "")
                except OSError as e:
                    self.warnmsg(LOG_ERR, "call_script", "write to child failed: %s",
                                 libc.strerror(e.errno))
            libc.close(wfd)
        if pid > 0:
            try:
                libc.waitpid(pid)
                self.warnmsg(LOG_DEBUG, "call_script", 'script "%s" terminated', argv[0])
            except OSError as e:
                self.warnmsg(LOG_ERR, "call_script", "wait: %s", libc.strerror(e.errno))

    # -- the routing socket (rtsock.c) ---------------------------------------------------------
    def rtsock_open(self) -> int:
        try:
            return libc.socket(PF_ROUTE, SOCK_RAW, 0)
        except OSError:
            return -1

    def rtsock_input(self, s: int) -> None:
        """An interface changed: a tracked one whose link came up is solicited again."""
        try:
            data = libc.read(s, 2048)
        except OSError:
            return
        try:
            _len, _ver, mtype = rt_msg_common(data)
            if mtype != RTM_IFINFO or len(data) < IF_MSGHDR_LEN:
                return
            h = if_msghdr.parse(data[:IF_MSGHDR_LEN])
        except Exception:       # noqa: BLE001 - a malformed message: ignore it
            return
        ifi = self.find_ifinfo(h.ifm_index)
        if ifi is None:
            return
        old = ifi.active
        ifi.active = self.interface_status(ifi)
        if old != ifi.active:
            self.warnmsg(LOG_DEBUG, "rtsock_input", "%s status is changed from %d to %d",
                         ifi.ifname, old, ifi.active)
            if ifi.active > 0 and ifi.state in (IFS_IDLE, IFS_DOWN, IFS_TENTATIVE):
                flags = self.interface_up(ifi.ifname)
                ifi.state = IFS_DELAY if flags == 0 else IFS_TENTATIVE \
                    if flags == IFS_TENTATIVE else IFS_DOWN
                ifi.probes = 0
                ifi.otherconfig = 0
                self.rtsol_timer_update(ifi)

    # -- timers (rtsold.c) -------------------------------------------------------------------
    def rtsol_check_timer(self) -> Optional[tuple[int, int]]:
        now = _tv()
        rtsol_timer = TM_MAX
        for ifi in self.iflist:
            if ifi.expire <= now:
                self.warnmsg(LOG_DEBUG, "rtsol_check_timer", "timer expiration on %s, "
                             "state = %d", ifi.ifname, ifi.state)
                ifi.rainfo.clear()
                if ifi.state in (IFS_DOWN, IFS_TENTATIVE):
                    flags = self.interface_up(ifi.ifname)
                    ifi.state = IFS_DELAY if flags == 0 else IFS_TENTATIVE \
                        if flags == IFS_TENTATIVE else IFS_DOWN
                elif ifi.state == IFS_IDLE:
                    oldstatus = ifi.active
                    probe = False
                    ifi.active = self.interface_status(ifi)
                    if oldstatus != ifi.active:
                        self.warnmsg(LOG_DEBUG, "rtsol_check_timer",
                                     "%s status is changed from %d to %d", ifi.ifname,
                                     oldstatus, ifi.active)
                        probe = True
                        ifi.state = IFS_DELAY
                    elif ifi.probeinterval:
                        ifi.probetimer -= ifi.timer[0]
                        if ifi.probetimer <= 0:
                            ifi.probetimer = ifi.probeinterval
                            probe = True
                            ifi.state = IFS_PROBE
                    if probe:
                        ifi.otherconfig = 0
                elif ifi.state == IFS_DELAY:
                    ifi.state = IFS_PROBE
                    self.sendpacket(ifi)
                elif ifi.state == IFS_PROBE:
                    if ifi.probes < MAX_RTR_SOLICITATIONS:
                        self.sendpacket(ifi)
                    else:
                        self.warnmsg(LOG_INFO, "rtsol_check_timer",
                                     "No answer after sending %d RSs", ifi.probes)
                        ifi.probes = 0
                        ifi.state = IFS_IDLE
                self.rtsol_timer_update(ifi)
            else:
                # expiration check for RA options
                expired = False
                for src, entries in ifi.rainfo.items():
                    keep = [e for e in entries if now < e[2]]
                    if len(keep) != len(entries):
                        expired = True
                        ifi.rainfo[src] = keep
                if expired:
                    self.ra_opt_handler(ifi)
            if ifi.expire < rtsol_timer:
                rtsol_timer = ifi.expire
        if rtsol_timer == TM_MAX:
            self.warnmsg(LOG_DEBUG, "rtsol_check_timer", "there is no timer")
            return None
        ret = (0, 0) if rtsol_timer < now else _tvsub(rtsol_timer, now)
        self.warnmsg(LOG_DEBUG, "rtsol_check_timer", "New timer is %s",
                     self.sec2str(_tvadd(now, ret)))
        return ret

    def rtsol_timer_update(self, ifi: ifinfo) -> None:
        if ifi.state in (IFS_DOWN, IFS_TENTATIVE):
            ifi.dadcount += 1
            if ifi.dadcount > DADRETRY:
                ifi.dadcount = 0
                ifi.timer = (PROBE_INTERVAL, 0)
            else:
                ifi.timer = (1, 0)
        elif ifi.state == IFS_IDLE:
            ifi.timer = (3, 0) if self.mobile_node else TM_MAX      # stop timer
        elif ifi.state == IFS_DELAY:
            # RFC 4861 6.3.7: a random delay between 0 and MAX_RTR_SOLICITATION_DELAY
            interval = libc.arc4random_uniform(MAX_RTR_SOLICITATION_DELAY * MILLION)
            ifi.timer = (interval // MILLION, interval % MILLION)
        elif ifi.state == IFS_PROBE:
            if ifi.probes < MAX_RTR_SOLICITATIONS:
                ifi.timer = (RTR_SOLICITATION_INTERVAL, 0)
            else:
                # After sending MAX_RTR_SOLICITATIONS solicitations, we're just
                # waiting for possible replies (RFC 4861 6.3.7).
                ifi.timer = (MAX_RTR_SOLICITATION_DELAY, 0)
        else:
            self.warnmsg(LOG_ERR, "rtsol_timer_update", "illegal interface state(%d) on %s",
                         ifi.state, ifi.ifname)
            return
        if ifi.timer == TM_MAX:
            ifi.expire = TM_MAX
            self.warnmsg(LOG_DEBUG, "rtsol_timer_update", "stop timer for %s", ifi.ifname)
        else:
            now = _tv()
            ifi.expire = _tvadd(now, ifi.timer)
            self.warnmsg(LOG_DEBUG, "rtsol_timer_update", "set timer for %s to %s",
                         ifi.ifname, self.sec2str(ifi.expire))

    # -- SIGUSR1 -------------------------------------------------------------------------------
    def dump_file(self) -> None:
        try:
            fp = libc.fopen(self.dumpfilename, "w")
        except OSError as e:
            self.warnmsg(LOG_WARNING, "rtsold_dump_file", "open a dump file(%s): %s",
                         self.dumpfilename, libc.strerror(e.errno))
            return
        now = _tv()
        out = []
        for ifi in self.iflist:
            out.append("Interface %s\n" % ifi.ifname)
            if ifi.probeinterval:
                out.append("  probe interval: %d\n  probe timer: %d\n"
                           % (ifi.probeinterval, ifi.probetimer))
            else:
                out.append("  probe interval: infinity\n  no probe timer\n")
            out.append("  interface status: %s\n" % ("active" if ifi.active > 0 else "inactive"))
            out.append("  other config: %s\n" % ("on" if ifi.otherconfig else "off"))
            out.append("  rtsold status: %s\n" % IFSTATSTR[ifi.state])
            out.append("  carrier detection: %s\n"
                       % ("available" if ifi.mediareqok else "unavailable"))
            out.append("  probes: %d, dadcount = %d\n" % (ifi.probes, ifi.dadcount))
            if ifi.timer == TM_MAX:
                out.append("  no timer\n")
            else:
                out.append("  timer: interval=%d:%d, expire=%s\n" % (
                    ifi.timer[0], ifi.timer[1],
                    "expired" if ifi.expire[0] < now[0] else self.sec2str(ifi.expire)))
            out.append("  number of valid RAs: %d\n" % ifi.racnt)
            for src, entries in ifi.rainfo.items():
                out.append("   RA from %s\n" % libc.inet_ntop(AF_INET6, src))
                for otype, msg, expire in entries:
                    out.append("    option: %s: %s (expire: %s)\n" % (
                        "RDNSS" if otype == ND_OPT_RDNSS else "DNSSL", msg, self.sec2str(expire)))
                out.append("\n")
        libc.fputs("".join(out), fp)
        libc.fclose(fp)

    def _onusr1(self, sig: int) -> None:
        self.do_dump = True

    # -- main --------------------------------------------------------------------------------
    def usage(self) -> None:
        if not self.small:
            libc.fprintf(stderr, "usage: rtsold [-adDfFm1] [-O script-name] "
                                 "[-P pidfile] [-R script-name] interfaces...\n")
            libc.fprintf(stderr, "usage: rtsold [-dDfFm1] [-O script-name] "
                                 "[-P pidfile] [-R script-name] -a\n")
        else:
            libc.fprintf(stderr, "usage: rtsol [-dDF] [-O script-name] "
                                 "[-P pidfile] [-R script-name] interfaces...\n")
            libc.fprintf(stderr, "usage: rtsol [-dDF] [-O script-name] "
                                 "[-P pidfile] [-R script-name] -a\n")

    def main(self, argv: list[str]) -> int:
        opts, args = libc.getopt(argv, "adDFO:R:u" if self.small else "adDfFm1O:p:R:u")
        for ch, optarg in opts:
            if ch == "a":
                self.aflag = True
            elif ch == "d":
                self.dflag += 1
            elif ch == "D":
                self.dflag += 2
            elif ch == "f":
                self.fflag = True
            elif ch == "F":
                self.Fflag = True
            elif ch == "m":
                self.mobile_node = True
            elif ch == "1":
                self.once = True
            elif ch == "O":
                self.otherconf_script = optarg
            elif ch == "p":
                self.pidfilename = optarg or ""
            elif ch == "R":
                self.resolvconf_script = optarg
            elif ch == "u":
                self.uflag = True
            else:
                self.usage()
                return 1
        if (not self.aflag and not args) or (self.aflag and args):
            self.usage()
            return 1
        self.log_upto = LOG_DEBUG if self.dflag > 1 else LOG_INFO if self.dflag > 0 \
            else LOG_NOTICE
        if not self.fflag:
            ident = argv[0].rsplit("/", 1)[-1]
            libc.openlog(ident, libc.LOG_NDELAY | libc.LOG_PID, libc.LOG_DAEMON)
            libc.setlogmask(libc.LOG_UPTO(self.log_upto))
        for what, path in (("configuration script", self.otherconf_script),
                           ("configuration script", self.resolvconf_script),
                           ("pid filename", self.pidfilename)):
            if path is not None and not path.startswith("/"):
                libc.errx(1, "%s (%s) must be an absolute path", what, path)
        if not self.small:
            libc.signal(SIGUSR1, self._onusr1)
        if not self.fflag:
            libc.daemon(0, 0)                   # act as a daemon
        self.s = self.sockopen()
        if self.s < 0:
            self.warnmsg(LOG_ERR, "main", "failed to open a socket")
            return 1
        self.rtsock = self.rtsock_open()
        if self.rtsock < 0:
            self.warnmsg(LOG_ERR, "main", "failed to open a socket")
            return 1
        ifnames = self.autoifprobe() if self.aflag else args
        for name in ifnames:
            if self.ifconfig(name):
                self.warnmsg(LOG_ERR, "main", "failed to initialize %s", name)
                return 1
        if not self.once:
            try:
                fp = libc.fopen(self.pidfilename, "w")
                libc.fprintf(fp, "%d\n", libc.getpid())
                libc.fclose(fp)
            except OSError as e:
                self.warnmsg(LOG_ERR, "main", "failed to open a pid log file(%s): %s",
                             self.pidfilename, libc.strerror(e.errno))
        fds = [pollfd(self.s, POLLIN), pollfd(self.rtsock, POLLIN)]
        while True:     # main loop
            if self.do_dump:
                self.do_dump = False
                self.dump_file()
            timeout = self.rtsol_check_timer()
            if self.once:
                # if we have no timeout, we are done (or failed)
                if timeout is None:
                    break
                # if all interfaces have got RA packet, we are done
                if all(ifi.state == IFS_DOWN or ifi.racnt for ifi in self.iflist):
                    break
            for f in fds:
                f.revents = 0
            ms = -1 if timeout is None else timeout[0] * 1000 + (timeout[1] + 999) // 1000
            try:
                e = libc.poll(fds, ms)
            except OSError as err:
                if err.errno != EINTR:
                    self.warnmsg(LOG_ERR, "main", "select: %s", libc.strerror(err.errno))
                continue
            if e < 1:
                continue
            if fds[1].revents & POLLIN:
                self.rtsock_input(self.rtsock)
            if fds[0].revents & POLLIN:
                self.rtsol_input(self.s)
        return 0


def main(argv: list[str]) -> int:
    """rtsold(8)."""
    return Rtsold(small=False).main(argv)


def rtsol_main(argv: list[str]) -> int:
    """rtsol(8): rtsold in the foreground, one round (FreeBSD's SMALL build)."""
    return Rtsold(small=True).main(argv)
