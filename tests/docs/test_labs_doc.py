"""docs/labs.md is runnable: its example lab builds what its --list block shows, and it
documents every key the lab file parser knows."""
from __future__ import annotations

import re

from emu.cli import main
from emu.labfile import KNOWN
from tests.conftest import ROOT

DOC = ROOT / "docs" / "labs.md"


def blocks(text: str, lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", text, re.S)


def test_example_lab_lists_as_documented(tmp_path, monkeypatch, capsys):
    text = DOC.read_text()
    example = blocks(text, "toml")[0]
    listing = blocks(text, "text")[0]
    (tmp_path / "example.toml").write_text(example)
    monkeypatch.chdir(tmp_path)
    assert "kamebox run example.toml --list" in blocks(text, "sh")[0]
    assert main(["run", "example.toml", "--list"]) == 0
    assert capsys.readouterr().out == listing


def test_every_key_is_documented():
    text = DOC.read_text()
    for keys in KNOWN.values():
        for key in keys:
            assert f"`{key}`" in text or f".{key}]`" in text or f"[{key}" in text, key
