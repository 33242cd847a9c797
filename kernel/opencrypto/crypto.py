"""The crypto framework: drivers, sessions, dispatch and completion (sys/opencrypto/crypto.c).

Consumers (ESP, AH) open a session with :func:`crypto_newsession` from a
:class:`~kernel.opencrypto.cryptodev.crypto_session_params`, then hand
requests (:class:`~kernel.opencrypto.cryptodev.cryptop`) to
:func:`crypto_dispatch`; each request comes back through its ``crp_callback``
with ``crp_etype`` set.  Drivers — cryptosoft and hardware such as
``drivers/kce.py`` — register with :func:`crypto_get_driverid` and announce
each algorithm with :func:`crypto_register` (FreeBSD 7-12's interface; the
methods are FreeBSD's kobj ``cryptodev_if.m``: probesession, newsession,
freesession, process).

Driver choice, as FreeBSD's ``crypto_select_driver``: among the drivers the
``crid`` flags allow (``CRYPTOCAP_F_HARDWARE``/``CRYPTOCAP_F_SOFTWARE``; the
sysctls ``kern.crypto.allow_soft`` and ``kern.crypto.allow_hard`` take one kind
away) whose registered algorithms cover the session and whose probesession
accepts it, the best probe value wins (hardware -100 beats software -500),
then the one with fewest sessions.

Requests: a driver that is out of resources returns ``ERESTART`` from
``process``; the framework marks it blocked and queues its requests (bounded
by ``kern.crypto.queue_maxlen``, ENOBUFS beyond) until the driver calls
:func:`crypto_unblock`, which schedules ``crypto_proc`` to feed them again.
Completion (:func:`crypto_done`) runs the callback at once when the request
asked for it (``CRYPTO_F_CBIMM``, or ``CRYPTO_F_CBIFSYNC`` on a synchronous
driver such as cryptosoft), else from ``crypto_ret_proc``, an event of its
own — FreeBSD's return thread.  Both are softnet context: no sleeping.

Errors are counted, never raised: a malformed request (regions outside the
buffer, a wrong op) completes with EINVAL and ``cs_badreq``; an ICV that does
not verify with EBADMSG; a card's failure with the driver's errno.  When a
driver goes away (:func:`crypto_unregister_all`) its sessions move at once to
the next best driver and its queued requests complete with EAGAIN, which
tells the consumer to dispatch them again (FreeBSD migrates the session in
``crypto_invoke`` and answers EAGAIN the same way).
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any, Callable, Optional

from kernel.kern.kern_sysctl import CTLTYPE_STRUCT, SYSCTL_INT, SYSCTL_PROC, SYSCTL_STRUCT
from kernel.opencrypto.cryptodev import (
    CRYPTO_AES_NIST_GMAC, CRYPTO_F_BATCH, CRYPTO_F_CBIFSYNC, CRYPTO_F_CBIMM, CRYPTO_F_DONE,
    CRYPTO_F_IV_SEPARATE, CRYPTO_HINT_MORE, CRYPTO_OP_DECRYPT, CRYPTO_OP_ENCRYPT,
    CRYPTO_OP_VERIFY_DIGEST, CRYPTO_SYMQ, CRYPTOCAP_F_CLEANUP, CRYPTOCAP_F_HARDWARE,
    CRYPTOCAP_F_SOFTWARE, CRYPTOCAP_F_SYNC, CRYPTODEV_PROBE_HARDWARE,
    CRYPTODEV_PROBE_SOFTWARE, CSP_F_ESN, CSP_F_SEPARATE_AAD, CSP_F_SEPARATE_OUTPUT,
    CSP_MODE_AEAD, CSP_MODE_CIPHER, CSP_MODE_DIGEST, CSP_MODE_ETA, EALG_MAX_BLOCK_LEN,
    crypto_alg_names, crypto_session_params, cryptop, cryptostats,
)
from kernel.opencrypto.xform_auth import HMAC_ALGS, auth_hashes
from kernel.opencrypto.xform_enc import enc_xforms, gcm_split_key
from kernel.wire import errno

CRYPTO_QUEUE_MAXLEN = 1024      # requests queued per blocked driver (kern.crypto.queue_maxlen)
_HW_SW = CRYPTOCAP_F_HARDWARE | CRYPTOCAP_F_SOFTWARE
_ERESTART = errno.ERESTART
_EINVAL = errno.EINVAL


@dataclass
class cryptodev_methods:
    """A driver's methods (FreeBSD's ``cryptodev_if.m``), called with the driver's ``dev``.

    ``newsession(dev, cses, csp) -> errno`` (keep per-session state in
    ``cses.cs_softc``); ``freesession(dev, cses)``; ``process(dev, crp, hint)
    -> 0 or ERESTART`` — the driver completes the request with
    :func:`crypto_done`, now or later; ``probesession(dev, csp) -> int``
    (optional): a ``CRYPTODEV_PROBE_*`` value, or a positive errno to refuse.
    """

    newsession: Callable[[Any, "crypto_session", crypto_session_params], int]
    freesession: Callable[[Any, "crypto_session"], None]
    process: Callable[[Any, cryptop, int], int]
    probesession: Optional[Callable[[Any, crypto_session_params], int]] = None


class cryptocap:
    """``struct cryptocap``: one registered driver, its algorithms, queue and counters."""

    __slots__ = ("cc_hid", "cc_name", "cc_dev", "cc_flags", "cc_methods", "cc_process",
                 "cc_alg", "cc_sessions", "cc_sessionset", "cc_qblocked", "cc_q",
                 "cc_ops", "cc_bytes", "cc_errs", "cc_authfail", "cc_blocks", "cc_qfull")

    def __init__(self, hid: int, name: str, dev: Any, methods: cryptodev_methods,
                 flags: int) -> None:
        self.cc_hid = hid
        self.cc_name = name
        self.cc_dev = dev
        self.cc_flags = flags
        self.cc_methods = methods
        self.cc_process = methods.process
        self.cc_alg: dict[int, tuple[int, int]] = {}     # alg -> (maxoplen, flags)
        self.cc_sessions = 0
        self.cc_sessionset: dict[int, "crypto_session"] = {}
        self.cc_qblocked = False
        self.cc_q: deque[cryptop] = deque()
        self.cc_ops = 0          # requests the driver accepted
        self.cc_bytes = 0        # payload bytes of those
        self.cc_errs = 0         # requests it completed with an error
        self.cc_authfail = 0     # ... of which EBADMSG (ICV mismatch)
        self.cc_blocks = 0       # times it answered ERESTART
        self.cc_qfull = 0        # requests refused because its queue was full

    @property
    def hardware(self) -> bool:
        return bool(self.cc_flags & CRYPTOCAP_F_HARDWARE)

    def as_dict(self) -> dict[str, Any]:
        return {
            "hid": self.cc_hid, "name": self.cc_name,
            "kind": "hardware" if self.hardware else "software",
            "sync": bool(self.cc_flags & CRYPTOCAP_F_SYNC),
            "cleanup": bool(self.cc_flags & CRYPTOCAP_F_CLEANUP),
            "algorithms": [crypto_alg_names.get(a, str(a)) for a in sorted(self.cc_alg)],
            "sessions": self.cc_sessions, "qblocked": int(self.cc_qblocked),
            "queued": len(self.cc_q), "ops": self.cc_ops, "bytes": self.cc_bytes,
            "errs": self.cc_errs, "authfail": self.cc_authfail, "blocks": self.cc_blocks,
            "qfull": self.cc_qfull,
        }


class crypto_session:
    """``struct crypto_session``: the consumer's handle (``crypto_session_t``).

    The framework keeps the parameters (``cs_csp``, a private copy), the driver
    serving it (``cs_cap``) and the driver's state (``cs_softc``).  The handle
    stays valid when the session migrates to another driver.
    """

    __slots__ = ("cs_id", "cs_crypto", "cs_csp", "cs_crid", "cs_cap", "cs_softc",
                 "cs_freed", "cs_mlen", "cs_ivlen", "cs_auth", "cs_sep_aad", "cs_esn",
                 "cs_cipher_only", "cs_digest_only")

    def __init__(self, state: "crypto_state", sid: int, csp: crypto_session_params,
                 crid: int) -> None:
        self.cs_id = sid
        self.cs_crypto = state
        self.cs_csp = csp
        self.cs_crid = crid
        self.cs_cap: cryptocap = None  # type: ignore[assignment]
        self.cs_softc: Any = None
        self.cs_freed = False
        # Derived once, for crp_sanity on the hot path.
        self.cs_ivlen = csp.csp_ivlen
        self.cs_mlen = crypto_session_mlen(csp)
        self.cs_auth = csp.csp_mode != CSP_MODE_CIPHER
        self.cs_cipher_only = csp.csp_mode == CSP_MODE_CIPHER
        self.cs_digest_only = csp.csp_mode == CSP_MODE_DIGEST
        self.cs_sep_aad = bool(csp.csp_flags & CSP_F_SEPARATE_AAD)
        self.cs_esn = bool(csp.csp_flags & CSP_F_ESN)

    def __repr__(self) -> str:
        name = self.cs_cap.cc_name if self.cs_cap is not None else "-"
        return f"<crypto_session {self.cs_id} on {name}>"


class crypto_state:
    """The framework's globals of crypto.c, one per kernel (``k.crypto``)."""

    def __init__(self, k: Any) -> None:
        self.k = k
        self.crypto_drivers: list[Optional[cryptocap]] = []
        self.cryptostats = cryptostats()
        self.crypto_allow_soft = 1      # kern.crypto.allow_soft (kern.cryptodevallowsoft)
        self.crypto_allow_hard = 1      # kern.crypto.allow_hard (kamebox)
        self.crypto_queue_maxlen = CRYPTO_QUEUE_MAXLEN
        self.crp_ret_q: deque[cryptop] = deque()
        self.ret_scheduled = False
        self.proc_scheduled = False
        self.next_sid = 1


# ---------------------------------------------------------------------------
# init and sysctl
# ---------------------------------------------------------------------------
def crypto_init(k: Any) -> crypto_state:
    """SYSINIT: the framework's state (``k.crypto``), its sysctl nodes, then cryptosoft.

    cryptosoft attaches unless the kernel config's hints say
    ``hint.cryptosoft.0.disabled=1`` (FreeBSD's device hint).
    """
    cs = getattr(k, "crypto", None)
    if isinstance(cs, crypto_state):
        return cs
    cs = crypto_state(k)
    k.crypto = cs

    def bool_ok(v: int) -> bool:
        return v in (0, 1)

    SYSCTL_INT(k, "kern.crypto.allow_soft", cs, "crypto_allow_soft",
               "Enable use of software crypto drivers", check=bool_ok)
    SYSCTL_INT(k, "kern.cryptodevallowsoft", cs, "crypto_allow_soft",
               "Enable use of software crypto drivers (compat)", check=bool_ok)
    SYSCTL_INT(k, "kern.crypto.allow_hard", cs, "crypto_allow_hard",
               "Enable use of hardware crypto drivers (kamebox)", check=bool_ok)
    SYSCTL_INT(k, "kern.crypto.queue_maxlen", cs, "crypto_queue_maxlen",
               "Requests queued per blocked driver", check=lambda v: 1 <= v <= 1 << 20)
    SYSCTL_STRUCT(k, "kern.crypto.stats", lambda: cs.cryptostats, "Crypto system statistics")
    SYSCTL_PROC(k, "kern.crypto.drivers", CTLTYPE_STRUCT,
                lambda: [c.as_dict() for c in cs.crypto_drivers if c is not None],
                descr="Crypto drivers, their algorithms and counters")
    hints = getattr(getattr(k, "config", None), "hints", {}) or {}
    if str(hints.get("hint.cryptosoft.0.disabled", "0")) not in ("1", "yes", "true"):
        from kernel.opencrypto.cryptosoft import swcr_attach
        swcr_attach(k)
    return cs


def _state(k: Any) -> crypto_state:
    cs = getattr(k, "crypto", None)
    if isinstance(cs, crypto_state):
        return cs
    return crypto_init(k)


# ---------------------------------------------------------------------------
# session parameters
# ---------------------------------------------------------------------------
def crypto_session_mlen(csp: crypto_session_params) -> int:
    """The ICV length of a session: ``csp_auth_mlen``, or the full output when 0."""
    if csp.csp_mode == CSP_MODE_CIPHER:
        return 0
    if csp.csp_mode == CSP_MODE_AEAD:
        return csp.csp_auth_mlen or 16
    axf = auth_hashes.get(csp.csp_auth_alg)
    if axf is None:
        return 0
    return csp.csp_auth_mlen or axf.hashsize


def _cipher_ok(csp: crypto_session_params, aead: bool) -> bool:
    txf = enc_xforms.get(csp.csp_cipher_alg)
    if txf is None or txf.aead != aead:
        return False
    klen = csp.csp_cipher_klen
    if klen != len(csp.csp_cipher_key):
        return False
    if aead:
        return gcm_split_key(csp.csp_cipher_key, csp.csp_ivlen) is not None
    return txf.key_ok(klen) and csp.csp_ivlen == txf.ivsize


def _auth_ok(csp: crypto_session_params) -> bool:
    axf = auth_hashes.get(csp.csp_auth_alg)
    if axf is None or csp.csp_auth_klen != len(csp.csp_auth_key):
        return False
    if not 0 <= csp.csp_auth_mlen <= axf.hashsize:
        return False
    if csp.csp_auth_alg == CRYPTO_AES_NIST_GMAC:
        # RFC 4543 3.2: key + 4-byte salt with the 8-byte IV, or the bare key with 12.
        return (csp.csp_mode == CSP_MODE_DIGEST
                and gcm_split_key(csp.csp_auth_key, csp.csp_ivlen) is not None
                and csp.csp_auth_mlen in (0, 4, 8, 12, 16))
    return csp.csp_auth_klen > 0             # an HMAC needs a key (RFC 2104 2)


def check_csp(csp: crypto_session_params) -> bool:
    """crypto.c's ``check_csp``, plus the key and IV sizes of each transform."""
    if csp.csp_flags & ~(CSP_F_SEPARATE_OUTPUT | CSP_F_SEPARATE_AAD | CSP_F_ESN):
        return False
    if csp.csp_ivlen < 0 or csp.csp_auth_mlen < 0 or csp.csp_ivlen >= EALG_MAX_BLOCK_LEN:
        return False
    if csp.csp_cipher_klen is None or csp.csp_auth_klen is None:
        return False
    mode = csp.csp_mode
    if mode == CSP_MODE_CIPHER:
        if csp.csp_flags & (CSP_F_SEPARATE_AAD | CSP_F_ESN):
            return False
        if csp.csp_auth_alg or csp.csp_auth_klen or csp.csp_auth_mlen:
            return False
        return _cipher_ok(csp, aead=False)
    if mode == CSP_MODE_DIGEST:
        if csp.csp_cipher_alg or csp.csp_cipher_klen or csp.csp_flags & CSP_F_SEPARATE_AAD:
            return False
        if csp.csp_auth_alg != CRYPTO_AES_NIST_GMAC and csp.csp_ivlen != 0:
            return False
        return _auth_ok(csp)
    if mode == CSP_MODE_AEAD:
        if csp.csp_auth_alg or csp.csp_auth_klen or csp.csp_flags & CSP_F_ESN:
            return False
        # cryptography verifies GCM tags of 4..16 bytes; RFC 4106 uses 8, 12, 16.
        if csp.csp_auth_mlen and not 4 <= csp.csp_auth_mlen <= 16:
            return False
        return _cipher_ok(csp, aead=True)
    if mode == CSP_MODE_ETA:
        if csp.csp_auth_alg not in HMAC_ALGS:
            return False
        return _cipher_ok(csp, aead=False) and _auth_ok(csp)
    return False


# ---------------------------------------------------------------------------
# drivers
# ---------------------------------------------------------------------------
def crypto_get_driverid(k: Any, dev: Any, methods: cryptodev_methods, flags: int) -> int:
    """Register a driver (``crypto_get_driverid``): its id (hid), or -1.

    ``flags`` must name exactly one of CRYPTOCAP_F_HARDWARE/SOFTWARE (plus
    CRYPTOCAP_F_SYNC for drivers completing inside ``process``).  ``dev`` is
    the driver's ``device_t`` (its ``nameunit`` names it) or a name.
    """
    cs = _state(k)
    kind = flags & _HW_SW
    if kind not in (CRYPTOCAP_F_HARDWARE, CRYPTOCAP_F_SOFTWARE):
        return -1
    name = getattr(dev, "nameunit", None) or str(dev)
    drivers = cs.crypto_drivers
    try:
        hid = drivers.index(None)
    except ValueError:
        hid = len(drivers)
        drivers.append(None)
    drivers[hid] = cryptocap(hid, name, dev, methods, flags & ~CRYPTOCAP_F_CLEANUP)
    return hid


def crypto_checkdriver(k: Any, hid: int) -> Optional[cryptocap]:
    drivers = _state(k).crypto_drivers
    return drivers[hid] if 0 <= hid < len(drivers) else None


def crypto_find_driver(k: Any, name: str) -> int:
    """The hid of the driver named ``name`` ("cryptosoft0", "kce0"), or -1."""
    for cap in _state(k).crypto_drivers:
        if cap is not None and cap.cc_name == name and not cap.cc_flags & CRYPTOCAP_F_CLEANUP:
            return cap.cc_hid
    return -1


def crypto_getcaps(k: Any, hid: int) -> int:
    cap = crypto_checkdriver(k, hid)
    return 0 if cap is None else cap.cc_flags


def crypto_register(k: Any, hid: int, alg: int, maxoplen: int = 0, flags: int = 0) -> int:
    """The driver ``hid`` supports ``alg`` (FreeBSD 7-12 ``crypto_register``). 0 or EINVAL."""
    cap = crypto_checkdriver(k, hid)
    if cap is None or cap.cc_flags & CRYPTOCAP_F_CLEANUP or alg not in crypto_alg_names:
        return _EINVAL
    cap.cc_alg[alg] = (maxoplen, flags)
    return 0


def crypto_unregister(k: Any, hid: int, alg: int) -> int:
    """Withdraw one algorithm; with the last one the driver unregisters (as FreeBSD)."""
    cap = crypto_checkdriver(k, hid)
    if cap is None or alg not in cap.cc_alg:
        return _EINVAL
    del cap.cc_alg[alg]
    if not cap.cc_alg:
        return crypto_unregister_all(k, hid)
    return 0


def crypto_unregister_all(k: Any, hid: int) -> int:
    """The driver goes away: new sessions avoid it, its sessions migrate, its queue fails.

    Each session moves to the best remaining driver (the consumer keeps its
    handle); requests the driver had queued complete with EAGAIN ("dispatch
    it again").  The entry is freed once no session refers to it.
    """
    cs = _state(k)
    cap = crypto_checkdriver(k, hid)
    if cap is None:
        return errno.ENOENT
    cap.cc_flags |= CRYPTOCAP_F_CLEANUP
    for cses in list(cap.cc_sessionset.values()):
        crypto_session_migrate(cs, cses)
    q = cap.cc_q
    cap.cc_q = deque()
    cap.cc_qblocked = False
    for crp in q:
        crp.crp_etype = errno.EAGAIN
        crypto_done(crp)
    if cap.cc_sessions == 0:
        cs.crypto_drivers[hid] = None
    return 0


def crypto_unblock(k: Any, hid: int, what: int = CRYPTO_SYMQ) -> int:
    """The driver has room again: feed it its queued requests (from ``crypto_proc``)."""
    cs = _state(k)
    cap = crypto_checkdriver(k, hid)
    if cap is None:
        return _EINVAL
    if what & CRYPTO_SYMQ:
        cap.cc_qblocked = False
        if cap.cc_q:
            _schedule_proc(cs)
    return 0


def _probe(cap: cryptocap, csp: crypto_session_params) -> int:
    """The driver's answer for ``csp``: a CRYPTODEV_PROBE_* value, or > 0 (no)."""
    algs = cap.cc_alg
    if csp.csp_cipher_alg and csp.csp_cipher_alg not in algs:
        return _EINVAL
    if csp.csp_auth_alg and csp.csp_auth_alg not in algs:
        return _EINVAL
    probe = cap.cc_methods.probesession
    if probe is not None:
        return probe(cap.cc_dev, csp)
    return CRYPTODEV_PROBE_HARDWARE if cap.hardware else CRYPTODEV_PROBE_SOFTWARE


def crypto_select_driver(cs: crypto_state, csp: crypto_session_params, flags: int,
                         exclude: Optional[cryptocap] = None) -> Optional[cryptocap]:
    """``crypto_select_driver``: best probe value, then fewest sessions."""
    if not cs.crypto_allow_soft:
        flags &= ~CRYPTOCAP_F_SOFTWARE
    if not cs.crypto_allow_hard:
        flags &= ~CRYPTOCAP_F_HARDWARE
    best: Optional[cryptocap] = None
    best_pri = 0
    for cap in cs.crypto_drivers:
        if cap is None or cap is exclude or cap.cc_flags & CRYPTOCAP_F_CLEANUP:
            continue
        if not cap.cc_flags & flags & _HW_SW:
            continue
        pri = _probe(cap, csp)
        if pri > 0:
            continue
        if best is None or pri > best_pri or (pri == best_pri
                                              and cap.cc_sessions < best.cc_sessions):
            best, best_pri = cap, pri
    return best


# ---------------------------------------------------------------------------
# sessions
# ---------------------------------------------------------------------------
def crypto_newsession(k: Any, csp: crypto_session_params,
                      crid: int = _HW_SW) -> tuple[int, Optional[crypto_session]]:
    """Open a session: ``(0, session)``, or ``(errno, None)``.

    EINVAL: parameters that make no sense (unknown algorithm, a key or IV of
    the wrong size, an ICV longer than the digest, a mode and algorithm that
    do not go together).  EOPNOTSUPP: no allowed driver can do it.  ``crid``
    is CRYPTOCAP_F_HARDWARE and/or CRYPTOCAP_F_SOFTWARE, or one driver's hid.
    """
    cs = _state(k)
    if not isinstance(csp, crypto_session_params):
        return _EINVAL, None
    csp = csp.copy()
    if not check_csp(csp):
        return _EINVAL, None
    if crid & _HW_SW:
        cap = crypto_select_driver(cs, csp, crid)
    else:
        cap = crypto_checkdriver(k, crid)
        if cap is not None and (cap.cc_flags & CRYPTOCAP_F_CLEANUP or _probe(cap, csp) > 0):
            cap = None
    if cap is None:
        cs.cryptostats.cs_nodriver += 1
        return errno.EOPNOTSUPP, None
    cses = crypto_session(cs, cs.next_sid, csp, crid)
    cs.next_sid += 1
    err = _attach_session(cap, cses)
    if err:
        return err, None
    return 0, cses


def _attach_session(cap: cryptocap, cses: crypto_session) -> int:
    err = cap.cc_methods.newsession(cap.cc_dev, cses, cses.cs_csp)
    if err:
        return err
    cses.cs_cap = cap
    cap.cc_sessions += 1
    cap.cc_sessionset[cses.cs_id] = cses
    return 0


def _detach_session(cses: crypto_session) -> None:
    cap = cses.cs_cap
    if cap is None:
        return
    cap.cc_methods.freesession(cap.cc_dev, cses)
    cses.cs_softc = None
    cap.cc_sessions -= 1
    cap.cc_sessionset.pop(cses.cs_id, None)
    if cap.cc_flags & CRYPTOCAP_F_CLEANUP and cap.cc_sessions == 0:
        drivers = cses.cs_crypto.crypto_drivers
        if 0 <= cap.cc_hid < len(drivers) and drivers[cap.cc_hid] is cap:
            drivers[cap.cc_hid] = None


def crypto_session_migrate(cs: crypto_state, cses: crypto_session) -> bool:
    """Move a session off its (unregistering) driver to the best other one."""
    old = cses.cs_cap
    flags = cses.cs_crid & _HW_SW or _HW_SW
    new = crypto_select_driver(cs, cses.cs_csp, flags, exclude=old)
    if new is None:
        return False
    old_softc = cses.cs_softc
    if new.cc_methods.newsession(new.cc_dev, cses, cses.cs_csp):
        cses.cs_softc = old_softc            # stays on the dying driver: requests fail ENXIO
        return False
    new_softc = cses.cs_softc
    cses.cs_softc = old_softc
    _detach_session(cses)
    cses.cs_softc = new_softc
    cses.cs_cap = new
    new.cc_sessions += 1
    new.cc_sessionset[cses.cs_id] = cses
    cs.cryptostats.cs_migrated += 1
    return True


def crypto_freesession(cses: Optional[crypto_session]) -> None:
    """Close a session; requests still in flight complete as usual."""
    if cses is None or cses.cs_freed:
        return
    cses.cs_freed = True
    _detach_session(cses)


def crypto_get_params(cses: crypto_session) -> crypto_session_params:
    return cses.cs_csp


def crypto_get_driver_session(cses: crypto_session) -> Any:
    return cses.cs_softc


def crypto_ses2hid(cses: crypto_session) -> int:
    return cses.cs_cap.cc_hid


def crypto_ses2caps(cses: crypto_session) -> int:
    return cses.cs_cap.cc_flags


def crypto_getreq(cses: crypto_session) -> cryptop:
    """A request on ``cses`` (``crypto_getreq``); the caller fills in the rest."""
    return cryptop(cses)


# ---------------------------------------------------------------------------
# requests
# ---------------------------------------------------------------------------
def crp_sanity(crp: cryptop, cses: crypto_session) -> int:
    """crypto.c's ``crp_sanity``: 0, or EINVAL for a request the session cannot do.

    FreeBSD asserts these; here a bad request fails and is counted (cs_badreq).
    Every region must lie in the buffer: written as chained integer compares,
    as this runs for each request.
    """
    buf = crp.crp_buf
    if buf is None or cses.cs_freed:
        return _EINVAL
    blen = len(buf) - crp.crp_buf_start
    op = crp.crp_op
    if cses.cs_digest_only:
        if op != 0 and op != CRYPTO_OP_VERIFY_DIGEST:
            return _EINVAL
    elif op != CRYPTO_OP_ENCRYPT and op != CRYPTO_OP_DECRYPT:
        return _EINVAL
    ps = crp.crp_payload_start
    pl = crp.crp_payload_length
    if not (0 <= ps and 0 <= pl and ps + pl <= blen):
        return _EINVAL
    ivlen = cses.cs_ivlen
    if ivlen:
        if crp.crp_flags & CRYPTO_F_IV_SEPARATE:
            if len(crp.crp_iv) < ivlen:
                return _EINVAL
        elif not 0 <= crp.crp_iv_start <= blen - ivlen:
            return _EINVAL
    al = crp.crp_aad_length
    aad = crp.crp_aad
    if cses.cs_cipher_only:
        return _EINVAL if al or aad is not None else 0
    if al < 0:
        return _EINVAL
    if aad is not None:
        if not cses.cs_sep_aad or len(aad) < al:
            return _EINVAL
    elif al and not 0 <= crp.crp_aad_start <= blen - al:
        return _EINVAL
    if not 0 <= crp.crp_digest_start <= blen - cses.cs_mlen:
        return _EINVAL
    if cses.cs_esn and len(crp.crp_esn) != 4:
        return _EINVAL
    return 0


def crypto_dispatch(crp: cryptop) -> int:
    """Hand a request to its session's driver (``crypto_dispatch``). Always returns 0.

    The outcome arrives in ``crp_callback``: at once for a synchronous driver
    with CRYPTO_F_CBIFSYNC (or with CRYPTO_F_CBIMM), else as a later event.
    """
    cses = crp.crp_session
    cs: crypto_state = cses.cs_crypto
    st = cs.cryptostats
    st.cs_ops += 1
    if crp.crp_callback is None:
        raise ValueError("crypto_dispatch: request without crp_callback")   # KASSERT
    crp.crp_etype = 0
    crp.crp_flags &= ~CRYPTO_F_DONE
    err = crp_sanity(crp, cses)
    if err:
        st.cs_badreq += 1
        crp.crp_driver = None
        crp.crp_etype = err
        crypto_done(crp)
        return 0
    cap = cses.cs_cap
    if cap.cc_q or cap.cc_qblocked or crp.crp_flags & CRYPTO_F_BATCH:
        _enqueue(cs, cap, crp)
        return 0
    if crypto_invoke(cap, crp, 0) == _ERESTART:
        # The driver ran out of resources: mark it blocked, queue the request.
        cap.cc_qblocked = True
        cap.cc_blocks += 1
        st.cs_blocks += 1
        cap.cc_q.append(crp)
    return 0


def _enqueue(cs: crypto_state, cap: cryptocap, crp: cryptop) -> None:
    if len(cap.cc_q) >= cs.crypto_queue_maxlen:
        cap.cc_qfull += 1
        cs.cryptostats.cs_qfull += 1
        crp.crp_driver = None
        crp.crp_etype = errno.ENOBUFS
        crypto_done(crp)
        return
    cap.cc_q.append(crp)
    if not cap.cc_qblocked:
        _schedule_proc(cs)


def crypto_invoke(cap: cryptocap, crp: cryptop, hint: int) -> int:
    """Give one request to the driver: 0 (it will complete it) or ERESTART."""
    if cap.cc_flags & CRYPTOCAP_F_CLEANUP:
        # The driver is unregistering: move the session, have the consumer retry.
        cses = crp.crp_session
        cs = cses.cs_crypto
        crp.crp_driver = None
        if cses.cs_cap is cap and not crypto_session_migrate(cs, cses):
            crp.crp_etype = errno.ENXIO
        else:
            crp.crp_etype = errno.EAGAIN
        crypto_done(crp)
        return 0
    crp.crp_driver = cap
    result = cap.cc_process(cap.cc_dev, crp, hint)
    if result == 0:
        cap.cc_ops += 1
        cap.cc_bytes += crp.crp_payload_length
    elif result != _ERESTART:
        crp.crp_etype = result
        crypto_done(crp)
        return 0
    return result


def crypto_done(crp: cryptop) -> None:
    """A request is finished (called by drivers): count, then run or queue the callback."""
    cses = crp.crp_session
    cap = crp.crp_driver
    if crp.crp_etype:
        cses.cs_crypto.cryptostats.cs_errs += 1
        if cap is not None:
            cap.cc_errs += 1
            if crp.crp_etype == errno.EBADMSG:
                cap.cc_authfail += 1
    flags = crp.crp_flags | CRYPTO_F_DONE
    crp.crp_flags = flags
    if flags & CRYPTO_F_CBIMM or (flags & CRYPTO_F_CBIFSYNC and (
            cap is None or cap.cc_flags & CRYPTOCAP_F_SYNC)):
        crp.crp_callback(crp)  # type: ignore[misc]
        return
    cs = cses.cs_crypto
    cs.crp_ret_q.append(crp)
    if not cs.ret_scheduled:
        cs.ret_scheduled = True
        cs.k.platform.call_later(0, crypto_ret_proc, cs)


def crypto_ret_proc(cs: crypto_state) -> None:
    """The return "thread": run the callbacks of completed requests, in order."""
    cs.ret_scheduled = False
    cs.cryptostats.cs_rets += 1
    q = cs.crp_ret_q
    while q:
        crp = q.popleft()
        crp.crp_callback(crp)  # type: ignore[misc]


def _schedule_proc(cs: crypto_state) -> None:
    if not cs.proc_scheduled:
        cs.proc_scheduled = True
        cs.k.platform.call_later(0, crypto_proc, cs)


def crypto_proc(cs: crypto_state) -> None:
    """The dispatch "thread": feed each unblocked driver its queued requests."""
    cs.proc_scheduled = False
    cs.cryptostats.cs_intrs += 1
    for cap in list(cs.crypto_drivers):
        if cap is None:
            continue
        q = cap.cc_q
        while q and not cap.cc_qblocked:
            crp = q.popleft()
            if crypto_invoke(cap, crp, CRYPTO_HINT_MORE if q else 0) == _ERESTART:
                q.appendleft(crp)
                cap.cc_qblocked = True
                cap.cc_blocks += 1
                cs.cryptostats.cs_blocks += 1
