"""Signals: delivery at syscall return, EINTR/restart, default actions, the console's ^C."""
from __future__ import annotations

from kernel.kern.tty import tty_input
from kernel.wire.errno import EINTR
from kernel.wire.signal import (
    SIG_BLOCK, SIG_IGN, SIGALRM, SIGCHLD, SIGHUP, SIGINT, SIGKILL, SIGTERM, SIGUSR1,
    sigaction_t, sigmask,
)
from kernel.wire.socket import SOCK_DGRAM
from tests.kernel.kern.harness import MS, SEC, Host
from tests.kernel.kern.loproto import AF_TEST, lo_attach_domain, sockaddr_test
from userland import libc


def test_sigint_interrupts_sleeping_syscall_with_eintr():
    log: list = []

    def prog(argv: list[str]) -> int:
        libc.sigaction(SIGINT, sigaction_t(lambda sig: log.append(("handler", sig))))
        s = libc.socket(AF_TEST, SOCK_DGRAM)
        libc.bind(s, sockaddr_test(9))
        try:
            libc.recvfrom(s, 100)
        except OSError as e:
            log.append(("recvfrom", e.errno, libc.clock_gettime(4).tv_sec))
        return 0
    h = Host(programs={"/bin/t": prog})
    lo_attach_domain(h.k)
    p, _, _ = h.spawn("/bin/t")
    h.run_for(3 * SEC)
    assert p.td_wmesg == "sbwait"
    h.k.kill(p.p_pid, SIGINT)
    h.wait(p)
    assert p.exit_code == 0
    # the handler ran in the process before the interrupted call returned EINTR
    assert log == [("handler", SIGINT), ("recvfrom", EINTR, 3)]


def test_signal_installs_a_restarting_handler_as_bsd_does():
    log: list = []

    def prog(argv: list[str]) -> int:
        libc.signal(SIGUSR1, lambda sig: log.append("usr1"))
        s = libc.socket(AF_TEST, SOCK_DGRAM)
        libc.bind(s, sockaddr_test(9))
        data, frm = libc.recvfrom(s, 100)        # restarted after the handler
        log.append(data)
        return 0

    def sender(argv: list[str]) -> int:
        s = libc.socket(AF_TEST, SOCK_DGRAM)
        libc.sendto(s, b"late", 0, sockaddr_test(9))
        return 0
    h = Host(programs={"/bin/t": prog, "/bin/send": sender})
    lo_attach_domain(h.k)
    p, _, _ = h.spawn("/bin/t")
    h.run_for(SEC)
    h.k.kill(p.p_pid, SIGUSR1)
    h.run_for(SEC)
    assert not p.exited and log == ["usr1"]
    h.run("/bin/send")
    h.wait(p)
    assert log == ["usr1", b"late"]


def test_default_action_of_sigterm_kills_with_status_143():
    h = Host()
    p, _, _ = h.spawn("/bin/sleep 60")
    h.run_for(SEC)
    h.k.kill(p.p_pid, SIGTERM)
    h.wait(p)
    assert p.exit_code == 128 + SIGTERM and h.sched.now < 2 * SEC
    assert "exited on signal" not in h.console      # only core-dumping signals are logged


def test_sigkill_cannot_be_caught_or_ignored():
    def prog(argv: list[str]) -> int:
        for sig in (SIGKILL,):
            try:
                libc.signal(sig, SIG_IGN)
            except OSError as e:
                libc.printf("%d\n", e.errno)
        libc.sleep(100)
        return 0
    h = Host(programs={"/bin/t": prog})
    p, out, _ = h.spawn("/bin/t")
    h.run_for(SEC)
    h.k.kill(p.p_pid, SIGKILL)
    h.wait(p)
    assert p.exit_code == 137 and out.text() == "22\n"


def test_ignored_signal_has_no_effect_and_blocked_signal_waits():
    log: list = []

    def prog(argv: list[str]) -> int:
        libc.signal(SIGHUP, SIG_IGN)
        libc.signal(SIGUSR1, lambda sig: log.append(("usr1", libc.time())))
        libc.sigprocmask(SIG_BLOCK, sigmask(SIGUSR1))
        libc.sleep(2)                      # SIGHUP and SIGUSR1 arrive here
        log.append(("awake", libc.time()))
        libc.sigprocmask(3, 0)             # SIG_SETMASK: unblock; delivered on return
        log.append(("end", libc.time()))
        return 0
    h = Host(programs={"/bin/t": prog})
    p, _, _ = h.spawn("/bin/t")
    h.run_for(SEC)
    h.k.kill(p.p_pid, SIGHUP)
    h.k.kill(p.p_pid, SIGUSR1)
    h.wait(p)
    t0 = 1136073600
    assert p.exit_code == 0
    assert log == [("awake", t0 + 2), ("usr1", t0 + 2), ("end", t0 + 2)]


def test_sigchld_reaches_a_parent_with_a_handler():
    log: list = []

    def parent(argv: list[str]) -> int:
        libc.signal(SIGCHLD, lambda sig: log.append("chld"))
        pid = libc.posix_spawn("/bin/sleep", ["sleep", "1"])
        libc.waitpid(pid)
        return 0
    h = Host(programs={"/bin/parent": parent})
    assert h.run("/bin/parent").status == 0
    assert log == ["chld"]


def test_ctrl_c_on_the_console_sends_sigint_to_the_foreground_program():
    """ping6 catches SIGINT to print its statistics: the handler sets a flag,
    select is interrupted, the main loop sees the flag."""
    def pinger(argv: list[str]) -> int:
        seen = []
        libc.sigaction(SIGINT, sigaction_t(lambda sig: seen.append(sig)))
        sent = 0
        while not seen:
            sent += 1
            try:
                libc.select([], [], [], 1.0)
            except OSError as e:
                if e.errno != EINTR:
                    raise
        libc.printf("--- statistics ---\n%d packets transmitted\n", sent)
        return 0
    h = Host(programs={"/sbin/pinger": pinger})
    p = h.k.spawn("/sbin/pinger", ["pinger"], foreground=True)
    h.run_for(3 * SEC + 500 * MS)
    tty_input(h.k, b"\x03")
    h.wait(p)
    assert p.exit_code == 0
    assert h.console.endswith("--- statistics ---\n4 packets transmitted\n")


def test_ctrl_c_kills_a_foreground_program_without_a_handler():
    h = Host()
    p = h.k.spawn("/bin/sleep", ["sleep", "100"], foreground=True)
    h.run_for(SEC)
    assert h.k.console.t_pgrp == p.p_pgid
    tty_input(h.k, b"\x03")
    h.wait(p)
    assert p.exit_code == 130


def test_alarm_delivers_sigalrm_in_virtual_time():
    log: list = []

    def prog(argv: list[str]) -> int:
        libc.signal(SIGALRM, lambda sig: log.append(libc.clock_gettime(4).tv_sec))
        libc.alarm(5)
        try:
            libc.pause()
        except OSError as e:
            log.append(e.errno)
        return 0
    h = Host(programs={"/bin/t": prog})
    assert h.run("/bin/t").status == 0
    assert log == [5, EINTR]


def test_a_process_signalling_itself_takes_the_signal_on_return_from_kill():
    log: list = []

    def prog(argv: list[str]) -> int:
        libc.signal(SIGUSR1, lambda sig: log.append("handler"))
        libc.kill(libc.getpid(), SIGUSR1)
        log.append("after kill")
        return 0
    h = Host(programs={"/bin/t": prog})
    h.run("/bin/t")
    assert log == ["handler", "after kill"]


def test_kill_of_process_group_zero_reaches_the_callers_group():
    def prog(argv: list[str]) -> int:
        libc.posix_spawn("/bin/sleep", ["sleep", "50"])
        libc.sleep(1)
        libc.signal(SIGTERM, SIG_IGN)
        libc.kill(0, SIGTERM)
        pid, status = libc.wait()
        libc.printf("%d\n", status)
        return 0
    h = Host(programs={"/bin/t": prog})
    r = h.run("/bin/t")
    assert (r.status, r.out) == (0, "15\n")
