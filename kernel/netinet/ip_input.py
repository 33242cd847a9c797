"""IPv4 input and forwarding (sys/netinet/ip_input.c).

``ip_init`` is the SYSINIT of the IPv4 core: tunables and counters, the
address list and routing table (in_.py, in_rmx.py), the protocol switch
``k.inetsw`` and the inet domain (in_proto.py), reassembly, sysctl nodes,
and ``ip_input`` registered for ethertype 0x0800.

``ip_input(ifp, m)`` checks the header as RFC 791 3.1 and RFC 1122 3.2.1
ask — version 4, IHL at least 5 and within the packet, the header checksum
(RFC 1122 3.2.1.2: "MUST verify ... and silently discard"), total length
at least the header and at most what arrived (longer is trimmed), 127/8
never from a wire and no multicast or class E source (RFC 1122 3.2.1.3) —
walks the options (``ip_dooptions``: every length is checked, so an option
loop cannot spin; RFC 1122 3.2.1.8 "MUST ignore" the unknown ones; source
routes are refused, RFC 7126 4.3/4.4), decides whether the packet is ours
(one of our addresses on any interface — the weak host model of RFC 1122
3.3.4.2, or the strong one with net.inet.ip.check_interface — a broadcast
address of the receiving interface, a group joined on it, 255.255.255.255),
reassembles fragments (ip_reass.py) and hands the packet to the protocol
switch, ``k.inetsw[p](k, m, hlen, p)``, through ``ip_deliver``, where
IPsec's inbound policy check sits (``k.ipsec4_in_reject``).  Not ours: ``ip_forward`` when
net.inet.ip.forwarding is set (RFC 1812 5.2-5.3: TTL decremented, Time
Exceeded at 1, Destination Unreachable when there is no route or the
packet is too big with DF), else dropped.

Every drop bumps a field of ``k.ipstat``.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from kernel.kern.kern_sysctl import CTLTYPE_INT, SYSCTL_INT, SYSCTL_PROC, SYSCTL_STRUCT
from kernel.kern.uipc_mbuf import M_BCAST, M_LOOP, M_MCAST, mbuf
from kernel.net.if_ethersubr import ether_register
from kernel.netinet import in_ as _in, in_rmx, ip_reass
from kernel.netinet.ip_var import (INP_RECVDSTADDR, INP_RECVIF, INP_RECVTTL, IP_FORWARDING,
                                   ip_vars, ipstat)
from kernel.wire import errno as E
from kernel.wire.ethernet import ETHERTYPE
from kernel.wire.icmp import (ICMP_PARAMPROB, ICMP_TIMXCEED, ICMP_TIMXCEED_INTRANS, ICMP_UNREACH,
                              ICMP_UNREACH_FILTER_PROHIB, ICMP_UNREACH_HOST,
                              ICMP_UNREACH_NEEDFRAG, ICMP_UNREACH_SRCFAIL)
from kernel.wire.in_ import (INADDR_ANY, INADDR_BROADCAST, IP_RECVDSTADDR, IP_RECVIF,
                             IP_RECVTTL, IPPROTO_IP)
from kernel.wire.ip import (IP_HDR_LEN, IP_MF, IP_OFFMASK, IPOPT_EOL, IPOPT_LSRR, IPOPT_MINOFF,
                            IPOPT_NOP, IPOPT_RR, IPOPT_SSRR, IPOPT_TS, IPOPT_TS_MINOFF,
                            IPTTLDEC, ip_hdr, ip_header_cksum)
from kernel.wire.net_if import IFF
from kernel.wire.route import RTF_GATEWAY, sockaddr_dl

if TYPE_CHECKING:  # pragma: no cover
    from kernel.kern.init_main import Kernel

_IFF_LOOPBACK = int(IFF.LOOPBACK)
_IFF_BROADCAST = int(IFF.BROADCAST)


# -- SYSINIT ----------------------------------------------------------------------------------
def ip_init(k: "Kernel") -> None:
    """Set up the IPv4 core of kernel ``k`` (BSD ip_init, in_init, icmp_init,
    udp_init, rip_init)."""
    if getattr(k, "ip", None) is not None:
        return
    from kernel.netinet import in_proto
    _in.in_init(k)
    k.ip = ip_vars()
    k.ip.ip_id = k.platform.rng.getrandbits(16)
    k.ipstat = ipstat()
    in_proto.in_proto_init(k)
    ip_reass.ip_reass_init(k)
    p = "net.inet.ip."
    v = k.ip
    bool_ = (lambda x: x in (0, 1))
    SYSCTL_INT(k, p + "forwarding", v, "ipforwarding", "Enable IP forwarding between interfaces",
               check=bool_)
    SYSCTL_INT(k, p + "ttl", v, "ip_defttl", "Maximum TTL on IP packets",
               check=lambda x: 1 <= x <= 255)
    SYSCTL_INT(k, p + "process_options", v, "ip_doopts",
               "Enable IP options processing ([LS]SRR, RR, TS)", check=lambda x: x in (0, 1, 2))
    SYSCTL_INT(k, p + "check_interface", v, "ip_checkinterface",
               "Verify packet arrives on correct interface", check=bool_)
    SYSCTL_INT(k, p + "maxfragpackets", v, "ip_maxfragpackets",
               "Maximum number of IPv4 fragment reassembly queue entries")
    SYSCTL_INT(k, p + "maxfrags", v, "ip_maxfrags",
               "Maximum number of IPv4 fragments allowed across all reassembly queues")
    SYSCTL_INT(k, p + "maxfragsperpacket", v, "ip_maxfragsperpacket",
               "Maximum number of IPv4 fragments allowed per packet", check=lambda x: x >= 0)
    SYSCTL_PROC(k, p + "fragpackets", CTLTYPE_INT, lambda: len(k.ipq.ipq),
                descr="Current number of IPv4 fragment reassembly queue entries")
    SYSCTL_STRUCT(k, p + "stats", lambda: k.ipstat, "IP statistics (struct ipstat)")
    ether_register(k, int(ETHERTYPE.IP), ip_input)


# -- input ------------------------------------------------------------------------------------
def ip_input(ifp: Any, m: mbuf) -> None:
    """Receive one IPv4 packet; ``m`` starts at the IP header (netisr context)."""
    k = ifp.kernel
    st = k.ipstat
    st.ips_total += 1
    m.rcvif = ifp
    n = m.m_len
    if n < IP_HDR_LEN:
        st.ips_tooshort += 1
        return
    b = m.buf
    o = m.off
    vhl, _tos, ip_len, _id, ip_off, _ttl, p, _sum, src, dst = ip_hdr.unpack_from(b, o)
    if vhl >> 4 != 4:
        st.ips_badvers += 1                     # RFC 791 3.1: Version 4
        return
    hlen = (vhl & 0x0F) << 2
    if hlen < IP_HDR_LEN or hlen > n:
        st.ips_badhlen += 1                     # RFC 791 3.1: IHL "minimum value ... is 5"
        return
    looped = ifp.if_flags & _IFF_LOOPBACK or m.m_flags & M_LOOP
    # RFC 1122 3.2.1.3 (g): 127/8 "MUST NOT appear outside a host"
    if (src[0] == 127 or dst[0] == 127) and not looped:
        st.ips_badaddr += 1
        return
    # RFC 1122 3.2.1.2: "A host MUST verify the IP header checksum on every
    # received datagram and silently discard every datagram that has a bad checksum."
    if ip_header_cksum(b, o, hlen) != 0:
        st.ips_badsum += 1
        return
    if ip_len < hlen:
        st.ips_badlen += 1
        return
    if n < ip_len:
        st.ips_tooshort += 1
        return
    if n > ip_len:
        m.m_len = ip_len                        # the link padded it: trim
    # RFC 1122 3.2.1.3: "A host MUST silently discard an incoming datagram
    # containing an IP source address that is invalid" — multicast, class E
    # and the limited broadcast.
    if src[0] >= 224:
        st.ips_badaddr += 1
        return
    if hlen > IP_HDR_LEN and ip_dooptions(k, m, hlen):
        return

    # Ours?
    ia = None
    ours = False
    v = k.ip
    st_in = k.inet
    if not st_in.in_ifaddrhead and not m.m_flags & (M_BCAST | M_MCAST):
        ours = True                             # no address yet: it may be for us (bootp)
    else:
        lst = st_in.in_ifaddrhash.get(dst)
        if lst:
            ia = lst[0]
            # RFC 1122 3.3.4.2: the strong ES model, as an option, when not a router
            if v.ip_checkinterface and not v.ipforwarding and not looped:
                ia = next((x for x in lst if x.ia_ifp is ifp), None)
            ours = ia is not None
        if not ours:
            if dst[0] >= 224 and dst[0] < 240:
                m.m_flags |= M_MCAST
                # "See if we belong to the destination multicast group on the arrival interface"
                if _in.inm_lookup(ifp, dst) is None:
                    st.ips_notmember += 1
                    return
                ours = True
            elif dst == INADDR_BROADCAST or dst == INADDR_ANY or (
                    ifp.if_flags & _IFF_BROADCAST and _in.in_broadcast(dst, ifp)):
                # the limited broadcast, or a broadcast address of this interface —
                # marked so, whatever the link layer said (RFC 1122 3.2.2, 3.2.2.6)
                m.m_flags |= M_BCAST
                ours = True
    if not ours:
        if not v.ipforwarding:
            st.ips_cantforward += 1
            return
        ip_forward(k, m, hlen)
        return
    if ia is not None:
        ia.ifa_ipackets += 1
        ia.ifa_ibytes += m.m_len
    if ip_off & (IP_MF | IP_OFFMASK):
        # RFC 791 3.2: reassemble; a datagram is delivered when complete
        m = ip_reass.ip_reass(k, m, hlen)
        if m is None:
            return
        hlen = (m.buf[m.off] & 0x0F) << 2
    st.ips_delivered += 1
    ip_deliver(k, m, hlen, p)


def ip_deliver(k: "Kernel", m: mbuf, hlen: int, p: int) -> None:
    """Hand the packet to protocol ``p`` (the tail of ip_input; IPsec's input
    continues here after ESP/AH transport mode).  First the inbound policy
    (ip_ipsec_input / ipsec4_in_reject, RFC 4301 5.2): a packet that should
    have been protected and was not is dropped (``in_polvio``)."""
    in_reject = getattr(k, "ipsec4_in_reject", None)
    if in_reject is not None and in_reject(k, m, hlen, p):
        return
    k.inetsw[p](k, m, hlen, p)


def ip_dooptions(k: "Kernel", m: mbuf, hlen: int) -> bool:
    """Check the options of the header in ``m`` (BSD ip_dooptions).  Returns
    True when the packet was dropped (counted; an ICMP error sent where one is
    due), False to go on."""
    doopts = k.ip.ip_doopts
    if doopts == 0:
        return False                            # net.inet.ip.process_options=0: ignore them
    st = k.ipstat
    if doopts == 2:
        st.ips_badoptions += 1
        _icmp_error(k, m, ICMP_UNREACH, ICMP_UNREACH_FILTER_PROHIB)
        return True
    b = m.buf
    base = m.off
    i = IP_HDR_LEN
    while i < hlen:
        opt = b[base + i]
        if opt == IPOPT_EOL:
            break
        if opt == IPOPT_NOP:
            i += 1
            continue
        # RFC 791 3.1: type, length (counting type and length), data
        if i + 1 >= hlen:
            return _badopt(k, m, i + 1)
        optlen = b[base + i + 1]
        if optlen < 2 or i + optlen > hlen:
            return _badopt(k, m, i + 1)
        if opt in (IPOPT_LSRR, IPOPT_SSRR):
            if optlen < 3:
                return _badopt(k, m, i + 1)
            if b[base + i + 2] < IPOPT_MINOFF:
                return _badopt(k, m, i + 2)
            # Source routing is refused (RFC 7126 4.3, 4.4): a router says so,
            # a host drops silently (FreeBSD net.inet.ip.sourceroute=0).
            if k.ip.ipforwarding:
                st.ips_badoptions += 1
                _icmp_error(k, m, ICMP_UNREACH, ICMP_UNREACH_SRCFAIL)
            else:
                st.ips_cantforward += 1
            return True
        if opt == IPOPT_RR:
            if optlen < 3:
                return _badopt(k, m, i + 1)
            if b[base + i + 2] < IPOPT_MINOFF:
                return _badopt(k, m, i + 2)
        elif opt == IPOPT_TS:
            if optlen < 4:
                return _badopt(k, m, i + 1)
            if b[base + i + 2] < IPOPT_TS_MINOFF:
                return _badopt(k, m, i + 2)
            # RFC 791 3.1: flag 0 (timestamps only), 1 (with addresses), 3 (prespecified)
            if b[base + i + 3] & 0x0F not in (0, 1, 3):
                return _badopt(k, m, i + 3)
        # RFC 1122 3.2.1.8: "The IP layer MUST ignore IP options it does not understand"
        i += optlen
    return False


def _badopt(k: "Kernel", m: mbuf, pointer: int) -> bool:
    """RFC 792 Parameter Problem: the pointer "identifies the octet where an error was detected"."""
    k.ipstat.ips_badoptions += 1
    _icmp_error(k, m, ICMP_PARAMPROB, 0, pointer)
    return True


def _icmp_error(k: "Kernel", m: mbuf, type: int, code: int, param: int = 0, mtu: int = 0) -> None:
    from kernel.netinet.ip_icmp import icmp_error
    icmp_error(k, m, type, code, param, mtu)


# -- forwarding ---------------------------------------------------------------------------------
def ip_forward(k: "Kernel", m: mbuf, hlen: int) -> None:
    """Forward a packet not for us (RFC 1812 5.2, 5.3)."""
    st = k.ipstat
    b = m.buf
    o = m.off
    dst = bytes(b[o + 16:o + 20])
    if m.m_flags & (M_BCAST | M_MCAST) or not _in.in_canforward(dst):
        st.ips_cantforward += 1                 # RFC 1812 5.3.7, 4.2.2.11: not these
        return
    # RFC 1812 5.3.1: "a router MUST ... discard [a datagram whose TTL would be
    # zero] and SHOULD generate an ICMP Time Exceeded message"
    if b[o + 8] <= IPTTLDEC:
        _icmp_error(k, m, ICMP_TIMXCEED, ICMP_TIMXCEED_INTRANS)
        return
    rt = in_rmx.in_rtalloc(k, dst)
    if rt is None:
        # RFC 1812 5.2.7.1: Host Unreachable, not Network Unreachable
        st.ips_noroute += 1
        _icmp_error(k, m, ICMP_UNREACH, ICMP_UNREACH_HOST)
        return
    # the header and 64 bits of data for an ICMP error, before the TTL changes (RFC 792)
    mcopy = mbuf(b[o:o + min(hlen + 8, m.m_len)])
    mcopy.rcvif = m.rcvif
    mcopy.m_flags = m.m_flags
    b[o + 8] -= IPTTLDEC
    from kernel.netinet.ip_output import ip_output
    err = ip_output(k, m, None, None, IP_FORWARDING)
    if err == 0:
        st.ips_forward += 1
        return
    st.ips_cantforward += 1
    if err == E.EMSGSIZE:
        # RFC 1191 4: "fragmentation needed and DF set" with the next-hop MTU
        # (ip_fragment counted it in ips_cantfrag)
        ifp = rt.rt_ifp
        mtu = rt.rt_mtu or (ifp.if_mtu if ifp is not None else 0)
        _icmp_error(k, mcopy, ICMP_UNREACH, ICMP_UNREACH_NEEDFRAG, 0, mtu)
    elif err in (E.ENOBUFS, E.EACCES):
        return                                  # RFC 1812 4.3.3.3: no Source Quench
    else:
        _icmp_error(k, mcopy, ICMP_UNREACH, ICMP_UNREACH_HOST)


def ip_rtaddr(k: "Kernel", dst: bytes) -> Any:
    """The address of the interface we would use to reach ``dst`` (BSD ip_rtaddr)."""
    rt = in_rmx.in_rtalloc(k, dst)
    if rt is None:
        return None
    if rt.rt_ifa is not None:
        return rt.rt_ifa
    if rt.rt_ifp is not None:
        gw = rt.rt_gateway if rt.rt_flags & RTF_GATEWAY else dst
        return _in.ifaof_ifpforaddr(rt.rt_ifp, gw)
    return None


# -- ancillary data ------------------------------------------------------------------------------
def ip_savecontrol(inp: Any, m: mbuf) -> Optional[list]:
    """The control messages a socket asked for (IP_RECVDSTADDR, IP_RECVTTL,
    IP_RECVIF) about the packet in ``m`` (which starts at its IP header)."""
    f = inp.inp_flags
    if not f & (INP_RECVDSTADDR | INP_RECVTTL | INP_RECVIF):
        return None
    b = m.buf
    o = m.off
    out = []
    if f & INP_RECVDSTADDR:
        out.append((IPPROTO_IP, IP_RECVDSTADDR, bytes(b[o + 16:o + 20])))
    if f & INP_RECVTTL:
        out.append((IPPROTO_IP, IP_RECVTTL, bytes((b[o + 8],))))
    if f & INP_RECVIF:
        ifp = m.rcvif
        sdl = sockaddr_dl(ifp.if_index, int(ifp.if_type), ifp.if_xname) if ifp is not None \
            else sockaddr_dl()
        out.append((IPPROTO_IP, IP_RECVIF, sdl.pack()))
    return out
