//! The vector packet-processing graph and FIB.
#![forbid(unsafe_code)]

pub mod buffer;
pub mod fib;
pub mod wire;
