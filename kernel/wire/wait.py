"""<sys/wait.h>: wait4 options and the status word (FreeBSD encoding).

A status is ``exit_code << 8`` for a normal exit, or the signal number (with
WCOREFLAG when a core was dumped) for a death by signal.
"""
from __future__ import annotations

WNOHANG = 1
WUNTRACED = 2
WSTOPPED = WUNTRACED
WCONTINUED = 4
WNOWAIT = 8
WEXITED = 16
WTRAPPED = 32

WAIT_ANY = -1
WAIT_MYPGRP = 0

WCOREFLAG = 0o200
_WSTOPPED = 0o177


def W_EXITCODE(ret: int, sig: int) -> int:
    return (ret << 8) | sig


def _WSTATUS(s: int) -> int:
    return s & 0o177


def WIFEXITED(s: int) -> bool:
    return _WSTATUS(s) == 0


def WEXITSTATUS(s: int) -> int:
    return (s >> 8) & 0xFF


def WIFSIGNALED(s: int) -> bool:
    return _WSTATUS(s) != _WSTOPPED and _WSTATUS(s) != 0 and s != 0x13


def WTERMSIG(s: int) -> int:
    return _WSTATUS(s)


def WCOREDUMP(s: int) -> bool:
    return bool(s & WCOREFLAG)


def WIFSTOPPED(s: int) -> bool:
    return _WSTATUS(s) == _WSTOPPED


def shell_status(s: int) -> int:
    """The ``$?`` a shell shows: the exit code, or 128 + the signal number."""
    return WEXITSTATUS(s) if WIFEXITED(s) else 128 + WTERMSIG(s)
