"""UDP encapsulation of ESP for NAT traversal (sys/netipsec/udpencap.c:
udp_ipsec_pcbctl, udp_ipsec_input, udp_ipsec_adjust_cksum; RFC 3948).

A key manager (racoon, charon) marks its port-4500 socket with
``setsockopt(IPPROTO_UDP, UDP_ENCAP, UDP_ENCAP_ESPINUDP)`` (``udp_ipsec_pcbctl``,
from udp_ctloutput / udp6_ctloutput).  A datagram to such a socket is looked
at by ``udp_ipsec_input`` (from udp_input / udp6_input, after the socket
lookup and the checksum):

- a single 0xFF octet is a NAT-keepalive (RFC 3948 2.3: "ignored by the
  receiver"): dropped, counted in ``ue_keepalive``;
- four zero octets first are the non-ESP marker (RFC 3948 2.2): an IKE
  message, queued on the socket as it is (the daemon takes the marker off);
- anything else is ESP (RFC 3948 2.1: the SPI is never zero): the UDP header
  is taken off, the IP header says ESP, and the packet goes to ESP input
  (``ipsec_common_input``) as if it had come without UDP.

Outbound the UDP header is added by ipsec_output.py (``udp_encap``).

After decryption in transport mode (RFC 3948 3.1.2), a TCP or UDP checksum
computed by a peer behind a NAT covers its original addresses:
``udp_ipsec_adjust_cksum`` corrects it incrementally (RFC 1624) from the
NAT-OA addresses the key manager gave with the SA (SADB_X_EXT_NAT_T_OAI for
the SA's source, OAR for its destination, as FreeBSD's key.c reads them); a
UDP checksum of zero (IPv4: none sent) stays zero; without NAT-OA nothing
is changed.  ``ue_*`` in ``net.inet.ipsec.udpencap_stats`` (kamebox's; FreeBSD
counts none of these).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kernel.kern.kern_sysctl import SYSCTL_STRUCT
from kernel.kern.uipc_mbuf import mbuf
from kernel.wire import errno as E
from kernel.wire.udp import UDP_ENCAP, UDP_ENCAP_ESPINUDP, UDP_HDR_LEN

if TYPE_CHECKING:  # pragma: no cover
    from kernel.kern.init_main import Kernel

INP_ESPINUDP = 0x100            # inp_flags / in6p_flags: UDP_ENCAP_ESPINUDP is set
IPPROTO_TCP = 6
IPPROTO_UDP = 17
IPPROTO_ESP = 50
SOPT_SET = 1


class udpencapstat:
    """kamebox's counters of the UDP-encapsulation input (``net.inet.ipsec.udpencap_stats``)."""

    __slots__ = ("ue_esp", "ue_nonesp", "ue_keepalive", "ue_hdrops", "ue_cksumfix")

    def __init__(self) -> None:
        for n in self.__slots__:
            setattr(self, n, 0)

    def as_dict(self) -> dict[str, int]:
        return {n: getattr(self, n) for n in self.__slots__}


def udpencap_init(k: "Kernel") -> None:
    if getattr(k, "udpencapstat", None) is not None:
        return
    k.udpencapstat = udpencapstat()
    SYSCTL_STRUCT(k, "net.inet.ipsec.udpencap_stats", lambda: k.udpencapstat,
                  "UDP encapsulation of ESP (RFC 3948) statistics")


def udp_ipsec_pcbctl(inp: Any, flagattr: str, sopt: Any) -> int:
    """UDP_ENCAP at level IPPROTO_UDP for the PCB ``inp`` whose flags are
    ``inp.<flagattr>``: set UDP_ENCAP_ESPINUDP or 0 (anything else EINVAL);
    get answers the one set.  0 or an errno."""
    if sopt.sopt_name != UDP_ENCAP:
        return E.ENOPROTOOPT
    if sopt.sopt_dir != SOPT_SET:
        sopt.sopt_val = UDP_ENCAP_ESPINUDP if getattr(inp, flagattr) & INP_ESPINUDP else 0
        return 0
    v = sopt.sopt_val
    if isinstance(v, (bytes, bytearray)) and len(v) == 4:
        v = int.from_bytes(v, "little")
    if isinstance(v, bool) or not isinstance(v, int):
        return E.EINVAL
    if v == UDP_ENCAP_ESPINUDP:
        setattr(inp, flagattr, getattr(inp, flagattr) | INP_ESPINUDP)
    elif v == 0:
        setattr(inp, flagattr, getattr(inp, flagattr) & ~INP_ESPINUDP)
    else:
        return E.EINVAL
    return 0


def udp_ipsec_input(k: "Kernel", m: mbuf, off: int) -> bool:
    """A datagram (UDP header at ``off``, checksum already verified) to a
    UDP_ENCAP socket: True when it was consumed here (a keepalive, ESP, a
    runt), False to queue it on the socket (an IKE message)."""
    st = k.udpencapstat
    b = m.buf
    o = m.off
    data = off + UDP_HDR_LEN
    n = m.m_len - data
    if n == 1 and b[o + data] == 0xFF:
        st.ue_keepalive += 1                    # RFC 3948 2.3: NAT-keepalive, ignored
        return True
    if n < 4 or b[o + data:o + data + 4] == b"\0\0\0\0":
        st.ue_nonesp += 1                       # RFC 3948 2.2: non-ESP marker: IKE
        return False
    if n < 8:
        st.ue_hdrops += 1                       # an SPI but no sequence number: not ESP
        return True
    st.ue_esp += 1
    # RFC 3948 3.2 (decapsulation): take off the UDP header, the IP header says ESP
    b[o + UDP_HDR_LEN:o + UDP_HDR_LEN + off] = b[o:o + off]
    m.off += UDP_HDR_LEN
    m.m_len -= UDP_HDR_LEN
    from kernel.netipsec.ipsec_input import ipsec_common_input, ipsec_fixhdr
    ipsec_fixhdr(m, off, IPPROTO_ESP)
    ipsec_common_input(k, m, off, IPPROTO_ESP, natt=True)
    return True


def udp_ipsec_adjust_cksum(k: "Kernel", m: mbuf, sav: Any, proto: int, off: int) -> None:
    """RFC 3948 3.1.2, transport mode: fix the TCP/UDP checksum at ``off``
    for the NAT-OA addresses of ``sav`` (RFC 1624 eqn. 3:
    HC' = ~(~HC + ~m + m'), one 16-bit word of each address at a time)."""
    if proto not in (IPPROTO_TCP, IPPROTO_UDP) or (sav.natt_oai is None
                                                   and sav.natt_oar is None):
        return
    from kernel.netkey.keydb import sa_addr
    b = m.buf
    o = m.off
    pos = off + (6 if proto == IPPROTO_UDP else 16)
    if m.m_len < pos + 2:
        return
    ck = b[o + pos] << 8 | b[o + pos + 1]
    if proto == IPPROTO_UDP and ck == 0:
        return                                  # no checksum was sent (IPv4)
    if b[o] >> 4 == 6:
        src, dst = bytes(b[o + 8:o + 24]), bytes(b[o + 24:o + 40])
    else:
        src, dst = bytes(b[o + 12:o + 16]), bytes(b[o + 16:o + 20])
    acc = ~ck & 0xFFFF
    changed = False
    for oa, real in ((sav.natt_oai, src), (sav.natt_oar, dst)):
        if oa is None:
            continue
        a = sa_addr(oa)
        if len(a) != len(real) or a == real:
            continue
        changed = True
        for j in range(0, len(a), 2):
            acc += (~(a[j] << 8 | a[j + 1]) & 0xFFFF) + (real[j] << 8 | real[j + 1])
    if not changed:
        return
    while acc >> 16:
        acc = (acc & 0xFFFF) + (acc >> 16)
    ck = ~acc & 0xFFFF
    if proto == IPPROTO_UDP and ck == 0:
        ck = 0xFFFF                             # RFC 768: zero is sent as all ones
    b[o + pos], b[o + pos + 1] = ck >> 8, ck & 0xFF
    k.udpencapstat.ue_cksumfix += 1


__all__ = ["udpencapstat", "udpencap_init", "udp_ipsec_pcbctl", "udp_ipsec_input",
           "udp_ipsec_adjust_cksum", "INP_ESPINUDP"]
