"""tap: a segment port bridged to a Linux TAP device (the role of QEMU's net/tap-linux.c).

A :class:`Tap` plugs into a :class:`~emu.wire.segment.Segment` the way a NIC
does — it is the endpoint of a :class:`~emu.wire.segment.Port`, with
``receive_frame`` and ``link_changed`` — but its far side is a Linux TAP
interface: the real kernel, and whatever runs on it (ping, radvd, ndisc6,
a bridge), sees our segment as an Ethernet link.

- **Opening** (``open_tap``, linux/if_tun.h): ``open("/dev/net/tun")`` and
  ``ioctl(TUNSETIFF)`` with ``IFF_TAP | IFF_NO_PI`` (Ethernet frames, no
  packet-information header).  TUNSETIFF resolves the name in the network
  namespace of the calling process: a TAP of that name already there (made
  with ``ip tuntap add dev NAME mode tap``, possibly inside the namespace
  kamebox was started in with ``ip netns exec``) is attached to; otherwise a
  TAP is created, and it disappears when the file descriptor is closed.  A TAP
  opened here can be moved to another namespace (``ip link set NAME netns NS``)
  and stays attached.  Failures raise :class:`TapError`, whose ``str`` is one
  line for the user (not root, no /dev/net/tun, name busy, not a TAP, bad name).
- **Segment to Linux**: every frame delivered to the port is written to the
  file descriptor, one ``write`` per frame.  Writes never block: the kernel
  takes the frame or refuses it (``EIO`` while the Linux interface is down:
  counted as ``tap down``).
- **Linux to segment**: the descriptor is watched by the lab's
  :class:`~emu.sched.RealtimePacer` (``start``); when it becomes readable,
  :meth:`Tap.tap_input` runs as an event at the virtual time paced from the
  moment it became readable, reads up to ``batch`` frames (one ``read`` each)
  and puts them on the wire through the port, so they are timed, counted and
  captured (pcap) like any NIC's frames.  Frames waiting for the port's
  transmitter are bounded by ``queue_len`` (a NIC's transmit ring): beyond it
  a frame is dropped as ``queue full``.  Frames the kernel still holds stay in
  its TAP queue (``txqueuelen``; its own drops show in ``ip -s link``).  In
  virtual mode nothing reads the descriptor: a lab with a TAP runs paced.

Every drop is counted in :attr:`Tap.drops` under a reason of
:data:`DROP_REASONS` and reported to the :attr:`Tap.trace` hook as
``trace("tap_drop", tap=, reason=, len=)``.  If the TAP goes away under us
(its namespace deleted: reads fail with ``EBADFD``), the port's carrier goes
down and the descriptor is no longer watched (``trace("tap_gone", ...)``).

This is hardware: it imports nothing of the kernel, the drivers or userland.
"""
from __future__ import annotations

import errno
import fcntl
import os
import struct
from collections import deque
from typing import Any, Callable, Optional, Protocol

from emu.diag import show
from emu.wire.segment import Port, Segment

# linux/if_tun.h, linux/if.h
TUNSETIFF = 0x400454CA          # _IOW('T', 202, int)
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000
IFNAMSIZ = 16                   # with the terminating NUL: names of 1..15 bytes
TUN_DEV = "/dev/net/tun"
_IFREQ = struct.Struct("16sH22x")   # struct ifreq: ifr_name, ifr_flags, rest of the union

# A frame read from a TAP is at most the interface MTU (<= 65535) plus an Ethernet
# header and an 802.1Q tag.
READ_SIZE = 65535 + 18
DEFAULT_QUEUE_LEN = 256         # frames from Linux waiting for the port's transmitter
DEFAULT_BATCH = 64              # frames read per readiness event

DROP_QUEUE_FULL = "queue full"      # from Linux: queue_len frames already wait; or
                                    # to Linux: the kernel refused it (EAGAIN, ENOBUFS)
DROP_TAP_DOWN = "tap down"          # to Linux: its interface is down (write: EIO)
DROP_LINK_DOWN = "link down"        # from Linux: our port's cable is pulled
DROP_WRITE_ERROR = "write error"    # to Linux: any other write error (see last_error)
DROP_TAP_GONE = "tap gone"          # to Linux: the TAP was deleted under us
DROP_REASONS = (DROP_QUEUE_FULL, DROP_TAP_DOWN, DROP_LINK_DOWN, DROP_WRITE_ERROR,
                DROP_TAP_GONE)

TraceHook = Callable[..., None]


class Pacer(Protocol):
    """What a TAP needs of :class:`emu.sched.RealtimePacer`."""

    def add_reader(self, fd: int, callback: Callable[[], None]) -> None: ...

    def remove_reader(self, fd: int) -> None: ...


class TapError(Exception):
    """A TAP that cannot be opened.  ``str(err)`` is one line for the user;
    ``errno`` is the system error (0 for a bad name)."""

    def __init__(self, ifname: str, err: int, message: str) -> None:
        super().__init__(message)
        self.ifname = ifname
        self.errno = err
        self.message = message

    def __str__(self) -> str:
        return self.message


def check_ifname(ifname: Any) -> Optional[str]:
    """Why ``ifname`` cannot name a Linux interface (dev_valid_name), or None if it can."""
    if not isinstance(ifname, str):
        return f"expected an interface name, got {show(ifname)}"
    raw = ifname.encode("utf-8", "surrogateescape")
    if not 1 <= len(raw) < IFNAMSIZ:
        return (f"bad TAP name {show(ifname)}: expected 1 to {IFNAMSIZ - 1} characters, "
                f"got {len(raw)}")
    if ifname in (".", ".."):
        return f"bad TAP name {show(ifname)}: . and .. are not interface names"
    bad = sorted({c for c in ifname if c in "/:%" or c.isspace() or c == "\0"})
    if bad:
        shown = " ".join(repr(c) for c in bad)
        return (f"bad TAP name {show(ifname)}: an interface name cannot hold {shown} "
                f"(expected letters, digits, - _ . like tap0)")
    return None


def _open_error(ifname: str, e: OSError, path: str) -> TapError:
    n = e.errno or 0
    if n == errno.ENOENT:
        msg = (f"cannot open TAP {show(ifname)}: {path} does not exist (no TUN/TAP support: "
               f"modprobe tun; in a container, pass --device /dev/net/tun)")
    elif n in (errno.EACCES, errno.EPERM):
        msg = (f"cannot open TAP {show(ifname)}: {path}: permission denied (run kamebox as "
               f"root, or give it CAP_NET_ADMIN)")
    elif n in (errno.ENODEV, errno.ENXIO):
        msg = (f"cannot open TAP {show(ifname)}: {path}: no TUN/TAP driver in this kernel "
               f"(modprobe tun)")
    else:
        msg = f"cannot open TAP {show(ifname)}: {path}: {os.strerror(n) if n else e}"
    return TapError(ifname, n, msg)


def _ioctl_error(ifname: str, e: OSError) -> TapError:
    n = e.errno or 0
    if n == errno.EBUSY:
        msg = (f"TAP {show(ifname)} is busy: another program has it open (a TAP takes one "
               f"reader; stop it, or choose another name)")
    elif n == errno.EPERM:
        msg = (f"cannot open TAP {show(ifname)}: operation not permitted (creating a TAP, or "
               f"attaching to one made for another user, needs root or CAP_NET_ADMIN; "
               f"or make it yours: ip tuntap add dev {ifname} mode tap user $USER)")
    elif n == errno.EINVAL and os.path.exists(f"/sys/class/net/{ifname}"):
        msg = (f"cannot open TAP {show(ifname)}: an interface of that name exists and is not "
               f"a single-queue TAP (see ip -d link show {ifname})")
    elif n == errno.EINVAL:
        msg = f"cannot open TAP {show(ifname)}: the kernel rejects the name"
    else:
        msg = f"cannot open TAP {show(ifname)}: {os.strerror(n) if n else e}"
    return TapError(ifname, n, msg)


def open_tap(ifname: str, *, tun_path: str = TUN_DEV) -> tuple[int, str]:
    """Attach to TAP ``ifname`` of this process's network namespace, or create it.

    Returns ``(fd, name)``: a non-blocking, close-on-exec descriptor on which
    each ``read``/``write`` is one Ethernet frame, and the interface's name as
    the kernel has it.  Raises :class:`TapError`.
    """
    why = check_ifname(ifname)
    if why is not None:
        raise TapError(str(ifname), 0, why)
    try:
        fd = os.open(tun_path, os.O_RDWR | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as e:
        raise _open_error(ifname, e, tun_path) from None
    try:
        req = _IFREQ.pack(ifname.encode("utf-8", "surrogateescape"), IFF_TAP | IFF_NO_PI)
        got = fcntl.ioctl(fd, TUNSETIFF, req)
    except OSError as e:
        os.close(fd)
        raise _ioctl_error(ifname, e) from None
    name = _IFREQ.unpack(got)[0].split(b"\0", 1)[0].decode("utf-8", "surrogateescape")
    return fd, name


class Tap:
    """A port of ``segment`` whose far side is the Linux TAP ``ifname``.

    ``Tap(segment, "tap0")`` opens (or creates) the TAP; ``fd=`` hands over a
    descriptor already open (anything on which one read or write is one frame,
    such as a SOCK_DGRAM socketpair in tests), and ``ifname`` is then only its
    name.  ``start(pacer)`` watches the descriptor; ``close()`` stops watching,
    unplugs the port and closes the descriptor.

    Counters: ``frames_in``/``bytes_in`` (read from the TAP and put on the
    wire), ``frames_out``/``bytes_out`` (written to the TAP), ``drops`` (reason
    -> frames) and ``last_error`` (the last errno of a failed write or read).
    """

    def __init__(self, segment: Segment, ifname: str, *, fd: Optional[int] = None,
                 queue_len: int = DEFAULT_QUEUE_LEN, batch: int = DEFAULT_BATCH,
                 name: Optional[str] = None) -> None:
        if int(queue_len) != queue_len or queue_len < 1:
            raise ValueError(f"queue_len must be a whole number >= 1, not {queue_len!r}")
        if int(batch) != batch or batch < 1:
            raise ValueError(f"batch must be a whole number >= 1, not {batch!r}")
        if fd is None:
            fd, ifname = open_tap(ifname)
        else:
            os.set_blocking(fd, False)
        self.fd: Optional[int] = fd
        self.ifname = ifname
        self.segment = segment
        self.queue_len = int(queue_len)
        self.batch = int(batch)
        self.frames_in = 0
        self.bytes_in = 0
        self.frames_out = 0
        self.bytes_out = 0
        self.drops: dict[str, int] = dict.fromkeys(DROP_REASONS, 0)
        self.last_error = 0
        self.trace: Optional[TraceHook] = None
        self.carrier = True
        self._pacer: Optional[Pacer] = None
        self._inflight: deque[int] = deque()    # end times of our frames on the wire
        self.port: Optional[Port] = segment.attach(self, name or f"tap:{ifname}")

    def __repr__(self) -> str:
        state = "closed" if self.fd is None else f"fd {self.fd}"
        return f"<Tap {self.ifname} on {self.segment.name} {state}>"

    def fileno(self) -> int:
        if self.fd is None:
            raise ValueError(f"TAP {self.ifname} is closed")
        return self.fd

    @property
    def closed(self) -> bool:
        return self.fd is None

    @property
    def queued(self) -> int:
        """Frames from Linux still waiting for, or on, the port's transmitter."""
        self._expire(self.segment.sched.now)
        return len(self._inflight)

    def stats(self) -> dict[str, Any]:
        return {"frames_in": self.frames_in, "bytes_in": self.bytes_in,
                "frames_out": self.frames_out, "bytes_out": self.bytes_out,
                "drops": dict(self.drops)}

    def _drop(self, reason: str, length: int) -> None:
        self.drops[reason] += 1
        if self.trace is not None:
            self.trace("tap_drop", tap=self.ifname, reason=reason, len=length)

    # -- segment -> Linux (the port's endpoint) ---------------------------------------
    def receive_frame(self, frame: bytes) -> None:
        """A frame reached our port: hand it to the Linux kernel."""
        fd = self.fd
        if fd is None:
            return self._drop(DROP_TAP_GONE, len(frame))
        try:
            os.write(fd, frame)
        except OSError as e:
            self.last_error = e.errno or 0
            if e.errno == errno.EIO:                 # the interface is not up
                return self._drop(DROP_TAP_DOWN, len(frame))
            if e.errno in (errno.EAGAIN, errno.ENOBUFS):
                return self._drop(DROP_QUEUE_FULL, len(frame))
            if e.errno in (errno.EBADFD, errno.EBADF, errno.ENODEV, errno.EPIPE):
                return self._drop(DROP_TAP_GONE, len(frame))
            return self._drop(DROP_WRITE_ERROR, len(frame))
        self.frames_out += 1
        self.bytes_out += len(frame)

    def link_changed(self, up: bool) -> None:
        self.carrier = bool(up)

    # -- Linux -> segment ---------------------------------------------------------------
    def _expire(self, now: int) -> None:
        q = self._inflight
        while q and q[0] <= now:
            q.popleft()

    def tap_input(self) -> int:
        """Read what the TAP holds (at most ``batch`` frames) and put it on the wire
        at the current virtual time; returns the number of frames read."""
        fd, port = self.fd, self.port
        if fd is None or port is None:
            return 0
        now = self.segment.sched.now
        self._expire(now)
        q = self._inflight
        n = 0
        while n < self.batch:
            try:
                frame = os.read(fd, READ_SIZE)
            except (BlockingIOError, InterruptedError):
                break
            except OSError as e:
                self.last_error = e.errno or 0
                self._gone(e)
                break
            if not frame:                     # EOF: nothing more will come
                self._gone(None)
                break
            n += 1
            length = len(frame)
            self.frames_in += 1
            self.bytes_in += length
            if not self.carrier:
                self._drop(DROP_LINK_DOWN, length)
                continue
            if len(q) >= self.queue_len:
                self._drop(DROP_QUEUE_FULL, length)
                continue
            before = port.tx_frames
            port.transmit(frame)
            if port.tx_frames != before:       # on the wire (not a runt or giant)
                q.append(port.busy_until)
        return n

    def _gone(self, e: Optional[OSError]) -> None:
        """The TAP went away (deleted, or its namespace destroyed): stop reading it
        and take the carrier down."""
        if self._pacer is not None and self.fd is not None:
            self._pacer.remove_reader(self.fd)
            self._pacer = None
        if self.trace is not None:
            self.trace("tap_gone", tap=self.ifname,
                       error=os.strerror(e.errno) if e is not None and e.errno else "EOF")
        if self.port is not None:
            self.port.set_link(False)

    # -- pacing and closing -------------------------------------------------------------
    def start(self, pacer: Pacer) -> None:
        """Have ``pacer`` run :meth:`tap_input` whenever the TAP is readable (one
        pacer at a time: starting with another one stops the previous)."""
        if self.fd is None:
            raise ValueError(f"TAP {self.ifname} is closed")
        if self._pacer is not None and self._pacer is not pacer:
            self._pacer.remove_reader(self.fd)
        self._pacer = pacer
        pacer.add_reader(self.fd, self.tap_input)

    def stop(self) -> None:
        if self._pacer is not None and self.fd is not None:
            self._pacer.remove_reader(self.fd)
        self._pacer = None

    def close(self) -> None:
        """Stop reading, unplug the port, close the descriptor (a TAP we created
        disappears then; one made with ``ip tuntap add`` stays).  Idempotent."""
        self.stop()
        if self.port is not None:
            self.port.detach()
            self.port = None
        if self.fd is not None:
            fd, self.fd = self.fd, None
            os.close(fd)
        self._inflight.clear()

    def __enter__(self) -> "Tap":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


__all__ = ["Tap", "TapError", "open_tap", "check_ifname", "DROP_REASONS", "DROP_QUEUE_FULL",
           "DROP_TAP_DOWN", "DROP_LINK_DOWN", "DROP_WRITE_ERROR", "DROP_TAP_GONE",
           "TUNSETIFF", "IFF_TAP", "IFF_NO_PI", "TUN_DEV"]
