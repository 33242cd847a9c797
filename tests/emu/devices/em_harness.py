"""A test harness that acts as the em driver: registers and DMA rings by hand.

The register offsets and descriptor layouts here are transcribed from
``docs/hw/em.md`` on purpose (not imported from ``emu.devices.em_regs``), so
the tests check the model against the datasheet, not against itself.
"""
from __future__ import annotations

import struct
from typing import Optional

from emu.devices.em import E1000
from emu.machine import Machine
from emu.sched import Scheduler

# §2 register map
CTRL, STATUS, EERD, CTRL_EXT = 0x0000, 0x0008, 0x0014, 0x0018
ICR, ITR, ICS, IMS, IMC = 0x00C0, 0x00C4, 0x00C8, 0x00D0, 0x00D8
RCTL, TCTL, TIPG = 0x0100, 0x0400, 0x0410
RDBAL, RDBAH, RDLEN, RDH, RDT, RDTR = 0x2800, 0x2804, 0x2808, 0x2810, 0x2818, 0x2820
TDBAL, TDBAH, TDLEN, TDH, TDT = 0x3800, 0x3804, 0x3808, 0x3810, 0x3818
CRCERRS, MPC, RNBC, GPRC, BPRC, MPRC, GPTC = 0x4000, 0x4010, 0x40A0, 0x4074, 0x4078, 0x407C, 0x4080
GORCL, GORCH, GOTCL, GOTCH, TPR, TPT = 0x4088, 0x408C, 0x4090, 0x4094, 0x40D0, 0x40D4
MTA0 = 0x5200


def RAL(n: int) -> int:
    return 0x5400 + 8 * n


def RAH(n: int) -> int:
    return 0x5404 + 8 * n


AV = 1 << 31
# §3.1 CTRL
CTRL_LRST, CTRL_SLU, CTRL_RST = 1 << 3, 1 << 6, 1 << 26
# §3.2 STATUS
STATUS_LU = 1 << 1
# §3.3 RCTL
RCTL_EN, RCTL_UPE, RCTL_MPE, RCTL_LPE = 1 << 1, 1 << 3, 1 << 4, 1 << 5
RCTL_BAM, RCTL_BSEX = 1 << 15, 1 << 25


def RCTL_RDMTS(x: int) -> int:
    return x << 8


def RCTL_MO(x: int) -> int:
    return x << 12


def RCTL_BSIZE(x: int) -> int:
    return x << 16


# §3.4 TCTL
TCTL_EN, TCTL_PSP = 1 << 1, 1 << 3
# §6.1 causes
TXDW, TXQE, LSC, RXDMT0, RXO, RXT0 = 1 << 0, 1 << 1, 1 << 2, 1 << 4, 1 << 6, 1 << 7
# §5.1 RX descriptor: addr, length, csum, status, errors, special
RXDESC = struct.Struct("<QHHBBH")
DD, EOP = 1 << 0, 1 << 1
# §7.1 TX descriptor: addr, length, cso, cmd, sta, css, special
TXDESC = struct.Struct("<QHBBBBH")
CMD_EOP, CMD_IFCS, CMD_IC, CMD_RS, CMD_DEXT = 1 << 0, 1 << 1, 1 << 2, 1 << 3, 1 << 5
STA_DD = 1 << 0

MAC = bytes.fromhex("02000000aa01")
PEER = bytes.fromhex("02000000bb02")


def frame(dst: bytes, src: bytes = PEER, size: int = 64, ethertype: int = 0x86DD) -> bytes:
    """An Ethernet frame (no CRC) of ``size`` bytes with a counting payload."""
    hdr = dst + src + ethertype.to_bytes(2, "big")
    return hdr + bytes((i & 0xFF) for i in range(size - len(hdr)))


def mac_bytes(text: str) -> bytes:
    return bytes(int(x, 16) for x in text.split(":"))


class FakePort:
    """The wire as the device sees it: ``transmit`` and ``link_up``."""

    def __init__(self, sched: Scheduler, link_up: bool = True) -> None:
        self.sched = sched
        self.link_up = link_up
        self.sent: list[bytes] = []
        self.peer: Optional[E1000] = None

    def transmit(self, data: bytes) -> bool:
        if not self.link_up:
            return False
        self.sent.append(data)
        if self.peer is not None:
            self.sched.call_later(1000, self.peer.receive_frame, data)
        return True


class Host:
    """One machine with one em, driven by hand as a driver would."""

    def __init__(self, sched: Optional[Scheduler] = None, mac: bytes = MAC,
                 mem_size: int = 2 << 20, connect: bool = True) -> None:
        self.sched = sched or Scheduler()
        self.machine = Machine(self.sched, "h", mem_size)
        self.dev = E1000(mac=mac)
        self.machine.plug(self.dev)
        self.mem = self.machine.mem
        self.ram = self.mem.ram
        self.port = FakePort(self.sched)
        if connect:
            self.dev.connect(self.port)
            self.r(ICR)              # the cable went in: discard that LSC
        self.rx_ring = 0
        self.rx_n = 0
        self.rx_bufs: list[int] = []
        self.tx_ring = 0
        self.tx_n = 0
        self.tx_tail = 0

    # registers
    def r(self, off: int) -> int:
        return self.dev.mmio_read(off)

    def w(self, off: int, val: int) -> None:
        self.dev.mmio_write(off, val)

    # RX ring
    def setup_rx(self, n: int = 8, bufsize: int = 2048, rctl: int = RCTL_EN | RCTL_BAM,
                 tail: Optional[int] = None) -> None:
        self.rx_n = n
        self.rx_ring = self.mem.alloc(n * 16, 128)
        self.rx_bufs = [self.mem.alloc(bufsize, 16) for _ in range(n)]
        for i, b in enumerate(self.rx_bufs):
            RXDESC.pack_into(self.ram, self.rx_ring + 16 * i, b, 0, 0, 0, 0, 0)
        self.w(RDBAL, self.rx_ring & 0xFFFF_FFFF)
        self.w(RDBAH, self.rx_ring >> 32)
        self.w(RDLEN, n * 16)
        self.w(RDH, 0)
        self.w(RDT, n - 1 if tail is None else tail)
        self.w(RCTL, rctl)

    def rxd(self, i: int) -> tuple[int, int, int, int, int, int]:
        return RXDESC.unpack_from(self.ram, self.rx_ring + 16 * i)

    def rx_data(self, i: int, length: int) -> bytes:
        b = self.rx_bufs[i]
        return bytes(self.ram[b:b + length])

    def set_rxd_addr(self, i: int, addr: int) -> None:
        struct.pack_into("<Q", self.ram, self.rx_ring + 16 * i, addr)

    def deliver(self, data: bytes) -> None:
        self.dev.receive_frame(data)

    # TX ring
    def setup_tx(self, n: int = 8, tctl: int = TCTL_EN | TCTL_PSP) -> None:
        self.tx_n = n
        self.tx_ring = self.mem.alloc(n * 16, 128)
        self.w(TDBAL, self.tx_ring & 0xFFFF_FFFF)
        self.w(TDBAH, self.tx_ring >> 32)
        self.w(TDLEN, n * 16)
        self.w(TDH, 0)
        self.w(TDT, 0)
        self.tx_tail = 0
        self.w(TCTL, tctl)

    def put_txd(self, data: bytes, cmd: int, addr: Optional[int] = None) -> int:
        """Write one descriptor at the software tail; returns its index (no doorbell)."""
        if addr is None:
            addr = self.mem.alloc(max(1, len(data)), 16)
            self.ram[addr:addr + len(data)] = data
        i = self.tx_tail
        TXDESC.pack_into(self.ram, self.tx_ring + 16 * i, addr, len(data), 0, cmd, 0, 0, 0)
        self.tx_tail = (i + 1) % self.tx_n
        return i

    def txd(self, i: int) -> tuple[int, int, int, int, int, int, int]:
        return TXDESC.unpack_from(self.ram, self.tx_ring + 16 * i)

    def send(self, data: bytes, cmd: int = CMD_EOP | CMD_IFCS | CMD_RS) -> int:
        i = self.put_txd(data, cmd)
        self.w(TDT, self.tx_tail)
        return i
