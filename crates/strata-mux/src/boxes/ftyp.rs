//! `ftyp` (file type) and `styp` (segment type): the same layout under two names.

use super::BoxBuf;

/// Writes `ftyp` or `styp` (`kind`) with a major brand, minor version and compatible brands.
pub(crate) fn write(
    b: &mut BoxBuf,
    kind: &[u8; 4],
    major: &[u8; 4],
    minor: u32,
    compatible: &[&[u8; 4]],
) {
    b.begin(kind).bytes(major).u32(minor);
    for brand in compatible {
        b.bytes(*brand);
    }
    b.end();
}
