//! ferrosai-fwd: the forwarder daemon (DPDK poll-mode I/O, fwd-engine workers, TAP host
//! interfaces, the ring consumer and a vppctl-like CLI) and the library behind `fwdctl`.
//!
//! `unsafe` is allowed only in [`io`] (DPDK) and [`tap`] (TAP / namespace syscalls).
#![deny(unsafe_code)]

pub mod cli;
pub mod config;
pub mod control;
pub mod daemon;
#[allow(unsafe_code)]
pub mod io;
pub mod tables;
#[allow(unsafe_code)]
pub mod tap;
pub mod worker;
