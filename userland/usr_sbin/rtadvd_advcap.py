"""rtadvd.conf(5) as termcap(5) reads it (usr.sbin/rtadvd/advcap.c).

The file is a list of entries, one per interface (or a name other entries
refer to).  An entry is one logical line: a physical line ending with ``\\``
continues on the next one.  Lines starting with ``#`` are comments.  An
entry is fields separated by ``:``; the first field is the entry's names
(``ef0|eth0|the first ethernet``), each other field a capability:

- ``name#number``: a number (decimal; octal with a leading 0, hex with 0x);
- ``name=string``: a string, with termcap's escapes (``\\E`` ``\\n`` ``\\r``
  ``\\t`` ``\\b`` ``\\f`` ``\\\\`` ``\\:`` ``\\^`` ``\\"`` ``\\nnn`` octal,
  ``^X`` control) — inside double quotes a ``:`` does not end the field, which
  is why IPv6 addresses are written ``addr="2001:db8::"``;
- ``name``: a flag;
- ``name@``: the capability is cancelled (``tc=`` entries cannot add it back);
- ``tc=other``: the fields of entry ``other`` follow (inheritance, at most
  32 levels deep: FreeBSD's MAXHOP).

The first occurrence of a capability in an entry wins.  :class:`Termcap`
remembers the line of every field, so that a mistake is reported as
``FILE:LINE: what was expected`` (:class:`CapError`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

MAXHOP = 32                 # advcap.c: "max number of tc= indirections"
_ESCAPES = {"E": "\033", "^": "^", "\\": "\\", ":": ":", "n": "\n", "r": "\r", "t": "\t",
            "b": "\b", "f": "\f", '"': '"'}


class CapError(Exception):
    """A mistake in the file: ``path:line: message``."""

    def __init__(self, path: Optional[str], line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}" if path else message)
        self.path = path
        self.line = line
        self.message = message


@dataclass
class Field:
    text: str               # the raw field, quotes and escapes as written
    line: int               # where it starts in the file


@dataclass
class Entry:
    names: list[str]
    fields: list[Field] = field(default_factory=list)
    line: int = 0


def _split_fields(text: str, lines: list[int], path: str) -> list[Field]:
    """Split a logical line on ``:`` outside double quotes (advcap.c tskip);
    ``lines[i]`` is the file line of ``text[i]``."""
    out: list[Field] = []
    cur: list[str] = []
    start = 0
    quoted = False
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c == "\\" and i + 1 < n:
            cur.append(text[i:i + 2])
            i += 2
            continue
        if c == '"':
            quoted = not quoted
        elif c == ":" and not quoted:
            out.append(Field("".join(cur), lines[start] if start < n else lines[-1]))
            cur = []
            start = i + 1
            i += 1
            continue
        cur.append(c)
        i += 1
    if quoted:
        raise CapError(path, lines[start] if start < n else lines[-1],
                       'expected a closing " before the end of the entry')
    out.append(Field("".join(cur), lines[start] if start < n else (lines[-1] if lines else 1)))
    return out


def _decode(value: str, path: str, line: int) -> str:
    """A string capability's value (advcap.c tdecode): quotes removed, escapes done."""
    out: list[str] = []
    i = 0
    n = len(value)
    while i < n:
        c = value[i]
        i += 1
        if c == '"':
            continue
        if c == "^" and i < n:
            out.append(chr(ord(value[i]) & 0o37))
            i += 1
            continue
        if c == "\\":
            if i >= n:
                raise CapError(path, line, "expected a character after \\")
            e = value[i]
            i += 1
            if e in _ESCAPES:
                out.append(_ESCAPES[e])
            elif e.isdigit():
                j = i - 1
                digits = ""
                while j < n and len(digits) < 3 and value[j] in "01234567":
                    digits += value[j]
                    j += 1
                if not digits:
                    raise CapError(path, line, f"expected an octal escape, got \\{e}")
                out.append(chr(int(digits, 8)))
                i = j
            else:
                out.append(e)
            continue
        out.append(c)
    return "".join(out)


class Termcap:
    """The entries of one termcap-format file."""

    def __init__(self, text: str, path: str) -> None:
        self.path = path
        self.entries: list[Entry] = []
        buf: list[str] = []
        where: list[int] = []
        first = 0
        for lineno, raw in enumerate(text.split("\n"), 1):
            if not buf and (raw.startswith("#") or not raw.strip()):
                continue
            if not buf:
                first = lineno
            line = raw
            cont = line.endswith("\\") and not line.endswith("\\\\")
            if cont:
                line = line[:-1]
            buf.append(line)
            where.extend([lineno] * len(line))
            if cont:
                continue
            self._entry("".join(buf), where, first)
            buf, where = [], []
        if buf:
            raise CapError(path, first, "expected another line after the \\ at the end of "
                                        "the file")

    def _entry(self, text: str, where: list[int], first: int) -> None:
        if not where:
            return
        fields = _split_fields(text, where, self.path)
        names = [n.strip() for n in fields[0].text.split("|") if n.strip()]
        if not names:
            raise CapError(self.path, first, "expected the name of the entry before the "
                                             "first ':'")
        self.entries.append(Entry(names, [f for f in fields[1:]], first))

    def find(self, name: str) -> Optional[Entry]:
        for e in self.entries:
            if name in e.names:
                return e
        return None

    def getent(self, name: str) -> Optional["Cap"]:
        """The capabilities of entry ``name`` with its ``tc=`` entries appended
        (advcap.c tgetent + tnchktc), or None if there is no such entry."""
        e = self.find(name)
        if e is None:
            return None
        fields = list(e.fields)
        hops = 0
        while True:
            tc = None
            for i in range(len(fields) - 1, -1, -1):
                t = fields[i].text.strip()
                if not t:
                    continue
                if t.startswith("tc="):
                    tc = (i, fields[i])
                break
            if tc is None:
                break
            i, f = tc
            hops += 1
            if hops > MAXHOP:
                raise CapError(self.path, f.line, f"expected at most {MAXHOP} tc= "
                                                  f"indirections (infinite tc= loop?)")
            other = self.find(_decode(f.text.strip()[3:], self.path, f.line))
            if other is None:
                raise CapError(self.path, f.line, f"expected an entry named "
                                                  f"{f.text.strip()[3:]!r} for tc=")
            fields = fields[:i] + list(other.fields)
        return Cap(name, fields, self.path, e.line)


class Cap:
    """One entry's capabilities (advcap.c tgetnum, tgetflag, tgetstr)."""

    def __init__(self, name: str, fields: list[Field], path: Optional[str], line: int) -> None:
        self.name = name
        self.fields = fields
        self.path = path
        self.line = line

    def _find(self, cap: str) -> Optional[Field]:
        for f in self.fields:
            t = f.text.strip()
            if not t.startswith(cap):
                continue
            rest = t[len(cap):]
            if rest == "" or rest[0] in "#=@":
                return None if rest.startswith("@") else f
        return None

    def where(self, cap: str) -> int:
        """The line of capability ``cap`` (the entry's first line if it is not set)."""
        f = self._find(cap)
        return f.line if f is not None else self.line

    def error(self, cap: str, message: str) -> CapError:
        return CapError(self.path, self.where(cap), message)

    def getnum(self, cap: str) -> Optional[int]:
        """``cap#N``; None when absent (or given as a string or flag)."""
        f = self._find(cap)
        if f is None:
            return None
        t = f.text.strip()[len(cap):]
        if not t.startswith("#"):
            return None
        v = t[1:].strip()
        try:
            if v.lower().startswith("0x") and len(v) > 2:
                return int(v[2:], 16)
            if len(v) > 1 and v.startswith("0"):
                return int(v[1:], 8)
            if v.isdigit():
                return int(v)
        except ValueError:
            pass
        raise CapError(self.path, f.line, f"expected a number after {cap}#, got {v!r}")

    def getflag(self, cap: str) -> bool:
        f = self._find(cap)
        return f is not None and f.text.strip() == cap

    def getstr(self, cap: str) -> Optional[str]:
        """``cap=string``, decoded; None when absent (or given as a number or flag)."""
        f = self._find(cap)
        if f is None:
            return None
        t = f.text.strip()[len(cap):]
        if not t.startswith("="):
            return None
        return _decode(t[1:], self.path, f.line)

    def has(self, cap: str) -> bool:
        return self._find(cap) is not None


__all__ = ["Termcap", "Cap", "CapError", "Entry", "Field", "MAXHOP"]
