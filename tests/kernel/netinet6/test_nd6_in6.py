"""Interface addresses and their ioctls (in6.c), zones (scope6.c, RFC 4007),
source selection (in6_src.c), the ND ioctls and sysctl nodes (nd6.c)."""
from __future__ import annotations

import pytest

from emu.sched import MS, SEC
from kernel.kern.kern_sysctl import sysctl_lookup
from kernel.net.route import rtalloc1, rtlookup
from kernel.netinet6 import in6, nd6
from kernel.netinet6.in6_src import in6_selectsrc
from kernel.netinet6.scope6 import in6_setscope, sa6_checkzone, scope6_addr2default
from kernel.wire import errno as bsd_errno
from kernel.wire.in6 import in6_prefix_mask, in6_solicited_node, inet_pton6, sockaddr_in6
from kernel.wire.in6_var import (IN6_IFF_ANYCAST, IN6_IFF_DEPRECATED, IN6_IFF_TENTATIVE,
                                 ND6_IFF_AUTO_LINKLOCAL, ND6_IFF_PERFORMNUD, ND6_LLINFO_REACHABLE,
                                 ND6_INFINITE_LIFETIME, SIOCAIFADDR_IN6, SIOCDIFADDR_IN6,
                                 SIOCGDRLST_IN6, SIOCGIFAFLAG_IN6, SIOCGIFALIFETIME_IN6,
                                 SIOCGIFINFO_IN6, SIOCGNBRINFO_IN6, SIOCSIFINFO_IN6,
                                 SIOCSNDFLUSH_IN6, in6_addrlifetime, in6_aliasreq, in6_drlist,
                                 in6_ifreq, in6_nbrinfo, in6_ndireq)
from kernel.wire.nd6 import ND_NEIGHBOR_SOLICIT
from kernel.wire.route import RTF_GATEWAY
from tests.kernel.netinet6.nd6_harness import (A_LL, A_MAC, B_LL, B_MAC, echo_request, entry,
                                               send_ip6)

G1 = inet_pton6("2001:db8::a")
G2 = inet_pton6("2001:db8::b")


def aliasreq(a, addr=G1, plen=64, flags=0, vl=ND6_INFINITE_LIFETIME, pl=ND6_INFINITE_LIFETIME):
    return in6_aliasreq("em0", sockaddr_in6(addr), None, sockaddr_in6(in6_prefix_mask(plen)),
                        flags, in6_addrlifetime(0, 0, vl, pl))


def settled(lab):
    a = lab.host6("a", A_MAC)
    lab.settle()
    lab.tap.clear()
    return a


def test_siocaifaddr_in6_adds_an_address_with_its_routes_groups_and_dad(lab):
    a = settled(lab)
    k = a.kernel
    assert in6.in6_control(k, SIOCAIFADDR_IN6, aliasreq(a), a.ifp) == 0
    ia = in6.in6ifa_ifwithaddr(k, G1, 0)
    assert ia is not None and ia.ia6_flags & IN6_IFF_TENTATIVE
    assert rtalloc1(k, inet_pton6("2001:db8::77"), 0).rt_ifp is a.ifp          # interface route
    local = rtlookup(k, G1, 128, 0)
    assert local is not None and local.rt_ifp is k.loif                        # via lo0
    assert in6.in6m_lookup(a.ifp, in6_solicited_node(G1)) is not None
    lab.run(10 * MS)
    assert [p.icmp[8:24] for _, p in lab.tap.icmp6(ND_NEIGHBOR_SOLICIT)] == [G1]
    lab.run(SEC)
    assert ia.ia6_flags == 0
    req = in6_ifreq("em0", sockaddr_in6(G1))
    assert in6.in6_control(k, SIOCGIFAFLAG_IN6, req, a.ifp) == 0 and req.ifru_flags6 == 0


def test_two_addresses_share_the_interface_route_until_the_last_goes(lab):
    a = settled(lab)
    k = a.kernel
    in6.in6_control(k, SIOCAIFADDR_IN6, aliasreq(a, G1), a.ifp)
    in6.in6_control(k, SIOCAIFADDR_IN6, aliasreq(a, G2), a.ifp)
    in6.in6_control(k, SIOCDIFADDR_IN6, in6_ifreq("em0", sockaddr_in6(G1)), a.ifp)
    assert rtalloc1(k, inet_pton6("2001:db8::77"), 0) is not None
    in6.in6_control(k, SIOCDIFADDR_IN6, in6_ifreq("em0", sockaddr_in6(G2)), a.ifp)
    assert rtalloc1(k, inet_pton6("2001:db8::77"), 0) is None
    assert rtlookup(k, G2, 128, 0) is None
    assert in6.in6m_lookup(a.ifp, in6_solicited_node(G2)) is None
    assert a.ifp.if_findmulti(bytes.fromhex("3333ff00000b")) is None


def test_siocdifaddr_in6_of_an_unknown_address_is_eaddrnotavail(lab):
    a = settled(lab)
    assert in6.in6_control(a.kernel, SIOCDIFADDR_IN6, in6_ifreq("em0", sockaddr_in6(G1)),
                           a.ifp) == bsd_errno.EADDRNOTAVAIL


@pytest.mark.parametrize("req", [
    dict(plen=0),                                            # no usable mask
    dict(addr=inet_pton6("ff02::1")),                        # multicast
    dict(vl=100, pl=200),                                    # pltime > vltime
])
def test_siocaifaddr_in6_rejects_bad_requests_with_einval(lab, req):
    a = settled(lab)
    assert in6.in6_control(a.kernel, SIOCAIFADDR_IN6, aliasreq(a, **req), a.ifp) == bsd_errno.EINVAL


def test_siocaifaddr_in6_rejects_a_non_contiguous_mask(lab):
    a = settled(lab)
    r = aliasreq(a)
    r.ifra_prefixmask = sockaddr_in6(bytes.fromhex("ffff0000ffff" + "00" * 10))
    assert in6.in6_control(a.kernel, SIOCAIFADDR_IN6, r, a.ifp) == bsd_errno.EINVAL


def test_siocaifaddr_in6_with_a_wrong_zone_for_a_link_local_is_einval(lab):
    a = settled(lab)
    r = aliasreq(a, inet_pton6("fe80::99"))
    r.ifra_addr = sockaddr_in6(inet_pton6("fe80::99"), 0, 0, a.ifp.if_index + 5)
    assert in6.in6_control(a.kernel, SIOCAIFADDR_IN6, r, a.ifp) == bsd_errno.EINVAL


def test_lifetimes_of_a_manual_address_and_siocgifalifetime_in6(lab):
    a = settled(lab)
    k = a.kernel
    in6.in6_control(k, SIOCAIFADDR_IN6, aliasreq(a, vl=60, pl=20), a.ifp)
    req = in6_ifreq("em0", sockaddr_in6(G1))
    assert in6.in6_control(k, SIOCGIFALIFETIME_IN6, req, a.ifp) == 0
    now = lab.sched.now // SEC
    lt = req.ifru_lifetime
    assert (lt.ia6t_vltime, lt.ia6t_pltime) == (60, 20)
    assert (lt.ia6t_expire, lt.ia6t_preferred) == (now + 60, now + 20)
    lab.run(22 * SEC)
    assert in6.in6ifa_ifwithaddr(k, G1, 0).ia6_flags & IN6_IFF_DEPRECATED
    lab.run(40 * SEC)
    assert in6.in6ifa_ifwithaddr(k, G1, 0) is None


def test_pltime_zero_makes_the_address_deprecated_at_once(lab):
    a = settled(lab)
    in6.in6_control(a.kernel, SIOCAIFADDR_IN6, aliasreq(a, pl=0), a.ifp)
    assert in6.in6ifa_ifwithaddr(a.kernel, G1, 0).ia6_flags & IN6_IFF_DEPRECATED


def test_anycast_address_gets_no_dad(lab):
    a = settled(lab)
    in6.in6_control(a.kernel, SIOCAIFADDR_IN6, aliasreq(a, flags=IN6_IFF_ANYCAST), a.ifp)
    ia = in6.in6ifa_ifwithaddr(a.kernel, G1, 0)
    assert ia.ia6_flags == IN6_IFF_ANYCAST


# -- zones (RFC 4007) ------------------------------------------------------------------------
def test_rfc4007_in6ifa_ifwithaddr_matches_link_local_only_in_its_zone(lab):
    a = settled(lab)
    k = a.kernel
    assert in6.in6ifa_ifwithaddr(k, A_LL, a.ifp.if_index) is not None
    assert in6.in6ifa_ifwithaddr(k, A_LL, k.loif.if_index) is None
    assert in6_setscope(A_LL, a.ifp) == a.ifp.if_index
    assert in6_setscope(G1, a.ifp) == 0


def test_rfc4007_sa6_checkzone(lab):
    a = settled(lab)
    k = a.kernel
    assert sa6_checkzone(k, sockaddr_in6(G1, 0, 0, 3))[0] == bsd_errno.EINVAL
    assert sa6_checkzone(k, sockaddr_in6(G1))[0] == 0
    err, sa = sa6_checkzone(k, sockaddr_in6(bytes(15) + b"\x01"))
    assert err == 0 and sa.sin6_scope_id == k.loif.if_index
    assert sa6_checkzone(k, sockaddr_in6(B_LL))[0] == bsd_errno.EADDRNOTAVAIL
    sysctl_lookup(k, "net.inet6.ip6.use_defzone", 1)
    from kernel.netinet6.scope6 import scope6_setdefault
    scope6_setdefault(k, a.ifp)
    err, sa = sa6_checkzone(k, sockaddr_in6(B_LL))
    assert err == 0 and sa.sin6_scope_id == a.ifp.if_index
    assert scope6_addr2default(k, B_LL) == a.ifp.if_index


# -- source selection --------------------------------------------------------------------------
def test_in6_selectsrc_same_scope_and_not_deprecated(lab):
    a = settled(lab)
    k = a.kernel
    in6.in6_control(k, SIOCAIFADDR_IN6, aliasreq(a, G1, pl=0), a.ifp)
    in6.in6_control(k, SIOCAIFADDR_IN6, aliasreq(a, G2), a.ifp)
    lab.settle()
    assert in6_selectsrc(k, B_LL, a.ifp.if_index) == A_LL
    assert in6_selectsrc(k, inet_pton6("2001:db8::99"), 0) == G2      # G1 is deprecated
    assert in6_selectsrc(k, G1, 0) == G1                               # rule 1: same address
    assert in6_selectsrc(k, inet_pton6("2001:db9::1"), 0) is None      # no route


# -- ND ioctls ---------------------------------------------------------------------------------
def test_siocgifinfo_in6_and_siocsifinfo_in6(lab):
    a = settled(lab)
    k = a.kernel
    req = in6_ndireq("em0")
    assert in6.in6_control(k, SIOCGIFINFO_IN6, req, None) == 0
    assert req.ndi.basereachable == 30000 and req.ndi.retrans == 1000 and req.ndi.chlim == 64
    assert req.ndi.flags & ND6_IFF_PERFORMNUD and req.ndi.flags & ND6_IFF_AUTO_LINKLOCAL
    assert req.ndi.maxmtu == 1500
    req.ndi.retrans = 2500
    req.ndi.basereachable = 10000
    assert in6.in6_control(k, SIOCSIFINFO_IN6, req, None) == 0
    ndi = nd6.ND_IFINFO(a.ifp)
    assert ndi.retrans == 2500 and 5 <= ndi.reachable <= 15
    req.ndi.linkmtu = 9000
    assert in6.in6_control(k, SIOCSIFINFO_IN6, req, None) == bsd_errno.EINVAL
    assert in6.in6_control(k, SIOCGIFINFO_IN6, in6_ndireq("em9"), None) == bsd_errno.ENXIO


def test_siocgnbrinfo_in6_and_siocsndflush_in6(lab):
    a = lab.host6("a", A_MAC)
    lab.host6("b", B_MAC)
    lab.settle()
    send_ip6(a, A_LL, B_LL, echo_request(), zone=a.ifp.if_index)
    lab.run(5 * MS)
    k = a.kernel
    req = in6_nbrinfo("em0", B_LL)
    assert in6.in6_control(k, SIOCGNBRINFO_IN6, req, None) == 0
    assert req.state == ND6_LLINFO_REACHABLE and req.isrouter == 0 and req.expire > 0
    assert in6.in6_control(k, SIOCGNBRINFO_IN6, in6_nbrinfo("em0", G1), None) == bsd_errno.EINVAL
    assert in6.in6_control(k, SIOCSNDFLUSH_IN6, in6_ifreq("em0"), None) == 0
    assert entry(a, B_LL) is None


def test_siocgdrlst_in6_and_sysctl_lists(lab):
    from kernel.netinet6 import nd6_rtr
    a = settled(lab)
    k = a.kernel
    nd6_rtr.defrtrlist_update(k, nd6_rtr.nd_defrouter(B_LL, a.ifp, 0, 600, 600))
    dl = in6_drlist()
    assert in6.in6_control(k, SIOCGDRLST_IN6, dl, None) == 0
    assert [d.rtaddr.sin6_addr for d in dl.defrouter] == [B_LL]
    assert [d.rtaddr.sin6_addr for d in sysctl_lookup(k, "net.inet6.icmp6.nd6_drlist")] == [B_LL]
    assert sysctl_lookup(k, "net.inet6.icmp6.nd6_prlist") == []
    assert rtlookup(k, bytes(16), 0, 0).rt_flags & RTF_GATEWAY


def test_sysctl_nodes_of_nd6_exist_with_freebsd_defaults(lab):
    a = settled(lab)
    k = a.kernel
    want = {"net.inet6.ip6.dad_count": 1, "net.inet6.ip6.accept_rtadv": 0,
            "net.inet6.icmp6.nd6_prune": 1, "net.inet6.icmp6.nd6_delay": 5,
            "net.inet6.icmp6.nd6_umaxtries": 3, "net.inet6.icmp6.nd6_mmaxtries": 3,
            "net.inet6.icmp6.nd6_useloopback": 1, "net.inet6.icmp6.nd6_maxnudhint": 0,
            "net.inet6.icmp6.nd6_maxqueuelen": 16, "net.inet6.icmp6.rediraccept": 1}
    for name, v in want.items():
        assert sysctl_lookup(k, name) == v, name
    assert sysctl_lookup(k, "net.inet6.icmp6.nd6_stats")["nd6s_dad_ok"] == 1


def test_ping_localhost_and_our_own_addresses_stays_off_the_wire(lab):
    from kernel.wire.icmp6 import ICMP6_ECHO_REPLY
    a = settled(lab)
    k = a.kernel
    lo = k.loif
    one = bytes(15) + b"\x01"
    assert send_ip6(a, one, one, echo_request(), zone=lo.if_index) == 0
    assert send_ip6(a, A_LL, A_LL, echo_request(), zone=a.ifp.if_index) == 0
    lab.run(5 * MS)
    assert k.icmp6stat.icp6s_inhist[ICMP6_ECHO_REPLY] == 2
    assert lab.tap.icmp6() == []
    assert lo.if_data.ifi_opackets >= 4


def test_looutput_delivers_to_the_registered_input_on_the_original_interface(lab):
    from kernel.kern.uipc_mbuf import M_LOOP, mbuf
    from kernel.net.if_loop import looutput
    from kernel.wire.ethernet import ETHERTYPE
    a = settled(lab)
    k = a.kernel
    got = []
    k.ether_protos[int(ETHERTYPE.LOCAL_EXP2)] = lambda ifp, m: got.append((ifp, m))
    m = mbuf(b"hello")
    assert looutput(a.ifp, m, None, ETHERTYPE.LOCAL_EXP2) == 0
    assert got == []                                    # a new event, not a call
    lab.run(MS)
    assert got and got[0][0] is a.ifp and got[0][1].m_flags & M_LOOP


def test_nd6_output_ifp_on_lo0_arrives_on_the_addresses_interface(lab):
    from kernel.kern.uipc_mbuf import mbuf
    from kernel.wire.icmp6 import ICMP6_ECHO_REPLY
    from tests.kernel.netinet6.nd6_harness import ip6_packet
    a = settled(lab)
    k = a.kernel
    m = mbuf(ip6_packet(A_LL, A_LL, echo_request(), hlim=64))
    assert nd6.nd6_output_ifp(k.loif, a.ifp, m, A_LL) == 0
    lab.run(MS)
    assert k.icmp6stat.icp6s_inhist[ICMP6_ECHO_REPLY] == 1
