//! `mvex` holding one `trex` per track: announces movie fragments.

use super::BoxBuf;

/// Writes `mvex` with a `trex` per `(track_id, default_sample_flags)`. Defaults other than the
/// flags stay 0 because every `trun` carries its own durations and sizes.
pub(crate) fn write(b: &mut BoxBuf, tracks: &[(u32, u32)]) {
    b.begin(b"mvex");
    for &(id, flags) in tracks {
        b.begin_full(b"trex", 0, 0)
            .u32(id)
            .u32(1)
            .u32(0)
            .u32(0)
            .u32(flags)
            .end();
    }
    b.end();
}
