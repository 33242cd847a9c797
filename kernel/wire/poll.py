"""<poll.h>: ``struct pollfd`` and the event bits (FreeBSD values)."""
from __future__ import annotations

from dataclasses import dataclass

POLLIN = 0x0001
POLLPRI = 0x0002
POLLOUT = 0x0004
POLLRDNORM = 0x0040
POLLWRNORM = POLLOUT
POLLRDBAND = 0x0080
POLLWRBAND = 0x0100
POLLINIGNEOF = 0x2000
POLLERR = 0x0008
POLLHUP = 0x0010
POLLNVAL = 0x0020
POLLSTANDARD = (POLLIN | POLLPRI | POLLOUT | POLLRDNORM | POLLRDBAND | POLLWRBAND
                | POLLERR | POLLHUP | POLLNVAL)
INFTIM = -1


@dataclass
class pollfd:
    """One entry of poll(2): ``revents`` is filled in by the kernel."""

    fd: int
    events: int = POLLIN
    revents: int = 0
