//! [`AtomicTable`]: a large, zero-initialised table of `AtomicU32` for lookup structures that
//! are read at random by the forwarder's workers (the FIB's trie group pools).
//!
//! It lives here because it needs `unsafe` (a slice over an anonymous mapping, a prefetch
//! hint) and this module is the crate's mapped-memory core; the FIB itself stays
//! `forbid(unsafe_code)`. The mapping is advised for transparent huge pages (`MADV_HUGEPAGE`;
//! honoured when THP is in `madvise` or `always` mode), so random lookups over tens of MiB do
//! not pay a page walk each. Pages are committed by the kernel on first touch, as with a
//! zeroed heap allocation. Under Miri (which cannot map memory) it is a boxed slice.

use std::sync::atomic::{AtomicU16, AtomicU32};

/// Huge page size the mapping is aligned to (x86-64 and arm64 with 4 KiB base pages).
const HUGE: usize = 2 << 20;

/// A zeroed `[AtomicU32]` of fixed length, backed by an anonymous mapping advised for huge
/// pages. Dereferences to `&[AtomicU32]`.
pub struct AtomicTable {
    #[cfg(not(miri))]
    inner: Mapped,
    #[cfg(miri)]
    inner: Box<[AtomicU32]>,
}

/// Invariant: `ptr` is `HUGE`-aligned (or page-aligned if the mapping could not be aligned),
/// valid for reads and writes of `len` `AtomicU32`s for as long as `_map` lives, zero-filled
/// at creation, and only ever accessed through `&[AtomicU32]` made from `ptr` (never through
/// the mapping's own `&[u8]`/`&mut [u8]` views), so all accesses are atomic.
#[cfg(not(miri))]
struct Mapped {
    ptr: std::ptr::NonNull<AtomicU32>,
    len: usize,
    huge: bool,
    _map: Option<memmap2::MmapMut>,
}

// SAFETY: `Mapped` owns its mapping (see the invariant); the table is only accessed through
// atomics, which are `Sync`, so sharing or sending it between threads is sound.
#[cfg(not(miri))]
unsafe impl Send for Mapped {}
// SAFETY: as above.
#[cfg(not(miri))]
unsafe impl Sync for Mapped {}

impl AtomicTable {
    /// A table of `len` zeroed entries. Fails only if the mapping fails (address space or
    /// `len * 4` overflowing).
    pub fn new(len: usize) -> std::io::Result<AtomicTable> {
        #[cfg(miri)]
        {
            Ok(AtomicTable {
                inner: (0..len).map(|_| AtomicU32::new(0)).collect(),
            })
        }
        #[cfg(not(miri))]
        {
            if len == 0 {
                return Ok(AtomicTable::empty());
            }
            let bytes = len
                .checked_mul(std::mem::size_of::<AtomicU32>())
                .and_then(|b| b.checked_add(HUGE))
                .ok_or_else(|| std::io::Error::other("table size overflows"))?;
            // Map one huge page more than needed and start at the first huge-page boundary.
            let mut map = memmap2::MmapMut::map_anon(bytes)?;
            let base = map.as_mut_ptr();
            let skip = base.align_offset(HUGE).min(HUGE);
            let used = len * std::mem::size_of::<AtomicU32>();
            // Advice is a hint: THP disabled ("never") is not an error for the table.
            let huge = map
                .advise_range(memmap2::Advice::HugePage, skip, used)
                .is_ok();
            // SAFETY: `skip < HUGE` and the mapping is `used + HUGE` bytes long, so
            // `base + skip` is inside it with `used` bytes after it.
            let start = unsafe { base.add(skip) };
            let ptr = std::ptr::NonNull::new(start.cast::<AtomicU32>())
                .ok_or_else(|| std::io::Error::other("null mapping"))?;
            Ok(AtomicTable {
                inner: Mapped {
                    ptr,
                    len,
                    huge,
                    _map: Some(map),
                },
            })
        }
    }

    /// A table without entries (maps nothing).
    pub fn empty() -> AtomicTable {
        #[cfg(miri)]
        {
            AtomicTable {
                inner: Box::new([]),
            }
        }
        #[cfg(not(miri))]
        {
            AtomicTable {
                inner: Mapped {
                    ptr: std::ptr::NonNull::dangling(),
                    len: 0,
                    huge: false,
                    _map: None,
                },
            }
        }
    }

    /// The entries.
    #[inline(always)]
    pub fn as_slice(&self) -> &[AtomicU32] {
        #[cfg(miri)]
        {
            &self.inner
        }
        #[cfg(not(miri))]
        {
            // By the `Mapped` invariant `ptr` is aligned (a page boundary suits `AtomicU32`), valid
            // for `len` entries while `self` lives, initialised (zeroed pages, then atomic stores).
            // SAFETY: `ptr` is aligned, valid and initialised (above); `AtomicU32` permits shared
            // mutation, so handing out any number of shared slices is sound.
            unsafe { std::slice::from_raw_parts(self.inner.ptr.as_ptr(), self.inner.len) }
        }
    }

    /// The same memory as `2 * len()` 16-bit entries (a table of 16-bit entries is made with
    /// `new(n.div_ceil(2))`). A table must be used through one view only, all-32-bit or
    /// all-16-bit: atomics of different sizes on the same bytes are not defined.
    #[inline(always)]
    pub fn as_u16(&self) -> &[AtomicU16] {
        let s = self.as_slice();
        // `s` is `len` initialised `AtomicU32`s (4 bytes, 4-aligned) in one allocation, so also
        // `2 * len` initialised, 2-aligned `AtomicU16`s valid for as long as `s`.
        // SAFETY: valid AtomicU16 view (above); atomics permit shared mutation via shared slices;
        // that the two views are not mixed on the same table is the caller's contract (documented).
        unsafe { std::slice::from_raw_parts(s.as_ptr().cast::<AtomicU16>(), s.len() * 2) }
    }

    /// [`prefetch`](Self::prefetch) of 16-bit entry `i` (of [`as_u16`](Self::as_u16)).
    #[inline(always)]
    pub fn prefetch_u16(&self, i: usize) {
        self.prefetch(i / 2);
    }

    /// Whether the huge-page advice was accepted by the kernel (false under Miri).
    pub fn huge_pages_advised(&self) -> bool {
        #[cfg(miri)]
        {
            false
        }
        #[cfg(not(miri))]
        {
            self.inner.huge
        }
    }

    /// Hint that entry `i` will be read soon: starts bringing its cache line into the core's
    /// L2 (and outer) cache without waiting for it (a plain load would hold the instruction
    /// window until the line arrives); L2 rather than L1: the FIB issues these a few hundred
    /// packets' work ahead, during which L1 turns over (measured marginally better than L1). No effect if `i` is out of range (no bounds check: a prefetch of any address
    /// is harmless) or on targets without a prefetch instruction.
    #[inline(always)]
    pub fn prefetch(&self, i: usize) {
        #[cfg(all(target_arch = "x86_64", not(miri)))]
        {
            // `wrapping_add`: only an address is computed, nothing is dereferenced.
            let p = self.inner.ptr.as_ptr().wrapping_add(i);
            // `_mm_prefetch` needs SSE: x86-64 baseline, enabled on every x86_64 Rust target.
            // SAFETY: SSE is present (above); a prefetch is only a hint: never faults (even for an
            // unmapped address) and does not access memory architecturally.
            unsafe {
                core::arch::x86_64::_mm_prefetch::<{ core::arch::x86_64::_MM_HINT_T1 }>(
                    p.cast_const().cast::<i8>(),
                );
            }
        }
        #[cfg(not(all(target_arch = "x86_64", not(miri))))]
        {
            let _ = i;
        }
    }
}

impl std::ops::Deref for AtomicTable {
    type Target = [AtomicU32];
    #[inline(always)]
    fn deref(&self) -> &[AtomicU32] {
        self.as_slice()
    }
}

impl std::fmt::Debug for AtomicTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AtomicTable")
            .field("len", &self.as_slice().len())
            .field("huge_pages_advised", &self.huge_pages_advised())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::AtomicTable;
    use std::sync::atomic::Ordering;

    #[test]
    fn zeroed_writable_and_shared() {
        let n = (3 << 20) / 4 + 5; // more than a huge page, not a multiple of one
        let t = AtomicTable::new(n).unwrap();
        assert_eq!(t.len(), n);
        assert!(t
            .iter()
            .step_by(4099)
            .all(|e| e.load(Ordering::Relaxed) == 0));
        assert_eq!(t[n - 1].load(Ordering::Relaxed), 0);
        t[0].store(7, Ordering::Relaxed);
        t[n - 1].store(9, Ordering::Relaxed);
        t.prefetch(n - 1);
        t.prefetch(n); // out of range: no effect
        std::thread::scope(|s| {
            s.spawn(|| t[1].store(3, Ordering::Release));
        });
        assert_eq!(
            (t[0].load(Ordering::Relaxed), t[1].load(Ordering::Acquire)),
            (7, 3)
        );
        assert_eq!(t[n - 1].load(Ordering::Relaxed), 9);
        let empty = AtomicTable::new(0).unwrap();
        assert!(AtomicTable::empty().is_empty());
        assert!(empty.is_empty());
        empty.prefetch(0);
        assert!(empty.as_u16().is_empty());
    }

    #[test]
    fn u16_view() {
        let t = AtomicTable::new(3).unwrap();
        let h = t.as_u16();
        assert_eq!(h.len(), 6);
        assert!(h.iter().all(|e| e.load(Ordering::Relaxed) == 0));
        h[5].store(0xbeef, Ordering::Release);
        h[0].store(1, Ordering::Relaxed);
        t.prefetch_u16(5);
        assert_eq!(h[5].load(Ordering::Acquire), 0xbeef);
        assert_eq!(h[4].load(Ordering::Relaxed), 0);
        assert_eq!(h[0].load(Ordering::Relaxed), 1);
    }
}
