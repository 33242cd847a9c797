"""sleep(1): suspend execution for an interval of time (bin/sleep/sleep.c)."""
from __future__ import annotations

from userland import libc
from userland.libc import stderr


def usage() -> int:
    libc.fprintf(stderr, "usage: sleep seconds\n")
    return 1


def _interval(s: str) -> float:
    """strtod-like: the leading number of ``s`` (garbage after it is ignored)."""
    s = s.strip()
    end = 0
    seen_dot = False
    while end < len(s) and (s[end].isdigit() or (s[end] == "." and not seen_dot)
                            or (end == 0 and s[end] in "+-")):
        seen_dot |= s[end] == "."
        end += 1
    try:
        return float(s[:end])
    except ValueError:
        return 0.0


def main(argv: list[str]) -> int:
    if len(argv) == 3 and argv[1] == "--":
        argv = [argv[0], argv[2]]
    if len(argv) != 2:
        return usage()
    secs = _interval(argv[1])
    if secs <= 0:
        return 0
    try:
        libc.nanosleep(secs)
    except OSError as e:
        if e.errno != libc.EINTR:
            libc.err(1, "nanosleep")
    return 0
