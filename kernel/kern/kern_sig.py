"""Signals (sys/kern/kern_sig.c).

``psignal(p, sig)`` posts a signal.  A process asleep in an interruptible
``tsleep`` is woken: the sleep returns EINTR, or ERESTART when the signal is
caught by a handler installed with SA_RESTART (BSD ``signal(3)`` does that),
so the syscall is restarted after the handler ran.  Signals are acted on when
the process returns from a syscall (``postsig``, called by the trap in
syscalls.py): the default action terminates (``sigexit``), a handler runs in
the process's greenlet, in user mode, before the interrupted syscall returns
to the program.

Stop signals (SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU) are not supported: their
default action is to ignore them.

kill(2), sigaction(2), sigprocmask(2), sigpending(2) and sigsuspend(2) are here.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from kernel.kern.kern_proc import P_SYSTEM, SSLEEP, SZOMB, exit_unwind, pfind, pgfind, proc
from kernel.kern.kern_synch import setrunnable, tsleep
from kernel.kern.subr_prf import LOG_INFO, log
from kernel.wire.errno import EINTR, EINVAL, EPERM, ERESTART, ESRCH, oserror
from kernel.wire.signal import (
    NSIG, SA_NODEFER, SA_RESETHAND, SA_RESTART, SIG_BLOCK, SIG_DFL, SIG_IGN, SIG_SETMASK,
    SIG_UNBLOCK, SIGABRT, SIGBUS, SIGCHLD, SIGCONT, SIGEMT, SIGFPE, SIGHUP, SIGILL, SIGINFO,
    SIGINT, SIGIO, SIGKILL, SIGPIPE, SIGPROF, SIGQUIT, SIGSEGV, SIGSTOP, SIGSYS, SIGTERM,
    SIGTRAP, SIGTSTP, SIGTTIN, SIGTTOU, SIGURG, SIGUSR1, SIGUSR2, SIGVTALRM, SIGWINCH,
    SIGXCPU, SIGXFSZ, SIGALRM, sigaction_t, sigmask,
)
from kernel.wire.wait import WCOREFLAG

if TYPE_CHECKING:  # pragma: no cover
    from kernel.kern.init_main import Kernel

# Signal properties (sigproptbl in kern_sig.c)
SA_KILL = 0x01        # terminates process by default
SA_CORE = 0x02        # ditto and coredumps
SA_STOP = 0x04        # suspend process
SA_TTYSTOP = 0x08     # ditto, from tty
SA_IGNORE = 0x10      # ignore by default
SA_CONT = 0x20        # continue if suspended

_sigprop = [0] * NSIG
for _s, _p in ((SIGHUP, SA_KILL), (SIGINT, SA_KILL), (SIGQUIT, SA_KILL | SA_CORE),
               (SIGILL, SA_KILL | SA_CORE), (SIGTRAP, SA_KILL | SA_CORE),
               (SIGABRT, SA_KILL | SA_CORE), (SIGEMT, SA_KILL | SA_CORE),
               (SIGFPE, SA_KILL | SA_CORE), (SIGKILL, SA_KILL), (SIGBUS, SA_KILL | SA_CORE),
               (SIGSEGV, SA_KILL | SA_CORE), (SIGSYS, SA_KILL | SA_CORE), (SIGPIPE, SA_KILL),
               (SIGALRM, SA_KILL), (SIGTERM, SA_KILL), (SIGURG, SA_IGNORE),
               (SIGSTOP, SA_STOP), (SIGTSTP, SA_STOP | SA_TTYSTOP), (SIGCONT, SA_IGNORE | SA_CONT),
               (SIGCHLD, SA_IGNORE), (SIGTTIN, SA_STOP | SA_TTYSTOP),
               (SIGTTOU, SA_STOP | SA_TTYSTOP), (SIGIO, SA_IGNORE), (SIGXCPU, SA_KILL),
               (SIGXFSZ, SA_KILL), (SIGVTALRM, SA_KILL), (SIGPROF, SA_KILL),
               (SIGWINCH, SA_IGNORE), (SIGINFO, SA_IGNORE), (SIGUSR1, SA_KILL),
               (SIGUSR2, SA_KILL)):
    _sigprop[_s] = _p
del _s, _p

_CANTMASK = sigmask(SIGKILL) | sigmask(SIGSTOP)


def sigprop(sig: int) -> int:
    return _sigprop[sig] if 0 < sig < NSIG else 0


def _discarded(p: proc, sig: int) -> bool:
    """Would posting ``sig`` to ``p`` do nothing (ignored, or default-ignored)?"""
    if sig == SIGKILL:
        return False
    h = p.p_sigacts[sig].sa_handler
    if h == SIG_IGN:
        return True
    return h == SIG_DFL and bool(_sigprop[sig] & (SA_IGNORE | SA_STOP))


def _sleepret(p: proc, sig: int) -> int:
    act = p.p_sigacts[sig]
    if callable(act.sa_handler) and act.sa_flags & SA_RESTART:
        return ERESTART
    return EINTR


def psignal(p: proc, sig: int) -> None:
    """Post ``sig`` to ``p``; wake it if it sleeps interruptibly."""
    if p.p_stat == SZOMB or p.p_flag & P_SYSTEM or not 0 < sig < NSIG:
        return
    if _discarded(p, sig):
        return
    bit = sigmask(sig)
    p.p_siglist |= bit
    if p.p_stat == SSLEEP and p.td_sintr and (bit & ~p.p_sigmask or sig == SIGKILL):
        setrunnable(p, _sleepret(p, sig))


def pgsignal(k: "Kernel", pgid: int, sig: int) -> int:
    """Signal every member of process group ``pgid``; return how many there were."""
    members = pgfind(k, pgid)
    for p in members:
        psignal(p, sig)
    return len(members)


def cursig_sleepret(td: proc) -> int:
    """What an interruptible sleep returns for the signals already pending."""
    pending = td.p_siglist & ~td.p_sigmask
    if not pending:
        return 0
    sig = (pending & -pending).bit_length()
    return _sleepret(td, sig)


def postsig(td: proc) -> None:
    """Act on the pending, unblocked signals of the running process ``td``.

    Runs in ``td``'s greenlet on the way back from a syscall: handlers are
    called here (user code), a default action that kills raises the exit
    unwind.
    """
    while True:
        pending = td.p_siglist & ~td.p_sigmask
        if not pending:
            return
        sig = (pending & -pending).bit_length()
        bit = 1 << (sig - 1)
        td.p_siglist &= ~bit
        act = td.p_sigacts[sig]
        h = act.sa_handler
        if h == SIG_IGN:
            continue
        if h == SIG_DFL:
            if _sigprop[sig] & SA_KILL:
                sigexit(td, sig)
            continue
        oldmask = td.p_sigmask
        td.p_sigmask |= act.sa_mask | (0 if act.sa_flags & SA_NODEFER else bit)
        td.p_sigmask &= ~_CANTMASK
        if act.sa_flags & SA_RESETHAND:
            td.p_sigacts[sig] = sigaction_t()
        try:
            h(sig)
        finally:
            td.p_sigmask = oldmask


def sigexit_status(td: proc, sig: int) -> int:
    """The wait status of death by ``sig``; a core-dumping signal is logged as
    FreeBSD does (kern.logsigexit)."""
    xstat = sig
    if _sigprop[sig] & SA_CORE:
        xstat |= WCOREFLAG
        k = td.p_kernel
        if k.logsigexit:
            log(k, LOG_INFO, f"pid {td.p_pid} ({td.p_comm}), uid {td.p_ucred.cr_uid}: "
                             f"exited on signal {sig} (core dumped)\n")
    return xstat


def sigexit(td: proc, sig: int) -> None:
    """Terminate ``td`` by ``sig``: unwind its user code."""
    raise exit_unwind(sigexit_status(td, sig))


def siginit_exec(p: proc) -> None:
    """execve: caught signals revert to the default action (ignored stay ignored)."""
    for i in range(1, NSIG):
        act = p.p_sigacts[i]
        if callable(act.sa_handler):
            p.p_sigacts[i] = sigaction_t()


# -- syscalls -------------------------------------------------------------------
def _checksig(sig: object, zero_ok: bool = False) -> int:
    if type(sig) is not int or not (0 if zero_ok else 1) <= sig < NSIG:
        raise oserror(EINVAL)
    return sig


def sys_kill(td: proc, pid: int, sig: int) -> int:
    """kill(2): pid > 0 one process, 0 the caller's group, -1 everyone, < -1 group -pid."""
    k = td.p_kernel
    sig = _checksig(sig, zero_ok=True)
    if type(pid) is not int:
        raise oserror(EINVAL)
    if pid > 0:
        p = pfind(k, pid)
        if p is None or p.p_stat == SZOMB:
            raise oserror(ESRCH)
        if (p.p_flag & P_SYSTEM or p.p_pid == 1) and sig in (SIGKILL, SIGSTOP):
            raise oserror(EPERM)                # init cannot be killed or stopped
        if sig:
            psignal(p, sig)
        return 0
    if pid == -1:
        targets = [p for p in k.allproc.values()
                   if p is not td and not p.p_flag & P_SYSTEM and p.p_pid != 1
                   and p.p_stat != SZOMB]
    else:
        targets = pgfind(k, td.p_pgid if pid == 0 else -pid)
    if not targets:
        raise oserror(ESRCH)
    if sig:
        for p in targets:
            psignal(p, sig)
    return 0


def sys_sigaction(td: proc, sig: int, act: Optional[sigaction_t] = None) -> sigaction_t:
    """sigaction(2): install ``act`` (if given); return the previous action."""
    sig = _checksig(sig)
    old = td.p_sigacts[sig]
    oldcopy = sigaction_t(old.sa_handler, old.sa_flags, old.sa_mask)
    if act is None:
        return oldcopy
    if sig in (SIGKILL, SIGSTOP):
        raise oserror(EINVAL)
    h = getattr(act, "sa_handler", None)
    if not (h == SIG_DFL or h == SIG_IGN or callable(h)):
        raise oserror(EINVAL)
    try:
        new = sigaction_t(h, int(act.sa_flags), int(act.sa_mask) & ~_CANTMASK)
    except (TypeError, ValueError, AttributeError):
        raise oserror(EINVAL) from None
    td.p_sigacts[sig] = new
    if _discarded(td, sig):
        td.p_siglist &= ~sigmask(sig)
    return oldcopy


def sys_sigprocmask(td: proc, how: int, mask: Optional[int] = None) -> int:
    """sigprocmask(2): returns the old mask."""
    old = td.p_sigmask
    if mask is None:
        return old
    if type(mask) is not int:
        raise oserror(EINVAL)
    if how == SIG_BLOCK:
        td.p_sigmask |= mask
    elif how == SIG_UNBLOCK:
        td.p_sigmask &= ~mask
    elif how == SIG_SETMASK:
        td.p_sigmask = mask
    else:
        raise oserror(EINVAL)
    td.p_sigmask &= ~_CANTMASK
    return old


def sys_sigpending(td: proc) -> int:
    return td.p_siglist & td.p_sigmask


def sys_sigsuspend(td: proc, mask: int) -> int:
    """sigsuspend(2): wait for a signal with ``mask`` in place; always EINTR."""
    if type(mask) is not int:
        raise oserror(EINVAL)
    k = td.p_kernel
    old = td.p_sigmask
    td.p_sigmask = mask & ~_CANTMASK
    try:
        chan = object()
        while tsleep(k, chan, 0, "pause") == 0:
            pass
        postsig(td)          # handlers run with the temporary mask, as in BSD
    finally:
        td.p_sigmask = old
    raise oserror(EINTR)


def signal_child_exit(parent: proc) -> None:
    """Tell ``parent`` one of its children died (SIGCHLD)."""
    psignal(parent, SIGCHLD)


def kill(k: "Kernel", pid: int, sig: int) -> bool:
    """The kernel (or the front) signals process ``pid``: False if there is none."""
    p = pfind(k, pid)
    if p is None or p.p_stat == SZOMB or not 0 <= sig < NSIG:
        return False
    if sig:
        psignal(p, sig)
    return True
