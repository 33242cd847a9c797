"""The lab of tests/drivers/nic_lab.py with em as the default model.

Each host is one machine with one em (``emu/devices/em.py``), optionally a
:class:`~emu.faults.FaultInjector`, and a kernel booted with the em(4) and
re(4) drivers; frames go out with ``ether_output`` and come in through a
handler for the IEEE local experimental ethertype 0x88B5.
"""
from __future__ import annotations

from tests.drivers.nic_lab import (BROADCAST, ETHERTYPE_TEST, NicHost, NicLab,  # noqa: F401
                                   payload_of)

EmHost = NicHost


class EmLab(NicLab):
    """A :class:`NicLab` whose hosts have an em unless told otherwise."""

    def __init__(self, seed: int = 1, latency_ns: int = 1000, mtu: int = 1500) -> None:
        super().__init__(seed, latency_ns, mtu, model="em")
