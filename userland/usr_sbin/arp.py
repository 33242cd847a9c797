"""arp(8): address resolution display and control (usr.sbin/arp/arp.c).

The cache is read as FreeBSD's arp reads it, one RTM_GET message per entry
from the routing sysctl (``net.route.inet.llinfo``, NET_RT_FLAGS with
RTF_LLINFO for AF_INET), and changed with routing messages with RTF_LLDATA
on a PF_ROUTE socket (``-s``: RTM_ADD, ``-d``: RTM_DELETE).  The output is
FreeBSD's::

    ? (10.0.0.2) at 02:00:00:00:12:02 on em0 expires in 1198 seconds [ethernet]
    ? (10.0.0.1) at 02:00:00:00:12:01 on em0 permanent [ethernet]
    ? (10.0.0.9) at (incomplete) on em0 expired [ethernet]

``-n`` shows addresses only (else the name from /etc/hosts, ``?`` without
one), ``-i`` one interface.  ``arp host`` prints its entry or ``host
(addr) -- no entry``; ``-d host`` prints ``host (addr) deleted``; ``-d -a``
deletes every entry but our own addresses'; ``-s host ether_addr [temp]``
adds a permanent entry (with ``temp`` one that expires like a learnt one);
``-S`` replaces; ``-f file`` reads ``-s`` lines.  Proxy ARP (``pub``) and
``reject``/``blackhole`` entries are not supported.
"""
from __future__ import annotations

from typing import Any, Optional

from kernel.wire.in_ import inet_aton, inet_ntop4, sockaddr_in
from kernel.wire.net_if import IFT
from kernel.wire.route import (PF_ROUTE, RTAX_DST, RTAX_GATEWAY, RTF_HOST, RTF_LLDATA,
                               RTF_PINNED, RTF_STATIC, RTM_ADD, RTM_DELETE, RTV_EXPIRE,
                               rt_msg_build, rt_msg_parse, rt_msg_split, sockaddr_dl)
from kernel.wire.errno import ENOENT, ESRCH
from kernel.wire.socket import AF_INET, SOCK_RAW
from userland import libc
from userland.libc import stderr, stdout

F_GET, F_SET, F_FILESET, F_REPLACE, F_DELETE = 1, 2, 3, 4, 5


def usage() -> None:
    libc.fprintf(stderr, "%s\n%s\n%s\n%s\n%s\n%s\n%s\n",
                 "usage: arp [-n] [-i interface] hostname",
                 "       arp [-n] [-i interface] -a",
                 "       arp -d hostname [pub]",
                 "       arp -d [-i interface] -a",
                 "       arp -s hostname ether_addr [temp] [reject | blackhole] [pub [only]]",
                 "       arp -S hostname ether_addr [temp] [reject | blackhole] [pub [only]]",
                 "       arp -f filename")
    libc.exit(1)


class Arp:
    def __init__(self) -> None:
        self.nflag = False
        self.aflag = False
        self.rifname: Optional[str] = None
        self.rifindex = 0
        self.seq = 0
        self.s = -1

    # -- names -------------------------------------------------------------------------------
    def getaddr(self, host: str) -> Optional[bytes]:
        """The address of ``host`` (a number, or a name of /etc/hosts)."""
        a = inet_aton(host)
        if a is not None:
            return a
        try:
            res = libc.getaddrinfo(host, None, libc.addrinfo(0, AF_INET, SOCK_RAW))
        except libc.gaierror:
            libc.warnx("%s: %s", host, "Unknown host")
            return None
        return res[0].ai_addr.sin_addr

    def hostname(self, a: bytes) -> str:
        if self.nflag:
            return "?"
        try:
            return libc.getnameinfo(sockaddr_in(a), libc.NI_NAMEREQD)[0]
        except OSError:
            return "?"

    # -- the table ---------------------------------------------------------------------------
    def entries(self) -> list[tuple[Any, bytes, sockaddr_dl]]:
        """(rt_msghdr, address, link-level sockaddr) of every entry."""
        try:
            raw = libc.sysctlbyname("net.route.inet.llinfo")
        except OSError:
            libc.err(1, "route-sysctl-estimate")
        out = []
        for msg in rt_msg_split(raw or b""):
            try:
                hdr, addrs = rt_msg_parse(msg)
                sin = addrs[RTAX_DST]
                if not isinstance(sin, sockaddr_in):
                    sin = sockaddr_in.unpack(sin)
            except (ValueError, KeyError):
                continue
            sdl = addrs.get(RTAX_GATEWAY)
            if not isinstance(sdl, sockaddr_dl):
                continue
            if self.rifindex and sdl.sdl_index != self.rifindex:
                continue
            out.append((hdr, sin.sin_addr, sdl))
        return out

    def print_entry(self, hdr: Any, addr: bytes, sdl: sockaddr_dl) -> None:
        out = "%s (%s) at " % (self.hostname(addr), inet_ntop4(addr))
        if sdl.sdl_lladdr:
            out += libc.ether_ntoa(sdl.sdl_lladdr)
        else:
            out += "(incomplete)"
        name = libc.if_indextoname(sdl.sdl_index)
        if name is not None:
            out += " on %s" % name
        expire = hdr.rtm_rmx["rmx_expire"]
        if expire == 0:
            out += " permanent"
        else:
            left = expire - libc.time()
            out += " expires in %d seconds" % left if left > 0 else " expired"
        if sdl.sdl_type == IFT.ETHER:
            out += " [ethernet]"
        libc.printf("%s\n", out)

    def search(self, addr: Optional[bytes], action: Any) -> int:
        found = 0
        for hdr, a, sdl in self.entries():
            if addr is not None and a != addr:
                continue
            found = 1
            action(hdr, a, sdl)
        return found

    # -- the routing socket ------------------------------------------------------------------
    def rtmsg(self, cmd: int, dst: bytes, sdl: Optional[sockaddr_dl] = None,
              expire: int = 0) -> int:
        """Write a routing message about ``dst``: 0, or the errno (warned about,
        except a deletion of nothing)."""
        if self.s < 0:
            try:
                self.s = libc.socket(PF_ROUTE, SOCK_RAW, 0)
            except OSError:
                libc.err(1, "socket")
        self.seq += 1
        addrs: dict[int, Any] = {RTAX_DST: sockaddr_in(dst)}
        flags = RTF_LLDATA
        inits = 0
        rmx = None
        if cmd == RTM_ADD:
            addrs[RTAX_GATEWAY] = sdl
            flags |= RTF_HOST | RTF_STATIC
            inits = RTV_EXPIRE
            rmx = dict(rmx_locks=0, rmx_mtu=0, rmx_hopcount=0, rmx_expire=expire,
                       rmx_recvpipe=0, rmx_sendpipe=0, rmx_ssthresh=0, rmx_rtt=0,
                       rmx_rttvar=0, rmx_pksent=0, rmx_filler=[0, 0, 0, 0])
        fields: dict[str, Any] = dict(rtm_flags=flags, rtm_seq=self.seq, rtm_inits=inits,
                                      rtm_pid=libc.getpid())
        if rmx is not None:
            fields["rtm_rmx"] = rmx
        msg = rt_msg_build(cmd, addrs, **fields)
        try:
            libc.write(self.s, msg)
        except OSError as e:
            if not (cmd == RTM_DELETE and e.errno in (ENOENT, ESRCH)):
                libc.warn("writing to routing socket")
            return e.errno or 1
        return 0

    # -- the functions -----------------------------------------------------------------------
    def get(self, host: str) -> int:
        addr = self.getaddr(host)
        if addr is None:
            return 1
        if not self.search(addr, self.print_entry):
            out = "%s (%s) -- no entry" % (host, inet_ntop4(addr))
            if self.rifname:
                out += " on %s" % self.rifname
            libc.printf("%s\n", out)
            return 1
        return 0

    def delete(self, host: str) -> int:
        addr = self.getaddr(host)
        if addr is None:
            return 1
        err = self.rtmsg(RTM_DELETE, addr)
        if err == 0:
            libc.printf("%s (%s) deleted\n", host, inet_ntop4(addr))
            return 0
        if err in (ENOENT, ESRCH):
            libc.warnx("delete: cannot locate %s", host)
        return 1

    def nuke(self) -> None:
        """-d -a: every entry but those of our own addresses (RTF_PINNED)."""
        for hdr, a, _sdl in self.entries():
            if hdr.rtm_flags & RTF_PINNED:
                continue
            self.delete(inet_ntop4(a))

    def set(self, argv: list[str]) -> int:
        host, eaddr = argv[0], argv[1]
        expire = 0
        for arg in argv[2:]:
            if arg == "temp":
                try:
                    max_age = int(libc.sysctlbyname("net.link.ether.inet.max_age"))
                except OSError:
                    libc.err(1, "sysctlbyname")
                expire = libc.time() + max_age
            elif arg in ("pub", "only", "reject", "blackhole"):
                libc.warnx("%s: proxy, reject and blackhole entries are not supported", arg)
                return 1
            else:
                libc.warnx("Invalid parameter '%s'", arg)
                usage()
        addr = self.getaddr(host)
        if addr is None:
            return 1
        ea = libc.ether_aton(eaddr)
        if ea is None:
            libc.warnx("invalid Ethernet address '%s'", eaddr)
            return 1
        sdl = sockaddr_dl(0, int(IFT.ETHER), "", ea)
        return 1 if self.rtmsg(RTM_ADD, addr, sdl, expire) else 0

    def file(self, name: str) -> int:
        try:
            fp = libc.fopen(name, "r")
        except OSError:
            libc.err(1, "cannot open %s", name)
        retval = 0
        while True:
            line = libc.fgets(fp)
            if line is None:
                break
            words = line.split("#", 1)[0].split()
            if not words:
                continue
            if len(words) < 2:
                libc.warnx("bad line: %s", line.rstrip("\n"))
                retval = 1
                continue
            if self.set(words[:5]):
                retval = 1
        libc.fclose(fp)
        return retval


def main(argv: list[str]) -> int:
    a = Arp()
    func = 0

    def setfunc(f: int) -> None:
        nonlocal func
        if func:
            usage()
        func = f

    opts, args = libc.getopt(argv, "andfsSi:")
    for ch, optarg in opts:
        if ch == "a":
            a.aflag = True
        elif ch == "d":
            setfunc(F_DELETE)
        elif ch == "n":
            a.nflag = True
        elif ch == "S":
            setfunc(F_REPLACE)
        elif ch == "s":
            setfunc(F_SET)
        elif ch == "f":
            setfunc(F_FILESET)
        elif ch == "i":
            a.rifname = optarg
        else:
            usage()
    if not func:
        func = F_GET
    if a.rifname:
        if func != F_GET and not (func == F_DELETE and a.aflag):
            libc.errx(1, "-i not applicable to this operation")
        a.rifindex = libc.if_nametoindex(a.rifname)
        if a.rifindex == 0:
            libc.errx(1, "interface %s does not exist", a.rifname)
    rtn = 0
    if func == F_GET:
        if a.aflag:
            if args:
                usage()
            a.search(None, a.print_entry)
        else:
            if len(args) != 1:
                usage()
            rtn = a.get(args[0])
    elif func in (F_SET, F_REPLACE):
        if not 2 <= len(args) <= 6:
            usage()
        if func == F_REPLACE:
            a.delete(args[0])
        rtn = a.set(args)
    elif func == F_DELETE:
        if a.aflag:
            if args:
                usage()
            a.nuke()
        else:
            if len(args) != 1:
                usage()
            rtn = a.delete(args[0])
    elif func == F_FILESET:
        if len(args) != 1:
            usage()
        rtn = a.file(args[0])
    libc.fflush(stdout)
    return rtn
