//! Fragmented MP4 (CMAF-compatible): an init segment (`ftyp` + `moov` with `mvex`) and media
//! segments (`styp`, optional `sidx`, `moof`, `mdat`), one track per file, or everything in one
//! file addressed by byte ranges.
//!
//! The writer never decides where a segment ends: the engine knows the shared IDR grid of all
//! layers and calls [`FragmentWriter::cut`] there, so segment N of every layer starts at the
//! same time. The writer only refuses a segment that does not start with a sync sample.

use crate::boxes::{self, BoxBuf};
use crate::{MuxError, Sample, TrackConfig, TrackSpec};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// The track id of every fragmented file Strata writes (CMAF: one track per file).
pub const FRAGMENT_TRACK_ID: u32 = 1;

/// Sample flags of a sync sample: depends on no other sample.
const SYNC_FLAGS: u32 = 0x0200_0000;
/// Sample flags of a non-sync sample: depends on others, `sample_is_non_sync_sample` set.
const NON_SYNC_FLAGS: u32 = 0x0101_0000;

/// A span of bytes in a file, as HLS `EXT-X-BYTERANGE` and DASH `indexRange` address it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ByteRange {
    /// First byte.
    pub offset: u64,
    /// Number of bytes.
    pub length: u64,
}

impl ByteRange {
    /// The last byte (inclusive), as DASH `first-last` ranges are written; `offset` for an
    /// empty range.
    pub fn last(&self) -> u64 {
        (self.offset + self.length)
            .saturating_sub(1)
            .max(self.offset)
    }
}

/// Writes the init segment of one track: `ftyp` (brands `cmf2`, `cmfc`, `iso6`), `moov` with
/// empty sample tables and `mvex`/`trex`.
///
/// The movie timescale is the track timescale, so `config.edits` durations are in track ticks.
///
/// # Errors
/// [`MuxError::Config`] for a zero timescale or an H.264 track without `avcC`.
pub fn init_segment(config: &TrackConfig) -> Result<Vec<u8>, MuxError> {
    validate(config)?;
    let mut b = BoxBuf::new();
    boxes::ftyp::write(
        &mut b,
        b"ftyp",
        b"cmf2",
        0,
        &[b"cmf2", b"cmfc", b"iso6", b"isom", b"mp41"],
    );
    let video = matches!(config.spec, TrackSpec::H264 { .. });
    let (w, h) = display_size(&config.spec);
    b.begin(b"moov");
    boxes::mvhd::write(&mut b, config.timescale, 0, FRAGMENT_TRACK_ID + 1);
    b.begin(b"trak");
    boxes::tkhd::write(&mut b, FRAGMENT_TRACK_ID, 0, !video, w, h);
    if let Some(e) = config.edits {
        let mut entries = Vec::new();
        if e.empty_duration > 0 {
            entries.push((e.empty_duration as u64, -1i64));
        }
        entries.push((e.segment_duration.max(0) as u64, e.media_time.max(0)));
        boxes::elst::write(&mut b, &entries);
    }
    b.begin(b"mdia");
    boxes::mdhd::write(&mut b, config.timescale, 0, &config.language);
    boxes::hdlr::write(&mut b, video);
    b.begin(b"minf");
    if video {
        boxes::vmhd::write(&mut b);
    } else {
        boxes::smhd::write(&mut b);
    }
    boxes::dinf::write(&mut b);
    b.begin(b"stbl");
    boxes::stsd::write(&mut b, &config.spec);
    boxes::stts::write(&mut b, &[]);
    boxes::stsc::write(&mut b, &[]);
    boxes::stsz::write(&mut b, &[]);
    boxes::stco::write(&mut b, std::iter::empty::<u64>(), false);
    b.end().end().end().end(); // stbl, minf, mdia, trak
    let default_flags = if video { NON_SYNC_FLAGS } else { SYNC_FLAGS };
    boxes::mvex::write(&mut b, &[(FRAGMENT_TRACK_ID, default_flags)]);
    b.end();
    Ok(b.buf)
}

fn validate(config: &TrackConfig) -> Result<(), MuxError> {
    if config.timescale == 0 {
        return Err(MuxError::Config("track timescale is 0".into()));
    }
    if matches!(&config.spec, TrackSpec::H264 { avcc, .. } if avcc.is_empty()) {
        return Err(MuxError::Config(
            "H.264 init segment needs the avcC record".into(),
        ));
    }
    Ok(())
}

/// `tkhd` carries the display size: the coded width stretched by a non-square pixel aspect.
pub(crate) fn display_size(spec: &TrackSpec) -> (u32, u32) {
    match spec {
        TrackSpec::H264 {
            width,
            height,
            pixel_aspect,
            ..
        } => {
            let dw = match pixel_aspect {
                Some((hs, vs)) if *vs > 0 => u64::from(*width) * u64::from(*hs) / u64::from(*vs),
                _ => u64::from(*width),
            };
            (dw as u32, *height)
        }
        TrackSpec::Aac { .. } => (0, 0),
    }
}

/// What a media segment starts with besides `moof` + `mdat`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FragmentOptions {
    /// Write an `styp` (brands `msdh`, `msix` with a `sidx`, `cmfs`, `cmff`) first, as DASH
    /// and CMAF media segment files expect.
    pub styp: bool,
    /// Write a `sidx` indexing the segment's one fragment.
    pub sidx: bool,
    /// `mfhd` sequence number of the first fragment (≥ 1).
    pub first_sequence: u32,
    /// Decode time (track ticks) of the first sample: non-zero when a chunk of the timeline
    /// is written by its own writer.
    pub base_decode_time: u64,
}

impl Default for FragmentOptions {
    fn default() -> Self {
        Self {
            styp: true,
            sidx: false,
            first_sequence: 1,
            base_decode_time: 0,
        }
    }
}

/// One finished media segment and the facts manifests need about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaSegment {
    /// The segment bytes (`styp`? `sidx`? `moof` `mdat`).
    pub bytes: Vec<u8>,
    /// `mfhd` sequence number.
    pub sequence: u32,
    /// Decode time of the first sample (`tfdt`), track ticks.
    pub decode_time: u64,
    /// Sum of the sample durations, track ticks.
    pub duration: u64,
    /// Smallest presentation time (decode time + composition offset) of its samples.
    pub earliest_presentation_time: i64,
    /// Number of samples.
    pub samples: u32,
    /// Where `moof` + `mdat` lie within [`Self::bytes`].
    pub fragment: ByteRange,
    /// From `moof` to the end of the first sample's data: what an HLS I-frame playlist
    /// addresses for the segment's IDR.
    pub first_sample: ByteRange,
}

struct Pending {
    duration: u32,
    size: u32,
    cts_offset: i32,
    sync: bool,
}

/// Collects samples of one track and turns them into media segments when told to.
///
/// # Examples
/// ```
/// use strata_mux::{FragmentOptions, FragmentWriter, Sample, TrackConfig, TrackSpec};
///
/// let config = TrackConfig {
///     spec: TrackSpec::Aac { asc: vec![0x11, 0x90], object_type: 0x40, channels: 2, sample_rate: 48000 },
///     timescale: 48000,
///     language: "und".into(),
///     edits: None,
/// };
/// let mut w = FragmentWriter::new(&config, FragmentOptions::default())?;
/// w.push(Sample { data: &[0x21, 0x10], duration: 1024, cts_offset: 0, sync: true })?;
/// let segment = w.cut()?.expect("one sample pending");
/// assert_eq!(segment.duration, 1024);
/// # Ok::<(), strata_mux::MuxError>(())
/// ```
pub struct FragmentWriter {
    video: bool,
    timescale: u32,
    options: FragmentOptions,
    sequence: u32,
    next_dts: u64,
    pending: Vec<Pending>,
    data: Vec<u8>,
}

impl FragmentWriter {
    /// A writer for the track `config` describes (the same config as its init segment).
    ///
    /// # Errors
    /// [`MuxError::Config`] for a zero timescale or a first sequence number of 0.
    pub fn new(config: &TrackConfig, options: FragmentOptions) -> Result<Self, MuxError> {
        if config.timescale == 0 || options.first_sequence == 0 {
            return Err(MuxError::Config(
                "fragments need a non-zero timescale and sequence numbers from 1".into(),
            ));
        }
        Ok(Self {
            video: matches!(config.spec, TrackSpec::H264 { .. }),
            timescale: config.timescale,
            options,
            sequence: options.first_sequence,
            next_dts: options.base_decode_time,
            pending: Vec::new(),
            data: Vec::new(),
        })
    }

    /// Appends a sample (decode order) to the segment being built.
    ///
    /// # Errors
    /// [`MuxError::Config`] when the sample would start a segment without being a sync sample
    /// (players could not start or switch there), or is larger than 4 GiB.
    pub fn push(&mut self, s: Sample<'_>) -> Result<(), MuxError> {
        if self.pending.is_empty() && !s.sync {
            return Err(MuxError::Config(format!(
                "segment {} would start with a non-sync sample at decode time {}",
                self.sequence, self.next_dts
            )));
        }
        let size = u32::try_from(s.data.len())
            .map_err(|_| MuxError::Config("sample larger than 4 GiB".into()))?;
        self.pending.push(Pending {
            duration: s.duration,
            size,
            cts_offset: s.cts_offset,
            sync: s.sync,
        });
        self.data.extend_from_slice(s.data);
        Ok(())
    }

    /// Duration (track ticks) of the samples pushed since the last cut.
    pub fn pending_duration(&self) -> u64 {
        self.pending.iter().map(|p| u64::from(p.duration)).sum()
    }

    /// Decode time the next segment starts at (after the pending samples are cut, the one
    /// after them).
    pub fn segment_start(&self) -> u64 {
        self.next_dts
    }

    /// Closes the current segment; `None` when no sample is pending (so a cut at the very end
    /// never produces an empty segment).
    ///
    /// # Errors
    /// [`MuxError::Config`] when the fragment exceeds the 2 GiB a `sidx` reference can
    /// address.
    pub fn cut(&mut self) -> Result<Option<MediaSegment>, MuxError> {
        if self.pending.is_empty() {
            return Ok(None);
        }
        let pending = std::mem::take(&mut self.pending);
        let data = std::mem::take(&mut self.data);
        let decode_time = self.next_dts;
        let seg = build_segment(
            &pending,
            &data,
            self.video,
            self.timescale,
            self.options,
            self.sequence,
            decode_time,
        )?;
        self.sequence += 1;
        self.next_dts += seg.duration;
        Ok(Some(seg))
    }
}

fn build_segment(
    pending: &[Pending],
    data: &[u8],
    video: bool,
    timescale: u32,
    options: FragmentOptions,
    sequence: u32,
    decode_time: u64,
) -> Result<MediaSegment, MuxError> {
    let flags: Vec<u32> = pending
        .iter()
        .map(|p| if p.sync { SYNC_FLAGS } else { NON_SYNC_FLAGS })
        .collect();
    // The common shapes (audio: all sync; a video GOP: IDR then dependent frames) need no
    // per-sample flags, which saves 4 bytes per sample.
    let (default_flags, mode) = if flags.iter().all(|&f| f == flags[0]) {
        (flags[0], boxes::trun::FlagsMode::Default)
    } else if flags[1..].iter().all(|&f| f == flags[1]) {
        (flags[1], boxes::trun::FlagsMode::First(flags[0]))
    } else {
        (
            if video { NON_SYNC_FLAGS } else { SYNC_FLAGS },
            boxes::trun::FlagsMode::PerSample,
        )
    };
    let cto = pending.iter().any(|p| p.cts_offset != 0);
    let rows: Vec<boxes::trun::RunSample> = pending
        .iter()
        .zip(&flags)
        .map(|(p, &f)| boxes::trun::RunSample {
            duration: p.duration,
            size: p.size,
            flags: f,
            cts_offset: p.cts_offset,
        })
        .collect();

    // moof size is known before writing: mfhd 16, traf header 8, tfhd 20, tfdt 20, trun.
    let moof_len = 8 + 16 + 8 + 20 + 20 + boxes::trun::size(rows.len(), mode, cto);
    let mdat_header = boxes::mdat::header(data.len() as u64);
    let data_offset = i32::try_from(moof_len + mdat_header.len())
        .map_err(|_| MuxError::Config("moof larger than 2 GiB".into()))?;
    let mut moof = BoxBuf::new();
    moof.begin(b"moof");
    boxes::mfhd::write(&mut moof, sequence);
    moof.begin(b"traf");
    boxes::tfhd::write(&mut moof, FRAGMENT_TRACK_ID, default_flags);
    boxes::tfdt::write(&mut moof, decode_time);
    boxes::trun::write(&mut moof, &rows, mode, cto, data_offset);
    moof.end().end();
    debug_assert_eq!(moof.buf.len(), moof_len);

    let duration: u64 = pending.iter().map(|p| u64::from(p.duration)).sum();
    let mut dts = decode_time as i64;
    let mut earliest = i64::MAX;
    for p in pending {
        earliest = earliest.min(dts + i64::from(p.cts_offset));
        dts += i64::from(p.duration);
    }
    let fragment_len = (moof.buf.len() + mdat_header.len() + data.len()) as u64;

    let mut head = BoxBuf::new();
    if options.styp {
        let mut brands: Vec<&[u8; 4]> = vec![b"msdh"];
        if options.sidx {
            brands.push(b"msix");
        }
        brands.extend([b"cmfs", b"cmff"]);
        boxes::ftyp::write(&mut head, b"styp", b"msdh", 0, &brands);
    }
    if options.sidx {
        let reference = sidx_reference(fragment_len, duration, pending[0].sync)?;
        boxes::sidx::write(
            &mut head,
            FRAGMENT_TRACK_ID,
            timescale,
            earliest.max(0) as u64,
            &[reference],
        );
    }
    let offset = head.buf.len() as u64;
    let mut bytes = head.buf;
    bytes.reserve(fragment_len as usize);
    bytes.extend_from_slice(&moof.buf);
    bytes.extend_from_slice(&mdat_header);
    bytes.extend_from_slice(data);
    Ok(MediaSegment {
        bytes,
        sequence,
        decode_time,
        duration,
        earliest_presentation_time: earliest,
        samples: pending.len() as u32,
        fragment: ByteRange {
            offset,
            length: fragment_len,
        },
        first_sample: ByteRange {
            offset,
            length: (moof.buf.len() + mdat_header.len()) as u64 + u64::from(pending[0].size),
        },
    })
}

fn sidx_reference(
    size: u64,
    duration: u64,
    starts_with_sap: bool,
) -> Result<boxes::sidx::Reference, MuxError> {
    Ok(boxes::sidx::Reference {
        size: u32::try_from(size)
            .ok()
            .filter(|&s| s < 0x8000_0000)
            .ok_or_else(|| {
                MuxError::Config(format!("fragment of {size} bytes is too large for a sidx"))
            })?,
        duration: u32::try_from(duration).map_err(|_| {
            MuxError::Config(format!("fragment duration {duration} does not fit a sidx"))
        })?,
        starts_with_sap,
    })
}

/// Where one fragment of a single-file output lies, and its timing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentEntry {
    /// `moof` + `mdat` bytes in the file.
    pub range: ByteRange,
    /// From `moof` to the end of the first (sync) sample, for I-frame playlists.
    pub first_sample: ByteRange,
    /// Decode time of the first sample, track ticks.
    pub decode_time: u64,
    /// Duration, track ticks.
    pub duration: u64,
}

/// The layout of a finished single-file output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SingleFileReport {
    /// Total bytes.
    pub size: u64,
    /// `ftyp` + `moov` (HLS `EXT-X-MAP` BYTERANGE, DASH `Initialization@range`).
    pub init: ByteRange,
    /// The global `sidx` (DASH `SegmentBase@indexRange`).
    pub index: ByteRange,
    /// One entry per fragment, in order.
    pub segments: Vec<SegmentEntry>,
}

/// Writes one track as a single fragmented file, `ftyp` `moov` `sidx` (`moof` `mdat`)*, for
/// byte-range addressing (HLS `EXT-X-BYTERANGE`, DASH on-demand profile).
///
/// Fragments stream to `path` + ".frag.tmp" while encoding because the global `sidx`, which
/// precedes them, can only be written once every fragment size is known.
pub struct SingleFileWriter {
    path: PathBuf,
    tmp_path: PathBuf,
    tmp: BufWriter<File>,
    tmp_len: u64,
    init: Vec<u8>,
    timescale: u32,
    writer: FragmentWriter,
    segments: Vec<SegmentEntry>,
    refs: Vec<boxes::sidx::Reference>,
    earliest: Option<i64>,
}

impl SingleFileWriter {
    /// Starts a single-file output at `path`.
    ///
    /// # Errors
    /// [`MuxError::Config`] as for [`init_segment`]; [`MuxError::Io`] when the temporary file
    /// cannot be created.
    pub fn create(path: &Path, config: &TrackConfig) -> Result<Self, MuxError> {
        let init = init_segment(config)?;
        let writer = FragmentWriter::new(
            config,
            FragmentOptions {
                styp: false,
                sidx: false,
                ..FragmentOptions::default()
            },
        )?;
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(".frag.tmp");
        let tmp_path = PathBuf::from(tmp);
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp_path)?;
        Ok(Self {
            path: path.to_path_buf(),
            tmp_path,
            tmp: BufWriter::with_capacity(1 << 20, file),
            tmp_len: 0,
            init,
            timescale: config.timescale,
            writer,
            segments: Vec::new(),
            refs: Vec::new(),
            earliest: None,
        })
    }

    /// Appends a sample to the current fragment.
    ///
    /// # Errors
    /// As [`FragmentWriter::push`].
    pub fn push(&mut self, s: Sample<'_>) -> Result<(), MuxError> {
        self.writer.push(s)
    }

    /// Closes the current fragment (nothing happens when it is empty).
    ///
    /// # Errors
    /// As [`FragmentWriter::cut`]; [`MuxError::Io`] when writing the temporary file fails.
    pub fn cut(&mut self) -> Result<(), MuxError> {
        let Some(seg) = self.writer.cut()? else {
            return Ok(());
        };
        self.refs
            .push(sidx_reference(seg.fragment.length, seg.duration, true)?);
        self.earliest.get_or_insert(seg.earliest_presentation_time);
        self.segments.push(SegmentEntry {
            range: ByteRange {
                offset: self.tmp_len,
                length: seg.fragment.length,
            },
            first_sample: ByteRange {
                offset: self.tmp_len,
                length: seg.first_sample.length,
            },
            decode_time: seg.decode_time,
            duration: seg.duration,
        });
        self.tmp.write_all(&seg.bytes)?;
        self.tmp_len += seg.bytes.len() as u64;
        Ok(())
    }

    /// Closes the last fragment, writes the file and removes the temporary one.
    ///
    /// # Errors
    /// [`MuxError::Io`] on any I/O failure; [`MuxError::Config`] when no sample was written
    /// or the index would hold more than 65535 fragments.
    pub fn finish(mut self) -> Result<SingleFileReport, MuxError> {
        self.cut()?;
        if self.segments.is_empty() {
            return Err(MuxError::Config("single-file output has no samples".into()));
        }
        if self.refs.len() > usize::from(u16::MAX) {
            return Err(MuxError::Config(format!(
                "{} fragments do not fit one sidx (at most 65535)",
                self.refs.len()
            )));
        }
        let mut sidx = BoxBuf::new();
        boxes::sidx::write(
            &mut sidx,
            FRAGMENT_TRACK_ID,
            self.timescale,
            self.earliest.unwrap_or(0).max(0) as u64,
            &self.refs,
        );
        self.tmp.flush()?;
        let mut out = BufWriter::with_capacity(1 << 20, File::create(&self.path)?);
        out.write_all(&self.init)?;
        out.write_all(&sidx.buf)?;
        crate::spool::append_and_remove(self.tmp, self.tmp_len, &self.tmp_path, &mut out)?;
        let init_len = self.init.len() as u64;
        let shift = init_len + sidx.buf.len() as u64;
        for s in &mut self.segments {
            s.range.offset += shift;
            s.first_sample.offset += shift;
        }
        Ok(SingleFileReport {
            size: shift + self.tmp_len,
            init: ByteRange {
                offset: 0,
                length: init_len,
            },
            index: ByteRange {
                offset: init_len,
                length: sidx.buf.len() as u64,
            },
            segments: self.segments,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Appends big-endian fields; keeps the hand-written expectations readable.
    #[derive(Default)]
    struct Expect(Vec<u8>);

    impl Expect {
        fn u8(&mut self, v: u8) -> &mut Self {
            self.0.push(v);
            self
        }
        fn u16(&mut self, v: u16) -> &mut Self {
            self.0.extend_from_slice(&v.to_be_bytes());
            self
        }
        fn u32(&mut self, v: u32) -> &mut Self {
            self.0.extend_from_slice(&v.to_be_bytes());
            self
        }
        fn i32(&mut self, v: i32) -> &mut Self {
            self.0.extend_from_slice(&v.to_be_bytes());
            self
        }
        fn u64(&mut self, v: u64) -> &mut Self {
            self.0.extend_from_slice(&v.to_be_bytes());
            self
        }
        fn b(&mut self, v: &[u8]) -> &mut Self {
            self.0.extend_from_slice(v);
            self
        }
        fn zeros(&mut self, n: usize) -> &mut Self {
            self.0.resize(self.0.len() + n, 0);
            self
        }
        /// Box header: size and type.
        fn bx(&mut self, size: u32, kind: &[u8; 4]) -> &mut Self {
            self.u32(size).b(kind)
        }
        /// Full box header: size, type, version, flags.
        fn full(&mut self, size: u32, kind: &[u8; 4], version: u8, flags: u32) -> &mut Self {
            self.bx(size, kind).u32((u32::from(version) << 24) | flags)
        }
        fn matrix(&mut self) -> &mut Self {
            for v in [0x0001_0000u32, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000] {
                self.u32(v);
            }
            self
        }
    }

    fn hex(v: &[u8]) -> String {
        v.chunks(16)
            .map(|c| {
                c.iter()
                    .map(|b| format!("{b:02x}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn aac_config() -> TrackConfig {
        TrackConfig {
            spec: TrackSpec::Aac {
                asc: vec![0x11, 0x90],
                object_type: 0x40,
                channels: 2,
                sample_rate: 48000,
            },
            timescale: 48000,
            language: "und".into(),
            edits: None,
        }
    }

    fn video_config() -> TrackConfig {
        TrackConfig {
            spec: TrackSpec::H264 {
                width: 64,
                height: 48,
                avcc: vec![1, 0x64, 0, 0x1f, 0xff, 0xe0, 0],
                pixel_aspect: None,
            },
            timescale: 15360,
            language: "und".into(),
            edits: None,
        }
    }

    #[test]
    fn aac_init_segment_bytes() {
        let mut e = Expect::default();
        // ftyp: 8 header + major + minor + 5 compatible brands = 36.
        e.bx(36, b"ftyp").b(b"cmf2").u32(0);
        e.b(b"cmf2").b(b"cmfc").b(b"iso6").b(b"isom").b(b"mp41");
        // moov = 8 + mvhd 120 + trak 448 + mvex 40.
        e.bx(616, b"moov");
        // mvhd v1: times 0, timescale 48000, duration 0 (fragmented), rate 1.0, volume 1.0,
        // reserved 10, matrix, pre_defined 24, next_track_ID 2.
        e.full(120, b"mvhd", 1, 0).u64(0).u64(0).u32(48000).u64(0);
        e.u32(0x0001_0000)
            .u16(0x0100)
            .zeros(10)
            .matrix()
            .zeros(24)
            .u32(2);
        // trak = 8 + tkhd 104 + mdia 336.
        e.bx(448, b"trak");
        // tkhd v1 flags enabled|in_movie: times 0, track_ID 1, reserved, duration 0,
        // reserved 8, layer 0, alternate_group 1 (audio), volume 1.0, reserved, matrix, 0x0.
        e.full(104, b"tkhd", 1, 3)
            .u64(0)
            .u64(0)
            .u32(1)
            .u32(0)
            .u64(0);
        e.zeros(8)
            .u16(0)
            .u16(1)
            .u16(0x0100)
            .u16(0)
            .matrix()
            .u32(0)
            .u32(0);
        // mdia = 8 + mdhd 44 + hdlr 45 + minf 239.
        e.bx(336, b"mdia");
        // mdhd v1: times 0, timescale 48000, duration 0, language "und" packed, pre_defined.
        e.full(44, b"mdhd", 1, 0).u64(0).u64(0).u32(48000).u64(0);
        e.u16((21 << 10) | (14 << 5) | 4).u16(0);
        // hdlr: pre_defined, "soun", reserved 12, name.
        e.full(45, b"hdlr", 0, 0)
            .u32(0)
            .b(b"soun")
            .zeros(12)
            .b(b"SoundHandler\0");
        // minf = 8 + smhd 16 + dinf 36 + stbl 179.
        e.bx(239, b"minf");
        e.full(16, b"smhd", 0, 0).u16(0).u16(0);
        // dinf/dref with one self-contained url entry (flags 1).
        e.bx(36, b"dinf")
            .full(28, b"dref", 0, 0)
            .u32(1)
            .full(12, b"url ", 0, 1);
        // stbl = 8 + stsd 103 + stts 16 + stsc 16 + stsz 20 + stco 16.
        e.bx(179, b"stbl");
        e.full(103, b"stsd", 0, 0).u32(1);
        // mp4a = 36 fixed + esds 51: reserved 6, data_reference_index 1, reserved 8,
        // channelcount 2, samplesize 16, pre_defined, reserved, samplerate 48000 << 16.
        e.bx(87, b"mp4a").zeros(6).u16(1).zeros(8);
        e.u16(2).u16(16).u16(0).u16(0).u32(48000 << 16);
        // esds: ES_Descriptor (tag 3, 4-byte size 34): ES_ID 0, flags 0,
        //   DecoderConfigDescriptor (tag 4, size 20): objectType 0x40, streamType audio (0x15),
        //     bufferSizeDB 0 (3 bytes), maxBitrate 0, avgBitrate 0,
        //     DecoderSpecificInfo (tag 5, size 2): the AudioSpecificConfig 11 90;
        //   SLConfigDescriptor (tag 6, size 1): predefined 2.
        e.full(51, b"esds", 0, 0);
        e.u8(3).b(&[0x80, 0x80, 0x80, 34]).u16(0).u8(0);
        e.u8(4)
            .b(&[0x80, 0x80, 0x80, 20])
            .u8(0x40)
            .u8(0x15)
            .u8(0)
            .u16(0)
            .u32(0)
            .u32(0);
        e.u8(5).b(&[0x80, 0x80, 0x80, 2]).b(&[0x11, 0x90]);
        e.u8(6).b(&[0x80, 0x80, 0x80, 1]).u8(2);
        // Empty sample tables: samples live in fragments.
        e.full(16, b"stts", 0, 0).u32(0);
        e.full(16, b"stsc", 0, 0).u32(0);
        e.full(20, b"stsz", 0, 0).u32(0).u32(0);
        e.full(16, b"stco", 0, 0).u32(0);
        // mvex/trex: track 1, sample description 1, default duration 0, size 0,
        // flags "depends on no other sample" (every AAC frame is a sync sample).
        e.bx(40, b"mvex")
            .full(32, b"trex", 0, 0)
            .u32(1)
            .u32(1)
            .u32(0)
            .u32(0);
        e.u32(0x0200_0000);
        assert_eq!(e.0.len(), 652);
        let got = init_segment(&aac_config()).unwrap();
        assert_eq!(hex(&got), hex(&e.0));
    }

    #[test]
    fn video_media_segment_bytes() {
        let mut w = FragmentWriter::new(
            &video_config(),
            FragmentOptions {
                sidx: true,
                ..FragmentOptions::default()
            },
        )
        .unwrap();
        let samples: [(&[u8], i32, bool); 3] = [
            (&[0x65, 1, 2, 3, 4], 512, true),
            (&[0x41, 5, 6], 1024, false),
            (&[0x01, 7], -512, false),
        ];
        for (data, cto, sync) in samples {
            w.push(Sample {
                data,
                duration: 512,
                cts_offset: cto,
                sync,
            })
            .unwrap();
        }
        let seg = w.cut().unwrap().unwrap();
        assert!(w.cut().unwrap().is_none(), "no empty segment after a cut");

        let mut e = Expect::default();
        // styp: major msdh, minor 0, compatible msdh msix (has sidx) cmfs cmff = 32 bytes.
        e.bx(32, b"styp").b(b"msdh").u32(0);
        e.b(b"msdh").b(b"msix").b(b"cmfs").b(b"cmff");
        // sidx v1: reference_ID 1, timescale 15360, earliest_presentation_time 512
        // (min of 0+512, 512+1024, 1024-512), first_offset 0, reserved, reference_count 1;
        // reference: type 0 | size 150 (moof 132 + mdat 18), subsegment_duration 1536,
        // starts_with_SAP 1 | SAP_type 1 | delta 0.
        e.full(52, b"sidx", 1, 0)
            .u32(1)
            .u32(15360)
            .u64(512)
            .u64(0)
            .u16(0)
            .u16(1);
        e.u32(150).u32(1536).u32(0x9000_0000);
        // moof = 8 + mfhd 16 + traf 108.
        e.bx(132, b"moof");
        e.full(16, b"mfhd", 0, 0).u32(1);
        // traf = 8 + tfhd 20 + tfdt 20 + trun 60.
        e.bx(108, b"traf");
        // tfhd flags default-base-is-moof | default-sample-flags-present: track 1, default
        // flags "non-sync, depends on others" (the GOP's dependent frames).
        e.full(20, b"tfhd", 0, 0x02_0020).u32(1).u32(0x0101_0000);
        // tfdt v1: base media decode time 0.
        e.full(20, b"tfdt", 1, 0).u64(0);
        // trun v1 (signed offsets) flags data-offset | first-sample-flags | duration | size |
        // composition offset; 3 samples, data_offset 140 (moof 132 + mdat header 8),
        // first sample flags "sync", then (duration, size, offset) rows.
        e.full(60, b"trun", 1, 0x00_0b05)
            .u32(3)
            .i32(140)
            .u32(0x0200_0000);
        e.u32(512).u32(5).i32(512);
        e.u32(512).u32(3).i32(1024);
        e.u32(512).u32(2).i32(-512);
        // mdat with the three payloads back to back.
        e.bx(18, b"mdat")
            .b(&[0x65, 1, 2, 3, 4, 0x41, 5, 6, 0x01, 7]);
        assert_eq!(e.0.len(), 234);
        assert_eq!(hex(&seg.bytes), hex(&e.0));
        assert_eq!(seg.sequence, 1);
        assert_eq!(seg.decode_time, 0);
        assert_eq!(seg.duration, 1536);
        assert_eq!(seg.earliest_presentation_time, 512);
        assert_eq!(seg.samples, 3);
        assert_eq!(
            seg.fragment,
            ByteRange {
                offset: 84,
                length: 150
            }
        );
        assert_eq!(
            seg.first_sample,
            ByteRange {
                offset: 84,
                length: 145
            }
        );
        assert_eq!(w.segment_start(), 1536);
    }

    #[test]
    fn audio_segment_uses_default_flags_and_counts_on() {
        let mut w = FragmentWriter::new(
            &aac_config(),
            FragmentOptions {
                styp: false,
                first_sequence: 7,
                base_decode_time: 96000,
                ..FragmentOptions::default()
            },
        )
        .unwrap();
        for i in 0..2u8 {
            w.push(Sample {
                data: &[i; 4],
                duration: 1024,
                cts_offset: 0,
                sync: true,
            })
            .unwrap();
        }
        let seg = w.cut().unwrap().unwrap();
        let mut e = Expect::default();
        // moof = 8 + mfhd 16 + traf 84; traf = 8 + tfhd 20 + tfdt 20 + trun 36.
        e.bx(108, b"moof").full(16, b"mfhd", 0, 0).u32(7);
        e.bx(84, b"traf");
        // All samples sync: the tfhd default covers them, no per-sample flags.
        e.full(20, b"tfhd", 0, 0x02_0020).u32(1).u32(0x0200_0000);
        e.full(20, b"tfdt", 1, 0).u64(96000);
        // trun v0 (no composition offsets) flags data-offset | duration | size; 2 samples,
        // data_offset 116 (moof 108 + mdat header 8).
        e.full(36, b"trun", 0, 0x00_0301).u32(2).i32(116);
        e.u32(1024).u32(4).u32(1024).u32(4);
        e.bx(16, b"mdat").b(&[0, 0, 0, 0, 1, 1, 1, 1]);
        assert_eq!(hex(&seg.bytes), hex(&e.0));
        assert_eq!(w.segment_start(), 96000 + 2048);
        // The next segment continues the sequence.
        w.push(Sample {
            data: &[9],
            duration: 1024,
            cts_offset: 0,
            sync: true,
        })
        .unwrap();
        let next = w.cut().unwrap().unwrap();
        assert_eq!((next.sequence, next.decode_time), (8, 98048));
    }

    #[test]
    fn segment_must_start_with_sync_sample() {
        let mut w = FragmentWriter::new(&video_config(), FragmentOptions::default()).unwrap();
        let err = w
            .push(Sample {
                data: &[1],
                duration: 512,
                cts_offset: 0,
                sync: false,
            })
            .unwrap_err();
        assert!(err.to_string().contains("non-sync"), "{err}");
    }

    #[test]
    fn init_segment_rejects_missing_avcc() {
        let mut c = video_config();
        c.spec = TrackSpec::H264 {
            width: 64,
            height: 48,
            avcc: Vec::new(),
            pixel_aspect: None,
        };
        assert!(init_segment(&c).is_err());
    }

    #[test]
    fn single_file_layout_and_global_sidx() {
        let dir = std::env::temp_dir().join(format!("strata-mux-single-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("audio.mp4");
        let mut w = SingleFileWriter::create(&path, &aac_config()).unwrap();
        for i in 0..3u8 {
            w.push(Sample {
                data: &[i; 4],
                duration: 1024,
                cts_offset: 0,
                sync: true,
            })
            .unwrap();
            if i == 1 {
                w.cut().unwrap();
            }
        }
        let report = w.finish().unwrap();
        let bytes = std::fs::read(&path).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(!dir.exists());
        assert_eq!(report.size, bytes.len() as u64);
        assert_eq!(
            report.init,
            ByteRange {
                offset: 0,
                length: 652
            }
        );
        assert_eq!(&bytes[..652], &init_segment(&aac_config()).unwrap()[..]);
        // Fragment 1 (2 samples): moof 108 + mdat 16 = 124; fragment 2 (1 sample): moof 100
        // (trun 28) + mdat 12 = 112. Global sidx v1: 2 references, each starting with a SAP.
        let mut e = Expect::default();
        e.full(64, b"sidx", 1, 0)
            .u32(1)
            .u32(48000)
            .u64(0)
            .u64(0)
            .u16(0)
            .u16(2);
        e.u32(124).u32(2048).u32(0x9000_0000);
        e.u32(112).u32(1024).u32(0x9000_0000);
        assert_eq!(
            report.index,
            ByteRange {
                offset: 652,
                length: 64
            }
        );
        assert_eq!(hex(&bytes[652..716]), hex(&e.0));
        let ranges: Vec<(u64, u64, u64, u64)> = report
            .segments
            .iter()
            .map(|s| (s.range.offset, s.range.length, s.decode_time, s.duration))
            .collect();
        assert_eq!(ranges, vec![(716, 124, 0, 2048), (840, 112, 2048, 1024)]);
        assert_eq!(&bytes[716 + 4..716 + 8], b"moof");
        assert_eq!(&bytes[840 + 4..840 + 8], b"moof");
        assert_eq!(report.size, 952);
    }
}
