"""libc: the syscall shim and the C library of kamebox programs (lib/libc).

A program is ``main(argv: list[str]) -> int`` written against this module
only (and the shared headers in kernel/wire); see docs/userland.md.
``syscall(num, *args)`` traps into the kernel of the process that is running:
the process's greenlet carries its trap gate (``getcurrent().trap``) and its
user memory (``getcurrent().vm``), where the library keeps what C keeps in
static storage — stdio buffers, the environment, atexit handlers.

Errors are ``OSError`` with BSD errno values (kernel/wire/errno.py);
``err``/``warn`` print them as BSD's err(3) does (``ping6: sendmsg: No route
to host``).  Output goes through a small stdio: stdout is line-buffered on a
terminal and fully buffered otherwise, stderr is unbuffered, and everything is
flushed at exit.  Never use Python's ``print``: it bypasses the process.

The library is five modules, re-exported here:

- libc_sys.py — the trap and the system call wrappers, processes, signals,
  files, time, sockets, sysctl (lib/libc/sys, lib/libc/gen);
- libc_net.py — inet_pton/ntop, getaddrinfo/getnameinfo, if_nametoindex
  (lib/libc/net, lib/libc/inet);
- libc_ip6.py — the RFC 3542 extension header helpers inet6_opt_* and
  inet6_rth_* (lib/libc/net/ip6opt.c, rthdr.c);
- libc_stdio.py — stdio, err(3), getopt(3), syslog(3), atoi(3) (lib/libc/stdio,
  gen, stdlib);
- libc_mcast.py — setsourcefilter/getsourcefilter (RFC 3678), getifmaddrs(3).
"""
from __future__ import annotations

from userland.libc_ip6 import *  # noqa: F401,F403
from userland.libc_mcast import *  # noqa: F401,F403
from userland.libc_net import *  # noqa: F401,F403
from userland.libc_stdio import *  # noqa: F401,F403
from userland.libc_stdio import _IOFBF, _IOLBF, _IONBF  # noqa: F401
from userland.libc_sys import *  # noqa: F401,F403
from userland.libc_sys import _exit, _trap, _vm  # noqa: F401
