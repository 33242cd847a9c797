"""kernel/net/if_var.py and if_ethersubr.py: multicast list, input classification, output."""
from __future__ import annotations

from emu.machine import Machine
from emu.sched import Scheduler
from kernel.kern.init_main import Kernel
from kernel.kern.uipc_mbuf import M_BCAST, M_MCAST, mbuf
from kernel.net.if_ethersubr import ether_ifattach, ether_register
from kernel.net.if_var import ifnet
from kernel.wire import errno
from kernel.wire.ethernet import ETHERTYPE, ether_map_ipv4_multicast, ether_map_ipv6_multicast
from kernel.wire.net_if import IFF, LinkState
from kernel.wire.sockio import SIOCADDMULTI, SIOCDELMULTI, SIOCSIFFLAGS

MAC = bytes.fromhex("020000000001")


def make_if():
    s = Scheduler()
    m = Machine(s, "h", 1 << 20)
    k = Kernel(m.platform)
    calls = []
    ifp = ifnet(k, "fake", 0)
    ifp.if_ioctl = lambda ifp, cmd, data: calls.append((cmd, data)) or 0
    sent = []
    ifp.if_start = lambda ifp: sent.extend(iter(ifp.if_snd.dequeue, None))
    ether_ifattach(ifp, MAC)
    ifp.if_flags |= IFF.UP
    return k, ifp, calls, sent


def frame(dst, etype=ETHERTYPE.LOCAL_EXP1, payload=b"x" * 46):
    return mbuf(dst + bytes.fromhex("020000000002") + etype.to_bytes(2, "big") + payload)


def test_sockio_numbers_are_freebsds():
    assert SIOCSIFFLAGS == 0x80206910
    assert SIOCADDMULTI == 0x80206931 and SIOCDELMULTI == 0x80206932


def test_rfc2464_7_ipv6_multicast_maps_to_3333_and_rfc1112_ipv4_to_01005e():
    assert ether_map_ipv6_multicast(bytes.fromhex("ff020000000000000000000000000001")) == \
        bytes.fromhex("333300000001")
    assert ether_map_ipv4_multicast(bytes([224, 0x80 | 1, 2, 3])) == bytes.fromhex("01005e010203")


def test_if_addmulti_reference_counts_and_calls_driver_once():
    k, ifp, calls, _ = make_if()
    g = bytes.fromhex("333300000001")
    assert ifp.if_addmulti(g) == 0 and ifp.if_addmulti(g) == 0
    assert calls == [(SIOCADDMULTI, g)]
    assert ifp.if_delmulti(g) == 0 and calls == [(SIOCADDMULTI, g)]
    assert ifp.if_delmulti(g) == 0 and calls[-1] == (SIOCDELMULTI, g)
    assert ifp.if_delmulti(g) == errno.ENOENT


def test_ether_input_dispatches_by_ethertype_and_marks_broadcast():
    k, ifp, _, _ = make_if()
    got = []
    ether_register(k, ETHERTYPE.LOCAL_EXP1, lambda ifp, m: got.append(m))
    ifp.if_input(ifp, frame(b"\xff" * 6))
    assert len(got) == 1 and got[0].m_flags & M_BCAST and got[0].tobytes() == b"x" * 46
    ifp.if_input(ifp, frame(MAC, etype=0x1234))
    assert ifp.if_data.ifi_noproto == 1


def test_ether_input_filters_multicast_not_joined_behind_imprecise_hw_filter():
    k, ifp, _, _ = make_if()
    got = []
    ether_register(k, ETHERTYPE.LOCAL_EXP1, lambda ifp, m: got.append(m))
    joined, other = bytes.fromhex("333300000001"), bytes.fromhex("333300000002")
    ifp.if_addmulti(joined)
    ifp.if_input(ifp, frame(joined))
    ifp.if_input(ifp, frame(other))
    assert len(got) == 1 and got[0].m_flags & M_MCAST
    assert k.stats["ether_mcast_filtered"] == 1
    ifp.if_flags |= IFF.ALLMULTI
    ifp.if_input(ifp, frame(other))
    assert len(got) == 2


def test_ether_input_runt_counts_ierrors_and_down_interface_drops():
    k, ifp, _, _ = make_if()
    ifp.if_input(ifp, mbuf(b"short"))
    assert ifp.if_data.ifi_ierrors == 1
    ifp.if_flags &= ~IFF.UP
    ifp.if_input(ifp, frame(MAC))
    assert ifp.if_data.ifi_iqdrops == 1


def test_ether_output_prepends_header_and_starts_driver():
    k, ifp, _, sent = make_if()
    dst = bytes.fromhex("020000000009")
    assert ifp.if_output(ifp, mbuf(b"hello"), dst, ETHERTYPE.LOCAL_EXP1) == 0
    assert sent[0].tobytes() == dst + MAC + b"\x88\xb5hello"
    ifp.if_link_state_change(LinkState.DOWN)
    assert ifp.if_output(ifp, mbuf(b"x"), dst, ETHERTYPE.LOCAL_EXP1) == errno.ENETDOWN
    assert "link state changed to DOWN" in "".join(k.msgbuf)


def test_ether_output_full_send_queue_is_enobufs_and_counted():
    k, ifp, _, _ = make_if()
    ifp.if_start = None
    ifp.if_snd.ifq_maxlen = 2
    for _ in range(2):
        assert ifp.if_output(ifp, mbuf(b"x"), MAC, 0x88B5) == 0
    assert ifp.if_output(ifp, mbuf(b"x"), MAC, 0x88B5) == errno.ENOBUFS
    assert ifp.if_data.ifi_oqdrops == 1
