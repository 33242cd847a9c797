"""``kamebox demo`` (emu/cli.py) and ``make demo``: the demo lab boots from rc.conf, the
transcript shows ifconfig, ping6, ndp, link-local and multicast pings; captures are
deterministic and clean in tshark."""
from __future__ import annotations

import re
import subprocess

from emu.cli import main
from emu.wire.pcap import read_pcap
from tests.conftest import ROOT, require_tool

T = r"\d+\.\d{3}"


def test_demo_transcript(capsys, tmp_path):
    status = main(["demo", "--no-console", "--pcap", str(tmp_path)])
    out, err = capsys.readouterr()
    assert (status, err) == (0, "")
    assert out.startswith("== kamebox demo: lab demo (images/labs/demo.toml), seed 1: "
                          "alice, bob, carol, r1 on lan0, lan1 ==\n")
    assert "alice: Setting hostname: alice.\n" in out and "bob: Setting" not in out
    for cmd in ("bob# ifconfig em0\n", "bob# ndp -r\n", "alice# ping6 -c 3 r1\n",
                "bob# ping6 -c 3 2001:db8:2::ff:fe00:c\n", "alice# ndp -an\n",
                "bob# ping6 -c 2 fe80::ff:fe00:a%em0\n", "alice# ping6 -c 2 ff02::1%em0\n"):
        assert cmd in out
    # RFC 4862 5.5.3: bob's address from r1's prefix and its interface identifier, DAD done
    assert "\tinet6 2001:db8:1::ff:fe00:b prefixlen 64 autoconf\n" in out
    assert re.search(r"\nfe80::ff:fe00:101%em0 if=em0, flags=, pref=medium, expire=", out)
    assert re.search(rf"\n16 bytes from 2001:db8:1::1, icmp_seq=2 hlim=64 time={T} ms\n", out)
    # through the router: the hop limit is one less
    assert re.search(rf"\n16 bytes from 2001:db8:2::ff:fe00:c, icmp_seq=2 hlim=63 time={T} ms\n",
                     out)
    assert out.count("3 packets transmitted, 3 packets received, 0.0% packet loss\n") == 2
    assert re.search(r"\n2001:db8:1::1 +02:00:00:00:01:01 +em0 ", out)
    assert re.search(rf"\n16 bytes from fe80::ff:fe00:a%em0, icmp_seq=1 hlim=64 time={T} ms\n", out)
    assert "(DUP!)\n" in out
    frames0 = len(read_pcap(tmp_path / "lan0.pcap"))
    frames1 = len(read_pcap(tmp_path / "lan1.pcap"))
    assert frames0 > 20 and frames1 > 5
    assert out.endswith(f"== captures ==\n"
                        f"{tmp_path / 'lan0.pcap'}: {frames0} frames so far   "
                        f"(tshark -r {tmp_path / 'lan0.pcap'}, or open it in Wireshark)\n"
                        f"{tmp_path / 'lan1.pcap'}: {frames1} frames so far   "
                        f"(tshark -r {tmp_path / 'lan1.pcap'}, or open it in Wireshark)\n")


def test_make_demo_is_kamebox_demo():
    text = (ROOT / "Makefile").read_text()
    assert "demo: $(STAMP)\n\t$(PY) -m emu demo\n" in text


def _run_twice(capsys, tmp_path) -> tuple[bytes, bytes]:
    got = []
    for d in ("one", "two"):
        status = main(["run", "demo", "--seed", "3", "--pcap", str(tmp_path / d),
                       "-c", "alice: ping6 -c 3 r1", "-c", "bob: ping6 -c 2 -s 3000 ff02::1%em0"])
        capsys.readouterr()
        assert status == 0
        got.append((tmp_path / d / "lan0.pcap").read_bytes())
    return got[0], got[1]


def test_same_seed_same_pcap_bytes(capsys, tmp_path):
    a, b = _run_twice(capsys, tmp_path)
    assert a == b and len(read_pcap(tmp_path / "one" / "lan0.pcap")) > 20


def test_tshark_reads_the_demo_capture_without_warnings(capsys, tmp_path):
    tshark = require_tool("tshark")
    _run_twice(capsys, tmp_path)
    f = tmp_path / "one" / "lan0.pcap"
    r = subprocess.run([tshark, "-r", str(f), "-Y", '_ws.expert.severity >= "Warning"',
                        "-T", "fields", "-e", "frame.number", "-e", "_ws.expert.message"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and r.stdout.strip() == "", r.stdout + r.stderr
    r = subprocess.run([tshark, "-r", str(f), "-Y", "icmpv6.type == 129", "-T", "fields",
                        "-e", "ipv6.src"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "2001:db8:1::1" in r.stdout.split()
