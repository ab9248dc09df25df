//! Epoch-based quiescent-state tracking (RCU style) between one writer and many readers.
//!
//! Every reader owns a slot (shared only when more readers are cloned than there are slots).
//! A slot holds `0` while its reader is outside any view ("offline") and
//! `(epoch << DEPTH_BITS) | depth` while it is inside one: `epoch` is the global epoch the
//! reader saw when it went online and `depth` counts nested/shared views on the slot.
//!
//! The writer unlinks something (a trie group, an LB index's old meaning, a snapshot), then
//! bumps the global epoch to `E` and tags the garbage with `E`. The garbage may be reused once
//! every slot is either offline or carries an epoch `>= E` ([`Rcu::passed`]): every view that
//! could have seen the unlinked object has ended since. The writer never blocks readers;
//! readers never wait for the writer.

use std::sync::atomic::{fence, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const DEPTH_BITS: u32 = 16;
const DEPTH_MASK: u64 = (1 << DEPTH_BITS) - 1;

/// One cache line per slot so that readers never share a line with each other.
#[repr(align(64))]
struct Slot {
    state: AtomicU64,
    owners: AtomicU32,
}

pub(crate) struct Rcu {
    /// Global epoch, starts at 1 (0 in a slot means "offline").
    epoch: AtomicU64,
    slots: Box<[Slot]>,
    next_shared: AtomicUsize,
}

impl Rcu {
    pub(crate) fn new(max_readers: usize) -> Self {
        let n = max_readers.clamp(1, 4096);
        let slots = (0..n)
            .map(|_| Slot {
                state: AtomicU64::new(0),
                owners: AtomicU32::new(0),
            })
            .collect();
        Rcu {
            epoch: AtomicU64::new(1),
            slots,
            next_shared: AtomicUsize::new(0),
        }
    }

    /// Claims a free slot, or shares one round-robin when all are taken (sharing is correct,
    /// only more conservative: a shared slot keeps the oldest epoch of its overlapping views).
    pub(crate) fn register(&self) -> usize {
        for (i, s) in self.slots.iter().enumerate() {
            // AcqRel: claiming a slot orders nothing else; the CAS only arbitrates ownership.
            if s.owners
                .compare_exchange(0, 1, Ordering::AcqRel, Ordering::Relaxed)
                .is_ok()
            {
                return i;
            }
        }
        let i = self.next_shared.fetch_add(1, Ordering::Relaxed) % self.slots.len();
        self.slots[i].owners.fetch_add(1, Ordering::AcqRel);
        i
    }

    pub(crate) fn unregister(&self, slot: usize) {
        if let Some(s) = self.slots.get(slot) {
            s.owners.fetch_sub(1, Ordering::AcqRel);
        }
    }

    /// Reader goes online (start of a view). Must run before the reader loads any table.
    #[inline]
    pub(crate) fn enter(&self, slot: usize) {
        let Some(s) = self.slots.get(slot) else {
            return;
        };
        // Acquire pairs with the writer's SeqCst fetch_add in `bump`: seeing epoch E means
        // every unlink/publish done before that bump is visible to this reader.
        let e = self.epoch.load(Ordering::Acquire);
        let mut cur = s.state.load(Ordering::Relaxed);
        loop {
            let new = if cur == 0 {
                (e << DEPTH_BITS) | 1
            } else if cur & DEPTH_MASK == DEPTH_MASK {
                // Depth saturated (65535 nested views on one slot): stay online, do not count.
                break;
            } else {
                cur + 1
            };
            match s
                .state
                .compare_exchange_weak(cur, new, Ordering::SeqCst, Ordering::Relaxed)
            {
                Ok(_) => break,
                Err(v) => cur = v,
            }
        }
        // Store-load barrier: pairs with the fence in `passed`. Either the writer sees this
        // slot online, or this reader's following table loads see the writer's unlinks.
        fence(Ordering::SeqCst);
    }

    /// Reader goes offline (end of a view): a quiescent point.
    #[inline]
    pub(crate) fn exit(&self, slot: usize) {
        let Some(s) = self.slots.get(slot) else {
            return;
        };
        let mut cur = s.state.load(Ordering::Relaxed);
        loop {
            let new = if cur & DEPTH_MASK <= 1 { 0 } else { cur - 1 };
            // Release: every table load of the view happens before the writer can observe
            // the slot offline (pairs with the Acquire/SeqCst loads in `passed`).
            match s
                .state
                .compare_exchange_weak(cur, new, Ordering::Release, Ordering::Relaxed)
            {
                Ok(_) => break,
                Err(v) => cur = v,
            }
        }
    }

    /// Writer: new epoch after an unlink or a publish; returns the epoch to tag garbage with.
    pub(crate) fn bump(&self) -> u64 {
        // SeqCst RMW: orders the preceding unlink/publish stores before the epoch change
        // (pairs with the Acquire epoch load in `enter`).
        self.epoch.fetch_add(1, Ordering::SeqCst) + 1
    }

    /// True when every reader has been offline or re-entered at epoch >= `e` since `e` began.
    pub(crate) fn passed(&self, e: u64) -> bool {
        // Pairs with the fence in `enter` (Dekker): see the comment there.
        fence(Ordering::SeqCst);
        self.slots.iter().all(|s| {
            let v = s.state.load(Ordering::Acquire);
            v == 0 || (v >> DEPTH_BITS) >= e
        })
    }

    /// Writer: wait (spinning, then yielding) until `passed(e)`, at most `timeout`.
    /// Only the control thread waits; readers are never blocked.
    pub(crate) fn wait(&self, e: u64, timeout: Duration) -> bool {
        let start = Instant::now();
        let mut spins = 0u32;
        loop {
            if self.passed(e) {
                return true;
            }
            if start.elapsed() > timeout {
                return false;
            }
            spins += 1;
            if spins < 64 {
                std::hint::spin_loop();
            } else {
                std::thread::yield_now();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fib_rcu_grace_period_follows_views() {
        let r = Rcu::new(4);
        let a = r.register();
        let b = r.register();
        assert_ne!(a, b);
        r.enter(a);
        let e = r.bump();
        assert!(
            !r.passed(e),
            "reader a is inside a view that began before e"
        );
        r.enter(b); // b enters after the bump: does not hold e back
        assert!(!r.passed(e));
        r.exit(a);
        assert!(r.passed(e));
        r.exit(b);
        // Nested views on one slot keep the slot online until the outer one ends.
        r.enter(a);
        r.enter(a);
        let e2 = r.bump();
        r.exit(a);
        assert!(!r.passed(e2));
        r.exit(a);
        assert!(r.passed(e2));
        assert!(
            r.wait(e2 + 5, Duration::from_millis(0)),
            "every slot is offline"
        );
    }

    #[test]
    fn fib_rcu_slots_are_shared_when_exhausted() {
        let r = Rcu::new(1);
        let a = r.register();
        let b = r.register();
        assert_eq!(a, b);
        r.enter(a);
        r.enter(b);
        let e = r.bump();
        r.exit(a);
        assert!(!r.passed(e), "b still holds the shared slot");
        r.exit(b);
        assert!(r.passed(e));
        r.unregister(a);
        r.unregister(b);
    }
}
