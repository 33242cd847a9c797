"""Register and bit definitions of the em (Intel 8254x) device model.

Transcribed from ``docs/hw/em.md`` (the datasheet of the model); section
numbers in the comments are that page's.  The driver ``drivers/if_em.py``
carries its own transcription of the same page; the two must agree.

The register file is data: :data:`REGISTERS` lists every implemented register
with its name, reset value and write mask; ``emu/devices/em.py`` turns it into
the reset table and the read/write op tables of the device.
"""
from __future__ import annotations

import struct
from typing import NamedTuple

# -- §1 identity ------------------------------------------------------------
PCI_VENDOR_INTEL = 0x8086
PCI_DEVICE_82540EM = 0x100E
PCI_CLASS_ETHERNET = 0x020000
BAR0_SIZE = 0x20000

# -- §2 register offsets ----------------------------------------------------
CTRL = 0x0000
STATUS = 0x0008
EERD = 0x0014
CTRL_EXT = 0x0018
ICR = 0x00C0
ITR = 0x00C4
ICS = 0x00C8
IMS = 0x00D0
IMC = 0x00D8
RCTL = 0x0100
TCTL = 0x0400
TIPG = 0x0410
RDBAL = 0x2800
RDBAH = 0x2804
RDLEN = 0x2808
RDH = 0x2810
RDT = 0x2818
RDTR = 0x2820
TDBAL = 0x3800
TDBAH = 0x3804
TDLEN = 0x3808
TDH = 0x3810
TDT = 0x3818
CRCERRS = 0x4000
MPC = 0x4010
GPRC = 0x4074
BPRC = 0x4078
MPRC = 0x407C
GPTC = 0x4080
GORCL = 0x4088
GORCH = 0x408C
GOTCL = 0x4090
GOTCH = 0x4094
RNBC = 0x40A0
TPR = 0x40D0
TPT = 0x40D4
MTA = 0x5200          # MTA[0..127]: 0x5200 .. 0x53FC
MTA_COUNT = 128
RAL0 = 0x5400         # RAL[n] = 0x5400 + 8n, RAH[n] = 0x5404 + 8n
RAH0 = 0x5404
RA_COUNT = 16
REG_END = RAL0 + 8 * RA_COUNT   # one past the last implemented register


def RAL(n: int) -> int:
    return RAL0 + 8 * n


def RAH(n: int) -> int:
    return RAH0 + 8 * n


# -- §3.1 CTRL ----------------------------------------------------------------
CTRL_FD = 1 << 0
CTRL_LRST = 1 << 3
CTRL_ASDE = 1 << 5
CTRL_SLU = 1 << 6
CTRL_RST = 1 << 26
CTRL_PHY_RST = 1 << 31

# -- §3.2 STATUS --------------------------------------------------------------
STATUS_FD = 1 << 0
STATUS_LU = 1 << 1
STATUS_TXOFF = 1 << 4
STATUS_SPEED_1000 = 2 << 6

# -- §3.3 RCTL ----------------------------------------------------------------
RCTL_EN = 1 << 1
RCTL_SBP = 1 << 2
RCTL_UPE = 1 << 3
RCTL_MPE = 1 << 4
RCTL_LPE = 1 << 5
RCTL_RDMTS_SHIFT = 8
RCTL_RDMTS_MASK = 3 << RCTL_RDMTS_SHIFT
RCTL_MO_SHIFT = 12
RCTL_MO_MASK = 3 << RCTL_MO_SHIFT
RCTL_BAM = 1 << 15
RCTL_BSIZE_SHIFT = 16
RCTL_BSIZE_MASK = 3 << RCTL_BSIZE_SHIFT
RCTL_BSEX = 1 << 25
RCTL_SECRC = 1 << 26

# BSIZE field -> buffer bytes, without and with BSEX (§3.3; BSEX with 00 is
# reserved and reads as 2048).
RX_BUFSIZE = (2048, 1024, 512, 256)
RX_BUFSIZE_BSEX = (2048, 16384, 8192, 4096)
# MO field -> right shift of the 16-bit word a[5]:a[4] giving the 12-bit hash (§5.3).
MTA_SHIFT = (4, 3, 2, 0)

RX_MAX_FRAME = 1522          # without LPE (§5.2 step 2)
RX_MAX_FRAME_LPE = 16384     # with LPE
RX_MIN_FRAME = 14            # shorter: runt

# -- §3.4 TCTL ----------------------------------------------------------------
TCTL_EN = 1 << 1
TCTL_PSP = 1 << 3
TCTL_CT_SHIFT = 4
TCTL_COLD_SHIFT = 12

TX_MIN_FRAME = 60            # PSP pads to this (without CRC)
TX_MAX_FRAME = 16288         # longer: dropped as "tx bad length" (§7.2)

# -- §4 EEPROM / EERD -----------------------------------------------------------
EERD_START = 1 << 0
EERD_DONE = 1 << 4
EERD_ADDR_SHIFT = 8
EERD_ADDR_MASK = 0xFF << EERD_ADDR_SHIFT
EERD_DATA_SHIFT = 16
EEPROM_WORDS = 64
EEPROM_CHECKSUM_WORD = 0x3F
EEPROM_SUM = 0xBABA

# -- §5.1 receive descriptor ------------------------------------------------------
RXD_STAT_DD = 1 << 0
RXD_STAT_EOP = 1 << 1
RXD_ERR_CE = 1 << 0
RXD_ERR_RXE = 1 << 7
DESC_SIZE = 16
# buffer address (Q) at 0; write-back: length, csum, status, errors, special at 8
RXD_ADDR = struct.Struct("<Q")
RXD_WB = struct.Struct("<HHBBH")
RXD_WB_OFF = 8

# -- §6.1 interrupt causes --------------------------------------------------------
ICR_TXDW = 1 << 0
ICR_TXQE = 1 << 1
ICR_LSC = 1 << 2
ICR_RXDMT0 = 1 << 4
ICR_RXO = 1 << 6
ICR_RXT0 = 1 << 7

ITR_UNIT_NS = 256            # §6.3
RDTR_UNIT_NS = 1024          # §3/§6.1: 1.024 µs

# -- §7.1 transmit descriptor -----------------------------------------------------
TXD_CMD_EOP = 1 << 0
TXD_CMD_IFCS = 1 << 1
TXD_CMD_IC = 1 << 2
TXD_CMD_RS = 1 << 3
TXD_CMD_DEXT = 1 << 5
TXD_STAT_DD = 1 << 0
TXD_STA_OFF = 12
# addr, length, cso, cmd (the first 12 bytes; sta/css/special are not needed)
TXD = struct.Struct("<QHBB")


# -- §2 the register table ---------------------------------------------------------
class Reg(NamedTuple):
    """One implemented register: name, offset, reset value, bits a write stores."""

    name: str
    offset: int
    reset: int
    wmask: int


_M32 = 0xFFFF_FFFF

REGISTERS: tuple[Reg, ...] = (
    Reg("CTRL", CTRL, CTRL_SLU, _M32 & ~(CTRL_RST | CTRL_PHY_RST)),
    Reg("STATUS", STATUS, 0, 0),                 # computed on read (§3.2)
    Reg("EERD", EERD, 0, _M32),
    Reg("CTRL_EXT", CTRL_EXT, 0, _M32),
    Reg("ICR", ICR, 0, 0),
    Reg("ITR", ITR, 0, 0xFFFF),
    Reg("ICS", ICS, 0, 0),
    Reg("IMS", IMS, 0, 0),
    Reg("IMC", IMC, 0, 0),
    Reg("RCTL", RCTL, 0, _M32),
    Reg("TCTL", TCTL, 0, _M32),
    Reg("TIPG", TIPG, 0, _M32),
    Reg("RDBAL", RDBAL, 0, 0xFFFF_FFF0),
    Reg("RDBAH", RDBAH, 0, _M32),
    Reg("RDLEN", RDLEN, 0, 0x000F_FF80),
    Reg("RDH", RDH, 0, 0xFFFF),
    Reg("RDT", RDT, 0, 0xFFFF),
    Reg("RDTR", RDTR, 0, 0xFFFF),
    Reg("TDBAL", TDBAL, 0, 0xFFFF_FFF0),
    Reg("TDBAH", TDBAH, 0, _M32),
    Reg("TDLEN", TDLEN, 0, 0x000F_FF80),
    Reg("TDH", TDH, 0, 0xFFFF),
    Reg("TDT", TDT, 0, 0xFFFF),
    *(Reg(f"MTA{i}", MTA + 4 * i, 0, _M32) for i in range(MTA_COUNT)),
    *(r for n in range(RA_COUNT)
      for r in (Reg(f"RAL{n}", RAL(n), 0, _M32), Reg(f"RAH{n}", RAH(n), 0, 0x8000_FFFF))),
)
RAH_AV = 1 << 31

# Statistics (§2): read-to-clear, writes ignored.  The octet counters are
# 64 bits: the low half reads without clearing, reading the high half clears.
STAT_REGS: dict[int, str] = {
    CRCERRS: "CRCERRS", MPC: "MPC", GPRC: "GPRC", BPRC: "BPRC", MPRC: "MPRC",
    GPTC: "GPTC", RNBC: "RNBC", TPR: "TPR", TPT: "TPT",
}
STAT64_REGS: dict[int, str] = {GORCL: "GORC", GOTCL: "GOTC"}
