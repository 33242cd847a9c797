"""Processes: ``struct proc``, the process table, groups and sessions
(sys/kern/kern_proc.c, sys/sys/proc.h).

A kamebox process is one thread: the :class:`proc` is also BSD's ``td``
(syscall handlers take it as ``td``).  Its user code runs in its own greenlet
(:class:`pgreenlet`); the greenlet carries the process (``gr.td``), its trap
gate into the kernel (``gr.trap``, the syscall entry) and its user memory
(``gr.vm``, a :class:`vmspace`).  libc finds all three from
``greenlet.getcurrent()``.

The table is ``k.allproc`` (pid -> proc).  pid 1 is ``init``: until
``start_init`` (kern_fork.py) makes it run /sbin/init, a kernel-held process
without a greenlet (P_SYSTEM) that adopts orphans and reaps them at once;
once /sbin/init runs, it collects them with wait4(2) like any parent.  Either
way a command the front spawns (parent init) leaves its status in the proc
object (``p.p_xstat``, ``p.exit_code``).

The life cycle is split as in BSD: kern_fork.py (spawn), kern_exec.py (image
activation), kern_exit.py (exit, wait4), kern_sig.py (signals),
kern_synch.py (tsleep/wakeup).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Optional

from greenlet import getcurrent, greenlet

from kernel.kern.kern_descrip import filedesc
from kernel.kern.kern_sysctl import SYSCTL_INT, SYSCTL_PROC
from kernel.wire.errno import EAGAIN, EPERM, oserror
from kernel.wire.signal import NSIG, sigaction_t
from kernel.wire.sysctl import CTLTYPE_STRUCT
from kernel.wire.wait import shell_status

if TYPE_CHECKING:  # pragma: no cover
    from kernel.kern.init_main import Kernel

# p_stat (sys/proc.h)
SIDL = 1
SRUN = 2
SSLEEP = 3
SSTOP = 4
SZOMB = 5

# p_flag
P_SYSTEM = 0x00200           # a kernel process (init here): no greenlet, not signalled
P_WEXIT = 0x02000            # working on exiting
P_CONTROLT = 0x00002         # has a controlling terminal

# ki_kiflag
KI_CTTY = 0x00000001
KI_SLEADER = 0x00000002

PID_MAX = 99999
NO_PID = 100000
MAXSLP = 20                  # seconds asleep before ps calls a process idle
MAXCOMLEN = 19


class proc_unwind(BaseException):
    """Control flow that unwinds a process's user code (not an error).

    A BaseException so that ``except Exception`` in a program cannot catch it.
    """


class exit_unwind(proc_unwind):
    """_exit(2), or death by a signal: unwind to the process's bottom frame."""

    def __init__(self, xstat: int) -> None:
        super().__init__(xstat)
        self.xstat = xstat


class exec_unwind(proc_unwind):
    """execve(2) succeeded: drop the old image and start ``image``."""

    def __init__(self, image: Any) -> None:
        super().__init__(image)
        self.image = image


class panic_unwind(proc_unwind):
    """The host panicked while this process was in the kernel."""


class ucred:
    """``struct ucred``: everyone is root in a kamebox host."""

    __slots__ = ("cr_uid", "cr_ruid", "cr_gid", "cr_rgid")

    def __init__(self, uid: int = 0, gid: int = 0) -> None:
        self.cr_uid = self.cr_ruid = uid
        self.cr_gid = self.cr_rgid = gid


class vmspace:
    """A process's user memory: whatever its libc keeps per process.

    The kernel fills ``vm_argv``/``vm_env`` at exec (the initial stack) and
    runs ``vm_atexit`` when ``main`` returns (crt0's ``exit(main(...))``).
    libc adds its own attributes (stdio buffers, errno, ...).
    """

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        self.vm_argv = argv
        self.vm_env = env
        self.vm_atexit: list[Callable[[], None]] = []


class pgreenlet(greenlet):
    """The greenlet a process's user code runs in (``td``, ``trap``, ``vm``)."""


class proc:
    """``struct proc`` + ``struct thread``."""

    __slots__ = (
        "p_kernel", "p_pid", "p_pptr", "p_children", "p_comm", "p_argv", "p_stat",
        "p_flag", "p_xstat", "p_fd", "p_pgid", "p_sid", "p_ttyp", "p_ucred",
        "p_siglist", "p_sigmask", "p_sigacts", "p_gr", "p_trap", "p_vmspace",
        "p_image", "p_start", "p_itimer", "p_itimer_interval", "p_exit_hooks",
        "td_wchan", "td_wmesg", "td_slptime", "td_timeout", "td_sintr",
        "td_wakeval", "td_selchan", "td_selq", "td_runev",
    )

    def __init__(self, k: "Kernel", pid: int, comm: str, argv: list[str]) -> None:
        self.p_kernel = k
        self.p_pid = pid
        self.p_pptr: Optional[proc] = None
        self.p_children: list[proc] = []
        self.p_comm = comm[:MAXCOMLEN]
        self.p_argv = argv
        self.p_stat = SIDL
        self.p_flag = 0
        self.p_xstat = 0
        self.p_fd: Any = None                # filedesc (kern_descrip.py)
        self.p_pgid = pid
        self.p_sid = pid
        self.p_ttyp: Any = None              # controlling terminal (tty.py)
        self.p_ucred = ucred()
        self.p_siglist = 0                   # pending signals (bitmask)
        self.p_sigmask = 0                   # blocked signals
        self.p_sigacts = [sigaction_t() for _ in range(NSIG)]
        self.p_gr: Optional[pgreenlet] = None
        self.p_trap: Optional[Callable[..., Any]] = None
        self.p_vmspace: Optional[vmspace] = None
        self.p_image: Any = None
        self.p_start = k.now()
        self.p_itimer: Any = None            # ITIMER_REAL event
        self.p_itimer_interval = 0
        self.p_exit_hooks: list[Callable[["proc"], None]] = []
        # thread part: sleep state (kern_synch.py), select (sys_generic.py)
        self.td_wchan: Any = None
        self.td_wmesg = ""
        self.td_slptime = 0
        self.td_timeout: Any = None
        self.td_sintr = False
        self.td_wakeval: Any = 0
        self.td_selchan = object()           # what select/poll sleep on
        self.td_selq: list = []              # selinfo sets this thread is recorded in
        self.td_runev: Any = None            # pending "switch into me" event

    def __repr__(self) -> str:
        return f"<proc {self.p_pid} ({self.p_comm}) stat={self.p_stat}>"

    # -- for the front ---------------------------------------------------------
    @property
    def p_ppid(self) -> int:
        return self.p_pptr.p_pid if self.p_pptr is not None else 0

    @property
    def exited(self) -> bool:
        return self.p_stat == SZOMB

    @property
    def exit_code(self) -> Optional[int]:
        """``$?`` as a shell shows it (128 + signal for a death by signal)."""
        return shell_status(self.p_xstat) if self.p_stat == SZOMB else None

    def on_exit(self, fn: Callable[["proc"], None]) -> None:
        """Call ``fn(p)`` when this process exits (or now, if it has)."""
        if self.p_stat == SZOMB:
            fn(self)
        else:
            self.p_exit_hooks.append(fn)


def curproc() -> Optional[proc]:
    """The process whose greenlet is running, or None in interrupt context."""
    return getattr(getcurrent(), "td", None)


def pfind(k: "Kernel", pid: int) -> Optional[proc]:
    return k.allproc.get(pid)


def pgfind(k: "Kernel", pgid: int) -> list[proc]:
    """The members of process group ``pgid`` (live processes only)."""
    return [p for p in k.allproc.values() if p.p_pgid == pgid and p.p_stat != SZOMB]


def pid_alloc(k: "Kernel") -> int:
    """The next free pid after ``lastpid``, wrapping to 100 (kern_fork.c)."""
    pid = k.lastpid
    busy = k.allproc
    for _ in range(PID_MAX):
        pid += 1
        if pid > PID_MAX:
            pid = 100
        if pid not in busy and not any(p.p_pgid == pid or p.p_sid == pid for p in busy.values()):
            k.lastpid = pid
            return pid
    raise oserror(EAGAIN)          # unreachable with maxproc < PID_MAX


def priv_check(td: Optional[proc], priv: int = 0) -> int:
    """priv_check(9): 0 if ``td`` may do privileged operation ``priv``, else EPERM.

    Everyone is root in a kamebox host; protocols call this where BSD does
    (raw sockets, interface configuration) so the check can be tightened.
    """
    if td is None:
        return 0
    return 0 if td.p_ucred.cr_uid == 0 else EPERM


def enterpgrp(p: proc, pgid: int) -> None:
    p.p_pgid = pgid


def leavepgrp_check(k: "Kernel", p: proc) -> None:
    """After ``p`` left its group: a terminal whose foreground group is now
    empty has no foreground group."""
    tp = p.p_ttyp
    if tp is not None and tp.t_pgrp == p.p_pgid and not pgfind(k, p.p_pgid):
        tp.t_pgrp = 0


# -- ps: kern.proc.all ----------------------------------------------------------
def kinfo_proc(p: proc) -> dict[str, Any]:
    """``struct kinfo_proc`` for ps(1), as a dict."""
    k = p.p_kernel
    tp = p.p_ttyp
    kiflag = 0
    if tp is not None:
        kiflag |= KI_CTTY
    if p.p_sid == p.p_pid:
        kiflag |= KI_SLEADER
    slp = 0
    if p.p_stat == SSLEEP:
        slp = max(0, (k.now() - p.td_slptime) // 1_000_000_000)
    return {
        "ki_pid": p.p_pid, "ki_ppid": p.p_ppid, "ki_pgid": p.p_pgid, "ki_sid": p.p_sid,
        "ki_tdev": tp.t_name if tp is not None else None,
        "ki_tpgid": tp.t_pgrp if tp is not None else -1,
        "ki_stat": p.p_stat, "ki_flag": p.p_flag, "ki_kiflag": kiflag,
        "ki_comm": p.p_comm, "ki_args": list(p.p_argv),
        "ki_wmesg": p.td_wmesg if p.p_stat == SSLEEP else "",
        "ki_sintr": p.td_sintr, "ki_slptime": slp,
        "ki_start": p.p_start, "ki_runtime": 0, "ki_uid": p.p_ucred.cr_uid,
        "ki_siglist": p.p_siglist, "ki_sigmask": p.p_sigmask,
    }


def procinit(k: "Kernel") -> None:
    """SYSINIT: the process table, the sleep queues and pid 1."""
    k.allproc = {}
    k.lastpid = 0
    k.maxproc = 1000
    k.maxfilesperproc = 1024
    k.logsigexit = 1
    k.sleepq = {}
    init = proc(k, 1, "init", ["/sbin/init", "--"])
    init.p_flag |= P_SYSTEM
    init.p_stat = SSLEEP
    init.td_wmesg = "wait"
    init.td_sintr = True
    k.allproc[1] = init
    k.lastpid = 1
    k.initproc = init
    init.p_fd = filedesc(getattr(k, "rootvnode", None))
    SYSCTL_PROC(k, "kern.proc.all", CTLTYPE_STRUCT,
                lambda: [kinfo_proc(p) for p in sorted(k.allproc.values(), key=lambda q: q.p_pid)],
                descr="Return entire process table")
    SYSCTL_INT(k, "kern.lastpid", k, "lastpid", "Last used PID", rw=False)
    SYSCTL_INT(k, "kern.maxproc", k, "maxproc", "Maximum number of processes",
               check=lambda v: 2 <= v <= PID_MAX)
    SYSCTL_INT(k, "kern.maxfilesperproc", k, "maxfilesperproc",
               "Maximum files allowed open per process", check=lambda v: 3 <= v <= 65536)
    SYSCTL_INT(k, "kern.logsigexit", k, "logsigexit",
               "Log processes quitting on abnormal signals to syslog(3)")
