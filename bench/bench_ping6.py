"""ping6 round trips per second between two emulated hosts, against scapy; boot of a
100-host lab; memory per host.

1. ``ping6 -f -q -c N bob`` on alice in a lab of two hosts, alice and bob, on
   one 1 Gbit/s segment (booted from rc.conf, as the demo lab's hosts are):
   every round trip goes through the whole path both ways — ping6's userland
   loop (poll, recvmsg with IPV6_RECVPKTINFO/HOPLIMIT, gettimeofday,
   sendmsg) and libc's traps, the raw socket and ICMP6_FILTER, icmp6_input
   and icmp6_reflect on bob, ip6_output, ND, the em(4) driver, descriptor
   rings, DMA, interrupts (ITR-moderated) and the wire.  Wall-clock round
   trips per second; the lab runs in virtual time, as fast as it goes.
2. ``echoloop``: the smallest userland that still goes through the same
   kernel path — a program doing sendto + recvfrom on a raw ICMPv6 socket.
3. scapy, in the same run: building the Echo Request
   (Ether/IPv6/ICMPv6EchoRequest with 8 bytes of data) as bytes, parsing
   it, building the Echo Reply and parsing that — the packet work of one
   round trip, without any of the stack.
4. Boot: wall time of ``Lab.from_file`` + ``boot`` for a lab of 100 hosts on
   one segment (static addresses from rc.conf), until every host's /etc/rc
   has finished and all addresses are preferred (not tentative); the Python
   heap per host (tracemalloc) and the process RSS growth per host.

Run:  .venv/bin/python bench/bench_ping6.py [-n N] [--hosts H] [--json]
"""
from __future__ import annotations

import argparse
import gc
import json
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from emu.lab import Lab, program_table  # noqa: E402
from emu.sched import SEC  # noqa: E402
from kernel.wire.in6_var import IN6_IFF_NOTREADY  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
# Two hosts of the demo lab on a segment of their own: the measurement is
# "between two emulated hosts" (the demo lab's third host would add a hub
# delivery and a filter drop to every frame).
PAIR_LAB = """
[lab]
name = "bench"
seed = 1

[segment.lan0]
latency = "1us"
rate = "1Gbit"

[host.alice]
image = "host"
nic = [{model = "em", segment = "lan0"}]
[host.alice.rc]
ifconfig_em0_ipv6 = "inet6 2001:db8:1::a prefixlen 64"

[host.bob]
image = "host"
nic = [{model = "em", segment = "lan0"}]
[host.bob.rc]
ifconfig_em0_ipv6 = "inet6 2001:db8:1::b prefixlen 64"
"""


# -- a minimal echo loop as a kamebox program ---------------------------------------------------
def echoloop(argv: list[str]) -> int:
    """``echoloop N ADDR``: N echo round trips, one at a time, on a raw ICMPv6 socket."""
    from kernel.wire.icmp6 import (ICMP6_ECHO_REPLY, ICMP6_FILTER, ICMP6_FILTER_SETBLOCKALL,
                                   ICMP6_FILTER_SETPASS, icmp6_filter)
    from kernel.wire.in6 import inet_pton6, sockaddr_in6
    from kernel.wire.ip6 import IPPROTO_ICMPV6
    from kernel.wire.socket import AF_INET6, SOCK_RAW
    from userland import libc
    n = int(argv[1])
    dst = sockaddr_in6(inet_pton6(argv[2]))
    s = libc.socket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6)
    f = icmp6_filter()
    ICMP6_FILTER_SETBLOCKALL(f)
    ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, f)
    libc.setsockopt(s, IPPROTO_ICMPV6, ICMP6_FILTER, f)
    ident = libc.getpid() & 0xFFFF
    got = 0
    for seq in range(n):
        pkt = bytes((128, 0, 0, 0, ident >> 8, ident & 0xFF, (seq >> 8) & 0xFF, seq & 0xFF)) \
            + bytes(8)
        libc.sendto(s, pkt, 0, dst)
        data, _ = libc.recvfrom(s, 1500)
        got += data[0] == 129
    libc.printf("%d\n", got)
    return 0 if got == n else 1


def demo_lab() -> Lab:
    progs = program_table()
    progs["/usr/local/bin/echoloop"] = echoloop
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "bench.toml"
        path.write_text(PAIR_LAB)
        lab = Lab.from_file(path, programs=progs)
    lab.boot(settle=3 * SEC)
    return lab


def bench_ping6(n: int) -> dict:
    lab = demo_lab()
    lab.run_command("alice", "ping6 -c 1 bob")        # ND done: measure the steady state
    gc.collect()
    t = time.perf_counter()
    status, out = lab.run_command("alice", f"ping6 -f -q -c {n} bob", timeout=3600 * SEC)
    wall = time.perf_counter() - t
    assert status == 0 and f"{n} packets transmitted, {n} packets received" in out, out
    return {"round_trips": n, "wall_s": wall, "per_s": n / wall, "us_per_rt": wall / n * 1e6,
            "rtt_line": out.strip().splitlines()[-1]}


def bench_echoloop(n: int) -> dict:
    lab = demo_lab()
    lab.run_command("alice", "ping6 -c 1 bob")
    gc.collect()
    t = time.perf_counter()
    status, out = lab.run_command("alice", f"/usr/local/bin/echoloop {n} 2001:db8:1::b",
                                  timeout=3600 * SEC)
    wall = time.perf_counter() - t
    assert status == 0 and out == f"{n}\n", out
    return {"round_trips": n, "wall_s": wall, "per_s": n / wall, "us_per_rt": wall / n * 1e6}


def bench_scapy(n: int) -> dict:
    import logging
    logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
    from scapy.layers.inet6 import ICMPv6EchoReply, ICMPv6EchoRequest, IPv6
    from scapy.layers.l2 import Ether
    a, b = "2001:db8:1::a", "2001:db8:1::b"
    ma, mb = "02:00:00:00:00:01", "02:00:00:00:00:02"
    data = bytes(8)
    t = time.perf_counter()
    for seq in range(n):
        req = bytes(Ether(src=ma, dst=mb) / IPv6(src=a, dst=b) /
                    ICMPv6EchoRequest(id=1, seq=seq, data=data))
        p = Ether(req)
        e = p[ICMPv6EchoRequest]
        rep = bytes(Ether(src=mb, dst=ma) / IPv6(src=b, dst=a) /
                    ICMPv6EchoReply(id=e.id, seq=e.seq, data=e.data))
        q = Ether(rep)
        assert q[ICMPv6EchoReply].seq == seq
    wall = time.perf_counter() - t
    return {"round_trips": n, "wall_s": wall, "per_s": n / wall, "us_per_rt": wall / n * 1e6}


def lab_toml(hosts: int) -> str:
    out = ['[lab]\nname = "big"\nseed = 1\n\n[segment.lan0]\n']
    for i in range(1, hosts + 1):
        out.append(f'[host.h{i}]\nnic = [{{model = "em", segment = "lan0"}}]\n'
                   f'[host.h{i}.rc]\nifconfig_em0_ipv6 = "inet6 2001:db8:1::{i:x} prefixlen 64"\n')
    return "\n".join(out)


def _boot(path: Path) -> tuple[Lab, float, float, bool, int]:
    """Boot the lab of ``path`` until every address is preferred: (lab, wall until
    every /etc/rc is done, wall until no address is tentative, rc ok, not ready)."""
    t = time.perf_counter()
    lab = Lab.from_file(path)
    lab.boot(settle=0)
    ok = lab.wait_rc()
    wall_rc = time.perf_counter() - t
    while True:
        notready = sum(1 for lm in lab.machines.values()
                       for ia in lm.kernel.in6_ifaddrhead if ia.ia6_flags & IN6_IFF_NOTREADY)
        if notready == 0 or lab.sched.now > 60 * SEC:
            break
        lab.run_for(SEC // 10)
    return lab, wall_rc, time.perf_counter() - t, ok, notready


def bench_boot(hosts: int) -> dict:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "big.toml"
        path.write_text(lab_toml(hosts))
        gc.collect()
        rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        lab, wall_rc, wall, ok, notready = _boot(path)
        rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        addrs = sum(len(lm.kernel.in6_ifaddrhead) for lm in lab.machines.values())
        virt = lab.sched.now / SEC
        # a ping across the big lab, to show it works
        status, _ = lab.run_command("h1", f"ping6 -c 1 2001:db8:1::{hosts:x}")
        lab.close()
        del lab
        gc.collect()
        # the Python heap a booted host holds (a second boot, traced: tracemalloc is slow)
        tracemalloc.start()
        lab2, *_ = _boot(path)
        heap, _peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        lab2.close()
    return {"hosts": hosts, "wall_s": wall, "wall_until_rc_done_s": wall_rc, "rc_ok": ok,
            "addresses": addrs, "not_ready": notready, "virtual_s": virt,
            "heap_per_host_kib": heap / hosts / 1024,
            "maxrss_growth_per_host_kib": (rss1 - rss0) / hosts, "ping_status": status}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-n", type=int, default=20000, help="round trips (default 20000)")
    ap.add_argument("--scapy-n", type=int, default=2000)
    ap.add_argument("--hosts", type=int, default=100)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)
    res = {"ping6": bench_ping6(a.n), "echoloop": bench_echoloop(a.n),
           "scapy": bench_scapy(a.scapy_n), "boot": bench_boot(a.hosts)}
    res["ping6_vs_scapy"] = res["ping6"]["per_s"] / res["scapy"]["per_s"]
    res["echoloop_vs_scapy"] = res["echoloop"]["per_s"] / res["scapy"]["per_s"]
    if a.json:
        print(json.dumps(res, indent=2))
        return 0
    p, e, s, b = res["ping6"], res["echoloop"], res["scapy"], res["boot"]
    print(f"ping6 -f -q -c {p['round_trips']} (whole path, both ways): {p['per_s']:,.0f} round "
          f"trips/s ({p['us_per_rt']:.1f} µs each)")
    print(f"  {p['rtt_line']}   (virtual time)")
    print(f"echoloop (sendto+recvfrom on a raw socket, same path): {e['per_s']:,.0f} round trips/s "
          f"({e['us_per_rt']:.1f} µs each)")
    print(f"scapy build+parse of request and reply:           {s['per_s']:,.0f} round trips/s "
          f"({s['us_per_rt']:.1f} µs each)")
    print(f"  ping6 is {res['ping6_vs_scapy']:.1f}x scapy, "
          f"echoloop {res['echoloop_vs_scapy']:.1f}x")
    print(f"boot of {b['hosts']} hosts on one segment: {b['wall_s']:.2f} s wall until all "
          f"{b['addresses']} addresses are preferred ({b['wall_until_rc_done_s']:.2f} s until "
          f"every /etc/rc is done; {b['virtual_s']:.1f} s virtual)")
    print(f"  memory per host: {b['heap_per_host_kib']:.0f} KiB Python heap (tracemalloc), "
          f"{b['maxrss_growth_per_host_kib']:.0f} KiB RSS growth")
    return 0


if __name__ == "__main__":
    sys.exit(main())
