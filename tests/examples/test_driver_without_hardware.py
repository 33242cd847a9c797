"""examples/driver_without_hardware.py: the documented user story of issue 2."""
from __future__ import annotations

import runpy
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT, require_tool

EXAMPLE = ROOT / "examples" / "driver_without_hardware.py"


def load():
    return runpy.run_path(str(EXAMPLE), run_name="example")


def test_every_frame_sent_is_received_or_counted_and_exit_status_is_0(capsys):
    assert load()["main"](["--quiet"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("PASS: ")


def test_multicast_step_shows_device_and_kernel_filtering(capsys):
    load()["main"]([])
    out = capsys.readouterr().out
    assert ("received 20 (joined group), dropped by the device's MTA filter 20 (other hash), "
            "dropped by the kernel's software filter 20 (colliding hash)") in out


def test_colliding_group_really_shares_the_mta_bit_by_the_datasheet_formula():
    ns = load()
    h = lambda a: ((a[4] >> 4) | (a[5] << 4)) & 0xFFF      # docs/hw/em.md 5.3, MO = 00
    assert h(ns["GROUP_JOINED"]) == h(ns["GROUP_COLLIDES"]) != h(ns["GROUP_OTHER"])


def test_faults_are_injected_and_survived(capsys):
    load()["main"]([])
    out = capsys.readouterr().out
    assert "lost interrupts: 3 lost, all 50 frames delivered: True" in out
    assert "RX DMA fault: device dma_faults 1, driver resets 1" in out
    assert "TX DMA fault: device dma_faults 1, driver resets 1" in out
    assert "link state changed to DOWN / em0: link state changed to UP" in out
    ring = [l for l in out.splitlines() if "RX ring exhaustion" in l][0]
    assert int(ring.split("->")[1].split()[0]) > 0


def test_same_seed_gives_identical_pcap_bytes(tmp_path):
    ns = load()
    a, b = tmp_path / "a.pcap", tmp_path / "b.pcap"
    assert ns["main"](["--quiet", "--pcap", str(a)]) == 0
    assert ns["main"](["--quiet", "--pcap", str(b)]) == 0
    assert a.read_bytes() == b.read_bytes() and a.stat().st_size > 100_000


def test_pcapng_capture_reads_in_tshark_without_warnings(tmp_path):
    tshark = require_tool("tshark")
    f = tmp_path / "lan0.pcapng"
    assert load()["main"](["--quiet", "--pcap", str(f)]) == 0
    r = subprocess.run([tshark, "-r", str(f), "-Y", '_ws.expert.severity >= "Warning"',
                        "-T", "fields", "-e", "frame.number", "-e", "_ws.expert.message"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and r.stdout.strip() == ""
    r = subprocess.run([tshark, "-r", str(f), "-T", "fields", "-e", "frame.interface_name"],
                       capture_output=True, text=True, timeout=120)
    assert set(r.stdout.split()) == {"lan0"}


def test_kamebox_demo_driver_and_example_driver_run_the_example():
    """``kamebox demo`` is the IPv6 lab demo now; the driver example stays one option away."""
    for argv in (["demo", "--driver", "--quiet"], ["example", "driver", "--quiet"]):
        r = subprocess.run([sys.executable, "-m", "emu", *argv], cwd=ROOT,
                           capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr
        assert r.stdout.startswith("PASS: ")


def test_the_example_runs_on_its_own():
    r = subprocess.run([sys.executable, str(EXAMPLE), "--quiet"], cwd=ROOT,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("PASS: ")


def test_bad_command_line_gets_one_line_error_not_traceback():
    r = subprocess.run([sys.executable, str(EXAMPLE), "--seed", "x"], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "invalid int value" in r.stderr
