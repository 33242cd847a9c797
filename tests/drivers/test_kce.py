"""kce(4) on the KCE-1 model: attach, opencrypto registration, known answers through the card.

Every vector of tests/kernel/opencrypto/vectors.py goes through the card via
the driver and must give the published answer; random ESP-like traffic must
give exactly what cryptosoft gives for the same requests.
"""
from __future__ import annotations

import random

import pytest

from drivers.kce import kce_detach, kce_driver
from emu.devices.kce import KCE
from emu.machine import Machine
from emu.sched import Scheduler
from kernel.kern.init_main import Kernel, KernelConfig
from kernel.kern.kern_sysctl import sysctl_lookup
from kernel.opencrypto.crypto import crypto_dispatch, crypto_freesession
from kernel.opencrypto.cryptodev import (
    CRYPTO_3DES_CBC, CRYPTO_AES_CBC, CRYPTO_AES_NIST_GCM_16, CRYPTO_AES_NIST_GMAC,
    CRYPTO_F_BATCH, CRYPTO_F_CBIFSYNC, CRYPTO_F_IV_SEPARATE, CRYPTO_NULL_CBC, CRYPTO_OP_DECRYPT,
    CRYPTO_OP_ENCRYPT, CRYPTO_SHA1_HMAC, CRYPTO_SHA2_256_HMAC, CRYPTO_SHA2_512_HMAC,
    CRYPTOCAP_F_SOFTWARE, CSP_F_ESN, CSP_F_SEPARATE_AAD, CSP_MODE_AEAD, CSP_MODE_CIPHER,
    CSP_MODE_DIGEST, CSP_MODE_ETA, crypto_session_params, cryptop,
)
from kernel.wire import errno
from tests.drivers.kce_lab import KceHost
from tests.kernel.opencrypto.vectors import ALL, KAT, Request, check_kat

ALL_CAPS = 0x00011F0F


@pytest.fixture
def host() -> KceHost:
    h = KceHost()
    yield h
    assert h.panicked() is None


def _eta(cipher: int = CRYPTO_AES_CBC, key: bytes = bytes(range(16)), ivlen: int = 16,
         auth: int = CRYPTO_SHA1_HMAC, akey: bytes = bytes(20), mlen: int = 12,
         flags: int = 0) -> crypto_session_params:
    return crypto_session_params(csp_mode=CSP_MODE_ETA, csp_flags=flags, csp_cipher_alg=cipher,
                                 csp_cipher_key=key, csp_ivlen=ivlen, csp_auth_alg=auth,
                                 csp_auth_key=akey, csp_auth_mlen=mlen)


def _req(cses, n: int = 64, flags: int = CRYPTO_F_CBIFSYNC, payload: bytes = b"",
         seed: int = 0) -> Request:
    """Encrypt (or compute the digest of) ``n`` random bytes with an 8-byte AAD."""
    csp = cses.cs_csp
    op = 0 if csp.csp_mode == CSP_MODE_DIGEST else CRYPTO_OP_ENCRYPT
    rng = random.Random(seed)
    pt = payload or bytes(rng.randrange(256) for _ in range(n))
    v = KAT("r", csp, pt, aad=bytes(rng.randrange(256) for _ in range(8)),
            iv=bytes(rng.randrange(256) for _ in range(csp.csp_ivlen)))
    return Request(cses, v, pt, b"", op, flags=flags)


# ---------------------------------------------------------------------------
# attach
# ---------------------------------------------------------------------------
def test_kce_attach_prints_dmesg_and_registers_a_hardware_driver(host: KceHost) -> None:
    lines = host.dmesg().splitlines()
    assert ("kce0: <kamebox KCE-1 crypto accelerator> mem 0xf0000000-0xf0000fff irq 16 "
            "at device 0.0 on pci0") in lines
    assert ("kce0: KCE-1 rev 1, 64 descriptors, 16384-byte buffers, 128 SAs: NULL AES-CBC "
            "3DES-CBC AES-GCM HMAC-SHA1 HMAC-SHA2-256 HMAC-SHA2-384 HMAC-SHA2-512 AES-GMAC"
            ) in lines
    drivers = {d["name"]: d for d in sysctl_lookup(host.k, "kern.crypto.drivers")}
    assert drivers["kce0"]["kind"] == "hardware" and drivers["kce0"]["sync"] is False
    assert len(drivers["kce0"]["algorithms"]) == 9
    assert drivers["cryptosoft0"]["kind"] == "software"


def test_kce_attach_bad_tunables_fall_back_to_defaults() -> None:
    h = KceHost(hints={"hw.kce.ndesc": "2", "hint.kce.0.bufsize": "100000",
                       "hw.kce.nsa": "lots"})
    d = h.dmesg()
    assert "kce0: Using 64 descriptors instead of 2!" in d
    assert "kce0: Using a 16384-byte buffer instead of 100000!" in d
    assert "kce0: ignoring bad tunable hw.kce.nsa='lots'" in d
    assert (h.sc.ndesc, h.sc.bufsize, h.sc.nsa) == (64, 16384, 128)


def test_kce_attach_refuses_a_card_with_a_wrong_id() -> None:
    """§2: software checks ID at attach; a card that answers something else is not ours."""
    class Impostor(KCE):
        def mmio_read(self, off: int) -> int:
            return 0xDEADBEEF if off == 0x000 else super().mmio_read(off)

    m = Machine(Scheduler(1), "h")
    m.plug(Impostor())
    k = Kernel(m.platform, KernelConfig(devices=[kce_driver]))
    k.boot()
    d = "".join(k.msgbuf)
    assert "kce0: not a KCE-1 (ID register 0xdeadbeef)" in d
    assert "kce0: attach failed" in d
    assert [c["name"] for c in sysctl_lookup(k, "kern.crypto.drivers")] == ["cryptosoft0"]


# ---------------------------------------------------------------------------
# known answers through the card
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("v", ALL, ids=lambda v: v.name)
def test_kce_known_answer_through_the_card(host: KceHost, v: KAT) -> None:
    cses = host.session(v.csp)
    before = host.dev.completed
    check_kat(cses, v, host.go)
    assert host.dev.completed - before >= 2                # the card did the work
    sw = host.k.crypto.crypto_drivers[0]
    assert sw.cc_name == "cryptosoft0" and sw.cc_ops == 0


SESSIONS = [
    _eta(),
    _eta(CRYPTO_AES_CBC, bytes(range(32)), 16, CRYPTO_SHA2_256_HMAC, bytes(32), 16),
    _eta(CRYPTO_3DES_CBC, bytes(range(24)), 8, CRYPTO_SHA2_512_HMAC, bytes(range(200)), 32),
    _eta(CRYPTO_NULL_CBC, b"", 0, CRYPTO_SHA1_HMAC, b"k" * 20, 12),
    crypto_session_params(csp_mode=CSP_MODE_AEAD, csp_cipher_alg=CRYPTO_AES_NIST_GCM_16,
                          csp_cipher_key=bytes(range(36)), csp_ivlen=8),
    crypto_session_params(csp_mode=CSP_MODE_AEAD, csp_cipher_alg=CRYPTO_AES_NIST_GCM_16,
                          csp_cipher_key=bytes(range(20)), csp_ivlen=8, csp_auth_mlen=8),
    crypto_session_params(csp_mode=CSP_MODE_AEAD, csp_cipher_alg=CRYPTO_AES_NIST_GCM_16,
                          csp_cipher_key=bytes(range(24)), csp_ivlen=12, csp_auth_mlen=12),
    crypto_session_params(csp_mode=CSP_MODE_DIGEST, csp_auth_alg=CRYPTO_AES_NIST_GMAC,
                          csp_auth_key=bytes(range(20)), csp_ivlen=8),
    crypto_session_params(csp_mode=CSP_MODE_CIPHER, csp_cipher_alg=CRYPTO_AES_CBC,
                          csp_cipher_key=bytes(range(24)), csp_ivlen=16),
]


@pytest.mark.parametrize("csp", SESSIONS, ids=lambda c: f"mode{c.csp_mode}-c{c.csp_cipher_alg}"
                         f"-a{c.csp_auth_alg}-k{len(c.csp_cipher_key)}-m{c.csp_auth_mlen}")
def test_kce_results_equal_cryptosoft(host: KceHost, csp) -> None:
    """The same requests through the card and through cryptosoft give the same bytes."""
    hw = host.session(csp)
    sw = host.session(csp, "cryptosoft0", CRYPTOCAP_F_SOFTWARE)
    bs = 16 if csp.csp_cipher_alg == CRYPTO_AES_CBC else 8
    for i in range(12):
        n = bs * (1 + i * 7 % 90)
        outs = []
        for cses in (hw, sw):
            r = _req(cses, n, seed=i)
            host.go(r)
            assert r.etype == 0
            outs.append(bytes(r.buf))
        assert outs[0] == outs[1], i
        if csp.csp_mode != CSP_MODE_DIGEST:                # and back, on the card
            v = KAT("r", csp, b"", aad=outs[0][:8], iv=outs[0][8:8 + csp.csp_ivlen])
            body = outs[0][8 + csp.csp_ivlen:]
            mlen = len(body) - n
            r = Request(hw, v, body[:n], body[n:n + mlen], CRYPTO_OP_DECRYPT)
            host.go(r)
            assert r.etype == 0 and r.payload == _req(sw, n, seed=i).payload


def test_kce_separate_aad_and_iv_and_offsets(host: KceHost) -> None:
    csp = crypto_session_params(csp_mode=CSP_MODE_AEAD, csp_flags=CSP_F_SEPARATE_AAD,
                                csp_cipher_alg=CRYPTO_AES_NIST_GCM_16,
                                csp_cipher_key=bytes(range(16)), csp_ivlen=12)
    outs = []
    for cses in (host.session(csp), host.session(csp, "cryptosoft0", CRYPTOCAP_F_SOFTWARE)):
        buf = bytearray(b"lead" + bytes(range(100)) + bytes(16) + b"tail")
        crp = cryptop(cses)
        crp.crp_buf = buf
        crp.crp_buf_start = 4
        crp.crp_op = CRYPTO_OP_ENCRYPT
        crp.crp_flags = CRYPTO_F_IV_SEPARATE | CRYPTO_F_CBIFSYNC
        crp.crp_iv = bytes(range(12))
        crp.crp_aad = b"separate aad"
        crp.crp_aad_length = 12
        crp.crp_payload_start, crp.crp_payload_length, crp.crp_digest_start = 0, 100, 100
        done = []
        crp.crp_callback = done.append
        crypto_dispatch(crp)
        host.run_until(lambda: bool(done))
        assert crp.crp_etype == 0
        outs.append(bytes(buf))
    assert outs[0] == outs[1]
    assert outs[0][:4] == b"lead" and outs[0][-4:] == b"tail"


# ---------------------------------------------------------------------------
# asynchronous completion
# ---------------------------------------------------------------------------
def test_kce_completion_is_asynchronous_by_interrupt(host: KceHost) -> None:
    cses = host.session(_eta())
    r = _req(cses, 64)
    t0 = host.sched.now
    crypto_dispatch(r.crp)
    assert r.done == []                                    # not in crypto_dispatch
    host.run_until(lambda: bool(r.done))
    assert r.etype == 0
    assert host.sched.now - t0 >= host.dev.op_ns + host.dev.byte_ns * (8 + 64)
    assert host.sc.stats.st_intrs == 1 and host.sc.stats.st_polled == 0
    assert host.k.crypto.cryptostats.cs_rets == 1          # via crypto_ret_proc


def test_kce_ring_full_restart_queues_then_unblocks(host: KceHost) -> None:
    """4 descriptors hold 3 requests; the rest wait in opencrypto's queue (ERESTART)."""
    h = KceHost(hints={"hw.kce.ndesc": "4"})
    cses = h.session(_eta())
    sw = h.session(_eta(), "cryptosoft0", CRYPTOCAP_F_SOFTWARE)
    reqs = [_req(cses, 16 * (1 + i % 5), seed=i) for i in range(25)]
    order = []
    for r in reqs:
        r.crp.crp_callback = (lambda c, r=r: (r.done.append(c), order.append(r)))
        crypto_dispatch(r.crp)
    assert h.sc.nqueued == 3 and h.sc.stats.st_ringfull >= 1
    cap = h.k.crypto.crypto_drivers[h.sc.sc_cid]
    assert cap.cc_qblocked and len(cap.cc_q) == 22
    h.run_until(lambda: all(r.done for r in reqs))
    assert order == reqs                                   # completions in dispatch order
    for i, r in enumerate(reqs):
        s = _req(sw, 16 * (1 + i % 5), seed=i)
        h.go(s)
        assert r.etype == 0 and bytes(r.buf) == bytes(s.buf), i
    assert h.k.crypto.cryptostats.cs_blocks >= 7 and not cap.cc_qblocked
    assert h.panicked() is None


def test_kce_batch_requests_share_one_doorbell() -> None:
    """CRYPTO_F_BATCH: crypto_proc passes CRYPTO_HINT_MORE; the driver rings RTAIL once."""
    writes: list[int] = []

    def spy(dev) -> None:
        inner = dev.mmio_write
        dev.mmio_write = lambda off, v: (writes.append(off), inner(off, v))

    h = KceHost(before_boot=spy)
    cses = h.session(_eta())
    reqs = [_req(cses, 32, flags=CRYPTO_F_BATCH | CRYPTO_F_CBIFSYNC, seed=i) for i in range(5)]
    writes.clear()
    for r in reqs:
        crypto_dispatch(r.crp)
    h.run_until(lambda: all(r.done for r in reqs))
    assert [r.etype for r in reqs] == [0] * 5
    assert writes.count(0x030) == 1                        # RTAIL (docs/hw/kce.md §2)


# ---------------------------------------------------------------------------
# sessions the card cannot take
# ---------------------------------------------------------------------------
def test_kce_probesession_refuses_esn_which_goes_to_software(host: KceHost) -> None:
    host.session(_eta(flags=CSP_F_ESN), "cryptosoft0")
    host.session(_eta(), "kce0")


def test_kce_card_without_gcm_leaves_gcm_to_software() -> None:
    h = KceHost(caps=ALL_CAPS & ~(1 << 3))
    assert "AES-GCM" not in h.dmesg().splitlines()[-1]
    h.session(SESSIONS[4], "cryptosoft0")
    h.session(_eta(), "kce0")


def test_kce_card_without_salt_leaves_rfc4106_keying_to_software() -> None:
    h = KceHost(caps=ALL_CAPS & ~(1 << 16))
    h.session(SESSIONS[4], "cryptosoft0")                  # key || salt, 8-byte IV
    h.session(SESSIONS[6], "kce0")                         # 12-byte IV, no salt


def test_kce_sa_pool_exhausted_falls_back_then_recovers() -> None:
    h = KceHost(hints={"hw.kce.nsa": "2"})
    a = h.session(_eta(), "kce0")
    h.session(_eta(), "kce0")
    h.session(_eta(), "cryptosoft0")
    crypto_freesession(a)
    assert len(h.sc.sa_free) == 1
    h.session(_eta(), "kce0")


def test_kce_freesession_keeps_the_sa_until_requests_complete(host: KceHost) -> None:
    cses = host.session(_eta())
    r = _req(cses, 64)
    crypto_dispatch(r.crp)
    idx = cses.cs_softc.sa_index
    crypto_freesession(cses)
    assert idx not in host.sc.sa_free                      # still used by the descriptor
    host.run_until(lambda: bool(r.done))
    assert r.etype == 0 and idx in host.sc.sa_free


def test_kce_request_larger_than_the_bounce_buffer_is_e2big() -> None:
    h = KceHost(hints={"hw.kce.bufsize": "256"})
    cses = h.session(_eta())
    r = _req(cses, 16 * 20)
    h.go(r)
    assert r.etype == errno.E2BIG and h.sc.stats.st_toobig == 1
    r = _req(cses, 16 * 10)
    h.go(r)
    assert r.etype == 0


def test_kce_sysctl_allow_hard_0_uses_cryptosoft(host: KceHost) -> None:
    sysctl_lookup(host.k, "kern.crypto.allow_hard", 0)
    host.session(_eta(), "cryptosoft0")


def test_kce_payload_not_whole_blocks_is_einval_from_the_card(host: KceHost) -> None:
    cses = host.session(_eta())
    r = _req(cses, 30)
    host.go(r)
    assert r.etype == errno.EINVAL
    assert host.sc.stats.st_badlen == 1 and host.dev.errors["bad length"] == 1


# ---------------------------------------------------------------------------
# detach
# ---------------------------------------------------------------------------
def test_kce_detach_moves_sessions_to_software_and_in_flight_gets_eagain(host: KceHost) -> None:
    cses = host.session(_eta())
    reqs = [_req(cses, 48, seed=i) for i in range(3)]
    for r in reqs:
        crypto_dispatch(r.crp)
    dev = [d for d in host.k.devices if d.nameunit == "kce0"][0]
    kce_detach(dev)
    host.run_until(lambda: all(r.done for r in reqs))
    assert [r.etype for r in reqs] == [errno.EAGAIN] * 3
    assert cses.cs_cap.cc_name == "cryptosoft0"
    for i, r in enumerate(reqs):                           # dispatch again: software
        fresh = _req(cses, 48, seed=i)
        host.go(fresh)
        assert fresh.etype == 0
    assert host.sc.sa_free and len(host.sc.sa_free) == host.sc.nsa
    assert [d["name"] for d in sysctl_lookup(host.k, "kern.crypto.drivers")] == ["cryptosoft0"]


def test_kce_stats_sysctl_counts_the_card_s_registers(host: KceHost) -> None:
    cses = host.session(_eta())
    for i in range(4):
        host.go(_req(cses, 32, seed=i))
    st = sysctl_lookup(host.k, "dev.kce.0.stats")
    assert st["st_opackets"] == st["st_ipackets"] == 4
    assert st["hw_ops"] == 4 and st["hw_bytes"] == 4 * (8 + 32)
    assert st["hw_intr"] >= 1
