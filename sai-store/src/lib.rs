//! Typed SAI object store and validation.
#![forbid(unsafe_code)]
