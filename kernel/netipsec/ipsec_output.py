"""IPsec output (sys/netipsec/ipsec_output.c: ipsec4_output, ipsec6_output,
ipsec4_process_packet/ipsec6_process_packet, ipsec_encap; sys/netipsec/udpencap.c:
udp_ipsec_output; RFC 4301 5.1, RFC 3948 2.1).

``ipsec_output`` is the hook ip6_output and ip_output call once the packet
is complete (IPv6: extension headers inserted; IPv4: route and source
chosen) — FreeBSD's ipsec6_output and ipsec4_output, one path here.  It
finds the policy (ipsec_checkpolicy, with the socket's own policy if it has
one): DISCARD drops (``out_polvio``),
NONE/BYPASS and no policy let the IP output go on, IPSEC takes the packet
over (``ipsec_output_policy``, common to both families).  The requests of
the policy are applied in their order by ``ipsec_process_packet`` —
``esp/transport ah/transport`` gives IP|AH|ESP|payload, each inserted after
the IPv6 unfragmentable part or the IPv4 header with its options (RFC 4303
3.1.1, RFC 4302 3.1.1); a tunnel-mode request wraps the packet in a new
header of its endpoints' family (``ipsec_encapsulate``, RFC 4301 5.1.2.1 and
5.1.2.2: 4-in-4, 6-in-6, and the 6-in-4 and 4-in-6 the SPD allows) and the
following requests protect the outer packet.  Each step runs through
opencrypto and continues in its callback; the last one tags the packet
``PACKET_TAG_IPSEC_OUT_DONE`` and sends it through ip6_output or ip_output
(by its outer family), which then pass it by.

An ESP SA with NAT-T (``sav.natt_type``, ``esp-udp`` in setkey) gets a UDP
header between the IP header and ESP (``udp_encap``, RFC 3948 2.1) from the
SA's NAT-T ports: checksum 0 over IPv4 (RFC 3948 2.1: "SHOULD be
transmitted as a zero value"), a computed one over IPv6 (RFC 8200 8.1
forbids zero; Linux and strongSwan accept it so).

An SA missing for a request of level require: key_checkrequest has sent an
ACQUIRE; the packet is dropped (``out_nosa``), as KAME does.
"""
from __future__ import annotations

import struct
from typing import TYPE_CHECKING, Any

from kernel.kern.uipc_mbuf import m_tag, mbuf
from kernel.netipsec.ipsec import PACKET_TAG_IPSEC_OUT_DONE, ipsec_checkpolicy, ipsec_pcbsp
from kernel.netipsec.xform_ah import ah_output
from kernel.netipsec.xform_esp import esp_output
from kernel.netkey.key_alloc import ipsec_setsaidx, key_checkrequest
from kernel.wire import errno as E
from kernel.wire.in_ import sockaddr_in
from kernel.wire.in_cksum import in6_cksum
from kernel.wire.in6 import sockaddr_in6
from kernel.wire.ip import ip_header_cksum
from kernel.wire.pfkeyv2 import (
    IPPROTO_AH, IPPROTO_ESP, IPSEC_DIR_OUTBOUND, IPSEC_MODE_TUNNEL, IPSEC_POLICY_BYPASS,
    IPSEC_POLICY_IPSEC, IPSEC_POLICY_NONE,
)

if TYPE_CHECKING:  # pragma: no cover
    from kernel.kern.init_main import Kernel

_udp = struct.Struct("!HHHH")
_ip4 = struct.Struct("!BBHHHBBH4s4s")
_ip6 = struct.Struct("!IHBB16s16s")
UDP_ENCAP_ESPINUDP_PORT = 4500          # RFC 3948 2.1 (the IKE NAT-T port, RFC 3947)


def ipsec_output(k: "Kernel", m: mbuf, flags: int, inp: Any, zone: int = 0) -> Any:
    """The hook of ip6_output (ipsec6_output) and of ip_output (FreeBSD
    ipsec4_output, called as ip_ipsec_output), one path for both families:
    None to send ``m`` as it is; else the IP output returns this errno (0:
    IPsec has taken the packet and will send it).  ``zone``: IPv6's scope
    zone of link-local addresses."""
    if m.m_tags is not None and m.m_tag_find(PACKET_TAG_IPSEC_OUT_DONE) is not None:
        return None
    st = getattr(k, "key", None)
    if st is None or (not st.sptree[IPSEC_DIR_OUTBOUND] and ipsec_pcbsp(m, inp) is None):
        return None
    sp, err = ipsec_checkpolicy(k, m, IPSEC_DIR_OUTBOUND, inp, zone)
    if m.buf[m.off] >> 4 == 6:
        return ipsec_output_policy(k, m, sp, err, k.ipsec6.stat, flags, zone)
    return ipsec_output_policy(k, m, sp, err, k.ipsec4stat, flags, 0)


ipsec6_output = ipsec4_output = ipsec_output     # FreeBSD's names of the two hooks


def _sockaddrs(addrs: bytes, zone: int) -> tuple[Any, Any]:
    """The packet's source and destination (no ports) from its address bytes."""
    if len(addrs) == 32:
        src, dst = addrs[:16], addrs[16:]
        return (sockaddr_in6(src, 0, 0, zone if src[:2] == b"\xfe\x80" else 0),
                sockaddr_in6(dst, 0, 0, zone if dst[:2] == b"\xfe\x80" else 0))
    return sockaddr_in(addrs[:4]), sockaddr_in(addrs[4:])


def ipsec_output_policy(k: "Kernel", m: mbuf, sp: Any, err: int, stat: Any, flags: int,
                        zone: int) -> Any:
    """Both families, once the policy ``sp`` is known: None (send as it is),
    an errno (dropped), or 0 (taken: the requests are being applied)."""
    if sp is None:
        stat.out_inval += 1
        return err or E.EINVAL
    if sp.policy in (IPSEC_POLICY_NONE, IPSEC_POLICY_BYPASS):
        return None
    if sp.policy != IPSEC_POLICY_IPSEC:          # DISCARD (and anything unknown)
        stat.out_polvio += 1
        return E.EACCES
    b = m.buf
    o = m.off
    # the SA index of a transport-mode request is the packet's addresses:
    # kept on the request for the last addresses it served (isr.saidx_c)
    akey: Any = (bytes(b[o + 8:o + 40]) if b[o] >> 4 == 6 else bytes(b[o + 12:o + 20]), zone)
    src = dst = None
    # Check the SAs of every request first (ipsec_nextisr): one missing and
    # required drops the packet, an ACQUIRE having gone out.
    todo = []
    for isr in sp.req:
        isr.sp = sp
        isaidx = isr.saidx
        if isaidx.mode == IPSEC_MODE_TUNNEL:
            saidx = isaidx
        else:
            c = isr.saidx_c
            if c is not None and c[1] is isaidx and c[0] == akey:
                saidx = c[2]
            else:
                if src is None:
                    src, dst = _sockaddrs(*akey)
                saidx = ipsec_setsaidx(isr, src, dst)
                isr.saidx_c = (akey, isaidx, saidx)
        e = key_checkrequest(k, isr, saidx)
        if e:
            stat.out_nosa += 1
            return E.EHOSTUNREACH if e == E.ENOENT else e
        if isr.sav is None:
            continue                            # level use, no SA: go on without
        todo.append((isr, isr.sav))
        if isaidx.mode == IPSEC_MODE_TUNNEL:
            src, dst = isaidx.src, isaidx.dst
            akey = (src, dst)
    if not todo:
        return None
    ipsec_process_packet(k, m, todo, 0, stat, flags, zone, m.buf[m.off] >> 4)
    return 0


def _hdrlen(m: mbuf) -> tuple[int, int]:
    """(bytes ESP/AH go after, offset of the byte naming the next protocol):
    IPv6's unfragmentable part, or the IPv4 header with its options."""
    b = m.buf
    o = m.off
    if b[o] >> 4 == 6:
        if b[o + 6] not in (0, 43, 60):         # no Hop-by-Hop, Routing or Destination Options
            return 40, 6
        from kernel.netinet6.ip6_output import ip6_unfragpart
        return ip6_unfragpart(m)
    return (b[o] & 0x0F) << 2, 9


def ipsec_process_packet(k: "Kernel", m: mbuf, todo: list, i: int, stat: Any, flags: int,
                         zone: int, family: int) -> None:
    """Apply request ``i`` of ``todo`` to ``m``, then (in the callback) the
    next; at the end send the packet by its outer family (``family`` is the
    version it came to IPsec with: its output flags only apply to that one)."""
    if i == len(todo):
        m.m_tag_prepend(m_tag(PACKET_TAG_IPSEC_OUT_DONE, [sav.spi for _i, sav in todo]))
        stat.out_success += 1
        outer = m.buf[m.off] >> 4
        if outer == 6:
            from kernel.netinet6.ip6_output import ip6_output
            ip6_output(k, m, None, None, flags if family == 6 else 0, None, None,
                       zone if family == 6 else 0)
        else:
            from kernel.netinet.ip_output import ip_output
            from kernel.netinet.ip_var import IP_RAWOUTPUT
            ip_output(k, m, None, None, (flags if family == 4 else 0) | IP_RAWOUTPUT)
        return
    isr, sav = todo[i]
    if isr.saidx.mode == IPSEC_MODE_TUNNEL:
        if ipsec_encapsulate(k, m, sav) != 0:
            stat.out_inval += 1
            return
    hlen, nxtpos = _hdrlen(m)
    proto = isr.saidx.proto
    natt = proto == IPPROTO_ESP and bool(sav.natt_type)

    def next_step(m: mbuf, err: int) -> None:
        if err:
            stat.out_inval += 1
            return
        if natt:
            udp_encap(m, sav, hlen, nxtpos)
        hist = stat.out_esphist if proto == IPPROTO_ESP else stat.out_ahhist
        hist[(sav.alg_enc if proto == IPPROTO_ESP else sav.alg_auth) & 0xFF] += 1
        ipsec_process_packet(k, m, todo, i + 1, stat, flags, zone, family)

    if proto == IPPROTO_ESP:
        esp_output(k, m, sav, hlen, nxtpos, next_step)
    elif proto == IPPROTO_AH:
        ah_output(k, m, sav, hlen, nxtpos, next_step)
    else:
        stat.out_inval += 1


def ipsec_encapsulate(k: "Kernel", m: mbuf, sav: Any) -> int:
    """Tunnel mode (ipsec_encap; RFC 4301 5.1.2.1, 5.1.2.2): a new header from
    the SA's endpoints in front of the packet, of their family whatever the
    inner one: next protocol 4 (IPv4) or 41 (IPv6); the TOS / traffic class
    (DSCP and ECN) copied; the default TTL / hop limit; DF clear (FreeBSD's
    net.inet.ipsec.dfbit 0)."""
    from kernel.netkey.keydb import sa_addr
    src = sa_addr(sav.sah.saidx.src)
    dst = sa_addr(sav.sah.saidx.dst)
    if len(src) != len(dst) or len(src) not in (4, 16):
        return E.EAFNOSUPPORT
    b = m.buf
    o = m.off
    inner6 = b[o] >> 4 == 6
    tos = ((b[o] & 0x0F) << 4 | b[o + 1] >> 4) if inner6 else b[o + 1]
    inner = 41 if inner6 else 4
    if not inner6:
        # the inner header as it would have left: ip_output checksums after its hook
        hl = (b[o] & 0x0F) << 2
        b[o + 10] = b[o + 11] = 0
        ck = ip_header_cksum(b, o, hl)
        b[o + 10], b[o + 11] = ck >> 8, ck & 0xFF
    plen = m.m_len
    if len(src) == 16:
        if plen > 65535:
            return E.EMSGSIZE
        hlim = getattr(getattr(k, "ip6", None), "ip6_defhlim", 64)
        m.m_prepend_bytes(_ip6.pack(0x60000000 | tos << 20, plen, inner, hlim, src, dst))
        return 0
    if plen + 20 > 65535:
        return E.EMSGSIZE
    from kernel.netinet.ip_output import ip_newid
    hdr = bytearray(_ip4.pack(0x45, tos, plen + 20, ip_newid(k), 0, k.ip.ip_defttl, inner, 0,
                              src, dst))
    ck = ip_header_cksum(hdr, 0, 20)
    hdr[10], hdr[11] = ck >> 8, ck & 0xFF
    m.m_prepend_bytes(bytes(hdr))
    return 0


def udp_encap(m: mbuf, sav: Any, hlen: int, nxtpos: int) -> None:
    """RFC 3948 2.1 (udp_ipsec_output): a UDP header between the IP header
    (``hlen`` bytes) and ESP, from the SA's NAT-T ports (4500 when unset).
    IPv4: checksum zero ("SHOULD be transmitted as a zero value"), the total
    length updated; IPv6: payload length and a real checksum (RFC 8200 8.1)."""
    from kernel.netkey.keydb import sa_port
    sport = sa_port(sav.sah.saidx.src) or UDP_ENCAP_ESPINUDP_PORT
    dport = sa_port(sav.sah.saidx.dst) or UDP_ENCAP_ESPINUDP_PORT
    m.m_prepend(8)
    b = m.buf
    o = m.off
    b[o:o + hlen] = b[o + 8:o + 8 + hlen]
    ulen = m.m_len - hlen
    _udp.pack_into(b, o + hlen, sport, dport, ulen, 0)
    b[o + nxtpos] = 17
    if b[o] >> 4 == 6:
        plen = m.m_len - 40
        b[o + 4], b[o + 5] = plen >> 8, plen & 0xFF
        ck = in6_cksum(b, o, 17, o + hlen, ulen)
        _udp.pack_into(b, o + hlen, sport, dport, ulen, ck or 0xFFFF)
    else:
        b[o + 2], b[o + 3] = m.m_len >> 8, m.m_len & 0xFF


__all__ = ["ipsec_output", "ipsec6_output", "ipsec4_output", "ipsec_output_policy", "ipsec_process_packet",
           "ipsec_encapsulate", "udp_encap", "UDP_ENCAP_ESPINUDP_PORT"]
