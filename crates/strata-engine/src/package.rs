//! Streaming packages (HLS, DASH, Smooth) from an MP4 set, without re-encoding.
//!
//! One code path serves both uses: `strata encode --hls --dash --smooth` packages the layer
//! MP4s it has just written (before the asset is moved into place), and `strata package
//! ASSET_DIR` packages an existing set, e.g. a Media Encoder Standard output asset.
//!
//! Layout, inside the asset folder (`stream/` appears in one rename, complete or not at all):
//! ```text
//! stream/<Basename>.m3u8            HLS master (EXT-X-MEDIA audio group, I-frame variants)
//! stream/<Basename>.mpd             DASH, static, SegmentTemplate + SegmentTimeline
//! stream/<rep>/init.mp4             CMAF init segment (one track)
//! stream/<rep>/seg_<n>.m4s          CMAF media segments (styp sidx moof mdat), n from 1
//! stream/<rep>/index.m3u8           HLS media playlist;  iframes.m3u8 (video)
//! stream/<rep>.ismv                 with --smooth or --single-file: one fragmented MP4 per
//!                                   rep (global sidx), addressed by byte ranges
//! stream/<Basename>.ism / .ismc     with --smooth: Smooth server and client manifests
//! ```
//!
//! Segments are cut at the keyframes every layer shares, never closer than the segment
//! duration (default: the layers' keyframe interval), so segment `n` starts at the same time
//! in every layer. A cut must fall on an IDR: an open-GOP sync sample cannot start a segment
//! without re-encoding, and neither can keyframes that differ between layers; both are
//! refused with the time and the layer. Audio is cut at the AAC frame boundary nearest each
//! video cut, from absolute times, so no error accumulates (44.1 kHz included). A tail
//! shorter than half a second is merged into the previous segment.

use crate::EngineError;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use strata_core::{rescale_round, CodecParams, Limits, Packet, Track, TrackKind};
use strata_mux::{
    AudioRendition, ByteRange, DashAudio, DashPresentation, DashSegments, DashVideo,
    FragmentOptions, FragmentWriter, HlsSegment, IFrame, IFrameVariant, IsmAudio, IsmVideo,
    IsmcAudio, IsmcTimeline, IsmcVideo, MediaPlaylist, Sample, SingleFileReport, SingleFileWriter,
    TrackConfig, TrackSpec, Variant,
};

/// Folder of the streaming package inside an asset.
pub const STREAM_DIR: &str = "stream";

/// Tails shorter than this are merged into the previous segment (players loop on, or
/// refuse, segments of a few frames).
const MIN_TAIL_US: i64 = 500_000;

/// Which packages to write.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PackageOptions {
    /// HLS (RFC 8216) with fMP4 segments.
    pub hls: bool,
    /// DASH (ISO 23009-1) static MPD.
    pub dash: bool,
    /// Smooth Streaming `.ism` + `.ismc` over single-file fragmented MP4s.
    pub smooth: bool,
    /// Address HLS and DASH media by byte ranges in one fragmented MP4 per rendition instead
    /// of segment files.
    pub single_file: bool,
    /// Segment duration in seconds; `None` uses the layers' keyframe interval.
    pub segment_secs: Option<f64>,
}

impl PackageOptions {
    /// Whether any package is asked for.
    #[must_use]
    pub fn any(&self) -> bool {
        self.hls || self.dash || self.smooth
    }
}

/// What a packaging step wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct PackageReport {
    /// The `stream/` folder.
    pub dir: PathBuf,
    /// HLS master playlist.
    pub hls: Option<PathBuf>,
    /// DASH MPD.
    pub dash: Option<PathBuf>,
    /// Smooth client manifest (`.ismc`; the `.ism` sits beside it).
    pub smooth: Option<PathBuf>,
    /// Segments per rendition.
    pub segments: usize,
    /// Start times of the segments, seconds (the same in every rendition).
    pub segment_starts: Vec<f64>,
    /// Notes (long segments from sparse keyframes, audio start adjustments).
    pub warnings: Vec<String>,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> EngineError + '_ {
    move |source| EngineError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn mux(path: &Path) -> impl FnOnce(strata_mux::MuxError) -> EngineError + '_ {
    move |source| EngineError::Mux {
        path: path.to_path_buf(),
        source,
    }
}

fn package_err(path: &Path, reason: String) -> EngineError {
    EngineError::Package {
        path: path.to_path_buf(),
        reason,
    }
}

/// One rendition read from an MP4.
struct Rendition {
    path: PathBuf,
    track: Track,
    /// Folder / file stem inside `stream/`.
    id: String,
    config: TrackConfig,
    /// Presentation on the movie timeline = pts - `media_time` + `empty` (the edit list), in
    /// track ticks.
    media_time: i64,
    empty: i64,
}

impl Rendition {
    fn ts(&self) -> i64 {
        i64::from(self.track.time_base.ticks_per_second())
    }
    fn us(&self, ticks: i64) -> i64 {
        rescale_round(ticks, 1_000_000, self.ts())
    }
    fn packets(&self, limits: Limits) -> Result<PacketIter, EngineError> {
        let input = |source| EngineError::Input {
            path: self.path.clone(),
            source,
        };
        let d = strata_demux::open(&self.path, limits).map_err(input)?;
        let it = d.packets(self.track.id).map_err(input)?;
        Ok(PacketIter {
            path: self.path.clone(),
            it,
        })
    }
}

struct PacketIter {
    path: PathBuf,
    it: Box<dyn Iterator<Item = Result<Packet, strata_demux::DemuxError>> + Send>,
}

impl Iterator for PacketIter {
    type Item = Result<Packet, EngineError>;
    fn next(&mut self) -> Option<Self::Item> {
        self.it.next().map(|r| {
            r.map_err(|source| EngineError::Input {
                path: self.path.clone(),
                source,
            })
        })
    }
}

fn stem(p: &Path) -> String {
    p.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "media".into())
}

fn safe_id(s: &str) -> String {
    let t: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let t = t.trim_matches('.').to_string();
    if t.is_empty() {
        "media".into()
    } else {
        t
    }
}

/// Offset of the first presented sample in the movie timeline (empty edit), track ticks.
fn empty_offset(track: &Track) -> i64 {
    track.edits.map_or(0, |e| {
        rescale_round(
            e.empty_duration,
            i64::from(track.time_base.ticks_per_second()),
            i64::from(track.movie_time_base.ticks_per_second()),
        )
    })
}

fn open_renditions(
    files: &[PathBuf],
    limits: Limits,
    warnings: &mut Vec<String>,
) -> Result<(Vec<Rendition>, Option<Rendition>), EngineError> {
    let mut videos = Vec::new();
    let mut audio: Option<Rendition> = None;
    let mut audio_from_video_file: Option<Rendition> = None;
    for path in files {
        let d = strata_demux::open(path, limits).map_err(|source| EngineError::Input {
            path: path.clone(),
            source,
        })?;
        let video = d
            .tracks()
            .iter()
            .find(|t| t.kind == TrackKind::Video)
            .cloned();
        let aud = d
            .tracks()
            .iter()
            .find(|t| t.kind == TrackKind::Audio)
            .cloned();
        if let Some(t) = video {
            let CodecParams::H264 { avcc, video } = &t.codec else {
                return Err(EngineError::UnsupportedVideo {
                    path: path.clone(),
                    codec: format!("{} (only H.264 layers can be packaged)", t.codec.name()),
                });
            };
            let par = video.pixel_aspect;
            let config = TrackConfig {
                spec: TrackSpec::H264 {
                    width: video.width,
                    height: video.height,
                    avcc: avcc.clone(),
                    pixel_aspect: (par.num() != par.den())
                        .then(|| (par.num() as u32, par.den() as u32)),
                },
                timescale: t.time_base.ticks_per_second(),
                language: t.language.clone(),
                edits: None,
            };
            videos.push(Rendition {
                path: path.clone(),
                media_time: t.edits.map_or(0, |e| e.media_time),
                empty: empty_offset(&t),
                id: safe_id(&stem(path)),
                track: t,
                config,
            });
            if audio_from_video_file.is_none() {
                if let Some(a) = aud {
                    match audio_rendition(path, a) {
                        Ok(r) => audio_from_video_file = Some(r),
                        Err(e) => warnings.push(format!("audio not packaged: {e}")),
                    }
                }
            }
        } else if let Some(a) = aud {
            if audio.is_none() {
                audio = Some(audio_rendition(path, a)?);
            }
        }
    }
    Ok((videos, audio.or(audio_from_video_file)))
}

fn audio_rendition(path: &Path, t: Track) -> Result<Rendition, EngineError> {
    let CodecParams::Aac {
        asc,
        object_type,
        audio,
    } = &t.codec
    else {
        return Err(EngineError::UnsupportedAudio {
            path: path.to_path_buf(),
            codec: format!("{} (only AAC can be packaged)", t.codec.name()),
        });
    };
    let config = TrackConfig {
        spec: TrackSpec::Aac {
            asc: asc.clone(),
            object_type: *object_type,
            channels: audio.channels,
            sample_rate: audio.sample_rate,
        },
        timescale: t.time_base.ticks_per_second(),
        language: t.language.clone(),
        edits: None,
    };
    // The priming (edit media_time) is removed by dropping the frames it hides rather than
    // signalled, since MSE players do not apply edit lists.
    let lang = language(&t.language);
    Ok(Rendition {
        path: path.to_path_buf(),
        id: safe_id(&format!("audio_{lang}")),
        media_time: t.edits.map_or(0, |e| e.media_time),
        empty: empty_offset(&t),
        track: t,
        config,
    })
}

fn language(l: &str) -> String {
    if l.trim().is_empty() {
        "und".to_string()
    } else {
        l.to_string()
    }
}

fn cancelled(cancel: Option<&AtomicBool>) -> Result<(), EngineError> {
    if cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
        Err(EngineError::Cancelled)
    } else {
        Ok(())
    }
}

/// Keyframe presentation times (µs) of a video rendition, and its end time.
fn keyframe_times(
    r: &Rendition,
    limits: Limits,
    cancel: Option<&AtomicBool>,
) -> Result<(Vec<i64>, i64, i64), EngineError> {
    let mut keys = Vec::new();
    let mut first = true;
    let mut end = 0i64;
    let mut durations = Vec::new();
    for (k, p) in r.packets(limits)?.enumerate() {
        let p = p?;
        if k % 256 == 0 {
            cancelled(cancel)?;
        }
        let t = p.pts - r.media_time + r.empty;
        if first {
            first = false;
            // An edit list that hides the start of the video (a copy cut between keyframes)
            // would show the hidden pictures once packaged: only a re-encode can honour it.
            if t < 0 {
                return Err(package_err(
                    &r.path,
                    format!(
                        "the video's edit list hides its first {:.3} s (pictures before the cut point); packaging without re-encoding would show them: re-encode instead",
                        -t as f64 / r.ts() as f64
                    ),
                ));
            }
        }
        if p.keyframe {
            keys.push(r.us(t));
        }
        if durations.len() < 512 {
            durations.push(p.duration);
        }
        end = end.max(r.us(t + p.duration));
    }
    durations.sort_unstable();
    let frame = durations.get(durations.len() / 2).copied().unwrap_or(0);
    Ok((keys, end, r.us(frame)))
}

/// Chooses the cut times (µs) shared by every layer.
fn choose_cuts(
    layers: &[(String, Vec<i64>)],
    end_us: i64,
    segment_us: Option<i64>,
    frame_us: i64,
    path: &Path,
    warnings: &mut Vec<String>,
) -> Result<(Vec<i64>, i64), EngineError> {
    let tol = 1_000; // µs: the same keyframe rounded differently in two timescales
    let (first_name, first) = &layers[0];
    let common: Vec<i64> = first
        .iter()
        .copied()
        .filter(|t| {
            layers[1..]
                .iter()
                .all(|(_, k)| k.iter().any(|u| (u - t).abs() <= tol))
        })
        .collect();
    let Some(&start) = common.first() else {
        return Err(package_err(
            path,
            format!(
                "the layers have no keyframe in common (first keyframes: {})",
                layers
                    .iter()
                    .map(|(n, k)| format!(
                        "{n} at {:.3} s",
                        k.first().copied().unwrap_or(0) as f64 / 1e6
                    ))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    };
    let target = segment_us.unwrap_or_else(|| {
        let mut gaps: Vec<i64> = first.windows(2).map(|w| w[1] - w[0]).collect();
        gaps.sort_unstable();
        gaps.get(gaps.len() / 2)
            .copied()
            .unwrap_or(end_us - start)
            .max(frame_us)
    });
    let mut cuts = vec![start];
    for &t in &common[1..] {
        if t - cuts[cuts.len() - 1] >= target - frame_us / 2 {
            cuts.push(t);
        }
    }
    if cuts.len() > 1 && end_us - cuts[cuts.len() - 1] <= MIN_TAIL_US.min(target / 2) {
        cuts.pop();
    }
    // A segment far longer than the target with a keyframe inside it in some layer means the
    // layers disagree about where keyframes are.
    let mut bounds = cuts.clone();
    bounds.push(end_us);
    for w in bounds.windows(2) {
        if w[1] - w[0] > 2 * target + frame_us {
            for (name, keys) in layers {
                if let Some(k) = keys.iter().find(|&&k| k > w[0] + tol && k < w[1] - tol) {
                    let other = layers
                        .iter()
                        .find(|(_, ks)| !ks.iter().any(|u| (u - k).abs() <= tol))
                        .map_or(first_name.as_str(), |(n, _)| n.as_str());
                    return Err(package_err(
                        path,
                        format!(
                            "the layers' keyframes are not aligned: {name} has a keyframe at {:.3} s that {other} lacks; packaging without re-encoding needs IDRs at the same times in every layer (re-encode with one KeyFrameInterval)",
                            *k as f64 / 1e6
                        ),
                    ));
                }
            }
            warnings.push(format!(
                "segment {:.3}–{:.3} s is longer than the {:.3} s target: the input has no keyframe in between",
                w[0] as f64 / 1e6,
                w[1] as f64 / 1e6,
                target as f64 / 1e6
            ));
        }
    }
    Ok((cuts, target))
}

/// The NAL unit types in a length-prefixed sample.
pub(crate) fn has_idr(data: &[u8], len_size: usize) -> bool {
    let mut i = 0;
    while i + len_size <= data.len() {
        let mut n = 0usize;
        for b in &data[i..i + len_size] {
            n = (n << 8) | usize::from(*b);
        }
        i += len_size;
        if n == 0 || i + n > data.len() {
            return false;
        }
        if data[i] & 0x1f == 5 {
            return true;
        }
        i += n;
    }
    false
}

struct Written {
    /// (bytes, duration ticks) per segment.
    sizes: Vec<(u64, u64)>,
    durations: Vec<u64>,
    /// Presentation time of the first sample, track ticks.
    start: u64,
    /// End of the last sample, track ticks.
    end: u64,
    /// Per segment: file name (segment mode) and the IDR's byte range in it.
    iframes: Vec<(String, ByteRange)>,
    single: Option<SingleFileReport>,
    single_name: Option<String>,
}

/// What one rendition's writing needs besides the rendition.
struct WriteJob<'a> {
    cuts: &'a [i64],
    out: &'a Path,
    segments: bool,
    single_ext: Option<&'a str>,
    limits: Limits,
    cancel: Option<&'a AtomicBool>,
}

/// Writes one rendition's segments (and/or single file) cut at `cuts` (µs).
fn write_rendition(r: &Rendition, job: &WriteJob<'_>) -> Result<Written, EngineError> {
    let is_video = r.track.kind == TrackKind::Video;
    let len_size = match &r.config.spec {
        TrackSpec::H264 { avcc, .. } => usize::from(avcc.get(4).map_or(3, |b| b & 3)) + 1,
        TrackSpec::Aac { .. } => 0,
    };
    let dir = job.out.join(&r.id);
    if job.segments {
        fs::create_dir_all(&dir).map_err(io(&dir))?;
        let init = strata_mux::init_segment(&r.config).map_err(mux(&dir))?;
        let p = dir.join("init.mp4");
        fs::write(&p, init).map_err(io(&p))?;
    }
    let single_name = job.single_ext.map(|e| format!("{}.{e}", r.id));
    let single_path = single_name.as_ref().map(|n| job.out.join(n));
    let mut single_w = match &single_path {
        Some(p) => Some(SingleFileWriter::create(p, &r.config).map_err(mux(p))?),
        None => None,
    };
    let mut frag: Option<FragmentWriter> = None;
    let mut w = Written {
        sizes: Vec::new(),
        durations: Vec::new(),
        start: 0,
        end: 0,
        iframes: Vec::new(),
        single: None,
        single_name: single_name.clone(),
    };
    let cuts = job.cuts;
    let mut next_cut = 1usize; // cuts[0] is where the first segment starts
    let mut seg_no = 0u32;
    let flush = |frag: &mut Option<FragmentWriter>,
                 w: &mut Written,
                 seg_no: &mut u32|
     -> Result<(), EngineError> {
        if let Some(f) = frag.as_mut() {
            if let Some(seg) = f.cut().map_err(mux(&dir))? {
                *seg_no += 1;
                let name = format!("seg_{seg_no}.m4s");
                let p = dir.join(&name);
                fs::write(&p, &seg.bytes).map_err(io(&p))?;
                w.sizes.push((seg.bytes.len() as u64, seg.duration));
                w.durations.push(seg.duration);
                w.iframes.push((name, seg.first_sample));
            }
        }
        Ok(())
    };
    // Output decode time = dts + shift, chosen so the first sample decodes at
    // max(0, its own presentation − composition offset); presentation is kept exact and
    // composition offsets carry the difference (signed, trun v1).
    let mut shift: Option<i64> = None;
    // Audio: a constant added to presentation so a first frame partly hidden by the priming
    // edit starts at 0 (the error is under one frame).
    let mut audio_adjust = 0i64;
    let mut started = false;
    let mut lead_in: Vec<(Vec<u8>, u32)> = Vec::new();
    for (k, p) in r.packets(job.limits)?.enumerate() {
        let p = p?;
        if k % 256 == 0 {
            cancelled(job.cancel)?;
        }
        let mut present = p.pts - r.media_time + r.empty + audio_adjust;
        if !is_video && !started {
            // Frames wholly before 0 are the encoder's priming, hidden by the edit list.
            if present + p.duration <= 0 {
                continue;
            }
            if present < 0 {
                audio_adjust = -present;
                present = 0;
            }
            // Audio starting late: silent frames from 0, so the playlist timeline and the
            // media agree (HLS has no other way to say "starts at 0.95 s").
            // Only for AAC-LC: the filler is an LC frame, which an SBR/PS stream cannot
            // carry; HE-AAC audio keeps its late start in tfdt instead.
            if let TrackSpec::Aac { channels, asc, .. } = &r.config.spec {
                let lc = crate::audio::audio_object_type(asc) == 2;
                if lc && p.duration > 0 && present >= p.duration {
                    let n = present / p.duration;
                    let frame = crate::silence::silent_frame(*channels);
                    for _ in 0..n {
                        lead_in.push((frame.clone(), u32::try_from(p.duration).unwrap_or(1024)));
                    }
                }
            }
        }
        let t_us = r.us(present);
        let at_cut = next_cut < cuts.len()
            && if is_video {
                p.keyframe && (t_us - cuts[next_cut]).abs() <= 1_000
            } else {
                let half = r.us(p.duration.max(1)) / 2;
                t_us >= cuts[next_cut] - half
            };
        let first_sample = !started;
        if is_video && (at_cut || first_sample) && !has_idr(&p.data, len_size) {
            return Err(package_err(
                &r.path,
                format!(
                    "the keyframe at {:.3} s is not an IDR (open GOP): a segment cannot start there without re-encoding",
                    t_us as f64 / 1e6
                ),
            ));
        }
        if at_cut {
            next_cut += 1;
            // Skip cuts this track has no sample for.
            while next_cut < cuts.len() && t_us >= cuts[next_cut] {
                next_cut += 1;
            }
            flush(&mut frag, &mut w, &mut seg_no)?;
            if let (Some(s), Some(sp)) = (single_w.as_mut(), &single_path) {
                s.cut().map_err(mux(sp))?;
            }
        }
        let lead_ticks: i64 = lead_in.iter().map(|(_, d)| i64::from(*d)).sum();
        let dts_shift = *shift.get_or_insert_with(|| (present - (p.pts - p.dts)).max(0) - p.dts);
        let dts_out = p.dts + dts_shift;
        if !started {
            started = true;
            w.start = u64::try_from(present - lead_ticks).unwrap_or(0);
            if job.segments {
                frag = Some(
                    FragmentWriter::new(
                        &r.config,
                        FragmentOptions {
                            styp: true,
                            sidx: true,
                            first_sequence: 1,
                            base_decode_time: u64::try_from(dts_out - lead_ticks).unwrap_or(0),
                        },
                    )
                    .map_err(mux(&dir))?,
                );
            }
            for (data, d) in lead_in.drain(..) {
                let sample = Sample {
                    data: &data,
                    duration: d,
                    cts_offset: 0,
                    sync: true,
                };
                if let Some(f) = frag.as_mut() {
                    f.push(sample).map_err(mux(&dir))?;
                }
                if let (Some(s), Some(sp)) = (single_w.as_mut(), &single_path) {
                    s.push(sample).map_err(mux(sp))?;
                }
            }
        }
        let cts = i32::try_from(present - dts_out).map_err(|_| {
            package_err(
                &r.path,
                format!(
                    "composition offset {} ticks does not fit a trun",
                    present - dts_out
                ),
            )
        })?;
        let duration = u32::try_from(p.duration.max(0)).unwrap_or(u32::MAX);
        w.end = w.end.max(u64::try_from(present + p.duration).unwrap_or(0));
        let sample = Sample {
            data: &p.data,
            duration,
            cts_offset: cts,
            sync: p.keyframe || !is_video,
        };
        if let Some(f) = frag.as_mut() {
            f.push(sample).map_err(mux(&dir))?;
        }
        if let (Some(s), Some(sp)) = (single_w.as_mut(), &single_path) {
            s.push(sample).map_err(mux(sp))?;
        }
    }
    flush(&mut frag, &mut w, &mut seg_no)?;
    if let (Some(s), Some(sp)) = (single_w, &single_path) {
        let rep = s.finish().map_err(mux(sp))?;
        if !job.segments {
            w.sizes = rep
                .segments
                .iter()
                .map(|s| (s.range.length, s.duration))
                .collect();
            w.durations = rep.segments.iter().map(|s| s.duration).collect();
            w.iframes = rep
                .segments
                .iter()
                .map(|s| (single_name.clone().unwrap_or_default(), s.first_sample))
                .collect();
        }
        w.single = Some(rep);
    }
    Ok(w)
}

fn frame_rate(track: &Track) -> (u32, u32) {
    if let CodecParams::H264 { video, .. } = &track.codec {
        if let Some(r) = video.frame_rate {
            if let (Ok(n), Ok(d)) = (u32::try_from(r.num()), u32::try_from(r.den())) {
                return (n, d);
            }
        }
    }
    let secs = track.time_base.seconds(track.duration);
    let fps = if secs > 0.0 && track.sample_count > 0 {
        f64::from(track.sample_count) / secs
    } else {
        25.0
    };
    ((fps * 1000.0).round().max(1.0) as u32, 1000)
}

/// Packages the MP4 files `files` (H.264 layers, and AAC either interleaved in them or in an
/// audio-only file) into `out` (created; must not exist), named after `basename`.
///
/// # Errors
/// [`EngineError::Package`] when the layers cannot be cut together (no shared keyframes,
/// keyframes not aligned, open GOP at a cut, no video), input and I/O errors.
pub fn package_files(
    files: &[PathBuf],
    out: &Path,
    basename: &str,
    options: &PackageOptions,
    limits: Limits,
    cancel: Option<&AtomicBool>,
) -> Result<PackageReport, EngineError> {
    let mut warnings = Vec::new();
    let (mut videos, mut audio) = open_renditions(files, limits, &mut warnings)?;
    if videos.is_empty() {
        return Err(package_err(
            out,
            "no H.264 video MP4 to package (audio-only sets are not packaged)".to_string(),
        ));
    }
    // Largest picture first, then highest bitrate (file size over equal durations), as a
    // ladder is read; the name breaks ties so the order never depends on the directory.
    let size = |r: &Rendition| fs::metadata(&r.path).map_or(0, |m| m.len());
    videos.sort_by(|a, b| {
        let area = |r: &Rendition| match &r.config.spec {
            TrackSpec::H264 { width, height, .. } => u64::from(*width) * u64::from(*height),
            TrackSpec::Aac { .. } => 0,
        };
        area(b)
            .cmp(&area(a))
            .then(size(b).cmp(&size(a)))
            .then(a.id.cmp(&b.id))
    });
    // Distinct ids even when two files share a stem after sanitising, or a layer is named
    // like the audio rendition.
    for i in 1..videos.len() {
        let mut k = 2;
        while videos[..i].iter().any(|v| v.id == videos[i].id) {
            videos[i].id = format!("{}_{k}", videos[i].id);
            k += 1;
        }
    }
    if let Some(a) = audio.as_mut() {
        let mut k = 2;
        let base = a.id.clone();
        while videos.iter().any(|v| v.id == a.id) {
            a.id = format!("{base}_{k}");
            k += 1;
        }
    }
    let mut layers = Vec::new();
    let mut end_us = 0i64;
    let mut frame_us = 0i64;
    for v in &videos {
        let (keys, end, frame) = keyframe_times(v, limits, cancel)?;
        end_us = end_us.max(end);
        if frame_us == 0 {
            frame_us = frame;
        }
        layers.push((v.id.clone(), keys));
    }
    // A frame duration from the samples themselves, never 0 (a 0 would make one segment).
    let frame_us = if frame_us > 0 { frame_us } else { 40_000 };
    let segment_us = options.segment_secs.map(|s| (s * 1e6).round() as i64);
    let (cuts, _target) = choose_cuts(
        &layers,
        end_us,
        segment_us,
        frame_us,
        &videos[0].path,
        &mut warnings,
    )?;

    fs::create_dir_all(out).map_err(io(out))?;
    let segments_mode = (options.hls || options.dash) && !options.single_file;
    // Smooth servers expect .ismv; plain byte-range files are served best as .mp4.
    let single_ext = if options.smooth {
        Some("ismv")
    } else if options.single_file {
        Some("mp4")
    } else {
        None
    };
    let job = WriteJob {
        cuts: &cuts,
        out,
        segments: segments_mode,
        single_ext,
        limits,
        cancel,
    };
    let mut written = Vec::new();
    for v in &videos {
        written.push(write_rendition(v, &job)?);
    }
    let audio_written = match &audio {
        Some(a) => Some(write_rendition(a, &job)?),
        None => None,
    };
    // The presentation lasts until the last track ends, audio included.
    let end_us = std::iter::once(end_us)
        .chain(
            audio
                .as_ref()
                .zip(audio_written.as_ref())
                .map(|(a, w)| a.us(w.end as i64)),
        )
        .max()
        .unwrap_or(end_us);
    let counts: Vec<usize> = written.iter().map(|w| w.durations.len()).collect();
    if counts.iter().any(|&c| c != counts[0]) {
        return Err(EngineError::Internal(format!(
            "segment counts differ between layers: {counts:?}"
        )));
    }

    let mut report = PackageReport {
        dir: out.to_path_buf(),
        hls: None,
        dash: None,
        smooth: None,
        segments: counts[0],
        segment_starts: cuts.iter().map(|&c| c as f64 / 1e6).collect(),
        warnings,
    };
    let audio_peak = audio_written
        .as_ref()
        .zip(audio.as_ref())
        .map_or(0, |(w, a)| {
            strata_mux::peak_bitrate(&w.sizes, a.config.timescale)
        });
    let audio_avg = audio_written
        .as_ref()
        .zip(audio.as_ref())
        .map_or(0, |(w, a)| {
            strata_mux::average_bitrate(&w.sizes, a.config.timescale)
        });
    let codec = |r: &Rendition| strata_mux::codec_string(&r.config.spec).map_err(mux(&r.path));
    let playlist_uri = |r: &Rendition| {
        if options.single_file {
            format!("{}.m3u8", r.id)
        } else {
            format!("{}/index.m3u8", r.id)
        }
    };
    let media_playlist = |r: &Rendition, w: &Written| -> MediaPlaylist {
        match (&w.single, options.single_file) {
            (Some(s), true) => MediaPlaylist {
                timescale: r.config.timescale,
                init_uri: w.single_name.clone().unwrap_or_default(),
                init_range: Some(s.init),
                segments: s
                    .segments
                    .iter()
                    .enumerate()
                    .map(|(i, e)| HlsSegment {
                        uri: w.single_name.clone().unwrap_or_default(),
                        duration: e.duration + if i == 0 { w.start } else { 0 },
                        range: Some(e.range),
                    })
                    .collect(),
            },
            _ => MediaPlaylist {
                timescale: r.config.timescale,
                init_uri: "init.mp4".into(),
                init_range: None,
                segments: w
                    .durations
                    .iter()
                    .enumerate()
                    // A track that starts after 0 (an empty edit) has no earlier sample to
                    // show; the first EXTINF covers the gap so every playlist's timeline
                    // matches the media time.
                    .map(|(i, &d)| HlsSegment {
                        uri: format!("seg_{}.m4s", i + 1),
                        duration: d + if i == 0 { w.start } else { 0 },
                        range: None,
                    })
                    .collect(),
            },
        }
    };

    if options.hls {
        let mut variants = Vec::new();
        let mut iframe_variants = Vec::new();
        let mut renditions = Vec::new();
        if let (Some(a), Some(aw)) = (&audio, &audio_written) {
            let text = strata_mux::media_playlist(&media_playlist(a, aw));
            let p = out.join(playlist_uri(a));
            fs::write(&p, text).map_err(io(&p))?;
            let channels = match &a.config.spec {
                TrackSpec::Aac { channels, .. } => *channels,
                TrackSpec::H264 { .. } => 2,
            };
            renditions.push(AudioRendition {
                group_id: "audio".into(),
                name: language(&a.config.language),
                language: (!a.config.language.is_empty() && a.config.language != "und")
                    .then(|| a.config.language.clone()),
                channels,
                default: true,
                uri: playlist_uri(a),
            });
        }
        let audio_codec = audio.as_ref().map(codec).transpose()?;
        for (v, w) in videos.iter().zip(&written) {
            let text = strata_mux::media_playlist(&media_playlist(v, w));
            let p = out.join(playlist_uri(v));
            fs::write(&p, text).map_err(io(&p))?;
            let (width, height) = match &v.config.spec {
                TrackSpec::H264 { width, height, .. } => (*width, *height),
                TrackSpec::Aac { .. } => (0, 0),
            };
            let vc = codec(v)?;
            let mut codecs = vec![vc.clone()];
            codecs.extend(audio_codec.clone());
            variants.push(Variant {
                uri: playlist_uri(v),
                bandwidth: strata_mux::peak_bitrate(&w.sizes, v.config.timescale) + audio_peak,
                average_bandwidth: strata_mux::average_bitrate(&w.sizes, v.config.timescale)
                    + audio_avg,
                codecs,
                width,
                height,
                frame_rate: frame_rate(&v.track),
                audio_group: audio.as_ref().map(|_| "audio".to_string()),
            });
            // I-frame playlist: each segment's IDR by byte range.
            let frames: Vec<IFrame> = w
                .iframes
                .iter()
                .zip(&w.durations)
                .map(|((uri, range), &d)| IFrame {
                    uri: uri.clone(),
                    duration: d,
                    range: *range,
                })
                .collect();
            let (init_uri, init_range) = match (&w.single, options.single_file) {
                (Some(s), true) => (w.single_name.clone().unwrap_or_default(), Some(s.init)),
                _ => ("init.mp4".to_string(), None),
            };
            let iframe_uri = if options.single_file {
                format!("{}_iframes.m3u8", v.id)
            } else {
                format!("{}/iframes.m3u8", v.id)
            };
            let text =
                strata_mux::iframe_playlist(v.config.timescale, &init_uri, init_range, &frames);
            let p = out.join(&iframe_uri);
            fs::write(&p, text).map_err(io(&p))?;
            let iframe_sizes: Vec<(u64, u64)> = w
                .iframes
                .iter()
                .zip(&w.durations)
                .map(|((_, r), &d)| (r.length, d))
                .collect();
            iframe_variants.push(IFrameVariant {
                uri: iframe_uri,
                bandwidth: strata_mux::peak_bitrate(&iframe_sizes, v.config.timescale),
                codecs: vc,
                width,
                height,
            });
        }
        let text = strata_mux::master_playlist(&variants, &renditions, &iframe_variants);
        let p = out.join(format!("{basename}.m3u8"));
        fs::write(&p, text).map_err(io(&p))?;
        report.hls = Some(p);
    }

    if options.dash {
        let segs = |r: &Rendition, w: &Written| -> DashSegments {
            match (&w.single, options.single_file) {
                (Some(s), true) => DashSegments::SingleFile {
                    timescale: r.config.timescale,
                    url: w.single_name.clone().unwrap_or_default(),
                    init: s.init,
                    index: s.index,
                },
                _ => DashSegments::Template {
                    timescale: r.config.timescale,
                    initialization: format!("{}/init.mp4", r.id),
                    media: format!("{}/seg_$Number$.m4s", r.id),
                    start_number: 1,
                    start: w.start,
                    durations: w.durations.clone(),
                },
            }
        };
        let mut dv = Vec::new();
        for (v, w) in videos.iter().zip(&written) {
            let (width, height, sar) = match &v.config.spec {
                TrackSpec::H264 {
                    width,
                    height,
                    pixel_aspect,
                    ..
                } => (*width, *height, pixel_aspect.unwrap_or((1, 1))),
                TrackSpec::Aac { .. } => (0, 0, (1, 1)),
            };
            dv.push(DashVideo {
                id: v.id.clone(),
                bandwidth: strata_mux::peak_bitrate(&w.sizes, v.config.timescale),
                codecs: codec(v)?,
                width,
                height,
                sar,
                frame_rate: frame_rate(&v.track),
                segments: segs(v, w),
            });
        }
        let mut da = Vec::new();
        if let (Some(a), Some(aw)) = (&audio, &audio_written) {
            let (sample_rate, channels) = match &a.config.spec {
                TrackSpec::Aac {
                    sample_rate,
                    channels,
                    ..
                } => (*sample_rate, *channels),
                TrackSpec::H264 { .. } => (48_000, 2),
            };
            da.push(DashAudio {
                id: a.id.clone(),
                bandwidth: audio_peak,
                codecs: codec(a)?,
                sample_rate,
                channels,
                language: language(&a.config.language),
                segments: segs(a, aw),
            });
        }
        let text = strata_mux::mpd_xml(&DashPresentation {
            duration: end_us.max(0) as u64,
            timescale: 1_000_000,
            video: dv,
            audio: da,
        })
        .map_err(mux(out))?;
        let p = out.join(format!("{basename}.mpd"));
        fs::write(&p, text).map_err(io(&p))?;
        report.dash = Some(p);
    }

    if options.smooth {
        let vts = videos[0].config.timescale;
        let vw = &written[0];
        let vrep = vw
            .single
            .as_ref()
            .ok_or_else(|| EngineError::Internal("no single file".into()))?;
        let timeline = IsmcTimeline {
            timescale: vts,
            start: vrep.segments.first().map_or(0, |s| s.decode_time),
            durations: vrep.segments.iter().map(|s| s.duration).collect(),
        };
        let mut iv = Vec::new();
        let mut ism_videos = Vec::new();
        for (v, w) in videos.iter().zip(&written) {
            let (width, height, avcc) = match &v.config.spec {
                TrackSpec::H264 {
                    width,
                    height,
                    avcc,
                    ..
                } => (*width, *height, avcc.clone()),
                TrackSpec::Aac { .. } => (0, 0, Vec::new()),
            };
            let bitrate = strata_mux::average_bitrate(&w.sizes, v.config.timescale);
            iv.push(IsmcVideo {
                bitrate,
                width,
                height,
                avcc,
            });
            ism_videos.push(IsmVideo {
                src: w.single_name.clone().unwrap_or_default(),
                system_bitrate: bitrate,
            });
        }
        let audio_parts = match (&audio, &audio_written) {
            (Some(a), Some(aw)) => {
                let rep = aw
                    .single
                    .as_ref()
                    .ok_or_else(|| EngineError::Internal("no single file".into()))?;
                let (sample_rate, channels, asc) = match &a.config.spec {
                    TrackSpec::Aac {
                        sample_rate,
                        channels,
                        asc,
                        ..
                    } => (*sample_rate, *channels, asc.clone()),
                    TrackSpec::H264 { .. } => (48_000, 2, Vec::new()),
                };
                let lang = language(&a.config.language);
                let bitrate = audio_avg;
                Some((
                    IsmcAudio {
                        name: format!("AAC_{lang}_ch{channels}_{}kbps", (bitrate + 500) / 1000),
                        language: lang,
                        bitrate,
                        sample_rate,
                        channels,
                        asc,
                    },
                    IsmcTimeline {
                        timescale: a.config.timescale,
                        start: rep.segments.first().map_or(0, |s| s.decode_time),
                        durations: rep.segments.iter().map(|s| s.duration).collect(),
                    },
                    aw.single_name.clone().unwrap_or_default(),
                ))
            }
            _ => None,
        };
        let text = strata_mux::client_manifest_xml(
            rescale_round(end_us, i64::from(vts), 1_000_000).max(0) as u64,
            vts,
            &iv,
            &timeline,
            audio_parts.as_ref().map(|(a, t, _)| (a, t)),
        )
        .map_err(mux(out))?;
        let ismc_name = format!("{basename}.ismc");
        let p = out.join(&ismc_name);
        fs::write(&p, text).map_err(io(&p))?;
        let ism_audio = audio_parts.as_ref().map(|(a, _, src)| IsmAudio {
            src: src.clone(),
            system_bitrate: a.bitrate,
            title: a.name.clone(),
        });
        let ism = strata_mux::server_manifest_xml_with(
            &ism_videos,
            ism_audio.as_ref(),
            "vod-fmp4",
            Some(&ismc_name),
        );
        let ip = out.join(format!("{basename}.ism"));
        fs::write(&ip, ism).map_err(io(&ip))?;
        report.smooth = Some(p);
    }
    Ok(report)
}

/// Packages an existing MP4 set in `asset_dir` (every `.mp4` directly inside it) into
/// `asset_dir/stream/`, written in a temporary folder and renamed when complete.
///
/// # Errors
/// [`EngineError::OutputExists`] when `stream/` exists already; as [`package_files`].
pub fn package_asset(
    asset_dir: &Path,
    options: &PackageOptions,
    limits: Limits,
) -> Result<PackageReport, EngineError> {
    let target = asset_dir.join(STREAM_DIR);
    if target.exists() {
        return Err(EngineError::OutputExists { path: target });
    }
    let mut files = Vec::new();
    let mut basename = None;
    for e in fs::read_dir(asset_dir).map_err(io(asset_dir))? {
        let p = e.map_err(io(asset_dir))?.path();
        match p
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
        {
            Some(ext) if ext == "mp4" || ext == "m4v" || ext == "m4a" => files.push(p),
            Some(ext) if ext == "ism" => basename = Some(stem(&p)),
            _ => {}
        }
    }
    files.sort();
    if files.is_empty() {
        return Err(package_err(asset_dir, "no MP4 files in the folder".into()));
    }
    let basename = safe_id(&basename.unwrap_or_else(|| stem(&files[0])));
    let tmp = asset_dir.join(format!(".{STREAM_DIR}.strata-tmp-{}", std::process::id()));
    if tmp.exists() {
        fs::remove_dir_all(&tmp).map_err(io(&tmp))?;
    }
    let result = package_files(&files, &tmp, &basename, options, limits, None);
    match result {
        Ok(mut report) => {
            fs::rename(&tmp, &target).map_err(|e| {
                let _ = fs::remove_dir_all(&tmp);
                io(&target)(e)
            })?;
            let moved = |p: Option<PathBuf>| p.and_then(|p| p.file_name().map(|n| target.join(n)));
            report.hls = moved(report.hls);
            report.dash = moved(report.dash);
            report.smooth = moved(report.smooth);
            report.dir = target;
            Ok(report)
        }
        Err(e) => {
            let _ = fs::remove_dir_all(&tmp);
            Err(e)
        }
    }
}
