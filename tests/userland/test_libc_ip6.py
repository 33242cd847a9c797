"""userland/libc_ip6.py: RFC 3542's inet6_opt_* (section 10) and inet6_rth_* (section 7),
against the byte layouts of RFC 2460 Appendix B (options X and Y, built as RFC 3542
Appendix C builds them) and of the type 0 routing header (RFC 2460 4.4)."""
from __future__ import annotations

from kernel.wire.in6 import inet_pton6
from userland import libc

OPT_X, OPT_Y = 0x1E, 0x3E
V4 = bytes.fromhex("0a0b0c0d")
V8 = bytes.fromhex("1112131415161718")
Y1, Y2, Y4 = b"\x21", bytes.fromhex("2223"), bytes.fromhex("24252627")

# RFC 2460 Appendix B: "a Hop-by-Hop Options header containing both options X and Y"
X_THEN_Y = (bytes((17, 3, OPT_X, 12)) + V4 + V8
            + bytes((1, 1, 0, OPT_Y, 7)) + Y1 + Y2 + Y4 + bytes((1, 2, 0, 0)))
# "... containing both options Y and X": a Pad1, then PadN before X
Y_THEN_X = (bytes((17, 3, 0, OPT_Y, 7)) + Y1 + Y2 + Y4 + bytes((1, 4, 0, 0, 0, 0))
            + bytes((OPT_X, 12)) + V4 + V8)


def build(order):
    """RFC 3542 Appendix C: first the length, then the header."""
    n = libc.inet6_opt_init(None, 0)
    for t in order:
        n, _ = libc.inet6_opt_append(None, 0, n, t, 12 if t == OPT_X else 7, 8 if t == OPT_X else 4)
    extlen = libc.inet6_opt_finish(None, 0, n)
    buf = bytearray(extlen)
    buf[0] = 17
    n = libc.inet6_opt_init(buf, extlen)
    for t in order:
        if t == OPT_X:
            n, data = libc.inet6_opt_append(buf, extlen, n, OPT_X, 12, 8)
            off = libc.inet6_opt_set_val(data, 0, V4)
            assert libc.inet6_opt_set_val(data, off, V8) == 12
        else:
            n, data = libc.inet6_opt_append(buf, extlen, n, OPT_Y, 7, 4)
            off = libc.inet6_opt_set_val(data, 0, Y1)
            off = libc.inet6_opt_set_val(data, off, Y2)
            assert libc.inet6_opt_set_val(data, off, Y4) == 7
    assert libc.inet6_opt_finish(buf, extlen, n) == extlen
    return extlen, bytes(buf)


def test_rfc3542_10_lengths_without_a_buffer():
    assert libc.inet6_opt_init(None, 0) == 2
    assert libc.inet6_opt_append(None, 0, 2, OPT_X, 12, 8) == (16, None)
    assert libc.inet6_opt_append(None, 0, 16, OPT_Y, 7, 4) == (28, None)
    assert libc.inet6_opt_finish(None, 0, 28) == 32


def test_rfc2460_appendix_b_options_x_then_y_byte_layout():
    assert build((OPT_X,)) == (16, bytes((17, 1, OPT_X, 12)) + V4 + V8)
    assert build((OPT_X, OPT_Y)) == (32, X_THEN_Y)


def test_rfc2460_appendix_b_options_y_then_x_byte_layout():
    assert build((OPT_Y, OPT_X)) == (32, Y_THEN_X)


def test_rfc3542_10_5_inet6_opt_next_walks_the_options_and_skips_padding():
    buf = bytearray(X_THEN_Y)
    off, t, ln, data = libc.inet6_opt_next(buf, 32, 0)
    assert (off, t, ln, bytes(data)) == (16, OPT_X, 12, V4 + V8)
    off, t, ln, data = libc.inet6_opt_next(buf, 32, off)
    assert (off, t, ln, bytes(data)) == (28, OPT_Y, 7, Y1 + Y2 + Y4)
    assert libc.inet6_opt_next(buf, 32, off) == (-1, 0, 0, None)


def test_rfc3542_10_6_and_10_7_find_an_option_and_get_its_values():
    buf = bytearray(Y_THEN_X)
    off, ln, data = libc.inet6_opt_find(buf, 32, 0, OPT_X)
    assert (off, ln) == (32, 12)
    o, v = libc.inet6_opt_get_val(data, 0, 4)
    assert (o, v) == (4, V4)
    assert libc.inet6_opt_get_val(data, o, 8) == (12, V8)
    assert libc.inet6_opt_find(buf, 32, off, OPT_X) == (-1, 0, None)
    assert libc.inet6_opt_find(buf, 32, 0, 0x77) == (-1, 0, None)


def test_rfc3542_10_errors_are_minus_one():
    buf = bytearray(16)
    assert libc.inet6_opt_init(buf, 12) == -1                    # not a multiple of 8
    assert libc.inet6_opt_init(bytearray(0), 0) == -1
    assert libc.inet6_opt_append(None, 0, 2, 0, 4, 4)[0] == -1   # Pad1 is not an option type
    assert libc.inet6_opt_append(None, 0, 2, 1, 4, 4)[0] == -1   # nor PadN
    assert libc.inet6_opt_append(None, 0, 2, 9, 4, 3)[0] == -1   # align 1, 2, 4 or 8
    assert libc.inet6_opt_append(None, 0, 2, 9, 2, 4)[0] == -1   # align must not exceed len
    assert libc.inet6_opt_append(None, 0, 2, 9, 256, 1)[0] == -1
    assert libc.inet6_opt_append(buf, 16, 2, 9, 13, 1)[0] == -1  # does not fit
    assert libc.inet6_opt_finish(buf, 8, 9) == -1
    assert libc.inet6_opt_next(buf, 0, 0)[0] == -1
    assert libc.inet6_opt_next(bytearray(b"\x11\x00\x05\x09\x00\x00\x00\x00"), 8, 0)[0] == -1


def test_one_pad1_and_a_padn_finish_the_header():
    buf = bytearray(8)
    n = libc.inet6_opt_init(buf, 8)
    n, data = libc.inet6_opt_append(buf, 8, n, 9, 3, 1)
    assert n == 7 and libc.inet6_opt_finish(buf, 8, n) == 8
    assert bytes(buf) == bytes((0, 0, 9, 3, 0, 0, 0, 0))          # Pad1 last
    buf = bytearray(8)
    n = libc.inet6_opt_init(buf, 8)
    n, data = libc.inet6_opt_append(buf, 8, n, 9, 1, 1)
    assert libc.inet6_opt_finish(buf, 8, n) == 8
    assert bytes(buf) == bytes((0, 0, 9, 1, 0, 1, 1, 0))          # PadN of 3


# -- routing headers ---------------------------------------------------------------------------------
H1, H2, H3 = (inet_pton6(f"2001:db8::{i}") for i in (1, 2, 3))


def test_rfc3542_7_1_space():
    assert libc.inet6_rth_space(0, 0) == 8
    assert libc.inet6_rth_space(0, 3) == 56
    assert libc.inet6_rth_space(0, 128) == 0
    assert libc.inet6_rth_space(2, 1) == 0                       # only type 0


def test_rfc3542_7_2_and_7_3_build_a_type_0_header():
    """RFC 2460 4.4: Next Header, Hdr Ext Len (2 per address), Routing Type 0,
    Segments Left, 32 reserved bits, the addresses."""
    space = libc.inet6_rth_space(0, 3)
    bp = bytearray(space)
    assert libc.inet6_rth_init(bp, space, 0, 3) is bp
    for a in (H1, H2, H3):
        assert libc.inet6_rth_add(bp, a) == 0
    assert bytes(bp) == bytes((0, 6, 0, 3, 0, 0, 0, 0)) + H1 + H2 + H3
    assert libc.inet6_rth_add(bp, H1) == -1                      # full
    assert libc.inet6_rth_init(bytearray(40), 40, 0, 3) is None  # too small
    assert libc.inet6_rth_init(bytearray(64), 64, 1, 3) is None


def test_rfc3542_7_4_to_7_6_reverse_segments_getaddr():
    bp = bytearray(56)
    libc.inet6_rth_init(bp, 56, 0, 3)
    for a in (H1, H2, H3):
        libc.inet6_rth_add(bp, a)
    bp[3] = 0                                        # as received: every hop done
    assert libc.inet6_rth_segments(bp) == 3
    assert bytes(libc.inet6_rth_getaddr(bp, 1)) == H2
    assert libc.inet6_rth_getaddr(bp, 3) is None and libc.inet6_rth_getaddr(bp, -1) is None
    out = bytearray(56)
    assert libc.inet6_rth_reverse(bp, out) == 0
    assert bytes(out) == bytes((0, 6, 0, 3, 0, 0, 0, 0)) + H3 + H2 + H1
    assert libc.inet6_rth_reverse(bp, bp) == 0 and bytes(bp) == bytes(out)   # in place
    bp[1] = 5
    assert libc.inet6_rth_segments(bp) == -1 and libc.inet6_rth_reverse(bp, out) == -1
