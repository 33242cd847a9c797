"""kill(1): terminate or signal a process (bin/kill/kill.c)."""
from __future__ import annotations

from kernel.wire.signal import NSIG, SIGTERM, signame_to_signum, sys_signame
from userland import libc
from userland.libc import stderr, stdout


def usage() -> int:
    libc.fprintf(stderr, "%s\n%s\n%s\n%s\n",
                 "usage: kill [-s signal_name] pid ...",
                 "       kill -l [exit_status]",
                 "       kill -signal_name pid ...",
                 "       kill -signal_number pid ...")
    libc.exit(1)
    return 1


def printsignals(fp: object) -> None:
    for n in range(1, NSIG):
        libc.fprintf(fp, "%s", sys_signame[n])
        libc.fprintf(fp, "\n" if n in (NSIG // 2, NSIG - 1) else " ")


def nosig(name: str) -> None:
    libc.warnx("unknown signal %s; valid signals:", name)
    printsignals(stderr)
    libc.exit(1)


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        return usage()
    numsig = SIGTERM
    args = argv[1:]
    if args[0] == "-l":
        args = args[1:]
        if len(args) > 1:
            return usage()
        if args:
            if not args[0][:1].isdigit():
                return usage()
            if not args[0].isdigit():
                libc.errx(1, "illegal signal number: %s", args[0])
            numsig = int(args[0])
            if numsig >= 128:
                numsig -= 128
            if numsig <= 0 or numsig >= NSIG:
                nosig(args[0])
            libc.printf("%s\n", sys_signame[numsig])
            return 0
        printsignals(stdout)
        return 0
    if args[0] == "-s":
        args = args[1:]
        if not args:
            libc.warnx("option requires an argument -- s")
            return usage()
        if args[0] != "0":
            numsig = signame_to_signum(args[0])
            if numsig < 0:
                nosig(args[0])
        else:
            numsig = 0
        args = args[1:]
    elif args[0].startswith("-") and not args[0].startswith("--"):
        name = args[0][1:]
        if name[:1].isalpha():
            numsig = signame_to_signum(name)
            if numsig < 0:
                nosig(name)
        elif name[:1].isdigit():
            if not name.isdigit():
                libc.errx(1, "illegal signal number: %s", name)
            numsig = int(name)
        else:
            nosig(name)
        args = args[1:]
    if args and args[0].startswith("--"):
        args = args[1:]
    if not args:
        return usage()
    errors = 0
    for a in args:
        try:
            pid = int(a, 10)
            if not a.lstrip("-").isdigit():
                raise ValueError
        except ValueError:
            libc.warnx("illegal process id: %s", a)
            errors = 1
            continue
        try:
            libc.kill(pid, numsig)
        except OSError:
            libc.warn("%s", a)
            errors = 1
    return errors
