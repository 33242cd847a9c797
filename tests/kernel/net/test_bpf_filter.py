"""The BPF machine (kernel/net/bpf_filter.py, FreeBSD's sys/net/bpf_filter.c): every
instruction class over a crafted packet, the never-fault rules (a load past the end or
a division by zero rejects the packet) and what bpf_validate refuses."""
from __future__ import annotations

import pytest

from kernel.net.bpf_filter import BPF_VALID_CODES, bpf_filter, bpf_validate
from kernel.wire.bpf import (
    BPF_A, BPF_ABS, BPF_ADD, BPF_ALU, BPF_AND, BPF_B, BPF_DIV, BPF_H, BPF_IMM, BPF_IND, BPF_JA,
    BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JMP, BPF_JSET, BPF_JUMP, BPF_K, BPF_LD, BPF_LDX, BPF_LEN,
    BPF_LSH, BPF_MAXINSNS, BPF_MEM, BPF_MEMWORDS, BPF_MISC, BPF_MOD, BPF_MSH, BPF_MUL, BPF_NEG,
    BPF_OR, BPF_RET, BPF_RSH, BPF_ST, BPF_STMT, BPF_STX, BPF_SUB, BPF_TAX, BPF_TXA, BPF_W,
    BPF_X, BPF_XOR, bpf_insn,
)

PKT = bytes(range(0x10, 0x50))            # 64 bytes: byte i is 0x10 + i
RET_A = BPF_STMT(BPF_RET | BPF_A)


def run(*insns: bpf_insn, pkt: bytes = PKT, wirelen: int | None = None) -> int:
    prog = list(insns)
    assert bpf_validate(prog, len(prog)), prog
    return bpf_filter(prog, pkt, len(pkt) if wirelen is None else wirelen, len(pkt))


# -- loads -------------------------------------------------------------------------------------
def test_ld_abs_word_half_byte_are_big_endian():
    assert run(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 4), RET_A) == 0x14151617
    assert run(BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 62), RET_A) == 0x4E4F
    assert run(BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 63), RET_A) == 0x4F


def test_ld_ind_adds_x():
    assert run(BPF_STMT(BPF_LDX | BPF_IMM, 8), BPF_STMT(BPF_LD | BPF_W | BPF_IND, 2),
               RET_A) == 0x1A1B1C1D
    assert run(BPF_STMT(BPF_LDX | BPF_IMM, 8), BPF_STMT(BPF_LD | BPF_H | BPF_IND, 2),
               RET_A) == 0x1A1B
    assert run(BPF_STMT(BPF_LDX | BPF_IMM, 8), BPF_STMT(BPF_LD | BPF_B | BPF_IND, 2),
               RET_A) == 0x1A


def test_ld_len_is_the_wire_length_not_the_captured_one():
    assert run(BPF_STMT(BPF_LD | BPF_W | BPF_LEN), RET_A, wirelen=1500) == 1500
    assert run(BPF_STMT(BPF_LDX | BPF_W | BPF_LEN), BPF_STMT(BPF_MISC | BPF_TXA), RET_A,
               wirelen=99) == 99


def test_ld_imm_and_ldx_imm():
    assert run(BPF_STMT(BPF_LD | BPF_IMM, 0xDEADBEEF), RET_A) == 0xDEADBEEF
    assert run(BPF_STMT(BPF_LDX | BPF_IMM, 7), BPF_STMT(BPF_MISC | BPF_TXA), RET_A) == 7


def test_ldx_msh_is_four_times_the_low_nibble():
    """The IPv4 header length idiom: X = 4 * (p[k] & 0xf)."""
    pkt = bytes([0x45]) + bytes(19)
    assert run(BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0), BPF_STMT(BPF_MISC | BPF_TXA), RET_A,
               pkt=pkt) == 20


def test_st_stx_and_ld_ldx_mem_use_the_scratch_words():
    assert run(BPF_STMT(BPF_LD | BPF_IMM, 11), BPF_STMT(BPF_ST, 15),
               BPF_STMT(BPF_LDX | BPF_IMM, 22), BPF_STMT(BPF_STX, 0),
               BPF_STMT(BPF_LD | BPF_MEM, 0), BPF_STMT(BPF_LDX | BPF_MEM, 15),
               BPF_STMT(BPF_ALU | BPF_ADD | BPF_X), RET_A) == 33


def test_scratch_memory_starts_at_zero():
    assert run(BPF_STMT(BPF_LD | BPF_IMM, 5), BPF_STMT(BPF_LD | BPF_MEM, 3), RET_A) == 0


# -- out of bounds -----------------------------------------------------------------------------
@pytest.mark.parametrize("ins", [
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 61),          # 61..64: one byte past the end
    BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 63),
    BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 64),
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0xFFFFFFFF),  # no wrap-around of k
    BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 64),
])
def test_a_load_past_the_end_rejects_the_packet(ins):
    assert run(ins, BPF_STMT(BPF_RET | BPF_K, 0xFFFF)) == 0


def test_an_indirect_load_past_the_end_rejects_the_packet():
    for size in (BPF_W, BPF_H, BPF_B):
        assert run(BPF_STMT(BPF_LDX | BPF_IMM, 0xFFFFFFFF), BPF_STMT(BPF_LD | size | BPF_IND, 2),
                   BPF_STMT(BPF_RET | BPF_K, 1)) == 0
        assert run(BPF_STMT(BPF_LDX | BPF_IMM, 60), BPF_STMT(BPF_LD | size | BPF_IND, 4),
                   BPF_STMT(BPF_RET | BPF_K, 1)) == 0


def test_the_captured_length_bounds_loads_not_the_wire_length():
    prog = [BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 40), BPF_STMT(BPF_RET | BPF_K, 9)]
    assert bpf_filter(prog, PKT, 1500, 40) == 0
    assert bpf_filter(prog, PKT, 1500, 41) == 9


# -- ALU ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("op,a,v,want", [
    (BPF_ADD, 0xFFFFFFFF, 2, 1), (BPF_SUB, 1, 2, 0xFFFFFFFF), (BPF_MUL, 0x10000, 0x10000, 0),
    (BPF_MUL, 6, 7, 42), (BPF_DIV, 100, 7, 14), (BPF_MOD, 100, 7, 2), (BPF_OR, 0xF0, 0x0F, 0xFF),
    (BPF_AND, 0xF0, 0x3C, 0x30), (BPF_XOR, 0xFF, 0x0F, 0xF0), (BPF_LSH, 1, 31, 0x80000000),
    (BPF_LSH, 0x80000000, 1, 0), (BPF_RSH, 0x80000000, 31, 1), (BPF_LSH, 1, 32, 0),
])
def test_alu_with_k_and_with_x_wraps_at_32_bits(op, a, v, want):
    ld = BPF_STMT(BPF_LD | BPF_IMM, a)
    assert run(ld, BPF_STMT(BPF_ALU | op | BPF_K, v), RET_A) == want
    assert run(ld, BPF_STMT(BPF_LDX | BPF_IMM, v), BPF_STMT(BPF_ALU | op | BPF_X), RET_A) == want


def test_neg():
    assert run(BPF_STMT(BPF_LD | BPF_IMM, 1), BPF_STMT(BPF_ALU | BPF_NEG), RET_A) == 0xFFFFFFFF


@pytest.mark.parametrize("op", [BPF_DIV, BPF_MOD])
def test_division_by_x_zero_rejects_the_packet(op):
    assert run(BPF_STMT(BPF_LD | BPF_IMM, 10), BPF_STMT(BPF_LDX | BPF_IMM, 0),
               BPF_STMT(BPF_ALU | op | BPF_X), BPF_STMT(BPF_RET | BPF_K, 0xFFFF)) == 0


# -- jumps, returns, misc ------------------------------------------------------------------------
def test_ja_skips_forward():
    assert run(BPF_STMT(BPF_JMP | BPF_JA, 1), BPF_STMT(BPF_RET | BPF_K, 1),
               BPF_STMT(BPF_RET | BPF_K, 2)) == 2


@pytest.mark.parametrize("op,a,v,taken", [
    (BPF_JEQ, 5, 5, True), (BPF_JEQ, 5, 6, False), (BPF_JGT, 6, 5, True), (BPF_JGT, 5, 5, False),
    (BPF_JGE, 5, 5, True), (BPF_JGE, 4, 5, False), (BPF_JSET, 0x12, 0x02, True),
    (BPF_JSET, 0x12, 0x01, False), (BPF_JGT, 0xFFFFFFFF, 1, True),    # unsigned
])
def test_conditional_jumps_with_k_and_x(op, a, v, taken):
    tail = [BPF_STMT(BPF_RET | BPF_K, 1), BPF_STMT(BPF_RET | BPF_K, 2)]
    want = 1 if taken else 2
    assert run(BPF_STMT(BPF_LD | BPF_IMM, a), BPF_JUMP(BPF_JMP | op | BPF_K, v, 0, 1),
               *tail) == want
    assert run(BPF_STMT(BPF_LD | BPF_IMM, a), BPF_STMT(BPF_LDX | BPF_IMM, v),
               BPF_JUMP(BPF_JMP | op | BPF_X, 0, 0, 1), *tail) == want


def test_ret_k_ret_a_and_tax_txa():
    assert run(BPF_STMT(BPF_RET | BPF_K, 96)) == 96
    assert run(BPF_STMT(BPF_LD | BPF_IMM, 3), BPF_STMT(BPF_MISC | BPF_TAX),
               BPF_STMT(BPF_LD | BPF_IMM, 9), BPF_STMT(BPF_MISC | BPF_TXA), RET_A) == 3


def test_no_program_accepts_everything():
    assert bpf_filter(None, PKT, 64, 64) == 0xFFFFFFFF


def test_unvalidated_programs_never_fault():
    """The interpreter stays safe on programs BIOCSETF would refuse."""
    assert bpf_filter([bpf_insn(0xFFFF, 0, 0, 0)], PKT, 64, 64) == 0          # unknown opcode
    assert bpf_filter([BPF_STMT(BPF_LD | BPF_IMM, 1)], PKT, 64, 64) == 0      # no RET
    assert bpf_filter([BPF_STMT(BPF_JMP | BPF_JA, 100)], PKT, 64, 64) == 0    # jumps off
    assert bpf_filter([BPF_STMT(BPF_ST, 99), RET_A], PKT, 64, 64) == 0        # bad M[] index
    assert bpf_filter([BPF_STMT(BPF_ALU | BPF_DIV | BPF_K, 0), RET_A], PKT, 64, 64) == 0


# -- bpf_validate ------------------------------------------------------------------------------
def test_validate_accepts_a_program_ending_in_ret():
    prog = [BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),
            BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x86DD, 0, 1),
            BPF_STMT(BPF_RET | BPF_K, 0xFFFF), BPF_STMT(BPF_RET | BPF_K, 0)]
    assert bpf_validate(prog, len(prog))


@pytest.mark.parametrize("why,prog", [
    ("empty", []),
    ("no RET at the end", [BPF_STMT(BPF_LD | BPF_IMM, 1)]),
    ("conditional jump past the end", [BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0),
                                       BPF_STMT(BPF_RET | BPF_K, 0)]),
    ("JA past the end", [BPF_STMT(BPF_JMP | BPF_JA, 1), BPF_STMT(BPF_RET | BPF_K, 0)]),
    ("JA wrapping around (a backward jump)", [BPF_STMT(BPF_JMP | BPF_JA, 0xFFFFFFFF),
                                              BPF_STMT(BPF_RET | BPF_K, 0)]),
    ("ST index BPF_MEMWORDS", [BPF_STMT(BPF_ST, BPF_MEMWORDS), BPF_STMT(BPF_RET | BPF_K, 0)]),
    ("STX index BPF_MEMWORDS", [BPF_STMT(BPF_STX, BPF_MEMWORDS), BPF_STMT(BPF_RET | BPF_K, 0)]),
    ("LD M[] index BPF_MEMWORDS", [BPF_STMT(BPF_LD | BPF_MEM, BPF_MEMWORDS),
                                   BPF_STMT(BPF_RET | BPF_K, 0)]),
    ("LDX M[] index BPF_MEMWORDS", [BPF_STMT(BPF_LDX | BPF_MEM, BPF_MEMWORDS),
                                    BPF_STMT(BPF_RET | BPF_K, 0)]),
    ("division by constant 0", [BPF_STMT(BPF_ALU | BPF_DIV | BPF_K, 0), RET_A]),
    ("modulus by constant 0", [BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, 0), RET_A]),
    ("unknown opcode", [bpf_insn(0x18 | BPF_LD, 0, 0, 0), RET_A]),
    ("RET X", [BPF_STMT(BPF_RET | BPF_X), RET_A]),
])
def test_validate_refuses(why, prog):
    assert not bpf_validate(prog, len(prog)), why


def test_validate_refuses_more_than_bpf_maxinsns():
    prog = [BPF_STMT(BPF_RET | BPF_K, 0)] * (BPF_MAXINSNS + 1)
    assert not bpf_validate(prog, len(prog))
    assert bpf_validate(prog[:BPF_MAXINSNS], BPF_MAXINSNS)


def test_validate_refuses_malformed_instructions():
    assert not bpf_validate([(BPF_RET, 0, 0, -1)], 1)
    assert not bpf_validate([(BPF_RET, 300, 0, 0)], 1)
    assert not bpf_validate([("x", 0, 0, 0)], 1)
    assert not bpf_validate([bpf_insn(BPF_RET)], 2)          # shorter than its length


def test_every_valid_opcode_runs_and_every_other_is_refused():
    for code in range(0x100):
        prog = [bpf_insn(code, 0, 0, 1), BPF_STMT(BPF_RET | BPF_K, 7),
                BPF_STMT(BPF_RET | BPF_K, 8)]
        assert bpf_validate(prog, 3) == (code in BPF_VALID_CODES), hex(code)
        bpf_filter(prog, PKT, 64, 64)                       # never raises
