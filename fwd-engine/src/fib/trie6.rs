//! IPv6 LPM: a leaf-pushed multibit trie (16- or 8-bit root, 8-bit strides below) whose
//! 256-entry nodes are stored compressed (run-length encoded, poptrie style).
//!
//! A node is the run-length encoding of its 256 entries (in the 32-bit form of `trie.rs`:
//! a pointer `EXT | [TINY] | word index`, or `leaf(lb, d)`); a pointer entry is always a
//! run of its own. Two formats, told apart by the `TINY` bit of the pointer to the node:
//! - tiny (at most 4 runs, `1 + runs` words): word 0 packs the starts of runs 1..=3 in
//!   10-bit fields (as `512 - start`, 1 = no such run), the run values follow. Entry `b` is
//!   `value[#(starts <= b)]`, counted for the three fields at once by one add and two
//!   multiplies. A /48 alone below its /40 costs one 16-byte tiny node (the
//!   covering leaf, the /48's leaf, the covering leaf again) instead of a 1 KiB group.
//! - full (`HDR + runs` words): a 16-word header of 32 half-words, one per group of 8
//!   entries: the number of runs started before the group (high byte) and the group's 8 bits
//!   of the run-start bitmap (low byte); the run values follow. Entry `b` is
//!   `value[count(b / 8) + popcount(bits(b / 8) & (2 << b % 8) - 1) - 1]`, the masked popcount
//!   read from a 2 KiB table indexed by (bits, b % 8) (the build targets baseline x86-64: no
//!   `popcnt`).
//!
//! A single lookup branches on the format at each level; the batched lookup keeps one
//! worklist per format (`lookup_batch`). A tiny node never straddles two cache lines (one
//! miss per level for the nodes most routes own).
//!
//! Concurrency (one writer, lock-free readers, see `rcu.rs`): a node's format, run starts and
//! counts never change once it is reachable. An update that keeps a node's run structure
//! stores the changed run values in place, each with one Release store (readers see the old
//! or the new entry). An update that changes it builds a new node (copy-on-write), fills it
//! completely, then publishes it with one Release store of the pointer in its parent (or,
//! when the parent is rebuilt too, in the nearest ancestor kept in place, or the root); the
//! replaced node is retired and its words are reused only after a grace period. Readers load
//! run values and roots with Acquire, so a node is fully visible before it is used.

use std::sync::atomic::{AtomicU32, Ordering};

use super::rcu::Rcu;
use super::store::PrefixStore;
use super::trie::{Retired, Rule, EXT, IDX_MASK, STRIDE};
use super::FibError;

/// Header words of a full node: 32 (count, bitmap byte) half-words.
pub(crate) const HDR: usize = 16;
const FAN: usize = 1 << STRIDE;
/// Largest node: 256 runs.
const MAX_NODE: usize = HDR + FAN;
/// Pointer flag: the node is tiny.
const TINY: u32 = 1 << 30;
/// Node index bits of a pointer entry.
const PTR: u32 = TINY - 1;
/// Most runs of a tiny node.
const TINY_RUNS: usize = 4;
/// A tiny node's start fields: 10 bits each at bits 0, 10 and 20, `512 - start` for a run
/// start (257..=511), `NO_START` for no such run. `b + field` reaches 512 (bit 9 of the field)
/// exactly when `b >= start`, for the three fields at once (`tiny_step`).
const NO_START: u32 = 1;
const FIELDS: u32 = 1 | (1 << 10) | (1 << 20);
/// Words `0..DUMMY_END` hold a full node of one run whose entry is 0: the batch walk reads
/// it (branch-free) for addresses whose walk has already ended.
const DUMMY_END: u32 = 32;
/// Nodes built for a new level hold at most 3 runs (covering leaf, new entry, covering leaf).
const NEW_NODE: usize = 1 + 3;
/// Words per 64-byte cache line (the pool starts on a page boundary).
const LINE: u32 = 16;

/// Where a node of `size` words goes at or after word `at`: a node that fits in a cache
/// line never straddles two (one miss per level for the tiny nodes that most routes own);
/// a larger one goes anywhere (a lookup reads one header word and one value of it, whose
/// lines do not depend on where the node starts).
#[inline]
fn placed(at: u32, size: u32) -> u32 {
    let off = at % LINE;
    if size > LINE || off + size <= LINE {
        at
    } else {
        at - off + LINE
    }
}

/// `POP_LE[bits << 3 | j]` = bits set among bits 0..=j of the byte `bits` (the run starts of
/// a full node's group of 8 entries up to entry `j` of the group).
#[allow(
    clippy::cast_possible_truncation,
    reason = "indices < 2048, counts <= 8"
)]
const POP_LE: [u8; 2048] = {
    let mut t = [0u8; 2048];
    let mut i = 0;
    while i < 2048 {
        let bits = (i >> 3) as u32;
        let upto = (2u32 << (i & 7)) - 1;
        t[i] = (bits & upto).count_ones() as u8;
        i += 1;
    }
    t
};

/// The entry for `b` (0..256) of the tiny node at word `n`.
#[inline(always)]
fn tiny_step(pool: &[AtomicU32], n: usize, b: u32) -> u32 {
    // Every node starts at least `MAX_NODE` words before the end of the pool (the allocator's
    // bound): the check never fails for a pointer the writer stored.
    let Some(node) = pool
        .get(n..n + 1 + TINY_RUNS)
        .and_then(|s| <&[AtomicU32; 1 + TINY_RUNS]>::try_from(s).ok())
    else {
        return 0;
    };
    // The starts never change while a node is reachable: Relaxed. The node's words were
    // written before the pointer to it was published (Release) and loaded (Acquire).
    let a = node[0].load(Ordering::Relaxed);
    // Bit 9 of each field: b >= that start; the multiply sums the three bits into bit 20.
    let ge = ((b & 0xff).wrapping_mul(FIELDS).wrapping_add(a) >> 9) & FIELDS;
    let i = 1 + ((ge.wrapping_mul(FIELDS) >> 20) & 3) as usize;
    // Acquire pairs with the writer's Release store of a run value (in place) or of the
    // pointer to a new node: what it points to is visible.
    node[i].load(Ordering::Acquire)
}

/// The entry for `b` (0..256) of the full node at word `n`.
#[inline(always)]
fn full_step(pool: &[AtomicU32], n: usize, b: u32) -> u32 {
    // See `tiny_step` for the bound.
    let Some(node) = pool
        .get(n..n + MAX_NODE)
        .and_then(|s| <&[AtomicU32; MAX_NODE]>::try_from(s).ok())
    else {
        return 0;
    };
    let b = b & 0xff;
    // The header never changes while a node is reachable: Relaxed (see `tiny_step`).
    let a = node[(b >> 4) as usize].load(Ordering::Relaxed);
    let h = a >> ((b & 8) << 1);
    let pop = POP_LE[(((h & 0xff) << 3) | (b & 7)) as usize];
    let run = (((h >> 8) & 0xff) + u32::from(pop)).wrapping_sub(1) & 0xff;
    // Acquire: see `tiny_step`.
    node[HDR + run as usize].load(Ordering::Acquire)
}

/// One step of a lookup: the entry for `byte` (0..256) of the node pointer `e` points to.
#[inline(always)]
pub(crate) fn step(pool: &[AtomicU32], e: u32, byte: u32) -> u32 {
    let n = (e & PTR) as usize;
    if e & TINY != 0 {
        tiny_step(pool, n, byte)
    } else {
        full_step(pool, n, byte)
    }
}

/// Largest batch [`lookup_batch`] takes.
pub(crate) const BATCH: usize = 64;

/// Put walk `i`, now at entry `e`, on the list for its next level (`lists[0][nt]` if `e`
/// points to a tiny node, `lists[1][nf]` if to a full one, neither if `e` is a leaf):
/// branch-free, `i` is written to both lists and only the right count moves on.
#[inline(always)]
fn sort_walk(lists: &mut [[u8; BATCH]], i: u8, e: u32, nt: &mut usize, nf: &mut usize) {
    const M: usize = BATCH - 1;
    lists[0][*nt & M] = i;
    lists[1][*nf & M] = i;
    let ext = (e >> 31) as usize;
    let tiny = ((e >> 30) & 1) as usize;
    *nt += ext & tiny;
    *nf += ext & (tiny ^ 1);
}

/// `out[i]` = the LB of `dst[i]` below `root` (`fb` bits), for up to [`BATCH`] addresses.
/// Level by level, the walks still going are kept in two lists, one per format of the
/// node they are at: each list runs its own branch-free step (no misprediction where the
/// formats mix, no work for finished walks), and the misses of different addresses overlap.
#[inline(always)]
pub(crate) fn lookup_batch(
    pool: &[AtomicU32],
    root: &[AtomicU32],
    fb: u32,
    dst: &[u128],
    out: &mut [u32],
) {
    const M: usize = BATCH - 1;
    let n = dst.len().min(out.len()).min(BATCH);
    let mut keys = [[0u8; 16]; BATCH];
    // Entries in a local array and list positions masked to the batch: no bounds checks in
    // the level loops (`nt`, `nf`, `mt`, `mf` never exceed the walks so far, < BATCH).
    let mut ent = [0u32; BATCH];
    let mut lists = [[0u8; BATCH]; 4];
    let (mut nt, mut nf) = (0usize, 0usize);
    for (i, &d) in dst.iter().take(n).enumerate() {
        keys[i & M] = d.to_be_bytes();
        let e = root
            .get((d >> (128 - fb)) as usize)
            .map_or(0, |a| a.load(Ordering::Acquire));
        ent[i & M] = e;
        #[allow(clippy::cast_possible_truncation, reason = "i < BATCH = 64")]
        let i8 = i as u8;
        sort_walk(&mut lists, i8, e, &mut nt, &mut nf);
    }
    let mut k = (fb / STRIDE) as usize;
    let mut cur = 0;
    while nt + nf > 0 && k < 16 {
        let (a, b) = lists.split_at_mut(2);
        let (src, dst_l) = if cur == 0 { (a, b) } else { (b, a) };
        let (mut mt, mut mf) = (0usize, 0usize);
        for &i in src[0].get(..nt).unwrap_or(&[]) {
            let x = usize::from(i) & M;
            ent[x] = tiny_step(pool, (ent[x] & PTR) as usize, u32::from(keys[x][k & 15]));
            sort_walk(dst_l, i, ent[x], &mut mt, &mut mf);
        }
        for &i in src[1].get(..nf).unwrap_or(&[]) {
            let x = usize::from(i) & M;
            ent[x] = full_step(pool, (ent[x] & PTR) as usize, u32::from(keys[x][k & 15]));
            sort_walk(dst_l, i, ent[x], &mut mt, &mut mf);
        }
        (nt, nf) = (mt, mf);
        cur ^= 1;
        k += 1;
    }
    for (o, e) in out.iter_mut().zip(&ent).take(n) {
        *o = e & IDX_MASK;
    }
}

/// Walk from root entry `e` for `key`, `shift` = key bits below the root. Returns the LB.
#[inline(always)]
pub(crate) fn descend(pool: &[AtomicU32], mut e: u32, mut shift: u32, key: u128) -> u32 {
    while e & EXT != 0 && shift >= STRIDE {
        shift -= STRIDE;
        e = step(pool, e, ((key >> shift) & 0xff) as u32);
    }
    e & IDX_MASK
}

/// Run-start bitmap of 256 entries (canonical: maximal runs of equal entries) and run count.
fn bitmap_of(ent: &[u32; FAN]) -> ([u32; 8], usize) {
    let mut bm = [0u32; 8];
    let mut prev = !ent[0];
    for (w, chunk) in bm.iter_mut().zip(ent.chunks_exact(32)) {
        for (j, &x) in chunk.iter().enumerate() {
            *w |= u32::from(x != prev || x & EXT != 0) << j;
            prev = x;
        }
    }
    (bm, runs_of(&bm))
}

/// True when `ent` is constant on every run of `bm` (then `bm` still encodes it).
fn encodes(bm: &[u32; 8], ent: &[u32; FAN]) -> bool {
    (1..FAN).all(|i| bm[i >> 5] & (1 << (i & 31)) != 0 || ent[i] == ent[i - 1])
}

/// Indices of the set bits of `bm`, ascending (run starts).
fn set_bits(bm: &[u32; 8]) -> impl Iterator<Item = usize> + '_ {
    bm.iter().enumerate().flat_map(|(k, &w)| {
        let mut w = w;
        std::iter::from_fn(move || {
            if w == 0 {
                return None;
            }
            let i = w.trailing_zeros() as usize;
            w &= w - 1;
            Some((k << 5) | i)
        })
    })
}

fn runs_of(bm: &[u32; 8]) -> usize {
    bm.iter().map(|w| w.count_ones() as usize).sum()
}

/// The 16 header words of a full node with run-start bitmap `bm`.
fn header(bm: &[u32; 8]) -> [u32; HDR] {
    let mut h = [0u32; HDR];
    let mut c = 0u32;
    for g in 0..32 {
        let bits = (bm[g >> 2] >> ((g & 3) * 8)) & 0xff;
        h[g >> 1] |= ((c << 8) | bits) << ((g & 1) * 16);
        c += bits.count_ones();
    }
    h
}

/// The starts word of a tiny node with run-start bitmap `bm` (at most 4 runs).
fn starts(bm: &[u32; 8]) -> u32 {
    let mut word = NO_START * FIELDS;
    let mut k = 0;
    for i in 1..FAN {
        if bm[i >> 5] & (1 << (i & 31)) != 0 && k < TINY_RUNS - 1 {
            let sh = 10 * k;
            let f = 512 - u32::try_from(i).unwrap_or(0);
            word = (word & !(0x3ff << sh)) | (f << sh);
            k += 1;
        }
    }
    word
}

/// Words of a node with `runs` runs, and whether it is tiny.
fn node_size(runs: usize) -> (usize, bool) {
    if runs <= TINY_RUNS {
        (1 + runs, true)
    } else {
        // Full nodes take whole 16-byte units: fewer sizes, so freed blocks find takers
        // (exact-size free lists).
        ((HDR + runs + 3) & !3, false)
    }
}

/// Allocator of node words in the IPv6 pool, with deferred reuse (grace periods).
pub(crate) struct NodeAlloc {
    cap: u32,
    /// High-water mark: words `0..next` have been touched.
    next: u32,
    /// Free blocks by size in words.
    free: Vec<Vec<u32>>,
    /// (start, words) of nodes unlinked, waiting for a grace period.
    retired: Retired<(u32, u32)>,
    nodes: usize,
}

impl NodeAlloc {
    /// An allocator over `pool`; writes the dummy node (before any reader can see the pool).
    pub(crate) fn new(pool: &[AtomicU32]) -> Self {
        // Nodes start at least MAX_NODE words before the end (see `step`).
        let cap = u32::try_from(pool.len().saturating_sub(MAX_NODE))
            .unwrap_or(u32::MAX)
            .min(PTR);
        if pool.len() >= DUMMY_END as usize {
            // One run from entry 0 (whose value, word HDR, is 0).
            let mut bm = [0u32; 8];
            bm[0] = 1;
            for (w, x) in header(&bm).iter().enumerate() {
                pool[w].store(*x, Ordering::Relaxed);
            }
        }
        NodeAlloc {
            cap,
            next: DUMMY_END.min(cap),
            free: vec![Vec::new(); MAX_NODE + 1],
            retired: Retired::new(),
            nodes: 0,
        }
    }

    /// Nodes reachable (allocated and not unlinked).
    pub(crate) fn nodes(&self) -> usize {
        self.nodes
    }

    /// Nodes unlinked and waiting for a grace period.
    pub(crate) fn pending_nodes(&self) -> usize {
        self.retired.len()
    }

    /// Words of the pool touched so far (committed memory).
    pub(crate) fn touched_words(&self) -> usize {
        self.next as usize
    }

    /// Writer-side bookkeeping bytes (free lists and pending lists).
    pub(crate) fn overhead_bytes(&self) -> usize {
        self.free.iter().map(Vec::capacity).sum::<usize>() * 4
            + self.free.capacity() * std::mem::size_of::<Vec<u32>>()
            + self
                .retired
                .batches()
                .map(|v| v.capacity() * 8)
                .sum::<usize>()
    }

    /// A free block of `size` words at `at` (kept only if a node of that size may live
    /// there, see [`placed`]; smaller than any node (2 words): lost until the pool starts
    /// over).
    fn give(&mut self, at: u32, size: u32) {
        if size >= 2 && placed(at, size) == at {
            if let Some(f) = self.free.get_mut(size as usize) {
                f.push(at);
            }
        }
    }

    fn alloc(&mut self, size: usize) -> Option<u32> {
        let s32 = u32::try_from(size).ok()?;
        let at = if let Some(at) = self.free.get_mut(size).and_then(Vec::pop) {
            at
        } else if let Some(at) = Some(placed(self.next, s32))
            .filter(|&a| a.checked_add(s32).is_some_and(|end| end <= self.cap))
        {
            let pad = at - self.next;
            let from = self.next;
            self.next = at + s32;
            self.give(from, pad);
            at
        } else {
            // Split the smallest larger free block (a node of any size may start where a
            // larger one did); the rest stays free if a node of its size may live there.
            let big = (size + 1..=MAX_NODE).find(|&s| !self.free[s].is_empty())?;
            let at = self.free[big].pop()?;
            let rest = u32::try_from(big - size).unwrap_or(0);
            self.give(at + s32, rest);
            at
        };
        self.nodes += 1;
        Some(at)
    }

    /// Whether `count` nodes of up to `size` words each can be allocated now (counting a
    /// line of padding per node, and one node per larger free block).
    fn can_alloc(&self, count: usize, size: usize) -> bool {
        let mut n = (self.cap - self.next) as usize / (size + LINE as usize);
        if n >= count {
            return true;
        }
        for s in size..=MAX_NODE {
            n += self.free[s].len();
            if n >= count {
                return true;
            }
        }
        false
    }

    fn unlink(&mut self, at: u32, size: usize) {
        self.nodes -= 1;
        self.retired.push((at, u32::try_from(size).unwrap_or(0)));
    }

    /// Tag nodes unlinked by the last operation with a fresh epoch.
    pub(crate) fn seal(&mut self, rcu: &Rcu) {
        self.retired.seal(rcu);
    }

    /// Free nodes whose grace period has passed; when no node is left at all, start the pool
    /// over (the high-water mark, hence `memory_bytes`, goes back to empty).
    pub(crate) fn reclaim(&mut self, rcu: &Rcu) {
        let free = &mut self.free;
        self.retired.reclaim(rcu, |ns| {
            for (at, size) in ns {
                if let Some(f) = free.get_mut(size as usize) {
                    f.push(at);
                }
            }
        });
        if self.nodes == 0 && self.retired.len() == 0 {
            self.next = DUMMY_END.min(self.cap);
            self.free.iter_mut().for_each(|f| *f = Vec::new());
        }
    }

    /// Make sure `count` nodes of up to `size` words can be allocated without failing
    /// half-way through an update, waiting for readers (bounded) if needed.
    fn ensure(
        &mut self,
        count: usize,
        size: usize,
        rcu: &Rcu,
        timeout: std::time::Duration,
        what: &'static str,
    ) -> Result<(), FibError> {
        // Reuse what readers have released (one epoch check): a route insert retires the
        // nodes it rebuilds, and a bulk load would otherwise only ever grow the pool.
        if self.retired.waiting() {
            self.reclaim(rcu);
        }
        if count == 0 || self.can_alloc(count, size) {
            return Ok(());
        }
        while !self.can_alloc(count, size) {
            self.retired.wait_oldest(rcu, timeout, what)?;
            self.reclaim(rcu);
        }
        Ok(())
    }
}

/// The writer's handle on one VRF's IPv6 trie (root given per call).
pub(crate) struct Trie6<'a> {
    pool: &'a [AtomicU32],
    alloc: &'a mut NodeAlloc,
    /// Dry run ([`allocates`](Self::allocates)): decide everything, store nothing.
    dry: bool,
    /// Set by a dry run that would have allocated a node.
    would_alloc: bool,
}

#[inline]
fn byte(key: u128, base: u32) -> u8 {
    key.to_be_bytes()[(base / STRIDE) as usize & 15]
}

/// The entries (first, count) of the node at bit `base` that prefix `key/len` (`len > base`)
/// covers: all those under it if it ends within the node, else the one its walk goes on from.
#[inline]
fn entries_of(key: u128, len: u32, base: u32) -> (usize, usize) {
    let end = base + STRIDE;
    let idx = usize::from(byte(key, base));
    if len <= end {
        let span = 1usize << (end - len);
        (idx & !(span - 1), span)
    } else {
        (idx, 1)
    }
}

#[inline]
fn depth(e: u32) -> u32 {
    (e >> 23) & 0xff
}

/// The entry `rule` turns leaf `e` into.
#[inline]
fn apply(e: u32, rule: Rule) -> u32 {
    match rule {
        Rule::Add { new } if depth(e) <= depth(new) => new,
        Rule::Del { old_d, repl } if depth(e) == old_d => repl,
        _ => e,
    }
}

impl<'a> Trie6<'a> {
    pub(crate) fn new(pool: &'a [AtomicU32], alloc: &'a mut NodeAlloc) -> Self {
        Trie6 {
            pool,
            alloc,
            dry: false,
            would_alloc: false,
        }
    }

    /// Whether applying `rule` for `key/len` would need a new node (a dry run of `update`).
    /// A delete usually does not (runs only merge, nodes only go), so it can proceed with a
    /// full pool; it does when equal leaves of sibling routes must split.
    pub(crate) fn allocates(
        &mut self,
        root: &[AtomicU32],
        fb: u32,
        key: u128,
        len: u32,
        rule: Rule,
    ) -> bool {
        self.dry = true;
        self.would_alloc = false;
        self.update(root, fb, key, len, rule);
        self.dry = false;
        self.would_alloc
    }

    #[inline]
    fn word(&self, i: usize) -> u32 {
        // Only the writer stores: Relaxed reads of its own writes.
        self.pool.get(i).map_or(0, |a| a.load(Ordering::Relaxed))
    }

    /// Run-start bitmap of the node pointer `e` points to (either format).
    fn bitmap(&self, e: u32) -> [u32; 8] {
        let n = (e & PTR) as usize;
        let mut bm = [0u32; 8];
        if e & TINY != 0 {
            bm[0] = 1;
            let a = self.word(n);
            for k in 0..TINY_RUNS - 1 {
                let f = (a >> (10 * k)) & 0x3ff;
                if f > 256 {
                    let st = (512 - f) as usize;
                    bm[st >> 5] |= 1 << (st & 31);
                }
            }
        } else if let Some(h) = self.pool.get(n..n + HDR) {
            // Header word j: groups 2j (bits in byte 0) and 2j + 1 (byte 2).
            for (j, a) in h.iter().enumerate() {
                let w = a.load(Ordering::Relaxed);
                bm[j >> 1] |= ((w & 0xff) | ((w >> 8) & 0xff00)) << ((j & 1) * 16);
            }
        }
        bm
    }

    /// First word of the node's run values.
    fn values(e: u32) -> usize {
        (e & PTR) as usize + if e & TINY != 0 { 1 } else { HDR }
    }

    fn size(&self, e: u32) -> usize {
        node_size(runs_of(&self.bitmap(e))).0
    }

    /// The 256 entries of the node `e` points to.
    fn decode(&self, e: u32, ent: &mut [u32; FAN]) {
        let bm = self.bitmap(e);
        let vals = Self::values(e);
        let runs = runs_of(&bm);
        if runs > 32 {
            // Many short runs: one load per entry beats one fill per run.
            let v = self.pool.get(vals..vals + runs).unwrap_or(&[]);
            let mut run = 0usize;
            for (&w, chunk) in bm.iter().zip(ent.chunks_exact_mut(32)) {
                for (j, x) in chunk.iter_mut().enumerate() {
                    run += ((w >> j) & 1) as usize;
                    *x = v
                        .get(run.wrapping_sub(1))
                        .map_or(0, |a| a.load(Ordering::Relaxed));
                }
            }
            return;
        }
        let mut starts = set_bits(&bm).peekable();
        let mut run = 0usize;
        while let Some(s) = starts.next() {
            let end = starts.peek().copied().unwrap_or(FAN);
            ent[s..end].fill(self.word(vals + run));
            run += 1;
        }
    }

    /// Nodes an update of `key/len` may allocate, and the most words any of them needs: one
    /// per level from the root to the prefix's level (existing nodes may be rebuilt with two
    /// more runs, new ones have three). Nodes entirely inside the prefix are only ever
    /// changed in place.
    pub(crate) fn needed(
        &self,
        root: &[AtomicU32],
        fb: u32,
        key: u128,
        len: u32,
    ) -> (usize, usize) {
        if len <= fb {
            return (0, 0);
        }
        let idx = (key >> (128 - fb)) as usize;
        let mut e = root.get(idx).map_or(0, |a| a.load(Ordering::Relaxed));
        let (mut count, mut size) = (0, NEW_NODE);
        let mut base = fb;
        while base < len {
            count += 1;
            if e & EXT != 0 {
                let runs = runs_of(&self.bitmap(e)) + 2;
                size = size.max(node_size(runs.min(FAN)).0);
                e = step(self.pool, e, u32::from(byte(key, base)));
            }
            base += STRIDE;
        }
        (count, size)
    }

    /// Reserve what an update of `key/len` may allocate (see [`needed`](Self::needed)).
    #[allow(
        clippy::too_many_arguments,
        reason = "the update's own arguments plus the RCU"
    )]
    pub(crate) fn reserve(
        &mut self,
        root: &[AtomicU32],
        fb: u32,
        key: u128,
        len: u32,
        rcu: &Rcu,
        timeout: std::time::Duration,
        what: &'static str,
    ) -> Result<(), FibError> {
        let (count, size) = self.needed(root, fb, key, len);
        self.alloc.ensure(count, size, rcu, timeout, what)
    }

    /// Apply `rule` for `key/len` below `root` (`fb` bits). The caller has reserved.
    pub(crate) fn update(&mut self, root: &[AtomicU32], fb: u32, key: u128, len: u32, rule: Rule) {
        let idx = (key >> (128 - fb)) as usize;
        let (start, span) = if len <= fb {
            let span = 1usize << (fb - len);
            (idx & !(span - 1), span)
        } else {
            (idx, 1)
        };
        for slot in root.get(start..start + span).unwrap_or(&[]) {
            let e = slot.load(Ordering::Relaxed);
            let n = self.upd(e, fb, key, len, rule);
            if n != e && !self.dry {
                // Release: a new node is complete before it is reachable; a leaf is whole.
                slot.store(n, Ordering::Release);
            }
        }
    }

    /// The new entry for entry `e`, whose node (if any) resolves bits `base..base + 8`.
    fn upd(&mut self, e: u32, base: u32, key: u128, len: u32, rule: Rule) -> u32 {
        let covered = len <= base;
        if e & EXT == 0 {
            if covered {
                return apply(e, rule);
            }
            if matches!(rule, Rule::Del { .. }) {
                return e; // nothing more specific below a leaf
            }
        }
        if e & EXT != 0 {
            return if covered {
                self.upd_covered(e, base, key, len, rule)
            } else {
                self.upd_within(e, base, key, len, rule)
            };
        }
        let mut ent = [e; FAN];
        let old = if e & EXT != 0 {
            self.decode(e, &mut ent);
            Some(e)
        } else {
            None
        };
        let end = base + STRIDE;
        if covered {
            for x in ent.iter_mut() {
                *x = self.upd(*x, end, key, len, rule);
            }
        } else {
            let (start, span) = entries_of(key, len, base);
            for x in ent.iter_mut().skip(start).take(span) {
                *x = self.upd(*x, end, key, len, rule);
            }
        }
        self.commit(old, &ent, base, covered, true)
    }

    /// [`upd`](Self::upd) of node `e` entirely inside the prefix (`len <= base`): equal
    /// entries stay equal there, so each run is updated once and its value stored in place;
    /// only a node that becomes one leaf is handed to [`commit`](Self::commit).
    fn upd_covered(&mut self, e: u32, base: u32, key: u128, len: u32, rule: Rule) -> u32 {
        let bm = self.bitmap(e);
        let runs = runs_of(&bm);
        let vals = Self::values(e);
        let end = base + STRIDE;
        let mut nv = [0u32; FAN];
        let mut changed = false;
        for (r, v) in nv.iter_mut().enumerate().take(runs) {
            let x = self.word(vals + r);
            *v = self.upd(x, end, key, len, rule);
            changed |= *v != x;
        }
        if !changed {
            return e;
        }
        let nv = &nv[..runs];
        let first = nv[0];
        if first & EXT == 0 && depth(first) <= base + 1 && nv.iter().all(|&x| x == first) {
            return self.commit(Some(e), &[first; FAN], base, true, true);
        }
        if !self.dry {
            for (r, &x) in nv.iter().enumerate() {
                if let Some(a) = self.pool.get(vals + r) {
                    if a.load(Ordering::Relaxed) != x {
                        // Release: one whole-entry store; readers see old or new, and a
                        // new node it points to is complete.
                        a.store(x, Ordering::Release);
                    }
                }
            }
        }
        e
    }

    /// [`upd`](Self::upd) of node `e` for a prefix longer than `base` (only the entries under
    /// the prefix change): works on the node's runs, without decoding its 256 entries, when
    /// its run structure still encodes the new entries (the common case: a pointer or the
    /// value of one run changes); otherwise decodes it and commits as `upd` does.
    fn upd_within(&mut self, e: u32, base: u32, key: u128, len: u32, rule: Rule) -> u32 {
        let end = base + STRIDE;
        let (start, span) = entries_of(key, len, base);
        let obm = self.bitmap(e);
        let bit = |i: usize| obm[i >> 5] & (1 << (i & 31)) != 0;
        let vals = Self::values(e);
        // Run of entry `start`: set bits in 0..=start, minus one.
        let below: u32 = obm[..start >> 5].iter().map(|w| w.count_ones()).sum();
        let own = obm[start >> 5] & (u32::MAX >> (31 - (start & 31)));
        let first_run = (below + own.count_ones()) as usize - 1;
        let mut nv = [0u32; FAN];
        let (mut first_old, mut last_old) = (0, 0);
        let mut run = first_run;
        let mut changed = false;
        for (k, v) in nv.iter_mut().enumerate().take(span) {
            if k > 0 && bit(start + k) {
                run += 1;
            }
            let x = self.word(vals + run);
            if k == 0 {
                first_old = x;
            }
            last_old = x;
            *v = self.upd(x, end, key, len, rule);
            changed |= *v != x;
        }
        if !changed {
            return e;
        }
        let nv = &nv[..span];
        // Still encoded by the old runs: every entry that does not start a run equals the one
        // before it (entries outside the range are unchanged; a run crossing the range's
        // edge had the edge entry's old value on both sides).
        let mut fits = (start == 0 || bit(start) || nv[0] == first_old)
            && (start + span == FAN || bit(start + span) || nv[span - 1] == last_old);
        for k in 1..span {
            fits &= bit(start + k) || nv[k] == nv[k - 1];
        }
        // A node may become a leaf only if the new entries are all one leaf (see `commit`).
        let first = nv[0];
        let may_collapse =
            first & EXT == 0 && depth(first) <= base + 1 && nv.iter().all(|&x| x == first);
        if fits && !may_collapse {
            if !self.dry {
                let mut run = first_run;
                for (k, &x) in nv.iter().enumerate() {
                    if k > 0 && bit(start + k) {
                        run += 1;
                    }
                    if let Some(a) = self.pool.get(vals + run) {
                        if a.load(Ordering::Relaxed) != x {
                            // Release: one whole-entry store; readers see old or new, and a
                            // new node it points to is complete.
                            a.store(x, Ordering::Release);
                        }
                    }
                }
            }
            return e;
        }
        let mut ent = [0u32; FAN];
        self.decode(e, &mut ent);
        ent[start..start + span].copy_from_slice(nv);
        self.commit(Some(e), &ent, base, false, fits)
    }

    /// Store `ent` as the node `old` points to (in place when its run structure allows it),
    /// as a new node, or as a single leaf; returns the entry that now stands for it. The node
    /// resolves bits `base..base + 8`.
    /// `may_fit` false: the caller knows the old runs do not encode `ent`.
    fn commit(
        &mut self,
        old: Option<u32>,
        ent: &[u32; FAN],
        base: u32,
        covered: bool,
        may_fit: bool,
    ) -> u32 {
        let obm = old.map(|o| self.bitmap(o));
        let old_size = obm.as_ref().map_or(0, |b| node_size(runs_of(b)).0);
        let first = ent[0];
        // A node becomes a leaf only if it holds a single route no longer than `base` (the
        // parent entry's own bits): sibling routes of one length and LB that tile the node
        // (two /41s in a /40) stay a node, so that deleting one of them finds it.
        if first & EXT == 0 && depth(first) <= base + 1 && ent.iter().all(|&x| x == first) {
            if self.dry {
                return first;
            }
            if let Some(o) = old {
                self.alloc.unlink(o & PTR, old_size);
            }
            return first;
        }
        let (bm, runs) = bitmap_of(ent);
        if let (Some(o), Some(obm), true) = (old, obm, may_fit) {
            // In place: the same runs, or runs that still encode the entries (runs that
            // merged: the node is not rebuilt smaller, so nothing is allocated; inside the
            // prefix, equal entries stay equal, so nodes there are always kept in place).
            if obm == bm || encodes(&obm, ent) {
                if !self.dry {
                    self.store_values(o, &obm, ent);
                }
                return o;
            }
            debug_assert!(!covered, "nodes inside the prefix keep their runs");
        }
        if self.dry {
            self.would_alloc = true;
            // A pointer stands for the new node (a run of its own, as the real one).
            return old.unwrap_or(EXT);
        }
        let (size, tiny) = node_size(runs);
        let Some(at) = self.alloc.alloc(size) else {
            debug_assert!(false, "nodes were reserved by `reserve`");
            return old.unwrap_or(first);
        };
        let base = at as usize;
        let v = if tiny {
            self.pool[base].store(starts(&bm), Ordering::Relaxed);
            base + 1
        } else {
            for (w, &x) in header(&bm).iter().enumerate() {
                self.pool[base + w].store(x, Ordering::Relaxed);
            }
            base + HDR
        };
        for (v, i) in (v..).zip(set_bits(&bm)) {
            // Not reachable yet: published by the caller's Release store.
            self.pool[v].store(ent[i], Ordering::Relaxed);
        }
        if let Some(o) = old {
            self.alloc.unlink(o & PTR, old_size);
        }
        EXT | if tiny { TINY } else { 0 } | at
    }

    /// Run values of the node `e` points to (run structure `bm`) from `ent`, storing only
    /// changed ones.
    fn store_values(&self, e: u32, bm: &[u32; 8], ent: &[u32; FAN]) {
        for (v, i) in (Self::values(e)..).zip(set_bits(bm)) {
            let x = ent[i];
            if let Some(a) = self.pool.get(v) {
                if a.load(Ordering::Relaxed) != x {
                    // Release: one whole-entry store; readers see old or new, and a new
                    // node it points to is complete.
                    a.store(x, Ordering::Release);
                }
            }
        }
    }

    /// Retire every node reachable from `root` (the VRF is being removed).
    pub(crate) fn retire_all(&mut self, root: &[AtomicU32]) {
        for s in root {
            let e = s.load(Ordering::Relaxed);
            if e & EXT != 0 {
                self.retire(e);
            }
        }
    }

    fn retire(&mut self, e: u32) {
        let mut ent = [0u32; FAN];
        self.decode(e, &mut ent);
        let mut prev = 0;
        for &c in &ent {
            if c & EXT != 0 && c != prev {
                self.retire(c);
            }
            prev = c;
        }
        let size = self.size(e);
        self.alloc.unlink(e & PTR, size);
    }
}

/// A slot of [`Routes64`]: the upper 64 bits of the prefix (two words, high first) and
/// `(len + 1) << 24 | lb` (0 = empty slot).
type Slot64 = [u32; 3];

const LEN_SHIFT: u32 = 24;
const LB_MASK: u32 = (1 << LEN_SHIFT) - 1;
/// Grow when the load would exceed 9/10; the new table is 6/5 as large (load >= 3/4 after a
/// growth), so the table holds 12 bytes per slot at a load between 3/4 and 9/10.
const GROW_NUM: usize = 6;
const GROW_DEN: usize = 5;

/// The writer's IPv6 prefixes up to /64 in one Robin Hood open-addressing table of 12-byte
/// slots (prefix upper half, length and LB packed): 13-16 bytes per route against 25 for a
/// hash map per length with 16-byte (u64, u32) pairs and power-of-two capacities. Any
/// capacity is allowed (the hash is mapped to `0..cap` by a multiply), so the table grows in
/// steps of 1/5. Deletion shifts the following displaced slots back (no tombstones); an
/// absent key is found absent as soon as a slot nearer its home than the probe is met.
struct Routes64 {
    slots: SlotBuf,
    count: usize,
    /// Routes of each length (lengths with none are skipped by `covering`).
    per_len: [u32; 65],
}

/// Tables of at least this many bytes get their own anonymous mapping: a replaced table is
/// unmapped, so the process's memory follows `memory_bytes` (a heap block of that size may
/// stay with the allocator after it is freed: glibc raises its mmap threshold to the largest
/// block freed).
const MAP_MIN: usize = 64 << 10;

/// The slot array of [`Routes64`]: zeroed on creation, on the heap or in its own mapping.
enum SlotBuf {
    Heap(Vec<Slot64>),
    Map(memmap2::MmapMut),
}

impl SlotBuf {
    fn zeroed(cap: usize) -> Self {
        let bytes = cap * std::mem::size_of::<Slot64>();
        if bytes >= MAP_MIN && !cfg!(miri) {
            if let Ok(m) = memmap2::MmapMut::map_anon(bytes) {
                // Page-aligned and a whole number of slots: the casts below cannot fail.
                if bytemuck::try_cast_slice::<u8, Slot64>(&m).is_ok_and(|s| s.len() == cap) {
                    return SlotBuf::Map(m);
                }
            }
        }
        SlotBuf::Heap(vec![[0; 3]; cap])
    }

    fn get(&self) -> &[Slot64] {
        match self {
            SlotBuf::Heap(v) => v,
            SlotBuf::Map(m) => bytemuck::try_cast_slice(m).unwrap_or(&[]),
        }
    }

    fn get_mut(&mut self) -> &mut [Slot64] {
        match self {
            SlotBuf::Heap(v) => v,
            SlotBuf::Map(m) => bytemuck::try_cast_slice_mut(m).unwrap_or(&mut []),
        }
    }

    /// Bytes held (a mapping in whole 4 KiB pages).
    fn bytes(&self) -> usize {
        match self {
            SlotBuf::Heap(v) => v.capacity() * std::mem::size_of::<Slot64>(),
            SlotBuf::Map(m) => m.len().div_ceil(4096) * 4096,
        }
    }
}

fn hash64(key: u64, len: u32) -> u64 {
    let mut h = key ^ u64::from(len).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

#[allow(clippy::cast_possible_truncation, reason = "halves of a u64")]
fn split64(key: u64) -> (u32, u32) {
    ((key >> 32) as u32, key as u32)
}

fn slot_key(s: &Slot64) -> (u64, u32) {
    (
        (u64::from(s[0]) << 32) | u64::from(s[1]),
        (s[2] >> LEN_SHIFT).wrapping_sub(1),
    )
}

/// Home slot of `(key, len)` in a table of `cap` slots.
fn home(key: u64, len: u32, cap: usize) -> usize {
    #[allow(
        clippy::cast_possible_truncation,
        reason = "the product's high half is < cap"
    )]
    {
        ((u128::from(hash64(key, len)) * cap as u128) >> 64) as usize
    }
}

/// Probe distance of the occupied slot `i` from its home.
fn dist(slots: &[Slot64], i: usize) -> usize {
    let cap = slots.len();
    let (k, l) = slot_key(&slots[i]);
    (i + cap - home(k, l, cap)) % cap
}

/// Place a slot known to be absent in a table with a free slot (Robin Hood: a probe that
/// has come further than the resident takes its place and carries the resident on).
fn place(slots: &mut [Slot64], mut s: Slot64) {
    let cap = slots.len();
    let (k, l) = slot_key(&s);
    let mut i = home(k, l, cap);
    let mut d = 0;
    for _ in 0..cap {
        if slots[i][2] == 0 {
            slots[i] = s;
            return;
        }
        let rd = dist(slots, i);
        if rd < d {
            std::mem::swap(&mut slots[i], &mut s);
            d = rd;
        }
        i = if i + 1 == cap { 0 } else { i + 1 };
        d += 1;
    }
    debug_assert!(false, "place() on a full table");
}

impl Default for Routes64 {
    fn default() -> Self {
        Routes64 {
            slots: SlotBuf::Heap(Vec::new()),
            count: 0,
            per_len: [0; 65],
        }
    }
}

impl Routes64 {
    /// Index of `(key, len)`, if stored.
    fn find(&self, key: u64, len: u32) -> Option<usize> {
        if self.count == 0 || !self.has_len(len) {
            return None;
        }
        let slots = self.slots.get();
        let cap = slots.len();
        let (hi, lo) = split64(key);
        let tag = len + 1;
        let mut i = home(key, len, cap);
        for d in 0..cap {
            let s = &slots[i];
            if s[2] == 0 {
                return None;
            }
            if s[2] >> LEN_SHIFT == tag && s[0] == hi && s[1] == lo {
                return Some(i);
            }
            if dist(slots, i) < d {
                return None;
            }
            i = if i + 1 == cap { 0 } else { i + 1 };
        }
        None
    }

    fn get(&self, key: u64, len: u32) -> Option<u32> {
        self.find(key, len)
            .map(|i| self.slots.get()[i][2] & LB_MASK)
    }

    /// Rebuild with `cap` slots (> count).
    fn resize(&mut self, cap: usize) {
        let old = std::mem::replace(&mut self.slots, SlotBuf::zeroed(cap));
        let new = self.slots.get_mut();
        for s in old.get().iter().filter(|s| s[2] != 0) {
            place(new, *s);
        }
    }

    /// Insert or replace; returns the replaced LB. `lb` must fit in 24 bits.
    fn insert(&mut self, key: u64, len: u32, lb: u32) -> Option<u32> {
        debug_assert!(lb <= LB_MASK && len <= 64);
        let word = ((len + 1) << LEN_SHIFT) | (lb & LB_MASK);
        if let Some(i) = self.find(key, len) {
            let s = &mut self.slots.get_mut()[i];
            let old = s[2] & LB_MASK;
            s[2] = word;
            return Some(old);
        }
        let cap = self.slots.get().len();
        if (self.count + 1) * 10 > cap * 9 {
            self.resize((cap * GROW_NUM / GROW_DEN).max(cap + 16));
        }
        let (hi, lo) = split64(key);
        place(self.slots.get_mut(), [hi, lo, word]);
        self.count += 1;
        self.per_len[len as usize] += 1;
        None
    }

    fn remove(&mut self, key: u64, len: u32) -> Option<u32> {
        let mut i = self.find(key, len)?;
        let slots = self.slots.get_mut();
        let lb = slots[i][2] & LB_MASK;
        let cap = slots.len();
        // Backward shift: pull each following displaced slot one step nearer its home.
        loop {
            let j = if i + 1 == cap { 0 } else { i + 1 };
            if slots[j][2] == 0 || dist(slots, j) == 0 {
                slots[i] = [0; 3];
                break;
            }
            slots[i] = slots[j];
            i = j;
        }
        self.count -= 1;
        self.per_len[len as usize] -= 1;
        if self.count == 0 {
            // Memory back to the empty figure after a mass withdrawal.
            self.slots = SlotBuf::Heap(Vec::new());
        } else if self.count * 5 < cap * 2 && cap > 64 {
            // Under 2/5 full: back to a load of 4/5.
            self.resize(self.count * 5 / 4 + 1);
        }
        Some(lb)
    }

    fn has_len(&self, len: u32) -> bool {
        self.per_len.get(len as usize).is_some_and(|&c| c > 0)
    }

    fn covering(&self, key: u64, len: u32) -> Option<(u32, u32)> {
        (0..len.min(65))
            .rev()
            .filter(|&l| self.has_len(l))
            .find_map(|l| self.get(key.masked(l), l).map(|lb| (l, lb)))
    }

    fn iter(&self) -> impl Iterator<Item = (u64, u8, u32)> + '_ {
        self.slots.get().iter().filter(|s| s[2] != 0).map(|s| {
            let (k, l) = slot_key(s);
            (k, u8::try_from(l).unwrap_or(u8::MAX), s[2] & LB_MASK)
        })
    }

    fn memory_bytes(&self) -> usize {
        self.slots.bytes()
    }
}

trait Masked64 {
    fn masked(self, len: u32) -> Self;
}

impl Masked64 for u64 {
    fn masked(self, len: u32) -> Self {
        if len == 0 {
            0
        } else {
            self & (u64::MAX << (64 - len.min(64)))
        }
    }
}

/// The writer's IPv6 routes (control side: exact match, covering search, dumps). Prefixes up
/// to /64 (nearly all of a real table) are kept by their upper 64 bits in one compact table
/// (`Routes64`, 12-byte slots); longer ones (rare: /65-/128) in a map per length.
pub(crate) struct Store6 {
    lo: Routes64,
    hi: PrefixStore<u128>,
}

#[allow(clippy::cast_possible_truncation, reason = "the upper half of a u128")]
fn upper(key: u128) -> u64 {
    (key >> 64) as u64
}

impl Store6 {
    pub(crate) fn new() -> Self {
        Store6 {
            lo: Routes64::default(),
            hi: PrefixStore::new(),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.lo.count + self.hi.len()
    }

    pub(crate) fn get(&self, key: u128, len: u32) -> Option<u32> {
        if len <= 64 {
            self.lo.get(upper(key), len)
        } else {
            self.hi.get(key, len)
        }
    }

    pub(crate) fn insert(&mut self, key: u128, len: u32, lb: u32) -> Option<u32> {
        if len <= 64 {
            self.lo.insert(upper(key), len, lb)
        } else {
            self.hi.insert(key, len, lb)
        }
    }

    pub(crate) fn remove(&mut self, key: u128, len: u32) -> Option<u32> {
        if len <= 64 {
            self.lo.remove(upper(key), len)
        } else {
            self.hi.remove(key, len)
        }
    }

    /// The longest stored prefix strictly shorter than `len` covering `key`: (length, LB).
    pub(crate) fn covering(&self, key: u128, len: u32) -> Option<(u32, u32)> {
        if len > 65 {
            if let Some(c) = self.hi.covering(key, len) {
                return Some(c);
            }
        }
        self.lo.covering(upper(key), len.min(65))
    }

    /// All routes sorted by (prefix, length).
    pub(crate) fn sorted(&self) -> Vec<(u128, u8, u32)> {
        let mut v: Vec<(u128, u8, u32)> = self
            .lo
            .iter()
            .map(|(k, l, lb)| (u128::from(k) << 64, l, lb))
            .collect();
        v.extend(self.hi.sorted());
        v.sort_unstable_by_key(|&(k, l, _)| (k, l));
        v
    }

    pub(crate) fn memory_bytes(&self) -> usize {
        self.lo.memory_bytes() + self.hi.memory_bytes()
    }
}

#[cfg(test)]
mod store_tests {
    use super::Routes64;
    use std::collections::BTreeMap;

    /// `Routes64` against a `BTreeMap` through growth, in-place replacement, Robin Hood
    /// displacement, backward-shift deletes and shrinking, with clustered keys (few distinct
    /// homes per length) as well as spread ones.
    #[test]
    fn routes64_matches_a_map() {
        let mut t = Routes64::default();
        let mut m: BTreeMap<(u64, u32), u32> = BTreeMap::new();
        let mut x = 0x1234_5678_9abc_def1u64;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for round in 0..40_000u32 {
            let r = next();
            let len = u32::try_from(r % 65).unwrap_or(0);
            // Half the keys from a small space (many collisions of the masked key).
            let raw = if r & (1 << 40) != 0 {
                next()
            } else {
                next() & 0xff00_0000_0000_0000
            };
            let key = if len == 0 {
                0
            } else {
                raw & (u64::MAX << (64 - len))
            };
            let lb = u32::try_from(next() & 0xff_ffff).unwrap_or(0);
            // Insert-heavy first, then delete-heavy down to empty.
            let del = if round < 20_000 {
                r % 4 == 0
            } else {
                r % 4 != 0
            };
            if del {
                assert_eq!(t.remove(key, len), m.remove(&(key, len)));
            } else {
                assert_eq!(t.insert(key, len, lb), m.insert((key, len), lb));
            }
            assert_eq!(t.count, m.len());
            if round % 997 == 0 {
                for (&(k, l), &v) in &m {
                    assert_eq!(t.get(k, l), Some(v));
                }
                let q = next();
                let want = (0..65u32).rev().find_map(|l| {
                    let k = if l == 0 {
                        0
                    } else {
                        q & (u64::MAX << (64 - l))
                    };
                    m.get(&(k, l)).map(|&v| (l, v))
                });
                assert_eq!(t.covering(q, 65), want);
                let mut all: Vec<_> = t.iter().map(|(k, l, v)| ((k, u32::from(l)), v)).collect();
                all.sort_unstable();
                assert_eq!(all, m.iter().map(|(&k, &v)| (k, v)).collect::<Vec<_>>());
            }
        }
        for (k, l) in m.keys().copied().collect::<Vec<_>>() {
            assert_eq!(t.remove(k, l), m.remove(&(k, l)));
        }
        assert_eq!(t.count, 0);
        assert_eq!(t.memory_bytes(), 0);
    }
}
