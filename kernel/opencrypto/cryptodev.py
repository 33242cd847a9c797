"""<opencrypto/cryptodev.h>: algorithms, session parameters, requests (sys/opencrypto/cryptodev.h).

What a consumer of the framework (ESP, AH) and a crypto driver share:

* the algorithm numbers, FreeBSD's (``CRYPTO_AES_CBC = 11``, ``CRYPTO_SHA1_HMAC = 7``,
  ``CRYPTO_AES_NIST_GCM_16 = 25`` ...), and the sizes of ``cryptodev.h``;
* :class:`crypto_session_params` (``struct crypto_session_params``, "csp"): the
  mode (cipher, digest, AEAD, encrypt-then-authenticate), the cipher and auth
  algorithms with their keys, the IV length and the ICV (``csp_auth_mlen``)
  length — what ``crypto_newsession`` gets;
* :class:`cryptop` (``struct cryptop``): one request on a session — the buffer
  and the regions in it (AAD, IV, payload, digest), the direction
  (``crp_op``), the completion callback ``crp_callback`` and the error
  ``crp_etype`` it finds when it runs (0, or ``EBADMSG`` when an ICV does not
  verify, ``EINVAL`` for a malformed request, ``EIO`` when a card failed ...);
* :class:`cryptostats` (``struct cryptostats``, sysctl ``kern.crypto.stats``).

The buffer of a request is a ``bytearray`` or a writable ``memoryview``; all
offsets are relative to ``crp_buf_start`` in it (0 by :func:`crypto_use_buf`,
the mbuf's data offset by :func:`crypto_use_mbuf`), as FreeBSD's are relative
to the start of the mbuf chain.  The buffer belongs to the request until its
callback runs.

RFC 4106 (AES-GCM in ESP) and RFC 4543 (AES-GMAC): a session may carry the
4-byte salt as the last 4 bytes of the cipher (GMAC: auth) key, with an 8-byte
IV per request: the nonce is ``salt || IV`` (RFC 4106 section 4, 8.1).  Or,
as FreeBSD's netipsec does, the plain AES key with a 12-byte IV (the consumer
builds the nonce).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Callable, Optional, Union

# -- sizes (cryptodev.h) -------------------------------------------------------
NULL_HASH_LEN = 16
SHA1_HASH_LEN = 20
SHA2_256_HASH_LEN = 32
SHA2_384_HASH_LEN = 48
SHA2_512_HASH_LEN = 64
AES_GMAC_HASH_LEN = 16
HASH_MAX_LEN = SHA2_512_HASH_LEN

SHA1_BLOCK_LEN = 64
SHA2_256_BLOCK_LEN = 64
SHA2_384_BLOCK_LEN = 128
SHA2_512_BLOCK_LEN = 128
HMAC_MAX_BLOCK_LEN = SHA2_512_BLOCK_LEN
HMAC_IPAD_VAL = 0x36
HMAC_OPAD_VAL = 0x5C

AES_128_GMAC_KEY_LEN = 16
AES_192_GMAC_KEY_LEN = 24
AES_256_GMAC_KEY_LEN = 32

NULL_BLOCK_LEN = 4            # "IPsec to maintain alignment"
AES_BLOCK_LEN = 16
DES3_BLOCK_LEN = 8
EALG_MAX_BLOCK_LEN = 64

AES_GCM_IV_LEN = 12
# RFC 4106 section 3.1 / RFC 4543 section 3.1: the explicit IV carried in each ESP packet.
AES_GCM_EXPLICIT_IV_LEN = 8
# RFC 4106 section 8.1: "The last four octets of the key material are used as the salt".
AES_GCM_SALT_LEN = 4

NULL_MIN_KEY = 0
NULL_MAX_KEY = 256
AES_MIN_KEY = 16
AES_MAX_KEY = 32
DES3_KEY_LEN = 24

# -- algorithms (cryptodev.h) ---------------------------------------------------
CRYPTO_ALGORITHM_MIN = 1
CRYPTO_DES_CBC = 1
CRYPTO_3DES_CBC = 2
CRYPTO_BLF_CBC = 3
CRYPTO_CAST_CBC = 4
CRYPTO_SKIPJACK_CBC = 5
CRYPTO_MD5_HMAC = 6
CRYPTO_SHA1_HMAC = 7
CRYPTO_RIPEMD160_HMAC = 8
CRYPTO_MD5_KPDK = 9
CRYPTO_SHA1_KPDK = 10
CRYPTO_RIJNDAEL128_CBC = 11
CRYPTO_AES_CBC = 11
CRYPTO_ARC4 = 12
CRYPTO_MD5 = 13
CRYPTO_SHA1 = 14
CRYPTO_NULL_HMAC = 15
CRYPTO_NULL_CBC = 16
CRYPTO_DEFLATE_COMP = 17
CRYPTO_SHA2_256_HMAC = 18
CRYPTO_SHA2_384_HMAC = 19
CRYPTO_SHA2_512_HMAC = 20
CRYPTO_CAMELLIA_CBC = 21
CRYPTO_AES_XTS = 22
CRYPTO_AES_ICM = 23
CRYPTO_AES_NIST_GMAC = 24
CRYPTO_AES_NIST_GCM_16 = 25
CRYPTO_ALGORITHM_MAX = 41

crypto_alg_names: dict[int, str] = {
    CRYPTO_NULL_CBC: "NULL", CRYPTO_AES_CBC: "AES-CBC", CRYPTO_3DES_CBC: "3DES-CBC",
    CRYPTO_AES_NIST_GCM_16: "AES-GCM", CRYPTO_AES_NIST_GMAC: "AES-GMAC",
    CRYPTO_SHA1_HMAC: "HMAC-SHA1", CRYPTO_SHA2_256_HMAC: "HMAC-SHA2-256",
    CRYPTO_SHA2_384_HMAC: "HMAC-SHA2-384", CRYPTO_SHA2_512_HMAC: "HMAC-SHA2-512",
}


def CRYPTO_ALGO_VALID(x: int) -> bool:
    return CRYPTO_ALGORITHM_MIN <= x <= CRYPTO_ALGORITHM_MAX


# -- driver flags (crid) ---------------------------------------------------------
CRYPTO_FLAG_HARDWARE = 0x01000000
CRYPTO_FLAG_SOFTWARE = 0x02000000
CRYPTOCAP_F_HARDWARE = CRYPTO_FLAG_HARDWARE
CRYPTOCAP_F_SOFTWARE = CRYPTO_FLAG_SOFTWARE
CRYPTOCAP_F_SYNC = 0x04000000        # completes in crypto_dispatch (cryptosoft)
CRYPTOCAP_F_ACCEL_SOFTWARE = 0x08000000
CRYPTOCAP_F_CLEANUP = 0x80000000     # _cryptodev.h: driver is unregistering

# Return values of a driver's probesession: the best (greatest) wins.
CRYPTODEV_PROBE_HARDWARE = -100
CRYPTODEV_PROBE_ACCEL_SOFTWARE = -200
CRYPTODEV_PROBE_SOFTWARE = -500

# -- session modes and flags ------------------------------------------------------
CSP_MODE_NONE = 0
CSP_MODE_COMPRESS = 1
CSP_MODE_CIPHER = 2
CSP_MODE_DIGEST = 3
CSP_MODE_AEAD = 4
CSP_MODE_ETA = 5            # IPsec style encrypt-then-authenticate

CSP_F_SEPARATE_OUTPUT = 0x0001
CSP_F_SEPARATE_AAD = 0x0002
CSP_F_ESN = 0x0004          # RFC 4303 2.2.1: high-order ESN bits hashed after the payload

# -- request op and flags ---------------------------------------------------------
CRYPTO_OP_DECRYPT = 0x0
CRYPTO_OP_ENCRYPT = 0x1
CRYPTO_OP_COMPUTE_DIGEST = 0x0
CRYPTO_OP_VERIFY_DIGEST = 0x2


def CRYPTO_OP_IS_ENCRYPT(op: int) -> int:
    return op & CRYPTO_OP_ENCRYPT


CRYPTO_F_BATCH = 0x0008      # FreeBSD 6: queue, don't invoke the driver at once
CRYPTO_F_CBIMM = 0x0010      # do the callback immediately (in the driver's context)
CRYPTO_F_DONE = 0x0020       # operation completed
CRYPTO_F_CBIFSYNC = 0x0040   # do CBIMM if the driver is synchronous
CRYPTO_F_IV_SEPARATE = 0x0200  # the IV is crp_iv, not in the buffer

CRYPTO_HINT_MORE = 0x1       # process(): more requests follow at once
CRYPTO_SYMQ = 0x1            # crypto_unblock(): the symmetric queue

BufferType = Union[bytearray, memoryview]


@dataclass
class crypto_session_params:
    """``struct crypto_session_params``: what a session does, with its keys.

    ``csp_cipher_klen``/``csp_auth_klen`` default to the key's length (in C
    they come with a pointer); a klen that disagrees with the key is EINVAL.
    ``csp_auth_mlen`` is the ICV length: 0 means the algorithm's full output
    (HMAC-SHA1-96 for IPsec is ``CRYPTO_SHA1_HMAC`` with ``csp_auth_mlen=12``).
    """

    csp_mode: int = CSP_MODE_NONE
    csp_flags: int = 0
    csp_ivlen: int = 0
    csp_cipher_alg: int = 0
    csp_cipher_key: bytes = b""
    csp_cipher_klen: Optional[int] = None
    csp_auth_alg: int = 0
    csp_auth_key: bytes = b""
    csp_auth_klen: Optional[int] = None
    csp_auth_mlen: int = 0

    def copy(self) -> "crypto_session_params":
        """A private copy with the klen fields filled in and the keys as bytes."""
        ck = bytes(self.csp_cipher_key or b"")
        ak = bytes(self.csp_auth_key or b"")
        return replace(self, csp_cipher_key=ck, csp_auth_key=ak,
                       csp_cipher_klen=len(ck) if self.csp_cipher_klen is None
                       else self.csp_cipher_klen,
                       csp_auth_klen=len(ak) if self.csp_auth_klen is None
                       else self.csp_auth_klen)


class cryptostats:
    """``struct cryptostats`` (kern.crypto.stats), plus kamebox's drop counters."""

    __slots__ = ("cs_ops", "cs_errs", "cs_kops", "cs_kerrs", "cs_intrs", "cs_rets",
                 "cs_blocks", "cs_kblocks",
                 # kamebox: requests failed before any driver saw them
                 "cs_badreq", "cs_qfull", "cs_nodriver", "cs_migrated")

    def __init__(self) -> None:
        for name in self.__slots__:
            setattr(self, name, 0)

    def as_dict(self) -> dict[str, int]:
        return {n: getattr(self, n) for n in self.__slots__}


class cryptop:
    """``struct cryptop``: one request on a session.

    Regions are (start, length) in the buffer, relative to ``crp_buf_start``:
    the AAD (``crp_aad_start``/``crp_aad_length``, or the bytes ``crp_aad``
    with ``CSP_F_SEPARATE_AAD``), the IV (``crp_iv_start``, length from the
    session; or ``crp_iv`` with ``CRYPTO_F_IV_SEPARATE``), the payload that is
    encrypted or decrypted in place, and the digest (``crp_digest_start``,
    ``csp_auth_mlen`` bytes): written on encrypt/compute, compared on
    decrypt/verify.  ``crp_callback(crp)`` runs once when the request is done,
    with ``crp_etype`` 0 or the error.
    """

    __slots__ = ("crp_session", "crp_olen", "crp_etype", "crp_flags", "crp_op",
                 "crp_buf", "crp_buf_start", "crp_aad", "crp_aad_start", "crp_aad_length",
                 "crp_esn", "crp_iv_start", "crp_payload_start", "crp_payload_length",
                 "crp_digest_start", "crp_iv", "crp_opaque", "crp_callback", "crp_tstamp",
                 "crp_driver")

    def __init__(self, cses: Any = None) -> None:
        self.crp_session = cses
        self.crp_olen = 0
        self.crp_etype = 0
        self.crp_flags = 0
        self.crp_op = 0
        self.crp_buf: Optional[BufferType] = None
        self.crp_buf_start = 0
        self.crp_aad: Optional[bytes] = None
        self.crp_aad_start = 0
        self.crp_aad_length = 0
        self.crp_esn = b""
        self.crp_iv_start = 0
        self.crp_payload_start = 0
        self.crp_payload_length = 0
        self.crp_digest_start = 0
        self.crp_iv = b""
        self.crp_opaque: Any = None
        self.crp_callback: Optional[Callable[["cryptop"], Any]] = None
        self.crp_tstamp = 0
        self.crp_driver: Any = None      # the cryptocap that took it (for the counters)

    def __repr__(self) -> str:
        return (f"<cryptop op={self.crp_op} payload={self.crp_payload_start}+"
                f"{self.crp_payload_length} etype={self.crp_etype}>")


def crypto_use_buf(crp: cryptop, buf: BufferType) -> None:
    """The request works on ``buf`` (a bytearray or writable memoryview), offsets from 0."""
    crp.crp_buf = buf
    crp.crp_buf_start = 0


def crypto_use_mbuf(crp: cryptop, m: Any) -> None:
    """The request works on the packet of mbuf ``m``: offsets from its first byte."""
    crp.crp_buf = m.buf
    crp.crp_buf_start = m.off


def crypto_buffer_len(crp: cryptop) -> int:
    buf = crp.crp_buf
    return 0 if buf is None else len(buf) - crp.crp_buf_start


def crypto_read_iv(crp: cryptop, ivlen: int) -> bytes:
    """The IV of the request (``crypto_read_iv``)."""
    if crp.crp_flags & CRYPTO_F_IV_SEPARATE:
        return bytes(crp.crp_iv[:ivlen])
    s = crp.crp_buf_start + crp.crp_iv_start
    return bytes(crp.crp_buf[s:s + ivlen])  # type: ignore[index]


def crypto_copydata(crp: cryptop, off: int, size: int) -> bytes:
    s = crp.crp_buf_start + off
    return bytes(crp.crp_buf[s:s + size])  # type: ignore[index]


def crypto_copyback(crp: cryptop, off: int, data: Any) -> None:
    s = crp.crp_buf_start + off
    crp.crp_buf[s:s + len(data)] = data  # type: ignore[index]
