"""em(4): driver for the Intel 8254x-class Gigabit Ethernet controller (sys/dev/e1000/if_lem.c).

Written against ``docs/hw/em.md`` (section numbers in comments are that
page's) and organised as FreeBSD's legacy em driver of the KAME era (FreeBSD 6
``if_em.c``, later ``if_lem.c``): ``em_probe``, ``em_attach``, ``em_init``,
``em_stop``, ``em_start``, ``em_intr`` with ``em_rxeof``/``em_txeof``,
``em_ioctl`` with ``em_set_multi``/``em_set_promisc``, and the 1 Hz
``em_local_timer`` that updates link and statistics, runs the TX watchdog and
re-triggers a receive interrupt.  ``struct adapter`` is :class:`em_softc`.

The driver sees the card only through what the bus hands it at attach: the
``bus_space`` handle of BAR0 (``read_4``/``write_4``), the ``bus_dma`` tag
(``dmamem_alloc``) and ``intr_establish``.  Its register definitions below are
its own transcription of the datasheet, deliberately not shared with the
device model: that the two agree is what ``tests/drivers`` proves.

Descriptor rings and packet buffers are allocated once at attach, one
2048-byte buffer per descriptor (a copying driver: ``m_devget`` on receive, a
copy into the descriptor's buffer on transmit).  Frames above a buffer (jumbo
MTU) span several descriptors, both ways.
"""
from __future__ import annotations

import struct
from functools import partial
from typing import Any, Optional

from kernel.kern.kern_timeout import HZ
from kernel.kern.subr_bus import BUS_PROBE_DEFAULT, ENXIO, device_t, driver_t
from kernel.kern.uipc_mbuf import m_devget
from drivers.ether_drv import (attach_error, ether_drv_detach, ether_drv_ioctl,
                               ether_link_down_news, ether_link_up, ether_setup_ifnet,
                               if_foreach_llmaddr, if_setdrvflags, pci_lookup, ring_tunable)
from kernel.net.if_var import ifnet
from kernel.wire import errno
from kernel.wire.ethernet import ETHER_CRC_LEN, ETHER_HDR_LEN, ETHERMTU
from kernel.wire.net_if import IFF, LinkState

# ---------------------------------------------------------------------------
# Registers and bits (docs/hw/em.md; FreeBSD's e1000_regs.h / e1000_defines.h)
# ---------------------------------------------------------------------------
# §1 identity
EM_VENDOR_ID = 0x8086
E1000_DEV_ID_82540EM = 0x100E

# §2 register map
E1000_CTRL = 0x0000
E1000_STATUS = 0x0008
E1000_EERD = 0x0014
E1000_CTRL_EXT = 0x0018
E1000_ICR = 0x00C0
E1000_ITR = 0x00C4
E1000_ICS = 0x00C8
E1000_IMS = 0x00D0
E1000_IMC = 0x00D8
E1000_RCTL = 0x0100
E1000_TCTL = 0x0400
E1000_TIPG = 0x0410
E1000_RDBAL = 0x2800
E1000_RDBAH = 0x2804
E1000_RDLEN = 0x2808
E1000_RDH = 0x2810
E1000_RDT = 0x2818
E1000_RDTR = 0x2820
E1000_TDBAL = 0x3800
E1000_TDBAH = 0x3804
E1000_TDLEN = 0x3808
E1000_TDH = 0x3810
E1000_TDT = 0x3818
E1000_CRCERRS = 0x4000
E1000_MPC = 0x4010
E1000_GPRC = 0x4074
E1000_BPRC = 0x4078
E1000_MPRC = 0x407C
E1000_GPTC = 0x4080
E1000_GORCL = 0x4088
E1000_GORCH = 0x408C
E1000_GOTCL = 0x4090
E1000_GOTCH = 0x4094
E1000_RNBC = 0x40A0
E1000_TPR = 0x40D0
E1000_TPT = 0x40D4
E1000_MTA = 0x5200               # MTA[0..127], 4096 bits (§5.3)
E1000_MTA_REGS = 128
E1000_RAR_ENTRIES = 16


def E1000_RAL(n: int) -> int:
    """Receive address low n: MAC bytes 0..3, byte 0 in bits 7:0 (§2)."""
    return 0x5400 + 8 * n


def E1000_RAH(n: int) -> int:
    """Receive address high n: MAC bytes 4..5 in bits 15:0, AV in bit 31 (§2)."""
    return 0x5404 + 8 * n


E1000_RAH_AV = 1 << 31

# §3.1 CTRL
E1000_CTRL_FD = 1 << 0
E1000_CTRL_LRST = 1 << 3
E1000_CTRL_ASDE = 1 << 5
E1000_CTRL_SLU = 1 << 6
E1000_CTRL_RST = 1 << 26
E1000_CTRL_PHY_RST = 1 << 31

# §3.2 STATUS
E1000_STATUS_FD = 1 << 0
E1000_STATUS_LU = 1 << 1
E1000_STATUS_TXOFF = 1 << 4
E1000_STATUS_SPEED_MASK = 3 << 6
E1000_STATUS_SPEED_1000 = 2 << 6

# §3.3 RCTL
E1000_RCTL_EN = 1 << 1
E1000_RCTL_SBP = 1 << 2
E1000_RCTL_UPE = 1 << 3
E1000_RCTL_MPE = 1 << 4
E1000_RCTL_LPE = 1 << 5
E1000_RCTL_RDMTS_HALF = 0 << 8
E1000_RCTL_MO_0 = 0 << 12          # hash = address bits [47:36] (§5.3)
E1000_RCTL_BAM = 1 << 15
E1000_RCTL_SZ_2048 = 0 << 16       # BSIZE 00, BSEX 0
E1000_RCTL_BSEX = 1 << 25
E1000_RCTL_SECRC = 1 << 26

# §3.4 TCTL
E1000_TCTL_EN = 1 << 1
E1000_TCTL_PSP = 1 << 3
E1000_TCTL_CT_SHIFT = 4
E1000_TCTL_COLD_SHIFT = 12
E1000_COLLISION_THRESHOLD = 15     # FreeBSD's defaults for CT and COLD
E1000_COLLISION_DISTANCE = 63
# TIPG for copper 82540 (IPGT 8, IPGR1 8, IPGR2 6): stored by the model, no effect.
E1000_TIPG_COPPER = 8 | (8 << 10) | (6 << 20)

# §4 EERD and the EEPROM image
E1000_EERD_START = 1 << 0
E1000_EERD_DONE = 1 << 4
E1000_EERD_ADDR_SHIFT = 8
E1000_EERD_DATA_SHIFT = 16
NVM_WORDS = 64
NVM_CHECKSUM_REG = 0x3F
NVM_SUM = 0xBABA

# §5.1 receive descriptor status and errors
E1000_RXD_STAT_DD = 1 << 0
E1000_RXD_STAT_EOP = 1 << 1
E1000_RXD_ERR_CE = 1 << 0
E1000_RXD_ERR_RXE = 1 << 7
E1000_RXD_ERR_FRAME_ERR_MASK = E1000_RXD_ERR_CE | E1000_RXD_ERR_RXE

# §6.1 interrupt causes (ICR, ICS, IMS, IMC)
E1000_ICR_TXDW = 1 << 0
E1000_ICR_TXQE = 1 << 1
E1000_ICR_LSC = 1 << 2
E1000_ICR_RXDMT0 = 1 << 4
E1000_ICR_RXO = 1 << 6
E1000_ICR_RXT0 = 1 << 7
IMS_ENABLE_MASK = (E1000_ICR_RXT0 | E1000_ICR_RXO | E1000_ICR_RXDMT0
                   | E1000_ICR_TXDW | E1000_ICR_LSC)

# §7.1 transmit descriptor command and status
E1000_TXD_CMD_EOP = 1 << 0
E1000_TXD_CMD_IFCS = 1 << 1
E1000_TXD_CMD_IC = 1 << 2
E1000_TXD_CMD_RS = 1 << 3
E1000_TXD_CMD_DEXT = 1 << 5
E1000_TXD_STAT_DD = 1 << 0

# Descriptor layouts, 16 bytes little-endian (§5.1, §7.1).
EM_DESC_SIZE = 16
# RX: buffer address, length, checksum, status, errors, special
_rx_desc = struct.Struct("<QHHBBH")
_rx_desc_wb = struct.Struct("<HHBB")          # at offset 8: written back by the device
_RXD_WB_OFF = 8
_RXD_STATUS_OFF = 12
# TX: buffer address, length, CSO, CMD, STA, CSS, special
_tx_desc = struct.Struct("<QHBBBBH")
_TXD_STA_OFF = 12

# ---------------------------------------------------------------------------
# Driver parameters (FreeBSD's if_lem.h)
# ---------------------------------------------------------------------------
EM_DEFAULT_RXD = 256
EM_DEFAULT_TXD = 256
EM_MIN_RXD = 8        # FreeBSD: 80; kamebox allows small rings so tests can fill them
EM_MIN_TXD = 8
EM_MAX_RXD = 4096
EM_MAX_TXD = 4096
EM_DBA_ALIGN = 128    # RDLEN/TDLEN are multiples of 128 bytes (§2)
EM_RXBUFFER_2048 = 2048
EM_TXBUFFER = 2048    # one pre-allocated transmit buffer per descriptor
_EM_BUF_SHIFT = 11    # log2 of both buffer sizes
EM_TX_TIMEOUT = 5     # seconds a descriptor may stay undone (FreeBSD 6 if_em.h)
EM_TX_OP_THRESHOLD_DIV = 32
EM_TX_CLEANUP_THRESHOLD_DIV = 8
MAX_NUM_MULTICAST_ADDRESSES = 128
MAX_JUMBO_FRAME_SIZE = 0x3F00     # 16128 (FreeBSD): within §7.2's 16288 and §3.3's 16384
ETHER_VLAN_ENCAP_LEN = 4
EM_MAX_INTR_LOOP = 8  # ICR reads per em_intr before it yields (FreeBSD 6 loops unbounded)
EM_EERD_POLL = 100    # bounded DONE poll; the model completes at once (§4)
EM_RESET_POLL = 100
# Interrupt throttling: FreeBSD's MAX_INTS_PER_SEC = 8000 -> ITR = 10^9 / (8000 * 256) = 488.
# The first interrupt after a quiet spell is immediate (§6.3), so an isolated
# frame pays no delay; under load interrupts (and with them ICR reads, RDT and
# TDT writes and the scheduler events of the interrupt) are coalesced, at most
# ~186 minimum-size frames per 122 µs at 1 Gb/s, well within a 256-descriptor ring.
MAX_INTS_PER_SEC = 8000
EM_DEFAULT_ITR = 1_000_000_000 // (MAX_INTS_PER_SEC * 256)

# Tunables (FreeBSD's hw.em.rxd, hw.em.txd, hw.em.max_interrupt_rate; hw.em.itr).
# Module values are the defaults; a kernel config's ``hints`` dict ("hint.em.0.rxd"
# or "hw.em.rxd") overrides them at attach.
em_rxd = EM_DEFAULT_RXD
em_txd = EM_DEFAULT_TXD
em_itr = EM_DEFAULT_ITR

# PCI device id table: (vendor, device, branding string, max frame size).
em_vendor_info_array: list[tuple[int, int, str, int]] = [
    (EM_VENDOR_ID, E1000_DEV_ID_82540EM, "Intel(R) PRO/1000 Legacy Network Connection",
     MAX_JUMBO_FRAME_SIZE),
]

_TXD_CMD = E1000_TXD_CMD_EOP | E1000_TXD_CMD_IFCS | E1000_TXD_CMD_RS
_TXD_CMD_MIDDLE = E1000_TXD_CMD_IFCS | E1000_TXD_CMD_RS


class em_hw_stats:
    """The statistics registers (§2), accumulated (``struct e1000_hw_stats``)."""

    __slots__ = ("crcerrs", "mpc", "rnbc", "gprc", "bprc", "mprc", "gptc",
                 "gorc", "gotc", "tpr", "tpt")

    def __init__(self) -> None:
        for name in self.__slots__:
            setattr(self, name, 0)

    def as_dict(self) -> dict[str, int]:
        return {n: getattr(self, n) for n in self.__slots__}


class em_softc:
    """``struct adapter``: the driver's state for one em."""

    def __init__(self, dev: device_t) -> None:
        self.dev = dev
        self.kernel = dev.kernel
        pa = dev.pa
        self.pa = pa
        self.read_4 = pa.bst.read_4          # E1000_READ_REG
        self.write_4 = pa.bst.write_4        # E1000_WRITE_REG
        self.dmat = pa.dmat
        self.ifp: ifnet = None  # type: ignore[assignment]
        self.mac_addr = b""
        self.max_hw_frame_size = MAX_JUMBO_FRAME_SIZE
        self.max_frame_size = ETHERMTU + ETHER_HDR_LEN + ETHER_CRC_LEN
        self.num_rx_desc = EM_DEFAULT_RXD
        self.num_tx_desc = EM_DEFAULT_TXD
        self.itr = EM_DEFAULT_ITR
        # DMA memory: rings and buffers (allocated at attach, kept for life)
        self.rxdma: Any = None
        self.txdma: Any = None
        self.rxbufs: Any = None
        self.txbufs: Any = None
        # ring indexes
        self.next_rx_desc_to_check = 0
        self.next_avail_tx_desc = 0
        self.next_tx_to_clean = 0
        self.num_tx_desc_avail = 0
        self.tx_op_threshold = 2
        self.tx_cleanup_threshold = 0
        self.rx_frags: list[bytes] = []      # fmp/lmp: a frame spanning descriptors
        self.rx_frag_len = 0
        # driver-side copies of if_drv_flags (hot path reads these, not IntFlags)
        self.running = False
        self.oactive = False
        self.if_flags = IFF(0)               # flags at the last SIOCSIFFLAGS
        self.mcnt = 0                        # multicast groups in the filter
        self.link_active = False
        self.link_speed = 0
        self.link_duplex = ""
        self.watchdog_timer = 0
        self.timer = dev.kernel.callout()
        self.detached = False
        # counters (FreeBSD names where they exist)
        self.dropped_pkts = 0                # RX frames dropped by the driver
        self.mbuf_alloc_failed = 0
        self.no_tx_desc_avail1 = 0           # start found the ring below threshold
        self.no_tx_desc_avail2 = 0           # a frame needed more descriptors than free
        self.watchdog_events = 0
        self.rx_overruns = 0                 # RXO causes seen
        self.link_irq = 0                    # LSC causes seen
        self.stray_intr = 0                  # interrupts with ICR = 0: not ours
        self.rx_dma_faults = 0               # receiver found stopped (§5.4), reinit
        self.tx_dma_faults = 0               # transmitter found stopped (§6.2), reinit
        self.tx_discarded = 0                # frames in the TX ring thrown away by a reset
        self.tx_bad_length = 0               # frames too long for the MTU, not sent
        self.stats = em_hw_stats()


# ---------------------------------------------------------------------------
# probe / attach / detach
# ---------------------------------------------------------------------------
def em_lookup(pa: Any) -> Optional[tuple[int, int, str, int]]:
    return pci_lookup(em_vendor_info_array, pa)


def em_probe(pa: Any) -> int:
    """Match by PCI vendor and device id (em_vendor_info_array)."""
    if pa.vendor != EM_VENDOR_ID:
        return ENXIO
    return BUS_PROBE_DEFAULT if em_lookup(pa) is not None else ENXIO


def _attach_error(dev: device_t, msg: str, err: int = errno.EIO) -> OSError:
    return attach_error(dev, msg, err)


def em_attach(dev: device_t) -> em_softc:
    """Reset the chip, read and check the EEPROM, allocate rings, attach the ifnet."""
    pa = dev.pa
    ent = em_lookup(pa)
    sc = em_softc(dev)
    if ent is not None:
        sc.max_hw_frame_size = ent[3]
    pa.enable_busmaster()

    # Descriptor counts: a ring must be a multiple of 128 bytes (§2 RDLEN/TDLEN).
    txd = ring_tunable(dev, "txd", em_txd, EM_DEFAULT_TXD, lambda n: (
        (n * EM_DESC_SIZE) % EM_DBA_ALIGN == 0 and EM_MIN_TXD <= n <= EM_MAX_TXD))
    rxd = ring_tunable(dev, "rxd", em_rxd, EM_DEFAULT_RXD, lambda n: (
        (n * EM_DESC_SIZE) % EM_DBA_ALIGN == 0 and EM_MIN_RXD <= n <= EM_MAX_RXD))
    sc.num_tx_desc = txd
    sc.num_rx_desc = rxd
    # hw.em.max_interrupt_rate (FreeBSD's em: interrupts per second; ITR in
    # 256 ns units, hw/em.md §6.3); 0 turns moderation off.  hw.em.itr sets ITR.
    rate = dev.device_get_tunable("max_interrupt_rate", -1)
    if rate >= 0:
        itr = 1_000_000_000 // (rate * 256) if rate else 0
    else:
        itr = dev.device_get_tunable("itr", em_itr)
    sc.itr = itr & 0xFFFF
    sc.tx_op_threshold = max(2, txd // EM_TX_OP_THRESHOLD_DIV)
    sc.tx_cleanup_threshold = txd // EM_TX_CLEANUP_THRESHOLD_DIV

    if not em_reset_hw(sc):
        raise _attach_error(dev, "Hardware Initialization Failed")
    em_disable_intr(sc)

    # §4: read the whole NVM through EERD; it must sum to 0xBABA.
    nvm = em_read_nvm_image(sc)
    if nvm is None:
        raise _attach_error(dev, "EEPROM read error: EERD DONE never set")
    if sum(nvm) & 0xFFFF != NVM_SUM:
        raise _attach_error(dev, "The EEPROM Checksum Is Not Valid")
    mac = em_mac_from_nvm(nvm)
    if mac[0] & 1 or mac == bytes(6):
        raise _attach_error(dev, "Invalid MAC address")
    sc.mac_addr = mac

    # Rings (aligned beyond §2's 16 bytes, as EM_DBA_ALIGN) and buffers.
    dmat = pa.dmat
    try:
        sc.txdma = dmat.dmamem_alloc(txd * EM_DESC_SIZE, 4096)
        sc.rxdma = dmat.dmamem_alloc(rxd * EM_DESC_SIZE, 4096)
        sc.txbufs = dmat.dmamem_alloc(txd * EM_TXBUFFER, 4096)
        sc.rxbufs = dmat.dmamem_alloc(rxd * EM_RXBUFFER_2048, 4096)
    except Exception:  # noqa: BLE001 - the bus_dma allocator has no room
        raise _attach_error(dev, "Unable to allocate descriptor memory", errno.ENOMEM) from None

    ether_setup_ifnet(dev, sc, em_init, em_start, em_ioctl, txd, mac)   # em_setup_interface

    pa.intr_establish(partial(em_intr, sc))
    # Tell the stack what the link is (lem_attach: lem_update_link_status).
    em_update_link_status(sc)
    return sc


def em_detach(dev: device_t) -> None:
    ether_drv_detach(dev, em_stop)


# ---------------------------------------------------------------------------
# hardware helpers (FreeBSD's e1000_api: reset, NVM, interrupts)
# ---------------------------------------------------------------------------
def em_reset_hw(sc: em_softc) -> bool:
    """§3.1: CTRL.RST resets every register (§8); it self-clears."""
    sc.write_4(E1000_CTRL, sc.read_4(E1000_CTRL) | E1000_CTRL_RST)
    for _ in range(EM_RESET_POLL):
        if not sc.read_4(E1000_CTRL) & E1000_CTRL_RST:
            return True
    return False


def em_read_nvm(sc: em_softc, offset: int) -> Optional[int]:
    """§4: write START with the word address, poll DONE (bounded), data in 31:16."""
    sc.write_4(E1000_EERD, (offset << E1000_EERD_ADDR_SHIFT) | E1000_EERD_START)
    read_4 = sc.read_4
    for _ in range(EM_EERD_POLL):
        val = read_4(E1000_EERD)
        if val & E1000_EERD_DONE:
            return (val >> E1000_EERD_DATA_SHIFT) & 0xFFFF
    return None


def em_read_nvm_image(sc: em_softc) -> Optional[list[int]]:
    """All 64 NVM words, or None if a read did not complete (§4)."""
    words = []
    for i in range(NVM_WORDS):
        word = em_read_nvm(sc, i)
        if word is None:
            return None
        words.append(word)
    return words


def em_mac_from_nvm(nvm: list[int]) -> bytes:
    """§4: words 0..2 hold the MAC, low byte first."""
    return bytes(b for w in nvm[0:3] for b in (w & 0xFF, w >> 8))


def em_disable_intr(sc: em_softc) -> None:
    sc.write_4(E1000_IMC, 0xFFFF_FFFF)


def em_enable_intr(sc: em_softc) -> None:
    sc.write_4(E1000_IMS, IMS_ENABLE_MASK)


def em_hash_mc_addr(addr: bytes) -> int:
    """§5.3 with RCTL.MO = 00: address bits [47:36], h = (a[4] >> 4) | (a[5] << 4)."""
    return ((addr[4] >> 4) | (addr[5] << 4)) & 0xFFF


# ---------------------------------------------------------------------------
# init / stop
# ---------------------------------------------------------------------------
def em_init(sc: em_softc) -> None:
    """``em_init_locked``: reset the chip and program it from scratch, then run."""
    ifp = sc.ifp
    em_stop(sc)
    write_4 = sc.write_4

    # §2 RAL0/RAH0 from the interface's address ("user can use a LAA"), AV set;
    # the other exact-match entries cleared.
    lla = ifp.if_addr or sc.mac_addr
    write_4(E1000_RAL(0), int.from_bytes(lla[0:4], "little"))
    write_4(E1000_RAH(0), int.from_bytes(lla[4:6], "little") | E1000_RAH_AV)
    for n in range(1, E1000_RAR_ENTRIES):
        write_4(E1000_RAL(n), 0)
        write_4(E1000_RAH(n), 0)
    # §3.1: full duplex, auto speed, link up.
    write_4(E1000_CTRL, sc.read_4(E1000_CTRL) | E1000_CTRL_SLU | E1000_CTRL_ASDE | E1000_CTRL_FD)

    sc.max_frame_size = ifp.if_mtu + ETHER_HDR_LEN + ETHER_CRC_LEN
    em_initialize_transmit_unit(sc)
    em_set_multi(sc, write_rctl=False)
    em_initialize_receive_unit(sc)

    if_setdrvflags(sc, True, False)
    sc.if_flags = ifp.if_flags
    sc.timer.callout_reset(HZ, em_local_timer, sc)
    em_enable_intr(sc)
    em_update_link_status(sc)


def em_initialize_transmit_unit(sc: em_softc) -> None:
    """§7: ring base/length, head = tail = 0, then TCTL.EN | PSP."""
    n = sc.num_tx_desc
    sc.txdma.buf[:] = bytes(n * EM_DESC_SIZE)
    sc.next_avail_tx_desc = 0
    sc.next_tx_to_clean = 0
    sc.num_tx_desc_avail = n
    sc.watchdog_timer = 0
    write_4 = sc.write_4
    paddr = sc.txdma.paddr
    write_4(E1000_TDBAL, paddr & 0xFFFF_FFFF)
    write_4(E1000_TDBAH, paddr >> 32)
    write_4(E1000_TDLEN, n * EM_DESC_SIZE)
    write_4(E1000_TDH, 0)
    write_4(E1000_TDT, 0)
    write_4(E1000_TIPG, E1000_TIPG_COPPER)
    write_4(E1000_TCTL, E1000_TCTL_EN | E1000_TCTL_PSP
            | (E1000_COLLISION_THRESHOLD << E1000_TCTL_CT_SHIFT)
            | (E1000_COLLISION_DISTANCE << E1000_TCTL_COLD_SHIFT))


def em_setup_receive_structures(sc: em_softc) -> None:
    """Every descriptor gets its buffer's address and a clear status (§5.1)."""
    ring = sc.rxdma.buf
    base = sc.rxbufs.paddr
    pack = _rx_desc.pack_into
    for i in range(sc.num_rx_desc):
        pack(ring, i * EM_DESC_SIZE, base + (i << _EM_BUF_SHIFT), 0, 0, 0, 0, 0)
    sc.next_rx_desc_to_check = 0
    sc.rx_frags = []
    sc.rx_frag_len = 0


def em_initialize_receive_unit(sc: em_softc) -> None:
    """§5: receiver off, ring programmed, RDT = N - 1 (hardware owns N - 1), then RCTL."""
    write_4 = sc.write_4
    write_4(E1000_RCTL, 0)
    em_setup_receive_structures(sc)
    write_4(E1000_RDTR, 0)                   # RXT0 at once (§6.1); ITR coalesces
    write_4(E1000_ITR, sc.itr)
    n = sc.num_rx_desc
    paddr = sc.rxdma.paddr
    write_4(E1000_RDBAL, paddr & 0xFFFF_FFFF)
    write_4(E1000_RDBAH, paddr >> 32)
    write_4(E1000_RDLEN, n * EM_DESC_SIZE)
    write_4(E1000_RDH, 0)
    write_4(E1000_RDT, n - 1)
    rctl = (E1000_RCTL_EN | E1000_RCTL_BAM | E1000_RCTL_RDMTS_HALF | E1000_RCTL_MO_0
            | E1000_RCTL_SZ_2048 | E1000_RCTL_SECRC)
    if sc.ifp.if_mtu > ETHERMTU:
        rctl |= E1000_RCTL_LPE               # §3.3: frames above 1522 bytes
    write_4(E1000_RCTL, rctl | em_rctl_filter_bits(sc))


def em_stop(sc: em_softc) -> None:
    """Interrupts off, statistics saved, chip reset, rings forgotten, timer stopped."""
    em_disable_intr(sc)
    if sc.running:
        em_txeof(sc)                         # what was sent is not "discarded"
        em_update_stats_counters(sc)         # the reset clears them (§8)
    em_reset_hw(sc)
    sc.timer.callout_stop()
    # em_free_transmit_structures: frames the hardware had not finished are lost.
    # Count frames, not descriptors: one EOP per frame among those outstanding.
    outstanding = sc.num_tx_desc - sc.num_tx_desc_avail
    if outstanding > 0:
        ring, n, i = sc.txdma.buf, sc.num_tx_desc, sc.next_tx_to_clean
        lost = 0
        for _ in range(outstanding):
            lost += ring[i * EM_DESC_SIZE + 11] & E1000_TXD_CMD_EOP   # CMD byte (§7.1)
            i = i + 1 if i + 1 < n else 0
        sc.tx_discarded += lost
        sc.ifp.if_data.ifi_oerrors += lost
    sc.num_tx_desc_avail = sc.num_tx_desc
    sc.next_avail_tx_desc = sc.next_tx_to_clean = 0
    sc.rx_frags = []
    sc.rx_frag_len = 0
    sc.watchdog_timer = 0
    if_setdrvflags(sc, False, False)


# ---------------------------------------------------------------------------
# transmit
# ---------------------------------------------------------------------------
def em_start(ifp: ifnet) -> None:
    """Move frames from ``if_snd`` into the TX ring; one TDT doorbell per batch (§7.2)."""
    sc: em_softc = ifp.if_softc
    if not sc.running or sc.oactive or not sc.link_active:
        return
    q = ifp.if_snd.q
    if not q:
        return
    if sc.num_tx_desc_avail <= sc.tx_cleanup_threshold:
        em_txeof(sc)
    ring = sc.txdma.buf
    bufs = sc.txbufs.buf
    bufbase = sc.txbufs.paddr
    n = sc.num_tx_desc
    i = sc.next_avail_tx_desc
    avail = sc.num_tx_desc_avail
    maxlen = sc.max_frame_size - ETHER_CRC_LEN + ETHER_VLAN_ENCAP_LEN
    op_threshold = sc.tx_op_threshold
    pack = _tx_desc.pack_into
    sent = nbytes = 0
    while q:
        if avail < op_threshold:
            sc.no_tx_desc_avail1 += 1
            sc.oactive = True
            break
        m = q.popleft()
        length = m.m_len
        if length > maxlen or length == 0:
            sc.tx_bad_length += 1
            ifp.if_data.ifi_oerrors += 1
            continue
        off = m.off
        if length <= EM_TXBUFFER:
            boff = i << _EM_BUF_SHIFT
            bufs[boff:boff + length] = m.buf[off:off + length]
            pack(ring, i << 4, bufbase + boff, length, 0, _TXD_CMD, 0, 0, 0)
            i += 1
            if i == n:
                i = 0
            avail -= 1
        else:
            # A jumbo frame: one descriptor per buffer, EOP on the last (§7.2).
            nd = (length + EM_TXBUFFER - 1) >> _EM_BUF_SHIFT
            if nd > avail - 2:
                q.appendleft(m)
                sc.no_tx_desc_avail2 += 1
                sc.oactive = True
                break
            src = m.buf
            pos = 0
            while pos < length:
                chunk = min(EM_TXBUFFER, length - pos)
                boff = i << _EM_BUF_SHIFT
                bufs[boff:boff + chunk] = src[off + pos:off + pos + chunk]
                pos += chunk
                pack(ring, i << 4, bufbase + boff, chunk, 0,
                     _TXD_CMD if pos == length else _TXD_CMD_MIDDLE, 0, 0, 0)
                i += 1
                if i == n:
                    i = 0
            avail -= nd
        sent += 1
        nbytes += length
    if sc.oactive:
        if_setdrvflags(sc, True, True)
    if sent:
        sc.next_avail_tx_desc = i
        sc.num_tx_desc_avail = avail
        ifd = ifp.if_data
        ifd.ifi_opackets += sent
        ifd.ifi_obytes += nbytes
        sc.watchdog_timer = EM_TX_TIMEOUT
        sc.write_4(E1000_TDT, i)


def em_txeof(sc: em_softc) -> None:
    """Reclaim descriptors the hardware wrote DD into (RS is set on every one, §7.1)."""
    avail = sc.num_tx_desc_avail
    n = sc.num_tx_desc
    if avail == n:
        return
    ring = sc.txdma.buf
    i = sc.next_tx_to_clean
    first = avail
    while avail < n and ring[(i << 4) + _TXD_STA_OFF] & E1000_TXD_STAT_DD:
        avail += 1
        i += 1
        if i == n:
            i = 0
    if avail == first:
        return
    sc.next_tx_to_clean = i
    sc.num_tx_desc_avail = avail
    # Progress: rearm the watchdog, or stop it if the ring is clean.
    sc.watchdog_timer = 0 if avail == n else EM_TX_TIMEOUT
    if sc.oactive and avail >= sc.tx_op_threshold:
        if_setdrvflags(sc, sc.running, False)


# ---------------------------------------------------------------------------
# receive
# ---------------------------------------------------------------------------
def em_rxeof(sc: em_softc) -> int:
    """Hand every descriptor with DD to the stack; give them back; RDT once (§5.1).

    Frames are collected first and passed to ``if_input`` after RDT is written,
    so that the ring is consistent whatever the stack does meanwhile (even an
    ``em_init`` from an ioctl).  Returns the number of frames delivered.
    """
    ring = sc.rxdma.buf
    i = sc.next_rx_desc_to_check
    status = ring[(i << 4) + _RXD_STATUS_OFF]
    if not status & E1000_RXD_STAT_DD:
        return 0
    ifp = sc.ifp
    n = sc.num_rx_desc
    bufs = sc.rxbufs.buf
    bufbase = sc.rxbufs.paddr
    unpack = _rx_desc_wb.unpack_from
    pack = _rx_desc.pack_into
    frames = []
    append = frames.append
    last = i
    while status & E1000_RXD_STAT_DD:
        off = i << 4
        length, _csum, status, errors = unpack(ring, off + _RXD_WB_OFF)
        boff = i << _EM_BUF_SHIFT
        if errors & E1000_RXD_ERR_FRAME_ERR_MASK:
            if status & E1000_RXD_STAT_EOP:
                sc.dropped_pkts += 1
                ifp.if_data.ifi_ierrors += 1
                sc.rx_frags = []
                sc.rx_frag_len = 0
            else:
                sc.rx_frags.append(b"")      # poison: dropped at EOP
                sc.rx_frag_len = -1 << 30
        elif status & E1000_RXD_STAT_EOP:
            if not sc.rx_frags:
                append(m_devget(bufs[boff:boff + length], ifp))
            else:
                frags = sc.rx_frags
                total = sc.rx_frag_len + length
                if total < 0 or total > MAX_JUMBO_FRAME_SIZE:
                    sc.dropped_pkts += 1
                    ifp.if_data.ifi_ierrors += 1
                else:
                    frags.append(bytes(bufs[boff:boff + length]))
                    append(m_devget(b"".join(frags), ifp))
                sc.rx_frags = []
                sc.rx_frag_len = 0
        else:
            sc.rx_frags.append(bytes(bufs[boff:boff + length]))
            sc.rx_frag_len += length
        pack(ring, off, bufbase + boff, 0, 0, 0, 0, 0)
        last = i
        i += 1
        if i == n:
            i = 0
        status = ring[(i << 4) + _RXD_STATUS_OFF]
    sc.next_rx_desc_to_check = i
    # As FreeBSD: RDT = the last descriptor processed; the hardware owns up to it.
    sc.write_4(E1000_RDT, last)
    if_input = ifp.if_input
    for m in frames:
        if_input(ifp, m)
    return len(frames)


# ---------------------------------------------------------------------------
# interrupt
# ---------------------------------------------------------------------------
def em_intr(sc: em_softc) -> None:
    """Read ICR (cleared by the read, §6.1) until it reads 0, as FreeBSD 6's em_intr.

    A first read of 0 means the interrupt is not ours.  Causes raised while the
    handler runs — TXDW from a reply the stack sent from em_rxeof, a frame that
    came in meanwhile — are taken in the same invocation, so they cost no
    second interrupt (and no ITR-delayed one).  The loop is bounded so that a
    device stuck asserting a cause cannot hold the CPU.
    """
    if sc.detached:
        return
    read_4 = sc.read_4
    reg_icr = read_4(E1000_ICR)
    if not reg_icr:
        sc.stray_intr += 1
        return
    for _ in range(EM_MAX_INTR_LOOP):
        if reg_icr & E1000_ICR_LSC:
            sc.link_irq += 1
            em_update_link_status(sc)
        if not sc.running:
            return
        if reg_icr & E1000_ICR_RXO:
            sc.rx_overruns += 1
        em_rxeof(sc)
        em_txeof(sc)
        reg_icr = read_4(E1000_ICR)
        if not reg_icr:
            break
    if sc.ifp.if_snd.q and not sc.oactive:
        em_start(sc.ifp)


def em_update_link_status(sc: em_softc) -> None:
    """§3.2 STATUS.LU -> the ifnet's link state (once per change)."""
    ifp = sc.ifp
    status = sc.read_4(E1000_STATUS)
    if status & E1000_STATUS_LU:
        if not sc.link_active:
            sc.link_active = True
            sc.link_speed = 1000 if (status & E1000_STATUS_SPEED_MASK) == E1000_STATUS_SPEED_1000 else 100
            sc.link_duplex = "Full Duplex" if status & E1000_STATUS_FD else "Half Duplex"
            ether_link_up(ifp, sc.link_speed)
    elif ether_link_down_news(ifp, sc.link_active):
        sc.link_active = False
        sc.link_speed = 0
        sc.link_duplex = ""
        sc.watchdog_timer = 0                # no watchdog while the link is down
        ifp.if_link_state_change(LinkState.DOWN)


# ---------------------------------------------------------------------------
# timer, watchdog, statistics
# ---------------------------------------------------------------------------
def em_local_timer(sc: em_softc) -> None:
    """1 Hz: link, statistics, DMA-fault and TX watchdog checks, RX re-trigger."""
    if not sc.running or sc.detached:
        return
    em_update_link_status(sc)
    em_update_stats_counters(sc)
    read_4 = sc.read_4
    # §5.4 / §6.2: a DMA fault stops the receiver or the transmitter (EN reads 0).
    if not read_4(E1000_RCTL) & E1000_RCTL_EN:
        sc.rx_dma_faults += 1
        sc.dev.device_printf("receiver stopped (DMA fault) -- resetting")
        em_rxeof(sc)                         # descriptors already written stay written
        em_init(sc)
        return
    if not read_4(E1000_TCTL) & E1000_TCTL_EN:
        sc.tx_dma_faults += 1
        sc.dev.device_printf("transmitter stopped (DMA fault) -- resetting")
        em_init(sc)
        return
    em_txeof(sc)                             # reclaim even if TXDW was lost
    if sc.watchdog_timer and em_watchdog(sc):
        return
    # Trigger an RX interrupt to guarantee mbuf refresh (as FreeBSD does): after
    # a lost interrupt the line is still asserted and nobody services it; a
    # new cause makes the interrupt controller sample the line again (§6.1).
    sc.write_4(E1000_ICS, E1000_ICR_RXT0)
    sc.timer.callout_reset(HZ, em_local_timer, sc)


def em_watchdog(sc: em_softc) -> bool:
    """Count down the TX watchdog; at zero, reset and reinitialise. True if it fired.

    em_start sets the timer to EM_TX_TIMEOUT whenever it queues a frame,
    em_txeof rearms it while it makes progress and clears it when the ring
    is clean: it reaches zero only if descriptors stayed undone that long.
    """
    sc.watchdog_timer -= 1
    if sc.watchdog_timer > 0:
        return False
    if sc.read_4(E1000_STATUS) & E1000_STATUS_TXOFF:   # paused, not hung
        sc.watchdog_timer = EM_TX_TIMEOUT
        return False
    sc.dev.device_printf("Watchdog timeout -- resetting")
    sc.watchdog_events += 1
    em_init(sc)
    return True


def em_update_stats_counters(sc: em_softc) -> None:
    """Accumulate the read-to-clear statistics registers (§2) into ``sc.stats``."""
    read_4 = sc.read_4
    st = sc.stats
    crcerrs = read_4(E1000_CRCERRS)
    mpc = read_4(E1000_MPC)
    st.crcerrs += crcerrs
    st.mpc += mpc
    st.rnbc += read_4(E1000_RNBC)
    st.gprc += read_4(E1000_GPRC)
    st.bprc += read_4(E1000_BPRC)
    st.mprc += read_4(E1000_MPRC)
    st.gptc += read_4(E1000_GPTC)
    # 64-bit octet counters: low half first, the high half's read clears (§2).
    lo = read_4(E1000_GORCL)
    st.gorc += lo | read_4(E1000_GORCH) << 32
    lo = read_4(E1000_GOTCL)
    st.gotc += lo | read_4(E1000_GOTCH) << 32
    st.tpr += read_4(E1000_TPR)
    st.tpt += read_4(E1000_TPT)
    if crcerrs or mpc:
        # if_ierrors as FreeBSD: CRC errors and missed packets count as input errors.
        sc.ifp.if_data.ifi_ierrors += crcerrs + mpc


# ---------------------------------------------------------------------------
# ioctl, multicast and promiscuous filters
# ---------------------------------------------------------------------------
def em_ioctl(ifp: ifnet, command: int, data: Any) -> int:
    sc: em_softc = ifp.if_softc
    return ether_drv_ioctl(ifp, command, data, init=em_init, stop=em_stop,
                           rxmode=em_set_promisc, multi=_em_ioctl_multi,
                           mtu_max=sc.max_hw_frame_size - ETHER_HDR_LEN - ETHER_CRC_LEN,
                           mtu_set=_em_set_mtu)


def _em_ioctl_multi(sc: em_softc) -> None:
    """SIOCADDMULTI/SIOCDELMULTI: the MTA rewritten with interrupts off."""
    em_disable_intr(sc)
    em_set_multi(sc)
    em_enable_intr(sc)


def _em_set_mtu(sc: em_softc, mtu: int) -> None:
    sc.max_frame_size = mtu + ETHER_HDR_LEN + ETHER_CRC_LEN


def em_rctl_filter_bits(sc: em_softc) -> int:
    """RCTL.UPE/MPE for the interface flags and the multicast list (§3.3)."""
    flags = sc.ifp.if_flags
    if flags & IFF.PROMISC:
        return E1000_RCTL_UPE | E1000_RCTL_MPE
    if flags & IFF.ALLMULTI or sc.mcnt >= MAX_NUM_MULTICAST_ADDRESSES:
        return E1000_RCTL_MPE
    return 0


def em_set_promisc(sc: em_softc) -> None:
    """Apply PROMISC/ALLMULTI (and the multicast overflow) without a reinit."""
    rctl = sc.read_4(E1000_RCTL)
    new = (rctl & ~(E1000_RCTL_UPE | E1000_RCTL_MPE)) | em_rctl_filter_bits(sc)
    if new != rctl:
        sc.write_4(E1000_RCTL, new)


def em_set_multi(sc: em_softc, write_rctl: bool = True) -> None:
    """Rebuild the MTA from ``if_multiaddrs`` with the §5.3 hash (MO = 00).

    As FreeBSD: with MAX_NUM_MULTICAST_ADDRESSES groups or more the receiver
    goes multicast-promiscuous (RCTL.MPE) instead; ether_input filters exactly.
    """
    mta = [0] * E1000_MTA_REGS
    addrs = if_foreach_llmaddr(sc.ifp, MAX_NUM_MULTICAST_ADDRESSES)
    for addr in addrs:
        h = em_hash_mc_addr(addr)
        mta[h >> 5] |= 1 << (h & 0x1F)
    sc.mcnt = len(addrs)
    write_4 = sc.write_4
    for k, word in enumerate(mta):
        write_4(E1000_MTA + 4 * k, word)
    if write_rctl:
        em_set_promisc(sc)


em_driver = driver_t("em", em_probe, em_attach, em_detach,
                     "Intel(R) PRO/1000 Legacy Network Connection")
