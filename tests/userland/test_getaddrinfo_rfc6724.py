"""getaddrinfo(3) orders its answers by RFC 6724 6 (userland/libc_net.py: rfc6724_sort),
with the kernel's policy table and the source the kernel picks for each destination
(a connected UDP socket's name) — the examples of RFC 6724 10.2.

Host ``left`` of the netlab pair, configured by ifconfig and route as each example
needs; names come from /etc/hosts, the IPv4 answer of a name written first so that
an example that keeps IPv6 first must reorder the list.
"""
from __future__ import annotations

from kernel.kern.vfs import vfs_seed
from kernel.wire.in6 import inet_ntop6, sockaddr_in6
from kernel.wire.in_ import inet_ntop4, sockaddr_in
from kernel.wire.socket import SOCK_DGRAM
from tests.userland.netlab import SEC, pair
from userland import libc

RESULT: list = []


def ask(argv: list[str]) -> int:
    """getaddrinfo(argv[1]) and, for each answer, the source the kernel would use."""
    RESULT.clear()
    hints = libc.addrinfo(ai_socktype=SOCK_DGRAM, ai_flags=int(argv[2]) if len(argv) > 2 else 0)
    for ai in libc.getaddrinfo(argv[1], "9", hints):
        s = libc.socket(ai.ai_family, SOCK_DGRAM, 17)
        try:
            libc.connect(s, ai.ai_addr)
            src = libc.getsockname(s)
        except OSError:
            src = None
        libc.close(s)
        RESULT.append((_txt(ai.ai_addr), _txt(src) if src is not None else None, ai.ai_canonname))
    return 0


def _txt(sa) -> str:
    if isinstance(sa, sockaddr_in6):
        return inet_ntop6(sa.sin6_addr)
    assert isinstance(sa, sockaddr_in)
    return inet_ntop4(sa.sin_addr)


def lab_with(lines: list[str], hosts: str):
    lab = pair(programs={"/usr/bin/ask": ask})
    for line in lines:
        status, out = lab.run_command("left", line)
        assert status == 0, (line, out)
    lab.run_for(3 * SEC)                             # DAD
    vfs_seed(lab.machines["left"].kernel, {"/etc/hosts": hosts.encode()})
    return lab


def order(lab, name: str, flags: int = 0) -> list:
    status, out = lab.run_command("left", f"/usr/bin/ask {name} {flags}")
    assert status == 0, out
    return [(d, s) for d, s, _c in RESULT]


LL = "fe80::ff:fe00:1201"            # left's link-local address (netlab MAC 02:00:00:00:12:01)


def test_rfc6724_10_2_prefer_matching_scope_keeps_ipv6_first():
    """"Candidate Source Addresses: 2001:db8:1::2 or fe80::1 or 169.254.13.78 /
    Destination Address List: 2001:db8:1::1 or 198.51.100.121 / Result:
    2001:db8:1::1 (src 2001:db8:1::2) then 198.51.100.121 (src 169.254.13.78)
    (prefer matching scope)"."""
    lab = lab_with(["ifconfig em0 inet6 2001:db8:1::2 prefixlen 64 up",
                    "ifconfig em0 inet 169.254.13.78/16",
                    "route add default 169.254.0.1"],
                   "198.51.100.121 d\n2001:db8:1::1 d\n")
    assert order(lab, "d") == [("2001:db8:1::1", "2001:db8:1::2"),
                               ("198.51.100.121", "169.254.13.78")]


def test_rfc6724_10_2_prefer_matching_scope_puts_ipv4_first():
    """"Candidate Source Addresses: fe80::1 or 198.51.100.117 / Destination Address
    List: 2001:db8:1::1 or 198.51.100.121 / Result: 198.51.100.121 (src
    198.51.100.117) then 2001:db8:1::1 (src fe80::1) (prefer matching scope)"."""
    lab = lab_with(["ifconfig em0 up",
                    "ifconfig em0 inet 198.51.100.117/24",
                    "route add -inet6 default fe80::99%em0"],
                   "2001:db8:1::1 d\n198.51.100.121 d\n")
    assert order(lab, "d") == [("198.51.100.121", "198.51.100.117"), ("2001:db8:1::1", LL)]


def test_rfc6724_10_2_prefer_higher_precedence():
    """"Candidate Source Addresses: 2001:db8:1::2 or fe80::1 or 10.1.2.4 /
    Destination Address List: 2001:db8:1::1 or 10.1.2.3 / Result: 2001:db8:1::1
    (src 2001:db8:1::2) then 10.1.2.3 (src 10.1.2.4) (prefer higher precedence)" —
    until the policy prefers IPv4 (ip6addrctl_policy=ipv4_prefer's table)."""
    lab = lab_with(["ifconfig em0 inet6 2001:db8:1::2 prefixlen 64 up",
                    "ifconfig em0 inet 10.1.2.4/24"],
                   "10.1.2.3 d\n2001:db8:1::1 d\n")
    assert order(lab, "d") == [("2001:db8:1::1", "2001:db8:1::2"), ("10.1.2.3", "10.1.2.4")]
    for line in ("ip6addrctl delete ::ffff:0:0/96", "ip6addrctl add ::ffff:0:0/96 100 4"):
        assert lab.run_command("left", line) == (0, "")
    assert order(lab, "d") == [("10.1.2.3", "10.1.2.4"), ("2001:db8:1::1", "2001:db8:1::2")]


def test_rfc6724_10_2_prefer_smaller_scope():
    """"Candidate Source Addresses: 2001:db8:1::2 or fe80::2 / Destination Address
    List: 2001:db8:1::1 or fe80::1 / Result: fe80::1 (src fe80::2) then
    2001:db8:1::1 (src 2001:db8:1::2) (prefer smaller scope)"."""
    lab = lab_with(["ifconfig em0 inet6 2001:db8:1::2 prefixlen 64 up"],
                   "2001:db8:1::1 d\nfe80::1%em0 d\n")
    assert order(lab, "d") == [("fe80::1", LL), ("2001:db8:1::1", "2001:db8:1::2")]


def test_rfc6724_10_2_prefer_home_address():
    """"Candidate Source Addresses: 2001:db8:1::2 (care-of address) or 2001:db8:3::1
    (home address) or fe80::2 (care-of address) / Destination Address List:
    2001:db8:1::1 or fe80::1 / Result: 2001:db8:1::1 (src 2001:db8:3::1) then
    fe80::1 (src fe80::2) (prefer home address)"."""
    from kernel.netinet6.in6 import in6_ifaddrs
    from kernel.wire.in6 import inet_pton6
    from kernel.wire.in6_addrsel import IN6_IFF_HOME
    lab = lab_with(["ifconfig em0 inet6 2001:db8:1::2 prefixlen 64 up",
                    "ifconfig em0 inet6 2001:db8:3::1 prefixlen 64 alias"],
                   "fe80::1%em0 d\n2001:db8:1::1 d\n")
    k = lab.machines["left"].kernel
    (home,) = [ia for ia in in6_ifaddrs(k) if ia.ia_addr == inet_pton6("2001:db8:3::1")]
    home.ia6_flags |= IN6_IFF_HOME                  # what Mobile IPv6 will do
    assert order(lab, "d") == [("2001:db8:1::1", "2001:db8:3::1"), ("fe80::1", LL)]


def test_rfc6724_10_2_prefer_matching_label_and_then_higher_precedence():
    """"Candidate Source Addresses: 2002:c633:6401::2 or fe80::2 / Destination
    Address List: 2001:db8:1::1 or 2002:c633:6401::1 / Result: 2002:c633:6401::1
    (src 2002:c633:6401::2) then 2001:db8:1::1 (src 2002:c633:6401::2) (prefer
    matching label)"; with 2001:db8:1::2 as a candidate too, "2001:db8:1::1 (src
    2001:db8:1::2) then 2002:c633:6401::1 (src 2002:c633:6401::2) (prefer higher
    precedence)"."""
    lab = lab_with(["ifconfig em0 inet6 2002:c633:6401::2 prefixlen 64 up",
                    "route add -inet6 default fe80::99%em0"],
                   "2001:db8:1::1 d\n2002:c633:6401::1 d\n")
    assert order(lab, "d") == [("2002:c633:6401::1", "2002:c633:6401::2"),
                               ("2001:db8:1::1", "2002:c633:6401::2")]
    assert lab.run_command("left", "ifconfig em0 inet6 2001:db8:1::2 prefixlen 64 alias") == (0, "")
    lab.run_for(3 * SEC)
    assert order(lab, "d") == [("2001:db8:1::1", "2001:db8:1::2"),
                               ("2002:c633:6401::1", "2002:c633:6401::2")]


def test_rfc6724_6_rule1_an_unreachable_destination_goes_last_and_rule9_longest_prefix():
    lab = lab_with(["ifconfig em0 inet6 2001:db8:1::2 prefixlen 64 up"],
                   "2001:db8:99::1 d\n2001:db8:2::1 d\n2001:db8:1::1 d\n")
    # no route to 2001:db8:99:: nor 2001:db8:2::; the on-link one is reachable
    assert order(lab, "d") == [("2001:db8:1::1", "2001:db8:1::2"), ("2001:db8:99::1", None),
                               ("2001:db8:2::1", None)]
    assert lab.run_command("left", "route add -inet6 default fe80::99%em0") == (
        0, "add net default: gateway fe80::99%em0\n")
    # all reachable now: Rule 9, the longest CommonPrefixLen first (64, 46, then 40 bits)
    assert order(lab, "d") == [("2001:db8:1::1", "2001:db8:1::2"),
                               ("2001:db8:2::1", "2001:db8:1::2"),
                               ("2001:db8:99::1", "2001:db8:1::2")]


def test_numeric_hosts_and_passive_lookups_are_not_reordered_and_canonname_stays_first():
    lab = lab_with(["ifconfig em0 inet6 2001:db8:1::2 prefixlen 64 up",
                    "ifconfig em0 inet 10.1.2.4/24"],
                   "10.1.2.3 d d.example\n2001:db8:1::1 d\n")
    assert order(lab, "d", libc.AI_PASSIVE) == [("10.1.2.3", "10.1.2.4"),
                                                 ("2001:db8:1::1", "2001:db8:1::2")]
    order(lab, "d", libc.AI_CANONNAME)
    assert [c for _d, _s, c in RESULT] == ["d", None]
    assert order(lab, "10.1.2.3") == [("10.1.2.3", "10.1.2.4")]
