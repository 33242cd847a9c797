"""ip6addrctl(8): the address selection policy table (usr.sbin/ip6addrctl/ip6addrctl.c).

The kernel's RFC 6724 2.1 policy table — prefix, precedence, label — read
from the sysctl ``net.inet6.ip6.addrctlpolicy`` and changed with the
SIOCAADDRCTL_POLICY / SIOCDADDRCTL_POLICY ioctls on an AF_INET6 UDP socket,
as FreeBSD's does::

    ip6addrctl [show]                       the table
    ip6addrctl add prefix precedence label  one entry (prefix as ADDR/LEN)
    ip6addrctl delete prefix
    ip6addrctl flush                        delete every entry
    ip6addrctl install configfile           add the entries of a file

``show`` prints FreeBSD's columns (``Prefix``, ``Prec``, ``Label``,
``Use``), or ``no source-address-selection policy is installed``.  A
configuration file has one ``prefix precedence label`` per line, ``#``
comments and empty lines; a line it cannot read ends the run with
``ip6addrctl: parse failed at line N``.  Words are case-insensitive, numbers
are read as C's atoi reads them.  kamebox has no fdescfs: ``/dev/stdin``
(what rc.d/ip6addrctl installs from) is the standard input.
"""
from __future__ import annotations

import re
from typing import Optional

from kernel.wire.in6 import AF_INET6, in6_prefix_mask, sockaddr_in6
from kernel.wire.in6_addrsel import SIOCAADDRCTL_POLICY, SIOCDADDRCTL_POLICY, in6_addrpolicy
from kernel.wire.in_ import inet_ntop4
from kernel.wire.socket import SOCK_DGRAM
from userland import libc
from userland.libc import stderr

IPPROTO_UDP = 17
_ATOI = re.compile(r"[ \t\n\v\f\r]*([+-]?[0-9]*)")


def atoi(s: str) -> int:
    """C's atoi(3): leading white space, a sign, digits; 0 when there are none."""
    m = _ATOI.match(s)
    digits = m.group(1) if m else ""
    return int(digits) if digits not in ("", "+", "-") else 0


def usage() -> None:
    libc.fprintf(stderr, "usage: ip6addrctl [show]\n")
    libc.fprintf(stderr, "       ip6addrctl add <prefix> <precedence> <label>\n")
    libc.fprintf(stderr, "       ip6addrctl delete <prefix>\n")
    libc.fprintf(stderr, "       ip6addrctl flush\n")
    libc.fprintf(stderr, "       ip6addrctl install <configfile>\n")
    libc.exit(1)


# -- reading the table ---------------------------------------------------------------------------
def get_policy() -> list[in6_addrpolicy]:
    try:
        pols = libc.sysctlbyname("net.inet6.ip6.addrctlpolicy")
    except OSError:
        libc.err(1, "sysctl(IPV6CTL_ADDRCTLPOLICY)")
    if not pols:
        libc.printf("no source-address-selection policy is installed\n")
        return []
    return list(pols)


def mask2plen(mask: sockaddr_in6) -> int:
    """The prefix length of a contiguous mask, -1 otherwise."""
    v = int.from_bytes(mask.sin6_addr, "big")
    plen = bin(v).count("1")
    return plen if in6_prefix_mask(plen) == mask.sin6_addr else -1


def _numerichost(sa: sockaddr_in6) -> str:
    """getnameinfo(NI_NUMERICHOST) as FreeBSD's libc writes it: IPv4-mapped and
    IPv4-compatible addresses end in dotted quad (inet_ntop6 of lib/libc/inet)."""
    a = sa.sin6_addr
    if a[:10] == bytes(10) and a[10:12] == b"\xff\xff":
        return "::ffff:" + inet_ntop4(a[12:])
    if a[:12] == bytes(12) and a[12:14] != b"\x00\x00":
        return "::" + inet_ntop4(a[12:])
    return libc.getnameinfo(sa, libc.NI_NUMERICHOST)[0]


def dump_policy(pols: list[in6_addrpolicy]) -> None:
    first = True
    for pol in pols:
        if first:
            libc.printf("%-30s %5s %5s %8s\n", "Prefix", "Prec", "Label", "Use")
            first = False
        try:
            addrbuf = _numerichost(pol.addr)
        except OSError:
            libc.warnx("getnameinfo for prefix address failed")
            continue
        plen = mask2plen(pol.addrmask)
        if plen < 0:
            libc.warnx("invalid address mask")
            continue
        libc.printf("%-30s", "%s/%d" % (addrbuf, plen))
        libc.printf(" %5d %5d %8d\n", pol.preced, pol.label, pol.use)


# -- changing it ---------------------------------------------------------------------------------
def parse_prefix(prefix0: str) -> Optional[in6_addrpolicy]:
    """``ADDR/LEN`` (the text up to the first ``/`` is the address; the length is
    read with atoi) as a policy without precedence and label; None if bad."""
    prefix, slash, plenstr = prefix0.partition("/")
    if not slash:
        return None
    hints = libc.addrinfo(ai_flags=libc.AI_NUMERICHOST, ai_family=AF_INET6)
    try:
        res = libc.getaddrinfo(prefix, None, hints)
    except OSError as e:
        libc.warnx("getaddrinfo failed for %s: %s", prefix, libc.gai_strerror(e.errno))
        return None
    plen = atoi(plenstr)
    if plen < 0 or plen > 128:
        libc.warnx("invalid prefix length: %d", plen)
        return None
    return in6_addrpolicy(res[0].ai_addr, sockaddr_in6(in6_prefix_mask(plen)))


def _socket() -> int:
    try:
        return libc.socket(AF_INET6, SOCK_DGRAM, IPPROTO_UDP)
    except OSError:
        libc.err(1, "socket(UDP)")
    return -1


def add_policy(prefix: str, prec: str, label: str) -> None:
    p = parse_prefix(prefix)
    if p is None:
        libc.errx(1, "bad prefix: %s", prefix)
    p.preced = atoi(prec)
    p.label = atoi(label)
    s = _socket()
    try:
        libc.ioctl(s, SIOCAADDRCTL_POLICY, p)
    except OSError:
        libc.err(1, "ioctl(SIOCAADDRCTL_POLICY)")
    libc.close(s)


def delete_policy(prefix: str) -> None:
    p = parse_prefix(prefix)
    if p is None:
        libc.errx(1, "bad prefix: %s", prefix)
    s = _socket()
    try:
        libc.ioctl(s, SIOCDADDRCTL_POLICY, p)
    except OSError:
        libc.err(1, "ioctl(SIOCDADDRCTL_POLICY)")
    libc.close(s)


def _ioctl_each(pols: list[in6_addrpolicy], cmd: int, what: str) -> None:
    s = _socket()
    for p in pols:
        try:
            libc.ioctl(s, cmd, p)
        except OSError:
            libc.warn(what)
    libc.close(s)


def flush_policy(pols: list[in6_addrpolicy]) -> None:
    _ioctl_each(pols, SIOCDADDRCTL_POLICY, "ioctl(SIOCDADDRCTL_POLICY)")


def make_policy_fromfile(conf: str) -> list[in6_addrpolicy]:
    """The entries of ``conf``, read as ip6addrctl.c reads them: prefix, white
    space, precedence, white space, label; ``parse failed at line N`` on the
    first line that does not fit."""
    try:
        fp = libc.stdin if conf == "/dev/stdin" else libc.fopen(conf, "r")
    except OSError:
        libc.err(1, "fopen: %s", conf)
    out: list[in6_addrpolicy] = []
    count = 0
    while True:
        line = libc.fgets(fp)
        if line is None:
            break
        count += 1
        cp = _skip_white(line, 0)
        if cp >= len(line) or line[cp] == "\n" or line[cp] == "#":
            continue                                # an empty line or a comment
        pol = parse_prefix(line[cp:])
        if pol is None:
            libc.errx(1, "parse failed at line %d", count)
        cp = _skip_word(line, cp, count)            # the precedence
        cp = _skip_white(line, cp, count)
        pol.preced = atoi(line[cp:])
        cp = _skip_word(line, cp, count)            # the label
        cp = _skip_white(line, cp, count)
        pol.label = atoi(line[cp:])
        out.append(pol)
    if fp is not libc.stdin:
        libc.fclose(fp)
    return out


def _skip_white(line: str, p: int, count: int = 0) -> int:
    """SKIP_WHITE: past blanks; the end of the line is an error unless ``count`` is 0."""
    while p < len(line) and line[p] in " \t":
        p += 1
    if count and (p >= len(line) or line[p] == "\n"):
        libc.errx(1, "parse failed at line %d", count)
    return p


def _skip_word(line: str, p: int, count: int) -> int:
    """SKIP_WORD: to the next blank, which must not be the end of the line."""
    while p < len(line) and line[p] not in " \t":
        p += 1
    if p >= len(line) or line[p] == "\n":
        libc.errx(1, "parse failed at line %d", count)
    return p


def set_policy(pols: list[in6_addrpolicy]) -> None:
    _ioctl_each(pols, SIOCAADDRCTL_POLICY, "ioctl(SIOCAADDRCTL_POLICY)")


def main(argv: list[str]) -> int:
    args = argv[1:]
    cmd = args[0].lower() if args else "show"
    if cmd == "show":
        dump_policy(get_policy())
    elif cmd == "add":
        if len(args) < 4:
            usage()
        add_policy(args[1], args[2], args[3])
    elif cmd == "delete":
        if len(args) < 2:
            usage()
        delete_policy(args[1])
    elif cmd == "flush":
        flush_policy(get_policy())
    elif cmd == "install":
        if len(args) < 2:
            usage()
        set_policy(make_policy_fromfile(args[1]))
    else:
        usage()
    return 0
