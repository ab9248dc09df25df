//! The SPSC ring core: free-running `u32` indices over fixed-size [`Pod`] slots in a `Region`.
//!
//! Memory layout of one ring (offsets from the ring's base, chosen by the segment layout):
//! ```text
//!   +0    producer index  (AtomicU32, alone on its 64-byte line; written only by the producer)
//!   +64   consumer index  (AtomicU32, alone on its 64-byte line; written only by the consumer)
//!   +128  capacity slots of size_of::<T>() bytes; slot for index i is i & (capacity - 1)
//! ```
//! Indices are free running and wrap at `u32::MAX`; `producer - consumer` (wrapping) is the number
//! of published, unconsumed records and must lie in `0..=capacity`. Each side keeps its own index
//! locally (the copy in shared memory is only published, never re-read by its owner) and a cached
//! copy of the other side's index that it reloads only when the ring looks full or empty.
//!
//! The peer is untrusted: an index read from shared memory that breaks `0 <= p - c <= capacity` is
//! rejected with [`RingError`] and never used to address a slot. Slot addresses are always
//! `index & mask`, so no index value, however corrupt, can point outside the ring.

use super::{Pod, Region};
use std::marker::PhantomData;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Largest supported ring capacity (records).
pub const MAX_CAPACITY: u32 = 1 << 24;

/// Where a ring lives inside a region (byte offsets). Checked by [`RingLayout::check`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RingLayout {
    /// Offset of the ring's control block (producer line, then consumer line, then slots).
    pub offset: usize,
    /// Number of slots; a power of two in `2..=MAX_CAPACITY`.
    pub capacity: u32,
}

impl RingLayout {
    /// Bytes before the first slot: the producer and the consumer cache lines.
    pub const CONTROL_BYTES: usize = 128;

    /// Total bytes used by a ring of `capacity` records of type `T`.
    pub fn bytes<T: Pod>(capacity: u32) -> Option<usize> {
        usize::try_from(capacity)
            .ok()?
            .checked_mul(std::mem::size_of::<T>())?
            .checked_add(Self::CONTROL_BYTES)
    }

    /// Checks the layout against a region of `len` bytes; returns the name of the first bad field.
    pub fn check<T: Pod>(&self, len: usize) -> Result<(), &'static str> {
        if !self.capacity.is_power_of_two() || self.capacity < 2 || self.capacity > MAX_CAPACITY {
            return Err("capacity");
        }
        if !self.offset.is_multiple_of(64)
            || !std::mem::size_of::<T>().is_multiple_of(std::mem::align_of::<T>())
        {
            return Err("offset");
        }
        let end = Self::bytes::<T>(self.capacity)
            .and_then(|b| b.checked_add(self.offset))
            .ok_or("capacity")?;
        if end > len {
            return Err("offset");
        }
        Ok(())
    }
}

/// A shared index read from the peer broke the ring invariant; nothing was read or written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RingError {
    /// The producer index is more than `capacity` ahead of the consumer index (or behind it).
    ProducerIndex {
        /// Producer index as read from shared memory.
        producer: u32,
        /// Consumer index (ours, or as read at attach).
        consumer: u32,
        /// Ring capacity.
        capacity: u32,
    },
    /// The consumer index is ahead of the producer index or more than `capacity` behind it.
    ConsumerIndex {
        /// Producer index (ours, or as read at attach).
        producer: u32,
        /// Consumer index as read from shared memory.
        consumer: u32,
        /// Ring capacity.
        capacity: u32,
    },
    /// The ring layout does not fit the region; names the field.
    Layout(&'static str),
}

impl std::fmt::Display for RingError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            RingError::ProducerIndex {
                producer,
                consumer,
                capacity,
            } => write!(
                f,
                "corrupt producer index {producer} (consumer {consumer}, capacity {capacity})"
            ),
            RingError::ConsumerIndex {
                producer,
                consumer,
                capacity,
            } => write!(
                f,
                "corrupt consumer index {consumer} (producer {producer}, capacity {capacity})"
            ),
            RingError::Layout(field) => write!(f, "ring layout does not fit the region: {field}"),
        }
    }
}

impl std::error::Error for RingError {}

/// Why a push did not happen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PushError {
    /// The ring is full: back-pressure; nothing was written. Retry after the consumer catches up.
    Full,
    /// The blocking push gave up after its timeout; `written` records of the burst were published.
    Timeout {
        /// Records of the burst that were published before the timeout.
        written: usize,
    },
    /// The peer's index is corrupt; nothing more was written.
    Ring(RingError),
}

impl std::fmt::Display for PushError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PushError::Full => f.write_str("ring full"),
            PushError::Timeout { written } => {
                write!(f, "ring full until timeout ({written} records written)")
            }
            PushError::Ring(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for PushError {}

impl From<RingError> for PushError {
    fn from(e: RingError) -> Self {
        PushError::Ring(e)
    }
}

/// Pointers into a region for one ring, valid while `_region` lives.
///
/// Invariant (established by `RingMem::new` from a checked [`RingLayout`]): `prod` and `cons` point
/// to 4-aligned `AtomicU32`s inside the region on distinct cache lines, and `slots` points to
/// `mask + 1` consecutive, suitably aligned `T` slots inside the region.
struct RingMem<T: Pod> {
    _region: Arc<Region>,
    prod: NonNull<AtomicU32>,
    cons: NonNull<AtomicU32>,
    slots: NonNull<T>,
    mask: u32,
    _t: PhantomData<T>,
}

impl<T: Pod> RingMem<T> {
    fn new(region: Arc<Region>, layout: RingLayout) -> Result<Self, RingError> {
        layout.check::<T>(region.len()).map_err(RingError::Layout)?;
        let prod = NonNull::from(
            region
                .atomic_u32(layout.offset)
                .ok_or(RingError::Layout("offset"))?,
        );
        let cons = NonNull::from(
            region
                .atomic_u32(layout.offset + 64)
                .ok_or(RingError::Layout("offset"))?,
        );
        let slot_off = layout.offset + RingLayout::CONTROL_BYTES;
        let slot_bytes = RingLayout::bytes::<T>(layout.capacity)
            .ok_or(RingError::Layout("capacity"))?
            - RingLayout::CONTROL_BYTES;
        // `check` proves `slot_off + capacity * size_of::<T>() <= region.len()` and the alignment:
        // base (REGION_ALIGN) + a multiple of 64 + 128 is aligned for any `Pod` (alignment <= 64).
        let slots = region
            .check(slot_off, slot_bytes, std::mem::align_of::<T>())
            .ok_or(RingError::Layout("offset"))?
            .cast::<T>();
        Ok(RingMem {
            _region: region,
            prod,
            cons,
            slots,
            mask: layout.capacity - 1,
            _t: PhantomData,
        })
    }

    fn capacity(&self) -> u32 {
        self.mask + 1
    }

    fn prod(&self) -> &AtomicU32 {
        // SAFETY: points into the region kept alive by `_region` (type invariant).
        unsafe { self.prod.as_ref() }
    }

    fn cons(&self) -> &AtomicU32 {
        // SAFETY: points into the region kept alive by `_region` (type invariant).
        unsafe { self.cons.as_ref() }
    }

    fn slot(&self, index: u32) -> *mut T {
        // SAFETY: `index & mask < capacity`, and the `capacity` slots lie inside the region (type
        // invariant), so the offset pointer stays in bounds.
        unsafe { self.slots.as_ptr().add((index & self.mask) as usize) }
    }
}

// SAFETY: a `RingMem` is a set of pointers into a `Region`, which is `Send + Sync`; each end type
// (`Producer`, `Consumer`) is unique and not `Clone`, so moving it to another thread moves the only
// handle that may write its index.
unsafe impl<T: Pod> Send for RingMem<T> {}

/// The producing end of a ring (exactly one per ring; not `Clone`).
pub struct Producer<T: Pod> {
    mem: RingMem<T>,
    /// Next index to write; always equal to the published producer index between calls.
    /// Invariant: `tail - cached_head` (wrapping) is in `0..=capacity`.
    tail: u32,
    /// Last consumer index read from shared memory (validated).
    cached_head: u32,
}

/// The consuming end of a ring (exactly one per ring; not `Clone`).
pub struct Consumer<T: Pod> {
    mem: RingMem<T>,
    /// Next index to read; always equal to the published consumer index between calls.
    /// Invariant: `cached_tail - head` (wrapping) is in `0..=capacity`.
    head: u32,
    /// Last producer index read from shared memory (validated).
    cached_tail: u32,
}

impl<T: Pod> std::fmt::Debug for Producer<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Producer")
            .field("tail", &self.tail)
            .field("capacity", &self.mem.capacity())
            .finish()
    }
}

impl<T: Pod> std::fmt::Debug for Consumer<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Consumer")
            .field("head", &self.head)
            .field("capacity", &self.mem.capacity())
            .finish()
    }
}

/// Copies a slot out of shared memory exactly once (volatile loads: the compiler may not re-read
/// shared memory later instead of using the copy, so a value validated is the value used).
/// Word-sized volatile loads for 8-byte-aligned types (fast), a plain volatile read otherwise.
///
/// # Safety
/// `src` must be valid for reads of a `T` and suitably aligned.
unsafe fn read_once<T: Pod>(src: *const T) -> T {
    if std::mem::align_of::<T>() >= 8 && std::mem::size_of::<T>().is_multiple_of(8) {
        let mut out = std::mem::MaybeUninit::<T>::uninit();
        let words = std::mem::size_of::<T>() / 8;
        let s = src.cast::<u64>();
        let d = out.as_mut_ptr().cast::<u64>();
        for i in 0..words {
            // SAFETY: `i < size_of::<T>() / 8`, so both word pointers stay inside the `T`s; both are
            // 8-aligned (alignment of `T` >= 8); `out` is a local we own.
            unsafe { d.add(i).write(s.add(i).read_volatile()) };
        }
        // SAFETY: every byte of `out` was written above; any bit pattern is a valid `T` (`Pod`).
        unsafe { out.assume_init() }
    } else {
        // SAFETY: forwarded from the caller's contract.
        unsafe { src.read_volatile() }
    }
}

fn check_distance(producer: u32, consumer: u32, capacity: u32) -> bool {
    producer.wrapping_sub(consumer) <= capacity
}

/// Spin, then yield, then sleep in growing steps (capped at 1 ms) until a deadline.
#[derive(Debug)]
pub(crate) struct Backoff {
    step: u32,
}

impl Backoff {
    pub(crate) fn new() -> Self {
        Backoff { step: 0 }
    }

    /// Waits a little; returns false once `deadline` has passed.
    pub(crate) fn wait(&mut self, deadline: Instant) -> bool {
        if Instant::now() >= deadline {
            return false;
        }
        self.step = self.step.saturating_add(1);
        if self.step <= 64 {
            std::hint::spin_loop();
        } else if self.step <= 128 {
            std::thread::yield_now();
        } else {
            let us = (self.step - 128).min(20) * 50;
            std::thread::sleep(Duration::from_micros(u64::from(us)));
        }
        true
    }
}

impl<T: Pod> Producer<T> {
    /// Takes over the producing end of the ring at `layout` in `region`, continuing from the
    /// producer index found in shared memory (a previous producer's published records stay
    /// visible). Fails if the shared indices are inconsistent.
    pub(crate) fn attach(region: Arc<Region>, layout: RingLayout) -> Result<Self, RingError> {
        let mem = RingMem::<T>::new(region, layout)?;
        // Relaxed: we are now the only writer of the producer index; its last value was published
        // by a previous producer before it exited (or is the creator's initial value).
        let tail = mem.prod().load(Ordering::Relaxed);
        // Acquire: pairs with the consumer's Release store of its index (Consumer::publish), so the
        // slots it released are no longer being read when we overwrite them.
        let head = mem.cons().load(Ordering::Acquire);
        if !check_distance(tail, head, mem.capacity()) {
            return Err(RingError::ConsumerIndex {
                producer: tail,
                consumer: head,
                capacity: mem.capacity(),
            });
        }
        Ok(Producer {
            mem,
            tail,
            cached_head: head,
        })
    }

    /// Ring capacity in records.
    pub fn capacity(&self) -> u32 {
        self.mem.capacity()
    }

    /// The producer index (records published since the ring was created, wrapping).
    pub fn index(&self) -> u32 {
        self.tail
    }

    /// Reloads the consumer index; returns the number of free slots.
    fn refresh(&mut self) -> Result<u32, RingError> {
        // Acquire: pairs with the consumer's Release store in `Consumer::publish`: once we see its
        // index, its reads of the slots below that index have completed and we may overwrite them.
        let head = self.mem.cons().load(Ordering::Acquire);
        if !check_distance(self.tail, head, self.capacity()) {
            return Err(RingError::ConsumerIndex {
                producer: self.tail,
                consumer: head,
                capacity: self.capacity(),
            });
        }
        self.cached_head = head;
        Ok(self.capacity() - self.tail.wrapping_sub(head))
    }

    /// Free slots, reloading the consumer index from shared memory.
    pub fn free(&mut self) -> Result<u32, RingError> {
        self.refresh()
    }

    fn free_cached(&self) -> u32 {
        self.capacity() - self.tail.wrapping_sub(self.cached_head)
    }

    fn publish(&mut self) {
        debug_assert!(check_distance(self.tail, self.cached_head, self.capacity()));
        // Release: pairs with the consumer's Acquire load of the producer index (Consumer::refresh):
        // the slot writes above become visible before the index that covers them.
        self.mem.prod().store(self.tail, Ordering::Release);
    }

    /// Pushes one record and publishes it. `Err(Full)` is back-pressure: nothing was written.
    pub fn try_push(&mut self, v: &T) -> Result<(), PushError> {
        if self.free_cached() == 0 && self.refresh()? == 0 {
            return Err(PushError::Full);
        }
        // SAFETY: the slot at `tail` is free: `tail - head < capacity`, so the consumer has released
        // it (Acquire above) and will not read it until we publish; we are the only producer.
        unsafe { self.mem.slot(self.tail).write(*v) };
        self.tail = self.tail.wrapping_add(1);
        self.publish();
        Ok(())
    }

    /// Writes up to `n` records produced by `f(i)` (i = 0, 1, ...) into the free slots and
    /// publishes them all with one index store. Returns how many were written (fewer than `n` only
    /// if the ring filled up; `f` is not called for the rest).
    pub fn write_burst(
        &mut self,
        n: usize,
        mut f: impl FnMut(usize) -> T,
    ) -> Result<usize, RingError> {
        let want = u32::try_from(n).unwrap_or(u32::MAX);
        let mut free = self.free_cached();
        if free < want {
            free = self.refresh()?;
        }
        let count = free.min(want);
        for i in 0..count {
            let v = f(i as usize);
            // SAFETY: `i < count <= free`, so `tail + i` is a free slot owned by the producer (see
            // `try_push`).
            unsafe { self.mem.slot(self.tail.wrapping_add(i)).write(v) };
        }
        if count > 0 {
            self.tail = self.tail.wrapping_add(count);
            self.publish();
        }
        Ok(count as usize)
    }

    /// Like [`write_burst`](Self::write_burst), but `f(i, slot)` fills the slot in place (no
    /// copy through the stack). The slot holds stale bytes: `f` must set every field.
    pub fn write_burst_in_place(
        &mut self,
        n: usize,
        mut f: impl FnMut(usize, &mut T),
    ) -> Result<usize, RingError> {
        let want = u32::try_from(n).unwrap_or(u32::MAX);
        let mut free = self.free_cached();
        if free < want {
            free = self.refresh()?;
        }
        let count = free.min(want);
        for i in 0..count {
            // `i < count <= free`: the consumer released slot `tail + i` (Acquire in `refresh`).
            // SAFETY: the slot is unread by the consumer until we publish, so this is the only
            // reference; it holds a valid `T` (zeroed at creation or written before; `Pod`).
            let slot = unsafe { &mut *self.mem.slot(self.tail.wrapping_add(i)) };
            f(i as usize, slot);
        }
        if count > 0 {
            self.tail = self.tail.wrapping_add(count);
            self.publish();
        }
        Ok(count as usize)
    }

    /// Copies as many records of `vs` as fit and publishes them with one index store.
    pub fn push_burst(&mut self, vs: &[T]) -> Result<usize, RingError> {
        self.write_burst(vs.len(), |i| vs[i])
    }

    /// Pushes all of `vs`, waiting (spin, yield, sleep) while the ring is full, until `timeout`.
    /// Each chunk that fits is published with one store. On timeout returns how much was written.
    pub fn push_all_blocking(&mut self, vs: &[T], timeout: Duration) -> Result<(), PushError> {
        let deadline = Instant::now() + timeout;
        let mut done = 0;
        let mut backoff = Backoff::new();
        while done < vs.len() {
            let n = self.push_burst(&vs[done..])?;
            if n > 0 {
                done += n;
                backoff = Backoff::new();
            } else if !backoff.wait(deadline) {
                return Err(PushError::Timeout { written: done });
            }
        }
        Ok(())
    }
}

impl<T: Pod> Consumer<T> {
    /// Takes over the consuming end, continuing from the consumer index in shared memory (records
    /// published but not consumed by a previous consumer will be delivered).
    pub(crate) fn attach(region: Arc<Region>, layout: RingLayout) -> Result<Self, RingError> {
        let mem = RingMem::<T>::new(region, layout)?;
        // Relaxed: we are now the only writer of the consumer index.
        let head = mem.cons().load(Ordering::Relaxed);
        // Acquire: pairs with the producer's Release store (Producer::publish).
        let tail = mem.prod().load(Ordering::Acquire);
        if !check_distance(tail, head, mem.capacity()) {
            return Err(RingError::ProducerIndex {
                producer: tail,
                consumer: head,
                capacity: mem.capacity(),
            });
        }
        Ok(Consumer {
            mem,
            head,
            cached_tail: tail,
        })
    }

    /// Takes over the consuming end and discards everything published so far: sets the consumer
    /// index to the current producer index. Returns the consumer and the number of records
    /// skipped (`u32::MAX` if the shared consumer index was corrupt and had to be resynchronised: the
    /// count is then unknown and reported as `u32::MAX`).
    pub(crate) fn attach_skipping(
        region: Arc<Region>,
        layout: RingLayout,
    ) -> Result<(Self, u32), RingError> {
        let mem = RingMem::<T>::new(region, layout)?;
        // Relaxed: we are now the only writer of the consumer index (only used for the count).
        let head = mem.cons().load(Ordering::Relaxed);
        // Acquire: pairs with the producer's Release store (Producer::publish).
        let tail = mem.prod().load(Ordering::Acquire);
        let skipped = if check_distance(tail, head, mem.capacity()) {
            tail.wrapping_sub(head)
        } else {
            u32::MAX
        };
        let mut c = Consumer {
            mem,
            head: tail,
            cached_tail: tail,
        };
        c.publish();
        Ok((c, skipped))
    }

    /// Ring capacity in records.
    pub fn capacity(&self) -> u32 {
        self.mem.capacity()
    }

    /// The consumer index (records consumed since the ring was created, wrapping).
    pub fn index(&self) -> u32 {
        self.head
    }

    fn refresh(&mut self) -> Result<u32, RingError> {
        // Acquire: pairs with the producer's Release store in `Producer::publish`: the slot
        // contents below the index we read are visible to the reads that follow.
        let tail = self.mem.prod().load(Ordering::Acquire);
        if !check_distance(tail, self.head, self.capacity()) {
            return Err(RingError::ProducerIndex {
                producer: tail,
                consumer: self.head,
                capacity: self.capacity(),
            });
        }
        self.cached_tail = tail;
        Ok(tail.wrapping_sub(self.head))
    }

    /// Records available, reloading the producer index from shared memory.
    pub fn available(&mut self) -> Result<u32, RingError> {
        self.refresh()
    }

    fn publish(&mut self) {
        debug_assert!(check_distance(self.cached_tail, self.head, self.capacity()));
        // Release: pairs with the producer's Acquire load of the consumer index (Producer::refresh):
        // our slot reads complete before the producer may reuse the slots.
        self.mem.cons().store(self.head, Ordering::Release);
    }

    /// Pops one record (copied out of shared memory) and releases its slot.
    pub fn pop(&mut self) -> Result<Option<T>, RingError> {
        if self.cached_tail == self.head && self.refresh()? == 0 {
            return Ok(None);
        }
        // SAFETY: `head != tail`, so the slot at `head` was published (Acquire in `refresh`) and the
        // producer will not rewrite it until we publish a consumer index past it.
        let v = unsafe { read_once(self.mem.slot(self.head)) };
        self.head = self.head.wrapping_add(1);
        self.publish();
        Ok(Some(v))
    }

    /// Copies up to `max` available records out, one at a time, calling `f` on each copy, then
    /// releases all their slots with one index store. Returns how many were read.
    pub fn read_burst(&mut self, max: usize, mut f: impl FnMut(T)) -> Result<usize, RingError> {
        let want = u32::try_from(max).unwrap_or(u32::MAX);
        let mut avail = self.cached_tail.wrapping_sub(self.head);
        if avail < want {
            avail = self.refresh()?;
        }
        let count = avail.min(want);
        for i in 0..count {
            // SAFETY: `i < count <= tail - head`: the slot is published and owned by the consumer
            // until the store in `publish` below.
            let v = unsafe { read_once(self.mem.slot(self.head.wrapping_add(i))) };
            f(v);
        }
        if count > 0 {
            self.head = self.head.wrapping_add(count);
            self.publish();
        }
        Ok(count as usize)
    }

    /// Pops up to `out.len()` records into `out`; one index store. Returns how many.
    pub fn pop_burst(&mut self, out: &mut [T]) -> Result<usize, RingError> {
        let mut i = 0;
        self.read_burst(out.len(), |v| {
            out[i] = v;
            i += 1;
        })
    }

    /// Discards everything currently published (consumer index := producer index). Used to
    /// resynchronise after a [`RingError`]; returns how many records were skipped, or `None` if the
    /// producer index is still inconsistent (nothing changed).
    pub fn skip_all(&mut self) -> Option<u32> {
        // Acquire: pairs with the producer's Release store (Producer::publish).
        let tail = self.mem.prod().load(Ordering::Acquire);
        let skipped = tail.wrapping_sub(self.head);
        if skipped > self.capacity() {
            return None;
        }
        self.head = tail;
        self.cached_tail = tail;
        self.publish();
        Some(skipped)
    }
}

/// Builds an in-process ring of `capacity` records over a fresh heap `Region` with both indices
/// starting at `initial_index` (tests start near `u32::MAX` to exercise wrap-around). This is the
/// same code as the shared-memory ring, so Miri and property tests exercise the real core.
pub fn heap_channel<T: Pod>(
    capacity: u32,
    initial_index: u32,
) -> Result<(Producer<T>, Consumer<T>), RingError> {
    let bytes = RingLayout::bytes::<T>(capacity).ok_or(RingError::Layout("capacity"))?;
    let region = Arc::new(Region::heap(bytes));
    let layout = RingLayout {
        offset: 0,
        capacity,
    };
    layout.check::<T>(region.len()).map_err(RingError::Layout)?;
    for off in [0, 64] {
        // Relaxed: nobody else has the region yet; the Arc hand-off to another thread synchronises.
        region
            .atomic_u32(off)
            .ok_or(RingError::Layout("offset"))?
            .store(initial_index, Ordering::Relaxed);
    }
    let p = Producer::attach(Arc::clone(&region), layout)?;
    let c = Consumer::attach(region, layout)?;
    Ok((p, c))
}
