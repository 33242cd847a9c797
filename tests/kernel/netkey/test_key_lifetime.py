"""SA lifetimes in virtual time (kernel/netkey/key_timer.py): soft limits make a
MATURE SA DYING with an SADB_EXPIRE carrying the SOFT lifetime, hard limits
make it DEAD with one carrying the HARD lifetime and remove it (RFC 2367
3.1.8) — by seconds since added, seconds since first use, bytes and
allocations — and larval SAs go after net.key.larval_lifetime."""
from __future__ import annotations

from kernel.netkey.key_alloc import key_allocsa, key_sa_recordxfer
from kernel.wire.pfkeyv2 import (
    IPPROTO_ESP, SADB_EXPIRE, SADB_EXT_ADDRESS_DST, SADB_EXT_ADDRESS_SRC,
    SADB_EXT_LIFETIME_CURRENT, SADB_EXT_LIFETIME_HARD, SADB_EXT_LIFETIME_SOFT, SADB_EXT_SA,
    SADB_GETSPI, SADB_REGISTER, SADB_SASTATE_DEAD, SADB_SASTATE_DYING, SADB_SASTATE_MATURE,
    SADB_SATYPE_ESP, SADB_UPDATE, msg_build, sadb_address_build,
)
from tests.kernel.netkey.keyhost import A, B, SEC, add_msg


def _registered(kh):
    s = kh.socket()
    s.request(msg_build(SADB_REGISTER, [], sadb_msg_satype=SADB_SATYPE_ESP))
    return s


def _sav(kh, spi):
    lst = kh.key.spihash.get((IPPROTO_ESP, spi), [])
    return lst[0] if lst else None


def test_rfc2367_3_1_8_soft_then_hard_expiry_by_time(kh):
    reg = _registered(kh)
    other = kh.socket()                       # not registered: hears no EXPIRE
    reg.request(add_msg(spi=0x1000, lifetimes=((0, 0, 60, 0), (0, 0, 40, 0))))
    other.msgs()
    sav = _sav(kh, 0x1000)
    kh.run_for(40 * SEC - 1)
    assert sav.state == SADB_SASTATE_MATURE and reg.msgs() == []
    kh.run_for(1)
    assert sav.state == SADB_SASTATE_DYING
    (m,) = reg.msgs()
    assert m.type == SADB_EXPIRE and m.satype == SADB_SATYPE_ESP
    assert SADB_EXT_LIFETIME_SOFT in m.ext and SADB_EXT_LIFETIME_HARD not in m.ext
    assert m.ext[SADB_EXT_LIFETIME_SOFT].sadb_lifetime_addtime == 40
    assert m.ext[SADB_EXT_SA].sadb_sa_spi == 0x1000
    assert m.ext[SADB_EXT_LIFETIME_CURRENT].sadb_lifetime_addtime == 1136073600
    assert key_allocsa(kh.k, B, IPPROTO_ESP, 0x1000) is sav            # a DYING SA still works
    kh.run_for(20 * SEC)
    (m,) = reg.msgs()
    assert m.type == SADB_EXPIRE and m.ext[SADB_EXT_LIFETIME_HARD].sadb_lifetime_addtime == 60
    assert m.ext[SADB_EXT_SA].sadb_sa_state == SADB_SASTATE_DEAD
    assert sav.state == SADB_SASTATE_DEAD and _sav(kh, 0x1000) is None
    assert key_allocsa(kh.k, B, IPPROTO_ESP, 0x1000) is None
    assert other.msgs() == []
    assert (kh.key.keystat.expire_soft, kh.key.keystat.expire_hard) == (1, 1)
    assert not kh.key.timer.callout_pending()


def test_soft_and_hard_expiry_by_bytes_as_the_data_path_counts_them(kh):
    reg = _registered(kh)
    reg.request(add_msg(spi=0x1100, lifetimes=((0, 10000, 0, 0), (0, 8000, 0, 0))))
    sav = _sav(kh, 0x1100)
    assert not kh.key.timer.callout_pending()        # nothing can expire with time
    for _ in range(7):
        key_sa_recordxfer(kh.k, sav, 1000)
    assert sav.state == SADB_SASTATE_MATURE and reg.msgs() == []
    key_sa_recordxfer(kh.k, sav, 1000)
    assert sav.state == SADB_SASTATE_DYING
    (m,) = reg.msgs()
    assert m.ext[SADB_EXT_LIFETIME_CURRENT].sadb_lifetime_bytes == 8000
    assert m.ext[SADB_EXT_LIFETIME_CURRENT].sadb_lifetime_allocations == 8
    key_sa_recordxfer(kh.k, sav, 1999)
    assert sav.state == SADB_SASTATE_DYING
    key_sa_recordxfer(kh.k, sav, 1)
    assert sav.state == SADB_SASTATE_DEAD
    (m,) = reg.msgs()
    assert m.ext[SADB_EXT_LIFETIME_HARD].sadb_lifetime_bytes == 10000


def test_expiry_by_allocations(kh):
    reg = _registered(kh)
    reg.request(add_msg(spi=0x1200, lifetimes=((3, 0, 0, 0), (2, 0, 0, 0))))
    sav = _sav(kh, 0x1200)
    key_sa_recordxfer(kh.k, sav, 100)
    key_sa_recordxfer(kh.k, sav, 100)
    assert sav.state == SADB_SASTATE_DYING
    key_sa_recordxfer(kh.k, sav, 100)
    assert sav.state == SADB_SASTATE_DEAD
    assert [m.ext.get(SADB_EXT_LIFETIME_HARD) is not None for m in reg.msgs()] == [False, True]


def test_usetime_counts_from_the_first_use(kh):
    reg = _registered(kh)
    reg.request(add_msg(spi=0x1300, lifetimes=((0, 0, 0, 30), (0, 0, 0, 10))))
    sav = _sav(kh, 0x1300)
    kh.run_for(100 * SEC)
    assert sav.state == SADB_SASTATE_MATURE            # never used: no usetime clock yet
    key_sa_recordxfer(kh.k, sav, 64)
    kh.run_for(10 * SEC)
    assert sav.state == SADB_SASTATE_DYING
    kh.run_for(20 * SEC)
    assert sav.state == SADB_SASTATE_DEAD
    assert len(reg.msgs()) == 2


def test_update_of_lifetimes_brings_a_dying_sa_back_to_mature(kh):
    reg = _registered(kh)
    reg.request(add_msg(spi=0x1400, lifetimes=((0, 0, 60, 0), (0, 0, 10, 0))))
    sav = _sav(kh, 0x1400)
    kh.run_for(10 * SEC)
    assert sav.state == SADB_SASTATE_DYING
    reg.msgs()
    (r,) = reg.request(add_msg(spi=0x1400, mtype=SADB_UPDATE,
                               lifetimes=((0, 0, 600, 0), (0, 0, 500, 0))))
    assert r.hdr.sadb_msg_errno == 0
    assert sav.state == SADB_SASTATE_MATURE
    kh.run_for(100 * SEC)
    assert sav.state == SADB_SASTATE_MATURE


def test_a_larval_sa_that_is_never_updated_goes_after_larval_lifetime(kh):
    s = kh.socket()
    s.request(msg_build(SADB_GETSPI, [sadb_address_build(SADB_EXT_ADDRESS_SRC, A),
                                      sadb_address_build(SADB_EXT_ADDRESS_DST, B)],
                        sadb_msg_satype=SADB_SATYPE_ESP))
    assert kh.key.nsav == 1
    kh.run_for(29 * SEC)
    assert kh.key.nsav == 1
    kh.run_for(1 * SEC)
    assert kh.key.nsav == 0 and kh.key.keystat.larval_timeout == 1
    assert s.msgs() == []                              # silently, as KAME


def test_no_timer_runs_when_nothing_can_expire(kh):
    s = kh.socket()
    s.request(add_msg(spi=0x1500))
    assert not kh.key.timer.callout_pending()
    s.request(add_msg(spi=0x1501, lifetimes=((0, 0, 60, 0), (0, 0, 40, 0))))
    assert kh.key.timer.callout_pending()
    assert kh.key.timer.c_time == 40 * SEC             # armed for the next deadline only
