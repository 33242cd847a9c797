"""ps(1): process status (bin/ps/ps.c, print.c, keyword.c) — the BSD formats.

``ps`` (processes with a terminal), ``ps ax`` (all), ``ps u``/``ps aux``
(user format), ``ps c`` (command names), ``ps w`` (wider), ``ps -p pid``.
Processes come from the ``kern.proc.all`` sysctl; this kernel runs no
process on a CPU clock, so TIME is always 0:00.00.
"""
from __future__ import annotations

from typing import Any

from kernel.wire.ioctl import TIOCGWINSZ
from userland import libc
from userland.libc import stderr

SIDL, SRUN, SSLEEP, SSTOP, SZOMB = 1, 2, 3, 4, 5
KI_CTTY = 1
KI_SLEADER = 2
MAXSLP = 20
P_WEXIT = 0x02000

USAGE = ("usage: ps [-aCcdefHhjlmrSTuvwXxZ] [-O fmt | -o fmt] [-G gid[,gid...]]\n"
         "          [-M core] [-N system]\n"
         "          [-p pid[,pid...]] [-t tty[,tty...]] [-U user[,user...]]\n"
         "       ps [-L]\n")


def tname(ki: dict[str, Any]) -> str:
    """The TT column: the terminal without "tty"/"pts/", '-' if not controlling."""
    tdev = ki["ki_tdev"]
    if tdev is None:
        return "%-*s" % (4, "??")
    name = tdev
    for pre in ("tty", "cua", "pts/"):
        if name.startswith(pre):
            name = name[len(pre):]
            break
    return "%*.*s%s" % (3, 3, name, " " if ki["ki_kiflag"] & KI_CTTY else "-")


def state(ki: dict[str, Any]) -> str:
    st = ki["ki_stat"]
    if st == SZOMB:
        s = "Z"
    elif st == SSTOP:
        s = "T"
    elif st == SSLEEP:
        s = ("I" if ki["ki_slptime"] >= MAXSLP else "S") if ki["ki_sintr"] else "D"
    else:
        s = "R"
    if ki["ki_flag"] & P_WEXIT and st != SZOMB:
        s += "E"
    if ki["ki_kiflag"] & KI_SLEADER:
        s += "s"
    if ki["ki_kiflag"] & KI_CTTY and ki["ki_pgid"] == ki["ki_tpgid"]:
        s += "+"
    return s


def command(ki: dict[str, Any], comm_only: bool) -> str:
    if ki["ki_stat"] == SZOMB:
        return "<defunct>"
    if comm_only or not ki["ki_args"]:
        return ki["ki_comm"] if comm_only else f"({ki['ki_comm']})"
    return " ".join(ki["ki_args"])


def _tdev_order(ki: dict[str, Any]) -> tuple[int, int]:
    t = ki["ki_tdev"]
    if t is None:
        dev = -1
    elif t == "console":
        dev = 0
    else:
        tail = t.rsplit("/", 1)[-1]
        dev = 100 + int(tail) if tail.isdigit() else 50
    return dev, ki["ki_pid"]


def main(argv: list[str]) -> int:
    if len(argv) > 1 and not argv[1].startswith("-"):
        argv = [argv[0], "-" + argv[1]] + argv[2:]        # BSD style: "ps ax"
    opts, rest = libc.getopt(argv, "acp:uwxj")
    all_users = with_notty = comm_only = uformat = False
    wide = 0
    pids: list[int] = []
    for o, a in opts:
        if o == "a":
            all_users = True
        elif o == "x":
            with_notty = True
        elif o == "c":
            comm_only = True
        elif o == "u":
            uformat = True
        elif o == "w":
            wide += 1
        elif o == "j":
            pass
        elif o == "p":
            for p in (a or "").replace(" ", ",").split(","):
                if not p:
                    continue
                if not p.isdigit():
                    libc.errx(1, "%s: illegal process id", p)
                pids.append(int(p))
        else:
            libc.fprintf(stderr, USAGE)
            return 1
    if rest:
        for p in rest:
            if p.isdigit():
                pids.append(int(p))
    try:
        procs = libc.sysctlbyname("kern.proc.all")
    except OSError:
        libc.err(1, "kern.proc.all")
        return 1
    uid = libc.getuid()
    shown = []
    for ki in procs:
        if pids:
            if ki["ki_pid"] in pids:
                shown.append(ki)
            continue
        if not all_users and ki["ki_uid"] != uid:
            continue
        if not with_notty and ki["ki_tdev"] is None:
            continue
        shown.append(ki)
    shown.sort(key=_tdev_order)
    if libc.isatty(1):
        try:
            ws = libc.ioctl(1, TIOCGWINSZ)
            termwidth = ws.ws_col - 1 if ws.ws_col else 79
        except OSError:
            termwidth = 79
    else:
        termwidth = 79
    if wide == 1:
        termwidth = max(termwidth, 131)
    elif wide > 1:
        termwidth = 1 << 30
    if uformat:
        header = "USER   PID %CPU %MEM   VSZ   RSS  TT  STAT STARTED      TIME COMMAND"
    else:
        header = "  PID  TT  STAT      TIME COMMAND"
    libc.printf("%s\n", header[:termwidth])
    boot = libc.sysctlbyname("kern.boottime")["sec"] if uformat else 0
    for ki in shown:
        if uformat:
            t = libc.gmtime(ki["ki_start"] // 1_000_000_000 + boot)
            started = "%d:%02d%s" % ((t.tm_hour % 12) or 12, t.tm_min, "AM" if t.tm_hour < 12 else "PM")
            line = "%-4s %5d %4.1f %4.1f %5d %5d %s %-4s %-7s %9s %s" % (
                "root", ki["ki_pid"], 0.0, 0.0, 0, 0, tname(ki), state(ki), started, "0:00.00",
                command(ki, comm_only))
        else:
            line = "%5d %s %-4s %9s %s" % (ki["ki_pid"], tname(ki), state(ki), "0:00.00",
                                          command(ki, comm_only))
        libc.printf("%s\n", line[:termwidth])
    return 0
