"""What the IPsec data path asks of the key engine (sys/netkey/key.c: key_allocsp,
key_allocsa, key_allocsa_policy, key_checkrequest, key_acquire,
key_spdacquire, key_sa_recordxfer; sys/netinet6/ipsec.c: ipsec_get_reqlevel,
the per-socket policies of IPV6_IPSEC_POLICY, ipsec_getpolicybysock).

Outbound, the data path builds a ``secpolicyindex`` from the packet (full
prefixes, ports or ICMPv6 type/code, upper-layer protocol) and asks
``ipsec_getpolicybysock`` (a socket's own policy first) or ``key_allocsp``
for the policy; for each ``ipsecrequest`` of an IPSEC policy it builds the
``secasindex`` (``ipsec_setsaidx``: the packet's addresses in transport
mode, the request's endpoints in tunnel mode) and calls
``key_checkrequest``, which finds a MATURE or DYING SA (``isr.sav``) or sends
an SADB_ACQUIRE to the registered key managers (RFC 2367 3.1.6) — at most one
per ``net.key.blockacq_lifetime`` seconds and ``net.key.blockacq_count``
packets for the same SA, the rest blocked by the ACQUIRE record, which is
KAME's larval entry for an SA being negotiated — and answers ENOENT when the
level requires the SA (the packet is dropped, as KAME does) or 0 to send it
without.  Inbound, ``key_allocsa(dst, proto, spi)`` finds the SA of an ESP
or AH header.  After each packet ``key_sa_recordxfer`` counts bytes and
allocations, which may expire the SA.

The data path asks ``key_allocsp_cached`` with the packet's selector as a
tuple: the answer is remembered per selector until the SPD's generation
changes (every insertion or removal of a policy), so a change applies from
the next packet; the selectors compare as integers (keydb.spidx_compiled).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Optional, Union

from kernel.netkey import keysock
from kernel.netkey.keydb import (
    AH_ALGORITHMS, CMP_EXACTLY, CMP_MODE_REQID, ESP_ALGORITHMS, IPSEC_SPSTATE_ALIVE,
    KEY_SENDUP_REGISTERED, SAORDER_STATE_VALID_PREFER_NEW, SAORDER_STATE_VALID_PREFER_OLD, ipsecrequest, key_cmpsaidx, key_cmpspidx_withmask, key_proto2satype, key_sockaddrcmp,
    key_state, sa_addr, sa_scope, sa_setport, secacq, secasindex, secasvar, secpolicy,
    secpolicyindex, secspacq,
)
from kernel.netkey.key_timer import key_sa_chklifetime, key_timer_arm
from kernel.wire import errno as E
from kernel.wire.in6 import sockaddr_in6
from kernel.wire.in_ import sockaddr_in
from kernel.wire.pfkeyv2 import (
    IPPROTO_AH, IPPROTO_ESP, IPSEC_DIR_INBOUND, IPSEC_DIR_OUTBOUND, IPSEC_LEVEL_DEFAULT,
    IPSEC_LEVEL_REQUIRE, IPSEC_LEVEL_UNIQUE, IPSEC_LEVEL_USE, IPSEC_MODE_TRANSPORT,
    IPSEC_MODE_TUNNEL, IPSEC_POLICY_BYPASS, IPSEC_POLICY_DISCARD, IPSEC_POLICY_ENTRUST,
    IPSEC_POLICY_IPSEC, IPSEC_POLICY_NONE, PFKEY_SOFT_LIFETIME_RATE, PFKeyError, SADB_ACQUIRE,
    SADB_AALG_MD5HMAC, SADB_AALG_SHA1HMAC, SADB_EXT_ADDRESS_DST, SADB_EXT_ADDRESS_SRC,
    SADB_SASTATE_DEAD, SADB_SASTATE_DYING, SADB_SASTATE_MATURE, SADB_X_EXT_POLICY,
    SADB_X_SPDACQUIRE, ext_parse, msg_build, sadb_address_build, sadb_prop_build,
    sadb_x_policy_build,
)

if TYPE_CHECKING:  # pragma: no cover
    from kernel.kern.init_main import Kernel

Addr = Union[sockaddr_in6, sockaddr_in, bytes]


def _st(k: "Kernel") -> Optional[key_state]:
    return getattr(k, "key", None)


# -- the SPD ----------------------------------------------------------------------------------
SPCACHE_MAX = 512       # packet selectors remembered per SPD generation (bounded memory)


def key_lookupsp(st: key_state, spidx: secpolicyindex, dir: int) -> Optional[secpolicy]:
    """The first alive policy of direction ``dir`` whose selector covers the
    packet selector ``spidx`` (key_allocsp's search), without taking it."""
    for sp in st.sptree.get(dir, ()):
        if sp.state == IPSEC_SPSTATE_ALIVE and key_cmpspidx_withmask(sp.spidx, spidx):
            return sp
    return None


def key_allocsp(k: "Kernel", spidx: secpolicyindex, dir: int) -> Optional[secpolicy]:
    """The first alive policy of direction ``dir`` whose selector covers the
    packet selector ``spidx`` (key_allocsp); its last use is now.  Release it
    with key_freesp."""
    st = _st(k)
    if st is None:
        return None
    sp = key_lookupsp(st, spidx, dir)
    if sp is not None:
        sp.lastused = k.now()
        sp.refcnt += 1
    return sp


def key_allocsp_cached(k: "Kernel", key: tuple, dir: int,
                       mkspidx: Callable[[tuple], secpolicyindex]) -> Optional[secpolicy]:
    """key_allocsp for the data path: ``key`` is the packet's selector as a
    tuple of plain values (direction first), ``mkspidx(key)`` its
    ``secpolicyindex``, built only when the answer is not remembered.  The
    answer for a key is kept until the SPD changes (``spgen``: any SPDADD,
    SPDUPDATE, SPDDELETE, SPDFLUSH or expiry), so a change applies from the
    very next packet."""
    st = _st(k)
    if st is None:
        return None
    cache = st.spcache
    if st.spcache_gen != st.spgen:
        cache.clear()
        st.spcache_gen = st.spgen
    try:
        sp = cache[key]
    except KeyError:
        sp = key_lookupsp(st, mkspidx(key), dir)
        if len(cache) >= SPCACHE_MAX:
            cache.clear()
        cache[key] = sp
    if sp is not None:
        sp.lastused = k.now()
        sp.refcnt += 1
    return sp


def key_freesp(k: "Kernel", sp: Optional[secpolicy]) -> None:
    if sp is not None and sp.refcnt > 0:
        sp.refcnt -= 1


def key_def_policy(k: "Kernel") -> secpolicy:
    """The system default policy (ip6_def_policy): none."""
    st = _st(k)
    if st.def_policy is None:
        st.def_policy = secpolicy(IPSEC_POLICY_NONE)
    return st.def_policy


def ipsec_getpolicybyaddr(k: "Kernel", spidx: secpolicyindex, dir: int) -> secpolicy:
    """The SPD's policy for a packet no socket sent (forwarded), else the default."""
    return key_allocsp(k, spidx, dir) or key_def_policy(k)


# -- per-socket policies (IPV6_IPSEC_POLICY; KAME's ipsec.c) ------------------------------------------
class inpcbpolicy:
    """``struct inpcbpolicy``: a socket's own inbound and outbound policy,
    ENTRUST (ask the SPD) until set, and whether it was opened by root."""

    __slots__ = ("sp_in", "sp_out", "priv")

    def __init__(self, priv: bool) -> None:
        self.sp_in = secpolicy(IPSEC_POLICY_ENTRUST)
        self.sp_out = secpolicy(IPSEC_POLICY_ENTRUST)
        self.priv = priv


def ipsec_init_pcbpolicy(so: Any) -> inpcbpolicy:
    """The policies of a new socket (ipsec_init_pcbpolicy)."""
    cred = getattr(so, "so_cred", None)
    return inpcbpolicy(cred is None or getattr(cred, "cr_uid", 0) == 0)


def ipsec6_set_policy(k: "Kernel", pcbsp: inpcbpolicy, request: bytes, priv: bool) -> int:
    """setsockopt(IPV6_IPSEC_POLICY): ``request`` is a binary ``sadb_x_policy``
    (what ipsec_set_policy(3) makes of "out ipsec esp/transport//require").
    IPSEC, ENTRUST and BYPASS (root only: EACCES); 0 or the errno."""
    try:
        xpl = ext_parse(SADB_X_EXT_POLICY, request)
    except PFKeyError:
        return E.EINVAL
    if xpl.sadb_x_policy_dir not in (IPSEC_DIR_INBOUND, IPSEC_DIR_OUTBOUND):
        return E.EINVAL
    # ipsec_set_policy() accepts IPSEC, ENTRUST and BYPASS.
    if xpl.sadb_x_policy_type in (IPSEC_POLICY_DISCARD, IPSEC_POLICY_NONE):
        return E.EINVAL
    if not priv and xpl.sadb_x_policy_type == IPSEC_POLICY_BYPASS:
        return E.EACCES
    from kernel.netkey.key_spd import key_msg2sp
    sp, err = key_msg2sp(k, xpl)
    if sp is None:
        return err
    sp.spidx = secpolicyindex(xpl.sadb_x_policy_dir, sockaddr_in6(), sockaddr_in6(), 0, 0)
    if xpl.sadb_x_policy_dir == IPSEC_DIR_INBOUND:
        pcbsp.sp_in = sp
    else:
        pcbsp.sp_out = sp
    return 0


def ipsec6_get_policy(k: "Kernel", pcbsp: inpcbpolicy, request: bytes) -> tuple[int, bytes]:
    """getsockopt(IPV6_IPSEC_POLICY): ``request`` names the direction; the
    socket's policy as a binary ``sadb_x_policy``."""
    try:
        xpl = ext_parse(SADB_X_EXT_POLICY, request)
    except PFKeyError:
        return E.EINVAL, b""
    d = xpl.sadb_x_policy_dir
    if d not in (IPSEC_DIR_INBOUND, IPSEC_DIR_OUTBOUND):
        return E.EINVAL, b""
    sp = pcbsp.sp_in if d == IPSEC_DIR_INBOUND else pcbsp.sp_out
    from kernel.netkey.key_spd import isr_fields_of
    return 0, sadb_x_policy_build(sp.policy, d, sp.id, isr_fields_of(sp))



def ipsec_get_policy(sp: secpolicy) -> bytes:
    """A policy as the binary ``sadb_x_policy`` getsockopt returns (ipsec_get_policy)."""
    from kernel.netkey.key_spd import key_sp2msg
    return key_sp2msg(sp)


def ipsec_getpolicybysock(k: "Kernel", spidx: secpolicyindex, dir: int,
                          pcbsp: Optional[inpcbpolicy]) -> tuple[Optional[secpolicy], int]:
    """The policy for a packet a socket sends or receives (ipsec_getpolicybysock):
    a privileged socket's own BYPASS or IPSEC policy wins, ENTRUST asks the
    SPD; an ordinary socket's own policy counts only where the SPD has none."""
    if pcbsp is None:
        return ipsec_getpolicybyaddr(k, spidx, dir), 0
    cur = pcbsp.sp_in if dir == IPSEC_DIR_INBOUND else pcbsp.sp_out
    if pcbsp.priv:
        if cur.policy in (IPSEC_POLICY_BYPASS, IPSEC_POLICY_IPSEC):
            cur.refcnt += 1
            return cur, 0
        if cur.policy == IPSEC_POLICY_ENTRUST:
            return ipsec_getpolicybyaddr(k, spidx, dir), 0
        return None, E.EINVAL
    sp = key_allocsp(k, spidx, dir)
    if sp is not None:
        return sp, 0
    if cur.policy == IPSEC_POLICY_ENTRUST:
        return key_def_policy(k), 0
    if cur.policy == IPSEC_POLICY_IPSEC:
        cur.refcnt += 1
        return cur, 0
    return None, E.EINVAL


# -- the SAD -----------------------------------------------------------------------------------
def _dst_matches(sa: Any, dst: Addr, zone: int) -> bool:
    if isinstance(dst, (bytes, bytearray)):
        if sa_addr(sa) != bytes(dst):
            return False
        z = sa_scope(sa)
        return not (z and zone and z != zone)
    return key_sockaddrcmp(sa_setport(sa, 0), sa_setport(dst, 0), False)


def key_allocsa(k: "Kernel", dst: Addr, proto: int, spi: int, zone: int = 0
                ) -> Optional[secasvar]:
    """The MATURE or DYING SA of an inbound ESP/AH header (key_allocsa): by
    ``proto`` and ``spi`` and the packet's destination (a sockaddr, or the
    address bytes with its zone).  Release it with key_freesav."""
    st = _st(k)
    if st is None:
        return None
    for sav in st.spihash.get((proto, spi), ()):
        if sav.state in (SADB_SASTATE_MATURE, SADB_SASTATE_DYING) \
                and _dst_matches(sav.sah.saidx.dst, dst, zone):
            sav.refcnt += 1
            return sav
    return None


def key_freesav(k: "Kernel", sav: Optional[secasvar]) -> None:
    if sav is not None and sav.refcnt > 0:
        sav.refcnt -= 1


def key_allocsa_policy(k: "Kernel", saidx: secasindex) -> Optional[secasvar]:
    """An SA for an outbound request (key_allocsa_policy): the SA heads that
    fit the request (mode, and reqid when it has one); the oldest or newest
    usable SA as ``net.key.preferred_oldsa`` says."""
    st = _st(k)
    order = (SAORDER_STATE_VALID_PREFER_OLD if st.key_preferred_oldsa
             else SAORDER_STATE_VALID_PREFER_NEW)
    for sah in st.sahtree:
        if not key_cmpsaidx(sah.saidx, saidx, CMP_MODE_REQID):
            continue
        for state in order:
            cands = sah.savtree[state]
            if not cands:
                continue
            if st.key_preferred_oldsa:
                best = min(cands, key=lambda s: s.created)
            else:
                best = max(cands, key=lambda s: s.created)
            best.refcnt += 1
            return best
    return None


def ipsec_setsaidx(isr: ipsecrequest, src: Any, dst: Any) -> secasindex:
    """The SA a request needs for a packet from ``src`` to ``dst``
    (ipsec6_output_trans/tunnel): the packet's addresses in transport mode,
    the tunnel endpoints in tunnel mode."""
    s = isr.saidx
    if s.mode == IPSEC_MODE_TUNNEL:
        return s
    return secasindex(sa_setport(src, 0), sa_setport(dst, 0), s.proto, s.mode, s.reqid)


def ipsec_get_reqlevel(k: "Kernel", isr: ipsecrequest) -> int:
    """The level a request asks for (ipsec_get_reqlevel): DEFAULT is the
    system's for the protocol and mode (``k.ipsec6``'s esp_trans_deflev ...,
    IPSEC_LEVEL_USE without them), UNIQUE counts as REQUIRE."""
    level = isr.level
    if level == IPSEC_LEVEL_DEFAULT:
        conf = getattr(k, "ipsec6", None)
        trans = isr.saidx.mode == IPSEC_MODE_TRANSPORT
        name = {(IPPROTO_ESP, True): "ip6_esp_trans_deflev", (IPPROTO_ESP, False): "ip6_esp_net_deflev",
                (IPPROTO_AH, True): "ip6_ah_trans_deflev", (IPPROTO_AH, False): "ip6_ah_net_deflev"
                }.get((isr.saidx.proto, trans))
        level = getattr(conf, name, IPSEC_LEVEL_USE) if name else IPSEC_LEVEL_USE
        if level not in (IPSEC_LEVEL_USE, IPSEC_LEVEL_REQUIRE):
            level = IPSEC_LEVEL_USE
    if level == IPSEC_LEVEL_UNIQUE:
        level = IPSEC_LEVEL_REQUIRE
    return level


def key_checkrequest(k: "Kernel", isr: ipsecrequest, saidx: secasindex) -> int:
    """Make sure ``isr.sav`` is a usable SA for ``saidx`` (key_checkrequest).
    0: go on (with ``isr.sav``, or without IPsec when the level is only USE);
    ENOENT: no SA and one is required — an ACQUIRE has gone to the key
    managers; EINVAL: the SA is not usable yet."""
    if saidx.mode not in (IPSEC_MODE_TRANSPORT, IPSEC_MODE_TUNNEL):
        return E.EINVAL
    # reuse SA if there is a SA already (and it still fits: sav_c remembers
    # the last index it was found to fit, compared by identity)
    sav = isr.sav
    if sav is not None:
        if sav.state == SADB_SASTATE_DEAD:
            key_freesav(k, sav)
            isr.sav = sav = None
        else:
            c = isr.sav_c
            sahidx = sav.sah.saidx
            if c is None or c[0] is not sav or c[1] is not saidx or c[2] is not sahidx:
                if key_cmpsaidx(sahidx, saidx, CMP_MODE_REQID):
                    isr.sav_c = (sav, saidx, sahidx)
                else:
                    key_freesav(k, sav)
                    isr.sav = sav = None
    if sav is None:
        isr.sav = sav = key_allocsa_policy(k, saidx)
    if sav is not None:
        if sav.state not in (SADB_SASTATE_MATURE, SADB_SASTATE_DYING):
            return E.EINVAL
        return 0
    level = ipsec_get_reqlevel(k, isr)
    err = key_acquire(k, saidx, isr.sp)
    if err:
        return err
    return E.ENOENT if level == IPSEC_LEVEL_REQUIRE else 0


def key_sa_recordxfer(k: "Kernel", sav: secasvar, nbytes: int) -> None:
    """A packet of ``nbytes`` went through ``sav``: count it (bytes, and one
    allocation per packet as FreeBSD does), note the first use, and expire
    the SA if a byte or allocation lifetime is reached."""
    if sav is None:
        return
    c = sav.lft_c
    c.bytes += max(0, int(nbytes))
    c.allocations += 1
    if sav.firstused is None:
        sav.firstused = k.now()
        if (sav.lft_s and sav.lft_s.usetime) or (sav.lft_h and sav.lft_h.usetime):
            key_timer_arm(k)
    if sav.lft_h is None and sav.lft_s is None:
        return                                  # no lifetime: nothing can expire
    key_sa_chklifetime(k, sav)


# -- ACQUIRE (RFC 2367 3.1.6) -----------------------------------------------------------------
def key_getcomb(k: "Kernel", proto: int) -> list[dict]:
    """The combinations an ACQUIRE proposes (key_getcomb_esp/ah): each cipher
    whose keys reach ``net.key.esp_keymin`` bits (with each HMAC when
    ``net.key.esp_auth``), each HMAC whose keys reach ``net.key.ah_keymin``."""
    st = _st(k)

    def life(c: dict) -> dict:
        c.update(sadb_comb_soft_allocations=1, sadb_comb_hard_allocations=1,
                 sadb_comb_hard_addtime=86400,                    # 1 day
                 sadb_comb_soft_addtime=86400 * PFKEY_SOFT_LIFETIME_RATE // 100,
                 sadb_comb_hard_usetime=28800,                    # 8 hours
                 sadb_comb_soft_usetime=28800 * PFKEY_SOFT_LIFETIME_RATE // 100)
        return c
    auths = [a for i, a in sorted(AH_ALGORITHMS.items())
             if i in (SADB_AALG_MD5HMAC, SADB_AALG_SHA1HMAC) or a.name.startswith("hmac-")]
    auths = [a for a in auths if a.keymax >= st.ipsec_ah_keymin]
    combs = []
    if proto == IPPROTO_ESP:
        for _, e in sorted(ESP_ALGORITHMS.items()):
            if e.keymax < st.ipsec_esp_keymin:
                continue            # discard algorithms with key size smaller than system min
            encmin = max(e.keymin, st.ipsec_esp_keymin)
            for a in (auths if st.ipsec_esp_auth and not e.aead else [None]):
                c = dict(sadb_comb_encrypt=e.id, sadb_comb_encrypt_minbits=encmin,
                         sadb_comb_encrypt_maxbits=e.keymax)
                if a is not None:
                    c.update(sadb_comb_auth=a.id, sadb_comb_auth_minbits=a.keymin,
                             sadb_comb_auth_maxbits=a.keymax)
                combs.append(life(c))
    elif proto == IPPROTO_AH:
        for a in auths:
            combs.append(life(dict(sadb_comb_auth=a.id, sadb_comb_auth_minbits=a.keymin,
                                   sadb_comb_auth_maxbits=a.keymax)))
    return combs


def key_acquire(k: "Kernel", saidx: secasindex, sp: Optional[secpolicy]) -> int:
    """Send an SADB_ACQUIRE for ``saidx`` to the registered sockets, unless an
    ACQUIRE record blocks it (net.key.blockacq_count, blockacq_lifetime)."""
    st = _st(k)
    satype = key_proto2satype(saidx.proto)
    if satype == 0:
        return E.EINVAL
    acq = next((a for a in st.acqtree if key_cmpsaidx(a.saidx, saidx, CMP_EXACTLY)), None)
    if acq is not None:
        if st.key_blockacq_count < acq.count:
            acq.count = 0                # reset counter and do send message
        else:
            acq.count += 1               # increment counter and do nothing
            st.keystat.acq_blocked += 1
            return 0
    else:
        if len(st.acqtree) >= st.key_acq_max:
            return E.ENOBUFS
        st.acq_seq = 1 if st.acq_seq >= 0xFFFFFFFF else st.acq_seq + 1
        acq = secacq(saidx, st.acq_seq, k.now())
        st.acqtree.insert(0, acq)
        key_timer_arm(k)
    exts = [sadb_address_build(SADB_EXT_ADDRESS_SRC, sa_setport(saidx.src, 0)),
            sadb_address_build(SADB_EXT_ADDRESS_DST, sa_setport(saidx.dst, 0))]
    if sp is not None:
        exts.append(sadb_x_policy_build(sp.policy, sp.spidx.dir if sp.spidx else 0, sp.id))
    exts.append(sadb_prop_build(0, key_getcomb(k, saidx.proto)))
    st.keystat.acq_sent += 1
    msg = msg_build(SADB_ACQUIRE, exts, sadb_msg_satype=satype, sadb_msg_seq=acq.seq)
    keysock.key_sendup_mbuf(k, None, msg, KEY_SENDUP_REGISTERED)
    return 0


def key_spdacquire(k: "Kernel", sp: secpolicy) -> int:
    """SADB_X_SPDACQUIRE: ask the key managers for a policy (key_spdacquire),
    blocked like ACQUIRE."""
    st = _st(k)
    if sp is None or sp.spidx is None:
        return E.EINVAL
    spacq = next((a for a in st.spacqtree if a.spidx == sp.spidx), None)
    if spacq is not None:
        if st.key_blockacq_count < spacq.count:
            spacq.count = 0
        else:
            spacq.count += 1
            return 0
    else:
        if len(st.spacqtree) >= st.key_acq_max:
            return E.ENOBUFS
        st.spacqtree.insert(0, secspacq(sp.spidx, k.now()))
        key_timer_arm(k)
    msg = msg_build(SADB_X_SPDACQUIRE, [sadb_x_policy_build(sp.policy, sp.spidx.dir, sp.id)])
    keysock.key_sendup_mbuf(k, None, msg, KEY_SENDUP_REGISTERED)
    return 0


__all__ = ["key_allocsp", "key_allocsp_cached", "key_lookupsp", "key_freesp", "key_allocsa", "key_freesav", "key_allocsa_policy",
           "key_checkrequest", "key_acquire", "key_spdacquire", "key_sa_recordxfer",
           "key_getcomb", "ipsec_setsaidx", "ipsec_get_reqlevel", "ipsec_getpolicybysock",
           "ipsec_getpolicybyaddr", "inpcbpolicy", "ipsec_init_pcbpolicy", "ipsec6_set_policy",
           "ipsec6_get_policy", "ipsec_get_policy", "key_def_policy"]
