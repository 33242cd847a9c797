"""Guest physical memory (py65's memory.py and QEMU's address_space_rw, in small).

One anonymous ``mmap`` of the configured size: zero-filled, and only the
pages a machine touches become resident, so an idle machine with 16 MiB of
RAM costs about what its rings and buffers use.  Devices reach it only through
:meth:`GuestMemory.dma_read` / :meth:`GuestMemory.dma_write`, which check
bounds: an access outside memory raises :class:`DMAError`, which a device model
catches and turns into its own error state and counters.  The host CPU (the
kernel and its drivers) owns memory handed out by :meth:`GuestMemory.alloc`
and touches it through a ``memoryview`` — as a CPU would through its caches.
"""
from __future__ import annotations

import mmap


class DMAError(Exception):
    """A DMA access outside guest memory (a master abort on the bus)."""

    def __init__(self, addr: int, length: int, size: int) -> None:
        super().__init__(f"DMA access at {addr:#x}+{length} outside guest memory of {size:#x} bytes")
        self.addr = addr
        self.length = length


class OutOfMemory(Exception):
    """The physical page allocator has no room for the request."""


class GuestMemory:
    """Physical memory of ``size`` bytes with a bump allocator for DMA-able memory.

    Address 0 is never handed out (the first page is reserved), so a zeroed
    descriptor address is always a fault-free but recognisable value.
    """

    PAGE = 4096

    def __init__(self, size: int) -> None:
        if size <= self.PAGE:
            raise ValueError("guest memory must be larger than one page")
        self.size = size
        self.ram = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
        self.view = memoryview(self.ram)
        self._brk = self.PAGE
        self.dma_reads = 0
        self.dma_writes = 0

    # -- device side (bus master) -------------------------------------------
    def dma_read(self, addr: int, length: int) -> bytes:
        if addr < 0 or length < 0 or addr + length > self.size:
            raise DMAError(addr, length, self.size)
        self.dma_reads += 1
        return self.ram[addr:addr + length]

    def dma_write(self, addr: int, data) -> None:
        n = len(data)
        if addr < 0 or addr + n > self.size:
            raise DMAError(addr, n, self.size)
        self.dma_writes += 1
        self.ram[addr:addr + n] = data

    def check(self, addr: int, length: int) -> None:
        """Raise :class:`DMAError` unless ``[addr, addr+length)`` is inside memory."""
        if addr < 0 or length < 0 or addr + length > self.size:
            raise DMAError(addr, length, self.size)

    # -- CPU side -------------------------------------------------------------
    def alloc(self, size: int, align: int = 16) -> int:
        """Allocate ``size`` bytes aligned to ``align``; return the physical address."""
        if size <= 0:
            raise ValueError("allocation size must be positive")
        align = max(1, align)
        base = (self._brk + align - 1) & ~(align - 1)
        if base + size > self.size:
            raise OutOfMemory(f"no room for {size} bytes (used {self._brk:#x} of {self.size:#x})")
        self._brk = base + size
        return base

    @property
    def used(self) -> int:
        return self._brk
