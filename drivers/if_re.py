"""re(4): driver for the RealTek RTL8169-family Gigabit Ethernet controller (sys/dev/re/if_re.c).

Written against ``docs/hw/re.md`` (section numbers in comments are that
page's) and organised as FreeBSD's ``if_re.c``: ``re_probe``, ``re_attach``,
``re_detach``, ``re_reset``, ``re_init`` (``re_init_locked``), ``re_stop``,
``re_start`` with ``re_encap``, ``re_intr`` with ``re_int_task``,
``re_rxeof``/``re_txeof``, ``re_ioctl`` with ``re_set_rxmode``, the 1 Hz
``re_tick`` with ``re_watchdog`` and ``re_stats_update``.  ``struct
rl_softc`` is :class:`rl_softc`; register names are ``if_rlreg.h``'s.

The driver sees the card only through what the bus hands it at attach: the
``bus_space`` handle of BAR0 (``read_1/2/4``, ``write_1/2/4`` — FreeBSD's
``CSR_READ_n``/``CSR_WRITE_n``), the ``bus_dma`` tag (``dmamem_alloc``) and
``intr_establish``.  Its register definitions below are its own transcription
of the datasheet, deliberately not shared with the device model: that the two
agree is what ``tests/drivers`` proves.

Unlike em(4) the rings have no head or tail registers: the driver hands a
descriptor to the chip by setting its OWN bit and learns that the chip is done
with it when OWN reads 0 (§4.3); transmission starts with a write of NPQ to
TxPoll (§3.2).  Descriptor rings and packet buffers are allocated once at
attach, one 2048-byte buffer per descriptor (a copying driver: ``m_devget``
on receive, a copy into the descriptor's buffer on transmit); jumbo frames
span several descriptors both ways.  The station address is read from
IDR0-IDR5 (§3.5), as FreeBSD does for chips with ``RL_FLAG_PAR``.
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
from kernel.wire.ethernet import ETHER_CRC_LEN, ETHER_HDR_LEN
from kernel.wire.net_if import IFF, LinkState

# ---------------------------------------------------------------------------
# Registers and bits (docs/hw/re.md; FreeBSD's if_rlreg.h names)
# ---------------------------------------------------------------------------
# §1 identity
RT_VENDORID = 0x10EC
RT_DEVICEID_8169 = 0x8169

# §2 register map
RL_IDR0 = 0x0000                 # station address, IDR0 first on the wire
RL_IDR4 = 0x0004
RL_MAR0 = 0x0008                 # multicast hash, bits 0..31
RL_MAR4 = 0x000C                 # bits 32..63
RL_DUMPSTATS_LO = 0x0010         # DTCCR
RL_DUMPSTATS_HI = 0x0014
RL_TXLIST_ADDR_LO = 0x0020       # TNPDS
RL_TXLIST_ADDR_HI = 0x0024
RL_COMMAND = 0x0037              # ChipCmd, 8 bits
RL_GTXSTART = 0x0038             # TxPoll, 8 bits
RL_IMR = 0x003C                  # IntrMask, 16 bits
RL_ISR = 0x003E                  # IntrStatus, 16 bits, write 1 to clear
RL_TXCFG = 0x0040
RL_RXCFG = 0x0044
RL_MISSEDPKT = 0x004C            # MPC
RL_EECMD = 0x0050                # 9346CR, 8 bits
RL_GMEDIASTAT = 0x006C           # PHYstatus, 8 bits
RL_MAXRXPKTLEN = 0x00DA          # RxMaxSize, 16 bits, with the CRC
RL_CPLUS_CMD = 0x00E0            # 16 bits
RL_INTRMOD = 0x00E2              # IntrMitigate, 16 bits
RL_RXLIST_ADDR_LO = 0x00E4       # RDSAR
RL_RXLIST_ADDR_HI = 0x00E8
RL_MAXTXPKTLEN = 0x00EC          # MTPS, 8 bits, units of 128 bytes

# §3.1 ChipCmd
RL_CMD_TX_ENB = 0x04
RL_CMD_RX_ENB = 0x08
RL_CMD_RESET = 0x10
# §3.2 TxPoll
RL_TXSTART_SWI = 0x01
RL_TXSTART_START = 0x40          # NPQ
# §3.3 TxConfig
RL_TXCFG_HWREV = 0x7CC0_0000
RL_TXCFG_MACREV = 0x0070_0000
RL_TXCFG_IFG = 0x0300_0000
RL_TXDMA_2048BYTES = 0x0000_0700
RL_TXCFG_CONFIG = RL_TXCFG_IFG | RL_TXDMA_2048BYTES
RL_HWREV_8169 = 0x0000_0000
RL_HWREV_8169S = 0x0080_0000
RL_HWREV_8110S = 0x0400_0000
RL_HWREV_8169_8110SB = 0x1000_0000
RL_HWREV_8169_8110SC = 0x1800_0000
# §3.4 RxConfig
RL_RXCFG_RX_ALLPHYS = 0x01       # AAP
RL_RXCFG_RX_INDIV = 0x02         # APM
RL_RXCFG_RX_MULTI = 0x04         # AM
RL_RXCFG_RX_BROAD = 0x08         # AB
RL_RXFIFO_NOTHRESH = 0xE000
RL_RXDMA_UNLIMITED = 0x0700
RL_RXCFG_CONFIG = RL_RXFIFO_NOTHRESH | RL_RXDMA_UNLIMITED
# §3.5 9346CR
RL_EEMODE_OFF = 0x00
RL_EEMODE_WRITECFG = 0xC0
# §3.6 PHYstatus
RL_GMEDIASTAT_FDX = 0x01
RL_GMEDIASTAT_LINK = 0x02
RL_GMEDIASTAT_10MBPS = 0x04
RL_GMEDIASTAT_100MBPS = 0x08
RL_GMEDIASTAT_1000MBPS = 0x10
# §3.7 MTPS
RL_MTPS_UNIT = 128
# C+ command (§3: stored by the chip, no effect in the model)
RL_CPLUSCMD_TXENB = 0x0001
RL_CPLUSCMD_RXENB = 0x0002
RL_CPLUSCMD_PCI_MRW = 0x0008
# §3.9 DTCCR
RL_DUMPSTATS_START = 0x08
RL_DUMP_ALIGN = 64
# §3.9 struct rl_stats: the tally counters, little-endian
_rl_stats = struct.Struct("<QQQIHHIIQQIHH")
RL_STATS_FIELDS = ("rl_tx_pkts", "rl_rx_pkts", "rl_tx_errs", "rl_rx_errs", "rl_missed_pkts",
                   "rl_rx_framealign_errs", "rl_tx_onecoll", "rl_tx_multicolls",
                   "rl_rx_ucasts", "rl_rx_bcasts", "rl_rx_mcasts", "rl_tx_aborts",
                   "rl_rx_underruns")

# §6.1 interrupt causes
RL_ISR_RX_OK = 0x0001
RL_ISR_RX_ERR = 0x0002
RL_ISR_TX_OK = 0x0004
RL_ISR_TX_ERR = 0x0008
RL_ISR_RX_DESC_UNAVAIL = 0x0010  # RDU
RL_ISR_LINKCHG = 0x0020
RL_ISR_FIFO_OFLOW = 0x0040
RL_ISR_TX_DESC_UNAVAIL = 0x0080  # TDU
RL_ISR_SWI = 0x0100
RL_ISR_TIMEOUT_EXPIRED = 0x4000
RL_ISR_SYSTEM_ERR = 0x8000
RL_INTRS_CPLUS = (RL_ISR_RX_OK | RL_ISR_RX_ERR | RL_ISR_TX_ERR | RL_ISR_TX_OK
                  | RL_ISR_RX_DESC_UNAVAIL | RL_ISR_LINKCHG | RL_ISR_FIFO_OFLOW
                  | RL_ISR_TIMEOUT_EXPIRED | RL_ISR_SYSTEM_ERR)

# §4 descriptors: opts1 (cmdstat), opts2 (vlanctl), buffer address
_rl_desc = struct.Struct("<IIQ")
_desc_cmd = struct.Struct("<II")     # cmdstat + vlanctl
RL_DESC_SIZE = 16
RL_RDESC_CMD_OWN = 0x8000_0000
RL_RDESC_CMD_EOR = 0x4000_0000
RL_RDESC_STAT_SOF = 0x2000_0000      # FS
RL_RDESC_STAT_EOF = 0x1000_0000      # LS
RL_RDESC_STAT_RXERRSUM = 0x0020_0000  # RES (8169 layout, §4.1)
RL_RDESC_STAT_GFRAGLEN = 0x0000_3FFF
RL_TDESC_CMD_OWN = 0x8000_0000
RL_TDESC_CMD_EOR = 0x4000_0000
RL_TDESC_CMD_SOF = 0x2000_0000
RL_TDESC_CMD_EOF = 0x1000_0000
RL_TDESC_STAT_LINKFAIL = 0x0020_0000
RL_TDESC_STAT_TXERRSUM = 0x0080_0000

# ---------------------------------------------------------------------------
# Driver parameters (if_rlreg.h)
# ---------------------------------------------------------------------------
RL_8169_TX_DESC_CNT = 256
RL_8169_RX_DESC_CNT = 256
RL_MIN_DESC_CNT = 8              # kamebox allows small rings so tests can fill them
RL_MAX_DESC_CNT = 1024           # §4.3: the chip addresses at most 1024
RL_RING_ALIGN = 256              # §2: bits 7:0 of the start addresses read 0
RE_RX_DESC_BUFLEN = 2048         # MCLBYTES
RE_TX_BUFLEN = 2048              # one pre-allocated transmit buffer per descriptor
_RE_BUF_SHIFT = 11
RL_JUMBO_FRAMELEN = 7440         # the 8169 cannot send longer frames
ETHER_VLAN_ENCAP_LEN = 4
RL_JUMBO_MTU = RL_JUMBO_FRAMELEN - ETHER_VLAN_ENCAP_LEN - ETHER_HDR_LEN - ETHER_CRC_LEN
RL_MAXTXPKT = (RL_JUMBO_FRAMELEN + RL_MTPS_UNIT - 1) // RL_MTPS_UNIT
RL_TIMEOUT = 1000                # bounded RESET poll; the model completes at once
RE_WATCHDOG_TIMEOUT = 5          # seconds (re_start: rl_watchdog_timer = 5)
RE_MAX_INTR_LOOP = 8             # ISR reads per interrupt before yielding

# Tunables (kamebox: hw.re.rxd, hw.re.txd; FreeBSD has fixed ring sizes).
re_rxd = RL_8169_RX_DESC_CNT
re_txd = RL_8169_TX_DESC_CNT

# re_devs: (vendor, device, description)
re_devs: list[tuple[int, int, str]] = [
    (RT_VENDORID, RT_DEVICEID_8169,
     "RealTek 8169/8169S/8169SB(L)/8110S/8110SB(L) Gigabit Ethernet"),
]
# re_hwrevs: (TxConfig hardware revision, name) of the 8169 family
re_hwrevs: list[tuple[int, str]] = [
    (RL_HWREV_8169, "8169"), (RL_HWREV_8169S, "8169S"), (RL_HWREV_8110S, "8110S"),
    (RL_HWREV_8169_8110SB, "8169SB/8110SB"), (RL_HWREV_8169_8110SC, "8169SC/8110SC"),
]



def ether_crc32_be(buf: bytes) -> int:
    """FreeBSD's ``ether_crc32_be`` (net/if_ethersubr.c), as §5.2 gives it."""
    crc = 0xFFFF_FFFF
    for byte in buf:
        for _ in range(8):
            carry = (crc >> 31) ^ (byte & 1)
            crc = (crc << 1) & 0xFFFF_FFFF
            if carry:
                crc ^= 0x04C1_1DB7
            byte >>= 1
    return crc


class rl_softc:
    """``struct rl_softc``: the driver's state for one re."""

    def __init__(self, dev: device_t) -> None:
        self.dev = dev
        self.kernel = dev.kernel
        pa = dev.pa
        self.pa = pa
        bst = pa.bst
        # CSR_READ_n / CSR_WRITE_n
        self.read_1 = bst.read_1
        self.read_2 = bst.read_2
        self.read_4 = bst.read_4
        self.write_1 = bst.write_1
        self.write_2 = bst.write_2
        self.write_4 = bst.write_4
        self.ifp: ifnet = None  # type: ignore[assignment]
        self.rl_hwrev = 0
        self.rl_macrev = 0
        self.mac_addr = b""
        # rl_ldata: rings, buffers, the tally dump area
        self.rl_tx_desc_cnt = RL_8169_TX_DESC_CNT
        self.rl_rx_desc_cnt = RL_8169_RX_DESC_CNT
        self.rl_tx_list: Any = None
        self.rl_rx_list: Any = None
        self.rl_tx_bufs: Any = None
        self.rl_rx_bufs: Any = None
        self.rl_stats_mem: Any = None
        self.rl_tx_prodidx = 0
        self.rl_tx_considx = 0
        self.rl_tx_free = 0
        self.rl_rx_prodidx = 0
        self.tx_len: list[int] = []          # frame length, kept at its EOF slot
        self.rl_head: list[bytes] = []       # fragments of a frame spanning descriptors
        self.rl_watchdog_timer = 0
        self.if_flags = IFF(0)               # rl_if_flags: flags at the last SIOCSIFFLAGS
        self.rl_stat_callout = dev.kernel.callout()
        # driver-side copies of if_drv_flags and RL_FLAG_LINK
        self.running = False
        self.oactive = False
        self.link = False
        self.link_speed = 0
        self.detached = False
        self.mcnt = 0
        # counters
        self.stray_intr = 0                  # ISR without our causes: not ours
        self.link_irq = 0                    # LinkChg causes seen
        self.rx_desc_unavail = 0             # RDU causes seen
        self.rx_errors = 0                   # frames the chip stored in error (RES)
        self.system_errors = 0               # SERR: a DMA fault, reinit
        self.engine_stopped = 0              # RE/TE found off by re_tick, reinit
        self.intr_missed = 0                 # causes pending with no interrupt: re_tick ran them
        self.watchdog_events = 0             # watchdog timeouts that reinitialised
        self.watchdog_recovered = 0          # ... that found only missed TX interrupts
        self.tx_discarded = 0                # frames in the TX ring thrown away by a stop
        self.tx_bad_length = 0               # frames too long for the MTU, not sent
        self.tx_link_fail = 0                # frames the chip could not send: link down
        self.stats: dict[str, int] = dict.fromkeys(RL_STATS_FIELDS, 0)
        self._stats_last: Optional[tuple[int, ...]] = None


# ---------------------------------------------------------------------------
# probe / attach / detach
# ---------------------------------------------------------------------------
def re_lookup(pa: Any) -> Optional[tuple[int, int, str]]:
    return pci_lookup(re_devs, pa)


def re_probe(pa: Any) -> int:
    """Match the PCI vendor and device ids against re_devs."""
    return BUS_PROBE_DEFAULT if re_lookup(pa) is not None else ENXIO


def _attach_error(dev: device_t, msg: str, err: int = errno.ENXIO) -> OSError:
    return attach_error(dev, msg, err)


def re_attach(dev: device_t) -> rl_softc:
    """Reset the chip, identify its revision, read the address, allocate rings."""
    pa = dev.pa
    if pa.bst.read_1 is None or pa.bst.write_2 is None:
        raise _attach_error(dev, "couldn't map ports/memory")   # byte/word access needed
    sc = rl_softc(dev)
    pa.enable_busmaster()

    if not re_reset(sc):
        raise _attach_error(dev, "reset never completed!")
    hwrev = sc.read_4(RL_TXCFG) & RL_TXCFG_HWREV
    if not any(rev == hwrev for rev, _ in re_hwrevs):
        raise _attach_error(dev, f"Unknown H/W revision: 0x{hwrev:08x}")
    sc.rl_hwrev = hwrev
    sc.rl_macrev = sc.read_4(RL_TXCFG) & RL_TXCFG_MACREV
    dev.device_printf(f"Chip rev. 0x{hwrev & 0x7C80_0000:08x}")
    dev.device_printf(f"MAC rev. 0x{sc.rl_macrev:08x}")

    # §3.5: the address the chip auto-loaded from its EEPROM.
    mac = bytes(sc.read_1(RL_IDR0 + i) for i in range(6))
    if mac[0] & 1 or mac == bytes(6):
        raise _attach_error(dev, "Invalid MAC address")
    sc.mac_addr = mac

    def valid(n: int) -> bool:
        return RL_MIN_DESC_CNT <= n <= RL_MAX_DESC_CNT     # §4.3: at most 1024
    txd = ring_tunable(dev, "txd", re_txd, RL_8169_TX_DESC_CNT, valid)
    rxd = ring_tunable(dev, "rxd", re_rxd, RL_8169_RX_DESC_CNT, valid)
    sc.rl_tx_desc_cnt = txd
    sc.rl_rx_desc_cnt = rxd

    # re_allocmem: rings 256-byte aligned (§2), the tally dump area 64-byte aligned (§3.9).
    dmat = pa.dmat
    try:
        sc.rl_tx_list = dmat.dmamem_alloc(txd * RL_DESC_SIZE, RL_RING_ALIGN)
        sc.rl_rx_list = dmat.dmamem_alloc(rxd * RL_DESC_SIZE, RL_RING_ALIGN)
        sc.rl_tx_bufs = dmat.dmamem_alloc(txd * RE_TX_BUFLEN, 4096)
        sc.rl_rx_bufs = dmat.dmamem_alloc(rxd * RE_RX_DESC_BUFLEN, 4096)
        sc.rl_stats_mem = dmat.dmamem_alloc(_rl_stats.size, RL_DUMP_ALIGN)
    except Exception:  # noqa: BLE001 - the bus_dma allocator has no room
        raise _attach_error(dev, "could not allocate DMA memory", errno.ENOMEM) from None
    sc.tx_len = [0] * txd

    ether_setup_ifnet(dev, sc, re_init, re_start, re_ioctl, txd, mac)

    # The tally counters run from power-on (§3.9): a first dump is the baseline.
    re_stats_update(sc)
    # Hook interrupt last (as FreeBSD), then tell the stack what the link is.
    pa.intr_establish(partial(re_intr, sc))
    re_miibus_statchg(sc)
    return sc


def re_detach(dev: device_t) -> None:
    ether_drv_detach(dev, re_stop)


# ---------------------------------------------------------------------------
# chip helpers
# ---------------------------------------------------------------------------
def re_reset(sc: rl_softc) -> bool:
    """§3.1: ChipCmd.RST; it clears itself when the reset is done."""
    sc.write_1(RL_COMMAND, RL_CMD_RESET)
    for _ in range(RL_TIMEOUT):
        if not sc.read_1(RL_COMMAND) & RL_CMD_RESET:
            return True
    sc.dev.device_printf("reset never completed!")
    return False


def re_rx_list_init(sc: rl_softc) -> None:
    """§4.1: every descriptor owned by the chip with its buffer; EOR on the last."""
    ring = sc.rl_rx_list.buf
    base = sc.rl_rx_bufs.paddr
    n = sc.rl_rx_desc_cnt
    pack = _rl_desc.pack_into
    for i in range(n):
        cmd = RL_RDESC_CMD_OWN | RE_RX_DESC_BUFLEN
        if i == n - 1:
            cmd |= RL_RDESC_CMD_EOR
        pack(ring, i * RL_DESC_SIZE, cmd, 0, base + (i << _RE_BUF_SHIFT))
    sc.rl_rx_prodidx = 0
    sc.rl_head = []


def re_tx_list_init(sc: rl_softc) -> None:
    """§4.2: every descriptor software's (OWN = 0); EOR on the last."""
    n = sc.rl_tx_desc_cnt
    ring = sc.rl_tx_list.buf
    ring[:] = bytes(n * RL_DESC_SIZE)
    _rl_desc.pack_into(ring, (n - 1) * RL_DESC_SIZE, RL_TDESC_CMD_EOR, 0, 0)
    sc.rl_tx_prodidx = 0
    sc.rl_tx_considx = 0
    sc.rl_tx_free = n


# ---------------------------------------------------------------------------
# init / stop
# ---------------------------------------------------------------------------
def re_init(sc: rl_softc) -> None:
    """``re_init_locked``: stop, reset and program the chip from scratch, then run."""
    ifp = sc.ifp
    re_stop(sc)
    re_reset(sc)
    write_1, write_2, write_4 = sc.write_1, sc.write_2, sc.write_4

    write_2(RL_CPLUS_CMD, RL_CPLUSCMD_PCI_MRW | RL_CPLUSCMD_RXENB | RL_CPLUSCMD_TXENB)
    # §3.5: IDR0-5 from the interface's address; writable in config-write mode only.
    lla = ifp.if_addr or sc.mac_addr
    write_1(RL_EECMD, RL_EEMODE_WRITECFG)
    write_4(RL_IDR0, int.from_bytes(lla[0:4], "little"))
    write_4(RL_IDR4, int.from_bytes(lla[4:6], "little"))
    write_1(RL_EECMD, RL_EEMODE_OFF)

    re_rx_list_init(sc)
    re_tx_list_init(sc)
    # §4.3: the start addresses; writing them puts the chip at descriptor 0.
    rx, tx = sc.rl_rx_list.paddr, sc.rl_tx_list.paddr
    write_4(RL_RXLIST_ADDR_HI, rx >> 32)
    write_4(RL_RXLIST_ADDR_LO, rx & 0xFFFF_FFFF)
    write_4(RL_TXLIST_ADDR_HI, tx >> 32)
    write_4(RL_TXLIST_ADDR_LO, tx & 0xFFFF_FFFF)

    write_1(RL_COMMAND, RL_CMD_TX_ENB | RL_CMD_RX_ENB)
    write_4(RL_TXCFG, RL_TXCFG_CONFIG)
    write_1(RL_MAXTXPKTLEN, RL_MAXTXPKT)                 # §3.7: 7440-byte frames fit
    write_4(RL_RXCFG, RL_RXCFG_CONFIG)
    re_set_rxmode(sc)
    write_2(RL_IMR, RL_INTRS_CPLUS)
    write_2(RL_ISR, RL_INTRS_CPLUS)
    write_4(RL_MISSEDPKT, 0)
    # §3.7: the longest frame of this MTU, with a VLAN tag and the CRC.
    write_2(RL_MAXRXPKTLEN, ifp.if_mtu + ETHER_HDR_LEN + ETHER_VLAN_ENCAP_LEN + ETHER_CRC_LEN)

    if_setdrvflags(sc, True, False)
    sc.if_flags = ifp.if_flags
    sc.rl_watchdog_timer = 0
    sc.link = False
    re_miibus_statchg(sc)
    sc.rl_stat_callout.callout_reset(HZ, re_tick, sc)


def re_stop(sc: rl_softc) -> None:
    """Receiver, transmitter and interrupts off; frames still in the TX ring are lost."""
    sc.rl_watchdog_timer = 0
    sc.rl_stat_callout.callout_stop()
    was_running = sc.running
    if_setdrvflags(sc, False, False)
    sc.write_1(RL_COMMAND, 0)
    sc.write_2(RL_IMR, 0)
    sc.write_2(RL_ISR, 0xFFFF)
    sc.rl_head = []
    if not was_running or sc.rl_tx_free == sc.rl_tx_desc_cnt:
        return
    re_txeof(sc)                             # what was sent is not "discarded"
    # Frames the chip had not finished: count one per EOF descriptor outstanding.
    ring = sc.rl_tx_list.buf
    n = sc.rl_tx_desc_cnt
    i = sc.rl_tx_considx
    lost = 0
    while i != sc.rl_tx_prodidx:
        if struct.unpack_from("<I", ring, i * RL_DESC_SIZE)[0] & RL_TDESC_CMD_EOF:
            lost += 1
        i = i + 1 if i + 1 < n else 0
    sc.tx_discarded += lost
    sc.ifp.if_data.ifi_oerrors += lost
    sc.rl_tx_considx = sc.rl_tx_prodidx
    sc.rl_tx_free = n


# ---------------------------------------------------------------------------
# transmit
# ---------------------------------------------------------------------------
def re_start(ifp: ifnet) -> None:
    """Move frames from ``if_snd`` into the TX ring; one TxPoll per batch (§7.1)."""
    sc: rl_softc = ifp.if_softc
    if not sc.running or sc.oactive or not sc.link:
        return
    q = ifp.if_snd.q
    queued = 0
    while q and sc.rl_tx_free > 1:
        m = q.popleft()
        err = re_encap(sc, m)
        if err == errno.ENOBUFS:
            q.appendleft(m)
            if_setdrvflags(sc, True, True)
            break
        if err == 0:
            queued += 1
    else:
        if q:
            if_setdrvflags(sc, True, True)
    if queued:
        sc.write_1(RL_GTXSTART, RL_TXSTART_START)        # §3.2: the doorbell
        sc.rl_watchdog_timer = RE_WATCHDOG_TIMEOUT


def re_encap(sc: rl_softc, m: Any) -> int:
    """Copy one frame into the buffers of the next descriptors and give them to the chip.

    As FreeBSD: the descriptors after the first get OWN as they are written,
    the first gets OWN (with SOF) last, so the chip never sees a partial frame.
    """
    length = m.m_len
    ifp = sc.ifp
    if length == 0 or length > ifp.if_mtu + ETHER_HDR_LEN + ETHER_VLAN_ENCAP_LEN:
        sc.tx_bad_length += 1
        ifp.if_data.ifi_oerrors += 1
        return errno.EINVAL
    nsegs = (length + RE_TX_BUFLEN - 1) >> _RE_BUF_SHIFT
    if sc.rl_tx_free - nsegs <= 1:
        return errno.ENOBUFS
    ring = sc.rl_tx_list.buf
    bufs = sc.rl_tx_bufs.buf
    bufbase = sc.rl_tx_bufs.paddr
    n = sc.rl_tx_desc_cnt
    last_slot = n - 1
    src = m.buf
    off = m.off
    pack = _rl_desc.pack_into
    si = prod = sc.rl_tx_prodidx
    pos = 0
    while pos < length:
        chunk = length - pos if length - pos < RE_TX_BUFLEN else RE_TX_BUFLEN
        boff = prod << _RE_BUF_SHIFT
        bufs[boff:boff + chunk] = src[off + pos:off + pos + chunk]
        pos += chunk
        cmd = chunk
        if prod != si:
            cmd |= RL_TDESC_CMD_OWN
        if prod == last_slot:
            cmd |= RL_TDESC_CMD_EOR
        if pos == length:
            cmd |= RL_TDESC_CMD_EOF
            sc.tx_len[prod] = length
        pack(ring, prod * RL_DESC_SIZE, cmd, 0, bufbase + boff)
        prod = prod + 1 if prod < last_slot else 0
    # Set SOF and transfer ownership of the frame to the chip.
    first = si * RL_DESC_SIZE
    cmd = struct.unpack_from("<I", ring, first)[0] | RL_TDESC_CMD_OWN | RL_TDESC_CMD_SOF
    struct.pack_into("<I", ring, first, cmd)
    sc.rl_tx_prodidx = prod
    sc.rl_tx_free -= nsegs
    return 0


def re_txeof(sc: rl_softc) -> None:
    """Reclaim the descriptors the chip handed back (OWN = 0, §4.2)."""
    cons = sc.rl_tx_considx
    prod = sc.rl_tx_prodidx
    if cons == prod:
        return
    ring = sc.rl_tx_list.buf
    n = sc.rl_tx_desc_cnt
    ifd = sc.ifp.if_data
    unpack = _desc_cmd.unpack_from
    freed = 0
    while cons != prod:
        txstat = unpack(ring, cons * RL_DESC_SIZE)[0]
        if txstat & RL_TDESC_CMD_OWN:
            break
        # The status bits are valid on the last descriptor of a frame only.
        if txstat & RL_TDESC_CMD_EOF:
            if txstat & RL_TDESC_STAT_TXERRSUM:
                ifd.ifi_oerrors += 1
                if txstat & RL_TDESC_STAT_LINKFAIL:
                    sc.tx_link_fail += 1
            else:
                ifd.ifi_opackets += 1
                ifd.ifi_obytes += sc.tx_len[cons]
        freed += 1
        cons = cons + 1 if cons + 1 < n else 0
    if not freed:
        return
    sc.rl_tx_considx = cons
    sc.rl_tx_free += freed
    if sc.oactive:
        if_setdrvflags(sc, sc.running, False)
    if sc.rl_tx_free == n:
        sc.rl_watchdog_timer = 0


# ---------------------------------------------------------------------------
# receive
# ---------------------------------------------------------------------------
def re_rxeof(sc: rl_softc) -> int:
    """Hand every frame the chip finished (OWN = 0) to the stack; give the
    descriptors back (§4.1, §5.3).  Returns the number of frames delivered.

    Frames are collected first and passed to ``if_input`` after the ring is
    consistent again, whatever the stack does meanwhile (even an ``re_init``).
    """
    ring = sc.rl_rx_list.buf
    i = sc.rl_rx_prodidx
    unpack = _desc_cmd.unpack_from
    rxstat = unpack(ring, i * RL_DESC_SIZE)[0]
    if rxstat & RL_RDESC_CMD_OWN:
        return 0
    ifp = sc.ifp
    n = sc.rl_rx_desc_cnt
    last_slot = n - 1
    bufs = sc.rl_rx_bufs.buf
    pack = _desc_cmd.pack_into
    frames = []
    for _ in range(n):
        if rxstat & RL_RDESC_CMD_OWN:
            break
        boff = i << _RE_BUF_SHIFT
        total_len = rxstat & RL_RDESC_STAT_GFRAGLEN
        if not rxstat & RL_RDESC_STAT_EOF:
            sc.rl_head.append(bytes(bufs[boff:boff + RE_RX_DESC_BUFLEN]))
        elif rxstat & RL_RDESC_STAT_RXERRSUM:
            # §4.1: the chip stored the frame in error; discard all its pieces.
            sc.rx_errors += 1
            ifp.if_data.ifi_ierrors += 1
            sc.rl_head = []
        elif not sc.rl_head:
            if total_len > ETHER_CRC_LEN:
                frames.append(m_devget(bufs[boff:boff + total_len - ETHER_CRC_LEN], ifp))
            else:
                ifp.if_data.ifi_ierrors += 1
        else:
            # The LS length is the whole frame's; this buffer holds the rest.
            mlen = total_len % RE_RX_DESC_BUFLEN or RE_RX_DESC_BUFLEN
            head = sc.rl_head
            sc.rl_head = []
            data = b"".join(head) + bytes(bufs[boff:boff + mlen])
            if len(data) == total_len and total_len > ETHER_CRC_LEN:
                frames.append(m_devget(data[:total_len - ETHER_CRC_LEN], ifp))
            else:
                ifp.if_data.ifi_ierrors += 1
        # re_discard_rxbuf: the buffer goes back to the chip as it was.
        cmd = RL_RDESC_CMD_OWN | RE_RX_DESC_BUFLEN
        if i == last_slot:
            cmd |= RL_RDESC_CMD_EOR
        pack(ring, i * RL_DESC_SIZE, cmd, 0)
        i = i + 1 if i < last_slot else 0
        rxstat = unpack(ring, i * RL_DESC_SIZE)[0]
    sc.rl_rx_prodidx = i
    if_input = ifp.if_input
    for m in frames:
        if_input(ifp, m)
    return len(frames)


# ---------------------------------------------------------------------------
# interrupt
# ---------------------------------------------------------------------------
def re_intr(sc: rl_softc) -> None:
    """The filter: not ours unless IntrStatus holds one of our causes (§6.1)."""
    if sc.detached:
        return
    status = sc.read_2(RL_ISR)
    if status == 0xFFFF or not status & RL_INTRS_CPLUS:
        sc.stray_intr += 1
        return
    sc.write_2(RL_IMR, 0)
    re_int_task(sc, status)


def re_int_task(sc: rl_softc, status: int) -> None:
    """Acknowledge (write 1s, §6.2), service, and look again; then unmask."""
    read_2 = sc.read_2
    write_2 = sc.write_2
    ifp = sc.ifp
    for _ in range(RE_MAX_INTR_LOOP):
        write_2(RL_ISR, status)
        if not sc.running:
            return
        if status & (RL_ISR_RX_OK | RL_ISR_RX_ERR | RL_ISR_FIFO_OFLOW | RL_ISR_RX_DESC_UNAVAIL):
            if status & RL_ISR_RX_DESC_UNAVAIL:
                sc.rx_desc_unavail += 1
            re_rxeof(sc)
        if status & (RL_ISR_TX_OK | RL_ISR_TX_ERR | RL_ISR_TX_DESC_UNAVAIL):
            re_txeof(sc)
        if status & RL_ISR_SYSTEM_ERR:
            # §5.5, §7.3: a DMA fault stopped the receiver or the transmitter.
            sc.system_errors += 1
            re_init(sc)
            return
        if status & RL_ISR_LINKCHG:
            sc.link_irq += 1
            re_miibus_statchg(sc)
        if ifp.if_snd.q and not sc.oactive:
            re_start(ifp)
        status = read_2(RL_ISR)
        if not status & RL_INTRS_CPLUS:
            break
    write_2(RL_IMR, RL_INTRS_CPLUS)


def re_miibus_statchg(sc: rl_softc) -> None:
    """§3.6 PHYstatus.LinkSts -> the ifnet's link state (once per change)."""
    ifp = sc.ifp
    gm = sc.read_1(RL_GMEDIASTAT)
    if gm & RL_GMEDIASTAT_LINK:
        if not sc.link:
            sc.link = True
            sc.link_speed = (1000 if gm & RL_GMEDIASTAT_1000MBPS else
                             100 if gm & RL_GMEDIASTAT_100MBPS else 10)
            ether_link_up(ifp, sc.link_speed)
    elif ether_link_down_news(ifp, sc.link):
        sc.link = False
        sc.link_speed = 0
        sc.rl_watchdog_timer = 0             # no watchdog while the link is down
        ifp.if_link_state_change(LinkState.DOWN)


# ---------------------------------------------------------------------------
# timer, watchdog, statistics
# ---------------------------------------------------------------------------
def re_tick(sc: rl_softc) -> None:
    """1 Hz: link, statistics, stopped engines, missed interrupts, TX watchdog."""
    if not sc.running or sc.detached:
        return
    re_miibus_statchg(sc)
    re_stats_update(sc)
    # A DMA fault whose SERR interrupt never arrived: the engine is still off.
    if sc.read_1(RL_COMMAND) & (RL_CMD_RX_ENB | RL_CMD_TX_ENB) != RL_CMD_RX_ENB | RL_CMD_TX_ENB:
        sc.engine_stopped += 1
        re_init(sc)
        return
    # Causes pending with nobody servicing them: an interrupt was lost.  Run
    # the handler's body, as re_int_task reschedules itself when it finds them.
    status = sc.read_2(RL_ISR)
    if status & RL_INTRS_CPLUS:
        sc.intr_missed += 1
        sc.write_2(RL_IMR, 0)
        re_int_task(sc, status)
        if not sc.running:
            return
    if sc.rl_watchdog_timer and re_watchdog(sc):
        return
    sc.rl_stat_callout.callout_reset(HZ, re_tick, sc)


def re_watchdog(sc: rl_softc) -> bool:
    """Count down the TX watchdog; at zero, reclaim, and reinit if that did not help.

    re_start sets the timer to 5 s whenever it hands frames to the chip;
    re_txeof clears it when the ring is clean.  True if it reinitialised.
    """
    sc.rl_watchdog_timer -= 1
    if sc.rl_watchdog_timer > 0:
        return False
    re_txeof(sc)
    if sc.rl_tx_free == sc.rl_tx_desc_cnt:
        sc.watchdog_recovered += 1
        sc.dev.device_printf("watchdog timeout (missed Tx interrupts) -- recovering")
        if sc.ifp.if_snd.q:
            re_start(sc.ifp)
        return False
    sc.dev.device_printf("watchdog timeout")
    sc.watchdog_events += 1
    sc.ifp.if_data.ifi_oerrors += 1
    re_rxeof(sc)
    re_init(sc)
    return True


def re_stats_update(sc: rl_softc) -> None:
    """§3.9: dump the tally counters into ``sc.stats``; frames missed since the
    last dump count as input errors (as em counts MPC; frames stored in error
    are counted by re_rxeof)."""
    mem = sc.rl_stats_mem
    sc.write_4(RL_DUMPSTATS_HI, mem.paddr >> 32)
    sc.write_4(RL_DUMPSTATS_LO, (mem.paddr & 0xFFFF_FFC0) | RL_DUMPSTATS_START)
    for _ in range(RL_TIMEOUT):
        if not sc.read_4(RL_DUMPSTATS_LO) & RL_DUMPSTATS_START:
            break
    else:
        return
    vals = _rl_stats.unpack_from(mem.buf, 0)
    last = sc._stats_last
    sc._stats_last = vals
    sc.stats = dict(zip(RL_STATS_FIELDS, vals))
    if last is not None:
        sc.ifp.if_data.ifi_ierrors += (vals[4] - last[4]) & 0xFFFF     # MissPkt wraps


# ---------------------------------------------------------------------------
# ioctl and the receive filter
# ---------------------------------------------------------------------------
def re_ioctl(ifp: ifnet, command: int, data: Any) -> int:
    return ether_drv_ioctl(ifp, command, data, init=re_init, stop=re_stop,
                           rxmode=re_set_rxmode, multi=re_set_rxmode, mtu_max=RL_JUMBO_MTU)


def re_set_rxmode(sc: rl_softc) -> None:
    """Program RxConfig's accept bits and the MAR hash (§3.4, §5.2) from the
    interface flags and ``if_multiaddrs``: bit ``ether_crc32_be(addr) >> 26``."""
    ifp = sc.ifp
    rxfilt = RL_RXCFG_CONFIG | RL_RXCFG_RX_INDIV | RL_RXCFG_RX_BROAD
    hashes = [0, 0]
    mcnt = 0
    if ifp.if_flags & (IFF.ALLMULTI | IFF.PROMISC):
        if ifp.if_flags & IFF.PROMISC:
            rxfilt |= RL_RXCFG_RX_ALLPHYS
        # Unlike other hardware, RX_MULTI must be set to receive multicast
        # frames in promiscuous mode (FreeBSD's comment): all hash bits on.
        rxfilt |= RL_RXCFG_RX_MULTI
        hashes = [0xFFFF_FFFF, 0xFFFF_FFFF]
    else:
        for addr in if_foreach_llmaddr(ifp):
            h = ether_crc32_be(addr) >> 26
            hashes[h >> 5] |= 1 << (h & 0x1F)
            mcnt += 1
        if hashes[0] or hashes[1]:
            rxfilt |= RL_RXCFG_RX_MULTI
    sc.mcnt = mcnt
    sc.write_4(RL_MAR0, hashes[0])
    sc.write_4(RL_MAR4, hashes[1])
    sc.write_4(RL_RXCFG, rxfilt)


re_driver = driver_t("re", re_probe, re_attach, re_detach,
                     "RealTek 8169/8169S/8169SB(L)/8110S/8110SB(L) Gigabit Ethernet")
