//! Lab control agent.
fn main() {}
