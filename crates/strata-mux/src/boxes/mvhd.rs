//! `mvhd`: movie header.

use super::BoxBuf;

/// Version 1 (64-bit times) so long movies at fine timescales never overflow; creation and
/// modification times stay 0 so output bytes do not depend on the wall clock.
pub(crate) fn write(b: &mut BoxBuf, timescale: u32, duration: u64, next_track_id: u32) {
    b.begin_full(b"mvhd", 1, 0)
        .u64(0)
        .u64(0)
        .u32(timescale)
        .u64(duration)
        .u32(0x0001_0000)
        .u16(0x0100)
        .zeros(10);
    super::matrix(b);
    b.zeros(24).u32(next_track_id).end();
}
