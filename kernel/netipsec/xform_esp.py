"""ESP, the Encapsulating Security Payload (sys/netipsec/xform_esp.c; RFC 4303, RFC 4106).

Per SA (``esp_init``): an opencrypto session made from the SA's algorithms and
keys, kept on the SA with its replay window (``sav.tdb``, a :class:`tdb`).
Algorithms: ESP null (RFC 2410), AES-CBC 128/192/256 (RFC 3602), 3DES-CBC
(RFC 2451), AES-GCM-16 (RFC 4106: 8-byte explicit IV, the 4-byte salt at the
end of the key), with HMAC-SHA1-96 (RFC 2404) or HMAC-SHA2-256-128/384-192/
512-256 (RFC 4868); ENCR_NULL_AUTH_AES_GMAC (RFC 4543): no encryption, a GMAC
digest session over SPI, sequence number, IV and plaintext.

``esp_output`` builds SPI, sequence number, IV, payload, padding 1, 2, 3 ...
(RFC 4303 2.4), pad length, next header and room for the ICV, then hands the
request to ``crypto_dispatch``; the packet continues in ``esp_output_cb``.
``esp_input`` checks the length and the replay window, dispatches the
decryption (which verifies the ICV first) and continues in ``esp_input_cb``:
window update, padding check, the ESP header and trailer removed.  A driver
that went away answers EAGAIN: the request is dispatched again (FreeBSD).

Every drop bumps a field of ``k.espstat`` (FreeBSD's ``struct espstat``).
"""
from __future__ import annotations

import struct
from typing import TYPE_CHECKING, Any, Callable, Optional

from kernel.kern.uipc_mbuf import mbuf
from kernel.netipsec.ipsec import ipsec_stat
from kernel.netkey.key_alloc import key_sa_recordxfer
from kernel.opencrypto.crypto import (crypto_dispatch, crypto_freesession, crypto_getreq,
                                      crypto_newsession)
from kernel.opencrypto.cryptodev import (
    crypto_use_mbuf,
    CRYPTO_3DES_CBC, CRYPTO_AES_CBC, CRYPTO_AES_NIST_GCM_16, CRYPTO_AES_NIST_GMAC,
    CRYPTO_F_CBIFSYNC, CRYPTO_NULL_CBC, CRYPTO_OP_COMPUTE_DIGEST, CRYPTO_OP_DECRYPT,
    CRYPTO_OP_ENCRYPT, CRYPTO_OP_VERIFY_DIGEST, CRYPTO_SHA1_HMAC, CRYPTO_SHA2_256_HMAC,
    CRYPTO_SHA2_384_HMAC, CRYPTO_SHA2_512_HMAC, CSP_MODE_AEAD, CSP_MODE_CIPHER,
    CSP_MODE_DIGEST, CSP_MODE_ETA, crypto_session_params,
)
from kernel.wire import errno as E
from kernel.wire.pfkeyv2 import (
    SADB_AALG_SHA1HMAC, SADB_EALG_3DESCBC, SADB_EALG_NULL, SADB_X_AALG_NULL,
    SADB_X_AALG_SHA2_256, SADB_X_AALG_SHA2_384, SADB_X_AALG_SHA2_512, SADB_X_EALG_AESCBC,
    SADB_X_EALG_AESGCM16, SADB_X_EALG_AESGMAC,
)

if TYPE_CHECKING:  # pragma: no cover
    from kernel.kern.init_main import Kernel

ESP_HDRLEN = 8                  # SPI + sequence number (RFC 4303 2)
_esphdr = struct.Struct("!II")

# SADB algorithm -> (opencrypto algorithm, IV length, block size to pad to)
ESP_CIPHERS: dict[int, tuple[int, int, int]] = {
    SADB_EALG_NULL: (CRYPTO_NULL_CBC, 0, 4),
    SADB_X_EALG_AESCBC: (CRYPTO_AES_CBC, 16, 16),        # RFC 3602
    SADB_EALG_3DESCBC: (CRYPTO_3DES_CBC, 8, 8),          # RFC 2451
    SADB_X_EALG_AESGCM16: (CRYPTO_AES_NIST_GCM_16, 8, 4),  # RFC 4106 3.1, 3.2
    SADB_X_EALG_AESGMAC: (CRYPTO_AES_NIST_GMAC, 8, 4),     # RFC 4543
}
# SADB algorithm -> (opencrypto algorithm, ICV length)
AUTH_ALGS: dict[int, tuple[int, int]] = {
    SADB_AALG_SHA1HMAC: (CRYPTO_SHA1_HMAC, 12),          # RFC 2404: HMAC-SHA1-96
    SADB_X_AALG_SHA2_256: (CRYPTO_SHA2_256_HMAC, 16),    # RFC 4868 2.6
    SADB_X_AALG_SHA2_384: (CRYPTO_SHA2_384_HMAC, 24),
    SADB_X_AALG_SHA2_512: (CRYPTO_SHA2_512_HMAC, 32),
}
AEAD_ICVLEN = 16                # RFC 4106 6: the 16-octet ICV of AES-GCM-16
# RFC 4303 2.4: the padding bytes are 1, 2, 3, ... (at most 255 of them)
_PADDING = tuple(bytes(range(1, n + 1)) for n in range(256))


class espstat:
    """``struct espstat`` (netipsec/esp_var.h): ``net.inet.esp.stats``."""

    __slots__ = ("esps_hdrops", "esps_nopf", "esps_notdb", "esps_badkcr", "esps_qfull",
                 "esps_noxform", "esps_badilen", "esps_wrap", "esps_badenc", "esps_badauth",
                 "esps_replay", "esps_input", "esps_output", "esps_invalid", "esps_ibytes",
                 "esps_obytes", "esps_toobig", "esps_pdrops", "esps_crypto", "esps_tunnel",
                 "esps_hist")

    def __init__(self) -> None:
        for n in self.__slots__:
            setattr(self, n, 0)
        self.esps_hist = [0] * 256          # by SADB_EALG_*

    def as_dict(self) -> dict[str, Any]:
        return {n: (list(v) if isinstance(v := getattr(self, n), list) else v)
                for n in self.__slots__}


# -- anti-replay (RFC 4303 3.4.3) -------------------------------------------------------------
class secreplay:
    """The receive window of an SA: the highest sequence number seen and a bitmap
    of the ``wsize`` packets below it (bit 0 = the highest)."""

    __slots__ = ("wsize", "lastseq", "bitmap", "count")

    def __init__(self, wsize: int) -> None:
        self.wsize = wsize
        self.lastseq = 0
        self.bitmap = 0
        self.count = 0              # the sender's counter (outbound)

    def check(self, seq: int) -> bool:
        """May ``seq`` be a new packet? (before the ICV is checked)."""
        if self.wsize == 0:
            return True
        if seq == 0:
            return False            # RFC 4303 3.3.3: the first packet has 1
        if seq > self.lastseq:
            return True
        diff = self.lastseq - seq
        if diff >= self.wsize:
            return False            # left of the window
        return not (self.bitmap >> diff) & 1     # a duplicate?

    def update(self, seq: int) -> bool:
        """Mark ``seq`` received, after the ICV verified (3.4.3: "the receive
        window is updated only if the integrity verification succeeds")."""
        if self.wsize == 0:
            return True
        if seq > self.lastseq:
            shift = seq - self.lastseq
            self.bitmap = ((self.bitmap << shift) | 1) & ((1 << self.wsize) - 1)
            self.lastseq = seq
            return True
        diff = self.lastseq - seq
        if diff >= self.wsize or (self.bitmap >> diff) & 1:
            return False
        self.bitmap |= 1 << diff
        return True


class tdb:
    """What the data path hangs on an SA (``sav.tdb``): the crypto session and
    its sizes, the replay state."""

    __slots__ = ("cses", "ivlen", "blocksize", "icvlen", "aead", "gmac", "replay", "key")

    def __init__(self) -> None:
        self.cses: Any = None
        self.ivlen = 0
        self.blocksize = 4
        self.icvlen = 0
        self.aead = False
        self.gmac = False
        self.replay: Optional[secreplay] = None
        self.key: tuple = ()


def esp_init(k: "Kernel", sav: Any) -> Optional[tdb]:
    """The SA's ``tdb`` (esp_init): a crypto session for its algorithms and keys;
    None (counted ``esps_noxform``) when there is none to be had."""
    key = (sav.alg_enc, sav.alg_auth, sav.key_enc, sav.key_auth)
    t = getattr(sav, "tdb", None)
    if t is not None and t.key == key and t.cses is not None and not t.cses.cs_freed:
        return t
    ciph = ESP_CIPHERS.get(sav.alg_enc)
    if ciph is None:
        k.espstat.esps_noxform += 1
        return None
    calg, ivlen, bsize = ciph
    ekey = bytes(sav.key_enc or b"")
    akey = bytes(sav.key_auth or b"")
    t = tdb()
    t.key = key
    t.ivlen, t.blocksize = ivlen, bsize
    if calg == CRYPTO_AES_NIST_GMAC:
        # RFC 4543 3: ENCR_NULL_AUTH_AES_GMAC encrypts nothing; the 16-octet ICV is
        # GMAC over SPI, sequence number, IV and the whole plaintext (RFC 4543 5),
        # a digest session keyed with key + salt (3.2).
        t.gmac = True
        t.icvlen = AEAD_ICVLEN
        csp = crypto_session_params(csp_mode=CSP_MODE_DIGEST, csp_auth_alg=calg,
                                    csp_auth_key=ekey, csp_ivlen=ivlen,
                                    csp_auth_mlen=AEAD_ICVLEN)
    elif calg == CRYPTO_AES_NIST_GCM_16:
        t.aead = True
        t.icvlen = AEAD_ICVLEN
        csp = crypto_session_params(csp_mode=CSP_MODE_AEAD, csp_cipher_alg=calg,
                                    csp_cipher_key=ekey, csp_ivlen=ivlen)
    else:
        auth = AUTH_ALGS.get(sav.alg_auth) if sav.alg_auth not in (0, SADB_X_AALG_NULL) else None
        if sav.alg_auth not in (0, SADB_X_AALG_NULL) and auth is None:
            k.espstat.esps_noxform += 1
            return None
        if calg == CRYPTO_NULL_CBC:
            ekey = ekey or b""
        if auth is None:
            csp = crypto_session_params(csp_mode=CSP_MODE_CIPHER, csp_cipher_alg=calg,
                                        csp_cipher_key=ekey, csp_ivlen=ivlen)
        else:
            t.icvlen = auth[1]
            csp = crypto_session_params(csp_mode=CSP_MODE_ETA, csp_cipher_alg=calg,
                                        csp_cipher_key=ekey, csp_ivlen=ivlen,
                                        csp_auth_alg=auth[0], csp_auth_key=akey,
                                        csp_auth_mlen=auth[1])
    err, cses = crypto_newsession(k, csp)
    if err or cses is None:
        k.espstat.esps_noxform += 1
        return None
    old = getattr(sav, "tdb", None)
    if old is not None and old.cses is not None:
        crypto_freesession(old.cses)
    t.cses = cses
    t.replay = old.replay if old is not None and old.replay is not None else \
        secreplay(sav.replay_window)
    sav.tdb = t
    return t


def esp_zeroize(sav: Any) -> None:
    """Free the SA's crypto session (esp_zeroize)."""
    t = getattr(sav, "tdb", None)
    if t is not None and t.cses is not None:
        crypto_freesession(t.cses)
        t.cses = None


def _dispatch(crp: Any) -> None:
    crypto_dispatch(crp)


# -- output -----------------------------------------------------------------------------------
def esp_output(k: "Kernel", m: mbuf, sav: Any, hlen: int, nxtpos: int,
               done: Callable[[mbuf, int], None]) -> None:
    """Protect the payload after the first ``hlen`` bytes of ``m`` with ESP;
    the byte at ``nxtpos`` (the Next Header field in front) becomes 50.
    ``done(m, errno)`` runs when the crypto work is over."""
    st = k.espstat
    t = esp_init(k, sav)
    if t is None:
        done(m, E.EINVAL)
        return
    rp = t.replay
    # RFC 4303 3.3.3: without ESN the counter MUST NOT cycle; a new SA is needed.
    if rp.count >= 0xFFFFFFFF:
        st.esps_wrap += 1
        done(m, E.EINVAL)
        return
    rp.count += 1
    seq = rp.count
    sav.sequence = seq
    b = m.buf
    o = m.off
    nxt = b[o + nxtpos]
    plen = m.m_len - hlen
    bs = t.blocksize
    # RFC 4303 2.4: payload, padding, pad length and next header end on the
    # block size (and a 4-byte boundary); padding is 1, 2, 3, ...
    padlen = (-(plen + 2)) % bs
    ivlen = t.ivlen
    if t.aead or t.gmac:
        iv = seq.to_bytes(8, "big")       # RFC 4106 3.1 / RFC 4543 3.1: unique per packet; the counter is
    elif ivlen:
        iv = k.platform.rng.randbytes(ivlen)   # RFC 3602 3: unpredictable
    else:
        iv = b""
    # the IPv4 total length, or the IPv6 payload length, must fit 16 bits
    maxlen = 65535 + (40 if b[o] >> 4 == 6 else 0)
    if m.m_len + ESP_HDRLEN + ivlen + padlen + 2 + t.icvlen > maxlen:
        st.esps_toobig += 1
        done(m, E.EMSGSIZE)
        return
    trailer = _PADDING[padlen] + bytes((padlen, nxt)) + bytes(t.icvlen)
    m.m_append(trailer)
    head = _esphdr.pack(sav.spi, seq & 0xFFFFFFFF) + iv
    # insert the ESP header and IV after the first hlen bytes
    m.m_prepend(len(head))
    b = m.buf
    o = m.off
    n = len(head)
    b[o:o + hlen] = b[o + n:o + n + hlen]
    b[o + hlen:o + hlen + n] = head
    b[o + nxtpos] = 50
    crp = crypto_getreq(t.cses)
    crypto_use_mbuf(crp, m)
    crp.crp_op = CRYPTO_OP_COMPUTE_DIGEST if t.gmac else CRYPTO_OP_ENCRYPT
    crp.crp_flags = CRYPTO_F_CBIFSYNC
    if t.aead:
        crp.crp_aad_start, crp.crp_aad_length = hlen, ESP_HDRLEN     # RFC 4106 5: SPI, seq
    elif t.icvlen:
        crp.crp_aad_start, crp.crp_aad_length = hlen, ESP_HDRLEN + ivlen
    crp.crp_iv_start = hlen + ESP_HDRLEN
    crp.crp_payload_start = hlen + ESP_HDRLEN + ivlen
    crp.crp_payload_length = plen + padlen + 2
    crp.crp_digest_start = crp.crp_payload_start + crp.crp_payload_length
    alg = sav.alg_enc

    def esp_output_cb(crp: Any) -> None:
        err = crp.crp_etype
        if err == E.EAGAIN:                     # the driver went away: once more
            crp.crp_etype = 0
            _dispatch(crp)
            return
        if err:
            st.esps_crypto += 1
            done(m, err)
            return
        st.esps_output += 1
        st.esps_hist[alg & 0xFF] += 1
        st.esps_obytes += m.m_len - hlen
        key_sa_recordxfer(k, sav, m.m_len)
        done(m, 0)

    crp.crp_callback = esp_output_cb
    crp.crp_opaque = m
    _dispatch(crp)


# -- input ------------------------------------------------------------------------------------
def esp_input(k: "Kernel", m: mbuf, sav: Any, off: int,
              done: Callable[[mbuf, int, int], None]) -> None:
    """Check and decrypt the ESP packet whose header is at ``off``;
    ``done(m, errno, next header)`` with the ESP header and trailer removed."""
    st = k.espstat
    v6 = ipsec_stat(k, m)                       # the family's ipsecstat
    t = esp_init(k, sav)
    if t is None:
        done(m, E.EINVAL, 0)
        return
    ivlen = t.ivlen
    plen = m.m_len - off - ESP_HDRLEN - ivlen - t.icvlen
    if plen < 2 or plen % t.blocksize:
        st.esps_badilen += 1                    # RFC 4303 2.4: whole blocks
        done(m, E.EINVAL, 0)
        return
    b = m.buf
    o = m.off
    spi, seq = _esphdr.unpack_from(b, o + off)
    rp = t.replay
    if not rp.check(seq):
        st.esps_replay += 1                     # RFC 4303 3.4.3
        v6.in_espreplay += 1
        done(m, E.EACCES, 0)
        return
    crp = crypto_getreq(t.cses)
    crypto_use_mbuf(crp, m)
    crp.crp_op = CRYPTO_OP_VERIFY_DIGEST if t.gmac else CRYPTO_OP_DECRYPT
    crp.crp_flags = CRYPTO_F_CBIFSYNC
    if t.aead:
        crp.crp_aad_start, crp.crp_aad_length = off, ESP_HDRLEN
    elif t.icvlen:
        crp.crp_aad_start, crp.crp_aad_length = off, ESP_HDRLEN + ivlen
    crp.crp_iv_start = off + ESP_HDRLEN
    crp.crp_payload_start = off + ESP_HDRLEN + ivlen
    crp.crp_payload_length = plen
    crp.crp_digest_start = crp.crp_payload_start + plen
    alg = sav.alg_enc

    def esp_input_cb(crp: Any) -> None:
        err = crp.crp_etype
        if err == E.EAGAIN:
            crp.crp_etype = 0
            _dispatch(crp)
            return
        if err == E.EBADMSG:
            st.esps_badauth += 1                # RFC 4303 3.4.4.1: ICV mismatch
            v6.in_espauthfail += 1
            done(m, err, 0)
            return
        if err:
            st.esps_crypto += 1
            done(m, err, 0)
            return
        if t.icvlen:
            v6.in_espauthsucc += 1
        if not rp.update(seq):
            st.esps_replay += 1                 # a duplicate decided while we decrypted
            v6.in_espreplay += 1
            done(m, E.EACCES, 0)
            return
        b = m.buf
        o = m.off
        end = off + ESP_HDRLEN + ivlen + plen          # after the next header byte
        padlen = b[o + end - 2]
        nxt = b[o + end - 1]
        if padlen + 2 > plen:
            st.esps_badilen += 1
            done(m, E.EINVAL, 0)
            return
        # RFC 4303 2.4: the receiver checks the padding it expects (1, 2, 3, ...)
        pstart = o + end - 2 - padlen
        if b[pstart:pstart + padlen] != _PADDING[padlen]:
            st.esps_badenc += 1
            done(m, E.EINVAL, 0)
            return
        st.esps_input += 1
        st.esps_hist[alg & 0xFF] += 1
        st.esps_ibytes += m.m_len - off
        key_sa_recordxfer(k, sav, m.m_len)
        # remove the trailer, then the header and IV
        m.m_len = end - 2 - padlen
        hl = ESP_HDRLEN + ivlen
        b[o + hl:o + hl + off] = b[o:o + off]
        m.off += hl
        m.m_len -= hl
        done(m, 0, nxt)

    crp.crp_callback = esp_input_cb
    crp.crp_opaque = m
    _dispatch(crp)


__all__ = ["espstat", "esp_init", "esp_zeroize", "esp_output", "esp_input", "secreplay",
           "tdb", "ESP_CIPHERS", "AUTH_ALGS", "ESP_HDRLEN"]
