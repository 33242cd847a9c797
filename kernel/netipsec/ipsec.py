"""IPsec policy for packets, counters and knobs (sys/netipsec/ipsec.c, ipsec.h, ipsec6.h).

``ipsec_init`` (SYSINIT) makes ``k.ipsec6`` (the ``ipsec6stat`` counters and
``net.inet6.ipsec6.*`` default levels), ``k.espstat``/``k.ahstat``, registers
ESP (50) and AH (51) in the inet6 protocol switch, and installs the two
hooks the IPv6 core calls: ``k.ipsec6_output`` (from ip6_output) and
``k.ipsec6_in_reject`` (from ip6_deliver, before each upper-layer protocol).

Selectors (RFC 4301 4.4.1.1): ``ipsec_setspidx_key`` takes the packet's
selector, either family — full-length addresses, the upper-layer protocol
and its ports; for ICMPv6 and ICMP the type goes in the source port and the
code in the destination port, as KAME's ``ipsec6_get_ulp`` and
``ipsec4_get_ulp`` do — as a tuple of plain values, by which netkey
remembers the SPD's answer until the SPD changes (key_allocsp_cached); the
``secpolicyindex`` (``ipsec_key2spidx``) is only built when it must be
searched.  One path serves both families: ``ipsec_checkpolicy`` (outbound,
with the socket's own policy), ``ipsec_in_reject_pkt`` (ip6_deliver's and
ip_deliver's hook), ``ipsec_in_reject_so`` (UDP and raw sockets).

Neighbor Discovery and MLD (kamebox's choice, documented in docs/ipsec.md):
a policy whose selector says "any" upper-layer protocol does not cover the
ICMPv6 ND messages (RS, RA, NS, NA, Redirect: types 133-137) and MLD
(130-132, 143).  Only a policy that names ICMPv6 (``icmp6`` in setkey)
applies to them.  So ``spdadd A B any -P out ipsec esp/transport//require``
protects everything between A and B but leaves NUD and address resolution
working, as RFC 4301 5.2 (ND is exchanged before SAs can exist) and KAME
setups relied on.

Inbound (RFC 4301 5.2): after decapsulation, ``ipsec6_in_reject`` compares
what protected the packet (the ``PACKET_TAG_IPSEC_IN_DONE`` tags the ESP and
AH input left on the mbuf) with the inbound policy: a packet that should
have been protected and was not is dropped and counted in ``in_polvio``.
"""
from __future__ import annotations

import struct
from typing import TYPE_CHECKING, Any, Optional

from kernel.kern.kern_sysctl import SYSCTL_INT, SYSCTL_STRUCT
from kernel.kern.uipc_mbuf import m_tag, mbuf
from kernel.netkey.key_alloc import (
    ipsec6_get_policy, ipsec6_set_policy, ipsec_get_reqlevel, ipsec_getpolicybysock,
    ipsec_init_pcbpolicy, key_allocsp_cached, key_def_policy, key_freesp,
)
from kernel.netkey.keydb import secpolicyindex
from kernel.wire.errno import EACCES, EINVAL, ENOPROTOOPT
from kernel.wire.in6 import sockaddr_in6
from kernel.wire.in_ import sockaddr_in
from kernel.wire.pfkeyv2 import (
    IPPROTO_AH, IPPROTO_ESP, IPSEC_DIR_INBOUND, IPSEC_DIR_OUTBOUND, IPSEC_LEVEL_REQUIRE,
    IPSEC_LEVEL_USE, IPSEC_MODE_TUNNEL, IPSEC_POLICY_BYPASS, IPSEC_POLICY_DISCARD,
    IPSEC_POLICY_ENTRUST, IPSEC_POLICY_IPSEC, IPSEC_POLICY_NONE, IPSEC_ULPROTO_ANY,
)

if TYPE_CHECKING:  # pragma: no cover
    from kernel.kern.init_main import Kernel

IPPROTO_ICMPV6 = 58
IPPROTO_UDP = 17
IPPROTO_TCP = 6
IPPROTO_IPV6 = 41
IPPROTO_IPV4 = 4
IPPROTO_NONE = 59
_EXTHDRS = frozenset((0, 43, 44, 60, IPPROTO_ESP, IPPROTO_AH, IPPROTO_NONE))
_ESP_AH = frozenset((IPPROTO_ESP, IPPROTO_AH))
# ICMPv6 messages an "any" selector leaves alone: ND (RFC 4861) and MLD (RFC 2710, 3810)
ICMP6_ND_MLD_TYPES = frozenset((130, 131, 132, 133, 134, 135, 136, 137, 143))

# m_tag ids (sys/mbuf.h)
PACKET_TAG_IPSEC_IN_DONE = 1         # a list of (proto, spi, dst, mode) that protected it
PACKET_TAG_IPSEC_OUT_DONE = 2        # IPsec output done: ip6_output sends it as it is

_ports = struct.Struct("!HH")


class ipsecstat:
    """``struct ipsecstat`` (KAME netinet6/ipsec.h; FreeBSD's field names):
    ``net.inet6.ipsec6.stats`` and ``net.inet.ipsec.stats``."""

    __slots__ = ("in_success", "in_polvio", "in_nosa", "in_inval", "in_nomem", "in_badspi",
                 "in_ahreplay", "in_espreplay", "in_ahauthsucc", "in_ahauthfail",
                 "in_espauthsucc", "in_espauthfail", "in_esphist", "in_ahhist",
                 "out_success", "out_polvio", "out_nosa", "out_inval", "out_nomem",
                 "out_noroute", "out_esphist", "out_ahhist", "out_bundlesa")

    def __init__(self) -> None:
        for n in self.__slots__:
            setattr(self, n, 0)
        for n in ("in_esphist", "in_ahhist", "out_esphist", "out_ahhist"):
            setattr(self, n, [0] * 256)

    def as_dict(self) -> dict[str, Any]:
        return {n: (list(v) if isinstance(v := getattr(self, n), list) else v)
                for n in self.__slots__}


class ipsec6_vars:
    """The knobs of ``net.inet6.ipsec6`` (FreeBSD's ip6_esp_trans_deflev ...)."""

    def __init__(self) -> None:
        self.ip6_esp_trans_deflev = IPSEC_LEVEL_USE
        self.ip6_esp_net_deflev = IPSEC_LEVEL_USE
        self.ip6_ah_trans_deflev = IPSEC_LEVEL_USE
        self.ip6_ah_net_deflev = IPSEC_LEVEL_USE
        self.ip6_ipsec_ecn = 0
        self.ip6_ipsec_debug = 0
        self.stat = ipsecstat()


def ipsec_init(k: "Kernel") -> None:
    """SYSINIT (after crypto_init): IPsec state, sysctl nodes, ESP and AH in the
    protocol switch, the IPv6 hooks.  Brings up netkey first if it is not up."""
    if getattr(k, "ipsec6", None) is not None:
        return
    if getattr(k, "key", None) is None:
        from kernel.netkey.key import key_init   # adapter: netkey has no SYSINIT line yet
        key_init(k)
    from kernel.netipsec.xform_ah import ahstat
    from kernel.netipsec.xform_esp import espstat
    v6 = ipsec6_vars()
    k.ipsec6 = v6
    k.ipsec4stat = ipsecstat()
    k.espstat = espstat()
    k.ahstat = ahstat()

    def level_ok(v: int) -> bool:
        return v in (IPSEC_LEVEL_USE, IPSEC_LEVEL_REQUIRE)

    for name, attr, descr in (
            ("esp_trans_deflev", "ip6_esp_trans_deflev", "Default ESP transport mode level"),
            ("esp_net_deflev", "ip6_esp_net_deflev", "Default ESP tunnel mode level"),
            ("ah_trans_deflev", "ip6_ah_trans_deflev", "Default AH transport mode level"),
            ("ah_net_deflev", "ip6_ah_net_deflev", "Default AH tunnel mode level")):
        SYSCTL_INT(k, "net.inet6.ipsec6." + name, v6, attr, descr, check=level_ok)
    SYSCTL_INT(k, "net.inet6.ipsec6.ecn", v6, "ip6_ipsec_ecn", "Explicit Congestion Notification")
    SYSCTL_INT(k, "net.inet6.ipsec6.debug", v6, "ip6_ipsec_debug", "Enable IPsec debugging output")
    SYSCTL_STRUCT(k, "net.inet6.ipsec6.stats", lambda: v6.stat, "IPsec IPv6 statistics")
    SYSCTL_STRUCT(k, "net.inet.ipsec.stats", lambda: k.ipsec4stat, "IPsec IPv4 statistics")
    SYSCTL_STRUCT(k, "net.inet.esp.stats", lambda: k.espstat, "ESP statistics")
    SYSCTL_STRUCT(k, "net.inet.ah.stats", lambda: k.ahstat, "AH statistics")

    from kernel.netinet6.in6_proto import in6_proto_register
    from kernel.netipsec.ipsec_input import ah6_input, esp6_input
    from kernel.netipsec.ipsec_output import ipsec_output
    in6_proto_register(k, IPPROTO_ESP, esp6_input)
    in6_proto_register(k, IPPROTO_AH, ah6_input)
    k.ipsec6_output = ipsec_output              # one path for both families
    k.ipsec6_in_reject = ipsec_in_reject_pkt
    k.ipsec6_forward = ipsec6_forward
    ipsec4_init(k)


def ipsec4_init(k: "Kernel") -> None:
    """The IPv4 side (FreeBSD's ipsec4 in in_proto.c and ip_input/ip_output):
    ESP and AH in the inet protocol switch, ``k.ipsec4_output`` (ip_output's
    hook) and ``k.ipsec4_in_reject`` (ip_deliver's), UDP encapsulation's
    counters.  Nothing without IPv4 in the kernel."""
    if getattr(k, "inetsw", None) is None:
        return
    from kernel.netinet.in_proto import in_proto_register as in4_proto_register
    from kernel.netipsec.ipsec_input import ah4_input, esp4_input
    from kernel.netipsec.ipsec_output import ipsec_output
    from kernel.netipsec.udpencap import udpencap_init
    in4_proto_register(k, IPPROTO_ESP, esp4_input)
    in4_proto_register(k, IPPROTO_AH, ah4_input)
    k.ipsec4_output = ipsec_output
    k.ipsec4_in_reject = ipsec_in_reject_pkt
    udpencap_init(k)


# -- selectors ------------------------------------------------------------------------------
def ipsec6_get_ulp(m: mbuf, off: int, nxt: int) -> tuple[int, int, int]:
    """(upper-layer protocol, source port, destination port) of the packet,
    skipping extension headers from ``off`` (KAME ipsec6_get_ulp).  ICMPv6:
    type and code in the ports."""
    b = m.buf
    base = m.off
    end = m.m_len
    while nxt in (0, 43, 60) and off + 2 <= end:
        ln = (b[base + off + 1] + 1) << 3
        nxt = b[base + off]
        off += ln
    if nxt == 44 and off + 8 <= end:           # a fragment: ports only in the first one
        if (b[base + off + 2] << 8 | b[base + off + 3]) & 0xFFF8:
            return b[base + off], 0, 0
        nxt, off = b[base + off], off + 8
    if nxt in (IPPROTO_UDP, IPPROTO_TCP) and off + 4 <= end:
        sp, dp = _ports.unpack_from(b, base + off)
        return nxt, sp, dp
    if nxt == IPPROTO_ICMPV6 and off + 2 <= end:
        return nxt, b[base + off], b[base + off + 1]
    return nxt, 0, 0


def ipsec_setspidx_key(m: mbuf, dir: int, zone: int = 0, off: int = 0, nxt: int = -1
                       ) -> tuple:
    """The selector of the packet ``m``, either family, as plain values: (dir,
    source and destination address bytes, upper-layer protocol, source port,
    destination port, zone) — what the SPD lookup cache is keyed by
    (ipsec_setspidx: ipsec6_setspidx_ipaddr + ipsec6_get_ulp, or
    ipsec4_setspidx_ipaddr + ipsec4_get_ulp).  IPv6: the upper layer is found
    from ``off``/``nxt`` (the first header after the IPv6 one by default) and
    ``zone`` is the scope zone of link-local addresses; IPv4: from the header."""
    b = m.buf
    o = m.off
    if b[o] >> 4 == 6:
        if nxt < 0:
            off, nxt = 40, b[o + 6]
        ul, sp, dp = ipsec6_get_ulp(m, off, nxt)
        return (dir, bytes(b[o + 8:o + 40]), ul, sp, dp, zone)
    ul, sp, dp = ipsec4_get_ulp(m, (b[o] & 0x0F) << 2, b[o + 9])
    return (dir, bytes(b[o + 12:o + 20]), ul, sp, dp, 0)


def ipsec_key2spidx(key: tuple) -> Any:
    """The ``secpolicyindex`` of a selector key (full-length prefixes; an IPv6
    link-local address carries the zone)."""
    dir, addrs, ul, sp, dp, zone = key
    if len(addrs) == 32:
        src, dst = addrs[:16], addrs[16:]
        s = sockaddr_in6(src, sp, 0, zone if src[0] == 0xFE and src[1] & 0xC0 == 0x80 else 0)
        d = sockaddr_in6(dst, dp, 0, zone if dst[0] == 0xFE and dst[1] & 0xC0 == 0x80 else 0)
        return secpolicyindex(dir, s, d, 128, 128, ul)
    return secpolicyindex(dir, sockaddr_in(addrs[:4], sp), sockaddr_in(addrs[4:], dp), 32, 32, ul)


def ipsec_setspidx(m: mbuf, dir: int, zone: int = 0) -> Any:
    """The packet's ``secpolicyindex`` (ipsec_setspidx), either family."""
    return ipsec_key2spidx(ipsec_setspidx_key(m, dir, zone))


def _nd_bypass(sp: Any, key: tuple) -> bool:
    """ND and MLD are outside a policy that does not name ICMPv6 (module
    docstring); ``key`` is an IPv6 packet's selector key."""
    return (key[2] == IPPROTO_ICMPV6 and key[3] in ICMP6_ND_MLD_TYPES
            and sp.spidx is not None and sp.spidx.ul_proto != IPPROTO_ICMPV6)


def ipsec_pcbsp(m: mbuf, inp: Any) -> Any:
    """The socket's own policies for the packet's family (``in6p_sp``,
    IPV6_IPSEC_POLICY, or ``inp_sp``, IP_IPSEC_POLICY); None if it has none."""
    if inp is None:
        return None
    return getattr(inp, "in6p_sp" if m.buf[m.off] >> 4 == 6 else "inp_sp", None)


def ipsec_checkpolicy(k: "Kernel", m: mbuf, dir: int, inp: Any = None, zone: int = 0
                      ) -> tuple[Optional[Any], int]:
    """The policy for the packet ``m`` of either family (ipsec6_checkpolicy,
    ipsec4_checkpolicy): (policy, 0), or (None, errno) when a socket's policy
    is unusable.  With a socket that has a policy of its own
    (IPV6_IPSEC_POLICY / IP_IPSEC_POLICY) ipsec_getpolicybysock decides;
    else the SPD, else the default (none)."""
    key = ipsec_setspidx_key(m, dir, zone)
    pcbsp = ipsec_pcbsp(m, inp)
    if pcbsp is not None:
        sp, err = ipsec_getpolicybysock(k, ipsec_key2spidx(key), dir, pcbsp)
        if sp is None:
            return None, err
    else:
        sp = key_allocsp_cached(k, key, dir, ipsec_key2spidx) or key_def_policy(k)
    if sp.policy == IPSEC_POLICY_IPSEC and len(key[1]) == 32 and _nd_bypass(sp, key):
        return key_def_policy(k), 0
    return sp, 0


def ipsec_in_done(m: mbuf) -> list:
    """What protected ``m`` on the way in: [(proto, spi, mode), ...], outermost first."""
    t = m.m_tag_find(PACKET_TAG_IPSEC_IN_DONE)
    return t.value if t is not None else []


def ipsec_add_in_done(m: mbuf, proto: int, spi: int, mode: int) -> None:
    t = m.m_tag_find(PACKET_TAG_IPSEC_IN_DONE)
    if t is None:
        m.m_tag_prepend(m_tag(PACKET_TAG_IPSEC_IN_DONE, [(proto, spi, mode)]))
    else:
        t.value = t.value + [(proto, spi, mode)]


def ipsec_in_reject(k: "Kernel", sp: Any, m: mbuf) -> bool:
    """Does policy ``sp`` reject the inbound packet ``m`` (ipsec_in_reject)?
    DISCARD rejects; NONE and BYPASS accept; IPSEC wants each request of level
    require to have been applied (KAME checks ESP and AH, tunnel mode too)."""
    if sp.policy == IPSEC_POLICY_DISCARD:
        return True
    if sp.policy != IPSEC_POLICY_IPSEC:
        return False
    done = ipsec_in_done(m)
    for isr in sp.req:
        if ipsec_get_reqlevel(k, isr) != IPSEC_LEVEL_REQUIRE:
            continue
        want = isr.saidx.proto
        tunnel = isr.saidx.mode == IPSEC_MODE_TUNNEL
        for p, _spi, md in done:
            if p == want and (not tunnel or md == IPSEC_MODE_TUNNEL):
                break
        else:
            return True                         # nothing applied what this request wants
    return False


def ipsec_in_reject_pkt(k: "Kernel", m: mbuf, off: int, nxt: int) -> bool:
    """ip6_deliver's and ip_deliver's inbound check before the upper layer
    ``nxt`` sees ``m`` (ip6_ipsec_input / ip_ipsec_input, RFC 4301 5.2): True
    (dropped, ``in_polvio`` of the family's ipsecstat) if the policy required
    protection the packet did not have.  UDP is checked by udp_input /
    udp6_input for each socket it delivers to (:func:`ipsec_in_reject_so`),
    as FreeBSD does, so that a socket's own policy (an IKE daemon's bypass)
    decides."""
    if nxt == IPPROTO_UDP:
        return False
    return ipsec_in_reject_spd(k, m, off, nxt)


def ipsec_in_reject_spd(k: "Kernel", m: mbuf, off: int, nxt: int) -> bool:
    """The SPD's inbound check of ``m`` whose upper-layer header ``nxt`` is at
    ``off`` (ipsec6_in_reject / ipsec4_in_reject without a pcb), either
    family.  IPv6 extension headers, and ESP and AH themselves, pass: they
    are not the upper layer, or they are the protection."""
    st = k.key
    if not st.sptree[IPSEC_DIR_INBOUND]:
        return False
    v6 = m.buf[m.off] >> 4 == 6
    if nxt in (_EXTHDRS if v6 else _ESP_AH):
        return False
    if v6:
        zone = m.rcvif.if_index if m.rcvif is not None else 0
        key = ipsec_setspidx_key(m, IPSEC_DIR_INBOUND, zone, off, nxt)
    else:
        key = ipsec_setspidx_key(m, IPSEC_DIR_INBOUND)
    sp = key_allocsp_cached(k, key, IPSEC_DIR_INBOUND, ipsec_key2spidx)
    if sp is None:
        return False
    try:
        if v6 and sp.policy == IPSEC_POLICY_IPSEC and _nd_bypass(sp, key):
            return False
        if ipsec_in_reject(k, sp, m):
            (k.ipsec6.stat if v6 else k.ipsec4stat).in_polvio += 1
            return True
        return False
    finally:
        key_freesp(k, sp)


# -- IPv4 (ipsec.c: ipsec4_get_ulp; the rest is the shared path above) ------------------------
IPPROTO_ICMP = 1


def ipsec_stat(k: "Kernel", m: mbuf) -> ipsecstat:
    """The ``ipsecstat`` of the packet's family: net.inet6.ipsec6.stats for an
    IPv6 header, net.inet.ipsec.stats for an IPv4 one."""
    return k.ipsec6.stat if m.buf[m.off] >> 4 == 6 else k.ipsec4stat


def ipsec4_get_ulp(m: mbuf, off: int, nxt: int) -> tuple[int, int, int]:
    """(protocol, source port, destination port) of the IPv4 packet (KAME
    ipsec4_get_ulp): ports only in the first fragment; ICMP's type and code
    in the ports, as for ICMPv6."""
    b = m.buf
    base = m.off
    if (b[base + 6] << 8 | b[base + 7]) & 0x1FFF:
        return nxt, 0, 0                        # not the first fragment: no ports
    if nxt in (IPPROTO_UDP, IPPROTO_TCP) and off + 4 <= m.m_len:
        sp, dp = _ports.unpack_from(b, base + off)
        return nxt, sp, dp
    if nxt == IPPROTO_ICMP and off + 2 <= m.m_len:
        return nxt, b[base + off], b[base + off + 1]
    return nxt, 0, 0


# -- per-socket policies (KAME ipsec.c: ipsec6_set_policy, ipsec6_get_policy,
#    ipsec6_in_reject with a pcb; FreeBSD ip6_ctloutput's IPV6_IPSEC_POLICY) ------------------
def ipsec_pcbctloutput(so: Any, inp: Any, attr: str, sopt: Any) -> int:
    """IPV6_IPSEC_POLICY / IP_IPSEC_POLICY for the PCB ``inp`` (its policies in
    ``inp.<attr>``, an ``inpcbpolicy`` made on first use, as KAME's
    ipsec_init_pcbpolicy at attach).  Set: the value is a binary
    ``sadb_x_policy`` (ipsec_set_policy(3)); only IPSEC, ENTRUST and BYPASS,
    BYPASS only for a socket opened by root (EACCES).  Get: the value names the
    direction; the answer is that direction's policy.  0 or an errno."""
    k = so.so_kernel
    if getattr(k, "key", None) is None:
        return ENOPROTOOPT                      # no IPSEC in this kernel
    val = sopt.sopt_val
    if not isinstance(val, (bytes, bytearray, memoryview)):
        return EINVAL
    pcbsp = getattr(inp, attr)
    if pcbsp is None:
        pcbsp = ipsec_init_pcbpolicy(so)
    if sopt.sopt_dir == 1:                      # SOPT_SET
        err = ipsec6_set_policy(k, pcbsp, bytes(val), pcbsp.priv)
        if err == 0:
            setattr(inp, attr, pcbsp)
        return err
    err, out = ipsec6_get_policy(k, pcbsp, bytes(val))
    if err == 0:
        sopt.sopt_val = out
    return err


def ipsec_in_reject_so(k: "Kernel", m: mbuf, inp: Any) -> bool:
    """The inbound check of a datagram about to be queued on the socket of
    ``inp`` (FreeBSD udp_input/udp6_input/rip6_input: ``ipsec4_in_reject(m,
    inp)``, ``ipsec6_in_reject(m, in6p)``), either family.  With a policy of its
    own (IP_IPSEC_POLICY / IPV6_IPSEC_POLICY) the socket's policy decides
    (ipsec_getpolicybysock: a privileged socket's BYPASS lets an IKE daemon's
    cleartext in); without one, the SPD's.  True: dropped, counted in
    ``in_polvio`` of the family's ipsecstat."""
    if getattr(k, "key", None) is None:
        return False                            # no IPSEC in this kernel
    pcbsp = ipsec_pcbsp(m, inp)
    if pcbsp is None:
        # no policy of its own: the SPD's (nothing at all to check without one)
        if not k.key.sptree[IPSEC_DIR_INBOUND]:
            return False
        b = m.buf
        o = m.off
        if b[o] >> 4 == 6:
            return ipsec_in_reject_spd(k, m, 40, b[o + 6])
        return ipsec_in_reject_spd(k, m, (b[o] & 0x0F) << 2, b[o + 9])
    v6 = m.buf[m.off] >> 4 == 6
    zone = m.rcvif.if_index if v6 and m.rcvif is not None else 0
    key = ipsec_setspidx_key(m, IPSEC_DIR_INBOUND, zone)
    sp, _err = ipsec_getpolicybysock(k, ipsec_key2spidx(key), IPSEC_DIR_INBOUND, pcbsp)
    if sp is None:
        return False                            # KAME: "there may be error", not a reject
    try:
        if v6 and sp.policy == IPSEC_POLICY_IPSEC and _nd_bypass(sp, key):
            return False
        if ipsec_in_reject(k, sp, m):
            (k.ipsec6.stat if v6 else k.ipsec4stat).in_polvio += 1
            return True
        return False
    finally:
        key_freesp(k, sp)


# -- forwarded packets (FreeBSD ipsec_output.c ipsec6_forward; KAME ip6_forward) -------------
def ipsec6_forward(k: "Kernel", m: mbuf) -> Optional[int]:
    """ip6_forward's hook, after the hop limit (FreeBSD's IPSEC_FORWARD):
    None: forward ``m`` as usual; else IPsec has dealt with it — 0 when it
    took the packet (tunnel mode on a security gateway: sent encapsulated by
    ipsec6_output), an errno when it was dropped.

    RFC 4301 5.2: a packet passing through that the inbound SPD wanted
    protected and that was not (no ESP/AH, or not in the required mode) is
    dropped and counted in ``in_polvio`` (ipsec6_in_reject(m, NULL)).  Then
    the outbound SPD decides as for our own packets (RFC 4301 5.1), with
    ``ipsec_getpolicybyaddr``: no socket is involved."""
    st = getattr(k, "key", None)
    if st is None:
        return None
    sptree = st.sptree
    if sptree[IPSEC_DIR_INBOUND]:
        zone = m.rcvif.if_index if m.rcvif is not None else 0
        key = ipsec_setspidx_key(m, IPSEC_DIR_INBOUND, zone)
        sp = key_allocsp_cached(k, key, IPSEC_DIR_INBOUND, ipsec_key2spidx)
        if sp is not None:
            try:
                if not (sp.policy == IPSEC_POLICY_IPSEC and _nd_bypass(sp, key)) \
                        and ipsec_in_reject(k, sp, m):
                    k.ipsec6.stat.in_polvio += 1
                    return EACCES
            finally:
                key_freesp(k, sp)
    if not sptree[IPSEC_DIR_OUTBOUND]:
        return None
    from kernel.netipsec.ipsec_output import ipsec_output
    # FreeBSD ipsec6_common_output(m, NULL, forwarding=1): the packet leaves
    # as ip6_output would send one of ours once IPsec is done with it.
    return ipsec_output(k, m, 0, None, 0)


__all__ = ["ipsec_init", "ipsecstat", "ipsec6_vars", "ipsec_setspidx", "ipsec_setspidx_key",
           "ipsec_key2spidx", "ipsec6_get_ulp", "ipsec4_get_ulp", "ipsec_checkpolicy",
           "ipsec_in_reject_pkt", "ipsec_in_reject_spd", "ipsec_in_reject", "ipsec_in_done",
           "ipsec_add_in_done", "PACKET_TAG_IPSEC_IN_DONE", "PACKET_TAG_IPSEC_OUT_DONE",
           "ICMP6_ND_MLD_TYPES", "IPSEC_POLICY_BYPASS", "IPSEC_POLICY_ENTRUST",
           "IPSEC_POLICY_NONE", "IPSEC_DIR_OUTBOUND", "IPSEC_ULPROTO_ANY",
           "ipsec_pcbctloutput", "ipsec_in_reject_so", "ipsec6_forward", "ipsec_pcbsp",
           "ipsec4_init", "ipsec_stat"]
