"""route(8): routing socket requests and their messages, as FreeBSD prints them."""
from __future__ import annotations

from kernel.net.route import rtlookup
from kernel.wire.in6 import inet_pton6
from kernel.wire.route import RTF_GATEWAY, RTF_STATIC
from tests.kernel.kern.harness import Host
from tests.userland.netlab import LL_RIGHT, MS, pair, up

GET_HEADER = (" recvpipe  sendpipe  ssthresh  rtt,msec    mtu        weight    expire\n"
              "       0         0         0         0      1500         1         0 \n")


def _lab():
    lab = pair()
    up(lab, "left", "2001:db8:12::1")
    up(lab, "right", "2001:db8:12::2")
    return lab


def test_add_get_change_delete():
    lab = _lab()
    k = lab.machines["left"].kernel
    gw = f"{LL_RIGHT}%em0"
    assert lab.run_command("left", f"route add -inet6 default {gw}") == (
        0, f"add net default: gateway {gw}\n")
    assert lab.run_command("left", "route add -inet6 2001:db8:99::/48 2001:db8:12::2") == (
        0, "add net 2001:db8:99::/48: gateway 2001:db8:12::2\n")
    rt = rtlookup(k, inet_pton6("2001:db8:99::"), 48)
    assert rt.rt_gateway == inet_pton6("2001:db8:12::2") and rt.rt_ifp.if_xname == "em0"
    assert rt.rt_flags & (RTF_GATEWAY | RTF_STATIC) == RTF_GATEWAY | RTF_STATIC
    assert lab.run_command("left", "route -n get -inet6 default") == (
        0, f"   route to: ::\ndestination: ::\n       mask: ::\n    gateway: {gw}\n"
           f"        fib: 0\n  interface: em0\n      flags: <UP,GATEWAY,DONE,STATIC>\n"
           + GET_HEADER)
    assert lab.run_command("left", "route get -inet6 2001:db8:99::7") == (
        0, "   route to: 2001:db8:99::7\ndestination: 2001:db8:99::\n"
           "       mask: ffff:ffff:ffff::\n    gateway: 2001:db8:12::2\n        fib: 0\n"
           "  interface: em0\n      flags: <UP,GATEWAY,DONE,STATIC>\n" + GET_HEADER)
    assert lab.run_command("left", "route get -6 2001:db8:12::9") == (
        0, "   route to: 2001:db8:12::9\ndestination: 2001:db8:12::\n"
           "       mask: ffff:ffff:ffff:ffff::\n        fib: 0\n  interface: em0\n"
           "      flags: <UP,DONE>\n" + GET_HEADER)
    assert lab.run_command("left", "route change -inet6 2001:db8:99::/48 2001:db8:12::3 "
                                   "-mtu 1400") == (
        0, "change net 2001:db8:99::/48: gateway 2001:db8:12::3\n")
    assert rt.rt_gateway == inet_pton6("2001:db8:12::3") and rt.rt_mtu == 1400
    assert lab.run_command("left", "route delete -inet6 2001:db8:99::/48") == (
        0, "delete net 2001:db8:99::/48\n")
    assert rtlookup(k, inet_pton6("2001:db8:99::"), 48) is None


def test_host_prefixlen_and_interface_routes():
    lab = _lab()
    assert lab.run_command("left", "route add -inet6 -host 2001:db8:50::1 2001:db8:12::2") == (
        0, "add host 2001:db8:50::1: gateway 2001:db8:12::2\n")
    assert lab.run_command("left", "route add -inet6 2001:db8:51:: -prefixlen 56 "
                                   "2001:db8:12::2") == (
        0, "add net 2001:db8:51::: gateway 2001:db8:12::2\n")
    assert lab.run_command("left", "route add -inet6 2001:db8:52::/64 -interface em0") == (
        0, "add net 2001:db8:52::/64: gateway em0\n")
    out = lab.run_command("left", "netstat -rn")[1].splitlines()
    assert "2001:db8:50::1                    2001:db8:12::2                UGHS        em0" in out
    assert "2001:db8:51::/56                  2001:db8:12::2                UGS         em0" in out
    assert "2001:db8:52::/64                  link#1                        US          em0" in out


def test_errors_print_freebsds_messages():
    lab = _lab()
    gw = f"{LL_RIGHT}%em0"
    lab.run_command("left", f"route add -inet6 default {gw}")
    assert lab.run_command("left", f"route add -inet6 default {gw}") == (
        1, "route: writing to routing socket: File exists\n"
           f"add net default: gateway {gw} fib 0: route already in table\n")
    assert lab.run_command("left", "route delete -inet6 2001:db8:77::/64") == (
        1, "route: writing to routing socket: No such process\n"
           "delete net 2001:db8:77::/64 fib 0: not in table\n")
    assert lab.run_command("left", "route add -inet6 2001:db8:78::/64 2001:db8:99::1") == (
        1, "route: writing to routing socket: Network is unreachable\n"
           "add net 2001:db8:78::/64: gateway 2001:db8:99::1 fib 0: Network is unreachable\n")
    lab.run_command("left", "route delete -inet6 default")
    assert lab.run_command("left", "route get -inet6 2001:db8:ff::1") == (
        1, "route: writing to routing socket: No such process\n")
    assert lab.run_command("left", "route add -inet6 2001:db8:1::/129 ::1") == (
        64, "route: 129: invalid prefixlen\n")
    assert lab.run_command("left", "route add -inet6 nosuchhost ::1") == (
        71, "route: nosuchhost: hostname nor servname provided, or not known\n")
    assert lab.run_command("left", "route add -inet6 2001:db8:2::/64 -interface em7") == (
        65, "route: interface 'em7' does not exist\n")
    usage = "route: usage: route [-46dnqtv] command [[modifiers] args]\n"
    assert lab.run_command("left", "route") == (64, usage)
    assert lab.run_command("left", "route frob") == (64, "route: bad keyword: frob\n" + usage)
    assert lab.run_command("left", "route add -frob x") == (64, "route: bad keyword: frob\n"
                                                            + usage)
    assert lab.run_command("left", "route add") == (
        64, "route: destination parameter required\n" + usage)
    # the family is inet unless told (route.c getaddr): an IPv6 address needs -inet6
    assert lab.run_command("left", "route -4 add default ::1") == (
        68, "route: bad address: ::1\n")


def test_monitor_prints_every_message():
    lab = _lab()
    job = lab.start_command("left", "route monitor")
    lab.run_for(100 * MS)
    lab.run_command("left", "route add -inet6 2001:db8:99::/48 2001:db8:12::2")
    lab.run_command("left", "ifconfig em0 inet6 2001:db8:13::1 prefixlen 64 alias")
    lab.run_command("left", "ifconfig em0 mtu 1400")
    lab.run_for(100 * MS)
    job.interrupt()
    lab.run_for(100 * MS)
    assert job.status == 130
    when = "Sun Jan  1 00:00:06 2006"
    pid = "pid: %d" % (int(job.proc.p_pid) + 1)
    assert job.output == (
        f"\ngot message of size 176 on {when}\n"
        f"RTM_ADD: Add Route: len 176, {pid}, seq 1, errno 0, "
        "flags:<UP,GATEWAY,DONE,STATIC>\nlocks:  inits: \nsockaddrs: <DST,GATEWAY,NETMASK>\n"
        " 2001:db8:99:: 2001:db8:12::2 ffff:ffff:ffff::\n"
        f"\ngot message of size 176 on {when}\n"
        "RTM_ADD: Add Route: len 176, pid: 0, seq 0, errno 0, "
        "flags:<UP,HOST,DONE,STATIC,LOCAL>\nlocks:  inits: \nsockaddrs: <DST,GATEWAY>\n"
        " 2001:db8:13::1 link#1\n"                     # em0 is interface 1
        f"\ngot message of size 204 on {when}\n"
        "RTM_ADD: Add Route: len 204, pid: 0, seq 0, errno 0, flags:<UP,DONE>\n"
        "locks:  inits: \nsockaddrs: <DST,GATEWAY,NETMASK>\n"
        " 2001:db8:13:: link#1 ffff:ffff:ffff:ffff::\n"
        f"\ngot message of size 132 on {when}\n"
        "RTM_NEWADDR: address being added to iface: len 132, metric 0, flags:<UP,HOST>\n"
        "sockaddrs: <NETMASK,IFP,IFA>\n"
        " ffff:ffff:ffff:ffff:: em0:2.0.0.0.12.1 2001:db8:13::1\n"
        f"\ngot message of size 100 on {when}\n"
        "RTM_IFINFO: iface status change: len 100, if# 1, link: up, "
        "flags:<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST>\n")


def test_flush_deletes_gateway_routes_only():
    lab = _lab()
    lab.run_command("left", f"route add -inet6 default {LL_RIGHT}%em0")
    lab.run_command("left", "route add -inet6 2001:db8:99::/48 2001:db8:12::2")
    assert lab.run_command("left", "route -n flush -inet6") == (
        0, "::                   fe80::ff:fe00:1202%e -fib 0   done\n"
        + "2001:db8:99::        2001:db8:12::2       -fib 0   done\n")
    out = lab.run_command("left", "netstat -rn")[1]
    assert "default" not in out and "2001:db8:99::" not in out and "2001:db8:12::/64" in out


def test_an_ordinary_user_may_only_get():
    h = Host()
    p, out, err = h.spawn("/sbin/route add -inet6 2001:db8::/64 ::1")
    p.p_ucred.cr_uid = 1000
    h.wait(p)
    assert (p.exit_code, err.text()) == (77, "route: must be root to alter routing table\n")
    p, out, err = h.spawn("/sbin/route -n get -inet6 ::1")
    p.p_ucred.cr_uid = 1000
    h.wait(p)
    assert p.exit_code == 0 and out.text().startswith("   route to: ::1\ndestination: ::1\n")

