"""Two hosts on one Ethernet segment for the network programs' tests.

    lab = pair()
    status, out = lab.run_command("left", "ifconfig em0")
    lab = pair(capture=tmp_path)      # and link0 captured to tmp_path/link0.pcap

Built in code (no image, no /etc/rc): the interfaces start down and without
addresses, so each test configures what it needs.  ``left`` has MAC
02:00:00:00:12:01, ``right`` 02:00:00:00:12:02.
"""
from __future__ import annotations

from typing import Any, Callable, Optional

from emu.lab import Lab, program_table
from emu.sched import MS, SEC

MAC_LEFT = bytes.fromhex("020000001201")
MAC_RIGHT = bytes.fromhex("020000001202")
LL_LEFT = "fe80::ff:fe00:1201"
LL_RIGHT = "fe80::ff:fe00:1202"


def pair(seed: int = 1, programs: Optional[dict[str, Callable[..., Any]]] = None,
         capture: Any = None) -> Lab:
    lab = Lab(seed=seed)
    lab.programs = program_table()
    lab.programs.update(programs or {})
    seg = lab.segment("link0")
    if capture is not None:
        lab.capture_dir(capture)
    lab.machine("left", nics=[("em", seg, MAC_LEFT)])
    lab.machine("right", nics=[("em", seg, MAC_RIGHT)])
    lab.boot()
    return lab


def up(lab: Lab, host: str, addr: Optional[str] = None, settle: int = 3 * SEC) -> None:
    """``ifconfig em0 [inet6 addr prefixlen 64] up`` and let DAD finish."""
    line = "ifconfig em0 up" if addr is None else f"ifconfig em0 inet6 {addr} prefixlen 64 up"
    status, out = lab.run_command(host, line)
    assert (status, out) == (0, ""), out
    lab.run_for(settle)


def index(lab: Lab, host: str, name: str) -> int:
    return lab.machines[host].ifnet(name).if_index


__all__ = ["pair", "up", "index", "MAC_LEFT", "MAC_RIGHT", "LL_LEFT", "LL_RIGHT", "SEC", "MS"]
