"""setkey(8): manually manipulate the IPsec SA/SP database (ipsec-tools' setkey,
FreeBSD's sbin/setkey; parse.y, token.l, setkey.c).

``setkey -c`` reads commands from standard input, ``setkey -f FILE`` from a
file; ``-D`` dumps the SAD, ``-DP`` the SPD (``-a`` also dead SAs, ``-p``
with ports), ``-F`` / ``-FP`` flush them, ``-x`` watches every PF_KEY message
(promiscuous; ``-h`` adds a hex dump), ``-v`` shows the messages a script
sends and gets, ``-n`` only parses.  The commands (each ends with ``;``; a
``#`` starts a comment)::

    add [-46n] src[port] dst[port] protocol spi [extensions] algorithm... ;
    get [-46n] src dst protocol spi ;
    delete [-46n] src dst protocol spi ;
    deleteall [-46n] src dst protocol ;
    flush [protocol] ;
    dump [protocol] ;
    spdadd [-46n] src_range dst_range upperspec policy ;
    spdupdate [-46n] src_range dst_range upperspec policy ;
    spddelete [-46n] src_range dst_range upperspec -P direction ;
    spdflush ;
    spddump ;

protocol: esp, esp-old, ah, ah-old, ipcomp, tcp, and for ``add`` esp-udp
(ESP in UDP, RFC 3948: the NAT-T ports are the addresses' ``[port]``,
``add 192.0.2.1[4500] 198.51.100.7[4500] esp-udp 0x1000 -E ...``); extensions: ``-m mode``,
``-r size``, ``-u id``, ``-f pad-option``, ``-lh``/``-ls`` seconds,
``-bh``/``-bs`` bytes; algorithms ``-E ealgo key``, ``-A aalgo key``,
``-C calgo [-R]`` with a key ``"text"`` or ``0x`` hex; ranges
``address[/prefixlen][[port]]``; upperspec ``any``, ``icmp6 [type[,code]]``,
a name of /etc/protocols or a number; a policy as ipsec_set_policy(3) reads
it (``-P out ipsec esp/tunnel/A-B/require``).

setkey talks to the kernel only through a PF_KEY socket, with the binary
messages of kernel/wire/pfkeyv2.py.  A mistake in a script stops it with one
line naming the file, the line and what was expected
(``/etc/ipsec.conf:3: syntax error, expected a protocol at [esx]``); a
request the kernel refuses is reported as ipsec-tools does (``The result of
line 3: File exists.``) and the script goes on.
"""
from __future__ import annotations

import re
from typing import Any, Optional

from kernel.wire.errno import ENOENT, EWOULDBLOCK, strerror
from kernel.wire.in6 import AF_INET6
from kernel.wire.in_ import AF_INET
from kernel.wire.pfkeyv2 import (
    IPSEC_MODE_ANY, IPSEC_MODE_TRANSPORT, IPSEC_MODE_TUNNEL, IPSEC_ULPROTO_ANY, PFKeyError,
    SADB_ADD, SADB_DELETE, SADB_DUMP, SADB_EXT_ADDRESS_DST, SADB_EXT_ADDRESS_SRC,
    SADB_EXT_KEY_AUTH, SADB_EXT_KEY_ENCRYPT, SADB_EXT_LIFETIME_HARD, SADB_EXT_LIFETIME_SOFT,
    SADB_EXT_SA, SADB_EXT_SUPPORTED_AUTH, SADB_EXT_SUPPORTED_ENCRYPT, SADB_FLUSH, SADB_GET,
    SADB_REGISTER, SADB_SASTATE_DEAD, SADB_SATYPE_AH, SADB_SATYPE_ESP, SADB_SATYPE_UNSPEC,
    SADB_X_EXT_CYCSEQ, SADB_X_EXT_OLD, SADB_X_EXT_PRAND, SADB_X_EXT_PSEQ, SADB_X_EXT_PZERO,
    SADB_X_EXT_RAWCPI, SADB_X_PROMISC, SADB_X_SATYPE_IPCOMP, SADB_X_SATYPE_TCPSIGNATURE,
    SADB_X_SPDADD, SADB_X_SPDDELETE, SADB_X_SPDDUMP, SADB_X_SPDFLUSH, SADB_X_SPDGET,
    SADB_X_EXT_NAT_T_DPORT, SADB_X_EXT_NAT_T_SPORT, SADB_X_SPDUPDATE, msg_build, msg_header,
    msg_parse, sa_plen, sadb_address_build, sadb_key_build, sadb_lifetime_build, sadb_sa_build,
    sadb_x_nat_t_port_build, sadb_x_nat_t_type_build, sadb_x_sa2_build,
)
from kernel.wire.udp import UDP_ENCAP_ESPINUDP
from userland import libc
from userland.libc import stderr, stdout
from userland.libipsec import (AUTH_ALGS, COMP_ALGS, ENC_ALGS, ENC_NOKEY, IPsecError,
                               ipsec_set_policy, kdebug_sadb, pfkey_open, pfkey_sadump,
                               pfkey_spdump)

IPPROTO_ICMPV6 = 58
SOL_SOCKET, SO_RCVTIMEO = 0xFFFF, 0x1006
MSG_PEEK = 0x2
RECV_TIMEOUT = 10               # seconds; the kernel always answers at once

_SATYPES = {"esp": (SADB_SATYPE_ESP, 0), "esp-old": (SADB_SATYPE_ESP, SADB_X_EXT_OLD),
            "ah": (SADB_SATYPE_AH, 0), "ah-old": (SADB_SATYPE_AH, SADB_X_EXT_OLD),
            "ipcomp": (SADB_X_SATYPE_IPCOMP, 0), "tcp": (SADB_X_SATYPE_TCPSIGNATURE, 0)}
_MODES = {"transport": IPSEC_MODE_TRANSPORT, "tunnel": IPSEC_MODE_TUNNEL, "any": IPSEC_MODE_ANY}
_PADS = {"zero-pad": SADB_X_EXT_PZERO, "random-pad": SADB_X_EXT_PRAND,
         "seq-pad": SADB_X_EXT_PSEQ}
_COMMANDS = ("add", "get", "delete", "deleteall", "flush", "dump", "spdadd", "spdupdate",
             "spddelete", "spdflush", "spddump")
# token.l's upper-layer protocols; other names come from /etc/protocols
_UP_PROTOS = {"any": IPSEC_ULPROTO_ANY, "icmp": 1, "icmp6": IPPROTO_ICMPV6, "ip4": 4, "tcp": 6,
              "udp": 17, "gre": 47}
_RANGE = re.compile(r"^(?P<addr>[^/\[\]]+)(?:/(?P<plen>\d+))?(?:\[(?P<port>[^\]]*)\])?$")


class SetkeyError(Exception):
    """A mistake in a script: the line, the token it was found at, what was expected."""

    def __init__(self, line: int, token: str, msg: str) -> None:
        super().__init__(msg)
        self.line = line
        self.token = token
        self.msg = msg


class Token:
    __slots__ = ("kind", "text", "line")

    def __init__(self, kind: str, text: str, line: int) -> None:
        self.kind = kind            # "word", "quoted", "policy", ";", "eof"
        self.text = text
        self.line = line


def tokenize(text: str) -> list[Token]:
    """token.l: words, "quoted strings", ``;``, ``-P`` and its policy up to the
    ``;``, ``#`` comments; each token with its line."""
    toks: list[Token] = []
    i, line, n = 0, 1, len(text)
    while i < n:
        c = text[i]
        if c == "\n":
            line += 1
            i += 1
        elif c in " \t\r\f\v":
            i += 1
        elif c == "#":
            while i < n and text[i] != "\n":
                i += 1
        elif c == ";":
            toks.append(Token(";", ";", line))
            i += 1
        elif c == '"':
            j = text.find('"', i + 1)
            if j < 0:
                raise SetkeyError(line, text[i:i + 20].split("\n")[0], "unterminated string")
            toks.append(Token("quoted", text[i + 1:j], line))
            line += text.count("\n", i, j)
            i = j + 1
        else:
            j = i
            while j < n and text[j] not in " \t\r\f\v\n;#\"":
                j += 1
            word = text[i:j]
            if word == "-P":
                k = text.find(";", j)
                end = n if k < 0 else k
                toks.append(Token("policy", text[j:end].strip(), line))
                line += text.count("\n", j, end)
                i = end
                continue
            toks.append(Token("word", word, line))
            i = j
    toks.append(Token("eof", "", line))
    return toks


class Setkey:
    def __init__(self) -> None:
        self.so = -1
        self.pid = 0
        self.f_all = self.f_verbose = self.f_notreally = self.f_hexdump = False
        self.f_policy = self.f_withports = False
        self.script = False
        self.fname = ""
        self.lineno = 0
        self.supported: dict[int, dict[int, tuple[int, int]]] = {}
        self.toks: list[Token] = []
        self.pos = 0

    # -- the kernel ---------------------------------------------------------------------------
    def open(self) -> None:
        try:
            self.so = pfkey_open()
        except OSError as e:
            libc.errc(1, e.errno, "socket")
        try:
            libc.setsockopt(self.so, SOL_SOCKET, SO_RCVTIMEO, RECV_TIMEOUT)
        except OSError:
            pass
        self.pid = libc.getpid()

    def sendkeymsg(self, msg: bytes, final: Optional[int] = None) -> int:
        """Send ``msg``; read the answers that carry our pid and print them
        (postproc) until the last one.  -1 if the kernel said no."""
        if self.f_verbose:
            libc.printf("%s\n", kdebug_sadb(msg))
        if self.f_notreally:
            return 0
        try:
            libc.send(self.so, msg)
        except OSError as e:
            libc.fflush(stdout)
            libc.fprintf(stderr, "send: %s\n", strerror(e.errno))
            return -1
        sent = msg_header(msg)
        while True:
            try:
                data = libc.recv(self.so, 128 * 1024)
            except OSError as e:
                libc.fflush(stdout)
                libc.fprintf(stderr, "recv: %s\n", strerror(e.errno))
                return -1
            try:
                m = msg_parse(data)
            except PFKeyError:
                libc.warnx("invalid keymsg length")
                return -1
            if m.hdr.sadb_msg_pid != self.pid or m.type != sent.sadb_msg_type:
                continue                      # someone else's message
            if self.f_verbose:
                libc.printf("%s\n", kdebug_sadb(data))
            if self.postproc(m) < 0:
                return -1
            if not m.hdr.sadb_msg_seq or m.type not in (SADB_DUMP, SADB_X_SPDDUMP):
                return 0

    def postproc(self, m: Any) -> int:
        err = m.hdr.sadb_msg_errno
        if err:
            inf = f"The result of line {self.lineno}: " if self.script else ""
            errmsg = strerror(err)
            if err == ENOENT:
                errmsg = {SADB_DELETE: "No entry", SADB_GET: "No entry",
                          SADB_X_SPDDELETE: "No entry", SADB_DUMP: "No SAD entries",
                          SADB_X_SPDDUMP: "No SPD entries"}.get(m.type, errmsg)
            libc.printf("%s%s.\n", inf, errmsg)
            return -1
        if m.type == SADB_GET or m.type == SADB_DUMP:
            sa = m.ext.get(SADB_EXT_SA)
            if m.type == SADB_DUMP and not self.f_all and sa is not None \
                    and sa.sadb_sa_state == SADB_SASTATE_DEAD:
                return 0
            out = pfkey_sadump(m)
            if self.f_withports:
                out = _with_ports(out, m)
            libc.printf("%s", out)
        elif m.type in (SADB_X_SPDDUMP, SADB_X_SPDGET):
            libc.printf("%s", pfkey_spdump(m))
        return 0

    def get_supported(self) -> None:
        """The algorithms the kernel supports, from SADB_REGISTER (SA type 0)."""
        msg = msg_build(SADB_REGISTER, [], sadb_msg_satype=SADB_SATYPE_UNSPEC,
                        sadb_msg_pid=self.pid)
        try:
            libc.send(self.so, msg)
            while True:
                m = msg_parse(libc.recv(self.so, 128 * 1024))
                if m.type == SADB_REGISTER and m.hdr.sadb_msg_pid == self.pid:
                    break
        except (OSError, PFKeyError):
            return
        for t in (SADB_EXT_SUPPORTED_AUTH, SADB_EXT_SUPPORTED_ENCRYPT):
            sup = m.ext.get(t)
            self.supported[t] = {a.sadb_alg_id: (a.sadb_alg_minbits, a.sadb_alg_maxbits)
                                 for a in (sup.sadb_supported_algs if sup else [])}

    # -- the parser (parse.y) ------------------------------------------------------------------
    def peek(self) -> Token:
        return self.toks[self.pos]

    def next(self) -> Token:
        t = self.toks[self.pos]
        if t.kind != "eof":
            self.pos += 1
        return t

    def fail(self, t: Token, msg: str) -> None:
        raise SetkeyError(t.line, t.text if t.kind != "eof" else "", msg)

    def word(self, what: str) -> Token:
        t = self.next()
        if t.kind != "word":
            self.fail(t, f"syntax error, expected {what}")
        return t

    def end(self) -> None:
        t = self.next()
        if t.kind != ";":
            self.fail(t, "syntax error, expected ;")

    def parse(self, text: str) -> int:
        """Run the commands of ``text``: 0, or 1 after the first mistake."""
        try:
            self.toks = tokenize(text)
        except SetkeyError as e:
            self.report(e)
            return 1
        self.pos = 0
        while self.peek().kind != "eof":
            t = self.peek()
            try:
                if t.kind != "word" or t.text not in _COMMANDS:
                    self.fail(t, "syntax error, expected a command (" + ", ".join(_COMMANDS) + ")")
                self.next()
                self.lineno = t.line
                getattr(self, "cmd_" + t.text)()
            except SetkeyError as e:
                self.report(e)
                return 1
        return 0

    def report(self, e: SetkeyError) -> None:
        libc.fflush(stdout)
        libc.fprintf(stderr, "%s:%d: %s at [%s]\n", self.fname, e.line, e.msg, e.token)

    # -- pieces of commands ---------------------------------------------------------------------
    def ipaddropts(self) -> tuple[int, bool]:
        family, numeric = 0, False
        while self.peek().kind == "word" and self.peek().text in ("-4", "-6", "-n", "-46"):
            t = self.next().text
            if "4" in t:
                family = AF_INET
            if "6" in t:
                family = AF_INET6
            if t == "-n":
                numeric = True
        return family, numeric

    def resolve(self, t: Token, text: str, family: int, numeric: bool) -> list[Any]:
        hints = libc.addrinfo(ai_family=family, ai_socktype=2,
                              ai_flags=libc.AI_NUMERICHOST if numeric else 0)
        try:
            res = libc.getaddrinfo(text, None, hints)
        except OSError as e:
            self.fail(t, f"{libc.gai_strerror(e.errno)}")
        out = []
        for ai in res:
            if ai.ai_addr not in out:
                out.append(ai.ai_addr)
        return out

    def ipaddr(self, family: int, numeric: bool) -> list[Any]:
        t = self.word("an address")
        return self.resolve(t, t.text, family, numeric)

    def protocol(self) -> tuple[int, int]:
        t = self.word("a protocol (esp, esp-old, ah, ah-old, ipcomp, tcp)")
        if t.text not in _SATYPES:
            self.fail(t, "syntax error, expected a protocol (esp, esp-old, ah, ah-old, ipcomp, "
                         "tcp)")
        return _SATYPES[t.text]

    def number(self, t: Token, what: str, maxval: int = 0xFFFFFFFF) -> int:
        s = t.text
        try:
            v = int(s, 16) if s.lower().startswith("0x") else int(s, 10) if s.isdigit() else -1
        except ValueError:
            v = -1
        if not 0 <= v <= maxval:
            self.fail(t, f"syntax error, expected {what}")
        return v

    def key(self, what: str) -> tuple[bytes, Token]:
        t = self.next()
        if t.kind == "quoted":
            return t.text.encode("latin-1", "replace"), t
        if t.kind == "word" and t.text.lower().startswith("0x"):
            h = t.text[2:]
            if h and len(h) % 2 == 0 and all(c in "0123456789abcdefABCDEF" for c in h):
                return bytes.fromhex(h), t
        self.fail(t, f"syntax error, expected {what} (\"text\" or 0x hex)")
        return b"", t

    def check_keylen(self, t: Token, exttype: int, alg: int, key: bytes) -> None:
        sup = self.supported.get(exttype)
        if sup is None:
            return
        if alg not in sup:
            self.fail(t, "Not supported")
        lo, hi = sup[alg]
        if not lo <= len(key) * 8 <= hi:
            self.fail(t, "Invalid key length")

    # -- SA commands ------------------------------------------------------------------------------
    def ipandport(self, family: int, numeric: bool) -> list[Any]:
        """parse.y's ipandport: ``address[port]`` (the port for NAT-T, RFC 3948)."""
        t = self.word("an address")
        m = _RANGE.match(t.text)
        if m is None or m["plen"] is not None:
            self.fail(t, "syntax error, expected address[port]")
        port = 0
        if m["port"] is not None and m["port"] != "any":
            port = self.number(Token("word", m["port"], t.line), "a port", 0xFFFF)
        return [_setport(sa, port) for sa in self.resolve(t, m["addr"], family, numeric)]

    def cmd_add(self) -> None:
        fam, num = self.ipaddropts()
        srcs = self.ipandport(fam, num)
        dsts = self.ipandport(fam, num)
        natt = self.peek().kind == "word" and self.peek().text == "esp-udp"
        if natt:
            self.next()                      # ESP in UDP (RFC 3948): ports from the addresses
            satype, flags = SADB_SATYPE_ESP, 0
        else:
            satype, flags = self.protocol()
        spi = self.number(self.word("an SPI"), "an SPI")
        mode, reqid, replay = IPSEC_MODE_ANY, 0, 0
        lt = {"-lh": 0, "-ls": 0, "-bh": 0, "-bs": 0}
        while self.peek().kind == "word" and self.peek().text in ("-m", "-r", "-u", "-f", "-lh",
                                                                    "-ls", "-bh", "-bs"):
            opt = self.next().text
            v = self.word("a value")
            if opt == "-m":
                if v.text not in _MODES:
                    self.fail(v, "syntax error, expected a mode (transport, tunnel, any)")
                mode = _MODES[v.text]
            elif opt == "-r":
                replay = self.number(v, "a replay window size", 255)
            elif opt == "-u":
                reqid = self.number(v, "a reqid")
            elif opt == "-f":
                if v.text == "nocyclic-seq":
                    flags &= ~SADB_X_EXT_CYCSEQ
                elif v.text == "cyclic-seq":
                    flags |= SADB_X_EXT_CYCSEQ
                elif v.text in _PADS:
                    flags |= _PADS[v.text]
                else:
                    self.fail(v, "syntax error, expected zero-pad, random-pad, seq-pad or "
                                 "nocyclic-seq")
            else:
                lt[opt] = self.number(v, "a number", 0xFFFFFFFFFFFFFFFF)
        exts: list[bytes] = []
        alg_auth = alg_enc = 0
        t = self.word("an algorithm (-E, -A, -C)")
        if satype == SADB_SATYPE_ESP:
            if t.text != "-E":
                self.fail(t, "syntax error, expected -E encryption-algorithm key")
            n = self.word("an encryption algorithm")
            if n.text not in ENC_ALGS:
                self.fail(n, "syntax error, expected an encryption algorithm ("
                             + ", ".join(ENC_ALGS) + ")")
            alg_enc = ENC_ALGS[n.text]
            if n.text in ENC_NOKEY and not (self.peek().kind == "quoted"
                                            or self.peek().text.lower().startswith("0x")):
                key, kt = b"", n
            else:
                key, kt = self.key("an encryption key")
            self.check_keylen(kt, SADB_EXT_SUPPORTED_ENCRYPT, alg_enc, key)
            exts.append(sadb_key_build(SADB_EXT_KEY_ENCRYPT, key))
            if self.peek().kind == "word" and self.peek().text == "-A":
                self.next()
                alg_auth = self.auth_alg(exts)
        elif satype in (SADB_SATYPE_AH, SADB_X_SATYPE_TCPSIGNATURE):
            if t.text != "-A":
                self.fail(t, "syntax error, expected -A authentication-algorithm key")
            alg_auth = self.auth_alg(exts)
        else:
            if t.text != "-C":
                self.fail(t, "syntax error, expected -C compression-algorithm")
            n = self.word("a compression algorithm")
            if n.text not in COMP_ALGS:
                self.fail(n, "syntax error, expected a compression algorithm (oui, deflate, lzs)")
            alg_enc = COMP_ALGS[n.text]
            if self.peek().kind == "word" and self.peek().text == "-R":
                self.next()
                flags |= SADB_X_EXT_RAWCPI
        self.end()
        exts = [sadb_sa_build(spi, replay, 0, alg_auth, alg_enc, flags),
                sadb_x_sa2_build(mode, reqid)] + exts
        if lt["-lh"] or lt["-bh"]:
            exts.append(sadb_lifetime_build(SADB_EXT_LIFETIME_HARD, 0, lt["-bh"], lt["-lh"], 0))
        if lt["-ls"] or lt["-bs"]:
            exts.append(sadb_lifetime_build(SADB_EXT_LIFETIME_SOFT, 0, lt["-bs"], lt["-ls"], 0))
        self.send_pairs(SADB_ADD, satype, exts, srcs, dsts, natt)

    def auth_alg(self, exts: list[bytes]) -> int:
        n = self.word("an authentication algorithm")
        if n.text not in AUTH_ALGS:
            self.fail(n, "syntax error, expected an authentication algorithm ("
                         + ", ".join(AUTH_ALGS) + ")")
        alg = AUTH_ALGS[n.text]
        key, kt = self.key("an authentication key")
        self.check_keylen(kt, SADB_EXT_SUPPORTED_AUTH, alg, key)
        exts.append(sadb_key_build(SADB_EXT_KEY_AUTH, key))
        return alg

    def send_pairs(self, mtype: int, satype: int, exts: list[bytes], srcs: list[Any],
                   dsts: list[Any], natt: bool = False) -> None:
        """One message for each source and destination of one family; with
        ``natt`` (esp-udp) the NAT-T type and the addresses' ports."""
        for s in srcs:
            for d in dsts:
                if type(s) is not type(d):
                    continue
                nx: list[bytes] = []
                if natt:
                    nx = [sadb_x_nat_t_type_build(UDP_ENCAP_ESPINUDP),
                          sadb_x_nat_t_port_build(SADB_X_EXT_NAT_T_SPORT, _port(s)),
                          sadb_x_nat_t_port_build(SADB_X_EXT_NAT_T_DPORT, _port(d))]
                m = msg_build(mtype, exts + [sadb_address_build(SADB_EXT_ADDRESS_SRC, s),
                                             sadb_address_build(SADB_EXT_ADDRESS_DST, d)] + nx,
                              sadb_msg_satype=satype, sadb_msg_pid=self.pid)
                self.sendkeymsg(m)

    def sa_head(self, with_spi: bool) -> tuple[list[Any], list[Any], int, Optional[int]]:
        fam, num = self.ipaddropts()
        srcs = self.ipaddr(fam, num)
        dsts = self.ipaddr(fam, num)
        satype, _ = self.protocol()
        spi = self.number(self.word("an SPI"), "an SPI") if with_spi else None
        self.end()
        return srcs, dsts, satype, spi

    def cmd_get(self) -> None:
        srcs, dsts, satype, spi = self.sa_head(True)
        self.send_pairs(SADB_GET, satype, [sadb_sa_build(spi)], srcs, dsts)

    def cmd_delete(self) -> None:
        srcs, dsts, satype, spi = self.sa_head(True)
        self.send_pairs(SADB_DELETE, satype, [sadb_sa_build(spi)], srcs, dsts)

    def cmd_deleteall(self) -> None:
        srcs, dsts, satype, _ = self.sa_head(False)
        self.send_pairs(SADB_DELETE, satype, [], srcs, dsts)

    def opt_protocol(self) -> int:
        if self.peek().kind == "word":
            return self.protocol()[0]
        return SADB_SATYPE_UNSPEC

    def cmd_flush(self) -> None:
        satype = self.opt_protocol()
        self.end()
        self.sendkeymsg(msg_build(SADB_FLUSH, [], sadb_msg_satype=satype, sadb_msg_pid=self.pid))

    def cmd_dump(self) -> None:
        satype = self.opt_protocol()
        self.end()
        self.sendkeymsg(msg_build(SADB_DUMP, [], sadb_msg_satype=satype, sadb_msg_pid=self.pid))

    # -- SPD commands -------------------------------------------------------------------------------
    def src_range(self, family: int, numeric: bool) -> list[tuple[Any, int]]:
        t = self.word("an address range (address[/prefixlen][[port]])")
        m = _RANGE.match(t.text)
        if m is None:
            self.fail(t, "syntax error, expected address[/prefixlen][[port]]")
        port = 0
        if m["port"] is not None and m["port"] != "any":
            port = self.number(Token("word", m["port"], t.line), "a port", 0xFFFF)
        out = []
        for sa in self.resolve(t, m["addr"], family, numeric):
            plen = sa_plen(sa) if m["plen"] is None else int(m["plen"])
            if plen > sa_plen(sa):
                self.fail(t, "Invalid prefix length")
            out.append((_setport(sa, port), plen))
        return out

    def upperspec(self) -> tuple[int, Optional[tuple[int, int]]]:
        t = self.word("an upper-layer protocol (any, icmp6, tcp, udp, a number)")
        s = t.text
        if s in _UP_PROTOS:
            ul = _UP_PROTOS[s]
        elif s.isdigit():
            ul = self.number(t, "a protocol number", 255)
        else:
            ent = libc.getprotobyname(s)
            if ent is None:
                self.fail(t, "syntax error, expected an upper-layer protocol (any, icmp6, tcp, "
                             "udp, a number)")
            ul = ent.p_proto
        typecode = None
        nt = self.peek()
        if ul == IPPROTO_ICMPV6 and nt.kind == "word" and re.fullmatch(r"\d+(,\d+)?", nt.text):
            self.next()
            a, _, b = nt.text.partition(",")
            typecode = (int(a), int(b or 0))
            if typecode[0] > 255 or typecode[1] > 255:
                self.fail(nt, "syntax error, expected an ICMPv6 type,code")
        return ul, typecode

    def policy(self) -> tuple[bytes, Token]:
        t = self.next()
        if t.kind != "policy":
            self.fail(t, "syntax error, expected -P policy")
        try:
            return ipsec_set_policy(t.text), t
        except IPsecError as e:
            self.fail(t, str(e))
        return b"", t

    def spd(self, mtype: int) -> None:
        fam, num = self.ipaddropts()
        srcs = self.src_range(fam, num)
        dsts = self.src_range(fam, num)
        ul, typecode = self.upperspec()
        xpl, pt = self.policy()
        self.end()
        for s, sp in srcs:
            for d, dp in dsts:
                if type(s) is not type(d):
                    continue
                if typecode is not None:
                    s, d = _setport(s, typecode[0]), _setport(d, typecode[1])
                m = msg_build(mtype, [xpl, sadb_address_build(SADB_EXT_ADDRESS_SRC, s, sp, ul),
                                      sadb_address_build(SADB_EXT_ADDRESS_DST, d, dp, ul)],
                              sadb_msg_pid=self.pid)
                self.sendkeymsg(m)

    def cmd_spdadd(self) -> None:
        self.spd(SADB_X_SPDADD)

    def cmd_spdupdate(self) -> None:
        self.spd(SADB_X_SPDUPDATE)

    def cmd_spddelete(self) -> None:
        self.spd(SADB_X_SPDDELETE)

    def cmd_spdflush(self) -> None:
        self.end()
        self.sendkeymsg(msg_build(SADB_X_SPDFLUSH, [], sadb_msg_pid=self.pid))

    def cmd_spddump(self) -> None:
        self.end()
        self.sendkeymsg(msg_build(SADB_X_SPDDUMP, [], sadb_msg_pid=self.pid))

    # -- -x -------------------------------------------------------------------------------------------
    def promisc(self) -> int:
        """Watch every PF_KEY message (setkey -x): time, then kdebug_sadb."""
        try:
            libc.setsockopt(self.so, SOL_SOCKET, SO_RCVTIMEO, 0)
            libc.send(self.so, msg_build(SADB_X_PROMISC, [], sadb_msg_satype=1,
                                         sadb_msg_pid=self.pid))
        except OSError as e:
            libc.errc(1, e.errno, "send")
        while True:
            try:
                data = libc.recv(self.so, 128 * 1024)
            except OSError as e:
                if e.errno == EWOULDBLOCK:
                    continue
                libc.errc(1, e.errno, "recv")
            if len(data) < 16:
                continue
            tv = libc.gettimeofday()
            s = tv.tv_sec % 86400
            libc.printf("%02d:%02d:%02d.%06u ", s // 3600, (s % 3600) // 60, s % 60, tv.tv_usec)
            if self.f_hexdump:
                for i in range(0, len(data), 16):
                    libc.printf("%08x: %s\n", i, " ".join(f"{b:02x}" for b in data[i:i + 16]))
            base = data
            if data[1] == SADB_X_PROMISC:          # adjust base pointer for promisc mode
                base = data[16:] if len(data) > 16 else b""
            if base:
                libc.printf("%s\n", kdebug_sadb(base))
            libc.fflush(stdout)


def _setport(sa: Any, port: int) -> Any:
    from dataclasses import replace
    if hasattr(sa, "sin6_port"):
        return replace(sa, sin6_port=port)
    return replace(sa, sin_port=port)


def _port(sa: Any) -> int:
    return getattr(sa, "sin6_port", getattr(sa, "sin_port", 0))


def _with_ports(out: str, m: Any) -> str:
    """-p: the SA's addresses with their ports (pfkey_sadump_withports)."""
    first, sep, rest = out.partition("\n")
    s, d = m.ext.get(SADB_EXT_ADDRESS_SRC), m.ext.get(SADB_EXT_ADDRESS_DST)
    if s is None or d is None:
        return out
    words = first.split(" ")
    if len(words) == 2:
        sp = getattr(s.sadb_address_addr, "sin6_port", getattr(s.sadb_address_addr, "sin_port", 0))
        dp = getattr(d.sadb_address_addr, "sin6_port", getattr(d.sadb_address_addr, "sin_port", 0))
        first = f"{words[0]}[{sp}] {words[1]}[{dp}]"
    return first + sep + rest


def usage() -> None:
    libc.printf("usage: setkey [-v] -c\n")
    libc.printf("       setkey [-v] -f filename\n")
    libc.printf("       setkey [-Pagltv] -D\n")
    libc.printf("       setkey [-Pv] -F\n")
    libc.printf("       setkey [-h] -x\n")
    libc.exit(1)


def main(argv: list[str]) -> int:
    sk = Setkey()
    mode = ""
    fname: Optional[str] = None
    opts, args = libc.getopt(argv, "acdf:hlnpvxDFP")
    for ch, optarg in opts:
        if ch == "c":
            mode = "script"
            fname = None
        elif ch == "f":
            mode = "script"
            fname = optarg
        elif ch == "D":
            mode = "dump"
        elif ch == "F":
            mode = "flush"
        elif ch == "x":
            mode = "promisc"
        elif ch == "a":
            sk.f_all = True
        elif ch == "n":
            sk.f_notreally = True
        elif ch == "h":
            sk.f_hexdump = True
        elif ch == "P":
            sk.f_policy = True
        elif ch == "p":
            sk.f_withports = True
        elif ch == "v":
            sk.f_verbose = True
        elif ch in ("d", "l"):
            pass
        else:
            usage()
    if args or not mode:
        usage()
    if mode == "script":
        if fname is None or fname == "-":
            text, sk.fname = libc.fread(-1, libc.stdin), "(stdin)"
        else:
            try:
                fp = libc.fopen(fname)
            except OSError as e:
                libc.errc(1, e.errno, "fopen")
            text, sk.fname = libc.fread(-1, fp), fname
            libc.fclose(fp)
        sk.script = True
        sk.open()
        sk.get_supported()
        return sk.parse(text.decode("utf-8", "replace"))
    sk.open()
    if mode == "dump":
        if sk.f_policy:
            sk.sendkeymsg(msg_build(SADB_X_SPDDUMP, [], sadb_msg_pid=sk.pid))
        else:
            sk.sendkeymsg(msg_build(SADB_DUMP, [], sadb_msg_pid=sk.pid))
        return 0
    if mode == "flush":
        if sk.f_policy:
            sk.sendkeymsg(msg_build(SADB_X_SPDFLUSH, [], sadb_msg_pid=sk.pid))
        else:
            sk.sendkeymsg(msg_build(SADB_FLUSH, [], sadb_msg_pid=sk.pid))
        return 0
    return sk.promisc()
