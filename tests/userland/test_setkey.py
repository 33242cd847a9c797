"""setkey(8) (userland/usr_sbin/setkey.py, userland/libipsec.py): scripts as a
KAME-era user wrote them — transport mode between two hosts, a tunnel between
two security gateways — loaded through PF_KEY, the -D and -DP output of
ipsec-tools, -F/-FP, -x, errors with their line, and ipsec_enable at boot."""
from __future__ import annotations

from kernel.kern import init_main
from kernel.netkey.key import key_init
from kernel.netkey.key_alloc import ipsec_setsaidx, key_allocsa, key_allocsp, key_checkrequest
from kernel.netkey.keydb import secpolicyindex
from kernel.wire.in6 import inet_pton6, sockaddr_in6
from kernel.wire.in_ import sockaddr_in
from kernel.wire.pfkeyv2 import (IPPROTO_AH, IPPROTO_ESP, IPSEC_DIR_INBOUND, IPSEC_DIR_OUTBOUND,
                                 IPSEC_POLICY_IPSEC, IPSEC_POLICY_NONE)
from tests.conftest import ROOT
from tests.kernel.kern.harness import MS, SEC, Host
from tests.userland.labs import from_text

PROTOCOLS = (ROOT / "images" / "base" / "etc" / "protocols").read_bytes()

# KAME's setkey(8) examples: an SA for each direction between two hosts, the
# policy for the traffic between them (HMAC-SHA1 and 3DES-CBC; KAME's des-cbc
# and hmac-md5 are not in this kernel)
HOST_A = b"""\
# transport mode between 3ffe:501:4819::1 (this host) and 3ffe:501:481d::1
flush;
spdflush;
add 3ffe:501:4819::1 3ffe:501:481d::1 esp 123457
	-E 3des-cbc 0x3ffe05014819ffff3ffe05014819ffff3ffe05014819ffff ;
add 3ffe:501:481d::1 3ffe:501:4819::1 esp 123458
	-E 3des-cbc "KAMEKAMEKAMEKAMEKAMEKAME" ;
add -6 3ffe:501:4819::1 3ffe:501:481d::1 ah 123456
	-A hmac-sha1 "AH SA configuration!" ;
spdadd 3ffe:501:4819::1 3ffe:501:481d::1 any
	-P out ipsec esp/transport//require ah/transport//require ;
spdadd 3ffe:501:481d::1 3ffe:501:4819::1 any -P in ipsec esp/transport//require ;
"""
H1, H2 = "3ffe:501:4819::1", "3ffe:501:481d::1"
# the other host: the same SAs, the policies the other way round
HOST_B = b"\n".join(HOST_A.split(b"\n")[:9]) + b"""
spdadd 3ffe:501:481d::1 3ffe:501:4819::1 any
	-P out ipsec esp/transport//require ;
spdadd 3ffe:501:4819::1 3ffe:501:481d::1 any
	-P in ipsec esp/transport//require ah/transport//require ;
"""

# two security gateways joining 2001:db8:1::/48 and 2001:db8:2::/48
GATEWAY = b"""\
spdadd 2001:db8:1::/48 2001:db8:2::/48 any
	-P out ipsec esp/tunnel/2001:db8:ff::1-2001:db8:ff::2/require ;
spdadd 2001:db8:2::/48 2001:db8:1::/48 any
	-P in ipsec esp/tunnel/2001:db8:ff::2-2001:db8:ff::1/require ;
add 2001:db8:ff::1 2001:db8:ff::2 esp 0x1001 -m tunnel
	-E aes-cbc 0x000102030405060708090a0b0c0d0e0f -A hmac-sha256 0x""" + b"ab" * 32 + b""" ;
add 2001:db8:ff::2 2001:db8:ff::1 esp 0x1002 -m tunnel
	-E aes-cbc 0x0f0e0d0c0b0a09080706050403020100 -A hmac-sha256 0x""" + b"cd" * 32 + b""" ;
"""


def _sa_tail(seq: int, pid: int) -> str:
    """The lines of `setkey -D` after the keys, for a mature SA without
    lifetimes added at boot and dumped 5 s later."""
    return ("\tseq=0x00000000 replay=0 flags=0x00000000 state=mature \n"
            "\tcreated: Jan  1 00:00:00 2006\tcurrent: Jan  1 00:00:05 2006\n"
            "\tdiff: 5(s)\thard: 0(s)\tsoft: 0(s)\n"
            "\tlast:                     \thard: 0(s)\tsoft: 0(s)\n"
            "\tcurrent: 0(bytes)\thard: 0(bytes)\tsoft: 0(bytes)\n"
            "\tallocated: 0\thard: 0\tsoft: 0\n"
            f"\tsadb_seq={seq} pid={pid} refcnt=0\n")


def _host(files=None, name="host") -> Host:
    f = {"/etc/protocols": PROTOCOLS}
    f.update(files or {})
    h = Host(files=f, name=name)
    key_init(h.k)
    return h


def test_kame_transport_mode_script_between_two_hosts():
    a = _host({"/etc/ipsec.conf": HOST_A})
    r = a.run("/sbin/setkey -f /etc/ipsec.conf")
    assert (r.status, r.out, r.err) == (0, "", "")
    a.run_for(5 * SEC)
    r = a.run("/sbin/setkey -D")
    assert r.status == 0
    assert r.out == (
        f"{H1} {H2}\n"
        "\tah mode=any spi=123456(0x0001e240) reqid=0(0x00000000)\n"
        "\tA: hmac-sha1  41482053 4120636f 6e666967 75726174 696f6e21\n"
        + _sa_tail(2, r.p.p_pid)
        + f"{H2} {H1}\n"
        "\tesp mode=any spi=123458(0x0001e242) reqid=0(0x00000000)\n"
        "\tE: 3des-cbc  4b414d45 4b414d45 4b414d45 4b414d45 4b414d45 4b414d45\n"
        + _sa_tail(1, r.p.p_pid)
        + f"{H1} {H2}\n"
        "\tesp mode=any spi=123457(0x0001e241) reqid=0(0x00000000)\n"
        "\tE: 3des-cbc  3ffe0501 4819ffff 3ffe0501 4819ffff 3ffe0501 4819ffff\n"
        + _sa_tail(0, r.p.p_pid))
    r = a.run("/sbin/setkey -DP")
    assert r.out == (
        f"{H2}[any] {H1}[any] any\n"
        "\tin ipsec\n"
        "\tesp/transport//require\n"
        "\tcreated: Jan  1 00:00:00 2006  lastused: Jan  1 00:00:00 2006\n"
        "\tlifetime: 0(s) validtime: 0(s)\n"
        f"\tspid=2 seq=1 pid={r.p.p_pid}\n"
        "\trefcnt=1\n"
        f"{H1}[any] {H2}[any] any\n"
        "\tout ipsec\n"
        "\tesp/transport//require\n"
        "\tah/transport//require\n"
        "\tcreated: Jan  1 00:00:00 2006  lastused: Jan  1 00:00:00 2006\n"
        "\tlifetime: 0(s) validtime: 0(s)\n"
        f"\tspid=1 seq=0 pid={r.p.p_pid}\n"
        "\trefcnt=1\n")
    k = a.k
    spidx = secpolicyindex(IPSEC_DIR_OUTBOUND, sockaddr_in6(inet_pton6(H1), 1024),
                           sockaddr_in6(inet_pton6(H2), 21), ul_proto=6)
    sp = key_allocsp(k, spidx, IPSEC_DIR_OUTBOUND)
    assert sp.policy == IPSEC_POLICY_IPSEC and [x.saidx.proto for x in sp.req] == [
        IPPROTO_ESP, IPPROTO_AH]
    for isr in sp.req:        # both SAs the outbound packet needs are there
        assert key_checkrequest(k, isr, ipsec_setsaidx(isr, spidx.src, spidx.dst)) == 0
    assert [isr.sav.spi for isr in sp.req] == [123457, 123456]
    assert key_allocsa(k, inet_pton6(H1), IPPROTO_ESP, 123458).key_enc == b"KAME" * 6
    # host B: what A sends it finds with the same keys, and its answers are protected
    b = _host({"/etc/ipsec.conf": HOST_B}, name="b")
    assert b.run("/sbin/setkey -f /etc/ipsec.conf").status == 0
    for isr in sp.req:
        got = key_allocsa(b.k, inet_pton6(H2), isr.saidx.proto, isr.sav.spi)
        assert (got.key_auth, got.key_enc) == (isr.sav.key_auth, isr.sav.key_enc)
    back = secpolicyindex(IPSEC_DIR_OUTBOUND, spidx.dst, spidx.src, ul_proto=6)
    bsp = key_allocsp(b.k, back, IPSEC_DIR_OUTBOUND)
    (bisr,) = bsp.req
    assert key_checkrequest(b.k, bisr, ipsec_setsaidx(bisr, back.src, back.dst)) == 0
    assert bisr.sav.spi == 123458


def test_tunnel_mode_between_security_gateways():
    gw = _host({"/etc/ipsec.conf": GATEWAY})
    assert gw.run("/sbin/setkey -f /etc/ipsec.conf").status == 0
    k = gw.k
    inner = secpolicyindex(IPSEC_DIR_OUTBOUND, sockaddr_in6(inet_pton6("2001:db8:1::5")),
                           sockaddr_in6(inet_pton6("2001:db8:2::9")), ul_proto=58)
    sp = key_allocsp(k, inner, IPSEC_DIR_OUTBOUND)
    isr = sp.req[0]
    saidx = ipsec_setsaidx(isr, inner.src, inner.dst)
    assert str(saidx.src) == "2001:db8:ff::1" and str(saidx.dst) == "2001:db8:ff::2"
    assert key_checkrequest(k, isr, saidx) == 0 and isr.sav.spi == 0x1001
    out = gw.run("/sbin/setkey -DP").out
    assert out.startswith(
        "2001:db8:2::/48[any] 2001:db8:1::/48[any] any\n"
        "\tin ipsec\n"
        "\tesp/tunnel/2001:db8:ff::2-2001:db8:ff::1/require\n")
    assert ("2001:db8:1::/48[any] 2001:db8:2::/48[any] any\n\tout ipsec\n"
            "\tesp/tunnel/2001:db8:ff::1-2001:db8:ff::2/require\n") in out
    d = gw.run("/sbin/setkey -D").out
    assert "\tesp mode=tunnel spi=4097(0x00001001) reqid=0(0x00000000)\n" in d
    assert ("\tA: hmac-sha256  " + " ".join(["abababab"] * 8) + "\n") in d
    assert "\tE: aes-cbc  00010203 04050607 08090a0b 0c0d0e0f\n" in d


def test_empty_databases_and_flush():
    h = _host({"/etc/ipsec.conf": GATEWAY})
    assert h.run("/sbin/setkey -D").out == "No SAD entries.\n"
    assert h.run("/sbin/setkey -DP").out == "No SPD entries.\n"
    h.run("/sbin/setkey -f /etc/ipsec.conf")
    assert h.k.key.nsav == 2 and h.k.key.nsp() == 2
    assert h.run("/sbin/setkey -F").status == 0
    assert h.k.key.nsav == 0 and h.k.key.nsp() == 2
    assert h.run("/sbin/setkey -FP").status == 0
    assert h.k.key.nsp() == 0


def test_script_commands_get_delete_deleteall_dump_and_ipv4():
    h = _host()
    script = (b"add 192.0.2.1 192.0.2.2 esp 0x2001 -E null ;\n"
              b"add 192.0.2.1 192.0.2.2 esp 0x2002 -E null ;\n"
              b"add 192.0.2.2 192.0.2.1 esp 0x2003 -E null ;\n"
              b"get 192.0.2.1 192.0.2.2 esp 0x2001 ;\n"
              b"delete 192.0.2.1 192.0.2.2 esp 0x2001 ;\n"
              b"delete 192.0.2.1 192.0.2.2 esp 0x2001 ;\n"
              b"deleteall 192.0.2.1 192.0.2.2 esp ;\n"
              b"dump esp ;\n"
              b"spdadd 192.0.2.0/24[any] 198.51.100.0/24[80] tcp -P out none ;\n"
              b"spdadd ::/0 ::/0 icmp6 135,0 -P in none ;\n"
              b"spddump ;\n")
    r = h.run("/sbin/setkey -c", input=script)
    assert r.status == 0 and r.err == ""
    lines = r.out.splitlines()
    assert lines[0] == "192.0.2.1 192.0.2.2"
    assert lines[1] == "\tesp mode=any spi=8193(0x00002001) reqid=0(0x00000000)"
    assert "The result of line 6: No entry." in lines
    assert "192.0.2.2 192.0.2.1" in lines and lines.count("192.0.2.1 192.0.2.2") == 1
    assert "::/0 ::/0 icmp6 135,0" in lines
    assert "192.0.2.0/24[any] 198.51.100.0/24[80] tcp" in lines
    assert [sav.spi for sav in h.k.key.all_savs()] == [0x2003]
    sp = key_allocsp(h.k, secpolicyindex(IPSEC_DIR_OUTBOUND, sockaddr_in(bytes((192, 0, 2, 7))),
                                         sockaddr_in(bytes((198, 51, 100, 1)), 80), ul_proto=6),
                     IPSEC_DIR_OUTBOUND)
    assert sp.policy == IPSEC_POLICY_NONE
    ns = secpolicyindex(IPSEC_DIR_INBOUND, sockaddr_in6(inet_pton6("fe80::1"), 135, 0, 1),
                        sockaddr_in6(inet_pton6("ff02::1:ff00:2"), 0, 0, 1), ul_proto=58)
    assert key_allocsp(h.k, ns, IPSEC_DIR_INBOUND).policy == IPSEC_POLICY_NONE


def test_errors_name_the_file_and_line_and_stop_the_script():
    h = _host({"/etc/ipsec.conf": b"flush;\n\nadd 2001:db8::1 2001:db8::2\n  esx 0x1000 -E null;\n"
                                  b"spdflush;\n"})
    r = h.run("/sbin/setkey -f /etc/ipsec.conf")
    assert r.status == 1
    assert r.err == ("/etc/ipsec.conf:4: syntax error, expected a protocol (esp, esp-old, ah, "
                     "ah-old, ipcomp, tcp) at [esx]\n")
    for script, err in (
            (b"add ::1 ::2 esp 0x1000 -E aes-cbc 0x0011 ;", "(stdin):1: Invalid key length at [0x0011]"),
            (b"add ::1 ::2 esp 0x1000 -E blowfish-cbc 0x0011 ;", "(stdin):1: Not supported at [0x0011]"),
            (b"add ::1 ::2 esp 0x1000 -E rot13 0x00 ;",
             "(stdin):1: syntax error, expected an encryption algorithm"),
            (b"spdadd ::/0 ::/0 any -P out ipsec esp/tunnel//require ;",
             "(stdin):1: Invalid address specification at [out ipsec esp/tunnel//require]"),
            (b"spdadd ::/0 ::/0 any -P sideways none ;", "(stdin):1: Invalid direction"),
            (b"spdadd ::/0 ::/129 any -P out none ;", "(stdin):1: Invalid prefix length at [::/129]"),
            (b"dump\n", "(stdin):2: syntax error, expected ; at []"),
            (b'add ::1 ::2 esp 1 -E null "unterminated ;\n', "(stdin):1: unterminated string"),
            (b"frobnicate ;", "(stdin):1: syntax error, expected a command")):
        r = h.run("/sbin/setkey -c", input=script)
        assert r.status == 1 and r.err.startswith(err), (script, r.err)
    assert h.k.key.nsav == 0


def test_kernel_errors_are_reported_with_the_line_and_the_script_goes_on():
    h = _host()
    r = h.run("/sbin/setkey -c", input=b"add ::1 ::2 esp 0x1000 -E null;\n"
                                       b"add ::1 ::2 esp 0x1000 -E null;\n"
                                       b"add ::1 ::2 esp 12 -E null;\n"
                                       b"add ::1 ::2 esp 0x1001 -lh 60 -E null;\n"
                                       b"add ::1 ::2 esp 0x1002 -E null;\n")
    assert r.status == 0
    assert r.out == ("The result of line 2: File exists.\n"
                     "The result of line 3: Invalid argument.\n"
                     "The result of line 4: Invalid argument.\n")
    assert sorted(sav.spi for sav in h.k.key.all_savs()) == [0x1000, 0x1002]


def test_an_ordinary_user_may_dump_but_not_add():
    h = _host()
    h.run("/sbin/setkey -c", input=b"add ::1 ::2 esp 0x1000 -E aes-cbc \"0123456789abcdef\";")
    p, out, err = h.spawn("/sbin/setkey -c", input=b"add ::1 ::2 esp 0x1001 -E null;")
    p.p_ucred.cr_uid = 1000
    h.wait(p)
    assert out.text() == "The result of line 1: Operation not permitted.\n"
    p, out, err = h.spawn("/sbin/setkey -D")
    p.p_ucred.cr_uid = 1000
    h.wait(p)
    assert "\tesp mode=any spi=4096(0x00001000)" in out.text() and "\tE:" not in out.text()


def test_setkey_x_watches_every_pf_key_message():
    h = _host()
    mon, out, _err = h.spawn("/sbin/setkey -x")
    h.run_for(1 * SEC)
    h.run("/sbin/setkey -c", input=b"add ::1 ::2 esp 0x1000 -E null;")
    h.run_for(1 * MS)
    text = out.text()
    assert "00:00:01.000000 sadb_msg{ version=2 type=3 errno=0 satype=3\n" in text
    assert "sadb_sa{ spi=4096 replay=0 state=0\n  auth=0 encrypt=11 flags=0x00000000 }\n" in text
    assert "sadb_address{ proto=255 prefixlen=128 reserved=0x0000 }\n" in text
    assert " port=0\n  flowinfo=0x00000000, scope_id=0x00000000\n" in text
    h.k.kill(mon.p_pid, 15)
    h.wait(mon)
    assert mon.exited


def test_setkey_v_shows_the_messages():
    h = _host()
    r = h.run("/sbin/setkey -v -c", input=b"flush;")
    assert r.out.count("sadb_msg{ version=2 type=9 errno=0 satype=0\n") == 2


def test_usage():
    h = _host()
    r = h.run("/sbin/setkey")
    assert r.status == 1 and r.out.startswith("usage: setkey [-v] -c\n")
    r = h.run("/sbin/setkey -f /nonexistent")
    assert r.status == 1 and r.err == "setkey: fopen: No such file or directory\n"


LAB = """\
[lab]
name = "t"
[segment.lan0]
[host.a]
image = "img"
nic = [{model = "em", segment = "lan0"}]
"""


def test_ipsec_enable_loads_ipsec_file_at_boot(tmp_path, monkeypatch):
    monkeypatch.setattr(init_main, "SYSINITS",
                        init_main.SYSINITS + ["kernel.netkey.key:key_init"])
    etc = tmp_path / "img" / "etc"
    etc.mkdir(parents=True)
    (etc / "rc.conf").write_text('ifconfig_em0_ipv6="inet6 2001:db8:1::a prefixlen 64"\n'
                                 'ipsec_enable="YES"\nipsec_file="/etc/ipsec.conf"\n')
    (etc / "ipsec.conf").write_bytes(GATEWAY)
    lab = from_text(tmp_path, LAB)
    console = lab.machines["a"].console
    assert "Installing ipsec manual keys/policies." in console
    k = lab.machines["a"].kernel
    assert k.key.nsav == 2 and k.key.nsp() == 2
    status, out = lab.run_command("a", "setkey -DP")
    assert status == 0 and "\tesp/tunnel/2001:db8:ff::1-2001:db8:ff::2/require\n" in out


DOC = ROOT / "docs" / "setkey.md"


def test_docs_setkey_walkthrough_is_what_setkey_prints():
    """docs/setkey.md: its script loads, and the -D, -DP and error transcripts
    are what setkey prints today."""
    import re
    text = DOC.read_text()
    script, bad, typed = re.findall(r"```conf\n(.*?)```", text, re.S)[:3]
    shown = dict(re.findall(r"```sh\n(setkey [^\n]*)\n```\s*```text\n(.*?)```", text, re.S))
    texts = re.findall(r"```text\n(.*?)```", text, re.S)
    h = _host({"/etc/ipsec.conf": script.encode()})
    assert h.run("/sbin/setkey -f /etc/ipsec.conf").status == 0
    assert h.run("/sbin/setkey -D").out == shown["setkey -D"]
    assert h.run("/sbin/setkey -DP").out == shown["setkey -DP"]
    assert h.run("/sbin/setkey -c", input=typed.encode()).out == texts[-1]
    b = _host({"/etc/ipsec.conf": (script + bad).encode()})
    r = b.run("/sbin/setkey -f /etc/ipsec.conf")
    assert r.status == 1 and r.err == texts[2]
    assert b.k.key.nsav == 2


def test_ipsec_set_policy_and_ipsec_dump_policy_round_trip():
    from kernel.wire.pfkeyv2 import SADB_X_EXT_POLICY, ext_parse
    from userland.libipsec import IPsecError, ipsec_dump_policy, ipsec_set_policy
    for text in ("out ipsec esp/transport//require ah/transport//use",
                 "in ipsec esp/tunnel/2001:db8::1-2001:db8::2/unique:7",
                 "out ipsec esp/tunnel/192.0.2.1-192.0.2.2/default", "in none", "out discard",
                 "fwd ipsec ipcomp/tunnel/::1-::2/use", "out bypass", "in entrust"):
        x = ext_parse(SADB_X_EXT_POLICY, ipsec_set_policy(text))
        assert ipsec_dump_policy(x) == text
    x = ext_parse(SADB_X_EXT_POLICY, ipsec_set_policy("out ipsec esp/transport"))
    assert ipsec_dump_policy(x, "\n\t") == "out ipsec\n\tesp/transport//default"
    for bad, msg in (("", "Too few arguments"), ("up ipsec", "Invalid direction"),
                     ("out maybe", "Invalid security policy"),
                     ("out ipsec esp", "Too few arguments"),
                     ("out ipsec gre/transport//use", "Invalid ipsec protocol"),
                     ("out ipsec esp/beet//use", "Invalid ipsec mode"),
                     ("out ipsec esp/transport//always", "Invalid ipsec level"),
                     ("out ipsec esp/tunnel/::1-192.0.2.1/use", "Family mismatch"),
                     ("out ipsec esp/tunnel//use", "Invalid address specification"),
                     ("out none esp/transport//use", "Invalid security policy")):
        try:
            ipsec_set_policy(bad)
        except IPsecError as e:
            assert str(e) == msg, bad
        else:
            raise AssertionError(f"{bad!r} was accepted")
