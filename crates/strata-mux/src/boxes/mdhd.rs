//! `mdhd`: media header.

use super::BoxBuf;

/// Writes a version 1 `mdhd`.
pub(crate) fn write(b: &mut BoxBuf, timescale: u32, duration: u64, language: &str) {
    b.begin_full(b"mdhd", 1, 0)
        .u64(0)
        .u64(0)
        .u32(timescale)
        .u64(duration)
        .u16(pack_language(language))
        .u16(0)
        .end();
}

/// ISO-639-2/T packed as three 5-bit letters; anything else becomes "und" rather than a
/// field players would misread.
fn pack_language(lang: &str) -> u16 {
    let l = lang.as_bytes();
    if l.len() != 3 || !l.iter().all(u8::is_ascii_lowercase) {
        return pack_language("und");
    }
    l.iter()
        .fold(0u16, |acc, &c| (acc << 5) | u16::from(c - 0x60))
}
