//! The Smooth Streaming client manifest (`.ismc`): `SmoothStreamingMedia` version 2 with one
//! video and one audio `StreamIndex`, times in 100 ns units.

use crate::codec::{avcc_parameter_sets, hex_upper};
use crate::manifest::xml_escape;
use crate::MuxError;
use std::fmt::Write as _;

/// Smooth's fixed clock: 100 ns ticks.
const SMOOTH_TIMESCALE: u64 = 10_000_000;

/// A video quality level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IsmcVideo {
    /// Bits/s (also the `{bitrate}` of fragment URLs).
    pub bitrate: u64,
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
    /// The layer's avcC record; its SPS and PPS become `CodecPrivateData`.
    pub avcc: Vec<u8>,
}

/// The audio quality level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IsmcAudio {
    /// StreamIndex name, e.g. `AAC_und_ch2_128kbps`.
    pub name: String,
    /// RFC 5646 / ISO 639 language.
    pub language: String,
    /// Bits/s.
    pub bitrate: u64,
    /// Hz.
    pub sample_rate: u32,
    /// Channel count.
    pub channels: u16,
    /// AudioSpecificConfig, written as `CodecPrivateData`.
    pub asc: Vec<u8>,
}

/// The fragment timing of one stream: durations in ticks of `timescale` from `start`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IsmcTimeline {
    /// Ticks per second.
    pub timescale: u32,
    /// Presentation time of the first fragment.
    pub start: u64,
    /// Fragment durations in order.
    pub durations: Vec<u64>,
}

impl IsmcTimeline {
    /// `(t, d)` in 100 ns units. Each boundary is converted from its exact tick position, so
    /// rounding never accumulates across fragments (44.1 kHz audio does not divide 10 MHz
    /// evenly per frame).
    fn chunks(&self) -> Vec<(u64, u64)> {
        let ts = u128::from(self.timescale.max(1));
        let to_hns =
            |ticks: u128| -> u64 { ((ticks * u128::from(SMOOTH_TIMESCALE) + ts / 2) / ts) as u64 };
        let mut pos = u128::from(self.start);
        self.durations
            .iter()
            .map(|&d| {
                let t = to_hns(pos);
                pos += u128::from(d);
                (t, to_hns(pos) - t)
            })
            .collect()
    }
}

fn write_chunks(s: &mut String, chunks: &[(u64, u64)]) {
    for (t, d) in chunks {
        let _ = writeln!(s, "    <c t=\"{t}\" d=\"{d}\" />");
    }
}

/// The text of a Smooth client manifest.
///
/// # Errors
/// [`MuxError::Malformed`] when a video layer's avcC cannot be parsed.
pub fn client_manifest_xml(
    duration: u64,
    timescale: u32,
    video: &[IsmcVideo],
    video_timeline: &IsmcTimeline,
    audio: Option<(&IsmcAudio, &IsmcTimeline)>,
) -> Result<String, MuxError> {
    let ts = u128::from(timescale.max(1));
    let duration_hns = ((u128::from(duration) * u128::from(SMOOTH_TIMESCALE) + ts / 2) / ts) as u64;
    let mut s = String::new();
    s.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    let _ = writeln!(
        s,
        "<SmoothStreamingMedia MajorVersion=\"2\" MinorVersion=\"0\" Duration=\"{duration_hns}\" TimeScale=\"{SMOOTH_TIMESCALE}\">"
    );
    if !video.is_empty() {
        let chunks = video_timeline.chunks();
        let max_w = video.iter().map(|v| v.width).max().unwrap_or(0);
        let max_h = video.iter().map(|v| v.height).max().unwrap_or(0);
        let _ = writeln!(
            s,
            "  <StreamIndex Type=\"video\" Name=\"video\" Chunks=\"{}\" QualityLevels=\"{}\" Url=\"QualityLevels({{bitrate}})/Fragments(video={{start time}})\" MaxWidth=\"{max_w}\" MaxHeight=\"{max_h}\" DisplayWidth=\"{max_w}\" DisplayHeight=\"{max_h}\">",
            chunks.len(),
            video.len()
        );
        for (i, v) in video.iter().enumerate() {
            let sets = avcc_parameter_sets(&v.avcc)?;
            let mut cpd = String::new();
            for nal in sets.sps.iter().chain(sets.pps.iter()) {
                cpd.push_str("00000001");
                cpd.push_str(&hex_upper(nal));
            }
            let _ = writeln!(
                s,
                "    <QualityLevel Index=\"{i}\" Bitrate=\"{}\" FourCC=\"H264\" MaxWidth=\"{}\" MaxHeight=\"{}\" CodecPrivateData=\"{cpd}\" />",
                v.bitrate, v.width, v.height
            );
        }
        write_chunks(&mut s, &chunks);
        s.push_str("  </StreamIndex>\n");
    }
    if let Some((a, timeline)) = audio {
        let chunks = timeline.chunks();
        let name = xml_escape(&a.name);
        let _ = writeln!(
            s,
            "  <StreamIndex Type=\"audio\" Name=\"{name}\" Language=\"{}\" Chunks=\"{}\" QualityLevels=\"1\" Url=\"QualityLevels({{bitrate}})/Fragments({name}={{start time}})\">",
            xml_escape(&a.language),
            chunks.len()
        );
        // PacketSize is the 16-bit PCM block align, as MES wrote it.
        let _ = writeln!(
            s,
            "    <QualityLevel Index=\"0\" Bitrate=\"{}\" FourCC=\"AACL\" SamplingRate=\"{}\" Channels=\"{}\" BitsPerSample=\"16\" PacketSize=\"{}\" AudioTag=\"255\" CodecPrivateData=\"{}\" />",
            a.bitrate,
            a.sample_rate,
            a.channels,
            u32::from(a.channels) * 2,
            hex_upper(&a.asc)
        );
        write_chunks(&mut s, &chunks);
        s.push_str("  </StreamIndex>\n");
    }
    s.push_str("</SmoothStreamingMedia>\n");
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_manifest_text() {
        let video = [IsmcVideo {
            bitrate: 3_400_000,
            width: 1280,
            height: 720,
            avcc: vec![
                1, 0x64, 0, 0x1f, 0xff, 0xe1, 0, 4, 0x67, 0x64, 0, 0x1f, 1, 0, 2, 0x68, 0xee,
            ],
        }];
        let vt = IsmcTimeline {
            timescale: 15360,
            start: 0,
            durations: vec![30720, 15360],
        };
        let audio = IsmcAudio {
            name: "AAC_und_ch2_128kbps".into(),
            language: "und".into(),
            bitrate: 128_000,
            sample_rate: 44100,
            channels: 2,
            asc: vec![0x12, 0x10],
        };
        // 86 and 44 AAC frames at 44.1 kHz: 1.9969161 s then 1.0216780 s.
        let at = IsmcTimeline {
            timescale: 44100,
            start: 0,
            durations: vec![88064, 45056],
        };
        let x = client_manifest_xml(46080, 15360, &video, &vt, Some((&audio, &at))).unwrap();
        let want = r#"<?xml version="1.0" encoding="utf-8"?>
<SmoothStreamingMedia MajorVersion="2" MinorVersion="0" Duration="30000000" TimeScale="10000000">
  <StreamIndex Type="video" Name="video" Chunks="2" QualityLevels="1" Url="QualityLevels({bitrate})/Fragments(video={start time})" MaxWidth="1280" MaxHeight="720" DisplayWidth="1280" DisplayHeight="720">
    <QualityLevel Index="0" Bitrate="3400000" FourCC="H264" MaxWidth="1280" MaxHeight="720" CodecPrivateData="000000016764001F0000000168EE" />
    <c t="0" d="20000000" />
    <c t="20000000" d="10000000" />
  </StreamIndex>
  <StreamIndex Type="audio" Name="AAC_und_ch2_128kbps" Language="und" Chunks="2" QualityLevels="1" Url="QualityLevels({bitrate})/Fragments(AAC_und_ch2_128kbps={start time})">
    <QualityLevel Index="0" Bitrate="128000" FourCC="AACL" SamplingRate="44100" Channels="2" BitsPerSample="16" PacketSize="4" AudioTag="255" CodecPrivateData="1210" />
    <c t="0" d="19969161" />
    <c t="19969161" d="10216780" />
  </StreamIndex>
</SmoothStreamingMedia>
"#;
        assert_eq!(x, want);
    }

    #[test]
    fn chunk_times_do_not_drift() {
        // 1000 AAC frames at 44.1 kHz one per fragment: the end lands on the exact position.
        let t = IsmcTimeline {
            timescale: 44100,
            start: 0,
            durations: vec![1024; 1000],
        };
        let c = t.chunks();
        let (last_t, last_d) = c[999];
        assert_eq!(
            last_t + last_d,
            (1_024_000u64 * 10_000_000 + 22_050) / 44_100
        );
    }
}
