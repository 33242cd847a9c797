"""Register and bit definitions of the re (RealTek RTL8169 family) device model.

Transcribed from ``docs/hw/re.md`` (the datasheet of the model); section
numbers in the comments are that page's.  The driver ``drivers/if_re.py``
carries its own transcription of the same page; the two must agree.

The register file is data: :data:`REGISTERS` lists every implemented register
with its name, offset, width in bytes, reset value, the bits a write stores
and how a write acts (§2); ``emu/devices/re.py`` turns it into the reset
image and the per-(offset, size) access plans of the device.
"""
from __future__ import annotations

import struct
from typing import NamedTuple

# -- §1 identity ------------------------------------------------------------------
PCI_VENDOR_REALTEK = 0x10EC
PCI_DEVICE_8169 = 0x8169
PCI_REVISION_8169S = 0x10
PCI_CLASS_ETHERNET = 0x020000
BAR0_SIZE = 0x100

# -- §2 register offsets ------------------------------------------------------------
IDR0 = 0x00           # IDR0..IDR5: 0x00..0x05, byte registers
MAR0 = 0x08           # MAR0..MAR7: 0x08..0x0F, byte registers
DTCCR_LO = 0x10       # dump tally counter command, low dword (§3.9)
DTCCR_HI = 0x14
TNPDS_LO = 0x20       # TX normal-priority descriptor start
TNPDS_HI = 0x24
THPDS_LO = 0x28       # TX high-priority descriptor start (stored only)
THPDS_HI = 0x2C
CHIPCMD = 0x37
TXPOLL = 0x38
INTRMASK = 0x3C
INTRSTATUS = 0x3E
TXCONFIG = 0x40
RXCONFIG = 0x44
MPC = 0x4C
CR9346 = 0x50
PHYSTATUS = 0x6C
RXMAXSIZE = 0xDA
CPLUSCMD = 0xE0
INTRMITIGATE = 0xE2
RDSAR_LO = 0xE4       # RX descriptor start
RDSAR_HI = 0xE8
MTPS = 0xEC           # max transmit packet size

# -- §3.1 ChipCmd ---------------------------------------------------------------------
CMD_BUFE = 1 << 0
CMD_TE = 1 << 2
CMD_RE = 1 << 3
CMD_RST = 1 << 4

# -- §3.2 TxPoll ----------------------------------------------------------------------
TXPOLL_FSWINT = 1 << 0
TXPOLL_NPQ = 1 << 6
TXPOLL_HPQ = 1 << 7

# -- §3.3 TxConfig: the hardware version bits are read-only --------------------------
TXCFG_HWREV_MASK = 0x7CC0_0000
HWREV_8169S = 0x0080_0000
TXCFG_WMASK = 0x033F_FFFF

# -- §3.4 RxConfig accept bits --------------------------------------------------------
RXCFG_AAP = 1 << 0
RXCFG_APM = 1 << 1
RXCFG_AM = 1 << 2
RXCFG_AB = 1 << 3
RXCFG_AR = 1 << 4
RXCFG_AER = 1 << 5
RXCFG_WMASK = 0x0000_FF3F

# -- §3.5 9346CR ----------------------------------------------------------------------
EEM_MASK = 0xC0
EEM_CONFIG_WRITE = 0xC0      # EEM = 11: IDR0-5 writable
CR9346_WMASK = 0xCE          # EEM, EECS, EESK, EEDI; EEDO (bit 0) reads 0

# -- §3.6 PHYstatus -------------------------------------------------------------------
PHY_FULLDUP = 1 << 0
PHY_LINKSTS = 1 << 1
PHY_10M = 1 << 2
PHY_100M = 1 << 3
PHY_1000MF = 1 << 4

# -- §3.7 sizes -----------------------------------------------------------------------
RXMAXSIZE_MASK = 0x3FFF
MTPS_MASK = 0x3F
MTPS_UNIT = 128
MTPS_RESET = 0x3F
TX_MAX_FRAME = 16383          # longest frame the transmitter gathers (§7.2)

# -- §3.8 MPC -------------------------------------------------------------------------
MPC_MAX = 0xFF_FFFF           # 24-bit counter

# -- §3.9 DTCCR and the tally counters ---------------------------------------------------
DTCCR_CMD = 1 << 3
DTCCR_ADDR_MASK = 0xFFFF_FFC0
TALLY_SIZE = 64
# tx_ok, rx_ok, tx_err, rx_err, missed, align_err, tx_one_col, tx_multi_col,
# rx_unicast, rx_broadcast, rx_multicast, tx_abort, tx_underrun
TALLY = struct.Struct("<QQQIHHIIQQIHH")
TALLY_FIELDS = ("tx_ok", "rx_ok", "tx_err", "rx_err", "missed", "align_err",
                "tx_one_col", "tx_multi_col", "rx_unicast", "rx_broadcast",
                "rx_multicast", "tx_abort", "tx_underrun")
TALLY_WIDTHS = (64, 64, 64, 32, 16, 16, 32, 32, 64, 64, 32, 16, 16)
(T_TX_OK, T_RX_OK, T_TX_ERR, T_RX_ERR, T_MISSED, T_ALIGN_ERR, T_TX_ONE_COL,
 T_TX_MULTI_COL, T_RX_UNICAST, T_RX_BROADCAST, T_RX_MULTICAST, T_TX_ABORT,
 T_TX_UNDERRUN) = range(13)

# -- §4 descriptors -----------------------------------------------------------------------
DESC_SIZE = 16
DESC = struct.Struct("<IIQ")      # opts1, opts2, buffer address
DESC_OWN = 1 << 31
DESC_EOR = 1 << 30
DESC_FS = 1 << 29
DESC_LS = 1 << 28
RX_BUFSIZE_MASK = 0x3FFF          # opts1 13:0 as the driver hands it over
RX_LENGTH_MASK = 0x3FFF           # opts1 13:0 as the NIC writes it back
RX_MAR = 1 << 27                  # multicast
RX_PAM = 1 << 26                  # physical address matched
RX_BAR = 1 << 25                  # broadcast
RX_RES = 1 << 21                  # receive error summary
TX_LENGTH_MASK = 0xFFFF
TX_LINKFAIL = 1 << 21
TX_TXERRSUM = 1 << 23
RING_MAX = 1024                   # descriptors the NIC addresses without EOR (§4.3)
RING_ALIGN = 256

# -- §5 receive ---------------------------------------------------------------------------
ETHER_CRC_LEN = 4
RX_MIN_FRAME = 14
TX_MIN_FRAME = 60

# -- §6 interrupt causes ------------------------------------------------------------------
ISR_ROK = 1 << 0
ISR_RER = 1 << 1
ISR_TOK = 1 << 2
ISR_TER = 1 << 3
ISR_RDU = 1 << 4
ISR_LINKCHG = 1 << 5
ISR_FOVW = 1 << 6
ISR_TDU = 1 << 7
ISR_SWINT = 1 << 8
ISR_TIMEOUT = 1 << 14
ISR_SERR = 1 << 15
ISR_MASK = 0xC1FF                 # the defined bits; the others read 0


# -- §2 the register table --------------------------------------------------------------
# How a write acts on a register (the "access" column of §2).
RW = "RW"          # the bits of wmask are stored
W1C = "W1C"        # a 1 clears the bit
RO = "RO"          # writes ignored
WC = "WC"          # any write clears the whole register (MPC)
WO = "WO"          # write-only command register: reads 0


class Reg(NamedTuple):
    """One implemented register: name, offset, width (bytes), reset, stored bits, access."""

    name: str
    offset: int
    width: int
    reset: int
    wmask: int
    access: str


_M32 = 0xFFFF_FFFF

REGISTERS: tuple[Reg, ...] = (
    *(Reg(f"IDR{i}", IDR0 + i, 1, 0, 0xFF, RW) for i in range(6)),
    *(Reg(f"MAR{i}", MAR0 + i, 1, 0, 0xFF, RW) for i in range(8)),
    Reg("DTCCR_LO", DTCCR_LO, 4, 0, DTCCR_ADDR_MASK | DTCCR_CMD, RW),
    Reg("DTCCR_HI", DTCCR_HI, 4, 0, _M32, RW),
    Reg("TNPDS_LO", TNPDS_LO, 4, 0, 0xFFFF_FF00, RW),
    Reg("TNPDS_HI", TNPDS_HI, 4, 0, _M32, RW),
    Reg("THPDS_LO", THPDS_LO, 4, 0, 0xFFFF_FF00, RW),
    Reg("THPDS_HI", THPDS_HI, 4, 0, _M32, RW),
    Reg("ChipCmd", CHIPCMD, 1, 0, CMD_RE | CMD_TE, RW),
    Reg("TxPoll", TXPOLL, 1, 0, 0, WO),
    Reg("IntrMask", INTRMASK, 2, 0, ISR_MASK, RW),
    Reg("IntrStatus", INTRSTATUS, 2, 0, ISR_MASK, W1C),
    Reg("TxConfig", TXCONFIG, 4, HWREV_8169S, TXCFG_WMASK, RW),
    Reg("RxConfig", RXCONFIG, 4, 0, RXCFG_WMASK, RW),
    Reg("MPC", MPC, 4, 0, 0, WC),
    Reg("9346CR", CR9346, 1, 0, CR9346_WMASK, RW),
    Reg("PHYstatus", PHYSTATUS, 1, 0, 0, RO),
    Reg("RxMaxSize", RXMAXSIZE, 2, 0, RXMAXSIZE_MASK, RW),
    Reg("CPlusCmd", CPLUSCMD, 2, 0, 0xFFFF, RW),
    Reg("IntrMitigate", INTRMITIGATE, 2, 0, 0xFFFF, RW),
    Reg("RDSAR_LO", RDSAR_LO, 4, 0, 0xFFFF_FF00, RW),
    Reg("RDSAR_HI", RDSAR_HI, 4, 0, _M32, RW),
    Reg("MTPS", MTPS, 1, MTPS_RESET, MTPS_MASK, RW),
)

# §8: what ChipCmd.RST leaves alone (IDR, MAR and the descriptor start addresses
# keep their values; everything else returns to its reset value).
RST_KEEPS = frozenset(
    [IDR0 + i for i in range(6)] + [MAR0 + i for i in range(8)]
    + [TNPDS_LO, TNPDS_HI, THPDS_LO, THPDS_HI, RDSAR_LO, RDSAR_HI, DTCCR_LO, DTCCR_HI])
