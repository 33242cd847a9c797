"""rc.conf(5) reading for /etc/rc (FreeBSD's rc.subr ``load_rc_config``).

FreeBSD's boot scripts *source* /etc/defaults/rc.conf and /etc/rc.conf with
sh.  kamebox's /etc/rc is a program, not a shell, so it reads the subset of
sh that rc.conf files use — the same subset the front accepts in images and
lab files (emu/rcconf.py, which may not be imported from userland; the two
are tested to agree):

- assignments ``name=value``, several per line, separated by blanks or ``;``;
- double-quoted parts (``\\"``, ``\\\\``, ``\\$``, ``\\```` and
  backslash-newline are escapes; ``$name`` and ``${name}`` expand),
  single-quoted parts (literal) and unquoted parts (``\\x`` is ``x``),
  concatenated;
- ``#`` comments, blank lines, backslash-newline continuations.

Anything else is an :class:`RcConfError` (``file:line: message``).  As sh
would, the assignments before the error stay in effect (:func:`load_rc_config`
collects the errors and goes on).  ``checkyesno`` is rc.subr's.
"""
from __future__ import annotations

import re
from typing import Mapping, Optional

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ASSIGN = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)=")
_DQ_ESCAPABLE = '"\\$`'
_BLANK = (" ", "\t", "\r")
_END = ("", "\n", " ", "\t", "\r", ";")


class RcConfError(ValueError):
    """A syntax error in an rc.conf file: ``path:line: message``."""

    def __init__(self, path: str, line: int, message: str) -> None:
        super().__init__(path, line, message)
        self.path = path
        self.line = line
        self.message = message

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class _Lexer:
    def __init__(self, text: str, path: str, env: dict[str, str]) -> None:
        self.t = text
        self.path = path
        self.pos = 0
        self.line = 1
        self.env = env                      # updated in place: what sh's environment is

    def error(self, message: str, line: Optional[int] = None) -> RcConfError:
        return RcConfError(self.path, line or self.line, message)

    def peek(self, k: int = 0) -> str:
        p = self.pos + k
        return self.t[p] if p < len(self.t) else ""

    def advance(self, n: int = 1) -> None:
        for _ in range(n):
            if self.t[self.pos] == "\n":
                self.line += 1
            self.pos += 1

    def skip_blanks(self) -> None:
        while True:
            c = self.peek()
            if c in _BLANK:
                self.advance()
            elif c == "\\" and self.peek(1) == "\n":
                self.advance(2)
            else:
                return

    def run(self) -> None:
        while True:
            self.skip_blanks()
            c = self.peek()
            if c == "":
                return
            if c in ("\n", ";"):
                self.advance()
            elif c == "#":
                while self.peek() not in ("", "\n"):
                    self.advance()
            else:
                self.assignment()

    def assignment(self) -> None:
        m = _ASSIGN.match(self.t, self.pos)
        if m is None:
            if self.peek() in "|&<>()`":
                raise self.error(f"unexpected {self.peek()!r}: only variable assignments "
                                 f"are supported")
            word = re.match(r"[^\s;#]*", self.t[self.pos:]).group()   # type: ignore[union-attr]
            raise self.error(f"expected an assignment like name=\"value\", got {word!r}"
                             if word else f"unexpected {self.peek()!r}")
        name = m.group(1)
        self.advance(m.end() - self.pos)
        value = self.word()
        if self.peek() not in _END and not (self.peek() == "\\" and self.peek(1) == "\n"):
            raise self.error(f"{name}: unexpected {self.peek()!r} after the value")
        self.env[name] = value

    def word(self) -> str:
        out: list[str] = []
        while True:
            c = self.peek()
            if c in _END:
                return "".join(out)
            if c == "'":
                opened = self.line
                self.advance()
                end = self.t.find("'", self.pos)
                if end < 0:
                    raise self.error("unterminated single quote", opened)
                out.append(self.t[self.pos:end])
                self.advance(end + 1 - self.pos)
            elif c == '"':
                out.append(self.double_quoted())
            elif c == "\\":
                if self.peek(1) == "\n":
                    self.advance(2)
                elif self.peek(1) == "":
                    raise self.error("a backslash at the end of the file")
                else:
                    out.append(self.peek(1))
                    self.advance(2)
            elif c == "$":
                out.append(self.expansion())
            elif c == "`":
                raise self.error("command substitution (`...`) is not supported in rc.conf")
            elif c in "|&<>()":
                raise self.error(f"unexpected {c!r}: only variable assignments are supported")
            else:
                out.append(c)
                self.advance()

    def double_quoted(self) -> str:
        opened = self.line
        self.advance()
        out: list[str] = []
        while True:
            c = self.peek()
            if c == "":
                raise self.error("unterminated double quote", opened)
            if c == '"':
                self.advance()
                return "".join(out)
            if c == "\\":
                nxt = self.peek(1)
                if nxt == "\n":
                    self.advance(2)
                elif nxt and nxt in _DQ_ESCAPABLE:
                    out.append(nxt)
                    self.advance(2)
                else:
                    out.append(c)
                    self.advance()
            elif c == "$":
                out.append(self.expansion())
            elif c == "`":
                raise self.error("command substitution (`...`) is not supported in rc.conf")
            else:
                out.append(c)
                self.advance()

    def expansion(self) -> str:
        self.advance()                            # $
        if self.peek() == "{":
            end = self.t.find("}", self.pos)
            inner = self.t[self.pos + 1:end] if end >= 0 else ""
            if end < 0 or "\n" in inner:
                raise self.error("unterminated ${")
            if not _NAME.fullmatch(inner):
                raise self.error(f"${{{inner}}}: only ${{name}} expansions are supported")
            self.advance(end + 1 - self.pos)
            return self.env.get(inner, "")
        if self.peek() == "(":
            raise self.error("command substitution ($(...)) is not supported in rc.conf")
        m = _NAME.match(self.t, self.pos)
        if m is None:
            return "$"
        self.advance(m.end() - self.pos)
        return self.env.get(m.group(), "")


def parse_rcconf(text: str, path: str = "rc.conf",
                 env: Optional[Mapping[str, str]] = None) -> dict[str, str]:
    """The variables after sourcing ``text`` over ``env``; RcConfError on a mistake."""
    out = dict(env or {})
    _Lexer(text, path, out).run()
    return out


def source_rcconf(text: str, path: str, env: dict[str, str]) -> Optional[RcConfError]:
    """Source ``text`` into ``env`` (in place), as sh's ``.`` does: the
    assignments before a mistake stay; the mistake is returned."""
    try:
        _Lexer(text, path, env).run()
    except RcConfError as e:
        return e
    return None


def checkyesno(value: Optional[str]) -> bool:
    """rc.subr's checkyesno: YES/TRUE/ON/1 (any case) is true, anything else false."""
    return (value or "").strip().lower() in ("yes", "true", "on", "1")


__all__ = ["RcConfError", "parse_rcconf", "source_rcconf", "checkyesno"]
