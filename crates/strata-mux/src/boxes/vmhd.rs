//! `vmhd`: video media header.

use super::BoxBuf;

/// Flags 1 is mandatory for `vmhd` (ISO 14496-12 §12.1.2).
pub(crate) fn write(b: &mut BoxBuf) {
    b.begin_full(b"vmhd", 0, 1).zeros(8).end();
}
