"""A host for kce(4) tests: one machine with a KCE-1, the kce driver, opencrypto and cryptosoft.

The fault injector (``emu/devices/kce_faults.py``) is built before the kernel
boots, as it must be.  ``go`` dispatches a request and runs virtual time until
its callback has run; ``session`` opens a session and says where it went.
"""
from __future__ import annotations

from typing import Any, Callable, Optional

from drivers.kce import kce_driver, kce_softc
from emu.devices.kce import KCE
from emu.devices.kce_faults import KceFaultInjector
from emu.machine import Machine
from emu.sched import MS, Scheduler
from kernel.kern.init_main import Kernel, KernelConfig
from kernel.opencrypto.crypto import crypto_newsession
from kernel.opencrypto.cryptodev import CRYPTOCAP_F_HARDWARE, CRYPTOCAP_F_SOFTWARE
from tests.kernel.opencrypto.vectors import Runner, dispatch_and_wait


class KceHost:
    """One machine, one KCE-1, one kernel with ``kce_driver``."""

    def __init__(self, seed: int = 1, inject: bool = False,
                 hints: Optional[dict[str, str]] = None,
                 before_boot: Optional[Callable[[KCE], None]] = None, **card: Any) -> None:
        self.sched = Scheduler(seed)
        self.machine = Machine(self.sched, "h")
        self.dev = KCE(**card)
        self.machine.plug(self.dev)
        self.faults: Optional[KceFaultInjector] = (
            KceFaultInjector(self.machine, self.dev) if inject else None)
        if before_boot is not None:
            before_boot(self.dev)
        self.k = Kernel(self.machine.platform,
                        KernelConfig(devices=[kce_driver], hints=dict(hints or {})))
        self.k.boot()

    @property
    def sc(self) -> kce_softc:
        devs = [d for d in self.k.devices if d.driver is kce_driver]
        assert devs, "kce0 did not attach:\n" + self.dmesg()
        return devs[0].softc

    def dmesg(self) -> str:
        return "".join(self.k.msgbuf)

    def run_until(self, cond: Callable[[], bool], limit: int = 3000 * MS) -> None:
        sched = self.sched
        deadline = sched.now + limit
        while not cond():
            nt = sched.next_time()
            if nt is None or nt > deadline:
                return
            sched.run_until(nt)

    def run(self, ns: int) -> None:
        self.sched.run_for(ns)

    @property
    def go(self) -> Runner:
        return dispatch_and_wait(self.run_until)

    def session(self, csp: Any, where: Optional[str] = "kce0",
                crid: int = CRYPTOCAP_F_HARDWARE | CRYPTOCAP_F_SOFTWARE) -> Any:
        err, cses = crypto_newsession(self.k, csp, crid)
        assert err == 0, err
        if where is not None:
            assert cses.cs_cap.cc_name == where, cses
        return cses

    def panicked(self) -> Optional[str]:
        p = self.machine.panicked
        return None if p is None else f"{p}\n{self.machine.console_text()}"
