"""Two hosts (``left`` 2001:db8:12::1, ``right`` 2001:db8:12::2) on one segment,
keyed by setkey scripts, for the netipsec tests.

    lab = keyed(script_left, script_right, capture=tmp_path)
    ok(lab, "left", "ping6 -c 1 2001:db8:12::2")
"""
from __future__ import annotations

from typing import Any

from emu.sched import SEC
from kernel.kern.vfs import namei_parent, vn_create, vn_setdata
from tests.userland.netlab import pair, up

L = "2001:db8:12::1"
R = "2001:db8:12::2"


def put_file(lab: Any, host: str, path: str, text: str) -> None:
    """Write ``path`` into the host's filesystem (as an image would seed it)."""
    k = lab.machines[host].kernel
    dvp, name = namei_parent(k, None, path)
    vp = dvp.v_dir.get(name)
    if vp is None:
        vp = vn_create(k, dvp, name, 1, 0o644)
    vn_setdata(vp, text.encode())


def ok(lab: Any, host: str, line: str) -> str:
    status, out = lab.run_command(host, line)
    assert status == 0, f"{host}: {line}: {out}"
    return out


def setkey(lab: Any, host: str, script: str) -> None:
    put_file(lab, host, "/etc/ipsec.conf", script)
    ok(lab, host, "setkey -f /etc/ipsec.conf")


def keyed(left: str, right: str, capture: Any = None, seed: int = 1) -> Any:
    lab = pair(seed=seed, capture=capture)
    up(lab, "left", L)
    up(lab, "right", R)
    setkey(lab, "left", left)
    setkey(lab, "right", right)
    return lab


def stats(lab: Any, host: str, name: str) -> dict:
    k = lab.machines[host].kernel
    from kernel.kern.kern_sysctl import sysctl_find
    return sysctl_find(k, name).get()


def esp_script(me: str, peer: str, enc: str, ekey: str, auth: str = "", akey: str = "",
               proto: str = "esp", extra: str = "") -> str:
    """SAs both ways (0x1000 left->right, 0x2000 right->left) and the policies."""
    alg = f"-E {enc} {ekey}" if proto == "esp" else ""
    if auth:
        alg += f" -A {auth} {akey}"
    spi_out, spi_in = (0x1000, 0x2000) if me == L else (0x2000, 0x1000)
    return (f"flush;\nspdflush;\n"
            f"add {me} {peer} {proto} {spi_out:#x} {extra} {alg};\n"
            f"add {peer} {me} {proto} {spi_in:#x} {extra} {alg};\n"
            f"spdadd {me} {peer} any -P out ipsec {proto}/transport//require;\n"
            f"spdadd {peer} {me} any -P in ipsec {proto}/transport//require;\n")


__all__ = ["L", "R", "put_file", "ok", "setkey", "keyed", "stats", "esp_script", "SEC"]


class Wire:
    """A tap on link0: every frame seen (``frames``), and ``inject(frame)``."""

    closed = False

    def __init__(self, lab: Any) -> None:
        self.frames: list[bytes] = []
        seg = lab.segments["link0"]
        seg.add_capture(self)
        self.port = seg.attach(self, name="tap")
        self.lab = lab

    def write_frame(self, key: Any, ts_ns: int, frame: bytes) -> None:
        self.frames.append(bytes(frame))

    def receive_frame(self, frame: bytes) -> None:
        pass

    def link_changed(self, up: bool) -> None:
        pass

    def ip6(self, nxt: int = -1) -> list[bytes]:
        return [f for f in self.frames if f[12:14] == b"\x86\xdd" and (nxt < 0 or f[20] == nxt)]

    def inject(self, frame: bytes) -> None:
        self.port.transmit(frame)
        self.lab.run_for(SEC // 10)
