use crate::CoreError;

/// Pixel layouts the pipeline carries between stages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PixelFormat {
    /// 8-bit planar Y, U, V with chroma halved in both directions (I420).
    Yuv420p,
}

/// One image plane: `height` rows of `width` bytes, rows `stride` bytes apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plane {
    /// Pixel bytes, at least `stride * height` long.
    pub data: Vec<u8>,
    /// Distance between the starts of two rows, in bytes (`>= width`).
    pub stride: usize,
    /// Visible width in samples.
    pub width: usize,
    /// Visible height in rows.
    pub height: usize,
}

impl Plane {
    /// A tightly packed plane filled with `value`.
    pub fn filled(width: usize, height: usize, value: u8) -> Self {
        Self {
            data: vec![value; width * height],
            stride: width,
            width,
            height,
        }
    }

    /// Row `y` without the stride padding.
    ///
    /// # Panics
    /// When `y >= height` (a caller bug, never input-driven).
    pub fn row(&self, y: usize) -> &[u8] {
        &self.data[y * self.stride..y * self.stride + self.width]
    }

    /// Mutable row `y` without the stride padding.
    ///
    /// # Panics
    /// When `y >= height` (a caller bug, never input-driven).
    pub fn row_mut(&mut self, y: usize) -> &mut [u8] {
        let s = self.stride;
        let w = self.width;
        &mut self.data[y * s..y * s + w]
    }
}

/// A decoded or scaled picture with its presentation time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// Layout of `planes`.
    pub format: PixelFormat,
    /// Luma width in pixels (even).
    pub width: u32,
    /// Luma height in pixels (even).
    pub height: u32,
    /// Y, U, V.
    pub planes: [Plane; 3],
    /// Presentation time in ticks of the producing track's time base.
    pub pts: i64,
    /// Display duration in the same ticks.
    pub duration: i64,
}

impl Frame {
    /// A black (limited-range) 4:2:0 frame of `width`x`height`.
    ///
    /// # Errors
    /// [`CoreError::BadFrameSize`] when a side is zero or odd.
    pub fn black(width: u32, height: u32) -> Result<Self, CoreError> {
        if width == 0 || height == 0 || width % 2 == 1 || height % 2 == 1 {
            return Err(CoreError::BadFrameSize {
                width,
                height,
                reason: "4:2:0 frames need even, non-zero sides",
            });
        }
        let (w, h) = (width as usize, height as usize);
        Ok(Self {
            format: PixelFormat::Yuv420p,
            width,
            height,
            planes: [
                Plane::filled(w, h, 16),
                Plane::filled(w / 2, h / 2, 128),
                Plane::filled(w / 2, h / 2, 128),
            ],
            pts: 0,
            duration: 0,
        })
    }
}
