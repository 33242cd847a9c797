"""Shared pytest helpers.

Interop tests need real peers (tshark, root, /dev/net/tun, Debian packages).
They skip with a reason when the peer is missing, except when
``KAMEBOX_REQUIRE_INTEROP=1`` is set (``.ci/run`` sets it): then a missing peer
is a failure, so CI cannot pass by skipping.

Every capture the tests write passes tshark (INTEROP.md).  Each pcap or pcapng
file a test writes — through the writers of emu/wire/pcap.py (``kamebox run
--pcap``, ``Lab.capture_dir``, ``LabCapture``, ``Segment.capture_to``) or
found under its ``tmp_path`` — is copied when the test ends and read by
tshark with checksum validation and the expert filter of INTEROP.md, in the
background (one tshark per distinct file, on the core pytest leaves idle)
while the next tests run.  The session's last item,
``tests/conftest.py::test_every_capture_the_tests_wrote_passes_tshark``,
waits for them and fails naming the test, the file, the frame and tshark's
message for each warning, error or malformed packet.  Without tshark it is
skipped (failed under ``KAMEBOX_REQUIRE_INTEROP=1``).  A test that writes a
bad capture on purpose says so with ``@pytest.mark.pcap_unchecked("why")``;
a test may also check a file at once with :func:`tshark_problems`.
"""
from __future__ import annotations

import functools
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

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


# -- tshark as a capture validator (INTEROP.md) ------------------------------------------------

# Checksums validated, every expert item of severity Warning or Error (bad checksums,
# malformed packets, zero-length ND options, truncated headers) listed per frame.
TSHARK_EXPERT = ("-n", "-o", "udp.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE",
                 "-Y", '_ws.expert.severity >= "Warning"',
                 "-T", "fields", "-E", "separator=/t", "-e", "frame.number",
                 "-e", "_ws.col.Protocol", "-e", "_ws.expert.message")
PCAP_MAGICS = (b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\x4d\x3c\xb2\xa1",
               b"\xa1\xb2\x3c\x4d", b"\x0a\x0d\x0d\x0a")
TSHARK_TIMEOUT = 120


def _tshark_command(tshark: str, path: str) -> list[str]:
    return [tshark, "-r", path, *TSHARK_EXPERT]


def _tshark_report(returncode: int, stdout: str, stderr: str) -> list[str]:
    """tshark's complaints: one line per flagged frame, and any error of tshark itself."""
    problems = []
    for line in stdout.splitlines():
        if not line.strip():
            continue
        num, _, rest = line.partition("\t")
        proto, _, msg = rest.partition("\t")
        problems.append(f"frame {num} ({proto}): {msg}")
    noise = [l for l in stderr.splitlines()
             if l.strip() and "Running as user" not in l and "This could be dangerous" not in l]
    if returncode != 0 or noise:
        problems.append(f"tshark exited {returncode}: " + " / ".join(noise))
    return problems


def tshark_problems(path: Any) -> list[str]:
    """Run tshark on ``path`` now: its warnings, errors and malformed frames ([] if clean).
    Skips when tshark is missing (fails under KAMEBOX_REQUIRE_INTEROP=1)."""
    tshark = require_tool("tshark")
    done = subprocess.run(_tshark_command(tshark, str(path)), capture_output=True, text=True,
                          timeout=TSHARK_TIMEOUT)
    problems = _tshark_report(done.returncode, done.stdout, done.stderr)
    _checker.record(Path(path), problems)
    return problems


def tshark_fields(path: Any, *fields: str, display_filter: Optional[str] = None
                  ) -> list[list[str]]:
    """``tshark -T fields``: one row per frame (matching ``display_filter``), one
    string per field (values of a repeated field joined by commas)."""
    tshark = require_tool("tshark")
    cmd = [tshark, "-n", "-r", str(path), "-T", "fields", "-E", "separator=/t"]
    if display_filter:
        cmd += ["-Y", display_filter]
    for f in fields:
        cmd += ["-e", f]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=TSHARK_TIMEOUT)
    assert done.returncode == 0, done.stderr
    return [line.split("\t") for line in done.stdout.splitlines()]


def is_capture_file(path: Path) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(4) in PCAP_MAGICS
    except OSError:
        return False


@dataclass
class _Job:
    tests: list[str]                 # test ids that wrote these bytes
    paths: list[str]                 # where they wrote them
    snapshot: Path
    proc: Optional[subprocess.Popen] = None
    out: Optional[Path] = None
    err: Optional[Path] = None
    problems: Optional[list[str]] = None      # tshark's verdict, once known


@dataclass
class _PcapChecker:
    """Background tshark runs over the captures of the session, one per distinct file."""

    tshark: Optional[str] = None
    workdir: Optional[Path] = None
    jobs: dict[str, _Job] = field(default_factory=dict)       # sha256 -> job
    queue: list[_Job] = field(default_factory=list)
    running: list[_Job] = field(default_factory=list)
    max_running: int = max(1, (os.cpu_count() or 2) - 1)     # the core pytest does not use

    def start(self) -> None:
        self.tshark = shutil.which("tshark")
        self.workdir = Path(tempfile.mkdtemp(prefix="kamebox-pcaps-"))

    @staticmethod
    def _digest(data: bytes) -> str:
        return hashlib.sha256(data).hexdigest()

    def record(self, path: Path, problems: list[str]) -> None:
        """A test ran tshark on ``path`` itself: remember the verdict."""
        try:
            data = path.read_bytes()
        except OSError:
            return
        job = self.jobs.get(self._digest(data))
        if job is not None and job.proc is None:
            job.problems = problems
            if job in self.queue:
                self.queue.remove(job)
        elif job is None:
            self.jobs[self._digest(data)] = _Job([], [str(path)], path, problems=problems)

    def submit(self, test: str, path: Path) -> None:
        try:
            data = path.read_bytes()
        except OSError:
            return
        key = self._digest(data)
        job = self.jobs.get(key)
        if job is not None:
            job.tests.append(test)
            job.paths.append(str(path))
            return
        assert self.workdir is not None
        snap = self.workdir / f"{len(self.jobs):04d}-{path.name}"
        snap.write_bytes(data)
        job = _Job([test], [str(path)], snap)
        self.jobs[key] = job
        if self.tshark is not None:
            self.queue.append(job)
            self.pump()

    def _reap(self, job: _Job, wait: bool) -> bool:
        assert job.proc is not None and job.out is not None and job.err is not None
        if wait:
            try:
                job.proc.wait(timeout=TSHARK_TIMEOUT)
            except subprocess.TimeoutExpired:
                job.proc.kill()
                job.proc.wait()
        elif job.proc.poll() is None:
            return False
        job.problems = _tshark_report(job.proc.returncode, job.out.read_text(errors="replace"),
                                      job.err.read_text(errors="replace"))
        return True

    def pump(self, wait: bool = False) -> None:
        """Collect finished runs, start queued ones (all of them, if ``wait``)."""
        while True:
            self.running = [j for j in self.running if not self._reap(j, wait=False)]
            while self.queue and len(self.running) < self.max_running:
                job = self.queue.pop(0)
                job.out = job.snapshot.with_suffix(job.snapshot.suffix + ".out")
                job.err = job.snapshot.with_suffix(job.snapshot.suffix + ".err")
                assert self.tshark is not None
                with open(job.out, "wb") as o, open(job.err, "wb") as e:
                    job.proc = subprocess.Popen(_tshark_command(self.tshark, str(job.snapshot)),
                                                stdin=subprocess.DEVNULL, stdout=o, stderr=e)
                self.running.append(job)
            if not wait or not (self.running or self.queue):
                return
            self._reap(self.running.pop(0), wait=True)

    def problems(self) -> list[str]:
        self.pump(wait=True)
        out = []
        for job in self.jobs.values():
            for p in job.problems or []:
                for test, path in zip(job.tests, job.paths):
                    out.append(f"{test}: {path}: {p}")
        return out

    def written(self) -> int:
        return sum(1 for j in self.jobs.values() if j.tests)

    def stop(self) -> None:
        for job in self.running:
            if job.proc is not None and job.proc.poll() is None:
                job.proc.kill()
                job.proc.wait()
        self.running.clear()
        self.queue.clear()
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None


_checker = _PcapChecker()
_writers: Optional[list[tuple[Any, Optional[Path]]]] = None   # of the running test


def _capture_path(target: Any) -> Optional[Path]:
    if isinstance(target, (str, os.PathLike)):
        return Path(target)
    name = getattr(target, "name", None)
    return Path(name) if isinstance(name, str) and os.path.isabs(name) else None


def _watch(cls: type) -> None:
    """Wrap ``cls.__init__`` so that each writer a test opens on a file is noted."""
    init = cls.__init__

    @functools.wraps(init)
    def __init__(self: Any, path_or_fileobj: Any, *args: Any, **kwargs: Any) -> None:
        init(self, path_or_fileobj, *args, **kwargs)
        if _writers is not None:
            _writers.append((self, _capture_path(path_or_fileobj)))

    cls.__init__ = __init__  # type: ignore[misc]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "pcap_unchecked(reason): the test writes captures tshark must not pass "
                   "(e.g. a bad checksum on purpose); they are not checked")
    from emu.wire import pcap
    _watch(pcap.PcapWriter)
    _watch(pcap.PcapngWriter)
    _checker.start()


def pytest_unconfigure(config: pytest.Config) -> None:
    _checker.stop()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: Optional[pytest.Item]) -> Any:
    global _writers
    yield                                  # the test's own fixtures close their labs first
    writers, _writers = _writers, None
    if writers is None or item.get_closest_marker("pcap_unchecked") is not None:
        return
    paths: list[Path] = []
    for w, path in writers:
        if path is None:
            continue
        if not getattr(w, "closed", True):
            try:
                w.flush()
            except (OSError, ValueError):
                pass
        paths.append(path)
    tmp = getattr(item, "funcargs", {}).get("tmp_path")
    if isinstance(tmp, Path) and tmp.is_dir():
        paths += [p for p in sorted(tmp.rglob("*"))
                  if p.is_file() and p.suffix in (".pcap", ".pcapng", ".cap")]
    seen: set[Path] = set()
    for p in paths:
        p = p.resolve()
        if p not in seen and is_capture_file(p):
            seen.add(p)
            _checker.submit(item.nodeid, p)
    _checker.pump()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Any:
    global _writers
    _writers = []
    yield


PCAP_ITEM = "test_every_capture_the_tests_wrote_passes_tshark"


class PcapsPassTshark(pytest.Item):
    """The session's last item: every capture the tests wrote passed tshark."""

    def runtest(self) -> None:
        if _checker.tshark is None:
            require_tool("tshark")
        if not _checker.written():
            pytest.skip("no test wrote a capture")
        problems = _checker.problems()
        if problems:
            raise AssertionError("tshark flags frames in captures the tests wrote "
                                 "(INTEROP.md):\n" + "\n".join(problems))

    def reportinfo(self) -> tuple[Path, Optional[int], str]:
        return Path(__file__), None, self.name

    def repr_failure(self, excinfo: Any, style: Any = None) -> str:
        if isinstance(excinfo.value, AssertionError):
            return str(excinfo.value)
        return super().repr_failure(excinfo)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config,
                                  items: list[pytest.Item]) -> None:
    if items:
        items.append(PcapsPassTshark.from_parent(
            session, name=PCAP_ITEM, nodeid=f"tests/conftest.py::{PCAP_ITEM}"))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    jobs = [j for j in _checker.jobs.values() if j.tests]
    if jobs and _checker.tshark is not None:
        terminalreporter.write_line(
            f"tshark read {len(jobs)} distinct captures ({sum(len(j.tests) for j in jobs)} "
            f"written by {len({t for j in jobs for t in j.tests})} tests)")
