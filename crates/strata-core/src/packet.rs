/// One compressed access unit (a video frame or an audio frame) of a track.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    /// Id of the track it belongs to ([`crate::Track::id`]).
    pub track_id: u32,
    /// Payload. H.264 is length-prefixed (4-byte lengths, as in MP4) unless a stage says
    /// otherwise; AAC is a raw access unit without ADTS header.
    pub data: Vec<u8>,
    /// Decode time in ticks of the track's time base, before the edit list is applied.
    pub dts: i64,
    /// Presentation time in the same ticks (`dts` + composition offset), before the edit list.
    pub pts: i64,
    /// Duration in the same ticks.
    pub duration: i64,
    /// Whether decoding can start here (an IDR for H.264).
    pub keyframe: bool,
}
