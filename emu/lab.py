"""Labs: machines, NICs and segments on one clock (the front of the emulator).

This is the one place (with cli.py, console.py and __main__.py) where the
hardware, the kernel, the drivers and the images meet.  A :class:`Lab` owns
the scheduler (one clock, one seeded RNG), the segments and the machines; it
plugs NIC models into machines, cables them to segments, and boots each
machine's kernel with a kernel configuration naming its drivers — BSD's
``device em`` — taken from :data:`DRIVERS`, and its programs.

A lab comes from a lab file (docs/labs.md)::

    lab = Lab.from_file("images/labs/demo.toml")
    lab.boot()
    status, output = lab.run_command("alice", "ping6 -c 3 bob")

or is built in code::

    lab = Lab(seed=1)
    seg = lab.segment("net0")
    a = lab.machine("a", nics=[("em", seg)])
    b = lab.machine("b", nics=[("em", seg)])
    lab.boot()
    lab.run_for(SEC)

Where this meets the process layer of the kernel (kernel/kern), each in one
function below: :func:`program_table` (``userland.programs``),
:func:`kernel_config` (``KernelConfig.programs``), :func:`seed_filesystem`
(``kernel.kern.vfs.vfs_seed``), :meth:`Lab._start_init` (``Kernel.start_init``:
a host with an image boots /sbin/init, which runs /etc/rc; :meth:`Lab.boot`
waits for every /etc/rc), :meth:`Lab.start_command` (``Kernel.spawn``) with
:func:`proc_status` and :func:`send_signal` (``kill``).
"""
from __future__ import annotations

import asyncio
import dataclasses
import importlib
import importlib.util
import inspect
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional, Union

from drivers.if_em import em_driver
from emu import images as _images
from emu import labfile
from emu.devices.em import E1000
from emu.diag import show
from emu.machine import Machine
from emu.sched import MS, SEC, RealtimePacer, Scheduler
from emu.wire.pcap import LabCapture
from emu.wire.segment import Segment
from kernel.kern.init_main import Kernel, KernelConfig

# Device models by the name a lab uses, and the driver that attaches to each.
MODELS: dict[str, Callable[..., Any]] = {"em": E1000}
DRIVERS = {"em": em_driver}

# Where commands are looked up, as root's PATH on FreeBSD.
PATH = ("/sbin", "/bin", "/usr/sbin", "/usr/bin")
SIGINT = 2
SIGKILL = 9
DEFAULT_TIMEOUT = 60 * SEC
POLL_WALL = 0.005        # realtime mode: how often (wall s) to look whether a command ended
INIT = "/sbin/init"      # pid 1 of a host with an image; it runs RC
RC = "/etc/rc"
BOOT_RC_TIMEOUT = 120 * SEC

OutputHook = Callable[[str, str], None]     # (host, text)


@dataclass
class LabMachine:
    """A machine of the lab with its kernel and NICs."""

    name: str
    machine: Machine
    nics: list[Any] = field(default_factory=list)
    kernel: Optional[Kernel] = None
    ifnames: list[str] = field(default_factory=list)      # em0, em1, ... (NIC order)
    segments: list[Optional[str]] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)  # what seeds the filesystem
    image: Optional[_images.HostImage] = None

    def ifnet(self, name: str) -> Any:
        assert self.kernel is not None, "boot the lab first"
        return self.kernel.ifunit(name)

    @property
    def console(self) -> str:
        return self.machine.console_text()


# -- the seams with the process layer (kernel/kern, userland) --------------------------------

def program_table() -> dict[str, Callable[..., Any]]:
    """Program path -> main function, from ``userland/programs.py`` when it exists.

    The registry is read from ``userland.programs.PROGRAMS`` (a dict), or from
    ``userland.programs.programs()`` if that is a function.  Empty until the
    userland exists.
    """
    if importlib.util.find_spec("userland.programs") is None:
        return {}
    mod = importlib.import_module("userland.programs")
    table = getattr(mod, "PROGRAMS", None)
    if table is None and callable(getattr(mod, "programs", None)):
        table = mod.programs()
    return dict(table or {})


def kernel_config(drivers: list[Any], programs: dict[str, Callable[..., Any]]) -> KernelConfig:
    """``KernelConfig(devices=..., programs=...)``; ``programs`` only once the field exists."""
    names = {f.name for f in dataclasses.fields(KernelConfig)}
    if "programs" in names:
        return KernelConfig(devices=drivers, programs=programs)   # type: ignore[call-arg]
    return KernelConfig(devices=drivers)


def seed_filesystem(k: Kernel, files: dict[str, bytes]) -> bool:
    """Give a booted kernel its root filesystem: ``kernel.kern.vfs.vfs_seed(k, files)``.

    ``files`` maps absolute paths to contents; a key ending in ``/`` is a
    directory.  Called after ``k.boot()`` and before the clock runs, so init
    finds /etc/rc.conf when it starts.  Returns False (and keeps the files on
    ``k.seed_files``) while the kernel has no filesystem.
    """
    if importlib.util.find_spec("kernel.kern.vfs") is not None:
        vfs = importlib.import_module("kernel.kern.vfs")
        if hasattr(vfs, "vfs_seed"):
            vfs.vfs_seed(k, files)
            return True
    k.seed_files = files            # type: ignore[attr-defined]
    return False


def proc_status(proc: Any) -> Optional[int]:
    """Exit status of a spawned process as a shell shows it, or None while it runs.

    Reads ``p.exit_code`` (kernel/kern/kern_proc.py: None until the process
    has exited, 128 + signal for a death by signal); also understands an
    ``exit_status`` attribute or a ``Popen``-like ``poll()``.
    """
    for attr in ("exit_code", "exit_status"):
        if hasattr(proc, attr):
            return getattr(proc, attr)
    poll = getattr(proc, "poll", None)
    if callable(poll):
        return poll()
    raise TypeError(f"cannot tell whether {proc!r} has exited: expected exit_code or poll()")


def send_signal(k: Kernel, proc: Any, sig: int) -> bool:
    """Send ``sig`` to a spawned process through the kernel's proc API:
    ``k.kill(pid, sig)``, else ``kern_sig.kill(k, pid, sig)``, else
    ``kern_sig.psignal(p, sig)``.  False if the kernel has none of them yet."""
    pid = getattr(proc, "p_pid", getattr(proc, "pid", None))
    kill = getattr(k, "kill", None)
    if callable(kill):
        kill(pid, sig)
        return True
    if importlib.util.find_spec("kernel.kern.kern_sig") is not None:
        kern_sig = importlib.import_module("kernel.kern.kern_sig")
        if callable(getattr(kern_sig, "kill", None)):
            kern_sig.kill(k, pid, sig)
            return True
        if callable(getattr(kern_sig, "psignal", None)):
            kern_sig.psignal(proc, sig)
            return True
    return False


def _accepts(fn: Callable[..., Any], name: str) -> bool:
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return True
    return name in params or any(p.kind is p.VAR_KEYWORD for p in params.values())


class Tty:
    """Where a command's stdout and stderr go: kept, and streamed to ``on_output``."""

    def __init__(self, host: str, on_output: Optional[OutputHook] = None) -> None:
        self.host = host
        self.data = bytearray()
        self.on_output = on_output

    def write(self, data: Union[bytes, bytearray, memoryview, str]) -> int:
        if isinstance(data, str):
            data = data.encode("utf-8", "replace")
        self.data += data
        if self.on_output is not None:
            self.on_output(self.host, bytes(data).decode("utf-8", "replace"))
        return len(data)

    def flush(self) -> None:
        pass

    @staticmethod
    def isatty() -> bool:
        return True

    @property
    def text(self) -> str:
        return self.data.decode("utf-8", "replace")


class Job:
    """A command started on a host: its process (None if it could not start) and tty."""

    def __init__(self, host: str, line: str, tty: Tty, kernel: Optional[Kernel] = None,
                 proc: Any = None, status: Optional[int] = None) -> None:
        self.host = host
        self.line = line
        self.tty = tty
        self.kernel = kernel
        self.proc = proc
        self._status = status
        self.exit_hook = False      # the process tells us when it exits (p.on_exit)

    @property
    def status(self) -> Optional[int]:
        """Exit status, None while the process runs."""
        if self._status is None and self.proc is not None:
            self._status = proc_status(self.proc)
        return self._status

    @property
    def done(self) -> bool:
        return self.status is not None

    def interrupt(self, sig: int = SIGINT) -> bool:
        """Send ``sig`` (SIGINT: the console's Ctrl-C) to the process."""
        if self.done or self.kernel is None or self.proc is None:
            return False
        return send_signal(self.kernel, self.proc, sig)

    @property
    def output(self) -> str:
        return self.tty.text


class Lab:
    def __init__(self, seed: int = 0, name: str = "lab") -> None:
        self.sched = Scheduler(seed)
        self.name = name
        self.spec: Optional[labfile.LabSpec] = None
        self.segments: dict[str, Segment] = {}
        self.machines: dict[str, LabMachine] = {}
        self._mac_serial = 0
        self._macs_taken: set[bytes] = set()
        self.capture: Optional[LabCapture] = None
        self._pcaps: list[Any] = []
        self.programs: dict[str, Callable[..., Any]] = {}
        self.realtime = False
        self.on_console: Optional[OutputHook] = None    # (host, text) of every console

    # -- from a lab file ------------------------------------------------------------
    @classmethod
    def from_file(cls, path: Union[str, Path], seed: Optional[int] = None, *,
                  images_dir: Optional[Path] = None,
                  programs: Optional[dict[str, Callable[..., Any]]] = None,
                  pcap_dir: Optional[Union[str, Path]] = None) -> "Lab":
        """Build the lab a lab file describes (not booted).

        ``seed`` overrides ``[lab] seed``; ``programs`` (path -> main) defaults
        to :func:`program_table`; ``pcap_dir`` captures each segment to
        ``DIR/SEGMENT.pcap``.  Mistakes in the lab file, an image's rc.conf or
        the values it sets raise :class:`emu.diag.ConfigError`.
        """
        spec = labfile.load_lab(path, MODELS, images_dir)
        return cls.from_spec(spec, seed, programs=programs, pcap_dir=pcap_dir)

    @classmethod
    def from_spec(cls, spec: labfile.LabSpec, seed: Optional[int] = None, *,
                  programs: Optional[dict[str, Callable[..., Any]]] = None,
                  pcap_dir: Optional[Union[str, Path]] = None) -> "Lab":
        lab = cls(spec.seed if seed is None else seed, spec.name)
        lab.spec = spec
        lab.programs = program_table() if programs is None else dict(programs)
        host_images = _images.lab_images(spec, lab.programs)
        for seg in spec.segments.values():
            lab.segment(seg.name, latency_ns=seg.latency_ns, bitrate_bps=seg.bitrate_bps,
                        loss=seg.loss, mtu=seg.mtu)
        for host in spec.hosts.values():
            for nic in host.nics:
                if nic.mac is not None:
                    lab._macs_taken.add(nic.mac)
        for host in spec.hosts.values():
            lm = lab.machine(host.name, [(n.model, lab.segments[n.segment] if n.segment else None,
                                          n.mac) for n in host.nics], host.mem)
            lm.image = host_images[host.name]
            lm.files = lm.image.files
        if pcap_dir is not None:
            lab.capture_dir(pcap_dir)
        return lab

    # -- building -----------------------------------------------------------------
    def segment(self, name: str, **params: Any) -> Segment:
        if name in self.segments:
            raise ValueError(f"segment {name!r} already exists")
        seg = Segment(self.sched, name, **params)
        self.segments[name] = seg
        if self.capture is not None:
            self.capture.attach(seg)
        return seg

    def next_mac(self) -> bytes:
        """Locally administered unicast addresses 02:00:00:00:mm:nn, in lab order
        (skipping any a lab file gave explicitly)."""
        while True:
            self._mac_serial += 1
            s = self._mac_serial
            mac = bytes((0x02, 0, 0, 0, s >> 8 & 0xFF, s & 0xFF))
            if mac not in self._macs_taken:
                self._macs_taken.add(mac)
                return mac

    def machine(self, name: str,
                nics: Any = (), mem_size: int = 16 << 20) -> LabMachine:
        """Add a machine with NICs ``[(model, segment or None[, mac]), ...]``."""
        if name in self.machines:
            raise ValueError(f"machine {name!r} already exists")
        m = Machine(self.sched, name, mem_size)
        lm = LabMachine(name, m)
        units: dict[str, int] = {}
        for nic in nics:
            model, seg = nic[0], nic[1]
            mac = nic[2] if len(nic) > 2 and nic[2] is not None else self.next_mac()
            if model not in MODELS:
                raise ValueError(f"machine {name!r}: unknown NIC model {model!r} "
                                 f"(expected one of {', '.join(sorted(MODELS))})")
            unit = units.get(model, 0)
            units[model] = unit + 1
            dev = MODELS[model](mac)
            m.plug(dev)
            if seg is not None:
                dev.connect(seg.attach(dev, f"{name}.{model}{unit}"))
            lm.nics.append(dev)
            lm.ifnames.append(f"{model}{unit}")
            lm.segments.append(seg.name if seg is not None else None)
        m.console_listeners.append(lambda data, host=name: self._console(host, data))
        self.machines[name] = lm
        return lm

    def _console(self, host: str, data: bytes) -> None:
        if self.on_console is not None:
            self.on_console(host, data.decode("utf-8", "replace"))

    def capture_to(self, path: str) -> LabCapture:
        """Capture every segment (present and future) into one pcapng file."""
        self.capture = LabCapture(path)
        for seg in self.segments.values():
            self.capture.attach(seg)
        return self.capture

    def capture_dir(self, directory: Union[str, Path]) -> list[Path]:
        """Capture each segment to its own pcap file, ``DIRECTORY/SEGMENT.pcap``."""
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        paths = []
        for name, seg in self.segments.items():
            p = d / f"{name}.pcap"
            self._pcaps.append(seg.capture_to(p))
            paths.append(p)
        return paths

    # -- running ------------------------------------------------------------------
    def boot(self, settle: int = 10 * MS, rc_timeout: int = BOOT_RC_TIMEOUT) -> None:
        """Boot every machine's kernel, seed its filesystem, start init.

        A machine with an image (a lab file's host) runs ``/sbin/init`` as
        pid 1, which runs ``/etc/rc``: the lab then runs until every host's
        /etc/rc has finished (at most ``rc_timeout`` virtual ns), and at
        least ``settle`` ns.  Machines built in code (no image) get no init:
        their interfaces stay down until a command configures them.
        """
        start = self.sched.now
        for lm in self.machines.values():
            models = {type(d) for d in lm.machine.bus.devices()}
            drivers = [DRIVERS[n] for n, cls in MODELS.items() if cls in models]
            lm.kernel = Kernel(lm.machine.platform, kernel_config(drivers, self.programs))
            lm.kernel.boot()
            if lm.files:
                seed_filesystem(lm.kernel, lm.files)
                if INIT in self.programs:
                    self._start_init(lm)
        self.run_for(min(settle, 10 * MS))
        self.wait_rc(rc_timeout)
        left = start + settle - self.sched.now
        if left > 0:
            self.run_for(left)

    def _start_init(self, lm: LabMachine) -> None:
        """init_main.c's start_init: pid 1 runs /sbin/init (kernel.start_init)."""
        start_init = getattr(lm.kernel, "start_init", None)
        if start_init is None:
            return
        try:
            start_init(INIT)
        except OSError as e:
            lm.machine.console_write(f"init: not found in path {INIT}: "
                                     f"{e.strerror or e}\n")

    def rc_running(self) -> list[str]:
        """The hosts whose /etc/rc has not finished yet."""
        out = []
        for name, lm in self.machines.items():
            k = lm.kernel
            procs = getattr(k, "allproc", None) if k is not None else None
            if not procs or lm.machine.panicked is not None:
                continue
            if any(p.p_argv[:1] == [RC] and p.exit_code is None for p in procs.values()):
                out.append(name)
        return out

    def wait_rc(self, timeout: int = BOOT_RC_TIMEOUT) -> bool:
        """Run until every host's /etc/rc has finished; False on timeout."""
        deadline = self.sched.now + timeout
        while self.rc_running():
            if self.sched.now >= deadline:
                return False
            self.run_for(min(100 * MS, deadline - self.sched.now))
        return True

    def run_for(self, delta: int) -> None:
        """Advance the lab ``delta`` ns: at once, or paced to the wall clock if realtime."""
        if self.realtime:
            asyncio.run(RealtimePacer(self.sched).run(delta / SEC))
        else:
            self.sched.run_for(delta)

    def run_until_idle(self, max_events: int = 10_000_000) -> None:
        self.sched.run_until_idle(max_events)

    def flush_captures(self) -> None:
        """Write out what the capture files hold so far (they stay open)."""
        if self.capture is not None and hasattr(self.capture, "flush"):
            self.capture.flush()
        for w in self._pcaps:
            w.flush()

    def close(self) -> None:
        if self.capture is not None:
            self.capture.close()
            self.capture = None
        for w in self._pcaps:
            w.close()
        self._pcaps.clear()

    # -- commands -----------------------------------------------------------------
    def which(self, host: str, name: str) -> Optional[str]:
        """The path of command ``name`` on ``host`` (PATH=/sbin:/bin:/usr/sbin:/usr/bin)."""
        lm = self.machines[host]
        known = set(self.programs) | {p for p in lm.files if not p.endswith("/")}
        if "/" in name:
            return name if name in known else None
        for d in PATH:
            if f"{d}/{name}" in known:
                return f"{d}/{name}"
        return None

    def command_names(self, host: Optional[str] = None) -> list[str]:
        """The commands found in PATH (for completion)."""
        paths = set(self.programs)
        if host is not None and host in self.machines:
            paths |= {p for p in self.machines[host].files if not p.endswith("/")}
        return sorted({p.rsplit("/", 1)[1] for p in paths if p.rsplit("/", 1)[0] in PATH})

    def start_command(self, host: str, line: str,
                      on_output: Optional[OutputHook] = None) -> Job:
        """Start ``line`` on ``host`` as csh would without a shell: split it with
        shlex, find argv[0] in PATH and spawn it with its tty captured.

        The job is returned at once; a command that cannot start comes back as
        a finished job with a message (``alice: ping7: Command not found.``).
        """
        tty = Tty(host, on_output)

        def fail(status: int, message: str) -> Job:
            tty.write(message + "\n")
            return Job(host, line, tty, status=status)

        lm = self.machines.get(host)
        if lm is None:
            return fail(1, f"kamebox: no host {show(host)} (hosts: {', '.join(self.machines)})")
        try:
            argv = shlex.split(line, comments=True)
        except ValueError as e:
            return fail(1, f"{host}: {e}.")
        if not argv:
            return Job(host, line, tty, status=0)
        path = self.which(host, argv[0])
        if path is None:
            return fail(127, f"{host}: {argv[0]}: Command not found.")
        k = lm.kernel
        spawn = getattr(k, "spawn", None)
        if k is None or spawn is None:
            return fail(126, f"{host}: {argv[0]}: cannot run programs yet "
                             f"(the kernel has no process layer: Kernel.spawn)")
        if lm.machine.panicked is not None:
            return fail(126, f"{host}: the kernel has panicked ({lm.machine.panicked})")
        kwargs: dict[str, Any] = {"stdout": tty}
        if _accepts(spawn, "stderr"):
            kwargs["stderr"] = tty
        proc = spawn(path, argv, **kwargs)
        job = Job(host, line, tty, kernel=k, proc=proc)
        on_exit = getattr(proc, "on_exit", None)
        if callable(on_exit):
            job.exit_hook = True
            on_exit(lambda p: self.sched.stop())     # end the run at the exit event
        return job

    def wait(self, job: Job, timeout: int = DEFAULT_TIMEOUT) -> int:
        """Run the lab until ``job`` exits (virtual or realtime); on timeout send
        SIGINT, then SIGKILL a virtual second later."""
        if job.done:
            return job.status  # type: ignore[return-value]
        for sig, span in ((None, timeout), (SIGINT, SEC), (SIGKILL, SEC)):
            if sig is not None:
                job.tty.write(f"{job.host}: {job.line.split()[0]}: timed out after "
                              f"{labfile.format_duration(timeout)}, sending "
                              f"{'SIGINT' if sig == SIGINT else 'SIGKILL'}\n")
                job.interrupt(sig)
            if self._run_while(job, span):
                return job.status  # type: ignore[return-value]
        return job.status if job.status is not None else 1

    def _run_while(self, job: Job, span: int) -> bool:
        """Run until ``job`` is done or ``span`` ns passed; True if it is done."""
        deadline = self.sched.now + span
        if self.realtime:
            asyncio.run(self._paced_while(job, deadline))
            return job.done
        sched = self.sched
        step = None if job.exit_hook else 1     # without the hook, look after every event
        while not job.done and sched.now < deadline:
            sched.run_until(deadline, max_events=step)
        return job.done

    async def _paced_while(self, job: Job, deadline: int) -> None:
        pacer = RealtimePacer(self.sched)
        task = asyncio.ensure_future(pacer.run())
        try:
            while not job.done and self.sched.now < deadline and not task.done():
                await asyncio.sleep(POLL_WALL)
        finally:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass

    def run_command(self, host: str, line: str, timeout: int = DEFAULT_TIMEOUT,
                    on_output: Optional[OutputHook] = None) -> tuple[int, str]:
        """Run ``line`` on ``host`` until it exits: ``(exit status, output)``."""
        job = self.start_command(host, line, on_output)
        status = self.wait(job, timeout)
        return status, job.output


__all__ = ["Lab", "LabMachine", "Job", "Tty", "MODELS", "DRIVERS", "PATH", "SEC", "MS",
           "program_table", "kernel_config", "seed_filesystem", "proc_status", "send_signal"]
