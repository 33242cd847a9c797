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
import select
import time as _walltime
from collections import deque
from typing import Any, Callable, Optional

NS = 1
US = 1_000
MS = 1_000_000
SEC = 1_000_000_000

_NOARG = object()
# RealtimePacer's waits, in wall seconds:
SHORT_WAIT = 0.001     # a wait for an event nearer than this is never parked in the event loop
SPIN_TAIL = 0.0001     # the end of a timed wait is spun: sleeps overshoot by the timer slack
YIELD_EVERY = 0.001    # the event loop's other tasks get a turn at least this often
BUSY_POLL = 0.0005     # after an input the fds are polled, not slept on, this long: a
                       # process woken from sleep by a frame takes tens of µs to run
IDLE_PARK = 0.01       # no input for this long: long waits park in the event loop
IDLE_WAIT = 0.05       # longest park (also the wait when no event is queued)
FD_SETSIZE = 1024      # select() takes fds below this; beyond, waits use poll (ms)


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
    callback runs as an event, at the virtual time the fd was seen readable)
    and callables handed over by :meth:`inject` (thread-safe).  ``run(duration)``
    drives the lab as an asyncio task; ``speed`` > 1 runs faster than real time.

    How it waits for the next event (or an input):

    - while inputs keep coming on the fds (the last one less than
      :data:`IDLE_PARK` ago), or when the next event is less than
      :data:`SHORT_WAIT` away, it waits itself, polling the fds: a frame from a
      TAP is taken the moment it arrives, without a trip through the event
      loop.  For :data:`BUSY_POLL` after an input it spins (a sleeping process
      woken by the next frame would take tens of µs to run: that is most of a
      ping round trip); then it sleeps in ``select`` with the time left as the
      timeout, and spins the last :data:`SPIN_TAIL` (the kernel oversleeps
      short timeouts by its timer slack, ~50-100 µs).  It hands the event loop
      a turn at least every :data:`YIELD_EVERY`, so the loop's other tasks (the
      console, a command's watcher, a cancel) run meanwhile;
    - idle (no input for :data:`IDLE_PARK`, and the next event farther than
      :data:`SHORT_WAIT`), it parks in the event loop with the fds registered
      there: no CPU is spent until an input or the next event is due.
    """

    def __init__(self, sched: Scheduler, speed: float = 1.0) -> None:
        self.sched = sched
        self.speed = speed
        self._readers: dict[int, Callable[[], None]] = {}
        self._pending: set[int] = set()        # fds whose callback event is queued
        self._poll = select.poll()
        self._selectable = True                 # every fd fits select()'s FD_SETSIZE
        self._injected: deque[Callable[[], None]] = deque()
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._wake: Optional[asyncio.Event] = None
        self._parked = False                    # the fds are registered with the loop
        self._t0_wall = 0.0
        self._t0_virt = 0

    def virtual_now_from_wall(self) -> int:
        elapsed = (_walltime.monotonic() - self._t0_wall) * self.speed
        return self._t0_virt + int(elapsed * SEC)

    def add_reader(self, fd: int, callback: Callable[[], None]) -> None:
        if fd not in self._readers:
            self._poll.register(fd, select.POLLIN)
        self._readers[fd] = callback
        self._selectable = max(self._readers) < FD_SETSIZE
        if self._parked and self._loop is not None and self._wake is not None:
            self._loop.add_reader(fd, self._wake.set)

    def remove_reader(self, fd: int) -> None:
        if self._readers.pop(fd, None) is None:
            return
        self._pending.discard(fd)
        try:
            self._poll.unregister(fd)
        except KeyError:
            pass
        self._selectable = not self._readers or max(self._readers) < FD_SETSIZE
        if self._parked and self._loop is not None:
            self._loop.remove_reader(fd)

    def inject(self, fn: Callable[[], None]) -> None:
        """Queue ``fn`` to run as an event at the current paced time (any thread)."""
        self._injected.append(fn)
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None:
            loop.call_soon_threadsafe(wake.set)

    # -- inputs -----------------------------------------------------------------------
    def _fire(self, fd: int) -> None:
        """The event of a readable fd: run its callback (if it is still watched)."""
        self._pending.discard(fd)
        cb = self._readers.get(fd)
        if cb is not None:
            cb()

    def _take_inputs(self, ready: list[tuple[int, int]]) -> bool:
        """Queue the callbacks of the ``ready`` fds (poll's answer) and the injected
        callables as events at the current paced time; True if any fd was ready."""
        sched = self.sched
        when = self.virtual_now_from_wall()
        if when < sched.now:
            when = sched.now
        pending = self._pending
        got = False
        for fd, _ in ready:
            # One readiness -> one event: a level-triggered poll would report the
            # fd again until its callback has run.
            if fd not in pending and fd in self._readers:
                pending.add(fd)
                sched.call_at(when, self._fire, fd)
                got = True
        injected = self._injected
        while injected:
            sched.call_at(when, injected.popleft())
        return got

    def _wait(self, timeout: float, spin: float = 0.0) -> None:
        """Wait up to ``timeout`` wall seconds; return early when a watched fd is
        readable or a callable was injected.  The first ``spin`` seconds and the
        last :data:`SPIN_TAIL` are spun, polling the fds; the rest is slept in
        select() (in poll(), whole milliseconds, when an fd does not fit select())."""
        mono = _walltime.monotonic
        poll = self._poll.poll
        readers, injected = self._readers, self._injected
        now = mono()
        end = now + timeout
        if spin > 0:
            spin_end = now + spin if spin < timeout else end
            while now < spin_end:
                if (readers and poll(0)) or injected:
                    return
                now = mono()
        sleep = end - now - SPIN_TAIL
        if sleep > 0:
            if self._selectable:
                try:
                    if select.select(list(readers), [], [], sleep)[0]:
                        return
                except (OSError, ValueError):
                    return      # an fd closed while watched: poll reports it (POLLNVAL)
            elif sleep >= 0.001:
                if poll(int(sleep * 1000)):            # whole milliseconds, rounded down
                    return
        while mono() < end:
            if (readers and poll(0)) or injected:
                return

    async def _park(self, timeout: float) -> None:
        """Wait in the event loop (its other tasks run) until an fd is readable, a
        callable is injected or ``timeout`` wall seconds passed."""
        loop, wake = self._loop, self._wake
        assert loop is not None and wake is not None
        wake.clear()
        self._parked = True
        for fd in self._readers:
            loop.add_reader(fd, wake.set)
        timer = loop.call_later(timeout, wake.set)
        try:
            if not self._injected:
                await wake.wait()
        finally:
            timer.cancel()
            self._parked = False
            for fd in self._readers:
                loop.remove_reader(fd)

    # -- running ----------------------------------------------------------------------
    async def run(self, duration: Optional[float] = None) -> None:
        """Run paced for ``duration`` wall seconds (forever if None)."""
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        mono = _walltime.monotonic
        sched = self.sched
        self._t0_wall = last_yield = last_input = mono()
        self._t0_virt = sched.now
        deadline = None if duration is None else self._t0_wall + duration
        poll = self._poll.poll
        try:
            while True:
                ready = poll(0)
                if (ready or self._injected) and self._take_inputs(ready):
                    last_input = mono()
                target = self.virtual_now_from_wall()
                sched.run_until(target if target > sched.now else sched.now)
                wall = mono()
                if deadline is not None and wall >= deadline:
                    break
                if wall - last_yield >= YIELD_EVERY:
                    # The loop's other tasks get a turn (and a cancel lands here).
                    await asyncio.sleep(0)
                    last_yield = mono()
                    continue
                nxt = sched.next_time()
                if nxt is None:
                    wait = IDLE_WAIT
                else:
                    wait = (nxt - self.virtual_now_from_wall()) / SEC / self.speed
                if deadline is not None and deadline - wall < wait:
                    wait = deadline - wall
                if wait <= 0:
                    continue
                if wait < SHORT_WAIT or (self._readers and wall - last_input < IDLE_PARK):
                    self._wait(min(wait, last_yield + YIELD_EVERY - wall),
                               last_input + BUSY_POLL - wall)
                    continue
                await self._park(min(wait, IDLE_WAIT))
                last_yield = mono()
        finally:
            self._loop = None
            self._wake = None
