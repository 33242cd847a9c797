"""Pipes: data between processes, end of file, EPIPE and SIGPIPE, full buffers."""
from __future__ import annotations

from kernel.wire import errno as E
from kernel.wire.fcntl import F_SETFL, O_NONBLOCK
from kernel.wire.signal import SIG_IGN, SIGPIPE
from tests.kernel.kern.harness import Host
from userland import libc


def test_pipe_to_a_child_reads_until_end_of_file():
    def parent(argv: list[str]) -> int:
        r, w = libc.pipe()
        pid = libc.posix_spawn("/bin/cat", ["cat"], file_actions=[("dup2", r, 0), ("close", r),
                                                                  ("close", w)])
        libc.close(r)
        libc.write(w, b"through the pipe\n")
        libc.close(w)
        return libc.waitpid(pid)[1] >> 8
    h = Host(programs={"/bin/parent": parent})
    r = h.run("/bin/parent")
    assert (r.status, r.out) == (0, "through the pipe\n")


def test_writing_to_a_pipe_without_reader_is_epipe_and_sigpipe():
    got: list = []

    def t(argv: list[str]) -> int:
        r, w = libc.pipe()
        libc.close(r)
        libc.signal(SIGPIPE, SIG_IGN)
        try:
            libc.write(w, b"x")
        except OSError as e:
            got.append(e.errno)
        libc.signal(SIGPIPE, 0)
        libc.write(w, b"x")
        got.append("not reached")
        return 0
    h = Host(programs={"/bin/t": t})
    r = h.run("/bin/t")
    assert got == [E.EPIPE] and r.status == 128 + SIGPIPE


def test_a_full_pipe_is_eagain_when_nonblocking():
    got: list = []

    def t(argv: list[str]) -> int:
        r, w = libc.pipe()
        libc.fcntl(w, F_SETFL, O_NONBLOCK)
        got.append(libc.write(w, b"x" * 20000))
        try:
            libc.write(w, b"y")
        except OSError as e:
            got.append(e.errno)
        got.append(len(libc.read(r, 100000)))
        return 0
    h = Host(programs={"/bin/t": t})
    h.run("/bin/t")
    assert got == [16384, E.EAGAIN, 16384]
