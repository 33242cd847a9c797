"""The independent-implementation check: scapy's SecurityAssociation decrypts
the ESP kamebox sends, and kamebox accepts the ESP scapy builds — AES-CBC +
HMAC-SHA1-96, AES-GCM-16 (RFC 4106) and AES-GMAC (RFC 4543), transport and
tunnel mode."""
from __future__ import annotations

import pytest

from tests.kernel.netipsec.ipsec_lab import L, R, Wire, esp_script, keyed, ok, stats

scapy_layers = pytest.importorskip("scapy.layers.ipsec", reason="scapy is a test dependency")
from scapy.layers.inet6 import ICMPv6EchoReply, ICMPv6EchoRequest, IPv6  # noqa: E402
from scapy.layers.ipsec import ESP, SecurityAssociation  # noqa: E402
from scapy.layers.l2 import Ether  # noqa: E402

EK = bytes([0x22]) * 16
AK = bytes([0x11]) * 20
GK = bytes([0x44]) * 20                  # AES-128 key + 4-byte salt
CASES = {
    "aes-cbc-hmac-sha1": (("aes-cbc", "0x" + EK.hex(), "hmac-sha1", "0x" + AK.hex()),
                          dict(crypt_algo="AES-CBC", crypt_key=EK, auth_algo="HMAC-SHA1-96",
                               auth_key=AK)),
    "aes-gcm-16": (("aes-gcm-16", "0x" + GK.hex(), "", ""),
                   dict(crypt_algo="AES-GCM", crypt_key=GK, auth_algo="NULL", auth_key=None)),
    # RFC 4543: ENCR_NULL_AUTH_AES_GMAC, authenticated but not encrypted
    "aes-gmac": (("aes-gmac", "0x" + GK.hex(), "", ""),
                 dict(crypt_algo="AES-NULL-GMAC", crypt_key=GK, auth_algo="NULL",
                      auth_key=None)),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_rfc4303_scapy_decrypts_our_esp_and_we_accept_scapys_transport(case):
    (enc, ekey, auth, akey), sa_kw = CASES[case]
    lab = keyed(esp_script(L, R, enc, ekey, auth, akey), esp_script(R, L, enc, ekey, auth, akey))
    w = Wire(lab)
    ok(lab, "left", f"ping6 -c 1 {R}")
    frames = w.ip6(50)
    # ours -> scapy: the echo request left sent with SPI 0x1000
    sa_lr = SecurityAssociation(ESP, spi=0x1000, **sa_kw)
    pkt = Ether(frames[0])[IPv6]
    clear = sa_lr.decrypt(pkt)
    assert clear.haslayer(ICMPv6EchoRequest)
    assert clear[IPv6].src == L and clear[IPv6].dst == R
    # scapy -> ours: an echo request to right, which answers through ESP
    eth = Ether(frames[0])
    req = IPv6(src=L, dst=R, hlim=64) / ICMPv6EchoRequest(id=0x77, seq=9, data=b"scapy")
    enc_pkt = sa_lr.encrypt(req, seq_num=100)
    before = stats(lab, "right", "net.inet.esp.stats")["esps_input"]
    w.inject(bytes(Ether(src=eth.src, dst=eth.dst) / enc_pkt))
    assert stats(lab, "right", "net.inet.esp.stats")["esps_input"] == before + 1
    reply = Ether(w.ip6(50)[-1])[IPv6]
    sa_rl = SecurityAssociation(ESP, spi=0x2000, **sa_kw)
    back = sa_rl.decrypt(reply)
    assert back.haslayer(ICMPv6EchoReply) and back[ICMPv6EchoReply].data == b"scapy"
