//! Golden byte-array tests: a packet in, the exact bytes out (or the exact drop reason), for
//! every node and the whole IPv4 / IPv6 paths. Expected bytes were computed independently (a
//! small Python script with its own checksum code), not by this crate.

use fwd_engine::buffer::{PacketBuf, VecBuf, FLAG_IP4_CSUM_GOOD};
use fwd_engine::fib::{Adjacency, Fib, FibConfig, FibWriter, LbKind};
use fwd_engine::graph::{error_name, NoClock, NodeId};
use fwd_engine::interface::{interfaces, IfAddr4, IfAddr6, IfWriter, Interface};
use fwd_engine::wire::MacAddr;
use fwd_engine::worker::{ControlEvent, Output, Worker, WorkerConfig};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

// V4_IN (46 bytes)
const V4_IN: &str =
    "02000000010102000000019908004500002012344000401110310a0001630a02030404d2162e000c000061626364";
// V4_OUT (46 bytes)
const V4_OUT: &str =
    "020000000299020000000202080045000020123440003f1111310a0001630a02030404d2162e000c000061626364";
// V4_TTL1_IN (46 bytes)
const V4_TTL1_IN: &str =
    "0200000001010200000001990800450000201234400001114f310a0001630a02030404d2162e000c000061626364";
// V4_TTL1_OUT (74 bytes)
const V4_TTL1_OUT: &str = "02000000019902000000010108004500003c000000004001645e0a0001010a0001630b00152d00000000450000201234400001114f310a0001630a02030404d2162e000c000061626364";
// V4_BIG_IN (46 bytes)
const V4_BIG_IN: &str =
    "02000000010102000000019908004500002012344000401113330a0001630a03000104d2162e000c000061626364";
// V4_BIG_OUT (74 bytes)
const V4_BIG_OUT: &str = "02000000019902000000010108004500003c000000004001645e0a0001010a00016303041d0b0000001e4500002012344000401113330a0001630a03000104d2162e000c000061626364";
// V4_GLEAN_IN (46 bytes)
const V4_GLEAN_IN: &str =
    "02000000010102000000019908004500002012344000401110ea0a0001630a00024d04d2162e000c000061626364";
// V4_GLEAN_OUT (42 bytes)
const V4_GLEAN_OUT: &str =
    "ffffffffffff020000000202080600010800060400010200000002020a0002010000000000000a00024d";
// ARP_REQ_IN (60 bytes)
const ARP_REQ_IN: &str = "ffffffffffff020000000199080600010800060400010200000001990a0001630000000000000a000101000000000000000000000000000000000000";
// ARP_REP_OUT (60 bytes)
const ARP_REP_OUT: &str = "020000000199020000000101080600010800060400020200000001010a0001010200000001990a000163000000000000000000000000000000000000";
// ARP_VLAN_IN (46 bytes)
const ARP_VLAN_IN: &str =
    "ffffffffffff02000000019981000064080600010800060400010200000001990a0005630000000000000a000501";
// ARP_VLAN_OUT (46 bytes)
const ARP_VLAN_OUT: &str =
    "02000000019902000000010181000064080600010800060400020200000001010a0005010200000001990a000563";
// V6_IN (66 bytes)
const V6_IN: &str = "02000000010102000000019986dd60000000000c114020010db800010000000000000000009920010db800990000000000000000000504d2162e000c000061626364";
// V6_OUT (66 bytes)
const V6_OUT: &str = "02000000029902000000020286dd60000000000c113f20010db800010000000000000000009920010db800990000000000000000000504d2162e000c000061626364";
// V6_HL1_IN (66 bytes)
const V6_HL1_IN: &str = "02000000010102000000019986dd60000000000c110120010db800010000000000000000009920010db800990000000000000000000504d2162e000c000061626364";
// V6_HL1_OUT (114 bytes)
const V6_HL1_OUT: &str = "02000000019902000000010186dd60000000003c3a4020010db800010000000000000000000120010db80001000000000000000000990300f2f00000000060000000000c110120010db800010000000000000000009920010db800990000000000000000000504d2162e000c000061626364";
// V6_PTB_IN (1354 bytes)
const V6_PTB_IN: &str = "02000000010102000000019986dd600000000514114020010db800010000000000000000009920010db800980000000000000000000504d2162e05140000000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff000000000000000000000000";
// V6_PTB_OUT (1294 bytes)
const V6_PTB_OUT: &str = "02000000019902000000010186dd6000000004d83a4020010db800010000000000000000000120010db80001000000000000000000990200dab500000500600000000514114020010db800010000000000000000009920010db800980000000000000000000504d2162e05140000000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f";
// NS_IN (86 bytes)
const NS_IN: &str = "3333ff00000102000000019986dd6000000000203aff20010db8000100000000000000000099ff0200000000000000000001ff000001870019f70000000020010db80001000000000000000000010101020000000199";
// NA_OUT (86 bytes)
const NA_OUT: &str = "02000000019902000000010186dd6000000000203aff20010db800010000000000000000000120010db8000100000000000000000099880008d9e000000020010db80001000000000000000000010201020000000101";
// V6_GLEAN_IN (66 bytes)
const V6_GLEAN_IN: &str = "02000000010102000000019986dd60000000000c114020010db800010000000000000000009920010db800020000000000000000007704d2162e000c000061626364";
// V6_GLEAN_OUT (86 bytes)
const V6_GLEAN_OUT: &str = "3333ff00007702000000020286dd6000000000203aff20010db8000200000000000000000001ff0200000000000000000001ff000077870019380000000020010db80002000000000000000000770101020000000202";

const R1: MacAddr = MacAddr([2, 0, 0, 0, 1, 1]);
const H1: MacAddr = MacAddr([2, 0, 0, 0, 1, 0x99]);
const R2: MacAddr = MacAddr([2, 0, 0, 0, 2, 2]);
const H2: MacAddr = MacAddr([2, 0, 0, 0, 2, 0x99]);
const H4: MacAddr = MacAddr([2, 0, 0, 0, 2, 0x98]);

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn l2(dst: MacAddr, src: MacAddr, et: u16) -> Vec<u8> {
    let mut v = dst.0.to_vec();
    v.extend(src.0);
    v.extend(et.to_be_bytes());
    v
}

fn v4(s: &str) -> u32 {
    u32::from(s.parse::<Ipv4Addr>().unwrap())
}

fn v6(s: &str) -> u128 {
    u128::from(s.parse::<Ipv6Addr>().unwrap())
}

struct Rig {
    fib: FibWriter,
    ifs: IfWriter,
    w: Worker<VecBuf, NoClock>,
    out: Output<VecBuf>,
}

fn test_fib() -> FibConfig {
    FibConfig {
        max_vrfs: 4,
        tbl8_groups: 256,
        tbl8_groups6: 1024,
        max_routes4: 1024,
        max_routes6: 1024,
        max_adjacencies: 64,
        max_lbs: 64,
        max_readers: 4,
        ..FibConfig::default()
    }
}

fn rig_with(cfg: WorkerConfig) -> Rig {
    let (mut fib, fib_r) = Fib::new(test_fib());
    let (mut ifs, if_r) = interfaces();
    let mut p1 = Interface::port(1, R1);
    p1.host_if = 101;
    p1.ip4.push(IfAddr4 {
        addr: Ipv4Addr::new(10, 0, 1, 1),
        prefix_len: 24,
    });
    p1.ip6.push(IfAddr6 {
        addr: "2001:db8:1::1".parse().unwrap(),
        prefix_len: 64,
    });
    ifs.upsert(p1).unwrap();
    let mut p2 = Interface::port(2, R2);
    p2.host_if = 102;
    p2.ip4.push(IfAddr4 {
        addr: Ipv4Addr::new(10, 0, 2, 1),
        prefix_len: 24,
    });
    p2.ip6.push(IfAddr6 {
        addr: "2001:db8:2::1".parse().unwrap(),
        prefix_len: 64,
    });
    ifs.upsert(p2).unwrap();
    let mut s5 = Interface::port(5, R1);
    s5.parent = Some((1, 100));
    s5.host_if = 105;
    s5.ip4.push(IfAddr4 {
        addr: Ipv4Addr::new(10, 0, 5, 1),
        prefix_len: 24,
    });
    ifs.upsert(s5).unwrap();
    let mut p4 = Interface::port(4, MacAddr([2, 0, 0, 0, 4, 4]));
    p4.vrf = 1;
    ifs.upsert(p4).unwrap();
    let mut p3 = Interface::port(3, MacAddr([2, 0, 0, 0, 3, 3]));
    p3.admin_up = false;
    ifs.upsert(p3).unwrap();
    ifs.publish();

    let adj = |fib: &mut FibWriter, sw: u32, mtu: u16, hdr: Vec<u8>| {
        fib.add_adjacency(Adjacency::new(sw, mtu, &hdr).unwrap())
            .unwrap()
    };
    let a1 = adj(&mut fib, 1, 1500, l2(H1, R1, 0x0800));
    let a2 = adj(&mut fib, 2, 1500, l2(H2, R2, 0x0800));
    let a3 = adj(&mut fib, 2, 30, l2(H2, R2, 0x0800));
    let a4 = adj(&mut fib, 2, 1500, l2(H4, R2, 0x0800));
    let a61 = adj(&mut fib, 1, 1500, l2(H1, R1, 0x86dd));
    let a62 = adj(&mut fib, 2, 1500, l2(H2, R2, 0x86dd));
    let a63 = adj(&mut fib, 2, 1280, l2(H2, R2, 0x86dd));
    let a3down = adj(&mut fib, 3, 1500, l2(H2, R2, 0x0800));
    let fwd = |fib: &mut FibWriter, b: &[u32]| fib.add_lb(LbKind::Forward, b, 0).unwrap();
    let local = fib.add_lb(LbKind::Local, &[], 0).unwrap();
    let punt = fib.add_lb(LbKind::Punt, &[], 0).unwrap();
    let drop = fib.add_lb(LbKind::Drop, &[], 0).unwrap();
    let glean2 = fib.add_lb(LbKind::Glean, &[], 2).unwrap();
    let l1 = fwd(&mut fib, &[a1]);
    let l2_ = fwd(&mut fib, &[a2]);
    let l3 = fwd(&mut fib, &[a3]);
    let ecmp = fwd(&mut fib, &[a2, a4]);
    let l61 = fwd(&mut fib, &[a61]);
    let l62 = fwd(&mut fib, &[a62]);
    let l63 = fwd(&mut fib, &[a63]);
    let ldown = fwd(&mut fib, &[a3down]);
    let a64 = adj(&mut fib, 2, 1500, l2(H4, R2, 0x86dd));
    let ecmp6 = fwd(&mut fib, &[a62, a64]);
    let mut tagged = l2(H1, R1, 0x8100);
    tagged.extend([0x00, 100, 0x08, 0x00]);
    let a5 = adj(&mut fib, 5, 1500, tagged);
    let l5 = fwd(&mut fib, &[a5]);
    for (p, len, lb) in [
        ("10.0.1.1", 32, local),
        ("10.0.2.1", 32, local),
        ("10.0.5.1", 32, local),
        ("10.0.1.99", 32, l1),
        ("10.0.5.99", 32, l5),
        ("10.0.2.0", 24, glean2),
        ("10.2.0.0", 16, l2_),
        ("10.3.0.0", 16, l3),
        ("10.4.0.0", 16, ldown),
        ("198.51.100.0", 24, ecmp),
        ("203.0.113.0", 24, punt),
        ("192.0.2.0", 24, drop),
    ] {
        fib.route4_add(0, v4(p), len, lb).unwrap();
    }
    for (p, len, lb) in [
        ("2001:db8:1::1", 128, local),
        ("2001:db8:2::1", 128, local),
        ("2001:db8:1::99", 128, l61),
        ("2001:db8:2::", 64, glean2),
        ("2001:db8:99::", 48, l62),
        ("2001:db8:98::", 48, l63),
        ("2001:db8:97::", 48, ecmp6),
    ] {
        fib.route6_add(0, v6(p), len, lb).unwrap();
    }
    fib.add_vrf(1).unwrap();
    fib.route4_add(1, v4("10.2.0.0"), 16, l1).unwrap();
    let w = Worker::new(cfg, fib_r, if_r, NoClock);
    Rig {
        fib,
        ifs,
        w,
        out: Output::new(),
    }
}

fn rig() -> Rig {
    rig_with(WorkerConfig::default())
}

impl Rig {
    fn send(&mut self, port: u32, frames: &[&[u8]]) {
        self.send_at(port, frames, 0);
    }
    fn send_at(&mut self, port: u32, frames: &[&[u8]], now: u64) {
        self.out.clear();
        let mut rx: Vec<VecBuf> = frames.iter().map(|f| VecBuf::from_frame(port, f)).collect();
        let n = rx.len();
        let before = self.w.stats();
        self.w.process(&mut rx, now, &mut self.out);
        assert!(rx.is_empty());
        // Conservation: every packet (and every engine-made copy) ends somewhere exactly once.
        let s = self.w.stats();
        let copies = s.copies - before.copies;
        assert_eq!(
            self.out.tx_count() + self.out.punt.len() + self.out.drop.len(),
            n + usize::try_from(copies).unwrap()
        );
    }
    fn tx(&self, port: usize) -> Vec<Vec<u8>> {
        self.out
            .tx
            .get(port)
            .map_or(vec![], |q| q.iter().map(|b| b.data().to_vec()).collect())
    }
    fn only_tx(&self, port: usize) -> Vec<u8> {
        assert_eq!(self.out.tx_count(), 1, "drops: {:?}", self.drop_reasons());
        let t = self.tx(port);
        assert_eq!(t.len(), 1);
        t[0].clone()
    }
    fn drop_reasons(&self) -> Vec<String> {
        self.out
            .drop
            .iter()
            .map(|b| error_name(b.meta().error))
            .collect()
    }
    fn only_drop(&self) -> String {
        assert_eq!(self.out.tx_count() + self.out.punt.len(), 0);
        let d = self.drop_reasons();
        assert_eq!(d.len(), 1);
        d[0].clone()
    }
}

// ---- IPv4 path -----------------------------------------------------------------------------

#[test]
fn ip4_forward_exact_bytes() {
    let mut r = rig();
    r.send(1, &[&hex(V4_IN)]);
    assert_eq!(r.only_tx(2), hex(V4_OUT));
    let out = &r.out.tx[2][0];
    assert_eq!(out.meta().tx_sw_if_index, 2);
    assert_eq!(out.meta().rx_sw_if_index, 1);
}

#[test]
fn ip4_nic_verified_checksum_takes_no_checksum_variant() {
    let mut r = rig();
    // A wrong checksum is not seen when the NIC says it verified it ...
    let mut bad = hex(V4_IN);
    bad[24] ^= 0xff;
    r.out.clear();
    let mut b = VecBuf::from_frame(1, &bad);
    b.meta_mut().flags |= FLAG_IP4_CSUM_GOOD;
    let mut rx = vec![b];
    r.w.process(&mut rx, 0, &mut r.out);
    assert_eq!(r.out.tx_count(), 1);
    assert_eq!(r.w.runtime()[NodeId::Ip4InputNoChecksum.index()].packets, 1);
    assert_eq!(r.w.runtime()[NodeId::Ip4Input.index()].packets, 0);
    // ... and is dropped by ip4-input otherwise.
    r.send(1, &[&bad]);
    assert_eq!(r.only_drop(), "ip4-input/checksum");
}

#[test]
fn ip4_input_drop_reasons() {
    let good = hex(V4_IN);
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (good[..14 + 19].to_vec(), "ip4-input/too_short"),
        (
            {
                let mut v = good.clone();
                v[14] = 0x65;
                v
            },
            "ip4-input/version",
        ),
        (
            {
                let mut v = good.clone();
                v[14] = 0x44;
                v
            },
            "ip4-input/header_length",
        ),
        (
            {
                let mut v = good.clone();
                v[14] = 0x4f;
                v
            },
            "ip4-input/too_short",
        ),
        (
            {
                let mut v = good.clone();
                v[17] = 19;
                v
            },
            "ip4-input/bad_length",
        ),
        (
            {
                let mut v = good.clone();
                v[17] = 33;
                v
            },
            "ip4-input/truncated",
        ),
        (
            {
                let mut v = good.clone();
                v[25] ^= 1;
                v
            },
            "ip4-input/checksum",
        ),
    ];
    let mut r = rig();
    for (pkt, want) in cases {
        r.send(1, &[&pkt]);
        assert_eq!(r.only_drop(), want);
    }
    assert_eq!(r.w.error_count(NodeId::Ip4Input, 0), 2);
}

#[test]
fn ip4_ethernet_padding_is_trimmed() {
    let mut r = rig();
    let mut padded = hex(V4_IN);
    padded.extend([0u8; 14]);
    r.send(1, &[&padded]);
    assert_eq!(r.only_tx(2), hex(V4_OUT));
}

#[test]
fn ip4_ttl_expired_sends_time_exceeded_exact_bytes() {
    let mut r = rig();
    r.send(1, &[&hex(V4_TTL1_IN)]);
    assert_eq!(r.only_tx(1), hex(V4_TTL1_OUT));
    assert_eq!(r.w.error_count(NodeId::Ip4Rewrite, 0), 1);
    assert_eq!(r.w.error_count(NodeId::Ip4IcmpError, 0), 1);
}

#[test]
fn ip4_mtu_df_sends_frag_needed_exact_bytes_and_no_df_drops() {
    let mut r = rig();
    r.send(1, &[&hex(V4_BIG_IN)]);
    assert_eq!(r.only_tx(1), hex(V4_BIG_OUT));
    // Without DF: dropped (the router does not fragment). Clear DF, fix the checksum.
    let mut nodf = hex(V4_BIG_IN);
    nodf[20] = 0;
    let c = u16::from_be_bytes([nodf[24], nodf[25]]);
    let c = fwd_engine::wire::checksum::update16(c, 0x4000, 0);
    nodf[24..26].copy_from_slice(&c.to_be_bytes());
    r.send(1, &[&nodf]);
    assert_eq!(r.only_drop(), "ip4-rewrite/mtu_exceeded");
}

#[test]
fn ip4_icmp_errors_are_rate_limited() {
    let cfg = WorkerConfig {
        icmp4_rate: 1,
        icmp4_burst: 2,
        ..WorkerConfig::default()
    };
    let mut r = rig_with(cfg);
    let p = hex(V4_TTL1_IN);
    r.send_at(1, &[&p, &p, &p], 1_000);
    assert_eq!(r.tx(1).len(), 2);
    assert_eq!(r.drop_reasons(), vec!["ip4-icmp-error/rate_limited"]);
    // One second later one more token.
    r.send_at(1, &[&p, &p], 1_000_001_000);
    assert_eq!(r.tx(1).len(), 1);
    assert_eq!(r.drop_reasons(), vec!["ip4-icmp-error/rate_limited"]);
}

#[test]
fn ip4_no_error_for_icmp_errors() {
    let mut r = rig();
    // The time-exceeded we generate, sent back in with TTL 1 towards 10.2.3.4, gets no error.
    let mut p = hex(V4_TTL1_OUT);
    p[0..6].copy_from_slice(&R1.0);
    p[6..12].copy_from_slice(&H1.0);
    // src 10.0.1.99 dst 10.2.3.4 ttl 1 (checksum recomputed).
    p[14 + 8] = 1;
    p[14 + 12..14 + 16].copy_from_slice(&[10, 0, 1, 99]);
    p[14 + 16..14 + 20].copy_from_slice(&[10, 2, 3, 4]);
    p[24] = 0;
    p[25] = 0;
    let c = fwd_engine::wire::checksum::checksum(&p[14..34]);
    p[24..26].copy_from_slice(&c.to_be_bytes());
    r.send(1, &[&p]);
    assert_eq!(r.only_drop(), "ip4-icmp-error/not_eligible");
}

#[test]
fn ip4_local_punts_original_frame_to_host_if() {
    let mut r = rig();
    let mut p = hex(V4_IN);
    p[14 + 16..14 + 20].copy_from_slice(&[10, 0, 1, 1]);
    // TTL 1 to us is still delivered (eBGP).
    p[14 + 8] = 1;
    p[24] = 0;
    p[25] = 0;
    let c = fwd_engine::wire::checksum::checksum(&p[14..34]);
    p[24..26].copy_from_slice(&c.to_be_bytes());
    r.send(1, &[&p]);
    assert_eq!(r.out.punt.len(), 1);
    assert_eq!(r.out.punt[0].data(), &p[..]);
    assert_eq!(r.out.punt[0].meta().tx_sw_if_index, 101);
    assert_eq!(error_name(r.out.punt[0].meta().error), "ip4-local/local");
}

#[test]
fn ip4_lookup_drop_punt_and_down_interface() {
    let mut r = rig();
    let with_dst = |d: [u8; 4]| {
        let mut p = hex(V4_IN);
        p[14 + 16..14 + 20].copy_from_slice(&d);
        p[24] = 0;
        p[25] = 0;
        let c = fwd_engine::wire::checksum::checksum(&p[14..34]);
        p[24..26].copy_from_slice(&c.to_be_bytes());
        p
    };
    r.send(1, &[&with_dst([192, 0, 2, 1])]);
    assert_eq!(r.only_drop(), "ip4-lookup/no_route");
    r.send(1, &[&with_dst([8, 8, 8, 8])]);
    assert_eq!(r.only_drop(), "ip4-lookup/no_route");
    r.send(1, &[&with_dst([10, 4, 0, 1])]);
    assert_eq!(r.only_drop(), "interface-output/interface_down");
    let p = with_dst([203, 0, 113, 9]);
    r.send(1, &[&p]);
    assert_eq!(r.out.punt.len(), 1);
    assert_eq!(r.out.punt[0].data(), &p[..]);
    assert_eq!(
        error_name(r.out.punt[0].meta().error),
        "ip4-lookup/punt_route"
    );
}

#[test]
fn ip4_ecmp_is_stable_per_flow_and_spreads() {
    let mut r = rig();
    let mut seen = std::collections::HashMap::new();
    for sport in 0u16..64 {
        let mut p = hex(V4_IN);
        p[14 + 16..14 + 20].copy_from_slice(&[198, 51, 100, 7]);
        p[24] = 0;
        p[25] = 0;
        let c = fwd_engine::wire::checksum::checksum(&p[14..34]);
        p[24..26].copy_from_slice(&c.to_be_bytes());
        p[34..36].copy_from_slice(&sport.to_be_bytes());
        let mut macs = vec![];
        for _ in 0..3 {
            r.send(1, &[&p]);
            let o = r.only_tx(2);
            macs.push(o[..6].to_vec());
            // The rest of the packet is the same whichever next hop.
            assert_eq!(&o[6..12], &R2.0);
        }
        assert!(
            macs.windows(2).all(|w| w[0] == w[1]),
            "flow moved between next hops"
        );
        *seen.entry(macs[0].clone()).or_insert(0) += 1;
    }
    assert_eq!(seen.len(), 2, "both ECMP members used: {seen:?}");
    assert!(seen.values().all(|&n| n >= 16), "{seen:?}");
    assert!(seen.contains_key(H2.0.as_slice()) && seen.contains_key(H4.0.as_slice()));
}

#[test]
fn glean_v4_sends_arp_request_and_drops_packet() {
    let mut r = rig();
    r.send(1, &[&hex(V4_GLEAN_IN)]);
    assert_eq!(r.only_tx(2), hex(V4_GLEAN_OUT));
    assert_eq!(
        r.out.events,
        vec![ControlEvent::ResolveRequest {
            sw_if_index: 2,
            ip: IpAddr::V4(Ipv4Addr::new(10, 0, 2, 77))
        }]
    );
    assert_eq!(r.w.error_count(NodeId::Glean, 0), 1);
}

#[test]
fn glean_is_rate_limited() {
    let cfg = WorkerConfig {
        glean_rate: 1,
        glean_burst: 1,
        ..WorkerConfig::default()
    };
    let mut r = rig_with(cfg);
    let p = hex(V4_GLEAN_IN);
    r.send(1, &[&p, &p]);
    assert_eq!(r.tx(2).len(), 1);
    assert_eq!(r.drop_reasons(), vec!["glean/rate_limited"]);
}

// ---- ethernet-input / ARP / VLAN -----------------------------------------------------------

#[test]
fn ethernet_input_drop_reasons() {
    let mut r = rig();
    let good = hex(V4_IN);
    r.send(1, &[&good[..13]]);
    assert_eq!(r.only_drop(), "ethernet-input/too_short");
    let mut p = good.clone();
    p[12..14].copy_from_slice(&[0x88, 0xcc]);
    r.send(1, &[&p]);
    assert_eq!(r.only_drop(), "ethernet-input/unknown_ethertype");
    let mut p = good.clone();
    p[5] = 0x55;
    r.send(1, &[&p]);
    assert_eq!(r.only_drop(), "ethernet-input/l3_mac_mismatch");
    r.send(3, &[&good]);
    assert_eq!(r.only_drop(), "ethernet-input/interface_down");
    r.send(9, &[&good]);
    assert_eq!(r.only_drop(), "ethernet-input/unknown_interface");
    let mut tagged = hex(ARP_VLAN_IN);
    tagged[15] = 101;
    r.send(1, &[&tagged]);
    assert_eq!(r.only_drop(), "ethernet-input/unknown_vlan");
}

#[test]
fn arp_request_for_us_answered_learned_and_copied() {
    let mut r = rig();
    let req = hex(ARP_REQ_IN);
    r.send(1, &[&req]);
    assert_eq!(r.tx(1), vec![hex(ARP_REP_OUT)]);
    assert_eq!(r.out.punt.len(), 1);
    assert_eq!(r.out.punt[0].data(), &req[..]);
    assert_eq!(r.out.punt[0].meta().tx_sw_if_index, 101);
    assert_eq!(
        error_name(r.out.punt[0].meta().error),
        "arp-input/punt_request_copy"
    );
    assert_eq!(
        r.out.events,
        vec![ControlEvent::NeighborLearned {
            sw_if_index: 1,
            ip: IpAddr::V4(Ipv4Addr::new(10, 0, 1, 99)),
            mac: H1
        }]
    );
}

#[test]
fn arp_on_vlan_subinterface_answered_tagged() {
    let mut r = rig();
    r.send(1, &[&hex(ARP_VLAN_IN)]);
    assert_eq!(r.tx(1), vec![hex(ARP_VLAN_OUT)]);
    assert_eq!(r.out.punt.len(), 1);
    assert_eq!(r.out.punt[0].meta().tx_sw_if_index, 105);
}

#[test]
fn arp_not_for_us_reply_and_malformed() {
    let mut r = rig();
    let mut req = hex(ARP_REQ_IN);
    req[41] = 50; // target 10.0.1.50
    r.send(1, &[&req]);
    assert_eq!(r.only_drop(), "arp-input/not_for_us");
    let mut rep = hex(ARP_REQ_IN);
    rep[21] = 2; // a reply for 10.0.1.1
    r.send(1, &[&rep]);
    assert_eq!(r.out.punt.len(), 1);
    assert_eq!(
        error_name(r.out.punt[0].meta().error),
        "arp-input/punt_reply"
    );
    assert_eq!(r.out.events.len(), 1);
    let mut bad = hex(ARP_REQ_IN);
    bad[18] = 16; // hlen
    r.send(1, &[&bad]);
    assert_eq!(r.only_drop(), "arp-input/malformed");
    r.send(1, &[&hex(ARP_REQ_IN)[..14 + 27]]);
    assert_eq!(r.only_drop(), "arp-input/malformed");
}

// ---- IPv6 ----------------------------------------------------------------------------------

#[test]
fn ip6_forward_exact_bytes() {
    let mut r = rig();
    r.send(1, &[&hex(V6_IN)]);
    assert_eq!(r.only_tx(2), hex(V6_OUT));
}

#[test]
fn ip6_hop_limit_sends_time_exceeded_exact_bytes() {
    let mut r = rig();
    r.send(1, &[&hex(V6_HL1_IN)]);
    assert_eq!(r.only_tx(1), hex(V6_HL1_OUT));
}

#[test]
fn ip6_packet_too_big_exact_bytes() {
    let mut r = rig();
    r.out.clear();
    let mut rx = vec![VecBuf::with_room(1, &hex(V6_PTB_IN), 128, 64)];
    r.w.process(&mut rx, 0, &mut r.out);
    assert_eq!(r.only_tx(1), hex(V6_PTB_OUT));
}

#[test]
fn ip6_input_drop_reasons() {
    let mut r = rig();
    let good = hex(V6_IN);
    r.send(1, &[&good[..14 + 39]]);
    assert_eq!(r.only_drop(), "ip6-input/too_short");
    let mut p = good.clone();
    p[14] = 0x40;
    r.send(1, &[&p]);
    assert_eq!(r.only_drop(), "ip6-input/version");
    let mut p = good.clone();
    p[19] = 13;
    r.send(1, &[&p]);
    assert_eq!(r.only_drop(), "ip6-input/truncated");
    let mut p = good.clone();
    p[14 + 8] = 0xff;
    r.send(1, &[&p]);
    assert_eq!(r.only_drop(), "ip6-input/src_multicast");
    let mut p = good.clone();
    p[14 + 24 + 5] = 0x77; // 2001:db8:77::5, no route
    r.send(1, &[&p]);
    assert_eq!(r.only_drop(), "ip6-lookup/no_route");
}

#[test]
fn ip6_ns_for_us_answered_with_na_exact_bytes() {
    let mut r = rig();
    let ns = hex(NS_IN);
    r.send(1, &[&ns]);
    assert_eq!(r.tx(1), vec![hex(NA_OUT)]);
    assert_eq!(r.out.punt.len(), 1);
    assert_eq!(r.out.punt[0].data(), &ns[..]);
    assert_eq!(
        error_name(r.out.punt[0].meta().error),
        "ip6-local/ns_punt_copy"
    );
    assert_eq!(
        r.out.events,
        vec![ControlEvent::NeighborLearned {
            sw_if_index: 1,
            ip: IpAddr::V6("2001:db8:1::99".parse().unwrap()),
            mac: H1
        }]
    );
}

#[test]
fn ip6_nd_validation() {
    let mut r = rig();
    let mut ns = hex(NS_IN);
    ns[14 + 7] = 64; // hop limit must be 255
    r.send(1, &[&ns]);
    assert_eq!(r.only_drop(), "ip6-local/nd_malformed");
    let mut ns = hex(NS_IN);
    ns[14 + 40 + 2] ^= 1; // checksum
    r.send(1, &[&ns]);
    assert_eq!(r.only_drop(), "ip6-local/nd_malformed");
    let mut ns = hex(NS_IN);
    // Target 2001:db8:1::2: not ours (checksum adjusted: +1 in the last word).
    ns[14 + 40 + 8 + 15] = 2;
    let c = u16::from_be_bytes([ns[14 + 42], ns[14 + 43]]);
    let c = fwd_engine::wire::checksum::update16(c, 1, 2);
    ns[14 + 42..14 + 44].copy_from_slice(&c.to_be_bytes());
    r.send(1, &[&ns]);
    assert_eq!(r.out.tx_count() + r.out.drop.len(), 0);
    assert_eq!(r.out.punt.len(), 1);
    assert_eq!(r.out.punt[0].data(), &ns[..]);
    assert_eq!(
        error_name(r.out.punt[0].meta().error),
        "ip6-local/ns_other_target"
    );
}

#[test]
fn ip6_local_and_multicast_punted() {
    let mut r = rig();
    let mut p = hex(V6_IN);
    // dst 2001:db8:1::1 (ours)
    let ours: Ipv6Addr = "2001:db8:1::1".parse().unwrap();
    p[14 + 24..14 + 40].copy_from_slice(&ours.octets());
    r.send(1, &[&p]);
    assert_eq!(r.out.punt.len(), 1);
    assert_eq!(r.out.punt[0].data(), &p[..]);
    assert_eq!(error_name(r.out.punt[0].meta().error), "ip6-local/local");
    let mut m = hex(V6_IN);
    m[0..6].copy_from_slice(&[0x33, 0x33, 0, 0, 0, 1]);
    let all: Ipv6Addr = "ff02::1".parse().unwrap();
    m[14 + 24..14 + 40].copy_from_slice(&all.octets());
    r.send(1, &[&m]);
    assert_eq!(r.out.punt.len(), 1);
    assert_eq!(r.out.punt[0].meta().tx_sw_if_index, 101);
}

#[test]
fn glean_v6_sends_ns_exact_bytes() {
    let mut r = rig();
    r.send(1, &[&hex(V6_GLEAN_IN)]);
    assert_eq!(r.only_tx(2), hex(V6_GLEAN_OUT));
}

// ---- graph machinery -----------------------------------------------------------------------

#[test]
fn mixed_frame_and_large_bursts_conserve_packets() {
    let mut r = rig();
    let all = [
        hex(V4_IN),
        hex(V4_TTL1_IN),
        hex(V4_GLEAN_IN),
        hex(ARP_REQ_IN),
        hex(V6_IN),
        hex(NS_IN),
        hex(V6_HL1_IN),
        vec![1, 2, 3],
    ];
    let frames: Vec<&[u8]> = (0..700).map(|i| all[i % all.len()].as_slice()).collect();
    r.send(1, &frames);
    // 700 packets in 3 batches; per 8: 4 forwarded/answered to port 2 or 1 ...
    assert!(r.out.tx_count() > 300);
    let runtime = r.w.runtime();
    assert_eq!(runtime[NodeId::EthernetInput.index()].packets, 700);
    assert_eq!(runtime[NodeId::EthernetInput.index()].calls, 3);
}

#[test]
fn trace_follows_packets_through_nodes() {
    let mut r = rig();
    r.w.trace_add(2);
    r.send(1, &[&hex(V4_IN), &hex(V4_TTL1_IN), &hex(V4_IN)]);
    let t = r.w.show_trace();
    assert!(
        t.contains("Packet 1") && t.contains("Packet 2") && !t.contains("Packet 3"),
        "{t}"
    );
    for node in [
        "ethernet-input: len 46 rx 1 -> ip4-input",
        "ip4-input: len 32 rx 1 -> ip4-lookup",
        "ip4-lookup: len 32 rx 1 -> ip4-rewrite",
        "ip4-rewrite: len 32 rx 1 -> interface-output",
        "interface-output: len 46 rx 1 tx 2",
        "ip4-rewrite: len 32 rx 1 -> ip4-icmp-error",
        "ip4-icmp-error",
        "IPv4 10.0.1.99 -> 10.2.3.4 udp ttl 64 len 32",
        "IPv4 10.0.1.1 -> 10.0.1.99 icmp ttl 64 len 60 TimeExceeded code 0",
    ] {
        assert!(t.contains(node), "missing {node:?} in\n{t}");
    }
}

#[test]
fn show_runtime_and_errors_render() {
    let mut r = rig();
    r.send(1, &[&hex(V4_IN), &hex(V4_IN)[..20]]);
    let rt = r.w.show_runtime();
    assert!(
        rt.contains("ethernet-input") && rt.contains("ip4-rewrite"),
        "{rt}"
    );
    let er = r.w.show_errors();
    assert!(er.contains("shorter than the IPv4 header"), "{er}");
    let js = fwd_engine::graph::show::errors_json(r.w.error_counters());
    assert!(
        js.contains("\"name\":\"too_short\"") && js.contains("\"count\":1"),
        "{js}"
    );
    let js = fwd_engine::graph::show::runtime_json(r.w.runtime());
    assert!(
        js.starts_with("[{\"node\":\"ethernet-input\",\"calls\":1,\"vectors\":2"),
        "{js}"
    );
}

#[test]
fn table_updates_are_seen_by_the_next_batch() {
    let mut r = rig();
    r.send(1, &[&hex(V4_IN)]);
    assert_eq!(r.out.tx_count(), 1);
    r.ifs.modify(2, |i| i.admin_up = false).unwrap();
    r.ifs.publish();
    r.send(1, &[&hex(V4_IN)]);
    assert_eq!(r.only_drop(), "interface-output/interface_down");
    r.ifs.modify(2, |i| i.admin_up = true).unwrap();
    r.ifs.publish();
    r.fib.route4_del(0, v4("10.2.0.0"), 16).unwrap();
    r.send(1, &[&hex(V4_IN)]);
    assert_eq!(r.only_drop(), "ip4-lookup/no_route");
}

#[test]
fn ip4_forward_out_of_vlan_subinterface_is_tagged() {
    let mut r = rig();
    let mut p = hex(V4_IN);
    p[14 + 16..14 + 20].copy_from_slice(&[10, 0, 5, 99]);
    p[24] = 0;
    p[25] = 0;
    let c = fwd_engine::wire::checksum::checksum(&p[14..34]);
    p[24..26].copy_from_slice(&c.to_be_bytes());
    r.send(
        2,
        &[&{
            let mut q = p.clone();
            q[0..6].copy_from_slice(&R2.0);
            q
        }],
    );
    // Out of port 1 (the parent of sub-interface 5) with tag 100 and TTL 63.
    let o = r.only_tx(1);
    let mut want = l2(H1, R1, 0x8100);
    want.extend([0x00, 100, 0x08, 0x00]);
    let mut ip = p[14..].to_vec();
    ip[8] = 63;
    let c = u16::from_be_bytes([ip[10], ip[11]]);
    let c = fwd_engine::wire::checksum::update16(c, 0x4011, 0x3f11);
    ip[10..12].copy_from_slice(&c.to_be_bytes());
    want.extend(ip);
    assert_eq!(o, want);
    assert_eq!(r.out.tx[1][0].meta().tx_sw_if_index, 5);
}

#[test]
fn ip6_ecmp_is_stable_per_flow_and_spreads() {
    let mut r = rig();
    let mut seen = std::collections::HashSet::new();
    for sport in 0u16..32 {
        let mut p = hex(V6_IN);
        p[14 + 24 + 5] = 0x97; // 2001:db8:97::5
        p[54..56].copy_from_slice(&sport.to_be_bytes());
        r.send(1, &[&p]);
        let a = r.only_tx(2);
        r.send(1, &[&p]);
        assert_eq!(r.only_tx(2), a);
        // Hop limit decremented, nothing else changed but the L2 header.
        assert_eq!(a[14 + 7], 63);
        assert_eq!(&a[14 + 8..], &p[14 + 8..]);
        seen.insert(a[..6].to_vec());
    }
    assert_eq!(seen.len(), 2);
}

#[test]
fn interface_table_errors_are_precise() {
    let (mut w, _r) = interfaces();
    let mut s = Interface::port(7, R1);
    s.parent = Some((1, 100));
    assert_eq!(
        w.upsert(s.clone()),
        Err(fwd_engine::interface::IfError::BadParent(1))
    );
    w.upsert(Interface::port(1, R1)).unwrap();
    s.parent = Some((1, 0));
    assert_eq!(
        w.upsert(s.clone()),
        Err(fwd_engine::interface::IfError::BadVlan(0))
    );
    assert_eq!(
        w.upsert(Interface::port(5000, R1)),
        Err(fwd_engine::interface::IfError::IndexTooLarge(5000))
    );
}

#[test]
fn mixed_vrf_frame_uses_each_packets_vrf() {
    let mut r = rig();
    let mut in_vrf1 = hex(V4_IN);
    in_vrf1[0..6].copy_from_slice(&[2, 0, 0, 0, 4, 4]);
    r.out.clear();
    let mut rx = vec![
        VecBuf::from_frame(1, &hex(V4_IN)),
        VecBuf::from_frame(4, &in_vrf1),
        VecBuf::from_frame(1, &hex(V4_IN)),
    ];
    r.w.process(&mut rx, 0, &mut r.out);
    // VRF 0: 10.2.0.0/16 via port 2; VRF 1: the same prefix via port 1.
    assert_eq!(r.tx(2), vec![hex(V4_OUT), hex(V4_OUT)]);
    let t1 = r.tx(1);
    assert_eq!(t1.len(), 1);
    assert_eq!(&t1[0][..6], &H1.0);
    assert_eq!(&t1[0][14..], &hex(V4_OUT)[14..]);
}

#[test]
fn ip4_broadcast_and_link_local_multicast_punted_other_multicast_dropped() {
    let mut r = rig();
    let with_dst = |d: [u8; 4]| {
        let mut p = hex(V4_IN);
        p[0..6].copy_from_slice(&[0x01, 0x00, 0x5e, 0, 0, 5]);
        p[14 + 16..14 + 20].copy_from_slice(&d);
        p[24] = 0;
        p[25] = 0;
        let c = fwd_engine::wire::checksum::checksum(&p[14..34]);
        p[24..26].copy_from_slice(&c.to_be_bytes());
        p
    };
    for d in [[224, 0, 0, 5], [255, 255, 255, 255]] {
        let p = with_dst(d);
        r.send(1, &[&p]);
        assert_eq!(r.out.punt.len(), 1);
        assert_eq!(r.out.punt[0].data(), &p[..]);
        assert_eq!(error_name(r.out.punt[0].meta().error), "ip4-local/local");
    }
    r.send(1, &[&with_dst([239, 1, 1, 1])]);
    assert_eq!(r.only_drop(), "ip4-input/multicast");
}

#[test]
fn punts_are_policed() {
    let cfg = WorkerConfig {
        punt_rate: 1,
        punt_burst: 2,
        ..WorkerConfig::default()
    };
    let mut r = rig_with(cfg);
    let mut p = hex(V4_IN);
    p[14 + 16..14 + 20].copy_from_slice(&[203, 0, 113, 9]);
    p[24] = 0;
    p[25] = 0;
    let c = fwd_engine::wire::checksum::checksum(&p[14..34]);
    p[24..26].copy_from_slice(&c.to_be_bytes());
    r.send_at(1, &[&p, &p, &p], 5);
    assert_eq!(r.out.punt.len(), 2);
    assert_eq!(r.drop_reasons(), vec!["punt/rate_limited"]);
}

#[test]
fn worker_keeps_forwarding_while_control_thread_updates_tables() {
    let Rig {
        mut fib,
        mut ifs,
        mut w,
        mut out,
    } = rig();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stop2 = std::sync::Arc::clone(&stop);
    let worker = std::thread::spawn(move || {
        let (good, frame) = (hex(V4_OUT), hex(V4_IN));
        let (mut fwd, mut dropped, mut rounds) = (0u64, 0u64, 0u64);
        while !stop2.load(std::sync::atomic::Ordering::Relaxed) || rounds < 50 {
            let mut rx: Vec<VecBuf> = (0..64).map(|_| VecBuf::from_frame(1, &frame)).collect();
            out.clear();
            w.process(&mut rx, 0, &mut out);
            // Old or new table state, never a mix: forwarded with the exact bytes, or dropped
            // for no route / interface down.
            for b in out.tx.iter().flatten() {
                assert_eq!(b.data(), &good[..]);
                fwd += 1;
            }
            for b in &out.drop {
                let why = error_name(b.meta().error);
                assert!(
                    why == "ip4-lookup/no_route" || why == "interface-output/interface_down",
                    "{why}"
                );
                dropped += 1;
            }
            assert_eq!(out.tx_count() + out.drop.len(), 64);
            rounds += 1;
        }
        (fwd, dropped)
    });
    let lb = fib.route4_exact(0, v4("10.2.0.0"), 16).unwrap();
    for k in 0..200 {
        fib.route4_del(0, v4("10.2.0.0"), 16).unwrap();
        fib.route4_add(0, v4("10.2.0.0"), 16, lb).unwrap();
        ifs.modify(2, |i| i.admin_up = k % 2 == 0).unwrap();
        ifs.publish();
    }
    ifs.modify(2, |i| i.admin_up = true).unwrap();
    ifs.publish();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let (fwd, dropped) = worker.join().unwrap();
    assert!(fwd + dropped >= 50 * 64);
}
