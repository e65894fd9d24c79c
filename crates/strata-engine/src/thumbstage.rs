//! Thumbnails inside a task: which pictures to capture (resolved before decoding) and the
//! stage that captures, resizes, encodes and writes them while the video streams past.

use crate::thumbs::{self, BestPicker, ThumbPlan};
use crate::EngineError;
use std::path::{Path, PathBuf};
use std::sync::mpsc::Receiver;
use strata_core::Frame;
use strata_preset::{Codec, ImageKind, OutputFormat, Preset};

/// One image codec of the preset, resolved against the input.
#[derive(Debug, Clone)]
pub struct ThumbSpec {
    /// JPEG, PNG or BMP.
    pub kind: ImageKind,
    /// The matching output's format.
    pub format: OutputFormat,
    /// The output's FileName pattern.
    pub pattern: String,
    /// (width, height, JPEG quality) per layer.
    pub layers: Vec<(u32, u32, Option<u32>)>,
    /// When to capture.
    pub times: ThumbPlan,
}

/// An image written into the asset.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputImage {
    /// File name inside the asset folder.
    pub name: String,
    /// Full path once the asset is in place.
    pub path: PathBuf,
    /// Pixels.
    pub width: u32,
    /// Pixels.
    pub height: u32,
    /// Output time of the captured picture, seconds.
    pub time_secs: f64,
    /// Bytes.
    pub size: u64,
}

/// Resolves the preset's image codecs against a picture of `w`x`h` lasting `duration_secs`.
pub(crate) fn specs(
    preset: &Preset,
    w: u32,
    h: u32,
    duration_secs: f64,
    frame_rate: f64,
    frame_count: u64,
) -> Result<Vec<ThumbSpec>, EngineError> {
    let mut out = Vec::new();
    for codec in &preset.codecs {
        let (kind, c) = match codec {
            Codec::JpgImage(c) => (ImageKind::Jpg, c),
            Codec::PngImage(c) => (ImageKind::Png, c),
            Codec::BmpImage(c) => (ImageKind::Bmp, c),
            _ => continue,
        };
        let output = preset
            .outputs
            .iter()
            .find(|o| o.format.image_kind() == Some(kind))
            .ok_or_else(|| {
                strata_preset::PresetError::Unsupported(format!(
                    "the {kind:?} image codec has no matching image output"
                ))
            })?;
        let times = thumbs::resolve_times(
            c.start.as_deref(),
            c.step.as_deref(),
            c.range.as_deref(),
            duration_secs,
            frame_rate,
            frame_count,
        )?;
        let layers = c
            .layers
            .iter()
            .map(|l| {
                let (lw, lh) = thumbs::layer_size(l, w, h);
                (lw, lh, l.quality)
            })
            .collect();
        out.push(ThumbSpec {
            kind,
            format: output.format,
            pattern: output.file_name.clone(),
            layers,
            times,
        });
    }
    Ok(out)
}

struct Pending<'a> {
    spec: &'a ThumbSpec,
    next: usize,
    best: Option<BestPicker>,
}

fn write_all(
    spec: &ThumbSpec,
    frame: &Frame,
    index: u32,
    t: f64,
    dir: &Path,
    basename: &str,
    out: &mut Vec<OutputImage>,
) -> Result<(), EngineError> {
    let rgb = thumbs::frame_to_rgb8(frame)?;
    let img = image::RgbImage::from_raw(frame.width, frame.height, rgb).ok_or_else(|| {
        EngineError::Thumbnail {
            reason: "picture buffer does not match its size".into(),
        }
    })?;
    for &(w, h, q) in &spec.layers {
        let resized = if (w, h) == (frame.width, frame.height) {
            img.clone()
        } else {
            image::imageops::resize(&img, w, h, image::imageops::FilterType::Triangle)
        };
        let bytes = thumbs::encode_rgb8(resized.as_raw(), w, h, spec.kind, q)?;
        let name = thumbs::image_file_name(&spec.pattern, basename, index, w, h, spec.format)?;
        let path = dir.join(&name);
        if path.exists() {
            return Err(EngineError::Thumbnail {
                reason: format!(
                    "two images (or an image and another output) expand to the same name {name}: add {{Index}} or {{Resolution}} to the FileName"
                ),
            });
        }
        std::fs::write(&path, &bytes).map_err(|source| EngineError::Io {
            path: path.clone(),
            source,
        })?;
        out.push(OutputImage {
            name,
            path,
            width: w,
            height: h,
            time_secs: t,
            size: bytes.len() as u64,
        });
    }
    Ok(())
}

/// Receives prepared source pictures (with their output time and index) and writes the images.
pub(crate) fn stage(
    specs: &[ThumbSpec],
    rx: Receiver<(std::sync::Arc<Frame>, f64, u64)>,
    dir: &Path,
    basename: &str,
    ticks_per_second: f64,
) -> Result<Vec<OutputImage>, EngineError> {
    let mut out = Vec::new();
    let mut origin: Option<(i64, f64)> = None;
    let mut pending: Vec<Pending<'_>> = specs
        .iter()
        .map(|spec| Pending {
            spec,
            next: 0,
            best: matches!(spec.times, ThumbPlan::Best).then(BestPicker::new),
        })
        .collect();
    let mut half_frame = 0.0;
    let mut last_t = None;
    for (frame, t, index) in rx {
        let frame: &Frame = &frame;
        origin.get_or_insert((frame.pts, t));
        if let Some(prev) = last_t {
            half_frame = (t - prev) / 2.0;
        }
        last_t = Some(t);
        for p in &mut pending {
            match &p.spec.times {
                ThumbPlan::Best => {
                    if let Some(b) = p.best.as_mut() {
                        if b.wants(t) {
                            b.offer(frame);
                        }
                    }
                }
                ThumbPlan::Times(times) => {
                    // Capture the first picture at (or within half a frame of) each time.
                    while let Some(tt) = times.get(p.next) {
                        let due = match tt.frame {
                            Some(n) => index >= n,
                            None => t + half_frame >= tt.pts_secs,
                        };
                        if !due {
                            break;
                        }
                        write_all(p.spec, frame, tt.index, t, dir, basename, &mut out)?;
                        p.next += 1;
                    }
                }
            }
        }
    }
    for p in &mut pending {
        if let Some(b) = p.best.take() {
            if let Some(f) = b.finish() {
                let t = origin.map_or(0.0, |(p0, t0)| {
                    t0 + (f.pts - p0) as f64 / ticks_per_second.max(1.0)
                });
                write_all(p.spec, &f, 1, t, dir, basename, &mut out)?;
            }
        }
    }
    Ok(out)
}
