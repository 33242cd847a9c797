"""kce: model of the kamebox KCE-1 look-aside crypto engine.

What it models is ``docs/hw/kce.md``: the register file of §2, the SA record
of §4, the command descriptor ring with in-place status write-back (§5, §6),
processing time on the virtual clock (§6.2), descriptor errors and ring faults
(§6.3, §6.4), interrupts with write-1-to-clear status and coalescing (§7), and
reset (§8).  Section numbers in comments are that page's.

As ``emu/devices/em.py``: the register file is data —
:data:`emu.devices.kce_regs.REGISTERS` gives the reset image and write masks,
:data:`_READ_OPS` / :data:`_WRITE_OPS` map offsets to handlers — and side
effects live where the hardware has them: the RTAIL doorbell, CTRL.RST and
CTRL.EN, write-1-to-clear ISR, ISET, read-to-clear statistics.  One
:meth:`KCE.update_irq` computes ``ISR & IER`` and drives the line.

The engine reads the descriptor, the SA record and the source buffer when it
takes a descriptor, computes the result with the ``cryptography`` package at
once, and writes it back (results, then the descriptor) when the processing
time has passed — a scheduler event.  Every DMA goes through a bounds check on
guest memory: an access outside it is a descriptor error or a ring fault,
counted in ``errors[reason]`` and reported to the ``trace`` hook, never an
exception out of the device.
"""
from __future__ import annotations

from hmac import compare_digest
from typing import Any, Callable, Optional

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as _hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from emu.sched import Scheduler
from emu.devices.intx import IntxDevice
from emu.devices.regfile import RegisterFile
from emu.devices.kce_regs import (
    AUTH_CAP, BAR0_SIZE, CAP_SALT, CAPS, CAPS_ALL, CIPHER_CAP, CTL_DONE, CTL_ENC,
    CTL_OPCODE_MASK, CTL_OWN, CTRL, CTRL_EN, CTRL_RST, DESC, DESC_SIZE, ERRADDR_HI,
    ERRADDR_LO, ERRDESC, HMAC_SIZES, ICOAL, ICOAL_COUNT_MASK, ICOAL_TIMER_SHIFT,
    ICOAL_UNIT_NS, IER, ISET, ISR, ISR_ALL, ISR_DONE, ISR_ERR, ISR_HALT, MAXLEN,
    OP_AUTH, OP_CIPHER, OP_CIPHER_AUTH, PCI_CLASS_CRYPTO, PCI_DEVICE_KCE1,
    PCI_VENDOR_KAMEBOX, RBASE_HI, RBASE_LO, REG_END, REGISTERS, REVISION, RHEAD, RINGMAX,
    RSIZE, RTAIL, SA_AKEY_OFF, SA_AUTH_AES_GMAC, SA_AUTH_NONE, SA_CIPHER_3DES_CBC,
    SA_CIPHER_AES_CBC, SA_CIPHER_AES_GCM, SA_CIPHER_NONE, SA_CIPHER_NULL, SA_CKEY_OFF,
    SA_FLAG_SALT, SA_HDR, SA_SIZE, STAT_AUTHFAIL, STAT_BADDESC, STAT_BYTES, STAT_DMAERR,
    STAT_INTR, STAT_OPS, STAT_REGS, STATUS, STATUS_BUSY, STATUS_HALT, STATUS_RUN,
    ST_AUTH_FAIL, ST_BAD_ALG, ST_BAD_LENGTH, ST_BAD_OPCODE, ST_BAD_SA, ST_DMA_FAULT, ST_OK,
)

# §9 error reasons: the keys of KCE.errors.
ERR_AUTH = "auth failure"
ERR_OPCODE = "bad opcode"
ERR_ALG = "unsupported algorithm"
ERR_SA = "bad SA"
ERR_LENGTH = "bad length"
ERR_DMA = "DMA fault"
ERR_RING = "ring fault"
ERR_NOT_OWNED = "not owned"
ERROR_REASONS = (ERR_AUTH, ERR_OPCODE, ERR_ALG, ERR_SA, ERR_LENGTH, ERR_DMA, ERR_RING,
                 ERR_NOT_OWNED)
_STATUS_REASON = {ST_AUTH_FAIL: ERR_AUTH, ST_BAD_OPCODE: ERR_OPCODE, ST_BAD_ALG: ERR_ALG,
                  ST_BAD_SA: ERR_SA, ST_BAD_LENGTH: ERR_LENGTH, ST_DMA_FAULT: ERR_DMA}

DEFAULT_OP_NS = 1000
DEFAULT_BYTE_NS = 2
SA_CACHE_MAX = 256

_M32 = 0xFFFF_FFFF
_ISR, _IER, _CTRL, _RHEAD, _RTAIL = (r >> 2 for r in (ISR, IER, CTRL, RHEAD, RTAIL))
_STAT_OPS, _STAT_BYTES, _STAT_AUTHFAIL, _STAT_BADDESC, _STAT_DMAERR, _STAT_INTR = (
    r >> 2 for r in (STAT_OPS, STAT_BYTES, STAT_AUTHFAIL, STAT_BADDESC, STAT_DMAERR, STAT_INTR))

_RESET_IMAGE: list[int] = [0] * (REG_END >> 2)
_WMASK: dict[int, int] = {}
for _r in REGISTERS:
    _RESET_IMAGE[_r.offset >> 2] = _r.reset
    _WMASK[_r.offset] = _r.wmask

_HMAC_HASH = {1: hashes.SHA1, 2: hashes.SHA256, 3: hashes.SHA384, 4: hashes.SHA512}
_CBC_BLOCK = {SA_CIPHER_AES_CBC: 16, SA_CIPHER_3DES_CBC: 8, SA_CIPHER_NULL: 4}
_AES_KEYS = (16, 24, 32)

TraceHook = Callable[..., None]


class _SA:
    """An SA record, checked and with its cipher objects built (cached by its bytes)."""

    __slots__ = ("status", "cipher", "auth", "ivlen", "icvlen", "salt", "ckey", "hmac", "gcm")

    def __init__(self) -> None:
        self.status = ST_OK
        self.cipher = 0
        self.auth = 0
        self.ivlen = 0
        self.icvlen = 0
        self.salt = b""
        self.ckey = b""
        self.hmac: Optional[_hmac.HMAC] = None
        self.gcm: Optional[AESGCM] = None


def parse_sa(raw: bytes, caps: int) -> _SA:
    """§4: check an SA record; ``status`` is ST_OK, ST_BAD_ALG or ST_BAD_SA."""
    sa = _SA()
    cipher, auth, ckeylen, akeylen, icvlen, ivlen, flags, salt, _rsvd = SA_HDR.unpack_from(raw, 0)
    sa.cipher, sa.auth, sa.ivlen, sa.icvlen = cipher, auth, ivlen, icvlen
    if cipher and (cipher not in CIPHER_CAP or not caps & CIPHER_CAP[cipher]):
        sa.status = ST_BAD_ALG
        return sa
    if auth and (auth not in AUTH_CAP or not caps & AUTH_CAP[auth]):
        sa.status = ST_BAD_ALG
        return sa
    if cipher == SA_CIPHER_NONE and auth == SA_AUTH_NONE:
        sa.status = ST_BAD_ALG
        return sa
    gcmish = cipher == SA_CIPHER_AES_GCM or auth == SA_AUTH_AES_GMAC
    ok = True
    if flags & ~SA_FLAG_SALT:
        ok = False
    if flags & SA_FLAG_SALT:
        ok = ok and gcmish and ivlen == 8 and bool(caps & CAP_SALT)
        sa.salt = salt
    if cipher == SA_CIPHER_AES_GCM and auth != SA_AUTH_NONE:
        ok = False                                  # GCM authenticates by itself
    if auth == SA_AUTH_AES_GMAC and cipher != SA_CIPHER_NONE:
        ok = False
    # key lengths
    if cipher in (SA_CIPHER_AES_CBC, SA_CIPHER_AES_GCM) or auth == SA_AUTH_AES_GMAC:
        ok = ok and ckeylen in _AES_KEYS
    elif cipher == SA_CIPHER_3DES_CBC:
        ok = ok and ckeylen == 24
    else:
        ok = ok and ckeylen == 0
    hmac_sizes = HMAC_SIZES.get(auth)
    if hmac_sizes is not None:
        ok = ok and 1 <= akeylen <= 128 and 1 <= icvlen <= hmac_sizes[0]
    else:
        ok = ok and akeylen == 0
    # ICV and IV lengths
    if gcmish:
        ok = ok and 4 <= icvlen <= 16 and ivlen == (8 if flags & SA_FLAG_SALT else 12)
    else:
        if hmac_sizes is None:
            ok = ok and icvlen == 0
        if cipher == SA_CIPHER_AES_CBC:
            ok = ok and ivlen == 16
        elif cipher == SA_CIPHER_3DES_CBC:
            ok = ok and ivlen == 8
        else:
            ok = ok and ivlen == 0
    if not ok:
        sa.status = ST_BAD_SA
        return sa
    sa.ckey = bytes(raw[SA_CKEY_OFF:SA_CKEY_OFF + ckeylen])
    if hmac_sizes is not None:
        sa.hmac = _hmac.HMAC(bytes(raw[SA_AKEY_OFF:SA_AKEY_OFF + akeylen]), _HMAC_HASH[auth]())
    if gcmish:
        sa.gcm = AESGCM(sa.ckey)
    return sa


def _opcode_fits(op: int, sa: _SA) -> bool:
    """§5.2: does the SA go with the OPCODE?"""
    if op == OP_CIPHER:
        return sa.cipher in _CBC_BLOCK and sa.auth == SA_AUTH_NONE
    if op == OP_AUTH:
        return sa.cipher == SA_CIPHER_NONE and sa.auth != SA_AUTH_NONE
    if op == OP_CIPHER_AUTH:
        if sa.cipher == SA_CIPHER_AES_GCM:
            return sa.auth == SA_AUTH_NONE
        return sa.cipher in _CBC_BLOCK and sa.auth in HMAC_SIZES
    return False


def _cbc(sa: _SA, data: bytes, iv: bytes, enc: bool) -> bytes:
    if sa.cipher == SA_CIPHER_NULL or not data:
        return data
    alg = algorithms.AES(sa.ckey) if sa.cipher == SA_CIPHER_AES_CBC else TripleDES(sa.ckey)
    c = Cipher(alg, modes.CBC(iv))
    ctx = c.encryptor() if enc else c.decryptor()
    return ctx.update(data) + ctx.finalize()


def _icv(sa: _SA, nonce: bytes, authdata: bytes) -> bytes:
    if sa.auth == SA_AUTH_AES_GMAC:
        return sa.gcm.encrypt(nonce, b"", authdata)[:sa.icvlen]  # type: ignore[union-attr]
    mac = sa.hmac.copy()  # type: ignore[union-attr]
    mac.update(authdata)
    return mac.finalize()[:sa.icvlen]


class KCE(RegisterFile, IntxDevice):
    """The KCE-1 of ``docs/hw/kce.md``.

    Public state besides the registers: ``errors`` (reason -> count),
    ``completed``, ``dma_faults``, ``unimpl_writes``, ``irq_assertions``,
    ``op_ns``/``byte_ns`` (processing time, §6.2) and the ``trace`` hook.
    """

    VENDOR_ID = PCI_VENDOR_KAMEBOX
    DEVICE_ID = PCI_DEVICE_KCE1
    CLASS_CODE = PCI_CLASS_CRYPTO
    REVISION = REVISION
    BAR0_SIZE = BAR0_SIZE

    def __init__(self, name: str = "kce0", caps: int = CAPS_ALL,
                 op_ns: int = DEFAULT_OP_NS, byte_ns: int = DEFAULT_BYTE_NS) -> None:
        super().__init__()
        self.name = name
        self.caps = caps & CAPS_ALL
        self.op_ns = int(op_ns)
        self.byte_ns = int(byte_ns)
        self.trace: Optional[TraceHook] = None
        self.errors: dict[str, int] = dict.fromkeys(ERROR_REASONS, 0)
        self.completed = 0
        self.dma_faults = 0
        self.unimpl_writes = 0
        self.irq_assertions = 0
        self._irq_level = False
        self._busy_ev: Any = None
        self._coal_ev: Any = None
        self._sa_cache: dict[bytes, _SA] = {}
        self.reset()

    # -- §8 reset ---------------------------------------------------------------
    def reset(self) -> None:
        for ev in (self._busy_ev, self._coal_ev):
            if ev is not None:
                Scheduler.cancel(ev)
        self._busy_ev = None          # the descriptor in progress is abandoned
        self._coal_ev = None
        self._job: Optional[tuple] = None
        self._unreported = 0
        self._halted = False
        self.regs: list[int] = list(_RESET_IMAGE)
        self.regs[CAPS >> 2] = self.caps
        self._ring_config()
        if self._irq_level and self.irq is not None:
            self.irq.set(False)
        self._irq_level = False

    # -- register access ----------------------------------------------------------
    # mmio_read / mmio_write and the plain handlers: emu/devices/regfile.py

    # §3.1 CTRL
    def _w_ctrl(self, off: int, val: int) -> None:
        if val & CTRL_RST:
            self.reset()
            return
        self.regs[_CTRL] = val & CTRL_EN
        if val & CTRL_EN:
            self._halted = False
            self._kick()

    # §3.2 STATUS is computed.
    def _r_status(self, off: int) -> int:
        return ((STATUS_RUN if self.regs[_CTRL] & CTRL_EN else 0)
                | (STATUS_BUSY if self._job is not None else 0)
                | (STATUS_HALT if self._halted else 0))

    # §2 ring registers
    def _w_ring(self, off: int, val: int) -> None:
        self.regs[off >> 2] = val & _WMASK[off]
        self._ring_config()

    def _ring_config(self) -> None:
        regs = self.regs
        self._ring_base = regs[RBASE_HI >> 2] << 32 | regs[RBASE_LO >> 2]
        self._ring_size = regs[RSIZE >> 2]

    def _w_rtail(self, off: int, val: int) -> None:
        self.regs[_RTAIL] = val & _WMASK[RTAIL]     # the doorbell (§6.1)
        self._kick()

    # §7.1 interrupt registers
    def _w_isr(self, off: int, val: int) -> None:
        self.regs[_ISR] &= ~val           # write-1-to-clear
        self.update_irq()

    def _w_iset(self, off: int, val: int) -> None:
        self.regs[_ISR] |= val & ISR_ALL
        self.update_irq()

    def _w_ier(self, off: int, val: int) -> None:
        self.regs[_IER] = val & ISR_ALL
        self.update_irq()

    # §2 statistics: read-to-clear, saturating.
    def _r_stat(self, off: int) -> int:
        i = off >> 2
        val = self.regs[i]
        self.regs[i] = 0
        return val if val < _M32 else _M32

    # -- §7 interrupts -----------------------------------------------------------
    def update_irq(self) -> None:
        """Drive the line from ``ISR & IER`` (level-triggered, §7.1)."""
        regs = self.regs
        if self._irq_level_update(regs[_ISR] & regs[_IER]):
            regs[_STAT_INTR] += 1
            self._irq_raise("kce_intr", isr=regs[_ISR])

    def _set_cause(self, cause: int) -> None:
        regs = self.regs
        regs[_ISR] |= cause
        if regs[_IER] & cause:
            self.update_irq()

    def _report_done(self) -> None:
        self._unreported = 0
        if self._coal_ev is not None:
            Scheduler.cancel(self._coal_ev)
            self._coal_ev = None
        self._set_cause(ISR_DONE)

    def _coal_expired(self) -> None:
        """§7.2 TIMER: report what completed since the first unreported completion."""
        self._coal_ev = None
        if self._unreported:
            self._report_done()

    # -- §6 processing --------------------------------------------------------------
    def _kick(self) -> None:
        """Take the next descriptor if enabled, idle and one is pending (§6.2)."""
        regs = self.regs
        if not regs[_CTRL] & CTRL_EN or self._halted or self._job is not None:
            return
        head = regs[_RHEAD]
        tail = regs[_RTAIL]
        if head == tail:
            return
        size = self._ring_size
        if size == 0 or size > RINGMAX or head >= size or tail >= size:
            if self.trace is not None:
                self.trace("kce_bad_ring", dev=self.name, head=head, tail=tail, size=size)
            return
        self._start(head)

    def _start(self, idx: int) -> None:
        mem = self.mem
        ram = mem.ram
        daddr = self._ring_base + idx * DESC_SIZE
        if daddr + DESC_SIZE > mem.size:
            return self._ring_fault(idx, daddr)
        d = DESC.unpack_from(ram, daddr)
        ctl = d[0]
        if not ctl & CTL_OWN:
            # §6.2 step 1: not handed over; stay idle until the next doorbell.
            self.errors[ERR_NOT_OWNED] += 1
            if self.trace is not None:
                self.trace("kce_error", dev=self.name, idx=idx, reason=ERR_NOT_OWNED)
            return None
        status, writes, nbytes, fault = self._process(d)
        delay = self.op_ns + self.byte_ns * nbytes        # §6.2 step 3
        self._job = (idx, daddr, ctl, status, writes, nbytes, fault)
        self._busy_ev = self.sched.call_later(delay, self._complete)
        return None

    def _process(self, d: tuple) -> tuple[int, list, int, int]:
        """Checks and the operation of §5.2: (status, DST writes, bytes, fault address)."""
        (ctl, _st, sa_addr, src, dst, buflen, aad_off, aad_len, ps, pl,
         iv_off, icv_off, _cookie) = d
        op = ctl & CTL_OPCODE_MASK
        if op not in (OP_CIPHER, OP_AUTH, OP_CIPHER_AUTH):
            return ST_BAD_OPCODE, [], 0, 0
        mem = self.mem
        size = mem.size
        ram = mem.ram
        if sa_addr + SA_SIZE > size:
            return ST_DMA_FAULT, [], 0, sa_addr
        raw = ram[sa_addr:sa_addr + SA_SIZE]
        sa = self._sa_cache.get(raw)
        if sa is None:
            sa = parse_sa(raw, self.caps)
            if len(self._sa_cache) >= SA_CACHE_MAX:
                self._sa_cache.clear()
            self._sa_cache[raw] = sa
        if sa.status != ST_OK:
            return sa.status, [], 0, 0
        if not _opcode_fits(op, sa):
            return ST_BAD_OPCODE, [], 0, 0
        # §5.1: every region inside [0, BUFLEN); §5.2: CBC payloads in whole blocks.
        if not 1 <= buflen <= MAXLEN or ps + pl > buflen:
            return ST_BAD_LENGTH, [], 0, 0
        if aad_len and aad_off + aad_len > buflen:
            return ST_BAD_LENGTH, [], 0, 0
        if sa.ivlen and iv_off + sa.ivlen > buflen:
            return ST_BAD_LENGTH, [], 0, 0
        if sa.icvlen and icv_off + sa.icvlen > buflen:
            return ST_BAD_LENGTH, [], 0, 0
        bs = _CBC_BLOCK.get(sa.cipher)
        if bs is not None and op != OP_AUTH and pl % bs:
            return ST_BAD_LENGTH, [], 0, 0
        if src + buflen > size:
            return ST_DMA_FAULT, [], 0, src
        if dst + buflen > size:
            return ST_DMA_FAULT, [], 0, dst
        data = ram[src:src + buflen]
        enc = bool(ctl & CTL_ENC)
        iv = data[iv_off:iv_off + sa.ivlen]
        aad = data[aad_off:aad_off + aad_len] if aad_len else b""
        payload = data[ps:ps + pl]
        nbytes = aad_len + pl
        writes: list[tuple[int, bytes]] = []
        if op == OP_CIPHER:
            writes.append((dst + ps, _cbc(sa, payload, iv, enc)))
        elif op == OP_AUTH:
            icv = _icv(sa, sa.salt + iv, aad + payload)
            if enc:
                writes.append((dst + icv_off, icv))
            elif not compare_digest(icv, data[icv_off:icv_off + sa.icvlen]):
                return ST_AUTH_FAIL, [], nbytes, 0
        elif sa.cipher == SA_CIPHER_AES_GCM:
            nonce = sa.salt + iv
            if enc:
                out = sa.gcm.encrypt(nonce, payload, aad or None)  # type: ignore[union-attr]
                writes.append((dst + ps, out[:pl]))
                writes.append((dst + icv_off, out[pl:pl + sa.icvlen]))
            else:
                dec = Cipher(algorithms.AES(sa.ckey),
                             modes.GCM(nonce, data[icv_off:icv_off + sa.icvlen],
                                       min_tag_length=sa.icvlen)).decryptor()
                if aad:
                    dec.authenticate_additional_data(aad)
                out = dec.update(payload)
                try:
                    dec.finalize()
                except InvalidTag:
                    return ST_AUTH_FAIL, [], nbytes, 0
                writes.append((dst + ps, out))
        else:
            # Encrypt-then-MAC (RFC 4303 3.3.2.1); on decrypt verify first (3.4.4.1).
            if enc:
                ct = _cbc(sa, payload, iv, True)
                writes.append((dst + ps, ct))
                writes.append((dst + icv_off, _icv(sa, b"", aad + ct)))
            else:
                if not compare_digest(_icv(sa, b"", aad + payload),
                                      data[icv_off:icv_off + sa.icvlen]):
                    return ST_AUTH_FAIL, [], nbytes, 0
                writes.append((dst + ps, _cbc(sa, payload, iv, False)))
        return ST_OK, writes, nbytes, 0

    def _complete(self) -> None:
        """End of the processing time: results, write-back, head, counters, ISR (§6.2)."""
        self._busy_ev = None
        job = self._job
        self._job = None
        if job is None:
            return
        idx, daddr, ctl, status, writes, nbytes, fault = job
        mem = self.mem
        ram = mem.ram
        if daddr + DESC_SIZE > mem.size:
            return self._ring_fault(idx, daddr)
        regs = self.regs
        if status == ST_OK:
            for addr, data in writes:
                ram[addr:addr + len(data)] = data
            regs[_STAT_OPS] += 1
            regs[_STAT_BYTES] += nbytes
        ram[daddr + 4:daddr + 8] = status.to_bytes(4, "little")   # STATUS, then CTL (§6.2 4)
        ram[daddr:daddr + 4] = ((ctl & ~CTL_OWN) | CTL_DONE).to_bytes(4, "little")
        self.completed += 1
        size = self._ring_size
        head = idx + 1
        if head >= size:
            head = 0
        regs[_RHEAD] = head
        cause = 0
        if status != ST_OK:
            reason = _STATUS_REASON[status]
            self.errors[reason] += 1
            regs[ERRDESC >> 2] = idx | status << 16
            if status == ST_AUTH_FAIL:
                regs[_STAT_AUTHFAIL] += 1
            elif status == ST_DMA_FAULT:
                regs[_STAT_DMAERR] += 1
                self.dma_faults += 1
                regs[ERRADDR_LO >> 2] = fault & _M32
                regs[ERRADDR_HI >> 2] = fault >> 32 & _M32
            else:
                regs[_STAT_BADDESC] += 1
            if self.trace is not None:
                if status == ST_DMA_FAULT:
                    self.trace("kce_error", dev=self.name, idx=idx, reason=reason, addr=fault)
                else:
                    self.trace("kce_error", dev=self.name, idx=idx, reason=reason)
            cause = ISR_ERR
        if self.trace is not None:
            self.trace("kce_done", dev=self.name, idx=idx, status=status,
                       op=ctl & CTL_OPCODE_MASK, enc=bool(ctl & CTL_ENC), len=nbytes)
        # §7.2 coalescing
        self._unreported += 1
        icoal = regs[ICOAL >> 2]
        count = icoal & ICOAL_COUNT_MASK or 1
        if self._unreported >= count or head == regs[_RTAIL]:
            self._unreported = 0
            if self._coal_ev is not None:
                Scheduler.cancel(self._coal_ev)
                self._coal_ev = None
            cause |= ISR_DONE
        else:
            timer = icoal >> ICOAL_TIMER_SHIFT
            if timer and self._coal_ev is None:
                self._coal_ev = self.sched.call_later(timer * ICOAL_UNIT_NS, self._coal_expired)
        self._set_cause(cause)
        self._kick()
        return None

    def _ring_fault(self, idx: int, addr: int) -> None:
        """§6.4: halt, EN reads 0, HALT in ISR, RHEAD stays."""
        regs = self.regs
        self._halted = True
        regs[_CTRL] &= ~CTRL_EN
        regs[ERRADDR_LO >> 2] = addr & _M32
        regs[ERRADDR_HI >> 2] = addr >> 32 & _M32
        regs[_STAT_DMAERR] += 1
        self.dma_faults += 1
        self.errors[ERR_RING] += 1
        if self.trace is not None:
            self.trace("kce_halt", dev=self.name, idx=idx, addr=addr)
        self._set_cause(ISR_HALT)


# -- the op tables --------------------------------------------------------------------
_READ_OPS, _WRITE_OPS = KCE.op_tables(REGISTERS)
_READ_OPS.update({STATUS: KCE._r_status, ISET: KCE._r_zero})
_WRITE_OPS.update({
    CTRL: KCE._w_ctrl, STATUS: KCE._w_ignore, RBASE_LO: KCE._w_ring, RBASE_HI: KCE._w_ring,
    RSIZE: KCE._w_ring, RTAIL: KCE._w_rtail, ISR: KCE._w_isr, ISET: KCE._w_iset,
    IER: KCE._w_ier, ERRADDR_LO: KCE._w_ignore, ERRADDR_HI: KCE._w_ignore,
    ERRDESC: KCE._w_ignore,
})
for _off in (0x000, 0x004, 0x008, 0x00C):      # ID, VERSION, CAPS, LIMITS: read-only
    _WRITE_OPS[_off] = KCE._w_ignore
for _off in STAT_REGS:
    _READ_OPS[_off] = KCE._r_stat
    _WRITE_OPS[_off] = KCE._w_ignore
