"""AH over IPv4 (RFC 4302): the ICV over the packet with the mutable fields
zeroed (3.3.3.1.1: TOS, flags/fragment offset, TTL, checksum, mutable
options), the AH 32-bit aligned (2.2), checked against scapy's AH both ways."""
from __future__ import annotations

import pytest

from kernel.netipsec.xform_ah import ah_hdrlen, ah_massage_headers4
from tests.kernel.netipsec.ipsec4_lab import AK, L4, R4, Wire4, keyed4, sa_script
from tests.kernel.netipsec.ipsec_lab import ok, stats

pytest.importorskip("scapy.layers.ipsec", reason="scapy is a test dependency")
from scapy.layers.inet import ICMP, IP  # noqa: E402
from scapy.layers.ipsec import AH, SecurityAssociation  # noqa: E402
from scapy.layers.l2 import Ether  # noqa: E402

SHA256K = bytes([0x33]) * 32
ALGS = {"hmac-sha1": ("-A hmac-sha1 0x" + AK.hex(), dict(auth_algo="HMAC-SHA1-96", auth_key=AK)),
        "hmac-sha256": ("-A hmac-sha256 0x" + SHA256K.hex(),
                        dict(auth_algo="SHA2-256-128", auth_key=SHA256K))}


def ah4(alg, extra=""):
    return keyed4(sa_script(L4, R4, alg, proto="ah", extra=extra),
                  sa_script(R4, L4, alg, proto="ah", extra=extra))


def test_rfc4302_3_3_3_1_1_mutable_ipv4_fields_and_options_are_zeroed():
    """3.3.3.1.1.1: TOS, flags, fragment offset, TTL, checksum zeroed; the rest kept.
    3.3.3.1.1.2: NOP and Router Alert are immutable; Record Route and an
    unknown option are mutable: "the entire option is zeroed"."""
    rr = bytes((7, 7, 4)) + bytes(4)                  # Record Route, 7 octets
    ra = bytes((148, 4, 0, 0))                        # Router Alert
    unknown = bytes((0x9E, 3, 0xAA))
    opts = rr + bytes((1,)) + ra + unknown + bytes((0,))   # ... End of Options List
    hl = 20 + len(opts)
    assert hl % 4 == 0
    pkt = bytearray(bytes((0x40 | hl >> 2, 0xB8, 0, 60, 0x12, 0x34, 0x40, 0, 63, 51, 0xAB, 0xCD))
                    + bytes((10, 0, 0, 1, 10, 0, 0, 2)) + opts)
    ah_massage_headers4(pkt)
    assert pkt[1] == 0 and pkt[6:8] == b"\0\0" and pkt[8] == 0 and pkt[10:12] == b"\0\0"
    assert pkt[4:6] == b"\x12\x34" and pkt[9] == 51 and pkt[12:20] == bytes((10, 0, 0, 1, 10, 0, 0, 2))
    o = pkt[20:]
    assert o[:7] == bytes(7)                          # Record Route, type and length too
    assert o[7] == 1 and o[8:12] == ra                # NOP, Router Alert kept
    assert o[12:15] == bytes(3)


def test_rfc4302_2_2_ipv4_ah_is_a_multiple_of_32_bits():
    """2.2: 64-bit alignment for IPv6, 32-bit for IPv4 (HMAC-SHA-256-128: 28 / 32 octets)."""
    assert (ah_hdrlen(12, False), ah_hdrlen(12, True)) == (24, 24)
    assert (ah_hdrlen(16, False), ah_hdrlen(16, True)) == (28, 32)


@pytest.mark.parametrize("alg", sorted(ALGS))
def test_rfc4302_scapy_verifies_our_ipv4_ah_and_we_accept_scapys(alg):
    conf, sa_kw = ALGS[alg]
    lab = ah4(conf)
    w = Wire4(lab)
    assert "1 packets received" in ok(lab, "left", f"ping -c 1 {R4}")
    f = w.ip4(51)[0]
    pkt = Ether(f)[IP]
    sa_lr = SecurityAssociation(AH, spi=0x1000, **sa_kw)
    clear = IP(bytes(sa_lr.decrypt(pkt)))             # verifies the ICV
    assert clear[ICMP].type == 8
    ah = Ether(f)[AH]
    assert ah.payloadlen == (ah_hdrlen(len(ah.icv), False) >> 2) - 2
    eth = Ether(f)
    req = IP(src=L4, dst=R4, ttl=17, tos=0x10) / ICMP(type=8, id=3, seq=4) / b"scapy-ah"
    w.inject(bytes(Ether(src=eth.src, dst=eth.dst) / sa_lr.encrypt(req, seq_num=50)))
    assert stats(lab, "right", "net.inet.ah.stats")["ahs_input"] == 2
    back = IP(bytes(SecurityAssociation(AH, spi=0x2000, **sa_kw).decrypt(Ether(w.ip4(51)[-1])[IP])))
    assert back[ICMP].type == 0 and bytes(back[ICMP].payload) == b"scapy-ah"
    assert stats(lab, "right", "net.inet.ipsec.stats")["in_ahhist"][3 if alg == "hmac-sha1" else 5] == 2


def test_rfc4302_3_4_4_tampered_ipv4_ah_is_dropped_and_counted():
    """3.4.4: the ICV does not match (here: a changed immutable field, the id)."""
    lab = ah4(ALGS["hmac-sha1"][0], extra="-r 8")
    w = Wire4(lab)
    ok(lab, "left", f"ping -c 1 {R4}")
    f = bytearray(w.ip4(51)[0])
    f[14 + 4] ^= 0xFF                                 # Identification: immutable
    f[14 + 10] = f[14 + 11] = 0
    from kernel.wire.ip import ip_header_cksum
    ck = ip_header_cksum(f, 14, 20)
    f[14 + 10], f[14 + 11] = ck >> 8, ck & 0xFF
    f[14 + 20 + 11] = 9                               # new sequence number
    w.inject(bytes(f))
    assert stats(lab, "right", "net.inet.ah.stats")["ahs_badauth"] == 1
    assert stats(lab, "right", "net.inet.ipsec.stats")["in_ahauthfail"] == 1


def test_rfc4302_3_3_3_1_1_1_changed_ttl_and_tos_do_not_break_the_icv():
    """A router lowering the TTL and re-marking the TOS does not invalidate AH."""
    lab = ah4(ALGS["hmac-sha1"][0])                   # no replay window: the same packet again
    w = Wire4(lab)
    ok(lab, "left", f"ping -c 1 {R4}")
    f = bytearray(w.ip4(51)[0])
    f[14 + 8] -= 3
    f[14 + 1] = 0x28
    f[14 + 10] = f[14 + 11] = 0
    from kernel.wire.ip import ip_header_cksum
    ck = ip_header_cksum(f, 14, 20)
    f[14 + 10], f[14 + 11] = ck >> 8, ck & 0xFF
    w.inject(bytes(f))
    assert stats(lab, "right", "net.inet.ah.stats")["ahs_input"] == 2
