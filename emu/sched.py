"""The one clock and event queue of a lab (QEMU's main loop and virtual clock).

Virtual time is an integer count of nanoseconds.  Events are kept in a heap of
``(time, seq, callback, arg)`` tuples, so events due at the same time run in the
order they were scheduled.  Each lab owns one seeded :class:`random.Random`;
nothing here reads the wall clock except :class:`RealtimePacer`, which paces
virtual time to it and feeds external inputs (file descriptors such as a TAP,
or callables injected from other threads) into the queue as events.

Same seed + same inputs => same event order, hence the same pcap bytes.
"""
from __future__ import annotations

import asyncio
import heapq
import random
import time as _walltime
from collections import deque
from typing import Any, Callable, Optional

NS = 1
US = 1_000
MS = 1_000_000
SEC = 1_000_000_000

_NOARG = object()
SHORT_WAIT = 0.001     # realtime waits (wall s) below this are spun, not slept (RealtimePacer.run)


# An event is a list ``[when, seq, fn, arg]``: the heap orders lists in C by
# (when, seq) — seq is unique, so fn is never compared — and building a list
# costs a fraction of an object with an __init__.  Cancelling sets fn to None;
# the event stays in the heap and is skipped when it comes up.
Event = list
_WHEN, _SEQ, _FN, _ARG = range(4)


def event_when(ev: Event) -> int:
    """The virtual time an event is (was) due."""
    return ev[_WHEN]


def event_cancelled(ev: Event) -> bool:
    return ev[_FN] is None


class Scheduler:
    """Virtual clock plus event heap.

    ``call_at``/``call_later`` return an event handle; ``cancel`` kills it (it
    is skipped when popped).  ``run_until``, ``run_for`` and
    ``run_until_idle`` advance the clock; the clock never goes backwards.
    """

    def __init__(self, seed: int = 0) -> None:
        self.now: int = 0
        self._heap: list[Event] = []
        self._seq = 0
        self.seed = seed
        self.rng = random.Random(seed)
        self.events_run = 0
        self._running = False
        self._stop = False
        # Exceptions escaping a callback are handed here; the default re-raises.
        # machine.py installs per-host handlers around kernel work itself.
        self.on_error: Optional[Callable[[BaseException, Event], None]] = None

    # -- scheduling ---------------------------------------------------------
    def call_at(self, when: int, fn: Callable, arg: Any = _NOARG) -> Event:
        now = self.now
        if when < now:
            when = now
        elif type(when) is not int:
            when = int(when)
        self._seq = seq = self._seq + 1
        ev = [when, seq, fn, arg]
        heapq.heappush(self._heap, ev)
        return ev

    def call_later(self, delay: int, fn: Callable, arg: Any = _NOARG) -> Event:
        return self.call_at(self.now + (int(delay) if delay > 0 else 0), fn, arg)

    def call_soon(self, fn: Callable, arg: Any = _NOARG) -> Event:
        self._seq = seq = self._seq + 1
        ev = [self.now, seq, fn, arg]
        heapq.heappush(self._heap, ev)
        return ev

    @staticmethod
    def cancel(ev: Optional[Event]) -> None:
        if ev is not None:
            ev[_FN] = None

    def stop(self) -> None:
        """Make the running ``run_*`` call return after the current event."""
        self._stop = True

    # -- inspection ---------------------------------------------------------
    def next_time(self) -> Optional[int]:
        """Time of the next live event, or None if the queue is empty."""
        heap = self._heap
        while heap and heap[0][_FN] is None:
            heapq.heappop(heap)
        return heap[0][_WHEN] if heap else None

    def pending(self) -> int:
        return sum(1 for e in self._heap if e[_FN] is not None)

    # -- running ------------------------------------------------------------
    def _run(self, limit: Optional[int], max_events: Optional[int]) -> int:
        heap = self._heap
        pop = heapq.heappop
        noarg = _NOARG
        n = 0
        self._stop = False
        self._running = True
        if max_events is None:
            max_events = -1
        try:
            while heap:
                ev = heap[0]
                fn = ev[2]
                if fn is None:
                    pop(heap)
                    continue
                when = ev[0]
                if limit is not None and when > limit:
                    break
                pop(heap)
                self.now = when
                ev[2] = None             # a fired event is dead: cancel() is a no-op
                arg = ev[3]
                try:
                    if arg is noarg:
                        fn()
                    else:
                        fn(arg)
                except BaseException as exc:  # noqa: BLE001 - routed to handler
                    if self.on_error is None or isinstance(exc, (KeyboardInterrupt, SystemExit)):
                        raise
                    ev[2] = fn
                    self.on_error(exc, ev)
                n += 1
                if n == max_events or self._stop:
                    break
        finally:
            self._running = False
            self.events_run += n
        return n

    def run_until(self, when: int, max_events: Optional[int] = None) -> int:
        """Run every event due at or before ``when``; the clock ends at ``when``."""
        n = self._run(int(when), max_events)
        if not self._stop and (max_events is None or n < max_events) and self.now < when:
            self.now = int(when)
        return n

    def run_for(self, delta: int, max_events: Optional[int] = None) -> int:
        return self.run_until(self.now + int(delta), max_events)

    def run_until_idle(self, max_events: Optional[int] = 10_000_000) -> int:
        """Run until no events remain (bounded by ``max_events`` against livelock)."""
        return self._run(None, max_events)


class RealtimePacer:
    """Paces a :class:`Scheduler` to the wall clock and feeds external inputs.

    External inputs are file descriptors (``add_reader(fd, callback)``: the
    callback runs as an event, at the virtual time the fd became readable) and
    callables handed over by :meth:`inject` (thread-safe).  ``run(duration)``
    drives the lab under asyncio; ``speed`` > 1 runs faster than real time.
    """

    def __init__(self, sched: Scheduler, speed: float = 1.0) -> None:
        self.sched = sched
        self.speed = speed
        self._readers: dict[int, Callable[[], None]] = {}
        self._injected: deque[Callable[[], None]] = deque()
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._wake: Optional[asyncio.Event] = None
        self._t0_wall = 0.0
        self._t0_virt = 0

    def virtual_now_from_wall(self) -> int:
        elapsed = (_walltime.monotonic() - self._t0_wall) * self.speed
        return self._t0_virt + int(elapsed * SEC)

    def add_reader(self, fd: int, callback: Callable[[], None]) -> None:
        self._readers[fd] = callback
        if self._loop is not None:
            self._loop.add_reader(fd, self._on_readable, fd)

    def remove_reader(self, fd: int) -> None:
        if self._readers.pop(fd, None) is not None and self._loop is not None:
            self._loop.remove_reader(fd)

    def inject(self, fn: Callable[[], None]) -> None:
        """Queue ``fn`` to run as an event at the current paced time (any thread)."""
        self._injected.append(fn)
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None:
            loop.call_soon_threadsafe(wake.set)

    def _on_readable(self, fd: int) -> None:
        # One readiness -> one event: stop watching the fd until the callback
        # has run, else a level-triggered poll would queue duplicates.
        cb = self._readers.get(fd)
        if cb is None or self._loop is None:
            return
        self._loop.remove_reader(fd)

        def run_and_rearm() -> None:
            try:
                cb()
            finally:
                if self._readers.get(fd) is cb and self._loop is not None:
                    self._loop.add_reader(fd, self._on_readable, fd)

        self.sched.call_at(max(self.sched.now, self.virtual_now_from_wall()), run_and_rearm)
        if self._wake is not None:
            self._wake.set()

    async def run(self, duration: Optional[float] = None) -> None:
        """Run paced for ``duration`` wall seconds (forever if None)."""
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._t0_wall = _walltime.monotonic()
        self._t0_virt = self.sched.now
        for fd in self._readers:
            self._loop.add_reader(fd, self._on_readable, fd)
        deadline = None if duration is None else self._t0_wall + duration
        try:
            while True:
                while self._injected:
                    self.sched.call_at(max(self.sched.now, self.virtual_now_from_wall()),
                                       self._injected.popleft())
                target = self.virtual_now_from_wall()
                self.sched.run_until(max(target, self.sched.now))
                wall = _walltime.monotonic()
                if deadline is not None and wall >= deadline:
                    break
                nxt = self.sched.next_time()
                wait = 0.05 if nxt is None else max(0.0, (nxt - target) / SEC / self.speed)
                if deadline is not None:
                    wait = min(wait, deadline - wall)
                if wait < SHORT_WAIT:
                    # The event loop's poll sleeps in whole milliseconds: a shorter
                    # wait is spun instead, letting the loop look at the fds (a TAP)
                    # on each turn, so that a frame's round trip costs microseconds.
                    await asyncio.sleep(0)
                    continue
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), timeout=min(wait, 0.05))
                except asyncio.TimeoutError:
                    pass
                # Python 3.11's wait_for swallows a cancel that arrives as the wake-up
                # completes (CPython gh-86296): the task would then run forever.
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    raise asyncio.CancelledError
        finally:
            for fd in self._readers:
                self._loop.remove_reader(fd)
            self._loop = None
            self._wake = None
