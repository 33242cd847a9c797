"""Fixtures for the ND tests: a V6Lab that must end without a panic."""
from __future__ import annotations

import pytest

from tests.kernel.netinet6.nd6_harness import V6Lab


@pytest.fixture
def lab():
    lab = V6Lab()
    yield lab
    assert lab.panics() == [], "an exception escaped into the lab"


A_ADDR, B_ADDR = "2001:db8::a", "2001:db8::b"


@pytest.fixture
def net(monkeypatch):
    """Two hosts a (2001:db8::a, fe80::a) and b (2001:db8::b, fe80::b) on lan0,
    with static neighbor entries both ways (tests/kernel/netinet6/ip6_lab.py)."""
    from tests.kernel.netinet6.ip6_lab import Net6
    n = Net6(monkeypatch)
    n.segment("lan0")
    a = n.host("a", "lan0")
    b = n.host("b", "lan0")
    for h, g, ll in ((a, A_ADDR, "fe80::a"), (b, B_ADDR, "fe80::b")):
        h.addr(g)
        h.addr(ll)
    a.neighbor(B_ADDR, b)
    b.neighbor(A_ADDR, a)
    a.neighbor("fe80::b", b)
    b.neighbor("fe80::a", a)
    n.run()
    n.a, n.b = a, b
    yield n
    assert n.panics() == []
