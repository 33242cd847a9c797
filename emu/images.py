"""images: host images (etc/ trees) read into the files that seed a host's filesystem.

An *image* is a directory holding the files of a host's root filesystem that
differ between kinds of hosts — ``images/host/etc/rc.conf``,
``images/router/etc/rc.conf`` — laid over ``images/base/``, the files every
FreeBSD system has (``/etc/defaults/rc.conf``, ``/etc/hosts``,
``/etc/protocols``, ``/etc/services``, ...).  A lab file names an image by
name (a directory under ``images/``) or by a path relative to the lab file.

:func:`load_image` reads an image into the dict ``path -> bytes`` that the
kernel's ``vfs_seed(k, files)`` takes:

- the base and image files, keyed by absolute path (``/etc/rc.conf``);
- a key ending in ``/`` for every directory of the trees (``/var/run/``),
  so that empty ones exist too (``.keep`` files, there to make git keep a
  directory, are not copied).

:func:`add_programs` adds an entry for each program path (``/sbin/ifconfig``):
the kernel finds the program's main function by that path in
``KernelConfig.programs``; the file itself only says what it is
(:data:`PROGRAM_MAGIC`).

This module only reads and writes files: what the files *say* — rc.conf, the
lab file's ``[host.NAME.rc]`` values, /etc/hosts — is the front's business
(emu/lab.py, with userland/rcconf.py).  Pure: it reads files under
``images/`` by path and imports nothing of the kernel, drivers, userland or
the ``images`` package.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable, Optional

from emu.diag import ConfigError

IMAGES_DIR = Path(__file__).resolve().parent.parent / "images"
LABS_DIR = IMAGES_DIR / "labs"
BASE = "base"                     # the layer under every image
NOT_IMAGES = {BASE, "labs", "__pycache__"}
SKIP_FILES = {".keep", "__init__.py"}
PROGRAM_MAGIC = b"#!kamebox "     # + path + "\n": what a program's file holds
RC_CONF = "/etc/rc.conf"
DEFAULTS_RC_CONF = "/etc/defaults/rc.conf"
HOSTS = "/etc/hosts"


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


def file_source(path: str, image_dir: Path, images_dir: Path = IMAGES_DIR) -> Path:
    """The file on disk that ``path`` (``/etc/rc.conf``) of :func:`load_image` comes
    from: the image's own, else the base layer's."""
    rel = path.lstrip("/")
    own = image_dir / rel
    return own if own.is_file() else images_dir / BASE / rel


def display(path: Path) -> str:
    """A path as messages show it: relative to the current directory when under it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def text_of(data: bytes, shown: str) -> str:
    """A configuration file's bytes as text; not UTF-8 is a ConfigError naming ``shown``."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ConfigError(shown, data[:e.start].count(b"\n") + 1, "expected UTF-8 text") from None


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
           "file_source", "display", "text_of", "add_programs", "PROGRAM_MAGIC", "RC_CONF", "DEFAULTS_RC_CONF",
           "HOSTS"]
