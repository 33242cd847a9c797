"""Interface ioctls on sockets (sys/net/if.c: ifioctl, ifhwioctl, if_up, if_down).

``ifioctl(so, cmd, data, td)`` is what ``soo_ioctl`` calls for every ioctl
of group ``'i'`` once ``ifioctl_init`` (a SYSINIT) has installed it as
``k.ifioctl``.  As in FreeBSD it finds the interface the request names
(ENXIO if there is none), answers the generic requests itself (ifhwioctl:
flags, MTU, metric, index, media, groups) and hands the rest — the IPv6
address and ND requests — to the protocol of the socket
(``pr_usrreqs.pru_control``: ``in6_control`` for an AF_INET6 socket).
The cloner requests (SIOCIFCREATE, SIOCIFCREATE2, SIOCIFDESTROY,
SIOCIFGCLONERS: kernel/net/if_clone.py) are answered before any lookup;
the tunnel requests (SIOCSIFPHYADDR[_IN6] and friends) go to the
interface's own ``if_ioctl`` (gif_ioctl), as FreeBSD's in_control does.

Bringing an interface up (``IFF_UP`` 0 -> 1) is ``if_up``: the flag, an
RTM_IFINFO on the routing socket and ``in6_if_up`` (link-local address,
DAD); bringing it down is ``if_down`` (``in6_if_down``, RTM_IFINFO).

The arguments cross the syscall boundary as the typed structs of
``kernel/wire`` (``ifreq``, ``ifmediareq``, ``in6_aliasreq`` ...), written by
an untrusted process: each is checked for its type and the types of the
fields the kernel reads before anything uses it, and a bad one is EINVAL,
never an exception.
"""
from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, Optional

from kernel.wire import errno as E
from kernel.wire.in6 import sockaddr_in6
from kernel.wire.in6_var import (SIOCAIFADDR_IN6, SIOCDIFADDR_IN6, SIOCGDEFIFACE_IN6,
                                 SIOCGDRLST_IN6, SIOCGIFADDR_IN6, SIOCGIFAFLAG_IN6,
                                 SIOCGIFALIFETIME_IN6, SIOCGIFDSTADDR_IN6, SIOCGIFINFO_IN6,
                                 SIOCGIFNETMASK_IN6, SIOCGNBRINFO_IN6, SIOCGPRLST_IN6,
                                 SIOCSDEFIFACE_IN6, SIOCSIFINFO_FLAGS, SIOCSIFINFO_IN6,
                                 SIOCSNDFLUSH_IN6, SIOCSPFXFLUSH_IN6, SIOCSRTRFLUSH_IN6,
                                 in6_addrlifetime, in6_aliasreq, in6_drlist, in6_ifreq,
                                 in6_nbrinfo, in6_ndifreq, in6_ndireq, in6_prlist, nd_ifinfo)
from kernel.wire.net_if import (IFF, IFF_CANTCHANGE, IFF_PPROMISC, IFM_1000_T, IFM_100_TX,
                                IFM_10_T, IFM_10G_T, IFM_ACTIVE, IFM_AUTO, IFM_AVALID,
                                IFM_ETHER, IFM_FDX, IFT, LinkState, ifgroupreq, ifmediareq,
                                ifreq)
from kernel.wire.sockio import (SIOCGIFFLAGS, SIOCGIFGROUP, SIOCGIFINDEX, SIOCGIFMEDIA,
                                SIOCGIFMETRIC, SIOCGIFMTU, SIOCSIFFLAGS, SIOCSIFMETRIC,
                                SIOCSIFMTU)
from kernel.net.if_clone import CLONE_IOCTLS, if_clone_ioctl
from kernel.wire.in6_var import SIOCGIFPDSTADDR_IN6, SIOCGIFPSRCADDR_IN6, SIOCSIFPHYADDR_IN6
from kernel.wire.sockio import SIOCDIFPHYADDR, SIOCGIFPDSTADDR, SIOCGIFPSRCADDR, SIOCSIFPHYADDR

if TYPE_CHECKING:  # pragma: no cover
    from kernel.kern.init_main import Kernel

IF_MINMTU = 72
IF_MAXMTU = 65535
ENOIOCTL = E.ENOIOCTL

# The fields that name the interface in each request struct.
_NAME_FIELDS = ("ifr_name", "ifra_name", "ifname", "ifm_name", "ifgr_name")

# The IPv6 requests that change state: the superuser's (in6_control's and
# nd6_ioctl's priv_check in FreeBSD).
_IN6_SET = frozenset((SIOCAIFADDR_IN6, SIOCDIFADDR_IN6, SIOCSIFINFO_IN6, SIOCSIFINFO_FLAGS,
                      SIOCSNDFLUSH_IN6, SIOCSPFXFLUSH_IN6, SIOCSRTRFLUSH_IN6, SIOCSDEFIFACE_IN6))

# The struct each IPv6 request takes.  The flushes also accept a bare interface
# name, as ndp passes ``char dummyif[IFNAMSIZ+8]``.
_IN6_ARG: dict[int, type] = {
    SIOCAIFADDR_IN6: in6_aliasreq, SIOCDIFADDR_IN6: in6_ifreq, SIOCGIFAFLAG_IN6: in6_ifreq,
    SIOCGIFALIFETIME_IN6: in6_ifreq, SIOCGIFADDR_IN6: in6_ifreq, SIOCGIFNETMASK_IN6: in6_ifreq,
    SIOCGIFDSTADDR_IN6: in6_ifreq, SIOCSNDFLUSH_IN6: in6_ifreq, SIOCSPFXFLUSH_IN6: in6_ifreq,
    SIOCSRTRFLUSH_IN6: in6_ifreq, SIOCGIFINFO_IN6: in6_ndireq, SIOCSIFINFO_IN6: in6_ndireq,
    SIOCSIFINFO_FLAGS: in6_ndireq, SIOCGNBRINFO_IN6: in6_nbrinfo, SIOCGDRLST_IN6: in6_drlist,
    SIOCGPRLST_IN6: in6_prlist, SIOCSDEFIFACE_IN6: in6_ndifreq, SIOCGDEFIFACE_IN6: in6_ndifreq,
}
_IN6_FLUSH = frozenset((SIOCSNDFLUSH_IN6, SIOCSPFXFLUSH_IN6, SIOCSRTRFLUSH_IN6))


def ifioctl_init(k: "Kernel") -> None:
    """SYSINIT: install ``k.ifioctl`` (sys_socket.soo_ioctl calls it)."""
    k.ifioctl = ifioctl


# -- checking what a process handed in -----------------------------------------------------
def _isint(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _valid_sin6(sa: Any, optional: bool = False) -> bool:
    if sa is None:
        return optional
    return (isinstance(sa, sockaddr_in6) and isinstance(sa.sin6_addr, bytes)
            and len(sa.sin6_addr) == 16 and _isint(sa.sin6_port) and _isint(sa.sin6_flowinfo)
            and _isint(sa.sin6_scope_id))


def _valid_ints(obj: Any, names: tuple[str, ...]) -> bool:
    return all(_isint(getattr(obj, n, None)) for n in names)


def _valid_in6_arg(cmd: int, data: Any) -> bool:
    """Is ``data`` a well-formed argument for IPv6 request ``cmd``?"""
    want = _IN6_ARG.get(cmd)
    if want is None or not isinstance(data, want):
        return False
    if not isinstance(_ifname(data), str):
        return False
    if want is in6_aliasreq:
        lt = data.ifra_lifetime
        return (_valid_sin6(data.ifra_addr) and _valid_sin6(data.ifra_dstaddr, True)
                and _valid_sin6(data.ifra_prefixmask, True) and _isint(data.ifra_flags)
                and isinstance(lt, in6_addrlifetime) and _valid_ints(lt, (
                    "ia6t_expire", "ia6t_preferred", "ia6t_vltime", "ia6t_pltime"))
                and 0 <= lt.ia6t_vltime <= 0xFFFFFFFF and 0 <= lt.ia6t_pltime <= 0xFFFFFFFF)
    if want is in6_ifreq:
        return _valid_sin6(data.ifr_addr)
    if want is in6_ndireq:
        ndi = data.ndi
        return isinstance(ndi, nd_ifinfo) and all(
            _isint(getattr(ndi, f.name)) and getattr(ndi, f.name) >= 0
            for f in dataclasses.fields(nd_ifinfo))
    if want is in6_nbrinfo:
        return isinstance(data.addr, bytes) and len(data.addr) == 16
    if want is in6_ndifreq:
        return _isint(data.ifindex) and data.ifindex >= 0
    return True


def _ifname(data: Any) -> Optional[str]:
    """The interface name a request carries (None if it carries none)."""
    if isinstance(data, str):
        return data
    if isinstance(data, (bytes, bytearray)):
        try:
            return bytes(data).split(b"\0", 1)[0].decode("ascii")
        except UnicodeDecodeError:
            return None
    for f in _NAME_FIELDS:
        v = getattr(data, f, None)
        if v is not None:
            return v if isinstance(v, str) else None
    return None


# -- if_up / if_down -----------------------------------------------------------------------
def _rt_ifmsg(ifp: Any) -> None:
    from kernel.net import rtsock
    rtsock.rt_ifmsg(ifp)


def if_up(ifp: Any) -> None:
    """Mark an interface up (if.c ``if_up``): RTM_IFINFO, then IPv6 attaches
    (``in6_if_up``: link-local address, DAD)."""
    ifp.if_flags |= int(IFF.UP)
    _rt_ifmsg(ifp)
    k = ifp.kernel
    if getattr(k, "in6", None) is not None and getattr(k, "nd6", None) is not None:
        from kernel.netinet6 import in6
        in6.in6_if_up(ifp)


def if_down(ifp: Any) -> None:
    """Mark an interface down (if.c ``if_down``): the send queue is flushed,
    IPv6 stops DAD and forgets the neighbors (``in6_if_down``), RTM_IFINFO."""
    ifp.if_flags &= ~int(IFF.UP)
    while ifp.if_snd.dequeue() is not None:       # if_qflush
        pass
    k = ifp.kernel
    if getattr(k, "in6", None) is not None and getattr(k, "nd6", None) is not None:
        from kernel.netinet6 import in6
        in6.in6_if_down(ifp)
    _rt_ifmsg(ifp)


def _driver_ioctl(ifp: Any, cmd: int, data: Any) -> int:
    fn = ifp.if_ioctl
    if fn is None:
        return E.EOPNOTSUPP
    return fn(ifp, cmd, data)


def if_setflags_user(ifp: Any, new_flags: int) -> int:
    """SIOCSIFFLAGS: the flags the user may change, the driver told, and
    if_up/if_down on an IFF_UP transition.  ``promisc`` arrives as
    IFF_PPROMISC and becomes IFF_PROMISC (ifpromisc)."""
    k = ifp.kernel
    old = ifp.if_flags
    do_ifup = went_down = False
    if old & IFF.UP and not new_flags & IFF.UP:
        if_down(ifp)
        went_down = True
    elif new_flags & IFF.UP and not old & IFF.UP:
        do_ifup = True
    flags = (ifp.if_flags & IFF_CANTCHANGE) | (new_flags & ~IFF_CANTCHANGE & 0xFFFFFFFF)
    if (new_flags ^ old) & IFF_PPROMISC:
        if new_flags & IFF_PPROMISC:
            flags |= int(IFF.PROMISC)
        elif not ifp.if_pcount:                   # bpf still holds it (ifpromisc)
            flags &= ~int(IFF.PROMISC)
        k.printf(f"{ifp.if_xname}: promiscuous mode "
                 f"{'enabled' if new_flags & IFF_PPROMISC else 'disabled'}\n")
    ifp.if_flags = flags
    err = _driver_ioctl(ifp, SIOCSIFFLAGS, None)
    if err == E.EOPNOTSUPP:
        err = 0                                   # no driver to tell (a pseudo interface)
    if do_ifup:
        if_up(ifp)
    elif not went_down and (old ^ ifp.if_flags) & ~int(IFF.UP):
        _rt_ifmsg(ifp)                            # PROMISC and the like (if_setflag)
    return err


# -- media ------------------------------------------------------------------------------------
_SPEED_SUBTYPE = {10: IFM_10_T, 100: IFM_100_TX, 1000: IFM_1000_T, 10000: IFM_10G_T}


def ifmedia_ether_status(ifp: Any, ifmr: ifmediareq) -> int:
    """The media of an Ethernet interface whose driver does not answer
    SIOCGIFMEDIA itself: autoselect, and when the link is up the speed the
    driver reports in ``if_baudrate``, full duplex (what ``em_media_status``
    answers for an autonegotiated link)."""
    ifmr.ifm_current = IFM_ETHER | IFM_AUTO
    ifmr.ifm_mask = 0
    ifmr.ifm_status = IFM_AVALID
    ifmr.ifm_active = IFM_ETHER
    ifmr.ifm_ulist = [IFM_ETHER | IFM_AUTO] + [IFM_ETHER | s | IFM_FDX
                                                for s in (IFM_10_T, IFM_100_TX, IFM_1000_T)]
    if ifp.if_link_state == LinkState.UP:
        ifmr.ifm_status |= IFM_ACTIVE
        sub = _SPEED_SUBTYPE.get(int(ifp.if_baudrate or 0) // 1_000_000, IFM_1000_T)
        ifmr.ifm_active = IFM_ETHER | sub | IFM_FDX
    return 0


def if_groups(ifp: Any) -> list[str]:
    """The interface groups (``groups:`` in ifconfig); a cloned interface is in
    the group of its cloner (lo0 in ``lo``)."""
    groups = list(getattr(ifp, "if_groups", None) or [])
    if not groups and ifp.if_type == IFT.LOOP:
        groups = [ifp.if_dname]
    return groups


# -- the requests ifnet itself answers (ifhwioctl) --------------------------------------------
def ifhwioctl(cmd: int, ifp: Any, data: Any, td: Any) -> int:
    from kernel.kern.kern_proc import priv_check
    if cmd in (SIOCGIFFLAGS, SIOCGIFMTU, SIOCGIFMETRIC, SIOCGIFINDEX, SIOCSIFFLAGS,
               SIOCSIFMTU, SIOCSIFMETRIC):
        if not isinstance(data, ifreq):
            return E.EINVAL
        if cmd == SIOCGIFFLAGS:
            data.ifr_flags = ifp.if_flags & 0xFFFF
            data.ifr_flagshigh = (ifp.if_flags >> 16) & 0xFFFF
            return 0
        if cmd == SIOCGIFMTU:
            data.ifr_mtu = ifp.if_mtu
            return 0
        if cmd == SIOCGIFMETRIC:
            data.ifr_metric = getattr(ifp, "if_metric", 0)
            return 0
        if cmd == SIOCGIFINDEX:
            data.ifr_index = ifp.if_index
            return 0
        err = priv_check(td)
        if err:
            return err
        if cmd == SIOCSIFFLAGS:
            if not _valid_ints(data, ("ifr_flags", "ifr_flagshigh")):
                return E.EINVAL
            return if_setflags_user(ifp, (int(data.ifr_flags) & 0xFFFF)
                                    | ((int(data.ifr_flagshigh) & 0xFFFF) << 16))
        if cmd == SIOCSIFMETRIC:
            if not _isint(data.ifr_metric):
                return E.EINVAL
            ifp.if_metric = int(data.ifr_metric)
            _rt_ifmsg(ifp)
            return 0
        # SIOCSIFMTU
        mtu = data.ifr_mtu
        if not _isint(mtu) or mtu < IF_MINMTU or mtu > IF_MAXMTU:
            return E.EINVAL
        mtu = int(mtu)
        oldmtu = ifp.if_mtu
        err = ifp.if_setmtu(mtu)
        if err:
            return err
        if ifp.if_mtu != oldmtu:
            _rt_ifmsg(ifp)
            if getattr(ifp.kernel, "nd6", None) is not None:
                from kernel.netinet6 import nd6
                nd6.nd6_setmtu(ifp)
                k = ifp.kernel
                if getattr(k, "in6", None) is not None:
                    k.in6.in6_maxmtu = max((i.if_mtu for i in k.ifnet
                                            if not i.if_flags & IFF.LOOPBACK), default=0)
        return 0
    if cmd == SIOCGIFMEDIA:
        if not isinstance(data, ifmediareq):
            return E.EINVAL
        err = _driver_ioctl(ifp, SIOCGIFMEDIA, data)
        if err in (E.EINVAL, E.EOPNOTSUPP, ENOIOCTL) and ifp.if_type == IFT.ETHER:
            err = ifmedia_ether_status(ifp, data)
        return E.EINVAL if err == ENOIOCTL else err
    if cmd == SIOCGIFGROUP:
        if not isinstance(data, ifgroupreq):
            return E.EINVAL
        data.ifgr_groups = if_groups(ifp)
        return 0
    return ENOIOCTL


def ifioctl(so: Any, cmd: int, data: Any, td: Any) -> int:
    """Interface ioctls on a socket (if.c ``ifioctl``); returns a BSD errno."""
    k = so.so_kernel
    if cmd in CLONE_IOCTLS:
        # if.c: the cloner requests name an interface that may not exist yet
        return if_clone_ioctl(k, cmd, data, td)
    name = _ifname(data)
    if name is None:
        return E.EINVAL                     # no request struct, or no name in it
    ifp = k.ifunit(name)
    if ifp is None:
        return E.ENXIO
    err = ifhwioctl(cmd, ifp, data, td)
    if err != ENOIOCTL:
        return err
    if cmd in _TUNNEL_IOCTLS:
        return if_tunnel_ioctl(ifp, cmd, data, td)
    # The protocol's requests (in6_control for an AF_INET6 socket).
    if cmd in _IN6_ARG:
        if cmd in _IN6_FLUSH and isinstance(data, (str, bytes, bytearray)):
            data = in6_ifreq(name)
        if not _valid_in6_arg(cmd, data):
            return E.EINVAL
        if cmd in _IN6_SET:
            from kernel.kern.kern_proc import priv_check
            err = priv_check(td)
            if err:
                return err
        if cmd in (SIOCSDEFIFACE_IN6, SIOCGDEFIFACE_IN6):
            return nd6_defiface_ioctl(k, cmd, data)
    ctl = so.so_proto.pr_usrreqs.pru_control if so.so_proto.pr_usrreqs else None
    if ctl is None:
        return E.EOPNOTSUPP
    oif_flags = ifp.if_flags
    rv = ctl(so, cmd, data, ifp, td)
    if (oif_flags ^ ifp.if_flags) & IFF.UP and ifp.if_flags & IFF.UP:
        from kernel.netinet6 import in6
        in6.in6_if_up(ifp)
    return rv


# The tunnel requests (gif(4)): in FreeBSD they fall through in_control and
# in6_control to the interface's own if_ioctl.
_TUNNEL_IOCTLS = frozenset((SIOCSIFPHYADDR, SIOCGIFPSRCADDR, SIOCGIFPDSTADDR, SIOCDIFPHYADDR,
                            SIOCSIFPHYADDR_IN6, SIOCGIFPSRCADDR_IN6, SIOCGIFPDSTADDR_IN6))
_TUNNEL_SET = frozenset((SIOCSIFPHYADDR, SIOCDIFPHYADDR, SIOCSIFPHYADDR_IN6))


def if_tunnel_ioctl(ifp: Any, cmd: int, data: Any, td: Any) -> int:
    """SIOC[SGD]IFPHYADDR*, SIOCGIFP{SRC,DST}ADDR*: the interface's driver answers
    (gif_ioctl); an interface that is no tunnel says EINVAL, as ether_ioctl does."""
    if cmd in _TUNNEL_SET:
        from kernel.kern.kern_proc import priv_check
        err = priv_check(td)
        if err:
            return err
    err = _driver_ioctl(ifp, cmd, data)
    return E.EINVAL if err in (E.EOPNOTSUPP, ENOIOCTL) else err


def nd6_defiface_ioctl(k: "Kernel", cmd: int, data: in6_ndifreq) -> int:
    """SIOCSDEFIFACE_IN6 / SIOCGDEFIFACE_IN6 (``ndp -I``): the default
    interface, whose zones scoped destinations without a zone use (nd6.c
    ``nd6_setdefaultiface``, scope6.c ``scope6_setdefault``)."""
    nd = getattr(k, "nd6", None)
    if nd is None:
        return E.EOPNOTSUPP
    if cmd == SIOCGDEFIFACE_IN6:
        data.ifindex = getattr(nd, "nd6_defifindex", 0)
        return 0
    idx = data.ifindex
    ifp = None
    if idx:
        ifp = next((i for i in k.ifnet if i.if_index == idx), None)
        if ifp is None:
            return E.EINVAL
    nd.nd6_defifindex = idx
    if getattr(k, "scope6", None) is not None:
        from kernel.netinet6 import scope6
        scope6.scope6_setdefault(k, ifp)
    return 0


__all__ = ["ifioctl_init", "ifioctl", "ifhwioctl", "if_up", "if_down", "if_setflags_user",
           "if_tunnel_ioctl",
           "ifmedia_ether_status", "if_groups", "nd6_defiface_ioctl", "IF_MINMTU", "IF_MAXMTU"]
