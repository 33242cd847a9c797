"""re model, DMA faults (docs/hw/re.md §5.5, §7.3): no exception, the error state instead."""
from __future__ import annotations

from tests.emu.devices.re_harness import (
    CHIPCMD, CMD_RE, CMD_RST, CMD_TE, FS, INTRMASK, INTRSTATUS, LS, MAC, OWN, PEER, RDSAR_HI,
    RDSAR_LO, RX_LEN, SERR, TNPDS_LO, TOK, Host, frame,
)


def reinit_rx(h: Host) -> None:
    """What a driver's init does: reset, point the ring at good memory, enable."""
    h.w1(CHIPCMD, CMD_RST)
    for i in range(h.rx_n):
        h.give_rxd(i)
    h.setup_rx(n=h.rx_n, bufsize=h.rx_bufsize)


# -- §5.5 RX ---------------------------------------------------------------------------------
def test_re_5_5_rx_descriptor_fetch_outside_memory_stops_the_receiver_with_serr() -> None:
    h = Host()
    h.setup_rx()
    h.w2(INTRMASK, SERR)
    h.w4(RDSAR_LO, h.mem.size - 0x100)                            # descriptor 16+ lies outside
    h.dev.rx_cur = 16
    h.deliver(frame(MAC))
    assert h.dev.dma_faults == 1 and h.dev.drops["DMA fault"] == 1
    assert h.r1(CHIPCMD) & CMD_RE == 0
    assert h.r2(INTRSTATUS) == SERR and h.dev.irq.level
    assert h.dev.rx_cur == 16
    h.deliver(frame(MAC))                                         # stopped: not even fetched
    assert h.dev.drops["receiver disabled"] == 1 and h.dev.dma_faults == 1
    h.w4(RDSAR_LO, h.rx_ring)
    h.w1(CHIPCMD, CMD_RE)
    h.deliver(frame(MAC))
    assert h.rxd(0)[0] & (OWN | LS) == LS


def test_re_5_5_rx_ring_base_beyond_memory_high_half() -> None:
    h = Host()
    h.setup_rx()
    h.w4(RDSAR_HI, 1)                                             # 4 GiB up
    h.deliver(frame(MAC))
    assert h.dev.dma_faults == 1 and not h.r1(CHIPCMD) & CMD_RE


def test_re_5_5_rx_buffer_outside_memory_stops_the_receiver() -> None:
    h = Host()
    h.setup_rx()
    h.deliver(frame(MAC))                                         # descriptor 0: fine
    h.set_rxd_addr(1, h.mem.size - 10)                            # 68 bytes do not fit
    h.deliver(frame(MAC))
    assert h.dev.dma_faults == 1
    assert h.rxd(1)[0] & OWN                                      # not written back
    assert h.dev.rx_cur == 1 and h.dev.tally[1] == 1
    reinit_rx(h)
    h.deliver(frame(MAC))
    assert h.rxd(0)[0] & (OWN | LS) == LS


def test_re_5_5_fault_in_a_later_buffer_writes_no_descriptor_and_no_data() -> None:
    h = Host()
    h.setup_rx(bufsize=128)
    h.set_rxd_addr(2, 0xFFFF_FFFF_FFFF_FFF0)
    h.deliver(frame(MAC, size=300))                               # 0, 1, then 2 faults
    assert h.dev.dma_faults == 1
    assert all(h.rxd(i)[0] & OWN for i in range(3))
    assert h.rx_data(0, 16) == bytes(16)


# -- §7.3 TX ------------------------------------------------------------------------------------
def test_re_7_3_tx_descriptor_fetch_outside_memory_stops_transmission_with_serr() -> None:
    h = Host()
    h.setup_tx()
    h.w2(INTRMASK, SERR)
    h.w4(TNPDS_LO, h.mem.size - 0x100)
    h.dev.tx_cur = 16
    h.poll()
    assert h.dev.dma_faults == 1 and h.dev.drops["DMA fault"] == 1
    assert h.r1(CHIPCMD) & CMD_TE == 0
    assert h.r2(INTRSTATUS) == SERR and h.dev.irq.level
    assert h.dev.tx_cur == 16


def test_re_7_3_tx_buffer_outside_memory_drops_the_frame_earlier_frames_stay_sent() -> None:
    h = Host()
    h.setup_tx()
    good = frame(PEER)
    h.put_txd(good)
    h.put_txd(b"a" * 100, flags=FS)
    h.put_txd(b"b" * 100, flags=LS, addr=h.mem.size - 50)         # 100 bytes do not fit
    h.put_txd(frame(PEER, size=70))                               # behind the fault
    h.poll()
    assert h.port.sent == [good]
    assert h.dev.dma_faults == 1
    assert h.txd(0)[0] & OWN == 0
    assert h.txd(1)[0] & OWN and h.txd(2)[0] & OWN and h.txd(3)[0] & OWN
    assert h.dev.tx_cur == 1                                      # at the faulted frame's FS
    assert h.r2(INTRSTATUS) == TOK | SERR
    h.poll()                                                      # TE is off: ignored
    assert h.dev.tx_poll_ignored == 1 and len(h.port.sent) == 1
    # recovery: reset, reprogram, fix the descriptor, poll again
    h.w1(CHIPCMD, CMD_RST)
    h.setup_tx()
    h.send(frame(PEER, size=80))
    assert len(h.port.sent) == 2 and h.r1(CHIPCMD) & CMD_TE


def test_re_7_3_buffer_address_of_all_ones_is_a_fault_not_an_exception() -> None:
    h = Host()
    h.setup_tx()
    h.setup_rx()
    h.put_txd(b"x" * 64, addr=0xFFFF_FFFF_FFFF_FFFF)
    h.poll()
    h.set_rxd_addr(0, 0xFFFF_FFFF_FFFF_FFFF)
    h.deliver(frame(MAC))
    assert h.dev.dma_faults == 2
    assert h.rxd(0)[0] & RX_LEN == 2048                           # untouched
