"""emu/sched.py: the virtual clock and event queue."""
from __future__ import annotations

import asyncio
import os

from emu.sched import MS, SEC, US, RealtimePacer, Scheduler


def test_events_run_in_time_order_then_insertion_order():
    s = Scheduler()
    out = []
    s.call_at(5, out.append, "b")
    s.call_at(1, out.append, "a")
    s.call_at(5, out.append, "c")
    s.call_at(5, out.append, "d")
    s.run_until_idle()
    assert out == ["a", "b", "c", "d"]
    assert s.now == 5


def test_cancelled_event_never_runs():
    s = Scheduler()
    out = []
    ev = s.call_later(10, out.append, 1)
    s.call_later(20, out.append, 2)
    s.cancel(ev)
    s.run_until_idle()
    assert out == [2]


def test_run_until_stops_at_limit_and_sets_clock():
    s = Scheduler()
    out = []
    s.call_at(10 * MS, out.append, 1)
    s.call_at(30 * MS, out.append, 2)
    s.run_until(20 * MS)
    assert out == [1] and s.now == 20 * MS
    s.run_for(10 * MS)
    assert out == [1, 2] and s.now == 30 * MS


def test_event_scheduled_in_the_past_runs_now_clock_never_goes_back():
    s = Scheduler()
    s.run_for(SEC)
    seen = []
    s.call_at(5, lambda: seen.append(s.now))
    s.run_until_idle()
    assert seen == [SEC]


def test_callbacks_scheduling_callbacks_at_same_time_run_after_existing_ones():
    s = Scheduler()
    out = []

    def first():
        out.append("first")
        s.call_soon(out.append, "nested")

    s.call_at(0, first)
    s.call_at(0, out.append, "second")
    s.run_until_idle()
    assert out == ["first", "second", "nested"]


def test_same_seed_same_event_order_and_random_draws():
    def trace(seed):
        s = Scheduler(seed)
        out = []

        def tick(i):
            out.append((s.now, i, s.rng.random()))
            if i < 50:
                s.call_later(s.rng.randrange(1, 1000) * US, tick, i + 1)
                s.call_later(s.rng.randrange(1, 1000) * US, tick, i + 2)

        s.call_at(0, tick, 0)
        s.run_until_idle(max_events=2000)
        return out

    assert trace(7) == trace(7)
    assert trace(7) != trace(8)


def test_run_until_idle_is_bounded_against_livelock():
    s = Scheduler()

    def again():
        s.call_soon(again)

    s.call_soon(again)
    assert s.run_until_idle(max_events=1000) == 1000


def test_on_error_routes_exceptions():
    s = Scheduler()
    errors = []
    s.on_error = lambda exc, ev: errors.append(type(exc))
    s.call_soon(lambda: 1 / 0)
    s.call_soon(lambda: errors.append("next"))
    s.run_until_idle()
    assert errors == [ZeroDivisionError, "next"]


def test_realtime_pacer_paces_virtual_time_and_takes_fd_and_injected_inputs():
    s = Scheduler()
    pacer = RealtimePacer(s, speed=1.0)
    r, w = os.pipe()
    got = []

    def on_readable():
        got.append(("fd", os.read(r, 100), s.now))
        pacer.remove_reader(r)

    pacer.add_reader(r, on_readable)
    s.call_at(20 * MS, lambda: os.write(w, b"x"))
    pacer.inject(lambda: got.append(("inj", s.now)))
    asyncio.run(pacer.run(0.15))
    os.close(r)
    os.close(w)
    kinds = [g[0] for g in got]
    assert "inj" in kinds and "fd" in kinds
    fd_event = next(g for g in got if g[0] == "fd")
    assert fd_event[1] == b"x" and fd_event[2] >= 20 * MS
    # paced: ~150 ms of virtual time passed, not a sprint to the end of the queue
    assert 100 * MS <= s.now <= 400 * MS
