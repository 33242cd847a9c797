"""kernel/wire/route.py with AF_INET sockaddrs: ``sockaddr_in`` in routing
messages (16 bytes, no padding), and BSD's shortened radix netmasks."""
from __future__ import annotations

import pytest

from kernel.wire.in_ import inet_pton4, sockaddr_in
from kernel.wire.route import (RT_MSGHDR_LEN, RTA_DST, RTA_GATEWAY, RTA_NETMASK, RTAX_DST,
                               RTAX_GATEWAY, RTAX_NETMASK, RTF_GATEWAY, RTM_ADD,
                               rt_addrs_pack, rt_addrs_unpack, rt_msg_build, rt_msg_parse)

DST = sockaddr_in(inet_pton4("10.0.0.0"))
GW = sockaddr_in(inet_pton4("192.0.2.2"))
MASK = sockaddr_in(inet_pton4("255.0.0.0"))


def test_sockaddr_in_deconstruct():
    bits, raw = rt_addrs_pack({RTAX_DST: DST})
    assert bits == RTA_DST and raw == bytes((16, 2, 0, 0, 10, 0, 0, 0)) + bytes(8)


def test_sockaddr_in_construct_and_parse_roundtrip():
    addrs = {RTAX_DST: DST, RTAX_GATEWAY: GW, RTAX_NETMASK: MASK}
    msg = rt_msg_build(RTM_ADD, addrs, rtm_flags=RTF_GATEWAY)
    assert len(msg) == RT_MSGHDR_LEN + 3 * 16
    h, got = rt_msg_parse(msg)
    assert h.rtm_addrs == RTA_DST | RTA_GATEWAY | RTA_NETMASK and got == addrs


def test_a_shortened_inet_netmask_is_zero_extended():
    """BSD's radix masks come with ``sa_len`` cut after the last nonzero byte."""
    got = rt_addrs_unpack(RTA_NETMASK, bytes((6, 2, 0, 0, 255, 255, 0, 0)))
    assert got == {RTAX_NETMASK: sockaddr_in(inet_pton4("255.255.0.0"))}


def test_an_inet_sockaddr_overrunning_the_message_is_a_value_error():
    with pytest.raises(ValueError):
        rt_addrs_unpack(RTA_DST, bytes((16, 2, 0, 0, 10, 0, 0, 0)))
