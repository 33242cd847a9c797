"""The syscall table and trap: BSD errnos, ENOSYS, counters, panics on kernel bugs."""
from __future__ import annotations

from kernel.kern.syscalls import syscall_register
from kernel.wire import errno as E
from kernel.wire.syscall import SYS_getpid, SYS_read, syscallnames
from tests.kernel.kern.harness import Host, errno_of
from userland import libc



def test_bsd_errno_values_and_freebsd_messages():
    assert (E.EAGAIN, E.EINPROGRESS, E.ENOTSOCK, E.EMSGSIZE, E.EAFNOSUPPORT) == (35, 36, 38, 40, 47)
    assert (E.EADDRINUSE, E.ENOBUFS, E.ETIMEDOUT, E.EHOSTUNREACH, E.ENOSYS) == (48, 55, 60, 65, 78)
    assert E.strerror(E.EHOSTUNREACH) == "No route to host"
    assert E.strerror(E.EHOSTDOWN) == "Host is down"
    assert E.strerror(E.ETIMEDOUT) == "Operation timed out"
    assert E.strerror(E.EADDRNOTAVAIL) == "Can't assign requested address"
    assert E.strerror(999) == "Unknown error: 999"
    assert E.errorcode[35] == "EAGAIN"


def test_unknown_syscall_number_is_enosys():
    got: list = []

    def prog(argv: list[str]) -> int:
        got.append(errno_of(lambda: libc.syscall(777)))
        got.append(errno_of(lambda: libc.syscall(-1)))
        got.append(errno_of(lambda: libc.syscall("getpid")))
        return 0
    h = Host(programs={"/bin/t": prog})
    assert h.run("/bin/t").status == 0
    assert got == [E.ENOSYS] * 3 and h.k.syscall_nosys == 3


def test_syscalls_are_counted_per_number():
    def prog(argv: list[str]) -> int:
        for _ in range(5):
            libc.getpid()
        return 0
    h = Host(programs={"/bin/t": prog})
    h.run("/bin/t")
    assert h.k.syscall_counts[SYS_getpid] == 5
    assert syscallnames[SYS_getpid] == "getpid"


def test_wrong_arguments_from_userland_are_errors_not_panics():
    got: list = []

    def prog(argv: list[str]) -> int:
        got.append(errno_of(lambda: libc.syscall(SYS_read)))              # too few
        got.append(errno_of(lambda: libc.syscall(SYS_read, "x", 10)))     # not a descriptor
        got.append(errno_of(lambda: libc.syscall(SYS_read, 0, -1)))       # bad count
        got.append(errno_of(lambda: libc.write(99, b"x")))
        got.append(errno_of(lambda: libc.syscall(4, 1, 12345)))           # write(1, int)
        return 0
    h = Host(programs={"/bin/t": prog})
    assert h.run("/bin/t").status == 0
    assert got == [E.EINVAL, E.EBADF, E.EINVAL, E.EBADF, E.EFAULT]
    assert h.panicked is None


def test_exception_escaping_kernel_code_panics_the_host():
    def buggy(td):
        return 1 // 0

    def prog(argv: list[str]) -> int:
        libc.syscall(900)
        libc.printf("not reached\n")
        return 0
    h = Host(programs={"/bin/t": prog})
    syscall_register(h.k, 900, buggy)
    r = h.run("/bin/t", timeout=1_000_000_000)
    assert h.panicked is not None and "syscall 900 by pid" in h.panicked
    assert "ZeroDivisionError" in h.console and r.out == ""


def test_oserror_from_a_handler_crosses_to_userland_unchanged():
    def handler(td):
        raise OSError(E.EHOSTUNREACH)            # an errno without a message

    got: list = []

    def prog(argv: list[str]) -> int:
        try:
            libc.syscall(901)
        except OSError as e:
            got.append((e.errno, e.strerror))
        return 0
    h = Host(programs={"/bin/t": prog})
    syscall_register(h.k, 901, handler)
    h.run("/bin/t")
    assert got == [(E.EHOSTUNREACH, "No route to host")]


def test_libc_outside_a_process_says_so():
    import pytest
    with pytest.raises(RuntimeError, match="not running in a kamebox process"):
        libc.getpid()
