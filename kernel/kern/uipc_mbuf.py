"""Memory buffers for packets (sys/kern/uipc_mbuf.c, sys/sys/mbuf.h).

A kamebox ``mbuf`` is one contiguous buffer with leading space, so headers
are prepended without copying (``m_prepend``) and trimmed without copying
(``m_adj``).  The packet header carries ``rcvif``, the packet length, the
``M_BCAST``/``M_MCAST`` flags and an ``m_tag`` list (IPsec history, aux data).
There are no chains: ``m_pullup`` is always satisfied.
"""
from __future__ import annotations

from typing import Any, Optional

# m_flags (sys/mbuf.h)
M_EXT = 0x00000001
M_PKTHDR = 0x00000002
M_EOR = 0x00000004
M_RDONLY = 0x00000008
M_BCAST = 0x00000010
M_MCAST = 0x00000020
M_PROMISC = 0x00000040
M_VLANTAG = 0x00000080
M_LOOP = 0x00000100  # KAME: packet looped back

MAX_LINKHDR = 16    # room for an Ethernet header, aligned
MLEADING = 64       # default leading space: link + a few extension headers


class m_tag:
    """A packet tag (sys/mbuf.h ``struct m_tag``): cookie/type plus a value."""

    __slots__ = ("m_tag_id", "value")

    def __init__(self, m_tag_id: int, value: Any = None) -> None:
        self.m_tag_id = m_tag_id
        self.value = value

    def __repr__(self) -> str:
        return f"<m_tag {self.m_tag_id} {self.value!r}>"


class mbuf:
    """One packet: ``buf[off:off+len]`` is the data (``mtod``)."""

    __slots__ = ("buf", "off", "m_len", "m_flags", "rcvif", "m_tags", "csum_flags", "aux")

    def __init__(self, data: bytes | bytearray | memoryview = b"", leading: int = MLEADING,
                 trailing: int = 0) -> None:
        buf = bytearray(leading)
        buf += data                     # one copy, no zero-fill of the data part
        if trailing:
            buf += bytes(trailing)
        self.buf = buf
        self.off = leading
        self.m_len = len(buf) - leading - trailing
        self.m_flags = M_PKTHDR
        self.rcvif: Any = None
        self.m_tags: Optional[list[m_tag]] = None
        self.csum_flags = 0
        self.aux: Any = None

    # -- access -----------------------------------------------------------------
    @property
    def m_pkthdr_len(self) -> int:
        return self.m_len

    def __len__(self) -> int:
        return self.m_len

    def mtod(self) -> memoryview:
        """A view of the data (``mtod(m, caddr_t)``): valid until the mbuf changes size."""
        return memoryview(self.buf)[self.off:self.off + self.m_len]

    def tobytes(self) -> bytes:
        return bytes(self.buf[self.off:self.off + self.m_len])

    def m_copydata(self, off: int, length: int) -> bytes:
        """Copy ``length`` bytes at ``off`` out of the packet (bounds-checked)."""
        if off < 0 or length < 0 or off + length > self.m_len:
            raise IndexError("m_copydata: out of range")
        start = self.off + off
        return bytes(self.buf[start:start + length])

    def m_copyback(self, off: int, data: bytes) -> None:
        """Write ``data`` at ``off``, extending the packet if needed."""
        end = off + len(data)
        if end > self.m_len:
            self._ensure_tail(end - self.m_len)
            self.m_len = end
        start = self.off + off
        self.buf[start:start + len(data)] = data

    # -- resizing ---------------------------------------------------------------
    def m_prepend(self, n: int) -> int:
        """Make room for ``n`` bytes in front; return the new data offset in ``buf``.

        Uses the leading space when there is enough (M_LEADINGSPACE), else
        reallocates with fresh leading space (M_PREPEND's m_get path).
        """
        if self.off < n:
            extra = max(MLEADING, n)
            nb = bytearray(extra + self.m_len + max(0, len(self.buf) - self.off - self.m_len))
            nb[extra:extra + self.m_len] = self.buf[self.off:self.off + self.m_len]
            self.buf = nb
            self.off = extra
        self.off -= n
        self.m_len += n
        return self.off

    def m_prepend_bytes(self, data: bytes) -> None:
        off = self.m_prepend(len(data))
        self.buf[off:off + len(data)] = data

    def m_append(self, data: bytes) -> None:
        self._ensure_tail(len(data))
        start = self.off + self.m_len
        self.buf[start:start + len(data)] = data
        self.m_len += len(data)

    def _ensure_tail(self, n: int) -> None:
        room = len(self.buf) - self.off - self.m_len
        if room < n:
            self.buf.extend(bytes(n - room))

    def m_adj(self, req_len: int) -> None:
        """Trim ``req_len`` bytes from the head (positive) or the tail (negative)."""
        if req_len >= 0:
            n = min(req_len, self.m_len)
            self.off += n
            self.m_len -= n
        else:
            self.m_len -= min(-req_len, self.m_len)

    # -- tags -------------------------------------------------------------------
    def m_tag_prepend(self, tag: m_tag) -> None:
        if self.m_tags is None:
            self.m_tags = []
        self.m_tags.insert(0, tag)

    def m_tag_find(self, m_tag_id: int) -> Optional[m_tag]:
        if self.m_tags:
            for t in self.m_tags:
                if t.m_tag_id == m_tag_id:
                    return t
        return None

    def m_dup(self) -> "mbuf":
        """A deep copy of data and packet header (tags are shared values, new list)."""
        m = mbuf(self.mtod(), leading=self.off)
        m.m_flags = self.m_flags
        m.rcvif = self.rcvif
        m.m_tags = list(self.m_tags) if self.m_tags else None
        m.csum_flags = self.csum_flags
        m.aux = self.aux
        return m

    def __repr__(self) -> str:
        return f"<mbuf len={self.m_len} flags={self.m_flags:#x}>"


def m_devget(data: bytes | bytearray | memoryview, rcvif: Any) -> mbuf:
    """Copy a received frame out of a device buffer into a new mbuf (``m_devget``)."""
    m = mbuf(data, leading=MAX_LINKHDR)
    m.rcvif = rcvif
    return m
