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

from kernel.wire.in6 import IN6ADDR_LOOPBACK, in6_addrscope, in6_is_scoped

if TYPE_CHECKING:  # pragma: no cover
    from kernel.kern.init_main import Kernel

IP6S_SRCRULE_0 = 0          # no rule applied (one candidate)
IP6S_SRCRULE_1 = 1          # prefer same address
IP6S_SRCRULE_2 = 2          # prefer appropriate scope
IP6S_SRCRULE_3 = 3          # avoid deprecated addresses
IP6S_SRCRULE_8 = 8          # longest match


def _count(k: "Kernel", field: str, idx: int) -> None:
    st = getattr(k, "ip6stat", None)
    arr = getattr(st, field, None) if st is not None else None
    if isinstance(arr, list) and 0 <= idx < len(arr):
        arr[idx] += 1


def in6_outif(k: "Kernel", dst: bytes, zone: int) -> Any:
    """The interface a packet to ``dst`` in ``zone`` leaves by."""
    if in6_is_scoped(dst) and dst != IN6ADDR_LOOPBACK:
        for ifp in k.ifnet:
            if ifp.if_index == zone:
                return ifp
        return None
    if dst == IN6ADDR_LOOPBACK:
        return getattr(k, "loif", None)
    if getattr(k, "rt", None) is None:
        return None
    from kernel.net import route
    rt = route.rtalloc1(k, dst, 0)
    return rt.rt_ifp if rt is not None else None


def in6_selectsrc(k: "Kernel", dst: bytes, zone: int, ifp: Any = None) -> Optional[bytes]:
    """The source address for ``dst`` (16 bytes), or None when there is none."""
    from kernel.netinet6 import in6
    from kernel.wire.in6_var import IN6_IFF_ANYCAST, IN6_IFF_DEPRECATED, IN6_IFF_NOTREADY
    # Rule 1: prefer same address.
    ia = in6.in6ifa_ifwithaddr(k, dst, zone)
    if ia is not None and not ia.ia6_flags & (IN6_IFF_NOTREADY | IN6_IFF_ANYCAST):
        _count(k, "ip6s_sources_rule", IP6S_SRCRULE_1)
        return ia.ia_addr
    if ifp is None:
        ifp = in6_outif(k, dst, zone)
    if ifp is None:
        st = getattr(k, "ip6stat", None)
        if st is not None and hasattr(st, "ip6s_sources_none"):
            st.ip6s_sources_none += 1
        return None
    ia = in6.in6_ifawithifp(ifp, dst)
    if ia is None:
        st = getattr(k, "ip6stat", None)
        if st is not None and hasattr(st, "ip6s_sources_none"):
            st.ip6s_sources_none += 1
        return None
    scope = in6_addrscope(ia.ia_addr)
    _count(k, "ip6s_sources_sameif", scope)
    if ia.ia6_flags & IN6_IFF_DEPRECATED:
        _count(k, "ip6s_sources_deprecated", scope)
    if scope == in6_addrscope(dst):
        _count(k, "ip6s_sources_samescope", scope)
        _count(k, "ip6s_sources_rule", IP6S_SRCRULE_8)
    else:
        _count(k, "ip6s_sources_otherscope", scope)
        _count(k, "ip6s_sources_rule", IP6S_SRCRULE_2)
    return ia.ia_addr


__all__ = ["in6_selectsrc", "in6_outif"]
