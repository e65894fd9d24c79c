//! HLS playlists (RFC 8216) for fragmented MP4 renditions: the master playlist, media
//! playlists (one file per segment or byte ranges of one file) and I-frame playlists.
//!
//! Durations arrive as integer ticks with their timescale and are formatted with integer
//! arithmetic, so the text does not depend on floating-point rounding.

use crate::ByteRange;
use std::fmt::Write as _;

/// Ticks as seconds with exactly six decimals, rounded half up: EXTINF needs sub-millisecond
/// precision so that the sum of EXTINF matches the media (C25, C27).
fn seconds_6(ticks: u64, timescale: u32) -> String {
    let ts = u128::from(timescale.max(1));
    let micros = (u128::from(ticks) * 1_000_000 + ts / 2) / ts;
    format!("{}.{:06}", micros / 1_000_000, micros % 1_000_000)
}

/// `EXT-X-TARGETDURATION` for these segment durations: the largest duration rounded to the
/// nearest integer (halves up), the bound RFC 8216 §4.3.3.1 sets for every EXTINF; at least 1.
pub fn target_duration(durations: &[u64], timescale: u32) -> u64 {
    let ts = u64::from(timescale.max(1));
    durations
        .iter()
        .map(|&d| (u128::from(d) * 2 + u128::from(ts)) / (2 * u128::from(ts)))
        .max()
        .map_or(1, |m| (m as u64).max(1))
}

/// One media segment of a playlist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HlsSegment {
    /// URI relative to the playlist.
    pub uri: String,
    /// Duration in ticks of the playlist's timescale.
    pub duration: u64,
    /// Byte range within `uri` for the single-file variant.
    pub range: Option<ByteRange>,
}

/// A media playlist of a fragmented MP4 rendition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaPlaylist {
    /// Ticks per second of the segment durations.
    pub timescale: u32,
    /// URI of the init segment (`EXT-X-MAP`).
    pub init_uri: String,
    /// Byte range of the init segment within `init_uri` (single-file variant).
    pub init_range: Option<ByteRange>,
    /// Segments in order.
    pub segments: Vec<HlsSegment>,
}

fn byterange(r: ByteRange) -> String {
    format!("{}@{}", r.length, r.offset)
}

/// The text of a VOD media playlist: version 7, `EXT-X-MAP`, exact `EXTINF`, byte ranges when
/// given, `EXT-X-ENDLIST`.
pub fn media_playlist(p: &MediaPlaylist) -> String {
    let durations: Vec<u64> = p.segments.iter().map(|s| s.duration).collect();
    let mut s = String::new();
    s.push_str("#EXTM3U\n#EXT-X-VERSION:7\n");
    let _ = writeln!(
        s,
        "#EXT-X-TARGETDURATION:{}",
        target_duration(&durations, p.timescale)
    );
    s.push_str("#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-INDEPENDENT-SEGMENTS\n");
    match p.init_range {
        Some(r) => {
            let _ = writeln!(
                s,
                "#EXT-X-MAP:URI=\"{}\",BYTERANGE=\"{}\"",
                p.init_uri,
                byterange(r)
            );
        }
        None => {
            let _ = writeln!(s, "#EXT-X-MAP:URI=\"{}\"", p.init_uri);
        }
    }
    for seg in &p.segments {
        let _ = writeln!(s, "#EXTINF:{},", seconds_6(seg.duration, p.timescale));
        if let Some(r) = seg.range {
            let _ = writeln!(s, "#EXT-X-BYTERANGE:{}", byterange(r));
        }
        s.push_str(&seg.uri);
        s.push('\n');
    }
    s.push_str("#EXT-X-ENDLIST\n");
    s
}

/// One I-frame of an I-frame playlist: the byte range from its `moof` to the end of the IDR,
/// and the time until the next I-frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IFrame {
    /// URI of the file holding it.
    pub uri: String,
    /// Ticks until the next I-frame (the segment duration when there is one IDR per segment).
    pub duration: u64,
    /// `moof` through the end of the I-frame's data.
    pub range: ByteRange,
}

/// The text of an I-frame playlist (`EXT-X-I-FRAMES-ONLY`) for trick play.
pub fn iframe_playlist(
    timescale: u32,
    init_uri: &str,
    init_range: Option<ByteRange>,
    frames: &[IFrame],
) -> String {
    let durations: Vec<u64> = frames.iter().map(|f| f.duration).collect();
    let mut s = String::new();
    s.push_str("#EXTM3U\n#EXT-X-VERSION:7\n");
    let _ = writeln!(
        s,
        "#EXT-X-TARGETDURATION:{}",
        target_duration(&durations, timescale)
    );
    s.push_str("#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-I-FRAMES-ONLY\n");
    match init_range {
        Some(r) => {
            let _ = writeln!(
                s,
                "#EXT-X-MAP:URI=\"{init_uri}\",BYTERANGE=\"{}\"",
                byterange(r)
            );
        }
        None => {
            let _ = writeln!(s, "#EXT-X-MAP:URI=\"{init_uri}\"");
        }
    }
    for f in frames {
        let _ = writeln!(s, "#EXTINF:{},", seconds_6(f.duration, timescale));
        let _ = writeln!(s, "#EXT-X-BYTERANGE:{}", byterange(f.range));
        s.push_str(&f.uri);
        s.push('\n');
    }
    s.push_str("#EXT-X-ENDLIST\n");
    s
}

/// An audio rendition (`EXT-X-MEDIA:TYPE=AUDIO`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AudioRendition {
    /// `GROUP-ID` the variants refer to.
    pub group_id: String,
    /// `NAME`, e.g. "English" or the track title.
    pub name: String,
    /// RFC 5646 language tag; `None` omits `LANGUAGE`.
    pub language: Option<String>,
    /// Channel count (`CHANNELS`).
    pub channels: u16,
    /// Whether this is the group's default rendition.
    pub default: bool,
    /// URI of its media playlist.
    pub uri: String,
}

/// A video variant (`EXT-X-STREAM-INF`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variant {
    /// URI of its media playlist.
    pub uri: String,
    /// Peak segment bitrate in bits/s, audio included (see [`peak_bitrate`]).
    pub bandwidth: u64,
    /// Average bitrate in bits/s, audio included (see [`average_bitrate`]).
    pub average_bandwidth: u64,
    /// Codec strings, video first (`avc1.640028,mp4a.40.2`).
    pub codecs: Vec<String>,
    /// Picture width.
    pub width: u32,
    /// Picture height.
    pub height: u32,
    /// Frame rate as a fraction (numerator, denominator).
    pub frame_rate: (u32, u32),
    /// `AUDIO` group id.
    pub audio_group: Option<String>,
}

/// An I-frame variant (`EXT-X-I-FRAME-STREAM-INF`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IFrameVariant {
    /// URI of the I-frame playlist.
    pub uri: String,
    /// Peak bitrate of the I-frames alone, bits/s.
    pub bandwidth: u64,
    /// Video codec string.
    pub codecs: String,
    /// Picture width.
    pub width: u32,
    /// Picture height.
    pub height: u32,
}

/// A frame rate with three decimals, rounded half up (`29.970`).
fn frame_rate_3(num: u32, den: u32) -> String {
    let den = u64::from(den.max(1));
    let milli = (u64::from(num) * 1000 * 2 + den) / (2 * den);
    format!("{}.{:03}", milli / 1000, milli % 1000)
}

/// The text of the master playlist: version 7, independent segments, audio renditions, the
/// variants in the given order, then the I-frame variants.
pub fn master_playlist(
    variants: &[Variant],
    audio: &[AudioRendition],
    iframes: &[IFrameVariant],
) -> String {
    let mut s = String::new();
    s.push_str("#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-INDEPENDENT-SEGMENTS\n");
    for a in audio {
        let _ = write!(
            s,
            "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"{}\",NAME=\"{}\"",
            a.group_id, a.name
        );
        if let Some(l) = &a.language {
            let _ = write!(s, ",LANGUAGE=\"{l}\"");
        }
        let yes = |b: bool| if b { "YES" } else { "NO" };
        let _ = writeln!(
            s,
            ",DEFAULT={},AUTOSELECT=YES,CHANNELS=\"{}\",URI=\"{}\"",
            yes(a.default),
            a.channels,
            a.uri
        );
    }
    for v in variants {
        let _ = write!(
            s,
            "#EXT-X-STREAM-INF:BANDWIDTH={},AVERAGE-BANDWIDTH={},CODECS=\"{}\",RESOLUTION={}x{},FRAME-RATE={}",
            v.bandwidth,
            v.average_bandwidth,
            v.codecs.join(","),
            v.width,
            v.height,
            frame_rate_3(v.frame_rate.0, v.frame_rate.1)
        );
        if let Some(g) = &v.audio_group {
            let _ = write!(s, ",AUDIO=\"{g}\"");
        }
        s.push('\n');
        s.push_str(&v.uri);
        s.push('\n');
    }
    for f in iframes {
        let _ = writeln!(
            s,
            "#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH={},CODECS=\"{}\",RESOLUTION={}x{},URI=\"{}\"",
            f.bandwidth, f.codecs, f.width, f.height, f.uri
        );
    }
    s
}

/// The largest bitrate (bits/s, rounded up) of any segment given as `(bytes, duration ticks)`:
/// what `BANDWIDTH` must not be exceeded by. Add the audio rendition's peak for a variant.
pub fn peak_bitrate(segments: &[(u64, u64)], timescale: u32) -> u64 {
    segments
        .iter()
        .filter(|&&(_, d)| d > 0)
        .map(|&(b, d)| ceil_div(u128::from(b) * 8 * u128::from(timescale), u128::from(d)))
        .max()
        .unwrap_or(0)
}

/// Total bits over total duration (bits/s, rounded up) of `(bytes, duration ticks)` segments.
pub fn average_bitrate(segments: &[(u64, u64)], timescale: u32) -> u64 {
    let bytes: u128 = segments.iter().map(|&(b, _)| u128::from(b)).sum();
    let dur: u128 = segments.iter().map(|&(_, d)| u128::from(d)).sum();
    if dur == 0 {
        return 0;
    }
    ceil_div(bytes * 8 * u128::from(timescale), dur)
}

fn ceil_div(a: u128, b: u128) -> u64 {
    a.div_ceil(b).min(u128::from(u64::MAX)) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_duration_rounds_to_nearest() {
        // RFC 8216 §4.3.3.1: each EXTINF rounded to the nearest integer must be ≤ target.
        assert_eq!(target_duration(&[61440, 61440], 30720), 2);
        // 2.005333 s (94 AAC frames at 48 kHz) rounds to 2.
        assert_eq!(target_duration(&[96256], 48000), 2);
        // 8.98 s rounds to 9 (C22: TARGETDURATION:8 was rejected).
        assert_eq!(target_duration(&[898], 100), 9);
        // Exactly half rounds up.
        assert_eq!(target_duration(&[250], 100), 3);
        assert_eq!(target_duration(&[249], 100), 2);
        // A tiny playlist still declares 1.
        assert_eq!(target_duration(&[10], 100), 1);
        assert_eq!(target_duration(&[], 100), 1);
    }

    #[test]
    fn extinf_keeps_microseconds() {
        assert_eq!(seconds_6(61440, 30720), "2.000000");
        assert_eq!(seconds_6(88064, 44100), "1.996916");
        assert_eq!(seconds_6(1001, 30000), "0.033367");
        assert_eq!(frame_rate_3(30000, 1001), "29.970");
        assert_eq!(frame_rate_3(25, 1), "25.000");
    }

    #[test]
    fn media_playlist_text() {
        let p = MediaPlaylist {
            timescale: 15360,
            init_uri: "video_720/init.mp4".into(),
            init_range: None,
            segments: vec![
                HlsSegment {
                    uri: "video_720/seg_1.m4s".into(),
                    duration: 30720,
                    range: None,
                },
                HlsSegment {
                    uri: "video_720/seg_2.m4s".into(),
                    duration: 7680,
                    range: None,
                },
            ],
        };
        assert_eq!(
            media_playlist(&p),
            "#EXTM3U\n\
             #EXT-X-VERSION:7\n\
             #EXT-X-TARGETDURATION:2\n\
             #EXT-X-MEDIA-SEQUENCE:0\n\
             #EXT-X-PLAYLIST-TYPE:VOD\n\
             #EXT-X-INDEPENDENT-SEGMENTS\n\
             #EXT-X-MAP:URI=\"video_720/init.mp4\"\n\
             #EXTINF:2.000000,\n\
             video_720/seg_1.m4s\n\
             #EXTINF:0.500000,\n\
             video_720/seg_2.m4s\n\
             #EXT-X-ENDLIST\n"
        );
    }

    #[test]
    fn byte_range_playlists_text() {
        let p = MediaPlaylist {
            timescale: 48000,
            init_uri: "audio.mp4".into(),
            init_range: Some(ByteRange {
                offset: 0,
                length: 652,
            }),
            segments: vec![
                HlsSegment {
                    uri: "audio.mp4".into(),
                    duration: 96256,
                    range: Some(ByteRange {
                        offset: 716,
                        length: 32000,
                    }),
                },
                HlsSegment {
                    uri: "audio.mp4".into(),
                    duration: 95232,
                    range: Some(ByteRange {
                        offset: 32716,
                        length: 31000,
                    }),
                },
            ],
        };
        assert_eq!(
            media_playlist(&p),
            "#EXTM3U\n\
             #EXT-X-VERSION:7\n\
             #EXT-X-TARGETDURATION:2\n\
             #EXT-X-MEDIA-SEQUENCE:0\n\
             #EXT-X-PLAYLIST-TYPE:VOD\n\
             #EXT-X-INDEPENDENT-SEGMENTS\n\
             #EXT-X-MAP:URI=\"audio.mp4\",BYTERANGE=\"652@0\"\n\
             #EXTINF:2.005333,\n\
             #EXT-X-BYTERANGE:32000@716\n\
             audio.mp4\n\
             #EXTINF:1.984000,\n\
             #EXT-X-BYTERANGE:31000@32716\n\
             audio.mp4\n\
             #EXT-X-ENDLIST\n"
        );
        let i = iframe_playlist(
            15360,
            "v.mp4",
            Some(ByteRange {
                offset: 0,
                length: 700,
            }),
            &[IFrame {
                uri: "v.mp4".into(),
                duration: 30720,
                range: ByteRange {
                    offset: 764,
                    length: 5000,
                },
            }],
        );
        assert_eq!(
            i,
            "#EXTM3U\n\
             #EXT-X-VERSION:7\n\
             #EXT-X-TARGETDURATION:2\n\
             #EXT-X-MEDIA-SEQUENCE:0\n\
             #EXT-X-PLAYLIST-TYPE:VOD\n\
             #EXT-X-I-FRAMES-ONLY\n\
             #EXT-X-MAP:URI=\"v.mp4\",BYTERANGE=\"700@0\"\n\
             #EXTINF:2.000000,\n\
             #EXT-X-BYTERANGE:5000@764\n\
             v.mp4\n\
             #EXT-X-ENDLIST\n"
        );
    }

    #[test]
    fn master_playlist_text() {
        let text = master_playlist(
            &[Variant {
                uri: "video_1080.m3u8".into(),
                bandwidth: 6_128_000,
                average_bandwidth: 5_128_000,
                codecs: vec!["avc1.640028".into(), "mp4a.40.2".into()],
                width: 1920,
                height: 1080,
                frame_rate: (30000, 1001),
                audio_group: Some("audio".into()),
            }],
            &[AudioRendition {
                group_id: "audio".into(),
                name: "und".into(),
                language: None,
                channels: 2,
                default: true,
                uri: "audio.m3u8".into(),
            }],
            &[IFrameVariant {
                uri: "video_1080_iframes.m3u8".into(),
                bandwidth: 900_000,
                codecs: "avc1.640028".into(),
                width: 1920,
                height: 1080,
            }],
        );
        assert_eq!(
            text,
            "#EXTM3U\n\
             #EXT-X-VERSION:7\n\
             #EXT-X-INDEPENDENT-SEGMENTS\n\
             #EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"audio\",NAME=\"und\",DEFAULT=YES,AUTOSELECT=YES,CHANNELS=\"2\",URI=\"audio.m3u8\"\n\
             #EXT-X-STREAM-INF:BANDWIDTH=6128000,AVERAGE-BANDWIDTH=5128000,CODECS=\"avc1.640028,mp4a.40.2\",RESOLUTION=1920x1080,FRAME-RATE=29.970,AUDIO=\"audio\"\n\
             video_1080.m3u8\n\
             #EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=900000,CODECS=\"avc1.640028\",RESOLUTION=1920x1080,URI=\"video_1080_iframes.m3u8\"\n"
        );
    }

    #[test]
    fn bitrates() {
        // 250 000 bytes in 2 s and 100 000 bytes in 0.5 s: peak 1.6 Mb/s, average 1.12 Mb/s.
        let segs = [(250_000, 30720), (100_000, 7680)];
        assert_eq!(peak_bitrate(&segs, 15360), 1_600_000);
        assert_eq!(average_bitrate(&segs, 15360), 1_120_000);
        assert_eq!(peak_bitrate(&[(1, 0)], 15360), 0);
    }
}
