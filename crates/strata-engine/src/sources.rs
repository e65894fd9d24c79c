//! The preset's `Sources` entry, interpreted: trimming (StartTime/Duration) and the picture
//! filters (Crop, Rotation, Deinterlace, VideoOverlay).
//!
//! The preset crate keeps `Filters` as raw JSON (its schema was never published as a page);
//! this module reads the documented fields (reference §2.1, §2.7–§2.10) and refuses unknown ones
//! with the field path, like the rest of preset validation.

use serde_json::Value;
use strata_preset::{Preset, PresetError, TimeSpan};

/// Which part of the input to encode, in microseconds of the input's presentation timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Trim {
    /// First instant kept (StartTime).
    pub start_us: Option<i64>,
    /// Length kept (Duration).
    pub duration_us: Option<i64>,
}

impl Trim {
    /// Whether a picture presented at `t_us` (relative to the presentation start) is kept.
    pub fn keeps(&self, t_us: i64) -> bool {
        let start = self.start_us.unwrap_or(0);
        t_us >= start && self.duration_us.is_none_or(|d| t_us < start + d)
    }
}

/// Rotation filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RotationMode {
    /// Apply the input's display matrix (MES default).
    #[default]
    Auto,
    /// Turn the picture clockwise by this many degrees; "0" ignores the metadata.
    Fixed(u16),
}

/// A fade: starts at `start_s` seconds into the clip and lasts `duration_s`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fade {
    /// Start, seconds from the start of the output.
    pub start_s: f64,
    /// Length in seconds.
    pub duration_s: f64,
}

/// `VideoOverlay`: an image composited over the picture.
#[derive(Debug, Clone, PartialEq)]
pub struct OverlaySpec {
    /// Image file name, relative to the input's folder.
    pub source: String,
    /// Position and size in pixels of the upright (cropped, rotated) picture; size `None`
    /// keeps the image's own size.
    pub x: i32,
    /// Top edge.
    pub y: i32,
    /// Width to scale the image to.
    pub width: Option<u32>,
    /// Height to scale the image to.
    pub height: Option<u32>,
    /// When it shows: start (s) and length (s); `None` length = to the end.
    pub clip_start_s: f64,
    /// Visible duration.
    pub clip_duration_s: Option<f64>,
    /// Fade in.
    pub fade_in: Option<Fade>,
    /// Fade out.
    pub fade_out: Option<Fade>,
}

impl OverlaySpec {
    /// Opacity of the overlay at `t` seconds into the output: 0 outside its clip, ramps in
    /// fades.
    pub fn opacity_at(&self, t: f64) -> f32 {
        if t < self.clip_start_s
            || self
                .clip_duration_s
                .is_some_and(|d| t >= self.clip_start_s + d)
        {
            return 0.0;
        }
        let mut a = 1.0f64;
        if let Some(f) = self.fade_in {
            if f.duration_s > 0.0 && t < f.start_s + f.duration_s {
                a = a.min(((t - f.start_s) / f.duration_s).clamp(0.0, 1.0));
            }
        }
        if let Some(f) = self.fade_out {
            if f.duration_s > 0.0 && t >= f.start_s {
                a = a.min((1.0 - (t - f.start_s) / f.duration_s).clamp(0.0, 1.0));
            }
        }
        a as f32
    }
}

/// Picture filters applied to every source frame before scaling.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SourceFilters {
    /// Crop rectangle (x, y, width, height) in pixels of the original input.
    pub crop: Option<(u32, u32, u32, u32)>,
    /// Rotation.
    pub rotation: RotationMode,
    /// `Deinterlace { Mode: "Off" }` turns automatic deinterlacing off.
    pub deinterlace_off: bool,
    /// Image overlay.
    pub overlay: Option<OverlaySpec>,
}

fn invalid(field: impl Into<String>, message: impl Into<String>) -> PresetError {
    PresetError::Invalid {
        field: field.into(),
        message: message.into(),
    }
}

fn obj<'a>(
    v: &'a Value,
    path: &str,
    allowed: &[&str],
) -> Result<&'a serde_json::Map<String, Value>, PresetError> {
    let m = v
        .as_object()
        .ok_or_else(|| invalid(path, format!("{path} must be an object")))?;
    for k in m.keys() {
        if !allowed.iter().any(|a| a.eq_ignore_ascii_case(k)) {
            return Err(invalid(
                format!("{path}.{k}"),
                format!(
                    "unknown field {path}.{k}: expected one of {}",
                    allowed.join(", ")
                ),
            ));
        }
    }
    Ok(m)
}

fn get<'a>(m: &'a serde_json::Map<String, Value>, key: &str) -> Option<&'a Value> {
    m.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v)
}

fn number(v: &Value, path: &str) -> Result<i64, PresetError> {
    match v {
        Value::Number(n) => n
            .as_i64()
            .ok_or_else(|| invalid(path, format!("{path} {n} is not an integer"))),
        Value::String(s) => s
            .trim()
            .parse()
            .map_err(|_| invalid(path, format!("{path} {s:?} is not an integer"))),
        other => Err(invalid(path, format!("{path} {other} is not an integer"))),
    }
}

fn seconds(v: &Value, path: &str) -> Result<f64, PresetError> {
    match v {
        Value::String(s) => s
            .parse::<TimeSpan>()
            .map(|t| t.as_secs_f64())
            .map_err(|e| invalid(path, format!("{path} {s:?}: {e}"))),
        Value::Number(n) => n
            .as_f64()
            .ok_or_else(|| invalid(path, format!("{path} {n} is not a duration"))),
        other => Err(invalid(path, format!("{path} {other} is not a duration"))),
    }
}

fn fade(v: &Value, path: &str) -> Result<Fade, PresetError> {
    let m = obj(v, path, &["StartTime", "Duration"])?;
    Ok(Fade {
        start_s: get(m, "StartTime")
            .map_or(Ok(0.0), |v| seconds(v, &format!("{path}.StartTime")))?,
        duration_s: get(m, "Duration")
            .map_or(Ok(0.0), |v| seconds(v, &format!("{path}.Duration")))?,
    })
}

/// Reads trimming and filters from the preset's first `Sources` entry.
///
/// # Errors
/// [`PresetError::Invalid`] naming the field for unknown fields, bad numbers or durations,
/// rotations other than Auto/0/90/180/270, and more than one Sources entry (stitching).
pub fn read(preset: &Preset) -> Result<(Trim, SourceFilters), PresetError> {
    let Some(src) = preset.sources.first() else {
        return Ok((Trim::default(), SourceFilters::default()));
    };
    if preset.sources.len() > 1 {
        return Err(PresetError::Unsupported(
            "several Sources entries (stitching inputs) are not supported yet".into(),
        ));
    }
    let us = |t: TimeSpan| (t.ticks() / 10).min(i64::MAX as u64) as i64;
    let trim = Trim {
        start_us: src.start_time.map(us),
        duration_us: src.duration.map(us),
    };
    if trim.duration_us == Some(0) {
        return Err(invalid(
            "Sources[0].Duration",
            "Sources[0].Duration is zero",
        ));
    }
    let mut f = SourceFilters::default();
    let Some(filters) = &src.filters else {
        return Ok((trim, f));
    };
    let p = "Sources[0].Filters";
    let m = obj(
        filters,
        p,
        &[
            "Crop",
            "Deinterlace",
            "Rotation",
            "VideoOverlay",
            "AudioOverlay",
        ],
    )?;
    if let Some(c) = get(m, "Crop") {
        let cp = format!("{p}.Crop");
        let cm = obj(c, &cp, &["X", "Y", "Width", "Height"])?;
        let field = |k: &str| -> Result<u32, PresetError> {
            let path = format!("{cp}.{k}");
            let v = get(cm, k).ok_or_else(|| invalid(&path, format!("{path} is missing")))?;
            let n = number(v, &path)?;
            u32::try_from(n).map_err(|_| invalid(&path, format!("{path} {n} is negative")))
        };
        let rect = (field("X")?, field("Y")?, field("Width")?, field("Height")?);
        if rect.2 == 0 || rect.3 == 0 {
            return Err(invalid(&cp, format!("{cp} has an empty rectangle")));
        }
        f.crop = Some(rect);
    }
    if let Some(d) = get(m, "Deinterlace") {
        let dp = format!("{p}.Deinterlace");
        let dm = obj(d, &dp, &["Mode"])?;
        f.deinterlace_off = match get(dm, "Mode").and_then(Value::as_str) {
            Some(s) if s.eq_ignore_ascii_case("off") => true,
            Some(s)
                if s.eq_ignore_ascii_case("auto")
                    || s.eq_ignore_ascii_case("autopixeladaptive") =>
            {
                false
            }
            Some(s) => {
                return Err(invalid(
                    format!("{dp}.Mode"),
                    format!("{dp}.Mode {s:?}: expected Off or Auto"),
                ))
            }
            None => false,
        };
    }
    if let Some(r) = get(m, "Rotation") {
        let rp = format!("{p}.Rotation");
        let text = match r {
            Value::String(s) => s.trim().to_string(),
            Value::Number(n) => n.to_string(),
            other => {
                return Err(invalid(
                    &rp,
                    format!("{rp} {other}: expected Auto, 0, 90, 180 or 270"),
                ))
            }
        };
        f.rotation = match text.to_ascii_lowercase().as_str() {
            "auto" => RotationMode::Auto,
            "0" => RotationMode::Fixed(0),
            "90" => RotationMode::Fixed(90),
            "180" => RotationMode::Fixed(180),
            "270" => RotationMode::Fixed(270),
            _ => {
                return Err(invalid(
                    &rp,
                    format!("{rp} {text:?}: expected Auto, 0, 90, 180 or 270"),
                ))
            }
        };
    }
    if let Some(o) = get(m, "VideoOverlay") {
        let op = format!("{p}.VideoOverlay");
        let om = obj(
            o,
            &op,
            &[
                "Source",
                "Position",
                "Clip",
                "FadeInDuration",
                "FadeOutDuration",
                "Opacity",
                "AudioGainLevel",
                "MediaParams",
            ],
        )?;
        let source = get(om, "Source")
            .and_then(Value::as_str)
            .ok_or_else(|| invalid(format!("{op}.Source"), format!("{op}.Source is missing")))?
            .to_string();
        let mut spec = OverlaySpec {
            source,
            x: 0,
            y: 0,
            width: None,
            height: None,
            clip_start_s: 0.0,
            clip_duration_s: None,
            fade_in: None,
            fade_out: None,
        };
        if let Some(pos) = get(om, "Position") {
            let pp = format!("{op}.Position");
            let pm = obj(pos, &pp, &["X", "Y", "Width", "Height"])?;
            let n = |k: &str| {
                get(pm, k)
                    .map(|v| number(v, &format!("{pp}.{k}")))
                    .transpose()
            };
            spec.x = n("X")?.unwrap_or(0).clamp(-1 << 20, 1 << 20) as i32;
            spec.y = n("Y")?.unwrap_or(0).clamp(-1 << 20, 1 << 20) as i32;
            let size = |v: Option<i64>, k: &str| -> Result<Option<u32>, PresetError> {
                match v {
                    None => Ok(None),
                    Some(x) if (1..=8192).contains(&x) => Ok(Some(x as u32)),
                    Some(x) => Err(invalid(
                        format!("{pp}.{k}"),
                        format!("{pp}.{k} {x} out of range 1..=8192"),
                    )),
                }
            };
            spec.width = size(n("Width")?, "Width")?;
            spec.height = size(n("Height")?, "Height")?;
        }
        if let Some(c) = get(om, "Clip") {
            let cp = format!("{op}.Clip");
            let cm = obj(c, &cp, &["StartTime", "Duration"])?;
            if let Some(v) = get(cm, "StartTime") {
                spec.clip_start_s = seconds(v, &format!("{cp}.StartTime"))?;
            }
            if let Some(v) = get(cm, "Duration") {
                spec.clip_duration_s = Some(seconds(v, &format!("{cp}.Duration"))?);
            }
        }
        if let Some(v) = get(om, "FadeInDuration") {
            spec.fade_in = Some(fade(v, &format!("{op}.FadeInDuration"))?);
        }
        if let Some(v) = get(om, "FadeOutDuration") {
            spec.fade_out = Some(fade(v, &format!("{op}.FadeOutDuration"))?);
        }
        f.overlay = Some(spec);
    }
    Ok((trim, f))
}
