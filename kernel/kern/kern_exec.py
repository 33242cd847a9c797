"""Program images and execve (sys/kern/kern_exec.c, imgact_shell.c).

An executable is a regular file with an exec bit whose content is either
``EXEC_MAGIC`` + the name of a program of ``KernelConfig.programs`` (the
image activator of kamebox "binaries"), or a ``#!`` script, which runs its
interpreter with the script's path as an argument.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Optional

from kernel.kern.kern_descrip import fdcloseexec
from kernel.kern.kern_proc import exec_unwind
from kernel.kern.kern_sig import siginit_exec
from kernel.kern.vfs import EXEC_MAGIC, VREG, namei
from kernel.wire.errno import E2BIG, EACCES, EFAULT, ENOEXEC, oserror

if TYPE_CHECKING:  # pragma: no cover
    from kernel.kern.init_main import Kernel
    from kernel.kern.kern_proc import proc

ARG_MAX = 262144


class image:
    """``struct image_params``: what execve found to run."""

    __slots__ = ("path", "name", "main", "argv", "env")

    def __init__(self, path: str, name: str, main: Callable[[list[str]], Any],
                 argv: list[str], env: dict[str, str]) -> None:
        self.path = path
        self.name = name
        self.main = main
        self.argv = argv
        self.env = env

    @property
    def comm(self) -> str:
        return self.path.rsplit("/", 1)[-1]


def _args(argv: Any) -> list[str]:
    if isinstance(argv, str) or not isinstance(argv, (list, tuple)):
        raise oserror(EFAULT)
    out = []
    total = 0
    for a in argv:
        if type(a) is not str:
            raise oserror(EFAULT)
        total += len(a) + 1
        out.append(a)
    if total > ARG_MAX:
        raise oserror(E2BIG)
    return out


def _env(env: Any) -> dict[str, str]:
    if env is None:
        return {}
    if isinstance(env, dict):
        items = env.items()
    else:
        try:
            items = [e.split("=", 1) if "=" in e else (e, "") for e in env]
        except (TypeError, AttributeError):
            raise oserror(EFAULT) from None
    out = {}
    for key, val in items:
        if type(key) is not str or type(val) is not str:
            raise oserror(EFAULT)
        out[key] = val
    return out


def exec_lookup(k: "Kernel", td: Optional["proc"], path: str, argv: Any, env: Any = None,
                _depth: int = 0) -> image:
    """Find what running ``path`` means (namei + the image activators)."""
    args = _args(argv)
    envd = _env(env)
    vp = namei(k, td, path)
    if vp.v_type != VREG or not vp.v_mode & 0o111:
        raise oserror(EACCES)
    head = bytes(vp.v_data[:1024])
    if head.startswith(EXEC_MAGIC):
        name = head[len(EXEC_MAGIC):].split(b"\n", 1)[0].decode("utf-8", "replace")
        main = (getattr(k.config, "programs", None) or {}).get(name)
        if main is None:
            raise oserror(ENOEXEC)
        return image(path, name, main, args, envd)
    if head.startswith(b"#!") and _depth == 0:
        line = head[2:].split(b"\n", 1)[0].decode("utf-8", "replace").strip()
        if not line:
            raise oserror(ENOEXEC)
        interp, _, arg = line.partition(" ")
        arg = arg.strip()
        newargv = [interp] + ([arg] if arg else []) + [path] + args[1:]
        img = exec_lookup(k, td, interp, newargv, envd, _depth + 1)
        return img
    raise oserror(ENOEXEC)


def exec_setup(td: "proc", img: image) -> None:
    """The point of no return of execve: the process becomes ``img``."""
    fdcloseexec(td)
    siginit_exec(td)
    td.p_image = img
    td.p_comm = img.comm[:19]
    td.p_argv = list(img.argv)


def sys_execve(td: "proc", path: str, argv: Any, envp: Any = None) -> int:
    """execve(2): on success the caller's code is gone (never returns)."""
    img = exec_lookup(td.p_kernel, td, path, argv, envp)
    exec_setup(td, img)
    raise exec_unwind(img)
