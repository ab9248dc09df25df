//! ferrosai forwarder daemon.
fn main() {}
