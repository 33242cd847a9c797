"""A test harness that acts as the re driver: registers and OWN-bit rings by hand.

The register offsets, bits and descriptor layouts here are transcribed from
``docs/hw/re.md`` on purpose (not imported from ``emu.devices.re_regs``), so
the tests check the model against the datasheet, not against itself.
"""
from __future__ import annotations

import struct
import zlib
from typing import Optional

from emu.devices.re import RTL8169
from emu.machine import Machine
from emu.sched import Scheduler

# §2 register map
IDR0, MAR0, DTCCR_LO, DTCCR_HI = 0x00, 0x08, 0x10, 0x14
TNPDS_LO, TNPDS_HI, THPDS_LO, THPDS_HI = 0x20, 0x24, 0x28, 0x2C
CHIPCMD, TXPOLL, INTRMASK, INTRSTATUS = 0x37, 0x38, 0x3C, 0x3E
TXCONFIG, RXCONFIG, MPC, CR9346, PHYSTATUS = 0x40, 0x44, 0x4C, 0x50, 0x6C
RXMAXSIZE, CPLUSCMD, INTRMITIGATE, RDSAR_LO, RDSAR_HI, MTPS = 0xDA, 0xE0, 0xE2, 0xE4, 0xE8, 0xEC
# §3.1 ChipCmd
CMD_TE, CMD_RE, CMD_RST = 1 << 2, 1 << 3, 1 << 4
# §3.2 TxPoll
FSWINT, NPQ, HPQ = 1 << 0, 1 << 6, 1 << 7
# §3.4 RxConfig
AAP, APM, AM, AB = 1 << 0, 1 << 1, 1 << 2, 1 << 3
# §3.5 9346CR
EEM_CONFIG_WRITE = 0xC0
# §3.6 PHYstatus
FULLDUP, LINKSTS, SPEED_1000 = 1 << 0, 1 << 1, 1 << 4
# §3.9 DTCCR
DTCCR_CMD = 1 << 3
TALLY = struct.Struct("<QQQIHHIIQQIHH")
# §4 descriptors: opts1, opts2, buffer address
DESC = struct.Struct("<IIQ")
OWN, EOR, FS, LS = 1 << 31, 1 << 30, 1 << 29, 1 << 28
MAR_BIT, PAM, BAR, RES = 1 << 27, 1 << 26, 1 << 25, 1 << 21
RX_LEN = 0x3FFF
TXERRSUM, LINKFAIL = 1 << 23, 1 << 21
# §6.1 causes
ROK, RER, TOK, TER, RDU, LINKCHG = 1 << 0, 1 << 1, 1 << 2, 1 << 3, 1 << 4, 1 << 5
FOVW, TDU, SWINT, SERR = 1 << 6, 1 << 7, 1 << 8, 1 << 15

MAC = bytes.fromhex("02000000aa01")
PEER = bytes.fromhex("02000000bb02")
BROADCAST = b"\xff" * 6


def frame(dst: bytes, src: bytes = PEER, size: int = 64, ethertype: int = 0x86DD) -> bytes:
    """An Ethernet frame (no CRC) of ``size`` bytes with a counting payload."""
    hdr = dst + src + ethertype.to_bytes(2, "big")
    return hdr + bytes((i & 0xFF) for i in range(size - len(hdr)))


def with_crc(f: bytes) -> bytes:
    """§5.3: the frame as stored: followed by its FCS, least significant byte first."""
    return f + zlib.crc32(f).to_bytes(4, "little")


def crc32_be_hash(addr: bytes) -> int:
    """§5.2, the datasheet's loop: top 6 bits of the big-endian CRC-32."""
    crc = 0xFFFF_FFFF
    for byte in addr:
        for bit in range(8):
            carry = (crc >> 31) ^ ((byte >> bit) & 1)
            crc = (crc << 1) & 0xFFFF_FFFF
            if carry:
                crc ^= 0x04C1_1DB7
    return crc >> 26


class FakePort:
    """The wire as the device sees it: ``transmit`` and ``link_up``."""

    def __init__(self, sched: Scheduler, link_up: bool = True) -> None:
        self.sched = sched
        self.link_up = link_up
        self.sent: list[bytes] = []
        self.peer: Optional[RTL8169] = None

    def transmit(self, data: bytes) -> bool:
        if not self.link_up:
            return False
        self.sent.append(data)
        if self.peer is not None:
            self.sched.call_later(1000, self.peer.receive_frame, data)
        return True


class Host:
    """One machine with one re, driven by hand as a driver would."""

    def __init__(self, sched: Optional[Scheduler] = None, mac: bytes = MAC,
                 mem_size: int = 2 << 20, connect: bool = True) -> None:
        self.sched = sched or Scheduler()
        self.machine = Machine(self.sched, "h", mem_size)
        self.dev = RTL8169(mac)
        self.machine.plug(self.dev)
        self.mem = self.machine.mem
        self.ram = self.mem.ram
        self.port = FakePort(self.sched)
        if connect:
            self.dev.connect(self.port)
            self.w2(INTRSTATUS, 0xFFFF)      # the cable went in: discard that LinkChg
        self.rx_ring = 0
        self.rx_n = 0
        self.rx_bufs: list[int] = []
        self.rx_bufsize = 0
        self.tx_ring = 0
        self.tx_n = 0
        self.tx_prod = 0

    # registers, by width (§2.1)
    def r1(self, off: int) -> int:
        return self.dev.mmio_read_1(off)

    def r2(self, off: int) -> int:
        return self.dev.mmio_read_2(off)

    def r4(self, off: int) -> int:
        return self.dev.mmio_read(off)

    def w1(self, off: int, val: int) -> None:
        self.dev.mmio_write_1(off, val)

    def w2(self, off: int, val: int) -> None:
        self.dev.mmio_write_2(off, val)

    def w4(self, off: int, val: int) -> None:
        self.dev.mmio_write(off, val)

    # RX ring
    def setup_rx(self, n: int = 8, bufsize: int = 2048, rxconfig: int = APM | AB,
                 rms: int = 1522, owned: Optional[int] = None) -> None:
        """A ring of ``n`` descriptors, EOR on the last; the first ``owned`` handed over."""
        self.rx_n = n
        self.rx_bufsize = bufsize
        self.rx_ring = self.mem.alloc(n * 16, 256)
        self.rx_bufs = [self.mem.alloc(max(bufsize, 8), 8) for _ in range(n)]
        for i in range(n):
            self.give_rxd(i, own=owned is None or i < owned)
        self.w4(RDSAR_HI, self.rx_ring >> 32)
        self.w4(RDSAR_LO, self.rx_ring & 0xFFFF_FFFF)
        self.w2(RXMAXSIZE, rms)
        self.w4(RXCONFIG, rxconfig)
        self.w1(CHIPCMD, self.r1(CHIPCMD) | CMD_RE)

    def give_rxd(self, i: int, own: bool = True, bufsize: Optional[int] = None) -> None:
        """Hand RX descriptor ``i`` (back) to the NIC, as a driver does after reading it."""
        size = self.rx_bufsize if bufsize is None else bufsize
        opts1 = (OWN if own else 0) | (EOR if i == self.rx_n - 1 else 0) | size
        DESC.pack_into(self.ram, self.rx_ring + 16 * i, opts1, 0, self.rx_bufs[i])

    def rxd(self, i: int) -> tuple[int, int, int]:
        return DESC.unpack_from(self.ram, self.rx_ring + 16 * i)

    def rx_data(self, i: int, length: int) -> bytes:
        b = self.rx_bufs[i]
        return bytes(self.ram[b:b + length])

    def set_rxd_addr(self, i: int, addr: int) -> None:
        struct.pack_into("<Q", self.ram, self.rx_ring + 16 * i + 8, addr)

    def deliver(self, data: bytes) -> None:
        self.dev.receive_frame(data)

    # TX ring
    def setup_tx(self, n: int = 8) -> None:
        self.tx_n = n
        self.tx_ring = self.mem.alloc(n * 16, 256)
        for i in range(n):
            DESC.pack_into(self.ram, self.tx_ring + 16 * i, EOR if i == n - 1 else 0, 0, 0)
        self.w4(TNPDS_HI, self.tx_ring >> 32)
        self.w4(TNPDS_LO, self.tx_ring & 0xFFFF_FFFF)
        self.tx_prod = 0
        self.w1(CHIPCMD, self.r1(CHIPCMD) | CMD_TE)

    def put_txd(self, data: bytes, flags: int = FS | LS, own: bool = True,
                addr: Optional[int] = None) -> int:
        """Write one TX descriptor at the producer index; returns its index (no poll)."""
        if addr is None:
            addr = self.mem.alloc(max(1, len(data)), 8)
            self.ram[addr:addr + len(data)] = data
        i = self.tx_prod
        opts1 = (OWN if own else 0) | flags | (EOR if i == self.tx_n - 1 else 0) | len(data)
        DESC.pack_into(self.ram, self.tx_ring + 16 * i, opts1, 0, addr)
        self.tx_prod = (i + 1) % self.tx_n
        return i

    def txd(self, i: int) -> tuple[int, int, int]:
        return DESC.unpack_from(self.ram, self.tx_ring + 16 * i)

    def own_txd(self, i: int) -> None:
        opts1, opts2, addr = self.txd(i)
        DESC.pack_into(self.ram, self.tx_ring + 16 * i, opts1 | OWN, opts2, addr)

    def poll(self) -> None:
        self.w1(TXPOLL, NPQ)

    def send(self, data: bytes) -> int:
        i = self.put_txd(data)
        self.poll()
        return i

    # tally counters (§3.9)
    def dump_tally(self) -> tuple[int, ...]:
        addr = self.mem.alloc(64, 64)
        self.w4(DTCCR_HI, addr >> 32)
        self.w4(DTCCR_LO, (addr & 0xFFFF_FFC0) | DTCCR_CMD)
        return TALLY.unpack_from(self.ram, addr)
