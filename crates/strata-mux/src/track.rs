//! Track descriptions and samples shared by the progressive and fragmented writers.

use strata_core::EditList;

/// What a track carries, with its decoder configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrackSpec {
    /// H.264 video. `avcc` may be empty at creation and set later with
    /// [`Mp4Writer::set_avcc`](crate::Mp4Writer::set_avcc) (the encoder knows it after its first frame).
    H264 {
        /// Coded width.
        width: u32,
        /// Coded height.
        height: u32,
        /// AVCDecoderConfigurationRecord.
        avcc: Vec<u8>,
        /// Pixel aspect ratio (h_spacing, v_spacing) when not square.
        pixel_aspect: Option<(u32, u32)>,
    },
    /// AAC audio.
    Aac {
        /// AudioSpecificConfig.
        asc: Vec<u8>,
        /// MPEG-4 object type indication (0x40 for AAC).
        object_type: u8,
        /// Channel count.
        channels: u16,
        /// Sample rate in Hz.
        sample_rate: u32,
    },
}

/// A track to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackConfig {
    /// Codec and configuration.
    pub spec: TrackSpec,
    /// Ticks per second of the track's sample times.
    pub timescale: u32,
    /// ISO-639-2/T language ("und" when unknown).
    pub language: String,
    /// Edit list (durations in movie ticks), e.g. an A/V offset or AAC priming.
    pub edits: Option<EditList>,
}

/// One sample to append.
#[derive(Debug, Clone, Copy)]
pub struct Sample<'a> {
    /// Payload (length-prefixed NAL units for H.264, a raw AAC frame for audio).
    pub data: &'a [u8],
    /// Duration in track ticks.
    pub duration: u32,
    /// Presentation minus decode time, in track ticks.
    pub cts_offset: i32,
    /// Random access point.
    pub sync: bool,
}
