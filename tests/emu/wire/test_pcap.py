"""emu/wire/pcap.py: pcap and pcapng files of the wire, byte by byte, and read by tshark."""
from __future__ import annotations

import io
import struct
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest

from emu.sched import SEC, US, Scheduler
from emu.wire.pcap import (
    LabCapture, PcapngWriter, PcapWriter, read_pcap, read_pcapng,
)
from emu.wire.segment import Segment
from tests.conftest import require_tool


class Nic:
    def __init__(self, sched: Scheduler) -> None:
        self.sched = sched
        self.frames: list[bytes] = []

    def receive_frame(self, frame: bytes) -> None:
        self.frames.append(frame)

    def link_changed(self, up: bool) -> None:
        pass


class Echoer(Nic):
    """Sends every frame it receives straight back (so loss shapes the traffic)."""

    port = None

    def receive_frame(self, frame: bytes) -> None:
        super().receive_frame(frame)
        assert self.port is not None
        self.port.transmit(frame[6:12] + frame[0:6] + frame[12:])


# -- frames tshark will find nothing wrong with: IPv6 ICMPv6 echo (RFC 4443 4.1, 4.2) --------

MAC_A = bytes.fromhex("020000000001")
MAC_B = bytes.fromhex("020000000002")
LL_A = bytes.fromhex("fe800000000000000000000000000001")
LL_B = bytes.fromhex("fe800000000000000000000000000002")


def inet_cksum(data: bytes) -> int:
    """RFC 1071 one's-complement sum, complemented."""
    if len(data) & 1:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def icmp6_echo(src_mac: bytes, dst_mac: bytes, src: bytes, dst: bytes, icmp_type: int,
               seq: int, payload: bytes = b"kamebox!", bad_cksum: bool = False) -> bytes:
    """An Ethernet frame with an ICMPv6 echo request (128) or reply (129)."""
    icmp = struct.pack("!BBHHH", icmp_type, 0, 0, 0x1234, seq) + payload
    # RFC 8200 8.1: pseudo-header = src, dst, upper-layer length, 3 zero bytes, next header
    cksum = inet_cksum(src + dst + struct.pack("!I3xB", len(icmp), 58) + icmp)
    if bad_cksum:
        cksum ^= 0x0101
    icmp = icmp[:2] + struct.pack("!H", cksum) + icmp[4:]
    ip6 = struct.pack("!IHBB", 6 << 28, len(icmp), 58, 64) + src + dst
    return dst_mac + src_mac + b"\x86\xdd" + ip6 + icmp


def request(seq: int, **kw: bool) -> bytes:
    return icmp6_echo(MAC_A, MAC_B, LL_A, LL_B, 128, seq, **kw)


def reply(seq: int) -> bytes:
    return icmp6_echo(MAC_B, MAC_A, LL_B, LL_A, 129, seq)


# -- classic pcap: byte-exact ----------------------------------------------------------------

def test_pcap_file_header_is_nanosecond_libpcap_2_4_ethernet() -> None:
    buf = io.BytesIO()
    with PcapWriter(buf) as w:
        w.write_frame(None, 3 * SEC + 1672, request(1))
    data = buf.getvalue()
    assert struct.unpack_from("<IHHiIII", data) == (0xA1B23C4D, 2, 4, 0, 0, 65535, 1)
    assert struct.unpack_from("<IIII", data, 24) == (3, 1672, 70, 70)
    assert data[40:] == request(1)
    assert len(data) == 24 + 16 + 70


def test_pcap_microsecond_variant_has_classic_magic_and_usec_fraction() -> None:
    buf = io.BytesIO()
    with PcapWriter(buf, nanosecond=False) as w:
        w.write_frame(None, 2 * SEC + 123_456_789, request(1))
    data = buf.getvalue()
    assert struct.unpack_from("<I", data)[0] == 0xA1B2C3D4
    assert struct.unpack_from("<II", data, 24) == (2, 123_456)
    assert read_pcap(io.BytesIO(data)) == [(2 * SEC + 123_456_000, request(1))]


def test_pcap_snaplen_truncates_but_keeps_original_length() -> None:
    buf = io.BytesIO()
    with PcapWriter(buf, snaplen=64) as w:
        w.write_frame(None, 0, request(1))
    data = buf.getvalue()
    assert struct.unpack_from("<I", data, 16)[0] == 64
    assert struct.unpack_from("<II", data, 32) == (64, 70)
    assert read_pcap(io.BytesIO(data)) == [(0, request(1)[:64])]


def test_pcap_round_trips_through_read_pcap(tmp_path: Path) -> None:
    frames = [(0, request(1)), (13_304, reply(1)), (5 * SEC + 1, request(2))]
    with PcapWriter(tmp_path / "a.pcap") as w:
        for ts, f in frames:
            w.write_frame("ignored", ts, f)
    assert read_pcap(tmp_path / "a.pcap") == frames


def test_read_pcap_reads_big_endian_files() -> None:
    data = struct.pack(">IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
    data += struct.pack(">IIII", 1, 5, 3, 3) + b"abc"
    assert read_pcap(io.BytesIO(data)) == [(SEC + 5000, b"abc")]


@pytest.mark.parametrize("data, message", [
    (b"\xd4\xc3\xb2\xa1", "shorter than the 24-byte file header"),
    (b"\0" * 24, "magic"),
    (struct.pack("<IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, 65535, 1) + b"\0" * 8,
     "truncated pcap record header"),
    (struct.pack("<IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, 65535, 1)
     + struct.pack("<IIII", 0, 0, 100, 100) + b"x" * 10, "100 bytes announced"),
    (struct.pack("<IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, 65535, 1)
     + struct.pack("<IIII", 0, SEC, 0, 0), "fraction"),
])
def test_read_pcap_rejects_bad_files_with_value_error(data: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        read_pcap(io.BytesIO(data))


def test_writing_to_a_closed_writer_raises() -> None:
    w = PcapWriter(io.BytesIO())
    w.close()
    w.close()                                   # idempotent
    with pytest.raises(ValueError, match="closed"):
        w.write_frame(None, 0, request(1))


# -- pcapng: byte-exact ----------------------------------------------------------------------

def blocks(data: bytes) -> list[tuple[int, bytes]]:
    """Split a little-endian pcapng file into (type, body) checking both lengths."""
    out, off = [], 0
    while off < len(data):
        btype, total = struct.unpack_from("<II", data, off)
        assert total % 4 == 0
        assert struct.unpack_from("<I", data, off + total - 4)[0] == total
        out.append((btype, data[off + 8:off + total - 4]))
        off += total
    return out


def test_pcapng_blocks_are_byte_exact() -> None:
    buf = io.BytesIO()
    with PcapngWriter(buf) as w:
        assert w.add_interface("k", "lan0") == 0
        w.write_frame("k", (5 << 32) + 7, request(1))       # 70 bytes: 2 of padding
    (t0, shb), (t1, idb), (t2, epb) = blocks(buf.getvalue())
    # SHB: byte-order magic, v1.0, section length -1, shb_userappl "kamebox", opt_endofopt
    assert t0 == 0x0A0D0D0A
    assert shb == (struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)
                   + struct.pack("<HH", 4, 7) + b"kamebox\0" + b"\0\0\0\0")
    # IDB: LINKTYPE_ETHERNET, reserved, snaplen, if_name "lan0", if_tsresol 9, end
    assert t1 == 1
    assert idb == (struct.pack("<HHI", 1, 0, 65535)
                   + struct.pack("<HH", 2, 4) + b"lan0"
                   + struct.pack("<HH", 9, 1) + b"\x09\0\0\0" + b"\0\0\0\0")
    # EPB: interface 0, 64-bit timestamp high/low, captured and original length, data, pad
    assert t2 == 6
    assert struct.unpack_from("<IIIII", epb) == (0, 5, 7, 70, 70)
    assert epb[20:] == request(1) + b"\0\0"


def test_pcapng_auto_registers_an_unknown_key_before_its_first_packet() -> None:
    buf = io.BytesIO()
    with PcapngWriter(buf) as w:
        w.write_frame("net1", 10, request(1))
        w.write_frame("net2", 20, reply(1))
        w.write_frame("net1", 30, request(2))
    assert [t for t, _ in blocks(buf.getvalue())] == [0x0A0D0D0A, 1, 6, 1, 6, 6]
    assert read_pcapng(io.BytesIO(buf.getvalue())) == [
        ("net1", 10, request(1)), ("net2", 20, reply(1)), ("net1", 30, request(2))]


def test_pcapng_add_interface_twice_for_one_key_is_an_error() -> None:
    w = PcapngWriter(io.BytesIO())
    w.add_interface("k", "lan0")
    with pytest.raises(ValueError, match="already registered"):
        w.add_interface("k", "lan0")


@pytest.mark.parametrize("frame_len", [60, 61, 62, 63, 64])
def test_pcapng_pads_packet_data_to_32_bits(frame_len: int) -> None:
    buf = io.BytesIO()
    with PcapngWriter(buf) as w:
        w.write_frame("k", 0, bytes(range(frame_len)))
    assert read_pcapng(io.BytesIO(buf.getvalue())) == [("k", 0, bytes(range(frame_len)))]


def test_read_pcapng_reads_big_endian_files_and_other_resolutions() -> None:
    def block(btype: int, body: bytes) -> bytes:
        return struct.pack(">II", btype, len(body) + 12) + body + struct.pack(">I", len(body) + 12)
    data = block(0x0A0D0D0A, struct.pack(">IHHq", 0x1A2B3C4D, 1, 0, -1))
    data += block(1, struct.pack(">HHI", 1, 0, 0))                     # default: µs
    data += block(1, struct.pack(">HHI", 1, 0, 0) + struct.pack(">HH", 9, 1) + b"\x83\0\0\0")
    data += block(6, struct.pack(">IIIII", 0, 0, 7, 4, 4) + b"abcd")
    data += block(6, struct.pack(">IIIII", 1, 0, 3, 4, 4) + b"efgh")  # 2**-3 s units
    data += block(0xBAD, b"")                                          # skipped
    assert read_pcapng(io.BytesIO(data)) == [("if0", 7000, b"abcd"), ("if1", 375_000_000, b"efgh")]


def good_shb() -> bytes:
    body = struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)
    return struct.pack("<II", 0x0A0D0D0A, 28) + body + struct.pack("<I", 28)


@pytest.mark.parametrize("data, message", [
    (b"\x01\0\0\0\x0c\0\0\0\x0c\0\0\0", "Section Header Block"),
    (good_shb()[:10], "truncated"),
    (struct.pack("<II", 0x0A0D0D0A, 28) + b"\xde\xad\xbe\xef" + bytes(20), "byte-order magic"),
    (good_shb() + struct.pack("<II", 6, 13) + bytes(5), "block length"),
    (good_shb() + struct.pack("<III", 6, 12, 16), "trailing length"),
    (good_shb() + struct.pack("<II", 6, 32) + struct.pack("<IIIII", 0, 0, 0, 0, 0)
     + struct.pack("<I", 32), "only 0 are described"),
])
def test_read_pcapng_rejects_bad_files_with_value_error(data: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        read_pcapng(io.BytesIO(data))


# -- captures of segments: virtual timestamps ------------------------------------------------

def test_segment_capture_stamps_frames_with_their_transmission_start(tmp_path: Path) -> None:
    sched = Scheduler()
    seg = Segment(sched, "lan0", latency_ns=1000)
    pa, pb = seg.attach(Nic(sched)), seg.attach(Nic(sched))
    w = seg.capture_to(tmp_path / "lan0.pcap")
    sched.run_until(3 * US)
    pa.transmit(request(1))
    pa.transmit(request(2))             # queued: starts when the first one has left
    sched.run_until(4 * US)
    pb.transmit(reply(1))
    sched.run_until_idle()
    w.close()
    ser = seg.serialization_ns(70)
    assert read_pcap(tmp_path / "lan0.pcap") == [
        (3 * US, request(1)), (3 * US + ser, request(2)), (4 * US, reply(1))]
    pa.transmit(request(3))             # a closed writer leaves the segment, unharmed
    assert seg.captures == []


def test_capture_includes_frames_later_lost_but_not_giants_or_link_down() -> None:
    sched = Scheduler(1)
    seg = Segment(sched, "lan0", loss=1.0)
    pa, pb = seg.attach(Nic(sched)), seg.attach(Nic(sched))
    buf = io.BytesIO()
    w = PcapWriter(buf)
    seg.add_capture(w)
    pa.transmit(request(1))             # lost on the wire: still captured
    pa.transmit(bytes(2000))            # giant
    pb.set_link(False)
    pb.transmit(reply(1))               # no carrier
    seg.remove_capture(w)
    pa.transmit(request(2))             # not captured any more
    w.close()
    assert read_pcap(io.BytesIO(buf.getvalue())) == [(0, request(1))]


def test_lab_capture_has_one_named_interface_per_segment(tmp_path: Path) -> None:
    sched = Scheduler()
    lan0, lan1 = Segment(sched, "lan0"), Segment(sched, "lan1", latency_ns=50)
    a0, b0 = lan0.attach(Nic(sched)), lan0.attach(Nic(sched))
    a1, b1 = lan1.attach(Nic(sched)), lan1.attach(Nic(sched))
    with LabCapture(tmp_path / "lab.pcapng") as cap:
        assert cap.attach(lan0) == 0 and cap.attach(lan1) == 1
        a0.transmit(request(1))
        sched.run_until(1 * US)
        a1.transmit(request(2))
        sched.run_until_idle()
    data = (tmp_path / "lab.pcapng").read_bytes()
    assert [t for t, _ in blocks(data)] == [0x0A0D0D0A, 1, 1, 6, 6]
    assert read_pcapng(tmp_path / "lab.pcapng") == [
        ("lan0", 0, request(1)), ("lan1", 1 * US, request(2))]
    assert lan0.captures == [] and lan1.captures == []


def test_capture_to_pcapng_path_names_the_interface_after_the_segment(tmp_path: Path) -> None:
    sched = Scheduler()
    seg = Segment(sched, "uplink")
    pa, _ = seg.attach(Nic(sched)), seg.attach(Nic(sched))
    w = seg.capture_to(str(tmp_path / "u.pcapng"))
    pa.transmit(request(1))
    w.close()
    assert read_pcapng(tmp_path / "u.pcapng") == [("uplink", 0, request(1))]


def echo_run(seed: int, path: Path) -> bytes:
    """Ten requests across a lossy segment to an echoer, captured."""
    sched = Scheduler(seed)
    seg = Segment(sched, "lan0", loss=0.5)
    pa = seg.attach(Nic(sched))
    echoer = Echoer(sched)
    echoer.port = seg.attach(echoer)
    with LabCapture(path) as cap:
        cap.attach(seg)
        for i in range(10):
            sched.call_at(i * 100 * US, pa.transmit, request(i))
        sched.run_until_idle()
    return path.read_bytes()


def test_same_seed_and_inputs_give_identical_capture_bytes(tmp_path: Path) -> None:
    first = echo_run(11, tmp_path / "1.pcapng")
    assert echo_run(11, tmp_path / "2.pcapng") == first
    assert echo_run(12, tmp_path / "3.pcapng") != first     # the seed decides what is lost


# -- interop: tshark reads the files without complaint ---------------------------------------

EXPERT = ["-o", "udp.check_checksum:TRUE", "-Y", '_ws.expert.severity >= "Warning"',
          "-T", "fields", "-e", "frame.number", "-e", "_ws.expert.message"]


def tshark(path: Path, *args: str) -> str:
    prog = require_tool("tshark")
    done = subprocess.run([prog, "-r", str(path), *args], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def lab_pings(path: Path, bad_seq: int = -1) -> list[int]:
    """Three echo exchanges over a 10 Mb/s segment into ``path``; the capture times."""
    sched = Scheduler()
    seg = Segment(sched, "lan0", bitrate_bps=10_000_000, latency_ns=2500)
    pa, pb = seg.attach(Nic(sched)), seg.attach(Nic(sched))
    w = seg.capture_to(path)
    times = []
    for seq in range(3):
        sched.run_until(seq * SEC + 1672)
        times.append(sched.now)
        pa.transmit(request(seq, bad_cksum=seq == bad_seq))
        sched.run_for(200 * US)
        times.append(sched.now)
        pb.transmit(reply(seq))
    sched.run_until_idle()
    w.close()
    return times


@pytest.mark.parametrize("name", ["lan0.pcap", "lan0.pcapng"])
def test_tshark_reads_the_capture_without_warnings(tmp_path: Path, name: str) -> None:
    lab_pings(tmp_path / name)
    assert tshark(tmp_path / name, *EXPERT) == ""
    summary = tshark(tmp_path / name, "-T", "fields", "-e", "icmpv6.type", "-e", "icmpv6.echo.sequence_number")
    assert summary.split() == ["128", "0", "129", "0", "128", "1", "129", "1", "128", "2",
                               "129", "2"]


@pytest.mark.parametrize("name", ["lan0.pcap", "lan0.pcapng"])
def test_tshark_sees_the_virtual_timestamps(tmp_path: Path, name: str) -> None:
    times = lab_pings(tmp_path / name)
    out = tshark(tmp_path / name, "-T", "fields", "-e", "frame.time_epoch")
    assert [int(Decimal(x) * SEC) for x in out.split()] == times


@pytest.mark.pcap_unchecked("the capture has a bad checksum on purpose")
def test_tshark_flags_a_bad_icmpv6_checksum(tmp_path: Path) -> None:
    """The expert check above is not vacuous: a broken checksum is reported."""
    lab_pings(tmp_path / "bad.pcapng", bad_seq=1)
    out = tshark(tmp_path / "bad.pcapng", *EXPERT)
    assert out.split("\t")[0] == "3" and "checksum" in out.lower()
