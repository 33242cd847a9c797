"""The socket system calls (sys/kern/uipc_syscalls.c).

Addresses cross as sockaddr objects, data as bytes, control messages as
``[(level, type, bytes)]``; ``recvmsg`` fills in a ``msghdr``.  A send on a
socket that cannot send any more raises EPIPE and sends SIGPIPE, unless
SO_NOSIGPIPE or MSG_NOSIGNAL.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from kernel.kern.kern_descrip import DTYPE_SOCKET, fdclose, fget, finstall
from kernel.kern.kern_sig import psignal
from kernel.kern.kern_synch import tsleep
from kernel.kern.sys_generic import copyout_iov
from kernel.kern.sys_socket import socket_file
from kernel.kern.uipc_socket import (
    SOPT_GET, SOPT_SET, soaccept, sobind, soclose, soconnect, soconnect2, socreate,
    sogetopt, solisten, soreceive, sosend, sosetopt, soshutdown, sockopt,
)
from kernel.kern.uipc_socket2 import (
    SBS_CANTRCVMORE, SQ_COMP, SS_ISCONNECTED, SS_ISCONNECTING, SS_NBIO,
)
from kernel.wire.errno import (
    EALREADY, ECONNABORTED, EFAULT, EINPROGRESS, EINTR, EINVAL, ENOTCONN, ENOTSOCK, EOPNOTSUPP,
    EPIPE, ERESTART, EWOULDBLOCK, oserror,
)
from kernel.wire.fcntl import FNONBLOCK, FREAD, FWRITE
from kernel.wire.signal import SIGPIPE
from kernel.wire.socket import (
    MSG_CTRUNC, MSG_NOSIGNAL, MSG_TRUNC, SO_ACCEPTCONN, SO_NOSIGPIPE, SOCK_CLOEXEC,
    SOCK_DGRAM, SOCK_NONBLOCK, msghdr,
)

if TYPE_CHECKING:  # pragma: no cover
    from kernel.kern.kern_proc import proc
    from kernel.kern.uipc_socket import socket

_BYTES = (bytes, bytearray, memoryview)


def getsock(td: "proc", fd: int) -> "socket":
    fp = fget(td, fd)
    if fp.f_type != DTYPE_SOCKET:
        raise oserror(ENOTSOCK)
    return fp.f_data


def _install(td: "proc", so: "socket", nonblock: bool, cloexec: bool) -> int:
    fp = socket_file(so, FREAD | FWRITE | (FNONBLOCK if nonblock else 0))
    if nonblock:
        so.so_state |= SS_NBIO
    try:
        return finstall(td, fp, 0, cloexec)
    except OSError:
        soclose(so, td)
        raise


def _socktype(domain: Any, stype: Any, protocol: Any) -> tuple[int, int]:
    """(type without flags, flags) of socket(2)/socketpair(2) arguments."""
    if type(stype) is not int or type(domain) is not int or type(protocol) is not int:
        raise oserror(EINVAL)
    flags = stype & (SOCK_CLOEXEC | SOCK_NONBLOCK)
    return stype & ~flags, flags


def sys_socket(td: "proc", domain: int, type: int, protocol: int = 0) -> int:
    stype, flags = _socktype(domain, type, protocol)
    so = socreate(td.p_kernel, domain, stype, protocol, td)
    return _install(td, so, bool(flags & SOCK_NONBLOCK), bool(flags & SOCK_CLOEXEC))


def sys_bind(td: "proc", s: int, name: Any) -> int:
    sobind(getsock(td, s), name, td)
    return 0


def sys_listen(td: "proc", s: int, backlog: int) -> int:
    if type(backlog) is not int:
        raise oserror(EINVAL)
    solisten(getsock(td, s), backlog, td)
    return 0


def sys_connect(td: "proc", s: int, name: Any) -> int:
    so = getsock(td, s)
    if so.so_state & SS_ISCONNECTING:
        raise oserror(EALREADY)
    soconnect(so, name, td)
    if so.so_state & SS_NBIO and so.so_state & SS_ISCONNECTING:
        raise oserror(EINPROGRESS)
    k = td.p_kernel
    while so.so_state & SS_ISCONNECTING and so.so_error == 0:
        err = tsleep(k, so, 0, "connec")
        if err:
            raise oserror(EINTR if err == ERESTART else err)
    if so.so_error:
        e = so.so_error
        so.so_error = 0
        raise oserror(e)
    return 0


def sys_accept(td: "proc", s: int, flags: int = 0) -> tuple[int, Any]:
    """accept(2)/accept4(2): (new descriptor, peer address)."""
    head = getsock(td, s)
    if not head.so_options & SO_ACCEPTCONN:
        raise oserror(EINVAL)
    k = td.p_kernel
    while not head.so_comp and head.so_error == 0:
        if head.so_rcv.sb_state & SBS_CANTRCVMORE:
            raise oserror(ECONNABORTED)
        if head.so_state & SS_NBIO:
            raise oserror(EWOULDBLOCK)
        err = tsleep(k, head, 0, "accept")
        if err:
            raise oserror(err)
    if head.so_error:
        e = head.so_error
        head.so_error = 0
        raise oserror(e)
    so = head.so_comp.popleft()
    head.so_qlen -= 1
    so.so_qstate &= ~SQ_COMP
    so.so_head = None
    addr = soaccept(so)
    fd = _install(td, so, bool(flags & SOCK_NONBLOCK), bool(flags & SOCK_CLOEXEC))
    return fd, addr


def sys_accept4(td: "proc", s: int, flags: int = 0) -> tuple[int, Any]:
    return sys_accept(td, s, flags)


def sys_socketpair(td: "proc", domain: int, type: int, protocol: int = 0) -> tuple[int, int]:
    k = td.p_kernel
    stype, flags = _socktype(domain, type, protocol)
    so1 = socreate(k, domain, stype, protocol, td)
    try:
        so2 = socreate(k, domain, stype, protocol, td)
    except OSError:
        soclose(so1, td)
        raise
    try:
        soconnect2(so1, so2)
        if stype == SOCK_DGRAM:
            soconnect2(so2, so1)
    except OSError:
        soclose(so1, td)
        soclose(so2, td)
        raise
    nb, ce = bool(flags & SOCK_NONBLOCK), bool(flags & SOCK_CLOEXEC)
    fd1 = _install(td, so1, nb, ce)
    try:
        fd2 = _install(td, so2, nb, ce)
    except OSError:
        fdclose(td, fd1)
        raise
    return fd1, fd2


def _data(buf: Any) -> bytes:
    if type(buf) is bytes:
        return buf
    if isinstance(buf, _BYTES):
        return bytes(buf)
    raise oserror(EFAULT)


def _control(control: Any) -> Optional[list]:
    if not control:
        return None
    out = []
    try:
        for level, ctype, data in control:
            if type(level) is not int or type(ctype) is not int:
                raise oserror(EINVAL)
            out.append((level, ctype, _data(data)))
    except (TypeError, ValueError):
        raise oserror(EINVAL) from None
    return out


def _sendit(td: "proc", s: int, to: Any, data: bytes, control: Optional[list], flags: int) -> int:
    so = getsock(td, s)
    if type(flags) is not int:
        raise oserror(EINVAL)
    try:
        return sosend(so, to, data, control, flags, td)
    except OSError as e:
        if e.errno == EPIPE and not so.so_options & SO_NOSIGPIPE and not flags & MSG_NOSIGNAL:
            psignal(td, SIGPIPE)
        raise


def sys_sendto(td: "proc", s: int, buf: Any, flags: int = 0, to: Any = None) -> int:
    return _sendit(td, s, to, _data(buf), None, flags)


def sys_sendmsg(td: "proc", s: int, msg: msghdr, flags: int = 0) -> int:
    try:
        iov = msg.msg_iov
        data = _data(iov[0]) if len(iov) == 1 else b"".join(_data(b) for b in iov)
        name = msg.msg_name
        control = _control(msg.msg_control)
    except AttributeError:
        raise oserror(EFAULT) from None
    return _sendit(td, s, name, data, control, flags)


def sys_recvfrom(td: "proc", s: int, n: int, flags: int = 0) -> tuple[bytes, Any]:
    """recvfrom(2): (data, source address)."""
    if type(n) is not int or n < 0 or type(flags) is not int:
        raise oserror(EINVAL)
    data, addr, _control, _flags = soreceive(getsock(td, s), n, flags, td)
    return data, addr


def sys_recvmsg(td: "proc", s: int, msg: msghdr, flags: int = 0) -> int:
    """recvmsg(2): scatter into ``msg.msg_iov``; fill name, control, flags."""
    if type(flags) is not int:
        raise oserror(EINVAL)
    try:
        iov = msg.msg_iov
        n = len(iov[0]) if len(iov) == 1 else sum(len(b) for b in iov)
        controllen = int(msg.msg_controllen)
    except (AttributeError, TypeError, ValueError):
        raise oserror(EFAULT) from None
    data, addr, control, outflags = soreceive(getsock(td, s), n, flags, td)
    cc = copyout_iov(data, iov)
    if cc < len(data):
        outflags |= MSG_TRUNC
    kept = []
    if control:
        room = controllen
        for c in control:
            need = 16 + ((len(c[2]) + 7) & ~7)    # CMSG_SPACE on LP64
            if need > room:
                outflags |= MSG_CTRUNC
                break
            kept.append(c)
            room -= need
    msg.msg_name = addr
    msg.msg_control = kept
    msg.msg_flags = outflags
    return cc


def sys_shutdown(td: "proc", s: int, how: int) -> int:
    soshutdown(getsock(td, s), how)
    return 0


def sys_setsockopt(td: "proc", s: int, level: int, name: int, val: Any = None) -> int:
    if type(level) is not int or type(name) is not int:
        raise oserror(EINVAL)
    sosetopt(getsock(td, s), sockopt(SOPT_SET, level, name, val, td))
    return 0


def sys_getsockopt(td: "proc", s: int, level: int, name: int, val: Any = None) -> Any:
    """``val``: what the caller's buffer holds going in (getsourcefilter(3)'s request)."""
    if type(level) is not int or type(name) is not int:
        raise oserror(EINVAL)
    return sogetopt(getsock(td, s), sockopt(SOPT_GET, level, name, val, td))


def sys_getsockname(td: "proc", s: int) -> Any:
    so = getsock(td, s)
    fn = so.so_proto.pr_usrreqs.pru_sockaddr
    if fn is None:
        raise oserror(EOPNOTSUPP)
    return fn(so)


def sys_getpeername(td: "proc", s: int) -> Any:
    so = getsock(td, s)
    if not so.so_state & (SS_ISCONNECTED | SS_ISCONNECTING):
        raise oserror(ENOTCONN)
    fn = so.so_proto.pr_usrreqs.pru_peeraddr
    if fn is None:
        raise oserror(ENOTCONN)
    return fn(so)
