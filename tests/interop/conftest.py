"""Fixtures of the interop tests: the real Linux kernel and its tools (radvd, ndisc6,
ping) on the far side of a TAP bridged to a lab segment (INTEROP.md).

Each test gets its own network namespace (``netns``) with unique names; the lab's
TAP is created in the test process's namespace (so the lab can open it) and then
moved into that namespace, where the Linux side lives.  Everything a test starts
in the namespace is stopped by PID, and the namespace deleted, when the test ends,
passed or failed.  Without root, /dev/net/tun, ``ip`` or a tool a test needs, the
tests skip with the reason — or fail, under KAMEBOX_REQUIRE_INTEROP=1 (.ci/run).

The lab runs paced to the wall clock (a lab with a TAP is realtime once booted);
``run_lab_until`` keeps it running while Linux does something.
"""
from __future__ import annotations

import asyncio
import itertools
import json
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Callable, Iterator, Optional, Sequence

import pytest

from emu.lab import Lab
from emu.sched import SEC
from tests.conftest import REQUIRE_INTEROP, require_root, require_tool

# The Linux side's Ethernet address, and its link-local address (modified EUI-64).
LINUX_MAC = "02:00:00:00:99:01"
LINUX_LL = "fe80::ff:fe00:9901"
# A Linux bridge's own Ethernet address and link-local address (NetNs.querier_bridge).
BRIDGE_MAC = "02:00:00:00:99:02"
BRIDGE_LL = "fe80::ff:fe00:9902"
# The one-host lab most interop tests bridge to Linux: kame, 2001:db8:1::a on em0.
KAME = "2001:db8:1::a"
KAME_LL = "fe80::ff:fe00:a"
KAME_MAC = "02:00:00:00:00:0a"


def one_host_lab(name: str) -> str:
    """The lab file text of kame alone on segment lan0 (a static address from rc.conf)."""
    return f"""\
[lab]
name = "{name}"
seed = 1

[segment.lan0]

[host.kame]
nic = [{{model = "em", segment = "lan0", mac = "{KAME_MAC}"}}]

[host.kame.rc]
ifconfig_em0_ipv6 = "inet6 {KAME} prefixlen 64"
"""


COMMAND_TIMEOUT = 15.0          # wall seconds for any one command run in a namespace

_serial = itertools.count()


def need(ok: bool, why: str) -> None:
    """Skip with ``why`` unless ``ok`` (fail instead under KAMEBOX_REQUIRE_INTEROP=1)."""
    if ok:
        return
    if REQUIRE_INTEROP:
        pytest.fail(f"{why} — required because KAMEBOX_REQUIRE_INTEROP=1")
    pytest.skip(why)


def require_interop() -> None:
    """Root, /dev/net/tun and iproute2: what every test here needs."""
    require_root()
    need(os.path.exists("/dev/net/tun"), "no /dev/net/tun (TUN/TAP support)")
    require_tool("ip")
    require_tool("sysctl")


def unique(prefix: str) -> str:
    """A name no other test (of this or another pytest process) uses: at most 15
    characters, an interface name."""
    name = f"{prefix}{os.getpid()}x{next(_serial)}"
    assert len(name) <= 15, name
    return name


class NetNs:
    """A Linux network namespace for one test, and what runs in it."""

    def __init__(self, name: str, workdir: Path) -> None:
        self.name = name
        self.workdir = workdir
        self.procs: list[subprocess.Popen] = []
        self.links: list[str] = []
        self._ip = require_tool("ip")

    def argv(self, argv: Sequence[str]) -> list[str]:
        """``ip netns exec NS argv...``: ip execs the program, so it keeps ip's PID."""
        return [self._ip, "netns", "exec", self.name, *argv]

    def run(self, *argv: str, check: bool = True,
            timeout: float = COMMAND_TIMEOUT) -> subprocess.CompletedProcess:
        """Run a command in the namespace and wait for it."""
        done = subprocess.run(self.argv(argv), capture_output=True, text=True, timeout=timeout)
        if check and done.returncode != 0:
            raise AssertionError(f"{' '.join(argv)} (in {self.name}) exited "
                                 f"{done.returncode}: {done.stdout}{done.stderr}")
        return done

    def popen(self, *argv: str, **kw) -> subprocess.Popen:
        """Start a command in the namespace; it is stopped by PID at the end of the test."""
        kw.setdefault("stdout", subprocess.PIPE)
        kw.setdefault("stderr", subprocess.PIPE)
        kw.setdefault("text", True)
        p = subprocess.Popen(self.argv(argv), stdin=subprocess.DEVNULL, **kw)
        self.procs.append(p)
        return p

    def ip(self, *args: str) -> str:
        return self.run("ip", *args).stdout

    def sysctl(self, key: str, value: str) -> None:
        self.run("sysctl", "-qw", f"{key}={value}")

    def bridge(self, lab: Lab, segment: str, *, mac: str = LINUX_MAC,
               addresses: Sequence[str] = (), accept_ra: Optional[int] = None,
               forwarding: bool = False) -> str:
        """Bridge ``segment`` of ``lab`` to a new TAP and move the TAP in here: the
        Linux side, with ``mac``, static ``addresses`` (no DAD) and up.  Returns its name."""
        tap = unique("kbt")
        lab.tap(segment, tap)                 # created in our namespace, where the lab is
        self.links.append(tap)
        subprocess.run([self._ip, "link", "set", tap, "netns", self.name], check=True,
                       capture_output=True, timeout=COMMAND_TIMEOUT)
        self.ip("link", "set", tap, "address", mac)
        # No DAD on the Linux side: its addresses are usable at once (faster tests).
        self.sysctl(f"net.ipv6.conf.{tap}.accept_dad", "0")
        if forwarding:
            self.sysctl("net.ipv6.conf.all.forwarding", "1")
        if accept_ra is not None:
            self.sysctl(f"net.ipv6.conf.{tap}.accept_ra", str(accept_ra))
        for a in addresses:
            self.ip("-6", "addr", "add", a, "dev", tap, "nodad")
        self.ip("link", "set", tap, "up")
        return tap

    def querier_bridge(self, port: str, *, mac: str = BRIDGE_MAC, query_interval: float = 1.0,
                       response_interval: float = 0.5, last_member_interval: float = 0.1,
                       igmp_version: int = 2, name: str = "br0") -> str:
        """A Linux bridge ``name`` with ``port`` (the TAP) as its one port, snooping
        multicast and acting as MLDv2 querier out of it (INTEROP.md): General Queries
        every ``query_interval`` s (the kernel's floor is 1 s) with Maximum Response
        Delay ``response_interval`` s; Multicast Address (and Source) Specific Queries
        ``last_member_interval`` s apart after a leave.  The bridge has its own MAC,
        so its link-local address (the queries' source, fe80::ff:fe00:9902 by default)
        is not the port's; IPv6 is off on the port itself, so every MLD message Linux
        sends out of the TAP is the bridge's.  It is an IGMP querier too (version
        ``igmp_version``, from 0.0.0.0).  Returns the bridge's name."""
        cs = lambda s: str(max(1, round(s * 100)))        # iproute2 takes centiseconds
        made = self.run("ip", "link", "add", name, "address", mac, "type", "bridge",
                        "mcast_snooping", "1", "mcast_querier", "1", "mcast_mld_version", "2",
                        "mcast_igmp_version", str(igmp_version),
                        "mcast_query_interval", cs(query_interval),
                        "mcast_startup_query_interval", cs(query_interval),
                        "mcast_query_response_interval", cs(response_interval),
                        "mcast_last_member_interval", cs(last_member_interval), check=False)
        need(made.returncode == 0, "this kernel's bridge cannot be an MLDv2 querier "
             f"(ip link add type bridge mcast_mld_version 2: {made.stderr.strip()})")
        self.sysctl(f"net.ipv6.conf.{name}.accept_dad", "0")   # its link-local at once
        self.sysctl(f"net.ipv6.conf.{port}.disable_ipv6", "1")
        self.ip("link", "set", port, "master", name)
        self.ip("link", "set", name, "up")
        return name

    def mdb(self, bridge: str = "br0") -> list[dict]:
        """``bridge -d -j mdb show dev BRIDGE``: the bridge's multicast database, one
        dict per entry (``port``, ``grp``, ``src`` for a source entry, ``filter_mode``,
        ``source_list``...)."""
        out = self.run("bridge", "-d", "-j", "mdb", "show", "dev", bridge).stdout
        entries: list[dict] = []
        for block in json.loads(out or "[]"):
            entries += block.get("mdb", [])
        return entries

    def capture(self, lab: Lab, ifname: str, path: Path, timeout: float = 10.0
                ) -> subprocess.Popen:
        """Start ``tshark -i IFNAME -w PATH`` (pcapng) in the namespace and keep the
        lab running until it captures (dumpcap has written the file's header); stop
        it with :meth:`stop`.  A capture under the test's tmp_path passes tshark's
        check at the end of the session (tests/conftest.py)."""
        tshark = require_tool("tshark")
        p = self.popen(tshark, "-n", "-q", "-i", ifname, "-w", str(path))
        started = run_lab_until(lab, lambda: p.poll() is not None or
                                (path.exists() and path.stat().st_size > 0), timeout)
        if not started or p.poll() is not None:
            out, err = self.stop(p)
            raise AssertionError(f"tshark -i {ifname} did not start: {out}{err}")
        return p

    def stop(self, p: subprocess.Popen, timeout: float = 3.0) -> tuple[str, str]:
        """SIGTERM (then SIGKILL) one process we started; its output."""
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
        try:
            out, err = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
        return out or "", err or ""

    def cleanup(self) -> None:
        for p in self.procs:
            self.stop(p)
        self.procs.clear()
        for link in self.links:               # a TAP the lab made goes when its fd closes;
            subprocess.run([self._ip, "-n", self.name, "link", "del", link],   # be sure
                           capture_output=True, timeout=COMMAND_TIMEOUT)
            subprocess.run([self._ip, "link", "del", link], capture_output=True,
                           timeout=COMMAND_TIMEOUT)
        subprocess.run([self._ip, "netns", "del", self.name], capture_output=True,
                       timeout=COMMAND_TIMEOUT)


@pytest.fixture
def netns(tmp_path: Path) -> Iterator[NetNs]:
    """A new network namespace with lo up; deleted, with what runs in it, afterwards."""
    require_interop()
    ns = NetNs(unique("kbn"), tmp_path)
    subprocess.run([ns._ip, "netns", "add", ns.name], check=True, capture_output=True,
                   timeout=COMMAND_TIMEOUT)
    try:
        ns.ip("link", "set", "lo", "up")
        yield ns
    finally:
        ns.cleanup()


@pytest.fixture
def make_lab(tmp_path: Path) -> Iterator[Callable[[str], Lab]]:
    """``make_lab(TOML)``: a lab from lab-file text, capturing each segment into
    tmp_path/cap/SEGMENT.pcap (tshark checks them); closed after the test."""
    labs: list[Lab] = []

    def make(text: str) -> Lab:
        path = tmp_path / f"lab{len(labs)}.toml"
        path.write_text(text)
        lab = Lab.from_file(path, pcap_dir=tmp_path / "cap")
        labs.append(lab)
        return lab

    try:
        yield make
    finally:
        for lab in labs:
            lab.close()


def run_lab_until(lab: Lab, done: Callable[[], bool], timeout: float) -> bool:
    """Run the lab paced to the wall clock (its TAPs read) until ``done()`` or
    ``timeout`` wall seconds; returns ``done()``."""
    async def main() -> None:
        pacer = lab.pacer()
        task = asyncio.ensure_future(pacer.run())
        deadline = time.monotonic() + timeout
        try:
            while not done() and time.monotonic() < deadline and not task.done():
                await asyncio.sleep(0.002)
        finally:
            task.cancel()
            try:
                await task                   # re-raises what went wrong in the lab
            except asyncio.CancelledError:
                pass
    asyncio.run(main())
    return done()


def run_on(lab: Lab, host: str, line: str, timeout: float = 3.0) -> tuple[int, str]:
    """``lab.run_command`` with a short timeout: paced, so ``timeout`` is wall seconds
    (a command still running then gets SIGINT, and SIGKILL a second later)."""
    return lab.run_command(host, line, timeout=int(timeout * SEC))


def run_in_netns_with_lab(ns: NetNs, lab: Lab, *argv: str,
                          timeout: float = COMMAND_TIMEOUT) -> subprocess.CompletedProcess:
    """Run a Linux command in ``ns`` while the lab runs paced; wait for it."""
    p = ns.popen(*argv)
    if not run_lab_until(lab, lambda: p.poll() is not None, timeout):
        out, err = ns.stop(p)
        raise AssertionError(f"{' '.join(argv)} did not finish in {timeout:g}s: {out}{err}")
    out, err = p.communicate()
    return subprocess.CompletedProcess(p.args, p.returncode, out, err)


__all__ = ["NetNs", "need", "require_interop", "unique", "run_lab_until",
           "run_in_netns_with_lab", "run_on", "LINUX_MAC", "LINUX_LL", "BRIDGE_MAC",
           "BRIDGE_LL"]

