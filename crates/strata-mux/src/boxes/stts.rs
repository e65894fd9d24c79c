//! `stts`: decoding time to sample, run-length encoded durations.

use super::BoxBuf;

/// Writes `(sample_count, sample_delta)` runs; none for a fragmented file's empty table.
pub(crate) fn write(b: &mut BoxBuf, runs: &[(u32, u32)]) {
    b.begin_full(b"stts", 0, 0).u32(runs.len() as u32);
    for &(n, d) in runs {
        b.u32(n).u32(d);
    }
    b.end();
}
