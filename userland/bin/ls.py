"""ls(1): list directory contents (bin/ls/ls.c, print.c) — the common options.

-1 -A -a -C -d -F -l -r -t; columns on a terminal (printcol), one per line
otherwise; ``ls -l`` as FreeBSD prints it (owner root, group wheel).
"""
from __future__ import annotations

from typing import Optional

from kernel.wire.ioctl import TIOCGWINSZ
from kernel.wire.stat import (
    S_IFIFO, S_IFMT, S_IFSOCK, S_ISCHR, S_ISDIR, S_IXGRP, S_IXOTH, S_IXUSR, stat, strmode,
)
from userland import libc
from userland.libc import stderr

USAGE = "usage: ls [-ACFadlrt1] [file ...]\n"
SIXMONTHS = (365 // 2) * 86400


class _Ent:
    __slots__ = ("name", "st")

    def __init__(self, name: str, st: stat) -> None:
        self.name = name
        self.st = st


def _termwidth() -> int:
    cols = libc.getenv("COLUMNS")
    if cols and cols.isdigit() and int(cols) > 0:
        return int(cols)
    try:
        ws = libc.ioctl(1, TIOCGWINSZ)
        if ws.ws_col > 0:
            return ws.ws_col
    except OSError:
        pass
    return 80


def _typechar(st: stat) -> str:
    m = st.st_mode
    if S_ISDIR(m):
        return "/"
    if (m & S_IFMT) == S_IFIFO:
        return "|"
    if (m & S_IFMT) == S_IFSOCK:
        return "="
    if m & (S_IXUSR | S_IXGRP | S_IXOTH):
        return "*"
    return ""


class Ls:
    def __init__(self) -> None:
        self.all = self.almost_all = self.dirs_as_files = self.typechar = False
        self.long = self.reverse = self.bytime = False
        self.single = not libc.isatty(1)
        self.now = libc.time()
        self.rval = 0

    def sort(self, ents: list[_Ent]) -> list[_Ent]:
        if self.bytime:
            ents.sort(key=lambda e: (-e.st.st_mtime, e.name))
        else:
            ents.sort(key=lambda e: e.name.encode())
        if self.reverse:
            ents.reverse()
        return ents

    def display(self, ents: list[_Ent], is_dir_listing: bool) -> None:
        if self.long:
            self.printlong(ents, is_dir_listing)
        elif self.single:
            for e in ents:
                libc.printf("%s%s\n", e.name, _typechar(e.st) if self.typechar else "")
        else:
            self.printcol(ents)

    def printlong(self, ents: list[_Ent], is_dir_listing: bool) -> None:
        if is_dir_listing:
            blocks = sum(e.st.st_blocks for e in ents)
            if libc.getenv("BLOCKSIZE") in ("K", "1k", "1024"):
                blocks = (blocks + 1) // 2
            libc.printf("total %d\n", blocks)
        if not ents:
            return
        wl = max(len(str(e.st.st_nlink)) for e in ents)
        ws = max(len(self._size(e.st)) for e in ents)
        for e in ents:
            st = e.st
            t = st.st_mtime
            tm = libc.gmtime(t)
            if t + SIXMONTHS > self.now and t < self.now + SIXMONTHS:
                when = libc.strftime("%b %e %H:%M", tm)
            else:
                when = libc.strftime("%b %e  %Y", tm)
            libc.printf("%s %*d %-*s  %-*s  %*s %s %s%s\n", strmode(st.st_mode), wl, st.st_nlink,
                        4, "root", 5, "wheel", ws, self._size(st), when, e.name,
                        _typechar(st) if self.typechar else "")

    @staticmethod
    def _size(st: stat) -> str:
        if S_ISCHR(st.st_mode):
            return f"{st.st_rdev:#x}"
        return str(st.st_size)

    def printcol(self, ents: list[_Ent]) -> None:
        """printcol of print.c: columns down, padded with tabs."""
        if not ents:
            return
        tabwidth = 8
        names = [e.name + (_typechar(e.st) if self.typechar else "") for e in ents]
        colwidth = max(len(n) for n in names)
        colwidth = (colwidth + tabwidth) & ~(tabwidth - 1)
        termwidth = _termwidth()
        if termwidth < 2 * colwidth:
            for n in names:
                libc.printf("%s\n", n)
            return
        numcols = termwidth // colwidth
        num = len(names)
        numrows = num // numcols + (1 if num % numcols else 0)
        for row in range(numrows):
            endcol = colwidth
            base = row
            chcnt = 0
            line = []
            for _col in range(numcols):
                line.append(names[base])
                chcnt += len(names[base])
                base += numrows
                if base >= num:
                    break
                while True:
                    cnt = (chcnt + tabwidth) & ~(tabwidth - 1)
                    if cnt > endcol:
                        break
                    line.append("\t")
                    chcnt = cnt
                endcol += colwidth
            libc.printf("%s\n", "".join(line))

    def listdir(self, path: str) -> Optional[list[_Ent]]:
        try:
            d = libc.opendir(path)
        except OSError:
            libc.warn("%s", path)
            self.rval = 1
            return None
        ents = []
        try:
            while True:
                de = libc.readdir(d)
                if de is None:
                    break
                name = de.d_name
                if name.startswith("."):
                    if not self.all and not (self.almost_all and name not in (".", "..")):
                        continue
                try:
                    st = libc.lstat((path if path.endswith("/") else path + "/") + name)
                except OSError:
                    libc.warn("%s", name)
                    self.rval = 1
                    continue
                ents.append(_Ent(name, st))
        finally:
            libc.closedir(d)
        return self.sort(ents)


def main(argv: list[str]) -> int:
    ls = Ls()
    opts, operands = libc.getopt(argv, "1ACFadlrt")
    for o, _ in opts:
        if o == "1":
            ls.single, ls.long = True, False
        elif o == "A":
            ls.almost_all = True
        elif o == "C":
            ls.single, ls.long = False, False
        elif o == "F":
            ls.typechar = True
        elif o == "a":
            ls.all = True
        elif o == "d":
            ls.dirs_as_files = True
        elif o == "l":
            ls.long, ls.single = True, False
        elif o == "r":
            ls.reverse = True
        elif o == "t":
            ls.bytime = True
        else:
            libc.fprintf(stderr, USAGE)
            return 1
    if not operands:
        operands = ["."]
    files: list[_Ent] = []
    dirs: list[_Ent] = []
    for name in operands:
        try:
            st = libc.stat_(name)
        except OSError:
            libc.warn("%s", name)
            ls.rval = 1
            continue
        (dirs if S_ISDIR(st.st_mode) and not ls.dirs_as_files else files).append(_Ent(name, st))
    ls.sort(files)
    ls.sort(dirs)
    if files:
        ls.display(files, False)
    many = len(files) + len(dirs) > 1
    for i, d in enumerate(dirs):
        if many:
            libc.printf("%s%s:\n", "\n" if files or i else "", d.name)
        ents = ls.listdir(d.name)
        if ents is not None:
            ls.display(ents, True)
    return ls.rval
