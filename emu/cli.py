"""The ``kamebox`` command (the front: the one place hardware, kernel and drivers meet).

Subcommands today:

* ``kamebox demo [--pcap FILE] [--frames N] [--seed N]`` — run the driver
  example (two machines with em NICs on a segment; see
  docs/driver-without-hardware.md);
* ``kamebox --version``.

Errors on the command line get a one-line message and exit status 2.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Optional, Sequence

VERSION = "0.1.0"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kamebox", description="Boot emulated BSD/KAME hosts.")
    p.add_argument("--version", action="version", version=f"kamebox {VERSION}")
    sub = p.add_subparsers(dest="cmd", metavar="COMMAND")
    d = sub.add_parser("demo", help="run the em(4) driver-without-hardware example",
                       add_help=False)
    d.add_argument("args", nargs=argparse.REMAINDER, help="options of the example (see --help)")
    return p


def _run_example(name: str, argv: list[str]) -> int:
    import runpy
    path = Path(__file__).resolve().parent.parent / "examples" / name
    if not path.exists():
        print(f"kamebox: {path}: example not found (run from a source checkout)", file=sys.stderr)
        return 2
    old = sys.argv
    sys.argv = [str(path), *argv]
    try:
        runpy.run_path(str(path), run_name="__main__")
    except SystemExit as e:
        return int(e.code or 0) if not isinstance(e.code, str) else (print(e.code, file=sys.stderr) or 1)
    finally:
        sys.argv = old
    return 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["demo"]:             # the example parses its own options
        return _run_example("driver_without_hardware.py", argv[1:])
    parser = build_parser()
    parser.parse_args(argv)
    parser.print_help()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
