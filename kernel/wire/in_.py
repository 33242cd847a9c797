"""<netinet/in.h> for IPv4: ``sockaddr_in`` and dotted-quad text.

(``in`` is a Python keyword, so this module is ``in_``.)  IPv4 is here only as
far as userland needs it today (getaddrinfo, inet_pton); the IPv6 side is
kernel/wire/in6.py.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass

AF_INET = 2
INADDR_ANY = bytes(4)
INADDR_LOOPBACK = bytes((127, 0, 0, 1))
INADDR_BROADCAST = b"\xff\xff\xff\xff"


def inet_pton4(text: str) -> bytes:
    """Strict dotted quad (inet_pton(3): exactly four decimal parts, 0..255)."""
    parts = text.split(".")
    if len(parts) != 4:
        raise ValueError(f"{text}: expected an IPv4 address")
    out = bytearray()
    for p in parts:
        if not p.isdigit() or len(p) > 3 or (len(p) > 1 and p[0] == "0"):
            raise ValueError(f"{text}: expected an IPv4 address")
        v = int(p)
        if v > 255:
            raise ValueError(f"{text}: expected an IPv4 address")
        out.append(v)
    return bytes(out)


def inet_ntop4(a: bytes) -> str:
    if len(a) != 4:
        raise ValueError("IPv4 address must be 4 bytes")
    return ".".join(str(b) for b in a)


@dataclass(frozen=True)
class sockaddr_in:
    """``struct sockaddr_in`` (16 bytes with BSD's sin_len)."""

    sin_addr: bytes = INADDR_ANY
    sin_port: int = 0

    sin_len = 16
    sin_family = AF_INET
    _fmt = struct.Struct("!BBH4s8x")

    def pack(self) -> bytes:
        return self._fmt.pack(16, AF_INET, self.sin_port, self.sin_addr)

    @classmethod
    def unpack(cls, data: bytes, off: int = 0) -> "sockaddr_in":
        if len(data) - off < 16:
            raise ValueError("sockaddr_in: truncated")
        ln, fam, port, addr = cls._fmt.unpack_from(data, off)
        if fam != AF_INET:
            raise ValueError("sockaddr_in: bad family")
        return cls(addr, port)

    def __str__(self) -> str:
        s = inet_ntop4(self.sin_addr)
        return f"{s}:{self.sin_port}" if self.sin_port else s
