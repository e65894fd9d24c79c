//! Scaling of planar 4:2:0 frames to the layers of a ladder, and the MES `StretchMode`
//! geometry that decides each layer's size.
//!
//! Resampling uses `fast_image_resize` (Lanczos3, AVX2/SSE4.1 kernels chosen at run time) on
//! each plane. It measured about 6 ms per 1080p→720p frame on this machine kind, small next to
//! encoding, so a hand-written kernel is not worth its risk yet; `benches/` compares the two
//! when one exists.

mod filters;

pub use filters::{crop, deinterlace, rotate, yuv_to_rgb, Overlay};

use fast_image_resize as fir;
use strata_core::{Frame, PixelFormat, Plane, Rational};

/// Errors from geometry or resampling.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScaleError {
    /// A size that cannot be produced (zero, odd where even is needed, absurd).
    #[error("invalid size {width}x{height}: {reason}")]
    BadSize {
        /// Width asked for.
        width: u32,
        /// Height asked for.
        height: u32,
        /// Why it is refused.
        reason: &'static str,
    },
    /// The resampler refused the planes (a bug: sizes are checked before).
    #[error("resampler failed: {0}")]
    Resize(String),
    /// A crop rectangle that is empty or does not lie inside the frame.
    #[error(
        "crop {width}x{height} at ({x},{y}) does not fit inside the \
         {frame_width}x{frame_height} frame"
    )]
    CropOutside {
        /// Left edge asked for.
        x: u32,
        /// Top edge asked for.
        y: u32,
        /// Width asked for.
        width: u32,
        /// Height asked for.
        height: u32,
        /// Width of the frame being cropped.
        frame_width: u32,
        /// Height of the frame being cropped.
        frame_height: u32,
    },
    /// A rotation other than 0, 90, 180 or 270 degrees.
    #[error("unsupported rotation of {degrees} degrees: only 0, 90, 180 and 270 are allowed")]
    BadRotation {
        /// Angle asked for, clockwise.
        degrees: i32,
    },
    /// An RGBA buffer whose length does not match the overlay size it was given with.
    #[error("overlay RGBA buffer for {width}x{height} must be {expected} bytes, got {actual}")]
    BadOverlayBuffer {
        /// Overlay width given.
        width: u32,
        /// Overlay height given.
        height: u32,
        /// Bytes needed (`width * height * 4`).
        expected: u64,
        /// Bytes passed.
        actual: usize,
    },
    /// An overlay image file that cannot be read or decoded (missing, unsupported, corrupt).
    #[error("cannot load overlay image {}: {reason}", path.display())]
    OverlayImage {
        /// The file asked for.
        path: std::path::PathBuf,
        /// What the reader or decoder said.
        reason: String,
    },
}

/// How a source picture is fitted into a layer's Width x Height box (MES `StretchMode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StretchMode {
    /// Use the box size exactly, ignoring the source's aspect ratio.
    None,
    /// Fit inside the box keeping the display aspect, no padding; one side shrinks.
    #[default]
    AutoSize,
    /// Output exactly the box, the picture fitted inside and padded with black bars.
    AutoFit,
}

/// The size of a layer's output and where the picture sits inside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Geometry {
    /// Output width (even).
    pub width: u32,
    /// Output height (even).
    pub height: u32,
    /// Left edge of the active picture (even).
    pub x: u32,
    /// Top edge of the active picture (even).
    pub y: u32,
    /// Active picture width (even).
    pub active_width: u32,
    /// Active picture height (even).
    pub active_height: u32,
}

fn even_round(num: i128, den: i128) -> u32 {
    // Nearest even integer to num/den, at least 2.
    let twice = (num + den) / (2 * den);
    (twice.max(1) * 2).min(i128::from(u32::MAX - 1)) as u32
}

/// Computes a layer's geometry for a `src_w`x`src_h` picture with pixel aspect `par`, fitted
/// into a `box_w`x`box_h` box.
///
/// # Errors
/// [`ScaleError::BadSize`] when a size is zero or the box is odd.
pub fn fit(
    src_w: u32,
    src_h: u32,
    par: Rational,
    box_w: u32,
    box_h: u32,
    mode: StretchMode,
) -> Result<Geometry, ScaleError> {
    if src_w == 0 || src_h == 0 || par.num() <= 0 {
        return Err(ScaleError::BadSize {
            width: src_w,
            height: src_h,
            reason: "the source picture is empty",
        });
    }
    if box_w == 0 || box_h == 0 || box_w % 2 == 1 || box_h % 2 == 1 {
        return Err(ScaleError::BadSize {
            width: box_w,
            height: box_h,
            reason: "layer sizes must be even and non-zero",
        });
    }
    let full = Geometry {
        width: box_w,
        height: box_h,
        x: 0,
        y: 0,
        active_width: box_w,
        active_height: box_h,
    };
    if mode == StretchMode::None {
        return Ok(full);
    }
    // Display aspect = src_w * par / src_h, compared with box_w / box_h exactly.
    let dw = i128::from(src_w) * i128::from(par.num());
    let dh = i128::from(src_h) * i128::from(par.den());
    let (aw, ah) = if dw * i128::from(box_h) >= i128::from(box_w) * dh {
        (box_w, even_round(i128::from(box_w) * dh, dw).min(box_h))
    } else {
        (even_round(i128::from(box_h) * dw, dh).min(box_w), box_h)
    };
    Ok(match mode {
        StretchMode::AutoSize => Geometry {
            width: aw,
            height: ah,
            x: 0,
            y: 0,
            active_width: aw,
            active_height: ah,
        },
        _ => Geometry {
            x: ((box_w - aw) / 4) * 2,
            y: ((box_h - ah) / 4) * 2,
            active_width: aw,
            active_height: ah,
            ..full
        },
    })
}

/// Resamples frames to a [`Geometry`]; keeps its scratch buffers between frames.
#[derive(Default)]
pub struct Scaler {
    resizer: fir::Resizer,
}

impl std::fmt::Debug for Scaler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Scaler")
    }
}

fn packed(p: &Plane) -> std::borrow::Cow<'_, [u8]> {
    if p.stride == p.width {
        std::borrow::Cow::Borrowed(&p.data[..p.width * p.height])
    } else {
        let mut v = Vec::with_capacity(p.width * p.height);
        for y in 0..p.height {
            v.extend_from_slice(p.row(y));
        }
        std::borrow::Cow::Owned(v)
    }
}

impl Scaler {
    /// A scaler with empty scratch buffers.
    pub fn new() -> Self {
        Self::default()
    }

    /// Scales `src` into a new frame of `geo`'s size (Lanczos3), padding outside the active
    /// area with black. `pts` and `duration` are copied.
    ///
    /// # Errors
    /// [`ScaleError::BadSize`] for an odd or empty source, [`ScaleError::Resize`] if the
    /// resampler fails.
    pub fn scale(&mut self, src: &Frame, geo: &Geometry) -> Result<Frame, ScaleError> {
        if src.width == 0 || src.height == 0 || src.width % 2 == 1 || src.height % 2 == 1 {
            return Err(ScaleError::BadSize {
                width: src.width,
                height: src.height,
                reason: "4:2:0 sources need even, non-zero sides",
            });
        }
        let mut out = Frame::black(geo.width, geo.height).map_err(|_| ScaleError::BadSize {
            width: geo.width,
            height: geo.height,
            reason: "layer sizes must be even and non-zero",
        })?;
        out.pts = src.pts;
        out.duration = src.duration;
        let opts = fir::ResizeOptions::new()
            .resize_alg(fir::ResizeAlg::Convolution(fir::FilterType::Lanczos3));
        for (i, plane) in src.planes.iter().enumerate() {
            let sub = if i == 0 { 1 } else { 2 };
            let (aw, ah) = (geo.active_width / sub, geo.active_height / sub);
            let (ax, ay) = ((geo.x / sub) as usize, (geo.y / sub) as usize);
            let same = aw as usize == plane.width && ah as usize == plane.height;
            let dst_plane = &mut out.planes[i];
            let full_width = geo.x == 0 && aw as usize == dst_plane.width;
            if same {
                for y in 0..plane.height {
                    dst_plane.row_mut(ay + y)[ax..ax + plane.width].copy_from_slice(plane.row(y));
                }
                continue;
            }
            let data = packed(plane);
            let src_img = fir::images::ImageRef::new(
                plane.width as u32,
                plane.height as u32,
                &data,
                fir::PixelType::U8,
            )
            .map_err(|e| ScaleError::Resize(e.to_string()))?;
            if full_width {
                // The active area is whole rows of the output: resize straight into it.
                let stride = dst_plane.stride;
                let start = ay * stride;
                let buf = &mut dst_plane.data[start..start + ah as usize * stride];
                let mut dst = fir::images::Image::from_slice_u8(aw, ah, buf, fir::PixelType::U8)
                    .map_err(|e| ScaleError::Resize(e.to_string()))?;
                self.resizer
                    .resize(&src_img, &mut dst, &opts)
                    .map_err(|e| ScaleError::Resize(e.to_string()))?;
            } else {
                let mut dst = fir::images::Image::new(aw, ah, fir::PixelType::U8);
                self.resizer
                    .resize(&src_img, &mut dst, &opts)
                    .map_err(|e| ScaleError::Resize(e.to_string()))?;
                for (y, row) in dst.buffer().chunks(aw as usize).enumerate() {
                    dst_plane.row_mut(ay + y)[ax..ax + aw as usize].copy_from_slice(row);
                }
            }
        }
        Ok(out)
    }
}

/// Pixel format check helper for callers that receive foreign frames.
pub fn is_supported(f: &Frame) -> bool {
    f.format == PixelFormat::Yuv420p
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(n: i64, d: i64) -> Rational {
        Rational::new(n, d).unwrap()
    }

    #[test]
    fn autosize_keeps_display_aspect() {
        // MES doc example: 1920x1080 into a 1280x1280 box gives 1280x720.
        let g = fit(1920, 1080, r(1, 1), 1280, 1280, StretchMode::AutoSize).unwrap();
        assert_eq!((g.width, g.height), (1280, 720));
        // 4:3 into a 16:9 box: height kept, width shrinks to 960.
        let g = fit(640, 480, r(1, 1), 1280, 720, StretchMode::AutoSize).unwrap();
        assert_eq!((g.width, g.height), (960, 720));
        // Portrait into a landscape box.
        let g = fit(720, 1280, r(1, 1), 1280, 720, StretchMode::AutoSize).unwrap();
        assert_eq!((g.width, g.height), (406, 720));
        // Odd results round to even: 854x480 into 320x180 → 320x180 (179.85 → 180).
        let g = fit(854, 480, r(1, 1), 320, 180, StretchMode::AutoSize).unwrap();
        assert_eq!((g.width, g.height), (320, 180));
        // Anamorphic QCIF 176x144 with PAR 128/117: display 192.5x144.
        let g = fit(176, 144, r(128, 117), 1280, 720, StretchMode::AutoSize).unwrap();
        assert_eq!((g.width, g.height), (962, 720));
    }

    #[test]
    fn autofit_pads_and_none_stretches() {
        let g = fit(1920, 1080, r(1, 1), 1280, 1280, StretchMode::AutoFit).unwrap();
        assert_eq!(
            (g.width, g.height, g.y, g.active_height),
            (1280, 1280, 280, 720)
        );
        let g = fit(1440, 1080, r(1, 1), 1280, 720, StretchMode::AutoFit).unwrap();
        assert_eq!((g.x, g.active_width), (160, 960));
        let g = fit(640, 480, r(1, 1), 1280, 720, StretchMode::None).unwrap();
        assert_eq!((g.width, g.height, g.active_width), (1280, 720, 1280));
        assert!(fit(640, 480, r(1, 1), 1279, 720, StretchMode::None).is_err());
        assert!(fit(0, 480, r(1, 1), 1280, 720, StretchMode::None).is_err());
    }

    #[test]
    fn scaling_a_flat_picture_stays_flat_and_pads_black() {
        let mut src = Frame::black(64, 48).unwrap();
        src.planes[0].data.fill(200);
        src.pts = 7;
        let mut s = Scaler::new();
        let g = fit(64, 48, r(1, 1), 32, 32, StretchMode::AutoFit).unwrap();
        let out = s.scale(&src, &g).unwrap();
        assert_eq!((out.width, out.height, out.pts), (32, 32, 7));
        assert_eq!(out.planes[0].row(0)[0], 16, "bar is black");
        let mid = out.planes[0].row(16);
        assert!(mid.iter().all(|&v| v == 200), "{mid:?}");
        let g = fit(64, 48, r(1, 1), 32, 24, StretchMode::AutoSize).unwrap();
        let out = s.scale(&src, &g).unwrap();
        assert!(out.planes[0].data.iter().all(|&v| v == 200));
    }
}
