"""Images (emu/images.py): image trees read into files, the base layer under each image,
which file a path comes from, text decoding with file:line errors, program entries.
What the files say (rc.conf, /etc/hosts) is the front's: tests/emu/test_lab.py."""
from __future__ import annotations

import pytest

from emu import images
from emu.diag import ConfigError


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


def test_file_source_is_the_images_own_file_else_the_base_layers(tmp_path):
    (tmp_path / "base" / "etc" / "defaults").mkdir(parents=True)
    (tmp_path / "base" / "etc" / "defaults" / "rc.conf").write_text("d=1\n")
    (tmp_path / "base" / "etc" / "rc.conf").write_text("b=1\n")
    (tmp_path / "h" / "etc").mkdir(parents=True)
    (tmp_path / "h" / "etc" / "rc.conf").write_text("h=1\n")
    (tmp_path / "bare" / "etc").mkdir(parents=True)
    assert images.file_source("/etc/rc.conf", tmp_path / "h", tmp_path) == tmp_path / "h/etc/rc.conf"
    assert images.file_source("/etc/rc.conf", tmp_path / "bare", tmp_path) == \
        tmp_path / "base/etc/rc.conf"
    assert images.file_source("/etc/defaults/rc.conf", tmp_path / "h", tmp_path) == \
        tmp_path / "base/etc/defaults/rc.conf"
    assert images.load_image(tmp_path / "h", tmp_path)["/etc/rc.conf"] == b"h=1\n"


def test_text_that_is_not_utf8_names_file_and_line():
    assert images.text_of("a=\"é\"\n".encode(), "rc.conf") == "a=\"é\"\n"
    with pytest.raises(ConfigError) as ei:
        images.text_of(b"a=1\nb=2\nc=\xff\n", "img/etc/rc.conf")
    assert str(ei.value) == "img/etc/rc.conf:3: expected UTF-8 text"


def test_images_shipped():
    assert images.image_names() == ["host", "router"]
    for name in images.image_names():
        files = images.load_image(images.IMAGES_DIR / name)
        assert images.RC_CONF in files and images.DEFAULTS_RC_CONF in files
        assert images.HOSTS in files
