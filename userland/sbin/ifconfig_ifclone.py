"""ifconfig(8)'s cloned interfaces (sbin/ifconfig/ifclone.c).

``ifconfig gif0 create`` / ``ifconfig gif create`` (SIOCIFCREATE2; the name
the kernel chose is printed when it differs from the one asked for),
``ifconfig gif0 destroy`` (SIOCIFDESTROY), ``plumb`` and ``unplumb`` as their
synonyms, and ``ifconfig -C``, the list of cloners (SIOCIFGCLONERS).
userland/sbin/ifconfig.py calls these.
"""
from __future__ import annotations

from typing import Any

from kernel.wire.net_if import if_clonereq, ifreq
from kernel.wire.sockio import SIOCIFCREATE2, SIOCIFDESTROY, SIOCIFGCLONERS
from userland import libc

AF_INET6 = 28
SOCK_DGRAM = 2


def _socket() -> int:
    try:
        return libc.socket(AF_INET6, SOCK_DGRAM, 0)
    except OSError:
        libc.err(1, "socket(family %u,SOCK_DGRAM", AF_INET6)
        return -1


def list_cloners() -> None:
    """``ifconfig -C``: the cloner names on one line."""
    s = _socket()
    try:
        ifcr = libc.ioctl(s, SIOCIFGCLONERS, if_clonereq())
    except OSError:
        libc.err(1, "SIOCIFGCLONERS for count")
        return
    try:
        ifcr = libc.ioctl(s, SIOCIFGCLONERS, if_clonereq(ifcr_count=ifcr.ifcr_total))
    except OSError:
        libc.err(1, "SIOCIFGCLONERS for names")
        return
    finally:
        libc.close(s)
    libc.printf("%s\n", " ".join(ifcr.ifcr_buffer[:ifcr.ifcr_count]))


def clone_create(ic: Any) -> None:
    """SIOCIFCREATE2 for ``ic.name``; ``ic.name`` becomes the name made."""
    s = ic.s if ic.s >= 0 else _socket()
    try:
        r = libc.ioctl(s, SIOCIFCREATE2, ifreq(ic.name))
    except OSError:
        libc.err(1, "SIOCIFCREATE2")
        return
    finally:
        if s != ic.s:
            libc.close(s)
    # "If we get a different name back than we put in, print it."
    if r.ifr_name != ic.name:
        ic.name = r.ifr_name
        libc.printf("%s\n", ic.name)


def clone_destroy(ic: Any) -> None:
    try:
        libc.ioctl(ic.s, SIOCIFDESTROY, ifreq(ic.name))
    except OSError:
        libc.err(1, "SIOCIFDESTROY")


def commands(ic: Any) -> dict[str, tuple[int, Any]]:
    """ifclone.c's clone_cmds for ifconfig's command table."""
    return {"create": (0, lambda: clone_create(ic)), "plumb": (0, lambda: clone_create(ic)),
            "destroy": (0, lambda: clone_destroy(ic)), "unplumb": (0, lambda: clone_destroy(ic))}


__all__ = ["list_cloners", "clone_create", "clone_destroy", "commands"]
