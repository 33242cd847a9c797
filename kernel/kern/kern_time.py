"""Time: clocks, nanosleep, interval timers (sys/kern/kern_time.c).

All clocks are the lab's virtual clock.  CLOCK_MONOTONIC and CLOCK_UPTIME
count from boot; CLOCK_REALTIME adds ``k.boottime`` (ns since the Epoch),
which is fixed — 2006-01-01 00:00:00 UTC, the year KAME completed — so a lab
prints the same dates on every run, unless the front or settimeofday(2)
changes it.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from kernel.kern.kern_proc import SZOMB
from kernel.kern.kern_sig import psignal
from kernel.kern.kern_sysctl import SYSCTL_PROC
from kernel.kern.kern_synch import kern_yield, tsleep
from kernel.wire.errno import EFAULT, EINTR, EINVAL, ERESTART, oserror
from kernel.wire.signal import SIGALRM
from kernel.wire.sysctl import CTLTYPE_STRUCT
from kernel.wire.time import (
    CLOCK_MONOTONIC, CLOCK_MONOTONIC_FAST, CLOCK_MONOTONIC_PRECISE, CLOCK_PROF,
    CLOCK_REALTIME, CLOCK_REALTIME_FAST, CLOCK_REALTIME_PRECISE, CLOCK_SECOND, CLOCK_UPTIME,
    CLOCK_UPTIME_FAST, CLOCK_UPTIME_PRECISE, CLOCK_VIRTUAL, ITIMER_PROF, ITIMER_REAL,
    ITIMER_VIRTUAL, NSEC_PER_SEC, itimerval, timespec, timeval,
)

if TYPE_CHECKING:  # pragma: no cover
    from kernel.kern.init_main import Kernel
    from kernel.kern.kern_proc import proc

BOOTTIME = 1136073600 * NSEC_PER_SEC          # 2006-01-01T00:00:00Z

_REALTIME = (CLOCK_REALTIME, CLOCK_REALTIME_FAST, CLOCK_REALTIME_PRECISE, CLOCK_SECOND)
_UPTIME = (CLOCK_MONOTONIC, CLOCK_MONOTONIC_FAST, CLOCK_MONOTONIC_PRECISE, CLOCK_UPTIME,
           CLOCK_UPTIME_FAST, CLOCK_UPTIME_PRECISE)


def nanotime(k: "Kernel") -> int:
    """Wall-clock time in ns since the Epoch (virtual)."""
    return getattr(k, "boottime", BOOTTIME) + k.now()


def timeinit(k: "Kernel") -> None:
    """SYSINIT: the boot time and kern.boottime."""
    if not hasattr(k, "boottime"):
        k.boottime = BOOTTIME
    SYSCTL_PROC(k, "kern.boottime", CTLTYPE_STRUCT,
                lambda: {"sec": k.boottime // NSEC_PER_SEC,
                         "usec": k.boottime % NSEC_PER_SEC // 1000},
                descr="System boottime")


def sys_clock_gettime(td: "proc", clock_id: int) -> timespec:
    k = td.p_kernel
    if clock_id in _REALTIME:
        ns = nanotime(k)
        if clock_id == CLOCK_SECOND:
            ns -= ns % NSEC_PER_SEC
        return timespec.from_ns(ns)
    if clock_id in _UPTIME:
        return timespec.from_ns(k.now())
    if clock_id in (CLOCK_VIRTUAL, CLOCK_PROF):
        return timespec(0, 0)                   # processes use no CPU time here
    raise oserror(EINVAL)


def sys_clock_getres(td: "proc", clock_id: int) -> timespec:
    sys_clock_gettime(td, clock_id)
    return timespec(1, 0) if clock_id == CLOCK_SECOND else timespec(0, 1)


def sys_clock_settime(td: "proc", clock_id: int, ts: timespec) -> int:
    if clock_id not in _REALTIME or not isinstance(ts, timespec):
        raise oserror(EINVAL)
    k = td.p_kernel
    k.boottime = ts.to_ns() - k.now()
    return 0


def sys_gettimeofday(td: "proc") -> timeval:
    return timeval.from_ns(nanotime(td.p_kernel))


def sys_settimeofday(td: "proc", tv: timeval) -> int:
    if not isinstance(tv, timeval):
        raise oserror(EFAULT)
    k = td.p_kernel
    k.boottime = tv.to_ns() - k.now()
    return 0


def sys_nanosleep(td: "proc", ns: int) -> int:
    """nanosleep(2) for ``ns`` nanoseconds; EINTR if a signal comes first."""
    if type(ns) is not int or ns < 0:
        raise oserror(EINVAL)
    k = td.p_kernel
    deadline = k.now() + ns
    chan = object()
    while True:
        left = deadline - k.now()
        if left <= 0:
            return 0
        err = tsleep(k, chan, left, "nanslp")
        if err in (EINTR, ERESTART):
            raise oserror(EINTR)


def sys_sched_yield(td: "proc") -> int:
    kern_yield(td)
    return 0


# -- interval timers ----------------------------------------------------------------------
def _realitexpire(p: "proc") -> None:
    p.p_itimer = None
    psignal(p, SIGALRM)
    if p.p_itimer_interval and p.p_stat != SZOMB:
        _itimer_arm(p, p.p_itimer_interval)


def _itimer_arm(p: "proc", delay: int) -> None:
    k = p.p_kernel
    p.p_itimer = (k.platform.call_later(delay, _realitexpire, p), k.now() + delay)


def itimer_stop(p: "proc") -> None:
    if p.p_itimer is not None:
        p.p_kernel.platform.cancel(p.p_itimer[0])
        p.p_itimer = None


def _getitimer(p: "proc") -> itimerval:
    left = 0
    if p.p_itimer is not None:
        left = max(1000, p.p_itimer[1] - p.p_kernel.now())
    return itimerval(timeval.from_ns(p.p_itimer_interval), timeval.from_ns(left))


def sys_getitimer(td: "proc", which: int) -> itimerval:
    if which == ITIMER_REAL:
        return _getitimer(td)
    if which in (ITIMER_VIRTUAL, ITIMER_PROF):
        return itimerval()
    raise oserror(EINVAL)


def sys_setitimer(td: "proc", which: int, itv: Optional[Any]) -> itimerval:
    """setitimer(2): ITIMER_REAL sends SIGALRM; the others never fire (no CPU time)."""
    if which not in (ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF):
        raise oserror(EINVAL)
    if which != ITIMER_REAL:
        return itimerval()
    old = _getitimer(td)
    if itv is None:
        return old
    try:
        value = itv.it_value.to_ns()
        interval = itv.it_interval.to_ns()
    except AttributeError:
        raise oserror(EFAULT) from None
    if value < 0 or interval < 0:
        raise oserror(EINVAL)
    itimer_stop(td)
    td.p_itimer_interval = interval
    if value:
        _itimer_arm(td, value)
    return old
