//! `stsd`: sample descriptions (`avc1`+`avcC`(+`pasp`), `mp4a`+`esds`).

use super::BoxBuf;
use crate::TrackSpec;

/// Writes `stsd` with the one sample entry of `spec`.
pub(crate) fn write(b: &mut BoxBuf, spec: &TrackSpec) {
    b.begin_full(b"stsd", 0, 0).u32(1);
    sample_entry(b, spec);
    b.end();
}

/// Expandable descriptor size (ISO 14496-1 §8.3.3).
fn descriptor(b: &mut BoxBuf, tag: u8, body: &[u8]) {
    b.u8(tag);
    let n = body.len() as u32;
    // Four-byte size form, as most muxers write it; decoders accept both.
    b.u8(0x80 | ((n >> 21) & 0x7f) as u8)
        .u8(0x80 | ((n >> 14) & 0x7f) as u8)
        .u8(0x80 | ((n >> 7) & 0x7f) as u8)
        .u8((n & 0x7f) as u8);
    b.bytes(body);
}

fn sample_entry(b: &mut BoxBuf, spec: &TrackSpec) {
    match spec {
        TrackSpec::H264 {
            width,
            height,
            avcc,
            pixel_aspect,
        } => {
            b.begin(b"avc1").zeros(6).u16(1).zeros(16);
            b.u16(*width as u16).u16(*height as u16);
            b.u32(0x0048_0000).u32(0x0048_0000).u32(0).u16(1);
            let mut name = [0u8; 32];
            let label = b"Strata H.264";
            name[0] = label.len() as u8;
            name[1..=label.len()].copy_from_slice(label);
            b.bytes(&name).u16(0x18).u16(0xffff);
            b.begin(b"avcC").bytes(avcc).end();
            if let Some((h, v)) = pixel_aspect {
                b.begin(b"pasp").u32(*h).u32(*v).end();
            }
            b.end();
        }
        TrackSpec::Aac {
            asc,
            object_type,
            channels,
            sample_rate,
        } => {
            b.begin(b"mp4a").zeros(6).u16(1).zeros(8);
            b.u16(*channels).u16(16).u16(0).u16(0);
            b.u32(if *sample_rate <= 0xffff {
                sample_rate << 16
            } else {
                0
            });
            let mut dsi = BoxBuf::new();
            descriptor(&mut dsi, 0x05, asc);
            let mut dcd = BoxBuf::new();
            dcd.u8(*object_type).u8(0x15).u8(0).u16(0).u32(0).u32(0);
            dcd.bytes(&dsi.buf);
            let mut es = BoxBuf::new();
            es.u16(0).u8(0);
            descriptor(&mut es, 0x04, &dcd.buf);
            descriptor(&mut es, 0x06, &[0x02]);
            b.begin_full(b"esds", 0, 0);
            descriptor(b, 0x03, &es.buf);
            b.end().end();
        }
    }
}
