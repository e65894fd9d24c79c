//! The auto ladder behind the MES system presets "Adaptive Streaming" and "Content Adaptive
//! Multiple Bitrate MP4" (reference §3).
//!
//! MES never published its input → ladder table; §3 holds three examples and the pattern they
//! fit. This module turns that pattern into an exact, documented rule (see
//! `docs/auto-ladder.md` for the reasoning and the worked numbers):
//!
//! 1. **Rungs.** Rung sizes come from [`AUTO_BASE_LADDER`] (short side 1080, 720, 540, 360,
//!    270, 180). A rung is used when it is not above the source's short side (never upscale) and
//!    the ladder stops at 1080 even for UHD input. A source whose short side is below 180 gets
//!    one rung at its own (even) size. The short side is the height for landscape and the width
//!    for portrait sources, so a 1080x1920 phone video gets the same ladder, turned, as a
//!    1920x1080 one. The long side follows the source display aspect, rounded to the nearest
//!    even number (the rounding `StretchMode` AutoSize uses).
//! 2. **Bitrates.** Rung `i` gets `B_i × a_i × k`, where `B_i` is the 29.97 fps 16:9 base table,
//!    `a_i = (rung pixels / 16:9 rung pixels)^0.8` corrects for other aspect ratios (1 for 16:9),
//!    and `k = k_fps × k_content × k_cap`:
//!    - `k_fps = (fps / 29.97)^0.8`, clamped to [[`AUTO_MIN_FPS_FACTOR`],
//!      [`AUTO_MAX_FPS_FACTOR`]];
//!    - `k_content = 0.6 + 0.6 × c` for a probed complexity `c` in [0, 1], 1 without a probe
//!      (so `c = 2/3` gives the MES ladder);
//!    - `k_cap = min(1, 0.9 × source kbps / top rung kbps)` when the source video bitrate is
//!      known, so the top rung stays at or below 90 % of it (the whole table scales).
//!
//!    Bitrates are rounded to the nearest 10 kbps (nearest 1 kbps under 100 kbps) and never
//!    exceed the cap.
//! 3. **Pruning (probed complexity only).** Walking down from the top rung, a rung is dropped
//!    when its bitrate is below [`AUTO_PROBED_FLOOR_KBPS`] or above `0.45 + 0.3 × c` times the
//!    bitrate of the last rung kept (too close to its neighbour). The top rung is always kept.
//!    Flat content (cartoons, slides) thus gets fewer, more widely spaced and cheaper layers than
//!    sport.

use crate::model::{AacAudio, Codec, H264Layer, H264Video, Output, OutputFormat, Preset};
use crate::timespan::TimeSpan;
use crate::validate::MAX_LAYER_DIMENSION;
use crate::values::{
    AacProfile, Complexity, EntropyMode, FrameRate, H264Profile, OutputCondition, Size, StretchMode,
};

/// The base ladder at 29.97 fps for 16:9 pictures: (short side in pixels, kbps), top first.
/// These are the rungs of the 1080p example in reference §3.
pub const AUTO_BASE_LADDER: [(u32, u32); 6] = [
    (1080, 6780),
    (720, 3520),
    (540, 2210),
    (360, 1150),
    (270, 720),
    (180, 380),
];

/// Frame rate of [`AUTO_BASE_LADDER`].
pub const AUTO_BASE_FPS: f64 = 29.97;

/// Exponent of the frame-rate and pixel-count corrections (fitted to §3: the 23.97 fps example
/// is the base table × 0.836 = (23.97/29.97)^0.8; the base table's bitrate grows as pixels^0.8).
pub const AUTO_SCALE_EXPONENT: f64 = 0.8;

/// Lowest frame-rate factor (`(fps/29.97)^0.8` is clamped to at least this; reached near 12 fps).
pub const AUTO_MIN_FPS_FACTOR: f64 = 0.5;

/// Highest frame-rate factor (reached near 60 fps: (60/29.97)^0.8 = 1.74).
pub const AUTO_MAX_FPS_FACTOR: f64 = 1.75;

/// The top rung is kept at or below this fraction of the source video bitrate.
pub const AUTO_SOURCE_BITRATE_FRACTION: f64 = 0.9;

/// With a probed complexity, rungs (other than the top) under this many kbps are dropped.
pub const AUTO_PROBED_FLOOR_KBPS: u32 = 200;

/// Audio of the auto presets: AAC-LC stereo 48 kHz 128 kbps (reference §3, v3 doc).
const AUDIO_KBPS: u32 = 128;

/// File-name pattern of every auto-preset layer (as the system presets, reference §1.1).
const FILE_NAME: &str = "{Basename}_{Width}x{Height}_{VideoBitrate}.mp4";

/// What the auto ladder needs to know about the input.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SourceFacts {
    /// Display width in pixels (coded width with the pixel aspect ratio applied).
    pub width: u32,
    /// Display height in pixels.
    pub height: u32,
    /// Frames per second; 0, negative or not finite means unknown (29.97 is assumed).
    pub frame_rate: f64,
    /// Video bitrate of the input in kbps, when known; `Some(0)` counts as unknown.
    pub video_kbps: Option<u32>,
    /// Whether the input has an audio track (no `AACAudio` codec is emitted without one).
    pub has_audio: bool,
}

/// Which of the two MES auto presets to build.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AutoKind {
    /// "Adaptive Streaming": audio is not interleaved into the video MP4s (streaming only).
    AdaptiveStreaming,
    /// "Content Adaptive Multiple Bitrate MP4": audio interleaved in every MP4, so each file
    /// also plays as a progressive download.
    ContentAdaptive,
}

impl AutoKind {
    /// Both kinds.
    pub const ALL: [AutoKind; 2] = [AutoKind::AdaptiveStreaming, AutoKind::ContentAdaptive];

    /// The MES system-preset name (`"Adaptive Streaming"`, `"Content Adaptive Multiple Bitrate
    /// MP4"`).
    ///
    /// # Errors
    /// None: this is a constant lookup.
    pub const fn preset_name(self) -> &'static str {
        match self {
            AutoKind::AdaptiveStreaming => "Adaptive Streaming",
            AutoKind::ContentAdaptive => "Content Adaptive Multiple Bitrate MP4",
        }
    }

    /// The kind whose [`preset_name`](Self::preset_name) is `name`, compared
    /// case-insensitively after trimming; `None` for any other name.
    ///
    /// # Errors
    /// None: an unknown name gives `None`.
    pub fn from_preset_name(name: &str) -> Option<Self> {
        let name = name.trim();
        Self::ALL
            .into_iter()
            .find(|k| k.preset_name().eq_ignore_ascii_case(name))
    }
}

/// Nearest even integer to `num / den`, at least 2 (the rounding of `StretchMode` AutoSize).
fn even_round(num: u64, den: u64) -> u32 {
    let twice = (num + den) / (2 * den);
    (twice.max(1) * 2).min(u64::from(u32::MAX - 1)) as u32
}

/// Rounds a positive bitrate to 10 kbps (1 kbps below 100 kbps), at least 1.
fn round_kbps(kbps: f64) -> u32 {
    let r = if kbps >= 100.0 {
        (kbps / 10.0).round() * 10.0
    } else {
        kbps.round()
    };
    r.clamp(1.0, f64::from(u32::MAX)) as u32
}

/// One rung before rounding: output size and unrounded kbps at `k = 1`.
struct Rung {
    width: u32,
    height: u32,
    base_kbps: f64,
}

/// The rungs for a source, top first, with their 29.97 fps bitrates corrected for aspect.
fn rungs(src: &SourceFacts) -> Vec<Rung> {
    let (w, h) = (src.width.max(2), src.height.max(2));
    let portrait = h > w;
    let (short, long) = if portrait { (w, h) } else { (h, w) };
    let sized = |short_px: u32, long_px: u32| {
        let long_px = long_px.min(MAX_LAYER_DIMENSION);
        if portrait {
            (short_px, long_px)
        } else {
            (long_px, short_px)
        }
    };
    // Pixel-count correction relative to the 16:9 picture of the same short side.
    let area_factor = |short_px: u32, long_px: u32, ref_short: u32| {
        let ref_long = even_round(u64::from(ref_short) * 16, 9);
        let ratio = (f64::from(short_px) * f64::from(long_px))
            / (f64::from(ref_short) * f64::from(ref_long));
        ratio.powf(AUTO_SCALE_EXPONENT)
    };
    let top = short.min(AUTO_BASE_LADDER[0].0);
    let mut out: Vec<Rung> = AUTO_BASE_LADDER
        .iter()
        .filter(|(rung, _)| *rung <= top)
        .map(|&(rung, kbps)| {
            let long_px = even_round(u64::from(rung) * u64::from(long), u64::from(short));
            let (width, height) = sized(rung, long_px);
            Rung {
                width,
                height,
                base_kbps: f64::from(kbps) * area_factor(rung, long_px, rung),
            }
        })
        .collect();
    if out.is_empty() {
        // Below the smallest rung: one layer at the source's own even size.
        let (s, l) = ((short & !1).max(2), (long & !1).max(2));
        let (ref_short, ref_kbps) = AUTO_BASE_LADDER[AUTO_BASE_LADDER.len() - 1];
        let (width, height) = sized(s, l);
        out.push(Rung {
            width,
            height,
            base_kbps: f64::from(ref_kbps) * area_factor(s, l.min(MAX_LAYER_DIMENSION), ref_short),
        });
    }
    out
}

/// Builds the preset MES's "Adaptive Streaming" / "Content Adaptive Multiple Bitrate MP4" would
/// apply to a source, following the rule in the module documentation.
///
/// `complexity`: `None` reproduces MES (no content probe, every rung up to the source size);
/// `Some(c)` with `c` in [0, 1] from a content probe (0 = flat cartoon, 1 = sport or noise)
/// scales the bitrates by `0.6 + 0.6 c` and prunes rungs for simple content. Values outside
/// [0, 1] are clamped; a non-finite value counts as `None`.
///
/// The preset has one `H264Video` (KeyFrameInterval 2 s, layers Profile Auto, CBR with
/// MaxBitrate = Bitrate, BufferWindow 5 s, BFrames 3, ReferenceFrames 3, FrameRate = input),
/// an `AACAudio` (AAC-LC, 2 ch, 48 kHz, 128 kbps) when the source has audio, and one MP4
/// output named `{Basename}_{Width}x{Height}_{VideoBitrate}.mp4`, with Condition
/// `NonInterleaved` for [`AutoKind::AdaptiveStreaming`]. It always passes
/// [`Preset::validate`].
///
/// # Errors
/// None: every input, including zero sizes or an unknown frame rate, yields a valid preset.
pub fn auto_preset(kind: AutoKind, src: &SourceFacts, complexity: Option<f64>) -> Preset {
    let complexity = complexity
        .filter(|c| c.is_finite())
        .map(|c| c.clamp(0.0, 1.0));
    let fps = if src.frame_rate.is_finite() && src.frame_rate > 0.0 {
        src.frame_rate
    } else {
        AUTO_BASE_FPS
    };
    let k_fps = (fps / AUTO_BASE_FPS)
        .powf(AUTO_SCALE_EXPONENT)
        .clamp(AUTO_MIN_FPS_FACTOR, AUTO_MAX_FPS_FACTOR);
    let k_content = complexity.map_or(1.0, |c| 0.6 + 0.6 * c);
    let rungs = rungs(src);
    let mut k = k_fps * k_content;
    // Cap: the top rung stays at or below 90 % of the source video bitrate.
    let cap = src.video_kbps.filter(|&v| v > 0).map(|v| {
        let cap = (f64::from(v) * AUTO_SOURCE_BITRATE_FRACTION).floor();
        let top = rungs[0].base_kbps * k;
        if top > cap {
            k *= cap / top;
        }
        (cap as u32).max(1)
    });
    let mut ladder: Vec<(u32, u32, u32)> = rungs
        .iter()
        .map(|r| {
            let kbps = round_kbps(r.base_kbps * k);
            let kbps = cap.map_or(kbps, |c| kbps.min(c));
            (r.width, r.height, kbps)
        })
        .collect();
    if let Some(c) = complexity {
        let max_step = 0.45 + 0.3 * c;
        let mut kept: Vec<(u32, u32, u32)> = Vec::with_capacity(ladder.len());
        for rung in ladder {
            match kept.last() {
                None => kept.push(rung),
                Some(prev) => {
                    let too_close = f64::from(rung.2) > max_step * f64::from(prev.2);
                    if rung.2 >= AUTO_PROBED_FLOOR_KBPS && !too_close {
                        kept.push(rung);
                    }
                }
            }
        }
        ladder = kept;
    }
    let layers = ladder
        .into_iter()
        .map(|(width, height, kbps)| H264Layer {
            profile: H264Profile::Auto,
            level: "auto".to_string(),
            bitrate: kbps,
            max_bitrate: Some(kbps),
            buffer_window: TimeSpan::from_secs(5),
            width: Size::Pixels(width),
            height: Size::Pixels(height),
            b_frames: Some(3),
            reference_frames: 3,
            entropy_mode: EntropyMode::Cabac,
            frame_rate: FrameRate::SAME_AS_INPUT,
            adaptive_b_frame: Some(true),
            slices: 0,
        })
        .collect();
    let mut codecs = vec![Codec::H264Video(H264Video {
        key_frame_interval: TimeSpan::from_secs(2),
        scene_change_detection: false,
        complexity: Complexity::Balanced,
        stretch_mode: StretchMode::AutoSize,
        sync_mode: None,
        two_pass: false,
        condition: None,
        preserve_resolution_after_rotation: false,
        h264_layers: layers,
    })];
    if src.has_audio {
        codecs.push(Codec::AACAudio(AacAudio {
            profile: AacProfile::AacLc,
            channels: 2,
            sampling_rate: 48_000,
            bitrate: AUDIO_KBPS,
            condition: None,
        }));
    }
    let condition = match kind {
        AutoKind::AdaptiveStreaming => Some(OutputCondition::NonInterleaved),
        AutoKind::ContentAdaptive => None,
    };
    Preset {
        version: 1.0,
        sources: Vec::new(),
        codecs,
        outputs: vec![Output {
            file_name: FILE_NAME.to_string(),
            format: OutputFormat::Mp4,
            condition,
            enhanced_server_manifest: None,
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding() {
        assert_eq!(round_kbps(2943.8), 2940);
        assert_eq!(round_kbps(96.0), 96);
        assert_eq!(round_kbps(99.7), 100);
        assert_eq!(round_kbps(57.4), 57);
        assert_eq!(round_kbps(0.2), 1);
        assert_eq!(even_round(635 * 2, 2), 636);
        assert_eq!(even_round(1, 10), 2);
    }
}
