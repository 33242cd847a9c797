"""/etc/rc: the boot script, as a program (etc/rc, etc/rc.subr, etc/network.subr, etc/rc.d/*).

init(8) runs ``/etc/rc autoboot`` with the console as its standard files.
FreeBSD's /etc/rc is sh sourcing rc.conf and running the rc.d scripts in
rcorder; kamebox's is a program (there is no shell) that reads the rc.conf
files with the sh subset they use (userland/rcconf.py) and does, in
FreeBSD 9's order, what these rc.d scripts do — running the same programs
as child processes, so their output and errors are FreeBSD's:

``sysctl``    /etc/sysctl.conf lines (``name=value``) through sysctl(8);
``hostname``  ``Setting hostname: alice.`` and hostname(1);
``dmesg``     /var/run/dmesg.boot (``dmesg_enable``);
``ip6addrctl`` (before netif) the address selection policy (``ip6addrctl_enable``,
              ``ip6addrctl_policy``: AUTO — /etc/ip6addrctl.conf if not empty,
              else ipv6_prefer when an interface has IPv6 configuration, else
              ipv4_prefer —, ``ipv4_prefer``, ``ipv6_prefer``, NONE;
              ``ip6addrctl_verbose``);
``netif``     first the cloned interfaces (clone_up: ``ifconfig IF create`` for
              each of ``cloned_interfaces``, FreeBSD ≤ 8's ``gif_interfaces``
              with ``gifconfig_IF`` — ``ifconfig IF [inet6] tunnel A B`` —,
              ``Created clone interfaces: gif0.``), then for lo0 and every interface (``network_interfaces``, ``auto``:
              all): ``ifconfig_IF``, ``ifconfig_IF_ipv6``, FreeBSD ≤ 8's
              ``ipv6_ifconfig_IF`` (with its warning), ``ipv6_prefix_IF``,
              aliases (``ifconfig_IF_aliasN``, ``ifconfig_IF_aliases``,
              ``ipv6_ifconfig_IF_aliasN``), ``ipv6_activate_all_interfaces``
              (``inet6 [-]ifdisabled``), ``accept_rtadv`` interfaces (``rtsol``
              when rtsold is not enabled), ``up``; then the wait for DAD
              (``net.inet6.ip6.dad_count`` + 1 seconds), ``Starting Network:
              lo0 em0.`` and ``ifconfig`` of each;
``routing``   for inet first (FreeBSD 9's static_inet and options_inet):
              ``static_routes`` with ``route_NAME`` (each ``route add
              $route_NAME``), then ``defaultrouter`` (``route add default
              ...``), ``gateway_enable`` (``Additional inet routing options:
              gateway=YES.`` and net.inet.ip.forwarding), ``icmp_bmcastecho``;
              then for inet6: ``ipv6_static_routes`` with ``ipv6_route_NAME`` (each
              ``route add -inet6 $ipv6_route_NAME``; route(8) prints ``add net
              ...: gateway ...``), then ``ipv6_defaultrouter`` (last, as FreeBSD
              9), ``ipv6_gateway_enable`` (``Additional inet6 routing
              options: gateway=YES.`` and net.inet6.ip6.forwarding);
``rtsold``    ``Starting rtsold.``, rtsold(8) with ``rtsold_flags``, and the
              DAD wait after it;
``ipsec``, ``rtadvd``, ``route6d``, ``racoon``: started the same way when
              enabled (``/etc/rc: WARNING: run_rc_command: cannot run
              /usr/sbin/rtadvd`` while a program is missing);
the date last, as /etc/rc ends.

IPv4 in netif: ``ifconfig_IF="inet 192.0.2.1 netmask 255.255.255.0"`` (or
``inet 192.0.2.1/24``) goes to ifconfig with the rest of ``ifconfig_IF``;
ipv4_up adds the ``inet`` clauses of ``ifconfig_IF_aliasN`` /
``ifconfig_IF_aliases`` (``ifconfig IF inet ... alias``) and, when
``ifconfig_lo0`` is empty, ``inet 127.0.0.1/8 alias`` on lo0.

Not done: ``ipv4_addrs_IF`` and address ranges in aliases, the sticky
cloned interfaces of later FreeBSDs, and the reject routes FreeBSD's rc.d/routing installs for
::ffff:0.0.0.0/96, ::/96, fe80::/10 and ff02::/16 (zones are kept beside
addresses here, so a zone-less fe80::/10 route has no meaning).
"""
from __future__ import annotations

import re
import shlex
from typing import Optional

from kernel.wire.fcntl import O_CREAT, O_TRUNC, O_WRONLY
from kernel.wire.signal import SIG_IGN, SIGINT
from kernel.wire.wait import WEXITSTATUS, WIFEXITED
from userland import libc
from userland.libc import stderr, stdout
from userland.rcconf import checkyesno, source_rcconf

IFCONFIG_CMD = "/sbin/ifconfig"
ROUTE_CMD = "/sbin/route"
IP6ADDRCTL_CMD = "/usr/sbin/ip6addrctl"
SYSCTL = "/sbin/sysctl"
RC_CONF_FILES = ("/etc/rc.conf", "/etc/rc.conf.local")
_PSEUDO_ARGS = {"dhcp", "noauto", "nosyncdhcp", "syncdhcp", "wpa", "hostap"}
_FAMILIES = ("inet", "inet6", "ipx", "link", "ether")


class Rc:
    """rc.subr and network.subr: the rc.conf variables and the helpers of the scripts."""

    def __init__(self) -> None:
        self.vars: dict[str, str] = {}
        self._features: dict[str, bool] = {}

    # -- rc.subr ------------------------------------------------------------------------
    def load_rc_config(self) -> None:
        """/etc/defaults/rc.conf, then /etc/rc.conf and /etc/rc.conf.local."""
        for path in ("/etc/defaults/rc.conf",) + RC_CONF_FILES:
            text = _read_file(path)
            if text is None:
                continue
            err = source_rcconf(text, path, self.vars)
            if err is not None:
                self.warn(str(err))

    def get(self, name: str, default: str = "") -> str:
        return self.vars.get(name, default)

    def yes(self, name: str) -> bool:
        return checkyesno(self.vars.get(name))

    @staticmethod
    def warn(msg: str) -> None:
        libc.fflush(stdout)
        libc.fprintf(stderr, "/etc/rc: WARNING: %s\n", msg)

    @staticmethod
    def run(argv: list[str], stdout_path: Optional[str] = None) -> int:
        """Run a program as a child and wait for it: its exit status (127 if it
        cannot run, 128 + signal if a signal killed it)."""
        actions = None
        if stdout_path is not None:
            actions = [("open", 1, stdout_path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)]
        pid = Rc.spawn(argv, actions)
        if pid < 0:
            return 127
        return Rc.wait(pid)

    @staticmethod
    def spawn(argv: list[str], actions: Optional[list[tuple]]) -> int:
        """posix_spawn ``argv`` with the file ``actions``: its pid, or -1 (the error
        said on stderr) if it cannot run."""
        try:
            return libc.posix_spawn(argv[0], argv, file_actions=actions)
        except OSError as e:
            libc.fflush(stdout)
            libc.fprintf(stderr, "/etc/rc: %s: %s\n", argv[0], libc.strerror(e.errno))
            return -1

    @staticmethod
    def wait(pid: int) -> int:
        """Wait for the child ``pid``: its exit status, 128 + signal if a signal
        killed it, 127 if it cannot be waited for."""
        while True:
            try:
                _, status = libc.waitpid(pid)
                break
            except OSError as e:
                if e.errno != 4:            # EINTR
                    return 127
        if WIFEXITED(status):
            return WEXITSTATUS(status)
        return 128 + (status & 0x7F)

    def sysctl_n(self, name: str, default: int = 0) -> int:
        try:
            return int(libc.sysctlbyname(name))
        except (OSError, TypeError, ValueError):
            return default

    def afexists(self, af: str) -> bool:
        """Is the address family in the kernel (``kern.features.<af>``, or its sysctl tree)?"""
        if af not in self._features:
            try:
                ok = bool(libc.sysctlbyname(f"kern.features.{af}"))
            except OSError:
                probe = {"inet6": "net.inet6.ip6.forwarding", "inet": "net.inet.ip.forwarding"}
                try:
                    libc.sysctlbyname(probe.get(af, f"net.{af}"))
                    ok = True
                except OSError:
                    ok = af in ("link", "ether")
            self._features[af] = ok
        return self._features[af]

    def run_rc_command(self, name: str, command: str, flags: list[str],
                       pidfile: Optional[str] = None) -> bool:
        """``Starting NAME.`` and the daemon (which daemonizes); False if it cannot run."""
        try:
            libc.access(command, 1)
        except OSError:
            self.warn(f"run_rc_command: cannot run {command}")
            return False
        if pidfile is not None and _pidfile_alive(pidfile):
            return False
        libc.printf("Starting %s.\n", name)
        libc.fflush(stdout)
        self.run([command] + flags)
        return True

    # -- network.subr ---------------------------------------------------------------------
    def get_if_var(self, ifn: str, var: str, default: str = "") -> str:
        """``get_if_var em0 ifconfig_IF_ipv6``: the variable with IF replaced by the
        interface name (``.-/+`` in it become ``_``)."""
        name = re.sub(r"[.\-/+]", "_", ifn)
        prefix, _, suffix = var.partition("IF")
        return self.vars.get(prefix + name + suffix, default)

    def ifconfig_getargs(self, ifn: str, af: str = "") -> list[str]:
        value = self.get_if_var(ifn, "ifconfig_IF" + (f"_{af}" if af else ""),
                                self.get("ifconfig_DEFAULT"))
        return [a for a in _split(value) if a.lower() not in _PSEUDO_ARGS]

    def autoif(self, ifn: str) -> bool:
        return not any(a.lower() == "noauto" for a in _split(self.get_if_var(ifn, "ifconfig_IF")))

    def ifconfig(self, ifn: str, args: list[str]) -> int:
        return self.run([IFCONFIG_CMD, ifn] + args)

    def _without_inet(self, args: list[str]) -> list[str]:
        """``ifconfig_IF`` arguments without IPv4 clauses when the kernel has no inet."""
        if self.afexists("inet"):
            return args
        out: list[str] = []
        skipping = False
        for a in args:
            if a in _FAMILIES:
                skipping = a == "inet"
            if not skipping:
                out.append(a)
        return out

    def ipv6if(self, ifn: str) -> bool:
        if not self.afexists("inet6"):
            return False
        if ifn == "lo0":
            return True
        nets = self.get("ipv6_network_interfaces")
        if nets.lower() != "auto" and ifn not in nets.split():
            return False
        return bool(self.ifconfig_getargs(ifn, "ipv6") or self.get_if_var(ifn, "ipv6_prefix_IF")
                    or self.get_if_var(ifn, "ipv6_ifconfig_IF"))

    def ipv6_autoconfif(self, ifn: str) -> bool:
        if re.match(r"(lo|stf|faith|lp|sl)[0-9]", ifn):
            return False
        if not self.ipv6if(ifn) or self.yes("ipv6_gateway_enable"):
            return False
        if self.get_if_var(ifn, "ipv6_prefix_IF"):
            return False
        if "accept_rtadv" in self.ifconfig_getargs(ifn, "ipv6"):
            return True
        return "accept_rtadv" in _split(self.get_if_var(ifn, "ipv6_ifconfig_IF"))

    def ifconfig_up(self, ifn: str) -> bool:
        """Evaluate the ifconfig arguments of ``ifn``; True if something was configured."""
        cfg = ifn == "lo0"                                  # make sure lo0 always comes up
        args = self._without_inet(self.ifconfig_getargs(ifn))
        if args:
            self.ifconfig(ifn, args)
            cfg = True
        if self.afexists("inet6"):
            opts: list[str] = []
            if self.yes("ipv6_activate_all_interfaces"):
                opts = ["-ifdisabled"]
            elif ifn != "lo0":
                opts = ["ifdisabled"]
            if self.get("ipv6_cpe_wanif") == ifn:
                opts += ["-no_radr", "accept_rtadv"]
            if opts:
                self.ifconfig(ifn, ["inet6"] + opts)
            args = self.ifconfig_getargs(ifn, "ipv6")
            if args:
                if re.match(r"(:|[0-9a-fA-F]+:)", args[0]):
                    self.warn(f'$ifconfig_{ifn}_ipv6 needs leading "inet6" keyword for an '
                              f'IPv6 address.')
                    args = ["inet6"] + args
                self.ifconfig(ifn, ["inet6", "-ifdisabled"])
                self.ifconfig(ifn, args)
                cfg = True
            if self.get_if_var(ifn, "ipv6_prefix_IF"):
                self.ifconfig(ifn, ["inet6", "-ifdisabled"])
                cfg = True
            old = _split(self.get_if_var(ifn, "ipv6_ifconfig_IF"))
            if old:
                self.warn(f"$ipv6_ifconfig_{ifn} is obsolete.  Use ifconfig_{ifn}_ipv6 instead.")
                self.ifconfig(ifn, ["inet6", "-ifdisabled"])
                self.ifconfig(ifn, ["inet6"] + old)
                cfg = True
        if cfg:
            self.ifconfig(ifn, ["up"])
        return cfg

    def alias_words(self, name: str) -> list[str]:
        """The words of ``ifconfig_IF_aliases`` and of ``ifconfig_IF_aliasN`` up to
        the first empty or missing N, for the interface whose variable name is
        ``name`` (network.subr ifalias_af_common)."""
        words = _split(self.vars.get(f"ifconfig_{name}_aliases", ""))
        for n in _numbered(self.vars, f"ifconfig_{name}_alias"):
            value = self.vars[f"ifconfig_{name}_alias{n}"]
            if not value:
                break
            words += _split(value)
        return words

    def ifalias_inet6(self, ifn: str) -> bool:
        """``ifconfig_IF_aliases``, ``ifconfig_IF_aliasN`` and
        ``ipv6_ifconfig_IF_aliasN`` that are inet6, each ``ifconfig IF inet6 ... alias``."""
        name = re.sub(r"[.\-/+]", "_", ifn)
        words = self.alias_words(name)
        for n in _numbered(self.vars, f"ipv6_ifconfig_{name}_alias"):
            value = self.vars[f"ipv6_ifconfig_{name}_alias{n}"]
            if not value:
                break
            self.warn(f"$ipv6_ifconfig_{name}_alias{n} is obsolete.  "
                      f"Use ifconfig_{ifn}_aliasN instead.")
            words += ["inet6"] + _split(value)
        done = False
        for clause in _clauses(words):
            if clause[0] != "inet6":
                continue
            self.ifconfig(ifn, clause + ["alias"])
            done = True
        return done

    def ifalias_inet(self, ifn: str) -> bool:
        """``ifconfig_IF_aliases`` and ``ifconfig_IF_aliasN`` that are inet, each
        ``ifconfig IF inet ... alias`` (network.subr ifalias_af_common)."""
        name = re.sub(r"[.\-/+]", "_", ifn)
        words = self.alias_words(name)
        done = False
        for clause in _clauses(words):
            if clause[0] != "inet" or len(clause) < 2:
                continue
            self.ifconfig(ifn, clause + ["alias"])
            done = True
        return done

    def ipv4_up(self, ifn: str) -> bool:
        """network.subr ipv4_up: 127.0.0.1/8 on lo0 unless ``ifconfig_lo0``
        says otherwise, then the inet aliases."""
        ok = False
        if ifn == "lo0" and not self.get_if_var(ifn, "ifconfig_IF"):
            self.ifconfig(ifn, ["inet", "127.0.0.1/8", "alias"])
            ok = True
        return self.ifalias_inet(ifn) or ok

    def ipv6_prefix_hostid_addr_common(self, ifn: str) -> bool:
        prefixes = _split(self.get_if_var(ifn, "ipv6_prefix_IF"))
        for j in prefixes:
            plen = "64"
            if "/" in j:
                j, plen = j.split("/", 1)
            j = j.rstrip(":")
            if j.endswith("::"):
                j = j[:-2]
            self.ifconfig(ifn, ["inet6", f"{j}::", "prefixlen", plen, "eui64", "alias"])
            if self.yes("ipv6_gateway_enable"):
                self.ifconfig(ifn, ["inet6", f"{j}::", "prefixlen", plen, "alias", "anycast"])
        return bool(prefixes)

    def ipv6_accept_rtadv_up(self, ifn: str) -> bool:
        if not self.ipv6_autoconfif(ifn):
            return False
        self.ifconfig(ifn, ["inet6", "accept_rtadv", "up"])
        if not self.yes("rtsold_enable"):
            self.run(["/sbin/rtsol"] + _split(self.get("rtsol_flags")) + [ifn])
        return True

    def ipv6_up(self, ifn: str) -> bool:
        if not self.ipv6if(ifn):
            return True                 # network.subr: "return 0" (nothing to do is fine)
        ok = self.ifalias_inet6(ifn)
        ok = self.ipv6_prefix_hostid_addr_common(ifn) or ok
        ok = self.ipv6_accept_rtadv_up(ifn) or ok
        return ok

    def ifn_start(self, ifn: str) -> bool:
        cfg = self.ifconfig_up(ifn)
        if self.afexists("inet") and self.ipv4_up(ifn):
            cfg = True
        if self.afexists("inet6") and self.ipv6_up(ifn):
            cfg = True
        return cfg

    def list_net_interfaces(self) -> list[str]:
        nets = self.get("network_interfaces", "auto")
        names = [n for _, n in sorted(libc.if_nameindex())]
        if nets.lower() == "auto":
            lst = [n for n in names if self.autoif(n)]
            if "lo0" in lst:
                lst.remove("lo0")
                lst.insert(0, "lo0")
            return lst
        lst = nets.split() + _split(self.get("cloned_interfaces"))
        if "lo0" not in lst:
            lst.insert(0, "lo0")
        return lst

    # -- rc.d scripts -------------------------------------------------------------------
    def rc_sysctl(self) -> None:
        """rc.d/sysctl: /etc/sysctl.conf."""
        text = _read_file("/etc/sysctl.conf")
        if text is None:
            return
        for line in text.splitlines():
            line = line.split("#", 1)[0].strip()
            if not line or "=" not in line:
                continue
            name, _, value = line.partition("=")
            self.run([SYSCTL, f"{name.strip()}={value.strip()}"])

    def rc_hostname(self) -> None:
        """rc.d/hostname."""
        name = self.get("hostname")
        if not name:
            try:
                name = libc.gethostname()
            except OSError:
                name = ""
            if not name:
                self.warn("$hostname is not set -- see rc.conf(5).")
                return
        self.run(["/bin/hostname", name])
        libc.printf("Setting hostname: %s.\n", name)
        libc.fflush(stdout)

    def rc_dmesg(self) -> None:
        """rc.d/dmesg: save the boot messages."""
        if self.yes("dmesg_enable"):
            self.run(["/sbin/dmesg"], stdout_path="/var/run/dmesg.boot")

    def clone_up(self) -> None:
        """network.subr clone_up: create the cloned interfaces (gif0 ...)."""
        made: list[str] = []
        for ifn in _split(self.get("cloned_interfaces")):
            args = _split(self.get_if_var(ifn, "create_args_IF"))
            if self.run([IFCONFIG_CMD, ifn, "create"] + args) == 0:
                made.append(ifn)
        gifs = _split(self.get("gif_interfaces"))
        if gifs:
            self.warn("$gif_interfaces is obsolete.  Use $cloned_interfaces instead.")
        for ifn in gifs:
            if self.run([IFCONFIG_CMD, ifn, "create"], stdout_path="/dev/null") == 0:
                made.append(ifn)
            peers = _split(self.get_if_var(ifn, "gifconfig_IF"))
            if not peers:
                continue
            # the outer family from the endpoints: IPv6 ones have colons
            fam = ["inet6"] if ":" in " ".join(peers) else []
            self.run([IFCONFIG_CMD, ifn] + fam + ["tunnel"] + peers)
        if made:
            libc.printf("Created clone interfaces: %s.\n", " ".join(made))
            libc.fflush(stdout)

    def rc_ip6addrctl(self) -> None:
        """rc.d/ip6addrctl: install the address selection policy (RFC 6724 2.1)."""
        if not self.yes("ip6addrctl_enable") or not self.afexists("inet6"):
            return
        value = self.get("ip6addrctl_policy")
        policy = value.lower()
        conf = "/etc/ip6addrctl.conf"
        if policy == "auto":
            if _read_file(conf):
                self.ip6addrctl(["flush"], quiet=True)
                self.ip6addrctl(["install", conf])
            elif self.yes("ipv6_activate_all_interfaces") or any(
                    re.fullmatch(r"ifconfig_.*_ipv6", v) for v in self.vars):
                self.ip6addrctl_prefer(35)
            else:
                self.ip6addrctl_prefer(100)
        elif policy == "ipv4_prefer" or policy in ("no", "false", "off", "0"):
            self.ip6addrctl_prefer(100)
        elif policy == "ipv6_prefer" or policy in ("yes", "true", "on", "1"):
            self.ip6addrctl_prefer(35)
        elif policy == "none":
            self.ip6addrctl(["flush"], quiet=True)
        else:
            self.warn(f'$ip6addrctl_policy is invalid: {value}.   "ipv4_prefer" is used instead.')
            self.ip6addrctl_prefer(100)
        if self.yes("ip6addrctl_verbose"):
            libc.printf("Address selection policy table for IPv4 and IPv6:\n")
            libc.fflush(stdout)
            self.ip6addrctl([])

    def ip6addrctl_prefer(self, v4prec: int) -> None:
        """ip6addrctl_prefer_ipv6 (::ffff:0:0/96 at 35, RFC 6724's table) or
        _prefer_ipv4 (at 100): flush, then ``install /dev/stdin``."""
        self.ip6addrctl(["flush"], quiet=True)
        table = ("::1/128 50 0", "::/0 40 1", f"::ffff:0:0/96 {v4prec} 4", "2002::/16 30 2",
                 "2001::/32 5 5", "fc00::/7 3 13", "::/96 1 3", "fec0::/10 1 11",
                 "3ffe::/16 1 12")
        self.ip6addrctl(["install", "/dev/stdin"], stdin_text="".join(f"\t{e}\n" for e in table))

    def ip6addrctl(self, args: list[str], quiet: bool = False,
                   stdin_text: Optional[str] = None) -> int:
        """Run ip6addrctl(8): ``>/dev/null 2>&1`` when ``quiet``, a here-document
        on its standard input with ``stdin_text``."""
        actions: list[tuple] = []
        if quiet:
            actions += [("open", 1, "/dev/null", O_WRONLY, 0), ("open", 2, "/dev/null", O_WRONLY, 0)]
        rfd = wfd = -1
        if stdin_text is not None:
            rfd, wfd = libc.pipe()
            actions += [("dup2", rfd, 0), ("close", rfd), ("close", wfd)]
        argv = [IP6ADDRCTL_CMD] + args
        pid = self.spawn(argv, actions or None)
        if stdin_text is not None:
            libc.close(rfd)
            if pid > 0:
                libc.write(wfd, stdin_text.encode())
            libc.close(wfd)
        if pid < 0:
            return 127
        return self.wait(pid)

    def rc_netif(self) -> None:
        """rc.d/netif: network_start (clone_up, network_common ifn_start)."""
        self.clone_up()
        ok: list[str] = []
        dadwait = False
        for ifn in self.list_net_interfaces():
            if self.ifn_start(ifn):
                ok.append(ifn)
                if self.ipv6if(ifn):
                    dadwait = True
        if dadwait:     # inet6 address configuration needs sleep for DAD
            libc.sleep(self.sysctl_n("net.inet6.ip6.dad_count", 1))
            libc.sleep(1)
        if ok:
            libc.printf("Starting Network: %s.\n", " ".join(ok))
            libc.fflush(stdout)
            for ifn in ok:
                self.run([IFCONFIG_CMD, ifn])

    def rc_routing_inet(self) -> None:
        """rc.d/routing for inet: static_inet add, options_inet."""
        if not self.afexists("inet"):
            return
        routes = _split(self.get("static_routes"))
        default = self.get("defaultrouter")
        if default and default.lower() != "no":
            routes = routes + ["_default"]          # after the routes that reach it
            self.vars["route__default"] = f"default {default}"
        for i in routes:
            args = self.get_if_var(i.split(":")[0], "route_IF")
            if args:
                self.run([ROUTE_CMD, "add"] + _split(args))
            else:
                self.warn(f"route_{i.split(':')[0]} not found")
        opts = []
        for var, word, mib in (("icmp_bmcastecho", "broadcast ping responses",
                                "net.inet.icmp.bmcastecho"),
                               ("gateway_enable", "gateway", "net.inet.ip.forwarding")):
            if var == "icmp_bmcastecho" and var not in self.vars:
                continue                            # not in kamebox's defaults: leave it
            on = self.yes(var)
            if on:
                opts.append(f" {word}=YES")
            self.run([SYSCTL, f"{mib}={1 if on else 0}"], stdout_path="/dev/null")
        if opts:
            libc.printf("Additional inet routing options:%s.\n", "".join(opts))
            libc.fflush(stdout)

    def rc_routing(self) -> None:
        """rc.d/routing: static_inet add, options_inet (rc_routing_inet), then
        static_inet6 add, options_inet6."""
        self.rc_routing_inet()
        if not self.afexists("inet6"):
            return
        routes = _split(self.get("ipv6_static_routes"))
        default = self.get("ipv6_defaultrouter")
        if default and default.lower() != "no":
            # FreeBSD 9: the default route goes in last, after the static
            # routes that may be needed to reach its gateway.
            routes = routes + ["_default"]
            self.vars["ipv6_route__default"] = f"default {default}"
        for i in routes:
            args = self.get_if_var(i.split(":")[0], "ipv6_route_IF")
            if args:
                self.run([ROUTE_CMD, "add", "-inet6"] + _split(args))
            else:
                self.warn(f"route_{i.split(':')[0]} not found")
        if self.yes("ipv6_gateway_enable"):
            libc.printf("Additional inet6 routing options: gateway=YES.\n")
            libc.fflush(stdout)
            self.run([SYSCTL, "net.inet6.ip6.forwarding=1"], stdout_path="/dev/null")
        else:
            self.run([SYSCTL, "net.inet6.ip6.forwarding=0"], stdout_path="/dev/null")

    def rc_ipsec(self) -> None:
        """rc.d/ipsec: setkey -f $ipsec_file."""
        if not self.yes("ipsec_enable"):
            return
        f = self.get("ipsec_file", "/etc/ipsec.conf")
        if _read_file(f) is None:
            self.warn(f"{f} not readable; ipsec start aborted.")
            return
        prog = self.get("ipsec_program", "/sbin/setkey")
        try:
            libc.access(prog, 1)
        except OSError:
            self.warn(f"run_rc_command: cannot run {prog}")
            return
        libc.printf("Installing ipsec manual keys/policies.\n")
        libc.fflush(stdout)
        self.run([prog, "-f", f])

    def rc_rtsold(self) -> None:
        """rc.d/rtsold, and its start_postcmd: wait for DAD."""
        if not self.yes("rtsold_enable"):
            return
        if self.run_rc_command("rtsold", "/usr/sbin/rtsold", _split(self.get("rtsold_flags")),
                               "/var/run/rtsold.pid"):
            libc.sleep(self.sysctl_n("net.inet6.ip6.dad_count", 1) + 1)

    def rc_daemons(self) -> None:
        """rtadvd, route6d, racoon: each when enabled."""
        if self.yes("rtadvd_enable"):
            if self.yes("ipv6_gateway_enable"):      # rtadvd_precmd
                ifs = _split(self.get("rtadvd_interfaces"))
                if not ifs or [i.lower() for i in ifs] == ["auto"]:
                    ifs = [n for _, n in sorted(libc.if_nameindex()) if not re.match(
                        r"(lo0|gif[0-9]|stf[0-9]|faith[0-9]|lp[0-9]|sl[0-9]|tun[0-9]|pflog[0-9]"
                        r"|pfsync[0-9])", n)]
                self.run_rc_command("rtadvd", "/usr/sbin/rtadvd",
                                    _split(self.get("rtadvd_flags")) + ifs, "/var/run/rtadvd.pid")
            else:
                self.warn("rtadvd cannot be used on IPv6 host, only on an IPv6 router.")
        if self.yes("route6d_enable"):
            self.run_rc_command("route6d", self.get("route6d_program", "/usr/sbin/route6d"),
                                _split(self.get("route6d_flags")), "/var/run/route6d.pid")
        if self.yes("racoon_enable"):
            self.run_rc_command("racoon", "/usr/sbin/racoon", _split(self.get("racoon_flags")),
                                "/var/run/racoon.pid")


def _split(value: str) -> list[str]:
    try:
        return shlex.split(value)
    except ValueError:
        return value.split()


def _clauses(words: list[str]) -> list[list[str]]:
    """Split ``inet6 A prefixlen 64 inet6 B`` into per-family clauses."""
    out: list[list[str]] = []
    for w in words:
        if w in _FAMILIES or not out:
            out.append([w])
        else:
            out[-1].append(w)
    return out


def _numbered(vars: dict[str, str], prefix: str) -> list[int]:
    """N of ``PREFIXN`` variables, from 0 up to the first gap (list_vars + sort)."""
    out = []
    n = 0
    while f"{prefix}{n}" in vars:
        out.append(n)
        n += 1
    return out


def _read_file(path: str) -> Optional[str]:
    data = libc.read_file(path)
    return None if data is None else data.decode("utf-8", "replace")


def _pidfile_alive(path: str) -> bool:
    text = _read_file(path)
    if not text or not text.split()[0].isdigit():
        return False
    try:
        libc.kill(int(text.split()[0]), 0)
        return True
    except OSError:
        return False


def main(argv: list[str]) -> int:
    libc.signal(SIGINT, SIG_IGN)            # rc.d/netif: no ^C while booting
    rc = Rc()
    rc.load_rc_config()
    rc.rc_sysctl()
    rc.rc_hostname()
    rc.rc_dmesg()
    rc.rc_ip6addrctl()
    rc.rc_netif()
    rc.rc_routing()
    rc.rc_ipsec()
    rc.rc_rtsold()
    rc.rc_daemons()
    t = libc.time()
    tm = libc.gmtime(t)
    libc.printf("\n%s\n", libc.strftime("%a %b %e %H:%M:%S UTC %Y", tm))
    return 0
