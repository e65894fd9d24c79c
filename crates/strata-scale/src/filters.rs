//! Picture filters applied before scaling: crop, rotation, deinterlacing, image overlays, and a
//! YUV→RGB conversion for thumbnails.
//!
//! Every kernel is plain scalar Rust over [`Plane`] rows. They run once per source frame (not
//! per ladder layer), so clarity wins over speed until a profile says otherwise.
//!
//! Colour conversions use BT.709 with limited ("video") range, the colour space of the HD
//! sources and H.264 outputs this engine handles: Y in 16..=235, U/V in 16..=240.

use std::fmt;
use std::path::Path;

use fast_image_resize as fir;
use strata_core::{Frame, Plane};

use crate::ScaleError;

/// Checks that `f` is a well-formed 4:2:0 frame: even non-zero sides and planes of the sizes the
/// frame claims. Kernels index planes by the frame's size, so a mismatch is refused up front
/// instead of panicking half-way.
fn check_frame(f: &Frame) -> Result<(usize, usize), ScaleError> {
    let bad = |reason| ScaleError::BadSize {
        width: f.width,
        height: f.height,
        reason,
    };
    if f.width == 0 || f.height == 0 || f.width % 2 == 1 || f.height % 2 == 1 {
        return Err(bad("4:2:0 frames need even, non-zero sides"));
    }
    let (w, h) = (f.width as usize, f.height as usize);
    for (i, p) in f.planes.iter().enumerate() {
        let (pw, ph) = if i == 0 { (w, h) } else { (w / 2, h / 2) };
        if p.width != pw || p.height != ph || p.stride < pw || p.data.len() < p.stride * ph {
            return Err(bad("the planes do not match the frame size"));
        }
    }
    Ok((w, h))
}

/// A black frame of `w`x`h` carrying `src`'s timing, to be filled by a kernel.
fn blank_like(src: &Frame, w: u32, h: u32) -> Result<Frame, ScaleError> {
    let mut out = Frame::black(w, h).map_err(|_| ScaleError::BadSize {
        width: w,
        height: h,
        reason: "4:2:0 frames need even, non-zero sides",
    })?;
    out.format = src.format;
    out.pts = src.pts;
    out.duration = src.duration;
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Crop
// ---------------------------------------------------------------------------------------------

/// Cuts the rectangle at (`x`, `y`) of `width`x`height` luma pixels out of `frame` (MES
/// `Crop{X,Y,Width,Height}`, in the input's own coordinates).
///
/// 4:2:0 chroma holds one sample per 2x2 luma block, so the rectangle is snapped to even
/// values: `x` and `y` are rounded **down** to even; `width` and `height` are rounded **up** to
/// even and then shortened by 2 if that would cross the frame's right or bottom edge. The result
/// therefore covers the asked rectangle except, at most, one column or row at its far edge, and
/// is never more than one pixel away from it. `pts` and `duration` are kept.
///
/// # Errors
/// - [`ScaleError::CropOutside`] when the rectangle is empty or does not lie inside the frame.
/// - [`ScaleError::BadSize`] when `frame` is not a well-formed 4:2:0 frame.
pub fn crop(frame: &Frame, x: u32, y: u32, width: u32, height: u32) -> Result<Frame, ScaleError> {
    let (fw, fh) = check_frame(frame)?;
    let outside = || ScaleError::CropOutside {
        x,
        y,
        width,
        height,
        frame_width: frame.width,
        frame_height: frame.height,
    };
    // u64 so that x + width cannot overflow on hostile preset values.
    if width == 0
        || height == 0
        || u64::from(x) + u64::from(width) > fw as u64
        || u64::from(y) + u64::from(height) > fh as u64
    {
        return Err(outside());
    }
    let (x0, y0) = (x & !1, y & !1);
    // Frame sides and x0/y0 are even, so the room left is even and at least 2 (x0 <= fw - 2).
    let w = (width + (width & 1)).min(frame.width - x0);
    let h = (height + (height & 1)).min(frame.height - y0);
    let mut out = blank_like(frame, w, h)?;
    for (i, (src, dst)) in frame.planes.iter().zip(out.planes.iter_mut()).enumerate() {
        let sub = if i == 0 { 1 } else { 2 };
        let (px, py) = ((x0 / sub) as usize, (y0 / sub) as usize);
        for row in 0..dst.height {
            let line = &src.row(py + row)[px..px + dst.width];
            dst.row_mut(row).copy_from_slice(line);
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Rotate
// ---------------------------------------------------------------------------------------------

/// Turns `frame` clockwise by `degrees` (0, 90, 180 or 270) and returns the turned picture.
///
/// The direction matches a display matrix / MES rotation value: a source flagged 90 must be
/// turned 90° clockwise to appear upright, so its top-left pixel ends at the top-right. For 90
/// and 270 the width and height swap. Chroma planes are turned the same way (4:2:0 stays
/// 4:2:0 because both sides are even). `pts` and `duration` are kept.
///
/// # Errors
/// - [`ScaleError::BadRotation`] for any other angle.
/// - [`ScaleError::BadSize`] when `frame` is not a well-formed 4:2:0 frame.
pub fn rotate(frame: &Frame, degrees: i32) -> Result<Frame, ScaleError> {
    check_frame(frame)?;
    let quarter = match degrees {
        0 => 0,
        90 => 1,
        180 => 2,
        270 => 3,
        _ => return Err(ScaleError::BadRotation { degrees }),
    };
    let (w, h) = if quarter % 2 == 1 {
        (frame.height, frame.width)
    } else {
        (frame.width, frame.height)
    };
    let mut out = blank_like(frame, w, h)?;
    for (src, dst) in frame.planes.iter().zip(out.planes.iter_mut()) {
        rotate_plane(src, dst, quarter);
    }
    Ok(out)
}

/// Fills `dst` (already sized) with `src` turned clockwise by `quarter` quarter turns.
fn rotate_plane(src: &Plane, dst: &mut Plane, quarter: u8) {
    let (sw, sh) = (src.width, src.height);
    for oy in 0..dst.height {
        let row = dst.row_mut(oy);
        match quarter {
            0 => row.copy_from_slice(src.row(oy)),
            // Clockwise: source (x, y) lands at (sh-1-y, x), so output (ox, oy) reads source
            // column oy from the bottom row upwards.
            1 => {
                for (ox, px) in row.iter_mut().enumerate() {
                    *px = src.data[(sh - 1 - ox) * src.stride + oy];
                }
            }
            2 => {
                let line = src.row(sh - 1 - oy);
                for (px, &s) in row.iter_mut().zip(line.iter().rev()) {
                    *px = s;
                }
            }
            // 270 clockwise = 90 counter-clockwise: source (x, y) lands at (y, sw-1-x).
            _ => {
                for (ox, px) in row.iter_mut().enumerate() {
                    *px = src.data[ox * src.stride + (sw - 1 - oy)];
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Deinterlace
// ---------------------------------------------------------------------------------------------

/// How far (code values) a rebuilt-line pixel may stick out of the range of its two vertical
/// neighbours and still be trusted as-is: below it the original pixel is kept.
const COMB_KEEP: i32 = 6;
/// From this overshoot on, the pixel is taken as combing and fully replaced by the ELA value;
/// between the two thresholds the two are blended linearly so that the switch leaves no edge.
const COMB_REPLACE: i32 = 18;

/// Deinterlaces one frame on its own (no neighbouring frames), keeping its size.
///
/// The frame is read as two fields: the top field is the even rows (0, 2, 4, …), the bottom
/// field the odd rows. The first field in time (top when `top_field_first`, else bottom) is
/// kept unchanged. Each row of the other field is rebuilt from the kept rows above (`a`) and
/// below (`b`) (at the picture's edge the one kept neighbour stands for both):
///
/// 1. **ELA** (edge-based line average): for each pixel `x` the three directions
///    `d ∈ {-1, 0, +1}` are scored by `|a[x+d] − b[x−d]|` (columns clamped to the picture);
///    the direction with the smallest difference wins (ties go to vertical, then `-1` before
///    `+1`) and its rounded mean `(a[x+d] + b[x−d] + 1) / 2` is the interpolated value. This
///    follows diagonal edges instead of stair-stepping them.
/// 2. **Comb check** (motion adaptivity without reference frames): the original pixel `c` of
///    the rebuilt row is compared with its vertical neighbours. Its overshoot is how far it lies
///    outside `[min(a[x], b[x]), max(a[x], b[x])]` (0 when inside), and the comb measure is the
///    largest overshoot of the pixel and its left and right neighbours (so single noisy pixels
///    do not flicker between the two paths). Still or progressive areas have no overshoot —
///    a smooth gradient or a horizontal edge keeps `c` between `a` and `b` — whereas moving
///    interlaced content makes every other line jump out of its neighbours' range.
/// 3. **Blend**: with comb measure `m`, the output is `c` when `m ≤ 6`, the ELA value when
///    `m ≥ 18`, and the linear mix `c + (ela − c)·(m − 6)/12` (rounded) in between.
///
/// The chroma planes are treated the same way with their own rows as fields: in interlaced
/// 4:2:0 each chroma row belongs to one field, even rows to the top one. `pts` and `duration`
/// are kept. A frame with planes of inconsistent sizes is deinterlaced plane by plane using
/// each plane's own size.
pub fn deinterlace(frame: &Frame, top_field_first: bool) -> Frame {
    let mut out = frame.clone();
    // The rebuilt field is the second one in time: odd rows when the top field comes first.
    let first_rebuilt = usize::from(top_field_first);
    for (src, dst) in frame.planes.iter().zip(out.planes.iter_mut()) {
        deinterlace_plane(src, dst, first_rebuilt);
    }
    out
}

fn deinterlace_plane(src: &Plane, dst: &mut Plane, first_rebuilt: usize) {
    let (w, h) = (src.width, src.height);
    if w == 0 || h < 2 {
        // A single row has no other-field neighbour to rebuild from: keep it.
        return;
    }
    let mut overshoot = vec![0i32; w];
    for y in (first_rebuilt..h).step_by(2) {
        let above = if y >= 1 { y - 1 } else { y + 1 };
        let below = if y + 1 < h { y + 1 } else { y - 1 };
        let (a, b, c) = (src.row(above), src.row(below), src.row(y));
        for (x, o) in overshoot.iter_mut().enumerate() {
            let (lo, hi) = (a[x].min(b[x]), a[x].max(b[x]));
            let cv = c[x];
            *o = i32::from(lo.saturating_sub(cv)).max(i32::from(cv.saturating_sub(hi)));
        }
        let out = dst.row_mut(y);
        for x in 0..w {
            let m = overshoot[x.saturating_sub(1)]
                .max(overshoot[x])
                .max(overshoot[(x + 1).min(w - 1)]);
            let orig = i32::from(c[x]);
            if m <= COMB_KEEP {
                out[x] = c[x];
                continue;
            }
            let ela = ela_pixel(a, b, x);
            let v = if m >= COMB_REPLACE {
                ela
            } else {
                let span = COMB_REPLACE - COMB_KEEP;
                let t = m - COMB_KEEP;
                // Rounded division of a possibly negative numerator.
                let num = (ela - orig) * t;
                orig + (num + num.signum() * span / 2) / span
            };
            out[x] = v.clamp(0, 255) as u8;
        }
    }
}

/// Edge-based line average of rows `a` (above) and `b` (below) at column `x`.
fn ela_pixel(a: &[u8], b: &[u8], x: usize) -> i32 {
    let last = a.len() - 1;
    let mut best = (i32::MAX, 0i32);
    // Vertical first so that it wins ties: a diagonal must be strictly better.
    for d in [0isize, -1, 1] {
        let xa = (x as isize + d).clamp(0, last as isize) as usize;
        let xb = (x as isize - d).clamp(0, last as isize) as usize;
        let (va, vb) = (i32::from(a[xa]), i32::from(b[xb]));
        let diff = (va - vb).abs();
        if diff < best.0 {
            best = (diff, (va + vb + 1) / 2);
        }
    }
    best.1
}

// ---------------------------------------------------------------------------------------------
// Colour conversion
// ---------------------------------------------------------------------------------------------

/// BT.709 full-range RGB → limited-range Y, U, V, rounded.
fn rgb_to_yuv(r: u8, g: u8, b: u8) -> (u8, u8, u8) {
    const KR: f32 = 0.2126;
    const KB: f32 = 0.0722;
    const KG: f32 = 1.0 - KR - KB;
    let (r, g, b) = (
        f32::from(r) / 255.0,
        f32::from(g) / 255.0,
        f32::from(b) / 255.0,
    );
    let y = KR * r + KG * g + KB * b;
    let u = (b - y) / (2.0 * (1.0 - KB));
    let v = (r - y) / (2.0 * (1.0 - KR));
    let q = |x: f32| x.round().clamp(0.0, 255.0) as u8;
    (
        q(16.0 + 219.0 * y),
        q(128.0 + 224.0 * u),
        q(128.0 + 224.0 * v),
    )
}

/// Converts `frame` to packed 8-bit RGB (`R, G, B` per pixel, rows of `width * 3` bytes, no
/// padding), for thumbnails.
///
/// The frame is read as BT.709 limited range and expanded to full-range RGB, so Y=235 with
/// neutral chroma gives white (255, 255, 255) and Y=16 gives black. Chroma is upsampled by
/// nearest neighbour (each U/V sample covers its 2x2 luma block), which is sharp enough for a
/// thumbnail that is usually downscaled afterwards. Sizes come from the planes themselves; a
/// frame whose chroma planes are smaller than half its luma plane reads the nearest existing
/// chroma sample rather than panicking.
pub fn yuv_to_rgb(frame: &Frame) -> Vec<u8> {
    // BT.709 limited → full-range coefficients (Kr = 0.2126, Kb = 0.0722), in fixed point
    // with 16 fractional bits so the per-pixel work is integer only.
    const Y: i32 = 76_309; // 255/219 = 1.164384
    const RV: i32 = 117_489; // 2(1−Kr)·255/224 = 1.792741
    const GU: i32 = 13_975; // 2(1−Kb)Kb/Kg·255/224 = 0.213249
    const GV: i32 = 34_925; // 2(1−Kr)Kr/Kg·255/224 = 0.532909
    const BU: i32 = 138_438; // 2(1−Kb)·255/224 = 2.112402
    let [yp, up, vp] = &frame.planes;
    let (w, h) = (yp.width, yp.height);
    let mut rgb = Vec::with_capacity(w * h * 3);
    if up.width == 0 || up.height == 0 || vp.width == 0 || vp.height == 0 {
        // No chroma at all: show luma as grey rather than fail a thumbnail.
        for y in 0..h {
            for &l in yp.row(y) {
                let c = (((i32::from(l) - 16) * Y + 32_768) >> 16).clamp(0, 255) as u8;
                rgb.extend_from_slice(&[c, c, c]);
            }
        }
        return rgb;
    }
    for y in 0..h {
        let (ur, vr) = (
            up.row((y / 2).min(up.height - 1)),
            vp.row((y / 2).min(vp.height - 1)),
        );
        for (x, &l) in yp.row(y).iter().enumerate() {
            let yy = (i32::from(l) - 16) * Y + 32_768;
            let u = i32::from(ur[(x / 2).min(ur.len() - 1)]) - 128;
            let v = i32::from(vr[(x / 2).min(vr.len() - 1)]) - 128;
            let px = |n: i32| (n >> 16).clamp(0, 255) as u8;
            rgb.extend_from_slice(&[px(yy + RV * v), px(yy - GU * u - GV * v), px(yy + BU * u)]);
        }
    }
    rgb
}

// ---------------------------------------------------------------------------------------------
// Overlay
// ---------------------------------------------------------------------------------------------

/// An image (logo, watermark) ready to be blended onto frames (MES `VideoOverlay`).
///
/// The RGBA source is converted once to BT.709 limited-range Y, U, V plus alpha, kept at full
/// resolution (4:4:4). Luma is blended with each pixel's own alpha; chroma is blended per frame
/// chroma sample with the 2x2 average of the alphas under it and the alpha-weighted average of
/// the overlay's U/V there. That average is taken at blend time rather than stored because the
/// overlay may be placed at an odd position, where a pre-halved chroma grid would be off by one
/// luma pixel.
#[derive(Clone)]
pub struct Overlay {
    width: u32,
    height: u32,
    /// Y, U, V, A per pixel, row-major, no padding. Interleaved so that `fast_image_resize`
    /// can resample it as one 4-channel image with its alpha-weighted (premultiplied) path.
    yuva: Vec<u8>,
}

impl fmt::Debug for Overlay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The pixel buffer would drown any log line.
        write!(f, "Overlay({}x{})", self.width, self.height)
    }
}

impl Overlay {
    /// Builds an overlay from `width`x`height` straight (non-premultiplied) RGBA pixels, 4 bytes
    /// per pixel, row-major, no padding.
    ///
    /// # Errors
    /// - [`ScaleError::BadSize`] when a side is zero.
    /// - [`ScaleError::BadOverlayBuffer`] when `rgba` is not exactly `width * height * 4`
    ///   bytes long.
    pub fn from_rgba(width: u32, height: u32, rgba: &[u8]) -> Result<Self, ScaleError> {
        if width == 0 || height == 0 {
            return Err(ScaleError::BadSize {
                width,
                height,
                reason: "an overlay image cannot be empty",
            });
        }
        // Saturating: u32::MAX² · 4 does not fit a u64, and such a size is wrong anyway.
        let expected = (u64::from(width) * u64::from(height)).saturating_mul(4);
        if rgba.len() as u64 != expected {
            return Err(ScaleError::BadOverlayBuffer {
                width,
                height,
                expected,
                actual: rgba.len(),
            });
        }
        let mut yuva = Vec::with_capacity(rgba.len());
        for px in rgba.chunks_exact(4) {
            let (y, u, v) = rgb_to_yuv(px[0], px[1], px[2]);
            yuva.extend_from_slice(&[y, u, v, px[3]]);
        }
        Ok(Self {
            width,
            height,
            yuva,
        })
    }

    /// Loads a PNG, JPEG, BMP or GIF file (the formats MES accepts for overlays). The format is
    /// recognised from the file's content, not its name; for an animated GIF only the first
    /// frame is used. Images without alpha are opaque.
    ///
    /// # Errors
    /// [`ScaleError::OverlayImage`], naming the path, when the file cannot be read, is not one
    /// of those formats, is corrupt or too large to decode; [`ScaleError::BadSize`] for an
    /// image with a zero side.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, ScaleError> {
        let path = path.as_ref();
        let fail = |reason: String| ScaleError::OverlayImage {
            path: path.to_path_buf(),
            reason,
        };
        let img = image::ImageReader::open(path)
            .map_err(|e| fail(e.to_string()))?
            .with_guessed_format()
            .map_err(|e| fail(e.to_string()))?
            .decode()
            .map_err(|e| fail(e.to_string()))?
            .into_rgba8();
        Self::from_rgba(img.width(), img.height(), img.as_raw())
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// The overlay resampled to `width`x`height` (MES `Position.Width/Height`), with an
    /// alpha-weighted bilinear filter (a true convolution, so shrinking averages instead of
    /// aliasing, and transparent pixels do not bleed dark fringes). A zero side is raised to 1
    /// so that the result is always a usable overlay; the same size returns a copy.
    pub fn resized(&self, width: u32, height: u32) -> Overlay {
        let (width, height) = (width.max(1), height.max(1));
        if (width, height) == (self.width, self.height) {
            return self.clone();
        }
        match self.resample(width, height) {
            Some(mut yuva) => {
                // Fully transparent results come back as zeros; give them neutral colour so
                // that any later use of the colour alone (debug dumps) is not bright green.
                for px in yuva.chunks_exact_mut(4).filter(|p| p[3] == 0) {
                    px[..3].copy_from_slice(&[16, 128, 128]);
                }
                Overlay {
                    width,
                    height,
                    yuva,
                }
            }
            // Unreachable: the buffer is exactly width*height*4 and sizes are non-zero. Fall
            // back to nearest neighbour rather than panic in a pipeline.
            None => self.resized_nearest(width, height),
        }
    }

    /// Alpha-weighted bilinear resampling by `fast_image_resize`; `None` if it refuses.
    fn resample(&self, width: u32, height: u32) -> Option<Vec<u8>> {
        let opts = fir::ResizeOptions::new()
            .resize_alg(fir::ResizeAlg::Convolution(fir::FilterType::Bilinear))
            .use_alpha(true);
        let src =
            fir::images::ImageRef::new(self.width, self.height, &self.yuva, fir::PixelType::U8x4)
                .ok()?;
        let mut dst = fir::images::Image::new(width, height, fir::PixelType::U8x4);
        fir::Resizer::new().resize(&src, &mut dst, &opts).ok()?;
        Some(dst.into_vec())
    }

    fn resized_nearest(&self, width: u32, height: u32) -> Overlay {
        let mut yuva = Vec::with_capacity(width as usize * height as usize * 4);
        for y in 0..u64::from(height) {
            let sy = (y * u64::from(self.height) / u64::from(height)) as usize;
            for x in 0..u64::from(width) {
                let sx = (x * u64::from(self.width) / u64::from(width)) as usize;
                let i = (sy * self.width as usize + sx) * 4;
                yuva.extend_from_slice(&self.yuva[i..i + 4]);
            }
        }
        Overlay {
            width,
            height,
            yuva,
        }
    }

    /// Alpha-blends the overlay onto `frame` with its top-left corner at luma pixel (`x`, `y`).
    ///
    /// The overlay may stick out of the frame on any side (negative or large `x`/`y`); only
    /// the part inside is drawn. `opacity` scales every alpha — 0 leaves the frame untouched,
    /// 1 applies the image's own alpha — and is how fades are drawn (MES itself has no opacity
    /// setting, but its fade-in/out need one); values outside 0..=1 are clamped and NaN counts
    /// as 0. It is quantised to 1/255 steps. Luma uses each overlay pixel's alpha; each chroma
    /// sample uses the mean alpha of the 2x2 luma block it covers (pixels of the block outside
    /// the overlay count as transparent) and the alpha-weighted mean of the overlay's chroma
    /// there. The plane sizes are taken from the frame's planes.
    pub fn blend_into(&self, frame: &mut Frame, x: i32, y: i32, opacity: f32) {
        let op = if opacity.is_nan() {
            0
        } else {
            (opacity.clamp(0.0, 1.0) * 255.0).round() as u32
        };
        if op == 0 {
            return;
        }
        let (ow, oh) = (i64::from(self.width), i64::from(self.height));
        let (x, y) = (i64::from(x), i64::from(y));
        // Overlay pixel at luma (px, py), if it covers that position.
        let at = |px: i64, py: i64| -> Option<&[u8]> {
            let (ox, oy) = (px - x, py - y);
            if ox < 0 || oy < 0 || ox >= ow || oy >= oh {
                return None;
            }
            let i = ((oy * ow + ox) * 4) as usize;
            Some(&self.yuva[i..i + 4])
        };

        // Luma: out = f + (o − f)·a·op, all in 1/255 units, rounded.
        const D: u32 = 255 * 255;
        let luma = &mut frame.planes[0];
        let (lw, lh) = (luma.width as i64, luma.height as i64);
        let (x0, x1) = (x.max(0), (x + ow).min(lw));
        let (y0, y1) = (y.max(0), (y + oh).min(lh));
        for py in y0..y1 {
            let row = luma.row_mut(py as usize);
            for px in x0..x1 {
                let Some(o) = at(px, py) else { continue };
                let wgt = op * u32::from(o[3]);
                let f = &mut row[px as usize];
                *f = ((u32::from(*f) * (D - wgt) + u32::from(o[0]) * wgt + D / 2) / D) as u8;
            }
        }

        // Chroma: one sample per 2x2 luma block; weights summed over the block (max 4·255).
        const DC: u32 = 255 * 4 * 255;
        let (cx0, cx1) = (x.max(0).div_euclid(2), (x + ow).max(0).div_euclid(2) + 1);
        let (cy0, cy1) = (y.max(0).div_euclid(2), (y + oh).max(0).div_euclid(2) + 1);
        for (ci, plane) in frame.planes[1..].iter_mut().enumerate() {
            let (cw, ch) = (plane.width as i64, plane.height as i64);
            for cy in cy0..cy1.min(ch) {
                let row = plane.row_mut(cy as usize);
                for cx in cx0..cx1.min(cw) {
                    let (mut sa, mut sc) = (0u32, 0u32);
                    for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                        if let Some(o) = at(2 * cx + dx, 2 * cy + dy) {
                            sa += u32::from(o[3]);
                            sc += u32::from(o[3]) * u32::from(o[1 + ci]);
                        }
                    }
                    if sa == 0 {
                        continue;
                    }
                    let f = &mut row[cx as usize];
                    let keep = DC - op * sa;
                    *f = ((u32::from(*f) * keep + op * sc + DC / 2) / DC) as u8;
                }
            }
        }
    }
}
