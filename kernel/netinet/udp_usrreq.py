"""UDP over IPv4 (sys/netinet/udp_usrreq.c).

``udp_input`` checks the length against IP's (RFC 768: "Length is the length
in octets of this user datagram including this header and the data"; longer
datagrams are trimmed, shorter ones dropped) and the checksum when there is
one (RFC 768: "An all zero transmitted checksum value means that the
transmitter generated no checksum"; RFC 1122 4.1.3.4: a present checksum
"MUST" be verified).  A datagram to a multicast or broadcast address goes to
every socket bound to its port (and its group, with IP_ADD_MEMBERSHIP on the
receiving interface), one to a unicast address to the connected socket or
the best wildcard; a datagram to a port nobody has gets Destination
Unreachable, port (RFC 1122 4.1.3.1: "SHOULD"), rate limited — never about a
broadcast or multicast.  ``udp_output`` builds the header and checksum (0
is sent as all ones, RFC 768), picks the source (``in_pcbladdr``), and needs
SO_BROADCAST for a broadcast destination (EACCES from ip_output).
``udp_ctloutput`` takes UDP_ENCAP (a key manager's NAT-T socket, RFC
3948); a unicast datagram to such a socket goes to ``udp_ipsec_input``
first (netipsec/udpencap.py), which keeps ESP and keepalives for itself.

The counters are FreeBSD's ``udpstat``, shared with UDP over IPv6
(``k.udpstat``, sysctl net.inet.udp.stats, created by udp6_usrreq.py).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from kernel.kern.kern_sysctl import SYSCTL_INT, SYSCTL_STRUCT
from kernel.kern.uipc_mbuf import M_BCAST, M_MCAST, mbuf
from kernel.netinet import in_ as _in, in_mcast as _in_mcast
from kernel.netinet.in_pcb import (in_pcballoc, in_pcbbind, in_pcbconnect, in_pcbdetach,
                                   in_pcbdisconnect, in_pcbfaddr, in_pcbladdr, in_pcblookup,
                                   in_getpeeraddr, in_getsockaddr, in_pcbnotify,
                                   in_pcbsetport, inpcbinfo, valid_sin)
from kernel.netinet.ip_icmp import BANDLIM_ICMP_UNREACH, badport_bandlim, icmp_error
from kernel.netinet.ip_input import ip_savecontrol
from kernel.netinet.ip_output import ip_ctloutput, ip_dontfrag, ip_output
from kernel.netinet.ip_var import IP_ALLOWBROADCAST, IP_ROUTETOIF
from kernel.netipsec.ipsec import ipsec_in_reject_so
from kernel.netipsec.udpencap import INP_ESPINUDP, udp_ipsec_input, udp_ipsec_pcbctl
from kernel.netinet6.udp6_usrreq import udpstat
from kernel.wire import errno
from kernel.wire.icmp import ICMP_UNREACH, ICMP_UNREACH_PORT
from kernel.wire.in_ import INADDR_ANY, sockaddr_in
from kernel.wire.ip import IP_HDR_LEN, IP_MAXPACKET, in4_cksum, ip_hdr
from kernel.wire.ip6 import IPPROTO_DONE, IPPROTO_UDP
from kernel.wire.socket import SO_BROADCAST, SO_DONTROUTE, SO_REUSEADDR, SO_REUSEPORT
from kernel.wire.udp import UDP_HDR_LEN, udphdr

if TYPE_CHECKING:  # pragma: no cover
    from kernel.kern.init_main import Kernel

UDP_SENDSPACE = 9216                          # net.inet.udp.maxdgram
UDP_RECVSPACE = 40 * (1024 + 16)              # net.inet.udp.recvspace


class udp_vars:
    def __init__(self) -> None:
        self.udp_cksum = 1                    # net.inet.udp.checksum: compute on output
        self.udp_sendspace = UDP_SENDSPACE
        self.udp_recvspace = UDP_RECVSPACE


def udp_init(k: "Kernel") -> None:
    """pr_init: the PCB list of this kernel; the counters shared with IPv6."""
    k.udbinfo4 = inpcbinfo("udp")
    k.udp = udp_vars()
    if getattr(k, "udpstat", None) is None:
        k.udpstat = udpstat()
        SYSCTL_STRUCT(k, "net.inet.udp.stats", lambda: k.udpstat, "UDP statistics (struct udpstat)")
    p = "net.inet.udp."
    SYSCTL_INT(k, p + "checksum", k.udp, "udp_cksum", "compute udp checksum")
    SYSCTL_INT(k, p + "maxdgram", k.udp, "udp_sendspace", "Maximum outgoing UDP datagram size",
               check=lambda x: 0 < x <= IP_MAXPACKET)
    SYSCTL_INT(k, p + "recvspace", k.udp, "udp_recvspace", "Maximum space for incoming UDP datagrams",
               check=lambda x: x > 0)


# -- input -------------------------------------------------------------------------------------
def udp_input(k: "Kernel", m: mbuf, off: int, proto: int) -> int:
    """inetsw[IPPROTO_UDP]."""
    st = k.udpstat
    st.udps_ipackets += 1
    iplen = m.m_len - off
    if iplen < UDP_HDR_LEN:
        st.udps_hdrops += 1
        return IPPROTO_DONE
    b = m.buf
    o = m.off
    sport, dport, ulen, sum_ = udphdr.unpack_from(b, o + off)
    # RFC 768: the length covers header and data; it must fit what IP carried.
    if ulen != iplen:
        if ulen > iplen or ulen < UDP_HDR_LEN:
            st.udps_badlen += 1
            return IPPROTO_DONE
        m.m_len = off + ulen
    if sum_:
        if in4_cksum(b, o, IPPROTO_UDP, o + off, ulen) != 0:
            st.udps_badsum += 1               # RFC 1122 4.1.3.4: "silently discard"
            return IPPROTO_DONE
    else:
        st.udps_nosum += 1
    src = bytes(b[o + 12:o + 16])
    dst = bytes(b[o + 16:o + 20])
    ifp = m.rcvif
    frm = sockaddr_in(src, sport)
    info: inpcbinfo = k.udbinfo4
    if 224 <= dst[0] < 240 or _in.in_broadcast(dst, ifp):
        mcast = 224 <= dst[0] < 240
        targets = []
        for inp in info.ipi_porthash.get(dport, ()):
            if inp.inp_laddr not in (INADDR_ANY, dst):
                continue
            if inp.inp_faddr != INADDR_ANY and (inp.inp_faddr != src or inp.inp_fport != sport):
                continue
            if mcast:
                # only the sockets that joined the group on this interface (FreeBSD 7+)
                imo = inp.inp_moptions
                # and whose source filter lets ``src`` through (RFC 3678, imo_multi_filter)
                if imo is None or _in_mcast.imo_multi_filter(imo, ifp, dst, src) != \
                        _in_mcast.MCAST_PASS:
                    st.udps_filtermcast += 1
                    continue
            targets.append(inp)
            so = inp.inp_socket
            # "Don't look for additional matches if this one does not have
            # either the SO_REUSEPORT or SO_REUSEADDR socket options set."
            if so is None or not so.so_options & (SO_REUSEPORT | SO_REUSEADDR):
                break
        if not targets:
            # "No matching pcb found; discard datagram.  (No need to send an ICMP
            # Port Unreachable for a broadcast or multicast datgram.)"
            st.udps_noportbcast += 1
            if mcast:
                st.udps_noportmcast += 1
            return IPPROTO_DONE
        for inp in targets:
            _deliver(k, inp, m, off, frm)
        return IPPROTO_DONE
    inp = in_pcblookup(info, src, sport, dst, dport)
    if inp is None:
        st.udps_noport += 1
        if m.m_flags & (M_BCAST | M_MCAST):
            st.udps_noportbcast += 1
            return IPPROTO_DONE
        if badport_bandlim(k, BANDLIM_ICMP_UNREACH) < 0:
            return IPPROTO_DONE
        # RFC 1122 4.1.3.1: "If a datagram arrives addressed to a UDP port for
        # which there is no pending LISTEN call, UDP SHOULD send an ICMP Port
        # Unreachable message."
        icmp_error(k, m, ICMP_UNREACH, ICMP_UNREACH_PORT)
        return IPPROTO_DONE
    if inp.inp_flags & INP_ESPINUDP and udp_ipsec_input(k, m, off):
        return IPPROTO_DONE                   # RFC 3948: ESP or a keepalive (udpencap.py)
    _deliver(k, inp, m, off, frm)
    return IPPROTO_DONE


def _deliver(k: "Kernel", inp: Any, m: mbuf, off: int, frm: sockaddr_in) -> None:
    from kernel.kern.uipc_socket2 import sbappendaddr, sorwakeup
    so = inp.inp_socket
    if so is None:
        return
    if ipsec_in_reject_so(k, m, inp):
        return                  # RFC 4301 5.2 for this socket (FreeBSD udp_input: ipsec4_in_reject)
    n = mbuf(m.buf[m.off + off + UDP_HDR_LEN:m.off + m.m_len], leading=0)
    n.rcvif = m.rcvif
    n.m_flags = m.m_flags
    if not sbappendaddr(so.so_rcv, frm, n, ip_savecontrol(inp, m)):
        k.udpstat.udps_fullsock += 1
        return
    sorwakeup(so)


# -- errors --------------------------------------------------------------------------------------
def udp_notify(inp: Any, err: int) -> None:
    from kernel.kern.uipc_socket2 import sorwakeup, sowwakeup
    so = inp.inp_socket
    if so is not None:
        so.so_error = err
        sorwakeup(so)
        sowwakeup(so)


def udp_ctlinput(k: "Kernel", cmd: int, sa: sockaddr_in, ip: bytes) -> None:
    """An ICMP error about a datagram we sent (``ip``: its quoted IP header and
    at least 8 octets): tell the socket connected exactly so."""
    hl = (ip[0] & 0x0F) << 2
    if len(ip) < hl + 4:
        return
    sport, dport = udphdr.unpack_from(ip, hl)[:2]
    inp = in_pcblookup(k.udbinfo4, sa.sin_addr, dport, bytes(ip[12:16]), sport, wildcard=False)
    in_pcbnotify(inp, cmd, udp_notify)


# -- output --------------------------------------------------------------------------------------
def udp_output(inp: Any, m: mbuf, addr: Any, control: Optional[list], td: Any) -> int:
    """Send the datagram in ``m`` (payload only, leading space for the headers)."""
    so = inp.inp_socket
    k = so.so_kernel
    if control:
        return errno.EINVAL                   # no ancillary data on send (IP_SENDSRCADDR)
    ulen = UDP_HDR_LEN + m.m_len
    if ulen + IP_HDR_LEN > IP_MAXPACKET:
        return errno.EMSGSIZE
    if addr is not None:
        if inp.inp_faddr != INADDR_ANY:
            return errno.EISCONN
        sin = valid_sin(addr)
        if sin is None:
            return errno.EAFNOSUPPORT if not isinstance(addr, sockaddr_in) else errno.EINVAL
        if sin.sin_port == 0:
            return errno.EADDRNOTAVAIL
        faddr, fport = in_pcbfaddr(k, sin.sin_addr), sin.sin_port
        err, laddr = in_pcbladdr(inp, k, faddr)
        if err:
            return err
        if inp.inp_lport == 0:
            err = in_pcbsetport(inp, k)
            if err:
                return err
    else:
        if inp.inp_faddr == INADDR_ANY:
            return errno.ENOTCONN
        faddr, fport, laddr = inp.inp_faddr, inp.inp_fport, inp.inp_laddr
    n = m.m_prepend(IP_HDR_LEN + UDP_HDR_LEN)
    b = m.buf
    ip_hdr.pack_into(b, n, 0x45, inp.inp_ip_tos, IP_HDR_LEN + ulen, 0, ip_dontfrag(inp),
                     inp.inp_ip_ttl, IPPROTO_UDP, 0, laddr, faddr)
    udphdr.pack_into(b, n + IP_HDR_LEN, inp.inp_lport, fport, ulen, 0)
    if k.udp.udp_cksum:
        ck = in4_cksum(b, n, IPPROTO_UDP, n + IP_HDR_LEN, ulen)
        udphdr.pack_into(b, n + IP_HDR_LEN, inp.inp_lport, fport, ulen, ck or 0xFFFF)
    k.udpstat.udps_opackets += 1
    flags = (IP_ROUTETOIF if so.so_options & SO_DONTROUTE else 0) | \
        (IP_ALLOWBROADCAST if so.so_options & SO_BROADCAST else 0)
    return ip_output(k, m, None, inp.inp_route, flags, inp.inp_moptions, inp)


# -- user requests --------------------------------------------------------------------------------
def udp_attach(so: Any, proto: int, td: Any) -> int:
    from kernel.kern.uipc_socket2 import soreserve
    if so.so_pcb is not None:
        return errno.EINVAL
    k = so.so_kernel
    err = soreserve(so, k.udp.udp_sendspace, k.udp.udp_recvspace)
    if err:
        return err
    in_pcballoc(so, k.udbinfo4)
    return 0


def udp_detach(so: Any) -> None:
    inp = so.so_pcb
    if inp is not None:
        in_pcbdetach(inp)


def udp_bind(so: Any, nam: Any, td: Any) -> int:
    inp = so.so_pcb
    return errno.EINVAL if inp is None else in_pcbbind(inp, nam, so.so_kernel)


def udp_connect(so: Any, nam: Any, td: Any) -> int:
    from kernel.kern.uipc_socket2 import soisconnected
    inp = so.so_pcb
    if inp is None:
        return errno.EINVAL
    if inp.inp_faddr != INADDR_ANY:
        return errno.EISCONN
    err = in_pcbconnect(inp, nam, so.so_kernel)
    if err == 0:
        soisconnected(so)
    return err


def udp_disconnect(so: Any) -> int:
    from kernel.kern.uipc_socket2 import SS_ISCONNECTED
    inp = so.so_pcb
    if inp is None:
        return errno.EINVAL
    if inp.inp_faddr == INADDR_ANY:
        return errno.ENOTCONN
    in_pcbdisconnect(inp)
    inp.inp_laddr = INADDR_ANY                # FreeBSD: the local address is chosen again
    so.so_state &= ~SS_ISCONNECTED
    return 0


def udp_send(so: Any, flags: int, m: mbuf, nam: Any, control: Optional[list], td: Any) -> int:
    inp = so.so_pcb
    if inp is None:
        return errno.EINVAL
    return udp_output(inp, m, nam, control, td)


def udp_shutdown(so: Any) -> int:
    from kernel.kern.uipc_socket2 import socantsendmore
    socantsendmore(so)
    return 0


def in_pru_control(so: Any, cmd: int, data: Any, ifp: Any, td: Any) -> Any:
    """Interface ioctls on an AF_INET socket go to in_control (in_.py)."""
    return _in.in_control(so.so_kernel, cmd, data, ifp, td)


def _usrreqs() -> Any:
    from kernel.kern.uipc_domain import pr_usrreqs
    return pr_usrreqs(pru_attach=udp_attach, pru_detach=udp_detach, pru_bind=udp_bind,
                      pru_connect=udp_connect, pru_disconnect=udp_disconnect,
                      pru_send=udp_send, pru_shutdown=udp_shutdown,
                      pru_sockaddr=in_getsockaddr, pru_peeraddr=in_getpeeraddr,
                      pru_control=in_pru_control)


udp_usrreqs = _usrreqs()


def udp_ctloutput(so: Any, sopt: Any) -> int:
    """Socket options: IPPROTO_UDP's (UDP_ENCAP, RFC 3948: udp_ipsec_pcbctl),
    the rest to ip_ctloutput."""
    if sopt.sopt_level != IPPROTO_UDP:
        return ip_ctloutput(so, sopt)
    inp = so.so_pcb
    if inp is None:
        return errno.EINVAL
    return udp_ipsec_pcbctl(inp, "inp_flags", sopt)
