"""Raw IPv4 sockets (sys/netinet/raw_ip.c) — ping's ICMP socket among them.

A raw IPv4 socket receives the whole packet, IP header included, of its
protocol (0: every protocol), filtered by the addresses it is bound or
connected to; it sends a payload the kernel puts an IP header on — or, with
IP_HDRINCL, a whole packet (its length must match, a zero identification is
filled in, ``ips_rawout``).  Unlike ICMPv6 the kernel does not compute the
ICMP checksum: ping does (as FreeBSD's).  Raw sockets may always send to a
broadcast address (FreeBSD's IP_ALLOWBROADCAST in rip_output).

``rip_input`` is also the protocol switch's entry for every protocol nobody
else takes: when no socket wants the packet it counts ``ips_noproto`` and
answers Destination Unreachable, protocol (RFC 1122 3.2.2.1, FreeBSD 7+).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from kernel.kern.uipc_mbuf import mbuf
from kernel.kern.uipc_socket2 import sbappendaddr, sorwakeup
from kernel.netinet.in_pcb import (in_getpeeraddr, in_getsockaddr, in_pcballoc, in_pcbbind,
                                   in_pcbconnect, in_pcbdetach, in_pcbdisconnect, in_pcbfaddr,
                                   in_pcbnotify, inpcbinfo, valid_sin)
from kernel.netinet.ip_icmp import icmp_error
from kernel.netinet.ip_input import ip_savecontrol
from kernel.netinet.ip_output import ip_ctloutput, ip_dontfrag, ip_output
from kernel.netinet.ip_var import INP_HDRINCL, IP_ALLOWBROADCAST, IP_RAWOUTPUT, IP_ROUTETOIF
from kernel.wire import errno
from kernel.wire.icmp import ICMP_UNREACH, ICMP_UNREACH_PROTOCOL
from kernel.wire.in_ import INADDR_ANY, IP_HDRINCL, IPPROTO_IP, sockaddr_in
from kernel.wire.ip import IP_HDR_LEN, IP_MAXPACKET, ip_hdr
from kernel.wire.ip6 import IPPROTO_DONE
from kernel.wire.socket import SO_DONTROUTE

if TYPE_CHECKING:  # pragma: no cover
    from kernel.kern.init_main import Kernel

RIP_SENDSPACE = 9216                 # net.inet.raw.maxdgram
RIP_RECVSPACE = 9216                 # net.inet.raw.recvspace


def rip_init(k: "Kernel") -> None:
    """pr_init: the raw PCB list of this kernel."""
    k.ripcbinfo4 = inpcbinfo("raw")


def rip_input(k: "Kernel", m: mbuf, off: int, proto: int) -> int:
    """Deliver to the raw sockets of ``proto`` (the whole packet), or refuse."""
    info: inpcbinfo = k.ripcbinfo4
    b = m.buf
    o = m.off
    src = bytes(b[o + 12:o + 16])
    dst = bytes(b[o + 16:o + 20])
    matched = 0
    for inp in list(info.ipi_list):
        if inp.inp_ip_p and inp.inp_ip_p != proto:
            continue
        if inp.inp_laddr != INADDR_ANY and inp.inp_laddr != dst:
            continue
        if inp.inp_faddr != INADDR_ANY and inp.inp_faddr != src:
            continue
        matched += 1
        if inp.inp_sp is not None:
            # FreeBSD rip_input: the socket's own IPsec policy (IP_IPSEC_POLICY)
            from kernel.netipsec.ipsec import ipsec_in_reject_so
            if ipsec_in_reject_so(k, m, inp):
                continue
        so = inp.inp_socket
        n = mbuf(b[o:o + m.m_len], leading=0)
        n.rcvif = m.rcvif
        if not sbappendaddr(so.so_rcv, sockaddr_in(src), n, ip_savecontrol(inp, m)):
            k.count("rip_fullsock")
            continue
        sorwakeup(so)
    if matched:
        return IPPROTO_DONE
    if k.inetsw[proto] is rip_input:
        # no socket and no protocol: RFC 1122 3.2.2.1, code 2 "SHOULD" be sent
        k.ipstat.ips_noproto += 1
        k.ipstat.ips_delivered -= 1
        icmp_error(k, m, ICMP_UNREACH, ICMP_UNREACH_PROTOCOL)
    return IPPROTO_DONE


def rip_ctlinput(k: "Kernel", cmd: int, sa: sockaddr_in, ip: bytes) -> None:
    """An ICMP error about a packet a raw socket sent: tell the socket connected to it."""
    for inp in k.ripcbinfo4.ipi_list:
        if inp.inp_faddr == sa.sin_addr:
            from kernel.netinet.udp_usrreq import udp_notify
            in_pcbnotify(inp, cmd, udp_notify)


# -- output ----------------------------------------------------------------------------------
def rip_output(inp: Any, m: mbuf, addr: Any) -> int:
    """Put an IP header on the payload in ``m`` (or check the caller's, with
    IP_HDRINCL) and send it."""
    so = inp.inp_socket
    k = so.so_kernel
    if addr is not None:
        sin = valid_sin(addr)
        if sin is None:
            return errno.EAFNOSUPPORT if not isinstance(addr, sockaddr_in) else errno.EINVAL
        faddr = in_pcbfaddr(k, sin.sin_addr)
    else:
        if inp.inp_faddr == INADDR_ANY:
            return errno.ENOTCONN
        faddr = inp.inp_faddr
    flags = (IP_ROUTETOIF if so.so_options & SO_DONTROUTE else 0) | IP_ALLOWBROADCAST
    if not inp.inp_flags & INP_HDRINCL:
        if m.m_len + IP_HDR_LEN > IP_MAXPACKET:
            return errno.EMSGSIZE
        n = m.m_prepend(IP_HDR_LEN)
        ip_hdr.pack_into(m.buf, n, 0x45, inp.inp_ip_tos, m.m_len, 0, ip_dontfrag(inp),
                         inp.inp_ip_ttl, inp.inp_ip_p, 0, inp.inp_laddr, faddr)
    else:
        # "Don't allow both user specified and setsockopt options, and don't
        # allow packet length sizes that will crash"
        if m.m_len < IP_HDR_LEN:
            return errno.EINVAL
        b = m.buf
        o = m.off
        hl = (b[o] & 0x0F) << 2
        ip_len = (b[o + 2] << 8) | b[o + 3]
        if b[o] >> 4 != 4 or hl < IP_HDR_LEN or hl > m.m_len or ip_len != m.m_len:
            return errno.EINVAL
        if b[o + 4] == 0 and b[o + 5] == 0:
            from kernel.netinet.ip_output import ip_newid
            i = ip_newid(k)
            b[o + 4] = i >> 8
            b[o + 5] = i & 0xFF
        flags |= IP_RAWOUTPUT
        k.ipstat.ips_rawout += 1
    return ip_output(k, m, None, inp.inp_route, flags, inp.inp_moptions, inp)


# -- user requests and options ------------------------------------------------------------------
def rip_attach(so: Any, proto: int, td: Any) -> int:
    from kernel.kern.kern_proc import priv_check
    from kernel.kern.uipc_socket2 import soreserve
    if so.so_pcb is not None:
        return errno.EINVAL
    err = priv_check(td)                         # raw sockets are the superuser's
    if err:
        return err
    if not 0 <= proto <= 255:
        return errno.EPROTONOSUPPORT
    err = soreserve(so, RIP_SENDSPACE, RIP_RECVSPACE)
    if err:
        return err
    inp = in_pcballoc(so, so.so_kernel.ripcbinfo4)
    inp.inp_ip_p = proto
    return 0


def rip_detach(so: Any) -> None:
    inp = so.so_pcb
    if inp is not None:
        in_pcbdetach(inp)


def rip_bind(so: Any, nam: Any, td: Any) -> int:
    inp = so.so_pcb
    return errno.EINVAL if inp is None else in_pcbbind(inp, nam, so.so_kernel, noport=True)


def rip_connect(so: Any, nam: Any, td: Any) -> int:
    from kernel.kern.uipc_socket2 import soisconnected
    inp = so.so_pcb
    if inp is None:
        return errno.EINVAL
    err = in_pcbconnect(inp, nam, so.so_kernel, noport=True)
    if err == 0:
        soisconnected(so)
    return err


def rip_disconnect(so: Any) -> int:
    from kernel.kern.uipc_socket2 import SS_ISCONNECTED
    inp = so.so_pcb
    if inp is None or inp.inp_faddr == INADDR_ANY:
        return errno.ENOTCONN
    in_pcbdisconnect(inp)
    so.so_state &= ~SS_ISCONNECTED
    return 0


def rip_send(so: Any, flags: int, m: mbuf, nam: Any, control: Optional[list], td: Any) -> int:
    inp = so.so_pcb
    if inp is None:
        return errno.EINVAL
    if control:
        return errno.EINVAL
    if nam is not None and inp.inp_faddr != INADDR_ANY:
        return errno.EISCONN
    return rip_output(inp, m, nam)


def rip_ctloutput(so: Any, sopt: Any) -> int:
    """IP_HDRINCL, then ip_ctloutput."""
    inp = so.so_pcb
    if inp is None:
        return errno.EINVAL
    if sopt.sopt_level == IPPROTO_IP and sopt.sopt_name == IP_HDRINCL:
        if sopt.sopt_dir == 1:
            v = sopt.sopt_val
            if isinstance(v, bool) or not isinstance(v, int):
                return errno.EINVAL
            if v:
                inp.inp_flags |= INP_HDRINCL
            else:
                inp.inp_flags &= ~INP_HDRINCL
        else:
            sopt.sopt_val = 1 if inp.inp_flags & INP_HDRINCL else 0
        return 0
    return ip_ctloutput(so, sopt)


def _usrreqs() -> Any:
    from kernel.kern.uipc_domain import pr_usrreqs
    from kernel.netinet.udp_usrreq import in_pru_control, udp_shutdown
    return pr_usrreqs(pru_attach=rip_attach, pru_detach=rip_detach, pru_bind=rip_bind,
                      pru_connect=rip_connect, pru_disconnect=rip_disconnect,
                      pru_send=rip_send, pru_shutdown=udp_shutdown,
                      pru_sockaddr=in_getsockaddr, pru_peeraddr=in_getpeeraddr,
                      pru_control=in_pru_control)


rip_usrreqs = _usrreqs()
