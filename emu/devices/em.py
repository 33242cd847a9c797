"""em: model of an Intel 8254x-class (82540EM) Gigabit Ethernet controller.

What it models is ``docs/hw/em.md``: the 82540EM in legacy descriptor mode —
the register file of §2, EEPROM reads through EERD (§4), the receive path with
its filters, multicast hash and descriptor ring (§5), interrupt causes with
RDTR delay and ITR throttling on the virtual clock (§6), and the transmit ring
(§7).  Section numbers in comments are that page's.

The structure follows QEMU's ``hw/net/e1000.c`` (the code here is our own): the
register file is data — :data:`emu.devices.em_regs.REGISTERS` gives the reset
image and write masks, :data:`_READ_OPS` / :data:`_WRITE_OPS` map offsets to
handlers — and side effects live only where the hardware has them: the TDT
doorbell, read-to-clear ICR and statistics, write-1-to-clear ICR/IMC, CTRL.RST.
One :meth:`E1000.update_irq` computes ``ICR & IMS`` and drives the line.

DMA goes to guest memory only after a bounds check; an access outside it is
the error state of §5.4/§6.2 (ring stopped, ``dma_faults``, a drop reason),
never an exception out of the device.  Every dropped frame is counted in
``drops[reason]`` and reported to the ``trace`` hook (None = off, free).
"""
from __future__ import annotations

from typing import Optional, Union

from emu.devices.ether import (DROP_DMA, DROP_FILTER, DROP_LINK_DOWN, DROP_NO_DESC, DROP_OVERSIZE,
                               DROP_RUNT, DROP_RX_DISABLED, DROP_TX_BAD_LENGTH, EtherDevice)
from emu.devices.regfile import RegisterFile
from emu.sched import Scheduler
from emu.devices.em_regs import (
    BAR0_SIZE, BPRC, CTRL, CTRL_LRST, CTRL_RST, CTRL_SLU, EEPROM_CHECKSUM_WORD,
    EEPROM_SUM, EEPROM_WORDS, EERD, EERD_ADDR_SHIFT, EERD_DATA_SHIFT, EERD_DONE,
    EERD_START, GORCH, GORCL, GOTCH, GOTCL, GPRC, GPTC, ICR, ICR_LSC, ICR_RXDMT0,
    ICR_RXO, ICR_RXT0, ICR_TXDW, ICR_TXQE, ICS, IMC, IMS, ITR, ITR_UNIT_NS, MPC,
    MPRC, MTA, MTA_SHIFT, PCI_CLASS_ETHERNET, PCI_DEVICE_82540EM,
    PCI_VENDOR_INTEL, RA_COUNT, RAH, RAH_AV, RAL, RCTL, RCTL_BAM, RCTL_BSEX,
    RCTL_BSIZE_SHIFT, RCTL_EN, RCTL_LPE, RCTL_MO_SHIFT, RCTL_MPE,
    RCTL_RDMTS_SHIFT, RCTL_UPE, RDBAH, RDBAL, RDH, RDLEN, RDT, RDTR,
    RDTR_UNIT_NS, REG_END, REGISTERS, RNBC, RX_BUFSIZE, RX_BUFSIZE_BSEX,
    RX_MAX_FRAME, RX_MAX_FRAME_LPE, RX_MIN_FRAME, RXD_ADDR, RXD_STAT_DD,
    RXD_STAT_EOP, RXD_WB, RXD_WB_OFF, STAT64_REGS, STAT_REGS, STATUS,
    STATUS_FD, STATUS_LU, STATUS_SPEED_1000, TCTL, TCTL_EN, TCTL_PSP, TDBAH,
    TDBAL, TDH, TDLEN, TDT, TPR, TPT, TX_MAX_FRAME, TX_MIN_FRAME, TXD,
    TXD_CMD_DEXT, TXD_CMD_EOP, TXD_CMD_IFCS, TXD_CMD_RS, TXD_STA_OFF,
    TXD_STAT_DD,
)

# Drop reasons (§9): the keys of E1000.drops.
DROP_REASONS = (DROP_FILTER, DROP_NO_DESC, DROP_DMA, DROP_LINK_DOWN, DROP_RX_DISABLED,
                DROP_OVERSIZE, DROP_RUNT, DROP_TX_BAD_LENGTH)

_BROADCAST = b"\xff" * 6
_M32 = 0xFFFF_FFFF

# Register indexes into E1000.regs (offset >> 2), for the hot paths.
_CTRL, _ICR, _IMS, _ITR, _RCTL, _TCTL = (r >> 2 for r in (CTRL, ICR, IMS, ITR, RCTL, TCTL))
_RDH, _RDT, _RDTR, _TDH, _TDT = (r >> 2 for r in (RDH, RDT, RDTR, TDH, TDT))
_TPR, _GPRC, _BPRC, _MPRC, _GORC = (r >> 2 for r in (TPR, GPRC, BPRC, MPRC, GORCL))
_MPC, _RNBC, _GPTC, _TPT, _GOTC = (r >> 2 for r in (MPC, RNBC, GPTC, TPT, GOTCL))
_MTA = MTA >> 2

# The reset image of §2/§8 and the bits a plain write stores.
_RESET_IMAGE: list[int] = [0] * (REG_END >> 2)
_WMASK: dict[int, int] = {}
for _r in REGISTERS:
    _RESET_IMAGE[_r.offset >> 2] = _r.reset
    _WMASK[_r.offset] = _r.wmask




def eeprom_image(mac: bytes) -> list[int]:
    """The 64 EEPROM words of §4: MAC in words 0..2, checksum word 0x3F."""
    words = [0] * EEPROM_WORDS
    for i in range(3):
        words[i] = mac[2 * i] | (mac[2 * i + 1] << 8)
    words[EEPROM_CHECKSUM_WORD] = (EEPROM_SUM - sum(words[:EEPROM_CHECKSUM_WORD])) & 0xFFFF
    return words


class E1000(RegisterFile, EtherDevice):
    """The 82540EM of ``docs/hw/em.md``; attach it to a wire with :meth:`connect`.

    Public state besides the registers: ``drops`` (reason -> frames),
    ``dma_faults``, ``tx_bad_desc``, ``tx_no_ifcs``, ``unimpl_writes``,
    ``irq_assertions``, ``link`` (STATUS.LU), ``port`` and the ``trace`` hook,
    called as ``trace(event, dev=name, **fields)`` for each drop
    (``em_rx_drop``/``em_tx_drop``, with ``reason`` and ``len``), each
    interrupt assertion (``em_intr``, with ``icr``) and each link change
    (``em_link``, with ``up``).
    """

    VENDOR_ID = PCI_VENDOR_INTEL
    DEVICE_ID = PCI_DEVICE_82540EM
    CLASS_CODE = PCI_CLASS_ETHERNET
    BAR0_SIZE = BAR0_SIZE

    def __init__(self, mac: Union[bytes, str], name: str = "em0") -> None:
        super().__init__(mac, name, DROP_REASONS)
        self.eeprom = eeprom_image(self.mac_address)
        self.tx_no_ifcs = 0
        self._rxt_ev = None
        self._itr_ev = None
        self.reset()

    # -- §8 reset ---------------------------------------------------------------
    def reset(self) -> None:
        """Power-on / CTRL.RST: every register to its reset value, EEPROM -> RA[0]."""
        for ev in (self._rxt_ev, self._itr_ev):
            Scheduler.cancel(ev)
        self._rxt_ev = None
        self._itr_ev = None
        self._rxt_deadline = 0
        self._last_assert: Optional[int] = None
        self.regs: list[int] = list(_RESET_IMAGE)
        w = self.eeprom                  # §8: RAL0/RAH0 from EEPROM words 0..2
        self.regs[RAL(0) >> 2] = w[0] | w[1] << 16
        self.regs[RAH(0) >> 2] = w[2] | RAH_AV
        self._tx_parts: list[bytes] = []
        self._tx_len = 0
        if self._irq_level and self.irq is not None:
            self.irq.set(False)
        self._irq_level = False
        self._rx_n = 0
        self._rx_config()
        self._rx_ring_config()
        self._tx_ring_config()
        self._ra_config()
        # STATUS.LU follows the reset CTRL and the cable; a reset sets no LSC.
        self._link = self._link_state()

    # -- register access (bus side) ------------------------------------------------
    # mmio_read / mmio_write and the plain handlers: emu/devices/regfile.py

    # §3.1 CTRL: RST resets the device; SLU and LRST move the link.
    def _w_ctrl(self, off: int, val: int) -> None:
        if val & CTRL_RST:
            self.reset()
            return
        self.regs[_CTRL] = val & _WMASK[CTRL]
        self._update_link()

    # §3.2 STATUS is computed.
    def _r_status(self, off: int) -> int:
        return STATUS_FD | STATUS_SPEED_1000 | (STATUS_LU if self._link else 0)

    # §4 EERD: the read completes at once.
    def _w_eerd(self, off: int, val: int) -> None:
        if val & EERD_START:
            addr = (val >> EERD_ADDR_SHIFT) & 0xFF
            data = self.eeprom[addr] if addr < EEPROM_WORDS else 0xFFFF
            val = (data << EERD_DATA_SHIFT) | (addr << EERD_ADDR_SHIFT) | EERD_DONE
        else:
            val &= ~EERD_DONE & _M32
        self.regs[EERD >> 2] = val

    # §6.1 interrupt registers.
    def _r_icr(self, off: int) -> int:
        regs = self.regs
        val = regs[_ICR]
        if val:
            regs[_ICR] = 0                # read-to-clear
            self.update_irq()
        return val

    def _w_icr(self, off: int, val: int) -> None:
        self.regs[_ICR] &= ~val           # write-1-to-clear
        self.update_irq()

    def _w_ics(self, off: int, val: int) -> None:
        self.regs[_ICR] |= val
        self.update_irq()

    def _w_ims(self, off: int, val: int) -> None:
        self.regs[_IMS] |= val
        self.update_irq()

    def _w_imc(self, off: int, val: int) -> None:
        self.regs[_IMS] &= ~val
        self.update_irq()

    def _w_itr(self, off: int, val: int) -> None:
        self.regs[_ITR] = val & 0xFFFF
        if self._itr_ev is not None:
            Scheduler.cancel(self._itr_ev)
            self._itr_ev = None
        self.update_irq()

    # §3.3 RCTL and the RX ring registers: derived values are cached here.
    def _w_rctl(self, off: int, val: int) -> None:
        self.regs[_RCTL] = val
        self._rx_config()

    def _rx_config(self) -> None:
        rctl = self.regs[_RCTL]
        bsize = (rctl >> RCTL_BSIZE_SHIFT) & 3
        self._rx_bsize = (RX_BUFSIZE_BSEX if rctl & RCTL_BSEX else RX_BUFSIZE)[bsize]
        self._rx_max = RX_MAX_FRAME_LPE if rctl & RCTL_LPE else RX_MAX_FRAME
        self._mo_shift = MTA_SHIFT[(rctl >> RCTL_MO_SHIFT) & 3]
        # RDMTS: 1/2, 1/4, 1/8 (and 1/16 for the reserved 11) of the ring
        self._rx_thresh_shift = ((rctl >> RCTL_RDMTS_SHIFT) & 3) + 1
        self._rx_thresh = self._rx_n >> self._rx_thresh_shift

    def _w_rx_ring(self, off: int, val: int) -> None:
        self.regs[off >> 2] = val & _WMASK[off]
        self._rx_ring_config()

    def _rx_ring_config(self) -> None:
        regs = self.regs
        self._rx_base = regs[RDBAH >> 2] << 32 | regs[RDBAL >> 2]
        self._rx_n = regs[RDLEN >> 2] >> 4
        self._rx_thresh = self._rx_n >> self._rx_thresh_shift

    # §3.4 TCTL and the TX ring registers.
    def _w_tctl(self, off: int, val: int) -> None:
        self.regs[_TCTL] = val
        if val & TCTL_EN:
            self._start_xmit()           # pending descriptors go out (§7.2)

    def _w_tx_ring(self, off: int, val: int) -> None:
        self.regs[off >> 2] = val & _WMASK[off]
        self._tx_ring_config()

    def _tx_ring_config(self) -> None:
        regs = self.regs
        self._tx_base = regs[TDBAH >> 2] << 32 | regs[TDBAL >> 2]
        self._tx_n = regs[TDLEN >> 2] >> 4

    def _w_tdt(self, off: int, val: int) -> None:
        self.regs[_TDT] = val & 0xFFFF    # the doorbell (§7.2)
        self._start_xmit()

    # §2 RAL/RAH: the exact-match filter is kept as a set of addresses.
    def _w_ra(self, off: int, val: int) -> None:
        self.regs[off >> 2] = val & _WMASK[off]
        self._ra_config()

    def _ra_config(self) -> None:
        regs = self.regs
        ras = set()
        for n in range(RA_COUNT):
            hi = regs[RAH(n) >> 2]
            if hi & RAH_AV:
                ras.add((regs[RAL(n) >> 2] | (hi & 0xFFFF) << 32).to_bytes(6, "little"))
        self._ra_set = frozenset(ras)

    # §2 statistics: read-to-clear; they stick at their maximum.
    def _r_stat(self, off: int) -> int:
        regs = self.regs
        i = off >> 2
        val = regs[i]
        regs[i] = 0
        return val if val < _M32 else _M32

    def _r_stat64_low(self, off: int) -> int:
        val = self.regs[off >> 2]
        return (val & _M32) if val < 1 << 64 else _M32

    def _r_stat64_high(self, off: int) -> int:
        regs = self.regs
        i = (off >> 2) - 1               # the counter lives in the low half's slot
        val = regs[i]
        regs[i] = 0
        return (val >> 32) if val < 1 << 64 else _M32

    # -- §6 interrupts ----------------------------------------------------------------
    def update_irq(self) -> None:
        """Drive the line from ``ICR & IMS``, no faster than ITR allows (§6.3)."""
        regs = self.regs
        pending = regs[_ICR] & regs[_IMS]
        if not pending and self._itr_ev is not None:
            # Nothing left to signal: the throttled assertion is not needed.
            Scheduler.cancel(self._itr_ev)
            self._itr_ev = None
        if not self._irq_level_update(pending):
            return
        itr = regs[_ITR]
        now = self.sched.now if self.sched is not None else 0
        if itr and self._last_assert is not None:
            due = self._last_assert + itr * ITR_UNIT_NS
            if now < due:
                if self._itr_ev is None:
                    self._itr_ev = self.sched.call_at(due, self._itr_expired)
                return
        self._last_assert = now
        self._irq_raise("em_intr", icr=regs[_ICR])

    def _itr_expired(self) -> None:
        self._itr_ev = None
        self.update_irq()

    def _rxt_expired(self) -> None:
        """RDTR timer (§6.1 RXT0): fires RDTR x 1.024 µs after the last stored frame."""
        deadline = self._rxt_deadline
        if self.sched.now < deadline:    # frames came meanwhile: the timer restarted
            self._rxt_ev = self.sched.call_at(deadline, self._rxt_expired)
            return
        self._rxt_ev = None
        self.regs[_ICR] |= ICR_RXT0
        self.update_irq()

    # -- link (§3.1, §3.2, LSC) --------------------------------------------------------
    def _link_state(self) -> bool:
        ctrl = self.regs[_CTRL]
        return bool(self._carrier and ctrl & CTRL_SLU and not ctrl & CTRL_LRST)

    def _update_link(self) -> None:
        up = self._link_state()
        if up != self._link:
            self._link = up
            if self.trace is not None:
                self.trace("em_link", dev=self.name, up=up)
            self.regs[_ICR] |= ICR_LSC
            self.update_irq()

    # -- §5 receive -------------------------------------------------------------------
    def receive_frame(self, frame: bytes) -> None:
        """A frame arrives from the wire (called by the segment, in an event)."""
        regs = self.regs
        regs[_TPR] += 1
        n = len(frame)
        rctl = regs[_RCTL]
        # §5.2 step 1
        if not rctl & RCTL_EN:
            return self._drop("em_rx_drop", DROP_RX_DISABLED, n)
        if not self._link:
            return self._drop("em_rx_drop", DROP_LINK_DOWN, n)
        # step 2
        if n > self._rx_max:
            return self._drop("em_rx_drop", DROP_OVERSIZE, n)
        if n < RX_MIN_FRAME:
            return self._drop("em_rx_drop", DROP_RUNT, n)
        dst = frame[:6]
        if not frame[0] & 1:
            # step 3: unicast
            if not (rctl & RCTL_UPE or dst in self._ra_set):
                return self._drop("em_rx_drop", DROP_FILTER, n)
            stat = 0
        elif dst == _BROADCAST:
            # step 4: broadcast
            if not rctl & (RCTL_BAM | RCTL_MPE):
                return self._drop("em_rx_drop", DROP_FILTER, n)
            stat = _BPRC
        else:
            # step 5: multicast; §5.3 hash
            if not (rctl & RCTL_MPE or dst in self._ra_set):
                h = ((frame[5] << 8 | frame[4]) >> self._mo_shift) & 0xFFF
                if not (regs[_MTA + (h >> 5)] >> (h & 0x1F)) & 1:
                    return self._drop("em_rx_drop", DROP_FILTER, n)
            stat = _MPRC

        # §5.4: enough free descriptors (RDH up to, not including, RDT)?
        ndesc = self._rx_n
        rdh = regs[_RDH]
        rdt = regs[_RDT]
        if rdh < ndesc and rdt < ndesc:
            free = rdt - rdh if rdt >= rdh else rdt - rdh + ndesc
        else:
            free = 0                     # ring not (validly) set up
        bsize = self._rx_bsize
        need = 1 if n <= bsize else (n + bsize - 1) // bsize
        if need > free:
            regs[_MPC] += 1
            regs[_RNBC] += 1
            regs[_ICR] |= ICR_RXO
            self._drop("em_rx_drop", DROP_NO_DESC, n)
            self.update_irq()
            return

        mem = self.mem
        ram = mem.ram
        size = mem.size
        base = self._rx_base
        d = base + (rdh << 4)
        if need == 1:
            if d + 16 > size:
                return self._rx_dma_fault(d, n)
            buf = RXD_ADDR.unpack_from(ram, d)[0]
            if buf + n > size:
                return self._rx_dma_fault(buf, n)
            ram[buf:buf + n] = frame
            RXD_WB.pack_into(ram, d + RXD_WB_OFF, n, 0, RXD_STAT_DD | RXD_STAT_EOP, 0, 0)
            rdh += 1
            if rdh == ndesc:
                rdh = 0
        else:
            # Several buffers: fill them all, then write the descriptors back,
            # so that a fault leaves no descriptor of this frame done (§5.4).
            done = []
            pos = 0
            idx = rdh
            while pos < n:
                d = base + (idx << 4)
                if d + 16 > size:
                    return self._rx_dma_fault(d, n)
                buf = RXD_ADDR.unpack_from(ram, d)[0]
                chunk = n - pos if n - pos < bsize else bsize
                if buf + chunk > size:
                    return self._rx_dma_fault(buf, n)
                ram[buf:buf + chunk] = frame[pos:pos + chunk]
                done.append((d, chunk))
                pos += chunk
                idx += 1
                if idx == ndesc:
                    idx = 0
            last = len(done) - 1
            for k, (d, chunk) in enumerate(done):
                RXD_WB.pack_into(ram, d + RXD_WB_OFF, chunk, 0,
                                 RXD_STAT_DD | RXD_STAT_EOP if k == last else RXD_STAT_DD, 0, 0)
            rdh = idx
        regs[_RDH] = rdh

        regs[_GPRC] += 1
        regs[_GORC] += n
        if stat:
            regs[stat] += 1
        # §6.1 RXDMT0: free descriptors at or below the threshold after this frame.
        icr = ICR_RXDMT0 if free - need <= self._rx_thresh else 0
        # §6.1 RXT0: at once with RDTR = 0, else RDTR x 1.024 µs after the last frame.
        rdtr = regs[_RDTR]
        if rdtr:
            self._rxt_deadline = self.sched.now + rdtr * RDTR_UNIT_NS
            if self._rxt_ev is None:
                self._rxt_ev = self.sched.call_at(self._rxt_deadline, self._rxt_expired)
        else:
            icr |= ICR_RXT0
        if icr:
            regs[_ICR] |= icr
            if regs[_IMS] & icr:         # a new cause re-samples a high line (§6.1)
                self.update_irq()
        return None

    def _rx_dma_fault(self, addr: int, length: int) -> None:
        """§5.4: drop the frame, count it, stop the receiver (RCTL.EN reads 0)."""
        self.regs[_RCTL] &= ~RCTL_EN
        self._dma_fault("em_rx_drop", addr, length)

    # -- §7 transmit -------------------------------------------------------------------
    def _start_xmit(self) -> None:
        """Process every descriptor from TDH up to TDT: one doorbell, one batch."""
        regs = self.regs
        if not regs[_TCTL] & TCTL_EN:
            return                       # TDT only recorded (§3.4)
        tdh = regs[_TDH]
        tdt = regs[_TDT]
        if tdh == tdt:
            return
        ndesc = self._tx_n
        if tdh >= ndesc or tdt >= ndesc:
            if self.trace is not None:   # ring not (validly) set up: nothing to send
                self.trace("em_tx_bad_ring", dev=self.name, tdh=tdh, tdt=tdt, ndesc=ndesc)
            return
        mem = self.mem
        ram = mem.ram
        view = mem.view
        size = mem.size
        base = self._tx_base
        unpack = TXD.unpack_from
        parts = self._tx_parts
        icr = 0
        fault = False
        while tdh != tdt:
            d = base + (tdh << 4)
            if d + 16 > size:
                self._dma_fault("em_tx_drop", d, self._tx_len)
                fault = True
                break
            addr, length, _cso, cmd = unpack(ram, d)
            if cmd & TXD_CMD_DEXT:
                self.tx_bad_desc += 1    # §7.1: extended descriptors are skipped
            else:
                if length:
                    if addr + length > size:
                        self._dma_fault("em_tx_drop", addr, self._tx_len + length)
                        fault = True
                        break
                    if cmd & TXD_CMD_EOP and not self._tx_len:
                        # the common case: a frame in one buffer
                        self._tx_send(view[addr:addr + length].tobytes(), length, cmd)
                    else:
                        self._tx_len += length
                        if self._tx_len <= TX_MAX_FRAME:
                            parts.append(ram[addr:addr + length])
                        if cmd & TXD_CMD_EOP:
                            frame = b"".join(parts)
                            parts.clear()
                            self._tx_send(frame, self._tx_len, cmd)
                            self._tx_len = 0
                elif cmd & TXD_CMD_EOP:
                    frame = b"".join(parts)
                    parts.clear()
                    self._tx_send(frame, self._tx_len, cmd)
                    self._tx_len = 0
            if cmd & TXD_CMD_RS:
                ram[d + TXD_STA_OFF] = TXD_STAT_DD
                icr |= ICR_TXDW
            tdh += 1
            if tdh == ndesc:
                tdh = 0
        regs[_TDH] = tdh
        if fault:
            # §6.2: the frame being assembled is dropped, TDH stays, TCTL.EN reads 0.
            parts.clear()
            self._tx_len = 0
            regs[_TCTL] &= ~TCTL_EN
        else:
            icr |= ICR_TXQE
        if icr:
            regs[_ICR] |= icr
            if regs[_IMS] & icr:         # a new cause re-samples a high line (§6.1)
                self.update_irq()

    def _tx_send(self, frame: Union[bytes, bytearray], length: int, cmd: int) -> None:
        """Put one assembled frame on the wire (§7.2)."""
        if length == 0 or length > TX_MAX_FRAME:
            return self._drop("em_tx_drop", DROP_TX_BAD_LENGTH, length)
        regs = self.regs
        if length < TX_MIN_FRAME and regs[_TCTL] & TCTL_PSP:
            frame = bytes(frame) + bytes(TX_MIN_FRAME - length)
            length = TX_MIN_FRAME
        elif type(frame) is not bytes:
            frame = bytes(frame)
        if not cmd & TXD_CMD_IFCS:
            self.tx_no_ifcs += 1
        port = self.port
        if not self._link or port is None or not port.transmit(frame):
            return self._drop("em_tx_drop", DROP_LINK_DOWN, length)
        regs[_GPTC] += 1
        regs[_TPT] += 1
        regs[_GOTC] += length
        return None


# -- the op tables (QEMU's macreg_readops / macreg_writeops) ------------------------
_READ_OPS, _WRITE_OPS = E1000.op_tables(REGISTERS)
_READ_OPS.update({STATUS: E1000._r_status, ICR: E1000._r_icr, ICS: E1000._r_zero,
                  IMC: E1000._r_zero})
_WRITE_OPS.update({
    CTRL: E1000._w_ctrl, STATUS: E1000._w_ignore, EERD: E1000._w_eerd,
    ICR: E1000._w_icr, ITR: E1000._w_itr, ICS: E1000._w_ics, IMS: E1000._w_ims,
    IMC: E1000._w_imc, RCTL: E1000._w_rctl, TCTL: E1000._w_tctl, TDT: E1000._w_tdt,
    RDBAL: E1000._w_rx_ring, RDBAH: E1000._w_rx_ring, RDLEN: E1000._w_rx_ring,
    TDBAL: E1000._w_tx_ring, TDBAH: E1000._w_tx_ring, TDLEN: E1000._w_tx_ring,
})
for _n in range(RA_COUNT):
    _WRITE_OPS[RAL(_n)] = E1000._w_ra
    _WRITE_OPS[RAH(_n)] = E1000._w_ra
for _off in STAT_REGS:
    _READ_OPS[_off] = E1000._r_stat
    _WRITE_OPS[_off] = E1000._w_ignore
for _off in STAT64_REGS:
    _READ_OPS[_off] = E1000._r_stat64_low
    _READ_OPS[_off + 4] = E1000._r_stat64_high
    _WRITE_OPS[_off] = E1000._w_ignore
    _WRITE_OPS[_off + 4] = E1000._w_ignore
assert GORCH == GORCL + 4 and GOTCH == GOTCL + 4
