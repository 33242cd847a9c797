"""IPsec input (sys/netipsec/ipsec_input.c: ipsec_common_input, ipsec4_common_input,
ipsec6_common_input, ipsec4_common_input_cb, ipsec6_common_input_cb, esp4_input,
ah4_input, esp6_input, ah6_input; RFC 4301 5.2).

``esp6_input``/``ah6_input`` are the inet6 protocol switch entries for next
headers 50 and 51, ``esp4_input``/``ah4_input`` the inet ones for protocols
50 and 51; UDP-encapsulated ESP (RFC 3948) enters at ``ipsec_common_input``
from udpencap.py once its UDP header is gone.  One path serves both
families: the SA is found by destination, protocol and SPI (key_allocsa;
none: ``esps_notdb``/``ahs_notdb`` and ``in_nosa``) and the packet handed to
the transform; it continues in the crypto callback
(``ipsec_common_input_cb``), which rewrites the header in front (IPv6: the
Next Header before the removed header and the payload length; IPv4: the
protocol, total length and header checksum), tags the packet with the SA
that protected it (``PACKET_TAG_IPSEC_IN_DONE``, read by the in_reject
checks) and either goes on (transport mode: ip6_deliver, ip_deliver) or,
when the payload is an IP packet (next header 4 or 41, tunnel mode, RFC
4301 5.2 step 4), takes off the outer header and gives the inner packet to
ip_input or ip6_input again — whichever its family (4-in-6, 6-in-4 too).
Counters go to the outer family's ``ipsecstat``.
"""
from __future__ import annotations

import struct
from typing import TYPE_CHECKING

from kernel.kern.uipc_mbuf import mbuf
from kernel.netipsec.ipsec import ipsec_add_in_done, ipsec_stat
from kernel.netipsec.xform_ah import ah_input
from kernel.netipsec.xform_esp import esp_input
from kernel.netkey.key_alloc import key_allocsa, key_freesav
from kernel.wire import errno as E
from kernel.wire.ip import ip_header_cksum
from kernel.wire.ip6 import IPPROTO_DONE
from kernel.wire.pfkeyv2 import IPPROTO_AH, IPPROTO_ESP, IPSEC_MODE_TRANSPORT, IPSEC_MODE_TUNNEL

if TYPE_CHECKING:  # pragma: no cover
    from kernel.kern.init_main import Kernel

_spi = struct.Struct("!I")
IPPROTO_IPV4 = 4
IPPROTO_IPV6 = 41


def ipsec_fixhdr(m: mbuf, off: int, nxt: int) -> None:
    """A header before ``off`` was taken off: the protocol byte naming what is
    at ``off`` becomes ``nxt`` and the lengths follow (IPv6: the Next Header
    in front and the payload length; IPv4: protocol, total length, checksum)."""
    b = m.buf
    o = m.off
    if b[o] >> 4 == 6:
        if off <= 40:
            b[o + 6] = nxt                      # right after the IPv6 header
        else:
            from kernel.netinet6.ip6_input import ip6_get_prevhdr
            b[o + ip6_get_prevhdr(m, off)] = nxt
        plen = m.m_len - 40
        b[o + 4], b[o + 5] = plen >> 8, plen & 0xFF
        return
    b[o + 9] = nxt
    b[o + 2], b[o + 3] = m.m_len >> 8, m.m_len & 0xFF
    b[o + 10] = b[o + 11] = 0
    ck = ip_header_cksum(b, o, off)
    b[o + 10], b[o + 11] = ck >> 8, ck & 0xFF


def esp6_input(k: "Kernel", m: mbuf, off: int, nxt: int) -> int:
    """inet6sw[IPPROTO_ESP]."""
    return ipsec_common_input(k, m, off, IPPROTO_ESP)


def ah6_input(k: "Kernel", m: mbuf, off: int, nxt: int) -> int:
    """inet6sw[IPPROTO_AH]."""
    return ipsec_common_input(k, m, off, IPPROTO_AH)


def esp4_input(k: "Kernel", m: mbuf, off: int, proto: int) -> int:
    """inetsw[IPPROTO_ESP] (``off``: the IPv4 header's length)."""
    return ipsec_common_input(k, m, off, IPPROTO_ESP)


def ah4_input(k: "Kernel", m: mbuf, off: int, proto: int) -> int:
    """inetsw[IPPROTO_AH]."""
    return ipsec_common_input(k, m, off, IPPROTO_AH)


def ipsec_common_input(k: "Kernel", m: mbuf, off: int, proto: int, natt: bool = False) -> int:
    """Find the SA of the ESP/AH header at ``off`` and start the transform.
    ``natt``: the ESP came in UDP (RFC 3948), its checksum fix is due."""
    stat = ipsec_stat(k, m)
    esp = proto == IPPROTO_ESP
    xst = k.espstat if esp else k.ahstat
    need = 8 if esp else 12
    if m.m_len < off + need:
        if esp:
            xst.esps_hdrops += 1
        else:
            xst.ahs_hdrops += 1
        stat.in_inval += 1
        return IPPROTO_DONE
    b = m.buf
    o = m.off
    v6 = b[o] >> 4 == 6
    (spi,) = _spi.unpack_from(b, o + off + (0 if esp else 4))
    if v6:
        dst = bytes(b[o + 24:o + 40])
        zone = m.rcvif.if_index if m.rcvif is not None and dst[:2] == b"\xfe\x80" else 0
    else:
        dst = bytes(b[o + 16:o + 20])
        zone = 0
    sav = key_allocsa(k, dst, proto, spi, zone)
    if sav is None:
        if esp:
            xst.esps_notdb += 1
        else:
            xst.ahs_notdb += 1
        stat.in_nosa += 1
        return IPPROTO_DONE
    mode = sav.sah.saidx.mode

    def ipsec_common_input_cb(m: mbuf, err: int, nxt: int) -> None:
        key_freesav(k, sav)
        if err:
            if err not in (E.EACCES, E.EBADMSG):     # replay, ICV: counted by the xform
                stat.in_inval += 1
            return
        ipsec_fixhdr(m, off, nxt)
        stat.in_success += 1
        (stat.in_esphist if esp else stat.in_ahhist)[
            (sav.alg_enc if esp else sav.alg_auth) & 0xFF] += 1
        if nxt in (IPPROTO_IPV4, IPPROTO_IPV6) and mode != IPSEC_MODE_TRANSPORT:
            # RFC 4301 5.2: tunnel mode — the inner packet, as if it came in anew
            ipsec_add_in_done(m, proto, sav.spi, IPSEC_MODE_TUNNEL)
            m.m_adj(off)
            if nxt == IPPROTO_IPV6:
                from kernel.netinet6.ip6_input import ip6_input
                ip6_input(m.rcvif, m)
            else:
                from kernel.netinet.ip_input import ip_input
                ip_input(m.rcvif, m)
            return
        ipsec_add_in_done(m, proto, sav.spi, IPSEC_MODE_TRANSPORT)
        if natt:
            from kernel.netipsec.udpencap import udp_ipsec_adjust_cksum
            udp_ipsec_adjust_cksum(k, m, sav, nxt, off)
        if v6:
            from kernel.netinet6.ip6_input import ip6_deliver
            ip6_deliver(k, m, off, nxt)
        else:
            from kernel.netinet.ip_input import ip_deliver
            ip_deliver(k, m, off, nxt)

    if esp:
        esp_input(k, m, sav, off, ipsec_common_input_cb)
    else:
        ah_input(k, m, sav, off, ipsec_common_input_cb)
    return IPPROTO_DONE


__all__ = ["esp6_input", "ah6_input", "esp4_input", "ah4_input", "ipsec_common_input",
           "ipsec_fixhdr"]
