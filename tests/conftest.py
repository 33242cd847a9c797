"""Shared pytest helpers.

Interop tests need real peers (tshark, root, /dev/net/tun, Debian packages).
They skip with a reason when the peer is missing, except when
``KAMEBOX_REQUIRE_INTEROP=1`` is set (``.ci/run`` sets it): then a missing peer
is a failure, so CI cannot pass by skipping.
"""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

REQUIRE_INTEROP = os.environ.get("KAMEBOX_REQUIRE_INTEROP") == "1"


def require_tool(name: str) -> str:
    """Return the path of program ``name``, or skip (fail under KAMEBOX_REQUIRE_INTEROP=1)."""
    path = shutil.which(name)
    if path is None:
        msg = f"{name} is not installed (apt-get install it, or run .ci/run)"
        if REQUIRE_INTEROP:
            pytest.fail(msg + " — required because KAMEBOX_REQUIRE_INTEROP=1")
        pytest.skip(msg)
    return path


def require_root() -> None:
    if os.geteuid() != 0:
        msg = "needs root"
        if REQUIRE_INTEROP:
            pytest.fail(msg + " — required because KAMEBOX_REQUIRE_INTEROP=1")
        pytest.skip(msg)
