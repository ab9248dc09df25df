//! The IPv4 unicast fast path: `ethernet-input -> ip4-input[-no-checksum] -> ip4-lookup
//! [-> ip4-load-balance] -> ip4-rewrite -> interface-output` for a whole frame in three tight
//! passes, DPDK l3fwd style (check and gather the destinations; one batched LPM and the
//! load-balance / adjacency resolution; rewrite).
//!
//! It is all or nothing per frame and is only an optimisation: it first checks, without
//! changing anything, that *every* packet of the frame would take exactly that path through
//! the nodes (untagged, for the receive port's MAC, option-less IPv4 with a valid header,
//! unicast destination, TTL > 1, a forward route with one next hop or ECMP (bucket chosen by
//! ip4-load-balance's flow hash), an adjacency with a 14-byte rewrite, within its MTU, on an
//! up interface). If any packet would not, it returns `false` having written nothing and the
//! frame goes through the graph as usual. If all do, it leaves every buffer, metadata field,
//! destination and counter exactly as the nodes would: per-node `calls` and `packets` advance
//! as for one dispatch of each node visited, no error counter moves (none would). Only the
//! runtime clocks differ in meaning: they are measured per pass and charged to the node owning
//! the pass (ethernet-input: the fused L2 + L3 check pass; ip4-lookup: LPM, load-balance and
//! adjacency resolution; ip4-rewrite: the writing pass, which also queues; ip4-input,
//! ip4-load-balance and interface-output: 0). Traced frames never take it (the trace records
//! every node visited).

use crate::buffer::{PacketBuf, FLAG_IP4_CSUM_GOOD, FLAG_LOCALLY_BUILT};
use crate::fib::{Adjacency, FibView, LbIndex, LbKind};
use crate::graph::{Clock, NodeId, NodeRuntime, FRAME_SIZE, N_NODES};
use crate::interface::IfTable;
use crate::wire::checksum;
use crate::wire::ethernet::HEADER_LEN as ETH_LEN;
use crate::worker::Dest;

/// Ethernet + option-less IPv4 header.
const HDRS: usize = ETH_LEN + 20;

/// Placeholder of the per-packet adjacency array (every entry is set by pass 2).
const UNSET: Adjacency = Adjacency {
    sw_if_index: u32::MAX,
    mtu: 0,
    rewrite_len: 0,
    rewrite: [0; 22],
};

/// Try the fast path on a whole received frame (`pkts.len() <= FRAME_SIZE`, `dest` as long,
/// all `Dest::InGraph`). True: every packet has been forwarded (`dest[i] = Dest::Tx(port)`)
/// and the runtime counters updated. False: nothing was changed.
#[inline(never)]
pub(crate) fn ip4_frame<B: PacketBuf, C: Clock>(
    pkts: &mut [B],
    dest: &mut [Dest],
    fib: &FibView<'_>,
    ifs: &IfTable,
    clock: &C,
    runtime: &mut [NodeRuntime; N_NODES],
) -> bool {
    let n = pkts.len();
    if n == 0 || n > FRAME_SIZE || dest.len() != n {
        return false;
    }
    let t0 = clock.now();

    // Pass 1 (read only): ethernet-input and ip4-input checks; gather destinations and total
    // lengths. Every packet must share the first packet's receive port and checksum flag
    // (otherwise the graph would split the frame between nodes).
    let m0 = *pkts[0].meta();
    let port = m0.rx_port;
    let csum_flag = m0.flags & FLAG_IP4_CSUM_GOOD;
    // Untagged: the receive interface is the port itself (as ethernet-input).
    let Some(rx_if) = ifs.get(port) else {
        return false;
    };
    if !rx_if.admin_up {
        return false;
    }
    let mac = rx_if.mac.0;
    let mut dst = [0u32; FRAME_SIZE];
    let mut tl = [0u16; FRAME_SIZE];
    for ((b, d), t) in pkts.iter().zip(dst.iter_mut()).zip(tl.iter_mut()) {
        let m = b.meta();
        if m.rx_port != port || m.flags & (FLAG_IP4_CSUM_GOOD | FLAG_LOCALLY_BUILT) != csum_flag {
            return false;
        }
        let data = b.data();
        let Some(h) = data
            .get(..HDRS)
            .and_then(|h| <&[u8; HDRS]>::try_from(h).ok())
        else {
            return false;
        };
        let total = u16::from_be_bytes([h[16], h[17]]);
        let da = u32::from_be_bytes([h[30], h[31], h[32], h[33]]);
        let l3_len = data.len() - ETH_LEN;
        // `&` rather than `&&`: one branch for the common case.
        let ok = (h[..6] == mac || h[0] & 1 != 0)
            & (h[12] == 0x08)
            & (h[13] == 0x00)
            & (h[14] == 0x45)
            & (total >= 20)
            & (usize::from(total) <= l3_len)
            // TTL > 1, else ip4-rewrite sends it to ip4-icmp-error.
            & (h[22] > 1)
            // Unicast: not 224/4 nor limited broadcast (those go to ip4-local or drop).
            & (da & 0xf000_0000 != 0xe000_0000)
            & (da != u32::MAX);
        if !ok {
            return false;
        }
        // Header checksum (as `wire::ipv4::Packet::verify_checksum` for 20 bytes: five
        // 32-bit words, folded), here on the fixed-size array: no bounds checks, no call. The
        // ones'-complement sum is byte-order independent (RFC 1071 2.B) and 0xffff is its own
        // byte swap, so the words are read in native order (no byte swaps).
        if csum_flag == 0 {
            let w = |i: usize| u64::from(u32::from_ne_bytes([h[i], h[i + 1], h[i + 2], h[i + 3]]));
            if checksum::fold(w(14) + w(18) + w(22) + w(26) + w(30)) != 0xffff {
                return false;
            }
        }
        *d = da;
        *t = total;
    }
    let t1 = clock.now();

    // Pass 2: one batched LPM for the frame, then the load balance -> adjacency -> transmit
    // port resolution of ip4-lookup / ip4-rewrite / interface-output (read only).
    let mut lbs: [LbIndex; FRAME_SIZE] = [0; FRAME_SIZE];
    fib.lookup4_batch(rx_if.vrf, &dst[..n], &mut lbs[..n]);
    let mut adj_ix = [0u32; FRAME_SIZE];
    let mut tx_port = [0u32; FRAME_SIZE];
    let mut adjs: [&Adjacency; FRAME_SIZE] = [&UNSET; FRAME_SIZE];
    // ECMP packets (ip4-lookup -> ip4-load-balance -> ip4-rewrite): their flow hash.
    let mut ecmp = [false; FRAME_SIZE];
    let mut hash = [0u32; FRAME_SIZE];
    let mut n_ecmp = 0u64;
    // Memo of the last adjacency: its index, itself, its transmit port.
    let mut last: Option<(u32, &Adjacency, u32)> = None;
    // Per-frame memo of single-next-hop load balances (direct mapped by LB index): LB, its
    // adjacency index, the adjacency, the transmit port.
    const MEMO: usize = 64;
    let mut memo: [Option<(LbIndex, u32, &Adjacency, u32)>; MEMO] = [None; MEMO];
    for ((((((b, &lbi), ai), tp), a), (e, h)), &t) in pkts
        .iter()
        .zip(lbs[..n].iter())
        .zip(adj_ix.iter_mut())
        .zip(tx_port.iter_mut())
        .zip(adjs.iter_mut())
        .zip(ecmp.iter_mut().zip(hash.iter_mut()))
        .zip(tl.iter())
    {
        let memo_slot = &mut memo[lbi as usize % MEMO];
        let (ix, adj, p) = match *memo_slot {
            Some((l, ix, adj, p)) if l == lbi => (ix, adj, p),
            _ => {
                let lb = fib.lb(lbi);
                let (ix, single) = match (lb.kind, lb.buckets) {
                    (LbKind::Forward, &[ix]) => (ix, true),
                    (LbKind::Forward, _) => {
                        // As ip4-load-balance: the flow hash of the L3 packet trimmed to its
                        // total length (pass 1 checked 20 <= total <= bytes after Ethernet).
                        let l3 = b
                            .data()
                            .get(ETH_LEN..ETH_LEN + usize::from(t))
                            .unwrap_or(&[]);
                        let fh = super::ip4::flow_hash(l3);
                        let Some(ix) = lb.bucket(fh) else {
                            return false;
                        };
                        *e = true;
                        *h = fh;
                        n_ecmp += 1;
                        (ix, false)
                    }
                    _ => return false,
                };
                let (adj, p) = match last {
                    Some((l, adj, p)) if l == ix => (adj, p),
                    _ => {
                        let Some(adj) = fib.adj_ref(ix) else {
                            return false;
                        };
                        if adj.sw_if_index == u32::MAX || adj.rewrite_len != 14 {
                            return false;
                        }
                        let p = match ifs.get(adj.sw_if_index) {
                            Some(tx_if) if tx_if.admin_up => tx_if.port_index(),
                            _ => return false,
                        };
                        last = Some((ix, adj, p));
                        (adj, p)
                    }
                };
                if single {
                    *memo_slot = Some((lbi, ix, adj, p));
                }
                (ix, adj, p)
            }
        };
        if adj.mtu != 0 && t > adj.mtu {
            return false;
        }
        *ai = ix;
        *tp = p;
        *a = adj;
    }
    let t2 = clock.now();

    // Pass 3: commit. Same end state as the nodes: ethernet-input's metadata, ip4-input's
    // padding trim, the adjacency and transmit interface, TTL decrement with the incremental
    // checksum, the L2 rewrite (14 bytes replacing the 14 stripped: the data window ends where
    // it started), the transmit queue.
    let sw = rx_if.sw_if_index;
    let vrf = rx_if.vrf;
    for ((((((b, d), &ix), &p), a), &t), ((&e, &h), &lbi)) in pkts
        .iter_mut()
        .zip(dest.iter_mut())
        .zip(adj_ix.iter())
        .zip(tx_port.iter())
        .zip(adjs.iter())
        .zip(tl.iter())
        .zip(ecmp.iter().zip(hash.iter()).zip(lbs.iter()))
    {
        let adj = *a;
        let pad = b.len() - ETH_LEN - usize::from(t);
        if pad > 0 {
            b.trim_tail(pad);
        }
        let m = b.meta_mut();
        m.rx_sw_if_index = sw;
        m.vlan = 0;
        m.l2_len = 14;
        m.vrf = vrf;
        m.error = 0;
        m.adj_index = ix;
        if e {
            m.lb_index = lbi;
            m.flow_hash = h;
        }
        m.tx_sw_if_index = adj.sw_if_index;
        if let Some(h) = b
            .data_mut()
            .get_mut(..HDRS)
            .and_then(|h| <&mut [u8; HDRS]>::try_from(h).ok())
        {
            // `wire::ipv4::Packet::decrement_ttl`: the TTL/protocol word and the checksum
            // (RFC 1624 incremental update), each read and written whole.
            let old = u16::from_be_bytes([h[22], h[23]]);
            let new = old.wrapping_sub(0x0100);
            let hc = checksum::update16(u16::from_be_bytes([h[24], h[25]]), old, new);
            h[22..24].copy_from_slice(&new.to_be_bytes());
            h[24..26].copy_from_slice(&hc.to_be_bytes());
            h[..ETH_LEN].copy_from_slice(&adj.rewrite[..ETH_LEN]);
        }
        *d = Dest::Tx(p);
    }
    let t3 = clock.now();

    let ip4_input = if csum_flag != 0 {
        NodeId::Ip4InputNoChecksum
    } else {
        NodeId::Ip4Input
    };
    let pk = n as u64;
    for (node, clocks) in [
        (NodeId::EthernetInput, t1.wrapping_sub(t0)),
        (ip4_input, 0),
        (NodeId::Ip4Lookup, t2.wrapping_sub(t1)),
        (NodeId::Ip4Rewrite, t3.wrapping_sub(t2)),
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
    true
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
