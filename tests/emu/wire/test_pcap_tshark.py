"""The session check of tests/conftest.py: every capture a test writes is read by
tshark (INTEROP.md), and a frame tshark flags fails the run, naming the test,
the file and the frame."""
from __future__ import annotations

import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from emu.wire.pcap import PcapWriter
from tests.conftest import ROOT, require_tool, tshark_problems
from tests.emu.wire.test_pcap import LL_A, MAC_A, inet_cksum, lab_pings, request


def neighbor_solicitation(options: bytes) -> bytes:
    """An NS for fe80::2 from fe80::1 (RFC 4861 4.3) carrying ``options``, checksum right."""
    target = bytes.fromhex("fe800000000000000000000000000002")
    dst = bytes.fromhex("ff0200000000000000000001ff000002")
    icmp = struct.pack("!BBHI", 135, 0, 0, 0) + target + options
    cksum = inet_cksum(LL_A + dst + struct.pack("!I3xB", len(icmp), 58) + icmp)
    icmp = icmp[:2] + struct.pack("!H", cksum) + icmp[4:]
    ip6 = struct.pack("!IHBB", 6 << 28, len(icmp), 58, 255) + LL_A + dst
    return bytes.fromhex("3333ff000002") + MAC_A + b"\x86\xdd" + ip6 + icmp


def test_a_clean_capture_has_no_problems(tmp_path: Path) -> None:
    lab_pings(tmp_path / "ok.pcap")
    assert tshark_problems(tmp_path / "ok.pcap") == []


@pytest.mark.pcap_unchecked("bad checksum on purpose")
def test_a_bad_icmpv6_checksum_is_a_problem_of_its_frame(tmp_path: Path) -> None:
    lab_pings(tmp_path / "bad.pcapng", bad_seq=1)
    problems = tshark_problems(tmp_path / "bad.pcapng")
    assert len(problems) == 1 and problems[0].startswith("frame 3 (ICMPv6): Bad checksum")


@pytest.mark.pcap_unchecked("malformed ND option on purpose")
def test_rfc4861_4_6_a_zero_length_nd_option_is_a_problem(tmp_path: Path) -> None:
    """"Nodes MUST silently discard an ND packet that contains an option with
    length zero": tshark flags one in a capture."""
    with PcapWriter(tmp_path / "ns.pcap") as w:
        w.write_frame(None, 0, neighbor_solicitation(bytes.fromhex("0101") + MAC_A))
        w.write_frame(None, 1000, neighbor_solicitation(bytes.fromhex("0100") + bytes(6)))
    problems = tshark_problems(tmp_path / "ns.pcap")
    assert problems and all(p.startswith("frame 2 ") for p in problems), problems


@pytest.mark.pcap_unchecked("the inner session writes a bad capture on purpose")
def test_the_session_fails_naming_the_test_that_wrote_a_bad_frame(tmp_path: Path) -> None:
    """A pytest run in which one test writes a bad checksum and another a clean
    capture (and a third, marked pcap_unchecked, a bad one): the last item
    fails, naming only the first test, its file and the frame."""
    require_tool("tshark")
    (tmp_path / "conftest.py").write_text("from tests.conftest import *  # noqa: F401,F403\n")
    (tmp_path / "test_inner.py").write_text(
        "import pytest\n"
        "from tests.emu.wire.test_pcap import lab_pings\n"
        "def test_writes_bad(tmp_path):\n"
        "    lab_pings(tmp_path / 'bad.pcap', bad_seq=2)\n"
        "def test_writes_good(tmp_path):\n"
        "    lab_pings(tmp_path / 'good.pcap')\n"
        "@pytest.mark.pcap_unchecked('on purpose')\n"
        "def test_writes_bad_knowingly(tmp_path):\n"
        "    lab_pings(tmp_path / 'knowingly.pcap', bad_seq=0)\n")
    # Under CI (the CI variable set) pytest repeats the whole multi-line failure
    # message in the short summary; the test counts distinct lines.
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "BUILD_NUMBER")}
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=",
         "--basetemp", str(tmp_path / "base"), str(tmp_path / "test_inner.py")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    out = done.stdout
    assert done.returncode == 1, out + done.stderr
    assert "3 passed" in out and "1 failed" in out
    flagged = sorted({l for l in out.splitlines() if l.startswith("test_inner.py::")})
    assert len(flagged) == 1, out
    assert flagged[0].startswith("test_inner.py::test_writes_bad: ")
    assert flagged[0].endswith("bad.pcap: frame 5 (ICMPv6): Bad checksum [should be 0x%04x]"
                               % _good_cksum(2)), flagged[0]


def _good_cksum(seq: int) -> int:
    frame = request(seq)
    return struct.unpack_from("!H", frame, 14 + 40 + 2)[0]

