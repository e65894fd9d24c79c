//! `tfdt`: track fragment base media decode time.

use super::BoxBuf;

/// Always version 1: 32-bit decode times wrap after 27 hours at 90 kHz and after minutes at
/// the large timescales some encoders use.
pub(crate) fn write(b: &mut BoxBuf, base_media_decode_time: u64) {
    b.begin_full(b"tfdt", 1, 0)
        .u64(base_media_decode_time)
        .end();
}
