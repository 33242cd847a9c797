"""IPv4 multicast memberships with source filters; the RFC 3678 socket API (sys/netinet/in_mcast.c).

Three layers, as in FreeBSD 8's in_mcast.c (in6_mcast.c is its IPv6 twin
and uses the family-independent parts of this module):

- **Per socket** (``ip_moptions.imo_membership``): one ``in_mship`` per
  (group, interface) the socket joined, holding the socket's filter
  (``in_mfilter``: a filter mode, INCLUDE or EXCLUDE, and a source list,
  bounded by ``net.inet.ip.mcast.maxsocksrc``).  The options of RFC 3678 and
  RFC 3493 change it: IP_ADD_MEMBERSHIP/IP_DROP_MEMBERSHIP and
  MCAST_JOIN_GROUP/MCAST_LEAVE_GROUP (any-source: EXCLUDE {}),
  IP_ADD_SOURCE_MEMBERSHIP/MCAST_JOIN_SOURCE_GROUP (INCLUDE, one more
  source), IP_BLOCK_SOURCE/MCAST_BLOCK_SOURCE (EXCLUDE, one more source),
  and IP_MSFILTER, the kernel side of setsourcefilter(3) (RFC 3678 5.2).
  ``mc_filter`` (FreeBSD's ``imo_multi_filter``) tells UDP whether a
  datagram from a source to a group passes the socket's filter.
- **Per interface** (``in_multi``, in ``k.inet.in_multihead``): the filters
  of every socket (and of the kernel's own joins) merged by the rules of
  RFC 3376 3.2 (RFC 3810 4.2 for IPv6), ``inm_merge``: EXCLUDE if any
  listener excludes, with the intersection of the exclude lists minus every
  include list; else INCLUDE with the union of the include lists.  The
  first join programs the link layer (``if_addmulti`` -> SIOCADDMULTI ->
  the NIC's hash filter, RFC 1112 6.4 mapping); the last leave undoes it.
- **The protocol**: every change of the merged state goes to IGMP
  (``k.igmp.change_state``, igmp.py), which reports it.

``mcast_family`` is what the socket layer needs to know of a family; IPv6
has its own (in6_mcast.py).  Source lists are bounded per socket
(``maxsocksrc``, ENOBUFS beyond) and per interface group (``maxgrpsrc``);
memberships per socket by IP_MAX_MEMBERSHIPS (ETOOMANYREFS).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Optional

from kernel.kern.kern_sysctl import CTLTYPE_STRUCT, SYSCTL_INT, SYSCTL_PROC
from kernel.netinet import in_var as _in_var
from kernel.wire import errno as E
from kernel.wire.in_ import (AF_INET, INADDR_ANY, IN_MULTICAST, IP_ADD_MEMBERSHIP,
                             IP_ADD_SOURCE_MEMBERSHIP, IP_BLOCK_SOURCE, IP_DROP_MEMBERSHIP,
                             IP_DROP_SOURCE_MEMBERSHIP, IP_UNBLOCK_SOURCE, ip_mreq, sockaddr_in)
from kernel.wire.in_mcast import (IP_MAX_GROUP_SRC_FILTER, IP_MAX_MEMBERSHIPS,
                                  IP_MAX_SOCK_SRC_FILTER, IP_MSFILTER, MCAST_BLOCK_SOURCE,
                                  MCAST_EXCLUDE, MCAST_INCLUDE, MCAST_JOIN_GROUP,
                                  MCAST_JOIN_SOURCE_GROUP, MCAST_LEAVE_GROUP,
                                  MCAST_LEAVE_SOURCE_GROUP, MCAST_UNBLOCK_SOURCE, MCAST_UNDEFINED,
                                  group_req, group_source_req, ifmcaddr, ip_mreq_source,
                                  msfilterreq)
from kernel.wire.net_if import IFF, IFT

if TYPE_CHECKING:  # pragma: no cover
    from kernel.kern.init_main import Kernel

_IFF_MULTICAST = int(IFF.MULTICAST)

# imo_multi_filter / im6o_mc_filter answers
MCAST_PASS = 0              # the socket wants this datagram
MCAST_NOTGMEMBER = 1        # the socket did not join the group on this interface
MCAST_NOTSMEMBER = 2        # the source is filtered out
MCAST_MUTED = 3             # (FreeBSD: muted by a per-socket mute list; unused)

# The protocol state (igmp.py's mcast_host) every group record carries, IPv4
# and IPv6 alike (FreeBSD's inm_state, inm_timer, inm_scrv, inm_st[0] ...).
MC_SLOTS = ("mc_filters", "mc_st0", "mc_state", "mc_timer", "mc_sctimer", "mc_scrv",
            "mc_srcq", "mc_qsrcs", "mc_lastrep", "mc_joindue", "mc_ifi")


class mc_group:
    """What in_multi and in6_multi add to their <netinet/in_var.h> /
    <netinet6/in6_var.h> records: the listeners' filters and the protocol
    state (``MC_SLOTS``, declared by each), and the family-independent names
    of their fields (``MC_P`` is the family's prefix, ``inm_`` or ``in6m_``)."""

    __slots__ = ()
    MC_P = ""

    def __init__(self, addr: bytes, ifp: Any, lladdr: Optional[bytes]) -> None:
        super().__init__(addr, ifp, lladdr)  # type: ignore[call-arg]
        setattr(self, self.MC_P + "refcount", 0)
        self.mc_filters: list[in_mfilter] = []         # the in_mfilter of each listener
        self.mc_st0 = (MCAST_UNDEFINED, frozenset())   # t0: the state last reported
        self.mc_state = 0                   # mcast_host's *_MEMBER state
        self.mc_timer = 0                   # ns: pending query response (or v1 repeat)
        self.mc_sctimer = 0                 # ns: next state-change (re)transmission
        self.mc_scrv = 0                    # filter-mode-change retransmissions left
        self.mc_srcq: dict[bytes, list[int]] = {}   # source -> [ALLOW|BLOCK, retransmissions]
        self.mc_qsrcs: Optional[set[bytes]] = None  # sources of a pending G&S-specific query
        self.mc_lastrep = False             # RFC 2236/2710 "we were the last to report"
        self.mc_joindue = 0                 # ns: the first report of a delayed join
        self.mc_ifi: Any = None             # the interface's mcast_ifinfo

    @property
    def mc_addr(self) -> bytes:
        return getattr(self, self.MC_P + "addr")

    @property
    def mc_ifp(self) -> Any:
        return getattr(self, self.MC_P + "ifp")

    @property
    def mc_lladdr(self) -> Optional[bytes]:
        return getattr(self, self.MC_P + "lladdr")

    def mc_setrefs(self) -> None:
        setattr(self, self.MC_P + "refcount", len(self.mc_filters))


class in_multi(mc_group, _in_var.in_multi):
    """``struct in_multi`` with its listeners' filters and IGMP state."""

    __slots__ = MC_SLOTS
    MC_P = "inm_"


# -- the per-socket filter and the merge rules -------------------------------------------------
class in_mfilter:
    """``struct in_mfilter``: one listener's filter mode and source list."""

    __slots__ = ("imf_fmode", "imf_sources", "imf_kernel")

    def __init__(self, fmode: int = MCAST_EXCLUDE, sources: Any = (), kernel: bool = False) -> None:
        self.imf_fmode = fmode
        self.imf_sources: set[bytes] = set(sources)
        self.imf_kernel = kernel            # a join of the kernel's own (all-hosts, solicited-node)

    def __repr__(self) -> str:
        mode = {MCAST_INCLUDE: "include", MCAST_EXCLUDE: "exclude"}.get(self.imf_fmode, "undef")
        return f"<in_mfilter {mode} {len(self.imf_sources)} sources>"


def inm_merge(filters: list[in_mfilter]) -> tuple[int, frozenset]:
    """The interface state from the listeners' filters (RFC 3376 3.2, RFC 3810 4.2):
    "If any such record has a filter mode of EXCLUDE, then the filter mode of
    the interface record is EXCLUDE, and the source list of the interface
    record is the intersection of the source lists of all socket records in
    EXCLUDE mode, minus those source addresses that appear in any socket
    record in INCLUDE mode"; otherwise INCLUDE with the union of the source
    lists.  No listener: UNDEFINED (not a member)."""
    excl = [f.imf_sources for f in filters if f.imf_fmode == MCAST_EXCLUDE]
    if excl:
        s = set(excl[0]).intersection(*excl[1:])
        for f in filters:
            if f.imf_fmode == MCAST_INCLUDE:
                s -= f.imf_sources
        return MCAST_EXCLUDE, frozenset(s)
    incl = [f.imf_sources for f in filters if f.imf_fmode == MCAST_INCLUDE]
    if incl:
        return MCAST_INCLUDE, frozenset().union(*incl)
    return MCAST_UNDEFINED, frozenset()


def inm_ismember(st: tuple[int, frozenset]) -> bool:
    """Does the interface listen at all?  EXCLUDE, or INCLUDE with a source."""
    return st[0] == MCAST_EXCLUDE or (st[0] == MCAST_INCLUDE and bool(st[1]))


class in_mship(tuple):
    """One membership of a socket: ``(group, ifp)`` — what the moptions lists
    held before source filters, so older readers still unpack it — with the
    socket's filter (``imf``) and the interface's group record (``inm``)."""

    imf: in_mfilter
    inm: Any

    def __new__(cls, group: bytes, ifp: Any, imf: in_mfilter, inm: Any) -> "in_mship":
        self = tuple.__new__(cls, (group, ifp))
        self.imf = imf
        self.inm = inm
        return self

    @property
    def inm_addr(self) -> bytes:
        return self[0]

    @property
    def inm_ifp(self) -> Any:
        return self[1]


def mc_match_group(mships: Any, ifp: Any, group: bytes) -> Optional[in_mship]:
    """imo_match_group: the socket's membership of ``group`` on ``ifp``."""
    for m in mships:
        if m[1] is ifp and m[0] == group:
            return m
    return None


def mc_filter(mships: Optional[list], ifp: Any, group: bytes, src: bytes) -> int:
    """imo_multi_filter / im6o_mc_filter: does a datagram from ``src`` to
    ``group`` received on ``ifp`` pass the socket's filter (RFC 3678 3)?"""
    m = mc_match_group(mships or (), ifp, group)
    if m is None:
        return MCAST_NOTGMEMBER
    imf = m.imf
    listed = src in imf.imf_sources
    if (imf.imf_fmode == MCAST_INCLUDE and not listed) or \
            (imf.imf_fmode == MCAST_EXCLUDE and listed):
        return MCAST_NOTSMEMBER
    return MCAST_PASS


# -- the family switch --------------------------------------------------------------------------
class mcast_vars:
    """net.inet.ip.mcast.* / net.inet6.ip6.mcast.* tunables (``k.in_mcast``, ``k.in6_mcast``)."""

    def __init__(self, maxgrpsrc: int, maxsocksrc: int) -> None:
        self.mc_maxgrpsrc = maxgrpsrc
        self.mc_maxsocksrc = maxsocksrc
        self.mc_loop = 1


class mcast_family:
    """What the multicast socket layer needs to know of a family (IPv4 here,
    IPv6 in in6_mcast.py)."""

    def __init__(self, family: int, sysctl: str, kattr: str, limits: tuple[int, int, int],
                 table: Callable[[Any], dict], lladdr: Callable[[bytes, Any], Optional[bytes]],
                 proto: Callable[[Any], Any], new_group: Callable[..., Any],
                 addr_of: Callable[[Any], Optional[bytes]], is_mcast: Callable[[bytes], bool],
                 lookup_ifp: Callable[[Any, int, bytes, Any], tuple[int, Any]],
                 mksa: Callable[[bytes], Any]) -> None:
        self.family = family            # AF_INET / AF_INET6
        self.sysctl = sysctl            # "net.inet.ip.mcast."
        self.kattr = kattr              # where the tunables hang on the kernel
        self.max_memberships, self.maxgrpsrc, self.maxsocksrc = limits
        self.table = table              # k -> {(ifindex, group): group record}
        self.lladdr = lladdr            # (group, ifp) -> link-layer group or None
        self.proto = proto              # k -> mcast_host (k.igmp / k.mld) or None
        self.new_group = new_group      # the group record type
        self.addr_of = addr_of          # sockaddr -> address, None if not of the family
        self.is_mcast = is_mcast
        self.lookup_ifp = lookup_ifp    # (k, ifindex, group, group sockaddr) -> (errno, ifp)
        self.mksa = mksa                # address -> sockaddr

    def limits(self, k: Any) -> mcast_vars:
        v = getattr(k, self.kattr, None)
        if v is None:
            v = mcast_vars(self.maxgrpsrc, self.maxsocksrc)
            setattr(k, self.kattr, v)
        return v

    def unicast(self, s: Optional[bytes]) -> bool:
        """A source must be a unicast address of the family."""
        return s is not None and not self.is_mcast(s) and any(s)


def mc_sysctl_init(fam: mcast_family, k: Any) -> None:
    """The tunables and the ``filters`` node of a family (in_mcast_init, in6_mcast_init)."""
    v = fam.limits(k)
    p = fam.sysctl
    SYSCTL_INT(k, p + "maxgrpsrc", v, "mc_maxgrpsrc", "Max source filters per group",
               check=lambda x: x >= 1)
    SYSCTL_INT(k, p + "maxsocksrc", v, "mc_maxsocksrc", "Max source filters per socket",
               check=lambda x: x >= 1)
    SYSCTL_INT(k, p + "loop", v, "mc_loop", "Loopback multicast datagrams by default",
               check=lambda x: x in (0, 1))
    SYSCTL_PROC(k, p + "filters", CTLTYPE_STRUCT, lambda: mc_filters_dump(fam, k),
                descr="Per-interface stack-wide source filters (ifmcaddr list)")


# -- the per-interface group records ------------------------------------------------------------
def mc_join(fam: mcast_family, ifp: Any, group: bytes, imf: in_mfilter, delay: int = 0) -> Any:
    """in_joingroup / in6_mc_join: add listener ``imf`` to the group record of
    ``group`` on ``ifp`` (created, and the link layer told, on the first
    join) and let the protocol report the change, after ``delay`` ns."""
    k = ifp.kernel
    tbl = fam.table(k)
    key = (ifp.if_index, group)
    g = tbl.get(key)
    proto = fam.proto(k)
    if g is None:
        g = proto.reclaim(ifp, group) if proto is not None else None
        if g is None:
            g = fam.new_group(group, ifp, fam.lladdr(group, ifp))
        if g.mc_lladdr:
            ifp.if_addmulti(g.mc_lladdr)
        tbl[key] = g
    g.mc_filters.append(imf)
    g.mc_setrefs()
    mc_changed(fam, g, delay)
    return g


def mc_leave(fam: mcast_family, g: Any, imf: in_mfilter) -> None:
    """in_leavegroup / in6_mc_leave: drop listener ``imf``; the last one takes
    the record out of the table and the group off the link layer, and the
    protocol reports the leave (MLDv2/IGMPv3 go on retransmitting it)."""
    if imf in g.mc_filters:
        g.mc_filters.remove(imf)
    g.mc_setrefs()
    ifp = g.mc_ifp
    if not g.mc_filters:
        tbl = fam.table(ifp.kernel)
        if tbl.get((ifp.if_index, g.mc_addr)) is g:
            del tbl[(ifp.if_index, g.mc_addr)]
            if g.mc_lladdr:
                ifp.if_delmulti(g.mc_lladdr)
    mc_changed(fam, g)


def mc_changed(fam: mcast_family, g: Any, delay: int = 0) -> None:
    """The listeners of ``g`` changed: let the protocol report it."""
    proto = fam.proto(g.mc_ifp.kernel)
    if proto is not None:
        proto.change_state(g, delay)
    else:
        g.mc_st0 = inm_merge(g.mc_filters)


def mc_kernel_leave(fam: mcast_family, g: Any) -> None:
    """Drop one of the kernel's own joins of ``g``."""
    for f in g.mc_filters:
        if f.imf_kernel:
            mc_leave(fam, g, f)
            return


def mc_grpsrc_ok(fam: mcast_family, k: Any, g: Any, sources: Any, but: Any = None) -> bool:
    """net.inet[6].ip[6].mcast.maxgrpsrc: the record of a group may list at
    most that many sources (FreeBSD's ENOSPC); ``but`` is a filter to leave out."""
    total = set(sources)
    for f in g.mc_filters:
        if f is not but:
            total |= f.imf_sources
    return len(total) <= fam.limits(k).mc_maxgrpsrc


# -- the socket API (inp_join_group, inp_leave_group, inp_block_unblock_source, ...) -------------
def mc_join_group(fam: mcast_family, k: Any, mships: list, ifp: Any, group: bytes,
                  source: Optional[bytes]) -> int:
    """RFC 3678 4.1.1/5.1: join ``group`` on ``ifp`` any-source (``source``
    None: EXCLUDE {}) or add ``source`` to an INCLUDE membership."""
    m = mc_match_group(mships, ifp, group)
    if m is None:
        if len(mships) >= fam.max_memberships:
            return E.ETOOMANYREFS
        imf = in_mfilter(MCAST_INCLUDE, (source,)) if source is not None else in_mfilter()
        g = mc_join(fam, ifp, group, imf)
        mships.append(in_mship(group, ifp, imf, g))
        return 0
    imf = m.imf
    if source is None:
        # FreeBSD: an any-source join of a group already joined is EADDRINUSE
        # (4.4BSD idempotence); of an INCLUDE membership, EINVAL.
        return E.EADDRINUSE if imf.imf_fmode == MCAST_EXCLUDE else E.EINVAL
    if imf.imf_fmode != MCAST_INCLUDE:
        return E.EINVAL             # RFC 3678: a source join on an any-source membership
    return _add_source(fam, k, m, source)


def _add_source(fam: mcast_family, k: Any, m: in_mship, source: bytes) -> int:
    imf = m.imf
    if source in imf.imf_sources:
        return E.EADDRNOTAVAIL
    if len(imf.imf_sources) >= fam.limits(k).mc_maxsocksrc:
        return E.ENOBUFS
    if not mc_grpsrc_ok(fam, k, m.inm, (source,)):
        return E.ENOSPC
    imf.imf_sources.add(source)
    mc_changed(fam, m.inm)
    return 0


def mc_leave_group(fam: mcast_family, k: Any, mships: list, ifp: Any, group: bytes,
                   source: Optional[bytes]) -> int:
    """RFC 3678: leave the group, or one source of an INCLUDE membership (the
    last source leaves the group)."""
    m = mc_match_group(mships, ifp, group)
    if m is None:
        return E.EADDRNOTAVAIL
    imf = m.imf
    if source is not None:
        if imf.imf_fmode != MCAST_INCLUDE or source not in imf.imf_sources:
            return E.EADDRNOTAVAIL
        imf.imf_sources.discard(source)
        if imf.imf_sources:
            mc_changed(fam, m.inm)
            return 0
    mships.remove(m)
    mc_leave(fam, m.inm, imf)
    return 0


def mc_block_source(fam: mcast_family, k: Any, mships: list, ifp: Any, group: bytes,
                    source: bytes, block: bool) -> int:
    """RFC 3678 4.1.2/5.1: MCAST_BLOCK_SOURCE / MCAST_UNBLOCK_SOURCE on an
    any-source (EXCLUDE) membership."""
    m = mc_match_group(mships, ifp, group)
    if m is None:
        return E.EINVAL
    if m.imf.imf_fmode != MCAST_EXCLUDE:
        return E.EINVAL             # "the delta-based API on a non exclusive-mode membership"
    if block:
        return _add_source(fam, k, m, source)
    if source not in m.imf.imf_sources:
        return E.EADDRNOTAVAIL
    m.imf.imf_sources.discard(source)
    mc_changed(fam, m.inm)
    return 0


def mc_setsourcefilter(fam: mcast_family, k: Any, mships: list, ifp: Any, group: bytes,
                       fmode: int, sources: list[bytes]) -> int:
    """RFC 3678 5.2 setsourcefilter(3): replace the filter of a joined group."""
    if fmode not in (MCAST_INCLUDE, MCAST_EXCLUDE):
        return E.EINVAL
    if len(set(sources)) > fam.limits(k).mc_maxsocksrc:
        return E.ENOBUFS
    m = mc_match_group(mships, ifp, group)
    if m is None:
        return E.EADDRNOTAVAIL
    if not mc_grpsrc_ok(fam, k, m.inm, sources, but=m.imf):
        return E.ENOSPC
    m.imf.imf_fmode = fmode
    m.imf.imf_sources = set(sources)
    mc_changed(fam, m.inm)
    return 0


def mc_freemoptions(fam: mcast_family, mships: Optional[list]) -> None:
    """The socket closes: leave every group it joined (inp_freemoptions)."""
    if not mships:
        return
    for m in list(mships):
        mc_leave(fam, m.inm, m.imf)
    mships.clear()


_OPS = {MCAST_JOIN_GROUP: "join", MCAST_LEAVE_GROUP: "leave", MCAST_JOIN_SOURCE_GROUP: "join",
        MCAST_LEAVE_SOURCE_GROUP: "leave", MCAST_BLOCK_SOURCE: "block",
        MCAST_UNBLOCK_SOURCE: "unblock"}


def mc_group_op(fam: mcast_family, k: Any, mships: list, ifp: Any, group: bytes,
                src: Optional[bytes], op: str) -> int:
    """One membership request: ``op`` join, leave, block or unblock."""
    if op == "join":
        return mc_join_group(fam, k, mships, ifp, group, src)
    if op == "leave":
        return mc_leave_group(fam, k, mships, ifp, group, src)
    assert src is not None
    return mc_block_source(fam, k, mships, ifp, group, src, op == "block")


def mc_setsockopt(fam: mcast_family, k: Any, mships: list, name: int, val: Any,
                  msfilter: int) -> int:
    """The protocol-independent options of RFC 3678 5.1 (``group_req``,
    ``group_source_req``) and the set side of ``msfilter`` (IP_MSFILTER /
    IPV6_MSFILTER, setsourcefilter(3)); 0 or an errno."""
    if name in (MCAST_JOIN_GROUP, MCAST_LEAVE_GROUP):
        sa, src = (val.gr_group, None) if isinstance(val, group_req) else (None, None)
        idx = val.gr_interface if isinstance(val, group_req) else 0
    elif name in _OPS:
        if not isinstance(val, group_source_req):
            return E.EINVAL
        sa, idx, src = val.gsr_group, val.gsr_interface, fam.addr_of(val.gsr_source)
        if not fam.unicast(src):
            return E.EINVAL
    elif name == msfilter:
        return _set_msfilter(fam, k, mships, val)
    else:
        return E.ENOPROTOOPT
    group = fam.addr_of(sa)
    if group is None or not fam.is_mcast(group):
        return E.EINVAL
    err, ifp = fam.lookup_ifp(k, idx, group, sa)
    if err:
        return err
    return mc_group_op(fam, k, mships, ifp, group, src, _OPS[name])


def _set_msfilter(fam: mcast_family, k: Any, mships: list, val: Any) -> int:
    if not isinstance(val, msfilterreq):
        return E.EINVAL
    group = fam.addr_of(val.msfr_group)
    if group is None or not fam.is_mcast(group):
        return E.EINVAL
    if not isinstance(val.msfr_srcs, (tuple, list)) or val.msfr_nsrcs != len(val.msfr_srcs):
        return E.EINVAL
    if val.msfr_nsrcs > fam.limits(k).mc_maxsocksrc:
        return E.ENOBUFS
    srcs = [fam.addr_of(s) for s in val.msfr_srcs]
    if not all(fam.unicast(s) for s in srcs):
        return E.EINVAL
    err, ifp = fam.lookup_ifp(k, val.msfr_ifindex, group, val.msfr_group)
    if err:
        return err
    return mc_setsourcefilter(fam, k, mships, ifp, group, val.msfr_fmode, srcs)  # type: ignore[arg-type]


def mc_getsockopt(fam: mcast_family, k: Any, mships: list, val: Any) -> tuple[int, Any]:
    """IP_MSFILTER / IPV6_MSFILTER get (getsourcefilter(3)): the mode, the
    number of sources, and as many sources as ``val.msfr_nsrcs`` has room for."""
    if not isinstance(val, msfilterreq):
        return E.EINVAL, None
    group = fam.addr_of(val.msfr_group)
    if group is None:
        return E.EINVAL, None
    err, ifp = fam.lookup_ifp(k, val.msfr_ifindex, group, val.msfr_group)
    if err:
        return err, None
    m = mc_match_group(mships, ifp, group)
    if m is None:
        return E.EADDRNOTAVAIL, None
    srcs = sorted(m.imf.imf_sources)
    room = max(0, val.msfr_nsrcs) if isinstance(val.msfr_nsrcs, int) else 0
    return 0, msfilterreq(val.msfr_ifindex, val.msfr_group, m.imf.imf_fmode, len(srcs),
                          tuple(fam.mksa(s) for s in srcs[:room]))


# -- what ifmcstat reads -----------------------------------------------------------------------
def mc_filters_dump(fam: mcast_family, k: Any) -> list[ifmcaddr]:
    """``net.inet[6].ip[6].mcast.filters``: every group record of every
    interface with its merged filter mode and sources."""
    out = []
    for g in fam.table(k).values():
        ifp = g.mc_ifp
        mode, srcs = inm_merge(g.mc_filters)
        out.append(ifmcaddr(ifp.if_index, ifp.if_xname, fam.family, g.mc_addr, g.mc_lladdr or b"",
                            len(g.mc_filters), mode, tuple(sorted(srcs))))
    out.sort(key=lambda r: (r.ifma_index, r.ifma_addr))
    return out


def if_multiaddrs_dump(k: Any) -> list[ifmcaddr]:
    """``net.link.ifmalist``: the link-layer groups of every interface with
    their reference counts (the ``ifmultiaddr`` list SIOCADDMULTI builds)."""
    from kernel.wire.route import AF_LINK
    return [ifmcaddr(ifp.if_index, ifp.if_xname, AF_LINK, ifma.ifma_addr, b"",
                     ifma.ifma_refcount)
            for ifp in k.ifnet for ifma in ifp.if_multiaddrs]


# -- IPv4 -----------------------------------------------------------------------------------------
def _in_lladdr(group: bytes, ifp: Any) -> Optional[bytes]:
    if ifp.if_type == IFT.ETHER:
        from kernel.wire.ethernet import ether_map_ipv4_multicast
        return ether_map_ipv4_multicast(group)      # RFC 1112 6.4
    return None


def _sin(sa: Any) -> Optional[bytes]:
    if isinstance(sa, sockaddr_in) and len(sa.sin_addr) == 4:
        return bytes(sa.sin_addr)
    return None


def _in_ifp(k: Any, group: bytes, ifaddr: bytes) -> tuple[int, Any]:
    """The interface of an ip_mreq[_source]: the one with address ``ifaddr``,
    else the one of the route to the group (inp_lookup_mcast_ifp)."""
    from kernel.netinet import in_ as _in, in_rmx
    if ifaddr == INADDR_ANY:
        rt = in_rmx.in_rtalloc(k, group)
        ifp = rt.rt_ifp if rt is not None else None
    else:
        ia = _in.in_localip(k, bytes(ifaddr))
        ifp = ia.ia_ifp if ia is not None else None
    if ifp is None or not ifp.if_flags & _IFF_MULTICAST:
        return E.EADDRNOTAVAIL, None
    return 0, ifp


def _in_lookup_ifp(k: Any, idx: int, group: bytes, sa: Any) -> tuple[int, Any]:
    """RFC 3678 5.1: the interface by index, 0: by the route to the group."""
    if not idx:
        return _in_ifp(k, group, INADDR_ANY)
    for ifp in k.ifnet:
        if ifp.if_index == idx:
            return (0, ifp) if ifp.if_flags & _IFF_MULTICAST else (E.EADDRNOTAVAIL, None)
    return E.EADDRNOTAVAIL, None


IN_FAMILY = mcast_family(AF_INET, "net.inet.ip.mcast.", "in_mcast",
                         (IP_MAX_MEMBERSHIPS, IP_MAX_GROUP_SRC_FILTER, IP_MAX_SOCK_SRC_FILTER),
                         lambda k: k.inet.in_multihead, _in_lladdr,
                         lambda k: getattr(k, "igmp", None), in_multi, _sin,
                         lambda a: len(a) == 4 and IN_MULTICAST(a), _in_lookup_ifp, sockaddr_in)


def in_mcast_init(k: "Kernel") -> None:
    """Called by igmp_init: the tunables and the sysctl nodes, and the
    link-layer list (``net.link.ifmalist``) getifmaddrs(3) reads."""
    mc_sysctl_init(IN_FAMILY, k)
    SYSCTL_PROC(k, "net.link.ifmalist", CTLTYPE_STRUCT, lambda: if_multiaddrs_dump(k),
                descr="Link-layer multicast groups of every interface (ifmcaddr list)")


def in_joingroup(ifp: Any, group: bytes, delay: int = 0) -> Optional[in_multi]:
    """A join of the kernel's own (the all-hosts group, RFC 1112 4): any-source."""
    if len(group) != 4 or not IN_MULTICAST(group) or not ifp.if_flags & _IFF_MULTICAST:
        return None
    return mc_join(IN_FAMILY, ifp, bytes(group), in_mfilter(MCAST_EXCLUDE, (), True), delay)


def in_leavegroup_kernel(inm: in_multi) -> None:
    mc_kernel_leave(IN_FAMILY, inm)


IP_MCAST_SOCKOPTS = (IP_ADD_MEMBERSHIP, IP_DROP_MEMBERSHIP, IP_ADD_SOURCE_MEMBERSHIP,
                     IP_DROP_SOURCE_MEMBERSHIP, IP_BLOCK_SOURCE, IP_UNBLOCK_SOURCE,
                     MCAST_JOIN_GROUP, MCAST_LEAVE_GROUP, MCAST_JOIN_SOURCE_GROUP,
                     MCAST_LEAVE_SOURCE_GROUP, MCAST_BLOCK_SOURCE, MCAST_UNBLOCK_SOURCE,
                     IP_MSFILTER)
_IP_OPS = {IP_ADD_MEMBERSHIP: "join", IP_DROP_MEMBERSHIP: "leave",
           IP_ADD_SOURCE_MEMBERSHIP: "join", IP_DROP_SOURCE_MEMBERSHIP: "leave",
           IP_BLOCK_SOURCE: "block", IP_UNBLOCK_SOURCE: "unblock"}


def inp_setmoptions(k: Any, inp: Any, name: int, val: Any) -> int:
    """The membership options of IPPROTO_IP (inp_setmoptions); 0 or an errno:
    RFC 1112 7.1 IP_ADD_MEMBERSHIP / IP_DROP_MEMBERSHIP (``ip_mreq``), RFC
    3678 4.1 IP_ADD_SOURCE_MEMBERSHIP ... (``ip_mreq_source``), and the
    protocol-independent ones."""
    from kernel.netinet.ip_output import _moptions
    mships = _moptions(inp).imo_membership
    op = _IP_OPS.get(name)
    if op is None:
        return mc_setsockopt(IN_FAMILY, k, mships, name, val, IP_MSFILTER)
    src = None
    if name in (IP_ADD_MEMBERSHIP, IP_DROP_MEMBERSHIP):
        if not isinstance(val, ip_mreq):
            return E.EINVAL
    else:
        if not isinstance(val, ip_mreq_source):
            return E.EINVAL
        src = val.imr_sourceaddr
        if not isinstance(src, bytes) or len(src) != 4 or not IN_FAMILY.unicast(src):
            return E.EINVAL
    group = val.imr_multiaddr
    if not isinstance(group, bytes) or len(group) != 4 or not IN_MULTICAST(group):
        return E.EINVAL
    err, ifp = _in_ifp(k, group, val.imr_interface)
    if err:
        return err
    return mc_group_op(IN_FAMILY, k, mships, ifp, group, src, op)


def inp_getmoptions(k: Any, inp: Any, name: int, val: Any) -> tuple[int, Any]:
    """IP_MSFILTER get (the only membership option one can read)."""
    imo = inp.inp_moptions
    return mc_getsockopt(IN_FAMILY, k, imo.imo_membership if imo is not None else [], val)


def inp_freemoptions(imo: Any) -> None:
    if imo is not None:
        mc_freemoptions(IN_FAMILY, imo.imo_membership)


def imo_multi_filter(imo: Any, ifp: Any, group: bytes, src: bytes) -> int:
    """Does the socket with options ``imo`` take a datagram from ``src`` to ``group``?"""
    return mc_filter(imo.imo_membership if imo is not None else None, ifp, group, src)


__all__ = ["in_multi", "mc_group", "in_mfilter", "in_mship", "inm_merge", "inm_ismember",
           "mc_filter", "MCAST_PASS", "MCAST_NOTGMEMBER", "MCAST_NOTSMEMBER", "IN_FAMILY",
           "in_joingroup", "inp_setmoptions", "inp_getmoptions", "inp_freemoptions",
           "imo_multi_filter", "IP_MCAST_SOCKOPTS", "mcast_family", "mc_join", "mc_leave",
           "mc_setsockopt", "mc_getsockopt", "MC_SLOTS"]
