//! Multibit trie with leaf pushing, shared by IPv4 (16-8-8 or 24-8) and IPv6 (16-8-...-8).
//!
//! A table level is an array of `AtomicU32` entries:
//! - bit 31 set: pointer to a child group of 256 entries in the family's group pool
//!   (bits 0..23 = group index);
//! - bit 31 clear: a leaf, bits 23..31 = `d` (prefix length + 1 of the route that produced the
//!   leaf, 0 = no route), bits 0..23 = the LB index.
//!
//! Every entry is written with one atomic store, so a reader sees the old or the new entry,
//! never a mix. A new child group is filled before the parent pointer is stored (Release);
//! groups that become unreachable are only reused after a grace period (see `rcu`).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU32, Ordering};

use super::rcu::Rcu;
use super::FibError;

pub(crate) const EXT: u32 = 1 << 31;
pub(crate) const IDX_BITS: u32 = 23;
pub(crate) const IDX_MASK: u32 = (1 << IDX_BITS) - 1;
pub(crate) const STRIDE: u32 = 8;
pub(crate) const GROUP: usize = 1 << STRIDE;
const DEPTH_SHIFT: u32 = IDX_BITS;

/// Leaf entry for LB `lb` produced by a route of length `d - 1` (`d == 0`: no route).
#[inline]
pub(crate) fn leaf(lb: u32, d: u32) -> u32 {
    debug_assert!(lb <= IDX_MASK && d <= 129);
    (d << DEPTH_SHIFT) | (lb & IDX_MASK)
}

#[inline]
fn depth(e: u32) -> u32 {
    (e >> DEPTH_SHIFT) & 0xff
}

/// The entries of group `g` (empty slice if `g` is out of range, which never happens for
/// pointers the writer stored).
#[inline]
pub(crate) fn group(pool: &[AtomicU32], g: u32) -> &[AtomicU32] {
    let start = (g as usize) * GROUP;
    pool.get(start..start + GROUP).unwrap_or(&[])
}

/// Walk from a root entry down the groups for a key of `width` bits, `shift` = bits left
/// below the root stride. Returns the LB index.
#[inline(always)]
pub(crate) fn descend(pool: &[AtomicU32], mut e: u32, mut shift: u32, key: u128) -> u32 {
    while e & EXT != 0 && shift >= STRIDE {
        shift -= STRIDE;
        let byte = ((key >> shift) & 0xff) as usize;
        let i = (((e & IDX_MASK) as usize) << STRIDE) | byte;
        // Acquire pairs with the writer's Release store of the pointer/leaf (`update_level`).
        e = match pool.get(i) {
            Some(a) => a.load(Ordering::Acquire),
            None => return 0,
        };
    }
    e & IDX_MASK
}

/// Group allocator of one pool with deferred reuse.
pub(crate) struct GroupAlloc {
    cap: u32,
    /// High-water mark: groups `0..next` have been touched.
    next: u32,
    free: Vec<u32>,
    /// Unlinked by the current operation, not yet tagged with an epoch.
    unlinked: Vec<u32>,
    /// (epoch, groups) waiting for a grace period.
    pending: VecDeque<(u64, Vec<u32>)>,
    pending_count: usize,
}

impl GroupAlloc {
    pub(crate) fn new(cap: u32) -> Self {
        GroupAlloc {
            cap,
            next: 0,
            free: Vec::new(),
            unlinked: Vec::new(),
            pending: VecDeque::new(),
            pending_count: 0,
        }
    }

    pub(crate) fn in_use(&self) -> usize {
        self.next as usize - self.free.len() - self.pending_count - self.unlinked.len()
    }

    pub(crate) fn touched(&self) -> usize {
        self.next as usize
    }

    fn available(&self) -> usize {
        self.free.len() + (self.cap - self.next) as usize
    }

    /// Tag groups unlinked by the last operation with a fresh epoch.
    pub(crate) fn seal(&mut self, rcu: &Rcu) {
        if !self.unlinked.is_empty() {
            let e = rcu.bump();
            self.pending_count += self.unlinked.len();
            self.pending
                .push_back((e, std::mem::take(&mut self.unlinked)));
        }
    }

    /// Move groups whose grace period has passed to the free list.
    pub(crate) fn reclaim(&mut self, rcu: &Rcu) {
        while let Some((e, _)) = self.pending.front() {
            if !rcu.passed(*e) {
                break;
            }
            if let Some((_, gs)) = self.pending.pop_front() {
                self.pending_count -= gs.len();
                self.free.extend(gs);
            }
        }
    }

    /// Make sure `n` groups can be allocated without failing half-way through an update,
    /// waiting for readers (bounded by `timeout`) if freed groups are still in grace.
    pub(crate) fn ensure(
        &mut self,
        n: usize,
        rcu: &Rcu,
        timeout: std::time::Duration,
        what: &'static str,
    ) -> Result<(), FibError> {
        if self.available() >= n {
            return Ok(());
        }
        self.reclaim(rcu);
        while self.available() < n {
            let Some(&(e, _)) = self.pending.front() else {
                return Err(FibError::TableFull(what));
            };
            if !rcu.wait(e, timeout) {
                return Err(FibError::ReadersStuck);
            }
            self.reclaim(rcu);
        }
        Ok(())
    }

    fn alloc(&mut self) -> Option<u32> {
        if let Some(g) = self.free.pop() {
            return Some(g);
        }
        if self.next < self.cap {
            self.next += 1;
            return Some(self.next - 1);
        }
        None
    }
}

/// What an update does to a leaf.
#[derive(Clone, Copy)]
pub(crate) enum Rule {
    /// Install `new` over leaves of depth <= its own (less or equally specific).
    Add { new: u32 },
    /// Replace leaves of depth `old_d` (the deleted prefix) by `repl` (its covering route).
    Del { old_d: u32, repl: u32 },
}

/// Writer-side context for one family's trie.
pub(crate) struct TrieWriter<'a> {
    pub(crate) pool: &'a [AtomicU32],
    pub(crate) alloc: &'a mut GroupAlloc,
    /// Key width in bits (32 or 128).
    pub(crate) width: u32,
}

/// Groups an insert of `key/len` (`width`-bit keys) would allocate below `root`: the levels
/// past the first leaf on its path.
pub(crate) fn groups_needed(
    pool: &[AtomicU32],
    root: &[AtomicU32],
    first_bits: u32,
    width: u32,
    key: u128,
    len: u32,
) -> usize {
    if len <= first_bits {
        return 0;
    }
    let total = (len - first_bits).div_ceil(STRIDE) as usize;
    let idx = ((key >> (width - first_bits)) & ((1u128 << first_bits) - 1)) as usize;
    let mut e = root.get(idx).map_or(0, |a| a.load(Ordering::Relaxed));
    let mut consumed = first_bits;
    let mut have = 0;
    while e & EXT != 0 && have < total {
        have += 1;
        let byte = ((key >> (width - consumed - STRIDE)) & 0xff) as usize;
        consumed += STRIDE;
        e = group(pool, e & IDX_MASK)
            .get(byte)
            .map_or(0, |a| a.load(Ordering::Relaxed));
    }
    total - have
}

impl TrieWriter<'_> {
    #[inline]
    fn level_index(&self, key: u128, base: u32, stride: u32) -> usize {
        let shift = self.width - base - stride;
        ((key >> shift) & ((1u128 << stride) - 1)) as usize
    }

    /// Apply `rule` for prefix `key/len` below `root` (a root of `first_bits` bits).
    /// The caller has reserved `groups_needed` groups, so this cannot fail half-way.
    pub(crate) fn update(
        &mut self,
        root: &[AtomicU32],
        first_bits: u32,
        key: u128,
        len: u32,
        rule: Rule,
    ) {
        self.update_level(root, 0, first_bits, key, len, rule);
    }

    fn update_level(
        &mut self,
        table: &[AtomicU32],
        base: u32,
        stride: u32,
        key: u128,
        len: u32,
        rule: Rule,
    ) {
        let end = base + stride;
        let idx = self.level_index(key, base, stride);
        if len <= end {
            let span = 1usize << (end - len);
            let start = idx & !(span - 1);
            if let Some(range) = table.get(start..start + span) {
                self.update_range(range, rule);
            }
            return;
        }
        let Some(slot) = table.get(idx) else { return };
        // Only the writer stores entries: Relaxed reads of our own writes.
        let e = slot.load(Ordering::Relaxed);
        let g = if e & EXT != 0 {
            e & IDX_MASK
        } else {
            if matches!(rule, Rule::Del { .. }) {
                return; // nothing more specific below a leaf
            }
            let Some(g) = self.alloc.alloc() else {
                debug_assert!(false, "groups were reserved by `ensure`");
                return;
            };
            for s in group(self.pool, g) {
                s.store(e, Ordering::Relaxed);
            }
            // Release: the group's entries are visible before the pointer to it
            // (pairs with the Acquire load in `descend`).
            slot.store(EXT | g, Ordering::Release);
            g
        };
        let pool = self.pool;
        self.update_level(group(pool, g), end, STRIDE, key, len, rule);
        self.maybe_collapse(slot, g);
    }

    /// Apply `rule` to every entry of `range` (and, through pointers, to every entry below).
    /// The leaf test is hoisted out of the loop per rule kind: this loop is most of the cost
    /// of a route insert (leaf pushing over the prefix's span).
    fn update_range(&mut self, range: &[AtomicU32], rule: Rule) {
        match rule {
            Rule::Add { new } => {
                let d = depth(new);
                for slot in range {
                    let e = slot.load(Ordering::Relaxed);
                    if e & EXT != 0 {
                        self.update_child(slot, e, rule);
                    } else if depth(e) <= d && e != new {
                        // Release: one whole-entry store; readers see old or new.
                        slot.store(new, Ordering::Release);
                    }
                }
            }
            Rule::Del { old_d, repl } => {
                for slot in range {
                    let e = slot.load(Ordering::Relaxed);
                    if e & EXT != 0 {
                        self.update_child(slot, e, rule);
                    } else if depth(e) == old_d && e != repl {
                        // Release: one whole-entry store; readers see old or new.
                        slot.store(repl, Ordering::Release);
                    }
                }
            }
        }
    }

    /// `rule` over the whole group `e` (a pointer entry of `slot`) points to.
    #[inline(never)]
    fn update_child(&mut self, slot: &AtomicU32, e: u32, rule: Rule) {
        let g = e & IDX_MASK;
        let pool = self.pool;
        self.update_range(group(pool, g), rule);
        self.maybe_collapse(slot, g);
    }

    /// If group `g` (pointed to by `parent`) holds 256 identical leaves, replace the pointer by
    /// that leaf and retire the group.
    fn maybe_collapse(&mut self, parent: &AtomicU32, g: u32) {
        let grp = group(self.pool, g);
        let Some(first) = grp.first().map(|s| s.load(Ordering::Relaxed)) else {
            return;
        };
        if first & EXT != 0 || grp.iter().any(|s| s.load(Ordering::Relaxed) != first) {
            return;
        }
        parent.store(first, Ordering::Release);
        self.alloc.unlinked.push(g);
    }

    /// Retire every group reachable from `root` (the VRF is being removed).
    pub(crate) fn retire_all(&mut self, root: &[AtomicU32]) {
        for s in root {
            let e = s.load(Ordering::Relaxed);
            if e & EXT != 0 {
                self.retire_group(e & IDX_MASK);
            }
        }
    }

    fn retire_group(&mut self, g: u32) {
        let pool = self.pool;
        for s in group(pool, g) {
            let e = s.load(Ordering::Relaxed);
            if e & EXT != 0 {
                self.retire_group(e & IDX_MASK);
            }
        }
        self.alloc.unlinked.push(g);
    }
}
