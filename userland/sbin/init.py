"""init(8): process control initialization (sbin/init/init.c).

The kernel starts it as pid 1 (``start_init``) once the host's filesystem
is there.  As FreeBSD's init going multi-user, it runs the boot script
(``runcom``: ``/etc/rc autoboot``; /etc/rc is a program in kamebox, not a
shell script) with the console as its standard files, and then sits reaping
the children the kernel gives it: orphans, daemons, and the commands the
front starts on the host.  There are no getty lines (the front is the
console), so after /etc/rc init only waits.

``-s`` goes single-user as FreeBSD's does — here: run nothing.  A boot script
that fails is reported as FreeBSD reports it, and init stays up.
"""
from __future__ import annotations

from kernel.wire.errno import ECHILD, EINTR
from kernel.wire.signal import SIG_IGN, SIGCHLD, SIGHUP, SIGINT, SIGTSTP, SIGTTIN, SIGTTOU
from kernel.wire.wait import WEXITSTATUS, WIFEXITED, WNOHANG
from userland import libc

_PATH_RUNCOM = "/etc/rc"


def _sigchld(sig: int) -> None:
    """SIGCHLD must not be ignored (it would be discarded): the handler does nothing,
    the main loop reaps."""


def runcom() -> None:
    """Run the boot script and wait for it, reaping whatever else exits meanwhile."""
    try:
        pid = libc.posix_spawn(_PATH_RUNCOM, [_PATH_RUNCOM, "autoboot"],
                               attrs={"setsid": True})
    except OSError as e:
        libc.syslog(libc.LOG_ERR, "can't exec %s for %s: %s", _PATH_RUNCOM, _PATH_RUNCOM,
                    libc.strerror(e.errno))
        return
    while True:
        try:
            wpid, status = libc.wait()
        except OSError as e:
            if e.errno == EINTR:
                continue
            return
        if wpid == pid:
            if not WIFEXITED(status) or WEXITSTATUS(status) != 0:
                libc.syslog(libc.LOG_ERR, "%s terminated abnormally, going to single user mode",
                            _PATH_RUNCOM)
            return


def reap_forever() -> None:
    """Collect every child that exits; sleep until SIGCHLD when there is none."""
    while True:
        try:
            libc.wait4(-1, 0)
        except OSError as e:
            if e.errno == ECHILD:
                try:
                    libc.pause()
                except OSError:
                    pass
            # EINTR: go round
        while True:         # the rest, without blocking
            try:
                if libc.wait4(-1, WNOHANG)[0] == 0:
                    break
            except OSError:
                break


def main(argv: list[str]) -> int:
    if libc.getpid() != 1:
        libc.errx(1, "already running")
    libc.openlog("init", libc.LOG_CONS | libc.LOG_ODELAY, libc.LOG_AUTH)
    for sig in (SIGTSTP, SIGTTIN, SIGTTOU, SIGINT, SIGHUP):
        libc.signal(sig, SIG_IGN)
    libc.signal(SIGCHLD, _sigchld)
    opts, _ = libc.getopt(argv, "dsf")
    single = any(o == "s" for o, _a in opts)
    if not single:
        runcom()
    reap_forever()
    return 0
