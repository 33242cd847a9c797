"""cryptosoft: known answers (RFC 3602, GCM spec / RFC 4106, RFC 2202, RFC 4231) and behaviour."""
from __future__ import annotations

import hmac
import os
import random

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from kernel.kern.uipc_mbuf import mbuf
from kernel.opencrypto.crypto import crypto_dispatch, crypto_newsession
from kernel.opencrypto.cryptodev import (
    CRYPTO_3DES_CBC, CRYPTO_AES_CBC, CRYPTO_AES_NIST_GCM_16, CRYPTO_F_CBIFSYNC,
    CRYPTO_F_IV_SEPARATE, CRYPTO_NULL_CBC, CRYPTO_OP_DECRYPT, CRYPTO_OP_ENCRYPT,
    CRYPTO_OP_VERIFY_DIGEST, CRYPTO_SHA1_HMAC, CRYPTO_SHA2_256_HMAC, CSP_F_ESN,
    CSP_F_SEPARATE_AAD, CSP_MODE_AEAD, CSP_MODE_CIPHER, CSP_MODE_DIGEST, CSP_MODE_ETA,
    crypto_session_params, crypto_use_buf, crypto_use_mbuf, cryptop,
)
from kernel.wire import errno
from tests.kernel.opencrypto.conftest import CryptoHost
from tests.kernel.opencrypto.vectors import (
    ALL, GCM, GMAC, RFC2202, RFC3602, RFC4231, TDES, KAT, Request, check_kat,
)


def _session(host: CryptoHost, csp: crypto_session_params):
    err, cses = crypto_newsession(host.k, csp)
    assert err == 0, err
    assert cses.cs_cap.cc_name == "cryptosoft0"
    return cses


@pytest.mark.parametrize("v", RFC3602, ids=lambda v: v.name)
def test_rfc3602_4_aes_cbc_known_answers(host: CryptoHost, v: KAT) -> None:
    check_kat(_session(host, v.csp), v, host.go)


@pytest.mark.parametrize("v", TDES, ids=lambda v: v.name)
def test_3des_cbc_known_answer(host: CryptoHost, v: KAT) -> None:
    check_kat(_session(host, v.csp), v, host.go)


@pytest.mark.parametrize("v", GCM, ids=lambda v: v.name)
def test_rfc4106_aes_gcm_known_answers(host: CryptoHost, v: KAT) -> None:
    """GCM spec test cases, with FreeBSD's keying and RFC 4106's (salt || IV nonce)."""
    check_kat(_session(host, v.csp), v, host.go)


@pytest.mark.parametrize("v", GMAC, ids=lambda v: v.name)
def test_rfc4543_aes_gmac_known_answers(host: CryptoHost, v: KAT) -> None:
    check_kat(_session(host, v.csp), v, host.go)


@pytest.mark.parametrize("v", RFC2202, ids=lambda v: v.name)
def test_rfc2202_hmac_sha1_known_answers(host: CryptoHost, v: KAT) -> None:
    check_kat(_session(host, v.csp), v, host.go)


@pytest.mark.parametrize("v", RFC4231, ids=lambda v: v.name)
def test_rfc4231_hmac_sha2_known_answers(host: CryptoHost, v: KAT) -> None:
    check_kat(_session(host, v.csp), v, host.go)


def test_known_answers_all_in_one_session_each_twice(host: CryptoHost) -> None:
    """Per-session state (the CBC chaining carry, HMAC contexts) does not leak between requests."""
    sessions = [(_session(host, v.csp), v) for v in ALL]
    for _ in range(2):
        for cses, v in sessions:
            check_kat(cses, v, host.go)


# ---------------------------------------------------------------------------
# CBC: the carried chaining block
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("alg,klen,bs", [(CRYPTO_AES_CBC, 16, 16), (CRYPTO_AES_CBC, 32, 16),
                                         (CRYPTO_3DES_CBC, 24, 8)])
def test_cbc_session_equals_a_fresh_cipher_per_request(host: CryptoHost, alg, klen, bs) -> None:
    """NIST SP 800-38A 6.2: every request is CBC with its own IV, whatever came before."""
    from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
    rng = random.Random(7)
    key = bytes(rng.randrange(256) for _ in range(klen))
    cses = _session(host, crypto_session_params(csp_mode=CSP_MODE_CIPHER, csp_cipher_alg=alg,
                                                csp_cipher_key=key, csp_ivlen=bs))
    algo = algorithms.AES(key) if alg == CRYPTO_AES_CBC else TripleDES(key)
    for i in range(40):
        iv = bytes(rng.randrange(256) for _ in range(bs))
        pt = bytes(rng.randrange(256) for _ in range(bs * rng.randrange(0, 20)))
        v = KAT("r", cses.cs_csp, pt, iv=iv)
        enc = Cipher(algo, modes.CBC(iv)).encryptor()
        expect = enc.update(pt) + enc.finalize()
        r = Request(cses, v, pt, b"", CRYPTO_OP_ENCRYPT)
        host.go(r)
        assert r.etype == 0 and r.payload == expect, i
        if i % 3:                                       # interleave decryptions
            r = Request(cses, v, expect, b"", CRYPTO_OP_DECRYPT)
            host.go(r)
            assert r.etype == 0 and r.payload == pt, i


@pytest.mark.parametrize("alg,key,n", [(CRYPTO_AES_CBC, bytes(16), 17),
                                       (CRYPTO_3DES_CBC, bytes(24), 12),
                                       (CRYPTO_NULL_CBC, b"", 6)])
def test_cbc_payload_not_whole_blocks_is_einval(host: CryptoHost, alg, key, n) -> None:
    ivlen = {CRYPTO_AES_CBC: 16, CRYPTO_3DES_CBC: 8, CRYPTO_NULL_CBC: 0}[alg]
    cses = _session(host, crypto_session_params(csp_mode=CSP_MODE_CIPHER, csp_cipher_alg=alg,
                                                csp_cipher_key=key, csp_ivlen=ivlen))
    r = Request(cses, KAT("x", cses.cs_csp, b"", iv=bytes(ivlen)), bytes(n), b"",
                CRYPTO_OP_ENCRYPT)
    host.go(r)
    assert r.etype == errno.EINVAL and r.payload == bytes(n)


def test_rfc2410_null_cipher_leaves_the_payload(host: CryptoHost) -> None:
    cses = _session(host, crypto_session_params(csp_mode=CSP_MODE_ETA,
                                                csp_cipher_alg=CRYPTO_NULL_CBC,
                                                csp_auth_alg=CRYPTO_SHA1_HMAC,
                                                csp_auth_key=b"k" * 20, csp_auth_mlen=12))
    pt = b"null encryption!"
    r = Request(cses, KAT("n", cses.cs_csp, pt, aad=b"SPI+SEQ."), pt, b"", CRYPTO_OP_ENCRYPT)
    host.go(r)
    assert r.etype == 0 and r.payload == pt
    assert r.digest == hmac.new(b"k" * 20, b"SPI+SEQ." + pt, "sha1").digest()[:12]


# ---------------------------------------------------------------------------
# encrypt-then-authenticate (ESP with AES-CBC and HMAC-SHA1-96)
# ---------------------------------------------------------------------------
def _eta(host: CryptoHost, flags: int = 0):
    return _session(host, crypto_session_params(
        csp_mode=CSP_MODE_ETA, csp_flags=flags, csp_cipher_alg=CRYPTO_AES_CBC,
        csp_cipher_key=bytes(range(16)), csp_ivlen=16, csp_auth_alg=CRYPTO_SHA1_HMAC,
        csp_auth_key=bytes(range(100, 120)), csp_auth_mlen=12))


def test_rfc4303_3_3_2_1_eta_icv_covers_aad_and_ciphertext(host: CryptoHost) -> None:
    """RFC 4303 3.3.2.1: the ICV is computed over the ESP header, IV and ciphertext."""
    cses = _eta(host)
    hdr, iv, pt = b"\x00\x00\x10\x01\x00\x00\x00\x07", os.urandom(16), os.urandom(64)
    v = KAT("eta", cses.cs_csp, pt, aad=hdr, iv=iv)
    r = Request(cses, v, pt, b"", CRYPTO_OP_ENCRYPT)
    host.go(r)
    enc = Cipher(algorithms.AES(bytes(range(16))), modes.CBC(iv)).encryptor()
    ct = enc.update(pt)
    assert r.etype == 0 and r.payload == ct
    assert r.digest == hmac.new(bytes(range(100, 120)), hdr + ct, "sha1").digest()[:12]
    r2 = Request(cses, v, ct, r.digest, CRYPTO_OP_DECRYPT)
    host.go(r2)
    assert r2.etype == 0 and r2.payload == pt


def test_rfc4303_3_4_4_1_eta_bad_icv_is_ebadmsg_and_nothing_decrypted(host: CryptoHost) -> None:
    """RFC 4303 3.4.4.1: if the ICV does not match, the packet is discarded (not decrypted)."""
    cses = _eta(host)
    v = KAT("eta", cses.cs_csp, bytes(32), aad=bytes(8), iv=bytes(16))
    r = Request(cses, v, bytes(32), b"", CRYPTO_OP_ENCRYPT)
    host.go(r)
    ct = r.payload
    tampered = bytearray(ct)
    tampered[5] ^= 1
    r2 = Request(cses, v, bytes(tampered), r.digest, CRYPTO_OP_DECRYPT)
    host.go(r2)
    assert r2.etype == errno.EBADMSG and r2.payload == bytes(tampered)
    assert host.k.crypto.crypto_drivers[0].cc_authfail == 1


def test_rfc4303_2_2_1_esn_high_bits_are_hashed_after_the_payload(host: CryptoHost) -> None:
    cses = _eta(host, flags=CSP_F_ESN)
    v = KAT("esn", cses.cs_csp, bytes(16), aad=bytes(8), iv=bytes(16))
    r = Request(cses, v, bytes(16), b"", CRYPTO_OP_ENCRYPT)
    r.crp.crp_esn = b"\x00\x00\x00\x01"
    host.go(r)
    assert r.etype == 0
    assert r.digest == hmac.new(bytes(range(100, 120)), bytes(8) + r.payload + b"\0\0\0\1",
                                "sha1").digest()[:12]
    r2 = Request(cses, v, r.payload, r.digest, CRYPTO_OP_DECRYPT)
    r2.crp.crp_esn = b"\x00\x00\x00\x02"                # another high half: no match
    host.go(r2)
    assert r2.etype == errno.EBADMSG
    r3 = Request(cses, v, r.payload, r.digest, CRYPTO_OP_DECRYPT)
    r3.crp.crp_esn = b""                                 # an ESN session needs 4 bytes
    host.go(r3)
    assert r3.etype == errno.EINVAL


def test_separate_aad_and_separate_iv(host: CryptoHost) -> None:
    key = bytes(range(16))
    cses = _session(host, crypto_session_params(
        csp_mode=CSP_MODE_AEAD, csp_flags=CSP_F_SEPARATE_AAD,
        csp_cipher_alg=CRYPTO_AES_NIST_GCM_16, csp_cipher_key=key, csp_ivlen=12))
    nonce, aad, pt = os.urandom(12), os.urandom(12), os.urandom(50)
    buf = bytearray(pt + bytes(16))
    crp = cryptop(cses)
    crypto_use_buf(crp, buf)
    crp.crp_op = CRYPTO_OP_ENCRYPT
    crp.crp_flags = CRYPTO_F_IV_SEPARATE | CRYPTO_F_CBIFSYNC
    crp.crp_iv = nonce
    crp.crp_aad = aad
    crp.crp_aad_length = len(aad)
    crp.crp_payload_length = 50
    crp.crp_digest_start = 50
    done = []
    crp.crp_callback = done.append
    crypto_dispatch(crp)
    assert crp.crp_etype == 0 and bytes(buf) == AESGCM(key).encrypt(nonce, pt, aad)


def test_mbuf_buffer_offsets_are_relative_to_the_packet(host: CryptoHost) -> None:
    """crypto_use_mbuf: offsets start at the packet's first byte, not the buffer's."""
    v = RFC3602[0]
    cses = _session(host, v.csp)
    m = mbuf(v.iv + v.plaintext)
    crp = cryptop(cses)
    crypto_use_mbuf(crp, m)
    crp.crp_op = CRYPTO_OP_ENCRYPT
    crp.crp_flags = CRYPTO_F_CBIFSYNC
    crp.crp_iv_start, crp.crp_payload_start, crp.crp_payload_length = 0, 16, 16
    crp.crp_callback = lambda c: None
    crypto_dispatch(crp)
    assert crp.crp_etype == 0
    assert m.tobytes() == v.iv + v.ciphertext
    assert bytes(m.buf[:m.off]) == bytes(m.off)          # the leading space is untouched


def test_memoryview_buffer_works_in_place(host: CryptoHost) -> None:
    v = GCM[3]
    cses = _session(host, v.csp)
    backing = bytearray(200)
    r = Request(cses, v, v.plaintext, b"", CRYPTO_OP_ENCRYPT)
    n = len(r.buf)
    backing[40:40 + n] = r.buf
    view = memoryview(backing)[40:40 + n]
    crypto_use_buf(r.crp, view)
    crypto_dispatch(r.crp)
    assert r.crp.crp_etype == 0
    assert bytes(view[r.payload_at:r.payload_at + len(v.ciphertext)]) == v.ciphertext
    view.release()


def test_gcm_truncated_icv_bad_tag_is_ebadmsg(host: CryptoHost) -> None:
    v = GCM[4]                                          # 12-byte ICV
    cses = _session(host, v.csp)
    bad = v.digest[:-1] + bytes([v.digest[-1] ^ 1])
    r = Request(cses, v, v.ciphertext, bad, CRYPTO_OP_DECRYPT)
    host.go(r)
    assert r.etype == errno.EBADMSG and r.payload == v.ciphertext


def test_hmac_verify_digest_op_only_reads(host: CryptoHost) -> None:
    v = RFC4231[0]
    cses = _session(host, v.csp)
    r = Request(cses, v, v.plaintext, v.digest, CRYPTO_OP_VERIFY_DIGEST)
    before = bytes(r.buf)
    host.go(r)
    assert r.etype == 0 and bytes(r.buf) == before


def test_digest_session_refuses_encrypt_op_einval(host: CryptoHost) -> None:
    v = RFC4231[0]
    cses = _session(host, v.csp)
    r = Request(cses, v, v.plaintext, b"", CRYPTO_OP_ENCRYPT)
    host.go(r)
    assert r.etype == errno.EINVAL


def test_hmac_sha256_with_aad_hashes_aad_then_payload(host: CryptoHost) -> None:
    key = b"\x01" * 32
    cses = _session(host, crypto_session_params(csp_mode=CSP_MODE_DIGEST,
                                                csp_auth_alg=CRYPTO_SHA2_256_HMAC,
                                                csp_auth_key=key, csp_auth_mlen=16))
    v = KAT("ah", cses.cs_csp, b"payload", aad=b"header-")
    r = Request(cses, v, b"payload", b"", 0)
    host.go(r)
    assert r.digest == hmac.new(key, b"header-payload", "sha256").digest()[:16]
