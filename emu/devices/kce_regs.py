"""Register, descriptor and SA-record definitions of the KCE-1 crypto engine model.

Transcribed from ``docs/hw/kce.md`` (section numbers in the comments are that
page's).  The driver ``drivers/kce.py`` carries its own transcription of the
same page; the two must agree.

The register file is data: :data:`REGISTERS` lists every implemented register
with its reset value and write mask; ``emu/devices/kce.py`` builds the reset
image and the read/write op tables from it.
"""
from __future__ import annotations

import struct
from typing import NamedTuple

# -- §1 identity --------------------------------------------------------------
PCI_VENDOR_KAMEBOX = 0x4B42
PCI_DEVICE_KCE1 = 0x0CE1
PCI_CLASS_CRYPTO = 0x100000
REVISION = 1
BAR0_SIZE = 0x1000

# -- §2 register offsets ------------------------------------------------------
ID = 0x000
VERSION = 0x004
CAPS = 0x008
LIMITS = 0x00C
CTRL = 0x010
STATUS = 0x014
RBASE_LO = 0x020
RBASE_HI = 0x024
RSIZE = 0x028
RHEAD = 0x02C
RTAIL = 0x030
ISR = 0x040
IER = 0x044
ISET = 0x048
ICOAL = 0x04C
ERRADDR_LO = 0x060
ERRADDR_HI = 0x064
ERRDESC = 0x068
STAT_OPS = 0x080
STAT_BYTES = 0x084
STAT_AUTHFAIL = 0x088
STAT_BADDESC = 0x08C
STAT_DMAERR = 0x090
STAT_INTR = 0x094
REG_END = 0x098

ID_VALUE = 0x4B434531            # "KCE1"
VERSION_VALUE = 0x0001_0000
MAXLEN = 0xFFFF                  # LIMITS bits 15:0
RINGMAX = 4096                   # LIMITS bits 31:16
LIMITS_VALUE = RINGMAX << 16 | MAXLEN

# -- §3.1 CTRL, §3.2 STATUS ---------------------------------------------------
CTRL_EN = 1 << 0
CTRL_RST = 1 << 1
STATUS_RUN = 1 << 0
STATUS_BUSY = 1 << 1
STATUS_HALT = 1 << 2

# -- §3.3 CAPS ------------------------------------------------------------------
CAP_NULL = 1 << 0
CAP_AES_CBC = 1 << 1
CAP_3DES_CBC = 1 << 2
CAP_AES_GCM = 1 << 3
CAP_HMAC_SHA1 = 1 << 8
CAP_HMAC_SHA256 = 1 << 9
CAP_HMAC_SHA384 = 1 << 10
CAP_HMAC_SHA512 = 1 << 11
CAP_AES_GMAC = 1 << 12
CAP_SALT = 1 << 16
CAPS_ALL = (CAP_NULL | CAP_AES_CBC | CAP_3DES_CBC | CAP_AES_GCM | CAP_HMAC_SHA1
            | CAP_HMAC_SHA256 | CAP_HMAC_SHA384 | CAP_HMAC_SHA512 | CAP_AES_GMAC | CAP_SALT)

# -- §4 SA record -----------------------------------------------------------------
SA_CIPHER_NONE = 0
SA_CIPHER_NULL = 1
SA_CIPHER_AES_CBC = 2
SA_CIPHER_3DES_CBC = 3
SA_CIPHER_AES_GCM = 4
SA_AUTH_NONE = 0
SA_AUTH_HMAC_SHA1 = 1
SA_AUTH_HMAC_SHA256 = 2
SA_AUTH_HMAC_SHA384 = 3
SA_AUTH_HMAC_SHA512 = 4
SA_AUTH_AES_GMAC = 5
SA_FLAG_SALT = 1 << 0
SA_SIZE = 0xB0                   # bytes the engine reads
SA_CKEY_OFF = 0x10
SA_CKEY_MAX = 32
SA_AKEY_OFF = 0x30
SA_AKEY_MAX = 128
# cipher, auth, ckeylen, akeylen, icvlen, ivlen, flags, salt (4 bytes), reserved
SA_HDR = struct.Struct("<BBBBBBH4sI")

CIPHER_CAP = {SA_CIPHER_NULL: CAP_NULL, SA_CIPHER_AES_CBC: CAP_AES_CBC,
              SA_CIPHER_3DES_CBC: CAP_3DES_CBC, SA_CIPHER_AES_GCM: CAP_AES_GCM}
AUTH_CAP = {SA_AUTH_HMAC_SHA1: CAP_HMAC_SHA1, SA_AUTH_HMAC_SHA256: CAP_HMAC_SHA256,
            SA_AUTH_HMAC_SHA384: CAP_HMAC_SHA384, SA_AUTH_HMAC_SHA512: CAP_HMAC_SHA512,
            SA_AUTH_AES_GMAC: CAP_AES_GMAC}
# HMAC: (hashlib/cryptography name, digest size, block size)
HMAC_SIZES = {SA_AUTH_HMAC_SHA1: (20, 64), SA_AUTH_HMAC_SHA256: (32, 64),
              SA_AUTH_HMAC_SHA384: (48, 128), SA_AUTH_HMAC_SHA512: (64, 128)}

# -- §5 descriptor ----------------------------------------------------------------
DESC_SIZE = 64
CTL_OPCODE_MASK = 0xFF
CTL_ENC = 1 << 8
CTL_DONE = 1 << 30
CTL_OWN = 1 << 31
OP_CIPHER = 1
OP_AUTH = 2
OP_CIPHER_AUTH = 3
# ctl, status, sa, src, dst, buflen, aad_off, aad_len, payload_off, payload_len,
# iv_off, icv_off, cookie
DESC = struct.Struct("<IIQQQIIIIIIII")
DESC_STATUS_OFF = 4

# §5.3 status codes
ST_OK = 0x00
ST_AUTH_FAIL = 0x01
ST_BAD_OPCODE = 0x02
ST_BAD_ALG = 0x03
ST_BAD_SA = 0x04
ST_BAD_LENGTH = 0x05
ST_DMA_FAULT = 0x06

# -- §7 interrupts ----------------------------------------------------------------
ISR_DONE = 1 << 0
ISR_ERR = 1 << 1
ISR_HALT = 1 << 2
ISR_ALL = ISR_DONE | ISR_ERR | ISR_HALT
ICOAL_COUNT_MASK = 0xFF
ICOAL_TIMER_SHIFT = 16
ICOAL_UNIT_NS = 1000


# -- §2 the register table -----------------------------------------------------------
class Reg(NamedTuple):
    """One implemented register: name, offset, reset value, bits a plain write stores."""

    name: str
    offset: int
    reset: int
    wmask: int


_M32 = 0xFFFF_FFFF

REGISTERS: tuple[Reg, ...] = (
    Reg("ID", ID, ID_VALUE, 0),
    Reg("VERSION", VERSION, VERSION_VALUE, 0),
    Reg("CAPS", CAPS, CAPS_ALL, 0),              # the model's caps replace the reset value
    Reg("LIMITS", LIMITS, LIMITS_VALUE, 0),
    Reg("CTRL", CTRL, 0, CTRL_EN),
    Reg("STATUS", STATUS, 0, 0),
    Reg("RBASE_LO", RBASE_LO, 0, 0xFFFF_FFC0),
    Reg("RBASE_HI", RBASE_HI, 0, _M32),
    Reg("RSIZE", RSIZE, 0, 0x1FFF),
    Reg("RHEAD", RHEAD, 0, 0x1FFF),
    Reg("RTAIL", RTAIL, 0, 0x1FFF),
    Reg("ISR", ISR, 0, 0),
    Reg("IER", IER, 0, ISR_ALL),
    Reg("ISET", ISET, 0, 0),
    Reg("ICOAL", ICOAL, 0, 0xFFFF_00FF),
    Reg("ERRADDR_LO", ERRADDR_LO, 0, 0),
    Reg("ERRADDR_HI", ERRADDR_HI, 0, 0),
    Reg("ERRDESC", ERRDESC, 0, 0),
)
# §2 statistics: read-to-clear, saturating, writes ignored.
STAT_REGS: dict[int, str] = {
    STAT_OPS: "STAT_OPS", STAT_BYTES: "STAT_BYTES", STAT_AUTHFAIL: "STAT_AUTHFAIL",
    STAT_BADDESC: "STAT_BADDESC", STAT_DMAERR: "STAT_DMAERR", STAT_INTR: "STAT_INTR",
}
