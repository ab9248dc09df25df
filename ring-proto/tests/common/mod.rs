//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

/// A unique segment path under /dev/shm, removed on drop.
pub struct ShmPath(pub PathBuf);

impl ShmPath {
    pub fn new(tag: &str) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        ShmPath(PathBuf::from(format!(
            "/dev/shm/ferrosai-test-{tag}-{}-{nanos}",
            std::process::id()
        )))
    }
}

impl Drop for ShmPath {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
