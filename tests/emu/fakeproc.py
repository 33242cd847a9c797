"""A stand-in for the kernel's process layer, with programs whose timing tests control.

It provides exactly what emu/lab.py calls: ``Kernel.spawn(path, argv, stdout=, stderr=)``
returning a process with ``p_pid``, ``exit_code`` (None while running) and
``on_exit(fn)`` as kernel/kern/kern_proc.py's ``proc`` has, and ``Kernel.kill(pid, sig)``
(True: the process was there); and a program table (path -> main) in place of
``userland.programs``.  Programs run as scheduler events, in virtual time.
"""
from __future__ import annotations

from typing import Any, Optional

from emu import lab as lab_mod
from emu.sched import MS, SEC
from kernel.kern.init_main import Kernel
from kernel.kern.uipc_mbuf import mbuf
from kernel.wire.net_if import IFF

START_DELAY = 1_000            # a program starts 1 us after spawn


class FakeProc:
    def __init__(self, k: Kernel, pid: int, argv: list[str], out: Any) -> None:
        self.k = k
        self.p_pid = pid
        self.argv = argv
        self.out = out
        self.exit_code: Optional[int] = None
        self.timer: Any = None
        self.hooks: list[Any] = []

    def on_exit(self, fn: Any) -> None:
        self.hooks.append(fn)

    def exit(self, status: int) -> None:
        if self.exit_code is None:
            self.exit_code = status
            self.k.platform.cancel(self.timer)
            for fn in self.hooks:
                fn(self)


def _echo(p: FakeProc) -> Optional[int]:
    p.out.write(" ".join(p.argv[1:]) + "\n")
    return 0


def _false(p: FakeProc) -> Optional[int]:
    return 1


def _hostname(p: FakeProc) -> Optional[int]:
    p.out.write(p.k.hostname + "\n")
    return 0


def _sleep(p: FakeProc) -> Optional[int]:
    p.timer = p.k.platform.call_later(int(float(p.argv[1]) * SEC), lambda: p.exit(0))
    return None


def _ticker(p: FakeProc) -> Optional[int]:
    """Prints a line every 100 ms until interrupted (like ping6 without -c)."""
    n = [0]

    def tick() -> None:
        n[0] += 1
        p.out.write(f"tick {n[0]}\n")
        p.timer = p.k.platform.call_later(100 * MS, tick)
    tick()
    return None


def _sendframe(p: FakeProc) -> Optional[int]:
    """Broadcasts one Ethernet frame out of argv[1] (em0)."""
    ifp = p.k.ifunit(p.argv[1])
    ifp.if_setflags(ifp.if_flags | IFF.UP)
    err = ifp.if_output(ifp, mbuf(b"kamebox" * 8), b"\xff" * 6, 0x88B5)
    return 1 if err else 0


def _daemon(p: FakeProc) -> Optional[int]:
    """Writes to the host console (not its stdout) a bit later, and exits at once."""
    p.k.platform.call_later(10 * MS, lambda: p.k.printf("daemon: started\n"))
    return 0


PROGRAMS = {"/bin/echo": _echo, "/usr/bin/false": _false, "/bin/hostname": _hostname,
            "/bin/sleep": _sleep, "/usr/bin/ticker": _ticker, "/sbin/sendframe": _sendframe,
            "/usr/sbin/daemon": _daemon}


class Procs(dict):
    """pid -> FakeProc, plus the signals sent as (pid, sig)."""

    def __init__(self) -> None:
        super().__init__()
        self.signals: list[tuple[int, int]] = []


def install(monkeypatch) -> Procs:
    """Patch Kernel.spawn/kill and the program table; return pid -> process."""
    procs = Procs()
    signals = procs.signals

    def spawn(self: Kernel, path: str, argv: list[str], stdout: Any = None, stderr: Any = None):
        pid = len(procs) + 100
        p = FakeProc(self, pid, argv, stdout)
        procs[pid] = p

        def start() -> None:
            status = PROGRAMS[path](p)
            if status is not None:
                p.exit(status)
        self.platform.call_later(START_DELAY, start)
        return p

    def kill(self: Kernel, pid: int, sig: int) -> bool:
        signals.append((pid, sig))
        p = procs[pid]
        p.out.write("^C\n")
        p.exit(128 + sig)
        return True

    monkeypatch.setattr(Kernel, "spawn", spawn, raising=False)
    monkeypatch.setattr(Kernel, "kill", kill, raising=False)
    monkeypatch.setattr(lab_mod, "program_table", lambda: dict(PROGRAMS))
    return procs
