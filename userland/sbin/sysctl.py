"""sysctl(8): get or set kernel state (sbin/sysctl/sysctl.c).

``sysctl name``, ``sysctl -n name``, ``sysctl name=value`` ("name: old ->
new"), ``sysctl -a``, ``sysctl net.inet6`` (every leaf below), ``-d``
(descriptions), ``-e`` (name=value), ``-N`` (names only), ``-q``, ``-i``,
``-o`` (also opaque nodes, which are otherwise not shown).
"""
from __future__ import annotations

from typing import Any

from kernel.wire.sysctl import (
    CTLFLAG_WR, CTLTYPE, CTLTYPE_INT, CTLTYPE_LONG, CTLTYPE_NODE,
    CTLTYPE_S64, CTLTYPE_STRING, CTLTYPE_U64, CTLTYPE_UINT, CTLTYPE_ULONG,
)
from userland import libc
from userland.libc import stderr

_NUMERIC = (CTLTYPE_INT, CTLTYPE_UINT, CTLTYPE_LONG, CTLTYPE_ULONG, CTLTYPE_S64, CTLTYPE_U64)


class Sysctl:
    def __init__(self) -> None:
        self.nflag = self.Nflag = self.dflag = self.eflag = self.qflag = False
        self.iflag = self.oflag = self.bflag = False
        self.warncount = 0

    def usage(self) -> None:
        libc.fprintf(stderr, "%s\n%s\n", "usage: sysctl [-bdehiNnoqx] name[=value] ...",
                     "       sysctl [-bdehNnoqx] -a")
        libc.exit(1)

    def fmtval(self, value: Any, kind: int) -> str | None:
        """The text of a value, None for an opaque node not to be shown."""
        t = kind & CTLTYPE
        if t in _NUMERIC:
            return str(int(value))
        if t == CTLTYPE_STRING:
            return str(value)
        if isinstance(value, dict) and set(value) == {"sec", "usec"}:     # S,timeval
            return "{ sec = %d, usec = %d } %s" % (value["sec"], value["usec"],
                                                   libc.ctime(value["sec"]).rstrip("\n"))
        if not self.oflag:
            return None
        return repr(value)

    def show_var(self, name: str, kind: int) -> bool:
        """Print one leaf; True if something was printed."""
        if self.Nflag:
            libc.printf("%s", name)
            return True
        sep = "=" if self.eflag else ": "
        if self.dflag:
            if not self.nflag:
                libc.printf("%s%s", name, sep)
            libc.printf("%s", libc.sysctl_descr(name))
            return True
        try:
            value = libc.sysctlbyname(name)
        except OSError:
            return False
        text = self.fmtval(value, kind)
        if text is None:
            return False
        if not self.nflag:
            libc.printf("%s%s", name, sep)
        libc.printf("%s", text)
        return True

    def sysctl_all(self, prefix: str) -> int:
        try:
            leaves = libc.sysctl_list(prefix)
        except OSError:
            return 1
        for name, kind in leaves:
            if self.show_var(name, kind):
                libc.putchar("\n")
        return 0

    def parse(self, string: str) -> None:
        name, eq, newval = string.partition("=")
        newval = newval.lstrip() if eq else None
        try:
            kind = libc.sysctl_kind(name)
        except OSError:
            if self.iflag:
                return
            if self.qflag:
                libc.exit(1)
            libc.errx(1, "unknown oid '%s'", name)
            return
        if newval is None or self.dflag:
            if kind & CTLTYPE == CTLTYPE_NODE:
                if self.dflag and self.show_var(name, kind):
                    libc.putchar("\n")
                self.sysctl_all(name)
            elif self.show_var(name, kind):
                libc.putchar("\n")
            return
        if kind & CTLTYPE == CTLTYPE_NODE:
            libc.errx(1, "oid '%s' isn't a leaf node", name)
        if not kind & CTLFLAG_WR:
            libc.errx(1, "oid '%s' is read only", name)
        t = kind & CTLTYPE
        value: Any
        if t in _NUMERIC:
            if newval == "":
                libc.errx(1, "empty numeric value")
            try:
                value = int(newval, 0)
            except ValueError:
                libc.errx(1, "invalid integer '%s'", newval)
                return
        elif t == CTLTYPE_STRING:
            value = newval
        else:
            libc.errx(1, "oid '%s' is type %d, cannot set that", name, t)
            return
        shown = self.show_var(name, kind)
        try:
            libc.sysctlbyname(name, value)
        except OSError:
            if shown:
                libc.putchar("\n")
            libc.warn("%s", string)
            self.warncount += 1
            return
        libc.printf(" -> ")
        saved, self.nflag = self.nflag, True
        if self.show_var(name, kind):
            libc.putchar("\n")
        self.nflag = saved


def main(argv: list[str]) -> int:
    s = Sysctl()
    aflag = False
    opts, args = libc.getopt(argv, "AabdehiNnoqwxX")
    for o, _ in opts:
        if o in ("A", "X"):
            aflag = s.oflag = True
        elif o == "a":
            aflag = True
        elif o == "b":
            s.bflag = True
        elif o == "d":
            s.dflag = True
        elif o == "e":
            s.eflag = True
        elif o == "i":
            s.iflag = True
        elif o == "N":
            s.Nflag = True
        elif o == "n":
            s.nflag = True
        elif o in ("o", "x"):
            s.oflag = True
        elif o == "q":
            s.qflag = True
        elif o in ("h", "w"):
            pass
        else:
            s.usage()
    libc.setbuf(libc.stdout, None)
    if s.Nflag and s.nflag:
        s.usage()
    if aflag and not args:
        return s.sysctl_all("")
    if not args:
        s.usage()
    for a in args:
        s.parse(a)
    return 1 if s.warncount else 0


