"""pcap_compile: the filter expression language compiled to classic BPF (contrib/libpcap
grammar.y, scanner.l, gencode.c, bpf_image.c — the subset kamebox's links need).

Grammar, as pcap-filter(7) describes it (libpcap 1.8)::

    expr      := term (('and' | '&&' | 'or' | '||') term)*     left to right, equal precedence
    term      := ('not' | '!') term | '(' expr ')' | primitive
    primitive := [proto] [dir] [type] id | proto-name | [proto] 'proto' N
               | [ether|ip|ip6] 'multicast' | ['ether'] 'broadcast'
               | 'less' N | 'greater' N
    proto     := ether | ip | ip6 | arp | rarp | tcp | udp | sctp | icmp | icmp6
    dir       := src | dst | 'src or dst' | 'src and dst'
    type      := host | net | port

An ``id`` without qualifiers takes those of the previous primitive (``host a or
b`` is ``host a or host b``); a bare name is a host.  Hosts are addresses
(IPv6 or IPv4) or names from /etc/hosts (every address of the name), Ethernet
addresses with ``ether``; ``net`` takes ``ADDR/LEN``; ``port`` a number or a
service of /etc/services.  The byte-test expressions (``icmp6[0] == 135``)
are not supported.

As libpcap does: ``ip6 proto N`` (hence ``icmp6``, ``udp``, ``tcp``) also
matches a first fragment whose fragment header names N; ``port`` looks at the
first header after IPv6 or at the transport header of an unfragmented IPv4
datagram; ``host`` of an IPv4 address matches ARP and RARP too; on DLT_NULL
(lo0) the link type is the 4-byte address family in host order (AF_INET6 is
24, 28 or 30 depending on the BSD that wrote it).

Code generation: every primitive is a chain of "load, compare, jump" blocks;
``and``/``or``/``not`` thread the true and false exits (short-circuit), so
the program is a tree of forward jumps ending in ``ret #snaplen`` (accept)
and ``ret #0`` (reject).  No optimizer runs (pcap_compile's ``optimize`` is
accepted and ignored); ``bpf_image`` prints instructions as ``tcpdump -d``.
Errors raise :class:`PcapCompileError` with libpcap's messages ("syntax error
in filter expression: syntax error", "unknown host 'x'", ...).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Optional, Union

from kernel.wire.bpf import (
    BPF_ABS, BPF_ADD, BPF_ALU, BPF_AND, BPF_B, BPF_DIV, BPF_H, BPF_IMM, BPF_IND, BPF_JA,
    BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JMP, BPF_JSET, BPF_K, BPF_LD, BPF_LDX, BPF_LEN, BPF_LSH,
    BPF_MEM, BPF_MISC, BPF_MOD, BPF_MSH, BPF_MUL, BPF_NEG, BPF_OR, BPF_RET, BPF_RSH, BPF_ST,
    BPF_STX, BPF_SUB, BPF_TAX, BPF_TXA, BPF_W, BPF_X, BPF_XOR, BPF_A, DLT_EN10MB, DLT_NULL,
    BPF_STMT, bpf_insn, bpf_program,
)
from kernel.wire.in6 import inet_pton6
from kernel.wire.in_ import inet_pton4
from kernel.wire.socket import AF_INET, AF_INET6

ETHERTYPE_IP = 0x0800
ETHERTYPE_ARP = 0x0806
ETHERTYPE_REVARP = 0x8035
ETHERTYPE_IPV6 = 0x86DD
ETHERMTU = 1500
IPPROTO_ICMP = 1
IPPROTO_TCP = 6
IPPROTO_UDP = 17
IPPROTO_FRAGMENT = 44
IPPROTO_ICMPV6 = 58
IPPROTO_SCTP = 132
# The AF_INET6 values BSDs write in DLT_NULL headers (NetBSD/OpenBSD, FreeBSD, Darwin).
BSD_AFNUM_INET6 = (24, 28, 30)
BSD_AFNUM_INET = 2


class PcapCompileError(Exception):
    """A filter expression libpcap would refuse; str() is its message."""


# -- the boolean tree of comparisons -----------------------------------------------------
@dataclass(frozen=True)
class Cmp:
    """Load A with ``loads`` (instructions), then jump on ``jop`` against ``k``."""

    loads: tuple[bpf_insn, ...]
    jop: int
    k: int


@dataclass(frozen=True)
class And:
    a: "Node"
    b: "Node"


@dataclass(frozen=True)
class Or:
    a: "Node"
    b: "Node"


@dataclass(frozen=True)
class Not:
    a: "Node"


@dataclass(frozen=True)
class Const:
    value: bool


Node = Union[Cmp, And, Or, Not, Const]
TRUE = Const(True)
FALSE = Const(False)


def _and(*nodes: Node) -> Node:
    out: Optional[Node] = None
    for n in nodes:
        out = n if out is None else And(out, n)
    return out if out is not None else TRUE


def _or(*nodes: Node) -> Node:
    out: Optional[Node] = None
    for n in nodes:
        out = n if out is None else Or(out, n)
    return out if out is not None else FALSE


def _ld(size: int, off: int) -> bpf_insn:
    return BPF_STMT(BPF_LD | size | BPF_ABS, off)


def _cmp(size: int, off: int, v: int, mask: Optional[int] = None, jop: int = BPF_JEQ) -> Cmp:
    loads = [_ld(size, off)]
    if mask is not None:
        loads.append(BPF_STMT(BPF_ALU | BPF_AND | BPF_K, mask))
    return Cmp(tuple(loads), jop, v)


def _cmp_bytes(off: int, value: bytes, mask: Optional[bytes] = None) -> Node:
    """Compare len(value) packet bytes at ``off`` (words, then a half word)."""
    parts = []
    i = 0
    while i < len(value):
        size, n = (BPF_W, 4) if len(value) - i >= 4 else (BPF_H, 2) if len(value) - i >= 2 \
            else (BPF_B, 1)
        v = int.from_bytes(value[i:i + n], "big")
        m = int.from_bytes(mask[i:i + n], "big") if mask is not None else None
        if m is None or m == (1 << (8 * n)) - 1:
            parts.append(_cmp(size, off + i, v))
        elif m:
            parts.append(_cmp(size, off + i, v & m, m))
        i += n
    return _and(*parts)


# -- code generation ---------------------------------------------------------------------
class _Gen:
    def __init__(self) -> None:
        # bpf_insn, ("jmp", code, k, Ltrue, Lfalse), ("ja", L) or ("label", L)
        self.items: list[Any] = []
        self.nlabels = 0

    def label(self) -> int:
        self.nlabels += 1
        return self.nlabels

    def gen(self, node: Node, t: int, f: int) -> None:
        if isinstance(node, Const):
            self.items.append(("ja", t if node.value else f))
        elif isinstance(node, Cmp):
            self.items.extend(node.loads)
            self.items.append(("jmp", BPF_JMP | node.jop | BPF_K, node.k, t, f))
        elif isinstance(node, Not):
            self.gen(node.a, f, t)
        elif isinstance(node, And):
            mid = self.label()
            self.gen(node.a, mid, f)
            self.items.append(("label", mid))
            self.gen(node.b, t, f)
        else:
            mid = self.label()
            self.gen(node.a, t, mid)
            self.items.append(("label", mid))
            self.gen(node.b, t, f)


# -- the scanner ---------------------------------------------------------------------------
_TOKEN = re.compile(r"\s*(&&|\|\||\(|\)|!|[^\s()!&|]+)")
PROTOS = ("ether", "ip", "ip6", "arp", "rarp", "tcp", "udp", "sctp", "icmp", "icmp6")
KEYWORDS = set(PROTOS) | {"host", "net", "port", "src", "dst", "proto", "multicast",
                          "broadcast", "less", "greater", "and", "or", "not", "gateway",
                          "mask", "portrange"}


def _tokens(text: str) -> list[str]:
    out = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise PcapCompileError("syntax error in filter expression: syntax error")
        out.append(m.group(1))
        pos = m.end()
    return out


@dataclass
class Qual:
    proto: Optional[str] = None
    dir: Optional[str] = None            # "src", "dst", "or", "and"
    type: Optional[str] = None           # "host", "net", "port"


class _Compiler:
    """The parser (grammar.y) and the generators of the primitives (gencode.c)."""

    def __init__(self, text: str, linktype: int, resolve: Any) -> None:
        self.toks = _tokens(text)
        self.i = 0
        self.dlt = linktype
        self.off_nl = 14 if linktype == DLT_EN10MB else 4
        self.resolve = resolve            # (kind, name) -> list of values, via libc
        self.last = Qual()

    # -- token helpers
    def peek(self, ahead: int = 0) -> Optional[str]:
        j = self.i + ahead
        return self.toks[j] if j < len(self.toks) else None

    def take(self) -> str:
        tok = self.peek()
        if tok is None:
            self.syntax()
        self.i += 1
        return tok                        # type: ignore[return-value]

    @staticmethod
    def syntax() -> None:
        raise PcapCompileError("syntax error in filter expression: syntax error")

    # -- grammar
    def parse(self) -> Node:
        if not self.toks:
            return TRUE                   # an empty expression accepts everything
        node = self.expr()
        if self.peek() is not None:
            self.syntax()
        return node

    def expr(self) -> Node:
        node = self.term()
        while self.peek() in ("and", "&&", "or", "||"):
            op = self.take()
            rhs = self.term()
            node = And(node, rhs) if op in ("and", "&&") else Or(node, rhs)
        return node

    def term(self) -> Node:
        tok = self.peek()
        if tok in ("not", "!"):
            self.take()
            return Not(self.term())
        if tok == "(":
            self.take()
            node = self.expr()
            if self.take() != ")":
                self.syntax()
            return node
        return self.primitive()

    def primitive(self) -> Node:
        tok = self.peek()
        if tok is None or tok in (")", "and", "or", "&&", "||"):
            self.syntax()
        if tok in ("less", "greater"):
            self.take()
            n = self.number(self.take())
            # len <= n  /  len >= n
            load = (BPF_STMT(BPF_LD | BPF_W | BPF_LEN),)
            return Not(Cmp(load, BPF_JGT, n)) if tok == "less" else Cmp(load, BPF_JGE, n)
        q = Qual()
        if tok in PROTOS:
            q.proto = self.take()
            nxt = self.peek()
            if nxt is None or nxt in (")", "and", "or", "&&", "||"):
                return self.gen_proto_abbrev(q.proto)
        if self.peek() == "proto":
            self.take()
            return self.gen_proto_cmd(q.proto, self.take())
        if self.peek() in ("multicast", "broadcast"):
            return self.gen_mcast_bcast(q.proto, self.take())
        if self.peek() in ("src", "dst"):
            d = self.take()
            if self.peek() in ("or", "and") and self.peek(1) in ("src", "dst") \
                    and {d, self.peek(1)} == {"src", "dst"}:
                q.dir = self.take()
                self.take()
            else:
                q.dir = d
        if self.peek() in ("host", "net", "port"):
            q.type = self.take()
        if q.proto is None and q.dir is None and q.type is None:
            if self.peek() in KEYWORDS:
                self.syntax()
            q = Qual(self.last.proto, self.last.dir, self.last.type)   # inherited qualifiers
        self.last = Qual(q.proto, q.dir, q.type)
        ident = self.take()
        if ident in KEYWORDS or ident in ("(", ")", "!", "&&", "||"):
            self.syntax()
        return self.gen_id(q, ident)

    # -- values
    @staticmethod
    def number(tok: str) -> int:
        try:
            return int(tok, 0)
        except ValueError:
            raise PcapCompileError("syntax error in filter expression: syntax error") from None

    # -- link layer
    def linktype(self, etype: int) -> Node:
        if self.dlt == DLT_EN10MB:
            return _cmp(BPF_H, 12, etype)
        # DLT_NULL: the 4-byte family in host (little-endian) order, loaded big-endian
        if etype == ETHERTYPE_IPV6:
            return _or(*(_cmp(BPF_W, 0, int.from_bytes(af.to_bytes(4, "little"), "big"))
                         for af in BSD_AFNUM_INET6))
        if etype == ETHERTYPE_IP:
            return _cmp(BPF_W, 0, int.from_bytes(BSD_AFNUM_INET.to_bytes(4, "little"), "big"))
        return FALSE

    def need_ether(self) -> None:
        if self.dlt != DLT_EN10MB:
            raise PcapCompileError("ethernet addresses supported only on ethernet/FDDI/token "
                                   "ring/802.11/ATM LANE/Fibre Channel")

    # -- protocols
    def ip_proto(self, v: int) -> Node:
        return And(self.linktype(ETHERTYPE_IP), _cmp(BPF_B, self.off_nl + 9, v))

    def ip6_proto(self, v: int) -> Node:
        nl = self.off_nl
        # the next header, or a fragment header whose next header is v
        chain = Or(_cmp(BPF_B, nl + 6, v),
                   And(_cmp(BPF_B, nl + 6, IPPROTO_FRAGMENT), _cmp(BPF_B, nl + 40, v)))
        return And(self.linktype(ETHERTYPE_IPV6), chain)

    def gen_proto_abbrev(self, proto: str) -> Node:
        if proto == "ether":
            self.syntax()
        if proto == "ip":
            return self.linktype(ETHERTYPE_IP)
        if proto == "ip6":
            return self.linktype(ETHERTYPE_IPV6)
        if proto == "arp":
            return self.linktype(ETHERTYPE_ARP)
        if proto == "rarp":
            return self.linktype(ETHERTYPE_REVARP)
        if proto == "icmp":
            return self.ip_proto(IPPROTO_ICMP)
        if proto == "icmp6":
            return self.ip6_proto(IPPROTO_ICMPV6)
        v = {"tcp": IPPROTO_TCP, "udp": IPPROTO_UDP, "sctp": IPPROTO_SCTP}[proto]
        return Or(self.ip_proto(v), self.ip6_proto(v))

    def gen_proto_cmd(self, proto: Optional[str], tok: str) -> Node:
        v = self.number(tok.lstrip("\\")) if tok[:1].isdigit() else None
        if v is None:
            names = {"icmp": 1, "igmp": 2, "tcp": 6, "udp": 17, "ipv6-icmp": 58, "icmp6": 58,
                     "esp": 50, "ah": 51, "sctp": 132, "ipv6": 41, "ipv4": 4}
            v = names.get(tok.lstrip("\\"))
            if v is None:
                raise PcapCompileError(f"unknown ip proto '{tok.lstrip(chr(92))}'")
        if proto is None:
            return Or(self.ip_proto(v), self.ip6_proto(v))
        if proto == "ip":
            return self.ip_proto(v)
        if proto == "ip6":
            return self.ip6_proto(v)
        if proto == "ether":
            if v <= ETHERMTU:
                raise PcapCompileError("802.3 length field values are not supported here")
            return self.linktype(v)
        if proto in ("arp", "rarp"):
            raise PcapCompileError(f"{proto} does not encapsulate another protocol")
        raise PcapCompileError(f"'{proto} proto' is bogus")

    def gen_mcast_bcast(self, proto: Optional[str], what: str) -> Node:
        nl = self.off_nl
        if what == "broadcast":
            if proto in (None, "ether"):
                if self.dlt != DLT_EN10MB:
                    raise PcapCompileError("not a broadcast link")
                return _cmp_bytes(0, b"\xff" * 6)
            if proto == "ip":
                raise PcapCompileError("netmask not known, so 'ip broadcast' not supported")
            raise PcapCompileError("only link-layer/IP broadcast filters supported")
        if proto in (None, "ether"):
            if self.dlt != DLT_EN10MB:
                raise PcapCompileError("link-layer multicast filters supported only on "
                                       "ethernet/FDDI/token ring/ARCNET/802.11/ATM LANE/"
                                       "Fibre Channel")
            return _cmp(BPF_B, 0, 1, jop=BPF_JSET)
        if proto == "ip":
            return And(self.linktype(ETHERTYPE_IP), _cmp(BPF_B, nl + 16, 224, jop=BPF_JGE))
        if proto == "ip6":
            return And(self.linktype(ETHERTYPE_IPV6), _cmp(BPF_B, nl + 24, 255))
        raise PcapCompileError("only IP multicast filters supported on ethernet/FDDI/token "
                               "ring/ARCNET/802.11/ATM LANE/Fibre Channel")

    # -- ids: hosts, nets, ports, Ethernet addresses
    @staticmethod
    def dirs(d: Optional[str], src: Node, dst: Node) -> Node:
        if d == "src":
            return src
        if d == "dst":
            return dst
        if d == "and":
            return And(src, dst)
        return Or(src, dst)

    def gen_id(self, q: Qual, ident: str) -> Node:
        if q.type == "port":
            return self.gen_port(q, self.port_number(ident, q.proto))
        if q.proto == "ether":
            mac = self.ether_addr(ident)
            if q.type not in (None, "host"):
                raise PcapCompileError("illegal qualifier of 'ether'")
            self.need_ether()
            return self.dirs(q.dir, _cmp_bytes(6, mac), _cmp_bytes(0, mac))
        if q.proto in ("tcp", "udp", "sctp", "icmp", "icmp6"):
            raise PcapCompileError(f"'{q.proto}' modifier applied to {q.type or 'host'}")
        if q.type == "net" or (q.type is None and "/" in ident):
            return self.gen_net(q, ident)
        return self.gen_host(q, ident)

    def ether_addr(self, text: str) -> bytes:
        parts = re.split(r"[:.-]", text)
        if len(parts) == 6 and all(1 <= len(p) <= 2 for p in parts):
            try:
                return bytes(int(p, 16) for p in parts)
            except ValueError:
                pass
        raise PcapCompileError(f"unknown ether host: {text}")

    def host4(self, q: Qual, a: bytes, mask: Optional[bytes] = None) -> Node:
        nl = self.off_nl
        ip = And(self.linktype(ETHERTYPE_IP), self.dirs(q.dir, _cmp_bytes(nl + 12, a, mask),
                                                        _cmp_bytes(nl + 16, a, mask)))
        if q.proto == "ip" or self.dlt != DLT_EN10MB:
            return ip
        # ARP and RARP: sender protocol address at 14, target at 24
        arp = [And(self.linktype(t), self.dirs(q.dir, _cmp_bytes(nl + 14, a, mask),
                                               _cmp_bytes(nl + 24, a, mask)))
               for t in (ETHERTYPE_ARP, ETHERTYPE_REVARP)]
        if q.proto in ("arp", "rarp"):
            return arp[0] if q.proto == "arp" else arp[1]
        return _or(ip, *arp)

    def host6(self, q: Qual, a: bytes, mask: Optional[bytes] = None) -> Node:
        nl = self.off_nl
        return And(self.linktype(ETHERTYPE_IPV6),
                   self.dirs(q.dir, _cmp_bytes(nl + 8, a, mask), _cmp_bytes(nl + 24, a, mask)))

    def gen_host(self, q: Qual, name: str) -> Node:
        addrs = self.addresses(name)
        nodes: list[Node] = []
        for af, a in addrs:
            if af == AF_INET6 and q.proto in (None, "ip6"):
                nodes.append(self.host6(q, a))
            elif af == AF_INET and q.proto in (None, "ip", "arp", "rarp"):
                nodes.append(self.host4(q, a))
            elif af == AF_INET and q.proto == "ip6":
                raise PcapCompileError("'ip6' modifier applied to ip host")
            elif af == AF_INET6 and q.proto in ("ip", "arp", "rarp"):
                raise PcapCompileError(f"'{q.proto}' modifier applied to ip6 host")
        if not nodes:
            raise PcapCompileError(f"unknown host '{name}'")
        return _or(*nodes)

    def addresses(self, name: str) -> list[tuple[int, bytes]]:
        for af, conv in ((AF_INET6, inet_pton6), (AF_INET, inet_pton4)):
            try:
                return [(af, conv(name))]
            except (ValueError, OSError):
                pass
        found = self.resolve("host", name) if self.resolve else []
        if not found:
            raise PcapCompileError(f"unknown host '{name}'")
        return found

    def gen_net(self, q: Qual, text: str) -> Node:
        addr, slash, plen_s = text.partition("/")
        try:
            a6: Optional[bytes] = inet_pton6(addr)
        except (ValueError, OSError):
            a6 = None
        if a6 is not None:
            plen = self.number(plen_s) if slash else 128
            if plen > 128:
                raise PcapCompileError("mask length must be <= 128")
            mask = ((1 << 128) - (1 << (128 - plen))).to_bytes(16, "big")
            if any(x & ~m & 0xFF for x, m in zip(a6, mask)):
                raise PcapCompileError(f'non-network bits set in "{text}"')
            if q.proto not in (None, "ip6"):
                raise PcapCompileError("invalid qualifier against IPv6 address")
            return self.host6(q, a6, mask)
        try:
            a4 = inet_pton4(addr) if addr.count(".") == 3 else \
                inet_pton4(".".join((addr.split(".") + ["0", "0", "0"])[:4]))
        except (ValueError, OSError):
            raise PcapCompileError(f"unknown network '{addr}'") from None
        plen = self.number(plen_s) if slash else 8 * max(1, len([p for p in addr.split(".") if p]))
        if plen > 32:
            raise PcapCompileError("mask length must be <= 32")
        m4 = ((1 << 32) - (1 << (32 - plen))) & 0xFFFFFFFF
        if int.from_bytes(a4, "big") & ~m4 & 0xFFFFFFFF:
            raise PcapCompileError(f'non-network bits set in "{text}"')
        if q.proto not in (None, "ip", "arp", "rarp"):
            raise PcapCompileError(f"'{q.proto}' modifier applied to net")
        return self.host4(q, a4, m4.to_bytes(4, "big"))

    def port_number(self, tok: str, proto: Optional[str]) -> int:
        if tok[:1].isdigit():
            port = self.number(tok)
            if port > 65535:
                raise PcapCompileError(f"illegal port number {port} > 65535")
            return port
        found = self.resolve("port", (tok, proto)) if self.resolve else []
        if not found:
            raise PcapCompileError(f"unknown port '{tok}'")
        return found[0]

    def gen_port(self, q: Qual, port: int) -> Node:
        if q.proto in ("tcp", "udp", "sctp"):
            protos = [{"tcp": IPPROTO_TCP, "udp": IPPROTO_UDP, "sctp": IPPROTO_SCTP}[q.proto]]
        elif q.proto in (None, "ip", "ip6"):
            protos = [IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP]
        else:
            raise PcapCompileError("illegal qualifier of 'port'")
        nl = self.off_nl
        out: list[Node] = []
        if q.proto != "ip6":
            # IPv4: not a later fragment; the header length from the IHL (ldxb 4*([nl]&0xf))
            msh = BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, nl)
            sport = Cmp((msh, BPF_STMT(BPF_LD | BPF_H | BPF_IND, nl)), BPF_JEQ, port)
            dport = Cmp((msh, BPF_STMT(BPF_LD | BPF_H | BPF_IND, nl + 2)), BPF_JEQ, port)
            out.append(_and(self.linktype(ETHERTYPE_IP),
                            _or(*(_cmp(BPF_B, nl + 9, p) for p in protos)),
                            Not(_cmp(BPF_H, nl + 6, 0x1FFF, jop=BPF_JSET)),
                            self.dirs(q.dir, sport, dport)))
        if q.proto != "ip":
            out.append(_and(self.linktype(ETHERTYPE_IPV6),
                            _or(*(_cmp(BPF_B, nl + 6, p) for p in protos)),
                            self.dirs(q.dir, _cmp(BPF_H, nl + 40, port),
                                      _cmp(BPF_H, nl + 42, port))))
        return _or(*out)


def pcap_compile_expr(text: str, linktype: int = DLT_EN10MB, snaplen: int = 262144,
                      resolve: Any = None) -> bpf_program:
    """Compile ``text`` for a link of type ``linktype``; raises PcapCompileError."""
    if linktype not in (DLT_EN10MB, DLT_NULL):
        raise PcapCompileError(f"link-layer type {linktype} not supported")
    tree = _Compiler(text, linktype, resolve).parse()
    if isinstance(tree, Const):           # nothing to test: one return
        return bpf_program.of([BPF_STMT(BPF_RET | BPF_K, snaplen if tree.value else 0)])
    g = _Gen()
    t_label, f_label = g.label(), g.label()
    g.gen(tree, t_label, f_label)
    insns = _assemble(g, t_label, f_label, snaplen)
    return bpf_program.of(insns)


def _assemble(g: _Gen, t: int, f: int, snaplen: int) -> list[bpf_insn]:
    """Lay the blocks out and resolve the labels into jump offsets.  A conditional
    jump reaches at most 255 instructions ahead; a farther target gets a ``ja``
    right behind the jump (its trampoline), and the layout is done again."""
    items = g.items + [("label", t), BPF_STMT(BPF_RET | BPF_K, snaplen),
                       ("label", f), BPF_STMT(BPF_RET | BPF_K, 0)]
    while True:
        pos: dict[int, int] = {}
        n = 0
        for it in items:
            if not isinstance(it, bpf_insn) and it[0] == "label":
                pos[it[1]] = n
            else:
                n += 1
        out: list[bpf_insn] = []
        far: Optional[int] = None
        for idx, it in enumerate(items):
            if isinstance(it, bpf_insn):
                out.append(it)
            elif it[0] == "label":
                continue
            elif it[0] == "ja":
                out.append(bpf_insn(BPF_JMP | BPF_JA, 0, 0, pos[it[1]] - len(out) - 1))
            else:
                _, code, k, lt, lf = it
                jt, jf = pos[lt] - len(out) - 1, pos[lf] - len(out) - 1
                if jt > 255 or jf > 255:
                    far = idx
                    break
                out.append(bpf_insn(code, jt, jf, k))
        if far is None:
            return out
        _, code, k, lt, lf = items[far]
        tramp: list[Any] = []
        if pos[lt] - len(out) - 1 > 255:
            near = g.label()
            tramp += [("label", near), ("ja", lt)]
            lt = near
        if pos[lf] - len(out) - 1 > 255:
            near = g.label()
            tramp += [("label", near), ("ja", lf)]
            lf = near
        items[far:far + 1] = [("jmp", code, k, lt, lf)] + tramp


# -- bpf_image: the instruction as tcpdump -d prints it ----------------------------------------
_IMAGE: dict[int, tuple[str, str]] = {
    BPF_RET | BPF_K: ("ret", "#%d"), BPF_RET | BPF_A: ("ret", ""),
    BPF_LD | BPF_W | BPF_ABS: ("ld", "[%d]"), BPF_LD | BPF_H | BPF_ABS: ("ldh", "[%d]"),
    BPF_LD | BPF_B | BPF_ABS: ("ldb", "[%d]"), BPF_LD | BPF_W | BPF_LEN: ("ld", "#pktlen"),
    BPF_LD | BPF_W | BPF_IND: ("ld", "[x + %d]"), BPF_LD | BPF_H | BPF_IND: ("ldh", "[x + %d]"),
    BPF_LD | BPF_B | BPF_IND: ("ldb", "[x + %d]"), BPF_LD | BPF_IMM: ("ld", "#0x%x"),
    BPF_LDX | BPF_IMM: ("ldx", "#0x%x"), BPF_LDX | BPF_MSH | BPF_B: ("ldxb", "4*([%d]&0xf)"),
    BPF_LD | BPF_MEM: ("ld", "M[%d]"), BPF_LDX | BPF_MEM: ("ldx", "M[%d]"),
    BPF_ST: ("st", "M[%d]"), BPF_STX: ("stx", "M[%d]"), BPF_JMP | BPF_JA: ("ja", "%d"),
    BPF_JMP | BPF_JGT | BPF_K: ("jgt", "#0x%x"), BPF_JMP | BPF_JGE | BPF_K: ("jge", "#0x%x"),
    BPF_JMP | BPF_JEQ | BPF_K: ("jeq", "#0x%x"), BPF_JMP | BPF_JSET | BPF_K: ("jset", "#0x%x"),
    BPF_JMP | BPF_JGT | BPF_X: ("jgt", "x"), BPF_JMP | BPF_JGE | BPF_X: ("jge", "x"),
    BPF_JMP | BPF_JEQ | BPF_X: ("jeq", "x"), BPF_JMP | BPF_JSET | BPF_X: ("jset", "x"),
    BPF_ALU | BPF_NEG: ("neg", ""), BPF_MISC | BPF_TAX: ("tax", ""),
    BPF_MISC | BPF_TXA: ("txa", ""),
}
for _op, _name in ((BPF_ADD, "add"), (BPF_SUB, "sub"), (BPF_MUL, "mul"), (BPF_DIV, "div"),
                   (BPF_MOD, "mod"), (BPF_AND, "and"), (BPF_OR, "or"), (BPF_XOR, "xor"),
                   (BPF_LSH, "lsh"), (BPF_RSH, "rsh")):
    _IMAGE[BPF_ALU | _op | BPF_X] = (_name, "x")
    _IMAGE[BPF_ALU | _op | BPF_K] = (_name, "#0x%x" if _op in (BPF_AND, BPF_OR, BPF_XOR)
                                     else "#%d")


def bpf_image(p: bpf_insn, n: int) -> str:
    """One instruction as libpcap's bpf_image writes it."""
    op, fmt = _IMAGE.get(p.code, ("unimp", "0x%x"))
    v = p.k
    if p.code == BPF_JMP | BPF_JA:
        v = n + 1 + p.k
    if fmt in ("#%d",) and v >= 1 << 31:
        v -= 1 << 32
    operand = (fmt % v) if "%" in fmt else fmt
    if p.code & 0x07 == BPF_JMP and p.code & 0xF0 != BPF_JA:
        return "(%03d) %-8s %-16s jt %d\tjf %d" % (n, op, operand, n + 1 + p.jt, n + 1 + p.jf)
    return "(%03d) %-8s %s" % (n, op, operand)


__all__ = ["pcap_compile_expr", "PcapCompileError", "bpf_image"]
