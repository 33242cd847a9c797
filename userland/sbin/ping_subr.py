"""What ping(8) and ping6(8) share: the received-table, round-trip and summary code.

FreeBSD's sbin/ping/ping.c and KAME's sbin/ping6/ping6.c are separate
programs that carry the same globals (``ntransmitted``, ``nreceived``,
``nrepeats``, ``tmin``/``tmax``/``tsum``/``tsumsq``, the ``rcvd_tbl`` bit
array of MAX_DUP_CHK bits), the same round-trip arithmetic on the
``struct tv32`` a request carries, the same duplicate detection (``A()``,
``SET()``, ``CLR()``), the same ``-p`` pattern fill and the same summary
block.  Here that code is written once: :class:`PingStat` is the base of
ping's ``Ping`` and ping6's ``Ping6``, which name their program and the few
words in which the two summaries differ.
"""
from __future__ import annotations

import math
from typing import Optional

from kernel.wire.time import timeval
from userland import libc
from userland.libc import stdout


def strtod(s: str) -> Optional[float]:
    """strtod with the whole string consumed; None for junk, inf and nan."""
    try:
        v = float(s) if s and s.strip() == s else None
    except ValueError:
        return None
    return v if v is not None and math.isfinite(v) else None


def fill_pattern(outpack: bytearray, base: int, room: int, patp: str, quiet: bool) -> None:
    """-p: repeat up to 16 bytes given in hex from ``outpack[base]`` over ``room``
    bytes of data, and say so (``PATTERN: 0x...``) unless quiet."""
    pat = bytes(int(patp[i:i + 2], 16) for i in range(0, min(len(patp), 32), 2))
    n = len(pat)
    if n:
        kk = 0
        while kk <= room - n:
            outpack[base + kk:base + kk + n] = pat
            kk += n
    if not quiet:
        libc.printf("PATTERN: 0x%s\n", "".join("%02x" % c for c in pat))


def is_hex(s: str) -> bool:
    return all(c in "0123456789abcdefABCDEF" for c in s)


class PingStat:
    """The counters ping.c and ping6.c keep in globals, and what they do with them."""

    PROG = "ping"
    DUPLICATING = "-- somebody's printing up packets!"   # ping6: "duplicating"
    STDDEV = "stddev"                                    # ping6: "std-dev"

    def __init__(self, max_dup_chk: int) -> None:
        self.npackets = 0          # max packets to transmit
        self.nreceived = 0         # packets we got back
        self.nrepeats = 0          # duplicates
        self.ntransmitted = 0      # sequence number for outbound packets = #sent
        self.nmissedmax = 0
        self.timing = False
        self.tmin = 999999999.0
        self.tmax = 0.0
        self.tsum = 0.0
        self.tsumsq = 0.0
        self.hostname = ""
        self.max_dup_chk = max_dup_chk
        self.rcvd_tbl = bytearray(max_dup_chk // 8)

    def rcvd_clr(self, n: int) -> None:
        """CLR(): request ``n`` has not been answered yet."""
        bit = n % self.max_dup_chk
        self.rcvd_tbl[bit >> 3] &= ~(1 << (bit & 7)) & 0xFF

    def rcvd_set(self, seq: int) -> bool:
        """A()/SET() for a reply to ``seq``: True (and counted) if it is a duplicate."""
        bit = seq % self.max_dup_chk
        if self.rcvd_tbl[bit >> 3] & (1 << (bit & 7)):
            self.nrepeats += 1
            self.nreceived -= 1
            return True
        self.rcvd_tbl[bit >> 3] |= 1 << (bit & 7)
        return False

    def rtt(self, now: timeval, sec: int, usec: int) -> float:
        """The round trip in ms from the ``struct tv32`` a reply brought back
        (tvsub), added into min/max/sum/sum of squares."""
        d_sec = now.tv_sec - sec
        d_usec = now.tv_usec - usec
        if d_usec < 0:
            d_sec -= 1
            d_usec += 1000000
        triptime = d_sec * 1000.0 + d_usec / 1000.0
        self.tsum += triptime
        self.tsumsq += triptime * triptime
        self.tmin = min(self.tmin, triptime)
        self.tmax = max(self.tmax, triptime)
        return triptime

    def pr_summary(self, timeouts: int = 0) -> None:
        """The statistics block both programs print at the end."""
        libc.printf("\n--- %s %s statistics ---\n", self.hostname, self.PROG)
        libc.printf("%ld packets transmitted, ", self.ntransmitted)
        libc.printf("%ld packets received, ", self.nreceived)
        if self.nrepeats:
            libc.printf("+%ld duplicates, ", self.nrepeats)
        if self.ntransmitted:
            if self.nreceived > self.ntransmitted:
                libc.printf("%s", self.DUPLICATING)
            else:
                libc.printf("%.1f%% packet loss",
                            (self.ntransmitted - self.nreceived) * 100.0 / self.ntransmitted)
        if timeouts:
            libc.printf(", %ld packets out of wait time", timeouts)
        libc.printf("\n")
        if self.nreceived and self.timing:
            n = self.nreceived + self.nrepeats
            avg = self.tsum / n
            dev = math.sqrt(max(0.0, self.tsumsq / n - avg * avg))
            libc.printf("round-trip min/avg/max/%s = %.3f/%.3f/%.3f/%.3f ms\n",
                        self.STDDEV, self.tmin, avg, self.tmax, dev)
        libc.fflush(stdout)
