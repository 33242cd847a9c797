"""ICMP for IPv4 (sys/netinet/ip_icmp.c).

RFC 792 and RFC 1122 3.2.2.  ``icmp_input`` checks length and checksum
(RFC 792: "the 16-bit one's complement of the one's complement sum of the
ICMP message"), answers Echo (RFC 1122 3.2.2.6: "MUST implement an ICMP Echo
server"; not to a broadcast or multicast request unless
net.inet.icmp.bmcastecho — RFC 1122 3.2.2.6 "MAY be silently discarded"),
turns errors into notifications of the upper layer of the quoted datagram
(``pr_ctlinput``), and gives everything it does not consume to raw sockets.
Source Quench is only passed up (RFC 6633: hosts "MUST silently discard"
them as a signal); Redirects are not acted upon (net.inet.icmp.drop_redirect).

``icmp_error`` applies RFC 1122 3.2.2: "An ICMP error message MUST NOT be
sent as the result of receiving: an ICMP error message, or a datagram
destined to an IP broadcast or IP multicast address, or a datagram sent as
a link-layer broadcast, or a non-initial fragment, or a datagram whose
source address does not define a single host"; it quotes the IP header and
``net.inet.icmp.quotelen`` (8) octets of data (RFC 792).  ``icmp_reflect``
answers from the address the packet was sent to, else from the interface
towards the source.  Echo replies and port unreachables are rate limited
(``badport_bandlim``, net.inet.icmp.icmplim per second, FreeBSD's message
on the console when net.inet.icmp.icmplim_output is set).

Counters: ``k.icmpstat`` with FreeBSD's ``struct icmpstat`` names.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kernel.kern.kern_sysctl import SYSCTL_INT, SYSCTL_STRUCT
from kernel.kern.uipc_mbuf import M_BCAST, M_MCAST, MLEADING, mbuf
from kernel.netinet import in_ as _in
from kernel.netinet.ip_output import ip_output
from kernel.netinet6.icmp6 import (PRC_MSGSIZE, PRC_PARAMPROB, PRC_TIMXCEED_INTRANS,
                                   PRC_UNREACH_ADMIN_PROHIB, PRC_UNREACH_NET, PRC_UNREACH_PORT)
from kernel.wire.icmp import (ICMP_ADVLENMIN, ICMP_ECHO, ICMP_ECHOREPLY, ICMP_INFOTYPE,
                              ICMP_MAXTYPE, ICMP_MINLEN, ICMP_PARAMPROB, ICMP_REDIRECT, ICMP_SOURCEQUENCH,
                              ICMP_TIMXCEED, ICMP_UNREACH, ICMP_UNREACH_FILTER_PROHIB,
                              ICMP_UNREACH_HOST, ICMP_UNREACH_HOST_PRECEDENCE,
                              ICMP_UNREACH_HOST_PROHIB, ICMP_UNREACH_HOST_UNKNOWN,
                              ICMP_UNREACH_ISOLATED, ICMP_UNREACH_NEEDFRAG, ICMP_UNREACH_NET,
                              ICMP_UNREACH_NET_PROHIB, ICMP_UNREACH_NET_UNKNOWN,
                              ICMP_UNREACH_PORT, ICMP_UNREACH_PRECEDENCE_CUTOFF,
                              ICMP_UNREACH_PROTOCOL, ICMP_UNREACH_SRCFAIL, ICMP_UNREACH_TOSHOST,
                              ICMP_UNREACH_TOSNET, icmp_cksum_into, icmp_hdr)
from kernel.wire.in_ import INADDR_ANY, IN_EXPERIMENTAL, IN_MULTICAST, IN_ZERONET, sockaddr_in
from kernel.wire.in_cksum import in_cksum
from kernel.wire.ip import IP_HDR_LEN, IP_OFFMASK
from kernel.wire.ip6 import IPPROTO_DONE, IPPROTO_ICMP

if TYPE_CHECKING:  # pragma: no cover
    from kernel.kern.init_main import Kernel

SEC = 1_000_000_000

# badport_bandlim: which limiter
BANDLIM_ICMP_UNREACH = 0
BANDLIM_ICMP_ECHO = 1
BANDLIM_ICMP_TSTAMP = 2
BANDLIM_MAX = 3
_BANDLIM_NAMES = ("icmp unreach response", "icmp ping response", "icmp tstamp response")

# Destination Unreachable codes -> the PRC_* command pr_ctlinput gets (FreeBSD icmp_input)
_UNREACH_PRC = {
    ICMP_UNREACH_NET: PRC_UNREACH_NET, ICMP_UNREACH_HOST: PRC_UNREACH_NET,
    ICMP_UNREACH_SRCFAIL: PRC_UNREACH_NET, ICMP_UNREACH_NET_UNKNOWN: PRC_UNREACH_NET,
    ICMP_UNREACH_HOST_UNKNOWN: PRC_UNREACH_NET, ICMP_UNREACH_ISOLATED: PRC_UNREACH_NET,
    ICMP_UNREACH_TOSNET: PRC_UNREACH_NET, ICMP_UNREACH_TOSHOST: PRC_UNREACH_NET,
    ICMP_UNREACH_HOST_PRECEDENCE: PRC_UNREACH_NET,
    ICMP_UNREACH_PRECEDENCE_CUTOFF: PRC_UNREACH_NET,
    ICMP_UNREACH_NEEDFRAG: PRC_MSGSIZE,
    # RFC 1122 3.2.2.1, 4.2.3.9: protocol and port unreachable abort the connection
    ICMP_UNREACH_PROTOCOL: PRC_UNREACH_PORT, ICMP_UNREACH_PORT: PRC_UNREACH_PORT,
    ICMP_UNREACH_NET_PROHIB: PRC_UNREACH_ADMIN_PROHIB,
    ICMP_UNREACH_HOST_PROHIB: PRC_UNREACH_ADMIN_PROHIB,
    ICMP_UNREACH_FILTER_PROHIB: PRC_UNREACH_ADMIN_PROHIB,
}


class icmpstat:
    """``struct icmpstat`` (FreeBSD netinet/icmp_var.h), then kamebox's reasons."""

    __slots__ = (
        "icps_error",           # calls to icmp_error
        "icps_oldshort",        # no error 'cuz old ip too short
        "icps_oldicmp",         # no error 'cuz old was icmp
        "icps_outhist",         # [ICMP_MAXTYPE + 1]
        "icps_badcode",         # icmp_code out of range
        "icps_tooshort",        # packet < ICMP_MINLEN
        "icps_checksum",        # bad checksum
        "icps_badlen",          # calculated bound mismatch
        "icps_reflect",         # number of responses
        "icps_inhist",          # [ICMP_MAXTYPE + 1]
        "icps_bmcastecho",      # b/mcast echo requests dropped
        "icps_bmcasttstamp",    # b/mcast tstamp requests dropped
        "icps_badaddr",         # bad return address
        "icps_noroute",         # no route back
        # kamebox: the reasons FreeBSD leaves uncounted
        "icps_canterror",       # no error about a b/mcast packet or a later fragment
        "icps_toofreq",         # no response because of the rate limit
    )

    def __init__(self) -> None:
        for n in self.__slots__:
            setattr(self, n, [0] * (ICMP_MAXTYPE + 1) if n in ("icps_outhist", "icps_inhist")
                    else 0)

    def as_dict(self) -> dict[str, Any]:
        return {n: (list(v) if isinstance(v := getattr(self, n), list) else v)
                for n in self.__slots__}


class icmp_vars:
    """ICMP tunables and the rate limiter (``k.icmp``)."""

    def __init__(self) -> None:
        self.icmplim = 200              # net.inet.icmp.icmplim: responses per second
        self.icmplim_output = 1         # net.inet.icmp.icmplim_output: say when limiting
        self.icmpbmcastecho = 0         # net.inet.icmp.bmcastecho
        self.icmp_quotelen = 8          # net.inet.icmp.quotelen
        self.lticks = [0] * BANDLIM_MAX     # the second each limiter counts in
        self.lpackets = [0] * BANDLIM_MAX


def icmp_init(k: "Kernel") -> None:
    k.icmpstat = icmpstat()
    k.icmp = icmp_vars()
    p = "net.inet.icmp."
    v = k.icmp
    SYSCTL_INT(k, p + "icmplim", v, "icmplim", "Maximum number of ICMP responses per second")
    SYSCTL_INT(k, p + "icmplim_output", v, "icmplim_output",
               "Enable logging of ICMP response rate limiting")
    SYSCTL_INT(k, p + "bmcastecho", v, "icmpbmcastecho",
               "Reply to multicast and broadcast ICMP echo requests")
    SYSCTL_INT(k, p + "quotelen", v, "icmp_quotelen",
               "Number of bytes from original packet to quote in ICMP reply",
               check=lambda x: 8 <= x <= 548)
    SYSCTL_STRUCT(k, p + "stats", lambda: k.icmpstat, "ICMP statistics (struct icmpstat)")


def badport_bandlim(k: "Kernel", which: int) -> int:
    """0 to send the response, -1 when over net.inet.icmp.icmplim this second
    (FreeBSD's message the next second, with icmplim_output)."""
    v = k.icmp
    if v.icmplim <= 0:
        return 0
    sec = k.now() // SEC
    if sec != v.lticks[which]:
        if v.lpackets[which] > v.icmplim and v.icmplim_output:
            k.printf(f"Limiting {_BANDLIM_NAMES[which]} from {v.lpackets[which]} to "
                     f"{v.icmplim} packets/sec\n")
        v.lticks[which] = sec
        v.lpackets[which] = 0
    v.lpackets[which] += 1
    if v.lpackets[which] > v.icmplim:
        k.icmpstat.icps_toofreq += 1
        return -1
    return 0


# -- input ----------------------------------------------------------------------------------------
def icmp_input(k: "Kernel", m: mbuf, off: int, proto: int) -> int:
    """inetsw[IPPROTO_ICMP]."""
    st = k.icmpstat
    icmplen = m.m_len - off
    if icmplen < ICMP_MINLEN:
        st.icps_tooshort += 1
        return IPPROTO_DONE
    b = m.buf
    base = m.off + off
    mv = memoryview(b)
    try:
        bad = in_cksum(mv[base:base + icmplen]) != 0
    finally:
        mv.release()
    if bad:
        st.icps_checksum += 1
        return IPPROTO_DONE
    itype = b[base]
    code = b[base + 1]
    if itype > ICMP_MAXTYPE:
        _raw(k, m, off)
        return IPPROTO_DONE
    st.icps_inhist[itype] += 1

    if itype == ICMP_ECHO:
        if not k.icmp.icmpbmcastecho and m.m_flags & (M_BCAST | M_MCAST):
            st.icps_bmcastecho += 1
            return IPPROTO_DONE
        if badport_bandlim(k, BANDLIM_ICMP_ECHO) < 0:
            return IPPROTO_DONE
        # RFC 792: "the type code changed to 0"; identifier, sequence and data echoed
        b[base] = ICMP_ECHOREPLY
        st.icps_reflect += 1
        st.icps_outhist[ICMP_ECHOREPLY] += 1
        icmp_reflect(k, m, off)
        return IPPROTO_DONE

    prc = -1
    if itype == ICMP_UNREACH:
        prc = _UNREACH_PRC.get(code, -1)
    elif itype == ICMP_TIMXCEED:
        prc = PRC_TIMXCEED_INTRANS + code if code <= 1 else -1
    elif itype == ICMP_PARAMPROB:
        prc = PRC_PARAMPROB if code <= 2 else -1
    elif itype == ICMP_SOURCEQUENCH:
        if code:
            st.icps_badcode += 1
            return IPPROTO_DONE
    if itype in (ICMP_UNREACH, ICMP_TIMXCEED, ICMP_PARAMPROB):
        if prc < 0:
            st.icps_badcode += 1
            return IPPROTO_DONE
        if not icmp_notify(k, m, off, icmplen, prc):
            return IPPROTO_DONE
    _raw(k, m, off)
    return IPPROTO_DONE


def icmp_notify(k: "Kernel", m: mbuf, off: int, icmplen: int, prc: int) -> bool:
    """"Problem with datagram; advise higher level routines": the quoted IP
    header must be whole, with 64 bits of data (RFC 792).  False when dropped."""
    st = k.icmpstat
    b = m.buf
    q = m.off + off + ICMP_MINLEN
    if icmplen < ICMP_ADVLENMIN:
        st.icps_badlen += 1
        return False
    qhl = (b[q] & 0x0F) << 2
    if qhl < IP_HDR_LEN or icmplen < ICMP_MINLEN + qhl + 8:
        st.icps_badlen += 1
        return False
    qdst = bytes(b[q + 16:q + 20])
    if IN_MULTICAST(qdst):
        st.icps_badcode += 1                    # "Discard ICMP's in response to multicast packets"
        return False
    qp = b[q + 9]
    ctl = k.inet_ctlinput[qp]
    if ctl is not None:
        ctl(k, prc, sockaddr_in(qdst), bytes(b[q:m.off + m.m_len]))
    return True


def _raw(k: "Kernel", m: mbuf, off: int) -> None:
    from kernel.netinet.raw_ip import rip_input
    rip_input(k, m, off, IPPROTO_ICMP)


# -- output: reflect, errors -----------------------------------------------------------------------
def icmp_reflect(k: "Kernel", m: mbuf, off: int) -> None:
    """Send the ICMP message at ``off`` in ``m`` back to the packet's source,
    from the address it was sent to (or, for one of our broadcast addresses,
    the address of that subnet; for a packet in transit, of the interface
    towards the source).  IP options are not reflected."""
    st = k.icmpstat
    b = m.buf
    o = m.off
    src = bytes(b[o + 12:o + 16])
    dst = bytes(b[o + 16:o + 20])
    if IN_MULTICAST(src) or IN_EXPERIMENTAL(src) or IN_ZERONET(src):
        st.icps_badaddr += 1                    # "Bad return address"
        return
    ia = _in.in_localip(k, dst)
    if ia is None and m.rcvif is not None:
        ia = next((x for x in _in.in_ifaddrs(k, m.rcvif) if x.ia_broadaddr == dst), None)
    if ia is None:
        from kernel.netinet.ip_input import ip_rtaddr
        ia = ip_rtaddr(k, src)
        if ia is None:
            st.icps_noroute += 1
            return
    icmplen = m.m_len - off
    n = mbuf(b[o + off:o + m.m_len], leading=MLEADING)
    p = n.m_prepend(IP_HDR_LEN)
    nb = n.buf
    nb[p:p + IP_HDR_LEN] = bytes(IP_HDR_LEN)
    nb[p + 1] = b[o + 1]                        # the type of service is kept
    nb[p + 8] = k.ip.ip_defttl
    nb[p + 9] = IPPROTO_ICMP
    nb[p + 12:p + 16] = ia.ia_addr
    nb[p + 16:p + 20] = src
    icmp_send(k, n, icmplen)


def icmp_send(k: "Kernel", m: mbuf, icmplen: int) -> int:
    """Checksum the ICMP message after the 20-byte header in ``m`` and send it."""
    icmp_cksum_into(m.buf, m.off + IP_HDR_LEN, icmplen)
    m.m_flags &= ~(M_BCAST | M_MCAST)
    return ip_output(k, m)


def icmp_error(k: "Kernel", m: mbuf, type: int, code: int, param: int = 0, mtu: int = 0) -> None:
    """Send an ICMP error about the packet in ``m`` (which starts at its IP
    header) to its source: ``param`` is the Parameter Problem pointer,
    ``mtu`` the next-hop MTU of "fragmentation needed" (RFC 1191 4)."""
    st = k.icmpstat
    st.icps_error += 1
    b = m.buf
    o = m.off
    if m.m_len < IP_HDR_LEN:
        st.icps_oldshort += 1
        return
    ohl = (b[o] & 0x0F) << 2
    ip_off = (b[o + 6] << 8) | b[o + 7]
    osrc = bytes(b[o + 12:o + 16])
    odst = bytes(b[o + 16:o + 20])
    # RFC 1122 3.2.2: not about a non-initial fragment, a link-layer broadcast
    # or multicast, an IP broadcast or multicast destination ...
    if ip_off & IP_OFFMASK or m.m_flags & (M_BCAST | M_MCAST) or IN_MULTICAST(odst) \
            or _in.in_broadcast(odst, m.rcvif):
        st.icps_canterror += 1
        return
    # ... a source that "does not define a single host" ...
    if IN_ZERONET(osrc) or IN_MULTICAST(osrc) or IN_EXPERIMENTAL(osrc) or \
            (m.rcvif is not None and _in.in_broadcast(osrc, m.rcvif) and osrc != INADDR_ANY):
        st.icps_badaddr += 1
        return
    # ... or an ICMP error message.
    if b[o + 9] == IPPROTO_ICMP and type != ICMP_REDIRECT and m.m_len >= ohl + ICMP_MINLEN \
            and not ICMP_INFOTYPE(b[o + ohl]):
        st.icps_oldicmp += 1
        return
    if m.m_len < ohl + 8 and m.m_len < ((b[o + 2] << 8) | b[o + 3]):
        st.icps_oldshort += 1                   # "IP header plus 8 bytes" are not there
        return
    quote = min(ohl + k.icmp.icmp_quotelen, m.m_len)
    st.icps_outhist[type] += 1
    if type == ICMP_PARAMPROB:
        rest = (param & 0xFF) << 24             # icmp_pptr
        code = 0
    elif type == ICMP_UNREACH and code == ICMP_UNREACH_NEEDFRAG and mtu:
        rest = mtu & 0xFFFF                     # RFC 1191 4: icmp_nextmtu
    else:
        rest = 0
    body = bytearray(ICMP_MINLEN + quote)
    icmp_hdr.pack_into(body, 0, type, code, 0, rest)
    body[ICMP_MINLEN:] = b[o:o + quote]
    n = mbuf(body, leading=MLEADING)
    n.rcvif = m.rcvif
    p = n.m_prepend(IP_HDR_LEN)
    nb = n.buf
    nb[p:p + IP_HDR_LEN] = bytes(IP_HDR_LEN)
    nb[p + 9] = IPPROTO_ICMP
    # the invoking packet's addresses: icmp_reflect answers its source from
    # the address it was sent to (or the interface towards the source)
    nb[p + 12:p + 16] = osrc
    nb[p + 16:p + 20] = odst
    icmp_reflect(k, n, IP_HDR_LEN)


__all__ = ["icmpstat", "icmp_vars", "icmp_init", "icmp_input", "icmp_error", "icmp_reflect",
           "icmp_send", "badport_bandlim", "BANDLIM_ICMP_UNREACH", "BANDLIM_ICMP_ECHO"]
