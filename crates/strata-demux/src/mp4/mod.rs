//! ISO base media file format (MP4, MOV, 3GP): progressive and fragmented.
//!
//! Open walks the top-level boxes with seeks (never reading `mdat`), reads `moov` and each
//! `moof` into memory within `Limits::max_header_bytes`, and expands every track's sample table.
//! Sample bytes are read only by the packet iterators, each with its own file handle.

mod bytes;
mod fragments;
pub(crate) mod sample_entry;
mod sample_table;

use crate::{DemuxError, Demuxer};
use bytes::{fourcc_str, BoxRef};
use fragments::Trex;
use sample_table::Sample;
use std::fs::File;
use std::io::{ErrorKind, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use strata_core::{CodecParams, EditList, Limits, Packet, Rational, TimeBase, Track, TrackKind};

/// Box types that may start an ISO-BMFF file; anything else is not sniffed as MP4.
const FIRST_BOX_TYPES: &[&[u8; 4]] = &[
    b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"pnot", b"uuid", b"styp", b"sidx",
    b"moof", b"junk", b"pdin",
];

/// Whether the first bytes of a file look like an ISO-BMFF box header.
pub(crate) fn sniff(head: &[u8]) -> bool {
    match head.get(4..8) {
        Some(t) => FIRST_BOX_TYPES.iter().any(|f| f.as_slice() == t),
        None => false,
    }
}

/// A top-level box found by the scan.
#[derive(Debug, Clone, Copy)]
struct Loc {
    offset: u64,
    header: u64,
    size: u64,
}

struct TopLevel {
    major_brand: Option<[u8; 4]>,
    moov: Option<Loc>,
    moofs: Vec<Loc>,
}

/// Reads up to `buf.len()` bytes, fewer only at end of file.
fn read_fully(f: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

fn scan_top_level(f: &mut File, file_len: u64, limits: &Limits) -> Result<TopLevel, DemuxError> {
    let mut top = TopLevel {
        major_brand: None,
        moov: None,
        moofs: Vec::new(),
    };
    let mut pos = 0u64;
    let mut first = true;
    while file_len.saturating_sub(pos) >= 8 {
        f.seek(SeekFrom::Start(pos))?;
        let mut h = [0u8; 16];
        let n = read_fully(f, &mut h)?;
        let size32 = u32::from_be_bytes([h[0], h[1], h[2], h[3]]);
        let typ = [h[4], h[5], h[6], h[7]];
        let (size, header) = match size32 {
            0 => (file_len - pos, 8),
            1 if n >= 16 => (
                u64::from_be_bytes([h[8], h[9], h[10], h[11], h[12], h[13], h[14], h[15]]),
                16,
            ),
            1 => break,
            s => (u64::from(s), 8),
        };
        if size < header {
            return Err(DemuxError::malformed(
                format!(
                    "top-level box '{}' declares size {size}, smaller than its header",
                    fourcc_str(&typ)
                ),
                pos,
            ));
        }
        let end = pos.saturating_add(size);
        if end > file_len {
            // A cut-off mdat (or anything else) ends the scan: whether that matters is decided by
            // what the moov's tables point at. A cut-off moov or moof cannot be parsed at all.
            let needed_header = &typ == b"moof" || (&typ == b"moov" && top.moov.is_none());
            if !needed_header {
                break;
            }
            return Err(DemuxError::Truncated {
                what: format!("'{}' box", fourcc_str(&typ)),
                offset: pos,
                needed: size,
                file_len,
            });
        }
        let loc = Loc {
            offset: pos,
            header,
            size,
        };
        match &typ {
            b"ftyp" if first && n >= 12 && header == 8 => {
                top.major_brand = Some([h[8], h[9], h[10], h[11]]);
            }
            b"moov" if top.moov.is_none() => top.moov = Some(loc),
            b"moof" => {
                if top.moofs.len() as u64 >= u64::from(limits.max_samples) {
                    return Err(DemuxError::LimitExceeded {
                        what: "movie fragments (moof boxes)",
                        value: top.moofs.len() as u64 + 1,
                        limit: u64::from(limits.max_samples),
                    });
                }
                top.moofs.push(loc);
            }
            _ => {}
        }
        first = false;
        pos = end;
    }
    Ok(top)
}

fn read_payload(f: &mut File, loc: Loc, limits: &Limits) -> Result<Vec<u8>, DemuxError> {
    let len = loc.size - loc.header;
    if len > limits.max_header_bytes {
        return Err(DemuxError::LimitExceeded {
            what: "metadata box size (bytes)",
            value: len,
            limit: limits.max_header_bytes,
        });
    }
    let len = usize::try_from(len).map_err(|_| DemuxError::LimitExceeded {
        what: "metadata box size (bytes)",
        value: len,
        limit: usize::MAX as u64,
    })?;
    f.seek(SeekFrom::Start(loc.offset + loc.header))?;
    let mut buf = vec![0u8; len];
    f.read_exact(&mut buf)?;
    Ok(buf)
}

/// A track while the movie is being assembled (before fragments are appended).
pub(crate) struct PendingTrack {
    pub(crate) id: u32,
    kind: TrackKind,
    time_base: TimeBase,
    codec: CodecParams,
    edits: Option<EditList>,
    language: String,
    pub(crate) samples: Vec<Sample>,
}

impl PendingTrack {
    /// Decode time right after the last known sample.
    pub(crate) fn next_dts(&self) -> i64 {
        self.samples
            .last()
            .map_or(0, |s| s.dts.saturating_add(i64::from(s.duration)))
    }
}

fn parse_mvhd(b: &BoxRef<'_>) -> Result<TimeBase, DemuxError> {
    let mut c = b.cursor("mvhd");
    let (v, _) = c.full_box()?;
    c.skip(if v == 1 { 16 } else { 8 })?;
    let ts = c.u32()?;
    TimeBase::new(ts).map_err(|_| DemuxError::malformed("mvhd timescale is 0", b.offset))
}

fn parse_elst(b: &BoxRef<'_>) -> Result<Option<EditList>, DemuxError> {
    let mut c = b.cursor("elst");
    let (v, _) = c.full_box()?;
    let count = c.u32()?;
    c.check_table(u64::from(count), if v == 1 { 20 } else { 12 })?;
    if count == 0 {
        return Ok(None);
    }
    let mut el = EditList::default();
    let mut have_media = false;
    for _ in 0..count {
        let (seg, mt) = if v == 1 {
            (c.u64()?, c.i64()?)
        } else {
            (u64::from(c.u32()?), i64::from(c.i32()?))
        };
        c.skip(4)?;
        let seg = i64::try_from(seg)
            .map_err(|_| DemuxError::malformed("edit duration above 2^63", b.offset))?;
        if have_media {
            // Later edits (repeats, trims in the middle) are not modelled by EditList.
            break;
        }
        if mt == -1 {
            el.empty_duration = el.empty_duration.saturating_add(seg);
        } else {
            el.media_time = mt;
            el.segment_duration = seg;
            have_media = true;
        }
    }
    Ok(Some(el))
}

fn language(code: u16) -> String {
    // Values below 0x400 are Macintosh language codes (QuickTime), not packed ISO-639 letters.
    if code < 0x400 {
        return "und".to_string();
    }
    let letters: Vec<u8> = [10u16, 5, 0]
        .iter()
        .map(|s| ((code >> s) & 0x1F) as u8 + 0x60)
        .collect();
    if letters.iter().all(u8::is_ascii_lowercase) {
        String::from_utf8(letters).unwrap_or_else(|_| "und".to_string())
    } else {
        "und".to_string()
    }
}

fn parse_trak(
    trak: &BoxRef<'_>,
    limits: &Limits,
    file_len: u64,
) -> Result<PendingTrack, DemuxError> {
    let tkhd = trak.required(b"tkhd")?;
    let mut c = tkhd.cursor("tkhd");
    let (v, _) = c.full_box()?;
    c.skip(if v == 1 { 16 } else { 8 })?;
    let id = c.u32()?;
    c.skip(if v == 1 { 12 } else { 8 })?;
    // reserved(8) + layer + alternate_group + volume + reserved(2), then the matrix.
    c.skip(8 + 8)?;
    let mut m = [0i32; 9];
    for v in &mut m {
        *v = c.u32()? as i32;
    }
    let rotation = matrix_rotation(&m);
    let tkhd_size = (c.u32()? >> 16, c.u32()? >> 16);

    let mdia = trak.required(b"mdia")?;
    let mdhd = mdia.required(b"mdhd")?;
    let mut c = mdhd.cursor("mdhd");
    let (v, _) = c.full_box()?;
    c.skip(if v == 1 { 16 } else { 8 })?;
    let ts = c.u32()?;
    c.skip(if v == 1 { 8 } else { 4 })?;
    let lang = language(c.u16()?);
    let time_base = TimeBase::new(ts).map_err(|_| {
        DemuxError::malformed(format!("mdhd timescale of track {id} is 0"), mdhd.offset)
    })?;

    let hdlr = mdia.required(b"hdlr")?;
    let mut c = hdlr.cursor("hdlr");
    c.full_box()?;
    c.skip(4)?;
    let kind = match &c.fourcc()? {
        b"vide" => TrackKind::Video,
        b"soun" => TrackKind::Audio,
        _ => TrackKind::Other,
    };

    let stbl = mdia.required(b"minf")?.required(b"stbl")?;
    let mut codec = sample_entry::parse_stsd(&stbl.required(b"stsd")?, tkhd_size, limits)?;
    if let CodecParams::H264 { video, .. } = &mut codec {
        video.rotation = rotation;
    }
    let samples = sample_table::parse_stbl(&stbl, limits, file_len, id)?;
    let edits = match trak.child(b"edts")? {
        Some(edts) => match edts.child(b"elst")? {
            Some(elst) => parse_elst(&elst)?,
            None => None,
        },
        None => None,
    };
    Ok(PendingTrack {
        id,
        kind,
        time_base,
        codec,
        edits,
        language: lang,
        samples,
    })
}

/// Clockwise display rotation from a `tkhd` matrix `[a b u; c d v; x y w]`, which maps a point
/// (p, q) to (a·p + c·q, b·p + d·q): a = d = 0, b = 1, c = -1 turns the x axis onto the
/// (downward) y axis, i.e. 90° clockwise. Only quarter turns are meaningful for video; anything
/// else (shear, odd angles) is treated as no rotation.
fn matrix_rotation(m: &[i32; 9]) -> u16 {
    let (a, b, c, d) = (m[0], m[1], m[3], m[4]);
    let one = 0x1_0000;
    match (a, b, c, d) {
        (x, 0, 0, y) if x == one && y == one => 0,
        (0, x, y, 0) if x == one && y == -one => 90,
        (x, 0, 0, y) if x == -one && y == -one => 180,
        (0, x, y, 0) if x == -one && y == one => 270,
        _ => 0,
    }
}

/// The nominal frame rate when every sample but the last (muxers often shorten or stretch the
/// final one) has the same duration.
fn constant_rate(samples: &[Sample], tb: TimeBase) -> Option<Rational> {
    let head = samples
        .get(..samples.len().saturating_sub(1))
        .unwrap_or(&[]);
    let reference = if head.is_empty() { samples } else { head };
    let d = reference.first()?.duration;
    if d == 0 || reference.iter().any(|s| s.duration != d) {
        return None;
    }
    Rational::new(i64::from(tb.ticks_per_second()), i64::from(d)).ok()
}

fn finalize(
    t: PendingTrack,
    movie_time_base: TimeBase,
    limits: &Limits,
    file_len: u64,
) -> Result<(Track, Arc<[Sample]>), DemuxError> {
    let mut duration: i64 = 0;
    for (k, s) in t.samples.iter().enumerate() {
        if s.size > limits.max_sample_bytes {
            return Err(DemuxError::LimitExceeded {
                what: "sample size (bytes)",
                value: u64::from(s.size),
                limit: u64::from(limits.max_sample_bytes),
            });
        }
        if s.offset.saturating_add(u64::from(s.size)) > file_len {
            return Err(DemuxError::Truncated {
                what: format!("sample {k} of track {}", t.id),
                offset: s.offset,
                needed: u64::from(s.size),
                file_len,
            });
        }
        duration = duration.saturating_add(i64::from(s.duration));
    }
    let mut codec = t.codec;
    if let CodecParams::H264 { video, .. } = &mut codec {
        video.frame_rate = constant_rate(&t.samples, t.time_base);
    }
    let track = Track {
        id: t.id,
        kind: t.kind,
        time_base: t.time_base,
        movie_time_base,
        codec,
        // parse_stbl and apply_moof keep the count within limits.max_samples (a u32).
        sample_count: u32::try_from(t.samples.len()).unwrap_or(u32::MAX),
        duration,
        edits: t.edits,
        language: t.language,
    };
    Ok((track, t.samples.into()))
}

/// Opens an ISO-BMFF file whose first bytes were already sniffed.
pub(crate) fn open(
    path: &Path,
    mut file: File,
    file_len: u64,
    limits: Limits,
) -> Result<Box<dyn Demuxer>, DemuxError> {
    let top = scan_top_level(&mut file, file_len, &limits)?;
    let moov_loc = top.moov.ok_or(DemuxError::NoMoov)?;
    let moov_data = read_payload(&mut file, moov_loc, &limits)?;
    let moov = BoxRef {
        typ: *b"moov",
        offset: moov_loc.offset,
        payload: &moov_data,
        payload_offset: moov_loc.offset + moov_loc.header,
    };
    if moov.child(b"cmov")?.is_some() {
        return Err(DemuxError::malformed(
            "compressed movie header (cmov) is not supported",
            moov.offset,
        ));
    }
    let movie_time_base = parse_mvhd(&moov.required(b"mvhd")?)?;
    let mut pending: Vec<PendingTrack> = Vec::new();
    let mut trex: Vec<Trex> = Vec::new();
    for b in moov.children() {
        let b = b?;
        match &b.typ {
            b"trak" => {
                if pending.len() as u64 >= u64::from(limits.max_tracks) {
                    return Err(DemuxError::LimitExceeded {
                        what: "tracks",
                        value: pending.len() as u64 + 1,
                        limit: u64::from(limits.max_tracks),
                    });
                }
                let t = parse_trak(&b, &limits, file_len)?;
                if pending.iter().any(|p| p.id == t.id) {
                    return Err(DemuxError::malformed(
                        format!("two tracks have id {}", t.id),
                        b.offset,
                    ));
                }
                pending.push(t);
            }
            b"mvex" => {
                for e in b.children() {
                    let e = e?;
                    if &e.typ == b"trex" {
                        trex.push(fragments::parse_trex(&e)?);
                    }
                }
            }
            _ => {}
        }
    }
    drop(moov_data);
    if !pending
        .iter()
        .any(|t| matches!(t.kind, TrackKind::Video | TrackKind::Audio))
    {
        return Err(DemuxError::NoTracks);
    }
    for loc in &top.moofs {
        let data = read_payload(&mut file, *loc, &limits)?;
        let moof = BoxRef {
            typ: *b"moof",
            offset: loc.offset,
            payload: &data,
            payload_offset: loc.offset + loc.header,
        };
        fragments::apply_moof(&moof, &mut pending, &trex, &limits)?;
    }
    let mut tracks = Vec::with_capacity(pending.len());
    let mut samples = Vec::with_capacity(pending.len());
    for t in pending {
        let (track, s) = finalize(t, movie_time_base, &limits, file_len)?;
        tracks.push(track);
        samples.push(s);
    }
    let format = match top.major_brand {
        Some(b) if &b == b"qt  " => "mov",
        Some(_) => "mp4",
        // Classic QuickTime files predate ftyp.
        None => "mov",
    };
    Ok(Box::new(Mp4Demuxer {
        path: path.to_path_buf(),
        format,
        file_len,
        tracks,
        samples,
    }))
}

struct Mp4Demuxer {
    path: PathBuf,
    format: &'static str,
    file_len: u64,
    tracks: Vec<Track>,
    /// Parallel to `tracks`; shared with the iterators so several can run at once.
    samples: Vec<Arc<[Sample]>>,
}

impl Demuxer for Mp4Demuxer {
    fn format_name(&self) -> &'static str {
        self.format
    }

    fn tracks(&self) -> &[Track] {
        &self.tracks
    }

    fn packets(
        &self,
        track_id: u32,
    ) -> Result<Box<dyn Iterator<Item = Result<Packet, DemuxError>> + Send>, DemuxError> {
        self.packets_from(track_id, 0)
    }

    fn sample_times(&self, track_id: u32) -> Option<Vec<crate::SampleTime>> {
        let idx = self.tracks.iter().position(|t| t.id == track_id)?;
        Some(
            self.samples
                .get(idx)?
                .iter()
                .map(|s| crate::SampleTime {
                    dts: s.dts,
                    pts: s.pts,
                    keyframe: s.keyframe,
                })
                .collect(),
        )
    }

    fn packets_from(
        &self,
        track_id: u32,
        first: usize,
    ) -> Result<Box<dyn Iterator<Item = Result<Packet, DemuxError>> + Send>, DemuxError> {
        let idx = self
            .tracks
            .iter()
            .position(|t| t.id == track_id)
            .ok_or(DemuxError::UnknownTrack(track_id))?;
        let samples = self
            .samples
            .get(idx)
            .cloned()
            .ok_or(DemuxError::UnknownTrack(track_id))?;
        Ok(Box::new(Mp4Packets {
            file: File::open(&self.path)?,
            next: first.min(samples.len()),
            samples,
            track_id,
            pos: None,
            file_len: self.file_len,
        }))
    }
}

struct Mp4Packets {
    file: File,
    samples: Arc<[Sample]>,
    next: usize,
    track_id: u32,
    /// Where the file cursor is, to skip the seek between contiguous samples.
    pos: Option<u64>,
    file_len: u64,
}

impl Mp4Packets {
    fn read(&mut self, k: usize, s: Sample) -> Result<Packet, DemuxError> {
        let truncated = || DemuxError::Truncated {
            what: format!("sample {k} of track {}", self.track_id),
            offset: s.offset,
            needed: u64::from(s.size),
            file_len: self.file_len,
        };
        if self.pos != Some(s.offset) {
            self.file.seek(SeekFrom::Start(s.offset))?;
        }
        self.pos = None;
        let mut data = vec![0u8; s.size as usize];
        match self.file.read_exact(&mut data) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::UnexpectedEof => return Err(truncated()),
            Err(e) => return Err(e.into()),
        }
        self.pos = s.offset.checked_add(u64::from(s.size));
        Ok(Packet {
            track_id: self.track_id,
            data,
            dts: s.dts,
            pts: s.pts,
            duration: i64::from(s.duration),
            keyframe: s.keyframe,
        })
    }
}

impl Iterator for Mp4Packets {
    type Item = Result<Packet, DemuxError>;

    fn next(&mut self) -> Option<Self::Item> {
        let k = self.next;
        let s = *self.samples.get(k)?;
        self.next += 1;
        let r = self.read(k, s);
        if r.is_err() {
            // After a failed read the file position is unknown and the file likely shorter
            // than at open; stop rather than emit a stream with holes.
            self.next = self.samples.len();
        }
        Some(r)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.samples.len().saturating_sub(self.next);
        (n, Some(n))
    }
}
