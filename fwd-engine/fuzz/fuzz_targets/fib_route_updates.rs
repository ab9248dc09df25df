//! Random route-update sequences against the FIB: no panic, every operation's result agrees
//! with a naive reference, and lookups (v4 and v6) match a linear longest-prefix scan.
//!
//! Input: a stream of 8-byte records [op, len, vrf/lb, a, b, c, d, e].
#![no_main]

use std::collections::HashMap;

use fwd_engine::fib::{Adjacency, Fib, FibConfig, FibError, LbKind};
use libfuzzer_sys::fuzz_target;

fn mask(len: u8, bits: u32) -> u128 {
    if len == 0 {
        0
    } else {
        (u128::MAX << (128 - u32::from(len))) >> (128 - bits)
    }
}

fuzz_target!(|data: &[u8]| {
    let cfg = FibConfig {
        max_vrfs: 4,
        tbl8_groups: 64,
        tbl8_groups6: 64,
        max_routes4: 64,
        max_routes6: 64,
        max_host_routes6: 8,
        max_adjacencies: 16,
        max_lbs: 16,
        max_readers: 2,
        v4_first_bits: 16,
        ..FibConfig::default()
    };
    let (mut w, r) = Fib::new(cfg);
    let adj = w
        .add_adjacency(Adjacency::new(1, 1500, &[0; 14]).unwrap())
        .unwrap();
    let lbs: Vec<u32> = (0..4)
        .map(|i| w.add_lb(LbKind::Forward, &[adj], i).unwrap())
        .collect();
    // (vrf, v6?, prefix, len) -> lb
    let mut reference: HashMap<(u16, bool, u128, u8), u32> = HashMap::new();
    let mut vrfs = vec![true, false, false, false];
    for rec in data.chunks_exact(8) {
        let vrf = u16::from(rec[2] >> 6);
        let lb = lbs[usize::from(rec[2] & 3)];
        let v6 = rec[0] & 1 == 1;
        let bits = if v6 { 128 } else { 32 };
        let raw = u128::from(u32::from_be_bytes([rec[3], rec[4], rec[5], rec[6]]));
        let addr = if v6 {
            (raw << 96) | u128::from(rec[7])
        } else {
            raw
        };
        let len = rec[1] % (bits as u8 + 2); // includes one invalid length
        let prefix = addr & mask(len.min(bits as u8), bits);
        match rec[0] >> 1 & 3 {
            0 | 1 => {
                let got = if v6 {
                    w.route6_add(vrf, prefix, len, lb)
                } else {
                    w.route4_add(vrf, u32::try_from(prefix).unwrap(), len, lb)
                };
                if u32::from(len) > bits {
                    assert_eq!(got, Err(FibError::BadPrefix));
                } else if !vrfs[usize::from(vrf)] {
                    assert_eq!(got, Err(FibError::NoSuchVrf));
                } else if let Ok(old) = got {
                    assert_eq!(old, reference.insert((vrf, v6, prefix, len), lb));
                } else {
                    assert!(matches!(got, Err(FibError::TableFull(_))), "{got:?}");
                }
            }
            2 => {
                let got = if v6 {
                    w.route6_del(vrf, prefix, len)
                } else {
                    w.route4_del(vrf, u32::try_from(prefix).unwrap(), len)
                };
                if u32::from(len) > bits {
                    assert_eq!(got, Err(FibError::BadPrefix));
                } else if !vrfs[usize::from(vrf)] {
                    assert_eq!(got, Err(FibError::NoSuchVrf));
                } else {
                    let want = reference
                        .remove(&(vrf, v6, prefix, len))
                        .ok_or(FibError::NotFound);
                    assert_eq!(got, want);
                }
            }
            _ => {
                if rec[7] & 1 == 0 {
                    let got = w.add_vrf(vrf);
                    assert_eq!(got.is_ok(), !vrfs[usize::from(vrf)]);
                    vrfs[usize::from(vrf)] = true;
                } else if w.remove_vrf(vrf).is_ok() {
                    assert!(vrf != 0 && !reference.keys().any(|k| k.0 == vrf));
                    vrfs[usize::from(vrf)] = false;
                }
            }
        }
        // Check the lookup of this record's address in every VRF.
        let v = r.view();
        for (vi, exists) in vrfs.iter().enumerate() {
            let vid = u16::try_from(vi).unwrap();
            let want = reference
                .iter()
                .filter(|(k, _)| k.0 == vid && k.1 == v6 && addr & mask(k.3, bits) == k.2)
                .max_by_key(|(k, _)| k.3)
                .map(|(_, lb)| *lb)
                .unwrap_or_else(|| if *exists { w.drop_lb(vid).unwrap() } else { 0 });
            let got = if v6 {
                v.lookup6(vid, addr)
            } else {
                v.lookup4(vid, u32::try_from(addr).unwrap())
            };
            assert_eq!(got, want, "vrf {vid} addr {addr:#x}");
        }
    }
});
