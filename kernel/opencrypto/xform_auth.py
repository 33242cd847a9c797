"""Authenticator transforms (sys/opencrypto/xform_auth.h, xform_sha1.c, xform_sha2.c, xform_gmac.c).

One :class:`auth_hash` per keyed digest, with FreeBSD's sizes: key size, hash
(output) size, block size.  ``hash`` is the ``cryptography`` hash an HMAC is
built on (RFC 2104); GMAC (NIST SP 800-38D, RFC 4543) has none: it is GCM with
no plaintext.  The ICV a session produces is the first ``csp_auth_mlen`` bytes
of the output: RFC 2404 (HMAC-SHA1-96), RFC 4868 (HMAC-SHA-256-128,
-384-192, -512-256).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from cryptography.hazmat.primitives import hashes

from kernel.opencrypto.cryptodev import (
    AES_GMAC_HASH_LEN, CRYPTO_AES_NIST_GMAC, CRYPTO_SHA1_HMAC, CRYPTO_SHA2_256_HMAC,
    CRYPTO_SHA2_384_HMAC, CRYPTO_SHA2_512_HMAC, SHA1_BLOCK_LEN, SHA1_HASH_LEN,
    SHA2_256_BLOCK_LEN, SHA2_256_HASH_LEN, SHA2_384_BLOCK_LEN, SHA2_384_HASH_LEN,
    SHA2_512_BLOCK_LEN, SHA2_512_HASH_LEN,
)


@dataclass(frozen=True)
class auth_hash:
    """``struct auth_hash``: a keyed digest's sizes and its ``cryptography`` hash."""

    type: int
    name: str
    keysize: int
    hashsize: int
    blocksize: int
    hash: Optional[Any]        # a cryptography.hazmat.primitives.hashes class; None for GMAC
    ipsec_mlen: int            # the ICV length IPsec uses (RFC 2404, RFC 4868, RFC 4543)


auth_hash_hmac_sha1 = auth_hash(CRYPTO_SHA1_HMAC, "HMAC-SHA1", SHA1_BLOCK_LEN, SHA1_HASH_LEN,
                                SHA1_BLOCK_LEN, hashes.SHA1, 12)
auth_hash_hmac_sha2_256 = auth_hash(CRYPTO_SHA2_256_HMAC, "HMAC-SHA2-256", SHA2_256_BLOCK_LEN,
                                    SHA2_256_HASH_LEN, SHA2_256_BLOCK_LEN, hashes.SHA256, 16)
auth_hash_hmac_sha2_384 = auth_hash(CRYPTO_SHA2_384_HMAC, "HMAC-SHA2-384", SHA2_384_BLOCK_LEN,
                                    SHA2_384_HASH_LEN, SHA2_384_BLOCK_LEN, hashes.SHA384, 24)
auth_hash_hmac_sha2_512 = auth_hash(CRYPTO_SHA2_512_HMAC, "HMAC-SHA2-512", SHA2_512_BLOCK_LEN,
                                    SHA2_512_HASH_LEN, SHA2_512_BLOCK_LEN, hashes.SHA512, 32)
auth_hash_nist_gmac = auth_hash(CRYPTO_AES_NIST_GMAC, "GMAC-AES", 32, AES_GMAC_HASH_LEN,
                                16, None, 16)

auth_hashes: dict[int, auth_hash] = {x.type: x for x in (
    auth_hash_hmac_sha1, auth_hash_hmac_sha2_256, auth_hash_hmac_sha2_384,
    auth_hash_hmac_sha2_512, auth_hash_nist_gmac)}

HMAC_ALGS = frozenset((CRYPTO_SHA1_HMAC, CRYPTO_SHA2_256_HMAC, CRYPTO_SHA2_384_HMAC,
                       CRYPTO_SHA2_512_HMAC))
