"""kce(4) under injected faults: lost interrupts and doorbells, DMA and ring faults, a stalled engine.

Each test injects one fault with ``emu/devices/kce_faults.py`` between the
driver and the card, and checks that the driver notices, counts and recovers,
and that every request comes back to its consumer exactly once — with its
result, or with an error (EIO for what the card failed) — never lost.
"""
from __future__ import annotations

import random

import pytest

from emu.sched import MS, SEC
from kernel.kern.kern_sysctl import sysctl_lookup
from kernel.opencrypto.crypto import crypto_dispatch
from kernel.opencrypto.cryptodev import (
    CRYPTO_AES_CBC, CRYPTO_AES_NIST_GCM_16, CRYPTO_F_CBIFSYNC, CRYPTO_OP_ENCRYPT,
    CRYPTO_SHA1_HMAC, CRYPTOCAP_F_SOFTWARE, CSP_MODE_AEAD, CSP_MODE_ETA, crypto_session_params,
)
from kernel.wire import errno
from tests.drivers.kce_lab import KceHost
from tests.kernel.opencrypto.vectors import KAT, Request

ETA = crypto_session_params(csp_mode=CSP_MODE_ETA, csp_cipher_alg=CRYPTO_AES_CBC,
                            csp_cipher_key=bytes(range(16)), csp_ivlen=16,
                            csp_auth_alg=CRYPTO_SHA1_HMAC, csp_auth_key=bytes(20),
                            csp_auth_mlen=12)
GCM = crypto_session_params(csp_mode=CSP_MODE_AEAD, csp_cipher_alg=CRYPTO_AES_NIST_GCM_16,
                            csp_cipher_key=bytes(range(20)), csp_ivlen=8)


@pytest.fixture
def host() -> KceHost:
    h = KceHost(inject=True)
    yield h
    assert h.panicked() is None


def _req(cses, n: int = 64, seed: int = 0) -> Request:
    rng = random.Random(seed)
    pt = bytes(rng.randrange(256) for _ in range(n))
    v = KAT("r", cses.cs_csp, pt, aad=bytes(8), iv=bytes(rng.randrange(256) for _ in
                                                          range(cses.cs_csp.csp_ivlen)))
    return Request(cses, v, pt, b"", CRYPTO_OP_ENCRYPT, flags=CRYPTO_F_CBIFSYNC)


def _expected(h: KceHost, csp, n: int, seed: int) -> bytes:
    sw = h.session(csp, "cryptosoft0", CRYPTOCAP_F_SOFTWARE)
    r = _req(sw, n, seed)
    h.go(r)
    assert r.etype == 0
    return bytes(r.buf)


def _dispatch(reqs: list[Request]) -> None:
    for r in reqs:
        crypto_dispatch(r.crp)


# ---------------------------------------------------------------------------
# lost interrupts
# ---------------------------------------------------------------------------
def test_kce_lost_interrupt_is_recovered_by_the_tick(host: KceHost) -> None:
    cses = host.session(ETA)
    host.faults.lose_interrupts(1)
    r = _req(cses)
    crypto_dispatch(r.crp)
    host.run(5 * MS)
    assert r.done == [] and host.machine.interrupts_lost == 1
    host.run(6 * MS)                                       # kce_tick every 10 ms
    assert r.etype == 0 and bytes(r.buf) == _expected(host, ETA, 64, 0)
    assert host.sc.stats.st_polled == 1


def test_kce_interrupts_lost_for_a_while_no_request_lost(host: KceHost) -> None:
    cses = host.session(GCM)
    host.faults.lose_interrupts_for(50 * MS)
    reqs = []
    for k in range(10):                                    # 100 requests over 100 ms
        batch = [_req(cses, 32 + k, seed=10 * k + i) for i in range(10)]
        _dispatch(batch)
        reqs += batch
        host.run(10 * MS)
    host.run_until(lambda: all(r.done for r in reqs))
    assert all(len(r.done) == 1 and r.etype == 0 for r in reqs)
    assert host.faults.counts["interrupts_lost"] >= 1
    assert host.sc.stats.st_polled >= 1
    assert bytes(reqs[-1].buf) == _expected(host, GCM, 32 + 9, 99)


def test_kce_random_lost_interrupts_every_request_accounted(host: KceHost) -> None:
    cses = host.session(ETA)
    host.faults.lose_interrupts_with_probability(0.3)
    reqs = [_req(cses, 16 * (1 + i % 8), seed=i) for i in range(200)]
    for i in range(0, 200, 20):
        _dispatch(reqs[i:i + 20])
        host.run(200_000)
    host.run_until(lambda: all(r.done for r in reqs))
    assert [len(r.done) for r in reqs] == [1] * 200
    assert [r.etype for r in reqs] == [0] * 200
    for i in (0, 77, 199):
        assert bytes(reqs[i].buf) == _expected(host, ETA, 16 * (1 + i % 8), i)


def test_kce_lost_halt_interrupt_is_noticed_by_the_tick(host: KceHost) -> None:
    cses = host.session(ETA)
    host.faults.lose_interrupts(1)
    host.faults.corrupt_ring_base()
    r = _req(cses)
    crypto_dispatch(r.crp)
    host.run_until(lambda: bool(r.done))
    assert r.etype == errno.EIO
    assert "kce0: engine halted -- resetting" in host.dmesg()
    r2 = _req(cses, seed=1)
    host.go(r2)
    assert r2.etype == 0


# ---------------------------------------------------------------------------
# lost doorbells, stalls
# ---------------------------------------------------------------------------
def test_kce_lost_doorbell_is_rung_again_by_the_tick(host: KceHost) -> None:
    cses = host.session(ETA)
    host.faults.drop_writes(0x030, 1)                      # RTAIL (docs/hw/kce.md §2)
    r = _req(cses)
    crypto_dispatch(r.crp)
    host.run(5 * MS)
    assert r.done == [] and host.dev.completed == 0
    host.run_until(lambda: bool(r.done))
    assert r.etype == 0 and host.faults.counts["writes_dropped"] == 1


def test_kce_stalled_engine_times_out_eio_and_resets(host: KceHost) -> None:
    cses = host.session(ETA)
    host.faults.stall_engine(3 * SEC)
    reqs = [_req(cses, seed=i) for i in range(3)]
    _dispatch(reqs)
    host.run(900 * MS)
    assert not any(r.done for r in reqs)
    host.run_until(lambda: all(r.done for r in reqs))
    assert [r.etype for r in reqs] == [errno.EIO] * 3
    assert host.sched.now < 1100 * MS                      # KCE_TIMEOUT: one second
    assert host.sc.stats.st_timeouts == 1 and host.sc.stats.st_aborted == 3
    assert "kce0: timeout -- resetting" in host.dmesg()
    host.faults.disarm()
    r = _req(cses, seed=9)
    host.go(r)
    assert r.etype == 0 and bytes(r.buf) == _expected(host, ETA, 64, 9)


# ---------------------------------------------------------------------------
# DMA faults
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("field", ["src", "dst", "sa"])
def test_kce_dma_fault_fails_the_request_eio_and_is_counted(host: KceHost, field) -> None:
    cses = host.session(ETA)
    host.faults.corrupt_next_descriptor(field)
    bad = _req(cses, seed=1)
    host.go(bad)
    assert bad.etype == errno.EIO
    assert bad.payload == _req(cses, seed=1).payload       # nothing written back
    assert host.sc.stats.st_dmaerr == 1
    assert host.dev.errors["DMA fault"] == 1
    assert sysctl_lookup(host.k, "kern.crypto.stats")["cs_errs"] == 1
    drv = {d["name"]: d for d in sysctl_lookup(host.k, "kern.crypto.drivers")}["kce0"]
    assert drv["errs"] == 1
    good = _req(cses, seed=2)                              # the card carries on
    host.go(good)
    assert good.etype == 0 and bytes(good.buf) == _expected(host, ETA, 64, 2)


def test_kce_dma_fault_in_a_burst_fails_only_that_request(host: KceHost) -> None:
    cses = host.session(GCM)
    reqs = [_req(cses, 40, seed=i) for i in range(6)]
    _dispatch(reqs[:3])
    host.faults.corrupt_next_descriptor("src")
    _dispatch(reqs[3:])                                    # the first of these is corrupted
    host.run_until(lambda: all(r.done for r in reqs))
    assert [r.etype for r in reqs] == [0, 0, 0, errno.EIO, 0, 0]


def test_kce_ring_fault_fails_outstanding_eio_resets_and_carries_on(host: KceHost) -> None:
    cses = host.session(ETA)
    host.faults.corrupt_ring_base()
    reqs = [_req(cses, seed=i) for i in range(4)]
    _dispatch(reqs)
    host.run_until(lambda: all(r.done for r in reqs))
    assert [r.etype for r in reqs] == [errno.EIO] * 4
    st = host.sc.stats
    assert st.st_ringfault == 1 and st.st_resets == 1 and st.st_aborted == 4
    assert host.dev.errors["ring fault"] == 1
    assert f"kce0: ring DMA fault at {host.faults.bad_address:#x} -- resetting" in host.dmesg()
    later = [_req(cses, seed=10 + i) for i in range(3)]
    _dispatch(later)
    host.run_until(lambda: all(r.done for r in later))
    assert [r.etype for r in later] == [0, 0, 0]
    assert bytes(later[2].buf) == _expected(host, ETA, 64, 12)


def test_kce_ring_fault_while_blocked_unblocks_the_queue() -> None:
    h = KceHost(inject=True, hints={"hw.kce.ndesc": "4"})
    cses = h.session(ETA)
    h.faults.corrupt_ring_base()
    reqs = [_req(cses, seed=i) for i in range(10)]
    _dispatch(reqs)                                        # 3 on the ring, 7 queued
    h.run_until(lambda: all(r.done for r in reqs))
    etypes = [r.etype for r in reqs]
    assert etypes[:3] == [errno.EIO] * 3 and etypes[3:] == [0] * 7
    assert h.panicked() is None
