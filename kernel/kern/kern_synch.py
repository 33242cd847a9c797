"""Sleep and wakeup (sys/kern/kern_synch.c, subr_sleepqueue.c).

``tsleep(k, chan, timo_ns, wmesg)`` puts the running process to sleep on
``chan`` (any hashable object: a sockbuf, a proc, ...) and switches from its
greenlet back to the scheduler's.  ``wakeup(k, chan)`` makes every sleeper on
``chan`` runnable: each gets a scheduler event that switches into its greenlet,
where ``tsleep`` returns 0.  A timeout makes ``tsleep`` return EWOULDBLOCK; a
signal (kern_sig.py) makes an interruptible sleep return EINTR, or ERESTART
when the handler asked for SA_RESTART.

The scheduler runs events in the greenlet that called ``Scheduler.run_*``;
a process greenlet's ``parent`` is set to that greenlet each time it is
switched into, so it switches back there when it sleeps and when it ends.

Sleeping in interrupt context (a callout, packet input, an interrupt handler
— anything not running in a process greenlet) is a kernel bug: it panics the
host, as BSD's ``KASSERT(!TD_IS_IDLETHREAD ...)`` would.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from greenlet import getcurrent

from kernel.kern.kern_proc import SRUN, SSLEEP, SZOMB, proc
from kernel.wire.errno import EWOULDBLOCK

if TYPE_CHECKING:  # pragma: no cover
    from kernel.kern.init_main import Kernel


class SleepInInterrupt(RuntimeError):
    """Raised (after the panic) to abandon the interrupt-context work that tried to sleep."""


def tsleep(k: "Kernel", chan: Any, timo_ns: int = 0, wmesg: str = "",
           catch: bool = True) -> int:
    """Sleep on ``chan`` for at most ``timo_ns`` (0: no timeout).

    ``catch`` is BSD's PCATCH: signals interrupt the sleep.  Returns 0 when
    woken, EWOULDBLOCK on timeout, EINTR or ERESTART on a signal.
    """
    gr = getcurrent()
    td: proc | None = getattr(gr, "td", None)
    if td is None or td.p_kernel is not k:
        msg = f"tsleep: sleeping in interrupt context (wmesg \"{wmesg}\")"
        k.panic(msg)
        raise SleepInInterrupt(msg)
    if catch and td.p_siglist & ~td.p_sigmask:
        from kernel.kern.kern_sig import cursig_sleepret   # noqa: PLC0415 - cycle
        rv = cursig_sleepret(td)
        if rv:
            return rv
    td.td_wchan = chan
    td.td_wmesg = wmesg
    td.td_sintr = catch
    td.td_slptime = k.now()
    td.p_stat = SSLEEP
    q = k.sleepq.get(chan)
    if q is None:
        k.sleepq[chan] = [td]
    else:
        q.append(td)
    if timo_ns > 0:
        td.td_timeout = k.platform.call_later(timo_ns, endtsleep, td)
    return gr.parent.switch()


def endtsleep(td: proc) -> None:
    """The timeout of a sleep: make ``td`` runnable with EWOULDBLOCK."""
    td.td_timeout = None
    if td.p_stat == SSLEEP and td.td_wchan is not None:
        setrunnable(td, EWOULDBLOCK)


def unsleep(td: proc) -> None:
    """Take ``td`` off its sleep queue and cancel its timeout."""
    k = td.p_kernel
    chan = td.td_wchan
    if chan is not None:
        q = k.sleepq.get(chan)
        if q is not None:
            try:
                q.remove(td)
            except ValueError:
                pass
            if not q:
                del k.sleepq[chan]
        td.td_wchan = None
    ev = td.td_timeout
    if ev is not None:
        td.td_timeout = None
        k.platform.cancel(ev)


def setrunnable(td: proc, val: int = 0) -> None:
    """Make a sleeping ``td`` runnable: its ``tsleep`` will return ``val``."""
    if td.p_stat != SSLEEP or td.td_wchan is None:
        return
    unsleep(td)
    td.p_stat = SRUN
    td.td_wmesg = ""
    td.td_wakeval = val
    td.td_runev = td.p_kernel.platform.call_later(0, sched_switch, td)


def wakeup(k: "Kernel", chan: Any) -> None:
    """Make every process sleeping on ``chan`` runnable."""
    q = k.sleepq.pop(chan, None)
    if q is None:
        return
    call_later = k.platform.call_later
    cancel = k.platform.cancel
    for td in q:
        td.td_wchan = None
        if td.td_timeout is not None:
            cancel(td.td_timeout)
            td.td_timeout = None
        td.p_stat = SRUN
        td.td_wmesg = ""
        td.td_wakeval = 0
        td.td_runev = call_later(0, sched_switch, td)


def wakeup_one(k: "Kernel", chan: Any) -> None:
    """Make the first process sleeping on ``chan`` runnable."""
    q = k.sleepq.get(chan)
    if q:
        setrunnable(q[0], 0)


def sched_add(td: proc, val: Any = None) -> None:
    """Queue a new (or exec'd) process to start running."""
    td.p_stat = SRUN
    td.td_wakeval = val
    td.td_runev = td.p_kernel.platform.call_later(0, sched_switch, td)


def sched_switch(td: proc) -> None:
    """The scheduler event that runs ``td`` until it sleeps or exits (mi_switch)."""
    td.td_runev = None
    gr = td.p_gr
    if gr is None or gr.dead or td.p_stat == SZOMB:
        return
    cur = getcurrent()
    if gr.parent is not cur:
        gr.parent = cur
    gr.switch(td.td_wakeval)


def kern_yield(td: proc) -> None:
    """Give the CPU to the other runnable processes (sched_yield)."""
    sched_add(td, 0)
    getcurrent().parent.switch()
