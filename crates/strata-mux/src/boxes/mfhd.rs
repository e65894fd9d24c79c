//! `mfhd`: movie fragment header.

use super::BoxBuf;

/// Sequence numbers start at 1 and increase by one per fragment of the track.
pub(crate) fn write(b: &mut BoxBuf, sequence: u32) {
    b.begin_full(b"mfhd", 0, 0).u32(sequence).end();
}
