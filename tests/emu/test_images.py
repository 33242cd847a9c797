"""Images (emu/images.py) and the rc.conf parser (emu/rcconf.py): FreeBSD sh syntax,
quoting, continuations, errors with file:line; overrides; static addresses; image trees."""
from __future__ import annotations

import pytest

from emu import images
from emu.diag import ConfigError
from emu.rcconf import apply_overrides, parse_rcconf, quote
from tests.conftest import ROOT


def rc(text: str, **kw) -> dict[str, str]:
    return parse_rcconf(text, "rc.conf", **kw).vars


def rc_error(text: str) -> tuple[int, str]:
    with pytest.raises(ConfigError) as ei:
        parse_rcconf(text, "etc/rc.conf")
    assert str(ei.value) == f"etc/rc.conf:{ei.value.line}: {ei.value.message}"
    return ei.value.line, ei.value.message


# -- the parser ------------------------------------------------------------------------------

def test_quoting_forms():
    assert rc('a="x y"\n') == {"a": "x y"}
    assert rc("a='x $y \\n'\n") == {"a": "x $y \\n"}
    assert rc("a=plain\n") == {"a": "plain"}
    assert rc('a=\n') == {"a": ""}
    assert rc('a=""\n') == {"a": ""}
    assert rc('''a="x"'y'z\n''') == {"a": "xyz"}
    assert rc('a="say \\"hi\\" \\\\ \\$HOME \\n"\n') == {"a": 'say "hi" \\ $HOME \\n'}
    assert rc('a=x\\ y\n') == {"a": "x y"}
    assert rc('a=b#c\n') == {"a": "b#c"}                     # '#' inside a word is not a comment


def test_comments_blank_lines_and_several_assignments_per_line():
    conf = parse_rcconf('# comment\n\n  a="1"   # trailing\nb=2 c=3; d=4\n\t# indented comment\n', "rc.conf")
    assert conf.vars == {"a": "1", "b": "2", "c": "3", "d": "4"}
    assert [(x.name, x.line, x.alone) for x in conf.assignments] == [
        ("a", 3, True), ("b", 4, False), ("c", 4, False), ("d", 4, False)]


def test_line_continuations():
    conf = parse_rcconf('a="one \\\ntwo"\nb=x\\\ny\nc="multi\nline"\n\\\nd=4\n', "rc.conf")
    assert conf.vars == {"a": "one two", "b": "xy", "c": "multi\nline", "d": "4"}
    assert [(x.name, x.line, x.end_line) for x in conf.assignments] == [
        ("a", 1, 2), ("b", 3, 4), ("c", 5, 6), ("d", 8, 8)]


def test_expansions_from_earlier_assignments_and_defaults():
    assert rc('a=1\nb="${a}2"\nc=$a$b\nd="$nope."\n') == {"a": "1", "b": "12", "c": "112", "d": "."}
    assert rc('b="${x}/y"\n', env={"x": "/etc"}) == {"b": "/etc/y"}
    assert rc("a='$x'\nb=\"cost \\$5 or $\"\n", env={"x": "1"}) == {"a": "$x", "b": "cost $5 or $"}


def test_last_assignment_wins():
    conf = parse_rcconf('a="1"\na="2"\n', "rc.conf")
    assert conf.get("a") == "2" and conf.line_of("a") == 2 and conf.line_of("b") == 0


@pytest.mark.parametrize("text,line,message", [
    ('a="1"\nb="open\n\nc=3\n', 2, "unterminated double quote"),
    ("a='open\n", 1, "unterminated single quote"),
    ('a=1\nifconfig em0 up\n', 2, "expected an assignment like name=\"value\", got 'ifconfig'"),
    ('a=`hostname`\n', 1, "command substitution (`...`) is not supported in rc.conf"),
    ('a="$(hostname)"\n', 1, "command substitution ($(...)) is not supported in rc.conf"),
    ('a=${b:-x}\n', 1, "${b:-x}: only ${name} expansions are supported"),
    ('a=${b\n', 1, "unterminated ${"),
    ('a=1 | b\n', 1, "unexpected '|': only variable assignments are supported"),
    ('\n\n. /etc/other.conf\n', 3, "expected an assignment like name=\"value\", got '.'"),
    ('a=x\\', 1, "a backslash at the end of the file"),
])
def test_errors_name_the_line(text, line, message):
    assert rc_error(text) == (line, message)


def test_freebsd_defaults_and_shipped_images_parse():
    defaults = parse_rcconf((ROOT / "images/base/etc/defaults/rc.conf").read_text(), "defaults")
    assert defaults.get("ipv6_gateway_enable") == "NO" and defaults.get("rtsold_flags") == "-a"
    for name in images.image_names():
        conf = parse_rcconf((ROOT / "images" / name / "etc/rc.conf").read_text(), name, defaults.vars)
        assert conf.get("ipv6_activate_all_interfaces") == "YES"
    assert images.image_names() == ["host", "router"]
    assert parse_rcconf((ROOT / "images/router/etc/rc.conf").read_text()).get("ipv6_gateway_enable") == "YES"


# -- rewriting ------------------------------------------------------------------------------

def test_quote_round_trips():
    for v in ['plain', 'x y', 'say "hi"', 'a\\b', '$HOME', '`x`', "it's", "two\nlines", ""]:
        assert rc(f"a={quote(v)}\n") == {"a": v}


def test_apply_overrides_rewrites_in_place_or_appends():
    text = ('# top\n'
            'ipv6_gateway_enable="NO"\t# forward?\n'
            '  rtadvd_enable="NO"\n'
            'a=1 b=2\n'
            'long="x \\\n  y"\n')
    out = apply_overrides(text, {"ipv6_gateway_enable": "YES", "rtadvd_enable": "YES", "b": "3",
                                 "long": "z", "new": 'say "x"'}, comment="# from the lab")
    assert out == ('# top\n'
                   'ipv6_gateway_enable="YES"\t# forward?\n'
                   '  rtadvd_enable="YES"\n'
                   'a=1 b=2\n'
                   'long="z"\n'
                   '# from the lab\n'
                   'b="3"\n'
                   'new="say \\"x\\""\n')
    assert rc(out) == {"ipv6_gateway_enable": "YES", "rtadvd_enable": "YES", "a": "1", "b": "3",
                       "long": "z", "new": 'say "x"'}


def test_apply_overrides_to_the_last_assignment_only():
    out = apply_overrides('a="1"\na="2"\n', {"a": "3"})
    assert out == 'a="1"\na="3"\n'
    assert apply_overrides('a=1', {"b": "2"}) == 'a=1\nb="2"\n'
    assert apply_overrides('a=1\n', {}) == 'a=1\n'


# -- addresses and trees ----------------------------------------------------------------------

def test_static_inet6_addresses_from_every_rc_conf_form():
    found = images.static_inet6_addresses({
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
        images.static_inet6_addresses({"ifconfig_em0_ipv6": "inet6 2001:db8::1/129"})
    assert ei.value.args[0] == ("ifconfig_em0_ipv6", "expected a prefix length 0..128, got '2001:db8::1/129'")
    with pytest.raises(ValueError):
        images.static_inet6_addresses({"ipv6_ifconfig_em0": "nonsense:: prefixlen 64"})


def test_read_tree_and_load_image(tmp_path):
    (tmp_path / "base" / "etc").mkdir(parents=True)
    (tmp_path / "base" / "etc" / "hosts").write_text("base\n")
    (tmp_path / "base" / "etc" / "protocols").write_text("p\n")
    (tmp_path / "base" / "var" / "run").mkdir(parents=True)
    (tmp_path / "base" / "var" / "run" / ".keep").write_text("")
    (tmp_path / "h" / "etc").mkdir(parents=True)
    (tmp_path / "h" / "etc" / "hosts").write_text("mine\n")
    files = images.load_image(tmp_path / "h", tmp_path)
    assert files == {"/etc/": b"", "/etc/hosts": b"mine\n", "/etc/protocols": b"p\n",
                     "/var/": b"", "/var/run/": b""}
    assert images.image_names(tmp_path) == ["h"]
    assert images.find_image("h", tmp_path, tmp_path) == tmp_path / "h"
    assert images.find_image("base", tmp_path / "nowhere", tmp_path) is None
    assert images.find_image("nope", tmp_path, tmp_path) is None


def test_add_programs():
    files: dict[str, bytes] = {}
    images.add_programs(files, ["/sbin/ping6", "/usr/sbin/ndp"])
    assert files == {"/sbin/": b"", "/sbin/ping6": b"#!kamebox /sbin/ping6\n", "/usr/": b"",
                     "/usr/sbin/": b"", "/usr/sbin/ndp": b"#!kamebox /usr/sbin/ndp\n"}
    with pytest.raises(ValueError):
        images.add_programs(files, ["ping6"])
