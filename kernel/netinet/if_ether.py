"""ARP: address resolution for IPv4 over Ethernet (sys/netinet/if_ether.c).

RFC 826 on both sides, RFC 1122 2.3.2 for the cache:

- ``arpresolve`` (the AF_INET case of ether_output, ``ether_output_inet``
  here) maps broadcast and multicast (RFC 1112 6.4) without asking, answers
  from the cache, and otherwise holds the packet — RFC 1122 2.3.2.2: "SHOULD
  save (rather than discard) at least one (the latest) packet", as BSD:
  ``net.link.ether.inet.maxhold`` packets, 1 by default, the older ones
  dropped — and broadcasts a request.
- An unresolved entry asks again once a second (RFC 1122 2.3.2.1: "MUST ...
  prevent ... flooding", at most one request per second per address) until
  ``arp_maxtries`` requests went unanswered; then the host is *down*: its
  held packets are dropped, and for ``arpt_down`` seconds sending to it fails
  at once with EHOSTDOWN (EHOSTUNREACH when it was a gateway) without a
  request — FreeBSD 6's RTF_REJECT on the ARP route.
- A resolved entry lives ``arpt_keep`` seconds (``max_age``, 20 minutes)
  from the last reply or request that confirmed it (RFC 1122 2.3.2.1: entries
  time out); in its last seconds sending to it also sends a request, so an
  active entry is refreshed before it expires (la_preempt).
- ``in_arpinput`` is RFC 826's "Packet Reception": merge the sender into
  an existing entry; add it only if we are the target; answer a request for
  one of our addresses with a reply to the sender.  As FreeBSD: not from
  ourselves, not from a broadcast or multicast sender address, a duplicate
  of our own address is logged and answered (defended), a permanent entry is
  not changed, an entry is created only for a sender on a subnet of the
  receiving interface.

Entries are per kernel, keyed by (interface, address) as FreeBSD 8's
lltable, at most ``arp_maxentries`` (the least recently used unresolved or
dynamic one goes first).  Our own addresses have permanent entries
(``arp -a``: ``permanent``), and adding an address sends a gratuitous ARP
request for it (``arp_ifinit``).  Counters: ``struct arpstat`` (FreeBSD 9,
``sysctl net.link.ether.arp.stats``) with kamebox's reasons beside it.
"""
from __future__ import annotations

from collections import OrderedDict, deque
from typing import TYPE_CHECKING, Any, Optional

from kernel.kern.kern_sysctl import CTLTYPE_STRUCT, SYSCTL_INT, SYSCTL_PROC, SYSCTL_STRUCT
from kernel.kern.uipc_mbuf import M_BCAST, M_LOOP, M_MCAST, mbuf
from kernel.net.if_ethersubr import ether_register
from kernel.netinet import in_ as _in, in_rmx
from kernel.wire import errno as E
from kernel.wire.ethernet import ETHER_BROADCAST, ETHERTYPE, ether_map_ipv4_multicast
from kernel.wire.if_arp import (ARPHDR_LEN, ARPHRD_ETHER, ARPHRD_IEEE802, ARPOP_REPLY,
                                ARPOP_REQUEST, ETHER_ARP_LEN, arphdr, ether_arp)
from kernel.wire.in_ import (INADDR_ANY, IN_EXPERIMENTAL, IN_LOOPBACK, IN_MULTICAST,
                             inet_ntop4, sockaddr_in)
from kernel.wire.net_if import IFF, IFF_STATICARP, IFT
from kernel.wire.route import (RTAX_DST, RTAX_GATEWAY, RTF_GATEWAY, RTF_HOST, RTF_LLINFO,
                               RTF_PINNED, RTF_STATIC, RTF_UP, RTM_ADD, RTM_DELETE, RTM_GET,
                               RTV_EXPIRE,
                               rt_msg_build, sockaddr_dl)

if TYPE_CHECKING:  # pragma: no cover
    from kernel.kern.init_main import Kernel

SEC = 1_000_000_000
_ETHERTYPE_IP = int(ETHERTYPE.IP)
_ETHERTYPE_ARP = int(ETHERTYPE.ARP)
_IFF_LOOPBACK = int(IFF.LOOPBACK)
_IFF_NOARP = int(IFF.NOARP)
_IFF_UP = int(IFF.UP)
_IFT_ETHER = int(IFT.ETHER)

# la_flags (FreeBSD's llentry flags; LLE_REJECT is FreeBSD 6's RTF_REJECT on the ARP route)
LLE_STATIC = 0x0002          # entry is static (arp -s): no timer, never replaced by input
LLE_VALID = 0x0008           # the link-layer address is known
LLE_IFADDR = 0x0010          # one of our own addresses
LLE_REJECT = 0x0100          # resolution failed: the host is down for arpt_down seconds

ARPT_REXMIT = 1              # seconds between requests for an unresolved address


class arpstat:
    """``struct arpstat`` (FreeBSD netinet/if_ether.h), then kamebox's reasons."""

    __slots__ = (
        "txrequests",       # ARP requests sent by this host
        "txreplies",        # ARP replies sent by this host
        "rxrequests",       # ARP requests received by this host
        "rxreplies",        # ARP replies received by this host
        "received",         # ARP packets received by this host
        "txerrors",         # ARP requests failed to send
        "dropped",          # packets dropped waiting for a reply
        "timeouts",         # times with entries removed due to timeout
        "dupips",           # duplicate IPs detected
        # kamebox: the reasons FreeBSD only logs
        "rxtooshort",       # runt packet
        "rxbadhrd",         # unknown hardware address format
        "rxbadpro",         # not IPv4
        "rxbadlen",         # address lengths other than 6 and 4
        "rxbadop",          # opcode neither request nor reply (merged, not answered)
        "rxfromself",       # our own link-layer address as sender
        "rxbadsha",         # broadcast or multicast sender hardware address
        "rxbadspa",         # sender protocol address multicast, class E or loopback
        "rxnotonnet",       # sender not on a subnet of the receiving interface
        "rxnoaddr",         # the receiving interface has no IPv4 address
        "rxpermanent",      # attempt to modify a permanent entry
        "rxmoved",          # an entry's link-layer address changed
        "overflow",         # entries purged because the cache was full
        "refused",          # sends refused while the host was down
    )

    def __init__(self) -> None:
        for n in self.__slots__:
            setattr(self, n, 0)

    def as_dict(self) -> dict[str, int]:
        return {n: getattr(self, n) for n in self.__slots__}


class llinfo_arp:
    """One ARP cache entry (``struct llinfo_arp`` / FreeBSD 8's ``llentry``)."""

    __slots__ = ("la_ifp", "la_addr", "la_lladdr", "la_flags", "la_asked", "la_expire",
                 "la_preempt", "la_hold", "la_timer")

    def __init__(self, ifp: Any, addr: bytes) -> None:
        self.la_ifp = ifp
        self.la_addr = addr
        self.la_lladdr: Optional[bytes] = None
        self.la_flags = 0
        self.la_asked = 0                  # requests sent for this resolution
        self.la_expire = 0                 # time_uptime when it expires; 0: permanent
        self.la_preempt = 0                # refresh requests left before expiry
        self.la_hold: deque = deque()      # packets awaiting resolution
        self.la_timer = ifp.kernel.callout()

    def __repr__(self) -> str:
        ll = self.la_lladdr.hex(":") if self.la_lladdr else "(incomplete)"
        return f"<llinfo_arp {inet_ntop4(self.la_addr)} {ll} on {self.la_ifp.if_xname}>"


class arp_state:
    """if_ether.c's globals for one kernel (``k.arp``); the tunables are the
    net.link.ether.inet sysctl nodes."""

    def __init__(self) -> None:
        self.arpt_keep = 20 * 60           # max_age: once resolved, good for 20 minutes
        self.arpt_down = 20                # host_down_time: once declared down, 20 s
        self.arp_maxtries = 5              # maxtries: requests before the host is down
        self.arp_maxhold = 1               # maxhold: packets held per unresolved address
        self.useloopback = 1
        self.log_arp_movements = 1
        self.log_arp_permanent_modify = 1
        self.arp_maxentries = 2048         # kamebox: bound on the cache
        self.llinfo: "OrderedDict[tuple[int, bytes], llinfo_arp]" = OrderedDict()


def arp_init(k: "Kernel") -> None:
    """SYSINIT: the cache, counters, sysctl nodes; ARP input for ethertype 0x0806."""
    if getattr(k, "arp", None) is not None:
        return
    st = arp_state()
    k.arp = st
    k.arpstat = arpstat()
    p = "net.link.ether.inet."
    one = (lambda v: v >= 1)
    for name, attr, descr, check in (
        ("max_age", "arpt_keep", "ARP entry lifetime in seconds", one),
        ("host_down_time", "arpt_down", "Seconds an unresolvable host is down", one),
        ("maxtries", "arp_maxtries", "ARP resolution attempts before returning error", one),
        ("maxhold", "arp_maxhold", "Number of packets to hold per ARP entry", one),
        ("useloopback", "useloopback", "Use the loopback interface for local traffic", None),
        ("log_arp_movements", "log_arp_movements",
         "Log ARP replies from MACs different than the one in the cache", None),
        ("log_arp_permanent_modify", "log_arp_permanent_modify",
         "Log ARP replies from MACs different than the one in the permanent arp entry", None),
        ("maxentries", "arp_maxentries", "Maximum ARP cache entries (kamebox)", one),
    ):
        SYSCTL_INT(k, p + name, st, attr, descr, check=check)
    SYSCTL_STRUCT(k, "net.link.ether.arp.stats", lambda: k.arpstat,
                  "ARP statistics (struct arpstat)")
    SYSCTL_PROC(k, "net.route.inet.llinfo", CTLTYPE_STRUCT, lambda: sysctl_llinfo_inet(k),
                descr="The ARP cache as RTM_GET messages (NET_RT_FLAGS, RTF_LLINFO, AF_INET)")
    ether_register(k, _ETHERTYPE_ARP, arpintr)


def _uptime(k: "Kernel") -> int:
    return k.now() // SEC


def _log(k: "Kernel", msg: str) -> None:
    """log(9): to the console and dmesg."""
    k.printf(msg)


# -- the cache -------------------------------------------------------------------------------
def arplookup(ifp: Any, addr: bytes) -> Optional[llinfo_arp]:
    return ifp.kernel.arp.llinfo.get((ifp.if_index, addr))


def arp_entries(k: "Kernel") -> list[llinfo_arp]:
    """Every entry, in the order ``arp -a`` lists them (interface, address)."""
    return sorted(k.arp.llinfo.values(), key=lambda la: (la.la_ifp.if_index, la.la_addr))


def _arp_alloc(ifp: Any, addr: bytes) -> llinfo_arp:
    k = ifp.kernel
    st = k.arp
    while len(st.llinfo) >= st.arp_maxentries:
        victim = next((la for la in st.llinfo.values() if not la.la_flags & LLE_STATIC), None)
        if victim is None:
            break
        k.arpstat.overflow += 1
        arp_free(victim)
    la = llinfo_arp(ifp, bytes(addr))
    st.llinfo[(ifp.if_index, la.la_addr)] = la
    return la


def arp_free(la: llinfo_arp) -> None:
    """Remove an entry: stop its timer, drop what it held."""
    k = la.la_ifp.kernel
    la.la_timer.callout_stop()
    if la.la_hold:
        k.arpstat.dropped += len(la.la_hold)
        la.la_hold.clear()
    key = (la.la_ifp.if_index, la.la_addr)
    if k.arp.llinfo.get(key) is la:
        del k.arp.llinfo[key]


def _settimer(la: llinfo_arp, seconds: int) -> None:
    la.la_timer.callout_reset_ns(seconds * SEC, arptimer, la)


def arptimer(la: llinfo_arp) -> None:
    """The entry's timer: retransmit, declare the host down, or expire."""
    ifp = la.la_ifp
    k = ifp.kernel
    st = k.arp
    if la.la_flags & LLE_VALID or la.la_flags & LLE_REJECT:
        # RFC 1122 2.3.2.1: a resolved entry times out; a down host's time is up
        if la.la_flags & LLE_VALID:
            k.arpstat.timeouts += 1
        arp_free(la)
        return
    if la.la_asked < st.arp_maxtries:
        la.la_asked += 1
        la.la_expire = _uptime(k)              # FreeBSD: "rt->rt_expire = time_second"
        _settimer(la, ARPT_REXMIT)
        arprequest(ifp, None, la.la_addr)
        return
    # arp_maxtries requests unanswered: the host is down (FreeBSD 6: RTF_REJECT,
    # rt_expire += arpt_down); what was held is dropped.
    k.arpstat.timeouts += 1
    if la.la_hold:
        k.arpstat.dropped += len(la.la_hold)
        la.la_hold.clear()
    la.la_flags |= LLE_REJECT
    la.la_asked = 0
    la.la_expire = _uptime(k) + st.arpt_down
    _settimer(la, st.arpt_down)


# -- output -----------------------------------------------------------------------------------
def ether_output_inet(ifp: Any, m: mbuf, nexthop: bytes, is_gw: bool = False) -> int:
    """The AF_INET case of ether_output: the link-layer destination of an IPv4
    packet to on-link ``nexthop``, then the frame.  Returns 0 (sent or held)
    or an errno."""
    if ifp.if_flags & _IFF_LOOPBACK or ifp.if_type != _IFT_ETHER:
        return ifp.if_output(ifp, m, nexthop, _ETHERTYPE_IP)
    if m.m_flags & M_BCAST:
        if ifp.if_flags & IFF.SIMPLEX:
            _simloop(ifp, m)            # a simplex interface does not hear its own broadcast
        return ifp.if_output(ifp, m, ETHER_BROADCAST, _ETHERTYPE_IP)
    if m.m_flags & M_MCAST:
        return ifp.if_output(ifp, m, ether_map_ipv4_multicast(nexthop), _ETHERTYPE_IP)
    err, lladdr = arpresolve(ifp, m, nexthop, is_gw)
    if lladdr is None:
        return err
    return ifp.if_output(ifp, m, lladdr, _ETHERTYPE_IP)


def _simloop(ifp: Any, m: mbuf) -> None:
    """if_simloop: a copy of our broadcast comes back in on ``ifp``."""
    c = m.m_dup()
    c.rcvif = ifp
    c.m_flags |= M_LOOP | M_BCAST
    k = ifp.kernel
    proto = k.ether_protos.get(_ETHERTYPE_IP)
    if proto is not None:
        k.platform.call_later(0, lambda arg: proto(*arg), (ifp, c))


def arpresolve(ifp: Any, m: mbuf, dst: bytes, is_gw: bool = False) -> tuple[int, Optional[bytes]]:
    """``(0, lladdr)`` to send now, or ``(errno, None)`` when ``m`` was held (0)
    or refused (EHOSTDOWN, or EHOSTUNREACH for a gateway)."""
    k = ifp.kernel
    st = k.arp
    key = (ifp.if_index, dst)
    la = st.llinfo.get(key)
    if la is not None:
        st.llinfo.move_to_end(key)
        if la.la_flags & LLE_VALID:
            if la.la_expire and _uptime(k) + la.la_preempt > la.la_expire:
                # refresh an active entry before it expires (FreeBSD la_preempt)
                la.la_preempt -= 1
                arprequest(ifp, None, dst)
            return 0, la.la_lladdr
        if la.la_flags & LLE_REJECT:
            k.arpstat.refused += 1
            return (E.EHOSTUNREACH if is_gw else E.EHOSTDOWN), None
    if ifp.if_flags & (_IFF_NOARP | IFF_STATICARP):
        return E.EINVAL, None          # "if ARP is disabled or static on this interface, stop"
    if la is None:
        la = _arp_alloc(ifp, dst)
    # RFC 1122 2.3.2.2: keep the latest packet(s) until the address is resolved.
    la.la_hold.append(m)
    while len(la.la_hold) > max(1, st.arp_maxhold):
        la.la_hold.popleft()
        k.arpstat.dropped += 1
    if la.la_asked == 0:
        la.la_asked = 1
        la.la_expire = _uptime(k)              # FreeBSD: "rt->rt_expire = time_second"
        _settimer(la, ARPT_REXMIT)
        arprequest(ifp, None, dst)
    return 0, None


def arprequest(ifp: Any, sip: Optional[bytes], tip: bytes) -> None:
    """Broadcast an ARP request for ``tip`` from ``sip`` (None: our address on
    ``tip``'s subnet, else the first of the interface)."""
    k = ifp.kernel
    if sip is None:
        ia = _in.ifaof_ifpforaddr(ifp, tip)
        if ia is None:
            k.arpstat.txerrors += 1    # "arprequest: cannot find matching address"
            return
        sip = ia.ia_addr
    m = mbuf(ether_arp.pack(ARPHRD_ETHER, _ETHERTYPE_IP, 6, 4, ARPOP_REQUEST, ifp.if_addr,
                            sip, bytes(6), tip))
    m.m_flags |= M_BCAST
    if ifp.if_output(ifp, m, ETHER_BROADCAST, _ETHERTYPE_ARP):
        k.arpstat.txerrors += 1
    else:
        k.arpstat.txrequests += 1


def arp_ifinit(ifp: Any, ia: Any) -> None:
    """A new address: its permanent entry, and a gratuitous ARP request
    (sender and target our address) so the link updates its caches and a
    duplicate answers."""
    if ifp.if_type != _IFT_ETHER or ifp.if_flags & _IFF_LOOPBACK:
        return
    la = arplookup(ifp, ia.ia_addr)
    if la is None:
        la = _arp_alloc(ifp, ia.ia_addr)
    la.la_timer.callout_stop()
    la.la_lladdr = bytes(ifp.if_addr)
    la.la_flags = LLE_STATIC | LLE_VALID | LLE_IFADDR
    la.la_expire = 0
    if ifp.if_flags & _IFF_UP and not ifp.if_flags & _IFF_NOARP:
        arprequest(ifp, ia.ia_addr, ia.ia_addr)


def arp_ifscrub(ifp: Any, ia: Any) -> None:
    """An address went: its own entry, and the entries of its subnet that no
    other address of the interface still covers."""
    k = ifp.kernel
    others = [o for o in _in.in_ifaddrs(k, ifp)]
    for la in [la for la in k.arp.llinfo.values() if la.la_ifp is ifp]:
        if la.la_addr == ia.ia_addr and la.la_flags & LLE_IFADDR:
            arp_free(la)
        elif ia.ia_contains(la.la_addr) and not la.la_flags & LLE_STATIC \
                and not any(o.ia_contains(la.la_addr) for o in others):
            arp_free(la)


def arp_flush(k: "Kernel", ifp: Any = None) -> None:
    """Forget the dynamic entries (of ``ifp``, or all)."""
    for la in [la for la in k.arp.llinfo.values()
               if (ifp is None or la.la_ifp is ifp) and not la.la_flags & LLE_STATIC]:
        arp_free(la)


def arp_add_static(ifp: Any, addr: bytes, lladdr: bytes, expire: int = 0) -> llinfo_arp:
    """``arp -s``: a permanent entry (or one expiring at ``expire``, time_uptime,
    with ``temp``); what was held for the address goes out now."""
    la = arplookup(ifp, addr) or _arp_alloc(ifp, addr)
    la.la_timer.callout_stop()
    la.la_lladdr = bytes(lladdr)
    la.la_flags = LLE_VALID | (0 if expire else LLE_STATIC)
    la.la_asked = 0
    la.la_expire = expire
    if expire:
        _settimer(la, max(1, expire - _uptime(ifp.kernel)))
    _send_held(la)
    return la


def _send_held(la: llinfo_arp) -> None:
    ifp = la.la_ifp
    while la.la_hold:
        ifp.if_output(ifp, la.la_hold.popleft(), la.la_lladdr, _ETHERTYPE_IP)


# -- input ------------------------------------------------------------------------------------
def arpintr(ifp: Any, m: mbuf) -> None:
    """ARP input for ethertype 0x0806 (netisr): check the header, hand IPv4 to
    in_arpinput.  Malformed packets are dropped and counted."""
    k = ifp.kernel
    st = k.arpstat
    if getattr(k, "inet", None) is None:
        return
    st.received += 1
    if m.m_len < ARPHDR_LEN:
        st.rxtooshort += 1                         # "arp: runt packet"
        return
    hrd, pro, hln, pln, _op = arphdr.unpack_from(m.buf, m.off)
    if hrd not in (ARPHRD_ETHER, ARPHRD_IEEE802):
        st.rxbadhrd += 1                           # "unknown hardware address format"
        return
    if m.m_len < ARPHDR_LEN + 2 * hln + 2 * pln:
        st.rxtooshort += 1
        return
    if pro != _ETHERTYPE_IP:
        st.rxbadpro += 1
        return
    if hln != 6 or pln != 4 or m.m_len < ETHER_ARP_LEN:
        st.rxbadlen += 1                           # "requested protocol length != 4"
        return
    in_arpinput(ifp, m)


def in_arpinput(ifp: Any, m: mbuf) -> None:
    """RFC 826 "Packet Reception" for IPv4 over Ethernet."""
    k = ifp.kernel
    st = k.arpstat
    _h, _p, _hl, _pl, op, sha, isaddr, _tha, itaddr = ether_arp.unpack_from(m.buf, m.off)
    if op == ARPOP_REQUEST:
        st.rxrequests += 1
    elif op == ARPOP_REPLY:
        st.rxreplies += 1
    else:
        st.rxbadop += 1
    if sha[0] & 0x01:
        # "arp: link address is broadcast for IP address %s!" / "%*D is multicast"
        st.rxbadsha += 1
        return
    if IN_MULTICAST(isaddr) or IN_EXPERIMENTAL(isaddr) or IN_LOOPBACK(isaddr):
        st.rxbadspa += 1
        return
    # Our address on this interface that the packet is about: the target, the
    # sender (a duplicate), or the first one as a stand-in.
    mine = _in.in_ifaddrs(k, ifp)
    ia = next((o for o in mine if o.ia_addr == itaddr), None) or \
        next((o for o in mine if o.ia_addr == isaddr), None) or (mine[0] if mine else None)
    if ia is None:
        st.rxnoaddr += 1
        return
    myaddr = ia.ia_addr
    if sha == ifp.if_addr:
        st.rxfromself += 1                         # "it's from me, ignore it"
        return
    if isaddr == myaddr and myaddr != INADDR_ANY:
        st.dupips += 1
        _log(k, f"arp: {sha.hex(':')} is using my IP address {inet_ntop4(myaddr)} "
                f"on {ifp.if_xname}!\n")
        itaddr = myaddr                            # answer, defending the address
    elif isaddr != INADDR_ANY and not ifp.if_flags & IFF_STATICARP:
        _arp_merge(ifp, sha, isaddr, itaddr == myaddr)
    if op != ARPOP_REQUEST or itaddr != myaddr:
        return
    # RFC 826: "Swap hardware and protocol fields, putting the local hardware
    # and protocol addresses in the sender fields.  Set the ar$op field to
    # ares_op$REPLY.  Send the packet to the (new) target hardware address on
    # the same hardware on which the request was received."
    r = mbuf(ether_arp.pack(ARPHRD_ETHER, _ETHERTYPE_IP, 6, 4, ARPOP_REPLY, ifp.if_addr,
                            itaddr, sha, isaddr))
    if ifp.if_output(ifp, r, sha, _ETHERTYPE_ARP) == 0:
        st.txreplies += 1
    else:
        st.txerrors += 1


def _arp_merge(ifp: Any, sha: bytes, isaddr: bytes, create: bool) -> None:
    """RFC 826: "If the pair <protocol type, sender protocol address> is already
    in my translation table, update the sender hardware address field of the
    entry with the new information in the packet and set Merge_flag to true.
    ... If Merge_flag is false [and I am the target], add the triplet."""
    k = ifp.kernel
    st = k.arpstat
    arp = k.arp
    la = arplookup(ifp, isaddr)
    if la is None:
        if not create:
            return
        rt = in_rmx.in_rtalloc(k, isaddr)
        if rt is None or rt.rt_flags & RTF_GATEWAY or rt.rt_ifp is not ifp:
            st.rxnotonnet += 1
            _log(k, f'IPv4 address: "{inet_ntop4(isaddr)}" is not on the network\n')
            return
        la = _arp_alloc(ifp, isaddr)
    if la.la_lladdr is not None and la.la_lladdr != sha and la.la_flags & LLE_VALID:
        if la.la_flags & LLE_STATIC:
            st.rxpermanent += 1
            if arp.log_arp_permanent_modify:
                _log(k, f"arp: {sha.hex(':')} attempts to modify permanent entry for "
                        f"{inet_ntop4(isaddr)} on {ifp.if_xname}\n")
            return
        st.rxmoved += 1
        if arp.log_arp_movements:
            _log(k, f"arp: {inet_ntop4(isaddr)} moved from {la.la_lladdr.hex(':')} to "
                    f"{sha.hex(':')} on {ifp.if_xname}\n")
    la.la_lladdr = bytes(sha)
    if not la.la_flags & LLE_STATIC:
        la.la_flags = (la.la_flags | LLE_VALID) & ~LLE_REJECT
        la.la_expire = _uptime(k) + arp.arpt_keep
        _settimer(la, arp.arpt_keep)
    la.la_asked = 0
    la.la_preempt = arp.arp_maxtries
    _send_held(la)


# -- arp(8): the sysctl dump and the routing socket ----------------------------------------------
def sysctl_llinfo_inet(k: "Kernel") -> bytes:
    """NET_RT_FLAGS with RTF_LLINFO for AF_INET: an RTM_GET per entry, the
    address as destination and the link-level address as gateway (``sdl_alen``
    0 while incomplete); rmx_expire the expiry (0: permanent), rmx_pksent the
    requests sent."""
    out = []
    for la in arp_entries(k):
        ifp = la.la_ifp
        flags = RTF_UP | RTF_HOST | RTF_LLINFO | (RTF_STATIC if la.la_flags & LLE_STATIC else 0) \
            | (RTF_PINNED if la.la_flags & LLE_IFADDR else 0)
        lladdr = la.la_lladdr if la.la_flags & LLE_VALID and la.la_lladdr else b""
        # permanent: 0; else the expiry, or for an unresolved entry the time of
        # its last request (FreeBSD: "rt->rt_expire = time_second") — "expired"
        expire = 0 if la.la_flags & LLE_STATIC else la.la_expire + getattr(k, "boottime", 0) // SEC
        rmx = dict(rmx_locks=0, rmx_mtu=0, rmx_hopcount=0,
                   rmx_expire=expire & 0xFFFFFFFF, rmx_recvpipe=0,
                   rmx_sendpipe=0, rmx_ssthresh=0, rmx_rtt=0, rmx_rttvar=0,
                   rmx_pksent=la.la_asked, rmx_filler=[0, 0, 0, 0])
        addrs = {RTAX_DST: sockaddr_in(la.la_addr),
                 RTAX_GATEWAY: sockaddr_dl(ifp.if_index, int(ifp.if_type), "", lladdr)}
        out.append(rt_msg_build(RTM_GET, addrs, rtm_flags=flags, rtm_index=ifp.if_index,
                                rtm_rmx=rmx))
    return b"".join(out)


def arp_rt_output(k: "Kernel", f: dict, addrs: dict) -> int:
    """A routing message with RTF_LLDATA for AF_INET (``arp -s``/``-d``, FreeBSD's
    lla_rt_output): RTM_ADD a static entry (with RTV_EXPIRE: one that expires,
    ``temp``), RTM_DELETE one.  Returns a BSD errno."""
    if getattr(k, "arp", None) is None:
        return E.EOPNOTSUPP
    raw = addrs.get(RTAX_DST)
    try:
        dst = raw if isinstance(raw, sockaddr_in) else (
            sockaddr_in.unpack(raw) if isinstance(raw, (bytes, bytearray)) else None)
    except ValueError:
        dst = None
    if dst is None:
        return E.EINVAL
    addr = dst.sin_addr
    dl = addrs.get(RTAX_GATEWAY)
    ifp = None
    if isinstance(dl, sockaddr_dl) and (dl.sdl_index or dl.sdl_name):
        ifp = next((i for i in k.ifnet if i.if_index == dl.sdl_index), None) \
            or (k.ifunit(dl.sdl_name) if dl.sdl_name else None)
        if ifp is None:
            return E.EINVAL
    rtype = f.get("rtm_type")
    if rtype == RTM_ADD:
        if not isinstance(dl, sockaddr_dl) or len(dl.sdl_lladdr) != 6 or dl.sdl_lladdr[0] & 1:
            return E.EINVAL
        if ifp is None:
            # the interface whose subnet holds the address ("cannot intuit interface")
            ia = _in.ifa_ifwithnet(k, addr)
            ifp = ia.ia_ifp if ia is not None else None
        if ifp is None or ifp.if_type != _IFT_ETHER or ifp.if_flags & _IFF_LOOPBACK:
            return E.ENETUNREACH
        la = arplookup(ifp, addr)
        if la is not None and la.la_flags & LLE_IFADDR:
            return E.EEXIST
        expire = 0
        if f.get("rtm_inits", 0) & RTV_EXPIRE:
            wall = f.get("rtm_rmx", {}).get("rmx_expire", 0)
            if wall:
                expire = max(_uptime(k) + 1, wall - getattr(k, "boottime", 0) // SEC)
        arp_add_static(ifp, addr, dl.sdl_lladdr, expire)
        return 0
    if rtype == RTM_DELETE:
        cands = [la for la in arp_entries(k) if la.la_addr == addr
                 and (ifp is None or la.la_ifp is ifp)]
        if not cands:
            return E.ENOENT
        if all(la.la_flags & LLE_IFADDR for la in cands):
            return E.EPERM
        for la in cands:
            if not la.la_flags & LLE_IFADDR:
                arp_free(la)
        return 0
    if rtype == RTM_GET:
        return 0 if any(la.la_addr == addr for la in arp_entries(k)) else E.ESRCH
    return E.EOPNOTSUPP
