"""The console (emu/console.py), driven without a terminal: prompt_toolkit pipe input and
DummyOutput; commands run against tests/emu/fakeproc.py (the process layer's stand-in)."""
from __future__ import annotations

import asyncio

from prompt_toolkit.document import Document
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from emu.console import Console, ConsoleCompleter
from emu.lab import Lab
from tests.conftest import ROOT
from tests.emu import fakeproc

DEMO = ROOT / "images" / "labs" / "demo.toml"
F2 = "\x1bOQ"


def booted() -> Lab:
    lab = Lab.from_file(DEMO)
    lab.boot()
    return lab


def session(lab: Lab, keys: str, speed: float = 50.0) -> tuple[int, str, Console]:
    out: list[str] = []

    async def main() -> tuple[int, Console]:
        with create_pipe_input() as inp:
            c = Console(lab, input=inp, output=DummyOutput(), write=out.append, speed=speed)
            inp.send_text(keys)
            return await c.run(), c
    status, c = asyncio.run(main())
    return status, "".join(out), c


def test_scripted_console_switches_hosts_and_runs_commands(monkeypatch):
    fakeproc.install(monkeypatch)
    status, out, c = session(booted(), "hostname\r@bob\rhostname\r@carol echo on carol\r"
                                       f"{F2}hostname\r@dave\rping7\rexit\r")
    assert status == 0
    lines = out.splitlines()
    assert lines[0].startswith("kamebox console, lab demo: hosts alice, bob, carol, r1")
    assert lines[1:] == ["alice", "bob", "on carol", "carol",
                         'kamebox: no host "dave" (hosts: alice, bob, carol, r1)',
                         "carol: ping7: Command not found."]
    assert c.current == "carol"                  # @bob, then F2 -> carol; @carol CMD does not switch


def test_history_keeps_the_commands(monkeypatch):
    fakeproc.install(monkeypatch)
    _, _, c = session(booted(), "echo 1\recho 2\r\x04")   # Ctrl-D leaves
    assert list(c.session.history.get_strings()) == ["echo 1", "echo 2"]


def test_daemon_output_is_printed_with_the_host_name(monkeypatch):
    fakeproc.install(monkeypatch)
    status, out, _ = session(booted(), "@bob daemon\rsleep 0.05\rexit\r", speed=1.0)
    assert "bob: daemon: started\n" in out


def test_ctrl_c_sends_sigint_to_the_running_command(monkeypatch):
    procs = fakeproc.install(monkeypatch)
    lab = booted()
    out: list[str] = []

    async def main() -> None:
        with create_pipe_input() as inp:
            c = Console(lab, input=inp, output=DummyOutput(), write=out.append, speed=10.0)
            assert c.interrupt() is False                 # nothing running
            from emu.sched import RealtimePacer
            task = asyncio.ensure_future(RealtimePacer(lab.sched, 10.0).run())
            run = asyncio.ensure_future(c.execute("ticker"))
            while "tick 2\n" not in out:
                await asyncio.sleep(0.005)
            assert c.interrupt() is True
            await run
            task.cancel()
    asyncio.run(main())
    assert procs.signals == [(100, 2)]
    assert "".join(out).endswith("^C\n")


def test_completion_of_commands_hosts_and_interfaces(monkeypatch):
    fakeproc.install(monkeypatch)
    lab = booted()
    c = Console(lab, output=DummyOutput(), write=lambda s: None)
    comp = ConsoleCompleter(c)

    def complete(text: str) -> list[str]:
        return [x.text for x in comp.get_completions(Document(text), None)]
    assert complete("ho") == ["hostname"]
    assert complete("e") == ["echo", "exit"]
    assert complete("@") == ["@alice", "@bob", "@carol", "@r1"]
    assert complete("ping6 -c 3 b") == ["bob"]
    assert complete("sendframe e") == ["em0"]
    assert complete("@bob ec") == ["echo"]
    assert "daemon" in complete("")
