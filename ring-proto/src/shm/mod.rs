//! The shared-memory core: the only module of this crate that contains `unsafe`.
//!
//! It owns three things:
//! - [`Pod`]: the contract for plain-old-data records that may be copied to and from shared bytes;
//! - `Region`: a mapped file or an aligned heap buffer, with bounds-checked accessors that hand out
//!   atomics and copy records in and out;
//! - [`ring`]: the SPSC ring core (index arithmetic, slot reads/writes, publication).
//!
//! Everything above this module (message encoding, header validation, restart protocol, stats) is
//! safe code built on these accessors.

mod pods;
pub mod ring;
mod table;

pub use table::AtomicTable;

use std::alloc::Layout;
use std::fs::File;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU32, AtomicU64};

/// Plain-old-data: a type that can be copied byte-for-byte into and out of shared memory.
///
/// # Safety
///
/// An implementor must guarantee all of the following:
/// - it is `#[repr(C)]` (or `#[repr(transparent)]` over a `Pod`), so its layout is fixed;
/// - it has no padding: every byte belongs to a field (checked at compile time for the types
///   of this crate by the `impl_pod!` macro);
/// - every bit pattern is a valid value of every field: fields are integers or arrays of integers
///   only (no `bool`, `char`, enums, references or pointers);
/// - its alignment is at most 64 (a ring slot is at least 64-byte aligned only through its stride,
///   and the region base is 64-byte aligned).
///
/// Under this contract any byte string of the right length is a valid value, so a record read from
/// memory that a buggy or hostile peer wrote is still a valid Rust value; its *meaning* is then
/// validated by the decoders.
pub unsafe trait Pod: Copy + Send + Sync + 'static {
    /// The all-zero value.
    fn zeroed() -> Self {
        // SAFETY: the `Pod` contract says every bit pattern, including all zeroes, is a valid value.
        unsafe { std::mem::zeroed() }
    }
}

// SAFETY: primitive integers have no padding and every bit pattern is valid.
unsafe impl Pod for u8 {}
// SAFETY: as above.
unsafe impl Pod for u16 {}
// SAFETY: as above.
unsafe impl Pod for u32 {}
// SAFETY: as above.
unsafe impl Pod for u64 {}
// SAFETY: an array of `Pod` has no padding between elements (stride == size) and is valid for any bits.
unsafe impl<T: Pod, const N: usize> Pod for [T; N] {}

/// Implements [`Pod`] for a `#[repr(C)]` struct after proving at compile time that the listed
/// fields are exactly its fields (each accessor must type-check with the given type), that each
/// field type is `Pod`, and that the fields are contiguous and cover the whole struct (no padding).
macro_rules! impl_pod {
    ($t:ty { $($f:ident : $ft:ty),+ $(,)? }) => {
        const _: () = {
            #[allow(dead_code)]
            fn field_types_are_pod(v: &$t) {
                fn is_pod<P: $crate::shm::Pod>(_: &P) {}
                $( let _: &$ft = &v.$f; is_pod::<$ft>(&v.$f); )+
            }
            let mut end = 0usize;
            $(
                assert!(::std::mem::offset_of!($t, $f) == end, "padding before field");
                end += ::std::mem::size_of::<$ft>();
            )+
            assert!(end == ::std::mem::size_of::<$t>(), "trailing padding or missing field");
            assert!(::std::mem::align_of::<$t>() <= 64);
        };
        // SAFETY: the const block above proves the listed fields are the struct's fields, all `Pod`,
        // contiguous and covering the whole size (no padding); the struct is `#[repr(C)]` (required
        // by every use of this macro, checked by review and by the C header test).
        unsafe impl $crate::shm::Pod for $t {}
    };
}
use impl_pod;

/// The bytes of a `Pod` value.
pub fn bytes_of<T: Pod>(v: &T) -> &[u8] {
    // SAFETY: `T: Pod` has no padding, so all `size_of::<T>()` bytes behind `v` are initialised; the
    // slice borrows `v`, so it cannot outlive it or alias a mutable borrow.
    unsafe {
        std::slice::from_raw_parts(std::ptr::from_ref(v).cast::<u8>(), std::mem::size_of::<T>())
    }
}

/// Copies a `Pod` value out of the first `size_of::<T>()` bytes of `bytes`, or `None` if too short.
pub fn read_pod<T: Pod>(bytes: &[u8]) -> Option<T> {
    if bytes.len() < std::mem::size_of::<T>() {
        return None;
    }
    // SAFETY: the length was checked above; `read_unaligned` has no alignment requirement; any bit
    // pattern is a valid `T` by the `Pod` contract.
    Some(unsafe { std::ptr::read_unaligned(bytes.as_ptr().cast::<T>()) })
}

/// Copies `v` into the first `size_of::<T>()` bytes of `out`; returns false if `out` is too short.
pub fn write_pod<T: Pod>(v: &T, out: &mut [u8]) -> bool {
    let src = bytes_of(v);
    match out.get_mut(..src.len()) {
        Some(dst) => {
            dst.copy_from_slice(src);
            true
        }
        None => false,
    }
}

/// Alignment of the base of every region (a page, so cache lines and `u64` atomics line up).
pub const REGION_ALIGN: usize = 4096;

enum Backing {
    /// A shared file mapping; unmapped on drop.
    Map(#[allow(dead_code, reason = "kept alive for the mapping")] memmap2::MmapMut),
    /// A zeroed heap allocation with this layout; freed on drop.
    Heap(Layout),
}

/// A contiguous, `REGION_ALIGN`-aligned, zero-initialised-at-creation byte region shared with the
/// peer: a `MAP_SHARED` file mapping or (for tests and Miri) a heap buffer.
///
/// Invariant: `base` is valid for reads and writes of `len` bytes for the life of the `Region`, and
/// is only ever accessed through raw pointers derived from it (never through `&`/`&mut [u8]`), so
/// concurrent access by the peer through atomics does not violate Rust's aliasing rules.
pub(crate) struct Region {
    base: NonNull<u8>,
    len: usize,
    backing: Backing,
}

// SAFETY: `Region` is a pointer to memory that stays valid until drop (see the type invariant);
// all shared mutation goes through atomics or through the ring protocol, which serialises slot
// ownership between exactly one producer and one consumer.
unsafe impl Send for Region {}
// SAFETY: as above; `&Region` only exposes atomics and copies.
unsafe impl Sync for Region {}

impl std::fmt::Debug for Region {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.backing {
            Backing::Map(_) => "mmap",
            Backing::Heap(_) => "heap",
        };
        f.debug_struct("Region")
            .field("kind", &kind)
            .field("len", &self.len)
            .finish()
    }
}

impl Region {
    /// A zeroed heap region of `len` bytes (at least one byte is allocated).
    pub(crate) fn heap(len: usize) -> Region {
        let layout =
            Layout::from_size_align(len.max(1), REGION_ALIGN).expect("region size overflows isize");
        // SAFETY: `layout` has non-zero size (len.max(1)).
        let p = unsafe { std::alloc::alloc_zeroed(layout) };
        let Some(base) = NonNull::new(p) else {
            std::alloc::handle_alloc_error(layout)
        };
        Region {
            base,
            len,
            backing: Backing::Heap(layout),
        }
    }

    /// Maps `len` bytes of `file` shared and writable. The file must already be `len` bytes long.
    pub(crate) fn map(file: &File, len: usize) -> std::io::Result<Region> {
        // SAFETY: the file is ours (/dev/shm); truncation by another process would SIGBUS: guarded
        // by checking the file length before mapping and never shrinking segment files.
        let mut map = unsafe { memmap2::MmapOptions::new().len(len).map_mut(file)? };
        let base =
            NonNull::new(map.as_mut_ptr()).ok_or_else(|| std::io::Error::other("null mapping"))?;
        if base.as_ptr().align_offset(REGION_ALIGN) != 0 {
            return Err(std::io::Error::other("mapping is not page aligned"));
        }
        Ok(Region {
            base,
            len,
            backing: Backing::Map(map),
        })
    }

    /// Length in bytes.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    fn check(&self, off: usize, size: usize, align: usize) -> Option<NonNull<u8>> {
        let end = off.checked_add(size)?;
        if end > self.len || !off.is_multiple_of(align) {
            return None;
        }
        // SAFETY: `off + size <= len`, so the pointer stays inside the allocation/mapping.
        Some(unsafe { self.base.add(off) })
    }

    /// The `AtomicU32` at byte offset `off`, or `None` if out of bounds or misaligned.
    pub(crate) fn atomic_u32(&self, off: usize) -> Option<&AtomicU32> {
        let p = self.check(off, 4, 4)?;
        // SAFETY: `check` proved the 4 bytes are in bounds and 4-aligned; the region is valid for the
        // life of `&self` (type invariant) and is only accessed atomically at this offset.
        Some(unsafe { &*p.as_ptr().cast::<AtomicU32>() })
    }

    /// The `AtomicU64` at byte offset `off`, or `None` if out of bounds or misaligned.
    pub(crate) fn atomic_u64(&self, off: usize) -> Option<&AtomicU64> {
        let p = self.check(off, 8, 8)?;
        // SAFETY: as in `atomic_u32`, with 8 bytes and 8-byte alignment.
        Some(unsafe { &*p.as_ptr().cast::<AtomicU64>() })
    }

    /// Copies a `T` out of the region at `off` (one volatile copy: the value cannot change between
    /// validation and use, whatever the peer does afterwards).
    pub(crate) fn read<T: Pod>(&self, off: usize) -> Option<T> {
        let p = self.check(off, std::mem::size_of::<T>(), 1)?;
        // SAFETY: in bounds (checked); unaligned read allowed; any bits form a valid `T` (`Pod`).
        Some(unsafe { std::ptr::read_unaligned(p.as_ptr().cast::<T>()) })
    }

    /// Writes `v` at `off`. Needs `&mut self`: only used while the creator still owns the region
    /// exclusively (before publishing it), or by tests that corrupt a private mapping.
    pub(crate) fn write<T: Pod>(&mut self, off: usize, v: &T) -> bool {
        let Some(p) = self.check(off, std::mem::size_of::<T>(), 1) else {
            return false;
        };
        // SAFETY: in bounds (checked); `&mut self` means no other reference into the region exists
        // in this process; unaligned write allowed.
        unsafe { std::ptr::write_unaligned(p.as_ptr().cast::<T>(), *v) };
        true
    }
}

impl Drop for Region {
    fn drop(&mut self) {
        if let Backing::Heap(layout) = self.backing {
            // SAFETY: `base` came from `alloc_zeroed(layout)` in `Region::heap` and is freed once.
            unsafe { std::alloc::dealloc(self.base.as_ptr(), layout) };
        }
        // A `Map` backing unmaps itself when dropped.
    }
}
