"""IPsec on forwarded packets (kernel/netipsec/ipsec.py ipsec6_forward, called by
ip6_forward as FreeBSD's IPSEC_FORWARD): RFC 4301 5.1 (outbound SPD for
transit traffic: a security gateway's tunnel) and 5.2 (the inbound check of
what passes through).

Four hosts in virtual time::

    h1 2001:db8:1::a -- lan1 -- gw1 2001:db8:1::1 | 2001:db8:ff::1 -- wan -- 2001:db8:ff::2 gw2 | 2001:db8:2::1 -- lan2 -- h2 2001:db8:2::b

gw1 and gw2 join 2001:db8:1::/64 and 2001:db8:2::/64 with an ESP tunnel
between their wan addresses; the hosts know nothing of IPsec.
"""
from __future__ import annotations

import pytest

from emu.lab import Lab, program_table
from emu.sched import SEC
from kernel.kern.kern_sysctl import sysctl_find
from tests.kernel.netinet6.ip6_lab import FrameLog
from tests.kernel.netipsec.ipsec_lab import put_file

EK1, EK2 = "0x" + "01" * 16, "0x" + "02" * 16
AK1, AK2 = "0x" + "a1" * 20, "0x" + "a2" * 20
H1, H2 = "2001:db8:1::a", "2001:db8:2::b"
G1, G2 = "2001:db8:ff::1", "2001:db8:ff::2"


def gw_script(me: str, peer: str, mine: str, theirs: str) -> str:
    """RFC 4301 4.4.1: the policies of a security gateway, tunnel mode."""
    spi_out, spi_in = (0x1001, 0x1002) if me == G1 else (0x1002, 0x1001)
    k_out, k_in = ((EK1, AK1), (EK2, AK2)) if me == G1 else ((EK2, AK2), (EK1, AK1))
    return (f"flush;\nspdflush;\n"
            f"spdadd {mine} {theirs} any -P out ipsec esp/tunnel/{me}-{peer}/require;\n"
            f"spdadd {theirs} {mine} any -P in ipsec esp/tunnel/{peer}-{me}/require;\n"
            f"add {me} {peer} esp {spi_out:#x} -m tunnel -E aes-cbc {k_out[0]} "
            f"-A hmac-sha1 {k_out[1]};\n"
            f"add {peer} {me} esp {spi_in:#x} -m tunnel -E aes-cbc {k_in[0]} "
            f"-A hmac-sha1 {k_in[1]};\n")


class Gateways:
    def __init__(self, keyed: bool = True) -> None:
        lab = self.lab = Lab(seed=7)
        lab.programs = program_table()
        segs, self.logs = {}, {}
        for n in ("lan1", "wan", "lan2"):
            segs[n] = lab.segment(n)
            self.logs[n] = FrameLog()
            segs[n].add_capture(self.logs[n])

        def mac(i: int) -> bytes:
            return bytes.fromhex(f"0200000077{i:02x}")
        lab.machine("h1", nics=[("em", segs["lan1"], mac(1))])
        lab.machine("gw1", nics=[("em", segs["lan1"], mac(2)), ("em", segs["wan"], mac(3))])
        lab.machine("gw2", nics=[("em", segs["wan"], mac(4)), ("em", segs["lan2"], mac(5))])
        lab.machine("h2", nics=[("em", segs["lan2"], mac(6))])
        lab.boot()
        for host, line in (
                ("h1", f"ifconfig em0 inet6 {H1} prefixlen 64 up"),
                ("gw1", "ifconfig em0 inet6 2001:db8:1::1 prefixlen 64 up"),
                ("gw1", f"ifconfig em1 inet6 {G1} prefixlen 64 up"),
                ("gw2", f"ifconfig em0 inet6 {G2} prefixlen 64 up"),
                ("gw2", "ifconfig em1 inet6 2001:db8:2::1 prefixlen 64 up"),
                ("h2", f"ifconfig em0 inet6 {H2} prefixlen 64 up")):
            self.sh(host, line)
        lab.run_for(3 * SEC)                                   # DAD
        for host, line in (
                ("gw1", "sysctl -q net.inet6.ip6.forwarding=1"),
                ("gw2", "sysctl -q net.inet6.ip6.forwarding=1"),
                ("h1", "route -q add -inet6 default 2001:db8:1::1"),
                ("h2", "route -q add -inet6 default 2001:db8:2::1"),
                ("gw1", f"route -q add -inet6 2001:db8:2:: -prefixlen 64 {G2}"),
                ("gw2", f"route -q add -inet6 2001:db8:1:: -prefixlen 64 {G1}")):
            self.sh(host, line)
        if keyed:
            self.setkey("gw1", gw_script(G1, G2, "2001:db8:1::/64", "2001:db8:2::/64"))
            self.setkey("gw2", gw_script(G2, G1, "2001:db8:2::/64", "2001:db8:1::/64"))

    def sh(self, host: str, line: str) -> str:
        status, out = self.lab.run_command(host, line)
        assert status == 0, f"{host}: {line}: {out}"
        return out

    def setkey(self, host: str, script: str) -> None:
        put_file(self.lab, host, "/etc/ipsec.conf", script)
        self.sh(host, "setkey -f /etc/ipsec.conf")

    def stat(self, host: str, name: str = "net.inet6.ipsec6.stats") -> dict:
        return sysctl_find(self.lab.machines[host].kernel, name).get()

    def ip6stat(self, host: str):
        return self.lab.machines[host].kernel.ip6stat


@pytest.fixture(scope="module")
def gws():
    g = Gateways()
    yield g
    assert [h for h, lm in g.lab.machines.items() if lm.machine.panicked] == []


def test_rfc4301_5_1_gateway_tunnels_forwarded_traffic(gws):
    """RFC 4301 5.1: a packet from h1 to h2 matches gw1's outbound policy as it
    is forwarded: on the wan only ESP between the gateways (next header 50),
    in clear on both LANs, and the ping succeeds both ways."""
    for log in gws.logs.values():
        log.frames.clear()
    out = gws.sh("h1", f"ping6 -c 2 {H2}")
    assert "2 packets received" in out
    wan = [p for p in gws.logs["wan"].ip6() if p[6] != 58 or p[40] not in range(133, 138)]
    assert len(wan) == 4 and all(p[6] == 50 for p in wan)
    assert {(p[8:24].hex(), p[24:40].hex()) for p in wan} == {
        ("20010db800ff00000000000000000001", "20010db800ff00000000000000000002"),
        ("20010db800ff00000000000000000002", "20010db800ff00000000000000000001")}
    echo_lan2 = [p for p in gws.logs["lan2"].ip6() if p[6] == 58 and p[40] in (128, 129)]
    assert len(echo_lan2) == 4
    # the inner packet was forwarded: its hop limit went down by one at gw1
    req = [p for p in echo_lan2 if p[40] == 128][0]
    assert req[7] == 64 - 2
    assert gws.stat("gw1")["out_success"] >= 2 and gws.stat("gw2")["in_success"] >= 2
    assert gws.stat("gw2")["in_polvio"] == 0


def test_rfc4301_5_2_unprotected_transit_packet_is_dropped_and_counted(gws):
    """RFC 4301 5.2: gw2's inbound policy requires ESP tunnel mode from gw1 for
    2001:db8:1::/64 -> 2001:db8:2::/64; the same packet arriving in clear on
    the wan (gw1 without its policies) is dropped, counted in in_polvio and
    ip6s_cantforward, and never reaches lan2."""
    gws.sh("gw1", "setkey -FP")
    try:
        polvio = gws.stat("gw2")["in_polvio"]
        cant = gws.ip6stat("gw2").ip6s_cantforward
        for log in gws.logs.values():
            log.frames.clear()
        status, out = gws.lab.run_command("h1", f"ping6 -c 1 {H2}")
        assert status == 2 and "0 packets received" in out
        wan = [p for p in gws.logs["wan"].ip6() if p[6] == 58 and p[40] == 128]
        assert len(wan) == 1                             # sent in clear by gw1
        assert [p for p in gws.logs["lan2"].ip6() if p[6] == 58 and p[40] == 128] == []
        assert gws.stat("gw2")["in_polvio"] == polvio + 1
        assert gws.ip6stat("gw2").ip6s_cantforward == cant + 1
    finally:
        gws.setkey("gw1", gw_script(G1, G2, "2001:db8:1::/64", "2001:db8:2::/64"))
    assert "1 packets received" in gws.sh("h1", f"ping6 -c 1 {H2}")


def test_rfc4301_5_1_discard_policy_on_a_router_drops_transit_traffic():
    """An outbound DISCARD for transit traffic: dropped, out_polvio and
    ip6s_cantforward; a plain router without policies forwards as before."""
    g = Gateways(keyed=False)
    assert "1 packets received" in g.sh("h1", f"ping6 -c 1 {H2}")
    assert g.ip6stat("gw1").ip6s_forward == 2
    g.setkey("gw1", "spdadd 2001:db8:1::/64 2001:db8:2::/64 icmp6 128,0 -P out discard;\n")
    status, _out = g.lab.run_command("h1", f"ping6 -c 1 {H2}")
    assert status == 2
    assert g.stat("gw1")["out_polvio"] == 1 and g.ip6stat("gw1").ip6s_cantforward == 1
