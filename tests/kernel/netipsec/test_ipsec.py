"""The data path's policy lookups and SA bookkeeping (kernel/netipsec/ipsec.py
ipsec_checkpolicy, ipsec_in_reject_pkt; kernel/netkey/key_alloc.py
key_allocsp_cached, key_sa_recordxfer): what the data path remembers between
packets — the SPD's answer per packet selector, the SA index per request,
the SA's lifetime deadlines — never outlives a change (RFC 4301 4.4.1: the
SPD is consulted for every packet; RFC 2367 2.3.1 and 3.1.8: lifetimes)."""
from __future__ import annotations

from kernel.wire.pfkeyv2 import (IPPROTO_ESP, SADB_EXPIRE, SADB_EXT_LIFETIME_HARD,
                                 SADB_EXT_LIFETIME_SOFT, SADB_REGISTER, SADB_SASTATE_DEAD,
                                 SADB_SASTATE_DYING, SADB_SASTATE_MATURE, SADB_SATYPE_ESP,
                                 msg_build)
from tests.kernel.netipsec.ipsec_lab import L, R, SEC, Wire, esp_script, keyed, setkey, stats

EK = "0x" + "22" * 16
AK = "0x" + "11" * 20


def _pair():
    return keyed(esp_script(L, R, "aes-cbc", EK, "hmac-sha1", AK),
                 esp_script(R, L, "aes-cbc", EK, "hmac-sha1", AK))


def _requests(w: Wire) -> tuple[int, int]:
    """(Echo Requests seen in ESP, Echo Requests seen in the clear) on the wire."""
    esp = sum(1 for f in w.ip6(50) if f[22:38] == bytes.fromhex("20010db8001200000000000000000001"))
    clear = sum(1 for f in w.ip6(58) if f[54] == 128)
    return esp, clear


def _ping(lab, host: str = "left", dst: str = R) -> int:
    status, _out = lab.run_command(host, f"ping6 -c 1 {dst}")
    return status


def test_rfc4301_4_4_1_spd_update_delete_and_flush_apply_from_the_very_next_packet():
    """Each SPD change applies to the next packet the host sends, though the
    answer for that packet's selector was remembered a packet earlier
    (SPDUPDATE, SPDDELETE, SPDADD and SPDFLUSH all start a new generation)."""
    lab = _pair()
    w = Wire(lab)
    assert _ping(lab) == 0
    assert _requests(w) == (1, 0)
    setkey(lab, "left", f"spdupdate {L} {R} any -P out none;\n")
    _ping(lab)                                       # right still wants ESP: it drops it
    assert _requests(w) == (1, 1)
    assert stats(lab, "right", "net.inet6.ipsec6.stats")["in_polvio"] == 1
    setkey(lab, "left", f"spdupdate {L} {R} any -P out ipsec esp/transport//require;\n")
    assert _ping(lab) == 0
    assert _requests(w) == (2, 1)
    setkey(lab, "left", f"spddelete {L} {R} any -P out;\n")
    _ping(lab)
    assert _requests(w) == (2, 2)
    setkey(lab, "left", f"spdadd {L} {R} any -P out ipsec esp/transport//require;\n")
    assert _ping(lab) == 0
    assert _requests(w) == (3, 2)
    setkey(lab, "left", "spdflush;\n")
    _ping(lab)
    assert _requests(w) == (3, 3)
    assert stats(lab, "right", "net.inet6.ipsec6.stats")["in_polvio"] == 3


def test_rfc4301_5_2_inbound_policy_change_applies_to_the_very_next_packet():
    """The inbound check's remembered answer goes with the SPD change too: a
    cleartext Echo Request refused under ``-P in ipsec esp/transport//require``
    is accepted by the next check once right's SPDUPDATE says ``none``, and
    refused again by the one after an SPDUPDATE back (another inbound entry
    keeps the inbound SPD from being empty, so every packet is looked up)."""
    lab = _pair()
    setkey(lab, "right", "spdadd 2001:db8:99::/48 2001:db8:12::/48 any -P in discard;\n")
    setkey(lab, "left", "spdflush;\n")               # left sends in the clear
    assert _ping(lab) != 0
    assert stats(lab, "right", "net.inet6.ipsec6.stats")["in_polvio"] == 1
    setkey(lab, "right", f"spdupdate {L} {R} any -P in none;\n")
    assert _ping(lab) == 0                           # right's reply is ESP: left takes it
    assert stats(lab, "right", "net.inet6.ipsec6.stats")["in_polvio"] == 1
    setkey(lab, "right", f"spdupdate {L} {R} any -P in ipsec esp/transport//require;\n")
    assert _ping(lab) != 0
    assert stats(lab, "right", "net.inet6.ipsec6.stats")["in_polvio"] == 2
    setkey(lab, "right", f"spddelete {L} {R} any -P in;\n")
    assert _ping(lab) == 0
    assert stats(lab, "right", "net.inet6.ipsec6.stats")["in_polvio"] == 2


def test_rfc2367_3_1_8_lifetimes_fire_on_time_and_bytes_while_the_data_path_counts():
    """An SA the data path uses: the soft usetime lifetime (10 s after the
    first use) makes it DYING at exactly that nanosecond, and the hard byte
    lifetime (648 bytes: six 108-byte ESP packets) makes it DEAD at the
    packet that reaches it; an SADB_EXPIRE each time."""
    from kernel.wire.in6 import inet_pton6, sockaddr_in6
    from tests.kernel.netipsec.test_esp import _keysock
    from tests.kernel.netkey.keyhost import add_msg
    lab = _pair()
    k = lab.machines["left"].kernel
    ks = _keysock(k)
    ks.request(msg_build(SADB_REGISTER, [], sadb_msg_satype=SADB_SATYPE_ESP))
    setkey(lab, "left", f"delete {L} {R} esp 0x1000;\n")
    ks.request(add_msg(spi=0x1000, src=sockaddr_in6(inet_pton6(L)),
                       dst=sockaddr_in6(inet_pton6(R)), ekey=b"\x22" * 16, akey=b"\x11" * 20,
                       lifetimes=((0, 648, 0, 0), (0, 0, 0, 10))))
    ks.msgs()
    (sav,) = k.key.spihash[(IPPROTO_ESP, 0x1000)]
    assert _ping(lab) == 0
    assert sav.firstused is not None and sav.lft_c.bytes == 108
    lab.run_for(sav.firstused + 10 * SEC - 1 - k.now())
    assert sav.state == SADB_SASTATE_MATURE and ks.msgs() == []
    lab.run_for(1)
    assert sav.state == SADB_SASTATE_DYING
    (m,) = ks.msgs()
    assert m.type == SADB_EXPIRE and SADB_EXT_LIFETIME_SOFT in m.ext
    for _ in range(4):
        assert _ping(lab) == 0                       # a DYING SA still carries packets
    assert sav.state == SADB_SASTATE_DYING and sav.lft_c.bytes == 540
    assert _ping(lab) == 0                           # the sixth packet reaches 648
    assert sav.state == SADB_SASTATE_DEAD
    (m,) = [m for m in ks.msgs() if m.type == SADB_EXPIRE]
    assert m.ext[SADB_EXT_LIFETIME_HARD].sadb_lifetime_bytes == 648
    assert _ping(lab) != 0                           # no SA left: ACQUIRE, dropped
