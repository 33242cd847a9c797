"""A small lab for NIC driver tests: machines with an re or an em, their drivers, a segment.

Each :class:`NicHost` is one machine with one device model
(``emu/devices/re.py`` or ``emu/devices/em.py``), optionally a
:class:`~emu.faults.FaultInjector` (built before boot, as it must be), and a
kernel booted with both ``re_driver`` and ``em_driver`` in its config (BSD's
``device re`` / ``device em``): autoconfiguration picks the driver.  Frames
are sent with ``ether_output`` and received by a handler registered for the
IEEE local experimental ethertype 0x88B5 with ``ether_register``.

:class:`NicModel` names, for the tests both NICs share, what differs between
em (docs/hw/em.md) and re (docs/hw/re.md); ``MODEL_PARAMS`` parametrises a test
over both.  ``tests/drivers/em_lab.py`` and ``re_lab.py`` are this lab with
em or re as the default model.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

import pytest

from drivers.if_em import em_driver
from drivers.if_re import re_driver
from emu.devices.em import E1000
from emu.devices.re import RTL8169
from emu.faults import FaultInjector
from emu.machine import Machine
from emu.sched import MS, SEC, Scheduler
from emu.wire.segment import Segment
from kernel.kern.init_main import Kernel, KernelConfig
from kernel.kern.uipc_mbuf import mbuf
from kernel.net.if_ethersubr import ether_output, ether_register
from kernel.net.if_var import ifnet
from kernel.wire.ethernet import ETHER_HDR_LEN, ETHERTYPE
from kernel.wire.net_if import IFF

ETHERTYPE_TEST = int(ETHERTYPE.LOCAL_EXP1)     # 0x88B5
BROADCAST = b"\xff" * 6
MODELS = {"re": RTL8169, "em": E1000}


@dataclass(frozen=True)
class NicModel:
    """What a test shared by em and re needs to know of the one it runs on."""

    name: str                # the model, the driver and the ifnet's name
    doorbell: int            # the TX doorbell: em TDT (em.md §2), re TxPoll (re.md §2)
    tx_ring16_frames: int    # frames a 16-descriptor TX ring takes (em keeps 1 free, re_encap 2)
    watchdog_line: str       # the dmesg line of a TX watchdog reset
    watchdog_timer_attr: str  # the softc's watchdog countdown

    def watchdog_timer(self, sc: Any) -> int:
        return getattr(sc, self.watchdog_timer_attr)

    def tx_all_free(self, sc: Any) -> bool:
        """Every TX descriptor reclaimed."""
        if self.name == "em":
            return sc.num_tx_desc_avail == sc.num_tx_desc
        return sc.rl_tx_free == sc.rl_tx_desc_cnt


EM = NicModel("em", 0x3818, 15, "em0: Watchdog timeout -- resetting", "watchdog_timer")
RE = NicModel("re", 0x38, 14, "re0: watchdog timeout", "rl_watchdog_timer")
MODEL_PARAMS = [pytest.param(EM, id="em"), pytest.param(RE, id="re")]


class NicHost:
    """One machine, one NIC (``model`` "re" or "em"), one kernel."""

    def __init__(self, lab: "NicLab", name: str, mac: bytes, *, model: str = "re",
                 connect: bool = True, inject: bool = False,
                 hints: Optional[dict[str, str]] = None, device: Any = None,
                 mem_size: int = 16 << 20) -> None:
        self.lab = lab
        self.name = name
        self.mac = mac
        self.model = model
        self.ifname = f"{model}0"
        self.machine = Machine(lab.sched, name, mem_size)
        self.dev = device if device is not None else MODELS[model](mac, name=f"{name}.{model}0")
        self.machine.plug(self.dev)
        self.faults: Optional[FaultInjector] = (
            FaultInjector(self.machine, self.dev) if inject else None)
        self.port = None
        if connect:
            self.port = lab.seg.attach(self.dev, name=f"{name}.{self.ifname}")
            self.dev.connect(self.port)
        config = KernelConfig(devices=[em_driver, re_driver])
        if hints:
            config.hints = dict(hints)
        self.kernel = Kernel(self.machine.platform, config)
        self.kernel.boot()
        self.received: list[bytes] = []
        ether_register(self.kernel, ETHERTYPE_TEST, self._input)

    def _input(self, ifp: ifnet, m: mbuf) -> None:
        self.received.append(m.tobytes())

    @property
    def ifp(self) -> ifnet:
        ifp = self.kernel.ifunit(self.ifname)
        assert ifp is not None, f"{self.ifname} did not attach"
        return ifp

    @property
    def sc(self) -> Any:
        return self.ifp.if_softc

    def up(self, extra: IFF = IFF(0)) -> None:
        assert self.ifp.if_setflags(self.ifp.if_flags | IFF.UP | extra) == 0

    def setflags(self, on: IFF = IFF(0), off: IFF = IFF(0)) -> int:
        return self.ifp.if_setflags((self.ifp.if_flags | on) & ~off)

    def send(self, dst: bytes, payload: bytes, ethertype: int = ETHERTYPE_TEST) -> int:
        return ether_output(self.ifp, mbuf(payload), dst, ethertype)

    # The hardware as it is, read past the driver (docs/hw/re.md §2.1 widths).
    def reg1(self, off: int) -> int:
        return self.dev.mmio_read_1(off)

    def reg2(self, off: int) -> int:
        return self.dev.mmio_read_2(off)

    def reg4(self, off: int) -> int:
        return self.dev.mmio_read(off)

    reg = reg4                                   # em's registers are all 32-bit (em.md §2)

    def dmesg(self) -> str:
        return "".join(self.kernel.msgbuf)


class NicLab:
    """A scheduler, a segment and the hosts on it; hosts get ``model`` unless told."""

    def __init__(self, seed: int = 1, latency_ns: int = 1000, mtu: int = 1500,
                 model: str = "re") -> None:
        self.model = model
        self.sched = Scheduler(seed)
        self.seg = Segment(self.sched, "lan0", latency_ns=latency_ns, mtu=mtu)
        self.hosts: list[NicHost] = []

    def host(self, name: str, mac: bytes, **kw: Any) -> NicHost:
        kw.setdefault("model", self.model)
        h = NicHost(self, name, mac, **kw)
        self.hosts.append(h)
        return h

    def pair(self, a_model: Optional[str] = None, b_model: Optional[str] = None,
             **kw: Any) -> tuple[NicHost, NicHost]:
        a = self.host("a", bytes.fromhex("020000000a01"), model=a_model or self.model, **kw)
        b = self.host("b", bytes.fromhex("020000000b01"), model=b_model or self.model, **kw)
        a.up()
        b.up()
        self.run(1 * MS)
        return a, b

    def run(self, ns: int) -> None:
        self.sched.run_for(int(ns))

    def run_s(self, seconds: float) -> None:
        self.sched.run_for(int(seconds * SEC))

    def panics(self) -> list[str]:
        return [f"{h.name}: {h.machine.panicked}\n{h.machine.console_text()}"
                for h in self.hosts if h.machine.panicked is not None]


def payload_of(size: int, seed: int = 0) -> bytes:
    """The payload of a frame of ``size`` bytes (without CRC): a recognisable pattern."""
    n = size - ETHER_HDR_LEN
    return bytes(((i * 7 + seed) & 0xFF) for i in range(n))


def hosts(lab: NicLab, a_kw: Optional[dict] = None,
          b_kw: Optional[dict] = None) -> tuple[NicHost, NicHost]:
    """Hosts a and b with fault injectors, both up, the links settled."""
    a = lab.host("a", bytes.fromhex("020000000a01"), inject=True, **(a_kw or {}))
    b = lab.host("b", bytes.fromhex("020000000b01"), inject=True, **(b_kw or {}))
    a.up()
    b.up()
    lab.run(1 * MS)
    return a, b


@pytest.fixture(params=MODEL_PARAMS)
def nic(request: pytest.FixtureRequest):
    """(a :class:`NicLab` of the model, the :class:`NicModel`), once for em, once for re;
    no machine in the lab may have panicked when the test ends."""
    model: NicModel = request.param
    lab = NicLab(model=model.name)
    yield lab, model
    assert lab.panics() == [], "an exception escaped into the lab"
