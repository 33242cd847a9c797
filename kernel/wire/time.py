"""<sys/time.h> and <time.h>: timespec, timeval, itimerval, clock ids (FreeBSD)."""
from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import NamedTuple

NSEC_PER_SEC = 1_000_000_000

CLOCK_REALTIME = 0
CLOCK_VIRTUAL = 1
CLOCK_PROF = 2
CLOCK_MONOTONIC = 4
CLOCK_UPTIME = 5
CLOCK_UPTIME_PRECISE = 7
CLOCK_UPTIME_FAST = 8
CLOCK_REALTIME_PRECISE = 9
CLOCK_REALTIME_FAST = 10
CLOCK_MONOTONIC_PRECISE = 11
CLOCK_MONOTONIC_FAST = 12
CLOCK_SECOND = 13

ITIMER_REAL = 0
ITIMER_VIRTUAL = 1
ITIMER_PROF = 2


class timespec(NamedTuple):
    """struct timespec (a NamedTuple: immutable, and cheap to make on every clock_gettime)."""

    tv_sec: int = 0
    tv_nsec: int = 0

    @classmethod
    def from_ns(cls, ns: int) -> "timespec":
        return cls(ns // NSEC_PER_SEC, ns % NSEC_PER_SEC)

    def to_ns(self) -> int:
        return self.tv_sec * NSEC_PER_SEC + self.tv_nsec


_tv = struct.Struct("<qq")       # struct timeval on an LP64 little-endian host


class timeval(NamedTuple):
    """struct timeval (a NamedTuple: immutable, and cheap to make on every gettimeofday)."""

    tv_sec: int = 0
    tv_usec: int = 0

    @classmethod
    def from_ns(cls, ns: int) -> "timeval":
        return cls(ns // NSEC_PER_SEC, (ns % NSEC_PER_SEC) // 1000)

    def to_ns(self) -> int:
        return self.tv_sec * NSEC_PER_SEC + self.tv_usec * 1000

    def pack(self) -> bytes:
        """The 16 bytes of an SCM_TIMESTAMP control message."""
        return _tv.pack(self.tv_sec, self.tv_usec)

    @classmethod
    def unpack(cls, data: bytes) -> "timeval":
        if len(data) < _tv.size:
            raise ValueError("timeval: truncated")
        return cls(*_tv.unpack_from(data))


@dataclass(frozen=True)
class itimerval:
    it_interval: timeval = timeval()
    it_value: timeval = timeval()


def to_ns(t: "timespec | timeval | int | float | None") -> "int | None":
    """A duration given as timespec, timeval, ns (int) or seconds (float) -> ns."""
    if t is None:
        return None
    if isinstance(t, (timespec, timeval)):
        return t.to_ns()
    if isinstance(t, float):
        return int(round(t * NSEC_PER_SEC))
    if isinstance(t, int):
        return t
    raise TypeError(f"expected a timespec, timeval, or seconds, got {type(t).__name__}")
