"""ifconfig(8) with IPv4 (af_inet.c): ``inet ADDR/LEN``, ``netmask``,
``broadcast``, ``alias``/``-alias``/``delete`` through SIOCAIFADDR and
SIOCDIFADDR on an AF_INET socket, and the ``inet`` status line FreeBSD prints
before the ``inet6`` ones."""
from __future__ import annotations

from kernel.netinet import in_ as _in, in_rmx
from kernel.wire.in_ import inet_pton4, sockaddr_in
from tests.userland.netlab import LL_LEFT, index, pair
from userland import libc

HEAD = "em0: flags=8843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST> metric 0 mtu 1500\n"


def inet_lines(lab, host: str = "left") -> list[str]:
    status, out = lab.run_command(host, "ifconfig em0 inet")
    assert status == 0, out
    lines = out.splitlines()
    assert lines[0] + "\n" == HEAD
    return lines[1:]


def test_af_inet_c_in_status_netmask_in_hex_and_broadcast_before_the_inet6_lines():
    """af_inet.c in_status: ``inet A netmask 0x... broadcast B``; lo0 has no
    broadcast address (not IFF_BROADCAST)."""
    lab = pair()
    em = index(lab, "left", "em0")
    assert lab.run_command("left", "ifconfig em0 inet 192.0.2.1/24") == (0, "")
    out = lab.run_command("left", "ifconfig em0")[1].splitlines()
    assert out[:4] == [HEAD.rstrip("\n"), "\tether 02:00:00:00:12:01",
                       "\tinet 192.0.2.1 netmask 0xffffff00 broadcast 192.0.2.255",
                       f"\tinet6 {LL_LEFT}%em0 prefixlen 64 tentative scopeid 0x{em:x}"]
    lo = lab.run_command("left", "ifconfig lo0")[1].splitlines()
    assert lo[1:3] == ["\tinet 127.0.0.1 netmask 0xff000000", "\tinet6 ::1 prefixlen 128"]
    # the address went up the interface (ether_ioctl SIOCSIFADDR: IFF_UP) and is the kernel's
    k = lab.machines["left"].kernel
    ia = _in.in_localip(k, inet_pton4("192.0.2.1"))
    assert ia is not None and ia.ia_prefixlen == 24 and ia.ia_ifp.if_xname == "em0"


def test_netmask_in_dotted_or_hex_form_and_an_explicit_broadcast_address():
    lab = pair()
    assert lab.run_command(
        "left", "ifconfig em0 inet 192.0.2.1 netmask 255.255.255.128 broadcast 192.0.2.100") \
        == (0, "")
    assert lab.run_command("left", "ifconfig em0 inet 198.51.100.9 netmask 0xfffff000 alias") \
        == (0, "")
    assert inet_lines(lab) == ["\tinet 192.0.2.1 netmask 0xffffff80 broadcast 192.0.2.100",
                               "\tinet 198.51.100.9 netmask 0xfffff000 broadcast 198.51.111.255"]


def test_rfc791_2_3_an_address_without_a_mask_gets_its_class_mask():
    lab = pair()
    assert lab.run_command("left", "ifconfig em0 inet 10.1.2.3") == (0, "")
    assert lab.run_command("left", "ifconfig em0 inet 172.16.5.5 alias") == (0, "")
    assert inet_lines(lab) == ["\tinet 10.1.2.3 netmask 0xff000000 broadcast 10.255.255.255",
                               "\tinet 172.16.5.5 netmask 0xffff0000 broadcast 172.16.255.255"]


def test_without_alias_the_first_address_is_replaced_with_alias_added():
    """ifconfig.c: ``clearaddr`` without ``alias`` — SIOCDIFADDR with no address
    names the interface's first one, then SIOCAIFADDR."""
    lab = pair()
    lab.run_command("left", "ifconfig em0 inet 192.0.2.1/24")
    lab.run_command("left", "ifconfig em0 inet 192.0.2.5/32 alias")
    assert lab.run_command("left", "ifconfig em0 inet 192.0.2.9/24") == (0, "")
    assert inet_lines(lab) == ["\tinet 192.0.2.5 netmask 0xffffffff broadcast 192.0.2.5",
                               "\tinet 192.0.2.9 netmask 0xffffff00 broadcast 192.0.2.255"]
    k = lab.machines["left"].kernel
    assert _in.in_localip(k, inet_pton4("192.0.2.1")) is None
    assert in_rmx.in_rtlookup(k, inet_pton4("192.0.2.1"), 32) is None   # its local route went


def test_minus_alias_and_delete_remove_the_named_address_and_its_routes():
    lab = pair()
    lab.run_command("left", "ifconfig em0 inet 192.0.2.1/24")
    lab.run_command("left", "ifconfig em0 inet 10.0.0.1/8 alias")
    lab.run_command("left", "ifconfig em0 inet 10.0.0.2/8 alias")
    assert lab.run_command("left", "ifconfig em0 inet 10.0.0.1 -alias") == (0, "")
    k = lab.machines["left"].kernel
    rt = in_rmx.in_rtlookup(k, inet_pton4("10.0.0.0"), 8)         # in_scrubprefix: it moved
    assert rt is not None and rt.rt_ifa.ia_addr == inet_pton4("10.0.0.2")
    assert lab.run_command("left", "ifconfig em0 10.0.0.2 delete") == (0, "")
    assert in_rmx.in_rtlookup(k, inet_pton4("10.0.0.0"), 8) is None
    assert inet_lines(lab) == ["\tinet 192.0.2.1 netmask 0xffffff00 broadcast 192.0.2.255"]
    assert lab.run_command("left", "ifconfig em0 inet 10.0.0.7 -alias") == (
        1, "ifconfig: ioctl (SIOCDIFADDR): Can't assign requested address\n")


def test_the_family_is_inet_unless_named_and_inet_lists_only_ipv4():
    lab = pair()
    assert lab.run_command("left", "ifconfig em0 192.0.2.7/24") == (0, "")
    assert inet_lines(lab) == ["\tinet 192.0.2.7 netmask 0xffffff00 broadcast 192.0.2.255"]
    assert lab.run_command("left", "ifconfig em0 2001:db8::1") == (
        1, "ifconfig: 2001:db8::1: bad value\n")
    assert lab.run_command("left", "ifconfig -l inet") == (0, "em0 lo0\n")
    assert lab.run_command("right", "ifconfig -l inet") == (0, "lo0\n")
    assert lab.run_command("left", "ifconfig lo0 inet") == (
        0, "lo0: flags=8049<UP,LOOPBACK,RUNNING,MULTICAST> metric 0 mtu 16384\n"
           "\tinet 127.0.0.1 netmask 0xff000000\n")


def test_bad_widths_names_and_addresses_are_freebsds_errors():
    lab = pair()
    assert lab.run_command("left", "ifconfig em0 inet 192.0.2.1/33") == (
        1, "ifconfig: 192.0.2.1/33: bad value (width too large)\n")
    assert lab.run_command("left", "ifconfig em0 inet 192.0.2.1/x") == (
        1, "ifconfig: 192.0.2.1/x: bad value (width invalid)\n")
    assert lab.run_command("left", "ifconfig em0 inet nosuchhost") == (
        1, "ifconfig: nosuchhost: bad value\n")
    assert lab.run_command("left", "ifconfig em0 inet 224.0.0.5 alias") == (    # not unicast
        1, "ifconfig: ioctl (SIOCAIFADDR): Invalid argument\n")
    assert lab.run_command("left", "ifconfig em0 inet 192.0.2.1 netmask 255.0.255.0") == (
        1, "ifconfig: ioctl (SIOCAIFADDR): Invalid argument\n")           # not contiguous
    assert lab.run_command("left", "ifconfig em0 inet") == (      # nothing added, still down
        0, "em0: flags=8802<BROADCAST,SIMPLEX,MULTICAST> metric 0 mtu 1500\n")


def test_getifaddrs_gives_the_address_netmask_and_broadcast_as_sockaddr_in():
    got: list = []

    def t(argv: list[str]) -> int:
        got.extend((i.ifa_name, i.ifa_addr, i.ifa_netmask, i.ifa_dstaddr)
                   for i in libc.getifaddrs() if isinstance(i.ifa_addr, sockaddr_in))
        return 0
    lab = pair(programs={"/bin/t": t})
    lab.run_command("left", "ifconfig em0 inet 192.0.2.1/25")
    assert lab.run_command("left", "/bin/t")[0] == 0
    S = lambda a: sockaddr_in(inet_pton4(a))  # noqa: E731
    assert got == [("em0", S("192.0.2.1"), S("255.255.255.128"), S("192.0.2.127")),
                   ("lo0", S("127.0.0.1"), S("255.0.0.0"), None)]
