"""The opencrypto framework (crypto.c): sessions, driver choice, dispatch, queues, completion."""
from __future__ import annotations

import pytest

from kernel.kern.kern_sysctl import sysctl_lookup
from kernel.opencrypto.crypto import (
    crypto_dispatch, crypto_find_driver, crypto_freesession, crypto_get_driverid,
    crypto_newsession, crypto_register, crypto_unblock, crypto_unregister,
    crypto_unregister_all, cryptodev_methods,
)
from kernel.opencrypto.cryptodev import (
    CRYPTO_3DES_CBC, CRYPTO_AES_CBC, CRYPTO_AES_NIST_GCM_16, CRYPTO_AES_NIST_GMAC,
    CRYPTO_F_BATCH, CRYPTO_F_CBIFSYNC, CRYPTO_F_CBIMM, CRYPTO_F_DONE, CRYPTO_NULL_CBC,
    CRYPTO_OP_ENCRYPT, CRYPTO_SHA1_HMAC, CRYPTO_SHA2_256_HMAC, CRYPTOCAP_F_HARDWARE,
    CRYPTOCAP_F_SOFTWARE, CSP_F_ESN, CSP_F_SEPARATE_OUTPUT, CSP_MODE_AEAD, CSP_MODE_CIPHER,
    CSP_MODE_DIGEST, CSP_MODE_ETA, crypto_session_params,
)
from kernel.wire import errno
from tests.kernel.opencrypto.conftest import CryptoHost, FakeCard
from tests.kernel.opencrypto.vectors import RFC3602, Request, check_kat

AES128 = bytes(range(16))
CBC = crypto_session_params(csp_mode=CSP_MODE_CIPHER, csp_cipher_alg=CRYPTO_AES_CBC,
                            csp_cipher_key=AES128, csp_ivlen=16)
ETA = crypto_session_params(csp_mode=CSP_MODE_ETA, csp_cipher_alg=CRYPTO_AES_CBC,
                            csp_cipher_key=AES128, csp_ivlen=16, csp_auth_alg=CRYPTO_SHA1_HMAC,
                            csp_auth_key=bytes(20), csp_auth_mlen=12)
GCM = crypto_session_params(csp_mode=CSP_MODE_AEAD, csp_cipher_alg=CRYPTO_AES_NIST_GCM_16,
                            csp_cipher_key=AES128 + b"salt", csp_ivlen=8)


def _csp(**kw) -> crypto_session_params:
    return crypto_session_params(**kw)


def _request(cses, n: int = 32, flags: int = CRYPTO_F_CBIFSYNC) -> Request:
    return Request(cses, RFC3602[0], bytes(n), b"", CRYPTO_OP_ENCRYPT, flags=flags)


# ---------------------------------------------------------------------------
# crypto_newsession: parameters (check_csp)
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("csp", [
    _csp(csp_mode=CSP_MODE_CIPHER, csp_cipher_alg=CRYPTO_AES_CBC, csp_cipher_key=bytes(15),
         csp_ivlen=16),
    _csp(csp_mode=CSP_MODE_CIPHER, csp_cipher_alg=CRYPTO_AES_CBC, csp_cipher_key=bytes(17),
         csp_ivlen=16),
    _csp(csp_mode=CSP_MODE_CIPHER, csp_cipher_alg=CRYPTO_AES_CBC, csp_cipher_key=bytes(33),
         csp_ivlen=16),
    _csp(csp_mode=CSP_MODE_CIPHER, csp_cipher_alg=CRYPTO_3DES_CBC, csp_cipher_key=bytes(16),
         csp_ivlen=8),
    _csp(csp_mode=CSP_MODE_AEAD, csp_cipher_alg=CRYPTO_AES_NIST_GCM_16,
         csp_cipher_key=bytes(20), csp_ivlen=12),          # salted key needs the 8-byte IV
    _csp(csp_mode=CSP_MODE_AEAD, csp_cipher_alg=CRYPTO_AES_NIST_GCM_16,
         csp_cipher_key=bytes(16), csp_ivlen=8),           # 8-byte IV needs the salt
    _csp(csp_mode=CSP_MODE_DIGEST, csp_auth_alg=CRYPTO_AES_NIST_GMAC, csp_auth_key=bytes(17),
         csp_ivlen=12),
    _csp(csp_mode=CSP_MODE_CIPHER, csp_cipher_alg=CRYPTO_AES_CBC, csp_cipher_key=bytes(16),
         csp_cipher_klen=24, csp_ivlen=16),                 # klen disagrees with the key
], ids=["aes-15", "aes-17", "aes-33", "3des-16", "gcm-20-iv12", "gcm-16-iv8", "gmac-17",
        "klen-mismatch"])
def test_crypto_newsession_bad_key_length_is_einval(host: CryptoHost, csp) -> None:
    """A key of the wrong size is refused at crypto_newsession with EINVAL."""
    err, cses = crypto_newsession(host.k, csp)
    assert (err, cses) == (errno.EINVAL, None)
    assert host.k.crypto.crypto_drivers[0].cc_sessions == 0


@pytest.mark.parametrize("csp", [
    _csp(csp_mode=CSP_MODE_CIPHER, csp_cipher_alg=CRYPTO_AES_CBC, csp_cipher_key=AES128,
         csp_ivlen=8),                                      # AES-CBC IV is 16 bytes
    _csp(csp_mode=CSP_MODE_DIGEST, csp_auth_alg=CRYPTO_SHA1_HMAC, csp_auth_key=bytes(20),
         csp_auth_mlen=21),                                 # longer than SHA1's 20
    _csp(csp_mode=CSP_MODE_DIGEST, csp_auth_alg=CRYPTO_SHA1_HMAC, csp_auth_key=b""),
    _csp(csp_mode=CSP_MODE_DIGEST, csp_auth_alg=CRYPTO_SHA1_HMAC, csp_auth_key=bytes(20),
         csp_ivlen=16),                                     # HMAC takes no IV
    _csp(csp_mode=CSP_MODE_AEAD, csp_cipher_alg=CRYPTO_AES_CBC, csp_cipher_key=AES128,
         csp_ivlen=16),                                     # CBC is not an AEAD
    _csp(csp_mode=CSP_MODE_CIPHER, csp_cipher_alg=CRYPTO_AES_NIST_GCM_16,
         csp_cipher_key=AES128, csp_ivlen=12),              # GCM is not a plain cipher
    _csp(csp_mode=CSP_MODE_ETA, csp_cipher_alg=CRYPTO_AES_CBC, csp_cipher_key=AES128,
         csp_ivlen=16, csp_auth_alg=CRYPTO_AES_NIST_GMAC, csp_auth_key=AES128),
    _csp(csp_mode=CSP_MODE_AEAD, csp_cipher_alg=CRYPTO_AES_NIST_GCM_16,
         csp_cipher_key=AES128, csp_ivlen=12, csp_auth_mlen=17),
    _csp(csp_mode=CSP_MODE_CIPHER, csp_cipher_alg=99, csp_cipher_key=AES128, csp_ivlen=16),
    _csp(csp_mode=42),
    _csp(csp_mode=CSP_MODE_CIPHER, csp_cipher_alg=CRYPTO_AES_CBC, csp_cipher_key=AES128,
         csp_ivlen=16, csp_flags=0x100),                    # unknown flag
    _csp(csp_mode=CSP_MODE_CIPHER, csp_cipher_alg=CRYPTO_AES_CBC, csp_cipher_key=AES128,
         csp_ivlen=16, csp_flags=CSP_F_ESN),                # ESN needs authentication
], ids=["cbc-iv8", "mlen-21", "hmac-nokey", "hmac-iv", "aead-cbc", "cipher-gcm",
        "eta-gmac", "gcm-mlen-17", "unknown-alg", "unknown-mode", "unknown-flag", "cipher-esn"])
def test_crypto_check_csp_refuses_parameters_that_make_no_sense(host: CryptoHost, csp) -> None:
    assert crypto_newsession(host.k, csp) == (errno.EINVAL, None)


def test_crypto_newsession_is_not_confused_by_a_non_csp(host: CryptoHost) -> None:
    assert crypto_newsession(host.k, {"csp_mode": CSP_MODE_CIPHER}) == (errno.EINVAL, None)


def test_crypto_newsession_copies_the_parameters(host: CryptoHost) -> None:
    """The consumer may reuse its csp: the session keeps its own copy of the keys."""
    key = bytearray(AES128)
    csp = _csp(csp_mode=CSP_MODE_CIPHER, csp_cipher_alg=CRYPTO_AES_CBC, csp_cipher_key=key,
               csp_ivlen=16)
    err, cses = crypto_newsession(host.k, csp)
    assert err == 0
    key[0] ^= 0xFF
    assert cses.cs_csp.csp_cipher_key == AES128
    assert cses.cs_csp.csp_cipher_klen == 16


def test_crypto_separate_output_has_no_driver_eopnotsupp(host: CryptoHost) -> None:
    """Valid parameters that no driver supports: EOPNOTSUPP, counted."""
    csp = _csp(csp_mode=CSP_MODE_CIPHER, csp_cipher_alg=CRYPTO_AES_CBC, csp_cipher_key=AES128,
               csp_ivlen=16, csp_flags=CSP_F_SEPARATE_OUTPUT)
    assert crypto_newsession(host.k, csp) == (errno.EOPNOTSUPP, None)
    assert host.k.crypto.cryptostats.cs_nodriver == 1


# ---------------------------------------------------------------------------
# driver choice
# ---------------------------------------------------------------------------
def test_crypto_select_driver_prefers_hardware_that_supports_the_session(host: CryptoHost) -> None:
    card = FakeCard(host.k, algs=(CRYPTO_AES_CBC, CRYPTO_SHA1_HMAC))
    err, cses = crypto_newsession(host.k, ETA)
    assert err == 0 and cses.cs_cap.cc_name == "fake0"
    assert card.sessions == [cses]


def test_crypto_select_driver_falls_back_to_software(host: CryptoHost) -> None:
    """A card without the algorithm: cryptosoft takes the session."""
    FakeCard(host.k, algs=(CRYPTO_AES_CBC,))                 # no HMAC-SHA1
    err, cses = crypto_newsession(host.k, ETA)
    assert err == 0 and cses.cs_cap.cc_name == "cryptosoft0"
    err, cses = crypto_newsession(host.k, CBC)
    assert err == 0 and cses.cs_cap.cc_name == "fake0"


def test_crypto_crid_software_only_and_one_driver(host: CryptoHost) -> None:
    card = FakeCard(host.k, algs=(CRYPTO_AES_CBC,))
    assert crypto_newsession(host.k, CBC, CRYPTOCAP_F_SOFTWARE)[1].cs_cap.cc_name == "cryptosoft0"
    assert crypto_newsession(host.k, CBC, CRYPTOCAP_F_HARDWARE)[1].cs_cap.cc_name == "fake0"
    assert crypto_newsession(host.k, CBC, card.hid)[1].cs_cap.cc_name == "fake0"
    sw = crypto_find_driver(host.k, "cryptosoft0")
    assert crypto_newsession(host.k, CBC, sw)[1].cs_cap.cc_name == "cryptosoft0"
    assert crypto_newsession(host.k, GCM, card.hid) == (errno.EOPNOTSUPP, None)


def test_crypto_sysctl_allow_hard_0_prefers_software(host: CryptoHost) -> None:
    FakeCard(host.k, algs=(CRYPTO_AES_CBC,))
    assert sysctl_lookup(host.k, "kern.crypto.allow_hard", 0) == 1
    assert crypto_newsession(host.k, CBC)[1].cs_cap.cc_name == "cryptosoft0"
    sysctl_lookup(host.k, "kern.crypto.allow_hard", 1)
    assert crypto_newsession(host.k, CBC)[1].cs_cap.cc_name == "fake0"


def test_crypto_sysctl_allow_soft_0_means_hardware_or_nothing(host: CryptoHost) -> None:
    FakeCard(host.k, algs=(CRYPTO_AES_CBC,))
    sysctl_lookup(host.k, "kern.cryptodevallowsoft", 0)       # FreeBSD's older name
    assert sysctl_lookup(host.k, "kern.crypto.allow_soft") == 0
    assert crypto_newsession(host.k, CBC)[1].cs_cap.cc_name == "fake0"
    assert crypto_newsession(host.k, GCM) == (errno.EOPNOTSUPP, None)
    with pytest.raises(OSError) as e:
        sysctl_lookup(host.k, "kern.crypto.allow_soft", 2)
    assert e.value.errno == errno.EINVAL


def test_crypto_select_driver_ties_go_to_fewest_sessions(host: CryptoHost) -> None:
    a = FakeCard(host.k, "fake0", algs=(CRYPTO_AES_CBC,))
    b = FakeCard(host.k, "fake1", algs=(CRYPTO_AES_CBC,))
    names = [crypto_newsession(host.k, CBC)[1].cs_cap.cc_name for _ in range(4)]
    assert names == ["fake0", "fake1", "fake0", "fake1"]
    assert len(a.sessions) == len(b.sessions) == 2


def test_crypto_driver_newsession_error_is_returned(host: CryptoHost) -> None:
    card = FakeCard(host.k, algs=(CRYPTO_AES_CBC,))
    card.refuse_newsession = errno.ENOMEM
    assert crypto_newsession(host.k, CBC) == (errno.ENOMEM, None)
    assert card.hid == crypto_find_driver(host.k, "fake0")
    assert host.k.crypto.crypto_drivers[card.hid].cc_sessions == 0


def test_crypto_register_rejects_unknown_algorithms_and_drivers(host: CryptoHost) -> None:
    card = FakeCard(host.k)
    assert crypto_register(host.k, card.hid, 999) == errno.EINVAL
    assert crypto_register(host.k, 77, CRYPTO_AES_CBC) == errno.EINVAL
    assert crypto_get_driverid(host.k, "x", card.methods, 0) == -1


def test_crypto_unregister_last_algorithm_unregisters_the_driver(host: CryptoHost) -> None:
    card = FakeCard(host.k, algs=(CRYPTO_AES_CBC, CRYPTO_NULL_CBC))
    assert crypto_unregister(host.k, card.hid, CRYPTO_AES_CBC) == 0
    assert crypto_newsession(host.k, CBC)[1].cs_cap.cc_name == "cryptosoft0"
    assert crypto_find_driver(host.k, "fake0") == card.hid
    assert crypto_unregister(host.k, card.hid, CRYPTO_NULL_CBC) == 0
    assert crypto_find_driver(host.k, "fake0") == -1
    assert crypto_unregister(host.k, card.hid, CRYPTO_NULL_CBC) == errno.EINVAL


# ---------------------------------------------------------------------------
# dispatch and completion
# ---------------------------------------------------------------------------
def test_crypto_dispatch_sync_driver_with_cbifsync_calls_back_at_once(host: CryptoHost) -> None:
    cses = crypto_newsession(host.k, CBC)[1]
    r = _request(cses)
    assert crypto_dispatch(r.crp) == 0
    assert r.etype == 0 and r.crp.crp_flags & CRYPTO_F_DONE
    assert host.k.crypto.cryptostats.cs_rets == 0


def test_crypto_done_without_flags_calls_back_from_the_return_queue(host: CryptoHost) -> None:
    """FreeBSD's crypto_ret_proc: the callback runs later, in an event of its own."""
    cses = crypto_newsession(host.k, CBC)[1]
    reqs = [_request(cses, flags=0) for _ in range(3)]
    for r in reqs:
        crypto_dispatch(r.crp)
    assert [r.done for r in reqs] == [[], [], []]
    host.sched.run_for(1)
    assert [r.etype for r in reqs] == [0, 0, 0]
    assert host.k.crypto.cryptostats.cs_rets == 1        # one activation for all three


def test_crypto_async_driver_completion_goes_through_the_return_queue(host: CryptoHost) -> None:
    card = FakeCard(host.k, algs=(CRYPTO_AES_CBC,))
    cses = crypto_newsession(host.k, CBC)[1]
    r = _request(cses)                                     # CBIFSYNC: the card is not sync
    crypto_dispatch(r.crp)
    assert r.done == []
    card.complete()
    assert r.done == []                                    # not in the driver's context
    host.sched.run_for(1)
    assert r.etype == 0
    imm = _request(cses, flags=CRYPTO_F_CBIMM)
    crypto_dispatch(imm.crp)
    card.complete()
    assert imm.etype == 0                                  # CBIMM: in the driver's context


def test_crypto_restart_queues_requests_until_unblock(host: CryptoHost) -> None:
    """ERESTART: the driver is blocked, requests wait in order, crypto_unblock feeds them."""
    card = FakeCard(host.k, algs=(CRYPTO_AES_CBC,), capacity=2)
    cses = crypto_newsession(host.k, CBC)[1]
    reqs = [_request(cses, flags=CRYPTO_F_CBIMM) for _ in range(5)]
    for r in reqs:
        crypto_dispatch(r.crp)
    cap = host.k.crypto.crypto_drivers[card.hid]
    assert len(card.held) == 2 and cap.cc_qblocked and len(cap.cc_q) == 3
    assert host.k.crypto.cryptostats.cs_blocks == 1
    card.complete()
    assert crypto_unblock(host.k, card.hid) == 0
    host.sched.run_for(1)                                  # crypto_proc
    assert card.held == [reqs[2].crp, reqs[3].crp]
    assert cap.cc_qblocked                                 # the fifth hit the limit again
    card.complete()
    crypto_unblock(host.k, card.hid)
    host.sched.run_for(1)
    card.complete()
    assert [r.etype for r in reqs] == [0] * 5
    assert cap.cc_ops == 5 and cap.cc_blocks == 2


def test_crypto_blocked_queue_is_bounded_enobufs(host: CryptoHost) -> None:
    card = FakeCard(host.k, algs=(CRYPTO_AES_CBC,), capacity=0)
    sysctl_lookup(host.k, "kern.crypto.queue_maxlen", 4)
    cses = crypto_newsession(host.k, CBC)[1]
    reqs = [_request(cses) for _ in range(10)]
    for r in reqs:
        crypto_dispatch(r.crp)
    assert [r.etype for r in reqs] == [None] * 4 + [errno.ENOBUFS] * 6   # 4 wait
    assert host.k.crypto.cryptostats.cs_qfull == 6
    assert host.k.crypto.crypto_drivers[card.hid].cc_qfull == 6


def test_crypto_batch_flag_defers_to_crypto_proc(host: CryptoHost) -> None:
    card = FakeCard(host.k, algs=(CRYPTO_AES_CBC,))
    cses = crypto_newsession(host.k, CBC)[1]
    r = _request(cses, flags=CRYPTO_F_BATCH | CRYPTO_F_CBIMM)
    crypto_dispatch(r.crp)
    assert card.held == []
    host.sched.run_for(1)
    assert card.held == [r.crp]


@pytest.mark.parametrize("field,value", [
    ("crp_payload_start", 1000), ("crp_payload_length", 1000), ("crp_payload_start", -1),
    ("crp_iv_start", 60), ("crp_op", 7), ("crp_buf", None),
])
def test_crypto_malformed_request_fails_einval_never_raises(host: CryptoHost, field, value) -> None:
    """FreeBSD asserts (crp_sanity); here the request fails with EINVAL and is counted."""
    cses = crypto_newsession(host.k, CBC)[1]
    r = _request(cses)
    setattr(r.crp, field, value)
    crypto_dispatch(r.crp)
    assert r.etype == errno.EINVAL
    assert host.k.crypto.cryptostats.cs_badreq == 1
    assert host.k.crypto.cryptostats.cs_errs == 1


def test_crypto_malformed_digest_and_aad_regions_fail_einval(host: CryptoHost) -> None:
    cses = crypto_newsession(host.k, ETA)[1]
    for field, value in (("crp_digest_start", 10_000), ("crp_aad_length", 10_000),
                         ("crp_aad", b"separate AAD on a session without the flag")):
        r = Request(cses, RFC3602[0], bytes(32), b"", CRYPTO_OP_ENCRYPT)
        setattr(r.crp, field, value)
        if field == "crp_aad":
            r.crp.crp_aad_length = 4
        crypto_dispatch(r.crp)
        assert r.etype == errno.EINVAL, field


def test_crypto_request_on_a_freed_session_fails_einval(host: CryptoHost) -> None:
    cses = crypto_newsession(host.k, CBC)[1]
    crypto_freesession(cses)
    crypto_freesession(cses)                               # twice: harmless
    r = _request(cses)
    crypto_dispatch(r.crp)
    assert r.etype == errno.EINVAL
    assert host.k.crypto.crypto_drivers[0].cc_sessions == 0


def test_crypto_request_without_callback_is_a_kernel_bug(host: CryptoHost) -> None:
    cses = crypto_newsession(host.k, CBC)[1]
    r = _request(cses)
    r.crp.crp_callback = None
    with pytest.raises(ValueError):
        crypto_dispatch(r.crp)


# ---------------------------------------------------------------------------
# drivers going away
# ---------------------------------------------------------------------------
def test_crypto_unregister_all_migrates_sessions_and_fails_queue_eagain(host: CryptoHost) -> None:
    card = FakeCard(host.k, algs=(CRYPTO_AES_CBC,), capacity=1)
    cses = crypto_newsession(host.k, CBC)[1]
    first = _request(cses, flags=CRYPTO_F_CBIMM)
    queued = _request(cses, flags=CRYPTO_F_CBIMM)
    crypto_dispatch(first.crp)
    crypto_dispatch(queued.crp)
    assert crypto_unregister_all(host.k, card.hid) == 0
    assert cses.cs_cap.cc_name == "cryptosoft0"            # the same handle, migrated
    assert card.freed == [cses]
    assert queued.etype == errno.EAGAIN                    # "dispatch it again"
    assert host.k.crypto.cryptostats.cs_migrated == 1
    crypto_dispatch(queued.crp)
    assert queued.etype == 0 and queued.payload != bytes(32)
    assert crypto_find_driver(host.k, "fake0") == -1
    assert host.k.crypto.crypto_drivers[card.hid] is None


def test_crypto_session_stays_on_a_dying_driver_without_alternative_enxio(host: CryptoHost) -> None:
    card = FakeCard(host.k, algs=(CRYPTO_AES_CBC,))
    sysctl_lookup(host.k, "kern.crypto.allow_soft", 0)
    cses = crypto_newsession(host.k, CBC)[1]
    crypto_unregister_all(host.k, card.hid)
    r = _request(cses, flags=CRYPTO_F_CBIMM)
    crypto_dispatch(r.crp)
    assert r.etype == errno.ENXIO
    crypto_freesession(cses)
    assert host.k.crypto.crypto_drivers[card.hid] is None


# ---------------------------------------------------------------------------
# counters and sysctl
# ---------------------------------------------------------------------------
def test_crypto_sysctl_stats_and_drivers(host: CryptoHost) -> None:
    cses = crypto_newsession(host.k, CBC)[1]
    check_kat(crypto_newsession(host.k, RFC3602[1].csp)[1], RFC3602[1], host.go)
    r = _request(cses, n=31)                               # not whole AES blocks
    crypto_dispatch(r.crp)
    assert r.etype == errno.EINVAL
    stats = sysctl_lookup(host.k, "kern.crypto.stats")
    assert stats["cs_ops"] == 3 and stats["cs_errs"] == 1
    drivers = sysctl_lookup(host.k, "kern.crypto.drivers")
    assert [d["name"] for d in drivers] == ["cryptosoft0"]
    sw = drivers[0]
    assert sw["kind"] == "software" and sw["sync"] is True
    assert sw["sessions"] == 2 and sw["ops"] == 3 and sw["errs"] == 1
    assert sw["bytes"] == 32 + 32 + 31
    assert "AES-GCM" in sw["algorithms"] and "HMAC-SHA2-512" in sw["algorithms"]


def test_crypto_cryptosoft_can_be_disabled_by_a_device_hint() -> None:
    h = CryptoHost(hints={"hint.cryptosoft.0.disabled": "1"})
    assert crypto_newsession(h.k, CBC) == (errno.EOPNOTSUPP, None)
    assert crypto_find_driver(h.k, "cryptosoft0") == -1


def test_crypto_driver_methods_probesession_can_refuse(host: CryptoHost) -> None:
    calls = []

    def probe(dev, csp):
        calls.append(csp.csp_cipher_alg)
        return errno.EINVAL if csp.csp_auth_alg else -100

    m = cryptodev_methods(lambda d, s, c: 0, lambda d, s: None, lambda d, c, h: 0, probe)
    hid = crypto_get_driverid(host.k, "picky0", m, CRYPTOCAP_F_HARDWARE)
    for alg in (CRYPTO_AES_CBC, CRYPTO_SHA2_256_HMAC, CRYPTO_SHA1_HMAC):
        crypto_register(host.k, hid, alg)
    assert crypto_newsession(host.k, CBC)[1].cs_cap.cc_name == "picky0"
    assert crypto_newsession(host.k, ETA)[1].cs_cap.cc_name == "cryptosoft0"
    assert calls == [CRYPTO_AES_CBC, CRYPTO_AES_CBC]
