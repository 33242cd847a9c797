"""tcpdump inside an emulated host sees the Linux kernel's traffic over a TAP.

Our host kame (em0 on lan0: 02:00:00:00:00:0a, 2001:db8:1::a) runs tcpdump
(userland/usr_sbin/tcpdump.py: libpcap, /dev/bpf, kernel/net/bpf.py) while the Linux
kernel, on the far side of the TAP in the test's network namespace (2001:db8:1::100,
02:00:00:00:99:01), pings it with iputils ping.  Both sides have a static neighbor
entry for the other (Linux ``ip neigh ... nud permanent``, ours ``ndp -s``) and Linux
does not solicit routers (accept_ra 0), so the only ICMPv6 on the link is the echo
traffic and tcpdump's ``-c`` count is exact.
"""
from __future__ import annotations

import os
import re
import subprocess

import pytest

from kernel.kern.vfs import namei, vfs_install
from tests.conftest import require_tool, tshark_fields, tshark_problems
from tests.interop.conftest import (KAME, KAME_MAC, LINUX_MAC, one_host_lab,
                                    run_in_netns_with_lab, run_lab_until, run_on)

HOST = one_host_lab("taptcpdump")
LINUX = "2001:db8:1::100"
COUNT = 3                                      # echo requests Linux sends
TIME = r"\d\d:\d\d:\d\d\.\d{6}"
ECHO_ID = re.compile(r"(echo (?:request|reply)), id \d+,")


@pytest.fixture
def pinged(netns, make_lab):
    """(lab, netns, tap): kame booted on lan0, bridged to Linux; static neighbors."""
    require_tool("ping")
    lab = make_lab(HOST)
    tap = netns.bridge(lab, "lan0", addresses=[f"{LINUX}/64"], accept_ra=0)
    netns.ip("-6", "neigh", "replace", KAME, "lladdr", KAME_MAC, "dev", tap, "nud", "permanent")
    lab.boot()
    status, out = run_on(lab, "kame", f"ndp -s {LINUX} {LINUX_MAC}")
    assert status == 0, out
    return lab, netns, tap


def _tcpdump_while_linux_pings(lab, ns, line: str):
    """Start ``line`` on kame, wait until it listens, let Linux ping kame COUNT
    times, wait for tcpdump to stop (-c); the job and ping's output."""
    job = lab.start_command("kame", line)
    assert run_lab_until(lab, lambda: "listening on em0" in job.output or job.done, 3.0), \
        job.output
    assert not job.done, job.output
    r = run_in_netns_with_lab(ns, lab, "ping", "-6", "-n", "-c", str(COUNT), "-i", "0.2",
                              "-W", "1", KAME)
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"{COUNT} packets transmitted, {COUNT} received, 0% packet loss" in r.stdout
    # not a terminal: bpf hands its buffer over after the 1 s read timeout
    assert run_lab_until(lab, lambda: job.done, 3.0), job.output
    return job, r.stdout


def _received_by_filter(line: str) -> int:
    """BIOCGSTATS's bs_recv: every packet that reached the descriptor, matching the
    filter or not (FreeBSD's bpf_tap counts bd_rcount before it runs the filter), so
    whatever else crossed em0 while tcpdump listened counts too."""
    m = re.fullmatch(r"(\d+) packets? received by filter", line)
    assert m is not None, line
    return int(m.group(1))


def test_tcpdump_n_c_on_em0_prints_linux_echo_requests_and_our_replies(pinged) -> None:
    """RFC 4443 4.1/4.2 as tcpdump 4.9 prints them: each of Linux's Echo Requests
    (iputils ping: sequence numbers from 1, 56 data bytes, an ICMPv6 length of 64)
    and kame's Echo Reply with the same sequence number, source and destination
    swapped, in order; ``-c 6`` stops after six packets with tcpdump's statistics.
    The time stamps are the lab's virtual clock, a reply after its request."""
    lab, ns, tap = pinged
    job, ping = _tcpdump_while_linux_pings(lab, ns, f"tcpdump -n -i em0 -c {2 * COUNT} icmp6")
    assert job.status == 0, job.output
    lines = job.output.split("\n")
    assert lines[:2] == [
        "tcpdump: verbose output suppressed, use -v or -vv for full protocol decode",
        "listening on em0, link-type EN10MB (Ethernet), capture size 262144 bytes"], lines
    packets = lines[2:2 + 2 * COUNT]
    want = []
    for seq in range(1, COUNT + 1):
        want += [rf"({TIME}) IP6 {LINUX} > {KAME}: ICMP6, echo request, seq {seq}, length 64",
                 rf"({TIME}) IP6 {KAME} > {LINUX}: ICMP6, echo reply, seq {seq}, length 64"]
    stamps = []
    for line, pattern in zip(packets, want):
        m = re.fullmatch(pattern, line)
        assert m is not None, (line, pattern, job.output)
        stamps.append(m.group(1))
    assert stamps == sorted(stamps), stamps                # a reply after its request
    stats = lines[2 + 2 * COUNT:]
    assert stats[0] == f"{2 * COUNT} packets captured", job.output
    assert _received_by_filter(stats[1]) >= 2 * COUNT, job.output
    assert stats[2:] == ["0 packets dropped by kernel", ""], job.output
    # what Linux's ping saw matches
    for seq in range(1, COUNT + 1):
        assert f"64 bytes from {KAME}: icmp_seq={seq} ttl=64 time=" in ping


def test_tcpdump_w_in_our_host_writes_a_pcap_tshark_reads_cleanly(pinged, tmp_path) -> None:
    """``tcpdump -w FILE`` writes the packets bpf gave it to a pcap file of the
    host; copied out, tshark reads it without a warning (checksums validated,
    tests/conftest.py's expert check; the copy under tmp_path is also checked at the
    end of the session) and finds Linux's Echo Requests and our Replies — the same
    frames, field for field, as the lab's own capture of lan0 holds."""
    lab, ns, tap = pinged
    job, _ = _tcpdump_while_linux_pings(lab, ns,
                                        f"tcpdump -i em0 -w /tmp/em0.pcap -c {2 * COUNT} icmp6")
    assert job.status == 0, job.output
    lines = job.output.split("\n")
    assert lines[:2] == ["tcpdump: listening on em0, link-type EN10MB (Ethernet), capture "
                         "size 262144 bytes", f"{2 * COUNT} packets captured"], job.output
    assert _received_by_filter(lines[2]) >= 2 * COUNT, job.output
    assert lines[3:] == ["0 packets dropped by kernel", ""], job.output
    data = bytes(namei(lab.machines["kame"].kernel, None, "/tmp/em0.pcap").v_data)
    assert data[:4] == bytes.fromhex("d4c3b2a1")            # pcap, microseconds, little-endian
    path = tmp_path / "kame-em0.pcap"
    path.write_bytes(data)
    assert tshark_problems(path) == []
    fields = ("eth.src", "eth.dst", "ipv6.src", "ipv6.dst", "ipv6.hlim", "ipv6.plen",
              "icmpv6.type", "icmpv6.echo.identifier", "icmpv6.echo.sequence_number",
              "icmpv6.checksum.status")
    rows = tshark_fields(path, *fields)
    assert len(rows) == 2 * COUNT, rows
    for i, row in enumerate(rows):
        seq = str(i // 2 + 1)
        if i % 2 == 0:
            assert row[:4] + row[5:7] + row[8:] == [LINUX_MAC, KAME_MAC, LINUX, KAME, "64",
                                                    "128", seq, "1"], row
        else:
            assert row[:4] + row[5:7] + row[8:] == [KAME_MAC, LINUX_MAC, KAME, LINUX, "64",
                                                    "129", seq, "1"], row
            assert row[4] == "64" and row[7] == rows[i - 1][7]   # our hop limit; same id
    lab.flush_captures()
    wire = tshark_fields(tmp_path / "cap" / "lan0.pcap", *fields,
                         display_filter="icmpv6.type == 128 || icmpv6.type == 129")
    assert wire == rows
    status, out = run_on(lab, "kame", "tcpdump -n -r /tmp/em0.pcap")
    assert status == 0 and len(out.split("\n")) == 1 + 2 * COUNT + 1, out
    assert out.startswith("reading from file /tmp/em0.pcap, link-type EN10MB (Ethernet)\n"), out
    assert f"IP6 {LINUX} > {KAME}: ICMP6, echo request, seq 1, length 64" in out


@pytest.mark.parametrize("flags", ["-n", "-n -v", "-n -vv -e"])
def test_tcpdump_r_in_our_host_prints_the_lines_linux_tcpdump_prints(netns, make_lab, tmp_path,
                                                                    flags: str) -> None:
    """tcpdump as an oracle of tcpdump: the lab's capture of lan0 — a Linux bridge
    acting as MLDv2 and IGMPv3 querier (its Queries, Linux's and our Reports, with
    their Hop-by-Hop and IPv4 Router Alert options), Neighbor Discovery, and Linux
    pinging kame with 2000 data bytes (fragments) — read back with ``tcpdump FLAGS
    -r`` inside kame prints, line for line, what Debian's tcpdump (4.99) prints for the
    same file (TZ=UTC: both print the time of day of the lab's virtual clock), but for
    the Echo identifier 4.99 adds.  This found that ours printed IGMP as
    ``ip-proto-2 8`` and no IPv4 options with -v."""
    real = require_tool("tcpdump")
    require_tool("ping")
    lab = make_lab(HOST)
    tap = netns.bridge(lab, "lan0")
    br = netns.querier_bridge(tap, igmp_version=3)
    netns.ip("-6", "addr", "add", f"{LINUX}/64", "dev", br, "nodad")
    lab.boot()
    r = run_in_netns_with_lab(netns, lab, "ping", "-6", "-n", "-c", "2", "-i", "0.2", "-s",
                              "2000", "-W", "1", KAME)
    assert r.returncode == 0, r.stdout + r.stderr
    run_lab_until(lab, lambda: False, 1.2)                  # a General Query or two more
    lab.flush_captures()
    pcap = tmp_path / "cap" / "lan0.pcap"
    vfs_install(lab.machines["kame"].kernel, "/tmp/lan0.pcap", pcap.read_bytes())
    status, ours = run_on(lab, "kame", f"tcpdump {flags} -r /tmp/lan0.pcap", 5.0)
    assert status == 0, ours
    theirs = subprocess.run([real, *flags.split(), "-r", str(pcap)], capture_output=True,
                            text=True, timeout=30, env={**os.environ, "TZ": "UTC"})
    assert theirs.returncode == 0, theirs.stderr
    lines = ours.splitlines()
    assert lines[0] == "reading from file /tmp/lan0.pcap, link-type EN10MB (Ethernet)"
    text = "\n".join(lines[1:])
    for what in ("igmp query v3", "igmp v3 report", "multicast listener query v2",
                 "multicast listener report v2", "echo reply", "frag ("):
        assert what in text, (what, text)
    # tcpdump 4.99 (Debian 12) prints the Echo identifier, 4.9 (FreeBSD's, ours) does not
    assert lines[1:] == [ECHO_ID.sub(r"\1,", line) for line in theirs.stdout.splitlines()]
