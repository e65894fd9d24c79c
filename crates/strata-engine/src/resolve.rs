//! Preset names that depend on the input: "Adaptive Streaming" and "Content Adaptive Multiple
//! Bitrate MP4" build their ladder from the input (docs/auto-ladder.md); every other name is a
//! system (or legacy) preset.

use crate::{EncodeOptions, EngineError};
use std::path::Path;
use strata_core::{CodecParams, TrackKind};
use strata_preset::{auto_preset, AutoKind, Preset, SourceFacts};

/// Windows of one second the content probe decodes for "Content Adaptive Multiple Bitrate MP4".
pub const PROBE_WINDOWS: usize = 3;

/// Resolves a preset name against `input`.
///
/// # Errors
/// [`EngineError::Preset`] for an unknown name (with suggestions); input errors when an auto
/// preset has to look at the input.
pub fn resolve_preset(
    name: &str,
    input: &Path,
    options: &EncodeOptions,
) -> Result<Preset, EngineError> {
    let Some(kind) = AutoKind::from_preset_name(name) else {
        return Ok(strata_preset::system_preset(name)?);
    };
    let input_err = |source| EngineError::Input {
        path: input.to_path_buf(),
        source,
    };
    let demuxer = strata_demux::open(input, options.limits).map_err(input_err)?;
    let video = demuxer
        .tracks()
        .iter()
        .find(|t| t.kind == TrackKind::Video)
        .cloned()
        .ok_or_else(|| EngineError::NoVideo {
            path: input.to_path_buf(),
        })?;
    let has_audio = demuxer.tracks().iter().any(|t| t.kind == TrackKind::Audio);
    let vp = match &video.codec {
        CodecParams::H264 { video, .. } | CodecParams::RawYuv420 { video } => video.clone(),
        other => {
            return Err(EngineError::UnsupportedVideo {
                path: input.to_path_buf(),
                codec: other.name().to_string(),
            })
        }
    };
    let secs = video.duration as f64 / f64::from(video.time_base.ticks_per_second());
    let frame_rate = vp
        .frame_rate
        .map(|r| r.to_f64())
        .unwrap_or_else(|| f64::from(video.sample_count) / secs.max(1e-3));
    // Display size: the auto ladder reasons in square pixels, upright.
    let dw = (f64::from(vp.width) * vp.pixel_aspect.to_f64()).round() as u32;
    let (w, h) = if vp.rotation % 180 == 90 {
        (vp.height, dw)
    } else {
        (dw, vp.height)
    };
    // The input's video bitrate from its sample sizes (the ladder must stay under it; a
    // file-size estimate overshoots when the audio is large, e.g. 5.1 at 384 kbps).
    let video_bytes =
        crate::plan::track_payload_bytes(demuxer.as_ref(), &video).map_err(input_err)?;
    let video_kbps = (secs > 0.0 && video_bytes > 0)
        .then(|| ((video_bytes as f64 * 8.0 / secs / 1000.0) as u32).max(1));
    let complexity = match kind {
        AutoKind::ContentAdaptive => Some(crate::probe::content_complexity(
            demuxer.as_ref(),
            &video,
            PROBE_WINDOWS,
        )?),
        AutoKind::AdaptiveStreaming => None,
    };
    let facts = SourceFacts {
        width: w,
        height: h,
        frame_rate,
        video_kbps,
        has_audio,
    };
    Ok(auto_preset(kind, &facts, complexity))
}
