//! `hdlr`: handler reference.

use super::BoxBuf;

/// Writes the `vide` or `soun` handler with its conventional name.
pub(crate) fn write(b: &mut BoxBuf, video: bool) {
    let (handler, name): (&[u8; 4], &[u8]) = if video {
        (b"vide", b"VideoHandler\0")
    } else {
        (b"soun", b"SoundHandler\0")
    };
    b.begin_full(b"hdlr", 0, 0)
        .u32(0)
        .bytes(handler)
        .zeros(12)
        .bytes(name)
        .end();
}
