"""Linux pinging an emulated host over a TAP, against a bare Python TAP responder in
the same run (needs root, /dev/net/tun and `ip`/`ping` from iproute2/iputils).

Both sides are set up the same way: a network namespace holds the Linux end of a
TAP (2001:db8:77::1/64, no DAD); ``ping -6 -f -q -c N 2001:db8:77::a`` runs in it.
1. kamebox: a one-host lab whose segment is bridged to the TAP (realtime mode);
   alice (2001:db8:77::a, booted from rc.conf) answers through em(4) and her kernel.
   Twice: with em(4)'s interrupt moderation at FreeBSD's default (ITR: at most 8000
   interrupts/s, so one Echo Request interrupt per round trip caps this at 8000
   round trips/s, on the virtual clock that realtime mode paces to the wall), and
   with it off (the lab's loader tunable hw.em.max_interrupt_rate = 0), which
   leaves the emulator's own cost.
2. reference: a Python loop on the TAP's file descriptor answering Neighbor
   Solicitations and Echo Requests for 2001:db8:77::a directly (struct + checksum).
Reports round trips per second for each — N over the time ping itself reports
(first request to last reply: the same clock for both sides, without process
start-up) — and the ratios to the reference (target >= 0.5).

Run:  .venv/bin/python bench/bench_tap.py [-n N]
"""
from __future__ import annotations

import argparse
import os
import select
import struct
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from emu.lab import Lab  # noqa: E402
from emu.sched import MS, SEC  # noqa: E402
from emu.wire.tap import open_tap  # noqa: E402
from kernel.wire.in6 import inet_pton6  # noqa: E402
from kernel.wire.in_cksum import in6_cksum_data  # noqa: E402

LINUX = "2001:db8:77::1"
HOST = "2001:db8:77::a"
HOST_MAC = bytes.fromhex("020000000077")
LAB = f"""
[lab]
name = "tapbench"
[segment.lan0]
[host.alice]
nic = [{{model = "em", segment = "lan0", mac = "02:00:00:00:00:77"}}]
[host.alice.rc]
ifconfig_em0_ipv6 = "inet6 {HOST} prefixlen 64"
"""


def sh(*argv: str) -> str:
    return subprocess.run(argv, check=True, capture_output=True, text=True, timeout=30).stdout


def linux_end(ns: str, tap: str) -> None:
    """Move ``tap`` into ``ns`` and give it the Linux address."""
    sh("ip", "link", "set", tap, "netns", ns)
    sh("ip", "netns", "exec", ns, "sysctl", "-qw", f"net.ipv6.conf.{tap}.accept_dad=0")
    sh("ip", "-n", ns, "-6", "addr", "add", f"{LINUX}/64", "dev", tap, "nodad")
    sh("ip", "-n", ns, "link", "set", tap, "up")


def ping(ns: str, n: int) -> subprocess.Popen:
    return subprocess.Popen(["ip", "netns", "exec", ns, "ping", "-6", "-f", "-q", "-c", str(n),
                             "-W", "1", HOST], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def result(out: str) -> dict:
    """Replies received and the time ping reports ("N packets transmitted, M received,
    ..., time Tms"): from its first request to its last reply."""
    for line in out.splitlines():
        if "packets transmitted" in line:
            got = int(line.split(",")[1].split()[0])
            ms = int(line.rsplit("time", 1)[1].strip().rstrip("ms"))
            secs = max(ms, 1) / 1000
            return {"round_trips": got, "wall_s": secs, "per_s": got / secs}
    raise RuntimeError(f"no statistics from ping: {out!r}")


def bench_kamebox(ns: str, n: int, rate: int | None = None) -> dict:
    """Linux pings alice; ``rate`` sets her em(4)'s hw.em.max_interrupt_rate
    (None: the default, 8000; 0: no throttling) from the lab's loader table."""
    text = LAB
    if rate is not None:
        text += f'[host.alice.loader]\n"hw.em.max_interrupt_rate" = {rate}\n'
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "tap.toml"
        path.write_text(text)
        lab = Lab.from_file(path)
    tap = f"kbb{os.getpid() % 10000}"
    lab.tap("lan0", tap)
    lab.boot(settle=2 * SEC)
    try:
        linux_end(ns, tap)
        warm = ping(ns, 3)
        while warm.poll() is None:
            lab.run_for(50 * MS)
        p = ping(ns, n)
        while p.poll() is None:
            lab.run_for(50 * MS)
        out = p.communicate()[0]
    finally:
        lab.close()
    return result(out)


def responder(fd: int, stop: threading.Event) -> None:
    """Answer NS and Echo Request for HOST on ``fd`` (one frame per read/write)."""
    me = inet_pton6(HOST)
    while not stop.is_set():
        r, _, _ = select.select([fd], [], [], 0.05)
        if not r:
            continue
        try:
            f = os.read(fd, 2048)
        except BlockingIOError:
            continue
        if len(f) < 62 or f[12:14] != b"\x86\xdd" or f[20] != 58:
            continue
        src, dst, icmp = f[22:38], f[38:54], f[54:]
        if icmp[0] == 135 and icmp[8:24] == me:              # NS for us: NA (S|O, TLLA)
            body = bytearray(struct.pack("!BBHI16sBB6s", 136, 0, 0, 0x60000000, me, 2, 1,
                                         HOST_MAC))
            hlim = 255
        elif icmp[0] == 128 and dst == me:                   # Echo Request: Echo Reply
            body = bytearray(icmp)
            body[0], body[2:4] = 129, b"\0\0"
            hlim = 64
        else:
            continue
        struct.pack_into("!H", body, 2, in6_cksum_data(me, src, 58, body))
        ip6 = struct.pack("!IHBB16s16s", 0x60000000, len(body), 58, hlim, me, src)
        os.write(fd, f[6:12] + HOST_MAC + b"\x86\xdd" + ip6 + bytes(body))


def bench_reference(ns: str, n: int) -> dict:
    tap = f"kbr{os.getpid() % 10000}"
    fd, _ = open_tap(tap)
    try:
        linux_end(ns, tap)
        stop = threading.Event()
        th = threading.Thread(target=responder, args=(fd, stop), daemon=True)
        th.start()
        ping(ns, 3).communicate()
        out = ping(ns, n).communicate()[0]
        stop.set()
        th.join()
    finally:
        os.close(fd)
    return result(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-n", type=int, default=10000)
    a = ap.parse_args(argv)
    if os.geteuid() != 0 or not os.path.exists("/dev/net/tun"):
        print("bench_tap: needs root and /dev/net/tun", file=sys.stderr)
        return 2
    ns = f"kbbench{os.getpid()}"
    sh("ip", "netns", "add", ns)
    try:
        sh("ip", "-n", ns, "link", "set", "lo", "up")
        k = bench_kamebox(ns, a.n)
        k0 = bench_kamebox(ns, a.n, rate=0)
        r = bench_reference(ns, a.n)
    finally:
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)

    def line(what: str, x: dict) -> str:
        return (f"{what}: {x['per_s']:,.0f} round trips/s "
                f"({x['round_trips']} in {x['wall_s']:.3f} s)")
    print(line("Linux ping -f to kamebox over a TAP, em ITR 8000/s (FreeBSD default)", k))
    print(line("the same, em interrupt moderation off (hw.em.max_interrupt_rate=0)", k0))
    print(line("the same to a bare Python TAP responder", r))
    print(f"  ratio, ITR off: {k0['per_s'] / r['per_s']:.2f} (target >= 0.5); "
          f"ITR 8000/s: {k['per_s'] / r['per_s']:.2f} (at most {8000 / r['per_s']:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
