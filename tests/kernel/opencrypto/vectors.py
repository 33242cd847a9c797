"""Known-answer vectors for opencrypto, and a runner shared by the cryptosoft and kce tests.

The values are the published ones: RFC 3602 section 4 (AES-CBC, cases 1-4),
the GCM specification's test cases (McGrew and Viega, also NIST SP 800-38D),
used with FreeBSD's keying and with RFC 4106's (salt in the key), NIST's
CAVS GCM vectors for GMAC, RFC 2202 (HMAC-SHA1), RFC 4231 (HMAC-SHA-256/384/512),
and the DES variable-plaintext known answer of NIST SP 800-17 for 3DES with
three equal keys.

:func:`check_kat` puts a vector through a session both ways, as a consumer
would: encrypt (or compute) and compare with the expected ciphertext and ICV,
then decrypt (or verify) the expected values and compare with the plaintext,
then flip one bit of the ICV and expect EBADMSG with the payload untouched.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional

from kernel.opencrypto.crypto import crypto_dispatch, crypto_getreq, crypto_session_mlen
from kernel.opencrypto.cryptodev import (
    CRYPTO_3DES_CBC, CRYPTO_AES_CBC, CRYPTO_AES_NIST_GCM_16, CRYPTO_AES_NIST_GMAC,
    CRYPTO_F_CBIFSYNC, CRYPTO_OP_DECRYPT, CRYPTO_OP_ENCRYPT, CRYPTO_OP_VERIFY_DIGEST,
    CRYPTO_SHA1_HMAC, CRYPTO_SHA2_256_HMAC, CRYPTO_SHA2_384_HMAC, CRYPTO_SHA2_512_HMAC,
    CSP_MODE_AEAD, CSP_MODE_CIPHER, CSP_MODE_DIGEST, crypto_session_params, crypto_use_buf,
    cryptop,
)
from kernel.wire import errno

h = bytes.fromhex


@dataclass(frozen=True)
class KAT:
    """One vector: the session, the request's AAD and IV, input and expected output."""

    name: str
    csp: crypto_session_params
    plaintext: bytes
    ciphertext: bytes = b""          # expected payload after encryption (digest: unused)
    digest: bytes = b""              # expected ICV
    aad: bytes = b""
    iv: bytes = b""

    @property
    def mode(self) -> int:
        return self.csp.csp_mode


def _cbc(name: str, alg: int, key: str, iv: str, pt: bytes, ct: str) -> KAT:
    return KAT(name, crypto_session_params(csp_mode=CSP_MODE_CIPHER, csp_cipher_alg=alg,
                                           csp_cipher_key=h(key), csp_ivlen=len(h(iv))),
               pt, h(ct), iv=h(iv))


def _gcm(name: str, key: str, iv: str, pt: str, ct: str, tag: str, aad: str = "",
         salted: bool = False, mlen: int = 0) -> KAT:
    k, n = h(key), h(iv)
    if salted:                       # RFC 4106 8.1: key || salt; 4: nonce = salt || IV
        k, n = k + n[:4], n[4:]
    t = h(tag)[:mlen] if mlen else h(tag)
    return KAT(name, crypto_session_params(csp_mode=CSP_MODE_AEAD,
                                           csp_cipher_alg=CRYPTO_AES_NIST_GCM_16,
                                           csp_cipher_key=k, csp_ivlen=len(n),
                                           csp_auth_mlen=mlen),
               h(pt), h(ct), t, aad=h(aad), iv=n)


def _gmac(name: str, key: str, iv: str, data: str, tag: str, salted: bool = False) -> KAT:
    k, n = h(key), h(iv)
    if salted:                       # RFC 4543 3.2 / 4: the salt is the key's last 4 octets
        k, n = k + n[:4], n[4:]
    return KAT(name, crypto_session_params(csp_mode=CSP_MODE_DIGEST,
                                           csp_auth_alg=CRYPTO_AES_NIST_GMAC,
                                           csp_auth_key=k, csp_ivlen=len(n)),
               h(data), digest=h(tag), iv=n)


def _hmac(name: str, alg: int, key: bytes, data: bytes, digest: str, mlen: int = 0) -> KAT:
    d = h(digest)
    return KAT(name, crypto_session_params(csp_mode=CSP_MODE_DIGEST, csp_auth_alg=alg,
                                           csp_auth_key=key, csp_auth_mlen=mlen),
               data, digest=d[:mlen] if mlen else d)


# -- RFC 3602 section 4: AES-CBC ----------------------------------------------------
RFC3602 = [
    _cbc("rfc3602 case 1", CRYPTO_AES_CBC, "06a9214036b8a15b512e03d534120006",
         "3dafba429d9eb430b422da802c9fac41", b"Single block msg",
         "e353779c1079aeb82708942dbe77181a"),
    _cbc("rfc3602 case 2", CRYPTO_AES_CBC, "c286696d887c9aa0611bbb3e2025a45a",
         "562e17996d093d28ddb3ba695a2e6f58", bytes(range(32)),
         "d296cd94c2cccf8a3a863028b5e1dc0a7586602d253cfff91b8266bea6d61ab1"),
    _cbc("rfc3602 case 3", CRYPTO_AES_CBC, "6c3ea0477630ce21a2ce334aa746c2cd",
         "c782dc4c098c66cbd9cd27d825682c81", b"This is a 48-byte message (exactly 3 AES blocks)",
         "d0a02b3836451753d493665d33f0e8862dea54cdb293abc7506939276772f8d5"
         "021c19216bad525c8579695d83ba2684"),
    _cbc("rfc3602 case 4", CRYPTO_AES_CBC, "56e47a38c5598974bc46903dba290349",
         "8ce82eefbea0da3c44699ed7db51b7d9", bytes(range(0xA0, 0xE0)),
         "c30e32ffedc0774e6aff6af0869f71aa0f3af07a9a31a9c684db207eb0ef8e4e"
         "35907aa632c3ffdf868bb7b29d3d46ad83ce9f9a102ee99d49a53e87f4c3da55"),
]

# -- 3DES: SP 800-17 variable plaintext KAT (round 0) with K1 = K2 = K3 ------------------
TDES = [_cbc("3des kat k1=k2=k3", CRYPTO_3DES_CBC, "0101010101010101" * 3,
             "0000000000000000", h("8000000000000000"), "95f8a5e5dd31d900")]

# -- GCM specification test cases ---------------------------------------------------------
_K3 = "feffe9928665731c6d6a8f9467308308"
_IV3 = "cafebabefacedbaddecaf888"
_P3 = ("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
       "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255")
_C3 = ("42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
       "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985")
_A4 = "feedfacedeadbeeffeedfacedeadbeefabaddad2"
_C16 = ("522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
        "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662")
GCM = [
    _gcm("gcm test case 2", "00" * 16, "00" * 12, "00" * 16,
         "0388dace60b6a392f328c2b971b2fe78", "ab6e47d42cec13bdf53a67b21257bddf"),
    _gcm("gcm test case 3", _K3, _IV3, _P3, _C3, "4d5c2af327cd64a62cf35abd2ba6fab4"),
    _gcm("gcm test case 4", _K3, _IV3, _P3[:120], _C3[:120],
         "5bc94fbc3221a5db94fae95ae7121a47", aad=_A4),
    _gcm("gcm test case 4, rfc4106 keying", _K3, _IV3, _P3[:120], _C3[:120],
         "5bc94fbc3221a5db94fae95ae7121a47", aad=_A4, salted=True),
    _gcm("gcm test case 4, rfc4106 keying, 12-byte icv", _K3, _IV3, _P3[:120], _C3[:120],
         "5bc94fbc3221a5db94fae95ae7121a47", aad=_A4, salted=True, mlen=12),
    _gcm("gcm test case 4, rfc4106 keying, 8-byte icv", _K3, _IV3, _P3[:120], _C3[:120],
         "5bc94fbc3221a5db94fae95ae7121a47", aad=_A4, salted=True, mlen=8),
    _gcm("gcm test case 14 (aes-256)", "00" * 32, "00" * 12, "00" * 16,
         "cea7403d4d606b6e074ec5d3baf39d18", "d0d1c8a799996bf0265b98b5d48ab919"),
    _gcm("gcm test case 16 (aes-256)", _K3 * 2, _IV3, _P3[:120], _C16,
         "76fc6ece0f4e1768cddf8853bb2d551b", aad=_A4),
]

# -- GMAC: GCM with no plaintext (test cases 1 and 13; NIST CAVS gcmEncryptExtIV128) ---------
GMAC = [
    _gmac("gmac gcm test case 1", "00" * 16, "00" * 12, "", "58e2fccefa7e3061367f1d57a4e7455a"),
    _gmac("gmac gcm test case 13 (aes-256)", "00" * 32, "00" * 12, "",
          "530f8afbc74536b9a963b4f1c4cb738b"),
    _gmac("gmac cavs 128-bit aad", "77be63708971c4e240d1cb79e8d77feb", "e0e00f19fed7ba0136a797f3",
          "7a43ec1d9c0a5a78a0b16533a6213cab", "209fcc8d3675ed938e9c7166709dd946"),
    _gmac("gmac cavs 128-bit aad, rfc4543 keying", "77be63708971c4e240d1cb79e8d77feb",
          "e0e00f19fed7ba0136a797f3", "7a43ec1d9c0a5a78a0b16533a6213cab",
          "209fcc8d3675ed938e9c7166709dd946", salted=True),
]

# -- RFC 2202: HMAC-SHA1 (and HMAC-SHA1-96, RFC 2404) -------------------------------------------
_LONG1 = b"Test Using Larger Than Block-Size Key - Hash Key First"
_LONG2 = b"Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data"
RFC2202 = [
    _hmac("rfc2202 sha1 case 1", CRYPTO_SHA1_HMAC, b"\x0b" * 20, b"Hi There",
          "b617318655057264e28bc0b6fb378c8ef146be00"),
    _hmac("rfc2202 sha1 case 2", CRYPTO_SHA1_HMAC, b"Jefe", b"what do ya want for nothing?",
          "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"),
    _hmac("rfc2202 sha1 case 3", CRYPTO_SHA1_HMAC, b"\xaa" * 20, b"\xdd" * 50,
          "125d7342b9ac11cd91a39af48aa17b4f63f175d3"),
    _hmac("rfc2202 sha1 case 4", CRYPTO_SHA1_HMAC, bytes(range(1, 26)), b"\xcd" * 50,
          "4c9007f4026250c6bc8414f9bf50c86c2d7235da"),
    _hmac("rfc2202 sha1 case 5", CRYPTO_SHA1_HMAC, b"\x0c" * 20, b"Test With Truncation",
          "4c1a03424b55e07fe7f27be1d58bb9324a9a5a04"),
    _hmac("rfc2202 sha1 case 5, sha1-96", CRYPTO_SHA1_HMAC, b"\x0c" * 20,
          b"Test With Truncation", "4c1a03424b55e07fe7f27be1", mlen=12),
    _hmac("rfc2202 sha1 case 6", CRYPTO_SHA1_HMAC, b"\xaa" * 80, _LONG1,
          "aa4ae5e15272d00e95705637ce8a3b55ed402112"),
    _hmac("rfc2202 sha1 case 7", CRYPTO_SHA1_HMAC, b"\xaa" * 80, _LONG2,
          "e8e99d0f45237d786d6bbaa7965c7808bbff1a91"),
]

# -- RFC 4231: HMAC-SHA-256/384/512 (truncations of RFC 4868: -128, -192, -256) ------------------
_S256 = "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
_S384 = ("afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59c"
         "faea9ea9076ede7f4af152e8b2fa9cb6")
_S512 = ("87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
         "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854")
RFC4231 = [
    _hmac("rfc4231 case 1 sha256", CRYPTO_SHA2_256_HMAC, b"\x0b" * 20, b"Hi There", _S256),
    _hmac("rfc4231 case 1 sha384", CRYPTO_SHA2_384_HMAC, b"\x0b" * 20, b"Hi There", _S384),
    _hmac("rfc4231 case 1 sha512", CRYPTO_SHA2_512_HMAC, b"\x0b" * 20, b"Hi There", _S512),
    _hmac("rfc4231 case 1 sha256-128", CRYPTO_SHA2_256_HMAC, b"\x0b" * 20, b"Hi There",
          _S256, mlen=16),
    _hmac("rfc4231 case 1 sha384-192", CRYPTO_SHA2_384_HMAC, b"\x0b" * 20, b"Hi There",
          _S384, mlen=24),
    _hmac("rfc4231 case 1 sha512-256", CRYPTO_SHA2_512_HMAC, b"\x0b" * 20, b"Hi There",
          _S512, mlen=32),
    _hmac("rfc4231 case 2 sha256", CRYPTO_SHA2_256_HMAC, b"Jefe", b"what do ya want for nothing?",
          "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
    _hmac("rfc4231 case 2 sha384", CRYPTO_SHA2_384_HMAC, b"Jefe", b"what do ya want for nothing?",
          "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e"
          "8e2240ca5e69e2c78b3239ecfab21649"),
    _hmac("rfc4231 case 2 sha512", CRYPTO_SHA2_512_HMAC, b"Jefe", b"what do ya want for nothing?",
          "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
          "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"),
    _hmac("rfc4231 case 5 sha256 truncated", CRYPTO_SHA2_256_HMAC, b"\x0c" * 20,
          b"Test With Truncation", "a3b6167473100ee06e0c796c2955552b", mlen=16),
    _hmac("rfc4231 case 5 sha384 truncated", CRYPTO_SHA2_384_HMAC, b"\x0c" * 20,
          b"Test With Truncation", "3abf34c3503b2a23a46efc619baef897", mlen=16),
    _hmac("rfc4231 case 5 sha512 truncated", CRYPTO_SHA2_512_HMAC, b"\x0c" * 20,
          b"Test With Truncation", "415fad6271580a531d4179bc891d87a6", mlen=16),
    _hmac("rfc4231 case 6 sha256", CRYPTO_SHA2_256_HMAC, b"\xaa" * 131, _LONG1,
          "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
    _hmac("rfc4231 case 6 sha384", CRYPTO_SHA2_384_HMAC, b"\xaa" * 131, _LONG1,
          "4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c6"
          "0c2ef6ab4030fe8296248df163f44952"),
    _hmac("rfc4231 case 6 sha512", CRYPTO_SHA2_512_HMAC, b"\xaa" * 131, _LONG1,
          "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f352"
          "6b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598"),
]

ALL = RFC3602 + TDES + GCM + GMAC + RFC2202 + RFC4231


# ---------------------------------------------------------------------------
# the runner
# ---------------------------------------------------------------------------
class Request:
    """A request laid out as ESP would: AAD, IV, payload, ICV, one after the other."""

    def __init__(self, cses: Any, v: KAT, payload: bytes, digest: bytes, op: int,
                 flags: int = CRYPTO_F_CBIFSYNC, lead: int = 0) -> None:
        mlen = crypto_session_mlen(cses.cs_csp)
        self.buf = bytearray(bytes(lead) + v.aad + v.iv + payload + digest.ljust(mlen, b"\0"))
        crp = crypto_getreq(cses)
        crypto_use_buf(crp, self.buf)
        crp.crp_op = op
        crp.crp_flags = flags
        off = lead
        if v.mode != CSP_MODE_CIPHER:
            crp.crp_aad_start = off
            crp.crp_aad_length = len(v.aad)
        off += len(v.aad)
        crp.crp_iv_start = off
        off += len(v.iv)
        crp.crp_payload_start = off
        crp.crp_payload_length = len(payload)
        off += len(payload)
        crp.crp_digest_start = off
        self.payload_at = crp.crp_payload_start
        self.digest_at = off
        self.mlen = mlen
        self.done: list[cryptop] = []
        crp.crp_callback = self.done.append
        self.crp = crp

    @property
    def payload(self) -> bytes:
        return bytes(self.buf[self.payload_at:self.payload_at + self.crp.crp_payload_length])

    @property
    def digest(self) -> bytes:
        return bytes(self.buf[self.digest_at:self.digest_at + self.mlen])

    @property
    def etype(self) -> Optional[int]:
        return self.done[-1].crp_etype if self.done else None


Runner = Callable[[Request], None]


def dispatch_and_wait(run: Callable[[Callable[[], bool]], None]) -> Runner:
    """A runner: dispatch, then ``run(until)`` advances virtual time until the callback ran."""
    def go(r: Request) -> None:
        r.done.clear()
        crypto_dispatch(r.crp)
        run(lambda: bool(r.done))
        assert len(r.done) == 1, "the callback must run exactly once"
    return go


def check_kat(cses: Any, v: KAT, go: Runner) -> None:
    """Encrypt/compute, decrypt/verify, and a tampered ICV, against the vector."""
    mode = v.mode
    if mode == CSP_MODE_DIGEST:
        r = Request(cses, v, v.plaintext, b"", 0)
        go(r)
        assert r.etype == 0, f"{v.name}: compute failed with {r.etype}"
        assert r.digest == v.digest, f"{v.name}: digest {r.digest.hex()}"
        assert r.payload == v.plaintext
        r = Request(cses, v, v.plaintext, v.digest, CRYPTO_OP_VERIFY_DIGEST)
        go(r)
        assert r.etype == 0, f"{v.name}: verify failed with {r.etype}"
        bad = bytes([v.digest[0] ^ 0x01]) + v.digest[1:]
        r = Request(cses, v, v.plaintext, bad, CRYPTO_OP_VERIFY_DIGEST)
        go(r)
        assert r.etype == errno.EBADMSG, f"{v.name}: a bad ICV gave {r.etype}"
        return
    r = Request(cses, v, v.plaintext, b"", CRYPTO_OP_ENCRYPT)
    go(r)
    assert r.etype == 0, f"{v.name}: encrypt failed with {r.etype}"
    assert r.payload == v.ciphertext, f"{v.name}: ciphertext {r.payload.hex()}"
    if mode != CSP_MODE_CIPHER:
        assert r.digest == v.digest, f"{v.name}: ICV {r.digest.hex()}"
    r = Request(cses, v, v.ciphertext, v.digest, CRYPTO_OP_DECRYPT)
    go(r)
    assert r.etype == 0, f"{v.name}: decrypt failed with {r.etype}"
    assert r.payload == v.plaintext, f"{v.name}: plaintext {r.payload.hex()}"
    if mode != CSP_MODE_CIPHER:
        bad = v.digest[:-1] + bytes([v.digest[-1] ^ 0x80])
        r = Request(cses, v, v.ciphertext, bad, CRYPTO_OP_DECRYPT)
        go(r)
        assert r.etype == errno.EBADMSG, f"{v.name}: a bad ICV gave {r.etype}"
        assert r.payload == v.ciphertext, f"{v.name}: payload changed despite EBADMSG"
