"""Labs: machines, NICs and segments on one clock (the front of the emulator).

This is the one place (with cli.py, console.py and __main__.py) where the
hardware, the kernel, the drivers and the images meet.  A :class:`Lab` owns
the scheduler (one clock, one seeded RNG), the segments and the machines; it
plugs NIC models into machines, cables them to segments, and boots each
machine's kernel with a kernel configuration naming its drivers — BSD's
``device em`` — taken from :data:`DRIVERS`, and its programs.

A lab comes from a lab file (docs/labs.md)::

    lab = Lab.from_file("images/labs/demo.toml")
    lab.boot()
    status, output = lab.run_command("alice", "ping6 -c 3 bob")

or is built in code::

    lab = Lab(seed=1)
    seg = lab.segment("net0")
    a = lab.machine("a", nics=[("em", seg)])
    b = lab.machine("b", nics=[("em", seg)])
    lab.boot()
    lab.run_for(SEC)

Each host of a lab file gets its image's files (emu/images.py), the lab's
``[host.NAME.files]`` over them, with the lab's ``[host.NAME.rc]`` values written into its /etc/rc.conf and the lab's hosts
in /etc/hosts (:func:`lab_images`, reading rc.conf with userland/rcconf.py,
the parser /etc/rc uses too).  Booting gives each kernel
``KernelConfig(devices=..., programs=...)`` with the programs of
``userland.programs``, fills its filesystem (``kernel.kern.vfs.vfs_seed``) and
starts /sbin/init as pid 1 (``Kernel.start_init``), which runs /etc/rc;
:meth:`Lab.boot` waits for every /etc/rc.  Commands run as children of init
(``Kernel.spawn``), are watched through their ``proc`` (``p.exit_code``,
``p.on_exit``) and interrupted with ``Kernel.kill``.
"""
from __future__ import annotations

import asyncio
import ipaddress
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Optional, Union

from drivers.if_em import em_driver
from drivers.if_re import re_driver
from drivers.kce import kce_driver
from emu import images as _images
from emu import labfile
from emu.devices.em import E1000
from emu.devices.kce import KCE
from emu.devices.re import RTL8169
from emu.diag import ConfigError, show
from emu.machine import Machine
from emu.sched import MS, SEC, RealtimePacer, Scheduler
from emu.wire.pcap import LabCapture
from emu.wire.segment import Segment
from emu.wire.tap import Tap, TapError
from kernel.kern.init_main import Kernel, KernelConfig
from kernel.kern import kern_proc
from kernel.kern.vfs import vfs_seed
from userland.programs import PROGRAMS
from userland.rcconf import RcConf, RcConfError, apply_overrides, read_rcconf

# Device models by the name a lab uses, and the driver that attaches to each.
MODELS: dict[str, Callable[..., Any]] = {"em": E1000, "re": RTL8169}
DRIVERS = {"em": em_driver, "re": re_driver}
# Crypto offload cards (a lab file's ``crypto = "kce"``), and their drivers.
CRYPTO_MODELS: dict[str, Callable[..., Any]] = {"kce": KCE}
CRYPTO_DRIVERS = {"kce": kce_driver}

# Where commands are looked up, as root's PATH on FreeBSD.
PATH = ("/sbin", "/bin", "/usr/sbin", "/usr/bin")
SIGINT = 2
SIGKILL = 9
DEFAULT_TIMEOUT = 60 * SEC
POLL_WALL = 0.005        # realtime mode: how often (wall s) to look whether a command ended
INIT = "/sbin/init"      # pid 1 of a host with an image; it runs RC
RC = "/etc/rc"
BOOT_RC_TIMEOUT = 120 * SEC

OutputHook = Callable[[str, str], None]     # (host, text)

# rc.conf variables that carry static IPv6 addresses (rc.conf(5), network.subr):
#   ifconfig_<if>="inet6 ADDR ..."   ifconfig_<if>_ipv6="inet6 ADDR prefixlen N"
#   ifconfig_<if>_alias<n>="inet6 ADDR ..."   ifconfig_<if>_aliases="inet6 A ... inet6 B ..."
#   ipv6_ifconfig_<if>="ADDR prefixlen N"     ipv6_ifconfig_<if>_alias<n>="ADDR ..."  (FreeBSD <= 8)
_IFCONFIG = re.compile(r"ifconfig_([a-z]+[0-9]+)(_ipv6|_alias[0-9]+|_aliases|_ipv6_alias[0-9]+)?\Z")
_IPV6_IFCONFIG = re.compile(r"ipv6_ifconfig_([a-z]+[0-9]+)(_alias[0-9]+)?\Z")


def program_table() -> dict[str, Callable[..., Any]]:
    """Program path -> main function: the registry of ``userland/programs.py``."""
    return dict(PROGRAMS)


# -- host images: the image's files, the lab's rc.conf values, /etc/hosts --------------------

@dataclass(frozen=True)
class StaticAddress:
    ifname: str
    addr: str             # compressed text form (RFC 5952)
    prefixlen: Optional[int]
    var: str              # the rc.conf variable it came from


def static_inet6_addresses(rc: Mapping[str, str]) -> list[StaticAddress]:
    """The static IPv6 addresses configured by rc.conf variables ``rc``, in order.

    Link-local, loopback and multicast addresses are left out (they do not go in
    /etc/hosts).  A malformed address raises ``ValueError((var, message))``.
    """
    out: list[StaticAddress] = []
    for var, value in rc.items():
        m = _IFCONFIG.match(var)
        if m:
            words = value.split()
            for i, w in enumerate(words):
                if w == "inet6" and i + 1 < len(words) and ":" in words[i + 1]:
                    out += _address(var, m.group(1), words[i + 1], words[i + 2:])
            continue
        m = _IPV6_IFCONFIG.match(var)
        if m and value.split():
            words = value.split()
            out += _address(var, m.group(1), words[0], words[1:])
    return out


def _address(var: str, ifname: str, word: str, rest: list[str]) -> list[StaticAddress]:
    text, _, plen = word.partition("/")
    try:
        addr = ipaddress.IPv6Address(text)
    except ValueError:
        raise ValueError((var, f"expected an IPv6 address, got {word!r}")) from None
    prefixlen: Optional[int] = None
    if plen:
        if not plen.isdigit() or int(plen) > 128:
            raise ValueError((var, f"expected a prefix length 0..128, got {word!r}"))
        prefixlen = int(plen)
    elif len(rest) >= 2 and rest[0] == "prefixlen":
        if not rest[1].isdigit() or int(rest[1]) > 128:
            raise ValueError((var, f"expected a prefix length 0..128, got {rest[1]!r}"))
        prefixlen = int(rest[1])
    if addr.is_link_local or addr.is_loopback or addr.is_multicast:
        return []
    return [StaticAddress(ifname, addr.compressed, prefixlen, var)]


# rc.conf variables that carry static IPv4 addresses (network.subr ifconfig_up, ipv4_up):
#   ifconfig_<if>="inet ADDR netmask M"  ifconfig_<if>="inet ADDR/LEN"  (or the address first:
#   ifconfig's family is inet)  ifconfig_<if>_alias<n>="inet ..."
#   ifconfig_<if>_aliases="inet A ... inet B ..."
_IFCONFIG4 = re.compile(r"ifconfig_([a-z]+[0-9]+)(_alias[0-9]+|_aliases)?\Z")


def static_inet_addresses(rc: Mapping[str, str]) -> list[StaticAddress]:
    """The static IPv4 addresses configured by rc.conf variables ``rc``, in order.

    Loopback, unspecified and multicast addresses are left out.  A malformed
    address raises ``ValueError((var, message))``."""
    from kernel.wire.in_ import in_mask2len, inet_aton
    out: list[StaticAddress] = []
    for var, value in rc.items():
        m = _IFCONFIG4.match(var)
        if not m:
            continue
        words = value.split()
        starts = [i + 1 for i, w in enumerate(words) if w == "inet" and i + 1 < len(words)]
        if not m.group(2) and words and "." in words[0] and words[0][0].isdigit():
            starts.insert(0, 0)                  # ifconfig_em0="192.0.2.1/24": inet by default
        for i in starts:
            text, _, plen = words[i].partition("/")
            a = inet_aton(text)
            if a is None:
                raise ValueError((var, f"expected an IPv4 address, got {words[i]!r}"))
            prefixlen: Optional[int] = None
            if plen:
                if not plen.isdigit() or int(plen) > 32:
                    raise ValueError((var, f"expected a prefix length 0..32, got {words[i]!r}"))
                prefixlen = int(plen)
            elif i + 2 < len(words) and words[i + 1] == "netmask":
                mask = inet_aton(words[i + 2])
                prefixlen = in_mask2len(mask) if mask is not None else -1
                if prefixlen < 0:
                    raise ValueError((var, f"expected a netmask, got {words[i + 2]!r}"))
            addr = ipaddress.IPv4Address(a)
            if addr.is_loopback or addr.is_multicast or addr.is_unspecified:
                continue
            out.append(StaticAddress(m.group(1), str(addr), prefixlen, var))
    return out


@dataclass
class HostImage:
    """A lab host's files, before they seed its filesystem."""

    name: str
    files: dict[str, bytes]
    rc: RcConf                      # the effective /etc/rc.conf
    addresses: list[StaticAddress]

    @property
    def hostname(self) -> str:
        return self.rc.get("hostname") or self.name


def host_image(spec: labfile.LabSpec, host: labfile.HostSpec) -> HostImage:
    """Read ``host``'s image, lay the lab's ``[host.NAME.files]`` over it, and
    write its ``[host.NAME.rc]`` values, and ``hostname="NAME"`` unless it sets
    ``hostname`` itself, into /etc/rc.conf.

    Errors in the image's rc.conf name the image file; errors in values set by
    the lab file, and in an rc.conf the lab file gives, name the lab file line.
    """
    assert host.image_dir is not None
    files = _images.load_image(host.image_dir, spec.images_dir)
    merge_files(spec, host, files)
    # Where a configuration file came from: (name shown in messages, line of its line 1).
    def source(path: str) -> tuple[str, int]:
        if path in host.files:
            return f"{spec.path} [host.{host.name}.files] {path}", host.files_lines[path]
        return _images.display(_images.file_source(path, host.image_dir, spec.images_dir)), 1
    shown, _ = source(_images.RC_CONF)
    dshown, _ = source(_images.DEFAULTS_RC_CONF)
    lab_sources = {n: source(p) for n, p in ((shown, _images.RC_CONF),
                                             (dshown, _images.DEFAULTS_RC_CONF))
                   if p in host.files}

    def error(path: str, line: int, message: str) -> ConfigError:
        if path in lab_sources:                   # a file of the lab file: its lab file line
            return spec.error(lab_sources[path][1] + max(line, 1) - 1, message)
        return ConfigError(path, line, message)

    try:
        defaults = _images.text_of(files.get(_images.DEFAULTS_RC_CONF, b""), dshown)
        text = _images.text_of(files.get(_images.RC_CONF, b""), shown)
    except ConfigError as e:
        raise error(e.path, e.line, e.message) from None
    overrides = dict(host.rc)
    if "hostname" not in overrides:
        overrides = {"hostname": host.name, **overrides}
    comment = f"# [host.{host.name}.rc] from {spec.path}"
    try:
        env = read_rcconf(defaults, dshown).vars
        image_rc = read_rcconf(text, shown, env)
        new_text = apply_overrides(text, overrides, shown, comment)
        rc = read_rcconf(new_text, shown, env)     # values are quoted: cannot break the syntax
    except RcConfError as e:
        raise error(e.path, e.line, e.message) from None
    try:
        addrs = static_inet6_addresses(rc.vars) + static_inet_addresses(rc.vars)
    except ValueError as e:
        var, msg = e.args[0]
        if var in host.rc:
            raise spec.error(host.rc_lines[var], f"host.{host.name}.rc.{var}: {msg}") from None
        raise error(shown, image_rc.line_of(var) or 1, f"{var}: {msg}") from None
    files[_images.RC_CONF] = new_text.encode()
    return HostImage(host.name, files, rc, addrs)


def merge_files(spec: labfile.LabSpec, host: labfile.HostSpec, files: dict[str, bytes]) -> None:
    """Lay the lab file's ``[host.NAME.files]`` over the image's ``files``: each
    replaces the image's file of that path or is added, with its directories.
    A path that is a directory of the image, or below one of its files, is an
    error naming the lab file line."""
    for path, text in host.files.items():
        where = f"host.{host.name}.files.{show(path)}"
        if path + "/" in files:
            raise spec.error(host.files_lines[path],
                             f"{where}: {path} is a directory of image {host.image}")
        parts = path.split("/")[1:-1]
        for i in range(1, len(parts) + 1):
            d = "/" + "/".join(parts[:i])
            if d in files:
                raise spec.error(host.files_lines[path],
                                 f"{where}: {d} is a file of image {host.image}, "
                                 f"not a directory")
            files.setdefault(d + "/", b"")
        files[path] = text.encode()


def hosts_lines(hosts: Iterable[HostImage]) -> list[str]:
    """/etc/hosts lines for the static addresses of ``hosts`` (hosts(5) format)."""
    lines: list[str] = []
    for h in hosts:
        names = [h.hostname]
        short = h.hostname.split(".")[0]
        for n in (short, h.name):
            if n not in names:
                names.append(n)
        seen: set[str] = set()
        for a in h.addresses:
            if a.addr in seen:
                continue
            seen.add(a.addr)
            lines.append(f"{a.addr:<23} {' '.join(names)}")
    return lines


def lab_images(spec: labfile.LabSpec, programs: Iterable[str] = ()) -> dict[str, HostImage]:
    """Every host of a lab with its files (path -> bytes), ready for ``vfs_seed``:
    the image, rc.conf with the lab's values, /etc/hosts listing the lab, programs."""
    images = [host_image(spec, h) for h in spec.hosts.values()]
    generated = hosts_lines(images)
    header = f"# hosts of lab {spec.name} ({spec.path}), generated by kamebox"
    progs = sorted(set(programs))
    for img in images:
        files = img.files
        base = files.get(_images.HOSTS, b"::1\t\t\tlocalhost\n").decode("utf-8", "replace")
        if base and not base.endswith("\n"):
            base += "\n"
        files[_images.HOSTS] = (base + header + "\n" + "".join(l + "\n" for l in generated)).encode()
        _images.add_programs(files, progs)
    return {img.name: img for img in images}


# -- machines and commands ------------------------------------------------------------------

@dataclass
class LabMachine:
    """A machine of the lab with its kernel and NICs."""

    name: str
    machine: Machine
    nics: list[Any] = field(default_factory=list)
    kernel: Optional[Kernel] = None
    ifnames: list[str] = field(default_factory=list)      # em0, em1, ... (NIC order)
    segments: list[Optional[str]] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)  # what seeds the filesystem
    image: Optional[HostImage] = None
    hints: dict[str, str] = field(default_factory=dict)    # loader tunables, device hints

    def ifnet(self, name: str) -> Any:
        assert self.kernel is not None, "boot the lab first"
        return self.kernel.ifunit(name)

    @property
    def console(self) -> str:
        return self.machine.console_text()


class Tty:
    """Where a command's stdout and stderr go: kept, and streamed to ``on_output``."""

    def __init__(self, host: str, on_output: Optional[OutputHook] = None) -> None:
        self.host = host
        self.data = bytearray()
        self.on_output = on_output

    def write(self, data: Union[bytes, bytearray, memoryview, str]) -> int:
        if isinstance(data, str):
            data = data.encode("utf-8", "replace")
        self.data += data
        if self.on_output is not None:
            self.on_output(self.host, bytes(data).decode("utf-8", "replace"))
        return len(data)

    def flush(self) -> None:
        pass

    @staticmethod
    def isatty() -> bool:
        return True

    @property
    def text(self) -> str:
        return self.data.decode("utf-8", "replace")


class Job:
    """A command started on a host: its process (None if it could not start) and tty."""

    def __init__(self, host: str, line: str, tty: Tty, kernel: Optional[Kernel] = None,
                 proc: Optional[kern_proc.proc] = None, status: Optional[int] = None) -> None:
        self.host = host
        self.line = line
        self.tty = tty
        self.kernel = kernel
        self.proc = proc
        self._status = status

    @property
    def status(self) -> Optional[int]:
        """Exit status as a shell shows it (128 + signal), None while the process runs."""
        if self._status is None and self.proc is not None:
            self._status = self.proc.exit_code
        return self._status

    @property
    def done(self) -> bool:
        return self.status is not None

    def interrupt(self, sig: int = SIGINT) -> bool:
        """Send ``sig`` (SIGINT: the console's Ctrl-C) to the process."""
        if self.done or self.kernel is None or self.proc is None:
            return False
        return self.kernel.kill(self.proc.p_pid, sig)

    @property
    def output(self) -> str:
        return self.tty.text


class Lab:
    def __init__(self, seed: int = 0, name: str = "lab") -> None:
        self.sched = Scheduler(seed)
        self.name = name
        self.spec: Optional[labfile.LabSpec] = None
        self.segments: dict[str, Segment] = {}
        self.machines: dict[str, LabMachine] = {}
        self._mac_serial = 0
        self._macs_taken: set[bytes] = set()
        self.capture: Optional[LabCapture] = None
        self._pcaps: list[Any] = []
        self.programs: dict[str, Callable[..., Any]] = {}
        self.realtime = False
        self.on_console: Optional[OutputHook] = None    # (host, text) of every console
        self.taps: dict[str, Tap] = {}                  # segment -> its bridge to a Linux TAP

    # -- from a lab file ------------------------------------------------------------
    @classmethod
    def from_file(cls, path: Union[str, Path], seed: Optional[int] = None, *,
                  images_dir: Optional[Path] = None,
                  programs: Optional[dict[str, Callable[..., Any]]] = None,
                  pcap_dir: Optional[Union[str, Path]] = None) -> "Lab":
        """Build the lab a lab file describes (not booted).

        ``seed`` overrides ``[lab] seed``; ``programs`` (path -> main) defaults
        to :func:`program_table`; ``pcap_dir`` captures each segment to
        ``DIR/SEGMENT.pcap``.  Mistakes in the lab file, an image's rc.conf or
        the values it sets raise :class:`emu.diag.ConfigError`.
        """
        spec = labfile.load_lab(path, MODELS, images_dir)
        return cls.from_spec(spec, seed, programs=programs, pcap_dir=pcap_dir)

    @classmethod
    def from_spec(cls, spec: labfile.LabSpec, seed: Optional[int] = None, *,
                  programs: Optional[dict[str, Callable[..., Any]]] = None,
                  pcap_dir: Optional[Union[str, Path]] = None) -> "Lab":
        lab = cls(spec.seed if seed is None else seed, spec.name)
        lab.spec = spec
        lab.programs = program_table() if programs is None else dict(programs)
        host_images = lab_images(spec, lab.programs)
        for seg in spec.segments.values():
            lab.segment(seg.name, latency_ns=seg.latency_ns, bitrate_bps=seg.bitrate_bps,
                        loss=seg.loss, mtu=seg.mtu)
        for host in spec.hosts.values():
            for nic in host.nics:
                if nic.mac is not None:
                    lab._macs_taken.add(nic.mac)
        for host in spec.hosts.values():
            lm = lab.machine(host.name, [(n.model, lab.segments[n.segment] if n.segment else None,
                                          n.mac) for n in host.nics], host.mem,
                             crypto=host.crypto)
            lm.hints = dict(host.loader)
            lm.image = host_images[host.name]
            lm.files = lm.image.files
        if pcap_dir is not None:
            lab.capture_dir(pcap_dir)
        return lab

    # -- building -----------------------------------------------------------------
    def segment(self, name: str, **params: Any) -> Segment:
        if name in self.segments:
            raise ValueError(f"segment {name!r} already exists")
        seg = Segment(self.sched, name, **params)
        self.segments[name] = seg
        if self.capture is not None:
            self.capture.attach(seg)
        return seg

    def next_mac(self) -> bytes:
        """Locally administered unicast addresses 02:00:00:00:mm:nn, in lab order
        (skipping any a lab file gave explicitly)."""
        while True:
            self._mac_serial += 1
            s = self._mac_serial
            mac = bytes((0x02, 0, 0, 0, s >> 8 & 0xFF, s & 0xFF))
            if mac not in self._macs_taken:
                self._macs_taken.add(mac)
                return mac

    def machine(self, name: str, nics: Any = (), mem_size: int = 16 << 20,
                crypto: Optional[str] = None) -> LabMachine:
        """Add a machine with NICs ``[(model, segment or None[, mac]), ...]`` and,
        if ``crypto`` names one, a crypto offload card."""
        if name in self.machines:
            raise ValueError(f"machine {name!r} already exists")
        m = Machine(self.sched, name, mem_size)
        lm = LabMachine(name, m)
        units: dict[str, int] = {}
        for nic in nics:
            model, seg = nic[0], nic[1]
            mac = nic[2] if len(nic) > 2 and nic[2] is not None else self.next_mac()
            if model not in MODELS:
                raise ValueError(f"machine {name!r}: unknown NIC model {model!r} "
                                 f"(expected one of {', '.join(sorted(MODELS))})")
            unit = units.get(model, 0)
            units[model] = unit + 1
            dev = MODELS[model](mac)
            m.plug(dev)
            if seg is not None:
                dev.connect(seg.attach(dev, f"{name}.{model}{unit}"))
            lm.nics.append(dev)
            lm.ifnames.append(f"{model}{unit}")
            lm.segments.append(seg.name if seg is not None else None)
        if crypto is not None:
            if crypto not in CRYPTO_MODELS:
                raise ValueError(f"machine {name!r}: unknown crypto card {crypto!r} "
                                 f"(expected one of {', '.join(sorted(CRYPTO_MODELS))})")
            m.plug(CRYPTO_MODELS[crypto](name=f"{name}.{crypto}0"))
        m.console_listeners.append(lambda data, host=name: self._console(host, data))
        self.machines[name] = lm
        return lm

    def _console(self, host: str, data: bytes) -> None:
        if self.on_console is not None:
            self.on_console(host, data.decode("utf-8", "replace"))

    def capture_to(self, path: str) -> LabCapture:
        """Capture every segment (present and future) into one pcapng file."""
        self.capture = LabCapture(path)
        for seg in self.segments.values():
            self.capture.attach(seg)
        return self.capture

    def capture_dir(self, directory: Union[str, Path]) -> list[Path]:
        """Capture each segment to its own pcap file, ``DIRECTORY/SEGMENT.pcap``."""
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        paths = []
        for name, seg in self.segments.items():
            p = d / f"{name}.pcap"
            self._pcaps.append(seg.capture_to(p))
            paths.append(p)
        return paths

    def tap(self, segment: str, ifname: str) -> Tap:
        """Bridge ``segment`` to the Linux TAP ``ifname`` (emu/wire/tap.py): attach
        to it, or create it.  Raises :class:`TapError` (one line) when it cannot be
        opened.  A lab with a TAP runs paced to the wall clock once booted."""
        if segment not in self.segments:
            raise ValueError(f"no segment {show(segment)} (segments: "
                             f"{', '.join(self.segments) or 'none'})")
        if segment in self.taps:
            raise ValueError(f"segment {segment} is already bridged to TAP "
                             f"{self.taps[segment].ifname}")
        tap = Tap(self.segments[segment], ifname)
        self.taps[segment] = tap
        if any(lm.kernel is not None for lm in self.machines.values()):
            self.realtime = True
        return tap

    def open_taps(self) -> None:
        """Open the TAPs the lab file names (``[segment.NAME] tap``) that are not
        open yet; an error names the lab file line."""
        if self.spec is None:
            return
        for seg in self.spec.segments.values():
            if seg.tap is not None and seg.name not in self.taps:
                try:
                    self.tap(seg.name, seg.tap)
                except TapError as e:
                    raise self.spec.error(seg.tap_line, f"segment.{seg.name}.tap: {e}") from None

    def pacer(self, speed: float = 1.0) -> RealtimePacer:
        """A pacer of the lab's clock that also reads the lab's TAPs."""
        pacer = RealtimePacer(self.sched, speed)
        for tap in self.taps.values():
            tap.start(pacer)
        return pacer

    # -- running ------------------------------------------------------------------
    def boot(self, settle: int = 10 * MS, rc_timeout: int = BOOT_RC_TIMEOUT) -> None:
        """Boot every machine's kernel, seed its filesystem, start init.

        A machine with an image (a lab file's host) runs ``/sbin/init`` as
        pid 1, which runs ``/etc/rc``: the lab then runs until every host's
        /etc/rc has finished (at most ``rc_timeout`` virtual ns), and at
        least ``settle`` ns.  Machines built in code (no image) get no init:
        their interfaces stay down until a command configures them.

        The TAPs of the lab file are opened first.  Booting runs in virtual time
        (unless ``realtime`` is set); a lab with a TAP runs paced afterwards.
        """
        self.open_taps()
        start = self.sched.now
        for lm in self.machines.values():
            models = {type(d) for d in lm.machine.bus.devices()}
            drivers = [DRIVERS[n] for n, cls in MODELS.items() if cls in models]
            drivers += [CRYPTO_DRIVERS[n] for n, cls in CRYPTO_MODELS.items() if cls in models]
            lm.kernel = Kernel(lm.machine.platform,
                               KernelConfig(devices=drivers, programs=self.programs,
                                            hints=dict(lm.hints)))
            lm.kernel.boot()
            if lm.files:
                vfs_seed(lm.kernel, lm.files)         # before the clock runs: init finds rc.conf
                if INIT in self.programs:
                    self._start_init(lm)
        self.run_for(min(settle, 10 * MS))
        self.wait_rc(rc_timeout)
        left = start + settle - self.sched.now
        if left > 0:
            self.run_for(left)
        if self.taps:
            self.realtime = True

    def _start_init(self, lm: LabMachine) -> None:
        """init_main.c's start_init: pid 1 runs /sbin/init."""
        assert lm.kernel is not None
        try:
            lm.kernel.start_init(INIT)
        except OSError as e:
            lm.machine.console_write(f"init: not found in path {INIT}: "
                                     f"{e.strerror or e}\n")

    def rc_running(self) -> list[str]:
        """The hosts whose /etc/rc has not finished yet."""
        out = []
        for name, lm in self.machines.items():
            k = lm.kernel
            if k is None or lm.machine.panicked is not None:
                continue
            if any(p.p_argv[:1] == [RC] and p.exit_code is None for p in k.allproc.values()):
                out.append(name)
        return out

    def wait_rc(self, timeout: int = BOOT_RC_TIMEOUT) -> bool:
        """Run until every host's /etc/rc has finished; False on timeout."""
        deadline = self.sched.now + timeout
        while self.rc_running():
            if self.sched.now >= deadline:
                return False
            self.run_for(min(100 * MS, deadline - self.sched.now))
        return True

    def run_for(self, delta: int) -> None:
        """Advance the lab ``delta`` ns: at once, or paced to the wall clock if realtime."""
        if self.realtime:
            asyncio.run(self.pacer().run(delta / SEC))
            return
        sched = self.sched
        target = sched.now + delta
        # A command that exits stops the scheduler (start_command) so that
        # ``wait`` returns at its exit event; that must not cut this run short.
        sched.run_until(target)
        while sched.now < target:
            sched.run_until(target)

    def run_until_idle(self, max_events: int = 10_000_000) -> None:
        self.sched.run_until_idle(max_events)

    def flush_captures(self) -> None:
        """Write out what the capture files hold so far (they stay open)."""
        if self.capture is not None:
            self.capture.writer.flush()
        for w in self._pcaps:
            w.flush()

    def close(self) -> None:
        for tap in self.taps.values():
            tap.close()
        self.taps.clear()
        if self.capture is not None:
            self.capture.close()
            self.capture = None
        for w in self._pcaps:
            w.close()
        self._pcaps.clear()

    # -- commands -----------------------------------------------------------------
    def which(self, host: str, name: str) -> Optional[str]:
        """The path of command ``name`` on ``host`` (PATH=/sbin:/bin:/usr/sbin:/usr/bin)."""
        lm = self.machines[host]
        known = set(self.programs) | {p for p in lm.files if not p.endswith("/")}
        if "/" in name:
            return name if name in known else None
        for d in PATH:
            if f"{d}/{name}" in known:
                return f"{d}/{name}"
        return None

    def command_names(self, host: Optional[str] = None) -> list[str]:
        """The commands found in PATH (for completion)."""
        paths = set(self.programs)
        if host is not None and host in self.machines:
            paths |= {p for p in self.machines[host].files if not p.endswith("/")}
        return sorted({p.rsplit("/", 1)[1] for p in paths if p.rsplit("/", 1)[0] in PATH})

    def start_command(self, host: str, line: str,
                      on_output: Optional[OutputHook] = None) -> Job:
        """Start ``line`` on ``host`` as csh would without a shell: split it with
        shlex, find argv[0] in PATH and spawn it with its tty captured.

        The job is returned at once; a command that cannot start comes back as
        a finished job with a message (``alice: ping7: Command not found.``).
        """
        tty = Tty(host, on_output)

        def fail(status: int, message: str) -> Job:
            tty.write(message + "\n")
            return Job(host, line, tty, status=status)

        lm = self.machines.get(host)
        if lm is None:
            return fail(1, f"kamebox: no host {show(host)} (hosts: {', '.join(self.machines)})")
        try:
            argv = shlex.split(line, comments=True)
        except ValueError as e:
            return fail(1, f"{host}: {e}.")
        if not argv:
            return Job(host, line, tty, status=0)
        path = self.which(host, argv[0])
        if path is None:
            return fail(127, f"{host}: {argv[0]}: Command not found.")
        k = lm.kernel
        if k is None:
            return fail(126, f"{host}: {argv[0]}: cannot run programs: the lab is not booted")
        if lm.machine.panicked is not None:
            return fail(126, f"{host}: the kernel has panicked ({lm.machine.panicked})")
        try:
            p = k.spawn(path, argv, stdout=tty, stderr=tty)
        except OSError as e:                           # as csh: "/etc/motd: Permission denied."
            return fail(126, f"{host}: {argv[0]}: {e.strerror or e}.")
        p.on_exit(lambda _p: self.sched.stop())      # end the run at the exit event
        return Job(host, line, tty, kernel=k, proc=p)

    def wait(self, job: Job, timeout: int = DEFAULT_TIMEOUT) -> int:
        """Run the lab until ``job`` exits (virtual or realtime); on timeout send
        SIGINT, then SIGKILL a virtual second later."""
        if job.done:
            return job.status  # type: ignore[return-value]
        for sig, span in ((None, timeout), (SIGINT, SEC), (SIGKILL, SEC)):
            if sig is not None:
                job.tty.write(f"{job.host}: {job.line.split()[0]}: timed out after "
                              f"{labfile.format_duration(timeout)}, sending "
                              f"{'SIGINT' if sig == SIGINT else 'SIGKILL'}\n")
                job.interrupt(sig)
            if self._run_while(job, span):
                return job.status  # type: ignore[return-value]
        return job.status if job.status is not None else 1

    def _run_while(self, job: Job, span: int) -> bool:
        """Run until ``job`` is done or ``span`` ns passed; True if it is done."""
        deadline = self.sched.now + span
        if self.realtime:
            asyncio.run(self._paced_while(job, deadline))
            return job.done
        sched = self.sched
        while not job.done and sched.now < deadline:
            sched.run_until(deadline)
        return job.done

    async def _paced_while(self, job: Job, deadline: int) -> None:
        pacer = self.pacer()
        task = asyncio.ensure_future(pacer.run())
        try:
            while not job.done and self.sched.now < deadline and not task.done():
                await asyncio.sleep(POLL_WALL)
        finally:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass

    def run_command(self, host: str, line: str, timeout: int = DEFAULT_TIMEOUT,
                    on_output: Optional[OutputHook] = None) -> tuple[int, str]:
        """Run ``line`` on ``host`` until it exits: ``(exit status, output)``."""
        job = self.start_command(host, line, on_output)
        status = self.wait(job, timeout)
        return status, job.output


__all__ = ["Lab", "LabMachine", "Job", "Tty", "MODELS", "DRIVERS", "PATH", "SEC", "MS",
           "program_table", "HostImage", "StaticAddress", "host_image", "merge_files", "hosts_lines",
           "lab_images", "static_inet6_addresses", "static_inet_addresses"]
