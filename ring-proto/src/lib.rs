//! Shared-memory rings between libsai and the forwarder.
