"""The routing socket (kernel/net/rtsock.py): binary rt_msghdr requests from
processes, echoes and broadcasts, kernel announcements, SO_USELOOPBACK, the
family filter, the sysctl dumps, and malformed messages rejected and counted."""
from __future__ import annotations

import random

from kernel.net import rtsock
from kernel.net.route import rtlookup
from kernel.wire import errno as E
from kernel.wire.in6 import in6_prefix_mask, inet_pton6, sockaddr_in6
from kernel.wire.in6_var import SIOCAIFADDR_IN6, in6_aliasreq
from kernel.wire.net_if import ifreq
from kernel.wire.route import (IF_MSGHDR_LEN, IFA_MSGHDR_LEN, PF_ROUTE, RT_MSGHDR_LEN, RTA_DST,
                               RTA_GATEWAY, RTA_IFA, RTA_IFP, RTA_NETMASK, RTAX_DST,
                               RTAX_GATEWAY, RTAX_IFA, RTAX_IFP, RTAX_NETMASK, RTF_DONE,
                               RTF_GATEWAY, RTF_HOST, RTF_LLINFO, RTF_STATIC, RTF_UP, RTM_ADD,
                               RTM_CHANGE, RTM_DELADDR, RTM_DELETE, RTM_GET, RTM_IFINFO,
                               RTM_NEWADDR, RTV_MTU, ifa_msghdr, if_msghdr, rt_msg_build,
                               rt_msg_parse, rt_msg_split, sockaddr_dl)
from kernel.wire.socket import (AF_INET6, MSG_DONTWAIT, SO_USELOOPBACK, SOCK_DGRAM, SOCK_RAW,
                                SOL_SOCKET)
from kernel.wire.sockio import SIOCSIFFLAGS
from tests.kernel.kern.harness import Host, errno_of
from tests.userland.netlab import MAC_LEFT, pair
from userland import libc

NET = inet_pton6("2001:db8:7::")
GW = inet_pton6("fe80::1")
G1 = inet_pton6("2001:db8:12::1")


def _host(fn):
    return Host(programs={"/bin/t": fn})


def _add_msg(seq: int = 1, dst: bytes = NET, plen: int = 64, gw_zone: int = 1,
             flags: int = RTF_UP | RTF_GATEWAY | RTF_STATIC) -> bytes:
    return rt_msg_build(RTM_ADD, {RTAX_DST: sockaddr_in6(dst),
                                  RTAX_GATEWAY: sockaddr_in6(GW, 0, 0, gw_zone),
                                  RTAX_NETMASK: sockaddr_in6(in6_prefix_mask(plen))},
                        rtm_flags=flags, rtm_seq=seq)


def _read_all(s: int) -> list[bytes]:
    out = []
    while True:
        try:
            out.append(libc.recv(s, 2048, MSG_DONTWAIT))
        except OSError:
            return out


def test_rtm_add_installs_the_route_and_echoes_to_every_routing_socket():
    got: dict = {}

    def t(argv: list[str]) -> int:
        s = libc.socket(PF_ROUTE, SOCK_RAW, 0)
        other = libc.socket(PF_ROUTE, SOCK_RAW, 0)
        got["n"] = libc.write(s, _add_msg(seq=7))
        got["mine"] = _read_all(s)
        got["other"] = _read_all(other)
        got["pid"] = libc.getpid()
        return 0
    h = _host(t)
    assert h.run("/bin/t").status == 0
    msg = _add_msg(seq=7)
    assert got["n"] == len(msg)
    rt = rtlookup(h.k, NET, 64)
    assert rt is not None and rt.rt_gateway == GW and rt.rt_ifp is h.k.loif
    assert rt.rt_flags & (RTF_GATEWAY | RTF_STATIC) == RTF_GATEWAY | RTF_STATIC
    for m in (got["mine"], got["other"]):
        assert len(m) == 1
        hdr, addrs = rt_msg_parse(m[0])
        assert (hdr.rtm_type, hdr.rtm_seq, hdr.rtm_pid, hdr.rtm_errno) == (RTM_ADD, 7,
                                                                             got["pid"], 0)
        assert hdr.rtm_flags & RTF_DONE and hdr.rtm_index == h.k.loif.if_index
        assert addrs[RTAX_GATEWAY] == sockaddr_in6(GW, 0, 0, 1)


def test_errors_come_back_in_rtm_errno_and_from_write():
    got: dict = {}

    def t(argv: list[str]) -> int:
        s = libc.socket(PF_ROUTE, SOCK_RAW, 0)
        libc.write(s, _add_msg(seq=1))
        got["exists"] = errno_of(lambda: libc.write(s, _add_msg(seq=2)))
        delete = rt_msg_build(RTM_DELETE, {RTAX_DST: sockaddr_in6(inet_pton6("2001:db8:9::")),
                                           RTAX_NETMASK: sockaddr_in6(in6_prefix_mask(64))},
                              rtm_seq=3)
        got["nosuch"] = errno_of(lambda: libc.write(s, delete))
        get = rt_msg_build(RTM_GET, {RTAX_DST: sockaddr_in6(inet_pton6("2001:db8:ff::1"))},
                           rtm_seq=4)
        got["noroute"] = errno_of(lambda: libc.write(s, get))
        got["msgs"] = [rt_msg_parse(m)[0] for m in _read_all(s)]
        return 0
    h = _host(t)
    h.run("/bin/t")
    assert (got["exists"], got["nosuch"], got["noroute"]) == (E.EEXIST, E.ESRCH, E.ESRCH)
    assert [(m.rtm_seq, m.rtm_errno, bool(m.rtm_flags & RTF_DONE)) for m in got["msgs"]] == [
        (1, 0, True), (2, E.EEXIST, False), (3, E.ESRCH, False), (4, E.ESRCH, False)]
    assert h.k.rtsock.stat.rts_failed == 3


def test_rtm_get_answers_with_the_route_interface_and_address():
    got: dict = {}

    def t(argv: list[str]) -> int:
        s = libc.socket(PF_ROUTE, SOCK_RAW, 0)
        libc.write(s, _add_msg(seq=1))
        get = rt_msg_build(RTM_GET, {RTAX_DST: sockaddr_in6(inet_pton6("2001:db8:7::42")),
                                     RTAX_IFP: sockaddr_dl()}, rtm_seq=2)
        libc.write(s, get)
        got["reply"] = _read_all(s)[-1]
        return 0
    h = _host(t)
    h.run("/bin/t")
    hdr, addrs = rt_msg_parse(got["reply"])
    assert hdr.rtm_type == RTM_GET and hdr.rtm_errno == 0
    assert hdr.rtm_addrs == RTA_DST | RTA_GATEWAY | RTA_NETMASK | RTA_IFP | RTA_IFA
    assert addrs[RTAX_DST] == sockaddr_in6(NET)
    assert addrs[RTAX_NETMASK] == sockaddr_in6(in6_prefix_mask(64))
    assert addrs[RTAX_IFP].sdl_name == "lo0" and addrs[RTAX_IFP].sdl_index == 1
    assert isinstance(addrs[RTAX_IFA], sockaddr_in6)
    assert hdr.rtm_flags == RTF_UP | RTF_GATEWAY | RTF_STATIC | RTF_DONE
    assert hdr.rtm_rmx.rmx_mtu == h.k.loif.if_mtu and hdr.rtm_rmx.rmx_filler[0] == 1


def test_rtm_change_sets_gateway_and_metrics():
    def t(argv: list[str]) -> int:
        s = libc.socket(PF_ROUTE, SOCK_RAW, 0)
        libc.write(s, _add_msg(seq=1))
        rmx = dict(rmx_locks=0, rmx_mtu=1280, rmx_hopcount=0, rmx_expire=0, rmx_recvpipe=0,
                   rmx_sendpipe=0, rmx_ssthresh=0, rmx_rtt=0, rmx_rttvar=0, rmx_pksent=0,
                   rmx_filler=[0, 0, 0, 0])
        libc.write(s, rt_msg_build(RTM_CHANGE, {
            RTAX_DST: sockaddr_in6(NET), RTAX_GATEWAY: sockaddr_in6(inet_pton6("fe80::2"), 0, 0, 1),
            RTAX_NETMASK: sockaddr_in6(in6_prefix_mask(64))}, rtm_seq=2, rtm_inits=RTV_MTU,
            rtm_rmx=rmx))
        return 0
    h = _host(t)
    assert h.run("/bin/t").status == 0
    rt = rtlookup(h.k, NET, 64)
    assert rt.rt_gateway == inet_pton6("fe80::2") and rt.rt_mtu == 1280


def test_so_useloopback_off_keeps_a_senders_own_messages_away():
    got: dict = {}

    def t(argv: list[str]) -> int:
        s = libc.socket(PF_ROUTE, SOCK_RAW, 0)
        got["default"] = libc.getsockopt(s, SOL_SOCKET, SO_USELOOPBACK)
        libc.setsockopt(s, SOL_SOCKET, SO_USELOOPBACK, 0)
        other = libc.socket(PF_ROUTE, SOCK_RAW, 0)
        libc.write(s, _add_msg(seq=1))
        got["mine"] = _read_all(s)
        got["other"] = _read_all(other)
        return 0
    _host(t).run("/bin/t")
    assert got["default"] and got["mine"] == [] and len(got["other"]) == 1


def test_a_socket_of_one_family_misses_interface_messages():
    got: dict = {}

    def t(argv: list[str]) -> int:
        all_ = libc.socket(PF_ROUTE, SOCK_RAW, 0)
        inet6 = libc.socket(PF_ROUTE, SOCK_RAW, AF_INET6)
        d = libc.socket(AF_INET6, SOCK_DGRAM, 0)
        r = libc.ioctl(d, 0xC0206911, ifreq("lo0"))          # SIOCGIFFLAGS
        libc.ioctl(d, SIOCSIFFLAGS, ifreq("lo0", ifr_flags=r.ifr_flags | 0x1000))   # link0
        libc.write(all_, _add_msg(seq=1))
        got["all"] = [m[3] for m in _read_all(all_)]
        got["inet6"] = [m[3] for m in _read_all(inet6)]
        return 0
    _host(t).run("/bin/t")
    assert got["all"] == [RTM_IFINFO, RTM_ADD] and got["inet6"] == [RTM_ADD]


def test_kernel_announces_addresses_routes_and_interface_changes():
    got: dict = {}

    def t(argv: list[str]) -> int:
        s = libc.socket(PF_ROUTE, SOCK_RAW, 0)
        d = libc.socket(AF_INET6, SOCK_DGRAM, 0)
        libc.ioctl(d, SIOCSIFFLAGS, ifreq("em0", ifr_flags=0x1))
        libc.sleep(3)
        _read_all(s)
        libc.ioctl(d, SIOCAIFADDR_IN6, in6_aliasreq("em0", sockaddr_in6(G1),
                                                     None, sockaddr_in6(in6_prefix_mask(64))))
        got["msgs"] = _read_all(s)
        return 0
    lab = pair(programs={"/bin/t": t})
    assert lab.run_command("left", "/bin/t")[0] == 0
    types = [m[3] for m in got["msgs"]]
    assert types == [RTM_ADD, RTM_ADD, RTM_NEWADDR]
    hdr = ifa_msghdr.parse(got["msgs"][2][:IFA_MSGHDR_LEN])
    addrs = rt_msg_parse_any(got["msgs"][2], hdr.ifam_addrs, IFA_MSGHDR_LEN)
    em0 = lab.machines["left"].ifnet("em0")
    assert hdr.ifam_index == em0.if_index
    assert addrs[RTAX_IFA] == sockaddr_in6(G1)
    assert addrs[RTAX_IFP] == sockaddr_dl(em0.if_index, 6, "em0", MAC_LEFT)
    assert addrs[RTAX_NETMASK] == sockaddr_in6(in6_prefix_mask(64))


def rt_msg_parse_any(msg: bytes, bits: int, off: int) -> dict:
    from kernel.wire.route import rt_addrs_unpack
    return rt_addrs_unpack(bits, msg, off)


def test_link_state_change_and_address_removal_are_announced(monkeypatch):
    lab = pair()
    k = lab.machines["left"].kernel
    em0 = k.ifunit("em0")
    seen: list[tuple[bytes, int]] = []
    k.rtsock.rcbs.append(rtsock.rawcb(None, 0))           # someone listens
    monkeypatch.setattr(rtsock, "rt_dispatch",
                        lambda k, msg, family, skip=None: seen.append((msg, family)))
    from kernel.net.if_ioctl import if_up
    from kernel.netinet6 import in6
    from kernel.wire.net_if import LinkState
    if_up(em0)
    em0.if_link_state_change(LinkState.DOWN)
    for ia in in6.in6_ifaddrs(k, em0):
        in6.in6_purgeaddr(ia)
    types = [m[3] for m, _f in seen]
    assert types[0] == RTM_IFINFO and types[-1] == RTM_DELADDR
    ifinfo = [(if_msghdr.parse(m[:IF_MSGHDR_LEN]), f) for m, f in seen if m[3] == RTM_IFINFO]
    assert [i.ifm_data.ifi_link_state for i, _f in ifinfo] == [2, 1]     # up, then down
    assert all(i.ifm_index == em0.if_index and f == 0 for i, f in ifinfo)
    assert all(f == AF_INET6 for m, f in seen if m[3] != RTM_IFINFO)


def test_lldata_messages_add_and_delete_neighbor_cache_entries():
    got: dict = {}
    n1 = inet_pton6("2001:db8:12::99")

    def t(argv: list[str]) -> int:
        s = libc.socket(PF_ROUTE, SOCK_RAW, 0)
        em0 = libc.if_nametoindex("em0")
        gw = sockaddr_dl(em0, 6, "", bytes.fromhex("020000000099"))
        libc.write(s, rt_msg_build(RTM_ADD, {RTAX_DST: sockaddr_in6(n1), RTAX_GATEWAY: gw},
                                   rtm_flags=RTF_HOST | RTF_STATIC | RTF_LLINFO, rtm_seq=1))
        got["dump"] = rt_msg_split(libc.sysctlbyname("net.route.llinfo"))
        libc.write(s, rt_msg_build(RTM_DELETE, {RTAX_DST: sockaddr_in6(n1), RTAX_GATEWAY: gw},
                                   rtm_flags=RTF_LLINFO, rtm_seq=2))
        got["again"] = errno_of(lambda: libc.write(s, rt_msg_build(
            RTM_DELETE, {RTAX_DST: sockaddr_in6(n1), RTAX_GATEWAY: gw}, rtm_flags=RTF_LLINFO,
            rtm_seq=3)))
        got["bad"] = errno_of(lambda: libc.write(s, rt_msg_build(
            RTM_ADD, {RTAX_DST: sockaddr_in6(n1), RTAX_GATEWAY: sockaddr_dl(em0)},
            rtm_flags=RTF_LLINFO, rtm_seq=4)))
        return 0
    lab = pair(programs={"/bin/t": t})
    assert lab.run_command("left", "/bin/t")[0] == 0
    assert len(got["dump"]) == 1
    hdr, addrs = rt_msg_parse(got["dump"][0])
    assert addrs[RTAX_DST] == sockaddr_in6(n1)
    assert addrs[RTAX_GATEWAY].sdl_lladdr == bytes.fromhex("020000000099")
    want = RTF_HOST | RTF_LLINFO | RTF_STATIC
    assert hdr.rtm_flags & want == want
    assert (got["again"], got["bad"]) == (E.ENOENT, E.EINVAL)
    from kernel.netinet6 import nd6
    assert nd6.nd6_entries(lab.machines["left"].kernel) == []


def test_route_dump_is_in_radix_order():
    h = Host()
    msgs = rt_msg_split(rtsock.sysctl_dumpentries(h.k))
    dsts = [str(rt_msg_parse(m)[1][RTAX_DST]) for m in msgs]
    assert dsts == ["127.0.0.1", "::1", "fe80::%1", "fe80::1%1"]     # AF_INET's table first
    assert all(rt_msg_parse(m)[0].rtm_type == RTM_GET for m in msgs)


# -- malformed messages ----------------------------------------------------------------------
def test_malformed_messages_are_rejected_counted_and_not_passed_on():
    got: dict = {}
    good = _add_msg(seq=1)

    def t(argv: list[str]) -> int:
        s = libc.socket(PF_ROUTE, SOCK_RAW, 0)
        listener = libc.socket(PF_ROUTE, SOCK_RAW, 0)
        got["short"] = errno_of(lambda: libc.write(s, good[:50]))
        got["len"] = errno_of(lambda: libc.write(s, bytes((200, 0)) + good[2:]))
        got["longer"] = errno_of(lambda: libc.write(s, good + b"\0" * 8))
        got["version"] = errno_of(lambda: libc.write(s, good[:2] + bytes((4,)) + good[3:]))
        got["overrun"] = errno_of(lambda: libc.write(s, good[:RT_MSGHDR_LEN] + bytes((60, 28))
                                                     + good[RT_MSGHDR_LEN + 2:]))
        got["type"] = errno_of(lambda: libc.write(s, good[:3] + bytes((99,)) + good[4:]))
        got["nodst"] = errno_of(lambda: libc.write(s, rt_msg_build(RTM_GET, {}, rtm_seq=9)))
        got["heard"] = [m[3] for m in _read_all(listener)]
        return 0
    h = _host(t)
    assert h.run("/bin/t").status == 0 and h.panicked is None
    assert got == {"short": E.EINVAL, "len": E.EINVAL, "longer": E.EINVAL,
                   "version": E.EPROTONOSUPPORT, "overrun": E.EINVAL, "type": E.EOPNOTSUPP,
                   "nodst": E.EINVAL, "heard": [99, RTM_GET]}
    st = h.k.rtsock.stat
    assert (st.rts_badlen, st.rts_badversion, st.rts_badaddrs, st.rts_badtype) == (3, 1, 1, 1)


def test_fuzzed_routing_messages_never_panic_the_kernel():
    rng = random.Random(4)
    seeds = [_add_msg(seq=1), rt_msg_build(RTM_GET, {RTAX_DST: sockaddr_in6(NET),
                                                     RTAX_IFP: sockaddr_dl()}),
             rt_msg_build(RTM_DELETE, {RTAX_DST: sockaddr_in6(NET),
                                       RTAX_GATEWAY: sockaddr_dl(1, 6, "lo0", b"\x01" * 6)},
                          rtm_flags=RTF_LLINFO)]
    errors: list[int] = []

    def t(argv: list[str]) -> int:
        s = libc.socket(PF_ROUTE, SOCK_RAW, 0)
        libc.setsockopt(s, SOL_SOCKET, SO_USELOOPBACK, 0)
        for i in range(600):
            m = bytearray(rng.choice(seeds))
            for _ in range(rng.randrange(1, 6)):
                m[rng.randrange(len(m))] = rng.randrange(256)
            if rng.random() < 0.3:
                m = m[:rng.randrange(len(m) + 1)]
            try:
                libc.write(s, bytes(m))
            except OSError as e:
                errors.append(e.errno)
        return 0
    h = _host(t)
    r = h.run("/bin/t")
    assert r.status == 0 and h.panicked is None, r.err
    assert errors and set(errors) <= {E.EINVAL, E.EPROTONOSUPPORT, E.EOPNOTSUPP, E.EAFNOSUPPORT,
                                      E.ESRCH, E.EEXIST, E.ENXIO, E.ENETUNREACH, E.ENOENT}
