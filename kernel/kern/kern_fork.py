"""Process creation (sys/kern/kern_fork.c, kproc_create-style spawning).

Python cannot fork a greenlet, so a new process always starts a program, as
``posix_spawn`` does: ``k.spawn(path, argv, ...)`` for the front (init's
children: ``/etc/rc``, a command typed at the console), ``kb_spawn`` for
processes (libc's posix_spawn, system, popen), and ``kb_daemon`` for
daemon(3): the caller goes on as a new child process while the old process
exits 0 — what ``fork(); if (parent) _exit(0);`` does.

The greenlet of a process runs :func:`proc_run`: crt0 and the bottom of the
kernel stack.  It calls the program's ``main(argv)``, runs the atexit list
(libc flushes stdio there) and exits with main's return value.  An exception
escaping the program is a crash, not a kernel bug: the traceback goes to the
process's stderr, the kernel logs ``pid N (comm), uid 0: exited on signal 6
(core dumped)``, and the status is SIGABRT with a core (shell status 134).
"""
from __future__ import annotations

import traceback
from typing import TYPE_CHECKING, Any, Optional

from greenlet import GreenletExit, getcurrent

from kernel.kern.kern_descrip import (
    do_dup, fdcloseexec, fdclose, fdfree, fdinstall_at, fget, fhold, file, filedesc, intarg,
)
from kernel.kern.kern_exec import exec_lookup, image
from kernel.kern.kern_exit import exit1, proc_reap
from kernel.kern.kern_proc import (
    P_SYSTEM, SRUN, SZOMB, exec_unwind, exit_unwind, panic_unwind, pgreenlet, pid_alloc, proc, vmspace,
)
from kernel.kern.kern_sig import sigexit_status
from kernel.kern.kern_synch import sched_add
from kernel.kern.tty import tty, tty_file
from kernel.kern.vfs import namei, vn_open, VDIR
from kernel.wire.errno import EAGAIN, EINVAL, ENOTDIR, oserror
from kernel.wire.fcntl import FREAD, FWRITE, O_CREAT, O_RDONLY, O_TRUNC, O_WRONLY
from kernel.wire.signal import SIGABRT, sigaction_t
from kernel.wire.wait import W_EXITCODE

if TYPE_CHECKING:  # pragma: no cover
    from kernel.kern.init_main import Kernel


# The environment of a process the front starts (login.conf's defaults).
DEFAULT_ENV = {
    "PATH": "/sbin:/bin:/usr/sbin:/usr/bin:/usr/local/sbin:/usr/local/bin",
    "HOME": "/root", "SHELL": "/bin/sh", "USER": "root", "LOGNAME": "root",
    "TERM": "xterm", "BLOCKSIZE": "K",
}


def proc_create(k: "Kernel", parent: proc, argv: list[str]) -> proc:
    """A new process table entry (fork1 without the copy of the address space)."""
    if len(k.allproc) >= k.maxproc:
        raise oserror(EAGAIN)
    pid = pid_alloc(k)
    p = proc(k, pid, (argv[0] if argv else "?").rsplit("/", 1)[-1], list(argv))
    p.p_pptr = parent
    parent.p_children.append(p)
    k.allproc[pid] = p
    return p


def _inherit_sig(p: proc, parent: proc) -> None:
    """Signal state across fork + exec: ignored stays ignored, the rest default."""
    p.p_sigmask = parent.p_sigmask
    p.p_sigacts = [sigaction_t(a.sa_handler, a.sa_flags, a.sa_mask)
                   if a.sa_handler == 1 else sigaction_t() for a in parent.p_sigacts]


def proc_start(p: proc, img: image) -> None:
    """Give ``p`` its greenlet and make it runnable."""
    from kernel.kern.syscalls import make_trap   # noqa: PLC0415 - syscalls imports us
    p.p_image = img
    p.p_comm = img.comm[:19]
    p.p_argv = list(img.argv)
    gr = pgreenlet(run=proc_run)
    gr.td = p
    p.p_trap = gr.trap = make_trap(p)
    gr.vm = None
    p.p_gr = gr
    sched_add(p, None)


def _exitcode(v: Any) -> int:
    if v is None:
        return 0
    if isinstance(v, bool) or type(v) is int:
        return int(v) & 0xFF
    return 1


def _atexit(td: proc) -> None:
    vm = td.p_vmspace
    if vm is None:
        return
    fns, vm.vm_atexit = vm.vm_atexit, []
    for fn in reversed(fns):
        fn()


def _write_stderr(td: proc, text: str) -> None:
    """Write to the process's descriptor 2, whatever it is (best effort)."""
    try:
        fp = td.p_fd.fd_ofiles[2]
    except (IndexError, AttributeError):
        return
    if fp is None or not fp.f_flag & FWRITE:
        return
    try:
        fp.f_ops.fo_write(fp, text.encode("utf-8", "replace"), 0, td)
    except OSError:
        pass


def proc_run(*_: Any) -> None:
    """The body of a process greenlet: crt0 + exit."""
    gr = getcurrent()
    xstat = 0
    while True:
        td: proc = gr.td
        img = td.p_image
        vm = vmspace(list(img.argv), dict(img.env))
        td.p_vmspace = vm
        gr.vm = vm
        try:
            rv = img.main(list(img.argv))
            _atexit(gr.td)
            xstat = W_EXITCODE(_exitcode(rv), 0)
        except exit_unwind as u:
            xstat = u.xstat
        except exec_unwind:
            continue
        except panic_unwind:
            return
        except SystemExit as e:
            td = gr.td
            if e.code is not None and not isinstance(e.code, int):
                _write_stderr(td, f"{e.code}\n")
            try:
                _atexit(td)
            except BaseException:   # noqa: BLE001 - exiting anyway
                pass
            xstat = W_EXITCODE(_exitcode(e.code), 0)
        except GreenletExit:
            return              # the host is being torn down (its greenlets collected)
        except KeyboardInterrupt:
            raise
        except BaseException:       # noqa: BLE001 - a crash of the program, not the kernel
            td = gr.td
            tb = traceback.format_exc()
            try:
                _atexit(td)
            except BaseException:   # noqa: BLE001
                pass
            _write_stderr(td, tb)
            xstat = sigexit_status(td, SIGABRT)
        break
    td = gr.td
    try:
        exit1(td, xstat)
    except Exception:   # noqa: BLE001 - a kernel bug on the exit path
        td.p_kernel.panic(f"exit1: pid {td.p_pid} ({td.p_comm}): unexpected exception\n"
                          + traceback.format_exc())


# -- the front's spawn ----------------------------------------------------------------
def _stdfile(k: "Kernel", spec: Any, fd: int, parent: Optional[proc]) -> file:
    rd = fd == 0
    if spec is None:
        if parent is not None and parent.p_fd is not None:
            try:
                return fhold(fget(parent, fd))
            except OSError:
                pass
        return tty_file(k.console, FREAD | FWRITE, k.console_vnode)
    if isinstance(spec, file):
        return fhold(spec)
    if isinstance(spec, tty):
        return tty_file(spec, FREAD | FWRITE,
                        k.console_vnode if spec is getattr(k, "console", None) else None)
    if isinstance(spec, str):
        return vn_open(k, None, spec, O_RDONLY if rd else O_WRONLY | O_CREAT | O_TRUNC)
    if type(spec) is int and parent is not None:
        return fhold(fget(parent, spec))
    if callable(getattr(spec, "write", None)):
        return tty_file(_writer_tty(k, spec), FREAD | FWRITE)
    raise TypeError(f"spawn: fd {fd}: expected None, a tty/capture, a file or a path, "
                    f"got {type(spec).__name__}")


def _writer_tty(k: "Kernel", w: Any) -> tty:
    """A pseudo-terminal whose output goes to the front's writer ``w`` (one per writer)."""
    cache = k.__dict__.setdefault("writer_ttys", {})
    ent = cache.get(id(w))
    if ent is not None and ent[0] is w:
        return ent[1]

    def out(b: bytes) -> None:
        w.write(b)

    k.ptscount = getattr(k, "ptscount", -1) + 1
    tp = tty(k, f"pts/{k.ptscount}", out)
    tp.t_inclosed = True
    cache[id(w)] = (w, tp)
    if len(cache) > 64:                    # forget the oldest writers
        for key in list(cache)[:32]:
            del cache[key]
    return tp


def kern_spawn(k: "Kernel", path: str, argv: Optional[list[str]] = None,
               env: Optional[dict[str, str]] = None, stdin: Any = None, stdout: Any = None,
               stderr: Any = None, parent: Optional[proc] = None,
               foreground: bool = False, cwd: str = "/") -> proc:
    """Start ``path`` as a new process; returns its proc (``p.p_pid``,
    ``p.exited``, ``p.exit_code``, ``p.on_exit(fn)``).

    stdin/stdout/stderr: None (the parent's, or the console), a tty (a
    ``capture``), an open ``file``, a path, or any object with ``write(bytes)``
    (the front's writer: it becomes a pseudo-terminal whose output goes there).  Without a parent the process
    is a child of init in a session of its own, whose controlling terminal is
    the first tty among its standard files; ``foreground`` makes its group the
    terminal's foreground group, so ^C on that terminal reaches it.
    Errors (ENOENT, EACCES, ENOEXEC, ...) raise OSError.
    """
    if argv is None:
        argv = [path]
    img = exec_lookup(k, None, path, argv, DEFAULT_ENV if env is None else env)
    cdir = namei(k, None, cwd)
    if cdir.v_type != VDIR:
        raise oserror(ENOTDIR)
    pp = parent if parent is not None else k.initproc
    files = [_stdfile(k, s, i, parent) for i, s in enumerate((stdin, stdout, stderr))]
    p = proc_create(k, pp, img.argv)
    p.p_fd = parent.p_fd.fdcopy() if parent is not None and parent.p_fd else filedesc(cdir)
    p.p_fd.fd_cdir = cdir
    for i, fp in enumerate(files):
        fdinstall_at(p, i, fp)
    if parent is not None:
        _inherit_sig(p, parent)
        p.p_pgid, p.p_sid, p.p_ttyp = parent.p_pgid, parent.p_sid, parent.p_ttyp
        if foreground:
            p.p_pgid = p.p_pid
    else:
        p.p_ttyp = next((fp.f_data for fp in files if isinstance(fp.f_data, tty)), None)
        if p.p_ttyp is not None and not p.p_ttyp.t_session:
            p.p_ttyp.t_session = p.p_sid
    if foreground and p.p_ttyp is not None:
        p.p_ttyp.t_pgrp = p.p_pgid
    proc_start(p, img)
    return p


def start_init(k: "Kernel", path: str = "/sbin/init", argv: Optional[list[str]] = None) -> proc:
    """init_main.c's ``start_init``: pid 1 becomes a process running ``path``.

    Until then pid 1 is held by the kernel (P_SYSTEM: reaps orphans at once,
    takes no signals).  Afterwards it is an ordinary process with the console
    as its standard files: its children become zombies it collects with
    wait4(2), it gets SIGCHLD, and SIGKILL/SIGSTOP are refused as BSD does.
    If it ever exits the host panics ("Going nowhere without my init!").
    Errors of exec (ENOENT, ...) raise OSError and leave pid 1 as it was.
    """
    init = k.initproc
    if init.p_gr is not None:
        raise oserror(EINVAL)                   # already running
    img = exec_lookup(k, None, path, argv or [path, "--"], dict(DEFAULT_ENV))
    cdir = namei(k, None, "/")
    init.p_fd = filedesc(cdir)
    for i in range(3):
        fdinstall_at(init, i, tty_file(k.console, FREAD | FWRITE, k.console_vnode))
    init.p_ttyp = None
    init.p_flag &= ~P_SYSTEM
    init.p_exit_hooks.append(lambda p: k.panic("Going nowhere without my init!"))
    proc_start(init, img)
    return init


# -- syscalls ---------------------------------------------------------------------------
def _file_actions(td: proc, p: proc, actions: Any) -> None:
    if not actions:
        return
    k = td.p_kernel
    for act in actions:
        if not isinstance(act, (tuple, list)) or not act:
            raise oserror(EINVAL)
        op = act[0]
        if op == "close" and len(act) == 2:
            try:
                fdclose(p, act[1])
            except OSError:
                pass
        elif op == "dup2" and len(act) == 3:
            do_dup(p, act[1], act[2], exact=True)
        elif op == "open" and len(act) == 5:
            _, fd, path, oflags, mode = act
            if type(fd) is not int or not 0 <= fd < k.maxfilesperproc:
                raise oserror(EINVAL)
            fdinstall_at(p, fd, vn_open(k, p, path, oflags, mode))
        else:
            raise oserror(EINVAL)


def sys_kb_spawn(td: proc, path: str, argv: Any, envp: Any = None,
                 file_actions: Any = None, attrs: Any = None) -> int:
    """posix_spawn(2) as a syscall: start ``path`` as a child; returns its pid.

    ``file_actions``: [("open", fd, path, oflags, mode) | ("close", fd) |
    ("dup2", fd, newfd)]; ``attrs``: {"setpgroup": pgid, "setsid": bool,
    "sigmask": mask, "sigdefault": mask}.
    """
    k = td.p_kernel
    img = exec_lookup(k, td, path, argv, envp)
    p = proc_create(k, td, img.argv)
    try:
        p.p_fd = td.p_fd.fdcopy()
        _inherit_sig(p, td)
        p.p_pgid, p.p_sid, p.p_ttyp = td.p_pgid, td.p_sid, td.p_ttyp
        _file_actions(td, p, file_actions)
        fdcloseexec(p)
        if attrs:
            if not isinstance(attrs, dict):
                raise oserror(EINVAL)
            if attrs.get("setsid"):
                p.p_pgid = p.p_sid = p.p_pid
                p.p_ttyp = None
            elif "setpgroup" in attrs:
                pg = intarg(attrs["setpgroup"])
                p.p_pgid = pg if pg else p.p_pid
            if "sigmask" in attrs:
                p.p_sigmask = intarg(attrs["sigmask"])
            if "sigdefault" in attrs:
                m = intarg(attrs["sigdefault"])
                for i in range(1, 32):
                    if m & (1 << (i - 1)):
                        p.p_sigacts[i] = sigaction_t()
    except BaseException:
        fdfree(p)
        p.p_stat = SZOMB
        proc_reap(k, p)
        raise
    proc_start(p, img)
    return p.p_pid


def sys_kb_daemon(td: proc) -> int:
    """daemon(3)'s fork: the caller continues as a new child process (returned
    pid); the old process exits 0, so a shell waiting for it goes on."""
    k = td.p_kernel
    np = proc_create(k, td, td.p_argv)
    np.p_comm = td.p_comm
    np.p_fd = td.p_fd.fdcopy()
    np.p_sigmask = td.p_sigmask
    np.p_sigacts = [sigaction_t(a.sa_handler, a.sa_flags, a.sa_mask) for a in td.p_sigacts]
    np.p_pgid, np.p_sid, np.p_ttyp = td.p_pgid, td.p_sid, td.p_ttyp
    np.p_image = td.p_image
    np.p_vmspace = td.p_vmspace
    gr = td.p_gr
    from kernel.kern.syscalls import make_trap   # noqa: PLC0415
    gr.td = np
    np.p_trap = gr.trap = make_trap(np)
    np.p_gr = gr
    np.p_stat = SRUN
    td.p_gr = None
    td.p_trap = None
    exit1(td, 0)
    return np.p_pid

