"""gif(4) from userland: ifconfig's ``create``, ``destroy``, ``-C``, ``tunnel``,
``deletetunnel`` and the ``tunnel inet[6] A --> B`` status lines
(userland/sbin/ifconfig_ifclone.py, ifconfig_tunnel.py), ping6/ping across
tunnels, and /etc/rc's cloned interfaces (``cloned_interfaces``,
``ifconfig_gif0="tunnel A B"``, the obsolete ``gif_interfaces`` with
``gifconfig_gif0``) on the gif lab (images/labs/gif.toml)."""
from __future__ import annotations

from emu.lab import Lab, program_table
from tests.conftest import ROOT
from tests.userland.labs import console_lines, from_text
from tests.userland.netlab import SEC, pair

GIF_LAB = ROOT / "images" / "labs" / "gif.toml"


def ok(lab, host: str, line: str) -> str:
    status, out = lab.run_command(host, line)
    assert status == 0, f"{host}: {line}: {out}"
    return out


def six_in_six(lab) -> None:
    """gif0 over IPv6 between left (2001:db8::1) and right (::2)."""
    for h, me, peer in (("left", "1", "2"), ("right", "2", "1")):
        ok(lab, h, f"ifconfig em0 inet6 2001:db8::{me} prefixlen 64 up")
        ok(lab, h, "ifconfig gif0 create")
        ok(lab, h, f"ifconfig gif0 inet6 tunnel 2001:db8::{me} 2001:db8::{peer}")
        ok(lab, h, f"ifconfig gif0 inet6 2001:db8:ffff::{me} 2001:db8:ffff::{peer} prefixlen 128")
        ok(lab, h, "ifconfig gif0 up")
    lab.run_for(3 * SEC)


def test_ifconfig_create_destroy_and_the_list_of_cloners():
    lab = pair()
    assert lab.run_command("left", "ifconfig gif0 create") == (0, "")
    assert lab.run_command("left", "ifconfig gif create") == (0, "gif1\n")       # the unit made
    assert lab.run_command("left", "ifconfig gif0 create") == (
        1, "ifconfig: SIOCIFCREATE2: File exists\n")
    assert lab.run_command("left", "ifconfig tun0 create") == (
        1, "ifconfig: SIOCIFCREATE2: Invalid argument\n")
    assert lab.run_command("left", "ifconfig -C") == (0, "gif\n")
    assert lab.run_command("left", "ifconfig -l") == (0, "em0 lo0 gif0 gif1\n")
    assert lab.run_command("left", "ifconfig gif1") == (
        0, "gif1: flags=8010<POINTOPOINT,MULTICAST> metric 0 mtu 1280\n"
           "\tgroups: gif\n"
           "\tnd6 options=21<PERFORMNUD,AUTO_LINKLOCAL>\n")
    assert lab.run_command("left", "ifconfig gif1 destroy") == (0, "")
    assert lab.run_command("left", "ifconfig gif1") == (
        1, "ifconfig: interface gif1 does not exist\n")
    assert lab.run_command("left", "ifconfig em0 destroy") == (
        1, "ifconfig: SIOCIFDESTROY: Invalid argument\n")
    status, out = lab.run_command("left", "ifconfig -C -a")
    assert status == 1 and out.startswith("usage: ifconfig")


def test_ifconfig_tunnel_lines_for_both_outer_families():
    lab = pair()
    ok(lab, "left", "ifconfig gif0 create tunnel 192.0.2.1 192.0.2.2")
    assert lab.run_command("left", "ifconfig gif0") == (
        0, "gif0: flags=8050<POINTOPOINT,RUNNING,MULTICAST> metric 0 mtu 1280\n"
           "\ttunnel inet 192.0.2.1 --> 192.0.2.2\n"
           "\tgroups: gif\n"
           "\tnd6 options=21<PERFORMNUD,AUTO_LINKLOCAL>\n")
    ok(lab, "left", "ifconfig gif0 inet6 tunnel 2001:db8::1 fe80::2%em0")
    ok(lab, "left", "ifconfig gif0 inet6 2001:db8:ffff::1 2001:db8:ffff::2 prefixlen 128 up")
    out = ok(lab, "left", "ifconfig gif0")
    # (``up`` acts at once, the address at the end: the link-local one comes first)
    assert out.splitlines()[:4] == [
        "gif0: flags=8051<UP,POINTOPOINT,RUNNING,MULTICAST> metric 0 mtu 1280",
        "\ttunnel inet6 2001:db8::1 --> fe80::2%em0",
        # the link-local address borrows em0's interface identifier (KAME)
        "\tinet6 fe80::ff:fe00:1201%gif0 prefixlen 64 scopeid 0x3",
        "\tinet6 2001:db8:ffff::1 --> 2001:db8:ffff::2 prefixlen 128"]
    ok(lab, "left", "ifconfig gif0 deletetunnel")
    out = ok(lab, "left", "ifconfig gif0")
    assert out.splitlines()[0] == "gif0: flags=8011<UP,POINTOPOINT,MULTICAST> metric 0 mtu 1280"
    assert "tunnel" not in out


def test_ifconfig_tunnel_errors_are_freebsds():
    lab = pair()
    ok(lab, "left", "ifconfig gif0 create")
    # the request is the command's family's: inet unless inet6 is named
    assert lab.run_command("left", "ifconfig gif0 tunnel 2001:db8::1 2001:db8::2") == (
        0, "ifconfig: SIOCSIFPHYADDR: Address family not supported by protocol family\n")
    assert lab.run_command("left", "ifconfig gif0 tunnel 192.0.2.1 2001:db8::2") == (
        1, "ifconfig: source and destination address families do not match\n")
    assert lab.run_command("left", "ifconfig gif0 tunnel 192.0.2.1") == (
        1, "ifconfig: 'tunnel' requires 2 arguments\n")
    assert lab.run_command("left", "ifconfig gif0 tunnel nosuchhost 192.0.2.2") == (
        1, "ifconfig: error in parsing address string: "
           "hostname nor servname provided, or not known\n")
    assert lab.run_command("left", "ifconfig em0 tunnel 192.0.2.1 192.0.2.2") == (
        0, "ifconfig: SIOCSIFPHYADDR: Invalid argument\n")
    assert lab.run_command("left", "ifconfig gif0 mtu 1000") == (
        0, "ifconfig: ioctl (set mtu): Invalid argument\n")
    # a point-to-point destination wants prefixlen 128 (in6_update_ifa)
    assert lab.run_command("left", "ifconfig gif0 inet6 2001:db8:ffff::1 2001:db8:ffff::2") == (
        1, "ifconfig: ioctl (SIOCAIFADDR): Invalid argument\n")


def test_ping6_and_route_through_an_ipv6_in_ipv6_tunnel():
    lab = pair()
    six_in_six(lab)
    out = ok(lab, "left", "ping6 -c 2 2001:db8:ffff::2")
    assert "2 packets transmitted, 2 packets received, 0.0% packet loss" in out
    # a prefix behind right, reached through the tunnel's far end
    ok(lab, "right", "ifconfig lo0 inet6 2001:db8:b::1 prefixlen 64 alias")
    assert lab.run_command("left", "route add -inet6 2001:db8:b:: -prefixlen 64 2001:db8:ffff::2") \
        == (0, "add net 2001:db8:b::: gateway 2001:db8:ffff::2\n")
    out = ok(lab, "left", "ping6 -c 1 2001:db8:b::1")
    assert "1 packets received" in out
    # netstat -i counts the tunnel's packets: the 3 echo requests out and 3 replies in,
    # plus the MLD reports for gif0's groups (RFC 3810: gif is a multicast interface)
    out = ok(lab, "left", "netstat -i -n")
    (gif,) = [l.split() for l in out.splitlines() if l.startswith("gif0") and "<Link#3>" in l]
    assert gif[:3] == ["gif0", "1280", "<Link#3>"]
    ipkts, ierrs, _idrop, opkts, oerrs, _coll = map(int, gif[3:])
    assert ipkts >= 3 and opkts >= 3 and ierrs == oerrs == 0


def test_rc_boots_the_gif_lab_with_its_cloned_interfaces_tunnels_and_routes():
    lab = Lab.from_file(GIF_LAB, programs=program_table())
    lab.boot(settle=3 * SEC)
    lines = console_lines(lab, "alice")
    assert "Created clone interfaces: gif0 gif1." in lines
    assert "Starting Network: lo0 em0 gif0 gif1." in lines
    g = lines.index("gif0: flags=8051<UP,POINTOPOINT,RUNNING,MULTICAST> metric 0 mtu 1280")
    assert lines[g + 1:g + 3] == ["\ttunnel inet 192.0.2.1 --> 192.0.2.2",
                                  "\tinet6 2001:db8:ffff::1 --> 2001:db8:ffff::2 prefixlen 128"]
    g1 = lines.index("gif1: flags=8051<UP,POINTOPOINT,RUNNING,MULTICAST> metric 0 mtu 1280")
    assert lines[g1 + 1] == "\ttunnel inet6 2001:db8::1 --> 2001:db8::2"
    assert "2 packets received" in ok(lab, "alice", "ping6 -c 2 2001:db8:b::1")      # via gif0
    assert "2 packets received" in ok(lab, "bob", "ping6 -c 2 2001:db8:a::1")        # -interface
    assert "2 packets received" in ok(lab, "alice", "ping -c 2 10.0.0.2")            # via gif1
    out = ok(lab, "bob", "netstat -rn -f inet6")
    assert any(l.split()[:1] == ["2001:db8:a::/64"] and l.split()[-1] == "gif0"
               for l in out.splitlines()), out


def test_rc_obsolete_gif_interfaces_and_gifconfig(tmp_path):
    lab = from_text(tmp_path, """\
[lab]
name = "oldgif"
[segment.wan]
[host.alice]
nic = [{model = "em", segment = "wan"}]
[host.alice.rc]
ifconfig_em0 = "inet 192.0.2.1/24"
gif_interfaces = "gif0 gif1"
gifconfig_gif0 = "192.0.2.1 192.0.2.2"
gifconfig_gif1 = "2001:db8::1 2001:db8::2"
""")
    lines = console_lines(lab, "alice")
    assert "/etc/rc: WARNING: $gif_interfaces is obsolete.  Use $cloned_interfaces instead." \
        in lines
    assert "Created clone interfaces: gif0 gif1." in lines
    out = ok(lab, "alice", "ifconfig gif0")
    assert "\ttunnel inet 192.0.2.1 --> 192.0.2.2" in out.splitlines()
    out = ok(lab, "alice", "ifconfig gif1")
    assert "\ttunnel inet6 2001:db8::1 --> 2001:db8::2" in out.splitlines()
