"""dmesg(8): display the system message buffer (sbin/dmesg/dmesg.c).

Lines the kernel logged with log(9) carry a ``<pri>`` prefix in the buffer;
it is removed, and only kernel-facility messages are shown unless -a.
"""
from __future__ import annotations

from kernel.wire.syslog import LOG_FACMASK, LOG_KERN
from userland import libc
from userland.libc import stderr


def main(argv: list[str]) -> int:
    opts, rest = libc.getopt(argv, "aM:N:")
    show_all = False
    for o, _ in opts:
        if o == "a":
            show_all = True
        elif o in ("M", "N"):
            libc.errx(1, "kvm_openfiles: crash dumps are not supported here")
        else:
            libc.fprintf(stderr, "usage: dmesg [-a] [-M core [-N system]]\n")
            return 1
    if rest:
        libc.fprintf(stderr, "usage: dmesg [-a] [-M core [-N system]]\n")
        return 1
    try:
        buf = libc.sysctlbyname("kern.msgbuf")
    except OSError:
        libc.err(1, "sysctl kern.msgbuf")
        return 1
    buf = buf.lstrip("\0")
    out = []
    for line in buf.splitlines(keepends=True):
        if line.startswith("<"):
            end = line.find(">")
            if end > 1 and line[1:end].isdigit():
                pri = int(line[1:end])
                if not show_all and (pri & LOG_FACMASK) != LOG_KERN:
                    continue
                line = line[end + 1:]
        out.append(line)
    text = "".join(out)
    if text and not text.endswith("\n"):
        text += "\n"
    libc.fputs(text, libc.stdout)
    return 0
