"""libc: stdio, err(3), getopt, addresses and names, syslog, time, the environment."""
from __future__ import annotations

import pytest

from kernel.wire.errno import EHOSTUNREACH
from kernel.wire.in6 import sockaddr_in6
from kernel.wire.in_ import sockaddr_in
from kernel.wire.socket import AF_INET, AF_INET6, SOCK_DGRAM, SOCK_RAW
from tests.kernel.kern.harness import SEC, Host
from userland import libc

HOSTS = b"""# /etc/hosts
::1\t\tlocalhost localhost.my.domain
127.0.0.1\tlocalhost localhost.my.domain
2001:db8::1\tbob bob.lab
2001:db8::2\talice
192.0.2.7\tlegacy
"""
SERVICES = b"domain\t\t53/udp\nhttp\t\t80/tcp\t\twww\n"


class _ifp:
    def __init__(self, index: int, name: str) -> None:
        self.if_index = index
        self.if_xname = name


def host_running(fn, **kw) -> tuple[Host, object]:
    out: list = []

    def prog(argv: list[str]) -> int:
        rv = fn(out, argv)
        return 0 if rv is None else rv
    h = Host(programs={"/bin/t": prog}, files={"/etc/hosts": HOSTS, "/etc/services": SERVICES})
    if h.k.ifunit("em0") is None:
        h.k.ifnet.append(_ifp(len(h.k.ifnet) + 1, "em0"))
    r = h.run(["/bin/t"] + kw.get("args", []), combined=kw.get("combined", False))
    r.host = h  # type: ignore[attr-defined]
    return r, out


def test_err_prints_progname_message_and_strerror_then_exits():
    def body(out, argv):
        try:
            raise OSError(EHOSTUNREACH, "x")
        except OSError:
            libc.err(2, "sendmsg")
    r, _ = host_running(body)
    assert (r.status, r.err) == (2, "t: sendmsg: No route to host\n")


def test_errx_warn_warnx_formats():
    def body(out, argv):
        libc.warnx("bad value %d", 5)
        try:
            libc.open("/nope")
        except OSError:
            libc.warn("%s", "/nope")
        libc.errx(64, "usage: %s", "t")
    r, _ = host_running(body)
    assert r.status == 64
    assert r.err == "t: bad value 5\nt: /nope: No such file or directory\nt: usage: t\n"


def test_printf_family_and_puts():
    def body(out, argv):
        libc.printf("%5d|%-4s|%x|%.2f\n", 42, "ab", 255, 1.5)
        libc.puts("line")
        libc.fputs("raw", libc.stdout)
        libc.putchar(10)
        libc.printf("100%%\n")
        libc.printf("no args %d\n" % 1)
    r, _ = host_running(body)
    assert r.out == "   42|ab  |ff|1.50\nline\nraw\n100%\nno args 1\n"


def test_getopt_parses_like_bsd_and_reports_bad_options():
    def body(out, argv):
        out.append(libc.getopt(["ping6", "-c", "3", "-nv", "-i1", "host", "-x"], "c:i:nv"))
        out.append(libc.getopt(["p", "-z", "-c"], "c:"))
        out.append(libc.getopt(["p", "--", "-c"], "c:"))
    r, out = host_running(body)
    assert out[0] == ([("c", "3"), ("n", None), ("v", None), ("i", "1")], ["host", "-x"])
    assert out[1] == ([("?", None), ("?", None)], [])
    assert out[2] == ([], ["-c"])
    assert r.err == "t: illegal option -- z\nt: option requires an argument -- c\n"


def test_inet_pton_and_ntop():
    def body(out, argv):
        out.append(libc.inet_pton(AF_INET6, "fe80::1"))
        out.append(libc.inet_pton(AF_INET6, "fe80::zz"))
        out.append(libc.inet_pton(AF_INET, "192.0.2.1"))
        out.append(libc.inet_pton(AF_INET, "192.0.2.256"))
        out.append(libc.inet_ntop(AF_INET6, bytes.fromhex("20010db8000000000000000000000001")))
        try:
            libc.inet_pton(99, "x")
        except OSError as e:
            out.append(e.errno)
    _, out = host_running(body)
    assert out == [bytes.fromhex("fe800000000000000000000000000001"), None,
                   bytes((192, 0, 2, 1)), None, "2001:db8::1", 47]


def test_getaddrinfo_numeric_address_with_zone_name():
    def body(out, argv):
        ai = libc.getaddrinfo("fe80::1%em0", None,
                              libc.addrinfo(ai_family=AF_INET6, ai_socktype=SOCK_RAW,
                                            ai_protocol=58))
        out.append([(a.ai_family, a.ai_socktype, a.ai_protocol, a.ai_addr) for a in ai])
        out.append(libc.if_nametoindex("em0"))
        out.append(libc.getaddrinfo("ff02::1%3", "53", libc.addrinfo(ai_socktype=SOCK_DGRAM))[0].ai_addr)
        try:
            libc.getaddrinfo("fe80::1%nosuch0")
        except libc.gaierror as e:
            out.append((e.errno, e.strerror))
    _, out = host_running(body)
    em0 = out[1]
    assert out[0] == [(AF_INET6, SOCK_RAW, 58, sockaddr_in6(bytes.fromhex("fe80" + "0" * 26 + "01"),
                                                            0, 0, em0))]
    assert out[2] == sockaddr_in6(bytes.fromhex("ff02" + "0" * 26 + "01"), 53, 0, 3)
    assert out[3] == (8, "hostname nor servname provided, or not known")


def test_getaddrinfo_names_from_etc_hosts_and_services():
    def body(out, argv):
        out.append([(a.ai_family, a.ai_addr, a.ai_canonname) for a in libc.getaddrinfo(
            "BOB.lab", "domain", libc.addrinfo(ai_flags=libc.AI_CANONNAME, ai_socktype=SOCK_DGRAM))])
        out.append(len(libc.getaddrinfo("localhost", None)))
        out.append(libc.getaddrinfo("legacy", "www", libc.addrinfo(ai_family=AF_INET,
                                                                  ai_socktype=1))[0].ai_addr)
        for host, serv in (("carol", None), ("bob", "nosuchservice")):
            try:
                libc.getaddrinfo(host, serv)
            except libc.gaierror as e:
                out.append(e.errno)
    _, out = host_running(body)
    assert out[0] == [(AF_INET6, sockaddr_in6(bytes.fromhex("20010db8" + "0" * 23 + "1"), 53), "bob")]
    assert out[1] == 6                 # ::1 and 127.0.0.1, each udp, tcp, raw
    assert out[2] == sockaddr_in(bytes((192, 0, 2, 7)), 80)
    assert out[3:] == [libc.EAI_NONAME, libc.EAI_SERVICE]


def test_getnameinfo_names_numeric_and_zones():
    def body(out, argv):
        bob = sockaddr_in6(bytes.fromhex("20010db8" + "0" * 23 + "1"), 53)
        out.append(libc.getnameinfo(bob, libc.NI_DGRAM))
        out.append(libc.getnameinfo(bob, libc.NI_NUMERICHOST | libc.NI_NUMERICSERV))
        ll = sockaddr_in6(bytes.fromhex("fe80" + "0" * 26 + "01"), 0, 0, libc.if_nametoindex("em0"))
        out.append(libc.getnameinfo(ll, libc.NI_NUMERICHOST)[0])
        try:
            libc.getnameinfo(sockaddr_in6(bytes(16)), libc.NI_NAMEREQD)
        except libc.gaierror as e:
            out.append(e.errno)
    _, out = host_running(body)
    assert out == [("bob", "domain"), ("2001:db8::1", "53"), "fe80::1%em0", libc.EAI_NONAME]


def test_syslog_goes_to_var_log_messages_and_errors_to_the_console():
    def body(out, argv):
        libc.openlog("rtsold", libc.LOG_PID, 3 << 3)
        libc.syslog(libc.LOG_NOTICE, "started on %s", "em0")
        libc.syslog(libc.LOG_DEBUG, "not logged by default")
        libc.syslog(libc.LOG_ERR, "failed: %m")
        fd = libc.open("/var/log/messages")
        out.append(libc.read(fd, 1000).decode())
    r, out = host_running(body)
    pid = r.p.p_pid
    assert out[0] == (f"Jan  1 00:00:00 host rtsold[{pid}]: started on em0\n"
                      f"Jan  1 00:00:00 host rtsold[{pid}]: failed: No error: 0\n")
    console = r.host.console
    assert f"rtsold[{pid}]: failed: No error: 0\n" in console and "started on" not in console


def test_sleep_and_time_are_virtual():
    def body(out, argv):
        t0 = libc.time()
        out.append(libc.sleep(3))
        out.append(libc.time() - t0)
        out.append(libc.gettimeofday().tv_sec - t0)
        out.append(libc.ctime(t0))
    h_r, out = host_running(body)
    assert out == [0, 3, 3, "Sun Jan  1 00:00:00 2006\n"]
    assert h_r.status == 0


def test_environment_and_progname():
    def body(out, argv):
        out.append(libc.getenv("PATH"))
        libc.setenv("FOO", "bar")
        out.append((libc.getenv("FOO"), libc.getprogname()))
        libc.unsetenv("FOO")
        out.append(libc.getenv("FOO"))
    _, out = host_running(body)
    assert out[0].startswith("/sbin:/bin") and out[1] == ("bar", "t") and out[2] is None


def test_stdin_lines_with_fgets():
    h = Host(programs={"/bin/t": lambda argv: _echo_lines()})
    r = h.run("/bin/t", input=b"one\ntwo\nthree")
    assert r.out == "<one>\n<two>\n<three>\n"


def _echo_lines() -> int:
    while (line := libc.fgets(libc.stdin)) is not None:
        libc.printf("<%s>\n", line.rstrip("\n"))
    return 0


def test_uname_and_hostname():
    def body(out, argv):
        u = libc.uname()
        out.append((u.sysname, u.nodename, u.release, u.machine))
        libc.sethostname("r1.lab")
        out.append(libc.gethostname())
    _, out = host_running(body)
    assert out == [("FreeBSD", "host", "6.1-KAME", "amd64"), "r1.lab"]


def test_system_without_a_shell_is_status_127():
    def body(out, argv):
        out.append(libc.system("true") >> 8)
    _, out = host_running(body)
    assert out == [127]


def test_not_in_a_process():
    with pytest.raises(RuntimeError):
        libc.printf("x")
    _ = SEC
