"""The sysctl tree (sys/kern/kern_sysctl.c).

Each subsystem registers its nodes in its init function, one tree per kernel:

    SYSCTL_INT(k, "net.inet6.ip6.forwarding", k.ip6, "ip6_forwarding",
               "Enable IPv6 forwarding between interfaces")
    SYSCTL_STRUCT(k, "net.inet6.ip6.stats", lambda: k.ip6stat, "IPv6 statistics")

A node is a handle on an attribute of a state object, so the kernel reads
the attribute on its hot paths and the sysctl reads and writes the same value.
``sysctl_lookup`` answers the ``__sysctl`` syscall (by name, as
``sysctlbyname`` does); errors are BSD's: ENOENT for an unknown name, EPERM
for a read-only node, EINVAL for a bad value, EISDIR for an interior node.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from kernel.wire import errno
from kernel.wire.sysctl import (  # noqa: F401 - re-exported for the subsystems
    CTLFLAG_RD, CTLFLAG_RW, CTLFLAG_WR, CTLTYPE_INT, CTLTYPE_NODE, CTLTYPE_STRING,
    CTLTYPE_STRUCT, CTLTYPE_U64,
)


@dataclass
class sysctl_oid:
    """One node: a name, a type, a getter and (for writable nodes) a setter."""

    name: str
    kind: int
    flags: int
    descr: str = ""
    get: Optional[Callable[[], Any]] = None
    set: Optional[Callable[[Any], None]] = None
    check: Optional[Callable[[Any], bool]] = None
    children: dict[str, "sysctl_oid"] = field(default_factory=dict)

    @property
    def writable(self) -> bool:
        return bool(self.flags & CTLFLAG_WR)


def _root(k: Any) -> sysctl_oid:
    root = getattr(k, "sysctl_root", None)
    if root is None:
        root = sysctl_oid("", CTLTYPE_NODE, CTLFLAG_RD)
        k.sysctl_root = root
    return root


def sysctl_add_oid(k: Any, name: str, oid: sysctl_oid) -> sysctl_oid:
    """Insert ``oid`` at dotted ``name``, creating interior nodes as needed."""
    parts = name.split(".")
    node = _root(k)
    for p in parts[:-1]:
        nxt = node.children.get(p)
        if nxt is None:
            nxt = sysctl_oid(p, CTLTYPE_NODE, CTLFLAG_RD)
            node.children[p] = nxt
        elif nxt.kind != CTLTYPE_NODE:
            raise ValueError(f"sysctl {name}: {p} is a leaf")
        node = nxt
    oid.name = parts[-1]
    node.children[parts[-1]] = oid
    return oid


def SYSCTL_INT(k: Any, name: str, obj: Any, attr: str, descr: str = "",
               rw: bool = True, check: Optional[Callable[[int], bool]] = None) -> sysctl_oid:
    """An integer node backed by ``obj.attr``; ``check`` validates writes."""
    return sysctl_add_oid(k, name, sysctl_oid(
        name, CTLTYPE_INT, CTLFLAG_RW if rw else CTLFLAG_RD, descr,
        get=lambda: int(getattr(obj, attr)),
        set=(lambda v: setattr(obj, attr, int(v))) if rw else None,
        check=check))


def SYSCTL_STRING(k: Any, name: str, obj: Any, attr: str, descr: str = "",
                  rw: bool = False) -> sysctl_oid:
    return sysctl_add_oid(k, name, sysctl_oid(
        name, CTLTYPE_STRING, CTLFLAG_RW if rw else CTLFLAG_RD, descr,
        get=lambda: str(getattr(obj, attr)),
        set=(lambda v: setattr(obj, attr, str(v))) if rw else None))


def SYSCTL_STRUCT(k: Any, name: str, getter: Callable[[], Any], descr: str = "") -> sysctl_oid:
    """A read-only structure (statistics): the value is the object ``getter()``
    returns; userland gets a dict of its fields (``as_dict()`` if it has one)."""
    def get() -> Any:
        v = getter()
        if hasattr(v, "as_dict"):
            return v.as_dict()
        if hasattr(v, "__slots__"):
            return {n: getattr(v, n) for n in v.__slots__}
        return v
    return sysctl_add_oid(k, name, sysctl_oid(name, CTLTYPE_STRUCT, CTLFLAG_RD, descr, get=get))


def SYSCTL_PROC(k: Any, name: str, kind: int, get: Callable[[], Any],
                set: Optional[Callable[[Any], None]] = None, descr: str = "") -> sysctl_oid:
    """A node computed by functions (BSD's SYSCTL_PROC handlers)."""
    return sysctl_add_oid(k, name, sysctl_oid(
        name, kind, CTLFLAG_RW if set else CTLFLAG_RD, descr, get=get, set=set))


def sysctl_find(k: Any, name: str) -> sysctl_oid:
    node = _root(k)
    if name == "":
        return node
    for p in name.split("."):
        nxt = node.children.get(p)
        if nxt is None:
            raise OSError(errno.ENOENT, f"unknown oid '{name}'")
        node = nxt
    return node


def sysctl_lookup(k: Any, name: str, newval: Any = None) -> Any:
    """Read (and, if ``newval`` is not None, write) the node ``name``.

    Returns the old value.  Interior nodes cannot be read by value (EISDIR);
    use :func:`sysctl_list` to walk them.
    """
    oid = sysctl_find(k, name)
    if oid.kind == CTLTYPE_NODE:
        raise OSError(errno.EISDIR, f"oid '{name}' is a node")
    old = oid.get() if oid.get is not None else None
    if newval is not None:
        if not oid.writable or oid.set is None:
            raise OSError(errno.EPERM, f"oid '{name}' is read only")
        if oid.kind == CTLTYPE_INT:
            try:
                newval = int(newval)
            except (TypeError, ValueError):
                raise OSError(errno.EINVAL, f"oid '{name}': integer expected") from None
        if oid.check is not None and not oid.check(newval):
            raise OSError(errno.EINVAL, f"oid '{name}': value out of range")
        oid.set(newval)
    return old


def sysctl_list(k: Any, prefix: str = "") -> list[tuple[str, int]]:
    """All leaf names below ``prefix`` (sorted, as ``sysctl -a`` walks), with their types."""
    start = sysctl_find(k, prefix)
    out: list[tuple[str, int]] = []

    def walk(node: sysctl_oid, path: str) -> None:
        if node.kind != CTLTYPE_NODE:
            out.append((path, node.kind))
            return
        for name in sorted(node.children):
            walk(node.children[name], f"{path}.{name}" if path else name)

    walk(start, prefix)
    return out


def sysctl_descr(k: Any, name: str) -> str:
    return sysctl_find(k, name).descr
