"""``[host.NAME.files]`` (emu/labfile.py, emu/lab.py): a lab file gives a host files —
"/etc/ipsec.conf" = \"\"\"...\"\"\" — laid over its image; mistakes are one line naming
the lab file, the line and what was expected."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from emu.diag import ConfigError
from emu.lab import Lab, host_image
from emu.labfile import parse_lab

HEAD = """\
[segment.lan0]

[host.alice]
nic = [{model = "em", segment = "lan0"}]
"""


def lab_text(files: str, rc: str = "") -> str:
    return HEAD + (f"\n[host.alice.rc]\n{rc}\n" if rc else "") + "\n[host.alice.files]\n" + files


def error(text: str) -> str:
    with pytest.raises(ConfigError) as e:
        spec = parse_lab(text, "labs/x.toml")
        host_image(spec, spec.hosts["alice"])
    return str(e.value)


def test_files_are_parsed_with_the_line_their_text_starts_on():
    spec = parse_lab(lab_text('"/etc/ipsec.conf" = """\nflush;\nspdflush;\n"""\n'
                              '"/usr/local/etc/motd" = "hello\\n"\n'), "labs/x.toml")
    alice = spec.hosts["alice"]
    assert alice.files == {"/etc/ipsec.conf": "flush;\nspdflush;\n",
                           "/usr/local/etc/motd": "hello\n"}
    # lines 7 (the key, whose """ opens with a newline: the text starts on 8) and 11
    assert alice.files_lines == {"/etc/ipsec.conf": 8, "/usr/local/etc/motd": 11}


def test_files_replace_the_images_and_add_new_ones_with_their_directories():
    spec = parse_lab(lab_text('"/etc/hosts" = "::1 localhost\\n"\n'
                              '"/var/db/kb/new/x.conf" = "x"\n'), "labs/x.toml")
    files = host_image(spec, spec.hosts["alice"]).files
    assert files["/etc/hosts"] == b"::1 localhost\n"
    assert files["/var/db/kb/new/x.conf"] == b"x"
    assert "/var/db/kb/" in files and "/var/db/kb/new/" in files


@pytest.mark.parametrize("key, what", [
    ('"etc/ipsec.conf"', '"etc/ipsec.conf": expected an absolute file path'),
    ('"/etc/"', '"/etc/": expected an absolute file path'),
    ('"/etc//ipsec.conf"', '"/etc//ipsec.conf": expected an absolute file path'),
    ('"/etc/../ipsec.conf"', '"/etc/../ipsec.conf": expected an absolute file path'),
    ('"/"', '"/": expected an absolute file path'),
])
def test_a_path_that_is_not_absolute_names_the_line(key, what):
    msg = error(lab_text(f'{key} = "x"\n'))
    assert msg.startswith("labs/x.toml:7: host.alice.files: " + what), msg


def test_a_value_that_is_not_a_string_names_the_line():
    msg = error(lab_text('"/etc/a" = "x"\n"/etc/ipsec.conf" = 3\n'))
    assert msg == ('labs/x.toml:8: host.alice.files."/etc/ipsec.conf": expected a string '
                   '(the file\'s text, e.g. """..."""), got 3')


def test_files_must_be_a_table():
    msg = error(HEAD + 'files = "/etc/ipsec.conf"\n')
    assert msg.startswith('labs/x.toml:5: host.alice.files: expected a table of files'), msg


def test_a_file_cannot_be_the_directory_of_another():
    msg = error(lab_text('"/etc/a" = "x"\n"/etc/a/b" = "y"\n'))
    assert msg == ('labs/x.toml:8: host.alice.files: "/etc/a/b": "/etc/a" is a file too, '
                   'it cannot be a directory')


def test_a_file_cannot_replace_a_directory_of_the_image_nor_live_under_one_of_its_files():
    assert error(lab_text('"/etc" = "x"\n')) == \
        'labs/x.toml:7: host.alice.files."/etc": /etc is a directory of image host'
    assert error(lab_text('"/etc/rc.conf/x" = """\nx\n"""\n')) == \
        ('labs/x.toml:8: host.alice.files."/etc/rc.conf/x": /etc/rc.conf is a file of '
         'image host, not a directory')


def test_an_rc_conf_given_by_the_lab_is_checked_and_its_errors_name_the_lab_file_line():
    text = lab_text('"/etc/rc.conf" = """\nipv6_activate_all_interfaces="YES"\n'
                    'ifconfig_em0_ipv6="inet6 2001:db8::1\n"""\n')
    assert error(text) == "labs/x.toml:9: unterminated double quote"
    good = lab_text('"/etc/rc.conf" = """\nifconfig_em0_ipv6="inet6 2001:db8::a prefixlen 64"\n'
                    '"""\n', rc='ifconfig_em0_alias0 = "inet6 2001:db8::aa prefixlen 64"')
    spec = parse_lab(good, "labs/x.toml")
    img = host_image(spec, spec.hosts["alice"])
    assert [a.addr for a in img.addresses] == ["2001:db8::a", "2001:db8::aa"]
    assert img.rc.get("hostname") == "alice"


def test_a_host_boots_with_the_lab_files_and_rc_loads_its_setkey_script(tmp_path):
    """FreeBSD rc.d/ipsec: ipsec_enable="YES" runs setkey -f $ipsec_file at boot."""
    path = tmp_path / "x.toml"
    path.write_text(lab_text(textwrap.dedent('''\
        "/etc/ipsec.conf" = """
        add 2001:db8::a 2001:db8::b esp 0x1234 -m transport -E null;
        """
        '''), rc='ifconfig_em0_ipv6 = "inet6 2001:db8::a prefixlen 64"\nipsec_enable = true'))
    lab = Lab.from_file(path)
    lab.boot()
    status, out = lab.run_command("alice", "setkey -D")
    assert status == 0 and "esp mode=transport spi=4660(0x00001234)" in out
    assert "Installing ipsec manual keys/policies." in lab.machines["alice"].console
    lab.close()


def test_a_mistake_in_a_script_the_lab_gives_stops_setkey_at_boot_naming_the_file(tmp_path):
    path = tmp_path / "x.toml"
    path.write_text(lab_text('"/etc/ipsec.conf" = """\nflush;\nadd 2001:db8::a;\n"""\n',
                             rc="ipsec_enable = true"))
    lab = Lab.from_file(Path(path))
    lab.boot()
    assert "/etc/ipsec.conf:2: syntax error" in lab.machines["alice"].console
    lab.close()


# -- [host.NAME.loader]: loader tunables and device hints ----------------------------------
LOADER_HEAD = HEAD + '\n[host.alice.rc]\nifconfig_em0_ipv6 = "inet6 2001:db8::a prefixlen 64"\n'


def loader_error(body: str) -> str:
    with pytest.raises(ConfigError) as e:
        parse_lab(LOADER_HEAD + "\n[host.alice.loader]\n" + body, "labs/x.toml")
    return str(e.value)


def test_loader_tunables_reach_the_driver_at_attach(tmp_path):
    """FreeBSD's hw.em.max_interrupt_rate: ITR = 10^9 / (rate * 256); 0 turns it off;
    a per-unit hint (hint.em.0.rxd) sizes the ring."""
    path = tmp_path / "x.toml"
    path.write_text(LOADER_HEAD + '\n[host.alice.loader]\n"hw.em.max_interrupt_rate" = 0\n'
                    '"hint.em.0.rxd" = "512"\n')
    lab = Lab.from_file(path)
    lab.boot()
    sc = lab.machines["alice"].kernel.ifunit("em0").if_softc
    assert sc.itr == 0 and sc.num_rx_desc == 512
    lab.close()
    path.write_text(LOADER_HEAD + '\n[host.alice.loader]\n"hw.em.max_interrupt_rate" = 4000\n')
    lab = Lab.from_file(path)
    lab.boot()
    assert lab.machines["alice"].kernel.ifunit("em0").if_softc.itr == 10 ** 9 // (4000 * 256)
    lab.close()


def test_without_loader_tunables_em_throttles_to_8000_interrupts_a_second(tmp_path):
    path = tmp_path / "x.toml"
    path.write_text(LOADER_HEAD)
    lab = Lab.from_file(path)
    lab.boot()
    assert lab.machines["alice"].kernel.ifunit("em0").if_softc.itr == 488
    lab.close()


@pytest.mark.parametrize("body, what", [
    ('rxd = 512\n', '"rxd" is not a loader tunable name'),
    ('"hw.em." = 1\n', '"hw.em." is not a loader tunable name'),
    ('"hw.em.rxd" = true\n', "expected an integer or a string"),
    ('"hw.em.rxd" = [1]\n', "expected an integer or a string"),
])
def test_a_bad_loader_entry_names_the_file_and_line(body, what):
    msg = loader_error(body)
    assert msg.startswith("labs/x.toml:10: ") and what in msg, msg
    assert "\n" not in msg
