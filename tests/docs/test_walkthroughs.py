"""The walkthroughs in docs/ are runnable: their commands run and their output is today's."""
from __future__ import annotations

import re
import runpy
import subprocess

import pytest

from tests.conftest import ROOT, require_tool

DOC = ROOT / "docs" / "driver-without-hardware.md"


def blocks(text: str, lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", text, re.S)


def test_driver_walkthrough_output_block_is_what_the_example_prints(capsys, tmp_path):
    text = DOC.read_text()
    (expected,) = blocks(text, "text")
    ns = runpy.run_path(str(ROOT / "examples" / "driver_without_hardware.py"), run_name="doc")
    assert ns["main"](["--pcap", "/tmp/lan0.pcap"]) == 0
    got = capsys.readouterr().out
    assert got.rstrip("\n") == expected.rstrip("\n")


def test_driver_walkthrough_commands_run(tmp_path):
    text = DOC.read_text()
    cmds = [l.split("#")[0].strip() for b in blocks(text, "sh") for l in b.splitlines()]
    cmds = [c for c in cmds if c and not c.startswith("make ")]   # make demo = the next line
    py = ROOT / ".venv" / "bin" / "python"
    for c in cmds:
        if c.startswith("tshark"):
            require_tool("tshark")
        c = c.replace(".venv/bin/python", str(py) if py.exists() else "python3")
        if c.startswith("kamebox "):                                    # the console script
            c = f"{py if py.exists() else 'python3'} -m emu " + c[len("kamebox "):]
        r = subprocess.run(c, shell=True, cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, f"{c}: {r.stderr}"


# Walkthroughs whose ```sh `kamebox run ...` blocks are each followed by a ```text
# block with exactly what that command prints, and how many such pairs each has.
TRANSCRIPTS = {"rtadvd.md": 1, "gif.md": 2, "ipsec-lab.md": 3}


@pytest.mark.parametrize("doc", sorted(TRANSCRIPTS))
def test_walkthrough_transcripts_are_what_kamebox_prints(doc, capsys, monkeypatch):
    """Each ```sh block holding a `kamebox run` command is followed by a ```text
    block with exactly what that command prints."""
    import shlex

    from emu.cli import main
    text = (ROOT / "docs" / doc).read_text()
    pairs = re.findall(r"```sh\n(kamebox run [^\n]*)\n```\s*```text\n(.*?)```", text, re.S)
    assert len(pairs) == TRANSCRIPTS[doc], f"docs/{doc}: kamebox run transcripts"
    monkeypatch.chdir(ROOT)
    for command, expected in pairs:
        assert main(shlex.split(command)[1:]) == 0, command
        assert capsys.readouterr().out == expected, command
