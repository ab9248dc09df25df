//! Control-side prefix store: one hash map per prefix length (the writer's source of truth,
//! used for exact-match queries, covering-prefix search on delete, and dumps).

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, Hasher};

/// Prefix key: u32 for IPv4, u128 for IPv6.
pub(crate) trait Key: Copy + Eq + Hash + Ord + Into<u128> {
    const BITS: u32;
    /// `self` with all bits below the first `len` cleared.
    fn masked(self, len: u32) -> Self;
}

impl Key for u32 {
    const BITS: u32 = 32;
    fn masked(self, len: u32) -> Self {
        if len == 0 {
            0
        } else {
            self & (u32::MAX << (32 - len.min(32)))
        }
    }
}

impl Key for u128 {
    const BITS: u32 = 128;
    fn masked(self, len: u32) -> Self {
        if len == 0 {
            0
        } else {
            self & (u128::MAX << (128 - len.min(128)))
        }
    }
}

/// A small, fast hasher for prefix keys (murmur3 finaliser over folded input). Keys are
/// controlled by the routing protocol, not by packets, so DoS resistance is not needed here.
///
/// IPv4 keys (`write_u32`, one call per key) hash by their index among the prefixes of the
/// map's length (`key >> shift`): the low 4 bits of the hash are the index's low 4 bits, the
/// rest the finaliser over the remaining bits, and the 7 top bits (the map's tags) get the
/// low 4 bits as well. Runs of 16 consecutive prefixes (a table programmed in address order)
/// then share one control group and a few slot lines of the map (about one cache miss per
/// run instead of two per route); other keys spread as before. Lookups are correct whatever
/// the hash; only probe lengths depend on it.
#[derive(Default, Clone, Copy)]
pub(crate) struct PrefixHasher {
    h: u64,
    /// Host bits of the map's IPv4 prefixes (32 - length).
    shift: u32,
    /// `h` is final (set by `write_u32`).
    done: bool,
}

fn fmix(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

impl Hasher for PrefixHasher {
    fn finish(&self) -> u64 {
        if self.done {
            self.h
        } else {
            fmix(self.h)
        }
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.write_u64(u64::from(*b));
        }
    }
    fn write_u32(&mut self, v: u32) {
        if self.done {
            // Not a single IPv4 key: fold it like any other word.
            self.done = false;
            self.write_u64(u64::from(v));
            return;
        }
        let n = u64::from(v.checked_shr(self.shift).unwrap_or(0));
        let run = n & 15;
        self.h = ((fmix(self.h ^ (n >> 4)) << 4) | run) ^ (run << 57);
        self.done = true;
    }
    fn write_u64(&mut self, v: u64) {
        if self.done {
            self.done = false;
        }
        self.h = (self.h.rotate_left(29) ^ v).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
    fn write_u128(&mut self, v: u128) {
        #[allow(clippy::cast_possible_truncation, reason = "folding the two halves")]
        {
            self.write_u64(v as u64);
            self.write_u64((v >> 64) as u64);
        }
    }
}

#[derive(Default, Clone, Copy)]
pub(crate) struct BuildPrefixHasher;

impl BuildHasher for BuildPrefixHasher {
    type Hasher = PrefixHasher;
    fn build_hasher(&self) -> PrefixHasher {
        PrefixHasher::default()
    }
}

/// Hasher builder of one length's map in a [`PrefixStore`]: `shift` = host bits of its IPv4
/// prefixes (unused by wider keys).
#[derive(Default, Clone, Copy)]
pub(crate) struct BuildStoreHasher {
    shift: u32,
}

impl BuildHasher for BuildStoreHasher {
    type Hasher = PrefixHasher;
    fn build_hasher(&self) -> PrefixHasher {
        PrefixHasher {
            shift: self.shift,
            ..BuildPrefixHasher.build_hasher()
        }
    }
}

pub(crate) struct PrefixStore<K: Key> {
    /// `maps[len]`: prefix (host bits zero) -> LB index.
    maps: Vec<HashMap<K, u32, BuildStoreHasher>>,
    /// Bit `len` set when `maps[len]` is non-empty (skips empty lengths on covering search).
    nonempty: [u64; 3],
    count: usize,
}

impl<K: Key> PrefixStore<K> {
    pub(crate) fn new() -> Self {
        PrefixStore {
            maps: (0..=K::BITS)
                .map(|len| {
                    HashMap::with_hasher(BuildStoreHasher {
                        shift: K::BITS - len,
                    })
                })
                .collect(),
            nonempty: [0; 3],
            count: 0,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.count
    }

    pub(crate) fn get(&self, key: K, len: u32) -> Option<u32> {
        self.maps.get(len as usize)?.get(&key).copied()
    }

    /// Insert or replace; returns the replaced LB.
    pub(crate) fn insert(&mut self, key: K, len: u32, lb: u32) -> Option<u32> {
        let m = self.maps.get_mut(len as usize)?;
        let old = m.insert(key, lb);
        if old.is_none() {
            self.count += 1;
            self.nonempty[(len / 64) as usize] |= 1 << (len % 64);
        }
        old
    }

    pub(crate) fn remove(&mut self, key: K, len: u32) -> Option<u32> {
        let m = self.maps.get_mut(len as usize)?;
        let old = m.remove(&key)?;
        self.count -= 1;
        if m.is_empty() {
            self.nonempty[(len / 64) as usize] &= !(1 << (len % 64));
            // Give the memory back after a mass withdrawal.
            m.shrink_to_fit();
        }
        Some(old)
    }

    fn has_len(&self, len: u32) -> bool {
        self.nonempty[(len / 64) as usize] & (1 << (len % 64)) != 0
    }

    /// The longest stored prefix strictly shorter than `len` that covers `key`:
    /// (its length, its LB).
    pub(crate) fn covering(&self, key: K, len: u32) -> Option<(u32, u32)> {
        (0..len)
            .rev()
            .filter(|&l| self.has_len(l))
            .find_map(|l| self.get(key.masked(l), l).map(|lb| (l, lb)))
    }

    /// All routes sorted by (prefix, length).
    pub(crate) fn sorted(&self) -> Vec<(K, u8, u32)> {
        let mut v = Vec::with_capacity(self.count);
        for (len, m) in self.maps.iter().enumerate() {
            let l = u8::try_from(len).unwrap_or(u8::MAX);
            v.extend(m.iter().map(|(k, lb)| (*k, l, *lb)));
        }
        v.sort_unstable_by_key(|&(k, l, _)| (k, l));
        v
    }

    /// Heap bytes held by the maps (from each map's capacity: the bucket count is the
    /// capacity * 8/7 rounded up to a power of two; one (key, value) pair and one control byte
    /// per bucket).
    pub(crate) fn memory_bytes(&self) -> usize {
        let per = std::mem::size_of::<(K, u32)>() + 1;
        self.maps
            .iter()
            .map(|m| match m.capacity() {
                0 => 0,
                c => (c * 8).div_ceil(7).next_power_of_two() * per + 16,
            })
            .sum::<usize>()
            + self.maps.capacity() * std::mem::size_of::<HashMap<K, u32, BuildStoreHasher>>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash_with<B: BuildHasher, T: Hash>(b: &B, x: T) -> u64 {
        b.hash_one(x)
    }

    /// IPv4 keys of one length: 16 consecutive prefixes (a run) hash to 16 consecutive
    /// buckets (low 4 bits = position, same bits above) with distinct 7-bit tags; runs spread.
    #[test]
    fn store_hash_keeps_runs_of_ipv4_prefixes() {
        for len in [8u32, 16, 24, 32] {
            let b = BuildStoreHasher { shift: 32 - len };
            let mut bases = std::collections::HashSet::new();
            let mut runs = std::collections::HashSet::new();
            for r in 0..1000u32 {
                // Run `r * 7919` of this length (wraps for short lengths).
                let run = r.wrapping_mul(7919) & ((1u32 << (len - 4).min(31)) - 1);
                let hs: Vec<u64> = (0..16u32)
                    .map(|j| hash_with(&b, ((run << 4) | j).checked_shl(32 - len).unwrap_or(0)))
                    .collect();
                let low = (1u64 << 57) - 1;
                for (j, h) in hs.iter().enumerate() {
                    assert_eq!(h & 15, j as u64, "/{len} run {run}: position");
                    assert_eq!(h & low & !15, hs[0] & low & !15, "/{len} run {run}: bucket");
                }
                let tags: std::collections::HashSet<u64> = hs.iter().map(|h| h >> 57).collect();
                assert_eq!(tags.len(), 16, "/{len} run {run}: tags");
                bases.insert(hs[0] & 0xffff_fff0);
                runs.insert(run);
            }
            assert!(
                bases.len() * 10 >= runs.len() * 9,
                "/{len}: {} runs in {} places",
                runs.len(),
                bases.len()
            );
        }
    }

    /// Wider keys (IPv6) hash as before the IPv4 change: words folded, then the finaliser.
    #[test]
    fn store_hash_of_wide_keys_is_unchanged() {
        let fold = |h: u64, v: u64| (h.rotate_left(29) ^ v).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        for k in [0u128, 1, 0x2001_0db8 << 96, u128::MAX] {
            #[allow(clippy::cast_possible_truncation, reason = "halves of the key")]
            let want = fmix(fold(fold(0, k as u64), (k >> 64) as u64));
            assert_eq!(hash_with(&BuildPrefixHasher, k), want);
            assert_eq!(hash_with(&BuildStoreHasher { shift: 64 }, k), want);
        }
    }
}
