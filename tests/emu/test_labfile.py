"""Lab files (emu/labfile.py, emu/tomlpos.py): every error names file and line; valid
files build the right Lab (emu/lab.py) — segments, NICs, rc.conf, /etc/hosts."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from emu import labfile
from emu.diag import ConfigError
from emu.lab import Lab
from emu.labfile import (format_duration, format_rate, format_size, load_lab, parse_duration,
                         parse_lab, parse_rate, parse_size)
from emu.tomlpos import Positions
from tests.conftest import ROOT

GOOD = """\
[lab]
name = "t"
seed = 7
description = "a test lab"

[segment.lan0]
latency = "2ms"
rate = "100Mbit"
loss = 0.25
mtu = 1280

[segment.lan1]

[host.alice]
image = "host"
mem = "32M"
nic = [
    {model = "em", segment = "lan0"},
    {model = "em", segment = "lan1", mac = "02:00:00:00:aa:01"},
]

[host.alice.rc]
ifconfig_em0_ipv6 = "inet6 2001:db8:1::a prefixlen 64"
ifconfig_em1_ipv6 = "inet6 2001:db8:2::a/64"
ifconfig_em1_alias0 = "inet6 2001:db8:2::aa prefixlen 64"
rtsold_enable = true

[host.bob]
nic = [{model = "em", segment = "lan0"}]

[host.bob.rc]
ipv6_ifconfig_em0 = "2001:db8:1::b prefixlen 64"
ifconfig_em0_alias0 = "inet6 fe80::b prefixlen 64"
"""


def write(tmp_path: Path, text: str, name: str = "x.toml") -> str:
    p = tmp_path / name
    p.write_text(textwrap.dedent(text))
    return str(p)


def error(tmp_path: Path, text: str, load=load_lab) -> tuple[int, str]:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as ei:
        load(path)
    e = ei.value
    assert e.path == path
    assert str(e) == f"{path}:{e.line}: {e.message}" and "\n" not in str(e)
    return e.line, e.message


# -- errors: one line, file:line: what was expected -------------------------------------------

def test_toml_syntax_error_carries_the_line_tomllib_reports(tmp_path):
    line, msg = error(tmp_path, '[lab]\nname = "x"\nseed = \n')
    assert line == 3 and "Invalid value" in msg and "(column" in msg


def test_toml_syntax_error_at_end_of_file(tmp_path):
    line, msg = error(tmp_path, '[lab]\nname = "x"\ndescription = """open\n')
    assert line == 3 and "end of file" in msg


def test_undefined_segment_names_the_nic_line_and_the_known_segments(tmp_path):
    text = GOOD.replace('{model = "em", segment = "lan1", mac', '{model = "em", segment = "lan9", mac')
    line, msg = error(tmp_path, text)
    assert line == 19
    assert msg == 'segment "lan9" is not defined (segments: lan0, lan1)'


def test_undefined_segment_when_there_are_none(tmp_path):
    line, msg = error(tmp_path, '[host.a]\nnic = [{model = "em", segment = "lan1"}]\n')
    assert (line, msg) == (2, 'segment "lan1" is not defined (segments: none defined)')


def test_unknown_nic_model_lists_the_models(tmp_path):
    text = GOOD.replace('{model = "em", segment = "lan0"},\n', '{model = "e1000", segment = "lan0"},\n')
    line, msg = error(tmp_path, text)
    assert (line, msg) == (18, 'host.alice.nic[0].model: expected one of em, got "e1000"')


def test_nic_without_model(tmp_path):
    line, msg = error(tmp_path, '[segment.s]\n[host.a]\nnic = [{segment = "s"}]\n')
    assert (line, msg) == (3, "host.a.nic[0]: missing key model (one of em)")


def test_bad_duration(tmp_path):
    line, msg = error(tmp_path, '[segment.lan0]\n\nlatency = "fast"\n[host.a]\n')
    assert (line, msg) == (3, 'segment.lan0.latency: expected a duration like "1us" or "2ms", got "fast"')


@pytest.mark.parametrize("key,value,expected", [
    ("rate", '"fast"', 'segment.s.rate: expected a bit rate like "1Gbit", "100Mbit" or "10Mbit", got "fast"'),
    ("rate", "0", 'segment.s.rate: expected a bit rate like "1Gbit", "100Mbit" or "10Mbit", got 0'),
    ("loss", "1.5", "segment.s.loss: expected a probability from 0 to 1, got 1.5"),
    ("loss", "true", "segment.s.loss: expected a probability from 0 to 1, got true"),
    ("mtu", "40", "segment.s.mtu: expected an integer from 68 to 65535, got 40"),
    ("latency", "-1", 'segment.s.latency: expected a duration like "1us" or "2ms", got -1'),
    ("latency", '"0.5ns"', 'segment.s.latency: expected a duration like "1us" or "2ms", got "0.5ns"'),
    ("tap", '"tap/0"', 'segment.s.tap: expected a Linux interface name of 1 to 15 characters '
                       'without / : % or spaces, like "tap0", got "tap/0"'),
    ("tap", '"a-very-long-name"', 'segment.s.tap: expected a Linux interface name of 1 to 15 '
                                  'characters without / : % or spaces, like "tap0", got '
                                  '"a-very-long-name"'),
    ("tap", "0", 'segment.s.tap: expected a Linux interface name of 1 to 15 characters '
                 'without / : % or spaces, like "tap0", got 0'),
])
def test_bad_segment_values(tmp_path, key, value, expected):
    line, msg = error(tmp_path, f'[segment.s]\n# {key}\n{key} = {value}\n[host.a]\n')
    assert (line, msg) == (3, expected)


def test_a_tap_bridges_one_segment(tmp_path):
    line, msg = error(tmp_path, '[segment.s]\ntap = "tap0"\n[segment.t]\n\ntap = "tap0"\n[host.a]\n')
    assert (line, msg) == (5, 'segment.t.tap: "tap0" is already bridged to segment s')


def test_unknown_keys_are_errors_with_the_known_keys(tmp_path):
    assert error(tmp_path, '[lab]\nname = "x"\nsed = 1\n[host.a]\n') == (
        3, "lab: unknown key sed (known keys: description, name, seed)")
    assert error(tmp_path, '[segment.s]\nlatncy = "1us"\n[host.a]\n') == (
        2, "segment.s: unknown key latncy (known keys: latency, loss, mtu, rate, tap)")
    assert error(tmp_path, '[host.a]\nimage = "host"\nnics = []\n') == (
        3, "host.a: unknown key nics (known keys: crypto, files, image, loader, mem, nic, rc)")
    assert error(tmp_path, '[segment.s]\n[host.a]\nnic = [{model = "em", segment = "s", speed = 1}]\n') == (
        3, "host.a.nic[0]: unknown key speed (known keys: mac, model, segment)")
    assert error(tmp_path, '[host.a]\n[hosts.b]\n') == (
        2, "lab file: unknown key hosts (known keys: host, lab, segment)")


def test_unknown_image_lists_the_images(tmp_path):
    line, msg = error(tmp_path, '[host.a]\nimage = "workstation"\n')
    assert line == 2
    assert msg.startswith('host.a.image: no image "workstation" (images: host, router;')


@pytest.mark.parametrize("body,line,expected", [
    ('mem = "lots"', 2, 'host.a.mem: expected a size like "16M" or a number of bytes, got "lots"'),
    ('mem = "1M"', 2, 'host.a.mem: expected from 4M to 4G, got "1M"'),
    ('nic = "em"', 2, 'host.a.nic: expected an array of tables like [{model = "em", segment = "lan0"}], got "em"'),
    ('image = 3', 2, "host.a.image: expected a string, got 3"),
    ('nic = [{model = "em", mac = "02:00:00:00:00"}]', 2,
     'host.a.nic[0].mac: expected a MAC address like "02:00:00:00:00:01", got "02:00:00:00:00"'),
    ('nic = [{model = "em", mac = "03:00:00:00:00:01"}]', 2,
     "host.a.nic[0].mac: 03:00:00:00:00:01 is a multicast address (expected unicast: first octet even)"),
    ('nic = [{model = "em", mac = "02:00:00:00:00:09"}, {model = "em", mac = "02:00:00:00:00:09"}]', 2,
     "host.a.nic[1].mac: 02:00:00:00:00:09 is already used by a em0"),
])
def test_bad_host_values(tmp_path, body, line, expected):
    assert error(tmp_path, f"[host.a]\n{body}\n") == (line, expected)


def test_bad_rc_values(tmp_path):
    assert error(tmp_path, '[host.a]\n[host.a.rc]\nifconfig_em0 = "up"\nx = [1]\n') == (
        4, 'host.a.rc.x: expected a string (or true/false for "YES"/"NO"), got [1]')
    assert error(tmp_path, '[host.a]\n[host.a.rc]\n"if-em0" = "up"\n') == (
        3, 'host.a.rc: "if-em0" is not an rc.conf variable name (letters, digits and _)')


def test_bad_names_seed_and_empty_lab(tmp_path):
    assert error(tmp_path, '[host.1a]\n') == (
        1, 'host name "1a": expected letters, digits and -, starting with a letter (RFC 952)')
    assert error(tmp_path, '[segment."lan 0"]\n[host.a]\n') == (
        1, 'segment name "lan 0": expected letters, digits, - and _, starting with a letter')
    assert error(tmp_path, '[lab]\nseed = -1\n[host.a]\n') == (2, "lab.seed: expected an integer >= 0, got -1")
    assert error(tmp_path, '[lab]\nname = "x"\n') == (
        2, "a lab needs at least one host: add a [host.NAME] table")


def test_bad_static_address_in_rc_names_the_lab_file_line(tmp_path):
    assert error(tmp_path, '[host.a]\n\n[host.a.rc]\nifconfig_em0_ipv6 = "inet6 2001:db8::zz prefixlen 64"\n',
                 Lab.from_file) == (
        4, "host.a.rc.ifconfig_em0_ipv6: expected an IPv6 address, got '2001:db8::zz'")


def test_bad_rc_conf_in_an_image_names_the_image_file(tmp_path):
    img = tmp_path / "img" / "etc"
    img.mkdir(parents=True)
    (img / "rc.conf").write_text('# x\nhostname="a"\nifconfig_em0="inet6 up\n')
    path = write(tmp_path, '[host.a]\nimage = "img"\n')
    with pytest.raises(ConfigError) as ei:
        Lab.from_file(path)
    assert str(ei.value).endswith("img/etc/rc.conf:3: unterminated double quote")


def test_unreadable_lab_file(tmp_path):
    with pytest.raises(ConfigError) as ei:
        load_lab(tmp_path / "none.toml")
    assert str(ei.value) == f"{tmp_path / 'none.toml'}: No such file or directory"
    p = tmp_path / "bin.toml"
    p.write_bytes(b'[host.a]\n# \xff\n')
    with pytest.raises(ConfigError) as ei:
        load_lab(p)
    assert ei.value.line == 2 and ei.value.message == "expected UTF-8 text"


# -- a valid file builds the right lab --------------------------------------------------------

def test_spec_of_a_valid_file(tmp_path):
    spec = load_lab(write(tmp_path, GOOD))
    assert (spec.name, spec.seed, spec.description) == ("t", 7, "a test lab")
    s0, s1 = spec.segments["lan0"], spec.segments["lan1"]
    assert (s0.latency_ns, s0.bitrate_bps, s0.loss, s0.mtu) == (2_000_000, 100_000_000, 0.25, 1280)
    assert (s1.latency_ns, s1.bitrate_bps, s1.loss, s1.mtu) == (1000, 10**9, 0.0, 1500)
    alice = spec.hosts["alice"]
    assert alice.mem == 32 << 20 and alice.image == "host"
    assert [(n.model, n.segment, n.ifname) for n in alice.nics] == [("em", "lan0", "em0"), ("em", "lan1", "em1")]
    assert alice.nics[0].mac is None and alice.nics[1].mac == bytes.fromhex("02000000aa01")
    assert alice.rc["rtsold_enable"] == "YES"
    assert alice.rc_lines["ifconfig_em1_ipv6"] == 24
    assert spec.hosts["bob"].image == "host" and spec.hosts["bob"].mem == 16 << 20


def test_lab_from_file_builds_segments_machines_and_nics(tmp_path):
    lab = Lab.from_file(write(tmp_path, GOOD))
    assert lab.name == "t" and lab.sched.seed == 7
    seg = lab.segments["lan0"]
    assert (seg.latency_ns, seg.bitrate_bps, seg.loss, seg.mtu) == (2_000_000, 100_000_000, 0.25, 1280)
    alice, bob = lab.machines["alice"], lab.machines["bob"]
    assert alice.ifnames == ["em0", "em1"] and alice.segments == ["lan0", "lan1"]
    assert alice.machine.mem.size == 32 << 20
    assert [d.mac_address for d in alice.nics] == [bytes.fromhex("020000000001"), bytes.fromhex("02000000aa01")]
    assert bob.nics[0].mac_address == bytes.fromhex("020000000002")
    assert [p.name for p in lab.segments["lan0"].ports] == ["alice.em0", "bob.em0"]
    assert [p.name for p in lab.segments["lan1"].ports] == ["alice.em1"]
    lab.boot()
    assert alice.ifnet("em0") is not None and alice.ifnet("em1") is not None
    assert alice.ifnet("em1").if_xname == "em1"
    assert "em1: Ethernet address: 02:00:00:00:aa:01" in alice.console


def test_seed_override():
    lab = Lab.from_file(ROOT / "images" / "labs" / "demo.toml", seed=99)
    assert lab.sched.seed == 99 and lab.name == "demo"


def test_rc_overrides_are_applied_and_hostname_defaults_to_the_host_name(tmp_path):
    lab = Lab.from_file(write(tmp_path, GOOD))
    rc = lab.machines["alice"].files["/etc/rc.conf"].decode()
    assert 'hostname="alice"' in rc
    assert 'ifconfig_em0_ipv6="inet6 2001:db8:1::a prefixlen 64"' in rc
    assert 'rtsold_enable="YES"' in rc and 'rtsold_enable="NO"' not in rc   # rewritten in place
    assert lab.machines["alice"].image.rc.get("rtsold_enable") == "YES"
    text = GOOD.replace('[host.bob.rc]\n', '[host.bob.rc]\nhostname = "bob.example.org"\n')
    lab = Lab.from_file(write(tmp_path, text, "y.toml"))
    assert lab.machines["bob"].image.hostname == "bob.example.org"


def test_etc_hosts_lists_every_host_by_its_static_addresses(tmp_path):
    lab = Lab.from_file(write(tmp_path, GOOD))
    hosts = lab.machines["bob"].files["/etc/hosts"].decode()
    assert "::1\t\t\tlocalhost localhost.my.domain" in hosts
    entries = [l.split() for l in hosts.splitlines() if l and not l.startswith("#")]
    assert ["2001:db8:1::a", "alice"] in entries
    assert ["2001:db8:2::a", "alice"] in entries
    assert ["2001:db8:2::aa", "alice"] in entries
    assert ["2001:db8:1::b", "bob"] in entries
    assert not any(e[0].startswith("fe80") for e in entries)      # link-local: not in hosts
    assert hosts == lab.machines["alice"].files["/etc/hosts"].decode()


def test_programs_get_filesystem_entries(tmp_path):
    lab = Lab.from_file(write(tmp_path, GOOD), programs={"/sbin/ifconfig": print, "/usr/local/bin/x": print})
    files = lab.machines["alice"].files
    assert files["/sbin/ifconfig"] == b"#!kamebox /sbin/ifconfig\n"
    assert "/usr/local/" in files and "/usr/local/bin/" in files
    assert lab.which("alice", "ifconfig") == "/sbin/ifconfig"
    assert lab.which("alice", "x") is None                        # not in PATH
    assert lab.which("alice", "/usr/local/bin/x") == "/usr/local/bin/x"
    assert lab.command_names("alice") == ["ifconfig"]


def test_image_given_as_a_path_relative_to_the_lab_file(tmp_path):
    (tmp_path / "labs").mkdir()
    (tmp_path / "myimg" / "etc").mkdir(parents=True)
    (tmp_path / "myimg" / "etc" / "rc.conf").write_text('ipv6_gateway_enable="YES"\n')
    (tmp_path / "myimg" / "etc" / "motd").write_text("hello\n")
    path = write(tmp_path, '[host.a]\nimage = "../myimg"\n', "labs/l.toml")
    lab = Lab.from_file(path)
    files = lab.machines["a"].files
    assert files["/etc/motd"] == b"hello\n"
    assert b'ipv6_gateway_enable="YES"' in files["/etc/rc.conf"]
    assert "/etc/defaults/rc.conf" in files                       # the base layer under it


def test_the_shipped_labs_load(capsys):
    for name in labfile.lab_names():
        lab = Lab.from_file(ROOT / "images" / "labs" / f"{name}.toml")
        assert lab.machines
    demo = load_lab(ROOT / "images" / "labs" / "demo.toml")
    assert list(demo.hosts) == ["alice", "bob", "carol", "r1"]


# -- units and positions -------------------------------------------------------------------

def test_units():
    assert parse_duration("1us") == 1000 and parse_duration("2ms") == 2_000_000
    assert parse_duration("1.5ms") == 1_500_000 and parse_duration(5) == 5
    assert parse_duration("3 s") == 3 * 10**9 and parse_duration("0.1ns") is None
    assert parse_duration(True) is None and parse_duration("1h") is None
    assert parse_rate("1Gbit") == 10**9 and parse_rate("100Mbit") == 10**8
    assert parse_rate("10Mbps") == 10**7 and parse_rate(9600) == 9600 and parse_rate("2.5Gbit") == 2_500_000_000
    assert parse_size("16M") == 16 << 20 and parse_size("64MiB") == 64 << 20 and parse_size(4096) == 4096
    assert (format_duration(2_000_000), format_duration(1500), format_duration(0)) == ("2ms", "1500ns", "0ns")
    assert (format_rate(10**8), format_rate(1234)) == ("100Mbit", "1234bit")
    assert format_size(32 << 20) == "32M"


def test_positions_of_headers_keys_and_inline_tables():
    p = Positions(GOOD)
    assert p.line(("lab", "seed")) == 3
    assert p.line(("segment", "lan1")) == 12
    assert p.line(("host", "alice", "nic")) == 17
    assert p.line(("host", "alice", "nic", 1, "mac")) == 19
    assert p.line(("host", "bob", "rc", "ipv6_ifconfig_em0")) == 32
    assert p.line(("host", "bob", "rc", "nothing")) == 31            # falls back to the table


def test_lab_file_modules_import_nothing_of_kernel_drivers_userland_or_images():
    """DESIGN.md import rules: only the front (lab, cli, console) meets the software."""
    import subprocess
    import sys
    code = ("import sys; import emu.labfile, emu.images, emu.tomlpos, emu.diag; "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('kernel', 'drivers', 'userland', 'images')]; "
            "print(bad); sys.exit(1 if bad else 0)")
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_parse_lab_from_text_names_the_given_path():
    spec = parse_lab('[host.a]\n', "inline.toml")
    assert spec.name == "inline" and list(spec.hosts) == ["a"] and spec.hosts["a"].image_dir is not None
    with pytest.raises(ConfigError) as ei:
        parse_lab('[host.a]\nmem = "2K"\n', "inline.toml")
    assert str(ei.value) == 'inline.toml:2: host.a.mem: expected from 4M to 4G, got "2K"'


def test_crypto_card_key_is_checked(tmp_path):
    text = GOOD.replace('[host.alice]\n', '[host.alice]\ncrypto = "hifn"\n', 1)
    line, msg = error(tmp_path, text)
    assert msg == 'host.alice.crypto: expected one of kce, got "hifn"'
