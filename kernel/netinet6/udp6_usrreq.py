"""UDP over IPv6 (sys/netinet6/udp6_usrreq.c, netinet/udp_usrreq.c).

``udp6_input`` checks length and checksum (RFC 768; RFC 8200 8.1: the
checksum is mandatory over IPv6, a zero one is discarded), delivers a
multicast datagram to every socket bound to its port (RFC 3493), a unicast
one to the connected socket or the best wildcard, and answers a datagram
for a port nobody has with Destination Unreachable code 4 (RFC 4443 3.1).
``udp6_output`` builds header and checksum (0 is sent as 0xFFFF), picks the
source (RFC 6724 through ``in6_selectsrc``) and hop limit, and calls
``ip6_output``.  The user requests (``udp6_usrreqs``) are BSD's.  Counters
are FreeBSD's ``udpstat`` (sysctl net.inet.udp.stats).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from kernel.kern.kern_sysctl import SYSCTL_STRUCT
from kernel.kern.uipc_mbuf import M_MCAST, mbuf
from kernel.netinet6.in6_pcb import (in6_checkzone, in6_fillzone, in6_pcballoc, in6_pcbbind, in6_pcbconnect,
                                     in6_pcbdetach, in6_pcbdisconnect, in6_pcbladdr,
                                     in6_pcblookup, in6_pcbnotify, in6_pcbsetport, in6_peeraddr,
                                     in6_pktinfo_src, in6_sockaddr, in6_v4mapped_check, inpcbinfo)
from kernel.netinet6.ip6_output import ip6_ctloutput, ip6_output, ip6_savecontrol, ip6_setpktopts
from kernel.net.route import rtalloc1
from kernel.netinet6 import in6 as _in6, nd6 as _nd6
from kernel.netinet6 import in6_mcast as _in6_mcast
from kernel.netinet6.ip6_var import ip6_moptions
from kernel.netipsec.ipsec import ipsec_in_reject_so
from kernel.wire import errno
from kernel.wire.icmp6 import ICMP6_DST_UNREACH, ICMP6_DST_UNREACH_NOPORT
from kernel.wire.in6 import IN6ADDR_ANY, in6_is_scoped, sockaddr_in6
from kernel.wire.in6_addrsel import SIOCAADDRCTL_POLICY, SIOCDADDRCTL_POLICY
from kernel.wire.in_cksum import in6_cksum
from kernel.wire.ip6 import IP6_HDR_LEN, IPPROTO_DONE, IPPROTO_UDP, ip6_hdr
from kernel.wire.udp import UDP_HDR_LEN, udphdr
from kernel.netipsec.udpencap import INP_ESPINUDP   # in6p_flags: UDP_ENCAP is set

if TYPE_CHECKING:  # pragma: no cover
    from kernel.kern.init_main import Kernel

UDP6_SENDSPACE = 9216                         # net.inet.udp.maxdgram
UDP6_RECVSPACE = 40 * (1024 + 28)             # net.inet.udp.recvspace


class udpstat:
    """``struct udpstat`` (FreeBSD netinet/udp_var.h)."""

    __slots__ = ("udps_ipackets", "udps_hdrops", "udps_badsum", "udps_nosum", "udps_badlen",
                 "udps_noport", "udps_noportbcast", "udps_fullsock", "udpps_pcbcachemiss",
                 "udpps_pcbhashmiss", "udps_opackets", "udps_fastout", "udps_noportmcast",
                 "udps_filtermcast")

    def __init__(self) -> None:
        for n in self.__slots__:
            setattr(self, n, 0)

    def as_dict(self) -> dict[str, int]:
        return {n: getattr(self, n) for n in self.__slots__}


def _state(k: "Kernel") -> inpcbinfo:
    info = getattr(k, "udbinfo", None)
    if info is None:
        k.udbinfo = info = inpcbinfo("udp")
        k.udpstat = udpstat()
        SYSCTL_STRUCT(k, "net.inet.udp.stats", lambda: k.udpstat, "UDP statistics (struct udpstat)")
    return info


def udp6_init(k: "Kernel") -> None:
    """pr_init: the PCB list and counters of this kernel."""
    _state(k)


# -- input -----------------------------------------------------------------------------------
def udp6_input(k: "Kernel", m: mbuf, off: int, proto: int) -> int:
    """inet6sw[IPPROTO_UDP]."""
    info = _state(k)
    st = k.udpstat
    st.udps_ipackets += 1
    plen = m.m_len - off
    if plen < UDP_HDR_LEN:
        st.udps_hdrops += 1
        return IPPROTO_DONE
    b = m.buf
    o = m.off
    sport, dport, ulen, sum_ = udphdr.unpack_from(b, o + off)
    # RFC 768: the length covers header and data; it must match what IPv6 carried.
    if ulen != plen:
        st.udps_badlen += 1
        return IPPROTO_DONE
    # RFC 8200 8.1: "IPv6 receivers must discard UDP packets containing a zero checksum"
    if sum_ == 0:
        st.udps_nosum += 1
        return IPPROTO_DONE
    if in6_cksum(b, o, IPPROTO_UDP, o + off, ulen) != 0:
        st.udps_badsum += 1
        return IPPROTO_DONE
    _flow, _plen, _nxt, hlim, src, dst = ip6_hdr.unpack_from(b, o)
    ifp = m.rcvif
    zone = ifp.if_index if ifp is not None and in6_is_scoped(src) else 0
    dzone = ifp.if_index if ifp is not None and in6_is_scoped(dst) else 0
    tclass = ((_flow >> 20) & 0xFF)
    frm = sockaddr_in6(src, sport, 0, zone)
    data_off = off + UDP_HDR_LEN

    if dst[0] == 0xFF:
        # RFC 3493 / BSD: a copy for every socket bound to the port and the group
        # (or the unspecified address), and matching the peer if connected.
        targets = []
        for inp in info.ipi_porthash.get(dport, ()):
            if inp.in6p_laddr not in (IN6ADDR_ANY, dst):
                continue
            if inp.in6p_faddr != IN6ADDR_ANY and (inp.in6p_faddr != src or inp.in6p_fport != sport):
                continue
            im6o = inp.in6p_moptions
            # RFC 3678: the socket's membership and source filter (im6o_mc_filter)
            if im6o is not None and im6o.im6o_memberships and ifp is not None and \
                    _in6_mcast.im6o_mc_filter(im6o, ifp, dst, src) != _in6_mcast.MCAST_PASS:
                st.udps_filtermcast += 1
                continue
            targets.append(inp)
        if not targets:
            st.udps_noportmcast += 1
            return IPPROTO_DONE
        for inp in targets:
            _deliver(k, inp, m, data_off, frm, hlim, dst, tclass)
        return IPPROTO_DONE

    inp = in6_pcblookup(info, src, sport, dst, dport, dzone)
    if inp is None:
        st.udps_noport += 1
        if m.m_flags & M_MCAST:
            st.udps_noportbcast += 1
            return IPPROTO_DONE
        # RFC 4443 3.1: code 4, "if the transport protocol ... has no listener"
        from kernel.netinet6.icmp6 import icmp6_error
        icmp6_error(k, m, ICMP6_DST_UNREACH, ICMP6_DST_UNREACH_NOPORT, 0)
        return IPPROTO_DONE
    if inp.in6p_flags & INP_ESPINUDP:
        # RFC 3948 over IPv6 (as Linux and strongSwan): ESP and keepalives
        # stay in netipsec/udpencap.py, IKE goes on to the socket
        from kernel.netipsec.udpencap import udp_ipsec_input
        if udp_ipsec_input(k, m, off):
            return IPPROTO_DONE
    _deliver(k, inp, m, data_off, frm, hlim, dst, tclass)
    return IPPROTO_DONE


def _deliver(k: "Kernel", inp: Any, m: mbuf, data_off: int, frm: sockaddr_in6, hlim: int,
             dst: bytes, tclass: int) -> None:
    from kernel.kern.uipc_socket2 import sbappendaddr, sorwakeup
    so = inp.in6p_socket
    if so is None:
        return
    if ipsec_in_reject_so(k, m, inp):
        return                  # RFC 4301 5.2 for this socket (FreeBSD udp6_input: ipsec6_in_reject)
    n = mbuf(m.buf[m.off + data_off:m.off + m.m_len], leading=0)
    n.rcvif = m.rcvif
    n.m_flags = m.m_flags
    control = ip6_savecontrol(inp, m, hlim, dst, tclass, data_off - UDP_HDR_LEN)
    if not sbappendaddr(so.so_rcv, frm, n, control):
        k.udpstat.udps_fullsock += 1
        return
    sorwakeup(so)


# -- errors ----------------------------------------------------------------------------------
def udp6_notify(inp: Any, err: int) -> None:
    from kernel.kern.uipc_socket2 import sorwakeup, sowwakeup
    so = inp.in6p_socket
    if so is not None:
        so.so_error = err
        sorwakeup(so)
        sowwakeup(so)


def udp6_ctlinput(k: "Kernel", cmd: int, sa: sockaddr_in6, ip6cp: Any) -> None:
    """ICMPv6 errors about a datagram we sent: tell the connected socket."""
    info = _state(k)
    sport = dport = 0
    m = ip6cp.ip6c_m
    uoff = ip6cp.ip6c_off
    if m is not None and m.m_len >= uoff + 4:
        sport, dport = udphdr.unpack_from(m.buf, m.off + uoff)[:2]
    in6_pcbnotify(info, sa.sin6_addr, dport, ip6cp.ip6c_src, sport, cmd, udp6_notify,
                  ip6cp.ip6c_cmdarg or 0)


# -- output ----------------------------------------------------------------------------------
def udp6_output(inp: Any, m: mbuf, addr: Any, control: Optional[list], td: Any) -> int:
    """Send the datagram in ``m`` (payload only, leading space for the headers)."""
    so = inp.in6p_socket
    k = so.so_kernel
    st = k.udpstat
    ulen = UDP_HDR_LEN + m.m_len
    if ulen > 0xFFFF:
        return errno.EMSGSIZE
    err, opts, cmsg_hlim = ip6_setpktopts(control, inp.in6p_outputopts, k, td)
    if err:
        return err
    if addr is not None:
        if inp.in6p_faddr != IN6ADDR_ANY:
            return errno.EISCONN
        if not isinstance(addr, sockaddr_in6):
            return errno.EAFNOSUPPORT
        err = in6_v4mapped_check(inp, addr.sin6_addr, errno.EINVAL)
        if err:
            return err
        addr = in6_fillzone(inp, addr, opts.ip6po_pktinfo if opts is not None else None)
        err, addr = in6_checkzone(k, addr)
        if err:
            return err
        if addr.sin6_port == 0:
            return errno.EINVAL
        faddr, fport = addr.sin6_addr, addr.sin6_port
        fzone = addr.sin6_scope_id if in6_is_scoped(faddr) else 0
    else:
        if inp.in6p_faddr == IN6ADDR_ANY:
            return errno.ENOTCONN
        faddr, fport, fzone = inp.in6p_faddr, inp.in6p_fport, inp.in6p_fzone
    pktinfo = opts.ip6po_pktinfo if opts is not None else None
    if pktinfo is not None and pktinfo.ipi6_addr != IN6ADDR_ANY:
        # RFC 3542 6.1: the source given must be one of our usable unicast addresses
        err = in6_pktinfo_src(k, pktinfo)
        if err:
            return err
        laddr = pktinfo.ipi6_addr
    else:
        if not fzone and pktinfo is not None and pktinfo.ipi6_ifindex and in6_is_scoped(faddr):
            fzone = pktinfo.ipi6_ifindex
        err, laddr = in6_pcbladdr(inp, k, faddr, fzone, opts)
        if err:
            return err
    if inp.in6p_lport == 0:
        err = in6_pcbsetport(inp, k)
        if err:
            return err
    im6o = inp.in6p_moptions
    if faddr[0] == 0xFF and im6o is None:
        im6o = ip6_moptions(None, k.ip6.ip6_defmcasthlim, 1)
    hlim = cmsg_hlim if cmsg_hlim >= 0 else in6_selecthlim(k, inp, faddr, fzone)
    tclass = opts.ip6po_tclass if opts is not None and opts.ip6po_tclass >= 0 else 0
    n = m.m_prepend(IP6_HDR_LEN + UDP_HDR_LEN)
    b = m.buf
    ip6_hdr.pack_into(b, n, 0x60000000 | (tclass << 20), ulen, IPPROTO_UDP, hlim, laddr, faddr)
    udphdr.pack_into(b, n + IP6_HDR_LEN, inp.in6p_lport, fport, ulen, 0)
    ck = in6_cksum(b, n, IPPROTO_UDP, n + IP6_HDR_LEN, ulen)
    udphdr.pack_into(b, n + IP6_HDR_LEN, inp.in6p_lport, fport, ulen, ck or 0xFFFF)
    st.udps_opackets += 1
    if cmsg_hlim >= 0 and faddr[0] == 0xFF:
        im6o = ip6_moptions(im6o.im6o_multicast_ifp, cmsg_hlim, im6o.im6o_multicast_loop)
    return ip6_output(k, m, opts, inp.in6p_route, 0, im6o, inp, fzone)


def in6_selecthlim(k: "Kernel", inp: Any, dst: bytes, zone: int) -> int:
    """KAME in6_selecthlim: IPV6_MULTICAST_HOPS / IPV6_UNICAST_HOPS, else the
    outgoing interface's CurHopLimit (RFC 4861 6.3.4), else net.inet6.ip6.hlim."""
    if dst[0] == 0xFF:
        im6o = inp.in6p_moptions
        return im6o.im6o_multicast_hlim if im6o is not None else k.ip6.ip6_defmcasthlim
    if inp is not None and inp.in6p_hops >= 0:
        return inp.in6p_hops
    rt = rtalloc1(k, dst, zone)
    if rt is not None and rt.rt_ifp is not None:
        chlim = _nd6.ND_IFINFO(rt.rt_ifp).chlim
        if chlim:
            return chlim
    return k.ip6.ip6_defhlim


# -- user requests -------------------------------------------------------------------------------
def udp6_attach(so: Any, proto: int, td: Any) -> int:
    from kernel.kern.uipc_socket2 import soreserve
    if so.so_pcb is not None:
        return errno.EINVAL
    err = soreserve(so, UDP6_SENDSPACE, UDP6_RECVSPACE)
    if err:
        return err
    in6_pcballoc(so, _state(so.so_kernel))
    return 0


def udp6_detach(so: Any) -> None:
    inp = so.so_pcb
    if inp is not None:
        in6_pcbdetach(inp)


def udp6_bind(so: Any, nam: Any, td: Any) -> int:
    inp = so.so_pcb
    return errno.EINVAL if inp is None else in6_pcbbind(inp, nam, so.so_kernel)


def udp6_connect(so: Any, nam: Any, td: Any) -> int:
    from kernel.kern.uipc_socket2 import soisconnected
    inp = so.so_pcb
    if inp is None:
        return errno.EINVAL
    if inp.in6p_faddr != IN6ADDR_ANY:
        return errno.EISCONN
    err = in6_pcbconnect(inp, nam, so.so_kernel)
    if err == 0:
        soisconnected(so)
    return err


def udp6_disconnect(so: Any) -> int:
    from kernel.kern.uipc_socket2 import SS_ISCONNECTED
    inp = so.so_pcb
    if inp is None:
        return errno.EINVAL
    if inp.in6p_faddr == IN6ADDR_ANY:
        return errno.ENOTCONN
    in6_pcbdisconnect(inp)
    so.so_state &= ~SS_ISCONNECTED          # BSD: "XXX" — not soisdisconnected()
    return 0


def udp6_send(so: Any, flags: int, m: mbuf, nam: Any, control: Optional[list], td: Any) -> int:
    inp = so.so_pcb
    if inp is None:
        return errno.EINVAL
    return udp6_output(inp, m, nam, control, td)


def udp6_shutdown(so: Any) -> int:
    from kernel.kern.uipc_socket2 import socantsendmore
    socantsendmore(so)
    return 0


def udp6_sockaddr(so: Any) -> sockaddr_in6:
    return in6_sockaddr(so.so_pcb) if so.so_pcb is not None else sockaddr_in6()


def udp6_peeraddr(so: Any) -> sockaddr_in6:
    inp = so.so_pcb
    if inp is None or inp.in6p_faddr == IN6ADDR_ANY:
        raise OSError(errno.ENOTCONN, "Socket is not connected")
    return in6_peeraddr(inp)


def in6_pru_control(so: Any, cmd: int, data: Any, ifp: Any, td: Any) -> Any:
    """ioctls on an AF_INET6 socket: the address selection policy
    (SIOCAADDRCTL_POLICY / SIOCDADDRCTL_POLICY, in6_src.c, privileged as in
    FreeBSD's in6_control), the interface ones in in6_control (in6.py)."""
    if cmd in (SIOCAADDRCTL_POLICY, SIOCDADDRCTL_POLICY):
        from kernel.kern.kern_proc import priv_check
        from kernel.netinet6.in6_src import in6_src_ioctl
        return priv_check(td) or in6_src_ioctl(so.so_kernel, cmd, data)
    return _in6.in6_control(so.so_kernel, cmd, data, ifp)


def _usrreqs() -> Any:
    from kernel.kern.uipc_domain import pr_usrreqs
    return pr_usrreqs(pru_attach=udp6_attach, pru_detach=udp6_detach, pru_bind=udp6_bind,
                      pru_connect=udp6_connect, pru_disconnect=udp6_disconnect,
                      pru_send=udp6_send, pru_shutdown=udp6_shutdown,
                      pru_sockaddr=udp6_sockaddr, pru_peeraddr=udp6_peeraddr,
                      pru_control=in6_pru_control)


try:
    udp6_usrreqs = _usrreqs()
except ImportError:  # pragma: no cover - no socket layer
    udp6_usrreqs = None


def udp6_ctloutput(so: Any, sopt: Any) -> int:
    """IPPROTO_UDP's options (UDP_ENCAP: udp_ipsec_pcbctl), the rest to ip6_ctloutput."""
    if sopt.sopt_level != IPPROTO_UDP:
        return ip6_ctloutput(so, sopt)
    if so.so_pcb is None:
        return errno.EINVAL
    from kernel.netipsec.udpencap import udp_ipsec_pcbctl
    return udp_ipsec_pcbctl(so.so_pcb, "in6p_flags", sopt)
