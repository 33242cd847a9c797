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


# -- RealtimePacer: waiting on its fds itself while inputs come, parked when idle -------
# (these few run paced, a few tens of milliseconds of wall time each)

def test_realtime_pacer_takes_each_readiness_once_while_inputs_keep_coming():
    """A readable fd is one event, at the paced time it was seen, until its callback
    has run; frames written while the pacer runs are all read, none twice."""
    s = Scheduler()
    pacer = RealtimePacer(s)
    r, w = os.pipe()
    os.set_blocking(r, False)
    got: list[tuple[bytes, int]] = []
    calls = []

    def on_readable():
        calls.append(s.now)
        try:
            got.append((os.read(r, 100), s.now))
        except BlockingIOError:
            pass

    for i in range(10):                     # one write every 2 virtual ms
        s.call_at((i + 1) * 2 * MS, lambda i=i: os.write(w, b"%d" % i))
    pacer.add_reader(r, on_readable)
    asyncio.run(pacer.run(0.04))
    os.close(r)
    os.close(w)
    assert b"".join(g[0] for g in got) == b"0123456789"
    # no duplicate event for one readiness: every callback found something to read
    # (on a loaded machine the pacer may fall behind the wall clock, and then two
    # writes can land before one read: fewer, larger reads, never an empty one)
    assert len(calls) == len(got) and all(g[0] for g in got)
    # each read happened at or after the paced time its first byte was written
    assert all(t >= (int(data[:1]) + 1) * 2 * MS for data, t in got)


def test_realtime_pacer_gives_the_event_loop_turns_while_busy():
    """While inputs keep it busy, the pacer still hands the event loop a turn every
    YIELD_EVERY (1 ms): another task sleeping 1 ms at a time keeps running (a sleeper
    takes three turns of the loop to resume: a few ms apart), and a cancel lands."""
    s = Scheduler()
    pacer = RealtimePacer(s)
    r, w = os.pipe()
    pacer.add_reader(r, lambda: None)       # never read: readable all the time
    os.write(w, b"x")
    ticks = []

    async def main() -> bool:
        task = asyncio.ensure_future(pacer.run())
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        while loop.time() - t0 < 0.05:
            await asyncio.sleep(0.001)
            ticks.append(loop.time())
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            return True
        return False

    assert asyncio.run(main())
    os.close(r)
    os.close(w)
    assert len(ticks) >= 5                  # starved, it would get one turn at most


def test_realtime_pacer_idle_parks_in_the_event_loop():
    """With an fd but no input and no event due, the pacer does not spin: it parks in
    the event loop, costing next to no CPU, and an input wakes it at once."""
    import threading
    import time
    s = Scheduler()
    pacer = RealtimePacer(s)
    r, w = os.pipe()
    seen = []
    pacer.add_reader(r, lambda: seen.append((os.read(r, 10), time.monotonic())))
    sent = []

    def later():
        time.sleep(0.1)
        sent.append(time.monotonic())
        os.write(w, b"x")

    th = threading.Thread(target=later)
    cpu = time.process_time()
    th.start()
    asyncio.run(pacer.run(0.15))
    cpu = time.process_time() - cpu
    th.join()
    os.close(r)
    os.close(w)
    assert cpu < 0.08                       # 150 ms of wall time, nearly all parked
    # woken by the input, not by the end of the run 50 ms later (slack for a loaded CI)
    assert seen and seen[0][0] == b"x" and seen[0][1] - sent[0] < 0.04


def test_realtime_pacer_keeps_time_with_fds_beyond_select(monkeypatch):
    """An fd select() cannot take (>= FD_SETSIZE) is waited on with poll: inputs and
    timed events still run, paced."""
    import emu.sched as sched_mod
    monkeypatch.setattr(sched_mod, "FD_SETSIZE", 0)
    s = Scheduler()
    pacer = RealtimePacer(s)
    r, w = os.pipe()
    got = []
    pacer.add_reader(r, lambda: got.append(("fd", os.read(r, 10), s.now)))
    assert pacer._selectable is False
    s.call_at(5 * MS, lambda: os.write(w, b"y"))
    s.call_at(12 * MS, lambda: got.append(("timer", s.now)))
    asyncio.run(pacer.run(0.03))
    os.close(r)
    os.close(w)
    assert [g[0] for g in got] == ["fd", "timer"]
    assert got[0][1] == b"y" and got[0][2] >= 5 * MS and got[1][1] == 12 * MS
    assert 20 * MS <= s.now <= 200 * MS


def test_realtime_pacer_remove_reader_drops_a_queued_readiness():
    """An fd removed after its readiness was queued (but before the event ran) does
    not run its callback."""
    s = Scheduler()
    pacer = RealtimePacer(s)
    r, w = os.pipe()
    called = []
    pacer.add_reader(r, lambda: called.append(1))
    os.write(w, b"z")
    pacer._take_inputs(pacer._poll.poll(0))   # what run() does with a readable fd
    assert pacer._pending == {r}
    pacer.remove_reader(r)
    s.run_until_idle()
    os.close(r)
    os.close(w)
    assert called == [] and pacer._readers == {} and pacer._pending == set()


def test_realtime_pacer_survives_an_fd_closed_while_watched():
    """An fd closed without remove_reader is reported (POLLNVAL) to its callback, which
    can drop it (as a TAP that went away does); the lab keeps running, paced."""
    s = Scheduler()
    pacer = RealtimePacer(s)
    r, w = os.pipe()
    seen: list[object] = []

    def on_readable():
        seen.append("fd")
        pacer.remove_reader(r)

    pacer.add_reader(r, on_readable)
    s.call_at(2 * MS, lambda: os.close(r))   # once the event loop's own fds are open
    s.call_at(5 * MS, lambda: seen.append("timer"))
    asyncio.run(pacer.run(0.02))
    os.close(w)
    assert seen == ["fd", "timer"] and pacer._readers == {}
