//! ISO-BMFF boxes, one box (or one tightly coupled family, such as `edts`/`elst`) per file.
//!
//! The progressive writer (`mp4.rs`) and the fragmented writer (`fmp4.rs`) both write their
//! headers through these functions, so a box means the same bytes in both outputs.

mod buf;
pub(crate) mod ctts;
pub(crate) mod dinf;
pub(crate) mod elst;
pub(crate) mod ftyp;
pub(crate) mod hdlr;
pub(crate) mod mdat;
pub(crate) mod mdhd;
pub(crate) mod mfhd;
pub(crate) mod mvex;
pub(crate) mod mvhd;
pub(crate) mod sidx;
pub(crate) mod smhd;
pub(crate) mod stco;
pub(crate) mod stsc;
pub(crate) mod stsd;
pub(crate) mod stss;
pub(crate) mod stsz;
pub(crate) mod stts;
pub(crate) mod tfdt;
pub(crate) mod tfhd;
pub(crate) mod tkhd;
pub(crate) mod trun;
pub(crate) mod vmhd;

pub(crate) use buf::BoxBuf;

/// The identity transformation matrix shared by `mvhd` and `tkhd` (16.16 and 2.30 fixed point).
pub(crate) fn matrix(b: &mut BoxBuf) {
    for v in [0x0001_0000u32, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000] {
        b.u32(v);
    }
}
