"""libipsec: IPsec policy strings and PF_KEY message printing (lib/libipsec:
ipsec_set_policy.3 / policy_parse.y, ipsec_dump_policy.c, pfkey_dump.c,
key_debug.c's kdebug_sadb, pfkey.c's pfkey_open).

``ipsec_set_policy("out ipsec esp/tunnel/A-B/require")`` gives the binary
``sadb_x_policy`` the kernel takes (SPDADD, IPV6_IPSEC_POLICY) and
``ipsec_dump_policy`` turns it back into text.  ``pfkey_sadump`` and
``pfkey_spdump`` print an SA or a policy as ``setkey -D`` / ``-DP`` do
(ipsec-tools' layout on a KAME kernel), ``kdebug_sadb`` any message as
``setkey -x`` does.  setkey and racoon share them.
"""
from __future__ import annotations

from typing import Any, Optional

from kernel.wire.in6 import AF_INET6, sockaddr_in6
from kernel.wire.in_ import AF_INET, sockaddr_in
from kernel.wire.pfkeyv2 import (
    IPPROTO_AH, IPPROTO_ESP, IPPROTO_IPCOMP, IPPROTO_TCP, IPSEC_DIR_ANY, IPSEC_DIR_FWD,
    IPSEC_DIR_INBOUND, IPSEC_DIR_OUTBOUND, IPSEC_LEVEL_DEFAULT, IPSEC_LEVEL_REQUIRE,
    IPSEC_LEVEL_UNIQUE, IPSEC_LEVEL_USE, IPSEC_MANUAL_REQID_MAX, IPSEC_MODE_ANY,
    IPSEC_MODE_TRANSPORT, IPSEC_MODE_TUNNEL, IPSEC_POLICY_BYPASS, IPSEC_POLICY_DISCARD,
    IPSEC_POLICY_ENTRUST, IPSEC_POLICY_IPSEC, IPSEC_POLICY_NONE, IPSEC_PORT_ANY,
    IPSEC_ULPROTO_ANY, PF_KEY, PF_KEY_V2, PFKeyError, SADB_AALG_MD5HMAC, SADB_AALG_NONE,
    SADB_AALG_SHA1HMAC, SADB_EALG_3DESCBC, SADB_EALG_DESCBC, SADB_EALG_NONE, SADB_EALG_NULL,
    SADB_EXT_ADDRESS_DST, SADB_EXT_ADDRESS_PROXY, SADB_EXT_ADDRESS_SRC, SADB_EXT_IDENTITY_DST,
    SADB_EXT_IDENTITY_SRC, SADB_EXT_KEY_AUTH, SADB_EXT_KEY_ENCRYPT, SADB_EXT_LIFETIME_CURRENT,
    SADB_EXT_LIFETIME_HARD, SADB_EXT_LIFETIME_SOFT, SADB_EXT_PROPOSAL, SADB_EXT_SA,
    SADB_EXT_SUPPORTED_AUTH, SADB_EXT_SUPPORTED_ENCRYPT, SADB_SATYPE_ESP, SADB_X_AALG_AES128GMAC,
    SADB_X_AALG_AES192GMAC, SADB_X_AALG_AES256GMAC, SADB_X_AALG_AES_XCBC_MAC, SADB_X_AALG_MD5,
    SADB_X_AALG_NULL, SADB_X_AALG_RIPEMD160HMAC, SADB_X_AALG_SHA, SADB_X_AALG_SHA2_256,
    SADB_X_AALG_SHA2_384, SADB_X_AALG_SHA2_512, SADB_X_AALG_TCP_MD5, SADB_X_CALG_DEFLATE,
    SADB_X_CALG_LZS, SADB_X_CALG_NONE, SADB_X_CALG_OUI, SADB_X_EALG_AESCBC, SADB_X_EALG_AESCTR,
    SADB_X_EALG_AESGCM16, SADB_X_EALG_AESGMAC, SADB_X_EALG_BLOWFISHCBC, SADB_X_EALG_CAMELLIACBC,
    SADB_X_EALG_CAST128CBC, SADB_X_EXT_NAT_T_DPORT, SADB_X_EXT_NAT_T_FRAG, SADB_X_EXT_NAT_T_OAI,
    SADB_X_EXT_NAT_T_OAR, SADB_X_EXT_NAT_T_SPORT, SADB_X_EXT_NAT_T_TYPE, SADB_X_EXT_POLICY,
    SADB_X_EXT_SA2, SADB_X_SATYPE_IPCOMP, ipsecrequest, msg_parse, sa_family, sa_port,
    sadb_message, sadb_x_policy_build,
)
from userland import libc

IPPROTO_IPV4, IPPROTO_ICMPV6 = 4, 58

# -- algorithm names (setkey's token.l; pfkey_dump.c's str_alg_*) --------------------------------
AUTH_ALGS: dict[str, int] = {
    "hmac-md5": SADB_AALG_MD5HMAC, "hmac-sha1": SADB_AALG_SHA1HMAC, "keyed-md5": SADB_X_AALG_MD5,
    "keyed-sha1": SADB_X_AALG_SHA, "hmac-sha256": SADB_X_AALG_SHA2_256,
    "hmac-sha384": SADB_X_AALG_SHA2_384, "hmac-sha512": SADB_X_AALG_SHA2_512,
    "hmac-sha2-256": SADB_X_AALG_SHA2_256, "hmac-sha2-384": SADB_X_AALG_SHA2_384,
    "hmac-sha2-512": SADB_X_AALG_SHA2_512, "hmac-ripemd160": SADB_X_AALG_RIPEMD160HMAC,
    "aes-xcbc-mac": SADB_X_AALG_AES_XCBC_MAC, "tcp-md5": SADB_X_AALG_TCP_MD5,
    "aes-gmac": SADB_X_AALG_AES128GMAC, "aes192-gmac": SADB_X_AALG_AES192GMAC,
    "aes256-gmac": SADB_X_AALG_AES256GMAC, "null": SADB_X_AALG_NULL,
}
ENC_ALGS: dict[str, int] = {
    "des-cbc": SADB_EALG_DESCBC, "3des-cbc": SADB_EALG_3DESCBC, "null": SADB_EALG_NULL,
    "blowfish-cbc": SADB_X_EALG_BLOWFISHCBC, "cast128-cbc": SADB_X_EALG_CAST128CBC,
    "rijndael-cbc": SADB_X_EALG_AESCBC, "aes-cbc": SADB_X_EALG_AESCBC,
    "aes-ctr": SADB_X_EALG_AESCTR, "camellia-cbc": SADB_X_EALG_CAMELLIACBC,
    "aes-gcm-16": SADB_X_EALG_AESGCM16,
    # RFC 4543 ENCR_NULL_AUTH_AES_GMAC: FreeBSD/NetBSD's name, and ipsec-tools' (Linux)
    "aes-gmac": SADB_X_EALG_AESGMAC, "null_aes_gmac": SADB_X_EALG_AESGMAC,
}
ENC_NOKEY = frozenset(("null",))
COMP_ALGS: dict[str, int] = {"oui": SADB_X_CALG_OUI, "deflate": SADB_X_CALG_DEFLATE,
                             "lzs": SADB_X_CALG_LZS}

STR_ALG_AUTH = {SADB_AALG_NONE: "none", SADB_AALG_MD5HMAC: "hmac-md5",
                SADB_AALG_SHA1HMAC: "hmac-sha1", SADB_X_AALG_MD5: "md5", SADB_X_AALG_SHA: "sha",
                SADB_X_AALG_NULL: "null", SADB_X_AALG_TCP_MD5: "tcp-md5",
                SADB_X_AALG_SHA2_256: "hmac-sha256", SADB_X_AALG_SHA2_384: "hmac-sha384",
                SADB_X_AALG_SHA2_512: "hmac-sha512", SADB_X_AALG_RIPEMD160HMAC: "hmac-ripemd160",
                SADB_X_AALG_AES_XCBC_MAC: "aes-xcbc-mac", SADB_X_AALG_AES128GMAC: "aes-gmac",
                SADB_X_AALG_AES192GMAC: "aes192-gmac", SADB_X_AALG_AES256GMAC: "aes256-gmac"}
STR_ALG_ENC = {SADB_EALG_NONE: "none", SADB_EALG_DESCBC: "des-cbc",
               SADB_EALG_3DESCBC: "3des-cbc", SADB_EALG_NULL: "null",
               SADB_X_EALG_CAST128CBC: "cast128-cbc", SADB_X_EALG_BLOWFISHCBC: "blowfish-cbc",
               SADB_X_EALG_AESCBC: "aes-cbc", SADB_X_EALG_AESCTR: "aes-ctr",
               SADB_X_EALG_CAMELLIACBC: "camellia-cbc", SADB_X_EALG_AESGCM16: "aes-gcm-16",
               SADB_X_EALG_AESGMAC: "aes-gmac"}
STR_ALG_COMP = {SADB_X_CALG_NONE: "none", SADB_X_CALG_OUI: "oui",
                SADB_X_CALG_DEFLATE: "deflate", SADB_X_CALG_LZS: "lzs"}
STR_SATYPE = ["unspec", "unknown", "ah", "esp", "unknown", "rsvp", "ospfv2", "ripv2", "mip",
              "ipcomp", "policy", "tcp"]
STR_MODE = ["any", "transport", "tunnel"]
STR_STATE = ["larval", "mature", "dying", "dead"]
IPSP_DIR_STRS = {IPSEC_DIR_ANY: "any", IPSEC_DIR_INBOUND: "in", IPSEC_DIR_OUTBOUND: "out",
                 IPSEC_DIR_FWD: "fwd"}
IPSP_POLICY_STRS = {IPSEC_POLICY_DISCARD: "discard", IPSEC_POLICY_NONE: "none",
                    IPSEC_POLICY_IPSEC: "ipsec", IPSEC_POLICY_ENTRUST: "entrust",
                    IPSEC_POLICY_BYPASS: "bypass"}
_PROTOS = {"esp": IPPROTO_ESP, "ah": IPPROTO_AH, "ipcomp": IPPROTO_IPCOMP, "tcp": IPPROTO_TCP}
_MODES = {"transport": IPSEC_MODE_TRANSPORT, "tunnel": IPSEC_MODE_TUNNEL}
_LEVELS = {"default": IPSEC_LEVEL_DEFAULT, "use": IPSEC_LEVEL_USE,
           "require": IPSEC_LEVEL_REQUIRE, "unique": IPSEC_LEVEL_UNIQUE}


class IPsecError(ValueError):
    """A libipsec error; the text is ipsec_strerror()'s."""


# ipsec_strerror() texts
EIPSEC_INVAL_POLICY = "Invalid security policy"
EIPSEC_INVAL_ADDRESS = "Invalid address specification"
EIPSEC_INVAL_PROTO = "Invalid ipsec protocol"
EIPSEC_INVAL_MODE = "Invalid ipsec mode"
EIPSEC_INVAL_LEVEL = "Invalid ipsec level"
EIPSEC_INVAL_DIR = "Invalid direction"
EIPSEC_FAMILY_MISMATCH = "Family mismatch"
EIPSEC_FEW_ARGUMENTS = "Too few arguments"
EIPSEC_NOT_SUPPORTED = "Not supported"
EIPSEC_INVAL_KEYLEN = "Invalid key length"
EIPSEC_INVAL_SADBMSG = "Invalid sadb message"


# -- addresses ---------------------------------------------------------------------------------
def parse_numeric_addr(text: str) -> Any:
    """A numeric address (``fe80::1%em0``, ``192.0.2.1``) as a sockaddr; None if it is not one."""
    try:
        res = libc.getaddrinfo(text, None, libc.addrinfo(ai_flags=libc.AI_NUMERICHOST,
                                                         ai_socktype=2))
    except OSError:
        return None
    return res[0].ai_addr if res else None


def str_ipaddr(sa: Any) -> str:
    """getnameinfo(NI_NUMERICHOST): the address, with its zone if it has one."""
    if isinstance(sa, (sockaddr_in6, sockaddr_in)):
        return libc.getnameinfo_host(sa, libc.NI_NUMERICHOST)
    return "?"


# -- ipsec_set_policy(3) ----------------------------------------------------------------------------
def ipsec_set_policy(text: str) -> bytes:
    """``direction [action [rules]]`` to a binary ``sadb_x_policy``; a rule is
    ``protocol/mode/src-dst/level`` with ``level`` default, use, require,
    unique or unique:N.  Raises IPsecError with libipsec's message."""
    words = text.split()
    if not words:
        raise IPsecError(EIPSEC_FEW_ARGUMENTS)
    dirs = {v: k for k, v in IPSP_DIR_STRS.items() if k != IPSEC_DIR_ANY}
    if words[0] not in dirs:
        raise IPsecError(EIPSEC_INVAL_DIR)
    pdir = dirs[words[0]]
    if len(words) == 1:
        return sadb_x_policy_build(IPSEC_POLICY_DISCARD, pdir)   # p_type ignored by the kernel
    actions = {v: k for k, v in IPSP_POLICY_STRS.items()}
    if words[1] not in actions:
        raise IPsecError(EIPSEC_INVAL_POLICY)
    ptype = actions[words[1]]
    reqs = [_parse_rule(w) for w in words[2:]]
    if reqs and ptype != IPSEC_POLICY_IPSEC:
        raise IPsecError(EIPSEC_INVAL_POLICY)
    return sadb_x_policy_build(ptype, pdir, 0, reqs)


def ipsec_get_policylen(buf: bytes) -> int:
    """The length of a policy ipsec_set_policy made: its ``sadb_x_policy_len``
    (64-bit words) in bytes."""
    if len(buf) < 2:
        raise IPsecError(EIPSEC_INVAL_POLICY)
    return int.from_bytes(buf[0:2], "little") * 8


def _parse_rule(word: str) -> dict:
    parts = word.split("/")
    if len(parts) < 2 or parts[1] == "":
        raise IPsecError(EIPSEC_FEW_ARGUMENTS)
    if len(parts) > 4:
        raise IPsecError(EIPSEC_INVAL_POLICY)
    proto = _PROTOS.get(parts[0])
    if proto is None:
        raise IPsecError(EIPSEC_INVAL_PROTO)
    mode = _MODES.get(parts[1])
    if mode is None:
        raise IPsecError(EIPSEC_INVAL_MODE)
    src = dst = None
    if len(parts) >= 3 and parts[2]:
        a, sep, b = parts[2].partition("-")
        src, dst = parse_numeric_addr(a), parse_numeric_addr(b) if sep else None
        if src is None or dst is None:
            raise IPsecError(EIPSEC_INVAL_ADDRESS)
        if sa_family(src) != sa_family(dst):
            raise IPsecError(EIPSEC_FAMILY_MISMATCH)
    level, reqid = IPSEC_LEVEL_DEFAULT, 0
    if len(parts) == 4 and parts[3]:
        lv, colon, num = parts[3].partition(":")
        if colon:
            if lv != "unique" or not num.isdigit():
                raise IPsecError(EIPSEC_INVAL_LEVEL)
            level, reqid = IPSEC_LEVEL_UNIQUE, int(num)
        elif lv in _LEVELS:
            level = _LEVELS[lv]
        else:
            raise IPsecError(EIPSEC_INVAL_LEVEL)
    if src is None and mode != IPSEC_MODE_TRANSPORT:
        raise IPsecError(EIPSEC_INVAL_ADDRESS)        # rule_check: a tunnel needs endpoints
    if reqid > 0xFFFF:
        raise IPsecError(EIPSEC_INVAL_LEVEL)
    return ipsecrequest(proto, mode, level, reqid, src, dst)


# -- ipsec_dump_policy(3) ---------------------------------------------------------------------------
def ipsec_dump_policy(xpl: Any, delimiter: Optional[str] = " ") -> str:
    """A parsed ``sadb_x_policy`` as text: ``out ipsec`` then each request
    (``esp/tunnel/A-B/require``, ``esp/transport//unique#16385``) after
    ``delimiter``."""
    if delimiter is None:
        delimiter = " "
    d, t = xpl.sadb_x_policy_dir, xpl.sadb_x_policy_type
    if d not in IPSP_DIR_STRS:
        raise IPsecError(EIPSEC_INVAL_DIR)
    if t not in IPSP_POLICY_STRS:
        raise IPsecError(EIPSEC_INVAL_POLICY)
    out = f"{IPSP_DIR_STRS[d]} {IPSP_POLICY_STRS[t]}"
    if t != IPSEC_POLICY_IPSEC:
        return out
    for r in xpl.sadb_x_policy_requests:
        out += delimiter + ipsec_dump_ipsecrequest(r)
    return out


def ipsec_dump_ipsecrequest(r: Any) -> str:
    proto = {v: k for k, v in _PROTOS.items()}.get(r.sadb_x_ipsecrequest_proto)
    if proto is None:
        raise IPsecError(EIPSEC_INVAL_PROTO)
    mode = {IPSEC_MODE_ANY: "any", IPSEC_MODE_TRANSPORT: "transport",
            IPSEC_MODE_TUNNEL: "tunnel"}.get(r.sadb_x_ipsecrequest_mode)
    if mode is None:
        raise IPsecError(EIPSEC_INVAL_MODE)
    abuf = ""
    if r.sadb_x_ipsecrequest_src is not None:
        abuf = f"{str_ipaddr(r.sadb_x_ipsecrequest_src)}-{str_ipaddr(r.sadb_x_ipsecrequest_dst)}"
    level = {v: k for k, v in _LEVELS.items()}.get(r.sadb_x_ipsecrequest_level)
    if level is None:
        raise IPsecError(EIPSEC_INVAL_LEVEL)
    reqid = r.sadb_x_ipsecrequest_reqid
    if reqid == 0:
        return f"{proto}/{mode}/{abuf}/{level}"
    ch = "#" if reqid > IPSEC_MANUAL_REQID_MAX else ":"
    return f"{proto}/{mode}/{abuf}/{level}{ch}{reqid}"


# -- pfkey_sadump / pfkey_spdump (setkey -D, -DP) -------------------------------------------------------
def _getmsgstr(table: list[str], num: int) -> str:
    return f"{table[num]} " if 0 <= num < len(table) and table[num] else f"{num} "


def _getmsgv2s(table: dict[int, str], num: int) -> str:
    return f"{table[num]} " if num in table else f"{num} "


def ipsec_hexdump(buf: bytes) -> str:
    """key_debug.c's ipsec_hexdump: groups of 4 bytes, a new line every 32."""
    out = []
    for i, b in enumerate(buf):
        if i and i % 32 == 0:
            out.append("\n")
        if i % 4 == 0:
            out.append(" ")
        out.append(f"{b:02x}")
    return "".join(out)


def str_time(t: int) -> str:
    """ctime() without the weekday, 20 characters; blanks for 0."""
    if t == 0:
        return " " * 20
    return libc.ctime(t)[4:24]


def _lifetime_byte(x: Any, name: str) -> str:
    return f"\t{name}: {x.sadb_lifetime_bytes if x is not None else 0}(bytes)"


def pfkey_sadump(m: sadb_message, now: Optional[int] = None) -> str:
    """An SA as ``setkey -D`` prints it (pfkey_sadump)."""
    e = m.ext
    sa, sa2 = e.get(SADB_EXT_SA), e.get(SADB_X_EXT_SA2)
    lftc, lfth, lfts = (e.get(SADB_EXT_LIFETIME_CURRENT), e.get(SADB_EXT_LIFETIME_HARD),
                        e.get(SADB_EXT_LIFETIME_SOFT))
    saddr, daddr = e.get(SADB_EXT_ADDRESS_SRC), e.get(SADB_EXT_ADDRESS_DST)
    natt = e.get(SADB_X_EXT_NAT_T_TYPE)
    if saddr is None:
        return "no ADDRESS_SRC extension.\n"
    out = str_ipaddr(saddr.sadb_address_addr)
    if natt is not None and SADB_X_EXT_NAT_T_SPORT in e:
        out += f"[{e[SADB_X_EXT_NAT_T_SPORT].sadb_x_nat_t_port_port}]"
    if daddr is None:
        return out + "\nno ADDRESS_DST extension.\n"
    out += " " + str_ipaddr(daddr.sadb_address_addr)
    if natt is not None and SADB_X_EXT_NAT_T_DPORT in e:
        out += f"[{e[SADB_X_EXT_NAT_T_DPORT].sadb_x_nat_t_port_port}]"
    if sa is None:
        return out + "\nno SA extension.\n"
    if sa2 is None:
        return out + "\nno SA2 extension.\n"
    out += "\n\t"
    if m.satype == SADB_SATYPE_ESP and natt is not None:
        out += "esp-udp "
    else:
        out += _getmsgstr(STR_SATYPE, m.satype)
    out += "mode=" + _getmsgstr(STR_MODE, sa2.sadb_x_sa2_mode)
    out += (f"spi={sa.sadb_sa_spi}(0x{sa.sadb_sa_spi:08x}) "
            f"reqid={sa2.sadb_x_sa2_reqid}(0x{sa2.sadb_x_sa2_reqid:08x})\n")
    oai, oar = e.get(SADB_X_EXT_NAT_T_OAI), e.get(SADB_X_EXT_NAT_T_OAR)
    if natt is not None and (oai is not None or oar is not None):
        out += "\tNAT:"
        if oai is not None:
            out += " OAI=" + str_ipaddr(oai.sadb_address_addr)
        if oar is not None:
            out += " OAR=" + str_ipaddr(oar.sadb_address_addr)
        out += "\n"
    enc, auth = e.get(SADB_EXT_KEY_ENCRYPT), e.get(SADB_EXT_KEY_AUTH)
    if m.satype == SADB_X_SATYPE_IPCOMP:
        out += "\tC: " + _getmsgv2s(STR_ALG_COMP, sa.sadb_sa_encrypt)
    elif m.satype == SADB_SATYPE_ESP and enc is not None:
        out += ("\tE: " + _getmsgv2s(STR_ALG_ENC, sa.sadb_sa_encrypt)
                + ipsec_hexdump(enc.sadb_key_data[:enc.sadb_key_bits // 8]) + "\n")
    if auth is not None:
        out += ("\tA: " + _getmsgv2s(STR_ALG_AUTH, sa.sadb_sa_auth)
                + ipsec_hexdump(auth.sadb_key_data[:auth.sadb_key_bits // 8]) + "\n")
    out += (f"\tseq=0x{sa2.sadb_x_sa2_sequence:08x} replay={sa.sadb_sa_replay} "
            f"flags=0x{sa.sadb_sa_flags:08x} ")
    out += "state=" + _getmsgstr(STR_STATE, sa.sadb_sa_state) + "\n"
    if lftc is not None:
        t = libc.time() if now is None else now
        add = lftc.sadb_lifetime_addtime
        h = lambda f: getattr(lfth, f) if lfth is not None else 0      # noqa: E731
        s = lambda f: getattr(lfts, f) if lfts is not None else 0      # noqa: E731
        out += f"\tcreated: {str_time(add)}\tcurrent: {str_time(t)}\n"
        out += (f"\tdiff: {0 if add == 0 else t - add}(s)\thard: {h('sadb_lifetime_addtime')}(s)"
                f"\tsoft: {s('sadb_lifetime_addtime')}(s)\n")
        out += (f"\tlast: {str_time(lftc.sadb_lifetime_usetime)}"
                f"\thard: {h('sadb_lifetime_usetime')}(s)\tsoft: {s('sadb_lifetime_usetime')}(s)\n")
        out += (_lifetime_byte(lftc, "current") + _lifetime_byte(lfth, "hard")
                + _lifetime_byte(lfts, "soft") + "\n")
        out += (f"\tallocated: {lftc.sadb_lifetime_allocations}"
                f"\thard: {h('sadb_lifetime_allocations')}"
                f"\tsoft: {s('sadb_lifetime_allocations')}\n")
    out += (f"\tsadb_seq={m.hdr.sadb_msg_seq} pid={m.hdr.sadb_msg_pid} "
            f"refcnt={m.hdr.sadb_msg_reserved}\n")
    return out


def str_prefport(family: int, pref: int, port: int, ulp: int) -> str:
    """``/prefix[port]``: no prefix when it is the whole address, no port for ICMPv6."""
    plen = 128 if family == AF_INET6 else 32 if family == AF_INET else None
    if plen is None:
        return "?"
    prefbuf = "" if pref == plen else f"/{pref}"
    if ulp == IPPROTO_ICMPV6:
        portbuf = ""
    else:
        portbuf = "[any]" if port == IPSEC_PORT_ANY else f"[{port}]"
    return prefbuf + portbuf


def str_upperspec(ulp: int, p1: int, p2: int) -> str:
    if ulp == IPSEC_ULPROTO_ANY:
        return "any"
    if ulp == IPPROTO_ICMPV6:
        return "icmp6" + ("" if p1 == IPSEC_PORT_ANY and p2 == IPSEC_PORT_ANY else f" {p1},{p2}")
    if ulp == IPPROTO_IPV4:
        return "ip4"
    ent = libc.getprotobynumber(ulp)
    return ent.p_name if ent is not None else str(ulp)


def pfkey_spdump(m: sadb_message) -> str:
    """A policy as ``setkey -DP`` prints it (pfkey_spdump)."""
    e = m.ext
    saddr, daddr = e.get(SADB_EXT_ADDRESS_SRC), e.get(SADB_EXT_ADDRESS_DST)
    xpl = e.get(SADB_X_EXT_POLICY)
    lftc, lfth = e.get(SADB_EXT_LIFETIME_CURRENT), e.get(SADB_EXT_LIFETIME_HARD)
    out = ""
    if saddr is not None and daddr is not None:
        sport = dport = 0
        for a, which in ((saddr, "s"), (daddr, "d")):
            sa = a.sadb_address_addr
            fam = sa_family(sa)
            if fam in (AF_INET, AF_INET6):
                port = sa_port(sa)
                if which == "s":
                    sport = port
                else:
                    dport = port
                out += str_ipaddr(sa) + str_prefport(fam, a.sadb_address_prefixlen, port,
                                                     saddr.sadb_address_proto) + " "
            else:
                out += "unknown-af "
        if saddr.sadb_address_proto != daddr.sadb_address_proto:
            return out + "upper layer protocol mismatched.\n"
        out += str_upperspec(saddr.sadb_address_proto, sport, dport)
    else:
        out += "(no selector, probably per-socket policy) "
    if xpl is None:
        return out + "no X_POLICY extension.\n"
    try:
        out += "\n\t" + ipsec_dump_policy(xpl, "\n\t") + "\n"
    except IPsecError as err:
        out += f"\n\tPolicy:[{err}]\n"
    if lftc is not None:
        out += (f"\tcreated: {str_time(lftc.sadb_lifetime_addtime)}  "
                f"lastused: {str_time(lftc.sadb_lifetime_usetime)}\n")
    if lfth is not None:
        out += (f"\tlifetime: {lfth.sadb_lifetime_addtime}(s) "
                f"validtime: {lfth.sadb_lifetime_usetime}(s)\n")
    out += (f"\tspid={xpl.sadb_x_policy_id} seq={m.hdr.sadb_msg_seq} "
            f"pid={m.hdr.sadb_msg_pid}\n")
    out += f"\trefcnt={m.hdr.sadb_msg_reserved}\n"
    return out


# -- kdebug_sadb (setkey -x, -v) -------------------------------------------------------------------------
def _kdebug_sockaddr(sa: Any) -> str:
    fam = sa_family(sa)
    from kernel.wire.pfkeyv2 import sa_len
    out = f"sockaddr{{ len={sa_len(sa)} family={fam}"
    if isinstance(sa, sockaddr_in):
        out += f" port={sa.sin_port}\n" + ipsec_hexdump(sa.sin_addr)
    elif isinstance(sa, sockaddr_in6):
        out += (f" port={sa.sin6_port}\n  flowinfo=0x{sa.sin6_flowinfo:08x}, "
                f"scope_id=0x{sa.sin6_scope_id:08x}\n" + ipsec_hexdump(sa.sin6_addr))
    return out + "  }\n"


def kdebug_sadb(data: bytes) -> str:
    """A message field by field, as key_debug.c's kdebug_sadb prints it."""
    from kernel.wire.pfkeyv2 import EXT_FORMATS, ext_parse, msg_header
    try:
        h = msg_header(data)
    except PFKeyError as err:
        return f"kdebug_sadb: {err}\n"
    out = (f"sadb_msg{{ version={h.sadb_msg_version} type={h.sadb_msg_type} "
           f"errno={h.sadb_msg_errno} satype={h.sadb_msg_satype}\n"
           f"  len={h.sadb_msg_len} reserved={h.sadb_msg_reserved} seq={h.sadb_msg_seq} "
           f"pid={h.sadb_msg_pid}\n")
    off, end = 16, min(len(data), h.sadb_msg_len * 8)
    while off + 4 <= end:
        elen = int.from_bytes(data[off:off + 2], "little") * 8
        etype = int.from_bytes(data[off + 2:off + 4], "little")
        out += f"sadb_ext{{ len={elen} type={etype} }}\n"
        if elen == 0:
            return out + "kdebug_sadb: invalid ext_len=0 was passed.\n"
        if off + elen > end:
            return out + "kdebug_sadb: ext_len exceeds end of buffer.\n"
        if etype not in EXT_FORMATS:
            return out + f"kdebug_sadb: invalid ext_type {etype} was passed.\n"
        try:
            x = ext_parse(etype, data[off:off + elen])
        except PFKeyError as err:
            return out + f"kdebug_sadb: {err}\n"
        out += _kdebug_ext(etype, x)
        off += elen
    return out


def _kdebug_ext(t: int, x: Any) -> str:
    if t == SADB_EXT_SA:
        return (f"sadb_sa{{ spi={x.sadb_sa_spi} replay={x.sadb_sa_replay} "
                f"state={x.sadb_sa_state}\n  auth={x.sadb_sa_auth} encrypt={x.sadb_sa_encrypt} "
                f"flags=0x{x.sadb_sa_flags:08x} }}\n")
    if t in (SADB_EXT_LIFETIME_CURRENT, SADB_EXT_LIFETIME_HARD, SADB_EXT_LIFETIME_SOFT):
        return (f"sadb_lifetime{{ alloc={x.sadb_lifetime_allocations}, "
                f"bytes={x.sadb_lifetime_bytes & 0xFFFFFFFF}\n"
                f"  addtime={x.sadb_lifetime_addtime & 0xFFFFFFFF}, "
                f"usetime={x.sadb_lifetime_usetime & 0xFFFFFFFF} }}\n")
    if t in (SADB_EXT_ADDRESS_SRC, SADB_EXT_ADDRESS_DST, SADB_EXT_ADDRESS_PROXY,
             SADB_X_EXT_NAT_T_OAI, SADB_X_EXT_NAT_T_OAR):
        r = x.sadb_address_reserved
        return (f"sadb_address{{ proto={x.sadb_address_proto} "
                f"prefixlen={x.sadb_address_prefixlen} reserved=0x{r & 0xFF:02x}{r >> 8:02x} }}\n"
                + _kdebug_sockaddr(x.sadb_address_addr))
    if t in (SADB_EXT_KEY_AUTH, SADB_EXT_KEY_ENCRYPT):
        return (f"sadb_key{{ bits={x.sadb_key_bits} reserved={x.sadb_key_reserved}\n  key="
                + ipsec_hexdump(x.sadb_key_data) + " }\n")
    if t in (SADB_EXT_IDENTITY_SRC, SADB_EXT_IDENTITY_DST):
        s = x.sadb_ident_string.split(b"\0", 1)[0]
        txt = "".join(chr(c) if 32 <= c < 127 else f"\\{c:03o}" for c in s)
        return (f"sadb_ident_{'src' if t == SADB_EXT_IDENTITY_SRC else 'dst'}{{ "
                f"type={x.sadb_ident_type} id={x.sadb_ident_id}"
                + (f'\n  str="{txt}"' if s else "") + " }\n")
    if t == SADB_EXT_PROPOSAL:
        out = f"sadb_prop{{ replay={x.sadb_prop_replay}\n"
        for c in x.sadb_prop_combs:
            out += (f"sadb_comb{{ auth={c.sadb_comb_auth} encrypt={c.sadb_comb_encrypt} "
                    f"flags=0x{c.sadb_comb_flags:04x} reserved=0x{c.sadb_comb_reserved:08x}\n"
                    f"  auth_minbits={c.sadb_comb_auth_minbits} "
                    f"auth_maxbits={c.sadb_comb_auth_maxbits} "
                    f"encrypt_minbits={c.sadb_comb_encrypt_minbits} "
                    f"encrypt_maxbits={c.sadb_comb_encrypt_maxbits}\n"
                    f"  soft_alloc={c.sadb_comb_soft_allocations} "
                    f"hard_alloc={c.sadb_comb_hard_allocations} "
                    f"soft_bytes={c.sadb_comb_soft_bytes} hard_bytes={c.sadb_comb_hard_bytes}\n"
                    f"  soft_alloc={c.sadb_comb_soft_addtime} "
                    f"hard_alloc={c.sadb_comb_hard_addtime} "
                    f"soft_bytes={c.sadb_comb_soft_usetime} "
                    f"hard_bytes={c.sadb_comb_hard_usetime} }}\n")
        return out + "}\n"
    if t in (SADB_EXT_SUPPORTED_AUTH, SADB_EXT_SUPPORTED_ENCRYPT):
        out = "sadb_sup{\n"
        for a in x.sadb_supported_algs:
            out += (f"  {{ id={a.sadb_alg_id} ivlen={a.sadb_alg_ivlen} "
                    f"min={a.sadb_alg_minbits} max={a.sadb_alg_maxbits} }}\n")
        return out + "}\n"
    if t == SADB_X_EXT_POLICY:
        out = (f"sadb_x_policy{{ type={x.sadb_x_policy_type} dir={x.sadb_x_policy_dir} "
               f"id={x.sadb_x_policy_id:x} }}\n")
        for r in x.sadb_x_policy_requests:
            out += (f" {{ len={r.sadb_x_ipsecrequest_len} proto={r.sadb_x_ipsecrequest_proto} "
                    f"mode={r.sadb_x_ipsecrequest_mode} level={r.sadb_x_ipsecrequest_level} "
                    f"reqid={r.sadb_x_ipsecrequest_reqid}\n")
            if r.sadb_x_ipsecrequest_src is not None:
                out += (_kdebug_sockaddr(r.sadb_x_ipsecrequest_src)
                        + _kdebug_sockaddr(r.sadb_x_ipsecrequest_dst))
            out += " }\n"
        return out
    if t == SADB_X_EXT_SA2:
        return (f"sadb_x_sa2{{ mode={x.sadb_x_sa2_mode} reqid={x.sadb_x_sa2_reqid}\n"
                f"  reserved1={x.sadb_x_sa2_reserved1} reserved2={x.sadb_x_sa2_reserved2} "
                f"sequence={x.sadb_x_sa2_sequence} }}\n")
    if t == SADB_X_EXT_NAT_T_TYPE:
        return f"sadb_x_nat_t_type{{ type={x.sadb_x_nat_t_type_type} }}\n"
    if t in (SADB_X_EXT_NAT_T_SPORT, SADB_X_EXT_NAT_T_DPORT):
        return f"sadb_x_nat_t_port{{ port={x.sadb_x_nat_t_port_port} }}\n"
    if t == SADB_X_EXT_NAT_T_FRAG:
        return f"sadb_x_nat_t_frag{{ esp_frag={x.sadb_x_nat_t_frag_fraglen} }}\n"
    return ""                       # SENSITIVITY, SPIRANGE, KMPRIVATE: nothing (as KAME)


# -- pfkey.c ------------------------------------------------------------------------------------------------
PFKEY_BUFSIZ = 128 * 1024


def pfkey_open() -> int:
    """A PF_KEY socket with 128 KB buffers, as libipsec opens it."""
    so = libc.socket(PF_KEY, 3, PF_KEY_V2)
    try:
        libc.setsockopt(so, 0xFFFF, 0x1001, PFKEY_BUFSIZ)     # SO_SNDBUF
        libc.setsockopt(so, 0xFFFF, 0x1002, PFKEY_BUFSIZ)     # SO_RCVBUF
    except OSError:
        pass
    return so


def pfkey_recv(so: int, flags: int = 0) -> Optional[sadb_message]:
    """One message; None if it does not parse."""
    data = libc.recv(so, PFKEY_BUFSIZ, flags)
    try:
        return msg_parse(data)
    except PFKeyError:
        return None


__all__ = ["ipsec_set_policy", "ipsec_dump_policy", "ipsec_dump_ipsecrequest", "pfkey_sadump",
           "pfkey_spdump", "kdebug_sadb", "ipsec_hexdump", "str_time", "pfkey_open", "pfkey_recv",
           "parse_numeric_addr", "IPsecError", "AUTH_ALGS", "ENC_ALGS", "COMP_ALGS", "ENC_NOKEY",
           "STR_ALG_AUTH", "STR_ALG_ENC"]
