//! Resolving a preset against an input: which tracks, which layers, which sizes and names.

use crate::{EncodeOptions, EngineError};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use strata_core::{rescale_round, CodecParams, Rational, Track, TrackKind};
use strata_demux::Demuxer;
use strata_h264::{EncoderConfig, EntropyMode, Profile, Speed};
use strata_preset::{FileNameVars, Preset};
use strata_scale::{fit, Geometry, StretchMode};

/// One output rendition, fully resolved.
#[derive(Debug, Clone)]
pub struct LayerPlan {
    /// 0-based index in the preset's `H264Layers`.
    pub index: usize,
    /// Output file name (sanitised; never a path).
    pub file_name: String,
    /// Output size and placement of the picture.
    pub geometry: Geometry,
    /// Encoder settings.
    pub encoder: EncoderConfig,
    /// Preset target bitrate, kbps.
    pub target_kbps: u32,
}

/// Everything decided before any frame is decoded.
pub struct Plan {
    /// The input file.
    pub input: PathBuf,
    /// The opened input.
    pub demuxer: Arc<dyn Demuxer>,
    /// The video track used.
    pub video: Track,
    /// The input audio track carried into every layer (copied, or re-encoded when
    /// `transcode` is set), if any.
    pub audio: Option<Track>,
    /// The re-encode of `audio` to the preset's AAC-LC; `None` copies an AAC track as is.
    pub(crate) transcode: Option<crate::audio::TranscodeSpec>,
    /// `{Basename}` of the input.
    pub basename: String,
    /// Layers in preset order.
    pub layers: Vec<LayerPlan>,
    /// IDR spacing in video track ticks.
    pub gop_ticks: i64,
    /// Source frame rate.
    pub frame_rate: Rational,
    /// Source picture size (after SPS cropping) and pixel aspect.
    pub source: (u32, u32, Rational),
    /// Things the preset asked for that are not honoured, said out loud.
    pub warnings: Vec<String>,
    /// Streaming packages the preset's Outputs ask for (`HLSFormat`, `DASHFormat`,
    /// `SmoothStreamingFormat`), added to those of [`crate::EncodeOptions::package`].
    pub package: crate::PackageOptions,
    /// Sources StartTime/Duration.
    pub trim: crate::sources::Trim,
    /// Crop, rotation, overlay, deinterlace switches.
    pub filters: crate::sources::SourceFilters,
    /// Crop rectangle actually applied (even-aligned), in input pixels.
    pub crop: Option<(u32, u32, u32, u32)>,
    /// Clockwise rotation applied to every picture (0, 90, 180, 270).
    pub rotation: u16,
    /// Size and pixel aspect of the picture after crop and rotation, before scaling.
    pub prepared: (u32, u32, Rational),
    /// Image codecs (thumbnails), resolved.
    pub thumbnails: Vec<crate::thumbstage::ThumbSpec>,
    /// Output Condition NonInterleaved: audio goes to its own MP4 named here, not into the
    /// layers.
    pub separate_audio: Option<String>,
    /// AACAudio Condition InsertSilenceIfNoAudio on an input without audio: (channels, Hz).
    pub silence: Option<(u16, u32)>,
    /// Expected output duration in seconds (after trimming).
    pub duration_secs: f64,
    /// The input has no video; black pictures are generated (H264Video Condition).
    pub black_video: bool,
    /// Deinterlace every picture (`Some(top_field_first)`): the input is flagged interlaced
    /// and the preset did not turn Deinterlace off.
    pub deinterlace: Option<bool>,
}

impl std::fmt::Debug for Plan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plan")
            .field("input", &self.input)
            .field("layers", &self.layers)
            .field("gop_ticks", &self.gop_ticks)
            .finish_non_exhaustive()
    }
}

fn source_geometry(path: &Path, video: &Track) -> Result<(u32, u32, Rational), EngineError> {
    match &video.codec {
        CodecParams::H264 { avcc, video: vp } => {
            let cfg = strata_h264::parse_avcc(avcc).map_err(|source| EngineError::Decode {
                path: path.to_path_buf(),
                source,
            })?;
            let sps =
                strata_h264::Sps::parse(&cfg.sps[0]).map_err(|source| EngineError::Decode {
                    path: path.to_path_buf(),
                    source,
                })?;
            strata_h264::check_decodable(&sps).map_err(|e| EngineError::UnsupportedVideo {
                path: path.to_path_buf(),
                codec: match e {
                    strata_h264::H264Error::Unsupported(m) if m.contains("H.264") => m,
                    strata_h264::H264Error::Unsupported(m) => format!("H.264 {m}"),
                    other => other.to_string(),
                },
            })?;
            // pasp wins over the VUI when both exist: it is what players apply.
            let par = if vp.pixel_aspect != Rational::from_int(1) {
                vp.pixel_aspect
            } else {
                sps.sar
                    .and_then(|(w, h)| Rational::new(i64::from(w), i64::from(h)).ok())
                    .unwrap_or(Rational::from_int(1))
            };
            Ok((sps.width, sps.height, par))
        }
        CodecParams::RawYuv420 { video: vp } => Ok((vp.width, vp.height, vp.pixel_aspect)),
        other => Err(EngineError::UnsupportedVideo {
            path: path.to_path_buf(),
            codec: other.name().to_string(),
        }),
    }
}

/// Sum of a track's sample sizes (reads every sample once).
pub(crate) fn track_payload_bytes(
    demuxer: &dyn Demuxer,
    t: &Track,
) -> Result<u64, strata_demux::DemuxError> {
    let mut bytes = 0u64;
    for p in demuxer.packets(t.id)? {
        bytes += p?.data.len() as u64;
    }
    Ok(bytes)
}

/// Mean bitrate of a track in kbps, from its sample sizes (audio tracks are small to read).
fn track_kbps(demuxer: &dyn Demuxer, t: &Track) -> u32 {
    let secs = t.duration as f64 / f64::from(t.time_base.ticks_per_second());
    let bytes = track_payload_bytes(demuxer, t).unwrap_or(0);
    if secs > 0.0 {
        (bytes as f64 * 8.0 / secs / 1000.0).round() as u32
    } else {
        0
    }
}

/// Frame rate of inserted black video: MES did not document one; 30 fps keeps players happy
/// and costs almost nothing to encode.
const BLACK_FPS: u32 = 30;

/// A synthetic video track of black 4:2:0 pictures as long as the audio track `a`, sized like
/// the top layer's box.
fn black_track(
    video_cfg: &strata_preset::H264Video,
    a: &strata_core::Track,
) -> Result<strata_core::Track, EngineError> {
    let top = &video_cfg.h264_layers[0];
    // Percent sizes have no source to refer to: take them of a 1280x720 picture.
    let (w, h) = (
        top.width.resolve(1280).max(2) & !1,
        top.height.resolve(720).max(2) & !1,
    );
    let secs = a.duration as f64 / f64::from(a.time_base.ticks_per_second());
    let frames = (secs * f64::from(BLACK_FPS)).ceil().max(1.0) as u32;
    let tb =
        strata_core::TimeBase::new(BLACK_FPS).map_err(|e| EngineError::Internal(e.to_string()))?;
    Ok(strata_core::Track {
        id: 0,
        kind: TrackKind::Video,
        time_base: tb,
        movie_time_base: tb,
        codec: CodecParams::RawYuv420 {
            video: strata_core::VideoParams {
                width: w,
                height: h,
                pixel_aspect: Rational::from_int(1),
                frame_rate: Some(Rational::from_int(i64::from(BLACK_FPS))),
                rotation: 0,
                top_field_first: None,
            },
        },
        sample_count: frames,
        duration: i64::from(frames),
        edits: None,
        language: "und".into(),
    })
}

impl Plan {
    /// Opens the input and resolves `preset` against it.
    ///
    /// # Errors
    /// Input, codec and preset errors; see [`EngineError`].
    pub fn new(
        input: &Path,
        preset: &Preset,
        options: &EncodeOptions,
    ) -> Result<Self, EngineError> {
        let mut warnings: Vec<String> = preset
            .validate()?
            .into_iter()
            .map(|w| w.to_string())
            .collect();
        let has_images = preset.codecs.iter().any(|c| {
            matches!(
                c,
                strata_preset::Codec::JpgImage(_)
                    | strata_preset::Codec::PngImage(_)
                    | strata_preset::Codec::BmpImage(_)
            )
        });
        // A thumbnails-only preset still decodes the video, it just encodes no layer.
        let no_layers;
        let video_cfg = match preset.h264_video() {
            Some(v) => v,
            None if has_images => {
                no_layers = strata_preset::parse_json(
                    r#"{"Version":1.0,"Codecs":[{"Type":"H264Video","H264Layers":[]}],"Outputs":[]}"#,
                )?;
                no_layers.h264_video().ok_or_else(|| {
                    EngineError::Internal("empty H264Video template did not parse".into())
                })?
            }
            None => {
                return Err(strata_preset::PresetError::Unsupported(
                    "an audio-only preset has no video plan: run it with encode (it writes one audio MP4)"
                        .into(),
                )
                .into())
            }
        };
        if video_cfg.h264_layers.is_empty() && !has_images {
            return Err(strata_preset::PresetError::Unsupported(
                "H264Video has no H264Layers".into(),
            )
            .into());
        }
        let output = match preset.mp4_output() {
            Some(o) => Some(o),
            None if video_cfg.h264_layers.is_empty() => None,
            None => {
                return Err(strata_preset::PresetError::Unsupported(
                    "the preset has no MP4Format output".into(),
                )
                .into())
            }
        };
        let mp4_pattern = output.map(|o| o.file_name.clone()).unwrap_or_default();
        let demuxer: Arc<dyn Demuxer> =
            Arc::from(strata_demux::open(input, options.limits).map_err(|source| {
                EngineError::Input {
                    path: input.to_path_buf(),
                    source,
                }
            })?);
        let tracks = demuxer.tracks();
        let black_condition = video_cfg.condition;
        let (video, black_video) = match tracks.iter().find(|t| t.kind == TrackKind::Video) {
            Some(v) => (v.clone(), false),
            None => match (
                black_condition,
                tracks.iter().find(|t| t.kind == TrackKind::Audio),
            ) {
                (Some(_), Some(a)) if !video_cfg.h264_layers.is_empty() => {
                    (black_track(video_cfg, a)?, true)
                }
                _ => {
                    return Err(EngineError::NoVideo {
                        path: input.to_path_buf(),
                    })
                }
            },
        };
        if video.sample_count == 0 {
            return Err(EngineError::NoFrames {
                path: input.to_path_buf(),
            });
        }
        let source = source_geometry(input, &video)?;
        let (trim, filters) = crate::sources::read(preset)?;
        let crop = match filters.crop {
            None => None,
            Some((x, y, w, h)) => {
                // 4:2:0 chroma needs even offsets and sizes: round the corner down and the
                // size down, so the rectangle never grows past what was asked.
                let (x2, y2) = (x & !1, y & !1);
                let (w2, h2) = ((w + (x - x2)) & !1, (h + (y - y2)) & !1);
                if w2 == 0 || h2 == 0 || x2 + w2 > source.0 || y2 + h2 > source.1 {
                    return Err(strata_preset::PresetError::Invalid {
                        field: "Sources[0].Filters.Crop".into(),
                        message: format!(
                            "Sources[0].Filters.Crop {x},{y} {w}x{h} does not fit inside the {}x{} input",
                            source.0, source.1
                        ),
                    }
                    .into());
                }
                Some((x2, y2, w2.min(source.0 - x2), h2.min(source.1 - y2)))
            }
        };
        let (cw, ch) = crop.map_or((source.0, source.1), |c| (c.2, c.3));
        let track_rotation = match &video.codec {
            CodecParams::H264 { video: vp, .. } | CodecParams::RawYuv420 { video: vp } => {
                vp.rotation
            }
            _ => 0,
        };
        let deinterlace = match &video.codec {
            CodecParams::H264 { video: vp, .. } | CodecParams::RawYuv420 { video: vp } => {
                vp.top_field_first
            }
            _ => None,
        }
        .filter(|_| !filters.deinterlace_off);
        let rotation = match filters.rotation {
            crate::sources::RotationMode::Auto => track_rotation,
            crate::sources::RotationMode::Fixed(r) => r,
        };
        let quarter = rotation % 180 == 90;
        let prepared = if quarter {
            let par = Rational::new(source.2.den(), source.2.num()).unwrap_or(source.2);
            (ch, cw, par)
        } else {
            (cw, ch, source.2)
        };
        let (audio, transcode) = choose_audio(
            input,
            preset,
            tracks,
            options,
            demuxer.as_ref(),
            &mut warnings,
        )?;
        let ts = i64::from(video.time_base.ticks_per_second());
        let frame_rate = match &video.codec {
            CodecParams::H264 { video: vp, .. } | CodecParams::RawYuv420 { video: vp } => {
                vp.frame_rate
            }
            _ => None,
        }
        .or_else(|| {
            (video.duration > 0)
                .then(|| Rational::new(i64::from(video.sample_count) * ts, video.duration).ok())
                .flatten()
        })
        .unwrap_or(Rational::from_int(25));
        let gop_ticks = {
            let t = video_cfg.key_frame_interval.ticks() as i128 * i128::from(ts) / 10_000_000;
            t.clamp(1, i128::from(i64::MAX)) as i64
        };
        let mut stretch = match video_cfg.stretch_mode {
            strata_preset::StretchMode::None => StretchMode::None,
            strata_preset::StretchMode::AutoSize => StretchMode::AutoSize,
            strata_preset::StretchMode::AutoFit => StretchMode::AutoFit,
        };
        // MES (reference §2.7): layer sizes describe the un-rotated frame; a quarter-turned
        // picture is pillar-boxed into that box unless PreserveResolutionAfterRotation swaps
        // the box to the rotated orientation.
        let swap_box = quarter && video_cfg.preserve_resolution_after_rotation;
        if quarter && !swap_box && stretch == StretchMode::AutoSize {
            stretch = StretchMode::AutoFit;
        }
        let speed = match video_cfg.complexity {
            strata_preset::Complexity::Speed => Speed::Fast,
            strata_preset::Complexity::Balanced => Speed::Balanced,
            strata_preset::Complexity::Quality => Speed::Quality,
        };
        let basename = strata_preset::basename_from_file_name(
            &input
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
        );
        let single = video_cfg.h264_layers.len() == 1;
        let mut layers = Vec::new();
        for (index, l) in video_cfg.h264_layers.iter().enumerate() {
            let (bw, bh) = (l.width.resolve(cw), l.height.resolve(ch));
            let (bw, bh) = if swap_box { (bh, bw) } else { (bw, bh) };
            // Percent sizes can land on odd numbers; round down to even as MES did.
            let (bw, bh) = (bw & !1, bh & !1);
            let geometry =
                fit(prepared.0, prepared.1, prepared.2, bw, bh, stretch).map_err(|e| {
                    EngineError::Layer {
                        layer: index,
                        width: bw,
                        height: bh,
                        reason: e.to_string(),
                    }
                })?;
            if !l.level.trim().eq_ignore_ascii_case("auto") && !l.level.trim().is_empty() {
                warnings.push(format!(
                    "H264Layers[{index}].Level {} is not forced: OpenH264 signals the lowest level that fits the layer",
                    l.level
                ));
            }
            if !l.frame_rate.is_same_as_input() {
                warnings.push(format!(
                    "H264Layers[{index}].FrameRate {}/{} is not applied yet: the layer keeps the input frame rate",
                    l.frame_rate.num, l.frame_rate.den
                ));
            }
            let profile = match l.profile {
                strata_preset::H264Profile::Baseline => Profile::Baseline,
                strata_preset::H264Profile::Main => Profile::Main,
                // MES "Auto" resolved to Main/High; High gets the 8x8 transform.
                _ => Profile::High,
            };
            let entropy = match l.entropy_mode {
                strata_preset::EntropyMode::Cavlc => EntropyMode::Cavlc,
                strata_preset::EntropyMode::Cabac => EntropyMode::Cabac,
            };
            let kbps = l.bitrate;
            let encoder = EncoderConfig {
                width: geometry.width,
                height: geometry.height,
                bitrate_bps: kbps.saturating_mul(1000),
                max_bitrate_bps: l.max_bitrate.unwrap_or(kbps).max(kbps).saturating_mul(1000),
                frame_rate: frame_rate.to_f64() as f32,
                profile,
                entropy,
                speed,
                scene_change_detection: single && video_cfg.scene_change_detection,
                slices: slices_for(geometry.width, geometry.height),
            };
            let mut vars = FileNameVars::new(basename.clone());
            vars.width = Some(geometry.width);
            vars.height = Some(geometry.height);
            vars.video_bitrate = Some(kbps);
            vars.codec = Some("H264".into());
            vars.extension = Some(".mp4".into());
            if let Some(a) = preset.aac_audio() {
                vars.audio_bitrate = Some(a.bitrate);
                vars.channel = Some(a.channels);
            }
            let file_name = strata_preset::expand_file_name(&mp4_pattern, &vars)?;
            layers.push(LayerPlan {
                index,
                file_name,
                geometry,
                encoder,
                target_kbps: kbps,
            });
        }
        if black_video
            && black_condition
                == Some(strata_preset::VideoCondition::InsertBlackIfNoVideoBottomLayerOnly)
        {
            // Black video only at the lowest bitrate: the other layers would waste bits on
            // nothing.
            if let Some(low) = layers.iter().min_by_key(|l| l.target_kbps).cloned() {
                layers = vec![low];
            }
        }
        if black_video {
            warnings.push(
                "the input has no video: black video inserted as the preset's Condition asks"
                    .into(),
            );
        }
        // Two layers with one name would overwrite each other: MES appended nothing, so we
        // disambiguate with the layer index rather than lose a file.
        for i in 0..layers.len() {
            if layers[..i]
                .iter()
                .any(|l| l.file_name == layers[i].file_name)
            {
                let stem = layers[i].file_name.trim_end_matches(".mp4").to_string();
                layers[i].file_name = format!("{stem}_{}.mp4", i + 1);
                warnings.push(format!(
                    "two layers expand to the same file name; layer {i} renamed {}",
                    layers[i].file_name
                ));
            }
        }
        // The asset's own manifests share the folder: a layer named like one would be
        // overwritten by it after encoding.
        let reserved = [
            format!("{}.ism", basename),
            format!("{}_manifest.xml", basename),
        ];
        for l in &layers {
            if reserved
                .iter()
                .any(|r| r.eq_ignore_ascii_case(&l.file_name))
            {
                return Err(strata_preset::PresetError::Invalid {
                    field: "Outputs[].FileName".into(),
                    message: format!(
                        "FileName {:?} expands to {:?}, the name of the asset's own manifest: layer {} would be overwritten",
                        mp4_pattern, l.file_name, l.index
                    ),
                }
                .into());
            }
        }
        if let Some(o) = &filters.overlay {
            let base = input.parent().unwrap_or(Path::new("."));
            let p = base.join(&o.source);
            if !p.is_file() {
                return Err(strata_preset::PresetError::Invalid {
                    field: "Sources[0].Filters.VideoOverlay.Source".into(),
                    message: format!(
                        "Sources[0].Filters.VideoOverlay.Source {:?}: no such file {}",
                        o.source,
                        p.display()
                    ),
                }
                .into());
            }
        }
        if let Some(start) = trim.start_us {
            let first = video.edits.map_or(0, |e| {
                rescale_round(
                    e.empty_duration,
                    1_000_000,
                    i64::from(video.movie_time_base.ticks_per_second()),
                )
            });
            let end = first + rescale_round(video.duration, 1_000_000, ts);
            if !black_video && start >= end {
                return Err(strata_preset::PresetError::Invalid {
                    field: "Sources[0].StartTime".into(),
                    message: format!(
                        "Sources[0].StartTime {:.3} s is at or past the end of the input ({:.3} s)",
                        start as f64 / 1e6,
                        end as f64 / 1e6
                    ),
                }
                .into());
            }
        }
        let out_secs = {
            let full = video.duration as f64 / ts as f64;
            let start = trim.start_us.unwrap_or(0) as f64 / 1e6;
            let rest = (full - start.max(0.0)).max(0.0);
            trim.duration_us.map_or(rest, |d| rest.min(d as f64 / 1e6))
        };
        let thumbnails = crate::thumbstage::specs(
            preset,
            prepared.0,
            prepared.1,
            out_secs,
            frame_rate.to_f64(),
            (out_secs * frame_rate.to_f64()).round().max(1.0) as u64,
        )?;
        let aac = preset.aac_audio();
        let silence = match (aac, &audio) {
            (Some(a), None)
                if a.condition == Some(strata_preset::AudioCondition::InsertSilenceIfNoAudio)
                    && !layers.is_empty() =>
            {
                let ch = if a.channels == 1 { 1 } else { 2 };
                if a.channels > 2 {
                    warnings.push(format!(
                        "InsertSilenceIfNoAudio: silence is written as stereo, not {} channels",
                        a.channels
                    ));
                }
                Some((ch, a.sampling_rate))
            }
            _ => None,
        };
        let separate_audio = (output
            .is_some_and(|o| o.condition == Some(strata_preset::OutputCondition::NonInterleaved))
            && (audio.is_some() || silence.is_some()))
        .then(|| {
            let (ch, kbps) = match (&audio, aac) {
                (Some(_), _) if transcode.is_some() => transcode
                    .as_ref()
                    .map_or((2, 0), |t| (u32::from(t.channels), t.bitrate_kbps)),
                (Some(t), _) => match &t.codec {
                    // Passed through: name it after what it is, not the preset's target.
                    CodecParams::Aac { audio, .. } => {
                        (u32::from(audio.channels), track_kbps(demuxer.as_ref(), t))
                    }
                    _ => (2, 0),
                },
                (None, Some(a)) => (a.channels, a.bitrate),
                (None, None) => (2, 0),
            };
            let lang = audio
                .as_ref()
                .map_or("und".to_string(), |t| t.language.clone());
            strata_preset::sanitize_file_name(&format!(
                "{}_AAC_{lang}_ch{ch}_{kbps}kbps.mp4",
                basename.chars().take(32).collect::<String>()
            ))
        })
        .transpose()?;
        Ok(Self {
            input: input.to_path_buf(),
            demuxer,
            video,
            audio,
            transcode,
            basename,
            layers,
            gop_ticks,
            frame_rate,
            source,
            warnings,
            package: crate::PackageOptions {
                hls: preset
                    .outputs
                    .iter()
                    .any(|o| o.format == strata_preset::OutputFormat::Hls),
                dash: preset
                    .outputs
                    .iter()
                    .any(|o| o.format == strata_preset::OutputFormat::Dash),
                smooth: preset
                    .outputs
                    .iter()
                    .any(|o| o.format == strata_preset::OutputFormat::Smooth),
                ..crate::PackageOptions::default()
            },
            trim,
            filters,
            crop,
            rotation,
            prepared,
            thumbnails,
            separate_audio,
            silence,
            duration_secs: out_secs,
            deinterlace,
            black_video,
        })
    }
}

/// Slices (and OpenH264 threads) for a layer of `w`x`h`: one below 720p, where layers already
/// run side by side and a picture is cheap; two from 720p, whose encode is the long pole of a
/// ladder and the whole work of a single-layer preset; four from 1440p. Chosen from the picture
/// alone, so the bytes never depend on the machine.
pub(crate) fn slices_for(w: u32, h: u32) -> u32 {
    match u64::from(w) * u64::from(h) {
        a if a >= 2560 * 1440 => 4,
        a if a >= 1280 * 720 => 2,
        _ => 1,
    }
}

/// Which input audio track the task uses, and whether it is copied or re-encoded.
///
/// - `CopyAudio` copies an AAC track unchanged.
/// - `AACAudio` re-encodes to the preset's channels, rate and bitrate, except when the input
///   already is AAC-LC with the same channels and rate and a bitrate within 10 % of the
///   target: re-encoding that could only lose quality, so it is copied (MES did the same).
/// - HE-AAC presets are encoded by libfdk-aac in builds with the `fdk-aac` feature and are a
///   clear error without it. HE-AAC input (which nothing here decodes) is copied when the
///   preset has no AACAudio or asks for the same profile at about the same bitrate.
/// - A preset asking for more channels than the input has keeps the input's layout (mono
///   becomes stereo) with the bitrate scaled down, unless the caller allows upmixing.
/// - Without an audio codec in the preset, AAC is copied and other codecs are re-encoded to
///   AAC-LC stereo 48 kHz 128 kbps, the MES default.
/// - Codecs nothing here decodes (Opus, AC-3, …) fail the task, or are dropped with a warning
///   when the caller chose [`crate::UnsupportedAudioPolicy::Drop`].
pub(crate) fn choose_audio(
    input: &Path,
    preset: &Preset,
    tracks: &[Track],
    options: &EncodeOptions,
    demuxer: &dyn Demuxer,
    warnings: &mut Vec<String>,
) -> Result<(Option<Track>, Option<crate::audio::TranscodeSpec>), EngineError> {
    use crate::audio::{AudioFrom, TranscodeSpec};
    let Some(t) = tracks
        .iter()
        .find(|t| t.kind == TrackKind::Audio && t.sample_count > 0)
    else {
        return Ok((None, None));
    };
    let copy = preset
        .codecs
        .iter()
        .any(|c| matches!(c, strata_preset::Codec::CopyAudio));
    let facts = crate::audio::aac_facts(t);
    if copy {
        if facts.is_none() {
            return Err(strata_preset::PresetError::Invalid {
                field: "Codecs[].CopyAudio".into(),
                message: format!(
                    "CopyAudio copies AAC only; the input's audio is {}: use AACAudio to re-encode it",
                    t.codec.name()
                ),
            }
            .into());
        }
        return Ok((Some(t.clone()), None));
    }
    let preset_audio = preset.aac_audio();
    let from = match &t.codec {
        CodecParams::Aac { asc, .. } => match crate::audio::audio_object_type(asc) {
            2 => AudioFrom::Track,
            aot => {
                // Nothing here decodes SBR/PS, so HE-AAC input can only be copied: when the
                // preset has no AACAudio, or asks for this very profile at about this bitrate.
                let same = preset_audio.is_some_and(|a| {
                    let near = f64::from(track_kbps(demuxer, t)) / f64::from(a.bitrate.max(1));
                    he_object_type(a.profile) == Some(aot) && (0.9..=1.1).contains(&near)
                });
                if preset_audio.is_none() || same {
                    return Ok((Some(t.clone()), None));
                }
                let name = match aot {
                    5 => "HE-AAC (SBR)".to_string(),
                    29 => "HE-AAC v2 (PS)".to_string(),
                    n => format!("AAC object type {n}"),
                };
                return unsupported(input, t, name, options, warnings);
            }
        },
        CodecParams::Unsupported { name, .. } if crate::audio::file_decodable(name) => {
            AudioFrom::File
        }
        other => return unsupported(input, t, other.name().to_string(), options, warnings),
    };
    let Some(a) = preset_audio else {
        let spec = (from == AudioFrom::File).then_some(TranscodeSpec {
            profile: strata_audio::AacProfile::Lc,
            channels: 2,
            sample_rate: 48_000,
            bitrate_kbps: 128,
            from,
            allow_upmix: options.allow_upmix,
        });
        if spec.is_some() {
            warnings.push(format!(
                "the preset has no AACAudio: the input's {} audio is re-encoded to AAC-LC stereo 48 kHz 128 kbps",
                t.codec.name()
            ));
        }
        return Ok((Some(t.clone()), spec));
    };
    let profile = crate::audio::encoder_profile(a.profile)?;
    let wanted = crate::audio::encodable_channels(
        profile,
        crate::audio::preset_channels(a.channels),
        warnings,
    );
    if a.channels == 5 {
        warnings.push("AACAudio Channels 5 is written as 5.1 (6 channels)".into());
    }
    let in_ch = match &t.codec {
        CodecParams::Aac { audio, .. } => audio.channels,
        // Not known before decoding; the mixer refuses an impossible layout then.
        _ => wanted,
    };
    let (channels, bitrate_kbps) =
        keep_channels(wanted, in_ch, a.bitrate, options.allow_upmix, warnings);
    if let (Some((2, ch, rate)), AudioFrom::Track, strata_audio::AacProfile::Lc) =
        (facts, from, profile)
    {
        let kbps = track_kbps(demuxer, t);
        let near = f64::from(kbps) / f64::from(bitrate_kbps.max(1));
        if ch == channels && rate == a.sampling_rate && (0.9..=1.1).contains(&near) {
            return Ok((Some(t.clone()), None));
        }
    }
    Ok((
        Some(t.clone()),
        Some(TranscodeSpec {
            profile,
            channels,
            sample_rate: a.sampling_rate,
            bitrate_kbps,
            from,
            allow_upmix: options.allow_upmix,
        }),
    ))
}

/// The AudioObjectType of an HE-AAC preset profile (`None` for AAC-LC).
fn he_object_type(p: strata_preset::AacProfile) -> Option<u8> {
    match p {
        strata_preset::AacProfile::AacLc => None,
        strata_preset::AacProfile::HeAacV1 => Some(5),
        strata_preset::AacProfile::HeAacV2 => Some(29),
    }
}

fn unsupported(
    input: &Path,
    t: &Track,
    codec: String,
    options: &EncodeOptions,
    warnings: &mut Vec<String>,
) -> Result<(Option<Track>, Option<crate::audio::TranscodeSpec>), EngineError> {
    match options.unsupported_audio {
        crate::UnsupportedAudioPolicy::Error => Err(EngineError::UnsupportedAudio {
            path: input.to_path_buf(),
            codec,
        }),
        crate::UnsupportedAudioPolicy::Drop => {
            warnings.push(format!(
                "the input's audio (track {}, {codec}) has no decoder here and was dropped as asked: the output is video-only",
                t.id
            ));
            Ok((None, None))
        }
    }
}

/// Output channels and bitrate when the preset asks for `wanted` channels of an input with
/// `in_ch`: no upmix unless allowed (mono still becomes stereo); the per-channel bitrate is
/// kept when channels are dropped, with the encoder's floor of 8 kbps per channel.
pub(crate) fn keep_channels(
    wanted: u16,
    in_ch: u16,
    bitrate_kbps: u32,
    allow_upmix: bool,
    warnings: &mut Vec<String>,
) -> (u16, u32) {
    if wanted > in_ch && in_ch > 1 && !allow_upmix {
        let kbps = (bitrate_kbps * u32::from(in_ch) / u32::from(wanted)).max(8 * u32::from(in_ch));
        warnings.push(format!(
            "the preset asks for {wanted} audio channels and the input has {in_ch}: kept {in_ch} channels at {kbps} kbps (no upmix unless allowed)"
        ));
        (in_ch, kbps)
    } else {
        (wanted, bitrate_kbps)
    }
}
