"""Fuzzing key_parse: random bytes, truncated and mutated messages never raise
out of the kernel; each write is counted (out_total) and either fails with
EINVAL and one of keysock's/key_align's counters, or is answered."""
from __future__ import annotations

import random

from kernel.wire import errno as E
from kernel.wire.pfkeyv2 import (
    IPPROTO_ESP, IPSEC_DIR_OUTBOUND, IPSEC_LEVEL_REQUIRE, IPSEC_MODE_TUNNEL, IPSEC_POLICY_IPSEC,
    SADB_ACQUIRE, SADB_DUMP, SADB_EXT_ADDRESS_DST, SADB_EXT_ADDRESS_SRC, SADB_EXT_IDENTITY_SRC,
    SADB_EXT_SENSITIVITY, SADB_GETSPI, SADB_REGISTER, SADB_X_EXT_KMPRIVATE,
    SADB_X_MIGRATE, SADB_X_SPDDUMP, ext_build, ipsecrequest, msg_build, sadb_address_build,
    sadb_ident_build, sadb_prop_build, sadb_x_policy_build,
)
from tests.kernel.netkey.keyhost import A, B, C, SEC, add_msg, spd_msg

SEND_COUNTERS = ("out_tooshort", "out_invlen", "out_invexttype", "out_dupext")


def _corpus() -> list[bytes]:
    tun = ipsecrequest(IPPROTO_ESP, IPSEC_MODE_TUNNEL, IPSEC_LEVEL_REQUIRE, 0, A, B)
    return [
        add_msg(spi=0x1000),
        add_msg(spi=0x1001, lifetimes=((0, 0, 5, 0), (0, 0, 3, 0))),
        msg_build(SADB_GETSPI, [sadb_address_build(SADB_EXT_ADDRESS_SRC, A),
                                sadb_address_build(SADB_EXT_ADDRESS_DST, B)], sadb_msg_satype=3),
        spd_msg(requests=(tun,)),
        msg_build(SADB_X_MIGRATE, [sadb_address_build(SADB_EXT_ADDRESS_SRC, A),
                                   sadb_address_build(SADB_EXT_ADDRESS_DST, B),
                                   sadb_x_policy_build(IPSEC_POLICY_IPSEC, IPSEC_DIR_OUTBOUND,
                                                       0, [tun, dict(tun,
                                                           sadb_x_ipsecrequest_src=C)])]),
        msg_build(SADB_ACQUIRE, [sadb_address_build(SADB_EXT_ADDRESS_SRC, A),
                                 sadb_address_build(SADB_EXT_ADDRESS_DST, C),
                                 sadb_prop_build(4, [dict(sadb_comb_encrypt=12)]),
                                 sadb_ident_build(SADB_EXT_IDENTITY_SRC, 2, b"a.example"),
                                 ext_build(SADB_EXT_SENSITIVITY, sadb_sens_bitmap=[1],
                                           sadb_integ_bitmap=[]),
                                 ext_build(SADB_X_EXT_KMPRIVATE, sadb_x_kmprivate_data=bytes(8))],
                  sadb_msg_satype=3),
        msg_build(SADB_REGISTER, [], sadb_msg_satype=3),
        msg_build(SADB_DUMP, []),
        msg_build(SADB_X_SPDDUMP, []),
    ]


def _mutations(rng: random.Random, corpus: list[bytes], n: int):
    for i in range(n):
        kind = i % 4
        base = bytearray(rng.choice(corpus))
        if kind == 0:                                   # random bytes
            yield bytes(rng.getrandbits(8) for _ in range(rng.randrange(0, 160)))
        elif kind == 1:                                 # flipped bytes
            for _ in range(rng.randrange(1, 6)):
                base[rng.randrange(len(base))] = rng.getrandbits(8)
            yield bytes(base)
        elif kind == 2:                                 # truncated, length field fixed up
            cut = rng.randrange(16, len(base) + 1) & ~7 or 16
            m = bytearray(base[:cut])
            m[4:6] = (cut // 8).to_bytes(2, "little")
            yield bytes(m)
        else:                                           # truncated as is
            yield bytes(base[:rng.randrange(0, len(base))])


def test_random_truncated_and_mutated_messages_never_raise_and_are_counted(kh):
    rng = random.Random(2367)
    s, watcher = kh.socket(), kh.socket()
    watcher.request(msg_build(11, [], sadb_msg_satype=1))       # a promiscuous socket too
    stat = kh.key.stat
    n = 1200
    for i, m in enumerate(_mutations(rng, _corpus(), n)):
        before = {c: getattr(stat, c) for c in SEND_COUNTERS}
        total = stat.out_total
        err = s.send(m)
        assert stat.out_total == total + 1
        if err:
            assert err == E.EINVAL, m.hex()
            bumped = [c for c in SEND_COUNTERS if getattr(stat, c) != before[c]]
            assert len(bumped) == 1, (m.hex(), bumped)
        else:
            replies = s.recv_all()
            assert replies or m[1] == SADB_ACQUIRE, m.hex()
        watcher.recv_all()
        if i % 100 == 0:
            kh.run_for(2 * SEC)                         # let lifetimes fire meanwhile
    assert stat.out_total == n + 1
    kh.run_for(60 * SEC)
    assert kh.machine.panicked is None


def test_every_message_of_the_corpus_is_valid_to_start_with(kh):
    s = kh.socket()
    for m in _corpus():
        assert s.send(m) == 0
    assert kh.key.stat.out_invlen == kh.key.stat.out_invexttype == 0
