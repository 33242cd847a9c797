"""Per-packet cost of the IPv6 core: echo in (parse + checksum + reflect) and echo out (build).

Measured with the real kernel code on one host, the link layer cut off:
``nd6_output_ifp`` is replaced by a function that drops the packet, so the
numbers are the IPv6 core alone (DESIGN.md's budget: parse+checksum of an
echo about 1.7 µs, build about 2.8 µs).

- ``input``: ``ip6_input`` of a 64-byte-data Echo Request to one of our
  addresses: header checks, "is it ours", ``icmp6_input`` (length,
  checksum), the reply made in place (``icmp6_reflect``: addresses, hop
  limit, checksum) and ``ip6_output`` (route lookup, MTU) up to the link.
- ``parse``: header unpack plus checksum verification only (the wire helpers).
- ``output``: building an Echo Request (header and ICMPv6 with checksum) and
  ``ip6_output`` up to the link.

Run:  .venv/bin/python bench/bench_ip6.py [-n N] [--json]
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from emu.machine import Machine  # noqa: E402
from emu.sched import Scheduler  # noqa: E402
from kernel.kern.init_main import Kernel  # noqa: E402
from kernel.kern.uipc_mbuf import mbuf  # noqa: E402
from kernel.net.if_ethersubr import ether_ifattach  # noqa: E402
from kernel.net.if_var import ifnet  # noqa: E402
from kernel.netinet6 import in6, nd6  # noqa: E402
from kernel.netinet6.ip6_input import ip6_input  # noqa: E402
from kernel.netinet6.ip6_output import ip6_output  # noqa: E402
from kernel.wire.icmp6 import icmp6_echo_hdr, icmp6_echo_repr  # noqa: E402
from kernel.wire.in6 import in6_prefix_mask, inet_pton6, sockaddr_in6  # noqa: E402
from kernel.wire.in6_var import IN6_IFF_NODAD, in6_aliasreq  # noqa: E402
from kernel.wire.in_cksum import in6_cksum, in6_cksum_data  # noqa: E402
from kernel.wire.ip6 import IPPROTO_ICMPV6, ip6_hdr  # noqa: E402
from kernel.wire.net_if import IFF  # noqa: E402

ME = inet_pton6("2001:db8::a")
PEER = inet_pton6("2001:db8::b")


def setup():
    s = Scheduler(1)
    m = Machine(s, "bench", 1 << 20)
    k = Kernel(m.platform)
    k.boot()
    ifp = ifnet(k, "fake", 0)
    ifp.if_ioctl = lambda ifp, cmd, data: 0
    ifp.if_start = lambda ifp: ifp.if_snd.q.clear()
    ether_ifattach(ifp, bytes.fromhex("020000000001"))
    ifp.if_flags |= int(IFF.UP)
    req = in6_aliasreq("fake0", sockaddr_in6(ME), None, sockaddr_in6(in6_prefix_mask(64)), IN6_IFF_NODAD)
    assert in6.in6_update_ifa(ifp, req) == 0
    return s, k, ifp


def per_packet(fn, n: int) -> float:
    for _ in range(min(1000, n)):
        fn()
    t = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - t) / n * 1e6


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-n", type=int, default=100_000)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)
    s, k, ifp = setup()
    sent = []
    orig = nd6.nd6_output_ifp
    nd6.nd6_output_ifp = lambda ifp, origifp, m, dst: sent.append(1) or 0
    try:
        body = icmp6_echo_repr(128, 1, 1, bytes(64)).to_bytes(PEER, ME)
        pkt = ip6_hdr.pack(0x60000000, len(body), IPPROTO_ICMPV6, 64, PEER, ME) + body

        def echo_in():
            ip6_input(ifp, mbuf(pkt, leading=16))

        def parse():
            ip6_hdr.unpack_from(pkt, 0)
            return in6_cksum(pkt, 0, IPPROTO_ICMPV6, 40, len(pkt) - 40)

        data = bytes(64)

        def echo_out():
            b = bytearray(72)
            icmp6_echo_hdr.pack_into(b, 0, 128, 0, 0, 1, 1)
            b[8:] = data
            ck = in6_cksum_data(ME, PEER, IPPROTO_ICMPV6, b)
            b[2] = ck >> 8
            b[3] = ck & 0xFF
            ip6_output(k, mbuf(ip6_hdr.pack(0x60000000, 72, IPPROTO_ICMPV6, 64, ME, PEER) + b))

        res = {"input_us": per_packet(echo_in, a.n), "parse_us": per_packet(parse, a.n),
               "output_us": per_packet(echo_out, a.n)}
        assert len(sent) >= 2 * a.n and k.icmp6stat.icp6s_reflect >= a.n
    finally:
        nd6.nd6_output_ifp = orig
    if a.json:
        print(json.dumps(res))
    else:
        print(f"echo in (parse, checksum, reflect, ip6_output): {res['input_us']:.2f} µs/packet")
        print(f"  of which header parse + checksum:            {res['parse_us']:.2f} µs/packet")
        print(f"echo out (build + ip6_output):                  {res['output_us']:.2f} µs/packet")
    return 0


if __name__ == "__main__":
    sys.exit(main())
