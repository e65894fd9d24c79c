//! `tkhd`: track header.

use super::BoxBuf;

/// Writes a version 1 `tkhd` flagged enabled + in-movie. `audio` sets the volume and alternate
/// group players expect for sound; `width`/`height` are the display size in whole pixels.
pub(crate) fn write(
    b: &mut BoxBuf,
    track_id: u32,
    duration: u64,
    audio: bool,
    width: u32,
    height: u32,
) {
    b.begin_full(b"tkhd", 1, 3)
        .u64(0)
        .u64(0)
        .u32(track_id)
        .u32(0)
        .u64(duration)
        .zeros(8)
        .u16(0)
        .u16(u16::from(audio))
        .u16(if audio { 0x0100 } else { 0 })
        .u16(0);
    super::matrix(b);
    b.u32(width << 16).u32(height << 16).end();
}
