//! `stco` / `co64`: chunk offsets.

use super::BoxBuf;

/// Writes absolute chunk offsets, as `co64` when `co64` is set (the file passes 4 GiB),
/// otherwise as 32-bit `stco`.
pub(crate) fn write(b: &mut BoxBuf, offsets: impl ExactSizeIterator<Item = u64>, co64: bool) {
    if co64 {
        b.begin_full(b"co64", 0, 0).u32(offsets.len() as u32);
        for o in offsets {
            b.u64(o);
        }
    } else {
        b.begin_full(b"stco", 0, 0).u32(offsets.len() as u32);
        for o in offsets {
            b.u32(o as u32);
        }
    }
    b.end();
}
