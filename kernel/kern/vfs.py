"""A small in-memory filesystem per host (sys/kern/vfs_*.c, ufs and devfs in spirit).

The tree is made of ``vnode``s: directories (a dict of names), regular files
(a bytearray), and character devices (``/dev/console``, ``/dev/null``,
``/dev/zero``, ``/dev/tty``) whose ``cdevsw`` opens a file with its own
operations.  An *executable* is a regular file with an exec bit whose content
names a program: ``EXEC_MAGIC`` followed by the program's key in
``KernelConfig.programs`` (kern_exec.py reads it; ``#!`` scripts work too).

``vfs_seed(k, files)`` is how the front fills the tree from a host image:
``{"/etc/rc.conf": b"...", "/usr/local/bin/hello": "/bin/echo"}`` — bytes
make a file, a string makes an executable naming that program.  At boot
every program of the kernel config is installed at its own path.

The syscalls are here too (vfs_syscalls.c, vfs_vnops.c): open, stat, lstat,
access, mkdir, rmdir, unlink, rename, chdir, __getcwd, getdirentries, lseek,
chmod, truncate, umask.  Errors as BSD's: ENOENT, ENOTDIR, EISDIR, EEXIST,
ENOTEMPTY, ENAMETOOLONG, ENOSPC (the filesystem is bounded: ``vfs.maxbytes``).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional, Union

from kernel.kern.kern_descrip import DTYPE_VNODE, file, fileops, fget, finstall, intarg
from kernel.kern.kern_sysctl import SYSCTL_INT
from kernel.kern.kern_time import nanotime
from kernel.wire.errno import (
    EACCES, EBUSY, EEXIST, EFAULT, EINVAL, EISDIR, ENAMETOOLONG, ENOENT, ENOSPC, ENOTDIR,
    ENOTEMPTY, ENXIO, EPERM, oserror,
)
from kernel.wire.fcntl import (
    FAPPEND, FWRITE, O_ACCMODE, O_CLOEXEC, O_CREAT, O_DIRECTORY, O_EXCL, O_TRUNC,
    SEEK_CUR, SEEK_END, SEEK_SET, X_OK, FFLAGS,
)
from kernel.wire.ioctl import FIONREAD
from kernel.wire.poll import POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM
from kernel.wire.stat import (
    DT_CHR, DT_DIR, DT_REG, S_IFCHR, S_IFDIR, S_IFREG, dirent, stat,
)

if TYPE_CHECKING:  # pragma: no cover
    from kernel.kern.init_main import Kernel
    from kernel.kern.kern_proc import proc

# vnode types (sys/vnode.h)
VNON = 0
VREG = 1
VDIR = 2
VBLK = 3
VCHR = 4
VLNK = 5

MAXPATHLEN = 1024
NAME_MAX = 255
EXEC_MAGIC = b"#!kamebox "        # an executable's first bytes, then the program's name
VFS_MAXBYTES = 64 << 20           # the whole tree holds at most this much file data

_TYPEBITS = {VREG: S_IFREG, VDIR: S_IFDIR, VCHR: S_IFCHR}
_DTYPE = {VREG: DT_REG, VDIR: DT_DIR, VCHR: DT_CHR}


class cdevsw:
    """A character device: ``d_open`` returns the ``file`` an open gets."""

    d_name = "?"

    def d_open(self, vp: "vnode", fflags: int, oflags: int, td: Optional["proc"]) -> file:
        raise oserror(ENXIO)


class vnode:
    """One file, directory or device node."""

    __slots__ = ("v_type", "v_mode", "v_data", "v_dir", "v_parent", "v_name", "v_ino",
                 "v_nlink", "v_mtime", "v_ctime", "v_atime", "v_rdev", "v_kernel")

    def __init__(self, k: "Kernel", vtype: int, mode: int, parent: Optional["vnode"],
                 name: str) -> None:
        self.v_kernel = k
        self.v_type = vtype
        self.v_mode = mode & 0o7777
        self.v_data = bytearray() if vtype == VREG else None
        self.v_dir: Optional[dict[str, vnode]] = {} if vtype == VDIR else None
        self.v_parent = parent if parent is not None else self
        self.v_name = name
        k.vfs_lastino += 1
        self.v_ino = k.vfs_lastino
        self.v_nlink = 2 if vtype == VDIR else 1
        now = nanotime(k)
        self.v_mtime = self.v_ctime = self.v_atime = now
        self.v_rdev: Optional[cdevsw] = None

    def __repr__(self) -> str:
        return f"<vnode {vn_fullpath(self)} type={self.v_type}>"


def vn_fullpath(vp: vnode) -> str:
    parts = []
    while vp.v_parent is not vp:
        parts.append(vp.v_name)
        vp = vp.v_parent
    return "/" + "/".join(reversed(parts))


# -- name lookup ------------------------------------------------------------------------
def _cwd(k: "Kernel", td: Optional["proc"]) -> vnode:
    if td is not None and td.p_fd is not None and td.p_fd.fd_cdir is not None:
        return td.p_fd.fd_cdir
    return k.rootvnode


def _checkpath(path: Any) -> str:
    if type(path) is not str:
        raise oserror(EFAULT)
    if path == "":
        raise oserror(ENOENT)
    if len(path) >= MAXPATHLEN:
        raise oserror(ENAMETOOLONG)
    return path


def namei(k: "Kernel", td: Optional["proc"], path: str) -> vnode:
    """Look ``path`` up (relative to ``td``'s cwd); ENOENT/ENOTDIR/ENAMETOOLONG."""
    path = _checkpath(path)
    vp = k.rootvnode if path[0] == "/" else _cwd(k, td)
    for comp in path.split("/"):
        if vp.v_type != VDIR:
            raise oserror(ENOTDIR)
        if comp == "" or comp == ".":
            continue
        if comp == "..":
            vp = vp.v_parent
            continue
        if len(comp) > NAME_MAX:
            raise oserror(ENAMETOOLONG)
        nxt = vp.v_dir.get(comp)
        if nxt is None:
            raise oserror(ENOENT)
        vp = nxt
    return vp


def namei_parent(k: "Kernel", td: Optional["proc"], path: str) -> tuple[vnode, str]:
    """The directory that holds (or would hold) ``path``, and the last name."""
    path = _checkpath(path)
    stripped = path.rstrip("/")
    if stripped == "":
        return k.rootvnode, "."
    head, sep, name = stripped.rpartition("/")
    if len(name) > NAME_MAX:
        raise oserror(ENAMETOOLONG)
    if sep:
        dvp = namei(k, td, head or "/")
    else:
        dvp = _cwd(k, td)
    if dvp.v_type != VDIR:
        raise oserror(ENOTDIR)
    return dvp, name


def _charge(k: "Kernel", delta: int) -> None:
    if delta > 0 and k.vfs_bytes + delta > k.vfs_maxbytes:
        raise oserror(ENOSPC)
    k.vfs_bytes += delta


def vn_create(k: "Kernel", dvp: vnode, name: str, vtype: int, mode: int) -> vnode:
    if name in (".", "..", ""):
        raise oserror(EEXIST)
    vp = vnode(k, vtype, mode, dvp, name)
    dvp.v_dir[name] = vp
    if vtype == VDIR:
        dvp.v_nlink += 1
    dvp.v_mtime = vp.v_mtime
    return vp


def vn_setdata(vp: vnode, data: bytes) -> None:
    k = vp.v_kernel
    _charge(k, len(data) - len(vp.v_data))
    vp.v_data[:] = data
    vp.v_mtime = nanotime(k)


def vn_truncate(vp: vnode, length: int) -> None:
    if vp.v_type == VDIR:
        raise oserror(EISDIR)
    if vp.v_type != VREG:
        return
    if length < 0:
        raise oserror(EINVAL)
    cur = len(vp.v_data)
    _charge(vp.v_kernel, length - cur)
    if length < cur:
        del vp.v_data[length:]
    else:
        vp.v_data.extend(bytes(length - cur))
    vp.v_mtime = nanotime(vp.v_kernel)


def vn_stat(vp: vnode) -> stat:
    size = len(vp.v_data) if vp.v_type == VREG else (512 if vp.v_type == VDIR else 0)
    return stat(st_dev=0x5A, st_ino=vp.v_ino, st_mode=_TYPEBITS.get(vp.v_type, 0) | vp.v_mode,
                st_nlink=vp.v_nlink, st_size=size, st_blocks=(size + 511) // 512,
                st_rdev=vp.v_ino if vp.v_type == VCHR else 0,
                st_atime=vp.v_atime // 1_000_000_000, st_mtime=vp.v_mtime // 1_000_000_000,
                st_ctime=vp.v_ctime // 1_000_000_000, st_birthtime=vp.v_ctime // 1_000_000_000)


# -- vnode file operations --------------------------------------------------------------
class vnops(fileops):
    """Files open on a regular file or a directory (vfs_vnops.c)."""

    def fo_read(self, fp: file, n: int, flags: int, td: "proc") -> bytes:
        vp = fp.f_data
        if vp.v_type == VDIR:
            raise oserror(EISDIR)
        off = fp.f_offset
        data = bytes(vp.v_data[off:off + n])
        fp.f_offset = off + len(data)
        return data

    def fo_write(self, fp: file, data: bytes, flags: int, td: "proc") -> int:
        vp = fp.f_data
        if vp.v_type != VREG:
            raise oserror(EISDIR)
        buf = vp.v_data
        off = len(buf) if fp.f_flag & FAPPEND else fp.f_offset
        end = off + len(data)
        _charge(vp.v_kernel, max(0, end - len(buf)))
        if off > len(buf):
            buf.extend(bytes(off - len(buf)))
        buf[off:end] = data
        fp.f_offset = end
        vp.v_mtime = nanotime(vp.v_kernel)
        return len(data)

    def fo_ioctl(self, fp: file, cmd: int, data: Any, td: "proc") -> Any:
        vp = fp.f_data
        if cmd == FIONREAD:
            return max(0, len(vp.v_data) - fp.f_offset) if vp.v_type == VREG else 0
        return super().fo_ioctl(fp, cmd, data, td)

    def fo_poll(self, fp: file, events: int, td: Optional["proc"]) -> int:
        return events & (POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM)

    def fo_stat(self, fp: file, td: "proc") -> stat:
        return vn_stat(fp.f_vnode)

    def fo_seek(self, fp: file, offset: int, whence: int) -> int:
        vp = fp.f_data
        size = len(vp.v_data) if vp.v_type == VREG else 0
        if whence == SEEK_SET:
            new = offset
        elif whence == SEEK_CUR:
            new = fp.f_offset + offset
        elif whence == SEEK_END:
            new = size + offset
        else:
            raise oserror(EINVAL)
        if new < 0:
            raise oserror(EINVAL)
        fp.f_offset = new
        return new


VNOPS = vnops()


def vn_open(k: "Kernel", td: Optional["proc"], path: str, oflags: int, mode: int = 0o666) -> file:
    """Open ``path`` (namei + VOP_OPEN): returns a file holding one reference."""
    if type(oflags) is not int or type(mode) is not int:
        raise oserror(EINVAL)
    if oflags & O_ACCMODE == O_ACCMODE:
        raise oserror(EINVAL)
    fflags = FFLAGS(oflags) & ~O_CLOEXEC
    if oflags & O_CREAT:
        dvp, name = namei_parent(k, td, path)
        vp = dvp.v_dir.get(name) if name not in (".", "..") else namei(k, td, path)
        if vp is None:
            cmask = td.p_fd.fd_cmask if td is not None and td.p_fd is not None else 0o022
            vp = vn_create(k, dvp, name, VREG, mode & ~cmask & 0o7777)
        elif oflags & O_EXCL:
            raise oserror(EEXIST)
    else:
        vp = namei(k, td, path)
    if vp.v_type == VDIR and fflags & FWRITE:
        raise oserror(EISDIR)
    if oflags & O_DIRECTORY and vp.v_type != VDIR:
        raise oserror(ENOTDIR)
    if vp.v_type == VCHR:
        return vp.v_rdev.d_open(vp, fflags, oflags, td)
    if vp.v_type == VREG and oflags & O_TRUNC and fflags & FWRITE:
        vn_truncate(vp, 0)
    return file(DTYPE_VNODE, fflags & 0xFFFF, vp, VNOPS, vp)


# -- devfs: null and zero ---------------------------------------------------------------
class _nullops(fileops):
    def fo_read(self, fp: file, n: int, flags: int, td: "proc") -> bytes:
        return bytes(n) if fp.f_data == "zero" else b""

    def fo_write(self, fp: file, data: bytes, flags: int, td: "proc") -> int:
        return len(data)

    fo_poll = vnops.fo_poll
    fo_stat = vnops.fo_stat


class _nulldev(cdevsw):
    def __init__(self, name: str) -> None:
        self.d_name = name
        self.ops = _nullops()

    def d_open(self, vp: vnode, fflags: int, oflags: int, td: Optional["proc"]) -> file:
        return file(DTYPE_VNODE, fflags & 0xFFFF, self.d_name, self.ops, vp)


def make_dev(k: "Kernel", dev: cdevsw, name: str, mode: int = 0o666) -> vnode:
    """make_dev(9): a node ``/dev/<name>`` for ``dev``."""
    devdir = k.rootvnode.v_dir["dev"]
    vp = devdir.v_dir.get(name)
    if vp is None:
        vp = vn_create(k, devdir, name, VCHR, mode)
    vp.v_rdev = dev
    return vp


# -- seeding --------------------------------------------------------------------------------
def vfs_mkdirp(k: "Kernel", path: str, mode: int = 0o755) -> vnode:
    vp = k.rootvnode
    for comp in path.split("/"):
        if comp in ("", "."):
            continue
        nxt = vp.v_dir.get(comp)
        if nxt is None:
            nxt = vn_create(k, vp, comp, VDIR, mode)
        elif nxt.v_type != VDIR:
            raise oserror(ENOTDIR, f"{path}: {comp} is not a directory")
        vp = nxt
    return vp


def vfs_install(k: "Kernel", path: str, content: Union[bytes, str], mode: Optional[int] = None) -> vnode:
    """Create or replace the file at absolute ``path``: bytes make a file, a
    string makes an executable naming that program."""
    if not path.startswith("/"):
        raise ValueError(f"{path!r}: expected an absolute path")
    if isinstance(content, str):
        data = EXEC_MAGIC + content.encode() + b"\n"
        fmode = 0o555 if mode is None else mode
    else:
        data = bytes(content)
        fmode = (0o755 if data.startswith(b"#!") else 0o644) if mode is None else mode
    head, _, name = path.rstrip("/").rpartition("/")
    dvp = vfs_mkdirp(k, head)
    vp = dvp.v_dir.get(name)
    if vp is None:
        vp = vn_create(k, dvp, name, VREG, fmode)
    elif vp.v_type != VREG:
        raise oserror(EISDIR, f"{path}: is a directory")
    vp.v_mode = fmode
    vn_setdata(vp, data)
    return vp


def vfs_seed(k: "Kernel", files: dict[str, Any]) -> None:
    """Fill the tree from an image: ``{path: bytes | program-name | (bytes, mode)}``.

    A path ending in "/" with value None makes a directory.
    """
    for path, content in files.items():
        if content is None or path.endswith("/"):
            vfs_mkdirp(k, path)
        elif isinstance(content, tuple):
            vfs_install(k, path, content[0], content[1])
        else:
            vfs_install(k, path, content)


STANDARD_DIRS = ("bin", "sbin", "dev", "etc", "root", "tmp", "usr/bin", "usr/sbin",
                 "usr/libexec", "usr/local/bin", "usr/local/sbin", "usr/local/etc",
                 "var/log", "var/run", "var/db", "var/tmp")


def vfs_init(k: "Kernel") -> None:
    """SYSINIT: the root directory, the standard hierarchy, /dev/null and
    /dev/zero, and every program of the kernel config at its path."""
    k.vfs_lastino = 1
    k.vfs_bytes = 0
    k.vfs_maxbytes = VFS_MAXBYTES
    root = vnode(k, VDIR, 0o755, None, "")
    k.rootvnode = root
    for d in STANDARD_DIRS:
        vfs_mkdirp(k, d)
    k.rootvnode.v_dir["tmp"].v_mode = 0o1777
    make_dev(k, _nulldev("null"), "null")
    make_dev(k, _nulldev("zero"), "zero")
    for path in sorted(getattr(k.config, "programs", None) or {}):
        if path.startswith("/"):
            vfs_install(k, path, path)
    SYSCTL_INT(k, "vfs.maxbytes", k, "vfs_maxbytes", "Bytes of file data the filesystem may hold")
    SYSCTL_INT(k, "vfs.bytes", k, "vfs_bytes", "Bytes of file data held", rw=False)


# -- syscalls -------------------------------------------------------------------------------
def sys_open(td: "proc", path: str, flags: int = 0, mode: int = 0o666) -> int:
    fp = vn_open(td.p_kernel, td, path, flags, mode)
    try:
        return finstall(td, fp, 0, bool(flags & O_CLOEXEC))
    except OSError:
        fp.f_ops.fo_close(fp, td)
        raise


def sys_stat(td: "proc", path: str) -> stat:
    return vn_stat(namei(td.p_kernel, td, path))


sys_lstat = sys_stat


def sys_access(td: "proc", path: str, amode: int = 0) -> int:
    vp = namei(td.p_kernel, td, path)
    if type(amode) is not int:
        raise oserror(EINVAL)
    if amode & X_OK and vp.v_type == VREG and not vp.v_mode & 0o111:
        raise oserror(EACCES)
    return 0


def sys_mkdir(td: "proc", path: str, mode: int = 0o777) -> int:
    k = td.p_kernel
    dvp, name = namei_parent(k, td, path)
    if name in (".", "..") or name in dvp.v_dir:
        raise oserror(EEXIST)
    vn_create(k, dvp, name, VDIR, intarg(mode) & ~td.p_fd.fd_cmask & 0o7777)
    return 0


def sys_rmdir(td: "proc", path: str) -> int:
    k = td.p_kernel
    dvp, name = namei_parent(k, td, path)
    if name == ".":
        raise oserror(EBUSY if path.strip("/") == "" else EINVAL)
    if name == "..":
        raise oserror(ENOTEMPTY)
    vp = dvp.v_dir.get(name)
    if vp is None:
        raise oserror(ENOENT)
    if vp.v_type != VDIR:
        raise oserror(ENOTDIR)
    if vp.v_dir:
        raise oserror(ENOTEMPTY)
    if vp is k.rootvnode:
        raise oserror(EBUSY)
    del dvp.v_dir[name]
    dvp.v_nlink -= 1
    return 0


def sys_unlink(td: "proc", path: str) -> int:
    k = td.p_kernel
    dvp, name = namei_parent(k, td, path)
    vp = dvp.v_dir.get(name) if name not in (".", "..") else namei(k, td, path)
    if vp is None:
        raise oserror(ENOENT)
    if vp.v_type == VDIR:
        raise oserror(EPERM)
    del dvp.v_dir[name]
    vp.v_nlink -= 1
    if vp.v_nlink <= 0 and vp.v_type == VREG:
        k.vfs_bytes -= len(vp.v_data)
    return 0


def sys_rename(td: "proc", src: str, dst: str) -> int:
    k = td.p_kernel
    sdvp, sname = namei_parent(k, td, src)
    ddvp, dname = namei_parent(k, td, dst)
    if sname in (".", "..") or dname in (".", ".."):
        raise oserror(EINVAL)
    vp = sdvp.v_dir.get(sname)
    if vp is None:
        raise oserror(ENOENT)
    if vp.v_type == VDIR:
        up = ddvp
        while True:                       # no directory into its own subtree
            if up is vp:
                raise oserror(EINVAL)
            if up.v_parent is up:
                break
            up = up.v_parent
    old = ddvp.v_dir.get(dname)
    if old is vp:
        return 0
    if old is not None:
        if old.v_type == VDIR:
            if vp.v_type != VDIR:
                raise oserror(EISDIR)
            if old.v_dir:
                raise oserror(ENOTEMPTY)
            ddvp.v_nlink -= 1
        elif vp.v_type == VDIR:
            raise oserror(ENOTDIR)
        elif old.v_type == VREG:
            k.vfs_bytes -= len(old.v_data)
    del sdvp.v_dir[sname]
    ddvp.v_dir[dname] = vp
    vp.v_parent = ddvp
    vp.v_name = dname
    if vp.v_type == VDIR and sdvp is not ddvp:
        sdvp.v_nlink -= 1
        ddvp.v_nlink += 1
    return 0


def sys_chdir(td: "proc", path: str) -> int:
    vp = namei(td.p_kernel, td, path)
    if vp.v_type != VDIR:
        raise oserror(ENOTDIR)
    td.p_fd.fd_cdir = vp
    return 0


def sys_fchdir(td: "proc", fd: int) -> int:
    fp = fget(td, fd)
    vp = fp.f_vnode
    if vp is None or vp.v_type != VDIR:
        raise oserror(ENOTDIR)
    td.p_fd.fd_cdir = vp
    return 0


def sys___getcwd(td: "proc") -> str:
    return vn_fullpath(_cwd(td.p_kernel, td))


def sys_getdirentries(td: "proc", fd: int, nbytes: int = 4096) -> list[dirent]:
    """The next entries of an open directory (as many as fit in ``nbytes``)."""
    fp = fget(td, fd)
    vp = fp.f_vnode
    if vp is None or vp.v_type != VDIR or fp.f_ops is not VNOPS:
        raise oserror(EINVAL)
    if type(nbytes) is not int or nbytes <= 0:
        raise oserror(EINVAL)
    entries = [dirent(vp.v_ino, DT_DIR, "."), dirent(vp.v_parent.v_ino, DT_DIR, "..")]
    entries += [dirent(c.v_ino, _DTYPE.get(c.v_type, 0), name) for name, c in vp.v_dir.items()]
    out = []
    used = 0
    i = fp.f_offset
    while i < len(entries):
        reclen = 8 + ((len(entries[i].d_name) + 1 + 3) & ~3)
        if used + reclen > nbytes:
            if not out:
                raise oserror(EINVAL)
            break
        out.append(entries[i])
        used += reclen
        i += 1
    fp.f_offset = i
    return out


def sys_lseek(td: "proc", fd: int, offset: int, whence: int = SEEK_SET) -> int:
    fp = fget(td, fd)
    if type(offset) is not int or type(whence) is not int:
        raise oserror(EINVAL)
    return fp.f_ops.fo_seek(fp, offset, whence)


def sys_chmod(td: "proc", path: str, mode: int) -> int:
    vp = namei(td.p_kernel, td, path)
    vp.v_mode = intarg(mode) & 0o7777
    return 0


def sys_fchmod(td: "proc", fd: int, mode: int) -> int:
    fp = fget(td, fd)
    if fp.f_vnode is None:
        raise oserror(EINVAL)
    fp.f_vnode.v_mode = intarg(mode) & 0o7777
    return 0


def sys_truncate(td: "proc", path: str, length: int) -> int:
    vn_truncate(namei(td.p_kernel, td, path), intarg(length))
    return 0


def sys_ftruncate(td: "proc", fd: int, length: int) -> int:
    fp = fget(td, fd)
    if fp.f_ops is not VNOPS or not fp.f_flag & FWRITE:
        raise oserror(EINVAL)
    vn_truncate(fp.f_vnode, intarg(length))
    return 0


def sys_umask(td: "proc", mask: int) -> int:
    old = td.p_fd.fd_cmask
    td.p_fd.fd_cmask = intarg(mask) & 0o777
    return old


def sys_fsync(td: "proc", fd: int) -> int:
    fget(td, fd)
    return 0


def sys_sync(td: "proc") -> int:
    return 0

