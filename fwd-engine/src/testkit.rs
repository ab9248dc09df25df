//! A fixed two-port router used by the fuzz target, its seed corpus, and benches: build it with
//! [`Rig::new`], feed bytes with [`Rig::run_fuzz_input`], which checks the graph's invariants.
//!
//! Not used by the forwarding path.

use crate::buffer::{PacketBuf, VecBuf, FLAG_IP4_CSUM_GOOD};
use crate::fib::{Adjacency, Fib, FibConfig, FibWriter, LbKind};
use crate::graph::{error_desc, NoClock, N_ERRORS};
use crate::interface::{interfaces, IfAddr4, IfAddr6, IfWriter, Interface};
use crate::wire::{checksum, MacAddr};
use crate::worker::{Output, Worker, WorkerConfig};
use core::net::{Ipv4Addr, Ipv6Addr};

/// Router MAC of port 1.
pub const R1: MacAddr = MacAddr([2, 0, 0, 0, 1, 1]);
/// Host behind port 1.
pub const H1: MacAddr = MacAddr([2, 0, 0, 0, 1, 0x99]);
/// Router MAC of port 2.
pub const R2: MacAddr = MacAddr([2, 0, 0, 0, 2, 2]);
/// Next hop behind port 2.
pub const H2: MacAddr = MacAddr([2, 0, 0, 0, 2, 0x99]);

/// Ports the fuzz input can address (index by the low 2 bits of a record header).
pub const FUZZ_PORTS: [u32; 4] = [1, 2, 3, 9];

/// The fixture: FIB and interface writers, one worker.
pub struct Rig {
    /// FIB writer.
    pub fib: FibWriter,
    /// Interface writer.
    pub ifs: IfWriter,
    /// The worker.
    pub worker: Worker<VecBuf, NoClock>,
    /// Reused outputs.
    pub out: Output<VecBuf>,
    now: u64,
}

fn l2(dst: MacAddr, src: MacAddr, et: u16) -> Vec<u8> {
    let mut v = dst.0.to_vec();
    v.extend(src.0);
    v.extend(et.to_be_bytes());
    v
}

impl Rig {
    /// Ports 1 (10.0.1.1/24, 2001:db8:1::1/64) and 2 (10.0.2.1/24, 2001:db8:2::1/64), VLAN 100
    /// sub-interface 5 on port 1 (10.0.5.1/24), port 3 admin down; routes of every LB kind,
    /// an ECMP pair, a 30-byte-MTU next hop.
    pub fn new() -> Self {
        let cfg = FibConfig {
            max_vrfs: 4,
            tbl8_groups: 256,
            tbl8_groups6: 1024,
            max_routes4: 1024,
            max_routes6: 1024,
            max_adjacencies: 64,
            max_lbs: 64,
            max_readers: 4,
            ..FibConfig::default()
        };
        let (mut fib, fib_r) = Fib::new(cfg);
        let (mut ifs, if_r) = interfaces();
        let mut p1 = Interface::port(1, R1);
        p1.host_if = 101;
        p1.ip4.push(IfAddr4 {
            addr: Ipv4Addr::new(10, 0, 1, 1),
            prefix_len: 24,
        });
        p1.ip6.push(IfAddr6 {
            addr: Ipv6Addr::new(0x2001, 0xdb8, 1, 0, 0, 0, 0, 1),
            prefix_len: 64,
        });
        let mut p2 = Interface::port(2, R2);
        p2.host_if = 102;
        p2.ip4.push(IfAddr4 {
            addr: Ipv4Addr::new(10, 0, 2, 1),
            prefix_len: 24,
        });
        p2.ip6.push(IfAddr6 {
            addr: Ipv6Addr::new(0x2001, 0xdb8, 2, 0, 0, 0, 0, 1),
            prefix_len: 64,
        });
        let mut s5 = Interface::port(5, R1);
        s5.parent = Some((1, 100));
        s5.ip4.push(IfAddr4 {
            addr: Ipv4Addr::new(10, 0, 5, 1),
            prefix_len: 24,
        });
        let mut p3 = Interface::port(3, MacAddr([2, 0, 0, 0, 3, 3]));
        p3.admin_up = false;
        for i in [p1, p2, s5, p3] {
            // Fixed, valid configuration.
            let _ = ifs.upsert(i);
        }
        ifs.publish();

        let mut adj = |sw: u32, mtu: u16, hdr: Vec<u8>| {
            Adjacency::new(sw, mtu, &hdr)
                .ok()
                .and_then(|a| fib.add_adjacency(a).ok())
                .unwrap_or(u32::MAX)
        };
        let a1 = adj(1, 1500, l2(H1, R1, 0x0800));
        let a2 = adj(2, 1500, l2(H2, R2, 0x0800));
        let a3 = adj(2, 30, l2(H2, R2, 0x0800));
        let a4 = adj(2, 1500, l2(MacAddr([2, 0, 0, 0, 2, 0x98]), R2, 0x0800));
        let a5 = adj(5, 1500, {
            let mut h = l2(H1, R1, 0x8100);
            h.extend([0, 100, 0x08, 0x00]);
            h
        });
        let a61 = adj(1, 1500, l2(H1, R1, 0x86dd));
        let a62 = adj(2, 1280, l2(H2, R2, 0x86dd));
        let a3down = adj(3, 1500, l2(H2, R2, 0x0800));
        let mut lb = |kind: LbKind, b: &[u32], sw: u32| fib.add_lb(kind, b, sw).unwrap_or(0);
        let local = lb(LbKind::Local, &[], 0);
        let punt = lb(LbKind::Punt, &[], 0);
        let drop = lb(LbKind::Drop, &[], 0);
        let glean2 = lb(LbKind::Glean, &[], 2);
        let glean9 = lb(LbKind::Glean, &[], 9);
        let l1 = lb(LbKind::Forward, &[a1], 0);
        let l2_ = lb(LbKind::Forward, &[a2], 0);
        let l3 = lb(LbKind::Forward, &[a3], 0);
        let l5 = lb(LbKind::Forward, &[a5], 0);
        let ecmp = lb(LbKind::Forward, &[a2, a4], 0);
        let l61 = lb(LbKind::Forward, &[a61], 0);
        let l62 = lb(LbKind::Forward, &[a62], 0);
        let ldown = lb(LbKind::Forward, &[a3down], 0);
        let v4 = |a, b, c, d| u32::from(Ipv4Addr::new(a, b, c, d));
        for (p, len, lb) in [
            (v4(10, 0, 1, 1), 32, local),
            (v4(10, 0, 2, 1), 32, local),
            (v4(10, 0, 5, 1), 32, local),
            (v4(10, 0, 1, 0), 24, l1),
            (v4(10, 0, 5, 0), 24, l5),
            (v4(10, 0, 2, 0), 24, glean2),
            (v4(10, 9, 0, 0), 16, glean9),
            (v4(10, 2, 0, 0), 16, l2_),
            (v4(10, 3, 0, 0), 16, l3),
            (v4(10, 4, 0, 0), 16, ldown),
            (v4(198, 51, 100, 0), 24, ecmp),
            (v4(203, 0, 113, 0), 24, punt),
            (v4(192, 0, 2, 0), 24, drop),
        ] {
            let _ = fib.route4_add(0, p, len, lb);
        }
        let v6 = |s: [u16; 8]| {
            u128::from(Ipv6Addr::new(
                s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7],
            ))
        };
        for (p, len, lb) in [
            (v6([0x2001, 0xdb8, 1, 0, 0, 0, 0, 1]), 128, local),
            (v6([0x2001, 0xdb8, 2, 0, 0, 0, 0, 1]), 128, local),
            (v6([0x2001, 0xdb8, 1, 0, 0, 0, 0, 0]), 64, l61),
            (v6([0x2001, 0xdb8, 2, 0, 0, 0, 0, 0]), 64, glean2),
            (v6([0x2001, 0xdb8, 0x99, 0, 0, 0, 0, 0]), 48, l62),
        ] {
            let _ = fib.route6_add(0, p, len, lb);
        }
        let worker = Worker::new(
            WorkerConfig {
                icmp4_burst: 1000,
                icmp6_burst: 1000,
                glean_burst: 1000,
                ..WorkerConfig::default()
            },
            fib_r,
            if_r,
            NoClock,
        );
        Rig {
            fib,
            ifs,
            worker,
            out: Output::new(),
            now: 0,
        }
    }

    /// Decode a fuzz input into received packets. Records: `[hdr: u8][len: u16 LE][bytes]`;
    /// `hdr` bits 0-1 pick the port from [`FUZZ_PORTS`], bit 2 sets "IPv4 checksum verified by
    /// the NIC", bit 3 advances time by one second, bit 4 traces the next 4 packets. A short
    /// last record takes what is left.
    pub fn decode(&mut self, mut data: &[u8]) -> Vec<VecBuf> {
        let mut v = Vec::new();
        while data.len() >= 3 && v.len() < 1024 {
            let hdr = data[0];
            let len = usize::from(u16::from_le_bytes([data[1], data[2]]));
            data = &data[3..];
            let n = len.min(data.len());
            let mut b = VecBuf::from_frame(FUZZ_PORTS[usize::from(hdr & 3)], &data[..n]);
            if hdr & 4 != 0 {
                b.meta_mut().flags |= FLAG_IP4_CSUM_GOOD;
            }
            if hdr & 8 != 0 {
                self.now += 1_000_000_000;
            }
            if hdr & 16 != 0 {
                self.worker.trace_add(4);
            }
            v.push(b);
            data = &data[n..];
        }
        v
    }

    /// Run one fuzz input and check the invariants; `Err` names the violated one.
    ///
    /// - packets in + engine-made copies == transmitted + punted + dropped;
    /// - every dropped packet carries a valid error id whose counter grew by at least the
    ///   number of packets dropped with it; the worker's drop count grew by exactly the drops.
    pub fn run_fuzz_input(&mut self, data: &[u8]) -> Result<(), String> {
        let mut rx = self.decode(data);
        let n = rx.len();
        let before_err = self.worker.error_counters().to_vec();
        let before = self.worker.stats();
        self.out.clear();
        self.worker.process(&mut rx, self.now, &mut self.out);
        let after = self.worker.stats();
        let copies = after.copies - before.copies;
        let out = self.out.tx_count() + self.out.punt.len() + self.out.drop.len();
        if !rx.is_empty() {
            return Err("rx not consumed".into());
        }
        if out as u64 != n as u64 + copies {
            return Err(format!("in {n} + copies {copies} != out {out}"));
        }
        if after.drop - before.drop != self.out.drop.len() as u64 {
            return Err("drop stat mismatch".into());
        }
        let mut per = vec![0u64; N_ERRORS];
        for b in &self.out.drop {
            let e = b.meta().error;
            if error_desc(e).is_none() {
                return Err(format!("dropped with invalid error id {e}"));
            }
            per[usize::from(e)] += 1;
        }
        for (i, &c) in per.iter().enumerate() {
            let grew = self.worker.error_counters()[i] - before_err[i];
            if grew < c {
                return Err(format!(
                    "{} dropped {c} but counted {grew}",
                    crate::graph::error_name(u16::try_from(i).unwrap_or(0))
                ));
            }
        }
        // Trace rendering must not panic either.
        if !self.worker.show_trace().is_empty() {
            self.worker.trace_clear();
        }
        Ok(())
    }
}

impl Default for Rig {
    fn default() -> Self {
        Self::new()
    }
}

/// Encode frames as a fuzz input (`hdr` 0 = port 1).
pub fn encode(frames: &[(u8, Vec<u8>)]) -> Vec<u8> {
    let mut v = Vec::new();
    for (hdr, f) in frames {
        v.push(*hdr);
        let len = u16::try_from(f.len()).unwrap_or(u16::MAX);
        v.extend(len.to_le_bytes());
        v.extend(&f[..usize::from(len)]);
    }
    v
}

fn ipv4(src: [u8; 4], dst: [u8; 4], ttl: u8, proto: u8, df: bool, payload: &[u8]) -> Vec<u8> {
    let mut h = vec![0x45, 0];
    let total = u16::try_from(20 + payload.len()).unwrap_or(u16::MAX);
    h.extend(total.to_be_bytes());
    h.extend([0x12, 0x34, if df { 0x40 } else { 0 }, 0, ttl, proto, 0, 0]);
    h.extend(src);
    h.extend(dst);
    let c = checksum::checksum(&h);
    h[10..12].copy_from_slice(&c.to_be_bytes());
    h.extend(payload);
    h
}

fn ipv6(src: Ipv6Addr, dst: Ipv6Addr, hl: u8, nh: u8, payload: &[u8]) -> Vec<u8> {
    let mut h = vec![0x60, 0, 0, 0];
    h.extend(u16::try_from(payload.len()).unwrap_or(0).to_be_bytes());
    h.extend([nh, hl]);
    h.extend(src.octets());
    h.extend(dst.octets());
    h.extend(payload);
    h
}

/// Representative frames (one per path) as named fuzz seeds.
pub fn seed_corpus() -> Vec<(&'static str, Vec<u8>)> {
    let udp = [0x04, 0xd2, 0x16, 0x2e, 0, 12, 0, 0, b'a', b'b', b'c', b'd'];
    let eth4 = |dst: MacAddr| l2(dst, H1, 0x0800);
    let eth6 = |dst: MacAddr| l2(dst, H1, 0x86dd);
    let h1 = [10, 0, 1, 99];
    let v4f = |dst: [u8; 4], ttl: u8, df: bool| {
        let mut f = eth4(R1);
        f.extend(ipv4(h1, dst, ttl, 17, df, &udp));
        f
    };
    let a6 = |s: &str| s.parse::<Ipv6Addr>().unwrap_or(Ipv6Addr::UNSPECIFIED);
    let v6f = |dst: &str, hl: u8| {
        let mut f = eth6(R1);
        f.extend(ipv6(a6("2001:db8:1::99"), a6(dst), hl, 17, &udp));
        f
    };
    let mut arp = l2(MacAddr::BROADCAST, H1, 0x0806);
    arp.extend([0, 1, 8, 0, 6, 4, 0, 1]);
    arp.extend(H1.0);
    arp.extend(h1);
    arp.extend([0; 6]);
    arp.extend([10, 0, 1, 1]);
    let mut vlan_arp = l2(MacAddr::BROADCAST, H1, 0x8100);
    vlan_arp.extend([0, 100]);
    vlan_arp.extend_from_slice(&arp[12..]);
    let ns = {
        let src = a6("2001:db8:1::99");
        let dst = a6("ff02::1:ff00:1");
        let mut body = vec![135, 0, 0, 0, 0, 0, 0, 0];
        body.extend(a6("2001:db8:1::1").octets());
        body.extend([1, 1]);
        body.extend(H1.0);
        let mut icmp = crate::wire::icmpv6::Packet::new_unchecked(&mut body[..]);
        icmp.fill_checksum(src, dst);
        let mut f = l2(MacAddr([0x33, 0x33, 0xff, 0, 0, 1]), H1, 0x86dd);
        f.extend(ipv6(src, dst, 255, 58, &body));
        f
    };
    vec![
        ("ip4_forward", encode(&[(0, v4f([10, 2, 3, 4], 64, true))])),
        ("ip4_ttl1", encode(&[(0, v4f([10, 2, 3, 4], 1, false))])),
        ("ip4_mtu_df", encode(&[(0, v4f([10, 3, 0, 1], 64, true))])),
        (
            "ip4_ecmp",
            encode(&[(4, v4f([198, 51, 100, 1], 64, false))]),
        ),
        ("ip4_local", encode(&[(0, v4f([10, 0, 1, 1], 1, false))])),
        ("ip4_glean", encode(&[(16, v4f([10, 0, 2, 7], 64, false))])),
        ("ip4_punt", encode(&[(0, v4f([203, 0, 113, 1], 64, false))])),
        ("arp_request", encode(&[(0, arp)])),
        ("arp_vlan", encode(&[(0, vlan_arp)])),
        ("ip6_forward", encode(&[(0, v6f("2001:db8:99::1", 64))])),
        ("ip6_hl1", encode(&[(0, v6f("2001:db8:99::1", 1))])),
        ("ip6_glean", encode(&[(0, v6f("2001:db8:2::7", 64))])),
        ("ip6_ns", encode(&[(16, ns)])),
        (
            "mixed",
            encode(&[
                (0, v4f([10, 2, 3, 4], 64, true)),
                (1, v4f([10, 2, 3, 4], 64, true)),
                (2, v6f("2001:db8:99::1", 64)),
                (8, vec![0xff; 20]),
            ]),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_corpus_passes_invariants() {
        let mut rig = Rig::new();
        for (name, input) in seed_corpus() {
            rig.run_fuzz_input(&input)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
        }
        // The seeds exercise the main paths (not just drops).
        assert!(rig.worker.stats().tx >= 10, "{:?}", rig.worker.stats());
        assert!(rig.worker.stats().punt >= 3);
    }

    #[test]
    fn random_inputs_pass_invariants() {
        // A deterministic sweep of mutated seeds (the fuzz target does this at scale).
        let mut rig = Rig::new();
        let seeds = seed_corpus();
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for round in 0..3000 {
            let (_, s) = &seeds[round % seeds.len()];
            let mut input = s.clone();
            for _ in 0..1 + round % 4 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let at = usize::try_from(x % input.len() as u64).unwrap_or(0);
                input[at] = input[at].wrapping_add(u8::try_from(x >> 56).unwrap_or(1) | 1);
            }
            if let Err(e) = rig.run_fuzz_input(&input) {
                panic!("round {round}: {e}; input {input:02x?}");
            }
        }
    }

    #[test]
    fn write_corpus_when_asked() {
        // `FWD_ENGINE_WRITE_CORPUS=<dir> cargo test -p fwd-engine write_corpus` writes the seeds
        // (scripts/fuzz-smoke.sh does this before fuzzing).
        if let Some(dir) = std::env::var_os("FWD_ENGINE_WRITE_CORPUS") {
            let dir = std::path::PathBuf::from(dir);
            std::fs::create_dir_all(&dir).unwrap();
            for (name, input) in seed_corpus() {
                std::fs::write(dir.join(name), input).unwrap();
            }
        }
    }
}
