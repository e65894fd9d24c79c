use crate::{Rational, TimeBase};

/// What a track carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TrackKind {
    /// Pictures.
    Video,
    /// Sound.
    Audio,
    /// Anything else (timecode, text, hint, metadata).
    Other,
}

/// Facts about a video track's pictures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VideoParams {
    /// Coded (cropped) width in pixels.
    pub width: u32,
    /// Coded (cropped) height in pixels.
    pub height: u32,
    /// Pixel aspect ratio (`pasp` box or SPS VUI), 1/1 when square or unknown.
    pub pixel_aspect: Rational,
    /// Nominal frame rate when known (Y4M header, or derived from sample durations).
    pub frame_rate: Option<Rational>,
    /// Clockwise rotation (0, 90, 180 or 270 degrees) a player applies to show the picture
    /// upright: the track header's display matrix. Phone video is often stored sideways.
    pub rotation: u16,
    /// Interlaced field order when the container says the pictures are interlaced:
    /// `Some(true)` top field first, `Some(false)` bottom field first, `None` progressive.
    pub top_field_first: Option<bool>,
}

/// The MPEG-4 audio sampling-frequency table (ISO 14496-3 `samplingFrequencyIndex` 0..=12),
/// shared by AudioSpecificConfig readers and writers.
pub const AAC_SAMPLE_RATES: [u32; 13] = [
    96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350,
];

/// Facts about an audio track.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AudioParams {
    /// Channel count from the decoder configuration (trusted over the sample entry).
    pub channels: u16,
    /// Samples per second.
    pub sample_rate: u32,
}

/// The codec of a track and its decoder configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CodecParams {
    /// H.264 with its `avcC` record (AVCDecoderConfigurationRecord bytes).
    H264 {
        /// The avcC payload (without box header).
        avcc: Vec<u8>,
        /// Picture facts.
        video: VideoParams,
    },
    /// Uncompressed 8-bit 4:2:0 pictures (Y4M); packets hold one I420 frame each.
    RawYuv420 {
        /// Picture facts.
        video: VideoParams,
    },
    /// AAC with its AudioSpecificConfig.
    Aac {
        /// AudioSpecificConfig bytes (from `esds`).
        asc: Vec<u8>,
        /// MPEG-4 object type indication from `esds` (0x40 for AAC).
        object_type: u8,
        /// Audio facts.
        audio: AudioParams,
    },
    /// A codec Strata recognises but cannot process; `name` says which ("HEVC", "MPEG-4 Part 2").
    Unsupported {
        /// Human-readable codec name.
        name: String,
        /// The sample entry four-character code.
        fourcc: [u8; 4],
    },
}

impl CodecParams {
    /// Short human name of the codec ("H.264", "AAC", …).
    pub fn name(&self) -> &str {
        match self {
            Self::H264 { .. } => "H.264",
            Self::RawYuv420 { .. } => "raw YUV 4:2:0",
            Self::Aac { .. } => "AAC",
            Self::Unsupported { name, .. } => name,
        }
    }
}

/// A presentation edit: which part of the media timeline plays, and when.
///
/// Only the common shapes are modelled: an optional leading empty edit (delay) followed by one
/// media edit. Anything else is rejected by the demuxer or flattened with a warning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EditList {
    /// Delay before the first media sample plays, in ticks of the **movie** time base
    /// (`mvhd` timescale), as MP4 stores it.
    pub empty_duration: i64,
    /// Media time (track ticks) shown at the start of the media edit; earlier samples are
    /// decoded but not shown (encoder priming, B-frame delay).
    pub media_time: i64,
    /// Duration of the media edit in movie ticks; 0 means "to the end".
    pub segment_duration: i64,
}

/// One elementary stream of an input or output file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Track {
    /// Container track id (1-based in MP4).
    pub id: u32,
    /// Video, audio or other.
    pub kind: TrackKind,
    /// The track's clock.
    pub time_base: TimeBase,
    /// The movie clock the edit list durations are expressed in.
    pub movie_time_base: TimeBase,
    /// Codec and configuration.
    pub codec: CodecParams,
    /// Number of samples (packets).
    pub sample_count: u32,
    /// Sum of sample durations, in track ticks.
    pub duration: i64,
    /// Edit list, if the container had one.
    pub edits: Option<EditList>,
    /// ISO-639-2/T language code, "und" when unknown.
    pub language: String,
}

impl Track {
    /// The presentation time (in track ticks, on the movie timeline where 0 is the start of the
    /// presentation) of a sample whose composition time is `pts`: the edit list applied.
    pub fn presentation_time(&self, pts: i64) -> i64 {
        self.presentation_ticks(pts)
    }

    /// The same presentation time in microseconds, each part rounded once (no detour through
    /// track ticks, so sub-tick empty edits keep their precision).
    pub fn presentation_us(&self, pts: i64) -> i64 {
        let ts = i64::from(self.time_base.ticks_per_second());
        match self.edits {
            Some(e) => {
                crate::rescale_round(pts - e.media_time, 1_000_000, ts)
                    + crate::rescale_round(
                        e.empty_duration,
                        1_000_000,
                        i64::from(self.movie_time_base.ticks_per_second()),
                    )
            }
            None => crate::rescale_round(pts, 1_000_000, ts),
        }
    }

    fn presentation_ticks(&self, pts: i64) -> i64 {
        match self.edits {
            Some(e) => {
                pts - e.media_time
                    + self
                        .movie_time_base
                        .rescale(e.empty_duration, self.time_base)
            }
            None => pts,
        }
    }
}
