"""IPv4 output (sys/netinet/ip_output.c).

``ip_output(k, m, opt, ro, flags, imo, inp)`` sends a packet whose IP header
the caller filled in (TOS, DF, TTL, protocol, source — or 0.0.0.0 —,
destination): unless it is forwarded (``IP_FORWARDING``) or a raw header
(``IP_RAWOUTPUT``) it gets version, IHL and an identification; the total
length and checksum are set here.  The interface and next hop come from the
routing table (``in_rtalloc``; with ``IP_ROUTETOIF`` the interface on the
destination's subnet, TTL 1) or, for multicast, ``IP_MULTICAST_IF``; an
unset source becomes the address of that route (``rt_ifa``).  Then:

- multicast (RFC 1112 6): TTL from the socket (default 1), a copy looped
  back when we joined the group (IP_MULTICAST_LOOP), never sent with TTL 0;
- broadcast: only with ``IP_ALLOWBROADCAST`` (SO_BROADCAST), else EACCES;
  EADDRNOTAVAIL on an interface without broadcast; never fragmented;
- our own addresses (routes with RTF_LOCAL, or through a loopback
  interface): back to ``ip_input`` through lo0;
- unicast under an IPsec policy: ``k.ipsec4_output`` (netipsec) takes the
  packet, applies ESP/AH and sends the result through ip_output again;
- too big for the MTU: fragmented (RFC 791 3.2, options with the copied
  flag in every fragment), or EMSGSIZE with DF (``ips_cantfrag``).

Returns 0 or a BSD errno; the link layer (``ether_output_inet``: ARP) may
hold the packet and still return 0.  ``ip_ctloutput`` is the IPPROTO_IP
socket-option switch of UDP and raw sockets.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from kernel.kern.uipc_mbuf import M_BCAST, M_LOOP, M_MCAST, MLEADING, mbuf
from kernel.netinet import if_ether as _if_ether, in_ as _in, in_mcast as _in_mcast, in_rmx
from kernel.net.if_loop import lo_bpf_mtap
from kernel.netinet6.ip6_output import _loop_stats  # if_simloop's lo0 counters
from kernel.netinet.ip_var import (INP_DONTFRAG, INP_RECVDSTADDR, INP_RECVIF, INP_RECVTTL,
                                   IP_ALLOWBROADCAST, IP_FORWARDING, IP_RAWOUTPUT, IP_ROUTETOIF,
                                   ip_moptions, m_frombuf)
from kernel.wire import errno as E
from kernel.wire.ethernet import ETHERTYPE
from kernel.wire.in_ import (INADDR_ANY, IP_DONTFRAG, IP_MULTICAST_IF, IP_MULTICAST_LOOP,
                             IP_MULTICAST_TTL, IP_RECVDSTADDR, IP_RECVIF, IP_RECVTTL, IP_TOS,
                             IP_TTL, IPPROTO_IP)
from kernel.wire.ip import (IP_DEFAULT_MULTICAST_TTL, IP_DF, IP_HDR_LEN, IP_MAXPACKET, IP_MF,
                            IP_OFFMASK, IP_SUM_OFF, IPOPT_COPIED, IPOPT_EOL, Malformed,
                            ip_header_cksum, ip_options_walk)
from kernel.wire.net_if import IFF
from kernel.wire.route import RTF_BLACKHOLE, RTF_GATEWAY, RTF_HOST, RTF_LOCAL, RTF_REJECT

if TYPE_CHECKING:  # pragma: no cover
    from kernel.kern.init_main import Kernel

_IFF_LOOPBACK = int(IFF.LOOPBACK)
_IFF_BROADCAST = int(IFF.BROADCAST)
_IFF_MULTICAST = int(IFF.MULTICAST)
_ETHERTYPE_IP = int(ETHERTYPE.IP)
SOPT_SET = 1
SOL_SOCKET = 0xFFFF


def ip_newid(k: "Kernel") -> int:
    """The next identification (RFC 791 3.1; FreeBSD's sequential ip_id,
    starting at a random value)."""
    v = k.ip
    v.ip_id = (v.ip_id + 1) & 0xFFFF
    return v.ip_id


def _cksum(b: Any, o: int, hlen: int) -> None:
    b[o + IP_SUM_OFF] = b[o + IP_SUM_OFF + 1] = 0
    ck = ip_header_cksum(b, o, hlen)
    b[o + IP_SUM_OFF] = ck >> 8
    b[o + IP_SUM_OFF + 1] = ck & 0xFF


# -- the entry point ----------------------------------------------------------------------------
def ip_output(k: "Kernel", m: mbuf, opt: Any = None, ro: Any = None, flags: int = 0,
              imo: Optional[ip_moptions] = None, inp: Any = None) -> int:
    """Send the IPv4 packet ``m`` (see the module docstring); returns 0 or an errno."""
    st = k.ipstat
    if m.m_len < IP_HDR_LEN:
        st.ips_odropped += 1
        return E.EINVAL
    if opt and not flags & (IP_FORWARDING | IP_RAWOUTPUT):
        ip_insertoptions(m, bytes(opt))          # e.g. IGMP's Router Alert (RFC 2113)
    b = m.buf
    o = m.off
    if not flags & (IP_FORWARDING | IP_RAWOUTPUT):
        b[o] = 0x45 + (len(opt) >> 2 if opt else 0)   # version 4, IHL
        ip_id = ip_newid(k)
        b[o + 4] = ip_id >> 8
        b[o + 5] = ip_id & 0xFF
        st.ips_localout += 1
    hlen = (b[o] & 0x0F) << 2
    ip_len = m.m_len
    if ip_len > IP_MAXPACKET or hlen < IP_HDR_LEN or hlen > ip_len:
        st.ips_odropped += 1
        return E.EMSGSIZE if ip_len > IP_MAXPACKET else E.EINVAL
    b[o + 2] = ip_len >> 8
    b[o + 3] = ip_len & 0xFF
    dst = bytes(b[o + 16:o + 20])
    src = bytes(b[o + 12:o + 16])
    mcast = 224 <= dst[0] < 240
    rt = None
    ia = None
    nexthop = dst
    is_gw = False
    if flags & IP_ROUTETOIF:
        # "If routing to interface only, short circuit routing lookup."
        ia = _in.ifa_ifwithdstaddr(k, dst) or _in.ifa_ifwithnet(k, dst)
        if ia is None:
            st.ips_noroute += 1
            return E.ENETUNREACH
        ifp = ia.ia_ifp
        b[o + 8] = 1
        isbroadcast = _in.in_broadcast(dst, ifp)
    elif mcast and imo is not None and imo.imo_multicast_ifp is not None:
        # "Bypass the normal routing lookup for multicast packets if the
        # interface is specified."
        ifp = imo.imo_multicast_ifp
        ia = _in.IFP_TO_IA(ifp)
        isbroadcast = False
    else:
        if ro is not None and ro.ro_rt is not None and ro.ro_gen == k.rt_inet.rt_gen \
                and ro.ro_dst == dst:
            rt = ro.ro_rt
        else:
            rt = in_rmx.in_rtalloc(k, dst)
            if ro is not None:
                ro.ro_rt, ro.ro_dst, ro.ro_gen = rt, dst, k.rt_inet.rt_gen
        if rt is None:
            st.ips_noroute += 1
            return E.EHOSTUNREACH
        if rt.rt_flags & RTF_BLACKHOLE:
            st.ips_odropped += 1
            return 0
        if rt.rt_flags & RTF_REJECT:
            st.ips_noroute += 1
            return E.EHOSTDOWN if rt.rt_flags & RTF_HOST else E.EHOSTUNREACH
        ifp = rt.rt_ifp
        ia = rt.rt_ifa
        if ifp is None:
            st.ips_noroute += 1
            return E.EHOSTUNREACH
        if rt.rt_flags & RTF_GATEWAY and isinstance(rt.rt_gateway, bytes):
            nexthop = rt.rt_gateway
            is_gw = True
        isbroadcast = not rt.rt_flags & RTF_HOST and _in.in_broadcast(nexthop, ifp)
    mtu = ifp.if_mtu
    if rt is not None and rt.rt_mtu and rt.rt_mtu < mtu:
        mtu = rt.rt_mtu

    if mcast:
        # -- multicast (RFC 1112 6.1) --------------------------------------------------
        m.m_flags = (m.m_flags & ~M_BCAST) | M_MCAST
        nexthop = dst
        if not flags & (IP_FORWARDING | IP_RAWOUTPUT):
            b[o + 8] = imo.imo_multicast_ttl if imo is not None else IP_DEFAULT_MULTICAST_TTL
        if not ifp.if_flags & _IFF_MULTICAST:
            st.ips_noroute += 1
            return E.ENETUNREACH
        if src == INADDR_ANY and ia is not None:
            src = ia.ia_addr
            b[o + 12:o + 16] = src
        _cksum(b, o, hlen)
        if _in.inm_lookup(ifp, dst) is not None and (imo is None or imo.imo_multicast_loop):
            # "If we belong to the destination multicast group on the outgoing
            # interface, and the caller did not forbid loopback, loop back a copy."
            ip_mloopback(k, ifp, m)
        # "Multicasts with a time-to-live of zero may be looped-back, above, but
        # must not be transmitted on a network."
        if b[o + 8] == 0 or ifp.if_flags & _IFF_LOOPBACK:
            return 0
        return _send(k, ifp, m, mtu, hlen, nexthop, False)

    m.m_flags &= ~(M_BCAST | M_MCAST)
    if src == INADDR_ANY and ia is not None:
        src = ia.ia_addr
        b[o + 12:o + 16] = src
    ipsec = getattr(k, "ipsec4_output", None)     # netipsec: RFC 4301 5.1 (ip_ipsec_output)
    if ipsec is not None and (r := ipsec(k, m, flags, inp)) is not None:
        return r
    if rt is not None and (rt.rt_flags & RTF_LOCAL or ifp.if_flags & _IFF_LOOPBACK):
        # To one of our own addresses: back in through lo0 (if_simloop).
        _cksum(b, o, hlen)
        return ip_loopback(k, m)
    if isbroadcast:
        # "Look for broadcast address and verify user is allowed to send such a packet."
        if not ifp.if_flags & _IFF_BROADCAST:
            st.ips_odropped += 1
            return E.EADDRNOTAVAIL
        if not flags & IP_ALLOWBROADCAST:
            st.ips_odropped += 1
            return E.EACCES
        if ip_len > mtu:
            st.ips_cantfrag += 1                 # "don't allow broadcast messages to be fragmented"
            return E.EMSGSIZE
        m.m_flags |= M_BCAST
    if ia is not None:
        ia.ifa_opackets += 1
        ia.ifa_obytes += ip_len
    return _send(k, ifp, m, mtu, hlen, nexthop, is_gw)


def ip_insertoptions(m: mbuf, opt: bytes) -> None:
    """Put the options ``opt`` (a multiple of 4 octets) after the IP header."""
    n = len(opt)
    if not n or n & 3 or n > 40 or m.m_len < IP_HDR_LEN:
        return
    o = m.m_prepend(n)
    b = m.buf
    b[o:o + IP_HDR_LEN] = b[o + n:o + n + IP_HDR_LEN]
    b[o + IP_HDR_LEN:o + IP_HDR_LEN + n] = opt


def _send(k: "Kernel", ifp: Any, m: mbuf, mtu: int, hlen: int, nexthop: bytes,
          is_gw: bool) -> int:
    b = m.buf
    o = m.off
    if m.m_len <= mtu:
        _cksum(b, o, hlen)
        return _if_ether.ether_output_inet(ifp, m, nexthop, is_gw)
    err = ip_fragment(k, m, hlen, mtu)
    if isinstance(err, int):
        return err
    first = 0
    for f in err:
        e = _if_ether.ether_output_inet(ifp, f, nexthop, is_gw)
        if e and not first:
            first = e
    if first:
        k.ipstat.ips_odropped += 1
    else:
        k.ipstat.ips_fragmented += 1
    return first


# -- fragmentation -------------------------------------------------------------------------------
def ip_optcopy(opts: bytes) -> bytes:
    """The options a fragment after the first carries: those with the copied flag
    (RFC 791 3.2), padded with End of Option List to a multiple of 4."""
    try:
        walk = ip_options_walk(opts)
    except Malformed:
        walk = []                       # ip_dooptions refused such a header on input
    out = bytearray()
    for i, t, ln in walk:
        if IPOPT_COPIED(t):
            out += opts[i:i + ln]
    while len(out) & 3:
        out.append(IPOPT_EOL)
    return bytes(out)


def ip_fragment(k: "Kernel", m: mbuf, hlen: int, mtu: int) -> Any:
    """Cut ``m`` into fragments of at most ``mtu`` octets (RFC 791 3.2).
    Returns the list of fragments (headers and checksums done), or an errno:
    EMSGSIZE with DF set (``ips_cantfrag``) or an MTU too small for 8 octets."""
    st = k.ipstat
    b = m.buf
    o = m.off
    ip_off = (b[o + 6] << 8) | b[o + 7]
    if ip_off & IP_DF:
        st.ips_cantfrag += 1                     # "Fragmentation not allowed"
        return E.EMSGSIZE
    hdr = bytes(b[o:o + hlen])
    later_opts = ip_optcopy(hdr[IP_HDR_LEN:]) if hlen > IP_HDR_LEN else b""
    payload = bytes(b[o + hlen:o + m.m_len])
    base_off = ip_off & IP_OFFMASK               # a fragment being fragmented again
    more_in = ip_off & IP_MF
    out = []
    off = 0
    total = len(payload)
    while off < total:
        fh = hdr if off == 0 else bytes((0x40 | ((IP_HDR_LEN + len(later_opts)) >> 2),)) \
            + hdr[1:IP_HDR_LEN] + later_opts
        fhl = len(fh)
        room = (mtu - fhl) & ~7                  # RFC 791: 8-octet units
        if room < 8:
            st.ips_cantfrag += 1
            return E.EMSGSIZE
        chunk = payload[off:off + room]
        last = off + len(chunk) >= total
        n = fhl + len(chunk)
        buf = bytearray(MLEADING + n)
        p = MLEADING
        buf[p:p + fhl] = fh
        buf[p + fhl:p + n] = chunk
        buf[p + 2] = n >> 8
        buf[p + 3] = n & 0xFF
        foff = (ip_off & ~(IP_OFFMASK | IP_MF)) | (base_off + (off >> 3))
        if not last or more_in:
            foff |= IP_MF
        buf[p + 6] = foff >> 8
        buf[p + 7] = foff & 0xFF
        _cksum(buf, p, fhl)
        out.append(m_frombuf(buf, p, n, m.m_flags, m.rcvif))
        off += len(chunk)
    st.ips_ofragments += len(out)
    return out


# -- loopback ------------------------------------------------------------------------------------
def _loop_input(arg: tuple) -> None:
    from kernel.netinet.ip_input import ip_input
    ifp, m = arg
    ip_input(ifp, m)


def ip_loopback(k: "Kernel", m: mbuf) -> int:
    """A packet to one of our addresses: back to ip_input through lo0 as a new
    event (if_simloop / looutput)."""
    _loop_stats(k, m)
    lo = getattr(k, "loif", None)
    if lo is None:
        k.ipstat.ips_noroute += 1
        return E.EHOSTUNREACH
    m.rcvif = lo
    m.m_flags |= M_LOOP
    lo_bpf_mtap(lo, m, 0x0800)             # tcpdump -i lo0 sees it (looutput's bpf tap)
    k.platform.call_later(0, _loop_input, (lo, m))
    return 0


def ip_mloopback(k: "Kernel", ifp: Any, m: mbuf) -> None:
    """Loop a copy of a multicast packet back to our own listeners (ip_mloopback)."""
    c = m.m_dup()
    c.rcvif = ifp
    c.m_flags |= M_LOOP | M_MCAST
    _loop_stats(k, c)
    k.platform.call_later(0, _loop_input, (ifp, c))


# -- socket options (ip_ctloutput, ip_setmoptions) -------------------------------------------------
def _intopt(v: Any) -> int:
    if isinstance(v, bool) or not isinstance(v, int):
        if isinstance(v, (bytes, bytearray)) and len(v) in (1, 4):
            return int.from_bytes(v, "little")
        raise OSError(E.EINVAL, "integer option expected")
    return v


_RECVFLAGS = {IP_RECVDSTADDR: INP_RECVDSTADDR, IP_RECVTTL: INP_RECVTTL, IP_RECVIF: INP_RECVIF,
              IP_DONTFRAG: INP_DONTFRAG}


def _moptions(inp: Any) -> ip_moptions:
    if inp.inp_moptions is None:
        inp.inp_moptions = ip_moptions()
    return inp.inp_moptions


def _addr_to_ifp(k: "Kernel", addr: Any) -> tuple[int, Any]:
    """INADDR_TO_IFP: the multicast-capable interface that has address ``addr``."""
    if not isinstance(addr, (bytes, bytearray)) or len(addr) != 4:
        return E.EINVAL, None
    ia = _in.in_localip(k, bytes(addr))
    if ia is None or not ia.ia_ifp.if_flags & _IFF_MULTICAST:
        return E.EADDRNOTAVAIL, None
    return 0, ia.ia_ifp


def ip_ctloutput(so: Any, sopt: Any) -> int:
    """IPPROTO_IP-level socket options; 0 or an errno."""
    inp = so.so_pcb
    if inp is None:
        return E.EINVAL
    if sopt.sopt_level != IPPROTO_IP:
        return E.ENOPROTOOPT if sopt.sopt_level != SOL_SOCKET else 0
    k = so.so_kernel
    name, val = sopt.sopt_name, sopt.sopt_val
    try:
        if name == 21:                          # IP_IPSEC_POLICY (KAME): the socket's own policy
            from kernel.netipsec.ipsec import ipsec_pcbctloutput
            return ipsec_pcbctloutput(so, inp, "inp_sp", sopt)
        if sopt.sopt_dir == SOPT_SET:
            if name in _RECVFLAGS:
                if _intopt(val):
                    inp.inp_flags |= _RECVFLAGS[name]
                else:
                    inp.inp_flags &= ~_RECVFLAGS[name]
            elif name in (IP_TTL, IP_TOS):
                v = _intopt(val)
                if not 0 <= v <= 255:
                    return E.EINVAL
                if name == IP_TTL:
                    inp.inp_ip_ttl = v
                else:
                    inp.inp_ip_tos = v
            elif name == IP_MULTICAST_TTL:
                v = _intopt(val)
                if not 0 <= v <= 255:
                    return E.EINVAL
                _moptions(inp).imo_multicast_ttl = v
            elif name == IP_MULTICAST_LOOP:
                v = _intopt(val)
                if not 0 <= v <= 255:
                    return E.EINVAL
                _moptions(inp).imo_multicast_loop = 1 if v else 0
            elif name == IP_MULTICAST_IF:
                if isinstance(val, (bytes, bytearray)) and bytes(val) == INADDR_ANY:
                    _moptions(inp).imo_multicast_ifp = None
                    return 0
                err, ifp = _addr_to_ifp(k, val)
                if err:
                    return err
                imo = _moptions(inp)
                imo.imo_multicast_ifp = ifp
                imo.imo_multicast_addr = bytes(val)
            elif name in _in_mcast.IP_MCAST_SOCKOPTS:
                # group memberships and source filters (RFC 1112 7.1, RFC 3678)
                return _in_mcast.inp_setmoptions(k, inp, name, val)
            else:
                return E.ENOPROTOOPT
            return 0
        # SOPT_GET
        imo = inp.inp_moptions
        if name in _RECVFLAGS:
            sopt.sopt_val = 1 if inp.inp_flags & _RECVFLAGS[name] else 0
        elif name == IP_TTL:
            sopt.sopt_val = inp.inp_ip_ttl
        elif name == IP_TOS:
            sopt.sopt_val = inp.inp_ip_tos
        elif name == IP_MULTICAST_TTL:
            sopt.sopt_val = imo.imo_multicast_ttl if imo is not None else IP_DEFAULT_MULTICAST_TTL
        elif name == IP_MULTICAST_LOOP:
            sopt.sopt_val = imo.imo_multicast_loop if imo is not None else 1
        elif name == IP_MULTICAST_IF:
            sopt.sopt_val = imo.imo_multicast_addr if imo is not None and \
                imo.imo_multicast_ifp is not None else INADDR_ANY
        elif name == _in_mcast.IP_MSFILTER:
            err, sopt.sopt_val = _in_mcast.inp_getmoptions(k, inp, name, val)  # getsourcefilter(3)
            return err
        else:
            return E.ENOPROTOOPT
        return 0
    except OSError as e:
        return e.errno or E.EINVAL
    except (TypeError, ValueError, AttributeError):
        return E.EINVAL


def ip_freemoptions(imo: Optional[ip_moptions]) -> None:
    """A socket closes: leave the groups it joined (inp_freemoptions)."""
    _in_mcast.inp_freemoptions(imo)


def ip_dontfrag(inp: Any) -> int:
    """The DF bit a socket's datagrams carry (IP_DONTFRAG)."""
    return IP_DF if inp.inp_flags & INP_DONTFRAG else 0
