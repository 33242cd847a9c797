"""rtadvd(8): the router advertisement daemon (usr.sbin/rtadvd: rtadvd.c, timer.c,
dump.c, if.c; KAME, as in FreeBSD 9; the configuration is rtadvd_config.py
and rtadvd_advcap.py).

``rtadvd [-dDfRs] [-c conffile] [-F dumpfile] [-M ifname] [-p pidfile]
interfaces...`` reads rtadvd.conf(5) (``-c``, default /etc/rtadvd.conf) for
each interface named, then sends Router Advertisements (RFC 4861 4.2) on
them from a raw ICMPv6 socket: to ff02::1 out of the interface
(IPV6_PKTINFO) from its link-local address (RFC 4861 4.2: "Source Address
MUST be the link-local address assigned to the interface"), hop limit 255
(IPV6_HOPLIMIT).  The socket joins ff02::2 on each interface
(IPV6_JOIN_GROUP) and passes only Router Solicitations and Advertisements
(ICMP6_FILTER).

Timing (RFC 4861 6.2.4-6.2.6):

- unsolicited RAs every random interval between MinRtrAdvInterval and
  MaxRtrAdvInterval (``mininterval``, ``maxinterval``), the first
  MAX_INITIAL_RTR_ADVERTISEMENTS (3) at most MAX_INITIAL_RTR_ADVERT_INTERVAL
  (16 s) apart;
- a valid Router Solicitation (6.1.1: hop limit 255, code 0, 8 octets or
  more, options well formed, no link-layer address option from ::) is
  answered by the multicast RA after a random delay of 0 to
  MAX_RA_DELAY_TIME (0.5 s) — never earlier than MIN_DELAY_BETWEEN_RAS (3 s)
  after the previous multicast RA, and not later than the RA already
  scheduled; solicitations arriving meanwhile share that RA;
- SIGTERM or SIGINT: the router ceases to advertise (6.2.5): up to
  MAX_FINAL_RTR_ADVERTISEMENTS (3) final RAs with a Router Lifetime of 0,
  MIN_DELAY_BETWEEN_RAS apart, then it exits.

RAs from other routers are checked for consistency (6.2.7): Cur Hop Limit,
the M and O flags, Reachable Time, Retrans Timer, the MTU option, and the
lifetimes of prefixes we advertise too; each disagreement is logged at
LOG_NOTICE as FreeBSD's rtadvd does (``CurHopLimit inconsistent on em0: 32
from fe80::1, 64 from us``).  Messages go to syslog (``-d``: notice and up,
``-dd`` info, ``-D`` debug; else errors only), and to stderr too with
``-f``, which also keeps rtadvd in the foreground.

Unless ``-s``, the routing socket tells rtadvd when the interface goes down
or up (advertising stops and restarts) and when its addresses change: on an
interface whose prefixes come from the kernel, a new prefix is advertised
at once, a vanished one is advertised with zero lifetimes for two hours and
then dropped.  SIGUSR1 dumps the state to /var/run/rtadvd.dump (``-F``).
"""
from __future__ import annotations

from typing import Any, Optional

from kernel.wire.errno import EINTR
from kernel.wire.icmp6 import (ICMP6_FILTER, ICMP6_FILTER_SETBLOCKALL, ICMP6_FILTER_SETPASS,
                               ND_ROUTER_ADVERT, ND_ROUTER_SOLICIT, icmp6_filter)
from kernel.wire.in6 import IN6_IS_ADDR_LINKLOCAL, IN6ADDR_ANY, in6_mask, inet_pton6, sockaddr_in6
from kernel.wire.in6_sockopt import (IPPROTO_IPV6, IPV6_HOPLIMIT, IPV6_JOIN_GROUP,
                                     IPV6_MULTICAST_LOOP, IPV6_PKTINFO, IPV6_RECVHOPLIMIT,
                                     IPV6_RECVPKTINFO, cmsg_int, cmsg_int_value, in6_pktinfo,
                                     ipv6_mreq)
from kernel.wire.in6_var import (IN6_IFF_NOTREADY, ND6_INFINITE_LIFETIME, SIOCGIFAFLAG_IN6,
                                 SIOCGIFINFO_IN6, SIOCSIFINFO_IN6, in6_ifreq, in6_ndireq)
from kernel.wire.ip6 import IPPROTO_ICMPV6
from kernel.wire.nd6 import (ND_RA_FLAG_MANAGED, ND_RA_FLAG_OTHER, NdOptError, nd6_options,
                             nd_opt_mtu, nd_opt_prefix_info, nd_router_advert)
from kernel.wire.net_if import IFF
from kernel.wire.poll import POLLIN, pollfd
from kernel.wire.route import (AF_LINK, IF_MSGHDR_LEN, IFA_MSGHDR_LEN, PF_ROUTE, RT_MSGHDR_LEN,
                               RTM_ADD, RTM_DELADDR, RTM_DELETE, RTM_IFINFO, RTM_NEWADDR,
                               if_msghdr, ifa_msghdr, rt_msg_common, rt_msg_split, rt_msghdr)
from kernel.wire.signal import SIG_IGN, SIGINT, SIGTERM, SIGUSR1
from kernel.wire.socket import AF_INET6, SOCK_DGRAM, SOCK_RAW, msghdr
from kernel.wire.time import CLOCK_MONOTONIC
from userland import libc
from userland.libc import stderr
from userland.usr_sbin.rtadvd_advcap import Cap, CapError, Termcap
from userland.usr_sbin.rtadvd_config import (MAX_FINAL_RTR_ADVERTISEMENTS,
                                             MAX_INITIAL_RTR_ADVERT_INTERVAL,
                                             MAX_INITIAL_RTR_ADVERTISEMENTS, MAX_RA_DELAY_TIME,
                                             MIN_DELAY_BETWEEN_RAS, ORIGIN_NAMES,
                                             PREFIX_FROM_CONFIG, PREFIX_FROM_DYNAMIC, RTPREF_STR,
                                             SEC, ConfigError, find_prefix, getconfig,
                                             make_packet, prefix, rainfo)

CONFFILE = "/etc/rtadvd.conf"
PIDFILE = "/var/run/rtadvd.pid"
DUMPFILE = "/var/run/rtadvd.dump"
MS = 1_000_000
PREFIX_TIMO = 2 * 60 * 60          # config.c prefix_timo: an invalidated prefix lives 2 hours
ALLNODES = inet_pton6("ff02::1")
ALLROUTERS = inet_pton6("ff02::2")
LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO, LOG_DEBUG = 3, 4, 5, 6, 7
ON_OFF = ("OFF", "ON")
USAGE = ("usage: rtadvd [-dDfRs] [-c conffile] [-F dumpfile] [-M ifname] [-p pidfile] "
         "interfaces...\n")


def _now() -> int:
    return libc.clock_gettime(CLOCK_MONOTONIC).to_ns()


def _ntop(a: bytes) -> str:
    return libc.inet_ntop(AF_INET6, a)


def _plen(mask: Any) -> int:
    m = int.from_bytes(getattr(mask, "sin6_addr", bytes(16)), "big")
    return bin(m).count("1")


def kernel_prefixes(ifname: str) -> list[tuple[bytes, int]]:
    """The prefixes of ``ifname``'s addresses (config.c get_prefix): not
    link-local, not a /128."""
    out: list[tuple[bytes, int]] = []
    for ifa in libc.getifaddrs():
        a = ifa.ifa_addr
        if ifa.ifa_name != ifname or not isinstance(a, sockaddr_in6):
            continue
        if IN6_IS_ADDR_LINKLOCAL(a.sin6_addr) or a.sin6_addr[0] == 0xFF:
            continue
        plen = _plen(ifa.ifa_netmask)
        if plen <= 0 or plen >= 128:
            continue
        if (a.sin6_addr, plen) not in out:
            out.append((a.sin6_addr, plen))
    return out


class Rtadvd:
    def __init__(self) -> None:
        self.dflag = 0
        self.fflag = False
        self.sflag = False
        self.conffile = CONFFILE
        self.pidfile = PIDFILE
        self.dumpfile = DUMPFILE
        self.ralist: list[rainfo] = []
        self.sock = -1
        self.rtsock = -1
        self.do_dump = False
        self.do_die = False
        self.forwarding = 0

    def log(self, pri: int, msg: str) -> None:
        libc.syslog(pri, "%s", msg)

    # -- configuration -----------------------------------------------------------------------
    def read_conf(self) -> Optional[Termcap]:
        data = libc.read_file(self.conffile)
        if data is None:
            return None
        return Termcap(data.decode("utf-8", "replace"), self.conffile)

    def if_info(self, ifname: str) -> Optional[tuple[int, Optional[bytes], int, int]]:
        """(index, link-layer address, MTU, flags) of ``ifname`` from getifaddrs."""
        for ifa in libc.getifaddrs():
            sdl = ifa.ifa_addr
            if ifa.ifa_name == ifname and getattr(sdl, "sdl_family", None) == AF_LINK:
                mtu = (ifa.ifa_data or {}).get("ifi_mtu", 0)
                return sdl.sdl_index, bytes(sdl.sdl_lladdr) or None, mtu, ifa.ifa_flags
        return None

    def getconfig(self, ifname: str, tc: Optional[Termcap]) -> rainfo:
        info = self.if_info(ifname)
        if info is None:
            raise ConfigError(f"{ifname}: can't get information of {ifname}")
        index, lladdr, mtu, flags = info
        cap = tc.getent(ifname) if tc is not None else None
        if cap is None:
            self.log(LOG_INFO, f"<getconfig> {ifname} isn't defined in the configuration file"
                               f" or the configuration file doesn't exist. Treat it as default")
            cap = Cap(ifname, [], None, 0)

        def warn(msg: str) -> None:
            libc.fprintf(stderr, "%s\n", msg)

        rai = getconfig(ifname, cap, index, lladdr, mtu, self.forwarding, kernel_prefixes,
                        lambda s: libc.inet_pton(AF_INET6, s), warn, _now())
        rai.up = bool(flags & IFF.UP)
        for pfx in rai.prefixes:
            self.log(LOG_DEBUG, f"<getconfig> add {_ntop(pfx.prefix)}/{pfx.prefixlen} to prefix "
                                f"list on {ifname}")
        self.reflect_kernel(rai)
        return rai

    def reflect_kernel(self, rai: rainfo) -> None:
        """Our advertised CurHopLimit, RetransTimer and BaseReachableTime are
        the interface's own too (config.c, SIOCSIFINFO_IN6; 0: unspecified)."""
        try:
            s = libc.socket(AF_INET6, SOCK_DGRAM, 0)
        except OSError as e:
            self.log(LOG_ERR, f"<getconfig> socket: {libc.strerror(e.errno)}")
            return
        try:
            nd = libc.ioctl(s, SIOCGIFINFO_IN6, in6_ndireq(rai.ifname))
            nd.ndi.chlim = rai.hoplimit
            nd.ndi.retrans = rai.retranstimer
            nd.ndi.basereachable = rai.reachabletime
            nd.ndi.linkmtu = 0
            libc.ioctl(s, SIOCSIFINFO_IN6, in6_ndireq(rai.ifname, nd.ndi))
        except OSError as e:
            self.log(LOG_INFO, f"<getconfig> ioctl:SIOCSIFINFO_IN6 at {rai.ifname}: "
                               f"{libc.strerror(e.errno)}")
        finally:
            libc.close(s)

    def rainfo_of(self, index: int) -> Optional[rainfo]:
        for rai in self.ralist:
            if rai.ifindex == index:
                return rai
        return None

    # -- sockets -----------------------------------------------------------------------------
    def sock_open(self) -> None:
        try:
            s = libc.socket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6)
        except OSError as e:
            self.log(LOG_ERR, f"<sock_open> socket: {libc.strerror(e.errno)}")
            libc.exit(1)
        for opt, name in ((IPV6_RECVPKTINFO, "IPV6_RECVPKTINFO"),
                          (IPV6_RECVHOPLIMIT, "IPV6_RECVHOPLIMIT")):
            try:
                libc.setsockopt(s, IPPROTO_IPV6, opt, 1)
            except OSError as e:
                self.log(LOG_ERR, f"<sock_open> {name}: {libc.strerror(e.errno)}")
                libc.exit(1)
        filt = icmp6_filter()
        ICMP6_FILTER_SETBLOCKALL(filt)
        ICMP6_FILTER_SETPASS(ND_ROUTER_SOLICIT, filt)
        ICMP6_FILTER_SETPASS(ND_ROUTER_ADVERT, filt)
        try:
            libc.setsockopt(s, IPPROTO_ICMPV6, ICMP6_FILTER, filt)
        except OSError as e:
            self.log(LOG_ERR, f"<sock_open> ICMP6_FILTER: {libc.strerror(e.errno)}")
            libc.exit(1)
        # our own RAs are not looped back to us (they would be checked for
        # consistency against ourselves)
        try:
            libc.setsockopt(s, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 0)
        except OSError as e:
            self.log(LOG_ERR, f"<sock_open> IPV6_MULTICAST_LOOP: {libc.strerror(e.errno)}")
        # join all routers multicast address on each advertising interface.
        for rai in self.ralist:
            try:
                libc.setsockopt(s, IPPROTO_IPV6, IPV6_JOIN_GROUP,
                                ipv6_mreq(ALLROUTERS, rai.ifindex))
            except OSError as e:
                self.log(LOG_ERR, f"<sock_open> IPV6_JOIN_GROUP(link) on {rai.ifname}: "
                                  f"{libc.strerror(e.errno)}")
                libc.exit(1)
        self.sock = s

    def linklocal(self, rai: rainfo) -> Optional[bytes]:
        """A usable (not tentative, not duplicated) link-local address of the interface."""
        try:
            s = libc.socket(AF_INET6, SOCK_DGRAM, 0)
        except OSError:
            return None
        try:
            for ifa in libc.getifaddrs():
                a = ifa.ifa_addr
                if ifa.ifa_name != rai.ifname or not isinstance(a, sockaddr_in6) \
                        or not IN6_IS_ADDR_LINKLOCAL(a.sin6_addr):
                    continue
                try:
                    fl = libc.ioctl(s, SIOCGIFAFLAG_IN6, in6_ifreq(rai.ifname, a)).ifru_flags6
                except OSError:
                    continue
                if not fl & IN6_IFF_NOTREADY:
                    return a.sin6_addr
        finally:
            libc.close(s)
        return None

    # -- sending -----------------------------------------------------------------------------
    def ra_output(self, rai: rainfo) -> None:
        if not rai.up:
            self.log(LOG_DEBUG, f"<ra_output> {rai.ifname} is not up, skip sending RA")
            return
        now = _now()
        data = make_packet(rai, now)
        src = self.linklocal(rai)
        if src is None:
            # RFC 4861 4.2: from the link-local address, which is not ready yet
            self.log(LOG_DEBUG, f"<ra_output> no usable link-local address on {rai.ifname}, "
                                f"skip sending RA")
            return
        control = [(IPPROTO_IPV6, IPV6_PKTINFO, in6_pktinfo(src, rai.ifindex).pack()),
                   (IPPROTO_IPV6, IPV6_HOPLIMIT, cmsg_int(255))]
        self.log(LOG_DEBUG, f"<ra_output> send RA on {rai.ifname}, # of waitings = "
                            f"{rai.waiting}")
        try:
            libc.sendmsg(self.sock, msghdr(sockaddr_in6(ALLNODES, 0, 0, rai.ifindex), [data],
                                           control), 0)
        except OSError as e:
            self.log(LOG_ERR, f"<ra_output> sendmsg on {rai.ifname}: {libc.strerror(e.errno)}")
        # update counter
        if rai.initcounter < MAX_INITIAL_RTR_ADVERTISEMENTS:
            rai.initcounter += 1
        rai.raoutput += 1
        rai.lastsent = now
        rai.lastsent_wall = libc.time()
        rai.waiting = 0

    def ra_timer_update(self, rai: rainfo) -> None:
        """RFC 4861 6.2.4: "Whenever a multicast advertisement is sent from an
        interface, the timer is reset to a uniformly distributed random value
        between the interface's configured MinRtrAdvInterval and
        MaxRtrAdvInterval"; "For the first few advertisements (up to
        MAX_INITIAL_RTR_ADVERTISEMENTS) ... if the randomly chosen interval is
        greater than MAX_INITIAL_RTR_ADVERT_INTERVAL, the timer SHOULD be set
        to MAX_INITIAL_RTR_ADVERT_INTERVAL instead."  (In milliseconds.)"""
        interval = rai.mininterval * 1000 + libc.arc4random_uniform(
            (rai.maxinterval - rai.mininterval) * 1000 + 1)
        if rai.initcounter < MAX_INITIAL_RTR_ADVERTISEMENTS and \
                interval > MAX_INITIAL_RTR_ADVERT_INTERVAL * 1000:
            interval = MAX_INITIAL_RTR_ADVERT_INTERVAL * 1000
        rai.timer = _now() + interval * MS
        self.log(LOG_DEBUG, f"<ra_timer_update> RA timer on {rai.ifname} is set to "
                            f"{interval // 1000}:{interval % 1000 * 1000}")

    def set_short_delay(self, rai: rainfo) -> None:
        """RFC 4861 6.2.6: answer a solicitation after a random delay of 0 to
        MAX_RA_DELAY_TIME — "If the computed value corresponds to a time later
        than the time the next multicast Router Advertisement is scheduled to
        be sent, ignore the random delay and send the advertisement at the
        already-scheduled time"; "if the router sent a multicast Router
        Advertisement (solicited or unsolicited) within the last
        MIN_DELAY_BETWEEN_RAS seconds, schedule the advertisement to be sent
        at a time corresponding to MIN_DELAY_BETWEEN_RAS plus the random value
        after the previous advertisement was sent"."""
        now = _now()
        interval = libc.arc4random_uniform(MAX_RA_DELAY_TIME) * MS
        if rai.timer is not None and rai.timer - now < interval:
            self.log(LOG_DEBUG, "<set_short_delay> random delay is larger than the rest of "
                                "the current timer")
            interval = max(0, rai.timer - now)
        if rai.lastsent:
            since = now - rai.lastsent
            if since < MIN_DELAY_BETWEEN_RAS * SEC:
                interval += MIN_DELAY_BETWEEN_RAS * SEC - since
        rai.timer = now + interval

    # -- receiving ---------------------------------------------------------------------------
    def rtadvd_input(self) -> None:
        buf = bytearray(1500)
        m = msghdr(None, [buf], [], 64)
        try:
            n = libc.recvmsg(self.sock, m, 0)
        except OSError:
            return
        ifindex = 0
        hlim: Optional[int] = None
        for level, ctype, data in m.msg_control:
            if level == IPPROTO_IPV6 and ctype == IPV6_PKTINFO and len(data) == 20:
                ifindex = in6_pktinfo.unpack(data).ipi6_ifindex
            elif level == IPPROTO_IPV6 and ctype == IPV6_HOPLIMIT and len(data) == 4:
                hlim = cmsg_int_value(data)
        if ifindex == 0:
            self.log(LOG_ERR, "<rtadvd_input> failed to get receiving interface")
            return
        if hlim is None:
            self.log(LOG_ERR, "<rtadvd_input> failed to get receiving hop limit")
            return
        ifname = libc.if_indextoname(ifindex) or "?"
        rai = self.rainfo_of(ifindex)
        if rai is not None and not rai.up:
            self.log(LOG_INFO, f"<rtadvd_input> received data on a disabled interface "
                               f"({ifname})")
            return
        if n < 8:
            self.log(LOG_ERR, f"<rtadvd_input> packet size({n}) is too short")
            return
        frm = m.msg_name
        src = frm.sin6_addr if isinstance(frm, sockaddr_in6) else IN6ADDR_ANY
        data = bytes(buf[:n])
        itype, code = data[0], data[1]
        if itype in (ND_ROUTER_SOLICIT, ND_ROUTER_ADVERT):
            what, minlen = ("RS", 8) if itype == ND_ROUTER_SOLICIT else ("RA", 16)
            # RFC 4861 6.1.1, 6.1.2: "The IP Hop Limit field has a value of
            # 255", "ICMP Code is 0", "ICMP length ... is 8 (16) or more octets"
            if hlim != 255:
                self.log(LOG_NOTICE, f"<rtadvd_input> {what} with invalid hop limit({hlim}) "
                                     f"received from {_ntop(src)} on {ifname}")
                return
            if code:
                self.log(LOG_NOTICE, f"<rtadvd_input> {what} with invalid ICMP6 code({code}) "
                                     f"received from {_ntop(src)} on {ifname}")
                return
            if n < minlen:
                self.log(LOG_NOTICE, f"<rtadvd_input> {what} from {_ntop(src)} on {ifname} "
                                     f"does not have enough length (len = {n})")
                return
            if itype == ND_ROUTER_SOLICIT:
                self.rs_input(data, ifindex, ifname, src)
            else:
                self.ra_input(data, ifindex, ifname, src)
            return
        # possible just after the socket opened, before the filter was set
        self.log(LOG_ERR, f"<rtadvd_input> invalid icmp type({itype})")

    def _options(self, data: bytes, off: int, what: str, src: bytes, ifname: str) -> Any:
        try:
            return nd6_options(data, off, len(data), 1 << 30)
        except NdOptError:
            # RFC 4861 6.1.1/6.1.2: "All included options have a length that is
            # greater than zero."
            self.log(LOG_INFO, f"<{what.lower()}_input> ND option check failed for an {what} "
                               f"from {_ntop(src)} on {ifname}")
            return None

    def rs_input(self, data: bytes, ifindex: int, ifname: str, src: bytes) -> None:
        self.log(LOG_DEBUG, f"<rs_input> RS received from {_ntop(src)} on {ifname}")
        ndopts = self._options(data, 8, "RS", src, ifname)
        if ndopts is None:
            return
        # RFC 4861 6.1.1: "If the IP source address is the unspecified address,
        # there is no source link-layer address option in the message."
        if src == IN6ADDR_ANY and ndopts.src_lladdr is not None:
            self.log(LOG_INFO, f"<rs_input> RS from unspecified src on {ifname} has a "
                               f"link-layer address option")
            return
        rai = self.rainfo_of(ifindex)
        if rai is None:
            self.log(LOG_INFO, f"<rs_input> RS received on non advertising interface({ifname})")
            return
        rai.rsinput += 1
        # If there is already a waiting RS packet, don't update the timer.
        rai.waiting += 1
        if rai.waiting > 1:
            return
        self.set_short_delay(rai)

    def ra_input(self, data: bytes, ifindex: int, ifname: str, src: bytes) -> None:
        """RFC 4861 6.2.7: "Routers SHOULD inspect valid Router Advertisements
        sent by other routers and verify that the routers are advertising
        consistent information on a link.  Detected inconsistencies indicate
        that one or more routers might be misconfigured and SHOULD be logged
        to system or network management.\""""
        self.log(LOG_DEBUG, f"<ra_input> RA received from {_ntop(src)} on {ifname}")
        ndopts = self._options(data, 16, "RA", src, ifname)
        if ndopts is None:
            return
        rai = self.rainfo_of(ifindex)
        if rai is None:
            self.log(LOG_INFO, f"<ra_input> received RA from {_ntop(src)} on non-advertising "
                               f"interface({ifname})")
            return
        rai.rainput += 1
        _t, _c, _ck, curhop, flags, _life, reachable, retrans = nd_router_advert.unpack_from(data)
        frm = _ntop(src)
        bad = 0

        def notice(msg: str) -> None:
            nonlocal bad
            bad += 1
            self.log(LOG_NOTICE, msg)

        if curhop and rai.hoplimit and curhop != rai.hoplimit:
            notice(f"CurHopLimit inconsistent on {rai.ifname}: {curhop} from {frm}, "
                   f"{rai.hoplimit} from us")
        if bool(flags & ND_RA_FLAG_MANAGED) != bool(rai.managedflg):
            notice(f"M flag inconsistent on {rai.ifname}: {ON_OFF[not rai.managedflg]} from "
                   f"{frm}, {ON_OFF[bool(rai.managedflg)]} from us")
        if bool(flags & ND_RA_FLAG_OTHER) != bool(rai.otherflg):
            notice(f"O flag inconsistent on {rai.ifname}: {ON_OFF[not rai.otherflg]} from "
                   f"{frm}, {ON_OFF[bool(rai.otherflg)]} from us")
        if reachable and rai.reachabletime and reachable != rai.reachabletime:
            notice(f"ReachableTime inconsistent on {rai.ifname}: {reachable} from {frm}, "
                   f"{rai.reachabletime} from us")
        if retrans and rai.retranstimer and retrans != rai.retranstimer:
            # (sic: FreeBSD's rtadvd spells it so)
            notice(f"RetranceTimer inconsistent on {rai.ifname}: {retrans} from {frm}, "
                   f"{rai.retranstimer} from us")
        if ndopts.mtu is not None and len(ndopts.mtu) == 8:
            mtu = nd_opt_mtu.unpack_from(ndopts.mtu)[3]
            if mtu and rai.linkmtu and mtu != rai.linkmtu:
                notice(f"MTU option value inconsistent on {rai.ifname}: {mtu} from {frm}, "
                       f"{rai.linkmtu} from us")
        for raw in ndopts.prefix_info:
            if len(raw) == 32:
                bad += self.prefix_check(raw, rai, frm)
        if bad:
            rai.rainconsistent += 1

    def prefix_check(self, raw: bytes, rai: rainfo, frm: str) -> int:
        """The lifetimes of a prefix we advertise too (RFC 4861 6.2.7: "Preferred
        and Valid Lifetimes for the same prefix.  If AdvPreferredLifetimeFlag
        or AdvValidLifetimeFlag is set, the router SHOULD compare the time
        values ... decrementing in real time"); 1 if they disagree."""
        _t, _l, plen, _f, vltime, pltime, _r, pfx_addr = nd_opt_prefix_info.unpack_from(raw)
        name = f"{_ntop(pfx_addr)}/{plen}"
        if IN6_IS_ADDR_LINKLOCAL(pfx_addr):
            self.log(LOG_INFO, f"<prefix_check> link-local prefix {name} is advertised from "
                               f"{frm} on {rai.ifname}")
        pfx = find_prefix(rai, pfx_addr, plen) if plen <= 128 else None
        if pfx is None:
            self.log(LOG_INFO, f"<prefix_check> prefix {name} from {frm} on {rai.ifname} is "
                               f"not in our list")
            return 0
        if pfx.timer is not None:
            return 0                                # we are invalidating it ourselves
        bad = 0
        nows = _now() // SEC
        for what, got, mine, expire in (("preferred", pltime, pfx.preflifetime, pfx.pltimeexpire),
                                        ("valid", vltime, pfx.validlifetime, pfx.vltimeexpire)):
            if expire:
                # decremented in real time: compare the expiry times, within clockskew
                if rai.clockskew and abs(got + nows - expire // SEC) > rai.clockskew:
                    self.log(LOG_NOTICE, f"{what} lifetime for {name} (decr. in real time) "
                                         f"inconsistent on {rai.ifname}: {got + nows} from "
                                         f"{frm}, {expire // SEC} from us")
                    bad = 1
            elif got != mine:
                self.log(LOG_NOTICE, f"{what} lifetime for {name} inconsistent on "
                                     f"{rai.ifname}: {got} from {frm}, {mine} from us")
                bad = 1
        return bad

    # -- the routing socket ------------------------------------------------------------------
    def rtmsg_input(self) -> None:
        try:
            buf = libc.read(self.rtsock, 2048)
        except OSError:
            return
        try:
            msgs = rt_msg_split(buf)
        except ValueError:
            return
        for msg in msgs:
            try:
                _ln, _v, mtype = rt_msg_common(msg)
                if mtype in (RTM_ADD, RTM_DELETE) and len(msg) >= RT_MSGHDR_LEN:
                    ifindex = rt_msghdr.parse(msg[:RT_MSGHDR_LEN]).rtm_index
                    ifflags = None
                elif mtype in (RTM_NEWADDR, RTM_DELADDR) and len(msg) >= IFA_MSGHDR_LEN:
                    ifindex = ifa_msghdr.parse(msg[:IFA_MSGHDR_LEN]).ifam_index
                    ifflags = None
                elif mtype == RTM_IFINFO and len(msg) >= IF_MSGHDR_LEN:
                    h = if_msghdr.parse(msg[:IF_MSGHDR_LEN])
                    ifindex, ifflags = h.ifm_index, h.ifm_flags
                else:
                    continue
            except Exception:        # noqa: BLE001 - a malformed message: ignore it
                continue
            rai = self.rainfo_of(ifindex)
            if rai is None:
                continue
            if ifflags is not None:
                up = bool(ifflags & IFF.UP)
                if rai.up and not up:
                    self.log(LOG_INFO, f"<rtmsg_input> interface {rai.ifname} becomes down. "
                                       f"stop timer.")
                    rai.up = False
                    rai.timer = None
                elif not rai.up and up:
                    self.log(LOG_INFO, f"<rtmsg_input> interface {rai.ifname} becomes up. "
                                       f"restart timer.")
                    rai.up = True
                    rai.initcounter = 0
                    rai.waiting = 0
                    self.ra_timer_update(rai)
                continue
            if self.sflag or not rai.kernel_prefixes:
                continue                     # we aren't interested in prefixes
            if self.update_prefixes(rai) and rai.up:
                # An advertised prefix has been added or invalidated: tell the
                # hosts soon (as after a solicitation).
                rai.initcounter = 0
                self.set_short_delay(rai)

    def update_prefixes(self, rai: rainfo) -> bool:
        now = _now()
        have = kernel_prefixes(rai.ifname)
        changed = False
        for a, plen in have:
            pfx = find_prefix(rai, a, plen)
            if pfx is None:
                rai.prefixes.append(prefix(in6_mask(a, plen), plen, origin=PREFIX_FROM_DYNAMIC))
                self.log(LOG_DEBUG, f"<add_prefix> new prefix {_ntop(in6_mask(a, plen))}/{plen}"
                                    f" was added on {rai.ifname}")
                changed = True
            elif pfx.timer is not None:
                pfx.timer = None
                self.log(LOG_DEBUG, f"<update_prefix> prefix {_ntop(pfx.prefix)}/{plen} was "
                                    f"re-enabled on {rai.ifname}")
                changed = True
        current = {(in6_mask(a, plen), plen) for a, plen in have}
        for pfx in rai.prefixes:
            if pfx.origin == PREFIX_FROM_CONFIG or pfx.timer is not None:
                continue
            if (pfx.prefix, pfx.prefixlen) not in current:
                # advertised with zero lifetimes until it is dropped
                pfx.timer = now + PREFIX_TIMO * SEC
                self.log(LOG_DEBUG, f"<invalidate_prefix> prefix {_ntop(pfx.prefix)}/"
                                    f"{pfx.prefixlen} was invalidated on {rai.ifname}, will "
                                    f"expire in {PREFIX_TIMO} seconds")
                changed = True
        return changed

    # -- timers (timer.c) ----------------------------------------------------------------------
    def check_timer(self) -> Optional[int]:
        """Run what is due; the ns until the next timer, or None."""
        now = _now()
        nxt: Optional[int] = None
        for rai in self.ralist:
            for pfx in list(rai.prefixes):
                if pfx.timer is not None and pfx.timer <= now:
                    rai.prefixes.remove(pfx)
                    self.log(LOG_DEBUG, f"<delete_prefix> prefix {_ntop(pfx.prefix)}/"
                                        f"{pfx.prefixlen} was deleted on {rai.ifname}")
                elif pfx.timer is not None:
                    nxt = pfx.timer if nxt is None else min(nxt, pfx.timer)
            if rai.timer is not None and rai.timer <= now:
                self.log(LOG_DEBUG, f"<ra_timeout> RA timer on {rai.ifname} is expired")
                self.ra_output(rai)
                self.ra_timer_update(rai)
            if rai.timer is not None:
                nxt = rai.timer if nxt is None else min(nxt, rai.timer)
        return None if nxt is None else max(0, nxt - _now())

    # -- SIGTERM, SIGUSR1 ----------------------------------------------------------------------
    def die(self) -> None:
        """RFC 4861 6.2.5: "the router SHOULD transmit one or more (but not more
        than MAX_FINAL_RTR_ADVERTISEMENTS) final multicast Router
        Advertisements on the interface with a Router Lifetime field of zero"."""
        libc.signal(SIGTERM, SIG_IGN)
        libc.signal(SIGINT, SIG_IGN)
        if self.dflag > 1:
            self.log(LOG_DEBUG, "<die> cease to be an advertising router")
        for rai in self.ralist:
            rai.lifetime = 0
            rai.rdnss = [(a, 0) for a, _ in rai.rdnss]
            rai.dnssl = [(d, 0) for d, _ in rai.dnssl]
        for i in range(MAX_FINAL_RTR_ADVERTISEMENTS):
            for rai in self.ralist:
                self.ra_output(rai)
            if i + 1 < MAX_FINAL_RTR_ADVERTISEMENTS:
                libc.sleep(MIN_DELAY_BETWEEN_RAS)
        try:
            libc.unlink(self.pidfile)
        except OSError:
            pass
        libc.exit(0)

    def dump_file(self) -> None:
        """dump.c: the state of each interface, as text."""
        self.log(LOG_DEBUG, f"<rtadvd_dump_file> dump current status to {self.dumpfile}")
        try:
            fp = libc.fopen(self.dumpfile, "w")
        except OSError:
            self.log(LOG_WARNING, f"<rtadvd_dump_file> open a dump file({self.dumpfile})")
            return
        now = _now()
        wall = libc.time()
        out: list[str] = []
        for rai in self.ralist:
            out.append(f"{rai.ifname}:\n")
            out.append(f"  Status: {'UP' if rai.up else 'DOWN'}\n")
            if rai.lastsent:
                out.append(f"  Last RA sent: {libc.ctime(rai.lastsent_wall)}")
            if rai.timer is not None:
                out.append(f"  Next RA will be sent: "
                           f"{libc.ctime(wall + max(0, rai.timer - now) // SEC)}")
            else:
                out.append("  RA timer is stopped\n")
            out.append(f"  waits: {rai.waiting}, initcount: {rai.initcounter}\n")
            out.append(f"  statistics: RA(out/in/inconsistent): {rai.raoutput}/{rai.rainput}/"
                       f"{rai.rainconsistent}, RS(input): {rai.rsinput}\n")
            if rai.advlinkopt and rai.lladdr:
                out.append(f"  Link-layer address: {':'.join('%x' % b for b in rai.lladdr)}\n")
            out.append(f"  MTU: {rai.phymtu}\n")
            out.append(f"  DefaultLifetime: {rai.lifetime}, MaxAdvInterval: {rai.maxinterval}, "
                       f"MinAdvInterval: {rai.mininterval}\n")
            out.append(f"  Flags: {'M' if rai.managedflg else ''}{'O' if rai.otherflg else ''}, "
                       f"Preference: {RTPREF_STR[(rai.rtpref >> 3) & 3]}, MTU: {rai.linkmtu}\n")
            out.append(f"  ReachableTime: {rai.reachabletime}, RetransTimer: "
                       f"{rai.retranstimer}, CurHopLimit: {rai.hoplimit}\n")
            if rai.clockskew:
                out.append(f"  Clock skew: {rai.clockskew}sec\n")
            if rai.prefixes:
                out.append("  Prefixes:\n")
            for pfx in rai.prefixes:
                line = f"    {_ntop(pfx.prefix)}/{pfx.prefixlen}({ORIGIN_NAMES[pfx.origin]}, "
                for what, val, exp in (("vltime", pfx.validlifetime, pfx.vltimeexpire),
                                       ("pltime", pfx.preflifetime, pfx.pltimeexpire)):
                    line += f"{what}: " + ("infinity" if val == ND6_INFINITE_LIFETIME else str(val))
                    line += f"(decr,expire {max(0, exp - now) // SEC}), " if exp else ", "
                line += f"flags: {'L' if pfx.onlinkflg else ''}{'A' if pfx.autoconfflg else ''}"
                if pfx.timer is not None:
                    line += f", expire in: {max(0, pfx.timer - now) // SEC}"
                out.append(line + ")\n")
            if rai.routes:
                out.append("  Route Information:\n")
            for rti in rai.routes:
                lt = "infinity" if rti.ltime == ND6_INFINITE_LIFETIME else str(rti.ltime)
                out.append(f"    {_ntop(rti.prefix)}/{rti.prefixlen} (preference: "
                           f"{RTPREF_STR[(rti.rtpref >> 3) & 3]}, lifetime: {lt})\n")
        libc.fputs("".join(out), fp)
        libc.fclose(fp)

    def _ondie(self, sig: int) -> None:
        self.do_die = True

    def _ondump(self, sig: int) -> None:
        self.do_dump = True

    # -- main ----------------------------------------------------------------------------------
    def pidfile_running(self) -> Optional[int]:
        try:
            fp = libc.fopen(self.pidfile, "r")
        except OSError:
            return None
        try:
            text = libc.fgets(fp) or b""
        finally:
            libc.fclose(fp)
        if isinstance(text, bytes):
            text = text.decode("ascii", "replace")
        text = text.strip()
        if not text.isdigit() or int(text) == libc.getpid():
            return None
        try:
            libc.kill(int(text), 0)
        except OSError:
            return None
        return int(text)

    def main(self, argv: list[str]) -> int:
        opts, args = libc.getopt(argv, "c:dDfF:M:p:Rs")
        for ch, optarg in opts:
            if ch == "c":
                self.conffile = optarg or CONFFILE
            elif ch == "d":
                self.dflag += 1
            elif ch == "D":
                self.dflag += 3
            elif ch == "f":
                self.fflag = True
            elif ch == "F":
                self.dumpfile = optarg or DUMPFILE
            elif ch == "M":
                pass                    # router renumbering's interface: not supported
            elif ch == "p":
                self.pidfile = optarg or PIDFILE
            elif ch == "R":
                libc.fprintf(stderr, "rtadvd: the -R option is currently ignored.\n")
            elif ch == "s":
                self.sflag = True
            else:
                libc.fprintf(stderr, "%s", USAGE)
                return 1
        if not args:
            libc.fprintf(stderr, "%s", USAGE)
            return 1
        logopt = libc.LOG_NDELAY | libc.LOG_PID | (libc.LOG_PERROR if self.fflag else 0)
        libc.openlog("rtadvd", logopt, libc.LOG_DAEMON)
        level = LOG_DEBUG if self.dflag > 2 else LOG_INFO if self.dflag > 1 else \
            LOG_NOTICE if self.dflag > 0 else LOG_ERR
        libc.setlogmask(libc.LOG_UPTO(level))
        try:
            self.forwarding = int(libc.sysctlbyname("net.inet6.ip6.forwarding"))
        except (OSError, TypeError, ValueError):
            self.forwarding = 0
        try:
            tc = self.read_conf()
            for ifname in args:
                self.ralist.append(self.getconfig(ifname, tc))
        except (CapError, ConfigError) as e:
            libc.errx(1, "%s", str(e))
        other = self.pidfile_running()
        if other is not None:
            libc.errx(1, "%s already running, pid: %d", libc.getprogname(), other)
        if not self.fflag:
            libc.daemon(1, 0)
        self.sock_open()
        try:
            fp = libc.fopen(self.pidfile, "w")
            libc.fprintf(fp, "%d\n", libc.getpid())
            libc.fclose(fp)
        except OSError:
            self.log(LOG_ERR, "<main> failed to open the pid log file, run anyway.")
        if not self.sflag:
            try:
                self.rtsock = libc.socket(PF_ROUTE, SOCK_RAW, 0)
            except OSError as e:
                self.log(LOG_ERR, f"<rtsock_open> socket: {libc.strerror(e.errno)}")
                libc.exit(1)
        libc.signal(SIGTERM, self._ondie)
        libc.signal(SIGINT, self._ondie)
        libc.signal(SIGUSR1, self._ondump)
        for rai in self.ralist:
            if rai.up:
                self.ra_timer_update(rai)
        fds = [pollfd(self.sock, POLLIN)]
        if self.rtsock >= 0:
            fds.append(pollfd(self.rtsock, POLLIN))
        while True:
            if self.do_dump:                # SIGUSR1
                self.do_dump = False
                self.dump_file()
            if self.do_die:
                self.die()
            timeout = self.check_timer()
            if timeout is None:
                self.log(LOG_DEBUG, "<main> there's no timer. waiting for inputs")
                ms = -1
            else:
                ms = -(-timeout // MS)
                self.log(LOG_DEBUG, f"<main> set timer to {ms // 1000}:{ms % 1000 * 1000}. "
                                    f"waiting for inputs or timeout")
            for f in fds:
                f.revents = 0
            try:
                n = libc.poll(fds, ms)
            except OSError as e:
                # EINTR would occur upon SIGUSR1 for status dump
                if e.errno != EINTR:
                    self.log(LOG_ERR, f"<main> select: {libc.strerror(e.errno)}")
                continue
            if n < 1:
                continue
            if len(fds) > 1 and fds[1].revents & POLLIN:
                self.rtmsg_input()
            if fds[0].revents & POLLIN:
                self.rtadvd_input()


def main(argv: list[str]) -> int:
    """rtadvd(8)."""
    return Rtadvd().main(argv)
