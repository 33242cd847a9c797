"""netstat -s's StatPr: FreeBSD's p()/p1a() macros, histograms and the
"delivered" line, as the *_stats routines of usr.bin/netstat print them."""
from __future__ import annotations

from userland.usr_bin.netstat import StatPr

ST = {"a": 1, "b": 0, "c": 2, "hist": [0, 3, 0, 1], "empty": [0, 0], "in": 10, "d1": 2, "d2": 3}


def lines(sflag: int) -> str:
    sp = StatPr("proto", ST, sflag)
    sp.p("a", "\t%d packet%s\n")
    sp.p("b", "\t%d packet%s\n")
    sp.p("c", "\t%d packet%s\n")
    sp.p1a("b", "\t%d with no plural\n")
    sp.hist("hist", "\tHistogram:\n", lambda i, v: "\t\t#%d: %d\n" % (i, v))
    sp.hist("empty", "\tNever printed:\n", lambda i, v: "?")
    sp.delivered("in", "d1", "d2")
    return "".join(sp.out)


def test_netstat_s_prints_every_counter_with_plurals():
    assert lines(1) == ("proto:\n\t1 packet\n\t0 packets\n\t2 packets\n\t0 with no plural\n"
                        "\tHistogram:\n\t\t#1: 3\n\t\t#3: 1\n\t5 delivered\n")


def test_netstat_ss_leaves_out_the_zero_counters():
    assert lines(2) == ("proto:\n\t1 packet\n\t2 packets\n"
                        "\tHistogram:\n\t\t#1: 3\n\t\t#3: 1\n\t5 delivered\n")
