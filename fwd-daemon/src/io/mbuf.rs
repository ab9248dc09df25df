//! [`Mbuf`]: an owned DPDK `rte_mbuf` that implements the graph's [`PacketBuf`] without copying.
//!
//! The graph's per-packet metadata ([`PacketMeta`]) lives in the mbuf's private area (the pool is
//! created with `priv_size >= size_of::<PacketMeta>()`, see [`super::Mempool`]), right after the
//! 128-byte `struct rte_mbuf`, so handing a packet from rx to the graph to tx moves one pointer.
//!
//! Invariants of every `Mbuf` value (established by [`Mbuf::from_raw`]):
//! - it points to a live mbuf that this value owns (freed exactly once: on drop or by tx);
//! - the mbuf is a single segment (`nb_segs == 1`, `next == NULL`), so `pkt_len == data_len` and the
//!   data window is `buf_addr[data_off .. data_off + data_len]` inside `buf_addr[0 .. buf_len]`;
//! - its private area is at least `size_of::<PacketMeta>()` bytes and holds an initialised
//!   `PacketMeta`.

use std::mem::size_of;
use std::ptr::NonNull;

use dpdk_sys as sys;
use fwd_engine::buffer::{PacketBuf, PacketMeta};

/// Bytes of private area our pools reserve for the metadata: `size_of::<PacketMeta>()` rounded up
/// to a whole cache line (64 bytes; a multiple of RTE_MBUF_PRIV_ALIGN = 8), so that the packet
/// data (at 128-byte `struct rte_mbuf` + private area + 128-byte headroom) starts on a cache
/// line: a 64-byte frame is one line to copy in (net_pcap), to parse and to rewrite, instead of
/// two when the private area is 40 bytes (data at byte 296 of the object, headers across the
/// line boundary at 320).
pub const META_PRIV_SIZE: u16 = {
    let n = size_of::<PacketMeta>().div_ceil(64) * 64;
    assert!(n <= 256);
    #[allow(clippy::cast_possible_truncation, reason = "checked <= 256 above")]
    let v = n as u16;
    v
};

/// An owned single-segment mbuf with graph metadata in its private area.
///
/// `repr(transparent)` over a non-null `*mut rte_mbuf`: a `[Mbuf]` has the layout of the
/// `struct rte_mbuf *[]` arrays the burst and bulk-free calls take, so whole frames move between
/// the PMDs and the graph's vectors without per-packet conversion.
#[repr(transparent)]
pub struct Mbuf {
    m: NonNull<sys::rte_mbuf>,
}

// SAFETY: an Mbuf is the unique owner of its rte_mbuf; mbufs may be used and freed from any thread
// (the mempool ops are multi-producer/multi-consumer), and no thread-local state is referenced.
unsafe impl Send for Mbuf {}

impl Mbuf {
    /// Take ownership of a raw mbuf received from a PMD or allocated from one of our pools, and
    /// initialise its metadata as received on `port`. Multi-segment mbufs are linearised; returns
    /// `None` (after freeing the mbuf) when that fails or the private area is too small.
    ///
    /// # Safety
    /// `m` must be a valid mbuf that the caller owns and does not use afterwards.
    #[inline]
    pub unsafe fn from_raw(m: *mut sys::rte_mbuf, port: u32) -> Option<Mbuf> {
        let m = NonNull::new(m)?;
        let raw = m.as_ptr();
        // SAFETY: the caller hands us a valid, owned mbuf; we only read header fields and call the
        // shim on it; on failure it is freed exactly once.
        unsafe {
            if (*raw).priv_size < META_PRIV_SIZE
                || ((*raw).nb_segs != 1 && sys::ferro_pktmbuf_linearize(raw) != 0)
            {
                sys::ferro_pktmbuf_free(raw);
                return None;
            }
        }
        let mut mb = Mbuf { m };
        // SAFETY: the private area is >= META_PRIV_SIZE bytes (checked above) and aligned (rte_mbuf:
        // 64-byte aligned, 128 bytes); write() initialises it without reading the old bytes.
        unsafe { mb.meta_ptr().write(PacketMeta::rx(port)) };
        Some(mb)
    }

    /// The rx fast path of [`Mbuf::from_raw`]: when `m` is single-segment and has our private
    /// area, write `meta` there and return its length; otherwise return `None` and leave it
    /// untouched (the caller falls back to `from_raw`). Adopting the mbuf is the caller's part
    /// (an `Mbuf` with the same pointer).
    ///
    /// # Safety
    /// `m` must be a valid, non-null mbuf that the caller owns.
    #[inline(always)]
    pub(super) unsafe fn init_rx(m: *mut sys::rte_mbuf, meta: &PacketMeta) -> Option<u16> {
        // SAFETY: m is valid and owned (caller's contract), so its header may be read; with a private
        // area >= META_PRIV_SIZE the aligned metadata write (rte_mbuf: 64-aligned, 128 B) stays in it.
        unsafe {
            let h = &*m;
            if h.priv_size < META_PRIV_SIZE || h.nb_segs != 1 {
                return None;
            }
            m.add(1).cast::<PacketMeta>().write(*meta);
            Some(h.data_len)
        }
    }

    /// Allocate an empty mbuf from `pool` with metadata for `port`.
    pub fn alloc(pool: &super::Mempool, port: u32) -> Option<Mbuf> {
        // SAFETY: the pool pointer is valid for the pool's lifetime (Mempool is never freed while
        // the daemon runs); a non-null result is a fresh mbuf we own.
        unsafe {
            let raw = sys::ferro_pktmbuf_alloc(pool.as_ptr());
            Mbuf::from_raw(raw, port)
        }
    }

    /// Allocate an mbuf holding a copy of `bytes` (host-interface inject path).
    pub fn from_bytes(pool: &super::Mempool, port: u32, bytes: &[u8]) -> Option<Mbuf> {
        let mut mb = Mbuf::alloc(pool, port)?;
        if !mb.append(bytes.len()) {
            return None;
        }
        mb.data_mut().copy_from_slice(bytes);
        Some(mb)
    }

    /// Free every mbuf of `pkts` with one `rte_pktmbuf_free_bulk` call (mempool puts batched per
    /// pool) and leave `pkts` empty, its capacity kept.
    pub fn free_bulk(pkts: &mut Vec<Mbuf>) {
        let Ok(n) = u32::try_from(pkts.len()) else {
            pkts.clear();
            return;
        };
        if n == 0 {
            return;
        }
        // SAFETY: Mbuf is repr(transparent) over NonNull<rte_mbuf>: the buffer is n owned, valid mbuf
        // pointers; set_len(0) first forgets the Mbufs (no Drop), so DPDK frees each exactly once.
        unsafe {
            pkts.set_len(0);
            sys::rte_pktmbuf_free_bulk(pkts.as_mut_ptr().cast::<*mut sys::rte_mbuf>(), n);
        }
    }

    /// Give up ownership (the caller now owns the raw mbuf, e.g. a tx burst).
    #[inline]
    pub fn into_raw(self) -> *mut sys::rte_mbuf {
        let p = self.m.as_ptr();
        std::mem::forget(self);
        p
    }

    fn raw(&self) -> *mut sys::rte_mbuf {
        self.m.as_ptr()
    }

    fn meta_ptr(&mut self) -> *mut PacketMeta {
        // SAFETY: the private area starts right after struct rte_mbuf inside the same allocation.
        unsafe { self.raw().add(1).cast::<PacketMeta>() }
    }

    fn hdr(&self) -> &sys::rte_mbuf {
        // SAFETY: self owns a live mbuf (type invariant); no one else mutates it meanwhile.
        unsafe { &*self.raw() }
    }

    fn hdr_mut(&mut self) -> &mut sys::rte_mbuf {
        // SAFETY: as in hdr(), and &mut self guarantees exclusive access.
        unsafe { &mut *self.raw() }
    }

    fn tailroom(&self) -> usize {
        let h = self.hdr();
        usize::from(h.buf_len).saturating_sub(usize::from(h.data_off) + usize::from(h.data_len))
    }
}

impl Drop for Mbuf {
    fn drop(&mut self) {
        // SAFETY: we own the mbuf (type invariant) and never use it after this.
        unsafe { sys::ferro_pktmbuf_free(self.raw()) }
    }
}

impl PacketBuf for Mbuf {
    fn data(&self) -> &[u8] {
        let h = self.hdr();
        // SAFETY: single segment: data_off + data_len <= buf_len bytes of buf_addr are ours
        // (type invariant), and the borrow of self keeps the mbuf alive.
        unsafe {
            std::slice::from_raw_parts(
                h.buf_addr.cast::<u8>().add(usize::from(h.data_off)),
                usize::from(h.data_len),
            )
        }
    }

    fn data_mut(&mut self) -> &mut [u8] {
        let (addr, off, len) = {
            let h = self.hdr();
            (h.buf_addr.cast::<u8>(), h.data_off, h.data_len)
        };
        // SAFETY: as in data(); &mut self gives exclusive access to the bytes. The buffer is not
        // shared (we never create indirect/cloned mbufs: refcnt is 1).
        unsafe { std::slice::from_raw_parts_mut(addr.add(usize::from(off)), usize::from(len)) }
    }

    fn len(&self) -> usize {
        usize::from(self.hdr().data_len)
    }

    fn adj_head(&mut self, n: usize) -> bool {
        let Ok(n) = u16::try_from(n) else {
            return false;
        };
        let h = self.hdr_mut();
        if n > h.data_len {
            return false;
        }
        h.data_off += n;
        h.data_len -= n;
        h.pkt_len -= u32::from(n);
        true
    }

    fn prepend(&mut self, n: usize) -> bool {
        let Ok(n) = u16::try_from(n) else {
            return false;
        };
        let h = self.hdr_mut();
        if n > h.data_off {
            return false;
        }
        h.data_off -= n;
        h.data_len += n;
        h.pkt_len += u32::from(n);
        true
    }

    fn trim_tail(&mut self, n: usize) -> bool {
        let Ok(n) = u16::try_from(n) else {
            return false;
        };
        let h = self.hdr_mut();
        if n > h.data_len {
            return false;
        }
        h.data_len -= n;
        h.pkt_len -= u32::from(n);
        true
    }

    fn append(&mut self, n: usize) -> bool {
        if n > self.tailroom() {
            return false;
        }
        let Ok(n) = u16::try_from(n) else {
            return false;
        };
        let h = self.hdr_mut();
        h.data_len += n;
        h.pkt_len += u32::from(n);
        true
    }

    fn meta(&self) -> &PacketMeta {
        // SAFETY: the private area holds an initialised PacketMeta (type invariant).
        unsafe { &*self.raw().add(1).cast::<PacketMeta>() }
    }

    fn meta_mut(&mut self) -> &mut PacketMeta {
        // SAFETY: as in meta(); &mut self gives exclusive access.
        unsafe { &mut *self.meta_ptr() }
    }

    fn try_clone(&self) -> Option<Self> {
        let h = self.hdr();
        // SAFETY: h.pool is the pool this mbuf came from (set by DPDK, valid while the pool lives).
        let raw = unsafe { sys::ferro_pktmbuf_alloc(h.pool) };
        let copy = NonNull::new(raw)?;
        let mut c = Mbuf { m: copy };
        let used = usize::from(h.data_off) + usize::from(h.data_len);
        // SAFETY: same pool, so both buffers have buf_len >= used and distinct allocations, and the
        // new mbuf's private area is as large as ours, so the metadata write stays inside it.
        unsafe {
            let d = &mut *c.raw();
            std::ptr::copy_nonoverlapping(h.buf_addr.cast::<u8>(), d.buf_addr.cast::<u8>(), used);
            d.data_off = h.data_off;
            d.data_len = h.data_len;
            d.pkt_len = u32::from(h.data_len);
            d.port = h.port;
            c.meta_ptr().write(*self.meta());
        }
        Some(c)
    }
}
