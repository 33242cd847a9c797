"""kce(4): driver for the kamebox KCE-1 crypto offload engine (cf. sys/dev/safe/safe.c, sys/dev/hifn/hifn7751.c).

Written against ``docs/hw/kce.md`` (section numbers in comments are that
page's) and organised as FreeBSD's look-aside crypto drivers: ``kce_probe``,
``kce_attach`` (reset, identify, rings, ``crypto_get_driverid`` and one
``crypto_register`` per algorithm the CAPS register lists), ``kce_detach``
(``crypto_unregister_all``), the opencrypto methods ``kce_probesession``,
``kce_newsession``, ``kce_freesession``, ``kce_process``, the interrupt
handler ``kce_intr`` which completes requests with ``crypto_done``, and a
10 ms ``kce_tick`` callout while requests are outstanding, which finds
completions whose interrupt was lost, notices a halted engine, and resets a
card that made no progress for a second.

The driver sees the card only through the ``bus_space`` handle of BAR0, the
``bus_dma`` tag and ``intr_establish``.  Its register definitions below are its
own transcription of the datasheet, not shared with the device model.

Memory, allocated once at attach: the descriptor ring (``hw.kce.ndesc``
descriptors, 64 by default), one bounce buffer per descriptor
(``hw.kce.bufsize`` bytes, 16384 by default) into which a request's regions
are copied and from which results are copied back — a copying driver, as
em(4) is — and a pool of SA records (``hw.kce.nsa``, 128 by default), one per
session.  A full ring makes ``kce_process`` answer ERESTART; opencrypto then
queues requests until ``kce_intr`` frees descriptors and calls
``crypto_unblock`` (FreeBSD's ``sc_needwakeup``).

Card status -> ``crp_etype``: OK 0; AUTH_FAIL EBADMSG; DMA_FAULT EIO; the
other codes EINVAL.  A ring fault (§6.4) or a hung engine fails every
outstanding request with EIO, resets the card and carries on.  Every failure
is counted in ``kcestats`` (sysctl ``dev.kce.<unit>.stats``).
"""
from __future__ import annotations

import hashlib
import os
import struct
from functools import partial
from typing import Any, Optional

from kernel.kern.kern_sysctl import SYSCTL_STRUCT
from kernel.kern.subr_bus import BUS_PROBE_DEFAULT, ENXIO, device_t, driver_t
from kernel.opencrypto.crypto import (
    crypto_done, crypto_get_driverid, crypto_register, crypto_session_mlen, crypto_unblock,
    crypto_unregister_all, cryptodev_methods,
)
from kernel.opencrypto.cryptodev import (
    CRYPTO_3DES_CBC, CRYPTO_AES_CBC, CRYPTO_AES_NIST_GCM_16, CRYPTO_AES_NIST_GMAC,
    CRYPTO_F_IV_SEPARATE, CRYPTO_HINT_MORE, CRYPTO_NULL_CBC, CRYPTO_OP_ENCRYPT,
    CRYPTO_OP_VERIFY_DIGEST, CRYPTO_SHA1_HMAC, CRYPTO_SHA2_256_HMAC, CRYPTO_SHA2_384_HMAC,
    CRYPTO_SHA2_512_HMAC, CRYPTO_SYMQ, CRYPTOCAP_F_HARDWARE, CRYPTODEV_PROBE_HARDWARE,
    CSP_F_ESN, CSP_F_SEPARATE_OUTPUT, CSP_MODE_CIPHER, CSP_MODE_DIGEST, crypto_alg_names,
    crypto_session_params, cryptop,
)
from kernel.wire import errno

# ---------------------------------------------------------------------------
# Registers and bits (docs/hw/kce.md)
# ---------------------------------------------------------------------------
# §1 identity
KCE_VENDOR_ID = 0x4B42
KCE_DEVICE_ID = 0x0CE1

# §2 register map
KCE_ID = 0x000
KCE_VERSION = 0x004
KCE_CAPS = 0x008
KCE_LIMITS = 0x00C
KCE_CTRL = 0x010
KCE_STATUS = 0x014
KCE_RBASE_LO = 0x020
KCE_RBASE_HI = 0x024
KCE_RSIZE = 0x028
KCE_RHEAD = 0x02C
KCE_RTAIL = 0x030
KCE_ISR = 0x040
KCE_IER = 0x044
KCE_ISET = 0x048
KCE_ICOAL = 0x04C
KCE_ERRADDR_LO = 0x060
KCE_ERRADDR_HI = 0x064
KCE_ERRDESC = 0x068
KCE_STAT_OPS = 0x080
KCE_STAT_BYTES = 0x084
KCE_STAT_AUTHFAIL = 0x088
KCE_STAT_BADDESC = 0x08C
KCE_STAT_DMAERR = 0x090
KCE_STAT_INTR = 0x094

KCE_ID_VALUE = 0x4B434531            # "KCE1"
KCE_LIMITS_MAXLEN = 0xFFFF
KCE_LIMITS_RINGMAX_SHIFT = 16

# §3.1 CTRL, §3.2 STATUS
KCE_CTRL_EN = 1 << 0
KCE_CTRL_RST = 1 << 1
KCE_STATUS_RUN = 1 << 0
KCE_STATUS_BUSY = 1 << 1
KCE_STATUS_HALT = 1 << 2

# §3.3 CAPS
KCE_CAP_NULL = 1 << 0
KCE_CAP_AES_CBC = 1 << 1
KCE_CAP_3DES_CBC = 1 << 2
KCE_CAP_AES_GCM = 1 << 3
KCE_CAP_HMAC_SHA1 = 1 << 8
KCE_CAP_HMAC_SHA256 = 1 << 9
KCE_CAP_HMAC_SHA384 = 1 << 10
KCE_CAP_HMAC_SHA512 = 1 << 11
KCE_CAP_AES_GMAC = 1 << 12
KCE_CAP_SALT = 1 << 16

# §4 SA record
KCE_SA_SIZE = 0xB0
KCE_SA_SLOT = 256                    # the driver's stride in its SA pool
KCE_SA_CKEY_OFF = 0x10
KCE_SA_AKEY_OFF = 0x30
KCE_SA_AKEY_MAX = 128
KCE_SA_FLAG_SALT = 1 << 0
# cipher, auth, ckeylen, akeylen, icvlen, ivlen, flags, salt, reserved
_sa_hdr = struct.Struct("<BBBBBBH4sI")

# §5.1 descriptor
KCE_DESC_SIZE = 64
KCE_CTL_ENC = 1 << 8
KCE_CTL_DONE = 1 << 30
KCE_CTL_OWN = 1 << 31
KCE_OP_CIPHER = 1
KCE_OP_AUTH = 2
KCE_OP_CIPHER_AUTH = 3
# ctl, status, sa, src, dst, buflen, aad_off, aad_len, payload_off, payload_len,
# iv_off, icv_off, cookie
_desc = struct.Struct("<IIQQQIIIIIIII")
_ctl = struct.Struct("<I")
_DESC_STATUS_OFF = 4

# §5.3 status codes
KCE_ST_OK = 0x00
KCE_ST_AUTH_FAIL = 0x01
KCE_ST_BAD_OPCODE = 0x02
KCE_ST_BAD_ALG = 0x03
KCE_ST_BAD_SA = 0x04
KCE_ST_BAD_LENGTH = 0x05
KCE_ST_DMA_FAULT = 0x06

# §7 interrupts
KCE_ISR_DONE = 1 << 0
KCE_ISR_ERR = 1 << 1
KCE_ISR_HALT = 1 << 2
KCE_IER_MASK = KCE_ISR_DONE | KCE_ISR_ERR | KCE_ISR_HALT
KCE_ICOAL_TIMER_SHIFT = 16

# ---------------------------------------------------------------------------
# Driver parameters
# ---------------------------------------------------------------------------
KCE_DEFAULT_NDESC = 64
KCE_MIN_NDESC = 4
KCE_DEFAULT_BUFSIZE = 16384
KCE_MIN_BUFSIZE = 256
KCE_DEFAULT_NSA = 128
KCE_DEFAULT_ICOAL_COUNT = 8          # DONE every 8 completions under load ...
KCE_DEFAULT_ICOAL_USEC = 20          # ... or 20 µs after the first (§7.2)
KCE_TICK_MS = 10                     # poll period while requests are outstanding
KCE_TIMEOUT_NS = 1_000_000_000       # no completion for this long: reset the card
KCE_RESET_POLL = 100
_TICK_NS = KCE_TICK_MS * 1_000_000

# opencrypto algorithm -> (CAPS bit, SA code); §3.3, §4
kce_ciphers = {CRYPTO_NULL_CBC: (KCE_CAP_NULL, 1), CRYPTO_AES_CBC: (KCE_CAP_AES_CBC, 2),
               CRYPTO_3DES_CBC: (KCE_CAP_3DES_CBC, 3),
               CRYPTO_AES_NIST_GCM_16: (KCE_CAP_AES_GCM, 4)}
kce_auths = {CRYPTO_SHA1_HMAC: (KCE_CAP_HMAC_SHA1, 1), CRYPTO_SHA2_256_HMAC: (KCE_CAP_HMAC_SHA256, 2),
             CRYPTO_SHA2_384_HMAC: (KCE_CAP_HMAC_SHA384, 3),
             CRYPTO_SHA2_512_HMAC: (KCE_CAP_HMAC_SHA512, 4),
             CRYPTO_AES_NIST_GMAC: (KCE_CAP_AES_GMAC, 5)}
# HMAC: hashlib name and block size, to hash keys longer than a block (RFC 2104 2)
_hmac_hash = {CRYPTO_SHA1_HMAC: ("sha1", 64), CRYPTO_SHA2_256_HMAC: ("sha256", 64),
              CRYPTO_SHA2_384_HMAC: ("sha384", 128), CRYPTO_SHA2_512_HMAC: ("sha512", 128)}

# Tunables (hw.kce.*, hint.kce.<unit>.*).  Module values are the defaults.
kce_ndesc = KCE_DEFAULT_NDESC
kce_bufsize = KCE_DEFAULT_BUFSIZE
kce_nsa = KCE_DEFAULT_NSA

kce_vendor_info: list[tuple[int, int, str]] = [
    (KCE_VENDOR_ID, KCE_DEVICE_ID, "kamebox KCE-1 crypto accelerator"),
]


class kcestats:
    """The driver's counters (``struct safe_stats`` in spirit); sysctl dev.kce.N.stats."""

    __slots__ = ("st_ipackets", "st_opackets", "st_ibytes", "st_invalid", "st_badsession",
                 "st_ringfull", "st_toobig", "st_authfail", "st_dmaerr", "st_badlen",
                 "st_ringfault", "st_timeouts", "st_resets", "st_aborted", "st_intrs",
                 "st_stray", "st_polled",
                 # the card's statistics registers, accumulated (§2)
                 "hw_ops", "hw_bytes", "hw_authfail", "hw_baddesc", "hw_dmaerr", "hw_intr")

    def __init__(self) -> None:
        for name in self.__slots__:
            setattr(self, name, 0)

    def as_dict(self) -> dict[str, int]:
        return {n: getattr(self, n) for n in self.__slots__}


class kce_session:
    """Per-session state: the SA record and what a request needs to build a descriptor."""

    __slots__ = ("sa_index", "sa_paddr", "opcode", "mode", "ivlen", "mlen", "inflight",
                 "freed")

    def __init__(self, sa_index: int, sa_paddr: int, opcode: int, mode: int, ivlen: int,
                 mlen: int) -> None:
        self.sa_index = sa_index
        self.sa_paddr = sa_paddr
        self.opcode = opcode
        self.mode = mode
        self.ivlen = ivlen
        self.mlen = mlen
        self.inflight = 0
        self.freed = False


class kce_request:
    """One outstanding descriptor (``struct safe_ringentry``): the request and its layout."""

    __slots__ = ("crp", "ses", "lo", "boff", "copy_payload", "copy_icv")

    def __init__(self, crp: cryptop, ses: kce_session, lo: int, boff: int,
                 copy_payload: bool, copy_icv: bool) -> None:
        self.crp = crp
        self.ses = ses
        self.lo = lo                 # request offset of the bounce buffer's first byte
        self.boff = boff             # the bounce buffer's offset in sc.bufs
        self.copy_payload = copy_payload
        self.copy_icv = copy_icv


class kce_softc:
    """The driver's state for one KCE-1."""

    def __init__(self, dev: device_t) -> None:
        self.dev = dev
        self.kernel = dev.kernel
        pa = dev.pa
        self.pa = pa
        self.read_4 = pa.bst.read_4
        self.write_4 = pa.bst.write_4
        self.dmat = pa.dmat
        self.sc_cid = -1
        self.caps = 0
        self.maxlen = 0
        self.revision = 0
        self.ndesc = KCE_DEFAULT_NDESC
        self.bufsize = KCE_DEFAULT_BUFSIZE
        self.nsa = KCE_DEFAULT_NSA
        self.icoal = KCE_DEFAULT_ICOAL_COUNT | KCE_DEFAULT_ICOAL_USEC << KCE_ICOAL_TIMER_SHIFT
        self.ring: Any = None
        self.bufs: Any = None
        self.sapool: Any = None
        self.pending: list[Optional[kce_request]] = []
        self.next_avail = 0
        self.next_to_clean = 0
        self.nqueued = 0
        self.sa_free: list[int] = []
        self.needwakeup = False
        self.deferred = False            # descriptors written, RTAIL not yet
        self.last_progress = 0
        self.running = False
        self.detached = False
        self.tick = dev.kernel.callout()
        self.stats = kcestats()


# ---------------------------------------------------------------------------
# probe / attach / detach
# ---------------------------------------------------------------------------
def kce_lookup(pa: Any) -> Optional[tuple[int, int, str]]:
    for ent in kce_vendor_info:
        if pa.vendor == ent[0] and pa.device == ent[1]:
            return ent
    return None


def kce_probe(pa: Any) -> int:
    return BUS_PROBE_DEFAULT if kce_lookup(pa) is not None else ENXIO


def _attach_error(dev: device_t, msg: str, err: int = errno.EIO) -> OSError:
    dev.device_printf(msg)
    return OSError(err, os.strerror(err))


def kce_attach(dev: device_t) -> kce_softc:
    """Reset, identify, allocate the ring, bounce buffers and SA pool, register with opencrypto."""
    pa = dev.pa
    sc = kce_softc(dev)
    pa.enable_busmaster()
    if not kce_reset_board(sc):
        raise _attach_error(dev, "reset did not complete")
    if sc.read_4(KCE_ID) != KCE_ID_VALUE:                    # §2 ID
        raise _attach_error(dev, f"not a KCE-1 (ID register {sc.read_4(KCE_ID):#010x})",
                            errno.ENXIO)
    sc.revision = pa.config_read(0x08, 1)
    sc.caps = sc.read_4(KCE_CAPS)
    limits = sc.read_4(KCE_LIMITS)
    sc.maxlen = limits & KCE_LIMITS_MAXLEN
    ringmax = limits >> KCE_LIMITS_RINGMAX_SHIFT

    ndesc = dev.device_get_tunable("ndesc", kce_ndesc)
    if not KCE_MIN_NDESC <= ndesc <= ringmax:
        dev.device_printf(f"Using {KCE_DEFAULT_NDESC} descriptors instead of {ndesc}!")
        ndesc = min(KCE_DEFAULT_NDESC, ringmax)
    bufsize = dev.device_get_tunable("bufsize", kce_bufsize)
    if not KCE_MIN_BUFSIZE <= bufsize <= sc.maxlen:
        dev.device_printf(f"Using a {min(KCE_DEFAULT_BUFSIZE, sc.maxlen)}-byte buffer "
                          f"instead of {bufsize}!")
        bufsize = min(KCE_DEFAULT_BUFSIZE, sc.maxlen)
    nsa = max(1, dev.device_get_tunable("nsa", kce_nsa))
    count = dev.device_get_tunable("icoal_count", KCE_DEFAULT_ICOAL_COUNT) & 0xFF
    usec = dev.device_get_tunable("icoal_usec", KCE_DEFAULT_ICOAL_USEC) & 0xFFFF
    sc.icoal = count | usec << KCE_ICOAL_TIMER_SHIFT
    sc.ndesc, sc.bufsize, sc.nsa = ndesc, bufsize, nsa

    dmat = pa.dmat
    try:
        sc.ring = dmat.dmamem_alloc(ndesc * KCE_DESC_SIZE, 4096)   # §2: 64-byte aligned
        sc.bufs = dmat.dmamem_alloc(ndesc * bufsize, 4096)
        sc.sapool = dmat.dmamem_alloc(nsa * KCE_SA_SLOT, 4096)
    except Exception:  # noqa: BLE001 - the bus_dma allocator has no room
        raise _attach_error(dev, "unable to allocate DMA memory", errno.ENOMEM) from None
    sc.pending = [None] * ndesc
    sc.sa_free = list(range(nsa - 1, -1, -1))

    kce_init_board(sc)
    pa.intr_establish(partial(kce_intr, sc))

    sc.sc_cid = crypto_get_driverid(dev.kernel, dev, kce_methods, CRYPTOCAP_F_HARDWARE)
    if sc.sc_cid < 0:
        raise _attach_error(dev, "could not get crypto driver id")
    names = []
    for table in (kce_ciphers, kce_auths):
        for alg, (cap, _code) in table.items():
            if sc.caps & cap:
                crypto_register(dev.kernel, sc.sc_cid, alg, bufsize, 0)
                names.append(crypto_alg_names.get(alg, str(alg)))
    dev.device_printf(f"KCE-1 rev {sc.revision}, {ndesc} descriptors, {bufsize}-byte buffers, "
                      f"{nsa} SAs: {' '.join(names)}")
    SYSCTL_STRUCT(dev.kernel, f"dev.{dev.driver.name}.{dev.unit}.stats",
                  lambda: kce_update_stats(sc), "kce statistics")
    return sc


def kce_detach(dev: device_t) -> None:
    """Unregister (sessions move to another driver), stop the card, fail what was in flight."""
    sc: kce_softc = dev.softc
    if sc is None or sc.detached:
        return
    crypto_unregister_all(dev.kernel, sc.sc_cid)
    sc.write_4(KCE_IER, 0)
    kce_done_ring(sc)                    # what the card finished is not lost
    kce_update_stats(sc)
    kce_reset_board(sc)
    sc.running = False
    sc.detached = True
    sc.tick.callout_stop()
    kce_abort(sc, errno.EAGAIN)          # the consumer dispatches again: another driver now


# ---------------------------------------------------------------------------
# hardware helpers
# ---------------------------------------------------------------------------
def kce_reset_board(sc: kce_softc) -> bool:
    """§3.1 CTRL.RST: every register to its reset value (§8); it self-clears."""
    sc.write_4(KCE_CTRL, KCE_CTRL_RST)
    for _ in range(KCE_RESET_POLL):
        if not sc.read_4(KCE_CTRL) & KCE_CTRL_RST:
            return True
    return False


def kce_init_board(sc: kce_softc) -> None:
    """Program an empty ring (§6.1), coalescing (§7.2) and interrupts, then enable."""
    write_4 = sc.write_4
    sc.ring.buf[:] = bytes(sc.ndesc * KCE_DESC_SIZE)
    sc.next_avail = sc.next_to_clean = sc.nqueued = 0
    sc.deferred = False
    paddr = sc.ring.paddr
    write_4(KCE_RBASE_LO, paddr & 0xFFFF_FFFF)
    write_4(KCE_RBASE_HI, paddr >> 32)
    write_4(KCE_RSIZE, sc.ndesc)
    write_4(KCE_RHEAD, 0)
    write_4(KCE_RTAIL, 0)
    write_4(KCE_ICOAL, sc.icoal)
    write_4(KCE_ISR, KCE_IER_MASK)
    write_4(KCE_IER, KCE_IER_MASK)
    write_4(KCE_CTRL, KCE_CTRL_EN)
    sc.running = True


def kce_update_stats(sc: kce_softc) -> kcestats:
    """Accumulate the read-to-clear statistics registers (§2)."""
    st = sc.stats
    if sc.detached:
        return st
    read_4 = sc.read_4
    st.hw_ops += read_4(KCE_STAT_OPS)
    st.hw_bytes += read_4(KCE_STAT_BYTES)
    st.hw_authfail += read_4(KCE_STAT_AUTHFAIL)
    st.hw_baddesc += read_4(KCE_STAT_BADDESC)
    st.hw_dmaerr += read_4(KCE_STAT_DMAERR)
    st.hw_intr += read_4(KCE_STAT_INTR)
    return st


# ---------------------------------------------------------------------------
# opencrypto methods
# ---------------------------------------------------------------------------
def _needs_salt(csp: crypto_session_params) -> bool:
    return csp.csp_ivlen == 8 and (csp.csp_cipher_alg == CRYPTO_AES_NIST_GCM_16
                                   or csp.csp_auth_alg == CRYPTO_AES_NIST_GMAC)


def kce_probesession(dev: device_t, csp: crypto_session_params) -> int:
    """Can the card do this session?  Refused: ESN, separate output, no free SA record."""
    sc: Optional[kce_softc] = dev.softc
    if sc is None or not sc.running or sc.detached:
        return errno.ENXIO
    if csp.csp_flags & (CSP_F_ESN | CSP_F_SEPARATE_OUTPUT):
        return errno.EINVAL
    if _needs_salt(csp) and not sc.caps & KCE_CAP_SALT:
        return errno.EINVAL
    if not sc.sa_free:
        return errno.ENOMEM
    return CRYPTODEV_PROBE_HARDWARE


def kce_newsession(dev: device_t, cses: Any, csp: crypto_session_params) -> int:
    """Write the session's SA record (§4) into a free slot of the pool."""
    sc: kce_softc = dev.softc
    if kce_probesession(dev, csp) > 0:
        return errno.EINVAL
    cipher = auth = 0
    ckey = akey = b""
    salt = b"\0\0\0\0"
    flags = 0
    if csp.csp_cipher_alg:
        cipher = kce_ciphers[csp.csp_cipher_alg][1]
        ckey = csp.csp_cipher_key
    if csp.csp_auth_alg:
        auth = kce_auths[csp.csp_auth_alg][1]
        if csp.csp_auth_alg == CRYPTO_AES_NIST_GMAC:
            ckey = csp.csp_auth_key          # §4: GMAC keys go in CKEY
        else:
            name, block = _hmac_hash[csp.csp_auth_alg]
            akey = csp.csp_auth_key
            if len(akey) > block:            # RFC 2104 2: hash a key longer than a block
                akey = hashlib.new(name, akey).digest()
    if _needs_salt(csp):
        ckey, salt = ckey[:-4], ckey[-4:]    # RFC 4106 8.1: the last 4 octets are the salt
        flags |= KCE_SA_FLAG_SALT
    mlen = crypto_session_mlen(csp)
    if len(akey) > KCE_SA_AKEY_MAX:
        return errno.EINVAL
    idx = sc.sa_free.pop()
    off = idx * KCE_SA_SLOT
    rec = sc.sapool.buf
    rec[off:off + KCE_SA_SLOT] = bytes(KCE_SA_SLOT)
    _sa_hdr.pack_into(rec, off, cipher, auth, len(ckey), len(akey), mlen, csp.csp_ivlen,
                      flags, salt, 0)
    rec[off + KCE_SA_CKEY_OFF:off + KCE_SA_CKEY_OFF + len(ckey)] = ckey
    rec[off + KCE_SA_AKEY_OFF:off + KCE_SA_AKEY_OFF + len(akey)] = akey
    mode = csp.csp_mode
    opcode = (KCE_OP_CIPHER if mode == CSP_MODE_CIPHER else
              KCE_OP_AUTH if mode == CSP_MODE_DIGEST else KCE_OP_CIPHER_AUTH)
    cses.cs_softc = kce_session(idx, sc.sapool.paddr + off, opcode, mode, csp.csp_ivlen, mlen)
    return 0


def kce_freesession(dev: device_t, cses: Any) -> None:
    """Give the SA record back — once no descriptor that uses it is outstanding."""
    sc: kce_softc = dev.softc
    ses: Optional[kce_session] = cses.cs_softc
    if ses is None or ses.freed:
        return
    ses.freed = True
    cses.cs_softc = None
    if ses.inflight == 0:
        _kce_release_sa(sc, ses)


def _kce_release_sa(sc: kce_softc, ses: kce_session) -> None:
    off = ses.sa_index * KCE_SA_SLOT
    sc.sapool.buf[off:off + KCE_SA_SIZE] = bytes(KCE_SA_SIZE)
    sc.sa_free.append(ses.sa_index)


def kce_process(dev: device_t, crp: cryptop, hint: int) -> int:
    """Copy the request into the next descriptor's bounce buffer and hand it to the card."""
    sc: kce_softc = dev.softc
    if sc.nqueued >= sc.ndesc - 1:       # §6.1: one descriptor always stays free
        sc.needwakeup = True
        sc.stats.st_ringfull += 1
        kce_flush(sc)
        return errno.ERESTART
    ses: Optional[kce_session] = crp.crp_session.cs_softc
    if ses is None:
        sc.stats.st_badsession += 1
        return _kce_fail(sc, crp, errno.EINVAL, hint)
    # The regions of the request, relative to the request's buffer.
    ps = crp.crp_payload_start
    pl = crp.crp_payload_length
    lo, hi = ps, ps + pl
    ivlen = ses.ivlen
    iv_in_buf = ivlen and not crp.crp_flags & CRYPTO_F_IV_SEPARATE
    if iv_in_buf:
        lo, hi = min(lo, crp.crp_iv_start), max(hi, crp.crp_iv_start + ivlen)
    al = crp.crp_aad_length if ses.mode != CSP_MODE_CIPHER else 0
    aad_in_buf = al and crp.crp_aad is None
    if aad_in_buf:
        lo, hi = min(lo, crp.crp_aad_start), max(hi, crp.crp_aad_start + al)
    mlen = ses.mlen
    ds = crp.crp_digest_start
    if mlen:
        lo, hi = min(lo, ds), max(hi, ds + mlen)
    span = hi - lo
    total = span + (al if al and not aad_in_buf else 0) + (ivlen if ivlen and not iv_in_buf else 0)
    if total > sc.bufsize:
        sc.stats.st_toobig += 1
        return _kce_fail(sc, crp, errno.E2BIG, hint)
    i = sc.next_avail
    boff = i * sc.bufsize
    bufs = sc.bufs.buf
    base = crp.crp_buf_start
    bufs[boff:boff + span] = crp.crp_buf[base + lo:base + hi]  # type: ignore[index]
    extra = boff + span
    aad_off = crp.crp_aad_start - lo if aad_in_buf else 0
    if al and not aad_in_buf:
        bufs[extra:extra + al] = crp.crp_aad[:al]  # type: ignore[index]
        aad_off = extra - boff
        extra += al
    iv_off = crp.crp_iv_start - lo if iv_in_buf else 0
    if ivlen and not iv_in_buf:
        bufs[extra:extra + ivlen] = crp.crp_iv[:ivlen]
        iv_off = extra - boff
        extra += ivlen
    if ses.mode == CSP_MODE_DIGEST:
        enc = not crp.crp_op & CRYPTO_OP_VERIFY_DIGEST
    else:
        enc = bool(crp.crp_op & CRYPTO_OP_ENCRYPT)
    ctl = ses.opcode | (KCE_CTL_ENC if enc else 0)
    paddr = sc.bufs.paddr + boff
    ring = sc.ring.buf
    doff = i * KCE_DESC_SIZE
    _desc.pack_into(ring, doff, ctl, 0, ses.sa_paddr, paddr, paddr, max(1, total),
                    aad_off, al, ps - lo, pl, iv_off, (ds - lo) if mlen else 0, i)
    _ctl.pack_into(ring, doff, ctl | KCE_CTL_OWN)      # hand it over last (§6.1)
    sc.pending[i] = kce_request(crp, ses, lo, boff, ses.mode != CSP_MODE_DIGEST,
                                bool(mlen) and enc)
    ses.inflight += 1
    i += 1
    sc.next_avail = 0 if i == sc.ndesc else i
    if not sc.nqueued:
        sc.last_progress = sc.kernel.now()
    sc.nqueued += 1
    sc.stats.st_opackets += 1
    sc.stats.st_ibytes += pl
    if hint & CRYPTO_HINT_MORE:
        sc.deferred = True               # more follow at once: one doorbell for all
    else:
        sc.deferred = False
        sc.write_4(KCE_RTAIL, sc.next_avail)
    if not sc.tick.callout_pending():
        sc.tick.callout_reset(KCE_TICK_MS, kce_tick, sc)
    return 0


def _kce_fail(sc: kce_softc, crp: cryptop, err: int, hint: int) -> int:
    """Complete a request the card cannot take; ring a doorbell left pending."""
    if not hint & CRYPTO_HINT_MORE:
        kce_flush(sc)
    crp.crp_etype = err
    crypto_done(crp)
    return 0


def kce_flush(sc: kce_softc) -> None:
    """Ring the doorbell for descriptors written under CRYPTO_HINT_MORE."""
    if sc.deferred:
        sc.deferred = False
        sc.write_4(KCE_RTAIL, sc.next_avail)


kce_methods = cryptodev_methods(newsession=kce_newsession, freesession=kce_freesession,
                                process=kce_process, probesession=kce_probesession)


# ---------------------------------------------------------------------------
# completion
# ---------------------------------------------------------------------------
_status_errno = {KCE_ST_OK: 0, KCE_ST_AUTH_FAIL: errno.EBADMSG, KCE_ST_DMA_FAULT: errno.EIO,
                 KCE_ST_BAD_LENGTH: errno.EINVAL, KCE_ST_BAD_OPCODE: errno.EINVAL,
                 KCE_ST_BAD_ALG: errno.EINVAL, KCE_ST_BAD_SA: errno.EINVAL}


def kce_done_ring(sc: kce_softc) -> int:
    """Complete every descriptor the card marked DONE, in ring order (§6.2 step 4)."""
    ring = sc.ring.buf
    done = []
    n = sc.ndesc
    while sc.nqueued:
        i = sc.next_to_clean
        doff = i * KCE_DESC_SIZE
        if not _ctl.unpack_from(ring, doff)[0] & KCE_CTL_DONE:
            break
        status = ring[doff + _DESC_STATUS_OFF]
        req = sc.pending[i]
        sc.pending[i] = None
        i += 1
        sc.next_to_clean = 0 if i == n else i
        sc.nqueued -= 1
        if req is not None:
            done.append((req, status))
    if not done:
        return 0
    sc.last_progress = sc.kernel.now()
    bufs = sc.bufs.buf
    st = sc.stats
    for req, status in done:
        crp = req.crp
        err = _status_errno.get(status, errno.EIO)
        if err == 0:
            base = crp.crp_buf_start
            buf = crp.crp_buf
            lo = req.lo
            if req.copy_payload and crp.crp_payload_length:
                s = crp.crp_payload_start
                b = req.boff + s - lo
                buf[base + s:base + s + crp.crp_payload_length] = \
                    bufs[b:b + crp.crp_payload_length]  # type: ignore[index]
            if req.copy_icv:
                s = crp.crp_digest_start
                b = req.boff + s - lo
                buf[base + s:base + s + req.ses.mlen] = bufs[b:b + req.ses.mlen]  # type: ignore[index]
            st.st_ipackets += 1
        elif status == KCE_ST_AUTH_FAIL:
            st.st_authfail += 1
        elif status == KCE_ST_DMA_FAULT:
            st.st_dmaerr += 1
        elif status == KCE_ST_BAD_LENGTH:
            st.st_badlen += 1
        else:
            st.st_invalid += 1
        _kce_put_session(sc, req.ses)
        crp.crp_etype = err
        crypto_done(crp)
    if sc.needwakeup and sc.nqueued < sc.ndesc - 1:
        sc.needwakeup = False
        crypto_unblock(sc.kernel, sc.sc_cid, CRYPTO_SYMQ)
    return len(done)


def _kce_put_session(sc: kce_softc, ses: kce_session) -> None:
    ses.inflight -= 1
    if ses.freed and ses.inflight == 0:
        _kce_release_sa(sc, ses)


def kce_abort(sc: kce_softc, err: int) -> None:
    """Fail every outstanding request with ``err`` (the card has forgotten them)."""
    pending = []
    n = sc.ndesc
    i = sc.next_to_clean
    for _ in range(sc.nqueued):
        req = sc.pending[i]
        sc.pending[i] = None
        if req is not None:
            pending.append(req)
        i = i + 1 if i + 1 < n else 0
    sc.nqueued = 0
    sc.next_to_clean = sc.next_avail
    sc.deferred = False
    for req in pending:
        sc.stats.st_aborted += 1
        _kce_put_session(sc, req.ses)
        req.crp.crp_etype = err
        crypto_done(req.crp)


def kce_reinit(sc: kce_softc, why: str) -> None:
    """Reset the card and start again with an empty ring; outstanding requests fail EIO."""
    sc.dev.device_printf(f"{why} -- resetting")
    sc.stats.st_resets += 1
    kce_done_ring(sc)                    # the descriptors it did finish stay finished
    kce_update_stats(sc)
    kce_reset_board(sc)
    kce_abort(sc, errno.EIO)
    kce_init_board(sc)
    if sc.needwakeup:
        sc.needwakeup = False
        crypto_unblock(sc.kernel, sc.sc_cid, CRYPTO_SYMQ)


def kce_intr(sc: kce_softc) -> None:
    """Read ISR, acknowledge it (write 1s, §7.1), complete what is done."""
    if sc.detached:
        return
    isr = sc.read_4(KCE_ISR)
    if not isr:
        sc.stats.st_stray += 1
        return
    sc.write_4(KCE_ISR, isr)
    sc.stats.st_intrs += 1
    if isr & KCE_ISR_HALT:
        sc.stats.st_ringfault += 1
        addr = sc.read_4(KCE_ERRADDR_HI) << 32 | sc.read_4(KCE_ERRADDR_LO)
        kce_reinit(sc, f"ring DMA fault at {addr:#x}")
        return
    kce_done_ring(sc)


def kce_tick(sc: kce_softc) -> None:
    """While requests are outstanding: poll the ring, catch a halt, time a hang out."""
    if sc.detached or not sc.running:
        return
    if sc.read_4(KCE_STATUS) & KCE_STATUS_HALT:          # its HALT interrupt was lost
        sc.stats.st_ringfault += 1
        kce_reinit(sc, "engine halted")
    else:
        n = kce_done_ring(sc)
        sc.stats.st_polled += n
        if sc.nqueued:
            if sc.kernel.now() - sc.last_progress >= KCE_TIMEOUT_NS:
                sc.stats.st_timeouts += 1
                kce_reinit(sc, "timeout")
            else:
                # A lost doorbell write would leave the engine idle: ring it again.
                sc.write_4(KCE_RTAIL, sc.next_avail)
    kce_update_stats(sc)
    if sc.nqueued:
        sc.tick.callout_reset(KCE_TICK_MS, kce_tick, sc)


kce_driver = driver_t("kce", kce_probe, kce_attach, kce_detach,
                      "kamebox KCE-1 crypto accelerator")
