"""hostname(1): set or print the name of the current host (bin/hostname/hostname.c)."""
from __future__ import annotations

from userland import libc
from userland.libc import stderr


def usage() -> int:
    libc.fprintf(stderr, "usage: hostname [-fs] [name-of-host]\n")
    libc.exit(1)
    return 1


def main(argv: list[str]) -> int:
    opts, args = libc.getopt(argv, "fs")
    sflag = False
    for o, _ in opts:
        if o == "s":
            sflag = True
        elif o != "f":
            return usage()
    if len(args) > 1:
        return usage()
    if args:
        try:
            libc.sethostname(args[0])
        except OSError:
            libc.err(1, "sethostname")
        return 0
    try:
        name = libc.gethostname()
    except OSError:
        libc.err(1, "gethostname")
        return 1
    if sflag:
        name = name.split(".", 1)[0]
    libc.printf("%s\n", name)
    return 0
