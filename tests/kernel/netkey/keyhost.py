"""A kernel with netkey and PF_KEY sockets driven straight through the socket
layer (socreate/sosend/soreceive), for the tests of kernel/netkey.

    kh = KeyHost()                 # booted, key_init called as a SYSINIT would
    s = kh.socket()                # root's PF_KEY socket (kh.socket(uid=1000): not root)
    replies = s.request(msg)       # send, then every datagram now queued on s
"""
from __future__ import annotations

from types import SimpleNamespace
from typing import Any, Optional

from emu.machine import Machine
from emu.sched import MS, SEC, Scheduler
from kernel.kern.init_main import Kernel, KernelConfig
from kernel.kern.uipc_socket import SOPT_SET, socreate, soclose, sosend, soreceive, sosetopt, sockopt
from kernel.netkey.key import key_init
from kernel.wire.in6 import inet_pton6, sockaddr_in6
from kernel.wire.pfkeyv2 import (
    PF_KEY, PF_KEY_V2, SADB_ADD, SADB_X_PROMISC, SADB_EXT_ADDRESS_DST, SADB_EXT_ADDRESS_SRC, SADB_EXT_KEY_AUTH,
    SADB_EXT_KEY_ENCRYPT, SADB_EXT_LIFETIME_HARD, SADB_EXT_LIFETIME_SOFT, SADB_SATYPE_ESP,
    SADB_X_EALG_AESCBC, SADB_AALG_SHA1HMAC, SADB_X_SPDADD, IPSEC_DIR_OUTBOUND,
    IPSEC_POLICY_IPSEC, IPSEC_ULPROTO_ANY, msg_build, msg_parse, sadb_address_build,
    sadb_key_build, sadb_lifetime_build, sadb_message, sadb_sa_build, sadb_x_policy_build,
    sadb_x_sa2_build,
)
from kernel.wire.socket import MSG_DONTWAIT, SO_RCVBUF, SOCK_RAW, SOL_SOCKET

A = sockaddr_in6(inet_pton6("2001:db8::a"))
B = sockaddr_in6(inet_pton6("2001:db8::b"))
C = sockaddr_in6(inet_pton6("2001:db8::c"))
AKEY = b"\x11" * 20           # hmac-sha1: 160 bits
EKEY = b"\x22" * 16           # aes-cbc 128


class KeySock:
    def __init__(self, kh: "KeyHost", uid: int = 0, proto: int = PF_KEY_V2) -> None:
        self.kh = kh
        self.td = None if uid == 0 else SimpleNamespace(p_ucred=SimpleNamespace(cr_uid=uid),
                                                        p_pid=99)
        self.so = socreate(kh.k, PF_KEY, SOCK_RAW, proto, self.td)
        sosetopt(self.so, sockopt(SOPT_SET, SOL_SOCKET, SO_RCVBUF, 128 * 1024))

    def send(self, data: bytes) -> int:
        """The errno of the write (0 if it went through)."""
        try:
            sosend(self.so, None, data, None, 0, self.td)
        except OSError as e:
            return e.errno
        return 0

    def recv_all(self) -> list[bytes]:
        out = []
        while True:
            try:
                data, _a, _c, _f = soreceive(self.so, 1 << 20, MSG_DONTWAIT, self.td)
            except OSError:
                return out
            if not data:
                return out
            out.append(data)

    def msgs(self) -> list[sadb_message]:
        """The queued messages, parsed; a promiscuous copy (an SADB_X_PROMISC
        header in front of a message) as the message inside, ``wrapped`` set."""
        out = []
        for d in self.recv_all():
            wrapped = d[1] == SADB_X_PROMISC and len(d) > 16
            m = msg_parse(d[16:] if wrapped else d, check_version=False)
            m.wrapped = wrapped
            out.append(m)
        return out

    def request(self, data: bytes) -> list[sadb_message]:
        err = self.send(data)
        assert err == 0, f"send failed with errno {err}"
        return self.msgs()

    def close(self) -> None:
        soclose(self.so, self.td)


class KeyHost:
    """One booted kernel with netkey (key_init, as the SYSINIT would call it)."""

    def __init__(self, seed: int = 1) -> None:
        self.sched = Scheduler(seed)
        self.machine = Machine(self.sched, "h")
        self.k = Kernel(self.machine.platform, KernelConfig())
        self.k.boot()
        if getattr(self.k, "key", None) is None:
            key_init(self.k)

    @property
    def key(self) -> Any:
        return self.k.key

    def socket(self, uid: int = 0, proto: int = PF_KEY_V2) -> KeySock:
        return KeySock(self, uid, proto)

    def run_for(self, ns: int) -> None:
        self.sched.run_for(ns)


def add_msg(spi: int = 0x1000, src: Any = A, dst: Any = B, satype: int = SADB_SATYPE_ESP,
            auth: int = SADB_AALG_SHA1HMAC, enc: int = SADB_X_EALG_AESCBC,
            akey: Optional[bytes] = AKEY, ekey: Optional[bytes] = EKEY, mode: int = 0,
            reqid: int = 0, lifetimes: Optional[tuple] = None, mtype: int = SADB_ADD,
            seq: int = 0, pid: int = 0, extra: tuple = ()) -> bytes:
    """An ADD (or UPDATE) request; ``lifetimes`` ((hard fields), (soft fields))."""
    exts = [sadb_sa_build(spi, 4, 0, auth, enc), sadb_x_sa2_build(mode, reqid),
            sadb_address_build(SADB_EXT_ADDRESS_SRC, src),
            sadb_address_build(SADB_EXT_ADDRESS_DST, dst)]
    if akey is not None:
        exts.append(sadb_key_build(SADB_EXT_KEY_AUTH, akey))
    if ekey is not None:
        exts.append(sadb_key_build(SADB_EXT_KEY_ENCRYPT, ekey))
    if lifetimes is not None:
        hard, soft = lifetimes
        if hard is not None:
            exts.append(sadb_lifetime_build(SADB_EXT_LIFETIME_HARD, *hard))
        if soft is not None:
            exts.append(sadb_lifetime_build(SADB_EXT_LIFETIME_SOFT, *soft))
    exts += list(extra)
    return msg_build(mtype, exts, sadb_msg_satype=satype, sadb_msg_seq=seq, sadb_msg_pid=pid)


def spd_msg(src: Any = A, dst: Any = B, pdir: int = IPSEC_DIR_OUTBOUND,
            ptype: int = IPSEC_POLICY_IPSEC, requests: tuple = (), prefs: Optional[int] = None,
            prefd: Optional[int] = None, ul: int = IPSEC_ULPROTO_ANY,
            mtype: int = SADB_X_SPDADD, pid: int = 0, extra: tuple = ()) -> bytes:
    return msg_build(mtype, [sadb_x_policy_build(ptype, pdir, 0, list(requests)),
                             sadb_address_build(SADB_EXT_ADDRESS_SRC, src, prefs, ul),
                             sadb_address_build(SADB_EXT_ADDRESS_DST, dst, prefd, ul)]
                     + list(extra), sadb_msg_pid=pid)


__all__ = ["KeyHost", "KeySock", "A", "B", "C", "AKEY", "EKEY", "add_msg", "spd_msg", "SEC",
           "MS"]
