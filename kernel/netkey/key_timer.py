"""Lifetimes: key_timehandler, SADB_EXPIRE and SADB_X_SPDEXPIRE (sys/netkey/key.c;
RFC 2367 2.3.2, 3.1.8).

An SA's soft and hard lifetimes count seconds since it was added
(``addtime``), seconds since its first use (``usetime``), bytes and
allocations (packets, as FreeBSD counts them in key_sa_recordxfer).  When a
soft limit is reached a MATURE SA becomes DYING and the kernel sends an
SADB_EXPIRE with the SOFT lifetime to the registered sockets; at a hard
limit the SA becomes DEAD, the kernel sends an SADB_EXPIRE with the HARD
lifetime and the SA leaves the SAD (RFC 2367 3.1.8).  A LARVAL SA that
GETSPI made and no UPDATE completed goes after ``net.key.larval_lifetime``
seconds.  A policy with a lifetime (SPDADD's LIFETIME_HARD: ``addtime`` the
lifetime, ``usetime`` how long it may stay unused) is removed with an
SADB_X_SPDEXPIRE.  ACQUIRE records are forgotten after
``net.key.blockacq_lifetime`` seconds.

KAME runs key_timehandler once a second; kamebox arms one callout for the
next deadline, so an entry expires at its exact second, and a kernel with
nothing that can expire has no timer at all.  Bytes and allocations are
checked as they are counted (``key_sa_chklifetime``).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from kernel.netkey import keysock
from kernel.netkey.keydb import (KEY_SENDUP_REGISTERED, SEC, key_proto2satype, key_state,
                                 sa_setport, secasvar, secpolicy)
from kernel.wire.pfkeyv2 import (
    SADB_EXPIRE, SADB_EXT_ADDRESS_DST, SADB_EXT_ADDRESS_SRC, SADB_EXT_LIFETIME_CURRENT,
    SADB_EXT_LIFETIME_HARD, SADB_EXT_LIFETIME_SOFT, SADB_SASTATE_DEAD, SADB_SASTATE_DYING,
    SADB_SASTATE_LARVAL, SADB_SASTATE_MATURE, SADB_X_SPDEXPIRE, msg_build, sadb_address_build,
    sadb_lifetime_build, sadb_sa_build, sadb_x_sa2_build,
)

if TYPE_CHECKING:  # pragma: no cover
    from kernel.kern.init_main import Kernel


def _st(k: "Kernel") -> key_state:
    return k.key


# -- deadlines ---------------------------------------------------------------------------------
def _sa_deadlines(st: key_state, sav: secasvar) -> tuple[Optional[int], Optional[int]]:
    """(soft, hard) deadline in uptime ns of ``sav``'s time lifetimes; None: none.
    Computed again only when what they depend on changed (``sav.dl_c``: the
    lifetime objects — UPDATE replaces them —, the add and first-use times,
    the state); the byte and allocation limits are plain integer compares."""
    if sav.state == SADB_SASTATE_LARVAL:
        return None, sav.created + st.key_larval_lifetime * SEC
    lft_s, lft_h, mature = sav.lft_s, sav.lft_h, sav.state == SADB_SASTATE_MATURE
    c = sav.dl_c
    if (c is not None and c[0] is lft_s and c[1] is lft_h and c[2] == sav.created
            and c[3] == sav.firstused and c[4] == mature):
        return c[5]

    def when(lft: object) -> Optional[int]:
        if lft is None:
            return None
        out = []
        if lft.addtime:
            out.append(sav.created + lft.addtime * SEC)
        if lft.usetime and sav.firstused is not None:
            out.append(sav.firstused + lft.usetime * SEC)
        return min(out) if out else None
    res = (when(lft_s) if mature else None, when(lft_h))
    sav.dl_c = (lft_s, lft_h, sav.created, sav.firstused, mature, res)
    return res


def _sp_deadline(sp: secpolicy) -> Optional[int]:
    out = []
    if sp.lifetime:
        out.append(sp.created + sp.lifetime * SEC)
    if sp.validtime:
        out.append(sp.lastused + sp.validtime * SEC)
    return min(out) if out else None


def key_next_deadline(k: "Kernel") -> Optional[int]:
    """The earliest time something in the databases expires."""
    st = _st(k)
    best: Optional[int] = None

    def take(t: Optional[int]) -> None:
        nonlocal best
        if t is not None and (best is None or t < best):
            best = t
    for sah in st.sahtree:
        for sav in sah.savs():
            s, h = _sa_deadlines(st, sav)
            take(s)
            take(h)
    for lst in st.sptree.values():
        for sp in lst:
            take(_sp_deadline(sp))
    for acq in st.acqtree:
        take(acq.created + st.key_blockacq_lifetime * SEC)
    for spacq in st.spacqtree:
        take(spacq.created + st.key_blockacq_lifetime * SEC)
    return best


def key_timer_arm(k: "Kernel") -> None:
    """(Re)arm the callout for the next deadline, or stop it if there is none."""
    st = getattr(k, "key", None)
    if st is None or st.timer is None:
        return
    t = key_next_deadline(k)
    if t is None:
        st.timer.callout_stop()
        return
    st.timer.callout_reset_ns(max(0, t - k.now()), key_timehandler, k)


# -- the time handler ----------------------------------------------------------------------------
def key_timehandler(k: "Kernel") -> None:
    """Expire what is due (key_timehandler), then arm for the next deadline."""
    st = _st(k)
    now = k.now()
    for sah in list(st.sahtree):
        for sav in sah.savs():
            if sav.state == SADB_SASTATE_DEAD:
                continue
            soft, hard = _sa_deadlines(st, sav)
            if sav.state == SADB_SASTATE_LARVAL:
                if hard is not None and now >= hard:
                    # if LARVAL entry doesn't become MATURE, delete it
                    st.keystat.larval_timeout += 1
                    st.key_sa_chgstate(sav, SADB_SASTATE_DEAD)
                continue
            if hard is not None and now >= hard:
                key_sa_expire(k, sav, True)
            elif soft is not None and now >= soft:
                key_sa_expire(k, sav, False)
    for lst in st.sptree.values():
        for sp in list(lst):
            t = _sp_deadline(sp)
            if t is not None and now >= t:
                st.sp_remove(sp)
                st.keystat.spd_expire += 1
                key_spdexpire(k, sp)
    st.acqtree = [a for a in st.acqtree if now < a.created + st.key_blockacq_lifetime * SEC]
    st.spacqtree = [a for a in st.spacqtree
                    if now < a.created + st.key_blockacq_lifetime * SEC]
    key_timer_arm(k)


def key_sa_chklifetime(k: "Kernel", sav: secasvar) -> None:
    """Check the byte and allocation lifetimes of ``sav`` now (and its time
    lifetimes, after an UPDATE changed them)."""
    if sav.state not in (SADB_SASTATE_MATURE, SADB_SASTATE_DYING):
        return
    st = _st(k)
    c = sav.lft_c
    now = k.now()
    soft, hard = _sa_deadlines(st, sav)
    h = sav.lft_h
    if h is not None and ((h.bytes and c.bytes >= h.bytes)
                          or (h.allocations and c.allocations >= h.allocations)
                          or (hard is not None and now >= hard)):
        key_sa_expire(k, sav, True)
        return
    s = sav.lft_s
    if sav.state == SADB_SASTATE_MATURE and s is not None and (
            (s.bytes and c.bytes >= s.bytes) or (s.allocations and c.allocations >= s.allocations)
            or (soft is not None and now >= soft)):
        key_sa_expire(k, sav, False)


def key_sa_expire(k: "Kernel", sav: secasvar, hard: bool) -> None:
    """A lifetime is reached: soft makes the SA DYING, hard DEAD; either way
    the registered sockets hear of it."""
    st = _st(k)
    if hard:
        st.keystat.expire_hard += 1
        st.key_sa_chgstate(sav, SADB_SASTATE_DEAD)
    else:
        st.keystat.expire_soft += 1
        st.key_sa_chgstate(sav, SADB_SASTATE_DYING)
    key_expire(k, sav, hard)


def key_expire(k: "Kernel", sav: secasvar, hard: bool = False) -> int:
    """SADB_EXPIRE (RFC 2367 3.1.8): <base, SA, SA2, lifetime(C and S or H),
    address(S, D)> to the registered sockets."""
    from kernel.netkey.key import wall
    saidx = sav.sah.saidx
    c = sav.lft_c
    lft = sav.lft_h if hard else sav.lft_s
    exts = [sadb_sa_build(sav.spi, sav.replay, sav.state, sav.alg_auth, sav.alg_enc, sav.flags),
            sadb_x_sa2_build(saidx.mode, saidx.reqid, sav.sequence & 0xFFFFFFFF),
            sadb_lifetime_build(SADB_EXT_LIFETIME_CURRENT, c.allocations, c.bytes,
                                wall(k, sav.created), wall(k, sav.firstused))]
    if lft is not None:
        exts.append(sadb_lifetime_build(SADB_EXT_LIFETIME_HARD if hard else SADB_EXT_LIFETIME_SOFT,
                                        lft.allocations, lft.bytes, lft.addtime, lft.usetime))
    exts += [sadb_address_build(SADB_EXT_ADDRESS_SRC, sa_setport(saidx.src, 0)),
             sadb_address_build(SADB_EXT_ADDRESS_DST, sa_setport(saidx.dst, 0))]
    msg = msg_build(SADB_EXPIRE, exts, sadb_msg_satype=key_proto2satype(saidx.proto),
                    sadb_msg_seq=sav.seq & 0xFFFFFFFF, sadb_msg_reserved=sav.refcnt & 0xFFFF)
    return keysock.key_sendup_mbuf(k, None, msg, KEY_SENDUP_REGISTERED)


def key_spdexpire(k: "Kernel", sp: secpolicy) -> int:
    """SADB_X_SPDEXPIRE: <base, lifetime(C, H), address(S, D), policy>."""
    from kernel.netkey.key import wall
    from kernel.netkey.key_spd import key_sp2msg, key_spidx_addrs
    exts = [sadb_lifetime_build(SADB_EXT_LIFETIME_CURRENT, 0, 0, wall(k, sp.created),
                                wall(k, sp.lastused)),
            sadb_lifetime_build(SADB_EXT_LIFETIME_HARD, 0, 0, sp.lifetime, sp.validtime)]
    exts += key_spidx_addrs(sp.spidx)
    exts.append(key_sp2msg(sp))
    return keysock.key_sendup_mbuf(k, None, msg_build(SADB_X_SPDEXPIRE, exts),
                                   KEY_SENDUP_REGISTERED)


__all__ = ["key_timehandler", "key_timer_arm", "key_next_deadline", "key_sa_chklifetime",
           "key_sa_expire", "key_expire", "key_spdexpire"]
