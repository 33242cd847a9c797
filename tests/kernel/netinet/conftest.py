"""Fixtures for the IPv4 tests: labs that must end without a panic."""
from __future__ import annotations

import pytest

from tests.kernel.netinet.ip_lab import Net4


@pytest.fixture
def net():
    """Two hosts a (10.0.0.1/24) and b (10.0.0.2/24) on lan0, nothing resolved yet."""
    n = Net4()
    n.segment("lan0")
    n.a = n.host("a", "lan0")
    n.b = n.host("b", "lan0")
    n.a.addr("10.0.0.1")
    n.b.addr("10.0.0.2")
    n.run()
    yield n
    assert n.panics() == []


@pytest.fixture
def routed():
    """a (10.0.1.1) - lan1 - r (10.0.1.254, 10.0.2.254; forwarding) - lan2 - b (10.0.2.1),
    each host with a default route through r."""
    n = Net4()
    n.segment("lan1")
    n.segment("lan2")
    n.a = n.host("a", "lan1")
    n.r = n.host("r", "lan1", "lan2")
    n.b = n.host("b", "lan2")
    n.a.addr("10.0.1.1")
    n.r.addr("10.0.1.254", i=0)
    n.r.addr("10.0.2.254", i=1)
    n.b.addr("10.0.2.1")
    n.a.route("0.0.0.0", 0, "10.0.1.254")
    n.b.route("0.0.0.0", 0, "10.0.2.254")
    n.r.k.ip.ipforwarding = 1
    n.run()
    yield n
    assert n.panics() == []
