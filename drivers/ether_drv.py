"""What the Ethernet drivers share above their registers (sys/net/if.c, if_ethersubr.c, dev/pci).

FreeBSD's NIC drivers do not each carry their own copy of the glue between
the chip and the stack: ``pci_get_vendor``/``pci_get_device`` table lookups,
``if_setdrvflagbits``, ``ether_ifattach`` after the ``ifnet`` is filled in,
``if_link_state_change``, the SIOCSIFFLAGS/SIOCSIFMTU part of their ioctl
and ``if_foreach_llmaddr`` walking the multicast list are the same code for
em(4) and re(4).  This module is that code for drivers/if_em.py and
drivers/if_re.py; everything that touches a register stays in the driver
(it reaches the chip only through the hooks it passes in).

A softc using these helpers has ``dev``, ``ifp``, ``running``, ``oactive``
and ``if_flags`` (the flags at the last SIOCSIFFLAGS, FreeBSD's
``adapter->if_flags`` / ``sc->rl_if_flags``).
"""
from __future__ import annotations

import os
from typing import Any, Callable, Optional, Sequence

from kernel.kern.subr_bus import device_t
from kernel.net.if_ethersubr import ether_ifattach
from kernel.net.if_var import if_detach, ifnet
from kernel.wire import errno
from kernel.wire.ethernet import ETHERMIN
from kernel.wire.net_if import IFF, LinkState
from kernel.wire.sockio import SIOCADDMULTI, SIOCDELMULTI, SIOCSIFFLAGS, SIOCSIFMTU

_IFF_DRV = int(IFF.DRV_RUNNING | IFF.DRV_OACTIVE)

Hook = Callable[[Any], None]


# ---------------------------------------------------------------------------
# probe / attach / detach
# ---------------------------------------------------------------------------
def pci_lookup(table: Sequence[tuple], pa: Any) -> Optional[tuple]:
    """The entry of ``table`` whose (vendor, device) are the card's, or None."""
    for ent in table:
        if pa.vendor == ent[0] and pa.device == ent[1]:
            return ent
    return None


def attach_error(dev: device_t, msg: str, err: int) -> OSError:
    """``device_printf`` the reason attach fails, and the error to fail it with."""
    dev.device_printf(msg)
    return OSError(err, os.strerror(err))


def ring_tunable(dev: device_t, name: str, tunable: int, default: int,
                 valid: Callable[[int], bool]) -> int:
    """A descriptor count from the ``rxd``/``txd`` tunable; one the chip cannot
    take is replaced by ``default`` with FreeBSD's message."""
    n = dev.device_get_tunable(name, tunable)
    if not valid(n):
        dev.device_printf(f"Using {default} {name[:2].upper()} descriptors instead of {n}!")
        n = default
    return n


def ether_setup_ifnet(dev: device_t, sc: Any, init: Hook, start: Callable[[ifnet], None],
                      ioctl: Callable[[ifnet, int, Any], int], txd: int, mac: bytes) -> ifnet:
    """``<drv>_setup_interface``: an ifnet for ``sc`` with the driver's entry
    points, a send queue one shorter than the TX ring, attached as Ethernet."""
    ifp = ifnet(dev.kernel, dev.driver.name, dev.unit, sc)
    ifp.if_init = init
    ifp.if_start = start
    ifp.if_ioctl = ioctl
    ifp.if_baudrate = 1_000_000_000
    ifp.if_snd.ifq_maxlen = txd - 1
    sc.ifp = ifp
    ether_ifattach(ifp, mac)
    return ifp


def ether_drv_detach(dev: device_t, stop: Hook) -> None:
    """Stop the chip, refuse its interrupts from now on, detach the ifnet."""
    sc = dev.softc
    if sc is None:
        return
    stop(sc)
    sc.detached = True
    if_detach(sc.ifp)


# ---------------------------------------------------------------------------
# if_drv_flags, link state
# ---------------------------------------------------------------------------
def if_setdrvflags(sc: Any, running: bool, oactive: bool) -> None:
    """Keep ``if_drv_flags`` (here in if_flags) and the softc's copies in step."""
    sc.running = running
    sc.oactive = oactive
    flags = sc.ifp.if_flags & ~_IFF_DRV                    # keep the high flag bits
    if running:
        flags |= IFF.DRV_RUNNING
    if oactive:
        flags |= IFF.DRV_OACTIVE
    sc.ifp.if_flags = int(flags)


def ether_link_up(ifp: ifnet, speed_mbps: int) -> None:
    """The link came up: report it once, and send what waited for it."""
    ifp.if_baudrate = speed_mbps * 1_000_000
    ifp.if_link_state_change(LinkState.UP)
    if ifp.if_snd.q:
        ifp.if_start(ifp)


def ether_link_down_news(ifp: ifnet, was_up: bool) -> bool:
    """Whether a link found down is news to the stack (it was up, or never told)."""
    return was_up or ifp.if_link_state == LinkState.UNKNOWN


# ---------------------------------------------------------------------------
# ioctl and the multicast list
# ---------------------------------------------------------------------------
def ether_drv_ioctl(ifp: ifnet, command: int, data: Any, *, init: Hook, stop: Hook,
                    rxmode: Hook, multi: Hook, mtu_max: int,
                    mtu_set: Optional[Callable[[Any, int], None]] = None) -> int:
    """The ioctls every Ethernet driver answers the same way:

    - SIOCSIFFLAGS: up and running, a PROMISC/ALLMULTI change reprograms the
      receive filter (``rxmode``) without a reinit; up and not running,
      ``init``; down and running, ``stop``;
    - SIOCADDMULTI/SIOCDELMULTI: rebuild the hardware filter from the
      ifnet's list (``multi``) if the chip runs;
    - SIOCSIFMTU: ETHERMIN .. ``mtu_max``, else EINVAL; ``mtu_set`` tells the
      driver, and a running chip is reinitialised for the new frame size.
    """
    sc = ifp.if_softc
    if command == SIOCSIFFLAGS:
        if ifp.if_flags & IFF.UP:
            if sc.running:
                if (ifp.if_flags ^ sc.if_flags) & (IFF.PROMISC | IFF.ALLMULTI):
                    rxmode(sc)
            else:
                init(sc)
        elif sc.running:
            stop(sc)
        sc.if_flags = ifp.if_flags
        return 0
    if command in (SIOCADDMULTI, SIOCDELMULTI):
        if sc.running:
            multi(sc)
        return 0
    if command == SIOCSIFMTU:
        try:
            mtu = int(data)
        except (TypeError, ValueError):
            return errno.EINVAL
        if mtu < ETHERMIN or mtu > mtu_max:
            return errno.EINVAL
        ifp.if_mtu = mtu
        if mtu_set is not None:
            mtu_set(sc, mtu)
        if sc.running:
            init(sc)
        return 0
    return errno.EINVAL


def if_foreach_llmaddr(ifp: ifnet, limit: Optional[int] = None) -> list[bytes]:
    """The link-layer addresses on the ifnet's multicast list (at most ``limit``)."""
    out = []
    for ifma in ifp.if_multiaddrs:
        addr = ifma.ifma_addr
        if len(addr) != 6:                   # not a link-layer address
            continue
        if len(out) == limit:
            break
        out.append(addr)
    return out
