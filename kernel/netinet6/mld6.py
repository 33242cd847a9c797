"""MLDv2 host with MLDv1 compatibility (sys/netinet6/mld6.c): RFC 3810, RFC 2710, RFC 3590.

The report machinery — state-change reports with their robustness
retransmissions (RFC 3810 6.1), responses to General, Multicast Address
Specific and Multicast Address and Source Specific Queries after a random
delay up to the Maximum Response Delay (6.2, with the current-state records
of 6.3), compatibility mode with MLDv1 queriers and its Older Version
Querier Present timer (8.2.1, 9.12), MLDv1 listener behaviour with report
suppression (RFC 2710 4) — is igmp.py's ``mcast_host``, which MLD shares
with IGMPv3 as FreeBSD's mld6.c shares its design with igmp.c.  This module
is MLD's part of it:

- **Messages** (kernel/wire/mld6.py): MLDv1 Report to the group and Done to
  ff02::2 (RFC 2710 3), Version 2 Reports to ff02::16 (RFC 3810 5.2.14),
  split to the link MTU (5.2.15).  "All MLDv2 messages ... MUST be sent with
  a link-local IPv6 Source Address, an IPv6 Hop Limit of 1, and an IPv6
  Router Alert option in a Hop-by-Hop Options header" (RFC 3810 5); when no
  link-local address is ready (during DAD) the source is the unspecified
  address (RFC 3590 4).  Multicast loopback is off.
- **Silent groups**: ff02::1 is never reported (RFC 3810 6, RFC 2710 5),
  nor any group of scope 0 or 1 (RFC 3810 6), nor anything on loopback.
- **Input** (``mld_input``, from icmp6_input): a message without Hop Limit
  1 or without the Router Alert option is dropped (RFC 3810 5.1.14,
  5.2.13), a Query from a source that is not link-local too (5.1.14); a
  Query of 24 octets is MLDv1, of 28 or more MLDv2, anything between is
  ignored (RFC 3810 8.1); a General Query must go to ff02::1, a specific one
  to the group it names (5.1.15).  MLDv2 Queries are ignored in MLDv1 mode,
  MLDv1 Reports only suppress reports in MLDv1 mode.  Every drop is
  counted in ``k.mldstat`` (``net.inet6.mld.stats``).

DAD (RFC 4862 5.4.2): the solicited-node join of a tentative address sends
its report at once (from ::), or after the random delay in6_update_ifa
chose; ``mld_dad_delay`` lets nd6_dad_start send the first NS after it.
When an interface comes up, ``mld_ifup`` reports again the groups joined
while it was down (their reports could not go out).

Sysctl: ``net.inet6.mld.v1enable`` (answer MLDv1 queriers), ``v2enable``
(0: behave as an RFC 2710 host), ``use_allow`` (ALLOW/BLOCK rather than
TO_IN for source-specific joins and leaves), ``stats``, ``ifinfo``.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kernel.kern.kern_sysctl import CTLTYPE_INT, CTLTYPE_STRUCT, SYSCTL_INT, SYSCTL_PROC, SYSCTL_STRUCT
from kernel.kern.uipc_mbuf import mbuf
from kernel.netinet.igmp import MS, SEC, mcast_host, mcast_stat
from kernel.netinet6 import in6_mcast as _in6_mcast
from kernel.wire.icmp6 import (MLD_LISTENER_DONE, MLD_LISTENER_QUERY, MLD_LISTENER_REPORT,
                               MLDV2_LISTENER_REPORT)
from kernel.wire.in6 import (IN6_IS_ADDR_LINKLOCAL, IN6_IS_ADDR_MULTICAST, IN6ADDR_ANY,
                             IN6ADDR_LINKLOCAL_ALLNODES, IN6ADDR_LINKLOCAL_ALLROUTERS,
                             IN6ADDR_LINKLOCAL_ALLV2ROUTERS, in6_solicited_node)
from kernel.wire.in6_var import IN6_IFF_ANYCAST, IN6_IFF_NOTREADY
from kernel.wire.net_if import IFF
from kernel.wire.ip6 import (IP6_HDR_LEN, IP6OPT_PAD1, IP6OPT_RTALERT, IP6OPT_RTALERT_MLD,
                             IPPROTO_HOPOPTS, IPPROTO_ICMPV6, IPV6_VERSION, ip6_hdr)
from kernel.wire.mld6 import (MLD_MINLEN, MLD_V2_QUERY_MINLEN, MLD_V2_RECORD_MINLEN,
                              MLD_V2_REPORT_MINLEN, MLD_VERSION_1, MLD_VERSION_2, MLIF_USEALLOW,
                              MldRecord, MldV1Message, MldV2Query, MldV2Report, mld_hbh_router_alert,
                              mld_ifinfo)

if TYPE_CHECKING:  # pragma: no cover
    from kernel.kern.init_main import Kernel

_NOTREADY = IN6_IFF_NOTREADY | IN6_IFF_ANYCAST   # not a source for MLD (RFC 3590 4)
_HBH_LEN = 8
_IFF_LOOPBACK = int(IFF.LOOPBACK)


class mldstat(mcast_stat):
    """MLD counters (kamebox's ``struct mldstat``, named as FreeBSD's igmpstat)."""

    __slots__ = ("mlds_rcv_total", "mlds_rcv_badttl", "mlds_rcv_nora", "mlds_rcv_v1_queries",
                 "mlds_rcv_v2_queries", "mlds_rcv_badqueries", "mlds_rcv_gen_queries",
                 "mlds_rcv_group_queries", "mlds_rcv_gsr_queries", "mlds_drop_gsr_queries",
                 "mlds_rcv_reports", "mlds_rcv_badreports", "mlds_rcv_ourreports",
                 "mlds_snd_reports")


class mld_host(mcast_host):
    """MLDv2 (RFC 3810) with MLDv1 (RFC 2710) compatibility."""

    NAME = "mld"
    VERSION = MLD_VERSION_2
    LEGACY = (MLD_VERSION_1,)
    # RFC 3810 9.11: Unsolicited Report Interval 1 s; RFC 2710 7.10: 10 s
    URI = {MLD_VERSION_1: 10, MLD_VERSION_2: 1}
    RECLEN = MLD_V2_RECORD_MINLEN
    ADDRLEN = 16
    STAT_P = "mlds_"

    def __init__(self, k: "Kernel") -> None:
        super().__init__(k)
        self.stat = mldstat()

    def table(self) -> dict:
        return self.k.in6.in6_multi

    def silent_group(self, addr: bytes) -> bool:
        # RFC 3810 6: "MLD messages are never sent for multicast addresses whose
        # scope is 0 (reserved) or 1 (node-local)"; "the link-scope all-nodes
        # multicast address (FF02::1) is handled as a special case ... never
        # sends any MLD message for it" (RFC 2710 5).
        return addr == IN6ADDR_LINKLOCAL_ALLNODES or addr[1] & 0x0F <= 1

    def send_legacy_report(self, g: Any, version: int) -> None:
        # RFC 2710 3: a Report is sent to the multicast address being reported.
        self._output(g.mc_ifp, g.mc_addr, MldV1Message(MLD_LISTENER_REPORT, g.mc_addr))

    def send_legacy_leave(self, g: Any, version: int) -> None:
        # RFC 2710 4: "send a Done message to the link-scope all-routers address (FF02::2)"
        self._output(g.mc_ifp, IN6ADDR_LINKLOCAL_ALLROUTERS,
                     MldV1Message(MLD_LISTENER_DONE, g.mc_addr))

    def report_room(self, ifp: Any) -> int:
        from kernel.netinet6.nd6 import IN6_LINKMTU
        return IN6_LINKMTU(ifp) - IP6_HDR_LEN - _HBH_LEN - MLD_V2_REPORT_MINLEN

    def send_report(self, ifp: Any, records: list[tuple[int, bytes, list[bytes]]]) -> None:
        # RFC 3810 5.2.14: "Version 2 Multicast Listener Reports are sent with
        # an IP destination address of FF02:0:0:0:0:0:0:16"
        self._output(ifp, IN6ADDR_LINKLOCAL_ALLV2ROUTERS,
                     MldV2Report(tuple(MldRecord(t, a, tuple(s)) for t, a, s in records)))

    def _output(self, ifp: Any, dst: bytes, msg: Any) -> None:
        """mld_v1_transmit_report / mld_dispatch_packet: link-local source (or ::,
        RFC 3590 4), Hop Limit 1, Router Alert, out ``ifp``, no loopback."""
        from kernel.netinet6 import in6, nd6
        from kernel.netinet6.ip6_output import ip6_output
        from kernel.netinet6.ip6_var import (IP6PO_DONTFRAG, IP6PO_MINMTU_DISABLE, IPV6_UNSPECSRC,
                                             ip6_moptions, ip6_pktopts)
        k = self.k
        if nd6.nd6_ifdisabled(ifp) or not self.can_send(ifp):
            return                  # RFC 4862 5.4.5: IPv6 is off on this interface; link down
        ia = in6.in6ifa_ifpforlinklocal(ifp, _NOTREADY)
        src = ia.ia_addr if ia is not None else IN6ADDR_ANY
        body = msg.emit(src, dst)
        m = mbuf(ip6_hdr.pack(IPV6_VERSION << 24, len(body), IPPROTO_ICMPV6, 1, src, dst) + body)
        opt = ip6_pktopts()
        opt.ip6po_hbh = mld_hbh_router_alert()
        # sized to the link MTU (RFC 3810 5.2.15), not the 1280 of multicast by default
        opt.ip6po_minmtu = IP6PO_MINMTU_DISABLE
        opt.ip6po_flags |= IP6PO_DONTFRAG
        im6o = ip6_moptions(ifp, 1, 0)
        self.stat.mlds_snd_reports += 1
        k.icmp6stat.icp6s_outhist[body[0]] += 1
        ip6_output(k, m, opt, None, IPV6_UNSPECSRC if ia is None else 0, im6o, None,
                   ifp.if_index)

    def ifinfo_dump(self) -> list[mld_ifinfo]:
        now = self.k.now()
        out = []
        for idx, ifi in sorted(self.ifinfos.items()):
            v1 = ifi.ifi_qpresent.get(MLD_VERSION_1, 0)
            flags = ifi.ifi_flags | (MLIF_USEALLOW if self.use_allow else 0)
            out.append(mld_ifinfo(idx, ifi.ifi_version, max(0, v1 - now) // SEC if v1 else 0,
                                  max(0, ifi.ifi_gqtimer - now) // MS if ifi.ifi_gqtimer else 0,
                                  flags, ifi.ifi_rv, ifi.ifi_qi, ifi.ifi_qri, ifi.ifi_uri))
        return out

    def set_v2enable(self, v: int) -> None:
        self.default_version = MLD_VERSION_2 if v else MLD_VERSION_1
        for ifi in self.ifinfos.values():
            self._set_version(ifi)


def mld_init(k: "Kernel") -> None:
    """SYSINIT (after in6_init): the MLD host (``k.mld``, ``k.mldstat``), the
    sysctl nodes, and the membership tunables of in6_mcast.py."""
    h = mld_host(k)
    k.mld = h
    k.mldstat = h.stat
    _in6_mcast.in6_mcast_init(k)
    p = "net.inet6.mld."
    bool_ = (lambda x: x in (0, 1))
    SYSCTL_INT(k, p + "v1enable", h, "v1enable", "Enable fallback to MLDv1", check=bool_)
    SYSCTL_PROC(k, p + "v2enable", CTLTYPE_INT,
                lambda: 1 if h.default_version == MLD_VERSION_2 else 0,
                lambda v: h.set_v2enable(int(v)),
                descr="Run MLDv2 (0: an RFC 2710 MLDv1 host)")
    SYSCTL_INT(k, p + "use_allow", h, "use_allow", "Use ALLOW/BLOCK for RFC 4604 SSM joins/leaves",
               check=bool_)
    SYSCTL_STRUCT(k, p + "stats", lambda: h.stat, "MLD statistics (struct mldstat)")
    SYSCTL_PROC(k, p + "ifinfo", CTLTYPE_STRUCT, h.ifinfo_dump,
                descr="Per-interface MLD state (mld_ifinfo list)")


# -- hooks for ND and interface up ----------------------------------------------------------------
def mld_dad_delay(ifa: Any) -> int:
    """Ticks (ms) until the MLD report of the solicited-node join of ``ifa``
    has gone out, plus one; 0 when none is pending (RFC 4862 5.4.2: the
    report goes before the DAD Neighbor Solicitation)."""
    h = getattr(ifa.ia_ifp.kernel, "mld", None)
    if h is None:
        return 0
    ns = h.report_delay(ifa.ia_ifp, in6_solicited_node(ifa.ia_addr))
    return -(-ns // MS) + 1 if ns else 0


def mld_ifup(ifp: Any) -> None:
    """The interface (or its link) came up: if reports were lost while it was
    down, report the groups again, as joins."""
    h = getattr(ifp.kernel, "mld", None)
    if h is not None:
        h.ifup(ifp)


# -- input ----------------------------------------------------------------------------------------
def _router_alert(b: Any, o: int, off: int) -> bool:
    """Is there a Router Alert option with value 0 (MLD, RFC 2711) in a
    hop-by-hop header right after the IPv6 header?  (ip6_input validated it.)"""
    if b[o + 6] != IPPROTO_HOPOPTS or off < IP6_HDR_LEN + _HBH_LEN:
        return False
    end = o + IP6_HDR_LEN + ((b[o + IP6_HDR_LEN + 1] + 1) << 3)
    i = o + IP6_HDR_LEN + 2
    while i < end:
        t = b[i]
        if t == IP6OPT_PAD1:
            i += 1
            continue
        if i + 1 >= end:
            return False
        ln = b[i + 1]
        if t == IP6OPT_RTALERT and ln == 2 and i + 4 <= end:
            return (b[i + 2] << 8 | b[i + 3]) == IP6OPT_RTALERT_MLD
        i += 2 + ln
    return False


def mld_input(k: "Kernel", m: mbuf, off: int, icmp6len: int) -> None:
    """An MLD message (icmp6_input's handler; ``m`` starts at the IPv6 header,
    ``off`` is the ICMPv6 header, the checksum was verified)."""
    h: mld_host = getattr(k, "mld", None)
    if h is None:
        return                                  # a kernel without MLD (no mld_init)
    st = h.stat
    st.mlds_rcv_total += 1
    ifp = m.rcvif
    if ifp is None or ifp.if_flags & _IFF_LOOPBACK:    # nothing to learn there
        return
    b = m.buf
    o = m.off
    hlim = b[o + 7]
    src = bytes(b[o + 8:o + 24])
    dst = bytes(b[o + 24:o + 40])
    itype = b[o + off]
    # RFC 3810 5.1.14 / 5.2.13: "if the Hop Limit is set to 1, and if the Router
    # Alert option is present ... If any of these checks fails, the packet is dropped."
    if hlim != 1:
        st.mlds_rcv_badttl += 1
        return
    if not _router_alert(b, o, off):
        st.mlds_rcv_nora += 1
        return
    msg = bytes(b[o + off:o + off + icmp6len])
    if itype == MLD_LISTENER_QUERY:
        mld_input_query(h, ifp, src, dst, msg)
    elif itype == MLD_LISTENER_REPORT:
        mld_v1_input_report(h, ifp, src, dst, msg)
    elif itype in (MLD_LISTENER_DONE, MLDV2_LISTENER_REPORT):
        pass                                    # for routers


def mld_input_query(h: mld_host, ifp: Any, src: bytes, dst: bytes, msg: bytes) -> None:
    st = h.stat
    # RFC 3810 5.1.14: "the source address of the message is a valid link-local address"
    if not IN6_IS_ADDR_LINKLOCAL(src):
        st.mlds_rcv_badqueries += 1
        return
    n = len(msg)
    if n != MLD_MINLEN and n < MLD_V2_QUERY_MINLEN:
        st.mlds_rcv_badqueries += 1             # RFC 3810 8.1: "MUST be silently ignored"
        return
    try:
        q = MldV1Message.parse(msg) if n == MLD_MINLEN else MldV2Query.parse(msg)
    except ValueError:
        st.mlds_rcv_badqueries += 1
        return
    general = q.addr == IN6ADDR_ANY
    # RFC 3810 5.1.15: General Queries to FF02::1, the others to the address queried.
    if (general and dst != IN6ADDR_LINKLOCAL_ALLNODES) or \
            (not general and (not IN6_IS_ADDR_MULTICAST(q.addr) or q.addr != dst)):
        st.mlds_rcv_badqueries += 1
        return
    if n == MLD_MINLEN:
        mld_v1_input_query(h, ifp, q, general)
    else:
        mld_v2_input_query(h, ifp, q, general)


def mld_v1_input_query(h: mld_host, ifp: Any, q: MldV1Message, general: bool) -> None:
    """RFC 2710 4; RFC 3810 8.2.1: "Whenever a host receives an MLDv1 Query, it
    sets ... the Older Version Querier Present timer" and goes to MLDv1 mode."""
    h.stat.mlds_rcv_v1_queries += 1
    h.count_query(general)
    if not h.v1enable:
        return
    h.querier_present(ifp, MLD_VERSION_1)
    h.legacy_query(ifp, None if general else q.addr, q.max_delay * MS)


def mld_v2_input_query(h: mld_host, ifp: Any, q: MldV2Query, general: bool) -> None:
    """RFC 3810 6.2 (ignored in MLDv1 compatibility mode, as FreeBSD does)."""
    st = h.stat
    st.mlds_rcv_v2_queries += 1
    if general and q.sources:
        st.mlds_rcv_badqueries += 1             # a General Query names no sources
        return
    h.count_query(general, q.sources)
    ifi = h.ifinfo(ifp)
    if ifi.ifi_version != MLD_VERSION_2:
        return
    # RFC 3810 5.1.8, 9.1: adopt the querier's Robustness Variable (unless 0),
    # Query Interval (5.1.9) and Query Response Interval.
    if q.qrv:
        ifi.ifi_rv = q.qrv
    if q.qqi:
        ifi.ifi_qi = q.qqi
    ifi.ifi_qri = max(1, q.max_resp_delay // 1000)
    h.query(ifp, None if general else q.addr, q.sources, q.max_resp_delay * MS)


def mld_v1_input_report(h: mld_host, ifp: Any, src: bytes, dst: bytes, msg: bytes) -> None:
    """Another listener's MLDv1 Report: report suppression (RFC 2710 4)."""
    st = h.stat
    st.mlds_rcv_reports += 1
    # RFC 3590 4 / RFC 3810 5.2.13: from a link-local address or ::
    if src != IN6ADDR_ANY and not IN6_IS_ADDR_LINKLOCAL(src):
        st.mlds_rcv_badreports += 1
        return
    r = MldV1Message.parse(msg)
    if not IN6_IS_ADDR_MULTICAST(r.addr) or r.addr != dst:
        st.mlds_rcv_badreports += 1
        return
    from kernel.netinet6 import in6
    if src != IN6ADDR_ANY and in6.in6ifa_ifpwithaddr(ifp, src) is not None:
        st.mlds_rcv_ourreports += 1
        return
    h.legacy_report_heard(ifp, r.addr)


__all__ = ["mld_host", "mldstat", "mld_init", "mld_input", "mld_dad_delay", "mld_ifup"]
