"""The front (emu/lab.py): a host's image with the lab's rc.conf values read by
userland/rcconf.py, static addresses for /etc/hosts, errors naming the file and line
they are in, and commands started through the kernel's process layer."""
from __future__ import annotations

from pathlib import Path

import pytest

from emu.diag import ConfigError
from emu.lab import Lab, static_inet6_addresses
from emu.sched import SEC


def images_dir(tmp_path: Path, defaults: str = 'rtsold_flags="-a"\n',
               rc: str = 'hostname="x"\n') -> Path:
    d = tmp_path / "images"
    (d / "base" / "etc" / "defaults").mkdir(parents=True, exist_ok=True)
    (d / "base" / "etc" / "defaults" / "rc.conf").write_text(defaults)
    (d / "h" / "etc").mkdir(parents=True, exist_ok=True)
    (d / "h" / "etc" / "rc.conf").write_bytes(rc.encode("latin-1"))
    return d


def load(tmp_path: Path, lab: str = '[host.a]\nimage = "h"\n', **kw) -> Lab:
    p = tmp_path / "l.toml"
    p.write_text(lab)
    return Lab.from_file(p, images_dir=images_dir(tmp_path, **kw), programs={})


def config_error(tmp_path: Path, **kw) -> str:
    with pytest.raises(ConfigError) as ei:
        load(tmp_path, **kw)
    assert "\n" not in str(ei.value)
    return str(ei.value)


# -- rc.conf and addresses -------------------------------------------------------------------

def test_static_inet6_addresses_from_every_rc_conf_form():
    found = static_inet6_addresses({
        "ifconfig_em0_ipv6": "inet6 2001:DB8:1:0::a prefixlen 64",
        "ifconfig_em0_alias0": "inet6 2001:db8:1::aa/64",
        "ifconfig_em1": "inet6 2001:db8:2::1 prefixlen 64 up",
        "ifconfig_em1_aliases": "inet6 2001:db8:3::1 prefixlen 64 inet6 2001:db8:4::1/48",
        "ipv6_ifconfig_em2": "2001:db8:5::1 prefixlen 64",
        "ipv6_ifconfig_em2_alias0": "2001:db8:6::1",
        "ifconfig_em3_ipv6": "inet6 accept_rtadv",              # no address
        "ifconfig_em4_ipv6": "inet6 fe80::1 prefixlen 64",      # link-local: left out
        "ifconfig_em5": "inet 192.0.2.1 netmask 255.255.255.0",
        "ipv6_defaultrouter": "2001:db8:1::1",                  # not an interface address
    })
    assert [(a.ifname, a.addr, a.prefixlen) for a in found] == [
        ("em0", "2001:db8:1::a", 64), ("em0", "2001:db8:1::aa", 64), ("em1", "2001:db8:2::1", 64),
        ("em1", "2001:db8:3::1", 64), ("em1", "2001:db8:4::1", 48), ("em2", "2001:db8:5::1", 64),
        ("em2", "2001:db8:6::1", None)]


def test_static_inet6_address_errors():
    with pytest.raises(ValueError) as ei:
        static_inet6_addresses({"ifconfig_em0_ipv6": "inet6 2001:db8::1/129"})
    assert ei.value.args[0] == ("ifconfig_em0_ipv6", "expected a prefix length 0..128, got '2001:db8::1/129'")
    with pytest.raises(ValueError):
        static_inet6_addresses({"ipv6_ifconfig_em0": "nonsense:: prefixlen 64"})


def test_rc_conf_values_expand_the_defaults_and_the_lab_values_are_written_in(tmp_path):
    lab = load(tmp_path, lab='[host.a]\nimage = "h"\n[host.a.rc]\nrtsold_enable = true\n',
               rc='# h\nhostname="x"\nflags="$rtsold_flags -d"\n')
    img = lab.machines["a"].image
    assert img.rc.vars == {"hostname": "a", "flags": "-a -d", "rtsold_enable": "YES"}
    assert img.rc.line_of("flags") == 3 and img.hostname == "a"
    assert lab.machines["a"].files["/etc/rc.conf"].decode() == (
        '# h\nhostname="a"\nflags="$rtsold_flags -d"\n'
        f'# [host.a.rc] from {tmp_path / "l.toml"}\nrtsold_enable="YES"\n')


def test_a_mistake_in_the_defaults_names_the_defaults_file(tmp_path):
    msg = config_error(tmp_path, defaults='a="1"\nb="open\n')
    assert msg.endswith("images/base/etc/defaults/rc.conf:2: unterminated double quote")


def test_a_mistake_in_the_images_rc_conf_names_it(tmp_path):
    msg = config_error(tmp_path, rc='hostname="x"\n\necho hi\n')
    assert msg.endswith("images/h/etc/rc.conf:3: expected an assignment like "
                        "name=\"value\", got 'echo'")
    msg = config_error(tmp_path, rc='a=1\nb="\xe9"\n')
    assert msg.endswith("images/h/etc/rc.conf:2: expected UTF-8 text")
    msg = config_error(tmp_path, rc='a=1\nifconfig_em0_ipv6="inet6 2001:db8::zz"\n')
    assert msg.endswith("images/h/etc/rc.conf:2: ifconfig_em0_ipv6: expected an IPv6 address, "
                        "got '2001:db8::zz'")


# -- commands ----------------------------------------------------------------------------------

LAB = '[lab]\nname = "t"\n[segment.lan0]\n[host.a]\nnic = [{model = "em", segment = "lan0"}]\n'


def test_commands_that_cannot_start_say_why_as_csh_does(tmp_path):
    p = tmp_path / "t.toml"
    p.write_text(LAB)
    lab = Lab.from_file(p)
    assert lab.run_command("a", "hostname") == (
        126, "a: hostname: cannot run programs: the lab is not booted\n")
    lab.boot()
    assert lab.run_command("a", "/etc/rc.conf") == (126, "a: /etc/rc.conf: Permission denied.\n")
    assert lab.run_command("a", "nosuch") == (127, "a: nosuch: Command not found.\n")
    assert lab.run_command("a", "hostname") == (0, "a\n")


def test_a_command_is_a_child_of_init_and_ends_the_run_at_its_exit(tmp_path):
    p = tmp_path / "t.toml"
    p.write_text(LAB)
    lab = Lab.from_file(p)
    lab.boot()
    job = lab.start_command("a", "sleep 2")
    assert job.proc.p_ppid == 1 and job.status is None
    t = lab.sched.now
    assert lab.wait(job) == 0 and 2 * SEC <= lab.sched.now - t < 2 * SEC + SEC // 10
    job = lab.start_command("a", "sleep 10")
    lab.run_for(SEC)
    assert job.interrupt() is True and lab.wait(job) == 130      # 128 + SIGINT
    assert job.interrupt() is False                              # done: nothing to signal


def test_a_host_with_crypto_kce_gets_the_card_and_its_driver(tmp_path):
    lab_file = tmp_path / "k.toml"
    lab_file.write_text('[lab]\nname = "k"\n[segment.lan0]\n[host.alice]\ncrypto = "kce"\n'
                        'nic = [{model = "em", segment = "lan0"}]\n')
    lab = Lab.from_file(lab_file)
    lab.boot()
    status, out = lab.run_command("alice", "dmesg")
    assert status == 0
    assert "kce0: <kamebox KCE-1 crypto accelerator>" in out
    assert "em0: " in out


def test_boot_with_no_settle_still_runs_rc(tmp_path):
    """run_for(0) runs what is due now (init's first steps), so boot(settle=0) + wait_rc
    does not return before /etc/rc has even started."""
    lab_file = tmp_path / "z.toml"
    lab_file.write_text('[lab]\nname = "z"\n[segment.lan0]\n[host.h1]\n'
                        'nic = [{model = "em", segment = "lan0"}]\n[host.h1.rc]\n'
                        'ifconfig_em0_ipv6 = "inet6 2001:db8::1 prefixlen 64"\n')
    lab = Lab.from_file(lab_file)
    lab.boot(settle=0)
    assert lab.wait_rc()
    assert "inet6 2001:db8::1 prefixlen 64" in lab.run_command("h1", "ifconfig em0")[1]
