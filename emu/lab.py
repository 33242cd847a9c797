"""Labs: machines, NICs and segments on one clock (the front of the emulator).

This is the one place (with cli.py, console.py and __main__.py) where the
hardware, the kernel, the drivers and the images meet.  A :class:`Lab` owns
the scheduler (one clock, one seeded RNG), the segments and the machines; it
plugs NIC models into machines, cables them to segments, and boots each
machine's kernel with a kernel configuration naming its drivers — BSD's
``device em`` — taken from :data:`DRIVERS`.

Lab *files* (TOML) come with the IPv6 host stack; today a lab is built in code:

    lab = Lab(seed=1)
    seg = lab.segment("net0")
    a = lab.machine("a", nics=[("em", seg)])
    b = lab.machine("b", nics=[("em", seg)])
    lab.boot()
    lab.run_for(SEC)
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from drivers.if_em import em_driver
from emu.devices.em import E1000
from emu.machine import Machine
from emu.sched import MS, SEC, Scheduler
from emu.wire.pcap import LabCapture
from emu.wire.segment import Segment
from kernel.kern.init_main import Kernel, KernelConfig

# Device models by the name a lab uses, and the driver that attaches to each.
MODELS: dict[str, Callable[..., Any]] = {"em": E1000}
DRIVERS = {"em": em_driver}


@dataclass
class LabMachine:
    """A machine of the lab with its kernel and NICs."""

    name: str
    machine: Machine
    nics: list[Any] = field(default_factory=list)
    kernel: Optional[Kernel] = None

    def ifnet(self, name: str) -> Any:
        assert self.kernel is not None, "boot the lab first"
        return self.kernel.ifunit(name)

    @property
    def console(self) -> str:
        return self.machine.console_text()


class Lab:
    def __init__(self, seed: int = 0) -> None:
        self.sched = Scheduler(seed)
        self.segments: dict[str, Segment] = {}
        self.machines: dict[str, LabMachine] = {}
        self._mac_serial = 0
        self.capture: Optional[LabCapture] = None

    # -- building -----------------------------------------------------------------
    def segment(self, name: str, **params: Any) -> Segment:
        if name in self.segments:
            raise ValueError(f"segment {name!r} already exists")
        seg = Segment(self.sched, name, **params)
        self.segments[name] = seg
        if self.capture is not None:
            self.capture.attach(seg)
        return seg

    def next_mac(self) -> bytes:
        """Locally administered unicast addresses 02:00:00:00:mm:nn, in lab order."""
        self._mac_serial += 1
        return bytes((0x02, 0, 0, 0, self._mac_serial >> 8 & 0xFF, self._mac_serial & 0xFF))

    def machine(self, name: str, nics: list[tuple[str, Optional[Segment]]] = (),
                mem_size: int = 16 << 20) -> LabMachine:
        if name in self.machines:
            raise ValueError(f"machine {name!r} already exists")
        m = Machine(self.sched, name, mem_size)
        lm = LabMachine(name, m)
        for model, seg in nics:
            if model not in MODELS:
                raise ValueError(f"machine {name!r}: unknown NIC model {model!r} "
                                 f"(expected one of {', '.join(sorted(MODELS))})")
            dev = MODELS[model](self.next_mac())
            m.plug(dev)
            if seg is not None:
                dev.connect(seg.attach(dev, f"{name}.{model}{len(lm.nics)}"))
            lm.nics.append(dev)
        self.machines[name] = lm
        return lm

    def capture_to(self, path: str) -> LabCapture:
        """Capture every segment (present and future) into one pcapng file."""
        self.capture = LabCapture(path)
        for seg in self.segments.values():
            self.capture.attach(seg)
        return self.capture

    # -- running ------------------------------------------------------------------
    def boot(self, settle: int = 10 * MS) -> None:
        for lm in self.machines.values():
            models = {type(d) for d in lm.machine.bus.devices()}
            drivers = [DRIVERS[n] for n, cls in MODELS.items() if cls in models]
            lm.kernel = Kernel(lm.machine.platform, KernelConfig(devices=drivers))
            lm.kernel.boot()
        self.run_for(settle)

    def run_for(self, delta: int) -> None:
        self.sched.run_for(delta)

    def run_until_idle(self, max_events: int = 10_000_000) -> None:
        self.sched.run_until_idle(max_events)

    def close(self) -> None:
        if self.capture is not None:
            self.capture.close()
            self.capture = None


__all__ = ["Lab", "LabMachine", "MODELS", "DRIVERS", "SEC", "MS"]
