"""labfile: lab files (TOML) parsed and checked into plain dataclasses.

A lab file names the segments of a lab, its hosts, their images and NICs:
``[lab]`` (name, seed), ``[segment.NAME]`` (latency, rate, mtu ...), and for
each ``[host.NAME]`` its image and ``nic = [{model = "em", segment = "lan0"}]``,
with ``[host.NAME.rc]`` (rc.conf variables) and ``[host.NAME.files]`` (files
laid over the image).  images/labs/pair.toml is the smallest whole one;
docs/labs.md describes every key.

:func:`load_lab` returns a :class:`LabSpec`; :meth:`emu.lab.Lab.from_file`
builds it.  This module is pure — it imports nothing of the kernel, the drivers
or the hardware — so the format can be checked (and documented, docs/labs.md)
on its own.  Every mistake is a :class:`~emu.diag.ConfigError` naming file and
line: TOML syntax errors carry the line tomllib reports, other errors the line
of the offending key, found by :mod:`emu.tomlpos`.  Unknown keys are errors,
listing the known ones.
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Optional, Union

from emu import images
from emu.diag import ConfigError, show
from emu.tomlpos import KeyPath, Positions

# Defaults of a segment: those of emu.wire.segment.Segment.
DEFAULT_LATENCY_NS = 1_000
DEFAULT_RATE_BPS = 1_000_000_000
DEFAULT_MTU = 1500
MIN_MTU = 68
MAX_MTU = 65535
DEFAULT_MEM = 16 << 20
MIN_MEM = 4 << 20
MAX_MEM = 4 << 30
DEFAULT_IMAGE = "host"
NIC_MODELS = ("em",)          # emu.lab.MODELS passes the real list
CRYPTO_MODELS = ("kce",)      # crypto cards a host may have (emu.lab.CRYPTO_MODELS)

KNOWN = {
    (): ("host", "lab", "segment"),
    ("lab",): ("description", "name", "seed"),
    ("segment", "*"): ("latency", "loss", "mtu", "rate", "tap"),
    ("host", "*"): ("crypto", "files", "image", "loader", "mem", "nic", "rc"),
    ("host", "*", "nic", "*"): ("mac", "model", "segment"),
}

_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]*\Z")         # segment names (also file names)
_HOSTNAME = re.compile(r"[A-Za-z]([A-Za-z0-9-]*[A-Za-z0-9])?\Z")   # RFC 952 / RFC 1123 2.1
_RCVAR = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_TUNABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)+\Z")   # hw.em.rxd, hint.em.0.rxd
_FILE_PART = re.compile(r"(?!\.\.?\Z)[^/\x00]+\Z")          # a path component: not . or ..
_MAC = re.compile(r"([0-9A-Fa-f]{2})(:[0-9A-Fa-f]{2}){5}\Z")
_IFNAME = re.compile(r"(?!\.\.?\Z)[^/:%\s]{1,15}\Z")         # a Linux interface name (a TAP)
_DURATION = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(ns|us|µs|ms|s)\s*\Z")
_RATE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([kMG]?)(bit|bps|bit/s)\s*\Z")
_SIZE = re.compile(r"\s*(\d+)\s*(?:([KMG])(?:iB|B)?|B)?\s*\Z")
_TIME_UNITS = {"ns": 1, "us": 1_000, "µs": 1_000, "ms": 1_000_000, "s": 1_000_000_000}
_RATE_UNITS = {"": 1, "k": 1_000, "M": 1_000_000, "G": 1_000_000_000}
_SIZE_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}


@dataclass(frozen=True)
class SegmentSpec:
    """``[segment.NAME]``: an Ethernet segment (see emu/wire/segment.py)."""

    name: str
    latency_ns: int = DEFAULT_LATENCY_NS
    bitrate_bps: int = DEFAULT_RATE_BPS
    loss: float = 0.0
    mtu: int = DEFAULT_MTU
    line: int = 0
    tap: Optional[str] = None     # a Linux TAP to bridge to (emu/wire/tap.py)
    tap_line: int = 0


@dataclass(frozen=True)
class NicSpec:
    """One element of ``nic = [...]``: a NIC model cabled to a segment."""

    model: str
    segment: Optional[str]
    mac: Optional[bytes] = None
    ifname: str = ""          # em0, em1, ... by driver unit order
    line: int = 0


@dataclass
class HostSpec:
    """``[host.NAME]``."""

    name: str
    image: str = DEFAULT_IMAGE
    image_dir: Optional[Path] = None
    nics: list[NicSpec] = field(default_factory=list)
    mem: int = DEFAULT_MEM
    crypto: Optional[str] = None                            # a crypto card: "kce"
    rc: dict[str, str] = field(default_factory=dict)        # [host.NAME.rc]
    rc_lines: dict[str, int] = field(default_factory=dict)  # rc key -> lab file line
    files: dict[str, str] = field(default_factory=dict)     # [host.NAME.files]: path -> text
    files_lines: dict[str, int] = field(default_factory=dict)  # path -> line of its text
    loader: dict[str, str] = field(default_factory=dict)    # [host.NAME.loader]: tunables
    line: int = 0


@dataclass
class LabSpec:
    """A whole lab file, checked."""

    path: str
    name: str
    seed: int = 0
    description: str = ""
    segments: dict[str, SegmentSpec] = field(default_factory=dict)
    hosts: dict[str, HostSpec] = field(default_factory=dict)
    images_dir: Path = images.IMAGES_DIR

    def error(self, line: int, message: str) -> ConfigError:
        return ConfigError(self.path, line, message)


# -- units ---------------------------------------------------------------------------------

def parse_duration(value: Any) -> Optional[int]:
    """``"1us"``, ``"2ms"``, ``"1.5ms"``, ``"0s"`` or an integer count of ns -> ns (None if bad)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, str):
        m = _DURATION.match(value)
        if m:
            ns = _scaled(m.group(1), _TIME_UNITS[m.group(2)])
            return ns
    return None


def parse_rate(value: Any) -> Optional[int]:
    """``"1Gbit"``, ``"100Mbit"``, ``"10Mbps"`` or an integer of bits/s -> bits/s (None if bad)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    if isinstance(value, str):
        m = _RATE.match(value)
        if m:
            bps = _scaled(m.group(1), _RATE_UNITS[m.group(2)])
            return bps if bps else None
    return None


def parse_size(value: Any) -> Optional[int]:
    """``"16M"``, ``"64MiB"``, ``"1G"`` (powers of 1024) or an integer of bytes (None if bad)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    if isinstance(value, str):
        m = _SIZE.match(value)
        if m and int(m.group(1)) > 0:
            return int(m.group(1)) * _SIZE_UNITS[m.group(2) or ""]
    return None


def _scaled(number: str, unit: int) -> Optional[int]:
    whole, _, frac = number.partition(".")
    n = int(whole) * unit
    if frac:
        scaled = int(frac) * unit
        div = 10 ** len(frac)
        if scaled % div:
            return None               # finer than the unit allows (below 1 ns, 1 bit/s)
        n += scaled // div
    return n


def format_duration(ns: int) -> str:
    for unit, mult in (("s", 1_000_000_000), ("ms", 1_000_000), ("us", 1_000)):
        if ns >= mult and ns % mult == 0:
            return f"{ns // mult}{unit}"
    return f"{ns}ns"


def format_rate(bps: int) -> str:
    for unit, mult in (("Gbit", 1_000_000_000), ("Mbit", 1_000_000), ("kbit", 1_000)):
        if bps >= mult and bps % mult == 0:
            return f"{bps // mult}{unit}"
    return f"{bps}bit"


def format_size(n: int) -> str:
    for unit, mult in (("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10)):
        if n >= mult and n % mult == 0:
            return f"{n // mult}{unit}"
    return str(n)


def format_mac(mac: bytes) -> str:
    return ":".join(f"{b:02x}" for b in mac)


# -- the parser ----------------------------------------------------------------------------

class _Checker:
    def __init__(self, path: str, text: str, models: tuple[str, ...],
                 images_dir: Path) -> None:
        self.path = path
        self.text = text
        self.models = models
        self.images_dir = images_dir
        self.pos = Positions(text)

    def line(self, path: KeyPath) -> int:
        return self.pos.line(path)

    def fail(self, path: KeyPath, message: str) -> ConfigError:
        return ConfigError(self.path, self.line(path), message)

    def expected(self, path: KeyPath, what: str, got: Any) -> ConfigError:
        return self.fail(path, f"{dotted(path)}: expected {what}, got {show(got)}")

    def table(self, path: KeyPath, value: Any, what: str = "a table") -> dict:
        if not isinstance(value, dict):
            raise self.expected(path, what, value)
        pattern = tuple("*" if isinstance(k, int) or (i == 1 and path[0] in ("segment", "host"))
                        else k for i, k in enumerate(path))
        known = KNOWN.get(pattern)
        if known is not None:
            for key in value:
                if key not in known:
                    where = dotted(path) or "lab file"
                    raise self.fail(path + (key,), f"{where}: unknown key {dotted((key,))} "
                                    f"(known keys: {', '.join(known)})")
        return value

    # -- sections ------------------------------------------------------------------------
    def check(self, doc: dict, default_name: str) -> LabSpec:
        self.table((), doc)
        lab = self.table(("lab",), doc.get("lab", {}))
        spec = LabSpec(path=self.path, name=default_name, images_dir=self.images_dir)
        if "name" in lab:
            spec.name = self.string(("lab", "name"), lab["name"])
            if not _NAME.match(spec.name):
                raise self.expected(("lab", "name"), "a name of letters, digits, - and _",
                                    spec.name)
        if "seed" in lab:
            seed = lab["seed"]
            if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
                raise self.expected(("lab", "seed"), "an integer >= 0", seed)
            spec.seed = seed
        if "description" in lab:
            spec.description = self.string(("lab", "description"), lab["description"])
        segments = self.table(("segment",), doc.get("segment", {}),
                              "tables like [segment.lan0]")
        taps: dict[str, str] = {}
        for name, body in segments.items():
            seg = spec.segments[name] = self.segment(name, body)
            if seg.tap is not None:
                if seg.tap in taps:
                    raise self.fail(("segment", name, "tap"), f"segment.{name}.tap: "
                                    f"{show(seg.tap)} is already bridged to segment "
                                    f"{taps[seg.tap]}")
                taps[seg.tap] = name
        hosts = self.table(("host",), doc.get("host", {}), "tables like [host.alice]")
        if not hosts:
            raise ConfigError(self.path, self.pos.last_line,
                              "a lab needs at least one host: add a [host.NAME] table")
        macs: dict[bytes, str] = {}
        for name, body in hosts.items():
            spec.hosts[name] = self.host(name, body, spec, macs)
        return spec

    def string(self, path: KeyPath, value: Any) -> str:
        if not isinstance(value, str):
            raise self.expected(path, "a string", value)
        return value

    def segment(self, name: str, body: Any) -> SegmentSpec:
        path: KeyPath = ("segment", name)
        if not _NAME.match(name):
            raise self.fail(path, f"segment name {show(name)}: expected letters, digits, "
                            f"- and _, starting with a letter")
        body = self.table(path, body)
        latency = DEFAULT_LATENCY_NS
        if "latency" in body:
            latency = parse_duration(body["latency"])
            if latency is None:
                raise self.expected(path + ("latency",), 'a duration like "1us" or "2ms"',
                                    body["latency"])
        rate = DEFAULT_RATE_BPS
        if "rate" in body:
            rate = parse_rate(body["rate"])
            if rate is None:
                raise self.expected(path + ("rate",),
                                    'a bit rate like "1Gbit", "100Mbit" or "10Mbit"',
                                    body["rate"])
        loss = 0.0
        if "loss" in body:
            v = body["loss"]
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v <= 1:
                raise self.expected(path + ("loss",), "a probability from 0 to 1", v)
            loss = float(v)
        mtu = DEFAULT_MTU
        if "mtu" in body:
            v = body["mtu"]
            if isinstance(v, bool) or not isinstance(v, int) or not MIN_MTU <= v <= MAX_MTU:
                raise self.expected(path + ("mtu",), f"an integer from {MIN_MTU} to {MAX_MTU}", v)
            mtu = v
        tap = None
        if "tap" in body:
            tap = body["tap"]
            if not isinstance(tap, str) or not _IFNAME.match(tap) or len(tap.encode()) > 15:
                raise self.expected(path + ("tap",), "a Linux interface name of 1 to 15 "
                                    "characters without / : % or spaces, like \"tap0\"", tap)
        return SegmentSpec(name, latency, rate, loss, mtu, self.line(path), tap,
                           self.line(path + ("tap",)) if tap is not None else 0)

    def host(self, name: str, body: Any, spec: LabSpec, macs: dict[bytes, str]) -> HostSpec:
        path: KeyPath = ("host", name)
        if not _HOSTNAME.match(name) or len(name) > 63:
            raise self.fail(path, f"host name {show(name)}: expected letters, digits and -, "
                            f"starting with a letter (RFC 952)")
        body = self.table(path, body)
        h = HostSpec(name, line=self.line(path))
        if "image" in body:
            h.image = self.string(path + ("image",), body["image"])
        h.image_dir = images.find_image(h.image, Path(self.path).parent, self.images_dir)
        if h.image_dir is None:
            names = images.image_names(self.images_dir)
            raise self.fail(path + ("image",),
                            f"{dotted(path + ('image',))}: no image {show(h.image)} "
                            f"(images: {', '.join(names) or 'none'}; or a directory "
                            f"relative to the lab file)")
        if "mem" in body:
            mem = parse_size(body["mem"])
            if mem is None:
                raise self.expected(path + ("mem",), 'a size like "16M" or a number of bytes',
                                    body["mem"])
            if not MIN_MEM <= mem <= MAX_MEM:
                raise self.fail(path + ("mem",), f"{dotted(path + ('mem',))}: expected "
                                f"from {format_size(MIN_MEM)} to {format_size(MAX_MEM)}, "
                                f"got {show(body['mem'])}")
            h.mem = mem
        if "crypto" in body:
            cpath = path + ("crypto",)
            card = body["crypto"]
            if card not in CRYPTO_MODELS:
                raise self.expected(cpath, f"one of {', '.join(CRYPTO_MODELS)}", card)
            h.crypto = card
        nics = body.get("nic", [])
        npath = path + ("nic",)
        if not isinstance(nics, list) or not all(isinstance(n, dict) for n in nics):
            raise self.expected(npath, 'an array of tables like [{model = "em", '
                                'segment = "lan0"}]', nics)
        units: dict[str, int] = {}
        for i, nic in enumerate(nics):
            h.nics.append(self.nic(npath + (i,), nic, spec, units, macs, name))
        rc = self.table(path + ("rc",), body.get("rc", {}),
                        "a table of rc.conf variables")
        for key, value in rc.items():
            kpath = path + ("rc", key)
            if not _RCVAR.match(key):
                raise self.fail(kpath, f"{dotted(path + ('rc',))}: {show(key)} is not an "
                                f"rc.conf variable name (letters, digits and _)")
            if isinstance(value, bool):
                value = "YES" if value else "NO"
            elif isinstance(value, int):
                value = str(value)
            elif not isinstance(value, str):
                raise self.expected(kpath, 'a string (or true/false for "YES"/"NO")', value)
            h.rc[key] = value
            h.rc_lines[key] = self.line(kpath)
        files = self.table(path + ("files",), body.get("files", {}),
                           'a table of files like "/etc/ipsec.conf" = """..."""')
        for key, value in files.items():
            fpath = path + ("files", key)
            parts = key.split("/")
            if not key.startswith("/") or key == "/" or not all(
                    _FILE_PART.match(p) for p in parts[1:]):
                raise self.fail(fpath, f"{dotted(path + ('files',))}: {show(key)}: expected "
                                f'an absolute file path like "/etc/ipsec.conf" (no "//", '
                                f'".", ".." or trailing "/")')
            for other in h.files:
                if other.startswith(key + "/") or key.startswith(other + "/"):
                    raise self.fail(fpath, f"{dotted(path + ('files',))}: {show(key)}: "
                                    f"{show(other)} is a file too, it cannot be a directory")
            if not isinstance(value, str):
                raise self.expected(fpath, 'a string (the file\'s text, e.g. """...""")', value)
            h.files[key] = value
            h.files_lines[key] = self.value_line(fpath)
        loader = self.table(path + ("loader",), body.get("loader", {}),
                            'a table of loader tunables like "hw.em.rxd" = 512')
        for key, value in loader.items():
            lpath = path + ("loader", key)
            if not _TUNABLE.match(key):
                raise self.fail(lpath, f"{dotted(path + ('loader',))}: {show(key)} is not a "
                                f'loader tunable name (dotted, like "hw.em.rxd" or '
                                f'"hint.em.0.rxd")')
            if isinstance(value, bool) or not isinstance(value, (int, str)):
                raise self.expected(lpath, "an integer or a string", value)
            h.loader[key] = str(value)
        return h

    def value_line(self, path: KeyPath) -> int:
        """The line where the text of the string at ``path`` starts: the key's line,
        or the next one when a multi-line string opens with a newline (TOML trims it)."""
        line = self.line(path)
        lines = self.text.splitlines()
        if 0 < line <= len(lines):
            text = lines[line - 1]
            if re.search(r"=\s*(\"\"\"|\'\'\')\r?\Z", text):
                return line + 1
        return line

    def nic(self, path: KeyPath, body: dict, spec: LabSpec, units: dict[str, int],
            macs: dict[bytes, str], host: str) -> NicSpec:
        self.table(path, body)
        if "model" not in body:
            raise self.fail(path, f"{dotted(path)}: missing key model "
                            f"(one of {', '.join(self.models)})")
        model = body["model"]
        if model not in self.models or not isinstance(model, str):
            raise self.expected(path + ("model",), f"one of {', '.join(self.models)}", model)
        segment = None
        if "segment" in body:
            segment = self.string(path + ("segment",), body["segment"])
            if segment not in spec.segments:
                have = ", ".join(spec.segments) if spec.segments else "none defined"
                raise self.fail(path + ("segment",),
                                f"segment {show(segment)} is not defined (segments: {have})")
        mac = None
        if "mac" in body:
            text = body["mac"]
            if not isinstance(text, str) or not _MAC.match(text):
                raise self.expected(path + ("mac",), 'a MAC address like "02:00:00:00:00:01"',
                                    text)
            mac = bytes(int(x, 16) for x in text.split(":"))
            if mac[0] & 1:
                raise self.fail(path + ("mac",), f"{dotted(path + ('mac',))}: {text} is a "
                                f"multicast address (expected unicast: first octet even)")
        unit = units.get(model, 0)
        units[model] = unit + 1
        ifname = f"{model}{unit}"
        if mac is not None:
            if mac in macs:
                raise self.fail(path + ("mac",), f"{dotted(path + ('mac',))}: {body['mac']} "
                                f"is already used by {macs[mac]}")
            macs[mac] = f"{host} {ifname}"
        return NicSpec(model, segment, mac, ifname, self.line(path))


def dotted(path: Iterable[Union[str, int]]) -> str:
    """``("host", "alice", "nic", 0, "model")`` -> ``host.alice.nic[0].model``."""
    out = ""
    for k in path:
        if isinstance(k, int):
            out += f"[{k}]"
        else:
            k = k if re.match(r"[A-Za-z0-9_-]+\Z", k) else show(k)
            out += f".{k}" if out else k
    return out


def _syntax_error(path: str, text: str, exc: tomllib.TOMLDecodeError) -> ConfigError:
    msg = str(exc)
    m = re.search(r"\s*\(at line (\d+), column (\d+)\)\Z", msg)
    if m:
        return ConfigError(path, int(m.group(1)),
                           f"{msg[:m.start()]} (column {m.group(2)})")
    m = re.search(r"\s*\(at end of document\)\Z", msg)
    if m:
        last = max(1, text.count("\n") + (0 if text.endswith("\n") else 1))
        return ConfigError(path, last, f"{msg[:m.start()]} (at end of file)")
    return ConfigError(path, 1, msg)


def parse_lab(text: str, path: str = "<lab>", models: Iterable[str] = NIC_MODELS,
              images_dir: Optional[Path] = None) -> LabSpec:
    """Parse and check the text of a lab file; ``path`` is used in messages and to
    find images given as paths (relative to the lab file's directory)."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise _syntax_error(path, text, e) from None
    checker = _Checker(path, text, tuple(models), Path(images_dir or images.IMAGES_DIR))
    return checker.check(doc, Path(path).stem or "lab")


def load_lab(path: Union[str, Path], models: Iterable[str] = NIC_MODELS,
             images_dir: Optional[Path] = None) -> LabSpec:
    """Read and check a lab file.  Raises :class:`ConfigError` for any mistake,
    including a file that cannot be read."""
    shown = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as e:
        raise ConfigError(shown, 0, e.strerror or str(e)) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[:e.start].count(b"\n") + 1
        raise ConfigError(shown, line, "expected UTF-8 text") from None
    return parse_lab(text, shown, models, images_dir)


def find_lab(ref: str, labs_dir: Optional[Path] = None) -> Path:
    """A lab given on the command line: a path to a file, or a name under images/labs/."""
    labs_dir = labs_dir or images.LABS_DIR
    p = Path(ref)
    if p.suffix == ".toml" or "/" in ref or p.is_file():
        return p
    return labs_dir / f"{ref}.toml"


def lab_names(labs_dir: Optional[Path] = None) -> list[str]:
    labs_dir = labs_dir or images.LABS_DIR
    return sorted(p.stem for p in labs_dir.glob("*.toml"))


__all__ = ["LabSpec", "HostSpec", "NicSpec", "SegmentSpec", "ConfigError", "load_lab",
           "parse_lab", "find_lab", "lab_names", "parse_duration", "parse_rate",
           "parse_size", "format_duration", "format_rate", "format_size", "format_mac",
           "dotted"]
