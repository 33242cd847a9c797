"""em model, transmit (docs/hw/em.md §7, §6.1 TX causes): the test acts as the driver."""
from __future__ import annotations

from tests.emu.devices.em_harness import (
    CMD_DEXT, CMD_EOP, CMD_IFCS, CMD_RS, CTRL, GOTCL, GPTC, ICR, IMS, MAC, PEER, STA_DD,
    TCTL, TCTL_EN, TCTL_PSP, TDH, TDLEN, TDT, TPT, TXDW, TXQE, Host, frame,
)

EOP_RS = CMD_EOP | CMD_IFCS | CMD_RS


def test_em_7_2_tdt_write_sends_the_frame_and_writes_dd_for_rs() -> None:
    h = Host()
    h.setup_tx()
    data = frame(PEER, src=MAC, size=98)
    i = h.send(data, EOP_RS)
    assert h.port.sent == [data]
    assert type(h.port.sent[0]) is bytes
    assert h.txd(i)[4] & STA_DD
    assert h.r(TDH) == h.r(TDT) == 1
    assert h.r(ICR) == TXDW | TXQE
    assert h.r(GPTC) == 1 and h.r(TPT) == 1 and h.r(GOTCL) == 98


def test_em_7_1_without_rs_no_dd_and_no_txdw_but_txqe() -> None:
    h = Host()
    h.setup_tx()
    i = h.send(frame(PEER, size=64), CMD_EOP | CMD_IFCS)
    assert len(h.port.sent) == 1
    assert h.txd(i)[4] == 0
    assert h.r(ICR) == TXQE


def test_em_6_1_txdw_and_txqe_interrupt_when_enabled() -> None:
    h = Host()
    h.setup_tx()
    got: list[int] = []
    h.machine.intr_establish(h.dev, lambda: got.append(h.r(ICR)))
    h.w(IMS, TXDW)
    h.send(frame(PEER), EOP_RS)
    h.sched.run_until_idle()
    assert got == [TXDW | TXQE]


def test_em_7_2_psp_pads_short_frames_to_60_bytes_with_zeros() -> None:
    h = Host()
    h.setup_tx(tctl=TCTL_EN | TCTL_PSP)
    data = frame(PEER, size=42)
    h.send(data, EOP_RS)
    assert h.port.sent[-1] == data + bytes(18)
    assert h.r(GOTCL) == 60
    h.w(TCTL, TCTL_EN)                                   # PSP off: sent as is
    h.send(data, EOP_RS)
    assert h.port.sent[-1] == data
    h.w(TCTL, TCTL_EN | TCTL_PSP)
    long = frame(PEER, size=61)
    h.send(long, EOP_RS)
    assert h.port.sent[-1] == long


def test_em_7_2_a_frame_gathered_from_several_descriptors_until_eop() -> None:
    h = Host()
    h.setup_tx()
    data = frame(PEER, size=300)
    pieces = [data[:14], data[14:54], b"", data[54:]]
    idx = [h.put_txd(pieces[0], CMD_IFCS),
           h.put_txd(pieces[1], CMD_IFCS | CMD_RS),
           h.put_txd(pieces[2], CMD_IFCS),
           h.put_txd(pieces[3], EOP_RS)]
    h.w(TDT, h.tx_tail)
    assert h.port.sent == [data]
    assert [h.txd(i)[4] & STA_DD for i in idx] == [0, STA_DD, 0, STA_DD]
    assert h.r(TDH) == 4
    assert h.r(GPTC) == 1


def test_em_7_2_one_doorbell_sends_every_frame_up_to_tdt() -> None:
    h = Host()
    h.setup_tx(n=8)
    frames = [frame(PEER, size=64 + i) for i in range(5)]
    for f in frames:
        h.put_txd(f, EOP_RS)
    h.w(TDT, h.tx_tail)
    assert h.port.sent == frames
    assert h.r(TDH) == 5
    assert h.r(GPTC) == 5


def test_em_7_2_tdh_wraps_at_tdlen_over_16() -> None:
    h = Host()
    h.setup_tx(n=8)
    for k in range(11):
        h.send(frame(PEER, size=64 + k), EOP_RS)
    assert h.r(TDH) == h.r(TDT) == 3
    assert len(h.port.sent) == 11


def test_em_3_4_tdt_write_with_en_0_only_records_the_tail_until_enabled() -> None:
    h = Host()
    h.setup_tx(tctl=TCTL_PSP)                            # EN = 0
    data = frame(PEER)
    i = h.send(data, EOP_RS)
    assert h.r(TDT) == 1 and h.r(TDH) == 0
    assert h.port.sent == [] and h.txd(i)[4] == 0
    assert h.r(ICR) == 0
    h.w(TCTL, TCTL_EN | TCTL_PSP)                        # enabling starts the pending ones
    assert h.port.sent == [data]
    assert h.r(TDH) == 1
    assert h.r(ICR) == TXDW | TXQE


def test_em_7_2_link_down_consumes_frames_without_sending() -> None:
    h = Host()
    h.setup_tx()
    h.w(CTRL, 0)                                         # SLU = 0
    i = h.send(frame(PEER), EOP_RS)
    assert h.port.sent == []
    assert h.txd(i)[4] & STA_DD
    assert h.r(TDH) == 1
    assert h.r(ICR) & (TXDW | TXQE) == TXDW | TXQE
    assert h.dev.drops["link down"] == 1
    assert h.r(GPTC) == 0


def test_em_7_2_port_refusing_the_frame_counts_link_down() -> None:
    h = Host()
    h.setup_tx()
    h.port.link_up = False                               # carrier lost, not yet reported
    h.send(frame(PEER), EOP_RS)
    assert h.dev.drops["link down"] == 1
    assert h.r(GPTC) == 0


def test_em_7_2_frame_of_length_0_dropped_as_tx_bad_length() -> None:
    h = Host()
    h.setup_tx()
    i = h.send(b"", EOP_RS)
    assert h.port.sent == []
    assert h.dev.drops["tx bad length"] == 1
    assert h.txd(i)[4] & STA_DD                          # completed as usual
    assert h.r(TDH) == 1


def test_em_7_2_frame_over_16288_bytes_dropped_as_tx_bad_length() -> None:
    h = Host(mem_size=4 << 20)
    h.setup_tx(n=8)
    h.put_txd(bytes(8000), CMD_IFCS)
    h.put_txd(bytes(8288), EOP_RS)                       # exactly 16288: sent
    h.put_txd(bytes(8000), CMD_IFCS)
    h.put_txd(bytes(8289), EOP_RS)                       # 16289: dropped
    h.w(TDT, h.tx_tail)
    assert [len(f) for f in h.port.sent] == [16288]
    assert h.dev.drops["tx bad length"] == 1
    assert h.r(TDH) == 4
    h.send(frame(PEER), EOP_RS)                          # next frame starts clean
    assert h.port.sent[-1] == frame(PEER)


def test_em_7_2_runaway_frame_without_eop_is_bounded_and_dropped() -> None:
    h = Host(mem_size=4 << 20)
    h.setup_tx(n=64)
    buf = h.mem.alloc(0xFFFF)
    for _ in range(40):                                  # 40 x 64 KiB without EOP
        h.put_txd(b"", CMD_IFCS, addr=buf)
        lo = h.tx_ring + 16 * ((h.tx_tail - 1) % 64)
        h.ram[lo + 8:lo + 10] = (0xFFFF).to_bytes(2, "little")
    h.put_txd(bytes(10), EOP_RS)
    h.w(TDT, h.tx_tail)
    assert h.port.sent == []
    assert h.dev.drops["tx bad length"] == 1
    assert sum(len(p) for p in h.dev._tx_parts) == 0


def test_em_7_1_dext_descriptors_are_skipped_and_counted() -> None:
    h = Host()
    h.setup_tx()
    data = frame(PEER)
    h.put_txd(bytes(16), CMD_DEXT | CMD_RS)              # a context descriptor
    i = h.put_txd(data, EOP_RS)
    h.w(TDT, h.tx_tail)
    assert h.port.sent == [data]
    assert h.dev.tx_bad_desc == 1
    assert h.txd(0)[4] & STA_DD and h.txd(i)[4] & STA_DD
    assert h.r(TDH) == 2


def test_em_7_1_ifcs_clear_is_recorded() -> None:
    h = Host()
    h.setup_tx()
    h.send(frame(PEER), CMD_EOP | CMD_RS)
    h.send(frame(PEER), EOP_RS)
    assert h.dev.tx_no_ifcs == 1
    assert len(h.port.sent) == 2


def test_em_7_2_tdt_equal_tdh_sends_nothing() -> None:
    h = Host()
    h.setup_tx()
    h.w(TDT, 0)
    assert h.r(ICR) == 0
    assert h.port.sent == []


def test_em_7_2_tail_beyond_the_ring_sends_nothing() -> None:
    h = Host()
    events = []
    h.dev.trace = lambda ev, **f: events.append(ev)
    h.setup_tx(n=8)
    h.put_txd(frame(PEER), EOP_RS)
    h.w(TDT, 9)
    assert h.port.sent == []
    assert h.r(TDH) == 0
    assert events == ["em_tx_bad_ring"]
    h.w(TDLEN, 0)
    h.w(TDT, 1)
    assert h.port.sent == []


def test_em_7_2_a_frame_handed_over_by_two_doorbells_goes_out_at_eop() -> None:
    h = Host()
    h.setup_tx()
    data = frame(PEER, size=120)
    h.put_txd(data[:50], CMD_IFCS)
    h.w(TDT, h.tx_tail)
    assert h.port.sent == []
    assert h.r(TDH) == 1
    assert h.r(ICR) == TXQE
    h.put_txd(data[50:], EOP_RS)
    h.w(TDT, h.tx_tail)
    assert h.port.sent == [data]
