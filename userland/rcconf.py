"""rc.conf(5) reading and rewriting (FreeBSD's rc.subr ``load_rc_config``, sysrc(8)).

FreeBSD's boot scripts *source* /etc/defaults/rc.conf and /etc/rc.conf with
sh.  kamebox's /etc/rc is a program, not a shell, so it reads the subset of
sh that rc.conf files use.  This is the one reader of that syntax: /etc/rc
(userland/etc_rc.py) sources the files with it, and the front (emu/lab.py)
reads an image's rc.conf with it and writes a lab file's ``[host.NAME.rc]``
values into it (:func:`apply_overrides`, what sysrc(8) does):

- assignments ``name=value``, several per line if you like (``a=1 b=2``),
  separated by blanks or ``;``;
- values made of double-quoted parts (``"..."``: ``\\"``, ``\\\\``, ``\\$``,
  ``\\```` and backslash-newline are escapes, ``$name`` and ``${name}``
  expand), single-quoted parts (``'...'``: literal) and unquoted parts
  (``\\x`` is ``x``; ``$name`` and ``${name}`` expand), concatenated:
  ``a="x"'y'z``;
- ``#`` comments (at the start of a word), blank lines, and backslash-newline
  line continuations anywhere outside single quotes.

Anything else — commands, ``if``, functions, command substitution, other
parameter expansions — is an :class:`RcConfError` (``file:line: message``),
as is an unterminated quote (the line where it opened).  Variables expand
from earlier assignments and from the environment (the defaults), as sh
would; an unset one expands to "".  As with sh, the assignments before an
error stay in effect (:func:`source_rcconf` returns the error and goes on).
``checkyesno`` is rc.subr's.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
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


@dataclass(frozen=True)
class Assignment:
    """One ``name=value`` as written: lines are 1-based and inclusive."""

    name: str
    value: str
    line: int
    end_line: int
    alone: bool          # the only assignment on its (logical) line


@dataclass
class RcConf:
    """The assignments of one rc.conf file, in order, and the variables they set."""

    path: str
    assignments: list[Assignment] = field(default_factory=list)
    vars: dict[str, str] = field(default_factory=dict)

    def get(self, name: str, default: Optional[str] = None) -> Optional[str]:
        return self.vars.get(name, default)

    def __contains__(self, name: str) -> bool:
        return name in self.vars

    def line_of(self, name: str) -> int:
        """Line of the last assignment of ``name`` (0 if not assigned here)."""
        for a in reversed(self.assignments):
            if a.name == name:
                return a.line
        return 0


class _Lexer:
    def __init__(self, text: str, path: str, env: dict[str, str]) -> None:
        self.t = text
        self.path = path
        self.pos = 0
        self.line = 1
        self.env = env                      # updated in place: what sh's environment is
        self.conf = RcConf(path)
        self.pending: list[tuple[str, str, int, int]] = []   # this logical line's

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
        """Blanks and backslash-newline continuations."""
        while True:
            c = self.peek()
            if c in _BLANK:
                self.advance()
            elif c == "\\" and self.peek(1) == "\n":
                self.advance(2)
            else:
                return

    def run(self) -> RcConf:
        while True:
            self.skip_blanks()
            c = self.peek()
            if c == "" or c == "\n":
                self.flush()
                if c == "":
                    return self.conf
                self.advance()
            elif c == "#":
                while self.peek() not in ("", "\n"):
                    self.advance()
            elif c == ";":
                self.advance()
            else:
                self.assignment()

    def flush(self) -> None:
        """End of a logical line: record its assignments."""
        alone = len(self.pending) == 1
        for name, value, start, end in self.pending:
            self.conf.assignments.append(Assignment(name, value, start, end, alone))
        self.pending.clear()

    def assignment(self) -> None:
        start = self.line
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
        self.conf.vars[name] = value
        self.pending.append((name, value, start, self.line))

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
                    self.advance(2)               # continuation
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
            return "$"                            # a lone $ is literal
        self.advance(m.end() - self.pos)
        return self.env.get(m.group(), "")


def read_rcconf(text: str, path: str = "rc.conf",
                env: Optional[Mapping[str, str]] = None) -> RcConf:
    """The assignments of ``text`` with their lines, and the variables it sets
    (``$x`` expands from ``env``, the defaults, and earlier lines); RcConfError
    on a mistake."""
    return _Lexer(text, path, dict(env or {})).run()


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


# -- rewriting (sysrc(8)) ------------------------------------------------------------------

def quote(value: str) -> str:
    """``value`` as a double-quoted sh word."""
    return '"' + "".join("\\" + c if c in _DQ_ESCAPABLE else c for c in value) + '"'


def apply_overrides(text: str, overrides: Mapping[str, str], path: str = "rc.conf",
                    comment: str = "") -> str:
    """Return ``text`` with each ``name`` of ``overrides`` set to its value.

    As sysrc(8) does, the last assignment of a name is rewritten in place when
    it is the only assignment on its lines; otherwise (or when the name is not
    assigned) a ``name="value"`` line is appended, after ``comment`` (a
    ``# ...`` line) if one is given.  ``text`` must parse (RcConfError).
    """
    if not overrides:
        return text
    conf = read_rcconf(text, path)
    lines = text.split("\n")
    last: dict[str, Assignment] = {}
    for a in conf.assignments:
        last[a.name] = a
    appended: list[str] = []
    replace: dict[int, tuple[int, str]] = {}        # first line -> (last line, new text)
    for name, value in overrides.items():
        a = last.get(name)
        if a is not None and a.alone:
            first = lines[a.line - 1]
            indent = first[:len(first) - len(first.lstrip())]
            tail = lines[a.end_line - 1]
            note = _trailing_comment(tail) if a.line == a.end_line else ""
            replace[a.line] = (a.end_line, f"{indent}{name}={quote(value)}{note}")
        else:
            appended.append(f"{name}={quote(value)}")
    out: list[str] = []
    i = 1
    while i <= len(lines):
        if i in replace:
            end, new = replace[i]
            out.append(new)
            i = end + 1
        else:
            out.append(lines[i - 1])
            i += 1
    result = "\n".join(out)
    if appended:
        if result and not result.endswith("\n"):
            result += "\n"
        if comment:
            result += comment.rstrip("\n") + "\n"
        result += "\n".join(appended) + "\n"
    return result


def _trailing_comment(line: str) -> str:
    """The ``  # ...`` after a single assignment on ``line``, kept when rewriting it."""
    m = re.search(r"(\s+#[^\"']*)$", line)
    return m.group(1) if m else ""


__all__ = ["RcConfError", "Assignment", "RcConf", "read_rcconf", "parse_rcconf",
           "source_rcconf", "checkyesno", "quote", "apply_overrides"]
