//! The crate's single error type.

/// Errors of the audio front end, grouped by whose fault they are: the input's (malformed or
/// unsupported media), the caller's (invalid configuration), or the environment's (I/O).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AudioError {
    /// Reading the input failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// The audio codec is recognised but no decoder exists for it (Opus, AC-3, E-AC-3, DTS, …).
    #[error("unsupported audio codec: {name}")]
    UnsupportedCodec {
        /// Human-readable codec name ("Opus", "AC-3", or the container's code when unknown).
        name: String,
    },
    /// The file is not an audio container symphonia recognises, or has no audio track.
    #[error("no decodable audio in the input: {detail}")]
    NoAudio {
        /// What the probe reported.
        detail: String,
    },
    /// The bitstream or container is malformed.
    #[error("malformed audio input: {detail}")]
    Malformed {
        /// The decoder's or demuxer's description.
        detail: String,
    },
    /// The input uses a feature of a supported codec that is not implemented (HE-AAC, PCE
    /// channel layouts, coupling channels, …).
    #[error("unsupported audio feature: {detail}")]
    UnsupportedFeature {
        /// The decoder's description.
        detail: String,
    },
    /// A channel count this crate has no layout for.
    #[error(
        "unsupported channel layout: {channels} channel(s) (supported: 1, 2, 6 = 5.1, 8 = 7.1)"
    )]
    UnsupportedLayout {
        /// The channel count.
        channels: u16,
    },
    /// More output channels than input channels without [`crate::MixOptions::allow_upmix`].
    #[error("upmix from {from} to {to} channels refused (set allow_upmix to permit it)")]
    UpmixRefused {
        /// Input channel count.
        from: u16,
        /// Requested output channel count.
        to: u16,
    },
    /// A sample rate outside the resampler's 8..=96 kHz range.
    #[error("sample rate {rate} Hz is outside 8000..=96000 Hz")]
    UnsupportedSampleRate {
        /// The rejected rate.
        rate: u32,
    },
    /// The stream changed sample rate or channel count mid-way, or a block does not match the
    /// stage it is fed to.
    #[error("audio format mismatch: expected {expected_channels} ch @ {expected_rate} Hz, got {channels} ch @ {rate} Hz")]
    FormatChanged {
        /// Channels the stage was built for.
        expected_channels: u16,
        /// Rate the stage was built for.
        expected_rate: u32,
        /// Channels received.
        channels: u16,
        /// Rate received.
        rate: u32,
    },
    /// Interleaved PCM whose length is not a whole number of sample frames.
    #[error("PCM buffer of {len} samples is not a multiple of the channel count {channels}")]
    MisalignedPcm {
        /// Buffer length in samples.
        len: usize,
        /// Channel count.
        channels: u16,
    },
    /// A packet or track of a codec other than the one this decoder handles.
    #[error("wrong codec for this decoder: {0}")]
    WrongCodec(String),
    /// `push`/`flush` after the stage was flushed.
    #[error("the stage was already flushed")]
    AlreadyFlushed,
    /// The AAC encoder rejected its configuration or input.
    #[error("AAC encoder: {0}")]
    Encode(#[from] strata_aac::AacError),
    /// An HE-AAC profile was requested from a build without the `fdk-aac` feature.
    #[error("{profile} encoding needs libfdk-aac: build with `--features fdk-aac` (Fraunhofer FDK AAC licence, see the strata-audio docs)")]
    HeAacUnavailable {
        /// The requested profile ("HE-AAC", "HE-AACv2").
        profile: String,
    },
    /// libfdk-aac (HE-AAC) rejected its configuration or failed to encode.
    #[error("HE-AAC encoder (libfdk-aac): {detail}")]
    HeAacEncode {
        /// What was asked and libfdk-aac's message.
        detail: String,
    },
    /// The packet source (a demuxer) failed.
    #[error("packet source: {0}")]
    Source(Box<dyn std::error::Error + Send + Sync + 'static>),
    /// A bug in this crate or a dependency (an internal invariant did not hold).
    #[error("internal error: {0}")]
    Internal(String),
}

/// Result alias of this crate.
pub type Result<T> = std::result::Result<T, AudioError>;

/// Maps a symphonia error into ours, keeping its category.
pub(crate) fn from_symphonia(e: symphonia::core::errors::Error) -> AudioError {
    use symphonia::core::errors::Error as E;
    match e {
        E::IoError(io) => AudioError::Io(io),
        E::DecodeError(d) => AudioError::Malformed {
            detail: d.to_string(),
        },
        E::Unsupported(d) => AudioError::UnsupportedFeature {
            detail: d.to_string(),
        },
        E::LimitError(d) => AudioError::Malformed {
            detail: format!("limit reached: {d}"),
        },
        other => AudioError::Internal(other.to_string()),
    }
}
