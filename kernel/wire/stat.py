"""<sys/stat.h> and <dirent.h>: file modes, ``struct stat``, ``struct dirent``."""
from __future__ import annotations

from dataclasses import dataclass

S_IFMT = 0o170000
S_IFIFO = 0o010000
S_IFCHR = 0o020000
S_IFDIR = 0o040000
S_IFBLK = 0o060000
S_IFREG = 0o100000
S_IFLNK = 0o120000
S_IFSOCK = 0o140000
S_IFWHT = 0o160000
S_ISUID = 0o004000
S_ISGID = 0o002000
S_ISVTX = 0o001000
S_IRWXU = 0o000700
S_IRUSR = 0o000400
S_IWUSR = 0o000200
S_IXUSR = 0o000100
S_IRWXG = 0o000070
S_IRGRP = 0o000040
S_IWGRP = 0o000020
S_IXGRP = 0o000010
S_IRWXO = 0o000007
S_IROTH = 0o000004
S_IWOTH = 0o000002
S_IXOTH = 0o000001
ACCESSPERMS = 0o777
ALLPERMS = 0o7777
DEFFILEMODE = 0o666


def S_ISDIR(m: int) -> bool:
    return (m & S_IFMT) == S_IFDIR


def S_ISCHR(m: int) -> bool:
    return (m & S_IFMT) == S_IFCHR


def S_ISREG(m: int) -> bool:
    return (m & S_IFMT) == S_IFREG


def S_ISFIFO(m: int) -> bool:
    return (m & S_IFMT) == S_IFIFO


def S_ISLNK(m: int) -> bool:
    return (m & S_IFMT) == S_IFLNK


def S_ISSOCK(m: int) -> bool:
    return (m & S_IFMT) == S_IFSOCK


@dataclass
class stat:
    """``struct stat`` (times are ``(sec, nsec)`` pairs of the host's clock)."""

    st_dev: int = 0
    st_ino: int = 0
    st_mode: int = 0
    st_nlink: int = 1
    st_uid: int = 0
    st_gid: int = 0
    st_rdev: int = 0
    st_size: int = 0
    st_blocks: int = 0
    st_blksize: int = 4096
    st_atime: int = 0
    st_mtime: int = 0
    st_ctime: int = 0
    st_birthtime: int = 0


# struct dirent d_type
DT_UNKNOWN = 0
DT_FIFO = 1
DT_CHR = 2
DT_DIR = 4
DT_BLK = 6
DT_REG = 8
DT_LNK = 10
DT_SOCK = 12
DT_WHT = 14


@dataclass(frozen=True)
class dirent:
    """``struct dirent``: one directory entry."""

    d_fileno: int
    d_type: int
    d_name: str

    @property
    def d_namlen(self) -> int:
        return len(self.d_name)


def strmode(mode: int) -> str:
    """strmode(3): "drwxr-xr-x " (with the trailing space for an ACL marker)."""
    kind = {S_IFDIR: "d", S_IFCHR: "c", S_IFBLK: "b", S_IFREG: "-", S_IFLNK: "l",
            S_IFSOCK: "s", S_IFIFO: "p", S_IFWHT: "w"}.get(mode & S_IFMT, "?")
    out = [kind]
    for shift, special, ch in ((6, S_ISUID, "s"), (3, S_ISGID, "s"), (0, S_ISVTX, "t")):
        bits = (mode >> shift) & 7
        out.append("r" if bits & 4 else "-")
        out.append("w" if bits & 2 else "-")
        x = bits & 1
        if mode & special:
            out.append(ch if x else ch.upper())
        else:
            out.append("x" if x else "-")
    return "".join(out) + " "
