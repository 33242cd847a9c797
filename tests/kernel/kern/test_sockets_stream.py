"""The connection-oriented half of the socket layer, over the loopback stream protocol:
listen/accept (sonewconn), byte streams with partial reads, flow control, EOF."""
from __future__ import annotations

from kernel.wire import errno as E
from kernel.wire.socket import (
    MSG_WAITALL, SHUT_WR, SO_ACCEPTCONN, SOCK_NONBLOCK, SOCK_STREAM, SOL_SOCKET,
)
from tests.kernel.kern.harness import SEC, errno_of
from tests.kernel.kern.loproto import AF_TEST, ST_SPACE, lo_host, sockaddr_test
from userland import libc




def test_listen_accept_and_an_echo_over_a_stream():
    got: list = []

    def server(argv: list[str]) -> int:
        s = libc.socket(AF_TEST, SOCK_STREAM)
        libc.bind(s, sockaddr_test(80))
        libc.listen(s, 5)
        got.append(libc.getsockopt(s, SOL_SOCKET, SO_ACCEPTCONN))
        c, peer = libc.accept(s)
        while True:
            data = libc.recv(c, 5)
            if not data:
                break
            libc.send(c, data.upper())
        libc.close(c)
        return 0

    def client(argv: list[str]) -> int:
        s = libc.socket(AF_TEST, SOCK_STREAM)
        got.append(errno_of(lambda: libc.send(s, b"x")))
        libc.connect(s, sockaddr_test(80))
        libc.send(s, b"hello stream")
        libc.shutdown(s, SHUT_WR)
        got.append(libc.recv(s, 100, MSG_WAITALL))
        got.append(libc.recv(s, 100))
        return 0
    h = lo_host(server, client)
    ps, _, _ = h.spawn("/bin/server")
    h.run_for(SEC)
    pc, _, _ = h.spawn("/bin/client")
    assert h.wait(pc) and h.wait(ps)
    assert got == [SO_ACCEPTCONN, E.ENOTCONN, b"HELLO STREAM", b""]


def test_connect_to_a_port_nobody_listens_on_is_econnrefused():
    def t(argv: list[str]) -> int:
        return errno_of(lambda: libc.connect(libc.socket(AF_TEST, SOCK_STREAM), sockaddr_test(1)))
    assert lo_host(t).run("/bin/t").status == E.ECONNREFUSED


def test_nonblocking_accept_with_no_connection_is_ewouldblock():
    def t(argv: list[str]) -> int:
        s = libc.socket(AF_TEST, SOCK_STREAM | SOCK_NONBLOCK)
        libc.bind(s, sockaddr_test(80))
        libc.listen(s, 1)
        return errno_of(lambda: libc.accept(s))
    assert lo_host(t).run("/bin/t").status == E.EWOULDBLOCK


def test_a_writer_blocks_when_the_buffers_are_full_until_the_reader_reads():
    log: list = []

    def server(argv: list[str]) -> int:
        s = libc.socket(AF_TEST, SOCK_STREAM)
        libc.bind(s, sockaddr_test(80))
        libc.listen(s, 1)
        c, _ = libc.accept(s)
        libc.sleep(5)
        total = 0
        while True:
            data = libc.recv(c, 4096)
            if not data:
                break
            total += len(data)
        log.append(("read", total, libc.clock_gettime(4).tv_sec))
        return 0

    def client(argv: list[str]) -> int:
        s = libc.socket(AF_TEST, SOCK_STREAM)
        libc.connect(s, sockaddr_test(80))
        n = libc.send(s, b"x" * (4 * ST_SPACE))
        log.append(("sent", n, libc.clock_gettime(4).tv_sec))
        libc.close(s)
        return 0
    h = lo_host(server, client)
    ps, _, _ = h.spawn("/bin/server")
    h.run_for(SEC // 10)
    pc, _, _ = h.spawn("/bin/client")
    h.run_for(2 * SEC)
    assert not pc.exited and pc.td_wmesg == "sbwait"
    assert h.wait(pc) and h.wait(ps)
    assert log == [("sent", 4 * ST_SPACE, 5), ("read", 4 * ST_SPACE, 5)]


def test_close_of_the_peer_gives_end_of_file_and_then_epipe():
    got: list = []

    def server(argv: list[str]) -> int:
        s = libc.socket(AF_TEST, SOCK_STREAM)
        libc.bind(s, sockaddr_test(80))
        libc.listen(s, 1)
        c, _ = libc.accept(s)
        libc.close(c)
        return 0

    def client(argv: list[str]) -> int:
        libc.signal(13, 1)                    # SIGPIPE ignored
        s = libc.socket(AF_TEST, SOCK_STREAM)
        libc.connect(s, sockaddr_test(80))
        got.append(libc.recv(s, 10))
        got.append(errno_of(lambda: libc.send(s, b"x")))
        return 0
    h = lo_host(server, client)
    h.spawn("/bin/server")
    h.run_for(SEC)
    assert h.run("/bin/client").status == 0
    assert got == [b"", E.EPIPE]
