"""kernel/netinet6/in6_mcast.py (and in_mcast.py's shared parts): memberships, source filters, RFC 3678.

Hosts a and b on a V6Lab segment with a tap; the sockets are made in kernel
context and read without blocking.
"""
from __future__ import annotations

import pytest

from kernel.kern.kern_sysctl import sysctl_lookup
from kernel.kern.uipc_socket import sobind, soclose, soreceive, sosend
from kernel.netinet.in_mcast import in_mfilter, inm_merge
from kernel.netinet6 import in6
from kernel.wire import errno
from kernel.wire.in6 import in6_prefix_mask, sockaddr_in6
from kernel.wire.in6_var import IN6_IFF_NODAD, SIOCAIFADDR_IN6, in6_addrlifetime, in6_aliasreq
from kernel.wire.in6_sockopt import IPV6_JOIN_GROUP, IPV6_MULTICAST_IF, ipv6_mreq
from kernel.wire.in_mcast import (IPV6_MSFILTER, MCAST_BLOCK_SOURCE, MCAST_EXCLUDE, MCAST_INCLUDE,
                                  MCAST_JOIN_GROUP, MCAST_JOIN_SOURCE_GROUP, MCAST_LEAVE_GROUP,
                                  MCAST_LEAVE_SOURCE_GROUP, MCAST_UNBLOCK_SOURCE,
                                  MCAST_UNDEFINED, group_req, msfilterreq)
from kernel.wire.mld6 import (MLD_ALLOW_NEW_SOURCES, MLD_BLOCK_OLD_SOURCES,
                              MLD_CHANGE_TO_EXCLUDE_MODE, MLD_CHANGE_TO_INCLUDE_MODE)
from kernel.wire.socket import MSG_DONTWAIT, SO_REUSEPORT, SOL_SOCKET
from tests.kernel.netinet6.mld_lab import a  # noqa: F401 - the fixture
from tests.kernel.netinet6.mld_lab import A, getopt, greq, gsreq, mld_seen, setopt, udp6
from tests.kernel.netinet6.nd6_harness import B_MAC, MS, SEC

G = "ff15::1:2"
S1, S2, S3 = "2001:db8::1", "2001:db8::2", "2001:db8::3"
MAC_G = bytes.fromhex("333300010002")




def filters(h, group=G):
    """net.inet6.ip6.mcast.filters: (mode, sources) of ``group`` on em0."""
    for r in sysctl_lookup(h.kernel, "net.inet6.ip6.mcast.filters"):
        if r.ifma_addr == A(group) and r.ifma_index == h.ifp.if_index:
            return r.ifma_fmode, set(r.ifma_sources)
    return None


def records(lab, since):
    return [s.records() for s in mld_seen(lab.tap, since) if s.type == 143]


def msf(h, mode, *sources):
    return msfilterreq(h.ifp.if_index, sockaddr_in6(A(G)), mode, len(sources),
                       tuple(sockaddr_in6(A(s)) for s in sources))


def errno_of(fn, *args):
    try:
        fn(*args)
    except OSError as e:
        return e.errno
    return 0


# -- RFC 3810 4.2: the merge ----------------------------------------------------------------------
@pytest.mark.parametrize("socks,expect", [
    ([(MCAST_INCLUDE, {S1}), (MCAST_INCLUDE, {S2})], (MCAST_INCLUDE, {S1, S2})),       # union
    ([(MCAST_EXCLUDE, {S1, S2}), (MCAST_EXCLUDE, {S2, S3})], (MCAST_EXCLUDE, {S2})),  # intersection
    ([(MCAST_EXCLUDE, {S1, S2}), (MCAST_INCLUDE, {S2})], (MCAST_EXCLUDE, {S1})),      # minus includes
    ([], (MCAST_UNDEFINED, set())),
])
def test_rfc3810_4_2_interface_state_merges_the_socket_states(socks, expect):
    """RFC 3810 4.2: "If any such record has a filter mode of EXCLUDE, then the
    filter mode of the interface record is EXCLUDE, and the source list of the
    interface record is the intersection of the source lists of all socket
    records in EXCLUDE mode, minus those source addresses that appear in any
    socket record in INCLUDE mode"; otherwise INCLUDE with the union."""
    mode, srcs = inm_merge([in_mfilter(m, {A(x) for x in s}) for m, s in socks])
    assert (mode, srcs) == (expect[0], {A(x) for x in expect[1]})


def test_rfc3810_4_2_two_sockets_merge_on_the_interface_and_mld_reports_the_merge(lab, a):
    """Two sockets, INCLUDE {S1} and INCLUDE {S2}: the interface is INCLUDE
    {S1, S2} (ALLOW S1, then ALLOW S2); one socket turning to EXCLUDE {S1}
    makes it EXCLUDE {} (S1 is included by the other): TO_EX {}."""
    s1, s2 = udp6(a), udp6(a)
    t = lab.sched.now
    setopt(s1, MCAST_JOIN_SOURCE_GROUP, gsreq(a, G, S1))
    setopt(s2, MCAST_JOIN_SOURCE_GROUP, gsreq(a, G, S2))
    assert filters(a) == (MCAST_INCLUDE, {A(S1), A(S2)})
    lab.run(1 * MS)
    assert records(lab, t)[:2] == [[(MLD_ALLOW_NEW_SOURCES, A(G), (A(S1),))],
                                   [(MLD_ALLOW_NEW_SOURCES, A(G), (A(S1), A(S2)))]]
    lab.run(3 * SEC)
    t = lab.sched.now
    setopt(s2, IPV6_MSFILTER, msf(a, MCAST_EXCLUDE, S1))
    assert filters(a) == (MCAST_EXCLUDE, set())
    lab.run(1 * MS)
    assert records(lab, t) == [[(MLD_CHANGE_TO_EXCLUDE_MODE, A(G), ())]]
    (r,) = [r for r in sysctl_lookup(a.kernel, "net.inet6.ip6.mcast.filters") if r.ifma_addr == A(G)]
    assert r.ifma_refcount == 2 and r.ifma_lladdr == MAC_G


def test_rfc3678_block_and_unblock_a_source_of_an_any_source_membership(lab, a):
    """RFC 3678 5.1.3: MCAST_BLOCK_SOURCE on an any-source membership — EXCLUDE
    {} -> EXCLUDE {S1}: BLOCK (S1) (RFC 3810 6.1); MCAST_UNBLOCK_SOURCE: ALLOW (S1)."""
    so = udp6(a)
    setopt(so, MCAST_JOIN_GROUP, greq(a, G))
    lab.run(3 * SEC)
    t = lab.sched.now
    setopt(so, MCAST_BLOCK_SOURCE, gsreq(a, G, S1))
    lab.run(1 * MS)
    assert filters(a) == (MCAST_EXCLUDE, {A(S1)})
    assert records(lab, t) == [[(MLD_BLOCK_OLD_SOURCES, A(G), (A(S1),))]]
    lab.run(3 * SEC)
    t = lab.sched.now
    setopt(so, MCAST_UNBLOCK_SOURCE, gsreq(a, G, S1))
    lab.run(1 * MS)
    assert filters(a) == (MCAST_EXCLUDE, set())
    assert records(lab, t) == [[(MLD_ALLOW_NEW_SOURCES, A(G), (A(S1),))]]


def test_rfc3678_leaving_the_last_source_leaves_the_group(lab, a):
    so = udp6(a)
    setopt(so, MCAST_JOIN_SOURCE_GROUP, gsreq(a, G, S1))
    setopt(so, MCAST_JOIN_SOURCE_GROUP, gsreq(a, G, S2))
    setopt(so, MCAST_LEAVE_SOURCE_GROUP, gsreq(a, G, S1))
    assert filters(a) == (MCAST_INCLUDE, {A(S2)})
    setopt(so, MCAST_LEAVE_SOURCE_GROUP, gsreq(a, G, S2))
    assert filters(a) is None and a.ifp.if_findmulti(MAC_G) is None
    lab.run(3 * SEC)
    assert records(lab, 0)[-1] == [(MLD_BLOCK_OLD_SOURCES, A(G), (A(S2),))]


@pytest.mark.parametrize("steps,err", [
    ([(MCAST_JOIN_GROUP, None), (MCAST_JOIN_GROUP, None)], errno.EADDRINUSE),
    ([(MCAST_JOIN_GROUP, None), (MCAST_JOIN_SOURCE_GROUP, S1)], errno.EINVAL),   # ASM + source
    ([(MCAST_JOIN_SOURCE_GROUP, S1), (MCAST_BLOCK_SOURCE, S2)], errno.EINVAL),   # block on INCLUDE
    ([(MCAST_JOIN_SOURCE_GROUP, S1), (MCAST_JOIN_SOURCE_GROUP, S1)], errno.EADDRNOTAVAIL),
    ([(MCAST_JOIN_GROUP, None), (MCAST_UNBLOCK_SOURCE, S1)], errno.EADDRNOTAVAIL),
    ([(MCAST_LEAVE_GROUP, None)], errno.EADDRNOTAVAIL),
    ([(MCAST_JOIN_SOURCE_GROUP, "ff15::9")], errno.EINVAL),                      # multicast source
])
def test_rfc3678_api_errors(lab, a, steps, err):
    so = udp6(a)
    got = 0
    for name, src in steps:
        val = greq(a, G) if src is None else gsreq(a, G, src)
        got = errno_of(setopt, so, name, val)
    assert got == err


def test_rfc4007_a_scoped_group_needs_its_interface(lab, a):
    so = udp6(a)
    assert errno_of(setopt, so, IPV6_JOIN_GROUP, ipv6_mreq(A("ff02::1:5"), 0)) == errno.EADDRNOTAVAIL
    assert errno_of(setopt, so, MCAST_JOIN_GROUP, group_req(0, sockaddr_in6(A("ff02::1:5"), 0, 0,
                                                                             a.ifp.if_index))) == 0


def test_in6_mcast_maxsocksrc_bounds_the_sources_of_a_socket(lab, a):
    """net.inet6.ip6.mcast.maxsocksrc (FreeBSD's in6_mcast_maxsocksrc, 128): beyond, ENOBUFS."""
    sysctl_lookup(a.kernel, "net.inet6.ip6.mcast.maxsocksrc", 2)
    so = udp6(a)
    setopt(so, MCAST_JOIN_SOURCE_GROUP, gsreq(a, G, S1))
    setopt(so, MCAST_JOIN_SOURCE_GROUP, gsreq(a, G, S2))
    assert errno_of(setopt, so, MCAST_JOIN_SOURCE_GROUP, gsreq(a, G, S3)) == errno.ENOBUFS
    assert errno_of(setopt, so, IPV6_MSFILTER, msf(a, MCAST_INCLUDE, S1, S2, S3)) == errno.ENOBUFS
    assert filters(a) == (MCAST_INCLUDE, {A(S1), A(S2)})


def test_rfc3678_5_2_setsourcefilter_and_getsourcefilter(lab, a):
    """RFC 3678 5.2: setsourcefilter replaces the filter; getsourcefilter returns
    the mode, the number of sources and as many as the caller has room for."""
    so = udp6(a)
    assert errno_of(setopt, so, IPV6_MSFILTER, msf(a, MCAST_INCLUDE, S1)) == errno.EADDRNOTAVAIL
    setopt(so, MCAST_JOIN_GROUP, greq(a, G))
    setopt(so, IPV6_MSFILTER, msf(a, MCAST_EXCLUDE, S3, S1, S2))
    r = getopt(so, IPV6_MSFILTER, msfilterreq(a.ifp.if_index, sockaddr_in6(A(G)), 0, 2))
    assert (r.msfr_fmode, r.msfr_nsrcs) == (MCAST_EXCLUDE, 3)
    assert [s.sin6_addr for s in r.msfr_srcs] == [A(S1), A(S2)]
    assert filters(a) == (MCAST_EXCLUDE, {A(S1), A(S2), A(S3)})


def test_socket_close_leaves_its_groups_and_the_nic_filter_forgets_the_group(lab, a):
    so = udp6(a)
    setopt(so, MCAST_JOIN_GROUP, greq(a, G))
    assert in6.in6m_lookup(a.ifp, A(G)) is not None and a.ifp.if_findmulti(MAC_G) is not None
    lab.run(3 * SEC)
    t = lab.sched.now
    soclose(so, None)
    assert in6.in6m_lookup(a.ifp, A(G)) is None and a.ifp.if_findmulti(MAC_G) is None
    lab.run(3 * SEC)
    assert records(lab, t) == [[(MLD_CHANGE_TO_INCLUDE_MODE, A(G), ())]] * 2


def test_rfc3678_udp_delivery_follows_the_socket_source_filter(lab, a):
    """A socket with INCLUDE {S1} gets the datagrams S1 sends to the group, not
    those of S2 (udps_filtermcast); a socket that joined any-source gets both."""
    b = lab.host6("b", B_MAC)
    for src in (S1, S2):
        req = in6_aliasreq("em0", sockaddr_in6(A(src)), ifra_prefixmask=sockaddr_in6(in6_prefix_mask(64)),
                           ifra_lifetime=in6_addrlifetime(), ifra_flags=IN6_IFF_NODAD)
        assert in6.in6_control(b.kernel, SIOCAIFADDR_IN6, req, b.ifp) == 0
    lab.settle()
    ssm, asm = udp6(a), udp6(a)
    for so in (ssm, asm):
        setopt(so, SO_REUSEPORT, 1, SOL_SOCKET)
        sobind(so, sockaddr_in6(bytes(16), 5000), None)
    setopt(ssm, MCAST_JOIN_SOURCE_GROUP, gsreq(a, G, S1))
    setopt(asm, MCAST_JOIN_GROUP, greq(a, G))
    for src in (S1, S2):
        tx = udp6(b)
        setopt(tx, IPV6_MULTICAST_IF, b.ifp.if_index)
        sobind(tx, sockaddr_in6(A(src), 0), None)
        assert sosend(tx, sockaddr_in6(A(G), 5000), src.encode(), None, 0, None) == len(src)
    lab.run(10 * MS)

    def drain(so):
        got = []
        while True:
            try:
                got.append(soreceive(so, 2048, MSG_DONTWAIT, None)[0])
            except OSError:
                return got
    assert drain(ssm) == [S1.encode()]
    assert sorted(drain(asm)) == sorted([S1.encode(), S2.encode()])
    assert a.kernel.udpstat.udps_filtermcast == 1
