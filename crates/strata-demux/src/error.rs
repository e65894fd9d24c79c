//! The one error type of the crate.

/// Why a file could not be opened or a packet could not be read.
///
/// Each message names the problem on its own; the caller adds the file name.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DemuxError {
    /// The operating system refused a read, seek or open.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// The file has no bytes at all.
    #[error("the file is empty (0 bytes)")]
    Empty,
    /// Neither an ISO-BMFF box structure nor a Y4M header starts the file.
    #[error("not a media file: no MP4/MOV box structure or Y4M header found")]
    NotMedia,
    /// An MP4/MOV box structure without a `moov` box (the writer never finished the file).
    #[error("no movie header (moov): the file is truncated or not finished")]
    NoMoov,
    /// Sample data or a box extends past the end of the file.
    #[error(
        "truncated file: {what} at offset {offset} needs {needed} bytes, \
         but the file ends at byte {file_len}"
    )]
    Truncated {
        /// What lies past the end ("moov box", "sample 151 of track 1", …).
        what: String,
        /// File offset where it starts.
        offset: u64,
        /// Bytes it needs from `offset` on.
        needed: u64,
        /// Length of the file in bytes.
        file_len: u64,
    },
    /// Inconsistent tables, impossible box sizes and other structural damage.
    #[error("malformed file: {what} (at offset {offset})")]
    Malformed {
        /// What is wrong.
        what: String,
        /// File offset of the offending structure.
        offset: u64,
    },
    /// The container is valid but holds no audio or video track.
    #[error("the file contains no audio or video tracks")]
    NoTracks,
    /// A declared size or count is above the caller's [`strata_core::Limits`].
    #[error("limit exceeded: {what} is {value}, the limit is {limit}")]
    LimitExceeded {
        /// Which quantity.
        what: &'static str,
        /// The value the file declares.
        value: u64,
        /// The configured maximum.
        limit: u64,
    },
    /// A Y4M stream this crate does not carry (only even-sized 8-bit progressive 4:2:0 is).
    #[error("unsupported Y4M input: {what}")]
    UnsupportedY4m {
        /// The property that is not supported ("colourspace C444", "odd size 161x91", …).
        what: String,
    },
    /// [`crate::Demuxer::packets`] was asked for a track id the file does not have.
    #[error("no track with id {0} in this file")]
    UnknownTrack(u32),
}

impl DemuxError {
    /// Shorthand for [`DemuxError::Malformed`].
    pub(crate) fn malformed(what: impl Into<String>, offset: u64) -> Self {
        Self::Malformed {
            what: what.into(),
            offset,
        }
    }
}
