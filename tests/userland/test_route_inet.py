"""route(8) with IPv4 (route.c built with INET): the family is inet unless told,
destinations read as route.c's getaddr reads them, RTM_ADD/GET/CHANGE/DELETE
on the AF_INET table, ``route monitor`` and ``route flush -inet``."""
from __future__ import annotations

from kernel.netinet import in_rmx
from kernel.wire.in_ import inet_pton4
from kernel.wire.route import RTF_GATEWAY, RTF_HOST, RTF_STATIC
from tests.userland.netlab import MS, SEC, pair

GET_TAIL = (" recvpipe  sendpipe  ssthresh  rtt,msec    mtu        weight    expire\n"
            "       0         0         0         0      {mtu:4d}         1         0 \n")


def _lab():
    lab = pair()
    assert lab.run_command("left", "ifconfig em0 inet 192.0.2.1/24") == (0, "")
    assert lab.run_command("right", "ifconfig em0 inet 192.0.2.2/24") == (0, "")
    return lab


def _rt(lab, dst: str, plen: int, host: str = "left"):
    return in_rmx.in_rtlookup(lab.machines[host].kernel, inet_pton4(dst), plen)


def test_add_get_change_delete_on_the_inet_table():
    lab = _lab()
    assert lab.run_command("left", "route add default 192.0.2.2") == (
        0, "add net default: gateway 192.0.2.2\n")
    assert lab.run_command("left", "route add -inet 10.0.0.0/8 192.0.2.2") == (
        0, "add net 10.0.0.0/8: gateway 192.0.2.2\n")
    rt = _rt(lab, "10.0.0.0", 8)
    assert rt.rt_gateway == inet_pton4("192.0.2.2") and rt.rt_ifp.if_xname == "em0"
    assert rt.rt_flags & (RTF_GATEWAY | RTF_STATIC) == RTF_GATEWAY | RTF_STATIC
    assert rt.rt_ifa.ia_addr == inet_pton4("192.0.2.1")       # rt_getifa: the source
    assert lab.run_command("left", "route -n get 10.5.5.5") == (
        0, "   route to: 10.5.5.5\ndestination: 10.0.0.0\n       mask: 255.0.0.0\n"
           "    gateway: 192.0.2.2\n        fib: 0\n  interface: em0\n"
           "      flags: <UP,GATEWAY,DONE,STATIC>\n" + GET_TAIL.format(mtu=1500))
    assert lab.run_command("left", "route get 8.8.8.8") == (
        0, "   route to: 8.8.8.8\ndestination: default\n       mask: default\n"
           "    gateway: 192.0.2.2\n        fib: 0\n  interface: em0\n"
           "      flags: <UP,GATEWAY,DONE,STATIC>\n" + GET_TAIL.format(mtu=1500))
    assert lab.run_command("left", "route get 192.0.2.77") == (       # the interface route
        0, "   route to: 192.0.2.77\ndestination: 192.0.2.0\n       mask: 255.255.255.0\n"
           "        fib: 0\n  interface: em0\n      flags: <UP,DONE>\n"
           + GET_TAIL.format(mtu=1500))
    assert lab.run_command("left", "route change 10.0.0.0/8 192.0.2.3 -mtu 1400") == (
        0, "change net 10.0.0.0/8: gateway 192.0.2.3\n")
    assert rt.rt_gateway == inet_pton4("192.0.2.3") and rt.rt_mtu == 1400
    assert lab.run_command("left", "route delete 10.0.0.0/8") == (
        0, "delete net 10.0.0.0/8\n")
    assert _rt(lab, "10.0.0.0", 8) is None


def test_route_c_getaddr_reads_destinations_as_freebsd_does():
    """inet_makenetandmask: a CIDR guess from the bytes given; inet_lnaof: an
    inet_aton(3) address with a zero host part (under its class) is a network."""
    lab = _lab()
    for args, line, dst, plen in (
            ("172.17/16 192.0.2.2", "add net 172.17/16", "172.17.0.0", 16),
            ("198.51.100 192.0.2.2", "add host 198.51.100", "198.51.0.100", 32),  # inet_aton a.b.c
            ("198.51.0.0 192.0.2.2", "add net 198.51.0.0", "198.51.0.0", 16),
            ("10.1.0.0 192.0.2.2", "add host 10.1.0.0", "10.1.0.0", 32),
            ("-net 10.2.0.0 192.0.2.2", "add net 10.2.0.0", "10.2.0.0", 16),
            ("-host 172.16.0.1 192.0.2.2", "add host 172.16.0.1", "172.16.0.1", 32),
            ("-net 172.18.0.0 -netmask 255.255.240.0 192.0.2.2", "add net 172.18.0.0",
             "172.18.0.0", 20),
            ("203.0.113.0 -prefixlen 25 192.0.2.2", "add net 203.0.113.0", "203.0.113.0", 25)):
        status, out = lab.run_command("left", f"route add {args}")
        assert (status, out) == (0, f"{line}: gateway 192.0.2.2\n"), args
        assert _rt(lab, dst, plen) is not None, args
    assert _rt(lab, "10.1.0.0", 32).rt_flags & RTF_HOST
    assert lab.run_command("left", "route add 198.18.0.0/15 -interface em0") == (
        0, "add net 198.18.0.0/15: gateway em0\n")
    rt = _rt(lab, "198.18.0.0", 15)
    assert not rt.rt_flags & RTF_GATEWAY and rt.rt_ifp.if_xname == "em0"


def test_a_route_through_a_gateway_carries_packets_there():
    """The gateway right holds 10.9.0.1 on its em0: left reaches it only by the route."""
    lab = _lab()
    assert lab.run_command("right", "ifconfig em0 inet 10.9.0.1/32 alias") == (0, "")
    assert lab.run_command("left", "ping -c 1 -t 1 10.9.0.1")[0] == 2      # no route
    assert lab.run_command("left", "route add -host 10.9.0.1 192.0.2.2") == (
        0, "add host 10.9.0.1: gateway 192.0.2.2\n")
    status, out = lab.run_command("left", "ping -c 1 10.9.0.1")
    assert status == 0 and "64 bytes from 10.9.0.1: icmp_seq=0 ttl=64" in out


def test_errors_print_freebsds_messages():
    lab = _lab()
    lab.run_command("left", "route add default 192.0.2.2")
    assert lab.run_command("left", "route add default 192.0.2.2") == (
        1, "route: writing to routing socket: File exists\n"
           "add net default: gateway 192.0.2.2 fib 0: route already in table\n")
    assert lab.run_command("left", "route delete 10.77.0.0/16") == (
        1, "route: writing to routing socket: No such process\n"
           "delete net 10.77.0.0/16 fib 0: not in table\n")
    lab.run_command("left", "route delete default")
    assert lab.run_command("left", "route add 10.78.0.0/16 203.0.113.1") == (   # off-link
        1, "route: writing to routing socket: Network is unreachable\n"
           "add net 10.78.0.0/16: gateway 203.0.113.1 fib 0: Network is unreachable\n")
    assert lab.run_command("left", "route add 10.79.0.0/16 nosuchhost") == (
        68, "route: bad address: nosuchhost\n")
    assert lab.run_command("left", "route add 10.80.0.0/16 2001:db8::1") == (
        68, "route: bad address: 2001:db8::1\n")
    assert lab.run_command("left", "route add 10.0.0.0 -prefixlen 33 192.0.2.2") == (
        64, "route: 33: invalid prefixlen\n")
    assert lab.run_command("left", "route get 10.81.0.1") == (
        1, "route: writing to routing socket: No such process\n")


def test_monitor_prints_inet_routes_and_addresses():
    lab = _lab()
    job = lab.start_command("left", "route monitor")
    lab.run_for(100 * MS)
    lab.run_command("left", "route add 10.0.0.0/8 192.0.2.2")
    lab.run_command("left", "ifconfig em0 inet 192.0.2.5/24 alias")
    lab.run_command("left", "ifconfig em0 inet 192.0.2.5 -alias")
    lab.run_for(100 * MS)
    job.interrupt()
    lab.run_for(100 * MS)
    pid = "pid: %d" % (int(job.proc.p_pid) + 1)
    when = "Sun Jan  1 00:00:00 2006"
    assert job.output == (
        f"\ngot message of size 140 on {when}\n"
        f"RTM_ADD: Add Route: len 140, {pid}, seq 1, errno 0, "
        "flags:<UP,GATEWAY,DONE,STATIC>\nlocks:  inits: \nsockaddrs: <DST,GATEWAY,NETMASK>\n"
        " 10.0.0.0 192.0.2.2 255.0.0.0\n"
        f"\ngot message of size 164 on {when}\n"
        "RTM_ADD: Add Route: len 164, pid: 0, seq 0, errno 0, "
        "flags:<UP,HOST,DONE,STATIC,LOCAL>\nlocks:  inits: \nsockaddrs: <DST,GATEWAY>\n"
        " 192.0.2.5 link#1\n"
        f"\ngot message of size 124 on {when}\n"
        "RTM_NEWADDR: address being added to iface: len 124, metric 0, flags:<HOST>\n"
        "sockaddrs: <NETMASK,IFP,IFA,BRD>\n"
        " 255.255.255.0 em0:2.0.0.0.12.1 192.0.2.5 192.0.2.255\n"
        f"\ngot message of size 164 on {when}\n"
        "RTM_DELETE: Delete Route: len 164, pid: 0, seq 0, errno 0, "
        "flags:<HOST,DONE,STATIC,LOCAL>\nlocks:  inits: \nsockaddrs: <DST,GATEWAY>\n"
        " 192.0.2.5 link#1\n"
        f"\ngot message of size 124 on {when}\n"
        "RTM_DELADDR: address being removed from iface: len 124, metric 0, flags:\n"
        "sockaddrs: <NETMASK,IFP,IFA,BRD>\n"
        " 255.255.255.0 em0:2.0.0.0.12.1 192.0.2.5 192.0.2.255\n")


def test_flush_inet_deletes_the_ipv4_gateway_routes_only():
    lab = _lab()
    lab.run_command("left", "ifconfig em0 inet6 2001:db8:12::1 prefixlen 64")
    lab.run_for(3 * SEC)
    lab.run_command("left", "route add default 192.0.2.2")
    lab.run_command("left", "route add 10.0.0.0/8 192.0.2.2")
    lab.run_command("left", "route add -inet6 2001:db8:99::/48 2001:db8:12::2")
    assert lab.run_command("left", "route -n flush -inet") == (
        0, "default              192.0.2.2            -fib 0   done\n"
           "10                   192.0.2.2            -fib 0   done\n")
    out = lab.run_command("left", "netstat -rn")[1]
    assert "192.0.2.2" not in out and "2001:db8:99::/48" in out and "192.0.2.0/24" in out
