"""The in-memory filesystem: open flags and errors, directories, seeding, limits."""
from __future__ import annotations

from kernel.kern.vfs import vfs_seed
from kernel.wire import errno as E
from kernel.wire.fcntl import (
    O_APPEND, O_CREAT, O_DIRECTORY, O_EXCL, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY, SEEK_END,
    SEEK_SET,
)
from kernel.wire.stat import S_ISCHR, S_ISDIR, S_ISREG
from tests.kernel.kern.harness import Host, errno_of
from userland import libc


def run(h: Host, fn) -> list:
    out: list = []

    def prog(argv: list[str]) -> int:
        fn(out)
        return 0
    h.k.config.programs["/bin/t"] = prog
    from kernel.kern.vfs import vfs_install
    vfs_install(h.k, "/bin/t", "/bin/t")
    r = h.run("/bin/t")
    assert r.status == 0, r.err
    return out



def test_open_create_write_read_back():
    def body(out: list) -> None:
        fd = libc.open("/tmp/f", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        libc.write(fd, b"hello ")
        libc.write(fd, "world\n")
        libc.close(fd)
        fd = libc.open("/tmp/f")
        out.append(libc.read(fd, 100))
        out.append(libc.read(fd, 100))
        st = libc.fstat(fd)
        out.append((S_ISREG(st.st_mode), st.st_mode & 0o777, st.st_size))
    assert run(Host(), body) == [b"hello world\n", b"", (True, 0o644, 12)]


def test_open_errors_are_enoent_eisdir_enotdir_eexist():
    def body(out: list) -> None:
        out.append(errno_of(lambda: libc.open("/nonexistent")))
        out.append(errno_of(lambda: libc.open("/etc", O_WRONLY)))
        out.append(errno_of(lambda: libc.open("/etc/motd/x")))
        out.append(errno_of(lambda: libc.open("/etc/motd", O_CREAT | O_EXCL | O_WRONLY)))
        out.append(errno_of(lambda: libc.open("/etc/motd", O_RDONLY | O_DIRECTORY)))
        out.append(errno_of(lambda: libc.open("/no/such/dir/f", O_CREAT | O_WRONLY)))
        out.append(errno_of(lambda: libc.open("", O_RDONLY)))
        out.append(errno_of(lambda: libc.open("/" + "x" * 300)))
        out.append(errno_of(lambda: libc.read(libc.open("/etc"), 10)))
    h = Host(files={"/etc/motd": b"welcome\n"})
    assert run(h, body) == [E.ENOENT, E.EISDIR, E.ENOTDIR, E.EEXIST, E.ENOTDIR, E.ENOENT,
                            E.ENOENT, E.ENAMETOOLONG, E.EISDIR]


def test_append_truncate_and_seek():
    def body(out: list) -> None:
        fd = libc.open("/tmp/log", O_WRONLY | O_CREAT | O_APPEND)
        libc.write(fd, b"one\n")
        libc.lseek(fd, 0, SEEK_SET)
        libc.write(fd, b"two\n")                 # O_APPEND: always at the end
        libc.close(fd)
        fd = libc.open("/tmp/log", O_RDWR)
        out.append(libc.read(fd, 100))
        out.append(libc.lseek(fd, -4, SEEK_END))
        out.append(libc.read(fd, 100))
        libc.close(fd)
        libc.close(libc.open("/tmp/log", O_WRONLY | O_TRUNC))
        out.append(libc.stat_("/tmp/log").st_size)
    assert run(Host(), body) == [b"one\ntwo\n", 4, b"two\n", 0]


def test_directories_mkdir_rmdir_unlink_rename_readdir():
    def body(out: list) -> None:
        libc.mkdir("/var/db/x")
        out.append(errno_of(lambda: libc.mkdir("/var/db/x")))
        libc.close(libc.open("/var/db/x/a", O_CREAT | O_WRONLY))
        out.append(errno_of(lambda: libc.rmdir("/var/db/x")))
        libc.rename("/var/db/x/a", "/var/db/x/b")
        d = libc.opendir("/var/db/x")
        names = []
        while (de := libc.readdir(d)) is not None:
            names.append(de.d_name)
        libc.closedir(d)
        out.append(names)
        out.append(errno_of(lambda: libc.unlink("/var/db/x")))
        libc.unlink("/var/db/x/b")
        libc.rmdir("/var/db/x")
        out.append(errno_of(lambda: libc.stat_("/var/db/x")))
        libc.chdir("/etc")
        out.append((libc.getcwd(), S_ISDIR(libc.stat_("..").st_mode)))
    assert run(Host(), body) == [E.EEXIST, E.ENOTEMPTY, [".", "..", "b"], E.EPERM, E.ENOENT,
                                 ("/etc", True)]


def test_vfs_seed_makes_files_directories_and_executables():
    h = Host(files={"/etc/rc.conf": b'hostname="r1"\n', "/var/empty/": None,
                    "/usr/local/bin/hn": "/bin/hostname"})
    r = h.run("/usr/local/bin/hn")
    assert (r.status, r.out) == (0, "host\n")

    def body(out: list) -> None:
        out.append(libc.read(libc.open("/etc/rc.conf"), 100))
        out.append(S_ISDIR(libc.stat_("/var/empty").st_mode))
        out.append(libc.stat_("/usr/local/bin/hn").st_mode & 0o777)
        out.append(S_ISCHR(libc.stat_("/dev/console").st_mode))
    assert run(h, body) == [b'hostname="r1"\n', True, 0o555, True]


def test_dev_null_and_zero():
    def body(out: list) -> None:
        fd = libc.open("/dev/null", O_RDWR)
        out.append((libc.write(fd, b"gone"), libc.read(fd, 10)))
        out.append(libc.read(libc.open("/dev/zero"), 4))
    assert run(Host(), body) == [(4, b""), b"\0\0\0\0"]


def test_filesystem_is_bounded_enospc():
    h = Host()
    h.k.vfs_maxbytes = h.k.vfs_bytes + 1000

    def body(out: list) -> None:
        fd = libc.open("/tmp/big", O_WRONLY | O_CREAT)
        libc.write(fd, b"x" * 900)
        out.append(errno_of(lambda: libc.write(fd, b"x" * 200)))
    assert run(h, body) == [E.ENOSPC]


def test_fd_table_dup_dup2_and_fcntl_cloexec():
    def body(out: list) -> None:
        fd = libc.open("/etc/motd")
        fd2 = libc.dup(fd)
        libc.dup2(fd, 9)
        out.append((fd, fd2))
        out.append(libc.read(9, 3))
        out.append(libc.read(fd2, 100))          # shares the offset
        libc.close(fd)
        out.append(errno_of(lambda: libc.read(fd, 1)))
        out.append(libc.fcntl(fd2, 1))
        libc.fcntl(fd2, 2, 1)
        out.append(libc.fcntl(fd2, 1))
    h = Host(files={"/etc/motd": b"welcome\n"})
    assert run(h, body) == [(3, 4), b"wel", b"come\n", E.EBADF, 0, 1]


def test_vfs_seed_rejects_relative_paths():
    import pytest
    h = Host()
    with pytest.raises(ValueError):
        vfs_seed(h.k, {"etc/x": b""})
