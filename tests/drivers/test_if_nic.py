"""em(4) and re(4) against their device models: the data path both give the stack alike.

Each test runs once per NIC model (``nic`` fixture, tests/drivers/nic_lab.py).
Probe, attach, init, register programming and the filters' hashes, which
differ per chip, are in test_if_em.py and test_if_re.py.
"""
from __future__ import annotations

from emu.sched import MS, SEC
from tests.drivers.nic_lab import NicLab, NicModel, nic, payload_of  # noqa: F401

Nic = tuple[NicLab, NicModel]
GROUP = bytes.fromhex("333300000102")


def test_frames_of_60_to_1514_bytes_arrive_byte_identical(nic: Nic) -> None:
    """Every frame size from the minimum to the maximum, through rings that wrap 5 times."""
    lab, model = nic
    a, b = lab.pair()
    sent = [payload_of(s, seed=s) for s in range(60, 1515)]
    for k in range(0, len(sent), 100):
        for p in sent[k:k + 100]:
            assert a.send(b.mac, p) == 0
        lab.run(2 * MS)
    assert b.received == sent
    assert a.ifp.if_data.ifi_opackets == len(sent)
    assert a.ifp.if_data.ifi_obytes == sum(len(p) + 14 for p in sent)
    assert b.ifp.if_data.ifi_ipackets == len(sent)
    assert a.dev.drops == dict.fromkeys(a.dev.drops, 0)
    assert b.dev.drops == dict.fromkeys(b.dev.drops, 0)
    assert model.tx_all_free(a.sc)                          # everything reclaimed


def test_short_frame_is_padded_to_60_bytes(nic: Nic) -> None:
    """em's TCTL.PSP, re's chip pad a short frame to the Ethernet minimum."""
    lab, _ = nic
    a, b = lab.pair()
    a.send(b.mac, b"tiny")
    lab.run(1 * MS)
    assert b.received == [b"tiny" + bytes(42)]             # 60 - 14 header - 4 data


def test_unicast_for_another_station_is_dropped_by_the_device(nic: Nic) -> None:
    lab, _ = nic
    a, b = lab.pair()
    a.send(bytes.fromhex("02000000ffff"), payload_of(64))
    lab.run(1 * MS)
    assert b.received == [] and b.dev.drops["filter mismatch"] == 1


def test_joined_group_is_received(nic: Nic) -> None:
    lab, _ = nic
    a, b = lab.pair()
    b.ifp.if_addmulti(GROUP)
    a.send(GROUP, b"hello group")
    lab.run(1 * MS)
    assert b.received == [b"hello group" + bytes(35)]


def test_detach_removes_the_interface(nic: Nic) -> None:
    lab, model = nic
    a, b = lab.pair()
    dev = b.kernel.devices[0]
    assert dev.driver.name == model.name
    dev.driver.detach(dev)
    assert b.kernel.ifunit(f"{model.name}0") is None
    a.send(b.mac, payload_of(64))
    lab.run(1.5 * SEC)
    assert b.received == [] and b.dev.drops["receiver disabled"] == 1
