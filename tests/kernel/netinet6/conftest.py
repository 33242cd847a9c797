"""Fixtures for the ND tests: a V6Lab that must end without a panic."""
from __future__ import annotations

import pytest

from tests.kernel.netinet6.nd6_harness import V6Lab


@pytest.fixture
def lab():
    lab = V6Lab()
    yield lab
    assert lab.panics() == [], "an exception escaped into the lab"
