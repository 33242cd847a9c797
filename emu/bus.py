"""A PCI-like bus: slots, configuration space, BAR0 MMIO windows, interrupt lines.

Mirrors what the BSD ``pci(4)`` bus gives a driver, from the hardware side:

* each slot holds a :class:`PciDevice` with a 256-byte configuration space
  (vendor id at 0x00, device id at 0x02, command at 0x04, revision/class at
  0x08, BAR0 at 0x10, interrupt line/pin at 0x3c/0x3d);
* at enumeration the bus assigns each BAR0 a window in the MMIO hole, and
  32-bit reads/writes there are dispatched to the device's register file;
* each device drives an :class:`IrqLine`; the machine runs the handler the
  kernel established on that line as an event, in interrupt context.

A bus mastering device does DMA through :class:`emu.memory.GuestMemory` only.
"""
from __future__ import annotations

import struct
from typing import Callable, Optional

from emu.memory import GuestMemory

MMIO_BASE = 0xF000_0000
PCI_COMMAND_MEMORY = 0x0002
PCI_COMMAND_MASTER = 0x0004


class IrqLine:
    """One interrupt line from a device to the machine's interrupt controller.

    The device calls :meth:`set` with the level it computes (``IMS & ICR`` != 0).
    A delivery is scheduled when the line is high and none is pending; after the
    handler returns, a line still high is delivered again (level-triggered).
    The machine sets :attr:`deliver` to a callable scheduling the handler.
    """

    __slots__ = ("number", "level", "pending", "deliver", "raised", "delivered")

    def __init__(self, number: int) -> None:
        self.number = number
        self.level = False
        self.pending = False
        self.deliver: Optional[Callable[["IrqLine"], None]] = None
        self.raised = 0      # rising edges seen
        self.delivered = 0   # handler invocations

    def set(self, level: bool) -> None:
        if level and not self.level:
            self.raised += 1
        self.level = level
        if level and not self.pending and self.deliver is not None:
            self.pending = True
            self.deliver(self)


class PciDevice:
    """Base of a device model on the bus: identity, config space and BAR0 size.

    Subclasses set ``VENDOR_ID``, ``DEVICE_ID``, ``CLASS_CODE`` (24 bits),
    ``BAR0_SIZE`` and implement :meth:`mmio_read` / :meth:`mmio_write` on
    offsets within BAR0.  The machine gives them ``mem`` (guest memory),
    ``sched`` (the lab clock) and ``irq`` (their interrupt line) at plug time.
    """

    VENDOR_ID = 0xFFFF
    DEVICE_ID = 0xFFFF
    CLASS_CODE = 0x000000
    REVISION = 0
    BAR0_SIZE = 0x1000
    name = "pci"

    def __init__(self) -> None:
        self.config = bytearray(256)
        struct.pack_into("<HH", self.config, 0x00, self.VENDOR_ID, self.DEVICE_ID)
        struct.pack_into("<I", self.config, 0x08, (self.CLASS_CODE << 8) | self.REVISION)
        self.config[0x3D] = 1  # INTA#
        self.mem: Optional[GuestMemory] = None
        self.irq: Optional[IrqLine] = None
        self.sched = None
        self.slot: Optional[int] = None

    # -- config space ---------------------------------------------------------
    def config_read(self, off: int, size: int = 4) -> int:
        if off < 0 or off + size > 256:
            return (1 << (8 * size)) - 1
        return int.from_bytes(self.config[off:off + size], "little")

    def config_write(self, off: int, value: int, size: int = 4) -> None:
        if off < 0 or off + size > 256:
            return
        if off == 0x10 and size == 4:  # BAR0: size probing by writing all ones
            if value == 0xFFFF_FFFF:
                value = (~(self.BAR0_SIZE - 1)) & 0xFFFF_FFFF
            else:
                value &= ~(self.BAR0_SIZE - 1) & 0xFFFF_FFFF
        if off in (0x00, 0x02, 0x08):  # identity is read-only
            return
        self.config[off:off + size] = (value & ((1 << (8 * size)) - 1)).to_bytes(size, "little")

    @property
    def bar0(self) -> int:
        return int.from_bytes(self.config[0x10:0x14], "little") & ~0xF

    @property
    def bus_master(self) -> bool:
        return bool(self.config_read(0x04, 2) & PCI_COMMAND_MASTER)

    # -- registers ----------------------------------------------------------------
    def mmio_read(self, off: int) -> int:  # pragma: no cover - overridden
        return 0xFFFF_FFFF

    def mmio_write(self, off: int, value: int) -> None:  # pragma: no cover - overridden
        pass

    def plugged(self) -> None:
        """Called once the machine has given the device mem, sched and irq."""


class PciBus:
    """Slots 0..31; enumeration assigns BAR0 windows and interrupt lines."""

    NSLOTS = 32

    def __init__(self) -> None:
        self.slots: list[Optional[PciDevice]] = [None] * self.NSLOTS
        self._next_mmio = MMIO_BASE

    def plug(self, dev: PciDevice, slot: Optional[int] = None) -> int:
        if slot is None:
            try:
                slot = self.slots.index(None)
            except ValueError:
                raise ValueError("no free PCI slot") from None
        if not 0 <= slot < self.NSLOTS or self.slots[slot] is not None:
            raise ValueError(f"PCI slot {slot} is not free")
        self.slots[slot] = dev
        dev.slot = slot
        size = dev.BAR0_SIZE
        base = (self._next_mmio + size - 1) & ~(size - 1)
        self._next_mmio = base + size
        dev.config_write(0x10, base)
        dev.config[0x3C] = 16 + slot  # interrupt line
        return slot

    def devices(self) -> list[PciDevice]:
        return [d for d in self.slots if d is not None]

    def _find(self, addr: int) -> Optional[PciDevice]:
        for dev in self.slots:
            if dev is not None and dev.bar0 <= addr < dev.bar0 + dev.BAR0_SIZE:
                return dev
        return None

    def mmio_read(self, addr: int) -> int:
        """A 32-bit read on the bus; unclaimed addresses read as all ones."""
        dev = self._find(addr)
        if dev is None:
            return 0xFFFF_FFFF
        return dev.mmio_read(addr - dev.bar0) & 0xFFFF_FFFF

    def mmio_write(self, addr: int, value: int) -> None:
        dev = self._find(addr)
        if dev is not None:
            dev.mmio_write(addr - dev.bar0, value & 0xFFFF_FFFF)
