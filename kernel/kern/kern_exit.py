"""Process exit and wait (sys/kern/kern_exit.c).

``exit1`` closes the descriptors, hands the children to init, and turns the
process into a zombie its parent collects with wait4(2) — unless the parent
is init (or ignores SIGCHLD), which reaps at once.  Either way the proc
object keeps ``p_xstat`` for whoever holds it (the front).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from kernel.kern.kern_descrip import fdfree
from kernel.kern.kern_proc import P_SYSTEM, P_WEXIT, SZOMB, exit_unwind, leavepgrp_check, proc
from kernel.kern.kern_sig import psignal
from kernel.kern.kern_synch import tsleep, unsleep, wakeup
from kernel.kern.kern_time import itimer_stop
from kernel.kern.sys_generic import seldrop
from kernel.wire.errno import ECHILD, EINVAL, oserror
from kernel.wire.signal import SA_NOCLDWAIT, SIG_IGN, SIGCHLD
from kernel.wire.wait import WNOHANG, W_EXITCODE

if TYPE_CHECKING:  # pragma: no cover
    from kernel.kern.init_main import Kernel


def proc_reap(k: "Kernel", p: proc) -> None:
    """Remove zombie ``p`` from the process table and its parent's children."""
    k.allproc.pop(p.p_pid, None)
    parent = p.p_pptr
    if parent is not None:
        try:
            parent.p_children.remove(p)
        except ValueError:
            pass


def _autoreap(parent: proc) -> bool:
    if parent.p_pid == 1 and parent.p_flag & P_SYSTEM:
        return True                             # the kernel's pid 1: no /sbin/init running
    act = parent.p_sigacts[SIGCHLD]
    return act.sa_handler == SIG_IGN or bool(act.sa_flags & SA_NOCLDWAIT)


def exit1(td: proc, xstat: int) -> None:
    """The process is done: release everything, become a zombie, tell the parent."""
    k = td.p_kernel
    if td.p_stat == SZOMB:
        return
    td.p_flag |= P_WEXIT
    itimer_stop(td)
    unsleep(td)
    seldrop(td)
    fdfree(td)
    td.p_xstat = xstat
    td.p_stat = SZOMB
    td.p_siglist = 0
    tp = td.p_ttyp
    if tp is not None and td.p_sid == td.p_pid and tp.t_session == td.p_sid:
        tp.t_session = 0
    leavepgrp_check(k, td)
    init = k.initproc
    for c in list(td.p_children):
        c.p_pptr = init
        if c.p_stat == SZOMB:
            k.allproc.pop(c.p_pid, None)
        else:
            init.p_children.append(c)
    td.p_children = []
    parent = td.p_pptr
    if parent is None or _autoreap(parent):
        proc_reap(k, td)
        if parent is not None and parent.p_pid != 1:
            wakeup(k, parent)
    else:
        psignal(parent, SIGCHLD)
        wakeup(k, parent)
    hooks, td.p_exit_hooks = td.p_exit_hooks, []
    for fn in hooks:
        fn(td)


def sys_exit(td: proc, status: int = 0) -> None:
    """_exit(2)."""
    if type(status) is not int:
        status = 1
    raise exit_unwind(W_EXITCODE(status & 0xFF, 0))


def sys_wait4(td: proc, pid: int = -1, options: int = 0) -> tuple[int, int]:
    """wait4(2): (pid, status) of a child that exited; (0, 0) with WNOHANG if none yet."""
    if type(pid) is not int or type(options) is not int or options & ~0x3F:
        raise oserror(EINVAL)
    k = td.p_kernel
    while True:
        found = False
        for c in td.p_children:
            if pid > 0 and c.p_pid != pid:
                continue
            if pid == 0 and c.p_pgid != td.p_pgid:
                continue
            if pid < -1 and c.p_pgid != -pid:
                continue
            found = True
            if c.p_stat == SZOMB:
                proc_reap(k, c)
                return c.p_pid, c.p_xstat
        if not found:
            raise oserror(ECHILD)
        if options & WNOHANG:
            return 0, 0
        err = tsleep(k, td, 0, "wait")
        if err:
            raise oserror(err)
