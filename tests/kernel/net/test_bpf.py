"""The bpf device (kernel/net/bpf.py, FreeBSD's sys/net/bpf.c) on two hosts of one
segment: attaching, filters, records with their bpf_hdr, the store and hold buffers
(immediate mode, the read timeout, drops when both are full), promiscuous mode,
select/poll, directions, writes, lo0's DLT_NULL, and that an interface nobody
watches pays one attribute test.

The programs run on the hosts as processes and reach the device through libc, as
libpcap does; frames are injected from the other host with a bpf write (ethertype
0x88b5, IEEE's local experimental type, so no protocol of the hosts answers them).
"""
from __future__ import annotations

from typing import Any, Callable

from kernel.kern.kern_time import nanotime
from kernel.kern.uipc_mbuf import mbuf
from kernel.net import bpf as kbpf
from kernel.net.if_loop import looutput
from kernel.wire.bpf import (
    BIOCFLUSH, BIOCGBLEN, BIOCGDIRECTION, BIOCGDLT, BIOCGDLTLIST, BIOCGETIF, BIOCGRTIMEOUT,
    BIOCGSEESENT, BIOCGSTATS, BIOCIMMEDIATE, BIOCPROMISC, BIOCSBLEN, BIOCSDIRECTION, BIOCSETF,
    BIOCSETIF, BIOCSETWF, BIOCSHDRCMPLT, BIOCSRTIMEOUT, BIOCSSEESENT, BIOCVERSION, BPF_ABS,
    BPF_D_IN, BPF_D_INOUT, BPF_D_OUT, BPF_H, BPF_JEQ, BPF_JMP, BPF_JUMP, BPF_K, BPF_LD,
    BPF_MAXBUFSIZE, BPF_MINBUFSIZE, BPF_RET, BPF_STMT, BPF_WORDALIGN, DLT_EN10MB, DLT_NULL,
    bpf_hdr, bpf_program, bpf_records,
)
from kernel.wire.errno import EBUSY, EINVAL, EMSGSIZE, ENXIO, EPERM, EWOULDBLOCK
from kernel.wire.fcntl import O_RDWR
from kernel.wire.ioctl import FIONBIO, FIONREAD
from kernel.wire.net_if import IFF, ifreq
from kernel.wire.poll import POLLIN, pollfd
from kernel.wire.time import timeval
from tests.userland.netlab import MAC_LEFT, MAC_RIGHT, MS, SEC, pair
from userland import libc

ETHERTYPE_EXP = 0x88B5
OTHER_MAC = bytes.fromhex("020000001299")
PROG = "/usr/local/bin/t"


def frame(dst: bytes, seq: int, size: int = 60, src: bytes = MAC_LEFT) -> bytes:
    payload = seq.to_bytes(4, "big") + bytes(size - 18)
    return dst + src + ETHERTYPE_EXP.to_bytes(2, "big") + payload


def bpf_open(ifname: str = "em0", immediate: bool = True, bufsize: int = 0,
             timeout_ms: int = 0, dev: str = "/dev/bpf") -> int:
    fd = libc.open(dev, O_RDWR)
    if bufsize:
        libc.ioctl(fd, BIOCSBLEN, bufsize)
    libc.ioctl(fd, BIOCSETIF, ifreq(ifr_name=ifname))
    if immediate:
        libc.ioctl(fd, BIOCIMMEDIATE, 1)
    if timeout_ms:
        libc.ioctl(fd, BIOCSRTIMEOUT, timeval(0, timeout_ms * 1000))
    return fd


def errno_of(fn: Callable[[], Any]) -> int:
    try:
        fn()
    except OSError as e:
        return e.errno
    return 0


def our_frames(records: list) -> list:
    return [(h, p) for h, p in records if p[12:14] == ETHERTYPE_EXP.to_bytes(2, "big")]


class Lab2:
    """``pair()`` with a test program on each host: ``run(host, fn)`` runs ``fn()``
    as a process of ``host`` (in the background with ``start``)."""

    def __init__(self) -> None:
        self.fns: dict[str, Callable[[], Any]] = {}
        self.results: dict[str, Any] = {}

        def main(argv: list[str]) -> int:
            self.results[argv[1]] = self.fns[argv[1]]()
            return 0
        self.lab = pair(programs={PROG: main})
        for host in ("left", "right"):
            status, out = self.lab.run_command(host, "ifconfig em0 up")
            assert (status, out) == (0, ""), out
        self.lab.run_for(3 * SEC)

    def start(self, host: str, name: str, fn: Callable[[], Any]) -> Any:
        self.fns[name] = fn
        return self.lab.start_command(host, f"{PROG} {name}")

    def run(self, host: str, name: str, fn: Callable[[], Any]) -> Any:
        job = self.start(host, name, fn)
        status = self.lab.wait(job, 30 * SEC)
        assert status == 0, job.output
        return self.results[name]

    def inject(self, frames: list[bytes], gap: int = 0) -> list[int]:
        """Write ``frames`` on left's em0 through bpf (``gap`` ns apart)."""
        def send() -> list[int]:
            fd = bpf_open(immediate=False)
            libc.ioctl(fd, BIOCSHDRCMPLT, 1)
            out = []
            for f in frames:
                out.append(libc.write(fd, f))
                if gap:
                    libc.usleep(gap // 1000)
            libc.close(fd)
            return out
        return self.run("left", f"inject{len(self.results)}", send)

    def kernel(self, host: str) -> Any:
        return self.lab.machines[host].kernel


def read_until_quiet(fd: int, n: int) -> list:
    """Read whole buffers until an empty read (the read timeout) after ``n`` frames."""
    size = libc.ioctl(fd, BIOCGBLEN)
    got: list = []
    while True:
        buf = libc.read(fd, size)
        if not buf:
            if len(our_frames(got)) >= n:
                return got
            continue
        got += bpf_records(buf)


# -- attach, read, records ------------------------------------------------------------------
def test_records_carry_bpf_hdr_with_time_caplen_datalen_and_word_alignment():
    t = Lab2()
    k = t.kernel("right")

    def capture() -> Any:
        fd = bpf_open(timeout_ms=100)
        assert libc.ioctl(fd, BIOCGDLT) == DLT_EN10MB
        assert libc.ioctl(fd, BIOCGETIF).ifr_name == "em0"
        v = libc.ioctl(fd, BIOCVERSION)
        assert (v.bv_major, v.bv_minor) == (1, 1)
        size = libc.ioctl(fd, BIOCGBLEN)
        bufs: list[bytes] = []
        while len(our_frames([r for b in bufs for r in bpf_records(b)])) < 3:
            bufs.append(libc.read(fd, size))
        return bufs
    job = t.start("right", "capture", capture)
    t.lab.run_for(10 * MS)
    sent_at = nanotime(k)
    t.inject([frame(MAC_RIGHT, i, 60 + 7 * i) for i in range(3)])
    assert t.lab.wait(job, 5 * SEC) == 0, job.output
    bufs = t.results["capture"]
    recs = our_frames([r for b in bufs for r in bpf_records(b)])
    assert [int.from_bytes(p[14:18], "big") for _, p in recs] == [0, 1, 2]
    for raw in bufs:
        off = 0
        for h, p in bpf_records(raw):
            assert off % 8 == 0                           # each record at BPF_WORDALIGN
            assert bpf_hdr.unpack(raw, off) == h
            assert h.bh_hdrlen == 34                      # WORDALIGN(14 + 32) - 14
            assert (off + h.bh_hdrlen + 14) % 8 == 0      # the network header is aligned
            off = BPF_WORDALIGN(off + h.bh_hdrlen + h.bh_caplen)
        assert off >= len(raw)
    for i, (h, p) in enumerate(recs):
        assert h.bh_caplen == h.bh_datalen == len(p) == 60 + 7 * i
        assert p == frame(MAC_RIGHT, i, 60 + 7 * i)
        ts = h.bh_tstamp.to_ns()
        assert sent_at <= ts <= sent_at + 10 * MS       # the virtual wall clock (microtime)


def test_biocsetif_unknown_interface_is_enxio_and_unbound_descriptors_refuse():
    t = Lab2()

    def probe() -> Any:
        fd = libc.open("/dev/bpf", O_RDWR)
        size = libc.ioctl(fd, BIOCGBLEN)
        return (errno_of(lambda: libc.ioctl(fd, BIOCSETIF, ifreq(ifr_name="em9"))),
                errno_of(lambda: libc.read(fd, size)),
                errno_of(lambda: libc.ioctl(fd, BIOCGDLT)),
                errno_of(lambda: libc.ioctl(fd, BIOCGETIF)),
                errno_of(lambda: libc.ioctl(fd, BIOCPROMISC)),
                errno_of(lambda: libc.write(fd, bytes(60))),
                errno_of(lambda: libc.ioctl(fd, BIOCSETIF, "em0")),
                errno_of(lambda: libc.ioctl(fd, 0x20004299)))
    assert t.run("right", "probe", probe) == (ENXIO, ENXIO, EINVAL, EINVAL, EINVAL, ENXIO,
                                              EINVAL, EINVAL)


def test_read_must_ask_for_the_buffer_size():
    t = Lab2()

    def probe() -> int:
        fd = bpf_open()
        return errno_of(lambda: libc.read(fd, 100))
    assert t.run("right", "probe", probe) == EINVAL


def test_biocsblen_is_clamped_and_refused_once_attached():
    t = Lab2()

    def probe() -> Any:
        fd = libc.open("/dev/bpf", O_RDWR)
        assert libc.ioctl(fd, BIOCGBLEN) == 4096                 # net.bpf.bufsize
        small = libc.ioctl(fd, BIOCSBLEN, 1)
        big = libc.ioctl(fd, BIOCSBLEN, 1 << 30)
        libc.ioctl(fd, BIOCSBLEN, 8192)
        libc.ioctl(fd, BIOCSETIF, ifreq(ifr_name="em0"))
        late = errno_of(lambda: libc.ioctl(fd, BIOCSBLEN, 100))
        return small, big, libc.ioctl(fd, BIOCGBLEN), late
    assert t.run("right", "probe", probe) == (BPF_MINBUFSIZE, BPF_MAXBUFSIZE, 8192, EINVAL)


# -- filters ---------------------------------------------------------------------------------
def test_biocsetf_refuses_what_bpf_validate_refuses_with_einval():
    t = Lab2()

    def probe() -> Any:
        fd = bpf_open()
        bad = [bpf_program.of([BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12)]),          # no RET
               bpf_program.of([BPF_STMT(BPF_RET | BPF_K, 0)] * 513),              # too long
               bpf_program.of([BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 5, 0),
                               BPF_STMT(BPF_RET | BPF_K, 0)]),                    # out of range
               bpf_program(3, [BPF_STMT(BPF_RET | BPF_K, 0)]),                    # short
               bpf_program(1, None), bpf_program(1, [("not", "an", "insn")]), "ret #0"]
        return [errno_of(lambda p=p: libc.ioctl(fd, BIOCSETF, p)) for p in bad] + \
            [libc.ioctl(fd, BIOCSETF, bpf_program(0, None))]
    assert t.run("right", "probe", probe) == [EINVAL] * 7 + [0]


def test_the_filter_selects_and_its_return_value_truncates():
    """Only frames whose sequence half-word is odd pass, and only 20 bytes of them are
    kept; bh_datalen still says how long the frame was."""
    t = Lab2()

    def capture() -> Any:
        fd = bpf_open(timeout_ms=100)
        libc.ioctl(fd, BIOCSETF, bpf_program.of([
            BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),
            BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETHERTYPE_EXP, 0, 3),
            BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 16),
            BPF_JUMP(BPF_JMP | 0x40 | BPF_K, 1, 0, 1),                          # jset #1
            BPF_STMT(BPF_RET | BPF_K, 20),
            BPF_STMT(BPF_RET | BPF_K, 0)]))
        got = read_until_quiet(fd, 2)
        return got, libc.ioctl(fd, BIOCGSTATS)
    job = t.start("right", "capture", capture)
    t.lab.run_for(10 * MS)
    t.inject([frame(MAC_RIGHT, i, 100) for i in range(4)])
    assert t.lab.wait(job, 5 * SEC) == 0, job.output
    got, st = t.results["capture"]
    assert [(h.bh_caplen, h.bh_datalen, p) for h, p in got] == [
        (20, 100, frame(MAC_RIGHT, 1, 100)[:20]), (20, 100, frame(MAC_RIGHT, 3, 100)[:20])]
    assert st.bs_recv >= 4 and st.bs_drop == 0


# -- buffering: immediate mode, the read timeout, drops ---------------------------------------
def test_without_immediate_mode_a_read_waits_for_the_store_buffer_to_fill():
    """300-byte buffers hold two 100-byte frames (136 + 134 bytes with their headers):
    the read returns when the third frame rotates the buffers, with the first two."""
    t = Lab2()
    k = t.kernel("right")

    def capture() -> Any:
        fd = bpf_open(immediate=False, bufsize=300)
        libc.ioctl(fd, BIOCSETF, bpf_program.of([
            BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),
            BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETHERTYPE_EXP, 0, 1),
            BPF_STMT(BPF_RET | BPF_K, 0xFFFF), BPF_STMT(BPF_RET | BPF_K, 0)]))
        buf = libc.read(fd, 300)
        return bpf_records(buf), nanotime(k)
    job = t.start("right", "capture", capture)
    t.lab.run_for(10 * MS)
    start = nanotime(k)
    t.inject([frame(MAC_RIGHT, i, 100) for i in range(3)], gap=100 * MS)
    assert t.lab.wait(job, 5 * SEC) == 0, job.output
    recs, woke = t.results["capture"]
    assert [int.from_bytes(p[14:18], "big") for _, p in recs] == [0, 1]
    assert woke - start >= 200 * MS                      # not before the third frame


def test_immediate_mode_returns_as_soon_as_a_packet_is_stored():
    t = Lab2()
    k = t.kernel("right")

    def capture() -> Any:
        fd = bpf_open(immediate=True)
        libc.ioctl(fd, BIOCSETF, bpf_program.of([
            BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),
            BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETHERTYPE_EXP, 0, 1),
            BPF_STMT(BPF_RET | BPF_K, 0xFFFF), BPF_STMT(BPF_RET | BPF_K, 0)]))
        buf = libc.read(fd, libc.ioctl(fd, BIOCGBLEN))
        return len(bpf_records(buf)), nanotime(k)
    job = t.start("right", "capture", capture)
    t.lab.run_for(10 * MS)
    start = nanotime(k)
    t.inject([frame(MAC_RIGHT, 0)])
    assert t.lab.wait(job, 5 * SEC) == 0, job.output
    n, woke = t.results["capture"]
    assert n == 1 and woke - start < 5 * MS


def test_the_read_timeout_returns_what_is_stored_or_nothing():
    t = Lab2()
    k = t.kernel("right")

    def capture() -> Any:
        fd = bpf_open(immediate=False, timeout_ms=250)
        assert libc.ioctl(fd, BIOCGRTIMEOUT) == timeval(0, 250000)
        size = libc.ioctl(fd, BIOCGBLEN)
        t0 = nanotime(k)
        empty = libc.read(fd, size)
        t1 = nanotime(k)
        full = libc.read(fd, size)
        return empty, t1 - t0, our_frames(bpf_records(full))
    job = t.start("right", "capture", capture)
    t.lab.run_for(300 * MS)
    t.inject([frame(MAC_RIGHT, 7)])
    assert t.lab.wait(job, 5 * SEC) == 0, job.output
    empty, waited, recs = t.results["capture"]
    assert empty == b"" and waited == 250 * MS
    assert [int.from_bytes(p[14:18], "big") for _, p in recs] == [7]


def test_a_packet_is_dropped_and_counted_when_both_buffers_are_full():
    """Nobody reads: the store buffer fills, rotates into the hold buffer, fills again;
    after that every packet is a drop (bs_drop), and memory stays two buffers."""
    t = Lab2()

    def capture() -> Any:
        fd = bpf_open(immediate=False, bufsize=512)
        libc.ioctl(fd, BIOCSETF, bpf_program.of([
            BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),
            BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETHERTYPE_EXP, 0, 1),
            BPF_STMT(BPF_RET | BPF_K, 0xFFFF), BPF_STMT(BPF_RET | BPF_K, 0)]))
        libc.sleep(2)
        st = libc.ioctl(fd, BIOCGSTATS)
        pending = libc.ioctl(fd, FIONREAD)
        held = bpf_records(libc.read(fd, 512))
        return st, pending, held
    job = t.start("right", "capture", capture)
    t.lab.run_for(10 * MS)
    t.inject([frame(MAC_RIGHT, i, 100) for i in range(20)])
    d = t.kernel("right").bpf.bpf_dlist[0]
    assert len(d.bd_sbuf) <= 512 and len(d.bd_hbuf or b"") <= 512
    assert t.lab.wait(job, 5 * SEC) == 0, job.output
    st, pending, held = t.results["capture"]
    per_buffer = 512 // BPF_WORDALIGN(34 + 100)           # 3 records of 136 bytes
    assert st.bs_recv >= 20
    assert st.bs_drop == 20 - 2 * per_buffer
    assert pending == 2 * (per_buffer * 136 - 2)          # the last record is not padded
    assert [int.from_bytes(p[14:18], "big") for _, p in held] == [0, 1, 2]


def test_biocflush_empties_the_buffers_and_zeroes_the_counters():
    t = Lab2()

    def capture() -> Any:
        fd = bpf_open(immediate=False)
        libc.sleep(1)
        before = libc.ioctl(fd, FIONREAD), libc.ioctl(fd, BIOCGSTATS).bs_recv
        libc.ioctl(fd, BIOCFLUSH)
        return before, libc.ioctl(fd, FIONREAD), libc.ioctl(fd, BIOCGSTATS)
    job = t.start("right", "capture", capture)
    t.lab.run_for(10 * MS)
    t.inject([frame(MAC_RIGHT, 1)])
    assert t.lab.wait(job, 5 * SEC) == 0, job.output
    (pending, recv), after, st = t.results["capture"]
    assert pending > 0 and recv > 0
    assert after == 0 and (st.bs_recv, st.bs_drop) == (0, 0)


# -- select, poll, non-blocking ------------------------------------------------------------------
def test_poll_and_select_say_readable_when_a_read_would_not_block():
    t = Lab2()

    def capture() -> Any:
        fd = bpf_open(immediate=True)
        quiet = libc.poll([pollfd(fd, POLLIN)], 50)
        pfd = pollfd(fd, POLLIN)
        n = libc.poll([pfd], 5000)
        r, _, _ = libc.select([fd], [], [], 1.0)
        return quiet, n, pfd.revents, r
    job = t.start("right", "capture", capture)
    t.lab.run_for(200 * MS)
    t.inject([frame(MAC_RIGHT, 1)])
    assert t.lab.wait(job, 10 * SEC) == 0
    quiet, n, revents, r = t.results["capture"]
    assert quiet == 0 and n == 1 and revents & POLLIN and len(r) == 1


def test_select_with_a_read_timeout_wakes_when_the_timeout_expires():
    """Buffered mode: the store buffer holds a packet but is not full; select starts
    the read timeout (BPF_WAITING) and is woken when it expires (BPF_TIMED_OUT)."""
    t = Lab2()
    k = t.kernel("right")

    def capture() -> Any:
        fd = bpf_open(immediate=False, timeout_ms=300)
        t0 = nanotime(k)
        r, _, _ = libc.select([fd], [], [], 10.0)
        t1 = nanotime(k)
        recs = our_frames(bpf_records(libc.read(fd, libc.ioctl(fd, BIOCGBLEN))))
        return r, t1 - t0, len(recs)
    job = t.start("right", "capture", capture)
    t.lab.run_for(10 * MS)
    t.inject([frame(MAC_RIGHT, 1)])
    assert t.lab.wait(job, 20 * SEC) == 0
    r, waited, n = t.results["capture"]
    assert len(r) == 1 and 300 * MS <= waited < 400 * MS and n == 1


def test_a_non_blocking_read_of_nothing_is_ewouldblock():
    t = Lab2()

    def probe() -> int:
        fd = bpf_open(immediate=True)
        libc.ioctl(fd, BIOCSETF, bpf_program.of([BPF_STMT(BPF_RET | BPF_K, 0)]))
        libc.ioctl(fd, FIONBIO, 1)
        return errno_of(lambda: libc.read(fd, libc.ioctl(fd, BIOCGBLEN)))
    assert t.run("right", "probe", probe) == EWOULDBLOCK


# -- promiscuous mode ----------------------------------------------------------------------------
def _seen_on_right(t: Lab2, promisc: bool, name: str) -> Any:
    ifp = t.kernel("right").ifunit("em0")

    def capture() -> Any:
        fd = bpf_open(timeout_ms=200)
        if promisc:
            libc.ioctl(fd, BIOCPROMISC)
            libc.ioctl(fd, BIOCPROMISC)                     # once per descriptor
        flags = ifp.if_flags
        got = []
        size = libc.ioctl(fd, BIOCGBLEN)
        for _ in range(3):
            got += our_frames(bpf_records(libc.read(fd, size)))
        return got, flags
    job = t.start("right", name, capture)
    t.lab.run_for(10 * MS)
    t.inject([frame(OTHER_MAC, 5), frame(MAC_RIGHT, 6)])
    assert t.lab.wait(job, 5 * SEC) == 0, job.output
    return t.results[name]


def test_promiscuous_mode_sees_unicast_for_other_hosts():
    t = Lab2()
    ifp = t.kernel("right").ifunit("em0")
    got, flags = _seen_on_right(t, False, "plain")
    assert [int.from_bytes(p[14:18], "big") for _, p in got] == [6]
    assert not flags & IFF.PROMISC
    got, flags = _seen_on_right(t, True, "promisc")
    assert [int.from_bytes(p[14:18], "big") for _, p in got] == [5, 6]
    assert flags & IFF.PROMISC
    # the descriptor closed: its reference on promiscuous mode went with it
    assert not ifp.if_flags & IFF.PROMISC and ifp.if_pcount == 0
    assert "em0: promiscuous mode enabled" in t.lab.machines["right"].console
    assert "em0: promiscuous mode disabled" in t.lab.machines["right"].console


def test_promiscuous_mode_is_reference_counted_across_descriptors_and_ifconfig():
    t = Lab2()
    ifp = t.kernel("right").ifunit("em0")

    def two() -> Any:
        a, b = bpf_open(), bpf_open()
        libc.ioctl(a, BIOCPROMISC)
        libc.ioctl(b, BIOCPROMISC)
        states = [(ifp.if_pcount, bool(ifp.if_flags & IFF.PROMISC))]
        libc.close(a)
        states.append((ifp.if_pcount, bool(ifp.if_flags & IFF.PROMISC)))
        for arg in ("promisc", "-promisc"):                # the user's PPROMISC on and off
            pid = libc.posix_spawn("/sbin/ifconfig", ["ifconfig", "em0", arg])
            assert libc.waitpid(pid)[1] == 0
            states.append((ifp.if_pcount, bool(ifp.if_flags & IFF.PROMISC)))
        libc.close(b)
        states.append((ifp.if_pcount, bool(ifp.if_flags & IFF.PROMISC)))
        return states
    states = t.run("right", "two", two)
    assert states == [(2, True), (1, True), (1, True), (1, True), (0, False)]


# -- direction -----------------------------------------------------------------------------------
def test_direction_in_out_inout_and_the_old_seesent_names():
    """right answers left's frames with its own (a bpf write on right itself):
    BPF_D_IN sees only left's, BPF_D_OUT only right's, BPF_D_INOUT both."""
    t = Lab2()
    assert (BIOCSSEESENT, BIOCGSEESENT) == (BIOCSDIRECTION, BIOCGDIRECTION)

    def capture() -> Any:
        fds = {}
        for d in (BPF_D_IN, BPF_D_OUT, BPF_D_INOUT):
            fds[d] = bpf_open(timeout_ms=100)
            libc.ioctl(fds[d], BIOCSDIRECTION, d)
        default = libc.ioctl(bpf_open(), BIOCGDIRECTION)
        bad = errno_of(lambda: libc.ioctl(fds[BPF_D_IN], BIOCSDIRECTION, 3))
        w = bpf_open(immediate=False)
        libc.sleep(1)                                      # left's frame arrives meanwhile
        libc.write(w, frame(MAC_LEFT, 9, src=MAC_RIGHT))
        seen = {}
        for d, fd in fds.items():
            recs = our_frames(bpf_records(libc.read(fd, libc.ioctl(fd, BIOCGBLEN))))
            seen[d] = [int.from_bytes(p[14:18], "big") for _, p in recs]
        return seen, default, bad
    job = t.start("right", "capture", capture)
    t.lab.run_for(100 * MS)
    t.inject([frame(MAC_RIGHT, 1)])
    assert t.lab.wait(job, 5 * SEC) == 0, job.output
    seen, default, bad = t.results["capture"]
    assert seen == {BPF_D_IN: [1], BPF_D_OUT: [9], BPF_D_INOUT: [1, 9]}
    assert default == BPF_D_INOUT and bad == EINVAL


# -- writes --------------------------------------------------------------------------------------
def test_writes_inject_frames_with_our_source_or_a_complete_header():
    t = Lab2()

    def capture() -> Any:
        fd = bpf_open(timeout_ms=100)
        return read_until_quiet(fd, 2)
    job = t.start("right", "capture", capture)
    t.lab.run_for(10 * MS)

    def send() -> Any:
        fd = bpf_open(immediate=False)
        n1 = libc.write(fd, frame(MAC_RIGHT, 1, src=OTHER_MAC))      # source replaced
        libc.ioctl(fd, BIOCSHDRCMPLT, 1)
        n2 = libc.write(fd, frame(MAC_RIGHT, 2, src=OTHER_MAC))      # source kept
        too_big = errno_of(lambda: libc.write(fd, frame(MAC_RIGHT, 3, 14 + 1501)))
        too_small = errno_of(lambda: libc.write(fd, bytes(10)))
        libc.ioctl(fd, BIOCSETWF, bpf_program.of([BPF_STMT(BPF_RET | BPF_K, 0)]))
        refused = errno_of(lambda: libc.write(fd, frame(MAC_RIGHT, 4)))
        return n1, n2, too_big, too_small, refused
    assert t.run("left", "send", send) == (60, 60, EMSGSIZE, EPERM, EPERM)
    assert t.lab.wait(job, 5 * SEC) == 0, job.output
    got = our_frames(t.results["capture"])
    assert [(p[6:12], int.from_bytes(p[14:18], "big")) for _, p in got] == [
        (MAC_LEFT, 1), (OTHER_MAC, 2)]


# -- devices, detach, costs -----------------------------------------------------------------------
def test_dev_bpf_clones_and_dev_bpf0_is_exclusive():
    t = Lab2()

    def probe() -> Any:
        fds = [libc.open("/dev/bpf", O_RDWR) for _ in range(6)]
        u = libc.open("/dev/bpf0", O_RDWR)
        busy = errno_of(lambda: libc.open("/dev/bpf0", O_RDWR))
        libc.close(u)
        again = libc.open("/dev/bpf0", O_RDWR)
        dlts = libc.ioctl(bpf_open(), BIOCGDLTLIST)
        return len(set(fds)), busy, again >= 0, dlts.bfl_list
    assert t.run("right", "probe", probe) == (6, EBUSY, True, [DLT_EN10MB])
    assert t.kernel("right").bpf.bpf_dlist == []       # every descriptor closed at exit


def test_an_interface_nobody_watches_has_no_bpf_peers():
    """The taps test ``ifp.if_bpf``: None until a descriptor attaches, None again
    after the last one detaches."""
    t = Lab2()
    ifp = t.kernel("right").ifunit("em0")
    assert ifp.if_bpf is None

    def probe() -> Any:
        fd = bpf_open()
        during = ifp.if_bpf
        libc.close(fd)
        return during, ifp.if_bpf
    during, after = t.run("right", "probe", probe)
    assert isinstance(during, kbpf.bpf_if) and during.bif_ifp is ifp and after is None


def test_a_detached_interface_ends_the_read_with_enxio():
    t = Lab2()
    k = t.kernel("right")

    def capture() -> int:
        fd = bpf_open(immediate=True)
        return errno_of(lambda: libc.read(fd, libc.ioctl(fd, BIOCGBLEN)))
    job = t.start("right", "capture", capture)
    t.lab.run_for(10 * MS)
    kbpf.bpfdetach(k.ifunit("em0"))
    assert t.lab.wait(job, 5 * SEC) == 0, job.output
    assert t.results["capture"] == ENXIO
    assert k.ifunit("em0").if_bpf is None


def test_lo0_is_dlt_null_with_the_address_family_in_front():
    t = Lab2()
    k = t.kernel("right")
    pkt = bytes.fromhex("6000000000083a40") + bytes(15) + b"\x01" + bytes(15) + b"\x01" + \
        bytes.fromhex("8000000000010001")

    def capture() -> Any:
        fd = bpf_open("lo0", timeout_ms=100)
        dlt = libc.ioctl(fd, BIOCGDLT)
        return dlt, bpf_records(libc.read(fd, libc.ioctl(fd, BIOCGBLEN)))
    job = t.start("right", "capture", capture)
    t.lab.run_for(10 * MS)
    assert looutput(k.loif, mbuf(pkt), None, 0x86DD) == 0
    assert t.lab.wait(job, 5 * SEC) == 0, job.output
    dlt, recs = t.results["capture"]
    assert dlt == DLT_NULL
    (h, p), = recs
    assert h.bh_hdrlen == 36                          # WORDALIGN(4 + 32) - 4
    assert p == (28).to_bytes(4, "little") + pkt      # AF_INET6 in host order


def test_sysctl_net_bpf():
    t = Lab2()
    status, out = t.lab.run_command("right", "sysctl net.bpf.bufsize net.bpf.maxbufsize "
                                             "net.bpf.maxinsns")
    assert (status, out) == (0, "net.bpf.bufsize: 4096\nnet.bpf.maxbufsize: 524288\n"
                                "net.bpf.maxinsns: 512\n")

    def probe() -> Any:
        fd = bpf_open()
        libc.ioctl(fd, BIOCPROMISC)
        return libc.sysctlbyname("net.bpf.stats")
    stats = t.run("right", "probe", probe)
    assert len(stats) == 1 and stats[0]["bd_ifname"] == "em0" and stats[0]["bd_promisc"] == 1
    assert stats[0]["bd_bufsize"] == 4096 and stats[0]["bd_immediate"] == 1
