"""emu/memory.py, emu/bus.py, emu/machine.py."""
from __future__ import annotations

import pytest

from emu.bus import IrqLine, PciBus, PciDevice
from emu.machine import Machine
from emu.memory import DMAError, GuestMemory, OutOfMemory
from emu.sched import Scheduler


def test_dma_outside_memory_raises_dmaerror():
    mem = GuestMemory(1 << 16)
    with pytest.raises(DMAError):
        mem.dma_read((1 << 16) - 4, 8)
    with pytest.raises(DMAError):
        mem.dma_write(-1, b"x")
    mem.dma_write(100, b"abc")
    assert mem.dma_read(100, 3) == b"abc"


def test_alloc_is_aligned_skips_page_zero_and_runs_out_cleanly():
    mem = GuestMemory(3 * 4096)
    a = mem.alloc(100, 128)
    assert a >= 4096 and a % 128 == 0
    with pytest.raises(OutOfMemory):
        mem.alloc(1 << 20)


class Dummy(PciDevice):
    VENDOR_ID = 0x1234
    DEVICE_ID = 0x5678
    CLASS_CODE = 0x020000
    BAR0_SIZE = 0x1000

    def __init__(self):
        super().__init__()
        self.regs = {}

    def mmio_read(self, off):
        return self.regs.get(off, 0)

    def mmio_write(self, off, value):
        self.regs[off] = value
        if off == 0x10:             # a register whose write raises the line
            self.irq.set(bool(value))


def test_config_space_identity_bar_sizing_and_mmio_dispatch():
    bus = PciBus()
    d = Dummy()
    bus.plug(d)
    assert d.config_read(0x00, 2) == 0x1234 and d.config_read(0x02, 2) == 0x5678
    assert d.config_read(0x08) >> 8 == 0x020000
    base = d.bar0
    d.config_write(0x10, 0xFFFF_FFFF)
    assert d.config_read(0x10) == (~(0x1000 - 1)) & 0xFFFF_FFFF  # size probe
    d.config_write(0x10, base)
    d.config_write(0x00, 0)                                     # read-only
    assert d.config_read(0x00, 2) == 0x1234
    bus.mmio_write(base + 8, 0xDEADBEEF)
    assert bus.mmio_read(base + 8) == 0xDEADBEEF
    assert bus.mmio_read(0x1234) == 0xFFFF_FFFF                 # master abort


def test_interrupt_runs_handler_as_event_and_level_retriggers():
    s = Scheduler()
    m = Machine(s, "m", 1 << 20)
    d = m.plug(Dummy())
    calls = []

    def handler():
        calls.append(s.now)
        if len(calls) == 3:
            d.irq.set(False)        # the handler finally acknowledges

    m.intr_establish(d, handler)
    d.mmio_write(0x10, 1)
    assert calls == []              # not synchronous: an event
    s.run_until_idle()
    assert len(calls) == 3 and m.interrupts == 3


def test_lost_interrupt_through_intr_filter_is_counted():
    s = Scheduler()
    m = Machine(s, "m", 1 << 20)
    d = m.plug(Dummy())
    calls = []
    m.intr_establish(d, lambda: (calls.append(1), d.irq.set(False)))
    m.intr_filter = lambda line: False
    d.mmio_write(0x10, 1)
    s.run_until_idle()
    assert calls == [] and m.interrupts_lost == 1
    m.intr_filter = None
    d.mmio_write(0x10, 1)           # a new assertion is delivered
    s.run_until_idle()
    assert calls == [1]


def test_exception_in_interrupt_handler_panics_only_that_machine():
    s = Scheduler()
    m1, m2 = Machine(s, "a", 1 << 20), Machine(s, "b", 1 << 20)
    d1, d2 = m1.plug(Dummy()), m2.plug(Dummy())
    m1.intr_establish(d1, lambda: 1 / 0)
    ok = []
    m2.intr_establish(d2, lambda: (ok.append(1), d2.irq.set(False)))
    d1.mmio_write(0x10, 1)
    d2.mmio_write(0x10, 1)
    s.run_until_idle()
    assert m1.panicked and "panic:" in m1.console_text() and "ZeroDivisionError" in m1.console_text()
    assert m2.panicked is None and ok == [1]


def test_platform_guard_panics_host_on_kernel_callout_exception():
    s = Scheduler()
    m = Machine(s, "a", 1 << 20)
    m.platform.call_later(10, lambda: {}["missing"])
    s.run_until_idle()
    assert m.panicked and "KeyError" in m.console_text()


def test_pci_attach_args_give_bus_space_and_dma():
    s = Scheduler()
    m = Machine(s, "a", 1 << 20)
    d = m.plug(Dummy())
    (pa,) = m.platform.pci_devices()
    assert (pa.vendor, pa.device, pa.class_code) == (0x1234, 0x5678, 0x020000)
    pa.bst.write_4(0x20, 7)
    assert d.regs[0x20] == 7 and pa.bst.read_4(0x20) == 7
    seg = pa.dmat.dmamem_alloc(256, 128)
    seg.buf[0:4] = b"abcd"
    assert m.mem.dma_read(seg.paddr, 4) == b"abcd"
    pa.enable_busmaster()
    assert d.bus_master


def test_irqline_counts_edges():
    line = IrqLine(3)
    fired = []
    line.deliver = lambda l: fired.append(1)
    line.set(True)
    line.set(True)                  # pending already: no second delivery
    assert line.raised == 1 and fired == [1]
