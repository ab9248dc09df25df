//! `libsai.so`: the SAI C API, over the typed object store of `sai-store`.
//!
//! Everything a SAI consumer (syncd, the lab agent, the C tests) calls is here:
//! - [`exports`]: the functions `sai.h`, `saiobject.h`, `saiversion.h` and `saitam.h` declare;
//! - the API tables (generated from the ABI data, one `extern "C"` function per slot, no NULL slot):
//!   object methods go to the generic operations in `ops`, the rest to `special` or
//!   `SAI_STATUS_NOT_IMPLEMENTED`;
//! - `convert`/`keys`: C values and entry keys <-> the store's owned values.
//!
//! Every exported body runs behind a panic guard (`guard`); null pointers and bad counts are
//! answered with `SAI_STATUS_INVALID_PARAMETER`. All state is behind one `Arc<Sai>` (thread-safe).
//!
//! Install: the cdylib is `libsai.so`; install it also as `libsaivpp.so` (a symlink or copy, see
//! README.md) so that an image expecting the VPP platform library finds it.

pub(crate) mod convert;
pub(crate) mod dump;
pub mod exports;
pub(crate) mod guard;
pub(crate) mod keys;
pub mod log;
pub mod notify;
pub(crate) mod ops;
pub(crate) mod special;

/// The API tables (generated).
#[allow(
    non_snake_case,
    clippy::all,
    clippy::pedantic,
    clippy::undocumented_unsafe_blocks,
    reason = "generated from the ABI data; SAFETY comments are generated per call"
)]
pub(crate) mod tables {
    use sai_headers::ffi::*;
    include!(concat!(env!("OUT_DIR"), "/tables.rs"));
}

#[allow(clippy::all, reason = "generated from the ABI data")]
pub(crate) mod value_types {
    include!(concat!(env!("OUT_DIR"), "/value_types.rs"));
}

pub use guard::counters as boundary_counters;
pub use tables::API_TABLES;
/// Spare slots after every API table (answer `SAI_STATUS_NOT_IMPLEMENTED`), for callers built
/// against newer SAI headers whose tables have more members.
pub const SPARE_SLOTS: usize = tables::TAIL_SLOTS;

use sai_headers::ffi::{sai_status_t, SAI_STATUS_UNINITIALIZED};
use sai_store::Sai;
use std::sync::{Arc, RwLock};

/// The one store, created by `sai_api_initialize` and dropped by `sai_api_uninitialize`.
static SAI: RwLock<Option<Arc<Sai>>> = RwLock::new(None);

/// The current store, or `SAI_STATUS_UNINITIALIZED`.
pub(crate) fn sai() -> Result<Arc<Sai>, sai_status_t> {
    SAI.read()
        .unwrap_or_else(|e| e.into_inner())
        .clone()
        .ok_or(SAI_STATUS_UNINITIALIZED)
}

/// The store behind the C API, for in-process users (e.g. tests, the forwarder programmer).
pub fn current_store() -> Option<Arc<Sai>> {
    sai().ok()
}
