"""<signal.h> and <sys/signal.h>: FreeBSD signal numbers, names, sigaction.

Shared by the kernel (kern_sig.py) and userland (libc ``signal``/``sigaction``,
``kill``).  A handler is a Python callable taking the signal number, or one of
SIG_DFL / SIG_IGN.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Union

SIGHUP = 1
SIGINT = 2
SIGQUIT = 3
SIGILL = 4
SIGTRAP = 5
SIGABRT = 6
SIGIOT = SIGABRT
SIGEMT = 7
SIGFPE = 8
SIGKILL = 9
SIGBUS = 10
SIGSEGV = 11
SIGSYS = 12
SIGPIPE = 13
SIGALRM = 14
SIGTERM = 15
SIGURG = 16
SIGSTOP = 17
SIGTSTP = 18
SIGCONT = 19
SIGCHLD = 20
SIGTTIN = 21
SIGTTOU = 22
SIGIO = 23
SIGXCPU = 24
SIGXFSZ = 25
SIGVTALRM = 26
SIGPROF = 27
SIGWINCH = 28
SIGINFO = 29
SIGUSR1 = 30
SIGUSR2 = 31
NSIG = 32

# sys_signame / sys_siglist (lib/libc/gen/siglist.c)
sys_signame = ["Signal 0", "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "EMT", "FPE",
               "KILL", "BUS", "SEGV", "SYS", "PIPE", "ALRM", "TERM", "URG", "STOP",
               "TSTP", "CONT", "CHLD", "TTIN", "TTOU", "IO", "XCPU", "XFSZ", "VTALRM",
               "PROF", "WINCH", "INFO", "USR1", "USR2"]
sys_siglist = ["Signal 0", "Hangup", "Interrupt", "Quit", "Illegal instruction",
               "Trace/BPT trap", "Abort trap", "EMT trap", "Floating point exception",
               "Killed", "Bus error", "Segmentation fault", "Bad system call",
               "Broken pipe", "Alarm clock", "Terminated", "Urgent I/O condition",
               "Suspended (signal)", "Suspended", "Continued", "Child exited",
               "Stopped (tty input)", "Stopped (tty output)", "I/O possible",
               "Cputime limit exceeded", "Filesize limit exceeded",
               "Virtual timer expired", "Profiling timer expired",
               "Window size changes", "Information request",
               "User defined signal 1", "User defined signal 2"]
sys_nsig = NSIG

SIG_DFL = 0
SIG_IGN = 1
SIG_ERR = -1

Handler = Union[int, Callable[[int], Any]]

# sa_flags
SA_ONSTACK = 0x0001
SA_RESTART = 0x0002
SA_RESETHAND = 0x0004
SA_NOCLDSTOP = 0x0008
SA_NODEFER = 0x0010
SA_NOCLDWAIT = 0x0020
SA_SIGINFO = 0x0040

# sigprocmask(2) how
SIG_BLOCK = 1
SIG_UNBLOCK = 2
SIG_SETMASK = 3


def sigmask(sig: int) -> int:
    """The bit of ``sig`` in a signal set (an int bitmask here)."""
    return 1 << (sig - 1)


@dataclass
class sigaction_t:
    """``struct sigaction``: handler, flags, and the mask held while it runs."""

    sa_handler: Handler = SIG_DFL
    sa_flags: int = 0
    sa_mask: int = 0


def signame_to_signum(name: str) -> int:
    """"INT", "sigint", "SIGINT" -> 2; -1 if unknown (kill(1)'s lookup)."""
    n = name.upper()
    if n.startswith("SIG"):
        n = n[3:]
    for i in range(1, NSIG):
        if sys_signame[i] == n:
            return i
    return -1
