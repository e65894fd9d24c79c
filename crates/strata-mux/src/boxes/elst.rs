//! `edts` holding one `elst` (edit list).

use super::BoxBuf;

/// Writes `edts`/`elst` version 1 with `(segment_duration, media_time)` entries; a media time
/// of -1 is an empty edit (a delay).
pub(crate) fn write(b: &mut BoxBuf, entries: &[(u64, i64)]) {
    b.begin(b"edts")
        .begin_full(b"elst", 1, 0)
        .u32(entries.len() as u32);
    for &(d, m) in entries {
        b.u64(d).u64(m as u64).u16(1).u16(0);
    }
    b.end().end();
}
