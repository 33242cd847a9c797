"""<sys/syslog.h>: priorities and facilities (shared by log(9) and syslog(3))."""
from __future__ import annotations

LOG_EMERG = 0
LOG_ALERT = 1
LOG_CRIT = 2
LOG_ERR = 3
LOG_WARNING = 4
LOG_NOTICE = 5
LOG_INFO = 6
LOG_DEBUG = 7
LOG_PRIMASK = 0x07

LOG_KERN = 0 << 3
LOG_USER = 1 << 3
LOG_MAIL = 2 << 3
LOG_DAEMON = 3 << 3
LOG_AUTH = 4 << 3
LOG_SYSLOG = 5 << 3
LOG_LPR = 6 << 3
LOG_NEWS = 7 << 3
LOG_UUCP = 8 << 3
LOG_CRON = 9 << 3
LOG_AUTHPRIV = 10 << 3
LOG_FTP = 11 << 3
LOG_NTP = 12 << 3
LOG_SECURITY = 13 << 3
LOG_CONSOLE = 14 << 3
LOG_LOCAL0 = 16 << 3
LOG_LOCAL1 = 17 << 3
LOG_LOCAL2 = 18 << 3
LOG_LOCAL3 = 19 << 3
LOG_LOCAL4 = 20 << 3
LOG_LOCAL5 = 21 << 3
LOG_LOCAL6 = 22 << 3
LOG_LOCAL7 = 23 << 3
LOG_FACMASK = 0x03F8

# openlog(3) options
LOG_PID = 0x01
LOG_CONS = 0x02
LOG_ODELAY = 0x04
LOG_NDELAY = 0x08
LOG_NOWAIT = 0x10
LOG_PERROR = 0x20


def LOG_PRI(p: int) -> int:
    return p & LOG_PRIMASK


def LOG_FAC(p: int) -> int:
    return (p & LOG_FACMASK) >> 3


def LOG_MAKEPRI(fac: int, pri: int) -> int:
    return fac | pri
