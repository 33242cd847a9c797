"""ifconfig(8) on booted hosts: FreeBSD's status layout, address and flag
changes through ioctls, and FreeBSD's messages and exit codes."""
from __future__ import annotations

from tests.kernel.kern.harness import Host
from tests.userland.netlab import LL_LEFT, LL_RIGHT, SEC, index, pair, up

LO0 = ("lo0: flags=8049<UP,LOOPBACK,RUNNING,MULTICAST> metric 0 mtu 16384\n"
       "\tinet 127.0.0.1 netmask 0xff000000\n"
       "\tinet6 ::1 prefixlen 128\n"
       "\tinet6 fe80::1%lo0 prefixlen 64 scopeid 0x{lo:x}\n"
       "\tgroups: lo\n"
       "\tnd6 options=21<PERFORMNUD,AUTO_LINKLOCAL>\n")


def em0(lab, host: str, *inet6: str, flags: str = "8843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST>",
        mtu: int = 1500, nd6: str = "21<PERFORMNUD,AUTO_LINKLOCAL>") -> str:
    mac = "02:00:00:00:12:01" if host == "left" else "02:00:00:00:12:02"
    out = f"em0: flags={flags} metric 0 mtu {mtu}\n\tether {mac}\n"
    out += "".join(f"\tinet6 {a}\n" for a in inet6)
    out += "\tmedia: Ethernet autoselect (1000baseT <full-duplex>)\n\tstatus: active\n"
    return out + f"\tnd6 options={nd6}\n"


def test_interfaces_start_down_without_addresses():
    lab = pair()
    lo = index(lab, "left", "lo0")
    assert lab.run_command("left", "ifconfig") == (
        0, em0(lab, "left", flags="8802<BROADCAST,SIMPLEX,MULTICAST>") + LO0.format(lo=lo))
    assert lab.run_command("left", "ifconfig -a") == lab.run_command("left", "ifconfig")
    assert lab.run_command("left", "ifconfig -l") == (0, "em0 lo0\n")   # if_index order
    assert lab.run_command("left", "ifconfig -l -u") == (0, "lo0\n")
    assert lab.run_command("left", "ifconfig -l -d") == (0, "em0\n")
    assert lab.run_command("left", "ifconfig -l ether") == (0, "em0\n")


def test_up_and_an_address_then_dad():
    lab = pair()
    em = index(lab, "left", "em0")
    assert lab.run_command("left", "ifconfig em0 inet6 2001:db8:12::1 prefixlen 64 up") == (0, "")
    ll = f"{LL_LEFT}%em0 prefixlen 64 tentative scopeid 0x{em:x}"
    assert lab.run_command("left", "ifconfig em0") == (
        0, em0(lab, "left", ll, "2001:db8:12::1 prefixlen 64 tentative"))
    lab.run_for(3 * SEC)                                   # RFC 4862 5.4: DAD completes
    ll = f"{LL_LEFT}%em0 prefixlen 64 scopeid 0x{em:x}"
    assert lab.run_command("left", "ifconfig em0") == (
        0, em0(lab, "left", ll, "2001:db8:12::1 prefixlen 64"))
    assert lab.run_command("left", "ifconfig em0 inet6") == (
        0, f"em0: flags=8843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST> metric 0 mtu 1500\n"
           f"\tinet6 {ll}\n\tinet6 2001:db8:12::1 prefixlen 64\n"
           f"\tnd6 options=21<PERFORMNUD,AUTO_LINKLOCAL>\n")
    assert lab.run_command("left", "ifconfig -l inet6") == (0, "em0 lo0\n")


def test_a_duplicate_address_is_marked_duplicated():
    lab = pair()
    up(lab, "left", "2001:db8:12::1")
    up(lab, "right", "2001:db8:12::1")                      # the same address
    em = index(lab, "right", "em0")
    assert lab.run_command("right", "ifconfig em0")[1] == em0(
        lab, "right", f"{LL_RIGHT}%em0 prefixlen 64 scopeid 0x{em:x}",
        "2001:db8:12::1 prefixlen 64 duplicated")


def test_alias_delete_prefixlen_slash_and_address_flags():
    lab = pair()
    up(lab, "left", "2001:db8:12::1")
    assert lab.run_command("left", "ifconfig em0 inet6 2001:db8:13::1/48 alias") == (0, "")
    assert lab.run_command("left", "ifconfig em0 inet6 2001:db8:14::1 anycast") == (0, "")
    assert lab.run_command(
        "left", "ifconfig em0 inet6 2001:db8:15::1 prefixlen 64 autoconf pltime 100 vltime 200"
    ) == (0, "")
    lab.run_for(3 * SEC)
    out = lab.run_command("left", "ifconfig -L em0 inet6")[1].splitlines()
    assert out[2:6] == ["\tinet6 2001:db8:12::1 prefixlen 64",
                        "\tinet6 2001:db8:13::1 prefixlen 48",
                        "\tinet6 2001:db8:14::1 prefixlen 64 anycast",
                        "\tinet6 2001:db8:15::1 prefixlen 64 autoconf pltime 97 vltime 197"]
    lab.run_for(100 * SEC)                                  # RFC 4862 5.5.4: deprecated
    assert lab.run_command("left", "ifconfig -L em0 inet6")[1].splitlines()[5] == \
        "\tinet6 2001:db8:15::1 prefixlen 64 deprecated autoconf pltime 0 vltime 97"
    assert lab.run_command("left", "ifconfig em0 inet6")[1].splitlines()[5] == \
        "\tinet6 2001:db8:15::1 prefixlen 64 deprecated autoconf"
    assert lab.run_command("left", "ifconfig em0 inet6 2001:db8:13::1 -alias") == (0, "")
    assert lab.run_command("left", "ifconfig em0 inet6 2001:db8:14::1 delete") == (0, "")
    assert "2001:db8:13::1" not in lab.run_command("left", "ifconfig em0")[1]
    assert lab.run_command("left", "ifconfig em0 inet6 2001:db8:13::1 delete") == (
        1, "ifconfig: ioctl (SIOCDIFADDR): Can't assign requested address\n")


def test_down_mtu_promisc_and_nd6_flags():
    lab = pair()
    up(lab, "left")
    assert lab.run_command("left", "ifconfig em0 mtu 1280 promisc") == (0, "")
    assert lab.run_command("left", "ifconfig em0 inet6 accept_rtadv -nud") == (0, "")
    assert lab.run_command("left", "ifconfig em0 inet6 ifdisabled") == (0, "")
    out = lab.run_command("left", "ifconfig em0")[1].splitlines()
    assert out[0] == ("em0: flags=28943<UP,BROADCAST,RUNNING,PROMISC,SIMPLEX,MULTICAST,PPROMISC>"
                      " metric 0 mtu 1280")
    assert out[-1] == "\tnd6 options=2a<ACCEPT_RTADV,IFDISABLED,AUTO_LINKLOCAL>"
    assert lab.run_command("left", "ifconfig em0 inet6 -ifdisabled -accept_rtadv nud") == (0, "")
    assert lab.run_command("left", "ifconfig em0 down -promisc") == (0, "")
    out = lab.run_command("left", "ifconfig em0")[1].splitlines()
    assert out[0] == "em0: flags=8802<BROADCAST,SIMPLEX,MULTICAST> metric 0 mtu 1280"
    assert out[-1] == "\tnd6 options=21<PERFORMNUD,AUTO_LINKLOCAL>"
    assert lab.run_command("left", "ifconfig em0 mtu 20") == (
        0, "ifconfig: ioctl (set mtu): Invalid argument\n")


def test_supported_media_with_m():
    lab = pair()
    up(lab, "left")
    out = lab.run_command("left", "ifconfig -m em0")[1].splitlines()
    assert out[-8:] == ["\tmedia: Ethernet autoselect (1000baseT <full-duplex>)",
                        "\tstatus: active", "\tsupported media:", "\t\tmedia autoselect",
                        "\t\tmedia 10baseT/UTP mediaopt full-duplex",
                        "\t\tmedia 100baseTX mediaopt full-duplex",
                        "\t\tmedia 1000baseT mediaopt full-duplex",
                        "\tnd6 options=21<PERFORMNUD,AUTO_LINKLOCAL>"]


def test_errors_and_usage_are_freebsds():
    lab = pair()
    assert lab.run_command("left", "ifconfig em9") == (
        1, "ifconfig: interface em9 does not exist\n")
    assert lab.run_command("left", "ifconfig em0 inet6 bogus") == (
        1, "ifconfig: bogus: bad value\n")
    assert lab.run_command("left", "ifconfig em0 mtu") == (
        1, "ifconfig: 'mtu' requires argument\n")
    usage = ("usage: ifconfig [-L] interface address_family [address [dest_address]]\n"
             "                [parameters]\n"
             "       ifconfig interface create\n"
             "       ifconfig -a [-L] [-d] [-m] [-u] [-v] [address_family]\n"
             "       ifconfig -l [-d] [-u] [address_family]\n"
             "       ifconfig [-L] [-d] [-m] [-u] [-v]\n")
    assert lab.run_command("left", "ifconfig -l -a") == (1, usage)
    assert lab.run_command("left", "ifconfig -z") == (1, "ifconfig: illegal option -- z\n" + usage)


def test_an_ordinary_user_is_refused():
    h = Host()
    p, out, err = h.spawn("/sbin/ifconfig lo0 down")
    p.p_ucred.cr_uid = 1000
    h.wait(p)
    assert (p.exit_code, out.text(), err.text()) == (1, "", "ifconfig: down: permission denied\n")
    r = h.run("/sbin/ifconfig lo0")
    assert r.status == 0 and r.out.startswith("lo0: flags=8049<UP,LOOPBACK,RUNNING,MULTICAST>")


def test_lifetimes_are_shown_only_with_L_and_only_when_finite():
    """af_inet6.c in6_status: ``pltime``/``vltime`` only under -L (ip6lifetime),
    and only for an address whose lifetimes do not both last forever; an
    infinite one of the two reads ``infty``."""
    lab = pair()
    up(lab, "left", "2001:db8:12::1")
    assert lab.run_command("left", "ifconfig em0 inet6 2001:db8:16::1 pltime 300") == (0, "")
    lab.run_for(3 * SEC)
    plain = lab.run_command("left", "ifconfig em0")[1]
    assert "pltime" not in plain and "vltime" not in plain
    assert "\tinet6 2001:db8:16::1 prefixlen 64\n" in plain
    out = lab.run_command("left", "ifconfig -L em0")[1]
    assert "\tinet6 2001:db8:16::1 prefixlen 64 pltime 297 vltime infty\n" in out
    assert "\tinet6 2001:db8:12::1 prefixlen 64\n" in out          # static: nothing to show
    assert lab.run_command("left", "ifconfig -a -L")[1] == lab.run_command(
        "left", "ifconfig -L")[1]
    assert "pltime 297" in lab.run_command("left", "ifconfig -aL")[1]


def test_media_and_status_follow_the_link_the_kernel_reports():
    """SIOCGIFMEDIA: the link em(4) negotiated (1000baseT full duplex, the
    datasheet's only speed), ``no carrier`` with the cable out, and whatever
    speed the driver reports in if_baudrate once the link is up again."""
    lab = pair()
    up(lab, "left")
    port = next(p for p in lab.segments["link0"].ports if p.name == "left.em0")
    port.set_link(False)
    lab.run_for(SEC)
    lines = lab.run_command("left", "ifconfig em0")[1].splitlines()
    assert lines[-3:-1] == ["\tmedia: Ethernet autoselect", "\tstatus: no carrier"]
    port.set_link(True)
    lab.run_for(SEC)
    lines = lab.run_command("left", "ifconfig em0")[1].splitlines()
    assert lines[-3:-1] == ["\tmedia: Ethernet autoselect (1000baseT <full-duplex>)",
                            "\tstatus: active"]
    lab.machines["left"].ifnet("em0").if_baudrate = 100_000_000    # as a 100 Mb/s link
    lines = lab.run_command("left", "ifconfig em0")[1].splitlines()
    assert lines[-3] == "\tmedia: Ethernet autoselect (100baseTX <full-duplex>)"
