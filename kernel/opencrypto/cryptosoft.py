"""cryptosoft: the software crypto driver (sys/opencrypto/cryptosoft.c).

A driver like any other — ``crypto_get_driverid`` with
``CRYPTOCAP_F_SOFTWARE | CRYPTOCAP_F_SYNC``, one ``crypto_register`` per
algorithm — that does the work with the ``cryptography`` package and
completes each request inside ``process`` (``swcr_process``), as FreeBSD's
cryptosoft does.

Everything that can be prepared per session is prepared in
``swcr_newsession``: the ``AESGCM`` object, the keyed HMAC context (copied per
request, FreeBSD's precomputed ipad/opad state), and for CBC one encryptor and
one decryptor that live as long as the session.  A CBC context carries its
chaining block from one request to the next, so a request with IV ``iv``
starts by folding ``iv`` and the carried block into its first block
(encrypt: feed ``P1 ^ iv ^ carry``; decrypt: ``P1 = out1 ^ carry ^ iv``,
NIST SP 800-38A 6.2): one cipher object per session instead of one per
packet (measured: 0.8 µs instead of 3.3 µs for 1 KiB of AES-CBC).

Per mode (FreeBSD's functions):

* ``swcr_encdec`` — CSP_MODE_CIPHER: the payload is encrypted or decrypted in
  place; its length must be a multiple of the cipher's block (EINVAL).
* ``swcr_authcompute`` — CSP_MODE_DIGEST, HMAC (RFC 2104): over the AAD then
  the payload (then the 4 ESN bytes with CSP_F_ESN, RFC 4303 2.2.1); the
  first ``csp_auth_mlen`` bytes are written at ``crp_digest_start`` or, with
  CRYPTO_OP_VERIFY_DIGEST, compared with what is there (EBADMSG).
* ``swcr_gmac`` — CSP_MODE_DIGEST, AES-GMAC (RFC 4543): GCM with no plaintext,
  the AAD and payload authenticated.
* ``swcr_gcm`` — CSP_MODE_AEAD, AES-GCM (RFC 4106): the tag is checked before
  anything is decrypted; on EBADMSG the buffer is unchanged.
* ``swcr_eta`` — CSP_MODE_ETA: encrypt then MAC the AAD and ciphertext
  (RFC 4303 3.3.2.1); on decrypt the ICV is verified first (RFC 4303 3.4.4.1),
  and a mismatch leaves the payload encrypted.
"""
from __future__ import annotations

from hmac import compare_digest
from typing import Any, Callable, Optional

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hmac as _hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from kernel.opencrypto.crypto import (
    crypto_done, crypto_get_driverid, crypto_register, cryptodev_methods,
)
from kernel.opencrypto.cryptodev import (
    CRYPTO_3DES_CBC, CRYPTO_AES_CBC, CRYPTO_AES_NIST_GCM_16, CRYPTO_AES_NIST_GMAC,
    CRYPTO_F_IV_SEPARATE, CRYPTO_NULL_CBC, CRYPTO_OP_ENCRYPT, CRYPTO_OP_VERIFY_DIGEST,
    CRYPTO_SHA1_HMAC, CRYPTO_SHA2_256_HMAC, CRYPTO_SHA2_384_HMAC, CRYPTO_SHA2_512_HMAC,
    CRYPTOCAP_F_SOFTWARE, CRYPTOCAP_F_SYNC, CRYPTODEV_PROBE_SOFTWARE, CSP_F_ESN,
    CSP_F_SEPARATE_OUTPUT, CSP_MODE_AEAD, CSP_MODE_CIPHER, CSP_MODE_DIGEST, CSP_MODE_ETA,
    crypto_session_params, cryptop,
)
from kernel.opencrypto.xform_auth import auth_hashes
from kernel.opencrypto.xform_enc import enc_xforms, gcm_split_key
from kernel.wire import errno

EINVAL = errno.EINVAL
EBADMSG = errno.EBADMSG

SWCR_ALGORITHMS = (CRYPTO_NULL_CBC, CRYPTO_AES_CBC, CRYPTO_3DES_CBC, CRYPTO_AES_NIST_GCM_16,
                   CRYPTO_AES_NIST_GMAC, CRYPTO_SHA1_HMAC, CRYPTO_SHA2_256_HMAC,
                   CRYPTO_SHA2_384_HMAC, CRYPTO_SHA2_512_HMAC)


class swcr_cbc:
    """A CBC encryptor/decryptor pair kept for a session's life (see the module docstring)."""

    __slots__ = ("enc", "dec", "ecarry", "dcarry", "bs")

    def __init__(self, algorithm: Any, bs: int) -> None:
        zero = bytes(bs)
        self.enc = Cipher(algorithm, modes.CBC(zero)).encryptor()
        self.dec = Cipher(algorithm, modes.CBC(zero)).decryptor()
        self.ecarry = 0          # the last ciphertext block out of enc (the IV at first: 0)
        self.dcarry = 0          # the last ciphertext block into dec
        self.bs = bs

    def encrypt(self, buf: Any, ps: int, pl: int, iv: bytes) -> None:
        """CBC-encrypt ``buf[ps:ps+pl]`` in place with ``iv`` (``pl`` a multiple of bs)."""
        bs = self.bs
        e = ps + bs
        first = int.from_bytes(buf[ps:e], "big") ^ int.from_bytes(iv, "big") ^ self.ecarry
        buf[ps:e] = first.to_bytes(bs, "big")
        out = self.enc.update(buf[ps:ps + pl])
        buf[ps:ps + pl] = out
        self.ecarry = int.from_bytes(out[-bs:], "big")

    def decrypt(self, buf: Any, ps: int, pl: int, iv: bytes) -> None:
        bs = self.bs
        end = ps + pl
        ct = bytes(buf[ps:end])
        out = self.dec.update(ct)
        first = int.from_bytes(out[:bs], "big") ^ self.dcarry ^ int.from_bytes(iv, "big")
        self.dcarry = int.from_bytes(ct[-bs:], "big")
        buf[ps:end] = out
        buf[ps:ps + bs] = first.to_bytes(bs, "big")


class swcr_session:
    """cryptosoft's per-session state (``struct swcr_session``)."""

    __slots__ = ("process", "ivlen", "mlen", "esn", "blocksize", "cbc", "aesgcm", "gcm_key",
                 "salt", "hmac")

    def __init__(self) -> None:
        self.process: Callable[["swcr_session", cryptop], int] = _null_process
        self.ivlen = 0
        self.mlen = 0
        self.esn = False
        self.blocksize = 1
        self.cbc: Optional[swcr_cbc] = None
        self.aesgcm: Optional[AESGCM] = None
        self.gcm_key = b""
        self.salt = b""
        self.hmac: Optional[_hmac.HMAC] = None


def _null_process(ses: swcr_session, crp: cryptop) -> int:  # pragma: no cover - replaced
    return EINVAL


def _iv(crp: cryptop, ivlen: int) -> bytes:
    if crp.crp_flags & CRYPTO_F_IV_SEPARATE:
        return bytes(crp.crp_iv[:ivlen])
    s = crp.crp_buf_start + crp.crp_iv_start
    return bytes(crp.crp_buf[s:s + ivlen])  # type: ignore[index]


def _aad(crp: cryptop) -> Any:
    """The AAD bytes (separate or in the buffer), or None when there is none."""
    al = crp.crp_aad_length
    if not al:
        return None
    if crp.crp_aad is not None:
        return crp.crp_aad[:al]
    s = crp.crp_buf_start + crp.crp_aad_start
    return crp.crp_buf[s:s + al]  # type: ignore[index]


# -- the operations ------------------------------------------------------------
def swcr_encdec(ses: swcr_session, crp: cryptop) -> int:
    pl = crp.crp_payload_length
    if pl % ses.blocksize:
        return EINVAL
    cbc = ses.cbc
    if cbc is None or not pl:
        return 0                       # NULL cipher (RFC 2410): nothing to do
    ps = crp.crp_buf_start + crp.crp_payload_start
    if crp.crp_op & CRYPTO_OP_ENCRYPT:
        cbc.encrypt(crp.crp_buf, ps, pl, _iv(crp, ses.ivlen))
    else:
        cbc.decrypt(crp.crp_buf, ps, pl, _iv(crp, ses.ivlen))
    return 0


def _hmac_digest(ses: swcr_session, crp: cryptop) -> bytes:
    mac = ses.hmac.copy()  # type: ignore[union-attr]
    aad = _aad(crp)
    if aad is not None:
        mac.update(aad)
    buf = crp.crp_buf
    ps = crp.crp_buf_start + crp.crp_payload_start
    mac.update(buf[ps:ps + crp.crp_payload_length])  # type: ignore[index]
    if ses.esn:
        mac.update(crp.crp_esn)      # RFC 4303 2.2.1 / 3.3.2.1: ESN high bits, after the payload
    return mac.finalize()[:ses.mlen]


def _digest_done(ses: swcr_session, crp: cryptop, digest: bytes) -> int:
    """The computed ``digest``: with CRYPTO_OP_VERIFY_DIGEST compared (in constant time)
    with the one at crp_digest_start, EBADMSG if they differ; else stored there."""
    ds = crp.crp_buf_start + crp.crp_digest_start
    buf = crp.crp_buf
    if crp.crp_op & CRYPTO_OP_VERIFY_DIGEST:
        if not compare_digest(digest, bytes(buf[ds:ds + ses.mlen])):  # type: ignore[index]
            return EBADMSG
        return 0
    buf[ds:ds + ses.mlen] = digest  # type: ignore[index]
    return 0


def swcr_authcompute(ses: swcr_session, crp: cryptop) -> int:
    return _digest_done(ses, crp, _hmac_digest(ses, crp))


def swcr_gmac(ses: swcr_session, crp: cryptop) -> int:
    buf = crp.crp_buf
    ps = crp.crp_buf_start + crp.crp_payload_start
    data = bytes(buf[ps:ps + crp.crp_payload_length])  # type: ignore[index]
    aad = _aad(crp)
    if aad is not None:
        data = bytes(aad) + data
    tag = ses.aesgcm.encrypt(ses.salt + _iv(crp, ses.ivlen), b"", data)[:ses.mlen]  # type: ignore[union-attr]
    return _digest_done(ses, crp, tag)


def swcr_gcm(ses: swcr_session, crp: cryptop) -> int:
    buf = crp.crp_buf
    base = crp.crp_buf_start
    ps = base + crp.crp_payload_start
    pl = crp.crp_payload_length
    pe = ps + pl
    ds = base + crp.crp_digest_start
    mlen = ses.mlen
    # RFC 4106 4: the nonce is salt || explicit IV (or the 12-byte IV alone)
    if crp.crp_flags & CRYPTO_F_IV_SEPARATE:
        nonce = ses.salt + bytes(crp.crp_iv[:ses.ivlen])
    else:
        s = base + crp.crp_iv_start
        nonce = ses.salt + bytes(buf[s:s + ses.ivlen])  # type: ignore[index]
    al = crp.crp_aad_length
    if not al:
        aad = None
    elif crp.crp_aad is not None:
        aad = crp.crp_aad[:al]
    else:
        s = base + crp.crp_aad_start
        aad = buf[s:s + al]  # type: ignore[index]
    g = ses.aesgcm
    if crp.crp_op & CRYPTO_OP_ENCRYPT:
        out = g.encrypt(nonce, buf[ps:pe], aad)  # type: ignore[union-attr,index]
        if ds == pe and mlen == 16:
            buf[ps:pe + 16] = out                # the ICV follows the payload (ESP)
        else:
            buf[ps:pe] = out[:pl]  # type: ignore[index]
            buf[ds:ds + mlen] = out[pl:pl + mlen]  # type: ignore[index]
        return 0
    if mlen == 16:
        if ds == pe:
            ct = buf[ps:ds + 16]  # type: ignore[index]
        else:
            ct = bytes(buf[ps:pe]) + bytes(buf[ds:ds + 16])  # type: ignore[index]
        try:
            out = g.decrypt(nonce, ct, aad)  # type: ignore[union-attr]
        except InvalidTag:
            return EBADMSG
    else:
        # A truncated ICV (RFC 4106 3.3: 8 or 12 octets) needs the streaming API.
        d = Cipher(algorithms.AES(ses.gcm_key),
                   modes.GCM(nonce, bytes(buf[ds:ds + mlen]), min_tag_length=mlen)).decryptor()  # type: ignore[index]
        if aad is not None:
            d.authenticate_additional_data(bytes(aad))
        out = d.update(bytes(buf[ps:pe]))  # type: ignore[index]
        try:
            d.finalize()
        except InvalidTag:
            return EBADMSG
    buf[ps:pe] = out  # type: ignore[index]
    return 0


def swcr_eta(ses: swcr_session, crp: cryptop) -> int:
    pl = crp.crp_payload_length
    if pl % ses.blocksize:
        return EINVAL
    if crp.crp_op & CRYPTO_OP_ENCRYPT:
        err = swcr_encdec(ses, crp)
        if err:
            return err
        buf = crp.crp_buf
        ds = crp.crp_buf_start + crp.crp_digest_start
        buf[ds:ds + ses.mlen] = _hmac_digest(ses, crp)  # type: ignore[index]
        return 0
    # RFC 4303 3.4.4.1: verify the ICV first, decrypt only if it matches.
    buf = crp.crp_buf
    ds = crp.crp_buf_start + crp.crp_digest_start
    if not compare_digest(_hmac_digest(ses, crp), bytes(buf[ds:ds + ses.mlen])):  # type: ignore[index]
        return EBADMSG
    return swcr_encdec(ses, crp)


# -- driver methods ----------------------------------------------------------------
def swcr_probesession(dev: Any, csp: crypto_session_params) -> int:
    if csp.csp_flags & CSP_F_SEPARATE_OUTPUT:
        return EINVAL                  # not implemented: requests work in place
    return CRYPTODEV_PROBE_SOFTWARE


def _setup_cipher(ses: swcr_session, csp: crypto_session_params) -> None:
    txf = enc_xforms[csp.csp_cipher_alg]
    ses.blocksize = txf.blocksize
    ses.ivlen = csp.csp_ivlen
    if txf.algorithm is not None:
        ses.cbc = swcr_cbc(txf.algorithm(csp.csp_cipher_key), txf.blocksize)


def _setup_hmac(ses: swcr_session, csp: crypto_session_params) -> None:
    axf = auth_hashes[csp.csp_auth_alg]
    ses.hmac = _hmac.HMAC(csp.csp_auth_key, axf.hash())
    ses.mlen = csp.csp_auth_mlen or axf.hashsize
    ses.esn = bool(csp.csp_flags & CSP_F_ESN)


def _setup_gcm(ses: swcr_session, csp: crypto_session_params, key: bytes) -> bool:
    """AES-GCM or GMAC: ``key`` is the AES key, with a 4-byte salt behind it for an
    8-byte IV (RFC 4106 8.1, RFC 4543 3.2); False if key and IV length do not fit."""
    split = gcm_split_key(key, csp.csp_ivlen)
    if split is None:
        return False
    ses.gcm_key, ses.salt = split
    ses.aesgcm = AESGCM(ses.gcm_key)
    ses.ivlen = csp.csp_ivlen
    ses.mlen = csp.csp_auth_mlen or 16
    return True


def swcr_newsession(dev: Any, cses: Any, csp: crypto_session_params) -> int:
    ses = swcr_session()
    mode = csp.csp_mode
    try:
        if mode == CSP_MODE_CIPHER:
            _setup_cipher(ses, csp)
            ses.process = swcr_encdec
        elif mode == CSP_MODE_ETA:
            _setup_cipher(ses, csp)
            _setup_hmac(ses, csp)
            ses.process = swcr_eta
        elif mode == CSP_MODE_DIGEST and csp.csp_auth_alg == CRYPTO_AES_NIST_GMAC:
            if not _setup_gcm(ses, csp, csp.csp_auth_key):
                return EINVAL
            ses.process = swcr_gmac
        elif mode == CSP_MODE_DIGEST:
            _setup_hmac(ses, csp)
            ses.process = swcr_authcompute
        elif mode == CSP_MODE_AEAD:
            if not _setup_gcm(ses, csp, csp.csp_cipher_key):
                return EINVAL
            ses.process = swcr_gcm
        else:
            return EINVAL
    except (ValueError, TypeError):
        return EINVAL
    cses.cs_softc = ses
    return 0


def swcr_freesession(dev: Any, cses: Any) -> None:
    cses.cs_softc = None


def swcr_process(dev: Any, crp: cryptop, hint: int) -> int:
    """Do the request now and complete it (``swcr_process``): always 0."""
    ses: swcr_session = crp.crp_session.cs_softc
    crp.crp_etype = ses.process(ses, crp)
    crypto_done(crp)
    return 0


swcr_methods = cryptodev_methods(newsession=swcr_newsession, freesession=swcr_freesession,
                                 process=swcr_process, probesession=swcr_probesession)


def swcr_attach(k: Any) -> int:
    """Register cryptosoft0 with every algorithm it knows; returns its hid."""
    hid = crypto_get_driverid(k, "cryptosoft0", swcr_methods,
                              CRYPTOCAP_F_SOFTWARE | CRYPTOCAP_F_SYNC)
    for alg in SWCR_ALGORITHMS:
        crypto_register(k, hid, alg, 0, 0)
    return hid
