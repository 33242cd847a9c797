"""tcpdump's packet printers (contrib/tcpdump: print.c, print-ether.c, print-null.c,
print-ip6.c, print-ip6opts.c, print-frag6.c, print-rt6.c, print-icmp6.c, print-ip.c,
print-icmp.c, print-igmp.c, print-udp.c, print-arp.c, print-ah.c, print-esp.c, print-ascii.c) —
the output of tcpdump 4.9 for the packets of a kamebox lab.

``pretty_print_packet(ndo, h, data, dlt)`` returns one line (without the
newline; ``-x`` adds its hex lines).  The printers read the captured bytes
only inside the captured length (``ndo.snapend``); a header cut short prints
tcpdump's marker (``[|ip6]``, ``[|icmp6]`` ...) instead of raising.

What is printed, as tcpdump 4.9 does it: Ethernet (``-e``: ``SRC > DST,
ethertype IPv6 (0x86dd), length N: ``), BSD loopback (``AF IPv6 (28)``), IPv6
with its extension headers (``HBH``, ``DSTOPT``, ``frag (OFF|LEN)``,
``srcrt``, ``AH(...)``, ``ESP(...)``), ICMPv6 (echo, errors, ND with ``who
has``/``tgt is`` and, with ``-v``, the options; MLDv1 and MLDv2), UDP (``SRC.PORT
> DST.PORT: UDP, length N``; payloads are not dissected), IPv4 (``-v``: its options
by name), ICMP, IGMP (v1, v2 and v3 queries and reports, leaves) and ARP.
TCP and other protocols print as ``ip-proto-N LEN``.
"""
from __future__ import annotations

import struct
from typing import Any, Callable, Optional

from kernel.wire.in6 import inet_ntop6
from kernel.wire.in_ import inet_ntop4
from kernel.wire.in_cksum import in_cksum, in6_cksum_phdr, in_cksum_sum, in_cksum_fold

_H = struct.Struct("!H").unpack_from
_I = struct.Struct("!I").unpack_from

ETHERTYPE_NAMES = {0x0800: "IPv4", 0x0806: "ARP", 0x8035: "Reverse ARP", 0x86DD: "IPv6",
                   0x8100: "802.1Q", 0x88CC: "LLDP", 0x8863: "PPPoE D", 0x8864: "PPPoE S"}
IPPROTO_NAMES = {0: "Options", 1: "ICMP", 2: "IGMP", 4: "IPIP", 6: "TCP", 17: "UDP",
                 41: "IPv6", 43: "Routing", 44: "Fragment", 47: "GRE", 50: "ESP", 51: "AH",
                 58: "ICMPv6", 60: "DSTOPT", 103: "PIM", 108: "Compressed IP", 132: "SCTP",
                 135: "Mobility"}
NETDB_PROTO = {1: "icmp", 2: "igmp", 4: "ipencap", 6: "tcp", 17: "udp", 41: "ipv6",
               47: "gre", 50: "esp", 51: "ah", 58: "ipv6-icmp", 132: "sctp"}
BSD_AF_NAMES = {2: "IPv4", 24: "IPv6", 28: "IPv6", 30: "IPv6", 7: "OSI", 16: "Appletalk",
                23: "IPX"}
ICMP6_TYPES = {1: "destination unreachable", 2: "packet too big", 3: "time exceeded in-transit",
               4: "parameter problem", 128: "echo request", 129: "echo reply",
               130: "multicast listener query", 131: "multicast listener report",
               132: "multicast listener done", 133: "router solicitation",
               134: "router advertisement", 135: "neighbor solicitation",
               136: "neighbor advertisement", 137: "redirect", 138: "router renumbering",
               139: "node information query", 140: "node information reply",
               141: "inverse neighbor solicitation", 142: "inverse neighbor advertisement",
               143: "multicast listener report v2", 144: "ha discovery request",
               145: "ha discovery reply", 146: "mobile router solicitation",
               147: "mobile router advertisement", 200: "mtrace response", 201: "mtrace message"}
ICMP6_UNREACH_CODES = {0: "unreachable route", 1: "unreachable prohibited",
                       2: "beyond scope", 3: "unreachable address", 4: "unreachable port"}
ND_OPT_NAMES = {1: "source link-address", 2: "destination link-address", 3: "prefix info",
                4: "redirected header", 5: "mtu", 25: "rdnss", 31: "dnssl",
                7: "advertisement interval", 8: "homeagent information", 24: "route info"}
MLDV2_REPORT_TYPES = {1: "is_in", 2: "is_ex", 3: "to_in", 4: "to_ex", 5: "allow", 6: "block"}
ICMP_TYPES = {0: "echo reply", 4: "source quench", 8: "echo request",
              10: "router solicitation", 13: "time stamp request", 14: "time stamp reply",
              15: "information request", 16: "information reply", 17: "address mask request"}
ICMP_UNREACH = {0: "net %s unreachable", 1: "host %s unreachable",
                5: "%s unreachable - source route failed", 6: "net %s unreachable - unknown",
                7: "host %s unreachable - unknown", 8: "%s unreachable - source host isolated",
                9: "net %s unreachable - admin prohibited",
                10: "host %s unreachable - admin prohibited",
                11: "net %s unreachable - tos prohibited",
                12: "host %s unreachable - tos prohibited",
                13: "host %s unreachable - admin prohibited filter",
                14: "host %s unreachable - host precedence violation",
                15: "host %s unreachable - precedence cutoff"}
ICMP_REDIRECT = {0: "redirect %s to net %s", 1: "redirect %s to host %s",
                 2: "redirect-tos %s to net %s", 3: "redirect-tos %s to host %s"}
ARPOP_NAMES = {1: "Request", 2: "Reply", 3: "Reverse Request", 4: "Reverse Reply",
               8: "Inverse Request", 9: "Inverse Reply", 10: "NACK Reply"}
ARPHRD_NAMES = {1: "Ethernet", 6: "TokenRing", 15: "Frame Relay", 19: "ATM"}


class Trunc(Exception):
    """A header runs past the captured bytes."""


def bittok2str(table: list[tuple[int, str]], default: str, v: int) -> str:
    names = [name for bit, name in table if v & bit]
    return ", ".join(names) if names else default


class netdissect_options:
    """The printer's flags and state (``netdissect_options``)."""

    def __init__(self, nflag: int = 0, eflag: int = 0, qflag: int = 0, vflag: int = 0,
                 xflag: int = 0, tflag: int = 0,
                 host_name: Optional[Callable[[int, bytes], Optional[str]]] = None,
                 port_name: Optional[Callable[[int, str], Optional[str]]] = None) -> None:
        self.nflag = nflag
        self.eflag = eflag
        self.qflag = qflag
        self.vflag = vflag
        self.xflag = xflag
        self.tflag = tflag
        self.host_name = host_name
        self.port_name = port_name
        self.out: list[str] = []
        self.data = b""
        self.snapend = 0
        self._names: dict[bytes, str] = {}
        self._ports: dict[tuple[int, str], str] = {}

    def p(self, s: str) -> None:
        self.out.append(s)

    def need(self, off: int, n: int) -> None:
        if off < 0 or off + n > self.snapend:
            raise Trunc()

    def u8(self, off: int) -> int:
        self.need(off, 1)
        return self.data[off]

    def u16(self, off: int) -> int:
        self.need(off, 2)
        return _H(self.data, off)[0]

    def u32(self, off: int) -> int:
        self.need(off, 4)
        return _I(self.data, off)[0]

    def raw(self, off: int, n: int) -> bytes:
        self.need(off, n)
        return self.data[off:off + n]

    # -- addrtoname.c
    def ip6addr_string(self, a: bytes) -> str:
        return self._name(a, inet_ntop6)

    def ipaddr_string(self, a: bytes) -> str:
        return self._name(a, inet_ntop4)

    def _name(self, a: bytes, ntop: Callable[[bytes], str]) -> str:
        if self.nflag or self.host_name is None:
            return ntop(a)
        name = self._names.get(a)
        if name is None:
            name = self.host_name(len(a), a) or ntop(a)
            self._names[a] = name
        return name

    def port_string(self, port: int, proto: str) -> str:
        if self.nflag or self.port_name is None:
            return str(port)
        key = (port, proto)
        name = self._ports.get(key)
        if name is None:
            name = self.port_name(port, proto) or str(port)
            self._ports[key] = name
        return name


def etheraddr_string(a: bytes) -> str:
    return ":".join(f"{b:02x}" for b in a)


# -- print-ascii.c -----------------------------------------------------------------------------
def hex_print(ndo: netdissect_options, ident: str, off: int, length: int, oset: int = 0) -> None:
    length = max(0, min(length, ndo.snapend - off))
    d = ndo.data
    parts = []
    for i in range(0, length - length % 2, 2):
        if i % 16 == 0:
            parts.append("%s0x%04x: " % (ident, oset + i))
        parts.append(" %02x%02x" % (d[off + i], d[off + i + 1]))
    if length & 1:
        if (length - 1) % 16 == 0:
            parts.append("%s0x%04x: " % (ident, oset + length - 1))
        parts.append(" %02x" % d[off + length - 1])
    ndo.p("".join(parts))


def hex_and_ascii_print(ndo: netdissect_options, ident: str, off: int, length: int) -> None:
    length = max(0, min(length, ndo.snapend - off))
    d = ndo.data
    for line in range(0, length, 16):
        chunk = d[off + line:off + min(line + 16, length)]
        hexstuff = "".join(" %02x%02x" % (chunk[i], chunk[i + 1])
                           for i in range(0, len(chunk) - len(chunk) % 2, 2))
        if len(chunk) & 1:
            hexstuff += " %02x" % chunk[-1]
        ascii_ = "".join(chr(c) if 0x20 < c <= 0x7E else "." for c in chunk)
        ndo.p("%s0x%04x: %-40s  %s" % (ident, line, hexstuff, ascii_))


def default_print(ndo: netdissect_options, off: int, length: int) -> None:
    hex_and_ascii_print(ndo, "\n\t", off, length)


# -- link layers ---------------------------------------------------------------------------------
def ether_hdr_print(ndo: netdissect_options, off: int, length: int) -> None:
    d = ndo.data
    ndo.p("%s > %s" % (etheraddr_string(d[off + 6:off + 12]), etheraddr_string(d[off:off + 6])))
    etype = _H(d, off + 12)[0]
    if etype <= 1500:
        ndo.p(", 802.3")
        length = etype
    elif not ndo.qflag:
        ndo.p(", ethertype %s (0x%04x)" % (ETHERTYPE_NAMES.get(etype, "Unknown"), etype))
    else:
        ndo.p(", %s" % ETHERTYPE_NAMES.get(etype, "Unknown Ethertype (0x%04x)" % etype))
    ndo.p(", length %u: " % length)


def ether_if_print(ndo: netdissect_options, length: int, caplen: int) -> int:
    if caplen < 14 or length < 14:
        ndo.p("[|ether]")
        return min(caplen, length)
    if ndo.eflag:
        ether_hdr_print(ndo, 0, length)
    etype = _H(ndo.data, 12)[0]
    if etype <= 1500:
        if not ndo.eflag:
            ether_hdr_print(ndo, 0, length)
        default_print(ndo, 14, caplen - 14)
        return 14
    if not ethertype_print(ndo, etype, 14, length - 14):
        if not ndo.eflag:
            ether_hdr_print(ndo, 0, length)
        default_print(ndo, 14, caplen - 14)
    return 14


def ethertype_print(ndo: netdissect_options, etype: int, off: int, length: int) -> bool:
    if etype == 0x86DD:
        ip6_print(ndo, off, length)
    elif etype == 0x0800:
        ip_print(ndo, off, length)
    elif etype in (0x0806, 0x8035):
        arp_print(ndo, off, length)
    else:
        return False
    return True


def null_if_print(ndo: netdissect_options, length: int, caplen: int) -> int:
    if caplen < 4:
        ndo.p("[|null]")
        return 4
    family = struct.unpack_from("<I", ndo.data)[0]
    if family & 0xFFFF0000:
        family = struct.unpack_from(">I", ndo.data)[0]      # the other byte order
    if ndo.eflag:
        _null_hdr_print(ndo, family, length)
    if family == 2:
        ip_print(ndo, 4, length - 4)
    elif family in (24, 28, 30):
        ip6_print(ndo, 4, length - 4)
    else:
        if not ndo.eflag:
            _null_hdr_print(ndo, family, length)
        default_print(ndo, 4, caplen - 4)
    return 4


def _null_hdr_print(ndo: netdissect_options, family: int, length: int) -> None:
    if not ndo.qflag:
        ndo.p("AF %s (%u)" % (BSD_AF_NAMES.get(family, "Unknown"), family))
    else:
        ndo.p(BSD_AF_NAMES.get(family, "Unknown AF %u" % family))
    ndo.p(", length %u: " % length)


# -- IPv6 ----------------------------------------------------------------------------------------
def ip6_print(ndo: netdissect_options, off: int, length: int) -> None:
    if ndo.snapend - off < 40:
        ndo.p("[|ip6]")
        return
    if length < 40:
        ndo.p("truncated-ip6 %u" % length)
        return
    if not ndo.eflag:
        ndo.p("IP6 ")
    d = ndo.data
    if d[off] >> 4 != 6:
        ndo.p("version error: %u != 6" % (d[off] >> 4))
        return
    flow, plen, nxt, hlim = struct.unpack_from("!IHBB", d, off)
    total = plen + 40
    if length < total:
        ndo.p("truncated-ip6 - %u bytes missing!" % (total - length))
    if ndo.vflag:
        ndo.p("(")
        if flow & 0x0FF00000:
            ndo.p("class 0x%02x, " % ((flow & 0x0FF00000) >> 20))
        if flow & 0x000FFFFF:
            ndo.p("flowlabel 0x%05x, " % (flow & 0x000FFFFF))
        ndo.p("hlim %u, next-header %s (%u) payload length: %u) "
              % (hlim, IPPROTO_NAMES.get(nxt, "unknown"), nxt, plen))
    if off + total < ndo.snapend:
        ndo.snapend = off + total                 # cut the snapshot at the end of the payload
    src, dst = d[off + 8:off + 24], d[off + 24:off + 40]
    cp = off
    advance = 40
    left = total
    nh = nxt
    fragmented = False
    try:
        while cp < ndo.snapend and advance > 0:
            if left < advance:
                raise Trunc()
            cp += advance
            left -= advance
            if cp == off + 40 and nh not in (6, 17, 33, 132):
                ndo.p("%s > %s: " % (ndo.ip6addr_string(src), ndo.ip6addr_string(dst)))
            if nh == 0:
                advance = _ip6_optheader(ndo, cp, "HBH")
            elif nh == 60:
                advance = _ip6_optheader(ndo, cp, "DSTOPT")
            elif nh == 44:
                advance = frag6_print(ndo, cp, off)
                if advance < 0 or ndo.snapend <= cp + advance:
                    return
                fragmented = True
            elif nh == 43:
                advance = rt6_print(ndo, cp)
            elif nh == 51:
                advance = ah_print(ndo, cp)
            elif nh == 50:
                esp_print(ndo, cp, left)
                return
            elif nh == 17:
                udp_print(ndo, cp, left, src, dst, 6, fragmented)
                return
            elif nh == 58:
                icmp6_print(ndo, cp, left, off, fragmented)
                return
            elif nh == 41:
                ip6_print(ndo, cp, left)
                return
            elif nh == 4:
                ip_print(ndo, cp, left)
                return
            elif nh == 59:
                ndo.p("no next header")
                return
            else:
                if nh in (6, 132):
                    ndo.p("%s > %s: " % (ndo.ip6addr_string(src), ndo.ip6addr_string(dst)))
                ndo.p("ip-proto-%d %d" % (nh, left))
                return
            if advance < 0:
                return
            nh = d[cp]
    except Trunc:
        ndo.p("[|ip6]")


def _ip6_optheader(ndo: netdissect_options, cp: int, name: str) -> int:
    try:
        hlen = (ndo.u8(cp + 1) + 1) << 3
        ndo.need(cp, hlen)
    except Trunc:
        ndo.p("[|%s]" % name)
        return -1
    ndo.p(name + " ")
    if ndo.vflag:
        ip6_opt_print(ndo, cp + 2, hlen - 2)
    return hlen


def ip6_opt_print(ndo: netdissect_options, off: int, length: int) -> None:
    d = ndo.data
    i = 0
    while i < length:
        t = d[off + i]
        if t == 0:
            optlen = 1
        elif i + 1 < length:
            optlen = d[off + i + 1] + 2
        else:
            ndo.p("[trunc] ")
            return
        if i + optlen > length:
            ndo.p("[trunc] ")
            return
        if t == 0x00:
            ndo.p("(pad1)")
        elif t == 0x01:
            ndo.p("(padn)")
        elif t == 0x05:
            if optlen != 4:
                ndo.p("(rtalert: invalid len %d)[trunc] " % d[off + i + 1])
                return
            ndo.p("(rtalert: 0x%04x) " % _H(d, off + i + 2)[0])
        elif t == 0xC2:
            if optlen != 6:
                ndo.p("(jumbo: invalid len %d)[trunc] " % d[off + i + 1])
                return
            ndo.p("(jumbo: %u) " % _I(d, off + i + 2)[0])
        elif t == 0xC9:
            if optlen < 18:
                ndo.p("(homeaddr: invalid len %d)[trunc] " % d[off + i + 1])
                return
            ndo.p("(homeaddr: %s)" % ndo.ip6addr_string(d[off + i + 2:off + i + 18]))
        else:
            ndo.p("(opt_type 0x%02x: len=%d)" % (t, d[off + i + 1]))
        i += optlen
    ndo.p(" ")


def frag6_print(ndo: netdissect_options, cp: int, ip6off: int) -> int:
    try:
        ndo.need(cp, 8)
    except Trunc:
        ndo.p("[|frag]")
        return -1
    offlg = ndo.u16(cp + 2)
    plen = ndo.u16(ip6off + 4)
    rest = 40 + plen - (cp - ip6off) - 8
    if ndo.vflag:
        ndo.p("frag (0x%08x:%d|%d)" % (ndo.u32(cp + 4), offlg & 0xFFF8, rest))
    else:
        ndo.p("frag (%d|%d)" % (offlg & 0xFFF8, rest))
    if offlg & 0xFFF8:
        return -1                         # a later fragment: nothing more to decode
    ndo.p(" ")
    return 8


def rt6_print(ndo: netdissect_options, cp: int) -> int:
    try:
        hlen, rtype, segleft = ndo.u8(cp + 1), ndo.u8(cp + 2), ndo.u8(cp + 3)
        ndo.p("srcrt (len=%d, type=%d, segleft=%d" % (hlen, rtype, segleft))
        if rtype not in (0, 2) or hlen % 2:
            raise Trunc()
        rsv = ndo.u32(cp + 4)
        if rsv or ndo.vflag:
            ndo.p(", rsv=0x%0x" % rsv)
        for i in range(hlen >> 1):
            ndo.p(", [%d]%s" % (i, ndo.ip6addr_string(ndo.raw(cp + 8 + 16 * i, 16))))
        ndo.p(") ")
        return (hlen + 1) << 3
    except Trunc:
        ndo.p("[|srcrt]")
        return -1


def ah_print(ndo: netdissect_options, cp: int) -> int:
    try:
        ndo.need(cp, 8)
        sumlen = ndo.u8(cp + 1) << 2
        ndo.p("AH(spi=0x%08x" % ndo.u32(cp + 4))
        if ndo.vflag:
            ndo.p(",sumlen=%d" % sumlen)
        ndo.p(",seq=0x%x" % ndo.u32(cp + 8))
    except Trunc:
        ndo.p("[|AH]")
        return -1
    if cp + 8 + sumlen > ndo.snapend:
        ndo.p("[truncated]):")
        return -1
    ndo.p("): ")
    return 8 + sumlen


def esp_print(ndo: netdissect_options, cp: int, length: int) -> None:
    if cp + 8 >= ndo.snapend:
        ndo.p("[|ESP]")
        return
    ndo.p("ESP(spi=0x%08x,seq=0x%x), length %u" % (ndo.u32(cp), ndo.u32(cp + 4), length))


# -- ICMPv6 --------------------------------------------------------------------------------------
def _icmp6_cksum_ok(ndo: netdissect_options, cp: int, length: int, ip6off: int) -> Optional[int]:
    """The sum over pseudo-header and message (0 when right), or None if not all captured."""
    if cp + length > ndo.snapend:
        return None
    d = ndo.data
    total = in6_cksum_phdr(d[ip6off + 8:ip6off + 24], d[ip6off + 24:ip6off + 40], length, 58)
    return in_cksum_fold(total + in_cksum_sum(d[cp:cp + length]))


def icmp6_print(ndo: netdissect_options, cp: int, length: int, ip6off: int,
                fragmented: bool) -> None:
    d = ndo.data
    try:
        ndo.need(cp, 4)
        if ndo.vflag and not fragmented:
            s = _icmp6_cksum_ok(ndo, cp, length, ip6off)
            if s is not None:
                csum = _H(d, cp + 2)[0]
                if s not in (0, 0xFFFF):
                    ndo.p("[bad icmp6 cksum 0x%04x -> 0x%04x!] "
                          % (csum, _shouldbe(csum, s)))
                else:
                    ndo.p("[icmp6 sum ok] ")
        itype, code = d[cp], d[cp + 1]
        ndo.p("ICMP6, %s" % ICMP6_TYPES.get(itype, "unknown icmp6 type (%u)" % itype))
        if ndo.vflag and itype in (133, 134, 135, 136, 137, 145, 147):
            ndo.p(", length %u" % length)
        oip = cp + 8
        if itype == 1:
            ndo.need(oip + 24, 16)
            ndo.p(", %s" % ICMP6_UNREACH_CODES.get(code, "unknown unreach code (%u)" % code))
            odst = ndo.ip6addr_string(d[oip + 24:oip + 40])
            if code in (0, 1, 3):
                ndo.p(" %s" % odst)
            elif code == 2:
                ndo.p(" %s, source address %s" % (odst, ndo.ip6addr_string(d[oip + 8:oip + 24])))
            elif code == 4:
                prot, uoff = _get_upperlayer(ndo, oip)
                dport = ndo.u16(uoff + 2)
                if prot == 6:
                    ndo.p(", %s tcp port %s" % (odst, ndo.port_string(dport, "tcp")))
                elif prot == 17:
                    ndo.p(", %s udp port %s" % (odst, ndo.port_string(dport, "udp")))
                else:
                    ndo.p(", %s protocol %d port %d unreachable" % (odst, d[oip + 6], dport))
            elif ndo.vflag <= 1:
                hex_print(ndo, "\n\t", cp, length)
                return
        elif itype == 2:
            ndo.p(", mtu %u" % ndo.u32(cp + 4))
        elif itype == 3:
            ndo.need(oip + 24, 16)
            if code == 0:
                ndo.p(" for %s" % ndo.ip6addr_string(d[oip + 24:oip + 40]))
            elif code == 1:
                ndo.p(" (reassembly)")
            else:
                ndo.p(", unknown code (%u)" % code)
        elif itype == 4:
            ndo.need(oip + 24, 16)
            pptr = ndo.u32(cp + 4)
            what = {0: "erroneous", 1: "next header", 2: "option"}.get(code)
            ndo.p(", %s - octet %u" % (what, pptr) if what else ", code-#%d" % code)
        elif itype in (128, 129):
            ndo.p(", seq %u" % ndo.u16(cp + 6))
        elif itype == 130:
            if length == 24:
                _mld6_print(ndo, cp)
            elif length >= 28:
                ndo.p(" v2")
                _mldv2_query_print(ndo, cp, length)
            else:
                ndo.p(" unknown-version (len %u) " % length)
        elif itype in (131, 132):
            _mld6_print(ndo, cp)
        elif itype == 133:
            if ndo.vflag:
                icmp6_opt_print(ndo, cp + 8, length - 8)
        elif itype == 134:
            if ndo.vflag:
                ndo.need(cp, 16)
                flags = d[cp + 5]
                ndo.p("\n\thop limit %u, Flags [%s], pref %s, router lifetime %us, "
                      "reachable time %ums, retrans timer %ums"
                      % (d[cp + 4], bittok2str([(0x80, "managed"), (0x40, "other stateful"),
                                                (0x20, "home agent")], "none", flags),
                         _rtpref(flags), _H(d, cp + 6)[0], _I(d, cp + 8)[0], _I(d, cp + 12)[0]))
                icmp6_opt_print(ndo, cp + 16, length - 16)
        elif itype == 135:
            ndo.p(", who has %s" % ndo.ip6addr_string(ndo.raw(cp + 8, 16)))
            if ndo.vflag:
                icmp6_opt_print(ndo, cp + 24, length - 24)
        elif itype == 136:
            ndo.p(", tgt is %s" % ndo.ip6addr_string(ndo.raw(cp + 8, 16)))
            if ndo.vflag:
                ndo.p(", Flags [%s]" % bittok2str([(0x80000000, "router"),
                                                   (0x40000000, "solicited"),
                                                   (0x20000000, "override")], "none",
                                                  ndo.u32(cp + 4)))
                icmp6_opt_print(ndo, cp + 24, length - 24)
        elif itype == 137:
            ndo.p(", %s" % ndo.ip6addr_string(ndo.raw(cp + 24, 16)))
            ndo.p(" to %s" % ndo.ip6addr_string(ndo.raw(cp + 8, 16)))
            if ndo.vflag:
                icmp6_opt_print(ndo, cp + 40, length - 40)
        elif itype == 143:
            _mldv2_report_print(ndo, cp, length)
        elif itype in (144, 146):
            ndo.p(", id 0x%04x" % ndo.u16(cp + 4))
        elif itype in (141, 142, 138, 139, 140):
            pass
        else:
            ndo.p(", length %u" % length)
            if ndo.vflag <= 1:
                hex_print(ndo, "\n\t", cp, length)
            return
        if not ndo.vflag:
            ndo.p(", length %u" % length)
    except Trunc:
        ndo.p("[|icmp6]")


def _shouldbe(sum_in_packet: int, computed: int) -> int:
    """in_cksum_shouldbe: the checksum the packet should carry, from the one it
    carries and the checksum computed over the packet with it in place."""
    s = sum_in_packet + computed
    s = (s & 0xFFFF) + (s >> 16)
    s = (s & 0xFFFF) + (s >> 16)
    return s


def _rtpref(flags: int) -> str:
    return ("medium", "high", "rsv", "low")[(flags & 0x18) >> 3]


def _lifetime(v: int) -> str:
    return "infinity" if v == 0xFFFFFFFF else "%us" % v


def _get_upperlayer(ndo: netdissect_options, ip6off: int) -> tuple[int, int]:
    """The protocol and offset of the transport header inside a quoted packet."""
    nh = ndo.u8(ip6off + 6)
    cp = ip6off + 40
    while nh in (0, 60, 43, 44, 51):
        if nh == 44:
            if ndo.u16(cp + 2) & 0xFFF8:
                raise Trunc()
            nxt, hlen = ndo.u8(cp), 8
        elif nh == 51:
            nxt, hlen = ndo.u8(cp), (ndo.u8(cp + 1) + 2) << 2
        else:
            nxt, hlen = ndo.u8(cp), (ndo.u8(cp + 1) + 1) << 3
        nh, cp = nxt, cp + hlen
    if nh not in (6, 17):
        raise Trunc()
    ndo.need(cp, 4)
    return nh, cp


def _mld6_print(ndo: netdissect_options, cp: int) -> None:
    if cp + 24 > ndo.snapend:
        return
    ndo.p("max resp delay: %d " % _H(ndo.data, cp + 4)[0])
    ndo.p("addr: %s" % ndo.ip6addr_string(ndo.data[cp + 8:cp + 24]))


def _mldv2_report_print(ndo: netdissect_options, cp: int, length: int) -> None:
    if length < 8:
        ndo.p(" [invalid len %d]" % length)
        return
    _group_records(ndo, cp, length, 16, ndo.ip6addr_string, MLDV2_REPORT_TYPES,
                   " [v2-report-#%d]")


def _group_records(ndo: netdissect_options, cp: int, length: int, alen: int,
                   addr_string: Callable[[bytes], str], types: dict[int, str],
                   unknown: str) -> None:
    """The group records of an MLDv2 or IGMPv3 report (print-icmp6.c
    mldv2_report_print, print-igmp.c print_igmpv3_report): with -v each
    group, its record type and its sources (with -vv, else their number)."""
    ngroups = ndo.u16(cp + 6)
    ndo.p(", %d group record(s)" % ngroups)
    if not ndo.vflag:
        return
    rlen = 4 + alen                        # type, aux len, number of sources, group
    group = 8
    for _ in range(ngroups):
        if length < group + rlen:
            ndo.p(" [invalid number of groups]")
            return
        ndo.p(" [gaddr %s" % addr_string(ndo.raw(cp + group + 4, alen)))
        rtype = ndo.u8(cp + group)
        ndo.p(" %s" % types.get(rtype, unknown % rtype))
        nsrcs = ndo.u16(cp + group + 2)
        if length < group + rlen + nsrcs * alen:
            ndo.p(" [invalid number of sources %d]" % nsrcs)
            return
        if ndo.vflag == 1:
            ndo.p(", %d source(s)" % nsrcs)
        else:
            ndo.p(" {")
            for j in range(nsrcs):
                ndo.p(" %s" % addr_string(ndo.raw(cp + group + rlen + alen * j, alen)))
            ndo.p(" }")
        group += rlen + nsrcs * alen
        ndo.p("]")


def _mldv2_query_print(ndo: netdissect_options, cp: int, length: int) -> None:
    if length < 28:
        ndo.p(" [invalid len %d]" % length)
        return
    d = ndo.data
    mrc = ndo.u16(cp + 4)
    mrt = mrc if mrc < 32768 else ((mrc & 0x0FFF) | 0x1000) << (((mrc & 0x7000) >> 12) + 3)
    if ndo.vflag:
        ndo.p(" [max resp delay=%d]" % mrt)
    ndo.p(" [gaddr %s" % ndo.ip6addr_string(ndo.raw(cp + 8, 16)))
    if ndo.vflag:
        ndo.need(cp + 24, 2)
        if d[cp + 24] & 0x08:
            ndo.p(" sflag")
        if d[cp + 24] & 0x07:
            ndo.p(" robustness=%d" % (d[cp + 24] & 0x07))
        q = d[cp + 25]
        qqi = q if q < 128 else ((q & 0x0F) | 0x10) << (((q & 0x70) >> 4) + 3)
        ndo.p(" qqi=%d" % qqi)
    _query_sources(ndo, cp + 28, ndo.u16(cp + 26), length - 28, 16, ndo.ip6addr_string)


def _query_sources(ndo: netdissect_options, first: int, nsrcs: int, room: int, alen: int,
                   addr_string: Callable[[bytes], str]) -> None:
    """The source list of an MLDv2 or IGMPv3 query and the closing bracket
    (print-icmp6.c mldv2_query_print, print-igmp.c print_igmp_query): the
    addresses with -vv, else their number; ``room`` octets are left for them."""
    if nsrcs > 0:
        if room < nsrcs * alen:
            ndo.p(" [invalid number of sources]")
        elif ndo.vflag > 1:
            ndo.p(" {")
            for i in range(nsrcs):
                ndo.p(" %s" % addr_string(ndo.raw(first + alen * i, alen)))
            ndo.p(" }")
        else:
            ndo.p(", %d source(s)" % nsrcs)
    ndo.p("]")


def icmp6_opt_print(ndo: netdissect_options, cp: int, resid: int) -> None:
    d = ndo.data
    ep = ndo.snapend
    try:
        while cp < ep:
            if cp + 2 > ep or resid <= 0:
                return
            otype, olen = d[cp], d[cp + 1]
            if olen == 0 or cp + (olen << 3) > ep:
                raise Trunc()
            ndo.p("\n\t  %s option (%u), length %u (%u): "
                  % (ND_OPT_NAMES.get(otype, "unknown"), otype, olen << 3, olen))
            body = cp + 2
            if otype in (1, 2):
                ndo.p(":".join("%02x" % b for b in d[body:cp + (olen << 3)]))
            elif otype == 3:
                ndo.need(cp, 32)
                ndo.p("%s/%u%s, Flags [%s], valid time %s"
                      % (ndo.ip6addr_string(d[cp + 16:cp + 32]), d[cp + 2],
                         "badlen" if olen != 4 else "",
                         bittok2str([(0x80, "onlink"), (0x40, "auto"), (0x20, "router")],
                                    "none", d[cp + 3]), _lifetime(_I(d, cp + 4)[0])))
                ndo.p(", pref. time %s" % _lifetime(_I(d, cp + 8)[0]))
            elif otype == 4:
                hex_print(ndo, "\n\t    ", cp, olen << 3)
            elif otype == 5:
                ndo.p(" %u%s" % (ndo.u32(cp + 4), "bad option length" if olen != 1 else ""))
            elif otype == 25:
                ndo.p(" lifetime %us," % ndo.u32(cp + 4))
                for i in range((olen - 1) // 2):
                    ndo.p(" addr: %s" % ndo.ip6addr_string(ndo.raw(cp + 8 + 16 * i, 16)))
            elif otype == 7:
                ndo.p(" %ums" % ndo.u32(cp + 4))
            elif otype == 8:
                ndo.p(" preference %u, lifetime %u" % (ndo.u16(cp + 4), ndo.u16(cp + 6)))
            elif otype == 24:
                plen, flags = ndo.u8(cp + 2), ndo.u8(cp + 3)
                ndo.need(cp, olen << 3)
                if olen > 3:
                    raise Trunc()
                pfx = (d[cp + 8:cp + (olen << 3)] + bytes(16))[:16]
                ndo.p(" %s/%u" % (ndo.ip6addr_string(pfx), plen))
                ndo.p(", pref=%s" % _rtpref(flags))
                ndo.p(", lifetime=%s" % _lifetime(ndo.u32(cp + 4)))
            else:
                if ndo.vflag <= 1:
                    hex_print(ndo, "\n\t  ", body, (olen << 3) - 2)
                    return
            if ndo.vflag > 1:
                hex_print(ndo, "\n\t    ", body, (olen << 3) - 2)
            cp += olen << 3
            resid -= olen << 3
    except Trunc:
        ndo.p("[|icmp6]")


# -- UDP -----------------------------------------------------------------------------------------
def udp_print(ndo: netdissect_options, cp: int, length: int, src: bytes, dst: bytes,
              ipv: int, fragmented: bool, direct: bool = True) -> None:
    """``direct``: the UDP header follows the IP header (addresses with ports)."""
    d = ndo.data
    addr = ndo.ip6addr_string if ipv == 6 else ndo.ipaddr_string

    def ipaddr_ports(sport: int, dport: int) -> None:
        if direct:
            if sport < 0:
                ndo.p("%s > %s: " % (addr(src), addr(dst)))
            else:
                ndo.p("%s.%s > %s.%s: " % (addr(src), ndo.port_string(sport, "udp"),
                                          addr(dst), ndo.port_string(dport, "udp")))
        elif sport >= 0:
            ndo.p("%s > %s: " % (ndo.port_string(sport, "udp"), ndo.port_string(dport, "udp")))

    if cp + 4 > ndo.snapend:
        ipaddr_ports(-1, -1)
        ndo.p("[|udp]")
        return
    sport, dport = _H(d, cp)[0], _H(d, cp + 2)[0]
    if length < 8:
        ipaddr_ports(sport, dport)
        ndo.p("truncated-udp %d" % length)
        return
    if cp + 6 > ndo.snapend:
        ipaddr_ports(sport, dport)
        ndo.p("[|udp]")
        return
    ulen = _H(d, cp + 4)[0]
    if ulen < 8:
        ipaddr_ports(sport, dport)
        ndo.p("truncated-udplength %d" % ulen)
        return
    ulen -= 8
    length -= 8
    if ulen < length:
        length = ulen
    ipaddr_ports(sport, dport)
    if ndo.vflag and not fragmented and ipv == 6 and cp + 8 + length <= ndo.snapend:
        ip6 = src + dst
        total = in6_cksum_phdr(ip6[:16], ip6[16:], length + 8, 17)
        s = in_cksum_fold(total + in_cksum_sum(d[cp:cp + 8 + length]))
        csum = _H(d, cp + 6)[0]
        if s not in (0, 0xFFFF):
            ndo.p("[bad udp cksum 0x%04x -> 0x%04x!] " % (csum, _shouldbe(csum, s)))
        else:
            ndo.p("[udp sum ok] ")
    if ulen > length:
        ndo.p("UDP, bad length %u > %u" % (ulen, length))
    else:
        ndo.p("UDP, length %u" % ulen)


# -- IPv4, ICMP, ARP -----------------------------------------------------------------------------
def ip_print(ndo: netdissect_options, off: int, length: int) -> None:
    d = ndo.data
    if ndo.snapend - off < 20:
        ndo.p("[|ip]")
        return
    if not ndo.eflag:
        ndo.p("IP ")
    if d[off] >> 4 != 4:
        ndo.p("IP%u " % (d[off] >> 4))
        return
    if length < 20:
        ndo.p("truncated-ip %u" % length)
        return
    hlen = (d[off] & 0x0F) * 4
    if hlen < 20:
        ndo.p("bad-hlen %u" % hlen)
        return
    tos, total, ident, ipoff, ttl, proto = struct.unpack_from("!xBHHHBB", d, off)
    if length < total:
        ndo.p("truncated-ip - %u bytes missing! " % (total - length))
    if total < hlen:
        ndo.p("bad-len %u" % total)
        return
    if off + total < ndo.snapend:
        ndo.snapend = off + total
    left = total - hlen
    src, dst = d[off + 12:off + 16], d[off + 16:off + 20]
    if ndo.vflag:
        ndo.p("(tos 0x%x" % tos)
        ndo.p({0: "", 1: ",ECT(1)", 2: ",ECT(0)", 3: ",CE"}[tos & 3])
        if ttl >= 1:
            ndo.p(", ttl %u" % ttl)
        ndo.p(", id %u, offset %u, flags [%s], proto %s (%u)"
              % (ident, (ipoff & 0x1FFF) * 8,
                 bittok2str([(0x2000, "+"), (0x4000, "DF"), (0x8000, "rsvd")], "none",
                            ipoff & 0xE000), IPPROTO_NAMES.get(proto, "unknown"), proto))
        ndo.p(", length %u" % total)
        if hlen > 20:                          # print-ip.c: the options, by name
            ndo.p(", options (")
            ip_optprint(ndo, off + 20, hlen - 20)
            ndo.p(")")
        s = in_cksum(d[off:off + hlen]) if off + hlen <= ndo.snapend else 0
        if s:
            ndo.p(", bad cksum %x (->%x)!" % (_H(d, off + 10)[0], _shouldbe(_H(d, off + 10)[0], s)))
        ndo.p(")\n    ")
    if ipoff & 0x1FFF:
        if ndo.qflag > 1:
            return
        ndo.p("%s > %s:" % (ndo.ipaddr_string(src), ndo.ipaddr_string(dst)))
        name = None if ndo.nflag else NETDB_PROTO.get(proto)
        ndo.p(" %s" % name if name else " ip-proto-%d" % proto)
        return
    cp = off + hlen
    if proto not in (6, 17, 33, 132):
        ndo.p("%s > %s: " % (ndo.ipaddr_string(src), ndo.ipaddr_string(dst)))
    fragmented = bool(ipoff & 0x2000)
    if proto == 1:
        icmp_print(ndo, cp, left, fragmented)
    elif proto == 2:
        igmp_print(ndo, cp, left)
    elif proto == 17:
        udp_print(ndo, cp, left, src, dst, 4, fragmented)
    elif proto == 41:
        ip6_print(ndo, cp, left)
    elif proto == 4:
        ip_print(ndo, cp, left)
    elif proto == 50:
        esp_print(ndo, cp, left)
    else:
        if proto in (6, 132):
            ndo.p("%s > %s: " % (ndo.ipaddr_string(src), ndo.ipaddr_string(dst)))
        name = None if ndo.nflag else NETDB_PROTO.get(proto)
        ndo.p(("%s" % name) if name else "ip-proto-%d" % proto)
        ndo.p(" %d" % left)


# print-ip.c's ip_option_values
IP_OPTION_NAMES = {0: "EOL", 1: "NOP", 68: "TS", 130: "SECURITY", 7: "RR", 137: "SSRR",
                   131: "LSRR", 148: "RA", 82: "traceroute"}


def ip_optprint(ndo: netdissect_options, cp: int, length: int) -> None:
    """The IPv4 options, by name; Router Alert (RFC 2113) with its value when not 0."""
    d = ndo.data
    while length > 0:
        if cp >= ndo.snapend:
            ndo.p("[|ip]")
            return
        code = d[cp]
        ndo.p(IP_OPTION_NAMES.get(code, "unknown %u" % code))
        if code in (0, 1):
            olen = 1
        else:
            if cp + 1 >= ndo.snapend:
                ndo.p("[|ip]")
                return
            olen = d[cp + 1]
            if olen < 2 or olen > length:
                ndo.p(" [bad length %u]" % olen)
                return
        if code == 0:
            return
        if code == 148:
            if olen < 4:
                ndo.p(" [bad length %u]" % olen)
            elif cp + 4 <= ndo.snapend and _H(d, cp + 2)[0]:
                ndo.p(" value %u" % _H(d, cp + 2)[0])
        cp += olen
        length -= olen


# -- IGMP (print-igmp.c) ---------------------------------------------------------------------
IGMPV3_REPORT_TYPES = {1: "is_in", 2: "is_ex", 3: "to_in", 4: "to_ex", 5: "allow", 6: "block"}


def igmp_print(ndo: netdissect_options, cp: int, length: int) -> None:
    """IGMPv1/v2 (RFC 1112, 2236) and IGMPv3 (RFC 3376 4) as tcpdump 4.9 prints them:
    ``igmp query v2 [max resp time 5]``, ``igmp query v3 [max resp time 0.5s]``, ``igmp v2 report G``, ``igmp leave G``,
    ``igmp v3 report, N group record(s)`` (-v: the records, -vv: their sources)."""
    d = ndo.data
    if ndo.qflag:
        ndo.p("igmp")
        return
    if cp >= ndo.snapend:
        ndo.p("[|igmp]")
        return
    t = d[cp]
    try:
        if t == 0x11:
            ndo.p("igmp query")
            if length >= 12:
                _igmpv3_query_print(ndo, cp, length)
            else:
                mrt = ndo.u8(cp + 1)
                if mrt:
                    ndo.p(" v2")
                    if mrt != 100:             # the default, 10 s, is not shown
                        ndo.p(" [max resp time %u]" % mrt)
                else:
                    ndo.p(" v1")
                if ndo.u32(cp + 4):
                    ndo.p(" [gaddr %s]" % ndo.ipaddr_string(ndo.raw(cp + 4, 4)))
                if length != 8:
                    ndo.p(" [len %d]" % length)
        elif t in (0x12, 0x16, 0x17):
            name = {0x12: "v1 report", 0x16: "v2 report", 0x17: "leave"}[t]
            ndo.p("igmp %s %s" % (name, ndo.ipaddr_string(ndo.raw(cp + 4, 4))))
            if t == 0x12 and length != 8:
                ndo.p(" [len %d]" % length)
        elif t == 0x22:
            ndo.p("igmp v3 report")
            _igmpv3_report_print(ndo, cp, length)
        else:
            ndo.p("igmp-%d" % t)
    except Trunc:
        ndo.p("[|igmp]")
        return
    if ndo.vflag and length >= 4 and cp + length <= ndo.snapend and in_cksum(d[cp:cp + length]):
        ndo.p(" bad igmp cksum %x!" % _H(d, cp + 2)[0])


def _relts(secs: int) -> str:
    """util-print.c's unsigned_relts_print: ``2m8s``."""
    if secs == 0:
        return "0s"
    out = []
    for unit, name in ((31536000, "y"), (604800, "w"), (86400, "d"), (3600, "h"), (60, "m"),
                       (1, "s")):
        if secs >= unit:
            out.append("%u%s" % (secs // unit, name))
            secs %= unit
    return "".join(out)


def _igmpv3_query_print(ndo: netdissect_options, cp: int, length: int) -> None:
    if length < 12 or length % 4:
        ndo.p(" [invalid len %d]" % length)
        return
    ndo.p(" v3")
    mrc = ndo.u8(cp + 1)
    mrt = mrc if mrc < 128 else ((mrc & 0x0F) | 0x10) << (((mrc & 0x70) >> 4) + 3)  # 4.1.1
    if mrc != 100:
        ndo.p(" [max resp time ")
        if mrt < 600:
            ndo.p("%.1fs" % (mrt * 0.1))
        else:
            ndo.p(_relts(mrt // 10))
        ndo.p("]")
    if not ndo.u32(cp + 4):
        return
    ndo.p(" [gaddr %s" % ndo.ipaddr_string(ndo.raw(cp + 4, 4)))
    _query_sources(ndo, cp + 12, ndo.u16(cp + 10), length - 12, 4, ndo.ipaddr_string)


def _igmpv3_report_print(ndo: netdissect_options, cp: int, length: int) -> None:
    if length < 8 or length % 4:
        ndo.p(" [len %d]" % length)
        return
    _group_records(ndo, cp, length, 4, ndo.ipaddr_string, IGMPV3_REPORT_TYPES,
                   " [v3-report-#%d]")


def icmp_print(ndo: netdissect_options, cp: int, plen: int, fragmented: bool) -> None:
    d = ndo.data
    try:
        itype, code = ndo.u8(cp), ndo.u8(cp + 1)
        oip = cp + 8
        if itype in (0, 8):
            s = "echo %s, id %u, seq %u" % ("request" if itype == 8 else "reply",
                                           ndo.u16(cp + 4), ndo.u16(cp + 6))
        elif itype == 3:
            ndo.need(oip + 16, 4)
            odst = ndo.ipaddr_string(d[oip + 16:oip + 20])
            if code == 2:
                s = "%s protocol %d unreachable" % (odst, ndo.u8(oip + 9))
            elif code == 3:
                ohl = (ndo.u8(oip) & 0x0F) * 4
                oproto = ndo.u8(oip + 9)
                dport = ndo.u16(oip + ohl + 2)
                if oproto == 6:
                    s = "%s tcp port %s unreachable" % (odst, ndo.port_string(dport, "tcp"))
                elif oproto == 17:
                    s = "%s udp port %s unreachable" % (odst, ndo.port_string(dport, "udp"))
                else:
                    s = "%s protocol %u port %u unreachable" % (odst, oproto, dport)
            elif code == 4:
                mtu = ndo.u16(cp + 6)
                s = ("%s unreachable - need to frag (mtu %d)" % (odst, mtu) if mtu
                     else "%s unreachable - need to frag" % odst)
            else:
                s = ICMP_UNREACH.get(code, "#%d %%s unreachable" % code) % odst
        elif itype == 5:
            ndo.need(oip + 16, 4)
            s = ICMP_REDIRECT.get(code, "redirect-#%d %%s to net %%s" % code) % (
                ndo.ipaddr_string(d[oip + 16:oip + 20]), ndo.ipaddr_string(ndo.raw(cp + 4, 4)))
        elif itype == 11:
            ndo.need(oip + 16, 4)
            s = {0: "time exceeded in-transit", 1: "ip reassembly time exceeded"}.get(
                code, "time exceeded-#%u" % code)
        elif itype == 12:
            s = ("parameter problem - code %u" % code if code
                 else "parameter problem - octet %u" % ndo.u8(cp + 4))
        elif itype == 18:
            s = "address mask is 0x%08x" % ndo.u32(cp + 8)
        elif itype == 13:
            s = "time stamp query id %u seq %u" % (ndo.u16(cp + 4), ndo.u16(cp + 6))
        else:
            s = ICMP_TYPES.get(itype, "type-#%d" % itype)
        ndo.p("ICMP %s, length %u" % (s, plen))
        if ndo.vflag and not fragmented and cp + plen <= ndo.snapend:
            s = in_cksum(d[cp:cp + plen])
            if s:
                ndo.p(" (wrong icmp cksum %x (->%x)!)" % (_H(d, cp + 2)[0],
                                                          _shouldbe(_H(d, cp + 2)[0], s)))
        if ndo.vflag >= 1 and itype in (3, 4, 5, 11, 12) and oip + 20 <= ndo.snapend:
            ndo.p("\n\t")
            save = ndo.snapend
            ip_print(ndo, oip, _H(d, oip + 2)[0])
            ndo.snapend = save
    except Trunc:
        ndo.p("[|icmp]")


def arp_print(ndo: netdissect_options, off: int, length: int) -> None:
    d = ndo.data
    try:
        hrd, pro, hln, pln, op = struct.unpack_from("!HHBBH", ndo.raw(off, 8))
        ndo.need(off + 8 + 2 * hln + pln, pln)
    except (Trunc, struct.error):
        ndo.p("[|ARP]")
        return
    sha = d[off + 8:off + 8 + hln]
    spa = d[off + 8 + hln:off + 8 + hln + pln]
    tha = d[off + 8 + hln + pln:off + 8 + 2 * hln + pln]
    tpa = d[off + 8 + 2 * hln + pln:off + 8 + 2 * hln + 2 * pln]
    if not ndo.eflag:
        ndo.p("ARP, ")
    if pro != 0x0800 or pln != 4 or hln == 0 or ndo.vflag:
        ndo.p("%s (len %u), %s (len %u)"
              % (ARPHRD_NAMES.get(hrd, "Unknown Hardware (%u)" % hrd), hln,
                 ETHERTYPE_NAMES.get(pro, "Unknown Protocol (0x%04x)" % pro), pln))
        if not ndo.vflag:
            ndo.p(", length %u" % length)
            return
    ndo.p("%s%s " % (", " if ndo.vflag else "", ARPOP_NAMES.get(op, "Unknown (%u)" % op)))

    def pa(a: bytes) -> str:
        return ndo.ipaddr_string(a) if pro == 0x0800 and pln == 4 else "<wrong proto type>"
    if op == 1:
        ndo.p("who-has %s" % pa(tpa))
        if any(tha):
            ndo.p(" (%s)" % etheraddr_string(tha))
        ndo.p(" tell %s" % pa(spa))
    elif op == 2:
        ndo.p("%s is-at %s" % (pa(spa), etheraddr_string(sha)))
    elif op in (3, 8):
        ndo.p("who-is %s tell %s" % (etheraddr_string(tha), etheraddr_string(sha)))
    elif op == 4:
        ndo.p("%s at %s" % (etheraddr_string(tha), pa(tpa)))
    elif op == 9:
        ndo.p("%s at %s" % (etheraddr_string(sha), pa(spa)))
    else:
        default_print(ndo, off, length)
        return
    ndo.p(", length %u" % length)


# -- print.c -------------------------------------------------------------------------------------
def ts_format(tv_sec: int, tv_usec: int) -> str:
    s = tv_sec % 86400                    # thiszone: the hosts keep UTC
    return "%02d:%02d:%02d.%06u" % (s // 3600, (s % 3600) // 60, s % 60, tv_usec)


def pretty_print_packet(ndo: netdissect_options, h: Any, data: bytes, dlt: int) -> str:
    """The line tcpdump prints for one packet (``h``: ts, caplen, len)."""
    ndo.out = []
    ndo.data = data
    ndo.snapend = min(h.caplen, len(data))
    if not ndo.tflag:
        ndo.p(ts_format(h.ts.tv_sec, h.ts.tv_usec) + " ")
    caplen = ndo.snapend
    if dlt == 1:
        hdrlen = ether_if_print(ndo, h.len, caplen)
    else:
        hdrlen = null_if_print(ndo, h.len, caplen)
    ndo.snapend = caplen
    if ndo.xflag:
        if ndo.xflag > 1:
            hex_print(ndo, "\n\t", 0, caplen)
        elif caplen > hdrlen:
            hex_print(ndo, "\n\t", hdrlen, caplen - hdrlen)
    return "".join(ndo.out)


__all__ = ["netdissect_options", "pretty_print_packet", "ts_format", "etheraddr_string"]
