"""Per-socket IPsec policies (KAME's IPV6_IPSEC_POLICY / IP_IPSEC_POLICY,
kernel/netipsec/ipsec.py ipsec_pcbctloutput, ipsec_in_reject_so; ping6 -P).

RFC 4301 4.4.1 lets an implementation give a socket its own entries ahead of
the SPD; KAME does it with setsockopt(IPV6_IPSEC_POLICY) and a binary
sadb_x_policy made by ipsec_set_policy(3).  The pair lab's hosts have the SAs
of ipsec_lab but no SPD entries unless a test adds them.
"""
from __future__ import annotations

from typing import Any

import pytest

from emu.sched import SEC
from kernel.wire.in6 import AF_INET6
from kernel.wire.in6_sockopt import IPPROTO_IPV6, IPV6_IPSEC_POLICY
from kernel.wire.in_ import AF_INET, IP_IPSEC_POLICY, IPPROTO_IP
from kernel.wire.pfkeyv2 import SADB_X_EXT_POLICY, ext_parse
from tests.kernel.netipsec.ipsec_lab import L, R, Wire, keyed, ok, setkey, stats
from tests.userland.netlab import pair, up
from userland import libc
from userland.libipsec import ipsec_dump_policy, ipsec_get_policylen, ipsec_set_policy

EK = "0x" + "22" * 16
AK = "0x" + "11" * 20


def sas_only(me: str, peer: str) -> str:
    """Both SAs, no policy: only a socket's own policy asks for ESP."""
    so, si = (0x1000, 0x2000) if me == L else (0x2000, 0x1000)
    return (f"flush;\nspdflush;\n"
            f"add {me} {peer} esp {so:#x} -m transport -E aes-cbc {EK} -A hmac-sha1 {AK};\n"
            f"add {peer} {me} esp {si:#x} -m transport -E aes-cbc {EK} -A hmac-sha1 {AK};\n")


def _sockprog(argv: list[str]) -> int:
    """``sockpol family policy...``: set each policy on a datagram socket and
    print what getsockopt gives back for each direction, or the errno."""
    fam = AF_INET if argv[1] == "inet" else AF_INET6
    level, name = (IPPROTO_IP, IP_IPSEC_POLICY) if fam == AF_INET else \
        (IPPROTO_IPV6, IPV6_IPSEC_POLICY)
    s = libc.socket(fam, 2, 0)
    for text in argv[2:]:
        buf = ipsec_set_policy(text)
        try:
            libc.setsockopt(s, level, name, buf[:ipsec_get_policylen(buf)])
            libc.printf("set %s: ok\n", text)
        except OSError as e:
            libc.printf("set %s: errno %d\n", text, e.errno)
    for d in ("in", "out"):
        got = libc.getsockopt(s, level, name, ipsec_set_policy(d))
        libc.printf("get %s: %s\n", d, ipsec_dump_policy(ext_parse(SADB_X_EXT_POLICY, got)))
    return 0


def _sockprog_user(argv: list[str]) -> int:
    """sockpol as uid 1000: its socket is opened with that credential."""
    from greenlet import getcurrent
    getcurrent().td.p_ucred.cr_uid = 1000
    return _sockprog(argv)


def _lab() -> Any:
    lab = pair(programs={"/usr/bin/sockpol": _sockprog, "/usr/bin/sockpol_user": _sockprog_user})
    up(lab, "left", L)
    up(lab, "right", R)
    setkey(lab, "left", sas_only(L, R))
    setkey(lab, "right", sas_only(R, L))
    return lab


def test_ipv6_ipsec_policy_set_and_get_round_trip():
    """KAME ipsec6_set_policy/ipsec6_get_policy: what was set comes back;
    a direction never set is ENTRUST (the SPD decides)."""
    lab = _lab()
    out = ok(lab, "left", "sockpol inet6 'out ipsec esp/transport//require'")
    assert out == ("set out ipsec esp/transport//require: ok\n"
                   "get in: in entrust\n"
                   "get out: out ipsec esp/transport//require\n")


def test_ip_ipsec_policy_on_an_ipv4_socket_is_the_same_code():
    lab = _lab()
    out = ok(lab, "left", "sockpol inet 'in ipsec ah/transport//use' 'out bypass'")
    assert out == ("set in ipsec ah/transport//use: ok\nset out bypass: ok\n"
                   "get in: in ipsec ah/transport//use\nget out: out bypass\n")


def test_bypass_needs_privilege_eacces_otherwise():
    """KAME ipsec_set_policy: "if (xpl->sadb_x_policy_type == IPSEC_POLICY_BYPASS
    && !priv) return EACCES" — an ordinary user may ask for IPsec, not skip it."""
    lab = _lab()
    out = ok(lab, "left", "sockpol_user inet6 'out bypass' 'in ipsec esp/transport//require'")
    assert "set out bypass: errno 13\n" in out
    assert "set in ipsec esp/transport//require: ok\n" in out
    assert "get out: out entrust\n" in out


def test_discard_and_none_are_not_socket_policies():
    lab = _lab()
    out = ok(lab, "left", "sockpol inet6 'out discard' 'in none'")
    assert "set out discard: errno 22\n" in out and "set in none: errno 22\n" in out


def test_ping6_P_out_policy_sends_the_request_in_esp_without_any_spd_entry():
    """The socket's outbound policy (ipsec_getpolicybysock) is used for its
    packets; the SPD is empty, so the reply comes back in clear."""
    lab = _lab()
    w = Wire(lab)
    out = ok(lab, "left", f"ping6 -c 1 -P 'out ipsec esp/transport//require' {R}")
    assert "1 packets received" in out
    esp = w.ip6(50)
    assert len(esp) == 1 and esp[0][22:38] == bytes.fromhex("20010db8001200000000000000000001")
    assert len([f for f in w.ip6(58) if f[54] == 129]) == 1       # the echo reply, in clear
    assert stats(lab, "left", "net.inet6.ipsec6.stats")["out_success"] == 1


def test_rfc4301_5_2_socket_inbound_policy_drops_an_unprotected_reply():
    """ipsec6_in_reject with the socket's policy: the reply came in clear, the
    raw ICMPv6 socket asked for ESP: dropped, counted in in_polvio."""
    lab = _lab()
    status, out = lab.run_command(
        "left", f"ping6 -c 1 -P 'in ipsec esp/transport//require' "
                f"-P 'out ipsec esp/transport//require' {R}")
    assert status == 2 and "0 packets received" in out
    assert stats(lab, "left", "net.inet6.ipsec6.stats")["in_polvio"] == 1
    # the peer protects its replies: now they are accepted
    setkey(lab, "right", sas_only(R, L)
           + f"spdadd {R} {L} any -P out ipsec esp/transport//require;\n")
    out = ok(lab, "left", f"ping6 -c 1 -P 'in ipsec esp/transport//require' {R}")
    assert "1 packets received" in out
    assert stats(lab, "left", "net.inet6.ipsec6.stats")["in_polvio"] == 1


def test_socket_policy_of_one_socket_does_not_touch_another():
    lab = _lab()
    w = Wire(lab)
    ok(lab, "left", f"ping6 -c 1 -P 'out ipsec esp/transport//require' {R}")
    ok(lab, "left", f"ping6 -c 1 {R}")
    assert len(w.ip6(50)) == 1


def test_privileged_socket_bypass_wins_over_the_spd():
    """KAME ipsec_getpolicybysock: a privileged socket's BYPASS is used as is."""
    lab = keyed(sas_only(L, R) + f"spdadd {L} {R} any -P out ipsec esp/transport//require;\n",
                sas_only(R, L))
    w = Wire(lab)
    ok(lab, "left", f"ping6 -c 1 -P 'out bypass' {R}")
    assert w.ip6(50) == []
    ok(lab, "left", f"ping6 -c 1 {R}")
    assert len(w.ip6(50)) == 1


def test_ping6_P_errors():
    lab = _lab()
    status, out = lab.run_command("left", f"ping6 -c 1 -P 'sideways ipsec' {R}")
    assert status == 1 and out == "ping6: invalid security policy\n"
    status, out = lab.run_command("left", f"ping6 -c 1 -P 'out ipsec esp/sideways//require' {R}")
    assert status == 1 and out == "ping6: Invalid ipsec mode\n"


def _ike_socket(lab: Any, host: str, family: int, port: int, bypass: bool) -> Any:
    """An IKE daemon's socket as racoon opens it (root): bound to ``port``,
    UDP_ENCAP on 4500 (RFC 3948 2.2), and with ``bypass`` its own policy
    ``in bypass`` / ``out bypass`` (IP_IPSEC_POLICY or IPV6_IPSEC_POLICY)."""
    from kernel.kern.uipc_socket import sosetopt, sockopt
    from tests.kernel.netipsec.ipsec4_lab import encap_socket
    so = encap_socket(lab, host, family, port, encap=port == 4500)
    level, name = (IPPROTO_IP, IP_IPSEC_POLICY) if family == AF_INET else \
        (IPPROTO_IPV6, IPV6_IPSEC_POLICY)
    for text in ("in bypass", "out bypass") if bypass else ():
        buf = ipsec_set_policy(text)
        sosetopt(so, sockopt(1, level, name, bytes(buf[:ipsec_get_policylen(buf)])))
    return so


@pytest.mark.parametrize("family", [AF_INET, AF_INET6], ids=["ipv4", "ipv6"])
def test_rfc4301_5_1_5_2_ike_socket_bypass_exchanges_cleartext_ike_under_an_any_esp_policy(
        family):
    """KAME ipsec_getpolicybysock on output and on delivery (udp_input's
    ipsec4_in_reject(m, inp), udp6_input's ipsec6_in_reject(m, in6p)): with
    ``spdadd A B any -P out/in ipsec esp/transport//require`` between the
    hosts, the root IKE sockets whose own policies are ``in bypass`` and
    ``out bypass`` exchange their port-500 and port-4500 datagrams in the
    clear, both ways; an ordinary socket's datagram goes in ESP, and a
    cleartext one to a socket without the bypass is dropped (in_polvio)."""
    from kernel.kern.uipc_socket import MSG_DONTWAIT, sosend, soreceive
    from kernel.wire.in_ import inet_pton4, sockaddr_in
    from kernel.wire.in6 import sockaddr_in6
    from tests.kernel.netipsec.ipsec4_lab import CBC, L4, R4, Wire4, keyed4, sa_script
    v6 = family == AF_INET6
    me, peer = (L, R) if v6 else (L4, R4)
    lab = keyed4(sa_script(me, peer, CBC[0]), sa_script(peer, me, CBC[0]), v6=v6)
    stat = "net.inet6.ipsec6.stats" if v6 else "net.inet.ipsec.stats"

    def addr(a: str, port: int) -> Any:
        import ipaddress
        return sockaddr_in6(ipaddress.IPv6Address(a).packed, port) if v6 else \
            sockaddr_in(inet_pton4(a), port)

    w = Wire4(lab)
    assert ("1 packets received" in ok(lab, "left", f"ping6 -c 1 {peer}" if v6
                                       else f"ping -c 1 {peer}"))
    esp_before = len(w.ip6(50) if v6 else w.ip4(50))
    assert esp_before == 2                              # the SPD entry covers the echo
    udp = (lambda: w.ip6(17)) if v6 else (lambda: w.ip4(17))
    for port in (500, 4500):
        ike = {h: _ike_socket(lab, h, family, port, bypass=True) for h in ("left", "right")}
        marker = b"\0\0\0\0" if port == 4500 else b""     # RFC 3948 2.2: non-ESP marker
        msg, answer = marker + bytes(range(28)), marker + bytes(range(28, 0, -1))
        n = len(udp())
        sosend(ike["left"], addr(peer, port), msg, None, 0, None)
        lab.run_for(SEC // 10)
        assert soreceive(ike["right"], 2048, MSG_DONTWAIT, None)[0] == msg
        sosend(ike["right"], addr(me, port), answer, None, 0, None)
        lab.run_for(SEC // 10)
        assert soreceive(ike["left"], 2048, MSG_DONTWAIT, None)[0] == answer
        assert len(udp()) == n + 2                      # both in the clear on the wire
    assert len(w.ip6(50) if v6 else w.ip4(50)) == esp_before
    polvio = stats(lab, "right", stat)["in_polvio"]
    # the same datagram from a socket without a policy of its own goes in ESP ...
    plain = _ike_socket(lab, "left", family, 501, bypass=False)
    sosend(plain, addr(peer, 500), b"x" * 28, None, 0, None)
    lab.run_for(SEC // 10)
    assert len(w.ip6(50) if v6 else w.ip4(50)) == esp_before + 1
    # ... and a cleartext one to a socket without the bypass is refused by the SPD
    other = _ike_socket(lab, "right", family, 502, bypass=False)
    sosend(ike["left"], addr(peer, 502), b"y" * 28, None, 0, None)
    lab.run_for(SEC // 10)
    assert not other.so_rcv.sb_mb
    assert stats(lab, "right", stat)["in_polvio"] == polvio + 1
