"""A fault injector between a driver and its device (smoltcp's phy/fault_injector.rs, for a bus).

Hardware-side test tooling: it knows the machine and one device model, never
the driver.  It injects the faults a driver must survive:

* **lost interrupts** — the next *n* deliveries of the device's line, every
  delivery for a while, or each delivery with probability *p* (drawn from the
  lab RNG, so runs repeat) are dropped through
  :attr:`emu.machine.Machine.intr_filter`;
* **DMA faults** — an out-of-memory buffer address written into the RX
  descriptor at RDH (the next the device will fill), or into the TX
  descriptor at TDH just before the next TDT doorbell reaches the device;
* **ring exhaustion** — writes of the driver to a register (RDT) *held* for a
  while: the device keeps the old tail, runs out of descriptors and drops
  (MPC/RNBC); at the end the last held value is written through;
* **lost register writes** — the next *n* writes to a register (e.g. TDT)
  never reach the device: a transmit hang;
* **link flaps** — carrier off now, back on after a delay: through the wire
  port when it can drop carrier, else through the device's ``link_changed``.

Register faults need the injector between the driver's ``bus_space`` handle
and the device.  The machine's :class:`~emu.machine.BusSpace` binds the
device's ``mmio_write`` when the kernel autoconfigures, so the injector
replaces that method on the device *instance* when it is constructed:
**construct it before the kernel boots**.  It cannot see bus-space handles,
so it refuses (``RuntimeError``) once an interrupt handler is established on
the device's line — the sign that a driver has attached.  The interposer
costs one extra call per register write, plus three truth tests when no
register fault is armed.

Every injected fault is counted in :attr:`FaultInjector.counts`.
"""
from __future__ import annotations

import struct
from typing import Any, Callable, Optional

from emu.bus import IrqLine, PciDevice
from emu.machine import Machine

# Register offsets of the 8254x family that the injector needs (docs/hw/em.md §2).
RDBAL, RDBAH, RDH, RDT = 0x2800, 0x2804, 0x2810, 0x2818
TDBAL, TDBAH, TDH, TDT = 0x3800, 0x3804, 0x3810, 0x3818

_addr = struct.Struct("<Q")


class FaultInjector:
    """Faults for one device of one machine; see the module docstring."""

    def __init__(self, machine: Machine, device: PciDevice) -> None:
        if device.irq is None:
            raise ValueError("plug the device into the machine before building its injector")
        if machine._handlers.get(device.irq.number):
            raise RuntimeError("FaultInjector must be built before the kernel boots: the "
                               "driver's bus_space handle already bound the device registers")
        self.machine = machine
        self.device = device
        self.sched = machine.sched
        self.rng = machine.sched.rng
        self.counts: dict[str, int] = {
            "interrupts_lost": 0, "rx_desc_corrupted": 0, "tx_desc_corrupted": 0,
            "writes_held": 0, "writes_dropped": 0, "link_flaps": 0,
        }
        self._lose_next = 0
        self._lose_p = 0.0
        self._lose_until = 0
        self._corrupt_tx_armed = 0
        self._hold: dict[int, list] = {}         # offset -> [until_ns, last value or None]
        self._drop: dict[int, int] = {}          # offset -> writes still to drop
        self._prev_filter: Optional[Callable[[IrqLine], bool]] = machine.intr_filter
        machine.intr_filter = self._intr_filter
        self._mmio_write = device.mmio_write     # the device's own (bound) method
        device.mmio_write = self._interpose_write  # type: ignore[method-assign]

    # -- the bad address -------------------------------------------------------
    @property
    def bad_address(self) -> int:
        """A physical address beyond guest memory: any DMA there is a master abort."""
        return self.machine.mem.size + 0x1000

    # -- interrupts ----------------------------------------------------------------
    def lose_interrupts(self, n: int = 1) -> None:
        """Lose the next ``n`` deliveries of the device's interrupt line."""
        self._lose_next += n

    def lose_interrupts_for(self, duration_ns: int) -> None:
        """Lose every delivery of the device's line during the next ``duration_ns``."""
        self._lose_until = max(self._lose_until, self.sched.now + int(duration_ns))

    def lose_interrupts_with_probability(self, p: float) -> None:
        """Lose each delivery with probability ``p`` (0 turns it off)."""
        self._lose_p = float(p)

    def _intr_filter(self, line: IrqLine) -> bool:
        if line is self.device.irq:
            if self._lose_next:
                self._lose_next -= 1
                self.counts["interrupts_lost"] += 1
                return False
            if self.sched.now < self._lose_until:
                self.counts["interrupts_lost"] += 1
                return False
            if self._lose_p and self.rng.random() < self._lose_p:
                self.counts["interrupts_lost"] += 1
                return False
        prev = self._prev_filter
        return True if prev is None else prev(line)

    # -- register writes -------------------------------------------------------------
    def hold_writes(self, offset: int, duration_ns: int) -> None:
        """Keep writes to ``offset`` from the device for ``duration_ns``; then write the last."""
        until = self.sched.now + int(duration_ns)
        self._hold[offset] = [until, None]
        self.sched.call_at(until, self._release, offset)

    def hold_rx_tail(self, duration_ns: int) -> None:
        """RX ring exhaustion: the driver's RDT updates reach the device only at the end."""
        self.hold_writes(RDT, duration_ns)

    def drop_writes(self, offset: int, n: int = 1) -> None:
        """The next ``n`` writes to ``offset`` are lost on the way to the device."""
        self._drop[offset] = self._drop.get(offset, 0) + n

    def _release(self, offset: int) -> None:
        held = self._hold.get(offset)
        if held is None or self.sched.now < held[0]:
            return
        del self._hold[offset]
        if held[1] is not None:
            self._mmio_write(offset, held[1])

    def _interpose_write(self, off: int, value: int) -> None:
        if self._drop or self._hold or self._corrupt_tx_armed:
            if self._drop.get(off):
                self._drop[off] -= 1
                if not self._drop[off]:
                    del self._drop[off]
                self.counts["writes_dropped"] += 1
                return
            held = self._hold.get(off)
            if held is not None:
                held[1] = value
                self.counts["writes_held"] += 1
                return
            if off == TDT and self._corrupt_tx_armed:
                self._corrupt_tx_armed -= 1
                self._corrupt_desc(TDBAL, TDBAH, TDH)
                self.counts["tx_desc_corrupted"] += 1
        self._mmio_write(off, value)

    # -- descriptors (DMA faults) ------------------------------------------------------
    def _reg(self, off: int) -> int:
        return self.device.mmio_read(off)

    def _corrupt_desc(self, bal: int, bah: int, head: int) -> int:
        """Write the bad address into the buffer-address field of the descriptor at ``head``."""
        base = self._reg(bah) << 32 | self._reg(bal)
        desc = base + 16 * self._reg(head)
        mem = self.machine.mem
        if 0 <= desc and desc + 8 <= mem.size:
            _addr.pack_into(mem.ram, desc, self.bad_address)
        return desc

    def corrupt_rx_descriptor(self) -> int:
        """The RX descriptor at RDH (the next the device fills) points outside memory."""
        self.counts["rx_desc_corrupted"] += 1
        return self._corrupt_desc(RDBAL, RDBAH, RDH)

    def corrupt_next_tx_descriptor(self, n: int = 1) -> None:
        """At the next TDT doorbell, the descriptor at TDH points outside memory."""
        self._corrupt_tx_armed += n

    # -- link ---------------------------------------------------------------------------
    def _set_carrier(self, up: bool) -> None:
        dev: Any = self.device
        port = getattr(dev, "port", None)
        setter = getattr(port, "set_link", None) if port is not None else None
        if callable(setter):
            setter(up)
        else:
            dev.link_changed(up)

    def link_down(self) -> None:
        self._set_carrier(False)

    def link_up(self) -> None:
        self._set_carrier(True)

    def link_flap(self, down_ns: int, at_ns: Optional[int] = None) -> None:
        """Carrier off at ``at_ns`` (default: now), back on ``down_ns`` later."""
        start = self.sched.now if at_ns is None else int(at_ns)

        def down() -> None:
            self.counts["link_flaps"] += 1
            self._set_carrier(False)

        if start <= self.sched.now:
            down()
        else:
            self.sched.call_at(start, down)
        self.sched.call_at(start + int(down_ns), self._set_carrier, True)

    # -- removal ------------------------------------------------------------------------
    def disarm(self) -> None:
        """Stop injecting: no more losses, held writes released, nothing dropped."""
        self._lose_next = 0
        self._lose_p = 0.0
        self._lose_until = 0
        self._corrupt_tx_armed = 0
        self._drop.clear()
        for off, held in list(self._hold.items()):
            held[0] = self.sched.now
            self._release(off)
