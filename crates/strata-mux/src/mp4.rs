//! Progressive MP4 with the movie header first ("fast start"), so players can start before the
//! whole file has arrived. Sample data streams to a temporary file while encoding; `finish`
//! writes `ftyp` + `moov` + `mdat` and deletes the temporary file.

use crate::boxes::BoxBuf;
use crate::MuxError;
use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use strata_core::EditList;

/// What a track carries, with its decoder configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrackSpec {
    /// H.264 video. `avcc` may be empty at creation and set later with
    /// [`Mp4Writer::set_avcc`] (the encoder knows it after its first frame).
    H264 {
        /// Coded width.
        width: u32,
        /// Coded height.
        height: u32,
        /// AVCDecoderConfigurationRecord.
        avcc: Vec<u8>,
        /// Pixel aspect ratio (h_spacing, v_spacing) when not square.
        pixel_aspect: Option<(u32, u32)>,
    },
    /// AAC audio.
    Aac {
        /// AudioSpecificConfig.
        asc: Vec<u8>,
        /// MPEG-4 object type indication (0x40 for AAC).
        object_type: u8,
        /// Channel count.
        channels: u16,
        /// Sample rate in Hz.
        sample_rate: u32,
    },
}

/// A track to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackConfig {
    /// Codec and configuration.
    pub spec: TrackSpec,
    /// Ticks per second of the track's sample times.
    pub timescale: u32,
    /// ISO-639-2/T language ("und" when unknown).
    pub language: String,
    /// Edit list (durations in movie ticks), e.g. an A/V offset or AAC priming.
    pub edits: Option<EditList>,
}

/// One sample to append.
#[derive(Debug, Clone, Copy)]
pub struct Sample<'a> {
    /// Payload (length-prefixed NAL units for H.264, a raw AAC frame for audio).
    pub data: &'a [u8],
    /// Duration in track ticks.
    pub duration: u32,
    /// Presentation minus decode time, in track ticks.
    pub cts_offset: i32,
    /// Random access point.
    pub sync: bool,
}

/// Per-track facts after [`Mp4Writer::finish`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackReport {
    /// Number of samples written.
    pub samples: u32,
    /// Sum of sample durations (track ticks).
    pub duration: u64,
    /// Track timescale.
    pub timescale: u32,
    /// Payload bytes.
    pub bytes: u64,
    /// Largest payload of any GOP (sync sample to the next), in bits per second of that GOP.
    pub max_gop_bitrate: u64,
}

/// Facts about a finished file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileReport {
    /// Total file size in bytes.
    pub size: u64,
    /// One entry per track, in creation order.
    pub tracks: Vec<TrackReport>,
}

#[derive(Default)]
struct TrackState {
    sizes: Vec<u32>,
    durations: Vec<u32>,
    cts: Vec<i32>,
    syncs: Vec<u32>,
    /// (offset in mdat payload, first sample index) per chunk.
    chunks: Vec<(u64, u32)>,
    bytes: u64,
}

/// Writes one progressive MP4.
pub struct Mp4Writer {
    path: PathBuf,
    tmp_path: PathBuf,
    mdat: BufWriter<File>,
    mdat_len: u64,
    configs: Vec<TrackConfig>,
    tracks: Vec<TrackState>,
    movie_timescale: u32,
    last_track: Option<usize>,
}

const MAX_CHUNK_SAMPLES: u32 = 1024;

impl Mp4Writer {
    /// Starts a file at `path` with these tracks; sample data goes to `path` + ".mdat.tmp"
    /// until [`finish`](Self::finish).
    ///
    /// # Errors
    /// [`MuxError::Io`] when the temporary file cannot be created, [`MuxError::Config`] for
    /// a zero timescale or no tracks.
    pub fn create(
        path: &Path,
        configs: Vec<TrackConfig>,
        movie_timescale: u32,
    ) -> Result<Self, MuxError> {
        if configs.is_empty() || movie_timescale == 0 || configs.iter().any(|c| c.timescale == 0) {
            return Err(MuxError::Config(
                "an MP4 needs at least one track and non-zero timescales".into(),
            ));
        }
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(".mdat.tmp");
        let tmp_path = PathBuf::from(tmp);
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp_path)?;
        let mdat = BufWriter::with_capacity(1 << 20, file);
        let tracks = configs.iter().map(|_| TrackState::default()).collect();
        Ok(Self {
            path: path.to_path_buf(),
            tmp_path,
            mdat,
            mdat_len: 0,
            configs,
            tracks,
            movie_timescale,
            last_track: None,
        })
    }

    /// Sets a video track's `avcC` once the encoder has produced it.
    ///
    /// # Errors
    /// [`MuxError::Config`] when `track` is not an H.264 track.
    pub fn set_avcc(&mut self, track: usize, record: Vec<u8>) -> Result<(), MuxError> {
        match self.configs.get_mut(track).map(|c| &mut c.spec) {
            Some(TrackSpec::H264 { avcc, .. }) => {
                *avcc = record;
                Ok(())
            }
            _ => Err(MuxError::Config(format!("track {track} is not H.264"))),
        }
    }

    /// Sets (or clears) a track's edit list; durations in movie ticks.
    ///
    /// # Errors
    /// [`MuxError::Config`] for an unknown track.
    pub fn set_edits(&mut self, track: usize, edits: Option<EditList>) -> Result<(), MuxError> {
        let c = self
            .configs
            .get_mut(track)
            .ok_or_else(|| MuxError::Config(format!("no track {track}")))?;
        c.edits = edits;
        Ok(())
    }

    /// The final path of the file being written.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends a sample. Samples of one track must come in decode order; interleave tracks by
    /// calling in time order (a new chunk starts whenever the track changes).
    ///
    /// # Errors
    /// [`MuxError::Io`] on write failure, [`MuxError::Config`] for an unknown track.
    pub fn write_sample(&mut self, track: usize, s: Sample<'_>) -> Result<(), MuxError> {
        let t = self
            .tracks
            .get_mut(track)
            .ok_or_else(|| MuxError::Config(format!("no track {track}")))?;
        let index = t.sizes.len() as u32;
        let new_chunk = self.last_track != Some(track)
            || t.chunks
                .last()
                .is_none_or(|&(_, first)| index - first >= MAX_CHUNK_SAMPLES);
        if new_chunk {
            t.chunks.push((self.mdat_len, index));
        }
        self.last_track = Some(track);
        let size = u32::try_from(s.data.len())
            .map_err(|_| MuxError::Config("sample larger than 4 GiB".into()))?;
        t.sizes.push(size);
        t.durations.push(s.duration);
        t.cts.push(s.cts_offset);
        if s.sync {
            t.syncs.push(index + 1);
        }
        t.bytes += u64::from(size);
        self.mdat.write_all(s.data)?;
        self.mdat_len += u64::from(size);
        Ok(())
    }

    fn track_duration(&self, i: usize) -> u64 {
        self.tracks[i].durations.iter().map(|&d| u64::from(d)).sum()
    }

    fn build_moov(&self, shift: u64, co64: bool) -> Vec<u8> {
        let mut b = BoxBuf::new();
        let mts = self.movie_timescale;
        let movie_dur = (0..self.tracks.len())
            .map(|i| self.track_movie_duration(i))
            .max()
            .unwrap_or(0);
        b.begin(b"moov");
        b.begin_full(b"mvhd", 1, 0)
            .u64(0)
            .u64(0)
            .u32(mts)
            .u64(movie_dur)
            .u32(0x0001_0000)
            .u16(0x0100)
            .zeros(10);
        matrix(&mut b);
        b.zeros(24).u32(self.tracks.len() as u32 + 1).end();
        for i in 0..self.tracks.len() {
            self.trak(&mut b, i, shift, co64);
        }
        b.end();
        b.buf
    }

    fn track_movie_duration(&self, i: usize) -> u64 {
        let c = &self.configs[i];
        let media = self.track_duration(i);
        let mts = u64::from(self.movie_timescale);
        let ts = u64::from(c.timescale);
        match c.edits {
            Some(e) => {
                let seg = if e.segment_duration > 0 {
                    e.segment_duration as u64
                } else {
                    media.saturating_sub(e.media_time.max(0) as u64) * mts / ts
                };
                e.empty_duration.max(0) as u64 + seg
            }
            None => media * mts / ts,
        }
    }

    fn trak(&self, b: &mut BoxBuf, i: usize, shift: u64, co64: bool) {
        let c = &self.configs[i];
        let t = &self.tracks[i];
        let media_dur = self.track_duration(i);
        let (is_video, w, h) = match &c.spec {
            TrackSpec::H264 {
                width,
                height,
                pixel_aspect,
                ..
            } => {
                let dw = match pixel_aspect {
                    Some((hs, vs)) if *vs > 0 => {
                        u64::from(*width) * u64::from(*hs) / u64::from(*vs)
                    }
                    _ => u64::from(*width),
                };
                (true, dw as u32, *height)
            }
            TrackSpec::Aac { .. } => (false, 0, 0),
        };
        b.begin(b"trak");
        b.begin_full(b"tkhd", 1, 3)
            .u64(0)
            .u64(0)
            .u32(i as u32 + 1)
            .u32(0)
            .u64(self.track_movie_duration(i))
            .zeros(8)
            .u16(0)
            .u16(if is_video { 0 } else { 1 })
            .u16(if is_video { 0 } else { 0x0100 })
            .u16(0);
        matrix(b);
        b.u32(w << 16).u32(h << 16).end();
        if let Some(e) = c.edits {
            let mut entries = Vec::new();
            if e.empty_duration > 0 {
                entries.push((e.empty_duration as u64, -1i64));
            }
            let seg = if e.segment_duration > 0 {
                e.segment_duration as u64
            } else {
                media_dur.saturating_sub(e.media_time.max(0) as u64)
                    * u64::from(self.movie_timescale)
                    / u64::from(c.timescale)
            };
            entries.push((seg, e.media_time.max(0)));
            b.begin(b"edts")
                .begin_full(b"elst", 1, 0)
                .u32(entries.len() as u32);
            for (d, m) in entries {
                b.u64(d).u64(m as u64).u16(1).u16(0);
            }
            b.end().end();
        }
        b.begin(b"mdia");
        b.begin_full(b"mdhd", 1, 0)
            .u64(0)
            .u64(0)
            .u32(c.timescale)
            .u64(media_dur)
            .u16(pack_language(&c.language))
            .u16(0)
            .end();
        let (handler, name): (&[u8; 4], &[u8]) = if is_video {
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
        b.begin(b"minf");
        if is_video {
            b.begin_full(b"vmhd", 0, 1).zeros(8).end();
        } else {
            b.begin_full(b"smhd", 0, 0).zeros(4).end();
        }
        b.begin(b"dinf")
            .begin_full(b"dref", 0, 0)
            .u32(1)
            .begin_full(b"url ", 0, 1)
            .end()
            .end()
            .end();
        b.begin(b"stbl");
        b.begin_full(b"stsd", 0, 0).u32(1);
        sample_entry(b, &c.spec);
        b.end();
        // stts: run-length of durations.
        let runs = rle(&t.durations);
        b.begin_full(b"stts", 0, 0).u32(runs.len() as u32);
        for (n, d) in runs {
            b.u32(n).u32(d);
        }
        b.end();
        if t.cts.iter().any(|&o| o != 0) {
            let neg = t.cts.iter().any(|&o| o < 0);
            let runs = rle(&t.cts);
            b.begin_full(b"ctts", u8::from(neg), 0)
                .u32(runs.len() as u32);
            for (n, o) in runs {
                b.u32(n).i32(o);
            }
            b.end();
        }
        if is_video && t.syncs.len() != t.sizes.len() {
            b.begin_full(b"stss", 0, 0).u32(t.syncs.len() as u32);
            for &s in &t.syncs {
                b.u32(s);
            }
            b.end();
        }
        // stsc: one entry per run of chunks with the same sample count.
        let counts: Vec<u32> = t
            .chunks
            .iter()
            .enumerate()
            .map(|(k, &(_, first))| {
                let next = t.chunks.get(k + 1).map_or(t.sizes.len() as u32, |c| c.1);
                next - first
            })
            .collect();
        let mut stsc = Vec::new();
        for (k, &n) in counts.iter().enumerate() {
            if stsc.last().map(|&(_, m)| m) != Some(n) {
                stsc.push((k as u32 + 1, n));
            }
        }
        b.begin_full(b"stsc", 0, 0).u32(stsc.len() as u32);
        for (first, n) in stsc {
            b.u32(first).u32(n).u32(1);
        }
        b.end();
        b.begin_full(b"stsz", 0, 0).u32(0).u32(t.sizes.len() as u32);
        for &s in &t.sizes {
            b.u32(s);
        }
        b.end();
        if co64 {
            b.begin_full(b"co64", 0, 0).u32(t.chunks.len() as u32);
            for &(o, _) in &t.chunks {
                b.u64(o + shift);
            }
        } else {
            b.begin_full(b"stco", 0, 0).u32(t.chunks.len() as u32);
            for &(o, _) in &t.chunks {
                b.u32((o + shift) as u32);
            }
        }
        b.end();
        b.end().end().end().end();
    }

    /// Writes `ftyp`, `moov` and the sample data to the final path and removes the temporary
    /// file.
    ///
    /// # Errors
    /// [`MuxError::Io`] on any I/O failure, [`MuxError::Config`] when a video track never got
    /// its `avcC`.
    pub fn finish(mut self) -> Result<FileReport, MuxError> {
        for c in &self.configs {
            if matches!(&c.spec, TrackSpec::H264 { avcc, .. } if avcc.is_empty()) {
                return Err(MuxError::Config("video track finished without avcC".into()));
            }
        }
        self.mdat.flush()?;
        let mut ftyp = BoxBuf::new();
        ftyp.begin(b"ftyp")
            .bytes(b"isom")
            .u32(0x200)
            .bytes(b"isomiso2avc1mp41")
            .end();
        let large = self.mdat_len + 8 > u64::from(u32::MAX);
        let mdat_header = if large { 16 } else { 8 };
        let probe = self.build_moov(0, false);
        let shift = (ftyp.buf.len() + probe.len() + mdat_header) as u64;
        let co64 = self.mdat_len + shift > u64::from(u32::MAX);
        let moov = if co64 {
            let len = self.build_moov(0, true).len();
            self.build_moov((ftyp.buf.len() + len + mdat_header) as u64, true)
        } else {
            self.build_moov(shift, false)
        };
        let mut out = BufWriter::with_capacity(1 << 20, File::create(&self.path)?);
        out.write_all(&ftyp.buf)?;
        out.write_all(&moov)?;
        if large {
            out.write_all(&1u32.to_be_bytes())?;
            out.write_all(b"mdat")?;
            out.write_all(&(self.mdat_len + 16).to_be_bytes())?;
        } else {
            out.write_all(&((self.mdat_len + 8) as u32).to_be_bytes())?;
            out.write_all(b"mdat")?;
        }
        let mut tmp = self
            .mdat
            .into_inner()
            .map_err(|e| MuxError::Io(e.into_error()))?;
        tmp.seek(SeekFrom::Start(0))?;
        let copied = std::io::copy(&mut (&mut tmp).take(self.mdat_len), &mut out)?;
        if copied != self.mdat_len {
            return Err(MuxError::Config(format!(
                "temporary sample file shrank: {copied} of {} bytes",
                self.mdat_len
            )));
        }
        out.flush()?;
        drop(tmp);
        std::fs::remove_file(&self.tmp_path)?;
        let size = ftyp.buf.len() as u64 + moov.len() as u64 + mdat_header as u64 + self.mdat_len;
        let tracks = (0..self.tracks.len())
            .map(|i| {
                let t = &self.tracks[i];
                let ts = self.configs[i].timescale;
                TrackReport {
                    samples: t.sizes.len() as u32,
                    duration: t.durations.iter().map(|&d| u64::from(d)).sum(),
                    timescale: ts,
                    bytes: t.bytes,
                    max_gop_bitrate: max_gop_bitrate(t, ts),
                }
            })
            .collect();
        Ok(FileReport { size, tracks })
    }
}

fn max_gop_bitrate(t: &TrackState, ts: u32) -> u64 {
    let mut starts: Vec<usize> = t.syncs.iter().map(|&s| s as usize - 1).collect();
    if starts.first() != Some(&0) {
        starts.insert(0, 0);
    }
    starts.push(t.sizes.len());
    starts
        .windows(2)
        .map(|w| {
            let bytes: u64 = t.sizes[w[0]..w[1]].iter().map(|&s| u64::from(s)).sum();
            let dur: u64 = t.durations[w[0]..w[1]].iter().map(|&d| u64::from(d)).sum();
            (bytes * 8 * u64::from(ts)).checked_div(dur).unwrap_or(0)
        })
        .max()
        .unwrap_or(0)
}

fn rle<T: Copy + PartialEq>(v: &[T]) -> Vec<(u32, T)> {
    let mut out: Vec<(u32, T)> = Vec::new();
    for &x in v {
        match out.last_mut() {
            Some((n, y)) if *y == x => *n += 1,
            _ => out.push((1, x)),
        }
    }
    out
}

fn matrix(b: &mut BoxBuf) {
    for v in [0x0001_0000u32, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000] {
        b.u32(v);
    }
}

fn pack_language(lang: &str) -> u16 {
    let l = lang.as_bytes();
    if l.len() != 3 || !l.iter().all(u8::is_ascii_lowercase) {
        return pack_language("und");
    }
    l.iter()
        .fold(0u16, |acc, &c| (acc << 5) | u16::from(c - 0x60))
}

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
