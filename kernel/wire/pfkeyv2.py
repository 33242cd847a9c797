"""<net/pfkeyv2.h> and <netinet6/ipsec.h>: PF_KEY v2 messages (RFC 2367) as KAME extended them.

Shared by the kernel (``kernel/netkey``) and userland (``setkey``, racoon).
Each message is a ``sadb_msg`` header followed by extensions, every one of
them a multiple of 8 bytes long, its length counted in 64-bit words (RFC 2367
2.2).  The header and each extension are declared once, below, with
``construct``: the same declaration parses and builds.  Integers are in the
host byte order of a little-endian machine, as on FreeBSD/i386, except the
SPI and the NAT-T ports, which are in network byte order (RFC 2367 2.3.1),
and the sockaddrs, which have the layout of kernel/wire/in6.py and in_.py.

Numbering is KAME's and NetBSD's: RFC 2367's message and extension types,
KAME's SADB_X_* additions (SPD messages 13-22, X_SA2 19, X_POLICY 18 with
``sadb_x_ipsecrequest`` entries), the NAT-T extensions of FreeBSD/NetBSD
(20-25), NetBSD's SADB_X_NAT_T_NEW_MAPPING (23) and SADB_X_MIGRATE (24,
draft-sugimoto-mip6-pfkey-migrate).  Algorithm numbers are FreeBSD's (the
IANA/IKE numbers KAME moved to).  docs/pfkey.md draws the layouts.

Untrusted bytes never raise anything but :class:`PFKeyError` (a
``ValueError``); its subclasses name the ``pfkeystat`` counter a kernel bumps
for the fault (``out_invlen``, ``out_invexttype``, ``out_dupext`` ...).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any, Iterable, Optional, Union

import construct as cs

from kernel.wire.errno import EINVAL
from kernel.wire.in6 import AF_INET6, SIN6_LEN, sockaddr_in6
from kernel.wire.in_ import AF_INET, sockaddr_in
from kernel.wire.socket import PF_KEY                # pseudo_AF_KEY, 27 on FreeBSD

Buffer = Union[bytes, bytearray, memoryview]

PF_KEY_V2 = 2                    # RFC 2367 2.1: the protocol of socket(PF_KEY, SOCK_RAW, PF_KEY_V2)
PFKEYV2_REVISION = 199806


# -- message types (RFC 2367 2.3 and KAME) -------------------------------------------------
class SadbMsgType(IntEnum):
    SADB_RESERVED = 0
    SADB_GETSPI = 1
    SADB_UPDATE = 2
    SADB_ADD = 3
    SADB_DELETE = 4
    SADB_GET = 5
    SADB_ACQUIRE = 6
    SADB_REGISTER = 7
    SADB_EXPIRE = 8
    SADB_FLUSH = 9
    SADB_DUMP = 10
    SADB_X_PROMISC = 11
    SADB_X_PCHANGE = 12
    SADB_X_SPDUPDATE = 13
    SADB_X_SPDADD = 14
    SADB_X_SPDDELETE = 15        # by policy index
    SADB_X_SPDGET = 16
    SADB_X_SPDACQUIRE = 17
    SADB_X_SPDDUMP = 18
    SADB_X_SPDFLUSH = 19
    SADB_X_SPDSETIDX = 20
    SADB_X_SPDEXPIRE = 21
    SADB_X_SPDDELETE2 = 22       # by policy id
    SADB_X_NAT_T_NEW_MAPPING = 23
    SADB_X_MIGRATE = 24          # draft-sugimoto-mip6-pfkey-migrate (NetBSD's number)


(SADB_RESERVED, SADB_GETSPI, SADB_UPDATE, SADB_ADD, SADB_DELETE, SADB_GET, SADB_ACQUIRE,
 SADB_REGISTER, SADB_EXPIRE, SADB_FLUSH, SADB_DUMP, SADB_X_PROMISC, SADB_X_PCHANGE,
 SADB_X_SPDUPDATE, SADB_X_SPDADD, SADB_X_SPDDELETE, SADB_X_SPDGET, SADB_X_SPDACQUIRE,
 SADB_X_SPDDUMP, SADB_X_SPDFLUSH, SADB_X_SPDSETIDX, SADB_X_SPDEXPIRE, SADB_X_SPDDELETE2,
 SADB_X_NAT_T_NEW_MAPPING, SADB_X_MIGRATE) = SadbMsgType
SADB_MAX = SADB_X_MIGRATE


# -- extension types (RFC 2367 2.3, KAME, FreeBSD's NAT-T) ---------------------------------
class SadbExtType(IntEnum):
    SADB_EXT_RESERVED = 0
    SADB_EXT_SA = 1
    SADB_EXT_LIFETIME_CURRENT = 2
    SADB_EXT_LIFETIME_HARD = 3
    SADB_EXT_LIFETIME_SOFT = 4
    SADB_EXT_ADDRESS_SRC = 5
    SADB_EXT_ADDRESS_DST = 6
    SADB_EXT_ADDRESS_PROXY = 7
    SADB_EXT_KEY_AUTH = 8
    SADB_EXT_KEY_ENCRYPT = 9
    SADB_EXT_IDENTITY_SRC = 10
    SADB_EXT_IDENTITY_DST = 11
    SADB_EXT_SENSITIVITY = 12
    SADB_EXT_PROPOSAL = 13
    SADB_EXT_SUPPORTED_AUTH = 14
    SADB_EXT_SUPPORTED_ENCRYPT = 15
    SADB_EXT_SPIRANGE = 16
    SADB_X_EXT_KMPRIVATE = 17
    SADB_X_EXT_POLICY = 18
    SADB_X_EXT_SA2 = 19
    SADB_X_EXT_NAT_T_TYPE = 20
    SADB_X_EXT_NAT_T_SPORT = 21
    SADB_X_EXT_NAT_T_DPORT = 22
    SADB_X_EXT_NAT_T_OAI = 23    # the peer's NAT original address of the SA's source
    SADB_X_EXT_NAT_T_OAR = 24    # ... of its destination
    SADB_X_EXT_NAT_T_FRAG = 25


(SADB_EXT_RESERVED, SADB_EXT_SA, SADB_EXT_LIFETIME_CURRENT, SADB_EXT_LIFETIME_HARD,
 SADB_EXT_LIFETIME_SOFT, SADB_EXT_ADDRESS_SRC, SADB_EXT_ADDRESS_DST, SADB_EXT_ADDRESS_PROXY,
 SADB_EXT_KEY_AUTH, SADB_EXT_KEY_ENCRYPT, SADB_EXT_IDENTITY_SRC, SADB_EXT_IDENTITY_DST,
 SADB_EXT_SENSITIVITY, SADB_EXT_PROPOSAL, SADB_EXT_SUPPORTED_AUTH, SADB_EXT_SUPPORTED_ENCRYPT,
 SADB_EXT_SPIRANGE, SADB_X_EXT_KMPRIVATE, SADB_X_EXT_POLICY, SADB_X_EXT_SA2,
 SADB_X_EXT_NAT_T_TYPE, SADB_X_EXT_NAT_T_SPORT, SADB_X_EXT_NAT_T_DPORT, SADB_X_EXT_NAT_T_OAI,
 SADB_X_EXT_NAT_T_OAR, SADB_X_EXT_NAT_T_FRAG) = SadbExtType
SADB_X_EXT_NAT_T_OA = SADB_X_EXT_NAT_T_OAI      # the old name
SADB_EXT_MAX = SADB_X_EXT_NAT_T_FRAG

# -- SA types, states, flags (RFC 2367 2.3.1, 3.5) -----------------------------------------
SADB_SATYPE_UNSPEC = 0
SADB_SATYPE_AH = 2
SADB_SATYPE_ESP = 3
SADB_SATYPE_RSVP = 5
SADB_SATYPE_OSPFV2 = 6
SADB_SATYPE_RIPV2 = 7
SADB_SATYPE_MIP = 8
SADB_X_SATYPE_IPCOMP = 9
SADB_X_SATYPE_TCPSIGNATURE = 11
SADB_SATYPE_MAX = 12

SADB_SASTATE_LARVAL = 0
SADB_SASTATE_MATURE = 1
SADB_SASTATE_DYING = 2
SADB_SASTATE_DEAD = 3
SADB_SASTATE_MAX = 3

SADB_SAFLAGS_PFS = 1

# sadb_sa_flags, KAME's additions
SADB_X_EXT_NONE = 0x0000         # i.e. new format
SADB_X_EXT_OLD = 0x0001          # old format (RFC 1827/1829)
SADB_X_EXT_IV4B = 0x0010         # IV length of 4 bytes in use
SADB_X_EXT_DERIV = 0x0020        # DES derived
SADB_X_EXT_CYCSEQ = 0x0040       # allowing to cyclic sequence
SADB_X_EXT_PSEQ = 0x0000         # sequential padding for ESP
SADB_X_EXT_PRAND = 0x0100        # random padding for ESP
SADB_X_EXT_PZERO = 0x0200        # zero padding for ESP
SADB_X_EXT_PMASK = 0x0300        # mask for padding flag
SADB_X_EXT_RAWCPI = 0x0080       # use well known CPI (IPComp)

# -- algorithms (FreeBSD's numbers; RFC 2367 2.3.1 and the IANA IKE registry) -----------------
SADB_AALG_NONE = 0
SADB_AALG_MD5HMAC = 2
SADB_AALG_SHA1HMAC = 3
SADB_X_AALG_SHA2_256 = 5
SADB_X_AALG_SHA2_384 = 6
SADB_X_AALG_SHA2_512 = 7
SADB_X_AALG_RIPEMD160HMAC = 8
SADB_X_AALG_AES_XCBC_MAC = 9
SADB_X_AALG_AES128GMAC = 11      # RFC 4543
SADB_X_AALG_AES192GMAC = 12
SADB_X_AALG_AES256GMAC = 13
SADB_X_AALG_MD5 = 249            # keyed MD5
SADB_X_AALG_SHA = 250            # keyed SHA
SADB_X_AALG_NULL = 251           # null authentication
SADB_X_AALG_TCP_MD5 = 252        # keyed TCP-MD5 (RFC 2385)
SADB_AALG_MAX = 252

SADB_EALG_NONE = 0
SADB_EALG_DESCBC = 2
SADB_EALG_3DESCBC = 3
SADB_X_EALG_CAST128CBC = 6
SADB_X_EALG_BLOWFISHCBC = 7
SADB_EALG_NULL = 11
SADB_X_EALG_RIJNDAELCBC = 12
SADB_X_EALG_AES = 12
SADB_X_EALG_AESCBC = 12
SADB_X_EALG_AESCTR = 13
SADB_X_EALG_AESGCM8 = 18         # RFC 4106
SADB_X_EALG_AESGCM12 = 19
SADB_X_EALG_AESGCM16 = 20
SADB_X_EALG_CAMELLIACBC = 22
SADB_X_EALG_AESGMAC = 23         # RFC 4543: ESP with AES-GMAC (NULL_AUTH_AES_GMAC)
SADB_EALG_MAX = 252

SADB_X_CALG_NONE = 0
SADB_X_CALG_OUI = 1
SADB_X_CALG_DEFLATE = 2
SADB_X_CALG_LZS = 3
SADB_X_CALG_MAX = 4

SADB_IDENTTYPE_RESERVED = 0
SADB_IDENTTYPE_PREFIX = 1
SADB_IDENTTYPE_FQDN = 2
SADB_IDENTTYPE_USERFQDN = 3
SADB_X_IDENTTYPE_ADDR = 4
SADB_IDENTTYPE_MAX = 4

SADB_X_LIFETIME_ALLOCATIONS = 0
SADB_X_LIFETIME_BYTES = 1
SADB_X_LIFETIME_ADDTIME = 2
SADB_X_LIFETIME_USETIME = 3
PFKEY_SOFT_LIFETIME_RATE = 80    # the soft lifetime, percent of the hard one

# NAT-T encapsulation types (sadb_x_nat_t_type_type; <netinet/udp.h>)
UDP_ENCAP_ESPINUDP_NON_IKE = 1
UDP_ENCAP_ESPINUDP = 2           # RFC 3948

# -- <netinet6/ipsec.h> ------------------------------------------------------------------------
IPSEC_PORT_ANY = 0
IPSEC_ULPROTO_ANY = 255
IPSEC_PROTO_ANY = 255

IPSEC_MODE_ANY = 0               # i.e. wildcard
IPSEC_MODE_TRANSPORT = 1
IPSEC_MODE_TUNNEL = 2
IPSEC_MODE_TCPMD5 = 3

IPSEC_DIR_ANY = 0
IPSEC_DIR_INBOUND = 1
IPSEC_DIR_OUTBOUND = 2
IPSEC_DIR_FWD = 3                # ipsec-tools' forwarding direction (kamebox keeps its SPD too)
IPSEC_DIR_MAX = 4
IPSEC_DIR_INVALID = 5

IPSEC_POLICY_DISCARD = 0         # discarding packet
IPSEC_POLICY_NONE = 1            # through IPsec engine
IPSEC_POLICY_IPSEC = 2           # do IPsec
IPSEC_POLICY_ENTRUST = 3         # consulting SPD if present
IPSEC_POLICY_BYPASS = 4          # only for privileged socket

IPSEC_LEVEL_DEFAULT = 0          # reference to system default
IPSEC_LEVEL_USE = 1              # use SA if present
IPSEC_LEVEL_REQUIRE = 2          # require SA
IPSEC_LEVEL_UNIQUE = 3           # unique SA

IPSEC_MANUAL_REQID_MAX = 0x3FFF  # reqids above are the kernel's (key_newreqid)
IPSEC_REPLAYWSIZE = 32

IPPROTO_ESP = 50
IPPROTO_AH = 51
IPPROTO_IPCOMP = 108
IPPROTO_TCP = 6


def PFKEY_ALIGN8(a: int) -> int:
    """Round ``a`` up to a multiple of 8 (<net/pfkeyv2.h>)."""
    return 1 + ((a - 1) | 7) if a > 0 else 0


def PFKEY_UNIT64(a: int) -> int:
    return a >> 3


def PFKEY_UNUNIT64(a: int) -> int:
    return a << 3


# -- errors ---------------------------------------------------------------------------------
class PFKeyError(ValueError):
    """A malformed PF_KEY message.  ``counter`` is the ``pfkeystat`` field a
    kernel bumps, ``errno`` the error it answers with (KAME's key_parse)."""

    counter = "out_invlen"
    errno = EINVAL


class PFKeyTooShort(PFKeyError):
    """Shorter than a ``sadb_msg``."""
    counter = "out_tooshort"


class PFKeyBadLength(PFKeyError):
    """A length field that disagrees with the bytes (message or extension)."""
    counter = "out_invlen"


class PFKeyBadVersion(PFKeyError):
    """``sadb_msg_version`` is not PF_KEY_V2."""
    counter = "out_invver"


class PFKeyBadExtType(PFKeyError):
    """An extension of an unknown type."""
    counter = "out_invexttype"


class PFKeyDupExt(PFKeyError):
    """The same extension twice."""
    counter = "out_dupext"


# -- sockaddrs inside extensions --------------------------------------------------------------
@dataclass(frozen=True)
class sockaddr_other:
    """A sockaddr of a family PF_KEY does not carry, or whose ``sa_len`` is not
    its family's: kept as bytes so the kernel can refuse it (EAFNOSUPPORT/EINVAL)."""

    sa_len: int
    sa_family: int
    sa_data: bytes = b""

    def pack(self) -> bytes:
        return bytes((self.sa_len & 0xFF, self.sa_family & 0xFF)) + self.sa_data


Sockaddr = Union[sockaddr_in6, sockaddr_in, sockaddr_other]


def sa_len(sa: Any) -> int:
    """``sa->sa_len``."""
    if isinstance(sa, sockaddr_in6):
        return SIN6_LEN
    if isinstance(sa, sockaddr_in):
        return 16
    if isinstance(sa, sockaddr_other):
        return sa.sa_len
    return 0


def sa_family(sa: Any) -> int:
    if isinstance(sa, sockaddr_in6):
        return AF_INET6
    if isinstance(sa, sockaddr_in):
        return AF_INET
    if isinstance(sa, sockaddr_other):
        return sa.sa_family
    return 0


def sa_addr(sa: Any) -> bytes:
    """The address bytes of a sockaddr (b"" for another family)."""
    if isinstance(sa, sockaddr_in6):
        return sa.sin6_addr
    if isinstance(sa, sockaddr_in):
        return sa.sin_addr
    return b""


def sa_port(sa: Any) -> int:
    if isinstance(sa, sockaddr_in6):
        return sa.sin6_port
    if isinstance(sa, sockaddr_in):
        return sa.sin_port
    return 0


def sa_plen(sa: Any) -> int:
    """Bits in an address of ``sa``'s family (128 or 32; 0 for others)."""
    fam = sa_family(sa)
    return 128 if fam == AF_INET6 else 32 if fam == AF_INET else 0


class _SockaddrAdapter(cs.Adapter):
    def _decode(self, obj: Any, context: Any, path: Any) -> Sockaddr:
        raw = bytes((obj.sa_len, obj.sa_family)) + obj.sa_data
        if obj.sa_family == AF_INET6 and obj.sa_len == SIN6_LEN:
            return sockaddr_in6.unpack(raw)
        if obj.sa_family == AF_INET and obj.sa_len == 16:
            return sockaddr_in.unpack(raw)
        return sockaddr_other(obj.sa_len, obj.sa_family, bytes(obj.sa_data))

    def _encode(self, obj: Any, context: Any, path: Any) -> dict:
        if not isinstance(obj, (sockaddr_in6, sockaddr_in, sockaddr_other)):
            raise cs.ExplicitError(f"not a sockaddr: {obj!r}")
        raw = obj.pack()
        return dict(sa_len=raw[0], sa_family=raw[1], sa_data=raw[2:])


# ``struct sockaddr``: sa_len bytes, the family-specific rest as in in6.py / in_.py
sockaddr = _SockaddrAdapter(cs.Struct(
    "sa_len" / cs.Int8ul,
    "sa_family" / cs.Int8ul,
    "sa_data" / cs.Bytes(lambda c: c.sa_len - 2),
))

# -- the declarations ------------------------------------------------------------------------
_u8, _u16, _u32, _u64 = cs.Int8ul, cs.Int16ul, cs.Int32ul, cs.Int64ul


def _fixed(nbytes: int) -> cs.Construct:
    """The length field of a fixed-size extension, checked on parse."""
    return cs.Rebuild(_u16, nbytes // 8)


def _units(nbytes: int) -> int:
    return PFKEY_ALIGN8(nbytes) // 8


def _pad(total: Any, used: Any) -> tuple[cs.Construct, cs.Construct]:
    """Padding from ``used(c)`` bytes up to ``total(c)``: fewer than 8 bytes of it
    (KAME's key_validate_ext: ``baselen + PFKEY_ALIGN8(sa_len) == len``)."""
    def n(c: Any) -> int:
        return total(c) - used(c)
    return cs.Check(lambda c: 0 <= n(c) < 8), cs.Padding(n)


# struct sadb_msg (RFC 2367 2.2): 16 bytes
sadb_msg = cs.Struct(
    "sadb_msg_version" / cs.Default(_u8, PF_KEY_V2),
    "sadb_msg_type" / _u8,
    "sadb_msg_errno" / cs.Default(_u8, 0),
    "sadb_msg_satype" / cs.Default(_u8, SADB_SATYPE_UNSPEC),
    "sadb_msg_len" / cs.Default(_u16, 2),           # in 64-bit words, the whole message
    "sadb_msg_reserved" / cs.Default(_u16, 0),      # KAME: the refcnt of a dumped entry
    "sadb_msg_seq" / cs.Default(_u32, 0),
    "sadb_msg_pid" / cs.Default(_u32, 0),
)
SADB_MSG_LEN = 16

# struct sadb_ext (RFC 2367 2.3): the first 4 bytes of every extension
sadb_ext = cs.Struct(
    "sadb_ext_len" / _u16,                           # in 64-bit words, this extension
    "sadb_ext_type" / _u16,
)

# struct sadb_sa (2.3.1): 16 bytes
sadb_sa = cs.Struct(
    "sadb_sa_len" / _fixed(16),
    "sadb_sa_exttype" / cs.Default(_u16, SADB_EXT_SA),
    "sadb_sa_spi" / cs.Int32ub,                      # network byte order
    "sadb_sa_replay" / cs.Default(_u8, 0),           # replay window, packets
    "sadb_sa_state" / cs.Default(_u8, SADB_SASTATE_LARVAL),
    "sadb_sa_auth" / cs.Default(_u8, SADB_AALG_NONE),
    "sadb_sa_encrypt" / cs.Default(_u8, SADB_EALG_NONE),
    "sadb_sa_flags" / cs.Default(_u32, 0),
)

# struct sadb_lifetime (2.3.2): 32 bytes; CURRENT, HARD and SOFT
sadb_lifetime = cs.Struct(
    "sadb_lifetime_len" / _fixed(32),
    "sadb_lifetime_exttype" / _u16,
    "sadb_lifetime_allocations" / cs.Default(_u32, 0),
    "sadb_lifetime_bytes" / cs.Default(_u64, 0),
    "sadb_lifetime_addtime" / cs.Default(_u64, 0),  # seconds; CURRENT: time of creation
    "sadb_lifetime_usetime" / cs.Default(_u64, 0),  # CURRENT: time of first use
)

# struct sadb_address (2.3.3): 8 bytes and a sockaddr, padded to 8
sadb_address = cs.Struct(
    "sadb_address_len" / cs.Rebuild(_u16, lambda c: _units(8 + sa_len(c.sadb_address_addr))),
    "sadb_address_exttype" / _u16,
    "sadb_address_proto" / cs.Default(_u8, IPSEC_ULPROTO_ANY),
    "sadb_address_prefixlen" / _u8,
    "sadb_address_reserved" / cs.Default(_u16, 0),
    "sadb_address_addr" / sockaddr,
    *_pad(lambda c: c.sadb_address_len * 8, lambda c: 8 + sa_len(c.sadb_address_addr)),
)

# struct sadb_key (2.3.4): 8 bytes and the key, padded to 8
sadb_key = cs.Struct(
    "sadb_key_len" / cs.Rebuild(_u16, lambda c: _units(8 + len(c.sadb_key_data))),
    "sadb_key_exttype" / _u16,
    "sadb_key_bits" / cs.Rebuild(_u16, lambda c: 8 * len(c.sadb_key_data)),
    "sadb_key_reserved" / cs.Default(_u16, 0),
    "sadb_key_data" / cs.Bytes(lambda c: (c.sadb_key_bits + 7) // 8),
    *_pad(lambda c: c.sadb_key_len * 8, lambda c: 8 + (c.sadb_key_bits + 7) // 8),
)

# struct sadb_ident (2.3.5): 16 bytes and a NUL-terminated string, padded to 8
sadb_ident = cs.Struct(
    "sadb_ident_len" / cs.Rebuild(_u16, lambda c: _units(16 + len(c.sadb_ident_string))),
    "sadb_ident_exttype" / _u16,
    "sadb_ident_type" / cs.Default(_u16, SADB_IDENTTYPE_RESERVED),
    "sadb_ident_reserved" / cs.Default(_u16, 0),
    "sadb_ident_id" / cs.Default(_u64, 0),
    "sadb_ident_string" / cs.Bytes(lambda c: c.sadb_ident_len * 8 - 16),   # padding included
)

# struct sadb_sens (2.3.6): 16 bytes, then the sensitivity and integrity bitmaps
sadb_sens = cs.Struct(
    "sadb_sens_len" / cs.Rebuild(_u16, lambda c: 2 + len(c.sadb_sens_bitmap)
                                  + len(c.sadb_integ_bitmap)),
    "sadb_sens_exttype" / cs.Default(_u16, SADB_EXT_SENSITIVITY),
    "sadb_sens_dpd" / cs.Default(_u32, 0),
    "sadb_sens_sens_level" / cs.Default(_u8, 0),
    "sadb_sens_sens_len" / cs.Rebuild(_u8, lambda c: len(c.sadb_sens_bitmap)),   # 64-bit words
    "sadb_sens_integ_level" / cs.Default(_u8, 0),
    "sadb_sens_integ_len" / cs.Rebuild(_u8, lambda c: len(c.sadb_integ_bitmap)),
    "sadb_sens_reserved" / cs.Default(_u32, 0),
    "sadb_sens_bitmap" / cs.Array(cs.this.sadb_sens_sens_len, _u64),
    "sadb_integ_bitmap" / cs.Array(cs.this.sadb_sens_integ_len, _u64),
    cs.Check(lambda c: c.sadb_sens_len == 2 + c.sadb_sens_sens_len + c.sadb_sens_integ_len),
)

# struct sadb_comb (2.3.7): 72 bytes, one proposed combination
sadb_comb = cs.Struct(
    "sadb_comb_auth" / cs.Default(_u8, SADB_AALG_NONE),
    "sadb_comb_encrypt" / cs.Default(_u8, SADB_EALG_NONE),
    "sadb_comb_flags" / cs.Default(_u16, 0),
    "sadb_comb_auth_minbits" / cs.Default(_u16, 0),
    "sadb_comb_auth_maxbits" / cs.Default(_u16, 0),
    "sadb_comb_encrypt_minbits" / cs.Default(_u16, 0),
    "sadb_comb_encrypt_maxbits" / cs.Default(_u16, 0),
    "sadb_comb_reserved" / cs.Default(_u32, 0),
    "sadb_comb_soft_allocations" / cs.Default(_u32, 0),
    "sadb_comb_hard_allocations" / cs.Default(_u32, 0),
    "sadb_comb_soft_bytes" / cs.Default(_u64, 0),
    "sadb_comb_hard_bytes" / cs.Default(_u64, 0),
    "sadb_comb_soft_addtime" / cs.Default(_u64, 0),
    "sadb_comb_hard_addtime" / cs.Default(_u64, 0),
    "sadb_comb_soft_usetime" / cs.Default(_u64, 0),
    "sadb_comb_hard_usetime" / cs.Default(_u64, 0),
)
SADB_COMB_LEN = 72

# struct sadb_prop (2.3.7): 8 bytes and the combinations
sadb_prop = cs.Struct(
    "sadb_prop_len" / cs.Rebuild(_u16, lambda c: 1 + 9 * len(c.sadb_prop_combs)),
    "sadb_prop_exttype" / cs.Default(_u16, SADB_EXT_PROPOSAL),
    "sadb_prop_replay" / cs.Default(_u8, 0),
    "sadb_prop_reserved" / cs.Default(cs.Bytes(3), bytes(3)),
    cs.Check(lambda c: c.sadb_prop_len >= 1 and (c.sadb_prop_len - 1) % 9 == 0),
    "sadb_prop_combs" / cs.Array(lambda c: (c.sadb_prop_len - 1) // 9, sadb_comb),
)

# struct sadb_alg (2.3.8): 8 bytes
sadb_alg = cs.Struct(
    "sadb_alg_id" / _u8,
    "sadb_alg_ivlen" / cs.Default(_u8, 0),
    "sadb_alg_minbits" / cs.Default(_u16, 0),
    "sadb_alg_maxbits" / cs.Default(_u16, 0),
    "sadb_alg_reserved" / cs.Default(_u16, 0),
)

# struct sadb_supported (2.3.8): 8 bytes and the algorithms; SUPPORTED_AUTH/ENCRYPT
sadb_supported = cs.Struct(
    "sadb_supported_len" / cs.Rebuild(_u16, lambda c: 1 + len(c.sadb_supported_algs)),
    "sadb_supported_exttype" / _u16,
    "sadb_supported_reserved" / cs.Default(_u32, 0),
    cs.Check(lambda c: c.sadb_supported_len >= 1),
    "sadb_supported_algs" / cs.Array(lambda c: c.sadb_supported_len - 1, sadb_alg),
)

# struct sadb_spirange (2.3.9): 16 bytes
sadb_spirange = cs.Struct(
    "sadb_spirange_len" / _fixed(16),
    "sadb_spirange_exttype" / cs.Default(_u16, SADB_EXT_SPIRANGE),
    "sadb_spirange_min" / cs.Default(_u32, 0),
    "sadb_spirange_max" / cs.Default(_u32, 0),
    "sadb_spirange_reserved" / cs.Default(_u32, 0),
)

# struct sadb_x_kmprivate (KAME): 8 bytes and the key manager's data
sadb_x_kmprivate = cs.Struct(
    "sadb_x_kmprivate_len" / cs.Rebuild(_u16, lambda c: _units(8 + len(c.sadb_x_kmprivate_data))),
    "sadb_x_kmprivate_exttype" / cs.Default(_u16, SADB_X_EXT_KMPRIVATE),
    "sadb_x_kmprivate_reserved" / cs.Default(_u32, 0),
    "sadb_x_kmprivate_data" / cs.Bytes(lambda c: c.sadb_x_kmprivate_len * 8 - 8),
)


def _isr_addrlen(c: Any) -> int:
    return sa_len(c.get("sadb_x_ipsecrequest_src")) + sa_len(c.get("sadb_x_ipsecrequest_dst"))


# struct sadb_x_ipsecrequest (KAME): 8 bytes, then (tunnel mode) the source and the
# destination of the SA as two sockaddrs without padding between them; the length is
# in bytes (not 64-bit words) and a multiple of 8
sadb_x_ipsecrequest = cs.Struct(
    "sadb_x_ipsecrequest_len" / cs.Rebuild(_u16, lambda c: PFKEY_ALIGN8(8 + _isr_addrlen(c))),
    "sadb_x_ipsecrequest_proto" / _u16,              # IPPROTO_ESP, IPPROTO_AH, IPPROTO_IPCOMP
    "sadb_x_ipsecrequest_mode" / _u8,                # IPSEC_MODE_*
    "sadb_x_ipsecrequest_level" / _u8,               # IPSEC_LEVEL_*
    "sadb_x_ipsecrequest_reqid" / cs.Default(_u16, 0),
    cs.Check(lambda c: c.sadb_x_ipsecrequest_len >= 8 and c.sadb_x_ipsecrequest_len % 8 == 0),
    "sadb_x_ipsecrequest_src" / cs.If(lambda c: c.sadb_x_ipsecrequest_len > 8, sockaddr),
    "sadb_x_ipsecrequest_dst" / cs.If(lambda c: c.sadb_x_ipsecrequest_len > 8, sockaddr),
    *_pad(lambda c: c.sadb_x_ipsecrequest_len, lambda c: 8 + _isr_addrlen(c)),
)


def _requests_len(c: Any) -> int:
    return sum(PFKEY_ALIGN8(8 + _isr_addrlen(r)) for r in c.sadb_x_policy_requests)


# struct sadb_x_policy (KAME): 16 bytes, then for IPSEC_POLICY_IPSEC the requests
sadb_x_policy = cs.Struct(
    "sadb_x_policy_len" / cs.Rebuild(_u16, lambda c: 2 + _requests_len(c) // 8),
    "sadb_x_policy_exttype" / cs.Default(_u16, SADB_X_EXT_POLICY),
    "sadb_x_policy_type" / _u16,                     # IPSEC_POLICY_*
    "sadb_x_policy_dir" / _u8,                       # IPSEC_DIR_*
    "sadb_x_policy_reserved" / cs.Default(_u8, 0),
    "sadb_x_policy_id" / cs.Default(_u32, 0),
    "sadb_x_policy_reserved2" / cs.Default(_u32, 0),
    cs.Check(lambda c: c.sadb_x_policy_len >= 2),
    "sadb_x_policy_requests" / cs.FixedSized(lambda c: c.sadb_x_policy_len * 8 - 16,
                                             cs.GreedyRange(sadb_x_ipsecrequest)),
    cs.Check(lambda c: sum(r.sadb_x_ipsecrequest_len for r in c.sadb_x_policy_requests)
             == c.sadb_x_policy_len * 8 - 16),
)

# struct sadb_x_sa2 (KAME): 16 bytes
sadb_x_sa2 = cs.Struct(
    "sadb_x_sa2_len" / _fixed(16),
    "sadb_x_sa2_exttype" / cs.Default(_u16, SADB_X_EXT_SA2),
    "sadb_x_sa2_mode" / cs.Default(_u8, IPSEC_MODE_ANY),
    "sadb_x_sa2_reserved1" / cs.Default(_u8, 0),
    "sadb_x_sa2_reserved2" / cs.Default(_u16, 0),
    "sadb_x_sa2_sequence" / cs.Default(_u32, 0),     # lowermost 32 bits of the sequence
    "sadb_x_sa2_reqid" / cs.Default(_u32, 0),
)

# struct sadb_x_nat_t_type: 8 bytes
sadb_x_nat_t_type = cs.Struct(
    "sadb_x_nat_t_type_len" / _fixed(8),
    "sadb_x_nat_t_type_exttype" / cs.Default(_u16, SADB_X_EXT_NAT_T_TYPE),
    "sadb_x_nat_t_type_type" / _u8,
    "sadb_x_nat_t_type_reserved" / cs.Default(cs.Bytes(3), bytes(3)),
)

# struct sadb_x_nat_t_port: 8 bytes; NAT_T_SPORT and NAT_T_DPORT
sadb_x_nat_t_port = cs.Struct(
    "sadb_x_nat_t_port_len" / _fixed(8),
    "sadb_x_nat_t_port_exttype" / _u16,
    "sadb_x_nat_t_port_port" / cs.Int16ub,           # network byte order
    "sadb_x_nat_t_port_reserved" / cs.Default(_u16, 0),
)

# struct sadb_x_nat_t_frag: 8 bytes
sadb_x_nat_t_frag = cs.Struct(
    "sadb_x_nat_t_frag_len" / _fixed(8),
    "sadb_x_nat_t_frag_exttype" / cs.Default(_u16, SADB_X_EXT_NAT_T_FRAG),
    "sadb_x_nat_t_frag_fraglen" / _u16,
    "sadb_x_nat_t_frag_reserved" / cs.Default(_u16, 0),
)

EXT_FORMATS: dict[int, cs.Struct] = {
    SADB_EXT_SA: sadb_sa,
    SADB_EXT_LIFETIME_CURRENT: sadb_lifetime,
    SADB_EXT_LIFETIME_HARD: sadb_lifetime,
    SADB_EXT_LIFETIME_SOFT: sadb_lifetime,
    SADB_EXT_ADDRESS_SRC: sadb_address,
    SADB_EXT_ADDRESS_DST: sadb_address,
    SADB_EXT_ADDRESS_PROXY: sadb_address,
    SADB_EXT_KEY_AUTH: sadb_key,
    SADB_EXT_KEY_ENCRYPT: sadb_key,
    SADB_EXT_IDENTITY_SRC: sadb_ident,
    SADB_EXT_IDENTITY_DST: sadb_ident,
    SADB_EXT_SENSITIVITY: sadb_sens,
    SADB_EXT_PROPOSAL: sadb_prop,
    SADB_EXT_SUPPORTED_AUTH: sadb_supported,
    SADB_EXT_SUPPORTED_ENCRYPT: sadb_supported,
    SADB_EXT_SPIRANGE: sadb_spirange,
    SADB_X_EXT_KMPRIVATE: sadb_x_kmprivate,
    SADB_X_EXT_POLICY: sadb_x_policy,
    SADB_X_EXT_SA2: sadb_x_sa2,
    SADB_X_EXT_NAT_T_TYPE: sadb_x_nat_t_type,
    SADB_X_EXT_NAT_T_SPORT: sadb_x_nat_t_port,
    SADB_X_EXT_NAT_T_DPORT: sadb_x_nat_t_port,
    SADB_X_EXT_NAT_T_OAI: sadb_address,
    SADB_X_EXT_NAT_T_OAR: sadb_address,
    SADB_X_EXT_NAT_T_FRAG: sadb_x_nat_t_frag,
}

# the extensions of one size (KAME's minsize[] == maxsize[]), bytes
EXT_FIXEDSIZE: dict[int, int] = {t: EXT_FORMATS[t].sizeof() for t in (
    SADB_EXT_SA, SADB_EXT_LIFETIME_CURRENT, SADB_EXT_LIFETIME_HARD, SADB_EXT_LIFETIME_SOFT,
    SADB_EXT_SPIRANGE, SADB_X_EXT_SA2, SADB_X_EXT_NAT_T_TYPE, SADB_X_EXT_NAT_T_SPORT,
    SADB_X_EXT_NAT_T_DPORT, SADB_X_EXT_NAT_T_FRAG)}
# the smallest valid length of each extension, bytes (KAME's minsize[])
EXT_MINSIZE: dict[int, int] = {t: EXT_FIXEDSIZE.get(t, 16 if f in (sadb_ident, sadb_sens,
                                                                   sadb_x_policy) else 8)
                               for t, f in EXT_FORMATS.items()}


_BAD = (cs.ConstructError, ValueError, TypeError, KeyError, AttributeError, IndexError,
        OverflowError, ZeroDivisionError)


def _exttype_field(fmt: cs.Struct) -> str:
    return fmt.subcons[1].name


# -- one extension -----------------------------------------------------------------------------
def ext_parse(exttype: int, data: Buffer) -> Any:
    """Parse the bytes of one extension (its whole ``sadb_ext_len``).

    Raises PFKeyBadExtType for an unknown type and PFKeyBadLength when the
    bytes do not make the extension exactly, never anything else."""
    fmt = EXT_FORMATS.get(exttype)
    if fmt is None:
        raise PFKeyBadExtType(f"invalid ext_type {exttype}")
    data = bytes(data)
    if len(data) < EXT_MINSIZE[exttype] or len(data) % 8 \
            or len(data) != EXT_FIXEDSIZE.get(exttype, len(data)):
        raise PFKeyBadLength(f"ext_type {exttype}: length {len(data)} invalid")
    try:
        ext = fmt.parse(data)
    except _BAD as e:
        raise PFKeyBadLength(f"ext_type {exttype}: {_short(e)}") from None
    if ext[fmt.subcons[0].name] * 8 != len(data):
        raise PFKeyBadLength(f"ext_type {exttype}: length field "
                             f"{ext[fmt.subcons[0].name]} for {len(data)} bytes")
    return ext


def ext_build(exttype: int, **fields: Any) -> bytes:
    """Build one extension of ``exttype`` from its fields (the length fields are
    computed).  ValueError if a field is missing or out of range."""
    fmt = EXT_FORMATS.get(exttype)
    if fmt is None:
        raise PFKeyBadExtType(f"invalid ext_type {exttype}")
    fields[_exttype_field(fmt)] = exttype
    try:
        return fmt.build(fields)
    except _BAD as e:
        raise ValueError(f"ext_type {exttype}: {_short(e)}") from None


def _short(e: Exception) -> str:
    return str(e).strip().splitlines()[-1] if str(e).strip() else type(e).__name__


# -- builders for the common extensions (libipsec's pfkey_setsadb*) ------------------------------
def sadb_sa_build(spi: int, replay: int = 0, state: int = SADB_SASTATE_LARVAL,
                  auth: int = SADB_AALG_NONE, encrypt: int = SADB_EALG_NONE,
                  flags: int = 0) -> bytes:
    return ext_build(SADB_EXT_SA, sadb_sa_spi=spi, sadb_sa_replay=replay, sadb_sa_state=state,
                     sadb_sa_auth=auth, sadb_sa_encrypt=encrypt, sadb_sa_flags=flags)


def sadb_lifetime_build(exttype: int, allocations: int = 0, nbytes: int = 0,
                        addtime: int = 0, usetime: int = 0) -> bytes:
    return ext_build(exttype, sadb_lifetime_allocations=allocations,
                     sadb_lifetime_bytes=nbytes, sadb_lifetime_addtime=addtime,
                     sadb_lifetime_usetime=usetime)


def sadb_address_build(exttype: int, sa: Sockaddr, prefixlen: Optional[int] = None,
                       proto: int = IPSEC_ULPROTO_ANY) -> bytes:
    """An address extension; ``prefixlen`` defaults to the whole address."""
    if prefixlen is None:
        prefixlen = sa_plen(sa)
    return ext_build(exttype, sadb_address_proto=proto, sadb_address_prefixlen=prefixlen,
                     sadb_address_addr=sa)


def sadb_key_build(exttype: int, key: bytes) -> bytes:
    return ext_build(exttype, sadb_key_data=bytes(key))


def sadb_ident_build(exttype: int, ident_type: int, ident: bytes = b"", ident_id: int = 0) -> bytes:
    """An identity: the string NUL-terminated and padded to 8."""
    s = bytes(ident) + b"\0" if ident else b""
    return ext_build(exttype, sadb_ident_type=ident_type, sadb_ident_id=ident_id,
                     sadb_ident_string=s.ljust(PFKEY_ALIGN8(len(s)), b"\0"))


def sadb_spirange_build(spimin: int, spimax: int) -> bytes:
    return ext_build(SADB_EXT_SPIRANGE, sadb_spirange_min=spimin, sadb_spirange_max=spimax)


def sadb_x_sa2_build(mode: int = IPSEC_MODE_ANY, reqid: int = 0, sequence: int = 0) -> bytes:
    return ext_build(SADB_X_EXT_SA2, sadb_x_sa2_mode=mode, sadb_x_sa2_reqid=reqid,
                     sadb_x_sa2_sequence=sequence)


def ipsecrequest(proto: int, mode: int, level: int, reqid: int = 0,
                 src: Optional[Sockaddr] = None, dst: Optional[Sockaddr] = None) -> dict:
    """The fields of one ``sadb_x_ipsecrequest`` (tunnel endpoints optional)."""
    if (src is None) != (dst is None):
        raise ValueError("ipsecrequest: give both endpoints or neither")
    return dict(sadb_x_ipsecrequest_proto=proto, sadb_x_ipsecrequest_mode=mode,
                sadb_x_ipsecrequest_level=level, sadb_x_ipsecrequest_reqid=reqid,
                sadb_x_ipsecrequest_src=src, sadb_x_ipsecrequest_dst=dst)


def sadb_x_policy_build(ptype: int, pdir: int, pid: int = 0,
                        requests: Iterable[dict] = ()) -> bytes:
    return ext_build(SADB_X_EXT_POLICY, sadb_x_policy_type=ptype, sadb_x_policy_dir=pdir,
                     sadb_x_policy_id=pid, sadb_x_policy_requests=list(requests))


def sadb_supported_build(exttype: int, algs: Iterable[tuple[int, int, int, int]]) -> bytes:
    """SUPPORTED_AUTH/ENCRYPT from (id, ivlen, minbits, maxbits)."""
    return ext_build(exttype, sadb_supported_algs=[
        dict(sadb_alg_id=a, sadb_alg_ivlen=iv, sadb_alg_minbits=lo, sadb_alg_maxbits=hi)
        for a, iv, lo, hi in algs])


def sadb_prop_build(replay: int, combs: Iterable[dict]) -> bytes:
    return ext_build(SADB_EXT_PROPOSAL, sadb_prop_replay=replay, sadb_prop_combs=list(combs))


def sadb_x_nat_t_type_build(t: int) -> bytes:
    return ext_build(SADB_X_EXT_NAT_T_TYPE, sadb_x_nat_t_type_type=t)


def sadb_x_nat_t_port_build(exttype: int, port: int) -> bytes:
    return ext_build(exttype, sadb_x_nat_t_port_port=port)


# -- whole messages ------------------------------------------------------------------------------
@dataclass
class sadb_message:
    """A parsed message: the header, its extensions by type, and the bytes of
    each extension (what KAME's ``struct sadb_msghdr`` keeps: ext, extoff, extlen)."""

    hdr: Any
    ext: dict[int, Any] = field(default_factory=dict)
    raw: dict[int, bytes] = field(default_factory=dict)
    order: list[int] = field(default_factory=list)

    @property
    def type(self) -> int:
        return self.hdr.sadb_msg_type

    @property
    def satype(self) -> int:
        return self.hdr.sadb_msg_satype

    def emit(self) -> bytes:
        """The message again, extensions in their order."""
        return msg_build(self.hdr.sadb_msg_type, [self.raw[t] for t in self.order],
                         **hdr_fields(self.hdr))


def hdr_fields(hdr: Any) -> dict[str, Any]:
    """The header fields of a parsed ``sadb_msg`` as a dict (for rebuilding)."""
    return {k: v for k, v in hdr.items() if not k.startswith("_")}


def msg_header(data: Buffer) -> Any:
    """Parse just the ``sadb_msg`` header; PFKeyTooShort if there is none."""
    if len(data) < SADB_MSG_LEN:
        raise PFKeyTooShort(f"message of {len(data)} bytes, shorter than sadb_msg")
    return sadb_msg.parse(bytes(data[:SADB_MSG_LEN]))


def msg_parse(data: Buffer, check_version: bool = True) -> sadb_message:
    """Parse a whole message as KAME's key_align does: the header, then each
    extension — its type known and not seen before, its length inside the
    message and right for its type."""
    data = bytes(data)
    hdr = msg_header(data)
    if hdr.sadb_msg_len * 8 != len(data):
        raise PFKeyBadLength(f"sadb_msg_len {hdr.sadb_msg_len} for {len(data)} bytes")
    if check_version and hdr.sadb_msg_version != PF_KEY_V2:
        raise PFKeyBadVersion(f"PF_KEY version {hdr.sadb_msg_version} is mismatched")
    msg = sadb_message(hdr)
    off, end = SADB_MSG_LEN, len(data)
    while off < end:
        if end - off < 4:
            raise PFKeyBadLength(f"extension header at {off} truncated")
        elen = int.from_bytes(data[off:off + 2], "little") * 8
        etype = int.from_bytes(data[off + 2:off + 4], "little")
        if etype not in EXT_FORMATS:
            raise PFKeyBadExtType(f"invalid ext_type {etype} is passed")
        if etype in msg.ext:
            raise PFKeyDupExt(f"duplicate ext_type {etype} is passed")
        if elen == 0 or off + elen > end:
            raise PFKeyBadLength(f"ext_type {etype}: length {elen} at {off} overruns")
        raw = data[off:off + elen]
        msg.ext[etype] = ext_parse(etype, raw)
        msg.raw[etype] = raw
        msg.order.append(etype)
        off += elen
    return msg


def msg_build(msg_type: int, exts: Iterable[bytes] = (), **fields: Any) -> bytes:
    """A whole message: the header (``sadb_msg_len`` computed) and the
    extensions, each already built."""
    body = b"".join(exts)
    if len(body) % 8:
        raise ValueError("extensions must be multiples of 8 bytes")
    fields["sadb_msg_type"] = msg_type
    fields["sadb_msg_len"] = (SADB_MSG_LEN + len(body)) // 8
    try:
        return sadb_msg.build(fields) + body
    except _BAD as e:
        raise ValueError(f"sadb_msg: {_short(e)}") from None


MSG_NAMES = {int(t): t.name for t in SadbMsgType}
EXT_NAMES = {int(t): t.name for t in SadbExtType}

__all__ = [n for n in list(globals()) if n.isupper() or n.startswith(("sadb_", "Sadb", "PFKey",
                                                                     "PFKEY_", "ext_", "msg_"))]
__all__ += ["PF_KEY", "sockaddr", "sockaddr_other", "sa_len", "sa_family", "sa_plen", "sa_addr", "sa_port",
            "ipsecrequest",
            "hdr_fields", "Sockaddr"]
