"""The device framework: drivers, devices and autoconfiguration (sys/kern/subr_bus.c).

A driver is a :class:`driver_t` with ``probe(pa) -> int`` (a BUS_PROBE_*
priority, or ENXIO) and ``attach(dev) -> softc``.  Autoconfiguration walks the
PCI devices the platform reports, asks every driver named in the kernel
config to probe each, attaches the best, numbers units per driver (em0, em1)
and prints the attach lines to the console as FreeBSD does.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Optional

from kernel.wire import errno

if TYPE_CHECKING:  # pragma: no cover
    from kernel.kern.init_main import Kernel

BUS_PROBE_SPECIFIC = 0
BUS_PROBE_VENDOR = -10
BUS_PROBE_DEFAULT = -20
BUS_PROBE_GENERIC = -100
ENXIO = errno.ENXIO


@dataclass(frozen=True)
class driver_t:
    """``driver_t``: name plus the methods of the device interface we use."""

    name: str
    probe: Callable[[Any], int]
    attach: Callable[["device_t"], Any]
    detach: Optional[Callable[["device_t"], None]] = None
    description: str = ""


class device_t:
    """One attached device instance (``device_t``)."""

    def __init__(self, kernel: "Kernel", driver: driver_t, unit: int, pa: Any) -> None:
        self.kernel = kernel
        self.driver = driver
        self.unit = unit
        self.pa = pa                # pci_attach_args: bst, dmat, intr_establish ...
        self.softc: Any = None
        self.desc = driver.description

    @property
    def nameunit(self) -> str:
        return f"{self.driver.name}{self.unit}"

    def device_printf(self, msg: str) -> None:
        self.kernel.printf(f"{self.nameunit}: {msg}\n")

    def device_get_tunable(self, name: str, default: int) -> int:
        """An integer tunable of this device from the kernel config's hints:
        ``hint.<driver>.<unit>.<name>``, then ``hw.<driver>.<name>`` (FreeBSD's
        resource_int_value and TUNABLE_INT), else ``default``; a bad value is
        reported on the console and ignored."""
        hints = self.kernel.config.hints
        drv = self.driver.name
        for key in (f"hint.{drv}.{self.unit}.{name}", f"hw.{drv}.{name}"):
            if key in hints:
                try:
                    return int(hints[key])
                except (TypeError, ValueError):
                    self.device_printf(f"ignoring bad tunable {key}={hints[key]!r}")
        return default

    def device_set_desc(self, desc: str) -> None:
        self.desc = desc


def autoconf(kernel: "Kernel", drivers: list[driver_t]) -> list[device_t]:
    """Probe and attach every PCI device with the best driver from ``drivers``."""
    units: dict[str, int] = {}
    attached: list[device_t] = []
    for pa in kernel.platform.pci_devices():
        best: Optional[driver_t] = None
        best_pri = None
        for drv in drivers:
            pri = drv.probe(pa)
            if pri == ENXIO or pri > 0:
                continue
            if best_pri is None or pri > best_pri:
                best, best_pri = drv, pri
        if best is None:
            kernel.printf(f"pci0: <network, ethernet> at device {pa.slot}.0 (no driver attached)\n"
                          if pa.class_code >> 16 == 0x02 else
                          f"pci0: <unknown> at device {pa.slot}.0 (no driver attached)\n")
            continue
        unit = units.get(best.name, 0)
        units[best.name] = unit + 1
        dev = device_t(kernel, best, unit, pa)
        kernel.printf(f"{dev.nameunit}: <{dev.desc}> mem {pa.bst.base:#x}-"
                      f"{pa.bst.base + pa.bst.size - 1:#x} irq {pa.irq} at device {pa.slot}.0 on pci0\n")
        try:
            dev.softc = best.attach(dev)
        except OSError as e:
            dev.device_printf(f"attach failed: {e.strerror or e}")
            continue
        attached.append(dev)
    return attached
