"""The console: type commands into any host of a running lab (prompt_toolkit).

``kamebox run LAB`` on a terminal, with no ``-c``/``--script``, opens it.  The
lab runs in realtime mode (:class:`emu.sched.RealtimePacer` under asyncio,
virtual time paced to the wall clock), so timers, daemons and ping6 intervals
take the time they take on a real host.

- The prompt names the host: ``alice# ``.  ``@bob`` switches to bob;
  ``@bob COMMAND`` runs one command on bob; F2 cycles through the hosts.
- A command runs as on the host's console: argv[0] looked up in
  PATH=/sbin:/bin:/usr/sbin:/usr/bin (:meth:`emu.lab.Lab.start_command`),
  its output printed as it comes.  Ctrl-C sends it SIGINT (the kernel's
  ``kill``); at the prompt Ctrl-C clears the line and Ctrl-D (or ``exit``)
  leaves.
- History (up/down, Ctrl-R) and Tab completion of command names (the programs
  in PATH), ``@host`` names, host names and interface names as arguments.
- What the hosts write on their consoles — kernel messages, daemons — is
  printed above the prompt as ``alice: message``.
- ``help`` lists the hosts and these keys.

Tests drive it without a terminal through prompt_toolkit's pipe input and
DummyOutput (tests/emu/test_console.py).
"""
from __future__ import annotations

import asyncio
import signal
import sys
from typing import Any, Callable, Iterable, Optional

from prompt_toolkit import PromptSession
from prompt_toolkit.completion import Completer, Completion
from prompt_toolkit.history import InMemoryHistory
from prompt_toolkit.key_binding import KeyBindings
from prompt_toolkit.patch_stdout import patch_stdout

from emu.lab import Job, Lab

BUILTINS = ("exit", "help")
POLL = 0.005          # wall seconds between looks at a running command

HELP = """\
kamebox console, lab {lab}: hosts {hosts}
  COMMAND          run COMMAND on the current host ({host})
  @HOST            switch to HOST (F2 cycles through the hosts)
  @HOST COMMAND    run COMMAND on HOST
  Ctrl-C           interrupt the running command (SIGINT); at the prompt, clear the line
  Ctrl-D, exit     leave the console (the lab stops)
"""


class ConsoleCompleter(Completer):
    """Command names first, then host and interface names; ``@host`` anywhere at the start."""

    def __init__(self, console: "Console") -> None:
        self.console = console

    def get_completions(self, document: Any, complete_event: Any) -> Iterable[Completion]:
        c = self.console
        text = document.text_before_cursor
        word = document.get_word_before_cursor(WORD=True)
        words = text.split()
        first = not words or (len(words) == 1 and not text.endswith(" "))
        if first and word.startswith("@"):
            candidates = [f"@{h}" for h in c.hosts]
        else:
            host = c.current
            if words and words[0].startswith("@"):          # "@bob ping6 ..."
                host = words[0][1:]
                words = words[1:]
                first = not words or (len(words) == 1 and not text.endswith(" "))
            if first:
                candidates = c.lab.command_names(host) + list(BUILTINS) + [f"@{h}" for h in c.hosts]
            else:
                lm = c.lab.machines.get(host)
                candidates = list(c.hosts) + (list(lm.ifnames) if lm is not None else [])
        for cand in sorted(set(candidates)):
            if cand.startswith(word):
                yield Completion(cand, start_position=-len(word))


class Console:
    """An interactive console over a booted :class:`~emu.lab.Lab`."""

    def __init__(self, lab: Lab, *, input: Any = None, output: Any = None,
                 write: Optional[Callable[[str], None]] = None, speed: float = 1.0) -> None:
        if not lab.machines:
            raise ValueError("a console needs a lab with hosts")
        self.lab = lab
        self.hosts = list(lab.machines)
        self.current = self.hosts[0]
        self.job: Optional[Job] = None
        self.speed = speed
        self.write = write or self._print
        self._partial: dict[str, str] = {}
        self.session: PromptSession = PromptSession(
            message=self.prompt_message, history=InMemoryHistory(),
            completer=ConsoleCompleter(self), complete_while_typing=False,
            key_bindings=self._key_bindings(), input=input, output=output)

    @staticmethod
    def _print(text: str) -> None:
        sys.stdout.write(text)
        sys.stdout.flush()

    def prompt_message(self) -> str:
        return f"{self.current}# "

    def _key_bindings(self) -> KeyBindings:
        kb = KeyBindings()

        @kb.add("f2")
        def _(event: Any) -> None:
            self.cycle()
            event.app.invalidate()
        return kb

    # -- hosts ------------------------------------------------------------------------
    def switch(self, host: str) -> bool:
        if host not in self.lab.machines:
            self.write(f"kamebox: no host \"{host}\" (hosts: {', '.join(self.hosts)})\n")
            return False
        self.current = host
        return True

    def cycle(self) -> str:
        i = self.hosts.index(self.current)
        self.current = self.hosts[(i + 1) % len(self.hosts)]
        return self.current

    # -- output -----------------------------------------------------------------------
    def console_output(self, host: str, text: str) -> None:
        """A host's console (kernel, daemons): whole lines, as ``host: line``."""
        buf = self._partial.get(host, "") + text
        *lines, rest = buf.split("\n")
        self._partial[host] = rest
        for line in lines:
            self.write(f"{host}: {line}\n")

    def job_output(self, host: str, text: str) -> None:
        self.write(text)

    # -- commands ---------------------------------------------------------------------
    def interrupt(self) -> bool:
        """Ctrl-C while a command runs: SIGINT to it."""
        job = self.job
        if job is None or job.done:
            return False
        if not job.interrupt():
            self.write(f"^C ({job.host}: the kernel cannot send signals yet)\n")
            return False
        return True

    async def execute(self, line: str) -> bool:
        """Run one console line; False when the console should close."""
        line = line.strip()
        if not line or line.startswith("#"):
            return True
        if line in ("exit", "logout", "quit"):
            return False
        if line in ("help", "?"):
            self.write(HELP.format(lab=self.lab.name, hosts=", ".join(self.hosts),
                                   host=self.current))
            return True
        host = self.current
        if line.startswith("@"):
            name, _, rest = line[1:].partition(" ")
            if not rest.strip():
                self.switch(name)
                return True
            if name not in self.lab.machines:
                self.switch(name)                  # prints the message
                return True
            host, line = name, rest.strip()
        await self.run_job(host, line)
        return True

    async def run_job(self, host: str, line: str) -> Optional[int]:
        job = self.lab.start_command(host, line, on_output=self.job_output)
        self.job = job
        loop = asyncio.get_running_loop()
        handler = False
        try:
            try:
                loop.add_signal_handler(signal.SIGINT, self.interrupt)
                handler = True
            except (NotImplementedError, RuntimeError, ValueError):
                pass                               # not the main thread: no Ctrl-C
            while not job.done:
                await asyncio.sleep(POLL)
        finally:
            if handler:
                loop.remove_signal_handler(signal.SIGINT)
            self.job = None
        return job.status

    async def run(self) -> int:
        """The console until Ctrl-D or ``exit``; the lab runs paced meanwhile."""
        pacer = self.lab.pacer(self.speed)          # reads the lab's TAPs too
        old = self.lab.on_console
        self.lab.on_console = self.console_output
        task = asyncio.ensure_future(pacer.run())
        self.write(f"kamebox console, lab {self.lab.name}: hosts {', '.join(self.hosts)} "
                   f"(type help; F2 or @HOST switches host)\n")
        try:
            while True:
                try:
                    line = await self.session.prompt_async()
                except KeyboardInterrupt:
                    continue
                except EOFError:
                    break
                if not await self.execute(line):
                    break
        finally:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass
            self.lab.on_console = old
        return 0


def run_console(lab: Lab) -> int:
    """Open the console on the terminal (``kamebox run`` without commands)."""
    console = Console(lab)

    async def main() -> int:
        with patch_stdout(raw=True):
            return await console.run()
    return asyncio.run(main())


__all__ = ["Console", "ConsoleCompleter", "run_console"]
