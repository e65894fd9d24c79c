//! The serde model of the MES preset JSON schema (reference §2.1–§2.5).
//!
//! Keys are PascalCase as in MES files. Every struct rejects unknown keys; the `"Type"`
//! discriminators (`"H264Video"`, `"H264Layer"`, `"MP4Format"`, …) are consumed by the enum
//! tags or checked by private raw structs, so they never count as unknown.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::timespan::TimeSpan;
use crate::values::{
    flex, AacProfile, AudioCondition, Complexity, EntropyMode, FrameRate, H264Profile,
    OutputCondition, Size, StretchMode, VideoCondition,
};

/// A whole preset: the value of `Task.Configuration` for the MES processor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct Preset {
    /// Schema version; MES files say `1.0`.
    #[serde(deserialize_with = "flex::f64")]
    pub version: f64,
    /// Input selection (trim, stitching, filters). Parsed and kept, not yet used.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<Source>,
    /// The encoders to run (`Codecs`, XML `<Encoding>`).
    pub codecs: Vec<Codec>,
    /// The files to write.
    pub outputs: Vec<Output>,
}

impl Preset {
    /// The first `H264Video` codec, if any.
    pub fn h264_video(&self) -> Option<&H264Video> {
        self.codecs.iter().find_map(|c| match c {
            Codec::H264Video(v) => Some(v),
            _ => None,
        })
    }

    /// The first `AACAudio` codec, if any.
    pub fn aac_audio(&self) -> Option<&AacAudio> {
        self.codecs.iter().find_map(|c| match c {
            Codec::AACAudio(a) => Some(a),
            _ => None,
        })
    }

    /// The first output whose format is `MP4Format`, if any.
    pub fn mp4_output(&self) -> Option<&Output> {
        self.outputs.iter().find(|o| o.format == OutputFormat::Mp4)
    }

    /// The preset as pretty-printed MES JSON (defaults written out explicitly).
    ///
    /// # Errors
    /// [`crate::PresetError::Json`] if serialisation fails (it does not for models built by
    /// this crate).
    pub fn to_json_pretty(&self) -> Result<String, crate::PresetError> {
        Ok(serde_json::to_string_pretty(self)?)
    }
}

/// One entry of `Codecs`, told apart by its `"Type"` key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "Type")]
pub enum Codec {
    /// H.264 video with one or more layers (one output file per layer).
    H264Video(H264Video),
    /// AAC audio.
    AACAudio(AacAudio),
    /// Pass the input video through unchanged (subclips, archive extraction).
    #[serde(deserialize_with = "no_keys")]
    CopyVideo,
    /// Pass the input audio through unchanged.
    #[serde(deserialize_with = "no_keys")]
    CopyAudio,
    /// JPEG thumbnails (`JpgLayers`).
    #[serde(with = "jpg_image")]
    JpgImage(ImageCodec),
    /// PNG thumbnails (`PngLayers`).
    #[serde(with = "png_image")]
    PngImage(ImageCodec),
    /// BMP thumbnails (`BmpLayers`).
    #[serde(with = "bmp_image")]
    BmpImage(ImageCodec),
}

impl Codec {
    /// The `"Type"` string of this codec (`"H264Video"`, `"AACAudio"`, …).
    pub fn type_name(&self) -> &'static str {
        match self {
            Codec::H264Video(_) => "H264Video",
            Codec::AACAudio(_) => "AACAudio",
            Codec::CopyVideo => "CopyVideo",
            Codec::CopyAudio => "CopyAudio",
            Codec::JpgImage(_) => "JpgImage",
            Codec::PngImage(_) => "PngImage",
            Codec::BmpImage(_) => "BmpImage",
        }
    }
}

/// Reads a codec object that may hold nothing besides its `"Type"`.
fn no_keys<'de, D: Deserializer<'de>>(deserializer: D) -> Result<(), D::Error> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Empty {}
    Empty::deserialize(deserializer).map(|_| ())
}

fn default_key_frame_interval() -> TimeSpan {
    TimeSpan::from_secs(2)
}

fn default_buffer_window() -> TimeSpan {
    TimeSpan::from_secs(5)
}

fn default_level() -> String {
    "auto".to_string()
}

fn default_reference_frames() -> u32 {
    3
}

fn default_channels() -> u32 {
    2
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// `H264Video` (reference §2.2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct H264Video {
    /// Fixed IDR spacing (GOP duration); default 2 s.
    #[serde(default = "default_key_frame_interval")]
    pub key_frame_interval: TimeSpan,
    /// Insert IDRs on scene changes; single-layer presets only. Default false.
    #[serde(default, deserialize_with = "flex::bool")]
    pub scene_change_detection: bool,
    /// Speed/quality trade-off; default Balanced.
    #[serde(default)]
    pub complexity: Complexity,
    /// How layer sizes relate to the input aspect ratio; default AutoSize.
    #[serde(default)]
    pub stretch_mode: StretchMode,
    /// Reserved by MES "for a future release"; kept verbatim, unused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync_mode: Option<serde_json::Value>,
    /// Two-pass encoding; MES supported one pass only. Default false.
    #[serde(
        default,
        deserialize_with = "flex::bool",
        skip_serializing_if = "is_false"
    )]
    pub two_pass: bool,
    /// Black video when the input has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<VideoCondition>,
    /// Keep the rotated resolution instead of pillar-boxing (reference §2.7). Default false.
    #[serde(
        default,
        deserialize_with = "flex::bool",
        skip_serializing_if = "is_false"
    )]
    pub preserve_resolution_after_rotation: bool,
    /// The layers, top bitrate first in system presets.
    #[serde(rename = "H264Layers", default)]
    pub h264_layers: Vec<H264Layer>,
}

/// One `H264Layer`: one output rendition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(from = "RawH264Layer", into = "RawH264Layer")]
pub struct H264Layer {
    /// H.264 profile; default Auto.
    pub profile: H264Profile,
    /// H.264 level as written (`"auto"`, `"3.1"`, …); default `"auto"`.
    pub level: String,
    /// Target bitrate in kbps.
    pub bitrate: u32,
    /// Peak bitrate in kbps (system presets: equal to `bitrate`).
    pub max_bitrate: Option<u32>,
    /// VBV buffer window; default 5 s.
    pub buffer_window: TimeSpan,
    /// Output width (pixels or percentage of the input).
    pub width: Size,
    /// Output height (pixels or percentage of the input).
    pub height: Size,
    /// B-frames between reference frames (`BFrames`).
    pub b_frames: Option<u32>,
    /// Reference frames; default 3.
    pub reference_frames: u32,
    /// Entropy coder; default Cabac.
    pub entropy_mode: EntropyMode,
    /// Output frame rate; default `0/1` = same as input.
    pub frame_rate: FrameRate,
    /// Adaptive B-frame placement.
    pub adaptive_b_frame: Option<bool>,
    /// Slices per frame; default 0 (encoder's choice).
    pub slices: u32,
}

#[derive(Serialize, Deserialize)]
enum H264LayerTag {
    H264Layer,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct RawH264Layer {
    #[serde(default)]
    profile: H264Profile,
    #[serde(default = "default_level", deserialize_with = "flex::string")]
    level: String,
    #[serde(deserialize_with = "flex::u32")]
    bitrate: u32,
    #[serde(
        default,
        deserialize_with = "flex::opt_u32",
        skip_serializing_if = "Option::is_none"
    )]
    max_bitrate: Option<u32>,
    #[serde(default = "default_buffer_window")]
    buffer_window: TimeSpan,
    width: Size,
    height: Size,
    #[serde(
        rename = "BFrames",
        default,
        deserialize_with = "flex::opt_u32",
        skip_serializing_if = "Option::is_none"
    )]
    b_frames: Option<u32>,
    #[serde(default = "default_reference_frames", deserialize_with = "flex::u32")]
    reference_frames: u32,
    #[serde(default)]
    entropy_mode: EntropyMode,
    #[serde(default)]
    frame_rate: FrameRate,
    #[serde(
        default,
        deserialize_with = "flex::opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    adaptive_b_frame: Option<bool>,
    #[serde(default, deserialize_with = "flex::u32")]
    slices: u32,
    #[serde(rename = "Type", default, skip_serializing_if = "Option::is_none")]
    kind: Option<H264LayerTag>,
}

impl From<RawH264Layer> for H264Layer {
    fn from(r: RawH264Layer) -> Self {
        H264Layer {
            profile: r.profile,
            level: r.level,
            bitrate: r.bitrate,
            max_bitrate: r.max_bitrate,
            buffer_window: r.buffer_window,
            width: r.width,
            height: r.height,
            b_frames: r.b_frames,
            reference_frames: r.reference_frames,
            entropy_mode: r.entropy_mode,
            frame_rate: r.frame_rate,
            adaptive_b_frame: r.adaptive_b_frame,
            slices: r.slices,
        }
    }
}

impl From<H264Layer> for RawH264Layer {
    fn from(l: H264Layer) -> Self {
        RawH264Layer {
            profile: l.profile,
            level: l.level,
            bitrate: l.bitrate,
            max_bitrate: l.max_bitrate,
            buffer_window: l.buffer_window,
            width: l.width,
            height: l.height,
            b_frames: l.b_frames,
            reference_frames: l.reference_frames,
            entropy_mode: l.entropy_mode,
            frame_rate: l.frame_rate,
            adaptive_b_frame: l.adaptive_b_frame,
            slices: l.slices,
            kind: Some(H264LayerTag::H264Layer),
        }
    }
}

/// `AACAudio` (reference §2.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct AacAudio {
    /// AAC profile; default AACLC.
    #[serde(default)]
    pub profile: AacProfile,
    /// Channel count (1, 2, 5, 6 or 8); default 2.
    #[serde(default = "default_channels", deserialize_with = "flex::u32")]
    pub channels: u32,
    /// Sampling rate in Hz.
    #[serde(deserialize_with = "flex::u32")]
    pub sampling_rate: u32,
    /// Bitrate in kbps.
    #[serde(deserialize_with = "flex::u32")]
    pub bitrate: u32,
    /// Silent audio when the input has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<AudioCondition>,
}

/// Which image codec an [`ImageCodec`] is (`JpgImage`, `PngImage` or `BmpImage`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImageKind {
    /// JPEG.
    Jpg,
    /// PNG.
    Png,
    /// BMP.
    Bmp,
}

/// A thumbnail codec (`JpgImage` / `PngImage` / `BmpImage`, reference §2.4). The same struct
/// serves all three; the [`Codec`] variant says which.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageCodec {
    /// First image: frame number, `"NN%"`, a timestamp, or `{Best}` (the default when absent).
    pub start: Option<String>,
    /// Spacing between images, same notations.
    pub step: Option<String>,
    /// Span measured from `start`, same notations.
    pub range: Option<String>,
    /// Keep the rotated resolution (reference §2.7).
    pub preserve_resolution_after_rotation: bool,
    /// Stretch mode, when given.
    pub stretch_mode: Option<StretchMode>,
    /// The image sizes (`JpgLayers` / `PngLayers` / `BmpLayers`).
    pub layers: Vec<ImageLayer>,
}

/// One image layer (`JpgLayer` / `PngLayer` / `BmpLayer`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageLayer {
    /// Image width.
    pub width: Size,
    /// Image height.
    pub height: Size,
    /// JPEG quality 1 (worst) – 100 (best); JpgLayer only.
    pub quality: Option<u32>,
    /// Undocumented layer condition, kept verbatim.
    pub condition: Option<String>,
}

macro_rules! image_codec_serde {
    ($module:ident, $layers:literal, $layer_tag:literal) => {
        mod $module {
            use super::*;

            #[derive(Serialize, Deserialize)]
            #[serde(rename_all = "PascalCase", deny_unknown_fields)]
            struct Raw {
                #[serde(
                    default,
                    deserialize_with = "flex::opt_string",
                    skip_serializing_if = "Option::is_none"
                )]
                start: Option<String>,
                #[serde(
                    default,
                    deserialize_with = "flex::opt_string",
                    skip_serializing_if = "Option::is_none"
                )]
                step: Option<String>,
                #[serde(
                    default,
                    deserialize_with = "flex::opt_string",
                    skip_serializing_if = "Option::is_none"
                )]
                range: Option<String>,
                #[serde(
                    default,
                    deserialize_with = "flex::bool",
                    skip_serializing_if = "is_false"
                )]
                preserve_resolution_after_rotation: bool,
                #[serde(default, skip_serializing_if = "Option::is_none")]
                stretch_mode: Option<StretchMode>,
                #[serde(rename = $layers, default)]
                layers: Vec<RawLayer>,
            }

            #[derive(Serialize, Deserialize)]
            #[serde(rename_all = "PascalCase", deny_unknown_fields)]
            struct RawLayer {
                width: Size,
                height: Size,
                #[serde(
                    default,
                    deserialize_with = "flex::opt_u32",
                    skip_serializing_if = "Option::is_none"
                )]
                quality: Option<u32>,
                #[serde(default, skip_serializing_if = "Option::is_none")]
                condition: Option<String>,
                #[serde(rename = "Type", default, skip_serializing_if = "Option::is_none")]
                kind: Option<String>,
            }

            pub(super) fn serialize<S: Serializer>(
                codec: &ImageCodec,
                serializer: S,
            ) -> Result<S::Ok, S::Error> {
                Raw {
                    start: codec.start.clone(),
                    step: codec.step.clone(),
                    range: codec.range.clone(),
                    preserve_resolution_after_rotation: codec.preserve_resolution_after_rotation,
                    stretch_mode: codec.stretch_mode,
                    layers: codec
                        .layers
                        .iter()
                        .map(|l| RawLayer {
                            width: l.width,
                            height: l.height,
                            quality: l.quality,
                            condition: l.condition.clone(),
                            kind: Some($layer_tag.to_string()),
                        })
                        .collect(),
                }
                .serialize(serializer)
            }

            pub(super) fn deserialize<'de, D: Deserializer<'de>>(
                deserializer: D,
            ) -> Result<ImageCodec, D::Error> {
                let raw = Raw::deserialize(deserializer)?;
                let mut layers = Vec::with_capacity(raw.layers.len());
                for l in raw.layers {
                    if let Some(kind) = &l.kind {
                        if kind != $layer_tag {
                            return Err(serde::de::Error::custom(format!(
                                "{} holds a layer of Type `{}`: expected `{}`",
                                $layers, kind, $layer_tag
                            )));
                        }
                    }
                    layers.push(ImageLayer {
                        width: l.width,
                        height: l.height,
                        quality: l.quality,
                        condition: l.condition,
                    });
                }
                Ok(ImageCodec {
                    start: raw.start,
                    step: raw.step,
                    range: raw.range,
                    preserve_resolution_after_rotation: raw.preserve_resolution_after_rotation,
                    stretch_mode: raw.stretch_mode,
                    layers,
                })
            }
        }
    };
}

image_codec_serde!(jpg_image, "JpgLayers", "JpgLayer");
image_codec_serde!(png_image, "PngLayers", "PngLayer");
image_codec_serde!(bmp_image, "BmpLayers", "BmpLayer");

/// One entry of `Outputs`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct Output {
    /// File-name pattern with macros such as `{Basename}` (see [`crate::expand_file_name`]).
    pub file_name: String,
    /// Container / image format.
    pub format: OutputFormat,
    /// `NonInterleaved`: keep audio out of the video MP4s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<OutputCondition>,
    /// AMSE's "Enhanced Server Manifest" switch (effect undocumented); kept verbatim.
    #[serde(
        default,
        deserialize_with = "flex::opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub enhanced_server_manifest: Option<bool>,
}

/// `Output.Format`: `{ "Type": "MP4Format" }` and its siblings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "RawFormat", into = "RawFormat")]
pub enum OutputFormat {
    /// `MP4Format`.
    Mp4,
    /// `TransportStreamFormat` (MPEG-2 TS; type name inferred from v3).
    TransportStream,
    /// `JpgFormat`.
    Jpg,
    /// `PngFormat`.
    Png,
    /// `BmpFormat`.
    Bmp,
    /// `HLSFormat` (Strata addition): package the MP4 layers as HLS.
    Hls,
    /// `DASHFormat` (Strata addition): package the MP4 layers as DASH.
    Dash,
    /// `SmoothStreamingFormat` (Strata addition): Smooth `.ism` + `.ismc` over fragmented MP4s.
    Smooth,
}

#[derive(Clone, Copy, Serialize, Deserialize)]
enum FormatTag {
    #[serde(rename = "MP4Format")]
    Mp4,
    #[serde(rename = "TransportStreamFormat")]
    TransportStream,
    #[serde(rename = "JpgFormat")]
    Jpg,
    #[serde(rename = "PngFormat")]
    Png,
    #[serde(rename = "BmpFormat")]
    Bmp,
    #[serde(rename = "HLSFormat")]
    Hls,
    #[serde(rename = "DASHFormat")]
    Dash,
    #[serde(rename = "SmoothStreamingFormat")]
    Smooth,
}

/// The `Format` object; a struct (not a tagged unit variant) so extra keys are rejected.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFormat {
    #[serde(rename = "Type")]
    kind: FormatTag,
}

impl From<RawFormat> for OutputFormat {
    fn from(r: RawFormat) -> Self {
        match r.kind {
            FormatTag::Mp4 => OutputFormat::Mp4,
            FormatTag::TransportStream => OutputFormat::TransportStream,
            FormatTag::Jpg => OutputFormat::Jpg,
            FormatTag::Png => OutputFormat::Png,
            FormatTag::Bmp => OutputFormat::Bmp,
            FormatTag::Hls => OutputFormat::Hls,
            FormatTag::Dash => OutputFormat::Dash,
            FormatTag::Smooth => OutputFormat::Smooth,
        }
    }
}

impl From<OutputFormat> for RawFormat {
    fn from(f: OutputFormat) -> Self {
        let kind = match f {
            OutputFormat::Mp4 => FormatTag::Mp4,
            OutputFormat::TransportStream => FormatTag::TransportStream,
            OutputFormat::Jpg => FormatTag::Jpg,
            OutputFormat::Png => FormatTag::Png,
            OutputFormat::Bmp => FormatTag::Bmp,
            OutputFormat::Hls => FormatTag::Hls,
            OutputFormat::Dash => FormatTag::Dash,
            OutputFormat::Smooth => FormatTag::Smooth,
        };
        RawFormat { kind }
    }
}

impl OutputFormat {
    /// The `"Type"` string (`"MP4Format"`, …).
    pub fn type_name(self) -> &'static str {
        match self {
            OutputFormat::Mp4 => "MP4Format",
            OutputFormat::TransportStream => "TransportStreamFormat",
            OutputFormat::Jpg => "JpgFormat",
            OutputFormat::Png => "PngFormat",
            OutputFormat::Bmp => "BmpFormat",
            OutputFormat::Hls => "HLSFormat",
            OutputFormat::Dash => "DASHFormat",
            OutputFormat::Smooth => "SmoothStreamingFormat",
        }
    }

    /// The `{Extension}` value, with its leading dot (`".mp4"`, `".ts"`, `".jpg"`, …).
    pub fn extension(self) -> &'static str {
        match self {
            OutputFormat::Mp4 => ".mp4",
            OutputFormat::TransportStream => ".ts",
            OutputFormat::Jpg => ".jpg",
            OutputFormat::Png => ".png",
            OutputFormat::Bmp => ".bmp",
            OutputFormat::Hls => ".m3u8",
            OutputFormat::Dash => ".mpd",
            OutputFormat::Smooth => ".ismc",
        }
    }

    /// Whether this is a streaming package of the MP4 layers (HLS, DASH, Smooth).
    pub fn is_streaming(self) -> bool {
        matches!(
            self,
            OutputFormat::Hls | OutputFormat::Dash | OutputFormat::Smooth
        )
    }

    /// The image codec this format writes, or `None` for MP4/TS.
    pub fn image_kind(self) -> Option<ImageKind> {
        match self {
            OutputFormat::Jpg => Some(ImageKind::Jpg),
            OutputFormat::Png => Some(ImageKind::Png),
            OutputFormat::Bmp => Some(ImageKind::Bmp),
            OutputFormat::Mp4
            | OutputFormat::TransportStream
            | OutputFormat::Hls
            | OutputFormat::Dash
            | OutputFormat::Smooth => None,
        }
    }
}

/// One entry of `Sources` (trim, stitching, filters). Kept as parsed; not interpreted yet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct Source {
    /// GUID of the input asset this entry selects (stitching). `AssetId` is accepted too.
    #[serde(
        rename = "AssetID",
        alias = "AssetId",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub asset_id: Option<String>,
    /// Start in the input's absolute timeline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<TimeSpan>,
    /// Length to take.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<TimeSpan>,
    /// Stream selection for live archives.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub streams: Vec<StreamSelector>,
    /// `Filters` (crop, deinterlace, rotation, overlay), kept as raw JSON for now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filters: Option<serde_json::Value>,
}

/// `Sources[].Streams[]`: `{ "Type": "VideoStream", "Value": "TopBitrate" }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct StreamSelector {
    /// `AudioStream` or `VideoStream`.
    #[serde(rename = "Type")]
    pub kind: String,
    /// `TopBitrate`, `LowestBitrate` or `*`.
    pub value: String,
}
