"""The key databases: SAD and SPD entries and what key.c keeps in globals
(sys/netkey/keydb.h, keydb.c, key_var.h, keysock.h's pfkeystat).

One :class:`key_state` per kernel (``k.key``) holds the tunables
(``net.key.*``), the Security Policy Database (``sptree[dir]``, a list per
direction searched in order, as KAME's), the Security Association Database
(``sahtree``, newest SA head first, each with a list of SAs per state), the
ACQUIRE records (``acqtree``, ``spacqtree``), the sockets registered per SA
type (``regtree``) and the ``pfkeystat`` counters.

Addresses are the sockaddrs of kernel/wire (``sockaddr_in6`` with its
``sin6_scope_id`` for a scoped address, ``sockaddr_in``); an SA's addresses
carry no port unless the SA does NAT-T (RFC 3948).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Optional

from kernel.wire.in6 import sockaddr_in6
from kernel.wire.in_ import sockaddr_in
from kernel.wire.pfkeyv2 import (
    IPSEC_DIR_MAX, IPSEC_MANUAL_REQID_MAX, IPSEC_MODE_ANY, IPSEC_ULPROTO_ANY,
    IPPROTO_AH, IPPROTO_ESP, IPPROTO_IPCOMP, SADB_AALG_SHA1HMAC, SADB_EALG_3DESCBC,
    SADB_EALG_NULL, SADB_SASTATE_DEAD, SADB_SASTATE_DYING, SADB_SASTATE_LARVAL,
    SADB_SASTATE_MATURE, SADB_SATYPE_AH, SADB_SATYPE_ESP, SADB_SATYPE_MAX, SADB_SATYPE_UNSPEC,
    SADB_X_AALG_AES128GMAC, SADB_X_AALG_AES192GMAC, SADB_X_AALG_AES256GMAC, SADB_X_AALG_NULL,
    SADB_X_AALG_SHA2_256, SADB_X_AALG_SHA2_384, SADB_X_AALG_SHA2_512, SADB_X_CALG_DEFLATE,
    SADB_X_EALG_AESCBC, SADB_X_EALG_AESGCM16, SADB_X_EALG_AESGMAC, SADB_X_SATYPE_IPCOMP,
    sa_addr, sa_family, sa_plen, sa_port,
)

SEC = 1_000_000_000

# sp->state
IPSEC_SPSTATE_DEAD = 0
IPSEC_SPSTATE_ALIVE = 1

# key_cmpsaidx flags
CMP_HEAD = 1            # protocol, addresses
CMP_MODE_REQID = 2      # additionally HEAD, reqid, mode
CMP_REQID = 3           # additionally HEAD, reqid
CMP_EXACTLY = 4         # all elements

# dump order of the states (saorder_state_any) and the usable ones
SAORDER_STATE_ANY = (SADB_SASTATE_MATURE, SADB_SASTATE_DYING, SADB_SASTATE_LARVAL,
                     SADB_SASTATE_DEAD)
SAORDER_STATE_ALIVE = (SADB_SASTATE_DYING, SADB_SASTATE_MATURE, SADB_SASTATE_LARVAL)
SAORDER_STATE_VALID_PREFER_OLD = (SADB_SASTATE_DYING, SADB_SASTATE_MATURE)
SAORDER_STATE_VALID_PREFER_NEW = (SADB_SASTATE_MATURE, SADB_SASTATE_DYING)

# key_sendup_mbuf targets (in_msgtarget index)
KEY_SENDUP_ONE = 0
KEY_SENDUP_ALL = 1
KEY_SENDUP_REGISTERED = 2


# -- algorithms this kernel supports (ah_core.c / esp_core.c tables, in bits) --------------------
@dataclass(frozen=True)
class key_alg:
    """An algorithm the kernel can key: its setkey name, key sizes in bits,
    and for ciphers the IV length and block size in bytes."""

    id: int
    name: str
    keymin: int
    keymax: int
    keysizes: Optional[tuple[int, ...]] = None   # None: any in [keymin, keymax]
    ivlen: int = 0
    blocksize: int = 1
    aead: bool = False

    def key_ok(self, bits: int) -> bool:
        if self.keysizes is not None:
            return bits in self.keysizes
        return self.keymin <= bits <= self.keymax


AH_ALGORITHMS: dict[int, key_alg] = {a.id: a for a in (
    key_alg(SADB_AALG_SHA1HMAC, "hmac-sha1", 160, 160),
    key_alg(SADB_X_AALG_SHA2_256, "hmac-sha256", 256, 256),
    key_alg(SADB_X_AALG_SHA2_384, "hmac-sha384", 384, 384),
    key_alg(SADB_X_AALG_SHA2_512, "hmac-sha512", 512, 512),
    # RFC 4543: the AES key and a 4-byte salt
    key_alg(SADB_X_AALG_AES128GMAC, "aes-gmac", 160, 160),
    key_alg(SADB_X_AALG_AES192GMAC, "aes192-gmac", 224, 224),
    key_alg(SADB_X_AALG_AES256GMAC, "aes256-gmac", 288, 288),
    key_alg(SADB_X_AALG_NULL, "null", 0, 2048),
)}
ESP_ALGORITHMS: dict[int, key_alg] = {a.id: a for a in (
    key_alg(SADB_EALG_NULL, "null", 0, 2048, None, 0, 1),
    key_alg(SADB_EALG_3DESCBC, "3des-cbc", 192, 192, None, 8, 8),
    key_alg(SADB_X_EALG_AESCBC, "aes-cbc", 128, 256, (128, 192, 256), 16, 16),
    # RFC 4106 8.1: the AES key and a 4-byte salt; 8-byte explicit IV
    key_alg(SADB_X_EALG_AESGCM16, "aes-gcm-16", 160, 288, (160, 224, 288), 8, 4, True),
    key_alg(SADB_X_EALG_AESGMAC, "aes-gmac", 160, 288, (160, 224, 288), 8, 4, True),
)}
IPCOMP_ALGORITHMS: dict[int, key_alg] = {a.id: a for a in (
    key_alg(SADB_X_CALG_DEFLATE, "deflate", 0, 0),
)}


# -- addresses --------------------------------------------------------------------------------
def sa_scope(sa: Any) -> int:
    return sa.sin6_scope_id if isinstance(sa, sockaddr_in6) else 0


def sa_setport(sa: Any, port: int) -> Any:
    """A copy of ``sa`` with ``port``."""
    if isinstance(sa, sockaddr_in6):
        return replace(sa, sin6_port=port, sin6_flowinfo=0)
    if isinstance(sa, sockaddr_in):
        return replace(sa, sin_port=port)
    return sa


def key_sockaddrcmp(a: Any, b: Any, port: bool) -> bool:
    """True if the sockaddrs are the same (key_sockaddrcmp() == 0): family,
    address, scope zone, and the port if ``port``."""
    if a is None or b is None:
        return a is b
    if sa_family(a) != sa_family(b) or sa_addr(a) != sa_addr(b) or sa_scope(a) != sa_scope(b):
        return False
    return not port or sa_port(a) == sa_port(b)


# -- the SPD ---------------------------------------------------------------------------------
class secpolicyindex:
    """``struct secpolicyindex``: a selector (direction, addresses with ports,
    prefix lengths, upper-layer protocol).  The data path builds one per
    packet with full prefixes (ipsec6_setspidx_ipaddr).  Its fields are not
    changed once made: ``spidx_compiled`` keeps the selector as integers
    (address, mask) the first time it is compared."""

    __slots__ = ("dir", "src", "dst", "prefs", "prefd", "ul_proto", "_c")

    def __init__(self, dir: int, src: Any, dst: Any, prefs: Optional[int] = None,
                 prefd: Optional[int] = None, ul_proto: int = IPSEC_ULPROTO_ANY) -> None:
        self.dir = dir
        self.src = src
        self.dst = dst
        self.prefs = sa_plen(src) if prefs is None else prefs
        self.prefd = sa_plen(dst) if prefd is None else prefd
        self.ul_proto = ul_proto
        self._c: Optional[tuple] = None

    def key(self) -> tuple:
        return (self.dir, self.src, self.dst, self.prefs, self.prefd, self.ul_proto)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, secpolicyindex) and self.key() == other.key()

    def __hash__(self) -> int:
        return hash(self.key())

    def __repr__(self) -> str:
        return (f"<spidx dir={self.dir} {self.src}/{self.prefs} {self.dst}/{self.prefd} "
                f"ul={self.ul_proto}>")


def _sa_compiled(sa: Any, plen: int) -> tuple[int, int, int, int, int, int]:
    """(family, port, scope zone, the first ``plen`` bits of the address as an
    integer, their mask, the whole address as an integer) of a selector's sockaddr."""
    addr = int.from_bytes(sa_addr(sa), "big")
    nbits = len(sa_addr(sa)) * 8
    plen = max(0, min(plen, nbits))
    mask = ((1 << plen) - 1) << (nbits - plen)
    return (sa_family(sa), sa_port(sa), sa_scope(sa), addr & mask, mask, addr)


def spidx_compiled(spidx: secpolicyindex) -> tuple:
    """``spidx`` as integers, computed once per selector (a policy's at its
    first lookup after SPDADD): (src, dst, upper-layer protocol), each address
    part as :func:`_sa_compiled` gives it."""
    c = spidx._c
    if c is None:
        c = spidx._c = (_sa_compiled(spidx.src, spidx.prefs),
                        _sa_compiled(spidx.dst, spidx.prefd), spidx.ul_proto)
    return c


def key_cmpspidx_exactly(a: secpolicyindex, b: secpolicyindex) -> bool:
    """Same selector (key_cmpspidx_exactly): prefixes, ports, protocol and all."""
    return (a.prefs == b.prefs and a.prefd == b.prefd and a.ul_proto == b.ul_proto
            and key_sockaddrcmp(a.src, b.src, True) and key_sockaddrcmp(a.dst, b.dst, True))


def key_cmpspidx_withmask(sp: secpolicyindex, pkt: secpolicyindex) -> bool:
    """Does packet selector ``pkt`` fall under policy selector ``sp``
    (key_cmpspidx_withmask): protocol (255 any), ports (0 any), scope zone
    (0 any), and the prefixes — compared as integers (:func:`spidx_compiled`)."""
    ps, pd, pul = spidx_compiled(sp)
    ks, kd, kul = spidx_compiled(pkt)
    if pul != IPSEC_ULPROTO_ANY and pul != kul:
        return False
    # family, port (0: any), zone (0 is a wildcard zone, which matches any zone),
    # then the prefix: the packet's address under the policy's mask
    return (ps[0] == ks[0] and pd[0] == kd[0]
            and (not ps[1] or ps[1] == ks[1]) and (not pd[1] or pd[1] == kd[1])
            and (not ps[2] or not ks[2] or ps[2] == ks[2])
            and (not pd[2] or not kd[2] or pd[2] == kd[2])
            and ks[5] & ps[4] == ps[3] and kd[5] & pd[4] == pd[3])


@dataclass(frozen=True)
class secasindex:
    """``struct secasindex``: what an SA head is known by — the SA's source and
    destination, protocol, mode and reqid."""

    src: Any
    dst: Any
    proto: int
    mode: int = IPSEC_MODE_ANY
    reqid: int = 0


def key_cmpsaidx(s0: Optional[secasindex], s1: Optional[secasindex], flag: int) -> bool:
    """key_cmpsaidx: ``s0`` is the database's, ``s1`` the one looked for."""
    if s0 is None or s1 is None:
        return s0 is s1
    if s0.proto != s1.proto:
        return False
    if flag == CMP_EXACTLY:
        return (s0.mode == s1.mode and s0.reqid == s1.reqid
                and key_sockaddrcmp(s0.src, s1.src, True) and key_sockaddrcmp(s0.dst, s1.dst, True))
    if flag in (CMP_MODE_REQID, CMP_REQID):
        # If reqid of SPD is non-zero, unique SA is required.  The result must
        # be of same reqid in this case.
        if s1.reqid != 0 and s0.reqid != s1.reqid:
            return False
    if flag == CMP_MODE_REQID and s0.mode != IPSEC_MODE_ANY and s0.mode != s1.mode:
        return False
    return key_sockaddrcmp(s0.src, s1.src, False) and key_sockaddrcmp(s0.dst, s1.dst, False)


class ipsecrequest:
    """``struct ipsecrequest``: one step of an IPsec policy — protocol, mode,
    tunnel endpoints (``saidx.src``/``dst``, None in transport mode), level and
    reqid — and the SA the data path last used for it (``sav``).  The data
    path also keeps the ``secasindex`` it made for the last packet's
    addresses (``saidx_c``: addresses, ``saidx`` it was made from, result) and
    the SA and index it last found to agree (``sav_c``)."""

    __slots__ = ("saidx", "level", "sav", "sp", "saidx_c", "sav_c")

    def __init__(self, saidx: secasindex, level: int, sp: Any = None) -> None:
        self.saidx = saidx
        self.level = level
        self.sav: Optional[secasvar] = None
        self.sp = sp
        self.saidx_c: Optional[tuple] = None
        self.sav_c: Optional[tuple] = None

    def __repr__(self) -> str:
        s = self.saidx
        return f"<isr proto={s.proto} mode={s.mode} level={self.level} reqid={s.reqid}>"


class secpolicy:
    """``struct secpolicy``: a selector and what to do — discard, none, or the
    IPsec requests in order."""

    __slots__ = ("spidx", "id", "state", "policy", "req", "refcnt", "created", "lastused",
                 "lifetime", "validtime", "priv")

    def __init__(self, policy: int) -> None:
        self.spidx: Optional[secpolicyindex] = None
        self.id = 0
        self.state = IPSEC_SPSTATE_ALIVE
        self.policy = policy
        self.req: list[ipsecrequest] = []
        self.refcnt = 0
        self.created = 0            # ns (uptime)
        self.lastused = 0           # ns (uptime)
        self.lifetime = 0           # s, 0: forever
        self.validtime = 0          # s since last use, 0: forever
        self.priv = 0

    def __repr__(self) -> str:
        return f"<secpolicy id={self.id} {self.spidx!r} policy={self.policy} req={self.req}>"


# -- the SAD ---------------------------------------------------------------------------------
class seclifetime:
    """A ``sadb_lifetime``'s four counters."""

    __slots__ = ("allocations", "bytes", "addtime", "usetime")

    def __init__(self, allocations: int = 0, nbytes: int = 0, addtime: int = 0,
                 usetime: int = 0) -> None:
        self.allocations = allocations
        self.bytes = nbytes
        self.addtime = addtime
        self.usetime = usetime

    def __repr__(self) -> str:
        return (f"<lifetime alloc={self.allocations} bytes={self.bytes} add={self.addtime} "
                f"use={self.usetime}>")


class secasvar:
    """``struct secasvar``: one SA.  The data path may hang its own state on it
    (crypto sessions, the replay window); ``replay`` is ``sadb_sa_replay``,
    the window in bytes as KAME counts it (``replay_window`` packets)."""

    def __init__(self, sah: "secashead", spi: int, seq: int, pid: int, now: int) -> None:
        self.sah = sah
        self.spi = spi
        self.seq = seq
        self.pid = pid
        self.state = SADB_SASTATE_LARVAL
        self.flags = 0
        self.alg_auth = 0
        self.alg_enc = 0
        self.key_auth: Optional[bytes] = None
        self.key_enc: Optional[bytes] = None
        self.key_auth_bits = 0
        self.key_enc_bits = 0
        self.replay = 0
        self.ivlen = 0
        self.created = now                  # ns (uptime)
        self.firstused: Optional[int] = None   # ns (uptime); None: never used
        self.lft_c = seclifetime()
        self.lft_h: Optional[seclifetime] = None
        self.lft_s: Optional[seclifetime] = None
        self.refcnt = 0
        self.sequence = 0                   # the outbound sequence number (x_sa2_sequence)
        self.natt_type = 0
        self.natt_oai: Any = None
        self.natt_oar: Any = None
        self.natt_frag = 0
        self.dl_c: Optional[tuple] = None   # key_timer._sa_deadlines' last answer

    @property
    def replay_window(self) -> int:
        """The anti-replay window in packets (KAME: ``sadb_sa_replay`` bytes * 8)."""
        return self.replay * 8

    def __repr__(self) -> str:
        return f"<secasvar spi={self.spi:#x} state={self.state} proto={self.sah.saidx.proto}>"


class secashead:
    """``struct secashead``: the SAs of one ``secasindex``, a list per state."""

    __slots__ = ("saidx", "savtree", "state")

    def __init__(self, saidx: secasindex) -> None:
        self.saidx = saidx
        self.savtree: dict[int, list[secasvar]] = {s: [] for s in SAORDER_STATE_ANY}
        self.state = SADB_SASTATE_MATURE

    def savs(self) -> list[secasvar]:
        return [sav for st in SAORDER_STATE_ANY for sav in self.savtree[st]]

    def __repr__(self) -> str:
        return f"<secashead {self.saidx}>"


class secacq:
    """An ACQUIRE the kernel sent and still blocks duplicates of (``struct secacq``)."""

    __slots__ = ("saidx", "seq", "created", "count")

    def __init__(self, saidx: secasindex, seq: int, now: int) -> None:
        self.saidx = saidx
        self.seq = seq
        self.created = now          # ns (uptime)
        self.count = 0


class secspacq:
    """The same for SPDACQUIRE (``struct secspacq``)."""

    __slots__ = ("spidx", "created", "count")

    def __init__(self, spidx: secpolicyindex, now: int) -> None:
        self.spidx = spidx
        self.created = now
        self.count = 0


# -- counters ----------------------------------------------------------------------------------
class pfkeystat:
    """``struct pfkeystat`` (netkey/keysock.h), FreeBSD's field names: ``out_*``
    count what processes send to the kernel, ``in_*`` what the kernel sends up.
    kamebox adds ``out_perm`` (a change refused to an unprivileged socket) and
    ``out_err`` (a request answered with an errno)."""

    __slots__ = ("out_total", "out_bytes", "out_msgtype", "out_invlen", "out_invver",
                 "out_invmsgtype", "out_tooshort", "out_nomem", "out_dupext",
                 "out_invexttype", "out_invsatype", "out_invaddr", "out_perm", "out_err",
                 "in_total", "in_bytes", "in_msgtype", "in_msgtarget", "in_nomem", "sockerr")

    def __init__(self) -> None:
        for n in self.__slots__:
            setattr(self, n, 0)
        self.out_msgtype = [0] * 256
        self.in_msgtype = [0] * 256
        self.in_msgtarget = [0] * 3

    def as_dict(self) -> dict[str, Any]:
        return {n: (list(v) if isinstance(v := getattr(self, n), list) else v)
                for n in self.__slots__}


class keystat:
    """key.c's ``struct _keystat`` and kamebox's database counters."""

    __slots__ = ("getspi_count", "acq_sent", "acq_blocked", "expire_soft", "expire_hard",
                 "larval_timeout", "spd_expire", "sad_full", "spd_full", "migrate")

    def __init__(self) -> None:
        for n in self.__slots__:
            setattr(self, n, 0)

    def as_dict(self) -> dict[str, int]:
        return {n: getattr(self, n) for n in self.__slots__}


class keycb:
    """``struct keycb``: a PF_KEY socket — promiscuous, registered for how
    many SA types, and whether it may change the databases."""

    __slots__ = ("kp_socket", "kp_proto", "kp_promisc", "kp_registered", "kp_priv")

    def __init__(self, so: Any, proto: int, priv: bool) -> None:
        self.kp_socket = so
        self.kp_proto = proto
        self.kp_promisc = 0
        self.kp_registered = 0
        self.kp_priv = priv


class key_state:
    """What key.c and keysock.c keep in globals, for one kernel (``k.key``)."""

    def __init__(self) -> None:
        # net.key.* (FreeBSD's defaults)
        self.key_debug_level = 0
        self.key_spi_trycnt = 1000
        self.key_spi_minval = 0x100
        self.key_spi_maxval = 0x0FFFFFFF
        self.key_int_random = 60
        self.key_larval_lifetime = 30        # s
        self.key_blockacq_count = 10         # packets
        self.key_blockacq_lifetime = 20      # s
        self.key_preferred_oldsa = 1
        self.ipsec_esp_keymin = 256
        self.ipsec_esp_auth = 0
        self.ipsec_ah_keymin = 128
        # kamebox bounds: a flood of requests costs bounded memory (ENOBUFS)
        self.key_sad_max = 4096
        self.key_spd_max = 4096
        self.key_acq_max = 1024
        # the databases
        self.sptree: dict[int, list[secpolicy]] = {d: [] for d in range(IPSEC_DIR_MAX)}
        self.spbyid: dict[int, secpolicy] = {}
        # the data path's lookups (key_alloc.py key_allocsp_cached): packet
        # selector -> policy, valid while the SPD's generation is ``spcache_gen``;
        # every insert or removal bumps ``spgen``
        self.spgen = 0
        self.spcache: dict[tuple, Optional[secpolicy]] = {}
        self.spcache_gen = -1
        self.sahtree: list[secashead] = []
        self.spihash: dict[tuple[int, int], list[secasvar]] = {}
        self.nsav = 0
        self.acqtree: list[secacq] = []
        self.spacqtree: list[secspacq] = []
        self.regtree: dict[int, list[Any]] = {t: [] for t in range(SADB_SATYPE_MAX)}
        self.def_policy: Optional[secpolicy] = None     # ip6_def_policy (key_alloc.py)
        self.kcbs: list[keycb] = []
        self.policy_id = 0
        self.acq_seq = 0
        self.auto_reqid = IPSEC_MANUAL_REQID_MAX + 1
        self.sa_seq = 0
        self.timer: Any = None
        self.stat = pfkeystat()
        self.keystat = keystat()

    # -- SPD ------------------------------------------------------------------------------------
    def nsp(self) -> int:
        return len(self.spbyid)

    def sp_insert(self, sp: secpolicy) -> None:
        self.sptree[sp.spidx.dir].append(sp)
        self.spbyid[sp.id] = sp
        self.spgen += 1                 # the data path's cached lookups are stale

    def sp_remove(self, sp: secpolicy) -> None:
        """The policy is dead: out of the SPD, its requests forget their SAs."""
        sp.state = IPSEC_SPSTATE_DEAD
        self.spgen += 1                 # the data path's cached lookups are stale
        lst = self.sptree.get(sp.spidx.dir, [])
        if sp in lst:
            lst.remove(sp)
        if self.spbyid.get(sp.id) is sp:
            del self.spbyid[sp.id]
        for isr in sp.req:
            isr.sav = None

    def key_getsp(self, spidx: secpolicyindex) -> Optional[secpolicy]:
        """The alive policy with exactly this selector (key_getsp)."""
        for sp in self.sptree.get(spidx.dir, ()):
            if sp.state == IPSEC_SPSTATE_ALIVE and key_cmpspidx_exactly(sp.spidx, spidx):
                return sp
        return None

    def key_getspbyid(self, spid: int) -> Optional[secpolicy]:
        sp = self.spbyid.get(spid)
        return sp if sp is not None and sp.state == IPSEC_SPSTATE_ALIVE else None

    def key_getnewspid(self) -> int:
        """A policy id not in use (key_getnewspid); 0 if there is none."""
        for _ in range(0x10000):
            self.policy_id = 1 if self.policy_id >= 0xFFFFFFFF else self.policy_id + 1
            if self.policy_id not in self.spbyid:
                return self.policy_id
        return 0

    def key_newreqid(self) -> int:
        """A reqid for a ``unique`` request without one (key_newreqid): above
        IPSEC_MANUAL_REQID_MAX, 16 bits as sadb_x_ipsecrequest carries it."""
        self.auto_reqid = (IPSEC_MANUAL_REQID_MAX + 1 if self.auto_reqid >= 0xFFFF
                           else self.auto_reqid + 1)
        return self.auto_reqid

    # -- SAD ------------------------------------------------------------------------------------
    def key_getsah(self, saidx: secasindex) -> Optional[secashead]:
        """The SA head of exactly ``saidx`` (KAME compares with CMP_REQID, which
        lets an SA join a head of another mode; kamebox keeps modes apart)."""
        for sah in self.sahtree:
            if sah.state != SADB_SASTATE_DEAD and key_cmpsaidx(sah.saidx, saidx, CMP_EXACTLY):
                return sah
        return None

    def key_newsah(self, saidx: secasindex) -> secashead:
        sah = secashead(saidx)
        self.sahtree.insert(0, sah)             # LIST_INSERT_HEAD(&sahtree, ...)
        return sah

    def sav_insert(self, sav: secasvar) -> None:
        sav.sah.savtree[SADB_SASTATE_LARVAL].append(sav)
        self.spihash.setdefault((sav.sah.saidx.proto, sav.spi), []).append(sav)
        self.nsav += 1

    def sav_respi(self, sav: secasvar, spi: int) -> None:
        """Give ``sav`` another SPI (GETSPI's larval SA gets its number)."""
        self._spihash_drop(sav)
        sav.spi = spi
        self.spihash.setdefault((sav.sah.saidx.proto, spi), []).append(sav)

    def _spihash_drop(self, sav: secasvar) -> None:
        key = (sav.sah.saidx.proto, sav.spi)
        lst = self.spihash.get(key)
        if lst and sav in lst:
            lst.remove(sav)
            if not lst:
                del self.spihash[key]

    def key_sa_chgstate(self, sav: secasvar, state: int) -> None:
        """Move ``sav`` to ``state``; DEAD takes it out of the SAD at once (the
        data path may still hold it: it sees DEAD)."""
        if sav.state == state and sav in sav.sah.savtree[state]:
            return
        lst = sav.sah.savtree[sav.state]
        if sav in lst:
            lst.remove(sav)
        sav.state = state
        if state == SADB_SASTATE_DEAD:
            self._spihash_drop(sav)
            self.nsav -= 1
            sah = sav.sah
            if not any(sah.savtree[s] for s in SAORDER_STATE_ANY) and sah in self.sahtree:
                sah.state = SADB_SASTATE_DEAD
                self.sahtree.remove(sah)
            return
        sav.sah.savtree[state].insert(0, sav)   # LIST_INSERT_HEAD(&sah->savtree[state], ...)

    def key_getsavbyspi(self, sah: secashead, spi: int) -> Optional[secasvar]:
        for st in SAORDER_STATE_ALIVE:
            for sav in sah.savtree[st]:
                if sav.spi == spi:
                    return sav
        return None

    def key_checkspidup(self, saidx: secasindex, spi: int) -> Optional[secasvar]:
        """An alive SA with ``spi`` to the same destination and protocol."""
        for sav in self.spihash.get((saidx.proto, spi), ()):
            if sav.state != SADB_SASTATE_DEAD and key_sockaddrcmp(sav.sah.saidx.dst, saidx.dst,
                                                                  False):
                return sav
        return None

    def all_savs(self) -> list[secasvar]:
        return [sav for sah in self.sahtree for sav in sah.savs()]


def key_satype2proto(satype: int) -> int:
    """The IPPROTO of an SA type; IPSEC_PROTO_ANY for UNSPEC, 0 if unknown."""
    return {SADB_SATYPE_UNSPEC: 255, SADB_SATYPE_AH: IPPROTO_AH, SADB_SATYPE_ESP: IPPROTO_ESP,
            SADB_X_SATYPE_IPCOMP: IPPROTO_IPCOMP}.get(satype, 0)


def key_proto2satype(proto: int) -> int:
    return {IPPROTO_AH: SADB_SATYPE_AH, IPPROTO_ESP: SADB_SATYPE_ESP,
            IPPROTO_IPCOMP: SADB_X_SATYPE_IPCOMP}.get(proto, 0)


__all__ = [n for n in list(globals()) if not n.startswith("_") and n not in (
    "annotations", "dataclass", "replace", "Any", "Optional")]
