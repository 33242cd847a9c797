"""tomlpos: where each key of a TOML document is, by line.

:mod:`tomllib` parses a document into dicts and lists but keeps no positions,
and a lab file error must name its line (``labs/demo.toml:12: ...``).  This
module walks the text of a document that tomllib has already accepted and
records, for every key path, the line where it is defined:

- a table header ``[host.alice]`` -> ``("host", "alice")``;
- an array-of-tables header ``[[x]]`` -> ``("x", 0)``, ``("x", 1)``, ...;
- a key/value line ``mtu = 1500`` inside ``[segment.lan0]`` ->
  ``("segment", "lan0", "mtu")``; dotted keys give every prefix;
- elements of arrays and keys of inline tables, even across lines:
  ``nic = [{model = "em"}]`` -> ``(..., "nic", 0)``, ``(..., "nic", 0, "model")``.

It is not a TOML parser: it trusts the document to be valid (tomllib said so)
and only tracks strings, comments, brackets and braces well enough to count
lines.  :meth:`Positions.line` falls back to the nearest enclosing key, so a
lookup always gives a useful line.  No imports beyond the standard library.
"""
from __future__ import annotations

import bisect
import re
from typing import Union

Key = Union[str, int]
KeyPath = tuple[Key, ...]

_BARE = re.compile(r"[A-Za-z0-9_-]+")
_ESCAPES = {"b": "\b", "t": "\t", "n": "\n", "f": "\f", "r": "\r", '"': '"', "\\": "\\"}


class Positions:
    """Key path -> 1-based line number of its definition."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines: dict[KeyPath, int] = {}
        self._starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self._aot: dict[KeyPath, int] = {}       # array-of-tables counters
        try:
            self._document()
        except (IndexError, ValueError):          # pragma: no cover - invalid TOML
            pass                                  # keep what was found

    @property
    def last_line(self) -> int:
        return max(1, len(self._starts) - (1 if self.text.endswith("\n") else 0))

    def line(self, path: KeyPath) -> int:
        """Line of ``path``, or of its nearest enclosing key found; 1 if none."""
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return 1

    # -- the walk ----------------------------------------------------------------------
    def _lineno(self, pos: int) -> int:
        return bisect.bisect_right(self._starts, pos)

    def _note(self, path: KeyPath, pos: int) -> None:
        self.lines.setdefault(path, self._lineno(pos))

    def _skip_ws(self, pos: int, newlines: bool = False) -> int:
        t = self.text
        while pos < len(t):
            c = t[pos]
            if c in " \t\r" or (newlines and c == "\n"):
                pos += 1
            elif c == "#" and newlines:
                while pos < len(t) and t[pos] != "\n":
                    pos += 1
            else:
                break
        return pos

    def _document(self) -> None:
        t = self.text
        pos = 0
        table: KeyPath = ()
        while True:
            pos = self._skip_ws(pos, newlines=True)
            if pos >= len(t):
                return
            if t.startswith("[[", pos):
                keys, pos = self._key(pos + 2)
                idx = self._aot.get(tuple(keys), -1) + 1
                base = self._resolve(tuple(keys))
                self._aot[tuple(keys)] = idx
                for i in range(1, len(base)):
                    self._note(base[:i], pos)
                self._note(base, pos)
                table = base + (idx,)
                self._note(table, pos)
                pos = self._skip_ws(pos)
                pos += 2                             # ]]
            elif t[pos] == "[":
                keys, pos = self._key(pos + 1)
                table = self._resolve(tuple(keys))
                for i in range(1, len(table) + 1):
                    self._note(table[:i], pos)
                pos = self._skip_ws(pos) + 1         # ]
            else:
                pos = self._keyval(pos, table)

    def _resolve(self, keys: KeyPath) -> KeyPath:
        """A header under an array of tables refers to its last element."""
        out: list[Key] = []
        for k in keys:
            out.append(k)
            idx = self._aot.get(tuple(k2 for k2 in out if not isinstance(k2, int)))
            if idx is not None and len(out) < len(keys):
                out.append(idx)
        return tuple(out)

    def _key(self, pos: int) -> tuple[list[str], int]:
        t = self.text
        keys: list[str] = []
        while True:
            pos = self._skip_ws(pos)
            if t[pos] == '"':
                s, pos = self._basic_string(pos)
                keys.append(s)
            elif t[pos] == "'":
                end = t.index("'", pos + 1)
                keys.append(t[pos + 1:end])
                pos = end + 1
            else:
                m = _BARE.match(t, pos)
                if m is None:
                    raise ValueError("bad key")
                keys.append(m.group())
                pos = m.end()
            pos = self._skip_ws(pos)
            if pos < len(t) and t[pos] == ".":
                pos += 1
                continue
            return keys, pos

    def _keyval(self, pos: int, table: KeyPath) -> int:
        start = pos
        keys, pos = self._key(pos)
        path = table + tuple(keys)
        for i in range(len(table) + 1, len(path) + 1):
            self._note(path[:i], start)
        pos = self._skip_ws(pos)
        pos += 1                                     # =
        return self._value(self._skip_ws(pos), path)

    def _value(self, pos: int, path: KeyPath) -> int:
        t = self.text
        c = t[pos]
        if c == "{":
            pos += 1
            while True:
                pos = self._skip_ws(pos, newlines=True)
                if t[pos] == "}":
                    return pos + 1
                if t[pos] == ",":
                    pos += 1
                    continue
                pos = self._keyval(pos, path)
        if c == "[":
            pos += 1
            i = 0
            while True:
                pos = self._skip_ws(pos, newlines=True)
                if t[pos] == "]":
                    return pos + 1
                if t[pos] == ",":
                    pos += 1
                    continue
                self._note(path + (i,), pos)
                pos = self._value(pos, path + (i,))
                i += 1
        if t.startswith('"""', pos):
            return self._close_ml(pos + 3, '"""') + 3
        if t.startswith("'''", pos):
            end = t.index("'''", pos + 3)
            while t.startswith("'", end + 3):
                end += 1
            return end + 3
        if c == '"':
            return self._basic_string(pos)[1]
        if c == "'":
            return t.index("'", pos + 1) + 1
        while pos < len(t) and t[pos] not in ",]}\n#":
            pos += 1
        return pos

    def _close_ml(self, pos: int, quote: str) -> int:
        """Position of the closing triple quote of a multi-line basic string."""
        t = self.text
        while True:
            end = t.index(quote, pos)
            # count the backslashes before it: an odd number escapes the first quote
            n = 0
            while t[end - 1 - n] == "\\":
                n += 1
            if n % 2 == 0:
                return end
            pos = end + 1

    def _basic_string(self, pos: int) -> tuple[str, int]:
        t = self.text
        out: list[str] = []
        pos += 1
        while t[pos] != '"':
            if t[pos] == "\\":
                out.append(_ESCAPES.get(t[pos + 1], t[pos + 1]))
                pos += 2
            else:
                out.append(t[pos])
                pos += 1
        return "".join(out), pos + 1


def positions(text: str) -> Positions:
    return Positions(text)
