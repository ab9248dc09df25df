//! Typed SAI object store and validation.
#![forbid(unsafe_code)]

pub mod value;

pub use value::{AclData, Attr, AttrValue, EntryKey, IpPrefix, Status};
