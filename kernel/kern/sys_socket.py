"""File operations on sockets (sys/kern/sys_socket.c).

read/write on a socket descriptor are soreceive/sosend without addresses;
ioctl handles the generic socket requests (FIONBIO, FIONREAD, FIOASYNC,
SIOCATMARK, the owner for SIGIO) and passes the rest on: interface ioctls
(group 'i') to ``k.ifioctl(so, cmd, data, td)`` when the network layer has
installed one (BSD's ifioctl), everything else — and group 'i' until then —
to the protocol's ``pru_control(so, cmd, data, ifp, td)``.  The result of
an ioctl is what ``pru_control`` returns when that is not an int, else the
(filled-in) ``data``.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from kernel.kern.kern_descrip import DTYPE_SOCKET, file, fileops, intarg
from kernel.kern.uipc_socket import soclose, sopoll, soreceive, sosend
from kernel.kern.uipc_socket2 import SB_ASYNC, SBS_RCVATMARK, SS_ASYNC, SS_NBIO
from kernel.wire.errno import EOPNOTSUPP, oserror
from kernel.wire.ioctl import FIOASYNC, FIOGETOWN, FIONBIO, FIONREAD, FIOSETOWN, IOCGROUP
from kernel.wire.stat import S_IFSOCK, stat

if TYPE_CHECKING:  # pragma: no cover
    from kernel.kern.kern_proc import proc
    from kernel.kern.uipc_socket import socket

SIOCATMARK = 0x40047307          # _IOR('s', 7, int)
SIOCSPGRP = 0x80047308           # _IOW('s', 8, int)
SIOCGPGRP = 0x40047309           # _IOR('s', 9, int)


def soo_ioctl(so: "socket", cmd: int, data: Any, td: Optional["proc"]) -> Any:
    if cmd == FIONBIO:
        if data:
            so.so_state |= SS_NBIO
        else:
            so.so_state &= ~SS_NBIO
        return 0
    if cmd == FIOASYNC:
        if data:
            so.so_state |= SS_ASYNC
            so.so_rcv.sb_flags |= SB_ASYNC
            so.so_snd.sb_flags |= SB_ASYNC
        else:
            so.so_state &= ~SS_ASYNC
            so.so_rcv.sb_flags &= ~SB_ASYNC
            so.so_snd.sb_flags &= ~SB_ASYNC
        return 0
    if cmd == FIONREAD:
        return so.so_rcv.sbavail()
    if cmd in (FIOSETOWN, SIOCSPGRP):
        so.so_sigio = intarg(data) if cmd == FIOSETOWN else -intarg(data)
        return 0
    if cmd in (FIOGETOWN, SIOCGPGRP):
        return so.so_sigio if cmd == FIOGETOWN else -so.so_sigio
    if cmd == SIOCATMARK:
        return 1 if so.so_rcv.sb_state & SBS_RCVATMARK else 0
    if IOCGROUP(cmd) == "i":
        ifioctl = getattr(so.so_kernel, "ifioctl", None)
        if ifioctl is not None:
            return _result(ifioctl(so, cmd, data, td), data)
    ctl = so.so_proto.pr_usrreqs.pru_control
    if ctl is None:
        raise oserror(EOPNOTSUPP)
    return _result(ctl(so, cmd, data, None, td), data)


def _result(rv: Any, data: Any) -> Any:
    if rv is None:
        return data if data is not None else 0
    if type(rv) is int:
        if rv:
            raise oserror(rv)
        return data if data is not None else 0
    return rv


class socketops(fileops):
    def fo_read(self, fp: file, n: int, flags: int, td: "proc") -> bytes:
        return soreceive(fp.f_data, n, flags, td)[0]

    def fo_write(self, fp: file, data: bytes, flags: int, td: "proc") -> int:
        return sosend(fp.f_data, None, data, None, flags, td)

    def fo_ioctl(self, fp: file, cmd: int, data: Any, td: "proc") -> Any:
        return soo_ioctl(fp.f_data, cmd, data, td)

    def fo_poll(self, fp: file, events: int, td: Optional["proc"]) -> int:
        return sopoll(fp.f_data, events, td)

    def fo_stat(self, fp: file, td: "proc") -> stat:
        so = fp.f_data
        return stat(st_mode=S_IFSOCK | 0o666, st_size=so.so_rcv.sbavail(),
                    st_blksize=so.so_snd.sb_hiwat)

    def fo_close(self, fp: file, td: Optional["proc"]) -> None:
        soclose(fp.f_data, td)


SOCKETOPS = socketops()


def socket_file(so: "socket", fflags: int) -> file:
    return file(DTYPE_SOCKET, fflags, so, SOCKETOPS)
