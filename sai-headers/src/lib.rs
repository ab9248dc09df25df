//! Generated SAI ABI (filled by the SAI headers issue).
#![forbid(unsafe_code)]
