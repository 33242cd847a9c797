"""What the Ethernet NIC models share: the cable and the drop accounting.

em.py (82540EM) and re.py (RTL8169) differ in their register files, rings and
interrupt logic (docs/hw/em.md, docs/hw/re.md), but plug into a wire port, follow
its carrier and count every dropped frame by reason the same way.  A model
subclasses :class:`EtherDevice`, passes its MAC address, name and drop reasons
to its ``__init__`` (which sets ``port``, ``_carrier``, ``_link``, ``drops``
(reason -> frames), ``dma_faults``, ``trace``, ``name`` and the other counters
both models keep) and provides ``_update_link()`` (its link register and
link-change interrupt).
"""
from __future__ import annotations

from typing import Callable, Iterable, Optional, Protocol, Union

from emu.devices.intx import IntxDevice

TraceHook = Callable[..., None]

# Drop reasons both models count (em §9, re §10); each adds its own.
DROP_DMA = "DMA fault"
DROP_FILTER = "filter mismatch"
DROP_NO_DESC = "no descriptors"
DROP_LINK_DOWN = "link down"
DROP_RX_DISABLED = "receiver disabled"
DROP_OVERSIZE = "oversize"
DROP_RUNT = "runt"
DROP_TX_BAD_LENGTH = "tx bad length"


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


class EtherDevice(IntxDevice):
    """The cable and drop bookkeeping of an Ethernet NIC model."""

    port: Optional[Port]
    _carrier: bool
    _link: bool

    def __init__(self, mac: Union[bytes, str], name: str, drop_reasons: Iterable[str]) -> None:
        """What every model starts with: its station address, no cable, no trace, no
        carrier, no link, the interrupt line low and every counter at zero."""
        super().__init__()
        self.name = name
        self.mac_address = parse_mac(mac)
        self.port = None
        self.trace: Optional[TraceHook] = None
        self.drops: dict[str, int] = dict.fromkeys(drop_reasons, 0)
        self.dma_faults = 0
        self.tx_bad_desc = 0
        self.unimpl_writes = 0
        self.irq_assertions = 0
        self._carrier = False
        self._link = False
        self._irq_level = False

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
