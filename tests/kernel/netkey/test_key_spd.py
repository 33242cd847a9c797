"""The SPD (kernel/netkey/key_spd.py, key_alloc.py): SPDADD, SPDUPDATE, SPDSETIDX,
SPDDELETE, SPDDELETE2, SPDGET, SPDDUMP, SPDFLUSH with their errors, selectors
and key_allocsp, MIGRATE moving a tunnel's policy and SAs in one message, and
the per-socket policies of IPV6_IPSEC_POLICY."""
from __future__ import annotations

from kernel.netkey.key_alloc import (inpcbpolicy, ipsec6_get_policy, ipsec6_set_policy,
                                     ipsec_getpolicybysock, key_allocsa, key_allocsp)
from kernel.netkey.keydb import secpolicyindex
from kernel.wire import errno as E
from kernel.wire.in6 import inet_pton6, sockaddr_in6
from kernel.wire.in_ import sockaddr_in
from kernel.wire.pfkeyv2 import (
    IPPROTO_AH, IPPROTO_ESP, IPSEC_DIR_FWD, IPSEC_DIR_INBOUND, IPSEC_DIR_OUTBOUND,
    IPSEC_LEVEL_REQUIRE, IPSEC_LEVEL_UNIQUE, IPSEC_LEVEL_USE, IPSEC_MODE_ANY,
    IPSEC_MODE_TRANSPORT, IPSEC_MODE_TUNNEL, IPSEC_POLICY_BYPASS, IPSEC_POLICY_DISCARD,
    IPSEC_POLICY_ENTRUST, IPSEC_POLICY_IPSEC, IPSEC_POLICY_NONE, SADB_EXT_ADDRESS_DST,
    SADB_EXT_ADDRESS_SRC, SADB_EXT_LIFETIME_CURRENT, SADB_EXT_LIFETIME_HARD,
    SADB_REGISTER, SADB_SATYPE_ESP, SADB_X_EXT_POLICY, SADB_X_MIGRATE, SADB_X_SPDADD,
    SADB_X_SPDDELETE, SADB_X_SPDDELETE2, SADB_X_SPDDUMP, SADB_X_SPDEXPIRE, SADB_X_SPDFLUSH,
    SADB_X_SPDGET, SADB_X_SPDSETIDX, SADB_X_SPDUPDATE, ext_parse, ipsecrequest, msg_build,
    sadb_address_build, sadb_lifetime_build, sadb_x_policy_build,
)
from tests.kernel.netkey.keyhost import A, B, C, SEC, add_msg, spd_msg

P = lambda s: sockaddr_in6(inet_pton6(s))     # noqa: E731
GW1, GW2, GW3 = P("2001:db8:ff::1"), P("2001:db8:ff::2"), P("2001:db8:ff::3")
NET1, NET2 = P("2001:db8:1::"), P("2001:db8:2::")
ESP_TRANS = ipsecrequest(IPPROTO_ESP, IPSEC_MODE_TRANSPORT, IPSEC_LEVEL_REQUIRE)


def _only(msgs):
    assert len(msgs) == 1, msgs
    return msgs[0]


def _tunnel(src=GW1, dst=GW2, level=IPSEC_LEVEL_REQUIRE, reqid=0):
    return ipsecrequest(IPPROTO_ESP, IPSEC_MODE_TUNNEL, level, reqid, src, dst)


def _policy_id(m):
    return m.ext[SADB_X_EXT_POLICY].sadb_x_policy_id


def _by_id(spid, mtype):
    return msg_build(mtype, [sadb_x_policy_build(0, IPSEC_DIR_OUTBOUND, spid)])


def test_spdadd_installs_the_policy_gives_it_an_id_and_tells_everyone(kh):
    s, other = kh.socket(), kh.socket()
    r = _only(s.request(spd_msg(requests=(ESP_TRANS,), pid=9)))
    assert (r.type, r.hdr.sadb_msg_errno, r.hdr.sadb_msg_pid) == (SADB_X_SPDADD, 0, 9)
    spid = _policy_id(r)
    assert spid != 0
    assert r.order == [SADB_X_EXT_POLICY, SADB_EXT_ADDRESS_SRC, SADB_EXT_ADDRESS_DST]
    assert [m.type for m in other.msgs()] == [SADB_X_SPDADD]
    sp = kh.key.spbyid[spid]
    assert sp.policy == IPSEC_POLICY_IPSEC and sp.spidx.dir == IPSEC_DIR_OUTBOUND
    assert [(r.saidx.proto, r.saidx.mode, r.level) for r in sp.req] == [
        (IPPROTO_ESP, IPSEC_MODE_TRANSPORT, IPSEC_LEVEL_REQUIRE)]


def test_spdadd_of_an_existing_selector_is_eexist_spdupdate_replaces_it(kh):
    s = kh.socket()
    first = _policy_id(_only(s.request(spd_msg(ptype=IPSEC_POLICY_NONE))))
    assert _only(s.request(spd_msg(ptype=IPSEC_POLICY_DISCARD))).hdr.sadb_msg_errno == E.EEXIST
    r = _only(s.request(spd_msg(ptype=IPSEC_POLICY_DISCARD, mtype=SADB_X_SPDUPDATE)))
    assert r.hdr.sadb_msg_errno == 0 and _policy_id(r) != first
    assert [sp.policy for sp in kh.key.sptree[IPSEC_DIR_OUTBOUND]] == [IPSEC_POLICY_DISCARD]
    # the same addresses in the other direction, or another protocol, are other selectors
    assert _only(s.request(spd_msg(pdir=IPSEC_DIR_INBOUND))).hdr.sadb_msg_errno == E.EINVAL
    assert _only(s.request(spd_msg(pdir=IPSEC_DIR_INBOUND, ptype=IPSEC_POLICY_NONE))) \
        .hdr.sadb_msg_errno == 0
    assert _only(s.request(spd_msg(ptype=IPSEC_POLICY_NONE, ul=6))).hdr.sadb_msg_errno == 0


def test_spdadd_errors(kh):
    s = kh.socket()
    bad = ipsecrequest(IPPROTO_ESP, IPSEC_MODE_TRANSPORT, IPSEC_LEVEL_REQUIRE)
    cases = [
        (spd_msg(), E.EINVAL),                                      # ipsec without requests
        (spd_msg(ptype=IPSEC_POLICY_ENTRUST), E.EINVAL),            # per-socket only
        (spd_msg(ptype=IPSEC_POLICY_BYPASS), E.EINVAL),
        (spd_msg(pdir=7, ptype=IPSEC_POLICY_NONE), E.EINVAL),       # no such direction
        (spd_msg(requests=(dict(bad, sadb_x_ipsecrequest_proto=6),)), E.EPROTONOSUPPORT),
        (spd_msg(requests=(dict(bad, sadb_x_ipsecrequest_mode=IPSEC_MODE_ANY),)), E.EINVAL),
        (spd_msg(requests=(dict(bad, sadb_x_ipsecrequest_level=9),)), E.EINVAL),
        (spd_msg(requests=(dict(bad, sadb_x_ipsecrequest_mode=IPSEC_MODE_TUNNEL),)), E.EINVAL),
        (spd_msg(requests=(_tunnel(src=GW1, dst=sockaddr_in(bytes(4))),)), E.EINVAL),
        (spd_msg(src=sockaddr_in6(A.sin6_addr, 80), ptype=IPSEC_POLICY_NONE), E.EINVAL),
        (spd_msg(src=sockaddr_in6(A.sin6_addr, 300), ptype=IPSEC_POLICY_NONE, ul=58), E.EINVAL),
    ]
    for m, err in cases:
        assert _only(s.request(m)).hdr.sadb_msg_errno == err, m.hex()
    assert kh.key.spbyid == {}
    assert _only(s.request(msg_build(SADB_X_SPDADD, []))).hdr.sadb_msg_errno == E.EINVAL


def test_unique_without_a_reqid_gets_one_from_the_kernel_above_the_manual_range(kh):
    s = kh.socket()
    req = ipsecrequest(IPPROTO_ESP, IPSEC_MODE_TRANSPORT, IPSEC_LEVEL_UNIQUE)
    r = _only(s.request(spd_msg(requests=(req,))))
    got = r.ext[SADB_X_EXT_POLICY].sadb_x_policy_requests[0].sadb_x_ipsecrequest_reqid
    assert got == 16385
    r = _only(s.request(spd_msg(requests=(dict(req, sadb_x_ipsecrequest_reqid=7),),
                                pdir=IPSEC_DIR_INBOUND)))
    assert r.ext[SADB_X_EXT_POLICY].sadb_x_policy_requests[0].sadb_x_ipsecrequest_reqid == 7


def test_spdsetidx_needs_no_requests_and_fwd_is_a_direction(kh):
    s = kh.socket()
    assert _only(s.request(spd_msg(mtype=SADB_X_SPDSETIDX))).hdr.sadb_msg_errno == 0
    assert _only(s.request(spd_msg(pdir=IPSEC_DIR_FWD, requests=(_tunnel(),)))) \
        .hdr.sadb_msg_errno == 0


def test_spddelete_by_selector_spddelete2_by_id_and_spdget(kh):
    s, other = kh.socket(), kh.socket()
    spid = _policy_id(_only(s.request(spd_msg(requests=(ESP_TRANS,)))))
    other.msgs()
    g = _only(s.request(_by_id(spid, SADB_X_SPDGET)))
    assert (g.type, g.hdr.sadb_msg_errno, _policy_id(g)) == (SADB_X_SPDGET, 0, spid)
    assert g.ext[SADB_EXT_ADDRESS_SRC].sadb_address_addr == A
    assert SADB_EXT_LIFETIME_CURRENT in g.ext and g.hdr.sadb_msg_reserved == 1   # refcnt
    assert other.msgs() == []
    r = _only(s.request(spd_msg(mtype=SADB_X_SPDDELETE)))
    assert (r.type, r.hdr.sadb_msg_errno, _policy_id(r)) == (SADB_X_SPDDELETE, 0, spid)
    assert [m.type for m in other.msgs()] == [SADB_X_SPDDELETE]
    assert _only(s.request(spd_msg(mtype=SADB_X_SPDDELETE))).hdr.sadb_msg_errno == E.EINVAL
    assert _only(s.request(_by_id(spid, SADB_X_SPDGET))).hdr.sadb_msg_errno == E.ENOENT
    spid = _policy_id(_only(s.request(spd_msg(ptype=IPSEC_POLICY_NONE))))
    r = _only(s.request(_by_id(spid, SADB_X_SPDDELETE2)))
    assert (r.type, r.hdr.sadb_msg_errno) == (SADB_X_SPDDELETE2, 0)
    assert _only(s.request(_by_id(spid, SADB_X_SPDDELETE2))).hdr.sadb_msg_errno == E.EINVAL
    assert kh.key.spbyid == {}


def test_spddump_goes_direction_by_direction_and_spdflush_empties_the_spd(kh):
    s = kh.socket()
    s.request(spd_msg(ptype=IPSEC_POLICY_NONE))
    s.request(spd_msg(ptype=IPSEC_POLICY_NONE, pdir=IPSEC_DIR_INBOUND, src=B, dst=A))
    s.request(spd_msg(ptype=IPSEC_POLICY_NONE, src=C))
    d = s.request(msg_build(SADB_X_SPDDUMP, [], sadb_msg_pid=4))
    assert [(m.ext[SADB_X_EXT_POLICY].sadb_x_policy_dir, m.hdr.sadb_msg_seq) for m in d] == [
        (IPSEC_DIR_INBOUND, 2), (IPSEC_DIR_OUTBOUND, 1), (IPSEC_DIR_OUTBOUND, 0)]
    assert [m.ext[SADB_EXT_ADDRESS_SRC].sadb_address_addr for m in d[1:]] == [A, C]
    r = _only(s.request(msg_build(SADB_X_SPDFLUSH, [])))
    assert (r.type, r.hdr.sadb_msg_errno) == (SADB_X_SPDFLUSH, 0)
    assert _only(s.request(msg_build(SADB_X_SPDDUMP, []))).hdr.sadb_msg_errno == E.ENOENT


def test_the_spd_is_bounded_enobufs(kh):
    s = kh.socket()
    kh.key.key_spd_max = 1
    assert _only(s.request(spd_msg(ptype=IPSEC_POLICY_NONE))).hdr.sadb_msg_errno == 0
    assert _only(s.request(spd_msg(ptype=IPSEC_POLICY_NONE, src=C))).hdr.sadb_msg_errno \
        == E.ENOBUFS


def test_spd_lifetime_removes_the_policy_with_spdexpire_to_the_registered(kh):
    s = kh.socket()
    s.request(msg_build(SADB_REGISTER, [], sadb_msg_satype=SADB_SATYPE_ESP))
    life = sadb_lifetime_build(SADB_EXT_LIFETIME_HARD, 0, 0, 30, 0)
    r = _only(s.request(spd_msg(ptype=IPSEC_POLICY_NONE, extra=(life,))))
    assert SADB_EXT_LIFETIME_HARD in r.ext
    kh.run_for(29 * SEC)
    assert kh.key.spbyid and s.msgs() == []
    kh.run_for(1 * SEC)
    m = _only(s.msgs())
    assert m.type == SADB_X_SPDEXPIRE
    assert m.ext[SADB_EXT_LIFETIME_HARD].sadb_lifetime_addtime == 30
    assert kh.key.spbyid == {} and kh.key.keystat.spd_expire == 1
    assert not kh.key.timer.callout_pending()


def test_key_allocsp_finds_the_first_policy_whose_selector_covers_the_packet(kh):
    s = kh.socket()
    s.request(spd_msg(src=NET1, dst=NET2, prefs=48, prefd=48, ul=6, ptype=IPSEC_POLICY_NONE,
                      extra=()))
    s.request(spd_msg(src=NET1, dst=sockaddr_in6(NET2.sin6_addr, 80), prefs=48, prefd=48, ul=6,
                      ptype=IPSEC_POLICY_DISCARD))
    s.request(spd_msg(src=P("::"), dst=P("::"), prefs=0, prefd=0, requests=(ESP_TRANS,)))
    out = IPSEC_DIR_OUTBOUND

    def lookup(src, dst, ul, sport=0, dport=0):
        sp = key_allocsp(kh.k, secpolicyindex(out, sockaddr_in6(P(src).sin6_addr, sport),
                                              sockaddr_in6(P(dst).sin6_addr, dport), ul_proto=ul),
                         out)
        return sp.policy if sp else None
    assert lookup("2001:db8:1::5", "2001:db8:2::9", 6, 1234, 80) == IPSEC_POLICY_NONE  # first
    assert lookup("2001:db8:1::5", "2001:db8:2::9", 17) == IPSEC_POLICY_IPSEC
    assert lookup("2001:db8:3::5", "2001:db8:2::9", 6) == IPSEC_POLICY_IPSEC
    assert key_allocsp(kh.k, secpolicyindex(IPSEC_DIR_INBOUND, A, B), IPSEC_DIR_INBOUND) is None
    assert lookup("::ffff:1.2.3.4", "::1", 58) == IPSEC_POLICY_IPSEC
    assert key_allocsp(kh.k, secpolicyindex(out, sockaddr_in(bytes(4)), sockaddr_in(bytes(4))),
                       out) is None                                  # another family


def test_a_scope_id_of_0_in_a_selector_matches_any_zone(kh):
    s = kh.socket()
    ll = P("fe80::")
    s.request(spd_msg(src=ll, dst=ll, prefs=10, prefd=10, ptype=IPSEC_POLICY_NONE))
    s.request(spd_msg(src=sockaddr_in6(ll.sin6_addr, 0, 0, 2), dst=ll, prefs=10, prefd=10,
                      ptype=IPSEC_POLICY_DISCARD, pdir=IPSEC_DIR_INBOUND))
    pkt = secpolicyindex(IPSEC_DIR_OUTBOUND, sockaddr_in6(inet_pton6("fe80::1"), 0, 0, 1),
                         sockaddr_in6(inet_pton6("fe80::2"), 0, 0, 1))
    assert key_allocsp(kh.k, pkt, IPSEC_DIR_OUTBOUND).policy == IPSEC_POLICY_NONE
    inb = secpolicyindex(IPSEC_DIR_INBOUND, sockaddr_in6(inet_pton6("fe80::1"), 0, 0, 1),
                         sockaddr_in6(inet_pton6("fe80::2"), 0, 0, 1))
    assert key_allocsp(kh.k, inb, IPSEC_DIR_INBOUND) is None          # zone 2 only


# -- SADB_X_MIGRATE (draft-sugimoto-mip6-pfkey-migrate) -----------------------------------------------

def _migrate(pairs, src=NET1, dst=NET2, pdir=IPSEC_DIR_OUTBOUND, satype=SADB_SATYPE_ESP):
    reqs = [r for pair in pairs for r in pair]
    return msg_build(SADB_X_MIGRATE, [sadb_address_build(SADB_EXT_ADDRESS_SRC, src, 48),
                                      sadb_address_build(SADB_EXT_ADDRESS_DST, dst, 48),
                                      sadb_x_policy_build(IPSEC_POLICY_IPSEC, pdir, 0, reqs)],
                     sadb_msg_satype=satype)


def _tunnel_setup(s):
    s.request(spd_msg(src=NET1, dst=NET2, prefs=48, prefd=48, requests=(_tunnel(reqid=3),)))
    s.request(add_msg(spi=0x1111, src=GW1, dst=GW2, mode=IPSEC_MODE_TUNNEL, reqid=3))
    s.request(add_msg(spi=0x2222, src=GW2, dst=GW1, mode=IPSEC_MODE_TUNNEL, reqid=3))


def test_migrate_moves_the_tunnel_of_the_policy_and_its_sas_in_one_message(kh):
    s, other = kh.socket(), kh.socket()
    _tunnel_setup(s)
    other.msgs()
    old, new = _tunnel(GW1, GW2, reqid=3), _tunnel(GW3, GW2, reqid=3)
    r = _only(s.request(_migrate([(old, new)])))
    assert (r.type, r.hdr.sadb_msg_errno) == (SADB_X_MIGRATE, 0)
    assert [m.type for m in other.msgs()] == [SADB_X_MIGRATE]
    sp = kh.key.sptree[IPSEC_DIR_OUTBOUND][0]
    assert (sp.req[0].saidx.src, sp.req[0].saidx.dst) == (GW3, GW2)
    sav = key_allocsa(kh.k, GW2, IPPROTO_ESP, 0x1111)
    assert sav is not None and sav.sah.saidx.src == GW3
    back = key_allocsa(kh.k, GW1, IPPROTO_ESP, 0x2222)        # the other way is another pair
    assert back is not None and back.sah.saidx.src == GW2
    assert kh.key.keystat.migrate == 1


def test_a_migrate_that_cannot_be_done_changes_nothing(kh):
    s = kh.socket()
    _tunnel_setup(s)
    good = (_tunnel(GW1, GW2, reqid=3), _tunnel(GW3, GW2, reqid=3))
    missing = (_tunnel(GW3, GW1, reqid=3), _tunnel(GW1, GW3, reqid=3))   # no such endpoints
    assert _only(s.request(_migrate([good, missing]))).hdr.sadb_msg_errno == E.ENOENT
    assert _only(s.request(_migrate([good], src=C, dst=B))).hdr.sadb_msg_errno == E.ENOENT
    odd = msg_build(SADB_X_MIGRATE, [sadb_address_build(SADB_EXT_ADDRESS_SRC, NET1, 48),
                                     sadb_address_build(SADB_EXT_ADDRESS_DST, NET2, 48),
                                     sadb_x_policy_build(IPSEC_POLICY_IPSEC, IPSEC_DIR_OUTBOUND,
                                                         0, [good[0]])],
                    sadb_msg_satype=SADB_SATYPE_ESP)
    assert _only(s.request(odd)).hdr.sadb_msg_errno == E.EINVAL
    mixed = (_tunnel(GW1, GW2, reqid=3), _tunnel(GW3, GW2, reqid=4))
    assert _only(s.request(_migrate([mixed]))).hdr.sadb_msg_errno == E.EINVAL
    sp = kh.key.sptree[IPSEC_DIR_OUTBOUND][0]
    assert (sp.req[0].saidx.src, sp.req[0].saidx.dst) == (GW1, GW2)
    assert key_allocsa(kh.k, GW2, IPPROTO_ESP, 0x1111).sah.saidx.src == GW1


# -- per-socket policies (IPV6_IPSEC_POLICY) ---------------------------------------------------------

def test_per_socket_policy_set_and_get_in_binary_sadb_x_policy(kh):
    pcb = inpcbpolicy(priv=False)
    req = sadb_x_policy_build(IPSEC_POLICY_IPSEC, IPSEC_DIR_OUTBOUND, 0,
                              [ipsecrequest(IPPROTO_AH, IPSEC_MODE_TRANSPORT, IPSEC_LEVEL_USE)])
    assert ipsec6_set_policy(kh.k, pcb, req, priv=False) == 0
    err, got = ipsec6_get_policy(kh.k, pcb, sadb_x_policy_build(0, IPSEC_DIR_OUTBOUND))
    x = ext_parse(SADB_X_EXT_POLICY, got)
    assert err == 0 and x.sadb_x_policy_type == IPSEC_POLICY_IPSEC
    assert x.sadb_x_policy_requests[0].sadb_x_ipsecrequest_proto == IPPROTO_AH
    bypass = sadb_x_policy_build(IPSEC_POLICY_BYPASS, IPSEC_DIR_INBOUND)
    assert ipsec6_set_policy(kh.k, pcb, bypass, priv=False) == E.EACCES
    assert ipsec6_set_policy(kh.k, pcb, sadb_x_policy_build(IPSEC_POLICY_NONE, 2), True) \
        == E.EINVAL
    assert ipsec6_set_policy(kh.k, pcb, b"\x01\x02", True) == E.EINVAL
    assert ipsec6_get_policy(kh.k, pcb, sadb_x_policy_build(0, 7))[0] == E.EINVAL
    # an ordinary socket's own policy counts only where the SPD has none
    pkt = secpolicyindex(IPSEC_DIR_OUTBOUND, A, B)
    sp, err = ipsec_getpolicybysock(kh.k, pkt, IPSEC_DIR_OUTBOUND, pcb)
    assert err == 0 and sp.policy == IPSEC_POLICY_IPSEC
    s = kh.socket()
    s.request(spd_msg(ptype=IPSEC_POLICY_NONE))
    sp, err = ipsec_getpolicybysock(kh.k, pkt, IPSEC_DIR_OUTBOUND, pcb)
    assert sp.policy == IPSEC_POLICY_NONE
    # a privileged socket's BYPASS wins over the SPD
    root = inpcbpolicy(priv=True)
    assert ipsec6_set_policy(kh.k, root, sadb_x_policy_build(IPSEC_POLICY_BYPASS, 2), True) == 0
    assert ipsec_getpolicybysock(kh.k, pkt, IPSEC_DIR_OUTBOUND, root)[0].policy \
        == IPSEC_POLICY_BYPASS
    assert ipsec_getpolicybysock(kh.k, pkt, IPSEC_DIR_INBOUND, root)[0].policy \
        == IPSEC_POLICY_NONE                                          # ENTRUST: the default
