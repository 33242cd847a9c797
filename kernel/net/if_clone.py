"""Cloned interfaces (sys/net/if_clone.c).

A pseudo-device that can have any number of instances (gif(4) here)
registers an ``if_clone`` with ``if_clone_attach``: a name ("gif"), the
largest unit, and the functions that create and destroy one instance.
``ifconfig gif0 create`` is SIOCIFCREATE (or SIOCIFCREATE2) with the name in
``ifr_name``: a name without a unit ("gif") takes the lowest free unit, and
the answer carries the name made (ifconfig prints it); ``ifconfig gif0
destroy`` is SIOCIFDESTROY; ``ifconfig -C`` lists the cloners
(SIOCIFGCLONERS).  A cloned interface is in the interface group of its
cloner (``groups: gif``).

Errors are FreeBSD's: EINVAL for a name no cloner knows (or a cloner that
cannot destroy), EEXIST for an interface that exists, ENOSPC when every unit
is taken, ENXIO when destroying an interface that does not exist.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Optional

from kernel.wire import errno as E
from kernel.wire.net_if import IFNAMSIZ, if_clonereq, ifreq
from kernel.wire.sockio import SIOCIFCREATE, SIOCIFCREATE2, SIOCIFDESTROY, SIOCIFGCLONERS

if TYPE_CHECKING:  # pragma: no cover
    from kernel.kern.init_main import Kernel

IF_MAXUNIT = 0x7FFF


class if_clone:
    """``struct if_clone``: ``ifc_create(k, ifc, unit) -> errno`` attaches
    ``<name><unit>``; ``ifc_destroy(ifp) -> errno`` takes it away."""

    def __init__(self, name: str, create: Callable[[Any, "if_clone", int], int],
                 destroy: Optional[Callable[[Any], int]], maxunit: int = IF_MAXUNIT) -> None:
        self.ifc_name = name
        self.ifc_create = create
        self.ifc_destroy = destroy
        self.ifc_maxunit = maxunit
        self.ifc_units: set[int] = set()         # the units in use (ifc_units bitmap)

    def __repr__(self) -> str:
        return f"<if_clone {self.ifc_name} units={sorted(self.ifc_units)}>"


def _cloners(k: "Kernel") -> list[if_clone]:
    lst = getattr(k, "if_cloners", None)
    if lst is None:
        lst = k.if_cloners = []
    return lst


def if_clone_attach(k: "Kernel", ifc: if_clone) -> None:
    """Register a cloner (if_clone_attach); the newest is listed first, as
    FreeBSD's LIST_INSERT_HEAD leaves it."""
    lst = _cloners(k)
    if ifc not in lst:
        lst.insert(0, ifc)


def if_clone_detach(k: "Kernel", ifc: if_clone) -> None:
    """Unregister a cloner, destroying the interfaces it made."""
    for unit in sorted(ifc.ifc_units):
        ifp = k.ifunit(f"{ifc.ifc_name}{unit}")
        if ifp is not None and ifc.ifc_destroy is not None:
            ifc.ifc_destroy(ifp)
    ifc.ifc_units.clear()
    lst = _cloners(k)
    if ifc in lst:
        lst.remove(ifc)


def if_clone_lookup(k: "Kernel", name: str) -> tuple[Optional[if_clone], int]:
    """The cloner whose name ``name`` starts with, and the unit after it:
    -1 for none ("gif" -> any unit), None when the rest is not a number."""
    for ifc in _cloners(k):
        if not name.startswith(ifc.ifc_name):
            continue
        rest = name[len(ifc.ifc_name):]
        if rest == "":
            return ifc, -1
        if not rest.isdigit() or (len(rest) > 1 and rest[0] == "0"):
            continue
        unit = int(rest)
        if unit > ifc.ifc_maxunit:
            continue
        return ifc, unit
    return None, -1


def if_clone_create(k: "Kernel", name: str) -> tuple[int, str]:
    """Create interface ``name`` (SIOCIFCREATE): ``(errno, the name made)``."""
    ifc, unit = if_clone_lookup(k, name)
    if ifc is None:
        return E.EINVAL, name
    if k.ifunit(name) is not None:
        return E.EEXIST, name
    if unit < 0:
        # ifc_alloc_unit: the lowest unit not in use
        unit = 0
        while unit in ifc.ifc_units or k.ifunit(f"{ifc.ifc_name}{unit}") is not None:
            unit += 1
        if unit > ifc.ifc_maxunit:
            return E.ENOSPC, name
    elif unit in ifc.ifc_units:
        return E.EEXIST, name
    err = ifc.ifc_create(k, ifc, unit)
    if err:
        return err, name
    ifc.ifc_units.add(unit)
    made = f"{ifc.ifc_name}{unit}"
    ifp = k.ifunit(made)
    if ifp is not None:
        groups = list(getattr(ifp, "if_groups", None) or [])
        if ifc.ifc_name not in groups:
            groups.append(ifc.ifc_name)          # if_addgroup(ifp, ifc->ifc_name)
        ifp.if_groups = groups
    return 0, made


def if_clone_destroy(k: "Kernel", name: str) -> int:
    """Destroy interface ``name`` (SIOCIFDESTROY)."""
    ifp = k.ifunit(name)
    if ifp is None:
        return E.ENXIO
    ifc = next((c for c in _cloners(k) if c.ifc_name == ifp.if_dname), None)
    if ifc is None:
        return E.EINVAL
    if ifc.ifc_destroy is None:
        return E.EOPNOTSUPP
    err = ifc.ifc_destroy(ifp)
    if err == 0:
        ifc.ifc_units.discard(ifp.if_dunit)
    return err


def if_clone_list(k: "Kernel", ifcr: if_clonereq) -> int:
    """SIOCIFGCLONERS: the total, and as many names as the caller has room for."""
    names = [c.ifc_name for c in _cloners(k)]
    ifcr.ifcr_total = len(names)
    if ifcr.ifcr_count == 0:
        ifcr.ifcr_buffer = []
        return 0
    ifcr.ifcr_buffer = names[:ifcr.ifcr_count]
    ifcr.ifcr_count = len(ifcr.ifcr_buffer)
    return 0


def if_clone_ioctl(k: "Kernel", cmd: int, data: Any, td: Any) -> int:
    """The cloner requests of ifioctl, before any interface is looked up."""
    if cmd == SIOCIFGCLONERS:
        if not isinstance(data, if_clonereq) or type(data.ifcr_count) is not int \
                or data.ifcr_count < 0:
            return E.EINVAL
        return if_clone_list(k, data)
    if not isinstance(data, ifreq) or not isinstance(data.ifr_name, str) \
            or not 0 < len(data.ifr_name) < IFNAMSIZ:
        return E.EINVAL
    from kernel.kern.kern_proc import priv_check
    err = priv_check(td)
    if err:
        return err
    if cmd in (SIOCIFCREATE, SIOCIFCREATE2):
        err, made = if_clone_create(k, data.ifr_name)
        if err == 0:
            data.ifr_name = made                # _IOWR: the caller learns the unit
        return err
    if cmd == SIOCIFDESTROY:
        return if_clone_destroy(k, data.ifr_name)
    return E.EINVAL


CLONE_IOCTLS = frozenset((SIOCIFCREATE, SIOCIFCREATE2, SIOCIFDESTROY, SIOCIFGCLONERS))

__all__ = ["if_clone", "if_clone_attach", "if_clone_detach", "if_clone_lookup",
           "if_clone_create", "if_clone_destroy", "if_clone_list", "if_clone_ioctl",
           "CLONE_IOCTLS", "IF_MAXUNIT"]
