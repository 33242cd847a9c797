"""arp(8) (userland/usr_sbin/arp.py): FreeBSD's -a/-an output, -d, -s, -S, -f,
over the routing sysctl and routing socket."""
from __future__ import annotations

import re

from emu.sched import SEC
from tests.userland.inetlab import inet, pair4  # noqa: F401 - the fixture

LEFT, RIGHT = "02:00:00:00:12:01", "02:00:00:00:12:02"


def test_arp_an_after_a_ping(inet):
    lab = pair4()
    assert lab.run_command("left", "ping -c 1 10.0.0.2")[0] == 0
    status, out = lab.run_command("left", "arp -an")
    assert status == 0
    lines = out.splitlines()
    assert lines[0] == f"? (10.0.0.1) at {LEFT} on em0 permanent [ethernet]"
    m = re.match(rf"\? \(10\.0\.0\.2\) at {RIGHT} on em0 expires in (\d+) seconds \[ethernet\]\Z",
                 lines[1])
    assert m and 1195 <= int(m.group(1)) <= 1200
    assert len(lines) == 2
    assert lab.run_command("left", "arp -a")[1] == out              # no names without /etc/hosts


def test_arp_host_and_no_entry(inet):
    lab = pair4()
    lab.run_command("left", "ping -c 1 10.0.0.2")
    status, out = lab.run_command("left", "arp 10.0.0.2")
    assert status == 0 and out.startswith(f"? (10.0.0.2) at {RIGHT} on em0 expires in ")
    assert lab.run_command("left", "arp 10.0.0.3") == (1, "10.0.0.3 (10.0.0.3) -- no entry\n")
    assert lab.run_command("left", "arp -i em0 10.0.0.3") == (
        1, "10.0.0.3 (10.0.0.3) -- no entry on em0\n")
    assert lab.run_command("left", "arp -i em5 -a") == (1, "arp: interface em5 does not exist\n")


def test_arp_d_deletes_and_s_adds_permanent_and_temp_entries(inet):
    lab = pair4()
    lab.run_command("left", "ping -c 1 10.0.0.2")
    assert lab.run_command("left", "arp -d 10.0.0.2") == (0, "10.0.0.2 (10.0.0.2) deleted\n")
    assert lab.run_command("left", "arp -d 10.0.0.2") == (
        1, "arp: delete: cannot locate 10.0.0.2\n")
    assert lab.run_command("left", "arp -s 10.0.0.7 02:00:00:00:00:07") == (0, "")
    assert lab.run_command("left", "arp -s 10.0.0.8 2:0:0:0:0:8 temp") == (0, "")
    out = lab.run_command("left", "arp -an")[1].splitlines()
    assert "? (10.0.0.7) at 02:00:00:00:00:07 on em0 permanent [ethernet]" in out
    assert any(re.match(r"\? \(10\.0\.0\.8\) at 02:00:00:00:00:08 on em0 expires in 1[12]\d\d "
                        r"seconds \[ethernet\]\Z", line) for line in out)
    # a permanent entry carries the traffic: the frames go to that MAC
    k = lab.machines["left"].kernel
    from kernel.netinet.if_ether import arplookup
    from kernel.wire.in_ import inet_pton4
    assert arplookup(k.ifunit("em0"), inet_pton4("10.0.0.7")).la_expire == 0
    assert lab.run_command("left", "arp -s 10.0.0.9 zz:zz") == (
        1, "arp: invalid Ethernet address 'zz:zz'\n")
    assert lab.run_command("left", "arp -s 192.0.2.1 02:00:00:00:00:01")[0] == 1


def test_arp_da_keeps_our_own_entry(inet):
    lab = pair4()
    lab.run_command("left", "ping -c 1 10.0.0.2")
    lab.run_command("left", "arp -s 10.0.0.7 02:00:00:00:00:07")
    status, out = lab.run_command("left", "arp -d -a")
    assert status == 0
    assert sorted(out.splitlines()) == ["10.0.0.2 (10.0.0.2) deleted",
                                        "10.0.0.7 (10.0.0.7) deleted"]
    assert lab.run_command("left", "arp -an")[1] == \
        f"? (10.0.0.1) at {LEFT} on em0 permanent [ethernet]\n"


def test_incomplete_entry_shows_incomplete_then_goes(inet):
    lab = pair4()
    job = lab.start_command("left", "ping -c 1 10.0.0.9")
    lab.run_for(500 * SEC // 1000)
    out = lab.run_command("left", "arp -an")[1]
    assert "? (10.0.0.9) at (incomplete) on em0 expired [ethernet]\n" in out
    lab.wait(job)
    lab.run_for(30 * SEC)
    assert "10.0.0.9" not in lab.run_command("left", "arp -an")[1]


def test_arp_usage(inet):
    lab = pair4()
    status, out = lab.run_command("left", "arp -a extra")
    assert status == 1 and out.startswith("usage: arp [-n] [-i interface] hostname\n")
    assert lab.run_command("left", "arp -d -s 10.0.0.1 x")[0] == 1
