"""Miscellaneous sysctl nodes (sys/kern/kern_mib.c; net.link from net/if_mib.c).

``net.link.ifnames`` is kamebox's: the list of ``(if_index, if_xname)`` pairs
libc's if_nametoindex/if_indextoname/if_nameindex read (FreeBSD's libc walks
the routing socket's NET_RT_IFLIST instead).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from kernel.kern.kern_sysctl import SYSCTL_INT, SYSCTL_PROC, SYSCTL_STRING
from kernel.wire.sysctl import CTLTYPE_INT, CTLTYPE_STRUCT

if TYPE_CHECKING:  # pragma: no cover
    from kernel.kern.init_main import Kernel


class _hw:
    machine = "amd64"
    machine_arch = "amd64"
    model = "kamebox virtual CPU"
    ncpu = 1
    pagesize = 4096


def mib_init(k: "Kernel") -> None:
    """SYSINIT: hw.*, kern.arandom, net.link.ifnames, net.link.generic.system.ifcount."""
    hw = _hw()
    k.hw = hw
    SYSCTL_STRING(k, "hw.machine", hw, "machine", "Machine class")
    SYSCTL_STRING(k, "hw.machine_arch", hw, "machine_arch", "System architecture")
    SYSCTL_STRING(k, "hw.model", hw, "model", "Machine model")
    SYSCTL_INT(k, "hw.ncpu", hw, "ncpu", "Number of active CPUs", rw=False)
    SYSCTL_INT(k, "hw.pagesize", hw, "pagesize", "System memory page size", rw=False)
    # KERN_ARND: random bytes for arc4random(3), from the machine's seeded RNG
    # (so a lab with the same seed draws the same numbers)
    SYSCTL_PROC(k, "kern.arandom", CTLTYPE_STRUCT,
                lambda: bytes(k.platform.rng.getrandbits(8) for _ in range(32)),
                descr="arc4rand")
    SYSCTL_PROC(k, "net.link.ifnames", CTLTYPE_STRUCT,
                lambda: [(ifp.if_index, ifp.if_xname) for ifp in k.ifnet],
                descr="Interface indexes and names")
    SYSCTL_PROC(k, "net.link.generic.system.ifcount", CTLTYPE_INT,
                lambda: max((ifp.if_index for ifp in k.ifnet), default=0),
                descr="Maximum known interface index")
