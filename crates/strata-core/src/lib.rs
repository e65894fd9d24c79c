//! Spine types shared by every Strata crate: exact time arithmetic, planar frames, compressed
//! packets, track descriptions and resource limits.
//!
//! This crate does no I/O, starts no threads and contains no `unsafe`. Timestamps are integer
//! ticks of a [`TimeBase`] everywhere in the pipeline; floating-point seconds only appear at the
//! edges (reports, manifests).

mod frame;
mod limits;
mod packet;
mod time;
mod track;

pub use frame::{Frame, PixelFormat, Plane};
pub use limits::Limits;
pub use packet::Packet;
pub use time::{rescale_round, Rational, TimeBase};
pub use track::{
    AudioParams, CodecParams, EditList, Track, TrackKind, VideoParams, AAC_SAMPLE_RATES,
};

/// Errors raised by the spine types themselves (invalid arguments to constructors).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum CoreError {
    /// A rational number with a zero denominator, or a time base of zero ticks per second.
    #[error("invalid rational {num}/{den}: the denominator must be positive")]
    ZeroDenominator {
        /// Numerator given.
        num: i64,
        /// Denominator given.
        den: i64,
    },
    /// A frame geometry that cannot hold 4:2:0 planes.
    #[error("invalid frame size {width}x{height}: {reason}")]
    BadFrameSize {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
        /// Which rule it breaks.
        reason: &'static str,
    },
}
