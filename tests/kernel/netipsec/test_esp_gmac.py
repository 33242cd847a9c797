"""ESP with AES-GMAC (RFC 4543, ENCR_NULL_AUTH_AES_GMAC) as setkey keys it:
``-E aes-gmac`` (FreeBSD's name) or ``-E null_aes_gmac`` (ipsec-tools'), the
key followed by the 4-byte salt (RFC 4543 3.2: 160, 224 or 288 bits).

The data path is checked against scapy in test_esp_scapy.py (and on the
KCE-1 card in test_ipsec_kce.py)."""
from __future__ import annotations

import pytest

from tests.kernel.netipsec.ipsec_lab import L, R, esp_script, keyed, ok, put_file

GK = bytes(range(0x30, 0x44))            # AES-128 key + 4-byte salt (RFC 4543 3.2)


@pytest.mark.parametrize("name", ["aes-gmac", "null_aes_gmac"])
def test_rfc4543_setkey_keys_gmac_esp_under_both_names(name):
    lab = keyed(esp_script(L, R, name, "0x" + GK.hex()), esp_script(R, L, name, "0x" + GK.hex()))
    out = ok(lab, "left", "setkey -D")
    assert out.count("\tE: aes-gmac  30313233 34353637 38393a3b 3c3d3e3f 40414243\n") == 2
    assert "\tA:" not in out                     # an AEAD transform takes no HMAC


def test_rfc4543_3_2_gmac_key_must_carry_the_salt():
    lab = keyed("", "")
    put_file(lab, "left", "/etc/g.conf", f"add {L} {R} esp 0x1000 -E aes-gmac 0x{GK[:16].hex()};\n")
    status, out = lab.run_command("left", "setkey -f /etc/g.conf")
    assert status == 1 and out == f"/etc/g.conf:1: Invalid key length at [0x{GK[:16].hex()}]\n"
