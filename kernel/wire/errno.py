"""<sys/errno.h>: FreeBSD error numbers and their messages (lib/libc/gen/errlst.c).

The kernel and userland use these values everywhere, never Python's ``errno``
module: Linux numbers differ from BSD's above 34 (EAGAIN is 11 on Linux and
35 here, ENOSYS 38 there and 78 here).  ``strerror(e)`` gives FreeBSD's text,
so ``err(1, "sendmsg")`` prints ``ping6: sendmsg: No route to host`` as on
FreeBSD.

Errors cross the syscall boundary as ``OSError(e, strerror(e))``; the
kernel-internal pseudo errors (ERESTART, EJUSTRETURN) never reach userland.
"""
from __future__ import annotations

EPERM = 1
ENOENT = 2
ESRCH = 3
EINTR = 4
EIO = 5
ENXIO = 6
E2BIG = 7
ENOEXEC = 8
EBADF = 9
ECHILD = 10
EDEADLK = 11
ENOMEM = 12
EACCES = 13
EFAULT = 14
ENOTBLK = 15
EBUSY = 16
EEXIST = 17
EXDEV = 18
ENODEV = 19
ENOTDIR = 20
EISDIR = 21
EINVAL = 22
ENFILE = 23
EMFILE = 24
ENOTTY = 25
ETXTBSY = 26
EFBIG = 27
ENOSPC = 28
ESPIPE = 29
EROFS = 30
EMLINK = 31
EPIPE = 32
EDOM = 33
ERANGE = 34
EAGAIN = 35
EWOULDBLOCK = EAGAIN
EINPROGRESS = 36
EALREADY = 37
ENOTSOCK = 38
EDESTADDRREQ = 39
EMSGSIZE = 40
EPROTOTYPE = 41
ENOPROTOOPT = 42
EPROTONOSUPPORT = 43
ESOCKTNOSUPPORT = 44
EOPNOTSUPP = 45
ENOTSUP = EOPNOTSUPP
EPFNOSUPPORT = 46
EAFNOSUPPORT = 47
EADDRINUSE = 48
EADDRNOTAVAIL = 49
ENETDOWN = 50
ENETUNREACH = 51
ENETRESET = 52
ECONNABORTED = 53
ECONNRESET = 54
ENOBUFS = 55
EISCONN = 56
ENOTCONN = 57
ESHUTDOWN = 58
ETOOMANYREFS = 59
ETIMEDOUT = 60
ECONNREFUSED = 61
ELOOP = 62
ENAMETOOLONG = 63
EHOSTDOWN = 64
EHOSTUNREACH = 65
ENOTEMPTY = 66
EPROCLIM = 67
EUSERS = 68
EDQUOT = 69
ESTALE = 70
EREMOTE = 71
EBADRPC = 72
ERPCMISMATCH = 73
EPROGUNAVAIL = 74
EPROGMISMATCH = 75
EPROCUNAVAIL = 76
ENOLCK = 77
ENOSYS = 78
EFTYPE = 79
EAUTH = 80
ENEEDAUTH = 81
EIDRM = 82
ENOMSG = 83
EOVERFLOW = 84
ECANCELED = 85
EILSEQ = 86
ENOATTR = 87
EDOOFUS = 88
EBADMSG = 89
EMULTIHOP = 90
ENOLINK = 91
EPROTO = 92
ENOTCAPABLE = 93
ECAPMODE = 94
ENOTRECOVERABLE = 95
EOWNERDEAD = 96
ELAST = 96

# Kernel-internal pseudo errors (sys/errno.h, _KERNEL): never seen by userland.
ERESTART = -1          # restart the syscall (signal handler with SA_RESTART)
EJUSTRETURN = -2       # do not touch the return value
ENOIOCTL = -3          # ioctl not handled by this layer; try the next
EDIRIOCTL = -4

_MESSAGES = {
    0: "No error: 0",
    EPERM: "Operation not permitted",
    ENOENT: "No such file or directory",
    ESRCH: "No such process",
    EINTR: "Interrupted system call",
    EIO: "Input/output error",
    ENXIO: "Device not configured",
    E2BIG: "Argument list too long",
    ENOEXEC: "Exec format error",
    EBADF: "Bad file descriptor",
    ECHILD: "No child processes",
    EDEADLK: "Resource deadlock avoided",
    ENOMEM: "Cannot allocate memory",
    EACCES: "Permission denied",
    EFAULT: "Bad address",
    ENOTBLK: "Block device required",
    EBUSY: "Device busy",
    EEXIST: "File exists",
    EXDEV: "Cross-device link",
    ENODEV: "Operation not supported by device",
    ENOTDIR: "Not a directory",
    EISDIR: "Is a directory",
    EINVAL: "Invalid argument",
    ENFILE: "Too many open files in system",
    EMFILE: "Too many open files",
    ENOTTY: "Inappropriate ioctl for device",
    ETXTBSY: "Text file busy",
    EFBIG: "File too large",
    ENOSPC: "No space left on device",
    ESPIPE: "Illegal seek",
    EROFS: "Read-only file system",
    EMLINK: "Too many links",
    EPIPE: "Broken pipe",
    EDOM: "Numerical argument out of domain",
    ERANGE: "Result too large",
    EAGAIN: "Resource temporarily unavailable",
    EINPROGRESS: "Operation now in progress",
    EALREADY: "Operation already in progress",
    ENOTSOCK: "Socket operation on non-socket",
    EDESTADDRREQ: "Destination address required",
    EMSGSIZE: "Message too long",
    EPROTOTYPE: "Protocol wrong type for socket",
    ENOPROTOOPT: "Protocol not available",
    EPROTONOSUPPORT: "Protocol not supported",
    ESOCKTNOSUPPORT: "Socket type not supported",
    EOPNOTSUPP: "Operation not supported",
    EPFNOSUPPORT: "Protocol family not supported",
    EAFNOSUPPORT: "Address family not supported by protocol family",
    EADDRINUSE: "Address already in use",
    EADDRNOTAVAIL: "Can't assign requested address",
    ENETDOWN: "Network is down",
    ENETUNREACH: "Network is unreachable",
    ENETRESET: "Network dropped connection on reset",
    ECONNABORTED: "Software caused connection abort",
    ECONNRESET: "Connection reset by peer",
    ENOBUFS: "No buffer space available",
    EISCONN: "Socket is already connected",
    ENOTCONN: "Socket is not connected",
    ESHUTDOWN: "Can't send after socket shutdown",
    ETOOMANYREFS: "Too many references: can't splice",
    ETIMEDOUT: "Operation timed out",
    ECONNREFUSED: "Connection refused",
    ELOOP: "Too many levels of symbolic links",
    ENAMETOOLONG: "File name too long",
    EHOSTDOWN: "Host is down",
    EHOSTUNREACH: "No route to host",
    ENOTEMPTY: "Directory not empty",
    EPROCLIM: "Too many processes",
    EUSERS: "Too many users",
    EDQUOT: "Disc quota exceeded",
    ESTALE: "Stale NFS file handle",
    EREMOTE: "Too many levels of remote in path",
    EBADRPC: "RPC struct is bad",
    ERPCMISMATCH: "RPC version wrong",
    EPROGUNAVAIL: "RPC prog. not avail",
    EPROGMISMATCH: "Program version wrong",
    EPROCUNAVAIL: "Bad procedure for program",
    ENOLCK: "No locks available",
    ENOSYS: "Function not implemented",
    EFTYPE: "Inappropriate file type or format",
    EAUTH: "Authentication error",
    ENEEDAUTH: "Need authenticator",
    EIDRM: "Identifier removed",
    ENOMSG: "No message of desired type",
    EOVERFLOW: "Value too large to be stored in data type",
    ECANCELED: "Operation canceled",
    EILSEQ: "Illegal byte sequence",
    ENOATTR: "Attribute not found",
    EDOOFUS: "Programming error",
    EBADMSG: "Bad message",
    EMULTIHOP: "Multihop attempted",
    ENOLINK: "Link has been severed",
    EPROTO: "Protocol error",
    ENOTCAPABLE: "Capabilities insufficient",
    ECAPMODE: "Not permitted in capability mode",
    ENOTRECOVERABLE: "State not recoverable",
    EOWNERDEAD: "Previous owner died",
}

# errno -> symbolic name ("EAGAIN"), like Python's errno.errorcode.
errorcode: dict[int, str] = {}
for _name, _val in list(globals().items()):
    if _name.startswith("E") and _name.isupper() and isinstance(_val, int) and 0 < _val <= ELAST:
        errorcode.setdefault(_val, _name)
errorcode[EAGAIN] = "EAGAIN"
errorcode[EOPNOTSUPP] = "EOPNOTSUPP"
del _name, _val


def strerror(e: int) -> str:
    """FreeBSD's message for error ``e`` ("Unknown error: N" otherwise)."""
    msg = _MESSAGES.get(e)
    return msg if msg is not None else f"Unknown error: {e}"


def oserror(e: int, detail: str | None = None) -> OSError:
    """``OSError(e, strerror(e))``: the one way kernel code makes an error."""
    return OSError(e, detail if detail is not None else strerror(e))
