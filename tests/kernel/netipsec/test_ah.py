"""AH (RFC 4302) in transport mode, and the AH+ESP bundle, between two hosts."""
from __future__ import annotations

import pytest

from kernel.netipsec.xform_ah import ah_massage_headers
from tests.kernel.netipsec.ipsec_lab import L, R, Wire, esp_script, keyed, ok, stats

AKEY = "0x" + "11" * 20
EKEY = "0x" + "22" * 16


@pytest.mark.parametrize("auth,key", [("hmac-sha1", AKEY), ("hmac-sha256", "0x" + "11" * 32),
                                      ("hmac-sha512", "0x" + "11" * 64)])
def test_rfc4302_3_1_1_ping6_through_ah_transport(auth, key):
    """RFC 4302 3.1.1: AH after the IPv6 header; RFC 4302 2.2: 64-bit aligned."""
    lab = keyed(esp_script(L, R, "", "", auth, key, proto="ah"),
                esp_script(R, L, "", "", auth, key, proto="ah"))
    w = Wire(lab)
    assert "2 packets received" in ok(lab, "left", f"ping6 -c 2 {R}")
    f = w.ip6(51)[0]
    assert ((f[55] + 2) * 4) % 8 == 0
    assert f[54] == 58                                   # AH's next header: ICMPv6
    assert stats(lab, "right", "net.inet.ah.stats")["ahs_input"] == 2


def test_rfc4302_3_4_3_tampered_payload_fails_the_icv():
    lab = keyed(esp_script(L, R, "", "", "hmac-sha1", AKEY, proto="ah"),
                esp_script(R, L, "", "", "hmac-sha1", AKEY, proto="ah"))
    w = Wire(lab)
    ok(lab, "left", f"ping6 -c 1 {R}")
    f = bytearray(w.ip6(51)[0])
    f[-1] ^= 1
    w.inject(bytes(f))
    assert stats(lab, "right", "net.inet.ah.stats")["ahs_badauth"] == 1


def test_rfc4302_3_3_3_1_mutable_fields_do_not_change_the_icv():
    """RFC 4302 3.3.3.1.2.1: traffic class, flow label and hop limit are zeroed."""
    lab = keyed(esp_script(L, R, "", "", "hmac-sha1", AKEY, proto="ah"),
                esp_script(R, L, "", "", "hmac-sha1", AKEY, proto="ah"))
    w = Wire(lab)
    ok(lab, "left", f"ping6 -c 1 {R}")
    f = bytearray(w.ip6(51)[0])
    f[14 + 7] = 3                                        # hop limit
    f[14 + 1] |= 0x0A                                    # flow label
    a = bytearray(f[14:])
    b = bytearray(w.ip6(51)[0][14:])
    ah_massage_headers(a, 40, 24)
    ah_massage_headers(b, 40, 24)
    assert a == b


def test_rfc4301_4_5_ah_esp_bundle_in_the_order_of_the_policy():
    """KAME: ``esp/transport//require ah/transport//require`` sends IPv6|AH|ESP."""
    def script(me, peer):
        so, si = (0x1000, 0x2000) if me == L else (0x2000, 0x1000)
        return (f"add {me} {peer} esp {so:#x} -E aes-cbc {EKEY} -A hmac-sha1 {AKEY};\n"
                f"add {peer} {me} esp {si:#x} -E aes-cbc {EKEY} -A hmac-sha1 {AKEY};\n"
                f"add {me} {peer} ah {so + 1:#x} -A hmac-sha1 {AKEY};\n"
                f"add {peer} {me} ah {si + 1:#x} -A hmac-sha1 {AKEY};\n"
                f"spdadd {me} {peer} any -P out ipsec esp/transport//require "
                f"ah/transport//require;\n"
                f"spdadd {peer} {me} any -P in ipsec esp/transport//require "
                f"ah/transport//require;\n")
    lab = keyed(script(L, R), script(R, L))
    w = Wire(lab)
    assert "2 packets received" in ok(lab, "left", f"ping6 -c 2 {R}")
    f = w.ip6(51)[0]
    assert f[54] == 50                                   # AH, then ESP
    assert stats(lab, "right", "net.inet.ah.stats")["ahs_input"] == 2
    assert stats(lab, "right", "net.inet.esp.stats")["esps_input"] == 2
    assert stats(lab, "right", "net.inet6.ipsec6.stats")["in_polvio"] == 0
