"""The IPv6 core with the real ND of kernel/netinet6 (no fakes): addresses from
in6_update_ifa, next hops resolved by NS/NA, echo and a fragmented echo."""
from __future__ import annotations

import pytest

from emu.sched import MS
from kernel.kern.uipc_mbuf import mbuf
from kernel.netinet6.ip6_output import ip6_output
from kernel.wire.icmp6 import (ICMP6_ECHO_REPLY, ICMP6_ECHO_REQUEST, ND_NEIGHBOR_ADVERT,
                               ND_NEIGHBOR_SOLICIT, icmp6_echo_repr)
from kernel.wire.in6 import in6_prefix_mask, inet_pton6, sockaddr_in6
from kernel.wire.ip6 import IPPROTO_ICMPV6, ip6_hdr
from tests.drivers.em_lab import EmLab

in6 = pytest.importorskip("kernel.netinet6.in6")
in6_var = pytest.importorskip("kernel.wire.in6_var")
if not hasattr(in6, "in6_update_ifa"):  # pragma: no cover
    pytest.skip("in6_update_ifa has not landed", allow_module_level=True)

A = inet_pton6


def ping(h, s, d, n=56, seq=1):
    body = icmp6_echo_repr(ICMP6_ECHO_REQUEST, 1, seq, bytes(n)).to_bytes(A(s), A(d))
    pkt = ip6_hdr.pack(0x60000000, len(body), IPPROTO_ICMPV6, 64, A(s), A(d)) + body
    return ip6_output(h.kernel, mbuf(pkt))


def test_echo_and_fragmented_echo_resolve_next_hops_with_nd():
    lab = EmLab()
    a, b = lab.pair()
    for h, addr in ((a, "2001:db8::a"), (b, "2001:db8::b")):
        req = in6_var.in6_aliasreq("em0", sockaddr_in6(A(addr)), None,
                                   sockaddr_in6(in6_prefix_mask(64)), in6_var.IN6_IFF_NODAD)
        assert in6.in6_update_ifa(h.ifp, req) == 0
    lab.run(10 * MS)
    assert ping(a, "2001:db8::a", "2001:db8::b") == 0
    lab.run(100 * MS)
    sa, sb = a.kernel.icmp6stat, b.kernel.icmp6stat
    assert sb.icp6s_inhist[ND_NEIGHBOR_SOLICIT] == 1 and sa.icp6s_inhist[ND_NEIGHBOR_ADVERT] == 1
    assert sb.icp6s_inhist[ICMP6_ECHO_REQUEST] == 1 and sa.icp6s_inhist[ICMP6_ECHO_REPLY] == 1
    assert ping(a, "2001:db8::a", "2001:db8::b", 4000, seq=2) == 0
    lab.run(100 * MS)
    assert sa.icp6s_inhist[ICMP6_ECHO_REPLY] == 2 and b.kernel.ip6stat.ip6s_reassembled == 1
    assert lab.panics() == []
