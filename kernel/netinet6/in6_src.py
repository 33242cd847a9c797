"""Source address selection (sys/netinet6/in6_src.c), simple form.

``in6_selectsrc(k, dst, zone, ifp=None)`` picks the source for a packet to
``dst``: the destination itself if it is one of our addresses (RFC 6724
rule 1, "prefer same address"), else an address of the outgoing interface
(the one of ``zone`` for a scoped destination, of the route otherwise) of
the same scope as ``dst``, preferring one that is not deprecated, with the
longest matching prefix (``in6_ifawithifp``).  The full RFC 6724 rule set
with its policy table comes later; the counters are already FreeBSD's
(``ip6s_sources_rule[r]``, ``ip6s_sources_sameif[scope]`` ...).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from kernel.net.route import rtalloc1
from kernel.netinet6 import in6 as _in6
from kernel.wire.in6 import IN6ADDR_LOOPBACK, in6_addrscope, in6_is_scoped
from kernel.wire.in6_var import IN6_IFF_ANYCAST, IN6_IFF_DEPRECATED, IN6_IFF_NOTREADY

if TYPE_CHECKING:  # pragma: no cover
    from kernel.kern.init_main import Kernel

IP6S_SRCRULE_0 = 0          # no rule applied (one candidate)
IP6S_SRCRULE_1 = 1          # prefer same address
IP6S_SRCRULE_2 = 2          # prefer appropriate scope
IP6S_SRCRULE_3 = 3          # avoid deprecated addresses
IP6S_SRCRULE_8 = 8          # longest match

_UNUSABLE = IN6_IFF_NOTREADY | IN6_IFF_ANYCAST


def in6_outif(k: "Kernel", dst: bytes, zone: int) -> Any:
    """The interface a packet to ``dst`` in ``zone`` leaves by."""
    if dst == IN6ADDR_LOOPBACK:
        return k.loif
    if in6_is_scoped(dst):
        for ifp in k.ifnet:
            if ifp.if_index == zone:
                return ifp
        return None
    rt = rtalloc1(k, dst, 0)
    return rt.rt_ifp if rt is not None else None


def in6_selectsrc(k: "Kernel", dst: bytes, zone: int, ifp: Any = None) -> Optional[bytes]:
    """The source address for ``dst`` (16 bytes), or None when there is none."""
    st = k.ip6stat
    # Rule 1: prefer same address.
    ia = _in6.in6ifa_ifwithaddr(k, dst, zone)
    if ia is not None and not ia.ia6_flags & _UNUSABLE:
        st.ip6s_sources_rule[IP6S_SRCRULE_1] += 1
        return ia.ia_addr
    if ifp is None:
        ifp = in6_outif(k, dst, zone)
        if ifp is None:
            st.ip6s_sources_none += 1
            return None
    ia = _in6.in6_ifawithifp(ifp, dst)
    if ia is None:
        st.ip6s_sources_none += 1
        return None
    addr = ia.ia_addr
    scope = in6_addrscope(addr)
    st.ip6s_sources_sameif[scope] += 1
    if ia.ia6_flags & IN6_IFF_DEPRECATED:
        st.ip6s_sources_deprecated[scope] += 1
    if scope == in6_addrscope(dst):
        st.ip6s_sources_samescope[scope] += 1
        st.ip6s_sources_rule[IP6S_SRCRULE_8] += 1
    else:
        st.ip6s_sources_otherscope[scope] += 1
        st.ip6s_sources_rule[IP6S_SRCRULE_2] += 1
    return addr


__all__ = ["in6_selectsrc", "in6_outif"]
