"""PF_KEY SA messages (kernel/netkey/key.py): GETSPI, UPDATE, ADD, DELETE, GET,
REGISTER, FLUSH, DUMP — the happy path of each and its errors with KAME's
errno in sadb_msg_errno — and key_parse's checks, each counted in pfkeystat."""
from __future__ import annotations

from kernel.netkey.keydb import AH_ALGORITHMS, ESP_ALGORITHMS
from kernel.wire import errno as E
from kernel.wire.in6 import inet_pton6, sockaddr_in6
from kernel.wire.in_ import sockaddr_in
from kernel.wire.pfkeyv2 import (
    SADB_AALG_NONE, SADB_AALG_SHA1HMAC, SADB_ADD, SADB_DELETE, SADB_DUMP,
    SADB_EALG_3DESCBC, SADB_EALG_NULL, SADB_EXPIRE, SADB_EXT_ADDRESS_DST, SADB_EXT_ADDRESS_SRC,
    SADB_EXT_KEY_AUTH, SADB_EXT_KEY_ENCRYPT, SADB_EXT_LIFETIME_CURRENT, SADB_EXT_SA, SADB_EXT_SUPPORTED_AUTH, SADB_EXT_SUPPORTED_ENCRYPT,
    SADB_FLUSH, SADB_GET, SADB_GETSPI, SADB_REGISTER, SADB_SASTATE_LARVAL, SADB_SASTATE_MATURE,
    SADB_SATYPE_AH, SADB_SATYPE_ESP, SADB_SATYPE_RSVP, SADB_UPDATE, SADB_X_AALG_SHA2_256,
    SADB_X_EALG_AESCBC, SADB_X_EALG_AESGCM16, SADB_X_EXT_SA2, SADB_X_SPDDUMP, msg_build,
    sadb_address_build, sadb_sa_build, sadb_spirange_build, sadb_x_sa2_build,
)
from tests.kernel.netkey.keyhost import A, AKEY, B, C, EKEY, add_msg


def _only(msgs):
    assert len(msgs) == 1, msgs
    return msgs[0]


def _getspi(lo=0, hi=0, seq=0, pid=7, src=A, dst=B, satype=SADB_SATYPE_ESP, sa2=None):
    exts = [sadb_address_build(SADB_EXT_ADDRESS_SRC, src),
            sadb_address_build(SADB_EXT_ADDRESS_DST, dst)]
    if hi:
        exts.append(sadb_spirange_build(lo, hi))
    if sa2 is not None:
        exts.append(sadb_x_sa2_build(*sa2))
    return msg_build(SADB_GETSPI, exts, sadb_msg_satype=satype, sadb_msg_seq=seq,
                     sadb_msg_pid=pid)


def _pair(spi, satype=SADB_SATYPE_ESP, mtype=SADB_GET, src=A, dst=B):
    return msg_build(mtype, [sadb_sa_build(spi), sadb_address_build(SADB_EXT_ADDRESS_SRC, src),
                             sadb_address_build(SADB_EXT_ADDRESS_DST, dst)],
                     sadb_msg_satype=satype)


# -- SADB_ADD (RFC 2367 3.1.3) ----------------------------------------------------------------

def test_rfc2367_3_1_3_add_makes_a_mature_sa_and_tells_every_socket_without_the_keys(kh):
    s, other = kh.socket(), kh.socket()
    r = _only(s.request(add_msg(spi=0x1234, seq=5, pid=42)))
    assert (r.type, r.hdr.sadb_msg_errno, r.hdr.sadb_msg_seq, r.hdr.sadb_msg_pid) == (
        SADB_ADD, 0, 5, 42)
    assert SADB_EXT_KEY_AUTH not in r.ext and SADB_EXT_KEY_ENCRYPT not in r.ext
    assert r.order == [SADB_EXT_SA, SADB_X_EXT_SA2, SADB_EXT_ADDRESS_SRC, SADB_EXT_ADDRESS_DST]
    assert [m.type for m in other.msgs()] == [SADB_ADD]
    sav = kh.key.spihash[(50, 0x1234)][0]
    assert sav.state == SADB_SASTATE_MATURE and sav.key_auth == AKEY and sav.key_enc == EKEY
    assert sav.sah.saidx.src == A and sav.sah.saidx.dst == B and sav.replay == 4


def test_add_of_an_spi_in_use_to_the_same_destination_is_eexist(kh):
    s = kh.socket()
    s.request(add_msg(spi=0x1234))
    r = _only(s.request(add_msg(spi=0x1234, src=C)))
    assert r.hdr.sadb_msg_errno == E.EEXIST
    assert kh.key.nsav == 1


def test_add_errors_come_back_in_sadb_msg_errno_and_add_nothing(kh):
    s = kh.socket()
    cases = [
        add_msg(spi=0x1000, ekey=None),                        # ESP without an encryption key
        add_msg(spi=0x1000, satype=SADB_SATYPE_AH, enc=0, ekey=None, akey=None),
        add_msg(spi=200),                                      # RFC 4303 2.1: 1-255 reserved
        add_msg(spi=0x1000, enc=99),                           # unknown cipher
        add_msg(spi=0x1000, ekey=b"x" * 15),                   # AES key of 120 bits
        add_msg(spi=0x1000, akey=b"x" * 19),                   # HMAC-SHA1 key of 152 bits
        add_msg(spi=0x1000, lifetimes=((0, 0, 60, 0), None)),  # HARD without SOFT
        add_msg(spi=0x1000, enc=SADB_X_EALG_AESGCM16, ekey=b"k" * 20),   # GCM with an HMAC
        add_msg(spi=0x1000, satype=SADB_SATYPE_AH, enc=SADB_EALG_3DESCBC, ekey=None),
        add_msg(spi=0x1000, satype=SADB_SATYPE_AH, ekey=b"k" * 24, enc=0),  # AH with a cipher key
    ]
    for m in cases:
        assert _only(s.request(m)).hdr.sadb_msg_errno == E.EINVAL, m.hex()
    assert kh.key.nsav == 0 and kh.key.sahtree == []
    assert kh.key.stat.out_err == len(cases)


def test_add_of_aes_gcm_esp_null_and_ah_sha256(kh):
    s = kh.socket()
    for m in (add_msg(spi=0x2000, enc=SADB_X_EALG_AESGCM16, auth=SADB_AALG_NONE, akey=None,
                      ekey=b"g" * 20),
              add_msg(spi=0x2001, enc=SADB_EALG_NULL, ekey=b""),
              add_msg(spi=0x2002, satype=SADB_SATYPE_AH, auth=SADB_X_AALG_SHA2_256,
                      akey=b"a" * 32, enc=0, ekey=None)):
        assert _only(s.request(m)).hdr.sadb_msg_errno == 0
    assert kh.key.nsav == 3


def test_the_sad_is_bounded_enobufs(kh):
    s = kh.socket()
    kh.key.key_sad_max = 2
    assert [_only(s.request(add_msg(spi=0x3000 + i))).hdr.sadb_msg_errno for i in range(3)] \
        == [0, 0, E.ENOBUFS]
    assert kh.key.keystat.sad_full == 1


# -- SADB_GETSPI and SADB_UPDATE (3.1.1, 3.1.2) ---------------------------------------------------

def test_rfc2367_3_1_1_getspi_makes_a_larval_sa_with_a_random_unique_spi_in_range(kh):
    s, other = kh.socket(), kh.socket()
    spis = []
    for _ in range(3):
        r = _only(s.request(_getspi(0x5000, 0x5002)))
        assert r.type == SADB_GETSPI and r.hdr.sadb_msg_errno == 0
        spis.append(r.ext[SADB_EXT_SA].sadb_sa_spi)
    assert sorted(spis) == [0x5000, 0x5001, 0x5002]
    assert other.msgs() == []                                  # the answer is the sender's
    r = _only(s.request(_getspi(0x5000, 0x5002)))              # the range is used up
    assert r.hdr.sadb_msg_errno == E.EINVAL
    assert {sav.state for sav in kh.key.all_savs()} == {SADB_SASTATE_LARVAL}


def test_getspi_of_one_spi_in_use_is_einval_and_without_range_uses_the_sysctl_range(kh):
    s = kh.socket()
    s.request(add_msg(spi=0x6000))
    assert _only(s.request(_getspi(0x6000, 0x6000))).hdr.sadb_msg_errno == E.EINVAL
    r = _only(s.request(_getspi()))
    spi = r.ext[SADB_EXT_SA].sadb_sa_spi
    assert kh.key.key_spi_minval <= spi <= kh.key.key_spi_maxval


def test_rfc2367_3_1_2_update_completes_the_larval_sa_of_getspi(kh):
    s, other = kh.socket(), kh.socket()
    r = _only(s.request(_getspi(0x7000, 0x7000, pid=7, sa2=(1, 0))))
    seq = r.hdr.sadb_msg_seq
    assert seq != 0
    r = _only(s.request(add_msg(spi=0x7000, mtype=SADB_UPDATE, pid=7, seq=seq, mode=1)))
    assert (r.type, r.hdr.sadb_msg_errno) == (SADB_UPDATE, 0)
    assert SADB_EXT_KEY_AUTH not in r.ext
    assert [m.type for m in other.msgs()] == [SADB_UPDATE]
    sav = kh.key.spihash[(50, 0x7000)][0]
    assert sav.state == SADB_SASTATE_MATURE and sav.key_enc == EKEY


def test_update_errors_keep_the_larval_sa(kh):
    s = kh.socket()
    s.request(_getspi(0x7100, 0x7100, pid=7))
    sav = kh.key.spihash[(50, 0x7100)][0]
    assert _only(s.request(add_msg(spi=0x7100, mtype=SADB_UPDATE, pid=8))).hdr.sadb_msg_errno \
        == E.EINVAL                                            # another process's SA
    assert _only(s.request(add_msg(spi=0x7100, mtype=SADB_UPDATE, pid=7, ekey=b"k" * 5))) \
        .hdr.sadb_msg_errno == E.EINVAL                        # bad key length
    assert _only(s.request(add_msg(spi=0x7101, mtype=SADB_UPDATE, pid=7))) \
        .hdr.sadb_msg_errno == E.ENOENT                        # no such SA
    assert sav.state == SADB_SASTATE_LARVAL and sav.key_enc is None


def test_update_of_a_mature_sa_changes_lifetimes_but_never_keys(kh):
    s = kh.socket()
    s.request(add_msg(spi=0x7200))
    r = _only(s.request(add_msg(spi=0x7200, mtype=SADB_UPDATE, ekey=b"\x33" * 16)))
    assert r.hdr.sadb_msg_errno == E.EINVAL
    r = _only(s.request(add_msg(spi=0x7200, mtype=SADB_UPDATE,
                                lifetimes=((0, 0, 100, 0), (0, 0, 80, 0)))))
    assert r.hdr.sadb_msg_errno == 0
    sav = kh.key.spihash[(50, 0x7200)][0]
    assert (sav.lft_h.addtime, sav.lft_s.addtime, sav.key_enc) == (100, 80, EKEY)


# -- SADB_GET, SADB_DELETE (3.1.4, 3.1.5) -------------------------------------------------------------

def test_rfc2367_3_1_5_get_answers_the_sender_with_the_sa_and_its_keys(kh):
    s, other = kh.socket(), kh.socket()
    s.request(add_msg(spi=0x8000))
    other.msgs()
    r = _only(s.request(_pair(0x8000)))
    assert (r.type, r.hdr.sadb_msg_errno) == (SADB_GET, 0)
    assert r.ext[SADB_EXT_KEY_AUTH].sadb_key_data == AKEY
    assert r.ext[SADB_EXT_KEY_ENCRYPT].sadb_key_data == EKEY
    assert r.ext[SADB_EXT_SA].sadb_sa_state == SADB_SASTATE_MATURE
    assert r.ext[SADB_EXT_LIFETIME_CURRENT].sadb_lifetime_addtime == 1136073600
    assert other.msgs() == []
    assert _only(s.request(_pair(0x8001))).hdr.sadb_msg_errno == E.ENOENT


def test_rfc2367_3_1_4_delete_removes_the_sa_and_tells_everyone(kh):
    s, other = kh.socket(), kh.socket()
    s.request(add_msg(spi=0x8100))
    other.msgs()
    r = _only(s.request(_pair(0x8100, mtype=SADB_DELETE)))
    assert (r.type, r.hdr.sadb_msg_errno) == (SADB_DELETE, 0)
    assert [m.type for m in other.msgs()] == [SADB_DELETE]
    assert kh.key.nsav == 0 and kh.key.spihash == {} and kh.key.sahtree == []
    assert _only(s.request(_pair(0x8100, mtype=SADB_DELETE))).hdr.sadb_msg_errno == E.ENOENT


def test_delete_without_an_sa_extension_removes_every_mature_sa_of_the_pair_not_larval(kh):
    s = kh.socket()
    s.request(add_msg(spi=0x8200))
    s.request(add_msg(spi=0x8201, mode=2, reqid=5))
    s.request(add_msg(spi=0x8202, src=C))
    s.request(_getspi(0x8300, 0x8300))
    m = msg_build(SADB_DELETE, [sadb_address_build(SADB_EXT_ADDRESS_SRC, A),
                                sadb_address_build(SADB_EXT_ADDRESS_DST, B)],
                  sadb_msg_satype=SADB_SATYPE_ESP)
    assert _only(s.request(m)).hdr.sadb_msg_errno == 0
    assert sorted(sav.spi for sav in kh.key.all_savs()) == [0x8202, 0x8300]


# -- SADB_FLUSH, SADB_DUMP (3.1.9, 3.1.10) ------------------------------------------------------------

def test_rfc2367_3_1_10_dump_sends_every_sa_newest_first_with_seq_down_to_zero(kh):
    s = kh.socket()
    for i in range(3):
        s.request(add_msg(spi=0x9000 + i, src=sockaddr_in6(inet_pton6(f"2001:db8::{i + 1}"))))
    other = kh.socket()
    msgs = s.request(msg_build(SADB_DUMP, [], sadb_msg_pid=33))
    assert [(m.type, m.hdr.sadb_msg_seq, m.hdr.sadb_msg_pid) for m in msgs] == [
        (SADB_DUMP, 2, 33), (SADB_DUMP, 1, 33), (SADB_DUMP, 0, 33)]
    assert [m.ext[SADB_EXT_SA].sadb_sa_spi for m in msgs] == [0x9002, 0x9001, 0x9000]
    assert other.msgs() == []


def test_dump_of_an_empty_sad_is_enoent_and_dump_by_satype(kh):
    s = kh.socket()
    assert _only(s.request(msg_build(SADB_DUMP, []))).hdr.sadb_msg_errno == E.ENOENT
    s.request(add_msg(spi=0x9100))
    assert _only(s.request(msg_build(SADB_DUMP, [], sadb_msg_satype=SADB_SATYPE_AH))) \
        .hdr.sadb_msg_errno == E.ENOENT
    assert len(s.request(msg_build(SADB_DUMP, [], sadb_msg_satype=SADB_SATYPE_ESP))) == 1


def test_rfc2367_3_1_9_flush_by_satype_and_all(kh):
    s, other = kh.socket(), kh.socket()
    s.request(add_msg(spi=0x9200))
    s.request(add_msg(spi=0x9201, satype=SADB_SATYPE_AH, enc=0, ekey=None))
    other.msgs()
    r = _only(s.request(msg_build(SADB_FLUSH, [], sadb_msg_satype=SADB_SATYPE_AH)))
    assert (r.type, r.hdr.sadb_msg_errno, len(r.order)) == (SADB_FLUSH, 0, 0)
    assert [sav.spi for sav in kh.key.all_savs()] == [0x9200]
    s.request(msg_build(SADB_FLUSH, []))
    assert kh.key.nsav == 0
    assert [m.type for m in other.msgs()] == [SADB_FLUSH, SADB_FLUSH]


# -- SADB_REGISTER (3.1.7) ----------------------------------------------------------------------------

def test_rfc2367_3_1_7_register_answers_with_the_supported_algorithms(kh):
    s = kh.socket()
    r = _only(s.request(msg_build(SADB_REGISTER, [], sadb_msg_satype=SADB_SATYPE_ESP)))
    auth = {a.sadb_alg_id: (a.sadb_alg_minbits, a.sadb_alg_maxbits)
            for a in r.ext[SADB_EXT_SUPPORTED_AUTH].sadb_supported_algs}
    enc = {a.sadb_alg_id: (a.sadb_alg_ivlen, a.sadb_alg_minbits, a.sadb_alg_maxbits)
           for a in r.ext[SADB_EXT_SUPPORTED_ENCRYPT].sadb_supported_algs}
    assert auth[SADB_AALG_SHA1HMAC] == (160, 160) and set(auth) == set(AH_ALGORITHMS)
    assert enc[SADB_X_EALG_AESCBC] == (16, 128, 256) and set(enc) == set(ESP_ALGORITHMS)
    assert s.so.so_pcb.kp_registered == 1 and s.so in kh.key.regtree[SADB_SATYPE_ESP]
    assert _only(s.request(msg_build(SADB_REGISTER, [], sadb_msg_satype=SADB_SATYPE_ESP))) \
        .hdr.sadb_msg_errno == E.EEXIST
    s.close()
    assert kh.key.regtree[SADB_SATYPE_ESP] == []


# -- key_parse -----------------------------------------------------------------------------------------

def test_key_parse_version_and_type_errors_are_answered_and_counted(kh):
    s = kh.socket()
    bad = bytearray(add_msg())
    bad[0] = 1
    assert _only(s.request(bytes(bad))).hdr.sadb_msg_errno == E.EINVAL
    assert kh.key.stat.out_invver == 1
    assert _only(s.request(msg_build(99, []))).hdr.sadb_msg_errno == E.EINVAL
    assert _only(s.request(msg_build(SADB_EXPIRE, [], sadb_msg_satype=3))).hdr.sadb_msg_errno \
        == E.EINVAL                                            # only the kernel sends EXPIRE
    assert kh.key.stat.out_invmsgtype == 2


def test_key_align_errors_fail_the_write_without_an_answer(kh):
    s = kh.socket()
    sa = sadb_sa_build(0x1000)
    dup = msg_build(SADB_ADD, [sa, sa], sadb_msg_satype=3)
    unknown = msg_build(SADB_ADD, [sa[:2] + (99).to_bytes(2, "little") + sa[4:]],
                        sadb_msg_satype=3)
    badlen = msg_build(SADB_ADD, [sa[:0] + (3).to_bytes(2, "little") + sa[2:] + bytes(8)],
                       sadb_msg_satype=3)
    for m, counter in ((dup, "out_dupext"), (unknown, "out_invexttype"), (badlen, "out_invlen")):
        assert s.send(m) == E.EINVAL
        assert s.msgs() == []
        assert getattr(kh.key.stat, counter) == 1, counter
    assert s.send(b"\x02\x03") == E.EINVAL and kh.key.stat.out_tooshort == 1
    assert s.send(add_msg() + bytes(8)) == E.EINVAL and kh.key.stat.out_invlen == 2


def test_key_parse_satype_rules(kh):
    s = kh.socket()
    assert _only(s.request(add_msg(satype=0))).hdr.sadb_msg_errno == E.EINVAL
    assert _only(s.request(msg_build(SADB_X_SPDDUMP, [], sadb_msg_satype=3))) \
        .hdr.sadb_msg_errno == E.EINVAL
    assert _only(s.request(add_msg(satype=SADB_SATYPE_RSVP))).hdr.sadb_msg_errno == E.EOPNOTSUPP
    assert _only(s.request(add_msg(satype=200))).hdr.sadb_msg_errno == E.EINVAL
    assert kh.key.stat.out_invsatype == 4


def test_key_parse_address_pair_rules(kh):
    s = kh.socket()
    v4 = sockaddr_in(bytes((192, 0, 2, 1)))
    mism = add_msg(src=v4)                                      # IPv4 to IPv6
    proto = msg_build(SADB_ADD, [sadb_sa_build(0x1000),
                                 sadb_address_build(SADB_EXT_ADDRESS_SRC, A, proto=6),
                                 sadb_address_build(SADB_EXT_ADDRESS_DST, B, proto=17)],
                      sadb_msg_satype=3)
    plen = msg_build(SADB_ADD, [sadb_sa_build(0x1000),
                                sadb_address_build(SADB_EXT_ADDRESS_SRC, v4, 33),
                                sadb_address_build(SADB_EXT_ADDRESS_DST, v4)],
                     sadb_msg_satype=3)
    for m in (mism, proto, plen):
        assert _only(s.request(m)).hdr.sadb_msg_errno == E.EINVAL
    # a family PF_KEY does not carry
    raw = bytearray(add_msg())
    i = raw.index(bytes((28, 28)))
    raw[i + 1] = 99
    assert _only(s.request(bytes(raw))).hdr.sadb_msg_errno == E.EAFNOSUPPORT
    assert kh.key.stat.out_invaddr == 4


def test_ipv4_sas_are_kept_too(kh):
    s = kh.socket()
    a4, b4 = sockaddr_in(bytes((192, 0, 2, 1))), sockaddr_in(bytes((192, 0, 2, 2)))
    assert _only(s.request(add_msg(spi=0xA000, src=a4, dst=b4))).hdr.sadb_msg_errno == 0
    r = _only(s.request(_pair(0xA000, src=a4, dst=b4)))
    assert r.ext[SADB_EXT_ADDRESS_DST].sadb_address_addr == b4


def test_an_ordinary_user_reads_without_keys_and_cannot_change_anything(kh):
    root, user = kh.socket(), kh.socket(uid=1000)
    root.request(add_msg(spi=0xB000))
    user.msgs()
    r = _only(user.request(add_msg(spi=0xB001)))
    assert r.hdr.sadb_msg_errno == E.EPERM and kh.key.stat.out_perm == 1
    for m in (_pair(0xB000, mtype=SADB_DELETE), msg_build(SADB_FLUSH, []),
              msg_build(SADB_REGISTER, [], sadb_msg_satype=3)):
        assert _only(user.request(m)).hdr.sadb_msg_errno == E.EPERM
    r = _only(user.request(_pair(0xB000)))
    assert r.hdr.sadb_msg_errno == 0 and SADB_EXT_KEY_AUTH not in r.ext
    assert SADB_EXT_KEY_ENCRYPT not in r.ext and SADB_EXT_LIFETIME_CURRENT in r.ext
    d = _only(user.request(msg_build(SADB_DUMP, [])))
    assert SADB_EXT_KEY_AUTH not in d.ext
    # asking what the kernel supports registers nothing and is allowed
    assert _only(user.request(msg_build(SADB_REGISTER, []))).hdr.sadb_msg_errno == 0
    assert kh.key.nsav == 1
