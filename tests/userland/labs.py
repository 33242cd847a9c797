"""Labs from lab files for the tests of the boot, ping6 and rtsold: they boot as
FreeBSD does (/sbin/init runs /etc/rc, which reads rc.conf).

    lab = demo()                      # images/labs/demo.toml, booted
    lab = from_text(tmp_path, TOML)   # a lab file written for the test, booted

``programs`` adds test programs (path -> main) to the hosts, e.g. the RA
responder of tests/userland/ra_responder.py at RARESPONDER.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Optional

from emu.lab import Lab, program_table
from emu.sched import MS, SEC
from tests.conftest import ROOT
from tests.userland import ra_responder

# The three-host lab the userland tests were written on (the demo lab before it
# got a router): alice, bob, carol with static addresses on lan0.
DEMO = ROOT / "images" / "labs" / "trio.toml"
RARESPONDER = "/usr/local/sbin/raresponder"


def _programs(extra: Optional[dict[str, Callable[..., Any]]]) -> dict[str, Callable[..., Any]]:
    progs = program_table()
    progs[RARESPONDER] = ra_responder.main
    progs.update(extra or {})
    return progs


def demo(seed: Optional[int] = None, pcap_dir: Any = None, boot: bool = True,
         programs: Optional[dict[str, Callable[..., Any]]] = None) -> Lab:
    lab = Lab.from_file(DEMO, seed, programs=_programs(programs), pcap_dir=pcap_dir)
    if boot:
        lab.boot(settle=3 * SEC)
    return lab


def from_text(tmp_path: Path, toml: str, boot: bool = True, name: str = "t.toml",
              programs: Optional[dict[str, Callable[..., Any]]] = None, **kw: Any) -> Lab:
    path = tmp_path / name
    path.write_text(toml)
    lab = Lab.from_file(path, programs=_programs(programs), **kw)
    if boot:
        lab.boot(settle=3 * SEC)
    return lab


def console_lines(lab: Lab, host: str) -> list[str]:
    return lab.machines[host].console.splitlines()


__all__ = ["demo", "from_text", "console_lines", "RARESPONDER", "DEMO", "SEC", "MS"]
