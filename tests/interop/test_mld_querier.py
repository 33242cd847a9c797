"""The Linux bridge as MLDv2 querier hears our host's reports (RFC 3810 over a TAP).

In the test's network namespace a Linux bridge has the lab's TAP as its one port,
with multicast snooping on and its own MLDv2 querier (tests/interop/conftest.py
``NetNs.querier_bridge``: General Queries every second — the kernel's floor — with a
Maximum Response Delay of 500 ms; Multicast Address Specific Queries 100 ms apart
after a leave).  Our host kame (em0 on lan0, fe80::ff:fe00:a, 2001:db8:1::a) joins
groups with ``mcjoin``, a small program of this module written against the RFC 3678
API as a kamebox program is (userland/libc.py): one UDP socket, MCAST_JOIN_GROUP for
an any-source join and MCAST_JOIN_SOURCE_GROUP for a source-specific one; it closes
the socket on SIGINT.  The Linux side is checked twice: ``bridge -d mdb show`` (what
the bridge learned, per port, with the sources of an MLDv2 INCLUDE join) and a tshark
capture on the bridge port (the Queries out, our Version 2 Reports in, wall-clock
time stamps of the Linux kernel).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable

import pytest

from kernel.wire.errno import EINTR
from kernel.wire.in6 import AF_INET6, sockaddr_in6
from kernel.wire.in6_sockopt import IPPROTO_IPV6
from kernel.wire.in_mcast import (MCAST_JOIN_GROUP, MCAST_JOIN_SOURCE_GROUP, group_req,
                                  group_source_req)
from kernel.wire.signal import SIGINT, SIGTERM, sigaction_t
from kernel.wire.socket import SOCK_DGRAM
from tests.conftest import tshark_fields
from tests.interop.conftest import BRIDGE_LL, KAME_LL, one_host_lab, run_lab_until
from userland import libc
from userland.libc import stderr, stdout

HOST = one_host_lab("mldquerier")
KAME_SOLICITED = "ff02::1:ff00:a"     # of fe80::ff:fe00:a and 2001:db8:1::a (RFC 4291 2.7.1)
ASM = "ff05::1:3"                     # any-source join (site-local All-DHCP-Servers)
SSM = "ff3e::8000:1"                  # source-specific join (RFC 4607 range) ...
SOURCE = "2001:db8:1::100"            # ... from this source
MCJOIN = f"mcjoin em0 {ASM} {SSM}@{SOURCE}"
# wall seconds a frame may take between the TAP and the lab, both ways, on a busy machine
SLACK = 0.25
QUERY, REPORT = 130, 143              # RFC 3810 5: Multicast Listener Query, Version 2 Report
# RFC 3810 5.2.12 record types
IS_IN, IS_EX, TO_IN, TO_EX, ALLOW, BLOCK = 1, 2, 3, 4, 5, 6


# -- mcjoin: the program kame runs ------------------------------------------------------------
def mcjoin_main(argv: list[str]) -> int:
    """mcjoin IFNAME GROUP[@SOURCE]...: join every group on one UDP socket (RFC
    3678 5.1: MCAST_JOIN_GROUP, or MCAST_JOIN_SOURCE_GROUP for GROUP@SOURCE),
    print ``joined``, wait for SIGINT or SIGTERM, close the socket (the leave),
    print ``left``."""
    if len(argv) < 3:
        libc.fprintf(stderr, "usage: mcjoin ifname group[@source] ...\n")
        return 1
    try:
        ifindex = libc.if_nametoindex(argv[1])
    except OSError:
        ifindex = 0
    if not ifindex:
        libc.errx(1, "%s: no such interface", argv[1])
    s = libc.socket(AF_INET6, SOCK_DGRAM, 0)
    for spec in argv[2:]:
        group, _, source = spec.partition("@")
        g = libc.inet_pton(AF_INET6, group)
        src = libc.inet_pton(AF_INET6, source) if source else None
        if g is None or (source and src is None):
            libc.errx(1, "%s: not an IPv6 group[@source]", spec)
        try:
            if src is None:
                libc.setsockopt(s, IPPROTO_IPV6, MCAST_JOIN_GROUP,
                                group_req(ifindex, sockaddr_in6(g)))
            else:
                libc.setsockopt(s, IPPROTO_IPV6, MCAST_JOIN_SOURCE_GROUP,
                                group_source_req(ifindex, sockaddr_in6(g), sockaddr_in6(src)))
        except OSError:
            libc.err(1, "setsockopt %s", spec)
    libc.printf("joined\n")
    libc.fflush(stdout)
    stop = []
    libc.sigaction(SIGINT, sigaction_t(lambda sig: stop.append(sig)))
    libc.sigaction(SIGTERM, sigaction_t(lambda sig: stop.append(sig)))
    while not stop:
        try:
            libc.nanosleep(3600)
        except OSError as e:
            if e.errno != EINTR:
                libc.err(1, "nanosleep")
    libc.close(s)
    libc.printf("left\n")
    return 0


@pytest.fixture
def querier(netns, make_lab):
    """(lab, netns, tap): kame booted (with mcjoin in /usr/bin) on lan0, bridged to a
    TAP that is the port of a Linux bridge acting as MLDv2 querier."""
    lab = make_lab(HOST)
    lab.programs["/usr/bin/mcjoin"] = mcjoin_main
    tap = netns.bridge(lab, "lan0")
    netns.querier_bridge(tap)
    lab.boot()
    return lab, netns, tap


def _mcjoin(lab) -> Any:
    job = lab.start_command("kame", MCJOIN)
    assert run_lab_until(lab, lambda: "joined" in job.output or job.done, 3.0), job.output
    assert not job.done and job.output == "joined\n", job.output
    return job


def _ours(ns, tap: str) -> dict[tuple[str, str], dict]:
    """The bridge's mdb entries of the TAP port: (group, source or "") -> entry."""
    return {(e["grp"], e.get("src", "")): e for e in ns.mdb() if e.get("port") == tap}


def _until(lab, cond: Callable[[], bool], timeout: float) -> bool:
    return run_lab_until(lab, cond, timeout)


@dataclass
class Mld:
    """One MLD message in the Linux capture."""

    t: float                               # wall clock (the Linux kernel's time stamp)
    src: str
    dst: str
    type: int
    group: str                             # a Query's Multicast Address
    mrd_ms: int                            # a Query's Maximum Response Code (< 32768: ms)
    records: list[tuple[int, str, tuple[str, ...]]]


def _mld(path) -> list[Mld]:
    rows = tshark_fields(path, "frame.time_epoch", "ipv6.src", "ipv6.dst", "icmpv6.type",
                         "icmpv6.mld.multicast_address", "icmpv6.mld.maximum_response_code",
                         "icmpv6.mldr.mar.record_type", "icmpv6.mldr.mar.multicast_address",
                         "icmpv6.mldr.mar.nb_sources", "icmpv6.mldr.mar.source_address",
                         display_filter=f"icmpv6.type == {QUERY} || icmpv6.type == {REPORT}")
    out = []
    for t, src, dst, typ, group, mrc, rtypes, raddrs, nsrcs, saddrs in rows:
        records = []
        sources = [a for a in saddrs.split(",") if a]
        if rtypes:
            for rt, ra, n in zip(rtypes.split(","), raddrs.split(","), nsrcs.split(",")):
                records.append((int(rt), ra, tuple(sources[:int(n)])))
                sources = sources[int(n):]
        out.append(Mld(float(t), src, dst, int(typ), group, int(mrc or 0), records))
    return out


def test_rfc3810_6_1_linux_bridge_learns_our_any_source_and_source_specific_joins(querier):
    """RFC 3810 6.1: a join "immediately transmits a State Change Report" — the
    Linux bridge, snooping, enters them in its multicast database for the TAP port:
    the any-source join as EXCLUDE {} (RFC 3810 4.2), the source-specific one as
    INCLUDE {S} with a source entry for S; and our host's own solicited-node group
    (RFC 4861 7.2.1), joined at boot, which the bridge learned from our answers to
    its General Queries."""
    lab, ns, tap = querier
    job = _mcjoin(lab)
    want = {(ASM, ""), (SSM, ""), (SSM, SOURCE), (KAME_SOLICITED, "")}
    assert _until(lab, lambda: want <= set(_ours(ns, tap)), 4.0), ns.mdb()
    ours = _ours(ns, tap)
    assert ours[(ASM, "")]["filter_mode"] == "exclude"
    assert ours[(ASM, "")].get("source_list", []) == []
    assert ours[(SSM, "")]["filter_mode"] == "include"
    assert [s["address"] for s in ours[(SSM, "")]["source_list"]] == [SOURCE]
    assert ours[(SSM, SOURCE)]["filter_mode"] == "include"
    assert ours[(KAME_SOLICITED, "")]["filter_mode"] == "exclude"
    # RFC 3810 6: "never sends any MLD message" for ff02::1 (the bridge ignores it too)
    assert not any(g == "ff02::1" for g, _ in ours)
    job.interrupt()
    assert lab.wait(job, 3_000_000_000) == 0 and job.output == "joined\nleft\n"


def test_rfc3810_6_2_our_reports_answer_the_bridges_general_queries_within_max_response_delay(
        querier, tmp_path):
    """RFC 3810 6.2: on a General Query the host sets its Interface Timer to "a
    random value in the range [0, Maximum Response Delay]" and (6.3) then reports
    "one Current State Record for each multicast address for which the specified
    interface has reception state" — IS_EX {} for the any-source group and for the
    solicited-node group, IS_IN {S} for the source-specific one — to ff02::16
    (5.2.14), from our link-local address (5).

    Each of the bridge's MLDv2 General Queries after the join gets one such Report:
    within the Maximum Response Delay exactly on the lab's own capture of lan0
    (virtual time: the Query enters when it is read from the TAP), and in a tshark
    capture on the bridge port (the Linux kernel's clock) before the next Query,
    within the delay plus what the path from the TAP to the lab costs (SLACK)."""
    lab, ns, tap = querier
    cap = tmp_path / "bridge-port.pcapng"
    tshark = ns.capture(lab, tap, cap)
    job = _mcjoin(lab)
    joined, vjoined = time.time(), lab.sched.now / 1e9
    # two General Queries after the join, and time for the answer to the second
    assert not _until(lab, lambda: False, 2.8)
    stopped, vstopped = time.time(), lab.sched.now / 1e9
    ns.stop(tshark)
    lab.flush_captures()
    want = sorted([(IS_EX, ASM, ()), (IS_IN, SSM, (SOURCE,)), (IS_EX, KAME_SOLICITED, ())])
    for where, path, start, end, slack in (("lan0", tmp_path / "cap" / "lan0.pcap", vjoined,
                                            vstopped, 0.0),
                                           ("bridge port", cap, joined, stopped, SLACK)):
        seen = _mld(path)
        queries = [m for m in seen if m.type == QUERY and m.src == BRIDGE_LL]
        # the General Queries after the join whose answer was due before the end
        general = [q for q in queries if q.group == "::" and q.dst == "ff02::1" and
                   start < q.t and q.t + q.mrd_ms / 1000 + slack < end]
        assert len(general) >= 2, (where, [(q.t, q.group) for q in queries])
        reports = [m for m in seen if m.type == REPORT and m.src == KAME_LL]
        assert reports and all(r.dst == "ff02::16" for r in reports), where
        current = [r for r in reports if r.records and
                   all(t in (IS_IN, IS_EX) for t, _, _ in r.records)]
        # nothing else but the join's State Change Reports (RFC 3810 6.1)
        assert all(r in current or {t for t, _, _ in r.records} <= {TO_EX, ALLOW}
                   for r in reports), (where, [r.records for r in reports])
        for q, nxt in zip(general, general[1:] + [None]):
            assert q.mrd_ms == 500, where                 # mcast_query_response_interval
            answers = [r for r in current if q.t < r.t <= q.t + q.mrd_ms / 1000 + slack
                       and (nxt is None or r.t < nxt.t)]
            assert len(answers) == 1, (where, q.t, [(r.t, r.records) for r in current])
            assert sorted(answers[0].records) == want, where
            print(f"{where}: General Query at {q.t:.3f}, our report "
                  f"{1000 * (answers[0].t - q.t):.1f} ms later (Maximum Response Delay "
                  f"{q.mrd_ms} ms)")
    job.interrupt()
    assert lab.wait(job, 3_000_000_000) == 0


def test_rfc3810_6_1_leave_is_reported_and_the_bridge_forgets_the_groups(querier, tmp_path):
    """RFC 3810 6.1: closing the socket changes the interface state to INCLUDE {}
    for both groups — EXCLUDE {} -> INCLUDE {} is TO_IN {}, INCLUDE {S} -> INCLUDE {}
    BLOCK {S} (or TO_IN {}) — sent at once.  The bridge queries the groups (a
    Multicast Address Specific Query, a Multicast Address and Source Specific
    Query, RFC 3810 7.4), which our host, no longer listening, does not answer
    (6.2: no reception state, no record); after its Last Listener Query Time the
    groups are gone from the TAP port in the bridge's database, while the
    solicited-node group stays."""
    lab, ns, tap = querier
    job = _mcjoin(lab)
    assert _until(lab, lambda: {(ASM, ""), (SSM, SOURCE)} <= set(_ours(ns, tap)), 4.0), ns.mdb()
    cap = tmp_path / "bridge-port.pcapng"
    tshark = ns.capture(lab, tap, cap)
    left = time.time()
    job.interrupt()
    assert lab.wait(job, 3_000_000_000) == 0 and job.output == "joined\nleft\n"

    def forgotten() -> bool:
        groups = {g for g, _ in _ours(ns, tap)}
        return ASM not in groups and SSM not in groups
    assert _until(lab, forgotten, 4.0), ns.mdb()
    gone = time.time()
    assert (KAME_SOLICITED, "") in _ours(ns, tap)
    print(f"groups gone from the bridge's mdb {1000 * (gone - left):.0f} ms after the leave")
    _until(lab, lambda: False, 0.3)                   # the capture catches up
    ns.stop(tshark)
    seen = _mld(cap)
    reports = [m for m in seen if m.type == REPORT and m.src == KAME_LL]
    leave_records = {rec for r in reports for rec in r.records if rec[1] in (ASM, SSM)}
    assert (TO_IN, ASM, ()) in leave_records, reports
    assert (BLOCK, SSM, (SOURCE,)) in leave_records or (TO_IN, SSM, ()) in leave_records, reports
    assert leave_records <= {(TO_IN, ASM, ()), (BLOCK, SSM, (SOURCE,)), (TO_IN, SSM, ())}, reports
    specific = {q.group for q in seen if q.type == QUERY and q.src == BRIDGE_LL and q.group != "::"}
    assert ASM in specific, [(q.t, q.group) for q in seen if q.type == QUERY]
