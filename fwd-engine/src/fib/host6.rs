//! IPv6 host routes (/128): a lock-free open-addressing table keyed by (VRF, address), so that
//! a /128 (typically one per neighbour) costs one slot instead of up to 14 trie groups and its
//! lookup one probe instead of 15 levels. A /128 is the longest possible match, so a hit here
//! is the LPM answer; a miss falls through to the trie.
//!
//! Slot life cycle (writer only): EMPTY -> VALID(vrf) -> DEAD -> (after a grace period) reused.
//! The key and LB of a slot are written before its state is published (Release), and a slot
//! is only rewritten after every reader that could have seen it VALID has ended its view.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use super::rcu::Rcu;
use super::store::BuildPrefixHasher;
use super::FibError;

const EMPTY: u32 = 0;
const DEAD: u32 = u32::MAX;

#[inline]
fn tag(vrf: u16) -> u32 {
    u32::from(vrf) + 1
}

#[repr(align(32))]
pub(crate) struct Slot {
    state: AtomicU32,
    lb: AtomicU32,
    hi: AtomicU64,
    lo: AtomicU64,
}

/// Created by the writer on the first host route (published through a `OnceLock`).
pub(crate) struct HostTable {
    slots: Box<[Slot]>,
    mask: usize,
    /// Valid entries; readers skip the probe while it is 0.
    len: std::sync::atomic::AtomicUsize,
    /// Longest probe distance ever written (readers never probe further).
    max_probe: AtomicU32,
}

#[inline]
fn hash(vrf: u16, key: u128) -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = BuildPrefixHasher.build_hasher();
    h.write_u128(key);
    h.write_u64(u64::from(vrf));
    h.finish()
}

#[allow(clippy::cast_possible_truncation, reason = "halves of a u128")]
fn halves(key: u128) -> (u64, u64) {
    ((key >> 64) as u64, key as u64)
}

impl HostTable {
    /// A table for up to `max` host routes (load factor <= 1/2).
    pub(crate) fn new(max: usize) -> Self {
        let n = (max.max(1) * 2).next_power_of_two();
        let slots = (0..n)
            .map(|_| Slot {
                state: AtomicU32::new(EMPTY),
                lb: AtomicU32::new(0),
                hi: AtomicU64::new(0),
                lo: AtomicU64::new(0),
            })
            .collect();
        HostTable {
            slots,
            mask: n - 1,
            len: std::sync::atomic::AtomicUsize::new(0),
            max_probe: AtomicU32::new(0),
        }
    }

    pub(crate) fn bytes(&self) -> usize {
        self.slots.len() * std::mem::size_of::<Slot>()
    }

    /// Reader: the LB of host route `vrf`/`key`, if any.
    #[inline]
    pub(crate) fn get(&self, vrf: u16, key: u128) -> Option<u32> {
        // Relaxed: a host route added concurrently may be missed (the "old" answer).
        if self.len.load(Ordering::Relaxed) == 0 {
            return None;
        }
        let (hi, lo) = halves(key);
        let t = tag(vrf);
        #[allow(clippy::cast_possible_truncation, reason = "masked to the table size")]
        let mut i = hash(vrf, key) as usize & self.mask;
        let max = self.max_probe.load(Ordering::Acquire);
        for _ in 0..=max {
            let s = self.slots.get(i)?;
            // Acquire pairs with the writer's Release store of the state in `insert`: the
            // key and LB written before it are visible.
            match s.state.load(Ordering::Acquire) {
                EMPTY => return None,
                st if st == t
                    && s.hi.load(Ordering::Relaxed) == hi
                    && s.lo.load(Ordering::Relaxed) == lo =>
                {
                    // Acquire pairs with the Release store in `set_lb` (route replace).
                    return Some(s.lb.load(Ordering::Acquire));
                }
                _ => {}
            }
            i = (i + 1) & self.mask;
        }
        None
    }

    /// Writer: slot of `vrf`/`key` if VALID.
    fn find(&self, vrf: u16, key: u128) -> Option<usize> {
        let (hi, lo) = halves(key);
        let t = tag(vrf);
        #[allow(clippy::cast_possible_truncation, reason = "masked to the table size")]
        let mut i = hash(vrf, key) as usize & self.mask;
        for _ in 0..=self.max_probe.load(Ordering::Relaxed) {
            let s = &self.slots[i];
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
}

/// Writer-side state of the host table.
pub(crate) struct HostWriter {
    /// `reusable[i]`: slot i is DEAD and its grace period has passed.
    reusable: Vec<bool>,
    pending: std::collections::VecDeque<(u64, usize)>,
    count: usize,
    max: usize,
}

impl HostWriter {
    pub(crate) fn new(table: &HostTable, max: usize) -> Self {
        HostWriter {
            reusable: vec![false; table.slots.len()],
            pending: std::collections::VecDeque::new(),
            count: 0,
            max,
        }
    }

    fn reclaim(&mut self, rcu: &Rcu) {
        while let Some(&(e, i)) = self.pending.front() {
            if !rcu.passed(e) {
                break;
            }
            self.pending.pop_front();
            self.reusable[i] = true;
        }
    }

    /// Insert or replace; the caller keeps the control-side store (which says whether the
    /// route exists). Returns `TableFull` when `max` host routes exist, `ReadersStuck` if
    /// a dead slot is needed but readers hold it past `timeout`.
    pub(crate) fn insert(
        &mut self,
        t: &HostTable,
        rcu: &Rcu,
        vrf: u16,
        key: u128,
        lb: u32,
        timeout: std::time::Duration,
    ) -> Result<(), FibError> {
        if let Some(i) = t.find(vrf, key) {
            // Release: a replaced LB is published whole (pairs with the Acquire in `get`).
            t.slots[i].lb.store(lb, Ordering::Release);
            return Ok(());
        }
        if self.count >= self.max {
            return Err(FibError::TableFull("ipv6 host routes (max_host_routes6)"));
        }
        self.reclaim(rcu);
        #[allow(clippy::cast_possible_truncation, reason = "masked to the table size")]
        let start = hash(vrf, key) as usize & t.mask;
        loop {
            // At most half the slots are VALID, so an EMPTY or DEAD slot exists.
            let mut i = start;
            let mut dist = 0u32;
            let found = loop {
                let st = t.slots[i].state.load(Ordering::Relaxed);
                if st == EMPTY || (st == DEAD && self.reusable[i]) {
                    break Some(i);
                }
                if dist as usize > t.mask {
                    break None;
                }
                i = (i + 1) & t.mask;
                dist += 1;
            };
            if let Some(i) = found {
                let s = &t.slots[i];
                let (hi, lo) = halves(key);
                s.hi.store(hi, Ordering::Relaxed);
                s.lo.store(lo, Ordering::Relaxed);
                s.lb.store(lb, Ordering::Relaxed);
                // Release (fetch_max): readers that load the new bound also probe this far.
                t.max_probe.fetch_max(dist, Ordering::Release);
                // Release: key and LB are visible before the slot is (pairs with `get`).
                s.state.store(tag(vrf), Ordering::Release);
                self.reusable[i] = false;
                self.count += 1;
                t.len.store(self.count, Ordering::Relaxed);
                return Ok(());
            }
            // Only DEAD slots still in grace: wait for the oldest.
            let Some(&(e, _)) = self.pending.front() else {
                return Err(FibError::TableFull("ipv6 host routes (max_host_routes6)"));
            };
            if !rcu.wait(e, timeout) {
                return Err(FibError::ReadersStuck);
            }
            self.reclaim(rcu);
        }
    }

    /// Remove; the slot is reused only after a grace period.
    pub(crate) fn remove(&mut self, t: &HostTable, rcu: &Rcu, vrf: u16, key: u128) -> bool {
        let Some(i) = t.find(vrf, key) else {
            return false;
        };
        // Release: pairs with the Acquire state load in `get`.
        t.slots[i].state.store(DEAD, Ordering::Release);
        let e = rcu.bump();
        self.pending.push_back((e, i));
        self.count -= 1;
        t.len.store(self.count, Ordering::Relaxed);
        true
    }
}
