//! Thumbnails (`JpgImage` / `PngImage` / `BmpImage`, reference §2.4): when to capture, which
//! frame `{Best}` picks, what size each layer is, and how a frame becomes JPEG/PNG/BMP bytes.
//!
//! Everything here is a pure function of its arguments; the pipeline decides where frames come
//! from and where the bytes go.
//!
//! # Capture times
//!
//! `Start`, `Step` and `Range` each take one of three notations, and may mix them:
//! - a non-negative integer is a **frame number**, 0-based (`"0"` is the first frame; frame
//!   `n` sits at `n / frame_rate` seconds);
//! - `"NN%"` (fractions allowed, 0–100) is **relative to the source duration**;
//! - anything else is a **timestamp** (`"00:01:00"`, `"00:00:01.5"`, ISO `"PT5S"`).
//!
//! `Start` may also be `{Best}` (any case), which is the default when `Start` is absent; `Step`
//! and `Range` are then ignored and exactly one image is made ([`ThumbPlan::Best`]).
//!
//! Otherwise `Range` is a **span measured from `Start`** (not an end point). Images fall at
//! `Start + k·Step` for `k = 0, 1, …` while that is `< Start + Range`, and never at or past the
//! end of the input. Decisions where MES documents nothing:
//! - `Step` absent → `10%`, `Range` absent → to the end of the input (the documented defaults of
//!   the v3 `Image` preset that replaced MES thumbnails);
//! - the image at `Start` is always made, so `Step` `0` or `Range` `0` give exactly one image;
//! - a **fixed** `Start` (frame number or timestamp) at or past the end of the input is an
//!   error (reference §2.4: "a fixed timestamp past the end fails the job"); a percentage
//!   cannot be past the end, and `"100%"` means the last frame;
//! - at most [`MAX_THUMBNAILS`] capture points per codec, else an error.

use std::str::FromStr;

use image::{ExtendedColorType, ImageEncoder};
use strata_core::{Frame, PixelFormat, Plane};
use strata_preset::{
    expand_file_name, FileNameVars, ImageKind, ImageLayer, OutputFormat, TimeSpan,
};

use crate::EngineError;

/// The most capture points one image codec may ask for; more is refused as a likely mistake
/// (for example a 1-frame `Step` over a long input).
pub const MAX_THUMBNAILS: usize = 100_000;

/// JPEG quality used when a `JpgLayer` gives none (the documented default of the v3 `JpgLayer`;
/// MES v2 documents no default and its samples write 90).
pub const DEFAULT_JPEG_QUALITY: u8 = 70;

/// How far into the input `{Best}` looks for an interesting frame, in seconds ("the first few
/// seconds of the video" in the MES documentation).
pub const BEST_WINDOW_SECS: f64 = 5.0;

/// `Step` when the preset gives none.
const DEFAULT_STEP: Pos = Pos::Percent(10.0);

/// Slack when comparing capture times against span ends, in seconds (1 µs).
const TIME_EPSILON: f64 = 1e-6;

/// One resolved capture point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ThumbTime {
    /// The `{Index}` of this image: 1-based, in capture order.
    pub index: u32,
    /// The 0-based source frame number, when `Start` (and, past the first image, `Step`) was
    /// given in frames. `None` when the point came from a percentage or a timestamp.
    pub frame: Option<u64>,
    /// Capture time in seconds from the start of the input. The caller takes the frame
    /// displayed at that time (the last frame whose presentation time is `<=` it).
    pub pts_secs: f64,
}

/// What an image codec asks for once resolved against the input.
#[derive(Debug, Clone, PartialEq)]
pub enum ThumbPlan {
    /// `Start` is `{Best}`: one image, of the frame the caller finds most interesting (score
    /// candidates with [`best_frame_score`] or let a [`BestPicker`] do it). Its `{Index}` is 1.
    Best,
    /// Images at these times, in order; never empty.
    Times(Vec<ThumbTime>),
}

/// One parsed `Start`/`Step`/`Range` value.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Pos {
    Frames(u64),
    Percent(f64),
    Secs(f64),
}

fn thumb_err(reason: impl Into<String>) -> EngineError {
    EngineError::Thumbnail {
        reason: reason.into(),
    }
}

fn is_best(value: &str) -> bool {
    value.trim().eq_ignore_ascii_case("{Best}")
}

fn parse_pos(field: &str, value: &str) -> Result<Pos, EngineError> {
    let v = value.trim();
    let bad = |why: &str| {
        thumb_err(format!(
            "{field} {value:?} {why} (expected a frame number, a percentage or a timestamp)"
        ))
    };
    if v.is_empty() {
        return Err(bad("is empty"));
    }
    if let Some(p) = v.strip_suffix('%') {
        let p: f64 = p.trim().parse().map_err(|_| bad("is not a percentage"))?;
        if !p.is_finite() || !(0.0..=100.0).contains(&p) {
            return Err(bad("is outside 0%–100%"));
        }
        return Ok(Pos::Percent(p));
    }
    if v.bytes().all(|b| b.is_ascii_digit()) {
        return v.parse().map(Pos::Frames).map_err(|_| bad("is too large"));
    }
    TimeSpan::from_str(v)
        .map(|t| Pos::Secs(t.as_secs_f64()))
        .map_err(|_| bad("is not valid"))
}

/// The input facts positions are resolved against.
struct Source {
    duration: f64,
    fps: Option<f64>,
    /// Frame count, given or derived from duration × rate; `None` without a usable rate.
    frames: Option<u64>,
}

impl Source {
    fn new(duration: f64, frame_rate: f64, frame_count: u64) -> Result<Self, EngineError> {
        if !duration.is_finite() || duration <= 0.0 {
            return Err(thumb_err(format!(
                "the input duration is {duration} s: thumbnails need a video with a positive duration"
            )));
        }
        let fps = (frame_rate.is_finite() && frame_rate > 0.0).then_some(frame_rate);
        let frames = if frame_count > 0 {
            Some(frame_count)
        } else {
            // Rounded up: a partial last frame period still holds a frame.
            fps.map(|f| ((duration * f).ceil() as u64).max(1))
        };
        Ok(Source {
            duration,
            fps,
            frames,
        })
    }

    fn fps(&self, field: &str, value: &str) -> Result<f64, EngineError> {
        self.fps.ok_or_else(|| {
            thumb_err(format!(
                "{field} {value:?} counts frames, but the input frame rate is unknown"
            ))
        })
    }

    /// Seconds of a position (`Start` as a point, `Step`/`Range` as spans).
    fn secs(&self, pos: Pos, field: &str, value: &str) -> Result<f64, EngineError> {
        Ok(match pos {
            Pos::Frames(n) => n as f64 / self.fps(field, value)?,
            Pos::Percent(p) => p / 100.0 * self.duration,
            Pos::Secs(s) => s,
        })
    }

    /// Time of the last frame.
    fn last_frame_secs(&self) -> f64 {
        match (self.fps, self.frames) {
            (Some(f), Some(n)) => ((n - 1) as f64 / f).min(self.duration),
            _ => self.duration * (1.0 - 1e-9),
        }
    }
}

/// Resolves an image codec's `Start`, `Step` and `Range` (the preset strings, see the module
/// documentation for the notations and rules) against the input.
///
/// `duration_secs` is the video duration, `frame_rate` its frames per second (only needed when
/// a value counts frames; pass `0.0` when unknown) and `frame_count` its frame count (`0` when
/// unknown: it is then derived from duration × rate).
///
/// Examples (reference §2.4): `"5%"`, `"10%"`, `"96%"` → 10 images at 5 %, 15 %, …, 95 % of the
/// duration; `"00:00:30"`, `"1"`, `"1"` → one image at 30 s; `"{Best}"` or no `Start` →
/// [`ThumbPlan::Best`].
///
/// # Errors
/// [`EngineError::Thumbnail`] when a value is not a frame number, percentage or timestamp; when
/// a fixed `Start` (frame number or timestamp) is at or past the end of the input; when a value
/// counts frames and `frame_rate` is not positive; when `duration_secs` is not positive; when
/// more than [`MAX_THUMBNAILS`] images would result. A `{Best}` `Start` never fails (not even
/// for a bad `Step`/`Range`, which MES ignores then).
pub fn resolve_times(
    start: Option<&str>,
    step: Option<&str>,
    range: Option<&str>,
    duration_secs: f64,
    frame_rate: f64,
    frame_count: u64,
) -> Result<ThumbPlan, EngineError> {
    let start_text = match start {
        None => return Ok(ThumbPlan::Best),
        Some(s) if is_best(s) => return Ok(ThumbPlan::Best),
        Some(s) => s,
    };
    let src = Source::new(duration_secs, frame_rate, frame_count)?;
    let start_pos = parse_pos("Start", start_text)?;
    let step_text = step.unwrap_or("10%");
    let step_pos = match step {
        Some(s) => parse_pos("Step", s)?,
        None => DEFAULT_STEP,
    };
    let range_pos = range.map(|r| parse_pos("Range", r)).transpose()?;
    let range_text = range.unwrap_or("");

    // The first capture point, checked against the end of the input.
    let past_end = |what: String| {
        thumb_err(format!(
            "Start {start_text:?} ({what}) is at or past the end of the input ({:.3} s long)",
            src.duration
        ))
    };
    let start_secs = match start_pos {
        Pos::Frames(n) => {
            let t = src.secs(start_pos, "Start", start_text)?;
            if src.frames.is_some_and(|count| n >= count) || t >= src.duration {
                return Err(past_end(format!("frame {n}")));
            }
            t
        }
        Pos::Secs(t) => {
            if t >= src.duration {
                return Err(past_end(format!("{t:.3} s")));
            }
            t
        }
        Pos::Percent(_) => src
            .secs(start_pos, "Start", start_text)?
            .min(src.last_frame_secs()),
    };

    // Exact frame arithmetic when every value counts frames.
    if let (Pos::Frames(s), Pos::Frames(st), Some(count)) = (start_pos, step_pos, src.frames) {
        if matches!(range_pos, None | Some(Pos::Frames(_))) {
            let fps = src.fps("Start", start_text)?;
            let end = match range_pos {
                Some(Pos::Frames(r)) => s.saturating_add(r).min(count),
                _ => count,
            };
            let n = if st == 0 || end <= s {
                1
            } else {
                (end - s).div_ceil(st)
            };
            check_count(n)?;
            let times = (0..n)
                .map(|k| {
                    let f = s + k * st;
                    ThumbTime {
                        index: k as u32 + 1,
                        frame: Some(f),
                        pts_secs: f as f64 / fps,
                    }
                })
                .collect();
            return Ok(ThumbPlan::Times(times));
        }
    }

    let step_secs = src.secs(step_pos, "Step", step_text)?;
    let end_secs = match range_pos {
        Some(r) => (start_secs + src.secs(r, "Range", range_text)?).min(src.duration),
        None => src.duration,
    };
    let span = end_secs - start_secs;
    let n = if step_secs <= 0.0 || span <= TIME_EPSILON {
        1
    } else {
        // Count k >= 0 with k·step < span (with slack for rounding at exact multiples).
        let raw = ((span - TIME_EPSILON) / step_secs).floor() + 1.0;
        if raw > MAX_THUMBNAILS as f64 {
            return Err(too_many(raw));
        }
        raw.max(1.0) as u64
    };
    check_count(n)?;
    let start_frame = match start_pos {
        Pos::Frames(f) => Some(f),
        _ => None,
    };
    let step_frames = match step_pos {
        Pos::Frames(f) => Some(f),
        _ => None,
    };
    let times = (0..n)
        .map(|k| ThumbTime {
            index: k as u32 + 1,
            frame: match (start_frame, step_frames) {
                (Some(f), _) if k == 0 => Some(f),
                (Some(f), Some(st)) => Some(f + k * st),
                _ => None,
            },
            pts_secs: start_secs + k as f64 * step_secs,
        })
        .collect();
    Ok(ThumbPlan::Times(times))
}

fn too_many(n: f64) -> EngineError {
    thumb_err(format!(
        "Start/Step/Range ask for {n:.0} images; at most {MAX_THUMBNAILS} are allowed (use a larger Step)"
    ))
}

fn check_count(n: u64) -> Result<(), EngineError> {
    if n > MAX_THUMBNAILS as u64 {
        return Err(too_many(n as f64));
    }
    Ok(())
}

/// Checks that a frame's planes hold what its sizes promise, so indexing cannot panic.
fn check_frame(frame: &Frame) -> Result<(), EngineError> {
    match frame.format {
        PixelFormat::Yuv420p => {}
        other => {
            return Err(thumb_err(format!(
                "pixel format {other:?} cannot be converted to an image"
            )))
        }
    }
    let (w, h) = (frame.width as usize, frame.height as usize);
    if w == 0 || h == 0 {
        return Err(thumb_err(format!(
            "the frame is {}x{}: both sides must be non-zero",
            frame.width, frame.height
        )));
    }
    let plane_ok = |p: &Plane, pw: usize, ph: usize| {
        p.width >= pw
            && p.height >= ph
            && p.stride >= p.width
            && p.height
                .checked_sub(1)
                .and_then(|rows| rows.checked_mul(p.stride))
                .and_then(|n| n.checked_add(p.width))
                .is_some_and(|need| p.data.len() >= need)
    };
    let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
    let [y, u, v] = &frame.planes;
    if !plane_ok(y, w, h) || !plane_ok(u, cw, ch) || !plane_ok(v, cw, ch) {
        return Err(thumb_err(format!(
            "the {}x{} frame's planes are too small for its size",
            frame.width, frame.height
        )));
    }
    Ok(())
}

/// Scores a frame as a `{Best}` thumbnail candidate: `None` for frames nobody wants as a
/// thumbnail (black, white, or flat: fades, slates, blank screens), otherwise a score that grows
/// with contrast and fine detail and prefers mid-range exposure. Higher is better; scores are
/// comparable between frames of one input.
///
/// Only luma is read, on a grid of at most about 256×256 samples, so it is cheap enough to run
/// on every frame of the first seconds. A malformed frame (planes smaller than its size) scores
/// `None`.
///
/// # Errors
/// None: an unusable frame is reported as `None`.
pub fn best_frame_score(frame: &Frame) -> Option<f64> {
    const BLACK: u8 = 32; // limited range black is 16
    const WHITE: u8 = 224; // limited range white is 235
    const MAX_EXTREME_SHARE: f64 = 0.97;
    const MIN_STDDEV: f64 = 6.0;

    check_frame(frame).ok()?;
    let plane = &frame.planes[0];
    let (w, h) = (frame.width as usize, frame.height as usize);
    if w < 2 || h < 2 {
        return None;
    }
    let sx = (w / 256).max(1);
    let sy = (h / 256).max(1);
    let (mut n, mut sum, mut sum_sq, mut grad) = (0u64, 0u64, 0u64, 0u64);
    let (mut dark, mut bright) = (0u64, 0u64);
    for y in (0..h - 1).step_by(sy) {
        let row = plane.row(y);
        let below = plane.row(y + 1);
        // Stagger the columns row by row so periodic patterns cannot hide between samples.
        for x in ((y / sy) % sx..w - 1).step_by(sx) {
            let v = row[x];
            n += 1;
            sum += u64::from(v);
            sum_sq += u64::from(v) * u64::from(v);
            grad += u64::from(v.abs_diff(row[x + 1])) + u64::from(v.abs_diff(below[x]));
            dark += u64::from(v <= BLACK);
            bright += u64::from(v >= WHITE);
        }
    }
    let nf = n as f64;
    let mean = sum as f64 / nf;
    let variance = (sum_sq as f64 / nf - mean * mean).max(0.0);
    let stddev = variance.sqrt();
    if dark as f64 / nf > MAX_EXTREME_SHARE || bright as f64 / nf > MAX_EXTREME_SHARE {
        return None;
    }
    if mean < f64::from(BLACK) || mean > f64::from(WHITE) || stddev < MIN_STDDEV {
        return None;
    }
    let detail = grad as f64 / (2.0 * nf);
    let off_centre = (mean - 126.0) / 110.0;
    let exposure = (1.0 - 0.5 * off_centre * off_centre).clamp(0.25, 1.0);
    Some((stddev + 2.0 * detail) * exposure)
}

/// Keeps the best `{Best}` candidate among the frames offered to it (see [`best_frame_score`]).
///
/// Offer frames in display order while [`BestPicker::wants`] says so; [`BestPicker::finish`]
/// then returns the chosen frame, or the first frame offered when none scored (an input that is
/// black throughout still gets its one image).
#[derive(Debug, Clone, Default)]
pub struct BestPicker {
    best: Option<(f64, Frame)>,
    first: Option<Frame>,
}

impl BestPicker {
    /// An empty picker.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether a frame at `pts_secs` (seconds from the start of the input) is still inside the
    /// `{Best}` search window ([`BEST_WINDOW_SECS`]); the first frame is always wanted.
    pub fn wants(&self, pts_secs: f64) -> bool {
        self.first.is_none() || pts_secs < BEST_WINDOW_SECS
    }

    /// Scores `frame` and keeps it if it beats the best so far (ties keep the earlier frame).
    pub fn offer(&mut self, frame: &Frame) {
        if self.first.is_none() {
            self.first = Some(frame.clone());
        }
        if let Some(score) = best_frame_score(frame) {
            if self.best.as_ref().is_none_or(|(b, _)| score > *b) {
                self.best = Some((score, frame.clone()));
            }
        }
    }

    /// The chosen frame; `None` only when nothing was offered.
    pub fn finish(self) -> Option<Frame> {
        self.best.map(|(_, f)| f).or(self.first)
    }
}

// BT.709 limited range → full-range RGB, Q16 fixed point.
const Q: i32 = 16;
const K_Y: i32 = (255.0 / 219.0 * 65536.0 + 0.5) as i32;
const K_RV: i32 = (1.5748 * 255.0 / 224.0 * 65536.0 + 0.5) as i32;
const K_GU: i32 = (0.187_324 * 255.0 / 224.0 * 65536.0 + 0.5) as i32;
const K_GV: i32 = (0.468_124 * 255.0 / 224.0 * 65536.0 + 0.5) as i32;
const K_BU: i32 = (1.8556 * 255.0 / 224.0 * 65536.0 + 0.5) as i32;

fn clamp_u8(v: i32) -> u8 {
    v.clamp(0, 255) as u8
}

/// Converts an I420 frame (BT.709, limited range) to packed full-range RGB8, `width × height ×
/// 3` bytes, rows top to bottom.
///
/// Chroma is upsampled bilinearly for the MPEG/H.264 default siting (horizontally co-sited with
/// even luma columns, vertically between luma rows). Odd frame sizes are accepted (chroma planes
/// of `ceil(side / 2)`).
///
/// # Errors
/// [`EngineError::Thumbnail`] when the frame is not 4:2:0 or its planes are smaller than its
/// size says.
pub fn frame_to_rgb8(frame: &Frame) -> Result<Vec<u8>, EngineError> {
    check_frame(frame)?;
    let (w, h) = (frame.width as usize, frame.height as usize);
    let [yp, up, vp] = &frame.planes;
    let cw = w.div_ceil(2);
    let ch = h.div_ceil(2);
    let mut out = vec![0u8; w * h * 3];
    // One chroma row, vertically interpolated, ×4.
    let mut urow = vec![0i32; cw];
    let mut vrow = vec![0i32; cw];
    for (y, out_row) in out.chunks_exact_mut(w * 3).enumerate() {
        let c = y / 2;
        let other = if y % 2 == 0 {
            c.saturating_sub(1)
        } else {
            (c + 1).min(ch - 1)
        };
        let (u0, u1) = (up.row(c), up.row(other));
        let (v0, v1) = (vp.row(c), vp.row(other));
        for (dst, (a, b)) in urow.iter_mut().zip(u0.iter().zip(u1)) {
            *dst = 3 * i32::from(*a) + i32::from(*b);
        }
        for (dst, (a, b)) in vrow.iter_mut().zip(v0.iter().zip(v1)) {
            *dst = 3 * i32::from(*a) + i32::from(*b);
        }
        let luma = yp.row(y);
        for (x, px) in out_row.chunks_exact_mut(3).enumerate() {
            let i = x / 2;
            // Chroma ×8, centred on 0.
            let (u, v) = if x % 2 == 0 {
                (2 * urow[i], 2 * vrow[i])
            } else {
                let j = (i + 1).min(cw - 1);
                (urow[i] + urow[j], vrow[i] + vrow[j])
            };
            let (u, v) = (u - 128 * 8, v - 128 * 8);
            let yy = 8 * (i32::from(luma[x]) - 16) * K_Y;
            let round = 1 << (Q + 2);
            px[0] = clamp_u8((yy + K_RV * v + round) >> (Q + 3));
            px[1] = clamp_u8((yy - K_GU * u - K_GV * v + round) >> (Q + 3));
            px[2] = clamp_u8((yy + K_BU * u + round) >> (Q + 3));
        }
    }
    Ok(out)
}

/// Encodes packed RGB8 pixels (`width × height × 3` bytes) as JPEG, PNG or BMP.
///
/// `quality` (1 worst – 100 best) applies to JPEG only; `None` means
/// [`DEFAULT_JPEG_QUALITY`]. It is ignored for PNG and BMP.
///
/// # Errors
/// [`EngineError::Thumbnail`] when the buffer size does not match `width × height × 3`, a side
/// is zero, the JPEG quality is outside 1..=100, or the encoder fails (JPEG sides are limited to
/// 65 535 pixels).
pub fn encode_rgb8(
    rgb: &[u8],
    width: u32,
    height: u32,
    kind: ImageKind,
    quality: Option<u32>,
) -> Result<Vec<u8>, EngineError> {
    let expected = (width as usize)
        .checked_mul(height as usize)
        .and_then(|n| n.checked_mul(3));
    if width == 0 || height == 0 || expected != Some(rgb.len()) {
        return Err(thumb_err(format!(
            "{} bytes of RGB do not make a {width}x{height} image",
            rgb.len()
        )));
    }
    let mut out = Vec::new();
    let fail = |e: image::ImageError| {
        thumb_err(format!(
            "encoding a {width}x{height} {} image: {e}",
            kind_name(kind)
        ))
    };
    match kind {
        ImageKind::Jpg => {
            let q = match quality {
                None => DEFAULT_JPEG_QUALITY,
                Some(q @ 1..=100) => q as u8,
                Some(q) => return Err(thumb_err(format!("JPEG Quality {q} is outside 1..=100"))),
            };
            image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, q)
                .write_image(rgb, width, height, ExtendedColorType::Rgb8)
                .map_err(fail)?;
        }
        ImageKind::Png => {
            image::codecs::png::PngEncoder::new(&mut out)
                .write_image(rgb, width, height, ExtendedColorType::Rgb8)
                .map_err(fail)?;
        }
        ImageKind::Bmp => {
            image::codecs::bmp::BmpEncoder::new(&mut out)
                .write_image(rgb, width, height, ExtendedColorType::Rgb8)
                .map_err(fail)?;
        }
    }
    Ok(out)
}

fn kind_name(kind: ImageKind) -> &'static str {
    match kind {
        ImageKind::Jpg => "JPEG",
        ImageKind::Png => "PNG",
        ImageKind::Bmp => "BMP",
    }
}

/// Converts an I420 frame (BT.709 limited range) to RGB and encodes it at the frame's own size
/// as JPEG, PNG or BMP. Scale the frame to the layer size (see [`layer_size`]) first.
///
/// `quality` is the `JpgLayer` `Quality` (1–100; `None` → [`DEFAULT_JPEG_QUALITY`]); it is
/// ignored for PNG and BMP.
///
/// # Errors
/// [`EngineError::Thumbnail`] as for [`frame_to_rgb8`] and [`encode_rgb8`].
pub fn encode_image(
    frame: &Frame,
    kind: ImageKind,
    quality: Option<u32>,
) -> Result<Vec<u8>, EngineError> {
    let rgb = frame_to_rgb8(frame)?;
    encode_rgb8(&rgb, frame.width, frame.height, kind, quality)
}

/// The pixel size of an image layer for a `src_w × src_h` source: pixels as given, percentages
/// of the source side rounded to nearest. Images need not have even sides, so the result is
/// exact, only raised to at least 1.
///
/// # Errors
/// None.
pub fn layer_size(layer: &ImageLayer, src_w: u32, src_h: u32) -> (u32, u32) {
    (
        layer.width.resolve(src_w).max(1),
        layer.height.resolve(src_h).max(1),
    )
}

/// The file name of one image: expands the output's `FileName` pattern with `{Basename}`,
/// `{Index}`, `{Width}`, `{Height}` (so `{Resolution}`) and `{Extension}` of `format`
/// (`".jpg"`, …), and sanitises it.
///
/// # Errors
/// [`EngineError::Preset`] when the pattern uses an unknown macro or one without a value here
/// (`{Bitrate}`, `{Codec}`, …), or the result is not a safe file name.
pub fn image_file_name(
    pattern: &str,
    basename: &str,
    index: u32,
    width: u32,
    height: u32,
    format: OutputFormat,
) -> Result<String, EngineError> {
    let vars = FileNameVars {
        index: Some(index),
        width: Some(width),
        height: Some(height),
        extension: Some(format.extension().to_string()),
        ..FileNameVars::new(basename)
    };
    Ok(expand_file_name(pattern, &vars)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use strata_preset::Size;

    fn times(plan: ThumbPlan) -> Vec<ThumbTime> {
        match plan {
            ThumbPlan::Times(t) => t,
            ThumbPlan::Best => panic!("expected times, got Best"),
        }
    }

    fn secs(t: &[ThumbTime]) -> Vec<f64> {
        t.iter().map(|t| t.pts_secs).collect()
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-6
    }

    #[track_caller]
    fn assert_secs(t: &[ThumbTime], want: &[f64]) {
        let got = secs(t);
        assert!(
            got.len() == want.len() && got.iter().zip(want).all(|(a, b)| close(*a, *b)),
            "got {got:?}, want {want:?}"
        );
    }

    fn resolve(
        start: &str,
        step: Option<&str>,
        range: Option<&str>,
        dur: f64,
    ) -> Result<ThumbPlan, EngineError> {
        resolve_times(Some(start), step, range, dur, 25.0, (dur * 25.0) as u64)
    }

    #[test]
    fn percent_worked_example() {
        for dur in [60.0, 100.0, 7.3, 3600.0] {
            let t = times(resolve("5%", Some("10%"), Some("96%"), dur).unwrap());
            assert_eq!(t.len(), 10, "duration {dur}");
            for (k, tt) in t.iter().enumerate() {
                assert_eq!(tt.index, k as u32 + 1);
                assert_eq!(tt.frame, None);
                let want = (0.05 + 0.10 * k as f64) * dur;
                assert!(close(tt.pts_secs, want), "{} vs {want}", tt.pts_secs);
            }
        }
    }

    #[test]
    fn timestamp_worked_example() {
        // JSON form: Step/Range in frames; XML form: Step/Range as timestamps.
        for (step, range) in [("1", "1"), ("00:00:01", "00:00:01")] {
            let t = times(resolve("00:00:30", Some(step), Some(range), 60.0).unwrap());
            assert_eq!(t.len(), 1, "{step}/{range}");
            assert!(close(t[0].pts_secs, 30.0));
            assert_eq!(t[0].index, 1);
            assert_eq!(t[0].frame, None);
        }
    }

    #[test]
    fn one_minute_example_and_clamping() {
        let t = times(resolve("00:00:01", Some("00:00:10"), Some("00:00:58"), 60.0).unwrap());
        assert_secs(&t, &[1.0, 11.0, 21.0, 31.0, 41.0, 51.0]);
        // A shorter input clamps the span to its duration.
        let t = times(resolve("00:00:01", Some("00:00:10"), Some("00:00:58"), 25.0).unwrap());
        assert_secs(&t, &[1.0, 11.0, 21.0]);
        // A span ending exactly on a multiple excludes that point.
        let t = times(resolve("0%", Some("25%"), Some("100%"), 8.0).unwrap());
        assert_secs(&t, &[0.0, 2.0, 4.0, 6.0]);
    }

    #[test]
    fn frames_are_exact() {
        let t = times(resolve("120", Some("30"), Some("100"), 60.0).unwrap());
        assert_eq!(
            t.iter().map(|t| t.frame).collect::<Vec<_>>(),
            vec![Some(120), Some(150), Some(180), Some(210)]
        );
        assert_secs(&t, &[4.8, 6.0, 7.2, 8.4]);
        // Range past the last frame stops at the last frame (frames 0..1500 exist).
        let t = times(resolve("1490", Some("4"), Some("100"), 60.0).unwrap());
        assert_eq!(
            t.iter().map(|t| t.frame.unwrap()).collect::<Vec<_>>(),
            vec![1490, 1494, 1498]
        );
        // Mixed: frame Start, timestamp Step.
        let t = times(resolve("25", Some("00:00:02"), Some("00:00:05"), 60.0).unwrap());
        assert_secs(&t, &[1.0, 3.0, 5.0]);
        assert_eq!(t[0].frame, Some(25));
        assert_eq!(t[1].frame, None);
    }

    #[test]
    fn notations_mix() {
        // 50% of 40 s = 20 s; step 50 frames = 2 s; range 10% = 4 s.
        let t = times(resolve("50%", Some("50"), Some("10%"), 40.0).unwrap());
        assert_secs(&t, &[20.0, 22.0]);
        // ISO timestamps work too.
        let t = times(resolve("PT5S", Some("PT1S"), Some("PT3S"), 40.0).unwrap());
        assert_secs(&t, &[5.0, 6.0, 7.0]);
        // 100% means the last frame, not past the end.
        let t = times(resolve("100%", Some("1"), Some("1"), 10.0).unwrap());
        assert_eq!(t.len(), 1);
        assert!(close(t[0].pts_secs, 249.0 / 25.0));
    }

    #[test]
    fn defaults_step_ten_percent_to_the_end() {
        let t = times(resolve("00:00:00", None, None, 100.0).unwrap());
        assert_secs(
            &t,
            &(0..10).map(|k| f64::from(k) * 10.0).collect::<Vec<_>>(),
        );
        let t = times(resolve("00:00:55", None, None, 100.0).unwrap());
        assert_secs(&t, &[55.0, 65.0, 75.0, 85.0, 95.0]);
    }

    #[test]
    fn fixed_start_past_end_is_an_error() {
        for start in ["00:00:30", "00:00:31", "750", "900"] {
            let err = resolve(start, Some("1"), Some("1"), 30.0).unwrap_err();
            assert!(
                matches!(&err, EngineError::Thumbnail { reason } if reason.contains("past the end")),
                "{start}: {err}"
            );
        }
        assert!(resolve("00:00:29.9", Some("1"), Some("1"), 30.0).is_ok());
        assert!(resolve("749", Some("1"), Some("1"), 30.0).is_ok());
    }

    #[test]
    fn step_or_range_zero_gives_one_image() {
        for (step, range) in [
            ("0", "00:00:10"),
            ("0%", "50%"),
            ("00:00:00", "100"),
            ("1", "0"),
            ("00:00:01", "0%"),
        ] {
            let t = times(resolve("00:00:02", Some(step), Some(range), 60.0).unwrap());
            assert_eq!(t.len(), 1, "{step}/{range}");
            assert!(close(t[0].pts_secs, 2.0));
        }
        let t = times(resolve("10", Some("0"), Some("100"), 60.0).unwrap());
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].frame, Some(10));
    }

    #[test]
    fn best_start() {
        for start in [None, Some("{Best}"), Some("{best}"), Some(" {BEST} ")] {
            assert_eq!(
                resolve_times(start, Some("junk"), Some("10%"), 60.0, 25.0, 1500).unwrap(),
                ThumbPlan::Best
            );
        }
    }

    #[test]
    fn bad_values_are_errors() {
        for (start, step, range) in [
            ("abc", "1", "1"),
            ("", "1", "1"),
            ("150%", "1", "1"),
            ("-5%", "1", "1"),
            ("00:00:01", "x", "1"),
            ("00:00:01", "1", "{Best}"),
        ] {
            assert!(
                matches!(
                    resolve(start, Some(step), Some(range), 60.0),
                    Err(EngineError::Thumbnail { .. })
                ),
                "{start}/{step}/{range}"
            );
        }
        // Frame counts need a frame rate; percentages and timestamps do not.
        assert!(resolve_times(Some("10"), Some("1"), Some("1"), 60.0, 0.0, 0).is_err());
        assert!(resolve_times(Some("5%"), Some("10%"), Some("96%"), 60.0, 0.0, 0).is_ok());
        assert!(resolve_times(Some("0%"), None, None, 0.0, 25.0, 0).is_err());
        // Too many images.
        let err = resolve("0", Some("00:00:00.0001"), None, 3600.0).unwrap_err();
        assert!(err.to_string().contains("at most"), "{err}");
    }

    #[test]
    fn derived_frame_count() {
        // No frame count: derived from 10 s × 25 fps = 250 frames.
        assert!(resolve_times(Some("250"), Some("1"), Some("1"), 10.0, 25.0, 0).is_err());
        let t = times(resolve_times(Some("240"), Some("5"), None, 10.0, 25.0, 0).unwrap());
        assert_eq!(
            t.iter().map(|t| t.frame.unwrap()).collect::<Vec<_>>(),
            vec![240, 245]
        );
    }

    fn frame_from_luma(w: u32, h: u32, f: impl Fn(usize, usize) -> u8) -> Frame {
        let mut frame = Frame::black(w, h).unwrap();
        for y in 0..h as usize {
            for (x, v) in frame.planes[0].row_mut(y).iter_mut().enumerate() {
                *v = f(x, y);
            }
        }
        frame
    }

    fn solid(w: u32, h: u32, y: u8, u: u8, v: u8) -> Frame {
        let mut f = Frame::black(w, h).unwrap();
        f.planes[0].data.fill(y);
        f.planes[1].data.fill(u);
        f.planes[2].data.fill(v);
        f
    }

    #[test]
    fn best_score_rejects_black_white_flat() {
        assert_eq!(best_frame_score(&Frame::black(64, 48).unwrap()), None);
        assert_eq!(best_frame_score(&solid(64, 48, 235, 128, 128)), None);
        assert_eq!(best_frame_score(&solid(64, 48, 126, 128, 128)), None);
        // Almost all black with a tiny bright logo is still black.
        let logo = frame_from_luma(200, 100, |x, y| if x < 4 && y < 4 { 200 } else { 16 });
        assert_eq!(best_frame_score(&logo), None);
        // Malformed frame: no panic, no score.
        let mut bad = Frame::black(64, 48).unwrap();
        bad.planes[0].data.truncate(10);
        assert_eq!(best_frame_score(&bad), None);
    }

    #[test]
    fn best_score_prefers_detail() {
        let checker = frame_from_luma(
            640,
            360,
            |x, y| {
                if (x / 8 + y / 8) % 2 == 0 {
                    40
                } else {
                    210
                }
            },
        );
        let gradient = frame_from_luma(640, 360, |x, _| (16 + x * 219 / 639) as u8);
        let nearly_flat = frame_from_luma(640, 360, |x, y| 110 + ((x * 7 + y * 13) % 33) as u8);
        let c = best_frame_score(&checker).expect("checker scores");
        let g = best_frame_score(&gradient).expect("gradient scores");
        let n = best_frame_score(&nearly_flat).expect("nearly flat still scores");
        assert!(c > n && g > n, "checker {c}, gradient {g}, nearly flat {n}");
        assert!(c > g, "detail beats a smooth ramp: {c} vs {g}");
    }

    #[test]
    fn best_picker_keeps_best_or_first() {
        let mut p = BestPicker::new();
        assert!(p.wants(100.0));
        let black = Frame::black(32, 32).unwrap();
        p.offer(&black);
        assert!(p.wants(1.0) && !p.wants(BEST_WINDOW_SECS));
        let mut detail = frame_from_luma(32, 32, |x, y| if (x + y) % 2 == 0 { 50 } else { 200 });
        detail.pts = 7;
        p.offer(&detail);
        p.offer(&solid(32, 32, 128, 128, 128));
        assert_eq!(p.finish().unwrap().pts, 7);
        let mut p = BestPicker::new();
        p.offer(&black);
        assert_eq!(p.finish().as_ref(), Some(&black));
        assert_eq!(BestPicker::new().finish(), None);
    }

    #[test]
    fn rgb_conversion_of_known_colours() {
        let rgb = |y, u, v| {
            let px = frame_to_rgb8(&solid(4, 4, y, u, v)).unwrap();
            [px[0], px[1], px[2]]
        };
        assert_eq!(rgb(16, 128, 128), [0, 0, 0]);
        assert_eq!(rgb(235, 128, 128), [255, 255, 255]);
        assert_eq!(rgb(126, 128, 128), [128, 128, 128]);
        // BT.709 limited-range primaries.
        let near = |a: [u8; 3], b: [u8; 3]| a.iter().zip(b).all(|(x, y)| x.abs_diff(y) <= 3);
        assert!(
            near(rgb(63, 102, 240), [255, 0, 0]),
            "{:?}",
            rgb(63, 102, 240)
        );
        assert!(
            near(rgb(173, 42, 26), [0, 255, 0]),
            "{:?}",
            rgb(173, 42, 26)
        );
        assert!(
            near(rgb(32, 240, 118), [0, 0, 255]),
            "{:?}",
            rgb(32, 240, 118)
        );
    }

    #[test]
    fn rgb_conversion_odd_and_strided() {
        // 3x3 frame with ceil-sized chroma and padded strides.
        let plane = |w: usize, h: usize, v: u8| Plane {
            data: vec![v; 8 * h],
            stride: 8,
            width: w,
            height: h,
        };
        let frame = Frame {
            format: PixelFormat::Yuv420p,
            width: 3,
            height: 3,
            planes: [plane(3, 3, 235), plane(2, 2, 128), plane(2, 2, 128)],
            pts: 0,
            duration: 0,
        };
        let px = frame_to_rgb8(&frame).unwrap();
        assert_eq!(px.len(), 27);
        assert!(px.iter().all(|&b| b == 255));
        let mut short = frame.clone();
        short.planes[1].height = 1;
        assert!(matches!(
            frame_to_rgb8(&short),
            Err(EngineError::Thumbnail { .. })
        ));
    }

    #[test]
    fn encodes_decodable_images() {
        let mut white = solid(64, 48, 235, 128, 128);
        // A black block top-left to check orientation.
        for y in 0..16 {
            white.planes[0].row_mut(y)[..16].fill(16);
        }
        for (kind, tol) in [
            (ImageKind::Png, 0),
            (ImageKind::Bmp, 0),
            (ImageKind::Jpg, 12),
        ] {
            let bytes = encode_image(&white, kind, Some(90)).unwrap();
            let want = match kind {
                ImageKind::Png => image::ImageFormat::Png,
                ImageKind::Bmp => image::ImageFormat::Bmp,
                ImageKind::Jpg => image::ImageFormat::Jpeg,
            };
            assert_eq!(image::guess_format(&bytes).unwrap(), want);
            let img = image::load_from_memory(&bytes).unwrap().to_rgb8();
            assert_eq!(img.dimensions(), (64, 48), "{kind:?}");
            for c in img.get_pixel(40, 30).0 {
                assert!(c >= 255 - tol, "{kind:?}: {c}");
            }
            for c in img.get_pixel(4, 4).0 {
                assert!(c <= tol, "{kind:?}: {c}");
            }
        }
    }

    #[test]
    fn jpeg_quality_changes_size() {
        let busy = frame_from_luma(256, 144, |x, y| ((x * 37 + y * 91) % 200 + 20) as u8);
        let low = encode_image(&busy, ImageKind::Jpg, Some(10)).unwrap();
        let high = encode_image(&busy, ImageKind::Jpg, Some(95)).unwrap();
        assert!(low.len() < high.len(), "{} vs {}", low.len(), high.len());
        assert!(encode_image(&busy, ImageKind::Jpg, None).is_ok());
        for q in [0, 101] {
            assert!(matches!(
                encode_image(&busy, ImageKind::Jpg, Some(q)),
                Err(EngineError::Thumbnail { .. })
            ));
        }
        // Quality is ignored for lossless formats.
        assert!(encode_image(&busy, ImageKind::Png, Some(0)).is_ok());
        assert!(encode_rgb8(&[0; 5], 2, 1, ImageKind::Png, None).is_err());
    }

    #[test]
    fn layer_sizes() {
        let layer = |w, h| ImageLayer {
            width: w,
            height: h,
            quality: None,
            condition: None,
        };
        assert_eq!(
            layer_size(&layer(Size::Percent(100), Size::Percent(100)), 1920, 1080),
            (1920, 1080)
        );
        assert_eq!(
            layer_size(&layer(Size::Percent(50), Size::Percent(50)), 1279, 719),
            (640, 360)
        );
        assert_eq!(
            layer_size(&layer(Size::Pixels(333), Size::Pixels(187)), 1920, 1080),
            (333, 187)
        );
        assert_eq!(
            layer_size(&layer(Size::Percent(1), Size::Pixels(0)), 20, 20),
            (1, 1)
        );
    }

    #[test]
    fn file_names() {
        assert_eq!(
            image_file_name(
                "{Basename}_{Resolution}_{Index}{Extension}",
                "clip",
                3,
                640,
                360,
                OutputFormat::Jpg
            )
            .unwrap(),
            "clip_640x360_3.jpg"
        );
        assert!(matches!(
            image_file_name("{Basename}_{Bitrate}", "clip", 1, 1, 1, OutputFormat::Png),
            Err(EngineError::Preset(_))
        ));
    }
}
