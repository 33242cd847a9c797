"""An emulated host configures itself from radvd, the Linux router advertisement daemon.

radvd runs in the test's network namespace on the Linux side of the TAP (with
forwarding on, as it requires), advertising 2001:db8:5::/64 with short intervals
(MinRtrAdvInterval 3, MaxRtrAdvInterval 4).  Our host kame runs rtsold
(``ifconfig_em0_ipv6="inet6 accept_rtadv"``, ``rtsold_enable``): radvd's first
advertisements (the one it sends when it starts, and its answer to rtsold's Router
Solicitation) reach it at once, and kernel/netinet6/nd6_rtr.py configures the address
and the default router from them.
"""
from __future__ import annotations

import re
import time

import pytest

from emu.sched import MS
from tests.conftest import require_tool
from tests.interop.conftest import LINUX_LL, LINUX_MAC, run_lab_until, run_on

HOST = """\
[lab]
name = "radvd"
seed = 1

[segment.lan0]

[host.kame]
nic = [{model = "em", segment = "lan0", mac = "02:00:00:00:00:0a"}]

[host.kame.rc]
ifconfig_em0_ipv6 = "inet6 accept_rtadv"
rtsold_enable = true
"""
RADVD_CONF = """\
interface {tap} {{
    AdvSendAdvert on;
    MinRtrAdvInterval 3;
    MaxRtrAdvInterval 4;
    AdvDefaultLifetime 30;
    prefix 2001:db8:5::/64 {{
        AdvOnLink on;
        AdvAutonomous on;
        AdvValidLifetime 3600;
        AdvPreferredLifetime 1800;
    }};
}};
"""
SLAAC = "2001:db8:5::ff:fe00:a"          # the prefix + kame's modified EUI-64
LINUX = "2001:db8:5::1"


@pytest.fixture
def radvd_lab(netns, make_lab):
    radvd = require_tool("radvd")
    require_tool("ping")
    lab = make_lab(HOST)
    tap = netns.bridge(lab, "lan0", forwarding=True, addresses=[f"{LINUX}/64"])
    conf = netns.workdir / "radvd.conf"
    conf.write_text(RADVD_CONF.format(tap=tap))
    proc = netns.popen(radvd, "-n", "-C", str(conf), "-p", str(netns.workdir / "radvd.pid"),
                       "-m", "stderr")
    # radvd is up when it has written its pid file (before that, an RS is not heard)
    pidfile = netns.workdir / "radvd.pid"
    run_lab_until(lab, lambda: pidfile.exists() or proc.poll() is not None, 5.0)
    assert proc.poll() is None, netns.stop(proc)
    lab.boot()                       # rtsold solicits during boot; radvd answers in realtime
    return lab, netns, tap, proc


def _slaac_done(lab) -> bool:
    out = run_on(lab, "kame", "ifconfig em0", 1.0)[1]
    return bool(re.search(rf"inet6 {SLAAC} prefixlen 64 autoconf\s*$", out, re.M))


def test_rfc4862_5_5_3_slaac_from_radvd_and_linux_as_default_router(radvd_lab) -> None:
    """RFC 4862 5.5.3 (d): "If the prefix advertised is not equal to the prefix of
    an address configured by stateless autoconfiguration already ... the host
    SHOULD form an address" — prefix + interface identifier, no longer tentative
    after DAD; RFC 4861 6.3.4: the RA's source becomes a default router
    (``ndp -r``), with radvd's router lifetime; the prefix is on-link (``ndp -p``)."""
    lab, ns, tap, radvd = radvd_lab

    deadline = time.monotonic() + 6.0                # RS, RA, then DAD (1 s): about 1.5 s
    while not _slaac_done(lab) and time.monotonic() < deadline:
        lab.run_for(100 * MS)
    ifconfig = run_on(lab, "kame", "ifconfig em0")[1]
    assert re.search(rf"inet6 {SLAAC} prefixlen 64 autoconf\s*$", ifconfig, re.M), ifconfig
    ndp_r = run_on(lab, "kame", "ndp -r")[1]
    m = re.match(rf"{LINUX_LL}%em0 if=em0, flags=, pref=medium, expire=(\d+)s$", ndp_r.strip())
    assert m and 0 < int(m.group(1)) <= 30, ndp_r
    ndp_p = run_on(lab, "kame", "ndp -p")[1]
    assert ndp_p.startswith("2001:db8:5::/64 if=em0\nflags=LAO vltime=3600, pltime=1800"), ndp_p
    assert ndp_p.endswith(f"  advertised by\n    {LINUX_LL}%em0 (reachable)\n"), ndp_p
    routes = run_on(lab, "kame", "netstat -rn -f inet6")[1]
    assert re.search(rf"^default\s+{LINUX_LL}%em0\s+UG\s+em0", routes, re.M), routes
    # RFC 4861 6.3.4: the RA's Source Link-Layer Address option makes a STALE entry,
    # with the router flag
    ndp = run_on(lab, "kame", "ndp -an")[1]
    assert re.search(rf"^{LINUX_LL}%em0\s+{LINUX_MAC}\s+em0 \S+\s+S R\s*$", ndp, re.M), ndp
    # and the configured address works: kame reaches Linux's address in the prefix
    status, out = run_on(lab, "kame", f"ping6 -n -c 2 -i 0.05 {LINUX}")
    assert status == 0 and f"16 bytes from {LINUX}" in out, out
    assert radvd.poll() is None                      # radvd still advertising
