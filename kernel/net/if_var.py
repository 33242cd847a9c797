"""Network interfaces (sys/net/if.c and sys/net/if_var.h).

BSD's if.c lives here too: ``if`` is a Python keyword, so no module can be
called ``if.py``.

``ifnet`` carries the flags, MTU, link state, ``if_data`` counters, the send
queue and the multicast address list with reference counts.  Joining a
link-layer group that is new to the interface reaches the driver as
``SIOCADDMULTI``; the last leave reaches it as ``SIOCDELMULTI`` (if_addmulti,
if_delmulti), and the driver rebuilds its hardware filter from the list.
"""
from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any, Callable, Optional

from kernel.wire import errno
from kernel.wire.net_if import IFF, IFT, LinkState
from kernel.wire.sockio import SIOCADDMULTI, SIOCDELMULTI, SIOCSIFFLAGS, SIOCSIFMTU

if TYPE_CHECKING:  # pragma: no cover
    from kernel.kern.init_main import Kernel
    from kernel.kern.uipc_mbuf import mbuf

IFQ_MAXLEN = 512


class if_data:
    """Interface statistics (``struct if_data``), as ``netstat -i`` reads them."""

    __slots__ = ("ifi_ipackets", "ifi_ierrors", "ifi_opackets", "ifi_oerrors",
                 "ifi_collisions", "ifi_ibytes", "ifi_obytes", "ifi_imcasts",
                 "ifi_omcasts", "ifi_iqdrops", "ifi_oqdrops", "ifi_noproto")

    def __init__(self) -> None:
        for name in self.__slots__:
            setattr(self, name, 0)

    def as_dict(self) -> dict[str, int]:
        return {n: getattr(self, n) for n in self.__slots__}


class ifmultiaddr:
    """One link-layer multicast address on an interface, reference counted."""

    __slots__ = ("ifma_addr", "ifma_refcount")

    def __init__(self, addr: bytes) -> None:
        self.ifma_addr = addr
        self.ifma_refcount = 1

    def __repr__(self) -> str:
        return f"<ifmultiaddr {self.ifma_addr.hex(':')} refs={self.ifma_refcount}>"


class ifqueue:
    """The interface send queue (``struct ifaltq`` without ALTQ): bounded FIFO."""

    __slots__ = ("q", "ifq_maxlen", "ifq_drops")

    def __init__(self, maxlen: int = IFQ_MAXLEN) -> None:
        self.q: deque = deque()
        self.ifq_maxlen = maxlen
        self.ifq_drops = 0

    def enqueue(self, m: "mbuf") -> bool:
        if len(self.q) >= self.ifq_maxlen:
            self.ifq_drops += 1
            return False
        self.q.append(m)
        return True

    def dequeue(self) -> Optional["mbuf"]:
        return self.q.popleft() if self.q else None

    def prepend(self, m: "mbuf") -> None:
        """IFQ_DRV_PREPEND: put back a packet the driver could not send."""
        self.q.appendleft(m)

    def __len__(self) -> int:
        return len(self.q)


class ifnet:
    """``struct ifnet``."""

    def __init__(self, kernel: "Kernel", name: str, unit: int, softc: Any = None) -> None:
        self.kernel = kernel
        self.if_dname = name
        self.if_dunit = unit
        self.if_xname = f"{name}{unit}"
        self.if_index = 0
        self.if_softc = softc
        self.if_type = IFT.ETHER
        self.if_flags: int = 0        # IFF_* bits as a plain int: tested per packet
        self.if_mtu = 1500
        self.if_link_state = LinkState.UNKNOWN
        self.if_baudrate = 0
        self.if_data = if_data()
        self.if_multiaddrs: list[ifmultiaddr] = []
        self.if_snd = ifqueue()
        self.if_addr: bytes = b""                       # link-level address
        self.if_hdrlen = 0
        self.if_pcount = 0            # promiscuous listeners (ifpromisc)
        self.if_bpf: Any = None       # the bpf_if while a descriptor listens (net/bpf.py)
        # Driver methods (set by the driver before if_attach).
        self.if_init: Optional[Callable[[Any], None]] = None
        self.if_start: Optional[Callable[["ifnet"], None]] = None
        self.if_ioctl: Optional[Callable[["ifnet", int, Any], int]] = None
        # Link-layer methods (set by ether_ifattach).
        self.if_input: Optional[Callable[["ifnet", "mbuf"], None]] = None
        self.if_output: Optional[Callable[..., int]] = None
        # Listeners for link state changes (routing socket, protocols).
        self.link_state_hooks: list[Callable[["ifnet", LinkState], None]] = []

    def __repr__(self) -> str:
        return f"<ifnet {self.if_xname}>"

    # -- multicast list (if_addmulti / if_delmulti) -------------------------------
    def if_findmulti(self, addr: bytes) -> Optional[ifmultiaddr]:
        for ifma in self.if_multiaddrs:
            if ifma.ifma_addr == addr:
                return ifma
        return None

    def if_addmulti(self, addr: bytes) -> int:
        """Add a reference to link-layer group ``addr``; tell the driver if it is new."""
        ifma = self.if_findmulti(addr)
        if ifma is not None:
            ifma.ifma_refcount += 1
            return 0
        self.if_multiaddrs.append(ifmultiaddr(addr))
        return self._ioctl(SIOCADDMULTI, addr)

    def if_delmulti(self, addr: bytes) -> int:
        ifma = self.if_findmulti(addr)
        if ifma is None:
            return errno.ENOENT
        ifma.ifma_refcount -= 1
        if ifma.ifma_refcount > 0:
            return 0
        self.if_multiaddrs.remove(ifma)
        return self._ioctl(SIOCDELMULTI, addr)

    # -- flags, MTU ---------------------------------------------------------------
    def if_setflags(self, flags: IFF) -> int:
        """SIOCSIFFLAGS from above: change the user-settable flags and tell the driver."""
        user = int(IFF.UP | IFF.PROMISC | IFF.ALLMULTI | IFF.DEBUG | IFF.LINK0 | IFF.LINK1 | IFF.LINK2)
        self.if_flags = (self.if_flags & ~user) | (int(flags) & user)
        return self._ioctl(SIOCSIFFLAGS, None)

    def if_setmtu(self, mtu: int) -> int:
        return self._ioctl(SIOCSIFMTU, mtu)

    def _ioctl(self, cmd: int, data: Any) -> int:
        if self.if_ioctl is None:
            return errno.EOPNOTSUPP
        return self.if_ioctl(self, cmd, data)

    # -- link state ---------------------------------------------------------------
    def if_link_state_change(self, state: LinkState) -> None:
        if state == self.if_link_state:
            return
        self.if_link_state = state
        self.kernel.printf(f"{self.if_xname}: link state changed to {state.name}\n")
        for hook in list(self.link_state_hooks):
            hook(self, state)
        rtsock = getattr(self.kernel, "rtsock", None)
        if rtsock is not None:                 # RTM_IFINFO (do_link_state_change -> rt_ifmsg)
            from kernel.net.rtsock import rt_ifmsg
            rt_ifmsg(self)


def if_attach(ifp: ifnet) -> None:
    """Give the interface an index and put it on the kernel's list."""
    k = ifp.kernel
    k.if_index += 1
    ifp.if_index = k.if_index
    k.ifnet.append(ifp)


def if_detach(ifp: ifnet) -> None:
    k = ifp.kernel
    if getattr(k, "bpf", None) is not None:
        from kernel.net.bpf import bpfdetach
        bpfdetach(ifp)
    if ifp in k.ifnet:
        k.ifnet.remove(ifp)


def ifpromisc(ifp: ifnet, pswitch: int) -> int:
    """Take (``pswitch`` 1) or drop (0) a reference on promiscuous mode (if.c
    ``ifpromisc``/``if_setflag``): the first reference sets IFF_PROMISC and
    tells the driver (SIOCSIFFLAGS), the last clears it; while the user holds
    IFF_PPROMISC (``ifconfig promisc``) only the count moves.  On a driver
    error the count and flags are restored.  Returns 0 or an errno."""
    from kernel.kern.subr_prf import LOG_INFO, log
    from kernel.wire.net_if import IFF_PPROMISC
    if ifp.if_pcount < (0 if pswitch else 1):
        ifp.kernel.printf(f"{ifp.if_xname}: refusing to {'in' if pswitch else 'de'}crement "
                          f"refcount {ifp.if_pcount} for interface flag {int(IFF.PROMISC)}\n")
        return errno.EINVAL
    if ifp.if_flags & IFF_PPROMISC:           # permanent: just touch the refcount
        ifp.if_pcount += 1 if pswitch else -1
        return 0
    oldcount, oldflags = ifp.if_pcount, ifp.if_flags
    if pswitch:
        ifp.if_pcount += 1
        if ifp.if_pcount > 1:
            return 0
        ifp.if_flags |= int(IFF.PROMISC)
    else:
        ifp.if_pcount -= 1
        if ifp.if_pcount > 0:
            return 0
        ifp.if_flags &= ~int(IFF.PROMISC)
    err = ifp._ioctl(SIOCSIFFLAGS, None)
    if err:
        ifp.if_pcount, ifp.if_flags = oldcount, oldflags
        return err
    log(ifp.kernel, LOG_INFO, f"{ifp.if_xname}: promiscuous mode "
                              f"{'enabled' if ifp.if_flags & IFF.PROMISC else 'disabled'}\n")
    rtsock = getattr(ifp.kernel, "rtsock", None)
    if rtsock is not None:                    # notify userland (rt_ifmsg)
        from kernel.net.rtsock import rt_ifmsg
        rt_ifmsg(ifp)
    return 0


def if_purgeaddrs(ifp: ifnet) -> None:
    """Take every address of ``ifp`` away with what hangs on it: IPv6
    (``in6_ifdetach``: addresses, groups, neighbors, routes, zones), IPv4
    addresses and the routes through the interface (if.c ``if_purgeaddrs``
    and the protocol part of ``if_detach``).  A cloned interface being
    destroyed calls it before ``if_detach``."""
    k = ifp.kernel
    if getattr(k, "in6", None) is not None and getattr(k, "nd6", None) is not None:
        from kernel.netinet6.in6_ifattach import in6_ifdetach
        in6_ifdetach(ifp)
    if getattr(k, "inet", None) is not None:
        from kernel.netinet import in_, in_rmx
        in_.in_purgeif(ifp)
        in_rmx.in_rt_delete_if(k, lambda rt: rt.rt_ifp is ifp)
    if getattr(k, "rt", None) is not None:
        from kernel.net import route
        route.rt_ifdetach(k, ifp)
