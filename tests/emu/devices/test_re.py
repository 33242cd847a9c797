"""re model (docs/hw/re.md): identity, register file and access widths, reset, interrupts,
link, MPC and the tally counters.

RX tests are in test_re_rx.py, TX in test_re_tx.py, DMA faults in
test_re_dma_faults.py.  Each test is named after the datasheet clause it checks.
"""
from __future__ import annotations

import pytest

from emu.devices.re import RTL8169
from emu.sched import Scheduler
from tests.emu.devices.re_harness import (
    AB, APM, CHIPCMD, CMD_RE, CMD_RST, CMD_TE, CPLUSCMD, CR9346, DTCCR_CMD, DTCCR_HI,
    DTCCR_LO, EEM_CONFIG_WRITE, FS, FSWINT, FULLDUP, HPQ, IDR0, INTRMASK, INTRMITIGATE,
    INTRSTATUS, LINKCHG, LINKSTS, LS, MAC, MAR0, MPC, MTPS, NPQ, OWN, PEER, PHYSTATUS,
    RDSAR_HI, RDSAR_LO, RDU, ROK, RXCONFIG, RXMAXSIZE, SERR, SPEED_1000, SWINT, TDU,
    THPDS_HI, THPDS_LO, TNPDS_HI, TNPDS_LO, TOK, TXCONFIG, TXPOLL, Host, frame,
    with_crc,
)


# -- §1 identity --------------------------------------------------------------------------
def test_re_1_config_space_identifies_realtek_8169() -> None:
    dev = Host().dev
    assert dev.config_read(0x00, 2) == 0x10EC
    assert dev.config_read(0x02, 2) == 0x8169
    assert dev.config_read(0x08) == 0x020000 << 8 | 0x10          # class, revision
    assert dev.config[0x3D] == 1                                   # INTA#


def test_re_1_bar0_is_a_256_byte_memory_window() -> None:
    h = Host()
    dev = h.dev
    base = dev.bar0
    assert base % 0x100 == 0
    dev.config_write(0x10, 0xFFFF_FFFF)                            # size probe
    assert dev.config_read(0x10) == (~(0x100 - 1)) & 0xFFFF_FFFF
    dev.config_write(0x10, base)
    assert h.machine.bus.mmio_read(base + TXCONFIG) == 0x0080_0000
    h.machine.bus.mmio_write(base + INTRMASK, 0xAAAA_0000 | ROK)   # IntrMask + IntrStatus
    assert h.r2(INTRMASK) == ROK


def test_re_1_txconfig_hwverid_is_8169s_and_read_only() -> None:
    h = Host()
    assert h.r4(TXCONFIG) & 0x7CC0_0000 == 0x0080_0000
    h.w4(TXCONFIG, 0xFFFF_FFFF)
    assert h.r4(TXCONFIG) == 0x0080_0000 | 0x033F_FFFF
    h.w4(TXCONFIG, 0)
    assert h.r4(TXCONFIG) == 0x0080_0000


def test_re_constructor_rejects_bad_mac() -> None:
    with pytest.raises(ValueError):
        RTL8169(mac=b"\x02\x00")
    with pytest.raises(ValueError):
        RTL8169(mac=b"\x01\x00\x5e\x00\x00\x01")                   # a group address
    assert RTL8169(mac="02:00:00:00:aa:01").mac_address == MAC


# -- §2 reset values and access widths ------------------------------------------------------
RESET_VALUES = {  # (offset, width) -> value
    (DTCCR_LO, 4): 0, (DTCCR_HI, 4): 0, (TNPDS_LO, 4): 0, (TNPDS_HI, 4): 0,
    (THPDS_LO, 4): 0, (THPDS_HI, 4): 0, (CHIPCMD, 1): 0, (TXPOLL, 1): 0,
    (INTRMASK, 2): 0, (INTRSTATUS, 2): 0, (TXCONFIG, 4): 0x0080_0000, (RXCONFIG, 4): 0,
    (MPC, 4): 0, (CR9346, 1): 0, (RXMAXSIZE, 2): 0, (CPLUSCMD, 2): 0, (INTRMITIGATE, 2): 0,
    (RDSAR_LO, 4): 0, (RDSAR_HI, 4): 0, (MTPS, 1): 0x3F,
}


def _read(h: Host, off: int, width: int) -> int:
    return {1: h.r1, 2: h.r2, 4: h.r4}[width](off)


def test_re_2_power_on_reset_values() -> None:
    h = Host(connect=False)
    for (off, width), val in RESET_VALUES.items():
        assert _read(h, off, width) == val, hex(off)
    for i in range(8):
        assert h.r1(MAR0 + i) == 0
    assert h.r1(PHYSTATUS) == 0                                    # no cable, no link


def test_re_2_idr_holds_the_eeprom_mac_first_byte_in_idr0() -> None:
    h = Host()
    assert bytes(h.r1(IDR0 + i) for i in range(6)) == MAC
    assert h.r4(IDR0) == int.from_bytes(MAC[:4], "little")
    assert h.r4(IDR0 + 4) == int.from_bytes(MAC[4:], "little")    # 0x06-0x07 read 0


def test_re_2_1_a_dword_access_reaches_every_register_it_covers() -> None:
    h = Host()
    h.w4(MAR0, 0x4433_2211)
    assert [h.r1(MAR0 + i) for i in range(4)] == [0x11, 0x22, 0x33, 0x44]
    assert h.r2(MAR0 + 2) == 0x4433
    h.w1(MAR0 + 5, 0x66)
    assert h.r4(MAR0 + 4) == 0x0000_6600
    h.w4(INTRMASK, 0x0000_0000 | ROK | TOK)                        # mask only: clears nothing
    assert h.r2(INTRMASK) == ROK | TOK


def test_re_2_1_a_narrow_access_inside_a_wider_register_keeps_the_other_bits() -> None:
    h = Host()
    h.w4(RXCONFIG, 0x0000_E70F)
    h.w1(RXCONFIG, 0x02)                                           # low byte only
    assert h.r4(RXCONFIG) == 0x0000_E702
    assert h.r2(RXCONFIG + 2) == 0
    assert h.r1(RXCONFIG + 1) == 0xE7


def test_re_2_1_unimplemented_and_unaligned_accesses_read_0_and_writes_are_counted() -> None:
    h = Host()
    for off in (0x18, 0x30, 0x60, 0x70, 0xF0, 0xFC):
        assert h.r4(off) == 0
    h.w4(0x60, 0x1234)                                             # PHYAR: not modelled
    h.w2(0x3D, 0xFFFF)                                             # unaligned
    h.w1(0x51, 0xFF)                                               # Config0: not modelled
    assert h.r4(0x60) == 0
    assert h.dev.unimpl_writes == 3
    assert h.r2(INTRMASK) == 0                                     # the unaligned write did nothing


def test_re_2_start_address_low_bits_7_0_read_0() -> None:
    h = Host()
    for off in (RDSAR_LO, TNPDS_LO, THPDS_LO):
        h.w4(off, 0x1234_56FF)
        assert h.r4(off) == 0x1234_5600, hex(off)
    h.w4(DTCCR_LO, 0x1234_5677)                                    # bits 5:4, 2:0 read 0
    assert h.r4(DTCCR_LO) == 0x1234_5640


def test_re_2_plain_registers_store_what_is_written() -> None:
    h = Host()
    cases = {(CPLUSCMD, 2): 0xFFFF, (INTRMITIGATE, 2): 0xFFFF, (RXMAXSIZE, 2): 0x3FFF,
             (RXCONFIG, 4): 0x0000_FF3F, (MTPS, 1): 0x3F, (CR9346, 1): 0xCE,
             (RDSAR_HI, 4): 0xFFFF_FFFF}
    writes = {1: h.w1, 2: h.w2, 4: h.w4}
    for (off, width), val in cases.items():
        writes[width](off, 0xFFFF_FFFF & ((1 << 8 * width) - 1))
        assert _read(h, off, width) == val, hex(off)


def test_re_3_5_idr_writes_need_config_write_enable() -> None:
    h = Host()
    h.w4(IDR0, 0x1122_3344)
    assert h.r4(IDR0) == int.from_bytes(MAC[:4], "little")         # locked: ignored
    assert h.dev.cfg_locked_writes == 4
    h.w1(CR9346, EEM_CONFIG_WRITE)
    h.w4(IDR0, 0x1122_3302)
    h.w4(IDR0 + 4, 0x6655)
    h.w1(CR9346, 0)
    assert bytes(h.r1(IDR0 + i) for i in range(6)) == bytes.fromhex("023322115566")


# -- §8 reset ----------------------------------------------------------------------------------
def test_re_8_rst_resets_registers_but_keeps_idr_mar_and_ring_addresses() -> None:
    h = Host()
    h.setup_rx()
    h.setup_tx()
    h.w1(CR9346, EEM_CONFIG_WRITE)
    h.w1(IDR0 + 5, 0x77)
    h.w4(MAR0, 0xDEAD_BEEF)
    h.w2(INTRMASK, ROK)
    h.deliver(frame(MAC[:5] + b"\x77"))
    assert h.dev.irq.level and h.dev.rx_cur == 1
    rdsar, tnpds = h.r4(RDSAR_LO), h.r4(TNPDS_LO)
    h.w1(CHIPCMD, CMD_RST)
    assert h.r1(CHIPCMD) == 0                                      # RST self-clears; RE, TE off
    assert not h.dev.irq.level
    for (off, width), val in RESET_VALUES.items():
        if off not in (RDSAR_LO, TNPDS_LO, CR9346):
            assert _read(h, off, width) == val, hex(off)
    assert h.r1(CR9346) == 0
    assert (h.r4(RDSAR_LO), h.r4(TNPDS_LO)) == (rdsar, tnpds)
    assert h.r4(MAR0) == 0xDEAD_BEEF and h.r1(IDR0 + 5) == 0x77
    assert (h.dev.rx_cur, h.dev.tx_cur) == (0, 0)
    assert h.dev.link and h.r2(INTRSTATUS) == 0                    # a reset sets no LinkChg
    assert h.dev.tally[1] == 1                                     # tally kept


def test_re_8_rst_on_the_dword_access_at_0x34() -> None:
    """ChipCmd is byte 3 of the dword at 0x34 (§2.1)."""
    h = Host()
    h.w1(CHIPCMD, CMD_RE | CMD_TE)
    assert h.r4(0x34) == (CMD_RE | CMD_TE) << 24
    h.w4(0x34, CMD_RST << 24)
    assert h.r1(CHIPCMD) == 0


# -- §6 interrupts -------------------------------------------------------------------------------
def test_re_6_1_intrstatus_is_write_1_to_clear_and_reading_does_not_clear() -> None:
    h = Host()
    h.w1(TXPOLL, FSWINT)
    h.setup_rx()
    h.deliver(frame(MAC))
    assert h.r2(INTRSTATUS) == ROK | SWINT
    assert h.r2(INTRSTATUS) == ROK | SWINT                         # not read-to-clear
    h.w2(INTRSTATUS, 0)                                            # 0s clear nothing
    assert h.r2(INTRSTATUS) == ROK | SWINT
    h.w2(INTRSTATUS, ROK)
    assert h.r2(INTRSTATUS) == SWINT
    h.w1(INTRSTATUS + 1, SWINT >> 8)                               # a byte lane of it
    assert h.r2(INTRSTATUS) == 0


def test_re_6_1_undefined_status_bits_read_0() -> None:
    h = Host()
    h.w2(INTRMASK, 0xFFFF)
    assert h.r2(INTRMASK) == 0xC1FF


def test_re_6_2_line_is_asserted_while_status_and_mask_is_nonzero() -> None:
    h = Host()
    line = h.dev.irq
    h.setup_rx()
    h.deliver(frame(MAC))
    assert not line.level                                          # ROK not enabled
    h.w2(INTRMASK, ROK)
    assert line.level
    h.w2(INTRMASK, 0)
    assert not line.level
    h.w2(INTRMASK, ROK | TOK)
    assert line.level
    h.w2(INTRSTATUS, ROK)
    assert not line.level


def test_re_6_2_handler_through_machine_acknowledges_by_writing_1s() -> None:
    h = Host()
    h.setup_rx()
    seen: list[int] = []

    def re_intr() -> None:
        status = h.r2(INTRSTATUS)
        seen.append(status)
        h.w2(INTRSTATUS, status)

    h.machine.intr_establish(h.dev, re_intr)
    h.w2(INTRMASK, ROK)
    h.deliver(frame(MAC))
    h.sched.run_until_idle()
    assert seen == [ROK] and not h.dev.irq.level
    # a handler that does not acknowledge is called again (level-triggered)
    calls: list[int] = []
    h2 = Host()
    h2.machine.intr_establish(h2.dev, lambda: calls.append(h2.sched.now))
    h2.w2(INTRMASK, SWINT)
    h2.w1(TXPOLL, FSWINT)
    h2.sched.run_until_idle(max_events=5)
    assert len(calls) == 5


def test_re_6_2_a_lost_delivery_is_redelivered_at_the_next_enabled_cause() -> None:
    h = Host()
    h.setup_rx()
    lost = [True]
    h.machine.intr_filter = lambda line: not lost.pop() if lost else True
    got: list[int] = []

    def re_intr() -> None:
        got.append(h.r2(INTRSTATUS))
        h.w2(INTRSTATUS, got[-1])

    h.machine.intr_establish(h.dev, re_intr)
    h.w2(INTRMASK, ROK | SWINT)
    h.deliver(frame(MAC))
    h.sched.run_until_idle()
    assert got == [] and h.dev.irq.level and h.machine.interrupts_lost == 1
    h.w1(TXPOLL, FSWINT)                                           # the software interrupt
    h.sched.run_until_idle()
    assert got == [ROK | SWINT]


# -- §3.6 / §9 link -----------------------------------------------------------------------------
def test_re_3_6_phystatus_reports_link_full_duplex_1000() -> None:
    h = Host()
    assert h.r1(PHYSTATUS) == FULLDUP | LINKSTS | SPEED_1000 == 0x13
    h.w1(PHYSTATUS, 0)                                             # RO
    assert h.r1(PHYSTATUS) == 0x13


def test_re_9_linkchg_on_carrier_loss_and_return() -> None:
    h = Host()
    h.w2(INTRMASK, LINKCHG)
    h.dev.link_changed(False)
    assert h.r1(PHYSTATUS) & LINKSTS == 0
    assert h.r2(INTRSTATUS) == LINKCHG and h.dev.irq.level
    h.w2(INTRSTATUS, LINKCHG)
    h.dev.link_changed(False)                                      # no change, no cause
    assert h.r2(INTRSTATUS) == 0
    h.dev.link_changed(True)
    assert h.r1(PHYSTATUS) & LINKSTS and h.r2(INTRSTATUS) == LINKCHG


def test_re_9_no_cable_no_link_and_disconnect_drops_it() -> None:
    h = Host(connect=False)
    assert not h.dev.link
    h.dev.link_changed(True)                                       # carrier without a port
    assert not h.dev.link
    h.dev.connect(h.port)
    assert h.dev.link and h.r2(INTRSTATUS) & LINKCHG
    h.dev.disconnect()
    assert not h.dev.link and h.r1(PHYSTATUS) == 0


# -- §3.8 MPC, §3.9 tally ------------------------------------------------------------------------
def test_re_3_8_mpc_counts_frames_missed_and_any_write_clears_it() -> None:
    h = Host()
    h.setup_rx(n=2, owned=0)                                       # nothing handed over
    for _ in range(3):
        h.deliver(frame(MAC))
    assert h.r4(MPC) == 3 and h.r2(INTRSTATUS) & RDU
    h.w1(MPC + 3, 0)                                               # any write
    assert h.r4(MPC) == 0


def test_re_3_8_mpc_is_24_bits_and_stops_at_its_maximum() -> None:
    h = Host()
    h.setup_rx(n=2, owned=0)
    h.dev.regs[MPC] = 0xFF_FFFE
    for _ in range(3):
        h.deliver(frame(MAC))
    assert h.r4(MPC) == 0xFF_FFFF


def test_re_3_9_dtccr_cmd_dumps_the_tally_counters_and_clears() -> None:
    sched = Scheduler()
    a = Host(sched, mac=MAC)
    b = Host(sched, mac=PEER)
    a.port.peer = b.dev
    a.setup_tx()
    b.setup_rx(n=4, owned=3, rxconfig=APM | AB)
    a.send(frame(PEER, MAC))
    a.send(frame(b"\xff" * 6, MAC))
    a.send(frame(bytes.fromhex("02000000cccc"), MAC))              # filtered at b
    a.send(frame(PEER, MAC))
    a.send(frame(PEER, MAC))                                       # no descriptor left at b
    a.dev.link_changed(False)
    a.send(frame(PEER, MAC))                                       # not sent: TxErr
    sched.run_until_idle()
    ta = a.dump_tally()
    tb = b.dump_tally()
    assert a.r4(DTCCR_LO) & DTCCR_CMD == 0
    assert ta[:3] == (5, 0, 1)                                     # TxOk, RxOk, TxErr
    assert tb[1] == 3 and tb[4] == 1                               # RxOk, MissPkt
    assert (tb[8], tb[9], tb[10]) == (2, 1, 0)                     # RxOkPhy, RxOkBrd, RxOkMul
    assert b.dump_tally() == tb                                    # a dump does not clear


def test_re_3_9_tally_counters_wrap_at_their_width() -> None:
    h = Host()
    h.setup_rx(n=2, owned=0)
    h.dev.tally[4] = 0xFFFF                                        # MissPkt is 16 bits
    h.deliver(frame(MAC))
    assert h.dump_tally()[4] == 0


def test_re_3_9_dump_outside_memory_sets_serr_and_counts_a_dma_fault() -> None:
    h = Host()
    h.w2(INTRMASK, SERR)
    h.w4(DTCCR_HI, 0)
    h.w4(DTCCR_LO, h.mem.size | DTCCR_CMD)                     # just past the end of memory
    assert h.dev.dma_faults == 1 and h.r2(INTRSTATUS) == SERR and h.dev.irq.level
    assert h.r4(DTCCR_LO) & DTCCR_CMD == 0


# -- §3.2 TxPoll --------------------------------------------------------------------------------
def test_re_3_2_txpoll_reads_0_and_hpq_is_counted_not_sent() -> None:
    h = Host()
    h.setup_tx()
    h.put_txd(frame(PEER))
    h.w1(TXPOLL, HPQ)
    assert h.port.sent == [] and h.dev.hpq_polls == 1
    assert h.r1(TXPOLL) == 0
    h.w1(TXPOLL, NPQ)
    assert len(h.port.sent) == 1


# -- §10 observability ----------------------------------------------------------------------------
def test_re_10_trace_hook_reports_drops_interrupts_and_link() -> None:
    h = Host()
    events: list[tuple[str, dict]] = []
    h.dev.trace = lambda ev, **f: events.append((ev, f))
    h.setup_rx()
    h.w2(INTRMASK, ROK)
    h.deliver(frame(b"\x02\x00\x00\x00\x00\x99"))
    h.deliver(frame(MAC))
    h.dev.link_changed(False)
    assert events[0] == ("re_rx_drop", {"dev": "re0", "reason": "filter mismatch", "len": 64})
    assert events[1][0] == "re_intr" and events[1][1]["isr"] & ROK
    assert events[2] == ("re_link", {"dev": "re0", "up": False})
    assert set(h.dev.drops) == {"filter mismatch", "no descriptors", "DMA fault", "link down",
                                "receiver disabled", "oversize", "runt", "bad descriptor",
                                "tx bad length"}


def test_re_two_devices_joined_by_a_port_exchange_a_frame() -> None:
    sched = Scheduler()
    a = Host(sched, mac=MAC)
    b = Host(sched, mac=PEER)
    a.port.peer = b.dev
    b.port.peer = a.dev
    a.setup_tx()
    b.setup_rx()
    b.w2(INTRMASK, ROK)
    got: list[int] = []
    b.machine.intr_establish(b.dev, lambda: got.append(b.r2(INTRSTATUS)))
    data = frame(PEER, src=MAC, size=98)
    a.send(data)
    sched.run_until_idle(max_events=10)
    assert got and got[0] & ROK
    opts1, opts2, _ = b.rxd(0)
    assert opts1 & (OWN | FS | LS) == FS | LS and opts1 & 0x3FFF == 102 and opts2 == 0
    assert b.rx_data(0, 102) == with_crc(data)
    assert a.txd(0)[0] & OWN == 0
    assert a.r2(INTRSTATUS) == TOK | TDU
    assert (a.dev.tx_cur, b.dev.rx_cur) == (1, 1)
