//! The reader-visible object snapshot: load balances, adjacencies and per-VRF roots.
//!
//! A snapshot is immutable once published (through `arc_swap`); the writer builds the next one
//! copy-on-write: only the 256-entry chunk that changed is copied, the rest is shared.

use std::sync::atomic::AtomicU32;
use std::sync::Arc;

use super::{AdjIndex, Adjacency, LbIndex, LbKind};

pub(crate) const CHUNK_BITS: u32 = 8;
pub(crate) const CHUNK: usize = 1 << CHUNK_BITS;

/// A vector of `Arc`-shared chunks: `get` is two dependent loads, `set` copies one chunk.
#[derive(Clone)]
pub(crate) struct ChunkVec<T: Clone> {
    chunks: Vec<Arc<Vec<T>>>,
    fill: T,
}

impl<T: Clone> ChunkVec<T> {
    pub(crate) fn new(fill: T) -> Self {
        ChunkVec {
            chunks: Vec::new(),
            fill,
        }
    }

    #[inline]
    pub(crate) fn get(&self, i: u32) -> Option<&T> {
        self.chunks
            .get((i >> CHUNK_BITS) as usize)?
            .get(i as usize & (CHUNK - 1))
    }

    pub(crate) fn set(&mut self, i: u32, v: T) {
        let c = (i >> CHUNK_BITS) as usize;
        while self.chunks.len() <= c {
            self.chunks.push(Arc::new(vec![self.fill.clone(); CHUNK]));
        }
        if let Some(slot) = Arc::make_mut(&mut self.chunks[c]).get_mut(i as usize & (CHUNK - 1)) {
            *slot = v;
        }
    }

    pub(crate) fn chunk_count(&self) -> usize {
        self.chunks.len()
    }
}

/// One load balance as the workers see it.
#[derive(Clone)]
pub(crate) struct LbData {
    pub(crate) kind: LbKind,
    pub(crate) sw_if_index: u32,
    /// Power-of-two length for `Forward` (possibly empty for the other kinds).
    pub(crate) buckets: Arc<[AdjIndex]>,
}

/// Roots of one VRF's tries. The roots are written in place by the writer (atomically per
/// entry); the `Arc` keeps them alive while any snapshot refers to the VRF.
pub(crate) struct VrfTables {
    pub(crate) v4_root: Box<[AtomicU32]>,
    pub(crate) v4_first_bits: u32,
    pub(crate) v6_root: Box<[AtomicU32]>,
    pub(crate) v6_first_bits: u32,
    pub(crate) drop_lb: LbIndex,
}

#[derive(Clone)]
pub(crate) struct Objects {
    pub(crate) lbs: ChunkVec<LbData>,
    pub(crate) adjs: ChunkVec<Adjacency>,
    pub(crate) vrfs: Vec<Option<Arc<VrfTables>>>,
    /// Publication count: differs between any two snapshots of one FIB.
    pub(crate) generation: u64,
}

impl Objects {
    pub(crate) fn new(empty_lb: LbData, empty_adj: Adjacency) -> Self {
        Objects {
            lbs: ChunkVec::new(empty_lb),
            adjs: ChunkVec::new(empty_adj),
            vrfs: Vec::new(),
            generation: 0,
        }
    }
}
