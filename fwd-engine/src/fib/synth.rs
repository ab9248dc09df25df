//! Synthetic route tables and destinations for tests and benchmarks (deterministic).
//!
//! The IPv4 model follows the shape of a full BGP table: about 59% /24, 38% /16-/23
//! (most of them /22-/23), 1.5% shorter than /16 and 1% longer than /24 (infrastructure
//! /30-/32, clustered a few per /24). Prefixes longer than /16 fall inside a limited set of
//! /16 blocks (40k of the 65k, like the allocated and routed space), weighted so that some
//! blocks are dense and others sparse.

/// xorshift64* PRNG: deterministic, no dependencies.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub fn next_u32(&mut self) -> u32 {
        u32::try_from(self.next_u64() >> 32).unwrap_or(0)
    }
    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u32) -> u32 {
        u32::try_from((u64::from(self.next_u32()) * u64::from(n)) >> 32).unwrap_or(0)
    }
}

/// Cumulative per-mille weights of prefix lengths 8..=32 for the BGP-like mix.
const LEN_MIX: [(u8, u32); 17] = [
    (8, 1),
    (12, 5),
    (15, 15),
    (16, 29),
    (17, 35),
    (18, 45),
    (19, 65),
    (20, 100),
    (21, 140),
    (22, 260),
    (23, 370),
    (24, 960),
    (26, 963),
    (28, 967),
    (29, 970),
    (30, 980),
    (32, 1000),
];

fn pick_len(rng: &mut Rng) -> u8 {
    let r = rng.below(1000);
    LEN_MIX
        .iter()
        .find(|&&(_, c)| r < c)
        .map_or(24, |&(l, _)| l)
}

fn mask(len: u8) -> u32 {
    if len == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(len))
    }
}

/// `n` distinct IPv4 prefixes (host order, host bits zero) with the BGP-like length mix.
pub fn bgp_like_v4(n: usize, seed: u64) -> Vec<(u32, u8)> {
    let mut rng = Rng::new(seed);
    // 40k distinct /16 blocks in 1.0.0.0-223.255.255.255, sorted so block i is "dense" for
    // small i (the weight of a block falls with its rank).
    let mut blocks: Vec<u32> = Vec::with_capacity(40_000);
    let mut seen = std::collections::HashSet::new();
    while blocks.len() < 40_000.min(n.max(1)) {
        let b = 0x0100 + rng.below(0xe000 - 0x0100);
        let first = b >> 8;
        if first == 10 || first == 127 || first == 100 && (b & 0xff) >= 64 {
            continue;
        }
        if seen.insert(b) {
            blocks.push(b);
        }
    }
    let mut out = Vec::with_capacity(n);
    let mut set = std::collections::HashSet::with_capacity(n);
    let mut infra_base = 0u32;
    let mut infra_left = 0u32;
    while out.len() < n {
        let len = pick_len(&mut rng);
        let p = if len > 24 {
            // Infrastructure prefixes: a few per /24.
            if infra_left == 0 {
                infra_left = 4;
                let b = blocks[rng.below(u32::try_from(blocks.len()).unwrap_or(1)) as usize];
                infra_base = (b << 16) | (rng.below(256) << 8);
            }
            infra_left -= 1;
            (infra_base | (rng.next_u32() & 0xff)) & mask(len)
        } else if len > 16 {
            // Squared uniform: low ranks (dense blocks) are picked more often.
            let r = rng.below(u32::try_from(blocks.len()).unwrap_or(1));
            let r = u32::try_from(u64::from(r) * u64::from(r) / blocks.len() as u64).unwrap_or(0);
            let b = blocks[r as usize];
            ((b << 16) | (rng.next_u32() & 0xffff)) & mask(len)
        } else {
            (0x0100_0000 + rng.below(0xdf00_0000)) & mask(len)
        };
        if set.insert((p, len)) {
            out.push((p, len));
        }
    }
    out
}

/// `n` destinations, each a random address inside a random prefix of `routes`.
pub fn dsts_within_v4(routes: &[(u32, u8)], n: usize, seed: u64) -> Vec<u32> {
    let mut rng = Rng::new(seed);
    if routes.is_empty() {
        return (0..n).map(|_| rng.next_u32()).collect();
    }
    let m = u32::try_from(routes.len()).unwrap_or(u32::MAX);
    (0..n)
        .map(|_| {
            let (p, l) = routes[rng.below(m) as usize];
            p | (rng.next_u32() & !mask(l))
        })
        .collect()
}

/// Per-mille weights of IPv6 prefix lengths in the global BGP table (DFZ). Shape of the
/// public table reports (bgp.potaroo.net/v6/as6447 and RIPE RIS prefix-length statistics,
/// 2019-2024: ~226k entries in Oct 2024, average prefix length 43.2, ~58% more-specifics of
/// announced aggregates): /48 about half, /32 ~11%, /44, /40, /29, /36 and /46 next, few
/// prefixes shorter than /29 and ~1.5% longer than /48 (no /128: hosts are not in the DFZ).
/// This mix averages 43.1.
const LEN_MIX6: [(u8, u32); 28] = [
    (19, 2),
    (20, 2),
    (22, 2),
    (24, 3),
    (26, 2),
    (28, 4),
    (29, 40),
    (30, 8),
    (31, 7),
    (32, 110),
    (33, 7),
    (34, 8),
    (35, 10),
    (36, 30),
    (38, 4),
    (39, 6),
    (40, 60),
    (41, 5),
    (42, 15),
    (43, 10),
    (44, 80),
    (45, 10),
    (46, 30),
    (47, 20),
    (48, 510),
    (52, 2),
    (56, 8),
    (64, 5),
];

/// RIR blocks the aggregates are drawn from (prefix, length, weight): 2001::/16 (early
/// allocations), 2400::/12 (APNIC), 2600::/12 (ARIN), 2800::/12 (LACNIC), 2a00::/12 (RIPE),
/// 2c00::/12 (AFRINIC).
const RIR6: [(u128, u32, u32); 6] = [
    (0x2001 << 112, 16, 10),
    (0x2400 << 112, 12, 25),
    (0x2600 << 112, 12, 20),
    (0x2800 << 112, 12, 10),
    (0x2a00 << 112, 12, 33),
    (0x2c00 << 112, 12, 2),
];

fn mask6(len: u8) -> u128 {
    if len == 0 {
        0
    } else {
        u128::MAX << (128 - u32::from(len))
    }
}

fn rand128(rng: &mut Rng) -> u128 {
    (u128::from(rng.next_u64()) << 64) | u128::from(rng.next_u64())
}

/// `n` distinct IPv6 prefixes shaped like the global BGP table ([`LEN_MIX6`]): aggregates
/// (/19-/32) at random places in the RIR blocks, and every longer prefix inside one of them,
/// the aggregate picked with a squared-rank skew (a few aggregates hold many more-specifics,
/// like a cloud provider's /32 full of /48s; most hold none or a few).
pub fn table_like_v6(n: usize, seed: u64) -> Vec<(u128, u8)> {
    let mut rng = Rng::new(seed);
    let total: u32 = LEN_MIX6.iter().map(|&(_, w)| w).sum();
    let pick = |rng: &mut Rng| -> u8 {
        let mut r = rng.below(total);
        for &(l, w) in &LEN_MIX6 {
            if r < w {
                return l;
            }
            r -= w;
        }
        48
    };
    let rir_total: u32 = RIR6.iter().map(|&(_, _, w)| w).sum();
    let lens: Vec<u8> = (0..n).map(|_| pick(&mut rng)).collect();
    let mut out = Vec::with_capacity(n);
    let mut set = std::collections::HashSet::with_capacity(n);
    let mut aggs: Vec<(u128, u8)> = Vec::new();
    // Aggregates first (at least one, so that longer prefixes have a home).
    let mut agg_lens: Vec<u8> = lens.iter().copied().filter(|&l| l <= 32).collect();
    if agg_lens.is_empty() {
        agg_lens.push(32);
    }
    let mut tries = 0;
    while aggs.len() < agg_lens.len() {
        // Short lengths have few distinct prefixes in the RIR blocks (a /12 holds 128 /19s):
        // after repeated duplicates, take the next longer length for this one.
        if tries > 16 {
            let l = &mut agg_lens[aggs.len()];
            *l = (*l + 1).min(32);
            tries = 0;
        }
        tries += 1;
        let len = agg_lens[aggs.len()];
        let mut r = rng.below(rir_total);
        let &(base, blen, _) = RIR6
            .iter()
            .find(|&&(_, _, w)| {
                let hit = r < w;
                r = r.saturating_sub(w);
                hit
            })
            .unwrap_or(&RIR6[0]);
        let p = (base | (rand128(&mut rng) >> blen)) & mask6(len);
        if set.insert((p, len)) {
            aggs.push((p, len));
            out.push((p, len));
            tries = 0;
        }
    }
    let m = u32::try_from(aggs.len()).unwrap_or(u32::MAX);
    let mut longer = lens.iter().filter(|&&l| l > 32).copied().cycle();
    while out.len() < n {
        let Some(len) = longer.next() else { break };
        // Squared uniform rank: low ranks (dense aggregates) are picked more often.
        let r = rng.below(m);
        let r = u32::try_from(u64::from(r) * u64::from(r) / u64::from(m)).unwrap_or(0);
        let (a, alen) = aggs[r as usize];
        let p = (a | (rand128(&mut rng) & !mask6(alen))) & mask6(len);
        if set.insert((p, len)) {
            out.push((p, len));
        }
    }
    out
}

/// `n` destinations inside random prefixes of `routes`.
pub fn dsts_within_v6(routes: &[(u128, u8)], n: usize, seed: u64) -> Vec<u128> {
    let mut rng = Rng::new(seed);
    let m = u32::try_from(routes.len().max(1)).unwrap_or(u32::MAX);
    (0..n)
        .map(|_| {
            let low = (u128::from(rng.next_u64()) << 64) | u128::from(rng.next_u64());
            match routes.get(rng.below(m) as usize) {
                Some(&(p, l)) => {
                    let host = if l == 0 {
                        u128::MAX
                    } else {
                        u128::MAX.checked_shr(u32::from(l)).unwrap_or(0)
                    };
                    p | (low & host)
                }
                None => low,
            }
        })
        .collect()
}
