//! The lab's control agent: stands in for SONiC's swss + syncd. Reads a SONiC-style config_db,
//! takes routes from zebra over FPM and neighbors from the kernel, and programs them through SAI.
#![forbid(unsafe_code)]

pub mod config_db;
pub mod dp_log;
pub mod dp_sai;
pub mod fpm;
pub mod neigh;
pub mod prefix;
pub mod runtime;
pub mod state;

#[cfg(test)]
mod state_tests;
