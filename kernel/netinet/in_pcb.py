"""Protocol control blocks of IPv4 sockets (sys/netinet/in_pcb.c, in_pcb.h).

An ``inpcb`` is the protocol half of a UDP or raw IPv4 socket: local and
foreign address and port, TTL and TOS, the receive flags (``INP_RECV*``),
the multicast options, a cached route.  The lists are ``inpcbinfo``
(in6_pcb.py's: a list and a hash by local port), one per protocol:
``k.udbinfo4`` and ``k.ripcbinfo4`` — kamebox keeps IPv4 and IPv6 PCBs
apart, so the two families have separate port spaces (FreeBSD's with
net.inet6.ip6.v6only=1 behaves the same for datagrams).

``in_pcbbind`` (a unicast address must be ours, RFC 1122 4.1.3.5 ...; port
sharing with SO_REUSEADDR/SO_REUSEPORT as BSD), ``in_pcb_lport`` (an
ephemeral port at random, RFC 6056 algorithm 1 — the shape in6_pcb.py's
port choice has too, as FreeBSD's in6_pcbbind calls in_pcb.c's),
``in_pcbconnect`` (the source address of the route to the peer,
``in_pcbladdr``), ``in_pcblookup`` (exact, then wildcard) and
``in_pcbnotify`` (ICMP errors to the connected socket, ``inetctlerrmap``).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Optional

from kernel.netinet import in_ as _in
from kernel.netinet.in_rmx import route_in
from kernel.netinet.ip_input import ip_rtaddr
from kernel.netinet.ip_output import ip_freemoptions
from kernel.netinet6.in6_pcb import INET6CTLERRMAP as inetctlerrmap  # sys/protosw.h: the same table
from kernel.netinet6.in6_pcb import inpcbinfo  # noqa: F401 - re-exported
from kernel.wire import errno
from kernel.wire.in_ import INADDR_ANY, INADDR_BROADCAST, IN_MULTICAST, sockaddr_in
from kernel.wire.net_if import IFF
from kernel.wire.socket import SO_DONTROUTE, SO_REUSEADDR, SO_REUSEPORT

if TYPE_CHECKING:  # pragma: no cover
    from kernel.kern.init_main import Kernel


class inpcb:
    """``struct inpcb`` of an IPv4 socket."""

    __slots__ = ("inp_socket", "inp_pcbinfo", "inp_laddr", "inp_lport", "inp_faddr",
                 "inp_fport", "inp_flags", "inp_ip_ttl", "inp_ip_tos", "inp_ip_p",
                 "inp_moptions", "inp_route", "inp_sp")

    def __init__(self, so: Any, info: inpcbinfo, ttl: int) -> None:
        self.inp_socket = so
        self.inp_pcbinfo = info
        self.inp_laddr = INADDR_ANY
        self.inp_lport = 0
        self.inp_faddr = INADDR_ANY
        self.inp_fport = 0
        self.inp_flags = 0
        self.inp_ip_ttl = ttl               # IP_TTL (net.inet.ip.ttl when created)
        self.inp_ip_tos = 0                 # IP_TOS
        self.inp_ip_p = 0                   # raw sockets: the protocol
        self.inp_moptions: Any = None       # ip_moptions
        self.inp_route = route_in()
        self.inp_sp: Any = None             # IP_IPSEC_POLICY: inpcbpolicy once set (KAME)

    def __repr__(self) -> str:
        return (f"<inpcb {sockaddr_in(self.inp_laddr, self.inp_lport)} -> "
                f"{sockaddr_in(self.inp_faddr, self.inp_fport)}>")


def valid_sin(nam: Any) -> Optional[sockaddr_in]:
    """``nam`` if it is a well-formed ``sockaddr_in`` (a process handed it in)."""
    if not isinstance(nam, sockaddr_in):
        return None
    a = nam.sin_addr
    p = nam.sin_port
    if not isinstance(a, bytes) or len(a) != 4 or type(p) is not int or not 0 <= p <= 0xFFFF:
        return None
    return nam


def in_pcballoc(so: Any, info: inpcbinfo) -> inpcb:
    inp = inpcb(so, info, so.so_kernel.ip.ip_defttl)
    so.so_pcb = inp
    info.ipi_list.append(inp)
    return inp


def in_pcbinshash(info: inpcbinfo, inp: Any, lport: int) -> None:
    """Put ``inp`` in the port hash under ``lport``."""
    info.ipi_porthash.setdefault(lport, []).append(inp)


def in_pcbremhash(info: inpcbinfo, inp: Any, lport: int) -> None:
    lst = info.ipi_porthash.get(lport)
    if lst is not None and inp in lst:
        lst.remove(inp)
        if not lst:
            del info.ipi_porthash[lport]


def in_pcbdetach(inp: inpcb) -> None:
    """Forget the PCB: leave its groups, unhash it."""
    info = inp.inp_pcbinfo
    in_pcbremhash(info, inp, inp.inp_lport)
    if inp in info.ipi_list:
        info.ipi_list.remove(inp)
    ip_freemoptions(inp.inp_moptions)
    so = inp.inp_socket
    if so is not None and so.so_pcb is inp:
        so.so_pcb = None


def _port_in_use(inp: inpcb, lport: int, laddr: bytes) -> bool:
    so = inp.inp_socket
    opts = so.so_options if so is not None else 0
    # "Treat SO_REUSEADDR as SO_REUSEPORT for multicast"
    share = SO_REUSEPORT | (SO_REUSEADDR if IN_MULTICAST(laddr) else 0)
    for o in inp.inp_pcbinfo.ipi_porthash.get(lport, ()):
        if o is inp:
            continue
        oopts = o.inp_socket.so_options if o.inp_socket is not None else 0
        if opts & oopts & share:
            continue
        if o.inp_laddr == INADDR_ANY or laddr == INADDR_ANY or o.inp_laddr == laddr:
            return True
    return False


def in_pcb_lport(k: "Kernel", info: inpcbinfo, in_use: Callable[[int], bool]) -> int:
    """A free ephemeral port in net.inet.ip.portrange.first..last, the search
    starting at random (RFC 6056 3.3.1 algorithm 1); 0 when all are taken."""
    first, last = info.ipi_portfirst, info.ipi_portlast
    n = last - first + 1
    start = k.platform.rng.randrange(n)
    for i in range(n):
        port = first + (start + i) % n
        if not in_use(port):
            return port
    return 0


def in_pcbsetport(inp: inpcb, k: "Kernel") -> int:
    port = in_pcb_lport(k, inp.inp_pcbinfo, lambda p: _port_in_use(inp, p, inp.inp_laddr))
    if port == 0:
        return errno.EADDRNOTAVAIL
    in_pcbremhash(inp.inp_pcbinfo, inp, inp.inp_lport)
    inp.inp_lport = port
    in_pcbinshash(inp.inp_pcbinfo, inp, port)
    return 0


def in_pcbbind(inp: inpcb, nam: Any, k: "Kernel", noport: bool = False) -> int:
    """Bind to ``nam`` (a sockaddr_in, or None: any address, an ephemeral port)."""
    if inp.inp_lport or inp.inp_laddr != INADDR_ANY:
        return errno.EINVAL                       # already bound
    laddr, lport = INADDR_ANY, 0
    if nam is not None:
        sin = valid_sin(nam)
        if sin is None:
            return errno.EAFNOSUPPORT if not isinstance(nam, sockaddr_in) else errno.EINVAL
        laddr, lport = sin.sin_addr, sin.sin_port
        if not IN_MULTICAST(laddr) and laddr != INADDR_ANY:
            # a unicast address must be ours (or one of our broadcast addresses)
            if _in.ifa_ifwithaddr(k, laddr) is None:
                return errno.EADDRNOTAVAIL
        if noport:
            lport = 0
        elif lport and _port_in_use(inp, lport, laddr):
            return errno.EADDRINUSE
    inp.inp_laddr = laddr
    if noport:
        return 0
    if lport == 0:
        err = in_pcbsetport(inp, k)
        if err:
            inp.inp_laddr = INADDR_ANY
        return err
    in_pcbremhash(inp.inp_pcbinfo, inp, inp.inp_lport)
    inp.inp_lport = lport
    in_pcbinshash(inp.inp_pcbinfo, inp, lport)
    return 0


def in_pcbfaddr(k: "Kernel", faddr: bytes) -> bytes:
    """in_pcbconnect_setup: "If the destination address is INADDR_ANY, use the
    primary local address.  If the supplied address is INADDR_BROADCAST, and
    the primary interface supports broadcast, choose the broadcast address
    for that interface."  (kamebox: the primary interface is the first that
    supports broadcast — lo0's 127.0.0.1 is configured at boot, before the
    NICs' addresses.)"""
    head = k.inet.in_ifaddrhead
    if head:
        if faddr == INADDR_ANY:
            return head[0].ia_addr
        if faddr == INADDR_BROADCAST:
            ia = next((x for x in head if x.ia_ifp.if_flags & IFF.BROADCAST), None)
            if ia is not None:
                return ia.ia_broadaddr
    return faddr


def in_pcbladdr(inp: inpcb, k: "Kernel", faddr: bytes) -> tuple[int, bytes]:
    """The local address towards ``faddr`` (in_pcbconnect_setup): the bound
    one, else the address of the route's interface, else of the interface on
    the destination's subnet; for a multicast destination with
    IP_MULTICAST_IF, that interface's.  ENETUNREACH when there is none."""
    if inp.inp_laddr != INADDR_ANY:
        return 0, inp.inp_laddr
    so = inp.inp_socket
    ia = None
    if so is None or not so.so_options & SO_DONTROUTE:
        ia = ip_rtaddr(k, faddr)
    if ia is None:
        ia = _in.ifa_ifwithdstaddr(k, faddr) or _in.ifa_ifwithnet(k, faddr)
    imo = inp.inp_moptions
    if IN_MULTICAST(faddr) and imo is not None and imo.imo_multicast_ifp is not None:
        ia = _in.IFP_TO_IA(imo.imo_multicast_ifp)
        if ia is None:
            return errno.EADDRNOTAVAIL, INADDR_ANY
    if ia is None:
        return errno.ENETUNREACH, INADDR_ANY
    return 0, ia.ia_addr


def in_pcbconnect(inp: inpcb, nam: Any, k: "Kernel", noport: bool = False) -> int:
    """Connect to ``nam``: choose the local address (and port), record the peer."""
    sin = valid_sin(nam)
    if sin is None:
        return errno.EAFNOSUPPORT if not isinstance(nam, sockaddr_in) else errno.EINVAL
    if not noport and sin.sin_port == 0:
        return errno.EADDRNOTAVAIL
    faddr = in_pcbfaddr(k, sin.sin_addr)
    err, laddr = in_pcbladdr(inp, k, faddr)
    if err:
        return err
    if not noport:
        for o in inp.inp_pcbinfo.ipi_porthash.get(inp.inp_lport, ()):
            if o is not inp and inp.inp_lport and o.inp_faddr == faddr and \
                    o.inp_fport == sin.sin_port and o.inp_laddr == laddr:
                return errno.EADDRINUSE
    inp.inp_laddr = laddr
    if not noport and inp.inp_lport == 0:
        err = in_pcbsetport(inp, k)
        if err:
            return err
    inp.inp_faddr, inp.inp_fport = faddr, sin.sin_port
    return 0


def in_pcbdisconnect(inp: inpcb) -> None:
    inp.inp_faddr, inp.inp_fport = INADDR_ANY, 0


def in_getsockaddr(so: Any) -> sockaddr_in:
    """pru_sockaddr of UDP and raw sockets (FreeBSD's in_getsockaddr)."""
    inp = so.so_pcb
    return sockaddr_in(inp.inp_laddr, inp.inp_lport) if inp is not None else sockaddr_in()


def in_getpeeraddr(so: Any) -> sockaddr_in:
    """pru_peeraddr of UDP and raw sockets (FreeBSD's in_getpeeraddr)."""
    inp = so.so_pcb
    if inp is None or inp.inp_faddr == INADDR_ANY:
        raise OSError(errno.ENOTCONN, "Socket is not connected")
    return sockaddr_in(inp.inp_faddr, inp.inp_fport)


def in_pcblookup(info: inpcbinfo, faddr: bytes, fport: int, laddr: bytes, lport: int,
                 wildcard: bool = True) -> Optional[inpcb]:
    """The PCB for a datagram from faddr:fport to laddr:lport: the connected
    one, else the best wildcard (in_pcblookup_hash)."""
    best = None
    bestwild = 3
    for inp in info.ipi_porthash.get(lport, ()):
        wild = 0
        if inp.inp_faddr != INADDR_ANY:
            if inp.inp_faddr != faddr or inp.inp_fport != fport:
                continue
        else:
            wild += 1
        if inp.inp_laddr != INADDR_ANY:
            if inp.inp_laddr != laddr:
                continue
        else:
            wild += 1
        if wild == 0:
            return inp
        if wildcard and wild < bestwild:
            best, bestwild = inp, wild
    return best


def in_pcbnotify(inp: Optional[inpcb], cmd: int, notify: Callable[[inpcb, int], None]) -> None:
    """Tell ``inp`` about an error (``cmd`` a PRC_*), through ``inetctlerrmap``."""
    if inp is None or not 0 <= cmd < len(inetctlerrmap):
        return
    err = inetctlerrmap[cmd]
    if err:
        notify(inp, err)
