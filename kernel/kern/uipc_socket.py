"""Sockets (sys/kern/uipc_socket.c, sys/sys/socketvar.h).

``socreate`` finds the protocol through the domain list (uipc_domain.py) and
attaches it; ``sosend`` and ``soreceive`` move data between the process and
the socket buffers with BSD's blocking rules: a full or empty buffer makes
the caller sleep (``sbwait``), or fail with EWOULDBLOCK (35, EAGAIN) when the
socket is non-blocking (SS_NBIO, from FIONBIO/O_NONBLOCK) or the call says
MSG_DONTWAIT; SO_RCVTIMEO/SO_SNDTIMEO bound the sleep.  Datagrams keep their
boundaries: a short read truncates and reports MSG_TRUNC.

Socket-level options (SOL_SOCKET) are handled here; other levels go to the
protocol's ``pr_ctloutput(so, sopt)``.
"""
from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any, Optional

from kernel.kern.kern_descrip import intarg
from kernel.kern.uipc_domain import (
    PR_ATOMIC, PR_CONNREQUIRED, PR_IMPLOPCL, PR_WANTRCVD, PRUS_EOF, PRUS_OOB,
    pffinddomain, pffindproto, pffindtype, protosw,
)
from kernel.kern.uipc_mbuf import mbuf
from kernel.kern.uipc_socket2 import (
    SBS_CANTRCVMORE, SBS_CANTSENDMORE, SBS_RCVATMARK, SQ_COMP, SQ_INCOMP, SS_ISCONFIRMING,
    SS_ISCONNECTED, SS_ISCONNECTING, SS_ISDISCONNECTING, SS_NBIO, SS_NOFDREF,
    sbdrop, sbdroprecord, sbflush, sbreserve, sbspace, sbwait, socantrcvmore, socantsendmore,
    sockbuf,
)
from kernel.kern.sys_generic import selrecord
from kernel.wire.errno import (
    EALREADY, EDESTADDRREQ, EDOM, EINVAL, EISCONN, EMSGSIZE, ENOPROTOOPT, ENOTCONN,
    EOPNOTSUPP, EPIPE, EPROTONOSUPPORT, EPROTOTYPE, EAFNOSUPPORT, EWOULDBLOCK, oserror,
)
from kernel.wire.poll import (
    POLLHUP, POLLIN, POLLINIGNEOF, POLLOUT, POLLPRI, POLLRDBAND, POLLRDNORM, POLLWRNORM,
)
from kernel.wire.socket import (
    MSG_DONTROUTE, MSG_DONTWAIT, MSG_EOF, MSG_EOR, MSG_NBIO, MSG_OOB, MSG_PEEK, MSG_TRUNC,
    MSG_WAITALL, SHUT_RD, SHUT_RDWR, SHUT_WR, SO_ACCEPTCONN, SO_ACCEPTFILTER, SO_BINTIME,
    SO_BROADCAST, SO_DEBUG, SO_DOMAIN, SO_DONTROUTE, SO_ERROR, SO_KEEPALIVE, SO_LINGER,
    SO_LISTENINCQLEN, SO_LISTENQLEN, SO_LISTENQLIMIT, SO_NOSIGPIPE, SO_OOBINLINE,
    SO_PROTOCOL, SO_RCVBUF, SO_RCVLOWAT, SO_RCVTIMEO, SO_REUSEADDR, SO_REUSEPORT, SO_SETFIB,
    SO_SNDBUF, SO_SNDLOWAT, SO_SNDTIMEO, SO_TIMESTAMP, SO_TYPE, SO_USELOOPBACK,
    SO_USER_COOKIE, SOCK_STREAM, SOL_SOCKET, cmsg_space, linger,
)
from kernel.wire.time import timeval

if TYPE_CHECKING:  # pragma: no cover
    from kernel.kern.init_main import Kernel
    from kernel.kern.kern_proc import proc

MAX_HDR = 128          # leading space of a sent mbuf: link + IPv6 + extension headers

_BOOL_OPTS = (SO_DEBUG, SO_KEEPALIVE, SO_DONTROUTE, SO_USELOOPBACK, SO_BROADCAST,
              SO_REUSEADDR, SO_REUSEPORT, SO_OOBINLINE, SO_TIMESTAMP, SO_BINTIME, SO_NOSIGPIPE)

# sopt_dir
SOPT_GET = 0
SOPT_SET = 1


class sockopt:
    """``struct sockopt``: one get/setsockopt request; ``sopt_val`` carries the value
    (set: what the caller gave; get: what the handler answers)."""

    __slots__ = ("sopt_dir", "sopt_level", "sopt_name", "sopt_val", "sopt_td")

    def __init__(self, dir: int, level: int, name: int, val: Any = None,
                 td: Optional["proc"] = None) -> None:
        self.sopt_dir = dir
        self.sopt_level = level
        self.sopt_name = name
        self.sopt_val = val
        self.sopt_td = td


class socket:
    """``struct socket``."""

    __slots__ = ("so_kernel", "so_type", "so_options", "so_linger", "so_state", "so_qstate",
                 "so_pcb", "so_proto", "so_head", "so_incomp", "so_comp", "so_qlen",
                 "so_incqlen", "so_qlimit", "so_error", "so_sigio", "so_oobmark", "so_rcv",
                 "so_snd", "so_cred", "so_fibnum", "so_user_cookie", "so_upcall")

    def __init__(self, k: "Kernel", type: int, proto: protosw) -> None:
        self.so_kernel = k
        self.so_type = type
        self.so_options = 0
        self.so_linger = 0
        self.so_state = 0
        self.so_qstate = 0
        self.so_pcb: Any = None
        self.so_proto = proto
        self.so_head: Optional[socket] = None
        self.so_incomp: deque[socket] = deque()
        self.so_comp: deque[socket] = deque()
        self.so_qlen = 0
        self.so_incqlen = 0
        self.so_qlimit = 0
        self.so_error = 0
        self.so_sigio = 0
        self.so_oobmark = 0
        self.so_rcv = sockbuf(self)
        self.so_snd = sockbuf(self)
        self.so_cred: Any = None
        self.so_fibnum = 0
        self.so_user_cookie = 0
        self.so_upcall: Any = None

    def __repr__(self) -> str:
        return f"<socket {self.so_proto!r} state={self.so_state:#x}>"


def _err(e: Any) -> None:
    """Raise the errno a protocol request returned (0/None: nothing)."""
    if e:
        raise oserror(e)


def _req(so: socket, name: str) -> Any:
    fn = getattr(so.so_proto.pr_usrreqs, name, None) if so.so_proto.pr_usrreqs else None
    if fn is None:
        raise oserror(EOPNOTSUPP)
    return fn


def socreate(k: "Kernel", dom: int, stype: int, proto: int, td: Optional["proc"]) -> socket:
    """socreate(9): a socket of (family, type, protocol), attached to its protocol."""
    if type(dom) is not int or type(stype) is not int or type(proto) is not int:
        raise oserror(EINVAL)
    prp = pffindproto(k, dom, proto, stype) if proto else pffindtype(k, dom, stype)
    if prp is None:
        if pffinddomain(k, dom) is None:
            raise oserror(EAFNOSUPPORT)
        if proto == 0 and stype != 0:
            raise oserror(EPROTOTYPE)
        raise oserror(EPROTONOSUPPORT)
    if prp.pr_usrreqs is None or prp.pr_usrreqs.pru_attach is None:
        raise oserror(EPROTONOSUPPORT)
    if prp.pr_type != stype:
        raise oserror(EPROTOTYPE)
    so = socket(k, stype, prp)
    so.so_cred = td.p_ucred if td is not None else None
    _err(prp.pr_usrreqs.pru_attach(so, proto, td))
    k.numopensockets += 1
    return so


def sobind(so: socket, nam: Any, td: Optional["proc"]) -> None:
    _err(_req(so, "pru_bind")(so, nam, td))


def solisten(so: socket, backlog: int, td: Optional["proc"]) -> None:
    _err(_req(so, "pru_listen")(so, backlog, td))
    k = so.so_kernel
    if backlog < 0 or backlog > k.somaxconn:
        backlog = k.somaxconn
    so.so_qlimit = backlog
    so.so_options |= SO_ACCEPTCONN


def soaccept(so: socket) -> Any:
    """The peer address of a connection just taken off the queue."""
    so.so_state &= ~SS_NOFDREF
    return _req(so, "pru_accept")(so)


def soconnect(so: socket, nam: Any, td: Optional["proc"]) -> None:
    if so.so_options & SO_ACCEPTCONN:
        raise oserror(EOPNOTSUPP)
    if so.so_state & (SS_ISCONNECTED | SS_ISCONNECTING):
        if so.so_proto.pr_flags & PR_CONNREQUIRED:
            raise oserror(EISCONN)
        try:
            sodisconnect(so)
        except OSError:
            raise oserror(EISCONN) from None
    so.so_error = 0
    _err(_req(so, "pru_connect")(so, nam, td))


def soconnect2(so1: socket, so2: socket) -> None:
    _err(_req(so1, "pru_connect2")(so1, so2))


def sodisconnect(so: socket) -> None:
    if not so.so_state & SS_ISCONNECTED:
        raise oserror(ENOTCONN)
    if so.so_state & SS_ISDISCONNECTING:
        raise oserror(EALREADY)
    _err(_req(so, "pru_disconnect")(so))


def soabort(so: socket) -> None:
    fn = so.so_proto.pr_usrreqs.pru_abort
    if fn is not None:
        fn(so)
    sofree(so)


def sofree(so: socket) -> None:
    if so.so_pcb is not None or not so.so_state & SS_NOFDREF:
        return
    head = so.so_head
    if head is not None:
        if so.so_qstate & SQ_INCOMP:
            head.so_incomp.remove(so)
            head.so_incqlen -= 1
        elif so.so_qstate & SQ_COMP:
            return                  # accept() will take it
        so.so_head = None
        so.so_qstate = 0
    sbflush(so.so_snd)
    sbflush(so.so_rcv)
    so.so_kernel.numopensockets -= 1


def soclose(so: socket, td: Optional["proc"]) -> None:
    """The last descriptor on ``so`` is closed."""
    if so.so_options & SO_ACCEPTCONN:
        for q in (so.so_incomp, so.so_comp):
            while q:
                sp = q.popleft()
                sp.so_head = None
                sp.so_qstate = 0
                sp.so_state |= SS_NOFDREF
                soabort(sp)
        so.so_incqlen = so.so_qlen = 0
    pr = so.so_proto.pr_usrreqs
    if so.so_pcb is not None:
        if so.so_state & SS_ISCONNECTED and so.so_proto.pr_flags & PR_CONNREQUIRED:
            try:
                sodisconnect(so)
            except OSError:
                pass
        if pr.pru_close is not None:
            pr.pru_close(so)
        if pr.pru_detach is not None:
            pr.pru_detach(so)
        so.so_pcb = None
    so.so_state |= SS_NOFDREF
    so.so_rcv.sb_state |= SBS_CANTRCVMORE
    so.so_snd.sb_state |= SBS_CANTSENDMORE
    sofree(so)


# -- send ----------------------------------------------------------------------------
def _sendable(so: socket, addr: Any, control_only: bool) -> None:
    """The checks before a send: EPIPE, a pending so_error, ENOTCONN, EDESTADDRREQ."""
    if so.so_snd.sb_state & SBS_CANTSENDMORE:
        raise oserror(EPIPE)
    if so.so_error:
        e = so.so_error
        so.so_error = 0
        raise oserror(e)
    if not so.so_state & SS_ISCONNECTED:
        if so.so_proto.pr_flags & PR_CONNREQUIRED:
            if not control_only and not so.so_state & SS_ISCONFIRMING:
                raise oserror(ENOTCONN)
        elif addr is None:
            raise oserror(EDESTADDRREQ)


def sosend(so: socket, addr: Any, data: bytes, control: Optional[list], flags: int,
           td: Optional["proc"]) -> int:
    """Send ``data`` (to ``addr`` if given): returns the bytes sent.

    Datagrams go through ``sosend_dgram``; a stream waits for room in the
    send buffer (or sends what fits, when non-blocking).
    """
    usr = so.so_proto.pr_usrreqs
    if usr.pru_sosend is not None:
        return usr.pru_sosend(so, addr, data, control, flags, td)
    pr_flags = so.so_proto.pr_flags
    if pr_flags & PR_ATOMIC:
        return sosend_dgram(so, addr, data, control, flags, td)
    resid = len(data)
    if so.so_type == SOCK_STREAM and flags & MSG_EOR:
        raise oserror(EINVAL)
    clen = cmsg_space(control)
    sb = so.so_snd
    nonblock = so.so_state & SS_NBIO or flags & (MSG_DONTWAIT | MSG_NBIO)
    sent = 0
    while True:
        _sendable(so, addr, resid == 0 and clen > 0)
        space = sbspace(sb)
        if flags & MSG_OOB:
            space += 1024
        if clen > sb.sb_hiwat:
            raise oserror(EMSGSIZE)
        if space < resid + clen and (space < sb.sb_lowat or space < clen):
            if nonblock:
                if sent:
                    return sent
                raise oserror(EWOULDBLOCK)
            err = sbwait(sb)
            if err:
                if sent:
                    return sent
                raise oserror(err)
            continue
        room = max(0, space - clen)
        chunk = data[sent:sent + room] if room < resid else data[sent:]
        m = mbuf(chunk, leading=MAX_HDR)
        resid -= len(chunk)
        prflags = PRUS_OOB if flags & MSG_OOB else 0
        if flags & MSG_EOF and pr_flags & PR_IMPLOPCL and resid == 0:
            prflags |= PRUS_EOF
        e = usr.pru_send(so, prflags, m, addr, control, td)
        if e:
            raise oserror(e)
        clen = 0
        control = None
        sent += len(chunk)
        if resid <= 0:
            return sent


def sosend_dgram(so: socket, addr: Any, data: bytes, control: Optional[list], flags: int,
                 td: Optional["proc"]) -> int:
    """sosend for atomic protocols: a datagram goes straight to the protocol,
    never waits for buffer space; larger than the send buffer is EMSGSIZE."""
    sb = so.so_snd
    _sendable(so, addr, False)
    resid = len(data)
    if resid > sb.sb_hiwat or (control and cmsg_space(control) > sb.sb_hiwat):
        raise oserror(EMSGSIZE)
    m = mbuf(data, leading=MAX_HDR)
    send = so.so_proto.pr_usrreqs.pru_send
    if flags & MSG_DONTROUTE and not so.so_options & SO_DONTROUTE:
        so.so_options |= SO_DONTROUTE
        try:
            e = send(so, PRUS_OOB if flags & MSG_OOB else 0, m, addr, control, td)
        finally:
            so.so_options &= ~SO_DONTROUTE
    else:
        e = send(so, PRUS_OOB if flags & MSG_OOB else 0, m, addr, control, td)
    if e:
        raise oserror(e)
    return resid


# -- receive -------------------------------------------------------------------------
def soreceive(so: socket, n: int, flags: int, td: Optional["proc"]
              ) -> tuple[bytes, Any, list, int]:
    """Receive up to ``n`` bytes: (data, from address, control list, msg_flags)."""
    usr = so.so_proto.pr_usrreqs
    if usr.pru_soreceive is not None:
        return usr.pru_soreceive(so, n, flags, td)
    if flags & MSG_OOB:
        return _req(so, "pru_rcvoob")(so, n, flags)
    sb = so.so_rcv
    pr_flags = so.so_proto.pr_flags
    nonblock = so.so_state & SS_NBIO or flags & (MSG_DONTWAIT | MSG_NBIO)
    while not sb.sb_mb:
        if so.so_error:
            e = so.so_error
            if not flags & MSG_PEEK:
                so.so_error = 0
            raise oserror(e)
        if sb.sb_state & SBS_CANTRCVMORE:
            return b"", None, [], 0
        if not so.so_state & (SS_ISCONNECTED | SS_ISCONNECTING) and pr_flags & PR_CONNREQUIRED:
            raise oserror(ENOTCONN)
        if n == 0:
            return b"", None, [], 0
        if nonblock:
            raise oserror(EWOULDBLOCK)
        err = sbwait(sb)
        if err:
            raise oserror(err)
    if pr_flags & PR_ATOMIC:
        rec = sb.sb_mb[0]
        m = rec[1]
        mlen = m.m_len
        if mlen <= n:
            data = bytes(m.buf[m.off:m.off + mlen])
            outflags = 0
        else:
            data = bytes(m.buf[m.off:m.off + n])
            outflags = MSG_TRUNC
        if not flags & MSG_PEEK:
            sbdroprecord(sb)
            if pr_flags & PR_WANTRCVD and so.so_pcb is not None:
                usr.pru_rcvd(so, flags)
        return data, rec[0], list(rec[2]) if rec[2] else [], outflags
    return _soreceive_stream(so, n, flags, nonblock)


def _soreceive_stream(so: socket, n: int, flags: int, nonblock: int) -> tuple[bytes, Any, list, int]:
    sb = so.so_rcv
    out = bytearray()
    addr = None
    control: list = []
    while True:
        got = 0
        for rec in sb.sb_mb:
            if addr is None and rec[0] is not None:
                addr = rec[0]
            if rec[2]:
                control.extend(rec[2])
            m = rec[1]
            take = min(n - len(out), m.m_len)
            out += m.buf[m.off:m.off + take]
            got += take
            if len(out) >= n:
                break
        if not flags & MSG_PEEK and got:
            sbdrop(sb, got)
            if so.so_proto.pr_flags & PR_WANTRCVD and so.so_pcb is not None:
                so.so_proto.pr_usrreqs.pru_rcvd(so, flags)
        if (len(out) >= n or not flags & MSG_WAITALL or flags & MSG_PEEK or nonblock
                or sb.sb_state & SBS_CANTRCVMORE or so.so_error):
            return bytes(out), addr, control, 0
        if sbwait(sb):
            return bytes(out), addr, control, 0


def sorflush(so: socket) -> None:
    socantrcvmore(so)
    sbflush(so.so_rcv)


def soshutdown(so: socket, how: int) -> None:
    if how not in (SHUT_RD, SHUT_WR, SHUT_RDWR):
        raise oserror(EINVAL)
    if how != SHUT_WR:
        sorflush(so)
    if how != SHUT_RD:
        fn = so.so_proto.pr_usrreqs.pru_shutdown
        if fn is None:
            socantsendmore(so)
        else:
            _err(fn(so))


# -- options -------------------------------------------------------------------------
def _intval(v: Any) -> int:
    if isinstance(v, bool):
        return int(v)
    if type(v) is int:
        return v
    if isinstance(v, (bytes, bytearray)) and len(v) == 4:
        return int.from_bytes(v, "little", signed=True)
    raise oserror(EINVAL)


def _timeo(v: Any) -> int:
    if isinstance(v, timeval):
        if v.tv_sec < 0 or not 0 <= v.tv_usec < 1_000_000:
            raise oserror(EDOM)
        return v.to_ns()
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        if v < 0:
            raise oserror(EDOM)
        return int(round(v * 1_000_000_000))
    raise oserror(EINVAL)


def sosetopt(so: socket, sopt: sockopt) -> None:
    if sopt.sopt_level != SOL_SOCKET:
        ctl = so.so_proto.pr_ctloutput
        if ctl is None:
            raise oserror(ENOPROTOOPT)
        _err(ctl(so, sopt))
        return
    name = sopt.sopt_name
    val = sopt.sopt_val
    k = so.so_kernel
    if name in _BOOL_OPTS:
        if _intval(val):
            so.so_options |= name
        else:
            so.so_options &= ~name
    elif name == SO_LINGER:
        if not isinstance(val, linger):
            raise oserror(EINVAL)
        so.so_linger = intarg(val.l_linger)
        if val.l_onoff:
            so.so_options |= SO_LINGER
        else:
            so.so_options &= ~SO_LINGER
    elif name in (SO_SNDBUF, SO_RCVBUF, SO_SNDLOWAT, SO_RCVLOWAT):
        v = _intval(val)
        if v < 1:
            raise oserror(EINVAL)
        sb = so.so_snd if name in (SO_SNDBUF, SO_SNDLOWAT) else so.so_rcv
        if name in (SO_SNDBUF, SO_RCVBUF):
            _err(sbreserve(sb, v, k.sb_max))
        else:
            sb.sb_lowat = min(v, sb.sb_hiwat)
    elif name in (SO_SNDTIMEO, SO_RCVTIMEO):
        (so.so_snd if name == SO_SNDTIMEO else so.so_rcv).sb_timeo = _timeo(val)
    elif name == SO_SETFIB:
        v = _intval(val)
        if v != 0:
            raise oserror(EINVAL)
        so.so_fibnum = v
    elif name == SO_USER_COOKIE:
        so.so_user_cookie = _intval(val) & 0xFFFFFFFF
    elif name == SO_ACCEPTFILTER:
        raise oserror(EINVAL)
    else:
        raise oserror(ENOPROTOOPT)
    ctl = so.so_proto.pr_ctloutput
    if ctl is not None:                 # let the protocol see socket-level options too
        try:
            ctl(so, sopt)
        except OSError:
            pass


def sogetopt(so: socket, sopt: sockopt) -> Any:
    if sopt.sopt_level != SOL_SOCKET:
        ctl = so.so_proto.pr_ctloutput
        if ctl is None:
            raise oserror(ENOPROTOOPT)
        _err(ctl(so, sopt))
        return sopt.sopt_val
    name = sopt.sopt_name
    if name in _BOOL_OPTS or name == SO_ACCEPTCONN:
        return so.so_options & name
    if name == SO_LINGER:
        return linger(1 if so.so_options & SO_LINGER else 0, so.so_linger)
    if name == SO_TYPE:
        return so.so_type
    if name == SO_PROTOCOL:
        return so.so_proto.pr_protocol
    if name == SO_DOMAIN:
        return so.so_proto.pr_domain.dom_family if so.so_proto.pr_domain else 0
    if name == SO_ERROR:
        e = so.so_error
        so.so_error = 0
        return e
    if name == SO_SNDBUF:
        return so.so_snd.sb_hiwat
    if name == SO_RCVBUF:
        return so.so_rcv.sb_hiwat
    if name == SO_SNDLOWAT:
        return so.so_snd.sb_lowat
    if name == SO_RCVLOWAT:
        return so.so_rcv.sb_lowat
    if name in (SO_SNDTIMEO, SO_RCVTIMEO):
        return timeval.from_ns((so.so_snd if name == SO_SNDTIMEO else so.so_rcv).sb_timeo)
    if name == SO_LISTENQLIMIT:
        return so.so_qlimit
    if name == SO_LISTENQLEN:
        return so.so_qlen
    if name == SO_LISTENINCQLEN:
        return so.so_incqlen
    if name == SO_SETFIB:
        return so.so_fibnum
    if name == SO_USER_COOKIE:
        return so.so_user_cookie
    raise oserror(ENOPROTOOPT)


# -- poll -----------------------------------------------------------------------------
def soreadable(so: socket) -> bool:
    sb = so.so_rcv
    return bool((sb.sb_mb and sb.sb_cc >= sb.sb_lowat) or sb.sb_state & SBS_CANTRCVMORE
                or so.so_comp or so.so_error)


def sowriteable(so: socket) -> bool:
    sb = so.so_snd
    return bool((sbspace(sb) >= sb.sb_lowat
                 and (so.so_state & SS_ISCONNECTED
                      or not so.so_proto.pr_flags & PR_CONNREQUIRED))
                or sb.sb_state & SBS_CANTSENDMORE or so.so_error)


def sopoll(so: socket, events: int, td: Optional["proc"]) -> int:
    usr = so.so_proto.pr_usrreqs
    if usr.pru_sopoll is not None:
        return usr.pru_sopoll(so, events, td)
    revents = 0
    if events & (POLLIN | POLLRDNORM) and soreadable(so):
        revents |= events & (POLLIN | POLLRDNORM)
    if events & POLLINIGNEOF and so.so_rcv.sb_cc >= so.so_rcv.sb_lowat:
        revents |= POLLINIGNEOF
    if events & (POLLOUT | POLLWRNORM) and sowriteable(so):
        revents |= events & (POLLOUT | POLLWRNORM)
    if events & (POLLPRI | POLLRDBAND) and (so.so_oobmark or so.so_rcv.sb_state & SBS_RCVATMARK):
        revents |= events & (POLLPRI | POLLRDBAND)
    if so.so_rcv.sb_state & SBS_CANTRCVMORE and so.so_snd.sb_state & SBS_CANTSENDMORE \
            and so.so_state & (SS_ISCONNECTED | SS_ISCONNECTING | 0x2000):
        revents |= POLLHUP
    if revents == 0:
        if events & (POLLIN | POLLPRI | POLLRDNORM | POLLRDBAND | POLLINIGNEOF):
            selrecord(td, so.so_rcv.sb_sel)
        if events & (POLLOUT | POLLWRNORM):
            selrecord(td, so.so_snd.sb_sel)
    return revents

