//! `stsc`: sample to chunk.

use super::BoxBuf;

/// Writes `(first_chunk, samples_per_chunk)` entries, all with sample description 1.
pub(crate) fn write(b: &mut BoxBuf, entries: &[(u32, u32)]) {
    b.begin_full(b"stsc", 0, 0).u32(entries.len() as u32);
    for &(first, n) in entries {
        b.u32(first).u32(n).u32(1);
    }
    b.end();
}
