//! The write side of Strata: progressive MP4 files (movie header first), fragmented MP4
//! (CMAF init and media segments, or one file addressed by byte ranges), and the text manifests
//! of an output asset: HLS playlists, the DASH MPD, the Smooth client manifest `.ismc`, the SMIL
//! server manifest `.ism` and the MES `_manifest.xml`.
//!
//! Boxes are written by hand, one box per file under `boxes/`, shared by both MP4 writers: the
//! set an H.264/AAC file needs is small, and owning it keeps chunk interleaving, 64-bit offsets,
//! edit lists and fragment layout under our control. Manifest writers are pure functions of
//! plain structs (durations in integer ticks), so their exact text is unit-tested.

mod boxes;
mod codec;
mod dash;
mod fmp4;
mod hls;
mod ismc;
mod manifest;
mod mp4;
mod spool;
mod track;

pub use codec::{
    aac_object_type, avc1_codec_string, avcc_parameter_sets, codec_string, mp4a_codec_string,
    ParameterSets,
};
pub use dash::{
    iso8601_duration, mpd_xml, segment_timeline, DashAudio, DashPresentation, DashSegments,
    DashVideo, TimelineEntry,
};
pub use fmp4::{
    init_segment, ByteRange, FragmentOptions, FragmentWriter, MediaSegment, SegmentEntry,
    SingleFileReport, SingleFileWriter, FRAGMENT_TRACK_ID,
};
pub use hls::{
    average_bitrate, iframe_playlist, master_playlist, media_playlist, peak_bitrate,
    target_duration, AudioRendition, HlsSegment, IFrame, IFrameVariant, MediaPlaylist, Variant,
};
pub use ismc::{client_manifest_xml, IsmcAudio, IsmcTimeline, IsmcVideo};
pub use manifest::{
    asset_manifest_xml, server_manifest_xml, server_manifest_xml_with, xml_escape, AssetFileEntry,
    AudioTrackEntry, IsmAudio, IsmVideo, VideoTrackEntry,
};
pub use mp4::{FileReport, Mp4Writer, TrackReport};
pub use track::{Sample, TrackConfig, TrackSpec};

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
    /// A decoder configuration record handed to the muxer cannot be parsed.
    #[error("malformed {record}: {reason}")]
    Malformed {
        /// Which record ("avcC", "AudioSpecificConfig").
        record: &'static str,
        /// What is wrong, with the byte offset when there is one.
        reason: String,
    },
}
