"""emu/wire/tap.py: a segment port whose far side is a Linux TAP.

Most tests hand the Tap one end of a SOCK_SEQPACKET socketpair (one read or write is
one frame, as on a TAP) and play Linux on the other end, in virtual time.  The tests
at the end open real TAPs (root and /dev/net/tun; they skip otherwise, or fail under
KAMEBOX_REQUIRE_INTEROP=1).  Realtime behaviour against the Linux kernel is in
tests/interop/.
"""
from __future__ import annotations

import errno
import os
import socket
import subprocess
from typing import Any, Iterator

import pytest

from emu.sched import MS, RealtimePacer, Scheduler
from emu.wire import tap as tapmod
from emu.wire.pcap import read_pcap
from emu.wire.segment import DROP_LINK_DOWN as SEG_LINK_DOWN, Segment
from emu.wire.tap import (
    DROP_LINK_DOWN, DROP_QUEUE_FULL, DROP_TAP_DOWN, DROP_TAP_GONE, Tap, TapError,
    check_ifname, open_tap,
)
from tests.conftest import REQUIRE_INTEROP, require_root, require_tool

MBPS10 = 10_000_000


class Nic:
    def __init__(self, sched: Scheduler) -> None:
        self.sched = sched
        self.frames: list[tuple[int, bytes]] = []

    def receive_frame(self, frame: bytes) -> None:
        self.frames.append((self.sched.now, frame))

    def link_changed(self, up: bool) -> None:
        pass


def frame_of(length: int, tag: int = 0, src: int = 1) -> bytes:
    hdr = b"\x02\x00\x00\x00\x00\x02" + bytes((2, 0, 0, 0, 0, src)) + b"\x88\xb5"
    return (hdr + tag.to_bytes(4, "big") + bytes(max(0, length - 18)))[:length]


class Linux:
    """The far end of the socketpair: what the Linux kernel would see and send."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        sock.setblocking(False)

    def send(self, *frames: bytes) -> None:
        for f in frames:
            self.sock.send(f)

    def received(self) -> list[bytes]:
        out = []
        while True:
            try:
                out.append(self.sock.recv(70000))
            except BlockingIOError:
                return out


@pytest.fixture
def wire() -> Iterator[tuple[Scheduler, Segment, Nic, Tap, Linux]]:
    sched = Scheduler(0)
    seg = Segment(sched, "lan0", latency_ns=1000)
    nic = Nic(sched)
    nic_port = seg.attach(nic, "h.em0")
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    tap = Tap(seg, "tap0", fd=os.dup(ours.fileno()))
    ours.close()
    linux = Linux(theirs)
    nic.port = nic_port   # type: ignore[attr-defined]
    try:
        yield sched, seg, nic, tap, linux
    finally:
        tap.close()
        theirs.close()


# -- segment -> Linux --------------------------------------------------------------------------

def test_frames_reaching_the_port_are_written_one_per_write(wire) -> None:
    sched, seg, nic, tap, linux = wire
    port = nic.port
    a, b = frame_of(60, 1), frame_of(1514, 2)
    port.transmit(a)
    port.transmit(b)
    sched.run_until_idle()
    assert linux.received() == [a, b]
    assert (tap.frames_out, tap.bytes_out) == (2, 1574)
    assert tap.port.rx_frames == 2
    assert nic.frames == []                      # a port does not hear its own frames


def test_a_write_the_kernel_refuses_is_dropped_as_queue_full(wire) -> None:
    sched, seg, nic, tap, linux = wire
    sent = 0
    for i in range(2000):                        # nobody reads: the socket fills up
        nic.port.transmit(frame_of(200, i))
        sched.run_until_idle()
        sent += 1
        if tap.drops[DROP_QUEUE_FULL]:
            break
    assert tap.drops[DROP_QUEUE_FULL] == 1
    assert tap.frames_out == sent - 1
    assert tap.last_error == errno.EAGAIN


# -- Linux -> segment --------------------------------------------------------------------------

def test_frames_from_linux_enter_the_wire_at_the_virtual_time_they_are_read(wire) -> None:
    sched, seg, nic, tap, linux = wire
    a = frame_of(60, 7, src=9)
    linux.send(a)
    sched.call_at(5 * MS, tap.tap_input)         # what the pacer does when the fd is readable
    sched.run_until_idle()
    # 60 bytes at 1 Gb/s: (60 + 24) * 8 = 672 ns on the wire, then 1 µs latency
    assert nic.frames == [(5 * MS + 672 + 1000, a)]
    assert (tap.frames_in, tap.bytes_in) == (1, 60)
    assert tap.port.tx_frames == 1 and seg.frames == 1


def test_short_frames_from_linux_are_not_padded(wire) -> None:
    """A TAP hands over frames as the Linux kernel built them: an ARP-sized 42-byte
    frame stays 42 bytes (the wire's timing still counts the 60-byte minimum)."""
    sched, seg, nic, tap, linux = wire
    linux.send(frame_of(42))
    tap.tap_input()
    sched.run_until_idle()
    assert [len(f) for _, f in nic.frames] == [42]
    assert nic.frames[0][0] == 672 + 1000


def test_capture_sees_frames_from_the_tap_like_any_port(wire, tmp_path) -> None:
    sched, seg, nic, tap, linux = wire
    w = seg.capture_to(tmp_path / "lan0.pcap")
    out = frame_of(60, 1, src=1)
    nic.port.transmit(out)
    sched.run_until(2 * MS)
    inn = frame_of(62, 2, src=9)
    linux.send(inn)
    sched.call_at(3 * MS, tap.tap_input)
    sched.run_until_idle()
    w.close()
    assert read_pcap(tmp_path / "lan0.pcap") == [(0, out), (3 * MS, inn)]


def test_queue_len_bounds_the_frames_waiting_for_the_transmitter() -> None:
    sched = Scheduler(0)
    seg = Segment(sched, "slow", bitrate_bps=MBPS10, latency_ns=0)
    nic = Nic(sched)
    seg.attach(nic, "h.em0")
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    tap = Tap(seg, "tap0", fd=os.dup(ours.fileno()), queue_len=4)
    ours.close()
    linux = Linux(theirs)
    try:
        linux.send(*(frame_of(1514, i) for i in range(10)))
        assert tap.tap_input() == 10
        assert tap.drops[DROP_QUEUE_FULL] == 6
        assert tap.queued == 4
        # each 1514-byte frame holds a 10 Mb/s transmitter (1514 + 24) * 8 * 100 ns
        per_frame = 1_230_400
        sched.run_until(2 * per_frame)
        assert tap.queued == 2
        linux.send(*(frame_of(1514, 100 + i) for i in range(3)))
        tap.tap_input()
        assert tap.drops[DROP_QUEUE_FULL] == 7 and tap.queued == 4
        sched.run_until_idle()
        assert tap.queued == 0
        assert [f[14:18] for _, f in nic.frames] == [i.to_bytes(4, "big")
                                                     for i in (0, 1, 2, 3, 100, 101)]
        assert tap.frames_in == 13
    finally:
        tap.close()
        theirs.close()


def test_batch_bounds_the_frames_read_per_event(wire) -> None:
    sched, seg, nic, tap, linux = wire
    tap.batch = 3
    linux.send(*(frame_of(60, i) for i in range(5)))
    assert tap.tap_input() == 3
    assert tap.tap_input() == 2
    assert tap.tap_input() == 0
    sched.run_until_idle()
    assert len(nic.frames) == 5


def test_frames_from_linux_are_dropped_while_our_cable_is_pulled(wire) -> None:
    sched, seg, nic, tap, linux = wire
    tap.port.set_link(False)
    linux.send(frame_of(60, 1))
    tap.tap_input()
    nic.port.transmit(frame_of(60, 2))           # and the wire does not deliver to us
    sched.run_until_idle()
    assert nic.frames == [] and linux.received() == []
    assert tap.drops[DROP_LINK_DOWN] == 1
    assert seg.drops[SEG_LINK_DOWN] == 1
    tap.port.set_link(True)
    linux.send(frame_of(60, 3))
    tap.tap_input()
    sched.run_until_idle()
    assert len(nic.frames) == 1


def test_runts_and_giants_from_linux_are_the_segments_drops(wire) -> None:
    sched, seg, nic, tap, linux = wire
    linux.send(b"\x01" * 10, frame_of(1600), frame_of(100))
    tap.tap_input()
    sched.run_until_idle()
    assert seg.drops["runt"] == 1 and seg.drops["giant"] == 1
    assert [len(f) for _, f in nic.frames] == [100]
    assert tap.queued == 0


def test_tap_gone_stops_reading_and_takes_the_carrier_down(wire) -> None:
    sched, seg, nic, tap, linux = wire
    events: list[tuple[str, dict[str, Any]]] = []
    tap.trace = lambda ev, **kw: events.append((ev, kw))
    pacer = RealtimePacer(sched)
    tap.start(pacer)
    linux.sock.close()                           # the TAP is deleted under us
    assert tap.tap_input() == 0
    assert tap.fileno() not in pacer._readers
    assert tap.port.link_up is False
    assert events and events[0][0] == "tap_gone"
    nic.port.transmit(frame_of(60))
    sched.run_until_idle()
    assert seg.drops[SEG_LINK_DOWN] == 1


def test_close_removes_the_reader_unplugs_the_port_and_closes_the_fd(wire) -> None:
    sched, seg, nic, tap, linux = wire
    pacer = RealtimePacer(sched)
    tap.start(pacer)
    fd = tap.fileno()
    assert pacer._readers == {fd: tap.tap_input}
    tap.close()
    assert pacer._readers == {}
    assert tap.closed and tap.port is None
    assert [p.name for p in seg.ports] == ["h.em0"]
    with pytest.raises(OSError) as e:
        os.fstat(fd)
    assert e.value.errno == errno.EBADF
    tap.close()                                  # idempotent
    assert tap.tap_input() == 0
    tap.receive_frame(frame_of(60))              # a frame still in flight to us
    assert tap.drops[DROP_TAP_GONE] == 1


def test_start_with_a_second_pacer_stops_the_first(wire) -> None:
    sched, seg, nic, tap, linux = wire
    p1, p2 = RealtimePacer(sched), RealtimePacer(sched)
    tap.start(p1)
    tap.start(p2)
    assert p1._readers == {} and list(p2._readers) == [tap.fileno()]


def test_bad_parameters_are_value_errors() -> None:
    sched = Scheduler(0)
    seg = Segment(sched, "lan0")
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        with pytest.raises(ValueError, match="queue_len"):
            Tap(seg, "tap0", fd=a.fileno(), queue_len=0)
        with pytest.raises(ValueError, match="batch"):
            Tap(seg, "tap0", fd=a.fileno(), batch=0)
    finally:
        a.close()
        b.close()
    assert seg.ports == []


# -- opening: names and the errors a user sees -----------------------------------------------

@pytest.mark.parametrize("name, why", [
    ("", "expected 1 to 15 characters, got 0"),
    ("a" * 16, "expected 1 to 15 characters, got 16"),
    ("..", ". and .. are not interface names"),
    ("tap/0", "cannot hold '/'"),
    ("tap 0", "cannot hold ' '"),
    ("tap:0", "cannot hold ':'"),
    ("tap%d", "cannot hold '%'"),
])
def test_bad_names_are_refused_before_the_kernel_is_asked(name: str, why: str) -> None:
    assert why in check_ifname(name)
    with pytest.raises(TapError) as e:
        open_tap(name, tun_path="/nonexistent/tun")
    assert why in str(e.value) and "\n" not in str(e.value)
    assert e.value.errno == 0


@pytest.mark.parametrize("name", ["tap0", "kb-lan0", "a", "x" * 15, "br.100"])
def test_good_names_pass(name: str) -> None:
    assert check_ifname(name) is None


@pytest.mark.parametrize("err, words", [
    (errno.ENOENT, "/dev/net/tun does not exist (no TUN/TAP support"),
    (errno.EACCES, "/dev/net/tun: permission denied (run kamebox as root"),
    (errno.ENODEV, "no TUN/TAP driver in this kernel"),
])
def test_opening_dev_net_tun_fails_with_one_line(monkeypatch, err: int, words: str) -> None:
    def fail(*a: Any, **kw: Any) -> int:
        raise OSError(err, os.strerror(err))
    monkeypatch.setattr(tapmod.os, "open", fail)
    with pytest.raises(TapError) as e:
        open_tap("tap0")
    assert words in str(e.value) and '"tap0"' in str(e.value)
    assert "\n" not in str(e.value) and e.value.errno == err


@pytest.mark.parametrize("err, words", [
    (errno.EBUSY, 'TAP "kbnosuch0" is busy: another program has it open'),
    (errno.EPERM, "operation not permitted (creating a TAP"),
    (errno.EINVAL, "the kernel rejects the name"),
])
def test_tunsetiff_failures_are_one_line(monkeypatch, tmp_path, err: int, words: str) -> None:
    closed: list[int] = []
    monkeypatch.setattr(tapmod.os, "open", lambda *a, **kw: 99)
    monkeypatch.setattr(tapmod.os, "close", closed.append)

    def ioctl(*a: Any) -> bytes:
        raise OSError(err, os.strerror(err))
    monkeypatch.setattr(tapmod.fcntl, "ioctl", ioctl)
    with pytest.raises(TapError) as e:
        open_tap("kbnosuch0")
    assert words in str(e.value) and "\n" not in str(e.value)
    assert closed == [99]                        # the descriptor is not leaked


# -- real TAPs (root, /dev/net/tun) ------------------------------------------------------------

def _need_tun() -> None:
    require_root()
    if not os.path.exists("/dev/net/tun"):
        msg = "no /dev/net/tun"
        if REQUIRE_INTEROP:
            pytest.fail(msg + " — required because KAMEBOX_REQUIRE_INTEROP=1")
        pytest.skip(msg)


def _name(tag: str) -> str:
    return f"kbu{os.getpid() % 100000}{tag}"[:15]


def _exists(name: str) -> bool:
    return os.path.exists(f"/sys/class/net/{name}")


def _ip(*args: str) -> None:
    subprocess.run([require_tool("ip"), *args], check=True, capture_output=True)


def test_open_tap_creates_a_tap_that_goes_away_when_closed() -> None:
    _need_tun()
    name = _name("c")
    fd, got = open_tap(name)
    try:
        assert got == name and _exists(name)
        assert open(f"/sys/class/net/{name}/tun_flags").read().strip() == "0x1002"
        with pytest.raises(TapError) as e:
            open_tap(name)
        assert e.value.errno == errno.EBUSY
        assert str(e.value).startswith(f'TAP "{name}" is busy')
    finally:
        os.close(fd)
    assert not _exists(name)


def test_open_tap_attaches_to_a_tap_made_with_ip_tuntap() -> None:
    _need_tun()
    name = _name("p")
    _ip("tuntap", "add", "dev", name, "mode", "tap")
    try:
        sched = Scheduler(0)
        seg = Segment(sched, "lan0")
        tap = Tap(seg, name)
        assert tap.ifname == name and seg.ports[0].name == f"tap:{name}"
        tap.close()
        assert _exists(name)                     # persistent: ip tuntap made it
    finally:
        subprocess.run(["ip", "tuntap", "del", "dev", name, "mode", "tap"], capture_output=True)


def test_an_interface_that_is_not_a_tap_is_refused() -> None:
    _need_tun()
    with pytest.raises(TapError) as e:
        open_tap("lo")
    assert str(e.value) == ('cannot open TAP "lo": an interface of that name exists and is '
                            'not a single-queue TAP (see ip -d link show lo)')


def test_frames_to_a_tap_that_is_down_are_counted_tap_down() -> None:
    _need_tun()
    sched = Scheduler(0)
    seg = Segment(sched, "lan0")
    nic = Nic(sched)
    port = seg.attach(nic)
    tap = Tap(seg, _name("d"))
    try:
        port.transmit(frame_of(60))
        sched.run_until_idle()
        assert tap.drops[DROP_TAP_DOWN] == 1 and tap.last_error == errno.EIO
        _ip("link", "set", tap.ifname, "up")
        before = int(open(f"/sys/class/net/{tap.ifname}/statistics/rx_packets").read())
        port.transmit(frame_of(60))
        sched.run_until_idle()
        assert tap.frames_out == 1
        after = int(open(f"/sys/class/net/{tap.ifname}/statistics/rx_packets").read())
        assert after == before + 1               # the Linux kernel received it
    finally:
        tap.close()


def test_a_pacer_woken_by_its_tap_just_as_it_is_cancelled_stops(wire) -> None:
    """A TAP wakes the pacer often; a cancel arriving just as a wake-up completes must
    still stop it (Python 3.11's wait_for would swallow it, and Lab.run_command would
    never return).  The pacer runs for a few milliseconds of wall time here."""
    import asyncio
    sched, seg, nic, tap, linux = wire

    async def main() -> str:
        pacer = RealtimePacer(sched)
        tap.start(pacer)
        task = asyncio.ensure_future(pacer.run())
        await asyncio.sleep(0.005)               # the pacer waits for a wake-up
        pacer._wake.set()                        # what a readable TAP does ...
        task.cancel()                            # ... as the lab is done with the pacer
        await asyncio.wait({task}, timeout=1.0)
        if not task.done():
            task.cancel()
            return "still running"
        return "cancelled" if task.cancelled() else "returned"

    assert asyncio.run(main()) == "cancelled"
