"""PF_KEY v2 formats (kernel/wire/pfkeyv2.py, RFC 2367 2.2-2.3 and KAME's
extensions): for each the four smoltcp-style tests over a byte vector written
from the layout by hand — deconstruct (parse the bytes, check the fields),
construct (build the fields, compare the bytes), parse and emit of whole
messages — and the malformed cases, each a PFKeyError (ValueError) naming
its pfkeystat counter."""
from __future__ import annotations

import random

import pytest

from kernel.wire.in6 import inet_pton6, sockaddr_in6
from kernel.wire.in_ import sockaddr_in
from kernel.wire.pfkeyv2 import (
    EXT_FORMATS, IPPROTO_AH, IPPROTO_ESP, IPSEC_DIR_OUTBOUND, IPSEC_LEVEL_REQUIRE,
    IPSEC_LEVEL_UNIQUE, IPSEC_MODE_TRANSPORT, IPSEC_MODE_TUNNEL, IPSEC_POLICY_IPSEC, PFKeyBadExtType,
    PFKeyBadLength, PFKeyBadVersion, PFKeyDupExt, PFKeyError, PFKeyTooShort, SADB_ADD,
    SADB_EXT_ADDRESS_DST, SADB_EXT_ADDRESS_SRC, SADB_EXT_IDENTITY_SRC, SADB_EXT_KEY_AUTH,
    SADB_EXT_LIFETIME_HARD, SADB_EXT_PROPOSAL, SADB_EXT_SA, SADB_EXT_SENSITIVITY,
    SADB_EXT_SPIRANGE, SADB_EXT_SUPPORTED_AUTH, SADB_X_EXT_KMPRIVATE, SADB_X_EXT_NAT_T_FRAG,
    SADB_X_EXT_NAT_T_SPORT, SADB_X_EXT_NAT_T_TYPE, SADB_X_EXT_POLICY, SADB_X_EXT_SA2,
    SADB_X_MIGRATE, ext_build, ext_parse, ipsecrequest, msg_build, msg_parse, sadb_msg,
    sockaddr_other,
)

H = bytes.fromhex

LL1 = sockaddr_in6(inet_pton6("fe80::1"), 500, 0, 1)
V4 = sockaddr_in(bytes((192, 0, 2, 1)))
T1 = sockaddr_in6(inet_pton6("2001:db8::1"))
T2 = sockaddr_in6(inet_pton6("2001:db8::2"))

SIN6_T1 = "1c1c0000 00000000 20010db8000000000000000000000001 00000000"
SIN6_T2 = "1c1c0000 00000000 20010db8000000000000000000000002 00000000"

COMB = dict(sadb_comb_auth=3, sadb_comb_encrypt=12, sadb_comb_flags=0,
            sadb_comb_auth_minbits=160, sadb_comb_auth_maxbits=160,
            sadb_comb_encrypt_minbits=128, sadb_comb_encrypt_maxbits=256,
            sadb_comb_reserved=0, sadb_comb_soft_allocations=1, sadb_comb_hard_allocations=2,
            sadb_comb_soft_bytes=0, sadb_comb_hard_bytes=0, sadb_comb_soft_addtime=69120,
            sadb_comb_hard_addtime=86400, sadb_comb_soft_usetime=0,
            sadb_comb_hard_usetime=28800)

# (extension type, the bytes, the fields) — the bytes written from the layouts
VECTORS = [
    (SADB_EXT_SA, "0200 0100 00001234 04 01 03 0c 40000000",
     dict(sadb_sa_spi=0x1234, sadb_sa_replay=4, sadb_sa_state=1, sadb_sa_auth=3,
          sadb_sa_encrypt=12, sadb_sa_flags=0x40)),
    (SADB_EXT_LIFETIME_HARD, "0400 0300 05000000 e803000000000000 100e000000000000 "
                             "3c00000000000000",
     dict(sadb_lifetime_allocations=5, sadb_lifetime_bytes=1000, sadb_lifetime_addtime=3600,
          sadb_lifetime_usetime=60)),
    (SADB_EXT_ADDRESS_SRC, "0500 0500 11 80 0000 1c1c01f4 00000000 "
                           "fe800000000000000000000000000001 00000001 00000000",
     dict(sadb_address_proto=17, sadb_address_prefixlen=128, sadb_address_reserved=0,
          sadb_address_addr=LL1)),
    (SADB_EXT_ADDRESS_DST, "0300 0600 ff 20 0000 10020000 c0000201 0000000000000000",
     dict(sadb_address_proto=255, sadb_address_prefixlen=32, sadb_address_reserved=0,
          sadb_address_addr=V4)),
    (SADB_EXT_KEY_AUTH, "0400 0800 a000 0000" + "11" * 20 + "00000000",
     dict(sadb_key_bits=160, sadb_key_reserved=0, sadb_key_data=b"\x11" * 20)),
    (SADB_EXT_IDENTITY_SRC, "0400 0a00 0200 0000 0000000000000000 612e6578616d706c6500 "
                            "000000000000",
     dict(sadb_ident_type=2, sadb_ident_reserved=0, sadb_ident_id=0,
          sadb_ident_string=b"a.example" + bytes(7))),
    (SADB_EXT_SENSITIVITY, "0300 0c00 01000000 02 01 00 00 00000000 ff00000000000000",
     dict(sadb_sens_dpd=1, sadb_sens_sens_level=2, sadb_sens_sens_len=1,
          sadb_sens_integ_level=0, sadb_sens_integ_len=0, sadb_sens_reserved=0,
          sadb_sens_bitmap=[0xFF], sadb_integ_bitmap=[])),
    (SADB_EXT_PROPOSAL, "0a00 0d00 20 000000 03 0c 0000 a000 a000 8000 0001 00000000 01000000 "
                        "02000000 0000000000000000 0000000000000000 000e010000000000 "
                        "8051010000000000 0000000000000000 8070000000000000",
     dict(sadb_prop_replay=32, sadb_prop_reserved=bytes(3), sadb_prop_combs=[COMB])),
    (SADB_EXT_SUPPORTED_AUTH, "0300 0e00 00000000 03 00 a000 a000 0000 0c 10 8000 0001 0000",
     dict(sadb_supported_reserved=0, sadb_supported_algs=[
         dict(sadb_alg_id=3, sadb_alg_ivlen=0, sadb_alg_minbits=160, sadb_alg_maxbits=160,
              sadb_alg_reserved=0),
         dict(sadb_alg_id=12, sadb_alg_ivlen=16, sadb_alg_minbits=128, sadb_alg_maxbits=256,
              sadb_alg_reserved=0)])),
    (SADB_EXT_SPIRANGE, "0200 1000 00010000 ffffff0f 00000000",
     dict(sadb_spirange_min=0x100, sadb_spirange_max=0x0FFFFFFF, sadb_spirange_reserved=0)),
    (SADB_X_EXT_KMPRIVATE, "0200 1100 00000000 0102030405060708",
     dict(sadb_x_kmprivate_reserved=0, sadb_x_kmprivate_data=H("0102030405060708"))),
    (SADB_X_EXT_POLICY, "0b00 1200 0200 02 00 05000000 00000000 "
                        "4000 3200 02 03 0700 " + SIN6_T1 + SIN6_T2 + " 0800 3300 01 02 0000",
     dict(sadb_x_policy_type=2, sadb_x_policy_dir=2, sadb_x_policy_reserved=0,
          sadb_x_policy_id=5, sadb_x_policy_reserved2=0, sadb_x_policy_requests=[
              ipsecrequest(IPPROTO_ESP, IPSEC_MODE_TUNNEL, IPSEC_LEVEL_UNIQUE, 7, T1, T2),
              ipsecrequest(IPPROTO_AH, IPSEC_MODE_TRANSPORT, IPSEC_LEVEL_REQUIRE)])),
    (SADB_X_EXT_SA2, "0200 1300 02 00 0000 10000000 07000000",
     dict(sadb_x_sa2_mode=2, sadb_x_sa2_reserved1=0, sadb_x_sa2_reserved2=0,
          sadb_x_sa2_sequence=0x10, sadb_x_sa2_reqid=7)),
    (SADB_X_EXT_NAT_T_TYPE, "0100 1400 02 000000",
     dict(sadb_x_nat_t_type_type=2, sadb_x_nat_t_type_reserved=bytes(3))),
    (SADB_X_EXT_NAT_T_SPORT, "0100 1500 1194 0000",
     dict(sadb_x_nat_t_port_port=4500, sadb_x_nat_t_port_reserved=0)),
    (SADB_X_EXT_NAT_T_FRAG, "0100 1900 b004 0000",
     dict(sadb_x_nat_t_frag_fraglen=1200, sadb_x_nat_t_frag_reserved=0)),
]
IDS = [EXT_FORMATS[t].subcons[0].name.rsplit("_", 1)[0] + f"_{t}" for t, _h, _f in VECTORS]


def _plain(v):
    """Parsed values as dicts and lists, for comparing with the fields."""
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items() if not k.startswith("_")}
    if isinstance(v, list):
        return [_plain(x) for x in v]
    return v


def _covers(got, want) -> bool:
    """``got`` has every field of ``want`` with its value (and may have more:
    the length fields the builder computes)."""
    if isinstance(want, dict):
        return all(k in got and _covers(got[k], w) for k, w in want.items())
    if isinstance(want, list):
        return len(got) == len(want) and all(_covers(g, w) for g, w in zip(got, want))
    return got == want


@pytest.mark.parametrize("exttype,hexbytes,fields", VECTORS, ids=IDS)
def test_deconstruct(exttype, hexbytes, fields):
    ext = ext_parse(exttype, H(hexbytes))
    got = _plain(ext)
    for k, v in fields.items():
        assert _covers(got[k], _plain(v)), k
    assert got[EXT_FORMATS[exttype].subcons[0].name] * 8 == len(H(hexbytes))


@pytest.mark.parametrize("exttype,hexbytes,fields", VECTORS, ids=IDS)
def test_construct(exttype, hexbytes, fields):
    assert ext_build(exttype, **fields) == H(hexbytes)


MSG = ("02030003 0b000000 2a000000 39300000"             # ADD, ESP, len 11, seq 42, pid 12345
       "0200 0100 00001234 04 01 03 0c 00000000"
       "0300 0600 ff 20 0000 10020000 c0000201 0000000000000000"
       "0400 0800 a000 0000" + "11" * 20 + "00000000")


def test_parse_message():
    m = msg_parse(H(MSG))
    assert (m.hdr.sadb_msg_version, m.type, m.satype, m.hdr.sadb_msg_len, m.hdr.sadb_msg_seq,
            m.hdr.sadb_msg_pid) == (2, SADB_ADD, 3, 11, 42, 12345)
    assert m.order == [SADB_EXT_SA, SADB_EXT_ADDRESS_DST, SADB_EXT_KEY_AUTH]
    assert m.ext[SADB_EXT_SA].sadb_sa_spi == 0x1234
    assert m.ext[SADB_EXT_ADDRESS_DST].sadb_address_addr == V4
    assert m.raw[SADB_EXT_KEY_AUTH] == H(MSG)[56:88]


def test_emit_message():
    m = msg_parse(H(MSG))
    assert m.emit() == H(MSG)
    exts = [ext_build(SADB_EXT_SA, sadb_sa_spi=0x1234, sadb_sa_replay=4, sadb_sa_state=1,
                      sadb_sa_auth=3, sadb_sa_encrypt=12),
            ext_build(SADB_EXT_ADDRESS_DST, sadb_address_prefixlen=32, sadb_address_addr=V4),
            ext_build(SADB_EXT_KEY_AUTH, sadb_key_data=b"\x11" * 20)]
    assert msg_build(SADB_ADD, exts, sadb_msg_satype=3, sadb_msg_seq=42,
                     sadb_msg_pid=12345) == H(MSG)
    assert sadb_msg.build(dict(sadb_msg_type=SADB_ADD)) == H("02030000 02000000 00000000 00000000")


def test_migrate_layout_selector_then_old_and_new_endpoint_pairs():
    """docs/pfkey.md: base, ADDRESS_SRC/DST (the selector), X_POLICY whose requests
    are old/new pairs."""
    new = sockaddr_in6(inet_pton6("2001:db8::3"))
    m = msg_build(SADB_X_MIGRATE, [
        ext_build(SADB_EXT_ADDRESS_SRC, sadb_address_prefixlen=64, sadb_address_addr=T1),
        ext_build(SADB_EXT_ADDRESS_DST, sadb_address_prefixlen=64, sadb_address_addr=T2),
        ext_build(SADB_X_EXT_POLICY, sadb_x_policy_type=IPSEC_POLICY_IPSEC,
                  sadb_x_policy_dir=IPSEC_DIR_OUTBOUND, sadb_x_policy_requests=[
                      ipsecrequest(IPPROTO_ESP, IPSEC_MODE_TUNNEL, IPSEC_LEVEL_REQUIRE, 0, T1, T2),
                      ipsecrequest(IPPROTO_ESP, IPSEC_MODE_TUNNEL, IPSEC_LEVEL_REQUIRE, 0, new, T2)
                  ])], sadb_msg_satype=3)
    assert m[:8] == H("02180003 1e000000")          # type 24, len 30 words = 240 bytes
    assert len(m) == 16 + 40 + 40 + 16 + 64 + 64
    p = msg_parse(m)
    reqs = p.ext[SADB_X_EXT_POLICY].sadb_x_policy_requests
    assert [r.sadb_x_ipsecrequest_src for r in reqs] == [T1, new]


# -- malformed --------------------------------------------------------------------------------

def _with_len(b: bytes) -> bytes:
    b = bytearray(b)
    b[4:6] = (len(b) // 8).to_bytes(2, "little")
    return bytes(b)


@pytest.mark.parametrize("data,exc", [
    (H("0203000a"), PFKeyTooShort),
    (H(MSG)[:-8], PFKeyBadLength),                                  # sadb_msg_len says more
    (_with_len(H(MSG)[:-8]), PFKeyBadLength),                       # the key extension overruns
    (H("0103000a 02000000 00000000 00000000"), PFKeyBadVersion),
    (_with_len(H(MSG)[:16] + H("0100 6300 00000000")), PFKeyBadExtType),     # type 99
    (_with_len(H(MSG)[:32] + H(MSG)[16:32]), PFKeyDupExt),
    (_with_len(H(MSG)[:16] + H("0000 0100 00000000")), PFKeyBadLength),      # length 0
    (_with_len(H(MSG)[:16] + H("0300 0100 00001234 04010300 00000000 00000000")),
     PFKeyBadLength),                                               # SA of 24 bytes
    (_with_len(H(MSG)[:16] + H("0300 0500 ff 80 0000") + H(SIN6_T1)[:16]), PFKeyBadLength),
    (_with_len(H(MSG)[:16] + H("0600 0500 ff 80 0000") + H(SIN6_T1) + bytes(12)),
     PFKeyBadLength),                                               # padding past 8 bytes
    (_with_len(H(MSG)[:16] + H("0200 0800 a000 0000 11223344 55667788")), PFKeyBadLength),
    (_with_len(H(MSG)[:16] + H("0300 1200 0200 02 00 00000000 00000000 0c00 3200 0103 0000")
               ), PFKeyBadLength),                                  # request len 12
    (_with_len(H(MSG)[:16] + H("0300 1200 0200 02 00 00000000 00000000 1000 3200 0103 0000")
               ), PFKeyBadLength),                                  # request overruns policy
    (_with_len(H(MSG)[:16] + H("0300 0d00 00 000000") + bytes(16)), PFKeyBadLength),  # half comb
], ids=["short", "len-field", "ext-overrun", "version", "ext-type", "dup", "ext-len-0",
        "sa-size", "sockaddr-cut", "address-padding", "key-bits", "isr-align", "isr-overrun",
        "comb"])
def test_malformed_messages_raise_the_pfkey_error_that_names_the_counter(data, exc):
    with pytest.raises(exc) as ei:
        msg_parse(data)
    assert isinstance(ei.value, ValueError)
    assert ei.value.counter.startswith("out_")


def test_a_sockaddr_of_another_family_parses_as_sockaddr_other():
    raw = H("0300 0500 ff 00 0000 10070000 00000000 00000000 00000000")    # family 7, len 16
    a = ext_parse(SADB_EXT_ADDRESS_SRC, raw).sadb_address_addr
    assert a == sockaddr_other(16, 7, bytes(14))
    assert ext_build(SADB_EXT_ADDRESS_SRC, sadb_address_proto=255, sadb_address_prefixlen=0,
                     sadb_address_addr=a) == raw


def test_building_with_a_missing_field_is_a_valueerror():
    with pytest.raises(ValueError):
        ext_build(SADB_EXT_SA)
    with pytest.raises(PFKeyBadExtType):
        ext_build(99)


def test_random_bytes_only_ever_raise_pfkeyerror():
    rng = random.Random(2367)
    seeds = [H(MSG)] + [H(h) for _t, h, _f in VECTORS]
    for i in range(3000):
        if i % 2:
            data = bytes(rng.getrandbits(8) for _ in range(rng.randrange(0, 96)))
        else:
            data = bytearray(rng.choice(seeds))
            for _ in range(rng.randrange(1, 4)):
                data[rng.randrange(len(data))] = rng.getrandbits(8)
            data = bytes(data)
        try:
            msg_parse(data)
        except PFKeyError:
            pass
        for t in (SADB_X_EXT_POLICY, SADB_EXT_ADDRESS_SRC, SADB_EXT_PROPOSAL):
            try:
                ext_parse(t, data)
            except PFKeyError:
                pass
