"""A fault injector between a driver and its device (smoltcp's phy/fault_injector.rs, for a bus).

Hardware-side test tooling: it knows the machine and one device model, never
the driver.  It injects the faults a driver must survive:

* **lost interrupts** — the next *n* deliveries of the device's line, every
  delivery for a while, or each delivery with probability *p* (drawn from the
  lab RNG, so runs repeat) are dropped through
  :attr:`emu.machine.Machine.intr_filter`;
* **DMA faults** — an out-of-memory buffer address written into the RX
  descriptor the device will fill next (em: at RDH; re: at its ring position
  ``rx_cur``), or into the TX descriptor the device will fetch next (em: at
  TDH, just before the next TDT doorbell reaches the device; re: at
  ``tx_cur``, just before the next TxPoll.NPQ write);
* **ring exhaustion** — the driver's hand-over of RX descriptors *held* for a
  while: em: its writes to RDT are held, the device keeps the old tail; re
  (no tail register, docs/hw/re.md §4.3): descriptors it sets OWN on during
  the hold stay invisible to the NIC (through the model's ``rx_own_filter``),
  which uses up the ones it owned when the hold began.  Either way the
  device runs out of descriptors and drops (em: MPC/RNBC; re: MPC, RDU);
* **lost register writes** — the next *n* writes to a register (e.g. em's
  TDT, re's TxPoll) never reach the device: a transmit hang;
* **corrupted descriptors** — besides the bad buffer address, re's next RX
  descriptor can lose its buffer size (docs/hw/re.md §4.1);
* **link flaps** — carrier off now, back on after a delay: through the wire
  port when it can drop carrier, else through the device's ``link_changed``.

The device family is told by its PCI vendor id: Intel (em, docs/hw/em.md) or
RealTek (re, docs/hw/re.md); their registers and descriptor layouts are below.

Register faults need the injector between the driver's ``bus_space`` handle
and the device.  The machine's :class:`~emu.machine.BusSpace` binds the
device's ``mmio_write`` (and re's ``mmio_write_1``/``mmio_write_2``) when the
kernel autoconfigures, so the injector replaces those methods on the device
*instance* when it is constructed:
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

# The RTL8169 family (docs/hw/re.md §1, §2, §3.2, §4).
PCI_VENDOR_REALTEK = 0x10EC
RE_TNPDS_LO, RE_TNPDS_HI, RE_TXPOLL = 0x20, 0x24, 0x38
RE_RDSAR_LO, RE_RDSAR_HI = 0xE4, 0xE8
RE_TXPOLL_NPQ = 1 << 6
RE_OWN, RE_EOR, RE_RX_BUFSIZE = 1 << 31, 1 << 30, 0x3FFF
RE_BUFADDR_OFF = 8          # the buffer address is bytes 8..15 of a descriptor
RE_RING_MAX = 1024

_addr = struct.Struct("<Q")
_u32 = struct.Struct("<I")


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
            "writes_held": 0, "writes_dropped": 0, "link_flaps": 0, "rx_own_held": 0,
        }
        self.is_re = device.config_read(0x00, 2) == PCI_VENDOR_REALTEK
        self._lose_next = 0
        self._lose_p = 0.0
        self._lose_until = 0
        self._corrupt_tx_armed = 0
        self._hold: dict[int, list] = {}         # offset -> [until_ns, last value or None, size]
        self._drop: dict[int, int] = {}          # offset -> writes still to drop
        self._own_hold_until = 0                 # re: descriptor hand-over held until then
        self._own_prev: Optional[Callable[[int], bool]] = None
        self._prev_filter: Optional[Callable[[IrqLine], bool]] = machine.intr_filter
        machine.intr_filter = self._intr_filter
        self._mmio_write = device.mmio_write     # the device's own (bound) method
        self._writers: dict[int, Callable[[int, int], None]] = {4: self._mmio_write}
        device.mmio_write = self._interpose_write  # type: ignore[method-assign]
        for size in (1, 2):                      # re: byte and word registers (§2.1)
            own = getattr(device, f"mmio_write_{size}", None)
            if own is not None:
                self._writers[size] = own
                setattr(device, f"mmio_write_{size}",
                        lambda off, value, size=size: self._interpose(size, off, value))

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
        self._hold[offset] = [until, None, 4]
        self.sched.call_at(until, self._release, offset)

    def hold_rx_tail(self, duration_ns: int) -> None:
        """RX ring exhaustion: the driver's returns of RX descriptors reach the
        device only at the end (em: RDT writes held; re: :meth:`hold_rx_own`)."""
        if self.is_re:
            self.hold_rx_own(duration_ns)
        else:
            self.hold_writes(RDT, duration_ns)

    def hold_rx_own(self, duration_ns: int) -> None:
        """re: for ``duration_ns`` the NIC sees only the RX descriptors it owned
        when the hold began; OWN bits the driver sets meanwhile reach it at the end."""
        if not self.is_re:
            raise ValueError("hold_rx_own is for devices with OWN-bit rings (re)")
        dev: Any = self.device
        if self._own_hold_until:
            self._own_hold_until = max(self._own_hold_until, self.sched.now + int(duration_ns))
        else:
            budget = self._owned_run()
            start = dev.rx_desc_taken
            prev = dev.rx_own_filter
            self._own_prev = prev

            def visible(ahead: int) -> bool:
                if dev.rx_desc_taken - start + ahead < budget:
                    return True if prev is None else prev(ahead)
                self.counts["rx_own_held"] += 1
                return False

            dev.rx_own_filter = visible
            self._own_hold_until = self.sched.now + int(duration_ns)
        self.sched.call_at(self._own_hold_until, self._release_own)

    def _owned_run(self) -> int:
        """How many RX descriptors, from the NIC's position on, have OWN set."""
        dev: Any = self.device
        base = self._reg(RE_RDSAR_HI) << 32 | self._reg(RE_RDSAR_LO)
        mem = self.machine.mem
        start = idx = dev.rx_cur
        n = 0
        while n < RE_RING_MAX:
            d = base + 16 * idx
            if not 0 <= d <= mem.size - 16:
                break
            opts1 = _u32.unpack_from(mem.ram, d)[0]
            if not opts1 & RE_OWN:
                break
            n += 1
            idx = 0 if opts1 & RE_EOR or idx + 1 >= RE_RING_MAX else idx + 1
            if idx == start:
                break                            # the whole ring is the NIC's
        return n

    def _release_own(self) -> None:
        if not self._own_hold_until or self.sched.now < self._own_hold_until:
            return
        self._own_hold_until = 0
        dev: Any = self.device
        dev.rx_own_filter = self._own_prev
        self._own_prev = None

    def drop_writes(self, offset: int, n: int = 1) -> None:
        """The next ``n`` writes to ``offset`` are lost on the way to the device."""
        self._drop[offset] = self._drop.get(offset, 0) + n

    def _release(self, offset: int) -> None:
        held = self._hold.get(offset)
        if held is None or self.sched.now < held[0]:
            return
        del self._hold[offset]
        if held[1] is not None:
            self._writers[held[2]](offset, held[1])

    def _interpose_write(self, off: int, value: int) -> None:
        """The 32-bit write path (the only one of em)."""
        if self._drop or self._hold or self._corrupt_tx_armed:
            self._interpose(4, off, value)
        else:
            self._mmio_write(off, value)

    def _interpose(self, size: int, off: int, value: int) -> None:
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
                held[2] = size
                self.counts["writes_held"] += 1
                return
            if self._corrupt_tx_armed and self._is_tx_doorbell(off, value):
                self._corrupt_tx_armed -= 1
                if self.is_re:
                    self._corrupt_re_desc(RE_TNPDS_LO, RE_TNPDS_HI, "tx_cur")
                else:
                    self._corrupt_desc(TDBAL, TDBAH, TDH)
                self.counts["tx_desc_corrupted"] += 1
        self._writers[size](off, value)

    def _is_tx_doorbell(self, off: int, value: int) -> bool:
        if self.is_re:                           # TxPoll is byte 0 of its dword (§2.1)
            return off == RE_TXPOLL and bool(value & RE_TXPOLL_NPQ)
        return off == TDT

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

    def _re_desc(self, lo: int, hi: int, cur: str) -> int:
        """The address of re's descriptor at the NIC's ring position ``cur``."""
        base = self._reg(hi) << 32 | self._reg(lo)
        return base + 16 * getattr(self.device, cur)

    def _corrupt_re_desc(self, lo: int, hi: int, cur: str) -> int:
        desc = self._re_desc(lo, hi, cur)
        mem = self.machine.mem
        if 0 <= desc and desc + 16 <= mem.size:
            _addr.pack_into(mem.ram, desc + RE_BUFADDR_OFF, self.bad_address)
        return desc

    def corrupt_rx_descriptor(self) -> int:
        """The RX descriptor the device fills next (em: at RDH; re: at rx_cur)
        points outside memory."""
        self.counts["rx_desc_corrupted"] += 1
        if self.is_re:
            return self._corrupt_re_desc(RE_RDSAR_LO, RE_RDSAR_HI, "rx_cur")
        return self._corrupt_desc(RDBAL, RDBAH, RDH)

    def corrupt_rx_descriptor_length(self) -> int:
        """re: the RX descriptor at rx_cur loses its buffer size (docs/hw/re.md §4.1)."""
        if not self.is_re:
            raise ValueError("em's RX descriptors carry no buffer size (RCTL.BSIZE does)")
        self.counts["rx_desc_corrupted"] += 1
        desc = self._re_desc(RE_RDSAR_LO, RE_RDSAR_HI, "rx_cur")
        mem = self.machine.mem
        if 0 <= desc and desc + 16 <= mem.size:
            opts1 = _u32.unpack_from(mem.ram, desc)[0]
            _u32.pack_into(mem.ram, desc, opts1 & ~RE_RX_BUFSIZE)
        return desc

    def corrupt_next_tx_descriptor(self, n: int = 1) -> None:
        """At the next TX doorbell (em: TDT write; re: TxPoll.NPQ), the descriptor
        the device fetches first (em: at TDH; re: at tx_cur) points outside memory."""
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
        if self._own_hold_until:
            self._own_hold_until = self.sched.now
            self._release_own()
