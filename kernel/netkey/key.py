"""PF_KEY message processing and the SAD (sys/netkey/key.c; RFC 2367 section 3).

``key_parse`` takes one message written on a PF_KEY socket, checks it as
KAME does — header, extensions (key_align: known types, no duplicates,
lengths), SA type against message type, the address pair (same upper-layer
protocol, family and length, a supported family, prefix lengths) — and calls
the handler of its type, ``key_typesw[sadb_msg_type]``.  A handler answers
(``key_sendup_mbuf``) with the reply RFC 2367 section 3.1 gives its type, or
with the request itself carrying ``sadb_msg_errno`` (``key_senderror``).

The SA handlers are here: GETSPI (a larval SA with a random unique SPI in
the range asked, RFC 2367 3.1.1), UPDATE (completes it, 3.1.2), ADD (3.1.3),
DELETE (3.1.4; without an SA extension every mature SA of the pair, KAME's
"deleteall"), GET (3.1.5), ACQUIRE from a key manager (3.1.6), REGISTER
(3.1.7), FLUSH (3.1.9), DUMP (3.1.10) and X_PROMISC.  The SPD handlers and
MIGRATE are in key_spd.py, lifetimes and EXPIRE in key_timer.py, the entry
points of the data path (key_allocsp, key_allocsa, key_checkrequest,
ACQUIRE) in key_alloc.py.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Optional

from kernel.kern.kern_sysctl import SYSCTL_INT, SYSCTL_STRUCT
from kernel.kern.kern_time import nanotime
from kernel.kern.subr_prf import log
from kernel.netkey import keysock
from kernel.netkey.keydb import (
    AH_ALGORITHMS, ESP_ALGORITHMS, IPCOMP_ALGORITHMS, KEY_SENDUP_ALL, KEY_SENDUP_ONE,
    KEY_SENDUP_REGISTERED, SAORDER_STATE_ALIVE, SAORDER_STATE_ANY, SEC, key_proto2satype,
    key_satype2proto, key_state, secasindex, secasvar, seclifetime, sa_setport,
)
from kernel.wire import errno as E
from kernel.wire.in6 import AF_INET6
from kernel.wire.in_ import AF_INET
from kernel.wire.pfkeyv2 import (
    IPPROTO_AH, IPPROTO_ESP, IPPROTO_IPCOMP, IPSEC_MODE_ANY, PF_KEY_V2, PFKeyError, SADB_AALG_NONE, SADB_ACQUIRE,
    SADB_ADD, SADB_DELETE, SADB_DUMP, SADB_EALG_NONE, SADB_EXPIRE, SADB_EXT_ADDRESS_DST,
    SADB_EXT_ADDRESS_PROXY, SADB_EXT_ADDRESS_SRC, SADB_EXT_IDENTITY_DST, SADB_EXT_IDENTITY_SRC,
    SADB_EXT_KEY_AUTH, SADB_EXT_KEY_ENCRYPT, SADB_EXT_LIFETIME_CURRENT, SADB_EXT_LIFETIME_HARD,
    SADB_EXT_LIFETIME_SOFT, SADB_EXT_PROPOSAL, SADB_EXT_SA, SADB_EXT_SPIRANGE,
    SADB_EXT_SUPPORTED_AUTH, SADB_EXT_SUPPORTED_ENCRYPT, SADB_FLUSH, SADB_GET, SADB_GETSPI,
    SADB_MAX, SADB_MSG_LEN, SADB_REGISTER, SADB_SASTATE_DEAD, SADB_SASTATE_DYING,
    SADB_SASTATE_LARVAL, SADB_SASTATE_MATURE, SADB_SATYPE_AH, SADB_SATYPE_ESP,
    SADB_SATYPE_MIP, SADB_SATYPE_OSPFV2, SADB_SATYPE_RIPV2, SADB_SATYPE_RSVP,
    SADB_SATYPE_UNSPEC, SADB_UPDATE, SADB_X_AALG_NULL, SADB_X_EXT_DERIV, SADB_X_EXT_NAT_T_DPORT,
    SADB_X_EXT_NAT_T_FRAG, SADB_X_EXT_NAT_T_OAI, SADB_X_EXT_NAT_T_OAR, SADB_X_EXT_NAT_T_SPORT,
    SADB_X_EXT_NAT_T_TYPE, SADB_X_EXT_OLD, SADB_X_EXT_RAWCPI,
    SADB_X_EXT_SA2, SADB_X_MIGRATE, SADB_X_PROMISC, SADB_X_SATYPE_IPCOMP,
    SADB_X_SATYPE_TCPSIGNATURE, SADB_X_SPDADD, SADB_X_SPDDELETE,
    SADB_X_SPDDELETE2, SADB_X_SPDDUMP, SADB_X_SPDFLUSH, SADB_X_SPDGET,
    SADB_X_SPDSETIDX, SADB_X_SPDUPDATE, SADB_EALG_NULL, UDP_ENCAP_ESPINUDP, hdr_fields,
    msg_build, msg_header, msg_parse, sa_family, sa_len, sa_plen, sadb_address_build,
    sadb_key_build, sadb_lifetime_build, sadb_message, sadb_sa_build, sadb_supported_build,
    sadb_x_nat_t_port_build, sadb_x_nat_t_type_build, sadb_x_sa2_build,
    ext_build,
)

if TYPE_CHECKING:  # pragma: no cover
    from kernel.kern.init_main import Kernel

Handler = Callable[["Kernel", Any, sadb_message, bytes], int]

# messages that change the databases (or see everyone's traffic): root only
KEY_PRIVILEGED = frozenset((
    SADB_GETSPI, SADB_UPDATE, SADB_ADD, SADB_DELETE, SADB_ACQUIRE, SADB_REGISTER, SADB_FLUSH,
    SADB_X_PROMISC, SADB_X_SPDUPDATE, SADB_X_SPDADD, SADB_X_SPDDELETE, SADB_X_SPDFLUSH,
    SADB_X_SPDSETIDX, SADB_X_SPDDELETE2, SADB_X_MIGRATE))
# the SPD messages take no SA type (key_parse: "illegal satype")
_SPD_MSGS = frozenset((SADB_X_SPDADD, SADB_X_SPDDELETE, SADB_X_SPDGET, SADB_X_SPDDUMP,
                       SADB_X_SPDFLUSH, SADB_X_SPDSETIDX, SADB_X_SPDUPDATE, SADB_X_SPDDELETE2))
# the SA messages that need one
_NEED_SATYPE = frozenset((SADB_GETSPI, SADB_UPDATE, SADB_ADD, SADB_DELETE, SADB_GET,
                          SADB_ACQUIRE, SADB_EXPIRE))


def _st(k: "Kernel") -> key_state:
    return k.key


def time_second(k: "Kernel") -> int:
    """Wall-clock seconds (``time_second``), as lifetimes in messages carry them."""
    return nanotime(k) // SEC


def wall(k: "Kernel", uptime_ns: Optional[int]) -> int:
    """An uptime in ns as wall-clock seconds; None (never) is 0."""
    return (getattr(k, "boottime", 0) + uptime_ns) // SEC if uptime_ns is not None else 0


def ipseclog(k: "Kernel", msg: str) -> None:
    """ipseclog(): a debug line when ``net.key.debug`` is set."""
    if _st(k).key_debug_level:
        log(k, 7, msg + "\n")


# -- SYSINIT ----------------------------------------------------------------------------------
def key_init(k: "Kernel") -> None:
    """SYSINIT: the key databases, the PF_KEY domain, ``net.key.*``."""
    if getattr(k, "key", None) is not None:
        return
    st = key_state()
    k.key = st
    keysock.keysock_init(k)
    st.timer = k.callout()

    def knob(name: str, attr: str, descr: str, check: Optional[Callable[[int], bool]] = None
             ) -> None:
        SYSCTL_INT(k, f"net.key.{name}", st, attr, descr, check=check)

    knob("debug", "key_debug_level", "Enable IPsec debugging output")
    knob("spi_trycnt", "key_spi_trycnt", "Number of SPIs to try for a unique one",
         lambda v: v >= 1)
    knob("spi_minval", "key_spi_minval", "Minimum SPI value", lambda v: 0 <= v <= 0xFFFFFFFF)
    knob("spi_maxval", "key_spi_maxval", "Maximum SPI value", lambda v: 0 <= v <= 0xFFFFFFFF)
    knob("int_random", "key_int_random", "Interval to initialize random seed")
    knob("larval_lifetime", "key_larval_lifetime", "Lifetime of a larval SA (s)",
         lambda v: v >= 0)
    knob("blockacq_count", "key_blockacq_count", "ACQUIREs blocked before another is sent",
         lambda v: v >= 0)
    knob("blockacq_lifetime", "key_blockacq_lifetime", "Lifetime of an ACQUIRE block (s)",
         lambda v: v >= 0)
    knob("esp_keymin", "ipsec_esp_keymin", "Minimum ESP key length in ACQUIRE proposals",
         lambda v: v >= 0)
    knob("esp_auth", "ipsec_esp_auth", "Propose ESP with authentication in ACQUIRE")
    knob("ah_keymin", "ipsec_ah_keymin", "Minimum AH key length in ACQUIRE proposals",
         lambda v: v >= 0)
    knob("preferred_oldsa", "key_preferred_oldsa", "Prefer the old SA to the new one")
    knob("prefered_oldsa", "key_preferred_oldsa", "KAME's name of preferred_oldsa")
    knob("sad_max", "key_sad_max", "Most SAs in the SAD (kamebox)", lambda v: v >= 0)
    knob("spd_max", "key_spd_max", "Most policies in the SPD (kamebox)", lambda v: v >= 0)
    knob("acq_max", "key_acq_max", "Most ACQUIRE records (kamebox)", lambda v: v >= 0)
    SYSCTL_STRUCT(k, "net.key.stats", lambda: st.stat, "PF_KEY statistics (struct pfkeystat)")
    SYSCTL_STRUCT(k, "net.key.keystat", lambda: st.keystat, "Key database statistics")


# -- key_parse ---------------------------------------------------------------------------------
def key_senderror(k: "Kernel", so: Any, data: bytes, code: int) -> int:
    """Answer the sender with its own message and ``code`` in sadb_msg_errno."""
    _st(k).stat.out_err += 1
    m = bytearray(data)
    m[2] = code & 0xFF
    return keysock.key_sendup_mbuf(k, so, bytes(m), KEY_SENDUP_ONE)


def key_parse(k: "Kernel", so: Any, data: bytes) -> int:
    """Check and carry out one message (``key_output`` checked its length).
    Returns the errno of the write: 0 when the answer went up, EINVAL when the
    extensions cannot be aligned (KAME frees those without an answer)."""
    st = _st(k)
    stat = st.stat
    hdr = msg_header(data)
    if hdr.sadb_msg_version != PF_KEY_V2:
        ipseclog(k, f"key_parse: PF_KEY version {hdr.sadb_msg_version} is mismatched.")
        stat.out_invver += 1
        return key_senderror(k, so, data, E.EINVAL)
    if hdr.sadb_msg_type > SADB_MAX:
        ipseclog(k, f"key_parse: invalid type {hdr.sadb_msg_type} is passed.")
        stat.out_invmsgtype += 1
        return key_senderror(k, so, data, E.EINVAL)
    try:
        msg = msg_parse(data, check_version=False)          # key_align
    except PFKeyError as e:
        ipseclog(k, f"key_align: {e}.")
        setattr(stat, e.counter, getattr(stat, e.counter) + 1)
        return E.EINVAL
    # check SA type
    satype, mtype = hdr.sadb_msg_satype, hdr.sadb_msg_type
    if satype == SADB_SATYPE_UNSPEC:
        if mtype in _NEED_SATYPE:
            ipseclog(k, f"key_parse: must specify satype when msg type={mtype}.")
            stat.out_invsatype += 1
            return key_senderror(k, so, data, E.EINVAL)
    elif satype in (SADB_SATYPE_AH, SADB_SATYPE_ESP, SADB_X_SATYPE_IPCOMP):
        if mtype in _SPD_MSGS:
            ipseclog(k, f"key_parse: illegal satype={satype}")
            stat.out_invsatype += 1
            return key_senderror(k, so, data, E.EINVAL)
    elif satype in (SADB_SATYPE_RSVP, SADB_SATYPE_OSPFV2, SADB_SATYPE_RIPV2, SADB_SATYPE_MIP,
                    SADB_X_SATYPE_TCPSIGNATURE):
        ipseclog(k, f"key_parse: type {satype} isn't supported.")
        stat.out_invsatype += 1
        return key_senderror(k, so, data, E.EOPNOTSUPP)
    elif not (satype == 1 and mtype == SADB_X_PROMISC):
        ipseclog(k, f"key_parse: invalid type {satype} is passed.")
        stat.out_invsatype += 1
        return key_senderror(k, so, data, E.EINVAL)
    # check field of upper layer protocol and address family
    err = key_checkaddrs(msg)
    if err:
        ipseclog(k, "key_parse: invalid address extension.")
        stat.out_invaddr += 1
        return key_senderror(k, so, data, err)
    handler = key_typesw[mtype] if mtype < len(key_typesw) else None
    if handler is None:
        stat.out_invmsgtype += 1
        return key_senderror(k, so, data, E.EINVAL)
    kp = so.so_pcb
    # REGISTER with SA type 0 only asks what the kernel supports
    if mtype in KEY_PRIVILEGED and not (kp is not None and kp.kp_priv) \
            and not (mtype == SADB_REGISTER and satype == SADB_SATYPE_UNSPEC):
        stat.out_perm += 1
        return key_senderror(k, so, data, E.EPERM)
    return handler(k, so, msg, data)


def key_checkaddrs(msg: sadb_message) -> int:
    """key_parse's checks of the address pair: the same upper-layer protocol,
    family and sockaddr length, a family PF_KEY carries, prefix lengths that
    fit.  0 or the errno."""
    src0, dst0 = msg.ext.get(SADB_EXT_ADDRESS_SRC), msg.ext.get(SADB_EXT_ADDRESS_DST)
    for a in (src0, dst0, msg.ext.get(SADB_EXT_ADDRESS_PROXY)):
        if a is not None and sa_family(a.sadb_address_addr) not in (AF_INET, AF_INET6):
            return E.EAFNOSUPPORT
        if a is not None and a.sadb_address_prefixlen > sa_plen(a.sadb_address_addr):
            return E.EINVAL                                   # illegal prefixlen
    if src0 is None or dst0 is None:
        return 0
    s, d = src0.sadb_address_addr, dst0.sadb_address_addr
    if src0.sadb_address_proto != dst0.sadb_address_proto:
        return E.EINVAL                                       # upper layer protocol mismatched
    if sa_family(s) != sa_family(d) or sa_len(s) != sa_len(d):
        return E.EINVAL                                       # address family mismatched
    return 0


# -- helpers of the handlers ----------------------------------------------------------------------
def key_reply(msg: sadb_message, exts: list[bytes], **hdr: Any) -> bytes:
    """An answer: the request's header, errno cleared (``hdr`` overrides
    fields), with ``exts``."""
    f = hdr_fields(msg.hdr)
    f.update(sadb_msg_errno=0)
    f.update(hdr)
    return msg_build(f.pop("sadb_msg_type"), exts, **f)


def key_gather(msg: sadb_message, types: tuple[int, ...], **hdr: Any) -> bytes:
    """key_gather_mbuf: the header and those of ``types`` the request carried,
    in that order."""
    return key_reply(msg, [msg.raw[t] for t in types if t in msg.raw], **hdr)


def key_sa_saidx(msg: sadb_message, proto: int, mode: int, reqid: int) -> Optional[secasindex]:
    """KEY_SETSECASIDX from the address extensions.  An SA's addresses carry no
    port, unless NAT-T gives them one (RFC 3948).  None if a prefix length is
    neither the whole address nor 0 (what key managers send for an SA)."""
    src0, dst0 = msg.ext[SADB_EXT_ADDRESS_SRC], msg.ext[SADB_EXT_ADDRESS_DST]
    for a in (src0, dst0):
        if a.sadb_address_prefixlen not in (0, sa_plen(a.sadb_address_addr)):
            return None
    sport = dport = 0
    if SADB_X_EXT_NAT_T_TYPE in msg.ext:
        sp, dp = msg.ext.get(SADB_X_EXT_NAT_T_SPORT), msg.ext.get(SADB_X_EXT_NAT_T_DPORT)
        sport = sp.sadb_x_nat_t_port_port if sp is not None else 0
        dport = dp.sadb_x_nat_t_port_port if dp is not None else 0
    return secasindex(sa_setport(src0.sadb_address_addr, sport),
                      sa_setport(dst0.sadb_address_addr, dport), proto, mode, reqid)


def _sa2(msg: sadb_message) -> tuple[int, int]:
    sa2 = msg.ext.get(SADB_X_EXT_SA2)
    if sa2 is None:
        return IPSEC_MODE_ANY, 0
    return sa2.sadb_x_sa2_mode, sa2.sadb_x_sa2_reqid


def _has(msg: sadb_message, *types: int) -> bool:
    return all(t in msg.ext for t in types)


def _lifetimes_paired(msg: sadb_message) -> bool:
    """HARD and SOFT come together or not at all (key_add, key_update)."""
    return (SADB_EXT_LIFETIME_HARD in msg.ext) == (SADB_EXT_LIFETIME_SOFT in msg.ext)


def _lifetime(ext: Any) -> seclifetime:
    return seclifetime(ext.sadb_lifetime_allocations, ext.sadb_lifetime_bytes,
                       ext.sadb_lifetime_addtime, ext.sadb_lifetime_usetime)


def key_setsaval(k: "Kernel", sav: secasvar, msg: sadb_message) -> int:
    """Copy the SA values of ``msg`` into ``sav`` (key_setsaval).  0 or EINVAL."""
    satype = msg.satype
    sa0 = msg.ext.get(SADB_EXT_SA)
    if sa0 is not None:
        sav.alg_auth = sa0.sadb_sa_auth
        sav.alg_enc = sa0.sadb_sa_encrypt
        sav.flags = sa0.sadb_sa_flags
        sav.replay = sa0.sadb_sa_replay if not sa0.sadb_sa_flags & SADB_X_EXT_OLD else 0
    key = msg.ext.get(SADB_EXT_KEY_AUTH)
    if key is not None:
        if satype not in (SADB_SATYPE_AH, SADB_SATYPE_ESP):
            ipseclog(k, "key_setsaval: invalid key_auth values.")
            return E.EINVAL
        if not key.sadb_key_data and sav.alg_auth != SADB_X_AALG_NULL:
            ipseclog(k, "key_setsaval: invalid key_auth values.")
            return E.EINVAL
        sav.key_auth, sav.key_auth_bits = bytes(key.sadb_key_data), key.sadb_key_bits
    key = msg.ext.get(SADB_EXT_KEY_ENCRYPT)
    if key is not None:
        if satype == SADB_X_SATYPE_IPCOMP:
            if key.sadb_key_data:                             # IPComp takes no key
                return E.EINVAL
        elif satype != SADB_SATYPE_ESP:
            ipseclog(k, "key_setsaval: invalid key_enc value.")
            return E.EINVAL
        elif not key.sadb_key_data and sav.alg_enc != SADB_EALG_NULL:
            ipseclog(k, "key_setsaval: invalid key_enc value.")
            return E.EINVAL
        else:
            sav.key_enc, sav.key_enc_bits = bytes(key.sadb_key_data), key.sadb_key_bits
    alg = ESP_ALGORITHMS.get(sav.alg_enc) if satype == SADB_SATYPE_ESP else None
    sav.ivlen = alg.ivlen if alg is not None else 0
    # reset created; make lifetime for CURRENT
    sav.created = k.now()
    sav.lft_c = seclifetime(0, 0, 0, 0)
    hard, soft = msg.ext.get(SADB_EXT_LIFETIME_HARD), msg.ext.get(SADB_EXT_LIFETIME_SOFT)
    sav.lft_h = _lifetime(hard) if hard is not None else None
    sav.lft_s = _lifetime(soft) if soft is not None else None
    err = key_setnatt(sav, msg)
    if err:
        return err
    return 0


def key_setnatt(sav: secasvar, msg: sadb_message) -> int:
    """NAT-T (RFC 3948): the type, both ports, the original addresses, the
    fragment size; ESP only."""
    nt = msg.ext.get(SADB_X_EXT_NAT_T_TYPE)
    if nt is None:
        if any(t in msg.ext for t in (SADB_X_EXT_NAT_T_SPORT, SADB_X_EXT_NAT_T_DPORT,
                                      SADB_X_EXT_NAT_T_OAI, SADB_X_EXT_NAT_T_OAR,
                                      SADB_X_EXT_NAT_T_FRAG)):
            return E.EINVAL
        sav.natt_type = 0
        return 0
    if msg.satype != SADB_SATYPE_ESP or nt.sadb_x_nat_t_type_type != UDP_ENCAP_ESPINUDP:
        return E.EINVAL
    if not _has(msg, SADB_X_EXT_NAT_T_SPORT, SADB_X_EXT_NAT_T_DPORT):
        return E.EINVAL
    sav.natt_type = nt.sadb_x_nat_t_type_type
    oai, oar = msg.ext.get(SADB_X_EXT_NAT_T_OAI), msg.ext.get(SADB_X_EXT_NAT_T_OAR)
    sav.natt_oai = oai.sadb_address_addr if oai is not None else None
    sav.natt_oar = oar.sadb_address_addr if oar is not None else None
    frag = msg.ext.get(SADB_X_EXT_NAT_T_FRAG)
    sav.natt_frag = frag.sadb_x_nat_t_frag_fraglen if frag is not None else 0
    return 0


def key_mature(k: "Kernel", sav: secasvar) -> int:
    """Check that the SA values make a usable SA and make it MATURE (key_mature).
    0 or the errno."""
    err = key_mature_check(k, sav)
    if not err:
        _st(k).key_sa_chgstate(sav, SADB_SASTATE_MATURE)
    return err


def _alg_key_ok(k: "Kernel", table: dict, alg: int, key: Optional[bytes], bits: int,
                what: str, proto: str) -> bool:
    """The algorithm is one the kernel has and the key fits it."""
    a = table.get(alg)
    if a is None:
        ipseclog(k, f"key_mature: unknown {what} algorithm.")
        return False
    bits = bits if key is not None else 0
    if not a.key_ok(bits):
        ipseclog(k, f"key_mature: invalid {proto} key length {bits} "
                    f"({a.keymin}-{a.keymax} allowed)")
        return False
    return True


def key_mature_check(k: "Kernel", sav: secasvar) -> int:
    """key_mature's checks, without the change of state."""
    proto = sav.sah.saidx.proto
    if proto in (IPPROTO_ESP, IPPROTO_AH) and sav.spi <= 255:
        ipseclog(k, f"key_mature: illegal range of SPI {sav.spi}.")
        return E.EINVAL                        # RFC 4303 2.1: 1-255 are reserved by IANA
    if proto == IPPROTO_ESP:
        if sav.flags & SADB_X_EXT_OLD and sav.flags & SADB_X_EXT_DERIV:
            return E.EINVAL
        checkmask = 1 if sav.alg_auth == SADB_AALG_NONE else 3
    elif proto == IPPROTO_AH:
        if sav.flags & SADB_X_EXT_DERIV or sav.alg_enc != SADB_EALG_NONE:
            ipseclog(k, "key_mature: protocol and algorithm mismated.")
            return E.EINVAL
        checkmask = 2
    elif proto == IPPROTO_IPCOMP:
        if sav.alg_auth != SADB_AALG_NONE:
            return E.EINVAL
        if not sav.flags & SADB_X_EXT_RAWCPI and sav.spi >= 0x10000:
            ipseclog(k, "key_mature: invalid cpi for IPComp.")
            return E.EINVAL
        checkmask = 4
    else:
        return E.EPROTONOSUPPORT
    if checkmask & 2 and not _alg_key_ok(k, AH_ALGORITHMS, sav.alg_auth, sav.key_auth,
                                         sav.key_auth_bits, "authentication", "AH"):
        return E.EINVAL
    if checkmask & 1:
        if not _alg_key_ok(k, ESP_ALGORITHMS, sav.alg_enc, sav.key_enc, sav.key_enc_bits,
                           "encryption", "ESP"):
            return E.EINVAL
        if ESP_ALGORITHMS[sav.alg_enc].aead and sav.alg_auth != SADB_AALG_NONE:
            return E.EINVAL                    # RFC 4106 8.1: GCM authenticates itself
    if checkmask & 4 and sav.alg_enc not in IPCOMP_ALGORITHMS:
        ipseclog(k, "key_mature: unknown compression algorithm.")
        return E.EINVAL
    return 0


class _TrialHead:
    """The SA head an SA being checked would get."""

    def __init__(self, saidx: secasindex) -> None:
        self.saidx = saidx


def _getmsgbuf_x1(msg: sadb_message) -> bytes:
    """The answer to UPDATE and ADD: the request without its keys (key_getmsgbuf_x1)."""
    return key_gather(msg, (SADB_EXT_SA, SADB_X_EXT_SA2, SADB_EXT_ADDRESS_SRC,
                            SADB_EXT_ADDRESS_DST, SADB_EXT_LIFETIME_HARD, SADB_EXT_LIFETIME_SOFT,
                            SADB_EXT_IDENTITY_SRC, SADB_EXT_IDENTITY_DST))


def key_setdumpsa(k: "Kernel", sav: secasvar, mtype: int, satype: int, seq: int, pid: int,
                  keys: bool = True) -> bytes:
    """An SA as GET and DUMP answer it (key_setdumpsa), in KAME's order."""
    saidx = sav.sah.saidx
    exts = [sadb_sa_build(sav.spi, sav.replay, sav.state, sav.alg_auth, sav.alg_enc, sav.flags),
            sadb_x_sa2_build(saidx.mode, saidx.reqid, sav.sequence & 0xFFFFFFFF)]
    for t, lft in ((SADB_EXT_LIFETIME_HARD, sav.lft_h), (SADB_EXT_LIFETIME_SOFT, sav.lft_s)):
        if lft is not None:
            exts.append(sadb_lifetime_build(t, lft.allocations, lft.bytes, lft.addtime,
                                            lft.usetime))
    c = sav.lft_c
    exts.append(sadb_lifetime_build(SADB_EXT_LIFETIME_CURRENT, c.allocations, c.bytes,
                                    wall(k, sav.created), wall(k, sav.firstused)))
    exts.append(sadb_address_build(SADB_EXT_ADDRESS_SRC, sa_setport(saidx.src, 0)))
    exts.append(sadb_address_build(SADB_EXT_ADDRESS_DST, sa_setport(saidx.dst, 0)))
    if keys and sav.key_auth is not None:
        exts.append(sadb_key_build(SADB_EXT_KEY_AUTH, sav.key_auth))
    if keys and sav.key_enc is not None:
        exts.append(sadb_key_build(SADB_EXT_KEY_ENCRYPT, sav.key_enc))
    exts += key_natt_exts(sav)
    return msg_build(mtype, exts, sadb_msg_satype=satype, sadb_msg_seq=seq & 0xFFFFFFFF,
                     sadb_msg_pid=pid & 0xFFFFFFFF, sadb_msg_reserved=sav.refcnt & 0xFFFF)


def key_natt_exts(sav: secasvar) -> list[bytes]:
    if not sav.natt_type:
        return []
    saidx = sav.sah.saidx
    from kernel.netkey.keydb import sa_port
    out = [sadb_x_nat_t_type_build(sav.natt_type),
           sadb_x_nat_t_port_build(SADB_X_EXT_NAT_T_SPORT, sa_port(saidx.src)),
           sadb_x_nat_t_port_build(SADB_X_EXT_NAT_T_DPORT, sa_port(saidx.dst))]
    if sav.natt_oai is not None:
        out.append(sadb_address_build(SADB_X_EXT_NAT_T_OAI, sav.natt_oai))
    if sav.natt_oar is not None:
        out.append(sadb_address_build(SADB_X_EXT_NAT_T_OAR, sav.natt_oar))
    if sav.natt_frag:
        out.append(ext_build(SADB_X_EXT_NAT_T_FRAG, sadb_x_nat_t_frag_fraglen=sav.natt_frag))
    return out


def _timer(k: "Kernel") -> None:
    from kernel.netkey import key_timer
    key_timer.key_timer_arm(k)


# -- SADB_GETSPI (RFC 2367 3.1.1) ---------------------------------------------------------------
def key_do_getnewspi(k: "Kernel", spirange: Any, saidx: secasindex) -> int:
    """A random SPI in the range asked (or net.key.spi_minval..spi_maxval)
    that no SA to the same destination uses; 0 if none is found."""
    st = _st(k)
    if spirange is not None:
        lo, hi = spirange.sadb_spirange_min, spirange.sadb_spirange_max
    else:
        lo, hi = st.key_spi_minval, st.key_spi_maxval
    if saidx.proto == IPPROTO_IPCOMP:               # IPComp needs a 2-byte CPI
        lo, hi = min(lo, 0xFFFF), min(hi, 0xFFFF)
    if lo > hi:
        lo, hi = hi, lo
    if lo == hi:
        if st.key_checkspidup(saidx, lo) is not None:
            ipseclog(k, f"key_do_getnewspi: SPI {lo} exists already.")
            return 0
        return lo
    rng = k.platform.rng
    for tries in range(st.key_spi_trycnt):
        spi = lo + rng.randrange(hi - lo + 1)
        if spi and st.key_checkspidup(saidx, spi) is None:
            st.keystat.getspi_count = (st.keystat.getspi_count + tries + 1) // 2
            return spi
    ipseclog(k, "key_do_getnewspi: to allocate spi is failed.")
    return 0


def key_getspi(k: "Kernel", so: Any, msg: sadb_message, data: bytes) -> int:
    st = _st(k)
    if not _has(msg, SADB_EXT_ADDRESS_SRC, SADB_EXT_ADDRESS_DST):
        ipseclog(k, "key_getspi: invalid message is passed.")
        return key_senderror(k, so, data, E.EINVAL)
    proto = key_satype2proto(msg.satype)
    if proto in (0, 255):
        return key_senderror(k, so, data, E.EINVAL)
    mode, reqid = _sa2(msg)
    saidx = key_sa_saidx(msg, proto, mode, reqid)
    if saidx is None:
        return key_senderror(k, so, data, E.EINVAL)
    # make sure if port number is zero
    saidx = secasindex(sa_setport(saidx.src, 0), sa_setport(saidx.dst, 0), proto, mode, reqid)
    if st.nsav >= st.key_sad_max:
        st.keystat.sad_full += 1
        return key_senderror(k, so, data, E.ENOBUFS)
    spi = key_do_getnewspi(k, msg.ext.get(SADB_EXT_SPIRANGE), saidx)
    if spi == 0:
        return key_senderror(k, so, data, E.EINVAL)
    sah = st.key_getsah(saidx) or st.key_newsah(saidx)
    st.sa_seq = st.sa_seq + 1 if st.sa_seq < 0xFFFFFFFF else 1
    seq = msg.hdr.sadb_msg_seq or st.sa_seq
    sav = secasvar(sah, spi, seq, msg.hdr.sadb_msg_pid, k.now())
    st.sav_insert(sav)
    # delete the entry in acqtree: the ACQUIRE it answers is being dealt with
    if msg.hdr.sadb_msg_seq:
        for acq in st.acqtree:
            if acq.seq == msg.hdr.sadb_msg_seq:
                acq.created = k.now()          # reset counter in order to deletion by timehandler
                acq.count = 0
    _timer(k)
    reply = key_reply(msg, [sadb_sa_build(spi), msg.raw[SADB_EXT_ADDRESS_SRC],
                            msg.raw[SADB_EXT_ADDRESS_DST]], sadb_msg_seq=sav.seq)
    return keysock.key_sendup_mbuf(k, so, reply, KEY_SENDUP_ONE)


# -- SADB_UPDATE (3.1.2) --------------------------------------------------------------------------
def _add_checks(k: "Kernel", msg: sadb_message, name: str) -> Optional[secasindex]:
    """The checks key_add and key_update share: an SA type, the SA and
    address extensions, the key ESP or AH needs, HARD and SOFT together.
    The SA's index, or None (EINVAL)."""
    proto = key_satype2proto(msg.satype)
    if proto in (0, 255):
        ipseclog(k, f"{name}: invalid satype is passed.")
        return None
    if (not _has(msg, SADB_EXT_SA, SADB_EXT_ADDRESS_SRC, SADB_EXT_ADDRESS_DST)
            or (msg.satype == SADB_SATYPE_ESP and SADB_EXT_KEY_ENCRYPT not in msg.ext)
            or (msg.satype == SADB_SATYPE_AH and SADB_EXT_KEY_AUTH not in msg.ext)
            or not _lifetimes_paired(msg)):
        ipseclog(k, f"{name}: invalid message is passed.")
        return None
    mode, reqid = _sa2(msg)
    return key_sa_saidx(msg, proto, mode, reqid)


def key_update(k: "Kernel", so: Any, msg: sadb_message, data: bytes) -> int:
    st = _st(k)
    saidx = _add_checks(k, msg, "key_update")
    if saidx is None:
        return key_senderror(k, so, data, E.EINVAL)
    proto, mode, reqid = saidx.proto, saidx.mode, saidx.reqid
    spi = msg.ext[SADB_EXT_SA].sadb_sa_spi
    sav = None
    for cand in st.spihash.get((proto, spi), ()):
        if key_sockaddrcmp_pair(cand.sah.saidx, saidx):
            sav = cand
            break
    if sav is None:
        ipseclog(k, f"key_update: no such a SA found (spi:{spi})")
        return key_senderror(k, so, data, E.ENOENT)
    if sav.state == SADB_SASTATE_LARVAL:
        # RFC 2367 3.1.2: any value of a LARVAL SA may change except the
        # addresses and the SPI
        if sav.pid != msg.hdr.sadb_msg_pid:
            ipseclog(k, f"key_update: pid mismatched (DB:{sav.pid} param:{msg.hdr.sadb_msg_pid})")
            return key_senderror(k, so, data, E.EINVAL)
        old = sav.sah.saidx
        newidx = secasindex(old.src, old.dst, proto, mode, reqid)
        trial = secasvar(_TrialHead(newidx), sav.spi, sav.seq, sav.pid, k.now())
        err = key_setsaval(k, trial, msg) or key_mature_check(k, trial)
        if err:
            return key_senderror(k, so, data, err)
        if (old.mode, old.reqid) != (mode, reqid):
            _move_sav(st, sav, st.key_getsah(newidx) or st.key_newsah(newidx))
        _copy_sav(trial, sav)
        key_mature(k, sav)
    else:
        # a MATURE or DYING SA: only its lifetimes may change (RFC 2367 3.1.2),
        # and a DYING SA becomes MATURE again
        trial = secasvar(sav.sah, sav.spi, sav.seq, sav.pid, k.now())
        err = key_setsaval(k, trial, msg)
        if err:
            return key_senderror(k, so, data, err)
        if ((trial.alg_auth, trial.alg_enc, trial.key_auth, trial.key_enc, trial.flags)
                != (sav.alg_auth, sav.alg_enc, sav.key_auth, sav.key_enc, sav.flags)):
            ipseclog(k, "key_update: the keys of a mature SA cannot change.")
            return key_senderror(k, so, data, E.EINVAL)
        sav.lft_h, sav.lft_s = trial.lft_h, trial.lft_s
        if sav.state == SADB_SASTATE_DYING:
            st.key_sa_chgstate(sav, SADB_SASTATE_MATURE)
        from kernel.netkey import key_timer
        key_timer.key_sa_chklifetime(k, sav)
    _timer(k)
    return keysock.key_sendup_mbuf(k, so, _getmsgbuf_x1(msg), KEY_SENDUP_ALL)


def key_sockaddrcmp_pair(a: secasindex, b: secasindex) -> bool:
    from kernel.netkey.keydb import key_sockaddrcmp
    return key_sockaddrcmp(a.src, b.src, False) and key_sockaddrcmp(a.dst, b.dst, False)


def _move_sav(st: key_state, sav: secasvar, sah: Any) -> None:
    old = sav.sah
    old.savtree[sav.state].remove(sav)
    sav.sah = sah
    sah.savtree[sav.state].append(sav)
    if not any(old.savtree[s] for s in SAORDER_STATE_ANY) and old in st.sahtree:
        old.state = SADB_SASTATE_DEAD
        st.sahtree.remove(old)


def _copy_sav(src: secasvar, dst: secasvar) -> None:
    for a in ("alg_auth", "alg_enc", "key_auth", "key_enc", "key_auth_bits", "key_enc_bits",
              "flags", "replay", "ivlen", "created", "lft_c", "lft_h", "lft_s", "natt_type",
              "natt_oai", "natt_oar", "natt_frag"):
        setattr(dst, a, getattr(src, a))


# -- SADB_ADD (3.1.3) ------------------------------------------------------------------------------
def key_add(k: "Kernel", so: Any, msg: sadb_message, data: bytes) -> int:
    st = _st(k)
    saidx = _add_checks(k, msg, "key_add")
    if saidx is None:
        return key_senderror(k, so, data, E.EINVAL)
    spi = msg.ext[SADB_EXT_SA].sadb_sa_spi
    # We can create new SA only if SPI is different.
    if st.key_checkspidup(saidx, spi) is not None:
        ipseclog(k, "key_add: SA already exists.")
        return key_senderror(k, so, data, E.EEXIST)
    if st.nsav >= st.key_sad_max:
        st.keystat.sad_full += 1
        return key_senderror(k, so, data, E.ENOBUFS)
    sah = st.key_getsah(saidx)
    trial = secasvar(sah if sah is not None else _TrialHead(saidx), spi,
                     msg.hdr.sadb_msg_seq, msg.hdr.sadb_msg_pid, k.now())
    err = key_setsaval(k, trial, msg) or key_mature_check(k, trial)
    if err:
        return key_senderror(k, so, data, err)
    if sah is None:
        sah = st.key_newsah(saidx)
    sav = secasvar(sah, spi, msg.hdr.sadb_msg_seq, msg.hdr.sadb_msg_pid, k.now())
    _copy_sav(trial, sav)
    st.sav_insert(sav)
    key_mature(k, sav)
    _timer(k)
    return keysock.key_sendup_mbuf(k, so, _getmsgbuf_x1(msg), KEY_SENDUP_ALL)


# -- SADB_DELETE (3.1.4) -----------------------------------------------------------------------------
def key_delete(k: "Kernel", so: Any, msg: sadb_message, data: bytes) -> int:
    st = _st(k)
    saidx = _sa_pair(k, msg, "key_delete")
    if saidx is None:
        return key_senderror(k, so, data, E.EINVAL)
    proto = saidx.proto
    if SADB_EXT_SA not in msg.ext:
        # Caller wants us to delete all non-LARVAL SAs that match the src/dst.
        # This is used during IKE INITIAL-CONTACT.
        for sah in list(st.sahtree):
            if sah.saidx.proto == proto and key_sockaddrcmp_pair(sah.saidx, saidx):
                for state in (SADB_SASTATE_MATURE, SADB_SASTATE_DYING):
                    for sav in list(sah.savtree[state]):
                        st.key_sa_chgstate(sav, SADB_SASTATE_DEAD)
        return keysock.key_sendup_mbuf(k, so, key_gather(msg, (SADB_EXT_ADDRESS_SRC,
                                                               SADB_EXT_ADDRESS_DST)),
                                       KEY_SENDUP_ALL)
    sav = _find_sav(st, proto, saidx, msg.ext[SADB_EXT_SA].sadb_sa_spi)
    if sav is None:
        ipseclog(k, "key_delete: no SA found.")
        return key_senderror(k, so, data, E.ENOENT)
    st.key_sa_chgstate(sav, SADB_SASTATE_DEAD)
    return keysock.key_sendup_mbuf(k, so, key_gather(msg, (SADB_EXT_SA, SADB_EXT_ADDRESS_SRC,
                                                           SADB_EXT_ADDRESS_DST)),
                                   KEY_SENDUP_ALL)


def _sa_pair(k: "Kernel", msg: sadb_message, name: str, *need: int) -> Optional[secasindex]:
    """The checks of DELETE, GET and ACQUIRE: an SA type, the extensions
    ``need`` and usable addresses.  The pair's index (mode any), or None (EINVAL)."""
    proto = key_satype2proto(msg.satype)
    if proto in (0, 255):
        ipseclog(k, f"{name}: invalid satype is passed.")
        return None
    if not _has(msg, SADB_EXT_ADDRESS_SRC, SADB_EXT_ADDRESS_DST, *need):
        ipseclog(k, f"{name}: invalid message is passed.")
        return None
    return key_sa_saidx(msg, proto, IPSEC_MODE_ANY, 0)


def _find_sav(st: key_state, proto: int, saidx: secasindex, spi: int) -> Optional[secasvar]:
    for sav in st.spihash.get((proto, spi), ()):
        if sav.state in SAORDER_STATE_ALIVE and key_sockaddrcmp_pair(sav.sah.saidx, saidx):
            return sav
    return None


# -- SADB_GET (3.1.5) ---------------------------------------------------------------------------------
def key_get(k: "Kernel", so: Any, msg: sadb_message, data: bytes) -> int:
    st = _st(k)
    saidx = _sa_pair(k, msg, "key_get", SADB_EXT_SA)
    if saidx is None:
        return key_senderror(k, so, data, E.EINVAL)
    proto = saidx.proto
    sav = _find_sav(st, proto, saidx, msg.ext[SADB_EXT_SA].sadb_sa_spi)
    if sav is None:
        ipseclog(k, "key_get: no SA found.")
        return key_senderror(k, so, data, E.ENOENT)
    reply = key_setdumpsa(k, sav, SADB_GET, key_proto2satype(proto), msg.hdr.sadb_msg_seq,
                          msg.hdr.sadb_msg_pid, keys=_priv(so))
    return keysock.key_sendup_mbuf(k, so, reply, KEY_SENDUP_ONE)


def _priv(so: Any) -> bool:
    kp = so.so_pcb
    return kp is not None and kp.kp_priv


# -- SADB_ACQUIRE from a key manager (3.1.6) -------------------------------------------------------------
def key_acquire2(k: "Kernel", so: Any, msg: sadb_message, data: bytes) -> int:
    st = _st(k)
    if msg.hdr.sadb_msg_len * 8 == SADB_MSG_LEN:
        # Error message from KMd: the acquire failed; block further ACQUIREs for
        # that SA until the record times out.  No answer.
        seq = msg.hdr.sadb_msg_seq
        for acq in st.acqtree:
            if seq and acq.seq == seq:
                acq.created = k.now()          # reset acq counter in order to deletion by timehander
                acq.count = 0
        return 0
    saidx = _sa_pair(k, msg, "key_acquire2", SADB_EXT_PROPOSAL)
    if saidx is None:
        return key_senderror(k, so, data, E.EINVAL)
    from kernel.netkey.keydb import CMP_MODE_REQID, key_cmpsaidx
    for sah in st.sahtree:
        if key_cmpsaidx(sah.saidx, saidx, CMP_MODE_REQID):
            ipseclog(k, "key_acquire2: a SA exists already.")
            return key_senderror(k, so, data, E.EEXIST)
    from kernel.netkey.key_alloc import key_acquire
    err = key_acquire(k, saidx, None)
    if err:
        return key_senderror(k, so, data, err)
    return keysock.key_sendup_mbuf(k, so, data, KEY_SENDUP_REGISTERED)


# -- SADB_REGISTER (3.1.7) ---------------------------------------------------------------------------------
def key_supported_exts() -> list[bytes]:
    """SUPPORTED_AUTH and SUPPORTED_ENCRYPT: what this kernel can key."""
    auth = [(a.id, 0, a.keymin, a.keymax) for a in sorted(AH_ALGORITHMS.values(),
                                                           key=lambda a: a.id)]
    enc = [(a.id, a.ivlen, a.keymin, a.keymax) for a in sorted(ESP_ALGORITHMS.values(),
                                                                key=lambda a: a.id)]
    return [sadb_supported_build(SADB_EXT_SUPPORTED_AUTH, auth),
            sadb_supported_build(SADB_EXT_SUPPORTED_ENCRYPT, enc)]


def key_register(k: "Kernel", so: Any, msg: sadb_message, data: bytes) -> int:
    st = _st(k)
    satype = msg.satype
    if satype >= len(st.regtree):
        return key_senderror(k, so, data, E.EINVAL)
    # When SATYPE_UNSPEC is specified, only return sadb_supported.
    if satype != SADB_SATYPE_UNSPEC:
        if so in st.regtree[satype]:
            ipseclog(k, "key_register: socket exists already.")
            return key_senderror(k, so, data, E.EEXIST)
        st.regtree[satype].insert(0, so)
        so.so_pcb.kp_registered += 1
    return keysock.key_sendup_mbuf(k, so, key_reply(msg, key_supported_exts()),
                                   KEY_SENDUP_REGISTERED)


# -- SADB_FLUSH (3.1.9) ----------------------------------------------------------------------------------------
def key_flush(k: "Kernel", so: Any, msg: sadb_message, data: bytes) -> int:
    st = _st(k)
    proto = key_satype2proto(msg.satype)
    if proto == 0:
        ipseclog(k, "key_flush: invalid satype is passed.")
        return key_senderror(k, so, data, E.EINVAL)
    for sah in list(st.sahtree):
        if msg.satype != SADB_SATYPE_UNSPEC and proto != sah.saidx.proto:
            continue
        for sav in sah.savs():
            st.key_sa_chgstate(sav, SADB_SASTATE_DEAD)
    return keysock.key_sendup_mbuf(k, so, key_reply(msg, []), KEY_SENDUP_ALL)


# -- SADB_DUMP (3.1.10) -----------------------------------------------------------------------------------------
def key_dump(k: "Kernel", so: Any, msg: sadb_message, data: bytes) -> int:
    """Every SA, one message each to the sender, ``sadb_msg_seq`` counting
    down to 0 on the last; ENOENT if there is none."""
    st = _st(k)
    proto = key_satype2proto(msg.satype)
    if proto == 0:
        return key_senderror(k, so, data, E.EINVAL)
    savs = [sav for sah in st.sahtree for sav in sah.savs()
            if msg.satype == SADB_SATYPE_UNSPEC or sah.saidx.proto == proto]
    if not savs:
        return key_senderror(k, so, data, E.ENOENT)
    cnt = len(savs)
    keys = _priv(so)
    for sav in savs:
        cnt -= 1
        keysock.key_sendup_mbuf(k, so, key_setdumpsa(k, sav, SADB_DUMP,
                                                     key_proto2satype(sav.sah.saidx.proto),
                                                     cnt, msg.hdr.sadb_msg_pid, keys),
                                KEY_SENDUP_ONE)
    return 0


# -- SADB_X_PROMISC (KAME) ---------------------------------------------------------------------------------------
def key_promisc(k: "Kernel", so: Any, msg: sadb_message, data: bytes) -> int:
    """With satype 1 the socket hears every PF_KEY message, 0 turns that off;
    the message goes back to everyone."""
    if len(data) == SADB_MSG_LEN:
        kp = so.so_pcb
        if kp is None or msg.satype not in (0, 1):
            return key_senderror(k, so, data, E.EINVAL)
        kp.kp_promisc = msg.satype
        return keysock.key_sendup_mbuf(k, so, data, KEY_SENDUP_ALL)
    # send packet as is
    return keysock.key_sendup_mbuf(k, so, data[SADB_MSG_LEN:], KEY_SENDUP_ALL)


def _spd(name: str) -> Handler:
    def call(k: "Kernel", so: Any, msg: sadb_message, data: bytes) -> int:
        from kernel.netkey import key_spd
        return getattr(key_spd, name)(k, so, msg, data)
    call.__name__ = name
    return call


# key_typesw[sadb_msg_type]: None for the messages only the kernel sends (EXPIRE,
# X_PCHANGE, X_SPDACQUIRE, X_SPDEXPIRE, X_NAT_T_NEW_MAPPING), which key_parse refuses
key_typesw: list[Optional[Handler]] = [
    None,                      # SADB_RESERVED
    key_getspi,                # SADB_GETSPI
    key_update,                # SADB_UPDATE
    key_add,                   # SADB_ADD
    key_delete,                # SADB_DELETE
    key_get,                   # SADB_GET
    key_acquire2,              # SADB_ACQUIRE
    key_register,              # SADB_REGISTER
    None,                      # SADB_EXPIRE
    key_flush,                 # SADB_FLUSH
    key_dump,                  # SADB_DUMP
    key_promisc,               # SADB_X_PROMISC
    None,                      # SADB_X_PCHANGE
    _spd("key_spdadd"),        # SADB_X_SPDUPDATE
    _spd("key_spdadd"),        # SADB_X_SPDADD
    _spd("key_spddelete"),     # SADB_X_SPDDELETE
    _spd("key_spdget"),        # SADB_X_SPDGET
    None,                      # SADB_X_SPDACQUIRE
    _spd("key_spddump"),       # SADB_X_SPDDUMP
    _spd("key_spdflush"),      # SADB_X_SPDFLUSH
    _spd("key_spdadd"),        # SADB_X_SPDSETIDX
    None,                      # SADB_X_SPDEXPIRE
    _spd("key_spddelete2"),    # SADB_X_SPDDELETE2
    None,                      # SADB_X_NAT_T_NEW_MAPPING
    _spd("key_migrate"),       # SADB_X_MIGRATE
]
assert len(key_typesw) == SADB_MAX + 1

__all__ = ["key_init", "key_parse", "key_typesw", "key_senderror", "key_setdumpsa", "key_reply",
           "key_mature", "key_setsaval", "key_gather", "key_supported_exts", "KEY_PRIVILEGED",
           "time_second", "wall", "ipseclog"]
