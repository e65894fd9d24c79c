//! Shared helpers: locating the test media and skipping when it is absent.

#![allow(dead_code)]

use std::path::PathBuf;

/// `/work/shared/testmedia` relative to this crate, or `None` (with a printed reason) when it
/// is not there, so the suite still passes on machines without the media.
pub fn media() -> Option<PathBuf> {
    let dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/testmedia"
    ));
    if dir.join("gen").is_dir() && dir.join("real").is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "skipping: test media not found at {} (see /work/shared/testmedia)",
            dir.display()
        );
        None
    }
}

/// A fresh scratch file path for one test (no tempfile crate: the crate takes no dev-deps).
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("strata-demux-tests-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}
