"""Faults for the KCE-1 crypto engine, between its driver and the model (cf. emu/faults.py).

:class:`KceFaultInjector` is a :class:`emu.faults.FaultInjector` — lost
interrupts, held and dropped register writes (a lost RTAIL doorbell) work as
for the NICs — with the faults of a look-aside engine added:

* **corrupted descriptors** — at the next RTAIL doorbell, the first descriptor
  it hands over gets an address outside guest memory in its SRC, DST or SA
  field (docs/hw/kce.md §6.3: the descriptor completes with DMA_FAULT);
* **ring faults** — the ring base register takes an address outside memory, as
  a flipped bit would: the next descriptor fetch halts the engine (§6.4);
* **a stalled engine** — for a while every descriptor the engine takes needs
  a very long processing time, as a wedged engine would: the driver's
  watchdog has to notice.

Hardware-side test tooling: it knows the machine and the device, never the
driver.  Build it before the kernel boots (see emu/faults.py).  Register and
descriptor offsets are transcribed from docs/hw/kce.md.
"""
from __future__ import annotations

import struct
from typing import Any

from emu.faults import FaultInjector
from emu.machine import Machine

# docs/hw/kce.md §2 and §5.1
KCE_RBASE_LO, KCE_RBASE_HI, KCE_RTAIL = 0x020, 0x024, 0x030
KCE_DESC_SIZE = 64
KCE_DESC_FIELDS = {"sa": 0x08, "src": 0x10, "dst": 0x18}

_addr = struct.Struct("<Q")


class KceFaultInjector(FaultInjector):
    """Faults for one KCE-1; see the module docstring."""

    def __init__(self, machine: Machine, device: Any) -> None:
        super().__init__(machine, device)
        self.counts.update({"desc_corrupted": 0, "ring_faults": 0, "engine_stalls": 0})
        self._corrupt_next: list[str] = []
        self._stall_until = 0
        self._op_ns = device.op_ns

    def corrupt_next_descriptor(self, field: str = "src", n: int = 1) -> None:
        """At each of the next ``n`` doorbells, the first new descriptor's ``field``
        (``"src"``, ``"dst"`` or ``"sa"``) points outside memory."""
        if field not in KCE_DESC_FIELDS:
            raise ValueError(f"field is one of {', '.join(KCE_DESC_FIELDS)}, not {field!r}")
        self._corrupt_next.extend([field] * n)

    def _interpose_write(self, off: int, value: int) -> None:
        if self._corrupt_next and off == KCE_RTAIL:
            field = self._corrupt_next.pop(0)
            base = self._reg(KCE_RBASE_HI) << 32 | self._reg(KCE_RBASE_LO)
            desc = base + KCE_DESC_SIZE * self._reg(KCE_RTAIL)     # the old tail
            mem = self.machine.mem
            if 0 <= desc and desc + KCE_DESC_SIZE <= mem.size:
                _addr.pack_into(mem.ram, desc + KCE_DESC_FIELDS[field], self.bad_address)
                self.counts["desc_corrupted"] += 1
        super()._interpose_write(off, value)

    def corrupt_ring_base(self) -> int:
        """RBASE now points outside memory: the next descriptor fetch is a ring fault."""
        bad = self.bad_address
        self._mmio_write(KCE_RBASE_LO, bad & 0xFFFF_FFFF)
        self._mmio_write(KCE_RBASE_HI, bad >> 32)
        self.counts["ring_faults"] += 1
        return bad

    def stall_engine(self, duration_ns: int, processing_ns: int = 60_000_000_000) -> None:
        """For ``duration_ns``, descriptors the engine takes need ``processing_ns`` each."""
        dev: Any = self.device
        self.counts["engine_stalls"] += 1
        if not self._stall_until:
            self._op_ns = dev.op_ns
        dev.op_ns = int(processing_ns)
        self._stall_until = max(self._stall_until, self.sched.now + int(duration_ns))
        self.sched.call_at(self._stall_until, self._unstall)

    def _unstall(self) -> None:
        if not self._stall_until or self.sched.now < self._stall_until:
            return
        self._stall_until = 0
        self.device.op_ns = self._op_ns  # type: ignore[attr-defined]

    def disarm(self) -> None:
        self._corrupt_next.clear()
        if self._stall_until:
            self._stall_until = self.sched.now
            self._unstall()
        super().disarm()
