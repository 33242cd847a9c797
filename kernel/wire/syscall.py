"""<sys/syscall.h>: system call numbers (FreeBSD's syscalls.master).

The kernel's table (kernel/kern/syscalls.py) maps these to handlers; libc
traps with them.  Where FreeBSD later renumbered a call (stat, fstat,
getdirentries), the classic number is used.  Numbers >= 1000 are kamebox's
own: process creation without fork (Python cannot fork a greenlet).
"""
from __future__ import annotations

SYS_syscall = 0
SYS_exit = 1
SYS_fork = 2
SYS_read = 3
SYS_write = 4
SYS_open = 5
SYS_close = 6
SYS_wait4 = 7
SYS_link = 9
SYS_unlink = 10
SYS_chdir = 12
SYS_fchdir = 13
SYS_chmod = 15
SYS_getpid = 20
SYS_getuid = 24
SYS_geteuid = 25
SYS_recvmsg = 27
SYS_sendmsg = 28
SYS_recvfrom = 29
SYS_accept = 30
SYS_getpeername = 31
SYS_getsockname = 32
SYS_access = 33
SYS_sync = 36
SYS_kill = 37
SYS_getppid = 39
SYS_dup = 41
SYS_pipe = 42
SYS_getegid = 43
SYS_getgid = 47
SYS_getlogin = 49
SYS_ioctl = 54
SYS_reboot = 55
SYS_symlink = 57
SYS_readlink = 58
SYS_execve = 59
SYS_umask = 60
SYS_getpgrp = 81
SYS_setpgid = 82
SYS_setitimer = 83
SYS_getitimer = 86
SYS_getdtablesize = 89
SYS_dup2 = 90
SYS_fcntl = 92
SYS_select = 93
SYS_fsync = 95
SYS_socket = 97
SYS_connect = 98
SYS_bind = 104
SYS_setsockopt = 105
SYS_listen = 106
SYS_gettimeofday = 116
SYS_getrusage = 117
SYS_getsockopt = 118
SYS_readv = 120
SYS_writev = 121
SYS_settimeofday = 122
SYS_fchmod = 124
SYS_rename = 128
SYS_sendto = 133
SYS_shutdown = 134
SYS_socketpair = 135
SYS_mkdir = 136
SYS_rmdir = 137
SYS_setsid = 147
SYS_stat = 188
SYS_fstat = 189
SYS_lstat = 190
SYS_getdirentries = 196
SYS___sysctl = 202
SYS_getpgid = 207
SYS_poll = 209
SYS_clock_gettime = 232
SYS_clock_settime = 233
SYS_clock_getres = 234
SYS_nanosleep = 240
SYS_getsid = 310
SYS___getcwd = 326
SYS_sched_yield = 331
SYS_sigprocmask = 340
SYS_sigsuspend = 341
SYS_sigpending = 343
SYS_sigaction = 416
SYS_lseek = 478
SYS_truncate = 479
SYS_ftruncate = 480
SYS_pipe2 = 542
SYS_accept4 = 541

# kamebox extensions
SYS_kb_spawn = 1000          # posix_spawn(3) as one call: new process running a file
SYS_kb_daemon = 1001         # daemon(3)'s fork: the caller continues as a new child
                             # process, the old process exits 0

SYS_MAXSYSCALL = 1024

# number -> name, for ktrace-like output and the per-number counters
syscallnames: dict[int, str] = {
    v: k[4:] for k, v in list(globals().items()) if k.startswith("SYS_") and k != "SYS_MAXSYSCALL"
}
