"""The INTx# line as the device models drive it (PCI 2.3 2.2.6: level-sensitive).

em.py, re.py and kce.py each decide *when* their line should be high — the
cause register ANDed with the mask register, em's throttled by ITR — in their
own ``update_irq()`` (docs/hw/<device>.md).  Raising, re-sampling and lowering
the line, with the assertion count and the trace event, is the same for all
three and is here.  A model sets ``name``, ``trace``, ``irq_assertions`` and
``_irq_level`` in its ``__init__``.
"""
from __future__ import annotations

from typing import Any, Callable, Optional

from emu.bus import PciDevice


class IntxDevice(PciDevice):
    """A PCI device model with a level-triggered interrupt line."""

    name: str
    trace: Optional[Callable[..., None]]
    irq_assertions: int
    _irq_level: bool

    def _irq_level_update(self, pending: int) -> bool:
        """The line after the cause/mask registers changed (``pending``: their AND):
        True if it must go up now (the model then calls ``_irq_raise``, when its
        moderation allows).  Already high with causes pending, it stays high and
        the interrupt controller samples it again when nothing is in service (a
        delivery lost in between is retried); with none pending it goes low."""
        if pending:
            if not self._irq_level:
                return True
            irq = self.irq
            if irq is not None and not irq.pending:
                irq.set(True)
        elif self._irq_level:
            self._irq_lower()
        return False

    def _irq_raise(self, event: str, **fields: Any) -> None:
        """Assert the line: count it and trace ``event`` with ``fields``."""
        self._irq_level = True
        self.irq_assertions += 1
        if self.trace is not None:
            self.trace(event, dev=self.name, **fields)
        if self.irq is not None:
            self.irq.set(True)

    def _irq_lower(self) -> None:
        """Deassert the line."""
        self._irq_level = False
        if self.irq is not None:
            self.irq.set(False)
