"""The system call table and the trap (sys/kern/init_sysent.c, sys/amd64/amd64/trap.c).

``SYSENT`` maps FreeBSD's syscall numbers (kernel/wire/syscall.py) to
handlers ``sys_<name>(td, *args)``.  A handler returns the result or raises
``OSError(errno)`` with a BSD errno, which crosses to userland unchanged.
Each kernel copies the table (``k.sysent``, a list indexed by number) so a
subsystem can add calls with ``syscall_register``; ``k.syscall_counts``
counts the calls per number (``debug.syscalls``).

The trap gate of a process (``make_trap``) is what libc calls: a list index,
the handler, then, on the way out, signal delivery (kern_sig.postsig) and
the restart of a call interrupted by a handler installed with SA_RESTART.
An unknown number gets ENOSYS.  An exception other than OSError escaping a
handler is a kernel bug: the host panics.
"""
from __future__ import annotations

import traceback
from typing import TYPE_CHECKING, Any, Callable

from kernel.kern import (
    kern_descrip, kern_exec, kern_exit, kern_fork, kern_prot, kern_sig, kern_time,
    sys_generic, sys_pipe, uipc_syscalls, vfs,
)
from kernel.kern.kern_proc import panic_unwind, proc, proc_unwind
from kernel.kern.kern_sig import postsig
from kernel.kern.kern_sysctl import SYSCTL_PROC, sysctl_descr, sysctl_find, sysctl_list, sysctl_lookup
from kernel.wire import syscall as S
from kernel.wire.errno import EINTR, EINVAL, ENOSYS, ERESTART, oserror
from kernel.wire.sysctl import (
    CTL_SYSCTL_GET, CTL_SYSCTL_NEXT, CTL_SYSCTL_OIDDESCR, CTL_SYSCTL_OIDFMT, CTLTYPE_STRUCT,
)

if TYPE_CHECKING:  # pragma: no cover
    from kernel.kern.init_main import Kernel


def sys___sysctl(td: proc, name: str, newval: Any = None, op: int = CTL_SYSCTL_GET) -> Any:
    """__sysctl(2) by name: read/write (op -1), list the leaves below a name
    (op 2: [(name, kind)]), the kind and flags (op 4), the description (op 5)."""
    k = td.p_kernel
    if type(name) is not str:
        raise oserror(EINVAL)
    if op == CTL_SYSCTL_GET:
        return _copy(sysctl_lookup(k, name, newval))
    if op == CTL_SYSCTL_NEXT:
        return sysctl_list(k, name)
    if op == CTL_SYSCTL_OIDFMT:
        oid = sysctl_find(k, name)
        return oid.kind | oid.flags
    if op == CTL_SYSCTL_OIDDESCR:
        return sysctl_descr(k, name)
    raise oserror(EINVAL)


def _copy(v: Any) -> Any:
    """copyout: userland gets its own copy of a structured value."""
    if isinstance(v, dict):
        return {key: _copy(x) for key, x in v.items()}
    if isinstance(v, list):
        return [_copy(x) for x in v]
    return v


SYSENT: dict[int, Callable[..., Any]] = {
    S.SYS_exit: kern_exit.sys_exit,
    S.SYS_read: sys_generic.sys_read,
    S.SYS_write: sys_generic.sys_write,
    S.SYS_open: vfs.sys_open,
    S.SYS_close: kern_descrip.sys_close,
    S.SYS_wait4: kern_exit.sys_wait4,
    S.SYS_unlink: vfs.sys_unlink,
    S.SYS_chdir: vfs.sys_chdir,
    S.SYS_fchdir: vfs.sys_fchdir,
    S.SYS_chmod: vfs.sys_chmod,
    S.SYS_getpid: kern_prot.sys_getpid,
    S.SYS_getuid: kern_prot.sys_getuid,
    S.SYS_geteuid: kern_prot.sys_geteuid,
    S.SYS_recvmsg: uipc_syscalls.sys_recvmsg,
    S.SYS_sendmsg: uipc_syscalls.sys_sendmsg,
    S.SYS_recvfrom: uipc_syscalls.sys_recvfrom,
    S.SYS_accept: uipc_syscalls.sys_accept,
    S.SYS_getpeername: uipc_syscalls.sys_getpeername,
    S.SYS_getsockname: uipc_syscalls.sys_getsockname,
    S.SYS_access: vfs.sys_access,
    S.SYS_sync: vfs.sys_sync,
    S.SYS_kill: kern_sig.sys_kill,
    S.SYS_getppid: kern_prot.sys_getppid,
    S.SYS_dup: kern_descrip.sys_dup,
    S.SYS_pipe: sys_pipe.sys_pipe,
    S.SYS_getegid: kern_prot.sys_getegid,
    S.SYS_getgid: kern_prot.sys_getgid,
    S.SYS_getlogin: kern_prot.sys_getlogin,
    S.SYS_ioctl: sys_generic.sys_ioctl,
    S.SYS_execve: kern_exec.sys_execve,
    S.SYS_umask: vfs.sys_umask,
    S.SYS_getpgrp: kern_prot.sys_getpgrp,
    S.SYS_setpgid: kern_prot.sys_setpgid,
    S.SYS_setitimer: kern_time.sys_setitimer,
    S.SYS_getitimer: kern_time.sys_getitimer,
    S.SYS_getdtablesize: kern_descrip.sys_getdtablesize,
    S.SYS_dup2: kern_descrip.sys_dup2,
    S.SYS_fcntl: kern_descrip.sys_fcntl,
    S.SYS_select: sys_generic.sys_select,
    S.SYS_fsync: vfs.sys_fsync,
    S.SYS_socket: uipc_syscalls.sys_socket,
    S.SYS_connect: uipc_syscalls.sys_connect,
    S.SYS_bind: uipc_syscalls.sys_bind,
    S.SYS_setsockopt: uipc_syscalls.sys_setsockopt,
    S.SYS_listen: uipc_syscalls.sys_listen,
    S.SYS_gettimeofday: kern_time.sys_gettimeofday,
    S.SYS_getsockopt: uipc_syscalls.sys_getsockopt,
    S.SYS_readv: sys_generic.sys_readv,
    S.SYS_writev: sys_generic.sys_writev,
    S.SYS_settimeofday: kern_time.sys_settimeofday,
    S.SYS_fchmod: vfs.sys_fchmod,
    S.SYS_rename: vfs.sys_rename,
    S.SYS_sendto: uipc_syscalls.sys_sendto,
    S.SYS_shutdown: uipc_syscalls.sys_shutdown,
    S.SYS_socketpair: uipc_syscalls.sys_socketpair,
    S.SYS_mkdir: vfs.sys_mkdir,
    S.SYS_rmdir: vfs.sys_rmdir,
    S.SYS_setsid: kern_prot.sys_setsid,
    S.SYS_stat: vfs.sys_stat,
    S.SYS_fstat: kern_descrip.sys_fstat,
    S.SYS_lstat: vfs.sys_lstat,
    S.SYS_getdirentries: vfs.sys_getdirentries,
    S.SYS___sysctl: sys___sysctl,
    S.SYS_getpgid: kern_prot.sys_getpgid,
    S.SYS_poll: sys_generic.sys_poll,
    S.SYS_clock_gettime: kern_time.sys_clock_gettime,
    S.SYS_clock_settime: kern_time.sys_clock_settime,
    S.SYS_clock_getres: kern_time.sys_clock_getres,
    S.SYS_nanosleep: kern_time.sys_nanosleep,
    S.SYS_getsid: kern_prot.sys_getsid,
    S.SYS___getcwd: vfs.sys___getcwd,
    S.SYS_sched_yield: kern_time.sys_sched_yield,
    S.SYS_sigprocmask: kern_sig.sys_sigprocmask,
    S.SYS_sigsuspend: kern_sig.sys_sigsuspend,
    S.SYS_sigpending: kern_sig.sys_sigpending,
    S.SYS_sigaction: kern_sig.sys_sigaction,
    S.SYS_lseek: vfs.sys_lseek,
    S.SYS_truncate: vfs.sys_truncate,
    S.SYS_ftruncate: vfs.sys_ftruncate,
    S.SYS_accept4: uipc_syscalls.sys_accept4,
    S.SYS_kb_spawn: kern_fork.sys_kb_spawn,
    S.SYS_kb_daemon: kern_fork.sys_kb_daemon,
}


def syscall_register(k: "Kernel", num: int, handler: Callable[..., Any]) -> None:
    """Add (or replace) system call ``num`` on this kernel."""
    if not 0 <= num < S.SYS_MAXSYSCALL:
        raise ValueError(f"syscall number {num}: expected 0..{S.SYS_MAXSYSCALL - 1}")
    k.sysent[num] = handler


def syscallinit(k: "Kernel") -> None:
    """SYSINIT: this kernel's copy of the table, and the counters."""
    k.sysent = [None] * S.SYS_MAXSYSCALL
    for num, h in SYSENT.items():
        k.sysent[num] = h
    k.syscall_counts = [0] * S.SYS_MAXSYSCALL
    k.syscall_nosys = 0
    SYSCTL_PROC(k, "debug.syscalls", CTLTYPE_STRUCT,
                lambda: {S.syscallnames.get(i, str(i)): n
                         for i, n in enumerate(k.syscall_counts) if n},
                descr="System calls made, by name")


_RESTART = object()


def _syserror(td: proc, e: OSError) -> Any:
    """An errno on the way back to userland: deliver signals, restart or fail."""
    err = e.errno
    if err is None:
        err = e.args[0] if e.args and type(e.args[0]) is int else EINVAL
        e = oserror(err)
    if td.p_siglist & ~td.p_sigmask:
        postsig(td)
        if err == ERESTART:
            return _RESTART
    if err < 0:                           # ERESTART without a handler, EJUSTRETURN
        e = oserror(EINTR)
    raise e


def _syspanic(td: proc, num: Any) -> None:
    k = td.p_kernel
    name = S.syscallnames.get(num, str(num)) if type(num) is int else repr(num)
    k.panic(f"syscall {name} by pid {td.p_pid} ({td.p_comm}): unexpected exception\n"
            + traceback.format_exc().rstrip())
    raise panic_unwind()


def make_trap(td: proc) -> Callable[..., Any]:
    """The syscall entry of process ``td``: ``trap(num, *args)``."""
    k = td.p_kernel
    sysent = k.sysent
    counts = k.syscall_counts

    def trap(num: int, *args: Any) -> Any:
        try:
            h = sysent[num] if num >= 0 else None
        except (IndexError, TypeError):
            h = None
        if h is None:
            k.syscall_nosys += 1
            raise oserror(ENOSYS)
        counts[num] += 1
        while True:
            try:
                rv = h(td, *args)
            except OSError as e:
                if _syserror(td, e) is _RESTART:
                    continue
                raise                                  # pragma: no cover - _syserror raises
            except proc_unwind:
                raise
            except TypeError as e:
                if e.__traceback__ is not None and e.__traceback__.tb_next is None:
                    raise oserror(EINVAL) from None    # wrong arguments for this call
                _syspanic(td, num)
            except Exception:   # noqa: BLE001 - a kernel bug
                _syspanic(td, num)
            if td.p_siglist and td.p_siglist & ~td.p_sigmask:
                postsig(td)
            return rv

    return trap


def syscall(td: proc, num: int, *args: Any) -> Any:
    """Make system call ``num`` as process ``td`` (from its own greenlet)."""
    return (td.p_trap or make_trap(td))(num, *args)
