"""ESP over IPv4 (RFC 4303, RFC 4301 5.1/5.2; FreeBSD ipsec4_output,
ipsec4_common_input): ping through transport and tunnel mode, scapy's
SecurityAssociation as the independent oracle both ways, drops counted in
net.inet.esp.stats and net.inet.ipsec.stats, the mixed-family tunnels."""
from __future__ import annotations

import pytest

from tests.kernel.netipsec.ipsec4_lab import (CBC, GCM, L, L4, R, R4, Wire4, keyed4, sa_script)
from tests.kernel.netipsec.ipsec_lab import ok, stats

scapy_layers = pytest.importorskip("scapy.layers.ipsec", reason="scapy is a test dependency")
from scapy.layers.inet import ICMP, IP  # noqa: E402
from scapy.layers.ipsec import ESP, SecurityAssociation  # noqa: E402
from scapy.layers.l2 import Ether  # noqa: E402

CASES = {"aes-cbc-hmac-sha1": CBC, "aes-gcm-16": GCM}


def esp4(alg=CBC, mode="transport", extra="", upper="any"):
    return keyed4(sa_script(L4, R4, alg[0], mode=mode, extra=extra, upper=upper),
                  sa_script(R4, L4, alg[0], mode=mode, extra=extra, upper=upper))


def test_rfc4303_ping_over_ipv4_esp_transport_and_netstat_ipsec():
    """RFC 4301 5.1: every packet the policy covers leaves as ESP; netstat -s -p ipsec counts."""
    lab = esp4()
    w = Wire4(lab)
    assert "2 packets received" in ok(lab, "left", f"ping -c 2 {R4}")
    assert len(w.ip4(50)) == 4 and not w.ip4(1)            # no ICMP in the clear
    out = ok(lab, "right", "netstat -s -p ipsec")
    assert "2 inbound packets processed successfully" in out
    assert "2 outbound packets processed successfully" in out
    assert stats(lab, "right", "net.inet.esp.stats")["esps_input"] == 2
    assert stats(lab, "right", "net.inet6.ipsec6.stats")["in_success"] == 0


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("mode", ["transport", "tunnel"])
def test_rfc4303_scapy_decrypts_our_ipv4_esp_and_we_accept_scapys(case, mode):
    alg = CASES[case]
    lab = esp4(alg, mode)
    w = Wire4(lab)
    ok(lab, "left", f"ping -c 1 {R4}")
    th = dict(tunnel_header=IP(src=L4, dst=R4)) if mode == "tunnel" else {}
    sa_lr = SecurityAssociation(ESP, spi=0x1000, **alg[1], **th)
    f = w.ip4(50)[0]
    clear = sa_lr.decrypt(Ether(f)[IP])
    assert clear.haslayer(ICMP) and clear[ICMP].type == 8 and clear[IP].src == L4
    if mode == "tunnel":                                  # RFC 4301 5.1.2.1: a new header
        assert Ether(f)[IP].proto == 50 and clear[IP].dst == R4
    eth = Ether(f)
    req = IP(src=L4, dst=R4, ttl=64) / ICMP(type=8, id=0x77, seq=9) / b"scapy-v4"
    w.inject(bytes(Ether(src=eth.src, dst=eth.dst) / sa_lr.encrypt(req, seq_num=100)))
    sa_rl = SecurityAssociation(ESP, spi=0x2000, **alg[1],
                                **(dict(tunnel_header=IP(src=R4, dst=L4)) if th else {}))
    back = sa_rl.decrypt(Ether(w.ip4(50)[-1])[IP])
    assert back[ICMP].type == 0 and bytes(back[ICMP].payload) == b"scapy-v4"


def test_rfc4303_3_4_4_tampered_ipv4_esp_is_dropped_as_badauth():
    lab = esp4(extra="-r 8")
    w = Wire4(lab)
    ok(lab, "left", f"ping -c 1 {R4}")
    f = bytearray(w.ip4(50)[0])
    f[41] = 5                                             # a new sequence number, under the ICV
    w.inject(bytes(f))
    assert stats(lab, "right", "net.inet.esp.stats")["esps_badauth"] == 1
    assert stats(lab, "right", "net.inet.ipsec.stats")["in_espauthfail"] == 1


def test_rfc4303_3_4_3_replayed_ipv4_esp_is_dropped_and_counted():
    lab = esp4(extra="-r 8")
    w = Wire4(lab)
    ok(lab, "left", f"ping -c 1 {R4}")
    w.inject(w.ip4(50)[0])
    assert stats(lab, "right", "net.inet.esp.stats")["esps_replay"] == 1
    assert stats(lab, "right", "net.inet.ipsec.stats")["in_espreplay"] == 1
    assert stats(lab, "right", "net.inet.esp.stats")["esps_input"] == 1


def test_rfc4301_5_2_clear_ipv4_packet_where_policy_requires_esp_is_a_polvio():
    """RFC 4301 5.2 (ipsec4_in_reject): dropped before ICMP sees it; ARP still works."""
    lab = esp4()
    ok(lab, "left", "setkey -FP")
    status, _ = lab.run_command("left", f"ping -c 1 {R4}")
    assert status != 0
    assert stats(lab, "right", "net.inet.ipsec.stats")["in_polvio"] == 1
    assert R4 in ok(lab, "left", "arp -an")


def test_rfc4301_4_4_1_traffic_outside_the_selector_goes_in_the_clear():
    """A policy for UDP only: ICMP (and ARP) are not covered and keep working."""
    lab = esp4(upper="udp")
    w = Wire4(lab)
    assert "1 packets received" in ok(lab, "left", f"ping -c 1 {R4}")
    assert w.ip4(1) and not w.ip4(50)


def test_rfc4301_5_1_2_1_ipv6_in_ipv4_and_ipv4_in_ipv6_tunnels():
    """The SPD allows an inner family other than the SA's: 6-in-4 (next header
    41 in IPv4 ESP) and 4-in-6 (protocol 4 in IPv6 ESP)."""
    s = [sa_script(a, b, CBC[0], mode="tunnel", tunnel=(ta, tb))
         for a, b, ta, tb in ((L, R, L4, R4), (R, L, R4, L4))]
    lab = keyed4(s[0], s[1], v6=True)
    w = Wire4(lab)
    assert "1 packets received" in ok(lab, "left", f"ping6 -c 1 {R}")
    assert len(w.ip4(50)) == 2 and not w.ip6(58)
    sa = SecurityAssociation(ESP, spi=0x1000, **CBC[1])
    from scapy.layers.inet6 import IPv6
    inner = sa.decrypt(Ether(w.ip4(50)[0])[IP])          # ESP's payload is the IPv6 packet
    assert inner.haslayer(IPv6) and inner[IPv6].src == L
    s = [sa_script(a, b, CBC[0], mode="tunnel", tunnel=(ta, tb))
         for a, b, ta, tb in ((L4, R4, L, R), (R4, L4, R, L))]
    for host, script in (("left", s[0]), ("right", s[1])):
        from tests.kernel.netipsec.ipsec_lab import setkey
        setkey(lab, host, script)
    w.frames.clear()
    assert "1 packets received" in ok(lab, "left", f"ping -c 1 {R4}")
    assert len(w.ip6(50)) == 2 and not w.ip4(1)
    assert stats(lab, "right", "net.inet6.ipsec6.stats")["in_success"] == 1


def test_setkey_dumps_ipv4_sas_and_policies():
    lab = esp4()
    out = ok(lab, "left", "setkey -D")
    assert f"{L4} {R4}\n\tesp mode=transport spi=4096(0x00001000)" in out
    out = ok(lab, "left", "setkey -DP")
    assert f"{L4}[any] {R4}[any] any\n\tout ipsec\n\tesp/transport//require" in out
