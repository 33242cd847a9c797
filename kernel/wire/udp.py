"""<netinet/udp.h>: the UDP header (RFC 768) as carried over IPv6 (RFC 8200 8.1).

Over IPv6 the checksum is mandatory (RFC 8200 8.1: "a UDP checksum of zero
... must be discarded"); a computed checksum of zero is sent as 0xFFFF
(RFC 768, RFC 8200 8.1).
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Union

from kernel.wire.in_cksum import in6_cksum_data
from kernel.wire.ip6 import IPPROTO_UDP, Malformed, Truncated

Buffer = Union[bytes, bytearray, memoryview]

UDP_HDR_LEN = 8

# <netinet/udp.h> socket options (level IPPROTO_UDP) and UDP encapsulation of ESP
UDP_ENCAP = 1                           # int: UDP_ENCAP_ESPINUDP or 0
UDP_ENCAP_ESPINUDP_NON_IKE = 1          # draft-ietf-ipsec-nat-t-ike-00/01 (not supported)
UDP_ENCAP_ESPINUDP = 2                  # RFC 3948 (draft-ietf-ipsec-udp-encaps-02+)
UDP_ENCAP_ESPINUDP_PORT = 500
UDP_ENCAP_ESPINUDP_MAXFRAGLEN = 552
# struct udphdr: uh_sport, uh_dport, uh_ulen, uh_sum
udphdr = struct.Struct("!HHHH")


class udp_packet:
    """A view of a UDP datagram: ``check_len`` once, then read."""

    __slots__ = ("buf",)

    def __init__(self, buf: Buffer) -> None:
        self.buf = buf

    @classmethod
    def new_checked(cls, buf: Buffer) -> "udp_packet":
        p = cls(buf)
        p.check_len()
        return p

    def check_len(self) -> None:
        if len(self.buf) < UDP_HDR_LEN:
            raise Truncated(f"UDP header needs {UDP_HDR_LEN} bytes, got {len(self.buf)}")
        if self.length < UDP_HDR_LEN:
            raise Malformed(f"UDP length {self.length} is shorter than the header")
        if self.length > len(self.buf):
            raise Truncated(f"UDP length {self.length} exceeds the {len(self.buf)} bytes present")

    @property
    def src_port(self) -> int:
        return (self.buf[0] << 8) | self.buf[1]

    @property
    def dst_port(self) -> int:
        return (self.buf[2] << 8) | self.buf[3]

    @property
    def length(self) -> int:
        return (self.buf[4] << 8) | self.buf[5]

    @property
    def checksum(self) -> int:
        return (self.buf[6] << 8) | self.buf[7]

    @property
    def payload(self) -> bytes:
        return bytes(self.buf[UDP_HDR_LEN:self.length])


@dataclass(frozen=True)
class udp_repr:
    """A checked UDP datagram (ports and payload)."""

    sport: int
    dport: int
    payload: bytes = b""

    @classmethod
    def parse(cls, buf: Buffer, src: bytes | None = None, dst: bytes | None = None) -> "udp_repr":
        p = udp_packet.new_checked(buf)
        if src is not None and dst is not None:
            if p.checksum == 0:
                raise Malformed("UDP checksum 0 is not allowed over IPv6 (RFC 8200 8.1)")
            if in6_cksum_data(src, dst, IPPROTO_UDP, bytes(buf[:p.length])) != 0:
                raise Malformed("UDP checksum mismatch")
        return cls(p.src_port, p.dst_port, p.payload)

    def buffer_len(self) -> int:
        return UDP_HDR_LEN + len(self.payload)

    def emit(self, buf: bytearray | memoryview, off: int = 0, src: bytes | None = None,
             dst: bytes | None = None) -> None:
        n = self.buffer_len()
        if n > 0xFFFF:
            raise Malformed("UDP datagram longer than 65535 bytes")
        udphdr.pack_into(buf, off, self.sport, self.dport, n, 0)
        buf[off + UDP_HDR_LEN:off + n] = self.payload
        if src is not None and dst is not None:
            ck = in6_cksum_data(src, dst, IPPROTO_UDP, bytes(buf[off:off + n]))
            struct.pack_into("!H", buf, off + 6, ck or 0xFFFF)   # RFC 768: 0 is sent as all ones

    def to_bytes(self, src: bytes | None = None, dst: bytes | None = None) -> bytes:
        b = bytearray(self.buffer_len())
        self.emit(b, 0, src, dst)
        return bytes(b)
