"""The SPD messages and MIGRATE (sys/netkey/key.c: key_spdadd ... key_spddelete2,
key_msg2sp, key_sp2msg; draft-sugimoto-mip6-pfkey-migrate).

A policy is a selector — source and destination prefixes with ports, the
upper-layer protocol, a direction (in, out; fwd as ipsec-tools has it) — and
what to do with packets it selects: discard, none (bypass IPsec), or ipsec
with a list of requests (``sadb_x_ipsecrequest``: protocol, mode, tunnel
endpoints, level, reqid).  A ``unique`` request without a reqid gets one from
the kernel (key_newreqid); ENTRUST and BYPASS are per-socket only (EINVAL).

Selector rules (kamebox): ports only with a protocol that has them (TCP,
UDP, SCTP) or ICMP types and codes (ICMP, ICMPv6, MH: source port = type,
destination port = code); a tunnel-mode request needs both endpoints, of one
family; a transport-mode request none.

SADB_X_MIGRATE (docs/pfkey.md draws it): the selector in ADDRESS_SRC/DST,
then an X_POLICY extension (direction, type IPSEC) whose requests come in
pairs, old then new: the same protocol, mode and reqid, the old tunnel
endpoints in the first, the new ones in the second.  The kernel finds the
policy, checks every pair against it and the SAD, and only then moves each
request's endpoints and every SA between the old endpoints (with that
protocol, and that reqid if it is not 0) to the new ones — SPD and SAD in
one message, or nothing changes.  The message goes back to every socket.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from kernel.netkey import keysock
from kernel.netkey.key import ipseclog, key_gather, key_reply, key_senderror, wall, _timer
from kernel.netkey.keydb import (
    CMP_REQID, IPSEC_SPSTATE_ALIVE, KEY_SENDUP_ALL, KEY_SENDUP_ONE, SAORDER_STATE_ANY,
    ipsecrequest, key_cmpsaidx, key_sockaddrcmp, key_state, sa_port, sa_setport, secasindex,
    secpolicy, secpolicyindex,
)
from kernel.wire import errno as E
from kernel.wire.in6 import sockaddr_in6
from kernel.wire.in_ import sockaddr_in
from kernel.wire.pfkeyv2 import (
    IPPROTO_AH, IPPROTO_ESP, IPPROTO_IPCOMP, IPSEC_DIR_FWD, IPSEC_DIR_INBOUND,
    IPSEC_DIR_OUTBOUND, IPSEC_LEVEL_DEFAULT, IPSEC_LEVEL_REQUIRE, IPSEC_LEVEL_UNIQUE,
    IPSEC_LEVEL_USE, IPSEC_MANUAL_REQID_MAX, IPSEC_MODE_TRANSPORT, IPSEC_MODE_TUNNEL,
    IPSEC_POLICY_BYPASS, IPSEC_POLICY_DISCARD, IPSEC_POLICY_ENTRUST, IPSEC_POLICY_IPSEC,
    IPSEC_POLICY_NONE, SADB_EXT_ADDRESS_DST, SADB_EXT_ADDRESS_SRC,
    SADB_EXT_LIFETIME_CURRENT, SADB_EXT_LIFETIME_HARD, SADB_X_EXT_POLICY, SADB_X_SPDDUMP,
    SADB_X_SPDGET, SADB_X_SPDSETIDX, SADB_X_SPDUPDATE, ipsecrequest as isr_fields,
    msg_build, sa_family, sadb_address_build, sadb_lifetime_build, sadb_message,
    sadb_x_policy_build,
)

if TYPE_CHECKING:  # pragma: no cover
    from kernel.kern.init_main import Kernel

SEC = 1_000_000_000
IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP = 1, 6, 17
IPPROTO_ICMPV6, IPPROTO_SCTP, IPPROTO_MH = 58, 132, 135
PORT_PROTOS = frozenset((IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP))
TYPECODE_PROTOS = frozenset((IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_MH))
SPD_DIRS = (IPSEC_DIR_INBOUND, IPSEC_DIR_OUTBOUND, IPSEC_DIR_FWD)


def _st(k: "Kernel") -> key_state:
    return k.key


def _is_inet(sa: Any) -> bool:
    return isinstance(sa, (sockaddr_in6, sockaddr_in))


# -- policies to and from X_POLICY ---------------------------------------------------------------
def key_msg2sp(k: "Kernel", xpl: Any) -> tuple[Optional[secpolicy], int]:
    """A policy from a parsed X_POLICY extension (key_msg2sp): (sp, 0) or (None, errno).
    ``unique`` requests without a reqid get a new one."""
    st = _st(k)
    ptype = xpl.sadb_x_policy_type
    sp = secpolicy(ptype)
    if ptype in (IPSEC_POLICY_DISCARD, IPSEC_POLICY_NONE, IPSEC_POLICY_ENTRUST,
                 IPSEC_POLICY_BYPASS):
        if xpl.sadb_x_policy_requests:
            return None, E.EINVAL
        return sp, 0
    if ptype != IPSEC_POLICY_IPSEC:
        ipseclog(k, f"key_msg2sp: invalid policy type={ptype}")
        return None, E.EINVAL
    for x in xpl.sadb_x_policy_requests:
        proto = x.sadb_x_ipsecrequest_proto
        if proto not in (IPPROTO_ESP, IPPROTO_AH, IPPROTO_IPCOMP):
            ipseclog(k, f"key_msg2sp: invalid proto type={proto}")
            return None, E.EPROTONOSUPPORT
        mode = x.sadb_x_ipsecrequest_mode
        if mode not in (IPSEC_MODE_TRANSPORT, IPSEC_MODE_TUNNEL):
            ipseclog(k, f"key_msg2sp: invalid mode={mode}")
            return None, E.EINVAL
        level, reqid = x.sadb_x_ipsecrequest_level, x.sadb_x_ipsecrequest_reqid
        if level == IPSEC_LEVEL_UNIQUE:
            # If range violation of reqid, kernel will update it, don't refuse it.
            if reqid > IPSEC_MANUAL_REQID_MAX:
                reqid = 0
            if reqid == 0:                   # allocate new reqid id if reqid is zero
                reqid = st.key_newreqid()
        elif level not in (IPSEC_LEVEL_DEFAULT, IPSEC_LEVEL_USE, IPSEC_LEVEL_REQUIRE):
            ipseclog(k, f"key_msg2sp: invalid level={level}")
            return None, E.EINVAL
        src, dst = x.sadb_x_ipsecrequest_src, x.sadb_x_ipsecrequest_dst
        if src is not None:
            if not _is_inet(src) or not _is_inet(dst) or sa_family(src) != sa_family(dst):
                ipseclog(k, "key_msg2sp: invalid request address.")
                return None, E.EINVAL
            src, dst = sa_setport(src, 0), sa_setport(dst, 0)
        if mode == IPSEC_MODE_TUNNEL and src is None:
            ipseclog(k, "key_msg2sp: tunnel mode needs its endpoints.")
            return None, E.EINVAL
        if mode == IPSEC_MODE_TRANSPORT:
            src = dst = None
        sp.req.append(ipsecrequest(secasindex(src, dst, proto, mode, reqid), level, sp))
    return sp, 0


def isr_fields_of(sp: secpolicy) -> list[dict]:
    """The ``sadb_x_ipsecrequest`` fields of a policy's requests."""
    return [isr_fields(r.saidx.proto, r.saidx.mode, r.level, r.saidx.reqid,
                       r.saidx.src, r.saidx.dst) for r in sp.req]


def key_sp2msg(sp: secpolicy) -> bytes:
    """The X_POLICY extension of a policy (key_sp2msg)."""
    return sadb_x_policy_build(sp.policy, sp.spidx.dir if sp.spidx else 0, sp.id,
                               isr_fields_of(sp))


def key_spidx_addrs(spidx: secpolicyindex) -> list[bytes]:
    """ADDRESS_SRC and ADDRESS_DST of a selector."""
    return [sadb_address_build(SADB_EXT_ADDRESS_SRC, spidx.src, spidx.prefs, spidx.ul_proto),
            sadb_address_build(SADB_EXT_ADDRESS_DST, spidx.dst, spidx.prefd, spidx.ul_proto)]


def key_setdumpsp(k: "Kernel", sp: secpolicy, mtype: int, seq: int, pid: int) -> bytes:
    """A policy as SPDGET and SPDDUMP answer it (key_setdumpsp)."""
    exts = key_spidx_addrs(sp.spidx) + [
        key_sp2msg(sp),
        sadb_lifetime_build(SADB_EXT_LIFETIME_CURRENT, 0, 0, wall(k, sp.created),
                            wall(k, sp.lastused)),
        sadb_lifetime_build(SADB_EXT_LIFETIME_HARD, 0, 0, sp.lifetime, sp.validtime)]
    return msg_build(mtype, exts, sadb_msg_seq=seq & 0xFFFFFFFF, sadb_msg_pid=pid & 0xFFFFFFFF,
                     sadb_msg_reserved=(sp.refcnt + 1) & 0xFFFF)


def key_spidx(msg: sadb_message, pdir: int) -> tuple[Optional[secpolicyindex], int]:
    """KEY_SETSECSPIDX from the address extensions, with kamebox's port rules:
    (spidx, 0) or (None, EINVAL)."""
    src0, dst0 = msg.ext[SADB_EXT_ADDRESS_SRC], msg.ext[SADB_EXT_ADDRESS_DST]
    ul = src0.sadb_address_proto
    s, d = src0.sadb_address_addr, dst0.sadb_address_addr
    if sa_port(s) or sa_port(d):
        if ul not in PORT_PROTOS and ul not in TYPECODE_PROTOS:
            return None, E.EINVAL          # a port needs a protocol that has ports
        if ul in TYPECODE_PROTOS and (sa_port(s) > 255 or sa_port(d) > 255):
            return None, E.EINVAL          # ICMP type and code are 8 bits
    return secpolicyindex(pdir, s, d, src0.sadb_address_prefixlen, dst0.sadb_address_prefixlen,
                          ul), 0


def _selector(k: "Kernel", msg: sadb_message, name: str
              ) -> tuple[int, Any, Optional[secpolicyindex]]:
    """What SPDADD, SPDDELETE and MIGRATE check first: the address and policy
    extensions, a direction with an SPD.  (errno, X_POLICY, selector)."""
    if SADB_EXT_ADDRESS_SRC not in msg.ext or SADB_EXT_ADDRESS_DST not in msg.ext \
            or SADB_X_EXT_POLICY not in msg.ext:
        ipseclog(k, f"{name}: invalid message is passed.")
        return E.EINVAL, None, None
    xpl = msg.ext[SADB_X_EXT_POLICY]
    if xpl.sadb_x_policy_dir not in SPD_DIRS:                  # checking the direction
        ipseclog(k, f"{name}: Invalid SP direction.")
        return E.EINVAL, xpl, None
    spidx, err = key_spidx(msg, xpl.sadb_x_policy_dir)
    if err:
        _st(k).stat.out_invaddr += 1
    return err, xpl, spidx


# -- SADB_X_SPDADD, SPDUPDATE, SPDSETIDX ------------------------------------------------------------
def key_spdadd(k: "Kernel", so: Any, msg: sadb_message, data: bytes) -> int:
    st = _st(k)
    err, xpl0, spidx = _selector(k, msg, "key_spdadd")
    if err:
        return key_senderror(k, so, data, err)
    lft = msg.ext.get(SADB_EXT_LIFETIME_HARD)
    # key_spdadd() accepts DISCARD, NONE and IPSEC.
    if xpl0.sadb_x_policy_type in (IPSEC_POLICY_ENTRUST, IPSEC_POLICY_BYPASS):
        ipseclog(k, "key_spdadd: Invalid policy type.")
        return key_senderror(k, so, data, E.EINVAL)
    # policy requests are mandatory when action is ipsec.
    if msg.type != SADB_X_SPDSETIDX and xpl0.sadb_x_policy_type == IPSEC_POLICY_IPSEC \
            and not xpl0.sadb_x_policy_requests:
        ipseclog(k, "key_spdadd: some policy requests part required.")
        return key_senderror(k, so, data, E.EINVAL)
    old = st.key_getsp(spidx)
    if old is not None and msg.type != SADB_X_SPDUPDATE:
        ipseclog(k, "key_spdadd: a SP entry exists already.")
        return key_senderror(k, so, data, E.EEXIST)
    if old is None and st.nsp() >= st.key_spd_max:
        st.keystat.spd_full += 1
        return key_senderror(k, so, data, E.ENOBUFS)
    newsp, err = key_msg2sp(k, xpl0)
    if newsp is None:
        return key_senderror(k, so, data, err)
    if old is not None:                           # SPDUPDATE replaces it
        st.sp_remove(old)
    newsp.id = st.key_getnewspid()
    if newsp.id == 0:
        return key_senderror(k, so, data, E.ENOBUFS)
    newsp.spidx = spidx
    newsp.created = newsp.lastused = k.now()
    newsp.lifetime = lft.sadb_lifetime_addtime if lft is not None else 0
    newsp.validtime = lft.sadb_lifetime_usetime if lft is not None else 0
    st.sp_insert(newsp)
    # delete the entry in spacqtree
    if msg.type == SADB_X_SPDUPDATE:
        for spacq in st.spacqtree:
            if spacq.spidx == spidx:
                spacq.created = k.now()
                spacq.count = 0
    _timer(k)
    exts = [key_sp2msg(newsp)] + ([msg.raw[SADB_EXT_LIFETIME_HARD]] if lft is not None else []) \
        + [msg.raw[SADB_EXT_ADDRESS_SRC], msg.raw[SADB_EXT_ADDRESS_DST]]
    return keysock.key_sendup_mbuf(k, so, key_reply(msg, exts), KEY_SENDUP_ALL)


# -- SADB_X_SPDDELETE (by selector), SPDDELETE2 (by id) ---------------------------------------------
def key_spddelete(k: "Kernel", so: Any, msg: sadb_message, data: bytes) -> int:
    st = _st(k)
    err, _xpl, spidx = _selector(k, msg, "key_spddelete")
    if err:
        return key_senderror(k, so, data, err)
    sp = st.key_getsp(spidx)
    if sp is None:
        ipseclog(k, "key_spddelete: no SP found.")
        return key_senderror(k, so, data, E.EINVAL)   # KAME answers EINVAL, not ENOENT
    st.sp_remove(sp)
    _timer(k)
    exts = [key_sp2msg(sp), msg.raw[SADB_EXT_ADDRESS_SRC], msg.raw[SADB_EXT_ADDRESS_DST]]
    return keysock.key_sendup_mbuf(k, so, key_reply(msg, exts), KEY_SENDUP_ALL)


def _sp_by_id(k: "Kernel", msg: sadb_message, name: str, missing: int
              ) -> tuple[int, Optional[secpolicy]]:
    """The policy an X_POLICY extension names by id: (0, sp) or (errno, None)."""
    if SADB_X_EXT_POLICY not in msg.ext:
        ipseclog(k, f"{name}: invalid message is passed.")
        return E.EINVAL, None
    spid = msg.ext[SADB_X_EXT_POLICY].sadb_x_policy_id
    sp = _st(k).key_getspbyid(spid)
    if sp is None:
        ipseclog(k, f"{name}: no SP found id:{spid}.")
        return missing, None
    return 0, sp


def key_spddelete2(k: "Kernel", so: Any, msg: sadb_message, data: bytes) -> int:
    err, sp = _sp_by_id(k, msg, "key_spddelete2", E.EINVAL)
    if sp is None:
        return key_senderror(k, so, data, err)
    _st(k).sp_remove(sp)
    _timer(k)
    return keysock.key_sendup_mbuf(k, so, key_gather(msg, (SADB_X_EXT_POLICY,)), KEY_SENDUP_ALL)


# -- SADB_X_SPDGET, SPDDUMP, SPDFLUSH ------------------------------------------------------------------
def key_spdget(k: "Kernel", so: Any, msg: sadb_message, data: bytes) -> int:
    err, sp = _sp_by_id(k, msg, "key_spdget", E.ENOENT)
    if sp is None:
        return key_senderror(k, so, data, err)
    return keysock.key_sendup_mbuf(k, so, key_setdumpsp(k, sp, SADB_X_SPDGET, 0,
                                                        msg.hdr.sadb_msg_pid), KEY_SENDUP_ONE)


def key_spddump(k: "Kernel", so: Any, msg: sadb_message, data: bytes) -> int:
    """Every policy, direction by direction, ``sadb_msg_seq`` down to 0."""
    st = _st(k)
    sps = [sp for d in sorted(st.sptree) for sp in st.sptree[d] if sp.state == IPSEC_SPSTATE_ALIVE]
    if not sps:
        return key_senderror(k, so, data, E.ENOENT)
    cnt = len(sps)
    for sp in sps:
        cnt -= 1
        keysock.key_sendup_mbuf(k, so, key_setdumpsp(k, sp, SADB_X_SPDDUMP, cnt,
                                                     msg.hdr.sadb_msg_pid), KEY_SENDUP_ONE)
    return 0


def key_spdflush(k: "Kernel", so: Any, msg: sadb_message, data: bytes) -> int:
    st = _st(k)
    for d in st.sptree:
        for sp in list(st.sptree[d]):
            st.sp_remove(sp)
    _timer(k)
    return keysock.key_sendup_mbuf(k, so, key_reply(msg, []), KEY_SENDUP_ALL)


# -- SADB_X_MIGRATE ---------------------------------------------------------------------------------------
def key_migrate(k: "Kernel", so: Any, msg: sadb_message, data: bytes) -> int:
    st = _st(k)
    err, xpl, spidx = _selector(k, msg, "key_migrate")
    if err:
        return key_senderror(k, so, data, err)
    reqs = list(xpl.sadb_x_policy_requests)
    if xpl.sadb_x_policy_type != IPSEC_POLICY_IPSEC or not reqs or len(reqs) % 2:
        ipseclog(k, "key_migrate: the requests must come in old/new pairs.")
        return key_senderror(k, so, data, E.EINVAL)
    sp = st.key_getsp(spidx)
    if sp is None:
        ipseclog(k, "key_migrate: no SP found.")
        return key_senderror(k, so, data, E.ENOENT)
    plan: list[tuple[Optional[ipsecrequest], secasindex, Any, Any]] = []
    for old, new in zip(reqs[0::2], reqs[1::2]):
        keyf = ("sadb_x_ipsecrequest_proto", "sadb_x_ipsecrequest_mode",
                "sadb_x_ipsecrequest_reqid")
        if any(old[f] != new[f] for f in keyf):
            return key_senderror(k, so, data, E.EINVAL)
        osrc, odst = old.sadb_x_ipsecrequest_src, old.sadb_x_ipsecrequest_dst
        nsrc, ndst = new.sadb_x_ipsecrequest_src, new.sadb_x_ipsecrequest_dst
        if osrc is None or nsrc is None or not all(_is_inet(a) for a in (osrc, odst, nsrc, ndst)) \
                or sa_family(nsrc) != sa_family(ndst):
            return key_senderror(k, so, data, E.EINVAL)
        proto, mode = old.sadb_x_ipsecrequest_proto, old.sadb_x_ipsecrequest_mode
        reqid = old.sadb_x_ipsecrequest_reqid
        osrc, odst = sa_setport(osrc, 0), sa_setport(odst, 0)
        isr = None
        if mode == IPSEC_MODE_TUNNEL:
            for r in sp.req:
                if (r.saidx.proto, r.saidx.mode) == (proto, mode) \
                        and (not reqid or r.saidx.reqid == reqid) \
                        and key_sockaddrcmp(r.saidx.src, osrc, False) \
                        and key_sockaddrcmp(r.saidx.dst, odst, False):
                    isr = r
                    break
            if isr is None:
                ipseclog(k, "key_migrate: the policy has no such request.")
                return key_senderror(k, so, data, E.ENOENT)
        elif mode != IPSEC_MODE_TRANSPORT:
            return key_senderror(k, so, data, E.EINVAL)
        plan.append((isr, secasindex(osrc, odst, proto, mode, reqid), sa_setport(nsrc, 0),
                     sa_setport(ndst, 0)))
    # everything checked: move the requests and the SAs
    for isr, oldidx, nsrc, ndst in plan:
        if isr is not None:
            isr.saidx = secasindex(nsrc, ndst, isr.saidx.proto, isr.saidx.mode, isr.saidx.reqid)
            isr.sav = None
        for sah in list(st.sahtree):
            if not key_cmpsaidx(sah.saidx, oldidx, CMP_REQID):
                continue
            if sah.saidx.mode not in (oldidx.mode, 0):
                continue
            s = sah.saidx
            # the ports of a NAT-T SA stay
            newidx = secasindex(sa_setport(nsrc, sa_port(s.src)), sa_setport(ndst, sa_port(s.dst)),
                                s.proto, s.mode, s.reqid)
            other = st.key_getsah(newidx)
            if other is not None and other is not sah:
                for state in SAORDER_STATE_ANY:
                    for sav in list(sah.savtree[state]):
                        sah.savtree[state].remove(sav)
                        sav.sah = other
                        other.savtree[state].append(sav)
                st.sahtree.remove(sah)
            else:
                sah.saidx = newidx
    for r in (x for lst in st.sptree.values() for sp2 in lst for x in sp2.req):
        r.sav = None
    st.keystat.migrate += 1
    return keysock.key_sendup_mbuf(k, so, key_gather(msg, (SADB_EXT_ADDRESS_SRC,
                                                           SADB_EXT_ADDRESS_DST,
                                                           SADB_X_EXT_POLICY)), KEY_SENDUP_ALL)


__all__ = ["key_msg2sp", "key_sp2msg", "isr_fields_of", "key_setdumpsp", "key_spidx", "key_spidx_addrs",
           "key_spdadd", "key_spddelete", "key_spddelete2", "key_spdget", "key_spddump",
           "key_spdflush", "key_migrate", "SPD_DIRS"]
