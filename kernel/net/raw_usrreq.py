"""The generic part of raw protocol families' sockets (sys/net/raw_cb.c, raw_usrreq.c).

The routing socket (rtsock.py, PF_ROUTE) and the key socket (netkey/keysock.py,
PF_KEY, RFC 2367) are both raw families: a socket is a control block on the
family's list, connected from birth, with fixed socket buffer sizes; writes go
to the family's output routine, reads come from its sendup.  What they share is
here; what each does with the messages stays in its own module.
"""
from __future__ import annotations

from typing import Any, Callable, Optional

from kernel.kern.uipc_socket2 import socantsendmore, soisconnected, soreserve
from kernel.wire import errno as E


def raw_attach(so: Any, cbs: Optional[list[Any]], sendspace: int, recvspace: int,
               newcb: Callable[[], Any], options: int = 0) -> int:
    """raw_attach: reserve the socket buffers, make the control block (``newcb()``),
    put it on the family's list ``cbs`` (None: the family is not in this kernel),
    set ``options`` and mark the socket connected.  Returns an errno."""
    if so.so_pcb is not None:
        return E.EISCONN
    if cbs is None:
        return E.EPROTONOSUPPORT
    err = soreserve(so, sendspace, recvspace)
    if err:
        return err
    cb = newcb()
    so.so_pcb = cb
    cbs.append(cb)
    so.so_options |= options
    soisconnected(so)
    return 0


def raw_ushutdown(so: Any) -> int:
    """pru_shutdown: no more writes."""
    socantsendmore(so)
    return 0


__all__ = ["raw_attach", "raw_ushutdown"]
