"""IPv6 state, statistics and option structures (sys/netinet6/ip6_var.h, raw_ip6.h).

``ip6_vars`` is what BSD keeps in globals (``ip6_forwarding``,
``ip6_defhlim`` ...): one per kernel, ``k.ip6``, each field a sysctl node
registered by ``ip6_init``.  ``ip6stat`` (``k.ip6stat``) has FreeBSD's field
names; every drop on the IPv6 input and output paths bumps one of them.
``ip6_moptions`` and ``ip6_pktopts`` are the multicast and packet options a
caller hands to ``ip6_output`` (RFC 3542 and RFC 3493 socket options).
"""
from __future__ import annotations

import importlib
import sys
from typing import Any, Optional

from kernel.wire.ip6 import IPV6_DEFHLIM

# ip6_output flags (FreeBSD ip6_var.h)
IPV6_UNSPECSRC = 0x01        # allow :: as the source address
IPV6_FORWARDING = 0x02       # most of IPv6 header exists (forwarded packet)
IPV6_MINMTU = 0x04           # use the minimum MTU (IPV6_USE_MIN_MTU)

# ip6po_flags
IP6PO_REACHCONF = 0x01       # upper-layer reachability confirmation
IP6PO_MINMTU = 0x02          # use minimum MTU (IPV6_USE_MIN_MTU)
IP6PO_DONTFRAG = 0x04        # disable fragmentation (IPV6_DONTFRAG)
IP6PO_USECOA = 0x08          # use care-of address (Mobile IPv6)

# ip6po_minmtu (RFC 3542 11.1 IPV6_USE_MIN_MTU)
IP6PO_MINMTU_MCASTONLY = -1  # default: minimum MTU for multicast only
IP6PO_MINMTU_DISABLE = 0
IP6PO_MINMTU_ALL = 1

IPV6_DEFAULT_MULTICAST_HOPS = 1     # RFC 3493 5.2
IPV6_DEFAULT_MULTICAST_LOOP = 1

IP6S_HDRCNT = 256
IP6S_M2MMAX = 32
IP6S_RULESMAX = 16
IP6S_SCOPECNT = 16


class ip6stat:
    """``struct ip6stat`` (FreeBSD ip6_var.h), as ``netstat -s -p ip6`` prints it."""

    __slots__ = (
        "ip6s_total",            # total packets received
        "ip6s_tooshort",         # packet too short
        "ip6s_toosmall",         # not enough data
        "ip6s_fragments",        # fragments received
        "ip6s_fragdropped",      # frags dropped (dups, out of space)
        "ip6s_fragtimeout",      # fragments timed out
        "ip6s_fragoverflow",     # fragments that exceeded limit
        "ip6s_forward",          # packets forwarded
        "ip6s_cantforward",      # packets rcvd for unreachable dest
        "ip6s_redirectsent",     # packets forwarded on same net
        "ip6s_delivered",        # datagrams delivered to upper level
        "ip6s_localout",         # total ip packets generated here
        "ip6s_odropped",         # lost packets due to nobufs, etc.
        "ip6s_reassembled",      # total packets reassembled ok
        "ip6s_atomicfrags",      # atomic fragments (RFC 6946)
        "ip6s_fragmented",       # datagrams successfully fragmented
        "ip6s_ofragments",       # output fragments created
        "ip6s_cantfrag",         # don't fragment flag was set, etc.
        "ip6s_badoptions",       # error in option processing
        "ip6s_noroute",          # packets discarded due to no route
        "ip6s_badvers",          # ip6 version != 6
        "ip6s_rawout",           # total raw ip packets generated
        "ip6s_badscope",         # scope error
        "ip6s_notmember",        # don't join this multicast group
        "ip6s_nxthist",          # next header history [256]
        "ip6s_m1",               # one mbuf
        "ip6s_m2m",              # two or more mbuf [32]
        "ip6s_mext1",            # one ext mbuf
        "ip6s_mext2m",           # two or more ext mbuf
        "ip6s_exthdrtoolong",    # ext hdr are not contiguous
        "ip6s_nogif",            # no match gif found
        "ip6s_toomanyhdr",       # discarded due to too many headers
        # source address selection (in6_src.c), RFC 6724
        "ip6s_sources_none",
        "ip6s_sources_sameif",
        "ip6s_sources_otherif",
        "ip6s_sources_samescope",
        "ip6s_sources_otherscope",
        "ip6s_sources_deprecated",
        "ip6s_sources_rule",
        # kamebox: the reasons FreeBSD leaves uncounted
        "ip6s_notready",         # to our tentative or duplicated address (RFC 4862 5.4)
        "ip6s_fragoverlap",      # datagrams dropped for overlapping fragments (RFC 5722)
        "ip6s_fragbadlen",       # fragment length not a multiple of 8 with M set (RFC 8200 4.5)
        "ip6s_fraghdrchain",     # first fragment without the whole header chain (RFC 7112)
    )
    _arrays = {"ip6s_nxthist": IP6S_HDRCNT, "ip6s_m2m": IP6S_M2MMAX,
               "ip6s_sources_sameif": IP6S_SCOPECNT, "ip6s_sources_otherif": IP6S_SCOPECNT,
               "ip6s_sources_samescope": IP6S_SCOPECNT, "ip6s_sources_otherscope": IP6S_SCOPECNT,
               "ip6s_sources_deprecated": IP6S_SCOPECNT, "ip6s_sources_rule": IP6S_RULESMAX}

    def __init__(self) -> None:
        for name in self.__slots__:
            n = self._arrays.get(name)
            setattr(self, name, [0] * n if n else 0)

    def as_dict(self) -> dict[str, Any]:
        return {n: (list(v) if isinstance(v := getattr(self, n), list) else v)
                for n in self.__slots__}


class rip6stat:
    """``struct rip6stat`` (netinet6/raw_ip6.h)."""

    __slots__ = ("rip6s_ipackets", "rip6s_isum", "rip6s_badsum", "rip6s_nosock",
                 "rip6s_nosockmcast", "rip6s_fullsock", "rip6s_opackets")

    def __init__(self) -> None:
        for name in self.__slots__:
            setattr(self, name, 0)

    def as_dict(self) -> dict[str, int]:
        return {n: getattr(self, n) for n in self.__slots__}


class ip6_vars:
    """The IPv6 tunables BSD keeps in globals; ``k.ip6``.  Other parts of netinet6
    may hang their own tunables here too (it has no ``__slots__``)."""

    def __init__(self) -> None:
        self.ip6_forwarding = 0          # net.inet6.ip6.forwarding: act as router
        self.ip6_sendredirects = 1       # net.inet6.ip6.redirect
        self.ip6_defhlim = IPV6_DEFHLIM  # net.inet6.ip6.hlim
        self.ip6_defmcasthlim = IPV6_DEFAULT_MULTICAST_HOPS   # net.inet6.ip6.defmcasthlim
        self.ip6_maxfragpackets = 256    # net.inet6.ip6.maxfragpackets: datagrams in reassembly
        self.ip6_maxfrags = 1024         # net.inet6.ip6.maxfrags: fragments queued, all datagrams
        self.ip6_maxfragsperpacket = 64  # net.inet6.ip6.maxfragsperpacket
        self.ip6_hdrnestlimit = 15       # net.inet6.ip6.hdrnestlimit: headers walked per packet
        self.ip6_v6only = 1              # net.inet6.ip6.v6only
        self.ip6_auto_flowlabel = 1      # net.inet6.ip6.auto_flowlabel
        self.ip6_use_deprecated = 1      # net.inet6.ip6.use_deprecated
        self.ip6_mcast_pmtu = 0          # net.inet6.ip6.mcast_pmtu
        self.ip6_mtudisc_timeout = 600   # net.inet6.ip6.mtudisc_timeout: s (RFC 8201 5.3: >= 5 min)
        self.ip6_mtudisc_hiwat = 1280    # net.inet6.icmp6.mtudisc_hiwat: PMTU host routes at most
        self.ip6_log_interval = 5
        # BSD's *offp of pr_input: the offset of the header an extension-header
        # handler returns (see docs/kernel.md, "Conventions of the IPv6 core").
        self.ip6_nxtoff = -1
        # BSD's ip6_getdstifaddr: the in6_ifaddr the packet being delivered was
        # sent to (None for multicast), set by ip6_input for the upper layers.
        self.ip6_dstifaddr: Any = None


class ip6_moptions:
    """``struct ip6_moptions``: multicast options of a socket or a kernel sender."""

    __slots__ = ("im6o_multicast_ifp", "im6o_multicast_hlim", "im6o_multicast_loop",
                 "im6o_memberships")

    def __init__(self, ifp: Any = None, hlim: int = IPV6_DEFAULT_MULTICAST_HOPS,
                 loop: int = IPV6_DEFAULT_MULTICAST_LOOP) -> None:
        self.im6o_multicast_ifp = ifp
        self.im6o_multicast_hlim = hlim
        self.im6o_multicast_loop = loop
        self.im6o_memberships: list[Any] = []


class ip6_pktopts:
    """``struct ip6_pktopts`` (RFC 3542 sticky and ancillary options).

    Extension headers are kept as the bytes of the whole header (its Next
    Header byte is rewritten by ip6_output); ``ip6po_hlim`` -1 means default.
    """

    __slots__ = ("ip6po_hlim", "ip6po_pktinfo", "ip6po_nexthop", "ip6po_hbh",
                 "ip6po_dest1", "ip6po_rthdr", "ip6po_dest2", "ip6po_tclass",
                 "ip6po_minmtu", "ip6po_prefer_tempaddr", "ip6po_flags")

    def __init__(self) -> None:
        self.ip6po_hlim = -1
        self.ip6po_pktinfo: Optional[Any] = None     # in6_pktinfo (addr, ifindex)
        self.ip6po_nexthop: Optional[bytes] = None
        self.ip6po_hbh: Optional[bytes] = None       # hop-by-hop options header
        self.ip6po_dest1: Optional[bytes] = None     # destination options before routing header
        self.ip6po_rthdr: Optional[bytes] = None     # routing header
        self.ip6po_dest2: Optional[bytes] = None     # destination options after routing header
        self.ip6po_tclass = -1
        self.ip6po_minmtu = IP6PO_MINMTU_MCASTONLY
        self.ip6po_prefer_tempaddr = -1
        self.ip6po_flags = 0


class ip6ctlparam:
    """``struct ip6ctlparam``: what ``pr_ctlinput`` gets about an ICMPv6 error."""

    __slots__ = ("ip6c_m", "ip6c_icmp6", "ip6c_ip6", "ip6c_off", "ip6c_src", "ip6c_dst",
                 "ip6c_finaldst", "ip6c_cmdarg", "ip6c_nxt", "ip6c_zone")

    def __init__(self, m: Any, icmp6: tuple[int, int, int], ip6off: int, off: int,
                 src: bytes, dst: bytes, nxt: int, zone: int, cmdarg: Any = None) -> None:
        self.ip6c_m = m                 # the ICMPv6 packet
        self.ip6c_icmp6 = icmp6         # (type, code, param) of the error
        self.ip6c_ip6 = ip6off          # offset of the inner IPv6 header in m
        self.ip6c_off = off             # offset of the inner upper-layer header in m
        self.ip6c_src = src             # inner source (us)
        self.ip6c_dst = dst             # inner destination
        self.ip6c_finaldst = dst
        self.ip6c_cmdarg = cmdarg       # for PRC_MSGSIZE: the new MTU
        self.ip6c_nxt = nxt             # inner upper-layer protocol
        self.ip6c_zone = zone


# -- the other parts of netinet6, found by name at call time ---------------------------------
_MISSING: set[str] = set()
_FULL: dict[str, str] = {}


def IP6_EXTHDR_CHECK(k: Any, m: Any, off: int) -> int:
    """The length of the extension header at ``off`` (RFC 8200 4: Hdr Ext Len
    in 8-octet units, not counting the first 8), or -1 when the packet does not
    hold all of it (``ip6s_tooshort`` counted)."""
    if m.m_len >= off + 8:
        hlen = (m.buf[m.off + off + 1] + 1) << 3
        if m.m_len >= off + hlen:
            return hlen
    k.ip6stat.ip6s_tooshort += 1
    return -1


def netinet6_mod(name: str) -> Any:
    """The module ``kernel.netinet6.<name>``, or None if it does not exist (yet).

    ND, MLD and source selection land on their own: the IPv6 core finds them
    here at call time (docs/kernel.md), so a test may also replace one of
    their functions with ``monkeypatch.setattr``.  An ImportError raised
    *inside* an existing module is not hidden.
    """
    full = _FULL.get(name)
    if full is None:
        full = _FULL[name] = "kernel.netinet6." + name
    mod = sys.modules.get(full)
    if mod is None and full not in _MISSING:
        try:
            mod = importlib.import_module(full)
        except ModuleNotFoundError as e:
            if e.name != full:
                raise
            _MISSING.add(full)
            return None
    return mod


def netinet6_func(modname: str, fname: str) -> Any:
    """``kernel.netinet6.<modname>.<fname>`` or None."""
    mod = netinet6_mod(modname)
    return getattr(mod, fname, None) if mod is not None else None


def ia_addr_of(ia: Any) -> bytes:
    """The address of an ``in6_ifaddr`` (bytes, or a sockaddr_in6's sin6_addr)."""
    a = ia.ia_addr
    return getattr(a, "sin6_addr", a)
