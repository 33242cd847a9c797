"""An emulated host against the real Linux kernel, ping and ndisc6, over a TAP.

The lab's segment lan0 is bridged to a TAP that lives in a network namespace of its
own (tests/interop/conftest.py); on the Linux side the TAP has MAC 02:00:00:00:99:01,
fe80::ff:fe00:9901 and 2001:db8:1::100/64.  Our host kame has em0 on lan0 with MAC
02:00:00:00:00:0a, fe80::ff:fe00:a and the static 2001:db8:1::a/64.  The lab boots
in virtual time and then runs paced to the wall clock.
"""
from __future__ import annotations

import re

import pytest

from tests.conftest import require_tool
from tests.interop.conftest import (
    KAME, KAME_LL, KAME_MAC, LINUX_LL, LINUX_MAC, one_host_lab, run_in_netns_with_lab,
    run_lab_until, run_on,
)

HOST = one_host_lab("tap")
LINUX = "2001:db8:1::100"
PING_RTT = re.compile(r"rtt min/avg/max/mdev = ([\d.]+)/([\d.]+)/([\d.]+)/")


@pytest.fixture
def bridged(netns, make_lab):
    """(lab, netns, tap): kame booted, lan0 bridged to Linux."""
    require_tool("ping")
    lab = make_lab(HOST)
    tap = netns.bridge(lab, "lan0", addresses=[f"{LINUX}/64"])
    lab.boot()
    assert lab.realtime, "a lab with a TAP runs paced once booted"
    return lab, netns, tap


def test_rfc4443_4_2_linux_pings_our_global_and_link_local_address(bridged) -> None:
    """RFC 4443 4.2: "Every node MUST implement an ICMPv6 Echo responder function
    that receives Echo Requests and originates corresponding Echo Replies." The
    Linux kernel's ping, over the TAP, to kame's static and link-local address."""
    lab, ns, tap = bridged
    for dst in (KAME, f"{KAME_LL}%{tap}"):
        r = run_in_netns_with_lab(ns, lab, "ping", "-6", "-n", "-c", "5", "-i", "0.05",
                                  "-W", "1", dst)
        assert r.returncode == 0, r.stdout + r.stderr
        assert "5 packets transmitted, 5 received, 0% packet loss" in r.stdout
        m = PING_RTT.search(r.stdout)
        assert m is not None, r.stdout
        print(f"Linux -> kame {dst}: rtt min/avg/max {m.group(1)}/{m.group(2)}/"
              f"{m.group(3)} ms")
    t = lab.taps["lan0"]
    assert t.frames_in >= 10 and t.frames_out >= 10
    assert t.drops["queue full"] == 0 and t.drops["tap down"] == 0


def test_rfc4443_4_1_our_host_pings_linux(bridged) -> None:
    """RFC 4443 4.1/4.2 the other way round: kame's ping6 (in realtime) gets the
    Linux kernel's Echo Replies, to its global and its link-local address."""
    lab, ns, tap = bridged
    status, out = run_on(lab, "kame", f"ping6 -n -c 3 -i 0.05 {LINUX}")
    assert status == 0, out
    assert "3 packets transmitted, 3 packets received, 0.0% packet loss" in out
    assert f"16 bytes from {LINUX}, icmp_seq=2 hlim=64 time=" in out
    status, out = run_on(lab, "kame", f"ping6 -n -c 2 -i 0.05 {LINUX_LL}%em0")
    assert status == 0, out
    assert "2 packets transmitted, 2 packets received, 0.0% packet loss" in out


def test_rfc4861_7_2_linux_and_our_host_resolve_each_other(bridged) -> None:
    """RFC 4861 7.2.5: on a solicited Neighbor Advertisement "the state of the
    entry MUST be set to REACHABLE" — Linux's entry for kame after kame answered
    its solicitation; and kame's entry for Linux after Linux answered kame's
    (7.2.3 gives kame a STALE entry from Linux's NS first)."""
    lab, ns, tap = bridged
    r = run_in_netns_with_lab(ns, lab, "ping", "-6", "-n", "-c", "1", "-W", "1", KAME)
    assert r.returncode == 0, r.stdout + r.stderr
    neigh = ns.ip("-6", "neigh", "show", "dev", tap)
    assert re.search(rf"^{re.escape(KAME)} lladdr {KAME_MAC} REACHABLE\s*$", neigh, re.M), neigh
    status, out = run_on(lab, "kame", f"ping6 -n -c 1 {LINUX_LL}%em0")
    assert status == 0, out
    status, ndp = run_on(lab, "kame", "ndp -an")
    assert status == 0
    rows = {line.split()[0]: line.split() for line in ndp.splitlines()[1:]}
    # Neighbor  Linklayer-Address  Netif  Expire  S  Flags
    assert rows[f"{LINUX_LL}%em0"][1:3] == [LINUX_MAC, "em0"]
    assert rows[f"{LINUX_LL}%em0"][4] == "R", ndp            # our NS, Linux's solicited NA
    assert rows[LINUX][1:3] == [LINUX_MAC, "em0"], ndp       # learnt from Linux's NS


def test_rfc4861_7_2_4_ndisc6_gets_our_solicited_na_with_target_and_lladdr(bridged) -> None:
    """RFC 4861 7.2.4: a node answers an NS for its address with a solicited NA
    carrying the Target Link-Layer Address option; 7.2.3: an NS for an address it
    does not have is not answered.  ndisc6 prints the target's MAC from the NA.

    ndisc6 1.0.5 (Debian 12) takes an NA for a global target only from a global
    source; kame, as FreeBSD's nd6_na_output, picks the NA's source by the scope of
    the destination (the solicitation's source) — so for the global target ndisc6
    solicits from Linux's global address (-s)."""
    require_tool("ndisc6")
    lab, ns, tap = bridged
    r = run_in_netns_with_lab(ns, lab, "ndisc6", "-1", "-n", "-r", "3", "-w", "500",
                              KAME_LL, tap)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.splitlines()[1:] == ["Target link-layer address: 02:00:00:00:00:0A",
                                         f" from {KAME_LL}"]
    r = run_in_netns_with_lab(ns, lab, "ndisc6", "-1", "-n", "-r", "3", "-w", "500",
                              "-s", LINUX, KAME, tap)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.splitlines()[1:] == ["Target link-layer address: 02:00:00:00:00:0A",
                                         f" from {KAME}"]
    r = run_in_netns_with_lab(ns, lab, "ndisc6", "-1", "-n", "-r", "1", "-w", "300",
                              "2001:db8:1::dead", tap)
    assert r.returncode == 2 and r.stdout.splitlines()[1:] == ["Timed out.", "No response."]


ROUTER = """\
[lab]
name = "taprouter"
seed = 1

[segment.lan0]

[host.r1]
image = "router"
nic = [{model = "em", segment = "lan0", mac = "02:00:00:00:01:01"}]

[host.r1.rc]
ifconfig_em0_ipv6 = "inet6 2001:db8:1::1 prefixlen 64"
ipv6_gateway_enable = true
rtadvd_enable = true
rtadvd_interfaces = "em0"
"""
R1_LL = "fe80::ff:fe00:101"


@pytest.fixture
def router(netns, make_lab):
    """(lab, netns, tap): router r1 running rtadvd on lan0, bridged to Linux (which
    accepts Router Advertisements: forwarding off, accept_ra 1)."""
    lab = make_lab(ROUTER)
    tap = netns.bridge(lab, "lan0", accept_ra=1)
    lab.boot()
    return lab, netns, tap


def test_rfc4861_6_2_6_rdisc6_gets_our_routers_advertisement(router) -> None:
    """RFC 4861 6.2.6: a router answers a Router Solicitation with an RA; rdisc6
    prints its fields and the prefix rtadvd takes from em0 (rtadvd.conf defaults:
    hop limit 64, router lifetime 1800 s, prefix 2001:db8:1::/64 on-link and
    autonomous with lifetimes 2592000/604800 s)."""
    require_tool("rdisc6")
    lab, ns, tap = router
    r = run_in_netns_with_lab(ns, lab, "rdisc6", "-1", "-n", "-r", "3", "-w", "2000", tap)
    assert r.returncode == 0, r.stdout + r.stderr
    out = r.stdout
    assert re.search(r"^Hop limit\s+:\s+64 \(\s+0x40\)$", out, re.M), out
    assert re.search(r"^Router lifetime\s+:\s+1800 \(0x00000708\) seconds$", out, re.M), out
    assert re.search(r"^ Prefix\s+: 2001:db8:1::/64$", out, re.M), out
    assert re.search(r"^  On-link\s+:\s+Yes$", out, re.M), out
    assert re.search(r"^  Autonomous address conf.:\s+Yes$", out, re.M), out
    assert re.search(r"^  Valid time\s+:\s+2592000 \(0x00278d00\) seconds$", out, re.M), out
    assert re.search(r"^  Pref. time\s+:\s+604800 \(0x00093a80\) seconds$", out, re.M), out
    assert re.search(r"^ Source link-layer address: 02:00:00:00:01:01$", out, re.M), out
    assert out.rstrip().endswith(f" from {R1_LL}"), out


def test_rfc4862_5_5_3_linux_configures_itself_from_our_rtadvd(router) -> None:
    """RFC 4862 5.5.3: the Linux kernel forms 2001:db8:1::ff:fe00:9901 from r1's
    prefix and its interface identifier, and (RFC 4861 6.3.4) takes r1 as its
    default router."""
    lab, ns, tap = router
    want = "2001:db8:1::ff:fe00:9901/64"

    def configured() -> bool:
        return want in ns.ip("-6", "addr", "show", "dev", tap)

    assert run_lab_until(lab, configured, 5.0), ns.ip("-6", "addr", "show", "dev", tap)
    addr = ns.ip("-6", "addr", "show", "dev", tap)
    assert f"inet6 {want} scope global dynamic mngtmpaddr" in addr, addr
    # rtadvd's default lifetimes (rtadvd.conf(5): vltime 2592000, pltime 604800)
    assert re.search(r"valid_lft 2592\d{3}sec preferred_lft 604\d{3}sec", addr), addr
    route = ns.ip("-6", "route", "show", "default", "dev", tap)
    assert route.startswith(f"default via {R1_LL} proto ra metric"), route
