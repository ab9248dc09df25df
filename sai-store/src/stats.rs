//! Counters: the store does not invent numbers; a [`StatsSource`] (the forwarder's stats region)
//! answers them.

use crate::value::Status;

/// `sai_stats_mode_t`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatsMode {
    Read,
    ReadAndClear,
}

/// Supplier of object counters.
pub trait StatsSource: Send + Sync {
    /// Counter ids of object type `ot` this source can answer (for `sai_query_stats_capability`).
    fn supported(&self, ot: u32) -> Vec<u32>;
    /// Fill `out[i]` with counter `ids[i]` of object `oid` (type `ot`).
    /// Errors: `SAI_STATUS_NOT_SUPPORTED` / `NOT_IMPLEMENTED` for ids it does not know.
    fn get(
        &self,
        ot: u32,
        oid: u64,
        ids: &[u32],
        mode: StatsMode,
        out: &mut [u64],
    ) -> Result<(), Status>;
    /// Clear counters `ids` of `oid`.
    fn clear(&self, ot: u32, oid: u64, ids: &[u32]) -> Result<(), Status>;
}
