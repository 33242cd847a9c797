"""em(4) and re(4) under the faults both recover from the same way.

Each test runs once per NIC model (``nic`` fixture, tests/drivers/nic_lab.py),
injects one fault with emu/faults.py between driver and device model, and
checks that the driver notices, counts and recovers, and that every frame is
either delivered or counted as dropped somewhere.  What only one model does
(em's MPC/RNBC and timer-driven DMA-fault reset, re's SERR and OWN hand-overs)
is in test_if_em_faults.py and test_if_re_faults.py.
"""
from __future__ import annotations

import pytest

from emu.faults import FaultInjector
from emu.sched import MS
from kernel.wire import errno
from kernel.wire.net_if import LinkState
from tests.drivers.nic_lab import NicLab, NicModel, hosts, nic, payload_of  # noqa: F401

Nic = tuple[NicLab, NicModel]


def test_injector_must_exist_before_the_kernel_boots(nic: Nic) -> None:
    """The driver's bus_space handle binds the device's registers at autoconf."""
    lab, _ = nic
    h = lab.host("h", bytes.fromhex("020000000001"))
    with pytest.raises(RuntimeError, match="before the kernel boots"):
        FaultInjector(h.machine, h.dev)


# ---------------------------------------------------------------------------
# lost interrupts
# ---------------------------------------------------------------------------
def test_lost_interrupt_is_redelivered_at_the_next_cause(nic: Nic) -> None:
    """Level-triggered line still high after a lost delivery (em.md §6.1, re.md §6.2):
    the next frame re-samples it."""
    lab, _ = nic
    a, b = hosts(lab)
    b.faults.lose_interrupts(1)
    sent = [payload_of(64, i) for i in range(50)]
    for p in sent:
        a.send(b.mac, p)
    lab.run(100 * MS)                                      # long before the 1 Hz timer
    assert b.received == sent
    assert b.machine.interrupts_lost == 1
    assert b.dev.drops["no descriptors"] == 0


def test_interrupts_lost_for_a_while_no_frame_lost(nic: Nic) -> None:
    lab, _ = nic
    a, b = hosts(lab)
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
    assert b.dev.drops == dict.fromkeys(b.dev.drops, 0)


def test_random_interrupt_loss_no_frame_lost(nic: Nic) -> None:
    """Each delivery lost with p = 0.5 (lab RNG): slower, but every frame arrives in order."""
    lab, _ = nic
    a, b = hosts(lab)
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
    assert a.sc.watchdog_events == 0


# ---------------------------------------------------------------------------
# link
# ---------------------------------------------------------------------------
def test_link_flap_reports_down_then_up_and_refuses_frames_sent_while_down(nic: Nic) -> None:
    lab, model = nic
    a, b = hosts(lab)
    changes: list[LinkState] = []
    b.ifp.link_state_hooks.append(lambda ifp, st: changes.append(st))
    b.faults.link_flap(down_ns=100 * MS)
    lab.run(1 * MS)
    assert b.ifp.if_link_state == LinkState.DOWN
    assert f"{model.name}0: link state changed to DOWN" in b.dmesg()
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


def test_link_change_seen_by_the_timer_when_its_interrupt_is_lost(nic: Nic) -> None:
    """em's LSC or re's LinkChg lost: the 1 Hz timer (em_local_timer, re_tick) reads the link."""
    lab, _ = nic
    a, b = hosts(lab)
    b.faults.lose_interrupts(1)
    b.faults.link_down()
    lab.run(10 * MS)
    assert b.ifp.if_link_state == LinkState.UP             # the interrupt was lost
    lab.run_s(1.0)
    assert b.ifp.if_link_state == LinkState.DOWN
    b.faults.link_up()
    lab.run(1 * MS)
    assert b.ifp.if_link_state == LinkState.UP


def test_link_down_at_attach_then_cable_plugged_traffic_flows(nic: Nic) -> None:
    """Link down at attach: the driver reports DOWN; once carrier comes, traffic flows."""
    lab, model = nic
    a = lab.host("a", bytes.fromhex("020000000a01"))
    b = lab.host("b", bytes.fromhex("020000000b01"), connect=False)
    assert b.ifp.if_link_state == LinkState.DOWN
    assert f"{model.name}0: link state changed to DOWN" in b.dmesg()
    a.up()
    b.up()
    b.dev.connect(lab.seg.attach(b.dev, name=f"b.{model.name}0"))
    lab.run(1 * MS)
    assert b.ifp.if_link_state == LinkState.UP
    b.send(a.mac, payload_of(64))
    lab.run(1 * MS)
    assert a.received == [payload_of(64)]


# ---------------------------------------------------------------------------
# TX ring full, lost doorbell, watchdog
# ---------------------------------------------------------------------------
def test_if_snd_overflow_is_counted(nic: Nic) -> None:
    """Doorbell held: the 16-descriptor ring, then if_snd (15), then ENOBUFS and ifi_oqdrops."""
    lab, model = nic
    a, b = hosts(lab, a_kw={"hints": {f"hw.{model.name}.txd": "16"}})
    a.faults.hold_writes(model.doorbell, 10 * MS)
    results = [a.send(b.mac, payload_of(64, i)) for i in range(40)]
    ring = model.tx_ring16_frames
    assert results.count(errno.ENOBUFS) == 40 - ring - 15
    assert a.ifp.if_data.ifi_oqdrops == 40 - ring - 15
    lab.run(20 * MS)
    assert len(b.received) == ring + 15


def test_tx_watchdog_resets_after_a_lost_doorbell(nic: Nic) -> None:
    """A lost TDT/TxPoll write: the frame is never sent; after the 5 s watchdog, reinit."""
    lab, model = nic
    a, b = hosts(lab)
    a.faults.drop_writes(model.doorbell, 1)
    a.send(b.mac, payload_of(64, 0))
    lab.run_s(4.5)
    assert a.sc.watchdog_events == 0 and model.watchdog_timer(a.sc) > 0
    lab.run_s(1.0)
    assert a.sc.watchdog_events == 1
    assert model.watchdog_line in a.dmesg().splitlines()
    assert a.sc.tx_discarded == 1
    for i in range(5):
        a.send(b.mac, payload_of(64, 1 + i))
    lab.run(1 * MS)
    assert b.received == [payload_of(64, 1 + i) for i in range(5)]
    assert a.faults.counts["writes_dropped"] == 1
    lab.run_s(10)
    assert a.sc.watchdog_events == 1                        # no false alarm afterwards


def test_no_watchdog_while_idle_or_busy(nic: Nic) -> None:
    lab, model = nic
    a, b = hosts(lab)
    for _ in range(30):
        for i in range(20):
            a.send(b.mac, payload_of(64, i))
        lab.run(500 * MS)
    assert a.sc.watchdog_events == 0
    if model.name == "re":
        assert a.sc.watchdog_recovered == 0                 # re_watchdog's reclaim-only path
    assert len(b.received) == 600
