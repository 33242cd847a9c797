"""IPv4 (and dual-stack) versions of ipsec_lab: ``left`` 10.0.0.1, ``right``
10.0.0.2 on link0 (also 2001:db8:12::1/2 with ``v6=True``), keyed by setkey
scripts; UDP_ENCAP sockets for NAT-T; a tap on the wire (``Wire4``)."""
from __future__ import annotations

from typing import Any

from emu.sched import SEC
from kernel.kern.uipc_socket import sobind, socreate, sockopt, sosetopt
from kernel.wire.in_ import AF_INET, INADDR_ANY, sockaddr_in
from kernel.wire.in6 import AF_INET6, sockaddr_in6
from kernel.wire.socket import SOCK_DGRAM
from kernel.wire.udp import UDP_ENCAP, UDP_ENCAP_ESPINUDP
from tests.kernel.netipsec.ipsec_lab import L, R, Wire, ok, setkey
from tests.userland.netlab import pair, up

L4 = "10.0.0.1"
R4 = "10.0.0.2"
EK = bytes([0x22]) * 16
AK = bytes([0x11]) * 20
GK = bytes([0x44]) * 20                  # AES-128 key + 4-byte salt (RFC 4106)
CBC = ("-E aes-cbc 0x" + EK.hex() + " -A hmac-sha1 0x" + AK.hex(),
       dict(crypt_algo="AES-CBC", crypt_key=EK, auth_algo="HMAC-SHA1-96", auth_key=AK))
GCM = ("-E aes-gcm-16 0x" + GK.hex(),
       dict(crypt_algo="AES-GCM", crypt_key=GK, auth_algo="NULL", auth_key=None))


def lab4(v6: bool = False, seed: int = 1) -> Any:
    lab = pair(seed=seed)
    if v6:
        up(lab, "left", L)
        up(lab, "right", R)
    ok(lab, "left", f"ifconfig em0 inet {L4}/24 up")
    ok(lab, "right", f"ifconfig em0 inet {R4}/24 up")
    lab.run_for(SEC)
    return lab


def sa_script(me: str, peer: str, alg: str, proto: str = "esp", mode: str = "transport",
              upper: str = "any", extra: str = "", ports: str = "",
              tunnel: tuple = ()) -> str:
    """SAs both ways (0x1000 from the first of L/L4, 0x2000 back) and the two
    policies of ``me``; ``ports`` "[4500]" with proto esp-udp for NAT-T;
    ``tunnel`` (my endpoint, peer's endpoint) for a tunnel whose SAs are
    between other addresses than the policy's."""
    first = me in (L, L4)
    so, si = (0x1000, 0x2000) if first else (0x2000, 0x1000)
    te, tp = tunnel or (me, peer)
    req = "" if mode == "transport" else f"{te}-{tp}"
    p = "esp" if proto == "esp-udp" else proto
    return (f"flush;\nspdflush;\n"
            f"add {te}{ports} {tp}{ports} {proto} {so:#x} -m {mode} {extra} {alg};\n"
            f"add {tp}{ports} {te}{ports} {proto} {si:#x} -m {mode} {extra} {alg};\n"
            f"spdadd {me} {peer} {upper} -P out ipsec {p}/{mode}/{req}/require;\n"
            f"spdadd {peer} {me} {upper} -P in ipsec {p}/{mode}/{'-'.join((tp, te)) if req else ''}"
            f"/require;\n")


def keyed4(script_left: str, script_right: str, v6: bool = False) -> Any:
    lab = lab4(v6)
    setkey(lab, "left", script_left)
    setkey(lab, "right", script_right)
    return lab


def encap_socket(lab: Any, host: str, family: int = AF_INET, port: int = 4500,
                 encap: bool = True) -> Any:
    """The IKE daemon's NAT-T socket: bound to ``port``, UDP_ENCAP set."""
    k = lab.machines[host].kernel
    so = socreate(k, family, SOCK_DGRAM, 0, None)
    sobind(so, sockaddr_in(INADDR_ANY, port) if family == AF_INET
           else sockaddr_in6(bytes(16), port), None)
    if encap:
        sosetopt(so, sockopt(1, 17, UDP_ENCAP, UDP_ENCAP_ESPINUDP))
    return so


class Wire4(Wire):
    def ip4(self, proto: int = -1) -> list[bytes]:
        return [f for f in self.frames if f[12:14] == b"\x08\x00" and (proto < 0 or f[23] == proto)]


__all__ = ["L4", "R4", "L", "R", "EK", "AK", "GK", "CBC", "GCM", "lab4", "sa_script", "keyed4",
           "encap_socket", "Wire4", "AF_INET6"]
