"""Process identity: pids, groups, sessions, credentials (sys/kern/kern_prot.c)."""
from __future__ import annotations

from kernel.kern.kern_proc import SZOMB, leavepgrp_check, pfind, pgfind, proc
from kernel.wire.errno import EINVAL, EPERM, ESRCH, oserror


def sys_getpid(td: proc) -> int:
    return td.p_pid


def sys_getppid(td: proc) -> int:
    return td.p_pptr.p_pid if td.p_pptr is not None else 0


def sys_getuid(td: proc) -> int:
    return td.p_ucred.cr_ruid


def sys_geteuid(td: proc) -> int:
    return td.p_ucred.cr_uid


def sys_getgid(td: proc) -> int:
    return td.p_ucred.cr_rgid


def sys_getegid(td: proc) -> int:
    return td.p_ucred.cr_gid


def sys_getlogin(td: proc) -> str:
    return "root"


def sys_getpgrp(td: proc) -> int:
    return td.p_pgid


def sys_getpgid(td: proc, pid: int = 0) -> int:
    p = td if pid == 0 else pfind(td.p_kernel, pid)
    if p is None or p.p_stat == SZOMB:
        raise oserror(ESRCH)
    return p.p_pgid


def sys_getsid(td: proc, pid: int = 0) -> int:
    p = td if pid == 0 else pfind(td.p_kernel, pid)
    if p is None or p.p_stat == SZOMB:
        raise oserror(ESRCH)
    return p.p_sid


def sys_setsid(td: proc) -> int:
    """setsid(2): a new session and group, without a controlling terminal."""
    k = td.p_kernel
    if td.p_pgid == td.p_pid or pgfind(k, td.p_pid):
        raise oserror(EPERM)
    leavepgrp_check(k, td)
    old = td.p_pgid
    td.p_pgid = td.p_sid = td.p_pid
    tp = td.p_ttyp
    td.p_ttyp = None
    if tp is not None and tp.t_pgrp == old and not pgfind(k, old):
        tp.t_pgrp = 0
    return td.p_pid


def sys_setpgid(td: proc, pid: int = 0, pgid: int = 0) -> int:
    """setpgid(2): move ``pid`` (0: self) into group ``pgid`` (0: its own)."""
    k = td.p_kernel
    if type(pid) is not int or type(pgid) is not int or pgid < 0:
        raise oserror(EINVAL)
    if pid == 0 or pid == td.p_pid:
        p = td
    else:
        p = pfind(k, pid)
        if p is None or p.p_pptr is not td or p.p_stat == SZOMB:
            raise oserror(ESRCH)
        if p.p_sid != td.p_sid:
            raise oserror(EPERM)
    if p.p_sid == p.p_pid:
        raise oserror(EPERM)
    if pgid == 0:
        pgid = p.p_pid
    if pgid != p.p_pid:
        members = pgfind(k, pgid)
        if not members or members[0].p_sid != td.p_sid:
            raise oserror(EPERM)
    old = p.p_pgid
    p.p_pgid = pgid
    tp = p.p_ttyp
    if tp is not None and tp.t_pgrp == old and not pgfind(k, old):
        tp.t_pgrp = 0
    return 0
