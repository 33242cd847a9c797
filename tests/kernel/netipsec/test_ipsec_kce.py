"""ESP through the KCE-1 card (asynchronous completion through opencrypto)
gives the same bytes on the wire as cryptosoft; netstat -s -p ipsec6/esp."""
from __future__ import annotations

import pytest

from emu.lab import Lab, program_table
from tests.kernel.netipsec.ipsec_lab import L, R, Wire, esp_script, ok, setkey, stats
from tests.userland.netlab import MAC_LEFT, MAC_RIGHT, up

GCM = ("aes-gcm-16", "0x" + "44" * 20, "", "")
GMAC = ("aes-gmac", "0x" + "55" * 20, "", "")
CBC = ("aes-cbc", "0x" + "22" * 16, "hmac-sha1", "0x" + "11" * 20)


def lab_with(crypto, alg):
    lab = Lab(seed=3)
    lab.programs = program_table()
    seg = lab.segment("link0")
    lab.machine("left", nics=[("em", seg, MAC_LEFT)], crypto=crypto)
    lab.machine("right", nics=[("em", seg, MAC_RIGHT)], crypto=crypto)
    lab.boot()
    up(lab, "left", L)
    up(lab, "right", R)
    setkey(lab, "left", esp_script(L, R, *alg))
    setkey(lab, "right", esp_script(R, L, *alg))
    return lab


@pytest.mark.parametrize("alg", [GCM, GMAC], ids=["rfc4106_gcm", "rfc4543_gmac"])
def test_esp_aead_on_the_kce_card_gives_the_same_bytes_as_cryptosoft(alg):
    wires = {}
    for crypto in (None, "kce"):
        lab = lab_with(crypto, alg)
        w = Wire(lab)
        assert "3 packets received" in ok(lab, "left", f"ping6 -c 3 {R}")
        wires[crypto] = [f[54:] for f in w.ip6(50)]
        drivers = stats(lab, "left", "kern.crypto.drivers")
        used = {d["name"]: d["ops"] for d in drivers if d["ops"]}
        assert list(used) == (["cryptosoft0"] if crypto is None else ["kce0"]), used
    assert wires[None] == wires["kce"] and len(wires[None]) == 6


def test_esp_cbc_hmac_on_the_kce_card_round_trips():
    lab = lab_with("kce", CBC)
    assert "2 packets received" in ok(lab, "left", f"ping6 -c 2 {R}")
    assert stats(lab, "right", "net.inet.esp.stats")["esps_input"] == 2


def test_netstat_s_p_ipsec6_and_esp_print_freebsds_lines():
    lab = lab_with(None, CBC)
    ok(lab, "left", f"ping6 -c 2 {R}")
    out = ok(lab, "right", "netstat -ss -p ipsec6")
    assert out == ("ipsec6:\n\t2 inbound packets processed successfully\n"
                   "\tESP input histogram:\n\t\taes-cbc: 2\n"
                   "\t2 outbound packets processed successfully\n"
                   "\tESP output histogram:\n\t\taes-cbc: 2\n")
    out = ok(lab, "right", "netstat -s -p esp")
    assert "\t2 packets in\n" in out and "\t0 possible replay packets detected\n" in out
    assert ok(lab, "right", "netstat -ss -p ah") == "ah:\n"
