//! `stsz`: sample sizes.

use super::BoxBuf;

/// Writes one size per sample (sample_size 0 = sizes listed).
pub(crate) fn write(b: &mut BoxBuf, sizes: &[u32]) {
    b.begin_full(b"stsz", 0, 0).u32(0).u32(sizes.len() as u32);
    for &s in sizes {
        b.u32(s);
    }
    b.end();
}
