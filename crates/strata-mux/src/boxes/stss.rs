//! `stss`: sync sample table.

use super::BoxBuf;

/// Writes the 1-based numbers of the sync samples.
pub(crate) fn write(b: &mut BoxBuf, syncs: &[u32]) {
    b.begin_full(b"stss", 0, 0).u32(syncs.len() as u32);
    for &s in syncs {
        b.u32(s);
    }
    b.end();
}
