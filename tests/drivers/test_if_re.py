"""re(4) against the re device model: probe, attach, init, data path (also with an em host
on the same segment), filters and ioctls.

The driver (drivers/if_re.py) and the model (emu/devices/re.py) each carry
their own transcription of docs/hw/re.md; these tests run one against the
other.  Register offsets and bits used to check the hardware from the outside
are transcribed here a third time, from the datasheet.  Fault recovery is in
test_if_re_faults.py.
"""
from __future__ import annotations

import struct

import pytest

from drivers import if_re
from drivers.if_re import re_driver, re_intr, re_probe
from emu.devices.re import RTL8169
from emu.sched import MS, SEC, US
from kernel.kern.subr_bus import BUS_PROBE_DEFAULT, ENXIO
from kernel.wire import errno
from kernel.wire.net_if import IFF, LinkState
from tests.drivers.re_lab import BROADCAST, ReLab, payload_of, relab  # noqa: F401

# docs/hw/re.md §2
IDR0, MAR0, TNPDS_LO, TNPDS_HI = 0x00, 0x08, 0x20, 0x24
CHIPCMD, INTRMASK, INTRSTATUS, TXCONFIG, RXCONFIG = 0x37, 0x3C, 0x3E, 0x40, 0x44
CR9346, RXMAXSIZE, RDSAR_LO, RDSAR_HI, MTPS = 0x50, 0xDA, 0xE4, 0xE8, 0xEC
CMD_TE, CMD_RE = 1 << 2, 1 << 3                                          # §3.1
AAP, APM, AM, AB = 1 << 0, 1 << 1, 1 << 2, 1 << 3                        # §3.4
OWN, EOR, FS, LS = 1 << 31, 1 << 30, 1 << 29, 1 << 28                    # §4
ROK, RER, TOK, TER, RDU, LINKCHG, FOVW, SERR = (1 << 0, 1 << 1, 1 << 2, 1 << 3, 1 << 4,
                                                1 << 5, 1 << 6, 1 << 15)   # §6.1
TIMEOUT = 1 << 14
DESC = struct.Struct("<IIQ")


def mar_bit(group: bytes) -> int:
    """§5.2: the top 6 bits of the big-endian CRC-32 of the address."""
    crc = 0xFFFF_FFFF
    for byte in group:
        for bit in range(8):
            carry = (crc >> 31) ^ ((byte >> bit) & 1)
            crc = ((crc << 1) & 0xFFFF_FFFF) ^ (0x04C1_1DB7 if carry else 0)
    return crc >> 26


def mar(h) -> int:
    """MAR0-7 as one 64-bit number (bit h is MAR(h >> 3) bit (h & 7))."""
    return h.reg4(MAR0) | h.reg4(MAR0 + 4) << 32


class _PA:
    def __init__(self, vendor: int, device: int) -> None:
        self.vendor = vendor
        self.device = device


# ---------------------------------------------------------------------------
# probe and attach
# ---------------------------------------------------------------------------
def test_re_probe_accepts_realtek_8169_and_rejects_other_ids() -> None:
    """re_probe matches the PCI ids of §1 (0x10EC/0x8169) and nothing else."""
    assert re_probe(_PA(0x10EC, 0x8169)) == BUS_PROBE_DEFAULT
    assert re_probe(_PA(0x10EC, 0x8139)) == ENXIO       # an 8139: rl(4)'s
    assert re_probe(_PA(0x8086, 0x8169)) == ENXIO       # right device id, wrong vendor
    assert re_probe(_PA(0x8086, 0x100E)) == ENXIO       # an em


def test_re_attach_prints_freebsd_dmesg_lines_and_link_state(relab: ReLab) -> None:
    h = relab.host("h", bytes.fromhex("020000001234"))
    lines = h.dmesg().splitlines()
    assert ("re0: <RealTek 8169/8169S/8169SB(L)/8110S/8110SB(L) Gigabit Ethernet> "
            "mem 0xf0000000-0xf00000ff irq 16 at device 0.0 on pci0") in lines
    assert "re0: Chip rev. 0x00800000" in lines
    assert "re0: MAC rev. 0x00000000" in lines
    assert "re0: Ethernet address: 02:00:00:00:12:34" in lines
    assert "re0: link state changed to UP" in lines
    assert h.ifp.if_link_state == LinkState.UP
    assert not h.ifp.if_flags & IFF.DRV_RUNNING            # not up until ifconfig up
    assert h.dev.bus_master
    assert h.reg1(CHIPCMD) == 0 and h.reg2(INTRMASK) == 0   # reset, nothing running


def test_re_and_em_attach_side_by_side_with_their_own_unit_numbers(relab: ReLab) -> None:
    a = relab.host("a", bytes.fromhex("020000000a01"), model="em")
    assert a.kernel.ifunit("em0") is not None and a.kernel.ifunit("re0") is None
    b = relab.host("b", bytes.fromhex("020000000b01"), model="re")
    assert b.kernel.ifunit("re0") is not None and b.kernel.ifunit("em0") is None
    assert [d.driver.name for d in b.kernel.devices] == ["re"]


class _Rtl8168C(RTL8169):
    """An 8168C: TxConfig reports another hardware revision (§3.3)."""

    def mmio_read(self, off: int) -> int:
        val = super().mmio_read(off)
        return (val & ~0x7CC0_0000) | 0x3C00_0000 if off == TXCONFIG else val


def test_re_attach_rejects_an_unknown_hardware_revision(relab: ReLab) -> None:
    dev = _Rtl8168C(bytes.fromhex("020000000001"))
    h = relab.host("h", bytes.fromhex("020000000001"), device=dev)
    assert "re0: Unknown H/W revision: 0x3c000000" in h.dmesg()
    assert "re0: attach failed" in h.dmesg()
    assert h.kernel.ifunit("re0") is None


class _StuckReset(RTL8169):
    """ChipCmd.RST never clears."""

    def mmio_read_1(self, off: int) -> int:
        return 0x10 if off == CHIPCMD else super().mmio_read_1(off)


def test_re_attach_gives_up_when_the_reset_never_completes(relab: ReLab) -> None:
    h = relab.host("h", bytes.fromhex("020000000001"),
                   device=_StuckReset(bytes.fromhex("020000000001")))
    assert "re0: reset never completed!" in h.dmesg()
    assert h.kernel.ifunit("re0") is None


def test_re_attach_reads_the_address_from_idr(relab: ReLab) -> None:
    """§3.5: the address the chip auto-loaded; init writes the interface's into IDR."""
    h = relab.host("h", bytes.fromhex("0250c2abcdef"))
    assert h.ifp.if_addr == bytes.fromhex("0250c2abcdef")
    h.ifp.if_addr = bytes.fromhex("02aabbccddee")           # a locally administered one
    h.up()
    assert h.reg4(IDR0) == 0xCCBBAA02 and h.reg4(IDR0 + 4) == 0xEEDD
    assert h.reg1(CR9346) == 0                              # config writes locked again


def test_re_attach_takes_ring_sizes_from_hints(relab: ReLab) -> None:
    h = relab.host("h", bytes.fromhex("020000000001"),
                   hints={"hw.re.rxd": "64", "hint.re.0.txd": "32"})
    assert (h.sc.rl_rx_desc_cnt, h.sc.rl_tx_desc_cnt) == (64, 32)
    assert h.ifp.if_snd.ifq_maxlen == 31
    h.up()
    ring = h.sc.rl_rx_list.buf
    assert DESC.unpack_from(ring, 63 * 16)[0] & EOR          # §4.3: EOR ends the ring
    assert not any(DESC.unpack_from(ring, i * 16)[0] & EOR for i in range(63))


def test_re_attach_rejects_a_ring_larger_than_1024(relab: ReLab) -> None:
    """§4.3: the chip addresses at most 1024 descriptors."""
    h = relab.host("h", bytes.fromhex("020000000001"), hints={"hw.re.rxd": "2048"})
    assert "re0: Using 256 RX descriptors instead of 2048!" in h.dmesg()
    assert h.sc.rl_rx_desc_cnt == 256


# ---------------------------------------------------------------------------
# init
# ---------------------------------------------------------------------------
def test_re_init_programs_rings_filters_and_interrupts(relab: ReLab) -> None:
    h = relab.host("h", bytes.fromhex("02aabbccddee"))
    h.up()
    sc = h.sc
    assert h.reg1(CHIPCMD) & (CMD_RE | CMD_TE) == CMD_RE | CMD_TE
    assert h.reg4(RDSAR_HI) << 32 | h.reg4(RDSAR_LO) == sc.rl_rx_list.paddr
    assert h.reg4(TNPDS_HI) << 32 | h.reg4(TNPDS_LO) == sc.rl_tx_list.paddr
    assert sc.rl_rx_list.paddr % 256 == 0 and sc.rl_tx_list.paddr % 256 == 0
    # §3.4: this station and broadcast; no multicast yet, not promiscuous
    assert h.reg4(RXCONFIG) & (AAP | APM | AM | AB) == APM | AB
    assert mar(h) == 0
    # §6.1: FreeBSD's RL_INTRS_CPLUS
    assert h.reg2(INTRMASK) == ROK | RER | TOK | TER | RDU | LINKCHG | FOVW | TIMEOUT | SERR
    # §3.7: 1500 + header + VLAN tag + CRC; 7440-byte frames can be sent
    assert h.reg2(RXMAXSIZE) == 1522
    assert h.reg1(MTPS) * 128 >= 7440
    # §4.1: every RX descriptor the chip's, 2048-byte buffers; §4.2: no TX descriptor is
    rx = [DESC.unpack_from(sc.rl_rx_list.buf, i * 16) for i in range(256)]
    assert all(d[0] & ~EOR == OWN | 2048 for d in rx)
    assert [d[0] & EOR for d in rx].count(EOR) == 1 and rx[255][0] & EOR
    tx = [DESC.unpack_from(sc.rl_tx_list.buf, i * 16)[0] for i in range(256)]
    assert not any(t & OWN for t in tx) and tx[255] == EOR
    assert (h.dev.rx_cur, h.dev.tx_cur) == (0, 0)
    assert h.ifp.if_flags & IFF.DRV_RUNNING


def test_re_ifconfig_down_stops_the_chip_and_up_reinitialises(relab: ReLab) -> None:
    a, b = relab.pair()
    b.setflags(off=IFF.UP)
    assert not b.ifp.if_flags & IFF.DRV_RUNNING
    assert b.reg1(CHIPCMD) & (CMD_RE | CMD_TE) == 0 and b.reg2(INTRMASK) == 0
    a.send(b.mac, payload_of(100))
    relab.run(1 * MS)
    assert b.received == [] and b.dev.drops["receiver disabled"] == 1
    b.up()
    a.send(b.mac, payload_of(100))
    relab.run(1 * MS)
    assert b.received == [payload_of(100)]


# ---------------------------------------------------------------------------
# data path
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("a_model, b_model", [("em", "re"), ("re", "em")])
def test_re_and_em_hosts_exchange_frames_on_one_segment(relab: ReLab, a_model: str,
                                                        b_model: str) -> None:
    a, b = relab.pair(a_model, b_model)
    for i in range(50):
        a.send(b.mac, payload_of(64 + i, i))
        b.send(a.mac, payload_of(1000 + i, i))
        relab.run(10 * US)
    a.send(BROADCAST, b"to everyone" * 5)
    b.send(BROADCAST, b"back to all" * 5)
    relab.run(1 * MS)
    assert b.received == [payload_of(64 + i, i) for i in range(50)] + [b"to everyone" * 5]
    assert a.received == [payload_of(1000 + i, i) for i in range(50)] + [b"back to all" * 5]


def test_re_broadcast_is_accepted_by_ab(relab: ReLab) -> None:
    a, b = relab.pair()
    a.send(BROADCAST, b"to everyone" * 5)
    relab.run(1.2 * SEC)
    assert b.received == [b"to everyone" * 5]
    assert b.sc.stats["rl_rx_bcasts"] == 1


def test_re_jumbo_frames_span_descriptors_both_ways() -> None:
    """MTU 7000: a 7014-byte frame (7018 with CRC) takes 4 TX and 4 RX buffers of 2048."""
    lab = ReLab(mtu=9000)
    a, b = lab.pair()
    for h in (a, b):
        assert h.ifp.if_setmtu(7000) == 0
        assert h.reg2(RXMAXSIZE) == 7000 + 14 + 4 + 4
    p = payload_of(7014)
    a.send(b.mac, p)
    a.send(b.mac, payload_of(64))
    lab.run(1 * MS)
    assert b.received == [p, payload_of(64)]
    assert b.sc.rl_rx_prodidx == 5
    assert a.sc.rl_tx_prodidx == 5
    assert lab.panics() == []


def test_re_siocsifmtu_bounds(relab: ReLab) -> None:
    """MTU up to RL_JUMBO_MTU = 7440 - VLAN tag - header - CRC = 7418; EINVAL outside."""
    h = relab.host("h", bytes.fromhex("020000000001"))
    h.up()
    assert h.ifp.if_setmtu(7419) == errno.EINVAL
    assert h.ifp.if_setmtu(45) == errno.EINVAL
    assert h.ifp.if_mtu == 1500
    assert h.ifp.if_setmtu(7418) == 0
    assert h.ifp.if_mtu == 7418 and h.reg2(RXMAXSIZE) == 7418 + 22


def test_re_tally_counters_read_into_softc_each_second(relab: ReLab) -> None:
    a, b = relab.pair()
    for _ in range(10):
        a.send(b.mac, payload_of(100))
    relab.run(1.1 * SEC)
    assert a.sc.stats["rl_tx_pkts"] == 10
    assert (b.sc.stats["rl_rx_pkts"], b.sc.stats["rl_rx_ucasts"]) == (10, 10)
    assert b.sc.stats["rl_missed_pkts"] == 0 and b.ifp.if_data.ifi_ierrors == 0


def test_re_interrupt_without_our_causes_is_not_ours(relab: ReLab) -> None:
    a, b = relab.pair()
    before = b.sc.stray_intr
    re_intr(b.sc)                                          # a shared line, another device
    assert b.sc.stray_intr == before + 1
    assert b.reg2(INTRMASK) != 0                           # left enabled


# ---------------------------------------------------------------------------
# multicast, ALLMULTI, PROMISC (re_set_rxmode)
# ---------------------------------------------------------------------------
GROUP = bytes.fromhex("333300000102")
OTHER = bytes.fromhex("333300000103")


def colliding(group: bytes) -> bytes:
    """Another IPv6 group with the same MAR bit as ``group``."""
    for i in range(1, 1 << 16):
        g = bytes.fromhex("3333ff00") + i.to_bytes(2, "big")
        if g != group and mar_bit(g) == mar_bit(group):
            return g
    raise AssertionError("no collision")


def test_re_addmulti_sets_the_mar_bit_of_the_datasheet_hash_and_am(relab: ReLab) -> None:
    a, b = relab.pair()
    assert b.ifp.if_addmulti(GROUP) == 0                   # SIOCADDMULTI
    assert mar(b) == 1 << mar_bit(GROUP)
    assert b.reg4(RXCONFIG) & AM
    assert b.ifp.if_addmulti(OTHER) == 0
    assert mar(b) == 1 << mar_bit(GROUP) | 1 << mar_bit(OTHER)
    assert b.ifp.if_delmulti(GROUP) == 0                   # SIOCDELMULTI rebuilds
    assert mar(b) == 1 << mar_bit(OTHER)
    assert b.ifp.if_delmulti(OTHER) == 0
    assert mar(b) == 0 and not b.reg4(RXCONFIG) & AM


def test_re_group_with_another_hash_is_dropped_by_the_device(relab: ReLab) -> None:
    a, b = relab.pair()
    b.ifp.if_addmulti(GROUP)
    assert mar_bit(OTHER) != mar_bit(GROUP)
    a.send(OTHER, payload_of(64))
    relab.run(1 * MS)
    assert b.received == [] and b.dev.drops["filter mismatch"] == 1
    assert b.kernel.stats.get("ether_mcast_filtered", 0) == 0


def test_re_colliding_group_passes_the_device_and_is_dropped_by_ether_input(relab: ReLab) -> None:
    """§5.2: the 64-bit hash is imprecise: a group not joined passes the NIC,
    and the kernel's software filter drops it."""
    a, b = relab.pair()
    b.ifp.if_addmulti(GROUP)
    other = colliding(GROUP)
    a.send(other, payload_of(64))
    relab.run(1.1 * SEC)
    assert b.received == []
    assert b.dev.drops["filter mismatch"] == 0
    assert b.sc.stats["rl_rx_mcasts"] == 1                 # stored by the device
    assert b.kernel.stats["ether_mcast_filtered"] == 1


def test_re_allmulti_opens_every_mar_bit(relab: ReLab) -> None:
    a, b = relab.pair()
    b.ifp.if_addmulti(GROUP)
    assert b.setflags(on=IFF.ALLMULTI) == 0
    assert mar(b) == (1 << 64) - 1 and b.reg4(RXCONFIG) & (AM | AAP) == AM
    a.send(OTHER, b"any group")
    relab.run(1 * MS)
    assert b.received == [b"any group" + bytes(37)]
    assert b.setflags(off=IFF.ALLMULTI) == 0
    assert mar(b) == 1 << mar_bit(GROUP)                   # back to the list
    a.send(OTHER, b"any group")
    relab.run(1 * MS)
    assert len(b.received) == 1 and b.dev.drops["filter mismatch"] == 1


def test_re_promisc_sets_aap_without_a_reinit(relab: ReLab) -> None:
    a, b = relab.pair()
    for _ in range(3):
        a.send(b.mac, payload_of(64))
    relab.run(1 * MS)
    assert b.dev.rx_cur == 3
    assert b.setflags(on=IFF.PROMISC) == 0
    assert b.reg4(RXCONFIG) & (AAP | AM) == AAP | AM
    assert b.dev.rx_cur == 3 and b.sc.rl_rx_prodidx == 3  # ring untouched
    a.send(bytes.fromhex("02000000ffff"), payload_of(64))  # another station's
    relab.run(1 * MS)
    assert b.dev.drops["filter mismatch"] == 0
    assert b.kernel.stats["ether_promisc_notforus"] == 1
    assert b.setflags(off=IFF.PROMISC) == 0
    assert b.reg4(RXCONFIG) & (AAP | AM) == 0


def test_re_multicast_list_survives_a_reinit(relab: ReLab) -> None:
    a, b = relab.pair()
    b.ifp.if_addmulti(GROUP)
    b.setflags(off=IFF.UP)
    b.up()
    assert mar(b) == 1 << mar_bit(GROUP)


def test_re_driver_hash_agrees_with_the_datasheet_loop() -> None:
    for g in (GROUP, OTHER, bytes.fromhex("01005e000001"), bytes.fromhex("333300000001")):
        assert if_re.ether_crc32_be(g) >> 26 == mar_bit(g)


# ---------------------------------------------------------------------------
# a lab with model = "re" (emu/lab.py's MODELS and DRIVERS, as the lead wires them)
# ---------------------------------------------------------------------------
LAB_FILE = '''
[lab]
name = "mixed"
seed = 1

[segment.lan0]

[host.alice]
image = "host"
nic = [{model = "em", segment = "lan0"}]

[host.alice.rc]
ifconfig_em0_ipv6 = "inet6 2001:db8:1::a prefixlen 64"

[host.bob]
image = "host"
nic = [{model = "re", segment = "lan0"}]

[host.bob.rc]
ifconfig_re0_ipv6 = "inet6 2001:db8:1::b prefixlen 64"
'''


def test_re_in_a_lab_file_pings_an_em_host_over_ipv6(monkeypatch, tmp_path) -> None:
    """``model = "re"`` in a lab file: bob boots with re0 and answers alice's em0,
    through ND (solicited-node groups in MAR) and ICMPv6."""
    from emu import lab as emu_lab
    monkeypatch.setitem(emu_lab.MODELS, "re", RTL8169)
    monkeypatch.setitem(emu_lab.DRIVERS, "re", re_driver)
    path = tmp_path / "mixed.toml"
    path.write_text(LAB_FILE)
    lab = emu_lab.Lab.from_file(path)
    lab.boot()
    bob = lab.machines["bob"]
    assert bob.ifnames == ["re0"]
    assert "re0: Ethernet address: 02:00:00:00:00:02\n" in "".join(bob.kernel.msgbuf)
    status, out = lab.run_command("alice", "ping6 -c 3 2001:db8:1::b")
    assert status == 0, out
    assert "3 packets transmitted, 3 packets received, 0.0% packet loss" in out
    sc = bob.ifnet("re0").if_softc
    assert sc.mcnt >= 2                                    # all-nodes, solicited-node groups
    assert bob.nics[0].tally[1] >= 3 and bob.nics[0].tally[0] >= 3   # RxOk, TxOk
    assert all(lm.machine.panicked is None for lm in lab.machines.values())
