"""Loopback protocols for socket-layer tests (no network needed).

Family AF_TEST (250).  SOCK_DGRAM: a socket binds a port; a
datagram sent to a port is queued on the socket bound there with
``sbappendaddr`` — exactly what udp6_input does — and the reader is woken
with ``sorwakeup``.  Drops for a full buffer are counted in ``k.lostat``.
SOCK_STREAM: listen/connect/accept through ``sonewconn`` and a byte stream
with flow control (data waits in the sender's buffer until the reader
makes room, as unix-domain stream sockets do).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from kernel.kern.uipc_domain import (
    PR_ADDR, PR_ATOMIC, PR_CONNREQUIRED, PR_WANTRCVD, domain, domain_add, pr_usrreqs, protosw,
)
from kernel.kern.uipc_mbuf import mbuf
from kernel.kern.uipc_socket2 import (
    SS_ISCONNECTED, sbappend, sbappendaddr, sbcreatecontrol, sbdrop, sbspace, socantrcvmore,
    socantsendmore, soisconnected, soisdisconnected, sonewconn, soreserve, sorwakeup, sowwakeup,
)
from kernel.wire.errno import (
    EADDRINUSE, EAFNOSUPPORT, ECONNREFUSED, EINVAL, EISCONN, ENOTCONN,
)
from kernel.wire.socket import SCM_TIMESTAMP, SO_TIMESTAMP, SOCK_DGRAM, SOCK_STREAM, SOL_SOCKET
from kernel.wire.time import timeval

AF_TEST = 250
LO_SENDSPACE = 9216
LO_RECVSPACE = 42080


@dataclass(frozen=True)
class sockaddr_test:
    port: int = 0

    sa_len = 16
    sa_family = AF_TEST


class lopcb:
    __slots__ = ("so", "lport", "fport")

    def __init__(self, so: Any) -> None:
        self.so = so
        self.lport = 0
        self.fport = 0


class lostat:
    def __init__(self) -> None:
        self.fullsock = 0
        self.noport = 0
        self.delivered = 0


def _ports(k: Any) -> dict[int, lopcb]:
    return k.__dict__.setdefault("lo_ports", {})


def _addr(nam: Any) -> int:
    if not isinstance(nam, sockaddr_test):
        raise OSError(EAFNOSUPPORT, "not a sockaddr_test")
    return nam.port


def lo_attach(so: Any, proto: int, td: Any) -> int:
    err = soreserve(so, LO_SENDSPACE, LO_RECVSPACE)
    if err:
        return err
    so.so_pcb = lopcb(so)
    return 0


def lo_detach(so: Any) -> None:
    pcb = so.so_pcb
    ports = _ports(so.so_kernel)
    if pcb.lport and ports.get(pcb.lport) is pcb:
        del ports[pcb.lport]
    so.so_pcb = None


def _autobind(so: Any) -> None:
    pcb = so.so_pcb
    if pcb.lport == 0:
        ports = _ports(so.so_kernel)
        p = 49152
        while p in ports:
            p += 1
        pcb.lport = p
        ports[p] = pcb


def lo_bind(so: Any, nam: Any, td: Any) -> int:
    port = _addr(nam)
    pcb = so.so_pcb
    if pcb.lport:
        return EINVAL
    ports = _ports(so.so_kernel)
    if port == 0:
        _autobind(so)
        return 0
    if port in ports:
        return EADDRINUSE
    pcb.lport = port
    ports[port] = pcb
    return 0


def lo_connect(so: Any, nam: Any, td: Any) -> int:
    so.so_pcb.fport = _addr(nam)
    _autobind(so)
    soisconnected(so)
    return 0


def lo_disconnect(so: Any) -> int:
    if not so.so_state & SS_ISCONNECTED:
        return ENOTCONN
    so.so_pcb.fport = 0
    soisdisconnected(so)
    so.so_state &= ~0x2000
    return 0


def lo_send(so: Any, flags: int, m: Any, nam: Any, control: Optional[list], td: Any) -> int:
    pcb = so.so_pcb
    k = so.so_kernel
    st = k.__dict__.setdefault("lostat", lostat())
    if nam is not None:
        dport = _addr(nam)
    elif pcb.fport:
        dport = pcb.fport
    else:
        return ENOTCONN
    _autobind(so)
    dst = _ports(k).get(dport)
    if dst is None:
        st.noport += 1
        return 0
    rso = dst.so
    ctl = list(control) if control else []
    if rso.so_options & SO_TIMESTAMP:
        now = k.boottime + k.now()
        ctl.append(sbcreatecontrol(timeval.from_ns(now).pack(), SCM_TIMESTAMP, SOL_SOCKET))
    if not sbappendaddr(rso.so_rcv, sockaddr_test(pcb.lport), m, ctl or None):
        st.fullsock += 1
        return 0
    st.delivered += 1
    sorwakeup(rso)
    return 0


def lo_sockaddr(so: Any) -> sockaddr_test:
    return sockaddr_test(so.so_pcb.lport)


def lo_peeraddr(so: Any) -> sockaddr_test:
    return sockaddr_test(so.so_pcb.fport)


lo_usrreqs = pr_usrreqs(pru_attach=lo_attach, pru_detach=lo_detach, pru_bind=lo_bind,
                        pru_connect=lo_connect, pru_disconnect=lo_disconnect, pru_send=lo_send,
                        pru_sockaddr=lo_sockaddr, pru_peeraddr=lo_peeraddr)


# -- a loopback stream protocol (like unix-domain stream sockets) ---------------------------

ST_SPACE = 8192


class stpcb:
    __slots__ = ("so", "lport", "peer", "listening")

    def __init__(self, so: Any) -> None:
        self.so = so
        self.lport = 0
        self.peer: Optional[stpcb] = None
        self.listening = False


def _stports(k: Any) -> dict[int, stpcb]:
    return k.__dict__.setdefault("st_ports", {})


def st_attach(so: Any, proto: int, td: Any) -> int:
    err = soreserve(so, ST_SPACE, ST_SPACE)
    if err:
        return err
    so.so_pcb = stpcb(so)
    return 0


def st_bind(so: Any, nam: Any, td: Any) -> int:
    port = _addr(nam)
    ports = _stports(so.so_kernel)
    if port in ports:
        return EADDRINUSE
    so.so_pcb.lport = port
    ports[port] = so.so_pcb
    return 0


def st_listen(so: Any, backlog: int, td: Any) -> int:
    if not so.so_pcb.lport:
        return EINVAL
    so.so_pcb.listening = True
    return 0


def st_connect(so: Any, nam: Any, td: Any) -> int:
    pcb = so.so_pcb
    if pcb.peer is not None:
        return EISCONN
    head = _stports(so.so_kernel).get(_addr(nam))
    if head is None or not head.listening:
        return ECONNREFUSED
    nso = sonewconn(head.so, SS_ISCONNECTED)
    if nso is None:
        return ECONNREFUSED
    npcb = nso.so_pcb
    npcb.lport = head.lport
    pcb.peer, npcb.peer = npcb, pcb
    soisconnected(so)
    return 0


def _transfer(pcb: stpcb, force: bool = False) -> None:
    """Move what fits (everything if ``force``: the sender is closing) from pcb's
    send buffer into the peer's receive buffer."""
    peer = pcb.peer
    if peer is None:
        return
    sb, rb = pcb.so.so_snd, peer.so.so_rcv
    moved = False
    while sb.sb_mb and (force or sbspace(rb) > 0):
        m = sb.sb_mb[0][1]
        n = m.m_len if force else min(m.m_len, sbspace(rb))
        sbappend(rb, mbuf(m.m_copydata(0, n)))
        sbdrop(sb, n)
        moved = True
    if moved:
        sorwakeup(peer.so)
        sowwakeup(pcb.so)


def st_send(so: Any, flags: int, m: Any, nam: Any, control: Any, td: Any) -> int:
    if nam is not None:
        return EISCONN
    pcb = so.so_pcb
    if pcb.peer is None:
        return ENOTCONN
    sbappend(so.so_snd, m)
    _transfer(pcb)
    return 0


def st_rcvd(so: Any, flags: int) -> None:
    peer = so.so_pcb.peer
    if peer is not None:
        _transfer(peer)


def st_accept(so: Any) -> sockaddr_test:
    return sockaddr_test(so.so_pcb.peer.lport if so.so_pcb.peer else 0)


def st_shutdown(so: Any) -> int:
    socantsendmore(so)
    peer = so.so_pcb.peer
    if peer is not None:
        socantrcvmore(peer.so)
    return 0


def st_disconnect(so: Any) -> int:
    pcb = so.so_pcb
    peer = pcb.peer
    if peer is not None:
        _transfer(pcb, force=True)
        peer.peer = None
        socantrcvmore(peer.so)
        soisdisconnected(peer.so)
    pcb.peer = None
    soisdisconnected(so)
    return 0


def st_detach(so: Any) -> None:
    pcb = so.so_pcb
    if pcb.peer is not None:
        st_disconnect(so)
    ports = _stports(so.so_kernel)
    if pcb.lport and ports.get(pcb.lport) is pcb:
        del ports[pcb.lport]
    so.so_pcb = None


st_usrreqs = pr_usrreqs(pru_attach=st_attach, pru_detach=st_detach, pru_bind=st_bind,
                        pru_listen=st_listen, pru_connect=st_connect, pru_accept=st_accept,
                        pru_send=st_send, pru_rcvd=st_rcvd, pru_shutdown=st_shutdown,
                        pru_disconnect=st_disconnect,
                        pru_sockaddr=lambda so: sockaddr_test(so.so_pcb.lport))


def lo_domain() -> domain:
    return domain(AF_TEST, "test", [
        protosw(SOCK_DGRAM, 17, PR_ATOMIC | PR_ADDR, lo_usrreqs, pr_name="lodgram"),
        protosw(SOCK_STREAM, 6, PR_CONNREQUIRED | PR_WANTRCVD, st_usrreqs, pr_name="lostream"),
    ])


def lo_attach_domain(k: Any) -> None:
    domain_add(k, lo_domain())


def lo_host(*programs: Any) -> Any:
    """A test host running ``programs`` (as /bin/<function name>) with these protocols."""
    from tests.kernel.kern.harness import Host   # noqa: PLC0415 - the harness imports nothing of this
    h = Host(programs={f"/bin/{f.__name__}": f for f in programs})
    lo_attach_domain(h.k)
    return h
