//! Progressive MP4 with the movie header first ("fast start"), so players can start before the
//! whole file has arrived. Sample data streams to a temporary file while encoding; `finish`
//! writes `ftyp` + `moov` + `mdat` and deletes the temporary file.

use crate::boxes::{self, BoxBuf};
use crate::{MuxError, Sample, TrackConfig, TrackSpec};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use strata_core::EditList;

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
        boxes::mvhd::write(&mut b, mts, movie_dur, self.tracks.len() as u32 + 1);
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
        let is_video = matches!(c.spec, TrackSpec::H264 { .. });
        let (w, h) = crate::fmp4::display_size(&c.spec);
        b.begin(b"trak");
        boxes::tkhd::write(
            b,
            i as u32 + 1,
            self.track_movie_duration(i),
            !is_video,
            w,
            h,
        );
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
            boxes::elst::write(b, &entries);
        }
        b.begin(b"mdia");
        boxes::mdhd::write(b, c.timescale, media_dur, &c.language);
        boxes::hdlr::write(b, is_video);
        b.begin(b"minf");
        if is_video {
            boxes::vmhd::write(b);
        } else {
            boxes::smhd::write(b);
        }
        boxes::dinf::write(b);
        b.begin(b"stbl");
        boxes::stsd::write(b, &c.spec);
        boxes::stts::write(b, &rle(&t.durations));
        if t.cts.iter().any(|&o| o != 0) {
            boxes::ctts::write(b, &rle(&t.cts));
        }
        if is_video && t.syncs.len() != t.sizes.len() {
            boxes::stss::write(b, &t.syncs);
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
        boxes::stsc::write(b, &stsc);
        boxes::stsz::write(b, &t.sizes);
        boxes::stco::write(b, t.chunks.iter().map(|&(o, _)| o + shift), co64);
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
        boxes::ftyp::write(
            &mut ftyp,
            b"ftyp",
            b"isom",
            0x200,
            &[b"isom", b"iso2", b"avc1", b"mp41"],
        );
        let mdat_box_header = boxes::mdat::header(self.mdat_len);
        let mdat_header = mdat_box_header.len();
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
        out.write_all(&mdat_box_header)?;
        crate::spool::append_and_remove(self.mdat, self.mdat_len, &self.tmp_path, &mut out)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The progressive writer's bytes were captured before the box writers were shared with
    /// the fragmented writer; any change to `testdata/progressive_small.mp4` is a behaviour
    /// change of the MP4 output and must be deliberate.
    #[test]
    fn progressive_output_is_unchanged() {
        let dir = std::env::temp_dir().join(format!("strata-mux-golden-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("small.mp4");
        let video = TrackConfig {
            spec: TrackSpec::H264 {
                width: 64,
                height: 48,
                avcc: vec![
                    1, 0x64, 0, 0x1f, 0xff, 0xe1, 0, 4, 0x67, 0x64, 0, 0x1f, 1, 0, 2, 0x68, 0xee,
                ],
                pixel_aspect: Some((4, 3)),
            },
            timescale: 15360,
            language: "und".into(),
            edits: Some(EditList {
                empty_duration: 0,
                media_time: 1024,
                segment_duration: 0,
            }),
        };
        let audio = TrackConfig {
            spec: TrackSpec::Aac {
                asc: vec![0x11, 0x90],
                object_type: 0x40,
                channels: 2,
                sample_rate: 48000,
            },
            timescale: 48000,
            language: "eng".into(),
            edits: Some(EditList {
                empty_duration: 10,
                media_time: 2048,
                segment_duration: 0,
            }),
        };
        let mut w = Mp4Writer::create(&path, vec![video, audio], 1000).unwrap();
        let cts = [1024, 2560, -512, 0, 512];
        for i in 0..5u8 {
            w.write_sample(
                0,
                Sample {
                    data: &[i; 7],
                    duration: 512,
                    cts_offset: cts[usize::from(i)],
                    sync: i == 0 || i == 3,
                },
            )
            .unwrap();
            w.write_sample(
                1,
                Sample {
                    data: &[0xa0 + i; 5],
                    duration: 1024,
                    cts_offset: 0,
                    sync: true,
                },
            )
            .unwrap();
        }
        let report = w.finish().unwrap();
        let got = std::fs::read(&path).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        let golden_path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/progressive_small.mp4");
        if std::env::var_os("STRATA_BLESS").is_some() {
            std::fs::write(&golden_path, &got).unwrap();
        }
        let want = std::fs::read(&golden_path).unwrap();
        assert_eq!(got, want);
        assert_eq!(report.size, want.len() as u64);
    }
}
