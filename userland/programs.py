"""The programs of a kamebox system: path -> ``main(argv) -> int``.

The front passes this table as ``KernelConfig.programs``; the kernel installs
every entry at its path, and an executable file names the entry it runs.
Add a program with one line here.
"""
from __future__ import annotations

from typing import Callable

from userland.bin import cat, hostname, kill, ls, ps, sleep
from userland.sbin import dmesg, sysctl

PROGRAMS: dict[str, Callable[[list[str]], int]] = {
    "/bin/cat": cat.main,
    "/bin/hostname": hostname.main,
    "/bin/kill": kill.main,
    "/bin/ls": ls.main,
    "/bin/ps": ps.main,
    "/bin/sleep": sleep.main,
    "/sbin/dmesg": dmesg.main,
    "/sbin/sysctl": sysctl.main,
}
