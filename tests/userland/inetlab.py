"""Labs with IPv4 for the tests of ping and arp.

Kernels boot with init_main's SYSINITS; until the IPv4 SYSINITs are in that
list, ``inet`` (a fixture) adds them for the test.  Addresses are given
through the SIOCAIFADDR ioctl (``in_control``), as ``ifconfig em0 inet
ADDR/LEN`` will.

    pair4(inet)      left 10.0.0.1/24 and right 10.0.0.2/24 on link0
    routed4(inet)    left 10.0.1.1 - router (forwarding) - right 10.0.2.1
"""
from __future__ import annotations

from typing import Any

import pytest

from emu.lab import Lab, program_table
from emu.sched import MS, SEC
from kernel.netinet import in_ as _in, in_rmx
from kernel.wire.in_ import in_len2mask, inet_pton4, sockaddr_in
from kernel.wire.in_var import SIOCAIFADDR, in_aliasreq
from kernel.wire.route import RTF_GATEWAY, RTM_ADD
from tests.userland.netlab import pair

INET_SYSINITS = ["kernel.netinet.ip_input:ip_init", "kernel.netinet.if_ether:arp_init"]
INET_PSEUDO = ["kernel.netinet.in_:in_loattach"]


@pytest.fixture
def inet(monkeypatch: Any) -> None:
    """The IPv4 SYSINITs in the boot lists, for the test."""
    from kernel.kern import init_main
    si = list(init_main.SYSINITS)
    si += [e for e in INET_SYSINITS if e not in si]
    monkeypatch.setattr(init_main, "SYSINITS", si)
    if hasattr(init_main, "PSEUDO_SYSINITS"):
        ps = list(init_main.PSEUDO_SYSINITS)
        ps += [e for e in INET_PSEUDO if e not in ps]
        monkeypatch.setattr(init_main, "PSEUDO_SYSINITS", ps)
    else:                                   # loattach is an ordinary SYSINIT there
        monkeypatch.setattr(init_main, "SYSINITS", si + [e for e in INET_PSEUDO if e not in si])


def inet_addr(lab: Lab, host: str, addr: str, plen: int = 24, ifname: str = "em0") -> None:
    k = lab.machines[host].kernel
    req = in_aliasreq(ifname, sockaddr_in(inet_pton4(addr)), None,
                      sockaddr_in(in_len2mask(plen)))
    assert _in.in_control(k, SIOCAIFADDR, req) == 0


def inet_route(lab: Lab, host: str, dst: str, plen: int, gw: str) -> None:
    k = lab.machines[host].kernel
    err, _ = in_rmx.in_rtrequest(k, RTM_ADD, inet_pton4(dst), plen, inet_pton4(gw), RTF_GATEWAY)
    assert err == 0


def pair4(capture: Any = None) -> Lab:
    lab = pair(capture=capture)
    inet_addr(lab, "left", "10.0.0.1")
    inet_addr(lab, "right", "10.0.0.2")
    lab.run_for(10 * MS)
    return lab


def routed4() -> Lab:
    lab = Lab(seed=1)
    lab.programs = program_table()
    s1 = lab.segment("link1")
    s2 = lab.segment("link2")
    lab.machine("left", nics=[("em", s1)])
    lab.machine("router", nics=[("em", s1), ("em", s2)])
    lab.machine("right", nics=[("em", s2)])
    lab.boot()
    inet_addr(lab, "left", "10.0.1.1")
    inet_addr(lab, "router", "10.0.1.254")
    inet_addr(lab, "router", "10.0.2.254", ifname="em1")
    inet_addr(lab, "right", "10.0.2.1")
    inet_route(lab, "left", "0.0.0.0", 0, "10.0.1.254")
    inet_route(lab, "right", "0.0.0.0", 0, "10.0.2.254")
    lab.machines["router"].kernel.ip.ipforwarding = 1
    lab.run_for(10 * MS)
    return lab


__all__ = ["inet", "pair4", "routed4", "inet_addr", "inet_route", "SEC", "MS"]
