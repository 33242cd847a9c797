"""What the Ethernet NIC models share: the cable and the drop accounting.

em.py (82540EM) and re.py (RTL8169) differ in their register files, rings and
interrupt logic (docs/hw/em.md, docs/hw/re.md), but plug into a wire port, follow
its carrier and count every dropped frame by reason the same way.  A model
subclasses :class:`EtherDevice` and provides ``_update_link()`` (its link
register and link-change interrupt), and the attributes ``port``, ``_carrier``,
``_link``, ``drops`` (reason -> frames), ``dma_faults``, ``trace`` and ``name``.
"""
from __future__ import annotations

from typing import Callable, Optional, Protocol, Union

from emu.bus import PciDevice

TraceHook = Callable[..., None]
DROP_DMA = "DMA fault"


class Port(Protocol):
    """What the device needs of the wire (``emu/wire/segment.py``)."""

    link_up: bool

    def transmit(self, frame: bytes) -> bool: ...


def parse_mac(mac: Union[bytes, str]) -> bytes:
    """A station address from ``"02:00:..."`` or 6 bytes (ValueError if it is not one)."""
    if isinstance(mac, str):
        try:
            mac = bytes(int(x, 16) for x in mac.split(":"))
        except ValueError:
            raise ValueError(f"bad MAC address {mac!r}") from None
    mac = bytes(mac)
    if len(mac) != 6:
        raise ValueError(f"a MAC address has 6 bytes, not {len(mac)}")
    if mac[0] & 1:
        raise ValueError("a station address must not be a group address")
    return mac


class EtherDevice(PciDevice):
    """The cable and drop bookkeeping of an Ethernet NIC model."""

    port: Optional[Port]
    _carrier: bool
    _link: bool

    def _update_link(self) -> None:  # pragma: no cover - each model has its own
        raise NotImplementedError

    @property
    def link(self) -> bool:
        """The link as the device's status register reports it."""
        return self._link

    def connect(self, port: Optional[Port]) -> None:
        """Plug the cable into ``port`` (None unplugs it); carrier follows the port."""
        self.port = port
        self._carrier = bool(port is not None and port.link_up)
        self._update_link()

    def disconnect(self) -> None:
        self.connect(None)

    def link_changed(self, up: bool) -> None:
        """The segment reports carrier on/off."""
        self._carrier = bool(up) and self.port is not None
        self._update_link()

    def _drop(self, event: str, reason: str, length: int) -> None:
        self.drops[reason] += 1
        if self.trace is not None:
            self.trace(event, dev=self.name, reason=reason, len=length)

    def _dma_fault(self, event: str, addr: int, length: int) -> None:
        self.dma_faults += 1
        self.drops[DROP_DMA] += 1
        if self.trace is not None:
            self.trace(event, dev=self.name, reason=DROP_DMA, len=length, addr=addr)
