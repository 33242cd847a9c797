"""A router forwarding between two segments: packets per second, against the same
traffic between two hosts on one segment (no router) in the same run.

``udpblast N ADDR`` on alice sends N 64-byte UDP datagrams to ADDR's port 9
(discard) on a connected socket, backing off 1 ms (virtual) whenever the interface queue is full
(ENOBUFS), so the whole path runs at its own pace.  Through the router each
datagram goes alice → lan0 → r1 (em0 receive, ip6_forward, hop limit, route
lookup, ND, em1 transmit) → lan1 → bob; directly, alice → lan0 → bob.  Wall
time from the first datagram until bob's UDP layer has counted N, and the
router's ``ip6s_forward`` to show every packet went through it.  bob answers
with Port Unreachable, rate-limited (RFC 4443 2.4 (f)), as a real host does.

Run:  .venv/bin/python bench/bench_forward.py [-n N] [--json]
"""
from __future__ import annotations

import argparse
import gc
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from emu.lab import Lab, program_table  # noqa: E402
from emu.sched import MS, SEC  # noqa: E402

ROUTED = """
[lab]
name = "fwd"
seed = 1
[segment.lan0]
latency = "1us"
rate = "1Gbit"
[segment.lan1]
latency = "1us"
rate = "1Gbit"
[host.r1]
image = "router"
nic = [{model = "em", segment = "lan0"}, {model = "em", segment = "lan1"}]
[host.r1.rc]
ifconfig_em0_ipv6 = "inet6 2001:db8:1::1 prefixlen 64"
ifconfig_em1_ipv6 = "inet6 2001:db8:2::1 prefixlen 64"
ipv6_gateway_enable = true
rtadvd_enable = false
[host.alice]
image = "host"
nic = [{model = "em", segment = "lan0"}]
[host.alice.rc]
ifconfig_em0_ipv6 = "inet6 2001:db8:1::a prefixlen 64"
ipv6_defaultrouter = "2001:db8:1::1"
[host.bob]
image = "host"
nic = [{model = "em", segment = "%(bobseg)s"}]
[host.bob.rc]
ifconfig_em0_ipv6 = "inet6 %(bobaddr)s prefixlen 64"
ipv6_defaultrouter = "%(bobgw)s"
"""


def udpblast(argv: list[str]) -> int:
    """``udpblast N ADDR``: N datagrams of 64 bytes to ADDR port 9."""
    from kernel.wire import errno
    from kernel.wire.in6 import inet_pton6, sockaddr_in6
    from kernel.wire.socket import AF_INET6, SOCK_DGRAM
    from userland import libc
    n = int(argv[1])
    dst = sockaddr_in6(inet_pton6(argv[2]), 9)
    s = libc.socket(AF_INET6, SOCK_DGRAM, 0)
    libc.connect(s, dst)                       # a connected socket, as iperf's
    data = bytes(64)
    sent = 0
    while sent < n:
        try:
            libc.send(s, data)
            sent += 1
        except OSError as e:
            if e.errno != errno.ENOBUFS:
                raise
            libc.usleep(1000)                  # the queue is full: let the wire drain it
    return 0


def run(n: int, routed: bool) -> dict:
    progs = program_table()
    progs["/usr/local/bin/udpblast"] = udpblast
    params = ({"bobseg": "lan1", "bobaddr": "2001:db8:2::b", "bobgw": "2001:db8:2::1"} if routed
              else {"bobseg": "lan0", "bobaddr": "2001:db8:1::b", "bobgw": "2001:db8:1::1"})
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "fwd.toml"
        path.write_text(ROUTED % params)
        lab = Lab.from_file(path, programs=progs)
    lab.boot(settle=3 * SEC)
    dst = params["bobaddr"]
    assert lab.run_command("alice", f"ping6 -c 1 {dst}")[0] == 0     # ND done on every hop
    bob = lab.machines["bob"].kernel
    r1 = lab.machines["r1"].kernel
    st = bob.udpstat
    got0 = st.udps_ipackets
    fwd0 = r1.ip6stat.ip6s_forward
    gc.collect()
    t = time.perf_counter()
    status, out = lab.run_command("alice", f"/usr/local/bin/udpblast {n} {dst}", timeout=3600 * SEC)
    assert status == 0, out
    while st.udps_ipackets - got0 < n:
        lab.run_for(MS)
    wall = time.perf_counter() - t
    got = st.udps_ipackets - got0
    return {"datagrams": n, "received": got, "forwarded": r1.ip6stat.ip6s_forward - fwd0,
            "wall_s": wall, "per_s": got / wall}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-n", type=int, default=50000)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)
    routed = run(a.n, True)
    direct = run(a.n, False)
    res = {"routed": routed, "direct": direct, "routed_vs_direct": routed["per_s"] / direct["per_s"]}
    if a.json:
        print(json.dumps(res, indent=2))
        return 0
    print(f"through r1 (ip6_forward, two segments): {routed['per_s']:,.0f} datagrams/s "
          f"({routed['forwarded']} forwarded, {routed['received']} received)")
    print(f"direct (one segment, no router):        {direct['per_s']:,.0f} datagrams/s")
    print(f"  routed/direct: {res['routed_vs_direct']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
