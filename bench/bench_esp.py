"""ESP round trips per second between two emulated hosts, against plain IPv6 in the same run.

``ping6 -f -q -c N bob`` on alice, as bench_ping6.py measures it, in a lab of two
hosts on one 1 Gbit/s segment, with:

* **plain** — no IPsec: the reference, measured in the same run;
* **ESP transport mode** between alice and bob (RFC 4303), keyed by a setkey
  script that the lab file gives each host as /etc/ipsec.conf and /etc/rc
  loads at boot (``ipsec_enable``), with AES-GCM-16 (RFC 4106) or AES-CBC +
  HMAC-SHA1-96 (RFC 3602, RFC 2404), each through
  * **soft**: cryptosoft (opencrypto's software driver), or
  * **kce**: the KCE-1 offload card (``crypto = "kce"``, drivers/kce.py, the
    model of docs/hw/kce.md), which opencrypto prefers for every session it
    can take.

Each ESP round trip is four crypto requests (encrypt and decrypt each way).
Wall-clock round trips per second; the lab runs in virtual time, as fast as it
goes.  Each run checks that every echo went through ESP (the SAs' packet
counts) and through the driver named (``kern.crypto.drivers`` operations).

The ratio column is the cost per round trip divided by plain IPv6's cost in the
same run.  Targets (issue 5): AES-GCM >= 10k round trips/s, ESP costing no
more than 2x plain IPv6 per packet.

Run:  .venv/bin/python bench/bench_esp.py [-n N] [--json] [--profile CASE]
"""
from __future__ import annotations

import argparse
import gc
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Optional

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from emu.lab import Lab  # noqa: E402
from emu.sched import SEC  # noqa: E402
from kernel.kern.kern_sysctl import sysctl_find  # noqa: E402

A, B = "2001:db8:1::a", "2001:db8:1::b"
ALGS = {
    "aes-gcm": "-E aes-gcm-16 0x{k}0102030405060708090a0b0c0d0e0f10111213",
    "aes-cbc+hmac-sha1": ("-E aes-cbc 0x{k}0102030405060708090a0b0c0d0e0f "
                          "-A hmac-sha1 0x{k}5152535455565758595a5b5c5d5e5f60616263"),
}
CASES = [("plain", None, None)] + [(f"{alg} {drv}", alg, drv) for alg in ALGS
                                   for drv in ("soft", "kce")]


def script(me: str, peer: str, alg: str) -> str:
    """A transport-mode setkey script for ``me``: an SA each way, policies for both."""
    sa = ALGS[alg]
    return (f"flush;\nspdflush;\n"
            f"add {A} {B} esp 0x1001 -m transport {sa.format(k='00')};\n"
            f"add {B} {A} esp 0x1002 -m transport {sa.format(k='20')};\n"
            f"spdadd {me} {peer} any -P out ipsec esp/transport//require;\n"
            f"spdadd {peer} {me} any -P in ipsec esp/transport//require;\n")


def lab_toml(alg: Optional[str], driver: Optional[str]) -> str:
    out = ['[lab]\nname = "esp"\nseed = 1\n\n[segment.lan0]\nlatency = "1us"\nrate = "1Gbit"\n']
    for name, me, peer in (("alice", A, B), ("bob", B, A)):
        out.append(f'[host.{name}]\nimage = "host"\nnic = [{{model = "em", segment = "lan0"}}]')
        if driver == "kce":
            out.append('crypto = "kce"')
        out.append(f'[host.{name}.rc]\nifconfig_em0_ipv6 = "inet6 {me} prefixlen 64"')
        if alg is not None:
            out.append('ipsec_enable = true\nipsec_file = "/etc/ipsec.conf"')
            out.append(f'[host.{name}.files]\n"/etc/ipsec.conf" = """\n{script(me, peer, alg)}"""')
        out.append("")
    return "\n".join(out)


def make_lab(alg: Optional[str], driver: Optional[str]) -> Lab:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "esp.toml"
        path.write_text(lab_toml(alg, driver))
        lab = Lab.from_file(path)
    lab.boot(settle=3 * SEC)
    return lab


def sysctl(lab: Lab, host: str, name: str) -> Any:
    return sysctl_find(lab.machines[host].kernel, name).get()


def crypto_ops(lab: Lab, host: str) -> dict[str, int]:
    """Operations per crypto driver (``kern.crypto.drivers``), by driver name."""
    return {d["name"]: d["ops"] for d in sysctl(lab, host, "kern.crypto.drivers")}


def esp_packets(lab: Lab, host: str) -> tuple[int, int]:
    st = sysctl(lab, host, "net.inet6.ipsec6.stats")
    return st["out_success"], st["in_success"]


def run_case(alg: Optional[str], driver: Optional[str], n: int,
             profile: Optional[str] = None) -> dict:
    lab = make_lab(alg, driver)
    status, out = lab.run_command("alice", "ping6 -c 1 bob")   # ND done: the steady state
    assert status == 0 and "1 packets received" in out, out
    out0, in0 = esp_packets(lab, "alice")
    ops0 = crypto_ops(lab, "alice")
    gc.collect()
    prof = None
    if profile:
        import cProfile
        prof = cProfile.Profile()
        prof.enable()
    t = time.perf_counter()
    status, out = lab.run_command("alice", f"ping6 -f -q -c {n} bob", timeout=3600 * SEC)
    wall = time.perf_counter() - t
    if prof is not None:
        prof.disable()
        prof.dump_stats(profile)
    assert status == 0 and f"{n} packets transmitted, {n} packets received" in out, out
    out1, in1 = esp_packets(lab, "alice")
    ops1 = crypto_ops(lab, "alice")
    ops = {d: ops1.get(d, 0) - ops0.get(d, 0) for d in ops1 if ops1.get(d, 0) - ops0.get(d, 0)}
    res = {"round_trips": n, "wall_s": wall, "per_s": n / wall, "us_per_rt": wall / n * 1e6,
           "esp_out": out1 - out0, "esp_in": in1 - in0, "crypto_ops_alice": ops,
           "rtt_line": out.strip().splitlines()[-1]}
    if alg is not None:
        # every echo request left in ESP and every reply came back in ESP
        assert res["esp_out"] >= n and res["esp_in"] >= n, res
        assert sum(ops.values()) >= 2 * n, res
        if driver == "kce":
            assert all(d.startswith("kce") for d in ops), res
        else:
            assert all(not d.startswith("kce") for d in ops), res
    lab.close()
    return res


def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-n", type=int, default=10000, help="round trips per case (default 10000)")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--profile", metavar="CASE",
                    help="cProfile one case (e.g. 'aes-gcm soft') into esp-CASE.prof")
    a = ap.parse_args(argv)
    res: dict[str, Any] = {}
    for name, alg, drv in CASES:
        prof = f"esp-{name.replace(' ', '-')}.prof" if a.profile == name else None
        res[name] = run_case(alg, drv, a.n, prof)
    plain = res["plain"]["us_per_rt"]
    for name in res:
        res[name]["ratio_to_plain"] = res[name]["us_per_rt"] / plain
    if a.json:
        print(json.dumps(res, indent=2))
        return 0
    print(f"ping6 -f -q -c {a.n} between two hosts, ESP transport mode, wall time:")
    print(f"  {'case':<26} {'round trips/s':>13} {'µs each':>8} {'x plain':>8}   crypto ops on alice")
    for name, r in res.items():
        ops = ", ".join(f"{d} {v}" for d, v in r["crypto_ops_alice"].items()) or "-"
        print(f"  {name:<26} {r['per_s']:>13,.0f} {r['us_per_rt']:>8.1f} "
              f"{r['ratio_to_plain']:>8.2f}   {ops}")
    gcm = res["aes-gcm soft"]
    print(f"targets: AES-GCM >= 10k round trips/s: {gcm['per_s']:,.0f} "
          f"({'met' if gcm['per_s'] >= 10_000 else 'missed'}); ESP <= 2x plain per packet: "
          f"AES-GCM {gcm['ratio_to_plain']:.2f}x "
          f"({'met' if gcm['ratio_to_plain'] <= 2 else 'missed'}), AES-CBC+HMAC-SHA1 "
          f"{res['aes-cbc+hmac-sha1 soft']['ratio_to_plain']:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
