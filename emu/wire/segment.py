"""segment: an Ethernet segment — a shared medium with hub semantics.

What it models is a repeater hub (or one coaxial cable) joining NIC ports, with
the timing of IEEE 802.3 full-duplex MACs: every port has its own transmitter,
a frame occupies it for its serialization time, and every other port whose
carrier is up hears the frame ``latency_ns`` after its last bit left.  There
are no collisions (each transmitter is independent, as on a switched or
full-duplex link); there is no learning either: every frame goes to every
other port, and the NIC's address filter decides what it keeps.

Timing (IEEE 802.3 clause 3 frame format, clause 4.4.2 parameters):

- bits on the wire per frame = ``8 * (max(len, 60) + 24)``: the frame without
  FCS as the device hands it over (padded to the 60-byte minimum, 802.3
  4.2.3.3), plus preamble and SFD (8 bytes), FCS (4) and the minimum
  inter-frame gap of 96 bit times (12);
- a frame starts at ``max(now, end of this port's previous frame)``;
- it arrives at ``start + serialization + latency_ns``, serialization rounded
  to whole nanoseconds.

Frames are dropped, counted in :attr:`Segment.drops` under a reason and
reported to the :attr:`Segment.trace` hook, when they are too short to hold an
Ethernet header (``runt``), when their payload exceeds the MTU (``giant``;
an 802.1Q tag earns four more bytes, 802.3 1.4.334), when the sender's or a
receiver's carrier is down (``link down``), or by random ``loss`` drawn from
the lab's seeded RNG (so a run is reproducible, and a lossless one draws
nothing).

Captures (:mod:`emu.wire.pcap`) see every frame put on the wire — after the
runt/giant/carrier checks, before loss — stamped with the virtual time its
transmission started.  A frame queued behind its port's previous one is
captured when it starts, so capture files are in time order.

The device side of a port is any object with ``receive_frame(frame)`` (called
in a scheduler event at delivery time) and ``link_changed(up)`` (called when
the port's carrier changes).
"""
from __future__ import annotations

import os
from typing import Any, Callable, Optional, Protocol, Union

from emu.sched import Scheduler

DROP_LOSS = "loss"
DROP_GIANT = "giant"
DROP_RUNT = "runt"
DROP_LINK_DOWN = "link down"
DROP_REASONS = (DROP_LOSS, DROP_GIANT, DROP_RUNT, DROP_LINK_DOWN)

ETHER_HDR_LEN = 14          # destination, source, ethertype
ETHER_VLAN_ENCAP_LEN = 4    # an 802.1Q tag (TPID + TCI)
ETHERTYPE_VLAN = b"\x81\x00"
ETHER_MIN_LEN = 60          # minimum frame without FCS (802.3 4.2.3.3)
ETHER_WIRE_OVERHEAD = 24    # preamble+SFD 8, FCS 4, inter-frame gap 12
MIN_MTU = 68                # the smallest MTU accepted (IPv4 minimum, RFC 791)

TraceHook = Callable[..., None]


class Endpoint(Protocol):
    """What a segment needs of the device plugged into a port."""

    def receive_frame(self, frame: bytes) -> None: ...

    def link_changed(self, up: bool) -> None: ...


class CaptureWriter(Protocol):
    """What a segment needs of a capture (``emu.wire.pcap`` writers)."""

    @property
    def closed(self) -> bool: ...

    def write_frame(self, key: Any, ts_ns: int, frame: bytes) -> None: ...


class Port:
    """One attachment point of a :class:`Segment`: a NIC's cable.

    ``transmit(frame)`` puts a frame on the wire at the current virtual time;
    ``set_link(up)`` pulls or plugs the cable.  Counters: ``tx_frames``,
    ``tx_bytes`` (frames this port put on the wire), ``rx_frames``,
    ``rx_bytes`` (frames delivered to its endpoint).
    """

    __slots__ = ("name", "segment", "endpoint", "link_up", "tx_frames", "tx_bytes",
                 "rx_frames", "rx_bytes", "_seg", "_rx", "_busy_until", "_deliver_cb",
                 "_capture_cb")

    def __init__(self, segment: "Segment", endpoint: Endpoint, name: str) -> None:
        self.name = name
        self.segment: Optional[Segment] = segment
        self.endpoint = endpoint
        self.link_up = True
        self.tx_frames = 0
        self.tx_bytes = 0
        self.rx_frames = 0
        self.rx_bytes = 0
        self._seg = segment                 # kept after detach, for frames in flight
        self._rx = endpoint.receive_frame   # bound once: the delivery hot path
        self._busy_until = 0                # when this port's transmitter is free
        self._deliver_cb = self._deliver
        self._capture_cb = self._capture_deferred

    def __repr__(self) -> str:
        state = "up" if self.link_up else "down"
        where = self.segment.name if self.segment is not None else "detached"
        return f"<Port {self.name} on {where} link {state}>"

    @property
    def busy_until(self) -> int:
        """Virtual time at which this port's transmitter is idle again."""
        return self._busy_until

    # -- transmit -----------------------------------------------------------------------
    def transmit(self, frame: bytes) -> bool:
        """Put ``frame`` (no preamble, no FCS) on the wire now.

        Returns False when this port has no carrier (the device counts that
        drop); True otherwise, even when the segment drops the frame as a runt,
        a giant or to random loss — those are counted in ``segment.drops``.
        """
        seg = self._seg
        n = len(frame)
        if not self.link_up:
            seg._drop(DROP_LINK_DOWN, self, n)
            return False
        if n > seg._max_len:
            if n > seg._max_len + ETHER_VLAN_ENCAP_LEN or frame[12:14] != ETHERTYPE_VLAN:
                seg._drop(DROP_GIANT, self, n)
                return True
        elif n < ETHER_HDR_LEN:
            seg._drop(DROP_RUNT, self, n)
            return True
        if type(frame) is not bytes:
            frame = bytes(frame)            # the device may reuse its buffer
        sched = seg.sched
        now = sched.now
        start = self._busy_until
        if start < now:
            start = now
        bits = (n + ETHER_WIRE_OVERHEAD if n >= ETHER_MIN_LEN
                else ETHER_MIN_LEN + ETHER_WIRE_OVERHEAD) * 8_000_000_000
        self._busy_until = end = start + (bits + seg._half_rate) // seg._bitrate
        self.tx_frames += 1
        self.tx_bytes += n
        seg.frames += 1
        seg.bytes += n
        if seg._captures:
            if start == now:
                seg._capture(now, frame)
            else:
                sched.call_at(start, self._capture_cb, frame)
        loss = seg._loss
        if loss and sched.rng.random() < loss:
            seg._drop(DROP_LOSS, self, n)
            return True
        sched.call_at(end + seg._latency, self._deliver_cb, frame)
        return True

    def _deliver(self, frame: bytes) -> None:
        """The frame's last bit reaches the other ports (one event per frame)."""
        seg = self._seg
        n = len(frame)
        for p in seg._ports:
            if p is not self:
                if p.link_up:
                    p.rx_frames += 1
                    p.rx_bytes += n
                    p._rx(frame)
                else:
                    seg._drop(DROP_LINK_DOWN, p, n)

    def _capture_deferred(self, frame: bytes) -> None:
        self._seg._capture(self._seg.sched.now, frame)

    # -- the cable ----------------------------------------------------------------------
    def set_link(self, up: bool) -> None:
        """Plug (True) or pull (False) the cable; tells the endpoint if that changed."""
        up = bool(up)
        if up and self.segment is None:
            raise ValueError(f"port {self.name} is detached from its segment")
        if up == self.link_up:
            return
        self.link_up = up
        seg = self._seg
        if seg.trace is not None:
            seg.trace("wire_link", seg=seg.name, port=self.name, up=up)
        self.endpoint.link_changed(up)

    def detach(self) -> None:
        """Remove this port from its segment; its carrier goes down.

        Frames already in flight from it are still delivered; frames in
        flight to it are not.
        """
        seg = self.segment
        if seg is None:
            return
        self.set_link(False)
        seg._ports = tuple(p for p in seg._ports if p is not self)
        self.segment = None


class Segment:
    """A shared Ethernet medium joining any number of :class:`Port` s.

    ``latency_ns`` is the propagation (plus repeater) delay, ``bitrate_bps``
    the line rate, ``loss`` the probability that a frame is lost for all
    receivers, ``mtu`` the largest payload carried (the Ethernet header, and
    an 802.1Q tag, come on top).  Counters: ``frames``, ``bytes`` (put on the
    wire) and ``drops`` (reason -> frames; the reasons are
    :data:`DROP_REASONS`).  ``trace``, when not None, is called as
    ``trace("wire_drop", seg=, port=, reason=, len=)`` for every drop and
    ``trace("wire_link", seg=, port=, up=)`` for every carrier change.
    """

    __slots__ = ("sched", "name", "frames", "bytes", "drops", "trace", "_ports",
                 "_captures", "_latency", "_bitrate", "_half_rate", "_loss", "_mtu",
                 "_max_len", "_next_port")

    def __init__(self, sched: Scheduler, name: str, *, latency_ns: int = 1000,
                 bitrate_bps: int = 1_000_000_000, loss: float = 0.0,
                 mtu: int = 1500) -> None:
        self.sched = sched
        self.name = name
        self.frames = 0
        self.bytes = 0
        self.drops: dict[str, int] = dict.fromkeys(DROP_REASONS, 0)
        self.trace: Optional[TraceHook] = None
        self._ports: tuple[Port, ...] = ()
        self._captures: tuple[CaptureWriter, ...] = ()
        self._next_port = 0
        self.latency_ns = latency_ns
        self.bitrate_bps = bitrate_bps
        self.loss = loss
        self.set_mtu(mtu)

    def __repr__(self) -> str:
        return (f"<Segment {self.name} {len(self._ports)} ports "
                f"{self._bitrate} b/s latency {self._latency} ns>")

    def __str__(self) -> str:
        return self.name

    # -- parameters (validated; the hot path reads the private copies) ------------------
    @property
    def latency_ns(self) -> int:
        return self._latency

    @latency_ns.setter
    def latency_ns(self, value: int) -> None:
        if int(value) != value or value < 0:
            raise ValueError(f"segment {self.name}: latency_ns must be a whole number "
                             f"of nanoseconds >= 0, not {value!r}")
        self._latency = int(value)

    @property
    def bitrate_bps(self) -> int:
        return self._bitrate

    @bitrate_bps.setter
    def bitrate_bps(self, value: int) -> None:
        if int(value) != value or value <= 0:
            raise ValueError(f"segment {self.name}: bitrate_bps must be a whole number "
                             f"of bits per second > 0, not {value!r}")
        self._bitrate = int(value)
        self._half_rate = self._bitrate // 2    # for round-half-up in transmit()

    @property
    def loss(self) -> float:
        return self._loss

    @loss.setter
    def loss(self, value: float) -> None:
        if not 0.0 <= value <= 1.0:     # also rejects NaN
            raise ValueError(f"segment {self.name}: loss is a probability in [0, 1], "
                             f"not {value!r}")
        self._loss = float(value)

    @property
    def mtu(self) -> int:
        return self._mtu

    def set_mtu(self, mtu: int) -> None:
        """Set the largest payload carried; longer frames are dropped as giants."""
        if int(mtu) != mtu or mtu < MIN_MTU:
            raise ValueError(f"segment {self.name}: mtu must be a whole number "
                             f">= {MIN_MTU}, not {mtu!r}")
        self._mtu = int(mtu)
        self._max_len = self._mtu + ETHER_HDR_LEN

    def serialization_ns(self, length: int) -> int:
        """Time a frame of ``length`` bytes (no FCS) occupies a transmitter."""
        wire = max(length, ETHER_MIN_LEN) + ETHER_WIRE_OVERHEAD
        return (wire * 8_000_000_000 + self._half_rate) // self._bitrate

    # -- ports --------------------------------------------------------------------------
    @property
    def ports(self) -> list[Port]:
        """The attached ports, in attachment order (a copy)."""
        return list(self._ports)

    def attach(self, endpoint: Endpoint, name: Optional[str] = None) -> Port:
        """Plug ``endpoint`` into a new port (carrier up) and return the port."""
        if name is None:
            name = f"{self.name}.port{self._next_port}"
        self._next_port += 1
        port = Port(self, endpoint, name)
        self._ports = self._ports + (port,)
        return port

    # -- drops and captures -------------------------------------------------------------
    def _drop(self, reason: str, port: Port, length: int) -> None:
        self.drops[reason] += 1
        if self.trace is not None:
            self.trace("wire_drop", seg=self.name, port=port.name, reason=reason, len=length)

    def add_capture(self, writer: CaptureWriter) -> None:
        """Hand every frame put on this wire to ``writer.write_frame(self, ts, frame)``."""
        if writer not in self._captures:
            self._captures = self._captures + (writer,)

    @property
    def captures(self) -> list[CaptureWriter]:
        """The capture writers fed by this segment (a copy)."""
        return list(self._captures)

    def remove_capture(self, writer: CaptureWriter) -> None:
        self._captures = tuple(w for w in self._captures if w is not writer)

    def _capture(self, ts_ns: int, frame: bytes) -> None:
        for w in self._captures:
            if w.closed:        # a closed writer detaches itself
                self.remove_capture(w)
            else:
                w.write_frame(self, ts_ns, frame)

    def capture_to(self, path: Union[str, "os.PathLike[str]"]) -> CaptureWriter:
        """Capture this segment into a file: pcapng if ``path`` ends in .pcapng,
        else classic pcap with nanosecond timestamps.  Close the returned
        writer to stop (a closed writer is dropped from the segment)."""
        from emu.wire.pcap import PcapngWriter, PcapWriter
        writer: Union[PcapWriter, PcapngWriter]
        if os.fspath(path).endswith(".pcapng"):
            writer = PcapngWriter(path)
            writer.add_interface(self, self.name)
        else:
            writer = PcapWriter(path)
        self.add_capture(writer)
        return writer
