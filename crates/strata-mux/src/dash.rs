//! The static (VOD) DASH MPD (ISO 23009-1): one AdaptationSet per media type (audio per
//! language), `SegmentTemplate` + `SegmentTimeline` for segment files (live profile) or
//! `SegmentBase` with the global `sidx` for the single-file variant (on-demand profile).

use crate::manifest::xml_escape;
use crate::{ByteRange, MuxError};
use std::fmt::Write as _;

/// An exact `xs:duration` rounded to the millisecond (halves up): `PT10.005S`, `PT1M5.000S`,
/// `PT1H0M0.040S`.
pub fn iso8601_duration(ticks: u64, timescale: u32) -> String {
    let ts = u128::from(timescale.max(1));
    let ms = ((u128::from(ticks) * 1000 + ts / 2) / ts) as u64;
    let (h, rest) = (ms / 3_600_000, ms % 3_600_000);
    let (m, rest) = (rest / 60_000, rest % 60_000);
    let (sec, milli) = (rest / 1000, rest % 1000);
    if h > 0 {
        format!("PT{h}H{m}M{sec}.{milli:03}S")
    } else if m > 0 {
        format!("PT{m}M{sec}.{milli:03}S")
    } else {
        format!("PT{sec}.{milli:03}S")
    }
}

/// One `S` element: `t` only where the timeline does not simply continue, and `r` extra
/// repeats of the same duration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimelineEntry {
    /// Start time, written for the first entry only (segments are contiguous).
    pub t: Option<u64>,
    /// Duration in ticks.
    pub d: u64,
    /// Repeats after the first (0 = one segment).
    pub r: u64,
}

/// Run-length encodes contiguous segment durations starting at `start`.
pub fn segment_timeline(start: u64, durations: &[u64]) -> Vec<TimelineEntry> {
    let mut out: Vec<TimelineEntry> = Vec::new();
    for &d in durations {
        match out.last_mut() {
            Some(e) if e.d == d => e.r += 1,
            _ => out.push(TimelineEntry {
                t: if out.is_empty() { Some(start) } else { None },
                d,
                r: 0,
            }),
        }
    }
    out
}

/// How a Representation's segments are addressed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DashSegments {
    /// Segment files: `SegmentTemplate` with `$Number$` and a `SegmentTimeline`.
    Template {
        /// Ticks per second of `start` and `durations`.
        timescale: u32,
        /// Init segment URL.
        initialization: String,
        /// Media URL template holding `$Number$`.
        media: String,
        /// Number of the first segment.
        start_number: u64,
        /// Presentation time of the first segment.
        start: u64,
        /// Segment durations in order.
        durations: Vec<u64>,
    },
    /// One file addressed by byte ranges (`BaseURL` + `SegmentBase`).
    SingleFile {
        /// Ticks per second of the `sidx`.
        timescale: u32,
        /// The file's URL.
        url: String,
        /// `ftyp` + `moov`.
        init: ByteRange,
        /// The global `sidx`.
        index: ByteRange,
    },
}

impl DashSegments {
    fn is_single_file(&self) -> bool {
        matches!(self, Self::SingleFile { .. })
    }
}

/// A video Representation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DashVideo {
    /// `@id`.
    pub id: String,
    /// Bits/s.
    pub bandwidth: u64,
    /// Codec string (`avc1.640028`).
    pub codecs: String,
    /// Coded width.
    pub width: u32,
    /// Coded height.
    pub height: u32,
    /// Sample (pixel) aspect ratio.
    pub sar: (u32, u32),
    /// Frame rate fraction.
    pub frame_rate: (u32, u32),
    /// Segment addressing.
    pub segments: DashSegments,
}

/// An audio Representation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DashAudio {
    /// `@id`.
    pub id: String,
    /// Bits/s.
    pub bandwidth: u64,
    /// Codec string (`mp4a.40.2`).
    pub codecs: String,
    /// Hz.
    pub sample_rate: u32,
    /// Channel count.
    pub channels: u16,
    /// RFC 5646 language (`und` when unknown).
    pub language: String,
    /// Segment addressing.
    pub segments: DashSegments,
}

/// Everything a static MPD states.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DashPresentation {
    /// Presentation duration in ticks of `timescale`.
    pub duration: u64,
    /// Ticks per second of `duration`.
    pub timescale: u32,
    /// Video Representations (one AdaptationSet).
    pub video: Vec<DashVideo>,
    /// Audio Representations (one AdaptationSet per language).
    pub audio: Vec<DashAudio>,
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

fn ratio(a: u64, b: u64) -> String {
    let g = gcd(a, b).max(1);
    format!("{}:{}", a / g, b / g)
}

fn frame_rate(num: u32, den: u32) -> String {
    let g = gcd(u64::from(num), u64::from(den)).max(1) as u32;
    let (n, d) = (num / g, den.max(1) / g.max(1));
    if d == 1 {
        n.to_string()
    } else {
        format!("{n}/{d}")
    }
}

/// Longest segment (seconds) of a template; `None` for single-file.
fn max_segment(s: &DashSegments) -> Option<(u64, u32)> {
    match s {
        DashSegments::Template {
            timescale,
            durations,
            ..
        } => durations.iter().max().map(|&d| (d, *timescale)),
        DashSegments::SingleFile { .. } => None,
    }
}

fn write_segments(s: &mut String, seg: &DashSegments, indent: &str) {
    match seg {
        DashSegments::Template {
            timescale,
            initialization,
            media,
            start_number,
            start,
            durations,
        } => {
            let _ = writeln!(
                s,
                "{indent}<SegmentTemplate timescale=\"{timescale}\" initialization=\"{}\" media=\"{}\" startNumber=\"{start_number}\">",
                xml_escape(initialization),
                xml_escape(media)
            );
            let _ = writeln!(s, "{indent}  <SegmentTimeline>");
            for e in segment_timeline(*start, durations) {
                let _ = write!(s, "{indent}    <S");
                if let Some(t) = e.t {
                    let _ = write!(s, " t=\"{t}\"");
                }
                let _ = write!(s, " d=\"{}\"", e.d);
                if e.r > 0 {
                    let _ = write!(s, " r=\"{}\"", e.r);
                }
                s.push_str(" />\n");
            }
            let _ = writeln!(s, "{indent}  </SegmentTimeline>");
            let _ = writeln!(s, "{indent}</SegmentTemplate>");
        }
        DashSegments::SingleFile {
            timescale,
            url,
            init,
            index,
        } => {
            let _ = writeln!(s, "{indent}<BaseURL>{}</BaseURL>", xml_escape(url));
            let _ = writeln!(
                s,
                "{indent}<SegmentBase timescale=\"{timescale}\" indexRange=\"{}-{}\" indexRangeExact=\"true\">",
                index.offset,
                index.last()
            );
            let _ = writeln!(
                s,
                "{indent}  <Initialization range=\"{}-{}\" />",
                init.offset,
                init.last()
            );
            let _ = writeln!(s, "{indent}</SegmentBase>");
        }
    }
}

/// The text of a static MPD.
///
/// The profile is `isoff-live` when every Representation uses segment files and
/// `isoff-on-demand` when every one is a single file. `minBufferTime` and
/// `maxSegmentDuration` are the longest segment (2 s when unknown, as for single files).
///
/// # Errors
/// [`MuxError::Config`] when single-file and segment-file Representations are mixed (no
/// profile covers both), or when there is no Representation.
pub fn mpd_xml(p: &DashPresentation) -> Result<String, MuxError> {
    let all: Vec<&DashSegments> = p
        .video
        .iter()
        .map(|v| &v.segments)
        .chain(p.audio.iter().map(|a| &a.segments))
        .collect();
    if all.is_empty() {
        return Err(MuxError::Config("an MPD needs a Representation".into()));
    }
    let single = all[0].is_single_file();
    if all.iter().any(|s| s.is_single_file() != single) {
        return Err(MuxError::Config(
            "single-file and segment-file Representations cannot share an MPD".into(),
        ));
    }
    let profile = if single {
        "urn:mpeg:dash:profile:isoff-on-demand:2011"
    } else {
        "urn:mpeg:dash:profile:isoff-live:2011"
    };
    // Compare segment lengths across timescales exactly: d1/ts1 > d2/ts2 ⇔ d1·ts2 > d2·ts1.
    let longest = all.iter().filter_map(|s| max_segment(s)).max_by(|a, b| {
        (u128::from(a.0) * u128::from(b.1)).cmp(&(u128::from(b.0) * u128::from(a.1)))
    });
    let (max_d, max_ts) = longest.unwrap_or((2, 1));
    // Round the buffer up to the millisecond so it is never shorter than a segment.
    let max_ms_ticks = {
        let ts = u128::from(max_ts.max(1));
        let ms = (u128::from(max_d) * 1000).div_ceil(ts);
        ms as u64
    };
    let max_seg = iso8601_duration(max_ms_ticks, 1000);

    let mut s = String::new();
    s.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        s,
        "<MPD xmlns=\"urn:mpeg:dash:schema:mpd:2011\" profiles=\"{profile}\" type=\"static\" mediaPresentationDuration=\"{}\" maxSegmentDuration=\"{max_seg}\" minBufferTime=\"{max_seg}\">",
        iso8601_duration(p.duration, p.timescale)
    );
    s.push_str("  <Period id=\"0\" start=\"PT0.000S\">\n");
    let mut set_id = 0;
    if !p.video.is_empty() {
        let max_w = p.video.iter().map(|v| v.width).max().unwrap_or(0);
        let max_h = p.video.iter().map(|v| v.height).max().unwrap_or(0);
        let pars: Vec<String> = p
            .video
            .iter()
            .map(|v| {
                ratio(
                    u64::from(v.width) * u64::from(v.sar.0),
                    u64::from(v.height) * u64::from(v.sar.1.max(1)),
                )
            })
            .collect();
        let _ = write!(
            s,
            "    <AdaptationSet id=\"{set_id}\" contentType=\"video\" mimeType=\"video/mp4\" segmentAlignment=\"true\" startWithSAP=\"1\" maxWidth=\"{max_w}\" maxHeight=\"{max_h}\""
        );
        // @par belongs on the set only when every Representation shows the same picture shape.
        if pars.iter().all(|x| *x == pars[0]) {
            let _ = write!(s, " par=\"{}\"", pars[0]);
        }
        s.push_str(">\n");
        for v in &p.video {
            let _ = writeln!(
                s,
                "      <Representation id=\"{}\" bandwidth=\"{}\" codecs=\"{}\" width=\"{}\" height=\"{}\" sar=\"{}\" frameRate=\"{}\">",
                xml_escape(&v.id),
                v.bandwidth,
                xml_escape(&v.codecs),
                v.width,
                v.height,
                ratio(u64::from(v.sar.0), u64::from(v.sar.1)),
                frame_rate(v.frame_rate.0, v.frame_rate.1)
            );
            write_segments(&mut s, &v.segments, "        ");
            s.push_str("      </Representation>\n");
        }
        s.push_str("    </AdaptationSet>\n");
        set_id += 1;
    }
    let mut languages: Vec<&str> = Vec::new();
    for a in &p.audio {
        if !languages.contains(&a.language.as_str()) {
            languages.push(&a.language);
        }
    }
    for lang in languages {
        let _ = writeln!(
            s,
            "    <AdaptationSet id=\"{set_id}\" contentType=\"audio\" mimeType=\"audio/mp4\" lang=\"{}\" segmentAlignment=\"true\" startWithSAP=\"1\">",
            xml_escape(lang)
        );
        for a in p.audio.iter().filter(|a| a.language == lang) {
            let _ = writeln!(
                s,
                "      <Representation id=\"{}\" bandwidth=\"{}\" codecs=\"{}\" audioSamplingRate=\"{}\">",
                xml_escape(&a.id),
                a.bandwidth,
                xml_escape(&a.codecs),
                a.sample_rate
            );
            let _ = writeln!(
                s,
                "        <AudioChannelConfiguration schemeIdUri=\"urn:mpeg:dash:23003:3:audio_channel_configuration:2011\" value=\"{}\" />",
                a.channels
            );
            write_segments(&mut s, &a.segments, "        ");
            s.push_str("      </Representation>\n");
        }
        s.push_str("    </AdaptationSet>\n");
        set_id += 1;
    }
    s.push_str("  </Period>\n</MPD>\n");
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso8601_to_the_millisecond() {
        assert_eq!(iso8601_duration(154_701, 15360), "PT10.072S");
        assert_eq!(iso8601_duration(481_280, 48000), "PT10.027S");
        assert_eq!(iso8601_duration(10_005, 1000), "PT10.005S");
        // 0.0005 s rounds half up to 1 ms.
        assert_eq!(iso8601_duration(5, 10_000), "PT0.001S");
        assert_eq!(iso8601_duration(4, 10_000), "PT0.000S");
        assert_eq!(iso8601_duration(65_000, 1000), "PT1M5.000S");
        assert_eq!(iso8601_duration(3_600_040, 1000), "PT1H0M0.040S");
    }

    #[test]
    fn timeline_run_length() {
        let t = segment_timeline(0, &[30720, 30720, 30720, 7680]);
        assert_eq!(
            t,
            vec![
                TimelineEntry {
                    t: Some(0),
                    d: 30720,
                    r: 2
                },
                TimelineEntry {
                    t: None,
                    d: 7680,
                    r: 0
                },
            ]
        );
        // 44.1 kHz audio: alternating segment lengths do not merge.
        let a = segment_timeline(1024, &[88064, 89088, 88064, 88064]);
        assert_eq!(
            a.iter().map(|e| (e.t, e.d, e.r)).collect::<Vec<_>>(),
            vec![(Some(1024), 88064, 0), (None, 89088, 0), (None, 88064, 1)]
        );
        assert!(segment_timeline(0, &[]).is_empty());
    }

    #[test]
    fn mpd_text() {
        let p = DashPresentation {
            duration: 76800,
            timescale: 15360,
            video: vec![DashVideo {
                id: "video_720".into(),
                bandwidth: 3_400_000,
                codecs: "avc1.64001f".into(),
                width: 1280,
                height: 720,
                sar: (1, 1),
                frame_rate: (30, 1),
                segments: DashSegments::Template {
                    timescale: 15360,
                    initialization: "video_720/init.mp4".into(),
                    media: "video_720/seg_$Number$.m4s".into(),
                    start_number: 1,
                    start: 0,
                    durations: vec![30720, 30720, 15360],
                },
            }],
            audio: vec![DashAudio {
                id: "audio_und".into(),
                bandwidth: 128_000,
                codecs: "mp4a.40.2".into(),
                sample_rate: 48000,
                channels: 2,
                language: "und".into(),
                segments: DashSegments::Template {
                    timescale: 48000,
                    initialization: "audio/init.mp4".into(),
                    media: "audio/seg_$Number$.m4s".into(),
                    start_number: 1,
                    start: 0,
                    durations: vec![96256, 95232, 48512],
                },
            }],
        };
        let want = r#"<?xml version="1.0" encoding="UTF-8"?>
<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" profiles="urn:mpeg:dash:profile:isoff-live:2011" type="static" mediaPresentationDuration="PT5.000S" maxSegmentDuration="PT2.006S" minBufferTime="PT2.006S">
  <Period id="0" start="PT0.000S">
    <AdaptationSet id="0" contentType="video" mimeType="video/mp4" segmentAlignment="true" startWithSAP="1" maxWidth="1280" maxHeight="720" par="16:9">
      <Representation id="video_720" bandwidth="3400000" codecs="avc1.64001f" width="1280" height="720" sar="1:1" frameRate="30">
        <SegmentTemplate timescale="15360" initialization="video_720/init.mp4" media="video_720/seg_$Number$.m4s" startNumber="1">
          <SegmentTimeline>
            <S t="0" d="30720" r="1" />
            <S d="15360" />
          </SegmentTimeline>
        </SegmentTemplate>
      </Representation>
    </AdaptationSet>
    <AdaptationSet id="1" contentType="audio" mimeType="audio/mp4" lang="und" segmentAlignment="true" startWithSAP="1">
      <Representation id="audio_und" bandwidth="128000" codecs="mp4a.40.2" audioSamplingRate="48000">
        <AudioChannelConfiguration schemeIdUri="urn:mpeg:dash:23003:3:audio_channel_configuration:2011" value="2" />
        <SegmentTemplate timescale="48000" initialization="audio/init.mp4" media="audio/seg_$Number$.m4s" startNumber="1">
          <SegmentTimeline>
            <S t="0" d="96256" />
            <S d="95232" />
            <S d="48512" />
          </SegmentTimeline>
        </SegmentTemplate>
      </Representation>
    </AdaptationSet>
  </Period>
</MPD>
"#;
        assert_eq!(mpd_xml(&p).unwrap(), want);
    }

    #[test]
    fn on_demand_mpd_uses_segment_base() {
        let p = DashPresentation {
            duration: 10_005,
            timescale: 1000,
            video: vec![DashVideo {
                id: "v".into(),
                bandwidth: 1_000_000,
                codecs: "avc1.42c01e".into(),
                width: 704,
                height: 576,
                sar: (12, 11),
                frame_rate: (30000, 1001),
                segments: DashSegments::SingleFile {
                    timescale: 15360,
                    url: "v.mp4".into(),
                    init: ByteRange {
                        offset: 0,
                        length: 700,
                    },
                    index: ByteRange {
                        offset: 700,
                        length: 88,
                    },
                },
            }],
            audio: vec![],
        };
        let x = mpd_xml(&p).unwrap();
        assert!(x.contains("profiles=\"urn:mpeg:dash:profile:isoff-on-demand:2011\""));
        assert!(x.contains("mediaPresentationDuration=\"PT10.005S\""));
        // 704·12 : 576·11 = 8448:6336 = 4:3.
        assert!(x.contains(" par=\"4:3\""));
        assert!(x.contains("sar=\"12:11\" frameRate=\"30000/1001\""));
        assert!(x.contains(
            "<SegmentBase timescale=\"15360\" indexRange=\"700-787\" indexRangeExact=\"true\">"
        ));
        assert!(x.contains("<Initialization range=\"0-699\" />"));
        assert!(x.contains("<BaseURL>v.mp4</BaseURL>"));
    }

    #[test]
    fn mixed_addressing_is_rejected() {
        let template = DashSegments::Template {
            timescale: 1,
            initialization: "i".into(),
            media: "$Number$".into(),
            start_number: 1,
            start: 0,
            durations: vec![2],
        };
        let single = DashSegments::SingleFile {
            timescale: 1,
            url: "a.mp4".into(),
            init: ByteRange::default(),
            index: ByteRange::default(),
        };
        let audio = |segments| DashAudio {
            id: "a".into(),
            bandwidth: 1,
            codecs: "mp4a.40.2".into(),
            sample_rate: 48000,
            channels: 2,
            language: "und".into(),
            segments,
        };
        let p = DashPresentation {
            duration: 2,
            timescale: 1,
            video: vec![],
            audio: vec![audio(template), audio(single)],
        };
        assert!(mpd_xml(&p).is_err());
    }
}
