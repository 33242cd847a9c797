"""pcap: capture files of the emulated wire, in libpcap and pcapng format.

Two writers, both fed by :meth:`emu.wire.segment.Segment.add_capture` through
``write_frame(key, ts_ns, frame)`` with virtual timestamps (nanoseconds since
the lab started at 0, so a capture opens at 1970-01-01 00:00:00 UTC):

- :class:`PcapWriter` writes the classic libpcap format
  (draft-ietf-opsawg-pcap): a 24-byte file header, then a 16-byte record
  header per frame; magic 0xA1B23C4D for nanosecond timestamps or 0xA1B2C3D4
  for microseconds; link type LINKTYPE_ETHERNET (1).  One file, one link.
- :class:`PcapngWriter` writes pcapng (draft-ietf-opsawg-pcapng): a Section
  Header Block naming ``kamebox`` as the writing application, an Interface
  Description Block per segment (``if_name``, ``if_tsresol`` = 9, i.e.
  nanoseconds) and an Enhanced Packet Block per frame.  One file can hold a
  whole lab: :class:`LabCapture` gives each segment its own interface.

Both write little-endian, whatever the host, so the same lab with the same
seed and inputs yields the same bytes.  Section numbers in comments are those
of the two drafts.

:func:`read_pcap` and :func:`read_pcapng` are small readers for tests and
tools: they parse what the writers produce (either byte order), check every
length against the file, and raise :class:`ValueError` on a bad file.
"""
from __future__ import annotations

import os
import struct
from typing import Any, BinaryIO, Optional, Union

PathOrFile = Union[str, "os.PathLike[str]", BinaryIO]

LINKTYPE_ETHERNET = 1
PCAP_MAGIC_USEC = 0xA1B2C3D4        # pcap §4: timestamps in seconds + microseconds
PCAP_MAGIC_NSEC = 0xA1B23C4D        # pcap §4: timestamps in seconds + nanoseconds
PCAP_VERSION = (2, 4)
DEFAULT_SNAPLEN = 65535

# pcapng block types (§4) and option codes (§3.5, §4.1, §4.2)
BT_SHB = 0x0A0D0D0A
BT_IDB = 0x00000001
BT_EPB = 0x00000006
BYTE_ORDER_MAGIC = 0x1A2B3C4D
OPT_ENDOFOPT = 0
SHB_USERAPPL = 4
IF_NAME = 2
IF_TSRESOL = 9
USERAPPL = "kamebox"

_BUF_SIZE = 1 << 16
_PCAP_HDR = struct.Struct("<IHHiIII")      # magic, major, minor, thiszone, sigfigs, snaplen, network
_PCAP_REC = struct.Struct("<IIII")         # ts_sec, ts_frac, incl_len, orig_len
_EPB_HDR = struct.Struct("<IIIIIII")       # type, length, interface, ts high, ts low, caplen, origlen
_U32 = struct.Struct("<I")
_PAD = (b"", b"\0\0\0", b"\0\0", b"\0")    # indexed by length % 4


def _pad4(n: int) -> int:
    return (-n) & 3


class _CaptureFile:
    """Buffered output to a path (opened and closed here) or a caller's binary file."""

    def __init__(self, path_or_fileobj: PathOrFile) -> None:
        if isinstance(path_or_fileobj, (str, os.PathLike)):
            self._file: BinaryIO = open(path_or_fileobj, "wb", buffering=_BUF_SIZE)
            self._owned = True
        elif hasattr(path_or_fileobj, "write"):
            self._file = path_or_fileobj
            self._owned = False
        else:
            raise TypeError(f"expected a path or a binary file, not {type(path_or_fileobj).__name__}")
        self._write = self._file.write
        self._closed = False
        self.frames = 0

    @property
    def closed(self) -> bool:
        return self._closed

    def _check_open(self) -> None:
        if self._closed:
            raise ValueError(f"{type(self).__name__} is closed")

    def flush(self) -> None:
        self._check_open()
        self._file.flush()

    def close(self) -> None:
        """Flush, and close the file if this writer opened it.  Idempotent."""
        if self._closed:
            return
        self._closed = True
        self._file.flush()
        if self._owned:
            self._file.close()

    def __enter__(self) -> "_CaptureFile":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class PcapWriter(_CaptureFile):
    """Classic libpcap file of one Ethernet link (pcap §4 file header, §5 records)."""

    def __init__(self, path_or_fileobj: PathOrFile, snaplen: int = DEFAULT_SNAPLEN,
                 nanosecond: bool = True) -> None:
        if not 0 < snaplen <= 0xFFFF_FFFF:
            raise ValueError(f"snaplen must be in 1..2**32-1, not {snaplen!r}")
        super().__init__(path_or_fileobj)
        self.snaplen = snaplen
        self.nanosecond = nanosecond
        self._magic = PCAP_MAGIC_NSEC if nanosecond else PCAP_MAGIC_USEC
        self._write(_PCAP_HDR.pack(self._magic, *PCAP_VERSION, 0, 0, snaplen, LINKTYPE_ETHERNET))

    def write_frame(self, key: Any, ts_ns: int, frame: bytes) -> None:
        """Append ``frame`` stamped ``ts_ns``; ``key`` (the segment) is ignored."""
        if self._closed:
            self._check_open()
        sec, frac = divmod(ts_ns, 1_000_000_000)
        if not self.nanosecond:
            frac //= 1000
        n = len(frame)
        incl = n if n <= self.snaplen else self.snaplen
        self._write(_PCAP_REC.pack(sec, frac, incl, n))
        self._write(frame if incl == n else frame[:incl])
        self.frames += 1


def _option(code: int, value: bytes) -> bytes:
    """One pcapng option (§3.5): code, length, value padded to 32 bits."""
    return struct.pack("<HH", code, len(value)) + value + _PAD[len(value) & 3]


def _block(block_type: int, body: bytes) -> bytes:
    """A pcapng block (§3.1): type, total length, body, total length again."""
    total = 12 + len(body)
    return struct.pack("<II", block_type, total) + body + _U32.pack(total)


_END_OF_OPTIONS = struct.pack("<HH", OPT_ENDOFOPT, 0)


class PcapngWriter(_CaptureFile):
    """pcapng file: one section, an interface per segment, an EPB per frame."""

    def __init__(self, path_or_fileobj: PathOrFile, snaplen: int = DEFAULT_SNAPLEN) -> None:
        if not 0 < snaplen <= 0xFFFF_FFFF:
            raise ValueError(f"snaplen must be in 1..2**32-1, not {snaplen!r}")
        super().__init__(path_or_fileobj)
        self.snaplen = snaplen
        self._ifaces: dict[Any, int] = {}
        self.interface_names: list[str] = []
        # §4.1: byte-order magic, version 1.0, section length -1 (not given)
        shb = (struct.pack("<IHHq", BYTE_ORDER_MAGIC, 1, 0, -1)
               + _option(SHB_USERAPPL, USERAPPL.encode()) + _END_OF_OPTIONS)
        self._write(_block(BT_SHB, shb))

    def add_interface(self, key: Any, name: str) -> int:
        """Write an Interface Description Block for ``key``; return its interface id."""
        self._check_open()
        if key in self._ifaces:
            raise ValueError(f"interface {name!r} is already registered in this capture")
        # §4.2: link type, reserved, snaplen; if_tsresol 9 = 10**-9 s units
        idb = (struct.pack("<HHI", LINKTYPE_ETHERNET, 0, self.snaplen)
               + _option(IF_NAME, name.encode()) + _option(IF_TSRESOL, bytes([9]))
               + _END_OF_OPTIONS)
        self._write(_block(BT_IDB, idb))
        ifid = len(self.interface_names)
        self._ifaces[key] = ifid
        self.interface_names.append(name)
        return ifid

    def write_frame(self, key: Any, ts_ns: int, frame: bytes) -> None:
        """Append an Enhanced Packet Block (§4.3) on the interface of ``key``
        (registered now, named ``str(key)``, if it is new)."""
        if self._closed:
            self._check_open()
        ifid = self._ifaces.get(key)
        if ifid is None:
            ifid = self.add_interface(key, str(key))
        n = len(frame)
        incl = n if n <= self.snaplen else self.snaplen
        pad = (-incl) & 3
        total = 32 + incl + pad
        self._write(_EPB_HDR.pack(BT_EPB, total, ifid, ts_ns >> 32, ts_ns & 0xFFFF_FFFF, incl, n))
        self._write(frame if incl == n else frame[:incl])
        self._write(_PAD[incl & 3] + _U32.pack(total))
        self.frames += 1


class LabCapture:
    """One pcapng file for a whole lab: each attached segment is an interface."""

    def __init__(self, path_or_fileobj: PathOrFile) -> None:
        self.writer = PcapngWriter(path_or_fileobj)
        self._segments: list[Any] = []

    def attach(self, segment: Any) -> int:
        """Capture ``segment`` (an :class:`~emu.wire.segment.Segment`); return its interface id."""
        ifid = self.writer.add_interface(segment, segment.name)
        segment.add_capture(self.writer)
        self._segments.append(segment)
        return ifid

    def close(self) -> None:
        for seg in self._segments:
            seg.remove_capture(self.writer)
        self._segments.clear()
        self.writer.close()

    def __enter__(self) -> "LabCapture":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# -- readers -----------------------------------------------------------------------------

def _read_all(path_or_fileobj: PathOrFile) -> bytes:
    if isinstance(path_or_fileobj, (str, os.PathLike)):
        with open(path_or_fileobj, "rb") as f:
            return f.read()
    data = path_or_fileobj.read()
    if not isinstance(data, bytes):
        raise TypeError("expected a binary file")
    return data


def read_pcap(path_or_fileobj: PathOrFile) -> list[tuple[int, bytes]]:
    """Frames of a classic pcap file as ``(ts_ns, frame)`` (µs files scaled to ns)."""
    data = _read_all(path_or_fileobj)
    if len(data) < _PCAP_HDR.size:
        raise ValueError(f"not a pcap file: {len(data)} bytes, shorter than the "
                         f"{_PCAP_HDR.size}-byte file header")
    for endian in "<>":
        magic = struct.unpack_from(endian + "I", data)[0]
        if magic in (PCAP_MAGIC_NSEC, PCAP_MAGIC_USEC):
            break
    else:
        raise ValueError(f"not a pcap file: magic {data[:4].hex()} is neither "
                         f"{PCAP_MAGIC_USEC:08x} nor {PCAP_MAGIC_NSEC:08x} in either byte order")
    scale = 1 if magic == PCAP_MAGIC_NSEC else 1000
    rec = struct.Struct(endian + "IIII")
    out: list[tuple[int, bytes]] = []
    off = _PCAP_HDR.size
    while off < len(data):
        if off + rec.size > len(data):
            raise ValueError(f"truncated pcap record header at offset {off}")
        sec, frac, incl, _orig = rec.unpack_from(data, off)
        off += rec.size
        if off + incl > len(data):
            raise ValueError(f"truncated pcap record at offset {off - rec.size}: "
                             f"{incl} bytes announced, {len(data) - off} left")
        if frac * scale >= 1_000_000_000:
            raise ValueError(f"bad pcap timestamp fraction {frac} at offset {off - rec.size}")
        out.append((sec * 1_000_000_000 + frac * scale, data[off:off + incl]))
        off += incl
    return out


def _options(data: bytes, off: int, end: int, endian: str) -> dict[int, bytes]:
    """Parse pcapng options (§3.5) in ``data[off:end]``; the first value of each code."""
    opts: dict[int, bytes] = {}
    while off + 4 <= end:
        code, length = struct.unpack_from(endian + "HH", data, off)
        off += 4
        if code == OPT_ENDOFOPT:
            break
        if off + length > end:
            raise ValueError(f"pcapng option {code} overruns its block at offset {off - 4}")
        opts.setdefault(code, data[off:off + length])
        off += length + _pad4(length)
    return opts


def _tsresol_to_ns(value: Optional[bytes]) -> tuple[int, int]:
    """(multiplier, divisor) turning if_tsresol units into ns; default µs (§4.2)."""
    if not value:
        return 1000, 1
    r = value[0]
    if r & 0x80:
        units_per_sec = 1 << (r & 0x7F)
    else:
        units_per_sec = 10 ** r
    return 1_000_000_000, units_per_sec


def read_pcapng(path_or_fileobj: PathOrFile) -> list[tuple[str, int, bytes]]:
    """Packets of a pcapng file as ``(interface name, ts_ns, frame)``.

    Reads SHB, IDB and EPB; other blocks are skipped.  An interface without
    ``if_name`` is called ``if<N>``.
    """
    data = _read_all(path_or_fileobj)
    size = len(data)
    out: list[tuple[str, int, bytes]] = []
    ifaces: list[tuple[str, int, int]] = []    # name, ns multiplier, divisor
    endian = ""
    off = 0
    while off < size:
        if off + 12 > size:
            raise ValueError(f"truncated pcapng block header at offset {off}")
        raw_type = struct.unpack_from("<I", data, off)[0]
        if raw_type == BT_SHB:              # palindromic: same in both byte orders
            if off + 16 > size:
                raise ValueError(f"truncated pcapng section header at offset {off}")
            bom = data[off + 8:off + 12]
            if bom == b"\x4d\x3c\x2b\x1a":
                endian = "<"
            elif bom == b"\x1a\x2b\x3c\x4d":
                endian = ">"
            else:
                raise ValueError(f"bad pcapng byte-order magic {bom.hex()} at offset {off}")
            ifaces = []                     # §4.1: interfaces are per section
        elif not endian:
            raise ValueError("not a pcapng file: it does not begin with a Section Header Block")
        btype, total = struct.unpack_from(endian + "II", data, off)
        if total < 12 or total & 3 or off + total > size:
            raise ValueError(f"bad pcapng block length {total} at offset {off}")
        if struct.unpack_from(endian + "I", data, off + total - 4)[0] != total:
            raise ValueError(f"pcapng block at offset {off}: trailing length does not "
                             f"match {total}")
        body, end = off + 8, off + total - 4
        if btype == BT_SHB:
            if end - body < 16:
                raise ValueError(f"short pcapng section header at offset {off}")
        elif btype == BT_IDB:
            if end - body < 8:
                raise ValueError(f"short pcapng interface description at offset {off}")
            opts = _options(data, body + 8, end, endian)
            name = opts[IF_NAME].decode("utf-8", "replace") if IF_NAME in opts else f"if{len(ifaces)}"
            ifaces.append((name, *_tsresol_to_ns(opts.get(IF_TSRESOL))))
        elif btype == BT_EPB:
            if end - body < 20:
                raise ValueError(f"short pcapng enhanced packet block at offset {off}")
            ifid, hi, lo, caplen, _orig = struct.unpack_from(endian + "IIIII", data, body)
            if ifid >= len(ifaces):
                raise ValueError(f"pcapng packet at offset {off} names interface {ifid}, "
                                 f"but only {len(ifaces)} are described")
            if body + 20 + caplen > end:
                raise ValueError(f"pcapng packet at offset {off}: captured length {caplen} "
                                 f"overruns the block")
            name, mul, div = ifaces[ifid]
            out.append((name, ((hi << 32) | lo) * mul // div,
                        data[body + 20:body + 20 + caplen]))
        off += total
    return out


__all__ = [
    "LINKTYPE_ETHERNET", "PCAP_MAGIC_NSEC", "PCAP_MAGIC_USEC", "LabCapture",
    "PcapWriter", "PcapngWriter", "read_pcap", "read_pcapng",
]
