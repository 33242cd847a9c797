"""ESP tunnel mode (RFC 4301 5.1.2.2, RFC 4303 3.1.2): host to host with the
tunnel endpoints on the hosts, checked against scapy's tunnel mode."""
from __future__ import annotations

import pytest

from tests.kernel.netipsec.ipsec_lab import L, R, Wire, keyed, ok, stats

EK = "0x" + "22" * 16
AK = "0x" + "11" * 20


def tunnel_script(me: str, peer: str) -> str:
    so, si = (0x1000, 0x2000) if me == L else (0x2000, 0x1000)
    return (f"add {me} {peer} esp {so:#x} -m tunnel -E aes-cbc {EK} -A hmac-sha1 {AK};\n"
            f"add {peer} {me} esp {si:#x} -m tunnel -E aes-cbc {EK} -A hmac-sha1 {AK};\n"
            f"spdadd {me} {peer} any -P out ipsec esp/tunnel/{me}-{peer}/require;\n"
            f"spdadd {peer} {me} any -P in ipsec esp/tunnel/{peer}-{me}/require;\n")


def test_rfc4303_3_1_2_tunnel_mode_wraps_the_whole_packet():
    """RFC 4303 3.1.2: the inner IPv6 packet is ESP's payload (next header 41)."""
    lab = keyed(tunnel_script(L, R), tunnel_script(R, L))
    w = Wire(lab)
    assert "2 packets received" in ok(lab, "left", f"ping6 -c 2 {R}")
    assert len(w.ip6(50)) == 4
    assert stats(lab, "right", "net.inet6.ipsec6.stats")["in_polvio"] == 0


def test_rfc4301_5_2_transport_where_tunnel_is_required_is_a_polvio():
    """RFC 4301 5.2: protected, but not as the policy says: dropped."""
    lab = keyed(tunnel_script(L, R), tunnel_script(R, L))
    ok(lab, "left", "setkey -FP")
    ok(lab, "left", "setkey -F")
    from tests.kernel.netipsec.ipsec_lab import esp_script, setkey
    setkey(lab, "left", esp_script(L, R, "aes-cbc", EK, "hmac-sha1", AK))
    lab.run_command("left", f"ping6 -c 1 {R}")
    assert stats(lab, "right", "net.inet6.ipsec6.stats")["in_polvio"] >= 1


def test_rfc4303_scapy_tunnel_mode_both_ways():
    pytest.importorskip("scapy.layers.ipsec", reason="scapy is a test dependency")
    from scapy.layers.inet6 import ICMPv6EchoReply, ICMPv6EchoRequest, IPv6
    from scapy.layers.ipsec import ESP, SecurityAssociation
    from scapy.layers.l2 import Ether
    lab = keyed(tunnel_script(L, R), tunnel_script(R, L))
    w = Wire(lab)
    ok(lab, "left", f"ping6 -c 1 {R}")
    kw = dict(crypt_algo="AES-CBC", crypt_key=bytes([0x22]) * 16, auth_algo="HMAC-SHA1-96",
              auth_key=bytes([0x11]) * 20)
    sa_lr = SecurityAssociation(ESP, spi=0x1000, tunnel_header=IPv6(src=L, dst=R), **kw)
    f = w.ip6(50)[0]
    inner = sa_lr.decrypt(Ether(f)[IPv6])
    assert inner.haslayer(ICMPv6EchoRequest) and inner[IPv6].src == L
    req = IPv6(src=L, dst=R) / ICMPv6EchoRequest(id=5, seq=5, data=b"tun")
    eth = Ether(f)
    w.inject(bytes(Ether(src=eth.src, dst=eth.dst) / sa_lr.encrypt(req, seq_num=50)))
    sa_rl = SecurityAssociation(ESP, spi=0x2000, tunnel_header=IPv6(src=R, dst=L), **kw)
    back = sa_rl.decrypt(Ether(w.ip6(50)[-1])[IPv6])
    assert back.haslayer(ICMPv6EchoReply) and back[ICMPv6EchoReply].data == b"tun"
