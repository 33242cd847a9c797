"""tcpdump(1) (userland/usr_sbin/tcpdump.py) with libpcap (userland/libpcap.py,
libpcap_gencode.py): the filter expressions compiled to BPF and run by the kernel's
interpreter (and libpcap's copy) over crafted frames; the lines tcpdump 4.9 prints
for the packets of a lab; -w files tshark accepts and -r reads back; the messages."""
from __future__ import annotations

import re
import struct
from typing import Any, Optional

import pytest

from emu.sched import MS, SEC
from kernel.kern.vfs import namei
from kernel.net.bpf_filter import bpf_filter, bpf_validate
from kernel.wire.bpf import DLT_EN10MB, DLT_NULL
from kernel.wire.in6 import inet_pton6
from kernel.wire.in_ import inet_pton4
from kernel.wire.in_cksum import in6_cksum_data, in_cksum
from kernel.wire.time import timeval
from tests.conftest import tshark_fields, tshark_problems
from tests.userland.inetlab import inet, pair4  # noqa: F401 - the fixture
from tests.userland.labs import demo
from userland import libpcap
from userland.libpcap_gencode import PcapCompileError, bpf_image, pcap_compile_expr
from userland.usr_sbin.tcpdump_print import netdissect_options, pretty_print_packet

MAC1 = bytes.fromhex("020000001201")
MAC2 = bytes.fromhex("020000001202")
A1 = inet_pton6("2001:db8::1")
A2 = inet_pton6("2001:db8::2")
A3 = inet_pton6("2001:db8::3")
LL1 = inet_pton6("fe80::ff:fe00:1201")
V4A = inet_pton4("10.0.0.1")
V4B = inet_pton4("10.0.0.2")
TIME = r"\d\d:\d\d:\d\d\.\d{6}"


# -- crafted frames ---------------------------------------------------------------------------
def eth(dst: bytes, src: bytes, etype: int, payload: bytes) -> bytes:
    return dst + src + etype.to_bytes(2, "big") + payload


def ip6(src: bytes, dst: bytes, nxt: int, payload: bytes, hlim: int = 64) -> bytes:
    return struct.pack("!IHBB", 0x60000000, len(payload), nxt, hlim) + src + dst + payload


def icmp6(src: bytes, dst: bytes, body: bytes) -> bytes:
    """An ICMPv6 message (type, code, then ``body``) with its checksum."""
    msg = bytearray(body[:2] + b"\0\0" + body[2:])
    msg[2:4] = in6_cksum_data(src, dst, 58, bytes(msg)).to_bytes(2, "big")
    return bytes(msg)


def echo6(src: bytes = A1, dst: bytes = A2, seq: int = 1, reply: bool = False) -> bytes:
    body = bytes([129 if reply else 128, 0]) + struct.pack("!HH", 0x1234, seq) + bytes(8)
    return eth(MAC2, MAC1, 0x86DD, ip6(src, dst, 58, icmp6(src, dst, body)))


def ns6(target: bytes = A2) -> bytes:
    dst = inet_pton6("ff02::1:ff00:2")
    body = bytes([135, 0]) + bytes(4) + target + bytes([1, 1]) + MAC1
    return eth(bytes.fromhex("3333ff000002"), MAC1, 0x86DD,
               ip6(LL1, dst, 58, icmp6(LL1, dst, body), hlim=255))


def udp6(sport: int, dport: int, src: bytes = A1, dst: bytes = A3, data: bytes = b"abcd") -> bytes:
    u = bytearray(struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data)
    u[6:8] = in6_cksum_data(src, dst, 17, bytes(u)).to_bytes(2, "big")
    return eth(MAC2, MAC1, 0x86DD, ip6(src, dst, 17, bytes(u)))


ECHO_BODY = bytes([128, 0, 0, 0, 0x12, 0x34, 0, 0]) + bytes(8)     # checksum left 0


def frag6(offset: int, more: bool, nxt: int = 58, data: bytes = ECHO_BODY) -> bytes:
    fh = struct.pack("!BBHI", nxt, 0, offset | int(more), 0xABCD)
    return eth(MAC2, MAC1, 0x86DD, ip6(A1, A2, 44, fh + data))


def ip4(src: bytes, dst: bytes, proto: int, payload: bytes, off: int = 0) -> bytes:
    h = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 7, off, 64, proto,
                              0, src, dst))
    h[10:12] = in_cksum(bytes(h)).to_bytes(2, "big")
    return bytes(h) + payload


def echo4() -> bytes:
    m = bytearray(struct.pack("!BBHHH", 8, 0, 0, 0x55, 3) + bytes(8))
    m[2:4] = in_cksum(bytes(m)).to_bytes(2, "big")
    return eth(MAC2, MAC1, 0x0800, ip4(V4A, V4B, 1, bytes(m)))


def udp4(dport: int = 53, off: int = 0) -> bytes:
    return eth(MAC2, MAC1, 0x0800, ip4(V4A, V4B, 17, struct.pack("!HHHH", 1234, dport, 12, 0)
                                       + b"abcd", off))


def arp_request() -> bytes:
    body = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + MAC1 + V4A + bytes(6) + V4B
    return eth(b"\xff" * 6, MAC1, 0x0806, body)


FRAMES = {
    "echo6": echo6(), "reply6": echo6(A2, A1, reply=True), "ns6": ns6(),
    "udp6_53": udp6(5000, 53), "udp6_from53": udp6(53, 5000, A3, A1),
    "frag_first": frag6(0, True), "frag_later": frag6(1232, False),
    "echo4": echo4(), "udp4_53": udp4(53), "udp4_later": udp4(53, off=100),
    "arp": arp_request(),
}


def matches(expr: str, dlt: int = DLT_EN10MB, frames: Optional[dict] = None) -> set[str]:
    """The frames the compiled program accepts, run by the kernel's interpreter and by
    libpcap's (which must agree)."""
    prog = pcap_compile_expr(expr, dlt)
    insns = prog.bf_insns
    if prog.bf_len <= 512:
        assert bpf_validate(insns, prog.bf_len)           # BIOCSETF would take it
    out = set()
    for name, f in (frames or FRAMES).items():
        k = bpf_filter(insns, f, len(f), len(f))
        assert k == libpcap.bpf_filter(insns, f, len(f), len(f)), (expr, name)
        if k:
            assert k == 262144
            out.add(name)
    return out


V6 = {"echo6", "reply6", "ns6", "udp6_53", "udp6_from53", "frag_first", "frag_later"}
V4 = {"echo4", "udp4_53", "udp4_later"}


@pytest.mark.parametrize("expr,want", [
    ("", set(FRAMES)),
    ("ip6", V6), ("ip", V4), ("arp", {"arp"}),
    ("icmp6", {"echo6", "reply6", "ns6", "frag_first", "frag_later"}),
    ("icmp", {"echo4"}),
    ("udp", {"udp6_53", "udp6_from53", "udp4_53", "udp4_later"}),
    ("tcp", set()),
    ("port 53", {"udp6_53", "udp6_from53", "udp4_53"}),          # not the later fragment
    ("udp dst port 53", {"udp6_53", "udp4_53"}),
    ("src port 53", {"udp6_from53"}),
    ("tcp port 53", set()),
    ("host 2001:db8::1", V6 - {"ns6"}),
    ("src host 2001:db8::1", {"echo6", "udp6_53", "frag_first", "frag_later"}),
    ("dst host 2001:db8::1", {"reply6", "udp6_from53"}),
    ("host 2001:db8::1 or 2001:db8::3", V6 - {"ns6"}),             # qualifiers carried on
    ("ip6 host 2001:db8::3 and udp", {"udp6_53", "udp6_from53"}),
    ("host 10.0.0.1", V4 | {"arp"}),                              # ARP's addresses too
    ("ip host 10.0.0.1", V4),
    ("net 2001:db8::/32", V6 - {"ns6"}),
    ("net fe80::/10", {"ns6"}),
    ("dst net ff02::/16", {"ns6"}),
    ("net 10.0.0.0/8", V4 | {"arp"}),
    ("ether host 02:00:00:00:12:01", set(FRAMES)),
    ("ether src 02:00:00:00:12:02", set()),
    ("ether dst 02:00:00:00:12:02", set(FRAMES) - {"ns6", "arp"}),
    ("multicast", {"ns6", "arp"}),                                 # the group bit
    ("broadcast", {"arp"}),
    ("ip6 multicast", {"ns6"}),
    ("ip6 proto 58", {"echo6", "reply6", "ns6", "frag_first", "frag_later"}),
    ("proto 17", {"udp6_53", "udp6_from53", "udp4_53", "udp4_later"}),
    ("ether proto 0x806", {"arp"}),
    ("not ip6", V4 | {"arp"}),
    ("! ip6 && ! arp", V4),
    ("icmp6 || arp", {"echo6", "reply6", "ns6", "frag_first", "frag_later", "arp"}),
    ("ip6 and not icmp6", {"udp6_53", "udp6_from53"}),
    ("arp or icmp6 and ip6", {"echo6", "reply6", "ns6", "frag_first", "frag_later"}),
    ("arp or (icmp6 and ip6)", {"echo6", "reply6", "ns6", "frag_first", "frag_later", "arp"}),
    ("less 70", {"echo6", "reply6", "udp6_53", "udp6_from53"} | V4 | {"arp"}),
    ("greater 71", {"ns6", "frag_first", "frag_later"}),
])
def test_expressions_compile_to_programs_that_select_the_right_frames(expr, want):
    assert matches(expr) == want


def test_frame_lengths_used_by_less_and_greater():
    assert {n: len(f) for n, f in FRAMES.items()} == {
        "echo6": 70, "reply6": 70, "ns6": 86, "udp6_53": 66, "udp6_from53": 66,
        "frag_first": 78, "frag_later": 78, "echo4": 50, "udp4_53": 46, "udp4_later": 46,
        "arp": 42}


def test_on_dlt_null_the_link_type_is_the_address_family():
    lo = {"v6": (28).to_bytes(4, "little") + FRAMES["echo6"][14:],
          "v6_other_bsd": (24).to_bytes(4, "little") + FRAMES["echo6"][14:],
          "v4": (2).to_bytes(4, "little") + FRAMES["echo4"][14:]}
    assert matches("ip6", DLT_NULL, lo) == {"v6", "v6_other_bsd"}
    assert matches("icmp and host 10.0.0.2", DLT_NULL, lo) == {"v4"}
    assert matches("arp", DLT_NULL, lo) == set()
    with pytest.raises(PcapCompileError, match="ethernet addresses supported only on"):
        pcap_compile_expr("ether host 02:00:00:00:12:01", DLT_NULL)


@pytest.mark.parametrize("expr,msg", [
    ("ip6 and", "syntax error in filter expression: syntax error"),
    ("(ip6", "syntax error in filter expression: syntax error"),
    ("ip6 )", "syntax error in filter expression: syntax error"),
    ("host", "syntax error in filter expression: syntax error"),
    ("and ip6", "syntax error in filter expression: syntax error"),
    ("host nosuchhost", "unknown host 'nosuchhost'"),
    ("port 70000", "illegal port number 70000 > 65535"),
    ("port nosuchservice", "unknown port 'nosuchservice'"),
    ("net 2001:db8::1/32", 'non-network bits set in "2001:db8::1/32"'),
    ("net 10.1.0.0/8", 'non-network bits set in "10.1.0.0/8"'),
    ("net 2001:db8::/129", "mask length must be <= 128"),
    ("ether host 1:2:3", "unknown ether host: 1:2:3"),
    ("ip broadcast", "netmask not known, so 'ip broadcast' not supported"),
    ("tcp host 10.0.0.1", "'tcp' modifier applied to host"),
    ("ip6 host 10.0.0.1", "'ip6' modifier applied to ip host"),
    ("arp proto 1", "arp does not encapsulate another protocol"),
])
def test_compile_errors_are_libpcaps(expr, msg):
    with pytest.raises(PcapCompileError) as e:
        pcap_compile_expr(expr)
    assert str(e.value) == msg


def test_bpf_image_prints_as_tcpdump_d():
    prog = pcap_compile_expr("arp")
    assert [bpf_image(x, i) for i, x in enumerate(prog.bf_insns)] == [
        "(000) ldh      [12]",
        "(001) jeq      #0x806           jt 2\tjf 3",
        "(002) ret      #262144",
        "(003) ret      #0"]


# -- the printers over crafted packets -----------------------------------------------------------
class Hdr:
    def __init__(self, data: bytes, caplen: Optional[int] = None) -> None:
        self.ts = timeval(1136073600 + 3723, 45)
        self.len = len(data)
        self.caplen = len(data) if caplen is None else caplen


def line(data: bytes, dlt: int = DLT_EN10MB, caplen: Optional[int] = None, **flags: Any) -> str:
    ndo = netdissect_options(nflag=1, **flags)
    return pretty_print_packet(ndo, Hdr(data, caplen), data, dlt)


def mld(t: int, body: bytes, dst: str = "ff02::16") -> bytes:
    d = inet_pton6(dst)
    hbh = bytes([58, 0, 5, 2, 0, 0, 1, 0])                 # router alert, PadN
    return eth(bytes.fromhex("333300000016"), MAC1, 0x86DD,
               ip6(LL1, d, 0, hbh + icmp6(LL1, d, bytes([t, 0]) + body), hlim=1))


@pytest.mark.parametrize("pkt,want", [
    (echo6(), "01:02:03.000045 IP6 2001:db8::1 > 2001:db8::2: ICMP6, echo request, seq 1, "
              "length 16"),
    (ns6(), "01:02:03.000045 IP6 fe80::ff:fe00:1201 > ff02::1:ff00:2: ICMP6, neighbor "
            "solicitation, who has 2001:db8::2, length 32"),
    (udp6(5000, 53), "01:02:03.000045 IP6 2001:db8::1.5000 > 2001:db8::3.53: UDP, length 4"),
    (frag6(0, True), "01:02:03.000045 IP6 2001:db8::1 > 2001:db8::2: frag (0|16) ICMP6, "
                     "echo request, seq 0, length 16"),
    (frag6(1232, False), "01:02:03.000045 IP6 2001:db8::1 > 2001:db8::2: frag (1232|16)"),
    (echo4(), "01:02:03.000045 IP 10.0.0.1 > 10.0.0.2: ICMP echo request, id 85, seq 3, "
              "length 16"),
    (udp4(53), "01:02:03.000045 IP 10.0.0.1.1234 > 10.0.0.2.53: UDP, length 4"),
    (udp4(53, off=100), "01:02:03.000045 IP 10.0.0.1 > 10.0.0.2: ip-proto-17"),
    (arp_request(), "01:02:03.000045 ARP, Request who-has 10.0.0.2 tell 10.0.0.1, length 28"),
    (mld(131, struct.pack("!HH", 0, 0) + inet_pton6("ff02::1:ff00:1")),
     "01:02:03.000045 IP6 fe80::ff:fe00:1201 > ff02::16: HBH ICMP6, multicast listener "
     "reportmax resp delay: 0 addr: ff02::1:ff00:1, length 24"),
    (mld(143, struct.pack("!HH", 0, 1) + bytes([4, 0, 0, 0]) + inet_pton6("ff02::1:ff00:1")),
     "01:02:03.000045 IP6 fe80::ff:fe00:1201 > ff02::16: HBH ICMP6, multicast listener report "
     "v2, 1 group record(s), length 28"),
    (eth(MAC2, MAC1, 0x86DD, ip6(A2, A1, 58, icmp6(A2, A1, bytes([1, 4]) + bytes(4)
                                                   + ip6(A1, A2, 17, struct.pack(
                                                       "!HHHH", 5000, 53, 8, 0))))),
     "01:02:03.000045 IP6 2001:db8::2 > 2001:db8::1: ICMP6, destination unreachable, "
     "unreachable port, 2001:db8::2 udp port 53, length 56"),
])
def test_lines_as_tcpdump_4_9_prints_them(pkt, want):
    assert line(pkt) == want


def test_e_prints_the_link_header_instead_of_ip6():
    assert line(echo6(), eflag=1, tflag=1) == (
        "02:00:00:00:12:01 > 02:00:00:00:12:02, ethertype IPv6 (0x86dd), length 70: "
        "2001:db8::1 > 2001:db8::2: ICMP6, echo request, seq 1, length 16")
    assert line(arp_request(), eflag=1, tflag=1) == (
        "02:00:00:00:12:01 > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 42: "
        "Request who-has 10.0.0.2 tell 10.0.0.1, length 28")


def test_v_prints_the_ip6_header_checksums_and_nd_options():
    assert line(ns6(), vflag=1, tflag=1) == (
        "IP6 (hlim 255, next-header ICMPv6 (58) payload length: 32) fe80::ff:fe00:1201 > "
        "ff02::1:ff00:2: [icmp6 sum ok] ICMP6, neighbor solicitation, length 32, who has "
        "2001:db8::2\n\t  source link-address option (1), length 8 (1): 02:00:00:00:12:01")
    bad = bytearray(echo6())
    bad[-1] ^= 0xFF
    assert "[bad icmp6 cksum " in line(bytes(bad), vflag=1)


def test_truncated_packets_print_the_marker_and_x_prints_hex():
    assert line(echo6(), caplen=14 + 40 + 2, tflag=1) == \
        "IP6 2001:db8::1 > 2001:db8::2: [|icmp6]"
    assert line(echo6(), caplen=20, tflag=1) == "[|ip6]"
    assert line(echo6(), tflag=1, xflag=1).split("\n")[1:3] == [
        "\t0x0000:  6000 0000 0010 3a40 2001 0db8 0000 0000",
        "\t0x0010:  0000 0000 0000 0001 2001 0db8 0000 0000"]


def test_dlt_null_lines():
    pkt = (28).to_bytes(4, "little") + echo6(inet_pton6("::1"), inet_pton6("::1"))[14:]
    assert line(pkt, DLT_NULL, tflag=1) == "IP6 ::1 > ::1: ICMP6, echo request, seq 1, length 16"
    assert line(pkt, DLT_NULL, tflag=1, eflag=1) == (
        "AF IPv6 (28), length 60: ::1 > ::1: ICMP6, echo request, seq 1, length 16")


def test_garbage_never_raises():
    import random
    rng = random.Random(7)
    for base in FRAMES.values():
        for _ in range(40):
            b = bytearray(base)
            for _ in range(rng.randint(1, 6)):
                b[rng.randrange(len(b))] = rng.randrange(256)
            cut = rng.randint(0, len(b))
            for dlt in (DLT_EN10MB, DLT_NULL):
                line(bytes(b), dlt, caplen=cut, vflag=rng.randint(0, 2))


# -- live, on the trio lab ---------------------------------------------------------------------
def test_tcpdump_on_carol_sees_alice_ping_bob_and_prints_the_counts_on_sigint():
    """carol's em0 goes promiscuous (tcpdump's default), so alice's unicast echo
    requests to bob are seen too; SIGINT ends it with a newline and the counts."""
    lab = demo()
    job = lab.start_command("carol", "tcpdump -n -i em0 icmp6")
    lab.run_for(10 * MS)
    assert lab.run_command("alice", "ping6 -c 2 bob")[0] == 0
    lab.run_for(1 * SEC)
    assert job.interrupt()
    assert lab.wait(job, 5 * SEC) == 0
    out = job.output.split("\n")
    assert out[:2] == [
        "tcpdump: verbose output suppressed, use -v or -vv for full protocol decode",
        "listening on em0, link-type EN10MB (Ethernet), capture size 262144 bytes"]
    body = [re.sub(TIME, "T", l) for l in out[2:8]]
    assert body == [
        "T IP6 2001:db8:1::a > ff02::1:ff00:b: ICMP6, neighbor solicitation, who has "
        "2001:db8:1::b, length 32",
        "T IP6 2001:db8:1::b > 2001:db8:1::a: ICMP6, neighbor advertisement, tgt is "
        "2001:db8:1::b, length 32",
        "T IP6 2001:db8:1::a > 2001:db8:1::b: ICMP6, echo request, seq 0, length 16",
        "T IP6 2001:db8:1::b > 2001:db8:1::a: ICMP6, echo reply, seq 0, length 16",
        "T IP6 2001:db8:1::a > 2001:db8:1::b: ICMP6, echo request, seq 1, length 16",
        "T IP6 2001:db8:1::b > 2001:db8:1::a: ICMP6, echo reply, seq 1, length 16"]
    times = [l.split()[0] for l in out[2:8]]
    assert times[0].startswith("00:00:0") and times[4] > times[2]     # one second apart
    assert out[8:] == ["", "6 packets captured", "6 packets received by filter",
                       "0 packets dropped by kernel", ""]
    ifp = lab.machines["carol"].ifnet("em0")
    assert ifp.if_pcount == 0 and not ifp.if_flags & 0x100            # promisc released


def test_p_leaves_the_interface_alone_and_c_stops_after_count():
    """Without promiscuous mode carol's NIC drops alice's and bob's exchange (unicast,
    and a solicited-node group carol did not join); the all-nodes echo gets through."""
    lab = demo()
    job = lab.start_command("carol", "tcpdump -p -c 1 -i em0")
    lab.run_for(10 * MS)
    lab.run_command("alice", "ping6 -c 1 bob")
    assert not job.done
    lab.run_command("alice", "ping6 -c 1 ff02::1%em0")
    assert lab.wait(job, 5 * SEC) == 0
    out = job.output.split("\n")
    assert re.fullmatch(TIME + r" IP6 fe80::ff:fe00:1 > ff02::1: ICMP6, echo request, seq 0, "
                               r"length 16", out[2])
    assert out[3] == "1 packet captured"
    assert re.fullmatch(r"\d+ packets? received by filter", out[4])
    assert out[5:] == ["0 packets dropped by kernel", ""]
    assert "promiscuous" not in lab.machines["carol"].console


def test_w_writes_a_pcap_tshark_reads_and_r_prints_it_back(tmp_path):
    lab = demo()
    live = lab.start_command("bob", "tcpdump -n -i em0")
    dump = lab.start_command("bob", "tcpdump -i em0 -w /tmp/bob.pcap icmp6")
    lab.run_for(10 * MS)
    assert lab.run_command("alice", "ping6 -c 2 -s 2000 bob")[0] == 0
    lab.run_for(1 * SEC)
    for job in (live, dump):
        job.interrupt()
        assert lab.wait(job, 5 * SEC) == 0
    assert dump.output == ("tcpdump: listening on em0, link-type EN10MB (Ethernet), capture "
                           "size 262144 bytes\n10 packets captured\n10 packets received by "
                           "filter\n0 packets dropped by kernel\n")
    data = bytes(namei(lab.machines["bob"].kernel, None, "/tmp/bob.pcap").v_data)
    assert data[:4] == bytes.fromhex("d4c3b2a1")           # microseconds, little-endian
    path = tmp_path / "bob.pcap"
    path.write_bytes(data)
    assert tshark_problems(path) == []
    rows = tshark_fields(path, "frame.len", "ipv6.src", "icmpv6.type")
    assert len(rows) == 10 and rows[0] == ["86", "2001:db8:1::a", "135"]
    status, out = lab.run_command("bob", "tcpdump -n -r /tmp/bob.pcap")
    assert status == 0
    lines = out.split("\n")
    assert lines[0] == "reading from file /tmp/bob.pcap, link-type EN10MB (Ethernet)"
    live_lines = [l for l in live.output.split("\n") if re.match(TIME, l)]
    assert lines[1:-1] == live_lines and len(live_lines) == 10
    assert "frag (0|1232) ICMP6, echo request, seq 0, length 1232" in lines[3]
    status, out = lab.run_command("bob", "tcpdump -n -r /tmp/bob.pcap 'icmp6 and src host "
                                         "2001:db8:1::b'")
    assert status == 0 and len(out.split("\n")) == 1 + 5 + 1


def test_a_program_longer_than_the_kernel_takes_is_run_by_libpcap():
    """40 IPv6 hosts compile to more than BPF_MAXINSNS instructions (with trampolines
    for the far jumps): BIOCSETF says EINVAL and libpcap filters in userland."""
    expr = " or ".join(f"host 2001:db8:2::{i:x}" for i in range(1, 40)) + " or host bob"
    prog = pcap_compile_expr(expr.replace("bob", "2001:db8:1::b"))
    assert prog.bf_len > 512 and not bpf_validate(prog.bf_insns, prog.bf_len)
    assert matches(expr.replace("bob", "2001:db8::1")) == V6 - {"ns6"}
    lab = demo()
    job = lab.start_command("carol", f"tcpdump -n -c 2 -i em0 '{expr}'")
    lab.run_for(10 * MS)
    lab.run_command("alice", "ping6 -c 1 bob")
    assert lab.wait(job, 5 * SEC) == 0
    body = [re.sub(TIME, "T", l) for l in job.output.split("\n")[2:4]]
    assert body == ["T IP6 2001:db8:1::b > 2001:db8:1::a: ICMP6, neighbor advertisement, "
                    "tgt is 2001:db8:1::b, length 32",          # not the NS: not to bob
                    "T IP6 2001:db8:1::a > 2001:db8:1::b: ICMP6, echo request, seq 0, "
                    "length 16"]


def test_names_without_n_from_etc_hosts():
    lab = demo()
    job = lab.start_command("carol", "tcpdump -c 3 icmp6")
    lab.run_for(10 * MS)
    lab.run_command("alice", "ping6 -c 1 bob")
    assert lab.wait(job, 5 * SEC) == 0
    out = job.output.split("\n")
    assert out[1].startswith("listening on em0, ")          # the first interface up, not lo0
    body = [re.sub(TIME, "T", l) for l in out[2:5]]
    assert body == ["T IP6 alice > ff02::1:ff00:b: ICMP6, neighbor solicitation, who has bob, "
                    "length 32",
                    "T IP6 bob > alice: ICMP6, neighbor advertisement, tgt is bob, length 32",
                    "T IP6 alice > bob: ICMP6, echo request, seq 0, length 16"]


def test_ipv4_ping_and_arp(inet):  # noqa: F811 - the fixture
    lab = pair4()
    assert lab.run_command("left", "ifconfig em0 up")[0] == 0
    assert lab.run_command("right", "ifconfig em0 up")[0] == 0
    lab.run_for(3 * SEC)
    job = lab.start_command("left", "tcpdump -n -c 4 -i em0 not ip6")
    lab.run_for(10 * MS)
    assert lab.run_command("left", "ping -c 1 10.0.0.2")[0] == 0
    assert lab.wait(job, 5 * SEC) == 0
    body = [re.sub(TIME, "T", l) for l in job.output.split("\n")[2:6]]
    assert body[0] == "T ARP, Request who-has 10.0.0.2 tell 10.0.0.1, length 28"
    assert re.fullmatch(r"T ARP, Reply 10\.0\.0\.2 is-at 02:00:00:00:12:02, length \d+", body[1])
    assert re.fullmatch(r"T IP 10\.0\.0\.1 > 10\.0\.0\.2: ICMP echo request, id \d+, seq 0, "
                        r"length 64", body[2])
    assert re.fullmatch(r"T IP 10\.0\.0\.2 > 10\.0\.0\.1: ICMP echo reply, id \d+, seq 0, "
                        r"length 64", body[3])


def test_d_prints_the_program_and_errors_are_tcpdumps():
    lab = demo()
    assert lab.run_command("bob", "tcpdump -d arp") == (0, (
        "(000) ldh      [12]\n(001) jeq      #0x806           jt 2\tjf 3\n"
        "(002) ret      #262144\n(003) ret      #0\n"))
    assert lab.run_command("bob", "tcpdump -i em9") == (
        1, "tcpdump: em9: No such device exists\n(BIOCSETIF failed: Device not configured)\n")
    assert lab.run_command("bob", "tcpdump -i em0 ip6 and") == (
        1, "tcpdump: syntax error in filter expression: syntax error\n")
    assert lab.run_command("bob", "tcpdump -i em0 host nosuchhost") == (
        1, "tcpdump: unknown host 'nosuchhost'\n")
    assert lab.run_command("bob", "tcpdump -c 0") == (1, "tcpdump: invalid packet count 0\n")
    assert lab.run_command("bob", "tcpdump -s -1") == (1, "tcpdump: invalid snaplen -1\n")
    assert lab.run_command("bob", "tcpdump -Q sideways") == (
        1, "tcpdump: unknown capture direction `sideways'\n")
    assert lab.run_command("bob", "tcpdump -r /nonexistent") == (
        1, "tcpdump: /nonexistent: No such file or directory\n")
    assert lab.run_command("bob", "tcpdump -i em0 -w /nonexistent/x.pcap") == (
        1, "tcpdump: /nonexistent/x.pcap: No such file or directory\n")
    status, out = lab.run_command("bob", "tcpdump -k")
    assert status == 1 and out.startswith("tcpdump: illegal option -- k\ntcpdump version 4.9.3")
    assert lab.machines["bob"].kernel.bpf.bpf_dlist == []          # every descriptor closed


def test_a_bad_savefile():
    lab = demo()
    k = lab.machines["bob"].kernel
    from kernel.kern.vfs import vfs_install
    vfs_install(k, "/tmp/junk.pcap", b"not a capture file")
    vfs_install(k, "/tmp/short.pcap", bytes.fromhex("d4c3b2a1") + bytes(4))
    good = (bytes.fromhex("d4c3b2a102000400") + bytes(8) + (65535).to_bytes(4, "little")
            + (1).to_bytes(4, "little") + bytes(8) + (100).to_bytes(4, "little") * 2 + bytes(10))
    vfs_install(k, "/tmp/trunc.pcap", good)
    assert lab.run_command("bob", "tcpdump -r /tmp/junk.pcap") == (
        1, "tcpdump: unknown file format\n")
    assert lab.run_command("bob", "tcpdump -r /tmp/short.pcap") == (
        1, "tcpdump: truncated dump file; tried to read 24 file header bytes, only got 8\n")
    assert lab.run_command("bob", "tcpdump -r /tmp/trunc.pcap") == (1, (
        "reading from file /tmp/trunc.pcap, link-type EN10MB (Ethernet)\n"
        "tcpdump: pcap_loop: truncated dump file; tried to read 100 captured bytes, "
        "only got 10\n"))


def test_ping6_to_our_own_address_shows_on_lo0():
    """A packet to one of our addresses goes through lo0 (if_simloop), where bpf sees it."""
    from tests.userland.labs import demo
    lab = demo()
    job = lab.start_command("alice", "tcpdump -n -i lo0 -c 2 icmp6")
    lab.run_for(SEC // 10)
    assert lab.run_command("alice", "ping6 -c 1 2001:db8:1::a")[0] == 0
    assert lab.wait(job) == 0
    lines = [l for l in job.output.splitlines() if "ICMP6" in l]
    assert len(lines) == 2 and "echo request" in lines[0] and "echo reply" in lines[1]
