//! The vector packet-processing graph and FIB.
#![forbid(unsafe_code)]
