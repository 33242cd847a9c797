"""lo0 (kernel/net/if_loop.py): attached after the NICs as in FreeBSD, whose if_loop
SYSINIT (SI_SUB_PSEUDO) runs after device configuration (SI_SUB_CONFIGURE) — so em0 is
interface 1 and lo0 comes after the NICs, in ifconfig's list, in scope ids and link#N —
up at boot with ::1 and fe80::1%lo0, and looping packets back."""
from __future__ import annotations

from emu.lab import Lab, program_table
from emu.sched import SEC
from kernel.wire.net_if import IFF
from tests.kernel.kern.harness import Host


def two_nics() -> Lab:
    lab = Lab(seed=1)
    lab.programs = program_table()
    seg = lab.segment("link0")
    lab.machine("a", nics=[("em", seg), ("em", None)])
    lab.boot()
    return lab


def test_the_nics_take_the_first_indexes_and_lo0_the_next():
    lab = two_nics()
    k = lab.machines["a"].kernel
    assert [(ifp.if_xname, ifp.if_index) for ifp in k.ifnet] == [("em0", 1), ("em1", 2),
                                                                  ("lo0", 3)]
    assert k.loif is k.ifunit("lo0") and k.if_index == 3
    assert lab.run_command("a", "ifconfig -l") == (0, "em0 em1 lo0\n")


def test_lo0_is_up_at_boot_with_its_addresses_in_its_own_zone():
    lab = two_nics()
    out = lab.run_command("a", "ifconfig lo0")[1].splitlines()
    assert out[0] == "lo0: flags=8049<UP,LOOPBACK,RUNNING,MULTICAST> metric 0 mtu 16384"
    assert out[1:4] == ["\tinet 127.0.0.1 netmask 0xff000000", "\tinet6 ::1 prefixlen 128",
                        "\tinet6 fe80::1%lo0 prefixlen 64 scopeid 0x3"]
    lab.run_command("a", "ifconfig em1 up")
    lab.run_for(3 * SEC)
    ll = [l for l in lab.run_command("a", "ifconfig em1")[1].splitlines() if "%em1" in l]
    assert len(ll) == 1 and ll[0].endswith(" scopeid 0x2")
    routes = lab.run_command("a", "netstat -rn")[1].splitlines()
    assert [l.split()[:2] for l in routes if l.startswith(("::1", "fe80::%"))] == [
        ["::1", "link#3"], ["fe80::%em1/64", "link#2"], ["fe80::%lo0/64", "link#3"]]


def test_without_nics_lo0_is_interface_1():
    h = Host()
    assert [(ifp.if_xname, ifp.if_index) for ifp in h.k.ifnet] == [("lo0", 1)]
    assert h.k.loif.if_flags & IFF.UP and h.k.loif.if_flags & IFF.LOOPBACK


def test_a_ping_to_ones_own_address_goes_through_lo0():
    lab = two_nics()
    k = lab.machines["a"].kernel
    before = k.loif.if_data.ifi_opackets
    status, out = lab.run_command("a", "ping6 -c 1 ::1")
    assert status == 0 and "1 packets transmitted, 1 packets received" in out
    lo = k.loif.if_data
    assert lo.ifi_opackets - before == 2 and lo.ifi_ipackets >= 2       # request and reply
