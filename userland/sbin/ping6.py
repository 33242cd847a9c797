"""ping6(8): send ICMPv6 ECHO_REQUEST packets to network hosts (sbin/ping6/ping6.c, KAME).

As the KAME ping6 of FreeBSD 6-9 does: a raw ICMPv6 socket whose
ICMP6_FILTER (RFC 3542 3.2) passes only Echo Replies; the source address is
found by connecting a UDP socket to the destination (``ping6: UDP connect:
No route to host``); each Echo Request (RFC 4443 4.1) carries our pid as
identifier, an ascending sequence number, and the send time (``struct tv32``,
from gettimeofday: the lab's virtual clock) in its first 8 data bytes, so
the reply gives the round-trip time.  Replies are read with recvmsg and
IPV6_RECVPKTINFO / IPV6_RECVHOPLIMIT (RFC 3542 6) for the ``hlim=``.
SIGALRM (setitimer, ``-i wait``) paces the requests.  With ``-c count``
ping6 stops when every request has had an answer (``nreceived >= npackets``;
answers to a multicast group that come later are not waited for), or else at
the first SIGALRM after the last request: it waits one interval for late
replies, as KAME's main loop does (its retransmit() would wait two round trips
or MAXWAIT, but the loop ends first).  The output is FreeBSD's::

    PING6(56=40+8+8 bytes) 2001:db8:1::a --> 2001:db8:1::b
    16 bytes from 2001:db8:1::b, icmp_seq=0 hlim=64 time=0.123 ms
    ...
    --- bob ping6 statistics ---
    3 packets transmitted, 3 packets received, 0.0% packet loss
    round-trip min/avg/max/std-dev = 0.104/0.112/0.123/0.008 ms

``(DUP!)`` marks a second reply to one sequence number (a multicast
destination answers once per listener).  Exit status: 0 if a reply came, 2
if none; 1 for errors and usage.  SIGINT prints the statistics and kills
ping6 with SIGINT (status 130 in a shell), SIGINFO prints them and goes on.

Options: ``-c count -i wait -s packetsize -h hoplimit -I interface -S
sourceaddr -g gateway -l preload -p pattern -b bufsiz -D -d -f -H -m -n -o
-q -r -R -v``, and KAME's ``-P policy`` (``-P "out ipsec esp/transport//require"``,
once per direction: the socket's IPV6_IPSEC_POLICY, made by ipsec_set_policy(3));
the node information queries (``-a -N -t -w -W``) are not
supported.
"""
from __future__ import annotations

import struct
from typing import Any, Optional

from kernel.wire.errno import EINTR, EPERM, strerror
from kernel.wire.icmp6 import (
    ICMP6_DST_UNREACH, ICMP6_ECHO_REPLY, ICMP6_ECHO_REQUEST, ICMP6_FILTER,
    ICMP6_FILTER_SETBLOCKALL, ICMP6_FILTER_SETPASS, ICMP6_FILTER_SETPASSALL,
    ICMP6_PACKET_TOO_BIG, ICMP6_PARAM_PROB, ICMP6_TIME_EXCEEDED, ND_NEIGHBOR_ADVERT,
    ND_NEIGHBOR_SOLICIT, ND_REDIRECT, ND_ROUTER_ADVERT, ND_ROUTER_SOLICIT, icmp6_filter,
)
from kernel.wire.in6 import IN6_IS_ADDR_MULTICAST, sockaddr_in6
from kernel.wire.in6_sockopt import (
    IPPROTO_IPV6, IPV6_DONTFRAG, IPV6_HOPLIMIT, IPV6_MULTICAST_HOPS, IPV6_NEXTHOP,
    IPV6_IPSEC_POLICY, IPV6_PATHMTU, IPV6_PKTINFO, IPV6_RECVHOPLIMIT, IPV6_RECVPATHMTU,
    IPV6_RECVPKTINFO, IPV6_UNICAST_HOPS, IPV6_USE_MIN_MTU, cmsg_int, cmsg_int_value,
    in6_pktinfo, ip6_mtuinfo,
)
from kernel.wire.ip6 import IPPROTO_ICMPV6
from kernel.wire.poll import POLLIN, pollfd
from kernel.wire.signal import SIG_DFL, SIGALRM, SIGINFO, SIGINT
from kernel.wire.socket import (
    AF_INET6, MSG_CTRUNC, SO_DEBUG, SO_RCVBUF, SO_SNDBUF, SOCK_DGRAM, SOCK_RAW, SOL_SOCKET,
    msghdr,
)
from kernel.wire.time import ITIMER_REAL, itimerval, timeval
from userland import libc
from userland.libipsec import IPsecError, ipsec_get_policylen, ipsec_set_policy
from userland.libc import stderr, stdout
from userland.sbin.ping_subr import PingStat, fill_pattern, is_hex, strtod

MAXPACKETLEN = 131072
IP6LEN = 40
ICMP6ECHOLEN = 8            # icmp echo header len excluding time
ICMP6ECHOTMLEN = 8          # sizeof(struct tv32)
DEFDATALEN = ICMP6ECHOTMLEN
EXTRA = 256                 # for AH and various other headers. weird.
MAXDATALEN = MAXPACKETLEN - IP6LEN - ICMP6ECHOLEN
CONTROLLEN = 10240          # ancillary data buffer size RFC3542 20.1
MAX_DUP_CHK = 8 * 8192
MAXWAIT = 10                # seconds to wait for a reply after the last request
DUMMY_PORT = 10101
IPV6_DEFHLIM = 64
IPV6_MMTU = 1280

F_FLOOD = 0x0001
F_INTERVAL = 0x0002
F_PINGFILLED = 0x0008
F_QUIET = 0x0010
F_SO_DEBUG = 0x0040
F_VERBOSE = 0x0100
F_INTERFACE = 0x2000
F_SRCADDR = 0x4000
F_HOSTNAME = 0x10000
F_ONCE = 0x200000
F_AUDIBLE = 0x400000
F_MISSED = 0x800000
F_DONTFRAG = 0x1000000
F_POLICY = 0x4000000

_tv32 = struct.Struct("!II")
_echo = struct.Struct("!BBHHH")

OPTSTRING = "a:b:c:DdfHg:h:I:i:l:mnNoP:p:qrRS:s:tvwW"


def usage() -> None:
    libc.fprintf(stderr,
                 "usage: ping6 [-DdfHmnNoqrRtvwW] [-a addrtype] [-b bufsiz] [-c count] "
                 "[-g gateway]\n"
                 "             [-h hoplimit] [-I interface] [-i wait] [-l preload]\n"
                 "             [-p pattern] [-P policy] [-S sourceaddr] [-s packetsize]\n"
                 "             [hops ...] host\n")
    libc.exit(1)


def setpolicy(s: int, policy: Optional[str]) -> None:
    """KAME ping6's setpolicy: the socket's IPsec policy for one direction."""
    if policy is None:
        return
    try:
        buf = ipsec_set_policy(policy)
    except IPsecError as e:
        libc.errx(1, "%s", str(e))
    try:
        libc.setsockopt(s, IPPROTO_IPV6, IPV6_IPSEC_POLICY, buf[:ipsec_get_policylen(buf)])
    except OSError:
        libc.warnx("Unable to set IPsec policy")


def _strtol(s: str) -> Optional[int]:
    """strtol with the whole string consumed (C's ``*e != '\\0'`` check)."""
    try:
        return int(s, 0) if s.strip() == s and s else None
    except ValueError:
        return None


class Ping6(PingStat):
    """The state ping6.c keeps in globals (the counters in :class:`PingStat`)."""

    PROG = "ping6"
    DUPLICATING = "-- somebody's duplicating packets!"
    STDDEV = "std-dev"

    def __init__(self) -> None:
        super().__init__(MAX_DUP_CHK)
        self.options = 0
        self.interval = (1, 0)     # seconds, microseconds between packets
        self.datalen = DEFDATALEN
        self.hoplimit = -1
        self.preload = 0
        self.sockbufsize = 0
        self.ident = 0
        self.s = -1
        self.dst = sockaddr_in6()
        self.src = sockaddr_in6()
        self.outpack = bytearray(MAXPACKETLEN)
        self.control: list[tuple[int, int, bytes]] = []   # smsghdr's msg_control
        self.pktinfo: Optional[in6_pktinfo] = None
        self.seenalrm = 0
        self.seenint = 0
        self.seeninfo = 0

    # -- signals ---------------------------------------------------------------------------
    def onsignal(self, sig: int) -> None:
        if sig == SIGALRM:
            self.seenalrm += 1
        elif sig == SIGINT:
            self.seenint += 1
        elif sig == SIGINFO:
            self.seeninfo += 1

    def onint(self) -> None:
        """SIGINT: the statistics, then die of SIGINT as the shell expects."""
        self.summary()
        libc.signal(SIGINT, SIG_DFL)
        libc.kill(libc.getpid(), SIGINT)
        libc.exit(1)                                   # NOTREACHED

    # -- sending -----------------------------------------------------------------------------
    def pingerlen(self) -> int:
        return ICMP6ECHOLEN + self.datalen

    def retransmit(self) -> None:
        """Transmit another ping6.  Past the last one (``-c``), set the wait to 2
        round trips or MAXWAIT — KAME's retransmit(); the loop in loop() ends at
        the SIGALRM after the last request before it gets here."""
        if self.pinger() == 0:
            return
        if self.nreceived:
            sec = int(2 * self.tmax / 1000) or 1
        else:
            sec = MAXWAIT
        libc.signal(SIGALRM, self.onsignal)
        libc.setitimer(ITIMER_REAL, itimerval(timeval(0, 0), timeval(sec, 0)))

    def pinger(self) -> int:
        """Compose and transmit an ICMP ECHO REQUEST packet."""
        if self.npackets and self.ntransmitted >= self.npackets:
            return -1                                   # no more transmission
        out = self.outpack
        seq = self.ntransmitted & 0xFFFF
        self.ntransmitted += 1
        self.rcvd_clr(self.ntransmitted - 1)
        _echo.pack_into(out, 0, ICMP6_ECHO_REQUEST, 0, 0, self.ident, seq)
        if self.timing:
            tv = libc.gettimeofday()
            _tv32.pack_into(out, ICMP6ECHOLEN, tv.tv_sec & 0xFFFFFFFF, tv.tv_usec)
        cc = ICMP6ECHOLEN + self.datalen
        msg = msghdr(self.dst, [bytes(out[:cc])], self.control)
        try:
            i = libc.sendmsg(self.s, msg, 0)
        except OSError:
            libc.warn("sendmsg")
            i = -1
        if i != cc:
            libc.printf("ping6: wrote %s %d chars, ret=%d\n", self.hostname, cc, i)
        if not self.options & F_QUIET and self.options & F_FLOOD:
            libc.write(1, b".")
        return 0

    # -- receiving -------------------------------------------------------------------------
    @staticmethod
    def get_hoplim(m: msghdr) -> int:
        for level, ctype, data in m.msg_control:
            if level == IPPROTO_IPV6 and ctype == IPV6_HOPLIMIT and len(data) == 4:
                return cmsg_int_value(data)
        return -1

    @staticmethod
    def get_rcvpktinfo(m: msghdr) -> Optional[in6_pktinfo]:
        for level, ctype, data in m.msg_control:
            if level == IPPROTO_IPV6 and ctype == IPV6_PKTINFO and len(data) == 20:
                return in6_pktinfo.unpack(data)
        return None

    def get_pathmtu(self, m: msghdr) -> int:
        for level, ctype, data in m.msg_control:
            if level == IPPROTO_IPV6 and ctype == IPV6_PATHMTU:
                try:
                    mi = ip6_mtuinfo.unpack(data)
                except ValueError:
                    return 0
                a = mi.ip6m_addr
                if a.sin6_addr != self.dst.sin6_addr or (
                        a.sin6_scope_id and self.dst.sin6_scope_id
                        and a.sin6_scope_id != self.dst.sin6_scope_id):
                    if self.options & F_VERBOSE:
                        libc.printf("path MTU for %s is notified. (ignored)\n", self.pr_addr(a))
                    return 0
                return mi.ip6m_mtu if mi.ip6m_mtu >= IPV6_MMTU else 0
        return 0

    def pr_addr(self, sa: Any) -> str:
        """The address as text (a name with -H)."""
        flags = 0 if self.options & F_HOSTNAME else libc.NI_NUMERICHOST
        try:
            return libc.getnameinfo(sa, flags)[0]
        except OSError:
            return "?"

    def pr_pack(self, buf: bytes, cc: int, m: msghdr, tv: Any) -> None:
        """Print out the packet, if it came from us."""
        opts = self.options
        frm = m.msg_name
        if not isinstance(frm, sockaddr_in6):
            if opts & F_VERBOSE:
                libc.warnx("invalid peername")
            return
        if cc < 8:
            if opts & F_VERBOSE:
                libc.warnx("packet too short (%d bytes) from %s", cc, self.pr_addr(frm))
            return
        if m.msg_flags & MSG_CTRUNC and opts & F_VERBOSE:
            libc.warnx("some control data discarded, insufficient buffer size")
        hoplim = self.get_hoplim(m)
        if hoplim == -1:
            libc.warnx("failed to get receiving hop limit")
            return
        pktinfo = self.get_rcvpktinfo(m)
        if pktinfo is None:
            libc.warnx("failed to get receiving packet information")
            return
        itype, code, _ck, ident, seq = _echo.unpack_from(buf, 0)
        out: list[str] = []
        if itype == ICMP6_ECHO_REPLY and ident == self.ident:
            self.nreceived += 1
            triptime = 0.0
            if self.timing and cc >= ICMP6ECHOLEN + ICMP6ECHOTMLEN:
                triptime = self.rtt(tv, *_tv32.unpack_from(buf, ICMP6ECHOLEN))
            dupflag = self.rcvd_set(seq)
            if opts & F_QUIET:
                return
            if opts & F_FLOOD:
                libc.write(1, b"\b")
            else:
                if opts & F_AUDIBLE:
                    libc.write(1, b"\a")
                out.append("%d bytes from %s, icmp_seq=%u" % (cc, self.pr_addr(frm), seq))
                out.append(" hlim=%d" % hoplim)
                if opts & F_VERBOSE:
                    out.append(" dst=%s" % self.pr_addr(
                        sockaddr_in6(pktinfo.ipi6_addr, 0, 0, pktinfo.ipi6_ifindex)))
                if self.timing:
                    out.append(" time=%.3f ms" % triptime)
                if dupflag:
                    out.append("(DUP!)")
                # check the data
                start = ICMP6ECHOLEN + ICMP6ECHOTMLEN
                got = buf[start:cc]
                want = self.outpack[start:cc]
                if got != want:
                    i = next(j for j in range(len(got)) if got[j] != want[j])
                    out.append("\nwrong data byte #%d should be 0x%x but was 0x%x"
                               % (i + 8, want[i], got[i]))
        else:
            # We've got something other than an ECHOREPLY
            if not opts & F_VERBOSE:
                return
            out.append("%d bytes from %s: " % (cc, self.pr_addr(frm)))
            out.append(pr_icmph(buf[:cc]))
        if not opts & F_FLOOD:
            libc.printf("%s\n", "".join(out))
            libc.fflush(stdout)

    # -- the end -----------------------------------------------------------------------------
    def summary(self) -> None:
        """Print out statistics."""
        self.pr_summary()


def pr_icmph(icp: bytes) -> str:
    """A descriptive string about an ICMPv6 message (-v)."""
    t, code = icp[0], icp[1]
    if t == ICMP6_DST_UNREACH:
        names = {0: "No Route to Destination", 1: "Destination Administratively Unreachable",
                 2: "Destination Unreachable Beyond Scope", 3: "Destination Host Unreachable",
                 4: "Destination Port Unreachable"}
        return names.get(code, "Destination Unreachable, Bad Code: %d" % code)
    if t == ICMP6_PACKET_TOO_BIG:
        return "Packet too big mtu = %d" % struct.unpack_from("!I", icp, 4)[0]
    if t == ICMP6_TIME_EXCEEDED:
        return {0: "Time to live exceeded", 1: "Frag reassembly time exceeded"}.get(
            code, "Time exceeded, Bad Code: %d" % code)
    if t == ICMP6_PARAM_PROB:
        what = {0: "Erroneous Header ", 1: "Unknown Nextheader ",
                2: "Unrecognized Option "}.get(code, "Bad code(%d) " % code)
        return "Parameter problem: %spointer = 0x%02x" % (what, struct.unpack_from("!I", icp, 4)[0])
    return {ICMP6_ECHO_REQUEST: "Echo Request", ICMP6_ECHO_REPLY: "Echo Reply",
            130: "Listener Query", 131: "Listener Report", 132: "Listener Done",
            ND_ROUTER_SOLICIT: "Router Solicitation", ND_ROUTER_ADVERT: "Router Advertisement",
            ND_NEIGHBOR_SOLICIT: "Neighbor Solicitation",
            ND_NEIGHBOR_ADVERT: "Neighbor Advertisement",
            ND_REDIRECT: "Redirect"}.get(t, "Bad ICMP type: %d" % t)


def fill(p: Ping6, patp: str) -> None:
    """-p: fill the data with up to 16 bytes of a hex pattern."""
    if not patp or not is_hex(patp):
        libc.errx(1, "patterns must be specified as hex digits")
    fill_pattern(p.outpack, ICMP6ECHOLEN + ICMP6ECHOTMLEN, MAXDATALEN - 8 - ICMP6ECHOTMLEN,
                 patp, bool(p.options & F_QUIET))


# The options that only set a flag.
_FLAG_OPTIONS = {"D": F_DONTFRAG, "d": F_SO_DEBUG, "H": F_HOSTNAME, "o": F_ONCE, "q": F_QUIET,
                 "r": F_AUDIBLE, "R": F_MISSED, "v": F_VERBOSE}


def main(argv: list[str]) -> int:
    p = Ping6()
    ifname: Optional[str] = None
    gateway: Optional[str] = None
    usepktinfo = False
    mflag = 0
    pattern: Optional[str] = None
    policy_in: Optional[str] = None
    policy_out: Optional[str] = None
    opts, args = libc.getopt(argv, OPTSTRING)
    for ch, optarg in opts:
        if ch in _FLAG_OPTIONS:
            p.options |= _FLAG_OPTIONS[ch]
        elif ch == "b":
            v = _strtol(optarg or "")
            if v is None or v < 0 or optarg.startswith("-"):
                libc.errx(1, "invalid socket buffer size")
            p.sockbufsize = v
        elif ch == "c":
            v = _strtol(optarg or "")
            if v is None or v <= 0:
                libc.errx(1, "illegal number of packets -- %s", optarg)
            p.npackets = v
        elif ch == "f":
            if libc.getuid():
                libc.errx(1, "Must be superuser to flood ping")
            p.options |= F_FLOOD
            libc.setbuf(stdout, None)
        elif ch == "g":
            gateway = optarg
        elif ch == "h":
            v = _strtol(optarg or "")
            if v is None:
                libc.errx(1, "illegal hoplimit %s", optarg)
            if not -1 <= v <= 255:
                libc.errx(1, "illegal hoplimit -- %s", optarg)
            p.hoplimit = v
        elif ch == "I":
            ifname = optarg
            p.options |= F_INTERFACE
            usepktinfo = True
        elif ch == "i":
            intval = strtod(optarg or "")
            if intval is None:
                libc.errx(1, "illegal timing interval %s", optarg)
            if intval < 1 and libc.getuid():
                libc.errx(1, "%s: only root may use interval < 1s", strerror(EPERM))
            sec = int(intval)
            usec = int((intval - sec) * 1000000)
            if sec < 0 or intval < 0:
                libc.errx(1, "illegal timing interval %s", optarg)
            if sec == 0 and usec < 1:
                libc.warnx("too small interval, raised to .000001")
                usec = 1
            p.interval = (sec, usec)
            p.options |= F_INTERVAL
        elif ch == "l":
            v = _strtol(optarg or "")
            if v is None or v < 0:
                libc.errx(1, "illegal preload value -- %s", optarg)
            p.preload = v
        elif ch == "m":
            mflag += 1
        elif ch == "n":
            p.options &= ~F_HOSTNAME
        elif ch == "p":
            p.options |= F_PINGFILLED
            pattern = optarg
        elif ch == "P":
            # KAME: "-P policy", once for each direction (ipsec_set_policy(3))
            p.options |= F_POLICY
            if (optarg or "").startswith("in"):
                policy_in = optarg
            elif (optarg or "").startswith("out"):
                policy_out = optarg
            else:
                libc.errx(1, "invalid security policy")
        elif ch == "S":
            try:
                res = libc.getaddrinfo(optarg, None, libc.addrinfo(
                    libc.AI_NUMERICHOST, AF_INET6, SOCK_RAW, IPPROTO_ICMPV6))
            except libc.gaierror as e:
                libc.errx(1, "invalid source address: %s", libc.gai_strerror(e.errno))
            p.src = res[0].ai_addr
            p.options |= F_SRCADDR
        elif ch == "s":
            v = _strtol(optarg or "")
            if v is None or v <= 0:
                libc.errx(1, "illegal datalen value -- %s", optarg)
            if v > MAXDATALEN:
                libc.errx(1, "datalen value too large, maximum is %d", MAXDATALEN)
            p.datalen = v
        elif ch in "aNtwW":
            libc.errx(1, "-%s is not supported on this platform (node information queries)", ch)
        else:
            usage()
    if pattern is not None:
        fill(p, pattern)
    if not args:
        usage()
    if len(args) > 1:
        libc.errx(1, "intermediate hops (routing headers) are not supported")
    target = args[-1]

    # getaddrinfo
    hints = libc.addrinfo(libc.AI_CANONNAME, AF_INET6, SOCK_RAW, IPPROTO_ICMPV6)
    try:
        res = libc.getaddrinfo(target, None, hints)
    except libc.gaierror as e:
        libc.errx(1, "%s", libc.gai_strerror(e.errno))
    p.hostname = res[0].ai_canonname or target
    p.dst = res[0].ai_addr
    try:
        p.s = s = libc.socket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6)
    except OSError:
        libc.err(1, "socket")
    if p.options & F_POLICY:
        setpolicy(s, policy_in)
        setpolicy(s, policy_out)
    if p.options & F_SRCADDR:
        try:
            libc.bind(s, p.src)
        except OSError:
            libc.err(1, "bind")
    if gateway is not None:
        try:
            gres = libc.getaddrinfo(gateway, None, hints)
        except libc.gaierror as e:
            libc.errx(1, "getaddrinfo for the gateway %s: %s", gateway,
                      libc.gai_strerror(e.errno))
        if len(gres) > 1 and p.options & F_VERBOSE:
            libc.warnx("gateway resolves to multiple addresses")
        try:
            libc.setsockopt(s, IPPROTO_IPV6, IPV6_NEXTHOP, gres[0].ai_addr)
        except OSError:
            libc.err(1, "setsockopt(IPV6_NEXTHOP)")
    if p.options & F_FLOOD and p.options & F_INTERVAL:
        libc.errx(1, "-f and -i incompatible options")
    p.timing = p.datalen >= ICMP6ECHOTMLEN
    packlen = (2048 if p.options & F_VERBOSE else p.datalen) + IP6LEN + ICMP6ECHOLEN + EXTRA
    if not p.options & F_PINGFILLED:
        base = ICMP6ECHOLEN + ICMP6ECHOTMLEN
        n = packlen - ICMP6ECHOLEN
        p.outpack[base:base + n] = bytes((i & 0xFF) for i in range(ICMP6ECHOLEN, packlen))
    p.ident = libc.getpid() & 0xFFFF
    try:
        if p.options & F_DONTFRAG:
            libc.setsockopt(s, IPPROTO_IPV6, IPV6_DONTFRAG, 1)
    except OSError:
        libc.err(1, "IPV6_DONTFRAG")
    if p.options & F_SO_DEBUG:
        try:
            libc.setsockopt(s, SOL_SOCKET, SO_DEBUG, 1)
        except OSError:
            pass
    if IN6_IS_ADDR_MULTICAST(p.dst.sin6_addr):
        try:
            libc.setsockopt(s, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, IPV6_DEFHLIM)
        except OSError:
            libc.err(1, "IPV6_MULTICAST_HOPS")
    if mflag != 1:
        try:
            libc.setsockopt(s, IPPROTO_IPV6, IPV6_USE_MIN_MTU, 0 if mflag > 1 else 1)
        except OSError:
            libc.err(1, "setsockopt(IPV6_USE_MIN_MTU)")
    else:
        try:
            libc.setsockopt(s, IPPROTO_IPV6, IPV6_RECVPATHMTU, 1)
        except OSError:
            libc.err(1, "setsockopt(IPV6_RECVPATHMTU)")
    filt = icmp6_filter()
    if not p.options & F_VERBOSE:
        ICMP6_FILTER_SETBLOCKALL(filt)
        ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, filt)
    else:
        ICMP6_FILTER_SETPASSALL(filt)
    try:
        libc.setsockopt(s, IPPROTO_ICMPV6, ICMP6_FILTER, filt)
    except OSError:
        libc.err(1, "setsockopt(ICMP6_FILTER)")

    # the outgoing interface and the hop limit, as ancillary data of every request
    if usepktinfo:
        p.pktinfo = in6_pktinfo()
    if ifname is not None:
        idx = libc.if_nametoindex(ifname)
        if idx == 0:
            libc.errx(1, "%s: invalid interface name", ifname)
        p.pktinfo = in6_pktinfo(p.pktinfo.ipi6_addr if p.pktinfo else bytes(16), idx)
    if p.pktinfo is not None:
        p.control.append((IPPROTO_IPV6, IPV6_PKTINFO, p.pktinfo.pack()))
    if p.hoplimit != -1:
        p.control.append((IPPROTO_IPV6, IPV6_HOPLIMIT, cmsg_int(p.hoplimit)))

    if not p.options & F_SRCADDR:
        # get the source address: connect a UDP socket and ask it
        try:
            dummy = libc.socket(AF_INET6, SOCK_DGRAM, 0)
        except OSError:
            libc.err(1, "UDP socket")
        d = p.dst
        tmp = sockaddr_in6(d.sin6_addr, DUMMY_PORT, 0, d.sin6_scope_id)
        if p.pktinfo is not None:
            try:
                libc.setsockopt(dummy, IPPROTO_IPV6, IPV6_PKTINFO, p.pktinfo)
            except OSError:
                libc.err(1, "UDP setsockopt(IPV6_PKTINFO)")
        if p.hoplimit != -1:
            for opt, name in ((IPV6_UNICAST_HOPS, "IPV6_UNICAST_HOPS"),
                              (IPV6_MULTICAST_HOPS, "IPV6_MULTICAST_HOPS")):
                try:
                    libc.setsockopt(dummy, IPPROTO_IPV6, opt, p.hoplimit)
                except OSError:
                    libc.err(1, "UDP setsockopt(%s)", name)
        try:
            libc.connect(dummy, tmp)
        except OSError:
            libc.err(1, "UDP connect")
        try:
            got = libc.getsockname(dummy)
        except OSError:
            libc.err(1, "getsockname")
        p.src = sockaddr_in6(got.sin6_addr, 0, 0, got.sin6_scope_id)
        libc.close(dummy)

    if p.sockbufsize:
        if p.datalen > p.sockbufsize:
            libc.warnx("you need -b to increase socket buffer size")
        for opt, name in ((SO_SNDBUF, "SO_SNDBUF"), (SO_RCVBUF, "SO_RCVBUF")):
            try:
                libc.setsockopt(s, SOL_SOCKET, opt, p.sockbufsize)
            except OSError:
                libc.err(1, "setsockopt(%s)", name)
    else:
        if p.datalen > 8 * 1024:
            libc.warnx("you need -b to increase socket buffer size")
        try:
            # pinging a multicast group can bring many answers at once
            libc.setsockopt(s, SOL_SOCKET, SO_RCVBUF, 48 * 1024)
        except OSError:
            pass
    for opt, name in ((IPV6_RECVPKTINFO, "IPV6_RECVPKTINFO"),
                      (IPV6_RECVHOPLIMIT, "IPV6_RECVHOPLIMIT")):
        try:
            libc.setsockopt(s, IPPROTO_IPV6, opt, 1)
        except OSError:
            libc.warn("setsockopt(%s)", name)

    libc.printf("PING6(%lu=40+8+%lu bytes) ", 40 + p.pingerlen(), p.pingerlen() - 8)
    libc.printf("%s --> ", p.pr_addr(p.src))
    libc.printf("%s\n", p.pr_addr(p.dst))

    while p.preload > 0:             # Fire off them quickies.
        p.preload -= 1
        p.pinger()

    libc.signal(SIGINT, p.onsignal)
    libc.signal(SIGINFO, p.onsignal)
    if not p.options & F_FLOOD:
        libc.signal(SIGALRM, p.onsignal)
        iv = timeval(*p.interval)
        libc.setitimer(ITIMER_REAL, itimerval(iv, iv))
        if p.ntransmitted == 0:
            p.retransmit()

    return loop(p, packlen)


def loop(p: Ping6, packlen: int) -> int:
    s = p.s
    fds = [pollfd(s, POLLIN)]
    buf = bytearray(packlen)
    flood = p.options & F_FLOOD
    while True:
        # signal handling
        if p.seenalrm:
            # last packet sent, timeout reached? (one interval after the last request)
            if p.npackets and p.ntransmitted >= p.npackets:
                break
            p.retransmit()
            p.seenalrm = 0
            continue
        if p.seenint:
            p.onint()
            p.seenint = 0
            continue
        if p.seeninfo:
            p.summary()
            p.seeninfo = 0
            continue
        if flood:
            p.pinger()
            timeout = 10
        else:
            timeout = -1
        fds[0].revents = 0
        try:
            cc = libc.poll(fds, timeout)
        except OSError as e:
            if e.errno != EINTR:
                libc.warn("poll")
                libc.sleep(1)
            continue
        if cc == 0:
            continue
        m = msghdr(None, [buf], [], CONTROLLEN)
        try:
            cc = libc.recvmsg(s, m, 0)
        except OSError as e:
            if e.errno != EINTR:
                libc.warn("recvmsg")
                libc.sleep(1)
            continue
        tv = libc.gettimeofday()
        if cc == 0:
            # control messages only: a path MTU notification
            mtu = p.get_pathmtu(m)
            if mtu > 0 and p.options & F_VERBOSE:
                libc.printf("new path MTU (%d) is notified\n", mtu)
            continue
        p.pr_pack(bytes(buf[:cc]), cc, m, tv)
        # ping6.c: done once every request has an answer (DUP!s not counted in
        # nreceived); other listeners' answers to the last request are not awaited
        if (p.options & F_ONCE and p.nreceived > 0) or (
                p.npackets > 0 and p.nreceived >= p.npackets):
            break
        if p.ntransmitted - p.nreceived - 1 > p.nmissedmax:
            p.nmissedmax = p.ntransmitted - p.nreceived - 1
            if p.options & F_MISSED:
                libc.write(1, b"\a")
    p.summary()
    return 0 if p.nreceived else 2
