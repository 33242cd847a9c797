"""kernel/kern/uipc_mbuf.py: prepend without copy, adjust, tags."""
from __future__ import annotations

import pytest

from kernel.kern.uipc_mbuf import M_MCAST, MLEADING, m_devget, m_tag, mbuf


def test_m_prepend_uses_leading_space_without_reallocating():
    m = mbuf(b"payload")
    buf = m.buf
    m.m_prepend_bytes(b"HDR")
    assert m.buf is buf and m.tobytes() == b"HDRpayload" and m.off == MLEADING - 3


def test_m_prepend_beyond_leading_space_reallocates_and_keeps_data():
    m = mbuf(b"xyz", leading=2)
    m.m_prepend_bytes(b"0123456789")
    assert m.tobytes() == b"0123456789xyz"
    assert m.off >= 0


def test_m_adj_trims_head_and_tail():
    m = mbuf(b"0123456789")
    m.m_adj(2)
    m.m_adj(-3)
    assert m.tobytes() == b"23456" and len(m) == 5
    m.m_adj(100)
    assert len(m) == 0


def test_m_copydata_is_bounds_checked_and_copyback_extends():
    m = mbuf(b"abcdef")
    assert m.m_copydata(2, 3) == b"cde"
    with pytest.raises(IndexError):
        m.m_copydata(4, 3)
    m.m_copyback(4, b"XYZ")
    assert m.tobytes() == b"abcdXYZ"
    m.m_append(b"!")
    assert m.tobytes() == b"abcdXYZ!"


def test_tags_and_dup():
    m = m_devget(b"frame", rcvif="em0")
    m.m_flags |= M_MCAST
    m.m_tag_prepend(m_tag(7, "ipsec"))
    d = m.m_dup()
    d.m_copyback(0, b"F")
    assert m.tobytes() == b"frame" and d.tobytes() == b"Frame"
    assert d.m_tag_find(7).value == "ipsec" and d.rcvif == "em0" and d.m_flags & M_MCAST
    assert m.m_tag_find(8) is None
