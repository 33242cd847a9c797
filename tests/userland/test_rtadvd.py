"""rtadvd(8) (userland/usr_sbin/rtadvd.py, rtadvd_config.py, rtadvd_advcap.py):
rtadvd.conf(5) parsing, the RFC 4861 6.2 timing of Router Advertisements, the
consistency checks of 6.2.7, ceasing to advertise (6.2.5), and hosts that
configure themselves from what it sends (RFC 4862)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from emu.lab import Lab
from emu.sched import MS, SEC
from kernel.wire.in6 import inet_pton6
from kernel.wire.in_cksum import in6_cksum_data
from kernel.wire.ip6 import IPPROTO_ICMPV6
from kernel.wire.nd6 import (ND_OPT_PI_FLAG_AUTO, ND_OPT_PI_FLAG_ONLINK, ND_RA_FLAG_MANAGED,
                             ND_RA_FLAG_RTPREF_HIGH, ND_RA_FLAG_RTPREF_LOW,
                             Dnssl, Mtu, PrefixInformation, Rdnss, RouteInfo, RouterAdvert,
                             SourceLinkAddr)
from tests.conftest import ROOT
from tests.kernel.netinet6.ip6_lab import FrameLog
from userland.usr_sbin.rtadvd_advcap import Cap, CapError, Termcap
from userland.usr_sbin.rtadvd_config import getconfig, make_packet

A = inet_pton6
SLAAC = ROOT / "images" / "labs" / "slaac.toml"


# -- rtadvd.conf(5) -------------------------------------------------------------------------------
CONF = r"""# rtadvd.conf
default:\
	:chlim#64:raflags#0:rltime#1800:rtime#0:retrans#0:\
	:pinfoflags="la":vltime#2592000:pltime#604800:mtu#0:
em0|the first one:\
	:maxinterval#30:mininterval#0x0a:raflags="mh":rltime@:\
	:addr="2001:db8:1::":prefixlen#64:vltime#3600:pltime#1800:\
	:addr1="2001:db8:f00::":prefixlen1#48:pinfoflags1="l":\
	:rtprefix="2001:db8:99::":rtplen#48:rtltime#60:rtflags="l":\
	:rdnss="2001:db8:1::53,2001:db8:1::54":dnssl="example.com,lab":\
	:mtu="auto":tc=default:
em1::raflags#64:tc=em1base:
em1base:tc=default:
"""


def config(text: str, ifname: str, forwarding: int = 1, kernel=(), phymtu: int = 1500):
    tc = Termcap(text, "/etc/rtadvd.conf")
    cap = tc.getent(ifname) or Cap(ifname, [], None, 0)
    warned: list[str] = []
    rai = getconfig(ifname, cap, 1, bytes.fromhex("020000000101"), phymtu, forwarding,
                    lambda n: list(kernel), A, warned.append, 0)
    return rai, warned


def test_termcap_entries_continuations_quotes_and_tc_inheritance():
    rai, warned = config(CONF, "em0")
    assert (rai.maxinterval, rai.mininterval, rai.hoplimit) == (30, 10, 64)
    assert rai.managedflg and not rai.otherflg and rai.rtpref == ND_RA_FLAG_RTPREF_HIGH
    # "rltime@" cancels the default entry's rltime#1800: the default, 3 * maxinterval
    assert rai.lifetime == 90
    assert [(p.prefix, p.prefixlen, p.validlifetime, p.preflifetime, p.onlinkflg, p.autoconfflg)
            for p in rai.prefixes] == [(A("2001:db8:1::"), 64, 3600, 1800, True, True),
                                       (A("2001:db8:f00::"), 48, 2592000, 604800, True, False)]
    assert [(r.prefix, r.prefixlen, r.rtpref, r.ltime) for r in rai.routes] == [
        (A("2001:db8:99::"), 48, ND_RA_FLAG_RTPREF_LOW, 60)]
    assert rai.rdnss == [((A("2001:db8:1::53"), A("2001:db8:1::54")), 45)]   # 1.5 * maxinterval
    assert rai.dnssl == [(("example.com", "lab"), 45)]
    assert rai.linkmtu == 1500 and warned == []
    # the alias names the same entry; tc= chains through another entry
    assert Termcap(CONF, "f").getent("the first one") is not None
    rai, _ = config(CONF, "em1")
    assert rai.otherflg and rai.lifetime == 1800 and rai.maxinterval == 600


def test_without_an_entry_the_defaults_and_the_kernels_prefixes():
    """rtadvd.conf(5): "you do not have to set this configuration file up at
    all"; the prefixes then come from the interface (config.c get_prefix)."""
    rai, _ = config("", "em0", kernel=[(A("2001:db8:1::1"), 64), (A("2001:db8:1::2"), 64)])
    assert (rai.maxinterval, rai.mininterval, rai.lifetime, rai.hoplimit) == (600, 200, 1800, 64)
    assert [(p.prefix, p.prefixlen) for p in rai.prefixes] == [(A("2001:db8:1::"), 64)]
    ra = RouterAdvert.parse(make_packet(rai, 0))
    assert (ra.cur_hop_limit, ra.flags, ra.router_lifetime, ra.reachable_time) == (64, 0, 1800, 0)
    assert ra.options == (SourceLinkAddr(bytes.fromhex("020000000101")),
                          PrefixInformation(A("2001:db8:1::"), 64,
                                            ND_OPT_PI_FLAG_ONLINK | ND_OPT_PI_FLAG_AUTO,
                                            2592000, 604800))


def test_the_ra_carries_every_configured_option():
    rai, _ = config(CONF, "em0")
    ra = RouterAdvert.parse(make_packet(rai, 0))
    assert ra.flags == ND_RA_FLAG_MANAGED | ND_RA_FLAG_RTPREF_HIGH and ra.router_lifetime == 90
    kinds = [type(o) for o in ra.options]
    assert kinds == [SourceLinkAddr, Mtu, PrefixInformation, PrefixInformation, RouteInfo,
                     Rdnss, Dnssl]
    assert ra.option(Mtu).mtu == 1500
    assert ra.option(Dnssl).domains == ("example.com", "lab")


@pytest.mark.parametrize("text,ifname,line,message", [
    ("em0:\\\n\t:maxinterval#2:\n", "em0", 2,
     "maxinterval (2) on em0 is invalid (must be between 4 and 1800)"),
    ("# c\nem0:maxinterval#30:\\\n  :mininterval#25:\n", "em0", 3,
     "mininterval (25) on em0 is invalid (must be between 3 and 22)"),
    ("em0:rltime#12:\n", "em0", 1,
     "router lifetime (12) on em0 is invalid (must be 0 or between 600 and 9000)"),
    ("em0:chlim#sixty:\n", "em0", 1, "expected a number after chlim#, got 'sixty'"),
    ('em0:raflags="mx":\n', "em0", 1, "em0: expected raflags letters from h l m o, got 'mx'"),
    ('em0:raflags="hl":\n', "em0", 1, "the 'h' and 'l' router flags are exclusive"),
    ('em0:\\\n:addr="2001:db8:1::":\\\n:pltime#9000:vltime#100:\n', "em0", 3,
     "pltime (9000) for 2001:db8:1::/64 on em0 is greater than its vltime (100)"),
    ('em0:addr="ff02::":\n', "em0", 1, "multicast prefix (ff02::) must not be advertised on em0"),
    ('em0:addr="nonsense":\n', "em0", 1, "addr: expected an IPv6 prefix, got 'nonsense'"),
    ('em0:mtu#1000:\n', "em0", 1, "advertised link mtu (1000) on em0 is invalid (must be between "
                                   "least MTU (1280) and physical link MTU (1500)"),
    ('em0:mtu="big":\n', "em0", 1, 'mtu: expected a number or "auto", got \'big\''),
    ('em0:rdnss="2001:db8::53":rdnssltime#5:\n', "em0", 1,
     "rdnssltime (5) on em0 is invalid (must be between 600 and 1200)"),
    ('em0:addr="2001:db8::\n', "em0", 1, 'expected a closing " before the end of the entry'),
    ("em0:tc=nothere:\n", "em0", 1, "expected an entry named 'nothere' for tc="),
    ("em0:tc=em1:\nem1:tc=em0:\n", "em0", 1,
     "expected at most 32 tc= indirections (infinite tc= loop?)"),
    ("em0:\\", "em0", 1, "expected another line after the \\ at the end of the file"),
])
def test_config_errors_name_the_file_the_line_and_what_was_expected(text, ifname, line, message):
    with pytest.raises(CapError) as e:
        config(text, ifname)
    assert str(e.value) == f"/etc/rtadvd.conf:{line}: {message}"


def test_rfc4861_6_2_3_a_host_may_only_advertise_with_router_lifetime_0():
    with pytest.raises(CapError) as e:
        config("", "em0", forwarding=0)
    assert str(e.value) == ("non zero router lifetime is specified for em0, which must not be "
                            "allowed for hosts.  you must change router lifetime or enable IPv6 "
                            "forwarding.")
    rai, _ = config("em0:rltime#0:\n", "em0", forwarding=0)
    assert rai.lifetime == 0


def test_rfc4861_6_2_7_lifetimes_that_decrement_in_real_time():
    """vltimedecr/pltimedecr: "the advertised ... lifetime will decrement in real
    time" (RFC 4861 6.2.1 AdvValidLifetime: "a time that decrements in real time")."""
    rai, _ = config('em0:addr="2001:db8:1::":vltime#100:vltimedecr:pltime#50:pltimedecr:\n',
                    "em0")
    pi = RouterAdvert.parse(make_packet(rai, 30 * SEC)).option(PrefixInformation)
    assert (pi.valid_time, pi.preferred_time) == (70, 20)
    pi = RouterAdvert.parse(make_packet(rai, 80 * SEC)).option(PrefixInformation)
    assert (pi.valid_time, pi.preferred_time) == (20, 0)


def test_rtltime_defaults_to_the_router_lifetime_with_a_warning():
    rai, warned = config('em0:rtprefix="2001:db8:9::":\n', "em0")
    assert rai.routes[0].ltime == 1800 and rai.routes[0].prefixlen == 64
    assert warned == ["rtltime should be specified for interface em0."]


# -- labs ------------------------------------------------------------------------------------------
LAB = """\
[lab]
name = "ra"
seed = 5
[segment.lan0]
[host.r1]
image = "router"
nic = [{model = "em", segment = "lan0", mac = "02:00:00:00:01:01"}]
[host.r1.rc]
rtadvd_enable = false
%s
[host.h]
nic = [{model = "em", segment = "lan0", mac = "02:00:00:00:00:0a"}]
[host.h.rc]
ifconfig_em0_ipv6 = "inet6 accept_rtadv"
"""
R2 = """
[host.r2]
image = "./r2img"
nic = [{model = "em", segment = "lan0", mac = "02:00:00:00:02:01"}]
[host.r2.rc]
ifconfig_em0_ipv6 = "inet6 2001:db8:1::2 prefixlen 64"
rtadvd_enable = false
"""
R1_LL, R2_LL, H_LL = A("fe80::ff:fe00:101"), A("fe80::ff:fe00:201"), A("fe80::ff:fe00:a")
ALLNODES = A("ff02::1")


def lab_with(tmp_path: Path, r2conf: str | None = None) -> tuple[Lab, FrameLog]:
    toml = LAB % (R2 if r2conf is not None else "")
    if r2conf is not None:
        etc = tmp_path / "r2img" / "etc"
        etc.mkdir(parents=True)
        etc.joinpath("rc.conf").write_text((ROOT / "images/router/etc/rc.conf").read_text())
        etc.joinpath("rtadvd.conf").write_text(r2conf)
    (tmp_path / "t.toml").write_text(toml)
    lab = Lab.from_file(tmp_path / "t.toml")
    log = FrameLog()
    lab.segments["lan0"].add_capture(log)
    lab.boot(settle=3 * SEC)
    return lab, log


def ras(log: FrameLog, since: int = 0, mac: str = "020000000101") -> list[tuple[int, bytes]]:
    """(time, IPv6 packet) of the RAs sent by ``mac`` from ``since`` on."""
    return [(t, f[14:]) for t, f in log.frames if t >= since and f[6:12] == bytes.fromhex(mac)
            and f[12:14] == b"\x86\xdd" and f[20] == IPPROTO_ICMPV6 and f[54] == 134]


def rss(log: FrameLog, since: int = 0) -> list[int]:
    return [t for t, f in log.frames if t >= since and f[12:14] == b"\x86\xdd"
            and f[20] == IPPROTO_ICMPV6 and f[54] == 133]


def test_rfc4861_6_2_4_initial_advertisements_at_most_16s_apart_then_random(tmp_path):
    """RFC 4861 6.2.4: "For the first few advertisements (up to
    MAX_INITIAL_RTR_ADVERTISEMENTS) sent from an interface when it becomes an
    advertising interface, if the randomly chosen interval is greater than
    MAX_INITIAL_RTR_ADVERT_INTERVAL, the timer SHOULD be set to
    MAX_INITIAL_RTR_ADVERT_INTERVAL instead"; after them a random interval
    between MinRtrAdvInterval and MaxRtrAdvInterval.  Each RA: from the
    link-local address, to all-nodes, hop limit 255 (RFC 4861 4.2)."""
    lab, log = lab_with(tmp_path)
    t0 = lab.sched.now
    assert lab.run_command("r1", "rtadvd em0") == (0, "")
    lab.run_for(2000 * SEC)
    times = [t for t, _ in ras(log, t0)]
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert times[0] - t0 == 16 * SEC and gaps[:2] == [16 * SEC, 16 * SEC]
    assert len(gaps) >= 4 and all(200 * SEC <= g <= 600 * SEC for g in gaps[2:])
    assert len(set(gaps[2:])) > 1                                      # random
    for _t, p in ras(log, t0):
        assert p[7] == 255 and p[8:24] == R1_LL and p[24:40] == ALLNODES
        assert in6_cksum_data(p[8:24], p[24:40], IPPROTO_ICMPV6, p[40:]) == 0
        ra = RouterAdvert.parse(p[40:])
        assert ra.router_lifetime == 1800
        assert ra.option(PrefixInformation) == PrefixInformation(A("2001:db8:1::"), 64)


def test_rfc4861_6_2_6_solicitations_answered_within_max_ra_delay_and_min_delay_between(tmp_path):
    """RFC 4861 6.2.6: an RA answers an RS after "a random time uniformly
    distributed between 0 and MAX_RA_DELAY_TIME", multicast to all-nodes; and
    "if the router sent a multicast Router Advertisement ... within the last
    MIN_DELAY_BETWEEN_RAS seconds, schedule the advertisement to be sent at a
    time corresponding to MIN_DELAY_BETWEEN_RAS plus the random value after
    the previous advertisement was sent"."""
    lab, log = lab_with(tmp_path)
    assert lab.run_command("r1", "rtadvd em0") == (0, "")
    lab.run_for(SEC)
    t0 = lab.sched.now
    for _ in range(3):
        assert lab.run_command("h", "rtsol em0") == (0, "")
    sol = rss(log, t0)
    adv = [t for t, p in ras(log, t0)]
    assert len(sol) == 3 and len(adv) == 3
    assert 0 <= adv[0] - sol[0] <= 500 * MS
    for i in (1, 2):
        assert sol[i] - adv[i - 1] < 3 * SEC                     # asked too soon ...
        assert 3 * SEC <= adv[i] - adv[i - 1] <= 3500 * MS       # ... answered no sooner
    assert all(p[24:40] == ALLNODES for _t, p in ras(log, t0))
    pid = lab.run_command("r1", "cat /var/run/rtadvd.pid")[1].strip()
    lab.run_command("r1", f"kill -USR1 {pid}")
    lab.run_for(10 * MS)
    dump = lab.run_command("r1", "cat /var/run/rtadvd.dump")[1]
    assert "  statistics: RA(out/in/inconsistent): 3/0/0, RS(input): 3\n" in dump
    assert "    2001:db8:1::/64(KERNEL, vltime: 2592000, pltime: 604800, flags: LA)\n" in dump


def test_rfc4861_6_1_1_invalid_solicitations_get_no_answer(tmp_path):
    lab, log = lab_with(tmp_path)
    assert lab.run_command("r1", "rtadvd em0") == (0, "")
    lab.run_for(SEC)
    k = lab.machines["h"].kernel
    from kernel.kern.uipc_mbuf import mbuf
    from kernel.netinet6.ip6_output import ip6_output
    from kernel.netinet6.ip6_var import ip6_moptions
    from tests.kernel.netinet6.ip6_lab import ip6_packet, with_cksum
    allr = A("ff02::2")
    ifp = k.ifunit("em0")
    t0 = lab.sched.now
    for hlim, body in ((64, bytes((133, 0, 0, 0, 0, 0, 0, 0))),          # forwarded?
                       (255, bytes((133, 1, 0, 0, 0, 0, 0, 0))),         # code 1
                       (255, bytes((133, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0)))):  # len 0
        pkt = ip6_packet(H_LL, allr, IPPROTO_ICMPV6, with_cksum(H_LL, allr, 58, body), hlim)
        ip6_output(k, mbuf(pkt), None, None, 0, ip6_moptions(ifp, hlim, 0), None, ifp.if_index)
        lab.run_for(SEC)
    assert len(rss(log, t0)) == 3 and ras(log, t0) == []
    pid = lab.run_command("r1", "cat /var/run/rtadvd.pid")[1].strip()
    lab.run_command("r1", f"kill -USR1 {pid}")
    lab.run_for(10 * MS)
    assert "RS(input): 0\n" in lab.run_command("r1", "cat /var/run/rtadvd.dump")[1]


def test_rfc4861_6_2_7_inconsistent_advertisements_are_logged(tmp_path):
    """RFC 4861 6.2.7: "Routers SHOULD inspect valid Router Advertisements sent
    by other routers and verify that the routers are advertising consistent
    information on a link.  Detected inconsistencies ... SHOULD be logged";
    FreeBSD's rtadvd logs them at LOG_NOTICE (-d)."""
    lab, log = lab_with(tmp_path, 'em0:\\\n\t:chlim#32:raflags="o":mtu#1400:\\\n'
                                  '\t:addr="2001:db8:1::":vltime#3600:pltime#1800:\n')
    assert lab.run_command("r1", "rtadvd -d -c /etc/nonexistent.conf em0") == (0, "")
    assert lab.run_command("r2", "rtadvd em0") == (0, "")
    lab.run_for(20 * SEC)
    out = lab.run_command("r1", "cat /var/log/messages")[1]
    frm = "fe80::ff:fe00:201"
    lines = [l.split(": ", 1)[1] for l in out.splitlines() if "rtadvd[" in l]
    assert lines[:4] == [
        f"CurHopLimit inconsistent on em0: 32 from {frm}, 64 from us",
        f"O flag inconsistent on em0: ON from {frm}, OFF from us",
        f"preferred lifetime for 2001:db8:1::/64 inconsistent on em0: 1800 from {frm}, "
        f"604800 from us",
        f"valid lifetime for 2001:db8:1::/64 inconsistent on em0: 3600 from {frm}, "
        f"2592000 from us"]
    assert re.match(r"Jan  1 00:00:\d\d r1 rtadvd\[\d+\]: CurHopLimit", out)
    # r2 sees r1 agreeing about nothing it sets, and logs nothing without -d
    assert "rtadvd" not in lab.run_command("r2", "cat /var/log/messages")[1]
    pid = lab.run_command("r1", "cat /var/run/rtadvd.pid")[1].strip()
    lab.run_command("r1", f"kill -USR1 {pid}")
    lab.run_for(10 * MS)
    assert "RA(out/in/inconsistent): 1/1/1" in lab.run_command("r1", "cat /var/run/rtadvd.dump")[1]


def test_rfc4861_6_2_5_sigterm_ceases_advertising_with_router_lifetime_0(tmp_path):
    """RFC 4861 6.2.5: "the router SHOULD transmit one or more (but not more than
    MAX_FINAL_RTR_ADVERTISEMENTS) final multicast Router Advertisements on the
    interface with a Router Lifetime field of zero"; hosts drop the router
    (RFC 4861 6.3.4)."""
    lab, log = lab_with(tmp_path)
    assert lab.run_command("r1", "rtadvd em0") == (0, "")
    assert lab.run_command("h", "rtsol em0") == (0, "")
    assert lab.run_command("h", "ndp -r")[1].startswith("fe80::ff:fe00:101%em0 if=em0")
    pid = lab.run_command("r1", "cat /var/run/rtadvd.pid")[1].strip()
    t0 = lab.sched.now
    assert lab.run_command("r1", f"kill {pid}") == (0, "")
    lab.run_for(10 * SEC)
    final = ras(log, t0)
    assert [t - final[0][0] for t, _ in final] == [0, 3 * SEC, 6 * SEC]
    assert final[0][0] - t0 < 10 * MS
    assert all(RouterAdvert.parse(p[40:]).router_lifetime == 0 for _t, p in final)
    assert lab.run_command("h", "ndp -r") == (0, "")
    assert "rtadvd" not in lab.run_command("r1", "ps ax")[1]
    assert lab.run_command("r1", "ls /var/run")[1].split() == ["dmesg.boot"]


def test_config_error_is_one_line_naming_the_file_and_line(tmp_path):
    lab, _log = lab_with(tmp_path, "# bad\nem0:\\\n\t:maxinterval#2:\n")
    status, out = lab.run_command("r2", "rtadvd em0")
    assert (status, out) == (1, "rtadvd: /etc/rtadvd.conf:3: maxinterval (2) on em0 is invalid "
                                "(must be between 4 and 1800)\n")
    status, out = lab.run_command("r2", "rtadvd")
    assert status == 1 and out.startswith("usage: rtadvd [-dDfRs] [-c conffile]")
    status, out = lab.run_command("r2", "rtadvd em7")
    assert (status, out) == (1, "rtadvd: em7: can't get information of em7\n")


def test_rfc4191_route_information_and_preference_reach_the_host(tmp_path):
    """What rtadvd.conf says of preference (raflags "h") and more-specific
    routes (rtprefix) is what the host's ndp -r and routing table show."""
    lab, _log = lab_with(tmp_path, 'em0:raflags="h":rtprefix="2001:db8:99::":rtplen#48:'
                                   'rtltime#600:rtflags="l":\n')
    assert lab.run_command("r2", "rtadvd em0") == (0, "")
    assert lab.run_command("h", "rtsol em0") == (0, "")
    status, out = lab.run_command("h", "ndp -r")
    assert status == 0 and re.fullmatch(
        r"fe80::ff:fe00:201%em0 if=em0, flags=, pref=high, expire=(30m0s|29m5\ds)\n", out), out
    routes = lab.run_command("h", "netstat -rn -f inet6")[1].splitlines()
    assert any(l.split()[:4] == ["2001:db8:99::/48", "fe80::ff:fe00:201%em0", "UG", "em0"]
               and l.split()[-1] in ("599", "600") for l in routes), routes


def test_a_new_address_on_the_router_is_advertised_soon(tmp_path):
    """Without -s, rtadvd follows the interface's prefixes (routing socket)."""
    lab, log = lab_with(tmp_path)
    assert lab.run_command("r1", "rtadvd em0") == (0, "")
    lab.run_for(20 * SEC)
    t0 = lab.sched.now
    assert lab.run_command("r1", "ifconfig em0 inet6 2001:db8:5::1 prefixlen 64 alias") == (0, "")
    lab.run_for(4 * SEC)
    (t, p), = ras(log, t0)
    assert t - t0 <= 3500 * MS
    pis = [o for o in RouterAdvert.parse(p[40:]).options if isinstance(o, PrefixInformation)]
    assert [o.prefix for o in pis] == [A("2001:db8:1::"), A("2001:db8:5::")]
    assert "inet6 2001:db8:5::ff:fe00:a prefixlen 64 autoconf" in \
        lab.run_command("h", "ifconfig em0")[1]


# -- the SLAAC lab ------------------------------------------------------------------------------
def test_rfc4862_slaac_lab_hosts_configure_themselves_and_reach_each_other_through_the_router():
    """images/labs/slaac.toml: r1 (router image, rtadvd from rc) advertises
    2001:db8:1::/64 on lan0 and 2001:db8:2::/64 on lan1; alice, bob and carol
    run rtsold and form addresses (RFC 4862 5.5.3) and take r1 as default
    router."""
    lab = Lab.from_file(SLAAC)
    lab.boot(settle=3 * SEC)
    r1 = lab.machines["r1"].console.splitlines()
    assert "Additional inet6 routing options: gateway=YES." in r1 and "Starting rtadvd." in r1
    assert any(l.endswith("/usr/sbin/rtadvd em0 em1") for l in
               lab.run_command("r1", "ps ax")[1].splitlines())
    lab.run_for(2 * SEC)
    for host, addr, gw in (("alice", "2001:db8:1::ff:fe00:a", "fe80::ff:fe00:101%em0"),
                           ("bob", "2001:db8:1::ff:fe00:b", "fe80::ff:fe00:101%em0"),
                           ("carol", "2001:db8:2::ff:fe00:c", "fe80::ff:fe00:102%em0")):
        assert f"\tinet6 {addr} prefixlen 64 autoconf\n" in lab.run_command(host, "ifconfig em0")[1]
        routes = lab.run_command(host, "netstat -rn -f inet6")[1].splitlines()
        assert any(l.split()[:3] == ["default", gw, "UG"] for l in routes), (host, routes)
    status, out = lab.run_command("alice", "ping6 -c 2 2001:db8:2::ff:fe00:c")
    assert status == 0 and "hlim=63" in out
    assert lab.run_command("carol", "ping6 -c 1 2001:db8:1::ff:fe00:b")[0] == 0
    assert lab.run_command("alice", "ping6 -c 1 2001:db8:1::ff:fe00:b")[0] == 0
