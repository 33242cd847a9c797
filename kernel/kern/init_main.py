"""The kernel instance of one host: boot, console, autoconfiguration (sys/kern/init_main.c).

Many hosts run in one Python process, so nothing here is global: a
:class:`Kernel` holds everything BSD keeps in globals (the ifnet list, the
message buffer, protocol tables).  It is booted with a *platform* from the
machine (clock, RNG, console, PCI devices) and a :class:`KernelConfig` naming
its drivers (BSD's ``device em`` lines); it never imports the hardware or the
drivers itself.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Optional

import importlib

from kernel.kern.kern_sysctl import SYSCTL_INT, SYSCTL_STRING
from kernel.kern.kern_timeout import HZ, callout
from kernel.kern.subr_bus import autoconf, device_t, driver_t

VERSION = "kamebox 0.1 (KAME)"
OSTYPE = "FreeBSD"
OSRELEASE = "6.1-KAME"

# SYSINIT: subsystem init functions, "module:function", run in this order by
# Kernel.boot() before autoconfiguration.  Each sets up its state object on
# the kernel (k.nd6, k.ip6stat, ...) and registers its sysctl nodes.  Add a
# subsystem with one line here.
SYSINITS: list[str] = [
    "kernel.kern.subr_prf:msgbuf_init",
    "kernel.kern.kern_time:timeinit",
    "kernel.kern.vfs:vfs_init",
    "kernel.kern.tty:tty_init",
    "kernel.kern.kern_proc:procinit",
    "kernel.kern.uipc_domain:domaininit",
    "kernel.kern.syscalls:syscallinit",
    "kernel.kern.kern_mib:mib_init",
    "kernel.net.route:route_init",
    "kernel.netinet6.ip6_input:ip6_init",
    "kernel.netinet6.in6:in6_init",
    "kernel.netinet6.scope6:scope6_init",
    "kernel.netinet6.nd6:nd6_init",
    "kernel.netinet6.mld6:mld_init",
    "kernel.netinet.ip_input:ip_init",
    "kernel.netinet.igmp:igmp_init",
    "kernel.netinet.if_ether:arp_init",
    "kernel.net.if_ioctl:ifioctl_init",
    "kernel.net.rtsock:rts_init",
    "kernel.netkey.key:key_init",
    "kernel.net.bpf:bpf_init",
    "kernel.netinet6.in6_pcblist:in6_pcblist_init",
    "kernel.netinet.in_pcblist:in_pcblist_init",
    "kernel.opencrypto.crypto:crypto_init",
    "kernel.netipsec.ipsec:ipsec_init",
]

# SI_SUB_PSEUDO: pseudo-devices, run by Kernel.boot() after autoconfiguration
# (SI_SUB_CONFIGURE) as in FreeBSD, where if_loop's SYSINIT comes after the
# device drivers attach: the NICs take the first interface indexes (em0 is 1,
# em1 2, ...) and lo0 the next one, in the order ``ifconfig`` lists them.
PSEUDO_SYSINITS: list[str] = [
    "kernel.net.if_loop:loattach",
    "kernel.netinet.in_:in_loattach",
    "kernel.net.if_gif:gifattach",
]


@dataclass
class KernelConfig:
    """The kernel configuration file: ident plus the drivers compiled in."""

    ident: str = "GENERIC"
    devices: list[driver_t] = field(default_factory=list)
    # device.hints / loader tunables: "hw.em.rxd" = "512", "hint.em.0.rxd" = "512"
    hints: dict[str, str] = field(default_factory=dict)
    # The programs of the system: path ("/sbin/ping6") -> main(argv) -> int.  An
    # executable file names one of them (kernel/kern/kern_exec.py).
    programs: dict[str, Callable[[list[str]], int]] = field(default_factory=dict)


class Kernel:
    def __init__(self, platform: Any, config: KernelConfig | None = None) -> None:
        self.platform = platform
        self.config = config or KernelConfig()
        self.msgbuf: list[str] = []          # dmesg
        self.ifnet: list[Any] = []           # TAILQ of struct ifnet
        self.if_index = 0
        self.devices: list[device_t] = []
        self.ether_protos: dict[int, Callable[[Any, Any], None]] = {}  # netisr by ethertype
        self.stats: dict[str, int] = {}      # misc named drop counters
        self.booted = False
        self.hostname = getattr(platform, "hostname", "") or ""
        self.ostype = OSTYPE
        self.osrelease = OSRELEASE
        self.version = VERSION
        self.hz = HZ
        SYSCTL_STRING(self, "kern.ostype", self, "ostype", "Operating system type")
        SYSCTL_STRING(self, "kern.osrelease", self, "osrelease", "Operating system release")
        SYSCTL_STRING(self, "kern.version", self, "version", "Kernel version")
        SYSCTL_STRING(self, "kern.hostname", self, "hostname", "Hostname", rw=True)
        SYSCTL_INT(self, "kern.hz", self, "hz", "Number of clock ticks per second", rw=False)

    # -- kernel services ------------------------------------------------------
    def printf(self, msg: str) -> None:
        """Kernel printf: to the console and the message buffer (dmesg)."""
        self.msgbuf.append(msg)
        if len(self.msgbuf) > 4096:          # bounded, like the BSD msgbuf
            del self.msgbuf[:1024]
        self.platform.console_write(msg)

    def now(self) -> int:
        return self.platform.now()

    def callout(self) -> callout:
        return callout(self.platform)

    def count(self, name: str, n: int = 1) -> None:
        self.stats[name] = self.stats.get(name, 0) + n

    def panic(self, msg: str) -> None:
        self.platform.panic(msg)

    # -- boot -----------------------------------------------------------------
    def boot(self) -> None:
        """mi_startup: banner, the subsystems, autoconfiguration of the devices,
        then the pseudo-devices (lo0)."""
        self.printf("Copyright (c) 1998-2006 The KAME Project. kamebox reimplementation.\n")
        self.printf(f"{VERSION} {self.config.ident}\n")
        self._sysinit(SYSINITS)
        self.devices = autoconf(self, self.config.devices)
        self._sysinit(PSEUDO_SYSINITS)
        self.booted = True

    def _sysinit(self, entries: list[str]) -> None:
        for entry in entries:
            modname, _, fn = entry.partition(":")
            getattr(importlib.import_module(modname), fn)(self)

    # -- processes (kernel/kern/kern_fork.py, kern_sig.py) ---------------------
    def spawn(self, path: str, argv: Optional[list[str]] = None, **kw: Any) -> Any:
        """Start program ``path`` as a child of init (see kern_fork.kern_spawn)."""
        from kernel.kern.kern_fork import kern_spawn
        return kern_spawn(self, path, argv, **kw)

    def start_init(self, path: str = "/sbin/init") -> Any:
        """Run ``path`` as pid 1 (kern_fork.start_init); the front calls it after
        seeding the filesystem, and init runs /etc/rc."""
        from kernel.kern.kern_fork import start_init
        return start_init(self, path)

    def kill(self, pid: int, sig: int) -> bool:
        """Send ``sig`` to process ``pid`` (False if there is no such process)."""
        from kernel.kern.kern_sig import kill
        return kill(self, pid, sig)

    def ifunit(self, name: str) -> Any:
        for ifp in self.ifnet:
            if ifp.if_xname == name:
                return ifp
        return None
