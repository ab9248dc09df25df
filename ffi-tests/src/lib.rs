//! Drives the C test programs.
#![forbid(unsafe_code)]
