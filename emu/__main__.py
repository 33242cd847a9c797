"""``python -m emu`` is the ``kamebox`` command."""
import sys

from emu.cli import main

sys.exit(main())
