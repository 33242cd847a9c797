"""ip6addrctl(8) (userland/usr_sbin/ip6addrctl.py) and rc.d/ip6addrctl (userland/etc_rc.py):
FreeBSD's output, error messages and exit status; the table it installs is the one
the kernel's source selection reads (RFC 6724 2.1)."""
from __future__ import annotations

from tests.kernel.kern.harness import Host

CMD = "/usr/sbin/ip6addrctl"
HEADER = "Prefix                          Prec Label      Use\n"
DEFAULT = HEADER + (
    "::1/128                           50     0        0\n"
    "::/0                              40     1        0\n"
    "::ffff:0.0.0.0/96                 35     4        0\n"
    "2002::/16                         30     2        0\n"
    "2001::/32                          5     5        0\n"
    "fc00::/7                           3    13        0\n"
    "::/96                              1     3        0\n"
    "fec0::/10                          1    11        0\n"
    "3ffe::/16                          1    12        0\n")
USAGE = ("usage: ip6addrctl [show]\n"
         "       ip6addrctl add <prefix> <precedence> <label>\n"
         "       ip6addrctl delete <prefix>\n"
         "       ip6addrctl flush\n"
         "       ip6addrctl install <configfile>\n")
NONE = "no source-address-selection policy is installed\n"


def run(h, line):
    r = h.run(line)
    return r.status, r.out, r.err


def test_show_prints_the_rfc6724_default_table_in_freebsd_columns():
    h = Host()
    assert run(h, CMD) == (0, DEFAULT, "")
    assert run(h, CMD + " SHOW") == (0, DEFAULT, "")             # strcasecmp


def test_add_and_delete_an_entry():
    h = Host()
    assert run(h, CMD + " add 2001:db8:3::/48 45 7") == (0, "", "")
    assert run(h, CMD)[1] == DEFAULT + "2001:db8:3::/48                   45     7        0\n"
    assert run(h, CMD + " delete 2001:db8:3::/48") == (0, "", "")
    assert run(h, CMD)[1] == DEFAULT


def test_use_counts_the_lookups_of_source_selection():
    from kernel.netinet6.in6_src import lookup_addrsel_policy
    from kernel.wire.in6 import inet_pton6
    h = Host()
    run(h, CMD + " add 2001:db8:3::/48 45 7")
    for _ in range(3):
        lookup_addrsel_policy(h.k, inet_pton6("2001:db8:3::1"))
    assert run(h, CMD)[1].splitlines()[-1] == "2001:db8:3::/48                   45     7        3"


def test_kernel_errors_are_err1_with_the_ioctl_name():
    h = Host()
    run(h, CMD + " add 2001:db8:3::/48 45 7")
    assert run(h, CMD + " add 2001:db8:3::/48 1 1") == (
        1, "", "ip6addrctl: ioctl(SIOCAADDRCTL_POLICY): File exists\n")
    assert run(h, CMD + " delete 2001:db8:9::/48") == (
        1, "", "ip6addrctl: ioctl(SIOCDADDRCTL_POLICY): No such process\n")


def test_bad_prefixes_and_usage():
    h = Host()
    assert run(h, CMD + " add zzz/16 1 2") == (
        1, "", "ip6addrctl: getaddrinfo failed for zzz: hostname nor servname provided, or not "
               "known\nip6addrctl: bad prefix: zzz/16\n")
    assert run(h, CMD + " add ::/129 1 1") == (
        1, "", "ip6addrctl: invalid prefix length: 129\nip6addrctl: bad prefix: ::/129\n")
    assert run(h, CMD + " delete 2001:db8::") == (1, "", "ip6addrctl: bad prefix: 2001:db8::\n")
    assert run(h, CMD + " add 2001:db8::/32 1") == (1, "", USAGE)
    assert run(h, CMD + " delete") == (1, "", USAGE)
    assert run(h, CMD + " install") == (1, "", USAGE)
    assert run(h, CMD + " frob") == (1, "", USAGE)


def test_flush_empties_the_table_and_show_says_so():
    h = Host()
    assert run(h, CMD + " flush") == (0, "", "")
    assert run(h, CMD) == (0, NONE, "")
    assert run(h, CMD + " flush") == (0, NONE, "")               # get_policy says it too


POLICY_FILE = b"""# prefix       precedence label
::1/128          50    0

::/0             40    1
  2001:db8::/32  45   13   # the lab's own
"""


def test_install_reads_a_file_with_comments_and_empty_lines():
    h = Host(files={"/etc/pol.conf": POLICY_FILE})
    run(h, CMD + " flush")
    assert run(h, CMD + " install /etc/pol.conf") == (0, "", "")
    assert run(h, CMD)[1] == HEADER + (
        "::1/128                           50     0        0\n"
        "::/0                              40     1        0\n"
        "2001:db8::/32                     45    13        0\n")


def test_install_stops_at_the_first_bad_line_and_a_missing_file_is_fopen():
    h = Host(files={"/etc/bad.conf": b"::1/128 50 0\n# ok\n::/0 40\n"})
    assert run(h, CMD + " install /etc/bad.conf") == (1, "", "ip6addrctl: parse failed at line 3\n")
    assert run(h, CMD + " install /etc/nope") == (
        1, "", "ip6addrctl: fopen: /etc/nope: No such file or directory\n")


def test_install_of_an_entry_already_there_warns_and_goes_on():
    h = Host(files={"/etc/pol.conf": b"::1/128 50 0\n2001:db8::/32 45 13\n"})
    assert run(h, CMD + " install /etc/pol.conf") == (
        0, "", "ip6addrctl: ioctl(SIOCAADDRCTL_POLICY): File exists\n")
    assert run(h, CMD)[1].endswith("2001:db8::/32                     45    13        0\n")


# -- rc.d/ip6addrctl ---------------------------------------------------------------------------------
def boot(rc: str, files=None):
    files = dict(files or {})
    files["/etc/rc.conf"] = ('ip6addrctl_enable="YES"\n' + rc).encode()
    h = Host(files=files)
    r = h.run("/etc/rc")
    assert r.status == 0
    return h, r


def v4_line(h):
    return [l for l in run(h, CMD)[1].splitlines() if l.startswith("::ffff:")]


def test_rc_ipv4_prefer_and_ipv6_prefer_install_freebsds_tables():
    h, _ = boot('ip6addrctl_policy="ipv4_prefer"\n')
    assert v4_line(h) == ["::ffff:0.0.0.0/96                100     4        0"]
    assert len(run(h, CMD)[1].splitlines()) == 10
    h, _ = boot('ip6addrctl_policy="ipv6_prefer"\n')
    assert run(h, CMD)[1] == DEFAULT


def test_rc_auto_prefers_ipv6_when_an_interface_has_ipv6_configuration():
    h, _ = boot('ip6addrctl_policy="AUTO"\nifconfig_em0_ipv6="inet6 2001:db8::1 prefixlen 64"\n')
    assert v4_line(h) == ["::ffff:0.0.0.0/96                 35     4        0"]
    h, _ = boot('ip6addrctl_policy="AUTO"\n')
    assert v4_line(h) == ["::ffff:0.0.0.0/96                100     4        0"]


def test_rc_auto_installs_etc_ip6addrctl_conf_when_there_is_one():
    h, _ = boot('ip6addrctl_policy="AUTO"\n', {"/etc/ip6addrctl.conf": b"::/0 40 1\n"})
    assert run(h, CMD)[1] == HEADER + "::/0                              40     1        0\n"


def test_rc_none_flushes_and_an_invalid_policy_warns_and_prefers_ipv4():
    h, _ = boot('ip6addrctl_policy="NONE"\n')
    assert run(h, CMD)[1] == NONE
    h, r = boot('ip6addrctl_policy="sideways"\n')
    assert ('/etc/rc: WARNING: $ip6addrctl_policy is invalid: sideways.   "ipv4_prefer" is used '
            'instead.\n') in r.err
    assert v4_line(h) == ["::ffff:0.0.0.0/96                100     4        0"]


def test_rc_verbose_prints_the_table_and_disabled_leaves_the_kernels():
    h, r = boot('ip6addrctl_policy="ipv6_prefer"\nip6addrctl_verbose="YES"\n')
    assert "Address selection policy table for IPv4 and IPv6:\n" + DEFAULT in r.out
    h, r = boot('ip6addrctl_enable="NO"\nip6addrctl_policy="NONE"\n')
    assert run(h, CMD)[1] == DEFAULT
