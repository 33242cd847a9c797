"""re model, receive path (docs/hw/re.md §4.1, §4.3, §5): OWN-bit ring, filters, MAR hash."""
from __future__ import annotations

import pytest

from tests.emu.devices.re_harness import (
    AAP, AB, AM, APM, BAR, BROADCAST, CHIPCMD, CMD_RE, DESC, EOR, FS, INTRMASK, INTRSTATUS, LS,
    MAC, MAR0, MAR_BIT, MPC, OWN, PAM, PEER, RDSAR_LO, RDU, RER, RES, ROK, RX_LEN, RXCONFIG,
    Host, crc32_be_hash, frame, with_crc,
)

GROUP = bytes.fromhex("333300000001")          # IPv6 all-nodes
OTHER = bytes.fromhex("333300000002")


def set_mar_bit(h: Host, bit: int) -> None:
    """§5.2: bit h is MAR(h >> 3) bit (h & 7)."""
    off = MAR0 + (bit >> 3)
    h.w1(off, h.r1(off) | 1 << (bit & 7))


def colliding_group(group: bytes) -> bytes:
    """Another IPv6 group with the same 6-bit hash as ``group`` (found by search)."""
    h = crc32_be_hash(group)
    for i in range(1, 1 << 16):
        g = bytes.fromhex("3333ff00") + i.to_bytes(2, "big")
        if g != group and crc32_be_hash(g) == h:
            return g
    raise AssertionError("no collision found")


# -- §5.3 storing a frame ------------------------------------------------------------------
def test_re_5_3_frame_and_crc_stored_descriptor_written_back_with_length_fs_ls() -> None:
    h = Host()
    h.setup_rx()
    data = frame(MAC, size=100)
    h.deliver(data)
    opts1, opts2, addr = h.rxd(0)
    assert opts1 & OWN == 0
    assert opts1 & (FS | LS) == FS | LS
    assert opts1 & RX_LEN == 104                                  # with the 4-byte CRC
    assert opts1 & PAM and not opts1 & (MAR_BIT | BAR)
    assert opts2 == 0 and addr == h.rx_bufs[0]                    # address left alone
    assert h.rx_data(0, 104) == with_crc(data)
    assert h.r2(INTRSTATUS) == ROK
    assert h.dev.rx_cur == 1


def test_re_5_3_the_nic_walks_by_own_and_wraps_after_the_eor_descriptor() -> None:
    h = Host()
    h.setup_rx(n=4)
    for k in range(4):
        h.deliver(frame(MAC, size=60 + k))
    assert [h.rxd(i)[0] & RX_LEN for i in range(4)] == [64, 65, 66, 67]
    assert h.rxd(3)[0] & EOR                                      # EOR kept on write-back
    assert h.dev.rx_cur == 0                                      # wrapped
    h.deliver(frame(MAC, size=70))                                # descriptor 0 is software's
    assert h.dev.drops["no descriptors"] == 1
    h.give_rxd(0)
    h.give_rxd(1)
    h.deliver(frame(MAC, size=71))
    h.deliver(frame(MAC, size=72))
    assert (h.rxd(0)[0] & RX_LEN, h.rxd(1)[0] & RX_LEN) == (75, 76)
    assert h.dev.rx_cur == 2


def test_re_4_3_without_eor_the_nic_wraps_after_1024_descriptors() -> None:
    h = Host(mem_size=4 << 20)
    h.setup_rx(n=1025, bufsize=64)
    DESC.pack_into(h.ram, h.rx_ring + 16 * 1024, OWN | 64, 0, h.rx_bufs[1024])   # no EOR anywhere
    assert not any(h.rxd(i)[0] & EOR for i in range(1025))
    for _ in range(1024):
        h.deliver(frame(MAC, size=60))
    assert h.dev.rx_cur == 0
    assert h.rxd(1024)[0] & OWN                                   # never reached


def test_re_4_3_writing_the_start_address_puts_the_position_back_to_0() -> None:
    h = Host()
    h.setup_rx()
    h.deliver(frame(MAC))
    h.deliver(frame(MAC))
    assert h.dev.rx_cur == 2
    h.w4(RDSAR_LO, h.rx_ring)
    assert h.dev.rx_cur == 0


def test_re_5_3_a_frame_longer_than_a_buffer_spans_descriptors() -> None:
    h = Host()
    h.setup_rx(bufsize=256, rms=1522)
    data = frame(MAC, size=600)                                   # 604 with CRC: 256+256+92
    h.deliver(data)
    d = [h.rxd(i)[0] for i in range(3)]
    assert [x & (FS | LS | OWN) for x in d] == [FS, 0, LS]
    assert [x & RX_LEN for x in d] == [256, 256, 604]             # LS: the total length
    stored = h.rx_data(0, 256) + h.rx_data(1, 256) + h.rx_data(2, 92)
    assert stored == with_crc(data)
    assert not d[0] & PAM and d[2] & PAM                          # status on LS only
    assert h.dev.rx_cur == 3 and h.r2(INTRSTATUS) == ROK


def test_re_5_3_a_multi_descriptor_frame_wraps_around_the_ring() -> None:
    h = Host()
    h.setup_rx(n=4, bufsize=128)
    h.deliver(frame(MAC, size=200))                               # descriptors 0, 1
    h.give_rxd(0)
    h.give_rxd(1)
    data = frame(MAC, size=300)                                   # 304: 2, 3, 0
    h.deliver(data)
    assert [h.rxd(i)[0] & (FS | LS) for i in (2, 3, 0)] == [FS, 0, LS]
    assert h.rx_data(2, 128) + h.rx_data(3, 128) + h.rx_data(0, 48) == with_crc(data)
    assert h.dev.rx_cur == 1


# -- §5.4 no descriptor ---------------------------------------------------------------------
def test_re_5_4_descriptor_not_owned_drops_counts_mpc_and_sets_rdu() -> None:
    h = Host()
    h.setup_rx(n=4, owned=2)
    h.w2(INTRMASK, RDU)
    for _ in range(3):
        h.deliver(frame(MAC))
    assert h.dev.drops["no descriptors"] == 1
    assert h.r4(MPC) == 1 and h.dev.tally[4] == 1
    assert h.r2(INTRSTATUS) == ROK | RDU and h.dev.irq.level
    assert h.dev.rx_cur == 2
    assert h.rxd(2)[0] & OWN == 0 and h.rxd(2)[0] & RX_LEN == 2048   # untouched


def test_re_5_4_a_frame_needing_a_descriptor_that_is_not_owned_is_dropped_whole() -> None:
    h = Host()
    h.setup_rx(n=4, bufsize=128, owned=2, rms=1522)
    h.deliver(frame(MAC, size=400))                               # needs 4 descriptors
    assert h.dev.drops["no descriptors"] == 1
    assert h.rxd(0)[0] & OWN and h.rxd(1)[0] & OWN                # nothing written back
    assert h.rx_data(0, 16) == bytes(16)                          # nothing stored
    assert h.dev.rx_cur == 0
    h.deliver(frame(MAC, size=200))                               # fits the two it owns
    assert h.rxd(1)[0] & (OWN | LS) == LS


def test_re_5_4_filtered_frames_are_not_missed() -> None:
    h = Host()
    h.setup_rx(n=2, owned=0)
    h.deliver(frame(bytes.fromhex("020000000099")))
    assert h.r4(MPC) == 0 and h.dev.drops["filter mismatch"] == 1


# -- §5.1 filtering ---------------------------------------------------------------------------
def test_re_5_1_1_receiver_disabled_drops_every_frame() -> None:
    h = Host()
    h.setup_rx()
    h.w1(CHIPCMD, 0)
    h.deliver(frame(MAC))
    assert h.dev.drops["receiver disabled"] == 1 and h.rxd(0)[0] & OWN
    h.w1(CHIPCMD, CMD_RE)
    h.deliver(frame(MAC))
    assert h.rxd(0)[0] & OWN == 0


def test_re_5_1_1_link_down_drops() -> None:
    h = Host()
    h.setup_rx()
    h.dev.link_changed(False)
    h.deliver(frame(MAC))
    assert h.dev.drops["link down"] == 1


def test_re_5_1_2_frame_longer_than_rxmaxsize_with_its_crc_is_dropped() -> None:
    h = Host()
    h.setup_rx(rms=1518)
    h.deliver(frame(MAC, size=1514))                              # 1518 with CRC: fits
    h.deliver(frame(MAC, size=1515))
    assert h.dev.drops["oversize"] == 1 and h.dev.tally[3] == 1
    assert h.dev.rx_cur == 1
    assert h.r2(INTRSTATUS) == ROK                                # no interrupt for it


def test_re_3_7_rxmaxsize_0_after_reset_stores_nothing() -> None:
    h = Host()
    h.setup_rx(rms=0)
    h.deliver(frame(MAC))
    assert h.dev.drops["oversize"] == 1


def test_re_5_1_2_shorter_than_14_bytes_is_a_runt_but_short_frames_are_kept() -> None:
    h = Host()
    h.setup_rx()
    h.deliver(MAC + PEER)                                         # 12 bytes
    assert h.dev.drops["runt"] == 1
    h.deliver(frame(MAC, size=42))                                # an unpadded ARP-sized frame
    assert h.rxd(0)[0] & RX_LEN == 46


def test_re_5_1_4_unicast_to_idr_needs_apm() -> None:
    h = Host()
    h.setup_rx(rxconfig=AB)
    h.deliver(frame(MAC))
    assert h.dev.drops["filter mismatch"] == 1
    h.w4(RXCONFIG, APM)
    h.deliver(frame(MAC))
    assert h.dev.rx_cur == 1


def test_re_5_1_4_unicast_to_another_station_dropped_as_filter_mismatch() -> None:
    h = Host()
    h.setup_rx(rxconfig=APM | AB | AM)
    h.w4(MAR0, 0xFFFF_FFFF)
    h.w4(MAR0 + 4, 0xFFFF_FFFF)
    h.deliver(frame(bytes.fromhex("02000000aa02")))
    assert h.dev.drops["filter mismatch"] == 1 and h.dev.rx_cur == 0


def test_re_5_1_5_broadcast_needs_ab() -> None:
    h = Host()
    h.setup_rx(rxconfig=APM)
    h.deliver(frame(BROADCAST))
    assert h.dev.drops["filter mismatch"] == 1
    h.w4(RXCONFIG, APM | AB)
    h.deliver(frame(BROADCAST))
    opts1 = h.rxd(0)[0]
    assert opts1 & BAR and not opts1 & (PAM | MAR_BIT)
    assert h.dev.tally[9] == 1                                    # RxOkBrd


def test_re_5_1_6_multicast_needs_am_and_its_mar_bit() -> None:
    h = Host()
    h.setup_rx(rxconfig=APM | AB)
    set_mar_bit(h, crc32_be_hash(GROUP))
    h.deliver(frame(GROUP))
    assert h.dev.drops["filter mismatch"] == 1                    # AM clear
    h.w4(RXCONFIG, APM | AB | AM)
    h.deliver(frame(GROUP))
    assert h.rxd(0)[0] & MAR_BIT and h.dev.tally[10] == 1
    assert crc32_be_hash(OTHER) != crc32_be_hash(GROUP)
    h.deliver(frame(OTHER))
    assert h.dev.drops["filter mismatch"] == 2


def test_re_5_2_a_group_sharing_the_hash_passes_the_filter_though_not_joined() -> None:
    """§5.2: the filter is imprecise, software must filter again."""
    h = Host()
    h.setup_rx(rxconfig=APM | AB | AM)
    set_mar_bit(h, crc32_be_hash(GROUP))
    other = colliding_group(GROUP)
    h.deliver(frame(other))
    assert h.dev.drops["filter mismatch"] == 0
    assert h.rxd(0)[0] & MAR_BIT and h.rx_data(0, 6) == other


@pytest.mark.parametrize("group", ["333300000001", "01005e000001", "3333ff123456",
                                   "01005e7ffffa", "333300010003"])
def test_re_5_2_mar_bit_of_the_datasheet_hash_and_no_other(group: str) -> None:
    g = bytes.fromhex(group)
    h = Host()
    h.setup_rx(rxconfig=AM)
    bit = crc32_be_hash(g)
    for other in range(64):                                       # only its own bit lets it in
        if other == bit:
            continue
        h.w4(MAR0, (1 << other) & 0xFFFF_FFFF)
        h.w4(MAR0 + 4, (1 << other) >> 32)
        h.deliver(frame(g))
    assert h.dev.rx_cur == 0
    set_mar_bit(h, bit)
    h.deliver(frame(g))
    assert h.dev.rx_cur == 1


def test_re_5_2_known_hash_values() -> None:
    assert crc32_be_hash(bytes.fromhex("333300000001")) == 0x3E   # MAR7 bit 6
    assert crc32_be_hash(bytes.fromhex("01005e000001")) == 0x1F   # MAR3 bit 7
    h = Host()
    h.setup_rx(rxconfig=AM)
    h.w1(MAR0 + 7, 1 << 6)
    h.deliver(frame(GROUP))
    assert h.dev.rx_cur == 1


def test_re_5_1_3_aap_accepts_every_frame() -> None:
    h = Host()
    h.setup_rx(rxconfig=AAP)
    for dst in (bytes.fromhex("020000000099"), BROADCAST, OTHER, MAC):
        h.deliver(frame(dst))
    assert h.dev.rx_cur == 4 and h.dev.drops["filter mismatch"] == 0
    assert not h.rxd(0)[0] & PAM and h.rxd(3)[0] & PAM            # PAM: matched IDR


# -- §4.1 bad descriptor ------------------------------------------------------------------
def test_re_4_1_a_descriptor_without_buffer_ends_the_frame_in_error() -> None:
    h = Host()
    h.setup_rx(bufsize=128)
    h.give_rxd(1, bufsize=0)
    h.w2(INTRMASK, RER)
    h.deliver(frame(MAC, size=200))                               # 0 ok, 1 has no buffer
    d0, d1 = h.rxd(0)[0], h.rxd(1)[0]
    assert d0 & (OWN | FS | LS) == FS
    assert d1 & (OWN | FS | LS | RES) == LS | RES
    assert h.dev.drops["bad descriptor"] == 1 and h.dev.tally[3] == 1
    assert h.r2(INTRSTATUS) == RER and h.dev.irq.level
    assert h.dev.rx_cur == 2
    h.deliver(frame(MAC, size=100))
    assert h.rxd(2)[0] & (OWN | FS | LS) == FS | LS
