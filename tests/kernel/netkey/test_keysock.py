"""PF_KEY sockets (kernel/netkey/keysock.py): socket(PF_KEY, SOCK_RAW, PF_KEY_V2),
one message per write, and who hears what (RFC 2367 3: answers to the sender,
to every socket, to the registered ones; promiscuous sockets hear everything
wrapped in an SADB_X_PROMISC header)."""
from __future__ import annotations

import pytest

from kernel.netkey.key_alloc import key_acquire
from kernel.netkey.key_timer import key_expire
from kernel.netkey.keydb import secasindex
from kernel.wire import errno as E
from kernel.wire.pfkeyv2 import (
    IPPROTO_ESP, PF_KEY, PF_KEY_V2, SADB_ACQUIRE, SADB_ADD, SADB_DUMP, SADB_EXPIRE,
    SADB_EXT_ADDRESS_DST, SADB_EXT_ADDRESS_SRC, SADB_GETSPI, SADB_REGISTER, SADB_SATYPE_ESP,
    SADB_X_PROMISC, msg_build, msg_parse, sadb_address_build,
)
from kernel.wire.socket import MSG_DONTWAIT, SOCK_DGRAM, SOCK_RAW
from tests.kernel.kern.harness import Host, errno_of
from tests.kernel.netkey.keyhost import A, B, add_msg
from userland import libc


def _getspi():
    return msg_build(SADB_GETSPI, [sadb_address_build(SADB_EXT_ADDRESS_SRC, A),
                                   sadb_address_build(SADB_EXT_ADDRESS_DST, B)],
                     sadb_msg_satype=SADB_SATYPE_ESP)


def _register(s):
    r = s.request(msg_build(SADB_REGISTER, [], sadb_msg_satype=SADB_SATYPE_ESP))
    assert r and r[-1].hdr.sadb_msg_errno == 0


def _types(msgs):
    return [m.type for m in msgs]


def test_rfc2367_2_1_socket_pf_key_sock_raw_pf_key_v2_through_libc():
    got: dict = {}

    def t(argv):
        s = libc.socket(PF_KEY, SOCK_RAW, PF_KEY_V2)
        s0 = libc.socket(PF_KEY, SOCK_RAW, 0)
        got["proto"] = errno_of(lambda: libc.socket(PF_KEY, SOCK_RAW, 7))
        got["dgram"] = errno_of(lambda: libc.socket(PF_KEY, SOCK_DGRAM, PF_KEY_V2))
        m = add_msg(spi=0x1000, pid=libc.getpid())
        got["n"] = libc.send(s, m)
        got["mine"] = msg_parse(libc.recv(s, 4096, MSG_DONTWAIT))
        got["other"] = msg_parse(libc.recv(s0, 4096, MSG_DONTWAIT))
        got["short"] = errno_of(lambda: libc.send(s, b"\x02\x03"))
        return 0
    h = Host(programs={"/bin/t": t})
    from kernel.netkey.key import key_init
    key_init(h.k)
    assert h.run("/bin/t").status == 0
    assert got["n"] == len(add_msg())
    assert (got["proto"], got["dgram"], got["short"]) == (E.EPROTONOSUPPORT, E.EPROTONOSUPPORT,
                                                          E.EINVAL)
    assert got["mine"].type == SADB_ADD and got["other"].type == SADB_ADD
    assert h.panicked is None


def test_rfc2367_3_answers_go_to_the_sender_all_or_the_registered(kh):
    reg1, reg2, plain = kh.socket(), kh.socket(), kh.socket()
    _register(reg1)
    _register(reg2)
    for s in (reg1, reg2, plain):
        s.msgs()
    # GETSPI: the sender only
    assert _types(plain.request(_getspi())) == [SADB_GETSPI]
    assert reg1.msgs() == [] and reg2.msgs() == []
    # ADD: everyone
    plain.request(add_msg(spi=0x2000))
    assert _types(reg1.msgs()) == [SADB_ADD] and _types(reg2.msgs()) == [SADB_ADD]
    # REGISTER's answer: the registered sockets and the sender
    assert _types(plain.request(msg_build(SADB_REGISTER, [], sadb_msg_satype=3))) \
        == [SADB_REGISTER]
    assert _types(reg1.msgs()) == [SADB_REGISTER] and _types(reg2.msgs()) == [SADB_REGISTER]
    # ACQUIRE and EXPIRE from the kernel: the registered sockets only
    kh.socket()                                    # a socket that never registered
    lonely = kh.socket()
    key_acquire(kh.k, secasindex(A, B, IPPROTO_ESP, 1, 0), None)
    sav = kh.key.all_savs()[0]
    key_expire(kh.k, sav, False)
    for s in (reg1, reg2, plain):
        assert _types(s.msgs()) == [SADB_ACQUIRE, SADB_EXPIRE]
    assert lonely.msgs() == []
    # ONE: GETSPI; ALL: ADD; REGISTERED: three REGISTERs, the ACQUIRE, the EXPIRE
    assert kh.key.stat.in_msgtarget == [1, 1, 5]


def test_a_promiscuous_socket_hears_everything_wrapped_in_x_promisc(kh):
    spy, a, b = kh.socket(), kh.socket(), kh.socket()
    r = spy.request(msg_build(SADB_X_PROMISC, [], sadb_msg_satype=1))
    # its own request comes back to everyone, and to itself once more wrapped
    assert [(m.type, m.wrapped) for m in r] == [(SADB_X_PROMISC, True), (SADB_X_PROMISC, False)]
    assert spy.so.so_pcb.kp_promisc == 1
    assert _types(a.msgs()) == [SADB_X_PROMISC]
    b.msgs()
    a.request(_getspi())                              # an answer to a alone
    assert [(m.type, m.wrapped) for m in spy.msgs()] == [(SADB_GETSPI, True)]
    assert b.msgs() == []
    # the spy's own request: the wrapped copy, then the answer
    got = spy.request(msg_build(SADB_DUMP, []))
    assert [(m.type, m.wrapped, m.hdr.sadb_msg_errno) for m in got] == [
        (SADB_DUMP, True, 0), (SADB_DUMP, False, 0)]
    spy.request(msg_build(SADB_X_PROMISC, [], sadb_msg_satype=0))
    assert spy.so.so_pcb.kp_promisc == 0
    a.request(_getspi())
    assert spy.msgs() == []


def test_a_full_receive_buffer_drops_and_counts_in_nomem(kh):
    s = kh.socket()
    quiet = kh.socket()
    from kernel.kern.uipc_socket import SOPT_SET, sockopt, sosetopt
    from kernel.wire.socket import SO_RCVBUF, SOL_SOCKET
    sosetopt(quiet.so, sockopt(SOPT_SET, SOL_SOCKET, SO_RCVBUF, 256))
    for i in range(5):
        s.request(add_msg(spi=0x3000 + i))
    assert len(quiet.recv_all()) < 5
    assert kh.key.stat.in_nomem >= 1


def test_closing_a_socket_forgets_it(kh):
    s, t = kh.socket(), kh.socket()
    _register(s)
    s.close()
    assert all(s.so not in lst for lst in kh.key.regtree.values())
    assert len(kh.key.kcbs) == 1
    t.request(add_msg(spi=0x4000))          # nobody left to confuse


@pytest.mark.parametrize("proto", [0, PF_KEY_V2])
def test_protocol_0_is_pf_key_v2(kh, proto):
    s = kh.socket(proto=proto)
    assert _types(s.request(add_msg(spi=0x5000))) == [SADB_ADD]
