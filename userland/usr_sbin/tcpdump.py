"""tcpdump(1): dump traffic on a network (contrib/tcpdump/tcpdump.c, tcpdump 4.9 with
libpcap 1.8, as in FreeBSD's base).

    tcpdump [-deflnpqtUvx] [-c count] [-i interface] [-Q in|out|inout] [-r file]
            [-s snaplen] [-w file] [expression]

A live capture opens /dev/bpf through libpcap (userland/libpcap.py), binds it
to the interface (``-i``; else the first one that is up and not a loopback),
compiles the expression to a BPF program (userland/libpcap_gencode.py) and
hands it to the kernel with BIOCSETF, so only matching packets cross into
the process.  On stderr it says ``tcpdump: verbose output suppressed, use -v
or -vv for full protocol decode`` and ``listening on em0, link-type EN10MB
(Ethernet), capture size 262144 bytes``; each packet is one line on stdout
(userland/usr_sbin/tcpdump_print.py): the time of day from the bpf_hdr time
stamp (the lab's virtual clock, UTC), then the packet as tcpdump 4.9 prints
it.  Standard output a terminal means immediate mode (BIOCIMMEDIATE), else
the kernel hands over its buffer when full or after the 1 s read timeout.

It stops after ``-c count`` packets or on SIGINT/SIGTERM (pcap_breakloop),
then prints to stderr::

    3 packets captured
    3 packets received by filter
    0 packets dropped by kernel

("received by filter" and "dropped by kernel" are BIOCGSTATS's ``bs_recv``
and ``bs_drop``; SIGINFO prints the same on one line and goes on).  ``-w
file`` writes the packets to a pcap file of the host instead ("-": standard
output), ``-r file`` reads one back (``reading from file F, link-type EN10MB
(Ethernet)``) and filters in userland.  ``-d`` prints the compiled program
as libpcap's bpf_image does and exits.  Errors are tcpdump's:
``tcpdump: em9: No such device exists`` (with libpcap's ``(BIOCSETIF failed:
Device not configured)``), ``tcpdump: syntax error in filter expression:
syntax error``, ``tcpdump: invalid packet count 0``.
"""
from __future__ import annotations

from typing import Any, Optional

from kernel.wire.in6 import sockaddr_in6
from kernel.wire.in_ import sockaddr_in
from kernel.wire.signal import SIGINFO, SIGINT, SIGTERM, sigaction_t
from userland import libc, libpcap
from userland.libc import stderr, stdout
from userland.libpcap import (
    PCAP_D_IN, PCAP_D_INOUT, PCAP_D_OUT, PCAP_ERROR, PCAP_ERROR_BREAK,
    PCAP_ERROR_NO_SUCH_DEVICE, PcapCompileError, PcapError, pcap_pkthdr,
)
from userland.usr_sbin.tcpdump_print import netdissect_options, pretty_print_packet

VERSION = "4.9.3"
LIBPCAP_VERSION = "1.8.1"
OPTSTRING = "c:deF:i:lnpqQ:r:s:tUvw:x"


def usage() -> None:
    libc.fprintf(stderr, "tcpdump version %s\nlibpcap version %s\n", VERSION, LIBPCAP_VERSION)
    libc.fprintf(stderr,
                 "Usage: tcpdump [-deflnpqtUvx] [ -c count ] [ -F file ] [ -i interface ]\n"
                 "\t\t[ -Q in|out|inout ] [ -r file ] [ -s snaplen ] [ -w file ]\n"
                 "\t\t[ expression ]\n")
    libc.exit(1)


def error(fmt: str, *args: Any) -> None:
    """tcpdump's error(): ``tcpdump: message`` and exit 1."""
    libc.fprintf(stderr, "tcpdump: " + fmt + "\n", *args)
    libc.exit(1)


def _plural(n: int) -> str:
    return "" if n == 1 else "s"


class Tcpdump:
    """What tcpdump.c keeps in globals."""

    def __init__(self) -> None:
        self.cnt = -1
        self.dflag = 0
        self.device: Optional[str] = None
        self.rfile: Optional[str] = None
        self.wfile: Optional[str] = None
        self.snaplen = libpcap.MAXIMUM_SNAPLEN
        self.promisc = True
        self.direction: Optional[int] = None
        self.Uflag = False
        self.ndo = netdissect_options()
        self.pd: Optional[libpcap.pcap_t] = None
        self.dumper: Optional[libpcap.pcap_dumper_t] = None
        self.packets_captured = 0
        self.infodelay = 0
        self.infoprint = False

    # -- signals
    def cleanup(self, sig: int) -> None:
        """SIGINT, SIGTERM: end the loop (pcap_breakloop); main prints the statistics."""
        if self.pd is not None:
            libpcap.pcap_breakloop(self.pd)

    def requestinfo(self, sig: int) -> None:
        if self.infodelay:
            self.infoprint = True
        else:
            self.info(False)

    def info(self, verbose: bool) -> None:
        assert self.pd is not None
        try:
            st = libpcap.pcap_stats(self.pd)
        except OSError as e:
            libc.fprintf(stderr, "pcap_stats: %s\n", e.strerror or str(e))
            self.infoprint = False
            return
        sep = "\n" if verbose else ", "
        if not verbose:
            libc.fputs("tcpdump: ", stderr)
        n = self.packets_captured
        libc.fprintf(stderr, "%u packet%s captured%s", n, _plural(n), sep)
        libc.fprintf(stderr, "%u packet%s received by filter%s", st.ps_recv, _plural(st.ps_recv),
                     sep)
        libc.fprintf(stderr, "%u packet%s dropped by kernel\n", st.ps_drop, _plural(st.ps_drop))
        self.infoprint = False

    # -- the callbacks
    def print_packet(self, h: pcap_pkthdr, data: bytes) -> None:
        self.packets_captured += 1
        self.infodelay += 1
        assert self.pd is not None
        line = pretty_print_packet(self.ndo, h, data, libpcap.pcap_datalink(self.pd))
        libc.fputs(line + "\n", stdout)
        self.infodelay -= 1
        if self.infoprint:
            self.info(False)

    def dump_packet(self, h: pcap_pkthdr, data: bytes) -> None:
        self.packets_captured += 1
        assert self.dumper is not None
        libpcap.pcap_dump(self.dumper, h, data)
        if self.Uflag:
            libpcap.pcap_dump_flush(self.dumper)

    # -- names, when -n is not given
    @staticmethod
    def host_name(alen: int, a: bytes) -> Optional[str]:
        sa = sockaddr_in6(a) if alen == 16 else sockaddr_in(a)
        try:
            return libc.getnameinfo(sa, libc.NI_NAMEREQD)[0]
        except OSError:
            return None

    @staticmethod
    def port_name(port: int, proto: str) -> Optional[str]:
        flags = libc.NI_NUMERICHOST | (libc.NI_DGRAM if proto == "udp" else 0)
        try:
            serv = libc.getnameinfo(sockaddr_in6(bytes(16), port), flags)[1]
        except OSError:
            return None
        return serv if serv != str(port) else None


def _read_file(path: str) -> str:
    try:
        fd = libc.open(path, 0)
    except OSError as e:
        error("can't open %s: %s", path, e.strerror)
    text = libc.read_all(fd).decode("utf-8", "replace")
    libc.close(fd)
    return " ".join(line.split("#", 1)[0] for line in text.splitlines())


def main(argv: list[str]) -> int:
    t = Tcpdump()
    counted = dict.fromkeys("enqtvx", 0)    # how many times -e -n -q -t -v -x were given
    ffile: Optional[str] = None
    opts, args = libc.getopt(argv, OPTSTRING)
    for ch, optarg in opts:
        if ch == "c":
            try:
                t.cnt = int(optarg or "")
            except ValueError:
                t.cnt = 0
            if t.cnt <= 0:
                error("invalid packet count %s", optarg)
        elif ch == "d":
            t.dflag += 1
        elif ch in counted:
            counted[ch] += 1
        elif ch == "F":
            ffile = optarg
        elif ch == "i":
            t.device = optarg
        elif ch == "l":
            libc.setlinebuf(stdout)
        elif ch == "p":
            t.promisc = False
        elif ch == "Q":
            dirs = {"in": PCAP_D_IN, "out": PCAP_D_OUT, "inout": PCAP_D_INOUT}
            if optarg not in dirs:
                error("unknown capture direction `%s'", optarg)
            t.direction = dirs[optarg or ""]
        elif ch == "r":
            t.rfile = optarg
        elif ch == "s":
            try:
                v = int(optarg or "", 0)
            except ValueError:
                v = -1
            if v < 0 or v > libpcap.MAXIMUM_SNAPLEN:
                error("invalid snaplen %s", optarg)
            t.snaplen = v or libpcap.MAXIMUM_SNAPLEN
        elif ch == "U":
            t.Uflag = True
        elif ch == "w":
            t.wfile = optarg
        else:
            usage()
    vflag, nflag = counted["v"], counted["n"]
    t.ndo = netdissect_options(nflag, counted["e"], counted["q"], vflag, counted["x"], counted["t"],
                               None if nflag else t.host_name, None if nflag else t.port_name)
    expr = _read_file(ffile) if ffile is not None else " ".join(args)

    # -- open the capture
    if t.rfile is not None:
        try:
            pd = libpcap.pcap_open_offline(t.rfile)
        except PcapError as e:
            error("%s", e.errbuf)
        dlt = libpcap.pcap_datalink(pd)
        name = libpcap.pcap_datalink_val_to_name(dlt)
        if name is None:
            libc.fprintf(stderr, "reading from file %s, link-type %u\n", t.rfile, dlt)
        else:
            libc.fprintf(stderr, "reading from file %s, link-type %s (%s)\n", t.rfile, name,
                         libpcap.pcap_datalink_val_to_description(dlt))
    else:
        if t.device is None:
            try:
                t.device = libpcap.pcap_lookupdev()
            except PcapError as e:
                error("%s", e.errbuf)
        immediate = t.wfile is None and libc.isatty(1)
        try:
            pd = libpcap.pcap_open_live(t.device, t.snaplen, t.promisc, 1000, immediate)
        except PcapError as e:
            if e.status == PCAP_ERROR:
                error("%s", e.errbuf)
            elif e.status == PCAP_ERROR_NO_SUCH_DEVICE and e.errbuf:
                error("%s: %s\n(%s)", t.device, libpcap.pcap_statustostr(e.status), e.errbuf)
            else:
                error("%s: %s", t.device, libpcap.pcap_statustostr(e.status))
        if t.direction is not None:
            libpcap.pcap_setdirection(pd, t.direction)
    t.pd = pd
    try:
        fcode = libpcap.pcap_compile(pd, expr)
    except PcapCompileError as e:
        error("%s", str(e))
    if t.dflag:
        for line in libpcap.bpf_dump(fcode):
            libc.puts(line)
        libpcap.pcap_close(pd)
        return 0
    try:
        libpcap.pcap_setfilter(pd, fcode)
    except OSError as e:
        error("%s", e.strerror)
    if t.wfile is not None:
        try:
            t.dumper = libpcap.pcap_dump_open(pd, t.wfile)
        except PcapError as e:
            error("%s", e.errbuf)
        callback = t.dump_packet
    else:
        callback = t.print_packet
    libc.sigaction(SIGINT, sigaction_t(t.cleanup))
    libc.sigaction(SIGTERM, sigaction_t(t.cleanup))
    if t.rfile is None:
        libc.sigaction(SIGINFO, sigaction_t(t.requestinfo))
        if not vflag and t.wfile is None:
            libc.fputs("tcpdump: verbose output suppressed, use -v or -vv for full protocol "
                       "decode\n", stderr)
        else:
            libc.fputs("tcpdump: ", stderr)
        dlt = libpcap.pcap_datalink(pd)
        libc.fprintf(stderr, "listening on %s, link-type %s (%s), capture size %u bytes\n",
                     t.device, libpcap.pcap_datalink_val_to_name(dlt),
                     libpcap.pcap_datalink_val_to_description(dlt), t.snaplen)
    status = libpcap.pcap_loop(pd, t.cnt, callback)
    if t.wfile is None:
        if status == PCAP_ERROR_BREAK:
            libc.putchar("\n")        # perhaps we did not finish a line we were printing
        libc.fflush(stdout)
    if status == PCAP_ERROR:
        libc.fprintf(stderr, "tcpdump: pcap_loop: %s\n", pd.errbuf)
    if t.dumper is not None:
        libpcap.pcap_dump_close(t.dumper)
    if t.rfile is None:
        t.info(True)
    libpcap.pcap_close(pd)
    return 1 if status == PCAP_ERROR else 0
