"""A tiny router for the tests (rtadvd is the next issue): answers Router Solicitations.

``raresponder IF PREFIX [COUNT]`` runs on a host as a program: a raw ICMPv6
socket that joins ff02::2 on IF and passes only Router Solicitations; each
one (up to COUNT, default 1) is answered with a Router Advertisement to
ff02::1 (hop limit 255, from the link-local address the kernel picks)
carrying PREFIX/64 with the L and A flags and our link-layer address, and a
router lifetime of 1800 s.  It prints ``RS from ADDR`` per solicitation.
"""
from __future__ import annotations

from kernel.wire.icmp6 import (ICMP6_FILTER, ICMP6_FILTER_SETBLOCKALL, ICMP6_FILTER_SETPASS,
                               ND_ROUTER_SOLICIT, icmp6_filter)
from kernel.wire.in6 import inet_pton6, sockaddr_in6
from kernel.wire.in6_sockopt import (IPPROTO_IPV6, IPV6_HOPLIMIT, IPV6_JOIN_GROUP,
                                     IPV6_MULTICAST_HOPS, IPV6_RECVHOPLIMIT, cmsg_int,
                                     ipv6_mreq)
from kernel.wire.ip6 import IPPROTO_ICMPV6
from kernel.wire.nd6 import PrefixInformation, RouterAdvert, SourceLinkAddr
from kernel.wire.socket import AF_INET6, SOCK_RAW, msghdr
from userland import libc


def main(argv: list[str]) -> int:
    ifname, prefix = argv[1], argv[2]
    count = int(argv[3]) if len(argv) > 3 else 1
    idx = libc.if_nametoindex(ifname)
    mac = next(bytes(a.ifa_addr.sdl_lladdr) for a in libc.getifaddrs()
               if a.ifa_name == ifname and getattr(a.ifa_addr, "sdl_family", 0) == 18)
    s = libc.socket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6)
    f = icmp6_filter()
    ICMP6_FILTER_SETBLOCKALL(f)
    ICMP6_FILTER_SETPASS(ND_ROUTER_SOLICIT, f)
    libc.setsockopt(s, IPPROTO_ICMPV6, ICMP6_FILTER, f)
    libc.setsockopt(s, IPPROTO_IPV6, IPV6_JOIN_GROUP, ipv6_mreq(inet_pton6("ff02::2"), idx))
    libc.setsockopt(s, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1)
    libc.setsockopt(s, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, 255)
    ra = RouterAdvert(options=(SourceLinkAddr(mac),
                               PrefixInformation(inet_pton6(prefix), 64))).emit()
    for _ in range(count):
        data, frm = libc.recvfrom(s, 1500)
        libc.printf("RS from %s\n", libc.getnameinfo(frm, libc.NI_NUMERICHOST)[0])
        libc.fflush(libc.stdout)
        libc.sendmsg(s, msghdr(sockaddr_in6(inet_pton6("ff02::1"), 0, 0, idx), [ra],
                               [(IPPROTO_IPV6, IPV6_HOPLIMIT, cmsg_int(255))]))
    return 0
