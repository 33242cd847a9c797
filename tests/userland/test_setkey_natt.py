"""setkey's NAT-T syntax (ipsec-tools parse.y: ``ipandport``, ``esp-udp``) and
its dump, and IPv4 SAs and policies in -D / -DP."""
from __future__ import annotations

from tests.kernel.netipsec.ipsec_lab import ok, setkey
from tests.userland.netlab import pair

SCRIPT = ("add 192.0.2.1[4500] 198.51.100.7[4501] esp-udp 0x1000 -m transport "
          "-E aes-cbc 0x22222222222222222222222222222222 "
          "-A hmac-sha1 0x1111111111111111111111111111111111111111;\n"
          "add 192.0.2.1 198.51.100.7 esp 0x1001 -E null;\n"
          "spdadd 192.0.2.0/24[any] 198.51.100.7[500] udp -P out ipsec esp/tunnel/192.0.2.1-198.51.100.7/require;\n")


def test_rfc3948_setkey_add_esp_udp_with_ports_and_dump():
    """``add A[4500] B[4500] esp-udp``: the NAT-T type and ports go to the
    kernel; -D prints them back as ipsec-tools does (``A[sport] B[dport]``,
    ``esp-udp``)."""
    lab = pair()
    setkey(lab, "left", SCRIPT)
    out = ok(lab, "left", "setkey -D")
    assert "192.0.2.1[4500] 198.51.100.7[4501]\n\tesp-udp mode=transport spi=4096(0x00001000)" in out
    assert "192.0.2.1 198.51.100.7\n\tesp mode=any spi=4097(0x00001001)" in out
    k = lab.machines["left"].kernel
    sav = next(s for s in k.key.spihash[(50, 0x1000)])
    assert sav.natt_type == 2
    pol = ok(lab, "left", "setkey -DP")
    assert "192.0.2.0/24[any] 198.51.100.7[500] 17\n\tout ipsec\n" in pol   # no /etc/protocols
    assert "esp/tunnel/192.0.2.1-198.51.100.7/require" in pol


def test_setkey_add_with_a_prefix_is_a_syntax_error_naming_the_line():
    lab = pair()
    from tests.kernel.netipsec.ipsec_lab import put_file
    put_file(lab, "left", "/etc/ipsec.conf", "add 192.0.2.1/24 198.51.100.7 esp-udp 0x1000 -E null;\n")
    status, out = lab.run_command("left", "setkey -f /etc/ipsec.conf")
    assert status != 0
    assert out.strip() == "/etc/ipsec.conf:1: syntax error, expected address[port] at [192.0.2.1/24]"
