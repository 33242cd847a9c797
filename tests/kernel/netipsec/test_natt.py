"""UDP encapsulation of ESP, RFC 3948 (FreeBSD udpencap.c, UDP_ENCAP): ESP in
UDP both ways against scapy for IPv4 and IPv6, the keepalive and the non-ESP
marker on the IKE socket, the transport-mode checksum fix with NAT-OA."""
from __future__ import annotations

import pytest

from kernel.kern.uipc_socket import MSG_DONTWAIT, sobind, socreate, sockopt, sogetopt, soreceive
from kernel.wire.in_ import AF_INET, INADDR_ANY, inet_pton4, sockaddr_in
from kernel.wire.in6 import AF_INET6
from kernel.wire.pfkeyv2 import (SADB_ADD, SADB_EXT_ADDRESS_DST, SADB_EXT_ADDRESS_SRC,
                                 SADB_EXT_KEY_AUTH, SADB_EXT_KEY_ENCRYPT, SADB_SATYPE_ESP,
                                 SADB_X_EXT_NAT_T_DPORT, SADB_X_EXT_NAT_T_OAI,
                                 SADB_X_EXT_NAT_T_SPORT, SADB_AALG_SHA1HMAC, SADB_X_EALG_AESCBC,
                                 msg_build, sadb_address_build, sadb_key_build, sadb_sa_build,
                                 sadb_x_nat_t_port_build, sadb_x_nat_t_type_build,
                                 sadb_x_sa2_build)
from kernel.wire.socket import SOCK_DGRAM
from kernel.wire.udp import UDP_ENCAP, UDP_ENCAP_ESPINUDP
from tests.kernel.netipsec.ipsec4_lab import (CBC, L, L4, R, R4, Wire4, encap_socket, keyed4,
                                              sa_script)
from tests.kernel.netipsec.ipsec_lab import ok, stats

pytest.importorskip("scapy.layers.ipsec", reason="scapy is a test dependency")
from scapy.layers.inet import ICMP, IP, UDP  # noqa: E402
from scapy.layers.inet6 import ICMPv6EchoReply, ICMPv6EchoRequest, IPv6  # noqa: E402
from scapy.layers.ipsec import ESP, SecurityAssociation  # noqa: E402
from scapy.layers.l2 import Ether  # noqa: E402

NATT = UDP(sport=4500, dport=4500)


def natt_lab(v6=False, encap=True):
    """NAT-T SAs (esp-udp, [4500]) and policies for ping (icmp, or echo
    request/reply for IPv6: an ``any`` selector would also cover the IKE
    messages, which then need the IKE socket's bypass — see the last test)."""
    if v6:
        me, peer = L, R
        s = [sa_script(a, b, CBC[0], proto="esp-udp", ports="[4500]", upper=u)
             for a, b, u in ((L, R, "icmp6 128"), (R, L, "icmp6 129"))]
        # the other direction of each host: the echo it answers or gets back
        s[0] += (f"spdadd {me} {peer} icmp6 129 -P out ipsec esp/transport//require;\n"
                 f"spdadd {peer} {me} icmp6 128 -P in ipsec esp/transport//require;\n")
        s[1] += (f"spdadd {peer} {me} icmp6 128 -P out ipsec esp/transport//require;\n"
                 f"spdadd {me} {peer} icmp6 129 -P in ipsec esp/transport//require;\n")
        lab = keyed4(s[0], s[1], v6=True)
    else:
        lab = keyed4(sa_script(L4, R4, CBC[0], proto="esp-udp", ports="[4500]", upper="icmp"),
                     sa_script(R4, L4, CBC[0], proto="esp-udp", ports="[4500]", upper="icmp"))
    socks = {h: encap_socket(lab, h, AF_INET6 if v6 else AF_INET, encap=encap)
             for h in ("left", "right")}
    return lab, socks


def udp4(w):
    return [f for f in w.ip4(17) if f[34:38] == b"\x11\x94\x11\x94"]


def test_rfc3948_2_1_ipv4_esp_in_udp_both_ways_against_scapy():
    """2.1: UDP header (ports from the SA) then ESP; IPv4 checksum zero."""
    lab, _ = natt_lab()
    w = Wire4(lab)
    assert "1 packets received" in ok(lab, "left", f"ping -c 1 {R4}")
    frames = udp4(w)
    assert len(frames) == 2 and not w.ip4(50) and not w.ip4(1)
    pkt = Ether(frames[0])[IP]
    assert pkt[UDP].chksum == 0                        # "SHOULD be transmitted as a zero value"
    sa = SecurityAssociation(ESP, spi=0x1000, nat_t_header=NATT, **CBC[1])
    assert sa.decrypt(pkt)[ICMP].type == 8
    eth = Ether(frames[0])
    req = IP(src=L4, dst=R4) / ICMP(type=8, id=1, seq=2) / b"natt4"
    w.inject(bytes(Ether(src=eth.src, dst=eth.dst) / sa.encrypt(req, seq_num=77)))
    back = SecurityAssociation(ESP, spi=0x2000, nat_t_header=NATT, **CBC[1])
    reply = back.decrypt(Ether(udp4(w)[-1])[IP])
    assert reply[ICMP].type == 0 and bytes(reply[ICMP].payload) == b"natt4"
    assert stats(lab, "right", "net.inet.ipsec.udpencap_stats")["ue_esp"] == 2


def test_rfc3948_2_1_ipv6_esp_in_udp_with_a_real_checksum_both_ways():
    """Over IPv6 the UDP checksum is computed (RFC 8200 8.1), as Linux expects."""
    lab, _ = natt_lab(v6=True)
    w = Wire4(lab)
    assert "1 packets received" in ok(lab, "left", f"ping6 -c 1 {R}")
    frames = [f for f in w.ip6(17) if f[54:58] == b"\x11\x94\x11\x94"]
    assert len(frames) == 2 and not w.ip6(50)
    pkt = Ether(frames[0])[IPv6]
    ck = pkt[UDP].chksum
    del pkt[UDP].chksum
    assert ck != 0 and IPv6(bytes(pkt))[UDP].chksum == ck
    sa = SecurityAssociation(ESP, spi=0x1000, nat_t_header=NATT, **CBC[1])
    assert sa.decrypt(Ether(frames[0])[IPv6]).haslayer(ICMPv6EchoRequest)
    req = IPv6(src=L, dst=R) / ICMPv6EchoRequest(id=5, seq=6, data=b"natt6")
    enc = sa.encrypt(req, seq_num=33)
    del enc[UDP].chksum                                # scapy sends zero: RFC 8200 forbids it
    eth = Ether(frames[0])
    w.inject(bytes(Ether(src=eth.src, dst=eth.dst) / IPv6(bytes(enc))))
    back = SecurityAssociation(ESP, spi=0x2000, nat_t_header=NATT, **CBC[1])
    reply = back.decrypt(Ether([f for f in w.ip6(17)][-1])[IPv6])
    assert reply.haslayer(ICMPv6EchoReply) and reply[ICMPv6EchoReply].data == b"natt6"


def _inject_udp(w, payload):
    """A datagram from left's 4500 to right's, as left's NIC would send it."""
    w.inject(bytes(Ether(src="02:00:00:00:12:01", dst="02:00:00:00:12:02") /
                   IP(src=L4, dst=R4) / UDP(sport=4500, dport=4500) / payload))


def test_rfc3948_2_3_nat_keepalive_is_dropped_and_counted():
    """2.3: a single 0xFF octet; "ignored by the receiver" — not queued for IKE."""
    lab, socks = natt_lab()
    w = Wire4(lab)
    ok(lab, "left", f"ping -c 1 {R4}")                 # ARP done both ways
    _inject_udp(w, b"\xff")
    assert stats(lab, "right", "net.inet.ipsec.udpencap_stats")["ue_keepalive"] == 1
    assert not socks["right"].so_rcv.sb_mb


def test_rfc3948_2_2_non_esp_marker_goes_to_the_ike_socket():
    """2.2: four zero octets, then an IKE header: delivered to the socket as it came."""
    lab, socks = natt_lab()
    w = Wire4(lab)
    ok(lab, "left", f"ping -c 1 {R4}")
    ike = b"\0\0\0\0" + bytes(range(28))
    _inject_udp(w, ike)
    data, frm, _c, _f = soreceive(socks["right"], 2048, MSG_DONTWAIT, None)
    assert data == ike and frm == sockaddr_in(inet_pton4(L4), 4500)
    assert stats(lab, "right", "net.inet.ipsec.udpencap_stats")["ue_nonesp"] == 1


def test_rfc3948_without_udp_encap_the_datagram_is_an_ordinary_one():
    """Only a socket with UDP_ENCAP decapsulates: without it ESP-in-UDP is data."""
    lab, socks = natt_lab(encap=False)
    status, _ = lab.run_command("left", f"ping -c 1 {R4}")
    assert status != 0
    data, _frm, _c, _f = soreceive(socks["right"], 2048, MSG_DONTWAIT, None)
    assert data[:4] == (0x1000).to_bytes(4, "big")    # the SPI, as a datagram
    assert stats(lab, "right", "net.inet.esp.stats")["esps_input"] == 0


def test_udp_encap_socket_option_values():
    """FreeBSD udp_ctloutput: UDP_ENCAP takes UDP_ENCAP_ESPINUDP or 0, else EINVAL."""
    lab, socks = natt_lab()
    so = socks["left"]
    assert sogetopt(so, sockopt(2, 17, UDP_ENCAP)) == UDP_ENCAP_ESPINUDP
    with pytest.raises(OSError):
        from kernel.kern.uipc_socket import sosetopt
        sosetopt(so, sockopt(1, 17, UDP_ENCAP, 7))
    from kernel.kern.uipc_socket import sosetopt
    sosetopt(so, sockopt(1, 17, UDP_ENCAP, 0))
    assert sogetopt(so, sockopt(2, 17, UDP_ENCAP)) == 0


def _natt_sa_with_oai(k, spi, src, dst, oai):
    from tests.kernel.netipsec.test_esp import _keysock
    ks = _keysock(k)
    ks.send(msg_build(SADB_ADD, [
        sadb_sa_build(spi, 0, 0, SADB_AALG_SHA1HMAC, SADB_X_EALG_AESCBC), sadb_x_sa2_build(1, 0),
        sadb_address_build(SADB_EXT_ADDRESS_SRC, sockaddr_in(inet_pton4(src), 4500)),
        sadb_address_build(SADB_EXT_ADDRESS_DST, sockaddr_in(inet_pton4(dst), 4500)),
        sadb_key_build(SADB_EXT_KEY_AUTH, CBC[1]["auth_key"]),
        sadb_key_build(SADB_EXT_KEY_ENCRYPT, CBC[1]["crypt_key"]),
        sadb_x_nat_t_type_build(UDP_ENCAP_ESPINUDP),
        sadb_x_nat_t_port_build(SADB_X_EXT_NAT_T_SPORT, 4500),
        sadb_x_nat_t_port_build(SADB_X_EXT_NAT_T_DPORT, 4500)]
        + ([sadb_address_build(SADB_X_EXT_NAT_T_OAI, sockaddr_in(inet_pton4(oai)))]
           if oai else []), sadb_msg_satype=SADB_SATYPE_ESP))


@pytest.mark.parametrize("with_oa", [True, False])
def test_rfc3948_3_1_2_transport_mode_udp_checksum_is_fixed_with_nat_oa(with_oa):
    """3.1.2: the peer behind a NAT computed its UDP checksum with its private
    address (NAT-OA); the receiver fixes it incrementally and the datagram is
    delivered.  Without NAT-OA the checksum stays wrong: udps_badsum."""
    lab, _ = natt_lab()
    k = lab.machines["right"].kernel
    _natt_sa_with_oai(k, 0x3000, L4, R4, "192.168.1.5" if with_oa else None)
    w = Wire4(lab)
    ok(lab, "left", f"ping -c 1 {R4}")
    app = socreate(k, AF_INET, SOCK_DGRAM, 0, None)
    sobind(app, sockaddr_in(INADDR_ANY, 7777), None)
    inner = IP(bytes(IP(src="192.168.1.5", dst=R4) / UDP(sport=1234, dport=7777) / b"behind-nat"))
    inner[IP].src = L4                                  # NAT rewrote it; the UDP checksum stays
    del inner[IP].chksum
    sa = SecurityAssociation(ESP, spi=0x3000, nat_t_header=NATT, **CBC[1])
    eth = Ether(w.frames[0])
    w.inject(bytes(Ether(src=eth.src, dst=eth.dst) / sa.encrypt(IP(bytes(inner)), seq_num=1)))
    if with_oa:
        data, _frm, _c, _f = soreceive(app, 2048, MSG_DONTWAIT, None)
        assert data == b"behind-nat"
        assert stats(lab, "right", "net.inet.ipsec.udpencap_stats")["ue_cksumfix"] == 1
    else:
        assert not app.so_rcv.sb_mb
        assert stats(lab, "right", "net.inet.udp.stats")["udps_badsum"] == 1


def _inject_udp_to(w, dport, payload):
    w.inject(bytes(Ether(src="02:00:00:00:12:01", dst="02:00:00:00:12:02") /
                   IP(src=L4, dst=R4) / UDP(sport=dport, dport=dport) / payload))


def test_rfc4301_5_2_ike_socket_bypass_lets_cleartext_ike_in_under_an_any_policy():
    """FreeBSD udp_input's ipsec4_in_reject(m, inp): the check is the socket's.
    With ``any`` policies between the hosts, ESP in UDP still reaches ESP, the
    IKE socket whose own policy is BYPASS (IP_IPSEC_POLICY, as racoon sets it)
    gets the cleartext IKE message, and a socket without one does not."""
    from kernel.kern.uipc_socket import sosetopt
    from kernel.wire.in_ import IP_IPSEC_POLICY, IPPROTO_IP
    from userland.libipsec import ipsec_get_policylen, ipsec_set_policy
    lab = keyed4(sa_script(L4, R4, CBC[0], proto="esp-udp", ports="[4500]"),
                 sa_script(R4, L4, CBC[0], proto="esp-udp", ports="[4500]"))
    socks = {h: encap_socket(lab, h) for h in ("left", "right")}
    for text in ("in bypass", "out bypass"):
        buf = ipsec_set_policy(text)
        sosetopt(socks["right"], sockopt(1, IPPROTO_IP, IP_IPSEC_POLICY,
                                         bytes(buf[:ipsec_get_policylen(buf)])))
    plain = encap_socket(lab, "right", port=500, encap=False)
    w = Wire4(lab)
    assert "1 packets received" in ok(lab, "left", f"ping -c 1 {R4}")
    assert len(udp4(w)) == 2                            # the echo both ways, ESP in UDP
    before = stats(lab, "right", "net.inet.ipsec.stats")["in_polvio"]
    ike = b"\0\0\0\0" + bytes(range(28))
    _inject_udp(w, ike)
    data, _frm, _c, _f = soreceive(socks["right"], 2048, MSG_DONTWAIT, None)
    assert data == ike
    _inject_udp_to(w, 500, bytes(range(28)))
    assert not plain.so_rcv.sb_mb
    assert stats(lab, "right", "net.inet.ipsec.stats")["in_polvio"] == before + 1
