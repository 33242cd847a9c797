"""Kernel messages: log(9) and the message buffer (sys/kern/subr_prf.c, subr_msgbuf.c).

``k.printf`` (init_main.py) writes to the console and the message buffer.
``log(k, level, msg)`` is the syslog path of the kernel: the message enters
the buffer with its ``<pri>`` prefix (dmesg(8) strips it) and, since no
syslogd reads ``/dev/klog`` here, also goes to the console as BSD does when
the log device is closed.

``kern.msgbuf`` returns the buffer (what dmesg reads); writing 1 to
``kern.msgbuf_clear`` empties it.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from kernel.kern.kern_sysctl import SYSCTL_PROC
from kernel.wire.syslog import LOG_DEBUG, LOG_ERR, LOG_INFO, LOG_NOTICE, LOG_WARNING  # noqa: F401
from kernel.wire.sysctl import CTLTYPE_INT, CTLTYPE_STRING

if TYPE_CHECKING:  # pragma: no cover
    from kernel.kern.init_main import Kernel

MSGBUF_CHUNKS = 4096


def log(k: "Kernel", level: int, msg: str) -> None:
    """log(9): a kernel syslog message at priority ``level``."""
    k.msgbuf.append(f"<{level}>{msg}")
    if len(k.msgbuf) > MSGBUF_CHUNKS:
        del k.msgbuf[:MSGBUF_CHUNKS // 4]
    k.platform.console_write(msg)


def msgbuf_text(k: "Kernel") -> str:
    return "".join(k.msgbuf)


def msgbuf_init(k: "Kernel") -> None:
    """SYSINIT: the msgbuf sysctls."""
    def clear(v: int) -> None:
        if int(v):
            k.msgbuf.clear()

    SYSCTL_PROC(k, "kern.msgbuf", CTLTYPE_STRING, lambda: msgbuf_text(k),
                descr="Contents of kernel message buffer")
    SYSCTL_PROC(k, "kern.msgbuf_clear", CTLTYPE_INT, lambda: 0, clear,
                descr="Clear kernel message buffer")
