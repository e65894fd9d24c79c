//! Strata's audio front end: decode, trim, mix, resample and re-encode to AAC.
//!
//! Stages, each usable alone and chained by [`Pipeline`]:
//! - [`AacDecoder`] / [`TrackDecoder`]: AAC-LC tracks from `strata-demux` (mono to 7.1), with
//!   [`EditTrimmer`] applying the edit list sample-exactly (symphonia leaves encoder priming
//!   and padding in);
//! - [`open_audio_file`] → [`FileDecoder`]: WAV, FLAC, MP3, Ogg Vorbis, ALAC, ADTS and
//!   MP3/ALAC/AAC in MP4 through symphonia's probe, streaming; Opus and AC-3 are
//!   [`AudioError::UnsupportedCodec`];
//! - [`ChannelMixer`]: mono ↔ stereo, 5.1/7.1 → stereo or mono with ITU-R BS.775
//!   coefficients, upmix only when asked;
//! - [`Resampler`]: band-limited streaming rate conversion between any two rates in
//!   8–96 kHz, delay-compensated;
//! - [`AudioTranscoder`] / [`Pipeline`]: the chain ending in [`strata_aac::AacEncoder`]
//!   (AAC-LC), or in libfdk-aac for HE-AAC v1/v2 ([`AacProfile`]) when built with the
//!   `fdk-aac` feature.
//!
//! All PCM is interleaved `f32`, nominal range −1.0..=1.0, multichannel in WAV order
//! (L, R, C, LFE, then back/side pairs), which is what `strata-aac` takes.
//!
//! The AAC decoder is a copy of symphonia-codec-aac 0.6.1 (MPL-2.0, kept in `src/aac_mc/`
//! with its licence) with its two-channel limit removed.
//!
//! # HE-AAC and the `fdk-aac` feature
//!
//! [`AacProfile::HeV1`] and [`AacProfile::HeV2`] are encoded by Fraunhofer's libfdk-aac
//! through the `fdk-aac` crate (MIT-licensed bindings; `fdk-aac-sys` compiles the bundled C++
//! source, so a C++ compiler such as g++ or clang++ is needed — and only then). libfdk-aac is
//! under the *Fraunhofer FDK AAC* licence, which is neither OSI-approved nor a free-software
//! licence per the FSF and Debian, and which expressly grants no patent licence: HE-AAC (SBR,
//! PS) is covered by patents licensed separately (e.g. by Via LA). That is why the feature is
//! optional and off by default; building with `--features fdk-aac` and distributing the result
//! is the user's licensing decision. Without it, HE-AAC requests fail with
//! [`AudioError::HeAacUnavailable`]; AAC-LC never touches libfdk-aac.
#![forbid(unsafe_code)]

// Vendored MPL-2.0 code keeps upstream's style; these are the lints upstream allows too.
#[allow(
    clippy::all,
    clippy::pedantic,
    dead_code,
    unused_imports,
    missing_docs,
    unreachable_pub
)]
mod aac_mc;
mod decode;
mod error;
mod file;
#[cfg(feature = "fdk-aac")]
mod he_aac;
mod mix;
mod pipeline;
mod resample;

pub use decode::{AacDecoder, EditTrimmer, TrackDecoder};
pub use error::{AudioError, Result};
pub use file::{open_audio_file, FileDecoder};
pub use mix::{ChannelMixer, MixOptions};
pub use pipeline::{AacProfile, AudioTranscoder, Pipeline, TranscodeConfig};
pub use resample::Resampler;

/// A run of decoded PCM.
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    /// Interleaved samples, `frames() * channels` long, WAV channel order.
    pub samples: Vec<f32>,
    /// Channel count.
    pub channels: u16,
    /// Samples per second.
    pub sample_rate: u32,
    /// Presentation time of the first sample frame, in samples at `sample_rate`.
    pub pts: i64,
}

impl Block {
    /// Number of sample frames (samples per channel).
    pub fn frames(&self) -> usize {
        self.samples.len() / usize::from(self.channels.max(1))
    }
}

/// Anything that yields decoded [`Block`]s in presentation order: [`TrackDecoder`] and
/// [`FileDecoder`].
pub trait BlockSource {
    /// Sample rate of every block.
    fn sample_rate(&self) -> u32;
    /// Channel count of every block.
    fn channels(&self) -> u16;
    /// The next block, `None` at the end of the stream.
    ///
    /// # Errors
    /// Decoding or reading errors of the implementation.
    fn next_block(&mut self) -> Result<Option<Block>>;
}
