"""cat(1): concatenate and print files (bin/cat/cat.c)."""
from __future__ import annotations

from userland import libc
from userland.libc import O_RDONLY, stderr, stdout

USAGE = "usage: cat [-belnstuv] [file ...]\n"


def _cook(data: bytes, st: dict, bflag: bool, eflag: bool, nflag: bool, sflag: bool,
          tflag: bool, vflag: bool) -> bytes:
    """cook_cat: number lines, squeeze blanks, show non-printing characters."""
    out = bytearray()
    for c in data:
        if st["prev"] == 0x0A:
            if sflag and c == 0x0A:
                if st["gobble"]:
                    continue
                st["gobble"] = True
            elif sflag:
                st["gobble"] = False
            if nflag and (not bflag or c != 0x0A):
                st["line"] += 1
                out += b"%6d\t" % st["line"]
            elif nflag and bflag and eflag and c == 0x0A:
                out += b"      \t"
        st["prev"] = c
        if c == 0x0A:
            if eflag:
                out += b"$"
        elif c == 0x09:
            if tflag:
                out += b"^I"
                continue
        elif vflag:
            if c > 0x7F:
                out += b"M-"
                c &= 0x7F
            if c < 0x20 or c == 0x7F:
                out += b"^" + bytes([c ^ 0x40])
                continue
        out.append(c)
    return bytes(out)


def main(argv: list[str]) -> int:
    opts, files = libc.getopt(argv, "belnstuv")
    bflag = eflag = nflag = sflag = tflag = vflag = False
    for o, _ in opts:
        if o == "b":
            bflag = nflag = True
        elif o == "e":
            eflag = vflag = True
        elif o == "n":
            nflag = True
        elif o == "s":
            sflag = True
        elif o == "t":
            tflag = vflag = True
        elif o == "u":
            libc.setbuf(stdout, None)
        elif o == "v":
            vflag = True
        elif o == "l":
            pass
        else:
            libc.fprintf(stderr, USAGE)
            return 1
    cooked = bflag or eflag or nflag or sflag or tflag or vflag
    rval = 0
    st = {"prev": 0x0A, "line": 0, "gobble": False}
    for name in files or ["-"]:
        if name == "-":
            fd = 0
        else:
            try:
                fd = libc.open(name, O_RDONLY)
            except OSError:
                libc.warn("%s", name)
                rval = 1
                continue
        try:
            while True:
                data = libc.read(fd, 65536)
                if not data:
                    break
                if cooked:
                    libc.fwrite(_cook(data, st, bflag, eflag, nflag, sflag, tflag, vflag), stdout)
                else:
                    libc.fflush(stdout)
                    libc.write(1, data)
        except OSError:
            libc.warn("%s", "stdin" if name == "-" else name)
            rval = 1
        finally:
            if fd != 0:
                libc.close(fd)
    return rval
