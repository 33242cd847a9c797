"""/etc/rc on dual-stack hosts (userland/etc_rc.py): rc.conf's IPv4 lines —
``ifconfig_IF="inet ..."`` in both forms, ``ifconfig_IF_aliasN``, lo0's
127.0.0.1, ``static_routes``/``route_NAME``, ``defaultrouter``,
``gateway_enable`` — as FreeBSD 9's rc.d/netif and rc.d/routing apply them,
and /etc/hosts listing both families, so ``ping`` and ``ping6`` work by name."""
from __future__ import annotations

import pytest

from emu.lab import static_inet_addresses
from kernel.wire.socket import AF_INET, AF_INET6, AF_UNSPEC, SOCK_DGRAM
from tests.userland.labs import console_lines, from_text
from userland import libc

PAIR = """\
[lab]
name = "ds"
[segment.lan0]
[host.alice]
nic = [{{model = "em", segment = "lan0"}}]
[host.alice.rc]
ifconfig_em0 = "inet 192.0.2.1 netmask 255.255.255.0"
ifconfig_em0_ipv6 = "inet6 2001:db8:1::a prefixlen 64"
ifconfig_em0_alias0 = "inet 192.0.2.11/32"
{alice}
[host.bob]
nic = [{{model = "em", segment = "lan0"}}]
[host.bob.rc]
ifconfig_em0 = "inet 192.0.2.2/24"
ifconfig_em0_ipv6 = "inet6 2001:db8:1::b prefixlen 64"
{bob}
"""


def pair(tmp_path, alice: str = "", bob: str = "", **kw):
    return from_text(tmp_path, PAIR.format(alice=alice, bob=bob), **kw)


def gai(argv: list[str]) -> int:
    """getaddrinfo(3) of argv[1] for each family: the addresses found."""
    for fam in (AF_UNSPEC, AF_INET, AF_INET6):
        try:
            res = libc.getaddrinfo(argv[1], "7", libc.addrinfo(ai_family=fam,
                                                               ai_socktype=SOCK_DGRAM))
            libc.printf("%s\n", " ".join(libc.getnameinfo(r.ai_addr, libc.NI_NUMERICHOST)[0]
                                         for r in res))
        except OSError as e:
            libc.printf("%s\n", libc.gai_strerror(e.errno))
    return 0


def test_dual_stack_pair_boots_and_pings_by_name_in_both_families(tmp_path):
    lab = pair(tmp_path)
    lines = console_lines(lab, "alice")
    j = lines.index("Starting Network: lo0 em0.")
    assert lines[j + 2] == "\tinet 127.0.0.1 netmask 0xff000000"   # lo0, before its inet6
    em0 = lines.index("em0: flags=8843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST> metric 0 mtu 1500")
    assert lines[em0 + 2:em0 + 4] == [
        "\tinet 192.0.2.1 netmask 0xffffff00 broadcast 192.0.2.255",
        "\tinet 192.0.2.11 netmask 0xffffffff broadcast 192.0.2.11"]      # the alias
    hosts = lab.run_command("alice", "cat /etc/hosts")[1].splitlines()
    i = hosts.index("2001:db8:1::a           alice")
    assert hosts[i:] == ["2001:db8:1::a           alice", "192.0.2.1               alice",
                         "192.0.2.11              alice", "2001:db8:1::b           bob",
                         "192.0.2.2               bob"]
    status, out = lab.run_command("alice", "ping -c 2 bob")
    assert status == 0, out
    assert out.startswith("PING bob (192.0.2.2): 56 data bytes\n64 bytes from 192.0.2.2: ")
    assert "2 packets transmitted, 2 packets received, 0.0% packet loss" in out
    status, out = lab.run_command("bob", "ping6 -c 2 alice")
    assert status == 0, out
    assert out.startswith("PING6(56=40+8+8 bytes) 2001:db8:1::b --> 2001:db8:1::a\n")
    assert lab.run_command("bob", "ping -c 1 192.0.2.11")[0] == 0


def test_getaddrinfo_gives_both_families_of_a_name_of_etc_hosts(tmp_path):
    """AF_UNSPEC: every address of the name, in the file's order; AF_INET the
    A lines only, AF_INET6 the AAAA ones."""
    lab = pair(tmp_path, programs={"/bin/gai": gai})
    assert lab.run_command("bob", "/bin/gai alice") == (
        0, "2001:db8:1::a 192.0.2.1 192.0.2.11\n192.0.2.1 192.0.2.11\n2001:db8:1::a\n")
    assert lab.run_command("bob", "/bin/gai localhost") == (0, "::1 127.0.0.1\n127.0.0.1\n::1\n")
    assert lab.run_command("bob", "/bin/gai carol") == (
        0, "hostname nor servname provided, or not known\n" * 3)


def test_static_routes_then_defaultrouter_and_gateway_enable(tmp_path):
    """rc.d/routing static_inet: each ``route add $route_NAME``, the default route
    last; options_inet: ``gateway_enable`` is net.inet.ip.forwarding."""
    lab = pair(tmp_path, alice='defaultrouter = "192.0.2.254"\n'
                               'static_routes = "far near"\n'
                               'route_far = "-net 10.0.0.0/8 192.0.2.2"\n'
                               'route_near = "-host 198.51.100.1 192.0.2.2"\n',
               bob='gateway_enable = "YES"\n')
    lines = console_lines(lab, "alice")
    i = lines.index("add net 10.0.0.0/8: gateway 192.0.2.2")
    assert lines[i + 1:i + 3] == ["add host 198.51.100.1: gateway 192.0.2.2",
                                  "add net default: gateway 192.0.2.254"]
    assert "Additional inet routing options: gateway=YES." in console_lines(lab, "bob")
    out = lab.run_command("alice", "netstat -rn -f inet")[1].splitlines()
    assert out[4:6] == ["default            192.0.2.254        UGS         em0",
                        "10.0.0.0/8         192.0.2.2          UGS         em0"]
    assert lab.run_command("bob", "sysctl -n net.inet.ip.forwarding") == (0, "1\n")
    assert lab.run_command("alice", "sysctl -n net.inet.ip.forwarding") == (0, "0\n")


def test_a_missing_route_name_is_warned_about(tmp_path):
    lab = pair(tmp_path, alice='static_routes = "nowhere"\n')
    assert "/etc/rc: WARNING: route_nowhere not found" in console_lines(lab, "alice")


def test_static_inet_addresses_from_every_rc_conf_form():
    found = static_inet_addresses({
        "ifconfig_em0": "inet 192.0.2.1 netmask 255.255.255.0",
        "ifconfig_em1": "198.51.100.1/25 up",
        "ifconfig_em0_alias0": "inet 192.0.2.5/32",
        "ifconfig_em0_aliases": "inet 192.0.2.6 inet6 2001:db8::6 "
                                "inet 192.0.2.7 netmask 0xffffff00",
        "ifconfig_lo0": "inet 127.0.0.1",
        "ifconfig_em2": "DHCP",
        "ifconfig_em0_ipv6": "inet6 2001:db8::1 prefixlen 64"})
    assert [(a.ifname, a.addr, a.prefixlen, a.var) for a in found] == [
        ("em0", "192.0.2.1", 24, "ifconfig_em0"), ("em1", "198.51.100.1", 25, "ifconfig_em1"),
        ("em0", "192.0.2.5", 32, "ifconfig_em0_alias0"),
        ("em0", "192.0.2.6", None, "ifconfig_em0_aliases"),
        ("em0", "192.0.2.7", 24, "ifconfig_em0_aliases")]
    with pytest.raises(ValueError):
        static_inet_addresses({"ifconfig_em0": "inet 192.0.2.300/24"})
    with pytest.raises(ValueError):
        static_inet_addresses({"ifconfig_em0": "inet 192.0.2.1/33"})
    with pytest.raises(ValueError):
        static_inet_addresses({"ifconfig_em0": "inet 192.0.2.1 netmask 255.0.255.0"})


def test_a_malformed_ipv4_address_in_a_lab_file_is_one_line_naming_the_key(tmp_path):
    from emu.diag import ConfigError
    with pytest.raises(ConfigError) as e:
        from_text(tmp_path, PAIR.format(alice="", bob="").replace(
            '"inet 192.0.2.2/24"', '"inet 192.0.2.999/24"'), boot=False)
    assert str(e.value).endswith(
        "host.bob.rc.ifconfig_em0: expected an IPv4 address, got '192.0.2.999/24'")
