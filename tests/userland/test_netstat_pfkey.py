"""netstat -s -p pfkey (usr.bin/netstat/pfkey.c pfkey_stats): ``struct pfkeystat``
of netkey/keysock.c (net.key.stats) as FreeBSD prints it."""
from __future__ import annotations

from kernel.netkey.key import key_init
from kernel.wire.pfkeyv2 import msg_build
from kernel.wire.socket import SOCK_RAW
from tests.kernel.kern.harness import Host
from tests.userland.test_setkey import PROTOCOLS, _host
from userland import libc

# two ADDs of the same SA (the second refused: EEXIST, answered to the sender
# only) after setkey's SADB_REGISTER for the supported algorithms
SCRIPT = b"add ::1 ::2 esp 0x1000 -E null;\nadd ::1 ::2 esp 0x1000 -E null;\n"


def test_netstat_s_p_pfkey_prints_struct_pfkeystat_as_freebsd():
    h = _host()
    r = h.run("/sbin/setkey -c", input=SCRIPT)
    assert r.out == "The result of line 2: File exists.\n"
    out = h.run("/usr/bin/netstat -s -p pfkey").out
    assert out == (
        "pfkey:\n"
        "\t3 requests sent from userland\n"
        "\t288 bytes sent from userland\n"
        "\thistogram by message type:\n"
        "\t\tadd: 2\n"
        "\t\tregister: 1\n"
        "\t0 messages with invalid length field\n"
        "\t0 messages with invalid version field\n"
        "\t0 messages with invalid message type field\n"
        "\t0 messages too short\n"
        "\t0 messages with memory allocation failure\n"
        "\t0 messages with duplicate extension\n"
        "\t0 messages with invalid extension type\n"
        "\t0 messages with invalid sa type\n"
        "\t0 messages with invalid address extension\n"
        "\t3 requests sent to userland\n"
        "\t400 bytes sent to userland\n"
        "\thistogram by message type:\n"
        "\t\tadd: 2\n"
        "\t\tregister: 1\n"
        "\t1 message toward single socket\n"
        "\t1 message toward all sockets\n"
        "\t1 message toward registered sockets\n"
        "\t0 messages with memory allocation failure\n")
    st = h.k.key.stat
    assert (st.out_total, st.out_bytes, st.in_total, st.in_bytes) == (3, 288, 3, 400)


def _bad(argv: list[str]) -> int:
    """Three malformed writes: too short, a length field that lies, version 3."""
    s = libc.socket(27, SOCK_RAW, 2)
    for msg in (b"\x02\x03", msg_build(3)[:4] + b"\x05\x00" + msg_build(3)[6:16],
                b"\x03" + msg_build(3)[1:]):
        try:
            libc.send(s, msg)
        except OSError:
            pass
    return 0


def test_netstat_ss_f_pfkey_prints_only_what_is_not_zero_and_counts_bad_messages():
    h = Host(programs={"/usr/bin/bad": _bad}, files={"/etc/protocols": PROTOCOLS})
    key_init(h.k)
    h.run("/usr/bin/bad")
    out = h.run("/usr/bin/netstat -ss -f pfkey").out
    assert "\t3 requests sent from userland\n" in out
    assert "\t1 message too short\n" in out
    assert "\t1 message with invalid length field\n" in out
    assert "\t1 message with invalid version field\n" in out
    assert "invalid sa type" not in out and "toward all sockets" not in out
    assert "pfkey:" in h.run("/usr/bin/netstat -ss").out.splitlines()
