"""AH, the Authentication Header (sys/netipsec/xform_ah.c; RFC 4302).

The ICV covers the whole packet with the fields that change on the way
zeroed (``ah_massage_headers``, RFC 4302 3.3.3.1).  IPv4 (3.3.3.1.1): TOS,
flags and fragment offset, TTL and the header checksum; of the options, the
whole of each mutable one (3.3.3.1.1.2: all but End of Options List, No
Operation, Security, Extended Security, Commercial Security, Router Alert
and Sender Directed Multi-Destination Delivery, unknown ones included).
IPv6: in the IPv6 header the
traffic class, flow label and hop limit (3.3.3.1.2.1); in hop-by-hop and
destination options headers the data of each option whose type has the
"may change en route" bit (0x20, RFC 8200 4.2); the AH's own ICV field.  A
routing header is covered as it is sent (kamebox sends none with AH; KAME's
ah_output rewrites type 0 headers, which RFC 5095 deprecated).

The digest is computed on a copy of the packet with the mutable fields
zeroed (the session is a DIGEST one: HMAC-SHA1-96, HMAC-SHA2-256-128,
-384-192, -512-256, or AES-GMAC of RFC 4543 with an 8-byte IV); output
and input continue in the crypto callback.  ICVs are padded to a multiple
of 8 octets for IPv6 and of 4 for IPv4 (RFC 4302 2.2).  Drops are counted in ``k.ahstat``
(FreeBSD's ``struct ahstat``).
"""
from __future__ import annotations

import struct
from typing import TYPE_CHECKING, Any, Callable, Optional

from kernel.kern.uipc_mbuf import mbuf
from kernel.netipsec.ipsec import ipsec_stat
from kernel.netkey.key_alloc import key_sa_recordxfer
from kernel.opencrypto.crypto import (crypto_dispatch, crypto_freesession, crypto_getreq,
                                      crypto_newsession)
from kernel.opencrypto.cryptodev import (CRYPTO_F_CBIFSYNC, crypto_use_buf, CRYPTO_OP_VERIFY_DIGEST,
                                         CSP_MODE_DIGEST, crypto_session_params)
from kernel.netipsec.xform_esp import AUTH_ALGS, secreplay
from kernel.wire import errno as E

if TYPE_CHECKING:  # pragma: no cover
    from kernel.kern.init_main import Kernel

AH_FIXED = 12                   # next header, length, reserved, SPI, sequence (RFC 4302 2)
_ahhdr = struct.Struct("!BBHII")


class ahstat:
    """``struct ahstat`` (netipsec/ah_var.h): ``net.inet.ah.stats``."""

    __slots__ = ("ahs_hdrops", "ahs_nopf", "ahs_notdb", "ahs_badkcr", "ahs_badauth",
                 "ahs_noxform", "ahs_qfull", "ahs_wrap", "ahs_replay", "ahs_badauthl",
                 "ahs_input", "ahs_output", "ahs_invalid", "ahs_ibytes", "ahs_obytes",
                 "ahs_toobig", "ahs_pdrops", "ahs_crypto", "ahs_tunnel", "ahs_hist")

    def __init__(self) -> None:
        for n in self.__slots__:
            setattr(self, n, 0)
        self.ahs_hist = [0] * 256

    def as_dict(self) -> dict[str, Any]:
        return {n: (list(v) if isinstance(v := getattr(self, n), list) else v)
                for n in self.__slots__}


class ah_tdb:
    __slots__ = ("cses", "icvlen", "replay", "key")


def ah_init(k: "Kernel", sav: Any) -> Optional[ah_tdb]:
    """The SA's digest session (ah_init); None and ``ahs_noxform`` without one."""
    key = (sav.alg_auth, sav.key_auth)
    t = getattr(sav, "tdb", None)
    if isinstance(t, ah_tdb) and t.key == key and t.cses is not None and not t.cses.cs_freed:
        return t
    auth = AUTH_ALGS.get(sav.alg_auth)
    if auth is None:
        k.ahstat.ahs_noxform += 1
        return None
    csp = crypto_session_params(csp_mode=CSP_MODE_DIGEST, csp_auth_alg=auth[0],
                                csp_auth_key=bytes(sav.key_auth or b""), csp_auth_mlen=auth[1])
    err, cses = crypto_newsession(k, csp)
    if err or cses is None:
        k.ahstat.ahs_noxform += 1
        return None
    t = ah_tdb()
    t.key = key
    t.cses = cses
    t.icvlen = auth[1]
    t.replay = secreplay(sav.replay_window)
    sav.tdb = t
    return t


def ah_zeroize(sav: Any) -> None:
    t = getattr(sav, "tdb", None)
    if isinstance(t, ah_tdb) and t.cses is not None:
        crypto_freesession(t.cses)
        t.cses = None


def ah_hdrlen(icvlen: int, v6: bool) -> int:
    """RFC 4302 2.2: the AH with its ICV is a multiple of 64 bits for IPv6,
    of 32 bits for IPv4 (HMAC-SHA1-96: 24 octets both; -SHA2-256-128: 32 / 28)."""
    return (AH_FIXED + icvlen + 7) & ~7 if v6 else (AH_FIXED + icvlen + 3) & ~3


# RFC 4302 3.3.3.1.1.2: the IPv4 options that are immutable (all others are zeroed)
IPOPT_IMMUTABLE = frozenset((0, 1, 130, 133, 134, 148, 149))


def ah_massage_headers4(pkt: bytearray) -> None:
    """Zero the mutable fields of the IPv4 header of ``pkt`` (RFC 4302
    3.3.3.1.1.1 and 3.3.3.1.1.2)."""
    hl = (pkt[0] & 0x0F) << 2
    pkt[1] = 0                                  # TOS
    pkt[6] = pkt[7] = 0                         # flags, fragment offset
    pkt[8] = 0                                  # TTL
    pkt[10] = pkt[11] = 0                       # header checksum
    i = 20
    while i < hl:
        typ = pkt[i]
        if typ == 0:                            # End of Options List: the rest is padding
            break
        if typ == 1:                            # No Operation
            i += 1
            continue
        if i + 1 >= hl or pkt[i + 1] < 2 or i + pkt[i + 1] > hl:
            break                               # ip_dooptions refuses such a header
        ln = pkt[i + 1]
        if typ not in IPOPT_IMMUTABLE:
            pkt[i:i + ln] = bytes(ln)           # "the entire option is zeroed"
        i += ln


def ah_massage_headers(pkt: bytearray, ahoff: int, ahlen: int) -> None:
    """Zero the mutable fields of the packet ``pkt`` in place, up to the AH
    header at ``ahoff``, and the AH's ICV (RFC 4302 3.3.3.1)."""
    if pkt[0] >> 4 == 4:
        ah_massage_headers4(pkt)
        pkt[ahoff + AH_FIXED:ahoff + ahlen] = bytes(ahlen - AH_FIXED)
        return
    pkt[0] &= 0xF0                              # traffic class (low nibble of byte 0) ...
    pkt[1] = pkt[2] = pkt[3] = 0                # ... and flow label
    pkt[7] = 0                                  # hop limit
    nxt = pkt[6]
    off = 40
    while off < ahoff and nxt in (0, 43, 60):
        ln = (pkt[off + 1] + 1) << 3
        if nxt in (0, 60):                      # options: zero those that may change en route
            p = off + 2
            end = min(off + ln, ahoff)
            while p < end:
                typ = pkt[p]
                if typ == 0:                    # Pad1
                    p += 1
                    continue
                if p + 1 >= end:
                    break
                olen = pkt[p + 1]
                if typ & 0x20:
                    pkt[p + 2:p + 2 + olen] = bytes(olen)
                p += 2 + olen
        nxt = pkt[off]
        off += ln
    pkt[ahoff + AH_FIXED:ahoff + ahlen] = bytes(ahlen - AH_FIXED)


def _digest(k: "Kernel", t: ah_tdb, pkt: bytearray, icv: Optional[bytes],
            cb: Callable[[Any], None]) -> None:
    buf = pkt + (icv if icv is not None else bytes(t.icvlen))
    crp = crypto_getreq(t.cses)
    crypto_use_buf(crp, buf)
    crp.crp_op = CRYPTO_OP_VERIFY_DIGEST if icv is not None else 0
    crp.crp_flags = CRYPTO_F_CBIFSYNC
    crp.crp_payload_start, crp.crp_payload_length = 0, len(pkt)
    crp.crp_digest_start = len(pkt)

    def again(crp: Any) -> None:
        if crp.crp_etype == E.EAGAIN:
            crp.crp_etype = 0
            crypto_dispatch(crp)
            return
        cb(crp)

    crp.crp_callback = again
    crypto_dispatch(crp)


def ah_output(k: "Kernel", m: mbuf, sav: Any, hlen: int, nxtpos: int,
              done: Callable[[mbuf, int], None]) -> None:
    """Insert an AH after the first ``hlen`` bytes of ``m`` and compute its ICV."""
    st = k.ahstat
    t = ah_init(k, sav)
    if t is None:
        done(m, E.EINVAL)
        return
    rp = t.replay
    if rp.count >= 0xFFFFFFFF:
        st.ahs_wrap += 1                        # RFC 4302 3.3.2
        done(m, E.EINVAL)
        return
    rp.count += 1
    sav.sequence = rp.count
    b = m.buf
    o = m.off
    nxt = b[o + nxtpos]
    v6 = b[o] >> 4 == 6
    ahlen = ah_hdrlen(t.icvlen, v6)
    hdr = _ahhdr.pack(nxt, (ahlen >> 2) - 2, 0, sav.spi, rp.count) + bytes(ahlen - AH_FIXED)
    n = len(hdr)
    m.m_prepend(n)
    b = m.buf
    o = m.off
    b[o:o + hlen] = b[o + n:o + n + hlen]
    b[o + hlen:o + hlen + n] = hdr
    b[o + nxtpos] = 51
    if v6:
        plen = m.m_len - 40
        b[o + 4], b[o + 5] = plen >> 8, plen & 0xFF
    else:
        b[o + 2], b[o + 3] = m.m_len >> 8, m.m_len & 0xFF     # the total length is covered
    pkt = bytearray(b[o:o + m.m_len])
    ah_massage_headers(pkt, hlen, ahlen)
    alg = sav.alg_auth

    def ah_output_cb(crp: Any) -> None:
        if crp.crp_etype:
            st.ahs_crypto += 1
            done(m, crp.crp_etype)
            return
        icv = bytes(crp.crp_buf[len(pkt):len(pkt) + t.icvlen])
        m.m_copyback(hlen + AH_FIXED, icv)
        st.ahs_output += 1
        st.ahs_hist[alg & 0xFF] += 1
        st.ahs_obytes += m.m_len - hlen
        key_sa_recordxfer(k, sav, m.m_len)
        done(m, 0)

    _digest(k, t, pkt, None, ah_output_cb)


def ah_input(k: "Kernel", m: mbuf, sav: Any, off: int,
             done: Callable[[mbuf, int, int], None]) -> None:
    """Verify the AH at ``off``; ``done(m, errno, next header)`` with the AH removed."""
    st = k.ahstat
    v6 = ipsec_stat(k, m)                       # the family's ipsecstat
    t = ah_init(k, sav)
    if t is None:
        done(m, E.EINVAL, 0)
        return
    if m.m_len < off + AH_FIXED:
        st.ahs_hdrops += 1
        done(m, E.EINVAL, 0)
        return
    b = m.buf
    o = m.off
    nxt, ln, _res, spi, seq = _ahhdr.unpack_from(b, o + off)
    ahlen = (ln + 2) << 2
    if ahlen != ah_hdrlen(t.icvlen, b[o] >> 4 == 6) or m.m_len < off + ahlen:
        st.ahs_badauthl += 1                    # RFC 4302 2.2: the ICV length of the algorithm
        done(m, E.EINVAL, 0)
        return
    rp = t.replay
    if not rp.check(seq):
        st.ahs_replay += 1
        v6.in_ahreplay += 1
        done(m, E.EACCES, 0)
        return
    icv = bytes(b[o + off + AH_FIXED:o + off + AH_FIXED + t.icvlen])
    pkt = bytearray(b[o:o + m.m_len])
    ah_massage_headers(pkt, off, ahlen)
    alg = sav.alg_auth

    def ah_input_cb(crp: Any) -> None:
        err = crp.crp_etype
        if err == E.EBADMSG:
            st.ahs_badauth += 1
            v6.in_ahauthfail += 1
            done(m, err, 0)
            return
        if err:
            st.ahs_crypto += 1
            done(m, err, 0)
            return
        v6.in_ahauthsucc += 1
        if not rp.update(seq):
            st.ahs_replay += 1
            v6.in_ahreplay += 1
            done(m, E.EACCES, 0)
            return
        st.ahs_input += 1
        st.ahs_hist[alg & 0xFF] += 1
        st.ahs_ibytes += m.m_len - off
        key_sa_recordxfer(k, sav, m.m_len)
        bb = m.buf
        oo = m.off
        bb[oo + ahlen:oo + ahlen + off] = bb[oo:oo + off]
        m.off += ahlen
        m.m_len -= ahlen
        done(m, 0, nxt)

    _digest(k, t, pkt, icv, ah_input_cb)


__all__ = ["ahstat", "ah_init", "ah_zeroize", "ah_output", "ah_input", "ah_massage_headers",
           "ah_massage_headers4", "ah_hdrlen", "IPOPT_IMMUTABLE"]
