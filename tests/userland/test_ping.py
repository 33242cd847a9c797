"""ping(8) (userland/sbin/ping.py) between two hosts and across a router, in
virtual time: FreeBSD's output, statistics, exit statuses, errors, signals; and
the frames of an exchange read by tshark."""
from __future__ import annotations

import re
import subprocess

import pytest

from emu.sched import MS, SEC
from tests.conftest import require_tool, tshark_fields, tshark_problems
from tests.userland.inetlab import inet, pair4, routed4  # noqa: F401 - the fixture

T = r"\d+\.\d{3}"
REPLY = re.compile(rf"64 bytes from 10\.0\.0\.2: icmp_seq=(\d+) ttl=64 time=({T}) ms\Z")
RTT = re.compile(rf"round-trip min/avg/max/stddev = ({T})/({T})/({T})/({T}) ms\Z")


def test_ping_c3_prints_freebsd_lines(inet):
    lab = pair4()
    t0 = lab.sched.now
    status, out = lab.run_command("left", "ping -c 3 10.0.0.2")
    assert status == 0, out
    lines = out.split("\n")
    assert lines[0] == "PING 10.0.0.2 (10.0.0.2): 56 data bytes"
    seqs, times = [], []
    for line in lines[1:4]:
        m = REPLY.match(line)
        assert m, line
        seqs.append(int(m.group(1)))
        times.append(float(m.group(2)))
    assert seqs == [0, 1, 2]
    assert lines[4:7] == ["", "--- 10.0.0.2 ping statistics ---",
                          "3 packets transmitted, 3 packets received, 0.0% packet loss"]
    m = RTT.match(lines[7])
    assert m, lines[7]
    mn, avg, mx, _dev = (float(x) for x in m.groups())
    assert mn == min(times) and mx == max(times) and mn <= avg <= mx and 0 < mx < 1.0
    assert lines[8:] == [""]
    assert 2 * SEC <= lab.sched.now - t0 < 3 * SEC           # one a second, stops at the 3rd reply


def test_unanswered_ping_waits_maxwait_after_the_last_and_exits_2(inet):
    """FreeBSD ping: after the last request it waits MAXWAIT (10 s) when nothing
    came back, then prints the statistics and exits 2."""
    lab = pair4()
    t0 = lab.sched.now
    status, out = lab.run_command("left", "ping -c 2 10.0.0.9")
    assert status == 2
    assert out == ("PING 10.0.0.9 (10.0.0.9): 56 data bytes\n\n"
                   "--- 10.0.0.9 ping statistics ---\n"
                   "2 packets transmitted, 0 packets received, 100.0% packet loss\n")
    assert lab.sched.now - t0 == 12 * SEC


def test_host_down_after_arp_maxtries_is_sendto_host_is_down(inet):
    """RFC 1122 2.3.2.1 / FreeBSD: five unanswered ARP requests, then the host is
    down: ``ping: sendto: Host is down`` from the sixth request on."""
    lab = pair4()
    status, out = lab.run_command("left", "ping -c 8 -W 1 10.0.0.9")
    assert status == 2
    assert out.count("ping: sendto: Host is down\n") == 3
    assert "8 packets transmitted, 0 packets received, 100.0% packet loss" in out
    status, out = lab.run_command("left", "arp -an")
    assert "? (10.0.0.9) at (incomplete) on em0 expires in " in out


def test_quiet_interval_size_and_pattern(inet):
    lab = pair4()
    t0 = lab.sched.now
    status, out = lab.run_command("left", "ping -q -c 5 -i 0.2 10.0.0.2")
    assert status == 0
    assert out.splitlines()[:3] == ["PING 10.0.0.2 (10.0.0.2): 56 data bytes", "",
                                   "--- 10.0.0.2 ping statistics ---"]
    assert 800 * MS <= lab.sched.now - t0 < 1 * SEC
    status, out = lab.run_command("left", "ping -c 1 -p ab12 -s 20 10.0.0.2")
    assert status == 0, out
    assert out.startswith("PATTERN: 0xab12\nPING 10.0.0.2 (10.0.0.2): 20 data bytes\n")
    assert "28 bytes from 10.0.0.2: icmp_seq=0 ttl=64 time=" in out
    assert "wrong data byte" not in out


def test_4000_byte_ping_is_fragmented_and_reassembled(inet):
    lab = pair4()
    assert lab.run_command("left", "ping -c 1 10.0.0.2")[0] == 0       # resolve first
    status, out = lab.run_command("left", "ping -c 2 -s 4000 10.0.0.2")
    assert status == 0, out
    assert out.count("4008 bytes from 10.0.0.2: icmp_seq=") == 2
    assert "wrong" not in out
    left = lab.machines["left"].kernel
    right = lab.machines["right"].kernel
    assert right.ipstat.ips_reassembled == 2 and left.ipstat.ips_reassembled == 2
    assert left.ipstat.ips_fragmented == 2


def test_loopback_and_own_address(inet):
    lab = pair4()
    for dst in ("127.0.0.1", "10.0.0.1"):
        status, out = lab.run_command("left", f"ping -c 1 {dst}")
        assert status == 0, out
        assert f"64 bytes from {dst}: icmp_seq=0 ttl=64 time=" in out


def test_ttl_expiry_on_the_router_is_printed_with_the_returned_header(inet):
    """RFC 1812 5.3.1: the router answers TTL 1 with Time Exceeded; ping prints it
    with the header it quotes (pr_icmph, pr_retip), as it refers to our request."""
    lab = routed4()
    status, out = lab.run_command("left", "ping -c 1 -m 1 10.0.2.1")
    assert status == 2
    lines = out.splitlines()
    assert lines[1] == "36 bytes from 10.0.1.254: Time to live exceeded"
    assert lines[2] == "Vr HL TOS  Len   ID Flg  off TTL Pro  cks      Src      Dst"
    assert re.match(r" 4  5  00 0054 [0-9a-f]{4}   0 0000  01  01 [0-9a-f]{4} 10\.0\.1\.1  "
                    r"10\.0\.2\.1 \Z", lines[3]), lines[3]
    status, out = lab.run_command("left", "ping -c 2 10.0.2.1")
    assert status == 0 and "64 bytes from 10.0.2.1: icmp_seq=1 ttl=63 time=" in out


def test_no_route_and_unknown_host(inet):
    lab = pair4()
    status, out = lab.run_command("left", "ping -c 1 192.0.2.1")
    assert status == 2
    assert "ping: sendto: No route to host\n" in out
    assert lab.run_command("left", "ping -c 1 nosuchhost") == (
        68, "ping: cannot resolve nosuchhost: Unknown host\n")


@pytest.mark.parametrize("args,msg", [
    ("-c 0 10.0.0.2", "ping: invalid count of packets to transmit: `0'\n"),
    ("-i x 10.0.0.2", "ping: invalid timing interval: `x'\n"),
    ("-s 70000 10.0.0.2", "ping: packet size too large: 70000 > 65507\n"),
    ("-t 0 10.0.0.2", "ping: invalid timeout: `0'\n"),
    ("-m 300 10.0.0.2", "ping: invalid TTL: `300'\n"),
    ("-I 10.0.0.1 10.0.0.2", "ping: -I, -L, -T flags cannot be used with unicast destination\n"),
    ("-I bogus 224.0.0.1", "ping: invalid multicast interface: `bogus'\n"),
])
def test_usage_errors_are_ex_usage(inet, args, msg):
    lab = pair4()
    assert lab.run_command("left", f"ping {args}") == (64, msg)


def test_usage_message(inet):
    lab = pair4()
    status, out = lab.run_command("left", "ping")
    assert status == 64
    assert out.startswith("usage: ping [-AaDdfnoQqRrv] [-c count] [-i wait] [-l preload]")


def test_timeout_ends_the_ping_with_the_statistics(inet):
    """-t timeout: SIGALRM after that many seconds ends ping, which prints the
    statistics (FreeBSD's stopit)."""
    lab = pair4()
    t0 = lab.sched.now
    status, out = lab.run_command("left", "ping -t 3 10.0.0.2")
    assert status == 0
    assert lab.sched.now - t0 == 3 * SEC
    assert "3 packets transmitted, 3 packets received, 0.0% packet loss" in out


def test_sigint_prints_the_statistics(inet):
    lab = pair4()
    job = lab.start_command("left", "ping 10.0.0.2")
    lab.run_for(3 * SEC + 500 * MS)
    assert not job.done
    assert job.interrupt()
    assert lab.wait(job, 5 * SEC) == 0
    assert job.output.count("bytes from 10.0.0.2") == 4
    assert "\n--- 10.0.0.2 ping statistics ---\n4 packets transmitted, 4 packets received" \
        in job.output


def test_multicast_all_hosts_with_dash_I_gets_duplicates(inet):
    """RFC 1112: every host of 224.0.0.1 answers when net.inet.icmp.bmcastecho is
    set; ``-I`` picks the interface (IP_MULTICAST_IF); later answers are DUP!s."""
    lab = pair4()
    for h in ("left", "right"):
        lab.machines[h].kernel.icmp.icmpbmcastecho = 1
    status, out = lab.run_command("left", "ping -c 2 -I 10.0.0.1 224.0.0.1")
    assert status == 0, out
    assert "64 bytes from 10.0.0.1: icmp_seq=0 ttl=64" in out          # our own loopback copy
    assert re.search(r"64 bytes from 10\.0\.0\.2: icmp_seq=0 ttl=64 time=\d+\.\d{3} ms \(DUP!\)", out)


def test_ipv4_exchange_passes_tshark(inet, tmp_path):
    """ARP requests and replies, echo requests and replies, fragments: tshark finds
    no malformed frame or bad checksum (IP header checksums checked too)."""
    lab = pair4(capture=tmp_path)
    assert lab.run_command("left", "ping -c 2 10.0.0.2")[0] == 0
    assert lab.run_command("left", "ping -c 1 -s 3000 10.0.0.2")[0] == 0
    lab.flush_captures()
    pcap = tmp_path / "link0.pcap"
    assert tshark_problems(pcap) == []
    tshark = require_tool("tshark")
    done = subprocess.run([tshark, "-n", "-r", str(pcap), "-o", "ip.check_checksum:TRUE",
                           "-Y", "ip.checksum.status == \"Bad\" or icmp.checksum_bad",
                           "-T", "fields", "-e", "frame.number"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "", done.stdout + done.stderr
    rows = tshark_fields(pcap, "arp.opcode", "arp.src.proto_ipv4", "arp.dst.proto_ipv4",
                         display_filter="arp")
    assert ["1", "10.0.0.1", "10.0.0.2"] in rows and ["2", "10.0.0.2", "10.0.0.1"] in rows
    echo = tshark_fields(pcap, "icmp.type", "icmp.seq", display_filter="icmp")
    assert [r for r in echo if r[0] in ("8", "0")][:4] == [["8", "0"], ["0", "0"], ["8", "1"],
                                                          ["0", "1"]]
    assert tshark_fields(pcap, "ip.flags.mf", display_filter="ip.flags.mf == 1")
