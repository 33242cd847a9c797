"""kern_synch: tsleep/wakeup between process greenlets and the scheduler."""
from __future__ import annotations

from greenlet import getcurrent

from kernel.kern.kern_synch import tsleep, wakeup, wakeup_one
from kernel.wire.errno import EWOULDBLOCK
from tests.kernel.kern.harness import MS, SEC, Host

CHAN = ("test", "chan")


def _sleeper(results: list, timo: int = 0) -> object:
    def main(argv: list[str]) -> int:
        k = getcurrent().td.p_kernel
        t0 = k.now()
        rv = tsleep(k, CHAN, timo, "testslp")
        results.append((argv[1] if len(argv) > 1 else "", rv, k.now() - t0))
        return 0
    return main


def test_tsleep_timeout_returns_ewouldblock():
    out: list = []
    h = Host(programs={"/bin/slp": _sleeper(out, 250 * MS)})
    r = h.run("/bin/slp a")
    assert r.status == 0
    assert out == [("a", EWOULDBLOCK, 250 * MS)]


def test_wakeup_makes_every_sleeper_return_zero_in_virtual_time():
    out: list = []
    h = Host(programs={"/bin/slp": _sleeper(out)})
    p1, _, _ = h.spawn("/bin/slp one")
    p2, _, _ = h.spawn("/bin/slp two")
    h.run_for(10 * MS)
    assert [p.td_wchan for p in (p1, p2)] == [CHAN, CHAN]
    h.k.platform.call_later(5 * SEC, lambda: wakeup(h.k, CHAN))
    assert h.wait(p1) and h.wait(p2)
    assert sorted(out) == [("one", 0, 5 * SEC + 10 * MS), ("two", 0, 5 * SEC + 10 * MS)]
    assert CHAN not in h.k.sleepq


def test_wakeup_one_wakes_only_the_first_sleeper():
    out: list = []
    h = Host(programs={"/bin/slp": _sleeper(out)})
    p1, _, _ = h.spawn("/bin/slp one")
    p2, _, _ = h.spawn("/bin/slp two")
    h.run_for(MS)
    wakeup_one(h.k, CHAN)
    h.run_for(MS)
    assert p1.exited and not p2.exited
    assert out == [("one", 0, MS)]


def test_wakeup_of_an_empty_channel_does_nothing():
    h = Host()
    wakeup(h.k, CHAN)
    wakeup_one(h.k, CHAN)
    assert h.panicked is None


def test_tsleep_in_interrupt_context_panics_the_host():
    h = Host()
    h.k.platform.call_later(MS, lambda: tsleep(h.k, CHAN, 0, "bad"))
    h.run_for(10 * MS)
    assert h.panicked is not None and "interrupt context" in h.panicked
    assert "panic: tsleep: sleeping in interrupt context" in h.console


def test_other_hosts_run_on_after_one_panics():
    from emu.machine import Machine
    from kernel.kern.init_main import Kernel, KernelConfig
    h = Host()
    m2 = Machine(h.sched, "other")
    k2 = Kernel(m2.platform, KernelConfig(programs=h.k.config.programs))
    k2.boot()
    h.k.platform.call_later(MS, lambda: tsleep(h.k, CHAN, 0, "bad"))
    p = k2.spawn("/bin/sleep", ["sleep", "1"])
    h.run_for(2 * SEC)
    assert h.panicked is not None and m2.panicked is None
    assert p.exit_code == 0
