"""setkey lifetimes (ipsec-tools' ``-lh``/``-ls`` seconds, ``-bh``/``-bs`` bytes):
what ``setkey -D`` shows of them, and the SADB_EXPIRE messages the kernel sends
when the ESP data path uses them up (RFC 2367 2.3.2, 3.1.8).

Two hosts of tests/kernel/netipsec/ipsec_lab keyed in transport mode; a small
key manager (``expwatch``) registers for ESP and prints each SADB_EXPIRE it
hears, as racoon would receive them.
"""
from __future__ import annotations

import re

from emu.sched import SEC
from kernel.wire.pfkeyv2 import (SADB_EXPIRE, SADB_EXT_LIFETIME_CURRENT, SADB_EXT_LIFETIME_HARD,
                                 SADB_EXT_LIFETIME_SOFT, SADB_EXT_SA, SADB_REGISTER,
                                 SADB_SATYPE_ESP, msg_build)
from tests.kernel.netipsec.ipsec_lab import L, R, esp_script, ok, setkey
from tests.userland.netlab import pair, up
from userland import libc
from userland.libipsec import pfkey_open, pfkey_recv

EK = "0x" + "22" * 16
AK = "0x" + "11" * 20


def _expwatch(argv: list[str]) -> int:
    """``expwatch SPI``: register for ESP, print each SADB_EXPIRE, exit after
    the hard one of SA ``SPI``."""
    want = int(argv[1], 0)
    so = pfkey_open()
    libc.send(so, msg_build(SADB_REGISTER, sadb_msg_satype=SADB_SATYPE_ESP,
                            sadb_msg_pid=libc.getpid()))
    while True:
        m = pfkey_recv(so)
        if m is None or m.hdr.sadb_msg_type != SADB_EXPIRE:
            continue
        kind = "hard" if SADB_EXT_LIFETIME_HARD in m.ext else \
            "soft" if SADB_EXT_LIFETIME_SOFT in m.ext else "?"
        lim = m.ext.get(SADB_EXT_LIFETIME_HARD) or m.ext.get(SADB_EXT_LIFETIME_SOFT)
        cur = m.ext[SADB_EXT_LIFETIME_CURRENT]
        libc.printf("EXPIRE %s spi=0x%x bytes=%d limit=%d addtime=%d\n", kind,
                    m.ext[SADB_EXT_SA].sadb_sa_spi, cur.sadb_lifetime_bytes,
                    lim.sadb_lifetime_bytes, lim.sadb_lifetime_addtime)
        if kind == "hard" and m.ext[SADB_EXT_SA].sadb_sa_spi == want:
            return 0


def _lab(extra: str):
    lab = pair(programs={"/usr/bin/expwatch": _expwatch})
    up(lab, "left", L)
    up(lab, "right", R)
    setkey(lab, "left", esp_script(L, R, "aes-cbc", EK, "hmac-sha1", AK, extra=extra))
    setkey(lab, "right", esp_script(R, L, "aes-cbc", EK, "hmac-sha1", AK))
    return lab


def _sa_block(dump: str, spi: int) -> str:
    for block in re.split(r"\n(?=\S)", dump):
        if f"spi={spi}(" in block:
            return block
    return ""


def test_setkey_D_prints_the_lifetimes_as_ipsec_tools():
    """ipsec-tools' pfkey_sadump: ``diff:``/``hard:``/``soft:`` seconds since
    added, ``current:`` bytes with the hard and soft byte limits."""
    lab = _lab("-m transport -lh 3600 -ls 3000 -bh 100000 -bs 80000")
    lab.run_for(7 * SEC)
    out = _sa_block(ok(lab, "left", "setkey -D"), 0x1000)
    assert "\tcreated: Jan  1 00:00:06 2006\tcurrent: Jan  1 00:00:13 2006\n" in out
    assert "\tdiff: 7(s)\thard: 3600(s)\tsoft: 3000(s)\n" in out
    assert "\tlast:                     \thard: 0(s)\tsoft: 0(s)\n" in out
    assert "\tcurrent: 0(bytes)\thard: 100000(bytes)\tsoft: 80000(bytes)\n" in out
    assert "\tallocated: 0\thard: 0\tsoft: 0\n" in out
    ok(lab, "left", f"ping6 -c 2 {R}")
    out = _sa_block(ok(lab, "left", "setkey -D"), 0x1000)
    m = re.search(r"\tcurrent: (\d+)\(bytes\)\thard: 100000\(bytes\)", out)
    assert m and int(m.group(1)) > 2 * 100 and "\tallocated: 2\t" in out
    assert "\tlast: Jan  1 00:00:" in out


def test_rfc2367_3_1_8_byte_lifetimes_expire_soft_then_hard_from_the_data_path():
    """Soft byte limit: the SA goes DYING and an SADB_EXPIRE with the SOFT
    lifetime reaches the registered key manager; hard: an EXPIRE with the HARD
    lifetime and the SA is gone, so the policy (require) stops the traffic."""
    lab = _lab("-m transport -bs 300 -bh 600")
    job = lab.start_command("left", "expwatch 0x1000")
    lab.run_for(SEC // 10)
    # 0x1000 carries the requests (about 100 bytes each), 0x2000 the replies
    status, out = lab.run_command("left", f"ping6 -c 3 {R}")
    assert status == 0
    dump = _sa_block(ok(lab, "left", "setkey -D"), 0x1000)
    assert "state=dying" in dump
    for _ in range(10):
        st, out = lab.run_command("left", f"ping6 -c 1 {R}")
        if st != 0:
            break
    assert st == 2                                   # the SA died: nothing to send with
    assert lab.wait(job, 5 * SEC) == 0
    lines = [ln for ln in job.output.splitlines() if "spi=0x1000" in ln]
    assert [ln.split()[1] for ln in lines] == ["soft", "hard"]
    soft, hard = (dict(kv.split("=") for kv in ln.split()[2:]) for ln in lines)
    assert soft["limit"] == "300" and 300 <= int(soft["bytes"]) < 600
    assert hard["limit"] == "600" and int(hard["bytes"]) >= 600
    assert _sa_block(ok(lab, "left", "setkey -D"), 0x1000) == ""
    k = lab.machines["left"].kernel
    assert k.key.keystat.expire_soft >= 1 and k.key.keystat.expire_hard >= 1


def test_time_lifetimes_expire_on_the_virtual_clock():
    """-ls 5 -lh 10: DYING at 5 s, gone at 10 s after the ADD."""
    lab = _lab("-m transport -ls 5 -lh 10")
    lab.run_for(3 * SEC)
    assert "state=mature" in _sa_block(ok(lab, "left", "setkey -D"), 0x1000)
    lab.run_for(3 * SEC)
    assert "state=dying" in _sa_block(ok(lab, "left", "setkey -D"), 0x1000)
    lab.run_for(5 * SEC)
    assert _sa_block(ok(lab, "left", "setkey -D"), 0x1000) == ""
