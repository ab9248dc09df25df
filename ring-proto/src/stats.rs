//! The statistics region: the forwarder's workers write, the library reads, without locks.
//!
//! The region holds one block per worker; each block has, in order, `ports` x [`PORT_COUNTERS`],
//! `rifs` x [`RIF_COUNTERS`], `next_hops` x [`NH_COUNTERS`] and `errors` counters, each an
//! `AtomicU64`, the block padded to 64 bytes. Exactly one writer (one worker) owns a block, so it
//! updates with a relaxed load + store (no read-modify-write).
//!
//! Tearing semantics: every counter is one atomic 64-bit value, so a reader never sees a torn
//! counter, and each worker's counter only grows (until the forwarder restarts, which zeroes the
//! region before bumping its generation: compare generations to detect a reset). Counters are not
//! a snapshot of each other: `rx_bytes` may already include a packet that `rx_packets` does not,
//! and the sum over workers mixes instants. SAI counters tolerate that.

use crate::layout::HeaderError;
use crate::shm::Region;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Counters per port.
pub const PORT_COUNTERS: usize = 8;
/// Counters per router interface.
pub const RIF_COUNTERS: usize = 4;
/// Counters per next hop.
pub const NH_COUNTERS: usize = 2;

/// Port counter index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum PortCounter {
    /// Packets received.
    RxPackets = 0,
    /// Bytes received.
    RxBytes = 1,
    /// Packets sent.
    TxPackets = 2,
    /// Bytes sent.
    TxBytes = 3,
    /// Received packets dropped.
    RxDrops = 4,
    /// Packets dropped on transmit.
    TxDrops = 5,
    /// Receive errors.
    RxErrors = 6,
    /// Transmit errors.
    TxErrors = 7,
}

/// Router interface counter index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum RifCounter {
    /// Packets received.
    RxPackets = 0,
    /// Bytes received.
    RxBytes = 1,
    /// Packets sent.
    TxPackets = 2,
    /// Bytes sent.
    TxBytes = 3,
}

/// Next-hop counter index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum NhCounter {
    /// Packets forwarded via the next hop.
    Packets = 0,
    /// Bytes forwarded via the next hop.
    Bytes = 1,
}

/// Sizes of the stats region.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StatsShape {
    /// Worker blocks (1..=64).
    pub workers: u32,
    /// Ports (0..=65536).
    pub ports: u32,
    /// Router interfaces (0..=65536).
    pub rifs: u32,
    /// Next hops (0..=2^20).
    pub next_hops: u32,
    /// Error counters (0..=4096).
    pub errors: u32,
}

impl Default for StatsShape {
    fn default() -> Self {
        StatsShape {
            workers: 4,
            ports: 256,
            rifs: 1024,
            next_hops: 4096,
            errors: 256,
        }
    }
}

impl StatsShape {
    fn check(&self) -> Result<(), HeaderError> {
        let lim = [
            ("stats_workers", self.workers, 1, 64, "1..=64"),
            ("stats_ports", self.ports, 0, 1 << 16, "0..=65536"),
            ("stats_rifs", self.rifs, 0, 1 << 16, "0..=65536"),
            ("stats_next_hops", self.next_hops, 0, 1 << 20, "0..=2^20"),
            ("stats_errors", self.errors, 0, 4096, "0..=4096"),
        ];
        for (field, v, lo, hi, expected) in lim {
            if v < lo || v > hi {
                return Err(HeaderError {
                    field,
                    found: u64::from(v),
                    expected,
                });
            }
        }
        Ok(())
    }

    fn counters_per_block(&self) -> usize {
        self.ports as usize * PORT_COUNTERS
            + self.rifs as usize * RIF_COUNTERS
            + self.next_hops as usize * NH_COUNTERS
            + self.errors as usize
    }

    /// Bytes of one worker block (a multiple of 64).
    pub fn block_bytes(&self) -> Result<usize, HeaderError> {
        self.check()?;
        Ok((self.counters_per_block() * 8 + 63) & !63)
    }

    /// Bytes of the region.
    pub fn bytes(&self) -> Result<usize, HeaderError> {
        Ok(self.block_bytes()? * self.workers as usize)
    }

    fn port_off(&self, port: u32, c: usize) -> Option<usize> {
        (port < self.ports).then(|| (port as usize * PORT_COUNTERS + c) * 8)
    }

    fn rif_off(&self, rif: u32, c: usize) -> Option<usize> {
        (rif < self.rifs)
            .then(|| (self.ports as usize * PORT_COUNTERS + rif as usize * RIF_COUNTERS + c) * 8)
    }

    fn nh_off(&self, nh: u32, c: usize) -> Option<usize> {
        (nh < self.next_hops).then(|| {
            (self.ports as usize * PORT_COUNTERS
                + self.rifs as usize * RIF_COUNTERS
                + nh as usize * NH_COUNTERS
                + c)
                * 8
        })
    }

    fn err_off(&self, e: u32) -> Option<usize> {
        (e < self.errors)
            .then(|| (self.counters_per_block() - self.errors as usize + e as usize) * 8)
    }
}

/// Writes one worker's block. One per worker; `Send` so it can move to the worker thread.
#[derive(Debug)]
pub struct StatsWriter {
    region: Arc<Region>,
    base: usize,
    shape: StatsShape,
}

impl StatsWriter {
    pub(crate) fn new(region: Arc<Region>, base: usize, shape: StatsShape) -> Self {
        StatsWriter {
            region,
            base,
            shape,
        }
    }

    fn add(&self, off: Option<usize>, n: u64) -> bool {
        match off.and_then(|o| self.region.atomic_u64(self.base + o)) {
            Some(a) => {
                // Relaxed load + store: this writer is the only one for its block (no lost update);
                // readers only need each value atomically, see the module doc. Pairs with nothing.
                a.store(a.load(Ordering::Relaxed).wrapping_add(n), Ordering::Relaxed);
                true
            }
            None => false,
        }
    }

    /// Adds `n` to a port counter; false if `port` is out of range.
    pub fn add_port(&self, port: u32, c: PortCounter, n: u64) -> bool {
        self.add(self.shape.port_off(port, c as usize), n)
    }

    /// Adds `n` to a RIF counter; false if `rif` is out of range.
    pub fn add_rif(&self, rif: u32, c: RifCounter, n: u64) -> bool {
        self.add(self.shape.rif_off(rif, c as usize), n)
    }

    /// Adds `n` to a next-hop counter; false if `nh` is out of range.
    pub fn add_next_hop(&self, nh: u32, c: NhCounter, n: u64) -> bool {
        self.add(self.shape.nh_off(nh, c as usize), n)
    }

    /// Adds `n` to error counter `e`; false if out of range.
    pub fn add_error(&self, e: u32, n: u64) -> bool {
        self.add(self.shape.err_off(e), n)
    }
}

/// Reads the region (sums over workers). Cheap to clone.
#[derive(Clone, Debug)]
pub struct StatsReader {
    region: Arc<Region>,
    base: usize,
    shape: StatsShape,
    block: usize,
}

impl StatsReader {
    pub(crate) fn new(region: Arc<Region>, base: usize, shape: StatsShape) -> Self {
        let block = shape.block_bytes().unwrap_or(0);
        StatsReader {
            region,
            base,
            shape,
            block,
        }
    }

    /// The shape of the region.
    pub fn shape(&self) -> StatsShape {
        self.shape
    }

    fn sum(&self, off: Option<usize>) -> Option<u64> {
        let off = off?;
        let mut total = 0u64;
        for w in 0..self.shape.workers as usize {
            let a: &AtomicU64 = self.region.atomic_u64(self.base + w * self.block + off)?;
            // Relaxed: pairs with the worker's relaxed store in StatsWriter::add; a counter is read
            // atomically but not ordered with any other counter (see the module doc).
            total = total.wrapping_add(a.load(Ordering::Relaxed));
        }
        Some(total)
    }

    fn many<const N: usize>(&self, f: impl Fn(usize) -> Option<usize>) -> Option<[u64; N]> {
        let mut out = [0u64; N];
        for (i, o) in out.iter_mut().enumerate() {
            *o = self.sum(f(i))?;
        }
        Some(out)
    }

    /// All counters of a port, indexed by [`PortCounter`]; `None` if out of range.
    pub fn port(&self, port: u32) -> Option<[u64; PORT_COUNTERS]> {
        self.many(|c| self.shape.port_off(port, c))
    }

    /// All counters of a RIF, indexed by [`RifCounter`].
    pub fn rif(&self, rif: u32) -> Option<[u64; RIF_COUNTERS]> {
        self.many(|c| self.shape.rif_off(rif, c))
    }

    /// All counters of a next hop, indexed by [`NhCounter`].
    pub fn next_hop(&self, nh: u32) -> Option<[u64; NH_COUNTERS]> {
        self.many(|c| self.shape.nh_off(nh, c))
    }

    /// Error counter `e`.
    pub fn error(&self, e: u32) -> Option<u64> {
        self.sum(self.shape.err_off(e))
    }
}

/// Zeroes the region (forwarder attach, before it bumps its generation).
pub(crate) fn zero(region: &Region, base: usize, shape: &StatsShape) {
    let bytes = shape.bytes().unwrap_or(0);
    for off in (base..base + bytes).step_by(8) {
        if let Some(a) = region.atomic_u64(off) {
            // Relaxed: ordered before the generation bump by its Release store (Forwarder::attach).
            a.store(0, Ordering::Relaxed);
        }
    }
}
