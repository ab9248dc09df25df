//! The IPv4 unicast fast path: `ethernet-input -> ip4-input[-no-checksum] -> ip4-lookup
//! [-> ip4-load-balance] -> ip4-rewrite -> interface-output` for a whole frame in tight
//! passes, DPDK l3fwd style: check the packets and start their LPM (root entry, prefetch of
//! the second-level entry); finish the LPM and resolve load balance / adjacency / transmit
//! port; rewrite. The first two passes run interleaved chunk by chunk (the check pass of chunk
//! k+1 before the resolution of chunk k), so the second-level cache misses of a chunk are in
//! flight while the CPU checks the next one, and arrive before they are needed. The few
//! packets whose lookup needs the third trie level (/25-/32) get that entry prefetched in the
//! resolution pass and are resolved after the next chunk's (a dependent miss on ~4% of the
//! packets of the 1M-route bench cost ~5 ns/packet on average when taken in line).
//!
//! It is all or nothing per frame and is only an optimisation: it first checks, without
//! changing anything, that *every* packet of the frame would take exactly that path through
//! the nodes (untagged, for the receive port's MAC, option-less IPv4 with a valid header,
//! unicast destination, TTL > 1, a forward route with one next hop or ECMP (bucket chosen by
//! ip4-load-balance's flow hash), an adjacency with a 14-byte rewrite, within its MTU, on an
//! up interface). If any packet would not, it returns `Declined` having written nothing and
//! the frame goes through the graph as usual. If all do, it leaves every buffer, metadata
//! field, destination and counter exactly as the nodes would: per-node `calls` and `packets`
//! advance as for one dispatch of each node visited, no error counter moves (none would).
//! Only the runtime clocks differ in meaning: they are measured per pass and charged to the
//! node owning the pass (ip4-lookup: the interleaved check, LPM and resolution passes;
//! ip4-rewrite: the writing pass; ethernet-input, ip4-input, ip4-load-balance and
//! interface-output: 0). Traced frames never take it (the trace records every node visited).
//!
//! Next hops are resolved once and memoised in the worker's [`Scratch`] (by LB index for
//! single-next-hop LBs, by adjacency index for the buckets of ECMP LBs) for as long as the
//! FIB's LBs / adjacencies and the interface table keep their generation.

use crate::buffer::{PacketBuf, FLAG_IP4_CSUM_GOOD, FLAG_LOCALLY_BUILT};
use crate::fib::{AdjIndex, FibView, LbIndex, LbKind, Lpm4Steps};
use crate::graph::{Clock, NodeId, NodeRuntime, FRAME_SIZE, N_NODES};
use crate::interface::IfTable;
use crate::wire::ethernet::HEADER_LEN as ETH_LEN;
use crate::worker::Dest;

/// Ethernet + option-less IPv4 header.
const HDRS: usize = ETH_LEN + 20;
/// Entries of the next-hop memos (direct mapped by LB index / adjacency index).
const MEMO: usize = 256;
/// Next hops kept (a frame adds at most one per packet; all are forgotten when full).
const HOPS: usize = 2 * FRAME_SIZE;
/// Tag of an empty memo entry (LB and adjacency indices are below 2^23).
const NO_TAG: u32 = u32::MAX;
/// Flag in a packet's next-hop slot: the packet took ip4-load-balance (ECMP).
const ECMP: u16 = 1 << 15;
/// Packets per chunk of the interleaved check / resolution passes.
const CHUNK: usize = 32;

/// A resolved next hop: adjacency, transmit interface and port, the 14-byte rewrite (32-byte
/// aligned: the write pass finds a hop with one shift).
#[derive(Clone, Copy)]
#[repr(C, align(32))]
struct Hop {
    adj: AdjIndex,
    sw_if_index: u32,
    port: u32,
    rewrite: [u8; ETH_LEN],
}

const NO_HOP: Hop = Hop {
    adj: 0,
    sw_if_index: u32::MAX,
    port: u32::MAX,
    rewrite: [0; ETH_LEN],
};

/// Per-worker state of the fast path, kept across frames: the per-packet arrays (never
/// zeroed: every entry read in a frame was written earlier in the same frame) and the
/// next-hop memo.
pub(crate) struct Scratch {
    /// Destination address (host order), from the check pass.
    dst: [u32; FRAME_SIZE],
    /// Root trie entry (`Lookup4::start`), from the check pass; for a packet whose lookup
    /// needs the deepest level, the slot of that level's entry (`Lpm4Steps::finish_shallow`).
    ent: [u32; FRAME_SIZE],
    /// Packets whose lookup needs the deepest level, in the order met (resolved a chunk
    /// later, when the prefetch of their entry has had time to arrive).
    deep: [u16; FRAME_SIZE],
    /// IPv4 total length, from the check pass.
    tl: [u16; FRAME_SIZE],
    /// Index into `hops` (| `ECMP`), from the resolution pass.
    nh: [u16; FRAME_SIZE],
    /// LB index and flow hash of ECMP packets, from the resolution pass.
    lb: [LbIndex; FRAME_SIZE],
    hash: [u32; FRAME_SIZE],
    /// Resolved next hops, `n_hops` of them valid, and their MTUs (`u16::MAX` for none; apart:
    /// the resolution pass reads only these).
    hops: [Hop; HOPS],
    hop_mtu: [u16; HOPS],
    n_hops: usize,
    /// The port of every valid hop, if they all share one.
    one_port: Option<u32>,
    lb_tag: [u32; MEMO],
    lb_hop: [u16; MEMO],
    adj_tag: [u32; MEMO],
    adj_hop: [u16; MEMO],
    /// Generations (FIB LBs/adjacencies, interface table) the memo was built from.
    gens: Option<(u64, u64)>,
}

impl Scratch {
    pub(crate) fn new() -> Box<Scratch> {
        Box::new(Scratch {
            dst: [0; FRAME_SIZE],
            ent: [0; FRAME_SIZE],
            deep: [0; FRAME_SIZE],
            tl: [0; FRAME_SIZE],
            nh: [0; FRAME_SIZE],
            lb: [0; FRAME_SIZE],
            hash: [0; FRAME_SIZE],
            hops: [NO_HOP; HOPS],
            hop_mtu: [0; HOPS],
            n_hops: 0,
            one_port: None,
            lb_tag: [NO_TAG; MEMO],
            lb_hop: [0; MEMO],
            adj_tag: [NO_TAG; MEMO],
            adj_hop: [0; MEMO],
            gens: None,
        })
    }

    fn forget_hops(&mut self) {
        self.n_hops = 0;
        self.one_port = None;
        self.lb_tag = [NO_TAG; MEMO];
        self.adj_tag = [NO_TAG; MEMO];
    }

    /// The next hop of adjacency `ix` (memoised), `None` if ip4-rewrite / interface-output
    /// would not simply send a packet there (no such adjacency, incomplete, not a 14-byte
    /// rewrite, transmit interface missing or down).
    #[inline]
    fn hop_for(&mut self, fib: &FibView<'_>, ifs: &IfTable, ix: AdjIndex) -> Option<u16> {
        let k = ix as usize % MEMO;
        if self.adj_tag[k] == ix {
            return Some(self.adj_hop[k]);
        }
        let adj = fib.adj_ref(ix)?;
        if adj.sw_if_index == u32::MAX || adj.rewrite_len != 14 {
            return None;
        }
        let port = match ifs.get(adj.sw_if_index) {
            Some(tx_if) if tx_if.admin_up => tx_if.port_index(),
            _ => return None,
        };
        let h = u16::try_from(self.n_hops).ok()?;
        let (slot, slot_mtu) = (
            self.hops.get_mut(self.n_hops)?,
            self.hop_mtu.get_mut(self.n_hops)?,
        );
        let mut rewrite = [0; ETH_LEN];
        rewrite.copy_from_slice(&adj.rewrite[..ETH_LEN]);
        let mtu = if adj.mtu == 0 { u16::MAX } else { adj.mtu };
        *slot = Hop {
            adj: ix,
            sw_if_index: adj.sw_if_index,
            port,
            rewrite,
        };
        *slot_mtu = mtu;
        self.one_port = match (self.n_hops, self.one_port) {
            (0, _) => Some(port),
            (_, Some(p)) if p == port => Some(p),
            _ => None,
        };
        self.n_hops += 1;
        self.adj_tag[k] = ix;
        self.adj_hop[k] = h;
        Some(h)
    }

    #[inline(always)]
    fn hop(&self, nh: u16) -> &Hop {
        &self.hops[usize::from(nh) % HOPS]
    }
}

/// What the fast path did with a frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fast {
    /// Nothing changed: the frame goes through the graph.
    Declined,
    /// Every packet was forwarded to this port (`dest` untouched).
    AllTo(u32),
    /// Every packet was forwarded; `dest[i] = Dest::Tx(port)` holds each one's port.
    Forwarded,
}

/// What the check pass compares every packet with.
struct Rx {
    port: u32,
    csum_flag: u8,
    /// Bytes 0..8 of the header (little-endian) shifted left by 16: our MAC (the 2 bytes of
    /// the source MAC shifted out).
    mac: u64,
}

/// Bytes 12..15 of the header (ethertype 0x0800, version 4 with a 20-byte header: 0x45;
/// byte 15, the TOS, shifted out), as `u32::from_le_bytes(bytes 12..16) << 8`.
const ET_V4: u32 = 0x4500_0800;

/// Check pass over `pkts` (the packets `at..at + pkts.len()` of the frame): ethernet-input and
/// ip4-input checks (read only), gather destinations and total lengths, start their LPM.
#[inline(always)]
fn check<B: PacketBuf, L: Lpm4Steps>(
    pkts: &[B],
    at: usize,
    sc: &mut Scratch,
    rx: &Rx,
    l4: &L,
) -> bool {
    let end = at + pkts.len();
    let (Some(dst), Some(tl), Some(ent)) = (
        sc.dst.get_mut(at..end),
        sc.tl.get_mut(at..end),
        sc.ent.get_mut(at..end),
    ) else {
        return false;
    };
    let csum_known = rx.csum_flag != 0;
    for (((b, d), t), e) in pkts.iter().zip(dst).zip(tl).zip(ent) {
        let m = b.meta();
        let data = b.data();
        let Some(h) = data.first_chunk::<HDRS>() else {
            return false;
        };
        let q = |o: usize| {
            u64::from_le_bytes([
                h[o],
                h[o + 1],
                h[o + 2],
                h[o + 3],
                h[o + 4],
                h[o + 5],
                h[o + 6],
                h[o + 7],
            ])
        };
        let w = |o: usize| u32::from_le_bytes([h[o], h[o + 1], h[o + 2], h[o + 3]]);
        // Our MAC; ethertype IPv4, version 4 with a 20-byte header.
        let mac_ok = q(0) << 16 == rx.mac;
        let et_ok = w(12) << 8 == ET_V4;
        let total = u16::from_be_bytes([h[16], h[17]]);
        let da = u32::from_be_bytes([h[30], h[31], h[32], h[33]]);
        // Header checksum (as `wire::ipv4::Packet::verify_checksum` for 20 bytes): the folded
        // ones'-complement sum is 0xffff exactly when the plain sum of the words is a non-zero
        // multiple of 0xffff (folding keeps the value modulo 0xffff, and never folds a
        // non-zero sum to 0). Words in native order: a byte swap multiplies by 256 modulo
        // 0xffff, which is prime to it, so the test is byte-order independent.
        let sum = u64::from(w(14))
            + u64::from(w(18))
            + u64::from(w(22))
            + u64::from(w(26))
            + u64::from(w(30));
        let csum_ok = csum_known | sum_is_nonzero_multiple_of_ffff(sum);
        // 20 <= total <= bytes after Ethernet, in one compare (`data` holds `HDRS` bytes).
        let tl_ok = usize::from(total).wrapping_sub(20) <= data.len() - HDRS;
        // `&` rather than `&&`: few branches for the common case.
        let ok = (m.rx_port == rx.port)
            & (m.flags & (FLAG_IP4_CSUM_GOOD | FLAG_LOCALLY_BUILT) == rx.csum_flag)
            & mac_ok
            & et_ok
            & tl_ok
            // TTL > 1, else ip4-rewrite sends it to ip4-icmp-error.
            & (h[22] > 1)
            // Unicast: not 224/4 nor limited broadcast (those go to ip4-local or drop).
            & (da >> 28 != 0xe)
            & (da != u32::MAX)
            & csum_ok;
        if !ok {
            // A group MAC (multicast / broadcast) is accepted too: retry with it.
            let ok = (h[0] & 1 != 0)
                & et_ok
                & (m.rx_port == rx.port)
                & (m.flags & (FLAG_IP4_CSUM_GOOD | FLAG_LOCALLY_BUILT) == rx.csum_flag)
                & tl_ok
                & (h[22] > 1)
                & (da >> 28 != 0xe)
                & (da != u32::MAX)
                & csum_ok;
            if !ok {
                return false;
            }
        }
        *d = da;
        *t = total;
        // Spread over the pass: a burst of prefetches would stall on the CPU's miss buffers.
        *e = l4.start(da);
    }
    true
}

/// Per-packet part of the resolution pass for packet `i` (`b`), whose LPM gave `lbi`: the
/// load balance -> adjacency -> transmit port resolution of ip4-lookup / ip4-load-balance /
/// ip4-rewrite / interface-output (read only) and the MTU check. Counts ECMP packets.
#[inline(always)]
fn resolve_lb<B: PacketBuf>(
    b: &B,
    i: usize,
    lbi: LbIndex,
    sc: &mut Scratch,
    fib: &FibView<'_>,
    ifs: &IfTable,
    n_ecmp: &mut u64,
) -> bool {
    let i = i % FRAME_SIZE;
    let t = sc.tl[i];
    let k = lbi as usize % MEMO;
    let nh = if sc.lb_tag[k] == lbi {
        sc.lb_hop[k]
    } else {
        let lb = fib.lb(lbi);
        match (lb.kind, lb.buckets) {
            (LbKind::Forward, &[ix]) => {
                let Some(h) = sc.hop_for(fib, ifs, ix) else {
                    return false;
                };
                sc.lb_tag[k] = lbi;
                sc.lb_hop[k] = h;
                h
            }
            (LbKind::Forward, _) => {
                // As ip4-load-balance: the flow hash of the L3 packet trimmed to its total
                // length (the check pass saw 20 <= total <= bytes after Ethernet).
                let l3 = b
                    .data()
                    .get(ETH_LEN..ETH_LEN + usize::from(t))
                    .unwrap_or(&[]);
                let fh = super::ip4::flow_hash(l3);
                let Some(ix) = lb.bucket(fh) else {
                    return false;
                };
                let Some(h) = sc.hop_for(fib, ifs, ix) else {
                    return false;
                };
                sc.lb[i] = lbi;
                sc.hash[i] = fh;
                *n_ecmp += 1;
                h | ECMP
            }
            _ => return false,
        }
    };
    if t > sc.hop_mtu[usize::from(nh) % HOPS] {
        return false;
    }
    sc.nh[i] = nh;
    true
}

/// `sum % 0xffff == 0 && sum != 0` in three instructions: multiplying by the inverse of
/// 0xffff modulo 2^64 maps the multiples `k * 0xffff` to `k` (`0..=u64::MAX / 0xffff`) and
/// every other value above that range, and `k - 1` wraps for `k = 0`.
#[inline(always)]
fn sum_is_nonzero_multiple_of_ffff(sum: u64) -> bool {
    const INV: u64 = 0xfffe_fffe_fffe_ffff; // 0xffff * INV == 1 (mod 2^64)
    sum.wrapping_mul(INV).wrapping_sub(1) < u64::MAX / 0xffff
}

/// Resolution pass over `pkts` (the packets `at..` of the frame): finish the LPM and
/// [`resolve_lb`]. A packet whose lookup needs the deepest trie level (its entry now being
/// prefetched) is appended to `sc.deep` (`*n_deep` of them) and left to [`resolve_deep`].
#[inline(always)]
#[allow(
    clippy::too_many_arguments,
    reason = "one inlined pass of the fast path"
)]
fn resolve<B: PacketBuf, L: Lpm4Steps>(
    pkts: &[B],
    at: usize,
    sc: &mut Scratch,
    l4: &L,
    fib: &FibView<'_>,
    ifs: &IfTable,
    n_ecmp: &mut u64,
    n_deep: &mut usize,
) -> bool {
    for (i, b) in (at..).zip(pkts) {
        let i = i % FRAME_SIZE;
        match l4.finish_shallow(sc.ent[i], sc.dst[i]) {
            Ok(lbi) => {
                if !resolve_lb(b, i, lbi, sc, fib, ifs, n_ecmp) {
                    return false;
                }
            }
            Err(slot) => {
                sc.ent[i] = slot;
                #[allow(clippy::cast_possible_truncation, reason = "i < FRAME_SIZE = 256")]
                let iu = i as u16;
                sc.deep[*n_deep % FRAME_SIZE] = iu;
                *n_deep += 1;
            }
        }
    }
    true
}

/// Resolution of the deferred packets `sc.deep[from..to]` (their deepest-level entry).
#[inline(always)]
#[allow(
    clippy::too_many_arguments,
    reason = "one inlined pass of the fast path"
)]
fn resolve_deep<B: PacketBuf, L: Lpm4Steps>(
    pkts: &[B],
    from: usize,
    to: usize,
    sc: &mut Scratch,
    l4: &L,
    fib: &FibView<'_>,
    ifs: &IfTable,
    n_ecmp: &mut u64,
) -> bool {
    for j in from..to {
        let i = usize::from(sc.deep[j % FRAME_SIZE]);
        let Some(b) = pkts.get(i) else {
            return false;
        };
        let lbi = l4.finish_deep(sc.ent[i % FRAME_SIZE]);
        if !resolve_lb(b, i, lbi, sc, fib, ifs, n_ecmp) {
            return false;
        }
    }
    true
}

/// The check pass of chunk k + 1, then the resolution pass of chunk k, for the whole frame.
#[inline(always)]
fn check_and_resolve<B: PacketBuf, L: Lpm4Steps>(
    pkts: &[B],
    sc: &mut Scratch,
    rx: &Rx,
    l4: &L,
    fib: &FibView<'_>,
    ifs: &IfTable,
    n_ecmp: &mut u64,
) -> bool {
    let n = pkts.len();
    let mut checked = CHUNK.min(n);
    if !check(&pkts[..checked], 0, sc, rx, l4) {
        return false;
    }
    let mut at = 0;
    // Deferred packets (deepest trie level) of the chunks before `at`, and how many of them
    // are resolved: those of chunk k - 1 after the resolution pass of chunk k.
    let (mut n_deep, mut deep_done) = (0, 0);
    while at < n {
        let next = (at + CHUNK).min(n);
        if checked < n {
            let upto = (checked + CHUNK).min(n);
            if !check(&pkts[checked..upto], checked, sc, rx, l4) {
                return false;
            }
            checked = upto;
        }
        let before = n_deep;
        if !resolve(&pkts[at..next], at, sc, l4, fib, ifs, n_ecmp, &mut n_deep) {
            return false;
        }
        if !resolve_deep(pkts, deep_done, before, sc, l4, fib, ifs, n_ecmp) {
            return false;
        }
        deep_done = before;
        at = next;
    }
    resolve_deep(pkts, deep_done, n_deep, sc, l4, fib, ifs, n_ecmp)
}

/// The header checksum after a TTL decrement: `checksum::update16(hc, old, new)` with
/// `new = old - 0x0100` (RFC 1624 `!(!hc + !old + new)`, where `!old + new` is 0xfeff: TTL > 1,
/// no borrow into the protocol byte; one fold is enough, the sum being at most 0x1fefe),
/// computed on the checksum in native byte order: ones'-complement sums commute with byte
/// swaps (RFC 1071), so the constant is swapped instead of the value (0xfeff -> 0xfffe on
/// little-endian). Checked against `update16` for every checksum value by a test.
#[inline(always)]
fn ttl_checksum(hc_ne: u16) -> u16 {
    let k = u16::from_ne_bytes(0xfeffu16.to_be_bytes());
    let acc = u32::from(!hc_ne) + u32::from(k);
    let acc = (acc & 0xffff) + (acc >> 16);
    #[allow(clippy::cast_possible_truncation, reason = "folded to 16 bits above")]
    let r = !(acc as u16);
    r
}

/// Try the fast path on a whole received frame (`pkts.len() <= FRAME_SIZE`). `Declined`:
/// nothing was changed. Otherwise every packet has been forwarded (its port in the result or
/// in `dest`, which is then `pkts.len()` long) and the runtime counters updated.
#[inline(never)]
pub(crate) fn ip4_frame<B: PacketBuf, C: Clock>(
    pkts: &mut [B],
    dest: &mut Vec<Dest>,
    sc: &mut Scratch,
    fib: &FibView<'_>,
    ifs: &IfTable,
    clock: &C,
    runtime: &mut [NodeRuntime; N_NODES],
) -> Fast {
    let n = pkts.len();
    if n == 0 || n > FRAME_SIZE {
        return Fast::Declined;
    }
    let t0 = clock.now();

    // Every packet must share the first packet's receive port and checksum flag (otherwise
    // the graph would split the frame between nodes).
    let m0 = *pkts[0].meta();
    // Untagged: the receive interface is the port itself (as ethernet-input).
    let Some(rx_if) = ifs.get(m0.rx_port) else {
        return Fast::Declined;
    };
    if !rx_if.admin_up {
        return Fast::Declined;
    }
    let Some(l4) = fib.lookup4_table(rx_if.vrf) else {
        return Fast::Declined;
    };
    let [a, b, c, d, e, f] = rx_if.mac.0;
    let rx = Rx {
        port: m0.rx_port,
        csum_flag: m0.flags & FLAG_IP4_CSUM_GOOD,
        mac: u64::from_le_bytes([a, b, c, d, e, f, 0, 0]) << 16,
    };
    let gens = (fib.generation(), ifs.generation());
    if sc.gens != Some(gens) || sc.n_hops + n > HOPS {
        sc.forget_hops();
        sc.gens = Some(gens);
    }

    let mut n_ecmp = 0u64;
    let ok = match l4.x16() {
        Some(x16) => check_and_resolve(pkts, sc, &rx, &x16, fib, ifs, &mut n_ecmp),
        None => check_and_resolve(pkts, sc, &rx, &l4, fib, ifs, &mut n_ecmp),
    };
    if !ok {
        return Fast::Declined;
    }
    let t1 = clock.now();

    // Write pass. Same end state as the nodes: ethernet-input's metadata, ip4-input's padding
    // trim, the adjacency and transmit interface, TTL decrement with the incremental checksum,
    // the L2 rewrite (14 bytes replacing the 14 stripped: the data window ends where it
    // started).
    let sw = rx_if.sw_if_index;
    let vrf = rx_if.vrf;
    for (i, ((b, &nh), &t)) in pkts.iter_mut().zip(&sc.nh).zip(&sc.tl).enumerate() {
        let hop = sc.hop(nh);
        // The header first (the data window still holds the padding: one bounds check for
        // both), then the padding trim (the header is within the total length kept).
        let data = b.data_mut();
        let len = data.len();
        if let Some(h) = data.first_chunk_mut::<HDRS>() {
            // `wire::ipv4::Packet::decrement_ttl`: TTL - 1 and the RFC 1624 incremental
            // update `!(!hc + !old + new)` of the checksum, where `!old + new` is 0xfeff for
            // a TTL decrement (TTL > 1: no borrow into the protocol byte); one fold is enough
            // (the sum is at most 0x1fefe).
            h[22] = h[22].wrapping_sub(1);
            let hc = ttl_checksum(u16::from_ne_bytes([h[24], h[25]]));
            h[24..26].copy_from_slice(&hc.to_ne_bytes());
            h[..ETH_LEN].copy_from_slice(&hop.rewrite);
        }
        let pad = len - ETH_LEN - usize::from(t);
        if pad > 0 {
            b.trim_tail(pad);
        }
        let m = b.meta_mut();
        m.rx_sw_if_index = sw;
        m.vlan = 0;
        m.l2_len = 14;
        m.vrf = vrf;
        m.error = 0;
        m.adj_index = hop.adj;
        if nh & ECMP != 0 {
            m.lb_index = sc.lb[i % FRAME_SIZE];
            m.flow_hash = sc.hash[i % FRAME_SIZE];
        }
        m.tx_sw_if_index = hop.sw_if_index;
    }
    // Destinations: one port for the whole frame (the common case) or one each.
    let res = match sc.one_port {
        Some(p) => Fast::AllTo(p),
        None => {
            dest.clear();
            dest.extend(sc.nh[..n].iter().map(|&nh| Dest::Tx(sc.hop(nh).port)));
            Fast::Forwarded
        }
    };
    let t2 = clock.now();

    let ip4_input = if rx.csum_flag != 0 {
        NodeId::Ip4InputNoChecksum
    } else {
        NodeId::Ip4Input
    };
    let pk = n as u64;
    for (node, clocks) in [
        (NodeId::EthernetInput, 0),
        (ip4_input, 0),
        (NodeId::Ip4Lookup, t1.wrapping_sub(t0)),
        (NodeId::Ip4Rewrite, t2.wrapping_sub(t1)),
        (NodeId::InterfaceOutput, 0),
    ] {
        let rt = &mut runtime[node.index()];
        rt.calls += 1;
        rt.packets += pk;
        rt.clocks += clocks;
    }
    if n_ecmp > 0 {
        let rt = &mut runtime[NodeId::Ip4LoadBalance.index()];
        rt.calls += 1;
        rt.packets += n_ecmp;
    }
    res
}

#[cfg(test)]
mod tests {
    use crate::buffer::{PacketBuf, PacketMeta, VecBuf, FLAG_IP4_CSUM_GOOD};
    use crate::graph::{NodeId, N_NODES};
    use crate::testkit::{Rig, H1, R1};
    use crate::wire::checksum;

    /// xorshift64*: deterministic test input.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u32 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            u32::try_from(self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 32).unwrap()
        }
        fn below(&mut self, n: u32) -> u32 {
            self.next() % n
        }
    }

    /// Kinds of received packet; the first five take the fast path.
    const FAST_KINDS: u32 = 5;
    const KINDS: u32 = 17;

    /// A frame received on port 1 of the test rig.
    fn packet(kind: u32, r: &mut Rng) -> VecBuf {
        let x = u8::try_from(r.below(250) + 2).unwrap();
        let (dst, mut ttl, mut pad, mut ihl, mut df) = ([10, 2, x, 7], 64, 0usize, 5usize, 0u8);
        let mut vlan = false;
        let mut mac = R1.0;
        let mut dst = match kind {
            0 => dst,           // forward to port 2
            1 => [10, 0, 1, x], // forward back out of port 1
            2 => {
                pad = 1 + usize::try_from(r.below(40)).unwrap(); // Ethernet padding to trim
                dst
            }
            3 => {
                mac = [1, 0, 0x5e, 0, 0, 1]; // multicast MAC, unicast IP: forwarded
                dst
            }
            7 => {
                ttl = 1;
                dst
            }
            5 => [10, 3, 0, x],     // 30-byte MTU next hop
            6 => [10, 0, 1, 1],     // ours
            4 => [198, 51, 100, x], // ECMP
            8 => [10, 4, 0, x],     // transmit interface down
            9 => [10, 0, 2, x],     // glean
            10 => [192, 0, 2, x],   // drop route
            11 => {
                ihl = 6;
                dst
            }
            12 => {
                vlan = true;
                [10, 0, 5, x]
            }
            13 => {
                mac = [2, 0, 0, 0, 9, 9]; // not our MAC
                dst
            }
            14 => [224, 0, 0, 5],
            15 => [10, 0, 5, x], // VLAN 100 adjacency (18-byte rewrite)
            _ => dst,            // 16: bad checksum
        };
        if kind == 5 && r.below(2) == 0 {
            df = 0x40;
        }
        if kind == 14 && r.below(2) == 0 {
            dst = [255; 4];
        }
        let hl = ihl * 4;
        let tl = hl + 26;
        let mut f = mac.to_vec();
        f.extend(H1.0);
        if vlan {
            f.extend([0x81, 0x00, 0, 100]);
        }
        f.extend([0x08, 0x00]);
        let ip = f.len();
        f.extend([0x40 | u8::try_from(ihl).unwrap(), 0]);
        f.extend(u16::try_from(tl).unwrap().to_be_bytes());
        f.extend([0, 1, df, 0, ttl, 17, 0, 0, 10, 0, 1, 99]);
        f.extend(dst);
        f.resize(ip + hl, 1);
        for _ in hl..tl {
            f.push(u8::try_from(r.below(256)).unwrap());
        }
        let c = checksum::checksum(&f[ip..ip + hl]);
        if kind == 16 {
            // Bad header checksum.
            f[ip + 10..ip + 12].copy_from_slice(&(!c).to_be_bytes());
        } else {
            f[ip + 10..ip + 12].copy_from_slice(&c.to_be_bytes());
        }
        f.resize(f.len() + pad, 0xee);
        VecBuf::from_frame(1, &f)
    }

    /// The native-order TTL checksum update equals `update16` on the network-order value, for
    /// every checksum and every TTL/protocol word with TTL > 1.
    #[test]
    fn ttl_checksum_matches_update16() {
        for hc in 0..=u16::MAX {
            let ne = u16::from_ne_bytes(hc.to_be_bytes());
            let fast = u16::from_be_bytes(super::ttl_checksum(ne).to_ne_bytes());
            for old in [0x0200u16, 0x0211, 0x4006, 0x4011, 0xff01, 0xffff] {
                assert_eq!(
                    fast,
                    checksum::update16(hc, old, old - 0x0100),
                    "{hc:#x} {old:#x}"
                );
            }
        }
    }

    /// The three-instruction divisibility test against `%`, on the edges (0, every multiple
    /// near 0 and near the largest sum of five 32-bit words, their neighbours) and a sweep.
    #[test]
    fn sum_test_matches_modulo() {
        let reference = |s: u64| s.is_multiple_of(0xffff) && s != 0;
        let max = 5 * u64::from(u32::MAX);
        let mut probes: Vec<u64> = (0..200_000).collect();
        for k in (0..1000).chain(max / 0xffff - 1000..=max / 0xffff + 2) {
            let m = k * 0xffff;
            probes.extend([m.wrapping_sub(1), m, m + 1]);
        }
        probes.extend([u64::MAX, u64::MAX - 1, u64::MAX / 0xffff * 0xffff]);
        let mut r = Rng(7);
        probes.extend((0..200_000).map(|_| u64::from(r.next()) * 5));
        for s in probes {
            assert_eq!(
                super::sum_is_nonzero_multiple_of_ffff(s),
                reference(s),
                "{s:#x}"
            );
        }
    }

    fn norm(b: &VecBuf) -> (Vec<u8>, PacketMeta) {
        let mut m = *b.meta();
        m.trace = 0;
        (b.data().to_vec(), m)
    }

    /// The fast path against the graph: the same frames through a rig that traces every
    /// packet (tracing disables the fast path) give the same bytes, metadata, queues, error
    /// and runtime counters.
    #[test]
    fn same_result_as_the_graph() {
        let mut fast = Rig::new();
        let mut graph = Rig::new();
        graph.worker.trace_add(60_000);
        let mut r = Rng(0x1234_5678_9abc_def1);
        let mut sent = 0;
        for round in 0..300 {
            let n = match r.below(4) {
                0 => 1 + r.below(8),
                1 => 256,
                2 => 257 + r.below(100),
                _ => 1 + r.below(256),
            };
            // Half the frames only hold fast-path kinds, some with one exception.
            let only_fast = round % 2 == 0;
            let mut frame: Vec<VecBuf> = (0..n)
                .map(|_| {
                    let k = if only_fast {
                        r.below(FAST_KINDS)
                    } else {
                        r.below(KINDS)
                    };
                    packet(k, &mut r)
                })
                .collect();
            if only_fast && round % 4 == 0 {
                // One exception of each kind in turn in an otherwise fast frame.
                let at = usize::try_from(r.below(n)).unwrap();
                let k = FAST_KINDS + (round / 4) % (KINDS - FAST_KINDS);
                frame[at] = packet(k, &mut r);
            }
            // NIC-verified checksums: none, all (ip4-input-no-checksum), or some (mixed frame:
            // the graph splits it between the two ip4-input nodes).
            for b in &mut frame {
                let set = match round % 5 {
                    1 => true,
                    4 => r.below(2) == 0,
                    _ => false,
                };
                if set {
                    b.meta_mut().flags |= FLAG_IP4_CSUM_GOOD;
                }
            }
            sent += frame.len();
            if sent > 60_000 {
                break;
            }
            let mut rx2 = frame.clone();
            let mut rx1 = frame;
            fast.out.clear();
            graph.out.clear();
            fast.worker.process(&mut rx1, 0, &mut fast.out);
            graph.worker.process(&mut rx2, 0, &mut graph.out);
            let (a, b) = (&fast.out, &graph.out);
            assert_eq!(a.tx.len(), b.tx.len());
            for (qa, qb) in a.tx.iter().zip(&b.tx) {
                assert_eq!(
                    qa.iter().map(norm).collect::<Vec<_>>(),
                    qb.iter().map(norm).collect::<Vec<_>>(),
                    "round {round}"
                );
            }
            for (qa, qb) in [(&a.punt, &b.punt), (&a.drop, &b.drop)] {
                assert_eq!(
                    qa.iter().map(norm).collect::<Vec<_>>(),
                    qb.iter().map(norm).collect::<Vec<_>>(),
                    "round {round}"
                );
            }
            assert_eq!(a.events, b.events);
            assert_eq!(
                fast.worker.error_counters(),
                graph.worker.error_counters(),
                "round {round}"
            );
            for i in 0..N_NODES {
                let (x, y) = (fast.worker.runtime()[i], graph.worker.runtime()[i]);
                assert_eq!(
                    (x.calls, x.packets),
                    (y.calls, y.packets),
                    "{} round {round}",
                    NodeId::ALL[i]
                );
            }
        }
        let (sa, sb) = (fast.worker.stats(), graph.worker.stats());
        assert!(sa.fast_batches > 50, "{sa:?}");
        assert!(sa.fast_batches < sa.batches, "{sa:?}");
        assert_eq!(sb.fast_batches, 0);
        assert_eq!(
            (sa.rx, sa.tx, sa.punt, sa.drop, sa.copies, sa.batches),
            (sb.rx, sb.tx, sb.punt, sb.drop, sb.copies, sb.batches)
        );
        assert!(sa.tx > 10_000 && sa.drop > 100 && sa.punt > 10, "{sa:?}");
    }
}
