"""re(4) under injected faults: lost interrupts, ring exhaustion, DMA faults, corrupted
descriptors, link flaps, lost TxPoll writes.

Each test injects one fault with emu/faults.py between the driver and the
device model and checks that the driver notices, counts and recovers, and
that every frame is either delivered or counted as dropped somewhere — the
same faults as test_if_em_faults.py, on a NIC with OWN-bit rings and no
head/tail registers (docs/hw/re.md §4.3).  The faults em and re recover
from alike are in test_if_nic_faults.py, run on both.
"""
from __future__ import annotations

import pytest

from emu.sched import MS
from kernel.wire.net_if import IFF, LinkState
from tests.drivers.nic_lab import hosts
from tests.drivers.re_lab import ReLab, payload_of, relab  # noqa: F401

CHIPCMD, TXPOLL, INTRSTATUS, MPC = 0x37, 0x38, 0x3E, 0x4C     # docs/hw/re.md §2
CMD_TE, CMD_RE = 1 << 2, 1 << 3
TOK = 1 << 2



def test_injector_interposes_on_byte_and_word_writes(relab: ReLab) -> None:
    """re's TxPoll and IntrStatus are 8- and 16-bit registers (§2.1)."""
    a, b = hosts(relab)
    a.faults.drop_writes(TXPOLL, 1)
    a.send(b.mac, payload_of(64))
    assert a.faults.counts["writes_dropped"] == 1
    relab.run(1 * MS)
    assert b.received == []


# ---------------------------------------------------------------------------
# lost interrupts
# ---------------------------------------------------------------------------
def test_re_lost_interrupt_recovered_by_re_tick(relab: ReLab) -> None:
    """A lost interrupt with no later traffic: re_tick finds the pending ROK."""
    a, b = hosts(relab)
    b.faults.lose_interrupts(1)
    a.send(b.mac, payload_of(64, 0))
    relab.run(100 * MS)
    assert b.received == []                                # waiting in the ring
    assert b.machine.interrupts_lost == 1
    relab.run_s(1.0)
    assert b.received == [payload_of(64, 0)]
    assert b.sc.intr_missed == 1
    assert b.faults.counts["interrupts_lost"] == 1


# ---------------------------------------------------------------------------
# RX ring exhaustion: descriptors handed back late
# ---------------------------------------------------------------------------
def test_re_rx_ring_exhaustion_counted_in_mpc_missed_and_ierrors(relab: ReLab) -> None:
    """OWN hand-overs held back: the NIC uses up the 256 it owned, then drops (§5.4);
    sent = received + missed, and every drop is counted in MPC, the tally and RDU."""
    a, b = hosts(relab)
    b.faults.hold_rx_tail(40 * MS)
    nsent = 0
    for _ in range(8):                                     # 400 frames in 40 ms
        for _ in range(50):
            assert a.send(b.mac, payload_of(64, nsent)) == 0
            nsent += 1
        relab.run(5 * MS)
    relab.run(10 * MS)                                     # hand-overs reach the NIC
    for _ in range(100):
        a.send(b.mac, payload_of(64, nsent))
        nsent += 1
    missed_reg = b.reg4(MPC)
    relab.run_s(1.1)                                       # tally read by re_tick
    missed = b.sc.stats["rl_missed_pkts"]
    assert missed > 0 and missed == missed_reg == b.dev.drops["no descriptors"]
    assert len(b.received) == 256 + 100                   # the ring, then everything again
    assert nsent == len(b.received) + missed
    assert b.sc.rx_desc_unavail >= 1                       # RDU seen
    assert b.faults.counts["rx_own_held"] == missed
    assert b.ifp.if_data.ifi_ierrors == missed


def test_re_line_rate_burst_into_a_small_ring_loses_nothing(relab: ReLab) -> None:
    """No interrupt moderation (§11): each ROK is serviced at once, 32 descriptors suffice."""
    a, b = hosts(relab, b_kw={"hints": {"hw.re.rxd": "32"}})
    sent = []
    for _ in range(4):
        for _ in range(200):
            p = payload_of(64, len(sent))
            sent.append(p)
            assert a.send(b.mac, p) == 0
        relab.run(2 * MS)
    assert b.received == sent
    assert b.dev.drops == dict.fromkeys(b.dev.drops, 0)


# ---------------------------------------------------------------------------
# DMA faults and corrupted descriptors
# ---------------------------------------------------------------------------
def test_re_rx_dma_fault_serr_handled_at_once_traffic_resumes(relab: ReLab) -> None:
    a, b = hosts(relab)
    for i in range(5):
        a.send(b.mac, payload_of(64, i))
    relab.run(1 * MS)
    b.faults.corrupt_rx_descriptor()
    a.send(b.mac, payload_of(64, 5))                       # hits the bad descriptor
    relab.run(1 * MS)
    assert b.dev.dma_faults == 1 and b.dev.drops["DMA fault"] == 1
    assert b.sc.system_errors == 1                         # SERR: re_init from the interrupt
    assert b.reg1(CHIPCMD) & (CMD_RE | CMD_TE) == CMD_RE | CMD_TE
    for i in range(10):
        a.send(b.mac, payload_of(64, 100 + i))
    relab.run(1 * MS)
    assert b.received == [payload_of(64, i) for i in range(5)] + \
        [payload_of(64, 100 + i) for i in range(10)]
    assert b.faults.counts["rx_desc_corrupted"] == 1


def test_re_rx_dma_fault_with_its_serr_interrupt_lost_is_found_by_re_tick(relab: ReLab) -> None:
    a, b = hosts(relab)
    b.faults.lose_interrupts(1)
    b.faults.corrupt_rx_descriptor()
    a.send(b.mac, payload_of(64, 0))
    relab.run(1 * MS)
    assert b.reg1(CHIPCMD) & CMD_RE == 0                   # §5.5: the receiver stopped
    a.send(b.mac, payload_of(64, 1))
    relab.run(1 * MS)
    assert b.dev.drops["receiver disabled"] == 1
    relab.run_s(1.0)
    assert b.sc.engine_stopped == 1
    a.send(b.mac, payload_of(64, 2))
    relab.run(1 * MS)
    assert b.received == [payload_of(64, 2)]


def test_re_tx_dma_fault_serr_reinit_discards_the_frame_traffic_resumes(relab: ReLab) -> None:
    a, b = hosts(relab)
    a.send(b.mac, payload_of(64, 0))
    relab.run(1 * MS)
    a.faults.corrupt_next_tx_descriptor()
    a.send(b.mac, payload_of(64, 1))                       # its descriptor points nowhere
    assert a.dev.dma_faults == 1
    assert a.reg1(CHIPCMD) & CMD_TE == 0                   # §7.3: transmitter stopped
    relab.run(1 * MS)
    assert a.sc.system_errors == 1
    assert a.sc.tx_discarded == 1 and a.ifp.if_data.ifi_oerrors == 1
    for i in range(10):
        a.send(b.mac, payload_of(64, 100 + i))
    relab.run(1 * MS)
    assert b.received == [payload_of(64, 0)] + [payload_of(64, 100 + i) for i in range(10)]
    assert a.faults.counts["tx_desc_corrupted"] == 1


def test_re_4_1_rx_descriptor_without_buffer_size_is_an_input_error(relab: ReLab) -> None:
    a, b = hosts(relab)
    a.send(b.mac, payload_of(64, 0))
    relab.run(1 * MS)
    b.faults.corrupt_rx_descriptor_length()
    for i in range(1, 4):
        a.send(b.mac, payload_of(64, i))
    relab.run(1 * MS)
    assert b.received == [payload_of(64, i) for i in (0, 2, 3)]
    assert b.dev.drops["bad descriptor"] == 1
    assert b.sc.rx_errors == 1 and b.ifp.if_data.ifi_ierrors == 1
    assert b.dev.dma_faults == 0 and b.sc.system_errors == 0
    relab.run_s(1.1)                                       # the tally's RxErr is not counted twice
    assert b.sc.stats["rl_rx_errs"] == 1 and b.ifp.if_data.ifi_ierrors == 1


def test_corrupt_rx_descriptor_length_is_for_re_only() -> None:
    lab = ReLab()
    h = lab.host("h", bytes.fromhex("020000000001"), model="em", inject=True)
    with pytest.raises(ValueError):
        h.faults.corrupt_rx_descriptor_length()


# ---------------------------------------------------------------------------
# link
# ---------------------------------------------------------------------------
def test_re_frames_sent_as_the_link_drops_come_back_with_linkfail(relab: ReLab) -> None:
    """§7.2: the chip hands the descriptor back with TXERRSUM | LINKFAIL: an output error."""
    a, b = hosts(relab)
    a.faults.link_down()                                   # LinkChg not yet serviced:
    assert a.send(b.mac, payload_of(64)) == 0              # the driver still thinks up
    relab.run(1 * MS)
    assert a.sc.tx_link_fail == 1 and a.ifp.if_data.ifi_oerrors == 1
    assert a.dev.drops["link down"] == 1
    assert a.ifp.if_link_state == LinkState.DOWN and a.sc.rl_tx_free == a.sc.rl_tx_desc_cnt


# ---------------------------------------------------------------------------
# TX ring full, lost TxPoll, watchdog
# ---------------------------------------------------------------------------
def test_re_tx_ring_full_sets_oactive_frames_wait_in_if_snd_then_drain(relab: ReLab) -> None:
    """TxPoll held: 16 descriptors, 2 kept free (re_encap), OACTIVE, the rest in if_snd."""
    a, b = hosts(relab, a_kw={"hints": {"hw.re.txd": "16"}})
    a.faults.hold_writes(TXPOLL, 10 * MS)
    sent = [payload_of(64, i) for i in range(25)]
    for p in sent:
        assert a.send(b.mac, p) == 0
    assert a.ifp.if_flags & IFF.DRV_OACTIVE
    assert a.sc.rl_tx_free == 2
    assert len(a.ifp.if_snd) == 11
    relab.run(5 * MS)
    assert b.received == []
    relab.run(10 * MS)                                     # TxPoll released: drain
    assert b.received == sent
    assert not a.ifp.if_flags & IFF.DRV_OACTIVE
    assert len(a.ifp.if_snd) == 0 and a.sc.rl_tx_free == 16


def test_re_watchdog_recovers_when_only_the_tx_interrupt_was_missed(relab: ReLab) -> None:
    """The frame went out but its TOK never reached the driver: reclaim, no reinit."""
    a, b = hosts(relab)
    a.faults.lose_interrupts(1)
    a.send(b.mac, payload_of(64, 0))
    a.dev.mmio_write_2(INTRSTATUS, 0xFFFF)                 # the cause is gone too
    relab.run_s(5.5)
    assert b.received == [payload_of(64, 0)]
    assert "re0: watchdog timeout (missed Tx interrupts) -- recovering" in a.dmesg()
    assert a.sc.watchdog_recovered == 1 and a.sc.watchdog_events == 0
    assert a.sc.rl_tx_free == a.sc.rl_tx_desc_cnt
    assert a.ifp.if_data.ifi_opackets == 1


def test_re_transmitter_stopped_behind_the_drivers_back_is_restarted(relab: ReLab) -> None:
    """ChipCmd.TE forced to 0: a TxPoll is ignored (§3.1) until re_tick reinitialises."""
    a, b = hosts(relab)
    a.dev.mmio_write_1(CHIPCMD, CMD_RE)
    a.send(b.mac, payload_of(64, 0))
    relab.run(10 * MS)
    assert b.received == [] and a.dev.tx_poll_ignored == 1
    relab.run_s(1.0)
    assert a.sc.engine_stopped == 1 and a.reg1(CHIPCMD) & CMD_TE
    a.send(b.mac, payload_of(64, 1))
    relab.run(1 * MS)
    assert b.received == [payload_of(64, 1)]
