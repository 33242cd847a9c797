"""kernel/netinet6/in6_src.py: RFC 6724 source address selection and the policy table.

Each rule of RFC 6724 5 decides a crafted case — mostly the examples of
RFC 6724 10.1 — and its counter in ``ip6s_sources_rule`` (FreeBSD's index:
Rule 8 is 14) moves.  Host ``a`` has em0 and em1; the addresses are the test
harness's (tests/kernel/netinet6/ip6_lab.py), after the real link-local
addresses of the NICs are removed, so the candidate set is exactly the one
written in each test (lo0's addresses are outside the zone of these
destinations).
"""
from __future__ import annotations

import pytest

from kernel.kern.kern_sysctl import sysctl_lookup
from kernel.kern.sys_socket import soo_ioctl
from kernel.kern.uipc_socket import soconnect, socreate
from kernel.netinet6 import in6
from kernel.netinet6.in6_src import (IP6S_SRCRULE_8, IP6S_SRCRULE_PREFSRC, in6_selectsrc_ia,
                                     lookup_addrsel_policy)
from kernel.netinet6.ip6_var import ip6_pktopts
from kernel.netinet6.udp6_usrreq import udp6_sockaddr
from kernel.wire import errno
from kernel.wire.in6 import AF_INET6, in6_prefix_mask, inet_ntop6, sockaddr_in6
from kernel.wire.in6_addrsel import (IN6_IFF_HOME, RFC6724_DEFAULT_POLICY, SIOCAADDRCTL_POLICY,
                                     SIOCDADDRCTL_POLICY, in6_addrpolicy)
from kernel.wire.in6_var import (IN6_IFF_ANYCAST, IN6_IFF_DEPRECATED, IN6_IFF_PREFER_SOURCE,
                                 IN6_IFF_TEMPORARY, IN6_IFF_TENTATIVE)
from kernel.wire.socket import SOCK_DGRAM
from tests.kernel.netinet6.ip6_lab import A, Net6

SCOPE_LINK, SCOPE_GLOBAL = 2, 14


@pytest.fixture
def a(monkeypatch):
    n = Net6(monkeypatch)
    n.segment("lan0")
    n.segment("lan1")
    h = n.host("a", "lan0", "lan1")
    n.run()
    for i in (0, 1):
        in6.in6_purgeif(h.ifp(i))          # only the addresses each test gives
    h.net = n
    yield h
    assert n.panics() == []


def select(h, dst, zone=0, ifp=None, opts=None):
    """(chosen address or None, {rule index: how much its counter moved})."""
    st = h.k.ip6stat
    before = list(st.ip6s_sources_rule)
    _err, ia = in6_selectsrc_ia(h.k, A(dst), zone, ifp, opts)
    delta = {i: x - y for i, (x, y) in enumerate(zip(st.ip6s_sources_rule, before)) if x != y}
    return (inet_ntop6(ia.ia_addr) if ia is not None else None), delta


# -- RFC 6724 5, rule by rule ---------------------------------------------------------------------
def test_rfc6724_5_rule1_prefer_same_address_even_deprecated(a):
    """10.1: "Candidate Source Addresses: 2001:db8:1::1 (deprecated) or 2001:db8:2::1 /
    Destination Address: 2001:db8:1::1 / Result: 2001:db8:1::1 (prefer same address)"."""
    a.addr("2001:db8:2::1")
    a.addr("2001:db8:1::1", flags=IN6_IFF_DEPRECATED)
    assert select(a, "2001:db8:1::1") == ("2001:db8:1::1", {0: 1, 1: 1})


def test_rfc6724_5_rule2_prefer_appropriate_scope_for_a_global_destination(a):
    """10.1: "2001:db8:3::1 or fe80::1" to 2001:db8:1::1: the global one."""
    a.addr("fe80::1")
    a.addr("2001:db8:3::1")
    a.route("2001:db8:1::", 64, "fe80::99")
    assert select(a, "2001:db8:1::1") == ("2001:db8:3::1", {0: 1, 2: 1})


def test_rfc6724_5_rule2_a_smaller_scope_than_the_destination_loses(a):
    """10.1: "2001:db8:3::2 or fe80::2" to ff05::1: "If Scope(SA) < Scope(SB): If
    Scope(SA) < Scope(D), then prefer SB" — the link-local one is too small."""
    a.addr("2001:db8:3::2")
    a.addr("fe80::2")
    assert select(a, "ff05::1", ifp=a.ifp(0)) == ("2001:db8:3::2", {0: 1, 2: 1})


def test_rfc6724_5_rule2_beats_rule3_for_a_link_local_destination(a):
    """10.1: "fe80::1 (deprecated) or 2001:db8:2::1" to fe80::2: fe80::1."""
    a.addr("2001:db8:2::1")
    a.addr("fe80::1", flags=IN6_IFF_DEPRECATED)
    assert select(a, "fe80::2", zone=a.ifp(0).if_index) == ("fe80::1", {0: 1, 2: 1})


def test_rfc6724_5_rule3_avoid_deprecated_addresses(a):
    a.addr("2001:db8:1::2", flags=IN6_IFF_DEPRECATED)
    a.addr("2001:db8:1::3")
    assert select(a, "2001:db8:1::1") == ("2001:db8:1::3", {0: 1, 3: 1})


def test_use_deprecated_0_takes_deprecated_addresses_out_of_the_candidates(a):
    a.addr("2001:db8:1::2", flags=IN6_IFF_DEPRECATED)
    sysctl_lookup(a.k, "net.inet6.ip6.use_deprecated", 0)
    assert select(a, "2001:db8:1::1") == (None, {})
    assert a.k.ip6stat.ip6s_sources_none == 1


def test_rfc6724_5_rule4_prefer_home_addresses(a):
    """10.1: "2001:db8:1::2 (care-of address) or 2001:db8:3::2 (home address)" to
    2001:db8:1::1: the home address, though Rule 8 would choose the other."""
    a.addr("2001:db8:1::2")
    a.addr("2001:db8:3::2", flags=IN6_IFF_HOME)
    assert select(a, "2001:db8:1::1") == ("2001:db8:3::2", {0: 1, 4: 1})


def test_rfc6724_5_rule5_prefer_outgoing_interface(a):
    """"If SA is assigned to the interface that will be used to send to D and SB is
    assigned to a different interface, then prefer SA" — ahead of Rule 8."""
    a.addr("2001:db8:1::2", plen=128, i=1)
    a.addr("2001:db8:3::2", plen=128, i=0)
    a.route("2001:db8:1::", 64, "fe80::99", i=0)        # D leaves by em0
    assert select(a, "2001:db8:1::1") == ("2001:db8:3::2", {0: 1, 5: 1})
    st = a.k.ip6stat
    assert st.ip6s_sources_sameif[SCOPE_GLOBAL] == 1 and st.ip6s_sources_otherif[SCOPE_GLOBAL] == 0


def test_rfc6724_5_rule6_prefer_matching_label(a):
    """10.1: "2001:db8:1::2 or 2002:c633:6401::2" to 2002:c633:6401::1: the 6to4 one
    (label 2 of 2002::/16), and to 2001:db8:1::1 the other (label 1 of ::/0)."""
    a.addr("2001:db8:1::2", plen=128)
    a.addr("2002:c633:6401::2", plen=128)
    a.route("::", 0, "fe80::99")
    assert select(a, "2002:c633:6401::1") == ("2002:c633:6401::2", {0: 1, 6: 1})
    assert select(a, "2001:db8:1::1") == ("2001:db8:1::2", {0: 1, 6: 1})


def test_rfc6724_5_rule6_comes_before_rule7(a):
    """10.1: "2002:c633:6401::d5e3:7953:13eb:22e8 (temporary) or 2001:db8:1::2" to
    2002:c633:6401::1: the temporary one, by its label."""
    a.addr("2001:db8:1::2", plen=128)
    a.addr("2002:c633:6401::d5e3:7953:13eb:22e8", plen=128, flags=IN6_IFF_TEMPORARY)
    a.route("::", 0, "fe80::99")
    assert select(a, "2002:c633:6401::1") == ("2002:c633:6401:0:d5e3:7953:13eb:22e8", {0: 1, 6: 1})


def test_rfc6724_5_rule7_public_by_default_temporary_when_preferred(a):
    """"Prefer temporary addresses ... Implementations MUST provide a mechanism
    to allow an application to reverse the sense of this preference": the
    FreeBSD default (net.inet6.ip6.prefer_tempaddr=0) keeps public addresses;
    10.1's "2001:db8:1::2 (public) or 2001:db8:1::d5e3:7953:13eb:22e8
    (temporary)" to 2001:db8:1::d5e3:0:0:1 gives the temporary one when
    preferred, by the sysctl or by IPV6_PREFER_TEMPADDR."""
    a.addr("2001:db8:1::2")
    a.addr("2001:db8:1::d5e3:7953:13eb:22e8", flags=IN6_IFF_TEMPORARY)
    d = "2001:db8:1::d5e3:0:0:1"
    assert select(a, d) == ("2001:db8:1::2", {0: 1, 7: 1})
    sysctl_lookup(a.k, "net.inet6.ip6.prefer_tempaddr", 1)
    assert select(a, d) == ("2001:db8:1:0:d5e3:7953:13eb:22e8", {0: 1, 7: 1})
    opts = ip6_pktopts()
    opts.ip6po_prefer_tempaddr = 0                      # the socket says no
    assert select(a, d, opts=opts) == ("2001:db8:1::2", {0: 1, 7: 1})


def test_kame_rule_prefer_addresses_of_interfaces_that_are_up(a):
    """KAME's rule after Rule 7 (FreeBSD index 8, "alive interface"): neither
    candidate is on the outgoing interface; the one whose interface is up wins."""
    from kernel.wire.net_if import IFF
    from tests.kernel.netinet6.ip6_lab import FakeIa
    a.addr("2001:db8:5::1", plen=128, i=1)
    a.net.fakes.addrs[id(a.k)].append(FakeIa(A("2001:db8:7::1"), a.k.loif, 128, 0))
    a.ifp(1).if_flags &= ~int(IFF.UP)
    a.route("2001:db8:9::", 64, "fe80::99", i=0)         # out of em0, which has none
    assert select(a, "2001:db8:9::1") == ("2001:db8:7::1", {0: 1, 8: 1})


def test_freebsd_rule_prefer_source_flag(a):
    """FreeBSD (index 10): an address marked ``prefer_source`` by ifconfig wins a tie."""
    a.addr("2001:db8:1::2")
    a.addr("2001:db8:1::3", flags=IN6_IFF_PREFER_SOURCE)
    assert select(a, "2001:db8:1::99") == ("2001:db8:1::3", {0: 1, IP6S_SRCRULE_PREFSRC: 1})


def test_rfc6724_5_rule8_use_longest_matching_prefix(a):
    """10.1: "2001:db8:1::2 or 2001:db8:3::2" to 2001:db8:1::1: 2001:db8:1::2 —
    FreeBSD counts it as rule 14 ("longest match")."""
    a.addr("2001:db8:3::2", plen=48)
    a.addr("2001:db8:1::2", plen=48)
    assert IP6S_SRCRULE_8 == 14
    assert select(a, "2001:db8:1::1") == ("2001:db8:1::2", {0: 1, 14: 1})


def test_rfc6724_2_2_common_prefix_stops_at_the_prefix_length_so_a_tie_keeps_the_first(a):
    """2.2: CommonPrefixLen(S, D) counts "up to the length of S's prefix": two
    addresses of one /64 tie for any destination in it, and the first stays
    (5: "the tiebreaker is implementation-specific")."""
    a.addr("2001:db8:1::8000:0:0:2")
    a.addr("2001:db8:1::3")
    assert select(a, "2001:db8:1::1") == ("2001:db8:1:0:8000::2", {0: 1})


# -- the candidate set (RFC 6724 4) and the counters ---------------------------------------------
def test_rfc6724_4_unusable_addresses_are_not_candidates(a):
    a.addr("2001:db8:1::2", flags=IN6_IFF_TENTATIVE)
    a.addr("2001:db8:1::3", flags=IN6_IFF_ANYCAST)
    assert select(a, "2001:db8:1::1")[0] is None
    err, ia = in6_selectsrc_ia(a.k, A("2001:db8:1::1"), 0)
    assert (err, ia) == (errno.EADDRNOTAVAIL, None)


def test_rfc6724_4_link_local_destination_takes_sources_of_its_link_only(a):
    """"For all multicast and link-local destination addresses, the set of
    candidate source addresses MUST only include addresses assigned to
    interfaces belonging to the same link as the outgoing interface"."""
    a.addr("fe80::1", i=1)
    a.addr("2001:db8:1::1", i=1)
    assert select(a, "fe80::2", zone=a.ifp(0).if_index)[0] is None
    a.addr("2001:db8:2::1", i=0)
    assert select(a, "fe80::2", zone=a.ifp(0).if_index)[0] == "2001:db8:2::1"
    assert select(a, "fe80::2", zone=a.ifp(1).if_index)[0] == "fe80::1"


def test_chosen_address_is_counted_by_scope_interface_and_deprecation(a):
    a.addr("2001:db8:1::2", flags=IN6_IFF_DEPRECATED)
    a.addr("fe80::2")
    st = a.k.ip6stat
    select(a, "2001:db8:1::1")
    assert st.ip6s_sources_samescope[SCOPE_GLOBAL] == 1
    assert st.ip6s_sources_deprecated[SCOPE_GLOBAL] == 1
    select(a, "ff02::1", ifp=a.ifp(0))
    assert st.ip6s_sources_samescope[SCOPE_LINK] == 1 and st.ip6s_sources_sameif[SCOPE_LINK] == 1
    select(a, "ff05::1", ifp=a.ifp(0))                  # site-local group, global source
    assert st.ip6s_sources_otherscope[SCOPE_GLOBAL] == 1


def test_no_route_is_ehostunreach_and_no_address_eaddrnotavail(a):
    a.addr("2001:db8:1::2", plen=128)
    assert in6_selectsrc_ia(a.k, A("2001:db9::1"), 0) == (errno.EHOSTUNREACH, None)
    assert in6_selectsrc_ia(a.k, A("fe80::5"), a.ifp(1).if_index) == (errno.EADDRNOTAVAIL, None)


def test_udp_connect_takes_the_source_the_rules_choose(a):
    """in6_pcbconnect asks in6_selectsrc: a connected UDP socket's name shows it."""
    a.addr("2001:db8:3::2", plen=48)
    a.addr("2001:db8:1::2", plen=48)
    so = socreate(a.k, AF_INET6, SOCK_DGRAM, 0, None)
    soconnect(so, sockaddr_in6(A("2001:db8:1::1"), 9), None)
    assert udp6_sockaddr(so).sin6_addr == A("2001:db8:1::2")


# -- the policy table ---------------------------------------------------------------------------------
def policy(prefix, plen, prec, label):
    return in6_addrpolicy(sockaddr_in6(A(prefix)), sockaddr_in6(in6_prefix_mask(plen)), prec, label)


def test_rfc6724_2_1_the_default_policy_table_is_installed_at_boot(a):
    got = [(inet_ntop6(p.addr.sin6_addr), bin(int.from_bytes(p.addrmask.sin6_addr, "big")).count("1"),
            p.preced, p.label) for p in sysctl_lookup(a.k, "net.inet6.ip6.addrctlpolicy")]
    assert got == [tuple(e) for e in RFC6724_DEFAULT_POLICY]


def test_policy_table_add_and_delete_by_ioctl_on_an_inet6_socket(a):
    so = socreate(a.k, AF_INET6, SOCK_DGRAM, 0, None)
    soo_ioctl(so, SIOCAADDRCTL_POLICY, policy("2001:db8:3::", 48, 45, 7), None)
    pols = sysctl_lookup(a.k, "net.inet6.ip6.addrctlpolicy")
    assert (pols[-1].addr.sin6_addr, pols[-1].preced, pols[-1].label) == (A("2001:db8:3::"), 45, 7)
    with pytest.raises(OSError) as e:
        soo_ioctl(so, SIOCAADDRCTL_POLICY, policy("2001:db8:3::", 48, 1, 1), None)
    assert e.value.errno == errno.EEXIST
    soo_ioctl(so, SIOCDADDRCTL_POLICY, policy("2001:db8:3::", 48, 0, 0), None)
    assert len(sysctl_lookup(a.k, "net.inet6.ip6.addrctlpolicy")) == len(RFC6724_DEFAULT_POLICY)
    with pytest.raises(OSError) as e:
        soo_ioctl(so, SIOCDADDRCTL_POLICY, policy("2001:db8:3::", 48, 0, 0), None)
    assert e.value.errno == errno.ESRCH


@pytest.mark.parametrize("bad", [
    policy("2001:db8::", 32, 1, -1),                                       # ADDR_LABEL_NOTAPP
    in6_addrpolicy(sockaddr_in6(A("2001:db8::")), sockaddr_in6(A("ffff:0:ffff::")), 1, 1),
    "not a policy",
])
def test_policy_ioctl_refuses_what_in6_src_ioctl_refuses(a, bad):
    so = socreate(a.k, AF_INET6, SOCK_DGRAM, 0, None)
    with pytest.raises(OSError) as e:
        soo_ioctl(so, SIOCAADDRCTL_POLICY, bad, None)
    assert e.value.errno == errno.EINVAL


def test_policy_prefix_bits_beyond_the_length_are_cleared_and_the_sysctl_is_read_only(a):
    so = socreate(a.k, AF_INET6, SOCK_DGRAM, 0, None)
    soo_ioctl(so, SIOCAADDRCTL_POLICY, policy("2001:db8:3::77", 48, 9, 9), None)
    assert sysctl_lookup(a.k, "net.inet6.ip6.addrctlpolicy")[-1].addr.sin6_addr == A("2001:db8:3::")
    with pytest.raises(OSError) as e:
        sysctl_lookup(a.k, "net.inet6.ip6.addrctlpolicy", [])
    assert e.value.errno == errno.EPERM


def test_a_new_label_changes_what_rule6_decides_and_the_entry_counts_its_use(a):
    a.addr("2001:db8:1::2", plen=128)
    a.addr("2001:db8:3::2", plen=128)
    a.route("::", 0, "fe80::99")
    assert select(a, "2001:db8:3::1")[0] == "2001:db8:3::2"          # Rule 8
    so = socreate(a.k, AF_INET6, SOCK_DGRAM, 0, None)
    soo_ioctl(so, SIOCAADDRCTL_POLICY, policy("2001:db8:1::", 48, 40, 20), None)
    soo_ioctl(so, SIOCAADDRCTL_POLICY, policy("2001:db8:7::", 48, 40, 20), None)
    assert select(a, "2001:db8:7::1") == ("2001:db8:1::2", {0: 1, 6: 1})
    assert lookup_addrsel_policy(a.k, A("2001:db8:7::9")).ape_use >= 2
    assert sysctl_lookup(a.k, "net.inet6.ip6.addrctlpolicy")[-1].use >= 2


def test_an_empty_policy_table_leaves_rule6_out(a):
    """Without any entry the label is "not applicable" (FreeBSD's default policy)."""
    so = socreate(a.k, AF_INET6, SOCK_DGRAM, 0, None)
    for prefix, plen, _p, _l in RFC6724_DEFAULT_POLICY:
        soo_ioctl(so, SIOCDADDRCTL_POLICY, policy(prefix, plen, 0, 0), None)
    assert sysctl_lookup(a.k, "net.inet6.ip6.addrctlpolicy") == []
    a.addr("2001:db8:1::2", plen=128)
    a.addr("2002:c633:6401::2", plen=128)
    a.route("::", 0, "fe80::99")
    assert select(a, "2002:c633:6401::1") == ("2002:c633:6401::2", {0: 1, 14: 1})
