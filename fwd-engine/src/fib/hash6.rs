//! IPv6 routes longer than /32 (and shorter than /128): one lock-free open-addressing hash
//! table keyed by (VRF, prefix length, prefix), shared by all VRFs and lengths.
//!
//! The trie resolves an address down to its /32; a /32 under which longer routes exist holds
//! a *descriptor* (see `trie.rs`): the leaf-pushed result of the routes up to /32 and a bitmap
//! of the prefix lengths 33..=127 present below that /32. A lookup probes this table for those
//! lengths, longest first; the first hit is the longest match, no hit means the descriptor's
//! leaf. A /48 costs one slot here (24 bytes at a load factor between 1/4 and 1/2) instead of
//! one or two private 1 KiB trie groups, and no trie level below /32.
//!
//! Slot life cycle (writer only): EMPTY -> VALID(tag) -> DEAD -> (after a grace period)
//! reused. Key and LB are written before the state is published (Release); a DEAD slot is
//! rewritten only after every reader that could have seen it VALID has ended its view. The
//! table never fills: when VALID + DEAD slots would exceed half of it, the writer builds a
//! new one (twice the size, or the same size to purge DEAD slots) and publishes it in the
//! object snapshot; the old one is never written again and is freed with its snapshot after
//! a grace period.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use super::rcu::Rcu;

const EMPTY: u32 = 0;
const DEAD: u32 = u32::MAX;
const MIN_SLOTS: usize = 64;

/// State word of a VALID slot of `vrf`, prefix length `len`.
#[inline]
fn tag(vrf: u16, len: u32) -> u32 {
    ((u32::from(vrf) << 8) | (len & 0xff)) + 1
}

#[inline]
#[allow(clippy::cast_possible_truncation, reason = "halves of a u128")]
fn halves(key: u128) -> (u64, u64) {
    ((key >> 64) as u64, key as u64)
}

/// murmur3 fmix64 over the folded key and tag.
#[inline]
fn hash(t: u32, hi: u64, lo: u64) -> u64 {
    let mut h = hi ^ lo.rotate_left(23).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ u64::from(t);
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

pub(crate) struct Slot {
    state: AtomicU32,
    lb: AtomicU32,
    hi: AtomicU64,
    lo: AtomicU64,
}

pub(crate) struct RouteTable {
    slots: Box<[Slot]>,
    mask: usize,
    /// Longest probe distance ever written (readers never probe further).
    max_probe: AtomicU32,
}

impl RouteTable {
    pub(crate) fn new(slots: usize) -> Self {
        let n = slots.max(MIN_SLOTS).next_power_of_two();
        RouteTable {
            slots: (0..n)
                .map(|_| Slot {
                    state: AtomicU32::new(EMPTY),
                    lb: AtomicU32::new(0),
                    hi: AtomicU64::new(0),
                    lo: AtomicU64::new(0),
                })
                .collect(),
            mask: n - 1,
            max_probe: AtomicU32::new(0),
        }
    }

    pub(crate) fn bytes(&self) -> usize {
        self.slots.len() * std::mem::size_of::<Slot>()
    }

    fn cap(&self) -> usize {
        self.slots.len()
    }

    #[inline]
    #[allow(clippy::cast_possible_truncation, reason = "masked to the table size")]
    fn start(&self, t: u32, hi: u64, lo: u64) -> usize {
        hash(t, hi, lo) as usize & self.mask
    }

    /// Reader: the LB of route `vrf` `key/len` (`key` masked to `len`), if present.
    #[inline]
    pub(crate) fn get(&self, vrf: u16, len: u32, key: u128) -> Option<u32> {
        let (hi, lo) = halves(key);
        let t = tag(vrf, len);
        let mut i = self.start(t, hi, lo);
        // Acquire pairs with the writer's Release fetch_max in `insert`.
        let max = self.max_probe.load(Ordering::Acquire);
        for _ in 0..=max {
            let s = self.slots.get(i)?;
            // Acquire pairs with the writer's Release store of the state in `insert`: the
            // key and LB written before it are visible.
            let st = s.state.load(Ordering::Acquire);
            if st == EMPTY {
                return None;
            }
            if st == t && s.hi.load(Ordering::Relaxed) == hi && s.lo.load(Ordering::Relaxed) == lo {
                // Acquire pairs with the Release store of a replaced LB in `insert`.
                return Some(s.lb.load(Ordering::Acquire));
            }
            i = (i + 1) & self.mask;
        }
        None
    }

    /// Reader: load the first slot `get(vrf, len, key)` would probe and return its state
    /// (meaningless to the caller): issued for every candidate length of a batch before the
    /// real probes so that their cache misses overlap.
    #[inline]
    pub(crate) fn touch(&self, vrf: u16, len: u32, key: u128) -> u32 {
        let (hi, lo) = halves(key);
        let i = self.start(tag(vrf, len), hi, lo);
        self.slots
            .get(i)
            .map_or(0, |s| s.state.load(Ordering::Relaxed))
    }

    /// Writer: slot of a VALID route.
    fn find(&self, t: u32, hi: u64, lo: u64) -> Option<usize> {
        let mut i = self.start(t, hi, lo);
        for _ in 0..=self.max_probe.load(Ordering::Relaxed) {
            let s = self.slots.get(i)?;
            let st = s.state.load(Ordering::Relaxed);
            if st == EMPTY {
                return None;
            }
            if st == t && s.hi.load(Ordering::Relaxed) == hi && s.lo.load(Ordering::Relaxed) == lo {
                return Some(i);
            }
            i = (i + 1) & self.mask;
        }
        None
    }

    /// Every VALID route: (state tag, key, lb).
    fn valid(&self) -> impl Iterator<Item = (u32, u128, u32)> + '_ {
        self.slots.iter().filter_map(|s| {
            let st = s.state.load(Ordering::Relaxed);
            (st != EMPTY && st != DEAD).then(|| {
                let key = (u128::from(s.hi.load(Ordering::Relaxed)) << 64)
                    | u128::from(s.lo.load(Ordering::Relaxed));
                (st, key, s.lb.load(Ordering::Relaxed))
            })
        })
    }
}

/// Writer-side state of the current table.
pub(crate) struct RouteTableWriter {
    /// `reusable[i]`: slot i is DEAD and its grace period has passed.
    reusable: Vec<bool>,
    pending: VecDeque<(u64, usize)>,
    valid: usize,
    dead: usize,
}

impl RouteTableWriter {
    pub(crate) fn new(t: &RouteTable) -> Self {
        RouteTableWriter {
            reusable: vec![false; t.cap()],
            pending: VecDeque::new(),
            valid: 0,
            dead: 0,
        }
    }

    pub(crate) fn bytes(&self) -> usize {
        self.reusable.capacity() + self.pending.capacity() * 16
    }

    /// A larger (or purged) table if one more insert would take VALID + DEAD slots above
    /// half of `t`: every VALID route copied. The caller publishes it and calls `replaced`.
    pub(crate) fn grow_if_needed(&self, t: &RouteTable) -> Option<RouteTable> {
        if (self.valid + self.dead + 1) * 2 <= t.cap() {
            return None;
        }
        let n = if (self.valid + 1) * 4 > t.cap() {
            t.cap() * 2
        } else {
            t.cap()
        };
        let new = RouteTable::new(n);
        let mut w = RouteTableWriter::new(&new);
        for (st, key, lb) in t.valid() {
            w.place(&new, st, key, lb);
        }
        Some(new)
    }

    /// The table was replaced by one built by `grow_if_needed` (which holds only VALID slots).
    pub(crate) fn replaced(&mut self, new: &RouteTable) {
        self.reusable = vec![false; new.cap()];
        self.pending.clear();
        self.dead = 0;
    }

    fn reclaim(&mut self, rcu: &Rcu) {
        while let Some(&(e, i)) = self.pending.front() {
            if !rcu.passed(e) {
                break;
            }
            self.pending.pop_front();
            if let Some(r) = self.reusable.get_mut(i) {
                *r = true;
            }
        }
    }

    /// Store a new VALID slot (the key is not present). There is always an EMPTY slot
    /// (at most half the slots are VALID or DEAD).
    fn place(&mut self, t: &RouteTable, st: u32, key: u128, lb: u32) {
        let (hi, lo) = halves(key);
        let mut i = t.start(st, hi, lo);
        for dist in 0..u32::try_from(t.cap()).unwrap_or(u32::MAX) {
            let s = &t.slots[i];
            let cur = s.state.load(Ordering::Relaxed);
            let reuse = cur == DEAD && self.reusable.get(i).copied().unwrap_or(false);
            if cur == EMPTY || reuse {
                s.hi.store(hi, Ordering::Relaxed);
                s.lo.store(lo, Ordering::Relaxed);
                s.lb.store(lb, Ordering::Relaxed);
                // Release (fetch_max): readers that load the new bound also probe this far.
                t.max_probe.fetch_max(dist, Ordering::Release);
                // Release: key and LB are visible before the slot is (pairs with `get`).
                s.state.store(st, Ordering::Release);
                if reuse {
                    self.reusable[i] = false;
                    self.dead -= 1;
                }
                self.valid += 1;
                return;
            }
            i = (i + 1) & t.mask;
        }
        debug_assert!(false, "the table is kept at most half full");
    }

    /// Insert or replace `vrf` `key/len`; returns true if it was new. Call `grow_if_needed`
    /// (and publish) first.
    pub(crate) fn insert(
        &mut self,
        t: &RouteTable,
        rcu: &Rcu,
        vrf: u16,
        len: u32,
        key: u128,
        lb: u32,
    ) -> bool {
        let st = tag(vrf, len);
        let (hi, lo) = halves(key);
        if let Some(i) = t.find(st, hi, lo) {
            // Release: a replaced LB is published whole (pairs with the Acquire in `get`).
            t.slots[i].lb.store(lb, Ordering::Release);
            return false;
        }
        self.reclaim(rcu);
        self.place(t, st, key, lb);
        true
    }

    /// Remove; the slot is reused only after a grace period. Returns whether it existed.
    pub(crate) fn remove(
        &mut self,
        t: &RouteTable,
        rcu: &Rcu,
        vrf: u16,
        len: u32,
        key: u128,
    ) -> bool {
        let (hi, lo) = halves(key);
        let Some(i) = t.find(tag(vrf, len), hi, lo) else {
            return false;
        };
        // Release: pairs with the Acquire state load in `get`.
        t.slots[i].state.store(DEAD, Ordering::Release);
        let e = rcu.bump();
        self.pending.push_back((e, i));
        self.valid -= 1;
        self.dead += 1;
        true
    }
}

#[cfg(test)]
impl RouteTable {
    /// (slots, VALID slots, mean probe distance of the VALID slots, max_probe).
    pub(crate) fn probe_stats(&self) -> (usize, usize, f64, u32) {
        let (mut n, mut sum) = (0usize, 0usize);
        for (i, s) in self.slots.iter().enumerate() {
            let st = s.state.load(Ordering::Relaxed);
            if st != EMPTY && st != DEAD {
                let (hi, lo) = (s.hi.load(Ordering::Relaxed), s.lo.load(Ordering::Relaxed));
                let start = self.start(st, hi, lo);
                sum += (i + self.slots.len() - start) & self.mask;
                n += 1;
            }
        }
        let mean = sum as f64 / n.max(1) as f64;
        (
            self.slots.len(),
            n,
            mean,
            self.max_probe.load(Ordering::Relaxed),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Keys (vrf 0, /48) whose first probe is slot `want` in `t`.
    fn colliding(t: &RouteTable, want: usize, n: usize) -> Vec<u128> {
        (1u128..)
            .map(|i| i << 80)
            .filter(|&k| {
                let (hi, lo) = halves(k);
                t.start(tag(0, 48), hi, lo) == want
            })
            .take(n)
            .collect()
    }

    #[test]
    fn fib_hash6_dead_slot_is_reused_only_after_grace() {
        let rcu = Rcu::new(2);
        let reader = rcu.register();
        let t = RouteTable::new(64);
        let mut w = RouteTableWriter::new(&t);
        let keys = colliding(&t, 5, 3);
        assert!(w.insert(&t, &rcu, 0, 48, keys[0], 7));
        assert_eq!(t.get(0, 48, keys[0]), Some(7));
        rcu.enter(reader); // a view that may hold keys[0]'s slot
        assert!(w.remove(&t, &rcu, 0, 48, keys[0]));
        assert_eq!(t.get(0, 48, keys[0]), None);
        assert!(w.insert(&t, &rcu, 0, 48, keys[1], 8));
        assert_eq!(
            t.slots[5].state.load(Ordering::Relaxed),
            DEAD,
            "slot 5 rewritten while a reader may still hold it"
        );
        assert_eq!(t.get(0, 48, keys[1]), Some(8));
        rcu.exit(reader);
        assert!(w.insert(&t, &rcu, 0, 48, keys[2], 9));
        assert_eq!(
            t.slots[5].state.load(Ordering::Relaxed),
            tag(0, 48),
            "reused after grace"
        );
        assert_eq!(t.get(0, 48, keys[2]), Some(9));
        assert_eq!(t.get(0, 48, keys[1]), Some(8));
        // Replacing an LB keeps the slot; other VRFs and lengths are other keys.
        assert!(!w.insert(&t, &rcu, 0, 48, keys[1], 10));
        assert_eq!(t.get(0, 48, keys[1]), Some(10));
        assert_eq!(t.get(1, 48, keys[1]), None);
        assert_eq!(t.get(0, 47, keys[1]), None);
    }

    #[test]
    fn fib_hash6_grows_and_purges_dead_slots() {
        let rcu = Rcu::new(1);
        let mut t = RouteTable::new(64);
        let mut w = RouteTableWriter::new(&t);
        let keys: Vec<u128> = (1..=400u128).map(|i| i << 80).collect();
        for (i, &k) in keys.iter().enumerate() {
            if let Some(n) = w.grow_if_needed(&t) {
                w.replaced(&n);
                t = n;
            }
            assert!(w.insert(&t, &rcu, 0, 48, k, u32::try_from(i).unwrap()));
            if i % 2 == 1 {
                assert!(w.remove(&t, &rcu, 0, 48, keys[i - 1]));
            }
        }
        assert!(t.cap() >= 2 * (w.valid + w.dead), "at most half full");
        for (i, &k) in keys.iter().enumerate() {
            let want = (i % 2 == 1).then(|| u32::try_from(i).unwrap());
            assert_eq!(t.get(0, 48, k), want, "{i}");
        }
    }
}
