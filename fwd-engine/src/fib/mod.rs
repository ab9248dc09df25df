//! The FIB: per-VRF IPv4/IPv6 longest-prefix match, load balances (ECMP / next-hop groups)
//! and adjacencies, written by one control thread and read lock-free by the workers.
//!
//! # Layout
//! - IPv4: a multibit trie with leaf pushing, 16-8-8 by default (`FibConfig::v4_first_bits`
//!   = 24 gives DIR-24-8; `bench/RESULTS.md` has the measurements behind the default). Each
//!   entry is one `AtomicU32`: a leaf (LB index + the length of the route that produced it) or a
//!   pointer to a 256-entry group in the IPv4 group pool.
//! - IPv6: a 16-bit root and 8-bit strides below (up to 14 levels) whose 256-entry nodes are
//!   stored run-length compressed (`trie6.rs`: up to 4 runs in 1 + runs words, 16 bytes for
//!   a node holding one route; more in a 64-byte header of run counts and run-start bits + 4
//!   bytes per run); /128 host routes live in a lock-free hash table probed first
//!   (`host6.rs`).
//! - Load balances and adjacencies live in an immutable, copy-on-write snapshot published with
//!   `arc_swap`; a view pins one snapshot, so `lb()` and `adj()` are consistent with each other
//!   for a whole frame.
//!
//! # Concurrency
//! Route changes are applied in place, one atomic store per entry: a lookup racing with a
//! change returns the old or the new LB for its address, never a mix and never garbage. A
//! route change never blocks a reader. Storage that readers may still hold (trie groups
//! unlinked by a delete, old snapshots) is reused/freed only after every reader has passed a
//! quiescent point: the end of its [`FibView`] (QSBR/epoch style, see `rcu.rs`). A fresh LB is
//! written into the trie only after every reader's view has the snapshot containing it (the
//! writer waits for that grace period, bounded by `FibConfig::grace_timeout`; readers never
//! wait).
//!
//! Workers: take one `view()` per frame (no lock, no allocation), do all lookups of the frame
//! through it, drop it. Give each worker thread its own `FibReader` clone.
//!
//! ```
//! use fwd_engine::fib::{Adjacency, Fib, FibConfig, LbKind};
//!
//! let (mut w, r) = Fib::new(FibConfig::default());
//! let eth = [0u8; 14]; // dst mac, src mac, ethertype
//! let a = w.add_adjacency(Adjacency::new(1, 1500, &eth).unwrap()).unwrap();
//! let b = w.add_adjacency(Adjacency::new(2, 1500, &eth).unwrap()).unwrap();
//! let ecmp = w.add_lb(LbKind::Forward, &[a, b], 0).unwrap();
//! w.route4_add(0, 0x0a00_0000, 8, ecmp).unwrap(); // 10.0.0.0/8
//!
//! let worker = r.clone(); // one per worker thread
//! let view = worker.view(); // once per frame
//! let mut lbs = [0; 2];
//! view.lookup4_batch(0, &[0x0a01_0203, 0x0b00_0001], &mut lbs);
//! assert_eq!(lbs[0], ecmp);
//! assert_eq!(lbs[1], w.drop_lb(0).unwrap()); // no route: the VRF's drop LB
//! let lb = view.lb(lbs[0]);
//! let adj = view.adj(lb.bucket(0x1234_5678).unwrap()); // flow hash picks the bucket
//! assert!(adj.sw_if_index == 1 || adj.sw_if_index == 2);
//! drop(view); // quiescent point
//! ```

pub mod synth;

mod host6;
mod objects;
mod rcu;
mod store;
mod trie;
mod trie6;

#[cfg(test)]
mod tests;

use std::collections::VecDeque;
use std::fmt;
use std::sync::atomic::{AtomicU16, AtomicU32, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use arc_swap::ArcSwap;
use ring_proto::shm::AtomicTable;

use objects::{LbData, Objects, VrfTables};
use store::{Key, PrefixStore};
use trie::{
    groups_needed, leaf, widen, Dense, GroupAlloc, Rule, TrieWriter, EXT, IDX_MASK, MAX_LB16,
};

/// Dense VRF id; 0 is the default VRF (always present).
pub type VrfId = u16;
/// Index of an [`Adjacency`].
pub type AdjIndex = u32;
/// Index of a load balance: what an LPM leaf resolves to.
pub type LbIndex = u32;

/// The drop LB returned for lookups in a VRF that does not exist.
pub const GLOBAL_DROP_LB: LbIndex = 0;
/// Largest bucket array of a load balance.
pub const MAX_BUCKETS: usize = 1024;
/// Largest LB index / trie group count representable in a trie entry.
pub const MAX_INDEX: u32 = IDX_MASK;

/// What a load balance does with a packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LbKind {
    /// Blackhole / no route.
    Drop,
    /// Trap to the CPU (host interface).
    Punt,
    /// One of our own addresses (ip4-local / ip6-local).
    Local,
    /// Connected subnet: resolve the neighbour on `sw_if_index`.
    Glean,
    /// Forward: pick `buckets[hash & (buckets.len() - 1)]`.
    Forward,
}

/// A load balance as seen by a worker.
#[derive(Clone, Copy, Debug)]
pub struct LbView<'a> {
    pub kind: LbKind,
    /// Power-of-two length for `Forward` (non-empty); may be empty for the other kinds.
    pub buckets: &'a [AdjIndex],
    pub sw_if_index: u32,
}

impl LbView<'_> {
    /// `buckets[hash & (len - 1)]`, `None` when there are no buckets.
    #[inline]
    pub fn bucket(&self, hash: u32) -> Option<AdjIndex> {
        let n = self.buckets.len();
        if n == 0 {
            return None;
        }
        self.buckets.get(hash as usize & (n - 1)).copied()
    }
}

/// Rewrite information of a next hop: the full L2 header to prepend.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Adjacency {
    pub sw_if_index: u32,
    pub mtu: u16,
    /// Bytes of `rewrite` in use (14, or 18 with an 802.1Q tag); at most 22.
    pub rewrite_len: u8,
    /// dst mac, src mac, [802.1Q tag], ethertype.
    pub rewrite: [u8; 22],
}

impl Adjacency {
    /// Build from an L2 header of at most 22 bytes.
    pub fn new(sw_if_index: u32, mtu: u16, header: &[u8]) -> Result<Self, FibError> {
        let len = u8::try_from(header.len())
            .ok()
            .filter(|&l| l <= 22)
            .ok_or(FibError::BadArgument("rewrite longer than 22 bytes"))?;
        let mut rewrite = [0u8; 22];
        rewrite[..header.len()].copy_from_slice(header);
        Ok(Adjacency {
            sw_if_index,
            mtu,
            rewrite_len: len,
            rewrite,
        })
    }

    /// The header bytes in use.
    pub fn rewrite_bytes(&self) -> &[u8] {
        &self.rewrite[..usize::from(self.rewrite_len.min(22))]
    }

    const INVALID: Adjacency = Adjacency {
        sw_if_index: u32::MAX,
        mtu: 0,
        rewrite_len: 0,
        rewrite: [0; 22],
    };
}

/// Sizes of the FIB. All tables are allocated (virtually, zero pages are not touched) when
/// the FIB is created; nothing on the lookup path allocates.
#[derive(Clone, Debug)]
pub struct FibConfig {
    /// VRF ids are `0..max_vrfs`.
    pub max_vrfs: u32,
    /// IPv4 trie groups (256 entries, 1 KiB each) shared by all VRFs.
    pub tbl8_groups: u32,
    /// IPv6 trie memory in KiB, shared by all VRFs (compressed nodes: 4 + 4 bytes per run
    /// up to 4 runs, e.g. 16 bytes for a node holding one route; 64 + 4 per run beyond, 1 088
    /// for a node of 256 distinct entries).
    pub tbl8_groups6: u32,
    pub max_routes4: usize,
    pub max_routes6: usize,
    /// IPv6 /128 routes, kept in a hash table (one slot each, 64 bytes of table per route,
    /// allocated on the first /128); they count towards `max_routes6` too.
    pub max_host_routes6: usize,
    pub max_adjacencies: u32,
    pub max_lbs: u32,
    /// Reader slots; more clones than this share slots (correct, but grace periods get longer).
    pub max_readers: usize,
    /// Bits resolved by the IPv4 root: 16 (16-8-8 mtrie, 256 KiB per VRF) or 24 (DIR-24-8,
    /// 64 MiB per VRF). 8 is accepted too; other values are treated as 16.
    pub v4_first_bits: u8,
    /// Root bits (both families) of VRFs other than 0: 16 (as VRF 0, 512 KiB of roots per
    /// VRF) or 8 (2 KiB per VRF, one more trie level per lookup) for many-VRF deployments.
    pub other_vrf_root_bits: u8,
    /// Longest the writer waits for readers to pass a quiescent point.
    pub grace_timeout: Duration,
}

impl Default for FibConfig {
    /// Sized for a full IPv4 table (1M+ routes) and a large IPv6 table.
    fn default() -> Self {
        FibConfig {
            max_vrfs: 1024,
            tbl8_groups: 1 << 17,
            tbl8_groups6: 1 << 18,
            max_routes4: 2 << 20,
            max_routes6: 1 << 20,
            max_host_routes6: 1 << 16,
            max_adjacencies: 1 << 18,
            max_lbs: 1 << 18,
            max_readers: 64,
            v4_first_bits: 16,
            other_vrf_root_bits: 16,
            grace_timeout: Duration::from_secs(2),
        }
    }
}

impl FibConfig {
    fn normalized(mut self) -> Self {
        let lim = MAX_INDEX + 1;
        self.max_vrfs = self.max_vrfs.clamp(1, 1 << 16);
        self.tbl8_groups = self.tbl8_groups.min(lim);
        self.tbl8_groups6 = self.tbl8_groups6.min(lim);
        self.max_lbs = self.max_lbs.clamp(2, lim);
        self.max_adjacencies = self.max_adjacencies.min(lim);
        if !matches!(self.v4_first_bits, 8 | 16 | 24) {
            self.v4_first_bits = 16;
        }
        if !matches!(self.other_vrf_root_bits, 8 | 16) {
            self.other_vrf_root_bits = 16;
        }
        self
    }
}

/// Why a FIB operation was refused. The FIB is unchanged when an error is returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FibError {
    /// A fixed-size table is full (which one).
    TableFull(&'static str),
    NoSuchVrf,
    VrfExists,
    /// Length too long for the family, or bits set beyond the prefix length.
    BadPrefix,
    /// No such route.
    NotFound,
    /// Still referenced (LB by routes, adjacency by LBs, VRF by routes) or reserved.
    InUse,
    NoSuchLb,
    NoSuchAdjacency,
    BadArgument(&'static str),
    /// Readers did not pass a quiescent point within `FibConfig::grace_timeout`
    /// (a worker holding a view for that long); retry later.
    ReadersStuck,
}

impl fmt::Display for FibError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FibError::TableFull(t) => write!(f, "table full: {t}"),
            FibError::NoSuchVrf => f.write_str("no such VRF"),
            FibError::VrfExists => f.write_str("VRF already exists"),
            FibError::BadPrefix => f.write_str("bad prefix (length too long or host bits set)"),
            FibError::NotFound => f.write_str("route not found"),
            FibError::InUse => f.write_str("object in use or reserved"),
            FibError::NoSuchLb => f.write_str("no such load balance"),
            FibError::NoSuchAdjacency => f.write_str("no such adjacency"),
            FibError::BadArgument(w) => write!(f, "bad argument: {w}"),
            FibError::ReadersStuck => {
                f.write_str("readers did not reach a quiescent point in time")
            }
        }
    }
}

impl std::error::Error for FibError {}

/// Counts and memory of the FIB.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FibStats {
    pub vrfs: usize,
    pub routes4: usize,
    pub routes6: usize,
    pub lbs: usize,
    pub adjacencies: usize,
    pub groups4_in_use: usize,
    /// Of `groups4_in_use`, the groups among the pool's first 32 768 (the only ones a 16-bit
    /// group entry can point to; routes needing more fail with `TableFull`).
    pub groups4_low_in_use: usize,
    /// IPv6 trie nodes in use (compressed 256-entry nodes, `trie6.rs`).
    pub groups6_in_use: usize,
    /// Groups (and IPv6 nodes) freed but waiting for a grace period.
    pub groups_pending: usize,
    /// Old snapshots waiting for a grace period.
    pub snapshots_pending: usize,
}

struct Shared {
    rcu: rcu::Rcu,
    objects: ArcSwap<Objects>,
    /// Trie group pools: anonymous mappings advised for huge pages (random lookups over tens
    /// of MiB would otherwise pay a page walk each), zero pages until a group is used.
    pool4: AtomicTable,
    pool6: AtomicTable,
    host6: OnceLock<host6::HostTable>,
}

/// Constructor of the writer/reader pair.
pub struct Fib;

impl Fib {
    /// A FIB with the default VRF 0 present and empty (every lookup gives its drop LB).
    #[allow(clippy::new_ret_no_self, reason = "the FIB is its writer/reader pair")]
    pub fn new(cfg: FibConfig) -> (FibWriter, FibReader) {
        let cfg = cfg.normalized();
        let empty_lb = LbData {
            kind: LbKind::Drop,
            sw_if_index: u32::MAX,
            buckets: Arc::from(Vec::new()),
        };
        let objs = Objects::new(empty_lb, Adjacency::INVALID);
        let pool = |groups: u32| -> AtomicTable {
            // Zero pages: only backed by memory once a group is used. If the mapping fails the
            // pool is empty and route inserts needing a group fail with `TableFull`.
            AtomicTable::new(groups as usize * trie::GROUP).unwrap_or_else(|_| AtomicTable::empty())
        };
        let shared = Arc::new(Shared {
            rcu: rcu::Rcu::new(cfg.max_readers),
            objects: ArcSwap::from_pointee(objs.clone()),
            // 16-bit entries: two per 32-bit table entry.
            pool4: AtomicTable::new(cfg.tbl8_groups as usize * trie::GROUP / 2)
                .unwrap_or_else(|_| AtomicTable::empty()),
            pool6: pool(cfg.tbl8_groups6),
            host6: OnceLock::new(),
        });
        let g4 = u32::try_from(shared.pool4.as_u16().len() / trie::GROUP).unwrap_or(0);
        // Groups below group entries need 15-bit indices: the pool's first 2^15 groups;
        // groups below root entries take the rest first.
        let deep4 = g4.min(u32::from(trie::IDX16) + 1);
        let mut w = FibWriter {
            alloc4: GroupAlloc::range(deep4, g4),
            alloc4d: GroupAlloc::range(0, deep4),
            depth4: vec![0; g4 as usize * trie::GROUP],
            alloc6: trie6::NodeAlloc::new(&shared.pool6),
            shared: Arc::clone(&shared),
            objs,
            retired: VecDeque::new(),
            lbs: Vec::new(),
            lb_free: Vec::new(),
            lb_count: 0,
            adjs: Vec::new(),
            adj_free: Vec::new(),
            adj_count: 0,
            vrfs: Vec::new(),
            routes4: 0,
            routes6: 0,
            passed_through: 0,
            host6w: None,
            cfg,
        };
        // LB 0: the global drop LB (lookups in VRFs that do not exist).
        let drop0 = w.alloc_lb_index().unwrap_or(0);
        debug_assert_eq!(drop0, GLOBAL_DROP_LB);
        w.set_lb(drop0, LbKind::Drop, Vec::new(), u32::MAX, true);
        if let Err(e) = w.add_vrf(0) {
            debug_assert!(false, "creating VRF 0 failed: {e}");
        }
        let r = FibReader {
            slot: shared.rcu.register(),
            shared,
        };
        (w, r)
    }
}

/// Worker-side handle. Clone one per worker thread.
pub struct FibReader {
    shared: Arc<Shared>,
    slot: usize,
}

impl Clone for FibReader {
    fn clone(&self) -> Self {
        FibReader {
            shared: Arc::clone(&self.shared),
            slot: self.shared.rcu.register(),
        }
    }
}

impl Drop for FibReader {
    fn drop(&mut self) {
        self.shared.rcu.unregister(self.slot);
    }
}

impl FibReader {
    /// Start a read-side critical section (one per frame). Lock-free; dropping the view is
    /// this reader's quiescent point.
    #[inline]
    pub fn view(&self) -> FibView<'_> {
        self.shared.rcu.enter(self.slot);
        // After `enter`: the snapshot loaded here is at least as new as the epoch announced.
        let objs = self.shared.objects.load();
        FibView {
            shared: &self.shared,
            slot: self.slot,
            objs,
        }
    }
}

/// One read-side critical section. Keep it for at most one frame.
pub struct FibView<'a> {
    shared: &'a Shared,
    slot: usize,
    objs: arc_swap::Guard<Arc<Objects>>,
}

impl Drop for FibView<'_> {
    fn drop(&mut self) {
        self.shared.rcu.exit(self.slot);
    }
}

/// Walk the IPv4 groups (16-bit entries) from entry `e` (32-bit form).
#[inline(always)]
fn descend16(pool: &[AtomicU16], mut e: u32, mut shift: u32, key: u32) -> u32 {
    while e & EXT != 0 && shift >= trie::STRIDE {
        shift -= trie::STRIDE;
        let i = (((e & IDX_MASK) as usize) << trie::STRIDE) | ((key >> shift) & 0xff) as usize;
        // Acquire pairs with the writer's Release store of the entry (trie.rs).
        e = match pool.get(i) {
            Some(a) => widen(a.load(Ordering::Acquire)),
            None => return GLOBAL_DROP_LB,
        };
    }
    e & IDX_MASK
}

#[inline(always)]
fn root4(t: &VrfTables, dst: u32) -> (u32, u32) {
    let shift = 32 - t.v4_first_bits;
    let e = t
        .v4_root
        .get((dst >> shift) as usize)
        .map_or(GLOBAL_DROP_LB, |a| a.load(Ordering::Acquire));
    (e, shift)
}

impl FibView<'_> {
    #[inline(always)]
    fn vrf(&self, vrf: VrfId) -> Option<&VrfTables> {
        self.objs.vrfs.get(usize::from(vrf))?.as_deref()
    }

    /// LPM of `dst` (host order) in `vrf`: the VRF's drop LB when nothing matches,
    /// [`GLOBAL_DROP_LB`] when the VRF does not exist.
    #[inline]
    pub fn lookup4(&self, vrf: VrfId, dst: u32) -> LbIndex {
        match self.vrf(vrf) {
            Some(t) => {
                let (e, shift) = root4(t, dst);
                descend16(self.shared.pool4.as_u16(), e, shift, dst)
            }
            None => GLOBAL_DROP_LB,
        }
    }

    /// The IPv4 table of `vrf` for lookups split in two steps ([`Lookup4`]); `None` if the VRF
    /// does not exist (every lookup would give [`GLOBAL_DROP_LB`]).
    #[inline]
    pub fn lookup4_table(&self, vrf: VrfId) -> Option<Lookup4<'_>> {
        let t = self.vrf(vrf)?;
        let shift = 32 - t.v4_first_bits;
        Some(Lookup4 {
            root: &t.v4_root,
            pool: &self.shared.pool4,
            shift,
            next: shift.saturating_sub(trie::STRIDE),
        })
    }

    /// `out[i] = lookup4(vrf, dst[i])` for `i < min(dst.len(), out.len())`. The root loads of
    /// the whole batch are issued before the deeper levels, so cache misses overlap.
    pub fn lookup4_batch(&self, vrf: VrfId, dst: &[u32], out: &mut [LbIndex]) {
        let Some(t) = self.vrf(vrf) else {
            out.iter_mut()
                .take(dst.len())
                .for_each(|o| *o = GLOBAL_DROP_LB);
            return;
        };
        let shift = 32 - t.v4_first_bits;
        let next = shift.saturating_sub(trie::STRIDE);
        let root = &t.v4_root[..];
        let pool = self.shared.pool4.as_u16();
        const C: usize = 64;
        let mut slot = [0u32; C];
        for (o, d) in out.chunks_mut(C).zip(dst.chunks(C)) {
            // 1: root entries, and the second-level slot each needs (0, a hot dummy, for
            //    leaves): no data-dependent branches, so all loads of the chunk overlap.
            for ((o, s), &d) in o.iter_mut().zip(slot.iter_mut()).zip(d) {
                let e = root
                    .get((d >> shift) as usize)
                    .map_or(GLOBAL_DROP_LB, |a| a.load(Ordering::Acquire));
                let ext = u32::from(e & EXT != 0);
                *s = (((e & IDX_MASK) << trie::STRIDE) | ((d >> next) & 0xff)) * ext;
                *o = e;
            }
            // 2: second level for the whole chunk (the cache misses), then select.
            for (o, &s) in o.iter_mut().zip(slot.iter()) {
                // Acquire pairs with the writer's Release store of the entry (trie.rs).
                let e2 = pool
                    .get(s as usize)
                    .map_or(GLOBAL_DROP_LB, |a| widen(a.load(Ordering::Acquire)));
                *o = if *o & EXT != 0 { e2 } else { *o };
            }
            // 3: deeper levels (prefixes longer than first_bits + 8: rare).
            for (o, &d) in o.iter_mut().zip(d) {
                *o = descend16(pool, *o, next, d);
            }
        }
    }

    /// Like [`lookup4_batch`](Self::lookup4_batch) with a VRF per packet
    /// (`i < min(vrfs.len(), dst.len(), out.len())`); same three phases per chunk.
    pub fn lookup4_batch_vrfs(&self, vrfs: &[VrfId], dst: &[u32], out: &mut [LbIndex]) {
        let pool = self.shared.pool4.as_u16();
        const C: usize = 64;
        let mut slot = [0u32; C];
        let mut next = [0u32; C];
        for ((o, d), vr) in out.chunks_mut(C).zip(dst.chunks(C)).zip(vrfs.chunks(C)) {
            for ((((o, s), n), &d), &vrf) in o
                .iter_mut()
                .zip(slot.iter_mut())
                .zip(next.iter_mut())
                .zip(d)
                .zip(vr)
            {
                let (e, shift) = match self.vrf(vrf) {
                    Some(t) => root4(t, d),
                    None => (GLOBAL_DROP_LB, 0),
                };
                let nx = shift.saturating_sub(trie::STRIDE);
                let ext = u32::from(e & EXT != 0);
                *s = (((e & IDX_MASK) << trie::STRIDE) | ((d >> nx) & 0xff)) * ext;
                *n = nx;
                *o = e;
            }
            for (o, &s) in o.iter_mut().zip(slot.iter()) {
                // Acquire pairs with the writer's Release store of the entry (trie.rs).
                let e2 = pool
                    .get(s as usize)
                    .map_or(GLOBAL_DROP_LB, |a| widen(a.load(Ordering::Acquire)));
                *o = if *o & EXT != 0 { e2 } else { *o };
            }
            for ((o, &d), &n) in o.iter_mut().zip(d).zip(next.iter()) {
                *o = descend16(pool, *o, n, d);
            }
        }
    }

    /// IPv6 LPM of `dst` (host order u128) in `vrf`.
    #[inline]
    pub fn lookup6(&self, vrf: VrfId, dst: u128) -> LbIndex {
        match self.vrf(vrf) {
            Some(t) => {
                if let Some(lb) = self.shared.host6.get().and_then(|h| h.get(vrf, dst)) {
                    return lb;
                }
                let e = t
                    .v6_root
                    .get((dst >> (128 - t.v6_first_bits)) as usize)
                    .map_or(GLOBAL_DROP_LB, |a| a.load(Ordering::Acquire));
                trie6::descend(&self.shared.pool6, e, 128 - t.v6_first_bits, dst)
            }
            None => GLOBAL_DROP_LB,
        }
    }

    /// `out[i] = lookup6(vrf, dst[i])`. Walks the trie level by level for chunks of 64
    /// addresses so that the cache misses of different addresses overlap.
    pub fn lookup6_batch(&self, vrf: VrfId, dst: &[u128], out: &mut [LbIndex]) {
        let Some(t) = self.vrf(vrf) else {
            out.iter_mut()
                .take(dst.len())
                .for_each(|o| *o = GLOBAL_DROP_LB);
            return;
        };
        let pool = &self.shared.pool6[..];
        for (o, d) in out.chunks_mut(trie6::BATCH).zip(dst.chunks(trie6::BATCH)) {
            trie6::lookup_batch(pool, &t.v6_root, t.v6_first_bits, d, o);
            if let Some(h) = self.shared.host6.get() {
                for (o, &d) in o.iter_mut().zip(d) {
                    if let Some(lb) = h.get(vrf, d) {
                        *o = lb;
                    }
                }
            }
        }
    }

    /// Generation of the load balances and adjacencies this view sees: equal in two views of
    /// one FIB only if no LB or adjacency changed in between (route changes do not count), so
    /// a worker may keep what it derived from them across frames while it stays the same.
    #[inline]
    pub fn generation(&self) -> u64 {
        self.objs.generation
    }

    /// The VRF's drop LB ([`GLOBAL_DROP_LB`] if the VRF does not exist).
    pub fn drop_lb(&self, vrf: VrfId) -> LbIndex {
        self.vrf(vrf).map_or(GLOBAL_DROP_LB, |t| t.drop_lb)
    }

    /// The load balance `i`; an unknown index reads as a drop LB without buckets.
    #[inline]
    pub fn lb(&self, i: LbIndex) -> LbView<'_> {
        match self.objs.lbs.get(i) {
            Some(d) => LbView {
                kind: d.kind,
                buckets: &d.buckets,
                sw_if_index: d.sw_if_index,
            },
            None => LbView {
                kind: LbKind::Drop,
                buckets: &[],
                sw_if_index: u32::MAX,
            },
        }
    }

    /// Adjacency `i`; an unknown index gives one with `sw_if_index == u32::MAX` and no
    /// rewrite.
    #[inline]
    pub fn adj(&self, i: AdjIndex) -> Adjacency {
        self.objs.adjs.get(i).copied().unwrap_or(Adjacency::INVALID)
    }

    /// Adjacency `i` by reference, `None` if out of range.
    #[inline]
    pub fn adj_ref(&self, i: AdjIndex) -> Option<&Adjacency> {
        self.objs.adjs.get(i)
    }
}

/// IPv4 longest-prefix match in one VRF, in two steps so that the caller can start the
/// lookups of many packets (each [`start`](Self::start) reads the root entry and asks for the
/// second-level entry's cache line without waiting for it) and do other work before
/// [`finish`](Self::finish)ing them: `finish(start(dst), dst) == lookup4(vrf, dst)`. Borrowed
/// from a [`FibView`]: finish within the same view (the entry `start` returns may point to a
/// trie group that is reused once the view has ended).
#[derive(Clone, Copy)]
pub struct Lookup4<'a> {
    root: &'a [AtomicU32],
    pool: &'a AtomicTable,
    shift: u32,
    next: u32,
}

/// The two steps of [`Lookup4`]: implemented by it and by its 16-8-8 specialisation
/// [`Lookup4x16`] (no shift by a variable, no root bounds check, at most two more levels).
pub trait Lpm4Steps {
    /// Step 1 for `dst` (host order): its root entry, with a prefetch of the second-level
    /// entry it points to.
    fn start(&self, dst: u32) -> u32;
    /// Step 2: the LB index of `dst`, from the entry `start(dst)` returned.
    fn finish(&self, e: u32, dst: u32) -> LbIndex;
    /// Step 2 split once more, for callers that can overlap the rare deepest level too:
    /// `Ok(lb)` as [`finish`](Self::finish), or `Err(slot)` when `dst` needs one more
    /// (last) level, whose entry's cache line has been prefetched;
    /// [`finish_deep`](Self::finish_deep)`(slot)` then gives the LB. Either way the result
    /// equals `finish(e, dst)` (within the same view).
    fn finish_shallow(&self, e: u32, dst: u32) -> Result<LbIndex, u32>;
    /// The LB in the last-level entry `slot` that [`finish_shallow`](Self::finish_shallow)
    /// returned.
    fn finish_deep(&self, slot: u32) -> LbIndex;
}

/// [`Lookup4`] for a 16-bit root (the default 16-8-8 layout).
#[derive(Clone, Copy)]
pub struct Lookup4x16<'a> {
    root: &'a [AtomicU32; 1 << 16],
    pool: &'a AtomicTable,
    /// `pool.as_u16()`, taken once.
    pool16: &'a [AtomicU16],
}

impl<'a> Lookup4<'a> {
    /// The 16-8-8 specialisation, if this VRF's root has 16 bits.
    #[inline]
    pub fn x16(&self) -> Option<Lookup4x16<'a>> {
        Some(Lookup4x16 {
            root: <&[AtomicU32; 1 << 16]>::try_from(self.root).ok()?,
            pool: self.pool,
            pool16: self.pool.as_u16(),
        })
    }
}

impl Lpm4Steps for Lookup4x16<'_> {
    #[inline(always)]
    fn start(&self, dst: u32) -> u32 {
        // Acquire pairs with the writer's Release store of the entry (trie.rs).
        let e = self.root[(dst >> 16) as usize].load(Ordering::Acquire);
        let ext = u32::from(e & EXT != 0);
        let slot = (((e & IDX_MASK) << trie::STRIDE) | ((dst >> 8) & 0xff)) * ext;
        self.pool.prefetch_u16(slot as usize);
        e
    }

    #[inline(always)]
    fn finish(&self, e: u32, dst: u32) -> LbIndex {
        if e & EXT == 0 {
            return e & IDX_MASK;
        }
        let i = ((e & IDX_MASK) << trie::STRIDE) | ((dst >> 8) & 0xff);
        let pool = self.pool16;
        let e = pool
            .get(i as usize)
            .map_or(0, |a| a.load(Ordering::Acquire));
        if e & trie::EXT16 == 0 {
            return u32::from(e);
        }
        // Third level (/25-/32): its entries are leaves.
        let i = (u32::from(e & trie::IDX16) << trie::STRIDE) | (dst & 0xff);
        pool.get(i as usize)
            .map_or(0, |a| u32::from(a.load(Ordering::Acquire) & trie::IDX16))
    }

    #[inline(always)]
    fn finish_shallow(&self, e: u32, dst: u32) -> Result<LbIndex, u32> {
        if e & EXT == 0 {
            return Ok(e & IDX_MASK);
        }
        let i = ((e & IDX_MASK) << trie::STRIDE) | ((dst >> 8) & 0xff);
        let e = self
            .pool16
            .get(i as usize)
            .map_or(0, |a| a.load(Ordering::Acquire));
        if e & trie::EXT16 == 0 {
            return Ok(u32::from(e));
        }
        // Third level (/25-/32): the Acquire load of `e` above pairs with the writer's
        // Release store of the pointer, after the group was filled.
        let slot = (u32::from(e & trie::IDX16) << trie::STRIDE) | (dst & 0xff);
        self.pool.prefetch_u16(slot as usize);
        Err(slot)
    }

    #[inline(always)]
    fn finish_deep(&self, slot: u32) -> LbIndex {
        last_level16(self.pool16, slot)
    }
}

/// The LB in the last-level (leaf) 16-bit pool entry `slot`.
#[inline(always)]
fn last_level16(pool: &[AtomicU16], slot: u32) -> LbIndex {
    pool.get(slot as usize)
        .map_or(0, |a| u32::from(a.load(Ordering::Acquire) & trie::IDX16))
}

impl Lpm4Steps for Lookup4<'_> {
    #[inline(always)]
    fn start(&self, dst: u32) -> u32 {
        Lookup4::start(self, dst)
    }
    #[inline(always)]
    fn finish(&self, e: u32, dst: u32) -> LbIndex {
        Lookup4::finish(self, e, dst)
    }
    /// Never defers: the generic layouts finish in one step.
    #[inline(always)]
    fn finish_shallow(&self, e: u32, dst: u32) -> Result<LbIndex, u32> {
        Ok(Lookup4::finish(self, e, dst))
    }
    #[inline(always)]
    fn finish_deep(&self, slot: u32) -> LbIndex {
        last_level16(self.pool.as_u16(), slot)
    }
}

impl Lookup4<'_> {
    /// Step 1 for `dst` (host order): its root entry, with a prefetch of the second-level
    /// entry it points to (of a hot dummy entry for leaves: no branch on the data).
    #[inline(always)]
    pub fn start(&self, dst: u32) -> u32 {
        let e = self
            .root
            .get((dst >> self.shift) as usize)
            .map_or(GLOBAL_DROP_LB, |a| a.load(Ordering::Acquire));
        let ext = u32::from(e & EXT != 0);
        let slot = (((e & IDX_MASK) << trie::STRIDE) | ((dst >> self.next) & 0xff)) * ext;
        self.pool.prefetch_u16(slot as usize);
        e
    }

    /// Step 2: the LB index of `dst`, from the entry `start(dst)` returned.
    #[inline(always)]
    pub fn finish(&self, e: u32, dst: u32) -> LbIndex {
        descend16(self.pool.as_u16(), e, self.shift, dst)
    }
}

struct LbCtl {
    in_use: bool,
    /// VRF drop LBs and the global drop LB: not removable or updatable.
    reserved: bool,
    route_refs: u64,
    /// Epoch of the first snapshot containing this LB; routes may point to it once passed.
    ready_epoch: u64,
}

#[derive(Clone, Copy, Default)]
struct AdjCtl {
    in_use: bool,
    /// Bucket occurrences in load balances.
    refs: u64,
}

struct VrfCtl {
    v4: PrefixStore<u32>,
    v6: trie6::Store6,
    drop_lb: LbIndex,
}

/// Per-family glue for the generic route code.
/// What `TableFull` names when the IPv4 groups below group entries run out.
const POOL4_DEEP: &str =
    "ipv4 trie groups below group entries (16-bit entries: the first 32768 of tbl8_groups)";

/// A family's control-side route store, as the generic route code uses it.
trait Routes<K> {
    fn get(&self, key: K, len: u32) -> Option<u32>;
    fn insert(&mut self, key: K, len: u32, lb: u32) -> Option<u32>;
    fn remove(&mut self, key: K, len: u32) -> Option<u32>;
    fn covering(&self, key: K, len: u32) -> Option<(u32, u32)>;
}

impl<K: Key> Routes<K> for PrefixStore<K> {
    fn get(&self, key: K, len: u32) -> Option<u32> {
        PrefixStore::get(self, key, len)
    }
    fn insert(&mut self, key: K, len: u32, lb: u32) -> Option<u32> {
        PrefixStore::insert(self, key, len, lb)
    }
    fn remove(&mut self, key: K, len: u32) -> Option<u32> {
        PrefixStore::remove(self, key, len)
    }
    fn covering(&self, key: K, len: u32) -> Option<(u32, u32)> {
        PrefixStore::covering(self, key, len)
    }
}

impl Routes<u128> for trie6::Store6 {
    fn get(&self, key: u128, len: u32) -> Option<u32> {
        trie6::Store6::get(self, key, len)
    }
    fn insert(&mut self, key: u128, len: u32, lb: u32) -> Option<u32> {
        trie6::Store6::insert(self, key, len, lb)
    }
    fn remove(&mut self, key: u128, len: u32) -> Option<u32> {
        trie6::Store6::remove(self, key, len)
    }
    fn covering(&self, key: u128, len: u32) -> Option<(u32, u32)> {
        trie6::Store6::covering(self, key, len)
    }
}

trait Family: Key {
    const POOL: &'static str;
    const ROUTES: &'static str;
    type Store: Routes<Self>;
    fn store(v: &VrfCtl) -> &Self::Store;
    fn store_mut(v: &mut VrfCtl) -> &mut Self::Store;
    fn root(t: &VrfTables) -> (&[AtomicU32], u32);
    fn pick<T>(v4: T, v6: T) -> T;
    /// Largest LB index a leaf of this family's trie holds.
    const MAX_LB: u32;
    /// Apply `rule` for `key/len` below `root` (`fb` bits); with `reserve`, first make sure
    /// the groups it may allocate are available (nothing is changed if not).
    fn trie_update(
        w: &mut FibWriter,
        root: &[AtomicU32],
        fb: u32,
        key: u128,
        len: u32,
        rule: Rule,
        reserve: bool,
    ) -> Result<(), FibError>;
}

impl Family for u32 {
    const POOL: &'static str = "ipv4 trie groups (tbl8_groups)";
    const ROUTES: &'static str = "ipv4 routes (max_routes4)";
    type Store = PrefixStore<u32>;
    fn store(v: &VrfCtl) -> &Self::Store {
        &v.v4
    }
    fn store_mut(v: &mut VrfCtl) -> &mut Self::Store {
        &mut v.v4
    }
    fn root(t: &VrfTables) -> (&[AtomicU32], u32) {
        (&t.v4_root, t.v4_first_bits)
    }
    fn pick<T>(v4: T, _v6: T) -> T {
        v4
    }
    const MAX_LB: u32 = MAX_LB16;
    fn trie_update(
        w: &mut FibWriter,
        root: &[AtomicU32],
        fb: u32,
        key: u128,
        len: u32,
        rule: Rule,
        reserve: bool,
    ) -> Result<(), FibError> {
        let shared = &*w.shared;
        let mut t = TrieWriter {
            pool: Dense {
                pool: shared.pool4.as_u16(),
                depth: &mut w.depth4,
                top: &mut w.alloc4,
                deep: &mut w.alloc4d,
            },
            width: 32,
        };
        if reserve {
            let (top, deep) = groups_needed(&t.pool, root, fb, 32, key, len);
            let to = w.cfg.grace_timeout;
            let rcu = &shared.rcu;
            let p = &mut t.pool;
            // Beyond the first 2^15 groups only groups below root entries can go: running
            // out of the first ones is its own error then.
            let deep_what = if p.top.end() > p.deep.end() {
                POOL4_DEEP
            } else {
                Self::POOL
            };
            p.top.reclaim(rcu);
            if p.top.available() >= top {
                p.deep.ensure(deep, rcu, to, deep_what)?;
            } else if p.deep.ensure(deep + top, rcu, to, Self::POOL).is_err() {
                p.top.ensure(top, rcu, to, Self::POOL)?;
                p.deep.ensure(deep, rcu, to, deep_what)?;
            }
        }
        t.update(root, fb, key, len, rule);
        w.alloc4.seal(&shared.rcu);
        w.alloc4d.seal(&shared.rcu);
        Ok(())
    }
}

impl Family for u128 {
    const POOL: &'static str = "ipv6 trie nodes (tbl8_groups6)";
    const ROUTES: &'static str = "ipv6 routes (max_routes6)";
    type Store = trie6::Store6;
    fn store(v: &VrfCtl) -> &Self::Store {
        &v.v6
    }
    fn store_mut(v: &mut VrfCtl) -> &mut Self::Store {
        &mut v.v6
    }
    fn root(t: &VrfTables) -> (&[AtomicU32], u32) {
        (&t.v6_root, t.v6_first_bits)
    }
    fn pick<T>(_v4: T, v6: T) -> T {
        v6
    }
    const MAX_LB: u32 = MAX_INDEX;
    fn trie_update(
        w: &mut FibWriter,
        root: &[AtomicU32],
        fb: u32,
        key: u128,
        len: u32,
        rule: Rule,
        reserve: bool,
    ) -> Result<(), FibError> {
        let _ = reserve; // deletes may rebuild (copy-on-write) nodes too: always reserve
        let shared = &*w.shared;
        let mut t = trie6::Trie6::new(&shared.pool6, &mut w.alloc6);
        let to = w.cfg.grace_timeout;
        if let Err(e) = t.reserve(root, fb, key, len, &shared.rcu, to, Self::POOL) {
            // A full pool must not block deletes: one that allocates nothing goes ahead.
            if !matches!(rule, Rule::Del { .. }) || t.allocates(root, fb, key, len, rule) {
                return Err(e);
            }
        }
        t.update(root, fb, key, len, rule);
        w.alloc6.seal(&shared.rcu);
        Ok(())
    }
}

/// Control-thread handle: the only writer.
pub struct FibWriter {
    shared: Arc<Shared>,
    cfg: FibConfig,
    /// The working copy; equal to the published snapshot between calls.
    objs: Objects,
    /// Replaced snapshots, freed after their grace period (never by a reader).
    retired: VecDeque<(u64, Arc<Objects>)>,
    lbs: Vec<LbCtl>,
    lb_free: Vec<u32>,
    lb_count: usize,
    adjs: Vec<AdjCtl>,
    adj_free: Vec<u32>,
    adj_count: usize,
    vrfs: Vec<Option<VrfCtl>>,
    /// IPv4 groups below root entries, and below group entries (indices < 2^15).
    alloc4: GroupAlloc,
    alloc4d: GroupAlloc,
    /// Writer-side prefix length + 1 of each IPv4 group leaf (16-bit entries hold only the LB).
    depth4: Vec<u8>,
    alloc6: trie6::NodeAlloc,
    routes4: usize,
    routes6: usize,
    /// Highest epoch known to have passed.
    passed_through: u64,
    /// Writer side of the /128 table (created with it).
    host6w: Option<host6::HostWriter>,
}

/// Expand weighted next hops to a power-of-two bucket array whose shares are within 1/64 of
/// the weights (or the closest at `MAX_BUCKETS`).
pub fn expand_buckets(nhs: &[(AdjIndex, u32)]) -> Result<Vec<AdjIndex>, FibError> {
    let nhs: Vec<(AdjIndex, u32)> = nhs.iter().copied().filter(|&(_, w)| w > 0).collect();
    if nhs.is_empty() {
        return Ok(Vec::new());
    }
    if nhs.len() > MAX_BUCKETS {
        return Err(FibError::BadArgument("more next hops than MAX_BUCKETS"));
    }
    let total: f64 = nhs.iter().map(|&(_, w)| f64::from(w)).sum();
    let mut size = nhs.len().next_power_of_two();
    loop {
        #[allow(
            clippy::cast_sign_loss,
            clippy::cast_possible_truncation,
            reason = "a non-negative share of at most MAX_BUCKETS"
        )]
        let mut counts: Vec<usize> = nhs
            .iter()
            .map(|&(_, w)| ((f64::from(w) * size as f64 / total).floor() as usize).max(1))
            .collect();
        let share = |i: usize, c: &[usize]| f64::from(nhs[i].1) * size as f64 / total - c[i] as f64;
        while counts.iter().sum::<usize>() > size {
            // Take from the most over-served next hop that has more than one bucket.
            let i = (0..counts.len())
                .filter(|&i| counts[i] > 1)
                .min_by(|&a, &b| share(a, &counts).total_cmp(&share(b, &counts)))
                .unwrap_or(0);
            counts[i] -= 1;
        }
        while counts.iter().sum::<usize>() < size {
            let i = (0..counts.len())
                .max_by(|&a, &b| share(a, &counts).total_cmp(&share(b, &counts)))
                .unwrap_or(0);
            counts[i] += 1;
        }
        let err = (0..counts.len())
            .map(|i| share(i, &counts).abs() / size as f64)
            .fold(0.0, f64::max);
        if err <= 1.0 / 64.0 || size >= MAX_BUCKETS {
            let mut out = Vec::with_capacity(size);
            for (i, &c) in counts.iter().enumerate() {
                out.extend(std::iter::repeat_n(nhs[i].0, c));
            }
            return Ok(out);
        }
        size *= 2;
    }
}

impl FibWriter {
    // ---- snapshots and grace periods ----

    /// Publish the working copy; returns the epoch after which every new view sees it.
    fn publish(&mut self) -> u64 {
        self.objs.generation = self.objs.generation.wrapping_add(1);
        let old = self.shared.objects.swap(Arc::new(self.objs.clone()));
        let e = self.shared.rcu.bump();
        self.retired.push_back((e, old));
        self.reclaim();
        e
    }

    /// Free what readers can no longer hold: old snapshots and trie groups whose grace period
    /// has passed. Called by every mutating operation; call it when idle to release memory.
    pub fn reclaim(&mut self) {
        while let Some((e, _)) = self.retired.front() {
            if !self.shared.rcu.passed(*e) {
                break;
            }
            self.retired.pop_front();
        }
        self.alloc4.reclaim(&self.shared.rcu);
        self.alloc4d.reclaim(&self.shared.rcu);
        self.alloc6.reclaim(&self.shared.rcu);
    }

    /// Wait until every reader has passed a quiescent point after everything done so far,
    /// then reclaim. Returns false on timeout.
    pub fn synchronize(&mut self, timeout: Duration) -> bool {
        let e = self.shared.rcu.bump();
        let ok = self.shared.rcu.wait(e, timeout);
        if ok {
            self.passed_through = self.passed_through.max(e);
        }
        self.reclaim();
        ok
    }

    /// Routes may point at `lb` only once every live view has a snapshot containing it.
    fn ensure_lb_ready(&mut self, lb: LbIndex) -> Result<(), FibError> {
        let c = self
            .lbs
            .get(lb as usize)
            .filter(|c| c.in_use)
            .ok_or(FibError::NoSuchLb)?;
        let e = c.ready_epoch;
        if e > self.passed_through {
            if !self.shared.rcu.passed(e) && !self.shared.rcu.wait(e, self.cfg.grace_timeout) {
                return Err(FibError::ReadersStuck);
            }
            self.passed_through = e;
        }
        Ok(())
    }

    // ---- VRFs ----

    /// Create VRF `vrf` (empty: every lookup gives its drop LB).
    pub fn add_vrf(&mut self, vrf: VrfId) -> Result<(), FibError> {
        let v = usize::from(vrf);
        if u32::from(vrf) >= self.cfg.max_vrfs {
            return Err(FibError::TableFull("vrf id >= max_vrfs"));
        }
        if self.vrfs.get(v).is_some_and(Option::is_some) {
            return Err(FibError::VrfExists);
        }
        let drop_lb = self.alloc_lb_index()?;
        let (fb, fb6) = if vrf == 0 {
            (u32::from(self.cfg.v4_first_bits), 16)
        } else {
            let b = u32::from(self.cfg.other_vrf_root_bits);
            (b.min(u32::from(self.cfg.v4_first_bits)), b)
        };
        let d = leaf(drop_lb, 0);
        let root = |bits: u32| -> Box<[AtomicU32]> {
            let r = bytemuck::allocation::zeroed_slice_box::<AtomicU32>(1 << bits);
            for a in r.iter() {
                a.store(d, Ordering::Relaxed);
            }
            r
        };
        let tables = VrfTables {
            v4_root: root(fb),
            v4_first_bits: fb,
            v6_root: root(fb6),
            v6_first_bits: fb6,
            drop_lb,
        };
        self.set_lb(drop_lb, LbKind::Drop, Vec::new(), u32::MAX, true);
        if self.vrfs.len() <= v {
            self.vrfs.resize_with(v + 1, || None);
        }
        self.vrfs[v] = Some(VrfCtl {
            v4: PrefixStore::new(),
            v6: trie6::Store6::new(),
            drop_lb,
        });
        if self.objs.vrfs.len() <= v {
            self.objs.vrfs.resize(v + 1, None);
        }
        self.objs.vrfs[v] = Some(Arc::new(tables));
        let e = self.publish();
        if let Some(c) = self.lbs.get_mut(drop_lb as usize) {
            c.ready_epoch = e;
        }
        Ok(())
    }

    /// Remove an empty VRF (routes must be deleted first: `InUse`). VRF 0 cannot be removed.
    pub fn remove_vrf(&mut self, vrf: VrfId) -> Result<(), FibError> {
        let v = usize::from(vrf);
        let ctl = self
            .vrfs
            .get(v)
            .and_then(Option::as_ref)
            .ok_or(FibError::NoSuchVrf)?;
        if vrf == 0 {
            return Err(FibError::BadArgument("the default VRF cannot be removed"));
        }
        if ctl.v4.len() + ctl.v6.len() > 0 {
            return Err(FibError::InUse);
        }
        let drop_lb = ctl.drop_lb;
        let tables = self.objs.vrfs[v].take();
        self.vrfs[v] = None;
        self.publish();
        if let Some(t) = tables {
            // Normally nothing is left (groups collapse as routes go); be thorough anyway.
            TrieWriter {
                pool: Dense {
                    pool: self.shared.pool4.as_u16(),
                    depth: &mut self.depth4,
                    top: &mut self.alloc4,
                    deep: &mut self.alloc4d,
                },
                width: 32,
            }
            .retire_all(&t.v4_root);
            trie6::Trie6::new(&self.shared.pool6, &mut self.alloc6).retire_all(&t.v6_root);
            self.alloc4.seal(&self.shared.rcu);
            self.alloc4d.seal(&self.shared.rcu);
            self.alloc6.seal(&self.shared.rcu);
        }
        self.free_lb(drop_lb);
        self.publish();
        Ok(())
    }

    /// The drop LB of `vrf`.
    pub fn drop_lb(&self, vrf: VrfId) -> Result<LbIndex, FibError> {
        self.vrfs
            .get(usize::from(vrf))
            .and_then(Option::as_ref)
            .map(|c| c.drop_lb)
            .ok_or(FibError::NoSuchVrf)
    }

    // ---- adjacencies ----

    fn check_adj(a: &Adjacency) -> Result<(), FibError> {
        if a.rewrite_len > 22 {
            return Err(FibError::BadArgument("rewrite_len > 22"));
        }
        Ok(())
    }

    pub fn add_adjacency(&mut self, a: Adjacency) -> Result<AdjIndex, FibError> {
        Self::check_adj(&a)?;
        let i = match self.adj_free.pop() {
            Some(i) => i,
            None => {
                let n = u32::try_from(self.adjs.len()).unwrap_or(u32::MAX);
                if n >= self.cfg.max_adjacencies {
                    return Err(FibError::TableFull("adjacencies (max_adjacencies)"));
                }
                self.adjs.push(AdjCtl::default());
                n
            }
        };
        self.adjs[i as usize] = AdjCtl {
            in_use: true,
            refs: 0,
        };
        self.adj_count += 1;
        self.objs.adjs.set(i, a);
        self.publish();
        Ok(i)
    }

    pub fn update_adjacency(&mut self, i: AdjIndex, a: Adjacency) -> Result<(), FibError> {
        Self::check_adj(&a)?;
        if !self.adjs.get(i as usize).is_some_and(|c| c.in_use) {
            return Err(FibError::NoSuchAdjacency);
        }
        self.objs.adjs.set(i, a);
        self.publish();
        Ok(())
    }

    /// Remove an adjacency no load balance uses (`InUse` otherwise).
    pub fn remove_adjacency(&mut self, i: AdjIndex) -> Result<(), FibError> {
        let c = self
            .adjs
            .get_mut(i as usize)
            .filter(|c| c.in_use)
            .ok_or(FibError::NoSuchAdjacency)?;
        if c.refs > 0 {
            return Err(FibError::InUse);
        }
        c.in_use = false;
        self.adj_count -= 1;
        self.objs.adjs.set(i, Adjacency::INVALID);
        // Old snapshots keep the old content, so the index can be reused right away.
        self.adj_free.push(i);
        self.publish();
        Ok(())
    }

    pub fn adjacency(&self, i: AdjIndex) -> Option<Adjacency> {
        self.adjs
            .get(i as usize)
            .filter(|c| c.in_use)
            .and_then(|_| self.objs.adjs.get(i).copied())
    }

    // ---- load balances ----

    fn alloc_lb_index(&mut self) -> Result<LbIndex, FibError> {
        if let Some(i) = self.lb_free.pop() {
            return Ok(i);
        }
        let n = u32::try_from(self.lbs.len()).unwrap_or(u32::MAX);
        if n >= self.cfg.max_lbs {
            return Err(FibError::TableFull("load balances (max_lbs)"));
        }
        self.lbs.push(LbCtl {
            in_use: false,
            reserved: false,
            route_refs: 0,
            ready_epoch: u64::MAX,
        });
        Ok(n)
    }

    fn set_lb(
        &mut self,
        i: LbIndex,
        kind: LbKind,
        buckets: Vec<AdjIndex>,
        sw: u32,
        reserved: bool,
    ) {
        if let Some(old) = self.objs.lbs.get(i).map(|d| Arc::clone(&d.buckets)) {
            for a in old.iter() {
                if let Some(c) = self.adjs.get_mut(*a as usize) {
                    c.refs = c.refs.saturating_sub(1);
                }
            }
        }
        for a in &buckets {
            if let Some(c) = self.adjs.get_mut(*a as usize) {
                c.refs += 1;
            }
        }
        if let Some(c) = self.lbs.get_mut(i as usize) {
            if !c.in_use {
                self.lb_count += 1;
            }
            c.in_use = true;
            c.reserved = reserved;
        }
        self.objs.lbs.set(
            i,
            LbData {
                kind,
                sw_if_index: sw,
                buckets: Arc::from(buckets),
            },
        );
    }

    fn free_lb(&mut self, i: LbIndex) {
        self.set_lb(i, LbKind::Drop, Vec::new(), u32::MAX, false);
        if let Some(c) = self.lbs.get_mut(i as usize) {
            c.in_use = false;
            c.reserved = false;
            c.route_refs = 0;
            c.ready_epoch = u64::MAX;
        }
        self.lb_count -= 1;
        self.lb_free.push(i);
    }

    fn lb_buckets(&self, kind: LbKind, nhs: &[(AdjIndex, u32)]) -> Result<Vec<AdjIndex>, FibError> {
        for &(a, _) in nhs {
            if !self.adjs.get(a as usize).is_some_and(|c| c.in_use) {
                return Err(FibError::NoSuchAdjacency);
            }
        }
        let b = expand_buckets(nhs)?;
        if kind == LbKind::Forward && b.is_empty() {
            return Err(FibError::BadArgument(
                "a Forward LB needs at least one bucket",
            ));
        }
        Ok(b)
    }

    /// New load balance over equal-weight `buckets` (expanded to a power of two).
    pub fn add_lb(
        &mut self,
        kind: LbKind,
        buckets: &[AdjIndex],
        sw_if_index: u32,
    ) -> Result<LbIndex, FibError> {
        let nhs: Vec<(AdjIndex, u32)> = buckets.iter().map(|&a| (a, 1)).collect();
        self.add_lb_weighted(kind, &nhs, sw_if_index)
    }

    /// New load balance over weighted next hops (UCMP), see [`expand_buckets`].
    pub fn add_lb_weighted(
        &mut self,
        kind: LbKind,
        nhs: &[(AdjIndex, u32)],
        sw_if_index: u32,
    ) -> Result<LbIndex, FibError> {
        let b = self.lb_buckets(kind, nhs)?;
        let i = self.alloc_lb_index()?;
        self.set_lb(i, kind, b, sw_if_index, false);
        let e = self.publish();
        if let Some(c) = self.lbs.get_mut(i as usize) {
            c.ready_epoch = e;
        }
        Ok(i)
    }

    /// Replace the content of a load balance; routes using it switch atomically per view.
    pub fn update_lb(
        &mut self,
        i: LbIndex,
        kind: LbKind,
        buckets: &[AdjIndex],
        sw_if_index: u32,
    ) -> Result<(), FibError> {
        let nhs: Vec<(AdjIndex, u32)> = buckets.iter().map(|&a| (a, 1)).collect();
        self.update_lb_weighted(i, kind, &nhs, sw_if_index)
    }

    pub fn update_lb_weighted(
        &mut self,
        i: LbIndex,
        kind: LbKind,
        nhs: &[(AdjIndex, u32)],
        sw_if_index: u32,
    ) -> Result<(), FibError> {
        let c = self
            .lbs
            .get(i as usize)
            .filter(|c| c.in_use)
            .ok_or(FibError::NoSuchLb)?;
        if c.reserved {
            return Err(FibError::InUse);
        }
        let b = self.lb_buckets(kind, nhs)?;
        self.set_lb(i, kind, b, sw_if_index, false);
        self.publish();
        Ok(())
    }

    /// Remove a load balance no route uses (`InUse` otherwise, and for VRF drop LBs).
    /// Views that still resolve it see the old content until they end.
    pub fn remove_lb(&mut self, i: LbIndex) -> Result<(), FibError> {
        let c = self
            .lbs
            .get(i as usize)
            .filter(|c| c.in_use)
            .ok_or(FibError::NoSuchLb)?;
        if c.reserved || c.route_refs > 0 {
            return Err(FibError::InUse);
        }
        self.free_lb(i);
        self.publish();
        Ok(())
    }

    /// The load balance `i`: (kind, bucket array, sw_if_index).
    pub fn lb(&self, i: LbIndex) -> Option<(LbKind, &[AdjIndex], u32)> {
        self.lbs.get(i as usize).filter(|c| c.in_use)?;
        let d = self.objs.lbs.get(i)?;
        Some((d.kind, &d.buckets, d.sw_if_index))
    }

    /// Routes (both families, all VRFs) pointing at `i`.
    pub fn lb_route_refs(&self, i: LbIndex) -> u64 {
        self.lbs.get(i as usize).map_or(0, |c| c.route_refs)
    }

    // ---- routes ----

    fn route_add<K: Family>(
        &mut self,
        vrf: VrfId,
        key: K,
        len: u8,
        lb: LbIndex,
    ) -> Result<Option<LbIndex>, FibError> {
        let len32 = u32::from(len);
        if len32 > K::BITS || key.masked(len32) != key {
            return Err(FibError::BadPrefix);
        }
        let v = usize::from(vrf);
        let existing = {
            let ctl = self
                .vrfs
                .get(v)
                .and_then(Option::as_ref)
                .ok_or(FibError::NoSuchVrf)?;
            K::store(ctl).get(key, len32)
        };
        self.ensure_lb_ready(lb)?;
        if existing == Some(lb) {
            return Ok(existing);
        }
        let count = K::pick(self.routes4, self.routes6);
        if existing.is_none() && count >= K::pick(self.cfg.max_routes4, self.cfg.max_routes6) {
            return Err(FibError::TableFull(K::ROUTES));
        }
        let Some(tables) = self.objs.vrfs.get(v).and_then(Option::clone) else {
            return Err(FibError::NoSuchVrf);
        };
        if lb > K::MAX_LB || tables.drop_lb > K::MAX_LB {
            // 16-bit IPv4 group entries hold 15-bit LB indices: refuse rather than truncate.
            return Err(FibError::TableFull(
                "load balances usable by ipv4 routes (16-bit trie entries: index <= 32767)",
            ));
        }
        let (root, fb) = K::root(&tables);
        K::trie_update(
            self,
            root,
            fb,
            key.into(),
            len32,
            Rule::Add {
                new: leaf(lb, len32 + 1),
            },
            true,
        )?;
        if let Some(ctl) = self.vrfs.get_mut(v).and_then(Option::as_mut) {
            K::store_mut(ctl).insert(key, len32, lb);
        }
        if existing.is_none() {
            *K::pick(&mut self.routes4, &mut self.routes6) += 1;
        }
        if let Some(old) = existing.and_then(|o| self.lbs.get_mut(o as usize)) {
            old.route_refs = old.route_refs.saturating_sub(1);
        }
        if let Some(c) = self.lbs.get_mut(lb as usize) {
            c.route_refs += 1;
        }
        if !self.retired.is_empty() {
            self.reclaim();
        }
        Ok(existing)
    }

    fn route_del<K: Family>(&mut self, vrf: VrfId, key: K, len: u8) -> Result<LbIndex, FibError> {
        let len32 = u32::from(len);
        if len32 > K::BITS || key.masked(len32) != key {
            return Err(FibError::BadPrefix);
        }
        let v = usize::from(vrf);
        let ctl = self
            .vrfs
            .get_mut(v)
            .and_then(Option::as_mut)
            .ok_or(FibError::NoSuchVrf)?;
        let drop_lb = ctl.drop_lb;
        let store = K::store_mut(ctl);
        let lb = store.remove(key, len32).ok_or(FibError::NotFound)?;
        let repl = match store.covering(key, len32) {
            Some((l, c)) => leaf(c, l + 1),
            None => leaf(drop_lb, 0),
        };
        let Some(tables) = self.objs.vrfs.get(v).and_then(Option::clone) else {
            return Err(FibError::NoSuchVrf);
        };
        let (root, fb) = K::root(&tables);
        let r = K::trie_update(
            self,
            root,
            fb,
            key.into(),
            len32,
            Rule::Del {
                old_d: len32 + 1,
                repl,
            },
            false,
        );
        if let Err(e) = r {
            // Nothing changed (IPv6 deletes may need nodes): keep the route.
            if let Some(ctl) = self.vrfs.get_mut(v).and_then(Option::as_mut) {
                K::store_mut(ctl).insert(key, len32, lb);
            }
            return Err(e);
        }
        *K::pick(&mut self.routes4, &mut self.routes6) -= 1;
        if let Some(c) = self.lbs.get_mut(lb as usize) {
            c.route_refs = c.route_refs.saturating_sub(1);
        }
        if !self.retired.is_empty() {
            self.reclaim();
        }
        Ok(lb)
    }

    /// Add or replace `prefix/len` (host order, host bits must be zero) in `vrf`; returns the
    /// LB it replaced. May wait (bounded) for readers if `lb` was created very recently.
    pub fn route4_add(
        &mut self,
        vrf: VrfId,
        prefix: u32,
        len: u8,
        lb: LbIndex,
    ) -> Result<Option<LbIndex>, FibError> {
        self.route_add::<u32>(vrf, prefix, len, lb)
    }

    /// Delete `prefix/len`; addresses fall back to the covering route. Returns its LB.
    pub fn route4_del(&mut self, vrf: VrfId, prefix: u32, len: u8) -> Result<LbIndex, FibError> {
        self.route_del::<u32>(vrf, prefix, len)
    }

    pub fn route6_add(
        &mut self,
        vrf: VrfId,
        prefix: u128,
        len: u8,
        lb: LbIndex,
    ) -> Result<Option<LbIndex>, FibError> {
        if len == 128 {
            self.host6_add(vrf, prefix, lb)
        } else {
            self.route_add::<u128>(vrf, prefix, len, lb)
        }
    }

    fn host6_add(
        &mut self,
        vrf: VrfId,
        key: u128,
        lb: LbIndex,
    ) -> Result<Option<LbIndex>, FibError> {
        let v = usize::from(vrf);
        let existing = self
            .vrfs
            .get(v)
            .and_then(Option::as_ref)
            .ok_or(FibError::NoSuchVrf)?
            .v6
            .get(key, 128);
        self.ensure_lb_ready(lb)?;
        if existing == Some(lb) {
            return Ok(existing);
        }
        if existing.is_none() && self.routes6 >= self.cfg.max_routes6 {
            return Err(FibError::TableFull(<u128 as Family>::ROUTES));
        }
        let max = self.cfg.max_host_routes6;
        let table = self.shared.host6.get_or_init(|| host6::HostTable::new(max));
        let hw = self
            .host6w
            .get_or_insert_with(|| host6::HostWriter::new(table, max));
        hw.insert(
            table,
            &self.shared.rcu,
            vrf,
            key,
            lb,
            self.cfg.grace_timeout,
        )?;
        if let Some(ctl) = self.vrfs.get_mut(v).and_then(Option::as_mut) {
            ctl.v6.insert(key, 128, lb);
        }
        if existing.is_none() {
            self.routes6 += 1;
        }
        if let Some(old) = existing.and_then(|o| self.lbs.get_mut(o as usize)) {
            old.route_refs = old.route_refs.saturating_sub(1);
        }
        if let Some(c) = self.lbs.get_mut(lb as usize) {
            c.route_refs += 1;
        }
        Ok(existing)
    }

    /// Delete `prefix/len`; addresses fall back to the covering route. Returns its LB. A
    /// delete can need a trie node (a compressed node whose runs split, see `trie6.rs`): if
    /// none is free it fails with `TableFull` or `ReadersStuck` and nothing changes.
    pub fn route6_del(&mut self, vrf: VrfId, prefix: u128, len: u8) -> Result<LbIndex, FibError> {
        if len != 128 {
            return self.route_del::<u128>(vrf, prefix, len);
        }
        let ctl = self
            .vrfs
            .get_mut(usize::from(vrf))
            .and_then(Option::as_mut)
            .ok_or(FibError::NoSuchVrf)?;
        let lb = ctl.v6.remove(prefix, 128).ok_or(FibError::NotFound)?;
        if let (Some(t), Some(hw)) = (self.shared.host6.get(), self.host6w.as_mut()) {
            let removed = hw.remove(t, &self.shared.rcu, vrf, prefix);
            debug_assert!(removed, "the store and the host table agree");
        }
        self.routes6 -= 1;
        if let Some(c) = self.lbs.get_mut(lb as usize) {
            c.route_refs = c.route_refs.saturating_sub(1);
        }
        Ok(lb)
    }

    pub fn route4_exact(&self, vrf: VrfId, prefix: u32, len: u8) -> Option<LbIndex> {
        self.vrfs
            .get(usize::from(vrf))?
            .as_ref()?
            .v4
            .get(prefix, u32::from(len))
    }

    pub fn route6_exact(&self, vrf: VrfId, prefix: u128, len: u8) -> Option<LbIndex> {
        self.vrfs
            .get(usize::from(vrf))?
            .as_ref()?
            .v6
            .get(prefix, u32::from(len))
    }

    /// All IPv4 routes of `vrf`, sorted by (prefix, length). Builds a sorted copy.
    pub fn routes4(&self, vrf: VrfId) -> impl Iterator<Item = (u32, u8, LbIndex)> + '_ {
        self.vrfs
            .get(usize::from(vrf))
            .and_then(Option::as_ref)
            .map(|c| c.v4.sorted())
            .unwrap_or_default()
            .into_iter()
    }

    /// All IPv6 routes of `vrf`, sorted by (prefix, length).
    pub fn routes6(&self, vrf: VrfId) -> impl Iterator<Item = (u128, u8, LbIndex)> + '_ {
        self.vrfs
            .get(usize::from(vrf))
            .and_then(Option::as_ref)
            .map(|c| c.v6.sorted())
            .unwrap_or_default()
            .into_iter()
    }

    pub fn route_count4(&self, vrf: VrfId) -> usize {
        self.vrfs
            .get(usize::from(vrf))
            .and_then(Option::as_ref)
            .map_or(0, |c| c.v4.len())
    }

    pub fn route_count6(&self, vrf: VrfId) -> usize {
        self.vrfs
            .get(usize::from(vrf))
            .and_then(Option::as_ref)
            .map_or(0, |c| c.v6.len())
    }

    pub fn vrf_exists(&self, vrf: VrfId) -> bool {
        self.vrfs.get(usize::from(vrf)).is_some_and(Option::is_some)
    }

    pub fn stats(&self) -> FibStats {
        FibStats {
            vrfs: self.vrfs.iter().filter(|v| v.is_some()).count(),
            routes4: self.routes4,
            routes6: self.routes6,
            lbs: self.lb_count,
            adjacencies: self.adj_count,
            groups4_in_use: self.alloc4.in_use() + self.alloc4d.in_use(),
            groups4_low_in_use: self.alloc4d.in_use(),
            groups6_in_use: self.alloc6.nodes(),
            groups_pending: self.alloc4.touched() + self.alloc4d.touched()
                - self.alloc4.in_use()
                - self.alloc4d.in_use()
                + self.alloc6.pending_nodes(),
            snapshots_pending: self.retired.len(),
        }
    }

    /// Bytes of memory in use: VRF roots, touched trie groups (high-water mark, as the pages
    /// they commit: 2 MiB ones when the pool got huge pages), the
    /// control-side prefix stores, load balances and adjacencies. Reserved but untouched
    /// group-pool pages are not counted (see [`reserved_bytes`](Self::reserved_bytes)).
    pub fn memory_bytes(&self) -> usize {
        let e = std::mem::size_of::<AtomicU32>();
        let roots: usize = self
            .objs
            .vrfs
            .iter()
            .flatten()
            .map(|t| (t.v4_root.len() + t.v6_root.len()) * e)
            .sum();
        // Touched groups, counted as the pages they commit: the pools' huge pages are
        // committed whole (each IPv4 range and the IPv6 pool start on a 2 MiB boundary when
        // the pool is that large), the writer's IPv4 depth bytes (one per 16-bit entry) in
        // 4 KiB pages.
        let page = |t: &AtomicTable| {
            if t.huge_pages_advised() {
                2 << 20
            } else {
                4096
            }
        };
        let committed = |bytes: usize, page: usize| bytes.div_ceil(page) * page;
        let (p4, p6) = (page(&self.shared.pool4), page(&self.shared.pool6));
        let g = trie::GROUP;
        let groups = committed(self.alloc4.touched() * g * 2, p4)
            + committed(self.alloc4d.touched() * g * 2, p4)
            + committed(self.alloc4.touched() * g, 4096)
            + committed(self.alloc4d.touched() * g, 4096)
            + committed(self.alloc6.touched_words() * e, p6)
            + self.alloc6.overhead_bytes();
        let stores: usize = self
            .vrfs
            .iter()
            .flatten()
            .map(|c| c.v4.memory_bytes() + c.v6.memory_bytes())
            .sum();
        let lb_chunks =
            self.objs.lbs.chunk_count() * objects::CHUNK * (std::mem::size_of::<LbData>() + 16);
        let buckets: usize = (0..self.lbs.len())
            .filter_map(|i| self.objs.lbs.get(u32::try_from(i).ok()?))
            .map(|d| d.buckets.len() * 4)
            .sum();
        let adj_chunks =
            self.objs.adjs.chunk_count() * objects::CHUNK * std::mem::size_of::<Adjacency>();
        let ctl = self.lbs.capacity() * std::mem::size_of::<LbCtl>()
            + self.adjs.capacity() * std::mem::size_of::<AdjCtl>();
        let host6 = self.shared.host6.get().map_or(0, host6::HostTable::bytes);
        roots + groups + stores + lb_chunks + buckets + adj_chunks + ctl + host6
    }

    /// Virtual bytes reserved for the group pools (committed by the OS only when touched).
    pub fn reserved_bytes(&self) -> usize {
        (self.shared.pool4.len() + self.shared.pool6.len()) * std::mem::size_of::<AtomicU32>()
    }

    /// A reader handle (same as cloning one).
    pub fn reader(&self) -> FibReader {
        FibReader {
            shared: Arc::clone(&self.shared),
            slot: self.shared.rcu.register(),
        }
    }

    pub fn config(&self) -> &FibConfig {
        &self.cfg
    }
}
