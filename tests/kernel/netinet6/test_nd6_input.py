"""The validation every ND input handler shares (kernel/netinet6/nd6.py:
nd6_input_check, nd6_input_options, nd6_opt_lladdr, nd6_input_bad), RFC 4861
4.6, 6.1, 7.1 and 8.1, checked on the function and through NA and RA input."""
from __future__ import annotations

import pytest

from emu.sched import MS
from kernel.kern.uipc_mbuf import mbuf
from kernel.netinet6.nd6 import ND_IFINFO, nd6_input_check, nd6_opt_lladdr
from kernel.wire.in6_var import ND6_IFF_ACCEPT_RTADV
from kernel.wire.nd6 import (ND_NA_FLAG_OVERRIDE, ND_NA_MINLEN, ND_OPT,
                             ND_RA_MINLEN, ND_REDIRECT_MINLEN, NeighborAdvert, RouterAdvert, RouterSolicit,
                             SourceLinkAddr, UnknownOption, nd_opt_lladdr)
from tests.kernel.netinet6.nd6_harness import A_LL, A_MAC, T_LL, T_MAC, frame, ip6_packet, na_body
from tests.kernel.netinet6.test_nd6_nbr import settled_a

ALLNODES = bytes.fromhex("ff020000000000000000000000000001")
GLOBAL = bytes.fromhex("20010db8000000000000000000000001")


def m_of(body: bytes, src: bytes = T_LL, hlim: int = 255) -> mbuf:
    return mbuf(ip6_packet(src, ALLNODES, body, hlim))


# -- nd6_input_check: hop limit, length, code, and the source of router messages ------------
def test_rfc4861_7_1_2_a_valid_header_passes():
    body = NeighborAdvert(T_LL).emit()
    assert nd6_input_check(m_of(body), 40, len(body), ND_NA_MINLEN) is None


@pytest.mark.parametrize("hlim, cut, code, expect", [
    (254, 10, 1, "badhlim"),          # "The IP Hop Limit field has a value of 255" comes first
    (255, 10, 1, "short"),            # then "ICMP length ... is 24 or more octets"
    (255, 0, 1, "badcode"),           # then "ICMP Code is 0"
])
def test_rfc4861_7_1_2_header_checks_report_the_first_that_fails(hlim, cut, code, expect):
    body = NeighborAdvert(T_LL, code=code).emit()
    body = body[:len(body) - cut]
    assert nd6_input_check(m_of(body, hlim=hlim), 40, len(body), ND_NA_MINLEN) == expect


def test_an_icmp6_length_past_the_end_of_the_packet_is_short():
    body = NeighborAdvert(T_LL).emit()
    assert nd6_input_check(m_of(body), 40, len(body) + 8, ND_NA_MINLEN) == "short"


@pytest.mark.parametrize("minlen", [ND_RA_MINLEN, ND_REDIRECT_MINLEN])
def test_rfc4861_6_1_2_and_8_1_router_messages_need_a_link_local_source_checked_first(minlen):
    """RFC 4861 6.1.2 and 8.1: "IP Source Address is a link-local address." —
    listed first, so it is the reason even when the hop limit is wrong too."""
    body = RouterAdvert().emit() + bytes(minlen)
    m = m_of(body, src=GLOBAL, hlim=64)
    assert nd6_input_check(m, 40, len(body), minlen, llsrc=True) == "badsrc"
    assert nd6_input_check(m, 40, len(body), minlen) == "badhlim"
    assert nd6_input_check(m_of(body), 40, len(body), minlen, llsrc=True) is None


# -- nd6_opt_lladdr ------------------------------------------------------------------------
class _Ifp:
    if_addr = A_MAC


def test_rfc2464_8_link_layer_address_option_must_fit_the_link():
    assert nd6_opt_lladdr(_Ifp(), None) is None
    assert nd6_opt_lladdr(_Ifp(), nd_opt_lladdr(ND_OPT.SOURCE_LINKADDR, T_MAC)) == T_MAC
    assert nd6_opt_lladdr(_Ifp(), nd_opt_lladdr(ND_OPT.SOURCE_LINKADDR, bytes(8))) is None


# -- through the handlers ------------------------------------------------------------------
def test_rfc4861_4_6_na_with_a_zero_length_option_is_dropped(lab):
    """RFC 4861 4.6: "Nodes MUST silently discard an ND packet that contains an
    option with length zero." """
    a = settled_a(lab)
    body = na_body(T_LL, ND_NA_FLAG_OVERRIDE, T_MAC, extra=bytes((ND_OPT.MTU, 0)) + bytes(6))
    lab.tap.send(frame(T_MAC, T_LL, A_LL, body))
    lab.run(5 * MS)
    k = a.kernel
    assert k.nd6stat.nd6s_na_badopt == 1 and k.icmp6stat.icp6s_badna == 1
    assert k.icmp6stat.icp6s_nd_badopt == 1 and k.nd6stat.nd6s_na_nocache == 0


def test_na_with_a_wrong_link_layer_address_length_is_dropped(lab):
    a = settled_a(lab)
    body = NeighborAdvert(T_LL, ND_NA_FLAG_OVERRIDE).emit() + bytes((ND_OPT.TARGET_LINKADDR, 2))
    lab.tap.send(frame(T_MAC, T_LL, A_LL, body + bytes(14)))
    lab.run(5 * MS)
    assert a.kernel.nd6stat.nd6s_na_badlladdr == 1 and a.kernel.icmp6stat.icp6s_badna == 1


def test_ra_with_a_long_option_list_is_walked_at_most_nd6_maxndopt_deep(lab):
    a = settled_a(lab)
    ND_IFINFO(a.ifp).flags |= ND6_IFF_ACCEPT_RTADV
    body = RouterAdvert(64, 0, 1800, 0, 0, (SourceLinkAddr(T_MAC),) + (UnknownOption(99),) * 40)
    lab.tap.send(frame(T_MAC, T_LL, ALLNODES, body.emit()))
    lab.run(5 * MS)
    k = a.kernel
    assert k.nd6stat.nd6s_toomanyopt == 1 and k.icmp6stat.icp6s_nd_toomanyopt == 1
    assert [dr.rtaddr for dr in k.nd6.nd_defrouter] == [T_LL]      # still processed


def test_rs_with_a_long_option_list_counts_too_many_options_as_freebsd(lab):
    """FreeBSD's nd6_options counts icp6s_nd_toomanyopt for every ND message,
    a Router Solicitation to a router included."""
    a = settled_a(lab)
    a.kernel.ip6.ip6_forwarding = 1
    body = RouterSolicit((SourceLinkAddr(T_MAC),) + (UnknownOption(99),) * 40)
    lab.tap.send(frame(T_MAC, T_LL, A_LL, body.emit()))
    lab.run(5 * MS)
    k = a.kernel
    assert k.nd6stat.nd6s_toomanyopt == 1 and k.icmp6stat.icp6s_nd_toomanyopt == 1
