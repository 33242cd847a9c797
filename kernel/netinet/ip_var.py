"""IPv4 state, statistics and options (sys/netinet/ip_var.h).

``ip_vars`` is what BSD keeps in globals (``ipforwarding``, ``ip_defttl``
...): one per kernel, ``k.ip``, each field a sysctl node registered by
``ip_init``.  ``ipstat`` (``k.ipstat``) has FreeBSD's field names; every drop
on the IPv4 input and output paths bumps one of them.  ``ip_moptions`` are
the multicast options a socket hands to ``ip_output``.
"""
from __future__ import annotations

from typing import Any

from kernel.kern.uipc_mbuf import mbuf
from kernel.wire.ip import IP_DEFAULT_MULTICAST_LOOP, IP_DEFAULT_MULTICAST_TTL, IPDEFTTL

# ip_output flags (FreeBSD ip_var.h)
IP_FORWARDING = 0x1              # most of ip header exists (forwarded packet)
IP_RAWOUTPUT = 0x2               # raw ip header exists (IP_HDRINCL)
IP_SENDONES = 0x4                # send all-ones broadcast
IP_ROUTETOIF = 0x10              # = SO_DONTROUTE: bypass routing tables
IP_ALLOWBROADCAST = 0x20         # = SO_BROADCAST: can send broadcast packets

# inp_flags of IPv4 sockets (FreeBSD netinet/in_pcb.h)
INP_RECVOPTS = 0x01              # receive incoming IP options
INP_RECVRETOPTS = 0x02           # receive IP options for reply
INP_RECVDSTADDR = 0x04           # receive IP dst address
INP_HDRINCL = 0x08               # user supplies entire IP header
INP_RECVIF = 0x80                # receive incoming interface
INP_DONTFRAG = 0x800             # don't fragment packet
INP_RECVTTL = 0x400              # receive incoming IP TTL


class ipstat:
    """``struct ipstat`` (FreeBSD netinet/ip_var.h), as ``netstat -s -p ip`` prints it."""

    __slots__ = (
        "ips_total",            # total packets received
        "ips_badsum",           # checksum bad
        "ips_tooshort",         # packet too short
        "ips_toosmall",         # not enough data
        "ips_badhlen",          # ip header length < data size
        "ips_badlen",           # ip length < ip header length
        "ips_fragments",        # fragments received
        "ips_fragdropped",      # frags dropped (dups, out of space)
        "ips_fragtimeout",      # fragments timed out
        "ips_forward",          # packets forwarded
        "ips_fastforward",      # packets fast forwarded
        "ips_cantforward",      # packets rcvd for unreachable dest
        "ips_redirectsent",     # packets forwarded on same net
        "ips_noproto",          # unknown or unsupported protocol
        "ips_delivered",        # datagrams delivered to upper level
        "ips_localout",         # total ip packets generated here
        "ips_odropped",         # lost packets due to nobufs, etc.
        "ips_reassembled",      # total packets reassembled ok
        "ips_fragmented",       # datagrams successfully fragmented
        "ips_ofragments",       # output fragments created
        "ips_cantfrag",         # don't fragment flag was set, etc.
        "ips_badoptions",       # error in option processing
        "ips_noroute",          # packets discarded due to no route
        "ips_badvers",          # ip version != 4
        "ips_rawout",           # total raw ip packets generated
        "ips_toolong",          # ip length > max ip packet size
        "ips_notmember",        # multicasts for unregistered grps
        "ips_nogif",            # no match gif found
        "ips_badaddr",          # invalid address on header
    )

    def __init__(self) -> None:
        for n in self.__slots__:
            setattr(self, n, 0)

    def as_dict(self) -> dict[str, int]:
        return {n: getattr(self, n) for n in self.__slots__}


class ip_vars:
    """The IPv4 tunables BSD keeps in globals; ``k.ip``."""

    def __init__(self) -> None:
        self.ipforwarding = 0            # net.inet.ip.forwarding: act as router
        self.ip_defttl = IPDEFTTL        # net.inet.ip.ttl
        self.ip_doopts = 1               # net.inet.ip.process_options: 0 ignore, 1 process,
                                         # 2 refuse packets with options
        self.ip_checkinterface = 0       # net.inet.ip.check_interface: strong ES model
        self.ip_maxfragpackets = 800     # net.inet.ip.maxfragpackets: datagrams in reassembly
        self.ip_maxfrags = 3200          # net.inet.ip.maxfrags: fragments queued, all datagrams
        self.ip_maxfragsperpacket = 16   # net.inet.ip.maxfragsperpacket
        self.ip_id = 0                   # the next ip_id (ip_newid); random at boot


class ip_moptions:
    """``struct ip_moptions``: the multicast options of a socket."""

    __slots__ = ("imo_multicast_ifp", "imo_multicast_addr", "imo_multicast_ttl",
                 "imo_multicast_loop", "imo_membership")

    def __init__(self) -> None:
        self.imo_multicast_ifp: Any = None      # IP_MULTICAST_IF
        self.imo_multicast_addr = bytes(4)      # the address it was given by
        self.imo_multicast_ttl = IP_DEFAULT_MULTICAST_TTL
        self.imo_multicast_loop = IP_DEFAULT_MULTICAST_LOOP
        self.imo_membership: list[Any] = []     # in_multi joined through this socket


def m_frombuf(buf: bytearray, off: int, length: int, flags: int, rcvif: Any) -> mbuf:
    """An mbuf over ``buf[off:off+length]`` (built in place: a fragment, a
    reassembled datagram), with the packet header's flags and interface."""
    m = mbuf()
    m.buf = buf
    m.off = off
    m.m_len = length
    m.m_flags = flags
    m.rcvif = rcvif
    return m
