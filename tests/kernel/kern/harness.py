"""A host with a kernel and no NIC, for tests of processes, files and sockets.

    h = Host(programs={"/bin/t": main})
    r = h.run(["/bin/t", "arg"])          # runs in virtual time until it exits
    assert r.status == 0 and r.out == "hello\\n"

Programs are ``main(argv) -> int`` functions written against userland.libc.
``h.spawn`` starts one without waiting; ``h.run_for`` advances the clock.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional, Union

from emu.machine import Machine
from emu.sched import MS, SEC, Scheduler
from kernel.kern.init_main import Kernel, KernelConfig
from kernel.kern.kern_proc import proc
from kernel.kern.tty import capture
from kernel.kern.vfs import vfs_seed
from userland.programs import PROGRAMS


@dataclass
class Result:
    status: Optional[int]       # as a shell shows it; None if it did not exit in time
    out: str
    err: str
    p: proc


class Host:
    def __init__(self, programs: Optional[dict[str, Callable[[list[str]], Any]]] = None,
                 files: Optional[dict[str, Any]] = None, seed: int = 0, name: str = "host",
                 base: bool = True) -> None:
        self.sched = Scheduler(seed)
        self.machine = Machine(self.sched, name)
        table = dict(PROGRAMS) if base else {}
        table.update(programs or {})
        self.k = Kernel(self.machine.platform, KernelConfig(programs=table))
        self.k.boot()
        if files:
            vfs_seed(self.k, files)

    @property
    def console(self) -> str:
        return self.machine.console_text()

    @property
    def panicked(self) -> Optional[str]:
        return self.machine.panicked

    def spawn(self, argv: Union[list[str], str], input: Union[bytes, str] = b"",
              combined: bool = False, **kw: Any) -> tuple[proc, capture, capture]:
        if isinstance(argv, str):
            argv = argv.split()
        out = capture(self.k, input=input, interactive=kw.pop("interactive", False))
        err = out if combined else capture(self.k)
        kw.setdefault("stdin", out)
        p = self.k.spawn(argv[0], argv, stdout=out, stderr=err, **kw)
        return p, out, err

    def wait(self, p: proc, timeout: int = 60 * SEC) -> bool:
        """Run the clock until ``p`` exits (True) or ``timeout`` passes (False)."""
        deadline = self.sched.now + timeout
        if p.exited:
            return True
        p.on_exit(lambda _p: self.sched.stop())
        while not p.exited and self.sched.now < deadline and self.machine.panicked is None:
            self.sched.run_until(deadline)
        return p.exited

    def run(self, argv: Union[list[str], str], input: Union[bytes, str] = b"",
            timeout: int = 60 * SEC, combined: bool = False, **kw: Any) -> Result:
        p, out, err = self.spawn(argv, input, combined, **kw)
        self.wait(p, timeout)
        return Result(p.exit_code, out.text(), err.text(), p)

    def run_for(self, delta: int) -> None:
        self.sched.run_for(delta)


def errno_of(fn: Callable[[], Any]) -> int:
    """The errno ``fn()`` fails with (0 if it does not)."""
    try:
        fn()
    except OSError as e:
        return e.errno
    return 0


__all__ = ["Host", "Result", "SEC", "MS", "errno_of"]
