"""A machine: guest memory + PCI bus + devices + interrupt dispatch + console.

At boot the machine hands the kernel, for each device found on the bus, a
:class:`PciAttachArgs` with the handles BSD gives a driver: a ``bus_space``
handle for BAR0 (:class:`BusSpace`: ``read_4``/``write_4``, and ``read_1``/``read_2``/
``write_1``/``write_2`` for devices with narrower registers), a ``bus_dma`` tag
(:class:`BusDmaTag`: ``dmamem_alloc`` returning memory both CPU and device
see) and ``intr_establish`` for the device's interrupt line.  Those objects are
all a driver ever sees of the hardware.

The machine also gives the kernel its :class:`Platform`: the lab clock
(``now``, ``call_at``, ``call_later``, ``cancel``), the machine's RNG and the console.
An interrupt handler runs as a scheduler event (interrupt context); an
exception escaping kernel code run by the machine is a panic of this machine
only (:meth:`Machine.panic`): its console gets the message and traceback, its
pending work is dropped, and the other machines in the lab keep running.
"""
from __future__ import annotations

import random
import traceback
from functools import partial
from operator import attrgetter
from typing import Any, Callable, Optional

from emu.bus import PCI_COMMAND_MASTER, PCI_COMMAND_MEMORY, IrqLine, PciBus, PciDevice
from emu.memory import GuestMemory
from emu.sched import Scheduler


class BusSpace:
    """``bus_space_tag_t``/``bus_space_handle_t`` for one device's BAR0."""

    __slots__ = ("_dev", "read_1", "read_2", "read_4", "write_1", "write_2", "write_4",
                 "base", "size")

    def __init__(self, dev: PciDevice) -> None:
        self._dev = dev
        self.base = dev.bar0
        self.size = dev.BAR0_SIZE
        # Bound methods: a register access costs one call, as an MMIO load does.
        self.read_4: Callable[[int], int] = dev.mmio_read
        self.write_4: Callable[[int, int], None] = dev.mmio_write
        # 8- and 16-bit accesses, for a device with registers of those widths
        # (docs/hw/re.md §2.1); None for one that answers 32-bit accesses only.
        self.read_1: Optional[Callable[[int], int]] = getattr(dev, "mmio_read_1", None)
        self.read_2: Optional[Callable[[int], int]] = getattr(dev, "mmio_read_2", None)
        self.write_1: Optional[Callable[[int, int], None]] = getattr(dev, "mmio_write_1", None)
        self.write_2: Optional[Callable[[int, int], None]] = getattr(dev, "mmio_write_2", None)


class DmaMemory:
    """A ``bus_dmamem_alloc`` segment: physical address plus the CPU's view."""

    __slots__ = ("paddr", "size", "buf")

    def __init__(self, paddr: int, size: int, buf: memoryview) -> None:
        self.paddr = paddr
        self.size = size
        self.buf = buf

    def __repr__(self) -> str:
        return f"<DmaMemory {self.paddr:#x}+{self.size:#x}>"


class BusDmaTag:
    """``bus_dma_tag_t``: allocates DMA-able memory in the machine's RAM."""

    def __init__(self, mem: GuestMemory) -> None:
        self._mem = mem

    def dmamem_alloc(self, size: int, align: int = 16) -> DmaMemory:
        paddr = self._mem.alloc(size, align)
        return DmaMemory(paddr, size, self._mem.view[paddr:paddr + size])

    @staticmethod
    def dmamap_sync(seg: DmaMemory, op: int = 0) -> None:
        """Coherent memory: nothing to flush (kept so drivers read like BSD's)."""


class PciAttachArgs:
    """What ``pci_attach_args`` carries to a driver's probe and attach."""

    def __init__(self, machine: "Machine", dev: PciDevice) -> None:
        self.slot = dev.slot
        self.vendor = dev.config_read(0x00, 2)
        self.device = dev.config_read(0x02, 2)
        self.class_code = dev.config_read(0x08) >> 8
        self.bst = BusSpace(dev)
        self.dmat = BusDmaTag(machine.mem)
        self._machine = machine
        self._dev = dev
        self.irq = dev.config[0x3C]

    def intr_establish(self, handler: Callable[[], None]) -> None:
        """Run ``handler()`` in interrupt context whenever the device interrupts."""
        self._machine.intr_establish(self._dev, handler)

    def enable_busmaster(self) -> None:
        cmd = self._dev.config_read(0x04, 2) | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER
        self._dev.config_write(0x04, cmd, 2)

    def config_read(self, off: int, size: int = 4) -> int:
        return self._dev.config_read(off, size)


_sched_now = attrgetter("now")


class Platform:
    """The machine-dependent services the kernel is booted with (its ``machdep``)."""

    def __init__(self, machine: "Machine") -> None:
        self._m = machine
        self._guarded = machine.run_guarded
        self.sched = machine.sched
        self.rng = machine.rng
        self.hostname = machine.name
        # The kernel asks the time and cancels callouts on every packet: the two
        # as C-level callables (no Python frame), doing what the methods below say.
        self.now = partial(_sched_now, machine.sched)
        self.cancel = Scheduler.cancel

    def now(self) -> int:
        return self.sched.now

    def call_at(self, when: int, fn: Callable, *arg) -> object:
        return self.sched.call_at(when, self._guarded, (fn, arg))

    def call_later(self, delay: int, fn: Callable, *arg) -> object:
        # Scheduler.call_later's arithmetic, without its extra call (hot: wakeup)
        s = self.sched
        return s.call_at(s.now + (int(delay) if delay > 0 else 0), self._guarded, (fn, arg))

    @staticmethod
    def cancel(ev: object) -> None:
        Scheduler.cancel(ev)  # type: ignore[arg-type]

    def console_write(self, data: bytes | str) -> None:
        self._m.console_write(data)

    def pci_devices(self) -> list[PciAttachArgs]:
        return [PciAttachArgs(self._m, d) for d in self._m.bus.devices()]

    def panic(self, msg: str) -> None:
        self._m.panic(msg)


class Machine:
    """One emulated computer in a lab."""

    def __init__(self, sched: Scheduler, name: str = "machine", mem_size: int = 16 << 20) -> None:
        self.sched = sched
        self.name = name
        self.mem = GuestMemory(mem_size)
        # Each machine draws from its own RNG seeded by (lab seed, name): adding
        # a host to a lab does not change what the others draw.
        self.rng = random.Random(f"{sched.seed}:{name}")
        self.bus = PciBus()
        self.console = bytearray()
        self.console_listeners: list[Callable[[bytes], None]] = []
        self.panicked: Optional[str] = None
        self.platform = Platform(self)
        self._handlers: dict[int, list[Callable[[], None]]] = {}
        # Tests put a fault injector here: called with the line before each
        # delivery; returning False loses that interrupt.
        self.intr_filter: Optional[Callable[[IrqLine], bool]] = None
        self.interrupts = 0
        self.interrupts_lost = 0

    # -- devices ----------------------------------------------------------------
    def plug(self, dev: PciDevice, slot: Optional[int] = None) -> PciDevice:
        self.bus.plug(dev, slot)
        dev.mem = self.mem
        dev.sched = self.sched
        line = IrqLine(dev.config[0x3C])
        # _schedule_intr as one C-level call (a delivery per interrupt)
        line.deliver = partial(self.sched.call_soon, self._intr)
        dev.irq = line
        self._handlers.setdefault(line.number, [])
        dev.plugged()
        return dev

    def intr_establish(self, dev: PciDevice, handler: Callable[[], None]) -> None:
        assert dev.irq is not None
        self._handlers[dev.irq.number].append(handler)

    def _schedule_intr(self, line: IrqLine) -> None:
        self.sched.call_soon(self._intr, line)

    def _intr(self, line: IrqLine) -> None:
        """Interrupt dispatch: run the handlers established on ``line``."""
        line.pending = False
        if self.panicked is not None:
            return
        if self.intr_filter is not None and not self.intr_filter(line):
            self.interrupts_lost += 1
            return
        handlers = self._handlers.get(line.number)
        if not handlers:
            return  # stray interrupt: nobody attached yet
        self.interrupts += 1
        line.delivered += 1
        try:
            for h in handlers:
                h()
        except Exception:  # noqa: BLE001 - a kernel bug panics this host only
            self.panic("interrupt handler: unexpected exception", traceback.format_exc())
            return
        if line.level and not line.pending:  # level-triggered: still asserted
            line.pending = True
            self._schedule_intr(line)

    # -- kernel execution guard -----------------------------------------------
    def run_guarded(self, call: tuple) -> Any:
        """Run kernel work ``(fn, args)`` scheduled on the lab clock, so that an
        unexpected exception panics this host only (the others run on)."""
        if self.panicked is not None:
            return None
        fn, args = call
        try:
            return fn(*args)
        except Exception:  # noqa: BLE001
            self.panic(f"{getattr(fn, '__qualname__', fn)}: unexpected exception",
                       traceback.format_exc())
            return None

    def guard(self, fn: Callable) -> Callable:
        """``fn`` wrapped like :meth:`run_guarded`, for callers that want a callable."""
        def run(*args):
            return self.run_guarded((fn, args))
        return run

    def panic(self, msg: str, tb: str = "") -> None:
        if self.panicked is not None:
            return
        self.panicked = msg
        self.console_write(f"panic: {msg}\n{tb}")
        self.console_write("cpuid = 0\nUptime: %ds\nAutomatic reboot disabled: halted.\n"
                           % (self.sched.now // 1_000_000_000))

    # -- console ------------------------------------------------------------------
    def console_write(self, data: bytes | str) -> None:
        if isinstance(data, str):
            data = data.encode("utf-8", "replace")
        self.console += data
        for cb in self.console_listeners:
            cb(data)

    def console_text(self) -> str:
        return self.console.decode("utf-8", "replace")
