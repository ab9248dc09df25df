//! Multibit trie with leaf pushing for IPv4 (16-8-8 or 24-8); IPv6 has its own compressed
//! variant of it in `trie6.rs` (which shares the entry form and `Rule`).
//!
//! The writer works on entries in a 32-bit form:
//! - bit 31 set: pointer to a child group of 256 entries in the family's group pool
//!   (bits 0..23 = group index);
//! - bit 31 clear: a leaf, bits 23..31 = `d` (prefix length + 1 of the route that produced the
//!   leaf, 0 = no route), bits 0..23 = the LB index.
//!
//! Roots (both families) and IPv6 node runs store that form as it is. IPv4 groups
//! ([`Dense`]) store 16-bit entries (bit 15: pointer to a group below 2^15, else a leaf with a
//! 15-bit LB index) and keep `d` in a writer-side byte array: half the bytes for readers.
//!
//! Every entry is written with one atomic store, so a reader sees the old or the new entry,
//! never a mix. A new child group is filled before the parent pointer is stored (Release);
//! groups that become unreachable are only reused after a grace period (see `rcu`).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU16, AtomicU32, Ordering};

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

/// Blocks (groups, nodes) unlinked from a trie and waiting for a grace period before they
/// can be reused: the deferred-reuse half of the IPv4 and IPv6 allocators.
pub(crate) struct Retired<T> {
    /// Unlinked by the current operation, not yet tagged with an epoch.
    unlinked: Vec<T>,
    /// (epoch, blocks) waiting for a grace period; no batch is empty.
    pending: VecDeque<(u64, Vec<T>)>,
    pending_count: usize,
}

impl<T> Retired<T> {
    pub(crate) fn new() -> Self {
        Retired {
            unlinked: Vec::new(),
            pending: VecDeque::new(),
            pending_count: 0,
        }
    }

    /// A block unlinked by the current operation.
    pub(crate) fn push(&mut self, b: T) {
        self.unlinked.push(b);
    }

    /// Blocks unlinked and not reusable yet (tagged or not).
    pub(crate) fn len(&self) -> usize {
        self.pending_count + self.unlinked.len()
    }

    /// Whether tagged blocks wait for a grace period.
    pub(crate) fn waiting(&self) -> bool {
        !self.pending.is_empty()
    }

    /// The tagged batches (for bookkeeping sizes).
    pub(crate) fn batches(&self) -> impl Iterator<Item = &Vec<T>> {
        self.pending.iter().map(|(_, v)| v)
    }

    /// Tag blocks unlinked by the last operation with a fresh epoch.
    pub(crate) fn seal(&mut self, rcu: &Rcu) {
        if !self.unlinked.is_empty() {
            let e = rcu.bump();
            self.pending_count += self.unlinked.len();
            self.pending
                .push_back((e, std::mem::take(&mut self.unlinked)));
        }
    }

    /// Hand the blocks whose grace period has passed to `free`.
    pub(crate) fn reclaim(&mut self, rcu: &Rcu, mut free: impl FnMut(Vec<T>)) {
        while let Some((e, _)) = self.pending.front() {
            if !rcu.passed(*e) {
                break;
            }
            if let Some((_, bs)) = self.pending.pop_front() {
                self.pending_count -= bs.len();
                free(bs);
            }
        }
    }

    /// Wait (bounded by `timeout`) for the oldest tagged batch's grace period:
    /// `TableFull(what)` if none is waiting, `ReadersStuck` if readers do not move on.
    pub(crate) fn wait_oldest(
        &self,
        rcu: &Rcu,
        timeout: std::time::Duration,
        what: &'static str,
    ) -> Result<(), FibError> {
        let Some(&(e, _)) = self.pending.front() else {
            return Err(FibError::TableFull(what));
        };
        if rcu.wait(e, timeout) {
            Ok(())
        } else {
            Err(FibError::ReadersStuck)
        }
    }
}

/// Group allocator of one pool with deferred reuse.
pub(crate) struct GroupAlloc {
    /// Groups `lo..cap` of the pool are this allocator's.
    lo: u32,
    cap: u32,
    /// High-water mark: groups `0..next` have been touched.
    next: u32,
    free: Vec<u32>,
    retired: Retired<u32>,
}

impl GroupAlloc {
    /// An allocator of groups `lo..hi` (empty if `hi <= lo`).
    pub(crate) fn range(lo: u32, hi: u32) -> Self {
        GroupAlloc {
            lo,
            cap: hi.max(lo),
            next: lo,
            free: Vec::new(),
            retired: Retired::new(),
        }
    }

    pub(crate) fn in_use(&self) -> usize {
        (self.next - self.lo) as usize - self.free.len() - self.retired.len()
    }

    pub(crate) fn touched(&self) -> usize {
        (self.next - self.lo) as usize
    }

    /// Groups allocatable now (without waiting for a grace period).
    pub(crate) fn available(&self) -> usize {
        self.free.len() + (self.cap - self.next) as usize
    }

    /// Tag groups unlinked by the last operation with a fresh epoch.
    pub(crate) fn seal(&mut self, rcu: &Rcu) {
        self.retired.seal(rcu);
    }

    /// Move groups whose grace period has passed to the free list.
    pub(crate) fn reclaim(&mut self, rcu: &Rcu) {
        let free = &mut self.free;
        self.retired.reclaim(rcu, |gs| free.extend(gs));
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
            self.retired.wait_oldest(rcu, timeout, what)?;
            self.reclaim(rcu);
        }
        Ok(())
    }

    /// One past the last group of this allocator's range.
    pub(crate) fn end(&self) -> u32 {
        self.cap
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

/// A family's group pool as the writer sees it: entries in the 32-bit form of this module
/// (`EXT | group` or `leaf(lb, d)`), whatever their stored width.
pub(crate) trait Groups {
    /// Entry `i` of group `g` (writer-side read of the writer's own stores).
    fn get(&self, g: u32, i: usize) -> u32;
    /// Store entry `i` of group `g` with one Release store (readers see old or new).
    fn set(&mut self, g: u32, i: usize, e: u32);
    /// Fill a group not yet reachable by readers (published later by a Release store).
    fn fill(&mut self, g: u32, e: u32);
    /// A group to hang below a root entry (`deep == false`) or below a group entry.
    fn alloc(&mut self, deep: bool) -> Option<u32>;
    /// Group `g` (allocated with `deep`) is no longer reachable: reuse after a grace period.
    fn unlink(&mut self, g: u32, deep: bool);
    /// Apply `rule` to the leaves among entries `range` of group `g`; true if the range holds
    /// pointers (which the caller then follows). The rule test is hoisted out of the loop:
    /// this is most of the cost of a route insert (leaf pushing over a prefix's span).
    fn apply_leaves(&mut self, g: u32, range: std::ops::Range<usize>, rule: Rule) -> bool;
    /// The leaf group `g` can be replaced by: `Some` if its entries are identical leaves.
    fn uniform(&self, g: u32) -> Option<u32>;
}

/// Ext bit of a 16-bit group entry (then bits 0..15 = index of a deep group); clear: a leaf,
/// bits 0..15 = the LB index.
pub(crate) const EXT16: u16 = 1 << 15;
pub(crate) const IDX16: u16 = EXT16 - 1;
/// Largest LB index a 16-bit group entry holds.
pub(crate) const MAX_LB16: u32 = IDX16 as u32;

/// A 16-bit group entry in the 32-bit form (`EXT | index` or a leaf of depth 0).
#[inline(always)]
pub(crate) fn widen(x: u16) -> u32 {
    let x = u32::from(x);
    (x & u32::from(IDX16)) | ((x & u32::from(EXT16)) << 16)
}

/// 16-bit group entries (the IPv4 pool): half the bytes of `Wide`, so the pool a 1M-route
/// table reads at random fits a last-level cache. The prefix length a leaf came from (needed
/// only by the writer for leaf pushing) lives in `depth`, a writer-side byte per entry.
/// Groups below a group entry must have an index < 2^15 and come from `deep` (the pool's
/// groups below 2^15); groups below a root entry (32-bit, any index) come from `top` (the
/// groups from 2^15 on), or from `deep` when `top` is exhausted. Leaves must hold LB indices <= `MAX_LB16`: the caller checks every LB it stores
/// (route and VRF drop LBs), so no entry is ever truncated.
pub(crate) struct Dense<'a> {
    pub(crate) pool: &'a [AtomicU16],
    pub(crate) depth: &'a mut [u8],
    pub(crate) top: &'a mut GroupAlloc,
    pub(crate) deep: &'a mut GroupAlloc,
}

impl Dense<'_> {
    #[inline]
    fn slot(g: u32, i: usize) -> usize {
        ((g as usize) << STRIDE) | (i & (GROUP - 1))
    }
    #[inline]
    fn encode(e: u32) -> u16 {
        let idx = e & IDX_MASK;
        debug_assert!(idx <= MAX_LB16, "16-bit group entry overflow: {e:#x}");
        #[allow(
            clippy::cast_possible_truncation,
            reason = "checked: deep group and LB indices are < 2^15 (see `Dense`)"
        )]
        let idx = (idx & MAX_LB16) as u16;
        if e & EXT != 0 {
            EXT16 | idx
        } else {
            idx
        }
    }
}

impl Groups for Dense<'_> {
    #[inline]
    fn get(&self, g: u32, i: usize) -> u32 {
        let s = Self::slot(g, i);
        // Only the writer stores entries: Relaxed reads of our own writes.
        let x = self.pool.get(s).map_or(0, |a| a.load(Ordering::Relaxed));
        let e = widen(x);
        if e & EXT != 0 {
            e
        } else {
            leaf(e, u32::from(self.depth.get(s).copied().unwrap_or(0)))
        }
    }
    #[inline]
    fn set(&mut self, g: u32, i: usize, e: u32) {
        let s = Self::slot(g, i);
        if let (Some(a), Some(d)) = (self.pool.get(s), self.depth.get_mut(s)) {
            #[allow(clippy::cast_possible_truncation, reason = "depth <= 33")]
            {
                *d = depth(e) as u8;
            }
            // Release: one whole-entry (16-bit) store; readers see old or new.
            a.store(Self::encode(e), Ordering::Release);
        }
    }
    fn fill(&mut self, g: u32, e: u32) {
        let x = Self::encode(e);
        #[allow(clippy::cast_possible_truncation, reason = "depth <= 33")]
        let d = depth(e) as u8;
        let s = Self::slot(g, 0);
        if let (Some(p), Some(ds)) = (
            self.pool.get(s..s + GROUP),
            self.depth.get_mut(s..s + GROUP),
        ) {
            for a in p {
                a.store(x, Ordering::Relaxed);
            }
            ds.fill(d);
        }
    }
    fn alloc(&mut self, deep: bool) -> Option<u32> {
        if deep {
            self.deep.alloc()
        } else {
            self.top.alloc().or_else(|| self.deep.alloc())
        }
    }
    fn unlink(&mut self, g: u32, _deep: bool) {
        if g < self.deep.end() {
            self.deep.retired.push(g);
        } else {
            self.top.retired.push(g);
        }
    }
    fn apply_leaves(&mut self, g: u32, range: std::ops::Range<usize>, rule: Rule) -> bool {
        let s = Self::slot(g, 0);
        let r = s + range.start..s + range.end.min(GROUP);
        let (Some(p), Some(ds)) = (self.pool.get(r.clone()), self.depth.get_mut(r)) else {
            return false;
        };
        // (new leaf, its depth, which old depths it replaces: <= or ==).
        let (x, nd, od, upto) = match rule {
            Rule::Add { new } => (Self::encode(new), depth(new), depth(new), true),
            Rule::Del { old_d, repl } => (Self::encode(repl), depth(repl), old_d, false),
        };
        #[allow(clippy::cast_possible_truncation, reason = "depths are <= 33")]
        let (nd, od) = (nd as u8, od as u8);
        let mut ptrs = false;
        for (a, d) in p.iter().zip(ds) {
            let v = a.load(Ordering::Relaxed);
            let hit = if upto { *d <= od } else { *d == od };
            if v & EXT16 != 0 {
                ptrs = true;
            } else if hit && (v != x || *d != nd) {
                *d = nd;
                // Release: one whole-entry (16-bit) store; readers see old or new.
                a.store(x, Ordering::Release);
            }
        }
        ptrs
    }
    fn uniform(&self, g: u32) -> Option<u32> {
        let s = Self::slot(g, 0);
        let p = self.pool.get(s..s + GROUP)?;
        let ds = self.depth.get(s..s + GROUP)?;
        let first = p.first()?.load(Ordering::Relaxed);
        if first & EXT16 != 0 || p.iter().any(|a| a.load(Ordering::Relaxed) != first) {
            return None;
        }
        let d = *ds.first()?;
        if ds.iter().any(|&x| x != d) {
            return None;
        }
        Some(leaf(u32::from(first), u32::from(d)))
    }
}

/// Groups an insert of `key/len` (`width`-bit keys) would allocate below `root`: (below the
/// root entry: 0 or 1, deeper), the levels past the first leaf on its path.
pub(crate) fn groups_needed<G: Groups>(
    pool: &G,
    root: &[AtomicU32],
    first_bits: u32,
    width: u32,
    key: u128,
    len: u32,
) -> (usize, usize) {
    if len <= first_bits {
        return (0, 0);
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
        e = pool.get(e & IDX_MASK, byte);
    }
    let missing = total - have;
    if have == 0 {
        (1, missing - 1)
    } else {
        (0, missing)
    }
}

/// Writer-side context for one family's trie.
pub(crate) struct TrieWriter<G> {
    pub(crate) pool: G,
    /// Key width in bits (32 or 128).
    pub(crate) width: u32,
}

impl<G: Groups> TrieWriter<G> {
    #[inline]
    fn byte(&self, key: u128, base: u32) -> usize {
        ((key >> (self.width - base - STRIDE)) & 0xff) as usize
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
        let shift = self.width - first_bits;
        let idx = ((key >> shift) & ((1u128 << first_bits) - 1)) as usize;
        if len <= first_bits {
            let span = 1usize << (first_bits - len);
            let start = idx & !(span - 1);
            if let Some(range) = root.get(start..start + span) {
                for slot in range {
                    let e = slot.load(Ordering::Relaxed);
                    if e & EXT != 0 {
                        let g = e & IDX_MASK;
                        self.update_group_all(g, rule, first_bits + STRIDE);
                        if let Some(l) = self.collapsible(g, first_bits) {
                            // Release: readers see the old pointer or the new leaf.
                            slot.store(l, Ordering::Release);
                            self.pool.unlink(g, false);
                        }
                    } else if let Some(n) = apply(e, rule) {
                        // Release: one whole-entry store; readers see old or new.
                        slot.store(n, Ordering::Release);
                    }
                }
            }
            return;
        }
        let Some(slot) = root.get(idx) else { return };
        // Only the writer stores entries: Relaxed reads of our own writes.
        let e = slot.load(Ordering::Relaxed);
        let g = if e & EXT != 0 {
            e & IDX_MASK
        } else {
            if matches!(rule, Rule::Del { .. }) {
                return; // nothing more specific below a leaf
            }
            let Some(g) = self.pool.alloc(false) else {
                debug_assert!(false, "groups were reserved by `ensure`");
                return;
            };
            self.pool.fill(g, e);
            // Release: the group's entries are visible before the pointer to it
            // (pairs with the readers' Acquire loads).
            slot.store(EXT | g, Ordering::Release);
            g
        };
        self.update_group(g, first_bits, key, len, rule);
        if let Some(l) = self.collapsible_near(g, first_bits, key, len) {
            // Release: readers see the old pointer or the new leaf.
            slot.store(l, Ordering::Release);
            self.pool.unlink(g, false);
        }
    }

    /// `rule` for `key/len` in group `g`, whose entries cover bits `base..base + 8`.
    fn update_group(&mut self, g: u32, base: u32, key: u128, len: u32, rule: Rule) {
        let end = base + STRIDE;
        let idx = self.byte(key, base);
        if len <= end {
            let span = 1usize << (end - len);
            let start = idx & !(span - 1);
            self.update_range(g, start..start + span, rule, end);
            return;
        }
        let e = self.pool.get(g, idx);
        let c = if e & EXT != 0 {
            e & IDX_MASK
        } else {
            if matches!(rule, Rule::Del { .. }) {
                return; // nothing more specific below a leaf
            }
            let Some(c) = self.pool.alloc(true) else {
                debug_assert!(false, "groups were reserved by `ensure`");
                return;
            };
            self.pool.fill(c, e);
            // Release (in `set`): the group's entries are visible before the pointer to it.
            self.pool.set(g, idx, EXT | c);
            c
        };
        self.update_group(c, end, key, len, rule);
        if let Some(l) = self.collapsible_near(c, end, key, len) {
            self.pool.set(g, idx, l);
            self.pool.unlink(c, true);
        }
    }

    /// Apply `rule` to entries `range` of group `g` (and, through pointers, to every entry
    /// below): leaf pushing over a prefix's span, most of the cost of a route insert. An
    /// entry of `g` covers a prefix of `elen` bits.
    fn update_range(&mut self, g: u32, range: std::ops::Range<usize>, rule: Rule, elen: u32) {
        if !self.pool.apply_leaves(g, range.clone(), rule) {
            return;
        }
        for i in range {
            let e = self.pool.get(g, i);
            if e & EXT != 0 {
                let c = e & IDX_MASK;
                self.update_group_all(c, rule, elen + STRIDE);
                if let Some(l) = self.collapsible(c, elen) {
                    self.pool.set(g, i, l);
                    self.pool.unlink(c, true);
                }
            }
        }
    }

    /// `rule` over the whole group `g`.
    #[inline(never)]
    fn update_group_all(&mut self, g: u32, rule: Rule, elen: u32) {
        self.update_range(g, 0..GROUP, rule, elen);
    }

    /// The leaf group `g`, below an entry covering a prefix of `slot_len` bits, can be
    /// replaced by: `Some` if its 256 entries are identical leaves produced by a route no
    /// longer than `slot_len` (a leaf pushed from longer routes, e.g. two sibling /17s with
    /// the same LB, must stay below: a leaf in the slot would stand for one route covering
    /// the whole slot, and deleting one of the siblings would then change nothing).
    fn collapsible(&self, g: u32, slot_len: u32) -> Option<u32> {
        self.pool.uniform(g).filter(|&l| depth(l) <= slot_len + 1)
    }

    /// `collapsible` after an update of `key/len` in group `g` (entries covering bits
    /// `base..base + 8`): the update changed at most the aligned range of entries its prefix
    /// spans (one entry if it went deeper), so an entry just outside that range that differs
    /// from the range's first entry shows the group is not uniform without reading all 256
    /// entries (for a /24 written next to its sibling /24s, the full scan was about half of
    /// the insert's instructions). Same answer as `collapsible`: any two differing entries
    /// mean "not uniform"; otherwise the full check runs.
    fn collapsible_near(&self, g: u32, base: u32, key: u128, len: u32) -> Option<u32> {
        let idx = self.byte(key, base);
        let span = 1usize << (base + STRIDE).saturating_sub(len).min(STRIDE);
        let start = idx & !(span - 1);
        if span < GROUP && self.pool.get(g, start) != self.pool.get(g, start ^ span) {
            return None;
        }
        if self.pool.get(g, 0) != self.pool.get(g, GROUP - 1) {
            return None;
        }
        self.collapsible(g, base)
    }

    /// Retire every group reachable from `root` (the VRF is being removed).
    pub(crate) fn retire_all(&mut self, root: &[AtomicU32]) {
        for s in root {
            let e = s.load(Ordering::Relaxed);
            if e & EXT != 0 {
                self.retire_group(e & IDX_MASK, false);
            }
        }
    }

    fn retire_group(&mut self, g: u32, deep: bool) {
        for i in 0..GROUP {
            let e = self.pool.get(g, i);
            if e & EXT != 0 {
                self.retire_group(e & IDX_MASK, true);
            }
        }
        self.pool.unlink(g, deep);
    }
}

/// The entry `rule` turns leaf `e` into, if it changes it.
#[inline(always)]
fn apply(e: u32, rule: Rule) -> Option<u32> {
    match rule {
        Rule::Add { new } => (depth(e) <= depth(new) && e != new).then_some(new),
        Rule::Del { old_d, repl } => (depth(e) == old_d && e != repl).then_some(repl),
    }
}
