//! The panic guard around every exported body: a panic never unwinds into C; it is logged, counted
//! and answered with `SAI_STATUS_FAILURE`.

use sai_headers::ffi::{sai_status_t, SAI_STATUS_FAILURE, SAI_STATUS_NOT_IMPLEMENTED};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};

/// Panics caught at the boundary since load.
static PANICS: AtomicU64 = AtomicU64::new(0);
/// Calls answered `SAI_STATUS_NOT_IMPLEMENTED` by a table slot we do not implement.
static NOT_IMPLEMENTED: AtomicU64 = AtomicU64::new(0);

/// Runs `f`, turning a panic into `SAI_STATUS_FAILURE`.
/// With the log level at DEBUG (`FERROSAI_SAI_LOG=debug` or `sai_log_set`), every call is traced
/// with its status.
pub(crate) fn run(label: &'static str, f: impl FnOnce() -> sai_status_t) -> sai_status_t {
    let st = run_or(label, SAI_STATUS_FAILURE, f);
    if crate::log::level(None) == sai_headers::ffi::SAI_LOG_LEVEL_DEBUG {
        crate::log::debug(format_args!(
            "{label} -> {}",
            sai_headers::meta::status_name(st)
        ));
    }
    st
}

/// Runs `f`, turning a panic into `on_panic`.
pub(crate) fn run_or<T>(label: &'static str, on_panic: T, f: impl FnOnce() -> T) -> T {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(st) => st,
        Err(e) => {
            // Relaxed: a statistics counter, no ordering with other memory.
            PANICS.fetch_add(1, Ordering::Relaxed);
            let msg = e
                .downcast_ref::<&str>()
                .map(|s| (*s).to_string())
                .or_else(|| e.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "non-string panic payload".into());
            crate::log::error(format_args!(
                "{label}: internal error (panic: {msg}); call failed"
            ));
            on_panic
        }
    }
}

/// Body of a table slot we do not implement.
pub(crate) fn not_implemented(label: &'static str) -> sai_status_t {
    // Relaxed: a statistics counter.
    NOT_IMPLEMENTED.fetch_add(1, Ordering::Relaxed);
    crate::log::debug(format_args!("{label}: not implemented"));
    SAI_STATUS_NOT_IMPLEMENTED
}

/// A spare slot after an API table (see `tables::TAIL_SLOTS`). Called with whatever arguments the
/// newer caller passes; under the C calling convention unused arguments are harmless.
pub(crate) unsafe extern "C" fn unknown_slot() -> sai_status_t {
    run("unknown table slot", || {
        not_implemented("slot beyond the SAI ABI data")
    })
}

/// (panics caught, not-implemented calls) since load.
pub fn counters() -> (u64, u64) {
    // Relaxed: statistics counters.
    (
        PANICS.load(Ordering::Relaxed),
        NOT_IMPLEMENTED.load(Ordering::Relaxed),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panic_becomes_failure_and_is_counted() {
        let before = counters().0;
        let st = run("test.panic", || panic!("boom"));
        assert_eq!(st, SAI_STATUS_FAILURE);
        assert!(counters().0 > before);
        assert_eq!(run("test.ok", || 0), 0);
        assert_eq!(run_or("test.value", 7u32, || panic!("boom")), 7);
    }
}
