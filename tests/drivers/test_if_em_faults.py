"""em(4) under injected faults: lost interrupts, ring exhaustion, DMA faults, link flaps, hangs.

Each test injects one fault with emu/faults.py between the driver and the
device model and checks that the driver notices, counts and recovers, and
that every frame is either delivered or counted as dropped somewhere.  The
faults em and re recover from alike are in test_if_nic_faults.py, run on both.
"""
from __future__ import annotations

from emu.sched import MS
from kernel.wire.net_if import IFF
from tests.drivers.em_lab import EmLab, payload_of
from tests.drivers.nic_lab import hosts

RCTL, TCTL, RDT, TDT = 0x0100, 0x0400, 0x2818, 0x3818    # docs/hw/em.md §2
RCTL_EN, TCTL_EN = 1 << 1, 1 << 1



# ---------------------------------------------------------------------------
# lost interrupts
# ---------------------------------------------------------------------------
def test_em_lost_interrupt_recovered_by_local_timer(lab: EmLab) -> None:
    """A lost interrupt with no later traffic: the 1 Hz timer's ICS write gets the frame."""
    a, b = hosts(lab)
    b.faults.lose_interrupts(1)
    sent = [payload_of(64, 0)]
    a.send(b.mac, sent[0])
    lab.run(100 * MS)
    assert b.received == []                                # waiting in the ring
    assert b.machine.interrupts_lost == 1
    lab.run_s(1.0)
    assert b.received == sent
    assert b.faults.counts["interrupts_lost"] == 1


# ---------------------------------------------------------------------------
# RX ring exhaustion
# ---------------------------------------------------------------------------
def test_em_rx_ring_exhaustion_counted_in_mpc_and_rnbc(lab: EmLab) -> None:
    """RDT updates held back: the device runs out of descriptors (§5.4); sent = received + MPC."""
    a, b = hosts(lab)
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
    a, b = hosts(lab, b_kw={"hints": {"hw.em.rxd": "32"}})
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
    a, b = hosts(lab)
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
    a, b = hosts(lab)
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
# TX ring full, TX hang
# ---------------------------------------------------------------------------
def test_em_tx_ring_full_sets_oactive_frames_wait_in_if_snd_then_drain(lab: EmLab) -> None:
    """TDT held: 16 descriptors fill (2 kept free), OACTIVE, the rest waits in if_snd."""
    a, b = hosts(lab, a_kw={"hints": {"hw.em.txd": "16"}})
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


def test_em_transmitter_stopped_by_software_is_restarted(lab: EmLab) -> None:
    """TCTL.EN forced to 0 behind the driver's back: TDT only records the tail (§3.4)."""
    a, b = hosts(lab)
    a.dev.mmio_write(TCTL, a.dev.mmio_read(TCTL) & ~TCTL_EN)
    a.send(b.mac, payload_of(64, 0))
    lab.run(10 * MS)
    assert b.received == []
    lab.run_s(1.0)
    assert a.sc.tx_dma_faults == 1 and a.reg(TCTL) & TCTL_EN
    a.send(b.mac, payload_of(64, 1))
    lab.run(1 * MS)
    assert b.received == [payload_of(64, 1)]
