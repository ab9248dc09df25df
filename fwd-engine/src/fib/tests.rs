//! FIB tests: LPM against a naive reference (proptest), concurrency (reader vs writer),
//! object life cycle, update rate.
#![allow(
    clippy::cast_possible_truncation,
    reason = "test addresses are built from small, masked values"
)]

use super::*;
use proptest::prelude::*;
use std::collections::HashMap;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

fn small_cfg(first_bits: u8) -> FibConfig {
    FibConfig {
        max_vrfs: 8,
        tbl8_groups: 4096,
        tbl8_groups6: 8192,
        max_routes4: 100_000,
        max_routes6: 100_000,
        max_host_routes6: 1000,
        max_adjacencies: 1024,
        max_lbs: 4096,
        max_readers: 8,
        v4_first_bits: first_bits,
        other_vrf_root_bits: 8,
        grace_timeout: Duration::from_secs(5),
    }
}

fn ip4(a: u8, b: u8, c: u8, d: u8) -> u32 {
    u32::from_be_bytes([a, b, c, d])
}

/// Writer with `n` Forward LBs (one adjacency each, sw_if_index = LB number).
fn with_lbs(cfg: FibConfig, n: u32) -> (FibWriter, FibReader, Vec<LbIndex>) {
    let (mut w, r) = Fib::new(cfg);
    let lbs = (0..n)
        .map(|i| {
            let a = w
                .add_adjacency(Adjacency::new(i, 1500, &[0u8; 14]).unwrap())
                .unwrap();
            w.add_lb(LbKind::Forward, &[a], i).unwrap()
        })
        .collect();
    (w, r, lbs)
}

#[test]
fn fib_basic_lpm_v4() {
    let (mut w, r, lbs) = with_lbs(small_cfg(16), 4);
    let drop0 = w.drop_lb(0).unwrap();
    assert_eq!(r.view().lookup4(0, ip4(10, 1, 2, 3)), drop0);
    assert_eq!(
        r.view().lookup4(7, ip4(10, 1, 2, 3)),
        GLOBAL_DROP_LB,
        "no such VRF"
    );
    assert_eq!(w.route4_add(0, ip4(10, 0, 0, 0), 8, lbs[0]), Ok(None));
    assert_eq!(w.route4_add(0, ip4(10, 1, 2, 0), 24, lbs[1]), Ok(None));
    assert_eq!(w.route4_add(0, ip4(10, 1, 2, 128), 25, lbs[2]), Ok(None));
    assert_eq!(w.route4_add(0, ip4(10, 1, 2, 200), 32, lbs[3]), Ok(None));
    let v = r.view();
    assert_eq!(v.lookup4(0, ip4(10, 9, 9, 9)), lbs[0]);
    assert_eq!(v.lookup4(0, ip4(10, 1, 2, 1)), lbs[1]);
    assert_eq!(v.lookup4(0, ip4(10, 1, 2, 129)), lbs[2]);
    assert_eq!(v.lookup4(0, ip4(10, 1, 2, 200)), lbs[3]);
    assert_eq!(v.lookup4(0, ip4(11, 0, 0, 1)), drop0);
    let lb = v.lb(lbs[2]);
    assert_eq!(lb.kind, LbKind::Forward);
    assert_eq!(lb.buckets.len(), 1);
    assert_eq!(v.adj(lb.buckets[0]).sw_if_index, 2);
    drop(v);
    // Delete the covering /24: the /25 and /32 stay, the rest of the /24 falls back to /8.
    assert_eq!(w.route4_del(0, ip4(10, 1, 2, 0), 24), Ok(lbs[1]));
    let v = r.view();
    assert_eq!(v.lookup4(0, ip4(10, 1, 2, 1)), lbs[0]);
    assert_eq!(v.lookup4(0, ip4(10, 1, 2, 129)), lbs[2]);
    assert_eq!(v.lookup4(0, ip4(10, 1, 2, 200)), lbs[3]);
    drop(v);
    // Default route and its removal.
    w.route4_add(0, 0, 0, lbs[3]).unwrap();
    assert_eq!(r.view().lookup4(0, ip4(11, 0, 0, 1)), lbs[3]);
    assert_eq!(
        w.route4_add(0, 0, 0, lbs[2]),
        Ok(Some(lbs[3])),
        "replace returns the old LB"
    );
    assert_eq!(w.route4_del(0, 0, 0), Ok(lbs[2]));
    assert_eq!(r.view().lookup4(0, ip4(11, 0, 0, 1)), drop0);
    // Errors.
    assert_eq!(
        w.route4_add(0, ip4(10, 1, 2, 3), 24, lbs[0]),
        Err(FibError::BadPrefix)
    );
    assert_eq!(w.route4_add(0, 0, 33, lbs[0]), Err(FibError::BadPrefix));
    assert_eq!(w.route4_add(5, 0, 0, lbs[0]), Err(FibError::NoSuchVrf));
    assert_eq!(w.route4_add(0, 0, 0, 4000), Err(FibError::NoSuchLb));
    assert_eq!(
        w.route4_del(0, ip4(10, 1, 2, 0), 24),
        Err(FibError::NotFound)
    );
    assert_eq!(w.remove_lb(lbs[0]), Err(FibError::InUse));
    assert_eq!(w.remove_lb(drop0), Err(FibError::InUse));
    let dump: Vec<_> = w.routes4(0).collect();
    assert_eq!(
        dump,
        vec![
            (ip4(10, 0, 0, 0), 8, lbs[0]),
            (ip4(10, 1, 2, 128), 25, lbs[2]),
            (ip4(10, 1, 2, 200), 32, lbs[3])
        ]
    );
    assert_eq!(w.route4_exact(0, ip4(10, 1, 2, 128), 25), Some(lbs[2]));
    assert_eq!(w.route4_exact(0, ip4(10, 1, 2, 128), 26), None);
    assert_eq!(w.stats().routes4, 3);
    for (p, l, _) in dump {
        w.route4_del(0, p, l).unwrap();
    }
    assert_eq!(
        w.stats().groups4_in_use,
        0,
        "empty table collapses to the root"
    );
}

#[test]
fn fib_vrfs_are_isolated() {
    let (mut w, r, lbs) = with_lbs(small_cfg(16), 2);
    w.add_vrf(3).unwrap();
    assert_eq!(w.add_vrf(3), Err(FibError::VrfExists));
    assert_eq!(w.add_vrf(8), Err(FibError::TableFull("vrf id >= max_vrfs")));
    w.route4_add(0, ip4(10, 0, 0, 0), 8, lbs[0]).unwrap();
    w.route4_add(3, ip4(10, 0, 0, 0), 8, lbs[1]).unwrap();
    w.route6_add(3, 0x2001_0db8 << 96, 32, lbs[1]).unwrap();
    let v = r.view();
    assert_eq!(v.lookup4(0, ip4(10, 0, 0, 1)), lbs[0]);
    assert_eq!(v.lookup4(3, ip4(10, 0, 0, 1)), lbs[1]);
    assert_eq!(v.lookup6(3, (0x2001_0db8 << 96) | 1), lbs[1]);
    assert_eq!(v.lookup6(0, (0x2001_0db8 << 96) | 1), w.drop_lb(0).unwrap());
    let mut out = [0; 3];
    v.lookup4_batch_vrfs(&[0, 3, 6], &[ip4(10, 0, 0, 1); 3], &mut out);
    assert_eq!(out, [lbs[0], lbs[1], GLOBAL_DROP_LB]);
    drop(v);
    assert_eq!(w.remove_vrf(3), Err(FibError::InUse));
    w.route4_del(3, ip4(10, 0, 0, 0), 8).unwrap();
    w.route6_del(3, 0x2001_0db8 << 96, 32).unwrap();
    w.remove_vrf(3).unwrap();
    assert_eq!(r.view().lookup4(3, ip4(10, 0, 0, 1)), GLOBAL_DROP_LB);
    assert_eq!(
        w.remove_vrf(0),
        Err(FibError::BadArgument("the default VRF cannot be removed"))
    );
}

#[test]
fn fib_lb_and_adjacency_life_cycle() {
    let (mut w, r) = Fib::new(small_cfg(16));
    let a = w
        .add_adjacency(Adjacency::new(1, 1500, &[1u8; 14]).unwrap())
        .unwrap();
    let b = w
        .add_adjacency(Adjacency::new(2, 9000, &[2u8; 18]).unwrap())
        .unwrap();
    assert!(Adjacency::new(1, 1500, &[0u8; 23]).is_err());
    assert_eq!(
        w.add_lb(LbKind::Forward, &[], 0),
        Err(FibError::BadArgument(
            "a Forward LB needs at least one bucket"
        ))
    );
    assert_eq!(
        w.add_lb(LbKind::Forward, &[99], 0),
        Err(FibError::NoSuchAdjacency)
    );
    let lb = w.add_lb(LbKind::Forward, &[a, b, a], 0).unwrap();
    {
        let v = r.view();
        let l = v.lb(lb);
        assert!(l.buckets.len().is_power_of_two());
        let na = l.buckets.iter().filter(|&&x| x == a).count();
        // 2:1 within 1/64.
        assert!((na as f64 / l.buckets.len() as f64 - 2.0 / 3.0).abs() <= 1.0 / 64.0);
        assert_eq!(v.adj(b).rewrite_bytes(), &[2u8; 18]);
        assert_eq!(v.adj(4242), Adjacency::INVALID);
        assert_eq!(v.lb(4242).kind, LbKind::Drop);
    }
    assert_eq!(w.remove_adjacency(a), Err(FibError::InUse));
    w.route4_add(0, ip4(192, 168, 0, 0), 16, lb).unwrap();
    // Updating the LB: a view taken before keeps its snapshot; a new view sees the update.
    let old = r.view();
    let before = old.lb(lb).buckets.len();
    assert!(before > 1);
    w.update_lb(lb, LbKind::Forward, &[b], 0).unwrap();
    assert_eq!(old.lb(lb).buckets.len(), before);
    drop(old);
    assert_eq!(r.view().lb(lb).buckets, &[b]);
    w.remove_adjacency(a).unwrap();
    w.update_adjacency(b, Adjacency::new(3, 1500, &[3u8; 14]).unwrap())
        .unwrap();
    assert_eq!(r.view().adj(b).sw_if_index, 3);
    assert_eq!(w.remove_lb(lb), Err(FibError::InUse));
    w.route4_del(0, ip4(192, 168, 0, 0), 16).unwrap();
    w.remove_lb(lb).unwrap();
    assert_eq!(w.remove_lb(lb), Err(FibError::NoSuchLb));
    w.remove_adjacency(b).unwrap();
    let s = w.stats();
    assert_eq!((s.adjacencies, s.routes4), (0, 0));
    // Weighted expansion.
    let e = expand_buckets(&[(7, 1), (8, 3)]).unwrap();
    assert_eq!(e.len(), 4);
    assert_eq!(e.iter().filter(|&&x| x == 8).count(), 3);
    assert_eq!(expand_buckets(&[(7, 1), (8, 1)]).unwrap(), vec![7, 8]);
    assert!(expand_buckets(&[(7, 0)]).unwrap().is_empty());
}

#[test]
fn fib_tables_full_is_an_error_not_a_panic() {
    let mut cfg = small_cfg(16);
    cfg.tbl8_groups = 2;
    cfg.max_routes4 = 5;
    let (mut w, r, lbs) = with_lbs(cfg, 1);
    w.route4_add(0, ip4(1, 1, 1, 0), 24, lbs[0]).unwrap();
    w.route4_add(0, ip4(1, 1, 1, 128), 25, lbs[0]).unwrap(); // second group
    assert_eq!(
        w.route4_add(0, ip4(2, 2, 2, 0), 24, lbs[0]),
        Err(FibError::TableFull("ipv4 trie groups (tbl8_groups)"))
    );
    assert_eq!(
        r.view().lookup4(0, ip4(2, 2, 2, 1)),
        w.drop_lb(0).unwrap(),
        "unchanged"
    );
    w.route4_add(0, ip4(3, 0, 0, 0), 8, lbs[0]).unwrap();
    w.route4_add(0, ip4(4, 0, 0, 0), 8, lbs[0]).unwrap();
    w.route4_add(0, ip4(5, 0, 0, 0), 8, lbs[0]).unwrap();
    assert_eq!(
        w.route4_add(0, ip4(6, 0, 0, 0), 8, lbs[0]),
        Err(FibError::TableFull("ipv4 routes (max_routes4)"))
    );
    // Freed groups are reused once no reader can hold them.
    w.route4_del(0, ip4(1, 1, 1, 128), 25).unwrap();
    w.route4_del(0, ip4(1, 1, 1, 0), 24).unwrap();
    w.route4_del(0, ip4(5, 0, 0, 0), 8).unwrap();
    let v = r.view(); // an active reader delays reuse but does not break it
    drop(v);
    w.route4_add(0, ip4(2, 2, 2, 0), 24, lbs[0]).unwrap();
    assert_eq!(r.view().lookup4(0, ip4(2, 2, 2, 1)), lbs[0]);
}

#[derive(Clone, Debug)]
enum Op {
    Add { p: u128, len: u8, lb: usize },
    Del { which: usize },
}

/// Prefixes drawn from a few bases so that they overlap a lot.
fn op_strategy(bits: u8, bases: Vec<u128>) -> impl Strategy<Value = Op> {
    let n = bases.len();
    prop_oneof![
        3 => (0..n, any::<u128>(), prop_oneof![4 => 0..=bits, 1 => Just(bits)], 0usize..6).prop_map(move |(b, noise, len, lb)| {
            // Mostly near a base (shared high bits), sometimes anywhere.
            let m = if len == 0 { 0 } else { u128::MAX << (128 - u32::from(len)) };
            let width_mask = if bits == 128 { u128::MAX } else { (1u128 << bits) - 1 };
            let raw = if noise % 8 == 0 { noise & width_mask } else { bases[b] ^ (noise & (width_mask >> (noise % u128::from(bits)) as u32)) };
            let aligned = (raw << (128 - u32::from(bits))) & m;
            Op::Add { p: aligned >> (128 - u32::from(bits)), len, lb }
        }),
        2 => any::<usize>().prop_map(|which| Op::Del { which }),
    ]
}

/// Run `ops` against the FIB and a naive list; check lookups of `probes` (plus addresses
/// at both ends of every prefix) after every few operations.
fn check_family(
    bits: u8,
    first_bits: u8,
    ops: &[Op],
    probes: &[u128],
) -> Result<(), TestCaseError> {
    let (mut w, r, lbs) = with_lbs(small_cfg(first_bits), 6);
    let drop = w.drop_lb(0).unwrap();
    let mut reference: HashMap<(u128, u8), LbIndex> = HashMap::new();
    let lookup_ref = |reference: &HashMap<(u128, u8), LbIndex>, a: u128| -> LbIndex {
        reference
            .iter()
            .filter(|((p, l), _)| {
                let m = if *l == 0 {
                    0
                } else {
                    (u128::MAX << (128 - u32::from(*l))) >> (128 - u32::from(bits))
                };
                a & m == *p
            })
            .max_by_key(|((_, l), _)| *l)
            .map_or(drop, |(_, lb)| *lb)
    };
    for (k, op) in ops.iter().enumerate() {
        match *op {
            Op::Add { p, len, lb } => {
                let lbi = lbs[lb];
                let got = if bits == 32 {
                    w.route4_add(0, u32::try_from(p).unwrap(), len, lbi)
                } else {
                    w.route6_add(0, p, len, lbi)
                };
                prop_assert_eq!(got, Ok(reference.insert((p, len), lbi)));
            }
            Op::Del { which } => {
                if reference.is_empty() {
                    continue;
                }
                let mut keys: Vec<_> = reference.keys().copied().collect();
                keys.sort_unstable();
                let (p, len) = keys[which % keys.len()];
                let got = if bits == 32 {
                    w.route4_del(0, u32::try_from(p).unwrap(), len)
                } else {
                    w.route6_del(0, p, len)
                };
                prop_assert_eq!(got, Ok(reference.remove(&(p, len)).unwrap()));
            }
        }
        if k % 4 == 3 || k + 1 == ops.len() {
            let v = r.view();
            let mut addrs: Vec<u128> = probes.to_vec();
            for &(p, l) in reference.keys() {
                let host = 1u128
                    .checked_shl(u32::from(bits) - u32::from(l))
                    .map_or(u128::MAX, |x| x - 1);
                addrs.extend([
                    p,
                    p | host,
                    p.wrapping_sub(1) & if bits == 32 { 0xffff_ffff } else { u128::MAX },
                    (p | host).wrapping_add(1) & if bits == 32 { 0xffff_ffff } else { u128::MAX },
                ]);
            }
            for &a in &addrs {
                let got = if bits == 32 {
                    v.lookup4(0, u32::try_from(a).unwrap())
                } else {
                    v.lookup6(0, a)
                };
                prop_assert_eq!(
                    got,
                    lookup_ref(&reference, a),
                    "address {:#x} after op {}",
                    a,
                    k
                );
            }
            if bits == 128 {
                let mut out = vec![0; addrs.len()];
                v.lookup6_batch(0, &addrs, &mut out);
                for (a, o) in addrs.iter().zip(&out) {
                    prop_assert_eq!(*o, v.lookup6(0, *a));
                }
            }
            if bits == 32 {
                let d: Vec<u32> = addrs.iter().map(|&a| u32::try_from(a).unwrap()).collect();
                let mut out = vec![0; d.len()];
                v.lookup4_batch(0, &d, &mut out);
                for (a, o) in d.iter().zip(&out) {
                    prop_assert_eq!(*o, v.lookup4(0, *a));
                }
                let vrfs: Vec<VrfId> = (0..d.len()).map(|i| [0, 0, 5][i % 3]).collect();
                v.lookup4_batch_vrfs(&vrfs, &d, &mut out);
                for ((a, o), &vrf) in d.iter().zip(&out).zip(&vrfs) {
                    prop_assert_eq!(*o, v.lookup4(vrf, *a));
                }
                // The split lookup of the fast path: all starts first, then all finishes
                // (as the fast path does, a chunk apart), generic and 16-8-8 specialised.
                if let Some(l4) = v.lookup4_table(0) {
                    let ents: Vec<u32> = d.iter().map(|&a| l4.start(a)).collect();
                    for (&a, &e) in d.iter().zip(&ents) {
                        prop_assert_eq!(l4.finish(e, a), v.lookup4(0, a));
                    }
                    prop_assert_eq!(l4.x16().is_some(), first_bits == 16);
                    if let Some(x) = l4.x16() {
                        let ents: Vec<u32> = d.iter().map(|&a| Lpm4Steps::start(&x, a)).collect();
                        for (&a, &e) in d.iter().zip(&ents) {
                            prop_assert_eq!(Lpm4Steps::finish(&x, e, a), v.lookup4(0, a));
                        }
                        // With the deepest level deferred (all shallow steps first).
                        let sh: Vec<_> = d
                            .iter()
                            .zip(&ents)
                            .map(|(&a, &e)| x.finish_shallow(e, a))
                            .collect();
                        for (&a, r) in d.iter().zip(sh) {
                            let lb = r.unwrap_or_else(|slot| x.finish_deep(slot));
                            prop_assert_eq!(lb, v.lookup4(0, a));
                        }
                    }
                } else {
                    prop_assert!(false, "VRF 0 has an IPv4 table");
                }
            }
        }
    }
    // Deleting everything leaves no trie group behind (groups collapse back).
    let keys: Vec<_> = reference.keys().copied().collect();
    for (p, l) in keys {
        if bits == 32 {
            w.route4_del(0, u32::try_from(p).unwrap(), l).unwrap();
        } else {
            w.route6_del(0, p, l).unwrap();
        }
    }
    let s = w.stats();
    prop_assert_eq!(s.groups4_in_use + s.groups6_in_use, 0);
    prop_assert_eq!(r.view().lookup4(0, 0x0a00_0001), drop);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn fib_proptest_lpm_v4_matches_reference(
        first_bits in prop_oneof![Just(8u8), Just(16u8)],
        ops in proptest::collection::vec(op_strategy(32, vec![0x0a01_0200, 0xc0a8_0000, 0x0a01_0280, 0]), 1..60),
        probes in proptest::collection::vec(any::<u32>().prop_map(u128::from), 16),
    ) {
        check_family(32, first_bits, &ops, &probes)?;
    }

    #[test]
    fn fib_proptest_lpm_v6_matches_reference(
        ops in proptest::collection::vec(op_strategy(128, vec![0x2001_0db8_u128 << 96, (0x2001_0db8_0001_u128 << 80) | 0xff, u128::MAX, 0]), 1..40),
        probes in proptest::collection::vec(any::<u128>(), 8),
    ) {
        check_family(128, 16, &ops, &probes)?;
    }
}

#[test]
fn fib_dir_24_8_mode_matches_16_8_8() {
    let routes = synth::bgp_like_v4(3000, 7);
    let dsts = synth::dsts_within_v4(&routes, 3000, 8);
    let mut results = Vec::new();
    for fb in [16u8, 24] {
        let (mut w, r, lbs) = with_lbs(small_cfg(fb), 8);
        for (i, &(p, l)) in routes.iter().enumerate() {
            w.route4_add(0, p, l, lbs[i % 8]).unwrap();
        }
        let v = r.view();
        let single: Vec<LbIndex> = dsts.iter().map(|&d| v.lookup4(0, d)).collect();
        let mut batch = vec![0; dsts.len()];
        v.lookup4_batch(0, &dsts, &mut batch);
        assert_eq!(single, batch, "{fb}-bit root: batch == single");
        let mut per_pkt = vec![0; dsts.len()];
        v.lookup4_batch_vrfs(&vec![0; dsts.len()], &dsts, &mut per_pkt);
        assert_eq!(single, per_pkt);
        results.push(single);
    }
    assert_eq!(results[0], results[1]);
}

/// A reader thread looks up addresses while the writer adds, replaces and deletes routes and
/// creates and removes LBs (so LB indices and trie groups get reused). Every result must be
/// an LB that was valid for that address: its sw_if_index tags the route owner.
#[test]
fn fib_concurrent_reader_sees_old_or_new_never_garbage() {
    let (mut w, r) = Fib::new(small_cfg(16));
    // Covering /16s 10.b.0.0/16 for b in 0..4, tagged 1000 + b.
    for b in 0u8..4 {
        let a = w
            .add_adjacency(Adjacency::new(1000 + u32::from(b), 1500, &[0; 14]).unwrap())
            .unwrap();
        let lb = w
            .add_lb(LbKind::Forward, &[a], 1000 + u32::from(b))
            .unwrap();
        w.route4_add(0, ip4(10, b, 0, 0), 16, lb).unwrap();
    }
    let owners: Vec<u32> = (0..64).collect(); // owner i: 10.(i%4).(i/4).0/24 (+ a /28 inside)
    let adjs: Vec<AdjIndex> = owners
        .iter()
        .map(|&i| {
            w.add_adjacency(Adjacency::new(i, 1500, &[0; 14]).unwrap())
                .unwrap()
        })
        .collect();
    let stop = Arc::new(AtomicBool::new(false));
    let reader = {
        let r = r.clone();
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || {
            let mut rng = synth::Rng::new(99);
            let (mut n, mut bad) = (0u64, Vec::new());
            let mut dst = [0u32; 64];
            let mut out = [0u32; 64];
            while !stop.load(Ordering::Relaxed) {
                let v = r.view();
                for d in &mut dst {
                    let i = rng.below(64);
                    *d = ip4(10, (i % 4) as u8, (i / 4) as u8, 0) | rng.below(256);
                }
                v.lookup4_batch(0, &dst, &mut out);
                for (&d, &lb) in dst.iter().zip(&out) {
                    let [_, b, c, _] = d.to_be_bytes();
                    let owner = u32::from(c) * 4 + u32::from(b);
                    let l = v.lb(lb);
                    let ok_tag = l.sw_if_index == owner || l.sw_if_index == 1000 + u32::from(b);
                    let adj_ok = l.kind == LbKind::Forward
                        && l.buckets.len() == 1
                        && v.adj(l.buckets[0]).sw_if_index == l.sw_if_index;
                    if !(ok_tag && adj_ok) && bad.len() < 10 {
                        bad.push((d, lb, l.sw_if_index, l.kind));
                    }
                    n += 1;
                }
                drop(v);
            }
            (n, bad)
        })
    };
    let mut rng = synth::Rng::new(5);
    let mut current: HashMap<(u32, u8), LbIndex> = HashMap::new();
    let ops = if cfg!(debug_assertions) {
        3_000
    } else {
        60_000
    };
    let start = Instant::now();
    for _ in 0..ops {
        let i = rng.below(64);
        let base = ip4(10, (i % 4) as u8, (i / 4) as u8, 0);
        let (p, l) = if rng.below(3) == 0 {
            (base | 0x10, 28)
        } else {
            (base, 24)
        };
        if rng.below(3) == 0 {
            if let Some(lb) = current.remove(&(p, l)) {
                assert_eq!(w.route4_del(0, p, l), Ok(lb));
                w.remove_lb(lb).unwrap();
            }
        } else {
            let lb = w.add_lb(LbKind::Forward, &[adjs[i as usize]], i).unwrap();
            let old = w.route4_add(0, p, l, lb).unwrap();
            assert_eq!(old, current.insert((p, l), lb));
            if let Some(o) = old {
                w.remove_lb(o).unwrap();
            }
        }
    }
    let elapsed = start.elapsed();
    std::thread::sleep(Duration::from_millis(20));
    stop.store(true, Ordering::Relaxed);
    let (n, bad) = reader.join().unwrap();
    println!("concurrent: {ops} writer ops in {elapsed:?} while the reader did {n} lookups");
    assert!(bad.is_empty(), "bad lookups (dst, lb, tag, kind): {bad:?}");
    assert!(n > 0);
    // LB indices and groups were recycled during the run.
    assert!(w.stats().lbs < 200, "LBs leaked: {:?}", w.stats());
}

/// Route update rate: 1M BGP-like inserts, then 1M deletes (`-- --nocapture` prints the
/// rates; optimised figures: `cargo test --release -p fwd-engine fib_route_insert_rate`).
#[test]
fn fib_route_insert_rate() {
    let n = 1_000_000;
    let routes = synth::bgp_like_v4(n, 1);
    let (mut w, r) = Fib::new(FibConfig::default());
    let lbs: Vec<LbIndex> = (0..16)
        .map(|i| {
            let a = w
                .add_adjacency(Adjacency::new(i, 1500, &[0; 14]).unwrap())
                .unwrap();
            w.add_lb(LbKind::Forward, &[a], i).unwrap()
        })
        .collect();
    let t = Instant::now();
    for (i, &(p, l)) in routes.iter().enumerate() {
        w.route4_add(0, p, l, lbs[i % 16]).unwrap();
    }
    let dt = t.elapsed();
    let mem = w.memory_bytes();
    println!(
        "inserted {n} routes in {dt:?}: {:.0} routes/s; memory {} bytes = {:.1} bytes/route; {:?}",
        n as f64 / dt.as_secs_f64(),
        mem,
        mem as f64 / n as f64,
        w.stats()
    );
    // Spot-check: every route's own first address resolves to an LB of the table.
    let v = r.view();
    for &(p, l) in routes.iter().step_by(97) {
        let got = v.lookup4(0, p);
        assert!(lbs.contains(&got), "{p:#x}/{l} -> {got}");
    }
    drop(v);
    let t = Instant::now();
    for &(p, l) in &routes {
        w.route4_del(0, p, l).unwrap();
    }
    println!("deleted {n} routes in {:?}", t.elapsed());
    assert_eq!(w.stats().groups4_in_use, 0);
}

/// IPv6 route update rate: consecutive /64s in 2001:db8::/32 (as the SAI bulk bench) and the
/// DFZ-like mix, inserted then deleted (200k each in release, 5k in debug; `-- --nocapture`
/// prints the rates: `cargo test --release -p fwd-engine fib_route6_insert_rate`).
#[test]
fn fib_route6_insert_rate() {
    // FIB6_RATE_N / FIB6_RATE_MIX (`seq` or `dfz`) narrow the run for callgrind.
    let n: u32 = std::env::var("FIB6_RATE_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if cfg!(debug_assertions) {
            5_000
        } else {
            200_000
        });
    let mix = std::env::var("FIB6_RATE_MIX").unwrap_or_default();
    let seq: Vec<(u128, u8)> = (0..n)
        .map(|i| ((0x2001_0db8u128 << 96) | (u128::from(i) << 64), 64))
        .collect();
    let dfz = synth::table_like_v6(n as usize, 1);
    for (name, routes) in [("consecutive /64", &seq), ("DFZ-like", &dfz)] {
        if (mix == "seq" && routes == &dfz) || (mix == "dfz" && routes == &seq) {
            continue;
        }
        let (mut w, r) = Fib::new(FibConfig::default());
        let lbs: Vec<LbIndex> = (0..16)
            .map(|i| {
                let a = w
                    .add_adjacency(Adjacency::new(i, 1500, &[0; 14]).unwrap())
                    .unwrap();
                w.add_lb(LbKind::Forward, &[a], i).unwrap()
            })
            .collect();
        let empty = w.memory_bytes();
        let t = Instant::now();
        for (i, &(p, l)) in routes.iter().enumerate() {
            w.route6_add(0, p, l, lbs[i % 16]).unwrap();
        }
        let dt = t.elapsed();
        println!(
            "{name}: inserted {n} IPv6 routes in {dt:?}: {:.0} routes/s; {:.1} bytes/route",
            f64::from(n) / dt.as_secs_f64(),
            (w.memory_bytes() - empty) as f64 / f64::from(n)
        );
        let v = r.view();
        for (i, &(p, l)) in routes.iter().enumerate().step_by(97) {
            let got = v.lookup6(0, p);
            assert!(lbs.contains(&got), "{p:#x}/{l} -> {got}");
            if name == "consecutive /64" {
                assert_eq!(got, lbs[i % 16], "{p:#x}/{l}");
            }
        }
        drop(v);
        let t = Instant::now();
        for &(p, l) in routes.iter() {
            w.route6_del(0, p, l).unwrap();
        }
        println!("{name}: deleted {n} IPv6 routes in {:?}", t.elapsed());
        let v = r.view();
        for &(p, l) in routes.iter().step_by(97) {
            assert_eq!(v.lookup6(0, p), w.drop_lb(0).unwrap(), "{p:#x}/{l} deleted");
        }
    }
}

#[test]
fn fib_ipv6_host_routes() {
    let mut cfg = small_cfg(16);
    cfg.max_host_routes6 = 4;
    let (mut w, r, lbs) = with_lbs(cfg, 4);
    w.add_vrf(1).unwrap();
    let net: u128 = 0x2001_0db8_0000_0001 << 64;
    w.route6_add(0, net, 64, lbs[0]).unwrap();
    for i in 1..=3u128 {
        assert_eq!(w.route6_add(0, net | i, 128, lbs[1]), Ok(None));
    }
    assert_eq!(
        w.route6_add(0, net | 1, 128, lbs[2]),
        Ok(Some(lbs[1])),
        "replace"
    );
    assert_eq!(
        w.route6_add(1, net | 1, 128, lbs[3]),
        Ok(None),
        "same address, other VRF"
    );
    assert_eq!(
        w.route6_add(1, net | 9, 128, lbs[3]),
        Err(FibError::TableFull("ipv6 host routes (max_host_routes6)"))
    );
    let v = r.view();
    assert_eq!(v.lookup6(0, net | 1), lbs[2]);
    assert_eq!(v.lookup6(0, net | 2), lbs[1]);
    assert_eq!(v.lookup6(0, net | 7), lbs[0], "covering /64");
    assert_eq!(v.lookup6(1, net | 1), lbs[3]);
    assert_eq!(v.lookup6(1, net | 2), w.drop_lb(1).unwrap());
    let mut out = [0; 3];
    v.lookup6_batch(0, &[net | 1, net | 3, net | 5], &mut out);
    assert_eq!(out, [lbs[2], lbs[1], lbs[0]]);
    // Delete while a view is open: the slot is not reused until the view ends.
    assert_eq!(w.route6_del(0, net | 2, 128), Ok(lbs[1]));
    assert_eq!(w.route6_del(0, net | 2, 128), Err(FibError::NotFound));
    drop(v);
    w.route6_add(1, net | 9, 128, lbs[3]).unwrap();
    let v = r.view();
    assert_eq!(v.lookup6(0, net | 2), lbs[0]);
    assert_eq!(v.lookup6(1, net | 9), lbs[3]);
    drop(v);
    let dump: Vec<_> = w.routes6(0).collect();
    assert_eq!(
        dump,
        vec![
            (net, 64, lbs[0]),
            (net | 1, 128, lbs[2]),
            (net | 3, 128, lbs[1])
        ]
    );
    assert_eq!(w.route6_exact(0, net | 3, 128), Some(lbs[1]));
    // Host routes take no trie groups: only the /64's chain (levels 24..64) exists.
    assert_eq!(w.stats().groups6_in_use, 6);
    // Churn in a tiny table: dead slots get reused, lookups stay exact.
    let mut rng = synth::Rng::new(3);
    let mut live: HashMap<(u16, u128), LbIndex> = w
        .routes6(0)
        .filter(|r| r.1 == 128)
        .map(|r| ((0, r.0), r.2))
        .chain(w.routes6(1).filter(|r| r.1 == 128).map(|r| ((1, r.0), r.2)))
        .collect();
    for _ in 0..400 {
        let vrf = u16::try_from(rng.below(2)).unwrap();
        let a = net | u128::from(rng.below(6));
        if live.contains_key(&(vrf, a)) && rng.below(2) == 0 {
            assert_eq!(
                w.route6_del(vrf, a, 128),
                Ok(live.remove(&(vrf, a)).unwrap())
            );
        } else {
            let lb = lbs[rng.below(4) as usize];
            match w.route6_add(vrf, a, 128, lb) {
                Ok(old) => assert_eq!(old, live.insert((vrf, a), lb)),
                Err(e) => {
                    assert_eq!(
                        e,
                        FibError::TableFull("ipv6 host routes (max_host_routes6)")
                    );
                    assert_eq!(live.len(), 4);
                }
            }
        }
        let v = r.view();
        for vrf in 0..2u16 {
            for h in 0..6u128 {
                let want = live.get(&(vrf, net | h)).copied().unwrap_or(if vrf == 0 {
                    lbs[0]
                } else {
                    w.drop_lb(1).unwrap()
                });
                assert_eq!(v.lookup6(vrf, net | h), want);
            }
        }
    }
}

#[test]
fn fib_handles_are_send_and_sync_as_documented() {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>() {}
    send_sync::<FibReader>();
    send::<FibWriter>();
    // A reader used from several threads at once (slots shared) still works.
    let (mut w, r, lbs) = with_lbs(small_cfg(16), 1);
    w.route4_add(0, ip4(10, 0, 0, 0), 8, lbs[0]).unwrap();
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                for _ in 0..1000 {
                    assert_eq!(r.view().lookup4(0, ip4(10, 1, 1, 1)), lbs[0]);
                }
            });
        }
    });
}

#[test]
fn fib_small_roots_for_other_vrfs_match_vrf0() {
    let (mut w, r, lbs) = with_lbs(small_cfg(16), 8);
    w.add_vrf(2).unwrap(); // 8-bit roots (small_cfg)
    let v4 = synth::bgp_like_v4(2000, 11);
    let v6 = synth::table_like_v6(500, 12);
    for vrf in [0, 2] {
        for (i, &(p, l)) in v4.iter().enumerate() {
            w.route4_add(vrf, p, l, lbs[i % 8]).unwrap();
        }
        for (i, &(p, l)) in v6.iter().enumerate() {
            w.route6_add(vrf, p, l, lbs[i % 8]).unwrap();
        }
    }
    let d4 = synth::dsts_within_v4(&v4, 4000, 13);
    let d6 = synth::dsts_within_v6(&v6, 2000, 14);
    let v = r.view();
    for &d in &d4 {
        assert_eq!(v.lookup4(0, d), v.lookup4(2, d), "{d:#x}");
    }
    let mut a = vec![0; d6.len()];
    let mut b = vec![0; d6.len()];
    v.lookup6_batch(0, &d6, &mut a);
    v.lookup6_batch(2, &d6, &mut b);
    assert_eq!(a, b);
    for &d in &d6 {
        assert_eq!(v.lookup6(0, d), v.lookup6(2, d), "{d:#x}");
    }
}

/// Setup shared by the IPv6 concurrency tests: a /32 under 2001:db8::/32 whose LB is tagged
/// 1000, and `owners` adjacencies (adjacency `i` on sw_if_index `i`). Returns (the /32, the
/// adjacencies).
fn v6_owners(w: &mut FibWriter, owners: u32) -> (u128, Vec<AdjIndex>) {
    let base: u128 = 0x2001_0db8 << 96;
    let a = w
        .add_adjacency(Adjacency::new(1000, 1500, &[0; 14]).unwrap())
        .unwrap();
    let cover = w.add_lb(LbKind::Forward, &[a], 1000).unwrap();
    w.route6_add(0, base, 32, cover).unwrap();
    let adjs = (0..owners)
        .map(|i| {
            w.add_adjacency(Adjacency::new(i, 1500, &[0; 14]).unwrap())
                .unwrap()
        })
        .collect();
    (base, adjs)
}

/// One writer op of the IPv6 concurrency tests: delete `route` (if present, checking the LB
/// it had) or (re)add it with a fresh LB tagged `owner` over `adj`, freeing the LB replaced.
fn churn6(
    w: &mut FibWriter,
    current: &mut HashMap<(u128, u8), LbIndex>,
    adj: AdjIndex,
    owner: u32,
    (p, l): (u128, u8),
    del: bool,
) {
    if del {
        if let Some(lb) = current.remove(&(p, l)) {
            assert_eq!(w.route6_del(0, p, l), Ok(lb));
            w.remove_lb(lb).unwrap();
        }
    } else {
        let lb = w.add_lb(LbKind::Forward, &[adj], owner).unwrap();
        let old = w.route6_add(0, p, l, lb).unwrap();
        assert_eq!(old, current.insert((p, l), lb));
        if let Some(o) = old {
            w.remove_lb(o).unwrap();
        }
    }
}

/// What the reader of an IPv6 concurrency test returns: lookups done, bad (dst, lb, tag).
type Reader6 = std::thread::JoinHandle<(u64, Vec<(u128, u32, u32)>)>;

/// Stop the reader thread of an IPv6 concurrency test; it must have done lookups, all good.
fn stop_reader(stop: &AtomicBool, reader: Reader6) {
    std::thread::sleep(Duration::from_millis(20));
    stop.store(true, Ordering::Relaxed);
    let (n, bad) = reader.join().unwrap();
    assert!(bad.is_empty(), "bad lookups (dst, lb, tag): {bad:x?}");
    assert!(n > 0);
}

/// IPv6 flavour of the concurrency test: /56 trie routes and /128 host routes under a /32,
/// with LB recycling; every result must belong to the address's owner or the /32.
#[test]
fn fib_concurrent_reader_v6_and_host_routes() {
    let mut cfg = small_cfg(16);
    cfg.max_host_routes6 = 16;
    let (mut w, r) = Fib::new(cfg);
    let (base, adjs) = v6_owners(&mut w, 16);
    // Owner i: 2001:db8:0:i00::/56 and its ::1 host.
    let net = move |i: u32| base | (u128::from(i) << 72);
    let stop = Arc::new(AtomicBool::new(false));
    let reader = {
        let r = r.clone();
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || {
            let mut rng = synth::Rng::new(7);
            let (mut n, mut bad) = (0u64, Vec::new());
            let mut dst = [0u128; 32];
            let mut out = [0u32; 32];
            while !stop.load(Ordering::Relaxed) {
                let v = r.view();
                let mut owners = [0u32; 32];
                for (d, o) in dst.iter_mut().zip(owners.iter_mut()) {
                    *o = rng.below(16);
                    *d = net(*o) | u128::from(rng.below(3)); // ::0, ::1 (host), ::2
                }
                v.lookup6_batch(0, &dst, &mut out);
                for ((&d, &lb), &owner) in dst.iter().zip(&out).zip(&owners) {
                    let l = v.lb(lb);
                    let single = v.lookup6(0, d);
                    let ls = v.lb(single);
                    for l in [l, ls] {
                        let ok = (l.sw_if_index == owner || l.sw_if_index == 1000)
                            && l.buckets.len() == 1
                            && v.adj(l.buckets[0]).sw_if_index == l.sw_if_index;
                        if !ok && bad.len() < 10 {
                            bad.push((d, lb, l.sw_if_index));
                        }
                    }
                    n += 1;
                }
            }
            (n, bad)
        })
    };
    let mut rng = synth::Rng::new(8);
    let mut current: HashMap<(u128, u8), LbIndex> = HashMap::new();
    let ops = if cfg!(debug_assertions) {
        2_000
    } else {
        20_000
    };
    for _ in 0..ops {
        let i = rng.below(16);
        let (p, l) = if rng.below(2) == 0 {
            (net(i), 56)
        } else {
            (net(i) | 1, 128)
        };
        let del = rng.below(3) == 0;
        churn6(&mut w, &mut current, adjs[i as usize], i, (p, l), del);
    }
    stop_reader(&stop, reader);
}

/// Naive IPv6 LPM over a route list: (length, LB) of the longest match.
fn naive6(routes: &HashMap<(u128, u8), LbIndex>, a: u128) -> Option<(u8, LbIndex)> {
    routes
        .iter()
        .filter(|(&(p, l), _)| l == 0 || (a ^ p) >> (128 - u32::from(l)) == 0)
        .map(|(&(_, l), &lb)| (l, lb))
        .max_by_key(|&(l, _)| l)
}

/// A table-like IPv6 set (mostly /33../64, plus covering routes /8../32 added and deleted
/// over existing longer routes) against a naive LPM, in a 16-bit-root and an 8-bit-root VRF;
/// a view held while the second half is added answers old or new; replacing and deleting
/// everything frees every group.
#[test]
fn fib_v6_table_like_set_matches_naive() {
    let (mut w, r, lbs) = with_lbs(small_cfg(16), 8);
    w.add_vrf(2).unwrap(); // 8-bit roots (small_cfg)
    let mut rng = synth::Rng::new(21);
    let mut routes: Vec<(u128, u8)> = synth::table_like_v6(2400, 22);
    // Covering routes /8../32 over some of the same space.
    for i in 0..60 {
        let (p, _) = routes[i * 37];
        let l = 8 + u8::try_from(rng.below(25)).unwrap();
        routes.push((p & (u128::MAX << (128 - u32::from(l))), l));
    }
    routes.sort_unstable();
    routes.dedup();
    let dsts = synth::dsts_within_v6(&routes, 1500, 23);
    let check = |w: &FibWriter, v: &FibView<'_>, vrf: u16, refm: &HashMap<(u128, u8), LbIndex>| {
        let mut out = vec![0; dsts.len()];
        v.lookup6_batch(vrf, &dsts, &mut out);
        for (&a, &o) in dsts.iter().zip(&out) {
            let want = naive6(refm, a).map_or(w.drop_lb(vrf).unwrap(), |x| x.1);
            assert_eq!(v.lookup6(vrf, a), want, "vrf {vrf} {a:#x}");
            assert_eq!(o, want, "batch vrf {vrf} {a:#x}");
        }
    };
    let half = routes.len() / 2;
    for vrf in [0u16, 2] {
        let mut refm = HashMap::new();
        for (i, &(p, l)) in routes[..half].iter().enumerate() {
            w.route6_add(vrf, p, l, lbs[i % 8]).unwrap();
            refm.insert((p, l), lbs[i % 8]);
        }
        let before = refm.clone();
        let old = r.view(); // held while the second half is added
        for (i, &(p, l)) in routes[half..].iter().enumerate() {
            w.route6_add(vrf, p, l, lbs[(i + 3) % 8]).unwrap();
            refm.insert((p, l), lbs[(i + 3) % 8]);
        }
        // Each route is seen old or new: the answer is the old one, or the LB of a route that
        // covers the address now.
        for &a in &dsts {
            let got = old.lookup6(vrf, a);
            let drop = w.drop_lb(vrf).unwrap();
            let was = naive6(&before, a).map_or(drop, |x| x.1);
            let covering = refm.iter().any(|(&(p, l), &lb)| {
                lb == got && (l == 0 || (a ^ p) >> (128 - u32::from(l)) == 0)
            });
            assert!(
                got == was || covering,
                "old view: {a:#x} gave {got}, was {was}"
            );
        }
        drop(old);
        check(&w, &r.view(), vrf, &refm);
        // Replace LBs of some routes, delete a random half (covering routes included).
        let mut order: Vec<(u128, u8)> = refm.keys().copied().collect();
        order.sort_unstable();
        for i in (1..order.len()).rev() {
            order.swap(i, rng.below(u32::try_from(i + 1).unwrap()) as usize);
        }
        for &(p, l) in order.iter().take(200) {
            assert!(w.route6_add(vrf, p, l, lbs[7]).unwrap().is_some());
            refm.insert((p, l), lbs[7]);
        }
        let (gone, keep) = order.split_at(order.len() / 2);
        for &(p, l) in gone {
            assert_eq!(w.route6_del(vrf, p, l), Ok(refm[&(p, l)]));
            refm.remove(&(p, l));
        }
        check(&w, &r.view(), vrf, &refm);
        for &(p, l) in keep {
            w.route6_del(vrf, p, l).unwrap();
            refm.remove(&(p, l));
        }
        check(&w, &r.view(), vrf, &refm);
        assert_eq!(w.stats().groups6_in_use, 0, "vrf {vrf}: groups leaked");
        assert_eq!(w.stats().routes6, 0);
    }
}

/// IPv4 group entries are 16 bits (15-bit index): groups below group entries must be among
/// the first 2^15 of the pool, and IPv4 leaves hold LB indices <= 32767. Crossing either
/// limit is a `TableFull` error with nothing changed, never a truncated (wrong) entry.
/// A group whose leaves all come from routes longer than the entry above it covers (sibling
/// prefixes with the same LB) must not collapse into that entry: deleting one sibling must
/// still uncover the shorter route. Root slots (/17 siblings below a /16 or /24 root entry)
/// and group entries (/25 siblings below a /24 group entry), 16-8-8 and DIR-24-8.
#[test]
fn fib_v4_sibling_routes_with_one_lb_do_not_collapse() {
    for first_bits in [16u8, 24] {
        let (mut w, r, lbs) = with_lbs(small_cfg(first_bits), 3);
        let drop = w.drop_lb(0).unwrap();
        // Below a root entry: /17s under a 16-bit root, /25s under a 24-bit root.
        let (len, half) = if first_bits == 16 {
            (17, 128 << 8)
        } else {
            (25, 128)
        };
        let base = ip4(10, 0, 0, 0);
        w.route4_add(0, base, len, lbs[0]).unwrap();
        w.route4_add(0, base + half, len, lbs[0]).unwrap();
        assert_eq!(r.view().lookup4(0, base + 1), lbs[0]);
        w.route4_del(0, base, len).unwrap();
        assert_eq!(r.view().lookup4(0, base + 1), drop, "/{first_bits} root");
        assert_eq!(r.view().lookup4(0, base + half + 1), lbs[0]);
        // Below a group entry: /25 siblings inside a /24 inside a /16 holding another route
        // (16-8-8: the /24's entry is in a group).
        let b2 = ip4(10, 1, 2, 0);
        w.route4_add(0, ip4(10, 1, 0, 0), 16, lbs[1]).unwrap();
        w.route4_add(0, b2, 25, lbs[2]).unwrap();
        w.route4_add(0, b2 + 128, 25, lbs[2]).unwrap();
        assert_eq!(r.view().lookup4(0, b2 + 1), lbs[2]);
        w.route4_del(0, b2 + 128, 25).unwrap();
        assert_eq!(r.view().lookup4(0, b2 + 129), lbs[1], "/{first_bits} group");
        assert_eq!(r.view().lookup4(0, b2 + 1), lbs[2]);
        // A covering route's leaves still collapse (nothing left below the /16).
        w.route4_del(0, b2, 25).unwrap();
        assert_eq!(r.view().lookup4(0, b2 + 1), lbs[1]);
    }
}

#[test]
fn fib_v4_16bit_entries_overflow_is_an_error() {
    let mut cfg = small_cfg(16);
    cfg.tbl8_groups = (1 << 15) + 300;
    cfg.max_lbs = (1 << 15) + 4;
    let (mut w, r, lbs) = with_lbs(cfg.clone(), 3);
    // One /25 in each of 2^15 /24s (128 /16s): 128 groups below root entries (taken from
    // beyond the first 2^15), 2^15 groups below group entries (the first 2^15).
    let n = 1u32 << 15;
    let p25 = |i: u32| (10 << 24) | (i << 8) | 128;
    for i in 0..n {
        w.route4_add(0, p25(i), 25, lbs[(i % 3) as usize]).unwrap();
    }
    let st = w.stats();
    assert_eq!(
        (st.groups4_in_use, st.groups4_low_in_use),
        ((1 << 15) + 128, 1 << 15)
    );
    let over = (11 << 24) | 128;
    assert_eq!(
        w.route4_add(0, over, 25, lbs[0]),
        Err(FibError::TableFull(
            "ipv4 trie groups below group entries (16-bit entries: the first 32768 of tbl8_groups)"
        ))
    );
    // A /24 needs only a group below a root entry: still possible.
    w.route4_add(0, 11 << 24, 24, lbs[1]).unwrap();
    {
        let v = r.view();
        let drop = w.drop_lb(0).unwrap();
        for i in (0..n).step_by(97).chain([n - 1]) {
            assert_eq!(v.lookup4(0, p25(i) + 1), lbs[(i % 3) as usize], "{i}");
            assert_eq!(v.lookup4(0, p25(i) - 1), drop, "{i}");
        }
        assert_eq!(v.lookup4(0, over), lbs[1]);
    }
    // Freed groups are reused after the grace period.
    w.route4_del(0, p25(5), 25).unwrap();
    assert!(w.synchronize(Duration::from_secs(5)));
    w.route4_add(0, over, 25, lbs[2]).unwrap();
    assert_eq!(r.view().lookup4(0, over + 3), lbs[2]);
    assert_eq!(r.view().lookup4(0, p25(5) + 1), w.drop_lb(0).unwrap());

    // LB indices beyond 15 bits: refused for IPv4 routes, fine for IPv6.
    let (mut w, r) = Fib::new(cfg);
    let a = w
        .add_adjacency(Adjacency::new(1, 1500, &[0u8; 14]).unwrap())
        .unwrap();
    let mut last = 0;
    while last < 1 << 15 {
        last = w.add_lb(LbKind::Forward, &[a], 1).unwrap();
    }
    assert_eq!(
        w.route4_add(0, 12 << 24, 8, last),
        Err(FibError::TableFull(
            "load balances usable by ipv4 routes (16-bit trie entries: index <= 32767)"
        ))
    );
    assert_eq!(r.view().lookup4(0, 12 << 24), w.drop_lb(0).unwrap());
    w.route4_add(0, 12 << 24, 8, last - 1).unwrap();
    assert_eq!(r.view().lookup4(0, (12 << 24) | 0x10203), last - 1);
    w.route6_add(0, 1 << 120, 8, last).unwrap();
    assert_eq!(r.view().lookup6(0, (1 << 120) | 5), last);
}

/// Operations aimed at the compressed IPv6 nodes (`trie6.rs`): prefixes of one /32, at /48
/// granularity over three /40s (many siblings in one node, runs that merge when neighbours
/// get the same LB and split again on delete), with chains down to /100-/127 below them,
/// covering prefixes from /0 to /47, and /128 host routes; few LBs so that equal runs meet.
fn trie6_op_strategy() -> impl Strategy<Value = Op> {
    const LENS: [u8; 22] = [
        0, 1, 8, 15, 16, 17, 24, 32, 39, 40, 41, 44, 47, 48, 48, 48, 49, 56, 64, 100, 127, 128,
    ];
    prop_oneof![
        3 => (0..LENS.len(), 0u128..600, 0u128..4, 0u128..4, 0usize..3).prop_map(|(l, k, j1, j2, lb)| {
            let len = LENS[l];
            let m = if len == 0 { 0 } else { u128::MAX << (128 - u32::from(len)) };
            let p = ((0x2001_0db8_u128 << 96) | (k << 80) | (j1 << 28) | (j2 << 1)) & m;
            Op::Add { p, len, lb }
        }),
        2 => any::<usize>().prop_map(|which| Op::Del { which }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    /// The compressed IPv6 trie against the naive LPM: chains, many siblings, run merges and
    /// splits (node rebuilt or kept in place), /0, /128; deleting everything frees every node.
    #[test]
    fn fib_proptest_trie6_edges_match_reference(
        ops in proptest::collection::vec(trie6_op_strategy(), 1..120),
        probes in proptest::collection::vec(any::<u128>().prop_map(|x| (0x2001_0db8_u128 << 96) | (x >> 32)), 8),
    ) {
        check_family(128, 16, &ops, &probes)?;
    }
}

/// Naive check of every address in `dsts` (and a few around each route) in VRF 0.
fn check6_all(r: &FibReader, w: &FibWriter, routes: &HashMap<(u128, u8), LbIndex>, dsts: &[u128]) {
    let drop = w.drop_lb(0).unwrap();
    let v = r.view();
    let mut out = vec![0; dsts.len()];
    v.lookup6_batch(0, dsts, &mut out);
    for (&a, &o) in dsts.iter().zip(&out) {
        let want = naive6(routes, a).map_or(drop, |(_, lb)| lb);
        assert_eq!(v.lookup6(0, a), want, "{a:#x}");
        assert_eq!(o, want, "batch {a:#x}");
    }
}

/// A full node (256 runs: every /48 of a /40, alternating LBs), a 14-level chain (/127), and
/// memory: adding routes and deleting them all gives `memory_bytes` back to the empty figure
/// once the grace periods have passed (nodes, prefix store and all).
#[test]
fn fib_v6_full_node_chain_and_memory_returns() {
    let (mut w, r, lbs) = with_lbs(small_cfg(16), 4);
    assert!(w.synchronize(Duration::from_secs(5)));
    let empty = w.memory_bytes();
    // The pool's pages may be 2 MiB ones: also compare the words the node allocator touched.
    let empty_words = w.alloc6.touched_words();
    let base = 0x2001_0db8_u128 << 96;
    let mut routes: HashMap<(u128, u8), LbIndex> = HashMap::new();
    let mut dsts = Vec::new();
    for k in 0..256u128 {
        let p = base | (0x42 << 88) | (k << 80);
        w.route6_add(0, p, 48, lbs[(k % 2) as usize]).unwrap();
        routes.insert((p, 48), lbs[(k % 2) as usize]);
        dsts.extend([p, p | 0xffff, p | (1u128 << 79)]);
    }
    // Root entry -> /16-/24 -> /24-/32 -> /32-/40 -> the full /40-/48 node.
    assert_eq!(w.stats().groups6_in_use, 4);
    check6_all(&r, &w, &routes, &dsts);
    // A covering /40 with LB 0, then the /48s with LB 0 go: their runs merge with nothing
    // (neighbours have LB 1) but hold the /40's leaf now.
    let p40 = base | (0x42 << 88);
    w.route6_add(0, p40, 40, lbs[0]).unwrap();
    routes.insert((p40, 40), lbs[0]);
    for k in (0..256u128).step_by(2) {
        let p = base | (0x42 << 88) | (k << 80);
        assert_eq!(w.route6_del(0, p, 48), Ok(lbs[0]));
        routes.remove(&(p, 48));
    }
    check6_all(&r, &w, &routes, &dsts);
    // The chain: a /127 needs a node at every level below the root.
    let p127 = base | (0x43 << 88) | 0x1234_5678_9abc_def0;
    w.route6_add(0, p127, 127, lbs[2]).unwrap();
    routes.insert((p127, 127), lbs[2]);
    assert_eq!(w.stats().groups6_in_use, 4 + 11);
    dsts.extend([p127, p127 | 1, p127 + 2, p127 - 1]);
    check6_all(&r, &w, &routes, &dsts);
    // A table-like set on top, then everything goes.
    for (i, &(p, l)) in synth::table_like_v6(3000, 77).iter().enumerate() {
        let lb = lbs[i % 4];
        w.route6_add(0, p, l, lb).unwrap();
        routes.insert((p, l), lb);
    }
    let mut more = synth::dsts_within_v6(&routes.keys().copied().collect::<Vec<_>>(), 3000, 5);
    more.extend(&dsts);
    check6_all(&r, &w, &routes, &more);
    assert!(w.alloc6.touched_words() > empty_words + 3000 * 13);
    let all: Vec<_> = routes.keys().copied().collect();
    for (p, l) in all {
        w.route6_del(0, p, l).unwrap();
    }
    assert_eq!(w.stats().groups6_in_use, 0);
    assert!(w.synchronize(Duration::from_secs(5)));
    assert_eq!(w.stats().groups_pending, 0);
    assert_eq!(
        w.alloc6.touched_words(),
        empty_words,
        "node words back to empty"
    );
    assert_eq!(w.memory_bytes(), empty, "memory back to the empty figure");
    assert_eq!(r.view().lookup6(0, p127), w.drop_lb(0).unwrap());
}

/// Two sibling routes of one length and LB that together fill a node (the two /41s of a /40,
/// the two /49s of a /48): deleting one must leave the other only, not a leaf standing for
/// both.
#[test]
fn fib_v6_sibling_routes_filling_a_node() {
    let (mut w, r, lbs) = with_lbs(small_cfg(16), 2);
    let drop = w.drop_lb(0).unwrap();
    let p40 = 0x2001_0db8_0100_u128 << 80;
    for len in [41u8, 49] {
        let (a, b) = (p40, p40 | (1u128 << (128 - u32::from(len))));
        w.route6_add(0, a, len, lbs[0]).unwrap();
        w.route6_add(0, b, len, lbs[0]).unwrap();
        assert_eq!(r.view().lookup6(0, a | 1), lbs[0]);
        w.route6_del(0, a, len).unwrap();
        assert_eq!(r.view().lookup6(0, a | 1), drop, "/{len}");
        assert_eq!(r.view().lookup6(0, b | 1), lbs[0]);
        w.route6_del(0, b, len).unwrap();
        assert_eq!(r.view().lookup6(0, b | 1), drop);
        assert_eq!(w.stats().groups6_in_use, 0);
    }
}

/// Readers against a writer that keeps rebuilding compressed IPv6 nodes: 64 owners each with
/// a /48 in one /40 node (every add or delete changes that node's runs: copy-on-write) and a
/// /64 below it (a chain of tiny nodes created and freed). A lookup must give its owner's LB
/// or the covering /32's, never another owner's: a node reused before the readers that could
/// see it have left their views (no grace period) shows up as another owner's LB.
#[test]
fn fib_concurrent_reader_v6_node_rebuilds() {
    let (mut w, r) = Fib::new(small_cfg(16));
    let (base, adjs) = v6_owners(&mut w, 64);
    let p48 = move |i: u32| base | (u128::from(i) << 80);
    let p64 = move |i: u32| p48(i) | (0xab << 64);
    let stop = Arc::new(AtomicBool::new(false));
    let reader = {
        let r = r.clone();
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || {
            let mut rng = synth::Rng::new(17);
            let (mut n, mut bad) = (0u64, Vec::new());
            let mut dst = [0u128; 64];
            let mut out = [0u32; 64];
            let mut owners = [0u32; 64];
            while !stop.load(Ordering::Relaxed) {
                let v = r.view();
                for (d, o) in dst.iter_mut().zip(owners.iter_mut()) {
                    *o = rng.below(64);
                    *d = if rng.below(2) == 0 {
                        p64(*o) | u128::from(rng.next_u32())
                    } else {
                        p48(*o) | (u128::from(rng.next_u32()) << 48)
                    };
                }
                v.lookup6_batch(0, &dst, &mut out);
                for ((&d, &lb), &owner) in dst.iter().zip(&out).zip(&owners) {
                    for lb in [lb, v.lookup6(0, d)] {
                        let tag = v.lb(lb).sw_if_index;
                        if tag != owner && tag != 1000 && bad.len() < 10 {
                            bad.push((d, lb, tag));
                        }
                    }
                    n += 1;
                }
            }
            (n, bad)
        })
    };
    let mut rng = synth::Rng::new(18);
    let mut current: HashMap<(u128, u8), LbIndex> = HashMap::new();
    let ops = if cfg!(debug_assertions) {
        3_000
    } else {
        40_000
    };
    for _ in 0..ops {
        let i = rng.below(64);
        let (p, l) = if rng.below(2) == 0 {
            (p48(i), 48)
        } else {
            (p64(i), 64)
        };
        let del = rng.below(2) == 0;
        churn6(&mut w, &mut current, adjs[i as usize], i, (p, l), del);
    }
    stop_reader(&stop, reader);
}

/// Grace periods of the compressed IPv6 nodes, deterministically: while a reader holds a view,
/// nodes rebuilt (copy-on-write) by the writer are not reused (the pool grows with every
/// rebuild) and what the view reads stays right; once the view is gone they are reused (the
/// pool stops growing).
#[test]
fn fib_v6_rebuilt_nodes_wait_for_readers() {
    let (mut w, r, lbs) = with_lbs(small_cfg(16), 3);
    let base: u128 = 0x2001_0db8 << 96;
    w.route6_add(0, base, 32, lbs[0]).unwrap();
    // A /48 and two neighbours in one /40 node: adding one neighbour splits runs (the node
    // is rebuilt); deleting it merges them (kept in place, runs unchanged); adding the other
    // one then needs other runs (rebuilt again): two rebuilds per cycle.
    let (a, b, c) = (base | (1 << 80), base | (3 << 80), base | (5 << 80));
    w.route6_add(0, a, 48, lbs[1]).unwrap();
    let cycle = |w: &mut FibWriter| {
        for p in [b, c] {
            w.route6_add(0, p, 48, lbs[2]).unwrap();
            w.route6_del(0, p, 48).unwrap();
        }
    };
    cycle(&mut w);
    assert!(w.synchronize(Duration::from_secs(5)));
    let v = r.view();
    let before = w.alloc6.touched_words();
    for _ in 0..50 {
        cycle(&mut w);
        assert_eq!(v.lookup6(0, a | 5), lbs[1]);
        assert_eq!(v.lookup6(0, base | 5), lbs[0]);
    }
    let grown = w.alloc6.touched_words() - before;
    assert!(
        grown >= 100 * 4,
        "no reuse while a view is open ({grown} words)"
    );
    assert!(w.stats().groups_pending >= 100);
    drop(v);
    assert!(w.synchronize(Duration::from_secs(5)));
    assert_eq!(w.stats().groups_pending, 0);
    let after = w.alloc6.touched_words();
    for _ in 0..50 {
        cycle(&mut w);
    }
    assert_eq!(w.alloc6.touched_words(), after, "freed nodes are reused");
    assert_eq!(r.view().lookup6(0, b | 5), lbs[0]);
}

/// A small IPv6 node pool: inserts past its end fail with `TableFull` and change nothing
/// (lookups still match the routes accepted so far); deleting everything empties it.
#[test]
fn fib_v6_node_pool_full_is_an_error_and_changes_nothing() {
    let mut cfg = small_cfg(16);
    cfg.tbl8_groups6 = 4; // 4 KiB: 752 usable words
    let (mut w, r, lbs) = with_lbs(cfg, 4);
    let mut routes: HashMap<(u128, u8), LbIndex> = HashMap::new();
    let mut rng = synth::Rng::new(99);
    let mut full = 0;
    for i in 0..400 {
        let len = [32u8, 40, 48, 56, 64, 100][rng.below(6) as usize];
        let p = ((0x2001_0db8_u128 << 96) | (u128::from(rng.next_u64()) << 32))
            & (u128::MAX << (128 - u32::from(len)));
        let lb = lbs[i % 4];
        match w.route6_add(0, p, len, lb) {
            Ok(old) => assert_eq!(old, routes.insert((p, len), lb)),
            Err(e) => {
                assert_eq!(e, FibError::TableFull("ipv6 trie nodes (tbl8_groups6)"));
                full += 1;
                assert_eq!(w.route6_exact(0, p, len), routes.get(&(p, len)).copied());
            }
        }
        if i % 50 == 49 {
            let d: Vec<u128> = routes.keys().map(|&(p, _)| p | 1).collect();
            check6_all(&r, &w, &routes, &d);
        }
    }
    assert!(full > 0, "the pool filled up");
    let d: Vec<u128> = routes.keys().map(|&(p, _)| p | 1).collect();
    check6_all(&r, &w, &routes, &d);
    let keys: Vec<_> = routes.keys().copied().collect();
    for (p, l) in keys {
        assert_eq!(w.route6_del(0, p, l), Ok(routes[&(p, l)]));
    }
    assert_eq!(w.stats().groups6_in_use, 0);
}
