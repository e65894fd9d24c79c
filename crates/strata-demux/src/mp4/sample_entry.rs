//! `stsd` sample entries → [`CodecParams`].
//!
//! Only the first sample entry is read: files with several descriptions per track are rare and
//! the engine could not switch decoder configuration mid-track anyway.

use super::bytes::{fourcc_str, BoxRef, Children, Cursor};
use crate::DemuxError;
use strata_core::{AudioParams, CodecParams, Limits, Rational, VideoParams};

/// Parses `stsd`; `tkhd_size` is the track header's width and height, used when a visual
/// sample entry leaves its own at zero.
pub(crate) fn parse_stsd(
    stsd: &BoxRef<'_>,
    tkhd_size: (u32, u32),
    limits: &Limits,
) -> Result<CodecParams, DemuxError> {
    let mut c = stsd.cursor("stsd");
    c.full_box()?;
    let count = c.u32()?;
    let off = c.offset();
    let first = if count == 0 {
        None
    } else {
        Children::new(c.rest(), off).next().transpose()?
    };
    let Some(entry) = first else {
        return Err(DemuxError::malformed(
            "stsd has no sample entry",
            stsd.offset,
        ));
    };
    match &entry.typ {
        b"avc1" | b"avc3" => parse_avc(&entry, tkhd_size, limits),
        b"mp4a" => parse_mp4a(&entry),
        other => Ok(unsupported(other, &unsupported_name(other))),
    }
}

fn unsupported(fourcc: &[u8; 4], name: &str) -> CodecParams {
    CodecParams::Unsupported {
        name: name.to_string(),
        fourcc: *fourcc,
    }
}

fn unsupported_name(t: &[u8; 4]) -> String {
    let name = match t {
        b"hvc1" | b"hev1" | b"dvh1" | b"dvhe" => "HEVC",
        b"mp4v" => "MPEG-4 Part 2",
        b"s263" | b"h263" | b"H263" => "H.263",
        b"rle " => "QuickTime Animation (RLE)",
        b"av01" => "AV1",
        b"vp09" => "VP9",
        b"vp08" => "VP8",
        b"Opus" => "Opus",
        b"ac-3" => "AC-3",
        b"ec-3" => "E-AC-3",
        b".mp3" => "MP3",
        b"fLaC" => "FLAC",
        b"alac" => "ALAC",
        b"jpeg" | b"mjpa" | b"mjpb" => "Motion JPEG",
        b"apch" | b"apcn" | b"apcs" | b"apco" | b"ap4h" | b"ap4x" => "Apple ProRes",
        b"lpcm" | b"sowt" | b"twos" | b"ipcm" | b"in24" | b"in32" | b"fl32" | b"fl64" => "PCM",
        _ => return fourcc_str(t),
    };
    name.to_string()
}

/// VisualSampleEntry fields before the child boxes: reserved(6) + data_reference_index(2) +
/// pre_defined/reserved(16), then width(2), height(2), then 50 bytes up to the children.
fn parse_avc(
    entry: &BoxRef<'_>,
    tkhd_size: (u32, u32),
    limits: &Limits,
) -> Result<CodecParams, DemuxError> {
    let mut c = entry.cursor("visual sample entry");
    c.skip(24)?;
    let w = u32::from(c.u16()?);
    let h = u32::from(c.u16()?);
    c.skip(50)?;
    let base = c.offset();
    let children = c.rest();
    let mut avcc = None;
    let mut pasp = None;
    for b in Children::new(children, base) {
        let b = b?;
        match &b.typ {
            b"avcC" if avcc.is_none() => avcc = Some(b.payload.to_vec()),
            b"pasp" if pasp.is_none() => pasp = Some(b),
            _ => {}
        }
    }
    let Some(avcc) = avcc else {
        return Err(DemuxError::malformed(
            format!("'{}' sample entry has no avcC box", fourcc_str(&entry.typ)),
            entry.offset,
        ));
    };
    let width = if w == 0 { tkhd_size.0 } else { w };
    let height = if h == 0 { tkhd_size.1 } else { h };
    check_size(width, height, limits)?;
    let pixel_aspect = match pasp {
        Some(p) => {
            let mut pc = p.cursor("pasp");
            let hs = pc.u32()?;
            let vs = pc.u32()?;
            if hs == 0 || vs == 0 {
                Rational::from_int(1)
            } else {
                Rational::new(i64::from(hs), i64::from(vs)).unwrap_or(Rational::from_int(1))
            }
        }
        None => Rational::from_int(1),
    };
    Ok(CodecParams::H264 {
        avcc,
        video: VideoParams {
            width,
            height,
            pixel_aspect,
            frame_rate: None,
            rotation: 0,
            top_field_first: None,
        },
    })
}

pub(crate) fn check_size(width: u32, height: u32, limits: &Limits) -> Result<(), DemuxError> {
    if width > limits.max_width {
        return Err(DemuxError::LimitExceeded {
            what: "picture width",
            value: u64::from(width),
            limit: u64::from(limits.max_width),
        });
    }
    if height > limits.max_height {
        return Err(DemuxError::LimitExceeded {
            what: "picture height",
            value: u64::from(height),
            limit: u64::from(limits.max_height),
        });
    }
    Ok(())
}

/// AudioSampleEntry: reserved(6) + data_reference_index(2) + version(2) + revision(2) +
/// vendor(4) + channelcount(2) + samplesize(2) + compression_id(2) + packet_size(2) +
/// samplerate(4, 16.16) = 28 bytes; QuickTime sound description v1 adds 16, v2 adds 36.
fn parse_mp4a(entry: &BoxRef<'_>) -> Result<CodecParams, DemuxError> {
    let mut c = entry.cursor("audio sample entry");
    c.skip(8)?;
    let version = c.u16()?;
    c.skip(6)?;
    let mut channels = u32::from(c.u16()?);
    c.skip(6)?;
    let mut rate = c.u32()? >> 16;
    let ext_start = match version {
        1 => 44,
        2 => {
            c.skip(4)?;
            let r = f64::from_bits(c.u64()?);
            if r.is_finite() && r > 0.0 {
                // `as` saturates; a silly rate only matters when the ASC lacks one.
                rate = r as u32;
            }
            channels = c.u32()?;
            64
        }
        _ => 28,
    };
    // ISO "AudioSampleEntryV1" reuses version 1 without the QuickTime fields, so when the
    // QuickTime layout finds nothing the plain 28-byte layout is tried.
    let esds = find_esds(entry, ext_start).or_else(|| find_esds(entry, 28));
    let Some(esds) = esds else {
        return Ok(unsupported(&entry.typ, "mp4a without esds"));
    };
    let (oti, dsi) = parse_esds(&esds)?;
    let fallback = AudioParams {
        channels: u16::try_from(channels).unwrap_or(u16::MAX),
        sample_rate: rate,
    };
    Ok(match oti {
        0x40 | 0x66 | 0x67 | 0x68 => {
            let audio = match dsi {
                Some(asc) => {
                    let parsed = parse_asc(asc).ok_or_else(|| {
                        DemuxError::malformed(
                            "AAC AudioSpecificConfig is too short or uses a reserved \
                             sampling frequency index",
                            esds.payload_offset,
                        )
                    })?;
                    AudioParams {
                        channels: parsed.channels.unwrap_or(fallback.channels),
                        sample_rate: parsed.sample_rate,
                    }
                }
                None => fallback,
            };
            CodecParams::Aac {
                asc: dsi.map(<[u8]>::to_vec).unwrap_or_default(),
                object_type: oti,
                audio,
            }
        }
        0x69 | 0x6B => unsupported(&entry.typ, "MP3"),
        0xDD => unsupported(&entry.typ, "Vorbis"),
        0xA5 => unsupported(&entry.typ, "AC-3"),
        0xA6 => unsupported(&entry.typ, "E-AC-3"),
        0xAD => unsupported(&entry.typ, "Opus"),
        other => unsupported(
            &entry.typ,
            &format!("MPEG-4 audio with object type indication 0x{other:02X}"),
        ),
    })
}

/// The `esds` child of an audio entry whose children start `start` bytes into the payload,
/// directly or inside a QuickTime `wave` atom. Any structural error means "not at this offset".
fn find_esds<'a>(entry: &BoxRef<'a>, start: usize) -> Option<BoxRef<'a>> {
    let data = entry.payload.get(start..)?;
    let base = entry.payload_offset.saturating_add(start as u64);
    for b in Children::new(data, base) {
        let b = b.ok()?;
        match &b.typ {
            b"esds" => return Some(b),
            b"wave" => {
                for w in b.children() {
                    let w = w.ok()?;
                    if &w.typ == b"esds" {
                        return Some(w);
                    }
                }
            }
            _ => {}
        }
    }
    None
}

/// Reads an MPEG-4 descriptor header: tag and the 7-bits-per-byte length (at most 4 bytes).
/// The length is clamped to what is left because some writers get it wrong by a few bytes.
fn descriptor<'a>(c: &mut Cursor<'a>) -> Result<(u8, Cursor<'a>), DemuxError> {
    let tag = c.u8()?;
    let mut len: usize = 0;
    for _ in 0..4 {
        let b = c.u8()?;
        len = (len << 7) | usize::from(b & 0x7F);
        if b & 0x80 == 0 {
            break;
        }
    }
    let off = c.offset();
    let body = c.bytes(len.min(c.remaining()))?;
    Ok((tag, Cursor::new(body, off, "esds descriptor")))
}

/// Returns the object type indication and the DecoderSpecificInfo (the AudioSpecificConfig).
fn parse_esds<'a>(esds: &BoxRef<'a>) -> Result<(u8, Option<&'a [u8]>), DemuxError> {
    let mut c = esds.cursor("esds");
    c.full_box()?;
    let (mut tag, mut body) = descriptor(&mut c)?;
    if tag == 0x03 {
        body.skip(2)?;
        let flags = body.u8()?;
        if flags & 0x80 != 0 {
            body.skip(2)?;
        }
        if flags & 0x40 != 0 {
            let n = body.u8()?;
            body.skip(usize::from(n))?;
        }
        if flags & 0x20 != 0 {
            body.skip(2)?;
        }
        // The DecoderConfigDescriptor follows, possibly after other descriptors.
        loop {
            let (t, b) = descriptor(&mut body)?;
            if t == 0x04 {
                tag = t;
                body = b;
                break;
            }
        }
    }
    if tag != 0x04 {
        return Err(DemuxError::malformed(
            "esds has no DecoderConfigDescriptor",
            esds.offset,
        ));
    }
    let oti = body.u8()?;
    body.skip(12)?;
    while body.remaining() > 0 {
        let (t, mut b) = descriptor(&mut body)?;
        if t == 0x05 {
            return Ok((oti, Some(b.rest())));
        }
    }
    Ok((oti, None))
}

struct Asc {
    sample_rate: u32,
    channels: Option<u16>,
}

struct Bits<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Bits<'_> {
    fn read(&mut self, n: u32) -> Option<u32> {
        let mut v = 0u32;
        for _ in 0..n {
            let byte = *self.data.get(self.pos / 8)?;
            let bit = (byte >> (7 - (self.pos % 8))) & 1;
            v = (v << 1) | u32::from(bit);
            self.pos += 1;
        }
        Some(v)
    }

    fn rate(&mut self) -> Option<u32> {
        match self.read(4)? {
            15 => self.read(24),
            i => strata_core::AAC_SAMPLE_RATES.get(i as usize).copied(),
        }
    }
}

/// The AudioSpecificConfig's rate and channel count (ISO 14496-3 1.6.2.1). For SBR/PS (HE-AAC)
/// the extension rate is the output rate, which is what downstream resampling needs.
fn parse_asc(asc: &[u8]) -> Option<Asc> {
    let mut b = Bits { data: asc, pos: 0 };
    let mut aot = b.read(5)?;
    if aot == 31 {
        aot = 32 + b.read(6)?;
    }
    let mut sample_rate = b.rate()?;
    let config = b.read(4)?;
    if aot == 5 || aot == 29 {
        sample_rate = b.rate()?;
    }
    // Configuration 0 means "see the program config element"; the caller falls back to the
    // sample entry then.
    const CHANNELS: [u16; 16] = [0, 1, 2, 3, 4, 5, 6, 8, 0, 0, 0, 7, 8, 24, 8, 0];
    let mut channels = CHANNELS.get(config as usize).copied().filter(|&c| c > 0);
    if aot == 29 && channels == Some(1) {
        // Parametric stereo decodes a mono core to two channels.
        channels = Some(2);
    }
    Some(Asc {
        sample_rate,
        channels,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asc_lc_stereo_48k() {
        let a = parse_asc(&[0x11, 0x90]).unwrap();
        assert_eq!((a.sample_rate, a.channels), (48000, Some(2)));
    }

    #[test]
    fn asc_escape_rate_and_51() {
        // AOT 2 (5 bits), index 15 (4), explicit 24-bit rate 48000, config 6 (4): 37 bits.
        let bits: u64 = (2 << 32) | (15 << 28) | (48000 << 4) | 6;
        let b = (bits << (64 - 37)).to_be_bytes();
        let a = parse_asc(&b[..5]).unwrap();
        assert_eq!((a.sample_rate, a.channels), (48000, Some(6)));
    }

    #[test]
    fn asc_too_short() {
        assert!(parse_asc(&[0x11]).is_none());
    }
}
