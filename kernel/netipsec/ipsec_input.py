"""IPsec input (sys/netipsec/ipsec_input.c: ipsec6_common_input, ipsec6_common_input_cb,
esp6_input, ah6_input; RFC 4301 5.2).

``esp6_input`` and ``ah6_input`` are the inet6 protocol switch entries for
next headers 50 and 51.  They find the SA by destination, protocol and SPI
(key_allocsa; none: ``esps_notdb``/``ahs_notdb`` and ``in_nosa``) and hand
the packet to the transform; the packet continues in the crypto callback
(``ipsec6_common_input_cb``), which tags it with the SA that protected it
(``PACKET_TAG_IPSEC_IN_DONE``, read by ipsec6_in_reject) and either goes on
along the header chain (transport mode: ip6_deliver from the next header)
or, when the next header is IPv6 (tunnel mode, RFC 4301 5.2 step 4), takes
off the outer header and gives the inner packet to ip6_input again.
"""
from __future__ import annotations

import struct
from typing import TYPE_CHECKING, Any

from kernel.kern.uipc_mbuf import mbuf
from kernel.netipsec.ipsec import ipsec_add_in_done
from kernel.wire import errno as E
from kernel.wire.ip6 import IPPROTO_DONE
from kernel.wire.pfkeyv2 import IPPROTO_AH, IPPROTO_ESP, IPSEC_MODE_TRANSPORT, IPSEC_MODE_TUNNEL

if TYPE_CHECKING:  # pragma: no cover
    from kernel.kern.init_main import Kernel

_spi = struct.Struct("!I")


def esp6_input(k: "Kernel", m: mbuf, off: int, nxt: int) -> int:
    """inet6sw[IPPROTO_ESP]."""
    return ipsec6_common_input(k, m, off, IPPROTO_ESP)


def ah6_input(k: "Kernel", m: mbuf, off: int, nxt: int) -> int:
    """inet6sw[IPPROTO_AH]."""
    return ipsec6_common_input(k, m, off, IPPROTO_AH)


def ipsec6_common_input(k: "Kernel", m: mbuf, off: int, proto: int) -> int:
    """Find the SA of the ESP/AH header at ``off`` and start the transform."""
    v6 = k.ipsec6.stat
    esp = proto == IPPROTO_ESP
    xst = k.espstat if esp else k.ahstat
    need = 8 if esp else 12
    if m.m_len < off + need:
        setattr(xst, "esps_hdrops" if esp else "ahs_hdrops",
                getattr(xst, "esps_hdrops" if esp else "ahs_hdrops") + 1)
        v6.in_inval += 1
        return IPPROTO_DONE
    b = m.buf
    o = m.off
    (spi,) = _spi.unpack_from(b, o + off + (0 if esp else 4))
    dst = bytes(b[o + 24:o + 40])
    zone = m.rcvif.if_index if m.rcvif is not None and dst[:2] == b"\xfe\x80" else 0
    from kernel.netkey.key_alloc import key_allocsa, key_freesav
    sav = key_allocsa(k, dst, proto, spi, zone)
    if sav is None:
        if esp:
            xst.esps_notdb += 1
        else:
            xst.ahs_notdb += 1
        v6.in_nosa += 1
        return IPPROTO_DONE
    mode = sav.sah.saidx.mode

    def ipsec6_common_input_cb(m: mbuf, err: int, nxt: int) -> None:
        key_freesav(k, sav)
        if err:
            if err not in (E.EACCES, E.EBADMSG):     # replay, ICV: counted by the xform
                v6.in_inval += 1
            return
        # the Next Header field in front of the removed header
        from kernel.netinet6.ip6_input import ip6_get_prevhdr, ip6_deliver, ip6_input
        bb = m.buf
        oo = m.off
        prev = ip6_get_prevhdr(m, off)
        bb[oo + prev] = nxt
        plen = m.m_len - 40
        bb[oo + 4], bb[oo + 5] = plen >> 8, plen & 0xFF
        v6.in_success += 1
        (v6.in_esphist if esp else v6.in_ahhist)[
            (sav.alg_enc if esp else sav.alg_auth) & 0xFF] += 1
        if nxt == 41 and mode != IPSEC_MODE_TRANSPORT:
            # RFC 4301 5.2: tunnel mode — the inner packet, as if it came in anew
            ipsec_add_in_done(m, proto, sav.spi, IPSEC_MODE_TUNNEL)
            m.m_adj(off)
            ip6_input(m.rcvif, m)
            return
        ipsec_add_in_done(m, proto, sav.spi, IPSEC_MODE_TRANSPORT)
        ip6_deliver(k, m, off, nxt)

    if esp:
        from kernel.netipsec.xform_esp import esp_input
        esp_input(k, m, sav, off, ipsec6_common_input_cb)
    else:
        from kernel.netipsec.xform_ah import ah_input
        ah_input(k, m, sav, off, ipsec6_common_input_cb)
    return IPPROTO_DONE


__all__ = ["esp6_input", "ah6_input", "ipsec6_common_input"]
