"""em model, receive (docs/hw/em.md §5, §6.1 RX causes): the test acts as the driver."""
from __future__ import annotations

import pytest

from tests.emu.devices.em_harness import (
    AV, BPRC, CTRL, DD, EOP, GPRC, ICR, MAC, MPC, MPRC, MTA0, RAH, RAL, RCTL, RCTL_BAM,
    RCTL_BSEX, RCTL_BSIZE, RCTL_EN, RCTL_LPE, RCTL_MO, RCTL_MPE, RCTL_RDMTS, RCTL_UPE,
    RDH, RDLEN, RDT, RNBC, RXDMT0, RXO, RXT0, TPR, Host, frame, mac_bytes,
)

OTHER = mac_bytes("02:00:00:00:00:99")
BCAST = b"\xff" * 6


def accepted(h: Host, data: bytes) -> bool:
    before = h.dev.regs[GPRC >> 2]
    h.deliver(data)
    return h.dev.regs[GPRC >> 2] == before + 1


# -- §5.1 descriptors ----------------------------------------------------------------
def test_em_5_1_stored_frame_written_back_with_length_dd_eop() -> None:
    h = Host()
    h.setup_rx()
    data = frame(MAC, size=60)
    h.deliver(data)
    addr, length, csum, status, errors, special = h.rxd(0)
    assert addr == h.rx_bufs[0]                          # the address is left alone
    assert (length, csum, status, errors, special) == (60, 0, DD | EOP, 0, 0)
    assert h.rx_data(0, 60) == data
    assert h.r(RDH) == 1
    assert h.rxd(1)[3] == 0                              # the next one is untouched


def test_em_5_1_rdh_wraps_at_rdlen_over_16() -> None:
    h = Host()
    h.setup_rx(n=8, tail=7)
    for _ in range(7):
        h.deliver(frame(MAC))
    assert h.r(RDH) == 7
    # the driver gives back descriptors 0..5
    for i in range(8):
        h.ram[h.rx_ring + 16 * i + 12] = 0
    h.w(RDT, 6)
    h.deliver(frame(MAC, size=70))
    assert h.r(RDH) == 0                                 # wrapped
    assert h.rxd(7)[1:4] == (70, 0, DD | EOP)
    h.deliver(frame(MAC, size=71))
    assert h.r(RDH) == 1
    assert h.rxd(0)[1] == 71


def test_em_5_1_a_frame_longer_than_bsize_spans_descriptors_eop_only_on_last() -> None:
    h = Host()
    h.setup_rx(n=8, bufsize=256, rctl=RCTL_EN | RCTL_BSIZE(0b11))   # 256-byte buffers
    data = frame(MAC, size=600)
    h.deliver(data)
    descs = [h.rxd(i) for i in range(3)]
    assert [d[1] for d in descs] == [256, 256, 88]
    assert [d[3] for d in descs] == [DD, DD, DD | EOP]
    assert h.rx_data(0, 256) + h.rx_data(1, 256) + h.rx_data(2, 88) == data
    assert h.r(RDH) == 3
    assert h.r(GPRC) == 1


def test_em_5_1_multi_descriptor_frame_wraps_around_the_ring() -> None:
    h = Host()
    h.setup_rx(n=8, bufsize=256, rctl=RCTL_EN | RCTL_BSIZE(0b11))
    h.w(RDH, 6)
    h.w(RDT, 2)                                          # free: 6, 7, 0, 1
    data = frame(MAC, size=700)
    h.deliver(data)
    assert [h.rxd(i)[3] for i in (6, 7, 0)] == [DD, DD, DD | EOP]
    assert h.r(RDH) == 1
    assert h.rx_data(6, 256) + h.rx_data(7, 256) + h.rx_data(0, 188) == data


@pytest.mark.parametrize("bsex,bsize,size", [
    (0, 0b00, 2048), (0, 0b01, 1024), (0, 0b10, 512), (0, 0b11, 256),
    (1, 0b00, 2048), (1, 0b01, 16384), (1, 0b10, 8192), (1, 0b11, 4096),
])
def test_em_3_3_bsize_and_bsex_give_the_buffer_size(bsex: int, bsize: int, size: int) -> None:
    h = Host(mem_size=8 << 20)
    rctl = RCTL_EN | RCTL_LPE | RCTL_BSIZE(bsize) | (RCTL_BSEX if bsex else 0)
    h.setup_rx(n=8, bufsize=16384, rctl=rctl)
    fits = min(size, 16384)
    h.deliver(frame(MAC, size=fits))
    assert h.rxd(0)[1] == fits and h.rxd(0)[3] == DD | EOP
    if size < 16384:
        h.deliver(frame(MAC, size=size + 1))
        assert h.rxd(1)[1:4:2] == (size, DD)
        assert h.rxd(2)[1:4:2] == (1, DD | EOP)


# -- §5.2 filters, in order -------------------------------------------------------------
def test_em_5_2_1_receiver_disabled_drops_every_frame() -> None:
    h = Host()
    h.setup_rx(rctl=RCTL_BAM | RCTL_UPE)                 # EN = 0
    h.deliver(frame(MAC))
    h.deliver(frame(BCAST))
    assert h.dev.drops["receiver disabled"] == 2
    assert h.r(TPR) == 2                                 # TPR counts before step 1
    assert h.r(GPRC) == 0
    assert h.r(RDH) == 0


def test_em_5_2_1_link_down_drops() -> None:
    h = Host()
    h.setup_rx()
    h.w(CTRL, 0)                                         # SLU = 0
    h.deliver(frame(MAC))
    assert h.dev.drops["link down"] == 1
    assert h.rxd(0)[3] == 0


def test_em_5_2_2_frame_over_1522_bytes_dropped_without_lpe() -> None:
    h = Host()
    h.setup_rx(n=8, bufsize=2048)
    assert accepted(h, frame(MAC, size=1522))
    h.deliver(frame(MAC, size=1523))
    assert h.dev.drops["oversize"] == 1
    h.w(RCTL, RCTL_EN | RCTL_LPE)
    assert accepted(h, frame(MAC, size=1523))


def test_em_5_2_2_frame_over_16384_bytes_dropped_with_lpe() -> None:
    h = Host(mem_size=8 << 20)
    h.setup_rx(n=16, bufsize=2048, rctl=RCTL_EN | RCTL_LPE)
    h.w(RDT, 15)
    assert accepted(h, frame(MAC, size=16384))
    h.deliver(frame(MAC, size=16385))
    assert h.dev.drops["oversize"] == 1


def test_em_5_2_2_frame_shorter_than_14_bytes_dropped_as_runt() -> None:
    h = Host()
    h.setup_rx(rctl=RCTL_EN | RCTL_UPE)
    h.deliver(MAC + MAC)                                 # 12 bytes
    h.deliver(b"")
    assert h.dev.drops["runt"] == 2
    assert accepted(h, MAC + MAC + b"\x86\xdd")          # 14 bytes


def test_em_5_2_3_unicast_to_own_address_accepted() -> None:
    h = Host()
    h.setup_rx()
    assert accepted(h, frame(MAC))


def test_em_5_2_3_unicast_to_unknown_address_dropped_as_filter_mismatch() -> None:
    h = Host()
    h.setup_rx()
    h.deliver(frame(OTHER))
    assert h.dev.drops["filter mismatch"] == 1
    assert h.r(GPRC) == 0
    assert h.r(TPR) == 1
    assert h.rxd(0)[3] == 0


def test_em_5_2_3_upe_accepts_every_unicast() -> None:
    h = Host()
    h.setup_rx(rctl=RCTL_EN | RCTL_UPE)
    assert accepted(h, frame(OTHER))
    assert not accepted(h, frame(BCAST))                 # UPE is not BAM
    assert not accepted(h, frame(mac_bytes("33:33:00:00:00:01")))


@pytest.mark.parametrize("n", range(16))
def test_em_5_2_3_each_of_16_receive_addresses_matches_with_av(n: int) -> None:
    h = Host()
    h.setup_rx(n=16)
    h.w(RDT, 15)
    addr = mac_bytes(f"02:11:22:33:44:{0x50 + n:02x}")
    h.w(RAL(n), int.from_bytes(addr[:4], "little"))
    h.w(RAH(n), int.from_bytes(addr[4:], "little"))          # AV clear
    assert not accepted(h, frame(addr))
    h.w(RAH(n), int.from_bytes(addr[4:], "little") | AV)
    assert accepted(h, frame(addr))
    assert accepted(h, frame(MAC)) == (n != 0)               # RA[0] was overwritten for n=0
    h.w(RAH(n), 0)                                           # AV cleared again
    assert not accepted(h, frame(addr))


def test_em_5_2_4_broadcast_needs_bam_or_mpe() -> None:
    h = Host()
    h.setup_rx(rctl=RCTL_EN)
    h.deliver(frame(BCAST))
    assert h.dev.drops["filter mismatch"] == 1
    h.w(RCTL, RCTL_EN | RCTL_BAM)
    assert accepted(h, frame(BCAST))
    h.w(RCTL, RCTL_EN | RCTL_MPE)
    assert accepted(h, frame(BCAST))
    assert h.r(BPRC) == 2
    assert h.r(MPRC) == 0


def test_em_5_2_5_mpe_accepts_every_multicast() -> None:
    h = Host()
    h.setup_rx(rctl=RCTL_EN | RCTL_MPE)
    assert accepted(h, frame(mac_bytes("33:33:00:00:00:01")))
    assert accepted(h, frame(mac_bytes("01:00:5e:7f:00:01")))
    assert h.r(MPRC) == 2


def test_em_5_2_5_multicast_exact_match_in_ral_rah() -> None:
    h = Host()
    h.setup_rx()
    group = mac_bytes("33:33:ff:00:aa:01")
    assert not accepted(h, frame(group))
    h.w(RAL(1), int.from_bytes(group[:4], "little"))
    h.w(RAH(1), int.from_bytes(group[4:], "little") | AV)
    assert accepted(h, frame(group))


def test_em_5_2_5_multicast_not_in_mta_dropped_as_filter_mismatch() -> None:
    h = Host()
    h.setup_rx()
    h.deliver(frame(mac_bytes("33:33:00:00:00:01")))
    assert h.dev.drops["filter mismatch"] == 1
    assert h.r(MPRC) == 0


# -- §5.3 the multicast hash, computed here from the datasheet ----------------------------
# "MO 00: address bits [47:36]; 01: [46:35]; 10: [45:34]; 11: [43:32]", where the
# address a[0..5] has a[0] first on the wire, i.e. a[0] is bits 7:0 and a[5] bits 47:40.
MO_LOW_BIT = {0b00: 36, 0b01: 35, 0b10: 34, 0b11: 32}


def datasheet_hash(addr: bytes, mo: int) -> int:
    bits = int.from_bytes(addr, "little")               # a[0] in bits 7:0
    return (bits >> MO_LOW_BIT[mo]) & 0xFFF


def datasheet_hash_by_bytes(a: bytes, mo: int) -> int:
    """The table's byte formulas, as a cross-check of the bit ranges."""
    h = [(a[4] >> 4) | (a[5] << 4), (a[4] >> 3) | (a[5] << 5),
         (a[4] >> 2) | (a[5] << 6), a[4] | (a[5] << 8)][mo]
    return h & 0xFFF


GROUPS = ["33:33:00:00:00:01", "33:33:ff:00:00:01", "01:00:5e:00:00:fb", "33:33:00:00:00:02",
          "33:33:ff:12:34:56", "01:00:5e:7f:ff:fa", "33:33:00:01:00:03", "01:80:c2:00:00:0e"]


def set_only_mta_bit(h: Host, hsh: int) -> None:
    for i in range(128):
        h.w(MTA0 + 4 * i, 0)
    h.w(MTA0 + 4 * (hsh >> 5), 1 << (hsh & 0x1F))


def set_all_mta_bits_but(h: Host, hsh: int) -> None:
    for i in range(128):
        h.w(MTA0 + 4 * i, 0xFFFF_FFFF)
    h.w(MTA0 + 4 * (hsh >> 5), 0xFFFF_FFFF & ~(1 << (hsh & 0x1F)))


@pytest.mark.parametrize("mo", [0b00, 0b01, 0b10, 0b11])
@pytest.mark.parametrize("group", GROUPS)
def test_em_5_3_mta_hash_selects_the_bit_of_the_datasheet_formula(mo: int, group: str) -> None:
    addr = mac_bytes(group)
    hsh = datasheet_hash(addr, mo)
    assert hsh == datasheet_hash_by_bytes(addr, mo)
    h = Host()
    h.setup_rx(n=8, rctl=RCTL_EN | RCTL_MO(mo))
    set_only_mta_bit(h, hsh)
    h.w(RDT, 7)
    assert accepted(h, frame(addr)), f"{group} MO={mo} hash={hsh:#05x}"
    set_all_mta_bits_but(h, hsh)
    h.w(RDH, 0)
    assert not accepted(h, frame(addr))
    assert h.dev.drops["filter mismatch"] == 1


def test_em_5_3_known_hash_values() -> None:
    # worked by hand from the table: 33:33:00:00:00:01 -> a[4]=0x00, a[5]=0x01
    assert [datasheet_hash(mac_bytes("33:33:00:00:00:01"), mo) for mo in range(4)] == \
        [0x010, 0x020, 0x040, 0x100]
    # 01:00:5e:00:00:fb -> a[4]=0x00, a[5]=0xfb
    assert [datasheet_hash(mac_bytes("01:00:5e:00:00:fb"), mo) for mo in range(4)] == \
        [0xFB0, (0xFB << 5) & 0xFFF, (0xFB << 6) & 0xFFF, 0xB00]


def test_em_5_3_filter_is_imprecise_groups_sharing_a_hash_both_pass() -> None:
    """'different groups can share a hash, and software must filter again.'"""
    g1, g2 = mac_bytes("33:33:00:00:00:01"), mac_bytes("33:33:00:00:08:01")
    assert datasheet_hash(g1, 0) == datasheet_hash(g2, 0)          # collide under MO=00
    assert datasheet_hash(g1, 1) != datasheet_hash(g2, 1)          # not under MO=01
    h = Host()
    h.setup_rx(rctl=RCTL_EN | RCTL_MO(0))
    set_only_mta_bit(h, datasheet_hash(g1, 0))
    assert accepted(h, frame(g1))
    assert accepted(h, frame(g2))                                  # false positive
    h.w(RCTL, RCTL_EN | RCTL_MO(1))
    set_only_mta_bit(h, datasheet_hash(g1, 1))
    assert accepted(h, frame(g1))
    assert not accepted(h, frame(g2))


# -- §5.4 ring exhaustion ---------------------------------------------------------------
def test_em_5_4_rdh_equal_rdt_drops_with_mpc_rnbc_rxo() -> None:
    h = Host()
    h.setup_rx(n=8, tail=0)                              # RDH == RDT: no free buffer
    h.w(0x00D0, RXO)                                     # IMS
    h.deliver(frame(MAC))
    assert h.dev.drops["no descriptors"] == 1
    assert h.r(MPC) == 1 and h.r(RNBC) == 1
    assert h.r(GPRC) == 0
    assert h.dev.irq.level
    assert h.r(ICR) & RXO
    assert h.rxd(0)[3] == 0                              # nothing written to host memory
    assert h.rx_data(0, 64) == bytes(64)


def test_em_5_4_frame_needing_more_buffers_than_remain_is_dropped_whole() -> None:
    h = Host()
    h.setup_rx(n=8, bufsize=256, rctl=RCTL_EN | RCTL_BSIZE(0b11), tail=2)   # 2 free
    h.deliver(frame(MAC, size=600))                      # needs 3
    assert h.dev.drops["no descriptors"] == 1
    assert h.r(MPC) == 1
    assert h.rxd(0)[3] == 0 and h.rxd(1)[3] == 0
    assert h.rx_data(0, 16) == bytes(16)
    h.deliver(frame(MAC, size=512))                      # needs 2: fits exactly
    assert [h.rxd(i)[3] for i in (0, 1)] == [DD, DD | EOP]
    assert h.r(RDH) == 2


def test_em_5_4_filtered_frames_do_not_count_as_missed() -> None:
    h = Host()
    h.setup_rx(n=8, tail=0)
    h.deliver(frame(OTHER))
    assert h.r(MPC) == 0 and h.dev.drops["filter mismatch"] == 1


def test_em_5_4_ring_not_set_up_means_no_descriptors() -> None:
    h = Host()
    h.w(RCTL, RCTL_EN)                                   # RDLEN = 0
    h.deliver(frame(MAC))
    assert h.dev.drops["no descriptors"] == 1
    h.setup_rx(n=8)
    h.w(RDT, 9)                                          # tail beyond the ring
    h.deliver(frame(MAC))
    assert h.dev.drops["no descriptors"] == 2


# -- §6.1 RXDMT0 ------------------------------------------------------------------------
@pytest.mark.parametrize("rdmts,threshold", [(0b00, 16), (0b01, 8), (0b10, 4)])
def test_em_6_1_rxdmt0_when_free_descriptors_fall_to_the_rdmts_threshold(
        rdmts: int, threshold: int) -> None:
    n = 32
    h = Host()
    h.setup_rx(n=n, bufsize=128, rctl=RCTL_EN | RCTL_RDMTS(rdmts))
    assert h.r(RDLEN) == n * 16
    free = n - 1
    while free > 0:
        h.deliver(frame(MAC))
        free -= 1
        icr = h.r(ICR)
        assert bool(icr & RXDMT0) == (free <= threshold), (free, icr)
        assert icr & RXT0


def test_em_6_1_rxdmt0_counts_free_descriptors_modulo_the_ring() -> None:
    h = Host()
    h.setup_rx(n=16, rctl=RCTL_EN)                       # threshold 8
    h.w(RDH, 12)
    h.w(RDT, 5)                                          # free = (5 - 12) mod 16 = 9
    h.deliver(frame(MAC))                                # -> 8
    assert h.r(ICR) & RXDMT0
    assert h.r(RDH) == 13


def test_em_2_rdlen_masking_sets_the_ring_size() -> None:
    h = Host()
    h.setup_rx(n=8)
    h.w(RDLEN, 8 * 16 + 0x7F)                            # still 8 descriptors
    h.w(RDH, 7)
    h.w(RDT, 1)
    h.deliver(frame(MAC))
    h.deliver(frame(MAC))
    assert h.r(RDH) == 1                                 # wrapped at 8, not 15
    assert h.rxd(0)[3] == DD | EOP


def test_em_3_3_rdmts_11_is_one_sixteenth_in_the_model() -> None:
    h = Host()
    h.setup_rx(n=32, bufsize=128, rctl=RCTL_EN | RCTL_RDMTS(0b11), tail=3)   # 3 free
    h.deliver(frame(MAC))                                # 2 free: threshold 32 >> 4 = 2
    assert h.r(ICR) & RXDMT0
    h.w(RDT, 8)                                          # 7 free
    h.deliver(frame(MAC))                                # 6 free
    assert not h.r(ICR) & RXDMT0
