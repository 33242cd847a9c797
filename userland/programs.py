"""The programs of a kamebox system: path -> ``main(argv) -> int``.

The front passes this table as ``KernelConfig.programs``; the kernel installs
every entry at its path, and an executable file names the entry it runs.
Add a program with one line here.
"""
from __future__ import annotations

from typing import Callable

from userland.bin import cat, hostname, kill, ls, ps, sleep
from userland.sbin import dmesg, sysctl
from userland import etc_rc
from userland.sbin import ifconfig, init, ping, ping6, route, rtsol
from userland.usr_bin import netstat
from userland.usr_sbin import ip6addrctl
from userland.usr_sbin import ifmcstat
from userland.usr_sbin import arp, ndp, rtadvd, rtsold, setkey, tcpdump

PROGRAMS: dict[str, Callable[[list[str]], int]] = {
    "/etc/rc": etc_rc.main,
    "/bin/cat": cat.main,
    "/bin/hostname": hostname.main,
    "/bin/kill": kill.main,
    "/bin/ls": ls.main,
    "/bin/ps": ps.main,
    "/bin/sleep": sleep.main,
    "/sbin/dmesg": dmesg.main,
    "/sbin/ifconfig": ifconfig.main,
    "/sbin/init": init.main,
    "/sbin/ping": ping.main,
    "/sbin/ping6": ping6.main,
    "/sbin/route": route.main,
    "/sbin/rtsol": rtsol.main,
    "/sbin/setkey": setkey.main,
    "/sbin/sysctl": sysctl.main,
    "/usr/bin/netstat": netstat.main,
    "/usr/sbin/arp": arp.main,
    "/usr/sbin/ifmcstat": ifmcstat.main,
    "/usr/sbin/ip6addrctl": ip6addrctl.main,
    "/usr/sbin/ndp": ndp.main,
    "/usr/sbin/rtadvd": rtadvd.main,
    "/usr/sbin/rtsold": rtsold.main,
    "/usr/sbin/tcpdump": tcpdump.main,
}
