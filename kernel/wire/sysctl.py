"""<sys/sysctl.h>: node types and flags, shared by the kernel and sysctl(8)."""
from __future__ import annotations

CTLTYPE = 0xF
CTLTYPE_NODE = 1
CTLTYPE_INT = 2
CTLTYPE_STRING = 3
CTLTYPE_S64 = 4
CTLTYPE_OPAQUE = 5
CTLTYPE_STRUCT = CTLTYPE_OPAQUE
CTLTYPE_UINT = 6
CTLTYPE_LONG = 7
CTLTYPE_ULONG = 8
CTLTYPE_U64 = 9

CTLFLAG_RD = 0x80000000
CTLFLAG_WR = 0x40000000
CTLFLAG_RW = CTLFLAG_RD | CTLFLAG_WR
CTLFLAG_TUN = 0x00080000

# The "sysctl.*" operations of the __sysctl syscall, numbered as FreeBSD's
# magic {0, op} prefixes (kern_sysctl.c): look a name up, walk, describe.
CTL_SYSCTL_DEBUG = 0
CTL_SYSCTL_NAME = 1
CTL_SYSCTL_NEXT = 2          # here: list the leaves below a prefix
CTL_SYSCTL_NAME2OID = 3
CTL_SYSCTL_OIDFMT = 4        # here: (kind | flags)
CTL_SYSCTL_OIDDESCR = 5
CTL_SYSCTL_GET = -1          # kamebox: read (and write) the value of a name
