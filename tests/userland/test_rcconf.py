"""userland/rcconf.py, the one rc.conf(5) reader (/etc/rc and the front both use it):
FreeBSD sh syntax, quoting, continuations, errors with file:line, sourcing over the
defaults, checkyesno, and sysrc(8)-style rewriting for a lab file's [host.NAME.rc]."""
from __future__ import annotations

import pytest

from tests.conftest import ROOT
from userland.rcconf import (RcConfError, apply_overrides, checkyesno, parse_rcconf, quote,
                             read_rcconf, source_rcconf)

IMAGES = ROOT / "images"


def rc(text: str, env: dict[str, str] | None = None) -> dict[str, str]:
    return read_rcconf(text, "rc.conf", env).vars


def rc_error(text: str) -> tuple[int, str]:
    with pytest.raises(RcConfError) as ei:
        read_rcconf(text, "etc/rc.conf")
    assert str(ei.value) == f"etc/rc.conf:{ei.value.line}: {ei.value.message}"
    return ei.value.line, ei.value.message


# -- the syntax --------------------------------------------------------------------------------

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
    conf = read_rcconf('# comment\n\n  a="1"   # trailing\nb=2 c=3; d=4\n\t# indented comment\n')
    assert conf.vars == {"a": "1", "b": "2", "c": "3", "d": "4"}
    assert [(x.name, x.line, x.alone) for x in conf.assignments] == [
        ("a", 3, True), ("b", 4, False), ("c", 4, False), ("d", 4, False)]


def test_line_continuations():
    conf = read_rcconf('a="one \\\ntwo"\nb=x\\\ny\nc="multi\nline"\n\\\nd=4\n')
    assert conf.vars == {"a": "one two", "b": "xy", "c": "multi\nline", "d": "4"}
    assert [(x.name, x.line, x.end_line) for x in conf.assignments] == [
        ("a", 1, 2), ("b", 3, 4), ("c", 5, 6), ("d", 8, 8)]


def test_expansions_from_earlier_assignments_and_defaults():
    assert rc('a=1\nb="${a}2"\nc=$a$b\nd="$nope."\n') == {"a": "1", "b": "12", "c": "112", "d": "."}
    assert rc('b="${x}/y"\n', env={"x": "/etc"}) == {"b": "/etc/y"}
    assert rc("a='$x'\nb=\"cost \\$5 or $\"\n", env={"x": "1"}) == {"a": "$x", "b": "cost $5 or $"}


def test_last_assignment_wins():
    conf = read_rcconf('a="1"\na="2"\n')
    assert conf.get("a") == "2" and conf.line_of("a") == 2 and conf.line_of("b") == 0


@pytest.mark.parametrize("text,line,message", [
    ('a="1"\nb="open\n\nc=3\n', 2, "unterminated double quote"),
    ("a='open\n", 1, "unterminated single quote"),
    ('a=1\nifconfig em0 up\n', 2, "expected an assignment like name=\"value\", got 'ifconfig'"),
    ('a=`hostname`\n', 1, "command substitution (`...`) is not supported in rc.conf"),
    ('a="$(hostname)"\n', 1, "command substitution ($(...)) is not supported in rc.conf"),
    ("\n\nb=$(x)\n", 3, "command substitution ($(...)) is not supported in rc.conf"),
    ('a=${b:-x}\n', 1, "${b:-x}: only ${name} expansions are supported"),
    ('a=${b\n', 1, "unterminated ${"),
    ('a=1 | b\n', 1, "unexpected '|': only variable assignments are supported"),
    ('a=x(\n', 1, "unexpected '(': only variable assignments are supported"),
    ('\n\n. /etc/other.conf\n', 3, "expected an assignment like name=\"value\", got '.'"),
    ('a=x\\', 1, "a backslash at the end of the file"),
])
def test_errors_name_the_line(text, line, message):
    assert rc_error(text) == (line, message)


# -- what /etc/rc does with it -----------------------------------------------------------------

def test_parse_sources_over_the_environment_and_leaves_it_alone():
    env = {"a": "A", "keep": "1"}
    assert parse_rcconf('a=1 b="${a}2"\n', "rc.conf", env) == {"a": "1", "keep": "1", "b": "12"}
    assert env == {"a": "A", "keep": "1"}
    assert read_rcconf('b="$a"\n', "rc.conf", env).vars == {"b": "A"}    # only its own


def test_source_keeps_what_came_before_a_mistake_and_checkyesno():
    env: dict[str, str] = {}
    err = source_rcconf('a="YES"\nb=on\nc="oops\n', "f", env)
    assert str(err) == "f:3: unterminated double quote" and env == {"a": "YES", "b": "on"}
    assert source_rcconf('d=1\n', "f", env) is None and env["d"] == "1"
    assert checkyesno(env["a"]) and checkyesno("TRUE") and checkyesno("1")
    assert not checkyesno("NO") and not checkyesno(None) and not checkyesno("maybe")


def test_freebsd_defaults_and_shipped_images_parse():
    defaults = read_rcconf((IMAGES / "base/etc/defaults/rc.conf").read_text(), "defaults")
    assert defaults.get("ipv6_gateway_enable") == "NO" and defaults.get("rtsold_flags") == "-a"
    for name in ("host", "router"):
        text = (IMAGES / name / "etc/rc.conf").read_text()
        conf = read_rcconf(text, name, defaults.vars)
        assert conf.get("ipv6_activate_all_interfaces") == "YES"
        assert parse_rcconf(text, name, defaults.vars) == {**defaults.vars, **conf.vars}
    assert read_rcconf((IMAGES / "router/etc/rc.conf").read_text()).get("ipv6_gateway_enable") == "YES"


# -- rewriting (sysrc(8)) -----------------------------------------------------------------------

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


def test_apply_overrides_to_a_broken_file_names_its_line():
    with pytest.raises(RcConfError) as ei:
        apply_overrides('a=1\nb="x\n', {"a": "2"}, "img/etc/rc.conf")
    assert str(ei.value) == "img/etc/rc.conf:2: unterminated double quote"
