"""Cipher transforms (sys/opencrypto/xform_enc.h, xform_null.c, xform_aes_cbc.c, xform_gcm.c).

One :class:`enc_xform` per cipher, with FreeBSD's sizes: block size, IV size,
key sizes.  ``setkey`` checks a key's length (FreeBSD's ``xform->setkey``
returning EINVAL); ``algorithm`` builds the ``cryptography`` cipher that does
the work in cryptosoft.

kamebox accepts two keyings for AES-GCM: FreeBSD's (16/24/32-byte key, 12-byte
IV) and RFC 4106's (the key followed by a 4-byte salt, 8-byte explicit IV;
RFC 4106 section 8.1).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional

from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives.ciphers import algorithms

from kernel.opencrypto.cryptodev import (
    AES_BLOCK_LEN, AES_GCM_EXPLICIT_IV_LEN, AES_GCM_IV_LEN, AES_GCM_SALT_LEN,
    CRYPTO_3DES_CBC, CRYPTO_AES_CBC, CRYPTO_AES_NIST_GCM_16, CRYPTO_NULL_CBC, DES3_BLOCK_LEN,
    DES3_KEY_LEN, NULL_BLOCK_LEN, NULL_MAX_KEY, NULL_MIN_KEY,
)

AES_KEY_SIZES = (16, 24, 32)


@dataclass(frozen=True)
class enc_xform:
    """``struct enc_xform``: one cipher's sizes and its ``cryptography`` algorithm."""

    type: int
    name: str
    blocksize: int          # the payload must be a multiple of this
    native_blocksize: int
    ivsize: int
    minkey: int
    maxkey: int
    keysizes: Optional[tuple[int, ...]]          # None: any in [minkey, maxkey]
    algorithm: Optional[Callable[[bytes], Any]]  # key -> cryptography algorithm
    aead: bool = False

    def key_ok(self, klen: int) -> bool:
        if self.keysizes is not None:
            return klen in self.keysizes
        return self.minkey <= klen <= self.maxkey


enc_xform_null = enc_xform(CRYPTO_NULL_CBC, "NULL", NULL_BLOCK_LEN, NULL_BLOCK_LEN, 0,
                           NULL_MIN_KEY, NULL_MAX_KEY, None, None)
enc_xform_aes_cbc = enc_xform(CRYPTO_AES_CBC, "AES-CBC", AES_BLOCK_LEN, AES_BLOCK_LEN,
                              AES_BLOCK_LEN, 16, 32, AES_KEY_SIZES, algorithms.AES)
enc_xform_3des = enc_xform(CRYPTO_3DES_CBC, "3DES", DES3_BLOCK_LEN, DES3_BLOCK_LEN,
                           DES3_BLOCK_LEN, DES3_KEY_LEN, DES3_KEY_LEN, (DES3_KEY_LEN,), TripleDES)
# GCM is a stream mode: any payload length (blocksize 1), native block 16.
enc_xform_aes_nist_gcm = enc_xform(CRYPTO_AES_NIST_GCM_16, "AES-GCM", 1, AES_BLOCK_LEN,
                                   AES_GCM_IV_LEN, 16, 32, AES_KEY_SIZES, algorithms.AES,
                                   aead=True)

enc_xforms: dict[int, enc_xform] = {x.type: x for x in (
    enc_xform_null, enc_xform_aes_cbc, enc_xform_3des, enc_xform_aes_nist_gcm)}


def gcm_split_key(key: bytes, ivlen: int) -> Optional[tuple[bytes, bytes]]:
    """(AES key, salt) for a GCM/GMAC session, or None if key and IV length do not fit.

    12-byte IV: the key is the AES key, no salt.  8-byte IV: RFC 4106 section
    8.1 / RFC 4543 section 3.2 — the last 4 octets of the key are the salt.
    """
    if ivlen == AES_GCM_IV_LEN and len(key) in AES_KEY_SIZES:
        return key, b""
    if ivlen == AES_GCM_EXPLICIT_IV_LEN and len(key) - AES_GCM_SALT_LEN in AES_KEY_SIZES:
        return key[:-AES_GCM_SALT_LEN], key[-AES_GCM_SALT_LEN:]
    return None
