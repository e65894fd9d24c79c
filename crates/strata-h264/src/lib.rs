//! H.264 for Strata: OpenH264 (built from source by `openh264-sys2`) behind safe types.
//!
//! We talk to OpenH264's raw API ourselves (the thin FFI layer in `ffi.rs`, the only `unsafe`
//! in the crate) because the `openh264` crate's safe encoder forces CAVLC, a single slice and a
//! maximum bitrate equal to the target, and its decoder drops the timestamps that let us put
//! frames back in display order. What this crate adds on top:
//!
//! - [`Decoder`]: MP4 (length-prefixed) samples in, [`Frame`]s out in display order, each with
//!   the presentation time of the sample that carried it.
//! - [`Encoder`]: one rendition; the caller decides which frames are IDRs (the shared GOP grid),
//!   output is length-prefixed access units plus the `avcC` record for the sample entry.
//! - [`Sps::parse`] and [`check_decodable`]: OpenH264 only says "error" for streams it cannot
//!   decode, so profiles, bit depths, chroma formats and interlacing are checked up front.
//!
//! [`Frame`]: strata_core::Frame

mod decoder;
mod encoder;
mod ffi;
mod nal;
mod sps;

pub use decoder::Decoder;
pub use encoder::{EncodedPacket, Encoder, EncoderConfig, EntropyMode, Profile, Speed};
pub use nal::{build_avcc, parse_avcc, AvcConfig};
pub use sps::{check_decodable, Sps};

/// Everything that can go wrong in H.264 decoding or encoding.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum H264Error {
    /// The avcC record or a NAL unit is structurally broken.
    #[error("malformed H.264 data: {0}")]
    Malformed(String),
    /// A stream OpenH264 cannot decode (10-bit, 4:2:2, interlaced, …).
    #[error("unsupported H.264 stream: {0}")]
    Unsupported(String),
    /// OpenH264 reported a decoding error for a sample.
    #[error("H.264 decoding failed at pts {pts}: OpenH264 state 0x{state:x}")]
    Decode {
        /// Presentation time of the failing sample (track ticks).
        pts: i64,
        /// OpenH264 DECODING_STATE bits.
        state: i64,
    },
    /// The encoder configuration is invalid (caller's fault).
    #[error("invalid encoder configuration: {0}")]
    Config(String),
    /// OpenH264 refused to create, initialise or run the encoder.
    #[error("OpenH264 encoder error: {what} returned {code}")]
    Encoder {
        /// Which call failed.
        what: &'static str,
        /// Its return code.
        code: i64,
    },
}
