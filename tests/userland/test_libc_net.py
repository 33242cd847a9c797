"""libc_net's getnameinfo_host: the address text netstat and ndp print — a
name from /etc/hosts, the numeric form with NI_NUMERICHOST, and inet_ntop's
text when getnameinfo(3) fails."""
from __future__ import annotations

from kernel.wire.in6 import inet_pton6, sockaddr_in6
from kernel.wire.in_ import sockaddr_in
from tests.kernel.kern.harness import Host
from userland import libc

HOSTS = b"2001:db8::1\tbob bob.lab\n192.0.2.7\tlegacy\n"


def names(fn) -> list:
    out: list = []

    def prog(argv: list[str]) -> int:
        fn(out)
        return 0
    r = Host(programs={"/bin/t": prog}, files={"/etc/hosts": HOSTS}).run(["/bin/t"])
    assert r.status == 0, r.err
    return out


def test_getnameinfo_host_names_from_etc_hosts_unless_numeric():
    bob = sockaddr_in6(inet_pton6("2001:db8::1"))
    out = names(lambda out: out.extend([libc.getnameinfo_host(bob),
                                        libc.getnameinfo_host(bob, libc.NI_NUMERICHOST)]))
    assert out == ["bob", "2001:db8::1"]


def test_getnameinfo_host_falls_back_to_inet_ntop_when_getnameinfo_fails():
    """getnameinfo(3) fails with NI_NAMEREQD for an address without a name;
    netstat's routename() prints the address instead."""
    other6 = sockaddr_in6(inet_pton6("2001:db8::99"))
    other4 = sockaddr_in(bytes((192, 0, 2, 8)))
    out = names(lambda out: out.extend([libc.getnameinfo_host(other6, libc.NI_NAMEREQD),
                                        libc.getnameinfo_host(other4, libc.NI_NAMEREQD)]))
    assert out == ["2001:db8::99", "192.0.2.8"]
