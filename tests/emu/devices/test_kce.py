"""The KCE-1 model against its datasheet (docs/hw/kce.md), driven by hand as a driver would."""
from __future__ import annotations

import hmac

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from tests.emu.devices.kce_harness import (
    A_GMAC, A_SHA1, A_SHA256, AUTH_FAIL, BAD_ALG, BAD_LENGTH, BAD_OPCODE, BAD_SA,
    C_3DES_CBC, C_AES_CBC, C_AES_GCM, C_NULL, CAP_AES_GCM, CAP_SALT, CAPS, CTRL,
    CTRL_EN, CTRL_RST, DMA_FAULT, DONE, ENC, ERRADDR_HI, ERRADDR_LO, ERRDESC, I_DONE, I_ERR,
    I_HALT, ICOAL, ID, IER, ISET, ISR, LIMITS, OK, OP_AUTH, OP_CIPHER, OP_CIPHER_AUTH, OWN,
    RBASE_HI, RBASE_LO, RHEAD, RSIZE, RTAIL, SA_SALT, STAT_AUTHFAIL, STAT_BADDESC, STAT_BYTES,
    STAT_DMAERR, STAT_INTR, STAT_OPS, STATUS, STATUS_BUSY, STATUS_HALT, STATUS_RUN, VERSION,
    Card,
)

h = bytes.fromhex
# RFC 3602 case 2
K2, IV2 = h("c286696d887c9aa0611bbb3e2025a45a"), h("562e17996d093d28ddb3ba695a2e6f58")
P2 = bytes(range(32))
C2 = h("d296cd94c2cccf8a3a863028b5e1dc0a7586602d253cfff91b8266bea6d61ab1")
# GCM test case 4 (RFC 4106 keying: salt cafebabe, IV facedbaddecaf888)
K4 = h("feffe9928665731c6d6a8f9467308308")
A4 = h("feedfacedeadbeeffeedfacedeadbeefabaddad2")
P4 = h("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
       "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39")
C4 = h("42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
       "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091")
T4 = h("5bc94fbc3221a5db94fae95ae7121a47")


@pytest.fixture
def card() -> Card:
    c = Card()
    c.start()
    return c


def _cbc_job(c: Card, data: bytes = P2, enc: bool = True, dst: bool = False):
    """IV ‖ payload in one buffer; returns (idx, src, dst)."""
    sa = c.sa(C_AES_CBC, ckey=K2, ivlen=16)
    src = c.put(IV2 + data)
    out = c.put(bytes(16 + len(data))) if dst else src
    idx = c.post(OP_CIPHER, enc, sa, src, 16 + len(data), dst=out, payload=(16, len(data)),
                 iv_off=0)
    return idx, src, out


# ---------------------------------------------------------------------------
# §1, §2 identity and registers
# ---------------------------------------------------------------------------
def test_kce_1_pci_identity() -> None:
    c = Card()
    assert c.dev.config_read(0x00, 2) == 0x4B42
    assert c.dev.config_read(0x02, 2) == 0x0CE1
    assert c.dev.config_read(0x08) >> 8 == 0x100000
    assert c.dev.config_read(0x08, 1) == 1
    assert c.dev.BAR0_SIZE == 0x1000


def test_kce_2_reset_values_and_read_only_registers() -> None:
    c = Card()
    assert (c.r(ID), c.r(VERSION), c.r(CAPS), c.r(LIMITS)) == (
        0x4B434531, 0x00010000, 0x00011F0F, 0x1000FFFF)
    for off in (CTRL, STATUS, RBASE_LO, RBASE_HI, RSIZE, RHEAD, RTAIL, ISR, IER, ICOAL,
                ERRADDR_LO, ERRDESC, STAT_OPS, STAT_INTR):
        assert c.r(off) == 0, hex(off)
    for off in (ID, VERSION, CAPS, LIMITS, STATUS, ERRDESC, STAT_OPS):
        c.w(off, 0x1234)
    assert (c.r(ID), c.r(CAPS), c.r(STATUS), c.r(STAT_OPS)) == (0x4B434531, 0x00011F0F, 0, 0)
    assert c.r(0x0F0) == 0 and c.r(0x802) == 0            # §1: unimplemented offsets
    c.w(0x0F0, 1)
    assert c.dev.unimpl_writes == 1


def test_kce_2_register_write_masks() -> None:
    c = Card()
    c.w(RBASE_LO, 0xFFFF_FFFF)
    c.w(RSIZE, 0xFFFF_FFFF)
    c.w(ICOAL, 0xFFFF_FFFF)
    c.w(IER, 0xFFFF_FFFF)
    c.w(ISET, 0xFFFF_FFFF)
    assert c.r(RBASE_LO) == 0xFFFF_FFC0                    # 64-byte aligned
    assert c.r(RSIZE) == 0x1FFF
    assert c.r(ICOAL) == 0xFFFF_00FF
    assert c.r(IER) == 0x7 and c.r(ISR) == 0x7 and c.r(ISET) == 0


def test_kce_3_3_caps_of_a_cheaper_card() -> None:
    c = Card(caps=0x00000103)
    assert c.r(CAPS) == 0x00000103


# ---------------------------------------------------------------------------
# §6.2 processing
# ---------------------------------------------------------------------------
def test_kce_6_2_aes_cbc_rfc3602_case2_after_the_processing_time(card: Card) -> None:
    c = card
    idx, src, _ = _cbc_job(c)
    c.doorbell()
    assert c.r(STATUS) == STATUS_RUN | STATUS_BUSY
    c.run(1000 + 2 * 32 - 1)                               # T = OP_NS + BYTE_NS x 32
    assert not c.done(idx) and c.read(src + 16, 32) == P2
    c.run(1)
    d = c.desc(idx)
    assert d[0] == OP_CIPHER | ENC | DONE                  # OWN cleared, DONE set
    assert d[1] == OK
    assert c.read(src + 16, 32) == C2
    assert c.read(src, 16) == IV2                          # nothing else written
    assert c.r(RHEAD) == 1 and c.r(STATUS) == STATUS_RUN
    assert c.r(ISR) == I_DONE and c.dev.irq.level
    assert (c.r(STAT_OPS), c.r(STAT_BYTES)) == (1, 32)
    assert (c.r(STAT_OPS), c.r(STAT_BYTES)) == (0, 0)     # read-to-clear
    assert c.trace("kce_done") == [dict(dev="kce0", idx=0, status=OK, op=OP_CIPHER, enc=True,
                                        len=32)]


def test_kce_5_2_decrypt_to_a_separate_destination(card: Card) -> None:
    c = card
    idx, src, dst = _cbc_job(c, data=C2, enc=False, dst=True)
    c.doorbell()
    c.run(10_000)
    assert c.status(idx) == OK
    assert c.read(dst + 16, 32) == P2 and c.read(dst, 16) == bytes(16)
    assert c.read(src + 16, 32) == C2                      # the source is not written


def test_kce_6_2_descriptors_in_order_one_at_a_time(card: Card) -> None:
    c = card
    jobs = [_cbc_job(c) for _ in range(3)]
    c.doorbell()
    c.run(1064 * 2)
    assert [c.done(i) for i, _, _ in jobs] == [True, True, False]
    c.run(1064)
    assert all(c.read(src + 16, 32) == C2 for _, src, _ in jobs)
    assert c.r(RHEAD) == 3 == c.r(RTAIL)


def test_kce_6_1_doorbell_with_engine_disabled_only_records(card: Card) -> None:
    c = card
    c.w(CTRL, 0)
    idx, src, _ = _cbc_job(c)
    c.doorbell()
    c.run(100_000)
    assert not c.done(idx) and c.r(RTAIL) == 1
    c.w(CTRL, CTRL_EN)
    c.run(2000)
    assert c.status(idx) == OK and c.done(idx)


def test_kce_6_1_invalid_ring_starts_nothing() -> None:
    c = Card()
    c.w(CTRL, CTRL_EN)                                     # RSIZE = 0
    c.w(RTAIL, 1)
    c.run(10_000)
    assert c.trace("kce_bad_ring") == [dict(dev="kce0", head=0, tail=1, size=0)]
    assert c.dev.completed == 0


def test_kce_6_2_not_owned_descriptor_stops_the_engine(card: Card) -> None:
    c = card
    sa = c.sa(C_AES_CBC, ckey=K2, ivlen=16)
    src = c.put(IV2 + P2)
    idx = c.post(OP_CIPHER, True, sa, src, 48, payload=(16, 32), own=False)
    c.doorbell()
    c.run(10_000)
    assert not c.done(idx) and c.r(RHEAD) == 0
    assert c.dev.errors["not owned"] == 1
    c.ram[c.desc_addr(idx) + 3] |= 0x80                    # OWN now, ring again
    c.doorbell()
    c.run(10_000)
    assert c.status(idx) == OK and c.read(src + 16, 32) == C2


# ---------------------------------------------------------------------------
# §5.2 the operations
# ---------------------------------------------------------------------------
def test_kce_5_2_aes_gcm_rfc4106_salt_encrypt_and_decrypt(card: Card) -> None:
    c = card
    sa = c.sa(C_AES_GCM, ckey=K4, icvlen=16, ivlen=8, flags=SA_SALT, salt=h("cafebabe"))
    src = c.put(A4 + h("facedbaddecaf888") + P4 + bytes(16))
    layout = dict(aad=(0, 20), payload=(28, 60), iv_off=20, icv_off=88)
    e = c.post(OP_CIPHER_AUTH, True, sa, src, 104, **layout)
    c.doorbell()
    c.run(10_000)
    assert c.status(e) == OK
    assert c.read(src + 28, 60) == C4 and c.read(src + 88, 16) == T4
    d = c.post(OP_CIPHER_AUTH, False, sa, src, 104, **layout)
    c.doorbell()
    c.run(10_000)
    assert c.status(d) == OK and c.read(src + 28, 60) == P4


def test_kce_5_3_gcm_bad_tag_is_auth_fail_and_writes_nothing(card: Card) -> None:
    c = card
    sa = c.sa(C_AES_GCM, ckey=K4, icvlen=16, ivlen=8, flags=SA_SALT, salt=h("cafebabe"))
    buf = A4 + h("facedbaddecaf888") + C4 + T4[:-1] + bytes([T4[-1] ^ 1])
    src = c.put(buf)
    d = c.post(OP_CIPHER_AUTH, False, sa, src, 104, aad=(0, 20), payload=(28, 60), iv_off=20,
               icv_off=88)
    c.doorbell()
    c.run(10_000)
    assert c.status(d) == AUTH_FAIL and c.done(d)
    assert c.read(src, 104) == buf
    assert c.r(ISR) == I_DONE | I_ERR
    assert c.r(ERRDESC) == d | AUTH_FAIL << 16
    assert c.r(STAT_AUTHFAIL) == 1 and c.r(STAT_OPS) == 0
    assert c.dev.errors["auth failure"] == 1


def test_kce_5_2_hmac_sha1_rfc2202_case2_compute_and_verify(card: Card) -> None:
    c = card
    sa = c.sa(auth=A_SHA1, akey=b"Jefe", icvlen=12)
    data = b"what do ya want for nothing?"
    src = c.put(data + bytes(12))
    i = c.post(OP_AUTH, True, sa, src, len(data) + 12, payload=(0, len(data)), icv_off=len(data))
    c.doorbell()
    c.run(10_000)
    assert c.status(i) == OK
    assert c.read(src + len(data), 12) == h("effcdf6ae5eb2fa2d27416d5")   # HMAC-SHA1-96
    j = c.post(OP_AUTH, False, sa, src, len(data) + 12, payload=(0, len(data)), icv_off=len(data))
    c.ram[src] ^= 1                                        # the data changed: no match
    c.doorbell()
    c.run(10_000)
    assert c.status(j) == AUTH_FAIL


def test_kce_5_2_gmac_cavs_vector(card: Card) -> None:
    c = card
    sa = c.sa(auth=A_GMAC, ckey=h("77be63708971c4e240d1cb79e8d77feb"), icvlen=16, ivlen=12)
    src = c.put(h("e0e00f19fed7ba0136a797f3") + h("7a43ec1d9c0a5a78a0b16533a6213cab") + bytes(16))
    i = c.post(OP_AUTH, True, sa, src, 44, payload=(12, 16), iv_off=0, icv_off=28)
    c.doorbell()
    c.run(10_000)
    assert c.status(i) == OK and c.read(src + 28, 16) == h("209fcc8d3675ed938e9c7166709dd946")


def test_kce_5_2_encrypt_then_mac_covers_aad_and_ciphertext(card: Card) -> None:
    """RFC 4303 3.3.2.1 order: encrypt, then HMAC over AAD ‖ ciphertext."""
    c = card
    akey = bytes(range(32))
    sa = c.sa(C_AES_CBC, A_SHA256, ckey=K2, akey=akey, icvlen=16, ivlen=16)
    hdr = b"SPI.SEQ."
    src = c.put(hdr + IV2 + P2 + bytes(16))
    layout = dict(aad=(0, 8), payload=(24, 32), iv_off=8, icv_off=56)
    i = c.post(OP_CIPHER_AUTH, True, sa, src, 72, **layout)
    c.doorbell()
    c.run(10_000)
    assert c.status(i) == OK and c.read(src + 24, 32) == C2
    assert c.read(src + 56, 16) == hmac.new(akey, hdr + C2, "sha256").digest()[:16]
    j = c.post(OP_CIPHER_AUTH, False, sa, src, 72, **layout)
    c.doorbell()
    c.run(10_000)
    assert c.status(j) == OK and c.read(src + 24, 32) == P2


def test_kce_5_2_3des_and_null(card: Card) -> None:
    c = card
    sa = c.sa(C_3DES_CBC, ckey=h("0101010101010101") * 3, ivlen=8)
    src = c.put(bytes(8) + h("8000000000000000"))
    i = c.post(OP_CIPHER, True, sa, src, 16, payload=(8, 8), iv_off=0)
    nsa = c.sa(C_NULL)
    nsrc = c.put(b"abcd" * 4)
    j = c.post(OP_CIPHER, True, nsa, nsrc, 16, payload=(0, 16))
    c.doorbell()
    c.run(10_000)
    assert c.status(i) == OK and c.read(src + 8, 8) == h("95f8a5e5dd31d900")
    assert c.status(j) == OK and c.read(nsrc, 16) == b"abcd" * 4


# ---------------------------------------------------------------------------
# §5.3, §6.3 descriptor errors
# ---------------------------------------------------------------------------
AES = dict(cipher=C_AES_CBC, ckey=K2, ivlen=16)


@pytest.mark.parametrize("op,sa,buflen,payload,expect,reason", [
    (0, AES, 48, (16, 32), BAD_OPCODE, "bad opcode"),
    (9, AES, 48, (16, 32), BAD_OPCODE, "bad opcode"),
    (OP_AUTH, AES, 48, (16, 32), BAD_OPCODE, "bad opcode"),
    (OP_CIPHER, dict(cipher=C_AES_CBC, auth=A_SHA1, ckey=K2, akey=b"k", icvlen=12, ivlen=16),
     48, (16, 32), BAD_OPCODE, "bad opcode"),
    (OP_CIPHER, dict(cipher=7, ckey=K2, ivlen=16), 48, (16, 32), BAD_ALG,
     "unsupported algorithm"),
    (OP_CIPHER, dict(), 48, (16, 32), BAD_ALG, "unsupported algorithm"),
    (OP_CIPHER, dict(cipher=C_AES_CBC, ckey=K2 + b"x", ivlen=16), 48, (16, 32), BAD_SA, "bad SA"),
    (OP_CIPHER, dict(cipher=C_AES_CBC, ckey=K2, ivlen=8), 48, (16, 32), BAD_SA, "bad SA"),
    (OP_CIPHER, dict(cipher=C_AES_CBC, ckey=K2, ivlen=16, flags=SA_SALT), 48, (16, 32),
     BAD_SA, "bad SA"),
    (OP_CIPHER, dict(cipher=C_AES_CBC, ckey=K2, ivlen=16, flags=0x10), 48, (16, 32),
     BAD_SA, "bad SA"),
    (OP_CIPHER_AUTH, dict(cipher=C_AES_GCM, auth=A_SHA1, ckey=K2, akey=b"k", icvlen=16,
                          ivlen=12), 48, (16, 32), BAD_SA, "bad SA"),
    (OP_AUTH, dict(auth=A_SHA1, akey=b"k", icvlen=21), 48, (16, 32), BAD_SA, "bad SA"),
    (OP_CIPHER, AES, 0, (16, 32), BAD_LENGTH, "bad length"),
    (OP_CIPHER, AES, 48, (16, 33), BAD_LENGTH, "bad length"),
    (OP_CIPHER, AES, 47, (16, 31), BAD_LENGTH, "bad length"),
    (OP_CIPHER, AES, 0x10000, (16, 32), BAD_LENGTH, "bad length"),
], ids=["op0", "op9", "auth-with-cipher-sa", "cipher-with-hmac-sa", "alg7", "no-alg",
        "aes-17", "aes-iv8", "salt-with-cbc", "reserved-flag", "gcm-with-auth", "icv-21",
        "buflen0", "payload-outside", "partial-block", "above-maxlen"])
def test_kce_5_3_bad_descriptors_complete_with_their_status(card: Card, op, sa, buflen, payload,
                                                            expect, reason) -> None:
    c = card
    sa_addr = c.sa(**sa)
    src = c.put(IV2 + P2, room=0x10000)
    before = c.read(src, 48)
    i = c.post(op, True, sa_addr, src, buflen, payload=payload)
    c.doorbell()
    c.run(1000)                                            # failures take OP_NS
    assert c.status(i) == expect and c.done(i)
    assert c.read(src, 48) == before                       # nothing written
    assert c.r(ISR) & I_ERR and c.r(ERRDESC) == i | expect << 16
    assert c.r(STAT_BADDESC) == 1 and c.dev.errors[reason] == 1


def test_kce_3_3_algorithm_missing_from_caps_is_bad_alg() -> None:
    c = Card(caps=0x00011F0F & ~CAP_AES_GCM)
    c.start()
    sa = c.sa(C_AES_GCM, ckey=K4, icvlen=16, ivlen=12)
    src = c.put(bytes(64))
    i = c.post(OP_CIPHER_AUTH, True, sa, src, 64, payload=(12, 32), icv_off=44)
    c.doorbell()
    c.run(10_000)
    assert c.status(i) == BAD_ALG


def test_kce_4_salt_without_caps_salt_is_bad_sa() -> None:
    c = Card(caps=0x00011F0F & ~CAP_SALT)
    c.start()
    sa = c.sa(C_AES_GCM, ckey=K4, icvlen=16, ivlen=8, flags=SA_SALT)
    src = c.put(bytes(64))
    i = c.post(OP_CIPHER_AUTH, True, sa, src, 64, payload=(8, 32), icv_off=40)
    c.doorbell()
    c.run(10_000)
    assert c.status(i) == BAD_SA


@pytest.mark.parametrize("where", ["sa", "src", "dst"])
def test_kce_6_3_dma_fault_fails_the_descriptor_and_the_engine_goes_on(card: Card, where) -> None:
    c = card
    bad = c.mem.size + 0x1000
    sa = c.sa(**AES) if where != "sa" else bad
    src = c.put(IV2 + P2) if where != "src" else bad
    dst = bad if where == "dst" else None
    i = c.post(OP_CIPHER, True, sa, src, 48, dst=dst, payload=(16, 32))
    j, src2, _ = _cbc_job(c)
    c.doorbell()
    c.run(10_000)
    assert c.status(i) == DMA_FAULT and c.status(j) == OK
    assert c.r(ERRADDR_LO) | c.r(ERRADDR_HI) << 32 == bad
    assert c.r(STAT_DMAERR) == 1 and c.dev.dma_faults == 1
    assert c.dev.errors["DMA fault"] == 1
    assert c.trace("kce_error")[0]["addr"] == bad


# ---------------------------------------------------------------------------
# §6.4 ring faults
# ---------------------------------------------------------------------------
def test_kce_6_4_ring_fault_halts_until_en_is_set_again(card: Card) -> None:
    c = card
    idx, src, _ = _cbc_job(c)
    bad = c.mem.size + 0x40
    c.w(RBASE_LO, bad & 0xFFFF_FFFF)
    c.w(RBASE_HI, bad >> 32)
    c.doorbell()
    c.run(10_000)
    assert c.r(STATUS) == STATUS_HALT
    assert not c.r(CTRL) & CTRL_EN
    assert c.r(ISR) == I_HALT and c.dev.irq.level
    assert c.r(RHEAD) == 0 and c.r(ERRADDR_LO) == bad & 0xFFFF_FFFF
    assert c.r(STAT_DMAERR) == 1 and c.dev.errors["ring fault"] == 1
    c.w(RBASE_LO, c.ring)
    c.w(RBASE_HI, 0)
    c.w(ISR, I_HALT)
    c.w(CTRL, CTRL_EN)
    assert c.r(STATUS) & STATUS_HALT == 0
    c.run(10_000)
    assert c.status(idx) == OK and c.read(src + 16, 32) == C2


# ---------------------------------------------------------------------------
# §7 interrupts
# ---------------------------------------------------------------------------
def test_kce_7_1_isr_write_1_to_clear_iset_and_ier(card: Card) -> None:
    c = card
    c.w(IER, 0)
    c.w(ISET, I_ERR | I_HALT)
    assert c.r(ISR) == I_ERR | I_HALT and not c.dev.irq.level   # masked
    c.w(IER, I_ERR)
    assert c.dev.irq.level and c.r(STAT_INTR) == 1
    c.w(ISR, I_ERR)                                        # W1C
    assert c.r(ISR) == I_HALT and not c.dev.irq.level
    c.w(ISR, 0)
    assert c.r(ISR) == I_HALT                              # writing 0 clears nothing
    assert c.r(ISR) == I_HALT                              # reading clears nothing


def _done_points(c: Card, n: int) -> list[tuple[int, int]]:
    """Step event by event; each time DONE appears record (completions, time) and ack it."""
    points = []
    while c.dev.completed < n:
        c.sched.run_until(c.sched.next_time())
        if c.r(ISR) & I_DONE:
            points.append((c.dev.completed, c.sched.now))
            c.w(ISR, I_DONE)
    return points


def test_kce_7_2_coalescing_by_count_and_when_the_ring_drains() -> None:
    c = Card(byte_ns=0)
    c.start(icoal=4)
    for _ in range(10):
        _cbc_job(c)
    c.doorbell()
    assert [k for k, _ in _done_points(c, 10)] == [4, 8, 10]


def test_kce_7_2_coalescing_count_0_is_every_completion() -> None:
    c = Card(byte_ns=0)
    c.start(icoal=0)
    for _ in range(3):
        _cbc_job(c)
    c.doorbell()
    assert [k for k, _ in _done_points(c, 3)] == [1, 2, 3]


def test_kce_7_2_coalescing_timer_reports_before_the_count() -> None:
    c = Card(byte_ns=0)
    c.start(icoal=8 | 5 << 16)                            # COUNT 8, TIMER 5 µs
    for _ in range(10):
        _cbc_job(c)
    c.doorbell()
    # First completion at 1 µs: the timer reports at 6 µs, before the count of 8 (the
    # sixth completion falls at the same instant); the ring drains at 10 µs.
    assert _done_points(c, 10) == [(6, 6000), (10, 10_000)]


def test_kce_7_2_errors_interrupt_at_once_whatever_the_count() -> None:
    c = Card(byte_ns=0)
    c.start(icoal=8)
    i = c.post(0, True, 0, 0, 1)                            # bad opcode
    for _ in range(3):
        _cbc_job(c)
    c.doorbell()
    c.run(1000)
    assert c.status(i) == BAD_OPCODE and c.r(ISR) == I_ERR


# ---------------------------------------------------------------------------
# §8 reset
# ---------------------------------------------------------------------------
def test_kce_8_reset_abandons_the_descriptor_in_progress(card: Card) -> None:
    c = card
    idx, src, _ = _cbc_job(c)
    c.w(ICOAL, 0x00050003)
    c.doorbell()
    c.run(500)
    c.w(CTRL, CTRL_RST)
    assert c.r(CTRL) == 0                                  # self-clearing, EN 0
    for off in (RBASE_LO, RSIZE, RHEAD, RTAIL, ISR, IER, ICOAL, STATUS):
        assert c.r(off) == 0, hex(off)
    c.run(100_000)
    assert c.ctl(idx) & OWN and not c.done(idx)            # never written back
    assert c.read(src + 16, 32) == P2
    assert c.dev.completed == 0


def test_kce_9_processing_time_is_a_model_parameter() -> None:
    c = Card(op_ns=5000, byte_ns=10)
    c.start()
    idx, _, _ = _cbc_job(c)
    c.doorbell()
    c.run(5000 + 320 - 1)
    assert not c.done(idx)
    c.run(1)
    assert c.done(idx)


def test_kce_model_results_match_cryptography_for_random_cbc() -> None:
    import random
    rng = random.Random(3)
    c = Card(byte_ns=0)
    c.start()
    for _ in range(10):
        key = bytes(rng.randrange(256) for _ in range(32))
        iv = bytes(rng.randrange(256) for _ in range(16))
        pt = bytes(rng.randrange(256) for _ in range(16 * rng.randrange(1, 8)))
        sa = c.sa(C_AES_CBC, ckey=key, ivlen=16)
        src = c.put(iv + pt)
        i = c.post(OP_CIPHER, True, sa, src, 16 + len(pt), payload=(16, len(pt)))
        c.doorbell()
        c.run(100_000)
        enc = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
        assert c.status(i) == OK and c.read(src + 16, len(pt)) == enc.update(pt)
