"""IPsec output (sys/netipsec/ipsec_output.c: ipsec6_output_trans, ipsec6_output_tunnel,
ipsec6_process_packet; RFC 4301 5.1).

``ipsec6_output`` is the hook ip6_output calls once the packet is complete
(its extension headers inserted).  It finds the policy (ipsec6_checkpolicy):
DISCARD drops (``out_polvio``), NONE/BYPASS and no policy let ip6_output go
on, IPSEC takes the packet over.  The requests of the policy are applied in
their order — ``esp/transport ah/transport`` gives IPv6|AH|ESP|payload, each
inserted after the unfragmentable part (RFC 4303 3.1.1, RFC 4302 3.1.1); a
tunnel-mode request wraps the packet in a new IPv6 header from the
request's endpoints (RFC 4301 5.1.2.2) and the following requests protect
the outer packet.  Each step runs through opencrypto and continues in its
callback; the last one tags the packet ``PACKET_TAG_IPSEC_OUT_DONE`` and
sends it again through ip6_output, which then passes it by.

An SA missing for a request of level require: key_checkrequest has sent an
ACQUIRE; the packet is dropped (``out_nosa``), as KAME does.
``udp_encap6`` (RFC 3948) is written but not switched on yet (no input side).
"""
from __future__ import annotations

import struct
from typing import TYPE_CHECKING, Any

from kernel.kern.uipc_mbuf import m_tag, mbuf
from kernel.netipsec.ipsec import PACKET_TAG_IPSEC_OUT_DONE, ipsec6_checkpolicy
from kernel.wire import errno as E
from kernel.wire.in_cksum import in6_cksum
from kernel.wire.pfkeyv2 import (
    IPPROTO_AH, IPPROTO_ESP, IPSEC_DIR_OUTBOUND, IPSEC_MODE_TUNNEL, IPSEC_POLICY_BYPASS,
    IPSEC_POLICY_DISCARD, IPSEC_POLICY_IPSEC, IPSEC_POLICY_NONE,
)

if TYPE_CHECKING:  # pragma: no cover
    from kernel.kern.init_main import Kernel

_udp = struct.Struct("!HHHH")


def ipsec6_output(k: "Kernel", m: mbuf, flags: int, inp: Any, zone: int) -> Any:
    """ip6_output's hook: None to send ``m`` as it is; else ip6_output returns
    this errno (0: IPsec has taken the packet and will send it)."""
    if m.m_tags is not None and m.m_tag_find(PACKET_TAG_IPSEC_OUT_DONE) is not None:
        return None
    st = getattr(k, "key", None)
    if st is None or (not st.sptree[IPSEC_DIR_OUTBOUND]
                      and getattr(inp, "in6p_sp", None) is None):
        return None
    stat = k.ipsec6.stat
    sp, err = ipsec6_checkpolicy(k, m, IPSEC_DIR_OUTBOUND, inp, zone)
    if sp is None:
        stat.out_inval += 1
        return err or E.EINVAL
    if sp.policy in (IPSEC_POLICY_NONE, IPSEC_POLICY_BYPASS):
        return None
    if sp.policy == IPSEC_POLICY_DISCARD or sp.policy != IPSEC_POLICY_IPSEC:
        stat.out_polvio += 1
        return E.EACCES
    from kernel.netkey.key_alloc import ipsec_setsaidx, key_checkrequest
    # Check the SAs of every request first (ipsec_nextisr): one missing and
    # required drops the packet, an ACQUIRE having gone out.
    b = m.buf
    o = m.off
    todo = []
    src, dst = bytes(b[o + 8:o + 24]), bytes(b[o + 24:o + 40])
    from kernel.wire.in6 import sockaddr_in6
    s6 = sockaddr_in6(src, 0, 0, zone if src[:2] == b"\xfe\x80" else 0)
    d6 = sockaddr_in6(dst, 0, 0, zone if dst[:2] == b"\xfe\x80" else 0)
    for isr in sp.req:
        isr.sp = sp
        saidx = ipsec_setsaidx(isr, s6, d6)
        e = key_checkrequest(k, isr, saidx)
        if e:
            stat.out_nosa += 1
            return E.EHOSTUNREACH if e == E.ENOENT else e
        if isr.sav is None:
            continue                            # level use, no SA: go on without
        todo.append((isr, isr.sav))
        if isr.saidx.mode == IPSEC_MODE_TUNNEL:
            s6, d6 = isr.saidx.src, isr.saidx.dst
    if not todo:
        return None
    ipsec6_process_packet(k, m, todo, 0, flags, zone)
    return 0


def ipsec6_process_packet(k: "Kernel", m: mbuf, todo: list, i: int, flags: int, zone: int
                          ) -> None:
    """Apply request ``i`` of ``todo`` to ``m``, then (in the callback) the next."""
    stat = k.ipsec6.stat
    if i == len(todo):
        m.m_tag_prepend(m_tag(PACKET_TAG_IPSEC_OUT_DONE, [sav.spi for _i, sav in todo]))
        stat.out_success += 1
        from kernel.netinet6.ip6_output import ip6_output
        ip6_output(k, m, None, None, flags, None, None, zone)
        return
    isr, sav = todo[i]
    if isr.saidx.mode == IPSEC_MODE_TUNNEL:
        if ipsec6_encapsulate(k, m, sav) != 0:
            stat.out_inval += 1
            return
    from kernel.netinet6.ip6_output import ip6_unfragpart
    hlen, nxtpos = ip6_unfragpart(m)
    # RFC 3948 output (udp_encap6) waits for its input side (UDP_ENCAP in
    # udp6_input) before it is switched on: docs/ipsec.md, "Not yet".
    natt = False

    def next_step(m: mbuf, err: int) -> None:
        if err:
            stat.out_inval += 1
            return
        if natt:
            udp_encap6(m, sav, hlen, nxtpos)
        proto = isr.saidx.proto
        hist = stat.out_esphist if proto == IPPROTO_ESP else stat.out_ahhist
        hist[(sav.alg_enc if proto == IPPROTO_ESP else sav.alg_auth) & 0xFF] += 1
        ipsec6_process_packet(k, m, todo, i + 1, flags, zone)

    if isr.saidx.proto == IPPROTO_ESP:
        from kernel.netipsec.xform_esp import esp_output
        esp_output(k, m, sav, hlen, nxtpos, next_step)
    elif isr.saidx.proto == IPPROTO_AH:
        from kernel.netipsec.xform_ah import ah_output
        ah_output(k, m, sav, hlen, nxtpos, next_step)
    else:
        stat.out_inval += 1


def ipsec6_encapsulate(k: "Kernel", m: mbuf, sav: Any) -> int:
    """Tunnel mode (ipsec6_encapsulate, RFC 4301 5.1.2.2): a new IPv6 header
    from the SA's endpoints in front of the packet; traffic class copied, hop
    limit the default."""
    from kernel.netkey.keydb import sa_addr
    src = sa_addr(sav.sah.saidx.src)
    dst = sa_addr(sav.sah.saidx.dst)
    if len(src) != 16 or len(dst) != 16:
        return E.EAFNOSUPPORT
    b = m.buf
    o = m.off
    first4 = bytes(b[o:o + 4])
    plen = m.m_len
    if plen > 65535:
        return E.EMSGSIZE
    hlim = getattr(getattr(k, "ip6", None), "ip6_defhlim", 64)
    hdr = bytes((first4[0], first4[1] & 0xF0, 0, 0))        # version, traffic class
    hdr += struct.pack("!HBB", plen, 41, hlim) + src + dst
    m.m_prepend_bytes(hdr)
    return 0


def udp_encap6(m: mbuf, sav: Any, hlen: int, nxtpos: int) -> None:
    """RFC 3948 2.1: UDP between the IP header and ESP, from the SA's NAT-T
    ports, with a real checksum (IPv6 forbids zero, RFC 8200 8.1)."""
    from kernel.netkey.keydb import sa_port
    sport = sa_port(sav.sah.saidx.src) or 4500
    dport = sa_port(sav.sah.saidx.dst) or 4500
    m.m_prepend(8)
    b = m.buf
    o = m.off
    b[o:o + hlen] = b[o + 8:o + 8 + hlen]
    ulen = m.m_len - hlen
    _udp.pack_into(b, o + hlen, sport, dport, ulen, 0)
    b[o + nxtpos] = 17
    plen = m.m_len - 40
    b[o + 4], b[o + 5] = plen >> 8, plen & 0xFF
    ck = in6_cksum(b, o, 17, o + hlen, ulen)
    _udp.pack_into(b, o + hlen, sport, dport, ulen, ck or 0xFFFF)


__all__ = ["ipsec6_output", "ipsec6_process_packet", "ipsec6_encapsulate", "udp_encap6"]
