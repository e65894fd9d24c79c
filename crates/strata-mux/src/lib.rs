//! The write side of Strata: progressive MP4 files (movie header first) and the text manifests
//! of an output asset (the SMIL server manifest `.ism` and the MES `_manifest.xml`).
//!
//! Boxes are written by hand: the set a progressive H.264/AAC file needs is small, and owning
//! it keeps chunk interleaving, 64-bit offsets and edit lists under our control.

mod boxes;
mod manifest;
mod mp4;

pub use manifest::{
    asset_manifest_xml, server_manifest_xml, xml_escape, AssetFileEntry, AudioTrackEntry, IsmAudio,
    IsmVideo, VideoTrackEntry,
};
pub use mp4::{FileReport, Mp4Writer, Sample, TrackConfig, TrackReport, TrackSpec};

/// Errors while writing output files.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MuxError {
    /// Writing failed (disk full, permissions, …).
    #[error("I/O error while writing output: {0}")]
    Io(#[from] std::io::Error),
    /// The caller asked for something the format cannot hold.
    #[error("invalid muxer use: {0}")]
    Config(String),
}
