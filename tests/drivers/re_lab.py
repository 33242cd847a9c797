"""The lab of tests/drivers/nic_lab.py with re as the default model, and its fixture."""
from __future__ import annotations

import pytest

from tests.drivers.nic_lab import (BROADCAST, ETHERTYPE_TEST, MS, SEC, NicHost,  # noqa: F401
                                   NicLab, payload_of)


class ReLab(NicLab):
    """A :class:`NicLab` whose hosts have an re unless told otherwise."""

    def __init__(self, seed: int = 1, latency_ns: int = 1000, mtu: int = 1500) -> None:
        super().__init__(seed, latency_ns, mtu, model="re")


@pytest.fixture
def relab():
    """A re :class:`NicLab`; no machine in it may have panicked when the test ends."""
    lab = ReLab()
    yield lab
    assert lab.panics() == [], "an exception escaped into the lab"
