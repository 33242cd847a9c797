"""Fixtures for opencrypto tests: a booted kernel (cryptosoft attached) and a fake card."""
from __future__ import annotations

from typing import Any, Callable, Optional

import pytest

from emu.machine import Machine
from emu.sched import MS, Scheduler
from kernel.kern.init_main import Kernel, KernelConfig
from kernel.opencrypto.crypto import (
    crypto_done, crypto_get_driverid, crypto_register, cryptodev_methods,
)
from kernel.opencrypto.cryptodev import CRYPTOCAP_F_HARDWARE, cryptop
from kernel.wire import errno
from tests.kernel.opencrypto.vectors import Runner, dispatch_and_wait


class CryptoHost:
    """One machine with a booted kernel and no devices: opencrypto with cryptosoft0."""

    def __init__(self, hints: Optional[dict[str, str]] = None, devices: Any = ()) -> None:
        self.sched = Scheduler(1)
        self.machine = Machine(self.sched, "h")
        self.k = Kernel(self.machine.platform,
                        KernelConfig(devices=list(devices), hints=dict(hints or {})))
        self.k.boot()

    def run_until(self, cond: Callable[[], bool], limit: int = 2000 * MS) -> None:
        """Run events until ``cond()`` holds (or ``limit`` ns of virtual time pass)."""
        sched = self.sched
        deadline = sched.now + limit
        while not cond():
            nt = sched.next_time()
            if nt is None or nt > deadline:
                return
            sched.run_until(nt)

    @property
    def go(self) -> Runner:
        return dispatch_and_wait(self.run_until)


class FakeCard:
    """A hardware driver that holds requests until the test completes them.

    ``capacity`` requests at most; beyond that ``process`` answers ERESTART.
    It does no crypto: tests of the framework check which driver got what.
    """

    def __init__(self, k: Any, name: str = "fake0", algs: tuple[int, ...] = (),
                 capacity: int = 1000) -> None:
        self.k = k
        self.name = name
        self.capacity = capacity
        self.held: list[cryptop] = []
        self.sessions: list[Any] = []
        self.freed: list[Any] = []
        self.refuse_newsession = 0
        self.methods = cryptodev_methods(self.newsession, self.freesession, self.process)
        self.hid = crypto_get_driverid(k, name, self.methods, CRYPTOCAP_F_HARDWARE)
        for alg in algs:
            crypto_register(k, self.hid, alg)

    def newsession(self, dev: Any, cses: Any, csp: Any) -> int:
        if self.refuse_newsession:
            return self.refuse_newsession
        cses.cs_softc = ("fake", self.name)
        self.sessions.append(cses)
        return 0

    def freesession(self, dev: Any, cses: Any) -> None:
        self.freed.append(cses)

    def process(self, dev: Any, crp: cryptop, hint: int) -> int:
        if len(self.held) >= self.capacity:
            return errno.ERESTART
        self.held.append(crp)
        return 0

    def complete(self, n: Optional[int] = None, etype: int = 0) -> list[cryptop]:
        n = len(self.held) if n is None else n
        done, self.held = self.held[:n], self.held[n:]
        for crp in done:
            crp.crp_etype = etype
            crypto_done(crp)
        return done


@pytest.fixture
def host() -> CryptoHost:
    h = CryptoHost()
    yield h
    assert h.machine.panicked is None, h.machine.console_text()
