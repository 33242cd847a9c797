"""ifmcstat(8) and the libc source-filter calls (setsourcefilter, getsourcefilter, getifmaddrs).

A dual-stack host booted from a lab file; a test program joins groups
through libc — any-source and source-specific, IPv4 and IPv6, one with
setsourcefilter(3) — and stays; ifmcstat prints them in FreeBSD's format.
"""
from __future__ import annotations

import pytest

from kernel.wire.in6 import inet_pton6, sockaddr_in6
from kernel.wire.in6_sockopt import IPPROTO_IPV6
from kernel.wire.in_ import (IP_ADD_MEMBERSHIP, IP_ADD_SOURCE_MEMBERSHIP, IPPROTO_IP, inet_pton4,
                             ip_mreq)
from kernel.wire.in_mcast import (MCAST_EXCLUDE, MCAST_INCLUDE, MCAST_JOIN_GROUP,
                                  MCAST_JOIN_SOURCE_GROUP, group_req, group_source_req,
                                  ip_mreq_source)
from kernel.wire.socket import AF_INET, AF_INET6, SOCK_DGRAM
from tests.userland.labs import SEC, from_text
from userland import libc

LAB = """\
[lab]
name = "mc"
[segment.lan0]
[host.alice]
nic = [{model = "em", segment = "lan0"}]
[host.alice.rc]
ifconfig_em0 = "inet 192.0.2.1/24"
ifconfig_em0_ipv6 = "inet6 2001:db8:1::a prefixlen 64"
"""
A6, A4 = inet_pton6, inet_pton4


def joiner(argv: list[str]) -> int:
    """Join, as an application would, then stay; report getsourcefilter's answers."""
    idx = libc.if_nametoindex("em0")
    s = libc.socket(AF_INET6, SOCK_DGRAM, 0)
    libc.setsockopt(s, IPPROTO_IPV6, MCAST_JOIN_SOURCE_GROUP,
                    group_source_req(idx, sockaddr_in6(A6("ff35::1:2")),
                                     sockaddr_in6(A6("2001:db8:1::b"))))
    libc.setsockopt(s, IPPROTO_IPV6, MCAST_JOIN_GROUP, group_req(idx, sockaddr_in6(A6("ff05::1:3"))))
    # RFC 3678 5.2.1: exclude two sources of the any-source group
    libc.setsourcefilter(s, idx, sockaddr_in6(A6("ff05::1:3")), MCAST_EXCLUDE,
                         [sockaddr_in6(A6("2001:db8:1::e")), sockaddr_in6(A6("2001:db8:1::d"))])
    t = libc.socket(AF_INET, SOCK_DGRAM, 0)
    libc.setsockopt(t, IPPROTO_IP, IP_ADD_MEMBERSHIP, ip_mreq(A4("239.1.2.3"), A4("192.0.2.1")))
    libc.setsockopt(t, IPPROTO_IP, IP_ADD_SOURCE_MEMBERSHIP,
                    ip_mreq_source(A4("232.1.1.1"), A4("192.0.2.2"), A4("192.0.2.1")))
    mode, n, srcs = libc.getsourcefilter(s, idx, sockaddr_in6(A6("ff05::1:3")), 1)
    libc.printf("%d %d %s\n", mode, n, libc.inet_ntop(AF_INET6, srcs[0].sin6_addr))
    mode, n, srcs = libc.getipv4sourcefilter(t, A4("192.0.2.1"), A4("232.1.1.1"))
    libc.printf("%d %d %s\n", mode, n, libc.inet_ntop(AF_INET, srcs[0]))
    libc.fflush()
    libc.sleep(1000)
    return 0


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    lab = from_text(tmp_path_factory.mktemp("mc"), LAB, programs={"/bin/joiner": joiner})
    job = lab.start_command("alice", "/bin/joiner")
    lab.run_for(SEC)
    lab.joiner_output = job.output
    return lab


EM0_INET = """\
	inet 192.0.2.1
	igmpv3 rv 2 qi 125 qri 10 uri 1
		group 224.0.0.1 mode exclude
			mcast-macaddr 01:00:5e:00:00:01
		group 232.1.1.1 mode include{srcs4}
			mcast-macaddr 01:00:5e:01:01:01
		group 239.1.2.3 mode exclude
			mcast-macaddr 01:00:5e:01:02:03
"""
EM0_INET6 = """\
	inet6 fe80::ff:fe00:1%em0 scopeid 0x1
	mldv2 flags=2<USEALLOW> rv 2 qi 125 qri 10 uri 1
		group ff01::1%em0 scopeid 0x1 mode exclude
			mcast-macaddr 33:33:00:00:00:01
		group ff02::1%em0 scopeid 0x1 mode exclude
			mcast-macaddr 33:33:00:00:00:01
		group ff02::1:ff00:1%em0 scopeid 0x1 mode exclude
			mcast-macaddr 33:33:ff:00:00:01
		group ff02::1:ff00:a%em0 scopeid 0x1 mode exclude
			mcast-macaddr 33:33:ff:00:00:0a
		group ff05::1:3 mode exclude{srcs6x}
			mcast-macaddr 33:33:00:01:00:03
		group ff35::1:2 mode include{srcs6}
			mcast-macaddr 33:33:00:01:00:02
"""
LO0 = """\
lo0:
	inet 127.0.0.1
	igmpv3 flags=1<SILENT> rv 2 qi 125 qri 10 uri 1
		group 224.0.0.1 mode exclude
	inet6 fe80::1%lo0 scopeid 0x2
	mldv2 flags=3<SILENT,USEALLOW> rv 2 qi 125 qri 10 uri 1
		group ff01::1%lo0 scopeid 0x2 mode exclude
"""
PLAIN = dict(srcs4="", srcs6="", srcs6x="")
VERBOSE = dict(srcs4=" srcs 192.0.2.2", srcs6=" srcs 2001:db8:1::b",
               srcs6x=" srcs 2001:db8:1::d,2001:db8:1::e")


def test_libc_setsourcefilter_and_getsourcefilter_round_trip(lab):
    """RFC 3678 5.2.2: getsourcefilter gives the mode, the number of sources and
    as many as there is room for (one here)."""
    assert lab.joiner_output == f"{MCAST_EXCLUDE} 2 2001:db8:1::d\n{MCAST_INCLUDE} 1 192.0.2.2\n"


def test_ifmcstat_prints_groups_modes_and_the_link_layer_mapping_per_interface(lab):
    assert lab.run_command("alice", "ifmcstat") == (
        0, "em0:\n" + EM0_INET.format(**PLAIN) + EM0_INET6.format(**PLAIN) + LO0)


def test_ifmcstat_v_adds_the_sources_and_the_link_layer_groups_with_their_refcounts(lab):
    status, out = lab.run_command("alice", "ifmcstat -v -i em0")
    link = ("\tlink 02:00:00:00:00:01\n"
            "\t\tgroup 33:33:ff:00:00:01 refcnt 1\n"
            "\t\tgroup 33:33:00:00:00:01 refcnt 2\n"       # ff01::1 and ff02::1
            "\t\tgroup 01:00:5e:00:00:01 refcnt 1\n"
            "\t\tgroup 33:33:ff:00:00:0a refcnt 1\n"
            "\t\tgroup 33:33:00:01:00:02 refcnt 1\n"
            "\t\tgroup 33:33:00:01:00:03 refcnt 1\n"
            "\t\tgroup 01:00:5e:01:02:03 refcnt 1\n"
            "\t\tgroup 01:00:5e:01:01:01 refcnt 1\n")
    assert (status, out) == (0, "em0:\n" + EM0_INET.format(**VERBOSE) + EM0_INET6.format(**VERBOSE)
                             + link)


def test_ifmcstat_f_selects_a_family_and_vv_shows_the_timers(lab):
    status, out = lab.run_command("alice", "ifmcstat -i em0 -f inet6")
    assert (status, out) == (0, "em0:\n" + EM0_INET6.format(**PLAIN))
    status, out = lab.run_command("alice", "ifmcstat -vv -i em0 -f inet")
    assert status == 0
    assert out.splitlines()[2] == "\tigmpv3 rv 2 qi 125 qri 10 uri 1 v1timer 0 v2timer 0 v3timer 0"
    # FreeBSD: link-layer groups are shown only with -v, and -f link -v is a usage error
    assert lab.run_command("alice", "ifmcstat -i em0 -f link") == (0, "em0:\n")


@pytest.mark.parametrize("cmd,status,msg", [
    ("ifmcstat -i em7", 68, "em7: unknown interface\n"),
    ("ifmcstat -f ipx", 64, "ipx: unknown address family\n"),
    ("ifmcstat -f link -v", 64, "usage: ifmcstat [-i interface] [-f address family] [-v]\n"),
    ("ifmcstat -z", 64, "ifmcstat: illegal option -- z\n"
                        "usage: ifmcstat [-i interface] [-f address family] [-v]\n"),
])
def test_ifmcstat_errors_are_freebsds(lab, cmd, status, msg):
    assert lab.run_command("alice", cmd) == (status, msg)
