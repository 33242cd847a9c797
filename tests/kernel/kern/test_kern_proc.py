"""Processes: spawn, exit status, wait4, exec, daemon, crashes (kern_fork/exec/exit)."""
from __future__ import annotations

import pytest

from kernel.kern.kern_proc import SZOMB
from kernel.wire.errno import EACCES, ECHILD, ENOENT, ENOEXEC, ESRCH
from kernel.wire.wait import WEXITSTATUS, WIFEXITED, WIFSIGNALED, WNOHANG, WTERMSIG, WCOREDUMP
from tests.kernel.kern.harness import MS, SEC, Host
from userland import libc


def test_spawned_program_gets_argv_and_its_return_value_is_the_exit_status():
    def prog(argv: list[str]) -> int:
        libc.printf("%s|%s\n", argv[0], ",".join(argv[1:]))
        return 7
    h = Host(programs={"/usr/bin/prog": prog})
    r = h.run(["/usr/bin/prog", "a", "b c"])
    assert (r.status, r.out) == (7, "/usr/bin/prog|a,b c\n")
    assert r.p.p_xstat >> 8 == 7 and r.p.p_stat == SZOMB


def test_children_of_init_are_reaped_at_once_but_keep_their_status():
    h = Host(programs={"/bin/t": lambda argv: 0})
    r = h.run("/bin/t")
    assert r.status == 0
    assert r.p.p_pid not in h.k.allproc


def test_exit_flushes_buffered_stdout_and_skips_the_rest_of_main():
    def prog(argv: list[str]) -> int:
        libc.setvbuf(libc.stdout, libc._IOFBF)
        libc.printf("before exit")
        libc.exit(3)
        libc.printf("never")
        return 0
    h = Host(programs={"/bin/t": prog})
    r = h.run("/bin/t")
    assert (r.status, r.out) == (3, "before exit")


def test_exception_in_program_does_not_panic_kernel():
    def prog(argv: list[str]) -> int:
        libc.printf("partial output\n")
        return {}["missing"]
    h = Host(programs={"/bin/crash": prog})
    r = h.run("/bin/crash")
    assert h.panicked is None
    assert r.status == 134
    assert WIFSIGNALED(r.p.p_xstat) and WTERMSIG(r.p.p_xstat) == 6 and WCOREDUMP(r.p.p_xstat)
    assert r.out == "partial output\n"
    assert "Traceback" in r.err and "KeyError: 'missing'" in r.err
    assert f"pid {r.p.p_pid} (crash), uid 0: exited on signal 6 (core dumped)\n" in h.console
    # the host still runs programs
    assert h.run("/bin/hostname").out == "host\n"


def test_python_sys_exit_in_a_program_is_an_exit():
    def prog(argv: list[str]) -> int:
        raise SystemExit(5)
    h = Host(programs={"/bin/t": prog})
    assert h.run("/bin/t").status == 5


def test_wait4_collects_a_zombie_child_and_then_echild():
    seen: list = []

    def child(argv: list[str]) -> int:
        libc.sleep(1)
        return 9

    def parent(argv: list[str]) -> int:
        pid = libc.posix_spawn("/bin/child", ["child"])
        seen.append(libc.waitpid(pid, WNOHANG))
        wpid, status = libc.waitpid(pid)
        seen.append((wpid == pid, WIFEXITED(status), WEXITSTATUS(status), libc.time()))
        try:
            libc.wait()
        except OSError as e:
            seen.append(e.errno)
        return 0
    h = Host(programs={"/bin/child": child, "/bin/parent": parent})
    r = h.run("/bin/parent")
    assert r.status == 0
    assert seen == [(0, 0), (True, True, 9, 1136073601), ECHILD]


def test_getppid_and_getpid_of_a_spawned_child():
    ids: dict = {}

    def child(argv: list[str]) -> int:
        ids["child"] = (libc.getpid(), libc.getppid())
        return 0

    def parent(argv: list[str]) -> int:
        ids["parent"] = libc.getpid()
        libc.waitpid(libc.posix_spawn("/bin/child", ["child"]))
        return 0
    h = Host(programs={"/bin/child": child, "/bin/parent": parent})
    h.run("/bin/parent")
    assert ids["child"][1] == ids["parent"] and ids["child"][0] != ids["parent"]


def test_spawn_errors_are_bsd_errnos():
    h = Host(files={"/etc/data": b"not a program", "/usr/bin/junk": (b"junk", 0o755)})
    for path, errno in (("/nonexistent", ENOENT), ("/etc/data", EACCES),
                        ("/usr/bin/junk", ENOEXEC)):
        with pytest.raises(OSError) as ei:
            h.k.spawn(path, [path])
        assert ei.value.errno == errno


def test_script_with_interpreter_line_runs_the_interpreter():
    got: list = []

    def interp(argv: list[str]) -> int:
        got.append(argv)
        return 0
    h = Host(programs={"/bin/interp": interp},
             files={"/usr/local/bin/script": b"#!/bin/interp -x\necho hi\n"})
    assert h.run(["/usr/local/bin/script", "arg"]).status == 0
    assert got == [["/bin/interp", "-x", "/usr/local/bin/script", "arg"]]


def test_execve_replaces_the_program_and_keeps_the_pid():
    pids: list = []

    def first(argv: list[str]) -> int:
        pids.append(libc.getpid())
        libc.execv("/bin/second", ["second", "x"])
        return 99

    def second(argv: list[str]) -> int:
        pids.append(libc.getpid())
        libc.printf("second %s\n", argv[1])
        return 4
    h = Host(programs={"/bin/first": first, "/bin/second": second})
    r = h.run("/bin/first")
    assert (r.status, r.out) == (4, "second x\n")
    assert pids[0] == pids[1] and r.p.p_comm == "second"


def test_execve_of_a_missing_file_returns_enoent_to_the_caller():
    def prog(argv: list[str]) -> int:
        try:
            libc.execv("/nope", ["nope"])
        except OSError as e:
            return e.errno
        return 0
    h = Host(programs={"/bin/t": prog})
    assert h.run("/bin/t").status == ENOENT


def test_daemon_lets_the_caller_exit_and_goes_on_as_a_new_process():
    log: list = []

    def daemonp(argv: list[str]) -> int:
        before = libc.getpid()
        libc.daemon(0, 0)
        log.append((before, libc.getpid(), libc.getppid()))
        libc.sleep(10)
        log.append("done")
        return 0
    h = Host(programs={"/usr/sbin/d": daemonp})
    r = h.run("/usr/sbin/d", timeout=SEC)
    assert r.status == 0                       # the caller exited at once
    before, after, ppid = log[0]
    assert after != before and ppid == 1
    daemon = h.k.allproc[after]
    assert daemon.p_ttyp is None and daemon.p_sid == after
    h.run_for(11 * SEC)
    assert log[-1] == "done" and after not in h.k.allproc


def test_orphans_are_adopted_by_init():
    def child(argv: list[str]) -> int:
        libc.sleep(5)
        return 0

    def parent(argv: list[str]) -> int:
        libc.posix_spawn("/bin/child", ["child"])
        return 0
    h = Host(programs={"/bin/child": child, "/bin/parent": parent})
    h.run("/bin/parent")
    orphans = [p for p in h.k.allproc.values() if p.p_comm == "child"]
    assert len(orphans) == 1 and orphans[0].p_ppid == 1
    h.run_for(6 * SEC)
    assert orphans[0].exited and orphans[0].p_pid not in h.k.allproc


def test_kill_of_a_missing_process_is_esrch():
    def prog(argv: list[str]) -> int:
        try:
            libc.kill(4242, 15)
        except OSError as e:
            return e.errno
        return 0
    h = Host(programs={"/bin/t": prog})
    assert h.run("/bin/t").status == ESRCH


def test_pids_increase_and_maxproc_bounds_the_table():
    h = Host(programs={"/bin/t": lambda argv: 0})
    a = h.run("/bin/t").p.p_pid
    b = h.run("/bin/t").p.p_pid
    assert b == a + 1
    h.k.maxproc = 1
    with pytest.raises(OSError):
        h.k.spawn("/bin/t", ["t"])


def test_front_writer_object_receives_the_output_of_a_spawned_command():
    class Writer:
        def __init__(self) -> None:
            self.data = b""

        def write(self, b: bytes) -> int:
            self.data += b
            return len(b)
    h = Host()
    w = Writer()
    p = h.k.spawn("/bin/hostname", ["hostname"], stdout=w, stderr=w)
    h.wait(p)
    assert p.exit_code == 0 and w.data == b"host\n"


def test_kernel_kill_and_exit_hook_for_the_front():
    h = Host()
    p = h.k.spawn("/bin/sleep", ["sleep", "100"])
    ended: list = []
    p.on_exit(lambda q: ended.append(q.exit_code))
    h.run_for(MS)
    assert h.k.kill(p.p_pid, 15) is True
    h.run_for(MS)
    assert ended == [143]
    assert h.k.kill(p.p_pid, 15) is False
