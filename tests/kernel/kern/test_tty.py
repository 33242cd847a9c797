"""The console tty and capture ttys: blocking reads, line discipline, select, EOF."""
from __future__ import annotations

from kernel.kern.tty import capture, tty_input
from kernel.kern.vfs import vn_open
from kernel.wire import errno as E
from kernel.wire.fcntl import F_SETFL, O_CREAT, O_NONBLOCK, O_RDWR, O_TRUNC, O_WRONLY
from tests.kernel.kern.harness import SEC, Host
from userland import libc


def _reader(log: list):
    def main(argv: list[str]) -> int:
        fd = libc.open("/dev/console", O_RDWR)
        while True:
            line = libc.read(fd, 100)
            log.append((line, libc.clock_gettime(4).tv_sec))
            if not line:
                return 0
    return main


def test_a_process_reading_the_console_blocks_until_a_line_is_typed():
    log: list = []
    h = Host(programs={"/bin/r": _reader(log)})
    p = h.k.spawn("/bin/r", ["r"])
    h.run_for(2 * SEC)
    assert log == [] and p.td_wmesg == "ttyin"
    tty_input(h.k, b"hel")
    h.run_for(SEC)
    assert log == []                     # canonical mode: no line yet
    tty_input(h.k, b"lo\x7f\x7fp me\r")  # erase twice, then Enter
    h.run_for(SEC)
    assert log == [(b"help me\n", 3)]
    tty_input(h.k, b"\x04")              # ^D at the start of a line: end of file
    h.wait(p)
    assert log[-1] == (b"", 4) and p.exit_code == 0


def test_console_output_goes_to_the_machine_console():
    h = Host()
    h.wait(h.k.spawn("/bin/hostname", ["hostname"]))
    assert h.console.endswith("host\n")


def test_nonblocking_read_on_an_empty_tty_is_eagain():
    got: list = []

    def prog(argv: list[str]) -> int:
        fd = libc.open("/dev/console", O_RDWR)
        libc.fcntl(fd, F_SETFL, O_NONBLOCK)
        try:
            libc.read(fd, 10)
        except OSError as e:
            got.append(e.errno)
        return 0
    h = Host(programs={"/bin/t": prog})
    h.wait(h.k.spawn("/bin/t", ["t"]))
    assert got == [E.EAGAIN]


def test_select_on_the_console_wakes_when_a_line_comes():
    got: list = []

    def prog(argv: list[str]) -> int:
        r, w, x = libc.select([0], [], [], 10)
        got.append((r, libc.clock_gettime(4).tv_sec))
        r, w, x = libc.select([0], [], [], 2.5)
        got.append((r, libc.clock_gettime(4).to_ns()))
        got.append(libc.fgets(libc.stdin))
        return 0
    h = Host(programs={"/bin/t": prog})
    p = h.k.spawn("/bin/t", ["t"])
    h.run_for(4 * SEC)
    tty_input(h.k, b"x\n")
    h.wait(p)
    assert got[0] == ([0], 4)
    assert got[1] == ([0], 4 * SEC)          # still readable: nothing was read
    assert got[2] == "x\n"


def test_capture_gives_input_then_eof_and_collects_output():
    h = Host()
    cap = capture(h.k, input=b"line 1\nline 2\n")
    p = h.k.spawn("/bin/cat", ["cat"], stdin=cap, stdout=cap, stderr=cap)
    h.wait(p)
    assert p.exit_code == 0 and cap.text() == "line 1\nline 2\n"


def test_a_capture_is_a_terminal_for_stdio_line_buffering():
    def prog(argv: list[str]) -> int:
        libc.printf("out\n")
        libc.fprintf(libc.stderr, "err\n")
        libc.printf("out2\n")
        return 0
    h = Host(programs={"/bin/t": prog})
    r = h.run("/bin/t", combined=True)
    assert r.out == "out\nerr\nout2\n"
    # into a file (not a tty) stdout is fully buffered, so stderr comes first
    fp = vn_open(h.k, None, "/tmp/o", O_WRONLY | O_CREAT | O_TRUNC)
    h.wait(h.k.spawn("/bin/t", ["t"], stdout=fp, stderr=fp))
    assert h.run("/bin/cat /tmp/o").out == "err\nout\nout2\n"


def test_ctrl_c_clears_the_line_being_typed():
    h = Host()
    tty_input(h.k, b"partial\x03more\n")
    assert list(h.k.console.t_canq) == [b"more\n"]
    assert h.panicked is None
