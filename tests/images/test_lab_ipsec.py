"""images/labs/ipsec.toml: two sites joined by ESP between security gateways keyed by
setkey scripts that the lab file gives the gateways as /etc/ipsec.conf (RFC 4301 4.1,
5.1; RFC 4303; FreeBSD rc.d/ipsec).

    h1 --- site1 --- sgw1 === internet === sgw2 --- site2 --- h2

The tunnel between the gateways protects site1 <-> site2 (AES-GCM-16, SPIs 0x1001
and 0x1002); the gateways' own traffic goes in ESP transport mode (AES-CBC +
HMAC-SHA1-96, SPIs 0x2001 and 0x2002).
"""
from __future__ import annotations

import ipaddress
import re
import struct
from typing import Any

import pytest

from emu.lab import Lab
from emu.wire.pcap import read_pcap
from kernel.kern.kern_sysctl import sysctl_find
from tests.conftest import ROOT, tshark_fields

LAB = ROOT / "images" / "labs" / "ipsec.toml"
SGW1, SGW2 = "2001:db8:ff::1", "2001:db8:ff::2"
SITE1 = ipaddress.IPv6Network("2001:db8:1::/64")
SITE2 = ipaddress.IPv6Network("2001:db8:2::/64")
ND_MLD = {130, 131, 132, 133, 134, 135, 136, 137, 143}   # ICMPv6 types that stay in clear

@pytest.fixture
def lab(tmp_path: Any) -> Any:
    lab = Lab.from_file(LAB, pcap_dir=tmp_path)
    lab.boot()
    yield lab
    lab.close()


def ok(lab: Any, host: str, line: str) -> str:
    status, out = lab.run_command(host, line)
    assert status == 0, f"{host}: {line}: {out}"
    return out


def sad(lab: Any, host: str) -> dict[int, dict[str, Any]]:
    """``setkey -D`` on ``host``, by SPI: mode, bytes (current) and packets (allocated)."""
    out = ok(lab, host, "setkey -D")
    sas: dict[int, dict[str, Any]] = {}
    for block in re.split(r"\n(?=\S)", out.strip()):
        m = re.search(r"esp mode=(\w+) spi=\d+\(0x([0-9a-f]+)\)", block)
        assert m, block
        sas[int(m.group(2), 16)] = {
            "src_dst": block.splitlines()[0],
            "mode": m.group(1),
            "bytes": int(re.search(r"current: (\d+)\(bytes\)", block).group(1)),
            "packets": int(re.search(r"allocated: (\d+)", block).group(1)),
        }
    return sas


def internet_frames(lab: Any, tmp_path: Any) -> list[tuple[str, str, int, bytes]]:
    """The IPv6 frames of the internet segment's capture, read with kamebox's own
    reader: (source, destination, next header, payload) of each."""
    lab.flush_captures()
    out = []
    for _ts, f in read_pcap(tmp_path / "internet.pcap"):
        if f[12:14] != b"\x86\xdd":
            continue
        src = str(ipaddress.IPv6Address(f[22:38]))
        dst = str(ipaddress.IPv6Address(f[38:54]))
        out.append((src, dst, f[20], f[54:]))
    return out


def site(addr: str) -> bool:
    return ipaddress.IPv6Address(addr) in SITE1 or ipaddress.IPv6Address(addr) in SITE2


def nd_or_mld(nxt: int, payload: bytes) -> bool:
    """An ND or MLD message (past the Hop-by-Hop Options header MLD reports carry)."""
    if nxt == 0 and len(payload) >= 8:
        nxt, payload = payload[0], payload[(payload[1] + 1) * 8:]
    return nxt == 58 and len(payload) > 0 and payload[0] in ND_MLD


def test_rc_d_ipsec_loads_the_lab_files_setkey_script_at_boot(lab):
    """rc.conf ipsec_enable="YES": /etc/rc runs setkey -f $ipsec_file (FreeBSD rc.d/ipsec),
    here the /etc/ipsec.conf that [host.NAME.files] laid over the image."""
    for gw in ("sgw1", "sgw2"):
        assert "Installing ipsec manual keys/policies." in lab.machines[gw].console
        sas = sad(lab, gw)
        assert {spi: sa["mode"] for spi, sa in sas.items()} == {
            0x1001: "tunnel", 0x1002: "tunnel", 0x2001: "transport", 0x2002: "transport"}
        assert sas[0x1001]["src_dst"] == f"{SGW1} {SGW2}"
        spd = ok(lab, gw, "setkey -DP")
        assert "esp/tunnel/2001:db8:ff::1-2001:db8:ff::2/require" in spd
        assert "esp/tunnel/2001:db8:ff::2-2001:db8:ff::1/require" in spd
        assert spd.count("esp/transport//require") == 2
    for h in ("h1", "h2"):                      # no files, no ipsec_enable: nothing loaded
        assert "ipsec" not in lab.machines[h].console
        assert ok(lab, h, "setkey -D") == "No SAD entries.\n"


def test_rfc4303_gateways_own_traffic_crosses_the_internet_in_esp_transport(lab, tmp_path):
    """RFC 4301 5.1: the gateways' policy `any` between their addresses requires ESP:
    every packet between them but ND is ESP with the transport SAs, whose byte and
    packet counts grow in `setkey -D`."""
    before = sad(lab, "sgw1")
    out = ok(lab, "sgw1", f"ping6 -c 3 {SGW2}")
    assert "3 packets transmitted, 3 packets received" in out
    after = sad(lab, "sgw1")
    for spi in (0x2001, 0x2002):                # out (sgw1 -> sgw2) and in
        assert after[spi]["packets"] - before[spi]["packets"] == 3
        assert after[spi]["bytes"] > before[spi]["bytes"]
    between = [fr for fr in internet_frames(lab, tmp_path) if {fr[0], fr[1]} == {SGW1, SGW2}]
    spis = [struct.unpack_from("!I", p)[0] for s, d, n, p in between if n == 50]
    assert spis.count(0x2001) == 3 and spis.count(0x2002) == 3
    assert [(s, d, n) for s, d, n, p in between if n != 50 and not nd_or_mld(n, p)] == []


def test_rfc4303_3_1_2_the_gateways_site_addresses_talk_through_the_tunnel(lab, tmp_path):
    """RFC 4303 3.1.2: sgw1's site1 address to sgw2's site2 address matches the tunnel
    policy: the packets leave in ESP between 2001:db8:ff::1 and 2001:db8:ff::2 with the
    tunnel SAs, whose counts grow, and nothing with a site address is on the internet."""
    before = sad(lab, "sgw1")
    out = ok(lab, "sgw1", "ping6 -c 2 -S 2001:db8:1::1 2001:db8:2::1")
    assert "2 packets transmitted, 2 packets received" in out
    after = sad(lab, "sgw1")
    for spi in (0x1001, 0x1002):
        assert after[spi]["packets"] - before[spi]["packets"] == 2
        assert after[spi]["bytes"] > before[spi]["bytes"]
    frames = internet_frames(lab, tmp_path)
    tunnel = [(s, d) for s, d, n, p in frames
              if n == 50 and struct.unpack_from("!I", p)[0] in (0x1001, 0x1002)]
    assert tunnel == [(SGW1, SGW2), (SGW2, SGW1)] * 2
    assert [(s, d) for s, d, n, p in frames if site(s) or site(d)] == []


def test_ping6_h1_to_h2_across_the_security_gateways(lab):
    """The sites reach each other through both gateways (two hops: hlim 62)."""
    out = ok(lab, "h1", "ping6 -c 3 h2")
    assert "3 packets transmitted, 3 packets received, 0.0% packet loss" in out
    assert "hlim=62" in out


def test_rfc4301_site_traffic_crosses_the_internet_only_in_the_esp_tunnel(lab, tmp_path):
    """RFC 4301 5.1 (outbound: PROTECT by the SPD entry of the forwarded packet) and
    RFC 4303 3.1.2 (tunnel mode): h1 <-> h2 reaches the internet segment only inside
    ESP between the gateways — no packet there has a site address, as kamebox's own
    pcap reader and tshark both see; only ND and MLD go in clear."""
    out = ok(lab, "h1", "ping6 -c 3 h2")
    assert "3 packets received" in out
    frames = internet_frames(lab, tmp_path)
    assert [(s, d) for s, d, n, p in frames if site(s) or site(d)] == []
    spis = [struct.unpack_from("!I", p)[0] for s, d, n, p in frames if n == 50]
    assert spis.count(0x1001) >= 3 and spis.count(0x1002) >= 3
    assert [(s, d, n) for s, d, n, p in frames if n != 50 and not nd_or_mld(n, p)] == []
    pcap = tmp_path / "internet.pcap"
    assert tshark_fields(pcap, "frame.number", display_filter=(
        "ipv6 && !esp && !(icmpv6.type in {130..137, 143})")) == []
    assert tshark_fields(pcap, "frame.number", display_filter=(
        "ipv6.addr == 2001:db8:1::/64 || ipv6.addr == 2001:db8:2::/64")) == []
    assert len(tshark_fields(pcap, "esp.spi", display_filter="esp.spi == 0x1001")) >= 3


def test_rfc4301_tunnel_sas_count_the_forwarded_packets(lab):
    """RFC 4301 4.4.2.1: each packet protected or unprotected by an SA counts in its
    lifetime: the tunnel SAs' bytes and packets in `setkey -D` grow with the ping,
    on both gateways."""
    before = {gw: sad(lab, gw) for gw in ("sgw1", "sgw2")}
    ok(lab, "h1", "ping6 -c 3 h2")
    for gw in ("sgw1", "sgw2"):
        after = sad(lab, gw)
        for spi in (0x1001, 0x1002):
            assert after[spi]["packets"] - before[gw][spi]["packets"] == 3, (gw, hex(spi))
            assert after[spi]["bytes"] > before[gw][spi]["bytes"]


def test_rfc4301_5_2_sgw2_drops_site_traffic_that_came_in_clear(lab):
    """RFC 4301 5.2: a packet the inbound SPD wanted protected that arrives unprotected
    is discarded: with sgw1's policies flushed, h1's echo requests cross the internet
    in clear and sgw2 drops them (in_polvio) instead of forwarding them to h2."""
    ok(lab, "sgw1", "setkey -FP")
    polvio = sysctl_find(lab.machines["sgw2"].kernel, "net.inet6.ipsec6.stats").get
    before = polvio()["in_polvio"]
    status, out = lab.run_command("h1", "ping6 -c 2 h2")
    assert status != 0 and "2 packets transmitted, 0 packets received" in out
    assert polvio()["in_polvio"] - before == 2
