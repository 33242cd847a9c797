#!/usr/bin/env python3
"""Testing a driver without hardware: the em(4) driver against the 8254x model.

Two emulated machines, ``a`` and ``b``, each with one em NIC, share one
Ethernet segment.  Each boots a kernel whose configuration says ``device em``;
the driver attaches through bus_space/bus_dma only.  Then, from ``a`` to ``b``
through the full path (driver TX ring, device DMA, segment, device RX filter,
RX ring, interrupt, driver input):

1. 1,000 unicast frames of assorted sizes (60..1514 bytes);
2. multicast: ``b`` joins one group; frames to it pass, frames to a group
   whose hash differs are dropped by the device's MTA filter, and frames to
   a group whose hash collides pass the device and are dropped by the kernel;
3. faults injected between driver and device: lost interrupts, RX ring
   exhaustion, a DMA fault on receive and on transmit, a link flap.

Every frame is numbered.  At the end each frame sent is either received —
byte-identical, once — or accounted for by a counter of the device, the
driver, the kernel or the wire.  The exit status is 0 only then.

    python examples/driver_without_hardware.py [--pcap FILE] [--seed N] [--quiet]

Walkthrough: docs/driver-without-hardware.md.
"""
from __future__ import annotations

import argparse
import struct
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from emu.faults import FaultInjector  # noqa: E402
from emu.lab import Lab  # noqa: E402
from emu.sched import MS, SEC, US  # noqa: E402
from kernel.kern.uipc_mbuf import mbuf  # noqa: E402
from kernel.net.if_ethersubr import ether_register  # noqa: E402
from kernel.wire.ethernet import ETHERTYPE  # noqa: E402
from kernel.wire.net_if import IFF  # noqa: E402

ETYPE = int(ETHERTYPE.LOCAL_EXP1)          # 0x88B5, IEEE 802 local experimental
SEQ = struct.Struct("!I")

# The multicast groups of step 2.  The driver programs RCTL.MO = 0, whose hash
# is address bits [47:36]: h = (a[4] >> 4) | (a[5] << 4)  (docs/hw/em.md 5.3).
GROUP_JOINED = bytes.fromhex("333300000001")     # h = 0x010
GROUP_COLLIDES = bytes.fromhex("3333ff000f01")   # h = 0x010: same MTA bit
GROUP_OTHER = bytes.fromhex("333300000002")      # h = 0x020: another bit


def mta_hash_mo0(addr: bytes) -> int:
    return ((addr[4] >> 4) | (addr[5] << 4)) & 0xFFF


def payload(seq: int, size: int) -> bytes:
    """The payload of frame ``seq`` in a frame of ``size`` bytes (header included)."""
    body = bytes(((seq + i) * 131) & 0xFF for i in range(size - 14 - 4))
    return SEQ.pack(seq) + body


class Traffic:
    """Numbered frames from a to b, and what became of them."""

    def __init__(self, lab: Lab, a, b) -> None:
        self.lab = lab
        self.ifa = a.ifnet("em0")
        self.ifb = b.ifnet("em0")
        self.next_seq = 0
        self.sent: dict[int, bytes] = {}       # seq -> payload, for frames queued
        self.refused: dict[int, int] = {}      # seq -> errno from ether_output
        self.received: dict[int, int] = {}     # seq -> times received
        self.corrupted = 0
        ether_register(b.kernel, ETYPE, self.input)

    def input(self, ifp, m) -> None:
        data = m.tobytes()
        if len(data) < 4:
            self.corrupted += 1
            return
        seq = SEQ.unpack_from(data)[0]
        if self.sent.get(seq) != data:
            self.corrupted += 1
        self.received[seq] = self.received.get(seq, 0) + 1

    def send(self, dst: bytes, size: int) -> int:
        seq = self.next_seq
        self.next_seq += 1
        data = payload(seq, size)
        err = self.ifa.if_output(self.ifa, mbuf(data), dst, ETYPE)
        if err:
            self.refused[seq] = err
        else:
            self.sent[seq] = data
        return err

    def stream(self, count: int, dst: bytes, sizes=(60, 1514), gap_ns: int = 20 * US) -> None:
        """Send ``count`` frames, one every ``gap_ns``, sizes drawn from the lab RNG."""
        rng = self.lab.sched.rng
        for _ in range(count):
            self.send(dst, rng.randint(*sizes))
            self.lab.run_for(gap_ns)

    def burst(self, count: int, dst: bytes, size: int = 60) -> None:
        for _ in range(count):
            self.send(dst, size)


def counters(lab: Lab, a, b) -> dict[str, dict[str, int]]:
    """Every counter that accounts for a frame that was sent and not received.

    Each lost frame is counted in exactly one of these.  Two counters that
    also see lost frames are left out because they would count them twice:
    the TX "DMA fault" of a's device (that frame stays undone in the ring and
    em(4) counts it in tx_discarded when it resets), and b's ifi_ierrors
    (em(4) copies the device's MPC/CRC statistics into it).
    """
    sca = a.ifnet("em0").if_softc
    ifb = b.ifnet("em0")
    seg = lab.segments["lan0"]
    return {
        "a: em model drops (tx)": {k: v for k, v in a.nics[0].drops.items()
                                   if v and k != "DMA fault"},
        "a: em(4) driver": {"tx_discarded": sca.tx_discarded},
        "wire lan0 drops": {k: v for k, v in seg.drops.items() if v},
        "b: em model drops (rx)": {k: v for k, v in b.nics[0].drops.items() if v},
        "b: em(4) driver": {"dropped_pkts": ifb.if_softc.dropped_pkts},
        "b: kernel (ether_input)": {"ifi_iqdrops": ifb.if_data.ifi_iqdrops,
                                    "ifi_noproto": ifb.if_data.ifi_noproto},
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="em(4) driver against the 8254x model, with faults")
    ap.add_argument("--pcap", metavar="FILE", help="write the segment's capture (pcap; pcapng if FILE ends in .pcapng)")
    ap.add_argument("--seed", type=int, default=1, help="lab RNG seed (default 1)")
    ap.add_argument("--quiet", action="store_true", help="print only the verdict")
    args = ap.parse_args(argv)
    out = (lambda *a, **k: None) if args.quiet else print

    lab = Lab(seed=args.seed)
    seg = lab.segment("lan0", latency_ns=1000, bitrate_bps=1_000_000_000)
    capture = seg.capture_to(args.pcap) if args.pcap else None
    a = lab.machine("a", nics=[("em", seg)])
    b = lab.machine("b", nics=[("em", seg)])
    # The injectors sit between driver and device: build them before boot.
    fa = FaultInjector(a.machine, a.nics[0])
    fb = FaultInjector(b.machine, b.nics[0])
    lab.boot()
    for lm in (a, b):
        ifp = lm.ifnet("em0")
        ifp.if_setflags(ifp.if_flags | IFF.UP)
    lab.run_for(10 * MS)
    out("== boot: dmesg of b ==")
    out(b.machine.console_text().rstrip())

    t = Traffic(lab, a, b)
    dst = t.ifb.if_addr

    out("\n== 1. 1,000 unicast frames of 60..1514 bytes, a -> b ==")
    t.stream(1000, dst)
    lab.run_for(10 * MS)
    out(f"sent {len(t.sent)}, received {sum(t.received.values())}, corrupted {t.corrupted}")

    out("\n== 2. multicast filtering: b joins " + GROUP_JOINED.hex(":") + " ==")
    ifb = t.ifb
    ifb.if_addmulti(GROUP_JOINED)             # SIOCADDMULTI -> em_set_multi -> MTA
    lab.run_for(1 * MS)
    for g in (GROUP_JOINED, GROUP_COLLIDES, GROUP_OTHER):
        h = mta_hash_mo0(g)
        out(f"  {g.hex(':')}  MTA hash {h:#05x} -> MTA[{h >> 5}] bit {h & 31}")
    before_rx = sum(t.received.values())
    filt0 = b.nics[0].drops["filter mismatch"]
    kern0 = b.kernel.stats.get("ether_mcast_filtered", 0)
    for g in (GROUP_JOINED, GROUP_COLLIDES, GROUP_OTHER):
        for _ in range(20):
            t.send(g, 100)
            lab.run_for(20 * US)
    lab.run_for(10 * MS)
    out(f"  20 frames to each group: received {sum(t.received.values()) - before_rx} "
        f"(joined group), dropped by the device's MTA filter "
        f"{b.nics[0].drops['filter mismatch'] - filt0} (other hash), dropped by the "
        f"kernel's software filter {b.kernel.stats.get('ether_mcast_filtered', 0) - kern0} "
        f"(colliding hash)")

    out("\n== 3. faults ==")
    fb.lose_interrupts(3)
    t.stream(50, dst, gap_ns=200 * US)
    lab.run_for(2 * SEC)                       # the 1 Hz local timer recovers
    out(f"  lost interrupts: {fb.counts['interrupts_lost']} lost, "
        f"all 50 frames delivered: {all(s in t.received for s in range(t.next_seq - 50, t.next_seq))}")

    mpc0 = b.nics[0].drops["no descriptors"]
    fb.hold_rx_tail(2 * MS)                    # the driver's RDT writes do not reach the device
    t.burst(400, dst)
    lab.run_for(20 * MS)
    out(f"  RX ring exhaustion: burst of 400 with RDT held 2 ms -> "
        f"{b.nics[0].drops['no descriptors'] - mpc0} dropped by the device (MPC/RNBC, RXO)")

    fb.corrupt_rx_descriptor()
    t.stream(100, dst, gap_ns=20 * MS)         # 2 s: the local timer reinitialises the ring
    lab.run_for(SEC)
    out(f"  RX DMA fault: device dma_faults {b.nics[0].dma_faults}, driver resets "
        f"{b.ifnet('em0').if_softc.rx_dma_faults}")

    fa.corrupt_next_tx_descriptor()
    t.stream(100, dst, gap_ns=20 * MS)
    lab.run_for(SEC)
    out(f"  TX DMA fault: device dma_faults {a.nics[0].dma_faults}, driver resets "
        f"{a.ifnet('em0').if_softc.tx_dma_faults}")

    fb.link_flap(100 * MS)
    t.stream(100, dst, gap_ns=2 * MS)
    lab.run_for(SEC)
    out(f"  link flap on b: {b.ifnet('em0').if_link_state.name} now; "
        f"dmesg: {' / '.join(l.strip() for l in b.kernel.msgbuf if 'link state' in l)}")

    lab.run_for(2 * SEC)                       # let the statistics timers run
    if capture is not None:
        capture.close()

    # -- the account --------------------------------------------------------------
    c = counters(lab, a, b)
    lost = {s for s in t.sent if s not in t.received}
    dups = sum(n - 1 for n in t.received.values() if n > 1)
    accounted = sum(sum(v.values()) for v in c.values())
    out("\n== counters ==")
    for name, vals in c.items():
        out(f"  {name}: " + (", ".join(f"{k} {v}" for k, v in vals.items()) or "none"))
    sc_b = b.ifnet("em0").if_softc
    out("  b: hardware statistics as em(4) read them: "
        + ", ".join(f"{k} {v}" for k, v in sc_b.stats.as_dict().items() if v))
    out(f"  b: interrupts {b.machine.interrupts}, lost {b.machine.interrupts_lost}; "
        f"a: interrupts {a.machine.interrupts}")
    out("\n== the account ==")
    out(f"  frames queued by a: {len(t.sent)}  (refused by ether_output: {len(t.refused)})")
    out(f"  received by b:      {len(t.received)}  (duplicates {dups}, corrupted {t.corrupted})")
    out(f"  not received:       {len(lost)}")
    out(f"  counted as dropped: {accounted}")
    if args.pcap:
        out(f"  capture: {args.pcap} ({seg.frames} frames on the wire)")
    panics = [m.name for m in (a, b) if m.machine.panicked]
    ok = (len(lost) == accounted and dups == 0 and t.corrupted == 0 and not panics)
    print(f"{'PASS' if ok else 'FAIL'}: {len(t.sent)} frames sent, {len(t.received)} received, "
          f"{len(lost)} not received, {accounted} counted as dropped"
          + (f", panics on {panics}" if panics else ""))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
