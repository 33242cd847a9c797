"""/sbin/init and /etc/rc (userland/sbin/init.py, userland/etc_rc.py): hosts of a lab
file boot as FreeBSD does — init (pid 1) runs /etc/rc, which reads
/etc/defaults/rc.conf and /etc/rc.conf and configures the host with ifconfig,
route, sysctl and the daemons, printing the rc.d scripts' boot lines."""
from __future__ import annotations

from emu.sched import SEC
from tests.userland.labs import console_lines, demo, from_text

ONE = """\
[lab]
name = "t"
[segment.lan0]
[host.a]
nic = [{{model = "em", segment = "lan0"}}]
[host.a.rc]
{rc}
[host.b]
nic = [{{model = "em", segment = "lan0"}}]
[host.b.rc]
ifconfig_em0_ipv6 = "inet6 2001:db8:1::b prefixlen 64"
"""


def one(tmp_path, rc: str, **kw):
    return from_text(tmp_path, ONE.format(rc=rc), **kw)


# -- the boot ---------------------------------------------------------------------------------

def test_hosts_boot_from_rc_conf_with_static_and_link_local_addresses_past_dad():
    lab = demo()
    for host, last in (("alice", "a"), ("bob", "b"), ("carol", "c")):
        status, out = lab.run_command(host, "ifconfig em0")
        assert status == 0
        lines = out.splitlines()
        assert lines[0] == ("em0: flags=8843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST> "
                            "metric 0 mtu 1500")
        assert f"\tinet6 2001:db8:1::{last} prefixlen 64" in lines     # no "tentative": DAD done
        ll = [l for l in lines if l.startswith("\tinet6 fe80::")]
        assert len(ll) == 1 and "tentative" not in ll[0] and ll[0].endswith("scopeid 0x1")  # em0: 1
        assert lab.run_command(host, "hostname") == (0, f"{host}\n")


def test_boot_lines_on_the_console_as_freebsd_prints_them():
    lab = demo()
    lines = console_lines(lab, "alice")
    i = lines.index("Setting hostname: alice.")
    j = lines.index("Starting Network: lo0 em0.")
    assert i < j
    assert lines[j + 1] == "lo0: flags=8049<UP,LOOPBACK,RUNNING,MULTICAST> metric 0 mtu 16384"
    assert "em0: flags=8843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST> metric 0 mtu 1500" in lines[j:]
    assert lines[-2:] == ["", "Sun Jan  1 00:00:02 UTC 2006"]          # rc ends with the date
    # DAD is done before "Starting Network" prints the addresses (netif sleeps dad_count + 1 s)
    assert "\tinet6 2001:db8:1::a prefixlen 64" in lines[j:]


def test_init_is_pid_1_reaps_and_cannot_be_killed():
    lab = demo()
    status, out = lab.run_command("alice", "ps ax")
    assert status == 0
    rows = out.splitlines()[1:]
    assert rows[0].split()[0] == "1" and rows[0].endswith("/sbin/init --")
    assert not any("rc" in r.split()[-1] for r in rows)              # /etc/rc has finished
    assert lab.run_command("alice", "kill -9 1") == (1, "kill: 1: Operation not permitted\n")
    # the commands the front starts are init's children: init collects them
    for _ in range(3):
        assert lab.run_command("alice", "sleep 0.1")[0] == 0
    lab.run_for(SEC // 1000)                # the run stopped at the exit: let init run
    k = lab.machines["alice"].kernel
    assert [p.p_pid for p in k.allproc.values()] == [1]              # no zombies
    assert k.initproc.p_gr is not None and not k.initproc.exited


def test_defaultrouter_static_routes_and_gateway(tmp_path):
    lab = one(tmp_path, 'ifconfig_em0_ipv6 = "inet6 2001:db8:1::a prefixlen 64"\n'
                        'ipv6_defaultrouter = "2001:db8:1::1"\n'
                        'ipv6_static_routes = "far"\n'
                        'ipv6_route_far = "2001:db8:77:: -prefixlen 48 2001:db8:1::b"\n'
                        'ipv6_gateway_enable = true\n')
    lines = console_lines(lab, "a")
    assert "add net default: gateway 2001:db8:1::1" in lines
    assert "add net 2001:db8:77::: gateway 2001:db8:1::b" in lines
    assert "Additional inet6 routing options: gateway=YES." in lines
    status, out = lab.run_command("a", "netstat -rn")
    assert status == 0
    assert any(l.split()[:3] == ["default", "2001:db8:1::1", "UGS"] for l in out.splitlines())
    assert any(l.split()[:2] == ["2001:db8:77::/48", "2001:db8:1::b"] for l in out.splitlines())
    assert lab.run_command("a", "sysctl -n net.inet6.ip6.forwarding") == (0, "1\n")
    assert lab.run_command("b", "sysctl -n net.inet6.ip6.forwarding") == (0, "0\n")


def test_aliases_and_the_obsolete_ipv6_ifconfig_variables(tmp_path):
    lab = one(tmp_path, 'ipv6_ifconfig_em0 = "2001:db8:1::a prefixlen 64"\n'
                        'ifconfig_em0_alias0 = "inet6 2001:db8:1::aa prefixlen 64"\n'
                        'ifconfig_em0_alias1 = "inet6 2001:db8:2::a prefixlen 64"\n')
    lines = console_lines(lab, "a")
    assert ("/etc/rc: WARNING: $ipv6_ifconfig_em0 is obsolete.  Use ifconfig_em0_ipv6 instead."
            in lines)
    out = lab.run_command("a", "ifconfig em0")[1]
    for a in ("2001:db8:1::a", "2001:db8:1::aa", "2001:db8:2::a"):
        assert f"\tinet6 {a} prefixlen 64\n" in out
    assert lab.run_command("b", "ping6 -c 1 2001:db8:1::aa")[0] == 0


def test_interfaces_without_ipv6_config_are_left_down_and_ifdisabled(tmp_path):
    """network.subr: with ipv6_activate_all_interfaces="NO" an interface without
    ifconfig_IF_ipv6 gets ``inet6 ifdisabled``; with nothing configured it is not
    brought up."""
    lab = one(tmp_path, 'ipv6_activate_all_interfaces = "NO"\n')
    out = lab.run_command("a", "ifconfig em0")[1]
    assert out.startswith("em0: flags=8802<BROADCAST,SIMPLEX,MULTICAST>")
    assert "IFDISABLED" in out and "inet6" not in out


def test_rc_conf_mistakes_are_warned_about_and_the_boot_goes_on(tmp_path):
    image = tmp_path / "img"
    (image / "etc").mkdir(parents=True)
    (image / "etc" / "rc.conf").write_text('ifconfig_em0_ipv6="inet6 2001:db8:1::a prefixlen 64"\n')
    (image / "etc" / "rc.conf.local").write_text('hostname="anna"\nbad="unterminated\n')
    (image / "etc" / "sysctl.conf").write_text("# tunables\nnet.inet6.ip6.hlim=33\n")
    toml = ONE.format(rc="").replace('[host.a]\n', '[host.a]\nimage = "img"\n')
    lab = from_text(tmp_path, toml)
    lines = console_lines(lab, "a")
    assert "/etc/rc: WARNING: /etc/rc.conf.local:2: unterminated double quote" in lines
    assert "net.inet6.ip6.hlim: 64 -> 33" in lines                   # rc.d/sysctl
    assert "Setting hostname: anna." in lines                       # what came before stays
    assert "\tinet6 2001:db8:1::a prefixlen 64\n" in lab.run_command("a", "ifconfig em0")[1]


def test_daemons_that_are_missing_or_misplaced(tmp_path):
    lab = one(tmp_path, 'ifconfig_em0_ipv6 = "inet6 2001:db8:1::a prefixlen 64"\n'
                        'rtadvd_enable = true\nracoon_enable = true\n')
    lines = console_lines(lab, "a")
    assert "/etc/rc: WARNING: rtadvd cannot be used on IPv6 host, only on an IPv6 router." in lines
    assert "/etc/rc: WARNING: run_rc_command: cannot run /usr/sbin/racoon" in lines


def test_rtsold_started_by_rc(tmp_path):
    lab = one(tmp_path, 'ifconfig_em0_ipv6 = "inet6 accept_rtadv"\nrtsold_enable = true\n')
    lines = console_lines(lab, "a")
    assert "Starting rtsold." in lines
    assert "nd6 options=23<PERFORMNUD,ACCEPT_RTADV,AUTO_LINKLOCAL>" in "\n".join(lines)
    pid = lab.run_command("a", "cat /var/run/rtsold.pid")[1].strip()
    ps = lab.run_command("a", "ps ax")[1]
    assert any(r.split()[0] == pid and r.endswith("/usr/sbin/rtsold -a") for r in ps.splitlines())


def test_labs_built_in_code_have_no_init():
    from tests.userland.netlab import pair
    lab = pair()
    assert lab.machines["left"].kernel.initproc.p_gr is None
    assert lab.run_command("left", "ifconfig em0")[1].startswith("em0: flags=8802<")


def test_freebsd_9_routing_adds_the_default_route_after_the_static_routes(tmp_path):
    """rc.d/routing (FreeBSD 9, static_inet6): ``route add -inet6
    $ipv6_route_NAME`` for each of ipv6_static_routes, and the default route
    last — so a static route can make an off-link default router reachable."""
    lab = one(tmp_path, 'ifconfig_em0_ipv6 = "inet6 2001:db8:1::a prefixlen 64"\n'
                        'ipv6_static_routes = "gw"\n'
                        'ipv6_route_gw = "2001:db8:9::1 -prefixlen 128 -interface em0"\n'
                        'ipv6_defaultrouter = "2001:db8:9::1"\n')
    lines = console_lines(lab, "a")
    gw, default = (lines.index("add host 2001:db8:9::1: gateway em0"),
                   lines.index("add net default: gateway 2001:db8:9::1"))
    assert gw < default
    routes = lab.run_command("a", "netstat -rn -f inet6")[1].splitlines()
    assert any(l.split()[:3] == ["default", "2001:db8:9::1", "UGS"] for l in routes), routes
