"""em(4) under injected faults: lost interrupts, ring exhaustion, DMA faults, link flaps, hangs.

Each test injects one fault with emu/faults.py between the driver and the
device model and checks that the driver notices, counts and recovers, and
that every frame is either delivered or counted as dropped somewhere.
"""
from __future__ import annotations

import pytest

from emu.faults import FaultInjector
from emu.sched import MS
from kernel.wire import errno
from kernel.wire.net_if import IFF, LinkState
from tests.drivers.em_lab import EmLab, payload_of

RCTL, TCTL, RDT, TDT = 0x0100, 0x0400, 0x2818, 0x3818    # docs/hw/em.md §2
RCTL_EN, TCTL_EN = 1 << 1, 1 << 1


def _hosts(lab: EmLab, a_kw: dict | None = None, b_kw: dict | None = None):
    a = lab.host("a", bytes.fromhex("020000000a01"), inject=True, **(a_kw or {}))
    b = lab.host("b", bytes.fromhex("020000000b01"), inject=True, **(b_kw or {}))
    a.up()
    b.up()
    lab.run(1 * MS)
    return a, b


def test_injector_must_exist_before_the_kernel_boots(lab: EmLab) -> None:
    """The driver's bus_space handle binds the device's registers at autoconf."""
    h = lab.host("h", bytes.fromhex("020000000001"))
    with pytest.raises(RuntimeError, match="before the kernel boots"):
        FaultInjector(h.machine, h.dev)


# ---------------------------------------------------------------------------
# lost interrupts
# ---------------------------------------------------------------------------
def test_em_lost_interrupt_recovered_by_local_timer(lab: EmLab) -> None:
    """A lost interrupt with no later traffic: the 1 Hz timer's ICS write gets the frame."""
    a, b = _hosts(lab)
    b.faults.lose_interrupts(1)
    sent = [payload_of(64, 0)]
    a.send(b.mac, sent[0])
    lab.run(100 * MS)
    assert b.received == []                                # waiting in the ring
    assert b.machine.interrupts_lost == 1
    lab.run_s(1.0)
    assert b.received == sent
    assert b.faults.counts["interrupts_lost"] == 1


def test_em_6_1_lost_interrupt_is_redelivered_at_the_next_cause(lab: EmLab) -> None:
    """Level-triggered line still high after a lost delivery: the next frame re-samples it."""
    a, b = _hosts(lab)
    b.faults.lose_interrupts(1)
    sent = [payload_of(64, i) for i in range(50)]
    for p in sent:
        a.send(b.mac, p)
    lab.run(100 * MS)                                      # long before the 1 Hz timer
    assert b.received == sent
    assert b.machine.interrupts_lost == 1
    assert b.dev.drops["no descriptors"] == 0


def test_em_interrupts_lost_for_a_while_no_frame_lost(lab: EmLab) -> None:
    a, b = _hosts(lab)
    b.faults.lose_interrupts_for(1500 * MS)
    sent = []
    for k in range(20):                                    # 200 frames over 2 s
        for i in range(10):
            p = payload_of(100, 10 * k + i)
            sent.append(p)
            a.send(b.mac, p)
        lab.run(100 * MS)
    lab.run_s(1.5)
    assert b.received == sent
    assert b.faults.counts["interrupts_lost"] >= 2


def test_em_random_interrupt_loss_no_frame_lost(lab: EmLab) -> None:
    """Each delivery lost with p = 0.5 (lab RNG): slower, but every frame arrives in order."""
    a, b = _hosts(lab)
    a.faults.lose_interrupts_with_probability(0.5)         # TX completions too
    b.faults.lose_interrupts_with_probability(0.5)
    sent = []
    for k in range(20):
        for i in range(10):
            p = payload_of(64 + k, i)
            sent.append(p)
            assert a.send(b.mac, p) == 0
        lab.run(50 * MS)
    lab.run_s(10)
    assert b.received == sent
    assert b.faults.counts["interrupts_lost"] > 0 and a.faults.counts["interrupts_lost"] > 0
    assert b.dev.drops["no descriptors"] == 0


# ---------------------------------------------------------------------------
# RX ring exhaustion
# ---------------------------------------------------------------------------
def test_em_rx_ring_exhaustion_counted_in_mpc_and_rnbc(lab: EmLab) -> None:
    """RDT updates held back: the device runs out of descriptors (§5.4); sent = received + MPC."""
    a, b = _hosts(lab)
    b.faults.hold_rx_tail(40 * MS)
    nsent = 0
    for _ in range(8):                                     # 400 frames in 40 ms
        for _ in range(50):
            assert a.send(b.mac, payload_of(64, nsent)) == 0
            nsent += 1
        lab.run(5 * MS)
    lab.run(10 * MS)                                       # RDT released
    for _ in range(100):
        a.send(b.mac, payload_of(64, nsent))
        nsent += 1
    lab.run_s(1.1)                                         # statistics read by the timer
    st = b.sc.stats
    assert st.mpc > 0 and st.mpc == st.rnbc
    assert st.mpc == b.dev.drops["no descriptors"]
    assert nsent == len(b.received) + st.mpc
    assert len(b.received) == 255 + 100                    # the ring, then everything again
    assert b.sc.rx_overruns >= 1                           # RXO seen
    assert b.faults.counts["writes_held"] > 0
    assert b.ifp.if_data.ifi_ierrors == st.mpc


def test_em_flood_overruns_a_small_ring_under_interrupt_moderation(lab: EmLab) -> None:
    """32 descriptors, ITR 8000/s: a line-rate burst outruns the driver; drops counted."""
    a, b = _hosts(lab, b_kw={"hints": {"hw.em.rxd": "32"}})
    nsent = 0
    for _ in range(4):
        for _ in range(200):
            assert a.send(b.mac, payload_of(64, nsent)) == 0
            nsent += 1
        lab.run(2 * MS)
    lab.run_s(1.1)
    st = b.sc.stats
    assert st.mpc > 0
    assert nsent == len(b.received) + st.mpc
    assert st.mpc == b.dev.drops["no descriptors"] and b.sc.rx_overruns >= 1
    assert a.dev.drops == dict.fromkeys(a.dev.drops, 0)   # lost at the receiver only


# ---------------------------------------------------------------------------
# DMA faults
# ---------------------------------------------------------------------------
def test_em_rx_dma_fault_detected_reinitialised_traffic_resumes(lab: EmLab) -> None:
    a, b = _hosts(lab)
    for i in range(5):
        a.send(b.mac, payload_of(64, i))
    lab.run(1 * MS)
    b.faults.corrupt_rx_descriptor()
    a.send(b.mac, payload_of(64, 5))                       # hits the bad descriptor
    lab.run(1 * MS)
    assert b.dev.dma_faults == 1 and b.dev.drops["DMA fault"] == 1
    assert b.reg(RCTL) & RCTL_EN == 0                      # §5.4: receiver stopped
    a.send(b.mac, payload_of(64, 6))
    lab.run(1 * MS)
    assert b.dev.drops["receiver disabled"] == 1
    lab.run_s(1.0)                                         # the local timer notices
    assert b.sc.rx_dma_faults == 1
    assert "em0: receiver stopped (DMA fault) -- resetting" in b.dmesg()
    assert b.reg(RCTL) & RCTL_EN
    for i in range(10):
        a.send(b.mac, payload_of(64, 100 + i))
    lab.run(1 * MS)
    assert b.received == [payload_of(64, i) for i in range(5)] + \
        [payload_of(64, 100 + i) for i in range(10)]
    assert b.faults.counts["rx_desc_corrupted"] == 1


def test_em_tx_dma_fault_detected_reinitialised_traffic_resumes(lab: EmLab) -> None:
    a, b = _hosts(lab)
    a.send(b.mac, payload_of(64, 0))
    lab.run(1 * MS)
    a.faults.corrupt_next_tx_descriptor()
    a.send(b.mac, payload_of(64, 1))                       # its descriptor points nowhere
    assert a.dev.dma_faults == 1
    assert a.reg(TCTL) & TCTL_EN == 0                      # §6.2: transmitter stopped
    for i in range(3):
        a.send(b.mac, payload_of(64, 2 + i))               # queued behind the fault
    lab.run(1 * MS)
    assert b.received == [payload_of(64, 0)]
    lab.run_s(1.0)
    assert a.sc.tx_dma_faults == 1
    assert "em0: transmitter stopped (DMA fault) -- resetting" in a.dmesg()
    assert a.sc.tx_discarded == 4                          # the faulted frame and 3 behind it
    assert a.ifp.if_data.ifi_oerrors == 4
    for i in range(10):
        a.send(b.mac, payload_of(64, 100 + i))
    lab.run(1 * MS)
    assert b.received == [payload_of(64, 0)] + [payload_of(64, 100 + i) for i in range(10)]
    assert a.faults.counts["tx_desc_corrupted"] == 1


# ---------------------------------------------------------------------------
# link
# ---------------------------------------------------------------------------
def test_em_link_flap_reports_down_then_up_and_counts_frames_sent_while_down(lab: EmLab) -> None:
    a, b = _hosts(lab)
    changes: list[LinkState] = []
    b.ifp.link_state_hooks.append(lambda ifp, st: changes.append(st))
    b.faults.link_flap(down_ns=100 * MS)
    lab.run(1 * MS)
    assert b.ifp.if_link_state == LinkState.DOWN
    assert "em0: link state changed to DOWN" in b.dmesg()
    assert b.send(a.mac, payload_of(64)) == errno.ENETDOWN    # refused, counted
    assert b.send(a.mac, payload_of(64)) == errno.ENETDOWN
    assert b.ifp.if_data.ifi_oerrors == 2
    a.send(b.mac, payload_of(64))                          # the cable to b is out
    lab.run(1 * MS)
    assert lab.seg.drops["link down"] == 1 and b.received == []
    lab.run(100 * MS)
    assert changes == [LinkState.DOWN, LinkState.UP]
    assert b.sc.link_irq == 2
    b.send(a.mac, payload_of(64, 1))
    a.send(b.mac, payload_of(64, 2))
    lab.run(1 * MS)
    assert a.received == [payload_of(64, 1)] and b.received == [payload_of(64, 2)]
    assert b.faults.counts["link_flaps"] == 1


def test_em_link_change_seen_by_the_timer_when_lsc_is_lost(lab: EmLab) -> None:
    a, b = _hosts(lab)
    b.faults.lose_interrupts(1)
    b.faults.link_down()
    lab.run(10 * MS)
    assert b.ifp.if_link_state == LinkState.UP             # LSC interrupt lost
    lab.run_s(1.0)
    assert b.ifp.if_link_state == LinkState.DOWN
    b.faults.link_up()
    lab.run(1 * MS)
    assert b.ifp.if_link_state == LinkState.UP


def test_em_frames_queued_before_link_up_go_out_when_it_comes(lab: EmLab) -> None:
    """Link down at attach: the driver reports DOWN; once carrier comes, traffic flows."""
    a = lab.host("a", bytes.fromhex("020000000a01"))
    b = lab.host("b", bytes.fromhex("020000000b01"), connect=False)
    assert b.ifp.if_link_state == LinkState.DOWN
    a.up()
    b.up()
    port = lab.seg.attach(b.dev, name="b.em0")
    b.dev.connect(port)
    lab.run(1 * MS)
    assert b.ifp.if_link_state == LinkState.UP
    b.send(a.mac, payload_of(64))
    lab.run(1 * MS)
    assert a.received == [payload_of(64)]


# ---------------------------------------------------------------------------
# TX ring full, TX hang
# ---------------------------------------------------------------------------
def test_em_tx_ring_full_sets_oactive_frames_wait_in_if_snd_then_drain(lab: EmLab) -> None:
    """TDT held: 16 descriptors fill (2 kept free), OACTIVE, the rest waits in if_snd."""
    a, b = _hosts(lab, a_kw={"hints": {"hw.em.txd": "16"}})
    a.faults.hold_writes(TDT, 10 * MS)
    sent = [payload_of(64, i) for i in range(25)]
    for p in sent:
        assert a.send(b.mac, p) == 0
    assert a.ifp.if_flags & IFF.DRV_OACTIVE
    assert a.sc.num_tx_desc_avail == 1
    assert len(a.ifp.if_snd) == 10
    assert a.sc.no_tx_desc_avail1 >= 1
    assert a.send(b.mac, b"x" * 50) == 0 and len(a.ifp.if_snd) == 11
    sent.append(b"x" * 50)
    lab.run(5 * MS)
    assert b.received == []
    lab.run(10 * MS)                                        # TDT released: drain
    assert b.received == sent
    assert not a.ifp.if_flags & IFF.DRV_OACTIVE
    assert len(a.ifp.if_snd) == 0


def test_em_if_snd_overflow_is_counted(lab: EmLab) -> None:
    a, b = _hosts(lab, a_kw={"hints": {"hw.em.txd": "16"}})
    a.faults.hold_writes(TDT, 10 * MS)
    results = [a.send(b.mac, payload_of(64, i)) for i in range(40)]
    assert results.count(errno.ENOBUFS) == 40 - 15 - 15    # ring 15, if_snd 15
    assert a.ifp.if_data.ifi_oqdrops == 10
    lab.run(20 * MS)
    assert len(b.received) == 30


def test_em_tx_watchdog_resets_a_hung_ring(lab: EmLab) -> None:
    """A lost TDT doorbell: the descriptor never completes; after EM_TX_TIMEOUT, reset."""
    a, b = _hosts(lab)
    a.faults.drop_writes(TDT, 1)
    a.send(b.mac, payload_of(64, 0))
    lab.run_s(4.5)
    assert a.sc.watchdog_events == 0 and a.sc.watchdog_timer > 0
    lab.run_s(1.0)
    assert a.sc.watchdog_events == 1
    assert "em0: Watchdog timeout -- resetting" in a.dmesg()
    assert a.sc.tx_discarded == 1
    for i in range(5):
        a.send(b.mac, payload_of(64, 1 + i))
    lab.run(1 * MS)
    assert b.received == [payload_of(64, 1 + i) for i in range(5)]
    assert a.faults.counts["writes_dropped"] == 1
    lab.run_s(10)
    assert a.sc.watchdog_events == 1                        # no false alarm afterwards


def test_em_no_watchdog_while_idle_or_busy(lab: EmLab) -> None:
    a, b = _hosts(lab)
    for k in range(30):
        for i in range(20):
            a.send(b.mac, payload_of(64, i))
        lab.run(500 * MS)
    assert a.sc.watchdog_events == 0
    assert len(b.received) == 600


def test_em_transmitter_stopped_by_software_is_restarted(lab: EmLab) -> None:
    """TCTL.EN forced to 0 behind the driver's back: TDT only records the tail (§3.4)."""
    a, b = _hosts(lab)
    a.dev.mmio_write(TCTL, a.dev.mmio_read(TCTL) & ~TCTL_EN)
    a.send(b.mac, payload_of(64, 0))
    lab.run(10 * MS)
    assert b.received == []
    lab.run_s(1.0)
    assert a.sc.tx_dma_faults == 1 and a.reg(TCTL) & TCTL_EN
    a.send(b.mac, payload_of(64, 1))
    lab.run(1 * MS)
    assert b.received == [payload_of(64, 1)]
