//! `dinf` holding a `dref` with one self-contained `url ` entry.

use super::BoxBuf;

/// The data is always in the same file (flag 1 on `url `).
pub(crate) fn write(b: &mut BoxBuf) {
    b.begin(b"dinf")
        .begin_full(b"dref", 0, 0)
        .u32(1)
        .begin_full(b"url ", 0, 1)
        .end()
        .end()
        .end();
}
