"""re model, transmit path (docs/hw/re.md §4.2, §7): the TxPoll doorbell and the OWN-bit ring."""
from __future__ import annotations

from tests.emu.devices.re_harness import (
    CHIPCMD, CMD_TE, EOR, FS, INTRMASK, INTRSTATUS, LINKFAIL, LS, MTPS, OWN, PEER, TDU, TER,
    TNPDS_LO, TOK, TXERRSUM, Host, frame,
)


def test_re_7_1_txpoll_sends_the_frame_and_hands_the_descriptor_back() -> None:
    h = Host()
    h.setup_tx()
    data = frame(PEER, size=100)
    i = h.send(data)
    assert h.port.sent == [data]
    opts1, _, _ = h.txd(i)
    assert opts1 & OWN == 0
    assert opts1 & (FS | LS) == FS | LS and opts1 & 0xFFFF == 100   # other bits left alone
    assert h.r2(INTRSTATUS) == TOK | TDU
    assert h.dev.tx_cur == 1


def test_re_7_1_nothing_is_sent_before_the_poll() -> None:
    h = Host()
    h.setup_tx()
    h.put_txd(frame(PEER))
    assert h.port.sent == [] and h.txd(0)[0] & OWN
    h.poll()
    assert len(h.port.sent) == 1


def test_re_7_1_one_poll_sends_every_owned_frame_and_stops_at_own_0() -> None:
    h = Host()
    h.setup_tx()
    frames = [frame(PEER, size=60 + k) for k in range(5)]
    for f in frames:
        h.put_txd(f)
    h.put_txd(frame(PEER, size=99), own=False)                    # software's: the end
    h.poll()
    assert h.port.sent == frames
    assert h.dev.tx_cur == 5
    assert h.txd(5)[0] & OWN == 0 and h.r2(INTRSTATUS) == TOK | TDU


def test_re_7_1_the_walk_wraps_after_the_eor_descriptor() -> None:
    h = Host()
    h.setup_tx(n=4)
    for k in range(3):
        h.send(frame(PEER, size=60 + k))
    assert h.txd(3)[0] & EOR
    h.put_txd(frame(PEER, size=70))                               # 3 (EOR)
    h.put_txd(frame(PEER, size=71))                               # 0 again
    h.poll()
    assert [len(f) for f in h.port.sent[-2:]] == [70, 71]
    assert h.dev.tx_cur == 1


def test_re_4_3_writing_tnpds_puts_the_tx_position_back_to_0() -> None:
    h = Host()
    h.setup_tx()
    h.send(frame(PEER))
    assert h.dev.tx_cur == 1
    h.w4(TNPDS_LO, h.tx_ring)
    assert h.dev.tx_cur == 0


def test_re_7_1_a_frame_gathered_from_fs_to_ls() -> None:
    h = Host()
    h.setup_tx()
    data = frame(PEER, size=300)
    h.put_txd(data[:100], flags=FS)
    h.put_txd(data[100:101], flags=0)
    h.put_txd(data[101:], flags=LS)
    h.poll()
    assert h.port.sent == [data]
    assert all(h.txd(i)[0] & OWN == 0 for i in range(3))
    assert h.dev.tx_cur == 3


def test_re_7_1_a_frame_whose_ls_is_not_owned_waits_for_the_next_poll() -> None:
    h = Host()
    h.setup_tx()
    data = frame(PEER, size=300)
    h.put_txd(data[:100], flags=FS)
    h.put_txd(data[100:], flags=LS, own=False)
    h.poll()
    assert h.port.sent == [] and h.txd(0)[0] & OWN                # still the NIC's
    assert h.dev.tx_cur == 0 and h.r2(INTRSTATUS) == TDU
    h.own_txd(1)
    h.poll()
    assert h.port.sent == [data] and h.dev.tx_cur == 2


def test_re_7_1_a_descriptor_without_fs_outside_a_frame_is_consumed_and_counted() -> None:
    h = Host()
    h.setup_tx()
    h.put_txd(b"x" * 40, flags=LS)
    h.put_txd(frame(PEER))
    h.poll()
    assert h.dev.tx_bad_desc == 1 and len(h.port.sent) == 1
    assert h.txd(0)[0] & OWN == 0


def test_re_7_1_fs_while_a_frame_is_gathered_drops_that_frame() -> None:
    h = Host()
    h.setup_tx()
    h.w2(INTRMASK, TER)
    h.put_txd(b"a" * 100, flags=FS)
    good = frame(PEER)
    h.put_txd(good)
    h.poll()
    assert h.port.sent == [good]
    assert h.dev.drops["bad descriptor"] == 1 and h.dev.tx_bad_desc == 1
    assert h.txd(0)[0] & (OWN | TXERRSUM) == TXERRSUM
    assert h.r2(INTRSTATUS) & (TER | TOK) == TER | TOK and h.dev.irq.level


def test_re_7_2_short_frames_are_padded_to_60_bytes_with_zeros() -> None:
    h = Host()
    h.setup_tx()
    h.send(PEER + bytes(6) + b"\x86\xdd" + b"hi")
    assert h.port.sent == [PEER + bytes(6) + b"\x86\xdd" + b"hi" + bytes(44)]


def test_re_7_2_frame_longer_than_mtps_x_128_is_not_sent() -> None:
    h = Host()
    h.setup_tx()
    h.w1(MTPS, 12)                                                # 1536 bytes
    h.send(frame(PEER, size=1536))
    i = h.send(frame(PEER, size=1537))
    assert len(h.port.sent) == 1
    assert h.dev.drops["tx bad length"] == 1 and h.dev.tally[2] == 1
    assert h.txd(i)[0] & (OWN | TXERRSUM) == TXERRSUM
    assert h.r2(INTRSTATUS) & TER


def test_re_7_2_frame_of_length_0_is_not_sent() -> None:
    h = Host()
    h.setup_tx()
    h.send(b"")
    assert h.port.sent == [] and h.dev.drops["tx bad length"] == 1


def test_re_7_2_link_down_hands_descriptors_back_with_linkfail() -> None:
    h = Host()
    h.setup_tx()
    h.dev.link_changed(False)
    i = h.send(frame(PEER))
    assert h.port.sent == []
    assert h.txd(i)[0] & (OWN | TXERRSUM | LINKFAIL) == TXERRSUM | LINKFAIL
    assert h.dev.drops["link down"] == 1 and h.r2(INTRSTATUS) & TER
    assert h.dev.tx_cur == 1


def test_re_7_2_port_refusing_the_frame_counts_link_down() -> None:
    h = Host()
    h.setup_tx()
    h.port.link_up = False                                        # the segment says no carrier
    h.send(frame(PEER))
    assert h.dev.drops["link down"] == 1


def test_re_3_1_txpoll_with_te_0_is_ignored_until_te_and_a_new_poll() -> None:
    h = Host()
    h.setup_tx()
    h.w1(CHIPCMD, 0)
    h.send(frame(PEER))
    assert h.port.sent == [] and h.dev.tx_poll_ignored == 1
    h.w1(CHIPCMD, CMD_TE)
    assert h.port.sent == []                                      # TE alone sends nothing
    h.poll()
    assert len(h.port.sent) == 1


def test_re_7_1_a_poll_with_nothing_owned_sets_only_tdu() -> None:
    h = Host()
    h.setup_tx()
    h.poll()
    assert h.port.sent == [] and h.r2(INTRSTATUS) == TDU
