"""PF_KEY sockets (sys/netkey/keysock.c; RFC 2367 section 2.1 and 3).

``socket(PF_KEY, SOCK_RAW, PF_KEY_V2)`` opens a key management socket.  A
write is one PF_KEY message (``key_output``), handed to ``key_parse``
(kernel/netkey/key.py); what the kernel answers or announces comes back as
datagrams, each one whole message, through ``key_sendup_mbuf`` to

- the sender only (KEY_SENDUP_ONE: GETSPI, GET, DUMP, errors),
- every PF_KEY socket (KEY_SENDUP_ALL: ADD, UPDATE, DELETE, FLUSH, SPD changes),
- the sockets that sent SADB_REGISTER (KEY_SENDUP_REGISTERED: ACQUIRE, EXPIRE,
  REGISTER's answer), and the sender;

and every promiscuous socket (SADB_X_PROMISC) gets a copy of each message,
wrapped in an SADB_X_PROMISC header (RFC 2367 3.1.x is silent; KAME's rule,
"based on pf_key@inner.net message on 14 Oct 1998").

KAME's send rules: a message shorter than ``sadb_msg`` or whose
``sadb_msg_len`` disagrees with the bytes written, and one whose extensions
cannot be aligned (unknown or duplicate extension, bad extension length),
fail the write with EINVAL and are not answered; every other error comes back
in ``sadb_msg_errno`` of the answer and the write succeeds.

Privilege: a socket opened by root (``priv_check``) may change the databases;
others may only read them (GET, DUMP, SPDGET, SPDDUMP — without the keys) and
get EPERM in ``sadb_msg_errno`` for anything else (kamebox; FreeBSD refuses
the socket itself to non-root).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from kernel.kern.kern_proc import priv_check
from kernel.kern.uipc_domain import PR_ADDR, PR_ATOMIC, domain, domain_add, pr_usrreqs, protosw
from kernel.kern.uipc_mbuf import mbuf
from kernel.kern.uipc_socket2 import SBS_CANTRCVMORE, sbappendaddr, sorwakeup
from kernel.net.raw_usrreq import raw_attach, raw_ushutdown
from kernel.netkey.keydb import (KEY_SENDUP_ALL, KEY_SENDUP_ONE, KEY_SENDUP_REGISTERED, keycb,
                                 key_state)
from kernel.wire import errno as E
from kernel.wire.pfkeyv2 import PF_KEY, PF_KEY_V2, SADB_MSG_LEN, SADB_X_PROMISC, sadb_msg
from kernel.wire.socket import SOCK_RAW

if TYPE_CHECKING:  # pragma: no cover
    from kernel.kern.init_main import Kernel

KEYSNDQ = 8192          # raw_sendspace
KEYRCVQ = 8192          # raw_recvspace; key managers raise it with SO_RCVBUF


def _st(k: "Kernel") -> Optional[key_state]:
    return getattr(k, "key", None)


def keysock_init(k: "Kernel") -> None:
    """The PF_KEY domain (keysock.c's keydomain and keysw); key_init calls it."""
    usr = pr_usrreqs(pru_attach=key_attach, pru_detach=key_detach, pru_send=key_send,
                     pru_shutdown=raw_ushutdown, pru_abort=key_detach)
    domain_add(k, domain(PF_KEY, "key",
                         [protosw(SOCK_RAW, PF_KEY_V2, PR_ATOMIC | PR_ADDR, usr,
                                  pr_name="key")]))


# -- user requests ------------------------------------------------------------------------
def key_attach(so: Any, proto: int, td: Any) -> int:
    st = _st(so.so_kernel)
    return raw_attach(so, st.kcbs if st is not None else None, KEYSNDQ, KEYRCVQ,
                      lambda: keycb(so, proto, priv_check(td) == 0))


def key_detach(so: Any) -> None:
    """The socket closes: it is no longer registered (key_freereg)."""
    kp = so.so_pcb
    st = _st(so.so_kernel)
    if st is not None and kp is not None:
        for lst in st.regtree.values():
            while so in lst:
                lst.remove(so)
        if kp in st.kcbs:
            st.kcbs.remove(kp)
    so.so_pcb = None


def key_send(so: Any, flags: int, m: mbuf, nam: Any, control: Any, td: Any) -> int:
    if control:
        return E.EINVAL
    return key_output(so, m)


def key_output(so: Any, m: mbuf) -> int:
    """A message written by a process: the checks of keysock.c, then key_parse.
    Returns the errno of the write."""
    k = so.so_kernel
    st = _st(k)
    if st is None:
        return E.EOPNOTSUPP
    stat = st.stat
    data = bytes(m.buf[m.off:m.off + m.m_len])
    stat.out_total += 1
    stat.out_bytes += len(data)
    if len(data) < SADB_MSG_LEN:
        stat.out_tooshort += 1
        return E.EINVAL
    stat.out_msgtype[data[1]] += 1
    if len(data) != int.from_bytes(data[4:6], "little") * 8:
        stat.out_invlen += 1
        return E.EINVAL
    from kernel.netkey.key import key_parse
    return key_parse(k, so, data)


# -- sending up -----------------------------------------------------------------------------
def key_sendup0(kp: keycb, msg: bytes, promisc: bool, st: key_state) -> int:
    """Queue ``msg`` on one socket; a promiscuous copy gets an SADB_X_PROMISC
    header in front.  ENOBUFS (``in_nomem``) if the socket buffer is full."""
    so = kp.kp_socket
    if promisc:
        msg = sadb_msg.build(dict(sadb_msg_type=SADB_X_PROMISC,
                                  sadb_msg_len=(SADB_MSG_LEN + len(msg)) // 8)) + msg
        st.stat.in_msgtype[SADB_X_PROMISC] += 1
    if so.so_rcv.sb_state & SBS_CANTRCVMORE:
        return 0
    if not sbappendaddr(so.so_rcv, None, mbuf(msg, leading=0), None):
        st.stat.in_nomem += 1
        return E.ENOBUFS
    sorwakeup(so)
    return 0


def key_sendup_mbuf(k: "Kernel", so: Any, msg: bytes, target: int) -> int:
    """Send ``msg`` up to ``target`` (KEY_SENDUP_ONE/ALL/REGISTERED) and to
    ``so`` itself (None: the kernel speaks on its own), promiscuous sockets
    getting a wrapped copy.  Returns the errno of queuing on ``so``."""
    st = _st(k)
    if st is None:
        return 0
    stat = st.stat
    stat.in_total += 1
    stat.in_bytes += len(msg)
    if len(msg) >= 2:
        stat.in_msgtype[msg[1]] += 1
    stat.in_msgtarget[target] += 1
    mine = so.so_pcb if so is not None else None
    for kp in list(st.kcbs):
        if kp.kp_proto and kp.kp_proto != PF_KEY_V2:
            continue
        # If you are in promiscuous mode, and when you get broadcasted reply,
        # you'll get two PF_KEY messages.
        if kp.kp_promisc:
            key_sendup0(kp, msg, True, st)
        if kp is mine:
            continue                # the exact target is processed later
        if target == KEY_SENDUP_ALL or (target == KEY_SENDUP_REGISTERED and kp.kp_registered):
            key_sendup0(kp, msg, False, st)
    if mine is not None:
        return key_sendup0(mine, msg, False, st)
    return 0


__all__ = ["keysock_init", "key_output", "key_sendup_mbuf", "key_sendup0", "key_attach",
           "key_detach", "KEYSNDQ", "KEYRCVQ", "KEY_SENDUP_ONE", "KEY_SENDUP_ALL",
           "KEY_SENDUP_REGISTERED"]
