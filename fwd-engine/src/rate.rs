//! Token bucket with time passed in (no clock reads).

/// A token bucket: `rate` tokens per second, at most `burst` stored.
#[derive(Clone, Copy, Debug)]
pub struct TokenBucket {
    /// Tokens per second.
    rate: u64,
    /// Capacity in nano-tokens (burst * 1e9).
    cap: u64,
    /// Stored nano-tokens.
    level: u64,
    /// Time of the last refill (ns); `None` before the first call.
    last: Option<u64>,
}

const NANO: u64 = 1_000_000_000;

impl TokenBucket {
    /// A full bucket.
    pub fn new(rate_per_sec: u64, burst: u64) -> Self {
        let cap = burst.saturating_mul(NANO);
        TokenBucket {
            rate: rate_per_sec,
            cap,
            level: cap,
            last: None,
        }
    }

    /// Take one token at time `now_ns`; false when empty. Time going backwards adds nothing.
    #[inline]
    pub fn take(&mut self, now_ns: u64) -> bool {
        if let Some(last) = self.last {
            let dt = now_ns.saturating_sub(last);
            self.level = self
                .level
                .saturating_add(dt.saturating_mul(self.rate))
                .min(self.cap);
        }
        if self.last.is_none_or(|l| now_ns > l) {
            self.last = Some(now_ns);
        }
        if self.level >= NANO {
            self.level -= NANO;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_then_rate() {
        let mut b = TokenBucket::new(10, 3);
        assert!(b.take(0) && b.take(0) && b.take(0));
        assert!(!b.take(0));
        assert!(!b.take(99_999_999));
        assert!(b.take(100_000_000)); // 0.1 s at 10/s = 1 token
        assert!(!b.take(100_000_000));
        assert!(!b.take(50)); // backwards: nothing added
        assert!(b.take(10_000_000_000));
        assert!(b.take(10_000_000_000) && b.take(10_000_000_000));
        assert!(!b.take(10_000_000_000), "capped at burst");
    }
}
