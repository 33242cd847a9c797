"""rtsol(8): send router solicitations once (usr.sbin/rtsold built SMALL as /sbin/rtsol).

``rtsol [-dDF] [-O script-name] [-R script-name] interface ...`` or ``-a``:
rtsold(8) in the foreground for one round — up to 3 Router Solicitations
per interface, exiting when every interface has received a Router
Advertisement (the kernel configures the addresses from it) or after the
last solicitation's wait.  /etc/rc runs it for accept_rtadv interfaces when
rtsold is not enabled.  The code is userland/usr_sbin/rtsold.py.
"""
from __future__ import annotations

from userland.usr_sbin.rtsold import rtsol_main


def main(argv: list[str]) -> int:
    return rtsol_main(argv)
