"""ping6(8) (userland/sbin/ping6.py) on the demo lab, in virtual time: FreeBSD's
(KAME's) output, exit statuses, signals, multicast duplicates, fragmentation; and
the frames of a two-host exchange read by tshark."""
from __future__ import annotations

import re

from emu.sched import MS, SEC
from tests.conftest import tshark_fields, tshark_problems
from tests.userland.labs import demo
from tests.userland.netlab import LL_LEFT, LL_RIGHT, pair, up

T = r"\d+\.\d{3}"
REPLY = re.compile(rf"16 bytes from 2001:db8:1::b, icmp_seq=(\d+) hlim=64 time=({T}) ms\Z")
RTT = re.compile(rf"round-trip min/avg/max/std-dev = ({T})/({T})/({T})/({T}) ms\Z")


def test_ping6_c3_bob_prints_freebsd_lines():
    lab = demo()
    t0 = lab.sched.now
    status, out = lab.run_command("alice", "ping6 -c 3 bob")
    assert status == 0, out
    lines = out.split("\n")
    assert lines[0] == "PING6(56=40+8+8 bytes) 2001:db8:1::a --> 2001:db8:1::b"
    seqs = []
    times = []
    for line in lines[1:4]:
        m = REPLY.match(line)
        assert m, line
        seqs.append(int(m.group(1)))
        times.append(float(m.group(2)))
    assert seqs == [0, 1, 2]
    assert lines[4:7] == ["", "--- bob ping6 statistics ---",
                          "3 packets transmitted, 3 packets received, 0.0% packet loss"]
    m = RTT.match(lines[7])
    assert m, lines[7]
    mn, avg, mx, _dev = (float(x) for x in m.groups())
    assert mn == min(times) and mx == max(times) and mn <= avg <= mx
    assert 0 < mn < 1.0                              # a 1 Gbit/s segment: well under a ms
    assert lines[8:] == [""]
    # one request a second; ping6 stops at the third reply
    assert 2 * SEC <= lab.sched.now - t0 < 3 * SEC


def test_numeric_target_names_the_address_in_the_statistics():
    lab = demo()
    status, out = lab.run_command("alice", "ping6 -c 1 2001:db8:1::c")
    assert status == 0
    assert "\n--- 2001:db8:1::c ping6 statistics ---\n" in out
    assert "16 bytes from 2001:db8:1::c, icmp_seq=0 hlim=64 time=" in out


def test_same_seed_same_transcript():
    a = demo(seed=5).run_command("alice", "ping6 -c 2 carol")
    b = demo(seed=5).run_command("alice", "ping6 -c 2 carol")
    assert a == b and a[0] == 0


def test_unreachable_on_link_host_gives_100_percent_loss_and_exit_2():
    """Nobody answers ND for 2001:db8:1::99: no replies.  KAME's ping6 stops at
    the first SIGALRM after the last request (one interval), and exits 2."""
    lab = demo()
    t0 = lab.sched.now
    status, out = lab.run_command("alice", "ping6 -c 2 2001:db8:1::99")
    assert status == 2
    assert out == ("PING6(56=40+8+8 bytes) 2001:db8:1::a --> 2001:db8:1::99\n\n"
                   "--- 2001:db8:1::99 ping6 statistics ---\n"
                   "2 packets transmitted, 0 packets received, 100.0% packet loss\n")
    assert lab.sched.now - t0 == 2 * SEC


def test_no_route_is_udp_connect_error():
    lab = demo()
    assert lab.run_command("alice", "ping6 -c 1 2001:db8:99::1") == (
        1, "ping6: UDP connect: No route to host\n")


def test_unknown_host_and_usage():
    lab = demo()
    assert lab.run_command("alice", "ping6 -c 1 nosuchhost") == (
        1, "ping6: hostname nor servname provided, or not known\n")
    status, out = lab.run_command("alice", "ping6")
    assert status == 1 and out.startswith("usage: ping6 [-DdfHmnNoqrRtvwW] [-a addrtype]")
    assert lab.run_command("alice", "ping6 -c 0 bob") == (
        1, "ping6: illegal number of packets -- 0\n")
    assert lab.run_command("alice", "ping6 -h 300 bob") == (1, "ping6: illegal hoplimit -- 300\n")
    assert lab.run_command("alice", "ping6 -I em9 fe80::1") == (
        1, "ping6: em9: invalid interface name\n")


def test_sigint_prints_the_statistics_and_dies_of_sigint():
    lab = demo()
    job = lab.start_command("alice", "ping6 bob")
    lab.run_for(3 * SEC + 500 * MS)
    assert not job.done
    assert job.interrupt()
    assert lab.wait(job, 5 * SEC) == 130                 # 128 + SIGINT, as sh shows it
    out = job.output
    assert out.count("bytes from 2001:db8:1::b") == 4
    assert out.endswith("\n--- bob ping6 statistics ---\n"
                        "4 packets transmitted, 4 packets received, 0.0% packet loss\n"
                        + out.rsplit("\n", 2)[-2] + "\n")
    assert RTT.match(out.rsplit("\n", 2)[-2])


def test_siginfo_prints_the_statistics_and_goes_on():
    lab = demo()
    job = lab.start_command("alice", "ping6 -c 4 bob")
    lab.run_for(1 * SEC + 500 * MS)
    lab.machines["alice"].kernel.kill(job.proc.p_pid, 29)      # SIGINFO (^T)
    assert lab.wait(job) == 0
    assert job.output.count("ping6 statistics ---") == 2
    assert "2 packets transmitted, 2 packets received, 0.0% packet loss" in job.output
    assert "4 packets transmitted, 4 packets received, 0.0% packet loss" in job.output


def test_multicast_ping_shows_dup_replies():
    lab = demo()
    status, out = lab.run_command("alice", "ping6 -c 2 -i 2 ff02::1%em0")
    assert status == 0, out
    lines = out.splitlines()
    assert lines[0] == "PING6(56=40+8+8 bytes) fe80::ff:fe00:1%em0 --> ff02::1%em0"
    seq0 = [l for l in lines if "icmp_seq=0 " in l]
    assert len(seq0) == 3                                # alice itself, bob and carol
    assert sum(l.endswith(" ms(DUP!)") for l in seq0) == 2
    assert {l.split(",")[0] for l in seq0} == {
        "16 bytes from fe80::ff:fe00:1%em0", "16 bytes from fe80::ff:fe00:2%em0",
        "16 bytes from fe80::ff:fe00:3%em0"}
    assert re.search(r"\n2 packets transmitted, 2 packets received, \+\d duplicates, "
                     r"0\.0% packet loss\n", out)


def test_link_local_with_zone_and_with_dash_I():
    lab = demo()
    status, out = lab.run_command("alice", "ping6 -c 1 fe80::ff:fe00:2%em0")
    assert status == 0
    assert "16 bytes from fe80::ff:fe00:2%em0, icmp_seq=0 hlim=64 time=" in out
    status, out = lab.run_command("alice", "ping6 -c 1 -I em0 fe80::ff:fe00:3")
    assert status == 0, out
    assert "16 bytes from fe80::ff:fe00:3%em0, icmp_seq=0 hlim=64" in out


def test_4000_byte_ping_is_fragmented_and_reassembled():
    lab = demo()
    bob = lab.machines["bob"].kernel
    alice = lab.machines["alice"].kernel
    status, out = lab.run_command("alice", "ping6 -c 2 -s 4000 bob")
    assert status == 0, out
    assert out.startswith("PING6(4048=40+8+4000 bytes) 2001:db8:1::a --> 2001:db8:1::b\n")
    assert out.count("4008 bytes from 2001:db8:1::b") == 2
    assert "wrong data byte" not in out
    assert bob.ip6stat.ip6s_reassembled >= 2 and alice.ip6stat.ip6s_reassembled >= 2
    assert alice.ip6stat.ip6s_fragmented >= 2 and bob.ip6stat.ip6s_fragmented >= 2


def test_quiet_interval_hoplimit_and_pattern():
    lab = demo()
    t0 = lab.sched.now
    status, out = lab.run_command("alice", "ping6 -q -c 5 -i 0.2 bob")
    assert status == 0
    assert out.splitlines()[:3] == ["PING6(56=40+8+8 bytes) 2001:db8:1::a --> 2001:db8:1::b", "",
                                   "--- bob ping6 statistics ---"]
    assert 800 * MS <= lab.sched.now - t0 < 1 * SEC
    status, out = lab.run_command("alice", "ping6 -c 1 -h 1 -p ab12 -s 20 bob")
    assert status == 0
    assert out.startswith("PATTERN: 0xab12\nPING6(68=40+8+20 bytes)")
    assert "28 bytes from 2001:db8:1::b, icmp_seq=0 hlim=64" in out


def test_flood_ping():
    lab = demo()
    status, out = lab.run_command("alice", "ping6 -f -c 50 bob")
    assert status == 0
    body = out.split("\n", 1)[1]
    assert body.startswith(".\b" * 50)
    assert "50 packets transmitted, 50 packets received, 0.0% packet loss" in out


# -- multicast: every listener answers (DUP!), as long as ping6 is still reading ----------------

def test_multicast_ping_c3_three_hosts_counts_dups_until_every_request_has_a_reply(tmp_path):
    """``ping6 -c 3 ff02::1%em0`` among three hosts: alice answers herself first
    (multicast loopback), bob and carol's answers to the same sequence number
    are DUP!s.  As KAME's ping6.c (FreeBSD 6-9, and sbin/ping/ping6.c today),
    ping6 stops as soon as ``nreceived >= npackets``: at the first answer to the
    third request.  Bob's and carol's answers to it are on the wire but come
    after ping6 exited, so they are not counted."""
    lab = demo(pcap_dir=tmp_path)
    t0 = lab.sched.now
    status, out = lab.run_command("alice", "ping6 -c 3 ff02::1%em0")
    assert status == 0, out
    lines = out.splitlines()
    me, bob, carol = (f"16 bytes from fe80::ff:fe00:{n}%em0" for n in (1, 2, 3))
    got = [(l.split(",")[0], int(re.search(r"icmp_seq=(\d+)", l).group(1)),
            l.endswith("(DUP!)")) for l in lines[1:-4]]
    assert got == [(me, 0, False), (bob, 0, True), (carol, 0, True),
                   (me, 1, False), (bob, 1, True), (carol, 1, True),
                   (me, 2, False)]
    assert lines[-3:-1] == ["--- ff02::1%em0 ping6 statistics ---",
                            "3 packets transmitted, 3 packets received, +4 duplicates, "
                            "0.0% packet loss"]
    assert RTT.match(lines[-1])
    assert 2 * SEC <= lab.sched.now - t0 < 2 * SEC + 10 * MS     # one request a second
    lab.run_for(10 * MS)
    lab.flush_captures()
    rows = tshark_fields(tmp_path / "lan0.pcap", "icmpv6.type", "ipv6.src",
                         "icmpv6.echo.sequence_number",
                         display_filter="icmpv6.type == 128 or icmpv6.type == 129")
    assert [r for r in rows if r[0] == "128"] == [
        ["128", "fe80::ff:fe00:1", str(s)] for s in range(3)]
    replies = sorted((r[1], int(r[2])) for r in rows if r[0] == "129")
    assert replies == [(f"fe80::ff:fe00:{h}", s) for h in (2, 3) for s in range(3)]


def test_multicast_late_replies_to_earlier_requests_are_still_dups():
    """With ``-i 0.0003`` the next request leaves before bob and carol answer
    the previous one (their first answer waits for address resolution): the
    late answers are printed and counted as DUP!s of their own sequence number."""
    lab = demo()
    status, out = lab.run_command("alice", "ping6 -c 3 -i 0.0003 ff02::1%em0")
    assert status == 0, out
    seqs = [(int(re.search(r"icmp_seq=(\d+)", l).group(1)), l.endswith("(DUP!)"))
            for l in out.splitlines() if " bytes from " in l]
    assert seqs[:2] == [(0, False), (1, False)]              # alice's own, at once
    assert seqs[2:6] == [(0, True), (0, True), (1, True), (1, True)]
    assert seqs[6:] == [(2, False)]
    assert "3 packets transmitted, 3 packets received, +4 duplicates, 0.0% packet loss" in out


# -- the wire: what two hosts say to each other reads cleanly in tshark --------------------------

def test_two_hosts_dad_nd_and_echo_on_the_wire_pass_tshark(tmp_path):
    """The pair lab captured while both hosts come up, resolve each other and
    ping: DAD probes (RFC 4862 5.4.2: from ::, no SLLAO), address resolution
    (RFC 4861 7.2.2: NS with our SLLAO; 7.2.4: solicited NA with the TLLAO),
    all with hop limit 255 (RFC 4861 7.1.1), and echo request/reply (RFC 4443
    4.1, 4.2) — with no tshark warning, bad checksum or malformed option."""
    lab = pair(capture=tmp_path)
    up(lab, "left", "2001:db8:12::1")
    up(lab, "right", "2001:db8:12::2")
    assert lab.run_command("left", "ping6 -c 2 2001:db8:12::2")[0] == 0
    assert lab.run_command("right", f"ping6 -c 1 {LL_LEFT}%em0")[0] == 0
    lab.flush_captures()
    pcap = tmp_path / "link0.pcap"
    assert tshark_problems(pcap) == []
    rows = tshark_fields(pcap, "icmpv6.type", "ipv6.src", "ipv6.dst", "ipv6.hlim",
                         "icmpv6.nd.ns.target_address", "icmpv6.opt.src_linkaddr",
                         "icmpv6.opt.target_linkaddr", "icmpv6.nd.na.flag.s",
                         display_filter="icmpv6")
    types = [r[0] for r in rows]
    assert {"128", "129", "135", "136"} <= set(types)
    dad = [r for r in rows if r[0] == "135" and r[1] == "::"]
    assert sorted(r[4] for r in dad) == sorted(["2001:db8:12::1", "2001:db8:12::2",
                                                LL_LEFT, LL_RIGHT])
    assert all(r[3] == "255" and r[5] == "" for r in dad)
    ns = [r for r in rows if r[0] == "135" and r[1] != "::"]
    na = [r for r in rows if r[0] == "136"]
    assert ns and len(na) == len(ns)
    assert all(r[3] == "255" and r[5] == ("02:00:00:00:12:01" if r[1] in (
        "2001:db8:12::1", LL_LEFT) else "02:00:00:00:12:02") for r in ns)
    assert all(r[3] == "255" and r[7] == "1" and r[6] in ("02:00:00:00:12:01",
                                                        "02:00:00:00:12:02") for r in na)
    assert types.count("128") == types.count("129") == 3
