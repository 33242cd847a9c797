"""netstat(1) on dual-stack hosts: both routing tables (``Internet:`` then
``Internet6:``), the IPv4 rows of ``-i``, IPv4 UDP and raw sockets in ``-a``
(``net.inet.udp.pcblist`` / ``net.inet.raw.pcblist`` over both families), and
FreeBSD's ip_stats, icmp_stats, udp_stats and arp_stats."""
from __future__ import annotations

from kernel.netinet.in_pcblist import INP_IPV4, udp_pcblist4
from kernel.wire.in_ import inet_pton4, sockaddr_in
from kernel.wire.socket import AF_INET, AF_INET6, SOCK_DGRAM, SOCK_RAW
from tests.userland.netlab import SEC, index, pair
from userland import libc

RT4 = "Destination        Gateway            Flags     Netif Expire\n"
IF_HEADER = ("Name    Mtu Network       Address              Ipkts Ierrs Idrop    Opkts Oerrs"
             "  Coll\n")
SOCK_HEADER = ("Active Internet connections (including servers)\n"
               "Proto Recv-Q Send-Q Local Address          Foreign Address        (state)\n")


def hold(argv: list[str]) -> int:
    """UDP on *.5353 (and a datagram to right's port 9), a UDP socket connected
    to right's port 7, a raw ICMP socket, an IPv6 UDP socket; then wait."""
    s = libc.socket(AF_INET, SOCK_DGRAM, 0)
    libc.bind(s, sockaddr_in(bytes(4), 5353))
    libc.sendto(s, b"hello", 0, sockaddr_in(inet_pton4("192.0.2.2"), 9))
    c = libc.socket(AF_INET, SOCK_DGRAM, 0)
    libc.connect(c, sockaddr_in(inet_pton4("192.0.2.2"), 7))
    libc.socket(AF_INET, SOCK_RAW, 1)
    libc.socket(AF_INET6, SOCK_DGRAM, 0)
    libc.sleep(5)
    return 0


def _lab():
    lab = pair(programs={"/bin/hold": hold})
    assert lab.run_command("left", "ifconfig em0 inet 192.0.2.1/24") == (0, "")
    assert lab.run_command("right", "ifconfig em0 inet 192.0.2.2/24") == (0, "")
    return lab


def test_rn_shows_the_internet_table_then_internet6():
    lab = _lab()
    lab.run_command("left", "route add default 192.0.2.2")
    lab.run_command("left", "route add 10.20.0.0/20 192.0.2.2")
    lo, em = index(lab, "left", "lo0"), index(lab, "left", "em0")
    inet = ("Routing tables\n\nInternet:\n" + RT4 +
            "default            192.0.2.2          UGS         em0\n"
            "10.20.0.0/20       192.0.2.2          UGS         em0\n"
            f"127.0.0.1          link#{lo}             UH          lo0\n"
            f"192.0.2.0/24       link#{em}             U           em0\n"
            f"192.0.2.1          link#{em}             UHS         lo0\n")
    status, out = lab.run_command("left", "netstat -rn")
    assert status == 0 and out.startswith(inet + "\nInternet6:\n")
    assert "::1                               link#2" in out
    assert lab.run_command("left", "netstat -rn -f inet") == (0, inet)
    assert lab.run_command("left", "netstat -4 -rn") == (0, inet)
    assert "Internet:" not in lab.run_command("left", "netstat -rn -f inet6")[1]
    # route.c netname: without -n a classful mask is not shown
    out = lab.run_command("left", "netstat -r -f inet")[1].splitlines()
    assert out[5:8] == ["10.20.0.0/20       192.0.2.2          UGS         em0",
                        f"127.0.0.1          link#{lo}             UH          lo0",
                        f"192.0.2.0          link#{em}             U           em0"]


def test_i_lists_the_ipv4_addresses_of_each_interface():
    lab = _lab()
    lab.run_command("left", "ifconfig em0 inet 198.51.100.7/28 alias")
    status, out = lab.run_command("left", "netstat -in -f inet")
    assert (status, out) == (0, IF_HEADER +
                             "em0       - 192.0.2.0/24  192.0.2.1                0     -     -"
                             "        0     -     -\n"
                             "em0       - 198.51.100.0/ 198.51.100.7             0     -     -"
                             "        0     -     -\n"
                             "lo0       - 127.0.0.0/8   127.0.0.1                0     -     -"
                             "        0     -     -\n")
    rows = lab.run_command("left", "netstat -in")[1].splitlines()
    assert [r.split()[:3] for r in rows[1:4]] == [["em0", "1500", "<Link#1>"],
                                                  ["em0", "-", "192.0.2.0/24"],
                                                  ["em0", "-", "198.51.100.0/"]]


def test_an_lists_ipv4_udp_and_raw_sockets_as_udp4_and_icm4():
    lab = _lab()
    job = lab.start_command("left", "/bin/hold")
    lab.run_for(SEC)
    k = lab.machines["left"].kernel
    recs = udp_pcblist4(k)
    assert [r["inp_vflag"] for r in recs] == [INP_IPV4, INP_IPV4]
    lport = recs[1]["inp_lport"]
    icmp = k.ripcbinfo4.ipi_list[0].inp_socket.so_rcv.sb_cc     # right's port unreachable
    assert icmp > 0
    conn = f"udp4       0      0 {'192.0.2.1.%d' % lport:<22} 192.0.2.2.7            \n"
    assert lab.run_command("left", "netstat -an") == (0, SOCK_HEADER +
        "udp4       0      0 *.5353                 *.*                    \n" + conn +
        "udp6       0      0 *.*                    *.*                    \n"
        f"icm4  {icmp:6d}      0 *.*                    *.*                    \n")
    assert lab.run_command("left", "netstat -an -f inet6") == (0, SOCK_HEADER +
        "udp6       0      0 *.*                    *.*                    \n")
    assert "udp6" not in lab.run_command("left", "netstat -an -f inet")[1]
    # without -a: no sockets of an unspecified local address (inet_lnaof == 0)
    assert lab.run_command("left", "netstat -n") == (
        0, "Active Internet connections\n" + SOCK_HEADER.splitlines(True)[1] + conn)
    lab.wait(job)


def test_s_p_ip_icmp_udp_arp_print_freebsds_lines_from_the_kernel_counters():
    lab = _lab()
    assert lab.run_command("left", "ping -c 2 192.0.2.2")[0] == 0
    job = lab.start_command("left", "/bin/hold")                 # a datagram to a closed port
    lab.run_for(SEC)
    k = lab.machines["right"].kernel
    ip, icmp, arp = k.ipstat, k.icmpstat, k.arpstat
    out = lab.run_command("right", "netstat -s -p ip")[1]
    assert out.startswith(f"ip:\n\t{ip.ips_total} total packets received\n"
                          "\t0 bad header checksums\n\t0 with size smaller than minimum\n")
    assert f"\t{ip.ips_delivered} packets for this host\n" in out
    assert "\t0 packets forwarded (0 packets fast forwarded)\n" in out
    assert out.endswith("\t0 datagrams with bad address in header\n")
    out = lab.run_command("right", "netstat -s -p icmp")[1]
    assert out == ("icmp:\n\t1 call to icmp_error\n"
                   "\t0 errors not generated in response to an icmp message\n"
                   "\tOutput histogram:\n\t\techo reply: 2\n\t\tdestination unreachable: 1\n"
                   "\t0 messages with bad code fields\n\t0 messages < minimum length\n"
                   "\t0 bad checksums\n\t0 messages with bad length\n"
                   "\t0 multicast echo requests ignored\n"
                   "\t0 multicast timestamp requests ignored\n"
                   "\tInput histogram:\n\t\techo: 2\n"
                   f"\t{icmp.icps_reflect} message responses generated\n"
                   "\t0 invalid return addresses\n\t0 no return routes\n")
    assert lab.run_command("right", "netstat -ss -p icmp")[1] == (
        "icmp:\n\t1 call to icmp_error\n\tOutput histogram:\n\t\techo reply: 2\n"
        "\t\tdestination unreachable: 1\n\tInput histogram:\n\t\techo: 2\n"
        "\t2 message responses generated\n")
    out = lab.run_command("right", "netstat -s -p arp")[1]
    assert out == (f"arp:\n\t{arp.txrequests} ARP request{'' if arp.txrequests == 1 else 's'}"
                   " sent\n"
                   "\t0 ARP requests failed to sent\n"
                   f"\t{arp.txreplies} ARP repl{'y' if arp.txreplies == 1 else 'ies'} sent\n"
                   f"\t{arp.rxrequests} ARP request{'' if arp.rxrequests == 1 else 's'}"
                   " received\n"
                   f"\t{arp.rxreplies} ARP repl{'y' if arp.rxreplies == 1 else 'ies'} received\n"
                   f"\t{arp.received} ARP packets received\n"
                   "\t0 total packets dropped due to no ARP entry\n"
                   "\t0 ARP entrys timed out\n\t0 Duplicate IPs seen\n")
    assert arp.rxrequests >= 1 and arp.txreplies >= 1
    udp = lab.run_command("right", "netstat -s -p udp")[1]
    assert "\t1 dropped due to no socket\n" in udp
    # -s with no protocol: inet's routines (udp, ip, icmp, arp) before inet6's
    terse = lab.run_command("right", "netstat -ss")[1]
    heads = [l for l in terse.splitlines() if not l.startswith("\t")]
    assert heads[:4] == ["udp:", "ip:", "icmp:", "arp:"] and "ip6:" in heads
    assert lab.run_command("right", "netstat -p arp") == (0, "arp: no PCB routine\n")
    lab.wait(job)
