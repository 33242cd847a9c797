"""The socket layer over the loopback test protocol: socket(2) errors, blocking and
non-blocking I/O, buffers and their limits, select/poll, options, recvmsg."""
from __future__ import annotations

from kernel.kern.uipc_mbuf import mbuf
from kernel.kern.uipc_socket2 import sbappendaddr, sbspace
from kernel.wire import errno as E
from kernel.wire.fcntl import F_GETFL, F_SETFL, O_NONBLOCK
from kernel.wire.ioctl import FIONBIO, FIONREAD
from kernel.wire.poll import POLLIN, POLLOUT, pollfd
from kernel.wire.socket import (
    AF_INET6, AF_ROUTE, CMSG_SPACE, MSG_CTRUNC, MSG_DONTWAIT, MSG_PEEK, MSG_TRUNC,
    SCM_TIMESTAMP, SO_BROADCAST, SO_ERROR, SO_RCVBUF, SO_RCVTIMEO, SO_REUSEADDR, SO_SNDBUF,
    SO_TIMESTAMP, SO_TYPE, SOCK_DGRAM, SOCK_NONBLOCK, SOCK_RAW, SOL_SOCKET, msghdr,
)
from kernel.wire.time import timeval
from tests.kernel.kern.harness import MS, SEC, errno_of
from tests.kernel.kern.loproto import AF_TEST, LO_RECVSPACE, lo_host, sockaddr_test
from userland import libc




def test_socket_errors_for_unknown_family_protocol_and_type():
    got: list = []

    def t(argv: list[str]) -> int:
        got.append(errno_of(lambda: libc.socket(99, SOCK_DGRAM, 0)))
        got.append(errno_of(lambda: libc.socket(AF_TEST, SOCK_DGRAM, 6)))
        got.append(errno_of(lambda: libc.socket(AF_TEST, 5, 0)))           # SOCK_SEQPACKET
        got.append(errno_of(lambda: libc.socket(AF_TEST, SOCK_RAW, 17)))
        got.append(libc.socket(AF_TEST, SOCK_DGRAM, 0) >= 3)
        return 0
    h = lo_host(t)
    assert h.run("/bin/t").status == 0
    assert got == [E.EAFNOSUPPORT, E.EPROTONOSUPPORT, E.EPROTOTYPE, E.EPROTONOSUPPORT, True]


def test_sendto_and_recvfrom_carry_data_and_source_address():
    got: list = []

    def t(argv: list[str]) -> int:
        a = libc.socket(AF_TEST, SOCK_DGRAM)
        b = libc.socket(AF_TEST, SOCK_DGRAM)
        libc.bind(a, sockaddr_test(1000))
        libc.bind(b, sockaddr_test(2000))
        got.append(libc.sendto(b, b"ping", 0, sockaddr_test(1000)))
        got.append(libc.recvfrom(a, 1500))
        got.append(libc.getsockname(b))
        got.append(errno_of(lambda: libc.bind(libc.socket(AF_TEST, SOCK_DGRAM), sockaddr_test(1000))))
        return 0
    h = lo_host(t)
    h.run("/bin/t")
    assert got == [4, (b"ping", sockaddr_test(2000)), sockaddr_test(2000), E.EADDRINUSE]


def test_nonblocking_recvfrom_on_empty_socket_is_eagain():
    got: list = []

    def t(argv: list[str]) -> int:
        s = libc.socket(AF_TEST, SOCK_DGRAM | SOCK_NONBLOCK)
        libc.bind(s, sockaddr_test(5))
        got.append(errno_of(lambda: libc.recvfrom(s, 10)))
        s2 = libc.socket(AF_TEST, SOCK_DGRAM)
        libc.bind(s2, sockaddr_test(6))
        got.append(errno_of(lambda: libc.recvfrom(s2, 10, MSG_DONTWAIT)))
        libc.fcntl(s2, F_SETFL, libc.fcntl(s2, F_GETFL) | O_NONBLOCK)
        got.append(errno_of(lambda: libc.recv(s2, 10)))
        libc.ioctl(s2, FIONBIO, 0)
        got.append(libc.fcntl(s2, F_GETFL) & O_NONBLOCK)
        return 0
    h = lo_host(t)
    h.run("/bin/t")
    assert got == [E.EAGAIN, E.EAGAIN, E.EAGAIN, 0]
    assert E.EAGAIN == 35


def test_blocking_recvfrom_is_woken_by_a_datagram_from_another_process():
    got: list = []

    def server(argv: list[str]) -> int:
        s = libc.socket(AF_TEST, SOCK_DGRAM)
        libc.bind(s, sockaddr_test(7))
        data, frm = libc.recvfrom(s, 100)
        got.append((data, libc.clock_gettime(4).to_ns()))
        libc.sendto(s, data.upper(), 0, frm)
        return 0

    def client(argv: list[str]) -> int:
        libc.sleep(2)
        s = libc.socket(AF_TEST, SOCK_DGRAM)
        libc.connect(s, sockaddr_test(7))
        libc.send(s, b"echo me")
        got.append(libc.recv(s, 100))
        return 0
    h = lo_host(server, client)
    ps, _, _ = h.spawn("/bin/server")
    pc, _, _ = h.spawn("/bin/client")
    h.wait(pc)
    assert ps.exited and got == [(b"echo me", 2 * SEC), b"ECHO ME"]


def test_select_wakes_on_datagram():
    got: list = []

    def t(argv: list[str]) -> int:
        s = libc.socket(AF_TEST, SOCK_DGRAM)
        libc.bind(s, sockaddr_test(9))
        got.append(libc.select([s], [], [], 1.5))          # times out
        got.append(libc.clock_gettime(4).to_ns())
        got.append(libc.select([s], [s], [], 0))           # writable, not readable
        got.append(libc.select([s], [], [], None))         # waits for the datagram
        got.append(libc.clock_gettime(4).to_ns())
        return 0

    def send(argv: list[str]) -> int:
        libc.sendto(libc.socket(AF_TEST, SOCK_DGRAM), b"x", 0, sockaddr_test(9))
        return 0
    h = lo_host(t, send)
    p, _, _ = h.spawn("/bin/t")
    h.run_for(5 * SEC)
    h.run("/bin/send")
    h.wait(p)
    s = 3
    assert got == [([], [], []), 1500 * MS, ([], [s], []), ([s], [], []), 5 * SEC]


def test_poll_reports_revents_and_pollnval():
    got: list = []

    def t(argv: list[str]) -> int:
        s = libc.socket(AF_TEST, SOCK_DGRAM)
        libc.bind(s, sockaddr_test(9))
        fds = [pollfd(s, POLLIN), pollfd(s, POLLOUT), pollfd(77, POLLIN), pollfd(-1, POLLIN)]
        got.append((libc.poll(fds, 0), [f.revents for f in fds]))
        libc.sendto(s, b"self", 0, sockaddr_test(9))
        fds = [pollfd(s, POLLIN)]
        got.append((libc.poll(fds, 1000), fds[0].revents))
        return 0
    h = lo_host(t)
    h.run("/bin/t")
    assert got == [(2, [0, POLLOUT, 0x20, 0]), (1, POLLIN)]


def test_so_rcvtimeo_bounds_a_blocking_receive_in_virtual_time():
    got: list = []

    def t(argv: list[str]) -> int:
        s = libc.socket(AF_TEST, SOCK_DGRAM)
        libc.bind(s, sockaddr_test(9))
        libc.setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, timeval(2, 500000))
        got.append(libc.getsockopt(s, SOL_SOCKET, SO_RCVTIMEO))
        got.append(errno_of(lambda: libc.recvfrom(s, 10)))
        got.append(libc.clock_gettime(4).to_ns())
        return 0
    h = lo_host(t)
    h.run("/bin/t")
    assert got == [timeval(2, 500000), E.EAGAIN, 2500 * MS]


def test_receive_buffer_limit_drops_datagrams_and_sbappendaddr_says_so():
    got: list = []

    def t(argv: list[str]) -> int:
        r = libc.socket(AF_TEST, SOCK_DGRAM)
        libc.bind(r, sockaddr_test(9))
        libc.setsockopt(r, SOL_SOCKET, SO_RCVBUF, 4096)
        w = libc.socket(AF_TEST, SOCK_DGRAM)
        for _ in range(10):
            libc.sendto(w, b"x" * 1000, 0, sockaddr_test(9))
        got.append(libc.ioctl(r, FIONREAD))
        n = 0
        while True:
            try:
                libc.recvfrom(r, 2000, MSG_DONTWAIT)
                n += 1
            except OSError:
                break
        got.append(n)
        return 0
    h = lo_host(t)
    h.run("/bin/t")
    assert got == [4000, 4]
    assert h.k.lostat.fullsock == 6 and h.k.lostat.delivered == 4


def test_sbappendaddr_counts_address_and_control_and_refuses_when_full():
    h = lo_host()
    from kernel.kern.uipc_socket import socreate
    so = socreate(h.k, AF_TEST, SOCK_DGRAM, 0, None)
    sb = so.so_rcv
    assert sb.sb_hiwat == LO_RECVSPACE
    assert sbappendaddr(sb, sockaddr_test(1), mbuf(b"abc"), [(SOL_SOCKET, SCM_TIMESTAMP, b"t" * 16)])
    assert sb.sb_cc == 3 + 16 + CMSG_SPACE(16) and sb.sbavail() == 3
    assert not sbappendaddr(sb, sockaddr_test(1), mbuf(bytes(sbspace(sb))), None)
    assert len(sb) == 1


def test_sb_mbmax_bounds_a_flood_of_tiny_datagrams():
    h = lo_host()
    from kernel.kern.uipc_socket import socreate
    so = socreate(h.k, AF_TEST, SOCK_DGRAM, 0, None)
    n = 0
    while sbappendaddr(so.so_rcv, sockaddr_test(1), mbuf(b""), None):
        n += 1
    assert 0 < n < 1000


def test_msg_peek_leaves_the_datagram_and_msg_trunc_reports_a_short_read():
    got: list = []

    def t(argv: list[str]) -> int:
        s = libc.socket(AF_TEST, SOCK_DGRAM)
        libc.bind(s, sockaddr_test(9))
        libc.sendto(s, b"0123456789", 0, sockaddr_test(9))
        got.append(libc.recvfrom(s, 100, MSG_PEEK)[0])
        buf = bytearray(4)
        msg = msghdr(msg_iov=[buf])
        got.append((libc.recvmsg(s, msg), bytes(buf), msg.msg_flags & MSG_TRUNC, msg.msg_name))
        got.append(errno_of(lambda: libc.recv(s, 100, MSG_DONTWAIT)))
        return 0
    h = lo_host(t)
    h.run("/bin/t")
    assert got == [b"0123456789", (4, b"0123", MSG_TRUNC, sockaddr_test(9)), E.EAGAIN]


def test_recvmsg_returns_control_messages_and_ctrunc_when_no_room():
    got: list = []

    def t(argv: list[str]) -> int:
        s = libc.socket(AF_TEST, SOCK_DGRAM)
        libc.bind(s, sockaddr_test(9))
        libc.setsockopt(s, SOL_SOCKET, SO_TIMESTAMP, 1)
        got.append(libc.getsockopt(s, SOL_SOCKET, SO_TIMESTAMP))
        libc.sleep(1)
        libc.sendmsg(s, msghdr(msg_name=sockaddr_test(9), msg_iov=[b"a", b"b"]))
        libc.sendto(s, b"c", 0, sockaddr_test(9))
        buf = bytearray(10)
        msg = msghdr(msg_iov=[buf], msg_controllen=CMSG_SPACE(16))
        n = libc.recvmsg(s, msg)
        (level, ctype, data), = msg.msg_control
        got.append((n, bytes(buf[:n]), level, ctype, timeval.unpack(data), msg.msg_flags))
        msg = msghdr(msg_iov=[buf])
        libc.recvmsg(s, msg)
        got.append((msg.msg_control, msg.msg_flags & MSG_CTRUNC))
        return 0
    h = lo_host(t)
    h.run("/bin/t")
    assert got == [SO_TIMESTAMP, (2, b"ab", SOL_SOCKET, SCM_TIMESTAMP, timeval(1136073601, 0), 0),
                   ([], MSG_CTRUNC)]


def test_socket_options_at_sol_socket():
    got: list = []

    def t(argv: list[str]) -> int:
        s = libc.socket(AF_TEST, SOCK_DGRAM)
        got.append(libc.getsockopt(s, SOL_SOCKET, SO_TYPE))
        got.append(libc.getsockopt(s, SOL_SOCKET, SO_RCVBUF))
        libc.setsockopt(s, SOL_SOCKET, SO_SNDBUF, 65536)
        got.append(libc.getsockopt(s, SOL_SOCKET, SO_SNDBUF))
        got.append(errno_of(lambda: libc.setsockopt(s, SOL_SOCKET, SO_RCVBUF, 10 ** 9)))
        libc.setsockopt(s, SOL_SOCKET, SO_REUSEADDR, 1)
        libc.setsockopt(s, SOL_SOCKET, SO_BROADCAST, True)
        got.append((libc.getsockopt(s, SOL_SOCKET, SO_REUSEADDR),
                    libc.getsockopt(s, SOL_SOCKET, SO_BROADCAST)))
        got.append(libc.getsockopt(s, SOL_SOCKET, SO_ERROR))
        got.append(errno_of(lambda: libc.getsockopt(s, SOL_SOCKET, 0x7777)))
        got.append(errno_of(lambda: libc.setsockopt(s, 41, 1, 1)))        # no pr_ctloutput
        return 0
    h = lo_host(t)
    h.run("/bin/t")
    assert got == [SOCK_DGRAM, LO_RECVSPACE, 65536, E.ENOBUFS, (SO_REUSEADDR, SO_BROADCAST), 0,
                   E.ENOPROTOOPT, E.ENOPROTOOPT]


def test_datagram_errors_edestaddrreq_emsgsize_enotsock():
    got: list = []

    def t(argv: list[str]) -> int:
        s = libc.socket(AF_TEST, SOCK_DGRAM)
        got.append(errno_of(lambda: libc.send(s, b"x")))
        got.append(errno_of(lambda: libc.sendto(s, b"x" * 10000, 0, sockaddr_test(9))))
        got.append(errno_of(lambda: libc.sendto(0, b"x", 0, sockaddr_test(9))))
        got.append(errno_of(lambda: libc.getpeername(s)))
        got.append(errno_of(lambda: libc.sendto(s, "text", 0, sockaddr_test(9))))
        return 0
    h = lo_host(t)
    h.run("/bin/t")
    assert got == [E.EDESTADDRREQ, E.EMSGSIZE, E.ENOTSOCK, E.ENOTCONN, E.EFAULT]


def test_close_detaches_the_protocol_and_frees_the_port():
    got: list = []

    def t(argv: list[str]) -> int:
        s = libc.socket(AF_TEST, SOCK_DGRAM)
        libc.bind(s, sockaddr_test(9))
        libc.close(s)
        s = libc.socket(AF_TEST, SOCK_DGRAM)
        libc.bind(s, sockaddr_test(9))
        got.append(libc.sysctlbyname("kern.ipc.numopensockets"))
        return 0
    h = lo_host(t)
    h.run("/bin/t")
    assert got == [1] and h.k.numopensockets == 0 and h.k.lo_ports == {}


def test_sockets_of_an_exiting_process_are_closed():
    def t(argv: list[str]) -> int:
        libc.bind(libc.socket(AF_TEST, SOCK_DGRAM), sockaddr_test(9))
        return 0
    h = lo_host(t)
    h.run("/bin/t")
    assert h.k.numopensockets == 0


def test_families_without_a_domain_yet_are_eafnosupport():
    got: list = []

    def t(argv: list[str]) -> int:
        for fam in (AF_ROUTE, 27):
            got.append(errno_of(lambda: libc.socket(fam, SOCK_RAW, 0)))
        return 0
    h = lo_host(t)
    if any(d.dom_family in (AF_ROUTE, 27) for d in h.k.domains):
        return                                  # another subsystem registered them
    h.run("/bin/t")
    assert got == [E.EAFNOSUPPORT, E.EAFNOSUPPORT]
    assert AF_INET6 == 28
