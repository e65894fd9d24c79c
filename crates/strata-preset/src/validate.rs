//! `Preset::validate`: the rules of reference §2.11 plus what this encoder cannot honour.

use std::fmt;

use crate::aac::{aac_bitrate_range, AAC_SAMPLING_RATES};
use crate::filename::{expand_file_name, file_name_macros, FileNameVars};
use crate::model::{AacAudio, Codec, H264Video, ImageCodec, ImageKind, OutputFormat, Preset};
use crate::values::{EntropyMode, H264Profile, Size};
use crate::{PresetError, TimeSpan};

/// H.264 levels a layer may name (besides `auto`).
pub const H264_LEVELS: &[&str] = &[
    "1", "1b", "1.1", "1.2", "1.3", "2", "2.1", "2.2", "3", "3.1", "3.2", "4", "4.1", "4.2", "5",
    "5.1", "5.2", "6", "6.1", "6.2",
];

/// Largest layer dimension accepted, in pixels (H.264 level 6.2 tops out at 8192).
pub const MAX_LAYER_DIMENSION: u32 = 8192;

/// Something a preset asks for that Strata will not do exactly, but that does not stop the job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// Path of the field concerned, e.g. `Codecs[0].H264Layers[0].BFrames`.
    pub field: String,
    /// What will happen instead.
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

fn invalid(field: impl Into<String>, message: impl Into<String>) -> PresetError {
    PresetError::Invalid {
        field: field.into(),
        message: message.into(),
    }
}

fn check_size(path: &str, name: &str, size: Size, even: bool) -> Result<(), PresetError> {
    let field = format!("{path}.{name}");
    match size {
        Size::Pixels(0) => Err(invalid(
            &field,
            format!("{field} 0 is zero: sizes must be positive"),
        )),
        Size::Pixels(p) if p > MAX_LAYER_DIMENSION => Err(invalid(
            &field,
            format!("{field} {p} is too large: sizes stop at {MAX_LAYER_DIMENSION}"),
        )),
        Size::Pixels(p) if even && p % 2 == 1 => Err(invalid(
            &field,
            format!("{field} {p} is odd: layer sizes must be even"),
        )),
        Size::Percent(p) if !(1..=100).contains(&p) => Err(invalid(
            &field,
            format!("{field} {p}% is out of range: percentages must be 1% to 100%"),
        )),
        _ => Ok(()),
    }
}

fn check_positive_time(field: &str, value: TimeSpan) -> Result<(), PresetError> {
    if value.is_zero() {
        return Err(invalid(
            field,
            format!("{field} {value} is zero: it must be positive"),
        ));
    }
    Ok(())
}

impl Preset {
    /// Checks the preset against the MES rules (reference §2.11): even layer sizes, one frame
    /// rate across layers, SceneChangeDetection only with one layer, the AAC bitrate table,
    /// outputs matching codecs, known FileName macros, and more.
    ///
    /// Returns the warnings for settings Strata accepts but does not honour exactly (B-frames,
    /// two-pass, CABAC on Baseline, colliding output names).
    ///
    /// # Errors
    /// [`PresetError::Invalid`] for the first rule broken; its message names the field path,
    /// the value and the rule, e.g. `Codecs[0].H264Layers[2].Width 853 is odd: layer sizes must
    /// be even`.
    pub fn validate(&self) -> Result<Vec<Warning>, PresetError> {
        let mut warnings = Vec::new();
        if !self.version.is_finite() || self.version < 1.0 {
            return Err(invalid(
                "Version",
                format!(
                    "Version {} is not supported: Version must be 1.0 or higher",
                    self.version
                ),
            ));
        }
        if self.codecs.is_empty() {
            return Err(invalid(
                "Codecs",
                "Codecs is empty: a preset needs at least one codec",
            ));
        }
        if self.outputs.is_empty() {
            return Err(invalid(
                "Outputs",
                "Outputs is empty: a preset needs at least one output",
            ));
        }
        self.check_codec_counts()?;
        let has_stream_output = self
            .outputs
            .iter()
            .any(|o| matches!(o.format, OutputFormat::Mp4 | OutputFormat::TransportStream));
        for (i, codec) in self.codecs.iter().enumerate() {
            let path = format!("Codecs[{i}]");
            match codec {
                Codec::H264Video(v) => check_video(&path, v, &mut warnings)?,
                Codec::AACAudio(a) => check_audio(&path, a)?,
                Codec::CopyVideo | Codec::CopyAudio => {}
                Codec::JpgImage(c) => check_image(&path, c, ImageKind::Jpg)?,
                Codec::PngImage(c) => check_image(&path, c, ImageKind::Png)?,
                Codec::BmpImage(c) => check_image(&path, c, ImageKind::Bmp)?,
            }
            let has_output = match image_kind(codec) {
                Some(kind) => self
                    .outputs
                    .iter()
                    .any(|o| o.format.image_kind() == Some(kind)),
                None => has_stream_output,
            };
            if !has_output {
                let wanted = match image_kind(codec) {
                    Some(ImageKind::Jpg) => "JpgFormat",
                    Some(ImageKind::Png) => "PngFormat",
                    Some(ImageKind::Bmp) => "BmpFormat",
                    None => "MP4Format",
                };
                return Err(invalid(
                    &path,
                    format!(
                        "{path} ({}) has no output: add an Output with Format {wanted}",
                        codec.type_name()
                    ),
                ));
            }
        }
        self.check_outputs(&mut warnings)?;
        Ok(warnings)
    }

    fn check_codec_counts(&self) -> Result<(), PresetError> {
        let mut seen: Vec<&'static str> = Vec::new();
        for (i, codec) in self.codecs.iter().enumerate() {
            let name = codec.type_name();
            if seen.contains(&name) {
                return Err(invalid(
                    format!("Codecs[{i}]"),
                    format!("Codecs[{i}] is a second {name}: a preset holds at most one {name}"),
                ));
            }
            let clash = match name {
                "CopyVideo" => Some("H264Video"),
                "H264Video" => Some("CopyVideo"),
                "CopyAudio" => Some("AACAudio"),
                "AACAudio" => Some("CopyAudio"),
                _ => None,
            };
            if let Some(other) = clash.filter(|o| seen.contains(o)) {
                return Err(invalid(
                    format!("Codecs[{i}]"),
                    format!("Codecs[{i}] {name} cannot be combined with {other}"),
                ));
            }
            seen.push(name);
        }
        Ok(())
    }

    fn check_outputs(&self, warnings: &mut Vec<Warning>) -> Result<(), PresetError> {
        for (j, output) in self.outputs.iter().enumerate() {
            let field = format!("Outputs[{j}].FileName");
            if output.file_name.trim().is_empty() {
                return Err(invalid(
                    &field,
                    format!("{field} is empty: give a file-name pattern"),
                ));
            }
            let macros = file_name_macros(&output.file_name)
                .map_err(|e| invalid(&field, format!("{field} {:?}: {e}", output.file_name)))?;
            let format_name = output.format.type_name();
            match output.format.image_kind() {
                Some(kind) => {
                    if !self.codecs.iter().any(|c| image_kind(c) == Some(kind)) {
                        let codec = match kind {
                            ImageKind::Jpg => "JpgImage",
                            ImageKind::Png => "PngImage",
                            ImageKind::Bmp => "BmpImage",
                        };
                        return Err(invalid(
                            format!("Outputs[{j}].Format"),
                            format!(
                                "Outputs[{j}].Format {format_name} has no {codec} codec to write"
                            ),
                        ));
                    }
                    let count = macros.iter().filter(|m| **m == "Index").count();
                    if count != 1 {
                        return Err(invalid(
                            &field,
                            format!(
                                "{field} {:?} uses {{Index}} {count} times: image outputs need it exactly once",
                                output.file_name
                            ),
                        ));
                    }
                }
                None if output.format.is_streaming() => {
                    if self.mp4_output().is_none() {
                        return Err(invalid(
                            format!("Outputs[{j}].Format"),
                            format!("Outputs[{j}].Format {format_name} packages the MP4 layers: add an MP4Format output"),
                        ));
                    }
                }
                None => {
                    if !self.codecs.iter().any(|c| image_kind(c).is_none()) {
                        return Err(invalid(
                            format!("Outputs[{j}].Format"),
                            format!("Outputs[{j}].Format {format_name} has no video or audio codec to write"),
                        ));
                    }
                    if let Some(video) = self.h264_video() {
                        check_name_collisions(&field, &output.file_name, video, warnings);
                    }
                }
            }
        }
        Ok(())
    }
}

fn image_kind(codec: &Codec) -> Option<ImageKind> {
    match codec {
        Codec::JpgImage(_) => Some(ImageKind::Jpg),
        Codec::PngImage(_) => Some(ImageKind::Png),
        Codec::BmpImage(_) => Some(ImageKind::Bmp),
        _ => None,
    }
}

fn check_video(path: &str, v: &H264Video, warnings: &mut Vec<Warning>) -> Result<(), PresetError> {
    check_positive_time(&format!("{path}.KeyFrameInterval"), v.key_frame_interval)?;
    let layers = &v.h264_layers;
    if layers.is_empty() {
        let field = format!("{path}.H264Layers");
        return Err(invalid(
            &field,
            format!("{field} is empty: H264Video needs at least one H264Layer"),
        ));
    }
    if v.scene_change_detection && layers.len() > 1 {
        let field = format!("{path}.SceneChangeDetection");
        return Err(invalid(
            &field,
            format!(
                "{field} true with {} H264Layers: SceneChangeDetection is only allowed with a single layer",
                layers.len()
            ),
        ));
    }
    if v.two_pass {
        warnings.push(Warning {
            field: format!("{path}.TwoPass"),
            message: "two-pass encoding is not supported; TwoPass true is ignored (one pass)"
                .into(),
        });
    }
    let mut b_frame_layers = Vec::new();
    for (j, layer) in layers.iter().enumerate() {
        let lp = format!("{path}.H264Layers[{j}]");
        if layer.bitrate == 0 {
            let f = format!("{lp}.Bitrate");
            return Err(invalid(
                &f,
                format!("{f} 0 is zero: Bitrate must be positive"),
            ));
        }
        if let Some(max) = layer.max_bitrate {
            if max < layer.bitrate {
                let f = format!("{lp}.MaxBitrate");
                return Err(invalid(
                    &f,
                    format!(
                        "{f} {max} is below Bitrate {}: the peak rate cannot be below the target",
                        layer.bitrate
                    ),
                ));
            }
        }
        check_positive_time(&format!("{lp}.BufferWindow"), layer.buffer_window)?;
        check_size(&lp, "Width", layer.width, true)?;
        check_size(&lp, "Height", layer.height, true)?;
        if !(1..=16).contains(&layer.reference_frames) {
            let f = format!("{lp}.ReferenceFrames");
            return Err(invalid(
                &f,
                format!(
                    "{f} {} is out of range: ReferenceFrames must be 1 to 16",
                    layer.reference_frames
                ),
            ));
        }
        let level = layer.level.trim();
        if !level.eq_ignore_ascii_case("auto")
            && !H264_LEVELS.iter().any(|l| l.eq_ignore_ascii_case(level))
        {
            let f = format!("{lp}.Level");
            return Err(invalid(
                &f,
                format!(
                    "{f} {:?} is not an H.264 level: use \"auto\" or one of {}",
                    layer.level,
                    H264_LEVELS.join(", ")
                ),
            ));
        }
        if layer.frame_rate.den == 0 {
            let f = format!("{lp}.FrameRate");
            return Err(invalid(
                &f,
                format!(
                    "{f} {} has a zero denominator: FrameRate must be \"num/den\" with den > 0",
                    layer.frame_rate
                ),
            ));
        }
        let first = layers[0].frame_rate;
        if !layer.frame_rate.same_rate(first) {
            let f = format!("{lp}.FrameRate");
            return Err(invalid(
                &f,
                format!(
                    "{f} {} differs from {path}.H264Layers[0].FrameRate {first}: all layers must share one FrameRate",
                    layer.frame_rate
                ),
            ));
        }
        if let Some(b) = layer.b_frames.filter(|b| *b > 0) {
            b_frame_layers.push((j, b));
        }
        if layer.profile == H264Profile::Baseline && layer.entropy_mode == EntropyMode::Cabac {
            warnings.push(Warning {
                field: format!("{lp}.EntropyMode"),
                message:
                    "Profile Baseline does not allow CABAC; EntropyMode Cabac is treated as Cavlc"
                        .into(),
            });
        }
    }
    if let Some(&(j, b)) = b_frame_layers.first() {
        let more = match b_frame_layers.len() {
            1 => String::new(),
            n => format!(" (on {n} layers)"),
        };
        warnings.push(Warning {
            field: format!("{path}.H264Layers[{j}].BFrames"),
            message: format!("OpenH264 encodes no B-frames; BFrames {b} is ignored{more}"),
        });
    }
    Ok(())
}

fn check_audio(path: &str, a: &AacAudio) -> Result<(), PresetError> {
    if ![1, 2, 5, 6, 8].contains(&a.channels) {
        let f = format!("{path}.Channels");
        return Err(invalid(
            &f,
            format!(
                "{f} {} is not supported: Channels must be 1, 2, 5, 6 or 8",
                a.channels
            ),
        ));
    }
    if !AAC_SAMPLING_RATES.contains(&a.sampling_rate) {
        let f = format!("{path}.SamplingRate");
        let rates: Vec<String> = AAC_SAMPLING_RATES.iter().map(u32::to_string).collect();
        return Err(invalid(
            &f,
            format!(
                "{f} {} is not supported: SamplingRate must be one of {}",
                a.sampling_rate,
                rates.join(", ")
            ),
        ));
    }
    let range = aac_bitrate_range(a.profile, a.channels, a.sampling_rate);
    if !range.is_some_and(|(lo, hi)| (lo..=hi).contains(&a.bitrate)) {
        let hint = match range {
            Some((lo, hi)) if lo == hi => format!(" (only {lo} kbps is allowed)"),
            Some((lo, hi)) => format!(" (allowed: {lo} to {hi} kbps)"),
            None => " (no bitrate is allowed for this combination)".to_string(),
        };
        return Err(invalid(
            format!("{path}.Bitrate"),
            format!(
                "{path}: Bitrate {} is not supported when Profile/Channels/SamplingRate is {}/{}/{}{hint}",
                a.bitrate, a.profile, a.channels, a.sampling_rate
            ),
        ));
    }
    Ok(())
}

/// Frame number, `NN%`, timestamp, or (`allow_best`) `{Best}`.
fn image_time_ok(value: &str, allow_best: bool) -> bool {
    let v = value.trim();
    if allow_best && v.eq_ignore_ascii_case("{Best}") {
        return true;
    }
    if let Some(p) = v.strip_suffix('%') {
        return p
            .trim()
            .parse::<f64>()
            .is_ok_and(|p| (0.0..=100.0).contains(&p));
    }
    if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
        return true;
    }
    v.parse::<TimeSpan>().is_ok()
}

fn check_image(path: &str, c: &ImageCodec, kind: ImageKind) -> Result<(), PresetError> {
    let layers_key = match kind {
        ImageKind::Jpg => "JpgLayers",
        ImageKind::Png => "PngLayers",
        ImageKind::Bmp => "BmpLayers",
    };
    for (name, value, best) in [
        ("Start", &c.start, true),
        ("Step", &c.step, false),
        ("Range", &c.range, false),
    ] {
        if let Some(v) = value {
            if !image_time_ok(v, best) {
                let f = format!("{path}.{name}");
                return Err(invalid(
                    &f,
                    format!("{f} {v:?} is not a frame number, a percentage or a timestamp"),
                ));
            }
        }
    }
    if c.layers.is_empty() {
        let f = format!("{path}.{layers_key}");
        return Err(invalid(
            &f,
            format!("{f} is empty: give at least one layer"),
        ));
    }
    for (j, layer) in c.layers.iter().enumerate() {
        let lp = format!("{path}.{layers_key}[{j}]");
        check_size(&lp, "Width", layer.width, false)?;
        check_size(&lp, "Height", layer.height, false)?;
        if let Some(q) = layer.quality {
            let f = format!("{lp}.Quality");
            if kind != ImageKind::Jpg {
                return Err(invalid(
                    &f,
                    format!("{f} {q} is not allowed: only JpgLayer has Quality"),
                ));
            }
            if !(1..=100).contains(&q) {
                return Err(invalid(
                    &f,
                    format!("{f} {q} is out of range: Quality must be 1 to 100"),
                ));
            }
        }
    }
    Ok(())
}

/// Warns when two layers would be written to the same file name.
fn check_name_collisions(
    field: &str,
    pattern: &str,
    video: &H264Video,
    warnings: &mut Vec<Warning>,
) {
    let mut names: Vec<String> = Vec::new();
    for (j, layer) in video.h264_layers.iter().enumerate() {
        let (Size::Pixels(w), Size::Pixels(h)) = (layer.width, layer.height) else {
            return; // sizes depend on the input; the engine must check.
        };
        let vars = FileNameVars {
            width: Some(w),
            height: Some(h),
            video_bitrate: Some(layer.bitrate),
            bitrate: Some(layer.bitrate),
            audio_bitrate: Some(0),
            codec: Some("H264".into()),
            channel: Some(0),
            index: Some(0),
            extension: Some(".mp4".into()),
            ..FileNameVars::new("name")
        };
        let Ok(name) = expand_file_name(pattern, &vars) else {
            return;
        };
        if let Some(first) = names.iter().position(|n| *n == name) {
            warnings.push(Warning {
                field: field.to_string(),
                message: format!(
                    "{pattern:?} gives H264Layers[{first}] and H264Layers[{j}] the same file name; the later layer would overwrite the earlier"
                ),
            });
            return;
        }
        names.push(name);
    }
}
