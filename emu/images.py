"""images: host images (etc/ trees) read into the files that seed a host's filesystem.

An *image* is a directory holding the files of a host's root filesystem that
differ between kinds of hosts — ``images/host/etc/rc.conf``,
``images/router/etc/rc.conf`` — laid over ``images/base/``, the files every
FreeBSD system has (``/etc/defaults/rc.conf``, ``/etc/hosts``,
``/etc/protocols``, ``/etc/services``, ...).  A lab file names an image by
name (a directory under ``images/``) or by a path relative to the lab file.

:func:`host_files` turns a lab host into the dict ``path -> bytes`` that the
kernel's ``vfs_seed(k, files)`` takes:

- the base and image files, keyed by absolute path (``/etc/rc.conf``);
- a key ending in ``/`` for every directory of the trees (``/var/run/``),
  so that empty ones exist too (``.keep`` files, there to make git keep a
  directory, are not copied);
- ``/etc/rc.conf`` with the lab file's ``[host.NAME.rc]`` values applied
  (:func:`emu.rcconf.apply_overrides`), and ``hostname="NAME"`` (the lab's
  host name) unless ``[host.NAME.rc]`` sets ``hostname`` itself;
- ``/etc/hosts``: the image's file plus one line per static IPv6 address of
  every host of the lab, read from each host's effective rc.conf
  (:func:`static_inet6_addresses`);
- an entry for each program path given (``/sbin/ifconfig``...): the kernel
  finds the program's main function by that path in ``KernelConfig.programs``;
  the file itself only says what it is (:data:`PROGRAM_MAGIC`).

Pure: this module reads files under ``images/`` by path and imports nothing
of the kernel, drivers, userland or the ``images`` package.
"""
from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Mapping, Optional

from emu.diag import ConfigError
from emu.rcconf import RcConf, apply_overrides, parse_rcconf

if TYPE_CHECKING:  # pragma: no cover
    from emu.labfile import HostSpec, LabSpec

IMAGES_DIR = Path(__file__).resolve().parent.parent / "images"
LABS_DIR = IMAGES_DIR / "labs"
BASE = "base"                     # the layer under every image
NOT_IMAGES = {BASE, "labs", "__pycache__"}
SKIP_FILES = {".keep", "__init__.py"}
PROGRAM_MAGIC = b"#!kamebox "     # + path + "\n": what a program's file holds
RC_CONF = "/etc/rc.conf"
DEFAULTS_RC_CONF = "/etc/defaults/rc.conf"
HOSTS = "/etc/hosts"

# rc.conf variables that carry static IPv6 addresses (rc.conf(5), network.subr):
#   ifconfig_<if>="inet6 ADDR ..."   ifconfig_<if>_ipv6="inet6 ADDR prefixlen N"
#   ifconfig_<if>_alias<n>="inet6 ADDR ..."   ifconfig_<if>_aliases="inet6 A ... inet6 B ..."
#   ipv6_ifconfig_<if>="ADDR prefixlen N"     ipv6_ifconfig_<if>_alias<n>="ADDR ..."  (FreeBSD <= 8)
_IFCONFIG = re.compile(r"ifconfig_([a-z]+[0-9]+)(_ipv6|_alias[0-9]+|_aliases|_ipv6_alias[0-9]+)?\Z")
_IPV6_IFCONFIG = re.compile(r"ipv6_ifconfig_([a-z]+[0-9]+)(_alias[0-9]+)?\Z")


# -- finding and reading images -------------------------------------------------------------

def image_names(images_dir: Path = IMAGES_DIR) -> list[str]:
    """The images under ``images_dir``: directories with an ``etc/`` (not base/ or labs/)."""
    if not images_dir.is_dir():
        return []
    return sorted(p.name for p in images_dir.iterdir()
                  if p.is_dir() and p.name not in NOT_IMAGES and (p / "etc").is_dir())


def find_image(ref: str, lab_dir: Path, images_dir: Path = IMAGES_DIR) -> Optional[Path]:
    """An image by name (``images/<ref>``) or by path relative to ``lab_dir``; None if absent."""
    if ref and "/" not in ref and ref not in NOT_IMAGES and ref not in (".", ".."):
        p = images_dir / ref
        if (p / "etc").is_dir():
            return p
    p = Path(ref) if Path(ref).is_absolute() else lab_dir / ref
    if ref and p.is_dir():
        return p
    return None


def read_tree(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` as ``"/rel/path" -> bytes``, every directory as ``"/rel/"``."""
    files: dict[str, bytes] = {}
    if not root.is_dir():
        return files
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).as_posix()
        if "__pycache__" in p.parts or p.suffix == ".pyc":
            continue
        if p.is_dir():
            files[f"/{rel}/"] = b""
        elif p.is_file() and p.name not in SKIP_FILES:
            files[f"/{rel}"] = p.read_bytes()
    return files


def load_image(image_dir: Path, images_dir: Path = IMAGES_DIR) -> dict[str, bytes]:
    """The base layer, then the image's own files over it."""
    files = read_tree(images_dir / BASE)
    files.update(read_tree(image_dir))
    return files


def _display(path: Path) -> str:
    """A path as messages show it: relative to the current directory when under it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


# -- addresses -----------------------------------------------------------------------------

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
            ifname = m.group(1)
            words = value.split()
            for i, w in enumerate(words):
                if w == "inet6" and i + 1 < len(words) and _looks_like_address(words[i + 1]):
                    out += _address(var, ifname, words[i + 1], words[i + 2:])
            continue
        m = _IPV6_IFCONFIG.match(var)
        if m and value.split():
            words = value.split()
            out += _address(var, m.group(1), words[0], words[1:])
    return out


def _looks_like_address(word: str) -> bool:
    return ":" in word


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


# -- a lab's hosts ---------------------------------------------------------------------------

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


def host_image(spec: "LabSpec", host: "HostSpec") -> HostImage:
    """Read ``host``'s image and apply its ``[host.NAME.rc]`` values.

    Errors in the image's rc.conf name the image file; errors in values set by
    the lab file name the lab file line of that key.
    """
    assert host.image_dir is not None
    files = load_image(host.image_dir, spec.images_dir)
    base_rc_path = host.image_dir / "etc" / "rc.conf"
    if not base_rc_path.exists():
        base_rc_path = spec.images_dir / BASE / "etc" / "rc.conf"
    shown = _display(base_rc_path)
    defaults = _rc_text(files.get(DEFAULTS_RC_CONF, b""),
                        _display(spec.images_dir / BASE / "etc" / "defaults" / "rc.conf"))
    env = parse_rcconf(defaults[0], defaults[1]).vars
    text, _ = _rc_text(files.get(RC_CONF, b""), shown)
    image_rc = parse_rcconf(text, shown, env)
    overrides = dict(host.rc)
    if "hostname" not in overrides:
        overrides = {"hostname": host.name, **overrides}
    comment = f"# [host.{host.name}.rc] from {spec.path}"
    new_text = apply_overrides(text, overrides, shown, comment)
    rc = parse_rcconf(new_text, shown, env)      # values are quoted: cannot break the syntax
    try:
        addrs = static_inet6_addresses(rc.vars)
    except ValueError as e:
        var, msg = e.args[0]
        if var in host.rc:
            raise spec.error(host.rc_lines[var], f"host.{host.name}.rc.{var}: {msg}") from None
        raise ConfigError(shown, image_rc.line_of(var) or 1, f"{var}: {msg}") from None
    files[RC_CONF] = new_text.encode()
    return HostImage(host.name, files, rc, addrs)


def _rc_text(data: bytes, shown: str) -> tuple[str, str]:
    try:
        return data.decode("utf-8"), shown
    except UnicodeDecodeError as e:
        raise ConfigError(shown, data[:e.start].count(b"\n") + 1, "expected UTF-8 text") from None


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


def lab_images(spec: "LabSpec", programs: Iterable[str] = ()) -> dict[str, HostImage]:
    """Every host of a lab with its files (path -> bytes), ready for ``vfs_seed``:
    the image, rc.conf with the lab's values, /etc/hosts listing the lab, programs."""
    images = [host_image(spec, h) for h in spec.hosts.values()]
    generated = hosts_lines(images)
    header = f"# hosts of lab {spec.name} ({spec.path}), generated by kamebox"
    progs = sorted(set(programs))
    for img in images:
        files = img.files
        base = files.get(HOSTS, b"::1\t\t\tlocalhost\n").decode("utf-8", "replace")
        if base and not base.endswith("\n"):
            base += "\n"
        files[HOSTS] = (base + header + "\n" + "".join(l + "\n" for l in generated)).encode()
        add_programs(files, progs)
    return {img.name: img for img in images}


def add_programs(files: dict[str, bytes], programs: Iterable[str]) -> None:
    """An entry (and its directories) for each program path, e.g. ``/sbin/ifconfig``."""
    for path in programs:
        if not path.startswith("/") or path.endswith("/"):
            raise ValueError(f"program path {path!r}: expected an absolute file path")
        parts = path.split("/")[1:-1]
        for i in range(1, len(parts) + 1):
            files.setdefault("/" + "/".join(parts[:i]) + "/", b"")
        files.setdefault(path, PROGRAM_MAGIC + path.encode() + b"\n")


__all__ = ["IMAGES_DIR", "LABS_DIR", "image_names", "find_image", "read_tree", "load_image",
           "StaticAddress", "static_inet6_addresses", "HostImage", "host_image",
           "hosts_lines", "lab_images", "add_programs", "PROGRAM_MAGIC"]
