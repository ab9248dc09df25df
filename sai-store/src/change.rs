//! The change stream handed to the forwarder programmer after every successful mutation.

use crate::value::{Attr, AttrValue, EntryKey, IpPrefix};

/// Key of a stored object: an object id or an entry key.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ObjectKey {
    Oid(u64),
    Entry(EntryKey),
    /// A route entry, in the form the route calls ([`crate::Sai::bulk_create_routes`] and
    /// friends) use: no heap allocation. The same object as the equivalent
    /// [`ObjectKey::Entry`] ([`RouteKey::to_entry`]).
    Route(RouteKey),
}

impl ObjectKey {
    /// The object id, for OID objects.
    pub fn oid(&self) -> Option<u64> {
        match self {
            ObjectKey::Oid(o) => Some(*o),
            ObjectKey::Entry(_) | ObjectKey::Route(_) => None,
        }
    }
}

/// The key of a route entry (`sai_route_entry_t`): switch, virtual router, destination.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RouteKey {
    pub switch_id: u64,
    pub vr_id: u64,
    pub destination: IpPrefix,
}

impl RouteKey {
    /// The generic entry key of the same route.
    pub fn to_entry(&self) -> EntryKey {
        EntryKey {
            ot: sai_headers::ffi::SAI_OBJECT_TYPE_ROUTE_ENTRY,
            members: vec![
                AttrValue::Oid(self.switch_id),
                AttrValue::Oid(self.vr_id),
                AttrValue::IpPrefix(self.destination),
            ],
        }
    }
}

/// One committed mutation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// An object was created with these attributes (the stored ones: what the caller gave plus
    /// what the switch set itself for default objects; unset attributes have their defaults).
    /// Shared: the entries of one bulk call with the same attribute list share one copy.
    Create {
        ot: u32,
        key: ObjectKey,
        attrs: std::sync::Arc<[Attr]>,
    },
    /// One attribute was set. For a route entry, `route` holds every attribute the route has
    /// after the set (the forwarder programmer keeps no copy of the routes); `None` otherwise.
    Set {
        ot: u32,
        key: ObjectKey,
        attr: Attr,
        route: Option<std::sync::Arc<[Attr]>>,
    },
    /// The object was removed.
    Remove { ot: u32, key: ObjectKey },
}

impl Change {
    pub fn ot(&self) -> u32 {
        match self {
            Change::Create { ot, .. } | Change::Set { ot, .. } | Change::Remove { ot, .. } => *ot,
        }
    }
    pub fn key(&self) -> &ObjectKey {
        match self {
            Change::Create { key, .. } | Change::Set { key, .. } | Change::Remove { key, .. } => {
                key
            }
        }
    }
}

/// Receiver of committed changes. Called with the store's lock held, in commit order; a single
/// call hands a batch of one (switch creation and bulk calls hand one batch for the whole call).
/// Implementations must not call back into the store (a reader of the store, such as
/// [`crate::Sai::read_routes`], must take the store's lock before any lock `apply` takes).
pub trait ChangeSink: Send {
    fn apply(&mut self, batch: &[Change]);
}

/// A sink that records every batch (tests, debugging).
#[derive(Debug, Default)]
pub struct RecordingSink {
    pub batches: std::sync::Arc<std::sync::Mutex<Vec<Vec<Change>>>>,
}

impl ChangeSink for RecordingSink {
    fn apply(&mut self, batch: &[Change]) {
        if let Ok(mut b) = self.batches.lock() {
            b.push(batch.to_vec());
        }
    }
}
