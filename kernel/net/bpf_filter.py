"""The BPF machine: the filter interpreter and the program validator (sys/net/bpf_filter.c).

``bpf_filter(pc, p, wirelen, buflen)`` runs the classic BPF program ``pc`` (a
list of ``bpf_insn``) over the packet ``p`` (any buffer; ``buflen`` bytes of
it are there, the packet was ``wirelen`` bytes on the wire) and returns what
the program's RET returned: 0 rejects the packet, anything else is how many
bytes of it to capture.  ``pc`` None accepts everything (``(u_int)-1``).

The machine (McCanne and Jacobson, "The BSD Packet Filter", USENIX 1993): an
accumulator A, an index register X, BPF_MEMWORDS scratch words M[], all 32-bit
unsigned; loads from the packet are big-endian (network order).  As in
FreeBSD, the interpreter never faults:

- a load past the end of the data (BPF_ABS, BPF_IND, BPF_MSH) ends the program
  and rejects the packet (returns 0);
- a division or modulus by X == 0 rejects the packet;
- an unknown opcode rejects the packet (FreeBSD panics under INVARIANTS; the
  validator refuses such programs anyway);
- arithmetic wraps modulo 2**32; a shift by 32 or more gives 0 (C leaves it
  undefined).

``bpf_validate(f, flen)`` is what BIOCSETF checks before it installs a
program: 1 <= length <= BPF_MAXINSNS, every opcode known, every scratch-memory
index below BPF_MEMWORDS, every jump forward and inside the program
(unconditional ones without overflow), no division or modulus by a constant
0, and the last instruction a RET.  Backward jumps are impossible, so every
program ends.
"""
from __future__ import annotations

import struct
from typing import Optional, Sequence, Union

from kernel.wire.bpf import (
    BPF_A, BPF_ABS, BPF_ADD, BPF_ALU, BPF_AND, BPF_B, BPF_DIV, BPF_H, BPF_IMM, BPF_IND,
    BPF_JA, BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JMP, BPF_JSET, BPF_K, BPF_LD, BPF_LDX, BPF_LEN,
    BPF_LSH, BPF_MAXINSNS, BPF_MEM, BPF_MEMWORDS, BPF_MISC, BPF_MOD, BPF_MSH, BPF_MUL,
    BPF_NEG, BPF_OR, BPF_RET, BPF_RSH, BPF_ST, BPF_STX, BPF_SUB, BPF_TAX, BPF_TXA, BPF_W,
    BPF_X, BPF_XOR, bpf_insn,
)

Buffer = Union[bytes, bytearray, memoryview]

_U32 = 0xFFFFFFFF
_W = struct.Struct("!I").unpack_from
_H = struct.Struct("!H").unpack_from

# Every opcode the machine knows (FreeBSD's bpf_code_map): the validator
# refuses the others, the interpreter rejects the packet if it meets one.
_ALU_OPS = (BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_OR, BPF_AND, BPF_LSH, BPF_RSH,
            BPF_MOD, BPF_XOR)
_JMP_OPS = (BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET)
BPF_VALID_CODES: frozenset[int] = frozenset(
    [BPF_LD | sz | md for sz in (BPF_W, BPF_H, BPF_B) for md in (BPF_ABS, BPF_IND)]
    + [BPF_LD | BPF_W | BPF_IMM, BPF_LD | BPF_W | BPF_MEM, BPF_LD | BPF_W | BPF_LEN,
       BPF_LDX | BPF_W | BPF_IMM, BPF_LDX | BPF_W | BPF_MEM, BPF_LDX | BPF_W | BPF_LEN,
       BPF_LDX | BPF_B | BPF_MSH, BPF_ST, BPF_STX]
    + [BPF_ALU | op | src for op in _ALU_OPS for src in (BPF_K, BPF_X)]
    + [BPF_ALU | BPF_NEG, BPF_JMP | BPF_JA]
    + [BPF_JMP | op | src for op in _JMP_OPS for src in (BPF_K, BPF_X)]
    + [BPF_RET | BPF_K, BPF_RET | BPF_A, BPF_MISC | BPF_TAX, BPF_MISC | BPF_TXA])

# Opcodes by name, for the interpreter's chain of tests.
_LD_W_ABS = BPF_LD | BPF_W | BPF_ABS
_LD_H_ABS = BPF_LD | BPF_H | BPF_ABS
_LD_B_ABS = BPF_LD | BPF_B | BPF_ABS
_LD_W_IND = BPF_LD | BPF_W | BPF_IND
_LD_H_IND = BPF_LD | BPF_H | BPF_IND
_LD_B_IND = BPF_LD | BPF_B | BPF_IND
_LD_W_LEN = BPF_LD | BPF_W | BPF_LEN
_LDX_W_LEN = BPF_LDX | BPF_W | BPF_LEN
_LD_IMM = BPF_LD | BPF_W | BPF_IMM
_LDX_IMM = BPF_LDX | BPF_W | BPF_IMM
_LD_MEM = BPF_LD | BPF_W | BPF_MEM
_LDX_MEM = BPF_LDX | BPF_W | BPF_MEM
_LDX_MSH = BPF_LDX | BPF_B | BPF_MSH
_LD_SCALAR = frozenset((_LD_IMM, _LD_MEM, _LD_W_LEN, _LDX_IMM, _LDX_MEM, _LDX_W_LEN))
_RET_K = BPF_RET | BPF_K
_RET_A = BPF_RET | BPF_A
_TAX = BPF_MISC | BPF_TAX
_TXA = BPF_MISC | BPF_TXA


def _alu(op: int, a: int, v: int) -> Optional[int]:
    """A <op> v modulo 2**32; None for a division or modulus by zero."""
    if op == BPF_ADD:
        return (a + v) & _U32
    if op == BPF_SUB:
        return (a - v) & _U32
    if op == BPF_MUL:
        return (a * v) & _U32
    if op == BPF_DIV:
        return a // v if v else None
    if op == BPF_MOD:
        return a % v if v else None
    if op == BPF_AND:
        return a & v
    if op == BPF_OR:
        return a | v
    if op == BPF_XOR:
        return a ^ v
    if op == BPF_LSH:
        return (a << v) & _U32 if v < 32 else 0
    if op == BPF_RSH:
        return a >> v if v < 32 else 0
    return None


def _jmp(op: int, a: int, v: int) -> bool:
    if op == BPF_JEQ:
        return a == v
    if op == BPF_JGT:
        return a > v
    if op == BPF_JGE:
        return a >= v
    return bool(a & v)                    # BPF_JSET


def bpf_filter(pc: Optional[Sequence[bpf_insn]], p: Buffer, wirelen: int, buflen: int) -> int:
    """Run program ``pc`` over ``p``: 0 rejects, otherwise the snapshot length."""
    if pc is None:
        return _U32                       # no filter means accept all
    A = 0
    X = 0
    mem = [0] * BPF_MEMWORDS
    n = len(pc)
    i = 0
    while i < n:
        code, jt, jf, k = pc[i]
        i += 1
        cls = code & 0x07
        if cls == BPF_JMP:
            if code == BPF_JMP | BPF_JA:
                i += k
                continue
            if code not in BPF_VALID_CODES:
                return 0
            op = code & 0xF0
            i += jt if _jmp(op, A, X if code & BPF_X else k) else jf
        elif cls == BPF_LD or cls == BPF_LDX:
            if code in _LD_SCALAR:
                # BPF_IMM, BPF_MEM and BPF_LEN load A and X alike
                mode = code & 0xE0
                if mode == BPF_IMM:
                    v = k
                elif mode == BPF_LEN:
                    v = wirelen & _U32
                elif k < BPF_MEMWORDS:
                    v = mem[k]
                else:
                    return 0
                if cls == BPF_LD:
                    A = v
                else:
                    X = v
            elif code == _LDX_MSH:
                if k >= buflen:
                    return 0
                X = (p[k] & 0x0F) << 2
            elif code == _LD_H_ABS:
                if k + 2 > buflen:
                    return 0              # out of bounds: reject
                A = _H(p, k)[0]
            elif code == _LD_B_ABS:
                if k >= buflen:
                    return 0
                A = p[k]
            elif code == _LD_W_ABS:
                if k + 4 > buflen:
                    return 0
                A = _W(p, k)[0]
            elif code == _LD_H_IND:
                off = X + k
                if off + 2 > buflen:
                    return 0
                A = _H(p, off)[0]
            elif code == _LD_B_IND:
                off = X + k
                if off >= buflen:
                    return 0
                A = p[off]
            elif code == _LD_W_IND:
                off = X + k
                if off + 4 > buflen:
                    return 0
                A = _W(p, off)[0]
            else:
                return 0
        elif cls == BPF_RET:
            if code == _RET_K:
                return k
            if code == _RET_A:
                return A
            return 0
        elif cls == BPF_ALU:
            if code == BPF_ALU | BPF_NEG:
                A = (-A) & _U32
                continue
            if code not in BPF_VALID_CODES:
                return 0
            r = _alu(code & 0xF0, A, X if code & BPF_X else k)
            if r is None:
                return 0                  # division by zero: reject
            A = r
        elif cls == BPF_ST or cls == BPF_STX:
            if code != cls or k >= BPF_MEMWORDS:
                return 0
            mem[k] = A if cls == BPF_ST else X
        else:                             # BPF_MISC
            if code == _TAX:
                X = A
            elif code == _TXA:
                A = X
            else:
                return 0
    return 0                              # ran off the end (an unvalidated program)


def bpf_validate(f: Optional[Sequence[bpf_insn]], flen: int) -> bool:
    """FreeBSD's checks of a program before BIOCSETF installs it (bpf_validate)."""
    if f is None or flen < 1 or flen > BPF_MAXINSNS or len(f) < flen:
        return False
    for i in range(flen):
        ins = f[i]
        try:
            code, jt, jf, k = ins
        except (TypeError, ValueError):
            return False
        if not (type(code) is int and type(jt) is int and type(jf) is int and type(k) is int):
            return False
        if not (0 <= jt <= 0xFF and 0 <= jf <= 0xFF and 0 <= k <= _U32):
            return False
        if code not in BPF_VALID_CODES:
            return False                  # an opcode the machine does not know
        cls = code & 0x07
        if cls in (BPF_LD, BPF_LDX):
            if code & 0xE0 == BPF_MEM and k >= BPF_MEMWORDS:
                return False              # scratch memory index out of range
        elif cls in (BPF_ST, BPF_STX):
            if k >= BPF_MEMWORDS:
                return False
        elif cls == BPF_ALU:
            op = code & 0xF0
            if op in (BPF_DIV, BPF_MOD) and not code & BPF_X and k == 0:
                return False              # constant division by 0
        elif cls == BPF_JMP:
            # Forward only and inside the program: an unconditional jump has a
            # 32-bit offset, so check that from + k neither wraps nor leaves it.
            frm = i + 1
            if code == BPF_JMP | BPF_JA:
                if frm + k >= flen or frm + k > _U32:
                    return False
            elif frm + jt >= flen or frm + jf >= flen:
                return False
    return f[flen - 1][0] & 0x07 == BPF_RET


__all__ = ["bpf_filter", "bpf_validate", "BPF_VALID_CODES"]
