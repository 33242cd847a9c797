"""re: model of a RealTek RTL8169-family (8169S/8110S) Gigabit Ethernet controller.

What it models is ``docs/hw/re.md``: the register file of §2 with its 8-, 16-
and 32-bit registers reached by byte, word and dword accesses (§2.1), the
station address and the 64-bit multicast hash (§3.5, §5.2), descriptor rings
that the NIC walks by the OWN bit and wraps at EOR — there are no head or tail
registers (§4) —, the receive path with the RxConfig accept bits (§5), the
TxPoll doorbell and the transmit path (§7), interrupt status and mask (§6),
link through PHYstatus (§3.6), the missed-packet counter and the tally
counters dumped by DMA (§3.8, §3.9).  Section numbers in comments are that
page's.

The structure follows ``emu/devices/em.py`` (itself after QEMU's e1000): the
register file is data — :data:`emu.devices.re_regs.REGISTERS` gives the reset
image, widths and write masks; every (offset, size) access is turned once, at
import, into a plan of the registers it covers — and side effects live only
where the hardware has them: the TxPoll doorbell, ChipCmd.RST, write-1-to-clear
IntrStatus, the MPC clear, the DTCCR dump.  One :meth:`RTL8169.update_irq`
drives the line from ``IntrStatus & IntrMask``.

DMA goes to guest memory only after a bounds check; an access outside it is
the error state of §5.5/§7.3 (receiver or transmitter stopped, SERR,
``dma_faults``, a drop reason), never an exception out of the device.  Every
dropped frame is counted in ``drops[reason]`` and reported to the ``trace``
hook (None = off, free).
"""
from __future__ import annotations

import struct
import zlib
from typing import Callable, Optional, Union

from emu.devices.ether import (DROP_DMA, DROP_FILTER, DROP_LINK_DOWN, DROP_NO_DESC, DROP_OVERSIZE,
                               DROP_RUNT, DROP_RX_DISABLED, DROP_TX_BAD_LENGTH, EtherDevice)
from emu.devices.re_regs import (
    BAR0_SIZE, CHIPCMD, CMD_RE, CMD_RST, CMD_TE, CR9346, DESC_EOR, DESC_FS, DESC_LS,
    DESC_OWN, DTCCR_ADDR_MASK, DTCCR_CMD, DTCCR_HI, DTCCR_LO, EEM_CONFIG_WRITE, EEM_MASK,
    ETHER_CRC_LEN, IDR0, INTRMASK, INTRSTATUS, ISR_LINKCHG, ISR_RDU, ISR_RER, ISR_ROK,
    ISR_SERR, ISR_SWINT, ISR_TDU, ISR_TER, ISR_TOK, MAR0, MPC, MPC_MAX, MTPS, MTPS_UNIT,
    PCI_CLASS_ETHERNET, PCI_DEVICE_8169, PCI_REVISION_8169S, PCI_VENDOR_REALTEK,
    PHY_1000MF, PHY_FULLDUP, PHY_LINKSTS, PHYSTATUS, RDSAR_HI, RDSAR_LO, REGISTERS,
    RING_MAX, RO, RST_KEEPS, RW, RX_BAR, RX_BUFSIZE_MASK, RX_MAR, RX_MIN_FRAME, RX_PAM,
    RX_RES, RXCFG_AAP, RXCFG_AB, RXCFG_AM, RXCFG_APM, RXCONFIG, RXMAXSIZE, T_MISSED,
    T_RX_BROADCAST, T_RX_ERR, T_RX_MULTICAST, T_RX_OK, T_RX_UNICAST, T_TX_ERR, T_TX_OK,
    TALLY, TALLY_SIZE, TALLY_WIDTHS, TNPDS_HI, TNPDS_LO, TX_LENGTH_MASK, TX_LINKFAIL,
    TX_MAX_FRAME, TX_MIN_FRAME, TX_TXERRSUM, TXPOLL, TXPOLL_FSWINT, TXPOLL_HPQ,
    TXPOLL_NPQ, W1C, WC, WO, Reg,
)

# Drop reasons (§10): the keys of RTL8169.drops.
DROP_BAD_DESC = "bad descriptor"
DROP_REASONS = (DROP_FILTER, DROP_NO_DESC, DROP_DMA, DROP_LINK_DOWN, DROP_RX_DISABLED,
                DROP_OVERSIZE, DROP_RUNT, DROP_BAD_DESC, DROP_TX_BAD_LENGTH)

_BROADCAST = b"\xff" * 6
_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")
_u32 = _U32.unpack_from
_u64 = _U64.unpack_from
_p32 = _U32.pack_into
_OPTS = struct.Struct("<II")          # opts1, opts2 written back together
_popts = _OPTS.pack_into
_TALLY_MASKS = tuple((1 << w) - 1 for w in TALLY_WIDTHS)

OwnFilter = Callable[[int], bool]

# 6-bit reversal table for the multicast hash (§5.2).
_REV6 = tuple(int(f"{i:06b}"[::-1], 2) for i in range(64))


def mc_hash(addr: bytes) -> int:
    """§5.2: the MAR bit of ``addr``: the top 6 bits of its big-endian CRC-32.

    The big-endian CRC (polynomial 0x04C11DB7, register preset to all ones,
    data bits taken least significant first, no final inversion) is the bit
    reversal of the complement of the reflected CRC-32 that ``zlib`` computes,
    so its top 6 bits are the reversed low 6 bits of that complement.
    """
    return _REV6[~zlib.crc32(addr) & 0x3F]



# -- §2 register file as data --------------------------------------------------------
_REG_AT: dict[int, Reg] = {r.offset: r for r in REGISTERS}
_WMASK: dict[int, int] = {r.offset: r.wmask for r in REGISTERS}
_RESET_IMAGE: list[int] = [0] * BAR0_SIZE
for _r in REGISTERS:
    _RESET_IMAGE[_r.offset] = _r.reset

# An access plan: for each register an access covers, (register offset, shift
# of its part in the access value, shift of that part in the register, mask of
# the part's bits).  §2.1: accesses are naturally aligned 1, 2 or 4 bytes.
Plan = tuple[tuple[int, int, int, int], ...]


def _make_plans(size: int) -> dict[int, Plan]:
    plans: dict[int, Plan] = {}
    for off in range(0, BAR0_SIZE, size):
        items = []
        for r in REGISTERS:
            lo = max(off, r.offset)
            hi = min(off + size, r.offset + r.width)
            if lo < hi:
                items.append((r.offset, (lo - off) * 8, (lo - r.offset) * 8,
                              (1 << (8 * (hi - lo))) - 1))
        if items:
            plans[off] = tuple(items)
    return plans


_PLANS1 = _make_plans(1)
_PLANS2 = _make_plans(2)
_PLANS4 = _make_plans(4)


class RTL8169(EtherDevice):
    """The RTL8169S of ``docs/hw/re.md``; attach it to a wire with :meth:`connect`.

    Public state besides the registers: ``drops`` (reason -> frames),
    ``dma_faults``, ``tx_bad_desc``, ``cfg_locked_writes``, ``tx_poll_ignored``,
    ``hpq_polls``, ``unimpl_writes``, ``irq_assertions``, ``tally`` (the §3.9
    counters), ``link`` (PHYstatus.LinkSts), ``port``, the NIC's ring positions
    ``rx_cur``/``tx_cur`` and ``rx_desc_taken`` (§10), the fault hook
    ``rx_own_filter`` and the ``trace`` hook, called as ``trace(event,
    dev=name, **fields)`` for each drop (``re_rx_drop``/``re_tx_drop`` with
    ``reason`` and ``len``), each interrupt assertion (``re_intr`` with
    ``isr``), each link change (``re_link`` with ``up``) and each failed tally
    dump (``re_dtcc_fault`` with ``addr``).
    """

    VENDOR_ID = PCI_VENDOR_REALTEK
    DEVICE_ID = PCI_DEVICE_8169
    CLASS_CODE = PCI_CLASS_ETHERNET
    REVISION = PCI_REVISION_8169S
    BAR0_SIZE = BAR0_SIZE

    def __init__(self, mac: Union[bytes, str], name: str = "re0") -> None:
        super().__init__(mac, name, DROP_REASONS)
        # Fault-injection hook (emu/faults.py): called with how many descriptors
        # past rx_cur an RX descriptor with OWN set lies; False hides its OWN bit.
        self.rx_own_filter: Optional[OwnFilter] = None
        self.cfg_locked_writes = 0
        self.tx_poll_ignored = 0
        self.hpq_polls = 0
        self.rx_desc_taken = 0
        self.power_on_reset()

    # -- §8 reset -----------------------------------------------------------------------
    def power_on_reset(self) -> None:
        """Power on: every register to its reset value, the EEPROM's MAC autoloaded
        into IDR0-5, the tally counters cleared."""
        self.regs: list[int] = list(_RESET_IMAGE)
        for i, b in enumerate(self.mac_address):
            self.regs[IDR0 + i] = b
        self.tally: list[int] = [0] * len(TALLY_WIDTHS)
        self._after_reset()

    def soft_reset(self) -> None:
        """§3.1 ChipCmd.RST: IDR, MAR and the descriptor and dump addresses keep
        their values; every other register returns to its reset value; the ring
        positions go back to descriptor 0.  Tally counters and link are kept."""
        regs = self.regs
        for off, val in enumerate(_RESET_IMAGE):
            if off not in RST_KEEPS:
                regs[off] = val
        self._after_reset()

    def _after_reset(self) -> None:
        self.rx_cur = 0
        self.tx_cur = 0
        self._config_all()
        if self._irq_level and self.irq is not None:
            self.irq.set(False)
        self._irq_level = False

    def _config_all(self) -> None:
        regs = self.regs
        self._idr = bytes(regs[IDR0:IDR0 + 6])
        self._mar = int.from_bytes(bytes(regs[MAR0:MAR0 + 8]), "little")
        self._rcr = regs[RXCONFIG]
        self._rms = regs[RXMAXSIZE]
        self._tx_max = min(regs[MTPS] * MTPS_UNIT, TX_MAX_FRAME)
        self._rx_base = regs[RDSAR_HI] << 32 | regs[RDSAR_LO]
        self._tx_base = regs[TNPDS_HI] << 32 | regs[TNPDS_LO]
        self._rx_on = bool(regs[CHIPCMD] & CMD_RE)
        self._tx_on = bool(regs[CHIPCMD] & CMD_TE)

    # -- §2.1 register access (bus side) -------------------------------------------------
    def mmio_read(self, off: int) -> int:
        """A 32-bit read (the bus's dword access)."""
        return self._read(off, _PLANS4)

    def mmio_read_2(self, off: int) -> int:
        return self._read(off, _PLANS2)

    def mmio_read_1(self, off: int) -> int:
        return self._read(off, _PLANS1)

    def mmio_write(self, off: int, value: int) -> None:
        """A 32-bit write (the bus's dword access)."""
        self._write(off, value & 0xFFFF_FFFF, _PLANS4)

    def mmio_write_2(self, off: int, value: int) -> None:
        self._write(off, value & 0xFFFF, _PLANS2)

    def mmio_write_1(self, off: int, value: int) -> None:
        self._write(off, value & 0xFF, _PLANS1)

    def _read(self, off: int, plans: dict[int, Plan]) -> int:
        plan = plans.get(off)
        if plan is None:
            return 0                     # §2.1: unimplemented bytes read 0
        val = 0
        for reg, acc_shift, reg_shift, mask in plan:
            val |= ((_READ_OPS[reg](self, reg) >> reg_shift) & mask) << acc_shift
        return val

    def _write(self, off: int, value: int, plans: dict[int, Plan]) -> None:
        plan = plans.get(off)
        if plan is None:
            self.unimpl_writes += 1      # §2.1: ignored, counted
            return
        for reg, acc_shift, reg_shift, mask in plan:
            _WRITE_OPS[reg](self, reg, ((value >> acc_shift) & mask) << reg_shift,
                            mask << reg_shift)

    def _r_reg(self, off: int) -> int:
        return self.regs[off]

    def _r_zero(self, off: int) -> int:
        return 0

    def _w_reg(self, off: int, val: int, lanes: int) -> None:
        m = lanes & _WMASK[off]
        self.regs[off] = (self.regs[off] & ~m) | (val & m)

    def _w_ignore(self, off: int, val: int, lanes: int) -> None:
        pass

    # §3.5 IDR0-5: writable only while 9346CR.EEM = 11.
    def _w_idr(self, off: int, val: int, lanes: int) -> None:
        if self.regs[CR9346] & EEM_MASK != EEM_CONFIG_WRITE:
            self.cfg_locked_writes += 1
            return
        self._w_reg(off, val, lanes)
        self._idr = bytes(self.regs[IDR0:IDR0 + 6])

    # §5.2 MAR0-7: the 64-bit hash is kept as one int.
    def _w_mar(self, off: int, val: int, lanes: int) -> None:
        self._w_reg(off, val, lanes)
        self._mar = int.from_bytes(bytes(self.regs[MAR0:MAR0 + 8]), "little")

    # §3.1 ChipCmd: RST resets; RE and TE start and stop the two engines.
    def _w_chipcmd(self, off: int, val: int, lanes: int) -> None:
        if val & CMD_RST:
            self.soft_reset()
            return
        self._w_reg(off, val, lanes)
        self._rx_on = bool(self.regs[CHIPCMD] & CMD_RE)
        self._tx_on = bool(self.regs[CHIPCMD] & CMD_TE)

    # §3.2 TxPoll: the doorbell.
    def _w_txpoll(self, off: int, val: int, lanes: int) -> None:
        if val & TXPOLL_FSWINT:
            self._isr_set(ISR_SWINT)
        if val & TXPOLL_HPQ:
            self.hpq_polls += 1          # §11: the high-priority queue is not modelled
        if val & TXPOLL_NPQ:
            self._start_xmit()

    # §6.1 interrupt registers.
    def _w_intrmask(self, off: int, val: int, lanes: int) -> None:
        self._w_reg(off, val, lanes)
        self.update_irq()

    def _w_intrstatus(self, off: int, val: int, lanes: int) -> None:
        self.regs[INTRSTATUS] &= ~(val & lanes)     # write-1-to-clear
        self.update_irq()

    # §3.3, §3.4, §3.7: configuration with cached derived values.
    def _w_rxconfig(self, off: int, val: int, lanes: int) -> None:
        self._w_reg(off, val, lanes)
        self._rcr = self.regs[RXCONFIG]

    def _w_rxmaxsize(self, off: int, val: int, lanes: int) -> None:
        self._w_reg(off, val, lanes)
        self._rms = self.regs[RXMAXSIZE]

    def _w_mtps(self, off: int, val: int, lanes: int) -> None:
        self._w_reg(off, val, lanes)
        self._tx_max = min(self.regs[MTPS] * MTPS_UNIT, TX_MAX_FRAME)

    # §4.3: writing a start address puts the NIC's position back to descriptor 0.
    def _w_rdsar(self, off: int, val: int, lanes: int) -> None:
        self._w_reg(off, val, lanes)
        self._rx_base = self.regs[RDSAR_HI] << 32 | self.regs[RDSAR_LO]
        self.rx_cur = 0

    def _w_tnpds(self, off: int, val: int, lanes: int) -> None:
        self._w_reg(off, val, lanes)
        self._tx_base = self.regs[TNPDS_HI] << 32 | self.regs[TNPDS_LO]
        self.tx_cur = 0

    # §3.8 MPC: any write clears it.
    def _w_mpc(self, off: int, val: int, lanes: int) -> None:
        self.regs[MPC] = 0

    # §3.6 PHYstatus is computed.
    def _r_phystatus(self, off: int) -> int:
        return PHY_FULLDUP | PHY_LINKSTS | PHY_1000MF if self._link else 0

    # §3.9 DTCCR: Cmd dumps the tally counters to memory, at once.
    def _w_dtccr(self, off: int, val: int, lanes: int) -> None:
        self._w_reg(off, val, lanes)
        regs = self.regs
        if not regs[DTCCR_LO] & DTCCR_CMD:
            return
        regs[DTCCR_LO] &= ~DTCCR_CMD
        addr = regs[DTCCR_HI] << 32 | (regs[DTCCR_LO] & DTCCR_ADDR_MASK)
        mem = self.mem
        if mem is None or addr + TALLY_SIZE > mem.size:
            self.dma_faults += 1
            if self.trace is not None:
                self.trace("re_dtcc_fault", dev=self.name, addr=addr)
            self._isr_set(ISR_SERR)
            return
        TALLY.pack_into(mem.ram, addr, *(v & m for v, m in zip(self.tally, _TALLY_MASKS)))

    # -- §6 interrupts ----------------------------------------------------------------------
    def _isr_set(self, bits: int) -> None:
        regs = self.regs
        regs[INTRSTATUS] |= bits
        if regs[INTRMASK] & bits:        # a new enabled cause re-samples the line (§6.2)
            self.update_irq()

    def update_irq(self) -> None:
        """Drive the line from ``IntrStatus & IntrMask`` (§6.2)."""
        regs = self.regs
        if self._irq_level_update(regs[INTRSTATUS] & regs[INTRMASK]):
            self._irq_raise("re_intr", isr=regs[INTRSTATUS])

    # -- §9 link --------------------------------------------------------------------------
    def _update_link(self) -> None:
        up = self._carrier
        if up != self._link:
            self._link = up
            if self.trace is not None:
                self.trace("re_link", dev=self.name, up=up)
            self._isr_set(ISR_LINKCHG)

    # -- §5 receive ----------------------------------------------------------------------
    def receive_frame(self, frame: bytes) -> None:
        """A frame arrives from the wire (called by the segment, in an event)."""
        n = len(frame)
        # §5.1 step 1
        if not self._rx_on:
            return self._drop("re_rx_drop", DROP_RX_DISABLED, n)
        if not self._link:
            return self._drop("re_rx_drop", DROP_LINK_DOWN, n)
        # step 2: sizes; RxMaxSize counts the CRC
        tally = self.tally
        if n < RX_MIN_FRAME:
            tally[T_RX_ERR] += 1
            return self._drop("re_rx_drop", DROP_RUNT, n)
        total = n + ETHER_CRC_LEN
        if total > self._rms:
            tally[T_RX_ERR] += 1
            return self._drop("re_rx_drop", DROP_OVERSIZE, n)
        # steps 3-5: the accept bits of RxConfig (§3.4)
        rcr = self._rcr
        dst = frame[:6]
        if frame[0] & 1:
            if dst == _BROADCAST:
                if not rcr & (RXCFG_AB | RXCFG_AAP):
                    return self._drop("re_rx_drop", DROP_FILTER, n)
                status = RX_BAR
                kind = T_RX_BROADCAST
            else:
                if not rcr & RXCFG_AAP and not (
                        rcr & RXCFG_AM and (self._mar >> mc_hash(dst)) & 1):
                    return self._drop("re_rx_drop", DROP_FILTER, n)
                status = RX_MAR
                kind = T_RX_MULTICAST
        else:
            if dst == self._idr and rcr & (RXCFG_APM | RXCFG_AAP):
                status = RX_PAM
            elif rcr & RXCFG_AAP:
                status = 0
            else:
                return self._drop("re_rx_drop", DROP_FILTER, n)
            kind = T_RX_UNICAST

        # §5.3: the descriptor at rx_cur; the frame is written with its CRC.
        mem = self.mem
        ram = mem.ram
        size = mem.size
        base = self._rx_base
        idx = self.rx_cur
        flt = self.rx_own_filter
        d = base + (idx << 4)
        if d + 16 > size:
            return self._rx_dma_fault(d, n)
        opts1 = _u32(ram, d)[0]
        if not opts1 & DESC_OWN or (flt is not None and not flt(0)):
            return self._rx_no_desc(n)
        bufsize = opts1 & RX_BUFSIZE_MASK
        if bufsize >= total:
            # the common case: the frame fits one buffer
            buf = _u64(ram, d + 8)[0]
            if buf + total > size:
                return self._rx_dma_fault(buf, n)
            ram[buf:buf + n] = frame
            ram[buf + n:buf + total] = zlib.crc32(frame).to_bytes(4, "little")
            _popts(ram, d, (opts1 & DESC_EOR) | DESC_FS | DESC_LS | status | total, 0)
            self.rx_cur = 0 if opts1 & DESC_EOR or idx + 1 >= RING_MAX else idx + 1
            self.rx_desc_taken += 1
        elif not self._rx_gather(frame, total, status):
            return None
        tally[T_RX_OK] += 1
        tally[kind] += 1
        self._isr_set(ISR_ROK)
        return None

    def _rx_gather(self, frame: bytes, total: int, status: int) -> bool:
        """§5.3: a frame over several buffers, or a descriptor without a buffer.

        Every descriptor is checked (owned, buffer inside memory) before any
        byte is written, so a frame dropped for want of descriptors or for a
        DMA fault leaves no trace in memory.  True if the frame was stored.
        """
        n = len(frame)
        mem = self.mem
        ram = mem.ram
        size = mem.size
        base = self._rx_base
        flt = self.rx_own_filter
        idx = self.rx_cur
        pos = 0
        walked: list[tuple[int, int, int, int]] = []    # (desc, opts1, buf, bytes)
        while pos < total:
            if len(walked) >= RING_MAX:
                self._rx_no_desc(n)      # the whole ring cannot hold it
                return False
            d = base + (idx << 4)
            if d + 16 > size:
                self._rx_dma_fault(d, n)
                return False
            opts1 = _u32(ram, d)[0]
            if not opts1 & DESC_OWN or (flt is not None and not flt(len(walked))):
                self._rx_no_desc(n)
                return False
            bufsize = opts1 & RX_BUFSIZE_MASK
            idx = 0 if opts1 & DESC_EOR or idx + 1 >= RING_MAX else idx + 1
            if bufsize == 0:
                # §4.1: a descriptor without a buffer ends the frame in error.
                walked.append((d, opts1, 0, 0))
                self._rx_bad_desc(walked, idx, n)
                return False
            buf = _u64(ram, d + 8)[0]
            chunk = total - pos if total - pos < bufsize else bufsize
            if buf + chunk > size:
                self._rx_dma_fault(buf, n)
                return False
            walked.append((d, opts1, buf, chunk))
            pos += chunk
        data = frame + zlib.crc32(frame).to_bytes(4, "little")
        pos = 0
        for _d, _o, buf, chunk in walked:
            ram[buf:buf + chunk] = data[pos:pos + chunk]
            pos += chunk
        last = len(walked) - 1
        for k, (d, opts1, _buf, chunk) in enumerate(walked):
            o = opts1 & DESC_EOR
            if k == 0:
                o |= DESC_FS
            o |= DESC_LS | status | total if k == last else chunk
            _popts(ram, d, o, 0)
        self.rx_cur = idx
        self.rx_desc_taken += len(walked)
        return True

    def _rx_no_desc(self, n: int) -> None:
        """§5.4: the descriptor at rx_cur is not the NIC's: drop, count, RDU."""
        regs = self.regs
        if regs[MPC] < MPC_MAX:
            regs[MPC] += 1
        self.tally[T_MISSED] += 1
        self._drop("re_rx_drop", DROP_NO_DESC, n)
        self._isr_set(ISR_RDU)

    def _rx_bad_desc(self, walked: list[tuple[int, int, int, int]], idx: int, n: int) -> None:
        """§4.1: the walked descriptors go back as one errored frame (RES), RER."""
        ram = self.mem.ram
        last = len(walked) - 1
        for k, (d, opts1, _buf, chunk) in enumerate(walked):
            o = opts1 & DESC_EOR
            if k == 0:
                o |= DESC_FS
            o |= DESC_LS | RX_RES if k == last else chunk
            _popts(ram, d, o, 0)
        self.rx_cur = idx
        self.rx_desc_taken += len(walked)
        self.tally[T_RX_ERR] += 1
        self._drop("re_rx_drop", DROP_BAD_DESC, n)
        self._isr_set(ISR_RER)

    def _rx_dma_fault(self, addr: int, length: int) -> None:
        """§5.5: drop the frame, count it, stop the receiver (RE reads 0), SERR."""
        self.regs[CHIPCMD] &= ~CMD_RE
        self._rx_on = False
        self._dma_fault("re_rx_drop", addr, length)
        self._isr_set(ISR_SERR)

    # -- §7 transmit ----------------------------------------------------------------------
    def _start_xmit(self) -> None:
        """§7.1: from tx_cur, send every frame whose descriptors the NIC owns."""
        if not self._tx_on:
            self.tx_poll_ignored += 1    # §3.2: TE = 0, the poll is ignored
            return
        mem = self.mem
        ram = mem.ram
        view = mem.view
        size = mem.size
        base = self._tx_base
        idx = self.tx_cur
        isr = ISR_TDU
        gathered: list[int] = []         # descriptor addresses of the frame being gathered
        parts: list[bytes] = []
        flen = 0
        for _ in range(RING_MAX):
            d = base + (idx << 4)
            if d + 16 > size:
                return self._tx_dma_fault(d, flen, isr & ~ISR_TDU)
            opts1 = _u32(ram, d)[0]
            if not opts1 & DESC_OWN:
                break                    # §7.1: the queue is empty (TDU)
            nxt = 0 if opts1 & DESC_EOR or idx + 1 >= RING_MAX else idx + 1
            length = opts1 & TX_LENGTH_MASK
            if opts1 & DESC_FS:
                if gathered:
                    # §7.2: a new frame before the last one ended: that one is dropped
                    isr |= self._tx_abandon(gathered, flen)
                    parts = []
                    flen = 0
                if opts1 & DESC_LS:
                    # the common case: a frame in one buffer
                    buf = _u64(ram, d + 8)[0]
                    if buf + length > size:
                        return self._tx_dma_fault(buf, length, isr & ~ISR_TDU)
                    st, cause = self._tx_send(view[buf:buf + length].tobytes(), length)
                    _p32(ram, d, (opts1 & ~DESC_OWN) | st)
                    isr |= cause
                    idx = self.tx_cur = nxt
                    continue
            elif not gathered:
                # a middle or last descriptor without a first: consumed, counted
                self.tx_bad_desc += 1
                _p32(ram, d, opts1 & ~DESC_OWN)
                idx = self.tx_cur = nxt
                continue
            if length:
                buf = _u64(ram, d + 8)[0]
                if buf + length > size:
                    return self._tx_dma_fault(buf, flen + length, isr & ~ISR_TDU)
                if flen + length <= TX_MAX_FRAME:
                    parts.append(view[buf:buf + length].tobytes())
                flen += length
            gathered.append(d)
            idx = nxt
            if opts1 & DESC_LS:
                st, cause = self._tx_send(b"".join(parts), flen)
                isr |= cause
                self._tx_complete(gathered, st)
                gathered = []
                parts = []
                flen = 0
                self.tx_cur = idx
        else:
            isr &= ~ISR_TDU              # stopped by the walk bound, not an empty queue
        # A frame still without its last descriptor stays the NIC's: tx_cur is at
        # its first descriptor and the next poll gathers it again (§7.1).
        self._isr_set(isr)
        return None

    def _tx_complete(self, descs: list[int], status: int) -> None:
        """Hand the descriptors of a frame back: OWN cleared, status on the last."""
        ram = self.mem.ram
        last = descs[-1]
        for d in descs:
            opts1 = _u32(ram, d)[0] & ~DESC_OWN
            _p32(ram, d, opts1 | status if d == last else opts1)

    def _tx_abandon(self, descs: list[int], flen: int) -> int:
        self.tx_bad_desc += 1
        self.tally[T_TX_ERR] += 1
        self._drop("re_tx_drop", DROP_BAD_DESC, flen)
        self._tx_complete(descs, TX_TXERRSUM)
        return ISR_TER

    def _tx_send(self, frame: bytes, length: int) -> tuple[int, int]:
        """§7.2: put one frame on the wire; returns (LS status bits, cause)."""
        tally = self.tally
        if length == 0 or length > self._tx_max:
            tally[T_TX_ERR] += 1
            self._drop("re_tx_drop", DROP_TX_BAD_LENGTH, length)
            return TX_TXERRSUM, ISR_TER
        if length < TX_MIN_FRAME:
            frame += bytes(TX_MIN_FRAME - length)       # §7.2: padded by the NIC
        port = self.port
        if not self._link or port is None or not port.transmit(frame):
            tally[T_TX_ERR] += 1
            self._drop("re_tx_drop", DROP_LINK_DOWN, length)
            return TX_TXERRSUM | TX_LINKFAIL, ISR_TER
        tally[T_TX_OK] += 1
        return 0, ISR_TOK

    def _tx_dma_fault(self, addr: int, length: int, isr: int) -> None:
        """§7.3: the frame being gathered is dropped, TE reads 0, SERR."""
        self.regs[CHIPCMD] &= ~CMD_TE
        self._tx_on = False
        self._dma_fault("re_tx_drop", addr, length)
        self._isr_set(isr | ISR_SERR)


# -- the op tables -------------------------------------------------------------------------
_READ_OPS: dict[int, Callable[[RTL8169, int], int]] = {}
_WRITE_OPS: dict[int, Callable[[RTL8169, int, int, int], None]] = {}
for _r in REGISTERS:
    _READ_OPS[_r.offset] = RTL8169._r_zero if _r.access == WO else RTL8169._r_reg
    _WRITE_OPS[_r.offset] = {RW: RTL8169._w_reg, RO: RTL8169._w_ignore, W1C: RTL8169._w_intrstatus,
                             WC: RTL8169._w_mpc, WO: RTL8169._w_txpoll}[_r.access]
for _i in range(6):
    _WRITE_OPS[IDR0 + _i] = RTL8169._w_idr
for _i in range(8):
    _WRITE_OPS[MAR0 + _i] = RTL8169._w_mar
_READ_OPS[PHYSTATUS] = RTL8169._r_phystatus
_WRITE_OPS.update({
    CHIPCMD: RTL8169._w_chipcmd, TXPOLL: RTL8169._w_txpoll, INTRMASK: RTL8169._w_intrmask,
    INTRSTATUS: RTL8169._w_intrstatus, RXCONFIG: RTL8169._w_rxconfig,
    RXMAXSIZE: RTL8169._w_rxmaxsize, MTPS: RTL8169._w_mtps,
    RDSAR_LO: RTL8169._w_rdsar, RDSAR_HI: RTL8169._w_rdsar,
    TNPDS_LO: RTL8169._w_tnpds, TNPDS_HI: RTL8169._w_tnpds,
    DTCCR_LO: RTL8169._w_dtccr, MPC: RTL8169._w_mpc,
})
assert set(_READ_OPS) == set(_WRITE_OPS) == set(_REG_AT)
