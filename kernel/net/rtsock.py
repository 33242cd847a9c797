"""The routing socket (sys/net/rtsock.c): PF_ROUTE, SOCK_RAW.

A process writes a routing message — ``rt_msghdr`` and its sockaddrs, the
real binary layout of ``kernel/wire/route.py`` — and ``route_output``
carries it out: RTM_ADD, RTM_DELETE, RTM_CHANGE, RTM_GET, RTM_LOCK on the
IPv6 routing table (``kernel/net/route.py``) or, for an AF_INET destination,
the IPv4 one (``kernel/netinet/in_rmx.py``), and with RTF_LLDATA on the
neighbor cache (``ndp -s``/``-d``, FreeBSD's ``lla_rt_output``) or the ARP
cache (``arp -s``/``-d``, ``if_ether.arp_rt_output``).  The message
comes back — with ``rtm_errno`` set, or RTF_DONE and, for RTM_GET/RTM_DELETE/
RTM_CHANGE, the route as the kernel has it — to every routing socket,
the sender's own only with SO_USELOOPBACK (on by default, as in BSD).
The write itself fails with the same errno.

The bytes come from an untrusted process, so they are parsed defensively:
shorter than ``rt_msghdr`` or ``rtm_msglen`` different from what was written
is EINVAL (``rts_badlen``), another RTM_VERSION is EPROTONOSUPPORT
(``rts_badversion``), sockaddrs that overrun the message are EINVAL
(``rts_badaddrs``), an unknown type is EOPNOTSUPP (``rts_badtype``).  Unlike
BSD, a message that cannot be parsed is not passed on to the other
listeners.  The counters are ``sysctl net.route.stats``.

The kernel tells every listener on its own (``rt_dispatch``):

- route changes it makes (interface and local routes, default routers,
  redirects, path MTU entries) — ``k.rt.rt_listeners``, and
  ``k.rt_inet.rt_listeners`` for IPv4 — as RTM_ADD, RTM_DELETE, RTM_CHANGE
  (``rt_missmsg``);
- addresses added and removed — ``k.in6.in6_addr_listeners``,
  ``k.inet.in_addr_listeners`` — as RTM_NEWADDR / RTM_DELADDR
  (``ifa_msghdr``, ``rt_newaddrmsg``: the address, netmask and broadcast
  address as ``sockaddr_in`` for IPv4);
- interface flags, MTU and link state — as RTM_IFINFO (``if_msghdr``,
  ``rt_ifmsg``).

A socket opened with a protocol (``socket(PF_ROUTE, SOCK_RAW, AF_INET6)``)
only gets the messages of that address family (a request's is the family of
its destination, as rtsock.c's ``route_proto.sp_protocol``).

The sysctl dumps are here too, as in rtsock.c: ``net.route.dump``
(NET_RT_DUMP: an RTM_GET message per route, the AF_INET table first and then
AF_INET6 as BSD walks ``rt_tables``, each in the order of its radix tree
walk), ``net.route.iflist`` (NET_RT_IFLIST: RTM_IFINFO and an RTM_NEWADDR per
address of each interface, IPv4 before IPv6; libc's getifaddrs reads it)
and ``net.route.llinfo`` (NET_RT_FLAGS with RTF_LLINFO: the IPv6 neighbor
cache, for ``ndp -a``).  Their values are the bytes of the messages.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Optional

from kernel.kern.kern_sysctl import SYSCTL_PROC, SYSCTL_STRUCT
from kernel.kern.uipc_domain import PR_ADDR, PR_ATOMIC, domain, domain_add, pr_usrreqs, protosw
from kernel.kern.uipc_mbuf import mbuf
from kernel.kern.uipc_socket2 import SBS_CANTRCVMORE, sbappendaddr, sorwakeup
from kernel.net.raw_usrreq import raw_attach, raw_ushutdown
from kernel.wire import errno as E
from kernel.wire.in6 import AF_INET6, in6_is_scoped, in6_mask2len, in6_prefix_mask, sockaddr_in6
from kernel.wire.in_ import AF_INET, in_mask2len, sockaddr_in
from kernel.wire.net_if import IFF, LinkState
from kernel.wire.route import (AF_UNSPEC, PF_ROUTE, RT_MSGHDR_LEN, RTA_IFA, RTA_IFP, RTAX_BRD,
                               RTAX_DST, RTAX_GATEWAY, RTAX_IFA, RTAX_IFP, RTAX_NETMASK,
                               RTF_BLACKHOLE, RTF_DONE, RTF_GATEWAY, RTF_HOST, RTF_LLINFO,
                               RTF_REJECT, RTF_STATIC, RTF_UP,
                               RTM_ADD, RTM_CHANGE, RTM_DELADDR, RTM_DELETE, RTM_GET,
                               RTM_IFINFO, RTM_LOCK, RTM_NEWADDR, RTM_VERSION, RTV_EXPIRE,
                               RTV_MTU, ifa_msg_build, if_msg_build, rt_msg_build,
                               rt_msg_common, rt_msg_parse, rt_msghdr, sockaddr_dl)
from kernel.wire.socket import SO_USELOOPBACK, SOCK_RAW

if TYPE_CHECKING:  # pragma: no cover
    from kernel.kern.init_main import Kernel

SEC = 1_000_000_000
ROUTE_SENDSPACE = 8192
ROUTE_RECVSPACE = 8192
RTF_LLDATA = RTF_LLINFO          # FreeBSD 8+: the message is about the neighbor cache
RT_WEIGHT_DEFAULT = 1            # rmx_weight (kamebox: rmx_filler[0]) of every route
_IN_OUT_FLAGS = RTF_UP | RTF_DONE
_LOOPBACK = bytes(15) + b"\x01"


class rtsstat:
    """Routing socket counters (kamebox; ``sysctl net.route.stats``)."""

    __slots__ = ("rts_output", "rts_input", "rts_dropped", "rts_badlen", "rts_badversion",
                 "rts_badaddrs", "rts_badtype", "rts_failed")

    def __init__(self) -> None:
        for n in self.__slots__:
            setattr(self, n, 0)

    def as_dict(self) -> dict[str, int]:
        return {n: getattr(self, n) for n in self.__slots__}


class rawcb:
    """``struct rawcb``: a routing socket and the address family it listens to."""

    __slots__ = ("rcb_socket", "rcb_proto")

    def __init__(self, so: Any, proto: int) -> None:
        self.rcb_socket = so
        self.rcb_proto = proto


class rtsock_state:
    """What rtsock.c keeps in globals, for one kernel (``k.rtsock``)."""

    def __init__(self) -> None:
        self.rcbs: list[rawcb] = []          # rawcb_list
        self.stat = rtsstat()
        self.in_output = 0                   # route_output is changing the table


def _st(k: "Kernel") -> Optional[rtsock_state]:
    return getattr(k, "rtsock", None)


def rts_init(k: "Kernel") -> None:
    """SYSINIT: the route domain, the listeners on the routing table and the
    address list, the sysctl dumps."""
    st = rtsock_state()
    k.rtsock = st
    usr = pr_usrreqs(pru_attach=rts_attach, pru_detach=rts_detach, pru_send=rts_send,
                     pru_shutdown=raw_ushutdown, pru_abort=rts_detach)
    domain_add(k, domain(PF_ROUTE, "route",
                         [protosw(SOCK_RAW, 0, PR_ATOMIC | PR_ADDR, usr, pr_name="rts")]))
    if getattr(k, "rt", None) is None:
        from kernel.net.route import route_init
        route_init(k)
    k.rt.rt_listeners.append(rt_missmsg)
    in6st = getattr(k, "in6", None)
    if in6st is not None and hasattr(in6st, "in6_addr_listeners"):
        in6st.in6_addr_listeners.append(rt_newaddrmsg)
    if getattr(k, "rt_inet", None) is not None:
        k.rt_inet.rt_listeners.append(rt_missmsg_in)
    inst = getattr(k, "inet", None)
    if inst is not None and hasattr(inst, "in_addr_listeners"):
        inst.in_addr_listeners.append(rt_newaddrmsg_in)
    from kernel.wire.sysctl import CTLTYPE_STRUCT
    SYSCTL_PROC(k, "net.route.dump", CTLTYPE_STRUCT, lambda: sysctl_dumpentries(k),
                descr="Routing table (NET_RT_DUMP): RTM_GET messages")
    SYSCTL_PROC(k, "net.route.iflist", CTLTYPE_STRUCT, lambda: sysctl_iflist(k),
                descr="Interfaces and their addresses (NET_RT_IFLIST)")
    SYSCTL_PROC(k, "net.route.llinfo", CTLTYPE_STRUCT, lambda: sysctl_llinfo(k),
                descr="IPv6 neighbor cache (NET_RT_FLAGS, RTF_LLINFO)")
    SYSCTL_STRUCT(k, "net.route.stats", lambda: st.stat, "Routing socket statistics (kamebox)")


# -- user requests ------------------------------------------------------------------------
def rts_attach(so: Any, proto: int, td: Any) -> int:
    st = _st(so.so_kernel)
    # BSD: a routing socket hears its own messages (SO_USELOOPBACK)
    return raw_attach(so, st.rcbs if st is not None else None, ROUTE_SENDSPACE,
                      ROUTE_RECVSPACE, lambda: rawcb(so, proto), SO_USELOOPBACK)


def rts_detach(so: Any) -> None:
    rcb = so.so_pcb
    st = _st(so.so_kernel)
    if st is not None and rcb in st.rcbs:
        st.rcbs.remove(rcb)
    so.so_pcb = None


def rts_send(so: Any, flags: int, m: mbuf, nam: Any, control: Any, td: Any) -> int:
    if control:
        return E.EINVAL
    return route_output(so, m, td)


# -- delivering messages ------------------------------------------------------------------
def rt_dispatch(k: "Kernel", msg: bytes, family: int, skip: Any = None) -> int:
    """raw_input: queue ``msg`` on every routing socket that listens to
    ``family`` (all of them when it opened with protocol 0), but ``skip``.
    Returns how many got it; a full socket buffer drops it (``rts_dropped``)."""
    st = _st(k)
    if st is None:
        return 0
    n = 0
    for rcb in list(st.rcbs):
        so = rcb.rcb_socket
        if so is skip:
            continue
        if rcb.rcb_proto and rcb.rcb_proto != family:
            continue
        if so.so_rcv.sb_state & SBS_CANTRCVMORE:
            continue
        if sbappendaddr(so.so_rcv, None, mbuf(msg, leading=0), None):
            st.stat.rts_input += 1
            sorwakeup(so)
            n += 1
        else:
            st.stat.rts_dropped += 1
    return n


def _listening(k: "Kernel") -> bool:
    st = _st(k)
    return st is not None and bool(st.rcbs)


# -- building messages --------------------------------------------------------------------
def _boottime_s(k: "Kernel") -> int:
    return getattr(k, "boottime", 0) // SEC


def _wall(k: "Kernel", uptime_s: int) -> int:
    """A route or neighbor expiry (time_uptime seconds) as routing messages
    carry it: wall-clock seconds (``time_second``), 0 for none."""
    return uptime_s + _boottime_s(k) if uptime_s else 0


def _uptime(k: "Kernel", wall_s: int) -> int:
    return max(1, wall_s - _boottime_s(k)) if wall_s else 0


def _ifnet_byindex(k: "Kernel", idx: int) -> Any:
    if not isinstance(idx, int) or idx <= 0:
        return None
    for ifp in k.ifnet:
        if ifp.if_index == idx:
            return ifp
    return None


def sdl_of(ifp: Any) -> sockaddr_dl:
    """The interface's link-level sockaddr (``ifp->if_addr->ifa_addr``): name and MAC."""
    return sockaddr_dl(ifp.if_index, int(ifp.if_type), ifp.if_xname, bytes(ifp.if_addr or b""))


def _has_zone(a: bytes) -> bool:
    """Addresses whose sockaddr carries a zone (sin6_scope_id): link-local
    unicast, link- and interface-local multicast — not ::1, whose scope id
    is 0 as in KAME's in6_setscope."""
    return (a[0] == 0xFE and a[1] & 0xC0 == 0x80) or (a[0] == 0xFF and 1 <= a[1] & 0x0F <= 2)


def _sin6(addr: bytes, zone: int) -> sockaddr_in6:
    return sockaddr_in6(bytes(addr), 0, 0, zone if zone and _has_zone(addr) else 0)


def _gateway_sa(rt: Any) -> Any:
    gw = rt.rt_gateway
    if isinstance(gw, (bytes, bytearray)) and len(gw) == 16:
        zone = rt.rt_ifp.if_index if rt.rt_ifp is not None else rt.rt_zone
        return _sin6(gw, zone)
    if isinstance(gw, sockaddr_dl):
        return gw
    if gw is None and rt.rt_ifp is not None:
        return sockaddr_dl(rt.rt_ifp.if_index, int(rt.rt_ifp.if_type))
    return None


def _ifa_of(rt: Any) -> Any:
    ia = rt.rt_ifa
    if ia is None and rt.rt_ifp is not None:
        from kernel.netinet6 import in6
        if getattr(rt.rt_ifp.kernel, "in6", None) is not None:
            ia = in6.in6_ifawithifp(rt.rt_ifp, rt.rt_dst)
    return ia


def rt_metrics_of(k: "Kernel", rt: Any) -> dict[str, Any]:
    """rt_getmetrics: the route's metrics as ``struct rt_metrics``."""
    mtu = rt.rt_mtu
    if not mtu and rt.rt_ifp is not None:
        mtu = rt.rt_ifp.if_mtu
    return dict(rmx_locks=rt.rt_locks & 0xFFFFFFFF, rmx_mtu=mtu & 0xFFFFFFFF,
                rmx_hopcount=rt.rt_hopcount & 0xFFFFFFFF,
                rmx_expire=_wall(k, rt.rt_expire) & 0xFFFFFFFF, rmx_recvpipe=0,
                rmx_sendpipe=0, rmx_ssthresh=0, rmx_rtt=0, rmx_rttvar=0,
                rmx_pksent=rt.rt_use & 0xFFFFFFFF, rmx_filler=[RT_WEIGHT_DEFAULT, 0, 0, 0])


def rt_addrinfo(rt: Any, with_ifp: bool = False) -> dict[int, Any]:
    """The sockaddrs of a route: destination, gateway, netmask (not for a host
    route), and on request the interface and its address."""
    addrs: dict[int, Any] = {RTAX_DST: _sin6(rt.rt_dst, rt.rt_zone)}
    gw = _gateway_sa(rt)
    if gw is not None:
        addrs[RTAX_GATEWAY] = gw
    if rt.rt_prefixlen != 128:
        addrs[RTAX_NETMASK] = sockaddr_in6(in6_prefix_mask(rt.rt_prefixlen))
    if with_ifp and rt.rt_ifp is not None:
        addrs[RTAX_IFP] = sdl_of(rt.rt_ifp)
        ia = _ifa_of(rt)
        if ia is not None:
            addrs[RTAX_IFA] = _sin6(ia.ia_addr, ia.ia_zone)
    return addrs


def rt_msg_of(k: "Kernel", rtm_type: int, rt: Any, with_ifp: bool = False,
              **fields: Any) -> bytes:
    """A routing message describing ``rt`` (rt_msg2 of a route)."""
    fields.setdefault("rtm_flags", rt.rt_flags)
    fields.setdefault("rtm_index", rt.rt_ifp.if_index if rt.rt_ifp is not None else 0)
    fields.setdefault("rtm_rmx", rt_metrics_of(k, rt))
    return rt_msg_build(rtm_type, rt_addrinfo(rt, with_ifp), **fields)


def if_data_of(ifp: Any) -> dict[str, int]:
    """``struct if_data`` of an interface, as RTM_IFINFO and getifaddrs carry it."""
    d = ifp.if_data
    ls = {LinkState.UP: 2, LinkState.DOWN: 1}.get(ifp.if_link_state, 0)
    baud = int(ifp.if_baudrate or 0)
    return dict(ifi_type=int(ifp.if_type), ifi_addrlen=len(ifp.if_addr or b""),
                ifi_hdrlen=int(ifp.if_hdrlen or 0), ifi_link_state=ls,
                ifi_mtu=ifp.if_mtu, ifi_metric=getattr(ifp, "if_metric", 0),
                ifi_baudrate=baud if baud <= 0xFFFFFFFF else baud // 1_000_000,
                ifi_ipackets=d.ifi_ipackets, ifi_ierrors=d.ifi_ierrors,
                ifi_opackets=d.ifi_opackets, ifi_oerrors=d.ifi_oerrors,
                ifi_collisions=d.ifi_collisions, ifi_ibytes=d.ifi_ibytes,
                ifi_obytes=d.ifi_obytes, ifi_imcasts=d.ifi_imcasts, ifi_omcasts=d.ifi_omcasts,
                ifi_iqdrops=d.ifi_iqdrops, ifi_oqdrops=d.ifi_oqdrops + ifp.if_snd.ifq_drops,
                ifi_noproto=d.ifi_noproto)


def if_msg_of(ifp: Any, with_sdl: bool = False) -> bytes:
    addrs = {RTAX_IFP: sdl_of(ifp)} if with_sdl else {}
    return if_msg_build(RTM_IFINFO, addrs, ifm_data=if_data_of(ifp), ifm_flags=ifp.if_flags,
                        ifm_index=ifp.if_index)


def ifa_msg_of(ia: Any, cmd: int) -> bytes:
    ifp = ia.ia_ifp
    addrs: dict[int, Any] = {RTAX_NETMASK: sockaddr_in6(ia.ia_prefixmask),
                             RTAX_IFP: sdl_of(ifp), RTAX_IFA: _sin6(ia.ia_addr, ia.ia_zone)}
    if ia.ia_dstaddr is not None:
        addrs[RTAX_BRD] = _sin6(ia.ia_dstaddr, ia.ia_zone)
    return ifa_msg_build(cmd, addrs, ifam_flags=ia.ifa_flags, ifam_index=ifp.if_index,
                         ifam_metric=getattr(ifp, "if_metric", 0))


def ifa_msg_in(ia: Any, cmd: int) -> bytes:
    """RTM_NEWADDR / RTM_DELADDR of an IPv4 address (``in_ifaddr``): its
    netmask, the interface, the address, and the broadcast address of a
    broadcast interface or the peer of a point-to-point one (RTAX_BRD)."""
    ifp = ia.ia_ifp
    addrs: dict[int, Any] = {RTAX_NETMASK: sockaddr_in(ia.ia_sockmask),
                             RTAX_IFP: sdl_of(ifp), RTAX_IFA: sockaddr_in(ia.ia_addr)}
    if ifp.if_flags & int(IFF.POINTOPOINT):
        if ia.ia_dstaddr is not None:
            addrs[RTAX_BRD] = sockaddr_in(ia.ia_dstaddr)
    elif ifp.if_flags & int(IFF.BROADCAST):
        addrs[RTAX_BRD] = sockaddr_in(ia.ia_broadaddr)
    return ifa_msg_build(cmd, addrs, ifam_flags=ia.ifa_flags, ifam_index=ifp.if_index,
                         ifam_metric=getattr(ifp, "if_metric", 0))


# -- what the kernel announces --------------------------------------------------------------
def rt_missmsg(k: "Kernel", rtm_type: int, rt: Any, error: int = 0) -> None:
    """A change the kernel made to the routing table (a listener of ``k.rt``)."""
    st = _st(k)
    if st is None or st.in_output or not st.rcbs:
        return
    rt_dispatch(k, rt_msg_of(k, rtm_type, rt, rtm_flags=rt.rt_flags | RTF_DONE,
                             rtm_errno=error), AF_INET6)


def rt_newaddrmsg(k: "Kernel", cmd: int, ia: Any) -> None:
    """An address was added (RTM_NEWADDR) or removed (RTM_DELADDR)."""
    if not _listening(k):
        return
    rt_dispatch(k, ifa_msg_of(ia, RTM_NEWADDR if cmd == RTM_NEWADDR else RTM_DELADDR),
                AF_INET6)


def rt_missmsg_in(k: "Kernel", rtm_type: int, rt: Any, error: int = 0) -> None:
    """A change the kernel made to the IPv4 routing table (a listener of ``k.rt_inet``)."""
    st = _st(k)
    if st is None or st.in_output or not st.rcbs:
        return
    from kernel.netinet import in_rmx
    rt_dispatch(k, in_rmx.in_rt_msg(k, rt, rtm_type, with_ifp=False,
                                    rtm_flags=rt.rt_flags | RTF_DONE, rtm_errno=error), AF_INET)


def rt_newaddrmsg_in(k: "Kernel", cmd: int, ia: Any) -> None:
    """An IPv4 address was added or changed (RTM_NEWADDR) or removed (RTM_DELADDR)."""
    if not _listening(k):
        return
    rt_dispatch(k, ifa_msg_in(ia, RTM_NEWADDR if cmd == RTM_NEWADDR else RTM_DELADDR), AF_INET)


def rt_ifmsg(ifp: Any) -> None:
    """The flags, MTU or link state of an interface changed (RTM_IFINFO)."""
    k = ifp.kernel
    if not _listening(k):
        return
    rt_dispatch(k, if_msg_of(ifp), AF_UNSPEC)


# -- route_output ---------------------------------------------------------------------------
def _fields(hdr: Any) -> dict[str, Any]:
    f = {key: v for key, v in hdr.items() if not key.startswith("_")}
    rmx = {key: v for key, v in hdr.rtm_rmx.items() if not key.startswith("_")}
    rmx["rmx_filler"] = list(rmx["rmx_filler"])
    f["rtm_rmx"] = rmx
    return f


def route_output(so: Any, m: mbuf, td: Any) -> int:
    """A routing message written by a process; returns a BSD errno."""
    k = so.so_kernel
    st = _st(k)
    if st is None:
        return E.EOPNOTSUPP
    stat = st.stat
    stat.rts_output += 1
    data = bytes(m.buf[m.off:m.off + m.m_len])
    if len(data) < RT_MSGHDR_LEN:
        stat.rts_badlen += 1
        return E.EINVAL
    msglen, version, _type = rt_msg_common(data)
    if msglen != len(data):
        stat.rts_badlen += 1
        return E.EINVAL
    if version != RTM_VERSION:
        stat.rts_badversion += 1
        return E.EPROTONOSUPPORT            # "do not touch message since format is unknown"
    try:
        hdr, addrs = rt_msg_parse(data)
    except ValueError:
        stat.rts_badaddrs += 1
        return E.EINVAL
    f = _fields(hdr)
    f["rtm_pid"] = td.p_pid if td is not None else 0
    st.in_output += 1
    try:
        error, reply = _route_request(k, f, addrs)
    finally:
        st.in_output -= 1
    if reply is None:                      # the request goes back as it came
        f["rtm_errno"] = error
        if not error:
            f["rtm_flags"] |= RTF_DONE
        reply = rt_msghdr.build(f) + data[RT_MSGHDR_LEN:]
    if error:
        stat.rts_failed += 1
    family = AF_INET if isinstance(addrs.get(RTAX_DST), sockaddr_in) else AF_INET6
    rt_dispatch(k, reply, family, None if so.so_options & SO_USELOOPBACK else so)
    return error


def _mask_plen(mask: Any) -> int:
    """The prefix length of a netmask sockaddr; -1 if it is not one."""
    if isinstance(mask, sockaddr_in6):
        return in6_mask2len(mask.sin6_addr)
    if mask == b"":
        return 0                          # a zero-length mask: the default route
    return -1


def _rtm_target(f: dict[str, Any], addrs: dict[int, Any], hostlen: int,
                mask_plen: Callable[[Any], int]) -> tuple[int, bool, bool]:
    """What a request names, either family: the prefix length (``hostlen`` for a host
    route: RTF_HOST or no RTA_NETMASK; else ``mask_plen`` of the netmask, -1 if it is
    not one), whether the route must match exactly (RTM_GET without a netmask looks
    up the best match), and whether the reply carries RTA_IFP/RTA_IFA."""
    mask = addrs.get(RTAX_NETMASK)
    if f["rtm_flags"] & RTF_HOST or mask is None:
        plen = hostlen
        exact = mask is not None or f["rtm_type"] != RTM_GET
    else:
        plen = mask_plen(mask)
        exact = True
    return plen, exact, bool(f["rtm_addrs"] & (RTA_IFP | RTA_IFA))


def _rtm_get_lock(f: dict[str, Any], rt: Any, report: Callable[[Any], bytes]
                  ) -> Optional[tuple[int, Optional[bytes]]]:
    """RTM_GET and RTM_LOCK on the route ``rt`` a request looked up, either family:
    (errno, reply); ESRCH without a route; None for an RTM_CHANGE to go on."""
    if rt is None:
        return E.ESRCH, None
    rtype = f["rtm_type"]
    if rtype == RTM_GET:
        return 0, report(rt)
    if rtype == RTM_LOCK:
        inits = f["rtm_inits"]
        rt.rt_locks = (rt.rt_locks & ~inits) | (f["rtm_rmx"]["rmx_locks"] & inits)
        return 0, report(rt)
    return None


def _rtm_change_flags(f: dict[str, Any], rt: Any) -> int:
    """RTM_CHANGE: the route's flags with those of rtm_fmask taken from the request,
    less the ones only the kernel sets."""
    fmask = f["rtm_fmask"]
    return ((rt.rt_flags & ~fmask) | (f["rtm_flags"] & fmask)) & ~_IN_OUT_FLAGS


def _ifp_of_sa(k: "Kernel", sa: Any) -> Any:
    """An interface named by an RTA_IFP sockaddr_dl (its name, else its index)."""
    if not isinstance(sa, sockaddr_dl):
        return None
    if sa.sdl_name:
        return k.ifunit(sa.sdl_name)
    return _ifnet_byindex(k, sa.sdl_index)


def _route_request(k: "Kernel", f: dict[str, Any], addrs: dict[int, Any]
                   ) -> tuple[int, Optional[bytes]]:
    """Carry out one request: (errno, the reply to send, or None to echo it)."""
    from kernel.net import route
    rtype = f["rtm_type"]
    flags = f["rtm_flags"]
    if rtype not in (RTM_ADD, RTM_DELETE, RTM_GET, RTM_CHANGE, RTM_LOCK):
        k.rtsock.stat.rts_badtype += 1
        return E.EOPNOTSUPP, None
    dst = addrs.get(RTAX_DST)
    if dst is None or dst == b"":
        return E.EINVAL, None
    if isinstance(dst, sockaddr_in):
        if getattr(k, "rt_inet", None) is None:
            return E.EAFNOSUPPORT, None            # a kernel without INET
        if flags & RTF_LLDATA:
            from kernel.netinet import if_ether    # AF_INET: the ARP cache (arp -s/-d)
            return if_ether.arp_rt_output(k, f, addrs), None
        return _in_route_request(k, f, addrs, dst)
    if not isinstance(dst, sockaddr_in6):
        return E.EAFNOSUPPORT, None
    addr = dst.sin6_addr
    zone = dst.sin6_scope_id if in6_is_scoped(addr) else 0
    if addr == _LOOPBACK and not zone and getattr(k, "loif", None) is not None:
        zone = k.loif.if_index                # ::1 lives on lo0 (KAME's in6_setscope)
    if zone and _ifnet_byindex(k, zone) is None:
        return E.ENXIO, None               # sa6_embedscope: no such zone
    if flags & RTF_LLDATA:
        return _lla_rt_output(k, rtype, flags, addrs, dst), None
    plen, exact, want_ifp = _rtm_target(f, addrs, 128, _mask_plen)
    if plen < 0:
        return E.EINVAL, None

    def report(rt: Any) -> bytes:
        return rt_msg_of(k, rtype, rt, with_ifp=want_ifp, rtm_flags=rt.rt_flags | RTF_DONE,
                         rtm_pid=f["rtm_pid"], rtm_seq=f["rtm_seq"], rtm_errno=0,
                         rtm_fmask=f["rtm_fmask"], rtm_inits=f["rtm_inits"])

    if rtype == RTM_ADD:
        gw = addrs.get(RTAX_GATEWAY)
        if gw is None:
            return E.EINVAL, None
        err, gateway, ifp = _gateway_ifp(k, gw, addrs.get(RTAX_IFP), zone)
        if err:
            return err, None
        mtu, expire = _metrics_in(k, f)
        ifa = None
        if ifp is not None and getattr(k, "in6", None) is not None:
            from kernel.netinet6 import in6
            ifa = in6.in6_ifawithifp(ifp, addr)
        err, rt = route.rtrequest(k, RTM_ADD, addr, plen, gateway, flags & ~_IN_OUT_FLAGS,
                                  ifp, zone, ifa, mtu, expire)
        if err:
            return err, None
        f["rtm_index"] = rt.rt_ifp.if_index if rt.rt_ifp is not None else 0
        return 0, None

    if rtype == RTM_DELETE:
        err, rt = route.rtrequest(k, RTM_DELETE, addr, plen, None, 0, None, zone)
        if err:
            return err, None
        return 0, report(rt)

    rt = route.rtlookup(k, addr, plen, zone) if exact else route.rtalloc1(k, addr, zone)
    done = _rtm_get_lock(f, rt, report)
    if done is not None:
        return done
    # RTM_CHANGE: gateway, interface, the flags of rtm_fmask, metrics
    gateway, ifp = None, None
    gw = addrs.get(RTAX_GATEWAY)
    if gw is not None or addrs.get(RTAX_IFP) is not None:
        err, gateway, ifp = _gateway_ifp(k, gw, addrs.get(RTAX_IFP), zone)
        if err:
            return err, None
        if gw is None:
            gateway = None
    mtu, expire = _metrics_in(k, f)
    err, rt = route.rtrequest(k, RTM_CHANGE, rt.rt_dst, rt.rt_prefixlen, gateway,
                              _rtm_change_flags(f, rt), ifp, rt.rt_zone, None, mtu, expire)
    if err:
        return err, None
    if ifp is not None and getattr(k, "in6", None) is not None:
        from kernel.netinet6 import in6
        rt.rt_ifa = in6.in6_ifawithifp(ifp, rt.rt_dst)
    return 0, report(rt)


# -- AF_INET requests (the IPv4 table of kernel/netinet/in_rmx.py) --------------------------
def _in_mask_plen(mask: Any) -> int:
    """The prefix length of an IPv4 netmask sockaddr (a family-less one too, as
    BSD's radix masks come); -1 if it is not contiguous."""
    if isinstance(mask, sockaddr_in):
        return in_mask2len(mask.sin_addr)
    if isinstance(mask, (bytes, bytearray)):
        if mask == b"":
            return 0                      # a zero-length mask: the default route
        return in_mask2len(bytes(mask[4:8]).ljust(4, b"\0"))
    return -1


def _in_ifa_ifwithroute(k: "Kernel", flags: int, dst: bytes, gateway: bytes) -> Any:
    """BSD's ifa_ifwithroute for IPv4: our address to reach ``gateway`` from,
    or None.  An interface route (no RTF_GATEWAY) names our address (or, for
    a host route, a point-to-point peer); a gateway is looked for as a peer,
    on a subnet of ours, then through the table — "dismiss a gateway that is
    reachable only through the default router"."""
    from kernel.netinet import in_ as _in, in_rmx
    ia = None
    if not flags & RTF_GATEWAY:
        if flags & RTF_HOST:
            ia = _in.ifa_ifwithdstaddr(k, dst)
        if ia is None:
            ia = _in.ifa_ifwithaddr(k, gateway)
    else:
        ia = _in.ifa_ifwithdstaddr(k, gateway)
    if ia is None:
        ia = _in.ifa_ifwithnet(k, gateway)
    if ia is None:
        rt = in_rmx.in_rtalloc(k, gateway)
        if rt is None or rt.rt_prefixlen == 0:
            return None
        ia = rt.rt_ifa
    return ia


def _in_gateway_ifp(k: "Kernel", flags: int, dst: bytes, gw: Any, ifpsa: Any,
                    ifasa: Any) -> tuple[int, Any, Any, Any]:
    """(errno, gateway for in_rtrequest, interface, in_ifaddr) of an IPv4
    request (BSD's rt_getifa): RTA_IFP names the interface, RTA_IFA our
    address; else the gateway decides (an interface route names the link)."""
    from kernel.netinet import in_ as _in
    ifp = ia = None
    gateway: Any = None
    if isinstance(gw, sockaddr_dl):
        ifp = _ifp_of_sa(k, gw)
        if ifp is None:
            return E.ENETUNREACH, None, None, None
        gateway = sockaddr_dl(ifp.if_index, int(ifp.if_type))
    elif isinstance(gw, sockaddr_in):
        gateway = gw.sin_addr
    elif gw is not None:
        return E.EAFNOSUPPORT, None, None, None
    if ifpsa is not None:
        if not isinstance(ifpsa, sockaddr_dl):
            return E.EINVAL, None, None, None
        if ifpsa.sdl_name or ifpsa.sdl_index:
            ifp = _ifp_of_sa(k, ifpsa)
            if ifp is None:
                return E.ENXIO, None, None, None
    if isinstance(ifasa, sockaddr_in):
        ia = _in.ifa_ifwithaddr(k, ifasa.sin_addr)
    if ia is None:
        if ifp is not None:
            sa = ifasa.sin_addr if isinstance(ifasa, sockaddr_in) else (
                gateway if isinstance(gateway, bytes) else dst)
            ia = _in.ifaof_ifpforaddr(ifp, sa)
        elif isinstance(gateway, bytes):
            ia = _in_ifa_ifwithroute(k, flags, dst, gateway)
    if ia is not None and ifp is None:
        ifp = ia.ia_ifp
    if ifp is None and not flags & (RTF_REJECT | RTF_BLACKHOLE):
        return E.ENETUNREACH, None, None, None
    return 0, gateway, ifp, ia


def _in_route_request(k: "Kernel", f: dict[str, Any], addrs: dict[int, Any],
                      dst: sockaddr_in) -> tuple[int, Optional[bytes]]:
    """RTM_ADD, RTM_DELETE, RTM_GET, RTM_CHANGE, RTM_LOCK on the IPv4 table."""
    from kernel.netinet import in_rmx
    rtype = f["rtm_type"]
    flags = f["rtm_flags"]
    addr = dst.sin_addr
    plen, exact, want_ifp = _rtm_target(f, addrs, 32, _in_mask_plen)
    if plen < 0:
        return E.EINVAL, None

    def report(rt: Any) -> bytes:
        return in_rmx.in_rt_msg(k, rt, rtype, with_ifp=want_ifp,
                                rtm_flags=rt.rt_flags | RTF_DONE, rtm_pid=f["rtm_pid"],
                                rtm_seq=f["rtm_seq"], rtm_errno=0, rtm_fmask=f["rtm_fmask"],
                                rtm_inits=f["rtm_inits"])

    if rtype == RTM_ADD:
        gw = addrs.get(RTAX_GATEWAY)
        if gw is None:
            return E.EINVAL, None
        err, gateway, ifp, ia = _in_gateway_ifp(k, flags, addr, gw, addrs.get(RTAX_IFP),
                                                addrs.get(RTAX_IFA))
        if err:
            return err, None
        mtu, _expire = _metrics_in(k, f)
        err, rt = in_rmx.in_rtrequest(k, RTM_ADD, addr, plen, gateway, flags & ~_IN_OUT_FLAGS,
                                      ifp, ia, mtu)
        if err:
            return err, None
        f["rtm_index"] = rt.rt_ifp.if_index if rt.rt_ifp is not None else 0
        return 0, None

    if rtype == RTM_DELETE:
        err, rt = in_rmx.in_rtrequest(k, RTM_DELETE, addr, plen)
        if err:
            return err, None
        return 0, report(rt)

    rt = in_rmx.in_rtlookup(k, addr, plen) if exact else in_rmx.in_rtalloc(k, addr)
    done = _rtm_get_lock(f, rt, report)
    if done is not None:
        return done
    # RTM_CHANGE: gateway, interface, the flags of rtm_fmask, the MTU
    gateway, ifp, ia = None, None, None
    gw = addrs.get(RTAX_GATEWAY)
    if gw is not None or addrs.get(RTAX_IFP) is not None or addrs.get(RTAX_IFA) is not None:
        err, gateway, ifp, ia = _in_gateway_ifp(k, flags | (rt.rt_flags & RTF_GATEWAY),
                                                rt.rt_dst, gw, addrs.get(RTAX_IFP),
                                                addrs.get(RTAX_IFA))
        if err:
            return err, None
        if gw is None:
            gateway = None
    mtu, _expire = _metrics_in(k, f)
    err, rt = in_rmx.in_rtrequest(k, RTM_CHANGE, rt.rt_dst, rt.rt_prefixlen, gateway,
                                  _rtm_change_flags(f, rt), ifp, ia, mtu)
    if err:
        return err, None
    return 0, report(rt)


def _metrics_in(k: "Kernel", f: dict[str, Any]) -> tuple[int, int]:
    """(mtu, expire in time_uptime seconds) the request initializes (rtm_inits)."""
    inits = f["rtm_inits"]
    rmx = f["rtm_rmx"]
    mtu = rmx["rmx_mtu"] if inits & RTV_MTU else 0
    expire = _uptime(k, rmx["rmx_expire"]) if inits & RTV_EXPIRE else 0
    return mtu, expire


def _gateway_ifp(k: "Kernel", gw: Any, ifpsa: Any, zone: int) -> tuple[int, Any, Any]:
    """(errno, gateway for rtrequest, interface) of a gateway sockaddr
    (BSD's ifa_ifwithroute): an interface route names the link; a scoped
    gateway (fe80::1%em0) names the interface by its zone; RTA_IFP wins."""
    ifp = None
    gateway: Any = None
    if isinstance(gw, sockaddr_dl):
        ifp = _ifp_of_sa(k, gw)
        if ifp is None:
            return E.ENETUNREACH, None, None
        gateway = sockaddr_dl(ifp.if_index, int(ifp.if_type))
    elif isinstance(gw, sockaddr_in6):
        gateway = gw.sin6_addr
        if gateway == _LOOPBACK:
            ifp = getattr(k, "loif", None)
        elif in6_is_scoped(gateway):
            gzone = gw.sin6_scope_id or zone
            if gzone:
                ifp = _ifnet_byindex(k, gzone)
                if ifp is None:
                    return E.ENXIO, None, None
    elif gw is not None:
        return E.EAFNOSUPPORT, None, None
    if ifpsa is not None:
        if not isinstance(ifpsa, sockaddr_dl):
            return E.EINVAL, None, None
        if ifpsa.sdl_name or ifpsa.sdl_index:
            ifp = _ifp_of_sa(k, ifpsa)
            if ifp is None:
                return E.ENXIO, None, None
    return 0, gateway, ifp


def _lla_rt_output(k: "Kernel", rtype: int, flags: int, addrs: dict[int, Any],
                   dst: sockaddr_in6) -> int:
    """RTF_LLDATA: add or delete a neighbor cache entry (lla_rt_output)."""
    dl = addrs.get(RTAX_GATEWAY)
    if not isinstance(dl, sockaddr_dl):
        return E.EINVAL
    ifp = _ifnet_byindex(k, dl.sdl_index) or (k.ifunit(dl.sdl_name) if dl.sdl_name else None)
    if ifp is None or getattr(k, "nd6", None) is None:
        return E.EINVAL
    from kernel.netinet6 import nd6
    if rtype == RTM_ADD:
        if len(dl.sdl_lladdr) != 6 or not nd6.nd6_need_cache(ifp):
            return E.EINVAL
        nd6.nd6_add_static(ifp, dst.sin6_addr, dl.sdl_lladdr)
        return 0
    if rtype == RTM_DELETE:
        ln = nd6.nd6_lookup(ifp, dst.sin6_addr)
        if ln is None:
            return E.ENOENT
        nd6.nd6_free(ln)
        return 0
    return E.EINVAL


# -- sysctl dumps ---------------------------------------------------------------------------
def _radix_key(rt: Any) -> tuple[bytes, int]:
    """The order of a radix tree walk: the key (with KAME's embedded zone in
    bytes 2-3 of a scoped address), the more specific of equal keys first."""
    a = bytearray(rt.rt_dst)
    if rt.rt_zone and _has_zone(rt.rt_dst):
        a[2:4] = (rt.rt_zone & 0xFFFF).to_bytes(2, "big")
    return bytes(a), -rt.rt_prefixlen


def sysctl_dumpentries(k: "Kernel") -> bytes:
    """NET_RT_DUMP: an RTM_GET message per route, AF_INET's table before
    AF_INET6's (rt_tables[] is indexed by address family)."""
    from kernel.net import route
    out = []
    if getattr(k, "rt_inet", None) is not None:
        from kernel.netinet import in_rmx
        out += [in_rmx.in_rt_msg(k, rt) for rt in in_rmx.in_rt_dump(k)]
    rts = sorted(route.rt_dump(k), key=_radix_key)
    out += [rt_msg_of(k, RTM_GET, rt, with_ifp=True) for rt in rts]
    return b"".join(out)


def sysctl_iflist(k: "Kernel") -> bytes:
    """NET_RT_IFLIST: per interface an RTM_IFINFO (with its link-level sockaddr)
    and an RTM_NEWADDR per address: the IPv4 ones, then the IPv6 ones."""
    out = []
    in6_ifaddrs = in_ifaddrs = None
    if getattr(k, "in6", None) is not None:
        from kernel.netinet6.in6 import in6_ifaddrs
    if getattr(k, "inet", None) is not None:
        from kernel.netinet.in_ import in_ifaddrs
    for ifp in list(k.ifnet):
        out.append(if_msg_of(ifp, with_sdl=True))
        if in_ifaddrs is not None:
            out.extend(ifa_msg_in(ia, RTM_NEWADDR) for ia in in_ifaddrs(k, ifp))
        if in6_ifaddrs is not None:
            out.extend(ifa_msg_of(ia, RTM_NEWADDR) for ia in in6_ifaddrs(k, ifp))
    return b"".join(out)


def sysctl_llinfo(k: "Kernel") -> bytes:
    """NET_RT_FLAGS with RTF_LLINFO for AF_INET6: an RTM_GET per neighbor cache
    entry — destination, and the link-level address as the gateway
    (``sdl_alen`` 0 while incomplete); rmx_expire the expiry, rmx_pksent the
    probes sent, rmx_filler[0] the state (FreeBSD's rmx_state)."""
    nd = getattr(k, "nd6", None)
    if nd is None:
        return b""
    from kernel.netinet6 import nd6
    out = []
    for ln in nd6.nd6_entries(k):
        ifp = ln.ln_ifp
        flags = RTF_UP | RTF_HOST | RTF_LLINFO
        if ln.ln_flags & getattr(nd6, "LLE_STATIC", 0):
            flags |= RTF_STATIC
        if ln.ln_router:
            flags |= RTF_GATEWAY
        expire = ln.ln_expire // SEC if ln.ln_expire else 0
        rmx = dict(rmx_locks=0, rmx_mtu=0, rmx_hopcount=0,
                   rmx_expire=_wall(k, expire) & 0xFFFFFFFF, rmx_recvpipe=0, rmx_sendpipe=0,
                   rmx_ssthresh=0, rmx_rtt=0, rmx_rttvar=0, rmx_pksent=ln.ln_asked & 0xFFFFFFFF,
                   rmx_filler=[ln.ln_state & 0xFFFFFFFF, 0, 0, 0])
        addrs = {RTAX_DST: _sin6(ln.ln_addr, ifp.if_index),
                 RTAX_GATEWAY: sockaddr_dl(ifp.if_index, int(ifp.if_type), "",
                                           bytes(ln.ln_lladdr or b""))}
        out.append(rt_msg_build(RTM_GET, addrs, rtm_flags=flags, rtm_index=ifp.if_index,
                                rtm_rmx=rmx))
    return b"".join(out)


__all__ = ["rts_init", "route_output", "rt_dispatch", "rt_missmsg", "rt_newaddrmsg",
           "rt_missmsg_in", "rt_newaddrmsg_in", "ifa_msg_in",
           "rt_ifmsg", "sysctl_dumpentries", "sysctl_iflist", "sysctl_llinfo", "rtsstat",
           "sdl_of", "if_data_of", "RTF_LLDATA"]
