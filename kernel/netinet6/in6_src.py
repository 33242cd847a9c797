"""Source address selection and the address selection policy table (sys/netinet6/in6_src.c).

RFC 6724 (KAME implemented its predecessor, RFC 3484):

- ``in6_selectif`` finds the outgoing interface (RFC 3542 6.7's order:
  IPV6_PKTINFO's interface, IPV6_MULTICAST_IF for a group, the zone of a
  scoped destination (RFC 4007), IPV6_NEXTHOP's route, the routing table).
- ``in6_selectsrc_ia`` walks every address of the node as FreeBSD's
  ``in6_selectsrc`` does: the candidate set of RFC 6724 4 (usable, in the
  destination's zone; for link-local and multicast destinations on the
  outgoing link), then the pairwise rules of RFC 6724 5 against the best so
  far.  Each decision is counted in ``ip6stat.ip6s_sources_rule[r]`` under
  FreeBSD's index (the words ``netstat -s -p ip6`` prints): 0 first
  candidate, 1..7 Rules 1..7, 8 KAME's "alive interface", 10 "preferred
  source" (``IN6_IFF_PREFER_SOURCE``), 14 Rule 8 "longest match" —
  ``REPLACE(r)`` takes the candidate, ``NEXT(r)`` keeps the best.  The
  chosen address is counted in ``ip6s_sources_sameif``/``otherif``,
  ``samescope``/``otherscope`` and ``deprecated`` by its scope; no address at
  all in ``ip6s_sources_none``.
- The policy table (RFC 6724 2.1; its default table at boot): ``in6_src_ioctl``
  answers SIOCAADDRCTL_POLICY / SIOCDADDRCTL_POLICY, the read-only sysctl
  ``net.inet6.ip6.addrctlpolicy`` lists it (``ip6addrctl``, getaddrinfo).
  ``net.inet6.ip6.prefer_tempaddr`` reverses Rule 7 (FreeBSD's default 0
  prefers public addresses, RFC 3484's default; RFC 6724 suggests temporary
  ones, and ``IPV6_PREFER_TEMPADDR`` chooses per socket).

Speed: this runs on every unconnected send.  The scope and the policy entry
of an address depend only on its 16 bytes and the policy table, so they are
memoized per address (``addrsel_state.as_info``, dropped when the table
changes); flags are read live from each ``in6_ifaddr`` (DAD and the lifetime
timer change them in place), so no result is cached.  Rules read the cheap
facts first and the policy only when Rule 6 is reached.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from kernel.kern.kern_sysctl import CTLTYPE_STRUCT, SYSCTL_INT, SYSCTL_PROC
from kernel.net.route import rtalloc1
from kernel.wire import errno
from kernel.wire.in6 import (IN6ADDR_LOOPBACK, in6_addrscope, in6_is_scoped, in6_mask2len,
                             in6_prefix_mask, inet_pton6, sockaddr_in6)
from kernel.wire.in6_addrsel import (ADDR_LABEL_NOTAPP, IN6_IFF_HOME, RFC6724_DEFAULT_POLICY,
                                     SIOCAADDRCTL_POLICY, SIOCDADDRCTL_POLICY, in6_addrpolicy)
from kernel.wire.in6_var import (IN6_IFF_ANYCAST, IN6_IFF_DEPRECATED, IN6_IFF_DETACHED,
                                 IN6_IFF_NOTREADY, IN6_IFF_PREFER_SOURCE, IN6_IFF_TEMPORARY)
from kernel.wire.net_if import IFF
from kernel.wire.route import RTF_BLACKHOLE, RTF_GATEWAY, RTF_HOST, RTF_REJECT

if TYPE_CHECKING:  # pragma: no cover
    from kernel.kern.init_main import Kernel

# ip6s_sources_rule[] indexes (FreeBSD ip6_var.h; netstat's srcrule_str)
IP6S_SRCRULE_0 = 0           # first candidate
IP6S_SRCRULE_1 = 1           # prefer same address
IP6S_SRCRULE_2 = 2           # prefer appropriate scope
IP6S_SRCRULE_3 = 3           # avoid deprecated addresses
IP6S_SRCRULE_4 = 4           # prefer home addresses
IP6S_SRCRULE_5 = 5           # prefer outgoing interface
IP6S_SRCRULE_6 = 6           # prefer matching label
IP6S_SRCRULE_7 = 7           # prefer public (or temporary) addresses
IP6S_SRCRULE_7x = 8          # KAME: prefer addresses on alive interfaces
IP6S_SRCRULE_PREFSRC = 10    # FreeBSD: prefer addresses with IN6_IFF_PREFER_SOURCE
IP6S_SRCRULE_8 = 14          # use longest matching prefix

# ip6po_prefer_tempaddr (IPV6_PREFER_TEMPADDR)
IP6PO_TEMPADDR_SYSTEM = -1
IP6PO_TEMPADDR_NOTPREFER = 0
IP6PO_TEMPADDR_PREFER = 1

_UNUSABLE = IN6_IFF_NOTREADY | IN6_IFF_ANYCAST | IN6_IFF_DETACHED
_IFF_UP = int(IFF.UP)
_AS_INFO_MAX = 1024          # memoized addresses (destinations too) before starting over


class addrsel_policyent:
    """One entry of the policy table (``struct addrsel_policyent``)."""

    __slots__ = ("ape_addr", "ape_mask", "ape_plen", "ape_preced", "ape_label", "ape_use",
                 "_v", "_m")

    def __init__(self, addr: bytes, plen: int, preced: int, label: int) -> None:
        self.ape_mask = in6_prefix_mask(plen)
        self._m = int.from_bytes(self.ape_mask, "big")
        self._v = int.from_bytes(addr, "big") & self._m      # trailing garbage cleared
        self.ape_addr = self._v.to_bytes(16, "big")
        self.ape_plen = plen
        self.ape_preced = preced
        self.ape_label = label
        self.ape_use = 0

    def policy(self) -> in6_addrpolicy:
        return in6_addrpolicy(sockaddr_in6(self.ape_addr), sockaddr_in6(self.ape_mask),
                              self.ape_preced, self.ape_label, self.ape_use)


class addrsel_state:
    """in6_src.c's globals for one kernel (``k.addrsel``)."""

    def __init__(self) -> None:
        self.addrsel_policytab: list[addrsel_policyent] = []
        # the "last resort" policy: no label (Rule 6 does not apply), precedence 0
        self.defaultaddrpolicy = addrsel_policyent(bytes(16), 0, 0, ADDR_LABEL_NOTAPP)
        self.ip6_prefer_tempaddr = 0        # net.inet6.ip6.prefer_tempaddr (FreeBSD default)
        # address -> (scope, int value, policy entry): see the module docstring
        self.as_info: dict[bytes, tuple[int, int, addrsel_policyent]] = {}


def addrsel_policy_init(k: "Kernel") -> addrsel_state:
    """ip6_init's addrsel_policy_init: the state, RFC 6724's default table, sysctl nodes."""
    s = addrsel_state()
    k.addrsel = s
    for prefix, plen, preced, label in RFC6724_DEFAULT_POLICY:     # RFC 6724 2.1
        s.addrsel_policytab.append(addrsel_policyent(inet_pton6(prefix), plen, preced, label))
    ip = "net.inet6.ip6."
    SYSCTL_PROC(k, ip + "addrctlpolicy", CTLTYPE_STRUCT, lambda: addrsel_policy_list(k),
                descr="Address selection policy table (struct in6_addrpolicy)")
    SYSCTL_INT(k, ip + "prefer_tempaddr", s, "ip6_prefer_tempaddr",
               "Prefer temporary addresses as source (RFC 6724 5 Rule 7)")
    return s


def _addrsel(k: "Kernel") -> addrsel_state:
    s = getattr(k, "addrsel", None)
    if s is None:
        s = addrsel_policy_init(k)
    return s


# -- the policy table -----------------------------------------------------------------------------
def match_addrsel_policy(s: addrsel_state, addr: bytes) -> addrsel_policyent:
    """The entry with the longest prefix matching ``addr`` (RFC 6724 2.1), or the
    default policy; not counted."""
    v = int.from_bytes(addr, "big")
    best = s.defaultaddrpolicy
    bestlen = -1
    for pol in s.addrsel_policytab:
        if v & pol._m == pol._v and pol.ape_plen > bestlen:
            best, bestlen = pol, pol.ape_plen
    return best


def _as_info(s: addrsel_state, addr: bytes) -> tuple[int, int, addrsel_policyent]:
    """(scope, the address as an int, policy entry) of ``addr``, memoized."""
    info = s.as_info.get(addr)
    if info is None:
        if len(s.as_info) >= _AS_INFO_MAX:
            s.as_info.clear()
        info = (in6_addrscope(addr), int.from_bytes(addr, "big"), match_addrsel_policy(s, addr))
        s.as_info[addr] = info
    return info


def lookup_addrsel_policy(k: "Kernel", addr: bytes) -> addrsel_policyent:
    """The policy of ``addr``, counting a use of a table entry (in6_src.c)."""
    s = _addrsel(k)
    pol = _as_info(s, bytes(addr))[2]
    if pol is not s.defaultaddrpolicy:
        pol.ape_use += 1
    return pol


def addrsel_policy_list(k: "Kernel") -> list[in6_addrpolicy]:
    """sysctl net.inet6.ip6.addrctlpolicy: the table, in the order entries were added."""
    return [p.policy() for p in _addrsel(k).addrsel_policytab]


def in6_src_ioctl(k: "Kernel", cmd: int, data: Any) -> int:
    """SIOCAADDRCTL_POLICY / SIOCDADDRCTL_POLICY (``in6_addrpolicy``): 0 or an errno."""
    if cmd not in (SIOCAADDRCTL_POLICY, SIOCDADDRCTL_POLICY):
        return errno.EOPNOTSUPP                     # check for safety
    if not isinstance(data, in6_addrpolicy) or not isinstance(data.addr, sockaddr_in6) \
            or not isinstance(data.addrmask, sockaddr_in6) or type(data.preced) is not int \
            or type(data.label) is not int:
        return errno.EINVAL
    if data.label == ADDR_LABEL_NOTAPP:
        return errno.EINVAL
    plen = in6_mask2len(bytes(data.addrmask.sin6_addr))
    if plen < 0:
        return errno.EINVAL                         # the prefix mask must be contiguous
    s = _addrsel(k)
    new = addrsel_policyent(bytes(data.addr.sin6_addr), plen, data.preced, data.label)
    tab = s.addrsel_policytab
    for i, pol in enumerate(tab):
        if pol.ape_addr == new.ape_addr and pol.ape_plen == plen:
            if cmd == SIOCAADDRCTL_POLICY:
                return errno.EEXIST
            del tab[i]
            s.as_info.clear()
            return 0
    if cmd == SIOCDADDRCTL_POLICY:
        return errno.ESRCH
    tab.append(new)
    s.as_info.clear()
    return 0


# -- the outgoing interface -------------------------------------------------------------------------
def _ifnet_byindex(k: "Kernel", idx: int) -> Any:
    for ifp in k.ifnet:
        if ifp.if_index == idx:
            return ifp
    return None


def in6_selectif(k: "Kernel", dst: bytes, zone: int, opts: Any = None,
                 mopts: Any = None) -> tuple[int, Any]:
    """The interface a packet to ``dst`` leaves by (KAME in6_selectif/selectroute):
    (0, ifp) or (errno, None)."""
    pi = opts.ip6po_pktinfo if opts is not None else None
    if pi is not None and pi.ipi6_ifindex:
        # RFC 3542 6.7: the interface of IPV6_PKTINFO (ancillary, then sticky) first
        ifp = _ifnet_byindex(k, pi.ipi6_ifindex)
        return (0, ifp) if ifp is not None else (errno.ENXIO, None)
    if dst[0] == 0xFF and mopts is not None and mopts.im6o_multicast_ifp is not None:
        return 0, mopts.im6o_multicast_ifp          # then IPV6_MULTICAST_IF for a group
    if dst == IN6ADDR_LOOPBACK:
        lo = getattr(k, "loif", None)
        return (0, lo) if lo is not None else (errno.EHOSTUNREACH, None)
    if in6_is_scoped(dst):
        # RFC 4007 6: a scoped destination goes out of the interface of its zone
        ifp = _ifnet_byindex(k, zone) if zone else None
        if ifp is None:
            k.ip6stat.ip6s_noroute += 1
            return errno.EHOSTUNREACH, None
        return 0, ifp
    nh = opts.ip6po_nexthop if opts is not None else None
    if nh is not None:
        # RFC 3542 6.8: IPV6_NEXTHOP must be a neighbor: the interface of its on-link route
        nha = getattr(nh, "sin6_addr", nh)
        if in6_is_scoped(nha):
            ifp = _ifnet_byindex(k, getattr(nh, "sin6_scope_id", 0))
            return (0, ifp) if ifp is not None else (errno.EHOSTUNREACH, None)
        rt = rtalloc1(k, nha, 0)
        if rt is None or rt.rt_ifp is None or rt.rt_flags & RTF_GATEWAY:
            k.ip6stat.ip6s_noroute += 1
            return errno.EHOSTUNREACH, None
        return 0, rt.rt_ifp
    rt = rtalloc1(k, dst, 0)
    if rt is None or rt.rt_ifp is None:
        k.ip6stat.ip6s_noroute += 1
        return errno.EHOSTUNREACH, None
    if rt.rt_flags & (RTF_REJECT | RTF_BLACKHOLE):
        # KAME in6_selectif: do not use a rejected or black hole route
        return (errno.EHOSTUNREACH if rt.rt_flags & RTF_HOST else errno.ENETUNREACH), None
    ia = rt.rt_ifa
    ifp = getattr(ia, "ia_ifp", None) if ia is not None else None
    # A packet to one of our own addresses loops back through lo0; the interface
    # of that address is the one that counts ("Adjust the outgoing interface").
    return 0, ifp if ifp is not None else rt.rt_ifp


def in6_outif(k: "Kernel", dst: bytes, zone: int) -> Any:
    """The interface a packet to ``dst`` in ``zone`` leaves by, or None."""
    return in6_selectif(k, dst, zone)[1]


# -- source address selection -------------------------------------------------------------------------
def in6_src_candidates(k: "Kernel") -> list[Any]:
    """The addresses source selection walks: all of the node's (BSD's in6_ifaddrhead)."""
    return k.in6.in6_ifaddrhead


def in6_selectsrc_ia(k: "Kernel", dst: bytes, zone: int, ifp: Any = None, opts: Any = None,
                     mopts: Any = None) -> tuple[int, Any]:
    """RFC 6724 5: the source for ``dst`` (in ``zone`` if scoped) out of ``ifp``
    (None: ``in6_selectif``).  Returns (0, in6_ifaddr) or (errno, None)."""
    st = k.ip6stat
    if ifp is None:
        err, ifp = in6_selectif(k, dst, zone, opts, mopts)
        if err:
            return err, None
    s = getattr(k, "addrsel", None) or _addrsel(k)
    info = s.as_info
    rule = st.ip6s_sources_rule
    dscope, dv, dpol = info.get(dst) or _as_info(s, dst)
    # RFC 6724 4: for link-local and multicast destinations only addresses on the
    # outgoing link; for a scoped destination only those of its zone (RFC 4007).
    onlink = dscope <= 2 or dst[0] == 0xFF
    use_deprecated = k.ip6.ip6_use_deprecated
    pt = opts.ip6po_prefer_tempaddr if opts is not None else IP6PO_TEMPADDR_SYSTEM
    prefer_temp = s.ip6_prefer_tempaddr if pt == IP6PO_TEMPADDR_SYSTEM else pt
    dlabel = -2                                  # Rule 6: looked up when first needed
    best = None
    bscope = bflags = bml = 0
    bifp: Any = None
    blabel = 0
    for ia in in6_src_candidates(k):
        nflags = ia.ia6_flags
        if nflags & _UNUSABLE:
            continue                             # avoid unusable addresses
        if not use_deprecated and nflags & IN6_IFF_DEPRECATED:
            continue
        addr = ia.ia_addr
        ni = info.get(addr)
        if ni is None:
            ni = _as_info(s, addr)
        nscope = ni[0]
        nifp = ia.ia_ifp
        # We never take an address that breaks the scope zone of the destination,
        # nor a scoped one whose zone does not hold the outgoing interface.
        if nifp is not ifp and (onlink or nscope <= 2):
            continue
        # Rule 1: prefer same address.
        if addr == dst:
            rule[IP6S_SRCRULE_1] += 1
            best, bscope, bflags = ia, nscope, nflags
            break
        if best is None:
            r = IP6S_SRCRULE_0
        # Rule 2: prefer appropriate scope.
        elif nscope != bscope:
            r = IP6S_SRCRULE_2
            if bscope < nscope:
                if not bscope < dscope:
                    rule[r] += 1                 # NEXT(2)
                    continue
            elif nscope < dscope:
                rule[r] += 1                     # NEXT(2)
                continue
        # Rule 3: avoid deprecated addresses.
        elif (bflags ^ nflags) & IN6_IFF_DEPRECATED:
            r = IP6S_SRCRULE_3
            if nflags & IN6_IFF_DEPRECATED:
                rule[r] += 1
                continue
        # Rule 4: prefer home addresses (Mobile IPv6 marks them IN6_IFF_HOME).
        elif (bflags ^ nflags) & IN6_IFF_HOME:
            r = IP6S_SRCRULE_4
            if not nflags & IN6_IFF_HOME:
                rule[r] += 1
                continue
        # Rule 5: prefer outgoing interface.
        elif (bifp is ifp) != (nifp is ifp):
            r = IP6S_SRCRULE_5
            if nifp is not ifp:
                rule[r] += 1
                continue
        else:
            # Rule 6: prefer matching label.
            if dlabel == -2:
                dlabel = dpol.ape_label
                if dpol is not s.defaultaddrpolicy:
                    dpol.ape_use += 1
            nlabel = ni[2].ape_label
            if dlabel != ADDR_LABEL_NOTAPP and (blabel == dlabel) != (nlabel == dlabel):
                r = IP6S_SRCRULE_6
                if nlabel != dlabel:
                    rule[r] += 1
                    continue
            # Rule 7: prefer public addresses (temporary ones if so configured).
            elif (bflags ^ nflags) & IN6_IFF_TEMPORARY:
                r = IP6S_SRCRULE_7
                if bool(nflags & IN6_IFF_TEMPORARY) != bool(prefer_temp):
                    rule[r] += 1
                    continue
            # KAME: prefer addresses on alive interfaces.
            elif (bifp.if_flags ^ nifp.if_flags) & _IFF_UP:
                r = IP6S_SRCRULE_7x
                if not nifp.if_flags & _IFF_UP:
                    rule[r] += 1
                    continue
            # FreeBSD: prefer an address marked prefer_source.
            elif (bflags ^ nflags) & IN6_IFF_PREFER_SOURCE:
                r = IP6S_SRCRULE_PREFSRC
                if not nflags & IN6_IFF_PREFER_SOURCE:
                    rule[r] += 1
                    continue
            else:
                # Rule 8: use longest matching prefix — RFC 6724 2.2's
                # CommonPrefixLen, at most the prefix length of the source.
                nml = 128 - (ni[1] ^ dv).bit_length()
                plen = ia.ia_prefixlen
                if nml > plen:
                    nml = plen
                if nml == bml:
                    continue                     # last resort: keep the current candidate
                r = IP6S_SRCRULE_8
                if nml < bml:
                    rule[r] += 1
                    continue
        # REPLACE(r)
        rule[r] += 1
        best, bscope, bflags, bifp = ia, nscope, nflags, nifp
        blabel = ni[2].ape_label
        if ni[2] is not s.defaultaddrpolicy:
            ni[2].ape_use += 1
        bml = 128 - (ni[1] ^ dv).bit_length()
        if bml > ia.ia_prefixlen:
            bml = ia.ia_prefixlen
    if best is None:
        st.ip6s_sources_none += 1
        return errno.EADDRNOTAVAIL, None
    if best.ia_ifp is ifp:
        st.ip6s_sources_sameif[bscope] += 1
    else:
        st.ip6s_sources_otherif[bscope] += 1
    if bscope == dscope:
        st.ip6s_sources_samescope[bscope] += 1
    else:
        st.ip6s_sources_otherscope[bscope] += 1
    if bflags & IN6_IFF_DEPRECATED:
        st.ip6s_sources_deprecated[bscope] += 1
    return 0, best


def in6_selectsrc(k: "Kernel", dst: bytes, zone: int, ifp: Any = None, opts: Any = None,
                  mopts: Any = None) -> Optional[bytes]:
    """The source address for ``dst`` (16 bytes), or None when there is none."""
    err, ia = in6_selectsrc_ia(k, dst, zone, ifp, opts, mopts)
    if ia is None:
        return None
    a = ia.ia_addr
    return getattr(a, "sin6_addr", a)


__all__ = ["in6_selectsrc", "in6_selectsrc_ia", "in6_selectif", "in6_outif", "in6_src_ioctl",
           "addrsel_policy_init", "addrsel_policy_list", "lookup_addrsel_policy",
           "match_addrsel_policy", "in6_src_candidates", "IP6S_SRCRULE_8"]
