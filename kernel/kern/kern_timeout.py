"""Callouts: timed functions in softclock context (sys/kern/kern_timeout.c).

``callout_reset(c, ticks, func, arg)`` as in BSD, with ``hz`` ticks per second.
The kernel does not read a clock: it asks the platform the machine booted it
with (``call_later``/``cancel``), so time is the lab's virtual time.
"""
from __future__ import annotations

from typing import Any, Callable, Optional

HZ = 1000                     # ticks per second
TICK_NS = 1_000_000_000 // HZ


class callout:
    """``struct callout``: at most one pending invocation."""

    __slots__ = ("_platform", "_ev", "c_func", "c_arg", "c_time")

    def __init__(self, platform: Any) -> None:
        self._platform = platform
        self._ev: Any = None
        self.c_func: Optional[Callable] = None
        self.c_arg: Any = None
        self.c_time = 0

    def callout_reset(self, ticks: int, func: Callable, arg: Any = None) -> None:
        """(Re)arm: run ``func(arg)`` after ``ticks`` ticks (ticks <= 0 means 1)."""
        self.callout_stop()
        self.c_func = func
        self.c_arg = arg
        delay = max(1, int(ticks)) * TICK_NS
        self.c_time = self._platform.now() + delay
        self._ev = self._platform.call_later(delay, self._fire)

    def callout_reset_ns(self, ns: int, func: Callable, arg: Any = None) -> None:
        """Arm with a delay in nanoseconds (``callout_reset_sbt`` in FreeBSD)."""
        self.callout_stop()
        self.c_func = func
        self.c_arg = arg
        self.c_time = self._platform.now() + max(0, int(ns))
        self._ev = self._platform.call_later(max(0, int(ns)), self._fire)

    def callout_stop(self) -> bool:
        """Cancel; return True if it was pending."""
        ev, self._ev = self._ev, None
        if ev is not None:
            self._platform.cancel(ev)
            return True
        return False

    def callout_pending(self) -> bool:
        return self._ev is not None

    def _fire(self) -> None:
        self._ev = None
        func, arg = self.c_func, self.c_arg
        if func is not None:
            func(arg)
