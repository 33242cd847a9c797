"""Raw IPv6 sockets (sys/netinet6/raw_ip6.c) — ping6's ICMPv6 socket among them.

RFC 3542 3: a raw socket receives the packets of its protocol without the
IPv6 header (and its extension headers); it sends a payload the kernel puts
an IPv6 header on.  For ICMPv6 the kernel always computes the checksum
(3.1) and ICMP6_FILTER (3.2) says which types a socket receives; for other
protocols IPV6_CHECKSUM names the offset of a checksum to compute and
verify.  Ancillary data and sticky options (RFC 3542 6-11: IPV6_PKTINFO,
IPV6_HOPLIMIT, IPV6_TCLASS, the extension headers, ...) as for UDP.

``rip6_input`` is also the protocol switch's entry for every protocol no
one else takes: when no raw socket wants the packet it counts
``rip6s_nosock`` and sends Parameter Problem code 1 (RFC 8200 4) pointing at
the Next Header field — except for No Next Header (RFC 8200 4.7).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from kernel.kern.uipc_mbuf import M_MCAST, mbuf
from kernel.kern.uipc_socket2 import sbappendaddr, sorwakeup
from kernel.netinet6.in6_pcb import (in6_checkzone, in6_fillzone, in6_pcballoc, in6_pcbbind, in6_pcbconnect,
                                     in6_pcbdetach, in6_pcbdisconnect, in6_pcbladdr,
                                     in6_pcbnotify, in6_peeraddr, in6_pktinfo_src, in6_sockaddr,
                                     in6_v4mapped_check, inpcbinfo)
from kernel.netinet6.ip6_output import ip6_ctloutput, ip6_output, ip6_savecontrol, ip6_setpktopts
from kernel.netinet6.ip6_var import ip6_moptions
from kernel.netinet6.udp6_usrreq import in6_selecthlim
from kernel.wire import errno
from kernel.wire.icmp6 import (ICMP6_FILTER, ICMP6_PARAM_PROB,
                               ICMP6_PARAMPROB_NEXTHEADER, icmp6_filter)
from kernel.wire.in6 import IN6ADDR_ANY, in6_is_scoped, sockaddr_in6
from kernel.wire.in6_sockopt import IPPROTO_IPV6, IPV6_CHECKSUM
from kernel.wire.in_cksum import in6_cksum
from kernel.wire.ip6 import IP6_HDR_LEN, IPPROTO_DONE, IPPROTO_ICMPV6, IPPROTO_NONE, ip6_hdr

if TYPE_CHECKING:  # pragma: no cover
    from kernel.kern.init_main import Kernel

RIPV6SNDQ = 8192
RIPV6RCVQ = 8192


_SA6CACHE_MAX = 64


def _info(k: "Kernel") -> inpcbinfo:
    info = getattr(k, "ripcbinfo", None)
    if info is None:
        k.ripcbinfo = info = inpcbinfo("raw")
        k.rip6_pcbs = info.ipi_list            # icmp6_input looks here before copying
        k.rip6_sa6cache = {}                   # (source, zone) -> sockaddr_in6 (_deliver)
    return info


def rip6_init(k: "Kernel") -> None:
    """pr_init: the raw PCB list of this kernel."""
    _info(k)


def _matches(inp: Any, proto: int, src: bytes, dst: bytes, zone: int) -> bool:
    if inp.in6p_ip6_nxt and inp.in6p_ip6_nxt != proto:
        return False
    if inp.in6p_laddr != IN6ADDR_ANY and inp.in6p_laddr != dst:
        return False
    if inp.in6p_faddr != IN6ADDR_ANY and inp.in6p_faddr != src:
        return False
    if inp.in6p_lzone and zone and inp.in6p_lzone != zone:
        return False
    return True


def _deliver(k: "Kernel", inp: Any, m: mbuf, off: int, hlim: int, src: bytes, dst: bytes,
             tclass: int) -> None:
    so = inp.in6p_socket
    if inp.in6p_sp is not None:
        # KAME rip6_input: the socket's own IPsec policy (IPV6_IPSEC_POLICY)
        from kernel.netipsec.ipsec import ipsec_in_reject_so
        if ipsec_in_reject_so(k, m, inp):
            return
    ifp = m.rcvif
    zone = ifp.if_index if ifp is not None and in6_is_scoped(src) else 0
    n = mbuf(memoryview(m.buf)[m.off + off:m.off + m.m_len], leading=0)
    n.rcvif = ifp
    # The source as a socket address: immutable, so the last ones made are kept.
    cache = k.rip6_sa6cache
    sa = cache.get((src, zone))
    if sa is None:
        if len(cache) >= _SA6CACHE_MAX:
            cache.clear()
        sa = cache[src, zone] = sockaddr_in6(src, 0, 0, zone)
    if not sbappendaddr(so.so_rcv, sa, n, ip6_savecontrol(inp, m, hlim, dst, tclass, off)):
        k.rip6stat.rip6s_fullsock += 1
        return
    sorwakeup(so)


def rip6_input(k: "Kernel", m: mbuf, off: int, proto: int) -> int:
    """inet6sw default entry: deliver to raw sockets of ``proto``, or refuse."""
    rs = k.rip6stat
    rs.rip6s_ipackets += 1
    info = getattr(k, "ripcbinfo", None)
    matched = 0
    if info is not None and info.ipi_list:
        flow, _p, _n, hlim, src, dst = ip6_hdr.unpack_from(m.buf, m.off)
        ifp = m.rcvif
        zone = ifp.if_index if ifp is not None and in6_is_scoped(dst) else 0
        for inp in list(info.ipi_list):
            if inp.in6p_ip6_nxt == IPPROTO_ICMPV6 or not _matches(inp, proto, src, dst, zone):
                continue
            matched += 1
            if inp.in6p_cksum != -1:
                rs.rip6s_isum += 1
                if in6_cksum(m.buf, m.off, proto, m.off + off, m.m_len - off) != 0:
                    rs.rip6s_badsum += 1
                    continue
            _deliver(k, inp, m, off, hlim, src, dst, (flow >> 20) & 0xFF)
    if matched:
        return IPPROTO_DONE                     # the protocol is known here: no error
    rs.rip6s_nosock += 1
    if m.m_flags & M_MCAST:
        rs.rip6s_nosockmcast += 1
    k.ip6stat.ip6s_delivered -= 1               # BSD: it was not delivered after all
    if proto == IPPROTO_NONE:
        return IPPROTO_DONE
    from kernel.netinet6.icmp6 import icmp6_error
    from kernel.netinet6.ip6_input import ip6_get_prevhdr
    icmp6_error(k, m, ICMP6_PARAM_PROB, ICMP6_PARAMPROB_NEXTHEADER, ip6_get_prevhdr(m, off))
    return IPPROTO_DONE


def icmp6_rip6_input(k: "Kernel", m: mbuf, off: int) -> None:
    """ICMPv6 to raw ICMPv6 sockets whose ICMP6_FILTER passes its type (RFC 3542 3.2)."""
    info = getattr(k, "ripcbinfo", None)
    if info is None or m.m_len < off + 1:
        return
    flow, _p, _n, hlim, src, dst = ip6_hdr.unpack_from(m.buf, m.off)
    itype = m.buf[m.off + off]
    ifp = m.rcvif
    zone = ifp.if_index if ifp is not None and in6_is_scoped(dst) else 0
    for inp in list(info.ipi_list):
        if inp.in6p_ip6_nxt != IPPROTO_ICMPV6 or not _matches(inp, IPPROTO_ICMPV6, src, dst, zone):
            continue
        f = inp.in6p_icmp6filt
        # ICMP6_FILTER_WILLPASS(itype, f), inline
        if f is not None and not f.icmp6_filt[itype >> 5] & (1 << (itype & 31)):
            continue
        k.rip6stat.rip6s_ipackets += 1
        _deliver(k, inp, m, off, hlim, src, dst, (flow >> 20) & 0xFF)


def rip6_ctlinput(k: "Kernel", cmd: int, sa: sockaddr_in6, ip6cp: Any) -> None:
    info = getattr(k, "ripcbinfo", None)
    if info is None:
        return
    from kernel.netinet6.udp6_usrreq import udp6_notify
    in6_pcbnotify(info, sa.sin6_addr, 0, ip6cp.ip6c_src, 0, cmd, udp6_notify,
                  ip6cp.ip6c_cmdarg or 0)


# -- output ----------------------------------------------------------------------------------
def _rip6_faddr(k: "Kernel", inp: Any, addr: sockaddr_in6, opts: Any) -> tuple[int, bytes, int]:
    """The destination of a send and its zone: (errno, address, zone)."""
    err = in6_v4mapped_check(inp, addr.sin6_addr, errno.EINVAL)
    if err:
        return err, IN6ADDR_ANY, 0
    addr = in6_fillzone(inp, addr, opts.ip6po_pktinfo if opts is not None else None)
    err, addr = in6_checkzone(k, addr)
    if err:
        return err, IN6ADDR_ANY, 0
    faddr = addr.sin6_addr
    return 0, faddr, addr.sin6_scope_id if in6_is_scoped(faddr) else 0


def rip6_output(inp: Any, m: mbuf, addr: Any, control: Optional[list], td: Any = None) -> int:
    """Put an IPv6 header on the payload in ``m`` and send it (RFC 3542 3)."""
    so = inp.in6p_socket
    k = so.so_kernel
    err, opts, cmsg_hlim = ip6_setpktopts(control, inp.in6p_outputopts, k, td)
    if err:
        return err
    if addr is not None:
        if not isinstance(addr, sockaddr_in6):
            return errno.EAFNOSUPPORT
        faddr = addr.sin6_addr
        if type(faddr) is bytes and len(faddr) == 16 and 0 < faddr[0] < 0xFE:
            # Global unicast (not ::, ::1, IPv4-mapped, link/site-local or
            # multicast): no zone to fill in, and it must carry none (RFC 4007
            # 6; what in6_fillzone and in6_checkzone decide for it).
            if addr.sin6_scope_id:
                return errno.EINVAL
            fzone = 0
        else:
            err, faddr, fzone = _rip6_faddr(k, inp, addr, opts)
            if err:
                return err
    else:
        if inp.in6p_faddr == IN6ADDR_ANY:
            return errno.ENOTCONN
        faddr, fzone = inp.in6p_faddr, inp.in6p_fzone
    pktinfo = opts.ip6po_pktinfo if opts is not None else None
    if pktinfo is not None and pktinfo.ipi6_addr != IN6ADDR_ANY:
        err = in6_pktinfo_src(k, pktinfo)        # RFC 3542 6.1
        if err:
            return err
        laddr = pktinfo.ipi6_addr
    else:
        if not fzone and pktinfo is not None and pktinfo.ipi6_ifindex and in6_is_scoped(faddr):
            fzone = pktinfo.ipi6_ifindex
        err, laddr = in6_pcbladdr(inp, k, faddr, fzone, opts)
        if err:
            return err
    proto = inp.in6p_ip6_nxt
    plen = m.m_len
    # RFC 3542 3.1: the kernel computes the ICMPv6 checksum; IPV6_CHECKSUM for others
    ckoff = 2 if proto == IPPROTO_ICMPV6 else inp.in6p_cksum
    if ckoff >= 0 and ckoff + 2 > plen:
        return errno.EINVAL
    hlim = cmsg_hlim if cmsg_hlim >= 0 else in6_selecthlim(k, inp, faddr, fzone)
    tclass = opts.ip6po_tclass if opts is not None and opts.ip6po_tclass >= 0 else 0
    n = m.m_prepend(IP6_HDR_LEN)
    b = m.buf
    ip6_hdr.pack_into(b, n, 0x60000000 | (tclass << 20), plen, proto, hlim, laddr, faddr)
    if ckoff >= 0:
        p = n + IP6_HDR_LEN + ckoff
        b[p] = b[p + 1] = 0
        ck = in6_cksum(b, n, proto, n + IP6_HDR_LEN, plen)
        b[p] = ck >> 8
        b[p + 1] = ck & 0xFF
    if proto == IPPROTO_ICMPV6 and plen:
        k.icmp6stat.icp6s_outhist[b[n + IP6_HDR_LEN]] += 1
    k.ip6stat.ip6s_rawout += 1
    im6o = inp.in6p_moptions
    if faddr[0] == 0xFF and (im6o is None or cmsg_hlim >= 0):
        base = im6o or ip6_moptions(None, k.ip6.ip6_defmcasthlim, 1)
        im6o = ip6_moptions(base.im6o_multicast_ifp, hlim, base.im6o_multicast_loop)
    return ip6_output(k, m, opts, inp.in6p_route, 0, im6o, inp, fzone)


# -- user requests and options -----------------------------------------------------------------
def rip6_attach(so: Any, proto: int, td: Any) -> int:
    from kernel.kern.kern_proc import priv_check
    from kernel.kern.uipc_socket2 import soreserve
    if so.so_pcb is not None:
        return errno.EINVAL
    err = priv_check(td)                         # raw sockets are the superuser's
    if err:
        return err
    err = soreserve(so, RIPV6SNDQ, RIPV6RCVQ)
    if err:
        return err
    inp = in6_pcballoc(so, _info(so.so_kernel))
    inp.in6p_ip6_nxt = proto
    if proto == IPPROTO_ICMPV6:
        inp.in6p_icmp6filt = icmp6_filter()      # RFC 3542 3.2: pass all by default
    return 0


def rip6_detach(so: Any) -> None:
    inp = so.so_pcb
    if inp is not None:
        in6_pcbdetach(inp)


def rip6_bind(so: Any, nam: Any, td: Any) -> int:
    inp = so.so_pcb
    return errno.EINVAL if inp is None else in6_pcbbind(inp, nam, so.so_kernel, noport=True)


def rip6_connect(so: Any, nam: Any, td: Any) -> int:
    from kernel.kern.uipc_socket2 import soisconnected
    inp = so.so_pcb
    if inp is None:
        return errno.EINVAL
    err = in6_pcbconnect(inp, nam, so.so_kernel, noport=True)
    if err == 0:
        soisconnected(so)
    return err


def rip6_disconnect(so: Any) -> int:
    from kernel.kern.uipc_socket2 import SS_ISCONNECTED
    inp = so.so_pcb
    if inp is None or inp.in6p_faddr == IN6ADDR_ANY:
        return errno.ENOTCONN
    in6_pcbdisconnect(inp)
    so.so_state &= ~SS_ISCONNECTED
    return 0


def rip6_send(so: Any, flags: int, m: mbuf, nam: Any, control: Optional[list], td: Any) -> int:
    inp = so.so_pcb
    if inp is None:
        return errno.EINVAL
    if nam is not None and inp.in6p_faddr != IN6ADDR_ANY:
        return errno.EISCONN
    return rip6_output(inp, m, nam, control, td)


def rip6_shutdown(so: Any) -> int:
    from kernel.kern.uipc_socket2 import socantsendmore
    socantsendmore(so)
    return 0


def rip6_sockaddr(so: Any) -> sockaddr_in6:
    return in6_sockaddr(so.so_pcb) if so.so_pcb is not None else sockaddr_in6()


def rip6_peeraddr(so: Any) -> sockaddr_in6:
    inp = so.so_pcb
    if inp is None or inp.in6p_faddr == IN6ADDR_ANY:
        raise OSError(errno.ENOTCONN, "Socket is not connected")
    return in6_peeraddr(inp)


def rip6_ctloutput(so: Any, sopt: Any) -> int:
    """ICMP6_FILTER (IPPROTO_ICMPV6 level), IPV6_CHECKSUM, then ip6_ctloutput."""
    inp = so.so_pcb
    if inp is None:
        return errno.EINVAL
    if sopt.sopt_level == IPPROTO_ICMPV6:
        if sopt.sopt_name != ICMP6_FILTER or inp.in6p_ip6_nxt != IPPROTO_ICMPV6:
            return errno.ENOPROTOOPT
        if sopt.sopt_dir == 1:
            v = sopt.sopt_val
            if v is None:
                inp.in6p_icmp6filt = icmp6_filter()
            elif isinstance(v, icmp6_filter):
                inp.in6p_icmp6filt = icmp6_filter(list(v.icmp6_filt))
            else:
                try:
                    inp.in6p_icmp6filt = icmp6_filter.unpack(v)
                except (ValueError, TypeError):
                    return errno.EINVAL
        else:
            f = inp.in6p_icmp6filt or icmp6_filter()
            sopt.sopt_val = icmp6_filter(list(f.icmp6_filt))
        return 0
    if sopt.sopt_level == IPPROTO_IPV6 and sopt.sopt_name == IPV6_CHECKSUM:
        if inp.in6p_ip6_nxt == IPPROTO_ICMPV6:
            return errno.EINVAL                  # RFC 3542 3.1: the kernel always does it
        if sopt.sopt_dir == 1:
            v = sopt.sopt_val
            if not isinstance(v, int) or isinstance(v, bool) or v < -1 or (v > 0 and v & 1):
                return errno.EINVAL              # RFC 3542 3.1: -1 or an even offset
            inp.in6p_cksum = v
        else:
            sopt.sopt_val = inp.in6p_cksum
        return 0
    return ip6_ctloutput(so, sopt)


def _usrreqs() -> Any:
    from kernel.kern.uipc_domain import pr_usrreqs
    from kernel.netinet6.udp6_usrreq import in6_pru_control
    return pr_usrreqs(pru_attach=rip6_attach, pru_detach=rip6_detach, pru_bind=rip6_bind,
                      pru_connect=rip6_connect, pru_disconnect=rip6_disconnect,
                      pru_send=rip6_send, pru_shutdown=rip6_shutdown,
                      pru_sockaddr=rip6_sockaddr, pru_peeraddr=rip6_peeraddr,
                      pru_control=in6_pru_control)


try:
    rip6_usrreqs = _usrreqs()
except ImportError:  # pragma: no cover - no socket layer
    rip6_usrreqs = None
