"""ndp(8) and netstat(1) on two hosts that have exchanged a datagram: the
neighbor cache, ND parameters, the routing table, interfaces, statistics and
sockets, in FreeBSD's layout."""
from __future__ import annotations

from kernel.netinet6 import nd6
from kernel.wire.in6 import inet_pton6, sockaddr_in6
from kernel.wire.ip6 import IPPROTO_ICMPV6
from kernel.wire.socket import AF_INET6, SOCK_DGRAM, SOCK_RAW
from tests.kernel.kern.harness import Host
from tests.userland.netlab import LL_RIGHT, SEC, index, pair, up
from userland import libc
from userland.usr_sbin.ndp import sec2str

NDP_HEADER = "Neighbor                             Linklayer Address  Netif Expire    S Flags\n"
RT_HEADER = ("Destination                       Gateway                       Flags     Netif"
             " Expire\n")


def send(argv: list[str]) -> int:
    """A datagram to port 9 from port 5353, then wait (the socket stays open)."""
    s = libc.socket(AF_INET6, SOCK_DGRAM, 0)
    libc.bind(s, sockaddr_in6(bytes(16), 5353))
    libc.sendto(s, b"hello", 0, sockaddr_in6(inet_pton6(argv[1]), 9))
    libc.sleep(int(argv[2]) if len(argv) > 2 else 0)
    return 0


def _lab():
    lab = pair(programs={"/bin/send": send})
    up(lab, "left", "2001:db8:12::1")
    up(lab, "right", "2001:db8:12::2")
    return lab


def _expire(lab, host: str, addr: str) -> str:
    k = lab.machines[host].kernel
    ln = nd6.nd6_lookup(k.ifunit("em0"), inet_pton6(addr))
    return sec2str(ln.ln_expire // SEC - k.now() // SEC)


def test_ndp_a_shows_the_neighbors_each_side_learned():
    lab = _lab()
    assert lab.run_command("left", "ndp -a") == (0, NDP_HEADER)
    assert lab.run_command("left", "/bin/send 2001:db8:12::2")[0] == 0
    assert lab.run_command("left", "ndp -an") == (
        0, NDP_HEADER + "2001:db8:12::2                       (incomplete)         em0 1s"
                        "        I  1\n")                 # RFC 4861 7.2.2: one NS so far
    lab.run_for(SEC)
    left = lab.run_command("left", "ndp -an")
    assert left == (0, NDP_HEADER + "2001:db8:12::2                       02:00:00:00:12:02 "
                    "   em0 %-9s R \n" % _expire(lab, "left", "2001:db8:12::2"))
    right = lab.run_command("right", "ndp -an")
    assert right[1].splitlines()[1].startswith(
        "2001:db8:12::1                       02:00:00:00:12:01    em0 ")
    assert lab.run_command("left", "ndp -n 2001:db8:12::2")[1] == left[1]
    assert lab.run_command("left", "ndp 2001:db8:12::5") == (
        1, NDP_HEADER + "2001:db8:12::5 (2001:db8:12::5) -- no entry\n")


def test_ndp_s_d_and_c():
    lab = _lab()
    assert lab.run_command("left", "ndp -s 2001:db8:12::77 02:00:00:00:00:77") == (0, "")
    assert lab.run_command("left", "ndp -s fe80::77%em0 02:00:00:00:00:78") == (0, "")
    assert lab.run_command("left", "ndp -an") == (
        0, NDP_HEADER
        + "2001:db8:12::77                      02:00:00:00:00:77    em0 permanent R \n"
        + "fe80::77%em0                         02:00:00:00:00:78    em0 permanent R \n")
    assert lab.run_command("left", "ndp -d 2001:db8:12::77") == (
        0, "2001:db8:12::77 (2001:db8:12::77) deleted\n")
    assert lab.run_command("left", "ndp -d 2001:db8:12::77") == (
        1, "ndp: writing to routing socket: No such file or directory\n")
    assert lab.run_command("left", "ndp -c") == (0, "fe80::77%em0 (fe80::77%em0) deleted\n")
    assert lab.run_command("left", "ndp -a") == (0, NDP_HEADER)
    assert lab.run_command("left", "ndp -s 2001:db8:12::78 zz") == (
        1, "ndp: invalid Ethernet address 'zz'\n"
           "ndp: writing to routing socket: Invalid argument\n")


def test_ndp_i_shows_and_sets_interface_parameters():
    lab = _lab()
    k = lab.machines["left"].kernel
    reach = nd6.ND_IFINFO(k.ifunit("em0")).reachable
    assert lab.run_command("left", "ndp -i em0") == (
        0, f"linkmtu=0, maxmtu=1500, curhlim=64, basereachable=30s0ms, reachable={reach}s, "
           "retrans=1s0ms\nFlags: nud auto_linklocal \n")
    out = lab.run_command("left", "ndp -i em0 -- -nud accept_rtadv curhlim=32")[1]
    assert out.endswith("curhlim=32, basereachable=30s0ms, reachable=%ds, retrans=1s0ms\n"
                        "Flags: accept_rtadv auto_linklocal \n" % reach)
    assert lab.run_command("left", "ndp -i em9") == (
        1, "ndp: ioctl(SIOCGIFINFO_IN6): Device not configured\n")


def test_ndp_default_interface_routers_prefixes_and_usage():
    lab = _lab()
    assert lab.run_command("left", "ndp -I") == (0, "No default interface.\n")
    assert lab.run_command("left", "ndp -I em0") == (0, "ND default interface = em0\n")
    assert lab.run_command("left", "ifconfig em0")[1].splitlines()[-1] == \
        "\tnd6 options=8021<PERFORMNUD,AUTO_LINKLOCAL,DEFAULTIF>"
    assert lab.run_command("left", "ndp -I delete") == (0, "No default interface.\n")
    assert lab.run_command("left", "ndp -I em7") == (1, "ndp: invalid interface em7\n")
    assert lab.run_command("left", "ndp -r") == (0, "")
    assert lab.run_command("left", "ndp -p") == (0, "")
    assert lab.run_command("left", "ndp -P") == (0, "")
    assert lab.run_command("left", "ndp -R") == (0, "")
    status, out = lab.run_command("left", "ndp -a -p")
    assert status == 1 and out.startswith("usage: ndp [-nt] hostname\n")
    assert out.endswith("       ndp [-nt] -s nodename etheraddr [temp] [proxy]\n")


def test_ndp_lists_routers_and_prefixes_from_the_kernel():
    """What an RA from right would have left (nd6_rtr's lists), as ndp -r / -p show it."""
    from kernel.netinet6 import nd6_rtr
    lab = _lab()
    k = lab.machines["left"].kernel
    em0 = k.ifunit("em0")
    now = k.now() // SEC
    dr = nd6_rtr.defrtrlist_update(k, nd6_rtr.nd_defrouter(inet_pton6(LL_RIGHT), em0, 0x08,
                                                           1800, now + 1800))
    nd6_rtr.prelist_update(k, em0, inet_pton6("2001:db8:34::"), 64, True, True, 2592000,
                           604800, dr, False)
    assert lab.run_command("left", "ndp -rn") == (
        0, f"{LL_RIGHT}%em0 if=em0, flags=, pref=high, expire=30m0s\n")
    assert lab.run_command("left", "ndp -p") == (
        0, "2001:db8:34::/64 if=em0\n"
           "flags=LAO vltime=2592000, pltime=604800, expire=30d0h0m0s, ref=1\n"
           f"  advertised by\n    {LL_RIGHT}%em0 (no neighbor state)\n")
    assert lab.run_command("left", "ndp -R") == (0, "")
    assert lab.run_command("left", "ndp -r") == (0, "")


def test_netstat_rn_and_r():
    lab = _lab()
    lab.run_command("left", f"route add -inet6 default {LL_RIGHT}%em0")
    lo, em = index(lab, "left", "lo0"), index(lab, "left", "em0")
    inet = ("Routing tables\n\nInternet:\n"
            "Destination        Gateway            Flags     Netif Expire\n"
            f"127.0.0.1          link#{lo}             UH          lo0\n")
    assert lab.run_command("left", "netstat -rn") == (0, (
        inet + "\nInternet6:\n" + RT_HEADER +
        f"default                           {LL_RIGHT}%em0        UGS         em0\n"
        f"::1                               link#{lo}                        UHS         lo0\n"
        f"2001:db8:12::/64                  link#{em}                        U           em0\n"
        f"2001:db8:12::1                    link#{em}                        UHS         lo0\n"
        f"fe80::%em0/64                     link#{em}                        U           em0\n"
        f"fe80::ff:fe00:1201%em0            link#{em}                        UHS         lo0\n"
        f"fe80::%lo0/64                     link#{lo}                        U           lo0\n"
        f"fe80::1%lo0                       link#{lo}                        UHS         lo0\n"))
    assert (em, lo) == (1, 2)           # the radix walk orders fe80:: routes by embedded zone
    both = lab.run_command("left", "netstat -rn")[1]
    assert lab.run_command("left", "netstat -rn -f inet6") == (
        0, "Routing tables\n" + both[len(inet):])
    assert lab.run_command("left", "netstat -rn -f inet") == (0, inet)
    out = lab.run_command("left", "netstat -r")[1].splitlines()
    assert out[7] == "Destination        Gateway            Flags     Netif Expire"
    assert out[8] == "default            fe80::ff:fe00:1202 UGS         em0"


def test_netstat_i():
    lab = _lab()
    assert lab.run_command("left", "/bin/send 2001:db8:12::2")[0] == 0
    lab.run_for(SEC)
    k = lab.machines["left"].kernel
    d = k.ifunit("em0").if_data
    lo, em = index(lab, "left", "lo0"), index(lab, "left", "em0")
    em0_link = ("em0    1500 <Link#%d>      02:00:00:00:12:01 %8d     0     0 %8d     0     0\n"
                % (em, d.ifi_ipackets, d.ifi_opackets))
    lo0_link = f"lo0   16384 <Link#{lo}>" + " " * 31 + "0     0     0        0     0     0\n"
    assert lab.run_command("left", "netstat -in") == (0, (
        "Name    Mtu Network       Address              Ipkts Ierrs Idrop    Opkts Oerrs  Coll\n"
        + em0_link +
        "em0       - fe80::%em0/64 fe80::ff:fe00:120        0     -     -        0     -     -\n"
        "em0       - 2001:db8:12:: 2001:db8:12::1           0     -     -        0     -     -\n"
        + lo0_link +
        "lo0       - 127.0.0.0/8   127.0.0.1                0     -     -        0     -     -\n"
        "lo0       - ::1/128       ::1                      0     -     -        0     -     -\n"
        "lo0       - fe80::%lo0/64 fe80::1%lo0              0     -     -        0     -     -\n"))
    assert d.ifi_ipackets > 0 and d.ifi_opackets > 0
    assert lab.run_command("left", "netstat -i -I lo0 -f link") == (0, (
        "Name    Mtu Network       Address              Ipkts Ierrs Idrop    Opkts Oerrs  Coll\n"
        + lo0_link))


def test_netstat_s_ip6_and_icmp6_count_what_happened():
    lab = _lab()
    assert lab.run_command("left", "/bin/send 2001:db8:12::2")[0] == 0
    lab.run_for(SEC)
    out = lab.run_command("right", "netstat -s -p icmp6")[1]
    assert out.startswith("icmp6:\n\t1 call to icmp6_error\n"
                          "\t0 errors not generated in response to an icmp6 message\n"
                          "\t0 errors not generated because of rate limitation\n"
                          "\tOutput histogram:\n\t\tunreach: 1\n")
    assert "\t\t1 port unreachable\n" in out and out.endswith("\t0 path MTU changes\n")
    st = lab.machines["right"].kernel.ip6stat
    out = lab.run_command("right", "netstat -s -p ip6")[1]
    assert out.startswith("ip6:\n\t%d total packets received\n" % st.ip6s_total)
    assert "\t%d packet%s for this host\n" % (
        st.ip6s_delivered, "" if st.ip6s_delivered == 1 else "s") in out
    assert "\tInput histogram:\n\t\tUDP: 1\n" in out
    assert "\tMbuf statistics:\n\t\t0 one mbuf\n" in out
    assert out.endswith("\tSource addresses selection rule applied:\n")
    terse = lab.run_command("right", "netstat -ss -p ip6")[1]           # no zero counters
    assert terse.startswith("ip6:\n\t%d total packets received\n" % st.ip6s_total)
    assert "\t0 with size smaller than minimum\n" not in terse
    assert lab.run_command("left", "netstat -s -p udp")[1].startswith(
        "udp:\n\t0 datagrams received\n")


def test_netstat_an_lists_udp_and_raw_sockets():
    lab = _lab()
    job = lab.start_command("left", "/bin/send 2001:db8:12::2 5")
    lab.run_for(SEC)
    assert lab.run_command("left", "netstat -an") == (0, (
        "Active Internet connections (including servers)\n"
        "Proto Recv-Q Send-Q Local Address          Foreign Address        (state)\n"
        "udp6       0      0 *.5353                 *.*                    \n"))
    assert lab.run_command("left", "netstat -n") == (0, "")     # servers only with -a
    lab.wait(job)


def test_netstat_an_lists_a_raw_icmp6_socket_as_icm6():
    def hold(argv: list[str]) -> int:
        libc.socket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6)
        libc.sleep(5)
        return 0
    lab = pair(programs={"/bin/hold": hold})
    job = lab.start_command("left", "/bin/hold")
    lab.run_for(SEC)
    assert lab.run_command("left", "netstat -an -f inet6") == (0, (
        "Active Internet connections (including servers)\n"
        "Proto Recv-Q Send-Q Local Address          Foreign Address        (state)\n"
        "icm6       0      0 *.*                    *.*                    \n"))
    lab.wait(job)


def test_netstat_usage_and_errors():
    h = Host()
    r = h.run("/usr/bin/netstat -f nosuch")
    assert (r.status, r.err) == (1, "netstat: nosuch: unknown address family\n")
    r = h.run("/usr/bin/netstat -p nosuch")
    assert (r.status, r.err) == (1, "netstat: nosuch: unknown or uninstrumented protocol\n")
    r = h.run("/usr/bin/netstat -Y")
    assert r.status == 1 and r.err.startswith("netstat: illegal option -- Y\nusage: netstat ")
    r = h.run("/usr/bin/netstat -rs")
    assert r.out == ("routing:\n\t0 bad routing redirects\n\t0 dynamically created routes\n"
                     "\t0 new gateways due to redirects\n\t0 destinations found unreachable\n"
                     "\t0 uses of a wildcard route\n\t0 routes not in table but not freed\n")
