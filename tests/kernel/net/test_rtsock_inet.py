"""The routing socket for AF_INET (kernel/net/rtsock.py over kernel/netinet/in_rmx.py):
requests on the IPv4 table, the family filter, RTM_NEWADDR/RTM_DELADDR and
route announcements of IPv4 changes, ``sockaddr_in`` in ``net.route.iflist``
and ``net.route.dump``, and malformed AF_INET messages rejected without a panic."""
from __future__ import annotations

import random

from kernel.net import rtsock
from kernel.netinet import in_ as _in, in_rmx
from kernel.wire import errno as E
from kernel.wire.in_ import AF_INET, in_len2mask, inet_pton4, sockaddr_in
from kernel.wire.in6 import AF_INET6, sockaddr_in6
from kernel.wire.in_var import SIOCAIFADDR, SIOCDIFADDR, in_aliasreq, in_ifreq
from kernel.wire.route import (IFA_MSGHDR_LEN, PF_ROUTE, RTAX_BRD, RTAX_DST,
                               RTAX_GATEWAY, RTAX_IFA, RTAX_IFP, RTAX_NETMASK, RTF_DONE,
                               RTF_GATEWAY, RTF_HOST, RTF_STATIC, RTF_UP, RTM_ADD, RTM_CHANGE,
                               RTM_DELADDR, RTM_DELETE, RTM_GET, RTM_NEWADDR, RTV_MTU,
                               ifa_msghdr, rt_addrs_unpack, rt_msg_build, rt_msg_parse,
                               rt_msg_common, rt_msg_split, sockaddr_dl)
from kernel.wire.socket import MSG_DONTWAIT, SO_USELOOPBACK, SOCK_DGRAM, SOCK_RAW, SOL_SOCKET
from tests.kernel.kern.harness import errno_of
from tests.userland.netlab import pair
from userland import libc

A = inet_pton4


def S(a: str) -> sockaddr_in:
    return sockaddr_in(A(a))


def _read_all(s: int) -> list[bytes]:
    out = []
    while True:
        try:
            out.append(libc.recv(s, 2048, MSG_DONTWAIT))
        except OSError:
            return out


def _lab(fn):
    lab = pair(programs={"/bin/t": fn})
    k = lab.machines["left"].kernel
    assert _in.in_control(k, SIOCAIFADDR, in_aliasreq("em0", S("192.0.2.1"), None,
                                                      sockaddr_in(in_len2mask(24)))) == 0
    return lab, k


def test_rtm_add_get_change_delete_on_the_ipv4_table():
    got: dict = {}

    def t(argv: list[str]) -> int:
        s = libc.socket(PF_ROUTE, SOCK_RAW, 0)
        add = rt_msg_build(RTM_ADD, {RTAX_DST: S("10.0.0.0"), RTAX_GATEWAY: S("192.0.2.2"),
                                     RTAX_NETMASK: S("255.0.0.0")},
                           rtm_flags=RTF_UP | RTF_GATEWAY | RTF_STATIC, rtm_seq=1)
        libc.write(s, add)
        got["exists"] = errno_of(lambda: libc.write(s, add))
        libc.write(s, rt_msg_build(RTM_GET, {RTAX_DST: S("10.1.2.3"), RTAX_IFP: sockaddr_dl()},
                                   rtm_seq=2))
        libc.write(s, rt_msg_build(RTM_CHANGE, {RTAX_DST: S("10.0.0.0"),
                                                RTAX_GATEWAY: S("192.0.2.3"),
                                                RTAX_NETMASK: S("255.0.0.0")},
                                   rtm_seq=3, rtm_inits=RTV_MTU,
                                   rtm_rmx=dict(rmx_locks=0, rmx_mtu=1280, rmx_hopcount=0,
                                                rmx_expire=0, rmx_recvpipe=0, rmx_sendpipe=0,
                                                rmx_ssthresh=0, rmx_rtt=0, rmx_rttvar=0,
                                                rmx_pksent=0, rmx_filler=[0, 0, 0, 0])))
        libc.write(s, rt_msg_build(RTM_DELETE, {RTAX_DST: S("10.0.0.0"),
                                                RTAX_NETMASK: S("255.0.0.0")}, rtm_seq=4))
        got["again"] = errno_of(lambda: libc.write(s, rt_msg_build(
            RTM_DELETE, {RTAX_DST: S("10.0.0.0"), RTAX_NETMASK: S("255.0.0.0")}, rtm_seq=5)))
        got["msgs"] = _read_all(s)
        return 0
    lab, k = _lab(t)
    assert lab.run_command("left", "/bin/t")[0] == 0
    assert (got["exists"], got["again"]) == (E.EEXIST, E.ESRCH)
    assert in_rmx.in_rtlookup(k, A("10.0.0.0"), 8) is None
    hdrs = [rt_msg_parse(m) for m in got["msgs"]]
    assert [(h.rtm_type, h.rtm_seq, h.rtm_errno) for h, _ in hdrs] == [
        (RTM_ADD, 1, 0), (RTM_ADD, 1, E.EEXIST), (RTM_GET, 2, 0), (RTM_CHANGE, 3, 0),
        (RTM_DELETE, 4, 0), (RTM_DELETE, 5, E.ESRCH)]
    h, addrs = hdrs[2]                                       # the longest match, with its ifp
    assert addrs[RTAX_DST] == S("10.0.0.0") and addrs[RTAX_NETMASK] == S("255.0.0.0")
    assert addrs[RTAX_GATEWAY] == S("192.0.2.2") and addrs[RTAX_IFA] == S("192.0.2.1")
    assert addrs[RTAX_IFP].sdl_name == "em0" and h.rtm_index == 1
    assert h.rtm_flags == RTF_UP | RTF_GATEWAY | RTF_STATIC | RTF_DONE
    h, addrs = hdrs[3]                                       # RTM_CHANGE: the route as it is now
    assert addrs[RTAX_GATEWAY] == S("192.0.2.3") and h.rtm_rmx.rmx_mtu == 1280


def test_a_socket_of_family_inet6_does_not_hear_inet_requests_and_announcements():
    got: dict = {}

    def t(argv: list[str]) -> int:
        s = libc.socket(PF_ROUTE, SOCK_RAW, 0)
        s4 = libc.socket(PF_ROUTE, SOCK_RAW, AF_INET)
        s6 = libc.socket(PF_ROUTE, SOCK_RAW, AF_INET6)
        libc.setsockopt(s, SOL_SOCKET, SO_USELOOPBACK, 0)
        libc.write(s, rt_msg_build(RTM_ADD, {RTAX_DST: S("10.0.0.0"),
                                             RTAX_GATEWAY: S("192.0.2.2"),
                                             RTAX_NETMASK: S("255.0.0.0")},
                                   rtm_flags=RTF_GATEWAY | RTF_STATIC, rtm_seq=1))
        u = libc.socket(AF_INET, SOCK_DGRAM, 0)
        libc.ioctl(u, SIOCAIFADDR, in_aliasreq("em0", S("198.51.100.1"), None,
                                               sockaddr_in(in_len2mask(24))))
        libc.ioctl(u, SIOCDIFADDR, in_ifreq("em0", S("198.51.100.1")))
        got["s"] = _read_all(s)
        got["s4"] = _read_all(s4)
        got["s6"] = _read_all(s6)
        return 0
    lab, k = _lab(t)
    assert lab.run_command("left", "/bin/t")[0] == 0
    assert got["s6"] == []
    types = [rt_msg_common(m)[2] for m in got["s4"]]
    # the request's echo, then the kernel's: the subnet and local routes, the
    # address; on removal the routes go and then the address
    assert types == [RTM_ADD, RTM_ADD, RTM_ADD, RTM_NEWADDR, RTM_DELETE, RTM_DELETE, RTM_DELADDR]
    assert [rt_msg_common(m)[2] for m in got["s"]] == types[1:]      # not its own echo
    new = got["s4"][3]
    h = ifa_msghdr.parse(new[:IFA_MSGHDR_LEN])
    addrs = rt_addrs_unpack(h.ifam_addrs, new, IFA_MSGHDR_LEN)
    assert (addrs[RTAX_IFA], addrs[RTAX_NETMASK], addrs[RTAX_BRD]) == (
        S("198.51.100.1"), S("255.255.255.0"), S("198.51.100.255"))
    assert addrs[RTAX_IFP].sdl_name == "em0" and h.ifam_index == 1
    _, subnet = rt_msg_parse(got["s4"][1])
    _, local = rt_msg_parse(got["s4"][2])
    assert (subnet[RTAX_DST], subnet[RTAX_NETMASK]) == (S("198.51.100.0"), S("255.255.255.0"))
    assert local[RTAX_DST] == S("198.51.100.1") and RTAX_NETMASK not in local


def test_iflist_carries_ipv4_addresses_before_ipv6_and_dump_ipv4_routes_first():
    lab, k = _lab(lambda argv: 0)
    msgs = rt_msg_split(rtsock.sysctl_iflist(k))
    fams = []
    for m in msgs:
        if rt_msg_common(m)[2] != RTM_NEWADDR:
            continue
        h = ifa_msghdr.parse(m[:IFA_MSGHDR_LEN])
        ifa = rt_addrs_unpack(h.ifam_addrs, m, IFA_MSGHDR_LEN)[RTAX_IFA]
        fams.append((h.ifam_index, type(ifa).__name__))
    lo = k.loif.if_index
    assert fams == [(1, "sockaddr_in"), (1, "sockaddr_in6"), (lo, "sockaddr_in"),
                    (lo, "sockaddr_in6"), (lo, "sockaddr_in6")]
    dsts = [rt_msg_parse(m)[1][RTAX_DST] for m in rt_msg_split(rtsock.sysctl_dumpentries(k))]
    n4 = sum(isinstance(d, sockaddr_in) for d in dsts)
    assert dsts[:n4] == [S("127.0.0.1"), S("192.0.2.0"), S("192.0.2.1")]
    assert all(isinstance(d, sockaddr_in6) for d in dsts[n4:]) and len(dsts) > n4


def test_malformed_inet_requests_are_refused():
    got: dict = {}

    def t(argv: list[str]) -> int:
        s = libc.socket(PF_ROUTE, SOCK_RAW, 0)

        def w(addrs: dict, rtype: int = RTM_ADD, flags: int = RTF_GATEWAY) -> int:
            return errno_of(lambda: libc.write(s, rt_msg_build(rtype, addrs, rtm_flags=flags)))
        got["holes"] = w({RTAX_DST: S("10.0.0.0"), RTAX_GATEWAY: S("192.0.2.2"),
                          RTAX_NETMASK: S("255.0.255.0")})           # not contiguous
        got["nogw"] = w({RTAX_DST: S("10.0.0.0"), RTAX_NETMASK: S("255.0.0.0")})
        got["gw6"] = w({RTAX_DST: S("10.0.0.0"), RTAX_NETMASK: S("255.0.0.0"),
                        RTAX_GATEWAY: sockaddr_in6(bytes(15) + b"\x01")})
        got["offlink"] = w({RTAX_DST: S("10.0.0.0"), RTAX_NETMASK: S("255.0.0.0"),
                            RTAX_GATEWAY: S("203.0.113.1")})
        got["noifp"] = w({RTAX_DST: S("10.0.0.0"), RTAX_NETMASK: S("255.0.0.0"),
                          RTAX_GATEWAY: S("192.0.2.2"), RTAX_IFP: sockaddr_dl(0, 0, "em9")})
        # a family-less radix mask (sa_len 8: 255.255.0.0 in its bytes 4-5) is a mask too
        raw = rt_msg_build(RTM_ADD, {RTAX_DST: S("10.0.0.0"), RTAX_GATEWAY: S("192.0.2.2"),
                                     RTAX_NETMASK: bytes((8, 0, 0, 0, 255, 255, 0, 0))},
                           rtm_flags=RTF_GATEWAY)
        got["short"] = errno_of(lambda: libc.write(s, raw))
        got["host"] = w({RTAX_DST: S("10.9.9.9"), RTAX_GATEWAY: S("192.0.2.2")},
                        flags=RTF_GATEWAY | RTF_HOST)
        return 0
    lab, k = _lab(t)
    assert lab.run_command("left", "/bin/t")[0] == 0
    assert got == {"holes": E.EINVAL, "nogw": E.EINVAL, "gw6": E.EAFNOSUPPORT,
                   "offlink": E.ENETUNREACH, "noifp": E.ENXIO, "short": 0, "host": 0}
    assert in_rmx.in_rtlookup(k, A("10.0.0.0"), 16) is not None
    assert in_rmx.in_rtlookup(k, A("10.9.9.9"), 32).rt_flags & RTF_HOST


def test_fuzzed_inet_routing_messages_never_panic_the_kernel():
    rng = random.Random(7)
    seeds = [rt_msg_build(RTM_ADD, {RTAX_DST: S("10.0.0.0"), RTAX_GATEWAY: S("192.0.2.2"),
                                    RTAX_NETMASK: S("255.0.0.0")}, rtm_flags=RTF_GATEWAY),
             rt_msg_build(RTM_GET, {RTAX_DST: S("10.1.1.1"), RTAX_IFP: sockaddr_dl()}),
             rt_msg_build(RTM_CHANGE, {RTAX_DST: S("10.0.0.0"), RTAX_NETMASK: S("255.0.0.0"),
                                       RTAX_IFA: S("192.0.2.1")})]
    errors: list[int] = []

    def t(argv: list[str]) -> int:
        s = libc.socket(PF_ROUTE, SOCK_RAW, 0)
        libc.setsockopt(s, SOL_SOCKET, SO_USELOOPBACK, 0)
        for _ in range(400):
            m = bytearray(rng.choice(seeds))
            for _ in range(rng.randrange(1, 5)):
                m[rng.randrange(92, len(m))] = rng.randrange(256)     # the sockaddrs
            try:
                libc.write(s, bytes(m))
            except OSError as e:
                errors.append(e.errno)
        return 0
    lab, _k = _lab(t)
    status, out = lab.run_command("left", "/bin/t")
    assert status == 0 and lab.machines["left"].machine.panicked is None, out
    assert errors and set(errors) <= {E.EINVAL, E.EOPNOTSUPP, E.EAFNOSUPPORT, E.ESRCH,
                                      E.EEXIST, E.ENXIO, E.ENETUNREACH, E.ENOENT, E.EPERM}
