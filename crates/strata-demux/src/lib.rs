//! Strata demuxers: MP4/MOV/3GP (ISO base media file format, progressive or fragmented) and
//! Y4M, turned into [`Track`] descriptions and [`Packet`] streams.
//!
//! # Why our own ISO-BMFF reader
//! The existing Rust readers did not fit an engine that takes untrusted uploads:
//! `re_mp4` reads the whole file into memory, and symphonia's isomp4 reader ignores `ctts`
//! (composition offsets), which B-frame video needs. Owning the reader gives us:
//! - **bounded memory**: only `moov` and `moof` boxes are read into memory, each capped by
//!   [`Limits::max_header_bytes`]; every declared count is checked against the bytes that
//!   actually follow and against [`Limits`] before anything is allocated; sample bytes are read
//!   on demand;
//! - **typed errors**: a truncated upload, a file without `moov`, a text file and an HEVC file are
//!   different [`DemuxError`]s (or [`CodecParams::Unsupported`] tracks) the engine can report
//!   precisely, instead of one generic parse failure;
//! - **no panics** on any input: all parsing goes through bounds-checked cursors and checked
//!   arithmetic.
//!
//! # Example
//! ```no_run
//! use std::path::Path;
//! use strata_core::Limits;
//!
//! let demuxer = strata_demux::open(Path::new("input.mp4"), Limits::default())?;
//! for track in demuxer.tracks() {
//!     println!("track {}: {}", track.id, track.codec.name());
//! }
//! let first = demuxer.tracks()[0].id;
//! for packet in demuxer.packets(first)? {
//!     let packet = packet?;
//!     println!("dts {} pts {} {} bytes", packet.dts, packet.pts, packet.data.len());
//! }
//! # Ok::<(), strata_demux::DemuxError>(())
//! ```
#![forbid(unsafe_code)]

mod error;
pub(crate) mod mp4;
mod y4m;

pub use error::DemuxError;

use std::fs::File;
use std::io::Read;
use std::path::Path;
use strata_core::{Limits, Packet, Track};

#[cfg(doc)]
use strata_core::CodecParams;

/// A demultiplexed input file: its tracks, and per-track packet streams.
pub trait Demuxer: Send + Sync {
    /// `"mp4"`, `"mov"` (QuickTime: major brand `qt  ` or no `ftyp`) or `"y4m"`.
    fn format_name(&self) -> &'static str;

    /// Every track of the file, including ones the engine will ignore ([`strata_core::TrackKind::Other`])
    /// or cannot decode ([`strata_core::CodecParams::Unsupported`]).
    fn tracks(&self) -> &[Track];

    /// Packets of one track in decode order.
    ///
    /// Each call opens its own file handle, so several iterators (one per track, or several of
    /// the same track) can run at once on different threads.
    ///
    /// # Errors
    /// [`DemuxError::UnknownTrack`] when no track has `track_id`; [`DemuxError::Io`] when the
    /// file cannot be reopened. Items are [`DemuxError::Truncated`] when a sample lies past the
    /// end of the file (it shrank since `open`), or `Io`; the iterator ends after an error.
    fn packets(
        &self,
        track_id: u32,
    ) -> Result<Box<dyn Iterator<Item = Result<Packet, DemuxError>> + Send>, DemuxError>;

    /// Timing of every sample of a track in decode order, from the container's index alone
    /// (no sample data read), or `None` when the format keeps no index. Lets a caller cut the
    /// track into independently decodable chunks before reading it.
    fn sample_times(&self, track_id: u32) -> Option<Vec<SampleTime>> {
        let _ = track_id;
        None
    }

    /// Packets of one track from sample `first` (decode order) on; like
    /// [`Demuxer::packets`], with its own file handle.
    ///
    /// # Errors
    /// As [`Demuxer::packets`].
    fn packets_from(
        &self,
        track_id: u32,
        first: usize,
    ) -> Result<Box<dyn Iterator<Item = Result<Packet, DemuxError>> + Send>, DemuxError> {
        Ok(Box::new(self.packets(track_id)?.skip(first)))
    }
}

/// When a sample decodes and shows, and whether decoding can start at it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SampleTime {
    /// Decode time, track ticks.
    pub dts: i64,
    /// Composition (presentation) time before the edit list, track ticks.
    pub pts: i64,
    /// A sync sample.
    pub keyframe: bool,
}

/// Opens a media file, sniffing the format from its bytes (not the extension): MP4/MOV/3GP
/// (ISO BMFF) or Y4M.
///
/// Reads only the headers (`moov`, `moof`, the Y4M header line); sample data is read by
/// [`Demuxer::packets`].
///
/// # Errors
/// - [`DemuxError::Empty`] for a 0-byte file, [`DemuxError::NotMedia`] when neither format is
///   recognised;
/// - [`DemuxError::NoMoov`], [`DemuxError::Truncated`] (some sample or the `moov` lies past the
///   end of the file), [`DemuxError::Malformed`], [`DemuxError::NoTracks`] for MP4/MOV;
/// - [`DemuxError::UnsupportedY4m`] for Y4M that is not 8-bit progressive 4:2:0 with even sides;
/// - [`DemuxError::LimitExceeded`] when a declared size or count is above `limits`;
/// - [`DemuxError::Io`] when reading fails.
///
/// Tracks with a codec Strata cannot process are not an error here: they are returned with
/// [`strata_core::CodecParams::Unsupported`] so the caller can name the codec.
pub fn open(path: &Path, limits: Limits) -> Result<Box<dyn Demuxer>, DemuxError> {
    let mut file = File::open(path)?;
    let len = file.metadata()?.len();
    if len == 0 {
        return Err(DemuxError::Empty);
    }
    let mut head = Vec::with_capacity(16);
    file.by_ref().take(16).read_to_end(&mut head)?;
    if head.starts_with(y4m::MAGIC) {
        return y4m::open(path, file, len, limits);
    }
    if mp4::sniff(&head) {
        return mp4::open(path, file, len, limits);
    }
    Err(DemuxError::NotMedia)
}
