"""libpcap: packet capture through /dev/bpf, and savefiles (contrib/libpcap: pcap.c,
pcap-bpf.c, savefile.c, sf-pcap.c, bpf_filter.c, pcap-common.c — libpcap 1.8 as in
FreeBSD's base).

- **Live capture** (``pcap_open_live``; pcap_activate_bpf): open the cloning
  ``/dev/bpf``, check BIOCVERSION, ask for a 512 KiB buffer (BIOCSBLEN; the
  kernel clamps it to ``net.bpf.maxbufsize``) and bind it (BIOCSETIF: ENXIO
  is PCAP_ERROR_NO_SUCH_DEVICE, "BIOCSETIF failed: Device not configured"),
  read the link type (BIOCGDLT), BIOCPROMISC, immediate mode
  (BIOCIMMEDIATE) or the read timeout (BIOCSRTIMEOUT), and install an
  accept-all program returning the snapshot length so the kernel truncates.
  ``pcap_setfilter`` hands a compiled program to the kernel (BIOCSETF).
  ``pcap_loop`` reads whole buffers and walks their ``bpf_hdr`` records;
  ``pcap_breakloop`` (from a signal handler) ends it with PCAP_ERROR_BREAK at
  the next record or read.  ``pcap_stats`` is BIOCGSTATS.
- **Savefiles** (draft-ietf-opsawg-pcap): ``pcap_dump_open``/``pcap_dump``
  write the classic format — magic 0xa1b2c3d4 (microseconds), version 2.4,
  the snapshot length and the link type, in host (little-endian) order — to a
  file of the host (or "-", the standard output); ``pcap_open_offline`` reads
  either byte order, microsecond or nanosecond magic.  Filters run here, in
  userland, with libpcap's own copy of the BPF interpreter (``bpf_filter``,
  as libpcap carries bpf_filter.c).
"""
from __future__ import annotations

import struct
from collections import deque
from dataclasses import dataclass
from typing import Any, Callable, Optional

from kernel.wire.bpf import (
    BIOCGBLEN, BIOCGDLT, BIOCGSTATS, BIOCIMMEDIATE, BIOCPROMISC, BIOCSBLEN, BIOCSDIRECTION,
    BIOCSETF, BIOCSETIF, BIOCSRTIMEOUT, BIOCVERSION, BPF_D_IN, BPF_D_INOUT, BPF_D_OUT,
    BPF_MAJOR_VERSION, BPF_MINOR_VERSION, BPF_MEMWORDS, BPF_RET, BPF_K, DLT_EN10MB, DLT_NULL,
    BPF_STMT, bpf_insn, bpf_program, bpf_records,
)
from kernel.wire.errno import EINTR, EINVAL, ENETDOWN, ENOBUFS, ENXIO, EWOULDBLOCK, strerror
from kernel.wire.fcntl import O_CREAT, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY
from kernel.wire.net_if import IFF, ifreq
from kernel.wire.socket import SOCK_DGRAM, SOCK_STREAM
from kernel.wire.time import timeval
from userland import libc
from userland.libpcap_gencode import PcapCompileError, bpf_image, pcap_compile_expr

PCAP_ERRBUF_SIZE = 256
PCAP_ERROR = -1
PCAP_ERROR_BREAK = -2
PCAP_ERROR_NOT_ACTIVATED = -3
PCAP_ERROR_ACTIVATED = -4
PCAP_ERROR_NO_SUCH_DEVICE = -5
PCAP_ERROR_RFMON_NOTSUP = -6
PCAP_ERROR_NOT_RFMON = -7
PCAP_ERROR_PERM_DENIED = -8
PCAP_ERROR_IFACE_NOT_UP = -9
PCAP_WARNING = 1
PCAP_WARNING_PROMISC_NOTSUP = 2

PCAP_D_INOUT, PCAP_D_IN, PCAP_D_OUT = 0, 1, 2
DEFAULT_BUFSIZE = 524288             # what pcap-bpf.c asks for first
MAXIMUM_SNAPLEN = 262144

TCPDUMP_MAGIC = 0xA1B2C3D4
NSEC_TCPDUMP_MAGIC = 0xA1B23C4D
PCAP_VERSION_MAJOR = 2
PCAP_VERSION_MINOR = 4
LINKTYPE_NULL = 0
LINKTYPE_ETHERNET = 1
_FILEHDR = struct.Struct("<IHHiIII")
_RECHDR = struct.Struct("<IIII")

_DLT_NAMES = {DLT_NULL: ("NULL", "BSD loopback"), DLT_EN10MB: ("EN10MB", "Ethernet")}
_STATUS = {
    PCAP_ERROR: "Generic error",
    PCAP_ERROR_BREAK: "Loop terminated by pcap_breakloop",
    PCAP_ERROR_NOT_ACTIVATED: "The pcap_t has not been activated",
    PCAP_ERROR_ACTIVATED: "The setting can't be changed after the pcap_t is activated",
    PCAP_ERROR_NO_SUCH_DEVICE: "No such device exists",
    PCAP_ERROR_RFMON_NOTSUP: "That device doesn't support monitor mode",
    PCAP_ERROR_NOT_RFMON: "That operation is supported only in monitor mode",
    PCAP_ERROR_PERM_DENIED: "You don't have permission to capture on that device",
    PCAP_ERROR_IFACE_NOT_UP: "That device is not up",
    PCAP_WARNING: "Generic warning",
    PCAP_WARNING_PROMISC_NOTSUP: "That device doesn't support promiscuous mode",
}


def pcap_statustostr(status: int) -> str:
    return _STATUS.get(status, f"Unknown error: {status}")


def pcap_datalink_val_to_name(dlt: int) -> Optional[str]:
    return _DLT_NAMES.get(dlt, (None, None))[0]


def pcap_datalink_val_to_description(dlt: int) -> Optional[str]:
    return _DLT_NAMES.get(dlt, (None, None))[1]


class PcapError(Exception):
    """An open failed: ``status`` (PCAP_ERROR...) and libpcap's error buffer."""

    def __init__(self, status: int, errbuf: str) -> None:
        super().__init__(errbuf)
        self.status = status
        self.errbuf = errbuf


@dataclass
class pcap_pkthdr:
    ts: timeval
    caplen: int
    len: int


@dataclass
class pcap_stat:
    ps_recv: int = 0
    ps_drop: int = 0
    ps_ifdrop: int = 0


Handler = Callable[[pcap_pkthdr, bytes], None]


class pcap_t:
    """One capture: live (a /dev/bpf descriptor) or a savefile being read."""

    def __init__(self) -> None:
        self.fd = -1
        self.rfile = False
        self.device = ""
        self.snapshot = MAXIMUM_SNAPLEN
        self.linktype = DLT_EN10MB
        self.bufsize = 0
        self.pending: deque = deque()          # records of the last read not yet handled
        self.break_loop = False
        self.errbuf = ""
        self.fcode: Optional[list[bpf_insn]] = None    # offline filter
        self.data = b""                        # a savefile's bytes
        self.off = 0
        self.swapped = False
        self.nsec = False
        self.version = (PCAP_VERSION_MAJOR, PCAP_VERSION_MINOR)


# -- live capture ------------------------------------------------------------------------------
def pcap_open_live(device: str, snaplen: int, promisc: bool, to_ms: int,
                   immediate: bool = False) -> pcap_t:
    """pcap_create + set_snaplen/promisc/timeout/immediate_mode + pcap_activate."""
    p = pcap_t()
    p.device = device
    p.snapshot = snaplen if 0 < snaplen <= MAXIMUM_SNAPLEN else MAXIMUM_SNAPLEN
    try:
        fd = libc.open("/dev/bpf", O_RDWR)
    except OSError as e:
        raise PcapError(PCAP_ERROR, f"(cannot open BPF device) /dev/bpf: {e.strerror}") from None
    p.fd = fd
    try:
        _activate(p, promisc, to_ms, immediate)
    except PcapError:
        libc.close(fd)
        raise
    return p


def _activate(p: pcap_t, promisc: bool, to_ms: int, immediate: bool) -> None:
    fd = p.fd
    v = libc.ioctl(fd, BIOCVERSION)
    if v.bv_major != BPF_MAJOR_VERSION or v.bv_minor < BPF_MINOR_VERSION:
        raise PcapError(PCAP_ERROR, "kernel bpf filter out of date")
    size = libc.ioctl(fd, BIOCGBLEN)
    if size < DEFAULT_BUFSIZE:
        size = DEFAULT_BUFSIZE
    while size:                                  # halve until a size works
        try:
            libc.ioctl(fd, BIOCSBLEN, size)
        except OSError:
            pass
        try:
            libc.ioctl(fd, BIOCSETIF, ifreq(ifr_name=p.device))
            break
        except OSError as e:
            if e.errno == ENXIO:
                raise PcapError(PCAP_ERROR_NO_SUCH_DEVICE,
                                f"BIOCSETIF failed: {strerror(ENXIO)}") from None
            if e.errno == ENETDOWN:
                raise PcapError(PCAP_ERROR_IFACE_NOT_UP, "") from None
            if e.errno != ENOBUFS:
                raise PcapError(PCAP_ERROR, f"BIOCSETIF: {p.device}: {e.strerror}") from None
        size >>= 1
    if not size:
        raise PcapError(PCAP_ERROR, "BIOCSBLEN: No buffer size worked")
    p.linktype = libc.ioctl(fd, BIOCGDLT)
    if promisc:
        try:
            libc.ioctl(fd, BIOCPROMISC)
        except OSError as e:
            raise PcapError(PCAP_ERROR, f"BIOCPROMISC: {e.strerror}") from None
    if immediate:
        libc.ioctl(fd, BIOCIMMEDIATE, 1)
    if to_ms:
        libc.ioctl(fd, BIOCSRTIMEOUT, timeval(to_ms // 1000, (to_ms % 1000) * 1000))
    p.bufsize = libc.ioctl(fd, BIOCGBLEN)
    # No filter yet: one that accepts everything and says how much to keep.
    libc.ioctl(fd, BIOCSETF, bpf_program.of([BPF_STMT(BPF_RET | BPF_K, p.snapshot)]))


def pcap_lookupdev() -> str:
    """The first interface that is up and not a loopback (PcapError if none)."""
    seen = set()
    for ifa in libc.getifaddrs():
        if ifa.ifa_name in seen:
            continue
        seen.add(ifa.ifa_name)
        if ifa.ifa_flags & IFF.UP and not ifa.ifa_flags & IFF.LOOPBACK:
            return ifa.ifa_name
    raise PcapError(PCAP_ERROR, "no suitable device found")


def pcap_setdirection(p: pcap_t, d: int) -> None:
    libc.ioctl(p.fd, BIOCSDIRECTION, {PCAP_D_IN: BPF_D_IN, PCAP_D_OUT: BPF_D_OUT,
                                      PCAP_D_INOUT: BPF_D_INOUT}[d])


# -- filters -------------------------------------------------------------------------------------
def pcap_compile(p: pcap_t, expr: str, optimize: int = 1) -> bpf_program:
    """Compile ``expr`` for ``p``'s link type (PcapCompileError with libpcap's message)."""
    return pcap_compile_expr(expr, p.linktype, p.snapshot, _resolve)


def _resolve(kind: str, what: Any) -> list:
    """Names for the compiler: host names (/etc/hosts) and services (/etc/services)."""
    if kind == "host":
        try:
            ais = libc.getaddrinfo(what, None)
        except OSError:
            return []
        out = []
        for ai in ais:
            a = getattr(ai.ai_addr, "sin6_addr", None) or getattr(ai.ai_addr, "sin_addr", None)
            entry = (ai.ai_family, a)
            if a is not None and entry not in out:
                out.append(entry)
        return out
    name, proto = what
    for st in ((SOCK_DGRAM,) if proto == "udp" else (SOCK_STREAM,)
               if proto == "tcp" else (SOCK_DGRAM, SOCK_STREAM)):
        try:
            ais = libc.getaddrinfo(None, name, libc.addrinfo(ai_socktype=st))
        except OSError:
            continue
        return [ais[0].ai_addr.sin6_port if hasattr(ais[0].ai_addr, "sin6_port")
                else ais[0].ai_addr.sin_port]
    return []


def pcap_setfilter(p: pcap_t, prog: bpf_program) -> None:
    """Live: the kernel filters (BIOCSETF, which also flushes); a savefile, or a
    program the kernel refuses with EINVAL (longer than net.bpf.maxinsns): we do,
    as pcap_setfilter_bpf falls back to filtering in userland."""
    if p.rfile:
        p.fcode = list(prog.bf_insns or [])
        return
    try:
        libc.ioctl(p.fd, BIOCSETF, prog)
        p.fcode = None
    except OSError as e:
        if e.errno != EINVAL:
            raise
        p.fcode = list(prog.bf_insns or [])    # the kernel keeps its accept-all program
    p.pending.clear()


def bpf_dump(prog: bpf_program) -> list[str]:
    """The program as ``tcpdump -d`` prints it."""
    return [bpf_image(ins, i) for i, ins in enumerate(prog.bf_insns or [])]


# -- reading -------------------------------------------------------------------------------------
def pcap_breakloop(p: pcap_t) -> None:
    p.break_loop = True


def _read_live(p: pcap_t, maxcnt: int, callback: Handler) -> int:
    while True:
        if p.break_loop:
            p.break_loop = False
            return PCAP_ERROR_BREAK
        if p.pending:
            break
        try:
            buf = libc.read(p.fd, p.bufsize)
        except OSError as e:
            if e.errno == EINTR:
                continue                  # look at break_loop again
            if e.errno == EWOULDBLOCK:
                return 0
            if e.errno == ENXIO:
                p.errbuf = "The interface went down"
                return PCAP_ERROR
            p.errbuf = f"read: {e.strerror}"
            return PCAP_ERROR
        if not buf:
            return 0                      # the read timeout, nothing came
        try:
            p.pending.extend(bpf_records(buf))
        except ValueError as e:
            p.errbuf = f"read: {e}"
            return PCAP_ERROR
    n = 0
    while p.pending:
        if p.break_loop:
            if n == 0:
                p.break_loop = False
                return PCAP_ERROR_BREAK
            return n
        h, data = p.pending.popleft()
        if p.fcode is not None and not bpf_filter(p.fcode, data, h.bh_datalen, h.bh_caplen):
            continue
        callback(pcap_pkthdr(h.bh_tstamp, h.bh_caplen, h.bh_datalen), data)
        n += 1
        if 0 < maxcnt <= n:
            break
    return n


def pcap_loop(p: pcap_t, cnt: int, callback: Handler) -> int:
    """Call ``callback`` for ``cnt`` packets (all, if <= 0): 0 at the count or the end
    of a savefile, PCAP_ERROR_BREAK after pcap_breakloop, PCAP_ERROR on errors."""
    done = 0
    while True:
        want = cnt - done if cnt > 0 else -1
        r = _read_offline(p, want, callback) if p.rfile else _read_live(p, want, callback)
        if r < 0:
            return r
        if p.rfile and r == 0:
            return 0
        done += r
        if cnt > 0 and done >= cnt:
            return 0


def pcap_stats(p: pcap_t) -> pcap_stat:
    if p.rfile:
        raise OSError("Statistics aren't available from savefiles")
    st = libc.ioctl(p.fd, BIOCGSTATS)
    return pcap_stat(st.bs_recv, st.bs_drop)


def pcap_datalink(p: pcap_t) -> int:
    return p.linktype


def pcap_close(p: pcap_t) -> None:
    if p.fd >= 0 and not p.rfile:
        libc.close(p.fd)
    p.fd = -1


# -- savefiles -----------------------------------------------------------------------------------
def pcap_open_offline(fname: str) -> pcap_t:
    """Open a savefile (PcapError with libpcap's messages)."""
    try:
        fd = 0 if fname == "-" else libc.open(fname, O_RDONLY)
    except OSError as e:
        raise PcapError(PCAP_ERROR, f"{fname}: {e.strerror}") from None
    try:
        data = libc.read_all(fd)
    except OSError as e:
        raise PcapError(PCAP_ERROR, f"error reading dump file: {e.strerror}") from None
    finally:
        if fd != 0:
            libc.close(fd)
    p = pcap_t()
    p.rfile = True
    if len(data) < 4:
        raise PcapError(PCAP_ERROR, f"truncated dump file; tried to read 4 file header bytes, "
                                    f"only got {len(data)}")
    magic = struct.unpack_from("<I", data)[0]
    if magic in (TCPDUMP_MAGIC, NSEC_TCPDUMP_MAGIC):
        endian = "<"
    elif struct.unpack_from(">I", data)[0] in (TCPDUMP_MAGIC, NSEC_TCPDUMP_MAGIC):
        endian = ">"
        magic = struct.unpack_from(">I", data)[0]
        p.swapped = True
    else:
        raise PcapError(PCAP_ERROR, "unknown file format")
    if len(data) < _FILEHDR.size:
        raise PcapError(PCAP_ERROR, f"truncated dump file; tried to read {_FILEHDR.size} file "
                                    f"header bytes, only got {len(data)}")
    _, major, minor, _zone, _sig, snaplen, linktype = struct.unpack_from(endian + "IHHiIII", data)
    if major < PCAP_VERSION_MAJOR:
        raise PcapError(PCAP_ERROR, "archaic pcap savefile format")
    p.version = (major, minor)
    p.nsec = magic == NSEC_TCPDUMP_MAGIC
    p.snapshot = snaplen or MAXIMUM_SNAPLEN
    p.linktype = {LINKTYPE_NULL: DLT_NULL, LINKTYPE_ETHERNET: DLT_EN10MB}.get(linktype & 0x03FFFFFF,
                                                                           linktype & 0x03FFFFFF)
    p.data = data
    p.off = _FILEHDR.size
    p.device = fname
    return p


def _read_offline(p: pcap_t, maxcnt: int, callback: Handler) -> int:
    endian = ">" if p.swapped else "<"
    n = 0
    data = p.data
    while maxcnt <= 0 or n < maxcnt:
        if p.break_loop:
            if n == 0:
                p.break_loop = False
                return PCAP_ERROR_BREAK
            return n
        left = len(data) - p.off
        if left == 0:
            return n
        if left < _RECHDR.size:
            p.errbuf = (f"truncated dump file; tried to read {_RECHDR.size} header bytes, "
                        f"only got {left}")
            return PCAP_ERROR
        sec, frac, caplen, wirelen = struct.unpack_from(endian + "IIII", data, p.off)
        p.off += _RECHDR.size
        if caplen > max(p.snapshot, MAXIMUM_SNAPLEN):
            p.errbuf = f"invalid packet capture length {caplen}, bigger than snaplen of " \
                       f"{max(p.snapshot, MAXIMUM_SNAPLEN)}"
            return PCAP_ERROR
        if len(data) - p.off < caplen:
            p.errbuf = (f"truncated dump file; tried to read {caplen} captured bytes, "
                        f"only got {len(data) - p.off}")
            return PCAP_ERROR
        pkt = data[p.off:p.off + caplen]
        p.off += caplen
        usec = frac // 1000 if p.nsec else frac
        if p.fcode is None or bpf_filter(p.fcode, pkt, wirelen, caplen):
            callback(pcap_pkthdr(timeval(sec, usec), caplen, wirelen), pkt)
            n += 1
    return n


class pcap_dumper_t:
    """An open savefile being written (pcap_dump_open)."""

    def __init__(self, fd: int, close_fd: bool) -> None:
        self.fd = fd
        self.close_fd = close_fd
        self.buf = bytearray()

    def write(self, data: bytes) -> None:
        self.buf += data
        if len(self.buf) >= 16384:
            self.flush()

    def flush(self) -> None:
        while self.buf:
            n = libc.write(self.fd, bytes(self.buf))
            del self.buf[:n]


def pcap_dump_open(p: pcap_t, fname: str) -> pcap_dumper_t:
    """Create ``fname`` ("-": standard output) and write the file header."""
    if fname == "-":
        d = pcap_dumper_t(1, False)
    else:
        try:
            fd = libc.open(fname, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        except OSError as e:
            raise PcapError(PCAP_ERROR, f"{fname}: {e.strerror}") from None
        d = pcap_dumper_t(fd, True)
    linktype = {DLT_NULL: LINKTYPE_NULL, DLT_EN10MB: LINKTYPE_ETHERNET}.get(p.linktype, p.linktype)
    d.write(_FILEHDR.pack(TCPDUMP_MAGIC, PCAP_VERSION_MAJOR, PCAP_VERSION_MINOR, 0, 0,
                          p.snapshot, linktype))
    return d


def pcap_dump(d: pcap_dumper_t, h: pcap_pkthdr, data: bytes) -> None:
    d.write(_RECHDR.pack(h.ts.tv_sec & 0xFFFFFFFF, h.ts.tv_usec, h.caplen, h.len)
            + bytes(data[:h.caplen]))


def pcap_dump_flush(d: pcap_dumper_t) -> None:
    d.flush()


def pcap_dump_close(d: pcap_dumper_t) -> None:
    d.flush()
    if d.close_fd:
        libc.close(d.fd)


# -- libpcap's copy of the BPF interpreter (bpf_filter.c) ------------------------------------------
_U32 = 0xFFFFFFFF


def bpf_filter(pc: Optional[list[bpf_insn]], p: bytes, wirelen: int, buflen: int) -> int:
    """Run ``pc`` over ``p`` as the kernel does (0: reject; a load past the end
    or a division by zero rejects)."""
    if pc is None:
        return _U32
    A = X = 0
    mem = [0] * BPF_MEMWORDS
    i = 0
    n = len(pc)
    while i < n:
        code, jt, jf, k = pc[i]
        i += 1
        cls = code & 7
        if cls == 6:                                           # RET
            return k if code & 0x18 == 0 else A if code & 0x18 == 0x10 else 0
        if cls in (0, 1):                                      # LD, LDX
            mode, size = code & 0xE0, code & 0x18
            if mode == 0x00:
                v = k
            elif mode == 0x80:
                v = wirelen & _U32
            elif mode == 0x60:
                if k >= BPF_MEMWORDS:
                    return 0
                v = mem[k]
            elif mode in (0x20, 0x40) and cls == 0:
                off = k + (X if mode == 0x40 else 0)
                width = {0x00: 4, 0x08: 2, 0x10: 1}.get(size)
                if width is None or off + width > buflen:
                    return 0
                v = int.from_bytes(p[off:off + width], "big")
            elif mode == 0xA0 and cls == 1:
                if k >= buflen:
                    return 0
                v = (p[k] & 0x0F) << 2
            else:
                return 0
            if cls == 0:
                A = v
            else:
                X = v
        elif cls in (2, 3):                                    # ST, STX
            if k >= BPF_MEMWORDS:
                return 0
            mem[k] = A if cls == 2 else X
        elif cls == 4:                                         # ALU
            op = code & 0xF0
            v = X if code & 0x08 else k
            if op == 0x80:
                A = -A & _U32
            elif op in (0x30, 0x90):
                if v == 0:
                    return 0
                A = A // v if op == 0x30 else A % v
            elif op in (0x60, 0x70):
                A = 0 if v >= 32 else ((A << v) & _U32 if op == 0x60 else A >> v)
            else:
                f = {0x00: lambda a: a + v, 0x10: lambda a: a - v, 0x20: lambda a: a * v,
                     0x40: lambda a: a | v, 0x50: lambda a: a & v, 0xA0: lambda a: a ^ v}.get(op)
                if f is None:
                    return 0
                A = f(A) & _U32
        elif cls == 5:                                         # JMP
            op = code & 0xF0
            if op == 0x00:
                i += k
                continue
            v = X if code & 0x08 else k
            if op == 0x10:
                c = A == v
            elif op == 0x20:
                c = A > v
            elif op == 0x30:
                c = A >= v
            elif op == 0x40:
                c = bool(A & v)
            else:
                return 0
            i += jt if c else jf
        else:                                                  # MISC
            if code == 0x07:
                X = A
            elif code == 0x87:
                A = X
            else:
                return 0
    return 0


__all__ = ["pcap_t", "pcap_pkthdr", "pcap_stat", "PcapError", "PcapCompileError",
           "pcap_open_live", "pcap_open_offline", "pcap_lookupdev", "pcap_compile",
           "pcap_setfilter", "pcap_setdirection", "pcap_loop", "pcap_breakloop", "pcap_stats",
           "pcap_datalink", "pcap_close", "pcap_dump_open", "pcap_dump", "pcap_dump_flush",
           "pcap_dump_close", "pcap_statustostr", "pcap_datalink_val_to_name",
           "pcap_datalink_val_to_description", "bpf_dump", "bpf_filter",
           "PCAP_ERROR", "PCAP_ERROR_BREAK", "PCAP_ERROR_NO_SUCH_DEVICE",
           "PCAP_ERROR_PERM_DENIED", "PCAP_ERROR_IFACE_NOT_UP", "PCAP_D_IN", "PCAP_D_OUT",
           "PCAP_D_INOUT", "MAXIMUM_SNAPLEN"]
