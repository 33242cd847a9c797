"""ESP (RFC 4303) between two hosts keyed by setkey: each algorithm, replay,
ICV and padding checks, policy violations, ACQUIRE, lifetimes by bytes."""
from __future__ import annotations

import pytest

from kernel.wire.pfkeyv2 import SADB_ACQUIRE, SADB_EXPIRE, SADB_REGISTER, SADB_SATYPE_ESP, msg_build
from tests.kernel.netipsec.ipsec_lab import L, R, SEC, Wire, esp_script, keyed, ok, setkey, stats

ALGS = [
    ("null", "", "hmac-sha1", "0x" + "11" * 20),
    ("aes-cbc", "0x" + "22" * 16, "hmac-sha1", "0x" + "11" * 20),
    ("aes-cbc", "0x" + "22" * 32, "hmac-sha256", "0x" + "11" * 32),
    ("aes-cbc", "0x" + "22" * 32, "hmac-sha384", "0x" + "11" * 48),
    ("aes-cbc", "0x" + "22" * 16, "hmac-sha512", "0x" + "11" * 64),
    ("3des-cbc", "0x" + "33" * 24, "hmac-sha1", "0x" + "11" * 20),
    ("aes-gcm-16", "0x" + "44" * 20, "", ""),
    ("aes-cbc", "0x" + "22" * 16, "", ""),
]
AES_SHA1 = ("aes-cbc", "0x" + "22" * 16, "hmac-sha1", "0x" + "11" * 20)
NULL_NOAUTH = ("null", "", "", "")


def esp_pair(alg=AES_SHA1, capture=None, extra=""):
    enc, ekey, auth, akey = alg
    if enc == "null":
        enc, ekey = "null", '""'
    return keyed(esp_script(L, R, enc, ekey, auth, akey, extra=extra),
                 esp_script(R, L, enc, ekey, auth, akey, extra=extra), capture=capture)


@pytest.mark.parametrize("alg", ALGS, ids=[f"{a[0]}-{a[2] or 'noauth'}" for a in ALGS])
def test_rfc4303_ping6_through_esp_transport_with_each_algorithm(alg, tmp_path):
    """RFC 4303 3.1.1: in transport mode ESP follows the IPv6 header; the echo
    and its reply go through ESP only, and both hosts count them."""
    lab = esp_pair(alg, capture=tmp_path)
    w = Wire(lab)
    out = ok(lab, "left", f"ping6 -c 2 {R}")
    assert "2 packets received" in out
    assert len(w.ip6(50)) == 4                         # 2 echoes + 2 replies, all ESP
    assert not [f for f in w.ip6(58) if f[54] in (128, 129)]   # no clear echo on the wire
    for h in ("left", "right"):
        e = stats(lab, h, "net.inet.esp.stats")
        assert (e["esps_input"], e["esps_output"]) == (2, 2)
        assert stats(lab, h, "net.inet6.ipsec6.stats")["in_success"] == 2
    lab.close()


def test_rfc4303_2_4_padding_is_1_2_3_and_aligned():
    """RFC 4303 2.4: padding bytes 1, 2, 3, ...; the ciphertext is whole blocks."""
    lab = esp_pair(NULL_NOAUTH)
    w = Wire(lab)
    ok(lab, "left", f"ping6 -c 1 -s 57 {R}")
    f = w.ip6(50)[0]
    esp = f[54:]
    padlen, nxt = esp[-2], esp[-1]
    assert nxt == 58
    assert esp[-2 - padlen:-2] == bytes(range(1, padlen + 1))
    assert (len(esp) - 8) % 4 == 0


def test_rfc4303_3_4_3_replayed_packet_is_dropped_and_counted():
    """RFC 4303 3.4.3: a duplicate sequence number is rejected (esps_replay)."""
    lab = esp_pair(extra="-r 8")
    w = Wire(lab)
    ok(lab, "left", f"ping6 -c 1 {R}")
    first = w.ip6(50)[0]
    before = stats(lab, "right", "net.inet.esp.stats")
    w.inject(first)
    after = stats(lab, "right", "net.inet.esp.stats")
    assert after["esps_replay"] == before["esps_replay"] + 1
    assert after["esps_input"] == before["esps_input"]
    assert stats(lab, "right", "net.inet6.ipsec6.stats")["in_espreplay"] == 1


def test_rfc4303_3_4_3_without_replay_window_a_duplicate_is_accepted():
    """RFC 4303 3.4.3: the receiver may disable the check (setkey -r 0)."""
    lab = esp_pair()
    w = Wire(lab)
    ok(lab, "left", f"ping6 -c 1 {R}")
    w.inject(w.ip6(50)[0])
    assert stats(lab, "right", "net.inet.esp.stats")["esps_input"] == 2


def test_rfc4303_3_4_4_tampered_icv_is_dropped_as_badauth():
    """RFC 4303 3.4.4.1: an ICV that does not match: discard, auditable (esps_badauth)."""
    lab = esp_pair(extra="-r 8")
    w = Wire(lab)
    ok(lab, "left", f"ping6 -c 1 {R}")
    f = bytearray(w.ip6(50)[0])
    f[61] = 5                                          # a new sequence number: under the ICV
    w.inject(bytes(f))
    e = stats(lab, "right", "net.inet.esp.stats")
    assert e["esps_badauth"] == 1 and e["esps_input"] == 1
    assert stats(lab, "right", "net.inet6.ipsec6.stats")["in_espauthfail"] == 1


def test_rfc4303_2_4_bad_padding_is_dropped_and_counted():
    """RFC 4303 2.4: the receiver checks the padding (esps_badenc, as FreeBSD)."""
    lab = esp_pair(NULL_NOAUTH)
    w = Wire(lab)
    ok(lab, "left", f"ping6 -c 1 -s 57 {R}")
    f = bytearray(w.ip6(50)[0])
    padlen = f[-2]
    assert padlen >= 1
    f[-3] ^= 0x40                                      # the last pad byte
    w.inject(bytes(f))
    e = stats(lab, "right", "net.inet.esp.stats")
    assert e["esps_badenc"] == 1 and e["esps_input"] == 1


def test_rfc4301_5_2_clear_packet_where_policy_requires_esp_is_a_polvio():
    """RFC 4301 5.2: a packet that should have been protected and was not is
    discarded (ipsec6 in_polvio); ND keeps working around the policy."""
    lab = esp_pair()
    ok(lab, "left", "setkey -FP")                      # left sends in the clear
    status, _ = lab.run_command("left", f"ping6 -c 1 {R}")
    assert status != 0
    assert stats(lab, "right", "net.inet6.ipsec6.stats")["in_polvio"] >= 1
    # Neighbour Discovery between them went on (module docstring of ipsec.py)
    out = ok(lab, "right", "ndp -an")
    assert "2001:db8:12::1" in out


def test_rfc2367_3_1_6_no_sa_sends_acquire_and_drops_the_packet():
    """RFC 2367 3.1.6: an outbound packet needing a missing SA makes the kernel
    send SADB_ACQUIRE to registered sockets; KAME drops the packet (out_nosa)."""
    lab = keyed(f"spdadd {L} {R} any -P out ipsec esp/transport//require;\n", "")
    k = lab.machines["left"].kernel
    ks = _keysock(k)
    ks.request(msg_build(SADB_REGISTER, [], sadb_msg_satype=SADB_SATYPE_ESP))
    status, _ = lab.run_command("left", f"ping6 -c 1 {R}")
    assert status != 0
    msgs = ks.msgs()
    assert [m.type for m in msgs].count(SADB_ACQUIRE) == 1
    assert stats(lab, "left", "net.inet6.ipsec6.stats")["out_nosa"] >= 1


def _keysock(k):
    from kernel.kern.uipc_socket import socreate
    from kernel.wire.pfkeyv2 import PF_KEY, PF_KEY_V2
    from kernel.wire.socket import SOCK_RAW
    from tests.kernel.netkey.keyhost import KeySock
    ks = KeySock.__new__(KeySock)
    ks.td = None
    ks.so = socreate(k, PF_KEY, SOCK_RAW, PF_KEY_V2, None)
    return ks


def test_rfc2367_lifetime_by_bytes_soft_then_hard_expire_via_the_data_path():
    """RFC 2367 2.3.1: the bytes sent through the SA reach the soft and then
    the hard byte lifetime: SADB_EXPIRE each time, and the SA goes."""
    from kernel.wire.in6 import inet_pton6, sockaddr_in6
    from tests.kernel.netkey.keyhost import add_msg
    lab = esp_pair()
    k = lab.machines["left"].kernel
    ks = _keysock(k)
    ks.request(msg_build(SADB_REGISTER, [], sadb_msg_satype=SADB_SATYPE_ESP))
    setkey(lab, "left", f"delete {L} {R} esp 0x1000;\n")
    ks.request(add_msg(spi=0x1000, src=sockaddr_in6(inet_pton6(L)), dst=sockaddr_in6(inet_pton6(R)),
                       ekey=b"\x22" * 16, akey=b"\x11" * 20, lifetimes=((0, 600, 0, 0), (0, 300, 0, 0))))
    ks.msgs()
    ok(lab, "left", f"ping6 -c 2 {R}")                  # 2 x 108 bytes: under 300
    assert SADB_EXPIRE not in [m.type for m in ks.msgs()]
    ok(lab, "left", f"ping6 -c 1 {R}")                  # 324: soft
    assert [m.type for m in ks.msgs()].count(SADB_EXPIRE) == 1
    lab.run_command("left", f"ping6 -c 4 {R}")          # 648: hard
    assert [m.type for m in ks.msgs()].count(SADB_EXPIRE) == 1
    assert not [s for s in k.key.all_savs() if s.spi == 0x1000]


def test_rfc4301_4_4_1_any_policy_leaves_nd_alone_but_icmp6_policy_covers_echo():
    """kamebox/KAME: ND (133-137) is outside an ``any`` policy (docs/ipsec.md);
    the ESP hosts resolve each other and NUD works with only ESP for the echo."""
    from kernel.netipsec.ipsec import ICMP6_ND_MLD_TYPES
    assert {133, 134, 135, 136, 137} <= ICMP6_ND_MLD_TYPES and 128 not in ICMP6_ND_MLD_TYPES
    lab = esp_pair()
    w = Wire(lab)
    ok(lab, "left", f"ping6 -c 1 {R}")
    clear = [f[54] for f in w.ip6(58)]
    assert 135 in clear and 136 in clear                  # address resolution in the clear
    assert 128 not in clear and 129 not in clear          # the echo only inside ESP
    assert stats(lab, "left", "net.inet6.ipsec6.stats")["out_polvio"] == 0
