"""Protocol control blocks of IPv6 sockets (sys/netinet6/in6_pcb.c, netinet/in_pcb.h).

An ``in6pcb`` is the protocol half of a UDP or raw socket: local and
foreign address and port (with the zone of scoped addresses, RFC 4007),
the hop limit, the multicast and sticky packet options, the receive flags
of RFC 3542 (``IN6P_PKTINFO`` ...), a cached route.  ``inpcbinfo`` is one
protocol's list of them, hashed by local port.

``in6_pcbbind`` (RFC 3493 3.7 semantics: a unicast address must be ours,
EADDRINUSE unless SO_REUSEADDR/SO_REUSEPORT allow sharing), ephemeral ports
chosen at random in net.inet.ip.portrange.first..last (RFC 6056),
``in6_pcbconnect`` (the source by ``in6_selectsrc``, RFC 6724 5), IPV6_V6ONLY
(its default net.inet6.ip6.v6only; IPv4-mapped addresses refused, RFC 3493
5.3), ``in6_pcblookup``
(exact, then wildcard) and ``in6_pcbnotify`` (ICMPv6 errors to connected
sockets, BSD's ``inet6ctlerrmap``).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Optional

from kernel.net.route import route_in6
from kernel.netinet6.ip6_input import in6_ifaddr_for
from kernel.netinet6 import in6_src as _in6_src, scope6 as _scope6
from kernel.wire import errno
from kernel.wire.in6 import IN6ADDR_ANY, IN6ADDR_LOOPBACK, in6_is_scoped, sockaddr_in6

if TYPE_CHECKING:  # pragma: no cover
    from kernel.kern.init_main import Kernel

SO_REUSEADDR = 0x0004
SO_REUSEPORT = 0x0200

# in6p_flags (FreeBSD netinet/in_pcb.h)
IN6P_IPV6_V6ONLY = 0x008000
IN6P_PKTINFO = 0x010000         # receive IP6 dst and I/F
IN6P_HOPLIMIT = 0x020000        # receive hoplimit
IN6P_HOPOPTS = 0x040000
IN6P_DSTOPTS = 0x080000
IN6P_RTHDR = 0x100000
IN6P_RTHDRDSTOPTS = 0x200000
IN6P_TCLASS = 0x400000
IN6P_AUTOFLOWLABEL = 0x800000
IN6P_MTU = 0x80000000           # receive path MTU (IPV6_RECVPATHMTU)

_V4MAPPED = bytes(10) + b"\xff\xff"

IPPORT_HIFIRSTAUTO = 49152
IPPORT_HILASTAUTO = 65535
IPPORT_RESERVED = 1024

# sys/protosw.h PRC_* -> errno (FreeBSD inet6ctlerrmap)
INET6CTLERRMAP = [0, 0, 0, 0, 0, errno.EMSGSIZE, errno.EHOSTDOWN, errno.EHOSTUNREACH,
                  errno.EHOSTUNREACH, errno.EHOSTUNREACH, errno.ECONNREFUSED, errno.ECONNREFUSED,
                  errno.EMSGSIZE, errno.EHOSTUNREACH, 0, 0, 0, 0, errno.EHOSTUNREACH, 0,
                  errno.ENOPROTOOPT, errno.ECONNREFUSED]


class in6pcb:
    """``struct inpcb`` of an IPv6 socket."""

    __slots__ = ("in6p_socket", "in6p_info", "in6p_laddr", "in6p_lport", "in6p_lzone",
                 "in6p_faddr", "in6p_fport", "in6p_fzone", "in6p_flags", "in6p_hops",
                 "in6p_moptions", "in6p_outputopts", "in6p_route", "in6p_ip6_nxt",
                 "in6p_cksum", "in6p_icmp6filt", "in6p_sp")

    def __init__(self, so: Any, info: "inpcbinfo") -> None:
        self.in6p_socket = so
        self.in6p_info = info
        self.in6p_laddr = IN6ADDR_ANY
        self.in6p_lport = 0
        self.in6p_lzone = 0
        self.in6p_faddr = IN6ADDR_ANY
        self.in6p_fport = 0
        self.in6p_fzone = 0
        self.in6p_flags = IN6P_IPV6_V6ONLY
        self.in6p_hops = -1                 # IPV6_UNICAST_HOPS: -1 = default
        self.in6p_moptions: Any = None      # ip6_moptions
        self.in6p_outputopts: Any = None    # ip6_pktopts (sticky options)
        self.in6p_route = route_in6()
        self.in6p_ip6_nxt = 0               # raw sockets: the protocol
        self.in6p_cksum = -1                # raw sockets: IPV6_CHECKSUM offset
        self.in6p_icmp6filt: Any = None     # raw ICMPv6 sockets: ICMP6_FILTER
        self.in6p_sp: Any = None            # IPV6_IPSEC_POLICY: inpcbpolicy once set (KAME)

    def __repr__(self) -> str:
        return (f"<in6pcb {sockaddr_in6(self.in6p_laddr, self.in6p_lport, 0, self.in6p_lzone)} -> "
                f"{sockaddr_in6(self.in6p_faddr, self.in6p_fport, 0, self.in6p_fzone)}>")


class inpcbinfo:
    """The PCBs of one protocol (``udbinfo``, ``ripcbinfo``)."""

    def __init__(self, name: str) -> None:
        self.ipi_name = name
        self.ipi_list: list[in6pcb] = []
        self.ipi_porthash: dict[int, list[in6pcb]] = {}
        self.ipi_portfirst = IPPORT_HIFIRSTAUTO
        self.ipi_portlast = IPPORT_HILASTAUTO


def in6_pcballoc(so: Any, info: inpcbinfo) -> in6pcb:
    inp = in6pcb(so, info)
    k = getattr(so, "so_kernel", None)
    if k is not None and not k.ip6.ip6_v6only:
        inp.in6p_flags &= ~IN6P_IPV6_V6ONLY     # net.inet6.ip6.v6only: IPV6_V6ONLY's default
    so.so_pcb = inp
    info.ipi_list.append(inp)
    return inp


def _hash_remove(inp: in6pcb) -> None:
    lst = inp.in6p_info.ipi_porthash.get(inp.in6p_lport)
    if lst is not None and inp in lst:
        lst.remove(inp)
        if not lst:
            del inp.in6p_info.ipi_porthash[inp.in6p_lport]


def _hash_insert(inp: in6pcb) -> None:
    inp.in6p_info.ipi_porthash.setdefault(inp.in6p_lport, []).append(inp)


def in6_pcbdetach(inp: in6pcb) -> None:
    """Forget the PCB: leave its groups, unhash it."""
    info = inp.in6p_info
    _hash_remove(inp)
    if inp in info.ipi_list:
        info.ipi_list.remove(inp)
    from kernel.netinet6.in6_mcast import ip6_freemoptions
    ip6_freemoptions(inp.in6p_moptions)         # leave the groups (and their source filters)
    so = inp.in6p_socket
    if so is not None and so.so_pcb is inp:
        so.so_pcb = None


def in6_checkzone(k: "Kernel", sa6: sockaddr_in6) -> tuple[int, sockaddr_in6]:
    """The zone of a socket address (scope6.c's ``sa6_embedscope``): (errno, sa6)."""
    return _scope6.sa6_embedscope(k, sa6)


def in6_fillzone(inp: in6pcb, sa6: sockaddr_in6, pktinfo: Any = None) -> sockaddr_in6:
    """KAME in6_embedscope: a scoped destination given without zone takes that of
    the interface the sender chose — IPV6_PKTINFO, or IPV6_MULTICAST_IF for a group."""
    if sa6.sin6_scope_id or not in6_is_scoped(sa6.sin6_addr):
        return sa6
    idx = pktinfo.ipi6_ifindex if pktinfo is not None else 0
    im6o = inp.in6p_moptions
    if not idx and sa6.sin6_addr[0] == 0xFF and im6o is not None and im6o.im6o_multicast_ifp:
        idx = im6o.im6o_multicast_ifp.if_index
    if not idx:
        return sa6
    return sockaddr_in6(sa6.sin6_addr, sa6.sin6_port, sa6.sin6_flowinfo, idx)


def _sa6(nam: Any) -> Optional[sockaddr_in6]:
    return nam if isinstance(nam, sockaddr_in6) else None


def _port_in_use(inp: in6pcb, lport: int, laddr: bytes, zone: int) -> bool:
    so = inp.in6p_socket
    opts = so.so_options if so is not None else 0
    for o in inp.in6p_info.ipi_porthash.get(lport, ()):
        if o is inp:
            continue
        oopts = o.in6p_socket.so_options if o.in6p_socket is not None else 0
        # SO_REUSEPORT on both, or SO_REUSEADDR for a multicast address (BSD)
        if opts & oopts & SO_REUSEPORT:
            continue
        if laddr[0] == 0xFF and opts & oopts & (SO_REUSEADDR | SO_REUSEPORT):
            continue
        if o.in6p_laddr == IN6ADDR_ANY or laddr == IN6ADDR_ANY or \
                (o.in6p_laddr == laddr and o.in6p_lzone == zone):
            return True
    return False


def in6_pcbsetport(inp: in6pcb, k: "Kernel") -> int:
    """Pick a free ephemeral port at random (RFC 6056 algorithm 1)."""
    info = inp.in6p_info
    first, last = info.ipi_portfirst, info.ipi_portlast
    n = last - first + 1
    start = k.platform.rng.randrange(n)
    for i in range(n):
        port = first + (start + i) % n
        if not _port_in_use(inp, port, inp.in6p_laddr, inp.in6p_lzone):
            _hash_remove(inp)
            inp.in6p_lport = port
            _hash_insert(inp)
            return 0
    return errno.EADDRNOTAVAIL


def in6_pcbbind(inp: in6pcb, nam: Any, k: "Kernel", noport: bool = False) -> int:
    """Bind to ``nam`` (a sockaddr_in6, or None: any address, an ephemeral port)."""
    if inp.in6p_lport or inp.in6p_laddr != IN6ADDR_ANY:
        return errno.EINVAL                       # already bound
    laddr, lport, zone = IN6ADDR_ANY, 0, 0
    if nam is not None:
        sa6 = _sa6(nam)
        if sa6 is None:
            return errno.EAFNOSUPPORT
        err, sa6 = in6_checkzone(k, sa6)
        if err:
            return err
        laddr, lport, zone = sa6.sin6_addr, sa6.sin6_port, sa6.sin6_scope_id
        err = in6_v4mapped_check(inp, laddr, errno.EADDRNOTAVAIL)
        if err:
            return err
        if laddr[0] != 0xFF and laddr != IN6ADDR_ANY:
            # RFC 3493 3.7: a unicast address to bind to must be one of ours,
            # and not one we may not use (anycast, tentative, duplicated: KAME).
            ia = in6_ifaddr_for(k, laddr, zone)
            if ia is None or ia.ia6_flags & (0x01 | 0x02 | 0x04 | 0x08):
                return errno.EADDRNOTAVAIL
        if noport:
            lport = 0
        elif lport and _port_in_use(inp, lport, laddr, zone):
            return errno.EADDRINUSE
    inp.in6p_laddr, inp.in6p_lzone = laddr, zone
    if noport:
        return 0
    if lport == 0:
        err = in6_pcbsetport(inp, k)
        if err:
            inp.in6p_laddr, inp.in6p_lzone = IN6ADDR_ANY, 0
        return err
    _hash_remove(inp)
    inp.in6p_lport = lport
    _hash_insert(inp)
    return 0


def in6_pcbladdr(inp: in6pcb, k: "Kernel", dst: bytes, zone: int,
                 opts: Any = None) -> tuple[int, bytes]:
    """The local address to use towards ``dst`` (in6_selectsrc, RFC 6724 5):
    (errno, address).  ``opts`` are the packet options of this send (the
    sticky ones if None): IPV6_PKTINFO's interface, IPV6_NEXTHOP and
    IPV6_PREFER_TEMPADDR steer the choice.  No route to the destination is
    EHOSTUNREACH, a route without a usable address EADDRNOTAVAIL (FreeBSD)."""
    if inp.in6p_laddr != IN6ADDR_ANY:
        return 0, inp.in6p_laddr
    if opts is None:
        opts = inp.in6p_outputopts
    err, ia = _in6_src.in6_selectsrc_ia(k, dst, zone, None, opts, inp.in6p_moptions)
    if ia is None:
        return err, IN6ADDR_ANY
    return 0, ia.ia_addr


def in6_pktinfo_src(k: "Kernel", pi: Any) -> int:
    """RFC 3542 6.1: the source address of IPV6_PKTINFO must be one of our unicast
    addresses that may be used (not anycast, tentative or duplicated: KAME),
    in the zone of its interface: 0 or EADDRNOTAVAIL."""
    ia = in6_ifaddr_for(k, bytes(pi.ipi6_addr), pi.ipi6_ifindex)
    if ia is None or ia.ia6_flags & (0x01 | 0x02 | 0x04):
        return errno.EADDRNOTAVAIL
    return 0


def in6_v4mapped_check(inp: in6pcb, addr: bytes, v6only_err: int) -> int:
    """An IPv4-mapped address on an IPv6 socket (RFC 3493 3.7, 5.3): refused
    with ``v6only_err`` under IPV6_V6ONLY (FreeBSD: EINVAL for a peer,
    EADDRNOTAVAIL to bind); without it EAFNOSUPPORT, as kamebox keeps the
    IPv4 and IPv6 PCBs apart (kernel/netinet/in_pcb.py)."""
    if addr[:12] != _V4MAPPED:
        return 0
    return v6only_err if inp.in6p_flags & IN6P_IPV6_V6ONLY else errno.EAFNOSUPPORT


def in6_pcbconnect(inp: in6pcb, nam: Any, k: "Kernel", noport: bool = False) -> int:
    """Connect to ``nam``: choose the local address (and port) and record the peer."""
    sa6 = _sa6(nam)
    if sa6 is None:
        return errno.EAFNOSUPPORT
    if not noport and sa6.sin6_port == 0:
        return errno.EADDRNOTAVAIL
    # a scoped peer without zone takes the interface of a sticky IPV6_PKTINFO
    # (FreeBSD's in6_selectsrc honors it): ping6 -I em0 fe80::1
    opts = inp.in6p_outputopts
    sa6 = in6_fillzone(inp, sa6, opts.ip6po_pktinfo if opts is not None else None)
    err, sa6 = in6_checkzone(k, sa6)
    if err:
        return err
    faddr = sa6.sin6_addr
    err = in6_v4mapped_check(inp, faddr, errno.EINVAL)
    if err:
        return err
    if faddr == IN6ADDR_ANY:
        faddr = IN6ADDR_LOOPBACK                  # KAME: unspecified means loopback
    fzone = sa6.sin6_scope_id if in6_is_scoped(faddr) else 0
    err, laddr = in6_pcbladdr(inp, k, faddr, fzone)
    if err:
        return err
    if not noport:
        for o in inp.in6p_info.ipi_porthash.get(inp.in6p_lport, ()):
            if o is not inp and inp.in6p_lport and o.in6p_faddr == faddr and \
                    o.in6p_fport == sa6.sin6_port and o.in6p_laddr == laddr:
                return errno.EADDRINUSE
    inp.in6p_laddr = laddr
    if in6_is_scoped(laddr) and not inp.in6p_lzone:
        inp.in6p_lzone = fzone
    if not noport and inp.in6p_lport == 0:
        err = in6_pcbsetport(inp, k)
        if err:
            return err
    inp.in6p_faddr, inp.in6p_fport, inp.in6p_fzone = faddr, sa6.sin6_port, fzone
    return 0


def in6_pcbdisconnect(inp: in6pcb) -> None:
    inp.in6p_faddr, inp.in6p_fport, inp.in6p_fzone = IN6ADDR_ANY, 0, 0


def in6_sockaddr(inp: in6pcb) -> sockaddr_in6:
    return sockaddr_in6(inp.in6p_laddr, inp.in6p_lport, 0, inp.in6p_lzone)


def in6_peeraddr(inp: in6pcb) -> sockaddr_in6:
    return sockaddr_in6(inp.in6p_faddr, inp.in6p_fport, 0, inp.in6p_fzone)


def in6_pcblookup(info: inpcbinfo, faddr: bytes, fport: int, laddr: bytes, lport: int,
                  zone: int, wildcard: bool = True) -> Optional[in6pcb]:
    """The PCB for a datagram from faddr:fport to laddr:lport (zone: the receiving
    interface for scoped addresses): the connected one, else the best wildcard."""
    best = None
    bestwild = 3
    for inp in info.ipi_porthash.get(lport, ()):
        if inp.in6p_lzone and inp.in6p_lzone != zone:
            continue
        wild = 0
        if inp.in6p_faddr != IN6ADDR_ANY:
            if inp.in6p_faddr != faddr or inp.in6p_fport != fport:
                continue
        else:
            wild += 1
        if inp.in6p_laddr != IN6ADDR_ANY:
            if inp.in6p_laddr != laddr:
                continue
        else:
            wild += 1
        if wild == 0:
            return inp
        if wildcard and wild < bestwild:
            best, bestwild = inp, wild
    return best


def in6_pcbnotify(info: inpcbinfo, dst: bytes, fport: int, src: bytes, lport: int, cmd: int,
                  notify: Callable[[in6pcb, int], None], mtu: int = 0) -> int:
    """Tell the sockets connected to dst:fport from src:lport about an error
    (``cmd`` a PRC_*); with PRC_MSGSIZE, IN6P_MTU sockets hear of the new MTU
    even unconnected.  Returns how many were told."""
    errno_ = INET6CTLERRMAP[cmd] if 0 <= cmd < len(INET6CTLERRMAP) else 0
    n = 0
    for inp in list(info.ipi_list):
        if cmd == 5 and inp.in6p_flags & IN6P_MTU and (inp.in6p_faddr in (IN6ADDR_ANY, dst)):
            ip6_notify_pmtu(inp, dst, mtu)
            n += 1
            continue
        if inp.in6p_faddr != dst or (fport and inp.in6p_fport != fport):
            continue
        if lport and inp.in6p_lport != lport:
            continue
        if src != IN6ADDR_ANY and inp.in6p_laddr not in (IN6ADDR_ANY, src):
            continue
        if errno_:
            notify(inp, errno_)
            n += 1
    return n


def in6_rtchange(inp: in6pcb, errno_: int) -> None:
    """A route changed under the socket: drop its cached route (in6_rtchange)."""
    inp.in6p_route = route_in6()


def ip6_notify_pmtu(inp: in6pcb, dst: bytes, mtu: int) -> None:
    """RFC 3542 11.3: queue an IPV6_PATHMTU ancillary message (no data)."""
    from kernel.kern.uipc_mbuf import mbuf
    from kernel.kern.uipc_socket2 import sbappendaddr, sorwakeup
    from kernel.wire.in6_sockopt import IPPROTO_IPV6, IPV6_PATHMTU, ip6_mtuinfo
    so = inp.in6p_socket
    if so is None or not mtu:
        return
    info = ip6_mtuinfo(sockaddr_in6(dst, inp.in6p_fport, 0, inp.in6p_fzone), mtu)
    if sbappendaddr(so.so_rcv, sockaddr_in6(dst, 0, 0, inp.in6p_fzone), mbuf(b""),
                    [(IPPROTO_IPV6, IPV6_PATHMTU, info.pack())]):
        sorwakeup(so)
