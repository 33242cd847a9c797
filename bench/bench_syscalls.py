"""Cost of the syscall path: a trivial call (getpid) and a sendto/recvfrom pair on the
loopback test protocol of tests/kernel/kern/loproto.py (socket layer only, no network).

    .venv/bin/python bench/bench_syscalls.py [N]
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kernel.wire.poll import POLLIN, pollfd                      # noqa: E402
from kernel.wire.socket import SOCK_DGRAM, msghdr                 # noqa: E402
from tests.kernel.kern.harness import Host                         # noqa: E402
from tests.kernel.kern.loproto import AF_TEST, lo_attach_domain, sockaddr_test  # noqa: E402
from userland import libc                                          # noqa: E402


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    res: dict[str, float] = {}

    def bench(argv: list[str]) -> int:
        t = time.perf_counter()
        for _ in range(n):
            libc.getpid()
        res["getpid"] = time.perf_counter() - t
        s = libc.socket(AF_TEST, SOCK_DGRAM, 0)
        libc.bind(s, sockaddr_test(7))
        to = sockaddr_test(7)
        data = b"x" * 56
        t = time.perf_counter()
        for _ in range(n):
            libc.sendto(s, data, 0, to)
            libc.recvfrom(s, 2048)
        res["sendto+recvfrom"] = time.perf_counter() - t
        buf = bytearray(2048)
        msg = msghdr(msg_name=to, msg_iov=[data])
        rmsg = msghdr(msg_iov=[buf], msg_controllen=256)
        fds = [pollfd(s, POLLIN)]
        t = time.perf_counter()
        for _ in range(n):
            libc.sendmsg(s, msg)
            libc.poll(fds, 1000)
            libc.recvmsg(s, rmsg)
        res["sendmsg+poll+recvmsg"] = time.perf_counter() - t
        return 0

    def echo(argv: list[str]) -> int:
        s = libc.socket(AF_TEST, SOCK_DGRAM, 0)
        libc.bind(s, sockaddr_test(9))
        while True:
            data, frm = libc.recvfrom(s, 2048)
            if data == b"quit":
                return 0
            libc.sendto(s, data, 0, frm)

    def pinger(argv: list[str]) -> int:
        s = libc.socket(AF_TEST, SOCK_DGRAM, 0)
        to = sockaddr_test(9)
        m = n // 10
        t = time.perf_counter()
        for _ in range(m):
            libc.sendto(s, b"x" * 56, 0, to)
            libc.recvfrom(s, 2048)              # sleeps until the echo comes
        res["round trip, 2 processes"] = (time.perf_counter() - t) * n / m
        libc.sendto(s, b"quit", 0, to)
        return 0

    h = Host(programs={"/bin/bench": bench, "/bin/echo": echo, "/bin/pinger": pinger})
    lo_attach_domain(h.k)
    r = h.run("/bin/bench", timeout=10 ** 12)
    assert r.status == 0, r.err
    h.spawn("/bin/echo")
    r = h.run("/bin/pinger", timeout=10 ** 12)
    assert r.status == 0, r.err
    for name, secs in res.items():
        print(f"{name:24s} {secs / n * 1e6:7.2f} us")


if __name__ == "__main__":
    main()
