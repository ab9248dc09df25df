//! Typed SAI object store and validation like SAI meta.
//!
//! - [`value`]: owned attribute values ([`AttrValue`], [`EntryKey`]) and status helpers.
//! - [`Sai`]: the thread-safe store: create/remove/set/get for object-id types and entries, bulk
//!   calls, switch creation with vslib's BCM56850 default objects, capability queries, counters via
//!   a [`StatsSource`], and a [`ChangeSink`] receiving every committed change.
//! - [`profile`]: the `sai.profile` keys we accept.
//! - [`oid`]: object ids with the object type in fixed bits.
#![forbid(unsafe_code)]

pub mod change;
mod computed;
pub mod defaults;
pub mod fasthash;
pub mod md;
pub mod oid;
mod ops;
pub mod profile;
mod routes;
mod sai;
pub mod stats;
mod store;
mod table4;
mod validate;
pub mod value;
mod warm;

pub use change::{Change, ChangeSink, ObjectKey, RecordingSink, RouteKey};
pub use profile::{Config, Profile, ProfileError};
pub use routes::{RouteState, Routes};
pub use sai::{object_type_query, switch_id_query, AttrCapability, BulkMode, BulkStatus, Sai};
pub use stats::{StatsMode, StatsSource};
pub use value::{status, AclData, Attr, AttrValue, EntryKey, IpPrefix, Status};
