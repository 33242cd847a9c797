"""The simple programs: sysctl, cat, ls, sleep, kill, ps, hostname, dmesg — FreeBSD's
options, output and messages."""
from __future__ import annotations

import re

from kernel.kern.subr_prf import LOG_INFO, log
from tests.kernel.kern.harness import MS, SEC, Host


def test_sysctl_prints_name_and_value():
    r = Host().run("/sbin/sysctl kern.ostype kern.osrelease")
    assert (r.status, r.out) == (0, "kern.ostype: FreeBSD\nkern.osrelease: 6.1-KAME\n")


def test_sysctl_n_prints_the_value_only():
    assert Host().run("/sbin/sysctl -n kern.hostname").out == "host\n"


def test_sysctl_set_prints_old_and_new():
    h = Host()
    r = h.run("/sbin/sysctl kern.hostname=router1")
    assert (r.status, r.out) == (0, "kern.hostname: host -> router1\n")
    assert h.k.hostname == "router1"
    r = h.run("/sbin/sysctl kern.logsigexit=0")
    assert r.out == "kern.logsigexit: 1 -> 0\n" and h.k.logsigexit == 0


def test_sysctl_unknown_oid_message():
    r = Host().run("/sbin/sysctl net.inet6.nosuch")
    assert (r.status, r.out, r.err) == (1, "", "sysctl: unknown oid 'net.inet6.nosuch'\n")


def test_sysctl_read_only_and_bad_values():
    h = Host()
    r = h.run("/sbin/sysctl kern.ostype=Linux")
    assert (r.status, r.err) == (1, "sysctl: oid 'kern.ostype' is read only\n")
    r = h.run("/sbin/sysctl kern.maxproc=lots")
    assert (r.status, r.err) == (1, "sysctl: invalid integer 'lots'\n")
    r = h.run("/sbin/sysctl kern.maxproc=1")
    assert r.status == 1 and r.err == "sysctl: kern.maxproc=1: Invalid argument\n"
    r = h.run("/sbin/sysctl kern=1")
    assert r.err == "sysctl: oid 'kern' isn't a leaf node\n"


def test_sysctl_a_lists_every_leaf_but_opaque_ones():
    r = Host().run("/sbin/sysctl -a")
    lines = r.out.splitlines()
    assert r.status == 0
    assert "kern.ostype: FreeBSD" in lines and "kern.hz: 1000" in lines
    assert "kern.boottime: { sec = 1136073600, usec = 0 } Sun Jan  1 00:00:00 2006" in lines
    assert not any(line.startswith("kern.proc.all") for line in lines)
    names = [m.group(1) for m in map(re.compile(r"^([a-z0-9_.]+): ").match, lines) if m]
    assert names == sorted(names) and len(names) > 20


def test_sysctl_prefix_lists_the_subtree():
    r = Host().run("/sbin/sysctl kern.ipc")
    assert r.out == ("kern.ipc.maxsockbuf: 262144\nkern.ipc.numopensockets: 0\n"
                     "kern.ipc.somaxconn: 128\n")


def test_sysctl_descriptions_and_names():
    h = Host()
    assert h.run("/sbin/sysctl -d kern.ostype").out == "kern.ostype: Operating system type\n"
    assert h.run("/sbin/sysctl -N kern.ipc").out.split() == [
        "kern.ipc.maxsockbuf", "kern.ipc.numopensockets", "kern.ipc.somaxconn"]
    assert h.run("/sbin/sysctl -e kern.hz").out == "kern.hz=1000\n"


def test_cat_files_and_missing_file_message():
    h = Host(files={"/etc/a": b"alpha\n", "/etc/b": b"beta\n"})
    r = h.run("/bin/cat /etc/a /nonexistent /etc/b")
    assert r.out == "alpha\nbeta\n"
    assert r.err == "cat: /nonexistent: No such file or directory\n" and r.status == 1
    assert h.run("/bin/cat -n /etc/a /etc/b").out == "     1\talpha\n     2\tbeta\n"


def test_ls_columns_on_a_terminal_and_long_format():
    h = Host(files={"/home/x/one": b"1", "/home/x/two": b"22", "/home/x/.hidden": b"",
                    "/home/x/sub/": None})
    assert h.run("/bin/ls /home/x").out == "one\tsub\ttwo\n"
    assert h.run("/bin/ls -a /home/x").out == ".\t..\t.hidden\tone\tsub\ttwo\n"
    assert h.run("/bin/ls -1F /home/x").out == "one\nsub/\ntwo\n"
    r = h.run("/bin/ls -l /home/x")
    assert r.out == ("total 2\n"
                     "-rw-r--r--  1 root  wheel    1 Jan  1 00:00 one\n"
                     "drwxr-xr-x  2 root  wheel  512 Jan  1 00:00 sub\n"
                     "-rw-r--r--  1 root  wheel    2 Jan  1 00:00 two\n")
    r = h.run("/bin/ls /nope")
    assert (r.status, r.err) == (1, "ls: /nope: No such file or directory\n")


def test_sleep_takes_virtual_time_and_usage():
    h = Host()
    t0 = h.sched.now
    assert h.run("/bin/sleep 2.5").status == 0
    assert h.sched.now - t0 == 2500 * MS
    r = h.run("/bin/sleep")
    assert (r.status, r.err) == (1, "usage: sleep seconds\n")


def test_kill_lists_signals_and_signals_by_name_and_number():
    h = Host()
    r = h.run("/bin/kill -l")
    assert r.out == ("HUP INT QUIT ILL TRAP ABRT EMT FPE KILL BUS SEGV SYS PIPE ALRM TERM URG\n"
                     "STOP TSTP CONT CHLD TTIN TTOU IO XCPU XFSZ VTALRM PROF WINCH INFO USR1 USR2\n")
    assert h.run("/bin/kill -l 130").out == "INT\n"
    for args, status in (("-s INT", 130), ("-9", 137), ("-TERM", 143), ("", 143)):
        p = h.k.spawn("/bin/sleep", ["sleep", "100"])
        h.run_for(MS)
        assert h.run(f"/bin/kill {args} {p.p_pid}".split()).status == 0
        h.wait(p)
        assert p.exit_code == status
    r = h.run("/bin/kill 31337")
    assert (r.status, r.err) == (1, "kill: 31337: No such process\n")
    r = h.run("/bin/kill -s BOGUS 1")
    assert r.status == 1 and r.err.startswith("kill: unknown signal BOGUS; valid signals:\nHUP ")
    r = h.run("/bin/kill")
    assert r.status == 1 and r.err.startswith("usage: kill [-s signal_name] pid ...\n")


def test_hostname_prints_and_sets():
    h = Host()
    assert h.run("/bin/hostname r1.example.org").status == 0
    assert h.run("/bin/hostname").out == "r1.example.org\n"
    assert h.run("/bin/hostname -s").out == "r1\n"
    r = h.run("/bin/hostname a b")
    assert (r.status, r.err) == (1, "usage: hostname [-fs] [name-of-host]\n")


def test_ps_columns_and_ps_ax():
    h = Host()
    d = h.k.spawn("/bin/sleep", ["sleep", "100"], stdin="/dev/null", stdout="/dev/null",
                  stderr="/dev/null")
    h.run_for(30 * SEC)
    r = h.run("/bin/ps")
    lines = r.out.splitlines()
    assert lines[0] == "  PID  TT  STAT      TIME COMMAND"
    assert len(lines) == 2                  # the sleep has no terminal: not shown
    assert lines[1].split()[2:] == ["Rs", "0:00.00", "/bin/ps"]
    r = h.run("/bin/ps ax")
    lines = r.out.splitlines()
    assert lines[1] == "    1 ??   Is     0:00.00 /sbin/init --"
    assert lines[2] == f"{d.p_pid:5d} ??   Is     0:00.00 sleep 100"
    assert lines[3].split()[2:] == ["Rs", "0:00.00", "/bin/ps", "ax"]


def test_ps_shows_the_foreground_process_of_the_console():
    h = Host()
    p = h.k.spawn("/bin/sleep", ["sleep", "100"], foreground=True)
    h.run_for(SEC)
    r = h.run("/bin/ps ax")
    line = [ln for ln in r.out.splitlines() if ln.endswith("sleep 100")][0]
    assert line == f"{p.p_pid:5d} con  Ss+    0:00.00 sleep 100"


def test_dmesg_shows_the_kernel_messages_without_priorities():
    h = Host()
    log(h.k, LOG_INFO, "em0: link state changed to UP\n")
    r = h.run("/sbin/dmesg")
    assert r.out == ("Copyright (c) 1998-2006 The KAME Project. kamebox reimplementation.\n"
                     "kamebox 0.1 (KAME) GENERIC\n"
                     "em0: link state changed to UP\n")
