"""No message from userland may raise out of the kernel: every system call, called
with garbage, returns or fails with an errno — the host never panics."""
from __future__ import annotations

import pytest

from kernel.kern.syscalls import SYSENT
from kernel.wire.syscall import SYS_exit, syscallnames
from tests.kernel.kern.harness import SEC, Host
from tests.kernel.kern.loproto import lo_attach_domain
from userland import libc

GARBAGE = [(), (None,), ("x",), (-1,), (10 ** 30,), (b"\xff",), (3.5,), (object(),),
           (0, None), (0, "x", "y"), (0, -5, object()), (1, b"x", 0, "bad"), ([1, 2], {}),
           (2, [0], {}, 1.5), ("/etc", "/tmp/x"), (0, 0, 0, 0, 0, 0, 0),
           # descriptor 3 is a datagram socket, 4 and 5 a pipe, 6 a stream socket
           (3, None), (3, "x", "y"), (3, b"x", 0, "bad"), (3, 0xFFFF, 0x1006, "bad"),
           (3, 0xFFFF, 0x80, "bad"), (3, 0xFFFF, 0x1002, -1), (3, 0x8004667E, "x"),
           (3, 0x4004667F, None), (3, 0xC0206911, object()), (3, [b"x"], {}), (4, b"x"),
           (5, b"x" * 70000), (6, 10), (6, None), (3, 1 << 40, 0), (3, 0xFFFF, 0x1007)]


@pytest.mark.parametrize("num", sorted(n for n in SYSENT if n != SYS_exit),
                         ids=lambda n: syscallnames.get(n, str(n)))
def test_garbage_arguments_never_panic_the_kernel(num: int):
    results: list = []

    def fuzz(argv: list[str]) -> int:
        assert libc.socket(250, 2, 0) == 3
        assert libc.pipe() == (4, 5)
        libc.fcntl(5, 4, 4)              # the write end is non-blocking
        assert libc.socket(250, 1, 0) == 6
        for args in GARBAGE:
            try:
                libc.syscall(num, *args)
                results.append("ok")
            except OSError as e:
                assert isinstance(e.errno, int) and e.errno > 0
                results.append(e.errno)
        return 0
    h = Host(programs={"/bin/fuzz": fuzz})
    lo_attach_domain(h.k)
    p, _, _ = h.spawn("/bin/fuzz")
    h.wait(p, timeout=5 * SEC)
    if not p.exited:                     # blocked in a call that waits (select, wait4...)
        h.k.kill(p.p_pid, 9)
        h.run_for(SEC)
    assert h.panicked is None, h.console
    assert p.exit_code in (0, 137) and "core dumped" not in h.console, p.exit_code
    assert results
