"""The ``kamebox`` command (the front: the one place hardware, kernel and drivers meet).

Subcommands:

* ``kamebox run [LAB] [-c 'HOST: COMMAND']... [--script FILE] [--realtime]
  [--tap SEGMENT=IFNAME]... [--pcap DIR] [--seed N] [--timeout SEC] [--list] [-v]``
  — boot a lab (a name
  under images/labs/ or a lab file; the demo lab by default) and run commands
  on its hosts, printing a transcript (``alice# ping6 -c 3 bob`` then the
  output); with no commands and a terminal, open the console (emu/console.py);
  with ``--list``, print the lab's hosts, NICs and segments; ``--tap`` bridges a
  segment to a Linux TAP (docs/tap.md), and the lab then runs in realtime;
* ``kamebox demo [--pcap DIR] [--seed N] [--no-console]`` — boot the demo lab
  (alice, bob and carol on one segment; /etc/rc configures them from
  rc.conf), run ``ifconfig em0``, ``ping6 -c 3 bob``, ``ndp -an``, a ping6
  to bob's link-local address and one to ff02::1%em0 on alice, print the
  transcript and where the captures are; then, on a terminal, open the
  console on the running lab;
* ``kamebox demo --driver [--pcap FILE] [--frames N] [--seed N] [--quiet]``,
  or ``kamebox example driver ...`` — run the driver example
  (examples/driver_without_hardware.py: two machines with em NICs on a
  segment; see docs/driver-without-hardware.md);
* ``kamebox --version``.

Errors on the command line, in lab files and scripts get a one-line message
on stderr and exit status 2, never a traceback.  ``run`` exits 1 when a
command failed (non-zero exit status, unknown command), else 0.
"""
from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence, TextIO, Union

from emu.diag import ConfigError, show

VERSION = "0.1.0"
EXAMPLES = {"driver": "driver_without_hardware.py"}
DEFAULT_LAB = "demo"
BOOT_SETTLE = 5 * 1_000_000_000     # virtual ns from boot to the first command (DAD and SLAAC done)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kamebox", description="Boot emulated BSD/KAME hosts.")
    p.add_argument("--version", action="version", version=f"kamebox {VERSION}")
    sub = p.add_subparsers(dest="cmd", metavar="COMMAND")
    d = sub.add_parser("demo", help="boot the demo lab, ping6 between its hosts, open the console",
                       description="Boot the demo lab (images/labs/demo.toml), show ifconfig, "
                                   "ping6, ndp and link-local and multicast pings on alice, "
                                   "capture lan0, then open the console if on a terminal. "
                                   "--driver runs the em(4) driver example instead "
                                   "(kamebox demo --driver --help).")
    d.add_argument("--pcap", metavar="DIR",
                   help="write the captures to DIR/SEGMENT.pcap (default: a new directory "
                        "under the temporary directory)")
    d.add_argument("--seed", type=int, metavar="N", help="override the lab's seed")
    d.add_argument("--no-console", action="store_true",
                   help="do not open the console afterwards, even on a terminal")
    d.add_argument("--driver", action="store_true",
                   help="run the driver-without-hardware example (its options follow)")
    e = sub.add_parser("example", help="run an example program (driver: the em(4) driver example)",
                       add_help=False)
    e.add_argument("name", choices=sorted(EXAMPLES), help="the example")
    e.add_argument("args", nargs=argparse.REMAINDER, help="options of the example (see --help)")
    r = sub.add_parser("run", help="boot a lab and run commands on its hosts",
                       description="Boot a lab and run commands on its hosts (or open the "
                                   "console). LAB is a name under images/labs/ or a lab file.")
    r.add_argument("lab", nargs="?", default=DEFAULT_LAB, metavar="LAB",
                   help=f"lab name or lab file (default: {DEFAULT_LAB})")
    r.add_argument("-c", dest="commands", action="append", default=[], metavar="'HOST: COMMAND'",
                   help="run COMMAND on HOST (repeatable, in order)")
    r.add_argument("--script", metavar="FILE",
                   help="run the commands of FILE: lines 'HOST: COMMAND', 'wait 2s', # comments")
    r.add_argument("--realtime", action="store_true",
                   help="pace the lab to the wall clock (default: virtual time, as fast as possible)")
    r.add_argument("--tap", dest="taps", action="append", default=[],
                   metavar="SEGMENT=IFNAME",
                   help="bridge SEGMENT to the Linux TAP IFNAME (attach to it, or create it; "
                        "needs root); repeatable; the lab then runs in realtime")
    r.add_argument("--pcap", metavar="DIR", help="capture each segment to DIR/SEGMENT.pcap")
    r.add_argument("--seed", type=int, metavar="N", help="override the lab's seed")
    r.add_argument("--timeout", type=float, default=60.0, metavar="SEC",
                   help="interrupt a command still running after SEC virtual seconds (default 60)")
    r.add_argument("--list", action="store_true", help="print hosts, NICs and segments, and exit")
    r.add_argument("-v", "--verbose", action="store_true",
                   help="also print the boot messages of every host")
    return p


# -- commands and scripts --------------------------------------------------------------------

@dataclass(frozen=True)
class Step:
    """One line of a script: a command on a host, or a wait (host None)."""

    host: Optional[str]
    command: str = ""
    wait_ns: int = 0
    where: str = ""                  # '-c "..."' for messages, or the script file
    line: int = 0                    # the line in the script file


_STEP = re.compile(r"\s*([A-Za-z][A-Za-z0-9-]*)\s*:\s?(.*)\Z")
_WAIT = re.compile(r"\s*wait\s+(\S+)\s*\Z")


def parse_step(text: str, where: str, line: int = 0) -> Union[Step, str]:
    """``HOST: COMMAND`` or ``wait DURATION``; a string is an error message."""
    from emu.labfile import parse_duration
    m = _WAIT.match(text)
    if m:
        ns = parse_duration(m.group(1))
        if ns is None:
            return f'wait: expected a duration like "2s" or "500ms", got {show(m.group(1))}'
        return Step(None, wait_ns=ns, where=where, line=line)
    m = _STEP.match(text)
    if m is None or not m.group(2).strip():
        return f"expected HOST: COMMAND or wait DURATION, got {show(text.strip())}"
    return Step(m.group(1), m.group(2).strip(), where=where, line=line)


def read_script(path: str) -> list[Step]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as e:
        raise ConfigError(path, 0, e.strerror or str(e)) from None
    except UnicodeDecodeError:
        raise ConfigError(path, 1, "expected UTF-8 text") from None
    steps = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        step = parse_step(line, path, n)
        if isinstance(step, str):
            raise ConfigError(path, n, step)
        steps.append(step)
    return steps


class UsageError(Exception):
    """A one-line error of the command line (exit status 2)."""


# -- kamebox run ------------------------------------------------------------------------------

def _load(args: argparse.Namespace):
    from emu import labfile
    from emu.lab import Lab
    path = labfile.find_lab(args.lab)
    if not path.exists() and "/" not in args.lab and not args.lab.endswith(".toml"):
        raise UsageError(f"no lab {show(args.lab)} (labs: {', '.join(labfile.lab_names())}; "
                         f"or a lab file)")
    shown = _shown(path)
    return Lab.from_file(shown, args.seed)


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def print_list(lab, out: TextIO, taps: Optional[dict[str, str]] = None) -> None:
    from emu.labfile import format_duration, format_mac, format_rate, format_size
    spec = lab.spec
    taps = {**{n: s.tap for n, s in spec.segments.items() if s.tap}, **(taps or {})}
    desc = f": {spec.description}" if spec.description else ""
    out.write(f"lab {lab.name} ({spec.path}), seed {lab.sched.seed}{desc}\n")
    out.write("segments:\n")
    for name, s in spec.segments.items():
        users = [f"{h}.{ifn}" for h, lm in lab.machines.items()
                 for ifn, seg in zip(lm.ifnames, lm.segments) if seg == name]
        tap = f", tap {taps[name]}" if name in taps else ""
        out.write(f"  {name:<8} latency {format_duration(s.latency_ns)}, rate "
                  f"{format_rate(s.bitrate_bps)}, loss {s.loss:g}, mtu {s.mtu}{tap}: "
                  f"{' '.join(users) or '(nothing attached)'}\n")
    out.write("hosts:\n")
    for name, lm in lab.machines.items():
        h = spec.hosts[name]
        out.write(f"  {name:<8} image {h.image}, mem {format_size(h.mem)}\n")
        addrs = _addresses(lm)
        for ifn, dev, seg in zip(lm.ifnames, lm.nics, lm.segments):
            a = " ".join(addrs.get(ifn, [])) if addrs else ""
            out.write(f"    {ifn:<6} {format_mac(dev.mac_address)}  {seg or '(no cable)':<8}"
                      f" {a}".rstrip() + "\n")
        if not lm.ifnames:
            out.write("    (no NICs)\n")


def _addresses(lm) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for a in (lm.image.addresses if lm.image is not None else []):
        out.setdefault(a.ifname, []).append(f"{a.addr}/{a.prefixlen}" if a.prefixlen is not None
                                            else a.addr)
    return out


class _ConsolePrinter:
    """Host console output (kernel messages, daemons) as ``host: line`` lines."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.partial: dict[str, str] = {}
        self.enabled = True

    def __call__(self, host: str, text: str) -> None:
        if not self.enabled:
            return
        buf = self.partial.get(host, "") + text
        *lines, rest = buf.split("\n")
        self.partial[host] = rest
        for line in lines:
            self.out.write(f"{host}: {line}\n")
        self.out.flush()

    def flush(self) -> None:
        for host, rest in self.partial.items():
            if rest:
                self.out.write(f"{host}: {rest}\n")
        self.partial.clear()


def cmd_run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from emu.sched import SEC
    from emu.wire.tap import TapError
    steps: list[Step] = []
    for c in args.commands:
        step = parse_step(c, f"-c {show(c)}")
        if isinstance(step, str):
            raise UsageError(f"-c {show(c)}: {step}")
        steps.append(step)
    if args.script:
        steps += read_script(args.script)
    lab = _load(args)
    for s in steps:
        if s.host is not None and s.host not in lab.machines:
            msg = f"no host {show(s.host)} in lab {lab.name} (hosts: {', '.join(lab.machines)})"
            if s.line:
                raise ConfigError(s.where, s.line, msg)
            raise UsageError(f"{s.where}: {msg}")
    taps = _taps(args.taps, lab)
    if args.list:
        print_list(lab, out, taps)
        return 0
    timeout = int(args.timeout * SEC)
    if timeout <= 0:
        raise UsageError(f"--timeout: expected a number of seconds > 0, got {args.timeout:g}")
    try:
        if args.pcap:
            try:
                lab.capture_dir(args.pcap)
            except OSError as e:
                raise UsageError(f"--pcap {args.pcap}: {e.strerror or e}") from None
        for seg, ifname in taps.items():
            try:
                lab.tap(seg, ifname)
            except TapError as e:
                raise UsageError(f"--tap {seg}={ifname}: {e}") from None
        console = _ConsolePrinter(out)
        console.enabled = args.verbose
        lab.on_console = console
        lab.boot(settle=BOOT_SETTLE)
        console.flush()
        console.enabled = True
        lab.realtime = args.realtime or bool(lab.taps)
        if not steps:
            if sys.stdin.isatty() and out.isatty():
                from emu.console import run_console
                lab.on_console = None
                return run_console(lab)
            return 0
        failed = 0
        for s in steps:
            if s.host is None:
                lab.run_for(s.wait_ns)
                continue
            out.write(f"{s.host}# {s.command}\n")
            out.flush()
            job = lab.start_command(s.host, s.command, on_output=_stream(out))
            status = lab.wait(job, timeout)
            console.flush()
            if status != 0:
                failed += 1
        out.flush()
        return 1 if failed else 0
    finally:
        lab.close()


def _taps(args: list[str], lab) -> dict[str, str]:
    """``--tap SEGMENT=IFNAME`` options, checked: segment -> TAP name."""
    from emu.wire.tap import check_ifname
    out: dict[str, str] = {}
    for arg in args:
        seg, sep, ifname = arg.partition("=")
        if not sep or not seg or not ifname:
            raise UsageError(f"--tap {show(arg)}: expected SEGMENT=IFNAME, like lan0=tap0")
        if seg not in lab.segments:
            raise UsageError(f"--tap {arg}: no segment {show(seg)} in lab {lab.name} "
                             f"(segments: {', '.join(lab.segments) or 'none'})")
        why = check_ifname(ifname)
        if why is not None:
            raise UsageError(f"--tap {arg}: {why}")
        if seg in out:
            raise UsageError(f"--tap {arg}: segment {seg} is already bridged to {out[seg]}")
        out[seg] = ifname
    return out


def _stream(out: TextIO):
    def write(host: str, text: str) -> None:
        out.write(text)
        out.flush()
    return write


# -- kamebox demo ------------------------------------------------------------------------------

def _eui64_linklocal(mac: bytes) -> str:
    """The link-local address of a MAC (RFC 4291 2.5.1, modified EUI-64)."""
    import ipaddress
    iid = bytes((mac[0] ^ 0x02,)) + mac[1:3] + b"\xff\xfe" + mac[3:6]
    return str(ipaddress.IPv6Address(b"\xfe\x80" + bytes(6) + iid))


def _eui64_address(prefix: str, mac: bytes) -> str:
    """The SLAAC address of a MAC in a /64 (RFC 4862 5.5.3, modified EUI-64)."""
    import ipaddress
    iid = bytes((mac[0] ^ 0x02,)) + mac[1:3] + b"\xff\xfe" + mac[3:6]
    return str(ipaddress.IPv6Address(ipaddress.IPv6Address(prefix).packed[:8] + iid))


def demo_steps(lab) -> list[tuple[str, str, str]]:
    """(comment, host, command) of the demo, for a booted demo lab."""
    alice_ll = _eui64_linklocal(lab.machines["alice"].nics[0].mac_address)
    carol = _eui64_address("2001:db8:2::", lab.machines["carol"].nics[0].mac_address)
    return [
        ("bob configured itself from r1's Router Advertisement (SLAAC, RFC 4862): a global "
         "address in the advertised prefix 2001:db8:1::/64 and the link-local one, both "
         "from its MAC (modified EUI-64)", "bob", "ifconfig em0"),
        ("the default router bob learnt from it (ndp -p lists the prefix)", "bob", "ndp -r"),
        ("alice has a static address from rc.conf; r1 by name (/etc/hosts): ND resolves "
         "r1's MAC, then three echo round trips", "alice", "ping6 -c 3 r1"),
        ("carol is on the other segment, behind r1: her address is r1's prefix there plus "
         "her EUI-64; bob's packets go through his default router", "bob",
         f"ping6 -c 3 {carol}"),
        ("the neighbor cache that ping6 filled", "alice", "ndp -an"),
        ("alice's link-local address needs a zone: %em0", "bob", f"ping6 -c 2 {alice_ll}%em0"),
        ("all nodes on the link: every host answers each request, so duplicates (DUP!)",
         "alice", "ping6 -c 2 ff02::1%em0"),
    ]


def cmd_demo(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    import tempfile
    from emu import labfile
    from emu.lab import Lab
    from emu.wire.pcap import read_pcap
    lab = Lab.from_file(_shown(labfile.find_lab(DEFAULT_LAB)), args.seed)
    try:
        if args.pcap:
            pcap_dir = args.pcap
        else:
            pcap_dir = tempfile.mkdtemp(prefix="kamebox-demo-")
        try:
            paths = lab.capture_dir(pcap_dir)
        except OSError as e:
            raise UsageError(f"--pcap {pcap_dir}: {e.strerror or e}") from None
        out.write(f"== kamebox demo: lab {lab.name} ({lab.spec.path}), seed {lab.sched.seed}: "
                  f"{', '.join(lab.machines)} on {', '.join(lab.segments)} ==\n")
        out.write("== alice boots: the kernel, then /sbin/init runs /etc/rc, which reads "
                  "/etc/rc.conf ==\n")
        console = _ConsolePrinter(out)
        lab.on_console = lambda host, text: console(host, text) if host == "alice" else None
        lab.boot(settle=BOOT_SETTLE)
        console.flush()
        lab.on_console = console
        failed = 0
        for comment, host, command in demo_steps(lab):
            out.write(f"\n# {comment}\n{host}# {command}\n")
            out.flush()
            job = lab.start_command(host, command, on_output=_stream(out))
            if lab.wait(job) != 0:
                failed += 1
            console.flush()
        lab.flush_captures()
        out.write("\n== captures ==\n")
        for p in paths:
            out.write(f"{p}: {len(read_pcap(p))} frames so far   (tshark -r {p}, or open it "
                      f"in Wireshark)\n")
        out.flush()
        if not args.no_console and sys.stdin.isatty() and out.isatty():
            from emu.console import run_console
            out.write("\n== the lab keeps running: you are at its console (help for the keys, "
                      "Ctrl-D to leave) ==\n")
            out.flush()
            lab.on_console = None
            lab.realtime = True
            status = run_console(lab)
            return status if failed == 0 else 1
        return 1 if failed else 0
    finally:
        lab.close()


def _run_example(name: str, argv: list[str]) -> int:
    import runpy
    path = Path(__file__).resolve().parent.parent / "examples" / name
    if not path.exists():
        print(f"kamebox: {path}: example not found (run from a source checkout)", file=sys.stderr)
        return 2
    old = sys.argv
    sys.argv = [str(path), *argv]
    try:
        runpy.run_path(str(path), run_name="__main__")
    except SystemExit as e:
        return int(e.code or 0) if not isinstance(e.code, str) else (print(e.code, file=sys.stderr) or 1)
    finally:
        sys.argv = old
    return 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    try:
        return _main(argv)
    except BrokenPipeError:
        # the reader went away (kamebox run ... | head): stop quietly, as filters do
        import os
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return 1


def _main(argv: Optional[Sequence[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["demo"] and "--driver" in argv[1:]:     # the example parses its own options
        rest = list(argv[1:])
        rest.remove("--driver")
        return _run_example(EXAMPLES["driver"], rest)
    if argv[:2] == ["example", "driver"]:
        return _run_example(EXAMPLES["driver"], argv[2:])
    parser = build_parser()
    args = parser.parse_args(argv)
    commands = {"run": cmd_run, "demo": cmd_demo}
    if args.cmd in commands:
        try:
            return commands[args.cmd](args, sys.stdout, sys.stderr)
        except KeyboardInterrupt:                 # Ctrl-C outside the console: stop quietly
            sys.stdout.flush()
            return 130
        except ConfigError as e:
            print(str(e), file=sys.stderr)
            return 2
        except UsageError as e:
            print(f"kamebox: {e}", file=sys.stderr)
            return 2
    parser.print_help()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
