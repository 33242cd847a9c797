"""em model, DMA faults (docs/hw/em.md §5.4, §6.2): no exception, the error state instead."""
from __future__ import annotations

import struct

from tests.emu.devices.em_harness import (
    CMD_EOP, CMD_IFCS, CMD_RS, DD, EOP, GPRC, ICR, MAC, PEER, RCTL, RCTL_BAM, RCTL_BSIZE,
    RCTL_EN, RDBAH, RDBAL, RDH, RDT, STA_DD, TCTL, TCTL_EN, TCTL_PSP, TDBAH, TDBAL,
    TDH, TDT, TXDESC, TXQE, Host, frame,
)

EOP_RS = CMD_EOP | CMD_IFCS | CMD_RS


def reinit_rx(h: Host) -> None:
    """What a driver's init does: point the ring at good memory and enable."""
    for i, b in enumerate(h.rx_bufs):
        struct.pack_into("<QQ", h.ram, h.rx_ring + 16 * i, b, 0)
    h.w(RDBAL, h.rx_ring)
    h.w(RDBAH, 0)
    h.w(RDH, 0)
    h.w(RDT, h.rx_n - 1)
    h.w(RCTL, RCTL_EN | RCTL_BAM)


# -- §5.4 RX -----------------------------------------------------------------------------
def test_em_5_4_rx_descriptor_fetch_outside_memory_stops_the_receiver() -> None:
    h = Host()
    h.setup_rx()
    h.w(RDBAL, h.mem.size - 64)                          # descriptor 4+ lies outside
    h.w(RDH, 4)
    h.deliver(frame(MAC))
    assert h.dev.dma_faults == 1
    assert h.dev.drops["DMA fault"] == 1
    assert not h.r(RCTL) & RCTL_EN                       # EN reads back 0
    assert h.r(RDH) == 4
    assert h.r(GPRC) == 0
    h.deliver(frame(MAC))                                # stopped: not even fetched
    assert h.dev.drops["receiver disabled"] == 1
    assert h.dev.dma_faults == 1
    reinit_rx(h)
    h.deliver(frame(MAC))
    assert h.rxd(0)[3] == DD | EOP
    assert h.r(GPRC) == 1


def test_em_5_4_rx_ring_base_beyond_memory_high_half() -> None:
    h = Host()
    h.setup_rx()
    h.w(RDBAH, 1)                                        # 4 GiB up
    h.deliver(frame(MAC))
    assert h.dev.dma_faults == 1
    assert not h.r(RCTL) & RCTL_EN


def test_em_5_4_rx_buffer_outside_memory_stops_the_receiver() -> None:
    h = Host()
    h.setup_rx()
    h.deliver(frame(MAC))                                # descriptor 0: fine
    h.set_rxd_addr(1, h.mem.size - 10)                   # 64 bytes do not fit
    h.deliver(frame(MAC))
    assert h.dev.dma_faults == 1
    assert h.dev.drops["DMA fault"] == 1
    assert not h.r(RCTL) & RCTL_EN
    assert h.r(RDH) == 1                                 # stays at the failing descriptor
    assert h.rxd(0)[3] == DD | EOP                       # earlier frames stay written
    assert h.rxd(1)[3] == 0
    assert bytes(h.ram[h.mem.size - 10:]) == bytes(10)   # nothing written past the end
    h.set_rxd_addr(1, h.rx_bufs[1])
    h.w(RCTL, RCTL_EN | RCTL_BAM)                        # software writes EN again
    h.deliver(frame(MAC, size=77))
    assert h.rxd(1)[1:4] == (77, 0, DD | EOP)


def test_em_5_4_fault_in_a_later_buffer_writes_back_no_descriptor_of_the_frame() -> None:
    h = Host()
    h.setup_rx(n=8, bufsize=256, rctl=RCTL_EN | RCTL_BSIZE(0b11))
    h.set_rxd_addr(2, 1 << 40)
    h.deliver(frame(MAC, size=700))                      # needs descriptors 0, 1, 2
    assert h.dev.dma_faults == 1
    assert [h.rxd(i)[3] for i in range(3)] == [0, 0, 0]
    assert h.r(RDH) == 0
    assert h.r(GPRC) == 0


# -- §6.2 TX ----------------------------------------------------------------------------
def test_em_6_2_tx_descriptor_fetch_outside_memory_stops_transmission() -> None:
    h = Host()
    h.setup_tx()
    h.w(TDBAL, h.mem.size - 16)                          # descriptor 0 fits, 1 does not
    TXDESC.pack_into(h.ram, h.mem.size - 16, h.tx_ring, 0, 0, CMD_IFCS, 0, 0, 0)
    h.w(TDT, 2)
    assert h.dev.dma_faults == 1
    assert h.dev.drops["DMA fault"] == 1
    assert h.r(TDH) == 1                                 # stays at the failing descriptor
    assert not h.r(TCTL) & TCTL_EN
    assert not h.r(ICR) & TXQE
    assert h.port.sent == []
    # recovery: reinitialise the ring and set EN
    h.w(TDBAL, h.tx_ring)
    h.w(TDBAH, 0)
    h.w(TDH, 0)
    h.w(TDT, 0)
    h.tx_tail = 0
    h.w(TCTL, TCTL_EN | TCTL_PSP)
    data = frame(PEER)
    h.send(data, EOP_RS)
    assert h.port.sent == [data]


def test_em_6_2_tx_buffer_outside_memory_drops_the_frame_and_stops() -> None:
    h = Host()
    h.setup_tx()
    good = frame(PEER, size=80)
    h.send(good, EOP_RS)                                 # descriptor 0 goes out
    h.put_txd(good[:20], CMD_IFCS | CMD_RS)              # 1: first part of a frame
    TXDESC.pack_into(h.ram, h.tx_ring + 32, h.mem.size - 8, 60, 0, EOP_RS, 0, 0, 0)  # 2: bad
    h.tx_tail = 3
    h.put_txd(good, EOP_RS)                              # 3: never reached
    h.r(ICR)
    h.w(TDT, h.tx_tail)
    assert h.port.sent == [good]
    assert h.dev.dma_faults == 1
    assert h.r(TDH) == 2                                 # at the failing descriptor
    assert not h.r(TCTL) & TCTL_EN
    assert h.txd(2)[4] == 0 and h.txd(3)[4] == 0
    assert not h.r(ICR) & TXQE
    # software fixes the descriptor and re-enables: transmission resumes at TDH,
    # the partial frame from descriptor 1 having been dropped
    fixed = frame(PEER, size=90)
    buf = h.mem.alloc(len(fixed))
    h.ram[buf:buf + len(fixed)] = fixed
    TXDESC.pack_into(h.ram, h.tx_ring + 32, buf, len(fixed), 0, EOP_RS, 0, 0, 0)
    h.w(TCTL, TCTL_EN | TCTL_PSP)
    assert h.port.sent == [good, fixed, good]
    assert h.r(TDH) == 4
    assert h.txd(2)[4] & STA_DD


def test_em_6_2_buffer_address_of_all_ones_is_a_fault_not_an_exception() -> None:
    h = Host()
    h.setup_tx()
    TXDESC.pack_into(h.ram, h.tx_ring, (1 << 64) - 1, 0xFFFF, 0, EOP_RS, 0, 0, 0)
    h.w(TDT, 1)
    assert h.dev.dma_faults == 1
    h.setup_rx()
    h.set_rxd_addr(0, (1 << 64) - 1)
    h.deliver(frame(MAC))
    assert h.dev.dma_faults == 2
