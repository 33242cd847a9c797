"""A device's 32-bit register file behind a memory BAR, dispatched by offset.

The em (82540EM) and KCE-1 models keep their registers the same way: a list
``regs`` indexed by ``offset >> 2`` holding the reset image, a write mask per
register, and two tables from offset to handler (the pattern of QEMU's e1000
``macreg_readops``/``macreg_writeops``) that a model fills with its special
registers after :meth:`RegisterFile.op_tables` has made every documented
register a plain one.  Offsets no table knows read 0 and writes to them are
ignored and counted (``unimpl_writes``) — §1 of both datasheets
(docs/hw/em.md, docs/hw/kce.md).  The re model has byte and word access and
keeps its own.
"""
from __future__ import annotations

from typing import Any, Callable, ClassVar, Iterable

_M32 = 0xFFFF_FFFF


class RegisterFile:
    """Mixin for a PCI device model with a 32-bit register BAR."""

    READ_OPS: ClassVar[dict[int, Callable[[Any, int], int]]] = {}
    WRITE_OPS: ClassVar[dict[int, Callable[[Any, int, int], None]]] = {}
    WMASK: ClassVar[dict[int, int]] = {}
    regs: list[int]
    unimpl_writes: int

    @classmethod
    def op_tables(cls, registers: Iterable[Any]) -> tuple[dict, dict]:
        """The model's read and write tables with every register of ``registers``
        (each with ``offset`` and ``wmask``) plain; the model adds its own."""
        regs = list(registers)
        cls.READ_OPS = {r.offset: RegisterFile._r_reg for r in regs}
        cls.WRITE_OPS = {r.offset: RegisterFile._w_reg for r in regs}
        cls.WMASK = {r.offset: r.wmask for r in regs}
        return cls.READ_OPS, cls.WRITE_OPS

    def mmio_read(self, off: int) -> int:
        op = self.READ_OPS.get(off)
        if op is None:
            return 0                     # §1: unimplemented offsets read 0
        return op(self, off)

    def mmio_write(self, off: int, value: int) -> None:
        op = self.WRITE_OPS.get(off)
        if op is None:
            self.unimpl_writes += 1      # §1: ignored, counted
            return
        op(self, off, value & _M32)

    def _r_reg(self, off: int) -> int:
        return self.regs[off >> 2]

    def _r_zero(self, off: int) -> int:
        return 0

    def _w_reg(self, off: int, val: int) -> None:
        self.regs[off >> 2] = val & self.WMASK[off]

    def _w_ignore(self, off: int, val: int) -> None:
        pass
