"""docs/multicast.md: the transcripts are what kamebox prints, the names it cites exist."""
from __future__ import annotations

import re
import shlex

from tests.conftest import ROOT

DOC = ROOT / "docs" / "multicast.md"


def test_multicast_walkthrough_transcripts_are_what_kamebox_prints(capsys, monkeypatch):
    """Each ```sh block holding a `kamebox run` command is followed by a ```text
    block with exactly what that command prints."""
    from emu.cli import main
    pairs = re.findall(r"```sh\n(kamebox run [^\n]*)\n```\s*```text\n(.*?)```", DOC.read_text(), re.S)
    assert pairs, "no kamebox run transcript in docs/multicast.md"
    monkeypatch.chdir(ROOT)
    for command, expected in pairs:
        assert main(shlex.split(command)[1:]) == 0, command
        assert capsys.readouterr().out == expected, command


def test_the_functions_the_page_names_exist():
    from drivers import if_em, if_re
    from kernel.netinet import igmp, in_mcast
    from kernel.netinet6 import in6_mcast, mld6, nd6_nbr
    names = {"em_set_multi": if_em, "re_set_rxmode": if_re, "mc_join_group": in_mcast,
             "mc_join": in_mcast, "imo_multi_filter": in_mcast, "inp_setmoptions": in_mcast,
             "ip6_setmoptions": in6_mcast, "im6o_mc_filter": in6_mcast, "mld_dad_delay": mld6,
             "mld_ifup": mld6, "mld_input": mld6, "igmp_input": igmp, "nd6_dad_start": nd6_nbr}
    text = DOC.read_text()
    for name, mod in names.items():
        assert name in text and hasattr(mod, name), name
