"""emu/wire/segment.py: timing, delivery, loss, MTU and counters of the Ethernet wire."""
from __future__ import annotations

from typing import Any

import pytest

from emu.sched import MS, US, Scheduler
from emu.wire.segment import (
    DROP_GIANT, DROP_LINK_DOWN, DROP_LOSS, DROP_REASONS, DROP_RUNT, Port, Segment,
)

GBPS = 1_000_000_000
MBPS10 = 10_000_000


class Nic:
    """A stand-in device: records what the wire does to it, with the virtual time."""

    def __init__(self, sched: Scheduler) -> None:
        self.sched = sched
        self.frames: list[tuple[int, bytes]] = []
        self.links: list[bool] = []

    def receive_frame(self, frame: bytes) -> None:
        self.frames.append((self.sched.now, frame))

    def link_changed(self, up: bool) -> None:
        self.links.append(up)


def frame_of(length: int, tag: int = 0) -> bytes:
    """An Ethernet frame of ``length`` bytes (no FCS) carrying ``tag`` in its payload."""
    hdr = b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" + b"\x88\xb5"
    body = tag.to_bytes(4, "big")
    return (hdr + body + bytes(max(0, length - 18)))[:length]


def lan(n: int = 2, seed: int = 0, **kw: Any) -> tuple[Scheduler, Segment, list[Nic], list[Port]]:
    sched = Scheduler(seed)
    seg = Segment(sched, "lan0", **kw)
    nics = [Nic(sched) for _ in range(n)]
    ports = [seg.attach(nic, name=f"em{i}") for i, nic in enumerate(nics)]
    return sched, seg, nics, ports


# -- timing (IEEE 802.3: preamble+SFD, FCS, IFG on top of the frame) -------------------------

@pytest.mark.parametrize("length, bitrate, serialization", [
    (60, GBPS, 672),                # (60 + 24) * 8 bits at 1 ns/bit
    (1514, GBPS, 12_304),           # (1514 + 24) * 8
    (60, MBPS10, 67_200),           # 100 ns/bit
    (1514, MBPS10, 1_230_400),
])
def test_arrival_is_serialization_plus_latency(length: int, bitrate: int,
                                               serialization: int) -> None:
    sched, seg, (a, b), (pa, pb) = lan(bitrate_bps=bitrate, latency_ns=1000)
    assert pa.transmit(frame_of(length))
    sched.run_until_idle()
    assert b.frames == [(serialization + 1000, frame_of(length))]
    assert seg.serialization_ns(length) == serialization


def test_serialization_delay_of_1514_byte_frame_at_1gbps() -> None:
    sched, seg, _, _ = lan()
    assert seg.serialization_ns(1514) == 12_304


def test_frame_shorter_than_60_bytes_takes_the_time_of_60() -> None:
    sched, seg, (a, b), (pa, pb) = lan(latency_ns=0)
    pa.transmit(frame_of(42))
    sched.run_until_idle()
    assert b.frames[0][0] == 672
    assert b.frames[0][1] == frame_of(42)       # delivered as sent: padding is the NIC's job


def test_serialization_rounds_to_the_nearest_nanosecond() -> None:
    sched, seg, _, _ = lan(bitrate_bps=3_000_000_000)
    assert seg.serialization_ns(60) == 224      # 672 / 3
    assert seg.serialization_ns(61) == 227      # 680 / 3 = 226.67


def test_transmission_starts_at_the_current_virtual_time() -> None:
    sched, seg, (a, b), (pa, pb) = lan(latency_ns=500)
    sched.run_until(7 * US)
    pa.transmit(frame_of(60))
    sched.run_until_idle()
    assert b.frames[0][0] == 7 * US + 672 + 500


def test_back_to_back_frames_queue_behind_each_other_on_the_same_port() -> None:
    sched, seg, (a, b), (pa, pb) = lan(latency_ns=1000)
    for i in range(3):
        pa.transmit(frame_of(1514, i))
    assert pa.busy_until == 3 * 12_304
    sched.run_until_idle()
    assert [t for t, _ in b.frames] == [12_304 + 1000, 2 * 12_304 + 1000, 3 * 12_304 + 1000]
    assert [f for _, f in b.frames] == [frame_of(1514, i) for i in range(3)]


def test_a_frame_sent_after_the_transmitter_went_idle_does_not_queue() -> None:
    sched, seg, (a, b), (pa, pb) = lan(latency_ns=0)
    pa.transmit(frame_of(60))
    sched.run_until(1 * MS)
    pa.transmit(frame_of(60))
    sched.run_until_idle()
    assert [t for t, _ in b.frames] == [672, 1 * MS + 672]


def test_two_senders_transmit_independently() -> None:
    sched, seg, (a, b, c), (pa, pb, pc) = lan(3, latency_ns=1000)
    pa.transmit(frame_of(1514, 1))
    pb.transmit(frame_of(1514, 2))
    sched.run_until_idle()
    assert c.frames == [(13_304, frame_of(1514, 1)), (13_304, frame_of(1514, 2))]
    assert a.frames == [(13_304, frame_of(1514, 2))]
    assert b.frames == [(13_304, frame_of(1514, 1))]


def test_one_event_is_scheduled_per_frame_whatever_the_number_of_receivers() -> None:
    sched, seg, nics, ports = lan(5)
    ports[0].transmit(frame_of(60))
    assert sched.pending() == 1
    sched.run_until_idle()
    assert all(len(n.frames) == 1 for n in nics[1:])


# -- delivery (hub semantics) ----------------------------------------------------------------

def test_every_other_port_receives_and_the_sender_does_not() -> None:
    sched, seg, (a, b, c), (pa, pb, pc) = lan(3)
    f = frame_of(100)
    assert pa.transmit(f) is True
    sched.run_until_idle()
    assert a.frames == []
    assert [x for _, x in b.frames] == [f] and [x for _, x in c.frames] == [f]
    assert (pa.tx_frames, pa.tx_bytes, pa.rx_frames, pa.rx_bytes) == (1, 100, 0, 0)
    assert (pb.tx_frames, pb.rx_frames, pb.rx_bytes) == (0, 1, 100)
    assert (pc.rx_frames, pc.rx_bytes) == (1, 100)
    assert (seg.frames, seg.bytes) == (1, 100)
    assert seg.drops == dict.fromkeys(DROP_REASONS, 0)


def test_bytearray_frames_are_copied_when_sent() -> None:
    sched, seg, (a, b), (pa, pb) = lan()
    buf = bytearray(frame_of(64))
    pa.transmit(buf)
    buf[0:6] = b"\xff" * 6                      # the device reuses its buffer
    sched.run_until_idle()
    assert b.frames[0][1] == frame_of(64) and type(b.frames[0][1]) is bytes


def test_transmit_on_a_port_whose_link_is_down_returns_false_and_counts() -> None:
    sched, seg, (a, b), (pa, pb) = lan()
    pa.set_link(False)
    assert pa.transmit(frame_of(60)) is False
    assert sched.pending() == 0
    sched.run_until_idle()
    assert b.frames == []
    assert seg.drops[DROP_LINK_DOWN] == 1
    assert (pa.tx_frames, seg.frames) == (0, 0)


def test_frame_in_flight_to_a_port_whose_link_goes_down_is_lost() -> None:
    sched, seg, (a, b, c), (pa, pb, pc) = lan(3, latency_ns=1000)
    pa.transmit(frame_of(1514))
    sched.run_until(5 * US)                     # still being serialized
    pb.set_link(False)
    sched.run_until_idle()
    assert b.frames == [] and pb.rx_frames == 0
    assert len(c.frames) == 1
    assert seg.drops[DROP_LINK_DOWN] == 1


def test_receiver_link_is_judged_at_delivery_time() -> None:
    sched, seg, (a, b), (pa, pb) = lan()
    pb.set_link(False)
    pa.transmit(frame_of(60))
    pb.set_link(True)                           # plugged back before the frame arrives
    sched.run_until_idle()
    assert len(b.frames) == 1


def test_link_changed_is_called_once_per_change() -> None:
    sched, seg, (a, b), (pa, pb) = lan()
    pa.set_link(True)                           # already up: no call
    pa.set_link(False)
    pa.set_link(False)
    pa.set_link(True)
    assert a.links == [False, True]
    assert b.links == []
    assert pa.link_up is True


def test_detach_drops_carrier_and_stops_delivery() -> None:
    sched, seg, (a, b, c), (pa, pb, pc) = lan(3)
    pb.detach()
    assert b.links == [False]
    assert seg.ports == [pa, pc] and pb.segment is None
    assert pb.transmit(frame_of(60)) is False
    pa.transmit(frame_of(60))
    sched.run_until_idle()
    assert b.frames == [] and len(c.frames) == 1
    with pytest.raises(ValueError, match="detached"):
        pb.set_link(True)
    pb.detach()                                 # idempotent


def test_frames_in_flight_from_a_detached_port_are_still_delivered() -> None:
    sched, seg, (a, b), (pa, pb) = lan()
    pa.transmit(frame_of(60))
    pa.detach()
    sched.run_until_idle()
    assert len(b.frames) == 1


def test_attach_names_ports_and_lists_them_in_order() -> None:
    sched = Scheduler()
    seg = Segment(sched, "net9")
    p0 = seg.attach(Nic(sched))
    p1 = seg.attach(Nic(sched), name="uplink")
    assert (p0.name, p1.name) == ("net9.port0", "uplink")
    assert seg.ports == [p0, p1] and p0.segment is seg and p0.link_up


# -- loss ------------------------------------------------------------------------------------

def lost_tags(seed: int, count: int = 10_000, loss: float = 0.25) -> set[int]:
    sched, seg, (a, b), (pa, pb) = lan(seed=seed, loss=loss)
    for i in range(count):
        pa.transmit(frame_of(60, i))
    sched.run_until_idle()
    got = {int.from_bytes(f[14:18], "big") for _, f in b.frames}
    assert seg.drops[DROP_LOSS] == count - len(got)
    assert pa.tx_frames == seg.frames == count      # lost frames were still sent
    return set(range(count)) - got


def test_loss_is_deterministic_for_a_seed_and_near_the_configured_fraction() -> None:
    lost = lost_tags(seed=42)
    assert lost == lost_tags(seed=42)
    assert lost != lost_tags(seed=43)
    assert abs(len(lost) / 10_000 - 0.25) < 0.02     # > 4 standard deviations


def test_loss_of_one_loses_everything_and_traces_it() -> None:
    sched, seg, (a, b), (pa, pb) = lan(loss=1.0)
    events: list[tuple[str, dict[str, Any]]] = []
    seg.trace = lambda ev, **kw: events.append((ev, kw))
    assert pa.transmit(frame_of(60)) is True
    sched.run_until_idle()
    assert b.frames == []
    assert events == [("wire_drop", {"seg": "lan0", "port": "em0", "reason": DROP_LOSS,
                                     "len": 60})]


def test_zero_loss_draws_no_randomness() -> None:
    sched, seg, (a, b), (pa, pb) = lan(seed=5)
    before = sched.rng.getstate()
    for i in range(1000):
        pa.transmit(frame_of(60, i))
    sched.run_until_idle()
    assert sched.rng.getstate() == before
    assert len(b.frames) == 1000


# -- MTU: giants and runts -------------------------------------------------------------------

def test_frame_of_mtu_plus_header_passes_and_one_byte_more_is_a_giant() -> None:
    sched, seg, (a, b), (pa, pb) = lan()
    assert pa.transmit(frame_of(1514)) is True
    assert pa.transmit(frame_of(1515)) is True      # the device did send it; the wire drops it
    sched.run_until_idle()
    assert [len(f) for _, f in b.frames] == [1514]
    assert seg.drops[DROP_GIANT] == 1 and pa.tx_frames == 1


def vlan_frame(length: int) -> bytes:
    f = bytearray(frame_of(length))
    f[12:18] = b"\x81\x00\x00\x05\x86\xdd"          # 802.1Q tag, VID 5, then IPv6
    return bytes(f)


def test_8021q_tagged_frame_may_be_four_bytes_longer() -> None:
    sched, seg, (a, b), (pa, pb) = lan()
    pa.transmit(vlan_frame(1518))
    pa.transmit(vlan_frame(1519))
    pa.transmit(frame_of(1518))                     # untagged: a giant
    sched.run_until_idle()
    assert [len(f) for _, f in b.frames] == [1518]
    assert seg.drops[DROP_GIANT] == 2


def test_frames_shorter_than_an_ethernet_header_are_runts() -> None:
    sched, seg, (a, b), (pa, pb) = lan()
    events: list[str] = []
    seg.trace = lambda ev, **kw: events.append(kw["reason"])
    pa.transmit(frame_of(13))
    pa.transmit(b"")
    pa.transmit(frame_of(14))
    sched.run_until_idle()
    assert [len(f) for _, f in b.frames] == [14]
    assert seg.drops[DROP_RUNT] == 2 and events == [DROP_RUNT, DROP_RUNT]


def test_set_mtu_allows_jumbo_frames() -> None:
    sched, seg, (a, b), (pa, pb) = lan()
    seg.set_mtu(9000)
    pa.transmit(frame_of(9014))
    pa.transmit(frame_of(9015))
    sched.run_until_idle()
    assert [len(f) for _, f in b.frames] == [9014] and seg.mtu == 9000


def test_trace_reports_link_changes_and_receiver_link_drops() -> None:
    sched, seg, (a, b), (pa, pb) = lan()
    events: list[tuple[str, dict[str, Any]]] = []
    seg.trace = lambda ev, **kw: events.append((ev, kw))
    pb.set_link(False)
    pa.transmit(frame_of(60))
    sched.run_until_idle()
    assert events == [
        ("wire_link", {"seg": "lan0", "port": "em1", "up": False}),
        ("wire_drop", {"seg": "lan0", "port": "em1", "reason": DROP_LINK_DOWN, "len": 60}),
    ]


# -- parameters ------------------------------------------------------------------------------

@pytest.mark.parametrize("kw, message", [
    ({"latency_ns": -1}, "latency_ns"),
    ({"bitrate_bps": 0}, "bitrate_bps"),
    ({"bitrate_bps": -10}, "bitrate_bps"),
    ({"loss": -0.1}, "loss"),
    ({"loss": 1.5}, "loss"),
    ({"loss": float("nan")}, "loss"),
    ({"mtu": 67}, "mtu"),
])
def test_bad_parameters_raise_value_error_naming_them(kw: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Segment(Scheduler(), "bad", **kw)


def test_set_mtu_rejects_too_small_an_mtu() -> None:
    seg = Segment(Scheduler(), "lan0")
    with pytest.raises(ValueError, match="mtu"):
        seg.set_mtu(10)
    assert seg.mtu == 1500


def test_parameters_can_be_changed_and_are_validated() -> None:
    sched, seg, (a, b), (pa, pb) = lan()
    seg.latency_ns = 0
    seg.bitrate_bps = MBPS10
    pa.transmit(frame_of(60))
    sched.run_until_idle()
    assert b.frames[0][0] == 67_200
    with pytest.raises(ValueError):
        seg.loss = 2
