"""netstat(1): show network status (usr.bin/netstat: main.c, route.c, if.c, inet.c,
inet6.c).

``netstat -r [-n] [-f inet|inet6]`` (the routing tables, from the routing
sysctl ``net.route.dump``: ``Internet:`` then ``Internet6:``), ``netstat -i
[-n] [-f inet|inet6|link] [-I if]`` (interfaces, from getifaddrs), ``netstat
-s [-p ip|icmp|udp|arp|ip6|icmp6|rip6]`` (protocol statistics, from the
``*.stats`` sysctls: ``net.inet.ip.stats``, ``net.inet.icmp.stats``,
``net.inet.udp.stats``, ``net.link.ether.arp.stats``, ...), ``netstat -a
[-n]`` (sockets of both families, from the ``net.inet.udp.pcblist`` /
``net.inet.raw.pcblist`` sysctls: ``udp4``, ``udp6``, ``icm4``, ...).  The
layout is FreeBSD's (11 and later for the routing table's header).
"""
from __future__ import annotations

from typing import Any, Callable, Optional

from kernel.wire.icmp import ICMP_MAXTYPE
from kernel.wire.in6 import IN6ADDR_ANY, sockaddr_in6
from kernel.wire.in_ import INADDR_ANY, in_classlen, inet_ntop4, sockaddr_in
from kernel.wire.net_if import IFT
from kernel.wire.route import (RT_MSGHDR_LEN, RTAX_DST, RTAX_GATEWAY, RTAX_NETMASK,
                               RTF_BLACKHOLE, RTF_BROADCAST, RTF_DONE, RTF_DYNAMIC,
                               RTF_GATEWAY, RTF_HOST, RTF_LLINFO, RTF_MODIFIED, RTF_PROTO1,
                               RTF_PROTO2, RTF_PROTO3, RTF_REJECT, RTF_STATIC, RTF_UP,
                               RTF_XRESOLVE, RTM_VERSION, rt_addrs_unpack, rt_msg_split,
                               rt_msghdr, sockaddr_dl)
from userland import libc
from userland.libc import stderr

AF_UNSPEC = 0
AF_INET = 2
AF_LINK = 18
AF_INET6 = 28
AF_UNIX = 1

# usr.bin/netstat/route.c bits[]
BITS = [(RTF_UP, "U"), (RTF_GATEWAY, "G"), (RTF_HOST, "H"), (RTF_REJECT, "R"),
        (RTF_DYNAMIC, "D"), (RTF_MODIFIED, "M"), (RTF_DONE, "d"), (RTF_XRESOLVE, "X"),
        (RTF_STATIC, "S"), (RTF_PROTO1, "1"), (RTF_PROTO2, "2"), (RTF_PROTO3, "3"),
        (RTF_BLACKHOLE, "B"), (RTF_BROADCAST, "b"), (RTF_LLINFO, "L")]

IP6NH = {0: "hop by hop", 1: "ICMP", 2: "IGMP", 4: "IP", 6: "TCP", 17: "UDP", 22: "IDP",
         29: "TP", 41: "IP6", 43: "routing", 44: "fragment", 50: "ESP", 51: "AH",
         58: "ICMP6", 59: "no next header", 60: "destination option", 62: "mobility",
         80: "ISOIP", 89: "OSPF", 97: "Ethernet", 103: "PIM"}
ICMP6NAMES = {1: "unreach", 2: "packet too big", 3: "time exceed", 4: "parameter problem",
              128: "echo", 129: "echo reply", 130: "multicast listener query",
              131: "MLDv1 listener report", 132: "MLDv1 listener done",
              133: "router solicitation", 134: "router advertisement",
              135: "neighbor solicitation", 136: "neighbor advertisement", 137: "redirect",
              138: "router renumbering", 139: "node information request",
              140: "node information reply", 141: "inverse neighbor solicitation",
              142: "inverse neighbor advertisement", 143: "MLDv2 listener report"}
# inet.c icmpnames[]: the ICMP types by number (RFC 792, 950, 1256, 1393, 1475, 1788, 2521)
ICMPNAMES = ["echo reply", "#1", "#2", "destination unreachable", "source quench",
             "routing redirect", "#6", "#7", "echo", "router advertisement",
             "router solicitation", "time exceeded", "parameter problem", "time stamp",
             "time stamp reply", "information request", "information request reply",
             "address mask request", "address mask reply"] + ["#%d" % i for i in range(19, 30)] \
    + ["icmp traceroute", "datagram conversion error", "mobile host redirect",
       "IPv6 where-are-you", "IPv6 i-am-here", "mobile registration req",
       "mobile registration reply", "domain name request", "domain name reply", "icmp SKIP",
       "icmp photuris"]
INP_IPV4 = 0x1                  # inp_vflag
INP_IPV6 = 0x2
_CLASSFUL_MASKS = (0xFF000000, 0xFFFF0000, 0xFFFFFF00)     # IN_CLASS{A,B,C}_NET: NSHIFT != 0
SRCRULE_STR = ["first candidate", "same address", "appropriate scope", "deprecated address",
               "home address", "outgoing interface", "matching label",
               "public/temporary address", "alive interface", "better virtual status",
               "preferred source", "rule #11", "rule #12", "rule #13", "longest match",
               "rule #15"]


def plural(n: int) -> str:
    return "s" if n != 1 else ""


def pluralies(n: int) -> str:
    return "ies" if n != 1 else "y"


def fmt_flags(f: int) -> str:
    return "".join(c for bit, c in BITS if f & bit)


def inet_lnaof(a: bytes) -> int:
    """inet_lnaof(3): the host part of ``a`` under its class (C for D and E)."""
    v = int.from_bytes(a, "big")
    return v & ((1 << (32 - min(in_classlen(a), 24))) - 1)


def domask(mask: int) -> str:
    """route.c domask: ``/len`` (``&0x...`` for a non-contiguous mask)."""
    if mask == 0:
        return ""
    inv = (~mask) & 0xFFFFFFFF
    if inv & (inv + 1):
        return "&0x%x" % mask
    return "/%d" % (32 - inv.bit_length())


class Netstat:
    def __init__(self) -> None:
        self.Aflag = self.aflag = self.bflag = self.dflag = self.iflag = False
        self.rflag = self.Wflag = self.hflag = self.Lflag = self.xflag = self.Tflag = False
        self.sflag = 0
        self.numeric_addr = self.numeric_port = False
        self.af = AF_UNSPEC
        self.interface: Optional[str] = None
        self.pflag = False
        self.proto: Optional[str] = None
        self.zflag = False

    # -- names -------------------------------------------------------------------------------
    def _gni(self, sa: sockaddr_in6, numeric: bool) -> str:
        return libc.getnameinfo_host(sa, libc.NI_NUMERICHOST if numeric else 0)

    def _hostname4(self, a: bytes) -> Optional[str]:
        """gethostbyaddr(3) of an IPv4 address (/etc/hosts), trimdomain'd."""
        try:
            name = libc.getnameinfo(sockaddr_in(a), libc.NI_NAMEREQD)[0]
        except OSError:
            return None
        return libc.trimdomain(name)

    def routename4(self, a: bytes) -> str:
        """route.c routename: the host's name unless -n, else the dotted quad."""
        name = None if self.numeric_addr else self._hostname4(a)
        return name if name is not None else inet_ntop4(a)

    def netname4(self, a: bytes, mask: bytes) -> str:
        """route.c netname: the network (no networks(5) here, so its number)
        and ``/len`` — left out without -n for a classful mask."""
        m = int.from_bytes(mask, "big")
        i = int.from_bytes(a, "big") & m
        line = inet_ntop4(i.to_bytes(4, "big"))
        if not self.numeric_addr and m in _CLASSFUL_MASKS:
            return line
        return line + domask(m)

    def routename6(self, sa: sockaddr_in6) -> str:
        return self._gni(sockaddr_in6(sa.sin6_addr, 0, 0, sa.sin6_scope_id), self.numeric_addr)

    def netname6(self, sa: sockaddr_in6, mask: Optional[sockaddr_in6]) -> str:
        if mask is not None:
            m = mask.sin6_addr
            masklen = 0
            for b in m:                      # contiguous bytes only, as netname6's switch
                if b in (0xFF, 0xFE, 0xFC, 0xF8, 0xF0, 0xE0, 0xC0, 0x80):
                    masklen += bin(b).count("1")
            a = bytes(x & y for x, y in zip(sa.sin6_addr, m))
            sa = sockaddr_in6(a, 0, 0, sa.sin6_scope_id)
        else:
            masklen = 128
        if masklen == 0 and sa.sin6_addr == IN6ADDR_ANY:
            return "default"
        nline = self._gni(sa, True)
        line = nline if self.numeric_addr else self._gni(sa, False)
        if self.numeric_addr or line == nline:
            line += "/%d" % masklen
        return line

    def fmt_sockaddr(self, sa: Any, mask: Any, flags: int) -> str:
        if sa is None:
            return "null"
        if isinstance(sa, sockaddr_in):
            m = mask if isinstance(mask, sockaddr_in) else None
            if sa.sin_addr == INADDR_ANY and m is not None and m.sin_addr == INADDR_ANY:
                return "default"
            if flags & RTF_HOST:
                return self.routename4(sa.sin_addr)
            return self.netname4(sa.sin_addr, m.sin_addr if m is not None else INADDR_ANY)
        if isinstance(sa, sockaddr_in6):
            if flags & RTF_HOST:
                return self.routename6(sa)
            return self.netname6(sa, mask if isinstance(mask, sockaddr_in6) else None)
        if isinstance(sa, sockaddr_dl):
            if not sa.sdl_name and not sa.sdl_lladdr:
                return "link#%d" % sa.sdl_index
            if sa.sdl_type == IFT.ETHER and len(sa.sdl_lladdr) == 6:
                return libc.ether_ntoa(sa.sdl_lladdr)
            return libc.link_ntoa(sa)
        if sa == b"":
            return "default"
        return "(%d)" % (sa[1] if len(sa) > 1 else 0)

    # -- routing tables ------------------------------------------------------------------------
    def routepr(self) -> None:
        libc.printf("Routing tables\n")
        ifmap: dict[int, str] = {}
        try:
            for ifa in libc.getifaddrs():
                if isinstance(ifa.ifa_addr, sockaddr_dl):
                    ifmap.setdefault(ifa.ifa_addr.sdl_index, ifa.ifa_name)
        except OSError:
            libc.err(71, "getifaddrs")
        try:
            msgs = rt_msg_split(libc.sysctlbyname("net.route.dump"))
        except (OSError, ValueError):
            libc.err(1, "sysctl: net.route.0.%d.dump.%d", self.af, 0)
            return
        fam = 0
        for msg in msgs:
            h = rt_msghdr.parse(msg[:RT_MSGHDR_LEN])
            if h.rtm_version != RTM_VERSION:
                continue
            try:
                sas = rt_addrs_unpack(h.rtm_addrs, msg, RT_MSGHDR_LEN)
            except ValueError:
                continue
            dst = sas.get(RTAX_DST)
            f = AF_INET6 if isinstance(dst, sockaddr_in6) else \
                AF_INET if isinstance(dst, sockaddr_in) else AF_LINK
            if self.af not in (AF_UNSPEC, f):
                continue
            if f != fam:
                fam = f
                # WID_DST_DEFAULT, WID_GW_DEFAULT, WID_IF_DEFAULT
                self.wid_dst = 33 if self.numeric_addr and f == AF_INET6 else 18
                self.wid_gw = 29 if self.numeric_addr and f == AF_INET6 else 18
                self.wid_flags, self.wid_expire = 6, 6
                self.wid_if = 10 if self.Wflag and f != AF_INET6 else 8
                libc.printf("\n%s:\n", {AF_INET6: "Internet6", AF_INET: "Internet"}.get(
                    f, "Protocol Family %d" % f))
                self.pr_rthdr()
            self.p_rtentry(h, sas, ifmap)

    def pr_rthdr(self) -> None:
        if self.Wflag:
            libc.printf("%-*.*s %-*.*s %-*.*s %*.*s %*.*s %*.*s %*s\n",
                        self.wid_dst, self.wid_dst, "Destination",
                        self.wid_gw, self.wid_gw, "Gateway",
                        self.wid_flags, self.wid_flags, "Flags", 8, 8, "Use", 6, 6, "Mtu",
                        self.wid_if, self.wid_if, "Netif", self.wid_expire, "Expire")
        else:
            libc.printf("%-*.*s %-*.*s %-*.*s %*.*s %*s\n",
                        self.wid_dst, self.wid_dst, "Destination",
                        self.wid_gw, self.wid_gw, "Gateway",
                        self.wid_flags, self.wid_flags, "Flags",
                        self.wid_if, self.wid_if, "Netif", self.wid_expire, "Expire")

    def _col(self, s: str, width: int) -> str:
        if self.numeric_addr:
            return "%-*s " % (width, s)
        return "%-*.*s " % (width, width, s)

    def p_rtentry(self, h: Any, sas: dict[int, Any], ifmap: dict[int, str]) -> None:
        line = self._col(self.fmt_sockaddr(sas.get(RTAX_DST), sas.get(RTAX_NETMASK),
                                           h.rtm_flags), self.wid_dst)
        line += self._col(self.fmt_sockaddr(sas.get(RTAX_GATEWAY), None, RTF_HOST), self.wid_gw)
        line += "%-*s " % (self.wid_flags, fmt_flags(h.rtm_flags))
        if self.Wflag:
            line += "%*u " % (8, h.rtm_rmx.rmx_pksent)
            line += "%*u " % (6, h.rtm_rmx.rmx_mtu) if h.rtm_rmx.rmx_mtu else "%*s " % (6, "")
        name = ifmap.get(h.rtm_index, "---")
        line += ("%*s" % (self.wid_if, name)) if self.Wflag else \
            ("%*.*s" % (self.wid_if, self.wid_if, name))
        if h.rtm_rmx.rmx_expire:
            left = h.rtm_rmx.rmx_expire - libc.time()
            if left > 0:
                line += " %*d" % (self.wid_expire, left)
        libc.printf("%s\n", line)

    # -- interfaces ----------------------------------------------------------------------------
    @staticmethod
    def show_stat(fmt: str, width: int, value: int, showvalue: bool) -> str:
        lsep, rsep = "", " "
        if fmt.startswith("LS"):
            lsep, fmt = " ", fmt[2:]
        if fmt.startswith("NRS"):
            rsep, fmt = "", fmt[3:]
        if not showvalue:
            return "%s%*s%s" % (lsep, width, "-", rsep)
        return "%s%*d%s" % (lsep, width, value, rsep)

    def intpr(self) -> None:
        try:
            ifap = libc.getifaddrs()
        except OSError:
            libc.err(71, "getifaddrs")
            return
        nlen = 5
        if self.Wflag:
            for ifa in ifap:
                if self.interface is None or ifa.ifa_name == self.interface:
                    nlen = max(nlen, len(ifa.ifa_name))
        hdr = "%-*.*s" % (nlen, nlen, "Name")
        hdr += " %5.5s %-13.13s %-17.17s %8.8s %5.5s %5.5s" % ("Mtu", "Network", "Address",
                                                               "Ipkts", "Ierrs", "Idrop")
        if self.bflag:
            hdr += " %10.10s" % "Ibytes"
        hdr += " %8.8s %5.5s" % ("Opkts", "Oerrs")
        if self.bflag:
            hdr += " %10.10s" % "Obytes"
        hdr += " %5s" % "Coll"
        if self.dflag:
            hdr += "  %s" % "Drop"
        libc.printf("%s\n", hdr)
        for ifa in ifap:
            if self.interface is not None and ifa.ifa_name != self.interface:
                continue
            sa = ifa.ifa_addr
            fam = AF_LINK if isinstance(sa, sockaddr_dl) else \
                AF_INET if isinstance(sa, sockaddr_in) else AF_INET6
            if self.af != AF_UNSPEC and fam != self.af:
                continue
            d = ifa.ifa_data or {}
            line = "%-*.*s" % (nlen, nlen, ifa.ifa_name)
            mtu = d.get("ifi_mtu", 0)
            line += self.show_stat("lu", 6, mtu, bool(mtu))
            link = network = False
            if fam == AF_INET:
                mask = ifa.ifa_netmask.sin_addr if isinstance(ifa.ifa_netmask, sockaddr_in) \
                    else INADDR_ANY
                line += "%-13.13s " % self.netname4(sa.sin_addr, mask)
                line += "%-17.17s " % self.routename4(sa.sin_addr)
                network = True
            elif fam == AF_INET6:
                line += "%-13.13s " % self.netname6(sa, ifa.ifa_netmask)
                line += "%-17.17s " % self._gni(sa, True)
                network = True
            else:
                m = len("%-13.13s " % ("<Link#%d>" % sa.sdl_index))
                line += "%-13.13s " % ("<Link#%d>" % sa.sdl_index)
                n = len(sa.sdl_lladdr)
                for i, b in enumerate(sa.sdl_lladdr):
                    if m >= 30:
                        break
                    part = "%02x%s" % (b, ":" if i < n - 1 else " ")
                    line += part
                    m += len(part)
                line += " " * max(0, 32 - m)
                link = True
            line += self.show_stat("lu", 8, d.get("ifi_ipackets", 0), link or network)
            line += self.show_stat("lu", 5, d.get("ifi_ierrors", 0), link)
            line += self.show_stat("lu", 5, d.get("ifi_iqdrops", 0), link)
            if self.bflag:
                line += self.show_stat("lu", 10, d.get("ifi_ibytes", 0), link or network)
            line += self.show_stat("lu", 8, d.get("ifi_opackets", 0), link or network)
            line += self.show_stat("lu", 5, d.get("ifi_oerrors", 0), link)
            if self.bflag:
                line += self.show_stat("lu", 10, d.get("ifi_obytes", 0), link or network)
            line += self.show_stat("NRSlu", 5, d.get("ifi_collisions", 0), link)
            if self.dflag:
                line += self.show_stat("LSlu", 5, d.get("ifi_oqdrops", 0), link)
            libc.printf("%s\n", line)

    # -- sockets -----------------------------------------------------------------------------------
    def inet6print(self, addr: bytes, zone: int, port: int, proto: str, numeric: bool) -> str:
        if addr == IN6ADDR_ANY:
            name = "*"
        else:
            name = self._gni(sockaddr_in6(addr, 0, 0, zone), self.numeric_addr)
        width = 39 if self.Wflag else (12 if self.Aflag and not numeric else 16)
        line = "%.*s." % (width, name)
        serv = None
        if not numeric and port:
            try:
                s = libc.getnameinfo(sockaddr_in6(IN6ADDR_ANY, port),
                                     libc.NI_DGRAM if proto == "udp6" else 0)[1]
                serv = s if not s.isdigit() else None
            except OSError:
                serv = None
        if serv is not None or port == 0:
            line += "%.15s" % (serv if serv is not None else "*")
        else:
            line += "%d" % port
        w = 45 if self.Wflag else (18 if self.Aflag else 22)
        return "%-*.*s " % (w, w, line)

    def inetname(self, a: bytes) -> str:
        """inet.c inetname: ``*``, the host's name unless -n, or the dotted quad."""
        if a == INADDR_ANY:
            return "*"
        name = None if self.numeric_addr else self._hostname4(a)
        return name if name is not None else inet_ntop4(a)

    def inetprint(self, addr: bytes, port: int, proto: str, numeric: bool) -> str:
        """inet.c inetprint: ``address.port`` in its column."""
        if self.Wflag:
            line = "%s." % self.inetname(addr)
        else:
            line = "%.*s." % (12 if self.Aflag and not numeric else 16, self.inetname(addr))
        serv = None
        if not numeric and port:
            try:
                sv = libc.getnameinfo(sockaddr_in(INADDR_ANY, port),
                                      libc.NI_DGRAM if proto == "udp" else 0)[1]
                serv = sv if not sv.isdigit() else None
            except OSError:
                serv = None
        if serv is not None or port == 0:
            line += "%.15s " % (serv if serv is not None else "*")
        else:
            line += "%d " % port
        width = 18 if self.Aflag and not self.Wflag else 22
        if self.Wflag:
            return "%-*s " % (width, line)
        return "%-*.*s " % (width, width, line)

    def protopr(self, name: str, proto: int, first: list[bool]) -> None:
        """Sockets of one protocol (inet.c protopr)."""
        try:
            if proto == 17:
                pcbs = libc.sysctlbyname("net.inet.udp.pcblist")
            else:
                pcbs = libc.sysctlbyname("net.inet.raw.pcblist")
        except OSError:
            return
        for inp in pcbs:
            if inp.get("xso_protocol") != proto:
                continue
            v4 = bool(inp.get("inp_vflag", INP_IPV6) & INP_IPV4)
            if (self.af == AF_INET and not v4) or (self.af == AF_INET6 and v4):
                continue
            if not self.aflag and (inet_lnaof(inp["inp_laddr"]) == 0 if v4
                                   else inp["in6p_laddr"] == IN6ADDR_ANY):
                continue
            if first[0]:
                libc.printf("Active Internet connections%s\n",
                            " (including servers)" if self.aflag else "")
                w = 18 if self.Aflag and not self.Wflag else 22
                hdr = "%-5.5s %-6.6s %-6.6s %-*.*s %-*.*s" % (
                    "Proto", "Recv-Q", "Send-Q", w, w, "Local Address", w, w, "Foreign Address")
                if not self.xflag:
                    hdr += " (state)"
                libc.printf("%s\n", hdr)
                first[0] = False
            line = "%-3.3s%-2.2s " % (name, "4 " if v4 else "6 ")
            line += "%6u %6u " % (inp["so_rcv_cc"], inp["so_snd_cc"])
            numeric_foreign = self.numeric_port or inp["inp_lport"] != inp["inp_fport"]
            if v4:
                line += self.inetprint(inp["inp_laddr"], inp["inp_lport"], name,
                                       self.numeric_port)
                line += self.inetprint(inp["inp_faddr"], inp["inp_fport"], name,
                                       numeric_foreign)
                libc.printf("%s\n", line)
                continue
            line += self.inet6print(inp["in6p_laddr"], inp["in6p_lzone"], inp["inp_lport"],
                                    name + "6" if name == "udp" else name, self.numeric_port)
            line += self.inet6print(inp["in6p_faddr"], inp["in6p_fzone"], inp["inp_fport"],
                                    name + "6" if name == "udp" else name, numeric_foreign)
            libc.printf("%s\n", line)

    # -- statistics ---------------------------------------------------------------------------
    def fetch(self, name: str) -> Optional[dict]:
        try:
            return libc.sysctlbyname(name)
        except OSError as e:
            if e.errno != 2:
                libc.warn("sysctl %s", name)
            return None

    def stats(self, name: str, mib: str) -> Optional["StatPr"]:
        """The counters of ``mib`` for a ``*_stats`` routine titled ``name``."""
        st = self.fetch(mib)
        return None if st is None else StatPr(name, st, self.sflag)

    def ip_stats(self, name: str) -> None:
        """inet.c ip_stats: ``struct ipstat`` (net.inet.ip.stats)."""
        sp = self.stats(name, "net.inet.ip.stats")
        if sp is None:
            return
        p, p1a = sp.p, sp.p1a
        p("ips_total", "\t%d total packet%s received\n")
        p("ips_badsum", "\t%d bad header checksum%s\n")
        p1a("ips_toosmall", "\t%d with size smaller than minimum\n")
        p1a("ips_tooshort", "\t%d with data size < data length\n")
        p1a("ips_toolong", "\t%d with ip length > max ip packet size\n")
        p1a("ips_badhlen", "\t%d with header length < data size\n")
        p1a("ips_badlen", "\t%d with data length < header length\n")
        p1a("ips_badoptions", "\t%d with bad options\n")
        p1a("ips_badvers", "\t%d with incorrect version number\n")
        p("ips_fragments", "\t%d fragment%s received\n")
        p("ips_fragdropped", "\t%d fragment%s dropped (dup or out of space)\n")
        p("ips_fragtimeout", "\t%d fragment%s dropped after timeout\n")
        p("ips_reassembled", "\t%d packet%s reassembled ok\n")
        p("ips_delivered", "\t%d packet%s for this host\n")
        p("ips_noproto", "\t%d packet%s for unknown/unsupported protocol\n")
        p("ips_forward", "\t%d packet%s forwarded")
        p("ips_fastforward", " (%d packet%s fast forwarded)")
        if sp.st.get("ips_forward", 0) or sp.all:
            sp.line("\n")
        p("ips_cantforward", "\t%d packet%s not forwardable\n")
        p("ips_notmember", "\t%d packet%s received for unknown multicast group\n")
        p("ips_redirectsent", "\t%d redirect%s sent\n")
        p("ips_localout", "\t%d packet%s sent from this host\n")
        p("ips_rawout", "\t%d packet%s sent with fabricated ip header\n")
        p("ips_odropped", "\t%d output packet%s dropped due to no bufs, etc.\n")
        p("ips_noroute", "\t%d output packet%s discarded due to no route\n")
        p("ips_fragmented", "\t%d output datagram%s fragmented\n")
        p("ips_ofragments", "\t%d fragment%s created\n")
        p("ips_cantfrag", "\t%d datagram%s that can't be fragmented\n")
        p("ips_nogif", "\t%d tunneling packet%s that can't find gif\n")
        p("ips_badaddr", "\t%d datagram%s with bad address in header\n")
        sp.done()

    def icmp_stats(self, name: str) -> None:
        """inet.c icmp_stats: ``struct icmpstat`` (net.inet.icmp.stats)."""
        sp = self.stats(name, "net.inet.icmp.stats")
        if sp is None:
            return
        p, p1a = sp.p, sp.p1a
        p("icps_error", "\t%d call%s to icmp_error\n")
        p("icps_oldicmp", "\t%d error%s not generated in response to an icmp message\n")
        sp.hist("icps_outhist", "\tOutput histogram:\n", _icmp_hist_line)
        p("icps_badcode", "\t%d message%s with bad code fields\n")
        p("icps_tooshort", "\t%d message%s < minimum length\n")
        p("icps_checksum", "\t%d bad checksum%s\n")
        p("icps_badlen", "\t%d message%s with bad length\n")
        p1a("icps_bmcastecho", "\t%d multicast echo requests ignored\n")
        p1a("icps_bmcasttstamp", "\t%d multicast timestamp requests ignored\n")
        sp.hist("icps_inhist", "\tInput histogram:\n", _icmp_hist_line)
        p("icps_reflect", "\t%d message response%s generated\n")
        v = sp.st.get("icps_badaddr", 0)
        if v or sp.all:
            sp.line("\t%d invalid return address%s\n" % (v, "es" if v != 1 else ""))
        p("icps_noroute", "\t%d no return route%s\n")
        try:                                    # only when the kernel has the knob
            maskrepl = libc.sysctlbyname("net.inet.icmp.maskrepl")
            sp.line("\tICMP address mask responses are %sabled\n" % ("en" if maskrepl else "dis"))
        except OSError:
            pass
        sp.done()

    def arp_stats(self, name: str) -> None:
        """inet.c arp_stats: ``struct arpstat`` (net.link.ether.arp.stats)."""
        sp = self.stats(name, "net.link.ether.arp.stats")
        if sp is None:
            return
        p = sp.p

        def p2(f: str, m: str) -> None:
            v = sp.st.get(f, 0)
            if v or sp.all:
                sp.line(m % (v, pluralies(v)))
        p("txrequests", "\t%d ARP request%s sent\n")
        p("txerrors", "\t%d ARP request%s failed to sent\n")
        p2("txreplies", "\t%d ARP repl%s sent\n")
        p("rxrequests", "\t%d ARP request%s received\n")
        p2("rxreplies", "\t%d ARP repl%s received\n")
        p("received", "\t%d ARP packet%s received\n")
        p("dropped", "\t%d total packet%s dropped due to no ARP entry\n")
        p("timeouts", "\t%d ARP entry%s timed out\n")
        p("dupips", "\t%d Duplicate IP%s seen\n")
        sp.done()

    def ip6_stats(self, name: str) -> None:
        sp = self.stats(name, "net.inet6.ip6.stats")
        if sp is None:
            return
        p, p1a = sp.p, sp.p1a
        p("ip6s_total", "\t%d total packet%s received\n")
        p1a("ip6s_toosmall", "\t%d with size smaller than minimum\n")
        p1a("ip6s_tooshort", "\t%d with data size < data length\n")
        p1a("ip6s_badoptions", "\t%d with bad options\n")
        p1a("ip6s_badvers", "\t%d with incorrect version number\n")
        p("ip6s_fragments", "\t%d fragment%s received\n")
        p("ip6s_fragdropped", "\t%d fragment%s dropped (dup or out of space)\n")
        p("ip6s_fragtimeout", "\t%d fragment%s dropped after timeout\n")
        p("ip6s_fragoverflow", "\t%d fragment%s that exceeded limit\n")
        p("ip6s_reassembled", "\t%d packet%s reassembled ok\n")
        p("ip6s_delivered", "\t%d packet%s for this host\n")
        p("ip6s_forward", "\t%d packet%s forwarded\n")
        p("ip6s_cantforward", "\t%d packet%s not forwardable\n")
        p("ip6s_redirectsent", "\t%d redirect%s sent\n")
        p("ip6s_localout", "\t%d packet%s sent from this host\n")
        p("ip6s_rawout", "\t%d packet%s sent with fabricated ip header\n")
        p("ip6s_odropped", "\t%d output packet%s dropped due to no bufs, etc.\n")
        p("ip6s_noroute", "\t%d output packet%s discarded due to no route\n")
        p("ip6s_fragmented", "\t%d output datagram%s fragmented\n")
        p("ip6s_ofragments", "\t%d fragment%s created\n")
        p("ip6s_cantfrag", "\t%d datagram%s that can't be fragmented\n")
        p("ip6s_badscope", "\t%d packet%s that violated scope rules\n")
        p("ip6s_notmember", "\t%d multicast packet%s which we don't join\n")
        sp.hist("ip6s_nxthist", "\tInput histogram:\n",
                lambda i, v: "\t\t%s: %d\n" % (IP6NH.get(i, "#%d" % i), v))
        sp.line("\tMbuf statistics:\n")
        sp.line("\t\t%d one mbuf\n" % sp.st.get("ip6s_m1", 0))
        sp.hist("ip6s_m2m", "\t\ttwo or more mbuf:\n",
                lambda i, v: "\t\t\t%s= %d\n" % (libc.if_indextoname(i) or "", v))
        sp.line("\t\t%d one ext mbuf\n" % sp.st.get("ip6s_mext1", 0))
        sp.line("\t\t%d two or more ext mbuf\n" % sp.st.get("ip6s_mext2m", 0))
        p("ip6s_exthdrtoolong", "\t%d packet%s whose headers are not contiguous\n")
        p("ip6s_nogif", "\t%d tunneling packet%s that can't find gif\n")
        p("ip6s_toomanyhdr", "\t%d packet%s discarded because of too many headers\n")
        p("ip6s_sources_none", "\t%d failure%s of source address selection\n")
        for key, title in (("ip6s_sources_sameif", "source addresses on an outgoing I/F"),
                           ("ip6s_sources_otherif", "source addresses on a non-outgoing I/F"),
                           ("ip6s_sources_samescope", "source addresses of same scope"),
                           ("ip6s_sources_otherscope",
                            "source addresses of a different scope"),
                           ("ip6s_sources_deprecated", "deprecated source addresses")):
            sp.hist(key, "\t%s\n" % title, _scope_line)
        sp.line("\tSource addresses selection rule applied:\n")
        sp.hist("ip6s_sources_rule", "",
                lambda i, v: "\t\t%d %s\n" % (v, SRCRULE_STR[i] if i < len(SRCRULE_STR) else
                                                "rule #%d" % i))
        sp.done()

    def icmp6_stats(self, name: str) -> None:
        sp = self.stats(name, "net.inet6.icmp6.stats")
        if sp is None:
            return
        p, p_5 = sp.p, sp.p1a
        p("icp6s_error", "\t%d call%s to icmp6_error\n")
        p("icp6s_canterror", "\t%d error%s not generated in response to an icmp6 message\n")
        p("icp6s_toofreq", "\t%d error%s not generated because of rate limitation\n")
        sp.hist("icp6s_outhist", "\tOutput histogram:\n", _icmp6_hist_line)
        p("icp6s_badcode", "\t%d message%s with bad code fields\n")
        p("icp6s_tooshort", "\t%d message%s < minimum length\n")
        p("icp6s_checksum", "\t%d bad checksum%s\n")
        p("icp6s_badlen", "\t%d message%s with bad length\n")
        sp.hist("icp6s_inhist", "\tInput histogram:\n", _icmp6_hist_line)
        sp.line("\tHistogram of error messages to be generated:\n")
        p_5("icp6s_odst_unreach_noroute", "\t\t%d no route\n")
        p_5("icp6s_odst_unreach_admin", "\t\t%d administratively prohibited\n")
        p_5("icp6s_odst_unreach_beyondscope", "\t\t%d beyond scope\n")
        p_5("icp6s_odst_unreach_addr", "\t\t%d address unreachable\n")
        p_5("icp6s_odst_unreach_noport", "\t\t%d port unreachable\n")
        p_5("icp6s_opacket_too_big", "\t\t%d packet too big\n")
        p_5("icp6s_otime_exceed_transit", "\t\t%d time exceed transit\n")
        p_5("icp6s_otime_exceed_reassembly", "\t\t%d time exceed reassembly\n")
        p_5("icp6s_oparamprob_header", "\t\t%d erroneous header field\n")
        p_5("icp6s_oparamprob_nextheader", "\t\t%d unrecognized next header\n")
        p_5("icp6s_oparamprob_option", "\t\t%d unrecognized option\n")
        p_5("icp6s_oredirect", "\t\t%d redirect\n")
        p_5("icp6s_ounknown", "\t\t%d unknown\n")
        p("icp6s_reflect", "\t%d message response%s generated\n")
        p("icp6s_nd_toomanyopt", "\t%d message%s with too many ND options\n")
        p("icp6s_nd_badopt", "\t%d message%s with bad ND options\n")
        p("icp6s_badns", "\t%d bad neighbor solicitation message%s\n")
        p("icp6s_badna", "\t%d bad neighbor advertisement message%s\n")
        p("icp6s_badrs", "\t%d bad router solicitation message%s\n")
        p("icp6s_badra", "\t%d bad router advertisement message%s\n")
        p("icp6s_badredirect", "\t%d bad redirect message%s\n")
        p("icp6s_pmtuchg", "\t%d path MTU change%s\n")
        sp.done()

    def rip6_stats(self, name: str) -> None:
        sp = self.stats(name, "net.inet6.ip6.rip6stats")
        if sp is None:
            return
        p = sp.p
        p("rip6s_ipackets", "\t%d message%s received\n")
        p("rip6s_isum", "\t%d checksum calculation%s on inbound\n")
        p("rip6s_badsum", "\t%d message%s with bad checksum\n")
        p("rip6s_nosock", "\t%d message%s dropped due to no socket\n")
        p("rip6s_nosockmcast", "\t%d multicast message%s dropped due to no socket\n")
        p("rip6s_fullsock", "\t%d message%s dropped due to full socket buffers\n")
        sp.delivered("rip6s_ipackets", "rip6s_badsum", "rip6s_nosock", "rip6s_nosockmcast",
                     "rip6s_fullsock")
        p("rip6s_opackets", "\t%d datagram%s output\n")
        sp.done()

    def udp_stats(self, name: str) -> None:
        sp = self.stats(name, "net.inet.udp.stats")
        if sp is None:
            return
        p, p1a = sp.p, sp.p1a
        p("udps_ipackets", "\t%d datagram%s received\n")
        p1a("udps_hdrops", "\t%d with incomplete header\n")
        p1a("udps_badlen", "\t%d with bad data length field\n")
        p1a("udps_badsum", "\t%d with bad checksum\n")
        p1a("udps_nosum", "\t%d with no checksum\n")
        p1a("udps_noport", "\t%d dropped due to no socket\n")
        p("udps_noportbcast", "\t%d broadcast/multicast datagram%s undelivered\n")
        p1a("udps_fullsock", "\t%d dropped due to full socket buffers\n")
        p1a("udpps_pcbhashmiss", "\t%d not for hashed pcb\n")
        sp.delivered("udps_ipackets", "udps_hdrops", "udps_badlen", "udps_badsum", "udps_noport",
                     "udps_noportbcast", "udps_fullsock")
        p("udps_opackets", "\t%d datagram%s output\n")
        p("udps_filtermcast", "\t%d time%s multicast source filter matched\n")
        sp.done()


class StatPr:
    """What FreeBSD's ``*_stats`` routines share: their ``p()``/``p1a()``
    macros (a counter's line, left out with ``-ss`` when it is zero), the
    histograms, and one printf of the whole block at the end."""

    def __init__(self, name: str, st: dict, sflag: int) -> None:
        self.st = st
        self.all = sflag <= 1
        self.out = ["%s:\n" % name]

    def p(self, f: str, m: str) -> None:
        """``m`` has %d and %s: the value and plural(value)."""
        v = self.st.get(f, 0)
        if v or self.all:
            self.out.append(m % (v, plural(v)))

    def p1a(self, f: str, m: str) -> None:
        """``m`` has %d only."""
        v = self.st.get(f, 0)
        if v or self.all:
            self.out.append(m % v)

    def line(self, text: str) -> None:
        self.out.append(text)

    def hist(self, key: str, title: str, fmt: Callable[[int, int], str]) -> None:
        """The nonzero entries of the array ``key``, one ``fmt(index, value)``
        line each, under ``title`` when there is at least one."""
        first = True
        for i, v in enumerate(self.st.get(key) or []):
            if v:
                if first:
                    self.out.append(title)
                    first = False
                self.out.append(fmt(i, v))

    def delivered(self, total: str, *dropped: str) -> None:
        """The "delivered" line: ``total`` less what was ``dropped``."""
        n = self.st.get(total, 0) - sum(self.st.get(f, 0) for f in dropped)
        if n or self.all:
            self.out.append("\t%d delivered\n" % n)

    def done(self) -> None:
        libc.printf("%s", "".join(self.out))


def _icmp_hist_line(i: int, v: int) -> str:
    if i < len(ICMPNAMES) and i <= ICMP_MAXTYPE:
        return "\t\t%s: %d\n" % (ICMPNAMES[i], v)
    return "\t\tunknown ICMP #%d: %d\n" % (i, v)


def _icmp6_hist_line(i: int, v: int) -> str:
    return "\t\t%s: %d\n" % (ICMP6NAMES.get(i, "#%d" % i), v)


def _scope_line(i: int, v: int) -> str:
    scope = {1: "interface-local", 2: "link-local", 5: "site-local", 14: "global"}.get(i)
    if scope is not None:
        return "\t\t%d %s%s\n" % (v, scope, plural(v))
    return "\t\t%d addresses scope=%x\n" % (v, i)


# -- IPsec statistics (ipsec.c: ipsec_stats, esp_stats, ah_stats) ------------------------------
# SADB algorithm numbers -> the names FreeBSD's ipsec.c prints in the histograms
_ESP_ALGNAMES = {2: "des-cbc", 3: "3des-cbc", 11: "null", 12: "aes-cbc", 20: "aes-gcm-16",
                 23: "aes-gmac"}
_AH_ALGNAMES = {2: "hmac-md5", 3: "hmac-sha1", 5: "hmac-sha2-256", 6: "hmac-sha2-384",
                7: "hmac-sha2-512", 9: "aes-xcbc-mac", 11: "aes-gmac", 251: "null"}


def _alg_line(names: dict[int, str]) -> Callable[[int, int], str]:
    def line(i: int, v: int) -> str:
        return "\t\t%s: %d\n" % (names.get(i, "#%d" % i), v)
    return line


def _ipsec_block(sp: "StatPr") -> None:
    p = sp.p
    p("in_success", "\t%d inbound packet%s processed successfully\n")
    p("in_polvio", "\t%d inbound packet%s violated process security policy\n")
    p("in_nosa", "\t%d inbound packet%s with no SA available\n")
    p("in_inval", "\t%d invalid inbound packet%s\n")
    p("in_nomem", "\t%d inbound packet%s failed due to insufficient memory\n")
    p("in_badspi", "\t%d inbound packet%s failed getting SPI\n")
    p("in_ahreplay", "\t%d inbound packet%s failed on AH replay check\n")
    p("in_espreplay", "\t%d inbound packet%s failed on ESP replay check\n")
    p("in_ahauthsucc", "\t%d inbound packet%s considered authentic\n")
    p("in_ahauthfail", "\t%d inbound packet%s failed on authentication\n")
    sp.hist("in_esphist", "\tESP input histogram:\n", _alg_line(_ESP_ALGNAMES))
    sp.hist("in_ahhist", "\tAH input histogram:\n", _alg_line(_AH_ALGNAMES))
    p("out_success", "\t%d outbound packet%s processed successfully\n")
    p("out_polvio", "\t%d outbound packet%s violated process security policy\n")
    p("out_nosa", "\t%d outbound packet%s with no SA available\n")
    p("out_inval", "\t%d invalid outbound packet%s\n")
    p("out_nomem", "\t%d outbound packet%s failed due to insufficient memory\n")
    p("out_noroute", "\t%d outbound packet%s with no route\n")
    sp.hist("out_esphist", "\tESP output histogram:\n", _alg_line(_ESP_ALGNAMES))
    sp.hist("out_ahhist", "\tAH output histogram:\n", _alg_line(_AH_ALGNAMES))
    sp.done()


def ipsec6_stats(ns: "Netstat", name: str) -> None:
    """ipsec.c ipsec_stats for inet6: ``struct ipsecstat`` (net.inet6.ipsec6.stats)."""
    sp = ns.stats(name, "net.inet6.ipsec6.stats")
    if sp is not None:
        _ipsec_block(sp)


def ipsec4_stats(ns: "Netstat", name: str) -> None:
    sp = ns.stats(name, "net.inet.ipsec.stats")
    if sp is not None:
        _ipsec_block(sp)


def esp_stats(ns: "Netstat", name: str) -> None:
    """ipsec.c esp_stats: ``struct espstat`` (net.inet.esp.stats)."""
    sp = ns.stats(name, "net.inet.esp.stats")
    if sp is None:
        return
    p = sp.p
    p("esps_hdrops", "\t%d packet%s shorter than header shows\n")
    p("esps_nopf", "\t%d packet%s dropped; protocol family not supported\n")
    p("esps_notdb", "\t%d packet%s dropped; no TDB\n")
    p("esps_badkcr", "\t%d packet%s dropped; bad KCR\n")
    p("esps_qfull", "\t%d packet%s dropped; queue full\n")
    p("esps_noxform", "\t%d packet%s dropped; no transform\n")
    p("esps_badilen", "\t%d packet%s dropped; bad ilen\n")
    p("esps_wrap", "\t%d replay counter wrap%s\n")
    p("esps_badenc", "\t%d packet%s dropped; bad encryption detected\n")
    p("esps_badauth", "\t%d packet%s dropped; bad authentication detected\n")
    p("esps_replay", "\t%d possible replay packet%s detected\n")
    p("esps_input", "\t%d packet%s in\n")
    p("esps_output", "\t%d packet%s out\n")
    p("esps_invalid", "\t%d packet%s dropped; invalid TDB\n")
    p("esps_ibytes", "\t%d byte%s in\n")
    p("esps_obytes", "\t%d byte%s out\n")
    p("esps_toobig", "\t%d packet%s dropped; larger than IP_MAXPACKET\n")
    p("esps_pdrops", "\t%d packet%s blocked due to policy\n")
    p("esps_crypto", "\t%d crypto processing failure%s\n")
    p("esps_tunnel", "\t%d tunnel sanity check failure%s\n")
    sp.hist("esps_hist", "\tESP output histogram:\n", _alg_line(_ESP_ALGNAMES))
    sp.done()


def ah_stats(ns: "Netstat", name: str) -> None:
    """ipsec.c ah_stats: ``struct ahstat`` (net.inet.ah.stats)."""
    sp = ns.stats(name, "net.inet.ah.stats")
    if sp is None:
        return
    p = sp.p
    p("ahs_hdrops", "\t%d packet%s shorter than header shows\n")
    p("ahs_nopf", "\t%d packet%s dropped; protocol family not supported\n")
    p("ahs_notdb", "\t%d packet%s dropped; no TDB\n")
    p("ahs_badkcr", "\t%d packet%s dropped; bad KCR\n")
    p("ahs_qfull", "\t%d packet%s dropped; queue full\n")
    p("ahs_noxform", "\t%d packet%s dropped; no transform\n")
    p("ahs_wrap", "\t%d replay counter wrap%s\n")
    p("ahs_badauth", "\t%d packet%s dropped; bad authentication detected\n")
    p("ahs_badauthl", "\t%d packet%s dropped; bad authentication length\n")
    p("ahs_replay", "\t%d possible replay packet%s detected\n")
    p("ahs_input", "\t%d packet%s in\n")
    p("ahs_output", "\t%d packet%s out\n")
    p("ahs_invalid", "\t%d packet%s dropped; invalid TDB\n")
    p("ahs_ibytes", "\t%d byte%s in\n")
    p("ahs_obytes", "\t%d byte%s out\n")
    p("ahs_toobig", "\t%d packet%s dropped; larger than IP_MAXPACKET\n")
    p("ahs_pdrops", "\t%d packet%s blocked due to policy\n")
    p("ahs_crypto", "\t%d crypto processing failure%s\n")
    p("ahs_tunnel", "\t%d tunnel sanity check failure%s\n")
    sp.hist("ahs_hist", "\tAH output histogram:\n", _alg_line(_AH_ALGNAMES))
    sp.done()


# -- PF_KEY statistics (usr.bin/netstat/pfkey.c: pfkey_stats) ----------------------------------
PFKEY_MSGTYPENAMES = [
    "reserved", "getspi", "update", "add", "delete", "get", "acquire", "register", "expire",
    "flush", "dump", "x_promisc", "x_pchange", "x_spdupdate", "x_spdadd", "x_spddelete",
    "x_spdget", "x_spdacquire", "x_spddump", "x_spdflush", "x_spdsetidx", "x_spdexpire",
    "x_spddelete2"]
KEY_SENDUP_ONE, KEY_SENDUP_ALL, KEY_SENDUP_REGISTERED = 0, 1, 2
PF_KEY = 27


def pfkey_msgtype_names(x: int) -> str:
    return PFKEY_MSGTYPENAMES[x] if x < len(PFKEY_MSGTYPENAMES) else "#%d" % x


def pfkey_stats(ns: "Netstat", name: str) -> None:
    """pfkey.c pfkey_stats: ``struct pfkeystat`` (net.key.stats) — what
    processes sent to the kernel, by message type and by error, and what the
    kernel sent up to the PF_KEY sockets."""
    sp = ns.stats(name, "net.key.stats")
    if sp is None:
        return
    p = sp.p

    def line(i: int, v: int) -> str:
        return "\t\t%s: %d\n" % (pfkey_msgtype_names(i), v)

    # userland -> kernel
    p("out_total", "\t%d request%s sent from userland\n")
    p("out_bytes", "\t%d byte%s sent from userland\n")
    sp.hist("out_msgtype", "\thistogram by message type:\n", line)
    p("out_invlen", "\t%d message%s with invalid length field\n")
    p("out_invver", "\t%d message%s with invalid version field\n")
    p("out_invmsgtype", "\t%d message%s with invalid message type field\n")
    p("out_tooshort", "\t%d message%s too short\n")
    p("out_nomem", "\t%d message%s with memory allocation failure\n")
    p("out_dupext", "\t%d message%s with duplicate extension\n")
    p("out_invexttype", "\t%d message%s with invalid extension type\n")
    p("out_invsatype", "\t%d message%s with invalid sa type\n")
    p("out_invaddr", "\t%d message%s with invalid address extension\n")
    # kernel -> userland
    p("in_total", "\t%d request%s sent to userland\n")
    p("in_bytes", "\t%d byte%s sent to userland\n")
    sp.hist("in_msgtype", "\thistogram by message type:\n", line)
    target = sp.st.get("in_msgtarget") or [0, 0, 0]
    for i, m in ((KEY_SENDUP_ONE, "\t%d message%s toward single socket\n"),
                 (KEY_SENDUP_ALL, "\t%d message%s toward all sockets\n"),
                 (KEY_SENDUP_REGISTERED, "\t%d message%s toward registered sockets\n")):
        v = target[i] if i < len(target) else 0
        if v or sp.all:
            sp.out.append(m % (v, plural(v)))
    p("in_nomem", "\t%d message%s with memory allocation failure\n")
    sp.done()


Netstat.pfkey_stats = pfkey_stats            # type: ignore[attr-defined]
# pfkeyprotox (FreeBSD's main.c)
PFKEY_PROTOX = [("pfkey", -1, "pfkey_stats")]
Netstat.ipsec6_stats = ipsec6_stats          # type: ignore[attr-defined]
Netstat.ipsec_stats = ipsec4_stats           # type: ignore[attr-defined]
Netstat.esp_stats = esp_stats                # type: ignore[attr-defined]
Netstat.ah_stats = ah_stats                  # type: ignore[attr-defined]
# ipsecprotox (FreeBSD's main.c): shown with -p only
IPSEC_PROTOX = [("ipsec6", -1, "ipsec6_stats"), ("ipsec", -1, "ipsec_stats"),
                ("esp", -1, "esp_stats"), ("ah", -1, "ah_stats")]


# protox: name -> (PCB protocol for -a, stats routine name), in FreeBSD's order
INET_PROTOX = [("udp", 17, "udp_stats"), ("ip", 255, "ip_stats"), ("icmp", 1, "icmp_stats"),
               ("igmp", 2, None), ("arp", -1, "arp_stats")]
INET6_PROTOX = [("udp", 17, "udp_stats"), ("ip6", 255, "ip6_stats"),
                ("icmp6", 58, "icmp6_stats"), ("pim6", 103, None), ("rip6", 255, "rip6_stats")]
KNOWN = {name for name, _p, _s in INET_PROTOX + INET6_PROTOX} | {"tcp", "sctp", "ipsec6",
                                                                   "ipsec", "carp", "pfsync",
                                                                   "divert", "arp", "ipcomp",
                                                                   "esp", "ah", "pim", "pfkey"}


def _atoi(s: str) -> int:
    n = 0
    for c in s:
        if not c.isdigit():
            break
        n = n * 10 + int(c)
    return n


def usage() -> int:
    libc.fprintf(stderr, "%s\n" * 12 % (
        "usage: netstat [-46AaLnRSTWx] [-f protocol_family | -p protocol]\n"
        "               [-M core] [-N system]",
        "       netstat -i | -I interface [-46abdhnW] [-f address_family]\n"
        "               [-M core] [-N system]",
        "       netstat -w wait [-I interface] [-46d] [-M core] [-N system] [-q howmany]",
        "       netstat -s [-s] [-46z] [-f protocol_family | -p protocol]\n"
        "               [-M core] [-N system]",
        "       netstat -i | -I interface [-46s] [-f protocol_family | -p protocol]\n"
        "               [-M core] [-N system]",
        "       netstat -m [-M core] [-N system]",
        "       netstat -B [-I interface]",
        "       netstat -r [-46AanW] [-f address_family] [-M core] [-N system]",
        "       netstat -rs [-s] [-M core] [-N system]",
        "       netstat -g [-46W] [-f address_family] [-M core] [-N system]",
        "       netstat -gs [-46s] [-f address_family] [-M core] [-N system]",
        "       netstat -Q"))
    libc.exit(1)
    return 1


def main(argv: list[str]) -> int:
    ns = Netstat()
    opts, args = libc.getopt(argv, "46AaBbdF:f:ghI:iLlM:mN:np:Qq:RrSTsuWw:xz")
    for o, a in opts:
        if o == "4":
            ns.af = AF_INET
        elif o == "6":
            ns.af = AF_INET6
        elif o == "A":
            ns.Aflag = True
        elif o == "a":
            ns.aflag = True
        elif o == "b":
            ns.bflag = True
        elif o == "d":
            ns.dflag = True
        elif o == "F":
            if (a or "") not in ("0",):
                libc.errx(1, "%s: invalid fib", a)
        elif o == "f":
            fam = {"inet": AF_INET, "inet6": AF_INET6, "unix": AF_UNIX, "link": AF_LINK,
                   "pfkey": PF_KEY}.get(a or "")
            if fam is None:
                libc.errx(1, "%s: unknown address family", a)
                return 1
            ns.af = fam
        elif o == "h":
            ns.hflag = True
        elif o == "I":
            ns.iflag = True
            ns.interface = a
        elif o == "i":
            ns.iflag = True
        elif o == "L":
            ns.Lflag = True
        elif o == "n":
            ns.numeric_addr = ns.numeric_port = True
        elif o == "p":
            if a not in KNOWN:
                libc.errx(1, "%s: unknown or uninstrumented protocol", a)
                return 1
            ns.pflag = True
            ns.proto = a
        elif o == "r":
            ns.rflag = True
        elif o == "s":
            ns.sflag += 1
        elif o == "S":
            ns.numeric_addr = True
        elif o == "u":
            ns.af = AF_UNIX
        elif o in ("W", "l"):
            ns.Wflag = True
        elif o == "T":
            ns.Tflag = True
        elif o == "x":
            ns.xflag = True
        elif o == "z":
            ns.zflag = True
        elif o in ("B", "g", "m", "Q", "R", "M", "N", "q", "w"):
            pass
        else:
            return usage()
    if args and args[0][:1].isdigit() and _atoi(args[0]) <= 0:
        return usage()                      # BACKWARD_COMPATIBILITY: "netstat 1"
    if ns.xflag and ns.Tflag:
        libc.errx(1, "-x and -T are incompatible, pick one.")
    if ns.iflag and not ns.sflag:
        ns.intpr()
        return 0
    if ns.rflag:
        if ns.sflag:
            libc.printf("routing:\n"
                        "\t0 bad routing redirects\n"
                        "\t0 dynamically created routes\n"
                        "\t0 new gateways due to redirects\n"
                        "\t0 destinations found unreachable\n"
                        "\t0 uses of a wildcard route\n"
                        "\t0 routes not in table but not freed\n")
        else:
            ns.routepr()
        return 0
    table: list[tuple[str, int, Optional[str]]] = []
    if ns.af in (AF_INET, AF_UNSPEC):
        table += INET_PROTOX
    if ns.af in (AF_INET6, AF_UNSPEC):
        table += [t for t in INET6_PROTOX if not (t[0] == "udp" and ns.af == AF_UNSPEC)]
    if ns.af in (PF_KEY, AF_UNSPEC) and ns.sflag:
        table += PFKEY_PROTOX                       # FreeBSD: "#ifdef IPSEC ... pfkeyprotox"
    if ns.proto is not None:
        table = [t for t in INET_PROTOX + INET6_PROTOX + IPSEC_PROTOX + PFKEY_PROTOX
                 if t[0] == ns.proto][:1] or \
            [(ns.proto, -1, None)]
    first = [True]
    for name, proto, stats in table:
        if ns.sflag:
            if stats is None:
                if ns.pflag:
                    libc.printf("%s: no stats routine\n", name)
                continue
            fn: Callable[[str], None] = getattr(ns, stats)
            fn(name)
        else:
            if proto < 0:
                if ns.pflag:
                    libc.printf("%s: no PCB routine\n", name)
                continue
            ns.protopr(name, proto, first)
    return 0
