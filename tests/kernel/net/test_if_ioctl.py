"""Interface ioctls (kernel/net/if_ioctl.py, FreeBSD's ifioctl): flags and
if_up/if_down, MTU, index, media, groups, the IPv6 requests handed to
in6_control, and what a process may hand in: ENXIO, EINVAL, EPERM, no panic."""
from __future__ import annotations

from typing import Any, Callable

from kernel.netinet6 import in6
from kernel.wire import errno as E
from kernel.wire.in6 import in6_prefix_mask, inet_pton6, sockaddr_in6
from kernel.wire.in6_var import (IN6_IFF_TENTATIVE, ND6_IFF_AUTO_LINKLOCAL, ND6_IFF_PERFORMNUD,
                                 SIOCAIFADDR_IN6, SIOCDIFADDR_IN6, SIOCGDEFIFACE_IN6,
                                 SIOCGIFAFLAG_IN6, SIOCGIFINFO_IN6, SIOCSDEFIFACE_IN6,
                                 SIOCSNDFLUSH_IN6, in6_aliasreq, in6_ifreq, in6_ndifreq,
                                 in6_ndireq)
from kernel.wire.net_if import (IFF, IFF_PPROMISC, IFM_1000_T, IFM_ACTIVE, IFM_AUTO, IFM_AVALID,
                                IFM_ETHER, IFM_FDX, ifgroupreq, ifmediareq, ifreq)
from kernel.wire.route import PF_ROUTE, sockaddr_dl
from kernel.wire.socket import AF_INET6, SOCK_DGRAM, SOCK_RAW
from kernel.wire.sockio import (SIOCGIFFLAGS, SIOCGIFGROUP, SIOCGIFINDEX, SIOCGIFMEDIA,
                                SIOCGIFMETRIC, SIOCGIFMTU, SIOCSIFFLAGS, SIOCSIFMETRIC,
                                SIOCSIFMTU)
from tests.kernel.kern.harness import Host, errno_of
from tests.userland.netlab import MAC_LEFT, SEC, pair
from userland import libc

G1 = inet_pton6("2001:db8:12::1")


def _in_lab(fn: Callable[[int], Any], settle: int = 0) -> tuple[Any, Any]:
    """Run ``fn(s)`` (s an AF_INET6 datagram socket) as a process on ``left``."""
    out: dict = {}

    def t(argv: list[str]) -> int:
        out["v"] = fn(libc.socket(AF_INET6, SOCK_DGRAM, 0))
        return 0
    lab = pair(programs={"/bin/t": t})
    status, text = lab.run_command("left", "/bin/t")
    assert status == 0, text
    if settle:
        lab.run_for(settle)
    return out["v"], lab


def test_up_brings_ipv6_up_and_down_takes_it_down():
    flags: list = []

    def t(argv: list[str]) -> int:
        s = libc.socket(AF_INET6, SOCK_DGRAM, 0)
        cur = libc.ioctl(s, SIOCGIFFLAGS, ifreq("em0")).ifr_flags
        new = cur | IFF.UP if argv[1] == "up" else cur & ~IFF.UP
        libc.ioctl(s, SIOCSIFFLAGS, ifreq("em0", ifr_flags=new))
        flags.append((cur, libc.ioctl(s, SIOCGIFFLAGS, ifreq("em0")).ifr_flags))
        return 0
    lab = pair(programs={"/bin/t": t})
    assert lab.run_command("left", "/bin/t up")[0] == 0
    lab.run_for(3 * SEC)
    before, after = flags[0]
    assert before == IFF.BROADCAST | IFF.SIMPLEX | IFF.MULTICAST
    assert after == before | IFF.UP | IFF.DRV_RUNNING
    k = lab.machines["left"].kernel
    em0 = k.ifunit("em0")
    (ll,) = in6.in6_ifaddrs(k, em0)
    assert ll.ia_addr == inet_pton6("fe80::ff:fe00:1201")
    assert not ll.ia6_flags & IN6_IFF_TENTATIVE                 # DAD finished
    assert lab.run_command("left", "/bin/t down")[0] == 0
    assert flags[1][1] == IFF.BROADCAST | IFF.SIMPLEX | IFF.MULTICAST
    assert ll.ia6_flags & IN6_IFF_TENTATIVE                     # RFC 4862 5.4: DAD again


def test_mtu_metric_and_index():
    def fn(s: int) -> Any:
        r = [libc.ioctl(s, SIOCGIFMTU, ifreq("em0")).ifr_mtu]
        libc.ioctl(s, SIOCSIFMTU, ifreq("em0", ifr_mtu=1280))
        r.append(libc.ioctl(s, SIOCGIFMTU, ifreq("em0")).ifr_mtu)
        r.append(errno_of(lambda: libc.ioctl(s, SIOCSIFMTU, ifreq("em0", ifr_mtu=20))))
        r.append(errno_of(lambda: libc.ioctl(s, SIOCSIFMTU, ifreq("em0", ifr_mtu=70000))))
        r.append(libc.ioctl(s, SIOCGIFINDEX, ifreq("em0")).ifr_index)
        libc.ioctl(s, SIOCSIFMETRIC, ifreq("em0", ifr_metric=3))
        r.append(libc.ioctl(s, SIOCGIFMETRIC, ifreq("em0")).ifr_metric)
        r.append(libc.ioctl(s, SIOCGIFINFO_IN6, in6_ndireq("em0")).ndi.maxmtu)
        return r
    r, lab = _in_lab(fn)
    assert r == [1500, 1280, E.EINVAL, E.EINVAL, lab.machines["left"].ifnet("em0").if_index, 3,
                 1280]


def test_media_of_an_ethernet_interface_and_none_for_loopback():
    def fn(s: int) -> Any:
        m = libc.ioctl(s, SIOCGIFMEDIA, ifmediareq("em0"))
        return m, errno_of(lambda: libc.ioctl(s, SIOCGIFMEDIA, ifmediareq("lo0")))
    (m, lo), _lab = _in_lab(fn)
    assert m.ifm_current == IFM_ETHER | IFM_AUTO
    assert m.ifm_active == IFM_ETHER | IFM_1000_T | IFM_FDX
    assert m.ifm_status == IFM_AVALID | IFM_ACTIVE and m.ifm_count == 4
    assert lo == E.EINVAL


def test_promisc_arrives_as_ppromisc_and_groups_name_the_cloner():
    def fn(s: int) -> Any:
        libc.ioctl(s, SIOCSIFFLAGS,
                   ifreq("em0", ifr_flags=IFF.UP, ifr_flagshigh=IFF_PPROMISC >> 16))
        r = libc.ioctl(s, SIOCGIFFLAGS, ifreq("em0"))
        g = libc.ioctl(s, SIOCGIFGROUP, ifgroupreq("lo0")).ifgr_groups
        return r.ifr_flags, r.ifr_flagshigh, g
    (flags, high, groups), lab = _in_lab(fn)
    assert flags & IFF.PROMISC and high == IFF_PPROMISC >> 16 and groups == ["lo"]
    assert "em0: promiscuous mode enabled\n" in lab.machines["left"].console


def test_ipv6_requests_go_to_in6_control():
    def fn(s: int) -> Any:
        r = []
        req = in6_aliasreq("em0", sockaddr_in6(G1), None, sockaddr_in6(in6_prefix_mask(64)))
        r.append(libc.ioctl(s, SIOCAIFADDR_IN6, req) is req)
        r.append(libc.ioctl(s, SIOCGIFAFLAG_IN6, in6_ifreq("em0", sockaddr_in6(G1))).ifru_flags6)
        other = in6_ifreq("em0", sockaddr_in6(inet_pton6("2001:db8::9")))
        r.append(errno_of(lambda: libc.ioctl(s, SIOCDIFADDR_IN6, other)))
        r.append(libc.ioctl(s, SIOCGIFINFO_IN6, in6_ndireq("em0")).ndi.flags)
        r.append(errno_of(lambda: libc.ioctl(s, SIOCSNDFLUSH_IN6, "lo0")))   # ndp's dummy
        rs = libc.socket(PF_ROUTE, SOCK_RAW, 0)                       # no pru_control
        r.append(errno_of(lambda: libc.ioctl(rs, SIOCGIFINFO_IN6, in6_ndireq("em0"))))
        libc.ioctl(s, SIOCSDEFIFACE_IN6, in6_ndifreq("lo0", libc.if_nametoindex("em0")))
        r.append(libc.ioctl(s, SIOCGDEFIFACE_IN6, in6_ndifreq("lo0")).ifindex)
        return r
    r, lab = _in_lab(fn)
    em0 = lab.machines["left"].ifnet("em0")
    assert r == [True, IN6_IFF_TENTATIVE, E.EADDRNOTAVAIL,        # DAD waits for "up"
                 ND6_IFF_PERFORMNUD | ND6_IFF_AUTO_LINKLOCAL, 0,
                 E.EOPNOTSUPP, em0.if_index]
    assert [ia.ia_addr for ia in in6.in6_ifaddrs(em0.kernel, em0)] == [G1]


def test_unknown_interface_is_enxio_and_garbage_is_einval_never_a_panic():
    def fn(s: int) -> Any:
        bad = [None, 42, ifreq(ifr_name=7), ifreq("em0", ifr_mtu="1500"),
               in6_ndireq("em0"), sockaddr_dl(1)]
        r = [errno_of(lambda: libc.ioctl(s, SIOCGIFFLAGS, ifreq("em9"))),
             errno_of(lambda: libc.ioctl(s, SIOCAIFADDR_IN6, in6_aliasreq("em9")))]
        for b in bad:
            r.append(errno_of(lambda: libc.ioctl(s, SIOCSIFMTU, b)))
        r.append(errno_of(lambda: libc.ioctl(s, SIOCAIFADDR_IN6, in6_aliasreq(
            "em0", sockaddr_in6(b"short"), None, sockaddr_in6(in6_prefix_mask(64))))))
        r.append(errno_of(lambda: libc.ioctl(s, SIOCAIFADDR_IN6, in6_aliasreq(
            "em0", sockaddr_in6(G1), None, "ffff::"))))
        r.append(errno_of(lambda: libc.ioctl(s, SIOCAIFADDR_IN6, in6_ifreq("em0"))))
        r.append(errno_of(lambda: libc.ioctl(s, SIOCGIFMEDIA, ifreq("em0"))))
        return r
    r, lab = _in_lab(fn)
    assert r == [E.ENXIO, E.ENXIO, E.EINVAL, E.EINVAL, E.EINVAL, E.EINVAL, E.EINVAL, E.EINVAL,
                 E.EINVAL, E.EINVAL, E.EINVAL, E.EINVAL]
    assert lab.machines["left"].machine.panicked is None


def test_only_the_superuser_changes_interfaces():
    got: list = []

    def t(argv: list[str]) -> int:
        s = libc.socket(AF_INET6, SOCK_DGRAM, 0)
        got.append(libc.ioctl(s, SIOCGIFFLAGS, ifreq("lo0")).ifr_flags)
        got.append(errno_of(lambda: libc.ioctl(s, SIOCSIFFLAGS, ifreq("lo0"))))
        got.append(errno_of(lambda: libc.ioctl(s, SIOCSIFMTU, ifreq("lo0", ifr_mtu=1500))))
        got.append(errno_of(lambda: libc.ioctl(s, SIOCAIFADDR_IN6, in6_aliasreq(
            "lo0", sockaddr_in6(G1), None, sockaddr_in6(in6_prefix_mask(64))))))
        return 0
    h = Host(programs={"/bin/t": t})
    p, _out, _err = h.spawn("/bin/t")
    p.p_ucred.cr_uid = 1000
    h.wait(p)
    assert got == [IFF.UP | IFF.LOOPBACK | IFF.DRV_RUNNING | IFF.MULTICAST, E.EPERM, E.EPERM,
                   E.EPERM]


def test_getifaddrs_lists_link_then_inet_then_inet6_entries():
    def fn(s: int) -> Any:
        return libc.getifaddrs()
    ifap, lab = _in_lab(fn)
    em0 = lab.machines["left"].ifnet("em0")
    assert [(i.ifa_name, type(i.ifa_addr).__name__) for i in ifap] == [
        ("em0", "sockaddr_dl"), ("lo0", "sockaddr_dl"), ("lo0", "sockaddr_in"),
        ("lo0", "sockaddr_in6"), ("lo0", "sockaddr_in6")]   # if_index order: em0 is 1, lo0 2
    link = ifap[0]
    assert link.ifa_addr == sockaddr_dl(1, 6, "em0", MAC_LEFT) and em0.if_index == 1
    assert link.ifa_data["ifi_mtu"] == 1500 and link.ifa_data["ifi_link_state"] == 2
    assert ifap[4].ifa_addr == sockaddr_in6(inet_pton6("fe80::1"), 0, 0, 2)
    assert ifap[4].ifa_netmask == sockaddr_in6(in6_prefix_mask(64))
