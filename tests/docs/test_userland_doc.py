"""docs/userland.md: the example program runs and prints what the page says."""
from __future__ import annotations

import re

from tests.conftest import ROOT
from tests.kernel.kern.harness import Host

DOC = ROOT / "docs" / "userland.md"


def test_the_hello_program_of_the_userland_page_runs_as_shown():
    program, usage = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S)[:2]
    ns: dict = {}
    exec(compile(program, str(DOC), "exec"), ns)
    h = Host(programs={"/usr/bin/hello": ns["main"]})
    r = h.run("/usr/bin/hello -n 2 bob")
    assert (r.status, r.out) == (0, "hello, bob\nhello, bob\n")
    assert 'r.out == "hello, bob\\nhello, bob\\n"' in usage
    r = h.run("/usr/bin/hello")
    assert (r.status, r.err) == (1, "hello: a name is needed\n")
    r = h.run("/usr/bin/hello -x bob")
    assert r.status == 1 and r.err == "hello: illegal option -- x\nusage: hello [-n count] name\n"
