"""rtsol(8) and rtsold(8) (userland/usr_sbin/rtsold.py): Router Solicitations as RFC
4861 6.3.7 times them, SLAAC through the kernel's RA processing, the daemon.

The router's rtadvd is off here (tests/userland/test_rtadvd.py has it): a small
program on the "router" host answers each RS with an RA
(tests/userland/ra_responder.py)."""
from __future__ import annotations

import re

from emu.sched import MS, SEC
from emu.wire.pcap import read_pcap
from kernel.wire.in6 import inet_pton6
from tests.userland.labs import RARESPONDER, console_lines, from_text

LAB = """\
[lab]
name = "slaac"
seed = 7
[segment.lan0]
[host.r]
image = "router"
nic = [{model = "em", segment = "lan0", mac = "02:00:00:00:00:01"}]
[host.r.rc]
ifconfig_em0_ipv6 = "inet6 2001:db8:1::1 prefixlen 64"
rtadvd_enable = false
[host.h]
nic = [{model = "em", segment = "lan0", mac = "02:00:00:00:00:02"}]
[host.h.rc]
%s
"""
STATIC = 'ifconfig_em0_ipv6 = "inet6 2001:db8:1::2 prefixlen 64"'
RTSOLD = 'ifconfig_em0_ipv6 = "inet6 accept_rtadv"\nrtsold_enable = true'
H_LL = inet_pton6("fe80::ff:fe00:2")
SLAAC = "2001:db8:1::ff:fe00:2"          # the router advertises its own prefix


def solicitations(pcap, mac: bytes) -> list[tuple[int, bytes]]:
    """(time, frame) of the Router Solicitations ``mac`` sent."""
    return [(t, f) for t, f in read_pcap(pcap)
            if f[6:12] == mac and f[12:14] == b"\x86\xdd" and f[20] == 58 and f[54] == 133]


def test_rfc4861_6_3_7_rtsol_sends_three_solicitations_4s_apart_after_a_random_delay(tmp_path):
    """"a host SHOULD transmit up to MAX_RTR_SOLICITATIONS Router Solicitation
    messages, each separated by at least RTR_SOLICITATION_INTERVAL seconds";
    "delay the transmission for a random amount of time between 0 and
    MAX_RTR_SOLICITATION_DELAY"; to all-routers, hop limit 255, with the Source
    Link-Layer Address option."""
    lab = from_text(tmp_path, LAB % STATIC, pcap_dir=tmp_path / "cap")
    assert lab.run_command("h", "ifconfig em0 inet6 accept_rtadv") == (0, "")
    t0 = lab.sched.now
    status, out = lab.run_command("h", "rtsol -d em0")
    assert status == 0
    assert out == "No answer after sending 3 RSs\n"
    lab.flush_captures()
    rs = solicitations(tmp_path / "cap" / "lan0.pcap", bytes.fromhex("020000000002"))
    assert len(rs) == 3
    times = [t for t, _ in rs]
    assert 0 <= times[0] - t0 <= 1 * SEC + 10 * MS
    assert [b - a for a, b in zip(times, times[1:])] == [4 * SEC, 4 * SEC]
    assert lab.sched.now - times[2] == 1 * SEC        # then waits MAX_RTR_SOLICITATION_DELAY
    for _, f in rs:
        assert f[:6] == bytes.fromhex("333300000002")         # ff02::2
        assert f[21] == 255                                   # hop limit
        assert f[22:38] == H_LL and f[38:54] == bytes.fromhex("ff020000000000000000000000000002")
        assert f[54:56] == b"\x85\x00" and f[62:70] == bytes.fromhex("0101020000000002")  # SLLAO


def test_rtsol_debug_messages_and_usage(tmp_path):
    lab = from_text(tmp_path, LAB % STATIC)
    lab.run_command("h", "ifconfig em0 inet6 accept_rtadv")
    job = lab.start_command("r", f"{RARESPONDER} em0 2001:db8:1::")
    lab.run_for(10 * MS)
    status, out = lab.run_command("h", "rtsol -D em0")
    assert status == 0, out
    lines = out.splitlines()
    assert lines[:3] == ["checking if em0 is ready...", "em0 is ready", "set timer for em0 to 0s"]
    assert "send RS on em0, whose state is 2" in lines
    assert "received RA from fe80::ff:fe00:1 on em0, state is 2" in lines
    assert lines[-2:] == ["stop timer for em0", "there is no timer"]
    assert lab.wait(job) == 0 and job.output == "RS from fe80::ff:fe00:2%em0\n"
    st, out = lab.run_command("h", "rtsol")
    assert st == 1 and out.startswith("usage: rtsol [-dDF] [-O script-name]")
    st, out = lab.run_command("h", "rtsold -a em0")
    assert st == 1 and out.startswith("usage: rtsold [-adDfFm1] [-O script-name]")


def test_rtsol_stops_at_the_first_advertisement_and_the_kernel_configures_slaac(tmp_path):
    lab = from_text(tmp_path, LAB % STATIC)
    lab.run_command("h", "ifconfig em0 inet6 accept_rtadv")
    lab.start_command("r", f"{RARESPONDER} em0 2001:db8:1::")
    lab.run_for(10 * MS)
    t0 = lab.sched.now
    assert lab.run_command("h", "rtsol em0") == (0, "")
    assert lab.sched.now - t0 < 1100 * MS                     # one RS, one RA
    lab.run_for(2 * SEC)                                      # DAD of the new address
    out = lab.run_command("h", "ifconfig em0")[1]
    assert f"\tinet6 {SLAAC} prefixlen 64 autoconf" in out
    assert "tentative" not in out
    assert lab.run_command("h", f"ping6 -c 1 -S {SLAAC} 2001:db8:1::1")[0] == 0


def test_host_booting_with_accept_rtadv_and_rtsold_gets_a_slaac_address(tmp_path):
    lab = from_text(tmp_path, LAB % RTSOLD, boot=False)
    lab.boot(rc_timeout=0)                      # the router answers from the start
    job = lab.start_command("r", f"{RARESPONDER} em0 2001:db8:1::")
    assert lab.wait_rc()
    lab.run_for(3 * SEC)
    assert job.output == "RS from fe80::ff:fe00:2%em0\n"
    assert "Starting rtsold." in lab.machines["h"].console.splitlines()
    out = lab.run_command("h", "ifconfig em0")[1]
    assert f"\tinet6 {SLAAC} prefixlen 64 autoconf" in out and "tentative" not in out
    assert "nd6 options=23<PERFORMNUD,ACCEPT_RTADV,AUTO_LINKLOCAL>" in out
    routes = lab.run_command("h", "netstat -rn")[1].splitlines()
    assert any(l.split()[:3] == ["default", "fe80::ff:fe00:1%em0", "UG"] for l in routes)
    status, out = lab.run_command("h", "ping6 -c 2 2001:db8:1::1")
    assert status == 0 and f"PING6(56=40+8+8 bytes) {SLAAC} --> 2001:db8:1::1" in out
    # the daemon: a pid file, in the background, a child of init
    pid = int(lab.run_command("h", "cat /var/run/rtsold.pid")[1])
    p = lab.machines["h"].kernel.allproc[pid]
    assert p.p_argv == ["/usr/sbin/rtsold", "-a"] and p.p_ppid == 1 and not p.exited


def test_rtsold_solicits_again_when_the_link_comes_back(tmp_path):
    lab = from_text(tmp_path, LAB % RTSOLD, boot=False, pcap_dir=tmp_path / "cap")
    lab.boot(rc_timeout=0)
    lab.start_command("r", f"{RARESPONDER} em0 2001:db8:1::")
    lab.wait_rc()
    lab.run_for(3 * SEC)
    port = next(p for p in lab.segments["lan0"].ports if p.name == "h.em0")
    again = lab.start_command("r", f"{RARESPONDER} em0 2001:db8:6::")
    lab.run_for(10 * MS)
    port.set_link(False)
    lab.run_for(5 * SEC)
    assert again.output == ""                      # idle: no RS while the link is down or stable
    t_up = lab.sched.now
    port.set_link(True)
    lab.run_for(3 * SEC)
    assert again.output == "RS from fe80::ff:fe00:2%em0\n"
    lab.flush_captures()
    rs = solicitations(tmp_path / "cap" / "lan0.pcap", bytes.fromhex("020000000002"))
    assert len(rs) == 2 and 0 <= rs[1][0] - t_up <= 3 * SEC
    lab.run_for(2 * SEC)
    assert "\tinet6 2001:db8:6::ff:fe00:2 prefixlen 64 autoconf" in lab.run_command(
        "h", "ifconfig em0")[1]


def test_rtsold_dump_on_sigusr1(tmp_path):
    lab = from_text(tmp_path, LAB % RTSOLD)
    pid = int(lab.run_command("h", "cat /var/run/rtsold.pid")[1])
    lab.machines["h"].kernel.kill(pid, 30)                       # SIGUSR1
    lab.run_for(10 * MS)         # the signal ends rtsold's poll (EINTR): it dumps, then polls again
    out = lab.run_command("h", "cat /var/run/rtsold.dump")
    assert out[0] == 0 and out[1].startswith("Interface em0\n  probe interval: infinity\n")


# -- a host booting from FreeBSD's rc.conf lines, the router appearing late ----------------------

RC_CONF = 'hostname="h"\nifconfig_em0_ipv6="inet6 accept_rtadv"\nrtsold_enable="YES"\n'
LATE_LAB = """\
[lab]
name = "late-router"
seed = 7
[segment.lan0]
[host.r]
image = "router"
nic = [{model = "em", segment = "lan0", mac = "02:00:00:00:00:01"}]
[host.r.rc]
ifconfig_em0_ipv6 = "inet6 2001:db8:1::1 prefixlen 64"
rtadvd_enable = false
[host.h]
image = "img"
nic = [{model = "em", segment = "lan0", mac = "02:00:00:00:00:02"}]
"""
H_MAC = bytes.fromhex("020000000002")


def advance(lab, delta: int) -> None:
    """Run the lab ``delta`` ns of virtual time (a job ending stops a run_for early)."""
    end = lab.sched.now + delta
    while lab.sched.now < end:
        lab.run_for(end - lab.sched.now)


def test_rfc4861_6_3_7_rtsold_from_rc_conf_stops_soliciting_at_the_first_advertisement(tmp_path):
    """rc.conf as on FreeBSD (``ifconfig_em0_ipv6="inet6 accept_rtadv"``,
    ``rtsold_enable="YES"``): netif shows em0 with ACCEPT_RTADV, then
    ``Starting rtsold.`` (rtsold -a, no rtsol run by netif).  RFC 4861 6.3.7:
    the first RS within MAX_RTR_SOLICITATION_DELAY of the start, the next
    RTR_SOLICITATION_INTERVAL later; "Once the host sends a Router Solicitation,
    and receives a valid Router Advertisement with a non-zero Router Lifetime,
    the host MUST desist from sending additional solicitations on that
    interface".  The router only appears after the first RS; its RA (prefix
    2001:db8:1::/64, L and A) gives the SLAAC address (RFC 4862 5.5.3), the
    default router and the prefix, as ndp -r, ndp -p and netstat -rn show."""
    (tmp_path / "img" / "etc").mkdir(parents=True)
    (tmp_path / "img" / "etc" / "rc.conf").write_text(RC_CONF)
    lab = from_text(tmp_path, LATE_LAB, boot=False, pcap_dir=tmp_path / "cap")
    said: list[tuple[int, str]] = []
    lab.on_console = lambda host, text: said.append((lab.sched.now, text)) if host == "h" else None
    lab.boot(rc_timeout=0)
    assert lab.wait_rc()
    lines = console_lines(lab, "h")
    net = lines.index("Starting Network: lo0 em0.")
    assert "\tnd6 options=23<PERFORMNUD,ACCEPT_RTADV,AUTO_LINKLOCAL>" in lines[net:]
    assert lines.index("Starting rtsold.") > net
    assert not any("rtsol" in l and l != "Starting rtsold." for l in lines)
    t_start = next(t for t, text in said if "Starting rtsold." in text)
    ps = lab.run_command("h", "ps ax")[1].splitlines()
    assert sum(r.endswith("/usr/sbin/rtsold -a") for r in ps) == 1

    # the first RS goes out alone: nobody answers yet
    lab.flush_captures()
    rs = solicitations(tmp_path / "cap" / "lan0.pcap", H_MAC)
    assert len(rs) == 1 and 0 <= rs[0][0] - t_start <= 1 * SEC
    advance(lab, rs[0][0] + 2 * SEC - lab.sched.now)
    job = lab.start_command("r", f"{RARESPONDER} em0 2001:db8:1::")
    advance(lab, 60 * SEC)
    assert job.output == "RS from fe80::ff:fe00:2%em0\n"
    lab.flush_captures()
    rs = solicitations(tmp_path / "cap" / "lan0.pcap", H_MAC)
    assert [t - rs[0][0] for t, _ in rs] == [0, 4 * SEC]        # answered: no third one
    for _, f in rs:
        assert f[21] == 255 and f[22:38] == H_LL               # from the link-local address
        assert f[62:70] == bytes.fromhex("0101") + H_MAC       # SLLAO

    out = lab.run_command("h", "ifconfig em0")[1]
    assert f"\tinet6 {SLAAC} prefixlen 64 autoconf\n" in out
    out = lab.run_command("h", "ifconfig -L em0")[1]
    assert re.search(rf"\tinet6 {SLAAC} prefixlen 64 autoconf pltime 6047\d\d vltime 25919\d\d\n",
                     out), out
    status, out = lab.run_command("h", "ndp -r")
    assert status == 0 and re.fullmatch(
        r"fe80::ff:fe00:1%em0 if=em0, flags=, pref=medium, expire=2\dm\d+s\n", out), out
    status, out = lab.run_command("h", "ndp -p")
    lines = out.splitlines()
    assert status == 0 and lines[0] == "2001:db8:1::/64 if=em0"
    assert re.fullmatch(r"flags=LAO vltime=2592000, pltime=604800, "
                        r"expire=29d23h5\dm\d+s, ref=1", lines[1]), lines[1]
    assert lines[2:] == ["  advertised by", "    fe80::ff:fe00:1%em0 (reachable)"]
    routes = lab.run_command("h", "netstat -rn -f inet6")[1].splitlines()
    assert any(l.split()[:4] == ["default", "fe80::ff:fe00:1%em0", "UG", "em0"] for l in routes)
    em0 = lab.machines["h"].ifnet("em0").if_index
    assert any(l.split()[:4] == ["2001:db8:1::/64", f"link#{em0}", "U", "em0"] for l in routes)
    # rtsold's own view (SIGUSR1): idle, one RA, no probe pending
    pid = int(lab.run_command("h", "cat /var/run/rtsold.pid")[1])
    lab.machines["h"].kernel.kill(pid, 30)
    advance(lab, 10 * MS)
    dump = lab.run_command("h", "cat /var/run/rtsold.dump")[1]
    assert "  rtsold status: IDLE\n" in dump and "  number of valid RAs: 1\n" in dump
    assert "  probes: 0, dadcount = 0\n  no timer\n" in dump
