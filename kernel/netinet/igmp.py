"""IGMPv3 host, with IGMPv1/v2 compatibility (sys/netinet/igmp.c); the host machinery MLD shares.

RFC 3810 (MLDv2) is "a translation of IGMPv3 for IPv6 semantics" (RFC 3810
1), and FreeBSD's mld6.c is a copy of igmp.c; here the common part is one
class, ``mcast_host``, that mld6.py subclasses.  It keeps, per interface, a
``mcast_ifinfo`` (FreeBSD's igmp_ifinfo / mld_ifinfo: the compatibility
mode, the Older Version Querier Present timers, the pending General Query
response, the Robustness Variable and intervals) and, per group record
(in_multi / in6_multi, their ``mc_*`` fields), the last reported state and
the report timers:

- **State changes** (RFC 3376 5.1, RFC 3810 6.1): ``change_state`` compares
  the merged filter (in_mcast.inm_merge) with the one last reported and
  sends at once a State Change Report — TO_IN/TO_EX on a filter mode
  change, ALLOW/BLOCK on a source list change (the table of RFC 3376 5.1 /
  RFC 3810 6.1; a join is a change from INCLUDE {}, a leave a change to
  it) — then retransmits it [Robustness Variable] - 1 more times at random
  intervals in (0, [Unsolicited Report Interval]], merging later changes
  in: a filter mode change record is repeated RV times, each changed
  source RV times.
- **Queries** (RFC 3376 5.2, RFC 3810 6.2): the response to a General
  Query goes after a random delay up to the Maximum Response Delay on the
  interface timer; to a Group or Group-and-Source Specific Query on the
  group's timer, with the five rules of RFC 3376 5.2 / RFC 3810 6.2
  (pending responses merged, sources recorded).  The Current State Records
  (RFC 3376 5.2 / RFC 3810 6.3): IS_IN / IS_EX of the state, or for a
  source-specific query IS_IN of the queried sources the filter lets through.
- **Compatibility** (RFC 3376 7.2.1, RFC 3810 8.2.1): a Query of an older
  version starts that version's Older Version Querier Present timer
  ([Robustness Variable] * [Query Interval] + [Query Response Interval])
  and the interface works in the oldest such mode — RFC 2236 / RFC 2710
  hosts: a report at once and once more after a random delay on a join,
  reports on a random timer after a query, suppressed when another
  member's report is heard, a Leave/Done on leaving if we reported last —;
  every change of mode cancels the pending responses and retransmissions.

Timers are absolute times (ns) on the group records and interface records;
FreeBSD's fast timeout (the report timers) and slow timeout (the querier
timers) are two callouts, each armed for the earliest pending deadline
only (nothing runs while nothing is pending).

IGMP itself (RFC 3376 4, RFC 2236, RFC 1112): ``igmp_input`` (protocol 2 in
the inet switch) checks length, checksum and TTL 1, tells the queries'
versions apart by length (RFC 3376 7.1), handles queries and, in v1/v2
mode, other members' reports, then passes the packet to raw sockets.
Output: Version 3 Reports to 224.0.0.22, Version 2 Reports to the group,
Leaves to 224.0.0.2, all with TTL 1 and (v2, v3) the Router Alert option
(RFC 2113), from the interface's first address or 0.0.0.0 (RFC 3376
4.2.13); 224.0.0.1 is never reported (RFC 2236 6).  Counters: ``k.igmpstat``
(FreeBSD's struct igmpstat), ``net.inet.igmp.stats``; per interface state:
``net.inet.igmp.ifinfo``.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from kernel.kern.kern_sysctl import CTLTYPE_STRUCT, SYSCTL_INT, SYSCTL_PROC, SYSCTL_STRUCT
from kernel.kern.uipc_mbuf import mbuf
from kernel.netinet import in_mcast as _mc
from kernel.netinet.in_mcast import inm_ismember, inm_merge
from kernel.wire.igmp import (IGIF_SILENT, IGMP_ALLOW_NEW_SOURCES, IGMP_BLOCK_OLD_SOURCES,
                              IGMP_CHANGE_TO_EXCLUDE_MODE, IGMP_CHANGE_TO_INCLUDE_MODE,
                              IGMP_HOST_LEAVE_MESSAGE, IGMP_HOST_MEMBERSHIP_QUERY, IGMP_MINLEN,
                              IGMP_MODE_IS_EXCLUDE, IGMP_MODE_IS_INCLUDE, IGMP_V3_GRECORD_MINLEN,
                              IGMP_V3_REPORT_MINLEN, IGMP_VERSION_1, IGMP_VERSION_2,
                              IGMP_VERSION_3, IGMP_v1_HOST_MEMBERSHIP_REPORT,
                              IGMP_v2_HOST_MEMBERSHIP_REPORT, IP_ROUTER_ALERT_OPTION,
                              IgmpGroupRecord, IgmpMessage, IgmpV3Query, IgmpV3Report,
                              igmp_ifinfo, igmp_query_version)
from kernel.wire.in_ import (INADDR_ALLHOSTS_GROUP, INADDR_ALLRPTS_GROUP, INADDR_ALLRTRS_GROUP,
                             INADDR_ANY, IN_MULTICAST)
from kernel.wire.in_cksum import in_cksum
from kernel.wire.in_mcast import MCAST_EXCLUDE, MCAST_INCLUDE, MCAST_UNDEFINED
from kernel.wire.ip import IP_HDR_LEN, IPOPT_EOL, IPOPT_NOP, IPOPT_RA, ip_hdr
from kernel.wire.ip6 import IPPROTO_DONE, IPPROTO_IGMP
from kernel.wire.net_if import IFF, LinkState

if TYPE_CHECKING:  # pragma: no cover
    from kernel.kern.init_main import Kernel

SEC = 1_000_000_000
MS = 1_000_000

# Group record states (FreeBSD igmp_var.h IGMP_*_MEMBER; mld6_var.h MLD_*_MEMBER)
NOT_MEMBER = 0
SILENT_MEMBER = 1            # never reported (224.0.0.1, ff02::1, scope < link, loopback)
REPORTING_MEMBER = 2         # a report is due (state change, or v1/v2 timer running)
IDLE_MEMBER = 3              # reported; v1/v2: we were the last to report
LAZY_MEMBER = 4              # v1/v2: another member's report suppressed ours
G_QUERY_PENDING_MEMBER = 7   # a Group-Specific Query response is due
SG_QUERY_PENDING_MEMBER = 8  # a Group-and-Source-Specific Query response is due
LEAVING_MEMBER = 9           # left; the leave is being retransmitted
MEMBER_STATE_NAMES = {NOT_MEMBER: "not-member", SILENT_MEMBER: "silent",
                      REPORTING_MEMBER: "reporting", IDLE_MEMBER: "idle", LAZY_MEMBER: "lazy",
                      G_QUERY_PENDING_MEMBER: "g-query-pending",
                      SG_QUERY_PENDING_MEMBER: "sg-query-pending", LEAVING_MEMBER: "leaving"}

# Record types: the same numbers in RFC 3376 4.2.12 and RFC 3810 5.2.12.
MODE_IS_INCLUDE = IGMP_MODE_IS_INCLUDE
MODE_IS_EXCLUDE = IGMP_MODE_IS_EXCLUDE
CHANGE_TO_INCLUDE_MODE = IGMP_CHANGE_TO_INCLUDE_MODE
CHANGE_TO_EXCLUDE_MODE = IGMP_CHANGE_TO_EXCLUDE_MODE
ALLOW_NEW_SOURCES = IGMP_ALLOW_NEW_SOURCES
BLOCK_OLD_SOURCES = IGMP_BLOCK_OLD_SOURCES

RV_INIT = 2                  # RFC 3376 8.1, RFC 3810 9.1: Robustness Variable
QI_INIT = 125                # RFC 3376 8.2, RFC 3810 9.2: Query Interval, s
QRI_INIT = 10                # RFC 3376 8.3, RFC 3810 9.3: Query Response Interval, s
MAX_SOURCES_QUERIED = 512    # sources kept from G&S queries per group


class mcast_ifinfo:
    """Per-interface protocol state (FreeBSD's igmp_ifinfo / mld_ifinfo)."""

    __slots__ = ("ifi_ifp", "ifi_version", "ifi_qpresent", "ifi_gqtimer", "ifi_flags",
                 "ifi_rv", "ifi_qi", "ifi_qri", "ifi_uri", "ifi_lost")

    def __init__(self, ifp: Any, version: int, flags: int, uri: int) -> None:
        self.ifi_ifp = ifp
        self.ifi_version = version              # the compatibility mode
        self.ifi_qpresent: dict[int, int] = {}  # older version -> Querier Present deadline (ns)
        self.ifi_gqtimer = 0                    # deadline of the General Query response (ns)
        self.ifi_flags = flags
        self.ifi_rv = RV_INIT
        self.ifi_qi = QI_INIT
        self.ifi_qri = QRI_INIT
        self.ifi_uri = uri                      # Unsolicited Report Interval, s
        self.ifi_lost = False                   # a report could not go out (link down)


class mcast_host:
    """The host side of IGMP or MLD for one kernel (see the module docstring).

    A protocol sets the class attributes and implements the hooks:
    ``table`` (its group records), ``silent_group``, ``send_legacy_report``,
    ``send_legacy_leave``, ``report_room``, ``send_report``."""

    NAME = ""
    VERSION = 0                  # the current version (IGMPv3: 3, MLDv2: 2)
    LEGACY: tuple[int, ...] = ()  # the older versions a querier may speak
    URI: dict[int, int] = {}     # Unsolicited Report Interval per version, s
    RECLEN = 0                   # a record's fixed part
    ADDRLEN = 0
    STAT_P = ""                  # the prefix of the counters' names

    def __init__(self, k: "Kernel") -> None:
        self.k = k
        self.ifinfos: dict[int, mcast_ifinfo] = {}
        self.leaving: list[Any] = []            # records that left, leave still retransmitting
        self.default_version = self.VERSION
        self.use_allow = 1                      # ALLOW/BLOCK for source-specific joins/leaves
        self.v1enable = 1                       # accept version 1 queries
        self.v2enable = 1                       # (IGMP) accept version 2 queries
        self.fasttimo_ch = k.callout()
        self.fasttimo_at = 0
        self.slowtimo_ch = k.callout()
        self.slowtimo_at = 0

    # -- hooks -------------------------------------------------------------------------------
    def table(self) -> dict:  # pragma: no cover - overridden
        raise NotImplementedError

    def silent_group(self, addr: bytes) -> bool:  # pragma: no cover - overridden
        raise NotImplementedError

    def send_legacy_report(self, g: Any, version: int) -> None:  # pragma: no cover
        raise NotImplementedError

    def send_legacy_leave(self, g: Any, version: int) -> None:  # pragma: no cover
        raise NotImplementedError

    def report_room(self, ifp: Any) -> int:  # pragma: no cover - overridden
        raise NotImplementedError

    def send_report(self, ifp: Any, records: list[tuple[int, bytes, list[bytes]]]) -> None:
        raise NotImplementedError  # pragma: no cover - overridden

    # -- records -------------------------------------------------------------------------------
    def ifinfo(self, ifp: Any) -> mcast_ifinfo:
        """The interface's record, made on first use (igmp_domifattach / mld_domifattach)."""
        ifi = self.ifinfos.get(ifp.if_index)
        if ifi is None or ifi.ifi_ifp is not ifp:
            flags = IGIF_SILENT if ifp.if_flags & IFF.LOOPBACK else 0
            ifi = mcast_ifinfo(ifp, self.default_version, flags, self.URI[self.default_version])
            self.ifinfos[ifp.if_index] = ifi
            if self._link_event not in ifp.link_state_hooks:
                ifp.link_state_hooks.append(self._link_event)
        return ifi

    def _link_event(self, ifp: Any, state: Any) -> None:
        if state == LinkState.UP:
            self.ifup(ifp)

    def ifup(self, ifp: Any) -> None:
        """The interface (or its link) came up: if reports were lost while it
        was down, report its groups again, as joins."""
        ifi = self.ifinfo(ifp)
        if not ifi.ifi_lost:
            return
        ifi.ifi_lost = False
        for g in list(self.table().values()):
            if g.mc_ifp is ifp and inm_ismember(g.mc_st0) and self.reportable(g) \
                    and not g.mc_joindue:
                g.mc_st0 = (MCAST_UNDEFINED, frozenset())
                g.mc_timer = g.mc_sctimer = 0
                self.change_state(g, 0)

    def groups(self, ifp: Any = None) -> list[Any]:
        """The group records (of ``ifp``), joined or still retransmitting a leave."""
        gs = [g for g in self.table().values() if ifp is None or g.mc_ifp is ifp]
        gs += [g for g in self.leaving if (ifp is None or g.mc_ifp is ifp) and g not in gs]
        return gs

    def lookup(self, ifp: Any, addr: bytes) -> Any:
        return self.table().get((ifp.if_index, addr))

    def reclaim(self, ifp: Any, addr: bytes) -> Any:
        """A record that left and is re-joined while its leave is retransmitted."""
        for g in self.leaving:
            if g.mc_ifp is ifp and g.mc_addr == addr:
                self.leaving.remove(g)
                return g
        return None

    def reportable(self, g: Any) -> bool:
        ifi = self.ifinfo(g.mc_ifp)
        return not ifi.ifi_flags & IGIF_SILENT and not self.silent_group(g.mc_addr)

    def can_send(self, ifp: Any) -> bool:
        """Is the link there to carry a report?  If not, remember that one was
        lost: the groups are reported again when it comes up."""
        if ifp not in self.k.ifnet:
            return False                        # detached (a destroyed clone)
        if ifp.if_flags & IFF.UP and ifp.if_link_state != LinkState.DOWN:
            return True
        self.ifinfo(ifp).ifi_lost = True
        return False

    def count_query(self, general: bool, sources: Any = ()) -> None:
        """Count a query by kind: general, group-specific, group-and-source-specific."""
        kind = "gen" if general else ("gsr" if sources else "group")
        name = f"{self.STAT_P}rcv_{kind}_queries"
        setattr(self.stat, name, getattr(self.stat, name) + 1)

    def _rand(self, max_ns: int) -> int:
        """A random delay in (0, max] at 1 ms resolution (FreeBSD's RANDOM_DELAY)."""
        return (self.k.platform.rng.randrange(max(1, max_ns // MS)) + 1) * MS

    # -- state changes (RFC 3376 5.1, RFC 3810 6.1) -------------------------------------------
    def change_state(self, g: Any, delay: int = 0) -> None:
        """The listeners of ``g`` changed: report the new merged state (after
        ``delay`` ns, e.g. RFC 4862 5.4.2's random delay for a DAD join)."""
        ifi = self.ifinfo(g.mc_ifp)
        g.mc_ifi = ifi
        new = inm_merge(g.mc_filters)
        old = g.mc_st0
        if new == old:
            return
        if not self.reportable(g) or not (inm_ismember(old) or inm_ismember(new)):
            g.mc_st0 = new
            g.mc_state = SILENT_MEMBER if inm_ismember(new) else NOT_MEMBER
            return
        if ifi.ifi_version < self.VERSION:
            self._legacy_change(g, ifi, old, new, delay)
            return
        rv = ifi.ifi_rv
        omode = MCAST_INCLUDE if old[0] == MCAST_UNDEFINED else old[0]
        nmode = MCAST_INCLUDE if new[0] == MCAST_UNDEFINED else new[0]
        mode_change = omode != nmode
        if not mode_change and nmode == MCAST_INCLUDE and not self.use_allow \
                and (not old[1] or not new[1]):
            mode_change = True                  # use_allow=0: TO_IN for SSM joins and leaves
        if mode_change:
            # RFC 3376 5.1 / RFC 3810 6.1: "INCLUDE (A) -> EXCLUDE (B): TO_EX (B)",
            # "EXCLUDE (A) -> INCLUDE (B): TO_IN (B)", sent [Robustness Variable] times.
            g.mc_scrv = rv
            g.mc_srcq.clear()
        else:
            # "INCLUDE (A) -> INCLUDE (B): ALLOW (B-A), BLOCK (A-B)";
            # "EXCLUDE (A) -> EXCLUDE (B): ALLOW (A-B), BLOCK (B-A)"; each source RV times.
            if nmode == MCAST_INCLUDE:
                allow, block = new[1] - old[1], old[1] - new[1]
            else:
                allow, block = old[1] - new[1], new[1] - old[1]
            for s in allow:
                g.mc_srcq[s] = [ALLOW_NEW_SOURCES, rv]
            for s in block:
                g.mc_srcq[s] = [BLOCK_OLD_SOURCES, rv]
        g.mc_st0 = new
        g.mc_state = REPORTING_MEMBER
        if not g.mc_filters and g not in self.leaving:
            g.mc_state = LEAVING_MEMBER
            self.leaving.append(g)
        if delay > 0:
            g.mc_sctimer = g.mc_joindue = self.k.now() + delay
            self._arm()
            return
        g.mc_joindue = 0
        recs = self._sc_records(g)
        if recs:
            self.output_records(g.mc_ifp, recs)
        self._arm()

    def _sc_records(self, g: Any) -> list[tuple[int, bytes, list[bytes]]]:
        """The records of the next State Change Report of ``g``; counts one
        retransmission down and schedules the next."""
        mode, srcs = g.mc_st0
        g.mc_joindue = 0
        recs: list[tuple[int, bytes, list[bytes]]] = []
        if g.mc_scrv > 0:
            t = CHANGE_TO_EXCLUDE_MODE if mode == MCAST_EXCLUDE else CHANGE_TO_INCLUDE_MODE
            recs.append((t, g.mc_addr, sorted(srcs)))
            g.mc_scrv -= 1
            g.mc_srcq.clear()                   # the filter mode change record carries the state
        else:
            allow, block = [], []
            for s, ent in list(g.mc_srcq.items()):
                (allow if ent[0] == ALLOW_NEW_SOURCES else block).append(s)
                ent[1] -= 1
                if ent[1] <= 0:
                    del g.mc_srcq[s]
            if allow:
                recs.append((ALLOW_NEW_SOURCES, g.mc_addr, sorted(allow)))
            if block:
                recs.append((BLOCK_OLD_SOURCES, g.mc_addr, sorted(block)))
        if g.mc_scrv or g.mc_srcq:
            # "retransmitted ... at intervals chosen at random from the range
            # (0, [Unsolicited Report Interval])"
            g.mc_sctimer = self.k.now() + self._rand(g.mc_ifi.ifi_uri * SEC)
        else:
            g.mc_sctimer = 0
            self._sc_done(g)
        return recs

    def _sc_done(self, g: Any) -> None:
        if g in self.leaving:
            self.leaving.remove(g)
            g.mc_state = NOT_MEMBER
        elif g.mc_state in (REPORTING_MEMBER, LEAVING_MEMBER):
            g.mc_state = IDLE_MEMBER if inm_ismember(g.mc_st0) else NOT_MEMBER

    def _legacy_change(self, g: Any, ifi: mcast_ifinfo, old: tuple, new: tuple, delay: int) -> None:
        """RFC 2236 3 / RFC 2710 4 (and RFC 3376 7.3.1, RFC 3810 8.3.1 in
        compatibility mode): only membership counts, sources are not reported."""
        was, now_member = inm_ismember(old), inm_ismember(new)
        g.mc_st0 = new
        now = self.k.now()
        if now_member and not was:
            # "it should immediately transmit an unsolicited Report ... repeated
            # once or twice after short delays [Unsolicited Report Interval]"
            g.mc_state = REPORTING_MEMBER
            if delay > 0:
                g.mc_timer = g.mc_joindue = now + delay
            else:
                self.send_legacy_report(g, ifi.ifi_version)
                g.mc_lastrep = True
                g.mc_timer = now + self._rand(ifi.ifi_uri * SEC)
            self._arm()
        elif was and not now_member:
            g.mc_timer = 0
            # "If the node's most recent Report message was suppressed by hearing
            # another Report message, it MAY send nothing"
            if g.mc_lastrep:
                self.send_legacy_leave(g, ifi.ifi_version)
            g.mc_lastrep = False
            g.mc_state = NOT_MEMBER

    def report_delay(self, ifp: Any, addr: bytes) -> int:
        """ns until the pending report of a join of ``addr`` on ``ifp`` goes out
        (0: none pending) — DAD waits for it (RFC 4862 5.4.2)."""
        g = self.lookup(ifp, addr)
        if g is None or not g.mc_joindue:
            return 0
        return max(0, g.mc_joindue - self.k.now())

    # -- queries (RFC 3376 5.2, RFC 3810 6.2) -------------------------------------------------
    def query(self, ifp: Any, addr: Optional[bytes], sources: tuple[bytes, ...],
              max_ns: int) -> None:
        """A Query of the current version: schedule the response."""
        ifi = self.ifinfo(ifp)
        now = self.k.now()
        when = now + self._rand(max_ns)
        if addr is None:
            # Rule 2: "the Interface Timer is used to schedule a response to the
            # General Query ... Any previously pending response to a General
            # Query is canceled" — unless it is due sooner (rule 1).
            if not ifi.ifi_gqtimer or ifi.ifi_gqtimer > when:
                ifi.ifi_gqtimer = when
            self._arm()
            return
        g = self.lookup(ifp, addr)
        if g is None or not self.reportable(g) or not inm_ismember(g.mc_st0):
            return
        # Rule 1: "If there is a pending response to a previous General Query
        # scheduled sooner than the selected delay, no additional response".
        if ifi.ifi_gqtimer and ifi.ifi_gqtimer <= when:
            return
        if not g.mc_timer:
            # Rule 3: the group timer; a G&S query records its sources.
            g.mc_timer = when
            g.mc_qsrcs = set(sources) if sources else None
        else:
            # Rules 4 and 5: one response, at the earlier time; a group query
            # (or a pending one) clears the source list, else it grows.
            if not sources or g.mc_qsrcs is None:
                g.mc_qsrcs = None
            elif len(g.mc_qsrcs) + len(sources) <= MAX_SOURCES_QUERIED:
                g.mc_qsrcs |= set(sources)
            else:
                g.mc_qsrcs = None
            g.mc_timer = min(g.mc_timer, when)
        g.mc_state = SG_QUERY_PENDING_MEMBER if g.mc_qsrcs else G_QUERY_PENDING_MEMBER
        self._arm()

    def legacy_query(self, ifp: Any, addr: Optional[bytes], max_ns: int) -> None:
        """A Query in v1/v2 mode (RFC 2236 3, RFC 2710 4): start the timers of
        the queried groups; "If a timer for the group is already running, it
        is reset to the random value only if the requested Max Response Time
        is less than the remaining value of the running timer"."""
        now = self.k.now()
        gs = self.groups(ifp) if addr is None else [g for g in (self.lookup(ifp, addr),) if g]
        for g in gs:
            if not self.reportable(g) or not inm_ismember(g.mc_st0) or not g.mc_filters:
                continue
            if g.mc_timer and g.mc_timer - now <= max_ns:
                continue
            g.mc_timer = now + self._rand(max_ns) if max_ns > 0 else now
            g.mc_state = REPORTING_MEMBER
        self._arm()

    def legacy_report_heard(self, ifp: Any, addr: bytes) -> None:
        """Another member's v1/v2 Report (RFC 2236 3, RFC 2710 4): "it stops its
        timer and does not send a Report", and it is not the last reporter."""
        g = self.lookup(ifp, addr)
        if g is None or self.ifinfo(ifp).ifi_version >= self.VERSION:
            return                              # a v3 host's reports are not suppressed
        if g.mc_timer:
            g.mc_timer = 0
            g.mc_lastrep = False
            g.mc_state = LAZY_MEMBER

    # -- compatibility (RFC 3376 7.2.1, RFC 3810 8.2.1) ---------------------------------------
    def querier_present(self, ifp: Any, version: int) -> None:
        """A Query of an older ``version``: start (or restart) its Older Version
        Querier Present timer, [Robustness Variable] * [Query Interval] +
        [Query Response Interval] (RFC 3376 8.12, RFC 3810 9.12)."""
        ifi = self.ifinfo(ifp)
        ifi.ifi_qpresent[version] = self.k.now() + \
            (ifi.ifi_rv * ifi.ifi_qi + ifi.ifi_qri) * SEC
        self._set_version(ifi)
        self._arm_slow()

    def _set_version(self, ifi: mcast_ifinfo) -> None:
        """mld_set_version / igmp_set_version: the oldest querier present, else
        the default; "whenever a host changes its compatibility mode, it
        cancels all its pending responses and retransmission timers"."""
        v = min(ifi.ifi_qpresent) if ifi.ifi_qpresent else self.default_version
        if v == ifi.ifi_version:
            return
        ifi.ifi_version = v
        ifi.ifi_uri = self.URI[v]
        ifi.ifi_gqtimer = 0
        for g in self.groups(ifi.ifi_ifp):
            g.mc_timer = g.mc_sctimer = g.mc_scrv = g.mc_joindue = 0
            g.mc_srcq.clear()
            g.mc_qsrcs = None
            if g in self.leaving:
                self.leaving.remove(g)
            if g.mc_state not in (SILENT_MEMBER, NOT_MEMBER):
                g.mc_state = IDLE_MEMBER if inm_ismember(g.mc_st0) else NOT_MEMBER

    # -- timers (igmp_fasttimo / mld_fasttimo, igmp_slowtimo / mld_slowtimo) ------------------
    def _arm(self) -> None:
        """Arm the fast timeout for the earliest report timer, if any."""
        due = [ifi.ifi_gqtimer for ifi in self.ifinfos.values() if ifi.ifi_gqtimer]
        for g in self.groups():
            due += [t for t in (g.mc_timer, g.mc_sctimer) if t]
        if due:
            self.fasttimo_at = _arm_callout(self, self.fasttimo_ch, self.fasttimo_at, min(due),
                                            _fasttimo)

    def _arm_slow(self) -> None:
        """Arm the slow timeout for the earliest Older Version Querier Present timer."""
        due = [t for ifi in self.ifinfos.values() for t in ifi.ifi_qpresent.values()]
        if due:
            self.slowtimo_at = _arm_callout(self, self.slowtimo_ch, self.slowtimo_at, min(due),
                                            _slowtimo)

    def fasttimo(self) -> None:
        """Send every report whose time has come."""
        now = self.k.now()
        self.fasttimo_at = 0
        statechg: dict[int, list] = {}
        current: dict[int, list] = {}
        for ifi in list(self.ifinfos.values()):
            if ifi.ifi_gqtimer and ifi.ifi_gqtimer <= now:
                ifi.ifi_gqtimer = 0
                if ifi.ifi_version == self.VERSION:
                    current.setdefault(ifi.ifi_ifp.if_index, []).extend(
                        self._general_records(ifi.ifi_ifp))
        for g in self.groups():
            ifi = g.mc_ifi if g.mc_ifi is not None else self.ifinfo(g.mc_ifp)
            idx = g.mc_ifp.if_index
            if g.mc_timer and g.mc_timer <= now:
                delayed_join = g.mc_joindue != 0
                g.mc_timer = g.mc_joindue = 0
                if ifi.ifi_version < self.VERSION:
                    if inm_ismember(g.mc_st0) and g.mc_filters:
                        self.send_legacy_report(g, ifi.ifi_version)
                        g.mc_lastrep = True
                        g.mc_state = IDLE_MEMBER
                        if delayed_join:        # the first report of a join: repeat it once
                            g.mc_state = REPORTING_MEMBER
                            g.mc_timer = now + self._rand(ifi.ifi_uri * SEC)
                else:
                    rec = self._current_record(g, g.mc_qsrcs)
                    g.mc_qsrcs = None
                    if g.mc_state in (G_QUERY_PENDING_MEMBER, SG_QUERY_PENDING_MEMBER):
                        g.mc_state = IDLE_MEMBER
                    if rec is not None:
                        current.setdefault(idx, []).append(rec)
            if g.mc_sctimer and g.mc_sctimer <= now:
                g.mc_sctimer = 0
                statechg.setdefault(idx, []).extend(self._sc_records(g))
        for recs_by_if in (statechg, current):
            for idx, recs in recs_by_if.items():
                ifi = self.ifinfos.get(idx)
                if recs and ifi is not None:
                    self.output_records(ifi.ifi_ifp, recs)
        self._arm()

    def slowtimo(self) -> None:
        """Older Version Querier Present timers: back to the newer mode when they run out."""
        now = self.k.now()
        self.slowtimo_at = 0
        for ifi in list(self.ifinfos.values()):
            for v, t in list(ifi.ifi_qpresent.items()):
                if t <= now:
                    del ifi.ifi_qpresent[v]
            self._set_version(ifi)
        self._arm_slow()

    # -- current state (RFC 3376 5.2, RFC 3810 6.3) -------------------------------------------
    def _current_record(self, g: Any, qsrcs: Optional[set]) -> Optional[tuple[int, bytes, list]]:
        if not self.reportable(g) or not inm_ismember(g.mc_st0):
            return None
        mode, srcs = g.mc_st0
        if qsrcs is None:
            t = MODE_IS_EXCLUDE if mode == MCAST_EXCLUDE else MODE_IS_INCLUDE
            return t, g.mc_addr, sorted(srcs)
        # "INCLUDE (A): IS_IN (A*B); EXCLUDE (A): IS_IN (B-A)"; nothing if empty.
        want = (srcs & qsrcs) if mode == MCAST_INCLUDE else (qsrcs - srcs)
        return (MODE_IS_INCLUDE, g.mc_addr, sorted(want)) if want else None

    def _general_records(self, ifp: Any) -> list[tuple[int, bytes, list]]:
        out = []
        for g in sorted(self.table().values(), key=lambda x: x.mc_addr):
            if g.mc_ifp is ifp:
                rec = self._current_record(g, None)
                if rec is not None:
                    out.append(rec)
        return out

    # -- output: records into reports that fit the link -------------------------------------
    def output_records(self, ifp: Any, recs: list[tuple[int, bytes, list[bytes]]]) -> None:
        """Pack ``recs`` into as few reports as fit ``report_room(ifp)``; a record
        with too many sources is split, except IS_EX / TO_EX records, which
        keep as many sources as fit (RFC 3376 4.2.16, RFC 3810 5.2.15)."""
        room = self.report_room(ifp)
        maxn = max(1, (room - self.RECLEN) // self.ADDRLEN)
        packets: list[list] = []
        cur: list = []
        used = 0
        for t, addr, srcs in recs:
            if len(srcs) <= maxn:
                chunks = [srcs]
            elif t in (MODE_IS_EXCLUDE, CHANGE_TO_EXCLUDE_MODE):
                chunks = [srcs[:maxn]]
            else:
                chunks = [srcs[i:i + maxn] for i in range(0, len(srcs), maxn)]
            for c in chunks:
                need = self.RECLEN + self.ADDRLEN * len(c)
                if cur and used + need > room:
                    packets.append(cur)
                    cur, used = [], 0
                cur.append((t, addr, c))
                used += need
        if cur:
            packets.append(cur)
        for p in packets:
            self.send_report(ifp, p)

    def ifinfo_dump(self) -> list[Any]:  # pragma: no cover - overridden
        raise NotImplementedError


def _arm_callout(h: mcast_host, ch: Any, armed_at: int, at: int, fn: Any) -> int:
    """(Re)arm callout ``ch`` to run ``fn(h)`` at ``at`` unless it runs sooner; the
    time it is armed for."""
    if armed_at and armed_at <= at and ch.callout_pending():
        return armed_at
    ch.callout_reset_ns(max(0, at - h.k.now()), fn, h)
    return at


def _fasttimo(h: mcast_host) -> None:
    h.fasttimo()


def _slowtimo(h: mcast_host) -> None:
    h.slowtimo()


# ======================================================================================
# IGMP
# ======================================================================================
class mcast_stat:
    """Counters of a host protocol: every field of ``__slots__`` starts at 0."""

    __slots__: tuple[str, ...] = ()

    def __init__(self) -> None:
        for n in self.__slots__:
            setattr(self, n, 0)

    def as_dict(self) -> dict[str, int]:
        return {n: getattr(self, n) for n in self.__slots__}


class igmpstat(mcast_stat):
    """``struct igmpstat`` (FreeBSD netinet/igmp_var.h)."""

    __slots__ = ("igps_rcv_total", "igps_rcv_tooshort", "igps_rcv_badttl", "igps_rcv_badsum",
                 "igps_rcv_v1v2_queries", "igps_rcv_v3_queries", "igps_rcv_badqueries",
                 "igps_rcv_gen_queries", "igps_rcv_group_queries", "igps_rcv_gsr_queries",
                 "igps_drop_gsr_queries", "igps_rcv_reports", "igps_rcv_badreports",
                 "igps_rcv_ourreports", "igps_rcv_nora", "igps_snd_reports")


class igmp_host(mcast_host):
    """IGMPv3 (RFC 3376) with IGMPv1 (RFC 1112) and IGMPv2 (RFC 2236) compatibility."""

    NAME = "igmp"
    VERSION = IGMP_VERSION_3
    LEGACY = (IGMP_VERSION_1, IGMP_VERSION_2)
    # RFC 3376 8.11: Unsolicited Report Interval 1 s; RFC 2236 8.10: 10 s
    URI = {IGMP_VERSION_1: 10, IGMP_VERSION_2: 10, IGMP_VERSION_3: 1}
    RECLEN = IGMP_V3_GRECORD_MINLEN
    ADDRLEN = 4
    STAT_P = "igps_"

    def __init__(self, k: "Kernel") -> None:
        super().__init__(k)
        self.stat = igmpstat()
        self.sendra = 1                 # net.inet.igmp.sendra: Router Alert on v2/v3 messages

    def table(self) -> dict:
        return self.k.inet.in_multihead

    def silent_group(self, addr: bytes) -> bool:
        # RFC 2236 6: "The all-systems group (address 224.0.0.1) is handled as a
        # special case ... never sends a report for that group."
        return addr == INADDR_ALLHOSTS_GROUP

    def send_legacy_report(self, g: Any, version: int) -> None:
        t = IGMP_v1_HOST_MEMBERSHIP_REPORT if version == IGMP_VERSION_1 \
            else IGMP_v2_HOST_MEMBERSHIP_REPORT
        self._output(g.mc_ifp, g.mc_addr, IgmpMessage(t, g.mc_addr).emit(),
                     version != IGMP_VERSION_1)

    def send_legacy_leave(self, g: Any, version: int) -> None:
        if version == IGMP_VERSION_1:
            return                      # RFC 1112 has no Leave
        # RFC 2236 3: "send a Leave Group message to the all-routers multicast group"
        self._output(g.mc_ifp, INADDR_ALLRTRS_GROUP,
                     IgmpMessage(IGMP_HOST_LEAVE_MESSAGE, g.mc_addr).emit(), True)

    def report_room(self, ifp: Any) -> int:
        return ifp.if_mtu - IP_HDR_LEN - len(IP_ROUTER_ALERT_OPTION) - IGMP_V3_REPORT_MINLEN

    def send_report(self, ifp: Any, records: list[tuple[int, bytes, list[bytes]]]) -> None:
        rep = IgmpV3Report(tuple(IgmpGroupRecord(t, a, tuple(s)) for t, a, s in records))
        # RFC 3376 4.2.14: "Version 3 Reports are sent with an IP destination
        # address of 224.0.0.22"
        self._output(ifp, INADDR_ALLRPTS_GROUP, rep.emit(), True)

    def _output(self, ifp: Any, dst: bytes, body: bytes, ra: bool) -> None:
        """igmp_v1v2_queue_report / igmp_v3_encap_report + ip_output: TTL 1, no
        loopback, out ``ifp``, from its first address or 0.0.0.0 (RFC 3376 4.2.13)."""
        from kernel.netinet import in_ as _in
        from kernel.netinet.ip_output import ip_output
        from kernel.netinet.ip_var import ip_moptions
        k = self.k
        if not self.can_send(ifp):
            return
        ia = _in.IFP_TO_IA(ifp)
        src = ia.ia_addr if ia is not None else INADDR_ANY
        m = mbuf(ip_hdr.pack(0x45, 0xC0, IP_HDR_LEN + len(body), 0, 0, 1, IPPROTO_IGMP, 0,
                             src, dst) + body)
        imo = ip_moptions()
        imo.imo_multicast_ifp = ifp
        imo.imo_multicast_ttl = 1
        imo.imo_multicast_loop = 0
        opt = IP_ROUTER_ALERT_OPTION if ra and self.sendra else None
        self.stat.igps_snd_reports += 1
        ip_output(k, m, opt, None, 0, imo, None)

    def ifinfo_dump(self) -> list[igmp_ifinfo]:
        now = self.k.now()
        out = []
        for idx, ifi in sorted(self.ifinfos.items()):
            left = {v: max(0, (t - now) // SEC) for v, t in ifi.ifi_qpresent.items()}
            out.append(igmp_ifinfo(idx, ifi.ifi_version, left.get(IGMP_VERSION_1, 0),
                                   left.get(IGMP_VERSION_2, 0),
                                   max(0, ifi.ifi_gqtimer - now) // MS if ifi.ifi_gqtimer else 0,
                                   ifi.ifi_flags, ifi.ifi_rv, ifi.ifi_qi, ifi.ifi_qri,
                                   ifi.ifi_uri))
        return out


def igmp_init(k: "Kernel") -> None:
    """SYSINIT (after ip_init): the IGMP host, protocol 2 in the inet switch,
    the sysctl nodes, and the membership tunables of in_mcast.py."""
    if getattr(k, "inet", None) is None:
        from kernel.netinet.ip_input import ip_init
        ip_init(k)
    h = igmp_host(k)
    k.igmp = h
    k.igmpstat = h.stat
    from kernel.netinet.in_proto import in_proto_register
    in_proto_register(k, IPPROTO_IGMP, igmp_input)
    _mc.in_mcast_init(k)
    p = "net.inet.igmp."
    bool_ = (lambda x: x in (0, 1))
    SYSCTL_INT(k, p + "v1enable", h, "v1enable", "Enable backwards compatibility with IGMPv1",
               check=bool_)
    SYSCTL_INT(k, p + "v2enable", h, "v2enable", "Enable backwards compatibility with IGMPv2",
               check=bool_)
    SYSCTL_INT(k, p + "default_version", h, "default_version", "Default version of IGMP to run",
               check=lambda x: x in (IGMP_VERSION_1, IGMP_VERSION_2, IGMP_VERSION_3))
    SYSCTL_INT(k, p + "sendra", h, "sendra", "Send IP Router Alert option", check=bool_)
    SYSCTL_STRUCT(k, p + "stats", lambda: h.stat, "IGMP statistics (struct igmpstat)")
    SYSCTL_PROC(k, p + "ifinfo", CTLTYPE_STRUCT, h.ifinfo_dump,
                descr="Per-interface IGMP state (igmp_ifinfo list)")


# -- input ---------------------------------------------------------------------------------------
def _has_router_alert(b: Any, o: int, hlen: int) -> bool:
    """Does the IP header carry the Router Alert option (RFC 2113)?  (ip_input
    checked every option length already.)"""
    i = IP_HDR_LEN
    while i < hlen:
        t = b[o + i]
        if t == IPOPT_EOL:
            return False
        if t == IPOPT_NOP:
            i += 1
            continue
        if i + 1 >= hlen:
            return False
        if t == IPOPT_RA:
            return True
        i += max(2, b[o + i + 1])
    return False


def igmp_input(k: "Kernel", m: mbuf, off: int, proto: int) -> int:
    """inetsw[IPPROTO_IGMP]: ``m`` starts at the IP header, ``off`` is its length."""
    h: igmp_host = k.igmp
    st = h.stat
    st.igps_rcv_total += 1
    b = m.buf
    o = m.off
    igmplen = m.m_len - off
    if igmplen < IGMP_MINLEN:
        st.igps_rcv_tooshort += 1
        return IPPROTO_DONE
    mv = memoryview(b)
    try:
        bad = in_cksum(mv[o + off:o + m.m_len]) != 0
    finally:
        mv.release()
    if bad:
        st.igps_rcv_badsum += 1         # RFC 3376 4.1.2 / RFC 2236 2.3
        return IPPROTO_DONE
    # "IGMP control traffic is link-scope, and must have a TTL of 1" (FreeBSD)
    if b[o + 8] != 1:
        st.igps_rcv_badttl += 1
        return IPPROTO_DONE
    ifp = m.rcvif
    if ifp is None or ifp.if_flags & IFF.LOOPBACK:
        return IPPROTO_DONE
    if not _has_router_alert(b, o, off):
        st.igps_rcv_nora += 1           # counted; not required of queries (RFC 2236 older routers)
    src = bytes(b[o + 12:o + 16])
    dst = bytes(b[o + 16:o + 20])
    base = o + off
    t, code, group = b[base], b[base + 1], bytes(b[base + 4:base + 8])
    if t == IGMP_HOST_MEMBERSHIP_QUERY:
        igmp_input_query(h, ifp, bytes(b[base:o + m.m_len]), code, group, dst)
    elif t in (IGMP_v1_HOST_MEMBERSHIP_REPORT, IGMP_v2_HOST_MEMBERSHIP_REPORT):
        igmp_input_v1v2_report(h, ifp, src, dst, group)
    # Leaves and Version 3 Reports are for routers; everything goes on to raw sockets.
    from kernel.netinet.raw_ip import rip_input
    return rip_input(k, m, off, proto)


def igmp_input_query(h: igmp_host, ifp: Any, msg: bytes, code: int, group: bytes,
                     dst: bytes) -> None:
    """A Membership Query: its version from its length (RFC 3376 7.1)."""
    st = h.stat
    version = igmp_query_version(len(msg), code)
    if version == 0:
        st.igps_rcv_badqueries += 1     # "MUST be silently ignored" (e.g. 10 octets)
        return
    general = group == INADDR_ANY
    if not general and not IN_MULTICAST(group):
        st.igps_rcv_badqueries += 1
        return
    # General Queries go to 224.0.0.1 (RFC 3376 4.1.12, RFC 2236 2); specific
    # ones to the group itself.
    if (general and dst != INADDR_ALLHOSTS_GROUP) or (not general and dst != group):
        st.igps_rcv_badqueries += 1
        return
    if version == IGMP_VERSION_3:
        try:
            q = IgmpV3Query.parse(msg)
        except ValueError:
            st.igps_rcv_badqueries += 1
            return
        if general and q.sources:
            st.igps_rcv_badqueries += 1
            return
        st.igps_rcv_v3_queries += 1
        igmp_input_v3_query(h, ifp, q)
        return
    st.igps_rcv_v1v2_queries += 1
    if version == IGMP_VERSION_1:
        if not h.v1enable:
            return
        if not general:
            st.igps_rcv_badqueries += 1    # RFC 1112: a v1 Query has group 0
            return
        # RFC 2236 4 / RFC 3376 7.3.1: a Version 1 Query means a Max Resp Time of 10 s.
        h.querier_present(ifp, IGMP_VERSION_1)
        h.count_query(True)
        h.legacy_query(ifp, None, 10 * SEC)
        return
    if not h.v2enable:
        return
    h.querier_present(ifp, IGMP_VERSION_2)
    h.count_query(general)
    if h.ifinfo(ifp).ifi_version == IGMP_VERSION_1 and not general:
        return                          # a v1 host knows no group-specific queries
    h.legacy_query(ifp, None if general else group, code * SEC // 10)


def igmp_input_v3_query(h: igmp_host, ifp: Any, q: IgmpV3Query) -> None:
    """RFC 3376 5.2; in v1/v2 mode (RFC 3376 7.2.1) treated as a v1/v2 query."""
    st = h.stat
    ifi = h.ifinfo(ifp)
    general = q.group == INADDR_ANY
    max_ns = q.max_resp_time * SEC // 10
    h.count_query(general, q.sources)
    if ifi.ifi_version < IGMP_VERSION_3:
        if ifi.ifi_version == IGMP_VERSION_1 and not general:
            return
        h.legacy_query(ifp, None if general else q.group, max_ns)
        return
    # RFC 3376 4.1.6/4.1.7: adopt the querier's QRV (when non-zero), QQI and QRI.
    if q.qrv:
        ifi.ifi_rv = q.qrv
    ifi.ifi_qi = q.qqi or QI_INIT
    ifi.ifi_qri = max(1, q.max_resp_time // 10)
    if q.sources and len(q.sources) > MAX_SOURCES_QUERIED:
        st.igps_drop_gsr_queries += 1
        return
    h.query(ifp, None if general else q.group, q.sources, max_ns)


def igmp_input_v1v2_report(h: igmp_host, ifp: Any, src: bytes, dst: bytes,
                           group: bytes) -> None:
    """Another member's Version 1/2 Report: report suppression (RFC 2236 3)."""
    st = h.stat
    st.igps_rcv_reports += 1
    if not IN_MULTICAST(group) or group != dst:
        st.igps_rcv_badreports += 1
        return
    from kernel.netinet import in_ as _in
    if src != INADDR_ANY and _in.in_localip(h.k, src) is not None:
        st.igps_rcv_ourreports += 1
        return
    h.legacy_report_heard(ifp, group)


__all__ = ["mcast_host", "mcast_ifinfo", "mcast_stat", "igmp_host", "igmpstat", "igmp_init", "igmp_input",
           "NOT_MEMBER", "SILENT_MEMBER", "REPORTING_MEMBER", "IDLE_MEMBER", "LAZY_MEMBER",
           "G_QUERY_PENDING_MEMBER", "SG_QUERY_PENDING_MEMBER", "LEAVING_MEMBER"]
