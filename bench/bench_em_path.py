"""Frames per second one way through the whole em(4) path, and memory per idle machine.

The path: ``ether_output`` -> ``em_start`` (TX descriptors, TDT doorbell) ->
device TX DMA -> segment (serialization, latency) -> device RX filter and DMA
-> RX descriptor write-back -> interrupt (ITR-moderated) -> ``em_intr`` /
``em_rxeof`` -> ``ether_input`` -> the protocol handler.

The baseline, measured in the same run, is a bare Python loop handing the
same bytes from one list to another: the ratio says how many times more
expensive the emulated path is than doing nothing but moving the frame.

Run:  .venv/bin/python bench/bench_em_path.py [--frames N] [--json]
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from emu.lab import Lab  # noqa: E402
from emu.sched import US  # noqa: E402
from kernel.kern.uipc_mbuf import mbuf  # noqa: E402
from kernel.net.if_ethersubr import ether_register  # noqa: E402
from kernel.wire.ethernet import ETHERTYPE  # noqa: E402
from kernel.wire.net_if import IFF  # noqa: E402

ETYPE = ETHERTYPE.LOCAL_EXP1


def baseline(frames: int, size: int) -> float:
    """Frames/s of a bare loop moving ``size``-byte frames between two lists."""
    payload = bytes(size)
    src = [payload] * frames
    best = 0.0
    for _ in range(3):
        dst: list[bytes] = []
        t0 = time.perf_counter()
        for f in src:
            dst.append(bytes(f))
        dt = time.perf_counter() - t0
        best = max(best, frames / dt)
    return best


def build(seed: int = 1):
    lab = Lab(seed=seed)
    seg = lab.segment("net0")
    a = lab.machine("a", nics=[("em", seg)])
    b = lab.machine("b", nics=[("em", seg)])
    lab.boot()
    for lm in (a, b):
        ifp = lm.ifnet("em0")
        ifp.if_setflags(ifp.if_flags | IFF.UP)
    lab.run_for(1000 * US)
    return lab, a, b


def em_path(frames: int, size: int, batch: int = 32) -> tuple[float, int]:
    """Frames/s through the whole path; returns (rate, frames received)."""
    lab, a, b = build()
    ifa, ifb = a.ifnet("em0"), b.ifnet("em0")
    received = [0]

    def count(ifp, m):
        received[0] += 1
        if received[0] == frames:
            sched.stop()

    ether_register(b.kernel, ETYPE, count)
    dst = ifb.if_addr
    payload = bytes(size - 14)
    sched = lab.sched
    wire_ns = (max(size, 60) + 24) * 8  # at 1 Gb/s: ns per frame
    sent = [0]
    output = ifa.if_output

    def generator():
        n = min(batch, frames - sent[0])
        for _ in range(n):
            output(ifa, mbuf(payload), dst, ETYPE)
        sent[0] += n
        if sent[0] < frames:
            sched.call_later(n * wire_ns, generator)

    sched.call_soon(generator)
    gc.collect()
    t0 = time.perf_counter()
    sched.run_until_idle()              # returns when the last frame is received
    dt = time.perf_counter() - t0
    return received[0] / dt, received[0]


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def memory_per_idle_machine(n: int = 20) -> dict[str, float]:
    """Cost of one booted, idle machine with one em NIC and 256-descriptor rings.

    Measured in a fresh interpreter (so freed memory of the frame runs is not
    reused): the RSS growth per machine, the Python heap per machine
    (tracemalloc), and the guest RAM configured and handed out by bus_dma
    (guest RAM is an anonymous mapping: only touched pages are resident).
    """
    code = f"""
import gc, json, os, sys, tracemalloc
sys.path.insert(0, {str(Path(__file__).resolve().parent)!r})
from bench_em_path import build_idle, rss_bytes
build_idle(1)                                # warm the imports
gc.collect(); r0 = rss_bytes(); tracemalloc.start()
labs = build_idle({n})
gc.collect(); heap = tracemalloc.get_traced_memory()[0]; r1 = rss_bytes()
m = labs[0].machines["h"].machine
print(json.dumps({{"rss_per_machine_kib": (r1 - r0) / {n} / 1024,
                  "python_heap_per_machine_kib": heap / {n} / 1024,
                  "guest_ram_configured_kib": m.mem.size / 1024,
                  "guest_ram_allocated_kib": m.mem.used / 1024}}))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def build_idle(n: int) -> list:
    labs = []
    for i in range(n):
        lab = Lab(seed=i)
        seg = lab.segment("net0")
        lab.machine("h", nics=[("em", seg)])
        lab.boot()
        ifp = lab.machines["h"].ifnet("em0")
        ifp.if_setflags(ifp.if_flags | IFF.UP)
        lab.run_for(2_000_000_000)      # two idle seconds: timers running
        labs.append(lab)
    return labs


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=100_000)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    results = {}
    for size in (64, 1514):
        base = baseline(args.frames, size)
        rate, got = em_path(args.frames, size)
        results[size] = {"em_path_fps": rate, "baseline_fps": base, "ratio": base / rate,
                         "received": got, "sent": args.frames}
    results["memory"] = memory_per_idle_machine()
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(f"em(4) path, {args.frames} frames one way (CPython {sys.version.split()[0]})")
    print(f"{'frame':>6} {'em path fps':>12} {'baseline fps':>13} {'baseline/em':>12} {'received':>9}")
    for size in (64, 1514):
        r = results[size]
        print(f"{size:>6} {r['em_path_fps']:>12,.0f} {r['baseline_fps']:>13,.0f} "
              f"{r['ratio']:>12,.0f} {r['received']:>9}")
    mem = results["memory"]
    print(f"memory per idle machine (1 em NIC, 256+256 descriptors): "
          f"{mem['rss_per_machine_kib']:,.0f} KiB RSS, of which Python heap "
          f"{mem['python_heap_per_machine_kib']:,.0f} KiB; guest RAM configured "
          f"{mem['guest_ram_configured_kib']:,.0f} KiB, of which allocated "
          f"{mem['guest_ram_allocated_kib']:,.0f} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
