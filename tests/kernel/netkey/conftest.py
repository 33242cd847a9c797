"""Fixtures for the netkey tests: a booted kernel with PF_KEY (keyhost.py)."""
from __future__ import annotations

import pytest

from tests.kernel.netkey.keyhost import KeyHost


@pytest.fixture
def kh():
    h = KeyHost()
    yield h
    assert h.machine.panicked is None, "an exception escaped into the kernel"
