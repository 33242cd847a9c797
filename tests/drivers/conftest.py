"""Fixtures for driver tests: every lab is checked for panics when the test ends."""
from __future__ import annotations

import pytest

from tests.drivers.em_lab import EmLab


@pytest.fixture
def lab():
    """An :class:`EmLab`; no machine in it may have panicked when the test ends."""
    lab = EmLab()
    yield lab
    assert lab.panics() == [], "an exception escaped into the lab"
