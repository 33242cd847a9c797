"""diag: the one error type for configuration files (lab files, rc.conf, scripts).

Every mistake in a file a user writes is reported as one line naming the
file, the line and what was expected::

    labs/demo.toml:12: segment "lan1" is not defined (segments: lan0)

The front (``kamebox``) prints ``str(err)`` on stderr and exits with status 2;
it never shows a traceback for a :class:`ConfigError`.
"""
from __future__ import annotations

from typing import Any


class ConfigError(Exception):
    """A mistake in a configuration file: ``path:line: message``."""

    def __init__(self, path: str, line: int, message: str) -> None:
        super().__init__(path, line, message)
        self.path = path
        self.line = line            # 0: about the whole file (it cannot be read)
        self.message = message

    def __str__(self) -> str:
        if self.line <= 0:
            return f"{self.path}: {self.message}"
        return f"{self.path}:{self.line}: {self.message}"


def show(value: Any) -> str:
    """A value as it was written in TOML (strings in double quotes, true/false)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {show(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(show(v) for v in value) + "]"
    return str(value)
