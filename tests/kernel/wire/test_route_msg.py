"""kernel/wire/route.py: rt_msghdr, sockaddr_dl, flag letters."""
from __future__ import annotations

import pytest

from kernel.wire.in6 import in6_prefix_mask, inet_pton6, sockaddr_in6
from kernel.wire.route import (RT_MSGHDR_LEN, RTA_DST, RTA_GATEWAY, RTA_NETMASK, RTAX_DST,
                               RTAX_GATEWAY, RTAX_NETMASK, RTF_DONE, RTF_GATEWAY, RTF_HOST,
                               RTF_LLINFO, RTF_LOCAL, RTF_MULTICAST, RTF_STATIC, RTF_UP, RTM_ADD,
                               RTM_GET, RTM_VERSION, ROUNDUP, rt_flags_letters, rt_msg_build,
                               rt_msg_parse, rt_msghdr, sockaddr_dl)

NET = inet_pton6("2001:db8::")
GW = inet_pton6("fe80::1")


def test_freebsd_values():
    assert (RTF_UP, RTF_GATEWAY, RTF_HOST, RTF_DONE, RTF_LLINFO, RTF_STATIC) == \
        (0x1, 0x2, 0x4, 0x40, 0x400, 0x800)
    assert (RTF_LOCAL, RTF_MULTICAST, RTM_VERSION) == (0x200000, 0x800000, 5)
    assert RT_MSGHDR_LEN == 92 and ROUNDUP(28) == 28 and ROUNDUP(54) == 56 and ROUNDUP(0) == 4


def test_netstat_flag_letters():
    assert rt_flags_letters(RTF_UP | RTF_GATEWAY | RTF_STATIC) == "UGS"
    assert rt_flags_letters(RTF_UP | RTF_HOST | RTF_LLINFO) == "UHL"


def test_rt_msghdr_deconstruct_construct():
    raw = rt_msghdr.build(dict(rtm_msglen=92, rtm_type=RTM_GET, rtm_seq=7, rtm_pid=42))
    assert len(raw) == 92 and raw[:4] == bytes((92, 0, 5, RTM_GET))
    h = rt_msghdr.parse(raw)
    assert (h.rtm_seq, h.rtm_pid, h.rtm_rmx.rmx_mtu) == (7, 42, 0)


def test_rt_msg_parse_and_emit_roundtrip_with_sockaddrs():
    addrs = {RTAX_DST: sockaddr_in6(NET), RTAX_GATEWAY: sockaddr_in6(GW, 0, 0, 1),
             RTAX_NETMASK: sockaddr_in6(in6_prefix_mask(64))}
    msg = rt_msg_build(RTM_ADD, addrs, rtm_seq=1, rtm_flags=RTF_UP | RTF_GATEWAY)
    h, got = rt_msg_parse(msg)
    assert h.rtm_addrs == RTA_DST | RTA_GATEWAY | RTA_NETMASK and h.rtm_msglen == len(msg)
    assert got == addrs


def test_sockaddr_dl_roundtrip():
    sdl = sockaddr_dl(2, 6, "em0", bytes.fromhex("020000000a01"))
    assert sockaddr_dl.unpack(sdl.pack()) == sdl and str(sdl) == "02:00:00:00:0a:01"
    assert str(sockaddr_dl(3)) == "link#3"


@pytest.mark.parametrize("mutate", [
    lambda b: b[:50],                                   # shorter than the header
    lambda b: bytes((b[0], b[1], 4)) + b[3:],           # wrong version
    lambda b: bytes((200, 0)) + b[2:],                  # msglen beyond the buffer
    lambda b: b[:92] + bytes((60, 28)) + b[94:],        # a sockaddr longer than the message
])
def test_untrusted_routing_messages_raise_value_error_only(mutate):
    msg = rt_msg_build(RTM_ADD, {RTAX_DST: sockaddr_in6(NET)})
    with pytest.raises(ValueError):
        rt_msg_parse(mutate(msg))
