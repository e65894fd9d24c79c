//! `tfhd`: track fragment header.

use super::BoxBuf;

/// `default-base-is-moof`: data offsets count from the `moof`, so a fragment stays valid
/// wherever it lands (its own segment file or inside one big file).
pub(crate) const DEFAULT_BASE_IS_MOOF: u32 = 0x02_0000;
/// A default sample flags field follows.
pub(crate) const DEFAULT_SAMPLE_FLAGS_PRESENT: u32 = 0x00_0020;

/// Writes `tfhd` with default-base-is-moof and the fragment's default sample flags.
pub(crate) fn write(b: &mut BoxBuf, track_id: u32, default_sample_flags: u32) {
    b.begin_full(
        b"tfhd",
        0,
        DEFAULT_BASE_IS_MOOF | DEFAULT_SAMPLE_FLAGS_PRESENT,
    )
    .u32(track_id)
    .u32(default_sample_flags)
    .end();
}
