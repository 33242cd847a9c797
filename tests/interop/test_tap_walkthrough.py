"""docs/tap.md is runnable: its walkthrough's commands run, in a namespace and with a TAP
of unique names, and print what the document shows."""
from __future__ import annotations

import re
import shlex
import signal
import subprocess
import sys
import time

from tests.conftest import ROOT, require_tool
from tests.interop.conftest import COMMAND_TIMEOUT, require_interop, unique

DOC = ROOT / "docs" / "tap.md"


def walkthrough() -> tuple[list[list[str]], list[str]]:
    """The ```sh blocks (lines) and ```text blocks of the walkthrough section."""
    text = DOC.read_text()
    section = text.split("## Walkthrough", 1)[1].split("\n## ", 1)[0]
    sh = [[l for l in b.splitlines() if l.strip()]
          for b in re.findall(r"```sh\n(.*?)```", section, re.S)]
    out = re.findall(r"```text\n(.*?)```", section, re.S)
    return sh, out


def normalized(text: str) -> list[str]:
    """Lines without what changes from run to run: round-trip times, ndp's Expire."""
    text = re.sub(r"time=\d+\.\d+ ms", "time=T ms", text)
    text = re.sub(r"= [\d.]+/[\d.]+/[\d.]+/[\d.]+ ms", "= T/T/T/T ms", text)
    text = re.sub(r"(em0) +\d+[smhd]\S* +", r"\1 EXPIRE ", text)
    return [l.rstrip() for l in text.splitlines()]


def test_tap_walkthrough_runs_as_documented() -> None:
    require_interop()
    for tool in ("ping", "ndisc6", "rdisc6"):
        require_tool(tool)
    sh, texts = walkthrough()
    assert [len(b) for b in sh] == [5, 1, 2, 2, 3, 1, 1], sh
    ns, tap = unique("kbw"), unique("kbwt")
    py = ROOT / ".venv" / "bin" / "python"
    kamebox = f"{py if py.exists() else sys.executable} -m emu "

    def cmd(line: str) -> str:
        line = line.replace("kbdemo", ns).replace("tap0", tap)
        return line.replace("kamebox ", kamebox)

    def run(line: str) -> str:
        r = subprocess.run(cmd(line), shell=True, cwd=ROOT, capture_output=True, text=True,
                           timeout=COMMAND_TIMEOUT)
        assert r.returncode == 0, f"{cmd(line)}: {r.stdout}{r.stderr}"
        return r.stdout

    lab = None
    try:
        for line in sh[0]:                                   # the namespace and its TAP
            run(line)
        lab = subprocess.Popen(shlex.split(cmd(sh[1][0])), cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
        addr_cmd = cmd(sh[2][0])
        deadline = time.monotonic() + 10
        addr = ""
        while time.monotonic() < deadline and lab.poll() is None:
            addr = subprocess.run(addr_cmd, shell=True, capture_output=True, text=True).stdout
            if "2001:db8:1::ff:fe00:9901/64 scope global dynamic" in addr:
                break
            time.sleep(0.1)
        assert lab.poll() is None, lab.communicate()
        assert "inet6 2001:db8:1::ff:fe00:9901/64 scope global dynamic mngtmpaddr" in addr, addr
        route = run(sh[2][1])
        assert route.startswith("default via fe80::ff:fe00:101 dev ") and " proto ra " in route
        ping_alice, ping_carol = run(sh[3][0]), run(sh[3][1])
        assert "64 bytes from 2001:db8:1::a: icmp_seq=2 ttl=64 time=" in ping_alice
        assert "64 bytes from 2001:db8:2::ff:fe00:c: icmp_seq=2 ttl=63 time=" in ping_carol
        rdisc, ndisc, neigh = (run(l) for l in sh[4])
        assert " Prefix                   : 2001:db8:1::/64" in rdisc
        assert rdisc.rstrip().endswith(" from fe80::ff:fe00:101")
        assert ndisc.splitlines()[1:] == ["Target link-layer address: 02:00:00:00:00:0A",
                                          " from fe80::ff:fe00:a"]
        assert "2001:db8:1::a lladdr 02:00:00:00:00:0a REACHABLE" in neigh
        lab.send_signal(signal.SIGTERM)                      # the first kamebox is done
        lab.communicate(timeout=COMMAND_TIMEOUT)
        lab = None
        # the emulated hosts reach Linux: the transcript is the document's
        assert normalized(run(sh[5][0])) == normalized(texts[-1])
        run(sh[6][0])                                        # ip netns del
        assert ns not in subprocess.run(["ip", "netns", "list"], capture_output=True,
                                        text=True).stdout
    finally:
        if lab is not None and lab.poll() is None:
            lab.kill()
            lab.communicate()
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)
