"""Per-packet cost of opencrypto: cryptosoft and the KCE-1 offload path, against bare `cryptography`.

For ESP-like requests (8-byte header as AAD, IV, payload, ICV after it) of a
few sizes, the time per request of:

* **bare** — a loop calling the ``cryptography`` package directly, as cheaply
  as one can: a reused ``AESGCM`` object (GCM); a new AES-CBC encryptor per
  packet plus a copied HMAC context (CBC+HMAC-SHA1-96);
* **cryptosoft** — ``crypto_dispatch`` of a prepared ``cryptop`` with
  CRYPTO_F_CBIFSYNC, the callback run inside (what ESP will do);
* **kce** — the same requests through the kce(4) driver and the KCE-1 model,
  32 in flight: descriptor and bounce-buffer copies, doorbell, the model's
  DMA and crypto, interrupt, completion through crypto_ret_proc.  Wall time
  per request (the virtual time the card takes is not wall time).

The ratio column is the time divided by bare's in the same run.  DESIGN.md's
budget: AES-GCM with a reused AESGCM object ≈ 1.3–2.4 µs per packet, CBC+HMAC
≈ 11 µs.

Run:  .venv/bin/python bench/bench_crypto.py [--n N] [--json]
"""
from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cryptography.hazmat.primitives import hashes  # noqa: E402
from cryptography.hazmat.primitives import hmac as chmac  # noqa: E402
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes  # noqa: E402
from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # noqa: E402

from drivers.kce import kce_driver  # noqa: E402
from emu.devices.kce import KCE  # noqa: E402
from emu.machine import Machine  # noqa: E402
from emu.sched import Scheduler  # noqa: E402
from kernel.kern.init_main import Kernel, KernelConfig  # noqa: E402
from kernel.opencrypto.crypto import crypto_dispatch, crypto_newsession  # noqa: E402
from kernel.opencrypto.cryptodev import (  # noqa: E402
    CRYPTO_AES_CBC, CRYPTO_AES_NIST_GCM_16, CRYPTO_F_CBIFSYNC, CRYPTO_OP_DECRYPT,
    CRYPTO_OP_ENCRYPT, CRYPTO_SHA1_HMAC, CRYPTOCAP_F_HARDWARE, CRYPTOCAP_F_SOFTWARE,
    CSP_MODE_AEAD, CSP_MODE_ETA, crypto_session_params, crypto_use_buf, cryptop,
)

KEY = bytes(range(16))
SALT = b"salt"
HKEY = bytes(range(20))
GCM_CSP = crypto_session_params(csp_mode=CSP_MODE_AEAD, csp_cipher_alg=CRYPTO_AES_NIST_GCM_16,
                                csp_cipher_key=KEY + SALT, csp_ivlen=8)
CBC_CSP = crypto_session_params(csp_mode=CSP_MODE_ETA, csp_cipher_alg=CRYPTO_AES_CBC,
                                csp_cipher_key=KEY, csp_ivlen=16, csp_auth_alg=CRYPTO_SHA1_HMAC,
                                csp_auth_key=HKEY, csp_auth_mlen=12)


def best_of(fn: Callable[[], None], n: int, repeat: int = 5) -> float:
    """Best time per call (µs) over ``repeat`` runs of ``n`` calls."""
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        fn()
        best = min(best, (time.perf_counter() - t0) / n)
    return best * 1e6


# -- bare cryptography ---------------------------------------------------------
def bare_gcm(n: int, size: int) -> float:
    g = AESGCM(KEY)
    aad, payload = bytes(8), bytes(size)

    def loop() -> None:
        for i in range(n):
            g.encrypt(SALT + i.to_bytes(8, "big"), payload, aad)
    return best_of(loop, n)


def bare_cbc_hmac(n: int, size: int) -> float:
    aes = algorithms.AES(KEY)
    mac = chmac.HMAC(HKEY, hashes.SHA1())
    aad, payload = bytes(8), bytes(size)

    def loop() -> None:
        for i in range(n):
            iv = i.to_bytes(16, "big")
            ct = Cipher(aes, modes.CBC(iv)).encryptor().update(payload)
            m = mac.copy()
            m.update(aad)
            m.update(iv)
            m.update(ct)
            m.finalize()[:12]
    return best_of(loop, n)


# -- opencrypto ------------------------------------------------------------------
def _kernel(card: bool) -> tuple[Any, Any, Any]:
    sched = Scheduler(1)
    m = Machine(sched, "bench")
    devices = []
    if card:
        m.plug(KCE())
        devices = [kce_driver]
    k = Kernel(m.platform, KernelConfig(devices=devices, hints={"hw.kce.ndesc": "64"}))
    k.boot()
    return sched, m, k


def _request(cses: Any, size: int, ivlen: int, mlen: int, op: int,
             callback: Callable[[cryptop], Any]) -> cryptop:
    buf = bytearray(8 + ivlen + size + mlen)
    crp = cryptop(cses)
    crypto_use_buf(crp, buf)
    crp.crp_op = op
    crp.crp_flags = CRYPTO_F_CBIFSYNC
    crp.crp_aad_start, crp.crp_aad_length = 0, 8
    crp.crp_iv_start = 8
    crp.crp_payload_start, crp.crp_payload_length = 8 + ivlen, size
    crp.crp_digest_start = 8 + ivlen + size
    crp.crp_callback = callback
    return crp


def soft(n: int, size: int, csp: crypto_session_params, decrypt: bool = False) -> float:
    _sched, _m, k = _kernel(False)
    err, cses = crypto_newsession(k, csp, CRYPTOCAP_F_SOFTWARE)
    assert err == 0
    mlen = 12 if csp.csp_mode == CSP_MODE_ETA else 16
    done: list[cryptop] = []
    crp = _request(cses, size, csp.csp_ivlen, mlen, CRYPTO_OP_ENCRYPT, done.append)
    if decrypt:                        # a valid packet to decrypt again and again
        crypto_dispatch(crp)
        sealed = bytes(crp.crp_buf)  # type: ignore[arg-type]
        crp.crp_op = CRYPTO_OP_DECRYPT
        buf = crp.crp_buf

        def loop() -> None:
            for _ in range(n):
                buf[:] = sealed  # type: ignore[index]
                crypto_dispatch(crp)
    else:
        def loop() -> None:
            for _ in range(n):
                crypto_dispatch(crp)
    t = best_of(loop, n)
    assert crp.crp_etype == 0 and len(done) >= n, (crp.crp_etype, len(done), n)
    return t


def offload(n: int, size: int, csp: crypto_session_params, inflight: int = 32) -> float:
    sched, m, k = _kernel(True)
    err, cses = crypto_newsession(k, csp, CRYPTOCAP_F_HARDWARE)
    assert err == 0 and cses.cs_cap.cc_name == "kce0"
    mlen = 12 if csp.csp_mode == CSP_MODE_ETA else 16
    state = {"left": 0, "done": 0}

    def callback(crp: cryptop) -> None:
        state["done"] += 1
        if state["left"]:
            state["left"] -= 1
            crypto_dispatch(crp)

    reqs = [_request(cses, size, csp.csp_ivlen, mlen, CRYPTO_OP_ENCRYPT, callback)
            for _ in range(inflight)]

    def loop() -> None:
        state["left"] = n - inflight
        state["done"] = 0
        for crp in reqs:
            crypto_dispatch(crp)
        while state["done"] < n:
            nt = sched.next_time()
            if nt is None:
                break
            sched.run_until(nt)
    t = best_of(loop, n, repeat=3)
    assert state["done"] == n and m.panicked is None
    assert all(r.crp_etype == 0 for r in reqs)
    return t


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=20000, help="requests per measurement")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    n = args.n
    rows = []
    for name, csp, bare in (("AES-GCM-16 (RFC 4106)", GCM_CSP, bare_gcm),
                            ("AES-CBC + HMAC-SHA1-96", CBC_CSP, bare_cbc_hmac)):
        for size in (64, 512, 1408):         # whole AES blocks, as ESP pads
            b = bare(n, size)
            row = {"alg": name, "size": size, "bare_us": b,
                   "soft_enc_us": soft(n, size, csp), "soft_dec_us": soft(n, size, csp, True),
                   "kce_enc_us": offload(max(1000, n // 5), size, csp)}
            for key in ("soft_enc", "soft_dec", "kce_enc"):
                row[key + "_ratio"] = row[key + "_us"] / b
            rows.append(row)
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(f"{'algorithm':24} {'bytes':>5} {'bare µs':>8} {'soft enc':>14} {'soft dec':>14} "
          f"{'kce enc (wall)':>16}")
    for r in rows:
        print(f"{r['alg']:24} {r['size']:5d} {r['bare_us']:8.2f} "
              f"{r['soft_enc_us']:7.2f} ({r['soft_enc_ratio']:4.2f}x) "
              f"{r['soft_dec_us']:7.2f} ({r['soft_dec_ratio']:4.2f}x) "
              f"{r['kce_enc_us']:8.2f} ({r['kce_enc_ratio']:4.2f}x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
