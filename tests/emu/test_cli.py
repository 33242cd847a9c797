"""``kamebox run`` (emu/cli.py) and Lab.run_command (emu/lab.py): lists, transcripts,
exit statuses, captures, and errors as one line on stderr with exit status 2.

Commands run against tests/emu/fakeproc.py, a stand-in for the kernel's process layer
(Kernel.spawn / kill) with programs whose timing the tests control; the real process
layer runs under the same calls in test_demo.py and tests/userland."""
from __future__ import annotations

import os
import subprocess
import sys

from emu.cli import main
from emu.lab import Lab
from emu.sched import MS, SEC
from emu.wire.pcap import read_pcap
from tests.conftest import ROOT
from tests.emu import fakeproc

DEMO = ROOT / "images" / "labs" / "demo.toml"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(["run", *argv])
    out, err = capsys.readouterr()
    return status, out, err


# -- --list ----------------------------------------------------------------------------------

def test_list_prints_hosts_nics_and_segments(capsys):
    status, out, err = run(capsys, "--list")
    assert status == 0 and err == ""
    # (the path is shown relative to the current directory when it is under it)
    assert ("seed 1: a router with rtadvd, hosts configured by SLAAC and a static one, "
            "on two segments") in out.splitlines()[0]
    assert out.splitlines()[1:] == [
        "segments:",
        "  lan0     latency 1us, rate 1Gbit, loss 0, mtu 1500: alice.em0 bob.em0 r1.em0",
        "  lan1     latency 1us, rate 1Gbit, loss 0, mtu 1500: carol.em0 r1.em1",
        "hosts:",
        "  alice    image host, mem 16M",
        "    em0    02:00:00:00:00:0a  lan0     2001:db8:1::a/64",
        "  bob      image host, mem 16M",
        "    em0    02:00:00:00:00:0b  lan0",
        "  carol    image host, mem 16M",
        "    em0    02:00:00:00:00:0c  lan1",
        "  r1       image router, mem 16M",
        "    em0    02:00:00:00:01:01  lan0     2001:db8:1::1/64",
        "    em1    02:00:00:00:01:02  lan1     2001:db8:2::1/64",
    ]


def test_list_of_a_lab_by_path_and_seed_override(capsys):
    status, out, _ = run(capsys, str(ROOT / "images" / "labs" / "routed.toml"), "--list", "--seed", "5")
    assert status == 0
    assert ", seed 5: " in out
    assert "    em1    02:00:00:00:00:02  lan1     2001:db8:2::1/64" in out
    status, out, _ = run(capsys, "pair", "--list")
    assert "  link0    latency 2ms, rate 10Mbit, loss 0, mtu 1500: left.em0 right.em0" in out
    assert "    em0    02:00:00:00:12:01  link0    2001:db8:12::1/64" in out


# -- errors: exit 2, one line on stderr, no traceback ------------------------------------------

def one_line_error(capsys, *argv: str) -> str:
    status, out, err = run(capsys, *argv)
    assert status == 2, (out, err)
    assert err.count("\n") == 1 and "Traceback" not in err
    return err.strip()


def test_bad_lab_file(capsys, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[segment.lan0]\n\n[host.a]\nnic = [{model = "em", segment = "lan1"}]\n')
    assert one_line_error(capsys, str(bad)) == f'{bad}:4: segment "lan1" is not defined (segments: lan0)'
    bad.write_text('[host.a\n')
    assert one_line_error(capsys, str(bad), "--list").startswith(f"{bad}:1: ")


def test_unknown_lab_and_missing_file(capsys, tmp_path):
    assert one_line_error(capsys, "nosuchlab") == (
        'kamebox: no lab "nosuchlab" (labs: demo, gif, ipsec, pair, routed, slaac, trio; or a lab file)')
    assert one_line_error(capsys, str(tmp_path / "x.toml")) == f"{tmp_path / 'x.toml'}: No such file or directory"


def test_bad_commands_and_scripts(capsys, tmp_path):
    assert one_line_error(capsys, "-c", "alice ls") == (
        'kamebox: -c "alice ls": expected HOST: COMMAND or wait DURATION, got "alice ls"')
    assert one_line_error(capsys, "-c", "dave: ls") == (
        'kamebox: -c "dave: ls": no host "dave" in lab demo (hosts: alice, bob, carol, r1)')
    script = tmp_path / "s.txt"
    script.write_text("# a script\n\nalice: echo hi\nwait soon\n")
    assert one_line_error(capsys, "--script", str(script)) == (
        f'{script}:4: wait: expected a duration like "2s" or "500ms", got "soon"')
    script.write_text("alice: echo hi\n  dave: echo\n")
    assert one_line_error(capsys, "--script", str(script)) == (
        f'{script}:2: no host "dave" in lab demo (hosts: alice, bob, carol, r1)')
    assert one_line_error(capsys, "--script", str(tmp_path / "none")) == (
        f"{tmp_path / 'none'}: No such file or directory")


def test_bad_lab_file_through_the_real_command(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[host.alice]\nnic = [{model = "e1000", segment = "lan0"}]\n')
    r = subprocess.run([sys.executable, "-m", "emu", "run", str(bad)], cwd=ROOT,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr == f'{bad}:2: host.alice.nic[0].model: expected one of em, re, got "e1000"\n'


# -- --pcap --------------------------------------------------------------------------------

def test_pcap_dir_gets_one_capture_per_segment(capsys, tmp_path, monkeypatch):
    fakeproc.install(monkeypatch)
    d = tmp_path / "caps"
    status, out, err = run(capsys, str(ROOT / "images" / "labs" / "routed.toml"), "--pcap", str(d),
                           "-c", "alice: sendframe em0")
    assert status == 0, err
    assert sorted(os.listdir(d)) == ["lan0.pcap", "lan1.pcap"]
    frames = read_pcap(d / "lan0.pcap")
    assert len(frames) == 1 and frames[0][1][:6] == b"\xff" * 6
    assert read_pcap(d / "lan1.pcap") == []


def test_pcap_without_commands_boots_and_writes_valid_files(capsys, tmp_path):
    """The hosts boot (/etc/rc brings em0 up): what the link carries then is DAD,
    Neighbor Solicitations from :: to solicited-node groups (RFC 4862 5.4.2),
    each after the MLDv2 Report (from ::, RFC 3590 4) of the join of its group."""
    from kernel.wire.mld6 import MldV2Report
    status, out, err = run(capsys, "pair", "--pcap", str(tmp_path))
    assert status == 0 and err == ""
    frames = read_pcap(tmp_path / "link0.pcap")
    assert frames
    reported: set[bytes] = set()
    for _t, f in frames:
        assert f[12:14] == b"\x86\xdd" and f[22:38] == bytes(16)        # IPv6 from ::
        if f[20] == 0:                    # hop-by-hop (Router Alert): MLDv2 Report to ff02::16
            assert f[:6] == b"\x33\x33\x00\x00\x00\x16" and f[62] == 143
            reported.update(r.addr for r in MldV2Report.parse(f[62:]).records)
        else:
            assert f[:3] == b"\x33\x33\xff" and f[54] == 135            # NS to ff02::1:ffXX:XXXX
            assert f[38:54] in reported                                  # the join was reported


# -- commands ---------------------------------------------------------------------------------

def test_transcript_and_exit_status(capsys, monkeypatch):
    fakeproc.install(monkeypatch)
    status, out, err = run(capsys, "-c", "alice: echo hello world", "-c", "bob: hostname")
    assert (status, err) == (0, "")
    assert out == "alice# echo hello world\nhello world\nbob# hostname\nbob\n"


def test_a_failing_command_makes_the_exit_status_non_zero(capsys, monkeypatch):
    fakeproc.install(monkeypatch)
    status, out, _ = run(capsys, "-c", "alice: false", "-c", "alice: echo after")
    assert status == 1
    assert out == "alice# false\nalice# echo after\nafter\n"


def test_command_not_found(capsys, monkeypatch):
    fakeproc.install(monkeypatch)
    status, out, _ = run(capsys, "-c", "alice: ping7 bob")
    assert status == 1
    assert out == "alice# ping7 bob\nalice: ping7: Command not found.\n"


def test_script_file_with_waits_and_comments(capsys, monkeypatch, tmp_path):
    fakeproc.install(monkeypatch)
    script = tmp_path / "s.txt"
    script.write_text("# boot, then\nalice: echo one   # not a comment to us: shlex drops it\n"
                      "wait 2s\n\ncarol: echo 'two  spaces'\n")
    status, out, _ = run(capsys, "--script", str(script))
    assert status == 0
    assert out == "alice# echo one   # not a comment to us: shlex drops it\none\ncarol# echo 'two  spaces'\ntwo  spaces\n"


def test_console_messages_after_boot_are_shown_with_the_host_name(capsys, monkeypatch):
    fakeproc.install(monkeypatch)
    status, out, _ = run(capsys, "-c", "bob: daemon", "-c", "bob: sleep 1")
    assert status == 0
    assert out == "bob# daemon\nbob# sleep 1\nbob: daemon: started\n"
    status, out, _ = run(capsys, "-v", "-c", "bob: echo x")
    assert out.startswith("alice: Copyright (c) 1998-2006 The KAME Project.")
    assert "bob: em0: Ethernet address: 02:00:00:00:00:0b\n" in out


def test_timeout_sends_sigint(capsys, monkeypatch):
    procs = fakeproc.install(monkeypatch)
    status, out, _ = run(capsys, "--timeout", "0.25", "-c", "alice: ticker")
    assert status == 1
    assert out == ("alice# ticker\ntick 1\ntick 2\ntick 3\n"
                   "alice: ticker: timed out after 250ms, sending SIGINT\n^C\n")
    assert procs.signals == [(100, 2)]
    lab = Lab.from_file(DEMO)
    lab.boot()
    assert lab.run_command("alice", "ticker", timeout=150 * MS) == (
        130, "tick 1\ntick 2\nalice: ticker: timed out after 150ms, sending SIGINT\n^C\n")


def test_without_the_process_layer_commands_fail_with_a_message(capsys):
    status, out, _ = run(capsys, "-c", "alice: echo hi")
    assert status == 1
    assert out == "alice# echo hi\nalice: echo: Command not found.\n"


def test_realtime_mode_runs_commands_paced(capsys, monkeypatch):
    import time
    fakeproc.install(monkeypatch)
    t0 = time.monotonic()
    status, out, _ = run(capsys, "--realtime", "-c", "alice: sleep 0.2", "-c", "alice: echo done")
    assert status == 0 and out == "alice# sleep 0.2\nalice# echo done\ndone\n"
    assert time.monotonic() - t0 >= 0.2


# -- Lab.run_command --------------------------------------------------------------------------

def test_run_command_api(monkeypatch):
    fakeproc.install(monkeypatch)
    lab = Lab.from_file(DEMO)
    lab.boot()
    assert lab.run_command("alice", "echo a  b") == (0, "a b\n")
    assert lab.run_command("alice", "") == (0, "")
    assert lab.run_command("alice", "/usr/bin/false") == (1, "")
    assert lab.run_command("alice", "echo 'open") == (1, "alice: No closing quotation.\n")
    assert lab.run_command("dave", "echo") == (1, 'kamebox: no host "dave" (hosts: alice, bob, carol, r1)\n')
    t = lab.sched.now
    assert lab.run_command("alice", "sleep 3")[0] == 0
    assert lab.sched.now - t == 3 * SEC + fakeproc.START_DELAY     # stops right at the exit
