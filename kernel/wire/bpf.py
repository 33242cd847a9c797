"""<net/bpf.h> and <net/dlt.h>: the Berkeley Packet Filter's structures, instruction
set and ioctls (FreeBSD values, LP64 little-endian layouts as on amd64).

Shared by the kernel (kernel/net/bpf.py, kernel/net/bpf_filter.py) and userland
(tcpdump and its pcap library).

- ``bpf_insn`` (code, jt, jf, k) and ``bpf_program`` (BIOCSETF), built with
  ``BPF_STMT``/``BPF_JUMP`` as in C.
- ``bpf_hdr`` precedes every packet a read(2) of /dev/bpf returns: a ``struct
  timeval`` (two longs), ``bh_caplen``, ``bh_datalen`` (u_int32) and
  ``bh_hdrlen`` (u_short) — 26 bytes, ``sizeof`` 32 with the tail padding.
  ``bh_hdrlen`` is ``BPF_WORDALIGN(hdrlen + SIZEOF_BPF_HDR) - hdrlen`` for a
  link header of ``hdrlen`` bytes, so that the network header behind the link
  header is long-aligned; each record starts at a ``BPF_WORDALIGN`` boundary.
- The ioctls are encoded as <sys/ioccom.h> does (kernel/wire/sockio.py,
  kernel/wire/ioctl.py) with the sizes of the amd64 structs: ``BIOCSETF`` is
  ``_IOW('B', 103, struct bpf_program)`` = 0x80104267.  BIOCGSEESENT and
  BIOCSSEESENT are the old names of BIOCGDIRECTION and BIOCSDIRECTION (same
  numbers); the direction values are ``BPF_D_IN`` (0), ``BPF_D_INOUT`` (1,
  the default) and ``BPF_D_OUT`` (2), so "see sent" 0/1 still reads right.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import NamedTuple, Optional

from kernel.wire.ioctl import _IO, _IOR, _IOW
from kernel.wire.sockio import SIZEOF_IFREQ, _IOWR
from kernel.wire.time import timeval

# -- sizes and limits (net/bpf.h) ------------------------------------------------------
BPF_RELEASE = 199606
BPF_ALIGNMENT = 8                 # sizeof(long) on LP64
BPF_MAXINSNS = 512
BPF_MAXBUFSIZE = 0x80000
BPF_MINBUFSIZE = 32
BPF_DEFAULTBUFSIZE = 4096         # net.bpf.bufsize
BPF_MEMWORDS = 16                 # scratch memory words (BPF_LD|BPF_MEM, BPF_ST)
BPF_MAJOR_VERSION = 1
BPF_MINOR_VERSION = 1


def BPF_WORDALIGN(x: int) -> int:
    """Round ``x`` up to the next multiple of BPF_ALIGNMENT."""
    return (x + (BPF_ALIGNMENT - 1)) & ~(BPF_ALIGNMENT - 1)


# -- data link types (net/dlt.h) --------------------------------------------------------
DLT_NULL = 0                      # BSD loopback: a 4-byte address family, host order
DLT_EN10MB = 1                    # Ethernet (10Mb, 100Mb, 1000Mb, and up)
DLT_RAW = 12

# -- packet directions (enum bpf_direction) ---------------------------------------------
BPF_D_IN = 0                      # see incoming packets
BPF_D_INOUT = 1                   # see incoming and outgoing packets
BPF_D_OUT = 2                     # see outgoing packets

# -- instruction classes ---------------------------------------------------------------
BPF_LD = 0x00
BPF_LDX = 0x01
BPF_ST = 0x02
BPF_STX = 0x03
BPF_ALU = 0x04
BPF_JMP = 0x05
BPF_RET = 0x06
BPF_MISC = 0x07
# ld/ldx fields: size
BPF_W = 0x00
BPF_H = 0x08
BPF_B = 0x10
# ld/ldx fields: mode
BPF_IMM = 0x00
BPF_ABS = 0x20
BPF_IND = 0x40
BPF_MEM = 0x60
BPF_LEN = 0x80
BPF_MSH = 0xA0
# alu/jmp fields: op
BPF_ADD = 0x00
BPF_SUB = 0x10
BPF_MUL = 0x20
BPF_DIV = 0x30
BPF_OR = 0x40
BPF_AND = 0x50
BPF_LSH = 0x60
BPF_RSH = 0x70
BPF_NEG = 0x80
BPF_MOD = 0x90
BPF_XOR = 0xA0
BPF_JA = 0x00
BPF_JEQ = 0x10
BPF_JGT = 0x20
BPF_JGE = 0x30
BPF_JSET = 0x40
# source operand
BPF_K = 0x00
BPF_X = 0x08
# ret: the value returned
BPF_A = 0x10
# misc
BPF_TAX = 0x00
BPF_TXA = 0x80


def BPF_CLASS(code: int) -> int:
    return code & 0x07


def BPF_SIZE(code: int) -> int:
    return code & 0x18


def BPF_MODE(code: int) -> int:
    return code & 0xE0


def BPF_OP(code: int) -> int:
    return code & 0xF0


def BPF_SRC(code: int) -> int:
    return code & 0x08


def BPF_RVAL(code: int) -> int:
    return code & 0x18


def BPF_MISCOP(code: int) -> int:
    return code & 0xF8


# -- struct bpf_insn, struct bpf_program -----------------------------------------------
_insn = struct.Struct("<HBBI")


class bpf_insn(NamedTuple):
    """One instruction: opcode, jump-if-true and jump-if-false offsets, and ``k``."""

    code: int
    jt: int = 0
    jf: int = 0
    k: int = 0

    def pack(self) -> bytes:
        return _insn.pack(self.code, self.jt, self.jf, self.k)

    @classmethod
    def unpack(cls, data: bytes, off: int = 0) -> "bpf_insn":
        return cls(*_insn.unpack_from(data, off))


BPF_INSN_SIZE = _insn.size        # 8


def BPF_STMT(code: int, k: int = 0) -> bpf_insn:
    return bpf_insn(code & 0xFFFF, 0, 0, k & 0xFFFFFFFF)


def BPF_JUMP(code: int, k: int, jt: int, jf: int) -> bpf_insn:
    return bpf_insn(code & 0xFFFF, jt, jf, k & 0xFFFFFFFF)


@dataclass
class bpf_program:
    """``struct bpf_program`` (BIOCSETF): ``bf_len`` instructions at ``bf_insns``.
    ``bf_insns`` None with ``bf_len`` 0 removes the filter (accept everything)."""

    bf_len: int = 0
    bf_insns: Optional[list[bpf_insn]] = None

    @classmethod
    def of(cls, insns: list[bpf_insn]) -> "bpf_program":
        return cls(len(insns), list(insns))


# -- struct bpf_hdr ---------------------------------------------------------------------
_hdr = struct.Struct("<qqIIH")    # tv_sec, tv_usec (longs), caplen, datalen, hdrlen
SIZEOF_BPF_HDR = BPF_WORDALIGN(_hdr.size)     # 32: sizeof(struct bpf_hdr) on amd64


class bpf_hdr(NamedTuple):
    bh_tstamp: timeval
    bh_caplen: int
    bh_datalen: int
    bh_hdrlen: int

    def pack(self) -> bytes:
        """The 26 bytes of the header (the record's padding up to bh_hdrlen is
        the writer's business)."""
        return _hdr.pack(self.bh_tstamp.tv_sec, self.bh_tstamp.tv_usec, self.bh_caplen,
                         self.bh_datalen, self.bh_hdrlen)

    @classmethod
    def unpack(cls, data: bytes, off: int = 0) -> "bpf_hdr":
        if off < 0 or len(data) - off < _hdr.size:
            raise ValueError("bpf_hdr: truncated")
        sec, usec, caplen, datalen, hdrlen = _hdr.unpack_from(data, off)
        return cls(timeval(sec, usec), caplen, datalen, hdrlen)


BPF_HDR_PACKED = _hdr.size        # 26


def bpf_records(buf: bytes) -> list[tuple[bpf_hdr, bytes]]:
    """Split what a read(2) of /dev/bpf returned into (header, packet) pairs
    (the walk of libpcap's pcap_read_bpf).  Raises ValueError on a bad buffer."""
    out = []
    off = 0
    n = len(buf)
    while off < n:
        h = bpf_hdr.unpack(buf, off)
        start = off + h.bh_hdrlen
        end = start + h.bh_caplen
        if h.bh_hdrlen < BPF_HDR_PACKED or end > n:
            raise ValueError("bpf record: bad lengths")
        out.append((h, bytes(buf[start:end])))
        off = BPF_WORDALIGN(end)
    return out


# -- struct bpf_stat, bpf_version, bpf_dltlist ------------------------------------------
@dataclass
class bpf_stat:
    """BIOCGSTATS: packets that passed the direction check (``bs_recv``) and
    packets dropped because both buffers were full (``bs_drop``)."""

    bs_recv: int = 0
    bs_drop: int = 0


@dataclass
class bpf_version:
    bv_major: int = BPF_MAJOR_VERSION
    bv_minor: int = BPF_MINOR_VERSION


@dataclass
class bpf_dltlist:
    """BIOCGDLTLIST: ``bfl_len`` is the room the caller has, the kernel fills ``bfl_list``."""

    bfl_len: int = 0
    bfl_list: list[int] = field(default_factory=list)


# -- ioctls -----------------------------------------------------------------------------
SIZEOF_U_INT = 4
SIZEOF_BPF_PROGRAM = 16           # u_int + padding + pointer
SIZEOF_TIMEVAL = 16
SIZEOF_BPF_STAT = 8
SIZEOF_BPF_VERSION = 4
SIZEOF_BPF_DLTLIST = 16

BIOCGBLEN = _IOR("B", 102, SIZEOF_U_INT)              # 0x40044266
BIOCSBLEN = _IOWR("B", 102, SIZEOF_U_INT)             # 0xc0044266
BIOCSETF = _IOW("B", 103, SIZEOF_BPF_PROGRAM)         # 0x80104267
BIOCFLUSH = _IO("B", 104)                             # 0x20004268
BIOCPROMISC = _IO("B", 105)                           # 0x20004269
BIOCGDLT = _IOR("B", 106, SIZEOF_U_INT)               # 0x4004426a
BIOCGETIF = _IOR("B", 107, SIZEOF_IFREQ)              # 0x4020426b
BIOCSETIF = _IOW("B", 108, SIZEOF_IFREQ)              # 0x8020426c
BIOCSRTIMEOUT = _IOW("B", 109, SIZEOF_TIMEVAL)        # 0x8010426d
BIOCGRTIMEOUT = _IOR("B", 110, SIZEOF_TIMEVAL)        # 0x4010426e
BIOCGSTATS = _IOR("B", 111, SIZEOF_BPF_STAT)          # 0x4008426f
BIOCIMMEDIATE = _IOW("B", 112, SIZEOF_U_INT)          # 0x80044270
BIOCVERSION = _IOR("B", 113, SIZEOF_BPF_VERSION)      # 0x40044271
BIOCGRSIG = _IOR("B", 114, SIZEOF_U_INT)              # 0x40044272
BIOCSRSIG = _IOW("B", 115, SIZEOF_U_INT)              # 0x80044273
BIOCGHDRCMPLT = _IOR("B", 116, SIZEOF_U_INT)          # 0x40044274
BIOCSHDRCMPLT = _IOW("B", 117, SIZEOF_U_INT)          # 0x80044275
BIOCGDIRECTION = _IOR("B", 118, SIZEOF_U_INT)         # 0x40044276
BIOCSDIRECTION = _IOW("B", 119, SIZEOF_U_INT)         # 0x80044277
BIOCSDLT = _IOW("B", 120, SIZEOF_U_INT)               # 0x80044278
BIOCGDLTLIST = _IOWR("B", 121, SIZEOF_BPF_DLTLIST)    # 0xc0104279
BIOCLOCK = _IO("B", 122)                              # 0x2000427a
BIOCSETWF = _IOW("B", 123, SIZEOF_BPF_PROGRAM)        # 0x8010427b
BIOCFEEDBACK = _IOW("B", 124, SIZEOF_U_INT)           # 0x8004427c
BIOCGSEESENT = BIOCGDIRECTION                         # obsolete names
BIOCSSEESENT = BIOCSDIRECTION
