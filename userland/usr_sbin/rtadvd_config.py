"""rtadvd: the configuration of each advertising interface and the RA it sends
(usr.sbin/rtadvd/config.c, rtadvd.h).

``getconfig(ifname, ...)`` reads the interface's entry of rtadvd.conf(5)
(``rtadvd_advcap.Termcap``) with FreeBSD's capabilities and defaults and
checks them as FreeBSD does; without an entry every value is the default
and the prefixes are those of the interface's own addresses ("get prefixes
from the kernel": not link-local, not /128), advertised with the default
lifetimes and the L and A flags.  The defaults and bounds are RFC 4861
6.2.1's AdvDefaultLifetime, MaxRtrAdvInterval and so on:

==============  =======================  ==================================
capability      default                  bounds
==============  =======================  ==================================
maxinterval     600 s                    4 .. 1800
mininterval     maxinterval / 3          3 .. 0.75 * maxinterval
chlim           64                       0 .. 255
raflags         0 (medium preference)    number, or letters m o h l
rltime          3 * maxinterval          0, or maxinterval .. 9000
rtime           0 (unspecified)          0 .. 3600000 ms
retrans         0 (unspecified)          0 .. 2^32-1 ms
addr, addrN     (the kernel's prefixes)  an IPv6 prefix, not multicast
prefixlen       64                       0 .. 128
pinfoflags      "la" (0xc0)              number, or letters l a
vltime, pltime  2592000 s, 604800 s      0 .. 2^32-1, pltime <= vltime
vltimedecr ...  off                      the lifetime decrements in real time
mtu             0 (no option)            0, "auto", or 1280 .. the link MTU
rtprefix, rtplen, rtflags, rtltime       RFC 4191 Route Information options
rdnss, dnssl    none                     RFC 8106; lifetimes (rdnssltime,
                                         dnsslltime) maxinterval .. 2 *
                                         maxinterval, default 1.5 * maxinterval
==============  =======================  ==================================

A mistake raises :class:`ConfigError`, whose text is one line naming the
file and line of the capability and what was expected.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from kernel.wire.in6 import in6_mask
from kernel.wire.nd6 import (ND_INFINITE_LIFETIME, ND_OPT_PI_FLAG_AUTO, ND_OPT_PI_FLAG_ONLINK,
                             ND_RA_FLAG_MANAGED, ND_RA_FLAG_OTHER, ND_RA_FLAG_RTPREF_HIGH,
                             ND_RA_FLAG_RTPREF_LOW, ND_RA_FLAG_RTPREF_MASK,
                             ND_RA_FLAG_RTPREF_RSV, Dnssl, Mtu, PrefixInformation, Rdnss,
                             RouteInfo, RouterAdvert, SourceLinkAddr)
from userland.usr_sbin.rtadvd_advcap import Cap, CapError

# rtadvd.h: protocol constants (RFC 4861 10) and defaults (RFC 4861 6.2.1)
MAX_INITIAL_RTR_ADVERT_INTERVAL = 16    # seconds
MAX_INITIAL_RTR_ADVERTISEMENTS = 3
MAX_FINAL_RTR_ADVERTISEMENTS = 3
MIN_DELAY_BETWEEN_RAS = 3               # seconds
MAX_RA_DELAY_TIME = 500                 # milliseconds
DEF_MAXRTRADVINTERVAL = 600
MIN_MAXINTERVAL = 4
MAX_MAXINTERVAL = 1800
MIN_MININTERVAL = 3
DEF_ADVCURHOPLIMIT = 64
MAXROUTERLIFETIME = 9000
DEF_ADVREACHABLETIME = 0
MAXREACHABLETIME = 3600000
DEF_ADVRETRANSTIMER = 0
DEF_ADVVALIDLIFETIME = 2592000
DEF_ADVPREFERREDLIFETIME = 604800
MAXPREFIX = 100
MAXROUTE = 100
MAXRDNSSENT = 100
MAXDNSSLENT = 100
IPV6_MMTU = 1280

PREFIX_FROM_KERNEL, PREFIX_FROM_CONFIG, PREFIX_FROM_DYNAMIC = 1, 2, 3
ORIGIN_NAMES = {PREFIX_FROM_KERNEL: "KERNEL", PREFIX_FROM_CONFIG: "CONFIG",
                PREFIX_FROM_DYNAMIC: "DYNAMIC"}
RTPREF_STR = ("medium", "high", "rsv", "low")
SEC = 1_000_000_000


class ConfigError(Exception):
    """A configuration mistake; ``str()`` is the one line to print."""


@dataclass
class prefix:
    """``struct prefix``: one advertised prefix."""

    prefix: bytes
    prefixlen: int
    validlifetime: int = DEF_ADVVALIDLIFETIME
    preflifetime: int = DEF_ADVPREFERREDLIFETIME
    onlinkflg: bool = True
    autoconfflg: bool = True
    vltimeexpire: int = 0           # monotonic ns when the lifetime decrements in real time
    pltimeexpire: int = 0
    origin: int = PREFIX_FROM_CONFIG
    timer: Optional[int] = None     # invalidated: monotonic ns when it leaves the list


@dataclass
class rtinfo:
    """A Route Information option to send (RFC 4191 2.3)."""

    prefix: bytes
    prefixlen: int
    rtpref: int
    ltime: int


@dataclass
class rainfo:
    """``struct rainfo``: an advertising interface, its settings and its state."""

    ifname: str
    ifindex: int
    lladdr: Optional[bytes]
    phymtu: int
    advlinkopt: bool = True
    maxinterval: int = DEF_MAXRTRADVINTERVAL
    mininterval: int = DEF_MAXRTRADVINTERVAL // 3
    hoplimit: int = DEF_ADVCURHOPLIMIT
    managedflg: int = 0
    otherflg: int = 0
    rtpref: int = 0
    lifetime: int = 3 * DEF_MAXRTRADVINTERVAL
    reachabletime: int = DEF_ADVREACHABLETIME
    retranstimer: int = DEF_ADVRETRANSTIMER
    clockskew: int = 0
    linkmtu: int = 0
    kernel_prefixes: bool = True    # the prefixes come from the interface's addresses
    prefixes: list[prefix] = field(default_factory=list)
    routes: list[rtinfo] = field(default_factory=list)
    rdnss: list[tuple[tuple[bytes, ...], int]] = field(default_factory=list)
    dnssl: list[tuple[tuple[str, ...], int]] = field(default_factory=list)
    # state (rtadvd.c)
    timer: Optional[int] = None     # monotonic ns of the next RA; None: stopped
    lastsent: int = 0               # monotonic ns of the last multicast RA (0: none yet)
    lastsent_wall: int = 0          # its time(3), for the dump
    initcounter: int = 0
    waiting: int = 0
    raoutput: int = 0
    rainput: int = 0
    rainconsistent: int = 0
    rsinput: int = 0
    up: bool = True


def find_prefix(rai: rainfo, addr: bytes, plen: int) -> Optional[prefix]:
    p = in6_mask(addr, plen)
    for pfx in rai.prefixes:
        if pfx.prefixlen == plen and in6_mask(pfx.prefix, plen) == p:
            return pfx
    return None


def _flags(cap: Cap, name: str, letters: dict[str, int], default: int) -> int:
    """A flags capability: a string of letters or a number (``raflags="mo"``,
    ``raflags#192``)."""
    s = cap.getstr(name)
    if s is None:
        v = cap.getnum(name)
        return default if v is None else v
    val = 0
    for c in s:
        if c not in letters:
            raise cap.error(name, f"{cap.name}: expected {name} letters from "
                                  f"{' '.join(sorted(letters))}, got {s!r}")
        val |= letters[c]
    return val


def _num(cap: Cap, name: str, default: int) -> int:
    v = cap.getnum(name)
    return default if v is None else v


def _range(cap: Cap, name: str, val: int, lo: int, hi: int, what: str) -> None:
    if not lo <= val <= hi:
        raise cap.error(name, f"{what} ({val}) on {cap.name} is invalid "
                              f"(must be between {lo} and {hi})")


def _entry(i: int, name: str) -> str:
    """config.c makeentry: ``addr`` for -1, ``addr0``, ``addr1`` ... after."""
    return name if i < 0 else f"{name}{i}"


def getconfig(ifname: str, cap: Cap, ifindex: int, lladdr: Optional[bytes], phymtu: int,
              forwarding: int, kernel_prefixes: Callable[[str], list[tuple[bytes, int]]],
              inet_pton: Callable[[str], Optional[bytes]],
              warn: Callable[[str], None], now: int) -> rainfo:
    """The settings of ``ifname`` from its entry ``cap`` (an empty Cap when the
    file has none), checked as config.c does."""
    rai = rainfo(ifname, ifindex, lladdr, phymtu or IPV6_MMTU)
    pton = inet_pton

    def inet_pton(text: str) -> Optional[bytes]:
        try:
            return pton(text)
        except (ValueError, OSError):
            return None

    if cap.getflag("nolladdr"):
        rai.advlinkopt = False

    val = _num(cap, "maxinterval", DEF_MAXRTRADVINTERVAL)
    _range(cap, "maxinterval", val, MIN_MAXINTERVAL, MAX_MAXINTERVAL, "maxinterval")
    rai.maxinterval = val
    val = _num(cap, "mininterval", rai.maxinterval // 3)
    _range(cap, "mininterval", val, MIN_MININTERVAL, rai.maxinterval * 3 // 4, "mininterval")
    rai.mininterval = val

    val = _num(cap, "chlim", DEF_ADVCURHOPLIMIT)
    _range(cap, "chlim", val, 0, 255, "chlim")
    rai.hoplimit = val

    val = _flags(cap, "raflags", {"m": ND_RA_FLAG_MANAGED, "o": ND_RA_FLAG_OTHER,
                                  "h": ND_RA_FLAG_RTPREF_HIGH, "l": ND_RA_FLAG_RTPREF_LOW}, 0)
    s = cap.getstr("raflags") or ""
    if "h" in s and "l" in s:
        raise cap.error("raflags", "the 'h' and 'l' router flags are exclusive")
    _range(cap, "raflags", val, 0, 255, "raflags")
    rai.managedflg = val & ND_RA_FLAG_MANAGED
    rai.otherflg = val & ND_RA_FLAG_OTHER
    rai.rtpref = val & ND_RA_FLAG_RTPREF_MASK
    # RFC 4191 2.2: the reserved value (10) "MUST NOT" be sent
    if rai.rtpref == ND_RA_FLAG_RTPREF_RSV:
        raise cap.error("raflags", f"invalid router preference ({rai.rtpref:02x}) on {ifname}")

    val = _num(cap, "rltime", rai.maxinterval * 3)
    # RFC 4861 6.2.1: AdvDefaultLifetime "MUST be either zero or between
    # MaxRtrAdvInterval and 9000 seconds"
    if val and not rai.maxinterval <= val <= MAXROUTERLIFETIME:
        raise cap.error("rltime", f"router lifetime ({val}) on {ifname} is invalid "
                                  f"(must be 0 or between {rai.maxinterval} and "
                                  f"{MAXROUTERLIFETIME})")
    # RFC 4861 6.2.3: hosts MUST NOT send RAs; rtadvd allows it on a host only
    # with a zero router lifetime.
    if val and forwarding == 0:
        raise cap.error("rltime", f"non zero router lifetime is specified for {ifname}, "
                                  f"which must not be allowed for hosts.  you must change "
                                  f"router lifetime or enable IPv6 forwarding.")
    rai.lifetime = val

    val = _num(cap, "rtime", DEF_ADVREACHABLETIME)
    if not 0 <= val <= MAXREACHABLETIME:
        raise cap.error("rtime", f"reachable time ({val}) on {ifname} is invalid "
                                 f"(must be no greater than {MAXREACHABLETIME})")
    rai.reachabletime = val
    val = _num(cap, "retrans", DEF_ADVRETRANSTIMER)
    if not 0 <= val <= 0xFFFFFFFF:
        raise cap.error("retrans", f"retrans time ({val}) on {ifname} out of range")
    rai.retranstimer = val
    if cap.has("hapref") or cap.has("hatime"):
        raise cap.error("hapref" if cap.has("hapref") else "hatime",
                        "mobile-ip6 configuration not supported")
    rai.clockskew = _num(cap, "clockskew", 0)

    # -- prefixes --
    for i in range(-1, MAXPREFIX):
        name = _entry(i, "addr")
        addr = cap.getstr(name)
        if addr is None:
            continue
        a = inet_pton(addr)
        if a is None:
            raise cap.error(name, f"{name}: expected an IPv6 prefix, got {addr!r}")
        if a[0] == 0xFF:
            raise cap.error(name, f"multicast prefix ({addr}) must not be advertised on "
                                  f"{ifname}")
        if a[0] == 0xFE and a[1] & 0xC0 == 0x80:
            warn(f"link-local prefix ({addr}) will be advertised on {ifname}")
        pname = _entry(i, "prefixlen")
        plen = _num(cap, pname, 64)
        if not 0 <= plen <= 128:
            raise cap.error(pname, f"prefixlen ({plen}) for {addr} on {ifname} out of range")
        fname = _entry(i, "pinfoflags")
        flags = _flags(cap, fname, {"l": ND_OPT_PI_FLAG_ONLINK, "a": ND_OPT_PI_FLAG_AUTO},
                       ND_OPT_PI_FLAG_ONLINK | ND_OPT_PI_FLAG_AUTO)
        pfx = prefix(in6_mask(a, plen), plen, onlinkflg=bool(flags & ND_OPT_PI_FLAG_ONLINK),
                     autoconfflg=bool(flags & ND_OPT_PI_FLAG_AUTO))
        for what, attr, default in (("vltime", "validlifetime", DEF_ADVVALIDLIFETIME),
                                    ("pltime", "preflifetime", DEF_ADVPREFERREDLIFETIME)):
            ename = _entry(i, what)
            v = _num(cap, ename, default)
            if not 0 <= v <= 0xFFFFFFFF:
                raise cap.error(ename, f"{what} ({v}) for {addr}/{plen} on {ifname} is out "
                                       f"of range")
            setattr(pfx, attr, v)
            if cap.getflag(_entry(i, what + "decr")):
                setattr(pfx, what[:2] + "timeexpire", now + v * SEC)
        # RFC 4862 5.5.3 (c): hosts ignore a prefix whose preferred lifetime
        # exceeds its valid lifetime.
        if pfx.preflifetime > pfx.validlifetime:
            raise cap.error(_entry(i, "pltime"), f"pltime ({pfx.preflifetime}) for "
                                                 f"{addr}/{plen} on {ifname} is greater than "
                                                 f"its vltime ({pfx.validlifetime})")
        if find_prefix(rai, pfx.prefix, plen) is None:
            rai.prefixes.append(pfx)
    if rai.prefixes or cap.getflag("noifprefix"):
        rai.kernel_prefixes = False
    else:
        for a, plen in kernel_prefixes(ifname):
            if find_prefix(rai, a, plen) is None:
                rai.prefixes.append(prefix(in6_mask(a, plen), plen, origin=PREFIX_FROM_KERNEL))

    # -- MTU option --
    s = cap.getstr("mtu")
    if s is not None:
        if s != "auto":
            raise cap.error("mtu", f"mtu: expected a number or \"auto\", got {s!r}")
        rai.linkmtu = rai.phymtu
    else:
        val = _num(cap, "mtu", 0)
        # RFC 4861 6.2.1: AdvLinkMTU is 0 or at least the minimum MTU, and no
        # more than the link can carry.
        if val and not IPV6_MMTU <= val <= rai.phymtu:
            raise cap.error("mtu", f"advertised link mtu ({val}) on {ifname} is invalid "
                                   f"(must be between least MTU ({IPV6_MMTU}) and physical "
                                   f"link MTU ({rai.phymtu})")
        rai.linkmtu = val

    # -- Route Information options (RFC 4191 2.3) --
    for i in range(-1, MAXROUTE):
        name = _entry(i, "rtprefix")
        addr = cap.getstr(name)
        if addr is None:
            old = _entry(i, "rtrprefix")
            addr = cap.getstr(old)
            if addr is not None:
                warn(f"{old} was obsoleted.  Use {name}.")
        if addr is None:
            continue
        a = inet_pton(addr)
        if a is None:
            raise cap.error(name, f"{name}: expected an IPv6 prefix, got {addr!r}")
        pname = _entry(i, "rtplen")
        plen = _num(cap, pname, _num(cap, _entry(i, "rtrplen"), 64))
        if not 0 <= plen <= 128:
            raise cap.error(pname, f"prefixlen ({plen}) for {addr} on {ifname} out of range")
        fname = _entry(i, "rtflags")
        flags = _flags(cap, fname, {"h": ND_RA_FLAG_RTPREF_HIGH, "l": ND_RA_FLAG_RTPREF_LOW},
                       _num(cap, _entry(i, "rtrflags"), 0))
        s = cap.getstr(fname) or ""
        if "h" in s and "l" in s:
            raise cap.error(fname, "the 'h' and 'l' route preferences are exclusive")
        pref = flags & ND_RA_FLAG_RTPREF_MASK
        if pref == ND_RA_FLAG_RTPREF_RSV:
            raise cap.error(fname, f"invalid route preference ({pref:02x}) for {addr}/{plen} "
                                   f"on {ifname}")
        lname = _entry(i, "rtltime")
        ltime = cap.getnum(lname)
        if ltime is None:
            ltime = cap.getnum(_entry(i, "rtrltime"))
        if ltime is None:
            # "the value for this item should be specified by hand.  However,
            # rtadvd allows this item to be unspecified, and uses the router
            # lifetime as the default value in such a case"
            warn(f"{lname} should be specified for interface {ifname}.")
            ltime = rai.lifetime
        if not 0 <= ltime <= 0xFFFFFFFF:
            raise cap.error(lname, f"route lifetime ({ltime}) for {addr}/{plen} on {ifname} "
                                   f"out of range")
        rai.routes.append(rtinfo(in6_mask(a, plen), plen, pref, ltime))

    # -- RDNSS and DNSSL (RFC 8106 5.1, 5.2) --
    for what, maxent in (("rdnss", MAXRDNSSENT), ("dnssl", MAXDNSSLENT)):
        for i in range(-1, maxent):
            name = _entry(i, what)
            s = cap.getstr(name)
            if s is None:
                break
            items = [x.strip() for x in s.split(",") if x.strip()]
            if not items:
                raise cap.error(name, f"{name}: expected one or more "
                                      f"{'addresses' if what == 'rdnss' else 'domain names'}")
            values: list[Any] = []
            for x in items:
                if what == "rdnss":
                    a = inet_pton(x)
                    if a is None:
                        raise cap.error(name, f"{name}: expected an IPv6 address, got {x!r}")
                    values.append(a)
                else:
                    if any(len(lab) > 63 for lab in x.strip(".").split(".")):
                        raise cap.error(name, f"{name}: expected labels of at most 63 "
                                              f"characters, got {x!r}")
                    values.append(x)
            lname = _entry(i, what + "ltime")
            ltime = _num(cap, lname, rai.maxinterval * 3 // 2)
            # RFC 8106 5.1: MaxRtrAdvInterval <= Lifetime <= 2*MaxRtrAdvInterval
            if not rai.maxinterval <= ltime <= rai.maxinterval * 2:
                raise cap.error(lname, f"{lname} ({ltime}) on {ifname} is invalid (must be "
                                       f"between {rai.maxinterval} and "
                                       f"{rai.maxinterval * 2})")
            getattr(rai, what).append((tuple(values), ltime))
    return rai


def make_packet(rai: rainfo, now: int) -> bytes:
    """The Router Advertisement of ``rai`` (config.c make_packet): the header,
    our link-layer address, the MTU, the prefixes (lifetimes decremented in
    real time where asked, 0 for invalidated prefixes), the routes, RDNSS and
    DNSSL."""
    opts: list[Any] = []
    if rai.advlinkopt and rai.lladdr:
        opts.append(SourceLinkAddr(rai.lladdr))
    if rai.linkmtu:
        opts.append(Mtu(rai.linkmtu))
    for pfx in rai.prefixes:
        if pfx.timer is not None:
            vltime = pltime = 0
        else:
            vltime = pfx.validlifetime if not pfx.vltimeexpire else \
                max(0, (pfx.vltimeexpire - now) // SEC)
            pltime = pfx.preflifetime if not pfx.pltimeexpire else \
                max(0, (pfx.pltimeexpire - now) // SEC)
        flags = (ND_OPT_PI_FLAG_ONLINK if pfx.onlinkflg else 0) | \
            (ND_OPT_PI_FLAG_AUTO if pfx.autoconfflg else 0)
        opts.append(PrefixInformation(pfx.prefix, pfx.prefixlen, flags,
                                      vltime & ND_INFINITE_LIFETIME, pltime & ND_INFINITE_LIFETIME))
    for rti in rai.routes:
        opts.append(RouteInfo(rti.prefix, rti.prefixlen, rti.rtpref, rti.ltime))
    for addrs, ltime in rai.rdnss:
        opts.append(Rdnss(addrs, ltime))
    for names, ltime in rai.dnssl:
        opts.append(Dnssl(names, ltime))
    flags = rai.rtpref | (ND_RA_FLAG_MANAGED if rai.managedflg else 0) | \
        (ND_RA_FLAG_OTHER if rai.otherflg else 0)
    return RouterAdvert(rai.hoplimit, flags, rai.lifetime, rai.reachabletime, rai.retranstimer,
                        tuple(opts)).emit()


__all__ = ["getconfig", "make_packet", "find_prefix", "rainfo", "prefix", "rtinfo",
           "ConfigError", "CapError", "ORIGIN_NAMES", "RTPREF_STR"]
