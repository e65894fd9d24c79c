//! `ctts`: composition time to sample.

use super::BoxBuf;

/// Writes `(sample_count, offset)` runs; version 1 (signed) only when an offset is negative,
/// so files without negative offsets stay readable by version-0-only parsers.
pub(crate) fn write(b: &mut BoxBuf, runs: &[(u32, i32)]) {
    let neg = runs.iter().any(|&(_, o)| o < 0);
    b.begin_full(b"ctts", u8::from(neg), 0)
        .u32(runs.len() as u32);
    for &(n, o) in runs {
        b.u32(n).i32(o);
    }
    b.end();
}
