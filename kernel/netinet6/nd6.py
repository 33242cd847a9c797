"""Neighbor Discovery: the neighbor cache, address resolution and NUD (sys/netinet6/nd6.c).

RFC 4861 section 7.3 (Neighbor Unreachability Detection) and 7.2 (address
resolution) on the sending side; the message handlers are in nd6_nbr.py
(NS/NA, DAD) and nd6_rtr.py (RS/RA, default routers, prefixes, redirects).
What those handlers share is here, as KAME keeps nd6_options in nd6.c: the
validity checks of RFC 4861 6.1/7.1/8.1 (``nd6_input_check``), the option
walk with its counters (``nd6_input_options``, ``nd6_opt_lladdr``) and the
drop (``nd6_input_bad``).

The neighbor cache is per kernel, keyed by (interface index, address): one
``llinfo_nd6`` per neighbor, as FreeBSD's lltable (KAME hung them off cloned
host routes).  Each entry has its own callout (``nd6_llinfo_timer``), which
drives the RFC 4861 7.3.2 states:

    INCOMPLETE --NA--> REACHABLE --ReachableTime--> STALE --packet--> DELAY
    DELAY --DELAY_FIRST_PROBE_TIME--> PROBE --NA--> REACHABLE
    INCOMPLETE/PROBE --MAX_*_SOLICIT unanswered--> freed

Limits as BSD's: at most ``nd6_maxqueuelen`` packets held per unresolved
entry (oldest dropped), at most ``ip6_neighborgcthresh`` entries (least
recently used purged), at most ``nd6_maxndopt`` options walked per message.

``nd6_timer`` runs every ``nd6_prune`` seconds for what has lifetimes in
seconds: default routers, prefixes, addresses (deprecation, expiry);
``nd6_slowtimo`` recomputes ReachableTime every two hours (RFC 4861 6.3.4).
"""
from __future__ import annotations

from collections import OrderedDict, deque
from typing import TYPE_CHECKING, Any, Optional

from kernel.kern.kern_sysctl import SYSCTL_INT, SYSCTL_STRUCT
from kernel.kern.uipc_mbuf import M_MCAST, mbuf
from kernel.netinet6.in6_var import SEC, time_uptime
from kernel.wire import errno as bsd_errno
from kernel.wire.ethernet import ETHERTYPE
from kernel.wire.icmp6 import ICMP6_DST_UNREACH, ICMP6_DST_UNREACH_ADDR
from kernel.wire.in6 import (IN6_IS_ADDR_LINKLOCAL, IN6_IS_ADDR_MULTICAST, IN6_IS_ADDR_UNSPECIFIED,
                             inet_ntop6)
from kernel.wire.in6_var import (IN6_IFF_DUPLICATED, IN6_IFF_TENTATIVE, ND6_IFF_NO_DAD,
                                 ND6_IFF_ACCEPT_RTADV, ND6_IFF_AUTO_LINKLOCAL,
                                 ND6_IFF_IFDISABLED, ND6_IFF_PERFORMNUD, ND6_LLINFO_DELAY,
                                 ND6_LLINFO_INCOMPLETE, ND6_LLINFO_NOSTATE, ND6_LLINFO_PROBE,
                                 ND6_LLINFO_REACHABLE, ND6_LLINFO_STALE, nd_ifinfo)
from kernel.wire.nd6 import (ND_NEIGHBOR_SOLICIT, ND_REDIRECT, ND_ROUTER_ADVERT,
                             ND_ROUTER_SOLICIT, ND6_MAXNDOPT, NdOptError, nd6_options,
                             nd_opt_lladdr_of, nd_opts)
from kernel.wire.net_if import IFF, IFT

if TYPE_CHECKING:  # pragma: no cover
    from kernel.kern.init_main import Kernel

MS = 1_000_000

# -- RFC 4861 section 10: protocol constants --------------------------------------------
MAX_RTR_SOLICITATION_DELAY = 1          # seconds
RTR_SOLICITATION_INTERVAL = 4           # seconds
MAX_RTR_SOLICITATIONS = 3
MAX_MULTICAST_SOLICIT = 3
MAX_UNICAST_SOLICIT = 3
MAX_ANYCAST_DELAY_TIME = 1
MAX_NEIGHBOR_ADVERTISEMENT = 3
REACHABLE_TIME = 30000                  # milliseconds
RETRANS_TIMER = 1000                    # milliseconds
DELAY_FIRST_PROBE_TIME = 5              # seconds
MIN_RANDOM_FACTOR = 0.5
MAX_RANDOM_FACTOR = 1.5
MAX_REACHABLE_TIME = 3600000            # ms: an RA's Reachable Time above this is ignored

ND6_SLOWTIMER_INTERVAL = 60 * 60        # seconds: nd6_slowtimo
ND6_RECALC_REACHTM_INTERVAL = 60 * 120  # seconds: ReachableTime is recomputed this often
IPV6_DEFHLIM = 64
IPV6_MMTU = 1280

LLE_STATIC = 0x0002                     # a static entry (ndp -s): no timers, never freed by NUD
_IFF_LOOPBACK = int(IFF.LOOPBACK)
_IFT_ETHER = int(IFT.ETHER)
_ETHERTYPE_IPV6 = int(ETHERTYPE.IPV6)


class nd6stat:
    """ND counters beside icmp6stat: why each ND message or held packet was
    dropped, and what the state machines did.  (BSD counts the drops only in
    icmp6stat; kamebox also names the reason.)  sysctl net.inet6.icmp6.nd6_stats."""

    __slots__ = (
        # NS input (RFC 4861 7.1.1, 7.2.3)
        "nd6s_ns_badhlim", "nd6s_ns_badcode", "nd6s_ns_short", "nd6s_ns_mcasttgt",
        "nd6s_ns_baddad_dst", "nd6s_ns_baddad_sllao", "nd6s_ns_badlladdr", "nd6s_ns_badopt",
        "nd6s_ns_notours", "nd6s_ns_duplicated", "nd6s_ns_fromself", "nd6s_ns_tentative",
        # NA input (RFC 4861 7.1.2, 7.2.5)
        "nd6s_na_badhlim", "nd6s_na_badcode", "nd6s_na_short", "nd6s_na_mcasttgt",
        "nd6s_na_mcastsolicited", "nd6s_na_badlladdr", "nd6s_na_badopt", "nd6s_na_nocache",
        "nd6s_na_nolladdr", "nd6s_na_ours", "nd6s_na_loop",
        # RS/RA input (RFC 4861 6.1.1, 6.1.2, 6.3.4; RFC 4862 5.5.3)
        "nd6s_rs_ignored", "nd6s_ra_badsrc", "nd6s_ra_badhlim", "nd6s_ra_badcode",
        "nd6s_ra_short", "nd6s_ra_badlladdr", "nd6s_ra_badopt", "nd6s_ra_ignored",
        "nd6s_ra_lowhlim", "nd6s_pi_badlen", "nd6s_pi_linklocal", "nd6s_pi_mcast",
        "nd6s_pi_badlifetime", "nd6s_pi_badplen", "nd6s_pi_twohour", "nd6s_mtu_bad",
        "nd6s_ra_router",                   # an RA reached a router (RFC 4861 6.2.7: hosts only)
        # Route Information options (RFC 4191 2.3, 3.1)
        "nd6s_ri_badlen", "nd6s_ri_badpref", "nd6s_ri_ignored", "nd6s_ri_overflow",
        # Redirect input (RFC 4861 8.1)
        "nd6s_rd_badsrc", "nd6s_rd_badhlim", "nd6s_rd_badcode", "nd6s_rd_short",
        "nd6s_rd_badopt", "nd6s_rd_ignored", "nd6s_rd_notgw", "nd6s_rd_mcastdst",
        "nd6s_rd_badtgt", "nd6s_rd_badlladdr",
        # resolution and NUD
        "nd6s_toomanyopt", "nd6s_hold_overflow", "nd6s_hold_freed", "nd6s_resolve_failed",
        "nd6s_held_unreach",
        "nd6s_nud_failed", "nd6s_ns_nosrc", "nd6s_out_disabled", "nd6s_cache_overflow",
        "nd6s_out_noroute",
        # DAD (RFC 4862 5.4)
        "nd6s_dad_ok", "nd6s_dad_dup", "nd6s_dad_loopback",
        # lists
        "nd6s_dr_overflow", "nd6s_pr_overflow",
    )

    def __init__(self) -> None:
        for n in self.__slots__:
            setattr(self, n, 0)

    def as_dict(self) -> dict[str, int]:
        return {n: getattr(self, n) for n in self.__slots__}


def ND6STAT_INC(k: "Kernel", name: str) -> None:
    st = k.nd6stat
    setattr(st, name, getattr(st, name) + 1)


def ICMP6STAT_INC(k: "Kernel", name: str) -> None:
    """Bump ``icmp6stat.<name>`` (the IPv6 core's counters); a field it does
    not have is counted in ``k.stats`` so no drop goes uncounted."""
    st = getattr(k, "icmp6stat", None)
    if st is not None and hasattr(st, name):
        setattr(st, name, getattr(st, name) + 1)
    else:
        k.count(name)


def icmp6_outhist(k: "Kernel", icmp6type: int) -> None:
    st = getattr(k, "icmp6stat", None)
    hist = getattr(st, "icp6s_outhist", None) if st is not None else None
    if hist is not None:
        try:
            hist[icmp6type] += 1
        except (IndexError, KeyError, TypeError):
            pass


class llinfo_nd6:
    """One neighbor cache entry (``struct llinfo_nd6`` / FreeBSD's ``llentry``)."""

    __slots__ = ("ln_ifp", "ln_addr", "ln_lladdr", "ln_state", "ln_router", "ln_asked",
                 "ln_expire", "ln_hold", "ln_timer_ch", "ln_byhint", "ln_flags")

    def __init__(self, ifp: Any, addr: bytes) -> None:
        self.ln_ifp = ifp
        self.ln_addr = addr
        self.ln_lladdr: Optional[bytes] = None
        self.ln_state = ND6_LLINFO_NOSTATE
        self.ln_router = False
        self.ln_asked = 0
        self.ln_expire = 0                 # virtual ns when the timer fires; 0 = none
        self.ln_hold: deque = deque()      # packets awaiting resolution
        self.ln_timer_ch = ifp.kernel.callout()
        self.ln_byhint = 0
        self.ln_flags = 0

    def __repr__(self) -> str:
        from kernel.wire.in6 import inet_ntop6
        ll = self.ln_lladdr.hex(":") if self.ln_lladdr else "(incomplete)"
        return (f"<llinfo_nd6 {inet_ntop6(self.ln_addr)}%{self.ln_ifp.if_xname} {ll} "
                f"{ND6_LLINFO_NAMES.get(self.ln_state, self.ln_state)}>")


ND6_LLINFO_NAMES = {ND6_LLINFO_NOSTATE: "NOSTATE", ND6_LLINFO_INCOMPLETE: "INCOMPLETE",
                    ND6_LLINFO_REACHABLE: "REACHABLE", ND6_LLINFO_STALE: "STALE",
                    ND6_LLINFO_DELAY: "DELAY", ND6_LLINFO_PROBE: "PROBE"}


class nd6_state:
    """Everything nd6.c, nd6_nbr.c and nd6_rtr.c keep in globals, for one kernel."""

    def __init__(self) -> None:
        # sysctl net.inet6.icmp6.*
        self.nd6_prune = 1                  # seconds between nd6_timer runs
        self.nd6_delay = DELAY_FIRST_PROBE_TIME
        self.nd6_umaxtries = MAX_UNICAST_SOLICIT
        self.nd6_mmaxtries = MAX_MULTICAST_SOLICIT
        self.nd6_useloopback = 1
        self.nd6_gctimer = 60 * 60 * 24     # a STALE entry is freed after a day unused
        self.nd6_maxndopt = ND6_MAXNDOPT
        self.nd6_maxnudhint = 0
        # RFC 4861 7.2.2 "SHOULD ... queue ... at least one packet"; KAME and
        # FreeBSD held 1, kamebox holds up to 16 (settable, >= 1).
        self.nd6_maxqueuelen = 16
        self.nd6_debug = 0
        self.icmp6_rediraccept = 1          # net.inet6.icmp6.rediraccept
        # sysctl net.inet6.ip6.*
        self.ip6_dad_count = 1              # DupAddrDetectTransmits (RFC 4862 5.1)
        self.ip6_accept_rtadv = 0           # default of ND6_IFF_ACCEPT_RTADV for new interfaces
        self.ip6_auto_linklocal = 1
        self.ip6_dad_enhanced = 1           # RFC 7527 nonce in DAD NS
        self.ip6_neighborgcthresh = 2048    # neighbor cache bound
        self.ip6_maxifprefixes = 16
        self.ip6_maxifdefrouters = 16
        self.nd6_recalc_reachtm_interval = ND6_RECALC_REACHTM_INTERVAL
        # state
        self.llinfo: "OrderedDict[tuple[int, bytes], llinfo_nd6]" = OrderedDict()
        self.nd_ifinfo: dict[int, nd_ifinfo] = {}
        self.nd_defrouter: list[Any] = []   # nd6_rtr.nd_defrouter, best first
        self.nd_prefix: list[Any] = []      # nd6_rtr.nd_prefix
        self.dadq: list[Any] = []           # nd6_nbr.dadq
        self.nd6_timer_ch: Any = None
        self.nd6_slowtimo_ch: Any = None
        self.installed_defrouter: Any = None


def nd6_init(k: "Kernel") -> None:
    """SYSINIT: state, sysctl nodes, the periodic timers."""
    nd = nd6_state()
    k.nd6 = nd
    k.nd6stat = nd6stat()
    ic, ip = "net.inet6.icmp6.", "net.inet6.ip6."
    pos = (lambda v: v >= 0)
    one = (lambda v: v >= 1)
    for name, attr, descr, check in (
        (ic + "nd6_prune", "nd6_prune", "Frequency in seconds of checks for expired prefixes "
                                        "and routers", one),
        (ic + "nd6_delay", "nd6_delay", "Delay in seconds before the first NUD probe", pos),
        (ic + "nd6_umaxtries", "nd6_umaxtries", "Number of unicast NS probes", pos),
        (ic + "nd6_mmaxtries", "nd6_mmaxtries", "Number of multicast NS for resolution", pos),
        (ic + "nd6_useloopback", "nd6_useloopback", "Use loopback for local traffic", None),
        (ic + "nd6_gctimer", "nd6_gctimer", "Seconds a STALE entry lives unused", pos),
        (ic + "nd6_maxndopt", "nd6_maxndopt", "Max ND options walked per message", one),
        (ic + "nd6_maxnudhint", "nd6_maxnudhint", "Max upper-layer reachability hints", pos),
        (ic + "nd6_maxqueuelen", "nd6_maxqueuelen", "Max packets held per unresolved neighbor",
         one),
        (ic + "nd6_debug", "nd6_debug", "Log ND drops to the console", None),
        (ic + "rediraccept", "icmp6_rediraccept", "Accept ICMPv6 redirects", None),
        (ip + "dad_count", "ip6_dad_count", "Number of DAD NS to send", pos),
        (ip + "accept_rtadv", "ip6_accept_rtadv",
         "Default value of per-interface flag for accepting ICMPv6 RA messages", None),
        (ip + "auto_linklocal", "ip6_auto_linklocal",
         "Default value of per-interface flag for automatically adding a link-local address",
         None),
        (ip + "dad_enhanced", "ip6_dad_enhanced", "Enable Enhanced DAD (RFC 7527 nonce)", None),
        (ip + "neighborgcthresh", "ip6_neighborgcthresh", "Neighbor cache entries before purging",
         one),
        (ip + "maxifprefixes", "ip6_maxifprefixes", "Max prefixes from RAs per interface", pos),
        (ip + "maxifdefrouters", "ip6_maxifdefrouters", "Max default routers per interface", pos),
    ):
        SYSCTL_INT(k, name, nd, attr, descr, check=check)
    SYSCTL_STRUCT(k, ic + "nd6_stats", lambda: k.nd6stat, "ND statistics (kamebox)")
    from kernel.netinet6 import nd6_rtr
    nd6_rtr.nd6_rtr_sysctl_init(k)
    nd.nd6_timer_ch = k.callout()
    nd.nd6_timer_ch.callout_reset(k.hz, nd6_timer, k)
    nd.nd6_slowtimo_ch = k.callout()
    nd.nd6_slowtimo_ch.callout_reset(ND6_SLOWTIMER_INTERVAL * k.hz, nd6_slowtimo, k)


def nd6_log(k: "Kernel", msg: str) -> None:
    """nd6log(): to the console only with net.inet6.icmp6.nd6_debug set."""
    if k.nd6.nd6_debug:
        k.printf(msg)


# -- ND input: the checks and counts every message handler shares -----------------------------
# By the message part of an nd6stat reason (nd6s_<msg>_<why>): the icmp6stat counter BSD
# bumps at its "goto bad", the function named in the log, whether the log shows the destination.
_ND6_BAD = {"ns": ("icp6s_badns", "nd6_ns_input", True),
            "na": ("icp6s_badna", "nd6_na_input", True),
            "ra": ("icp6s_badra", "nd6_ra_input", False),
            "rd": ("icp6s_badredirect", "icmp6_redirect_input", False)}


def nd6_input_bad(k: "Kernel", m: mbuf, reason: str) -> None:
    """Drop an invalid NS, NA, RA or Redirect (KAME's ``bad:`` label): count
    it in icmp6stat as BSD does (``icp6s_badns`` ...) and in nd6stat under
    ``reason`` (``nd6s_ns_badhlim`` ...), and log it with its addresses."""
    stat, fn, withdst = _ND6_BAD[reason[5:7]]
    ICMP6STAT_INC(k, stat)
    ND6STAT_INC(k, reason)
    b, o = m.buf, m.off
    src = inet_ntop6(bytes(b[o + 8:o + 24]))
    if withdst:
        nd6_log(k, f"{fn}: {reason[5:]} src={src} dst={inet_ntop6(bytes(b[o + 24:o + 40]))}\n")
    else:
        nd6_log(k, f"{fn}: {reason[5:]} from {src}\n")


def nd6_input_check(m: mbuf, off: int, icmp6len: int, minlen: int,
                    llsrc: bool = False) -> Optional[str]:
    """The validity checks every ND message begins with, in this order (RFC
    4861 6.1.1, 6.1.2, 7.1.1, 7.1.2 and 8.1 list them alike): the name of
    the first that fails (``"badsrc"``, ``"badhlim"``, ``"short"``,
    ``"badcode"``) or None, after which the ``minlen`` octets of the
    message's fixed part at ``off`` may be unpacked.  ``llsrc``: a message
    from a router (RA, Redirect) must come from a link-local address."""
    b, o = m.buf, m.off
    # RFC 4861 6.1.2, 8.1: "IP Source Address is a link-local address."
    if llsrc and not IN6_IS_ADDR_LINKLOCAL(bytes(b[o + 8:o + 24])):
        return "badsrc"
    # "The IP Hop Limit field has a value of 255, i.e., the packet could not
    # possibly have been forwarded by a router."
    if b[o + 7] != 255:
        return "badhlim"
    # "ICMP length (derived from the IP length) is <minlen> or more octets."
    if icmp6len < minlen or off + icmp6len > m.m_len:
        return "short"
    # "ICMP Code is 0."
    if b[o + off + 1] != 0:
        return "badcode"
    return None


def nd6_input_options(k: "Kernel", m: mbuf, off: int, icmp6len: int,
                      minlen: int) -> Optional[nd_opts]:
    """The options of the ND message at ``off``, after its ``minlen`` octets
    of fixed part, sorted by type (KAME ``nd6_option_init`` + ``nd6_options``).

    None when the message must be dropped: RFC 4861 6.1/7.1/8.1 "All included
    options have a length that is greater than zero" (and RFC 4861 4.6: "Nodes
    MUST silently discard an ND packet that contains an option with length
    zero"), or an option runs past the end; counted in ``icp6s_nd_badopt``
    here, as FreeBSD's nd6_options does — the caller counts the bad message.
    More than ``nd6_maxndopt`` options: the rest are ignored, and counted in
    ``icp6s_nd_toomanyopt`` and ``nd6s_toomanyopt`` (for every ND message, as
    FreeBSD's nd6_options does).
    """
    base = m.off + off
    try:
        ndopts = nd6_options(m.buf, base + minlen, base + icmp6len, k.nd6.nd6_maxndopt)
    except NdOptError:
        ICMP6STAT_INC(k, "icp6s_nd_badopt")
        return None
    if ndopts.toomany:
        ICMP6STAT_INC(k, "icp6s_nd_toomanyopt")
        ND6STAT_INC(k, "nd6s_toomanyopt")
    return ndopts


def nd6_opt_lladdr(ifp: Any, raw: Optional[bytes]) -> Optional[bytes]:
    """The address in a source/target link-layer address option (``raw``, as
    :func:`nd6_input_options` found it), or None: no option, or one whose
    length does not fit the addresses of ``ifp`` (KAME's "lladdrlen mismatch";
    RFC 4861 4.6.1, RFC 2464 8 for Ethernet) — the caller drops the message."""
    if raw is None:
        return None
    return nd_opt_lladdr_of(raw, len(ifp.if_addr) or 6)


# -- per-interface ND parameters ---------------------------------------------------------
def ND_COMPUTE_RTIME(k: "Kernel", basereachable_ms: int) -> int:
    """RFC 4861 6.3.2: ReachableTime is a uniformly distributed random value
    between MIN_RANDOM_FACTOR and MAX_RANDOM_FACTOR times BaseReachableTime.
    Returned in seconds, as FreeBSD keeps ``nd_ifinfo.reachable``."""
    lo = basereachable_ms // 2
    ms = lo + k.platform.rng.randrange(basereachable_ms + 1)
    return max(1, (ms + 500) // 1000) if basereachable_ms else 0


def nd6_ifattach(ifp: Any) -> nd_ifinfo:
    """Create the ND parameters of an interface (nd6_ifattach)."""
    k = ifp.kernel
    nd = k.nd6
    ndi = nd_ifinfo()
    ndi.initialized = 1
    ndi.chlim = IPV6_DEFHLIM
    ndi.basereachable = REACHABLE_TIME
    ndi.reachable = ND_COMPUTE_RTIME(k, ndi.basereachable)
    ndi.retrans = RETRANS_TIMER
    ndi.flags = ND6_IFF_PERFORMNUD
    # A loopback interface always has ND6_IFF_AUTO_LINKLOCAL, and never accepts RAs.
    loop = bool(ifp.if_flags & IFF.LOOPBACK)
    if nd.ip6_auto_linklocal or loop:
        ndi.flags |= ND6_IFF_AUTO_LINKLOCAL
    if nd.ip6_accept_rtadv and not loop:
        ndi.flags |= ND6_IFF_ACCEPT_RTADV
    ndi.maxmtu = ifp.if_mtu
    ndi.recalctm = nd.nd6_recalc_reachtm_interval
    nd.nd_ifinfo[ifp.if_index] = ndi
    return ndi


def ND_IFINFO(ifp: Any) -> nd_ifinfo:
    """The ND parameters of ``ifp`` (created on first use)."""
    ndi = ifp.kernel.nd6.nd_ifinfo.get(ifp.if_index)
    if ndi is None:
        ndi = nd6_ifattach(ifp)
    return ndi


def IN6_LINKMTU(ifp: Any) -> int:
    """The link MTU for IPv6: an RA's MTU option if one was accepted, else the
    interface MTU (FreeBSD ``in6_ifmtu``/``IN6_LINKMTU``)."""
    ndi = ifp.kernel.nd6.nd_ifinfo.get(ifp.if_index) if hasattr(ifp.kernel, "nd6") else None
    if ndi is not None and ndi.linkmtu and ndi.linkmtu < ifp.if_mtu:
        return ndi.linkmtu
    return ifp.if_mtu


def nd6_ifdisabled(ifp: Any) -> bool:
    """True when IPv6 is disabled on ``ifp`` (RFC 4862 5.4.5 after a duplicate
    link-local, or by the administrator): ip6_input drops, nd6_output_ifp refuses."""
    ndi = ifp.kernel.nd6.nd_ifinfo.get(ifp.if_index)
    return ndi is not None and bool(ndi.flags & ND6_IFF_IFDISABLED)


def nd6_setmtu(ifp: Any) -> None:
    ndi = ND_IFINFO(ifp)
    ndi.maxmtu = ifp.if_mtu
    if ndi.linkmtu > ndi.maxmtu:
        ndi.linkmtu = 0


def nd6_need_cache(ifp: Any) -> bool:
    """Interfaces with link-layer addresses resolve neighbors; loopback and
    tunnels do not (nd6_need_cache)."""
    return ifp.if_type == IFT.ETHER and not (ifp.if_flags & IFF.LOOPBACK)


# -- the neighbor cache --------------------------------------------------------------------
def nd6_lookup(ifp: Any, addr: bytes) -> Optional[llinfo_nd6]:
    return ifp.kernel.nd6.llinfo.get((ifp.if_index, addr))


def nd6_alloc(ifp: Any, addr: bytes) -> llinfo_nd6:
    """A new NOSTATE entry; purges the least recently used entry when the cache
    is at ``ip6_neighborgcthresh`` (KAME's neighbor GC)."""
    k = ifp.kernel
    nd = k.nd6
    while len(nd.llinfo) >= nd.ip6_neighborgcthresh:
        victim = None
        for ln in nd.llinfo.values():              # oldest first; spare static entries
            if not ln.ln_flags & LLE_STATIC:
                victim = ln
                break
        if victim is None:
            break
        ND6STAT_INC(k, "nd6s_cache_overflow")
        ICMP6STAT_INC(k, "icp6s_overflownndp")
        nd6_free(victim)
    ln = llinfo_nd6(ifp, bytes(addr))
    nd.llinfo[(ifp.if_index, ln.ln_addr)] = ln
    return ln


def nd6_llinfo_settimer(ln: llinfo_nd6, ns: int) -> None:
    """Arm the entry's timer ``ns`` nanoseconds from now; negative stops it."""
    if ns < 0:
        ln.ln_expire = 0
        ln.ln_timer_ch.callout_stop()
        return
    k = ln.ln_ifp.kernel
    ln.ln_expire = k.now() + ns
    ln.ln_timer_ch.callout_reset_ns(ns, nd6_llinfo_timer, ln)


def nd6_free(ln: llinfo_nd6) -> None:
    """Remove an entry: stop its timer, drop what it held, and if it was a
    router, let another default router be chosen (nd6_free)."""
    ifp = ln.ln_ifp
    k = ifp.kernel
    nd = k.nd6
    ln.ln_timer_ch.callout_stop()
    ln.ln_expire = 0
    if ln.ln_hold:
        k.nd6stat.nd6s_hold_freed += len(ln.ln_hold)
        ln.ln_hold.clear()
    if nd.llinfo.get((ifp.if_index, ln.ln_addr)) is ln:
        del nd.llinfo[(ifp.if_index, ln.ln_addr)]
    ln.ln_state = ND6_LLINFO_NOSTATE
    from kernel.netinet6 import nd6_rtr
    dr = nd6_rtr.defrouter_lookup(k, ln.ln_addr, ifp)
    if dr is not None or ln.ln_router:
        # The neighbor may still be a next hop: routes through it are flushed
        # and the default router chosen again (RFC 4861 6.3.6, 7.3.3).
        nd6_rtr.rt6_flush(k, ln.ln_addr, ifp)
        if dr is not None:
            nd6_rtr.defrouter_select(k)


def nd6_purge(ifp: Any) -> None:
    """Forget everything ND knows about ``ifp`` (interface down or detach)."""
    k = ifp.kernel
    for ln in [ln for ln in k.nd6.llinfo.values() if ln.ln_ifp is ifp]:
        nd6_free(ln)
    from kernel.netinet6 import nd6_rtr
    nd6_rtr.nd6_rtr_purge(k, ifp)


def nd6_is_addr_neighbor(ifp: Any, addr: bytes) -> bool:
    """Is ``addr`` a neighbor on the link of ``ifp`` (nd6_is_addr_neighbor)?
    A link-local address (its zone is ``ifp``), an address in the neighbor
    cache of ``ifp``, or one that an on-link (interface) route puts on ``ifp``."""
    if IN6_IS_ADDR_LINKLOCAL(addr):
        return True
    if nd6_lookup(ifp, addr) is not None:
        return True
    k = ifp.kernel
    if getattr(k, "rt", None) is None:
        return False
    from kernel.net.route import rtalloc1
    from kernel.wire.route import RTF_GATEWAY, RTF_LOCAL, RTF_REJECT, RTF_BLACKHOLE
    rt = rtalloc1(k, addr, 0)
    return (rt is not None and rt.rt_ifp is ifp
            and not rt.rt_flags & (RTF_GATEWAY | RTF_LOCAL | RTF_REJECT | RTF_BLACKHOLE))


def nd6_is_reachable(ln: Optional[llinfo_nd6]) -> bool:
    """Known link-layer address (REACHABLE, STALE, DELAY, PROBE): RFC 4861 6.3.6
    "known to be reachable or probably reachable"."""
    return ln is not None and ln.ln_state > ND6_LLINFO_INCOMPLETE and ln.ln_lladdr is not None


def nd6_llinfo_timer(ln: llinfo_nd6) -> None:
    """The per-entry state machine (RFC 4861 7.3.3 / appendix C)."""
    ifp = ln.ln_ifp
    k = ifp.kernel
    nd = k.nd6
    ndi = ND_IFINFO(ifp)
    ln.ln_expire = 0
    from kernel.netinet6 import nd6_nbr
    state = ln.ln_state
    if state == ND6_LLINFO_INCOMPLETE:
        if ln.ln_asked < nd.nd6_mmaxtries:
            ln.ln_asked += 1
            nd6_llinfo_settimer(ln, ndi.retrans * MS)
            nd6_nbr.nd6_ns_output(ifp, None, ln.ln_addr, ln, None)
            return
        # RFC 4861 7.2.2: "If no Neighbor Advertisement is received after
        # MAX_MULTICAST_SOLICIT solicitations, address resolution has failed.
        # The sender MUST return ICMP destination unreachable indications with
        # code 3 (Address Unreachable) for each packet queued awaiting address
        # resolution."
        held = list(ln.ln_hold)
        ln.ln_hold.clear()
        ND6STAT_INC(k, "nd6s_resolve_failed")
        nd6_free(ln)
        for m in held:
            nd6_icmp6_unreach(k, m, ifp)
        return
    if state == ND6_LLINFO_REACHABLE:
        # RFC 4861 7.3.3: "When ReachableTime milliseconds have passed since
        # receipt of the last reachability confirmation ... the state changes
        # to STALE."
        if not ln.ln_flags & LLE_STATIC:
            ln.ln_state = ND6_LLINFO_STALE
            nd6_llinfo_settimer(ln, nd.nd6_gctimer * SEC)
        return
    if state == ND6_LLINFO_STALE:
        # Unused for nd6_gctimer: garbage — except an active default router,
        # whose entry lives as long as the router does (FreeBSD nd6_free).
        from kernel.netinet6 import nd6_rtr
        dr = nd6_rtr.defrouter_lookup(k, ln.ln_addr, ifp)
        now = time_uptime(k)
        if dr is not None and dr.expire > now:
            nd6_llinfo_settimer(ln, (dr.expire - now) * SEC)
            return
        nd6_free(ln)
        return
    if state == ND6_LLINFO_DELAY:
        if ndi.flags & ND6_IFF_PERFORMNUD:
            # RFC 4861 7.3.3: "If the entry is still in the DELAY state when the
            # timer expires, the entry's state changes to PROBE."
            ln.ln_state = ND6_LLINFO_PROBE
            ln.ln_asked = 1
            nd6_llinfo_settimer(ln, ndi.retrans * MS)
            nd6_nbr.nd6_ns_output(ifp, ln.ln_addr, ln.ln_addr, ln, None)
        else:
            ln.ln_state = ND6_LLINFO_STALE
            nd6_llinfo_settimer(ln, nd.nd6_gctimer * SEC)
        return
    if state == ND6_LLINFO_PROBE:
        if ln.ln_asked < nd.nd6_umaxtries:
            ln.ln_asked += 1
            nd6_llinfo_settimer(ln, ndi.retrans * MS)
            nd6_nbr.nd6_ns_output(ifp, ln.ln_addr, ln.ln_addr, ln, None)
            return
        # RFC 4861 7.3.3: "If no response is received after waiting RetransTimer
        # milliseconds after sending the MAX_UNICAST_SOLICIT solicitations,
        # retransmissions cease and the entry SHOULD be deleted."
        ND6STAT_INC(k, "nd6s_nud_failed")
        nd6_free(ln)
        return


def nd6_icmp6_unreach(k: "Kernel", m: mbuf, ifp: Any) -> None:
    """ICMPv6 Destination Unreachable, code 3 (address unreachable), for a
    packet that could not be delivered (through the IPv6 core's icmp6_error)."""
    ND6STAT_INC(k, "nd6s_held_unreach")
    if m.rcvif is None:
        m.rcvif = ifp                  # FreeBSD: "XXX" icmp6_error needs an interface
    from kernel.netinet6 import icmp6
    icmp6.icmp6_error(k, m, ICMP6_DST_UNREACH, ICMP6_DST_UNREACH_ADDR, 0)


# -- output: address resolution ------------------------------------------------------------
def nd6_output_ifp(ifp: Any, origifp: Any, m: mbuf, dst: bytes) -> int:
    """Hand ``m`` (an IPv6 packet to next hop ``dst``) to the link layer of
    ``ifp``, resolving ``dst`` first (nd6_output / nd6_resolve).  Returns 0 or
    an errno; a packet waiting for resolution returns 0 (held)."""
    k = ifp.kernel
    ndi = k.nd6.nd_ifinfo.get(ifp.if_index)
    if ndi is not None and ndi.flags & ND6_IFF_IFDISABLED:
        # discard the packet if IPv6 operation is disabled on the interface
        ND6STAT_INC(k, "nd6s_out_disabled")
        return bsd_errno.ENETDOWN
    if ifp.if_flags & _IFF_LOOPBACK:
        # To one of our own addresses: lo0's output, with the interface the
        # address belongs to, so that the packet comes in there (FreeBSD).
        return ifp.if_output(origifp if origifp is not None else ifp, m, dst, _ETHERTYPE_IPV6)
    ether = ifp.if_type == _IFT_ETHER
    if dst[0] == 0xFF:
        # RFC 2464 7: multicast maps to 33:33:xx:xx:xx:xx, no resolution.
        m.m_flags |= M_MCAST
        return ifp.if_output(ifp, m, b"\x33\x33" + dst[12:16] if ether else dst, _ETHERTYPE_IPV6)
    if not ether:
        return ifp.if_output(ifp, m, dst, _ETHERTYPE_IPV6)   # nd6_need_cache: no
    err, lladdr = nd6_resolve(ifp, m, dst)
    if lladdr is None:
        return err
    return ifp.if_output(ifp, m, lladdr, _ETHERTYPE_IPV6)


def nd6_resolve(ifp: Any, m: mbuf, dst: bytes) -> tuple[int, Optional[bytes]]:
    """``(0, lladdr)`` to send now, or ``(err, None)`` when ``m`` was held (0)
    or dropped.  RFC 4861 7.2.2 and 7.3.3 on the sending side."""
    k = ifp.kernel
    nd = k.nd6
    key = (ifp.if_index, dst)
    ln = nd.llinfo.get(key)
    if ln is not None:
        nd.llinfo.move_to_end(key)                  # LRU order
        state = ln.ln_state
        if state == ND6_LLINFO_REACHABLE or state == ND6_LLINFO_DELAY or state == ND6_LLINFO_PROBE:
            return 0, ln.ln_lladdr
        if state == ND6_LLINFO_STALE:
            # RFC 4861 7.3.3: "The first time a node sends a packet to a
            # neighbor whose entry is STALE, the sender changes the state to
            # DELAY and sets a timer to expire in DELAY_FIRST_PROBE_TIME seconds."
            ln.ln_asked = 0
            ln.ln_state = ND6_LLINFO_DELAY
            nd6_llinfo_settimer(ln, nd.nd6_delay * SEC)
            return 0, ln.ln_lladdr
    else:
        ln = nd6_alloc(ifp, dst)
    # No link-layer address yet (NOSTATE or INCOMPLETE): queue the packet.
    # RFC 4861 7.2.2: "While waiting for address resolution to complete, the
    # sender MUST, for each neighbor, retain a small queue of packets waiting
    # for address resolution to complete. ... If the queue overflows, the new
    # arrival SHOULD replace the oldest entry."
    if ln.ln_state == ND6_LLINFO_NOSTATE:
        ln.ln_state = ND6_LLINFO_INCOMPLETE
    ln.ln_hold.append(m)
    while len(ln.ln_hold) > max(1, nd.nd6_maxqueuelen):
        ln.ln_hold.popleft()
        ND6STAT_INC(k, "nd6s_hold_overflow")
    # RFC 4861 7.2.2: "... the sender sends a Neighbor Solicitation" — once
    # here; nd6_llinfo_timer retransmits every RetransTimer.
    if ln.ln_asked == 0 and ln.ln_expire == 0:
        ln.ln_asked = 1
        nd6_llinfo_settimer(ln, ND_IFINFO(ifp).retrans * MS)
        from kernel.netinet6 import nd6_nbr
        nd6_nbr.nd6_ns_output(ifp, None, dst, ln, None)
    return 0, None


def nd6_flush_hold(ln: llinfo_nd6) -> None:
    """Send what waited for ``ln``'s link-layer address."""
    if not ln.ln_hold:
        return
    held = list(ln.ln_hold)
    ln.ln_hold.clear()
    for m in held:
        nd6_output_ifp(ln.ln_ifp, ln.ln_ifp, m, ln.ln_addr)


def nd6_nud_hint(k: "Kernel", dst: bytes, ifp: Any, force: bool = False) -> None:
    """Upper-layer reachability confirmation (TCP ACKs): RFC 4861 7.3.1
    "positive confirmation ... from upper-layer protocols"."""
    ln = nd6_lookup(ifp, dst)
    if ln is None or ln.ln_state < ND6_LLINFO_REACHABLE:
        return
    if not force:
        ln.ln_byhint += 1
        if ln.ln_byhint > k.nd6.nd6_maxnudhint:
            return
    ln.ln_state = ND6_LLINFO_REACHABLE
    if not ln.ln_flags & LLE_STATIC:
        nd6_llinfo_settimer(ln, ND_IFINFO(ifp).reachable * SEC)


# -- learning link-layer addresses from ND messages ----------------------------------------
ND_REDIRECT_ONLINK = 0
ND_REDIRECT_ROUTER = 1


def nd6_cache_lladdr(ifp: Any, frm: bytes, lladdr: Optional[bytes], icmp6type: int,
                     code: int = 0) -> Optional[llinfo_nd6]:
    """Create or update the entry of ``frm`` from an NS, RS, RA or Redirect
    carrying a link-layer address (RFC 4861 7.3.3 and 6.2.6, 6.3.4, 8.3).

    The state of the entry, as KAME's table::

        newentry olladdr  lladdr  llchange     (*=record)
            0       n       n       --      (1)
            0       y       n       --      (2)
            0       n       y       --      (3) * STALE
            0       y       y       n       (4) *
            0       y       y       y       (5) * STALE
            1       --      n       --      (6)   NOSTATE(= PASSIVE)
            1       --      y       --      (7) * STALE

    (6) creates nothing here: without a link-layer address there is nothing to
    cache (RFC 4861 7.2.3 creates an entry only "if ... the solicitation
    includes a Source Link-Layer Address option").

    IsRouter, by message type (c = clear, s = set)::

        newentry olladdr  lladdr  llchange      NS  RS  RA  redir
                                                            D R
            0       n       n       --   (1)     c   ?   s
            0       y       n       --   (2)     c   s   s
            0       n       y       --   (3)     c   s   s
            0       y       y       n    (4)     c   s   s
            0       y       y       y    (5)     c   s   s
            1       --      n       --   (6) c   c       c s
            1       --      y       --   (7) c   c   s   c s
    """
    k = ifp.kernel
    if IN6_IS_ADDR_UNSPECIFIED(frm) or IN6_IS_ADDR_MULTICAST(frm):
        return None
    ln = nd6_lookup(ifp, frm)
    is_newentry = ln is None
    if ln is None:
        if lladdr is None:
            return None                                     # (6)
        ln = nd6_alloc(ifp, frm)
    if ln.ln_flags & LLE_STATIC:
        return ln                                           # ndp -s entries are not learned over
    olladdr = ln.ln_lladdr is not None
    llchange = olladdr and lladdr is not None and lladdr != ln.ln_lladdr
    do_update = False
    if lladdr is not None:
        do_update = is_newentry or not olladdr or llchange  # (3) (5) (7)
        ln.ln_lladdr = bytes(lladdr)                        # (3) (4) (5) (7): record
    if do_update:
        # RFC 4861 7.2.3 / 7.3.3: "If a Neighbor Cache entry is created, the
        # IsRouter flag SHOULD be set to FALSE ... its reachability state MUST
        # be set to STALE" ; "if ... different from the cached one, ... STALE".
        ln.ln_state = ND6_LLINFO_STALE
        ln.ln_asked = 0
        nd6_llinfo_settimer(ln, k.nd6.nd6_gctimer * SEC)
        # Packets queued for the neighbor go now (which moves it to DELAY).
        nd6_flush_hold(ln)

    if icmp6type in (ND_NEIGHBOR_SOLICIT,):
        if is_newentry:
            ln.ln_router = False
    elif icmp6type == ND_ROUTER_SOLICIT:
        ln.ln_router = False                                # RFC 4861 6.2.6
    elif icmp6type == ND_REDIRECT:
        if code == ND_REDIRECT_ROUTER:
            ln.ln_router = True
        elif is_newentry:
            ln.ln_router = False
    elif icmp6type == ND_ROUTER_ADVERT:
        # RFC 4861 6.3.4: the sender of an RA is a router.  Case (1) with no
        # link-layer address at all stays as it was.
        if (not is_newentry and (olladdr or lladdr is not None)) or lladdr is not None:
            ln.ln_router = True

    if do_update and ln.ln_router and icmp6type in (ND_ROUTER_ADVERT, ND_REDIRECT):
        # The router's link-layer address changed or it became reachable:
        # choose the default router again.
        from kernel.netinet6 import nd6_rtr
        nd6_rtr.defrouter_select(k)
    return ln


# -- periodic work -------------------------------------------------------------------------
def nd6_timer(k: "Kernel") -> None:
    """Every nd6_prune seconds: expire default routers, addresses and prefixes."""
    nd = k.nd6
    nd.nd6_timer_ch.callout_reset(max(1, nd.nd6_prune) * k.hz, nd6_timer, k)
    from kernel.netinet6 import in6, nd6_rtr
    now = time_uptime(k)
    nd6_rtr.defrouter_expire(k, now)
    nd6_rtr.rtinfo_expire(k, now)
    in6.in6_ifaddr_lifetimes(k, now)
    nd6_rtr.prelist_expire(k, now)


def nd6_slowtimo(k: "Kernel") -> None:
    """RFC 4861 6.3.4: ReachableTime is recomputed "at least every few hours"
    even without RAs changing BaseReachableTime."""
    nd = k.nd6
    nd.nd6_slowtimo_ch.callout_reset(ND6_SLOWTIMER_INTERVAL * k.hz, nd6_slowtimo, k)
    for ndi in nd.nd_ifinfo.values():
        if not ndi.basereachable:
            continue
        ndi.recalctm -= ND6_SLOWTIMER_INTERVAL
        if ndi.recalctm <= 0:
            ndi.recalctm = nd.nd6_recalc_reachtm_interval
            ndi.reachable = ND_COMPUTE_RTIME(k, ndi.basereachable)


# -- administration (ndp) ------------------------------------------------------------------
def nd6_flush(k: "Kernel", ifp: Any = None) -> None:
    """SIOCSNDFLUSH_IN6 (``ndp -c``): free every dynamic entry (of ``ifp``)."""
    for ln in list(k.nd6.llinfo.values()):
        if (ifp is None or ln.ln_ifp is ifp) and not ln.ln_flags & LLE_STATIC:
            nd6_free(ln)


def nd6_entries(k: "Kernel") -> list[llinfo_nd6]:
    """The neighbor cache, oldest first (``ndp -a``)."""
    return list(k.nd6.llinfo.values())


def nd6_add_static(ifp: Any, addr: bytes, lladdr: bytes) -> llinfo_nd6:
    """A permanent entry (``ndp -s``): REACHABLE, no timer."""
    ln = nd6_lookup(ifp, addr) or nd6_alloc(ifp, addr)
    ln.ln_timer_ch.callout_stop()
    ln.ln_expire = 0
    ln.ln_lladdr = bytes(lladdr)
    ln.ln_state = ND6_LLINFO_REACHABLE
    ln.ln_flags |= LLE_STATIC
    nd6_flush_hold(ln)
    return ln


# -- ioctls (nd6_ioctl) ---------------------------------------------------------------------
from kernel.wire.in6_var import (DRLSTSIZ, PRLSTSIZ, SIOCGDRLST_IN6, SIOCGIFINFO_IN6,  # noqa: E402
                                 SIOCGNBRINFO_IN6, SIOCGPRLST_IN6, SIOCSIFINFO_FLAGS,
                                 SIOCSIFINFO_IN6, SIOCSNDFLUSH_IN6, SIOCSPFXFLUSH_IN6,
                                 SIOCSRTRFLUSH_IN6)

ND6_IOCTLS = frozenset((SIOCGIFINFO_IN6, SIOCSIFINFO_IN6, SIOCSIFINFO_FLAGS, SIOCGNBRINFO_IN6,
                        SIOCSNDFLUSH_IN6, SIOCSPFXFLUSH_IN6, SIOCSRTRFLUSH_IN6, SIOCGDRLST_IN6,
                        SIOCGPRLST_IN6))


def _ioctl_ifp(k: "Kernel", data: Any, ifp: Any) -> Any:
    if ifp is not None:
        return ifp
    name = getattr(data, "ifname", None) or getattr(data, "ifr_name", None) or ""
    return k.ifunit(name) if name else None


def nd6_ioctl(k: "Kernel", cmd: int, data: Any, ifp: Any) -> int:
    """The ND ioctls ``ndp`` uses (nd6.c ``nd6_ioctl``); returns a BSD errno.

    SIOCSNDFLUSH_IN6 flushes the neighbor cache of the named interface (all
    interfaces with an empty name): ``ndp -c``.  (FreeBSD's ndp deletes the
    entries one by one through the routing socket, and its SIOCSNDFLUSH_IN6
    resets the default router; kamebox's cache is not in the routing table.)
    """
    import copy
    from kernel.netinet6 import in6, in6_ifattach, nd6_rtr
    if cmd == SIOCGDRLST_IN6:
        data.defrouter = nd6_rtr.defrouter_list(k)[:DRLSTSIZ]
        return 0
    if cmd == SIOCGPRLST_IN6:
        data.prefix = nd6_rtr.prefix_list(k)[:PRLSTSIZ]
        return 0
    if cmd == SIOCSRTRFLUSH_IN6:
        # flush all the default routers
        for dr in list(k.nd6.nd_defrouter):
            nd6_rtr.defrtrlist_del(k, dr)
        return 0
    if cmd == SIOCSPFXFLUSH_IN6:
        # flush all the prefixes advertised by routers, and their addresses
        for pr in list(k.nd6.nd_prefix):
            for ia in in6.in6_ifaddrs(k, pr.ndpr_ifp):
                if ia.ia6_ndpr is pr:
                    in6.in6_purgeaddr(ia)
            nd6_rtr.prelist_remove(k, pr)
            if pr in k.nd6.nd_prefix:
                k.nd6.nd_prefix.remove(pr)
        return 0
    ifp = _ioctl_ifp(k, data, ifp)
    if cmd == SIOCSNDFLUSH_IN6:
        nd6_flush(k, ifp)
        return 0
    if ifp is None:
        return bsd_errno.ENXIO
    ndi = ND_IFINFO(ifp)
    if cmd == SIOCGIFINFO_IN6:
        data.ndi = copy.copy(ndi)
        return 0
    if cmd == SIOCGNBRINFO_IN6:
        ln = nd6_lookup(ifp, bytes(data.addr))
        if ln is None:
            return bsd_errno.EINVAL
        data.asked = ln.ln_asked
        data.isrouter = int(ln.ln_router)
        data.state = ln.ln_state
        data.expire = ln.ln_expire // SEC if ln.ln_expire else 0
        return 0
    if cmd in (SIOCSIFINFO_IN6, SIOCSIFINFO_FLAGS):
        new = data.ndi
        if cmd == SIOCSIFINFO_IN6:
            # 0 means "unspecified"
            if new.linkmtu:
                if new.linkmtu < IPV6_MMTU or new.linkmtu > IN6_LINKMTU(ifp):
                    return bsd_errno.EINVAL
                ndi.linkmtu = new.linkmtu
            if new.basereachable and new.basereachable != ndi.basereachable:
                ndi.basereachable = new.basereachable
                ndi.reachable = ND_COMPUTE_RTIME(k, new.basereachable)
            if new.retrans:
                ndi.retrans = new.retrans
            if new.chlim:
                ndi.chlim = new.chlim
        flags = new.flags
        if ndi.flags & ND6_IFF_IFDISABLED and not flags & ND6_IFF_IFDISABLED:
            # ifdisabled 1->0.  RFC 4862 5.4.5: an interface whose link-local
            # address is a duplicate stays disabled.
            if any(IN6_IS_ADDR_LINKLOCAL(ia.ia_addr) and ia.ia6_flags & IN6_IFF_DUPLICATED
                   for ia in in6.in6_ifaddrs(k, ifp)):
                flags |= ND6_IFF_IFDISABLED
                k.printf("Cannot enable an interface with a link-local address marked duplicate.\n")
            else:
                ndi.flags &= ~ND6_IFF_IFDISABLED
                if ifp.if_flags & IFF.UP:
                    ndi.flags = (ndi.flags & ND6_IFF_IFDISABLED) | (flags & ~ND6_IFF_IFDISABLED)
                    in6.in6_if_up(ifp)
        elif not ndi.flags & ND6_IFF_IFDISABLED and flags & ND6_IFF_IFDISABLED:
            # ifdisabled 0->1: every address becomes tentative (DAD again later)
            if k.nd6.ip6_dad_count > 0 and not ndi.flags & ND6_IFF_NO_DAD:
                for ia in in6.in6_ifaddrs(k, ifp):
                    ia.ia6_flags |= IN6_IFF_TENTATIVE
        if flags & ND6_IFF_AUTO_LINKLOCAL and not flags & ND6_IFF_IFDISABLED:
            if not ndi.flags & ND6_IFF_AUTO_LINKLOCAL or in6.in6ifa_ifpforlinklocal(ifp) is None:
                ndi.flags = flags
                if ifp.if_flags & IFF.UP:
                    in6_ifattach.in6_ifattach(ifp)
        ndi.flags = flags
        return 0
    return bsd_errno.EOPNOTSUPP


__all__ = ["nd6_init", "nd6_output_ifp", "nd6_resolve", "nd6_cache_lladdr", "nd6_lookup",
           "nd6_alloc", "nd6_free", "nd6_timer", "nd6_slowtimo", "nd6_nud_hint", "ND_IFINFO",
           "IN6_LINKMTU", "nd6_ifdisabled", "llinfo_nd6", "nd6stat", "nd6_state",
           "ND_COMPUTE_RTIME", "ND_REDIRECT_ONLINK", "ND_REDIRECT_ROUTER", "nd6_ioctl",
           "nd6_entries", "nd6_add_static", "nd6_flush", "nd6_is_addr_neighbor"]
