"""What the data path asks of the key engine (kernel/netkey/key_alloc.py):
key_checkrequest finds an SA or sends SADB_ACQUIRE to the registered key
managers (RFC 2367 3.1.6), rate-limited by net.key.blockacq_count and
blockacq_lifetime as KAME does; key_allocsa finds inbound SAs."""
from __future__ import annotations

from kernel.netkey.key_alloc import (ipsec_get_reqlevel, ipsec_setsaidx, key_allocsa,
                                     key_allocsa_policy, key_checkrequest, key_getcomb)
from kernel.netkey.keydb import ipsecrequest, secasindex, secpolicy, secpolicyindex
from kernel.wire import errno as E
from kernel.wire.in6 import inet_pton6, sockaddr_in6
from kernel.wire.pfkeyv2 import (
    IPPROTO_AH, IPPROTO_ESP, IPSEC_DIR_OUTBOUND, IPSEC_LEVEL_DEFAULT, IPSEC_LEVEL_REQUIRE,
    IPSEC_LEVEL_UNIQUE, IPSEC_LEVEL_USE, IPSEC_MODE_TRANSPORT, IPSEC_MODE_TUNNEL,
    IPSEC_POLICY_IPSEC, SADB_ACQUIRE, SADB_EALG_3DESCBC, SADB_EXT_ADDRESS_DST,
    SADB_EXT_ADDRESS_SRC, SADB_EXT_PROPOSAL, SADB_GETSPI, SADB_REGISTER,
    SADB_SATYPE_ESP, SADB_X_EALG_AESCBC, SADB_X_EXT_POLICY, msg_build,
    sadb_address_build, sadb_prop_build,
)
from tests.kernel.netkey.keyhost import A, B, C, SEC, add_msg


def _registered(kh, satype=SADB_SATYPE_ESP):
    s = kh.socket()
    s.request(msg_build(SADB_REGISTER, [], sadb_msg_satype=satype))
    return s


def _isr(level=IPSEC_LEVEL_REQUIRE, proto=IPPROTO_ESP, mode=IPSEC_MODE_TRANSPORT, reqid=0):
    sp = secpolicy(IPSEC_POLICY_IPSEC)
    sp.spidx = secpolicyindex(IPSEC_DIR_OUTBOUND, A, B)
    sp.id = 77
    isr = ipsecrequest(secasindex(None, None, proto, mode, reqid), level, sp)
    sp.req.append(isr)
    return isr


def test_rfc2367_3_1_6_a_missing_sa_sends_acquire_to_the_registered_sockets(kh):
    km, bystander = _registered(kh), kh.socket()
    isr = _isr()
    saidx = ipsec_setsaidx(isr, A, B)
    assert key_checkrequest(kh.k, isr, saidx) == E.ENOENT       # required: the packet goes
    (m,) = km.msgs()
    assert (m.type, m.satype, m.hdr.sadb_msg_pid) == (SADB_ACQUIRE, SADB_SATYPE_ESP, 0)
    assert m.hdr.sadb_msg_seq == kh.key.acqtree[0].seq != 0
    assert m.ext[SADB_EXT_ADDRESS_SRC].sadb_address_addr == A
    assert m.ext[SADB_EXT_ADDRESS_DST].sadb_address_addr == B
    assert m.ext[SADB_X_EXT_POLICY].sadb_x_policy_id == 77
    encs = [c.sadb_comb_encrypt for c in m.ext[SADB_EXT_PROPOSAL].sadb_prop_combs]
    # net.key.esp_keymin (256): 3DES is not proposed, AES-CBC is with 256-bit keys
    assert SADB_X_EALG_AESCBC in encs and SADB_EALG_3DESCBC not in encs
    aes = [c for c in m.ext[SADB_EXT_PROPOSAL].sadb_prop_combs
           if c.sadb_comb_encrypt == SADB_X_EALG_AESCBC][0]
    assert (aes.sadb_comb_encrypt_minbits, aes.sadb_comb_hard_addtime) == (256, 86400)
    assert bystander.msgs() == []
    assert key_checkrequest(kh.k, _isr(level=IPSEC_LEVEL_USE), secasindex(
        A, C, IPPROTO_ESP, IPSEC_MODE_TRANSPORT)) == 0          # use: the packet goes in clear


def test_acquires_are_rate_limited_by_blockacq_count_and_lifetime(kh):
    km = _registered(kh)
    isr = _isr()
    saidx = ipsec_setsaidx(isr, A, B)
    for _ in range(30):
        key_checkrequest(kh.k, isr, saidx)
    seqs = [m.hdr.sadb_msg_seq for m in km.msgs()]
    # the first, then one after every blockacq_count + 1 blocked packets (KAME's count)
    assert len(seqs) == 3 and len(set(seqs)) == 1
    assert kh.key.keystat.acq_blocked == 27
    kh.run_for(20 * SEC)                                # the record times out
    assert kh.key.acqtree == []
    key_checkrequest(kh.k, isr, saidx)
    (m,) = km.msgs()
    assert m.hdr.sadb_msg_seq == seqs[0] + 1


def _acquired(kh):
    """A registered key manager that got the ACQUIRE of a packet from A to B."""
    km = _registered(kh)
    isr = _isr()
    saidx = ipsec_setsaidx(isr, A, B)
    key_checkrequest(kh.k, isr, saidx)
    (acq,) = km.msgs()
    return km, isr, saidx, acq


def test_getspi_answering_an_acquire_restarts_its_block(kh):
    km, isr, saidx, acq = _acquired(kh)
    kh.run_for(15 * SEC)
    km.request(msg_build(SADB_GETSPI, [sadb_address_build(SADB_EXT_ADDRESS_SRC, A),
                                       sadb_address_build(SADB_EXT_ADDRESS_DST, B)],
                         sadb_msg_satype=SADB_SATYPE_ESP, sadb_msg_seq=acq.hdr.sadb_msg_seq))
    kh.run_for(10 * SEC)
    assert len(kh.key.acqtree) == 1                     # 25 s after the ACQUIRE, still there
    key_checkrequest(kh.k, isr, saidx)
    assert km.msgs() == []                              # the larval SA is not usable: blocked


def test_a_key_manager_failure_blocks_acquires_until_the_record_times_out(kh):
    km, _isr_, _saidx, acq = _acquired(kh)
    kh.run_for(19 * SEC)
    err = msg_build(SADB_ACQUIRE, [], sadb_msg_satype=SADB_SATYPE_ESP,
                    sadb_msg_seq=acq.hdr.sadb_msg_seq, sadb_msg_errno=E.ETIMEDOUT)
    assert km.request(err) == []                        # no answer
    kh.run_for(5 * SEC)
    assert len(kh.key.acqtree) == 1                     # restarted at 19 s
    kh.run_for(15 * SEC)
    assert kh.key.acqtree == []


def test_acquire_from_a_key_manager_goes_to_the_registered(kh):
    km, other = _registered(kh), _registered(kh)
    km.msgs()
    m = msg_build(SADB_ACQUIRE, [sadb_address_build(SADB_EXT_ADDRESS_SRC, A),
                                 sadb_address_build(SADB_EXT_ADDRESS_DST, C),
                                 sadb_prop_build(0, [])], sadb_msg_satype=SADB_SATYPE_ESP)
    got = km.request(m)
    assert [g.type for g in got] == [SADB_ACQUIRE, SADB_ACQUIRE]     # the kernel's and the echo
    assert len(other.msgs()) == 2
    km.request(add_msg(spi=0x4000, src=A, dst=C))
    assert km.request(m)[-1].hdr.sadb_msg_errno == E.EEXIST


def test_key_checkrequest_uses_a_mature_sa_and_prefers_the_old_one(kh):
    s = kh.socket()
    s.request(add_msg(spi=0x5000, mode=IPSEC_MODE_TRANSPORT))
    kh.run_for(1 * SEC)
    s.request(add_msg(spi=0x5001, mode=IPSEC_MODE_TRANSPORT))
    isr = _isr()
    saidx = ipsec_setsaidx(isr, A, B)
    assert key_checkrequest(kh.k, isr, saidx) == 0 and isr.sav.spi == 0x5000
    kh.key.key_preferred_oldsa = 0
    isr.sav = None
    assert key_checkrequest(kh.k, isr, saidx) == 0 and isr.sav.spi == 0x5001
    # a reqid in the request wants an SA of that reqid
    isr2 = _isr(reqid=9)
    assert key_allocsa_policy(kh.k, ipsec_setsaidx(isr2, A, B)) is None


def test_tunnel_mode_requests_use_their_endpoints(kh):
    s = kh.socket()
    gw1, gw2 = (sockaddr_in6(inet_pton6(a)) for a in ("2001:db8:ff::1", "2001:db8:ff::2"))
    s.request(add_msg(spi=0x6000, src=gw1, dst=gw2, mode=IPSEC_MODE_TUNNEL))
    isr = _isr(mode=IPSEC_MODE_TUNNEL)
    isr.saidx = secasindex(gw1, gw2, IPPROTO_ESP, IPSEC_MODE_TUNNEL, 0)
    saidx = ipsec_setsaidx(isr, A, B)
    assert (saidx.src, saidx.dst) == (gw1, gw2)
    assert key_checkrequest(kh.k, isr, saidx) == 0 and isr.sav.spi == 0x6000


def test_key_allocsa_finds_the_inbound_sa_by_destination_spi_and_zone(kh):
    s = kh.socket()
    ll_a = sockaddr_in6(inet_pton6("fe80::a"), 0, 0, 1)
    ll_b = sockaddr_in6(inet_pton6("fe80::b"), 0, 0, 1)
    s.request(add_msg(spi=0x7000, src=ll_a, dst=ll_b))
    assert key_allocsa(kh.k, inet_pton6("fe80::b"), IPPROTO_ESP, 0x7000, zone=1).spi == 0x7000
    assert key_allocsa(kh.k, inet_pton6("fe80::b"), IPPROTO_ESP, 0x7000, zone=2) is None
    assert key_allocsa(kh.k, ll_b, IPPROTO_ESP, 0x7000) is not None
    assert key_allocsa(kh.k, ll_b, IPPROTO_AH, 0x7000) is None
    assert key_allocsa(kh.k, ll_a, IPPROTO_ESP, 0x7000) is None


def test_levels_default_is_use_and_unique_is_require(kh):
    assert ipsec_get_reqlevel(kh.k, _isr(level=IPSEC_LEVEL_DEFAULT)) == IPSEC_LEVEL_USE
    assert ipsec_get_reqlevel(kh.k, _isr(level=IPSEC_LEVEL_UNIQUE)) == IPSEC_LEVEL_REQUIRE


def test_ah_proposals_list_the_hmacs(kh):
    combs = key_getcomb(kh.k, IPPROTO_AH)
    assert combs and all(c["sadb_comb_auth"] and not c.get("sadb_comb_encrypt") for c in combs)
    kh.key.ipsec_esp_auth = 1
    esp = key_getcomb(kh.k, IPPROTO_ESP)
    assert any(c.get("sadb_comb_auth") for c in esp)
