"""ping(8): send ICMP ECHO_REQUEST packets to network hosts (sbin/ping/ping.c).

As FreeBSD's ping: a raw ICMP socket (``socket(AF_INET, SOCK_RAW,
IPPROTO_ICMP)``); each Echo (RFC 792) carries our pid as identifier, an
ascending sequence number and, when there is room (``-s`` at least 8), the
send time (``struct tv32``, from gettimeofday: the lab's virtual clock) in
its first 8 data bytes; the rest is the byte pattern 8, 9, 10 ... (or
``-p``).  ping computes the ICMP checksum itself (the kernel does not for
raw IPv4).  The main loop is FreeBSD's: select() until the next request is
due (``-i wait``, 1 second), a request each time it times out, and after the
last of ``-c count`` one more wait — twice the longest round trip (at least
a second), or ``-W waittime`` (10 seconds) if nothing came back.  The
output is FreeBSD's::

    PING 10.0.0.2 (10.0.0.2): 56 data bytes
    64 bytes from 10.0.0.2: icmp_seq=0 ttl=64 time=0.123 ms
    ...

    --- 10.0.0.2 ping statistics ---
    3 packets transmitted, 3 packets received, 0.0% packet loss
    round-trip min/avg/max/stddev = 0.104/0.112/0.123/0.008 ms

An ICMP error about one of our requests (Time to live exceeded, Destination
Host Unreachable ...) is printed with the returned IP header, as
``pr_icmph``/``pr_retip`` do; a failed send is ``ping: sendto: Host is
down``.  Exit status: 0 if a reply came, 2 if none, 64 (EX_USAGE) for usage
errors, 68 (EX_NOHOST) for an unknown host.  SIGINT and ``-t timeout``
(SIGALRM) end the loop and print the statistics, SIGINFO prints a summary on
stderr and goes on.

Options: ``-AaDdfLnoQqrv -c count -I iface -i wait -l preload -m ttl -p
pattern -S src_addr -s packetsize -T ttl -t timeout -W waittime -z tos``;
``-R`` (record route) is not available (no IP_OPTIONS), nor the sweeps
(``-G -g -h``) and ``-M``.
"""
from __future__ import annotations

import struct
from typing import Any, Optional

from kernel.wire.errno import EINTR, EPERM
from kernel.wire.icmp import (ICMP_ECHO, ICMP_ECHOREPLY, ICMP_IREQ, ICMP_IREQREPLY, ICMP_MASKREPLY,
                              ICMP_MASKREQ, ICMP_MINLEN, ICMP_PARAMPROB, ICMP_REDIRECT,
                              ICMP_ROUTERADVERT, ICMP_ROUTERSOLICIT, ICMP_SOURCEQUENCH,
                              ICMP_TIMXCEED, ICMP_TSTAMP, ICMP_TSTAMPREPLY, ICMP_UNREACH)
from kernel.wire.in_ import (IN_MULTICAST, IP_HDRINCL, IP_MULTICAST_IF, IP_MULTICAST_LOOP,
                             IP_MULTICAST_TTL, IP_TTL, IPPROTO_IP, inet_aton, inet_ntop4,
                             sockaddr_in)
from kernel.wire.in_cksum import in_cksum
from kernel.wire.ip import IP_DF, IP_HDR_LEN, IP_MAXPACKET, ip_hdr
from kernel.wire.ip6 import IPPROTO_ICMP
from kernel.wire.signal import SIG_IGN, SIGALRM, SIGINFO, SIGINT
from kernel.wire.socket import (AF_INET, SO_DEBUG, SO_DONTROUTE, SO_RCVBUF, SO_SNDBUF, SOCK_RAW,
                                SOL_SOCKET)
from kernel.wire.time import timeval
from userland import libc
from userland.libc import stderr, stdout
from userland.sbin.ping_subr import PingStat, fill_pattern, is_hex, strtod

DEFDATALEN = 56              # default data length
TIMEVAL_LEN = 8              # sizeof(struct tv32)
MAXWAIT = 10000              # max ms to wait for response
MAXALARM = 60 * 60           # max seconds for alarm timeout
MAXTTL = 255
MAXTOS = 255
MAX_DUP_CHK = 8 * 128
MAX_IPOPTLEN = 40

EX_USAGE = 64
EX_NOHOST = 68
EX_UNAVAILABLE = 69
EX_OSERR = 71
EX_NOPERM = 77

F_FLOOD = 0x0001
F_INTERVAL = 0x0002
F_NUMERIC = 0x0004
F_PINGFILLED = 0x0008
F_QUIET = 0x0010
F_SO_DEBUG = 0x0040
F_SO_DONTROUTE = 0x0080
F_VERBOSE = 0x0100
F_QUIET2 = 0x0200
F_NOLOOP = 0x0400
F_MTTL = 0x0800
F_MIF = 0x1000
F_AUDIBLE = 0x2000
F_TTL = 0x8000
F_MISSED = 0x10000
F_ONCE = 0x20000
F_HDRINCL = 0x40000
F_WAITTIME = 0x400000

OPTSTRING = "Aac:DdfI:i:Ll:m:nop:QqRrS:s:T:t:vW:z:"

_tv32 = struct.Struct("!II")
_echo = struct.Struct("!BBHHH")


def usage() -> None:
    libc.fprintf(stderr, "%s\n%s\n%s\n%s\n%s\n%s\n",
                 "usage: ping [-AaDdfnoQqRrv] [-c count] [-i wait] [-l preload] [-m ttl]",
                 "            [-p pattern] [-S src_addr] [-s packetsize] [-t timeout]",
                 "            [-W waittime] [-z tos] host",
                 "       ping [-AaDdfLnoQqRrv] [-c count] [-I iface] [-i wait] [-l preload]",
                 "            [-m ttl] [-p pattern] [-S src_addr] [-s packetsize] [-T ttl]",
                 "            [-t timeout] [-W waittime] [-z tos] mcast-group")
    libc.exit(EX_USAGE)


def _strtoul(s: str) -> Optional[int]:
    """strtoul(s, &ep, 0) with the whole string consumed (``*ep || ep == optarg``)."""
    t = s.strip()
    if not t or t != s.lstrip() or t[0] == "-":
        return None
    try:
        if t[:2].lower() == "0x":
            return int(t[2:], 16)
        if len(t) > 1 and t[0] == "0":
            return int(t, 8)
        return int(t, 10)
    except ValueError:
        return None


def _ularg(optarg: str, limit: int, fmt: str, least: int = 0) -> int:
    """An option's number (strtoul) within least..limit, else ``errx(EX_USAGE, fmt)``."""
    v = _strtoul(optarg)
    if v is None or not least <= v <= limit:
        libc.errx(EX_USAGE, fmt, optarg)
    return v


class Ping(PingStat):
    """The state ping.c keeps in globals (the counters in :class:`PingStat`)."""

    def __init__(self) -> None:
        super().__init__(MAX_DUP_CHK)
        self.options = 0
        self.nrcvtimeout = 0
        self.interval = 1000         # ms between requests
        self.waittime = MAXWAIT
        self.datalen = DEFDATALEN
        self.ident = 0
        self.uid = 0
        self.s = -1
        self.whereto = sockaddr_in()
        self.send_len = 0
        self.outpack = bytearray(IP_MAXPACKET)       # the ICMP message (after the IP header)
        self.outpackhdr = bytearray(IP_HDR_LEN)      # the IP header with -D / -z (IP_HDRINCL)
        self.finish_up = 0
        self.siginfo_p = 0

    # -- signals ---------------------------------------------------------------------------
    def stopit(self, sig: int) -> None:
        """SIGINT, SIGALRM: stop; a second one with names being looked up exits at once."""
        if not self.options & F_NUMERIC and self.finish_up:
            libc._exit(0 if self.nreceived else 2)
        self.finish_up = 1

    def status(self, sig: int) -> None:
        self.siginfo_p = 1

    def check_status(self) -> None:
        if self.siginfo_p:
            self.siginfo_p = 0
            libc.fprintf(stderr, "\r%ld/%ld packets received (%.1f%%)", self.nreceived,
                         self.ntransmitted, self.nreceived * 100.0 / self.ntransmitted
                         if self.ntransmitted else 0.0)
            if self.nreceived and self.timing:
                libc.fprintf(stderr, " %.3f min / %.3f avg / %.3f max", self.tmin,
                             self.tsum / (self.nreceived + self.nrepeats), self.tmax)
            libc.fprintf(stderr, "\n")

    # -- sending -----------------------------------------------------------------------------
    def pinger(self) -> None:
        """Compose and transmit an ICMP ECHO REQUEST packet."""
        out = self.outpack
        seq = self.ntransmitted & 0xFFFF
        self.rcvd_clr(seq)
        _echo.pack_into(out, 0, ICMP_ECHO, 0, 0, self.ident, seq)
        if self.timing:
            tv = libc.gettimeofday()
            _tv32.pack_into(out, ICMP_MINLEN, tv.tv_sec & 0xFFFFFFFF, tv.tv_usec)
        cc = ICMP_MINLEN + self.datalen
        ck = in_cksum(bytes(out[:cc]))
        out[2] = ck >> 8
        out[3] = ck & 0xFF
        packet = bytes(out[:cc])
        if self.options & F_HDRINCL:
            hdr = self.outpackhdr
            struct.pack_into("!H", hdr, 2, IP_HDR_LEN + cc)
            hdr[10] = hdr[11] = 0
            ck = in_cksum(bytes(hdr))
            hdr[10] = ck >> 8
            hdr[11] = ck & 0xFF
            packet = bytes(hdr) + packet
            cc += IP_HDR_LEN
        try:
            i = libc.sendto(self.s, packet, 0, self.whereto)
        except OSError:
            libc.warn("sendto")
            i = cc
        if i != cc:
            libc.warnx("%s: partial write: %d of %d bytes", self.hostname, i, cc)
        self.ntransmitted += 1
        if not self.options & F_QUIET and self.options & F_FLOOD:
            libc.write(1, b".")

    # -- receiving -------------------------------------------------------------------------
    def pr_addr(self, a: bytes) -> str:
        """The address, or "name (address)" when it has a name (not with -n)."""
        if self.options & F_NUMERIC:
            return inet_ntop4(a)
        try:
            name = libc.getnameinfo(sockaddr_in(a), libc.NI_NAMEREQD)[0]
        except OSError:
            return inet_ntop4(a)
        return "%s (%s)" % (name, inet_ntop4(a))

    def pr_pack(self, buf: bytes, cc: int, frm: sockaddr_in, tv: timeval) -> None:
        """Print out the packet, if it came from us."""
        opts = self.options
        hlen = (buf[0] & 0x0F) << 2 if cc else 0
        recv_len = cc
        if cc < hlen + ICMP_MINLEN or hlen < IP_HDR_LEN:
            if opts & F_VERBOSE:
                libc.warn("packet too short (%d bytes) from %s", cc, inet_ntop4(frm.sin_addr))
            return
        cc -= hlen
        icp = buf[hlen:]
        itype = icp[0]
        out: list[str] = []
        if itype == ICMP_ECHOREPLY:
            _t, _c, _ck, ident, seq = _echo.unpack_from(icp, 0)
            if ident != self.ident:
                return                                   # "it was not our ECHO"
            self.nreceived += 1
            triptime = 0.0
            if self.timing:
                if cc - ICMP_MINLEN >= TIMEVAL_LEN:
                    triptime = self.rtt(tv, *_tv32.unpack_from(icp, ICMP_MINLEN))
                else:
                    self.timing = False
            dupflag = self.rcvd_set(seq)
            if opts & F_QUIET:
                return
            if opts & F_WAITTIME and triptime > self.waittime:
                self.nrcvtimeout += 1
                return
            if opts & F_FLOOD:
                libc.write(1, b"\b")
                return
            out.append("%d bytes from %s: icmp_seq=%u" % (cc, inet_ntop4(frm.sin_addr), seq))
            out.append(" ttl=%d" % buf[8])
            if self.timing:
                out.append(" time=%.3f ms" % triptime)
            if dupflag:
                out.append(" (DUP!)")
            if opts & F_AUDIBLE:
                libc.write(1, b"\a")
            if recv_len != self.send_len:
                out.append("\nwrong total length %d instead of %d" % (recv_len, self.send_len))
            out.append(self.check_data(icp, cc))
        else:
            # "We've got something other than an ECHOREPLY.  See if it's a reply
            # to something that we sent."
            mine = False
            if cc >= ICMP_MINLEN + IP_HDR_LEN + ICMP_MINLEN:
                oip = icp[ICMP_MINLEN:]
                ohl = (oip[0] & 0x0F) << 2
                if ohl >= IP_HDR_LEN and len(oip) >= ohl + ICMP_MINLEN:
                    oicmp = oip[ohl:]
                    mine = (oip[16:20] == self.whereto.sin_addr and oip[9] == IPPROTO_ICMP
                            and oicmp[0] == ICMP_ECHO
                            and struct.unpack_from("!H", oicmp, 4)[0] == self.ident)
            if not ((opts & F_VERBOSE and self.uid == 0) or (not opts & F_QUIET2 and mine)):
                return
            out.append("%d bytes from %s: " % (cc, self.pr_addr(frm.sin_addr)))
            out.append(pr_icmph(icp))
        if not opts & F_FLOOD:
            libc.printf("%s\n", "".join(out))
            libc.fflush(stdout)

    def check_data(self, icp: bytes, cc: int) -> str:
        """"wrong data byte" and a dump of what came and what went, if they differ."""
        i = TIMEVAL_LEN if self.timing else 0
        cc -= ICMP_MINLEN + i
        cp = ICMP_MINLEN + i
        while i < self.datalen and cc > 0:
            if icp[cp] != self.outpack[cp]:
                out = ["\nwrong data byte #%d should be 0x%x but was 0x%x"
                       % (i, self.outpack[cp], icp[cp]), "\ncp:"]
                for j in range(self.datalen):
                    if j % 16 == 8:
                        out.append("\n\t")
                    out.append("%2x " % (icp[ICMP_MINLEN + j] if ICMP_MINLEN + j < len(icp) else 0))
                out.append("\ndp:")
                for j in range(self.datalen):
                    if j % 16 == 8:
                        out.append("\n\t")
                    out.append("%2x " % self.outpack[ICMP_MINLEN + j])
                return "".join(out)
            i += 1
            cp += 1
            cc -= 1
        return ""

    # -- the end -----------------------------------------------------------------------------
    def finish(self) -> None:
        """Print out statistics, and give up."""
        libc.signal(SIGINT, SIG_IGN)
        libc.signal(SIGALRM, SIG_IGN)
        self.pr_summary(self.nrcvtimeout)
        libc.exit(0 if self.nreceived else 2)


# -- describing ICMP messages ----------------------------------------------------------------------
_UNREACH = {0: "Destination Net Unreachable", 1: "Destination Host Unreachable",
            2: "Destination Protocol Unreachable", 3: "Destination Port Unreachable",
            5: "Source Route Failed", 13: "Communication prohibited by filter"}
_REDIRECT = {0: "Redirect Network", 1: "Redirect Host",
             2: "Redirect Type of Service and Network", 3: "Redirect Type of Service and Host"}
_SIMPLE = {ICMP_ECHOREPLY: "Echo Reply", ICMP_ECHO: "Echo Request", ICMP_TSTAMP: "Timestamp",
           ICMP_TSTAMPREPLY: "Timestamp Reply", ICMP_IREQ: "Information Request",
           ICMP_IREQREPLY: "Information Reply", ICMP_MASKREQ: "Address Mask Request",
           ICMP_MASKREPLY: "Address Mask Reply", ICMP_ROUTERADVERT: "Router Advertisement",
           ICMP_ROUTERSOLICIT: "Router Solicitation"}


def pr_icmph(icp: bytes) -> str:
    """Print a descriptive string about an ICMP header (and the returned IP header)."""
    t, code = icp[0], icp[1]
    if t == ICMP_UNREACH:
        if code == 4:
            s = "frag needed and DF set (MTU %d)\n" % struct.unpack_from("!H", icp, 6)[0]
        else:
            s = _UNREACH.get(code, "Dest Unreachable, Bad Code: %d" % code) + "\n"
        return s + pr_retip(icp[ICMP_MINLEN:])
    if t == ICMP_SOURCEQUENCH:
        return "Source Quench\n" + pr_retip(icp[ICMP_MINLEN:])
    if t == ICMP_REDIRECT:
        s = _REDIRECT.get(code, "Redirect, Bad Code: %d" % code)
        return s + "(New addr: %s)\n" % inet_ntop4(bytes(icp[4:8])) + pr_retip(icp[ICMP_MINLEN:])
    if t == ICMP_TIMXCEED:
        s = {0: "Time to live exceeded", 1: "Frag reassembly time exceeded"}.get(
            code, "Time exceeded, Bad Code: %d" % code)
        return s + "\n" + pr_retip(icp[ICMP_MINLEN:])
    if t == ICMP_PARAMPROB:
        return "Parameter problem: pointer = 0x%02x\n" % icp[4] + pr_retip(icp[ICMP_MINLEN:])
    return _SIMPLE.get(t, "Bad ICMP type: %d" % t) + "\n"


def pr_iph(ip: bytes) -> str:
    """Print an IP header with options."""
    if len(ip) < IP_HDR_LEN:
        return ""
    vhl, tos, ln, ident, off, ttl, p, ck, src, dst = ip_hdr.unpack_from(ip, 0)
    hlen = (vhl & 0x0F) << 2
    s = "Vr HL TOS  Len   ID Flg  off TTL Pro  cks      Src      Dst\n"
    s += " %1x  %1x  %02x %04x %04x" % (vhl >> 4, vhl & 0x0F, tos, ln, ident)
    s += "   %1x %04x" % ((off & 0xE000) >> 13, off & 0x1FFF)
    s += "  %02x  %02x %04x" % (ttl, p, ck)
    s += " %s " % inet_ntop4(src)
    s += " %s " % inet_ntop4(dst)
    s += "".join("%02x" % c for c in ip[IP_HDR_LEN:min(hlen, len(ip))])
    return s + "\n"


def pr_retip(ip: bytes) -> str:
    """The returned IP header, and the ports of TCP or UDP."""
    s = pr_iph(ip)
    if len(ip) < IP_HDR_LEN:
        return s
    hlen = (ip[0] & 0x0F) << 2
    cp = ip[hlen:hlen + 4]
    if len(cp) == 4 and ip[9] in (6, 17):
        s += "%s: from port %u, to port %u (decimal)\n" % (
            "TCP" if ip[9] == 6 else "UDP", cp[0] * 256 + cp[1], cp[2] * 256 + cp[3])
    return s


def fill(p: Ping, patp: str) -> None:
    """-p: fill the data with up to 16 bytes of a hex pattern."""
    if not is_hex(patp):
        libc.errx(EX_USAGE, "patterns must be specified as hex digits")
    maxpayload = IP_MAXPACKET - IP_HDR_LEN - ICMP_MINLEN
    fill_pattern(p.outpack, ICMP_MINLEN + TIMEVAL_LEN, maxpayload - TIMEVAL_LEN, patp,
                 bool(p.options & F_QUIET))


def _resolve(name: str) -> tuple[bytes, str]:
    """inet_aton, else gethostbyname2(AF_INET): (address, the name to print)."""
    a = inet_aton(name)
    if a is not None:
        return a, name
    try:
        res = libc.getaddrinfo(name, None, libc.addrinfo(libc.AI_CANONNAME, AF_INET, SOCK_RAW,
                                                         IPPROTO_ICMP))
    except libc.gaierror:
        libc.errx(EX_NOHOST, "cannot resolve %s: %s", name, "Unknown host")
    return res[0].ai_addr.sin_addr, res[0].ai_canonname or name


# The options that only set a flag.
_FLAG_OPTIONS = {"A": F_MISSED, "a": F_AUDIBLE, "d": F_SO_DEBUG, "L": F_NOLOOP, "n": F_NUMERIC,
                 "o": F_ONCE, "Q": F_QUIET2, "q": F_QUIET, "r": F_SO_DONTROUTE, "v": F_VERBOSE}


def main(argv: list[str]) -> int:
    p = Ping()
    try:
        p.s = libc.socket(AF_INET, SOCK_RAW, IPPROTO_ICMP)
        sockerrno = 0
    except OSError as e:
        p.s = -1
        sockerrno = e.errno
    p.uid = libc.getuid()
    df = preload = tos = ttl = mttl = 0
    source: Optional[str] = None
    payload: Optional[str] = None
    ifaddr = b""
    opts, args = libc.getopt(argv, OPTSTRING)
    for ch, optarg in opts:
        optarg = optarg or ""
        if ch in _FLAG_OPTIONS:
            p.options |= _FLAG_OPTIONS[ch]
        elif ch == "c":
            p.npackets = _ularg(optarg, 0x7FFFFFFFFFFFFFFF,
                                "invalid count of packets to transmit: `%s'", 1)
        elif ch == "D":
            p.options |= F_HDRINCL
            df = 1
        elif ch == "f":
            if p.uid:
                libc.errc(EX_NOPERM, EPERM, "-f flag")
            p.options |= F_FLOOD
            libc.setbuf(stdout, None)
        elif ch == "I":
            a = inet_aton(optarg)
            if a is None:
                libc.errx(EX_USAGE, "invalid multicast interface: `%s'", optarg)
            ifaddr = a
            p.options |= F_MIF
        elif ch == "i":
            t = strtod(optarg)
            if t is None or t * 1000.0 > 0x7FFFFFFF:
                libc.errx(EX_USAGE, "invalid timing interval: `%s'", optarg)
            p.options |= F_INTERVAL
            p.interval = int(t * 1000.0)
            if p.uid and p.interval < 1000:
                libc.errc(EX_NOPERM, EPERM, "-i interval too short")
        elif ch == "l":
            preload = _ularg(optarg, 0x7FFFFFFF, "invalid preload value: `%s'")
            if p.uid:
                libc.errc(EX_NOPERM, EPERM, "-l flag")
        elif ch == "m":
            ttl = _ularg(optarg, MAXTTL, "invalid TTL: `%s'")
            p.options |= F_TTL
        elif ch == "p":
            p.options |= F_PINGFILLED
            payload = optarg
        elif ch == "R":
            libc.errx(EX_UNAVAILABLE, "record route not available in this implementation")
        elif ch == "S":
            source = optarg
        elif ch == "s":
            v = _ularg(optarg, 1 << 63, "invalid packet size: `%s'")
            if p.uid != 0 and v > DEFDATALEN:
                libc.errc(EX_NOPERM, EPERM, "packet size too large: %lu > %u", v, DEFDATALEN)
            p.datalen = v
        elif ch == "T":
            mttl = _ularg(optarg, MAXTTL, "invalid multicast TTL: `%s'")
            p.options |= F_MTTL
        elif ch == "t":
            v = _strtoul(optarg)
            if v is None or v < 1:
                libc.errx(EX_USAGE, "invalid timeout: `%s'", optarg)
            if v > MAXALARM:
                libc.errx(EX_USAGE, "invalid timeout: `%s' > %d", optarg, MAXALARM)
            libc.alarm(v)
        elif ch == "W":
            t = strtod(optarg)
            if t is None or t > 0x7FFFFFFF:
                libc.errx(EX_USAGE, "invalid timing interval: `%s'", optarg)
            p.options |= F_WAITTIME
            p.waittime = int(t)
        elif ch == "z":
            tos = _ularg(optarg, MAXTOS, "invalid TOS: `%s'")
            p.options |= F_HDRINCL
        else:
            usage()
    if len(args) != 1:
        usage()
    target = args[0]

    icmp_len = IP_HDR_LEN + ICMP_MINLEN
    maxpayload = IP_MAXPACKET - icmp_len
    if p.datalen > maxpayload:
        libc.errx(EX_USAGE, "packet size too large: %d > %d", p.datalen, maxpayload)
    p.send_len = icmp_len + p.datalen
    if p.options & F_PINGFILLED:
        fill(p, payload or "")
    shostname = ""
    src = b"\0\0\0\0"
    if source is not None:
        src, shostname = _resolve(source)
        try:
            libc.bind(p.s, sockaddr_in(src))
        except OSError:
            libc.err(1, "bind")
    dst, p.hostname = _resolve(target)
    p.whereto = sockaddr_in(dst)
    if p.options & F_FLOOD and p.options & F_INTERVAL:
        libc.errx(EX_USAGE, "-f and -i: incompatible options")
    if p.options & F_FLOOD and IN_MULTICAST(dst):
        libc.errx(EX_USAGE, "-f flag cannot be used with multicast destination")
    if p.options & (F_MIF | F_NOLOOP | F_MTTL) and not IN_MULTICAST(dst):
        libc.errx(EX_USAGE, "-I, -L, -T flags cannot be used with unicast destination")
    p.timing = p.datalen >= TIMEVAL_LEN
    if not p.options & F_PINGFILLED:
        base = ICMP_MINLEN + TIMEVAL_LEN
        for i in range(TIMEVAL_LEN, p.datalen):
            p.outpack[base + i - TIMEVAL_LEN] = i & 0xFF
    p.ident = libc.getpid() & 0xFFFF
    if p.s < 0:
        libc.errc(EX_OSERR, sockerrno, "socket")
    s = p.s
    if p.options & F_SO_DEBUG:
        _setopt(s, SOL_SOCKET, SO_DEBUG, 1)
    if p.options & F_SO_DONTROUTE:
        _setopt(s, SOL_SOCKET, SO_DONTROUTE, 1)
    if p.options & F_HDRINCL:
        if not p.options & (F_TTL | F_MTTL):
            try:
                ttl = int(libc.sysctlbyname("net.inet.ip.ttl"))
            except OSError:
                libc.err(1, "sysctl(net.inet.ip.ttl)")
        _setopt(s, IPPROTO_IP, IP_HDRINCL, 1)
        ip_hdr.pack_into(p.outpackhdr, 0, 0x45, tos, 0, 0, IP_DF if df else 0,
                         mttl if IN_MULTICAST(dst) and p.options & F_MTTL else ttl,
                         IPPROTO_ICMP, 0, src, dst)
    for flag, opt, val, what in ((F_TTL, IP_TTL, ttl, "setsockopt IP_TTL"),
                                 (F_NOLOOP, IP_MULTICAST_LOOP, 0, "setsockopt IP_MULTICAST_LOOP"),
                                 (F_MTTL, IP_MULTICAST_TTL, mttl, "setsockopt IP_MULTICAST_TTL"),
                                 (F_MIF, IP_MULTICAST_IF, ifaddr, "setsockopt IP_MULTICAST_IF")):
        if p.options & flag:
            try:
                libc.setsockopt(s, IPPROTO_IP, opt, val)
            except OSError:
                libc.err(EX_OSERR, "%s", what)
    hold = IP_MAXPACKET + 128
    _setopt(s, SOL_SOCKET, SO_RCVBUF, hold)
    if p.uid == 0:
        _setopt(s, SOL_SOCKET, SO_SNDBUF, hold)
    libc.printf("PING %s (%s)", p.hostname, inet_ntop4(dst))
    if source is not None:
        libc.printf(" from %s", shostname)
    libc.printf(": %d data bytes\n", p.datalen)

    libc.signal(SIGINT, p.stopit)
    libc.signal(SIGINFO, p.status)
    libc.signal(SIGALRM, p.stopit)
    if preload == 0:
        p.pinger()
    else:
        if p.npackets and preload > p.npackets:
            preload = p.npackets
        for _ in range(preload):
            p.pinger()
    return loop(p)


def _setopt(s: int, level: int, name: int, val: Any) -> None:
    try:
        libc.setsockopt(s, level, name, val)
    except OSError:
        pass


def _tv_us(tv: timeval) -> int:
    return tv.tv_sec * 1000000 + tv.tv_usec


def loop(p: Ping) -> int:
    s = p.s
    last = _tv_us(libc.gettimeofday())
    intvl = 10000 if p.options & F_FLOOD else p.interval * 1000     # microseconds
    almost_done = False
    while not p.finish_up:
        p.check_status()
        now = _tv_us(libc.gettimeofday())
        timeout = max(0, last + intvl - now)
        try:
            ready = libc.select([s], [], [], timeval(timeout // 1000000, timeout % 1000000))[0]
        except OSError as e:
            if e.errno != EINTR:
                libc.warn("select")
            continue
        if ready:
            try:
                data, frm = libc.recvfrom(s, IP_MAXPACKET)
            except OSError as e:
                if e.errno == EINTR:
                    continue
                libc.warn("recvmsg")
                continue
            tv = libc.gettimeofday()
            if isinstance(frm, sockaddr_in):
                p.pr_pack(data, len(data), frm, tv)
            if (p.options & F_ONCE and p.nreceived) or (p.npackets and p.nreceived >= p.npackets):
                break
        if not ready or p.options & F_FLOOD:
            if not p.npackets or p.ntransmitted < p.npackets:
                p.pinger()
            else:
                if almost_done:
                    break
                almost_done = True
                if p.nreceived:
                    intvl = max(1, int(2 * p.tmax / 1000)) * 1000000
                else:
                    intvl = p.waittime * 1000
            last = _tv_us(libc.gettimeofday())
            if p.ntransmitted - p.nreceived - 1 > p.nmissedmax:
                p.nmissedmax = p.ntransmitted - p.nreceived - 1
                if p.options & F_MISSED:
                    libc.write(1, b"\a")
    p.finish()
    return 0
