//! `sidx`: segment index.

use super::BoxBuf;

/// One subsegment reference: the bytes of its `moof`+`mdat` and its duration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Reference {
    pub(crate) size: u32,
    pub(crate) duration: u32,
    pub(crate) starts_with_sap: bool,
}

/// Writes a version 1 `sidx` whose first reference starts right after the box
/// (`first_offset` 0). SAP type 1 (closed GOP IDR) is declared for references that start with
/// a sync sample, which is what the segmenter guarantees.
pub(crate) fn write(
    b: &mut BoxBuf,
    track_id: u32,
    timescale: u32,
    earliest_presentation_time: u64,
    refs: &[Reference],
) {
    b.begin_full(b"sidx", 1, 0)
        .u32(track_id)
        .u32(timescale)
        .u64(earliest_presentation_time)
        .u64(0)
        .u16(0)
        .u16(refs.len() as u16);
    for r in refs {
        b.u32(r.size & 0x7fff_ffff).u32(r.duration);
        b.u32(if r.starts_with_sap { 0x9000_0000 } else { 0 });
    }
    b.end();
}
