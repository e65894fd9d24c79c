/// Caps on what untrusted input may make us allocate or do. Every parser checks declared sizes
/// against these before allocating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted picture width in pixels.
    pub max_width: u32,
    /// Largest accepted picture height in pixels.
    pub max_height: u32,
    /// Largest accepted single sample (compressed frame) in bytes.
    pub max_sample_bytes: u32,
    /// Most samples accepted in one track's tables.
    pub max_samples: u32,
    /// Largest metadata box (`moov` and its children) read into memory, in bytes.
    pub max_header_bytes: u64,
    /// Most tracks accepted in one file.
    pub max_tracks: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            // OpenH264 encodes up to 3840x2160 (either orientation); inputs up to 8K are read.
            max_width: 8192,
            max_height: 8192,
            max_sample_bytes: 64 << 20,
            // 24 hours at 120 fps.
            max_samples: 24 * 3600 * 120,
            max_header_bytes: 512 << 20,
            max_tracks: 64,
        }
    }
}
