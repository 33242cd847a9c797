"""<fcntl.h> and <sys/fcntl.h>: open flags and fcntl commands (FreeBSD values)."""
from __future__ import annotations

O_RDONLY = 0x0000
O_WRONLY = 0x0001
O_RDWR = 0x0002
O_ACCMODE = 0x0003
O_NONBLOCK = 0x0004
O_APPEND = 0x0008
O_SHLOCK = 0x0010
O_EXLOCK = 0x0020
O_ASYNC = 0x0040
O_FSYNC = 0x0080
O_SYNC = 0x0080
O_NOFOLLOW = 0x0100
O_CREAT = 0x0200
O_TRUNC = 0x0400
O_EXCL = 0x0800
O_NOCTTY = 0x8000
O_DIRECT = 0x00010000
O_DIRECTORY = 0x00020000
O_EXEC = 0x00040000
O_CLOEXEC = 0x00100000
O_NDELAY = O_NONBLOCK

# Kernel file flags: FFLAGS(oflags) = oflags + 1 for the access mode.
FREAD = 0x0001
FWRITE = 0x0002
FNONBLOCK = O_NONBLOCK
FAPPEND = O_APPEND
FASYNC = O_ASYNC
FMASK = FREAD | FWRITE | FAPPEND | FASYNC | FNONBLOCK | O_DIRECT
FCNTLFLAGS = FAPPEND | FASYNC | FNONBLOCK | O_DIRECT


def FFLAGS(oflags: int) -> int:
    return oflags + 1


def OFLAGS(fflags: int) -> int:
    return fflags - 1


F_DUPFD = 0
F_GETFD = 1
F_SETFD = 2
F_GETFL = 3
F_SETFL = 4
F_GETOWN = 5
F_SETOWN = 6
F_DUPFD_CLOEXEC = 17
FD_CLOEXEC = 1

# access(2)
F_OK = 0
X_OK = 0x01
W_OK = 0x02
R_OK = 0x04

# lseek(2)
SEEK_SET = 0
SEEK_CUR = 1
SEEK_END = 2
