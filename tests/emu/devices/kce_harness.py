"""A test harness that acts as the kce driver: registers, SA records and descriptors by hand.

The offsets and layouts here are transcribed from ``docs/hw/kce.md`` on purpose
(not imported from ``emu.devices.kce_regs``), so the tests check the model
against the datasheet, not against itself.
"""
from __future__ import annotations

import struct
from typing import Any, Optional

from emu.devices.kce import KCE
from emu.machine import Machine
from emu.sched import Scheduler

# §2 register map
ID, VERSION, CAPS, LIMITS, CTRL, STATUS = 0x000, 0x004, 0x008, 0x00C, 0x010, 0x014
RBASE_LO, RBASE_HI, RSIZE, RHEAD, RTAIL = 0x020, 0x024, 0x028, 0x02C, 0x030
ISR, IER, ISET, ICOAL = 0x040, 0x044, 0x048, 0x04C
ERRADDR_LO, ERRADDR_HI, ERRDESC = 0x060, 0x064, 0x068
STAT_OPS, STAT_BYTES, STAT_AUTHFAIL, STAT_BADDESC, STAT_DMAERR, STAT_INTR = (
    0x080, 0x084, 0x088, 0x08C, 0x090, 0x094)
# §3
CTRL_EN, CTRL_RST = 1 << 0, 1 << 1
STATUS_RUN, STATUS_BUSY, STATUS_HALT = 1 << 0, 1 << 1, 1 << 2
# §3.3
CAP_NULL, CAP_AES_CBC, CAP_3DES_CBC, CAP_AES_GCM = 1 << 0, 1 << 1, 1 << 2, 1 << 3
CAP_HMAC_SHA1, CAP_HMAC_SHA256, CAP_HMAC_SHA384, CAP_HMAC_SHA512 = 1 << 8, 1 << 9, 1 << 10, 1 << 11
CAP_AES_GMAC, CAP_SALT = 1 << 12, 1 << 16
# §4 SA record
C_NONE, C_NULL, C_AES_CBC, C_3DES_CBC, C_AES_GCM = 0, 1, 2, 3, 4
A_NONE, A_SHA1, A_SHA256, A_SHA384, A_SHA512, A_GMAC = 0, 1, 2, 3, 4, 5
SA_SALT = 1 << 0
SA_HDR = struct.Struct("<BBBBBBH4sI")
# §5 descriptor
DESC = struct.Struct("<IIQQQIIIIIIII")
ENC, DONE, OWN = 1 << 8, 1 << 30, 1 << 31
OP_CIPHER, OP_AUTH, OP_CIPHER_AUTH = 1, 2, 3
OK, AUTH_FAIL, BAD_OPCODE, BAD_ALG, BAD_SA, BAD_LENGTH, DMA_FAULT = range(7)
# §7
I_DONE, I_ERR, I_HALT = 1 << 0, 1 << 1, 1 << 2


class Card:
    """One machine with one KCE-1, driven by hand."""

    def __init__(self, ndesc: int = 16, mem_size: int = 1 << 20, **kw: Any) -> None:
        self.sched = Scheduler(1)
        self.machine = Machine(self.sched, "h", mem_size)
        self.dev = KCE(**kw)
        self.machine.plug(self.dev)
        self.mem = self.machine.mem
        self.ram = self.mem.ram
        self.events: list[tuple[str, dict]] = []
        self.dev.trace = lambda ev, **f: self.events.append((ev, f))
        self.ndesc = ndesc
        self.ring = self.mem.alloc(ndesc * 64, 64)
        self.tail = 0

    # registers
    def r(self, off: int) -> int:
        return self.dev.mmio_read(off)

    def w(self, off: int, val: int) -> None:
        self.dev.mmio_write(off, val)

    def start(self, ier: int = I_DONE | I_ERR | I_HALT, icoal: int = 0) -> None:
        """§6.1: program an empty ring, interrupts and coalescing, enable."""
        self.w(RBASE_LO, self.ring & 0xFFFF_FFFF)
        self.w(RBASE_HI, self.ring >> 32)
        self.w(RSIZE, self.ndesc)
        self.w(RHEAD, 0)
        self.w(RTAIL, 0)
        self.w(ICOAL, icoal)
        self.w(IER, ier)
        self.w(CTRL, CTRL_EN)
        self.tail = 0

    # memory
    def put(self, data: bytes, room: int = 0, align: int = 16) -> int:
        addr = self.mem.alloc(max(1, len(data) + room), align)
        self.ram[addr:addr + len(data)] = data
        return addr

    def read(self, addr: int, n: int) -> bytes:
        return bytes(self.ram[addr:addr + n])

    def sa(self, cipher: int = C_NONE, auth: int = A_NONE, ckey: bytes = b"", akey: bytes = b"",
           icvlen: int = 0, ivlen: int = 0, flags: int = 0, salt: bytes = b"\0\0\0\0",
           ckeylen: Optional[int] = None, akeylen: Optional[int] = None) -> int:
        """§4: an SA record in host memory; returns its address."""
        rec = bytearray(0xB0)
        SA_HDR.pack_into(rec, 0, cipher, auth, len(ckey) if ckeylen is None else ckeylen,
                         len(akey) if akeylen is None else akeylen, icvlen, ivlen, flags, salt, 0)
        rec[0x10:0x10 + len(ckey)] = ckey
        rec[0x30:0x30 + len(akey)] = akey
        return self.put(bytes(rec))

    # descriptors
    def desc_addr(self, idx: int) -> int:
        return self.ring + 64 * idx

    def post(self, op: int, enc: bool, sa: int, src: int, buflen: int, dst: Optional[int] = None,
             aad: tuple[int, int] = (0, 0), payload: tuple[int, int] = (0, 0), iv_off: int = 0,
             icv_off: int = 0, cookie: int = 0, own: bool = True) -> int:
        """§5.1/§6.1: fill the descriptor at the tail and advance it (no doorbell)."""
        idx = self.tail
        ctl = op | (ENC if enc else 0) | (OWN if own else 0)
        DESC.pack_into(self.ram, self.desc_addr(idx), ctl, 0, sa, src,
                       src if dst is None else dst, buflen, aad[0], aad[1], payload[0],
                       payload[1], iv_off, icv_off, cookie)
        self.tail = (idx + 1) % self.ndesc
        return idx

    def doorbell(self) -> None:
        self.w(RTAIL, self.tail)

    def desc(self, idx: int) -> tuple:
        return DESC.unpack_from(self.ram, self.desc_addr(idx))

    def ctl(self, idx: int) -> int:
        return self.desc(idx)[0]

    def status(self, idx: int) -> int:
        return self.desc(idx)[1]

    def done(self, idx: int) -> bool:
        return bool(self.ctl(idx) & DONE)

    def run(self, ns: int) -> None:
        self.sched.run_for(ns)

    def run_idle(self) -> None:
        self.sched.run_until_idle()

    def trace(self, name: str) -> list[dict]:
        return [f for ev, f in self.events if ev == name]
