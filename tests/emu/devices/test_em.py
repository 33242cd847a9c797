"""em model (docs/hw/em.md): identity, register file, reset, EEPROM, interrupts, link, stats.

RX tests are in test_em_rx.py, TX in test_em_tx.py, DMA faults in
test_em_dma_faults.py.  Each test is named after the datasheet clause it checks.
"""
from __future__ import annotations

import pytest

from emu.devices.em import E1000
from emu.sched import US, Scheduler
from tests.emu.devices.em_harness import (
    BPRC, CMD_EOP, CMD_IFCS, CMD_RS, CRCERRS, CTRL, CTRL_EXT, CTRL_LRST, CTRL_RST,
    CTRL_SLU, EERD, GORCH, GORCL, GOTCH, GOTCL, GPRC, GPTC, ICR, ICS, IMC, IMS, ITR,
    LSC, MAC, MPC, MPRC, MTA0, RAH, RAL, RCTL, RCTL_EN, RCTL_MPE, RDBAH, RDBAL, RDH,
    RDLEN, RDT, RDTR, RNBC, RXT0, STATUS, STATUS_LU, TCTL, TDBAH, TDBAL,
    TDH, TDLEN, TDT, TIPG, TPR, TPT, TXDW, TXQE, AV, PEER, FakePort, Host, frame,
)


# -- §1 identity ------------------------------------------------------------------
def test_em_1_config_space_identifies_intel_82540em() -> None:
    h = Host()
    dev = h.dev
    assert dev.config_read(0x00, 2) == 0x8086
    assert dev.config_read(0x02, 2) == 0x100E
    assert dev.config_read(0x08) >> 8 == 0x020000
    assert dev.config[0x3D] == 1                         # INTA#


def test_em_1_bar0_is_a_128k_memory_window() -> None:
    h = Host()
    dev = h.dev
    base = dev.bar0
    assert base % 0x20000 == 0
    dev.config_write(0x10, 0xFFFF_FFFF)                  # size probe
    assert dev.config_read(0x10) == (~(0x20000 - 1)) & 0xFFFF_FFFF
    dev.config_write(0x10, base)
    # registers are reachable through the bus at BAR0 + offset
    assert h.machine.bus.mmio_read(base + CTRL) == 0x40
    h.machine.bus.mmio_write(base + IMS, LSC)
    assert h.r(IMS) == LSC


def test_em_1_unimplemented_offsets_read_0_and_writes_are_ignored_and_counted() -> None:
    h = Host()
    for off in (0x0004, 0x00CC, 0x1000, 0x5480, 0x1FFFC):
        assert h.r(off) == 0
    h.w(0x1000, 0x1234)
    h.w(0x0002, 0x1)                                     # unaligned: not a register
    assert h.r(0x1000) == 0
    assert h.dev.unimpl_writes == 2


def test_em_constructor_rejects_bad_mac() -> None:
    with pytest.raises(ValueError):
        E1000(mac=b"\x02\x00")
    with pytest.raises(ValueError):
        E1000(mac=b"\x01\x00\x5e\x00\x00\x01")           # a group address
    assert E1000(mac="02:00:00:00:aa:01").mac_address == MAC


# -- §2 / §8 reset values -------------------------------------------------------------
RESET_VALUES = {
    CTRL: 0x40, EERD: 0, CTRL_EXT: 0, ICR: 0, ITR: 0, IMS: 0, RCTL: 0, TCTL: 0, TIPG: 0,
    RDBAL: 0, RDBAH: 0, RDLEN: 0, RDH: 0, RDT: 0, RDTR: 0,
    TDBAL: 0, TDBAH: 0, TDLEN: 0, TDH: 0, TDT: 0,
    CRCERRS: 0, MPC: 0, RNBC: 0, GPRC: 0, BPRC: 0, MPRC: 0, GPTC: 0,
    GORCL: 0, GORCH: 0, GOTCL: 0, GOTCH: 0, TPR: 0, TPT: 0,
}


def test_em_2_power_on_reset_values() -> None:
    h = Host(connect=False)
    for off, val in RESET_VALUES.items():
        assert h.r(off) == val, hex(off)
    for i in range(128):
        assert h.r(MTA0 + 4 * i) == 0
    for n in range(1, 16):
        assert h.r(RAL(n)) == 0 and h.r(RAH(n)) == 0


def test_em_2_ral0_rah0_hold_the_eeprom_mac_with_av() -> None:
    h = Host()
    assert h.r(RAL(0)) == 0x0000_0002                  # 02:00:00:00 -> byte 0 in bits 7:0
    assert h.r(RAH(0)) == AV | 0x01AA                  # aa:01


def test_em_3_2_status_reports_fd_1000_and_lu() -> None:
    h = Host()
    st = h.r(STATUS)
    assert st & 1                                        # FD
    assert (st >> 6) & 3 == 0b10                         # SPEED 1000
    assert st & STATUS_LU
    assert not st & (1 << 4)                             # TXOFF
    h.w(STATUS, 0)                                       # RO
    assert h.r(STATUS) == st


def test_em_8_ctrl_rst_resets_every_register_and_reloads_ra0() -> None:
    h = Host()
    h.setup_rx()
    h.setup_tx()
    h.w(RAL(0), 0x11223344)
    h.w(RAL(3), 0x55667788)
    h.w(RAH(3), AV | 0x99AA)
    h.w(MTA0 + 4 * 7, 0xDEADBEEF)
    h.w(IMS, 0xFF)
    h.w(ITR, 100)
    h.w(RDTR, 5)
    h.w(ICS, TXDW)
    h.deliver(frame(MAC))
    assert h.dev.irq.level
    h.w(CTRL, 0x40 | CTRL_RST)
    assert h.r(CTRL) == 0x40                             # RST self-clears, reads 0
    for off, val in RESET_VALUES.items():
        assert h.r(off) == val, hex(off)
    assert h.r(MTA0 + 4 * 7) == 0
    assert h.r(RAL(3)) == 0 and h.r(RAH(3)) == 0
    assert h.r(RAL(0)) == 0x0000_0002 and h.r(RAH(0)) == AV | 0x01AA
    assert not h.dev.irq.level                           # ICR cleared: line drops
    assert h.r(STATUS) & STATUS_LU                       # SLU back to 1, cable still in


def test_em_2_rdlen_bits_6_0_forced_to_0_and_bits_31_20_read_0() -> None:
    h = Host()
    h.w(RDLEN, 0xFFFF_FFFF)
    assert h.r(RDLEN) == 0x000F_FF80
    h.w(RDLEN, 8 * 16 + 5)
    assert h.r(RDLEN) == 128
    h.w(TDLEN, 0xFFFF_FFFF)
    assert h.r(TDLEN) == 0x000F_FF80
    h.w(TDLEN, 200)
    assert h.r(TDLEN) == 128


def test_em_2_ring_base_low_bits_3_0_read_0() -> None:
    h = Host()
    h.w(RDBAL, 0x1234_567F)
    h.w(TDBAL, 0x1234_567F)
    assert h.r(RDBAL) == 0x1234_5670
    assert h.r(TDBAL) == 0x1234_5670
    h.w(RDBAH, 0xFFFF_FFFF)
    assert h.r(RDBAH) == 0xFFFF_FFFF


def test_em_2_plain_registers_store_what_is_written() -> None:
    h = Host()
    for off in (CTRL_EXT, TIPG, MTA0, MTA0 + 0x1FC, RAL(15)):
        h.w(off, 0xA5A5_5A5A)
        assert h.r(off) == 0xA5A5_5A5A
    h.w(RAH(15), 0xFFFF_FFFF)
    assert h.r(RAH(15)) == 0x8000_FFFF                   # bits 15:0 and AV


# -- §4 EEPROM ------------------------------------------------------------------------
def eerd(h: Host, addr: int) -> int:
    h.w(EERD, (addr << 8) | 1)                           # START
    val = h.r(EERD)
    assert val & (1 << 4)                                # DONE (completes at once)
    assert (val >> 8) & 0xFF == addr
    return val >> 16


def test_em_4_eerd_reads_the_mac_low_byte_first() -> None:
    h = Host()
    words = [eerd(h, i) for i in range(3)]
    assert words == [0x0002, 0x0000, 0x01AA]
    mac = b"".join(w.to_bytes(2, "little") for w in words)
    assert mac == MAC


def test_em_4_eeprom_words_0_to_0x3f_sum_to_0xbaba() -> None:
    h = Host()
    assert sum(eerd(h, i) for i in range(64)) & 0xFFFF == 0xBABA


def test_em_4_eerd_address_64_and_above_reads_ffff() -> None:
    h = Host()
    assert eerd(h, 64) == 0xFFFF
    assert eerd(h, 0xFF) == 0xFFFF


def test_em_4_eerd_write_without_start_does_not_complete() -> None:
    h = Host()
    eerd(h, 1)
    h.w(EERD, 2 << 8)
    assert not h.r(EERD) & (1 << 4)


# -- §6.1 interrupt registers -----------------------------------------------------------
def test_em_6_1_icr_is_cleared_by_read() -> None:
    h = Host()
    h.w(ICS, TXDW | RXT0)
    assert h.r(ICR) == TXDW | RXT0
    assert h.r(ICR) == 0


def test_em_6_1_icr_write_clears_the_bits_written_as_1() -> None:
    h = Host()
    h.w(ICS, TXDW | TXQE | LSC)
    h.w(ICR, TXQE)
    assert h.r(ICR) == TXDW | LSC


def test_em_6_1_ims_sets_imc_clears_and_ims_reads_the_mask() -> None:
    h = Host()
    h.w(IMS, TXDW | RXT0)
    h.w(IMS, LSC)
    assert h.r(IMS) == TXDW | RXT0 | LSC
    h.w(IMC, RXT0)
    assert h.r(IMS) == TXDW | LSC
    assert h.r(IMC) == 0 and h.r(ICS) == 0               # write-only


def test_em_6_1_line_is_asserted_while_icr_and_ims_is_nonzero() -> None:
    h = Host()
    line = h.dev.irq
    h.w(ICS, TXDW)
    assert not line.level                                # masked
    h.w(IMS, TXDW)
    assert line.level
    h.w(IMC, TXDW)
    assert not line.level
    h.w(IMS, TXDW)
    assert line.level
    h.r(ICR)
    assert not line.level


def test_em_6_1_interrupt_handler_through_machine_reads_and_clears_icr() -> None:
    """The line follows IMS & ICR; the machine runs the handler established on it."""
    h = Host()
    h.setup_rx()
    seen: list[tuple[int, int]] = []

    def em_intr() -> None:
        seen.append((h.sched.now, h.r(ICR)))

    h.machine.intr_establish(h.dev, em_intr)
    h.w(IMS, RXT0)
    h.deliver(frame(MAC))
    assert h.dev.irq.level
    h.sched.run_until_idle()
    assert seen == [(0, RXT0)]
    assert not h.dev.irq.level
    assert h.machine.interrupts == 1
    # a masked cause does not interrupt
    h.w(ICS, TXDW)
    h.sched.run_until_idle()
    assert len(seen) == 1
    # a handler that does not clear the cause is called again (level-triggered)
    calls = []
    h2 = Host()
    h2.machine.intr_establish(h2.dev, lambda: calls.append(h2.sched.now))
    h2.w(IMS, TXDW)
    h2.w(ICS, TXDW)
    h2.sched.run_until_idle(max_events=5)
    assert len(calls) == 5


# -- §6.1 RXT0 delay (RDTR) ---------------------------------------------------------------
def test_em_6_1_rxt0_is_immediate_when_rdtr_is_0() -> None:
    h = Host()
    h.setup_rx()
    h.deliver(frame(MAC))
    assert h.r(ICR) & RXT0


def test_em_6_1_rxt0_fires_rdtr_x_1024ns_after_the_last_stored_frame() -> None:
    h = Host()
    h.setup_rx(n=16)
    h.w(RDTR, 10)                                        # 10.24 µs
    h.w(IMS, RXT0)
    h.deliver(frame(MAC))
    assert not h.r(ICR) & RXT0
    h.sched.run_until(5 * US)
    h.deliver(frame(MAC))                                # restarts the timer
    h.sched.run_until(5 * US + 10_239)
    assert not h.r(ICR) & RXT0
    assert not h.dev.irq.level
    h.sched.run_until(5 * US + 10_240)
    assert h.dev.irq.level
    assert h.r(ICR) & RXT0


def test_em_6_1_rdtr_bits_15_0() -> None:
    h = Host()
    h.w(RDTR, 0xFFFF_1234)
    assert h.r(RDTR) == 0x1234


# -- §6.3 ITR ---------------------------------------------------------------------------
def test_em_6_3_itr_delays_a_new_assertion_until_t_plus_itr_x_256ns() -> None:
    h = Host()
    times: list[tuple[int, int]] = []
    h.machine.intr_establish(h.dev, lambda: times.append((h.sched.now, h.r(ICR))))
    h.w(ITR, 100)                                        # 25.6 µs
    h.w(IMS, TXDW | LSC)
    h.w(ICS, TXDW)                                       # first assertion: at once
    h.sched.run_until_idle()
    assert times == [(0, TXDW)]
    h.sched.run_until(1 * US)
    h.w(ICS, TXDW)
    h.sched.run_until(2 * US)
    h.w(ICS, LSC)                                        # causes accumulate
    assert not h.dev.irq.level
    h.sched.run_until(25_599)
    assert len(times) == 1
    h.sched.run_until(25_600)
    h.sched.run_until_idle()
    assert times == [(0, TXDW), (25_600, TXDW | LSC)]
    # long after the interval, a cause asserts at once again
    h.sched.run_until(200 * US)
    h.w(ICS, TXDW)
    h.sched.run_until_idle()
    assert times[-1] == (200 * US, TXDW)
    assert h.dev.irq_assertions == 3


def test_em_6_3_itr_0_follows_icr_and_ims_at_once() -> None:
    h = Host()
    h.w(IMS, TXDW)
    for _ in range(3):
        h.w(ICS, TXDW)
        assert h.dev.irq.level
        h.r(ICR)
        assert not h.dev.irq.level
    assert h.dev.irq_assertions == 3


def test_em_6_3_causes_cleared_while_throttled_do_not_interrupt() -> None:
    h = Host()
    h.w(ITR, 1000)
    h.w(IMS, TXDW)
    h.w(ICS, TXDW)
    h.r(ICR)
    h.w(ICS, TXDW)
    h.r(ICR)                                             # cleared before the interval ends
    h.sched.run_until(1 * 10**6)
    assert h.dev.irq_assertions == 1
    assert not h.dev.irq.level


# -- §3.1, §3.2, §6.1 link ---------------------------------------------------------------
def test_em_3_2_lu_needs_a_cable_with_carrier() -> None:
    sched = Scheduler()
    h = Host(sched, connect=False)
    assert not h.r(STATUS) & STATUS_LU                   # no port: carrier down
    h.dev.connect(FakePort(sched, link_up=False))
    assert not h.r(STATUS) & STATUS_LU
    assert not h.dev.link
    h.dev.link_changed(True)
    assert h.r(STATUS) & STATUS_LU
    assert h.dev.link
    assert h.r(ICR) & LSC


def test_em_6_1_lsc_on_carrier_loss_and_return() -> None:
    h = Host()
    h.r(ICR)
    h.w(IMS, LSC)
    h.port.link_up = False
    h.dev.link_changed(False)
    assert not h.r(STATUS) & STATUS_LU
    assert h.dev.irq.level
    assert h.r(ICR) == LSC
    h.dev.link_changed(False)                            # no change: no LSC
    assert h.r(ICR) == 0
    h.port.link_up = True
    h.dev.link_changed(True)
    assert h.r(STATUS) & STATUS_LU
    assert h.r(ICR) == LSC


def test_em_3_1_slu_and_lrst_move_the_link_and_set_lsc() -> None:
    h = Host()
    h.r(ICR)
    h.w(CTRL, 0)                                         # SLU = 0
    assert not h.r(STATUS) & STATUS_LU
    assert h.r(ICR) == LSC
    h.w(CTRL, CTRL_SLU)
    assert h.r(STATUS) & STATUS_LU
    assert h.r(ICR) == LSC
    h.w(CTRL, CTRL_SLU | CTRL_LRST)
    assert not h.r(STATUS) & STATUS_LU
    assert h.r(ICR) == LSC
    h.w(CTRL, CTRL_SLU)
    assert h.r(STATUS) & STATUS_LU


def test_em_3_1_disconnect_drops_the_link() -> None:
    h = Host()
    h.r(ICR)
    h.dev.disconnect()
    assert h.dev.port is None
    assert not h.r(STATUS) & STATUS_LU
    assert h.r(ICR) == LSC


# -- §2 statistics ------------------------------------------------------------------------
def test_em_2_statistics_are_cleared_by_read() -> None:
    h = Host()
    h.setup_rx(rctl=RCTL_EN | RCTL_MPE | (1 << 15))
    h.deliver(frame(MAC, size=100))
    h.deliver(frame(b"\xff" * 6, size=80))
    h.deliver(frame(b"\x33\x33\x00\x00\x00\x01", size=70))
    h.deliver(frame(b"\x02\x00\x00\x00\x00\x99"))        # filtered
    assert h.r(TPR) == 4
    assert h.r(TPR) == 0
    assert h.r(GPRC) == 3
    assert h.r(GPRC) == 0
    assert h.r(BPRC) == 1
    assert h.r(MPRC) == 1                                # broadcast is not counted here
    assert (h.r(BPRC), h.r(MPRC)) == (0, 0)


def test_em_2_octet_counters_clear_when_the_high_half_is_read() -> None:
    h = Host()
    h.setup_rx()
    h.setup_tx()
    h.deliver(frame(MAC, size=100))
    h.deliver(frame(MAC, size=200))
    h.send(frame(PEER, src=MAC, size=90))
    assert h.r(GORCL) == 300
    assert h.r(GORCL) == 300                             # the low half does not clear
    assert h.r(GORCH) == 0
    assert h.r(GORCL) == 0
    assert h.r(GOTCL) == 90
    assert h.r(GOTCH) == 0
    assert h.r(GOTCL) == 0
    assert h.r(GPTC) == 1 and h.r(TPT) == 1


def test_em_2_octet_counters_are_64_bits() -> None:
    h = Host()
    h.dev.regs[GORCL >> 2] = (5 << 32) | 7                # as after 21 GiB received
    assert h.r(GORCL) == 7
    assert h.r(GORCH) == 5
    assert h.r(GORCL) == 0


def test_em_2_statistics_ignore_writes() -> None:
    h = Host()
    h.setup_rx()
    h.deliver(frame(MAC))
    h.w(TPR, 0)
    h.w(GORCH, 0)
    assert h.dev.unimpl_writes == 0
    assert h.r(TPR) == 1
    assert h.r(GORCL) == 64


# -- §9 observability ---------------------------------------------------------------------
def test_em_9_trace_hook_reports_drops_and_interrupts() -> None:
    h = Host()
    events: list[tuple[str, dict]] = []
    h.dev.trace = lambda ev, **f: events.append((ev, f))
    h.setup_rx()
    h.w(IMS, RXT0)
    h.deliver(frame(b"\x02\x00\x00\x00\x00\x99"))
    h.deliver(frame(MAC))
    assert events[0] == ("em_rx_drop", {"dev": "em0", "reason": "filter mismatch", "len": 64})
    assert events[1][0] == "em_intr" and events[1][1]["icr"] & RXT0
    assert h.dev.drops["filter mismatch"] == 1
    assert set(h.dev.drops) == {"filter mismatch", "no descriptors", "DMA fault", "link down",
                                "receiver disabled", "oversize", "runt", "tx bad length"}


def test_em_two_devices_joined_by_a_port_exchange_a_frame() -> None:
    sched = Scheduler()
    a = Host(sched, mac=MAC)
    b = Host(sched, mac=bytes.fromhex("02000000bb02"))
    a.port.peer = b.dev
    b.port.peer = a.dev
    a.setup_tx()
    b.setup_rx()
    b.w(IMS, RXT0)
    got = []
    b.machine.intr_establish(b.dev, lambda: got.append(b.r(ICR)))
    data = frame(bytes.fromhex("02000000bb02"), src=MAC, size=98)
    a.send(data, CMD_EOP | CMD_IFCS | CMD_RS)
    sched.run_until_idle()
    assert got and got[0] & RXT0
    _, length, _, status, errors, _ = b.rxd(0)
    assert (length, status, errors) == (98, 3, 0)
    assert b.rx_data(0, 98) == data
    assert b.r(RDH) == 1
    assert a.r(TDH) == a.r(TDT) == 1


def test_em_2_statistics_stick_at_their_maximum() -> None:
    h = Host()
    h.dev.regs[TPR >> 2] = 0xFFFF_FFFF
    h.setup_rx()
    h.deliver(frame(MAC))
    assert h.r(TPR) == 0xFFFF_FFFF
    assert h.r(TPR) == 0


def test_em_8_reset_cancels_the_rdtr_timer_and_sets_no_lsc() -> None:
    h = Host()
    h.setup_rx()
    h.w(RDTR, 100)
    h.deliver(frame(MAC))
    h.w(CTRL, CTRL_SLU | CTRL_RST)
    h.w(IMS, 0xFF)
    h.sched.run_until(1_000_000)
    assert h.r(ICR) == 0
    assert h.dev.irq_assertions == 0


def test_em_8_ctrl_rst_loads_ra0_from_the_eeprom() -> None:
    h = Host()
    h.dev.eeprom[0:3] = [0x5002, 0xABC2, 0xEFCD]         # another MAC in the NVM
    h.w(CTRL, CTRL_SLU | CTRL_RST)
    assert h.r(RAL(0)) == 0xABC25002
    assert h.r(RAH(0)) == AV | 0xEFCD
