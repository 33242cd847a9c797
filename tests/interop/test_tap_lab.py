"""The front's TAP options: ``[segment.NAME] tap`` in lab files, ``kamebox run --tap``,
``Lab.tap``/``Lab.pacer``, and their one-line errors.  The tests that open real TAPs
need root and /dev/net/tun (they skip otherwise); the error tests run anywhere."""
from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from emu.cli import main
from emu.diag import ConfigError
from emu.lab import Lab
from emu.wire import tap as tapmod
from tests.interop.conftest import require_interop, unique

LAB = """\
[lab]
name = "taplab"
seed = 1

[segment.lan0]
{tap}
[segment.lan1]

[host.kame]
nic = [{{model = "em", segment = "lan0", mac = "02:00:00:00:00:0a"}}]

[host.kame.rc]
ifconfig_em0_ipv6 = "inet6 2001:db8:1::a prefixlen 64"
"""


def lab_file(tmp_path: Path, tap: str = "") -> Path:
    p = tmp_path / "taplab.toml"
    p.write_text(LAB.format(tap=f'tap = "{tap}"' if tap else ""))
    return p


def exists(name: str) -> bool:
    return os.path.exists(f"/sys/class/net/{name}")


def test_lab_file_tap_is_opened_at_boot_and_the_lab_then_runs_paced(tmp_path) -> None:
    require_interop()
    name = unique("kbl")
    lab = Lab.from_file(lab_file(tmp_path, name))
    try:
        assert lab.taps == {} and not exists(name)        # building a lab opens nothing
        lab.boot()
        assert list(lab.taps) == ["lan0"] and lab.taps["lan0"].ifname == name
        assert exists(name) and lab.realtime
        assert [p.name for p in lab.segments["lan0"].ports] == ["kame.em0", f"tap:{name}"]
        pacer = lab.pacer()
        assert list(pacer._readers) == [lab.taps["lan0"].fileno()]
    finally:
        lab.close()
    assert lab.taps == {} and not exists(name)            # a TAP kamebox made goes with it


def test_lab_tap_after_boot_switches_to_realtime(tmp_path) -> None:
    require_interop()
    lab = Lab.from_file(lab_file(tmp_path))
    try:
        lab.boot()
        assert not lab.realtime
        t = lab.tap("lan1", unique("kbl"))
        assert lab.realtime and lab.taps == {"lan1": t}
        with pytest.raises(ValueError, match="already bridged"):
            lab.tap("lan1", unique("kbl"))
        with pytest.raises(ValueError, match='no segment "lan7"'):
            lab.tap("lan7", unique("kbl"))
    finally:
        lab.close()


def test_kamebox_run_tap_bridges_a_segment_for_the_run(tmp_path, capsys) -> None:
    require_interop()
    name = unique("kbl")
    assert main(["run", str(lab_file(tmp_path)), "--tap", f"lan1={name}",
                 "-c", "kame: ifconfig em0"]) == 0
    assert "inet6 2001:db8:1::a prefixlen 64" in capsys.readouterr().out
    assert not exists(name)


def test_kamebox_run_list_shows_the_taps(tmp_path, capsys) -> None:
    """--list opens no TAP: it only shows them (the lab file's, and --tap's over them)."""
    assert main(["run", str(lab_file(tmp_path, "kbnone0")), "--tap", "lan1=kbnone1",
                 "--list"]) == 0
    out = capsys.readouterr().out
    assert "  lan0     latency 1us, rate 1Gbit, loss 0, mtu 1500, tap kbnone0: kame.em0\n" in out
    assert "  lan1     latency 1us, rate 1Gbit, loss 0, mtu 1500, tap kbnone1: " in out
    assert not exists("kbnone0") and not exists("kbnone1")


@pytest.mark.parametrize("arg, message", [
    ("lan0", 'kamebox: --tap "lan0": expected SEGMENT=IFNAME, like lan0=tap0'),
    ("=tap0", 'kamebox: --tap "=tap0": expected SEGMENT=IFNAME, like lan0=tap0'),
    ("lan7=tap0", 'kamebox: --tap lan7=tap0: no segment "lan7" in lab taplab '
                  '(segments: lan0, lan1)'),
    ("lan0=a b", 'kamebox: --tap lan0=a b: bad TAP name "a b": an interface name cannot '
                 "hold ' ' (expected letters, digits, - _ . like tap0)"),
])
def test_kamebox_run_tap_mistakes_are_one_line(tmp_path, capsys, arg: str, message: str) -> None:
    assert main(["run", str(lab_file(tmp_path)), "--tap", arg, "-c", "kame: true"]) == 2
    err = capsys.readouterr().err
    assert err == message + "\n"


def test_kamebox_run_tap_given_twice_for_a_segment(tmp_path, capsys) -> None:
    assert main(["run", str(lab_file(tmp_path)), "--tap", "lan0=kbx1", "--tap", "lan0=kbx2",
                 "--list"]) == 2
    assert capsys.readouterr().err == ("kamebox: --tap lan0=kbx2: segment lan0 is already "
                                       "bridged to kbx1\n")


def _deny(*a, **kw):
    raise OSError(errno.EACCES, os.strerror(errno.EACCES))


def test_a_tap_that_cannot_be_opened_is_one_line_naming_the_option(tmp_path, capsys,
                                                                    monkeypatch) -> None:
    monkeypatch.setattr(tapmod.os, "open", _deny)
    assert main(["run", str(lab_file(tmp_path)), "--tap", "lan0=kbx0", "-c", "kame: true"]) == 2
    assert capsys.readouterr().err == (
        'kamebox: --tap lan0=kbx0: cannot open TAP "kbx0": /dev/net/tun: permission denied '
        "(run kamebox as root, or give it CAP_NET_ADMIN)\n")


def test_a_lab_file_tap_that_cannot_be_opened_names_file_and_line(tmp_path, capsys,
                                                                   monkeypatch) -> None:
    monkeypatch.setattr(tapmod.os, "open", _deny)
    path = lab_file(tmp_path, "kbx0")
    lab = Lab.from_file(path)
    with pytest.raises(ConfigError) as e:
        lab.boot()
    assert (e.value.path, e.value.line) == (str(path), 6)
    assert e.value.message == ('segment.lan0.tap: cannot open TAP "kbx0": /dev/net/tun: '
                               'permission denied (run kamebox as root, or give it '
                               'CAP_NET_ADMIN)')
    lab.close()
    assert main(["run", str(path), "-c", "kame: true"]) == 2
    assert capsys.readouterr().err == f"{path}:6: {e.value.message}\n"
