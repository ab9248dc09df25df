//! The IPv4 route table: open addressing with linear probing in one array of 40-byte entries
//! (key and slot together, no separate control bytes), so a lookup touches one cache line (two
//! when an entry straddles lines, or a probe runs on), and the line a key lives in, or would be
//! inserted near, is known from its hash: [`Table4::warm`] can touch it ahead of the call that
//! needs it. Deletion shifts the following entries back (no tombstones).
//!
//! An entry with VR id 0 is empty: route keys of this table never have VR id 0
//! ([`crate::routes::RKey::of`] gives such keys the general form).

use crate::routes::{Slot, K4};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Entry {
    k: K4,
    s: Slot,
}

const EMPTY: Entry = Entry {
    k: K4(0, 0),
    s: Slot {
        next_hop: 0,
        seq: 0,
        action: 0,
        flags: 0,
    },
};

/// See the module docs.
#[derive(Clone, Debug, Default)]
pub(crate) struct Table4 {
    e: Vec<Entry>,
    len: usize,
}

/// Largest share of used entries, as (numerator, denominator).
const LOAD: (usize, usize) = (3, 4);

#[inline]
fn hash(k: &K4) -> u64 {
    let x = k.1 ^ k.0.rotate_left(17);
    let p = u128::from(x) * u128::from(0x9e37_79b9_7f4a_7c15u64);
    #[allow(
        clippy::cast_possible_truncation,
        reason = "the two halves of the product"
    )]
    {
        (p as u64) ^ ((p >> 64) as u64)
    }
}

impl Table4 {
    pub fn len(&self) -> usize {
        self.len
    }

    /// Entries it holds before it grows.
    pub fn capacity(&self) -> usize {
        self.e.len() / LOAD.1 * LOAD.0
    }

    fn mask(&self) -> usize {
        self.e.len().wrapping_sub(1)
    }

    #[inline]
    fn home(&self, k: &K4) -> usize {
        #[allow(
            clippy::cast_possible_truncation,
            reason = "masked to the table size, a usize"
        )]
        let h = hash(k) as usize;
        h & self.mask()
    }

    /// Index of `k`, or of the empty entry where it would go.
    #[inline]
    fn find(&self, k: &K4) -> Result<usize, usize> {
        if self.e.is_empty() {
            return Err(0);
        }
        let mask = self.mask();
        let mut i = self.home(k);
        loop {
            let e = &self.e[i];
            if e.k.0 == 0 {
                return Err(i);
            }
            if e.k == *k {
                return Ok(i);
            }
            i = (i + 1) & mask;
        }
    }

    pub fn get(&self, k: &K4) -> Option<&Slot> {
        self.find(k).ok().map(|i| &self.e[i].s)
    }

    pub fn get_mut(&mut self, k: &K4) -> Option<&mut Slot> {
        self.find(k).ok().map(|i| &mut self.e[i].s)
    }

    /// Touch the line where `k` is or would be (a read whose result is only counted): see the
    /// module docs.
    #[inline]
    pub fn warm(&self, k: &K4) -> bool {
        !self.e.is_empty() && self.e[self.home(k)].k == *k
    }

    /// Where `k` is (`Ok`) or where it goes (`Err`, room guaranteed: the table grows first).
    pub fn place(&mut self, k: &K4) -> Result<usize, usize> {
        if self.len + 1 > self.capacity() {
            self.grow_to(self.len + 1);
        }
        self.find(k)
    }

    /// Fill the empty entry `i` that [`Table4::place`] returned for `k`.
    pub fn insert_at(&mut self, i: usize, k: K4, s: Slot) {
        debug_assert!(self.e[i].k.0 == 0 && k.0 != 0);
        self.e[i] = Entry { k, s };
        self.len += 1;
    }

    /// Insert or replace.
    pub fn insert(&mut self, k: K4, s: Slot) -> Option<Slot> {
        match self.place(&k) {
            Ok(i) => Some(std::mem::replace(&mut self.e[i].s, s)),
            Err(i) => {
                self.insert_at(i, k, s);
                None
            }
        }
    }

    pub fn remove(&mut self, k: &K4) -> Option<Slot> {
        let mut i = self.find(k).ok()?;
        let out = self.e[i].s;
        let mask = self.mask();
        // Backward shift: move later entries of the run into the hole while their home is not
        // between the hole and them (cyclically).
        let mut j = i;
        loop {
            j = (j + 1) & mask;
            if self.e[j].k.0 == 0 {
                break;
            }
            let h = self.home(&self.e[j].k);
            let movable = if j > i {
                h <= i || h > j
            } else {
                h <= i && h > j
            };
            if movable {
                self.e[i] = self.e[j];
                i = j;
            }
        }
        self.e[i] = EMPTY;
        self.len -= 1;
        Some(out)
    }

    /// Room for `n` entries in all (at least).
    pub fn reserve_total(&mut self, n: usize) {
        if n > self.capacity() {
            self.grow_to(n);
        }
    }

    fn grow_to(&mut self, n: usize) {
        let want = n
            .saturating_mul(LOAD.1)
            .div_ceil(LOAD.0)
            .max(16)
            .next_power_of_two();
        let want = want.max(self.e.len() * 2);
        let old = std::mem::replace(&mut self.e, vec![EMPTY; want]);
        self.len = 0;
        for e in old.into_iter().filter(|e| e.k.0 != 0) {
            if let Err(i) = self.find(&e.k) {
                self.insert_at(i, e.k, e.s);
            }
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = (&K4, &Slot)> + '_ {
        self.e.iter().filter(|e| e.k.0 != 0).map(|e| (&e.k, &e.s))
    }

    /// Empty the table, keeping its memory (tests).
    #[cfg(test)]
    pub fn clear(&mut self) {
        self.e.fill(EMPTY);
        self.len = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashMap;

    fn key(vr: u8, a: u16) -> K4 {
        K4(u64::from(vr) + 1, u64::from(a))
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
        /// Against a HashMap: inserts, replacements, removals (backward shifts across runs and
        /// the wrap-around), growth; small key spaces to make collisions and long runs common.
        #[test]
        fn behaves_like_a_map(ops in proptest::collection::vec((0u8..3, 0u8..4, 0u16..300), 1..600)) {
            let mut t = Table4::default();
            let mut m = HashMap::new();
            for (op, vr, a) in ops {
                let k = key(vr, a);
                let s = Slot::new(u64::from(a) * 7 + u64::from(vr));
                match op {
                    0 | 1 => prop_assert_eq!(t.insert(k, s), m.insert(k, s)),
                    _ => prop_assert_eq!(t.remove(&k), m.remove(&k)),
                }
                prop_assert_eq!(t.len(), m.len());
            }
            for (k, s) in &m {
                prop_assert_eq!(t.get(k), Some(s));
            }
            prop_assert_eq!(t.iter().count(), m.len());
            for (k, s) in t.iter() {
                prop_assert_eq!(m.get(k), Some(s));
            }
            prop_assert!(t.len() <= t.capacity());
        }
    }

    /// A full run wrapping around the end of the array: removals keep every other key found.
    #[test]
    fn wrap_around_runs() {
        let mut t = Table4::default();
        t.reserve_total(12);
        let n = t.e.len();
        // Keys whose home is the last entry, found by search.
        let last: Vec<K4> = (0..100_000u64)
            .map(|a| K4(1, a))
            .filter(|k| t.home(k) == n - 1)
            .take(6)
            .collect();
        assert_eq!(last.len(), 6);
        for (i, k) in last.iter().enumerate() {
            assert_eq!(t.insert(*k, Slot::new(i as u64)), None);
        }
        for (i, k) in last.iter().enumerate() {
            assert_eq!(t.remove(k).map(|s| s.seq), Some(i as u64));
            for (j, k2) in last.iter().enumerate().skip(i + 1) {
                assert_eq!(t.get(k2).map(|s| s.seq), Some(j as u64));
            }
        }
        assert_eq!(t.len(), 0);
        assert!(t.e.iter().all(|e| e.k.0 == 0));
    }
}
