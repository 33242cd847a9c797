"""em(4) against the em device model: probe, attach, init, data path, filters, ioctls.

The driver (drivers/if_em.py) and the model (emu/devices/em.py) each carry
their own transcription of docs/hw/em.md; these tests run one against the
other.  Register offsets and bits used to check the hardware from the outside
are transcribed here a third time, from the datasheet.  Fault recovery is in
test_if_em_faults.py; what em and re do alike is in test_if_nic.py.
"""
from __future__ import annotations

import pytest

from drivers import if_em
from drivers.if_em import em_intr, em_probe
from emu.devices.em import E1000, eeprom_image
from emu.sched import MS, SEC, US
from kernel.kern.subr_bus import BUS_PROBE_DEFAULT, ENXIO
from kernel.wire import errno
from kernel.wire.net_if import IFF, LinkState
from tests.drivers.em_lab import BROADCAST, EmLab, payload_of

# docs/hw/em.md §2
CTRL, STATUS, ICR, ITR, IMS = 0x0000, 0x0008, 0x00C0, 0x00C4, 0x00D0
RCTL, TCTL = 0x0100, 0x0400
RDBAL, RDBAH, RDLEN, RDH, RDT = 0x2800, 0x2804, 0x2808, 0x2810, 0x2818
TDBAL, TDBAH, TDLEN, TDH, TDT = 0x3800, 0x3804, 0x3808, 0x3810, 0x3818
MTA0 = 0x5200


def RAL(n: int) -> int:
    return 0x5400 + 8 * n


def RAH(n: int) -> int:
    return 0x5404 + 8 * n


AV = 1 << 31
STATUS_LU = 1 << 1                                                      # §3.2
RCTL_EN, RCTL_UPE, RCTL_MPE, RCTL_LPE = 1 << 1, 1 << 3, 1 << 4, 1 << 5  # §3.3
RCTL_MO_MASK, RCTL_BAM, RCTL_BSIZE_MASK = 3 << 12, 1 << 15, 3 << 16
RCTL_BSEX, RCTL_SECRC = 1 << 25, 1 << 26
TCTL_EN, TCTL_PSP = 1 << 1, 1 << 3                                       # §3.4
TXDW, LSC, RXDMT0, RXO, RXT0 = 1 << 0, 1 << 2, 1 << 4, 1 << 6, 1 << 7    # §6.1


def mta_position(group: bytes) -> tuple[int, int]:
    """§5.3 with MO = 00: h = (a[4] >> 4) | (a[5] << 4), bit MTA[h >> 5] bit h & 0x1F."""
    h = ((group[4] >> 4) | (group[5] << 4)) & 0xFFF
    return h >> 5, h & 0x1F


class _PA:
    def __init__(self, vendor: int, device: int) -> None:
        self.vendor = vendor
        self.device = device


# ---------------------------------------------------------------------------
# probe and attach
# ---------------------------------------------------------------------------
def test_em_probe_accepts_82540em_and_rejects_other_ids() -> None:
    """em_probe matches the PCI ids of §1 (0x8086/0x100E) and nothing else."""
    assert em_probe(_PA(0x8086, 0x100E)) == BUS_PROBE_DEFAULT
    assert em_probe(_PA(0x8086, 0x10D3)) == ENXIO       # an 82574L: not in the table
    assert em_probe(_PA(0x10EC, 0x100E)) == ENXIO       # right device id, wrong vendor


def test_em_probe_table_takes_more_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    table = list(if_em.em_vendor_info_array)
    table.append((0x8086, 0x100F, "Intel(R) PRO/1000 Legacy Network Connection", 0x3F00))
    monkeypatch.setattr(if_em, "em_vendor_info_array", table)
    assert em_probe(_PA(0x8086, 0x100F)) == BUS_PROBE_DEFAULT


def test_em_attach_prints_dmesg_lines_and_link_state(lab: EmLab) -> None:
    h = lab.host("h", bytes.fromhex("020000001234"))
    lines = h.dmesg().splitlines()
    assert ("em0: <Intel(R) PRO/1000 Legacy Network Connection> mem 0xf0000000-0xf001ffff "
            "irq 16 at device 0.0 on pci0") in lines
    assert "em0: Ethernet address: 02:00:00:00:12:34" in lines
    assert "em0: link state changed to UP" in lines
    assert h.ifp.if_link_state == LinkState.UP
    assert not h.ifp.if_flags & IFF.DRV_RUNNING            # not up until ifconfig up
    assert h.dev.bus_master                                # attach enabled bus mastering


def test_em_attach_reads_mac_through_eerd(lab: EmLab) -> None:
    """The MAC comes from EEPROM words 0..2 (§4), not from RAL0/RAH0 after reset."""
    dev = E1000(bytes.fromhex("020000000001"))
    nvm_mac = bytes.fromhex("0250c2abcdef")
    dev.eeprom = eeprom_image(nvm_mac)
    h = lab.host("h", bytes.fromhex("020000000001"), device=dev)
    assert h.ifp.if_addr == nvm_mac
    assert "em0: Ethernet address: 02:50:c2:ab:cd:ef" in h.dmesg()
    h.up()
    # init programs RAL0/RAH0 from the interface address (§2: byte 0 in bits 7:0)
    assert h.reg(RAL(0)) == 0xABC25002
    assert h.reg(RAH(0)) == 0xEFCD | AV


def test_em_attach_fails_on_bad_eeprom_checksum(lab: EmLab) -> None:
    dev = E1000(bytes.fromhex("020000000001"))
    dev.eeprom[7] ^= 0x0100                                # the sum is no longer 0xBABA
    h = lab.host("h", bytes.fromhex("020000000001"), device=dev)
    assert "em0: The EEPROM Checksum Is Not Valid" in h.dmesg()
    assert "em0: attach failed" in h.dmesg()
    assert h.kernel.ifunit("em0") is None
    assert h.kernel.devices == []


class _DeadEeprom(E1000):
    """An EEPROM that never answers: EERD.DONE stays 0."""

    def mmio_write(self, off: int, value: int) -> None:
        if off == 0x14:
            self.eerd_writes = getattr(self, "eerd_writes", 0) + 1
            return
        super().mmio_write(off, value)


def test_em_attach_fails_when_eerd_never_completes(lab: EmLab) -> None:
    """The DONE poll is bounded: attach gives up with a message, the lab goes on."""
    dev = _DeadEeprom(bytes.fromhex("020000000001"))
    h = lab.host("h", bytes.fromhex("020000000001"), device=dev)
    assert "em0: EEPROM read error: EERD DONE never set" in h.dmesg()
    assert h.kernel.ifunit("em0") is None
    assert dev.eerd_writes == 1                            # gave up on the first word


def test_em_attach_takes_descriptor_counts_from_hints(lab: EmLab) -> None:
    h = lab.host("h", bytes.fromhex("020000000001"),
                 hints={"hw.em.rxd": "64", "hint.em.0.txd": "32", "hw.em.itr": "0"})
    assert (h.sc.num_rx_desc, h.sc.num_tx_desc) == (64, 32)
    assert h.ifp.if_snd.ifq_maxlen == 31
    h.up()
    assert h.reg(RDLEN) == 64 * 16 and h.reg(TDLEN) == 32 * 16
    assert h.reg(ITR) == 0


def test_em_attach_rejects_descriptor_count_not_multiple_of_8(lab: EmLab) -> None:
    """RDLEN is a multiple of 128 bytes (§2): 100 descriptors cannot be programmed."""
    h = lab.host("h", bytes.fromhex("020000000001"), hints={"hw.em.rxd": "100"})
    assert "em0: Using 256 RX descriptors instead of 100!" in h.dmesg()
    assert h.sc.num_rx_desc == 256


# ---------------------------------------------------------------------------
# init
# ---------------------------------------------------------------------------
def test_em_init_programs_address_filters_rings_and_interrupts(lab: EmLab) -> None:
    h = lab.host("h", bytes.fromhex("02aabbccddee"))
    assert h.reg(RCTL) == 0 and h.reg(IMS) == 0           # nothing runs before init
    h.up()
    sc = h.sc
    # §2 receive addresses: RA[0] = our MAC with AV, the others cleared
    assert h.reg(RAL(0)) == 0xCCBBAA02
    assert h.reg(RAH(0)) == 0xEEDD | AV
    assert all(h.reg(RAL(n)) == 0 and h.reg(RAH(n)) == 0 for n in range(1, 16))
    # §3.3 RCTL: EN, BAM, BSIZE 2048 (BSIZE 00, BSEX 0), MO 00, SECRC; no UPE/MPE/LPE
    rctl = h.reg(RCTL)
    assert rctl & (RCTL_EN | RCTL_BAM | RCTL_SECRC) == RCTL_EN | RCTL_BAM | RCTL_SECRC
    assert rctl & (RCTL_UPE | RCTL_MPE | RCTL_LPE | RCTL_BSEX | RCTL_BSIZE_MASK | RCTL_MO_MASK) == 0
    # §3.4 TCTL
    assert h.reg(TCTL) & (TCTL_EN | TCTL_PSP) == TCTL_EN | TCTL_PSP
    # §6.1 causes enabled
    assert h.reg(IMS) == RXT0 | RXO | RXDMT0 | TXDW | LSC
    # §6.3: FreeBSD's 8000 interrupts/s
    assert h.reg(ITR) == 488
    # §5 RX ring: hardware owns all but one descriptor
    assert h.reg(RDBAH) << 32 | h.reg(RDBAL) == sc.rxdma.paddr
    assert h.reg(RDLEN) == 256 * 16
    assert (h.reg(RDH), h.reg(RDT)) == (0, 255)
    # §7 TX ring: empty
    assert h.reg(TDBAH) << 32 | h.reg(TDBAL) == sc.txdma.paddr
    assert h.reg(TDLEN) == 256 * 16
    assert (h.reg(TDH), h.reg(TDT)) == (0, 0)
    assert h.reg(STATUS) & STATUS_LU
    assert h.ifp.if_flags & IFF.DRV_RUNNING


def test_em_ifconfig_down_stops_the_chip_and_up_reinitialises(lab: EmLab) -> None:
    a, b = lab.pair()
    b.setflags(off=IFF.UP)
    assert not b.ifp.if_flags & IFF.DRV_RUNNING
    assert b.reg(RCTL) & RCTL_EN == 0 and b.reg(IMS) == 0
    a.send(b.mac, payload_of(100))
    lab.run(1 * MS)
    assert b.received == [] and b.dev.drops["receiver disabled"] == 1
    b.up()
    a.send(b.mac, payload_of(100))
    lab.run(1 * MS)
    assert b.received == [payload_of(100)]


# ---------------------------------------------------------------------------
# data path
# ---------------------------------------------------------------------------
def test_em_broadcast_is_accepted_by_bam(lab: EmLab) -> None:
    a, b = lab.pair()
    a.send(BROADCAST, b"to everyone" * 5)
    lab.run(1.2 * SEC)
    assert b.received == [b"to everyone" * 5]
    assert b.sc.stats.bprc == 1


def test_em_both_directions_at_once(lab: EmLab) -> None:
    a, b = lab.pair()
    for i in range(200):
        a.send(b.mac, payload_of(80, i))
        b.send(a.mac, payload_of(90, i))
        lab.run(5 * US)
    lab.run(1 * MS)
    assert b.received == [payload_of(80, i) for i in range(200)]
    assert a.received == [payload_of(90, i) for i in range(200)]


def test_em_jumbo_frames_span_descriptors_both_ways() -> None:
    """MTU 9000: LPE set (§3.3), a 9014-byte frame takes 5 TX and 5 RX buffers of 2048."""
    lab = EmLab(mtu=9000)
    a, b = lab.pair()
    for h in (a, b):
        assert h.ifp.if_setmtu(9000) == 0
        assert h.reg(RCTL) & RCTL_LPE
    p = payload_of(9014)
    a.send(b.mac, p)
    a.send(b.mac, payload_of(64))
    lab.run(1 * MS)
    assert b.received == [p, payload_of(64)]
    assert b.sc.next_rx_desc_to_check == 6
    assert a.sc.next_avail_tx_desc == 6
    assert lab.panics() == []


def test_em_siocsifmtu_bounds(lab: EmLab) -> None:
    """MTU up to MAX_JUMBO_FRAME_SIZE (16128) - header - CRC; EINVAL outside."""
    h = lab.host("h", bytes.fromhex("020000000001"))
    h.up()
    assert h.ifp.if_setmtu(16111) == errno.EINVAL
    assert h.ifp.if_setmtu(45) == errno.EINVAL
    assert h.ifp.if_mtu == 1500
    assert h.ifp.if_setmtu(16110) == 0
    assert h.ifp.if_mtu == 16110 and h.reg(RCTL) & RCTL_LPE
    assert h.ifp.if_setmtu(1500) == 0
    assert not h.reg(RCTL) & RCTL_LPE


def test_em_statistics_registers_read_into_softc_each_second(lab: EmLab) -> None:
    a, b = lab.pair()
    for _ in range(10):
        a.send(b.mac, payload_of(100))
    lab.run(1.1 * SEC)
    assert (a.sc.stats.gptc, a.sc.stats.gotc, a.sc.stats.tpt) == (10, 1000, 10)
    assert (b.sc.stats.gprc, b.sc.stats.gorc, b.sc.stats.tpr) == (10, 1000, 10)
    assert b.sc.stats.mpc == 0 and b.sc.stats.crcerrs == 0


def test_em_interrupt_with_icr_zero_is_not_ours(lab: EmLab) -> None:
    a, b = lab.pair()
    before = b.sc.stray_intr
    em_intr(b.sc)                                          # a shared line, another device
    assert b.sc.stray_intr == before + 1


# ---------------------------------------------------------------------------
# multicast, ALLMULTI, PROMISC
# ---------------------------------------------------------------------------
GROUP = bytes.fromhex("333300000102")
COLLIDING = bytes.fromhex("3333ff000f02")    # same a[4] >> 4 and a[5]: same 12-bit hash
OTHER = bytes.fromhex("333300000103")        # a[5] differs: another hash


def test_em_addmulti_sets_the_mta_bit_of_the_datasheet_hash(lab: EmLab) -> None:
    a, b = lab.pair()
    idx, bit = mta_position(GROUP)
    assert b.reg(MTA0 + 4 * idx) == 0
    assert b.ifp.if_addmulti(GROUP) == 0                   # SIOCADDMULTI
    assert b.reg(MTA0 + 4 * idx) == 1 << bit
    assert sum(bin(b.reg(MTA0 + 4 * k)).count("1") for k in range(128)) == 1
    assert b.ifp.if_delmulti(GROUP) == 0                   # SIOCDELMULTI
    assert b.reg(MTA0 + 4 * idx) == 0


def test_em_group_with_another_hash_is_dropped_by_the_device(lab: EmLab) -> None:
    a, b = lab.pair()
    b.ifp.if_addmulti(GROUP)
    assert mta_position(OTHER) != mta_position(GROUP)
    a.send(OTHER, payload_of(64))
    lab.run(1 * MS)
    assert b.received == []
    assert b.dev.drops["filter mismatch"] == 1
    assert b.kernel.stats.get("ether_mcast_filtered", 0) == 0


def test_em_colliding_group_passes_the_device_and_is_dropped_by_ether_input(lab: EmLab) -> None:
    """§5.3: the hash filter is imprecise, software must filter again."""
    a, b = lab.pair()
    b.ifp.if_addmulti(GROUP)
    assert mta_position(COLLIDING) == mta_position(GROUP)
    a.send(COLLIDING, payload_of(64))
    lab.run(1.1 * SEC)
    assert b.received == []
    assert b.dev.drops["filter mismatch"] == 0
    assert b.sc.stats.mprc == 1                            # stored by the device
    assert b.kernel.stats["ether_mcast_filtered"] == 1


def test_em_allmulti_sets_mpe_and_accepts_every_group(lab: EmLab) -> None:
    a, b = lab.pair()
    assert b.setflags(on=IFF.ALLMULTI) == 0
    assert b.reg(RCTL) & (RCTL_MPE | RCTL_UPE) == RCTL_MPE
    a.send(OTHER, b"any group")
    lab.run(1 * MS)
    assert b.received == [b"any group" + bytes(37)]
    assert b.setflags(off=IFF.ALLMULTI) == 0
    assert b.reg(RCTL) & (RCTL_MPE | RCTL_UPE) == 0
    a.send(OTHER, b"any group")
    lab.run(1 * MS)
    assert len(b.received) == 1 and b.dev.drops["filter mismatch"] == 1


def test_em_promisc_sets_upe_and_mpe_without_a_reinit(lab: EmLab) -> None:
    a, b = lab.pair()
    for _ in range(3):
        a.send(b.mac, payload_of(64))
    lab.run(1 * MS)
    assert b.reg(RDH) == 3
    assert b.setflags(on=IFF.PROMISC) == 0
    assert b.reg(RCTL) & (RCTL_UPE | RCTL_MPE | RCTL_EN) == RCTL_UPE | RCTL_MPE | RCTL_EN
    assert b.reg(RDH) == 3 and b.sc.next_rx_desc_to_check == 3   # ring untouched
    a.send(bytes.fromhex("02000000ffff"), payload_of(64))          # another station's
    lab.run(1 * MS)
    assert b.dev.drops["filter mismatch"] == 0
    assert b.kernel.stats["ether_promisc_notforus"] == 1
    assert b.setflags(off=IFF.PROMISC) == 0
    assert b.reg(RCTL) & (RCTL_UPE | RCTL_MPE) == 0


def test_em_more_than_128_groups_falls_back_to_mpe(lab: EmLab) -> None:
    """MAX_NUM_MULTICAST_ADDRESSES = 128: beyond, RCTL.MPE and ether_input filter."""
    a, b = lab.pair()
    groups = [bytes((0x01, 0x00, 0x5E, 0x00, i >> 8, i & 0xFF)) for i in range(129)]
    for g in groups[:127]:
        b.ifp.if_addmulti(g)
    assert not b.reg(RCTL) & RCTL_MPE
    for g in groups[127:]:
        b.ifp.if_addmulti(g)
    assert b.reg(RCTL) & (RCTL_MPE | RCTL_UPE) == RCTL_MPE
    a.send(groups[128], b"member")
    a.send(OTHER, b"not a member")
    lab.run(1 * MS)
    assert b.received == [b"member" + bytes(40)]
    assert b.kernel.stats["ether_mcast_filtered"] == 1
    for g in groups[127:]:
        b.ifp.if_delmulti(g)
    assert not b.reg(RCTL) & RCTL_MPE                      # back to the hash filter
    idx, bit = mta_position(groups[5])
    assert b.reg(MTA0 + 4 * idx) >> bit & 1


def test_em_multicast_list_survives_a_reinit(lab: EmLab) -> None:
    a, b = lab.pair()
    b.ifp.if_addmulti(GROUP)
    b.setflags(off=IFF.UP)
    b.up()
    idx, bit = mta_position(GROUP)
    assert b.reg(MTA0 + 4 * idx) == 1 << bit
